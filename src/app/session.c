// SPDX-License-Identifier: MIT
/* One tracing session: finds the target (attach or launch), attaches the
 * probe source, runs the event loop until a signal, the duration or the
 * target's exit, then tears down in an order that loses nothing: detach
 * the probes, drain the ring, close unfinished frames, render, report.
 * Every exit path goes through that teardown. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/exit.h"
#include "app/follow_exec.h"
#include "app/launch.h"
#include "app/launch_gate.h"
#include "sys/log.h"
#include "probe/method.h"
#include "app/capture.h"
#include "app/pipeline.h"
#include "core/record.h"
#include "probe/calibrate.h"
#include "probe/probe.h"
#include "app/container.h"
#include "app/runas.h"
#include "app/session.h"
#include "cpython/target.h"
#include "sys/nspid.h"
#include "sys/procfs.h"

/* records can sit in the ring without a wake-up (see wakeup_bytes in the
 * BPF program): drain at least this often */
#define DRAIN_MS 100
/* launch mode: after a signal stops tracing, how long the command gets to
 * finish (it usually received the same Ctrl-C) before it is left running */
#define CHILD_GRACE_MS 2000
/* the set-up's result when the command, passed a signal while it started,
 * ended before tracing began: nothing to report, its status is ours */
#define RC_COMMAND_ENDED (-1)

enum stop_reason {
	STOP_NONE,
	STOP_SIGNAL,
	STOP_DURATION,
	STOP_TARGET_EXIT,
	STOP_EXEC,   /* the target exec'd a program the probes cannot follow */
	STOP_OUTPUT, /* the output cannot take more (its reader went away) */
	STOP_ERROR,
};

struct session {
	const struct config *cfg;
	struct target target;
	struct launch launch;
	struct runas runas; /* launch mode: the user the command runs as */
	bool launched;
	int pid;
	struct pipeline pipe;
	struct probe *probe;
	struct method_choice method;
	struct probe_cal cal;	   /* the tracer's cost per probe hit; how empty: not measured */
	struct calibration *calib; /* refines cal as the trace runs (calibration__refine) */
	uint64_t refined_ns;	   /* when it last did */
	uint64_t cost_ps;	   /* the cost per hit last given to the pipeline */
	uint64_t t0;		   /* CLOCK_MONOTONIC ns, the clock of bpf_ktime_get_ns() */
	int sigfd, pidfd, timerfd, epfd;
	int outfd; /* the output pipe, watched for its reader going away */
	int stop_signal;
	struct stat exe;		      /* the executable traced (dev, inode) */
	bool exec_seen;			      /* an FT_REC_EXEC arrived; not yet judged */
	uint32_t exec_tid;		      /* the thread that called exec, numbered before it */
	char exec_file[FT_EXEC_FILE_MAX + 1]; /* what it exec'd */
	bool forwarded;		  /* launch mode: the stop signal was passed on to the command */
	struct launch_gate *gate; /* launch mode, eval method: freed after the probes */
	bool root_gone;		  /* --follow: the target exited, descendants may not have */
	struct follow_execs *fx;  /* --follow: the execs of followed processes */
};

/* The signals that end a trace (read from the signalfd once the probes are
 * in). Before that, during the set-up, they only set setup_signal: the
 * handler has no SA_RESTART, so a system call waiting on something of the
 * target's returns EINTR, each step is checked, and the error path undoes
 * what was done (a launched command, the output). */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t setup_signal;

static void on_setup_signal(int sig)
{
	if (!setup_signal)
		setup_signal = sig;
}

/* Catches the stop signals for the set-up, unblocked whatever mask we
 * inherited; one ignored by whoever started us (nohup) stays ignored. */
static void catch_setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++) {
		struct sigaction sa, old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_setup_signal;
		sigemptyset(&sa.sa_mask);
		if (!sigaction(stop_signals[i], NULL, &old) && old.sa_handler == SIG_IGN)
			continue;
		sigaction(stop_signals[i], &sa, NULL);
		sigaddset(&set, stop_signals[i]);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static volatile sig_atomic_t early_dump;

static void on_dump_signal(int sig)
{
	(void)sig;
	early_dump = 1;
}

/* --flight: SIGUSR1 asks for the window. Until the signalfd takes it, it
 * must not end the tracer (its default action): a handler that does
 * nothing, not SIG_IGN, which a launched command would inherit. */
static void catch_dump_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_dump_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
}

/* 0, or the exit code after reporting a stop signal that came during the
 * set-up, before anything was traced. */
static int setup_interrupted(void)
{
	int sig = setup_signal;

	if (!sig)
		return 0;
	log_error(NULL, "stopped by %s before tracing started", signal_name(sig));
	return 128 + sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --follow or several PIDs: BPF keeps the set of traced processes. */
static bool multi_process(const struct config *cfg)
{
	return cfg->follow || cfg->npids_more;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;
	const struct ft_rec_exec *x = data;

	pipeline__add(&s->pipe, data, size);
	if (multi_process(s->cfg)) {
		/* --follow: judged after the drain (follow_exec.c) */
		if (size >= sizeof(*x) && x->hdr.type == FT_REC_EXEC)
			follow_execs__add(s->fx, x);
		return 0;
	}
	/* judged once the batch is in: the builder already closed the old
	 * program's frames at the exec */
	if (size >= sizeof(*x) && x->hdr.type == FT_REC_EXEC && x->hdr.tgid == (__u32)s->pid) {
		s->exec_seen = true;
		s->exec_tid = x->hdr.tid;
		memcpy(s->exec_file, x->file, sizeof(x->file));
		s->exec_file[sizeof(x->file)] = 0;
	}
	return 0;
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

/* After a step of attaching failed: when the process has exited meanwhile,
 * that is the reason to report (exit 4), whatever the step saw (a /proc
 * file gone, an attach refused). Returns that exit code after reporting,
 * else 0. A launched command that ends is launch.c's to report. */
static int exited_during_attach(const struct session *s)
{
	if (s->launched || s->pid <= 0 || !target_gone(s->pid))
		return 0;
	log_error(NULL, "process %d exited during attach", s->pid);
	return FT_EXIT_NO_PROCESS;
}

/* Reports a step that failed, as exited_during_attach() or else as said,
 * and returns the exit code. */
__attribute__((format(printf, 4, 5))) static int step_failed(const struct session *s, int rc,
							     const char *hint, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int gone;

	/* a step cut short by a stop signal failed because of it */
	if (setup_signal)
		return setup_interrupted();
	gone = exited_during_attach(s);
	if (gone)
		return gone;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error(hint, "%s", msg);
	return rc;
}

/* The first mapping of file offset 0 of path in pid: where it is loaded. */
struct first_map {
	const char *path;
	uint64_t start;
};

static int first_map_fn(void *ctx, struct procfs_map *m)
{
	struct first_map *f = ctx;

	if (!m->path || m->offset || !procfs_path_matches(m->path, f->path))
		return 0;
	f->start = m->start;
	return 1;
}

/* -p PID,PID,...: one set of probes serves them all only if each runs the
 * target's interpreter file in its PID namespace (the probes sit in that
 * file, BPF places its addresses per process by where the process loaded
 * it, and finds threads by their ids in that namespace): a pre-fork
 * server's workers, or processes of one interpreter started apart. Returns
 * 0 or an exit code after reporting. */
static int check_kin(struct session *s)
{
	struct first_map root = {.path = s->target.binary};
	uint64_t rdev, rino, dev, ino;
	struct stat rexe, exe;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", s->pid);
	if (stat(path, &rexe) || procfs_maps(s->pid, first_map_fn, &root) != 1 ||
	    nspid_ns_of(s->pid, &rdev, &rino))
		return step_failed(s, FT_EXIT_FAILURE, NULL, "cannot read the maps of PID %d",
				   s->pid);
	for (int i = 0; i < s->cfg->npids_more; i++) {
		int pid = s->cfg->pids_more[i];
		struct first_map m = {.path = s->target.binary};

		if (pid == s->pid || target_gone(pid)) {
			log_error(NULL, pid == s->pid ? "PID %d given twice" : "no process %d",
				  pid);
			return pid == s->pid ? FT_EXIT_USAGE : FT_EXIT_NO_PROCESS;
		}
		snprintf(path, sizeof(path), "/proc/%d/exe", pid);
		if (stat(path, &exe) || exe.st_dev != rexe.st_dev || exe.st_ino != rexe.st_ino ||
		    procfs_maps(pid, first_map_fn, &m) != 1 || nspid_ns_of(pid, &dev, &ino) ||
		    dev != rdev || ino != rino) {
			if (target_gone(pid)) {
				log_error(NULL, "process %d exited during attach", pid);
				return FT_EXIT_NO_PROCESS;
			}
			log_error("several PIDs share one set of probes when they run one "
				  "interpreter file in one PID namespace; trace the others "
				  "separately",
				  "PID %d does not run PID %d's interpreter in its PID namespace",
				  pid, s->pid);
			return FT_EXIT_NO_PROBES;
		}
	}
	return 0;
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
		if (runas_resolve(&s->runas, cfg->user, why, sizeof(why), hint, sizeof(hint))) {
			log_error(hint, "%s", why);
			return FT_EXIT_USAGE;
		}
		if (cfg->verbose && s->runas.set)
			fprintf(stderr, "flowtrace-bpf: the command runs as user %s (uid %u, %s)\n",
				s->runas.name, (unsigned)s->runas.uid, s->runas.why);
		enum launch_err lerr = launch__start(&s->launch, cfg, &s->runas, why, sizeof(why),
						     hint, sizeof(hint));
		/* asked to stop while it started, and it did: its status */
		if (lerr == LAUNCH_ERR_NOT_PYTHON && s->launch.signal && s->launch.reaped)
			return RC_COMMAND_ENDED;
		if (lerr) {
			log_error(hint, "%s", why);
			return exit_for_launch(lerr);
		}
		s->launched = true;
		s->pid = s->launch.pid;
	}
	/* a launched command's executable is already open (launch.h) */
	rc = target_inspect_with(s->pid, &s->target, s->launch.exe_img);
	s->launch.exe_img = NULL;
	if (rc < 0) {
		int gone = exited_during_attach(s);

		if (gone)
			return gone;
		log_error(NULL, "cannot inspect PID %d: %s", s->pid, strerror(-rc));
		return FT_EXIT_FAILURE;
	}
	/* missing or incomplete markers are for the method to judge */
	if (s->target.verdict != TARGET_OK && s->target.verdict != TARGET_NO_MARKERS &&
	    s->target.verdict != TARGET_INCOMPLETE) {
		/* "no such process" is the PID check itself */
		rc = s->target.verdict == TARGET_NO_PROCESS ? 0 : exited_during_attach(s);
		if (rc)
			return rc;
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
		int gone = exited_during_attach(s);

		if (gone)
			return gone;
		log_error(s->method.hint, "%s", s->method.why);
		return FT_EXIT_NO_PROBES; /* nothing the options allow can trace it */
	}
	if (cfg->verbose) {
		char line[PATH_MAX + 64];

		/* the path is the target's to choose: escaped like every message */
		log_line(line, sizeof(line), "PID %d runs %s", s->pid, s->target.exe);
		fprintf(stderr, "flowtrace-bpf: %s\nflowtrace-bpf: method %s: %s\n", line,
			method_name(&s->method), s->method.why);
	}
	if (*s->method.warning)
		fprintf(stderr, "flowtrace-bpf: warning: %s\n", s->method.warning);
	if (multi_process(cfg) && s->method.method == FT_METHOD_USDT) {
		log_error("--follow and several PIDs work with the interpreter methods (eval, "
			  "frame)",
			  "%s cannot be traced by the markers yet",
			  cfg->follow ? "--follow" : "several PIDs");
		return FT_EXIT_USAGE;
	}
	return cfg->npids_more ? check_kin(s) : 0;
}

static bool gate_fired(void *ctx)
{
	return launch_gate__fired(ctx);
}

static int attach(struct session *s);

/* Launch mode, interpreter methods: the probes go in while the command is
 * stopped before its interpreter exists, then it runs to its first
 * eval-loop call, where the live layout can be checked before any Python
 * code has run. The probes see that first call.
 * The stop is the gate's signal (launch_gate.h), not a breakpoint written
 * into the command. Returns 0 or an exit code after reporting. */
static int run_to_first_call(struct session *s)
{
	struct launch_gate *gate;
	char err[256];
	int rc, sig;

	sig = launch__gate_signal(&s->launch);
	if (sig < 0) {
		log_error("a command that blocks SIGURG and SIGWINCH before Python starts can be "
			  "traced with -p PID",
			  "cannot stop the command at its first Python call: %s",
			  sig == -EBUSY ? "it blocks both signals the stop could use"
					: strerror(-sig));
		return FT_EXIT_FAILURE;
	}
	/* the gate goes in before the probes: if the tracer is killed, the
	 * kernel closes the newest descriptors first, and a uprobe closed while
	 * the eval method's uretprobe is still in waits on the command (see
	 * below), so the gate must not be among the first to go */
	gate = launch_gate__open(s->pid, s->target.open_path, probe__first_call_offset(s->probe),
				 sig, err, sizeof(err));
	if (!gate) {
		int e = errno;

		log_error("run with -vvv to see libbpf's log", "%s", err);
		return e == EPERM || e == EACCES ? FT_EXIT_PRIVILEGE : FT_EXIT_FAILURE;
	}
	rc = attach(s);
	if (rc) {
		launch_gate__free(gate);
		return rc;
	}
	/* The command is held by ptrace and has run no Python yet, so arming
	 * now races nothing; and it must be armed, since the gate's hit is the
	 * first eval-loop entry, which the eval method's probe sees too. That
	 * entry's record is stamped before the hold, t0 after it (session_run). */
	probe__arm(s->probe);
	rc = launch__run_to_gate(&s->launch, sig, gate_fired, gate);
	/* Removing a uprobe waits until the kernel's return instances are
	 * released, and with the eval loop's uretprobe in (the eval method;
	 * frame before 3.13), a busy command re-leases them at every call
	 * until that uretprobe goes: freed now, the gate would wait the whole
	 * trace, holding the kernel's perf event_mutex (every other uprobe
	 * attach on the machine, ours at detach included, would wait on it).
	 * So with a uretprobe the gate, one-shot and sharing the eval probe's
	 * address, goes after the probes (session_run); otherwise it goes
	 * now, in the background. */
	if (probe__holds_uretprobe(s->probe))
		s->gate = gate;
	else
		launch_gate__free_async(gate);
	if (rc == -ESRCH && s->launch.signal)
		return RC_COMMAND_ENDED; /* asked to stop, and it did */
	if (rc == -ESRCH) {
		log_error(NULL, "the command ended before running any Python code");
		return FT_EXIT_NOT_PYTHON;
	}
	if (rc) {
		log_error(NULL, "cannot run the command to its first Python call: %s",
			  strerror(-rc));
		return FT_EXIT_FAILURE;
	}
	return 0;
}

/* Reports a failed step of the probe source (probe.h) as step_failed()
 * does, and returns the exit code its kind maps to. */
static int probe_failed(const struct session *s, const struct probe_error *e)
{
	int rc = e->fault == PROBE_FAULT_GONE	       ? FT_EXIT_NO_PROCESS
		 : e->fault == PROBE_FAULT_PRIVILEGE   ? FT_EXIT_PRIVILEGE
		 : e->fault == PROBE_FAULT_UNSUPPORTED ? FT_EXIT_NO_PROBES
						       : FT_EXIT_FAILURE;

	return step_failed(s, rc, *e->hint ? e->hint : NULL, "%s", e->msg);
}

/* Opens the probe source for the method chosen (nothing attached yet).
 * Returns 0 or an exit code after reporting. */
static int open_probe(struct session *s)
{
	struct probe_opts po = {
		.launch = s->launched,
		.ring_size = s->cfg->ring_size,
		.calibrate = s->cfg->calibrate,
		.verbose = s->cfg->verbose > 0,
		.follow = s->cfg->follow,
		.more_pids = s->cfg->pids_more,
		.nmore_pids = (size_t)s->cfg->npids_more,
		.on_record = on_record,
		.ctx = s,
	};
	struct probe_error pe;

	s->probe = probe__open(&s->method, &s->target, &po, &pe);
	return s->probe ? 0 : probe_failed(s, &pe);
}

/* Interpreter methods: the source reads the layout and the handler table
 * from the file and checks the layout against the live process before the
 * probes go in. In launch mode the command first runs to its first
 * eval-loop call, where the interpreter exists but no Python code has run,
 * with the probes already in. Returns 0 or an exit code after reporting. */
static int prepare_interp(struct session *s)
{
	struct probe_error pe;
	int rc = open_probe(s);

	if (!rc && s->launched)
		rc = run_to_first_call(s);
	if (rc)
		return rc;
	if (probe__check(s->probe, &pe))
		return probe_failed(s, &pe);
	if (s->launched)
		return 0;
	rc = setup_interrupted();
	return rc ? rc : attach(s);
}

/* The target exec'd (see FT_REC_EXEC). Returns whether tracing goes on:
 * the markers are bound to the file, so the USDT source keeps tracing a new
 * run of the same executable (BPF has reset its per-thread state). The
 * interpreter methods' BPF has stopped itself: their probes hold addresses
 * of the old program, which would name calls wrongly in the new one. */
static bool follow_exec(struct session *s)
{
	char path[64], note[600];
	struct stat st;

	s->exec_seen = false;
	log_line(note, sizeof(note), "PID %d exec'd %s", s->pid,
		 *s->exec_file ? s->exec_file : "a new program");
	if (s->method.method != FT_METHOD_USDT) {
		log_error(s->target.verdict == TARGET_OK ? "--method usdt follows an exec of the "
							   "same interpreter"
							 : NULL,
			  "%s: its trace ends there (the %s method cannot follow a new program: "
			  "its probes hold the old program's addresses)",
			  note, probe__name(s->probe));
		return false;
	}
	if (s->exec_tid != (uint32_t)s->pid) {
		/* the markers' perf-event links were opened for the main thread,
		 * which the kernel replaced by the exec'ing one: they never fire
		 * again in this process */
		log_error(NULL,
			  "%s from thread %u: its trace ends there (the probes were bound to the "
			  "main thread, which the exec replaced)",
			  note, s->exec_tid);
		return false;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", s->pid);
	/* read late (the new program may have run to its exit meanwhile): then
	 * the path it was given, when absolute, as this tracer sees it */
	if (stat(path, &st) && (s->exec_file[0] != '/' || stat(s->exec_file, &st))) {
		log_error(NULL, "%s, which could not be identified: its trace ends there", note);
		return false;
	}
	if (st.st_dev == s->exe.st_dev && st.st_ino == s->exe.st_ino) {
		if (s->cfg->verbose)
			fprintf(stderr,
				"flowtrace-bpf: %s, the same interpreter: tracing it afresh\n",
				note);
		return true;
	}
	log_error(NULL, "%s, not the traced interpreter: its trace ends there", note);
	return false;
}

/* Attaches the probes (disarmed), opening the source first when
 * prepare_interp() did not. Returns 0 or an exit code after reporting. */
static int attach(struct session *s)
{
	char exe[64];
	struct probe_error pe;
	int rc, err;

	/* what an exec is compared with; a target that is gone fails below */
	snprintf(exe, sizeof(exe), "/proc/%d/exe", s->pid);
	if (stat(exe, &s->exe))
		memset(&s->exe, 0, sizeof(s->exe));
	if (!s->probe) {
		rc = open_probe(s);
		if (rc)
			return rc;
	}
	err = probe__attach(s->probe, &pe);
	if (*probe__warning(s->probe))
		fprintf(stderr, "flowtrace-bpf: %s\n", probe__warning(s->probe));
	if (err)
		return probe_failed(s, &pe);
	if (s->cfg->verbose) {
		size_t perf, multi;

		probe__links(s->probe, &perf, &multi);
		fprintf(stderr,
			"flowtrace-bpf: probes held by %zu uprobe_multi and %zu perf-event links\n",
			multi, perf);
	}
	if (s->cfg->verbose >= 2) {
		size_t n;
		const uint64_t *off = probe__uprobes(s->probe, &n);

		fprintf(stderr, "flowtrace-bpf: uprobes at file offsets");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %#" PRIx64, off[i]);
		char line[PATH_MAX + 8];
		log_line(line, sizeof(line), "%s", s->target.binary);
		fprintf(stderr, " of %s\n", line);
	}
	return 0;
}

/* From here on the stop signals wait in the signalfd, so the teardown
 * always runs; one caught during the set-up is checked after this. */
static int setup_loop(struct session *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		sigaddset(&set, stop_signals[i]);
	if (s->cfg->flight_s > 0)
		sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
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
	/* no event asked for: EPOLLERR, which a pipe reports once its reader
	 * is gone (| head), comes anyway, even for formats that write only
	 * at the end */
	s->outfd = pipeline__poll_fd(&s->pipe);
	if (s->outfd >= 0) {
		struct epoll_event oev = {.events = 0, .data.fd = s->outfd};

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->outfd, &oev))
			s->outfd = -1;
	}
	return 0;
}

/* Launch mode: passes a signal the tracer got on to the command, unless
 * the kernel sent it (a terminal's Ctrl-C or hang-up goes to the
 * whole foreground process group, the command included: once is enough)
 * or the command sent it itself. Returns whether it was passed on. */
static bool forward_signal(struct session *s, const struct signalfd_siginfo *si)
{
	if (!s->launched || s->launch.reaped || s->launch.traced)
		return false;
	if (!launch_should_forward(si->ssi_code, (pid_t)si->ssi_pid, s->pid))
		return false;
	/* not reaped yet, so the PID is still the command's */
	return kill(s->pid, (int)si->ssi_signo) == 0;
}

/* Reads one signal (0 if none) and passes it on in launch mode. */
static int read_signal(struct session *s, bool *forwarded)
{
	struct signalfd_siginfo si;

	*forwarded = false;
	if (read(s->sigfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGUSR1) /* --flight's, never the command's */
		return SIGUSR1;
	*forwarded = forward_signal(s, &si);
	if (*forwarded && s->cfg->verbose)
		fprintf(stderr, "flowtrace-bpf: passed signal %u on to PID %d\n", si.ssi_signo,
			s->pid);
	return (int)si.ssi_signo;
}

/* The cost per hit with the trace's own BPF programs' run time so far, in
 * place of the calibration's empty programs: a cost record goes ahead of
 * the records it applies to, so a recording replays with it too. At most
 * once a drain interval unless at_end. */
static void refine_cost(struct session *s, bool at_end)
{
	struct probe_cal cal;
	uint64_t now = mono_ns();

	if (!s->calib || (!at_end && now - s->refined_ns < DRAIN_MS * 1000000ULL))
		return;
	s->refined_ns = now;
	if (calibration__refine(s->calib, &cal) > 0) {
		struct record_cost r = {.hdr = {.ts = now, .type = RECORD_COST},
					.hit_ps = cal.hit_ps,
					.err_ps = cal.err_ps};

		pipeline__add(&s->pipe, &r, sizeof(r));
		s->cost_ps = cal.hit_ps;
	}
	if (at_end && s->cost_ps && s->cfg->verbose)
		fprintf(stderr,
			"flowtrace-bpf: with its BPF programs' run time, a probe hit cost %.3f "
			"us\n",
			s->cost_ps / 1e6);
}

static enum stop_reason run_loop(struct session *s)
{
	/* a target that is already gone ends the trace at once */
	if (s->pidfd < 0)
		return STOP_TARGET_EXIT;
	/* a signal that came while the command started (already passed on) */
	if (s->launched && s->launch.signal) {
		s->stop_signal = abs(s->launch.signal);
		s->forwarded = s->launch.signal > 0;
		return STOP_SIGNAL;
	}
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(s->epfd, evs, 4, DRAIN_MS);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return STOP_ERROR;
		}
		refine_cost(s, false);
		probe__consume(s->probe);
		follow_execs__judge(s->fx, mono_ns(), false);
		pipeline__flush(&s->pipe);
		if (s->exec_seen && !follow_exec(s))
			return STOP_EXEC;
		/* --follow: the trace ends with the last traced process */
		if (s->root_gone && !probe__follows_any(s->probe))
			return STOP_TARGET_EXIT;
		/* nothing more can be written, or memory ran out: tracing on
		 * would only keep the probes in the target */
		if (pipeline__error(&s->pipe))
			return STOP_OUTPUT;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == s->outfd) {
				pipeline__output_gone(&s->pipe);
				return STOP_OUTPUT;
			}

			if (fd == s->sigfd) {
				s->stop_signal = read_signal(s, &s->forwarded);
				if (s->stop_signal == SIGUSR1) {
					s->stop_signal = 0;
					capture_flight_dump(&s->pipe, mono_ns());
				} else if (s->stop_signal) {
					return STOP_SIGNAL;
				}
			} else if (fd == s->pidfd) {
				if (!multi_process(s->cfg) || !probe__follows_any(s->probe))
					return STOP_TARGET_EXIT;
				/* descendants live on: checked at each round from now on */
				epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->pidfd, NULL);
				s->root_gone = true;
			} else if (fd == s->timerfd) {
				return STOP_DURATION;
			}
		}
	}
}

/* Launch mode, after tracing stopped: waits for the command. A signal
 * passed on to it asked it to end, so it is waited for; after a signal it
 * got from the terminal as well it has CHILD_GRACE_MS, then is left
 * running; a second signal (passed on too, if it is for passing on) means
 * the user insists: it is left running at once. */
static int wait_command(struct session *s, enum stop_reason why)
{
	bool signalled = why == STOP_SIGNAL;
	int timeout = (signalled && !s->forwarded) || why == STOP_OUTPUT ? CHILD_GRACE_MS : -1;

	if (!s->launched)
		return 0;
	while (launch__wait(&s->launch, true) == -EAGAIN) {
		struct epoll_event ev;
		int n = epoll_wait(s->epfd, &ev, 1, timeout);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return -EAGAIN; /* left running */
		if (n > 0 && ev.data.fd == s->sigfd) {
			bool fwd;
			int sig = read_signal(s, &fwd);

			if (!sig)
				continue;
			if (signalled)
				return -EAGAIN;
			/* the first signal, while waiting after -d ended the trace */
			signalled = true;
			s->stop_signal = sig;
			timeout = fwd ? -1 : CHILD_GRACE_MS;
			continue;
		}
		if (n > 0 && ev.data.fd != s->pidfd) {
			/* the ring or the timer: nothing to do any more */
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, ev.data.fd, NULL);
		}
	}
	return 0;
}

static void session_free(struct session *s)
{
	follow_execs__free(s->fx);
	probe__free(s->probe);
	calibration__free(s->calib);
	launch_gate__free(s->gate);
	target_close(&s->target);
	elfimage__free(s->launch.exe_img);
	pipeline__free(&s->pipe);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->epfd >= 0)
		close(s->epfd);
	runas_free(&s->runas);
	launch_gate__join();
}

/* Measures what a probe hit of this trace costs, before the trace starts
 * (the target runs on meanwhile, its probes disarmed). A failure leaves
 * the durations raw and says so. */
static void calibrate(struct session *s)
{
	char err[256];
	int e;

	if (s->cfg->calibrate || s->cfg->raw_times)
		return;
	e = probe__calibrate(s->probe, &s->cal, &s->calib, &setup_signal, err, sizeof(err));
	if (e) {
		memset(&s->cal, 0, sizeof(s->cal));
		/* a stop signal: setup_interrupted() reports it */
		if (e == -EINTR)
			return;
		/* meta.timing says why: not corrected, a cost of 0, and this */
		snprintf(s->cal.how, sizeof(s->cal.how), "none: %.150s", err);
		fprintf(stderr, "flowtrace-bpf: %s: durations include the tracer's own cost\n",
			err);
		return;
	}
	if (s->cfg->verbose)
		fprintf(stderr,
			"flowtrace-bpf: a probe hit costs %.3f us (+-%.3f us): taken out of every "
			"duration\n",
			s->cal.hit_ps / 1e6, s->cal.err_ps / 1e6);
}

static void trace_meta(struct session *s, struct tracefile_meta *m)
{
	char cmd[sizeof(m->command)];

	memset(m, 0, sizeof(*m));
	m->pid = s->pid;
	m->follow = multi_process(s->cfg);
	m->abi = FT_ABI_VERSION;
	m->t0 = s->t0;
	clock_gettime(CLOCK_REALTIME, &m->wall_start);
	snprintf(m->python, sizeof(m->python), "%s", s->target.elf.version);
	snprintf(m->probe, sizeof(m->probe), "%s", probe__name(s->probe));
	/* as the target sees it: a chrooted one's maps name host paths (one
	 * too long is cut, as any) */
	(void)container_path(s->pid, s->target.binary, m->binary, sizeof(m->binary));
	const char *c = command_text(s->cfg, cmd, sizeof(cmd));
	snprintf(m->command, sizeof(m->command), "%s", c ? c : "");
	m->cal_hit_ps = s->cal.hit_ps;
	m->cal_err_ps = s->cal.err_ps;
	snprintf(m->cal_how, sizeof(m->cal_how), "%s", s->cal.how);
	/* what container the target is in: a process that ended has none to say */
	(void)container_read(s->pid, &m->ns);
}

int session_run(const struct config *cfg)
{
	struct session s = {.cfg = cfg,
			    .target = {.fd = -1},
			    .sigfd = -1,
			    .pidfd = -1,
			    .timerfd = -1,
			    .epfd = -1,
			    .outfd = -1};
	struct tracefile_meta tm;
	int rc, err;

	catch_setup_signals();
	if (cfg->flight_s > 0)
		catch_dump_signal();
	rc = exit_for_pipe(pipeline__open(&s.pipe, cfg,
					  cfg->cmd == FT_CMD_RECORD ? PIPE_RECORD : PIPE_RENDER));
	if (rc)
		return rc;
	rc = find_target(&s);
	if (!rc)
		rc = setup_interrupted();
	if (!rc && s.method.method != FT_METHOD_USDT)
		rc = prepare_interp(&s);
	if (!rc)
		rc = setup_interrupted();
	/* every probe goes in disarmed: nothing is emitted yet (launch mode
	 * with the interpreter methods attached and armed them already) */
	if (!rc && !s.probe)
		rc = attach(&s);
	/* --follow: what followed processes exec is judged from the loop */
	if (!rc && multi_process(cfg) && !(s.fx = follow_execs__new(cfg, s.probe, &s.target))) {
		log_error(NULL, "out of memory");
		rc = FT_EXIT_FAILURE;
	}
	/* before the loop's timer starts: -d counts tracing time only */
	if (!rc)
		calibrate(&s);
	if (!rc) {
		err = setup_loop(&s);
		if (err) {
			log_error(NULL, "cannot set up the event loop: %s", strerror(-err));
			rc = FT_EXIT_FAILURE;
		}
	}
	if (!rc)
		rc = setup_interrupted();
	if (!rc && s.launched) {
		launch_test_hold();
		/* Launch mode's hold ends here (docs/design.md, "Launch mode's
		 * hold"): the trace starts at the instant the command is let go,
		 * so t0 is read right before the detach, after which alone it
		 * runs again. The hold (from the gate, or the exec with the
		 * markers) is the tracer's time, not the program's: no record
		 * after t0 lies in it, and one stamped before (the first
		 * eval-loop call's entry, seen at the gate by the eval method)
		 * is placed at 0, since the command ran none of its code between
		 * that record and the stop. */
		probe__arm(s.probe);
		launch_test_pause("ready", s.pid);
		s.t0 = mono_ns();
		err = launch__resume(&s.launch);
		if (err) {
			log_error(NULL, "cannot let the command run: %s", strerror(-err));
			rc = FT_EXIT_FAILURE;
		}
	}
	if (!rc) {
		/* every record is stamped after this, so start_ns is never negative */
		if (!s.t0)
			s.t0 = mono_ns();
		trace_meta(&s, &tm);
		rc = exit_for_pipe(pipeline__start(&s.pipe, &tm));
	}
	if (rc) {
		/* no output: drop it, and stop a launched command (it ran
		 * nothing, or nothing the output could hold) */
		if (s.launched)
			launch__kill(&s.launch);
		pipeline__abort(&s.pipe);
		session_free(&s);
		return rc == RC_COMMAND_ENDED ? launch_exit_code(s.launch.status) : rc;
	}
	/* Every probe is in: the trace starts now, at one instant for all of
	 * them, and the ready line says so. A frame running now that returns
	 * later is "entered before attach"; the interpreter source's stack
	 * snapshot is taken at each thread's first event from here on.
	 * (Launch mode armed them before the release, above.) */
	if (!s.launched)
		probe__arm(s.probe);

	enum stop_reason why = STOP_ERROR;
	if (!rc) {
		char line[PATH_MAX + 256];

		char more[32] = "";

		if (cfg->npids_more)
			snprintf(more, sizeof(more), " and %d more", cfg->npids_more);
		log_line(line, sizeof(line), "tracing PID %d%s%s (CPython %s, %s in %s)%s", s.pid,
			 more,
			 cfg->follow
				 ? (cfg->npids_more ? ", and descendants" : " and its descendants")
				 : "",
			 *s.target.elf.version ? s.target.elf.version : "?", probe__name(s.probe),
			 s.target.binary, cfg->duration_s > 0 ? "" : "; Ctrl-C to stop");
		fprintf(stderr, "flowtrace-bpf: %s\n", line);
		if (early_dump)
			fprintf(stderr, "flowtrace-bpf: flight: a SIGUSR1 came before tracing "
					"started: nothing to write then\n");
		why = run_loop(&s);
	}

	/* teardown: the trace ends here, then the probes leave the target and
	 * what is queued is drained */
	probe__stop(s.probe);
	struct tracefile_end end = {.t_end = mono_ns(), .target_exited = why == STOP_TARGET_EXIT};
	probe__detach(s.probe);
	/* every hit is in: the last refinement, ahead of the last records */
	refine_cost(&s, true);
	calibration__free(s.calib);
	s.calib = NULL;
	launch_gate__free(s.gate);
	s.gate = NULL;
	probe__consume(s.probe);
	follow_execs__judge(s.fx, mono_ns(), true);
	probe__drops(s.probe, end.drops);
	pipeline__fail(&s.pipe, probe__error(s.probe));
	int prc = exit_for_pipe(pipeline__finish(&s.pipe, &end));
	if (!rc)
		rc = prc;
	uint64_t nulls = probe__null_names(s.probe);
	if (nulls)
		log_error("--method auto reads the names itself and leaves the markers off",
			  "warning: %llu marker event%s came without a file or function name: "
			  "CPython could not encode %s as UTF-8 and left an exception set in the "
			  "target",
			  (unsigned long long)nulls, nulls == 1 ? "" : "s",
			  nulls == 1 ? "it" : "them");
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
