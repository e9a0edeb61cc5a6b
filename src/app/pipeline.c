// SPDX-License-Identifier: MIT
/* The record pipeline: decoder, builder, renderer, sink, summary. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/calltree.h"
#include "core/tasks.h"
#include "core/flight.h"
#include "core/trigger.h"
#include "app/capture.h"
#include "app/cli.h"
#include "app/version.h"
#include "sys/log.h"
#include "core/names.h"
#include "core/record.h"
#include "app/pipeline.h"

/* a non-streaming format keeps every call until the end, about 60 MB per
 * million calls for json: past this many the user hears, once, that the
 * memory grows with the trace and what streams instead */
#define BIG_TRACE_CALLS 1000000

static void report_open_error(const char *path, int err)
{
	if (err == -ELOOP)
		log_error("name the file the link points to, or remove the link",
			  "'%s' is a symbolic link: flowtrace-bpf does not write through one",
			  path);
	else if (err == -EINVAL)
		log_error("choose a file, a character device or a FIFO for -o",
			  "cannot write '%s': not a regular file, character device or FIFO", path);
	else
		log_error("choose a writable path for -o", "cannot write '%s': %s", path,
			  strerror(-err));
}

enum pipe_err pipeline__open(struct pipeline *p, const struct config *cfg, enum pipe_mode mode)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->mode = mode;
	if (!getcwd(p->cwd, sizeof(p->cwd)))
		p->cwd[0] = 0;
	p->renderer = mode == PIPE_RENDER ? cfg->renderer : NULL;
	p->filter = (struct filter){
		.include = cfg->include,
		.ninclude = cfg->ninclude,
		.exclude = cfg->exclude,
		.nexclude = cfg->nexclude,
		.max_depth = cfg->max_depth,
		/* with --trigger it judges the trigger calls, whose subtrees
		 * are shown whole */
		.min_dur_ns = cfg->ntrigger ? 0 : cfg->min_dur_ns,
	};
	/* the output first: an unwritable file is refused before any target is touched */
	p->sink.poll_fd = -1;
	if (mode == PIPE_RECORD) {
		/* a temporary file renamed over -o only when the recording is
		 * complete: a failed or killed record leaves an existing file be */
		err = sink__open_as(&p->sink, cfg->output, SINK_RECORDING);
		if (!err) {
			p->rec = tracefile_writer__new(p->sink.fp);
			if (!p->rec) {
				err = -errno;
				sink__abort(&p->sink);
			}
		}
	} else if (mode == PIPE_RENDER) {
		err = sink__open(&p->sink, cfg->output);
	} else {
		err = 0;
	}
	if (err) {
		report_open_error(cfg->output ? cfg->output : "standard output", err);
		return PIPE_ERR_OUTPUT;
	}
	p->names = names__new();
	if (!p->names) {
		log_error(NULL, "out of memory");
		pipeline__abort(p);
		return PIPE_ERR_RUNTIME;
	}
	if (mode == PIPE_RENDER && cfg->flight_s > 0 && capture_flight_open(p)) {
		log_error(NULL, "out of memory");
		pipeline__abort(p);
		return PIPE_ERR_RUNTIME;
	}
	return PIPE_OK;
}

static void on_complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct pipeline *p = ctx;

	p->renderer->call(&p->rc, t, n, depth);
}

enum pipe_err pipeline__start(struct pipeline *p, const struct tracefile_meta *m)
{
	bool streaming = p->renderer && p->renderer->streaming;
	struct calltree_opts co = {
		.t0 = m->t0,
		/* a recording only counts calls and losses: memory stays flat */
		.keep = (p->renderer && !streaming) || p->mode == PIPE_BUILD,
		.on_complete = streaming ? on_complete : NULL,
		.ctx = p,
		.names = p->names,
	};

	/* --flight renders only windows, from its ring: the live tree counts;
	 * --trigger keeps only the calls inside a trigger */
	if (p->flight) {
		co.keep = false;
		co.on_complete = NULL;
	} else if (p->renderer && p->cfg->ntrigger) {
		p->trig = capture_trigger(p, !streaming, streaming ? on_complete : NULL, p);
		if (!p->trig) {
			log_error(NULL, "out of memory");
			return PIPE_ERR_RUNTIME;
		}
		co.keep = false;
		co.on_complete = trigger__complete;
		co.ctx = p->trig;
	}
	/* a replay corrects with the calibration its file holds, as the live
	 * trace did; --raw-times shows the measured intervals */
	if (!p->cfg->raw_times && *m->cal_how)
		co.cal = (struct calltree_cal){.hit_ps = m->cal_hit_ps, .err_ps = m->cal_err_ps};
	p->tmeta = *m;
	p->meta.pid = m->pid;
	p->meta.follow = m->follow;
	p->meta.python = p->tmeta.python;
	p->meta.probe = p->tmeta.probe;
	p->meta.binary = p->tmeta.binary;
	p->meta.command = *p->tmeta.command ? p->tmeta.command : NULL;
	p->meta.wall_start = m->wall_start;
	p->meta.abi = m->abi;
	p->meta.tool = FT_TOOL;
	p->meta.cal_hit_ps = p->tmeta.cal_hit_ps;
	p->meta.cal_err_ps = p->tmeta.cal_err_ps;
	p->meta.cal_how = *p->tmeta.cal_how ? p->tmeta.cal_how : NULL;
	p->meta.raw_times = p->cfg->raw_times;
	p->meta.ns = p->tmeta.ns.pid_ns ? &p->tmeta.ns : NULL;
	p->ct = calltree__new(&co);
	if (p->ct && p->renderer && p->cfg->by_task)
		p->tasks = tasks__new();
	if (!p->ct || (p->cfg->by_task && p->renderer && !p->tasks)) {
		log_error(NULL, "out of memory");
		return PIPE_ERR_RUNTIME;
	}
	if (p->rec && tracefile_writer__begin(p->rec, m)) {
		log_error("check the disk space", "cannot write the trace file");
		return PIPE_ERR_OUTPUT;
	}
	if (p->renderer) {
		p->rc = (struct render_ctx){
			.out = p->sink.fp,
			.names = p->names,
			.filter = &p->filter,
			.meta = &p->meta,
			.fold = p->cfg->fold,
			.indent_max = p->cfg->indent_max,
			.startup = p->cfg->startup,
			.base_dir = p->cwd,
			.tasks = p->tasks,
		};
		if (!p->flight && p->renderer->begin && p->renderer->begin(&p->rc) < 0) {
			log_error(NULL, "cannot start the output");
			return PIPE_ERR_RUNTIME;
		}
	}
	return PIPE_OK;
}

int pipeline__add(struct pipeline *p, const void *data, uint32_t size)
{
	uint64_t ignored = p->rs.foreign + p->rs.malformed, costs = p->rs.costs;
	int err = record_apply(p->ct, p->names, p->tmeta.follow ? 0 : p->tmeta.pid, data, size,
			       &p->rs);

	if (p->tasks && err != -ERANGE && tasks__record(p->tasks, p->ct, data, size) && !err)
		err = -ENOMEM;
	/* refused by the builder (counted there): not recorded either, so a
	 * replay of the recording sees the same gap the live trace showed */
	if (err == -ERANGE)
		return err;
	/* out of memory: keep going so the ring does not stall the target's
	 * probes; the session stops tracing at its next turn and the output
	 * says it is incomplete */
	if (err) {
		p->unapplied++;
		if (!p->record_err)
			p->record_err = err;
	}
	/* meta.timing gives the cost the trace ended with */
	if (p->rs.costs != costs && p->meta.cal_how && !p->meta.raw_times) {
		const struct record_cost *c = data;

		p->meta.cal_hit_ps = c->hit_ps;
		p->meta.cal_err_ps = c->err_ps;
	}
	/* the window replays what the trace applied, whichever processes it
	 * takes records of; the tracer's cost records are of no thread */
	if (p->flight && p->rs.foreign + p->rs.malformed == ignored && p->rs.costs == costs)
		capture_flight_add(p, data, size);
	if (p->trig && trigger__error(p->trig) && !p->record_err)
		p->record_err = trigger__error(p->trig);
	if (p->rec && !p->record_err) {
		err = tracefile_writer__add(p->rec, data, size);
		if (err)
			p->record_err = err;
	}
	if (p->renderer && !p->renderer->streaming && !p->warned_big && !p->flight && !p->trig &&
	    p->rs.events >= 2ULL * BIG_TRACE_CALLS) {
		p->warned_big = true;
		log_error(
			"flowtrace-bpf record -o FILE, or -f jsonl, write calls as they come, "
			"in flat memory",
			"-f %s holds every call in memory until the trace ends: %llu calls so far "
			"(about %llu MB), and growing",
			p->renderer->name, (unsigned long long)BIG_TRACE_CALLS,
			(unsigned long long)BIG_TRACE_CALLS * 60 / 1000000);
	}
	return 0;
}

static void note_output_error(struct pipeline *p)
{
	if (!p->out_err && ferror(p->rc.out))
		p->out_err = errno ? -errno : -EIO;
}

int pipeline__error(const struct pipeline *p)
{
	return p->out_err ? p->out_err : p->record_err;
}

int pipeline__poll_fd(const struct pipeline *p)
{
	return p->sink.fp ? p->sink.poll_fd : -1;
}

void pipeline__output_gone(struct pipeline *p)
{
	if (!p->out_err)
		p->out_err = -EPIPE;
}

void pipeline__fail(struct pipeline *p, int err)
{
	if (err && !p->record_err)
		p->record_err = err;
}

void pipeline__flush(struct pipeline *p)
{
	if (p->dump_pid > 0)
		capture_flight_reap(p, false);
	if (p->renderer && p->renderer->streaming && p->rc.out) {
		errno = 0;
		fflush(p->rc.out);
		note_output_error(p);
	}
	if (p->rec && !p->record_err) {
		int err = tracefile_writer__flush(p->rec);
		if (err)
			p->record_err = err;
	}
}

/* unseen: ring drops that no sequence gap revealed */
static void fill_meta(struct pipeline *p, const struct tracefile_end *e, uint64_t unseen)
{
	struct render_meta *m = &p->meta;
	struct calltree_stats cs;

	calltree__stats(p->ct, &cs);
	memcpy(m->drops, e->drops, sizeof(m->drops));
	m->duration_ns = e->t_end > p->tmeta.t0 ? e->t_end - p->tmeta.t0 : 0;
	m->events = p->rs.events;
	m->lost = cs.lost + unseen + m->drops[FT_DROP_NO_STORAGE];
	m->threads = calltree__nthreads(p->ct);
	m->calls = cs.calls - cs.open;
	m->unfinished = cs.open;
	/* a recording's errors are the trace file's; here they are the tree's */
	if (p->record_err && p->mode != PIPE_RECORD) {
		m->incomplete =
			p->record_err == -ENOMEM ? "out of memory" : strerror(-p->record_err);
		m->unapplied = p->unapplied;
	}
}

static void summary(const struct pipeline *p)
{
	const struct render_meta *m = &p->meta;

	fprintf(stderr,
		"flowtrace-bpf: %llu calls in %llu thread%s (%llu events), %llu lost, %llu still "
		"running, %.3f s\n",
		(unsigned long long)m->calls, (unsigned long long)m->threads,
		m->threads == 1 ? "" : "s", (unsigned long long)m->events,
		(unsigned long long)m->lost, (unsigned long long)m->unfinished,
		m->duration_ns / 1e9);
	/* each hint states only what its own count says: a name that could
	 * not be read is no lost record, and "0 lost" must not meet a hint
	 * that records were lost */
	if (m->lost || m->drops[FT_DROP_NAME])
		fprintf(stderr,
			"hint: records were lost (calls: %llu, names: %llu, ring full: %llu); a "
			"larger --ring-size or fewer traced calls help\n",
			(unsigned long long)m->lost, (unsigned long long)m->drops[FT_DROP_NAME],
			(unsigned long long)m->drops[FT_DROP_RINGBUF]);
	if (m->drops[FT_DROP_READ])
		fprintf(stderr,
			"flowtrace-bpf: a name could not be read from the target %llu time%s: "
			"those calls show as <unreadable> or <unknown>\n",
			(unsigned long long)m->drops[FT_DROP_READ],
			m->drops[FT_DROP_READ] == 1 ? "" : "s");
	if (m->drops[FT_DROP_UNPLACED])
		fprintf(stderr,
			"flowtrace-bpf: %llu frame%s left that no probe saw start: the tree lacks "
			"%s\nhint: see \"Limits by method\" in docs/compatibility.md\n",
			(unsigned long long)m->drops[FT_DROP_UNPLACED],
			m->drops[FT_DROP_UNPLACED] == 1 ? "" : "s",
			m->drops[FT_DROP_UNPLACED] == 1 ? "that call" : "those calls");
	if (p->rs.malformed)
		fprintf(stderr, "flowtrace-bpf: %llu malformed records ignored\n",
			(unsigned long long)p->rs.malformed);
	struct calltree_stats cs;
	calltree__stats(p->ct, &cs);
	if (cs.rejected)
		fprintf(stderr,
			"flowtrace-bpf: %llu record%s ignored: a depth that no lost record "
			"explains\n",
			(unsigned long long)cs.rejected, cs.rejected == 1 ? "" : "s");
	/* markers that fire no return for a frame left by an exception */
	if (cs.unwound)
		fprintf(stderr,
			"flowtrace-bpf: %llu frame%s ended with no return record (a later return "
			"named a frame below): flagged return_lost, calls made after they were "
			"left may sit under them\n",
			(unsigned long long)cs.unwound, cs.unwound == 1 ? "" : "s");
}

/* The output could not be written. A reader that went away (| head) is a
 * normal end, told in one quiet line. */
static void output_failed(const char *out, int err)
{
	if (err == -EPIPE) {
		char line[PATH_MAX + 64];

		log_line(line, sizeof(line), "the reader of %s went away: stopping", out);
		fprintf(stderr, "flowtrace-bpf: %s\n", line);
	} else
		log_error(NULL, "cannot write '%s': %s", out, strerror(-err));
}

/* An incomplete recording never replaces a file: it is renamed into place
 * only where nothing was, and otherwise kept under its temporary name. It
 * has no end block, so a replay says it was cut short. */
static void finish_record(struct pipeline *p, const struct tracefile_end *e)
{
	const char *out = p->cfg->output ? p->cfg->output : "standard output";
	int err;

	if (!p->record_err) {
		err = tracefile_writer__close(p->rec, e);
		p->rec = NULL;
		if (!err)
			err = sink__commit(&p->sink);
		if (!err)
			return;
		p->record_err = err;
		if (!p->sink.fp) {
			/* the commit itself failed: its temporary file is gone */
			log_error(NULL, "cannot write the trace file '%s': %s", out,
				  strerror(-err));
			return;
		}
	} else {
		tracefile_writer__close(p->rec, NULL);
		p->rec = NULL;
	}
	if (p->record_err == -ENOMEM)
		log_error(NULL, "out of memory: the recording is incomplete");
	else
		log_error(NULL, "cannot write the trace file '%s': %s", out,
			  strerror(-p->record_err));
	if (p->sink.direct || !p->sink.path) {
		sink__abort(&p->sink); /* written in place: nothing to keep or drop */
		return;
	}
	/* RENAME_NOREPLACE: moved into place only if nothing is there, in one
	 * step, so a file that appeared meanwhile is not replaced either */
	char *kept = sink__keep(&p->sink);
	if (kept && !renameat2(AT_FDCWD, kept, AT_FDCWD, p->cfg->output, RENAME_NOREPLACE))
		log_error(NULL, "'%s' holds the recording up to the error; replay reads it", out);
	else if (kept)
		log_error("replay reads it up to the error",
			  "'%s' is left as it was; what was recorded is in '%s'", out, kept);
	free(kept);
}

enum pipe_err pipeline__finish(struct pipeline *p, const struct tracefile_end *e)
{
	const char *out = p->cfg->output ? p->cfg->output : "standard output";
	enum pipe_err rc = PIPE_OK;
	int err = 0;

	/* lost call records show as sequence gaps; the ring's drops that no
	 * later record revealed (the ring full up to the end, or a thread
	 * whose records were all lost) are counted and marked at the end */
	struct calltree_stats cs;
	calltree__stats(p->ct, &cs);
	uint64_t unseen =
		e->drops[FT_DROP_RINGBUF] > cs.lost ? e->drops[FT_DROP_RINGBUF] - cs.lost : 0;
	/* --flight: a window being written on SIGUSR1 is finished first; the
	 * last window is rendered while the live tree still holds the frames
	 * running across it (a server's loop), which wrap its calls */
	capture_flight_reap(p, true);
	if (p->renderer && p->flight)
		err = capture_flight_render(p, p->sink.fp, e->t_end, e);
	calltree__finish_lost(p->ct, e->t_end, unseen, e->target_exited);
	if (p->tasks)
		tasks__finish(p->tasks);
	fill_meta(p, e, unseen);
	if (p->trig) {
		struct trigger_stats ts;

		trigger__stats(p->trig, &ts);
		p->trig_meta = (struct render_trigger){.kept = ts.kept, .dropped = ts.dropped};
		p->meta.trigger = &p->trig_meta;
	}
	/* even into a dead output: end() frees what begin() made */
	if (p->renderer && !p->flight && p->renderer->end)
		err = p->renderer->end(&p->rc, p->trig && !p->renderer->streaming
						       ? trigger__forest(p->trig)
						       : p->ct);
	if (p->renderer && err == -ENOMEM) {
		/* half a document must not look like a whole one */
		sink__abort(&p->sink);
		log_error("use -f jsonl or record -o FILE, filters or a shorter -d",
			  "out of memory while writing the output: %s",
			  p->cfg->output ? "nothing was written" : "the output is cut short");
		rc = PIPE_ERR_RUNTIME;
	} else if (p->renderer) {
		int cerr = sink__commit(&p->sink);

		if (p->out_err)
			cerr = p->out_err;
		else if (!cerr && err < 0)
			cerr = err;
		if (cerr) {
			output_failed(out, cerr);
			rc = PIPE_ERR_OUTPUT;
		}
	}
	if (p->rec)
		finish_record(p, e);
	if (p->mode != PIPE_BUILD)
		summary(p);
	if (p->mode == PIPE_RECORD) {
		/* finish_record() said what went wrong */
		if (p->record_err && !rc)
			rc = p->record_err == -ENOMEM ? PIPE_ERR_RUNTIME : PIPE_ERR_OUTPUT;
	} else if (p->record_err) {
		if (p->record_err == -ENOMEM)
			log_error("use -f jsonl or record -o FILE, filters or a shorter -d",
				  "out of memory while building the call tree: the trace is "
				  "incomplete (%llu records not applied)",
				  (unsigned long long)p->unapplied);
		else
			log_error(NULL, "the trace is incomplete: %s", strerror(-p->record_err));
		if (!rc)
			rc = PIPE_ERR_RUNTIME;
	}
	return rc;
}

void pipeline__abort(struct pipeline *p)
{
	if (p->rec) {
		/* nothing was traced: an existing file stays as it was */
		tracefile_writer__close(p->rec, NULL);
		p->rec = NULL;
	}
	sink__abort(&p->sink);
}

void pipeline__free(struct pipeline *p)
{
	calltree__free(p->ct);
	tasks__free(p->tasks);
	p->tasks = NULL;
	trigger__free(p->trig);
	flight__free(p->flight);
	p->trig = NULL;
	p->flight = NULL;
	names__free(p->names);
	filter__free(&p->filter);
	p->ct = NULL;
	p->names = NULL;
}
