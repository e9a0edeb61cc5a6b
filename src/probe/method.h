/* SPDX-License-Identifier: MIT */
/* Which probe method traces a target: read-only uprobes in a CPython's
 * interpreter (eval or frame); its USDT markers only when asked, since
 * switching them on can change what the target does; the markers of a
 * program that is not CPython. Pure: decides from what the ELF says and
 * what the user asked. */
#ifndef FT_METHOD_H
#define FT_METHOD_H

#include <stdbool.h>
#include <stddef.h>

struct elf_info;

enum ft_method {
	FT_METHOD_USDT,
	FT_METHOD_EVAL,
	FT_METHOD_FRAME,
};

/* What --method asks for (parsed once, by the command line). */
enum method_ask {
	METHOD_ASK_AUTO = 0, /* method_choose decides (the default) */
	METHOD_ASK_USDT,
	METHOD_ASK_EVAL,
	METHOD_ASK_FRAME,
};

/* What --eval-hook asks for. */
enum method_hook {
	METHOD_HOOK_AUTO = 0, /* the default: not written (refused on 3.11+ anyway) */
	METHOD_HOOK_ON,
	METHOD_HOOK_OFF,
};

struct method_request {
	enum method_ask method;
	enum method_hook eval_hook;
	bool launch; /* -c: the tool owns the process from its start */
};

struct method_choice {
	enum ft_method method;
	bool eval_entries; /* frames start at the eval loop's entry (else: RESUME handlers) */
	char why[320];	   /* the reason, for -v; or, on refusal, what is wrong */
	char hint[256];	   /* on refusal: what to do */
	char warning[320]; /* when chosen: a hazard to say on stderr, or "" */
};

/* Oldest and newest CPython whose interpreter layout is known (pylayout.c) */
#define METHOD_MIN_MINOR 8
#define METHOD_MAX_MINOR 14

/* Fills out for the interpreter e (in binary, for messages). Returns 0, or
 * -ENOTSUP with why and hint set when nothing the request allows can trace
 * it. */
int method_choose(const struct elf_info *e, const char *binary, const struct method_request *req,
		  struct method_choice *out);

const char *method_name(const struct method_choice *c);

#endif /* FT_METHOD_H */
