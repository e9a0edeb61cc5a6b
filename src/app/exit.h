/* SPDX-License-Identifier: MIT */
/* The documented exit statuses (README.md, "Exit status") and the one
 * place that turns the errors of the application's modules into them.
 * Modules below the application never see these: they return -errno or an
 * error type of their own, and main.c, session.c and replay.c map it here. */
#ifndef FT_EXIT_H
#define FT_EXIT_H

#include "app/launch.h"
#include "app/pipeline.h"
#include "cpython/target.h"

/* In launch mode, when tracing worked, flowtrace-bpf exits with the
 * command's own status instead (launch_exit_code). */
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

/* The status for a failed pipeline step (pipeline.h); 0 for PIPE_OK. */
int exit_for_pipe(enum pipe_err err);
/* The status for a command that could not be started (launch__start). */
int exit_for_launch(enum launch_err err);
/* The status for a target refused by its verdict (target_inspect); 0 for
 * TARGET_OK. */
int exit_for_verdict(enum target_verdict v);

#endif /* FT_EXIT_H */
