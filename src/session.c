// SPDX-License-Identifier: MIT
/* One tracing session: finds the target (attach or launch), attaches the
 * probe source, runs the event loop until a signal, the duration or the
 * target's exit, then tears down in an order that loses nothing: detach
 * the probes, drain the ring, close unfinished frames, render, report.
 * Every exit path goes through that teardown. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "launch.h"
#include "log.h"
#include "method.h"
#include "opcodes.h"
#include "pipeline.h"
#include "probe.h"
#include "pylayout.h"
#include "pyruntime.h"
#include "session.h"
#include "target.h"

/* records can sit in the ring without a wake-up (see wakeup_bytes in the
 * BPF program): drain at least this often */
#define DRAIN_MS 100
/* launch mode: after a signal stops tracing, how long the command gets to
 * finish (it usually received the same Ctrl-C) before it is left running */
#define CHILD_GRACE_MS 2000

enum stop_reason {
	STOP_NONE,
	STOP_SIGNAL,
	STOP_DURATION,
	STOP_TARGET_EXIT,
	STOP_ERROR,
};

struct session {
	const struct config *cfg;
	struct target target;
	struct launch launch;
	bool launched;
	int pid;
	struct pipeline pipe;
	struct probe *probe;
	struct method_choice method;
	struct pylayout lay;	  /* interpreter methods */
	struct opcodes_table ops; /* interpreter methods */
	struct pyruntime rt;	  /* interpreter methods */
	uint64_t t0;		  /* CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns() */
	int sigfd, pidfd, timerfd, epfd;
	int stop_signal;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	pipeline__add(&s->pipe, data, size);
	return 0;
}

static int exit_for_verdict(enum target_verdict v)
{
	switch (v) {
	case TARGET_NO_PROCESS:
		return FT_EXIT_NO_PROCESS;
	case TARGET_NOT_PYTHON:
		return FT_EXIT_NOT_PYTHON;
	case TARGET_NO_MARKERS:
	case TARGET_INCOMPLETE:
		return FT_EXIT_NO_PROBES;
	case TARGET_NO_ACCESS:
		return FT_EXIT_PRIVILEGE;
	default:
		return FT_EXIT_OK;
	}
}

static const char *command_text(const struct config *cfg, char *buf, size_t len)
{
	if (cfg->command)
		return cfg->command;
	if (!cfg->argv)
		return NULL;
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < cfg->argc && off + 1 < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", cfg->argv[i]);
	return buf;
}

/* Finds (or starts) the target and checks that its markers can be used.
 * Returns 0 or an exit code after reporting. */
static int find_target(struct session *s)
{
	const struct config *cfg = s->cfg;
	char why[512] = "", hint[256] = "";
	int rc;

	if (cfg->pid) {
		s->pid = cfg->pid;
	} else {
		rc = launch__start(&s->launch, cfg, why, sizeof(why), hint, sizeof(hint));
		if (rc) {
			log_error(hint, "%s", why);
			return rc;
		}
		s->launched = true;
		s->pid = s->launch.pid;
	}
	rc = target_inspect(s->pid, &s->target);
	if (rc < 0) {
		log_error(NULL, "cannot inspect PID %d: %s", s->pid, strerror(-rc));
		return FT_EXIT_FAILURE;
	}
	/* missing or incomplete markers are for the method to judge */
	if (s->target.verdict != TARGET_OK && s->target.verdict != TARGET_NO_MARKERS &&
	    s->target.verdict != TARGET_INCOMPLETE) {
		log_error(s->target.hint, "%s", s->target.why);
		return exit_for_verdict(s->target.verdict);
	}
	struct method_request req = {
		.method = cfg->method,
		.eval_hook = cfg->eval_hook,
		.launch = s->launched,
	};
	rc = method_choose(&s->target.elf, s->target.binary, &req, &s->method);
	if (rc) {
		log_error(s->method.hint, "%s", s->method.why);
		return rc;
	}
	if (cfg->verbose)
		fprintf(stderr, "flowtrace-bpf: PID %d runs %s\nflowtrace-bpf: method %s: %s\n",
			s->pid, s->target.exe, method_name(&s->method), s->method.why);
	return 0;
}

/* Interpreter methods: reads the layout and the handler table from the
 * file, checks the layout against the live process, and writes the eval
 * hook when the method needs it. In launch mode the command first runs to
 * its first eval-loop call, where the interpreter exists but no Python
 * code has run. Returns 0 or an exit code after reporting. */
static int prepare_interp(struct session *s)
{
	const char *file = s->target.open_path;
	char why[512];
	int err;

	if (pylayout_for(file, &s->target.elf, &s->lay, why, sizeof(why))) {
		log_error("flowtrace-bpf knows default (GIL) release builds of CPython 3.8-3.13",
			  "cannot trust the interpreter layout of %s: %s", s->target.binary, why);
		return FT_EXIT_NO_PROBES;
	}
	if (opcodes_find(file, &s->target.elf, &s->ops, why, sizeof(why))) {
		log_error("flowtrace-bpf knows default (GIL) release builds of CPython 3.8-3.13",
			  "cannot locate the eval loop in %s: %s", s->target.binary, why);
		return FT_EXIT_NO_PROBES;
	}
	err = pyruntime_open(&s->rt, s->pid, s->target.binary, file, &s->lay, &s->ops, why,
			     sizeof(why));
	if (err) {
		log_error(NULL, "cannot find %s in PID %d: %s", s->target.binary, s->pid, why);
		return err == -ESRCH ? FT_EXIT_NO_PROCESS : FT_EXIT_FAILURE;
	}
	if (s->launched) {
		err = launch__run_to(&s->launch, s->rt.eval_addr);
		if (err == -ESRCH) {
			log_error(NULL, "the command ended before running any Python code");
			return FT_EXIT_NOT_PYTHON;
		}
		if (err) {
			log_error(NULL, "cannot run the command to its first Python call: %s",
				  strerror(-err));
			return FT_EXIT_FAILURE;
		}
	}
	err = pyruntime_validate(&s->rt, why, sizeof(why));
	if (err == -EAGAIN && s->launched) {
		/* it runs Python code, so its interpreter exists: the layout is wrong */
		snprintf(why, sizeof(why), "no interpreter at _PyRuntime.interpreters.head");
		err = -ENOTSUP;
	}
	if (err == -EAGAIN) {
		log_error("try again in a moment", "PID %d has not created its interpreter yet",
			  s->pid);
		return FT_EXIT_NO_PROBES;
	}
	if (err == -ESRCH) {
		log_error(NULL, "PID %d exited before tracing started", s->pid);
		return FT_EXIT_NO_PROCESS;
	}
	if (err == -EPERM || err == -EACCES) {
		log_error("run flowtrace-bpf as root (reading another process needs "
			  "CAP_SYS_PTRACE)",
			  "cannot read the memory of PID %d: %s", s->pid, strerror(-err));
		return FT_EXIT_PRIVILEGE;
	}
	if (err) {
		log_error("flowtrace-bpf reads only layouts it can verify; please report the build",
			  "the memory of PID %d does not match CPython %s's layout: %s", s->pid,
			  s->target.elf.version, why);
		return FT_EXIT_NO_PROBES;
	}
	if (!s->method.hook)
		return 0;
	err = pyruntime_hook(&s->rt, why, sizeof(why));
	if (err == -EBUSY && s->rt.perf_trampoline) {
		/* -X perf's trampoline already sends every call through
		 * _PyEval_EvalFrameDefault: nothing to write */
		s->method.hook = false;
		if (s->cfg->verbose)
			fprintf(stderr,
				"flowtrace-bpf: the perf trampoline already routes every call "
				"through the eval loop; the eval hook is not written\n");
		return 0;
	}
	if (err) {
		log_error(err == -EBUSY ? "use --method frame, which does not need the slot" : NULL,
			  "cannot write the eval hook in PID %d: %s", s->pid, why);
		return err == -EBUSY ? FT_EXIT_NO_PROBES : FT_EXIT_FAILURE;
	}
	pyruntime_guard(&s->rt);
	return 0;
}

/* Where code objects die, so BPF may cache names (docs/design.md, "Name
 * ids"). Without it every event sends its name: exact, only dearer. */
static void find_code_death(struct session *s, struct pylayout_code_death *cd)
{
	char why[256];

	memset(cd, 0, sizeof(*cd));
	if (s->cfg->calibrate)
		return;
	if (s->method.method != FT_METHOD_USDT) {
		cd->dealloc_offset = s->lay.code_dealloc_offset;
		snprintf(why, sizeof(why), "PyCode_Type.tp_dealloc not found");
	} else if (pylayout_code_death(s->target.open_path, s->target.elf.minor, cd, why,
				       sizeof(why))) {
		cd->dealloc_offset = 0;
	}
	if (!cd->dealloc_offset) {
		char line[512];

		log_line(line, sizeof(line),
			 "warning: names are not cached (%s): every call sends its name, which "
			 "costs more",
			 why);
		fprintf(stderr, "flowtrace-bpf: %s\n", line);
	}
}

static int attach(struct session *s)
{
	char err[512];
	struct pylayout_code_death cd;
	struct probe_opts po = {
		.pid = s->pid,
		.binary = s->target.open_path,
		.ring_size = s->cfg->ring_size,
		.calibrate = s->cfg->calibrate,
		.on_record = on_record,
		.ctx = s,
		.code_death = &cd,
	};

	find_code_death(s, &cd);

	/* every record is stamped after this, so start_ns is never negative */
	s->t0 = mono_ns();
	if (s->method.method == FT_METHOD_USDT) {
		s->probe = probe_usdt__open(&po, err, sizeof(err));
	} else {
		struct probe_interp_opts io = {
			.base = po,
			.method = s->method.method == FT_METHOD_EVAL ? PROBE_INTERP_EVAL
								     : PROBE_INTERP_FRAME,
			.eval_entries = s->method.eval_entries,
			.usdt_exits = s->method.usdt_exits,
			.lay = &s->lay,
			.ops = &s->ops,
			.runtime_addr = s->rt.runtime_addr,
			.code_type_addr = s->rt.code_type_addr,
			.init_cleanup_addr = s->rt.init_cleanup_addr,
		};
		s->probe = probe_interp__open(&io, err, sizeof(err));
	}
	if (s->probe) {
		if (s->cfg->verbose) {
			size_t perf, multi;

			probe__links(s->probe, &perf, &multi);
			fprintf(stderr,
				"flowtrace-bpf: probes held by %zu uprobe_multi and %zu perf-event "
				"links\n",
				multi, perf);
		}
		if (s->cfg->verbose >= 2) {
			size_t n;
			const uint64_t *off = probe__uprobes(s->probe, &n);

			fprintf(stderr, "flowtrace-bpf: uprobes at file offsets");
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, " %#" PRIx64, off[i]);
			fprintf(stderr, " of %s\n", s->target.open_path);
		}
		return 0;
	}
	int e = errno;
	if (e == ESRCH) {
		log_error(NULL, "PID %d exited before tracing started", s->pid);
		return FT_EXIT_NO_PROCESS;
	}
	if (e == EPERM || e == EACCES) {
		log_error("BPF needs root (CAP_BPF, CAP_PERFMON); check "
			  "kernel.unprivileged_bpf_disabled, lockdown and the container's seccomp "
			  "profile",
			  "%s", err);
		return FT_EXIT_PRIVILEGE;
	}
	log_error("run with -vvv to see libbpf's log", "%s", err);
	return FT_EXIT_FAILURE;
}

static int setup_loop(struct session *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t set;

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	s->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0)
		return -errno;
	ev.data.fd = s->sigfd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev))
		return -errno;

	s->pidfd = syscall(SYS_pidfd_open, s->pid, 0);
	if (s->pidfd >= 0) {
		ev.data.fd = s->pidfd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->pidfd, &ev))
			return -errno;
	} else if (errno != ESRCH) {
		return -errno;
	}

	if (s->cfg->duration_s > 0) {
		struct itimerspec its = {0};
		double d = s->cfg->duration_s;

		s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (s->timerfd < 0)
			return -errno;
		its.it_value.tv_sec = (time_t)d;
		its.it_value.tv_nsec = (long)((d - (time_t)d) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
		if (timerfd_settime(s->timerfd, 0, &its, NULL))
			return -errno;
		ev.data.fd = s->timerfd;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->timerfd, &ev))
			return -errno;
	}
	if (s->probe) {
		ev.data.fd = probe__fd(s->probe);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			return -errno;
	}
	return 0;
}

static int read_signal(struct session *s)
{
	struct signalfd_siginfo si;

	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	return si.ssi_signo;
}

static enum stop_reason run_loop(struct session *s)
{
	/* a target that is already gone ends the trace at once */
	if (s->pidfd < 0)
		return STOP_TARGET_EXIT;
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(s->epfd, evs, 4, DRAIN_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return STOP_ERROR;
		}
		probe__consume(s->probe);
		pipeline__flush(&s->pipe);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == s->sigfd) {
				s->stop_signal = read_signal(s);
				if (s->stop_signal)
					return STOP_SIGNAL;
			} else if (fd == s->pidfd) {
				return STOP_TARGET_EXIT;
			} else if (fd == s->timerfd) {
				return STOP_DURATION;
			}
		}
	}
}

/* Launch mode, after tracing stopped: wait for the command unless the user
 * insists (another signal) or, after a signal, it outlives the grace time. */
static int wait_command(struct session *s, enum stop_reason why)
{
	int timeout = why == STOP_SIGNAL ? CHILD_GRACE_MS : -1;

	if (!s->launched)
		return 0;
	while (launch__wait(&s->launch, true) == -EAGAIN) {
		struct epoll_event ev;
		int n = epoll_wait(s->epfd, &ev, 1, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -EAGAIN; /* left running */
		if (n > 0 && ev.data.fd == s->sigfd && read_signal(s))
			return -EAGAIN;
		if (n > 0 && ev.data.fd != s->pidfd && ev.data.fd != s->sigfd) {
			/* the ring or the timer: nothing to do any more */
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, ev.data.fd, NULL);
		}
	}
	return 0;
}

static void session_free(struct session *s)
{
	probe__free(s->probe);
	pyruntime_unhook(&s->rt);
	pipeline__free(&s->pipe);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->epfd >= 0)
		close(s->epfd);
}

static void trace_meta(struct session *s, struct tracefile_meta *m)
{
	char cmd[sizeof(m->command)];

	memset(m, 0, sizeof(*m));
	m->pid = s->pid;
	m->abi = FT_ABI_VERSION;
	m->t0 = s->t0;
	clock_gettime(CLOCK_REALTIME, &m->wall_start);
	snprintf(m->python, sizeof(m->python), "%s", s->target.elf.version);
	snprintf(m->probe, sizeof(m->probe), "%s", probe__name(s->probe));
	snprintf(m->binary, sizeof(m->binary), "%s", s->target.binary);
	const char *c = command_text(s->cfg, cmd, sizeof(cmd));
	snprintf(m->command, sizeof(m->command), "%s", c ? c : "");
}

int session_run(const struct config *cfg)
{
	struct session s = {.cfg = cfg, .sigfd = -1, .pidfd = -1, .timerfd = -1, .epfd = -1};
	struct tracefile_meta tm;
	int rc, err;

	rc = pipeline__open(&s.pipe, cfg, cfg->cmd == FT_CMD_RECORD ? PIPE_RECORD : PIPE_RENDER);
	if (rc)
		return rc;
	rc = find_target(&s);
	if (!rc && s.method.method != FT_METHOD_USDT)
		rc = prepare_interp(&s);
	if (!rc)
		rc = attach(&s);
	if (!rc) {
		trace_meta(&s, &tm);
		rc = pipeline__start(&s.pipe, &tm);
	}
	if (!rc) {
		err = setup_loop(&s);
		if (err) {
			log_error(NULL, "cannot set up the event loop: %s", strerror(-err));
			rc = FT_EXIT_FAILURE;
		}
	}
	if (rc) {
		/* nothing ran under the probes: drop the output, stop a launched command */
		pyruntime_unhook(&s.rt);
		if (s.launched)
			launch__kill(&s.launch);
		pipeline__abort(&s.pipe);
		session_free(&s);
		return rc;
	}
	if (s.launched) {
		err = launch__resume(&s.launch);
		if (err) {
			log_error(NULL, "cannot let the command run: %s", strerror(-err));
			rc = FT_EXIT_FAILURE;
		}
	}

	enum stop_reason why = STOP_ERROR;
	if (!rc) {
		fprintf(stderr, "flowtrace-bpf: tracing PID %d (CPython %s, %s in %s)%s\n", s.pid,
			*s.target.elf.version ? s.target.elf.version : "?", probe__name(s.probe),
			s.target.binary, cfg->duration_s > 0 ? "" : "; Ctrl-C to stop");
		why = run_loop(&s);
	}

	/* teardown: the trace ends here, then the probes leave the target and
	 * what is queued is drained */
	probe__stop(s.probe);
	struct tracefile_end end = {.t_end = mono_ns(), .target_exited = why == STOP_TARGET_EXIT};
	probe__detach(s.probe);
	pyruntime_unhook(&s.rt);
	probe__consume(s.probe);
	probe__drops(s.probe, end.drops);
	pipeline__fail(&s.pipe, probe__error(s.probe));
	int prc = pipeline__finish(&s.pipe, &end);
	if (!rc)
		rc = prc;
	if (why == STOP_ERROR && !rc)
		rc = FT_EXIT_FAILURE;

	if (s.launched) {
		if (wait_command(&s, why) == 0) {
			if (!rc)
				rc = launch_exit_code(s.launch.status);
		} else {
			fprintf(stderr, "flowtrace-bpf: PID %d is still running, untraced\n",
				s.pid);
			if (!rc)
				rc = 128 + (s.stop_signal ? s.stop_signal : SIGTERM);
		}
	}
	session_free(&s);
	return rc;
}
