// SPDX-License-Identifier: MIT
/* The asyncio task view: TASK records group the steps of the per-thread
 * trees per task (by coroutine address and function, and Task address where
 * known), gaps are the time between steps, and the tree, json and chrome
 * formats show the tasks with --by-task. The section parser of 3.14's
 * asyncio debug offsets refuses what does not fit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calltree.h"
#include "core/filter.h"
#include "core/names.h"
#include "core/record.h"
#include "core/tasks.h"
#include "cpython/asyncio_debug.h"
#include "flowtrace/event.h"
#include "output/render.h"
#include "test.h"

#define PID 4242
#define TID 4243

enum { N_RUN = 1, N_MAIN, N_WORKER, N_PLAIN };

struct drive {
	struct calltree *ct;
	struct names *names;
	struct tasks *tk;
	struct record_stats st;
	uint32_t seq;
	int32_t depth;
};

static void feed(struct drive *d, const void *rec, size_t size)
{
	FT_EQ_INT(record_apply(d->ct, d->names, PID, rec, size, &d->st), 0);
	FT_EQ_INT(tasks__record(d->tk, d->ct, rec, size), 0);
}

static void enter(struct drive *d, uint64_t ts, uint32_t name)
{
	struct ft_rec_hdr h = {.ts = ts,
			       .tgid = PID,
			       .tid = TID,
			       .seq = d->seq++,
			       .depth = ++d->depth,
			       .type = FT_REC_ENTRY,
			       .arg = name};

	feed(d, &h, sizeof(h));
}

static void leave(struct drive *d, uint64_t ts, uint32_t name)
{
	struct ft_rec_hdr h = {.ts = ts,
			       .tgid = PID,
			       .tid = TID,
			       .seq = d->seq++,
			       .depth = d->depth--,
			       .type = FT_REC_RETURN,
			       .arg = name};

	feed(d, &h, sizeof(h));
}

/* the TASK record of the ENTRY that follows */
static void task(struct drive *d, uint64_t ts, uint64_t coro, uint32_t name, uint64_t addr,
		 const char *tname, uint16_t flags)
{
	struct ft_rec_task r = {.hdr = {.ts = ts,
					.tgid = PID,
					.tid = TID,
					.seq = d->seq,
					.depth = d->depth + 1,
					.type = FT_REC_TASK,
					.flags = flags,
					.arg = name},
				.coro = coro,
				.task = addr};

	if (tname)
		snprintf(r.name, sizeof(r.name), "%s", tname);
	feed(d, &r, sizeof(r));
}

/* one step of the loop: _run, then the coroutine (with a plain call in it) */
static void step(struct drive *d, uint64_t ts, uint64_t coro, uint32_t fn, uint64_t addr,
		 const char *tname, uint16_t flags, uint64_t dur)
{
	enter(d, ts, N_RUN);
	task(d, ts + 1, coro, fn, addr, tname, flags);
	enter(d, ts + 1, fn);
	enter(d, ts + 2, N_PLAIN);
	leave(d, ts + 3, N_PLAIN);
	leave(d, ts + 1 + dur, fn);
	leave(d, ts + 2 + dur, N_RUN);
}

static void drive_init(struct drive *d)
{
	struct calltree_opts o = {.keep = true};
	struct ft_rec_thread th = {.hdr = {.tgid = PID, .tid = TID, .type = FT_REC_THREAD}};

	memset(d, 0, sizeof(*d));
	d->ct = calltree__new(&o);
	d->names = names__new();
	d->tk = tasks__new();
	FT_TRUE(d->ct && d->names && d->tk);
	FT_EQ_INT(names__bind(d->names, N_RUN, "Handle._run", 11, "/a/events.py", 12, 80, 0), 0);
	FT_EQ_INT(names__bind(d->names, N_MAIN, "main", 4, "/app.py", 7, 5, 0), 0);
	FT_EQ_INT(names__bind(d->names, N_WORKER, "worker", 6, "/app.py", 7, 9, 0), 0);
	FT_EQ_INT(names__bind(d->names, N_PLAIN, "plain", 5, "/app.py", 7, 1, 0), 0);
	memcpy(th.comm, "python3", 8);
	feed(d, &th, sizeof(th));
}

static void drive_free(struct drive *d)
{
	tasks__free(d->tk);
	calltree__free(d->ct);
	names__free(d->names);
}

/* The sample: main (coroutine at 0xA) steps twice around a worker (0xB);
 * then 0xA holds a worker (the main coroutine died, its address reused);
 * then 0xA runs main again, marked as a first step: a new task. */
static void sample(struct drive *d)
{
	drive_init(d);
	step(d, 1000, 0xA, N_MAIN, 0, NULL, 0, 100);
	step(d, 2000, 0xB, N_WORKER, 0, NULL, 0, 50);
	step(d, 3000, 0xA, N_MAIN, 0, NULL, 0, 30);
	step(d, 4000, 0xA, N_WORKER, 0, NULL, 0, 10);
	step(d, 5000, 0xA, N_MAIN, 0, NULL, FT_TASK_F_FIRST, 10);
	calltree__finish(d->ct, 9000);
	tasks__finish(d->tk);
}

FT_TEST(tasks_group_steps_by_coroutine)
{
	struct drive d;
	const struct ft_task *t;

	sample(&d);
	FT_EQ_U64(d.st.tasks, 5);
	FT_EQ_U64(d.st.malformed, 0);
	FT_EQ_U64(tasks__count(d.tk), 4);
	t = tasks__at(d.tk, 0);
	FT_EQ_INT(t->id, 1);
	FT_EQ_U64(t->coro, 0xA);
	FT_EQ_INT(t->nsteps, 2);
	FT_EQ_STR(tasks__name(t), "Task-?");
	FT_EQ_STR(names__get(d.names, t->coro_name)->func, "main");
	/* each step is the coroutine's call, its plain call below it */
	FT_EQ_U64(t->steps[0].node->start_ns, 1001);
	FT_EQ_U64(t->steps[0].node->dur_ns, 100);
	FT_TRUE(t->steps[0].node->first_child != NULL);
	FT_EQ_U64(t->steps[1].node->start_ns, 3001);
	/* suspended from 1101 to 3001 */
	FT_EQ_U64(t->steps[0].gap_ns, 0);
	FT_EQ_U64(t->steps[1].gap_ns, 1900);
	FT_EQ_U64(t->suspended_ns, 1900);
	FT_EQ_U64(t->run_ns, 130);
	t = tasks__at(d.tk, 1);
	FT_EQ_U64(t->coro, 0xB);
	FT_EQ_INT(t->nsteps, 1);
	/* the address reused by another coroutine function, and a first step */
	t = tasks__at(d.tk, 2);
	FT_EQ_U64(t->coro, 0xA);
	FT_EQ_STR(names__get(d.names, t->coro_name)->func, "worker");
	FT_EQ_INT(t->nsteps, 1);
	t = tasks__at(d.tk, 3);
	FT_EQ_STR(names__get(d.names, t->coro_name)->func, "main");
	FT_EQ_INT(t->nsteps, 1);
	FT_EQ_INT(t->id, 4);
	drive_free(&d);
}

FT_TEST(tasks_names_and_task_addresses)
{
	struct drive d;

	drive_init(&d);
	step(&d, 1000, 0xA, N_MAIN, 0x100, "fetch-1", 0, 10);
	/* the same coroutine address under another Task object: a new task */
	step(&d, 2000, 0xA, N_MAIN, 0x200, "Task-7", 0, 10);
	step(&d, 3000, 0xA, N_MAIN, 0x200, "Task-7", 0, 10);
	calltree__finish(d.ct, 9000);
	tasks__finish(d.tk);
	FT_EQ_U64(tasks__count(d.tk), 2);
	FT_EQ_STR(tasks__name(tasks__at(d.tk, 0)), "fetch-1");
	FT_EQ_U64(tasks__at(d.tk, 0)->addr, 0x100);
	FT_EQ_STR(tasks__name(tasks__at(d.tk, 1)), "Task-7");
	FT_EQ_INT(tasks__at(d.tk, 1)->nsteps, 2);
	FT_EQ_U64(tasks__at(d.tk, 1)->steps[1].gap_ns, 3001 - 2011);
	drive_free(&d);
}

FT_TEST(tasks_record_without_its_entry_is_passed_over)
{
	struct drive d;

	drive_init(&d);
	enter(&d, 100, N_RUN);
	/* announced, but the next record is a return (the ENTRY was lost) */
	task(&d, 101, 0xA, N_MAIN, 0, NULL, 0);
	leave(&d, 102, N_RUN);
	/* a TASK whose seq is not the next ENTRY's */
	task(&d, 200, 0xA, N_MAIN, 0, NULL, 0);
	d.seq++;
	enter(&d, 201, N_MAIN);
	leave(&d, 202, N_MAIN);
	calltree__finish(d.ct, 9000);
	tasks__finish(d.tk);
	FT_EQ_U64(tasks__count(d.tk), 0);
	/* a short TASK record is damage, counted */
	{
		struct ft_rec_hdr h = {.tgid = PID, .tid = TID, .type = FT_REC_TASK};

		FT_EQ_INT(record_apply(d.ct, d.names, PID, &h, sizeof(h), &d.st), 0);
		FT_EQ_U64(d.st.malformed, 1);
	}
	drive_free(&d);
}

static char *render(const struct renderer *r, struct drive *d, struct filter *f)
{
	struct render_ctx rc = {.names = d->names, .filter = f, .tasks = d->tk};
	char *buf = NULL;
	size_t len = 0;

	rc.out = open_memstream(&buf, &len);
	FT_TRUE(rc.out);
	FT_EQ_INT(r->end(&rc, d->ct), 0);
	fclose(rc.out);
	return buf;
}

FT_TEST(tasks_render_tree_json_chrome)
{
	struct drive d;
	struct filter f = {0};
	const char *inc[] = {"/app.py"};
	char *out;

	sample(&d);
	out = render(&render_tree, &d, &f);
	FT_TRUE(strstr(out, "# asyncio tasks: 4\n") != NULL);
	FT_TRUE(strstr(out, "# task 1 \"Task-?\" (coroutine main() at 0xa): 2 steps, ran") != NULL);
	FT_TRUE(strstr(out, "#   1.900 us suspended\n") != NULL);
	/* the thread's own tree is still there, first */
	FT_TRUE(strstr(out, "# thread 4243 (python3)") != NULL);
	FT_TRUE(strstr(out, "# thread 4243") < strstr(out, "# asyncio tasks"));
	free(out);

	/* filters apply inside steps as in threads */
	f.include = inc;
	f.ninclude = 1;
	out = render(&render_json, &d, &f);
	FT_TRUE(strstr(out,
		       "\"tasks\":[{\"id\":1,\"pid\":4242,\"name\":\"Task-?\","
		       "\"name_known\":false,\"coro_addr\":\"0xa\",\"coro\":\"main\","
		       "\"coro_file\":\"/app.py\",\"coro_line\":5,\"run_ns\":130,"
		       "\"suspended_ns\":1900,\"steps\":[{\"tid\":4243,\"start_ns\":1001,"
		       "\"dur_ns\":100,\"suspended_before_ns\":0,\"calls\":[{\"func\":\"main\"") !=
		NULL);
	FT_TRUE(strstr(out, "Handle._run") == NULL);
	free(out);
	filter__free(&f);

	memset(&f, 0, sizeof(f));
	out = render(&render_chrome, &d, &f);
	FT_TRUE(strstr(out, "\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":4242,\"tid\":1000000001,"
			    "\"args\":{\"name\":\"task 1 Task-? (main)\"}") != NULL);
	FT_TRUE(strstr(out, "\"ph\":\"X\",\"ts\":1.001,\"dur\":0.100,\"pid\":4242,"
			    "\"tid\":1000000001") != NULL);
	free(out);
	filter__free(&f);
	drive_free(&d);
}

FT_TEST(tasks_without_by_task_change_nothing)
{
	struct drive d;
	struct filter f = {0};
	struct render_ctx rc = {.filter = &f};
	char *buf = NULL;
	size_t len = 0;

	sample(&d);
	rc.names = d.names;
	rc.out = open_memstream(&buf, &len);
	FT_EQ_INT(render_json.end(&rc, d.ct), 0);
	fclose(rc.out);
	FT_TRUE(strstr(buf, "\"tasks\"") == NULL);
	free(buf);
	drive_free(&d);
}

static void count_enter(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			bool has_children)
{
	(void)t;
	(void)n;
	(void)has_children;
	((int *)ctx)[0]++;
	if (depth > ((int *)ctx)[1])
		((int *)ctx)[1] = depth;
}

FT_TEST(filter_walk_node_stays_in_its_subtree)
{
	static const struct filter_visit v = {.enter = count_enter};
	struct drive d;
	struct filter f = {0};
	const struct ft_thread *t;
	int seen[2] = {0, 0};

	sample(&d);
	t = calltree__thread_at(d.ct, 0);
	/* the first root has four later siblings (the other steps' _run) */
	FT_TRUE(t->first_root->next != NULL);
	filter__walk_node(&f, d.names, t, t->first_root, &v, seen);
	FT_EQ_INT(seen[0], 3); /* _run, main, plain: not the siblings */
	FT_EQ_INT(seen[1], 2);
	seen[0] = seen[1] = 0;
	filter__walk(&f, d.names, t, &v, seen);
	FT_EQ_INT(seen[0], 15);
	filter__free(&f);
	drive_free(&d);
}

/* main's step (Task 0x100) creates two Tasks eagerly: a worker that
 * finishes in its first step (through the factory, a plain caller: a TASK
 * record like any step's) and one made right in main (its coroutine's
 * caller is main: FT_TASK_F_NESTED), which suspends and steps again later.
 * In main's step, a coroutine that enters the eval loop under main's own
 * Task (3.14 reads the running Task there, a throw() passed on) is no step. */
static void eager_sample(struct drive *d, uint64_t direct_task)
{
	/* direct_task 0: no Task read at all (a probe reads every Task's or
	 * none) */
	uint64_t main_task = direct_task ? 0x100 : 0, quick_task = direct_task ? 0x200 : 0;

	drive_init(d);
	enter(d, 1000, N_RUN);
	task(d, 1001, 0xA, N_MAIN, main_task, "main", 0);
	enter(d, 1001, N_MAIN);
	/* the factory's eager start */
	task(d, 1010, 0xB, N_WORKER, quick_task, "quick", 0);
	enter(d, 1010, N_WORKER);
	enter(d, 1011, N_PLAIN);
	leave(d, 1012, N_PLAIN);
	leave(d, 1020, N_WORKER);
	/* Task(coro, eager_start=True) in main: the caller is a coroutine */
	task(d, 1030, 0xC, N_WORKER, direct_task, "direct", FT_TASK_F_NESTED);
	enter(d, 1030, N_WORKER);
	leave(d, 1040, N_WORKER);
	/* under main's own Task: no step */
	task(d, 1050, 0xD, N_WORKER, main_task, "main", FT_TASK_F_NESTED);
	enter(d, 1050, N_WORKER);
	leave(d, 1055, N_WORKER);
	enter(d, 1060, N_PLAIN);
	leave(d, 1061, N_PLAIN);
	leave(d, 1100, N_MAIN);
	leave(d, 1101, N_RUN);
	step(d, 2000, 0xC, N_WORKER, direct_task, "direct", 0, 10);
	calltree__finish(d->ct, 9000);
	tasks__finish(d->tk);
}

static void count_enter_fn(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth,
			   bool has_children)
{
	(void)t;
	(void)n;
	(void)depth;
	(void)has_children;
	((int *)ctx)[0]++;
}

FT_TEST(tasks_eager_start_is_its_tasks_step_cut_from_the_creators)
{
	static const struct filter_visit v = {.enter = count_enter_fn};
	const struct filter_cut cut = {.cut = tasks__cut};
	struct filter_cut c = cut;
	struct drive d;
	struct filter f = {0};
	const struct ft_task *t;
	int seen = 0;
	char *out;

	eager_sample(&d, 0x300);
	FT_EQ_U64(tasks__count(d.tk), 3);
	t = tasks__at(d.tk, 0);
	FT_EQ_INT(t->nsteps, 1);
	FT_EQ_INT(t->steps[0].inside, 0);
	/* the worker that finished eagerly: one step, inside main's */
	t = tasks__at(d.tk, 1);
	FT_EQ_STR(tasks__name(t), "quick");
	FT_EQ_INT(t->nsteps, 1);
	FT_EQ_INT(t->steps[0].inside, 1);
	FT_EQ_U64(t->steps[0].node->start_ns, 1010);
	FT_TRUE(tasks__cut(d.tk, t->steps[0].node));
	/* made right in main: its eager step, then a step of its own */
	t = tasks__at(d.tk, 2);
	FT_EQ_STR(tasks__name(t), "direct");
	FT_EQ_INT(t->nsteps, 2);
	FT_EQ_INT(t->steps[0].inside, 1);
	FT_EQ_INT(t->steps[1].inside, 0);
	FT_EQ_U64(t->steps[1].gap_ns, 2001 - 1040);
	FT_TRUE(!tasks__cut(d.tk, t->steps[1].node));
	/* main's step without the two eager starts: main, plain; the
	 * coroutine under main's own Task stays in it */
	c.cut_ctx = d.tk;
	t = tasks__at(d.tk, 0);
	filter__walk_node_cut(&f, d.names, calltree__thread_at(d.ct, 0), t->steps[0].node, &c, &v,
			      &seen);
	FT_EQ_INT(seen, 3);
	/* the thread's tree is whole: _run, main, 3 workers, 2 plain, and the
	 * second step's _run, worker, plain */
	seen = 0;
	filter__walk(&f, d.names, calltree__thread_at(d.ct, 0), &v, &seen);
	FT_EQ_INT(seen, 10);
	FT_TRUE(!tasks__eager_blind(d.tk, "3.12.1"));

	out = render(&render_tree, &d, &f);
	FT_TRUE(strstr(out, "# task 2 \"quick\" (coroutine worker() at 0xb): 1 step,") != NULL);
	FT_TRUE(strstr(out, "# eager start: ran inside task 1's step\n") != NULL);
	FT_TRUE(strstr(out, "not seen") == NULL);
	/* in main's step, a line where each eager start ran, with its time */
	FT_TRUE(strstr(out, "|   [eager start of task 2 \"quick\": shown under that task]\n") !=
		NULL);
	FT_TRUE(strstr(out, "|   [eager start of task 3 \"direct\": shown under that task]\n") !=
		NULL);
	free(out);
	/* json and chrome leave it out: inside_task says where it ran */
	out = render(&render_chrome, &d, &f);
	FT_TRUE(strstr(out, "\"ts\":1.010,\"dur\":0.010,\"pid\":4242,\"tid\":1000000002") != NULL);
	FT_TRUE(strstr(out, "\"ts\":1.010,\"dur\":0.010,\"pid\":4242,\"tid\":1000000001") == NULL);
	free(out);
	out = render(&render_json, &d, &f);
	FT_TRUE(strstr(out, "\"tasks_eager_seen\":true,\"tasks\":[") != NULL);
	FT_TRUE(strstr(out, "\"suspended_before_ns\":0,\"inside_task\":1,\"calls\":[{\"func\":"
			    "\"worker\"") != NULL);
	free(out);
	filter__free(&f);
	drive_free(&d);

	/* Task(..., eager_start=True) in a coroutine with no Task read: not
	 * told from an awaited coroutine, no step; and the view says so */
	eager_sample(&d, 0);
	FT_EQ_U64(tasks__count(d.tk), 3);
	FT_EQ_INT(tasks__at(d.tk, 2)->nsteps, 1);
	FT_EQ_INT(tasks__at(d.tk, 2)->steps[0].inside, 0);
	drive_free(&d);
}

FT_TEST(tasks_eager_start_at_a_finished_tasks_addresses_is_a_new_task)
{
	struct drive d;

	drive_init(&d);
	/* a worker task (coroutine 0xB, Task 0x200) that finished */
	step(&d, 100, 0xB, N_WORKER, 0x200, "old", 0, 10);
	/* main's step starts one eagerly whose coroutine and Task took the
	 * same memory: nothing else tells them apart, but an eager start is
	 * a first step */
	enter(&d, 1000, N_RUN);
	task(&d, 1001, 0xA, N_MAIN, 0x100, "main", 0);
	enter(&d, 1001, N_MAIN);
	task(&d, 1010, 0xB, N_WORKER, 0x200, "new", FT_TASK_F_NESTED);
	enter(&d, 1010, N_WORKER);
	leave(&d, 1020, N_WORKER);
	leave(&d, 1100, N_MAIN);
	leave(&d, 1101, N_RUN);
	/* its next step, at the same addresses: the new task's */
	step(&d, 2000, 0xB, N_WORKER, 0x200, "new", 0, 10);
	calltree__finish(d.ct, 9000);
	tasks__finish(d.tk);
	FT_EQ_U64(tasks__count(d.tk), 3);
	FT_EQ_STR(tasks__name(tasks__at(d.tk, 0)), "old");
	FT_EQ_INT(tasks__at(d.tk, 0)->nsteps, 1);
	FT_EQ_STR(tasks__name(tasks__at(d.tk, 2)), "new");
	FT_EQ_INT(tasks__at(d.tk, 2)->nsteps, 2);
	FT_EQ_INT(tasks__at(d.tk, 2)->steps[0].inside, 2);
	drive_free(&d);
}

FT_TEST(tasks_eager_blind_where_a_task_was_not_read)
{
	struct drive d;
	struct filter f = {0};
	char *out;

	sample(&d); /* no Task read */
	FT_TRUE(tasks__eager_blind(d.tk, "3.12.1"));
	FT_TRUE(tasks__eager_blind(d.tk, "3.14.0"));
	FT_TRUE(tasks__eager_blind(d.tk, ""));
	FT_TRUE(tasks__eager_blind(d.tk, NULL));
	FT_TRUE(!tasks__eager_blind(d.tk, "3.11.7"));
	FT_TRUE(!tasks__eager_blind(d.tk, "3.8.18"));
	out = render(&render_tree, &d, &f);
	FT_TRUE(strstr(out, "# eager starts of Tasks created right in a coroutine are not seen") !=
		NULL);
	free(out);
	drive_free(&d);
	/* every Task read */
	drive_init(&d);
	step(&d, 1000, 0xA, N_MAIN, 0x100, "x", 0, 10);
	FT_TRUE(!tasks__eager_blind(d.tk, "3.13.0"));
	drive_free(&d);
}

/* Where the running Task is read in a process, a coroutine resumed from C
 * without one is no Task's (the import-time coroutines closed unstarted,
 * one driven by hand): not in the view, which is numbered without it, and
 * an eager start's creator id follows. A process with no Task read keeps
 * them: it cannot tell. */
FT_TEST(tasks_coroutine_without_a_task_is_no_task_where_tasks_are_read)
{
	struct drive d;
	const struct ft_task *t;

	drive_init(&d);
	step(&d, 100, 0xE, N_PLAIN, 0, NULL, 0, 5); /* _coro() closed at import */
	step(&d, 200, 0xA, N_MAIN, 0x100, "main", 0, 10);
	step(&d, 300, 0xF, N_PLAIN, 0, NULL, 0, 5); /* coro.send() by hand */
	/* main's next step starts a Task eagerly */
	enter(&d, 400, N_RUN);
	task(&d, 401, 0xA, N_MAIN, 0x100, "main", 0);
	enter(&d, 401, N_MAIN);
	task(&d, 410, 0xB, N_WORKER, 0x200, "quick", 0);
	enter(&d, 410, N_WORKER);
	leave(&d, 420, N_WORKER);
	leave(&d, 430, N_MAIN);
	leave(&d, 431, N_RUN);
	calltree__finish(d.ct, 9000);
	tasks__finish(d.tk);
	FT_EQ_U64(tasks__count(d.tk), 2);
	t = tasks__at(d.tk, 0);
	FT_EQ_INT(t->id, 1);
	FT_EQ_STR(tasks__name(t), "main");
	FT_EQ_INT(t->nsteps, 2);
	FT_EQ_U64(t->steps[1].gap_ns, 401 - 211);
	t = tasks__at(d.tk, 1);
	FT_EQ_INT(t->id, 2);
	FT_EQ_STR(tasks__name(t), "quick");
	FT_EQ_INT(t->steps[0].inside, 1);
	FT_TRUE(tasks__cut(d.tk, t->steps[0].node));
	FT_TRUE(tasks__eager_of(d.tk, t->steps[0].node) == t);
	FT_TRUE(!tasks__eager_blind(d.tk, "3.11.7"));
	drive_free(&d);

	/* no Task read anywhere: every coroutine resumed from C stays */
	drive_init(&d);
	step(&d, 100, 0xE, N_PLAIN, 0, NULL, 0, 5);
	step(&d, 200, 0xA, N_MAIN, 0, NULL, 0, 10);
	calltree__finish(d.ct, 9000);
	tasks__finish(d.tk);
	FT_EQ_U64(tasks__count(d.tk), 2);
	FT_EQ_INT(tasks__at(d.tk, 1)->id, 2);
	drive_free(&d);
}

/* The .AsyncioDebug section of CPython 3.14.7's _asyncio module (gcc). */
static const uint64_t SECTION_314[13] = {0xa8,	  0x88,	  0x60,	 0x6c,	0x6d,  0x80, 0x98,
					 0x37248, 0x2a80, 0x3a8, 0x360, 0x368, 0x370};

FT_TEST(asyncio_debug_section_parsed_and_checked)
{
	struct asyncio_debug d;
	uint64_t bad[13];

	FT_EQ_INT(asyncio_debug_parse(SECTION_314, sizeof(SECTION_314), &d), 0);
	FT_EQ_U64(d.task_name, 0x88);
	FT_EQ_U64(d.task_coro, 0x80);
	FT_EQ_U64(d.running_task, 0x368);
	FT_EQ_U64(d.running_loop, 0x360);
	/* too short: an older or foreign layout */
	FT_EQ_INT(asyncio_debug_parse(SECTION_314, 8 * 12, &d), -EINVAL);
	/* an offset outside its struct */
	memcpy(bad, SECTION_314, sizeof(bad));
	bad[1] = 0xa8;
	FT_EQ_INT(asyncio_debug_parse(bad, sizeof(bad), &d), -EINVAL);
	memcpy(bad, SECTION_314, sizeof(bad));
	bad[11] = 0x3a8;
	FT_EQ_INT(asyncio_debug_parse(bad, sizeof(bad), &d), -EINVAL);
	FT_EQ_INT(asyncio_debug_parse(NULL, 0, &d), -EINVAL);
}
