/* SPDX-License-Identifier: MIT */
/* Command line: parses argv into struct config and owns the documented exit
 * codes. Parsing is pure apart from writing messages to stderr. */
#ifndef FT_CLI_H
#define FT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_VERSION "0.1.0"

/* Exit codes, documented in README.md. In launch mode, when tracing worked,
 * flowtrace-bpf exits with the command's own status instead. */
enum ft_exit {
	FT_EXIT_OK = 0,
	FT_EXIT_FAILURE = 1,	/* runtime failure: BPF load/attach, out of memory */
	FT_EXIT_USAGE = 2,	/* bad options */
	FT_EXIT_PRIVILEGE = 3,	/* not root, BPF unavailable, target memory unreadable */
	FT_EXIT_NO_PROCESS = 4, /* -p PID: no such process */
	FT_EXIT_NOT_PYTHON = 5, /* the target is not a CPython interpreter */
	FT_EXIT_NO_PROBES = 6,	/* CPython without usable markers (none, or incomplete) */
	FT_EXIT_OUTPUT = 7,	/* the output cannot be written */
	FT_EXIT_BAD_FILE = 8,	/* a trace file cannot be read: missing, not a trace, unsupported */
	FT_EXIT_CANNOT_RUN = 126, /* -c: the command cannot be executed */
	FT_EXIT_NOT_FOUND = 127,  /* -c: the command was not found */
};

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
	const char *format; /* a renderer's name; report/diff: text or json */
	bool format_given;
	const char *output; /* -o FILE; NULL = stdout */

	/* filters */
	const char **include;
	size_t ninclude;
	const char **exclude;
	size_t nexclude;
	bool fold;	     /* tree: fold repeated identical sibling calls */
	int max_depth;	     /* 0 = no limit */
	uint64_t min_dur_ns; /* 0 = no limit */

	/* tuning */
	uint64_t ring_size;    /* bytes, power of two */
	const char *method;    /* auto, usdt, eval, frame */
	const char *eval_hook; /* auto, on, off */
	bool calibrate;	       /* attach empty programs: the cost floor (benchmarks) */

	/* report, diff */
	const char *sort; /* total, self, calls, avg, max, name */
	bool per_thread;

	int verbose;
};

/* Parses argv. Returns 0, or FT_EXIT_USAGE after printing the error (or
 * -1 after printing --help/--version output: exit 0). */
int cli_parse(int argc, char **argv, struct config *cfg);
void config_free(struct config *cfg);

/* Checked number parsers, exposed for the unit tests. Each returns 0 or
 * -EINVAL (garbage, trailing characters, out of range). */
int parse_int(const char *s, long min, long max, long *out);
/* "250", "10us", "5ms", "1.5s", "2m": nanoseconds; a bare number is in us */
int parse_duration_ns(const char *s, uint64_t *out);
/* "4096", "64K", "8M", "1G": bytes */
int parse_size(const char *s, uint64_t *out);
/* "30", "0.5", "2m": seconds, > 0 */
int parse_seconds(const char *s, double *out);

#endif /* FT_CLI_H */
