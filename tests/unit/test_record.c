// SPDX-License-Identifier: MIT
/* Record decoding: valid records reach the builder and the name table;
 * short, damaged or foreign records are counted and skipped. */
#include <stdlib.h>

#include "core/calltree.h"
#include "flowtrace/event.h"
#include "core/names.h"
#include "core/record.h"
#include "test.h"

#define PID 4242

static struct ft_rec_hdr hdr(uint16_t type, uint32_t seq, int32_t depth, uint32_t arg)
{
	return (struct ft_rec_hdr){.ts = 5000 + seq,
				   .tgid = PID,
				   .tid = PID + 1,
				   .seq = seq,
				   .depth = depth,
				   .type = type,
				   .arg = arg};
}

static size_t name_rec(char *buf, uint32_t id, const char *func, const char *file, uint16_t flags)
{
	struct ft_rec_name *r = (struct ft_rec_name *)buf;
	size_t fl = strlen(func) + 1, pl = strlen(file) + 1;

	r->hdr = hdr(FT_REC_NAME, 0, 0, id);
	r->hdr.flags = flags;
	r->line = 12;
	r->func_len = fl;
	r->file_len = pl;
	memcpy(r->data, func, fl);
	memcpy(r->data + fl, file, pl);
	return sizeof(*r) + fl + pl;
}

FT_TEST(record_entry_return_name_thread)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	char buf[256];
	struct ft_rec_thread th = {.hdr = hdr(FT_REC_THREAD, 0, 0, 0)};
	struct ft_rec_hdr e = hdr(FT_REC_ENTRY, 0, 1, 1), r = hdr(FT_REC_RETURN, 1, 1, 1);

	memcpy(th.comm, "worker-1", 9);
	FT_EQ_INT(record_apply(ct, n, PID, &th, sizeof(th), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, buf, name_rec(buf, 1, "fib", "/a.py", 0), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, &e, sizeof(e), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, &r, sizeof(r), &st), 0);
	FT_EQ_U64(st.events, 2);
	FT_EQ_U64(st.names, 1);
	FT_EQ_U64(st.threads, 1);
	FT_EQ_U64(st.malformed, 0);
	const struct ft_thread *t = calltree__thread_at(ct, 0);
	FT_EQ_STR(t->comm, "worker-1");
	FT_EQ_STR(names__get(n, t->first_root->name)->func, "fib");
	FT_EQ_STR(names__get(n, 1)->file, "/a.py");
	FT_EQ_INT(names__get(n, 1)->line, 12);
	calltree__free(ct);
	names__free(n);
}

FT_TEST(record_cut_and_unreadable_names)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	char buf[256];

	record_apply(ct, n, PID, buf, name_rec(buf, 1, "abc", "/a.py", FT_NAME_F_FUNC_CUT), &st);
	record_apply(ct, n, PID, buf, name_rec(buf, 2, "", "/a.py", FT_NAME_F_READ_ERR), &st);
	FT_TRUE(names__get(n, 1)->flags & FT_NAME_CUT);
	FT_EQ_STR(names__get(n, 2)->func, "<unreadable>");
	calltree__free(ct);
	names__free(n);
}

FT_TEST(record_damaged_records_are_skipped)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	char buf[256];
	struct ft_rec_hdr e = hdr(FT_REC_ENTRY, 0, 1, 1);
	struct ft_rec_hdr bad = hdr(99, 0, 1, 1);

	/* too short for a header */
	FT_EQ_INT(record_apply(ct, n, PID, &e, sizeof(e) - 1, &st), 0);
	/* unknown type */
	FT_EQ_INT(record_apply(ct, n, PID, &bad, sizeof(bad), &st), 0);
	/* NAME whose lengths run past the record */
	size_t len = name_rec(buf, 1, "fib", "/a.py", 0);
	FT_EQ_INT(record_apply(ct, n, PID, buf, len - 1, &st), 0);
	/* NAME with a zero length */
	((struct ft_rec_name *)buf)->func_len = 0;
	FT_EQ_INT(record_apply(ct, n, PID, buf, len, &st), 0);
	/* NAME shorter than its fixed part */
	FT_EQ_INT(record_apply(ct, n, PID, buf, sizeof(struct ft_rec_hdr) + 2, &st), 0);
	/* THREAD cut short (shorter than an older build's record, which had
	 * no namespace ids) */
	struct ft_rec_thread th = {.hdr = hdr(FT_REC_THREAD, 0, 0, 0)};
	FT_EQ_INT(record_apply(ct, n, PID, &th, FT_REC_THREAD_MIN - 4, &st), 0);
	FT_EQ_U64(st.malformed, 6);
	FT_EQ_U64(st.events, 0);
	FT_EQ_INT(names__ids(n), 0);
	FT_EQ_INT(calltree__nthreads(ct), 0);
	calltree__free(ct);
	names__free(n);
}

/* A NAME record that binds an id again to another name (never sent by
 * BPF, possible in a damaged file) names the calls after it, not those
 * before. */
FT_TEST(record_rebound_id_keeps_earlier_calls_named)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	char buf[256];
	struct ft_rec_hdr e0 = hdr(FT_REC_ENTRY, 0, 1, 1), r0 = hdr(FT_REC_RETURN, 1, 1, 1);
	struct ft_rec_hdr e1 = hdr(FT_REC_ENTRY, 2, 1, 1), r1 = hdr(FT_REC_RETURN, 3, 1, 1);

	record_apply(ct, n, PID, buf, name_rec(buf, 1, "work", "/m0.py", 0), &st);
	FT_EQ_INT(record_apply(ct, n, PID, &e0, sizeof(e0), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, &r0, sizeof(r0), &st), 0);
	record_apply(ct, n, PID, buf, name_rec(buf, 1, "work", "/m1.py", 0), &st);
	FT_EQ_INT(record_apply(ct, n, PID, &e1, sizeof(e1), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, &r1, sizeof(r1), &st), 0);
	const struct ft_thread *t = calltree__thread_at(ct, 0);
	FT_TRUE(t->first_root && t->first_root->next);
	FT_EQ_STR(names__get(n, t->first_root->name)->file, "/m0.py");
	FT_EQ_STR(names__get(n, t->first_root->next->name)->file, "/m1.py");
	calltree__free(ct);
	names__free(n);
}

FT_TEST(record_other_process_is_ignored)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	struct ft_rec_hdr e = hdr(FT_REC_ENTRY, 0, 1, 1);

	e.tgid = PID + 100;
	FT_EQ_INT(record_apply(ct, n, PID, &e, sizeof(e), &st), 0);
	FT_EQ_U64(st.foreign, 1);
	FT_EQ_INT(calltree__nthreads(ct), 0);
	calltree__free(ct);
	names__free(n);
}

/* A THREAD record says the thread's ids in its own PID namespace; an older
 * build's record (FT_REC_THREAD_MIN bytes) has none and still applies. */
FT_TEST(record_thread_namespace_ids)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	struct ft_rec_thread th = {.hdr = hdr(FT_REC_THREAD, 0, 0, 0), .comm = "python3"};
	const struct ft_thread *t;

	th.hdr.tid = PID + 1;
	th.ns_tid = 7;
	th.ns_pid = 1;
	FT_EQ_INT(record_apply(ct, n, PID, &th, sizeof(th), &st), 0);
	th.hdr.tid = PID + 2;
	th.ns_tid = 8;
	FT_EQ_INT(record_apply(ct, n, PID, &th, FT_REC_THREAD_MIN, &st), 0);
	FT_EQ_U64(st.malformed, 0);
	FT_EQ_INT(calltree__nthreads(ct), 2);
	t = calltree__thread_at(ct, 0);
	FT_EQ_INT(t->tid, PID + 1);
	FT_EQ_INT(t->pid, PID);
	FT_EQ_INT(t->ns_tid, 7);
	FT_EQ_INT(t->ns_pid, 1);
	t = calltree__thread_at(ct, 1);
	FT_EQ_INT(t->tid, PID + 2);
	FT_EQ_STR(t->comm, "python3");
	FT_EQ_INT(t->ns_tid, 0);
	FT_EQ_INT(t->ns_pid, 0);
	calltree__free(ct);
	names__free(n);
}

/* The tracer's cost record (RECORD_COST) is of no process: it passes the
 * process filter, refines the builder's cost from then on, and a short
 * one is skipped. E(1) at 1 us a hit, the cost record, R(1) at 3 us: the
 * call loses half of each, 2 us of its 100. */
FT_TEST(record_cost_refines_the_correction)
{
	struct calltree_opts o = {.keep = true, .cal = {1000000, 0}};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	struct ft_rec_hdr e = hdr(FT_REC_ENTRY, 0, 1, 1), r = hdr(FT_REC_RETURN, 1, 1, 1);
	struct record_cost c = {.hdr = {.type = RECORD_COST}, .hit_ps = 3000000};

	r.ts = e.ts + 100000;
	FT_EQ_INT(record_apply(ct, n, PID, &e, sizeof(e), &st), 0);
	FT_EQ_INT(record_apply(ct, n, PID, &c, sizeof(c.hdr), &st), 0);
	FT_EQ_U64(st.malformed, 1);
	FT_EQ_INT(record_apply(ct, n, PID, &c, sizeof(c), &st), 0);
	FT_EQ_U64(st.costs, 1);
	FT_EQ_U64(st.foreign, 0);
	FT_EQ_INT(record_apply(ct, n, PID, &r, sizeof(r), &st), 0);
	calltree__finish(ct, r.ts + 1000);
	FT_EQ_U64(calltree__thread_at(ct, 0)->first_root->dur_ns, 98000);
	calltree__free(ct);
	names__free(n);
}
