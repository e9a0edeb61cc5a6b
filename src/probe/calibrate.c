// SPDX-License-Identifier: MIT
/* The calibration of the tracer's own cost (calibrate.h). A page of tiny
 * functions, each a copy of one probed instruction and a ret, lives in a
 * memfd twice: one copy under empty BPF programs attached as the trace's
 * probes are (uprobe or uretprobe, perf-event or uprobe_multi link), one
 * bare. Timing rounds of calls over both, the difference per hit is what
 * a probe hit costs: the kernel's trap, its emulation or single step, the
 * dispatch into BPF. The target is never touched: this works the same
 * attached to a service that cannot be restarted. What no copy can run,
 * the trace's own programs' work, the kernel's run-time accounting
 * measures as the trace runs (calibration__refine()). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "calibrate.skel.h"
#include "cpython/target.h"
#include "probe/calibrate.h"
#include "probe/probe_priv.h"

#define CAL_ROUNDS 41
/* probe hits per round: about 25 us of emulated hits, 0.25 ms of stepped,
 * short enough that most rounds run unpreempted on a loaded machine, long
 * enough that the clock's own cost (tens of ns) is noise */
#define CAL_HITS_PER_ROUND 48
#define CAL_SLOT	   16	/* bytes per function in the page */
#define CAL_BARE	   2048 /* where the bare copy starts */
#define CAL_PAGE	   4096
/* The memfd is this many pages long (sparse: one is written), the code at
 * one of them chosen at random: see cal_base() */
#define CAL_SPAN_PAGES 65536
/* Wall time a calibration's child is given (it takes 0.3-0.7 s on a loaded
 * 2-core VM): past it, it is killed (SIGTERM, SIGKILL a second later),
 * retried once, then the durations stay raw. The -c target is held meanwhile: a few seconds at most. */
#define CAL_DEADLINE_S 5

size_t calibrate_copy_insn(const uint8_t *in, size_t avail, uint8_t *out, int *stepped)
{
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	static const uint8_t nop5[] = {0x0f, 0x1f, 0x44, 0x00, 0x00};
	/* mov (%rsp),%rax: a load the kernel always single-steps */
	static const uint8_t load[] = {0x48, 0x8b, 0x04, 0x24};
	size_t n = 0;

	*stepped = 0;
	if (avail >= 1 && in[0] == 0x90) {
		out[n++] = 0x90;
	} else if (avail >= 2 && in[0] == 0x66 && in[1] == 0x90) {
		memcpy(out, in, n = 2);
	} else if (avail >= 4 && !memcmp(in, endbr64, 4)) {
		memcpy(out, endbr64, n = 4);
	} else if (avail >= 5 && !memcmp(in, nop5, 5)) {
		/* the nop5 a kernel may optimise into a call: as it is */
		memcpy(out, nop5, n = 5);
	} else if (avail >= 2 && in[0] == 0x0f && in[1] == 0x1f) {
		/* another long nop: one of the same family */
		out[n++] = 0x0f, out[n++] = 0x1f, out[n++] = 0x00;
	} else if (avail >= 1 && in[0] >= 0x70 && in[0] <= 0x7f) {
		out[n++] = in[0], out[n++] = 0; /* jcc rel8 to the next instruction */
	} else if (avail >= 2 && in[0] == 0x0f && in[1] >= 0x80 && in[1] <= 0x8f) {
		out[n++] = 0x0f, out[n++] = in[1]; /* jcc rel32 */
		memset(out + n, 0, 4), n += 4;
	} else if (avail >= 1 && in[0] == 0xeb) {
		out[n++] = 0xeb, out[n++] = 0;
	} else if (avail >= 1 && in[0] == 0xe9) {
		out[n++] = 0xe9;
		memset(out + n, 0, 4), n += 4;
	} else if (avail >= 1 && in[0] == 0xe8) {
		out[n++] = 0xe8; /* call the next instruction, */
		memset(out + n, 0, 4), n += 4;
		out[n++] = 0xf8; /* (the clc below) */
		/* then lea 8(%rsp),%rsp: its pushed address goes, flags stay */
		out[n++] = 0x48, out[n++] = 0x8d, out[n++] = 0x64, out[n++] = 0x24, out[n++] = 8;
		return n;
	} else if (avail >= 1 && in[0] >= 0x50 && in[0] <= 0x57) {
		out[n++] = in[0], out[n++] = in[0] + 8; /* push, pop */
	} else if (avail >= 2 && in[0] == 0x41 && in[1] >= 0x50 && in[1] <= 0x57) {
		out[n++] = 0x41, out[n++] = in[1], out[n++] = 0x41, out[n++] = in[1] + 8;
	} else {
		memcpy(out, load, n = sizeof(load));
		*stepped = 1;
	}
	/* A copy ending in a zero byte (a long nop, a branch's displacement)
	 * gets a clc after it. The kernel once resumed a probed call at its
	 * last byte instead of after it (docs/design.md, "The copies'
	 * fault"): 00 then the next byte decodes as an add whose ModRM is
	 * that byte; with the lea or ret after it, that was a write through
	 * %rax, or the ret swallowed, the copy running on into whatever
	 * followed, or, for a call, a return through the stack's next word
	 * into anything, a loop too. With clc (0xf8) the wrong entry is
	 * add %bh,%al, registers only, and the copy goes on as it should: a
	 * call's lea still drops the one address the kernel pushed. The
	 * bare twin has it too, so it costs nothing in the difference. */
	if (n && out[n - 1] == 0)
		out[n++] = 0xf8;
	return n;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

void calibrate_summary(int64_t *c, size_t n, uint64_t *median_ps, uint64_t *err_ps)
{
	int64_t med, iqr;
	uint64_t root = 1;

	*median_ps = *err_ps = 0;
	if (!n)
		return;
	qsort(c, n, sizeof(*c), cmp_i64);
	med = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	iqr = c[(3 * (n - 1)) / 4] - c[(n - 1) / 4];
	/* a hit cannot cost less than nothing: a negative median is noise */
	*median_ps = med > 0 ? (uint64_t)med : 0;
	/* the median's standard error: about 1.25 sigma / sqrt(n), sigma
	 * about IQR / 1.35 for normal noise; the heavy tail of preempted
	 * rounds moves the median little */
	while ((root + 1) * (root + 1) <= n)
		root++;
	*err_ps = (uint64_t)(iqr > 0 ? iqr : 0) * 93 / 100 / root + *median_ps / 20;
}

void calibrate_choose(const uint64_t *hit_ps, const uint64_t *err_ps, const unsigned *hits,
		      size_t n, uint64_t *out_hit, uint64_t *out_err)
{
	size_t total = 0, seen = 0;

	*out_hit = *out_err = 0;
	for (size_t i = 0; i < n; i++)
		total += hits[i];
	if (!total)
		return;
	/* the site holding the middle hit, sites in order of cost (n is
	 * small: a selection by repeated minimum does) */
	bool used[64] = {0};
	for (;;) {
		size_t best = n;

		for (size_t i = 0; i < n && i < 64; i++)
			if (!used[i] && (best == n || hit_ps[i] < hit_ps[best]))
				best = i;
		if (best == n)
			return;
		used[best] = true;
		seen += hits[best];
		if (2 * seen > total || (2 * seen == total && total % 2)) {
			*out_hit = hit_ps[best];
			*out_err = err_ps[best];
			return;
		}
		if (2 * seen == total) {
			/* an even split: the mean of the two middle sites, the
			 * error reaching both */
			size_t next = n;

			for (size_t i = 0; i < n && i < 64; i++)
				if (!used[i] && (next == n || hit_ps[i] < hit_ps[next]))
					next = i;
			if (next == n) {
				*out_hit = hit_ps[best];
				*out_err = err_ps[best];
				return;
			}
			*out_hit = (hit_ps[best] + hit_ps[next]) / 2;
			*out_err = (hit_ps[next] - hit_ps[best]) / 2 +
				   (err_ps[best] > err_ps[next] ? err_ps[best] : err_ps[next]);
			return;
		}
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

typedef void (*cal_fn)(void);

/* One round: iter passes over the n functions at base. */
static uint64_t run(const uint8_t *base, size_t n, unsigned iter)
{
	uint64_t t = now_ns();

	for (unsigned k = 0; k < iter; k++)
		for (size_t i = 0; i < n; i++) {
			cal_fn f;
			const void *addr = base + i * CAL_SLOT;

			memcpy(&f, &addr, sizeof(f));
			f();
		}
	return now_ns() - t;
}

struct cal_plan {
	uint8_t page[CAL_PAGE];
	size_t nfn;			   /* functions in each copy */
	uint64_t entry[PROBE_MAX_UPROBES]; /* copy offsets under uprobes */
	uint64_t ret[PROBE_MAX_UPROBES];   /* ... under uretprobes */
	size_t nentry, nret, stepped;
	unsigned hits[PROBE_MAX_UPROBES];   /* probe hits per call of each function */
	uint64_t hit_ps[PROBE_MAX_UPROBES]; /* measured per hit, each function */
	uint64_t err_ps[PROBE_MAX_UPROBES];
	uint64_t fn_of[PROBE_MAX_UPROBES]; /* target offset of each function */
};

/* One function per distinct probed offset: an offset under a uprobe and a
 * uretprobe (the eval method's) takes one trap for both at entry, as in
 * the target. */
static void plan_site(struct cal_plan *pl, uint64_t target_off, const uint8_t *insn, size_t avail,
		      bool ret)
{
	size_t i;

	for (i = 0; i < pl->nfn && pl->fn_of[i] != target_off; i++)
		;
	if (i == pl->nfn) {
		uint8_t code[CALIBRATE_COPY_MAX + 1];
		int stepped;
		size_t len = calibrate_copy_insn(insn, avail, code, &stepped);

		code[len++] = 0xc3; /* ret */
		memcpy(pl->page + i * CAL_SLOT, code, len);
		memcpy(pl->page + CAL_BARE + i * CAL_SLOT, code, len);
		pl->fn_of[pl->nfn++] = target_off;
		pl->stepped += stepped;
	}
	/* a uretprobe is stood for by its entry's uprobe: a uretprobe of
	 * ours would hold the kernel's return-instance lease, and closing any
	 * uprobe link (the trace's at teardown among them) waits for leases
	 * to be released */
	if (ret)
		return;
	pl->hits[i]++;
	pl->entry[pl->nentry++] = i * CAL_SLOT;
}

/* Where in its memfd a calibration's code goes: a page chosen at random
 * among CAL_SPAN_PAGES. The kernel keys a uprobe by the file's inode (its
 * address) and offset, holds no reference on the inode, and keeps for
 * good a uprobe whose removal failed: an unregistration interrupted by a
 * SIGKILL (a tracer or calibration child killed as it closes a link) logs
 * "failed to unregister, leaking uprobe". A memfd's inode is freed when
 * the child exits and its memory soon holds the next memfd's inode; a
 * uprobe registered there at the same offset then joins the leaked one,
 * instruction and all, and the kernel emulates the new copy's probe hit as
 * the old copy's instruction (docs/design.md, "The copies' fault"). Every
 * calibration put its code at offset 0, so a leaked uprobe of one was
 * met by many. At a random page, a leaked uprobe meets one calibration in
 * CAL_SPAN_PAGES at most. */
static uint64_t cal_base(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)(now_ns() ^ ((uint64_t)getpid() << 16));
	return (uint64_t)(r % CAL_SPAN_PAGES) * CAL_PAGE;
}

/* The signals whose default action ends the child (the ones it resets in
 * measure_apart()) */
static void fatal_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGPIPE);
	sigaddset(set, SIGALRM);
	sigaddset(set, SIGXCPU);
}

/* What one measurement attached (in the child, see measure_apart()). */
struct cal_run {
	struct probe sp; /* the links, in the shape probe__detach() takes */
	struct calibrate_bpf *skel;
	uint8_t *code;
	int fd;
};

static void cal_run_free(struct cal_run *c)
{
	sigset_t fatal, old;

	if (!c)
		return;
	/* No fatal signal while the links close: one that lands while the
	 * kernel takes a breakpoint out fails the removal, and the kernel
	 * then leaks the uprobe for good (see cal_base()). The tracer stops
	 * and kills its child with SIGTERM (its death signal too), so it waits
	 * here until the links are closed; a SIGKILL, which nothing blocks,
	 * comes only a second after, for a child that hangs. */
	fatal_signals(&fatal);
	sigprocmask(SIG_BLOCK, &fatal, &old);
	probe__detach(&c->sp);
	calibrate_bpf__destroy(c->skel);
	if (c->code != MAP_FAILED)
		munmap(c->code, CAL_PAGE);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A program's run time and runs so far, as BPF's run-time accounting
 * (BPF_ENABLE_STATS) counted them; 0 when it is off. */
static int prog_run_stats(int fd, uint64_t *ns, uint64_t *cnt)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*ns = info.run_time_ns;
	*cnt = info.run_cnt;
	return 0;
}

static int measure(struct cal_plan *pl, bool multi, struct probe_cal *out, char *err, size_t errlen)
{
	struct cal_run *c = calloc(1, sizeof(*c));
	uint64_t zero[PROBE_MAX_UPROBES] = {0};
	uint64_t base = cal_base(), entry[PROBE_MAX_UPROBES], ret[PROBE_MAX_UPROBES];
	int64_t cost[CAL_ROUNDS];
	char path[64];
	int fd, e = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->code = MAP_FAILED;
	c->fd = -1;
	/* probe__detach() closes these links here, signals deferred (see
	 * cal_run_free), not in a child of its own */
	c->sp.opts.calibrate = true;
	fd = memfd_create("flowtrace-calibration", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)CAL_SPAN_PAGES * CAL_PAGE) ||
	    pwrite(fd, pl->page, CAL_PAGE, (off_t)base) != CAL_PAGE) {
		e = fd < 0 ? -errno : -EIO;
		snprintf(err, errlen, "cannot make the calibration's code: %s", strerror(-e));
		goto out;
	}
	c->code = mmap(NULL, CAL_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, (off_t)base);
	if (c->code == MAP_FAILED) {
		e = -errno;
		snprintf(err, errlen, "cannot map the calibration's code: %s", strerror(-e));
		goto out;
	}
	c->skel = calibrate_bpf__open();
	if (!c->skel) {
		e = -errno;
		snprintf(err, errlen, "cannot open the calibration's BPF programs: %s",
			 strerror(-e));
		goto out;
	}
	bpf_program__set_autoload(c->skel->progs.ft_cal_hit, !multi);
	bpf_program__set_autoload(c->skel->progs.ft_cal_hit_multi, multi);
	if (multi)
		probe__prepare_multi(c->skel->progs.ft_cal_hit_multi);
	e = calibrate_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen, "cannot load the calibration's BPF programs: %s",
			 strerror(-e));
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct bpf_program *prog =
		multi ? c->skel->progs.ft_cal_hit_multi : c->skel->progs.ft_cal_hit;
	for (size_t i = 0; i < pl->nentry; i++)
		entry[i] = base + pl->entry[i];
	for (size_t i = 0; i < pl->nret; i++)
		ret[i] = base + pl->ret[i];
	e = probe__attach_uprobes(&c->sp, prog, multi, getpid(), path, entry, zero, pl->nentry,
				  false);
	if (!e)
		e = probe__attach_uprobes(&c->sp, prog, multi, getpid(), path, ret, zero, pl->nret,
					  true);
	if (e) {
		snprintf(err, errlen, "cannot attach the calibration's uprobes: %s", strerror(-e));
		goto out;
	}
	/* a first pass each to fault the pages in and warm the kernel's paths */
	run(c->code, pl->nfn, 1);
	run(c->code + CAL_BARE, pl->nfn, 1);
	/* each probed instruction on its own: a call's probes are not all of
	 * one kind (the frame method's handlers are single-stepped, its eval
	 * entry emulated), and an average over the sites would weigh rare
	 * ones like common ones */
	for (size_t f = 0; f < pl->nfn; f++) {
		unsigned h = pl->hits[f];
		unsigned iter;

		/* a site no call hits on entry (a uretprobe's alone) costs no
		 * hit here: nothing to time, and nothing to divide by */
		if (!h)
			continue;
		iter = CAL_HITS_PER_ROUND / h;

		for (int r = 0; r < CAL_ROUNDS; r++) {
			uint64_t probed = run(c->code + f * CAL_SLOT, 1, iter);
			uint64_t bare = run(c->code + CAL_BARE + f * CAL_SLOT, 1, iter);

			cost[r] = ((int64_t)probed - (int64_t)bare) * 1000 / (int64_t)(iter * h);
		}
		calibrate_summary(cost, CAL_ROUNDS, &pl->hit_ps[f], &pl->err_ps[f]);
	}
	calibrate_choose(pl->hit_ps, pl->err_ps, pl->hits, pl->nfn, &out->hit_ps, &out->err_ps);
	/* the empty program's own run time, where BPF's accounting is on: the
	 * trace's programs' time takes its place (calibration__refine()) */
	uint64_t ns = 0, cnt = 0;

	if (!prog_run_stats(bpf_program__fd(prog), &ns, &cnt) && cnt)
		out->empty_ps = ns * 1000 / cnt;
	snprintf(out->how, sizeof(out->how),
		 "copies of the %zu probed instruction%s (%zu single-stepped), median hit, "
		 "%d rounds each, %s links",
		 pl->nfn, pl->nfn == 1 ? "" : "s", pl->stepped, CAL_ROUNDS,
		 multi ? "uprobe_multi" : "perf-event");
out:
	c->fd = fd;
	/* no uretprobe of ours holds a lease (see plan_site()): the links can
	 * go now, before a SIGKILL would close them in fd order */
	cal_run_free(c);
	return e;
}

int calibrate_left_ms(uint64_t now_ns, uint64_t deadline_ns)
{
	uint64_t left;

	if (now_ns >= deadline_ns)
		return 0;
	/* rounded up: a wait of 0 ms would spin on poll() until the end */
	left = (deadline_ns - now_ns) / 1000000 + ((deadline_ns - now_ns) % 1000000 != 0);
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Reaps the calibration's child; one still there at until_ns is sent
 * SIGTERM (termed: it was already), one still there a second later
 * SIGKILL, and one that a SIGKILL does not end within a second more (stuck
 * in the kernel) is left to be a zombie until the tracer exits: the trace
 * must not wait on it. SIGTERM first: the child defers it while it closes
 * its links (cal_run_free()), where a SIGKILL would leak its uprobes. */
static void reap(pid_t pid, int *st, uint64_t until_ns, bool termed)
{
	int sent = termed ? 1 : 0;

	for (;;) {
		pid_t w = waitpid(pid, st, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			return;
		if (now_ns() >= until_ns) {
			if (sent == 2)
				return;
			kill(pid, sent ? SIGKILL : SIGTERM);
			sent++;
			until_ns = now_ns() + 1000000000ULL;
		}
		nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL);
	}
}

/* measure() in a child process of its own: the copies run there, so
 * nothing they do can take the tracer down (a copy faulting is reported
 * as a failed calibration: the durations stay raw and the trace goes on),
 * and the child's uprobes go with it when it exits. Nothing it does can
 * hold the tracer either: it is given CAL_DEADLINE_S of wall time and
 * killed after it (-ETIMEDOUT); a stop signal (*stop set) ends the wait
 * at once (-EINTR). */
static int measure_apart(struct cal_plan *pl, bool multi, struct probe_cal *out,
			 const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct {
		int e;
		struct probe_cal cal;
		char err[256];
	} r;
	size_t got = 0;
	int fds[2], st = 0;
	bool late = false, stopped = false;
	pid_t pid;
	/* a test hook (tests/integration/cases/test_durations.py): the
	 * child hangs with every signal it can block blocked, as the one
	 * seen once under load did */
	const char *hang = getenv("FLOWTRACE_TEST_CAL_HANG");
	bool test_hang = hang && !strcmp(hang, "1");

	memset(&r, 0, sizeof(r));
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "cannot make the calibration's pipe: %s", strerror(errno));
		return -errno;
	}
	pid_t parent = getpid();
	uint64_t deadline = now_ns() + CAL_DEADLINE_S * 1000000000ULL;

	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		close(fds[1]);
		snprintf(err, errlen, "cannot start the calibration: %s", strerror(e));
		return -e;
	}
	if (!pid) {
		static const int dfl[] = {SIGINT,  SIGTERM, SIGHUP, SIGUSR1,
					  SIGPIPE, SIGALRM, SIGXCPU};
		struct sigaction sa;
		sigset_t none;

		/* it holds none of the tracer's files: a SIGKILLed tracer's
		 * links, rings and pipes go at once, as without it */
		if (fds[1] > 3)
			close_range(3, (unsigned)fds[1] - 1, 0);
		close_range((unsigned)fds[1] + 1, ~0U, 0);
		/* the tracer's set-up handlers only note a stop signal (session.c),
		 * and once its signalfd is up they are blocked: inherited, they
		 * left a runaway child deaf to SIGTERM. Default actions, nothing
		 * blocked, and its own bounds: SIGALRM after the deadline's wall
		 * time, SIGXCPU then SIGKILL after as much CPU time */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (size_t i = 0; i < sizeof(dfl) / sizeof(dfl[0]); i++)
			sigaction(dfl[i], &sa, NULL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* it dies with the tracer: SIGTERM, which it defers only while
		 * it closes its links (cal_run_free()) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		setrlimit(RLIMIT_CPU, &(struct rlimit){.rlim_cur = CAL_DEADLINE_S,
						       .rlim_max = CAL_DEADLINE_S + 1});
		alarm(CAL_DEADLINE_S + 1);
		if (test_hang) {
			sigset_t all;

			sigfillset(&all);
			sigprocmask(SIG_BLOCK, &all, NULL);
			fprintf(stderr, "flowtrace-bpf: test hang in the calibration, PID %d\n",
				(int)getpid());
			for (;;)
				pause();
		}
		r.e = measure(pl, multi, &r.cal, r.err, sizeof(r.err));
		if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	while (got < sizeof(r)) {
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		int left = calibrate_left_ms(now_ns(), deadline), k;
		ssize_t n;

		if (stop && *stop) {
			stopped = true;
			break;
		}
		if (!left) {
			late = true;
			break;
		}
		k = poll(&pfd, 1, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		if (!k)
			continue;
		n = read(fds[0], (char *)&r + got, sizeof(r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fds[0]);
	if (late || stopped)
		kill(pid, SIGTERM);
	/* with its result sent it only exits: a second's grace */
	reap(pid, &st, (late || stopped ? now_ns() : deadline) + 1000000000ULL, late || stopped);
	if (stopped) {
		snprintf(err, errlen, "the calibration was stopped by a signal");
		return -EINTR;
	}
	if (late) {
		snprintf(err, errlen,
			 "the calibration did not finish within %d s (its process was killed)",
			 CAL_DEADLINE_S);
		return -ETIMEDOUT;
	}
	if (got != sizeof(r)) {
		if (WIFSIGNALED(st))
			snprintf(err, errlen, "the calibration's process died of signal %d",
				 WTERMSIG(st));
		else
			snprintf(err, errlen, "the calibration's process ended without a result");
		return -EIO;
	}
	if (r.e) {
		snprintf(err, errlen, "%s", r.err);
		return r.e;
	}
	*out = r.cal;
	return 0;
}

/* What the trace keeps of its calibration: BPF's run-time accounting (on
 * while stats_fd is open), the trace's programs, and the cost so far. */
struct calibration {
	int stats_fd; /* -1: no accounting, the cost stays the copies' */
	int progs[PROBE_MAX_LINKS];
	size_t nprogs;
	uint64_t base_ns, base_cnt;    /* the programs' totals at the start */
	uint64_t trap_ps, trap_err_ps; /* a hit without the program's work */
	uint64_t hit_ps;	       /* the cost last given out */
};

void calibration__free(struct calibration *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprogs; i++)
		close(c->progs[i]);
	if (c->stats_fd >= 0)
		close(c->stats_fd);
	free(c);
}

/* The trace's programs behind link fd, once each. */
static void add_prog_of_link(struct calibration *c, int link_fd)
{
	struct bpf_link_info li;
	uint32_t len = sizeof(li);
	int fd;

	memset(&li, 0, sizeof(li));
	if (link_fd < 0 || bpf_obj_get_info_by_fd(link_fd, &li, &len) || !li.prog_id ||
	    c->nprogs == PROBE_MAX_LINKS)
		return;
	fd = bpf_prog_get_fd_by_id(li.prog_id);
	if (fd < 0)
		return;
	for (size_t i = 0; i < c->nprogs; i++) {
		struct bpf_prog_info pi;
		uint32_t plen = sizeof(pi);

		memset(&pi, 0, sizeof(pi));
		if (!bpf_obj_get_info_by_fd(c->progs[i], &pi, &plen) && pi.id == li.prog_id) {
			close(fd);
			return;
		}
	}
	c->progs[c->nprogs++] = fd;
}

static void prog_totals(const struct calibration *c, uint64_t *ns, uint64_t *cnt)
{
	*ns = *cnt = 0;
	for (size_t i = 0; i < c->nprogs; i++) {
		uint64_t n = 0, k = 0;

		if (!prog_run_stats(c->progs[i], &n, &k))
			*ns += n, *cnt += k;
	}
}

int calibration__refine(struct calibration *c, struct probe_cal *out)
{
	uint64_t ns, cnt, prog_ps, hit;

	if (!c || c->stats_fd < 0 || !c->nprogs)
		return 0;
	prog_totals(c, &ns, &cnt);
	if (cnt <= c->base_cnt || ns < c->base_ns)
		return 0;
	prog_ps = (ns - c->base_ns) * 1000 / (cnt - c->base_cnt);
	hit = c->trap_ps + prog_ps;
	/* within 1% of the cost last given out: not worth a record */
	if (c->hit_ps && hit * 100 >= c->hit_ps * 99 && hit * 100 <= c->hit_ps * 101)
		return 0;
	c->hit_ps = hit;
	out->hit_ps = hit;
	/* the programs' mean is exact, but an entry's and a return's differ,
	 * and a call's own hits are taken out as halves: 10% of it is room */
	out->err_ps = c->trap_err_ps + prog_ps / 10;
	return 1;
}

static bool retry(int e)
{
	return e == -EIO || e == -ETIMEDOUT;
}

int probe__calibrate(struct probe *p, struct probe_cal *out, struct calibration **keep,
		     const volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	struct cal_plan *pl = calloc(1, sizeof(*pl));
	struct calibration *c = calloc(1, sizeof(*c));
	int e;

	memset(out, 0, sizeof(*out));
	*keep = NULL;
	if (!pl || !c) {
		free(pl);
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* BPF's run-time accounting, on before the copies run so that their
	 * hits pay its clock reads as the trace's will; the whole machine's
	 * programs are accounted while it is on (docs/design.md) */
	c->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->nuprobes <= (p->death_uprobe ? 1u : 0u)) {
		/* the markers: a nop at the entry, one at the return, reached
		 * through libbpf's USDT attach (perf-event links) */
		static const uint8_t nop = 0x90;

		plan_site(pl, 0, &nop, 1, false);
		plan_site(pl, 1, &nop, 1, false);
		e = measure_apart(pl, false, out, stop, err, errlen);
		if (retry(e)) /* the child died or ran late: once more */
			e = measure_apart(pl, false, out, stop, err, errlen);
	} else {
		for (size_t i = 0; i < p->nuprobes; i++) {
			uint8_t insn[16];
			ssize_t got;

			/* code objects' deaths: rare, and no call's interval holds them */
			if (i + 1 == p->death_uprobe)
				continue;
			got = pread(p->target->fd, insn, sizeof(insn), (off_t)p->uprobes[i]);
			plan_site(pl, p->uprobes[i], insn, got > 0 ? (size_t)got : 0,
				  p->uprobe_ret[i]);
		}
		e = measure_apart(pl, p->nmlinks > 0, out, stop, err, errlen);
		if (retry(e)) /* the child died or ran late: once more */
			e = measure_apart(pl, p->nmlinks > 0, out, stop, err, errlen);
	}
	free(pl);
	if (e) {
		calibration__free(c);
		return e;
	}
	c->trap_ps = out->hit_ps > out->empty_ps ? out->hit_ps - out->empty_ps : 0;
	c->trap_err_ps = out->err_ps;
	if (c->stats_fd >= 0 && out->empty_ps) {
		for (size_t i = 0; i < p->nlinks; i++)
			add_prog_of_link(c, bpf_link__fd(p->links[i]));
		for (size_t i = 0; i < p->nmlinks; i++)
			add_prog_of_link(c, p->mlinks[i]);
		prog_totals(c, &c->base_ns, &c->base_cnt);
	}
	if (c->nprogs) {
		size_t n = strlen(out->how);

		snprintf(out->how + n, sizeof(out->how) - n,
			 "; + the trace's BPF run time per hit, as it ran");
	}
	*keep = c;
	return 0;
}
