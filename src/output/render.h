/* SPDX-License-Identifier: MIT */
/* Output formats. Every renderer implements struct renderer and writes only
 * to render_ctx.out; main.c picks one by name. */
#ifndef FT_RENDER_H
#define FT_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "flowtrace/event.h"

struct procns;

struct calltree;
struct ft_node;
struct ft_thread;
struct names;
struct filter;
struct tasks;
struct jsonw;

/* --flight: the window an output holds, times from the trace's start */
struct render_window {
	uint64_t seconds_ns; /* the window asked for */
	uint64_t start_ns;
	uint64_t end_ns;
	bool shortened; /* --flight-size pushed out records of the window: it
			 * starts later than end_ns - seconds_ns */
};

/* --trigger: what was captured */
struct render_trigger {
	uint64_t kept;	  /* trigger calls written */
	uint64_t dropped; /* trigger calls shorter than --min-duration */
};

/* What the trace was: written into the output's metadata. */
struct render_meta {
	int pid;
	const char *python;	     /* "3.9.2", or "" when unknown */
	const char *probe;	     /* "usdt" */
	const char *binary;	     /* ELF whose probes were used, as the target sees it */
	const char *command;	     /* launch mode: the command; else NULL */
	struct timespec wall_start;  /* CLOCK_REALTIME at trace start */
	uint64_t duration_ns;	     /* trace start to stop */
	uint64_t events;	     /* ENTRY + RETURN records received */
	uint64_t lost;		     /* records lost: sequence gaps + drops not seen as gaps */
	uint64_t drops[FT_DROP_MAX]; /* BPF's counters */
	uint64_t threads;
	uint64_t calls;
	uint64_t unfinished;
	uint32_t abi; /* record ABI of the trace (a replay's may be older); 0: this build's */
	/* who wrote the output, "flowtrace-bpf 0.1.0": the application fills it
	 * (outputs know no version); NULL: not said */
	const char *tool;
	/* NULL when the trace is whole; else why it is not ("out of memory"):
	 * every format that can carry a note says so */
	const char *incomplete;
	uint64_t unapplied;		      /* records that could not be applied */
	const struct render_window *window;   /* NULL: the whole trace */
	const struct render_trigger *trigger; /* NULL: no --trigger */
	/* --follow or several PIDs: the threads of other processes than pid
	 * too (ft_thread.pid) */
	bool follow;
	/* the correction taken out of every duration (calltree_cal): tracer
	 * time per probe hit and its error bound, in ps; how it was obtained
	 * (NULL: none was, the durations are raw); raw_times: --raw-times */
	uint64_t cal_hit_ps, cal_err_ps;
	const char *cal_how;
	bool raw_times;
	/* the container the target was in (namespaces, cgroup); NULL: not
	 * known (an older trace file) */
	const struct procns *ns;
};

struct render_ctx {
	FILE *out;
	const struct names *names;
	struct filter *filter;
	const struct render_meta *meta; /* complete only in end() */
	bool fold;			/* tree: fold repeated identical sibling calls (--fold) */
	const char *base_dir;		/* tree: files under it are shown relative to it */
	void *priv;			/* the renderer's own state */
	/* tree: levels of indentation at most, and the shortest recursion run
	 * folded into one line (--indent-max); 0: RENDER_INDENT_MAX_DEFAULT,
	 * below 0: no limit */
	int indent_max;
	/* --by-task: the asyncio task view (tree, json, chrome), NULL: none */
	const struct tasks *tasks;
	/* tree: show the interpreter's start-up and shutdown calls of a
	 * launched program (--startup) instead of one line per phase
	 * (core/firstview.h) */
	bool startup;
};

struct renderer {
	const char *name;
	const char *help;
	/* true: calls arrive one by one through call() and no tree is kept */
	bool streaming;
	int (*begin)(struct render_ctx *rc);
	/* streaming renderers only: a call (or lost-record marker) just completed */
	void (*call)(struct render_ctx *rc, const struct ft_thread *t, const struct ft_node *n,
		     int depth);
	/* writes the rest; ct holds the whole forest for non-streaming renderers */
	int (*end)(struct render_ctx *rc, const struct calltree *ct);
};

#define RENDER_INDENT_MAX_DEFAULT 64

extern const struct renderer render_tree;
extern const struct renderer render_json;
extern const struct renderer render_jsonl;
extern const struct renderer render_chrome;
extern const struct renderer render_folded;
extern const struct renderer render_plantuml;
extern const struct renderer render_dot;
extern const struct renderer render_html;

/* --by-task, in render_tasks.c: the task timelines after the threads in
 * tree (through its own line writers, as enter and leave), the "tasks"
 * member in json, a track per task in chrome. */
struct filter_visit;
void render_tasks_tree(struct render_ctx *rc, const struct calltree *ct,
		       const struct filter_visit *v, void *tree,
		       void (*header)(void *tree, const char *text));
void render_tasks_json(struct render_ctx *rc, const struct calltree *ct, struct jsonw *w,
		       const struct filter_visit *v, void *js);
void render_tasks_chrome(struct render_ctx *rc, const struct calltree *ct, struct jsonw *w, int pid,
			 const struct filter_visit *v, void *ch);

/* Looks a renderer up by name; NULL if there is none. */
const struct renderer *renderer_find(const char *name);
/* "tree, json, jsonl, ...": every name in the table, for help and error
 * messages */
const char *renderer_names(void);

/* Formats a duration the way uftrace does: "%3u.%03u %s" with us, ms, s, m, h
 * units, always 10 characters. buf must hold 16 bytes. Returns buf. */
char *fmt_duration(char *buf, uint64_t ns);
/* The same duration for running text, without the column's padding:
 * "3.100 ms", "1.250 s". buf must hold 16 bytes. Returns buf. */
char *fmt_duration_text(char *buf, uint64_t ns);
/* A call's duration, as fmt_duration() does; a duration within the
 * correction's error (FT_NODE_DUR_UNCERTAIN) as its upper bound after a
 * '<': " <1.250 us". buf must hold 16 bytes. Returns buf. */
char *fmt_node_duration(char *buf, const struct ft_node *n);

#endif /* FT_RENDER_H */
