// SPDX-License-Identifier: MIT
/* A running CPython seen from outside: the load bias of its interpreter ELF
 * (from /proc/PID/maps and the file's PT_LOAD headers), a check of the live
 * runtime, interpreter and thread structures against struct pylayout, and
 * the PEP 523 eval hook with its undo, including from a fatal signal.
 * See pyruntime.h and the research note §3.3, §6. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "sys/nspid.h"
#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "cpython/pyruntime.h"
#include "cpython/target.h"
#include "sys/tfile.h"

#define MAX_MAPS     64 /* mappings of one file; a loaded DSO has a handful */
#define MAX_LOADS    32
#define CHECK_TRIES  3
#define DEBUG_COOKIE PYLAYOUT_DEBUG_COOKIE

static void say(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* --- pure pieces ------------------------------------------------------- */

bool pyruntime_pointer_ok(uint64_t v)
{
	return v && !(v & 7) && v < (1ULL << 56);
}

int pyruntime_parse_maps_line(char *line, struct pyruntime_map *m, char **path)
{
	char perms[5];
	bool exec;

	*path = NULL;
	/* the numbers here; the layout and the file name as target.c reads them */
	if (!line ||
	    sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64, &m->start, &m->end, perms,
		   &m->offset) != 4 ||
	    m->end <= m->start)
		return -EINVAL;
	m->reserved = !strcmp(perms, "---p");
	return maps_parse_line(line, path, &exec);
}

bool pyruntime_path_matches(const char *maps_path, const char *mapped_path)
{
	size_t n = strlen(mapped_path);

	if (!maps_path || strncmp(maps_path, mapped_path, n))
		return false;
	return !maps_path[n] || !strcmp(maps_path + n, DELETED_SUFFIX);
}

/* The segment m belongs to under bias b, or NULL. */
static const struct pyruntime_load *segment_of(const struct pyruntime_map *m,
					       const struct pyruntime_load *loads, size_t nloads,
					       uint64_t page, uint64_t b)
{
	for (size_t i = 0; i < nloads; i++) {
		const struct pyruntime_load *p = &loads[i];
		uint64_t off0 = p->offset & ~(page - 1);

		if (!p->filesz || m->offset < off0 || m->offset >= p->offset + p->filesz)
			continue;
		if (m->start - m->offset - (p->vaddr - p->offset) == b)
			return p;
	}
	return NULL;
}

int pyruntime_bias(const struct pyruntime_map *maps, size_t nmaps,
		   const struct pyruntime_load *loads, size_t nloads, uint64_t page, uint64_t *bias)
{
	bool found = false, candidates = false;
	uint64_t best = 0;

	if (!page || (page & (page - 1)))
		return -EINVAL;
	/* every (mapping, segment) pair that fits proposes a bias; a bias
	 * counts when it explains every mapping that is not a hole */
	for (size_t i = 0; i < nmaps; i++) {
		if (maps[i].reserved)
			continue;
		for (size_t j = 0; j < nloads; j++) {
			const struct pyruntime_load *p = &loads[j];
			uint64_t off0 = p->offset & ~(page - 1);

			if (!p->filesz || maps[i].offset < off0 ||
			    maps[i].offset >= p->offset + p->filesz)
				continue;
			candidates = true;
			uint64_t b = maps[i].start - maps[i].offset - (p->vaddr - p->offset);
			if (found && b == best)
				continue;
			bool all = (b & (page - 1)) == 0;
			for (size_t k = 0; all && k < nmaps; k++)
				all = maps[k].reserved ||
				      segment_of(&maps[k], loads, nloads, page, b);
			if (!all)
				continue;
			if (found)
				return -ENOTSUP; /* two biases explain everything */
			found = true;
			best = b;
		}
	}
	if (!found)
		return candidates ? -ENOTSUP : -ENOENT;
	*bias = best;
	return 0;
}

/* An -X option: "perf", "perf=..." (CPython looks at the name only). */
static bool xoption_is_perf(const char *opt, int minor)
{
	size_t n = strcspn(opt, "=");

	return (n == 4 && !strncmp(opt, "perf", 4)) ||
	       (minor >= 13 && n == 8 && !strncmp(opt, "perf_jit", 8));
}

/* PYTHONPERFSUPPORT=... as _Py_str_to_int reads it: a whole integer, not 0. */
static bool env_is_on(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++) {
		if (strncmp(*envp, name, n) || (*envp)[n] != '=')
			continue;
		const char *v = *envp + n + 1;
		char *end;

		errno = 0;
		long x = strtol(v, &end, 10);
		return *v && !*end && !errno && x != 0;
	}
	return false;
}

bool pyruntime_perf_requested(char *const *argv, char *const *envp, int minor)
{
	bool use_env = true, perf = false;

	if (minor < 12 || !argv || !*argv)
		return false;
	for (int i = 1; argv[i]; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !a[1] || !strcmp(a, "--"))
			break; /* the script, "-" (stdin) or the end of the options */
		if (a[1] == '-') {
			/* the only long option with an argument */
			if (!strcmp(a, "--check-hash-based-pycs") && argv[i + 1])
				i++;
			continue;
		}
		bool stop = false;
		for (int j = 1; a[j] && !stop; j++) {
			char c = a[j];

			if (c == 'c' || c == 'm')
				goto done; /* the rest is the program's */
			if (c == 'E' || c == 'I')
				use_env = false;
			if (c == 'X' || c == 'W') {
				const char *arg = a[j + 1] ? &a[j + 1] : argv[i + 1];

				if (!a[j + 1] && argv[i + 1])
					i++;
				if (c == 'X' && arg && xoption_is_perf(arg, minor))
					perf = true;
				stop = true;
			}
		}
	}
done:
	if (perf)
		return true;
	if (!use_env)
		return false;
	return env_is_on(envp, "PYTHONPERFSUPPORT") ||
	       (minor >= 13 && env_is_on(envp, "PYTHON_PERF_JIT_SUPPORT"));
}

/* --- the file and its mappings ---------------------------------------- */

static int read_loads(const struct elfimage *img, struct pyruntime_load *loads, size_t max,
		      size_t *n)
{
	const struct elfimage_load *l;
	size_t nl;

	*n = 0;
	l = elfimage__loads(img, &nl);
	if (elfimage__addr_size(img) != 8 || !nl)
		return -ENOEXEC;
	if (nl > max)
		return -ENOTSUP;
	for (size_t i = 0; i < nl; i++)
		loads[(*n)++] =
			(struct pyruntime_load){l[i].vaddr, l[i].offset, l[i].filesz, l[i].memsz};
	return 0;
}

static int read_maps(int pid, const char *mapped_path, struct pyruntime_map *maps, size_t max,
		     size_t *n)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	snprintf(file, sizeof(file), "/proc/%d/maps", pid);
	f = fopen(file, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		struct pyruntime_map m;
		char *path;

		if (pyruntime_parse_maps_line(line, &m, &path) ||
		    !pyruntime_path_matches(path, mapped_path))
			continue;
		if (*n == max)
			break;
		maps[(*n)++] = m;
	}
	free(line);
	fclose(f);
	return 0;
}

int pyruntime_open(struct pyruntime *rt, int pid, const char *mapped_path,
		   const struct elfimage *img, const struct pylayout *lay,
		   const struct opcodes_table *ops, char *why, size_t len)
{
	struct pyruntime_map maps[MAX_MAPS];
	struct pyruntime_load loads[MAX_LOADS];
	size_t nmaps, nloads;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	memset(rt, 0, sizeof(*rt));
	rt->pid = pid;
	rt->lay = lay;
	if (!lay->runtime_vaddr || !lay->code_type_vaddr) {
		say(why, len, "the layout has no _PyRuntime or PyCode_Type address");
		return -EINVAL;
	}
	if (ops && (ops->major != lay->major || ops->minor != lay->minor)) {
		say(why, len, "the opcode table is for %d.%d, the layout for %d.%d", ops->major,
		    ops->minor, lay->major, lay->minor);
		return -ENOTSUP;
	}
	err = read_loads(img, loads, MAX_LOADS, &nloads);
	if (err) {
		say(why, len, "cannot read the program headers of %s: %s", mapped_path,
		    err == -ENOEXEC ? "not a 64-bit ELF file with PT_LOAD segments"
				    : tfile_strerror(err));
		return err;
	}
	err = read_maps(pid, mapped_path, maps, MAX_MAPS, &nmaps);
	if (err) {
		say(why, len, "cannot read /proc/%d/maps: %s", pid, strerror(-err));
		return err;
	}
	if (!nmaps) {
		say(why, len, "%s is not mapped in PID %d", mapped_path, pid);
		return -ENOENT;
	}
	err = pyruntime_bias(maps, nmaps, loads, nloads, page > 0 ? (uint64_t)page : 4096,
			     &rt->bias);
	if (err) {
		say(why, len,
		    err == -ENOENT ? "no mapping of %s in PID %d matches a PT_LOAD segment"
				   : "the mappings of %s in PID %d do not fit its PT_LOAD segments",
		    mapped_path, pid);
		return err == -ENOENT ? -ENOENT : -ENOTSUP;
	}
	rt->map_lo = UINT64_MAX;
	for (size_t i = 0; i < nmaps; i++) {
		if (maps[i].start < rt->map_lo)
			rt->map_lo = maps[i].start;
		if (maps[i].end > rt->map_hi)
			rt->map_hi = maps[i].end;
	}
	rt->runtime_addr = rt->bias + lay->runtime_vaddr;
	rt->code_type_addr = rt->bias + lay->code_type_vaddr;
	rt->init_cleanup_addr = lay->init_cleanup_vaddr ? rt->bias + lay->init_cleanup_vaddr : 0;
	rt->eval_addr = ops && ops->eval_vaddr ? rt->bias + ops->eval_vaddr : 0;
	return 0;
}

/* --- reading the target ------------------------------------------------ */

/* len bytes at addr: 0, -EFAULT (unmapped, partly read), -ESRCH, -EPERM. */
static int peek(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static int peek_u64(int pid, uint64_t addr, uint64_t *v)
{
	return peek(pid, addr, v, sizeof(*v));
}

/* A failed read during the checks: the process is gone or not ours to
 * read (returned as is), or an address of the layout is wrong (-ENOTSUP). */
static int read_failed(int err, char *why, size_t len, const char *what, uint64_t addr)
{
	if (err == -ESRCH || err == -EPERM) {
		say(why, len, "cannot read %s at 0x%" PRIx64 ": %s", what, addr, strerror(-err));
		return err;
	}
	say(why, len, "layout check failed: cannot read %s at 0x%" PRIx64 ": %s", what, addr,
	    strerror(-err));
	return -ENOTSUP;
}

/* Whether tid is a thread of the target as its own PID namespace numbers
 * them (CPython's native_thread_id is gettid() in the target, so in a
 * container it is not the id /proc/PID/task shows here). */
static bool is_task(const struct nspid_task *tasks, size_t n, uint64_t tid)
{
	if (!tid || tid > INT32_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tasks[i].own == tid)
			return true;
	return false;
}

/* The innermost frame that runs Python code in tstate: 0 when it runs none. */
static int current_frame(const struct pyruntime *rt, uint64_t tstate, uint64_t *frame, char *why,
			 size_t len)
{
	const struct pylayout *lay = rt->lay;
	uint64_t cf;
	int err;

	*frame = 0;
	if (lay->tstate.frame != PYLAYOUT_NONE) {
		err = peek_u64(rt->pid, tstate + lay->tstate.frame, frame);
		return err ? read_failed(err, why, len, "tstate->frame", tstate) : 0;
	}
	if (lay->tstate.cframe == PYLAYOUT_NONE || lay->tstate.cframe_frame == PYLAYOUT_NONE)
		return 0;
	err = peek_u64(rt->pid, tstate + lay->tstate.cframe, &cf);
	if (err)
		return read_failed(err, why, len, "tstate->cframe", tstate);
	if (!cf)
		return 0;
	if (!pyruntime_pointer_ok(cf)) {
		say(why, len, "layout check failed: tstate 0x%" PRIx64 " has cframe 0x%" PRIx64,
		    tstate, cf);
		return -ENOTSUP;
	}
	err = peek_u64(rt->pid, cf + lay->tstate.cframe_frame, frame);
	return err ? read_failed(err, why, len, "cframe->current_frame", cf) : 0;
}

/* Checks that the innermost Python frame of tstate (if any) has a code
 * object whose ob_type is PyCode_Type. */
static int check_frames(struct pyruntime *rt, uint64_t tstate, char *why, size_t len)
{
	const struct pylayout *lay = rt->lay;
	uint64_t frame, code, type;
	int err = current_frame(rt, tstate, &frame, why, len);

	for (int i = 0; !err && frame && i < PYRUNTIME_MAX_FRAMES; i++) {
		if (!pyruntime_pointer_ok(frame)) {
			say(why, len,
			    "layout check failed: thread state 0x%" PRIx64 " has frame 0x%" PRIx64,
			    tstate, frame);
			return -ENOTSUP;
		}
		if (lay->frame.entry_kind == PYLAYOUT_ENTRY_OWNER) {
			uint8_t owner;

			err = peek(rt->pid, frame + lay->frame.entry, &owner, 1);
			if (err)
				return read_failed(err, why, len, "frame->owner", frame);
			if (owner == lay->frame.owner_cstack) {
				/* a C-stack shim: no code object of its own */
				uint64_t prev;

				err = peek_u64(rt->pid, frame + lay->frame.back, &prev);
				if (err)
					return read_failed(err, why, len, "frame->previous", frame);
				frame = prev;
				continue;
			}
		}
		err = peek_u64(rt->pid, frame + lay->frame.code, &code);
		if (err)
			return read_failed(err, why, len, "frame->code", frame);
		if (!pyruntime_pointer_ok(code)) {
			say(why, len,
			    "layout check failed: frame 0x%" PRIx64 " has code 0x%" PRIx64, frame,
			    code);
			return -ENOTSUP;
		}
		err = peek_u64(rt->pid, code + 8, &type);
		if (err)
			return read_failed(err, why, len, "code->ob_type", code);
		if (type != rt->code_type_addr) {
			say(why, len,
			    "layout check failed: the code object 0x%" PRIx64 " of frame 0x%" PRIx64
			    " has ob_type 0x%" PRIx64 " != PyCode_Type 0x%" PRIx64,
			    code, frame, type, rt->code_type_addr);
			return -ENOTSUP;
		}
		rt->nframes_checked++;
		return 0;
	}
	return err;
}

/* One pass of the checks of pyruntime_validate(); tasks: the target's
 * threads, listed before it. */
static int check_once(struct pyruntime *rt, const struct nspid_task *tasks, size_t ntasks,
		      char *why, size_t len)
{
	const struct pylayout *lay = rt->lay;
	uint64_t head, interp = 0, next, ts, v;
	bool tid_seen = false;
	unsigned n;
	int err;

	rt->interp_addr = rt->eval_frame_slot = 0;
	rt->ninterps = rt->nthreads = rt->nframes_checked = 0;

	if (lay->minor >= 13) {
		char cookie[8];

		err = peek(rt->pid, rt->runtime_addr, cookie, sizeof(cookie));
		if (err)
			return read_failed(err, why, len, "_PyRuntime", rt->runtime_addr);
		if (memcmp(cookie, DEBUG_COOKIE, sizeof(cookie))) {
			say(why, len,
			    "layout check failed: _PyRuntime at 0x%" PRIx64
			    " does not start with the debug offsets cookie",
			    rt->runtime_addr);
			return -ENOTSUP;
		}
	}
	v = rt->runtime_addr + lay->runtime.interpreters_head;
	err = peek_u64(rt->pid, v, &head);
	if (err)
		return read_failed(err, why, len, "_PyRuntime.interpreters.head", v);
	if (!head) {
		say(why, len, "the interpreter does not exist yet");
		return -EAGAIN;
	}
	/* new interpreters go to the head: the main one is the last */
	for (next = head, n = 0; next; n++) {
		if (n == PYRUNTIME_MAX_INTERPS) {
			say(why, len,
			    "layout check failed: the interpreter list does not end after %u "
			    "entries",
			    n);
			return -ENOTSUP;
		}
		if (!pyruntime_pointer_ok(next)) {
			say(why, len, "layout check failed: interpreter pointer 0x%" PRIx64, next);
			return -ENOTSUP;
		}
		interp = next;
		err = peek_u64(rt->pid, interp + lay->interp.next, &next);
		if (err)
			return read_failed(err, why, len, "interp->next", interp);
	}
	rt->ninterps = n;

	err = peek_u64(rt->pid, interp + lay->interp.threads_head, &ts);
	if (err)
		return read_failed(err, why, len, "interp->threads.head", interp);
	if (!ts) {
		say(why, len, "the interpreter has no thread state yet");
		return -EAGAIN;
	}
	for (n = 0; ts; n++) {
		uint64_t back;

		if (n == PYRUNTIME_MAX_THREADS) {
			say(why, len,
			    "layout check failed: the thread list does not end after %u entries",
			    n);
			return -ENOTSUP;
		}
		if (!pyruntime_pointer_ok(ts)) {
			say(why, len, "layout check failed: thread state pointer 0x%" PRIx64, ts);
			return -ENOTSUP;
		}
		err = peek_u64(rt->pid, ts + lay->tstate.interp, &back);
		if (err)
			return read_failed(err, why, len, "tstate->interp", ts);
		if (back != interp) {
			say(why, len,
			    "layout check failed: tstate->interp 0x%" PRIx64 " != interp 0x%" PRIx64
			    " (thread state 0x%" PRIx64 ")",
			    back, interp, ts);
			return -ENOTSUP;
		}
		if (lay->tstate.native_thread_id != PYLAYOUT_NONE && !tid_seen) {
			err = peek_u64(rt->pid, ts + lay->tstate.native_thread_id, &v);
			if (err)
				return read_failed(err, why, len, "tstate->native_thread_id", ts);
			tid_seen = is_task(tasks, ntasks, v);
		}
		err = check_frames(rt, ts, why, len);
		if (err)
			return err;
		err = peek_u64(rt->pid, ts + lay->tstate.next, &v);
		if (err)
			return read_failed(err, why, len, "tstate->next", ts);
		ts = v;
	}
	rt->nthreads = n;
	if (lay->tstate.native_thread_id != PYLAYOUT_NONE && !tid_seen) {
		say(why, len,
		    "layout check failed: no thread state's native_thread_id (+%d) is a thread of "
		    "PID %d (by the ids of its PID namespace)",
		    lay->tstate.native_thread_id, rt->pid);
		return -ENOTSUP;
	}

	v = interp + lay->interp.eval_frame;
	err = peek_u64(rt->pid, v, &rt->eval_frame_seen);
	if (err)
		return read_failed(err, why, len, "interp->eval_frame", v);
	rt->interp_addr = interp;
	rt->eval_frame_slot = v;
	return 0;
}

int pyruntime_validate(struct pyruntime *rt, char *why, size_t len)
{
	int err = -EINVAL;

	if (!rt->lay || !rt->runtime_addr) {
		say(why, len, "the runtime was not opened");
		return -EINVAL;
	}
	/* a running target changes its lists and frames under the reads:
	 * only a check that fails every time counts */
	for (int i = 0; i < CHECK_TRIES; i++) {
		if (i) {
			struct timespec ts = {0, 2 * 1000 * 1000};

			nanosleep(&ts, NULL);
		}
		struct nspid_task *tasks = NULL;
		size_t ntasks = 0;

		if (rt->lay->tstate.native_thread_id != PYLAYOUT_NONE) {
			err = nspid_tasks(rt->pid, &tasks, &ntasks);
			if (err) {
				say(why, len, "cannot list the threads of PID %d: %s", rt->pid,
				    strerror(-err));
				break;
			}
		}
		err = check_once(rt, tasks, ntasks, why, len);
		free(tasks);
		if (err != -ENOTSUP)
			break;
	}
	return err;
}

/* --- the eval hook ------------------------------------------------------- */

/* Only system calls: this runs from signal handlers too. */
static int poke_u64(int pid, uint64_t addr, uint64_t v)
{
	struct iovec local = {&v, sizeof(v)}, remote = {(void *)(uintptr_t)addr, sizeof(v)};
	ssize_t n = process_vm_writev(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return n == sizeof(v) ? 0 : -EFAULT;
}

/* /proc/PID/<name> as a NULL-terminated vector into *buf (freed by the
 * caller), or NULL. */
static char **read_vector(int pid, const char *name, char **buf)
{
	char path[64];
	size_t cap = 4096, n = 0, count = 0;
	char **v;
	int fd;

	*buf = NULL;
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = tfile_open(path);
	if (fd < 0)
		return NULL;
	for (;;) {
		char *nb = realloc(*buf, cap + 1);

		if (!nb)
			goto fail;
		*buf = nb;
		ssize_t r = read(fd, *buf + n, cap - n);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			cap *= 2;
	}
	close(fd);
	(*buf)[n] = 0;
	for (size_t i = 0; i < n; i++)
		count += !(*buf)[i];
	v = calloc(count + 2, sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0, k = 0; i < n && k <= count; i += strlen(*buf + i) + 1)
		v[k++] = *buf + i;
	return v;
fail:
	close(fd);
	return NULL;
}

/* Whether the process asked for the perf trampoline when it started. */
static bool perf_requested(int pid, int minor)
{
	char *abuf, *ebuf;
	char **argv = read_vector(pid, "cmdline", &abuf);
	char **envp = read_vector(pid, "environ", &ebuf);
	bool on = argv && pyruntime_perf_requested(argv, envp, minor);

	free(argv);
	free(envp);
	free(abuf);
	free(ebuf);
	return on;
}

int pyruntime_hook(struct pyruntime *rt, char *why, size_t len)
{
	uint64_t cur;
	int err;

	if (!rt->interp_addr || !rt->eval_frame_slot) {
		say(why, len, "the runtime was not validated");
		return -EINVAL;
	}
	if (rt->lay->minor < 11) {
		say(why, len,
		    "the eval hook is for CPython 3.11+ (every call of %d.%d already goes through "
		    "_PyEval_EvalFrameDefault)",
		    rt->lay->major, rt->lay->minor);
		return -ENOTSUP;
	}
	if (!rt->eval_addr) {
		say(why, len, "the address of _PyEval_EvalFrameDefault is unknown");
		return -EINVAL;
	}
	err = peek_u64(rt->pid, rt->eval_frame_slot, &cur);
	if (err) {
		say(why, len, "cannot read interp->eval_frame at 0x%" PRIx64 ": %s",
		    rt->eval_frame_slot, strerror(-err));
		return err;
	}
	rt->eval_frame_seen = cur;
	if (cur == rt->eval_addr) {
		/* left by an earlier run that could not restore it */
		rt->hooked = rt->adopted = true;
		return 0;
	}
	if (cur) {
		bool inside = cur >= rt->map_lo && cur < rt->map_hi;

		rt->perf_trampoline = inside && rt->lay->minor >= 12;
		say(why, len,
		    "interp->eval_frame already holds 0x%" PRIx64
		    ", another PEP 523 evaluator (%s)",
		    cur,
		    inside ? "inside the interpreter: the perf trampoline of -X perf or "
			     "PYTHONPERFSUPPORT=1"
			   : "outside the interpreter: a debugger such as pydevd, or a JIT");
		return -EBUSY;
	}
	if (perf_requested(rt->pid, rt->lay->minor)) {
		rt->perf_trampoline = true;
		say(why, len,
		    "PID %d asks for the perf trampoline (-X perf or PYTHONPERFSUPPORT), whose "
		    "start fails when interp->eval_frame is set",
		    rt->pid);
		return -EBUSY;
	}
	err = poke_u64(rt->pid, rt->eval_frame_slot, rt->eval_addr);
	if (err) {
		say(why, len, "cannot write interp->eval_frame at 0x%" PRIx64 ": %s",
		    rt->eval_frame_slot, strerror(-err));
		return err;
	}
	rt->hooked = true;
	err = peek_u64(rt->pid, rt->eval_frame_slot, &cur);
	if (err || cur != rt->eval_addr) {
		say(why, len, "interp->eval_frame at 0x%" PRIx64 " reads back as 0x%" PRIx64,
		    rt->eval_frame_slot, err ? 0 : cur);
		pyruntime_unhook(rt);
		return err ? err : -EIO;
	}
	rt->eval_frame_seen = cur;
	return 0;
}

int pyruntime_unhook(struct pyruntime *rt)
{
	struct iovec local, remote;
	uint64_t cur = 0;
	ssize_t n;
	int saved = errno, err = 0;

	if (!rt || !rt->hooked)
		return 0;
	rt->hooked = false;
	local = (struct iovec){&cur, sizeof(cur)};
	remote = (struct iovec){(void *)(uintptr_t)rt->eval_frame_slot, sizeof(cur)};
	n = process_vm_readv(rt->pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		err = -errno;
	else if (n != sizeof(cur))
		err = -EFAULT;
	else if (cur == rt->eval_addr)
		err = poke_u64(rt->pid, rt->eval_frame_slot, 0);
	/* a slot that changed since is someone else's now */
	errno = saved;
	return err;
}

/* --- restoring on every exit path -------------------------------------- */

static struct pyruntime *volatile guarded;
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};

static void guard_signal(int sig)
{
	struct pyruntime *rt = guarded;

	if (rt)
		pyruntime_unhook(rt);
	/* SA_RESETHAND restored the default action: deliver it once we return */
	raise(sig);
}

static void guard_exit(void)
{
	struct pyruntime *rt = guarded;

	if (rt)
		pyruntime_unhook(rt);
}

void pyruntime_guard(struct pyruntime *rt)
{
	static bool installed;

	guarded = rt;
	if (!rt || installed)
		return;
	installed = true;
	atexit(guard_exit);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = guard_signal;
		sa.sa_flags = SA_RESETHAND;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
