// SPDX-License-Identifier: MIT
/* --flight's ring: what a window holds, how the bound shortens it (and
 * says so), and that memory stays at the bound over millions of records. */
#include <stdint.h>

#include "core/flight.h"
#include "test.h"

static struct ft_rec_hdr rec(uint64_t ts, uint32_t seq, uint16_t type)
{
	return (struct ft_rec_hdr){.ts = ts, .tgid = 1, .tid = 1, .seq = seq, .type = type};
}

struct seen {
	uint64_t n, first, last;
};

static int count(void *ctx, const struct ft_rec_hdr *h)
{
	struct seen *s = ctx;

	if (!s->n++)
		s->first = h->ts;
	s->last = h->ts;
	return 0;
}

FT_TEST(flight_window_holds_the_last_seconds)
{
	struct flight_opts o = {.window_ns = 100, .max_bytes = 1 << 20};
	struct flight *f = flight__new(&o);
	struct flight_window w;
	struct seen s = {0};

	FT_TRUE(f);
	for (uint64_t ts = 1000; ts < 2000; ts++) {
		struct ft_rec_hdr h = rec(ts, (uint32_t)ts, ts & 1 ? FT_REC_RETURN : FT_REC_ENTRY);
		FT_EQ_INT(flight__add(f, &h), 0);
	}
	/* names and threads are not kept: the trace's tables have them */
	struct ft_rec_hdr name = rec(1999, 0, FT_REC_NAME);
	flight__add(f, &name);
	flight__window(f, 0, &w);
	FT_EQ_U64(w.end_ts, 1999);
	FT_EQ_U64(w.start_ts, 1899);
	FT_TRUE(!w.shortened);
	FT_EQ_U64(w.records, 101);
	flight__each(f, &w, count, &s);
	FT_EQ_U64(s.n, 101);
	FT_EQ_U64(s.first, 1899);
	FT_EQ_U64(s.last, 1999);
	/* a window ending earlier: only what is still held */
	flight__window(f, 1950, &w);
	FT_EQ_U64(w.records, 52);
	flight__free(f);
}

FT_TEST(flight_bound_shortens_the_window_and_says_so)
{
	/* 64 records at most, a window that would need 1000 */
	struct flight_opts o = {.window_ns = 1000000, .max_bytes = 64 * sizeof(struct ft_rec_hdr)};
	struct flight *f = flight__new(&o);
	struct flight_window w;
	struct seen s = {0};

	FT_EQ_U64(flight__capacity(f), 64);
	for (uint64_t ts = 1; ts <= 1000; ts++) {
		struct ft_rec_hdr h = rec(ts, (uint32_t)ts, FT_REC_ENTRY);
		flight__add(f, &h);
	}
	flight__window(f, 0, &w);
	FT_TRUE(w.shortened);
	FT_EQ_U64(w.records, 64);
	FT_EQ_U64(w.start_ts, 937); /* after the newest record pushed out, 936 */
	flight__each(f, &w, count, &s);
	FT_EQ_U64(s.first, 937);
	FT_EQ_U64(s.last, 1000);
	/* later, once the pushed-out records are older than the window, a
	 * window is whole again */
	struct ft_rec_hdr late = rec(3000000, 2000, FT_REC_RETURN);
	flight__add(f, &late);
	flight__window(f, 0, &w);
	FT_TRUE(!w.shortened);
	FT_EQ_U64(w.records, 1);
	flight__free(f);
}

FT_TEST(flight_memory_stays_at_the_bound_over_millions_of_records)
{
	struct flight_opts o = {.window_ns = UINT64_MAX / 2, .max_bytes = 1000 * 1000};
	struct flight *f = flight__new(&o);
	struct flight_window w;

	for (uint64_t i = 0; i < 5000000; i++) {
		struct ft_rec_hdr h = rec(i + 1, (uint32_t)i, i & 1 ? FT_REC_RETURN : FT_REC_ENTRY);
		FT_EQ_INT(flight__add(f, &h), 0);
		if (flight__bytes(f) > o.max_bytes)
			FT_FAIL("%llu bytes after %llu records",
				(unsigned long long)flight__bytes(f), (unsigned long long)i);
	}
	FT_EQ_U64(flight__capacity(f), 1000 * 1000 / sizeof(struct ft_rec_hdr));
	flight__window(f, 0, &w);
	FT_TRUE(w.shortened);
	FT_EQ_U64(w.records, flight__capacity(f));
	FT_EQ_U64(w.end_ts, 5000000);
	FT_EQ_U64(w.start_ts, 5000000 - flight__capacity(f) + 1);
	flight__free(f);
}

FT_TEST(flight_window_by_age_frees_nothing_it_needs)
{
	/* a quiet target: a window of 10 with records 3 apart keeps 4 */
	struct flight_opts o = {.window_ns = 10, .max_bytes = 1 << 20};
	struct flight *f = flight__new(&o);
	struct flight_window w;

	for (uint64_t ts = 3; ts <= 3000000; ts += 3) {
		struct ft_rec_hdr h = rec(ts, (uint32_t)ts, FT_REC_ENTRY);
		flight__add(f, &h);
	}
	flight__window(f, 0, &w);
	FT_TRUE(!w.shortened);
	FT_EQ_U64(w.records, 4); /* 2999991 .. 3000000 */
	/* the array never grew past its first size */
	FT_TRUE(flight__bytes(f) <= 1024 * sizeof(struct ft_rec_hdr));
	flight__free(f);
}
