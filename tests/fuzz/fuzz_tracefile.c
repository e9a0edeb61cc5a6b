// SPDX-License-Identifier: MIT
/* libFuzzer target: any bytes, read as a trace file, go through the reader,
 * the record decoder, the call-tree builder and the JSON and tree
 * renderers. Damage must give an error, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>

#include "calltree.h"
#include "filter.h"
#include "names.h"
#include "record.h"
#include "render.h"
#include "tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	FILE *fp = fmemopen((void *)data, size, "r");
	FILE *out = fopen("/dev/null", "w");

	if (!fp || !out)
		goto done;
	struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
	if (!r)
		goto done;
	const struct tracefile_meta *m = tracefile_reader__meta(r);
	struct calltree_opts co = { .t0 = m->t0, .keep = true };
	struct calltree *ct = calltree__new(&co);
	struct names *names = names__new();
	struct record_stats st = { 0 };
	const void *rec;
	uint32_t len;
	uint64_t last = m->t0;
	int n;

	while ((n = tracefile_reader__next(r, &rec, &len, err, sizeof(err))) == 1) {
		const struct ft_rec_hdr *h = rec;

		if (len >= sizeof(*h) && h->ts > last)
			last = h->ts;
		record_apply(ct, names, m->pid, rec, len, &st);
	}
	calltree__finish(ct, last);

	struct filter f = { 0 };
	struct render_meta meta = { .pid = m->pid, .python = m->python, .probe = m->probe };
	struct render_ctx rc = { .out = out, .names = names, .filter = &f, .meta = &meta };
	render_json.end(&rc, ct);
	rc.priv = NULL;
	render_tree.end(&rc, ct);
	filter__free(&f);
	calltree__free(ct);
	names__free(names);
	tracefile_reader__free(r);
done:
	if (fp)
		fclose(fp);
	if (out)
		fclose(out);
	return 0;
}
