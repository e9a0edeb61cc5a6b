#!/usr/bin/env bash
# Checks the layering of src/ (docs/design.md, "Source layout"): each
# folder includes only the folders below it. Prints every include that
# breaks a rule and exits 1; exits 0 when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

# what each layer may include, besides itself, include/flowtrace/ and libc
declare -A allowed=(
	[sys]=""
	[core]=""
	[cpython]="sys"
	[output]="core sys"
	[probe]="cpython core sys"
	[app]="probe cpython core output sys"
)

bad=0
for layer in "${!allowed[@]}"; do
	for f in src/"$layer"/*.[ch]; do
		while IFS= read -r inc; do
			dir=${inc%%/*}
			[[ $inc == */* ]] || dir=$layer
			[[ $dir == "$layer" || $dir == flowtrace ]] && continue
			case " ${allowed[$layer]} " in *" $dir "*) continue ;; esac
			# skeletons are generated into the build dir: probe and app own BPF
			if [[ $inc == *.skel.h && ($layer == probe || $layer == app) ]]; then
				continue
			fi
			echo "$f: includes \"$inc\": $layer may include only: ${allowed[$layer]:-(itself)}"
			bad=1
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
done
exit $bad
