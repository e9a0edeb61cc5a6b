// SPDX-License-Identifier: MIT
/* The record pipeline: decoder, builder, renderer, sink, summary. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "calltree.h"
#include "cli.h"
#include "log.h"
#include "names.h"
#include "pipeline.h"

int pipeline__open(struct pipeline *p, const struct config *cfg, enum pipe_mode mode)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->cfg = cfg;
	p->mode = mode;
	if (!getcwd(p->cwd, sizeof(p->cwd)))
		p->cwd[0] = 0;
	p->renderer = mode == PIPE_RENDER ? renderer_find(cfg->format) : NULL;
	p->filter = (struct filter){
		.include = cfg->include,
		.ninclude = cfg->ninclude,
		.exclude = cfg->exclude,
		.nexclude = cfg->nexclude,
		.max_depth = cfg->max_depth,
		.min_dur_ns = cfg->min_dur_ns,
	};
	/* the output first: an unwritable file is refused before any target is touched */
	if (mode == PIPE_RECORD) {
		p->rec = tracefile_writer__create(cfg->output);
		err = p->rec ? 0 : -errno;
	} else if (mode == PIPE_RENDER) {
		err = sink__open(&p->sink, cfg->output);
	} else {
		err = 0;
	}
	if (err) {
		log_error("choose a writable path for -o", "cannot write '%s': %s", cfg->output,
			  strerror(-err));
		return FT_EXIT_OUTPUT;
	}
	p->names = names__new();
	if (!p->names) {
		log_error(NULL, "out of memory");
		pipeline__abort(p);
		return FT_EXIT_FAILURE;
	}
	return 0;
}

static void on_complete(void *ctx, const struct ft_thread *t, const struct ft_node *n, int depth)
{
	struct pipeline *p = ctx;

	p->renderer->call(&p->rc, t, n, depth);
}

int pipeline__start(struct pipeline *p, const struct tracefile_meta *m)
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

	p->tmeta = *m;
	p->meta.pid = m->pid;
	p->meta.python = p->tmeta.python;
	p->meta.probe = p->tmeta.probe;
	p->meta.binary = p->tmeta.binary;
	p->meta.command = *p->tmeta.command ? p->tmeta.command : NULL;
	p->meta.wall_start = m->wall_start;
	p->ct = calltree__new(&co);
	if (!p->ct) {
		log_error(NULL, "out of memory");
		return FT_EXIT_FAILURE;
	}
	if (p->rec && tracefile_writer__begin(p->rec, m)) {
		log_error("check the disk space", "cannot write the trace file");
		return FT_EXIT_OUTPUT;
	}
	if (p->renderer) {
		p->rc = (struct render_ctx){
			.out = p->sink.fp,
			.names = p->names,
			.filter = &p->filter,
			.meta = &p->meta,
			.fold = p->cfg->fold,
			.base_dir = p->cwd,
		};
		if (p->renderer->begin && p->renderer->begin(&p->rc) < 0) {
			log_error(NULL, "cannot start the output");
			return FT_EXIT_FAILURE;
		}
	}
	return 0;
}

int pipeline__add(struct pipeline *p, const void *data, uint32_t size)
{
	int err = record_apply(p->ct, p->names, p->tmeta.pid, data, size, &p->rs);

	/* refused by the builder (counted there): not recorded either, so a
	 * replay of the recording sees the same gap the live trace showed */
	if (err == -ERANGE)
		return err;
	/* out of memory: keep going so the ring does not stall the target's
	 * probes; the failure is reported at the end */
	if (err && !p->record_err)
		p->record_err = err;
	if (p->rec && !p->record_err) {
		err = tracefile_writer__add(p->rec, data, size);
		if (err)
			p->record_err = err;
	}
	return 0;
}

void pipeline__fail(struct pipeline *p, int err)
{
	if (err && !p->record_err)
		p->record_err = err;
}

void pipeline__flush(struct pipeline *p)
{
	if (p->renderer && p->renderer->streaming)
		fflush(p->rc.out);
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
	if (m->lost || m->drops[FT_DROP_NAME] || m->drops[FT_DROP_READ])
		fprintf(stderr,
			"hint: records were lost (ring full: %llu, names: %llu, unreadable names: "
			"%llu); a larger --ring-size or fewer traced calls help\n",
			(unsigned long long)m->drops[FT_DROP_RINGBUF],
			(unsigned long long)m->drops[FT_DROP_NAME],
			(unsigned long long)m->drops[FT_DROP_READ]);
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
}

int pipeline__finish(struct pipeline *p, const struct tracefile_end *e)
{
	const char *out = p->cfg->output ? p->cfg->output : "standard output";
	int rc = 0, err;

	/* lost call records show as sequence gaps; the ring's drops that no
	 * later record revealed (the ring full up to the end, or a thread
	 * whose records were all lost) are counted and marked at the end */
	struct calltree_stats cs;
	calltree__stats(p->ct, &cs);
	uint64_t unseen =
		e->drops[FT_DROP_RINGBUF] > cs.lost ? e->drops[FT_DROP_RINGBUF] - cs.lost : 0;
	calltree__finish_lost(p->ct, e->t_end, unseen, e->target_exited);
	fill_meta(p, e, unseen);
	if (p->renderer && p->renderer->end && p->renderer->end(&p->rc, p->ct) < 0)
		rc = FT_EXIT_OUTPUT;
	if (p->renderer) {
		err = sink__commit(&p->sink);
		if (err) {
			log_error(NULL, "cannot write '%s': %s", out, strerror(-err));
			rc = FT_EXIT_OUTPUT;
		}
	}
	if (p->rec) {
		err = tracefile_writer__close(p->rec, e);
		p->rec = NULL;
		if (err && !p->record_err)
			p->record_err = err;
	}
	if (p->mode != PIPE_BUILD)
		summary(p);
	if (p->record_err == -ENOMEM) {
		log_error("use -f jsonl, filters or a shorter -d",
			  "out of memory while building the call tree: the trace is incomplete");
		if (!rc)
			rc = FT_EXIT_FAILURE;
	} else if (p->record_err) {
		log_error("the file holds what was written before the error",
			  "cannot write the trace file '%s': %s", out, strerror(-p->record_err));
		if (!rc)
			rc = FT_EXIT_OUTPUT;
	}
	return rc;
}

void pipeline__abort(struct pipeline *p)
{
	if (p->rec) {
		struct tracefile_end e = {0};

		tracefile_writer__close(p->rec, &e);
		p->rec = NULL;
		if (p->cfg->output)
			unlink(p->cfg->output);
	}
	if (p->renderer)
		sink__abort(&p->sink);
}

void pipeline__free(struct pipeline *p)
{
	calltree__free(p->ct);
	names__free(p->names);
	filter__free(&p->filter);
	p->ct = NULL;
	p->names = NULL;
}
