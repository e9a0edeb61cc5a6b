// SPDX-License-Identifier: MIT
/* What the probe sources share: the ring reader, the links, BPF's loss
 * counters, how failures are told; and dispatch to the source behind a
 * struct probe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "cpython/target.h"
#include "probe/method.h"
#include "probe/probe_priv.h"
#include "sys/procfs.h"
#include "sys/log.h"

struct probe *probe__open(const struct method_choice *m, const struct target *t,
			  const struct probe_opts *o, struct probe_error *e)
{
	struct probe *p = NULL;
	int err;

	memset(e, 0, sizeof(*e));
	if (m->method == FT_METHOD_USDT)
		err = probe_usdt__open(t, o, &p, e);
	else
		err = probe_interp__open(m, t, o, &p, e);
	if (err) {
		probe__free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

int probe__check(struct probe *p, struct probe_error *e)
{
	memset(e, 0, sizeof(*e));
	return p->ops->check ? p->ops->check(p, e) : 0;
}

int probe__attach(struct probe *p, struct probe_error *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	err = p->ops->attach(p, e);
	/* what went in comes out before the failure is reported */
	if (err)
		probe__detach(p);
	return err;
}

uint64_t probe__first_call_offset(const struct probe *p)
{
	return p->ops->first_call_offset ? p->ops->first_call_offset(p) : 0;
}

const char *probe__warning(const struct probe *p)
{
	return p->warning;
}

int probe__fail(struct probe_error *e, enum probe_fault fault, int err, const char *hint,
		const char *fmt, ...)
{
	va_list ap;

	e->fault = fault;
	e->err = -err;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	snprintf(e->hint, sizeof(e->hint), "%s", hint ? hint : "");
	return -err;
}

int probe__attach_failed(const struct probe *p, struct probe_error *e, int err, const char *msg)
{
	if (err == ESRCH)
		return probe__fail(e, PROBE_FAULT_GONE, err, NULL,
				   "process %d exited during attach", p->target->pid);
	if (err == EPERM || err == EACCES)
		return probe__fail(e, PROBE_FAULT_PRIVILEGE, err,
				   "BPF needs root (CAP_BPF, CAP_PERFMON); check "
				   "kernel.unprivileged_bpf_disabled, lockdown and the container's "
				   "seccomp profile",
				   "%s", msg);
	return probe__fail(e, PROBE_FAULT_FAILED, err, "run with -vvv to see libbpf's log", "%s",
			   msg);
}

void probe__warn_uncached(struct probe *p, const char *why)
{
	log_line(p->warning, sizeof(p->warning),
		 "warning: names are not cached (%s): every call sends its name, which costs more",
		 why);
}

int probe__fd(const struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probe__consume(struct probe *p)
{
	return ring_buffer__consume(p->rb);
}

/* The flag lives in the BPF object's mmap()ed .bss: a store is seen by the
 * programs on every CPU, and per thread once (a thread's later probe hits
 * come after it), so each thread switches at one point of its own events. */
void probe__arm(struct probe *p)
{
	if (p && p->armed)
		__atomic_store_n(p->armed, 1, __ATOMIC_RELEASE);
}

int probe__adopt(struct probe *p, int pid)
{
	return p->ops->adopt ? p->ops->adopt(p, pid) : 0;
}

void probe__stop(struct probe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->njoined; i++)
		probe__stop(p->joined[i]);
	if (p->armed)
		__atomic_store_n(p->armed, 0, __ATOMIC_RELEASE);
}

int probe__join(struct probe *p, const struct method_choice *m, struct target *t,
		struct probe_error *e)
{
	struct probe *j = NULL;
	int err;

	memset(e, 0, sizeof(*e));
	if (p->njoined == PROBE_MAX_JOINED) {
		target_close(t);
		return probe__fail(e, PROBE_FAULT_UNSUPPORTED, E2BIG, NULL,
				   "%d other interpreters are traced already", PROBE_MAX_JOINED);
	}
	err = probe_interp__join(p, m, t, &j, e);
	if (err) {
		probe__free(j);
		return err;
	}
	p->joined[p->njoined++] = j;
	return 0;
}

/* The uretprobe links go first, then the others in the reverse of their
 * attach order. Closing any uprobe link ends in the kernel's
 * uprobe_unregister_sync(), which waits (synchronize_srcu on the global
 * uretprobes_srcu) for every return instance the kernel holds on a lease
 * (an SRCU read section taken at a uretprobe's hit) to be released. A frame
 * of the target that never returns (the script's <module> under -c) holds
 * one until the thread's return-instance timer (100 ms) expires it, and
 * every new uretprobe hit of that thread pushes the timer back. So while
 * any uretprobe consumer stays, a target calling more often than the
 * timer's period keeps the close of any other link (an entry uprobe, even
 * one in a file the target never mapped) and every other uprobe
 * registration on the machine waiting in an uninterruptible sleep for as
 * long as that frame runs. With the uretprobes gone first, no return
 * instance is made, the timer fires and the lease expires. The attach
 * order cannot be relied on for this: entry uprobes go in after the eval
 * loop's uretprobe (the frame method's handlers, _asyncio's task step). */
/* The uretprobe links of p and of the sets joined to it */
static void detach_returns(struct probe *p)
{
	for (size_t i = p->njoined; i > 0; i--)
		detach_returns(p->joined[i - 1]);
	for (size_t i = p->nmlinks; i-- > 0;)
		if (p->mlink_ret[i] && p->mlinks[i] >= 0) {
			close(p->mlinks[i]);
			p->mlinks[i] = -1;
		}
	for (size_t i = p->nlinks; i-- > 0;)
		if (p->link_ret[i]) {
			bpf_link__destroy(p->links[i]);
			p->links[i] = NULL;
		}
}

/* Every link of p and of the sets joined to it, in the order above. */
static void close_links(struct probe *p)
{
	/* every set's uretprobes before any other link (see above) */
	detach_returns(p);
	/* then the sets joined last first */
	for (size_t i = p->njoined; i > 0; i--)
		close_links(p->joined[i - 1]);
	while (p->nmlinks) {
		p->nmlinks--;
		if (p->mlinks[p->nmlinks] >= 0)
			close(p->mlinks[p->nmlinks]);
	}
	while (p->nlinks)
		bpf_link__destroy(p->links[--p->nlinks]);
	bpf_link__destroy(p->exec_link);
	p->exec_link = NULL;
	bpf_link__destroy(p->fork_link);
	p->fork_link = NULL;
	bpf_link__destroy(p->exit_link);
	p->exit_link = NULL;
}

static bool has_links(const struct probe *p)
{
	for (size_t i = 0; i < p->njoined; i++)
		if (has_links(p->joined[i]))
			return true;
	return p->nlinks || p->nmlinks || p->exec_link || p->fork_link || p->exit_link;
}

/* Who takes the probes out. Closing the last reference to a uprobe link
 * takes its breakpoints out of the processes that map the file: the kernel
 * writes the original instruction back through get_user_pages(), which
 * gives up (-EINTR) when the closing task has a fatal signal pending. The
 * kernel then keeps the uprobe ("failed to unregister, leaking uprobe" in
 * its log) and its breakpoint in the target, which traps on every pass
 * from then on: slowed until it exits. A tracer SIGKILLed while it closes
 * its links would leave that behind; a process that is exiting takes no
 * new signal, so its own links, closed at exit, are safe.
 *
 * So a child forked here (it shares every link) drops the last references:
 * the tracer's closes only drop its own, and the child, told by the end of
 * a pipe that the tracer's are gone (or that the tracer died, killed at
 * any point), closes them in the same order, then exits. It blocks every
 * signal it can and leaves the tracer's session, so a Ctrl-C or a kill of
 * the tracer's process group does not reach it; only a SIGKILL sent to the
 * child itself could still interrupt a removal. The tracer waits for it, so
 * the probes are out when this returns, as before. Where fork fails, the
 * tracer closes them itself. Not for the calibration's links (calibrate.c
 * defers its own child's signals instead). */
void probe__detach(struct probe *p)
{
	sigset_t all, old;
	pid_t child = -1;
	int go[2];
	char c;

	probe__stop(p);
	if (p->opts.calibrate || !has_links(p) || pipe2(go, O_CLOEXEC)) {
		close_links(p);
		return;
	}
	/* the child starts with every signal blocked */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child == 0) {
		/* named for ps; holding no pipe of the tracer's (a reader of its
		 * output sees the end when the tracer ends) */
		prctl(PR_SET_NAME, "ft-detach");
		close(STDIN_FILENO);
		close(STDOUT_FILENO);
		close(STDERR_FILENO);
		setsid();
		close(go[1]);
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		close_links(p);
		_exit(0);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(go[0]);
	close_links(p);
	close(go[1]); /* the child's references are the last ones now */
	while (child > 0 && waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
}

void probe__drops(const struct probe *p, uint64_t drops[FT_DROP_MAX])
{
	for (int i = 0; i < FT_DROP_MAX; i++) {
		drops[i] = p->drops ? p->drops[i] : 0;
		for (size_t k = 0; k < p->njoined; k++)
			drops[i] += p->joined[k]->drops ? p->joined[k]->drops[i] : 0;
	}
	if (p->ops->add_drops)
		p->ops->add_drops(p, drops);
}

uint64_t probe__null_names(const struct probe *p)
{
	return p->ops->null_names ? p->ops->null_names(p) : 0;
}

int probe__error(const struct probe *p)
{
	return p->error;
}

void probe__links(const struct probe *p, size_t *perf, size_t *multi)
{
	*perf = p->nlinks;
	*multi = p->nmlinks;
	for (size_t i = 0; i < p->njoined; i++) {
		*perf += p->joined[i]->nlinks;
		*multi += p->joined[i]->nmlinks;
	}
}

const uint64_t *probe__uprobes(const struct probe *p, size_t *n)
{
	*n = p->nuprobes;
	return p->uprobes;
}

bool probe__holds_uretprobe(const struct probe *p)
{
	for (size_t i = 0; p && i < p->nuprobes; i++)
		if (p->uprobe_ret[i])
			return true;
	return false;
}

const char *probe__name(const struct probe *p)
{
	return p->ops->name(p);
}

void probe__free(struct probe *p)
{
	if (!p)
		return;
	probe__detach(p);
	while (p->njoined)
		probe__free(p->joined[--p->njoined]);
	ring_buffer__free(p->rb);
	p->ops->destroy(p);
}

int probe__size_ring(struct bpf_map *events, uint64_t ring_size, char *err, size_t errlen)
{
	if (!bpf_map__set_max_entries(events, ring_size))
		return 0;
	int e = errno;

	snprintf(err, errlen, "cannot size the ring buffer to %llu bytes",
		 (unsigned long long)ring_size);
	return -e;
}

uint32_t probe__wakeup_bytes(uint64_t ring_size)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 1)
		ncpu = 1;
	return (uint32_t)(ring_size / 8 / (uint64_t)ncpu);
}

int probe__open_ring(struct probe *p, struct bpf_map *events, probe_record_fn fn, void *ctx,
		     char *err, size_t errlen)
{
	p->rb = ring_buffer__new(bpf_map__fd(events), fn, ctx, NULL);
	if (p->rb)
		return 0;
	int e = errno;

	snprintf(err, errlen, "cannot set up the ring buffer: %s", strerror(e));
	return -e;
}

int probe__keep_link(struct probe *p, struct bpf_link *link)
{
	if (!link)
		return -errno;
	if (p->nlinks == PROBE_MAX_LINKS) {
		bpf_link__destroy(link);
		return -E2BIG;
	}
	p->link_ret[p->nlinks] = false;
	p->links[p->nlinks++] = link;
	return 0;
}

/* --- uprobe_multi links ------------------------------------------------ */

/* Linux 6.6 names that the 6.1 uapi headers and libbpf 1.1 predate */
#define FT_BPF_TRACE_UPROBE_MULTI    48
#define FT_BPF_F_UPROBE_MULTI_RETURN 1u

/* union bpf_attr as BPF_LINK_CREATE reads it for a uprobe_multi link */
struct uprobe_multi_attr {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__aligned_u64 path;
	__aligned_u64 offsets;
	__aligned_u64 ref_ctr_offsets;
	__aligned_u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

static int uprobe_multi_link(int prog_fd, const char *path, const uint64_t *offsets,
			     const uint64_t *cookies, size_t n, bool retprobe, int pid)
{
	struct uprobe_multi_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = FT_BPF_TRACE_UPROBE_MULTI;
	a.path = (uintptr_t)path;
	a.offsets = (uintptr_t)offsets;
	a.cookies = (uintptr_t)cookies;
	a.cnt = n;
	a.multi_flags = retprobe ? FT_BPF_F_UPROBE_MULTI_RETURN : 0;
	a.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

/* A program that returns at once, loaded for uprobe_multi, then linked to
 * "/": a kernel with the links says EBADF (not a file to probe), one
 * without refuses the load or the attach type. */
static bool probe_uprobe_multi(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = FT_BPF_TRACE_UPROBE_MULTI);
	uint64_t offset = 0;
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &lo);
	if (prog < 0)
		return false;
	link = uprobe_multi_link(prog, "/", &offset, NULL, 1, false, 0);
	if (link >= 0)
		close(link);
	close(prog);
	return link == -EBADF;
}

/* FLOWTRACE_NO_UPROBE_MULTI=1 takes the perf-event links a kernel before
 * 6.6 gets, so the tests cover them here too */
bool probe__has_uprobe_multi(void)
{
	static int known = -1;
	const char *no = getenv("FLOWTRACE_NO_UPROBE_MULTI");

	if (known < 0)
		known = !(no && *no && strcmp(no, "0")) && probe_uprobe_multi();
	return known;
}

void probe__prepare_multi(struct bpf_program *prog)
{
	bpf_program__set_expected_attach_type(prog, FT_BPF_TRACE_UPROBE_MULTI);
}

int probe__attach_uprobes(struct probe *p, struct bpf_program *prog, bool multi, int pid,
			  const char *binary, const uint64_t *offsets, const uint64_t *cookies,
			  size_t n, bool retprobe)
{
	int fd, e = 0;

	if (!n)
		return 0;
	if (p->nuprobes + n > PROBE_MAX_UPROBES)
		return -E2BIG;
	memcpy(p->uprobes + p->nuprobes, offsets, n * sizeof(*offsets));
	for (size_t i = 0; i < n; i++)
		p->uprobe_ret[p->nuprobes + i] = retprobe;
	p->nuprobes += n;
	if (!multi) {
		for (size_t i = 0; i < n && !e; i++) {
			LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = retprobe,
				    .bpf_cookie = cookies[i]);

			e = probe__keep_link(p, bpf_program__attach_uprobe_opts(prog, pid, binary,
										offsets[i], &uo));
			if (!e)
				p->link_ret[p->nlinks - 1] = retprobe;
		}
		return e;
	}
	if (p->nmlinks == PROBE_MAX_LINKS)
		return -E2BIG;
	/* a uprobe_multi link's pid 0 is every process, a perf event's -1 */
	fd = uprobe_multi_link(bpf_program__fd(prog), binary, offsets, cookies, n, retprobe,
			       pid < 0 ? 0 : pid);
	if (fd < 0)
		return fd;
	p->mlink_ret[p->nmlinks] = retprobe;
	p->mlinks[p->nmlinks++] = fd;
	return 0;
}

bool probe__multi_process(const struct probe *p)
{
	return p->opts.follow || p->opts.nmore_pids;
}

int probe__uprobe_pid(const struct probe *p)
{
	return probe__multi_process(p) ? -1 : p->target->pid;
}

int probe__attach_follow(struct probe *p, struct bpf_map *followed, struct bpf_program *fork_prog,
			 struct bpf_program *exit_prog, char *err, size_t errlen)
{
	__u32 tgid = (__u32)p->target->pid, one = 1;
	int e;

	p->followed_fd = bpf_map__fd(followed);
	for (size_t i = 0; i <= p->opts.nmore_pids; i++) {
		tgid = i ? (__u32)p->opts.more_pids[i - 1] : (__u32)p->target->pid;
		if (bpf_map_update_elem(p->followed_fd, &tgid, &one, BPF_ANY)) {
			e = errno;
			snprintf(err, errlen, "cannot add PID %u to the traced processes: %s", tgid,
				 strerror(e));
			return -e;
		}
	}
	p->fork_link = bpf_program__attach_trace(fork_prog);
	if (p->fork_link)
		p->exit_link = bpf_program__attach_trace(exit_prog);
	if (p->exit_link)
		return 0;
	e = errno;
	snprintf(err, errlen, "cannot attach to the sched_process_%s tracepoint: %s",
		 p->fork_link ? "exit" : "fork", strerror(e));
	return -e;
}

bool probe__follows_any(const struct probe *p)
{
	__u32 key, next;
	bool first = true;

	if (!p || !p->exit_link)
		return false;
	/* a process that ended unseen by the exit program (none should) is
	 * checked in /proc: a zombie or a missing one is gone */
	while (!bpf_map_get_next_key(p->followed_fd, first ? NULL : &key, &next)) {
		first = false;
		key = next;
		if (!procfs_exited((int)next))
			return true;
	}
	return false;
}

int probe__attach_exec(struct probe *p, struct bpf_program *prog, char *err, size_t errlen)
{
	int e;

	p->exec_link = bpf_program__attach_trace(prog);
	if (p->exec_link)
		return 0;
	e = errno;
	snprintf(err, errlen, "cannot attach to the sched_process_exec tracepoint: %s",
		 strerror(e));
	return -e;
}

int probe__attach_code_death(struct probe *p, struct bpf_program *prog, uint64_t dealloc_offset,
			     bool *on, char *err, size_t errlen)
{
	const char *binary = p->target->attach_path;
	uint64_t cookie = 0;
	int e;

	*on = false;
	if (p->opts.calibrate || !dealloc_offset)
		return 0;
	e = probe__attach_uprobes(p, prog, false, probe__uprobe_pid(p), binary, &dealloc_offset,
				  &cookie, 1, false);
	/* not a call's probe: the calibration leaves it out */
	p->death_uprobe = p->nuprobes;
	if (e) {
		snprintf(err, errlen,
			 "cannot attach a uprobe to PyCode_Type's tp_dealloc in %s: %s", binary,
			 strerror(-e));
		return e;
	}
	*on = true;
	return 0;
}

int probe__attach_marker(struct probe *p, struct bpf_program *prog, int pid, const char *binary,
			 const char *name, char *err, size_t errlen)
{
	int e = probe__keep_link(p,
				 bpf_program__attach_usdt(prog, pid, binary, "python", name, NULL));

	if (e)
		snprintf(err, errlen, "cannot attach to python:%s in %s: %s", name, binary,
			 strerror(-e));
	return e;
}
