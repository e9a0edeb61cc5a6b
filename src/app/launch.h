/* SPDX-License-Identifier: MIT */
/* Launch mode: starts the command under ptrace only long enough to follow
 * its execs to the CPython interpreter, stops it before any Python code runs
 * (markers in the executable: at the exec; markers in libpython: once the
 * dynamic loader has mapped it; interpreter uprobes: at its first eval-loop
 * call, through launch_gate.h), and lets it go once the probes are in. If
 * flowtrace-bpf dies at any point of this, the command runs on untraced and
 * unharmed (see launch.c for why each state is safe). */
#ifndef FT_LAUNCH_H
#define FT_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elfimage;

struct config;
struct runas;

struct launch {
	pid_t pid;
	bool traced; /* still under ptrace (stopped) */
	bool reaped;
	int status; /* wait status once reaped */
	/* the first SIGTERM/SIGINT/SIGHUP we got while the command was
	 * starting: > 0 passed on to it, < 0 not (the terminal sent it to the
	 * command too); 0 none */
	int signal;
	/* the program the command exec'd last, as classify_exec() opened it:
	 * target inspection adopts it (target_inspect_with), so the file is
	 * read once per session; NULL when none or adopted */
	struct elfimage *exe_img;
};

/* Why launch__start failed; why and hint say it in words. The application
 * maps each to its exit status (exit.h). */
enum launch_err {
	LAUNCH_OK = 0,
	LAUNCH_ERR_SYSTEM,     /* a pipe, fork, wait or ptrace call failed */
	LAUNCH_ERR_NOT_FOUND,  /* the command was not found (exec, or the -c shell's 127) */
	LAUNCH_ERR_CANNOT_RUN, /* it cannot be executed, or not as the user asked (126) */
	LAUNCH_ERR_NOT_PYTHON, /* it ended without starting a CPython (status in l->status) */
};

/* Starts the command (as the user in as, when as->set) and returns
 * LAUNCH_OK with l->pid stopped at the point where probes can go in. On
 * failure returns why, with why/hint filled (the child is gone then).
 * Meanwhile, and in launch__run_to_gate, the SIGTERM, SIGINT and SIGHUP
 * this process gets are passed on to the command (launch_should_forward)
 * and the first is kept in l->signal. */
enum launch_err launch__start(struct launch *l, const struct config *cfg, const struct runas *as,
			      char *why, size_t whylen, char *hint, size_t hintlen);
/* The signal the gate may send the stopped command: one whose default
 * action is to ignore it, that the command does not block (it would never
 * stop) and preferably does not catch. Returns it, -EBUSY when none fits,
 * or -errno. */
int launch__gate_signal(const struct launch *l);
/* The command is stopped under ptrace (after launch__start) and a gate is
 * armed that sends its thread sig (fired(ctx) says it did): runs it until
 * it stops in that signal's delivery, and leaves it stopped there (the
 * signal is suppressed when it is let go). The command's own signals are
 * passed on. Returns 0, or: -ESRCH when the command ended (reaped, status
 * in l->status); -ENOEXEC when it exec'd another program first (stopped at
 * that exec); -EBUSY when it has or starts a second thread first (the new
 * thread is let go untraced, the command stopped); -EINVAL when it is not
 * stopped under ptrace; another -errno from ptrace. */
int launch__run_to_gate(struct launch *l, int sig, bool (*fired)(void *ctx), void *ctx);
/* Lets the stopped command run (ends ptrace). Returns 0 or -errno. */
int launch__resume(struct launch *l);
/* Kills a command that must not run (refused before any Python ran). */
void launch__kill(struct launch *l);
/* Waits for the command if it has not been reaped. Returns 0, or -errno;
 * with nohang, -EAGAIN when it is still running. */
int launch__wait(struct launch *l, bool nohang);

/* Whether a signal we got (si_code, sender) is passed on to the command:
 * not when the kernel sent it (a terminal's Ctrl-C or hang-up goes to the
 * whole foreground process group, the command included) nor when the
 * command sent it. Pure. */
bool launch_should_forward(int code, pid_t sender, pid_t command);

/* For the integration tests only: with FLOWTRACE_TEST_PAUSE=step in the
 * environment, says "test pause at STEP, command PID N" on stderr and
 * blocks (SIGKILL ends it) at that start-up step: fork, seized, exec, libs,
 * running, gate, ready. Does nothing otherwise. */
void launch_test_pause(const char *step, pid_t pid);
/* For the integration tests only: with FLOWTRACE_TEST_HOLD_MS=N, keeps the
 * command held at its gate N ms longer, as a slow attach or calibration on
 * a loaded machine would (the hold must be no time of the program's). */
void launch_test_hold(void);

/* The status a shell would report for the command's wait status: its exit
 * code, or 128 + the signal that ended it. In launch mode, once tracing
 * worked, it is flowtrace-bpf's own exit status. */
int launch_exit_code(int status);

#endif /* FT_LAUNCH_H */
