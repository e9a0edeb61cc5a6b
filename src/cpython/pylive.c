// SPDX-License-Identifier: MIT
/* The live layout check: walks a running CPython's runtime, interpreters,
 * thread states and innermost frames and checks them against struct
 * pylayout. See pylive.h and the research note §3.3. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpython/pylayout.h"
#include "cpython/pylive.h"
#include "cpython/pyruntime.h"
#include "sys/log.h"
#include "sys/nspid.h"
#include "sys/tmem.h"

#define CHECK_TRIES  3
#define DEBUG_COOKIE PYLAYOUT_DEBUG_COOKIE

bool pylive_pointer_ok(uint64_t v)
{
	return v && !(v & 7) && v < (1ULL << 56);
}

/* A failed read during the checks: the process is gone or not ours to
 * read (returned as is), or an address of the layout is wrong (-ENOTSUP). */
static int read_failed(int err, char *why, size_t len, const char *what, uint64_t addr)
{
	if (err == -ESRCH || err == -EPERM) {
		log_line(why, len, "cannot read %s at 0x%" PRIx64 ": %s", what, addr,
			 strerror(-err));
		return err;
	}
	log_line(why, len, "layout check failed: cannot read %s at 0x%" PRIx64 ": %s", what, addr,
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
		err = tmem_read_u64(rt->pid, tstate + lay->tstate.frame, frame);
		return err ? read_failed(err, why, len, "tstate->frame", tstate) : 0;
	}
	if (lay->tstate.cframe == PYLAYOUT_NONE || lay->tstate.cframe_frame == PYLAYOUT_NONE)
		return 0;
	err = tmem_read_u64(rt->pid, tstate + lay->tstate.cframe, &cf);
	if (err)
		return read_failed(err, why, len, "tstate->cframe", tstate);
	if (!cf)
		return 0;
	if (!pylive_pointer_ok(cf)) {
		log_line(why, len,
			 "layout check failed: tstate 0x%" PRIx64 " has cframe 0x%" PRIx64, tstate,
			 cf);
		return -ENOTSUP;
	}
	err = tmem_read_u64(rt->pid, cf + lay->tstate.cframe_frame, frame);
	return err ? read_failed(err, why, len, "cframe->current_frame", cf) : 0;
}

/* Checks that the innermost Python frame of tstate (if any) has a code
 * object whose ob_type is PyCode_Type. */
static int check_frames(const struct pyruntime *rt, struct pylive *out, uint64_t tstate, char *why,
			size_t len)
{
	const struct pylayout *lay = rt->lay;
	uint64_t frame, code, type;
	int err = current_frame(rt, tstate, &frame, why, len);

	for (int i = 0; !err && frame && i < PYLIVE_MAX_FRAMES; i++) {
		if (!pylive_pointer_ok(frame)) {
			log_line(why, len,
				 "layout check failed: thread state 0x%" PRIx64
				 " has frame 0x%" PRIx64,
				 tstate, frame);
			return -ENOTSUP;
		}
		if (lay->frame.entry_kind == PYLAYOUT_ENTRY_OWNER) {
			uint8_t owner;

			err = tmem_read(rt->pid, frame + lay->frame.entry, &owner, 1);
			if (err)
				return read_failed(err, why, len, "frame->owner", frame);
			if (owner >= lay->frame.owner_cstack) {
				/* a C-stack shim (3.14: or the interpreter's
				 * entry frame): no code object of its own */
				uint64_t prev;

				err = tmem_read_u64(rt->pid, frame + lay->frame.back, &prev);
				if (err)
					return read_failed(err, why, len, "frame->previous", frame);
				frame = prev;
				continue;
			}
		}
		err = tmem_read_u64(rt->pid, frame + lay->frame.code, &code);
		if (err)
			return read_failed(err, why, len, "frame->code", frame);
		/* 3.14: a _PyStackRef; free-threaded builds tag every code
		 * object (deferred reference counting) */
		code &= ~lay->code_tag_bits;
		if (!pylive_pointer_ok(code)) {
			log_line(why, len,
				 "layout check failed: frame 0x%" PRIx64 " has code 0x%" PRIx64,
				 frame, code);
			return -ENOTSUP;
		}
		err = tmem_read_u64(rt->pid, code + (uint64_t)lay->object.ob_type, &type);
		if (err)
			return read_failed(err, why, len, "code->ob_type", code);
		if (type != rt->code_type_addr) {
			log_line(why, len,
				 "layout check failed: the code object 0x%" PRIx64
				 " of frame 0x%" PRIx64 " has ob_type 0x%" PRIx64
				 " != PyCode_Type 0x%" PRIx64,
				 code, frame, type, rt->code_type_addr);
			return -ENOTSUP;
		}
		out->nframes_checked++;
		return 0;
	}
	return err;
}

/* 3.14+: the layout came from the file's _Py_DebugOffsets; the copy the
 * running interpreter holds at _PyRuntime must decode to the same table
 * (it is static data, so this checks the address arithmetic and that the
 * process runs this file). */
static int check_debug_live(const struct pyruntime *rt, char *why, size_t len)
{
	const struct debug_offsets *file = &rt->lay->debug;
	uint8_t buf[DEBUG_OFFSETS_MAX];
	struct debug_offsets live;
	char dwhy[160];
	int err;

	if (file->table_size > sizeof(buf))
		return -EINVAL;
	err = tmem_read(rt->pid, rt->runtime_addr, buf, file->table_size);
	if (err)
		return read_failed(err, why, len, "_Py_DebugOffsets", rt->runtime_addr);
	if (debug_offsets_decode(buf, file->table_size, &live, dwhy, sizeof(dwhy)) ||
	    debug_offsets_compare(file, &live, dwhy, sizeof(dwhy))) {
		log_line(why, len, "layout check failed: the process's _Py_DebugOffsets: %s", dwhy);
		return -ENOTSUP;
	}
	return 0;
}

/* One pass of the checks of pylive_check(); tasks: the target's
 * threads, listed before it. */
static int check_once(const struct pyruntime *rt, struct pylive *out,
		      const struct nspid_task *tasks, size_t ntasks, char *why, size_t len)
{
	const struct pylayout *lay = rt->lay;
	uint64_t head, interp = 0, next, ts, v;
	bool tid_seen = false;
	unsigned n;
	int err;

	memset(out, 0, sizeof(*out));

	if (lay->minor >= 13) {
		char cookie[8];

		err = tmem_read(rt->pid, rt->runtime_addr, cookie, sizeof(cookie));
		if (err)
			return read_failed(err, why, len, "_PyRuntime", rt->runtime_addr);
		if (memcmp(cookie, DEBUG_COOKIE, sizeof(cookie))) {
			log_line(why, len,
				 "layout check failed: _PyRuntime at 0x%" PRIx64
				 " does not start with the debug offsets cookie",
				 rt->runtime_addr);
			return -ENOTSUP;
		}
	}
	if (lay->has_debug) {
		err = check_debug_live(rt, why, len);
		if (err)
			return err;
	}
	v = rt->runtime_addr + lay->runtime.interpreters_head;
	err = tmem_read_u64(rt->pid, v, &head);
	if (err)
		return read_failed(err, why, len, "_PyRuntime.interpreters.head", v);
	if (!head) {
		log_line(why, len, "the interpreter does not exist yet");
		return -EAGAIN;
	}
	/* new interpreters go to the head: the main one is the last */
	for (next = head, n = 0; next; n++) {
		if (n == PYLIVE_MAX_INTERPS) {
			log_line(why, len,
				 "layout check failed: the interpreter list does not end after %u "
				 "entries",
				 n);
			return -ENOTSUP;
		}
		if (!pylive_pointer_ok(next)) {
			log_line(why, len, "layout check failed: interpreter pointer 0x%" PRIx64,
				 next);
			return -ENOTSUP;
		}
		interp = next;
		err = tmem_read_u64(rt->pid, interp + lay->interp.next, &next);
		if (err)
			return read_failed(err, why, len, "interp->next", interp);
	}
	out->ninterps = n;

	err = tmem_read_u64(rt->pid, interp + lay->interp.threads_head, &ts);
	if (err)
		return read_failed(err, why, len, "interp->threads.head", interp);
	if (!ts) {
		log_line(why, len, "the interpreter has no thread state yet");
		return -EAGAIN;
	}
	for (n = 0; ts; n++) {
		uint64_t back;

		if (n == PYLIVE_MAX_THREADS) {
			log_line(why, len,
				 "layout check failed: the thread list does not end after %u "
				 "entries",
				 n);
			return -ENOTSUP;
		}
		if (!pylive_pointer_ok(ts)) {
			log_line(why, len, "layout check failed: thread state pointer 0x%" PRIx64,
				 ts);
			return -ENOTSUP;
		}
		err = tmem_read_u64(rt->pid, ts + lay->tstate.interp, &back);
		if (err)
			return read_failed(err, why, len, "tstate->interp", ts);
		if (back != interp) {
			log_line(why, len,
				 "layout check failed: tstate->interp 0x%" PRIx64
				 " != interp 0x%" PRIx64 " (thread state 0x%" PRIx64 ")",
				 back, interp, ts);
			return -ENOTSUP;
		}
		if (lay->tstate.native_thread_id != PYLAYOUT_NONE && !tid_seen) {
			err = tmem_read_u64(rt->pid, ts + lay->tstate.native_thread_id, &v);
			if (err)
				return read_failed(err, why, len, "tstate->native_thread_id", ts);
			tid_seen = is_task(tasks, ntasks, v);
		}
		err = check_frames(rt, out, ts, why, len);
		if (err)
			return err;
		err = tmem_read_u64(rt->pid, ts + lay->tstate.next, &v);
		if (err)
			return read_failed(err, why, len, "tstate->next", ts);
		ts = v;
	}
	out->nthreads = n;
	if (lay->tstate.native_thread_id != PYLAYOUT_NONE && !tid_seen) {
		log_line(why, len,
			 "layout check failed: no thread state's native_thread_id (+%d) is a "
			 "thread of "
			 "PID %d (by the ids of its PID namespace)",
			 lay->tstate.native_thread_id, rt->pid);
		return -ENOTSUP;
	}

	out->interp_addr = interp;
	return 0;
}

int pylive_check(const struct pyruntime *rt, struct pylive *out, char *why, size_t len)
{
	int err = -EINVAL;

	if (!rt->lay || !rt->runtime_addr) {
		log_line(why, len, "the runtime was not opened");
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
				log_line(why, len, "cannot list the threads of PID %d: %s", rt->pid,
					 strerror(-err));
				break;
			}
		}
		err = check_once(rt, out, tasks, ntasks, why, len);
		free(tasks);
		if (err != -ENOTSUP)
			break;
	}
	return err;
}
