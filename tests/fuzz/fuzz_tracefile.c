// SPDX-License-Identifier: MIT
/* libFuzzer target: any bytes, read as a trace file, go through the reader,
 * the record decoder, the call-tree builder and the JSON and tree
 * renderers. Damage must give an error, never a crash, a leak or memory
 * beyond what the file's records justify.
 *
 * Byte-level mutations almost never get past the blocks' CRCs, so a
 * structure-aware mutator (LLVMFuzzerCustomMutator) also inflates a
 * RECORDS block, edits one record's depth, seq, tid, name id, type, NAME
 * lengths or item size to an edge value, and writes the block back
 * compressed with a valid CRC: the builder and decoder then see crafted
 * values, as from a file edited on purpose. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/names.h"
#include "core/record.h"
#include "output/render.h"
#include "core/tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define FILE_HEAD   16
#define BLOCK_HEAD  20
#define BLOCK_MAGIC 0x31425446u /* "FTB1" */
#define RAW_MAX	    (1 << 20)  /* blocks larger than this are left to byte mutations */
#define ITEMS_MAX   4096

static uint32_t rng_next(uint32_t *s)
{
	/* xorshift32: enough to pick fields and values */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int32_t edge_depth(uint32_t *rng, int32_t old)
{
	static const int32_t edges[] = {
		INT32_MIN,		     INT32_MIN + 1, -CALLTREE_DEPTH_MAX - 1, -CALLTREE_DEPTH_MAX,
		-1,			     0,		    1,			     CALLTREE_DEPTH_MAX,
		CALLTREE_DEPTH_MAX + 1, INT32_MAX - 1, INT32_MAX,
	};
	uint32_t r = rng_next(rng);

	switch (r % 4) {
	case 0:
		return edges[(r >> 2) % (sizeof(edges) / sizeof(edges[0]))];
	case 1: /* a small step: what a lost record or two would explain */
		return (int32_t)((uint32_t)old + (r >> 2) % 9 - 4);
	case 2: /* a jump within the unseen-frame slack */
		return (int32_t)((uint32_t)old + (r >> 2) % (2 * CALLTREE_UNSEEN_SLACK + 1) -
				 CALLTREE_UNSEEN_SLACK);
	default:
		return (int32_t)rng_next(rng);
	}
}

static uint32_t edge_u32(uint32_t *rng, uint32_t old)
{
	static const uint32_t edges[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
	uint32_t r = rng_next(rng);

	switch (r % 3) {
	case 0:
		return edges[(r >> 2) % (sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return old + (r >> 2) % 9 - 4;
	default:
		return rng_next(rng);
	}
}

/* Edits one field of the record at rec (size bytes; at least a header). */
static void mutate_record(uint32_t *rng, unsigned char *item, uint32_t size)
{
	struct ft_rec_hdr h;
	uint32_t what = rng_next(rng) % 16;

	memcpy(&h, item + 8, sizeof(h));
	if (what < 7) {
		h.depth = edge_depth(rng, h.depth);
	} else if (what < 10) {
		h.seq = edge_u32(rng, h.seq);
	} else if (what < 12) {
		h.arg = edge_u32(rng, h.arg);
	} else if (what == 12) {
		h.tid = edge_u32(rng, h.tid);
	} else if (what == 13) {
		h.type = 1 + rng_next(rng) % 5;
	} else if (what == 14 && h.type == FT_REC_NAME && size >= sizeof(struct ft_rec_name)) {
		/* NAME lengths: counts that must stay within the record */
		uint16_t len = (uint16_t)edge_u32(rng, 0);
		memcpy(item + 8 + offsetof(struct ft_rec_name, func_len) + 2 * (rng_next(rng) % 2),
		       &len, sizeof(len));
	} else {
		/* the item's size: the reader must catch it */
		uint32_t s = edge_u32(rng, size);
		memcpy(item, &s, sizeof(s));
	}
	memcpy(item + 8, &h, sizeof(h));
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static unsigned char raw[RAW_MAX], out[FILE_HEAD + BLOCK_HEAD + RAW_MAX + 4096];
	size_t blocks[64], nblocks = 0, items[ITEMS_MAX], nitems = 0;
	uint32_t rng = seed | 1, h[5];

	if (rng_next(&rng) % 4 == 0)
		return LLVMFuzzerMutate(data, size, max_size);
	for (size_t pos = FILE_HEAD; pos + BLOCK_HEAD <= size && nblocks < 64;) {
		memcpy(h, data + pos, sizeof(h));
		if (h[0] != BLOCK_MAGIC || h[3] > size - pos - BLOCK_HEAD)
			break;
		if (h[1] == 2 && h[2] <= RAW_MAX)
			blocks[nblocks++] = pos;
		pos += BLOCK_HEAD + h[3];
	}
	if (!nblocks)
		return LLVMFuzzerMutate(data, size, max_size);

	size_t pos = blocks[rng_next(&rng) % nblocks];
	memcpy(h, data + pos, sizeof(h));
	uLongf len = h[2];
	if (uncompress(raw, &len, data + pos + BLOCK_HEAD, h[3]) != Z_OK || len != h[2])
		return LLVMFuzzerMutate(data, size, max_size);
	for (size_t off = 0; off + 8 <= len && nitems < ITEMS_MAX;) {
		uint32_t isize;

		memcpy(&isize, raw + off, sizeof(isize));
		if (isize > 65536 || off + 8 + ((isize + 7) & ~7u) > len)
			break;
		if (isize >= sizeof(struct ft_rec_hdr))
			items[nitems++] = off;
		off += 8 + ((isize + 7) & ~7u);
	}
	if (!nitems)
		return LLVMFuzzerMutate(data, size, max_size);
	size_t off = items[rng_next(&rng) % nitems];
	uint32_t isize;
	memcpy(&isize, raw + off, sizeof(isize));
	mutate_record(&rng, raw + off, isize);

	/* the block again: compressed, with the CRC of what it now holds */
	uLongf zlen = sizeof(out) - pos - BLOCK_HEAD;
	size_t rest = size - pos - BLOCK_HEAD - h[3];
	if (pos + BLOCK_HEAD > sizeof(out) ||
	    compress2(out + pos + BLOCK_HEAD, &zlen, raw, len, 1) != Z_OK ||
	    pos + BLOCK_HEAD + zlen + rest > max_size ||
	    pos + BLOCK_HEAD + zlen + rest > sizeof(out))
		return LLVMFuzzerMutate(data, size, max_size);
	memcpy(out, data, pos);
	h[3] = zlen;
	h[4] = crc32(0, raw, len);
	memcpy(out + pos, h, sizeof(h));
	memcpy(out + pos + BLOCK_HEAD + zlen, data + size - rest, rest);
	memcpy(data, out, pos + BLOCK_HEAD + zlen + rest);
	return pos + BLOCK_HEAD + zlen + rest;
}

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
	struct calltree_opts co = {.t0 = m->t0, .keep = true};
	struct calltree *ct = calltree__new(&co);
	struct names *names = names__new();
	struct record_stats st = {0};
	struct calltree_stats cs;
	const void *rec;
	uint32_t len;
	uint64_t last = m->t0;
	int n;

	while ((n = tracefile_reader__next(r, &rec, &len, err, sizeof(err))) == 1) {
		const struct ft_rec_hdr *h = rec;

		/* as replay does: a refused depth is damage; the rest is not read */
		if (record_apply(ct, names, m->pid, rec, len, &st) == -ERANGE)
			break;
		if (len >= sizeof(*h) && h->ts > last)
			last = h->ts;
		/* the builder's promise: frames no record backs stay within the slack */
		calltree__stats(ct, &cs);
		if (cs.unseen > cs.records + CALLTREE_UNSEEN_SLACK)
			abort();
	}
	calltree__finish(ct, last);

	struct filter f = {0};
	struct render_meta meta = {.pid = m->pid, .python = m->python, .probe = m->probe};
	struct render_ctx rc = {.out = out, .names = names, .filter = &f, .meta = &meta};
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
