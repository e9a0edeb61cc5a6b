/* SPDX-License-Identifier: MIT */
/* Launch mode: starts the command under ptrace only long enough to follow
 * its execs to the CPython interpreter, stops it before any Python code runs
 * (markers in the executable: at the exec; markers in libpython: once the
 * dynamic loader has mapped it), and lets it go once the probes are in. */
#ifndef FT_LAUNCH_H
#define FT_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config;

struct launch {
	pid_t pid;
	bool traced; /* still under ptrace (stopped) */
	bool reaped;
	int status; /* wait status once reaped */
};

/* Starts the command and returns 0 with l->pid stopped at the point where
 * probes can go in. On failure returns an FT_EXIT_* code with why/hint
 * filled (the child is gone then): 127/126 when the command cannot be run,
 * FT_EXIT_NOT_PYTHON when it ended without becoming a CPython, or the
 * command's own exit status in l->status. */
int launch__start(struct launch *l, const struct config *cfg, char *why, size_t whylen, char *hint,
		  size_t hintlen);
/* The command is stopped under ptrace (after launch__start): runs it until
 * it first executes the instruction at addr (a runtime address in its
 * text), through a temporary int3 written with PTRACE_POKETEXT; then puts
 * the original byte back, rewinds rip and leaves it stopped there, so that
 * probes attached now also see that first execution. Signals that arrive
 * meanwhile are passed on. Returns 0, or: -ESRCH when the command ended
 * (reaped, status in l->status); -ENOEXEC when it exec'd another program
 * first (stopped at that exec: addr means nothing there); -EBUSY when it
 * has or starts a second thread first (an untraced thread would die on the
 * int3: the int3 is removed, the new thread left untraced, the command
 * stopped); -EINVAL when it is not stopped under ptrace; another -errno
 * from ptrace. */
int launch__run_to(struct launch *l, uint64_t addr);
/* Lets the stopped command run (ends ptrace). Returns 0 or -errno. */
int launch__resume(struct launch *l);
/* Kills a command that must not run (refused before any Python ran). */
void launch__kill(struct launch *l);
/* Waits for the command if it has not been reaped. Returns 0, or -errno;
 * with nohang, -EAGAIN when it is still running. */
int launch__wait(struct launch *l, bool nohang);

/* The status a shell would report: the exit code, or 128 + signal. */
int launch_exit_code(int status);

#endif /* FT_LAUNCH_H */
