// SPDX-License-Identifier: MIT
/* Launch mode: fork, PTRACE_SEIZE, follow execs to the interpreter, stop
 * before Python runs. Every state the command can be in while traced is
 * one the kernel's detach on the tracer's death leaves harmless, so a
 * flowtrace-bpf killed at any point of this phase (SIGKILL included) leaves
 * a command that runs on untraced, as if never traced:
 * - before the seize the child waits on a pipe; its end closing without
 *   a byte (the tracer died) lets it exec untraced;
 * - no SIGSTOP is ever queued (PTRACE_SEIZE, not PTRACE_TRACEME + raise),
 *   so no stop is left behind for nobody to continue;
 * - the options are set by the seize, before the exec, so execs are ptrace
 *   events (never the legacy SIGTRAP) and syscall-stops carry
 *   SIGTRAP|0x80, not a signal number (TRACESYSGOOD): a detach there
 *   delivers nothing;
 * - the stop at the first eval-loop call is a BPF uprobe that sends a
 *   signal whose delivery does nothing (launch_gate.c), not an int3
 *   written into the text: the kernel removes its uprobe with the tracer's
 *   file descriptors;
 * - the command's own signals are passed on, so one pending at the
 *   tracer's death is delivered as it would have been untraced. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "app/launch.h"
#include "app/runas.h"
#include "sys/procfs.h"

/* a shell's statuses for a command it could not find or not execute
 * (POSIX, "Command Search and Execution"): the child reports an exec
 * failure with them, and the shell of -c does the same */
#define SHELL_NOT_FOUND	 127
#define SHELL_CANNOT_RUN 126

#define START_OPTIONS (PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD)
/* launch__run_to_gate: also stop at new threads, which the gate cannot stop */
#define GATE_OPTIONS (START_OPTIONS | PTRACE_O_TRACECLONE)

/* what the child reports through the exec-error pipe */
enum child_step {
	CHILD_EXEC,
	CHILD_USER,
};

struct child_error {
	int step; /* enum child_step */
	int err;  /* errno */
};

void launch_test_pause(const char *step, pid_t pid)
{
	const char *want = getenv("FLOWTRACE_TEST_PAUSE");

	/* only the integration tests set it: they SIGKILL the tracer here */
	if (!want || strcmp(want, step))
		return;
	fprintf(stderr, "flowtrace-bpf: test pause at %s, command PID %d\n", step, (int)pid);
	for (;;)
		pause();
}

void launch_test_hold(void)
{
	const char *ms = getenv("FLOWTRACE_TEST_HOLD_MS");
	struct timespec ts;
	long n;

	if (!ms || (n = strtol(ms, NULL, 10)) <= 0)
		return;
	ts.tv_sec = n / 1000;
	ts.tv_nsec = n % 1000 * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void child_exec(const struct config *cfg, const struct runas *as, int errfd, int syncfd)
{
	struct child_error ce = {.step = CHILD_EXEC};
	sigset_t none;
	char go;
	int e;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* the parent seizes us, then writes a byte; end of file without it
	 * means it died first: run untraced, as if it had never been there */
	while (read(syncfd, &go, 1) < 0 && errno == EINTR)
		;
	close(syncfd);
	/* after the seize: a traced process keeps its tracer across the uid
	 * change, and ptrace by root needs no dumpable target */
	e = runas_apply(as);
	if (e) {
		ce.step = CHILD_USER;
		errno = -e;
		goto fail;
	}
	if (cfg->command) {
		char *cmd;

		/* exec: the shell becomes the command, so the PID stays the one traced */
		if (asprintf(&cmd, "exec %s", cfg->command) < 0)
			goto fail;
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	} else {
		execvp(cfg->argv[0], cfg->argv);
	}
fail:
	ce.err = errno;
	if (write(errfd, &ce, sizeof(ce)) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(ce.step == CHILD_EXEC && ce.err == ENOENT ? SHELL_NOT_FOUND : SHELL_CANNOT_RUN);
}

/* What the exec'd image is: 2 = ready now (the executable carries the
 * markers, or is a static CPython), 1 = a CPython whose libpython is yet to
 * be mapped, 0 = not a CPython (a shell, env, a wrapper). */
static int classify_exec(struct launch *l)
{
	struct elf_info info;
	char exe[64];

	/* the image is kept for target inspection (launch.h): each exec
	 * replaces the program, so only the last one's is worth keeping */
	elfimage__free(l->exe_img);
	snprintf(exe, sizeof(exe), "/proc/%d/exe", l->pid);
	l->exe_img = elfimage__open(exe);
	if (!l->exe_img || elf_inspect_image(l->exe_img, exe, &info) < 0)
		return 0;
	if (info.has_entry || info.has_return || (info.is_cpython && !info.needs_libpython))
		return 2;
	return info.needs_libpython ? 1 : 0;
}

/* True at the entry of set_tid_address: glibc's (and musl's) thread setup
 * runs it once every DT_NEEDED library is mapped and before main(). */
static bool at_libs_loaded(pid_t pid)
{
	struct __ptrace_syscall_info si;

	if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0)
		return false;
	return si.op == PTRACE_SYSCALL_INFO_ENTRY && si.entry.nr == SYS_set_tid_address;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* The reason a start failed, from the child's report or its status. */
static enum launch_err start_failed(struct launch *l, const struct config *cfg,
				    const struct runas *as, int errfd, char *why, size_t whylen,
				    char *hint, size_t hintlen)
{
	const char *what = cfg->command ? cfg->command : cfg->argv[0];
	struct child_error ce;

	if (read(errfd, &ce, sizeof(ce)) == sizeof(ce)) {
		if (ce.step == CHILD_USER) {
			snprintf(why, whylen, "cannot run '%s' as user %s (uid %u): %s", what,
				 as->name, (unsigned)as->uid, strerror(ce.err));
			snprintf(hint, hintlen,
				 "--user chooses the user (default under sudo: the "
				 "invoking user)");
			return LAUNCH_ERR_CANNOT_RUN;
		}
		snprintf(why, whylen, "cannot run '%s': %s", what, strerror(ce.err));
		snprintf(hint, hintlen, "%s",
			 ce.err == ENOENT ? "check the command name and PATH"
					  : "check the file's permissions");
		return ce.err == ENOENT ? LAUNCH_ERR_NOT_FOUND : LAUNCH_ERR_CANNOT_RUN;
	}
	/* the shell of -c reports a missing command as 127, a non-executable
	 * one as 126: keep a shell's statuses */
	int code = launch_exit_code(l->status);
	if (cfg->command && (code == SHELL_NOT_FOUND || code == SHELL_CANNOT_RUN)) {
		snprintf(why, whylen, "cannot run '%s': %s", what,
			 code == SHELL_NOT_FOUND ? "command not found" : "not executable");
		snprintf(hint, hintlen, "check the command name and PATH");
		return code == SHELL_NOT_FOUND ? LAUNCH_ERR_NOT_FOUND : LAUNCH_ERR_CANNOT_RUN;
	}
	snprintf(why, whylen, "'%s' ended (status %d) without starting a CPython interpreter", what,
		 code);
	snprintf(hint, hintlen,
		 "the command must exec a Python interpreter (a wrapper that forks one can be "
		 "traced with -p PID)");
	return LAUNCH_ERR_NOT_PYTHON;
}

bool launch_should_forward(int code, pid_t sender, pid_t command)
{
	/* the kernel's (a terminal's Ctrl-C or hang-up) went to the whole
	 * foreground process group, the command included; the command's own
	 * would only come back to it */
	return code != SI_KERNEL && sender != command;
}

/* waitpid(l->pid, st, __WALL) that passes on, meanwhile, the signals that
 * end a trace (blocked in this process: main.c), as the event loop does
 * later; the first one is kept in l->signal. A command still starting can
 * take long (a wrapper that sleeps), and a supervisor's SIGTERM must not
 * wait for it. Returns 0 or -errno. */
static int wait_command(struct launch *l, int *st)
{
	sigset_t set, old;
	int rc = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* ptrace stops and exits are announced by SIGCHLD: blocked, it waits
	 * pending for sigwaitinfo (ignored, it would be dropped) */
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (;;) {
		siginfo_t si;
		pid_t r = waitpid(l->pid, st, __WALL | WNOHANG);

		if (r == l->pid)
			break;
		if (r < 0 && errno != EINTR) {
			rc = -errno;
			break;
		}
		if (r < 0)
			continue;
		if (sigwaitinfo(&set, &si) < 0 || si.si_signo == SIGCHLD)
			continue;
		bool passed = launch_should_forward(si.si_code, si.si_pid, l->pid) &&
			      kill(l->pid, si.si_signo) == 0;

		if (!l->signal)
			l->signal = passed ? si.si_signo : -si.si_signo;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

enum launch_err launch__start(struct launch *l, const struct config *cfg, const struct runas *as,
			      char *why, size_t whylen, char *hint, size_t hintlen)
{
	const char *what = cfg->command ? cfg->command : cfg->argv[0];
	int errpipe[2], syncpipe[2], st, rc;
	enum launch_err err;
	bool first_exec = true;

	memset(l, 0, sizeof(*l));
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot start '%s': %s", what, strerror(errno));
		return LAUNCH_ERR_SYSTEM;
	}
	if (pipe2(syncpipe, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot start '%s': %s", what, strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		return LAUNCH_ERR_SYSTEM;
	}
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(why, whylen, "cannot start '%s': %s", what, strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		close(syncpipe[0]);
		close(syncpipe[1]);
		return LAUNCH_ERR_SYSTEM;
	}
	if (l->pid == 0) {
		close(errpipe[0]);
		close(syncpipe[1]);
		child_exec(cfg, as, errpipe[1], syncpipe[0]);
	}
	close(errpipe[1]);
	close(syncpipe[0]);
	launch_test_pause("fork", l->pid);

	/* the options go in with the seize, before the child can exec */
	if (ptrace(PTRACE_SEIZE, l->pid, NULL, (void *)(long)START_OPTIONS) < 0) {
		snprintf(why, whylen, "cannot start '%s' under ptrace: %s", what, strerror(errno));
		snprintf(hint, hintlen, "a ptrace restriction (Yama, seccomp) may be in the way");
		close(syncpipe[1]);
		launch__kill(l);
		close(errpipe[0]);
		return LAUNCH_ERR_SYSTEM;
	}
	l->traced = true;
	launch_test_pause("seized", l->pid);
	if (write(syncpipe[1], "g", 1) != 1) {
		/* cannot happen with the read end open; the close below lets it go */
	}
	close(syncpipe[1]);

	bool syscalls = false, listen = false;
	for (;;) {
		rc = wait_command(l, &st);
		if (rc) {
			snprintf(why, whylen, "lost track of '%s': %s", what, strerror(-rc));
			close(errpipe[0]);
			launch__kill(l);
			return LAUNCH_ERR_SYSTEM;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			l->reaped = true;
			l->traced = false;
			l->status = st;
			err = start_failed(l, cfg, as, errpipe[0], why, whylen, hint, hintlen);
			close(errpipe[0]);
			return err;
		}
		int sig = WSTOPSIG(st), event = st >> 16;
		int req = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;

		listen = false;
		if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
			if (first_exec)
				launch_test_pause("exec", l->pid);
			first_exec = false;
			int kind = classify_exec(l);

			if (kind == 2)
				break;
			syscalls = kind == 1;
			req = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;
			sig = 0;
		} else if (sig == (SIGTRAP | 0x80)) {
			if (at_libs_loaded(l->pid)) {
				launch_test_pause("libs", l->pid);
				break;
			}
			sig = 0;
		} else if (event == PTRACE_EVENT_STOP) {
			/* a group-stop (someone stopped the command): keep it
			 * stopped until SIGCONT, as untraced */
			listen = is_stop_signal(sig);
			sig = 0;
		} else if (event) {
			sig = 0;
		}
		/* otherwise a signal for the command: deliver it */
		if (ptrace(listen ? PTRACE_LISTEN : req, l->pid, NULL, (void *)(long)sig) < 0 &&
		    errno != ESRCH) {
			snprintf(why, whylen, "cannot follow '%s': %s", what, strerror(errno));
			close(errpipe[0]);
			launch__kill(l);
			return LAUNCH_ERR_SYSTEM;
		}
	}
	close(errpipe[0]);
	return LAUNCH_OK;
}

/* Threads of pid (entries of /proc/PID/task), or -errno. */
static int count_threads(pid_t pid)
{
	uint32_t *tids;
	size_t n;
	int err = procfs_tasks(pid, &tids, &n);

	if (err)
		return err == -ESRCH ? -ENOENT : err; /* as opendir() said before */
	free(tids);
	return (int)n;
}

/* A thread the command started before the gate (attached automatically):
 * waits for its first stop and lets it go untraced. */
static void release_thread(pid_t parent)
{
	unsigned long child;
	int st;

	if (ptrace(PTRACE_GETEVENTMSG, parent, NULL, &child) < 0 || !child)
		return;
	while (waitpid((pid_t)child, &st, __WALL) < 0 && errno == EINTR)
		;
	ptrace(PTRACE_DETACH, (pid_t)child, NULL, NULL);
}

int launch__gate_signal(const struct launch *l)
{
	/* default action: ignore; no job-control side effects (SIGCONT
	 * would drop a pending stop signal) */
	static const int candidates[] = {SIGURG, SIGWINCH};
	uint64_t blk, cgt;
	char buf[4096];
	ssize_t n = procfs_read_status(l->pid, 0, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	/* hexadecimal masks, bit N-1 for signal N */
	if (procfs_status_hex(buf, (size_t)n, "SigBlk", &blk) ||
	    procfs_status_hex(buf, (size_t)n, "SigCgt", &cgt))
		return -EIO;
	/* a blocked signal would never stop it; a caught one would run the
	 * command's handler should the tracer die before suppressing it */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
			int sig = candidates[i];
			uint64_t bit = 1ULL << (sig - 1);

			if (!(blk & bit) && (pass || !(cgt & bit)))
				return sig;
		}
	return -EBUSY;
}

int launch__run_to_gate(struct launch *l, int sig_gate, bool (*fired)(void *ctx), void *ctx)
{
	pid_t pid = l->pid;
	int st, sig = 0, err, n;
	bool listen = false, first = true;

	if (l->reaped)
		return -ESRCH;
	if (!l->traced)
		return -EINVAL;
	/* only this thread is traced: another one could reach the gate first */
	n = count_threads(pid);
	if (n < 0)
		return n;
	if (n > 1)
		return -EBUSY;
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)GATE_OPTIONS) < 0)
		return -errno;
	for (;;) {
		if (ptrace(listen ? PTRACE_LISTEN : PTRACE_CONT, pid, NULL, (void *)(long)sig) <
		    0) {
			err = -errno;
			break;
		}
		if (first)
			launch_test_pause("running", pid);
		first = false;
		sig = 0;
		listen = false;
		err = wait_command(l, &st);
		if (err)
			goto out;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			l->reaped = true;
			l->traced = false;
			l->status = st;
			return -ESRCH;
		}
		int stop = WSTOPSIG(st), event = st >> 16;

		if (stop == SIGTRAP && event == PTRACE_EVENT_EXEC) {
			/* a new image: the gate's address means nothing there */
			err = -ENOEXEC;
			goto out;
		}
		if (stop == SIGTRAP && event == PTRACE_EVENT_CLONE) {
			release_thread(pid);
			err = -EBUSY;
			goto out;
		}
		if (event == PTRACE_EVENT_STOP) {
			listen = is_stop_signal(stop);
			continue;
		}
		if (event || stop == (SIGTRAP | 0x80))
			continue; /* other ptrace stops: nothing to deliver */
		if (stop == sig_gate && fired(ctx)) {
			/* stopped in the gate signal's delivery: PTRACE_DETACH
			 * with no signal (launch__resume) suppresses it */
			launch_test_pause("gate", pid);
			err = 0;
			goto out;
		}
		sig = stop; /* the command's own signal: deliver it */
	}
out:
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)START_OPTIONS);
	return err;
}

int launch__resume(struct launch *l)
{
	if (!l->traced)
		return 0;
	l->traced = false;
	if (ptrace(PTRACE_DETACH, l->pid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

void launch__kill(struct launch *l)
{
	if (l->pid <= 0 || l->reaped)
		return;
	kill(l->pid, SIGKILL);
	l->traced = false;
	while (waitpid(l->pid, &l->status, __WALL) < 0 && errno == EINTR)
		;
	l->reaped = true;
}

int launch__wait(struct launch *l, bool nohang)
{
	if (l->reaped)
		return 0;
	for (;;) {
		pid_t r = waitpid(l->pid, &l->status, nohang ? WNOHANG : 0);

		if (r == l->pid) {
			l->reaped = true;
			return 0;
		}
		if (r == 0)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
}

int launch_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	/* a stopped status, which a reaped command never has: a failure */
	return 1;
}
