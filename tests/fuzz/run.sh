#!/usr/bin/env bash
# Builds the trace-file fuzz target with libFuzzer + ASan/UBSan and runs it
# for FUZZ_SECONDS (default 30) from a seed corpus of real and cut recordings.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-30}
build=build/fuzz
mkdir -p "$build/corpus"
# render_html.c includes the page assets generated into build/ (scripts/embed-html.sh)
make -s --no-print-directory build/output/html_page.h

src=(src/core/tracefile.c src/core/record.c src/core/calltree.c src/core/names.c
	src/core/hashmap.c src/core/grow.c src/core/filter.c src/output/render.c
	src/output/render_tree.c src/output/render_json.c src/output/render_jsonl.c src/output/jsonw.c)
# every renderer the table in render.c names must link, and the core
# modules they use (the first view's folding, the task view)
for f in src/output/render_*.c src/core/firstview.c src/core/tasks.c; do
	case " ${src[*]} " in *" $f "*) ;; *) src+=("$f") ;; esac
done
# a small unseen-frame slack: a 65536-deep placeholder chain rendered as a
# tree is gigabytes, and an input must stay cheap; the bound is the same code
clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-DCALLTREE_UNSEEN_SLACK=512 -D_GNU_SOURCE -Iinclude -Isrc -Ibuild tests/fuzz/fuzz_tracefile.c "${src[@]}" -lz -lm \
	-o "$build/fuzz_tracefile"

# seeds: a small valid recording (mkseed.c) and cuts of it
clang -std=gnu11 -g -D_GNU_SOURCE -Iinclude -Isrc tests/fuzz/mkseed.c src/core/tracefile.c -lz \
	-o "$build/mkseed"
"$build/mkseed" "$build/corpus/seed.ftrace"
size=$(stat -c %s "$build/corpus/seed.ftrace")
for cut in 8 16 40 $((size / 2)) $((size - 1)); do
	head -c "$cut" "$build/corpus/seed.ftrace" >"$build/corpus/cut-$cut.ftrace"
done

echo "fuzz: running the trace-file reader for ${secs}s"
# -timeout: an input that runs away (a depth that opens millions of frames)
# is a failure, not a stall
if "$build/fuzz_tracefile" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
	-print_final_stats=1 \
	-artifact_prefix="$build/" \
	"$build/corpus" >"$build/fuzz.log" 2>&1; then
	grep -E '^(stat::number_of_executed_units|#[0-9]+ +DONE)' "$build/fuzz.log" | tail -2 || true
	echo "fuzz: 1 passed, 0 failed"
else
	tail -40 "$build/fuzz.log"
	echo "fuzz: 0 passed, 1 failed"
	exit 1
fi
