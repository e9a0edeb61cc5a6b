/* SPDX-License-Identifier: MIT */
/* The live layout check: before any probe reads a CPython's structures,
 * the runtime, interpreter and thread structures of the running process
 * are walked and checked against struct pylayout (research note §3.3), so
 * a layout that does not fit is refused rather than read wrongly. Target
 * memory is only read (tmem.h). */
#ifndef FT_PYLIVE_H
#define FT_PYLIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pyruntime;

#define PYLIVE_MAX_INTERPS 64	/* interpreters walked before the list counts as broken */
#define PYLIVE_MAX_THREADS 4096 /* thread states walked, the same */
#define PYLIVE_MAX_FRAMES  8	/* frames looked at per thread for a code object */

/* What the last check saw. */
struct pylive {
	uint64_t interp_addr; /* the main interpreter */
	unsigned ninterps;    /* interpreters and thread states walked */
	unsigned nthreads;
	unsigned nframes_checked; /* frames whose code object's type was checked */
};

/* Reads _PyRuntime.interpreters.head of the runtime rt (pyruntime_open;
 * 3.13: after the _Py_DebugOffsets cookie), walks the interpreter list to
 * the main interpreter (the last one) and its thread states, and checks
 * them: pointers non-NULL, canonical and aligned, lists that end, every
 * tstate->interp == interp, on 3.11+ the native_thread_id of some thread
 * state is a thread of the PID, and the code object of the innermost
 * Python frame of each thread (when it runs one) has ob_type ==
 * PyCode_Type. A running target can change under the reads, so a failed
 * check is retried twice before it counts. Fills out. Returns 0; -EAGAIN
 * when the interpreter or its first thread state does not exist yet (a
 * process still starting); -ENOTSUP with a one-line reason ("layout check
 * failed: ...") when the memory does not look like this layout; -ESRCH
 * when the process is gone; another -errno when its memory cannot be read;
 * -EINVAL when rt was not opened. */
int pylive_check(const struct pyruntime *rt, struct pylive *out, char *why, size_t len);

/* Pure: whether v can be a user-space object pointer: non-NULL, 8-byte
 * aligned, below the top of the user address space (57-bit paging
 * included). */
bool pylive_pointer_ok(uint64_t v);

#endif /* FT_PYLIVE_H */
