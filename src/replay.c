// SPDX-License-Identifier: MIT
/* replay, report and diff: trace files through the live pipeline. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pipeline.h"
#include "replay.h"
#include "tracefile.h"

int replay_file(struct pipeline *p, const char *path)
{
	struct tracefile_reader *r;
	struct tracefile_end end = { 0 };
	char err[256] = "";
	uint64_t records = 0, last_ts = 0;
	const void *rec;
	uint32_t size;
	int rc, n;

	FILE *fp = fopen(path, "re");
	if (!fp) {
		fprintf(stderr, "flowtrace-bpf: cannot open '%s': %s\n", path, strerror(errno));
		fprintf(stderr, "hint: give a file written by 'flowtrace-bpf record -o FILE'\n");
		return FT_EXIT_BAD_FILE;
	}
	r = tracefile_reader__new(fp, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "flowtrace-bpf: cannot read '%s': %s\n", path, err);
		fprintf(stderr, "hint: give a file written by 'flowtrace-bpf record -o FILE'\n");
		fclose(fp);
		return FT_EXIT_BAD_FILE;
	}
	rc = pipeline__start(p, tracefile_reader__meta(r));
	if (rc) {
		tracefile_reader__free(r);
		fclose(fp);
		return rc;
	}
	while ((n = tracefile_reader__next(r, &rec, &size, err, sizeof(err))) == 1) {
		const struct ft_rec_hdr *h = rec;

		if (size >= sizeof(*h) && h->ts > last_ts)
			last_ts = h->ts;
		pipeline__add(p, rec, size);
		records++;
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
	return pipeline__finish(p, &end);
}

static int run_replay(const struct config *cfg)
{
	struct pipeline p;
	int rc = pipeline__open(&p, cfg, PIPE_RENDER);

	if (rc)
		return rc;
	rc = replay_file(&p, cfg->inputs[0]);
	if (rc == FT_EXIT_BAD_FILE)
		pipeline__abort(&p);
	pipeline__free(&p);
	return rc;
}

int replay_run(const struct config *cfg)
{
	switch (cfg->cmd) {
	case FT_CMD_REPLAY:
		return run_replay(cfg);
	default:
		fprintf(stderr, "flowtrace-bpf: this subcommand is not available yet\n");
		return FT_EXIT_USAGE;
	}
}
