// SPDX-License-Identifier: MIT
/* Launch mode: fork, PTRACE_TRACEME, follow execs to the interpreter, stop
 * before Python runs. The tracee is never left traced: if flowtrace-bpf dies
 * during this short phase the kernel detaches it and it runs on untraced. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "elfinfo.h"
#include "launch.h"

#define START_OPTIONS (PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD)
/* launch__run_to: also stop at new threads and processes, which would
 * otherwise meet the int3 untraced */
#define RUN_TO_OPTIONS                                                                    \
	(START_OPTIONS | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | \
	 PTRACE_O_TRACEVFORKDONE)

static void child_exec(const struct config *cfg, int errfd)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
		goto fail;
	/* the parent sets ptrace options while we are stopped here */
	raise(SIGSTOP);
	if (cfg->command) {
		char *cmd;

		/* exec: the shell becomes the command, so the PID stays the one traced */
		if (asprintf(&cmd, "exec %s", cfg->command) < 0)
			goto fail;
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	} else {
		execvp(cfg->argv[0], cfg->argv);
	}
fail:;
	int e = errno;
	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nothing left to tell anyone */
	}
	_exit(e == ENOENT ? FT_EXIT_NOT_FOUND : FT_EXIT_CANNOT_RUN);
}

/* What the exec'd image is: 2 = ready now (the executable carries the
 * markers, or is a static CPython), 1 = a CPython whose libpython is yet to
 * be mapped, 0 = not a CPython (a shell, env, a wrapper). */
static int classify_exec(pid_t pid)
{
	struct elf_info info;
	char exe[64];

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (elf_inspect(exe, &info) < 0)
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

int launch__start(struct launch *l, const struct config *cfg, char *why, size_t whylen, char *hint,
		  size_t hintlen)
{
	const char *what = cfg->command ? cfg->command : cfg->argv[0];
	int errpipe[2], st;

	memset(l, 0, sizeof(*l));
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot start '%s': %s", what, strerror(errno));
		return FT_EXIT_FAILURE;
	}
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(why, whylen, "cannot start '%s': %s", what, strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		return FT_EXIT_FAILURE;
	}
	if (l->pid == 0) {
		close(errpipe[0]);
		child_exec(cfg, errpipe[1]);
	}
	close(errpipe[1]);
	l->traced = true;

	if (waitpid(l->pid, &st, 0) < 0 || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, l->pid, NULL, (void *)(long)START_OPTIONS) < 0 ||
	    ptrace(PTRACE_CONT, l->pid, NULL, NULL) < 0) {
		snprintf(why, whylen, "cannot start '%s' under ptrace: %s", what, strerror(errno));
		snprintf(hint, hintlen, "a ptrace restriction (Yama, seccomp) may be in the way");
		launch__kill(l);
		close(errpipe[0]);
		return FT_EXIT_FAILURE;
	}

	bool syscalls = false;
	for (;;) {
		if (waitpid(l->pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "lost track of '%s': %s", what, strerror(errno));
			close(errpipe[0]);
			launch__kill(l);
			return FT_EXIT_FAILURE;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			int e = 0;

			l->reaped = true;
			l->traced = false;
			l->status = st;
			if (read(errpipe[0], &e, sizeof(e)) == sizeof(e)) {
				close(errpipe[0]);
				snprintf(why, whylen, "cannot run '%s': %s", what, strerror(e));
				snprintf(hint, hintlen, "%s",
					 e == ENOENT ? "check the command name and PATH"
						     : "check the file's permissions");
				return e == ENOENT ? FT_EXIT_NOT_FOUND : FT_EXIT_CANNOT_RUN;
			}
			close(errpipe[0]);
			/* the shell of -c reports a missing command as 127, a
			 * non-executable one as 126: keep a shell's statuses */
			int code = launch_exit_code(st);
			if (cfg->command &&
			    (code == FT_EXIT_NOT_FOUND || code == FT_EXIT_CANNOT_RUN)) {
				snprintf(why, whylen, "cannot run '%s': %s", what,
					 code == FT_EXIT_NOT_FOUND ? "command not found"
								   : "not executable");
				snprintf(hint, hintlen, "check the command name and PATH");
				return code;
			}
			snprintf(why, whylen,
				 "'%s' ended (status %d) without starting a CPython interpreter",
				 what, code);
			snprintf(hint, hintlen,
				 "the command must exec a Python interpreter (a wrapper that forks "
				 "one can be traced with -p PID)");
			return FT_EXIT_NOT_PYTHON;
		}
		int sig = WSTOPSIG(st);
		int req = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;

		if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXEC) {
			int kind = classify_exec(l->pid);

			if (kind == 2)
				break;
			syscalls = kind == 1;
			req = syscalls ? PTRACE_SYSCALL : PTRACE_CONT;
			sig = 0;
		} else if (sig == (SIGTRAP | 0x80)) {
			if (at_libs_loaded(l->pid))
				break;
			sig = 0;
		}
		/* a signal for the command: deliver it */
		if (ptrace(req, l->pid, NULL, (void *)(long)sig) < 0 && errno != ESRCH) {
			snprintf(why, whylen, "cannot follow '%s': %s", what, strerror(errno));
			close(errpipe[0]);
			launch__kill(l);
			return FT_EXIT_FAILURE;
		}
	}
	close(errpipe[0]);
	return 0;
}

/* Threads of pid (entries of /proc/PID/task), or -errno. */
static int count_threads(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Writes byte into the text of pid at addr; *old gets the byte it replaces. */
static int poke_byte(pid_t pid, uint64_t addr, uint8_t byte, uint8_t *old)
{
	long word;

	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)(uintptr_t)addr, NULL);
	if (errno)
		return -errno;
	if (old)
		*old = (uint8_t)word;
	word = (long)(((unsigned long)word & ~0xffUL) | byte);
	if (ptrace(PTRACE_POKETEXT, pid, (void *)(uintptr_t)addr, (void *)word) < 0)
		return -errno;
	return 0;
}

/* A thread or process the command started while the int3 is in (it was
 * attached automatically): waits for its first stop, puts the original
 * byte back in its memory (for a thread or a vfork child: the command's
 * memory too) and lets it go untraced. */
static void release_child(pid_t parent, uint64_t addr, uint8_t orig)
{
	unsigned long child;
	int st;

	if (ptrace(PTRACE_GETEVENTMSG, parent, NULL, &child) < 0 || !child)
		return;
	while (waitpid((pid_t)child, &st, __WALL) < 0 && errno == EINTR)
		;
	poke_byte((pid_t)child, addr, orig, NULL);
	ptrace(PTRACE_DETACH, (pid_t)child, NULL, NULL);
}

int launch__run_to(struct launch *l, uint64_t addr)
{
	pid_t pid = l->pid;
	uint8_t orig;
	int st, sig = 0, err, n;

	if (l->reaped)
		return -ESRCH;
	if (!l->traced || !addr)
		return -EINVAL;
	/* only this thread is traced: another one would die on the int3 */
	n = count_threads(pid);
	if (n < 0)
		return n;
	if (n > 1)
		return -EBUSY;
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)RUN_TO_OPTIONS) < 0)
		return -errno;
	err = poke_byte(pid, addr, 0xcc, &orig);
	if (err)
		goto out;
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) < 0) {
			err = -errno;
			break;
		}
		sig = 0;
		if (waitpid(pid, &st, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			l->reaped = true;
			l->traced = false;
			l->status = st;
			return -ESRCH;
		}
		int stop = WSTOPSIG(st), event = st >> 16;

		if (stop == SIGTRAP && event == PTRACE_EVENT_EXEC) {
			/* a new image: the int3 went with the old one */
			err = -ENOEXEC;
			goto out;
		}
		if (stop == SIGTRAP && event == PTRACE_EVENT_CLONE) {
			/* a second thread: it shares the text, so the int3 goes */
			release_child(pid, addr, orig);
			err = -EBUSY;
			goto out;
		}
		if (stop == SIGTRAP &&
		    (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK)) {
			/* a child process: it goes without the int3; a vfork
			 * child shares our memory until it execs or exits */
			release_child(pid, addr, orig);
			continue;
		}
		if (stop == SIGTRAP && event == PTRACE_EVENT_VFORK_DONE) {
			err = poke_byte(pid, addr, 0xcc, NULL);
			if (err)
				goto out;
			continue;
		}
		if (event || stop == (SIGTRAP | 0x80))
			continue; /* other ptrace stops: nothing to deliver */

		siginfo_t si;
		if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0) {
			if (errno == EINVAL)
				continue; /* a group-stop, not a signal to deliver */
			err = -errno;
			break;
		}
		if (stop == SIGTRAP && si.si_code == SI_KERNEL) {
			struct user_regs_struct regs;

			if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0) {
				err = -errno;
				break;
			}
			if (regs.rip - 1 == addr) {
				regs.rip = addr;
				if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0) {
					err = -errno;
					break;
				}
				err = poke_byte(pid, addr, orig, NULL);
				goto out;
			}
		}
		sig = stop; /* the command's own signal: deliver it */
	}
	/* ptrace failed mid-way: take the int3 out if the command is still there */
	poke_byte(pid, addr, orig, NULL);
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
	return FT_EXIT_FAILURE;
}
