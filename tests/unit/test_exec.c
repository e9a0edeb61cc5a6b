// SPDX-License-Identifier: MIT
/* exec() of a new program mid-trace: the builder ends the old program's
 * frames at the exec and starts the new program's threads afresh; the
 * decoder, the renderers and trace files of the older record ABI. */
#include <stdlib.h>

#include "core/calltree.h"
#include "flowtrace/event.h"
#include "core/names.h"
#include "core/record.h"
#include "render_run.h"
#include "test.h"
#include "core/tracefile.h"

#define PID 4242

struct seen {
	uint32_t name[16], flags[16], image[16];
	int depth[16];
	size_t n;
};

static void on_complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct seen *s = ctx;

	FT_TRUE(s->n < 16);
	s->name[s->n] = n->name;
	s->flags[s->n] = n->flags;
	s->image[s->n] = t->image;
	s->depth[s->n++] = depth;
}

/* <module> → go → before → f, then the exec inside go; the new program
 * (same tid, seq and depth from 0) runs <module> → g. */
FT_TEST(calltree_exec_ends_old_frames_and_starts_afresh)
{
	struct calltree_opts o = {.t0 = 1000, .keep = true};
	struct calltree *ct = calltree__new(&o);
	struct calltree_stats st;
	const struct ft_thread *t;

	FT_TRUE(ct);
	FT_EQ_INT(calltree__thread(ct, PID, "python3.9"), 0);
	FT_EQ_INT(calltree__push(ct, PID, 1100, 0, 1, 1), 0); /* <module> */
	FT_EQ_INT(calltree__push(ct, PID, 1200, 1, 2, 2), 0); /* go */
	FT_EQ_INT(calltree__push(ct, PID, 1300, 2, 3, 3), 0); /* before */
	FT_EQ_INT(calltree__push(ct, PID, 1400, 3, 4, 4), 0); /* f */
	FT_EQ_INT(calltree__pop(ct, PID, 1500, 4, 4, 4), 0);
	FT_EQ_INT(calltree__pop(ct, PID, 1600, 5, 3, 3), 0);
	FT_EQ_INT(calltree__exec(ct, PID, 2000), 0);
	FT_EQ_INT(calltree__thread(ct, PID, "python3.12"), 0);
	FT_EQ_INT(calltree__push(ct, PID, 3000, 0, 1, 9), 0); /* the new <module> */
	FT_EQ_INT(calltree__push(ct, PID, 3100, 1, 2, 10), 0);
	FT_EQ_INT(calltree__pop(ct, PID, 3200, 2, 2, 10), 0);
	FT_EQ_INT(calltree__pop(ct, PID, 3300, 3, 1, 9), 0);
	calltree__finish(ct, 5000);

	FT_EQ_U64(calltree__nthreads(ct), 2);
	t = calltree__thread_at(ct, 0);
	FT_EQ_INT(t->tid, PID);
	FT_EQ_INT(t->image, 0);
	FT_EQ_STR(t->comm, "python3.9");
	/* the old program: one root, ended at the exec with go; before and f
	 * returned before it */
	const struct ft_node *mod = t->first_root, *go = mod->first_child;
	FT_TRUE(mod && !mod->next && go && !go->next);
	FT_EQ_INT(mod->name, 1);
	FT_EQ_INT(mod->flags, FT_NODE_EXEC);
	FT_EQ_U64(mod->start_ns, 100);
	FT_EQ_U64(mod->dur_ns, 900); /* ends at the exec: 2000 - 1000 - 100 */
	FT_EQ_INT(go->name, 2);
	FT_EQ_INT(go->flags, FT_NODE_EXEC);
	FT_EQ_U64(go->start_ns + go->dur_ns, 1000);
	FT_EQ_INT(go->first_child->name, 3);
	FT_EQ_INT(go->first_child->flags, 0);
	FT_EQ_INT(go->first_child->first_child->name, 4);

	/* the new program: a thread of its own, not nested under go */
	t = calltree__thread_at(ct, 1);
	FT_EQ_INT(t->tid, PID);
	FT_EQ_INT(t->image, 1);
	FT_EQ_STR(t->comm, "python3.12");
	FT_TRUE(t->first_root && !t->first_root->next);
	FT_EQ_INT(t->first_root->name, 9);
	FT_EQ_INT(t->first_root->flags, 0);
	FT_EQ_INT(t->first_root->first_child->name, 10);
	FT_EQ_U64(t->lost, 0);

	calltree__stats(ct, &st);
	FT_EQ_U64(st.execs, 1);
	FT_EQ_U64(st.lost, 0);
	FT_EQ_U64(st.open, 0);
	FT_EQ_U64(st.calls, 6);
	FT_EQ_U64(st.resyncs, 0);
	calltree__free(ct);
}

/* A thread other than the main one exec's: the kernel killed every other
 * thread first, and the new program's thread has the tgid as its tid. */
FT_TEST(calltree_exec_from_a_thread_ends_every_thread)
{
	struct calltree_opts o = {.t0 = 0, .keep = true};
	struct calltree *ct = calltree__new(&o);

	FT_TRUE(ct);
	FT_EQ_INT(calltree__push(ct, PID, 100, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, PID, 110, 1, 2, 2), 0);
	FT_EQ_INT(calltree__push(ct, PID + 1, 120, 0, 1, 3), 0);
	FT_EQ_INT(calltree__exec(ct, PID + 1, 500), 0);
	FT_EQ_INT(calltree__push(ct, PID, 600, 0, 1, 4), 0);
	calltree__finish(ct, 700);

	FT_EQ_U64(calltree__nthreads(ct), 3);
	const struct ft_thread *main = calltree__thread_at(ct, 0);
	const struct ft_thread *worker = calltree__thread_at(ct, 1);
	const struct ft_thread *next = calltree__thread_at(ct, 2);
	FT_EQ_INT(main->first_root->flags, FT_NODE_EXEC);
	FT_EQ_INT(main->first_root->first_child->flags, FT_NODE_EXEC);
	FT_EQ_U64(main->first_root->dur_ns, 400);
	FT_EQ_INT(worker->first_root->flags, FT_NODE_EXEC);
	FT_EQ_U64(worker->first_root->dur_ns, 380);
	FT_EQ_INT(next->tid, PID);
	FT_EQ_INT(next->image, 1);
	FT_EQ_INT(next->first_root->name, 4);
	FT_EQ_INT(next->first_root->flags, FT_NODE_UNFINISHED);
	calltree__free(ct);
}

/* Streaming (jsonl, record): ended frames are reported at the exec,
 * children first, each with its depth; a second exec counts as image 2. */
FT_TEST(calltree_exec_streaming)
{
	struct seen s = {0};
	struct calltree_opts o = {.t0 = 0, .keep = false, .on_complete = on_complete, .ctx = &s};
	struct calltree *ct = calltree__new(&o);
	struct calltree_stats st;

	FT_TRUE(ct);
	FT_EQ_INT(calltree__push(ct, PID, 100, 0, 1, 1), 0);
	FT_EQ_INT(calltree__push(ct, PID, 110, 1, 2, 2), 0);
	FT_EQ_INT(calltree__exec(ct, PID, 200), 0);
	FT_EQ_U64(s.n, 2);
	FT_EQ_INT(s.name[0], 2);
	FT_EQ_INT(s.depth[0], 1);
	FT_EQ_INT(s.name[1], 1);
	FT_EQ_INT(s.depth[1], 0);
	FT_EQ_INT(s.flags[0], FT_NODE_EXEC);
	FT_EQ_INT(s.flags[1], FT_NODE_EXEC);
	FT_EQ_INT(s.image[1], 0);
	/* the new program exec's again before any call of its own */
	FT_EQ_INT(calltree__exec(ct, PID, 300), 0);
	FT_EQ_INT(calltree__push(ct, PID, 400, 0, 1, 3), 0);
	FT_EQ_INT(calltree__pop(ct, PID, 500, 1, 1, 3), 0);
	FT_EQ_U64(s.n, 3);
	FT_EQ_INT(s.image[2], 2);
	FT_EQ_INT(s.flags[2], 0);
	calltree__stats(ct, &st);
	FT_EQ_U64(st.execs, 2);
	FT_EQ_U64(st.nodes, 0);
	calltree__free(ct);
}

FT_TEST(record_exec_applies_and_checks_size)
{
	struct calltree_opts o = {.keep = true};
	struct calltree *ct = calltree__new(&o);
	struct names *n = names__new();
	struct record_stats st = {0};
	struct ft_rec_hdr e = {.ts = 10, .tgid = PID, .tid = PID, .type = FT_REC_ENTRY, .arg = 1};
	struct ft_rec_exec x = {
		.hdr = {.ts = 20, .tgid = PID, .tid = PID, .type = FT_REC_EXEC},
		.file = "/usr/bin/python3",
	};

	FT_EQ_INT(record_apply(ct, n, PID, &e, sizeof(e), &st), 0);
	/* cut short: counted, not applied */
	FT_EQ_INT(record_apply(ct, n, PID, &x, sizeof(x.hdr), &st), 0);
	FT_EQ_U64(st.malformed, 1);
	FT_EQ_U64(st.execs, 0);
	FT_EQ_INT(record_apply(ct, n, PID, &x, sizeof(x), &st), 0);
	FT_EQ_U64(st.execs, 1);
	const struct ft_thread *t = calltree__thread_at(ct, 0);
	FT_EQ_INT(t->first_root->flags, FT_NODE_EXEC);
	FT_EQ_U64(t->first_root->dur_ns, 10);
	calltree__free(ct);
	names__free(n);
}

static void exec_sample(struct rdrive *d)
{
	rdrive_init(d);
	rd_name(d, 1, "<module>", "/tmp/a.py", 1, 0);
	rd_name(d, 2, "go", "/tmp/a.py", 6, 0);
	rd_name(d, 3, "main", "/tmp/b.py", 2, 0);
	rd_thread(d, PID, "python3");
	rd_enter(d, PID, 1000, 1);
	rd_enter(d, PID, 2000, 2);
	FT_EQ_INT(calltree__exec(d->ct, PID, 5000), 0);
	d->th[rdrive_th(d, PID)].seq = 0;
	d->th[rdrive_th(d, PID)].depth = 0;
	rd_thread(d, PID, "python3");
	rd_leaf(d, PID, 6000, 1000, 3);
	calltree__finish(d->ct, 9000);
}

FT_TEST(render_tree_exec)
{
	struct rdrive d;

	exec_sample(&d);
	char *out = rd_render(&render_tree, &d, NULL, NULL);
	FT_EQ_STR(out, "# DURATION     TID      FUNCTION\n"
		       "#\n"
		       "# thread 4242 (python3)\n"
		       "            [   4242] | <module>() {  # /tmp/a.py:1\n"
		       "   3.000 us [   4242] |   go();  # /tmp/a.py:6 [ended by exec]\n"
		       "   4.000 us [   4242] | } /* <module> */ [ended by exec]\n"
		       "#\n"
		       "# thread 4242 (python3) after exec 1\n"
		       "   1.000 us [   4242] | main();  # /tmp/b.py:2\n");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_json_exec)
{
	struct rdrive d;

	exec_sample(&d);
	char *out = rd_render(&render_json, &d, NULL, NULL);
	FT_TRUE(strstr(
		out,
		"\"func\":\"go\",\"file\":\"/tmp/a.py\",\"line\":6,\"start_ns\":2000,"
		"\"dur_ns\":3000,\"raw_dur_ns\":3000,\"ended_by_exec\":true,\"children\":[]}"));
	FT_TRUE(strstr(out, "{\"tid\":4242,\"name\":\"python3\",\"image\":1,\"calls\":["));
	/* the old program's thread carries no image key */
	FT_TRUE(strstr(out, "\"threads\":[{\"tid\":4242,\"name\":\"python3\",\"calls\":["));
	free(out);
	/* a replay of an older file says which ABI its records use */
	struct render_meta meta = {
		.pid = PID, .python = "", .probe = "usdt", .abi = 1, .tool = "flowtrace-bpf 0.1.0"};
	out = rd_render(&render_json, &d, NULL, &meta);
	FT_TRUE(strstr(out, "\"abi\":1,"));
	free(out);
	rdrive_free(&d);
}

/* ABI 2 only added FT_REC_EXEC: a file of ABI 1 replays as before; a
 * later ABI is refused. */
FT_TEST(tracefile_reads_older_abi)
{
	for (uint32_t abi = 0; abi <= FT_ABI_VERSION + 1; abi++) {
		char err[256] = "";
		FILE *fp;
		struct tracefile_writer *w;
		struct tracefile_meta m = {.pid = 1, .abi = abi};
		struct tracefile_end e = {0};
		char path[64];

		snprintf(path, sizeof(path), "/tmp/ft-unit-abi-%d.ftrace", getpid());
		w = tracefile_writer__create(path);
		FT_TRUE(w);
		FT_EQ_INT(tracefile_writer__begin(w, &m), 0);
		FT_EQ_INT(tracefile_writer__close(w, &e), 0);
		fp = fopen(path, "r");
		FT_TRUE(fp);
		struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
		if (abi >= FT_ABI_OLDEST && abi <= FT_ABI_VERSION) {
			FT_TRUE(r);
			FT_EQ_INT(tracefile_reader__meta(r)->abi, abi);
		} else {
			FT_TRUE(!r);
			FT_TRUE(strstr(err, "ABI"));
		}
		tracefile_reader__free(r);
		fclose(fp);
		unlink(path);
	}
}

/* --follow: a child process (its own tgid) execs while its parent runs
 * on. Only the child's frames end at the exec, only its tid is retired;
 * the parent's open frame stays open and its later calls nest in it. */
FT_TEST(calltree_exec_of_one_process_leaves_the_others)
{
	struct calltree_opts o = {.t0 = 1000, .keep = true};
	struct calltree *ct = calltree__new(&o);
	const struct ft_thread *t;

	FT_TRUE(ct);
	FT_EQ_INT(calltree__thread(ct, PID, "parent"), 0);
	FT_EQ_INT(calltree__thread_pid(ct, PID, PID), 0);
	FT_EQ_INT(calltree__push(ct, PID, 1100, 0, 1, 1), 0); /* parent: main */
	FT_EQ_INT(calltree__thread(ct, PID + 1, "child"), 0);
	FT_EQ_INT(calltree__thread_pid(ct, PID + 1, PID + 1), 0);
	FT_EQ_INT(calltree__push(ct, PID + 1, 1200, 0, 1, 2), 0); /* child: spawn_main */
	FT_EQ_INT(calltree__exec_pid(ct, PID + 1, PID + 1, 1300), 0);
	FT_EQ_INT(calltree__push(ct, PID, 1400, 1, 2, 3), 0); /* parent: f, inside main */
	FT_EQ_INT(calltree__pop(ct, PID, 1500, 2, 2, 3), 0);
	FT_EQ_INT(calltree__pop(ct, PID, 1600, 3, 1, 1), 0);
	/* the child's tid after the exec: a new thread */
	FT_EQ_INT(calltree__push(ct, PID + 1, 1700, 0, 1, 4), 0);
	FT_EQ_INT(calltree__pop(ct, PID + 1, 1800, 1, 1, 4), 0);
	calltree__finish(ct, 5000);

	FT_EQ_U64(calltree__nthreads(ct), 3);
	t = calltree__thread_at(ct, 0);
	FT_EQ_INT(t->pid, PID);
	FT_TRUE(t->first_root && !t->first_root->next);
	FT_EQ_INT(t->first_root->name, 1);
	FT_EQ_INT(t->first_root->flags, 0); /* returned, not ended by the child's exec */
	FT_EQ_INT(t->first_root->first_child->name, 3);
	t = calltree__thread_at(ct, 1);
	FT_EQ_INT(t->pid, PID + 1);
	FT_EQ_INT(t->first_root->name, 2);
	FT_EQ_INT(t->first_root->flags, FT_NODE_EXEC);
	FT_EQ_U64(t->first_root->start_ns + t->first_root->dur_ns, 300);
	t = calltree__thread_at(ct, 2);
	FT_EQ_INT(t->tid, PID + 1);
	FT_EQ_INT(t->image, 1);
	FT_EQ_INT(t->first_root->name, 4);
	FT_EQ_INT(t->first_root->flags, 0);
	calltree__free(ct);
}

/* --follow: each process counts its own execs (the tree's "after exec N"):
 * a process that exec'd once is after exec 1 however many others did, and
 * one that never exec'd, started after those execs, is no program after an
 * exec. */
FT_TEST(calltree_exec_numbers_per_process)
{
	struct calltree_opts o = {.t0 = 1000, .keep = true};
	struct calltree *ct = calltree__new(&o);
	const struct ft_thread *t;

	FT_TRUE(ct);
	for (uint32_t pid = PID + 1; pid <= PID + 2; pid++) {
		FT_EQ_INT(calltree__thread(ct, pid, "child"), 0);
		FT_EQ_INT(calltree__thread_pid(ct, pid, pid), 0);
		FT_EQ_INT(calltree__exec_pid(ct, pid, pid, 1100), 0);
		FT_EQ_INT(calltree__thread(ct, pid, "child"), 0);
		FT_EQ_INT(calltree__thread_pid(ct, pid, pid), 0);
		FT_EQ_INT(calltree__push(ct, pid, 1200, 0, 1, 1), 0);
	}
	FT_EQ_INT(calltree__thread(ct, PID + 3, "forked"), 0);
	FT_EQ_INT(calltree__thread_pid(ct, PID + 3, PID + 3), 0);
	FT_EQ_INT(calltree__push(ct, PID + 3, 1300, 0, 1, 2), 0);
	calltree__finish(ct, 5000);
	FT_EQ_U64(calltree__nthreads(ct), 5);
	t = calltree__thread_at(ct, 1);
	FT_EQ_INT(t->pid, PID + 1);
	FT_EQ_INT(t->image, 1);
	t = calltree__thread_at(ct, 3);
	FT_EQ_INT(t->pid, PID + 2);
	FT_EQ_INT(t->image, 1);
	t = calltree__thread_at(ct, 4);
	FT_EQ_INT(t->pid, PID + 3);
	FT_EQ_INT(t->image, 0);
	calltree__free(ct);
}
