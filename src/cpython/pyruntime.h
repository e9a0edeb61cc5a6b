/* SPDX-License-Identifier: MIT */
/* A running CPython seen from outside: where its interpreter ELF is loaded,
 * where _PyRuntime, PyCode_Type and _PyEval_EvalFrameDefault are in its
 * memory, a check that the live structures match the layout read from the
 * file (struct pylayout), and the eval hook: the PEP 523 slot
 * interp->eval_frame pointed at _PyEval_EvalFrameDefault itself, so that on
 * 3.11+ every Python call goes through that function (research note §6).
 * Memory is read and written with process_vm_readv/writev (root, or
 * ptrace-level access to the target).
 *
 * The hook and its undo. pyruntime_unhook() writes NULL back when the slot
 * still holds our value; pyruntime_guard() makes it run on exit() and on
 * fatal signals in flowtrace-bpf itself. SIGKILL cannot be handled: after
 * one, the slot stays set. The target keeps working, its calls routed
 * through the default evaluator and no longer inlined (slower by roughly
 * 1.3-1.6x), until the next flowtrace-bpf run on it adopts the value
 * (pyruntime_hook) and restores NULL when it ends. */
#ifndef FT_PYRUNTIME_H
#define FT_PYRUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfimage;
struct pylayout;
struct opcodes_table;

#define PYRUNTIME_MAX_INTERPS 64   /* interpreters walked before the list counts as broken */
#define PYRUNTIME_MAX_THREADS 4096 /* thread states walked, the same */
#define PYRUNTIME_MAX_FRAMES  8	   /* frames looked at per thread for a code object */

struct pyruntime {
	int pid;
	uint64_t bias;		    /* load bias of the interpreter ELF in the target */
	uint64_t runtime_addr;	    /* &_PyRuntime in the target (bias + layout runtime_vaddr) */
	uint64_t code_type_addr;    /* &PyCode_Type */
	uint64_t init_cleanup_addr; /* 3.13: &_Py_InitCleanup, the __init__ shim's code; else 0 */
	uint64_t eval_addr;	    /* &_PyEval_EvalFrameDefault (0 without an opcodes table) */
	uint64_t map_lo, map_hi;    /* the address range the file's mappings cover */
	uint64_t interp_addr;	    /* main interpreter, 0 until pyruntime_validate() found it */
	uint64_t eval_frame_slot;   /* &interp->eval_frame */
	uint64_t eval_frame_seen;   /* the slot's value when validate or hook last read it */
	unsigned ninterps;	    /* interpreters and thread states the last validate saw */
	unsigned nthreads;
	unsigned nframes_checked; /* frames whose code object's type was checked */
	bool hooked;		  /* we wrote the slot and have not restored it */
	bool adopted;		  /* the slot already held our value (an earlier, killed run) */
	bool perf_trampoline;	  /* hook refused: the perf trampoline holds the slot, or
				   * will once the interpreter is initialised */
	const struct pylayout *lay;
};

/* mapped_path: the interpreter ELF as the target sees it (as in
 * /proc/PID/maps, e.g. /root/.pyenv/.../libpython3.12.so.1.0 or
 * /usr/bin/python3.11); img: the same file as target discovery opened it.
 * Computes the load bias from the file's mappings and program headers and
 * the addresses above.
 * ops may be NULL (no eval_addr then: no hook). Touches no target memory.
 * Returns 0, or with a one-line reason: -ESRCH (no such process), -ENOENT
 * (the file is not mapped there), -ENOTSUP (the mappings do not fit the
 * file's PT_LOAD segments, or lay and ops disagree), or -ENOEXEC (no
 * 64-bit PT_LOAD headers in the file). */
int pyruntime_open(struct pyruntime *rt, int pid, const char *mapped_path,
		   const struct elfimage *img, const struct pylayout *lay,
		   const struct opcodes_table *ops, char *why, size_t len);

/* Reads _PyRuntime.interpreters.head (3.13: after the _Py_DebugOffsets
 * cookie), walks the interpreter list to the main interpreter (the last
 * one) and its thread states, and checks them: pointers non-NULL, canonical
 * and aligned, lists that end, every tstate->interp == interp, on 3.11+
 * the native_thread_id of some thread state is a thread of the PID, and
 * the code object of the innermost Python frame of each thread (when it
 * runs one) has ob_type == PyCode_Type. A running target can change under
 * the reads, so a failed check is retried twice before it counts. Sets
 * interp_addr, eval_frame_slot, eval_frame_seen and the counts. Returns 0;
 * -EAGAIN when the interpreter or its first thread state does not exist
 * yet (a process still starting); -ENOTSUP with a one-line reason
 * ("layout check failed: ...") when the memory does not look like this
 * layout; -ESRCH when the process is gone; another -errno when its memory
 * cannot be read. */
int pyruntime_validate(struct pyruntime *rt, char *why, size_t len);

/* The eval hook, after a successful pyruntime_validate(): writes
 * &_PyEval_EvalFrameDefault into interp->eval_frame and reads it back.
 * 3.11+ only (-ENOTSUP before: there every call already goes through that
 * function). A slot that already holds our value (left by a SIGKILLed
 * earlier run) is adopted: hooked and adopted set, 0 returned.
 *
 * -EBUSY with a reason when the slot is someone else's: another evaluator
 * is in it (a debugger's or JIT's PEP 523 hook), or, with perf_trampoline
 * set, 3.12+'s perf trampoline is (a value inside the interpreter file) or
 * will be: the command line or environment of a process that is still
 * starting asks for it (-X perf, PYTHONPERFSUPPORT, 3.13's -X perf_jit,
 * PYTHON_PERF_JIT_SUPPORT), and its start fails fatally ("Trampoline
 * cannot be initialized as a custom eval frame is already present") when
 * the slot is set by then. The trampoline routes every call through
 * _PyEval_EvalFrameDefault itself, so eval probes need no hook then.
 *
 * While hooked, a target that calls sys.activate_stack_trampoline() gets
 * that RuntimeError. The write is one aligned 8-byte copy; in a running
 * target a thread may read the slot meanwhile, so prefer hooking a
 * stopped target (launch mode). */
int pyruntime_hook(struct pyruntime *rt, char *why, size_t len);

/* Writes NULL back if we hooked and the slot still holds our value (a
 * changed slot is left alone). Idempotent: clears hooked even when the
 * process is gone. Async-signal-safe (system calls only), so it can run
 * from a fatal-signal handler. Returns 0 or -errno (-ESRCH: the process is
 * gone, nothing to restore). */
int pyruntime_unhook(struct pyruntime *rt);

/* Makes pyruntime_unhook(rt) run on every exit path of this process that
 * can run code: exit() (atexit) and SIGSEGV/SIGBUS/SIGABRT/SIGFPE/SIGILL
 * (one-shot handlers that unhook, then re-raise for the default action:
 * core dump, exit status). SIGINT/SIGTERM are the caller's (the session's
 * signalfd teardown unhooks). One runtime at a time; NULL disarms. rt must
 * stay valid while guarded. */
void pyruntime_guard(struct pyruntime *rt);

/* --- pure pieces, exposed for the unit tests -------------------------- */

/* One mapping of the interpreter file (a line of /proc/PID/maps). */
struct pyruntime_map {
	uint64_t start, end, offset;
	bool reserved; /* "---p": a hole of the loader's reservation, not a segment */
};

/* One PT_LOAD program header. */
struct pyruntime_load {
	uint64_t vaddr, offset, filesz, memsz;
};

/* Parses one /proc/PID/maps line. Sets *path to the mapped file (NULL when
 * not a file, as maps_parse_line() says; " (deleted)" kept) and fills m.
 * Returns 0 or -EINVAL. The line is modified (the path is NUL-terminated). */
int pyruntime_parse_maps_line(char *line, struct pyruntime_map *m, char **path);

/* True when a maps path names mapped_path (also when it is the same path
 * with " (deleted)" appended). */
bool pyruntime_path_matches(const char *maps_path, const char *mapped_path);

/* The load bias from the file's mappings (in any order) and its PT_LOAD
 * headers: a mapping at start with file offset off belongs to segment p
 * when off lies in p's file range (page-rounded down at the start), and
 * then bias = start - off - (p.vaddr - p.offset). The bias must explain
 * every mapping that is not a reservation hole, and exactly one bias may
 * do so. Returns 0, -ENOENT (no mapping that fits a segment) or -ENOTSUP
 * (mappings that no single bias explains). page: the page size. */
int pyruntime_bias(const struct pyruntime_map *maps, size_t nmaps,
		   const struct pyruntime_load *loads, size_t nloads, uint64_t page,
		   uint64_t *bias);

/* Whether a CPython 3.minor started with argv and envp (NULL-terminated)
 * turns the perf trampoline on at start-up: -X perf (3.12+), -X perf_jit
 * (3.13+), or PYTHONPERFSUPPORT / PYTHON_PERF_JIT_SUPPORT (3.13+) set to a
 * non-zero integer without -E or -I. Reads the interpreter options as
 * CPython does, up to -c, -m, --, "-" or the script. */
bool pyruntime_perf_requested(char *const *argv, char *const *envp, int minor);

/* Whether v can be a user-space object pointer: non-NULL, 8-byte aligned,
 * below the top of the user address space (57-bit paging included). */
bool pyruntime_pointer_ok(uint64_t v);

#endif /* FT_PYRUNTIME_H */
