/* SPDX-License-Identifier: MIT */
/* The first view of a launched program: where, among a main thread's
 * roots, the user's program starts (its script's <module>, or the -m
 * module's under runpy), and what the interpreter ran before it (start-up,
 * in phases) and after it (shutdown), counted so a human view can fold
 * them into one line each. Pure: it reads a finished forest and names. */
#ifndef FT_FIRSTVIEW_H
#define FT_FIRSTVIEW_H

#include <stdbool.h>
#include <stdint.h>

struct names;
struct ft_node;
struct ft_thread;

/* Start-up phases, by what the interpreter runs (docs/design.md, "The first
 * view"), then shutdown. */
enum firstview_phase {
	/* importlib's bootstrap, the path configuration (getpath), the imports
	 * the interpreter makes for itself, the importer of the script's
	 * directory */
	FIRSTVIEW_IMPORTLIB,
	/* the codec registry (encodings) and the standard streams' codecs */
	FIRSTVIEW_ENCODINGS,
	/* site: .pth files, sitecustomize, usercustomize */
	FIRSTVIEW_SITE,
	/* -m: runpy importing itself, finding the module, importing its
	 * package: all of _run_module_as_main but the module's <module> */
	FIRSTVIEW_RUNPY,
	/* everything after the program's <module> returned: threading's
	 * _shutdown, atexit callbacks, module teardown (finalizers) */
	FIRSTVIEW_SHUTDOWN,
	FIRSTVIEW_NPHASES
};

struct firstview_sum {
	uint64_t calls; /* calls folded (lost-record markers are not calls) */
	uint64_t ns;	/* their time: the folded roots' durations */
	uint64_t lost;	/* records lost inside them (their LOST markers) */
};

struct firstview {
	/* the program's <module>, shown as the thread's one root; NULL: no
	 * program found (nothing is folded) */
	const struct ft_node *entry;
	/* the root that holds entry: entry itself, or runpy's
	 * _run_module_as_main */
	const struct ft_node *top;
	struct firstview_sum sum[FIRSTVIEW_NPHASES];
	/* the start-up phases seen, in the order of their first root */
	enum firstview_phase order[FIRSTVIEW_NPHASES];
	int norder;
};

/* Finds the program in t's roots and sums up the rest. Returns true when a
 * program was found (fv->entry set); false leaves the thread as it is. */
bool firstview_find(const struct names *names, const struct ft_thread *t, struct firstview *fv);

/* "importlib", "encodings", "site", "runpy", "shutdown" */
const char *firstview_phase_name(enum firstview_phase p);

/* Whether the first view folds thread t: in launch mode, a process's main
 * thread (its tid is its process's id; pid is the traced process, taken
 * when the thread's own process is not known). */
bool firstview_applies(const struct ft_thread *t, uint32_t pid, bool launched);

#endif /* FT_FIRSTVIEW_H */
