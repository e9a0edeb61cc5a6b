// SPDX-License-Identifier: MIT
/* replay, report and diff: trace files through the live pipeline. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/calltree.h"
#include "app/cli.h"
#include "app/exit.h"
#include "sys/log.h"
#include "app/pipeline.h"
#include "output/report.h"
#include "app/replay.h"
#include "output/sink.h"
#include "core/tracefile.h"

#define TRACE_HINT "give a file written by 'flowtrace-bpf record -o FILE'"

/* Why a record's depth was refused, for the damage warning. */
static void describe_reject(char *err, size_t len, const struct calltree_reject *rj,
			    uint64_t record)
{
	int w = snprintf(err, len, "record %" PRIu64 " (%s of thread %u) claims depth %d", record,
			 rj->entry ? "an entry" : "a return", rj->tid, rj->depth);

	if (w < 0 || (size_t)w >= len)
		return;
	switch (rj->why) {
	case CALLTREE_REJECT_RANGE:
		snprintf(err + w, len - w, ", beyond the %d levels any stack reaches",
			 CALLTREE_DEPTH_MAX);
		break;
	case CALLTREE_REJECT_GAP:
		snprintf(err + w, len - w,
			 " where depth %" PRId64 " was due and %u record%s lost before it: the "
			 "file is damaged",
			 rj->expected, rj->gap, rj->gap == 1 ? " was" : "s were");
		break;
	case CALLTREE_REJECT_BUDGET:
		snprintf(err + w, len - w,
			 " where depth %" PRId64 " was due: more frames than the file's records "
			 "justify",
			 rj->expected);
		break;
	}
}

/* Feeds a trace file through an opened pipeline (pipeline__open done) and
 * finishes it. A file cut short is replayed up to the damage with a
 * warning. Returns 0 or the exit status after reporting. */
static int replay_file(struct pipeline *p, const char *path)
{
	struct tracefile_reader *r;
	struct tracefile_end end = {0};
	char err[256] = "";
	uint64_t records = 0, last_ts = 0;
	const void *rec;
	uint32_t size;
	int rc, n;

	FILE *fp = fopen(path, "re");
	if (!fp) {
		log_error(TRACE_HINT, "cannot open '%s': %s", path, strerror(errno));
		return FT_EXIT_BAD_FILE;
	}
	r = tracefile_reader__new(fp, err, sizeof(err));
	if (!r) {
		log_error(TRACE_HINT, "cannot read '%s': %s", path, err);
		fclose(fp);
		return FT_EXIT_BAD_FILE;
	}
	rc = exit_for_pipe(pipeline__start(p, tracefile_reader__meta(r)));
	if (rc) {
		tracefile_reader__free(r);
		fclose(fp);
		return rc;
	}
	while ((n = tracefile_reader__next(r, &rec, &size, err, sizeof(err))) == 1) {
		const struct ft_rec_hdr *h = rec;

		if (pipeline__add(p, rec, size) == -ERANGE) {
			/* a depth the records cannot justify: the checksum held, but
			 * the data is damaged; nothing after it can be trusted */
			describe_reject(err, sizeof(err), calltree__rejected(p->ct), records + 1);
			n = -EBADMSG;
			break;
		}
		if (size >= sizeof(*h) && h->ts > last_ts)
			last_ts = h->ts;
		records++;
		/* a reader gone (| head) or memory out: the rest cannot help */
		if (!(records % 4096)) {
			pipeline__flush(p);
			if (pipeline__error(p))
				break;
		}
	}
	if (tracefile_reader__end(r)) {
		end = *tracefile_reader__end(r);
	} else {
		/* cut short: the trace ends with its last record; frames open then
		 * show as unfinished */
		end.t_end = last_ts;
	}
	if (n < 0)
		fprintf(stderr,
			"flowtrace-bpf: warning: '%s': %s; replaying the %llu records before it\n",
			path, err, (unsigned long long)records);
	tracefile_reader__free(r);
	fclose(fp);
	return exit_for_pipe(pipeline__finish(p, &end));
}

static int run_replay(const struct config *cfg)
{
	struct pipeline p;
	int rc = exit_for_pipe(pipeline__open(&p, cfg, PIPE_RENDER));

	if (rc)
		return rc;
	rc = replay_file(&p, cfg->inputs[0]);
	/* an output already committed is left alone; one never finished goes */
	if (rc)
		pipeline__abort(&p);
	pipeline__free(&p);
	return rc;
}

/* Loads a trace file into a whole forest and aggregates it. Returns 0 or
 * the exit status after reporting. */
static int load_report(const struct config *cfg, const char *path, struct pipeline *p,
		       struct report **rep)
{
	int rc = exit_for_pipe(pipeline__open(p, cfg, PIPE_BUILD));

	if (rc)
		return rc;
	rc = replay_file(p, path);
	if (rc)
		return rc;
	*rep = report__build(p->ct, p->names, &p->filter);
	if (!*rep) {
		log_error(NULL, "out of memory while summarising '%s'", path);
		return FT_EXIT_FAILURE;
	}
	return 0;
}

static int run_report(const struct config *cfg)
{
	bool diff = cfg->cmd == FT_CMD_DIFF;
	struct pipeline p[2];
	struct report *rep[2] = {NULL, NULL};
	struct report_opts ro = {
		.sort = cfg->sort,
		.per_thread = cfg->per_thread,
		.json = cfg->report_json,
		.before_label = cfg->inputs[0],
		.after_label = cfg->inputs[1],
	};
	struct sink sink;
	int rc, err;

	memset(p, 0, sizeof(p));
	rc = sink__open(&sink, cfg->output);
	if (rc) {
		log_error("choose a writable path for -o", "cannot write '%s': %s", cfg->output,
			  strerror(-rc));
		return FT_EXIT_OUTPUT;
	}
	rc = load_report(cfg, cfg->inputs[0], &p[0], &rep[0]);
	if (!rc && diff)
		rc = load_report(cfg, cfg->inputs[1], &p[1], &rep[1]);
	/* a trace of several processes says each thread's */
	ro.processes = !rc && p[0].tmeta.follow;
	if (!rc) {
		err = diff ? report_diff_print(rep[0], rep[1], &ro, sink.fp)
			   : report__print(rep[0], &ro, sink.fp);
		if (err == -ENOMEM) {
			log_error(NULL, "out of memory");
			rc = FT_EXIT_FAILURE;
		}
	}
	if (rc) {
		sink__abort(&sink);
	} else if ((err = sink__commit(&sink))) {
		log_error(NULL, "cannot write '%s': %s",
			  cfg->output ? cfg->output : "standard output", strerror(-err));
		rc = FT_EXIT_OUTPUT;
	}
	for (int i = 0; i < 2; i++) {
		report__free(rep[i]);
		pipeline__free(&p[i]);
	}
	return rc;
}

int replay_run(const struct config *cfg)
{
	return cfg->cmd == FT_CMD_REPLAY ? run_replay(cfg) : run_report(cfg);
}
