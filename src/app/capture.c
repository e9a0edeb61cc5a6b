// SPDX-License-Identifier: MIT
/* Capture windows on the record pipeline (see capture.h).
 *
 * A window is rendered by running its records through a builder of its
 * own, exactly as a replay would: the ring keeps each thread's records as a
 * suffix of what it sent, so a frame whose entry left the window returns
 * below the window's first level and is wrapped as entered before it
 * (FT_NODE_BEFORE_ATTACH, start 0 = the window's start), and a frame still
 * open at its end is unfinished. Sequence numbers are rebased per thread at
 * its first record in the window: the gap before it is the window's edge,
 * not a loss; gaps inside it are. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/capture.h"
#include "app/cli.h"
#include "app/pipeline.h"
#include "core/flight.h"
#include "core/hashmap.h"
#include "core/names.h"
#include "core/trigger.h"
#include "sys/log.h"

struct trigger *capture_trigger(struct pipeline *p, bool keep, calltree_complete_fn emit, void *ctx)
{
	struct trigger_opts to = {
		.globs = p->cfg->trigger,
		.nglobs = p->cfg->ntrigger,
		.names = p->names,
		.min_dur_ns = p->cfg->min_dur_ns,
		.keep = keep,
		.emit = emit,
		.ctx = ctx,
	};

	return trigger__new(&to);
}

int capture_flight_open(struct pipeline *p)
{
	struct flight_opts fo = {
		.window_ns = (uint64_t)(p->cfg->flight_s * 1e9),
		.max_bytes = p->cfg->flight_size,
	};

	p->flight = flight__new(&fo);
	if (!p->flight)
		return -ENOMEM;
	if (p->cfg->cmd != FT_CMD_TRACE) {
		fprintf(stderr,
			"flowtrace-bpf: flight: rendering the recording's last %g s, kept in at "
			"most %llu MiB (%llu records)\n",
			p->cfg->flight_s, (unsigned long long)(p->cfg->flight_size >> 20),
			(unsigned long long)flight__capacity(p->flight));
		return 0;
	}
	fprintf(stderr,
		"flowtrace-bpf: flight: keeping the last %g s of calls in at most %llu MiB "
		"(%llu records); SIGUSR1 writes them to a file, the exit to %s\n",
		p->cfg->flight_s, (unsigned long long)(p->cfg->flight_size >> 20),
		(unsigned long long)flight__capacity(p->flight),
		p->cfg->output ? p->cfg->output : "standard output");
	return 0;
}

void capture_flight_add(struct pipeline *p, const void *data, uint32_t size)
{
	struct ft_rec_hdr h;

	if (size < sizeof(h))
		return;
	memcpy(&h, data, sizeof(h));
	/* the id as it reads now: a later rebinding must not rename the
	 * calls already in the ring */
	if (h.type == FT_REC_ENTRY || h.type == FT_REC_RETURN)
		h.arg = names__id(p->names, h.arg);
	if (flight__add(p->flight, &h) == -ENOMEM)
		pipeline__fail(p, -ENOMEM);
}

struct window {
	struct pipeline *p;
	struct calltree *ct;
	struct trigger *trig;
	struct render_ctx rc;
	struct hashmap base; /* tid -> its first seq in the window */
	int err;
	bool running;	  /* the calls completing now ran across the whole window */
	uint64_t wrapped; /* such calls */
};

static void window_emit(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct window *w = ctx;

	if (w->running) {
		struct ft_node c = *n;

		c.flags |= FT_NODE_UNFINISHED;
		w->p->renderer->call(&w->rc, t, &c, depth);
		return;
	}
	w->p->renderer->call(&w->rc, t, n, depth);
}

/* The last thread of ct with t's tid and program. */
static const struct ft_thread *last_thread(const struct calltree *ct, const struct ft_thread *t)
{
	for (size_t i = calltree__nthreads(ct); i-- > 0;) {
		const struct ft_thread *o = calltree__thread_at(ct, i);

		if (o->tid == t->tid && o->image == t->image)
			return o;
	}
	return NULL;
}

/* Frames running across the whole window (a server's loop) have no record
 * in it: their entry is older, their return later. The live builder holds
 * them open now; those above the window's roots wrap them, entered before
 * the window and unfinished at its end, as a return from below the roots
 * would wrap them (a synthetic one, at the window's end). */
static void wrap_running(struct window *w, uint64_t end_ts)
{
	w->running = true;
	for (size_t i = 0; i < calltree__nthreads(w->ct); i++) {
		const struct ft_thread *t = calltree__thread_at(w->ct, i);
		const struct ft_thread *l = last_thread(w->p->ct, t);

		if (!l || t->nstack)
			continue;
		for (size_t k = l->nstack; k-- > 0;) {
			const struct ft_node *f = l->stack[k];

			if (f->level >= t->base)
				continue;
			if (f->level != t->base - 1 ||
			    calltree__pop(w->ct, t->tid, end_ts, t->next_seq, f->level, f->name))
				break;
			w->wrapped++;
			/* kept formats: the wrapping call (or, with --trigger, its
			 * context copy) is the last root now */
			const struct ft_thread *o = t;
			if (w->trig)
				o = last_thread(trigger__forest(w->trig), t);
			if (o && o->last_root && (w->trig || !w->p->renderer->streaming))
				((struct ft_node *)o->last_root)->flags |= FT_NODE_UNFINISHED;
		}
	}
	w->running = false;
}

/* The comm the trace knows for tid: its latest thread of that id. */
static const char *comm_of(const struct calltree *live, uint32_t tid)
{
	for (size_t i = calltree__nthreads(live); i-- > 0;) {
		const struct ft_thread *t = calltree__thread_at(live, i);

		if (t->tid == tid)
			return t->comm;
	}
	return "";
}

static int window_record(void *ctx, const struct ft_rec_hdr *h)
{
	struct window *w = ctx;
	uint64_t base;
	int err;

	if (h->type == FT_REC_EXEC) {
		/* the new program's threads count their records afresh */
		hashmap__clear(&w->base);
		err = calltree__exec(w->ct, h->tid, h->ts);
	} else {
		if (!hashmap__find(&w->base, h->tid, &base)) {
			base = h->seq;
			err = hashmap__add(&w->base, h->tid, base, NULL);
			if (!err)
				err = calltree__thread(w->ct, h->tid, comm_of(w->p->ct, h->tid));
			if (err)
				return w->err = err;
		}
		uint32_t seq = h->seq - (uint32_t)base;
		if (h->type == FT_REC_ENTRY && (h->flags & FT_ENTRY_F_RUNNING))
			err = calltree__push_running(w->ct, h->tid, h->ts, seq, h->depth, h->arg);
		else if (h->type == FT_REC_ENTRY)
			err = calltree__push(w->ct, h->tid, h->ts, seq, h->depth, h->arg);
		else
			err = calltree__pop(w->ct, h->tid, h->ts, seq, h->depth, h->arg);
	}
	/* a refused depth was refused live too, and counted there */
	if (err == -ENOMEM)
		return w->err = err;
	return 0;
}

/* The wall time of BPF time ts. Live, both clocks are read now: the
 * trace's start_wall pairs CLOCK_REALTIME with a t0 read a while before it
 * (a launched command starts in between), and a window's edges must match
 * the target's own clock. A replay has only the pair it recorded. */
static struct timespec wall_at(const struct pipeline *p, uint64_t ts)
{
	struct timespec t = p->tmeta.wall_start, now, mono;
	int64_t d = ts > p->tmeta.t0 ? (int64_t)(ts - p->tmeta.t0) : 0;

	if (p->cfg->cmd == FT_CMD_TRACE && !clock_gettime(CLOCK_REALTIME, &now) &&
	    !clock_gettime(CLOCK_MONOTONIC, &mono)) {
		t = now;
		d = (int64_t)ts - (int64_t)(mono.tv_sec * 1000000000LL + mono.tv_nsec);
	}
	int64_t ns = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec + d;
	t.tv_sec = ns / 1000000000LL;
	t.tv_nsec = ns % 1000000000LL;
	return t;
}

int capture_flight_render(struct pipeline *p, FILE *out, uint64_t end_ts,
			  const struct tracefile_end *e)
{
	const struct renderer *r = p->renderer;
	struct window w = {.p = p};
	struct flight_window fw;
	struct render_trigger tm = {0};
	int err = 0;

	flight__window(p->flight, end_ts, &fw);
	/* nothing before the trace began */
	if (fw.start_ts < p->tmeta.t0)
		fw.start_ts = p->tmeta.t0;
	hashmap__init(&w.base, NULL, NULL, NULL);
	if (p->cfg->ntrigger) {
		w.trig = capture_trigger(p, !r->streaming, r->streaming ? window_emit : NULL, &w);
		if (!w.trig)
			return -ENOMEM;
	}
	struct calltree_opts co = {
		.t0 = fw.start_ts,
		.names = p->names,
		.keep = !r->streaming && !w.trig,
		.on_complete = w.trig	      ? trigger__complete
			       : r->streaming ? window_emit
					      : NULL,
		.ctx = w.trig ? (void *)w.trig : (void *)&w,
	};
	w.ct = calltree__new(&co);
	if (!w.ct) {
		trigger__free(w.trig);
		return -ENOMEM;
	}
	struct render_meta meta = p->meta;
	struct render_window win = {
		.seconds_ns = (uint64_t)(p->cfg->flight_s * 1e9),
		.start_ns = fw.start_ts - p->tmeta.t0,
		.end_ns = fw.end_ts > p->tmeta.t0 ? fw.end_ts - p->tmeta.t0 : 0,
		.shortened = fw.shortened,
	};
	meta.window = &win;
	meta.wall_start = wall_at(p, fw.start_ts);
	memset(meta.drops, 0, sizeof(meta.drops));
	if (e)
		memcpy(meta.drops, e->drops, sizeof(meta.drops));
	w.rc = p->rc;
	w.rc.out = out;
	w.rc.meta = &meta;
	w.rc.priv = NULL;
	if (r->begin && r->begin(&w.rc) < 0)
		err = -ENOMEM;
	if (!err) {
		flight__each(p->flight, &fw, window_record, &w);
		calltree__finish(w.ct, fw.end_ts);
		/* only live: a replay's builder is at the recording's end */
		if (p->cfg->cmd == FT_CMD_TRACE)
			wrap_running(&w, fw.end_ts);
		struct calltree_stats cs;
		calltree__stats(w.ct, &cs);
		meta.duration_ns = win.end_ns - win.start_ns;
		meta.events = cs.records;
		meta.lost = cs.lost;
		meta.threads = calltree__nthreads(w.ct);
		/* the calls running across the window completed in the builder */
		meta.calls = cs.calls - cs.open - w.wrapped;
		meta.unfinished = cs.open + w.wrapped;
		if (p->record_err && p->cfg->cmd != FT_CMD_RECORD)
			meta.incomplete = p->record_err == -ENOMEM ? "out of memory"
								   : strerror(-p->record_err);
		if (w.err || (w.trig && trigger__error(w.trig))) {
			meta.incomplete = "out of memory";
			err = -ENOMEM;
		}
		if (w.trig) {
			struct trigger_stats ts;

			trigger__stats(w.trig, &ts);
			tm.kept = ts.kept;
			tm.dropped = ts.dropped;
			meta.trigger = &tm;
		}
	}
	/* even after a failed begin: end() frees what begin() made */
	if (r->end) {
		int eerr = r->end(&w.rc, w.trig && !r->streaming ? trigger__forest(w.trig) : w.ct);
		if (!err)
			err = eerr;
	}
	calltree__free(w.ct);
	trigger__free(w.trig);
	hashmap__fini(&w.base);
	return err;
}

static const char *format_ext(const char *format)
{
	static const struct {
		const char *format, *ext;
	} exts[] = {
		{"tree", "txt"},      {"json", "json"},	    {"jsonl", "jsonl"}, {"chrome", "json"},
		{"folded", "folded"}, {"plantuml", "puml"}, {"dot", "dot"},	{"html", "html"},
	};

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (!strcmp(exts[i].format, format))
			return exts[i].ext;
	return "out";
}

int capture_dump_name(char *buf, size_t len, const char *output, const char *format,
		      const struct timespec *when)
{
	char stamp[40];
	struct tm tm;
	int n;

	if (!gmtime_r(&when->tv_sec, &tm) || !strftime(stamp, 24, "%Y%m%dT%H%M%S", &tm))
		strcpy(stamp, "19700101T000000");
	snprintf(stamp + strlen(stamp), 16, ".%03dZ", (int)(when->tv_nsec / 1000000 % 1000));
	if (!output) {
		n = snprintf(buf, len, "flowtrace.%s.%s", stamp, format_ext(format));
	} else {
		const char *slash = strrchr(output, '/');
		const char *name = slash ? slash + 1 : output;
		const char *dot = strrchr(name, '.');

		/* "trace.json" -> "trace.STAMP.json"; ".json" and "trace" get it
		 * at the end */
		if (dot && dot > name)
			n = snprintf(buf, len, "%.*s.%s%s", (int)(dot - output), output, stamp,
				     dot);
		else
			n = snprintf(buf, len, "%s.%s", output, stamp);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Writes the window ending at now_ts into its own file. 0 or -errno,
 * after saying what went wrong. */
static int write_dump(struct pipeline *p, uint64_t now_ts)
{
	struct timespec when = wall_at(p, now_ts);
	char path[PATH_MAX];
	struct sink s = {.poll_fd = -1};
	int err;

	/* -o naming a device or FIFO (/dev/stdout): the dumps go to files of
	 * their own in the working directory */
	const char *after = p->sink.path ? p->cfg->output : NULL;
	if (capture_dump_name(path, sizeof(path), after, p->renderer->name, &when)) {
		log_error("give -o a shorter path", "flight: cannot name the window's file");
		return -ENAMETOOLONG;
	}
	err = sink__open(&s, path);
	if (err) {
		log_error("choose a writable path for -o", "flight: cannot write '%s': %s", path,
			  strerror(-err));
		return err;
	}
	err = capture_flight_render(p, s.fp, now_ts, NULL);
	if (err) {
		sink__abort(&s);
		log_error(NULL, "flight: cannot write '%s': %s", path, strerror(-err));
		return err;
	}
	err = sink__commit(&s);
	if (err) {
		log_error(NULL, "flight: cannot write '%s': %s", path, strerror(-err));
		return err;
	}
	fprintf(stderr, "flowtrace-bpf: flight: wrote the last %g s to '%s'\n", p->cfg->flight_s,
		path);
	return 0;
}

void capture_flight_reap(struct pipeline *p, bool wait)
{
	int st;

	if (p->dump_pid <= 0)
		return;
	pid_t r;
	while ((r = waitpid(p->dump_pid, &st, wait ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return;
	if (r == p->dump_pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		p->dumps++;
	p->dump_pid = 0;
}

void capture_flight_dump(struct pipeline *p, uint64_t now_ts)
{
	/* one window at a time: the previous one is finished first */
	capture_flight_reap(p, true);
	/* A window takes a while to render (a second for a million calls),
	 * and meanwhile nobody would drain the ring: a child renders a
	 * copy-on-write snapshot while tracing goes on. It writes only its
	 * own file and leaves with _exit(), so the output's stdio buffer, a
	 * copy of the parent's, is never flushed twice. */
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0)
		_exit(write_dump(p, now_ts) ? 1 : 0);
	if (pid > 0) {
		p->dump_pid = pid;
		return;
	}
	/* no child: in place, at the cost of records the ring drops meanwhile */
	if (!write_dump(p, now_ts))
		p->dumps++;
}
