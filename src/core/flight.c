// SPDX-License-Identifier: MIT
/* --flight's ring. An array of headers, grown by doubling up to exactly
 * the bound, so a quiet target does not pay for a busy one's window.
 * Two kinds of eviction: by age at every add (a record older than the
 * newest by more than the window goes), and by the bound when the array is
 * full; the latter remembers the newest record it pushed out, so a window
 * that reaches back past it is known to be shortened. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/flight.h"

struct flight {
	struct flight_opts opts;
	struct ft_rec_hdr *ring;
	uint64_t cap;  /* slots allocated: a power of two */
	uint64_t max;  /* slots the bound allows */
	uint64_t head; /* index of the oldest record, mod cap */
	uint64_t count;
	uint64_t evicted_ts; /* the newest record the bound pushed out; 0: none */
	bool evicted;
};

struct flight *flight__new(const struct flight_opts *opts)
{
	struct flight *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->opts = *opts;
	f->max = opts->max_bytes / sizeof(struct ft_rec_hdr);
	if (f->max < 1)
		f->max = 1;
	return f;
}

void flight__free(struct flight *f)
{
	if (!f)
		return;
	free(f->ring);
	free(f);
}

uint64_t flight__capacity(const struct flight *f)
{
	return f->max;
}

uint64_t flight__bytes(const struct flight *f)
{
	return f->cap * sizeof(struct ft_rec_hdr);
}

static const struct ft_rec_hdr *at(const struct flight *f, uint64_t i)
{
	return &f->ring[(f->head + i) % f->cap];
}

static int grow(struct flight *f)
{
	uint64_t cap = f->cap ? f->cap * 2 : 1024;

	if (f->cap >= f->max)
		return -ENOSPC;
	if (cap > f->max)
		cap = f->max;
	struct ft_rec_hdr *ring = malloc(cap * sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (uint64_t i = 0; i < f->count; i++)
		ring[i] = *at(f, i);
	free(f->ring);
	f->ring = ring;
	f->cap = cap;
	f->head = 0;
	return 0;
}

static void drop_oldest(struct flight *f)
{
	f->head = (f->head + 1) % f->cap;
	f->count--;
}

int flight__add(struct flight *f, const struct ft_rec_hdr *h)
{
	if (h->type != FT_REC_ENTRY && h->type != FT_REC_RETURN && h->type != FT_REC_EXEC)
		return 0;
	while (f->count && at(f, 0)->ts + f->opts.window_ns < h->ts)
		drop_oldest(f);
	if (f->count == f->cap || f->count >= f->max) {
		int err = f->count < f->max ? grow(f) : -ENOSPC;

		if (err == -ENOMEM && !f->count)
			return err;
		if (err) {
			/* full: the oldest record of the window goes */
			const struct ft_rec_hdr *old = at(f, 0);

			if (!f->evicted || old->ts > f->evicted_ts)
				f->evicted_ts = old->ts;
			f->evicted = true;
			drop_oldest(f);
		}
	}
	f->ring[(f->head + f->count) % f->cap] = *h;
	f->count++;
	return 0;
}

void flight__window(const struct flight *f, uint64_t end_ts, struct flight_window *w)
{
	memset(w, 0, sizeof(*w));
	if (!end_ts && f->count)
		end_ts = at(f, f->count - 1)->ts;
	w->end_ts = end_ts;
	w->start_ts = end_ts > f->opts.window_ns ? end_ts - f->opts.window_ns : 0;
	if (f->evicted && f->evicted_ts >= w->start_ts) {
		w->shortened = true;
		/* the window starts after the last record pushed out */
		w->start_ts = f->evicted_ts + 1;
	}
	for (uint64_t i = 0; i < f->count; i++) {
		uint64_t ts = at(f, i)->ts;

		if (ts >= w->start_ts && ts <= w->end_ts)
			w->records++;
	}
}

int flight__each(const struct flight *f, const struct flight_window *w,
		 int (*fn)(void *ctx, const struct ft_rec_hdr *h), void *ctx)
{
	for (uint64_t i = 0; i < f->count; i++) {
		const struct ft_rec_hdr *h = at(f, i);

		if (h->ts < w->start_ts || h->ts > w->end_ts)
			continue;
		int rc = fn(ctx, h);
		if (rc)
			return rc;
	}
	return 0;
}
