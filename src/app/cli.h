/* SPDX-License-Identifier: MIT */
/* Command line: parses argv into struct config. Every option is checked and
 * parsed here, once: names become the enums of the layer that owns them.
 * Parsing is pure apart from writing messages to stderr. */
#ifndef FT_CLI_H
#define FT_CLI_H

/* -p PID,PID,...: at most this many after the first */
#define FT_MORE_PIDS_MAX 63

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/report.h"
#include "probe/method.h"

struct renderer;

/* Subcommands: the first word of the command line, when it is one. */
enum ft_cmd {
	FT_CMD_TRACE = 0, /* live: trace and render */
	FT_CMD_RECORD,	  /* trace into a trace file */
	FT_CMD_REPLAY,	  /* render a trace file */
	FT_CMD_REPORT,	  /* per-function summary of a trace file */
	FT_CMD_DIFF,	  /* per-function comparison of two trace files */
};

struct config {
	enum ft_cmd cmd;
	const char *inputs[2]; /* replay, report: one trace file; diff: two */
	int ninputs;

	/* target: exactly one of pid, command, argv */
	int pid;
	const char *command; /* -c CMD */
	char **argv;	     /* -- CMD ARGS... */
	int argc;
	double duration_s; /* -d; 0 = until the target exits or a signal */
	const char *user;  /* --user: who runs the command; NULL = SUDO_UID, else as we are */

	/* output */
	const struct renderer *renderer; /* trace, replay: -f (tree by default) */
	bool report_json;		 /* report, diff: -f json (else text) */
	const char *output;		 /* -o FILE; NULL = stdout */

	/* filters */
	const char **include;
	size_t ninclude;
	const char **exclude;
	size_t nexclude;
	bool fold;	     /* tree: fold repeated identical sibling calls */
	bool by_task;	     /* tree, json, chrome: the asyncio task view (--by-task) */
	int max_depth;	     /* 0 = no limit */
	uint64_t min_dur_ns; /* 0 = no limit */
	bool raw_times;	     /* --raw-times: no correction for the tracer's cost */
	bool startup;	     /* tree: --startup, start-up and shutdown shown, not folded */
	/* tree: --indent-max; 0: not given (the default), -1: no limit */
	int indent_max;

	/* capture windows */
	const char **trigger; /* --trigger globs: emit only calls inside a match */
	size_t ntrigger;
	double flight_s;      /* --flight: keep the last SECONDS; 0 = off */
	uint64_t flight_size; /* --flight-size: bytes the window may hold */

	/* tuning */
	uint64_t ring_size; /* bytes, power of two */
	enum method_ask method;
	enum method_hook eval_hook;
	bool follow; /* -F: the target's descendants too */
	/* -p PID,PID...: the PIDs after the first, traced beside it */
	int pids_more[FT_MORE_PIDS_MAX];
	int npids_more;
	bool calibrate; /* attach empty programs: the cost floor (benchmarks) */

	/* report, diff */
	enum report_sort sort;
	bool per_thread;

	int verbose;
};

/* Parses argv. Returns 0 with cfg filled, 1 when --help, --usage or
 * --version printed all that was asked (nothing to run), or -EINVAL (bad
 * options) or -ENOMEM after printing the error. */
int cli_parse(int argc, char **argv, struct config *cfg);
void config_free(struct config *cfg);

#endif /* FT_CLI_H */
