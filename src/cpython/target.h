/* SPDX-License-Identifier: MIT */
/* Target discovery: which ELF mapped into a process carries the python
 * markers, which CPython it is, and whether its markers give complete
 * trees. Reads /proc/PID (honouring the target's mount namespace through
 * /proc/PID/root). */
#ifndef FT_TARGET_H
#define FT_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"

/* Why a target cannot be traced with markers (target.verdict). */
enum target_verdict {
	TARGET_OK = 0,	   /* markers present and complete */
	TARGET_NO_PROCESS, /* no such process, or it is gone */
	TARGET_NOT_PYTHON, /* no CPython interpreter mapped */
	TARGET_NO_MARKERS, /* CPython without function markers */
	TARGET_INCOMPLETE, /* markers present but they do not fire for every call (3.11) */
	TARGET_NO_ACCESS,  /* /proc/PID cannot be read (privileges) */
};

struct target {
	int pid;
	enum target_verdict verdict;
	char exe[PATH_MAX]; /* the executable, as the target sees it */
	char binary
		[PATH_MAX]; /* ELF with the markers (or the interpreter), as the target sees it */
	char open_path[PATH_MAX]; /* the same file, openable from here (/proc/PID/root/...) */
	struct elfimage *img;	  /* that file, open since it was inspected (NULL: none): the
			       * one reader every later step of the session uses */
	int fd;			  /* the image's file descriptor (-1: none) */
	char attach_path[64];	  /* /proc/self/fd/<fd>: what the probes attach to */
	bool in_library;	  /* the markers are in libpython, not in the executable */
	struct elf_info elf;	  /* of binary */
	char why[256];		  /* verdict != OK: one line saying why */
	char hint[256];		  /* verdict != OK: what the user can do */
};

/* Inspects a running process. Returns 0 after filling t (check t->verdict),
 * or a negative errno for an internal failure. With TARGET_OK (and the
 * verdicts a probe method may accept), t->img holds the file inspected,
 * opened once: the layout, handler and runtime steps read it, the probes
 * attach to it through t->attach_path. target_close() closes it. */
int target_inspect(int pid, struct target *t);
/* The same, given the process's executable already opened (exe, from
 * /proc/PID/exe; launch.c opens it when the command execs it): it is used,
 * not opened again. Takes exe over in every case (NULL: none). */
int target_inspect_with(int pid, struct target *t, struct elfimage *exe);
void target_close(struct target *t);

/* Whether process pid has exited (gone, or a zombie): after a step of
 * attaching failed, that says why. */
bool target_gone(int pid);

/* Pure: true when a path's basename looks like libpython ("libpython3.9.so.1.0"). */
bool path_is_libpython(const char *path);

/* Pure: judges markers for a CPython version: TARGET_OK,
 * TARGET_NO_MARKERS or TARGET_INCOMPLETE, with why/hint filled (one line
 * each, "" for TARGET_OK). binary (may be NULL) names the file in why. */
enum target_verdict target_judge(const struct elf_info *e, const char *binary, char *why,
				 size_t whylen, char *hint, size_t hintlen);

#endif /* FT_TARGET_H */
