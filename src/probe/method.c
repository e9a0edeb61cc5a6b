// SPDX-License-Identifier: MIT
/* Probe method selection; see method.h and docs/compatibility.md. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sys/elfinfo.h"
#include "sys/log.h"
#include "probe/method.h"
#include "cpython/target.h"

/* Says why nothing fits the request, and what to do: -ENOTSUP. */
__attribute__((format(printf, 3, 4))) static int refuse(struct method_choice *out, const char *hint,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	log_line(out->hint, sizeof(out->hint), "%s", hint);
	return -ENOTSUP;
}

const char *method_name(const struct method_choice *c)
{
	switch (c->method) {
	case FT_METHOD_USDT:
		return "usdt";
	case FT_METHOD_EVAL:
		return "eval";
	default:
		return "frame";
	}
}

/* The micro version of "3.11.2" (a suffix such as "rc1" ends it), or -1. */
static int micro_of(const char *version)
{
	const char *p = strchr(version, '.');
	int micro = 0;

	p = p ? strchr(p + 1, '.') : NULL;
	if (!p || !isdigit((unsigned char)p[1]))
		return -1;
	for (p++; isdigit((unsigned char)*p) && micro < 1000; p++)
		micro = micro * 10 + (*p - '0');
	return micro;
}

/* Why --eval-hook=on cannot be allowed on 3.11+, or NULL (3.8-3.10 call
 * the eval loop for every Python call already: nothing is written). Each
 * reason was seen on the interpreters of the test matrix. */
static const char *hook_refusal(const struct elf_info *e)
{
	if (e->minor <= 10)
		return NULL;
	if (e->minor == 11 && micro_of(e->version) >= 0 && micro_of(e->version) < 4)
		/* BINARY_SUBSCR_GETITEM ignored PEP 523 until CPython gh-104405
		 * (3.11.4): a Python __getitem__ runs inline, never seen starting */
		return "it is not exact there: a Python __getitem__ runs inline, unseen "
		       "(fixed in 3.11.4)";
	if (e->minor == 11)
		/* routed calls each take a C frame of _PyEval_EvalFrameDefault,
		 * inline ones take none: a recursion 60000 deep that runs untraced
		 * (setrecursionlimit raised) overflows the C stack, SIGSEGV */
		return "every Python call would take C stack, so a deep recursion that runs "
		       "untraced would crash the target";
	if (e->minor == 12)
		/* routed calls count against 3.12's fixed C recursion limit:
		 * recursion 900 deep raises RecursionError, untraced it runs */
		return "every Python call would count against its C recursion limit, so a "
		       "recursion 900 deep that runs untraced would raise RecursionError";
	if (e->minor == 13)
		return "it still runs the __init__ of a class being called inline, unseen";
	/* 3.14: not needed (frames end at _PyEval_FrameClearAndPop) and not
	 * shown exact, so not offered */
	return "it is not shown exact there, and the default method is";
}

/* CPython 3.15 restored the markers (CPython PR #142397), but fires
 * function__return only from RETURN_VALUE and YIELD_VALUE: a frame that an
 * exception unwinds (the eval loop's exit_unwind) ends with no marker, and
 * the markers alone would nest every later call of the thread under frames
 * already gone (docs/design.md, "CPython 3.15's markers"). */
static bool returns_only_normal_exits(const struct elf_info *e)
{
	return e->has_eval_loop && e->major == 3 && e->minor >= 15;
}

int method_choose(const struct elf_info *e, const char *binary, const struct method_request *req,
		  struct method_choice *out)
{
	bool want_auto = req->method == METHOD_ASK_AUTO;
	bool want_usdt = req->method == METHOD_ASK_USDT;
	bool want_eval = req->method == METHOD_ASK_EVAL;
	bool hook_on = req->eval_hook == METHOD_HOOK_ON;
	char what[96];

	memset(out, 0, sizeof(*out));
	log_line(what, sizeof(what), "CPython %s", *e->version ? e->version : "(version unknown)");

	/* 3.11 fires function__entry only on some paths, 3.12-3.14 have none */
	char mwhy[sizeof(out->why)], mhint[sizeof(out->hint)];
	enum target_verdict markers =
		target_judge(e, binary, mwhy, sizeof(mwhy), mhint, sizeof(mhint));

	/* refused, not warned about: what a frame left by an exception does
	 * to the tree cannot always be told from the markers (a recursion
	 * looks the same either way), so the tree would be a guess */
	if (markers == TARGET_OK && returns_only_normal_exits(e)) {
		if (want_auto || want_usdt)
			return refuse(
				out,
				"no method traces CPython 3.15+ exactly yet "
				"(docs/compatibility.md)",
				"%s in %s fires python:function__return only for normal "
				"returns and yields, not for a frame left by an exception: its "
				"markers alone would nest later calls under frames already gone",
				what, binary);
		markers = TARGET_INCOMPLETE; /* no hint may point to them */
	}

	/* Switching CPython's markers on makes its eval loop run its marker
	 * helpers on every call, which encode the code object's file and
	 * function names as UTF-8 and leave the exception set when one cannot
	 * be (a path holding a lone surrogate from a non-UTF-8 directory
	 * name): the target raises SystemError where it would run fine
	 * untraced. So auto never switches on markers next to CPython's eval
	 * loop; a program that only carries python markers (the sdt fixture)
	 * runs no such helper and has nothing else to trace. */
	if (markers == TARGET_OK && (want_usdt || (want_auto && !e->has_eval_loop))) {
		out->method = FT_METHOD_USDT;
		log_line(out->why, sizeof(out->why),
			 "%s in %s has complete python:function markers%s", what, binary,
			 want_usdt ? ", switched on by --method usdt" : "");
		if (e->has_eval_loop)
			log_line(
				out->warning, sizeof(out->warning),
				"--method usdt: CPython encodes every traced function's file and "
				"name as UTF-8 for its markers; one that cannot be (a path that is "
				"not UTF-8) makes the target raise SystemError");
		return 0;
	}
	if (want_usdt)
		return refuse(out, mhint, "%s", mwhy);
	const char *usdt_hint =
		markers == TARGET_OK
			? "--method usdt traces it through its markers, which can make it raise "
			  "SystemError (docs/compatibility.md)"
			: NULL;
	if (!e->major || (e->major == 3 && !e->minor) || e->major > 3)
		return refuse(out,
			      usdt_hint ? usdt_hint
					: "interpreter uprobes support CPython 3.8 to 3.14; builds "
					  "configured --with-dtrace have markers",
			      "cannot tell which CPython %s is%s", binary,
			      usdt_hint ? "" : ", and it has no usable markers");
	if (e->minor < METHOD_MIN_MINOR || e->major < 3)
		return refuse(out,
			      usdt_hint
				      ? usdt_hint
				      : "interpreter uprobes support CPython 3.8 to 3.14; a build "
					"configured --with-dtrace has markers",
			      "%s in %s is too old for interpreter uprobes%s", what, binary,
			      usdt_hint ? "" : " and has no markers");
	if (e->minor > METHOD_MAX_MINOR)
		return refuse(out,
			      usdt_hint ? usdt_hint
					: "interpreter uprobes support CPython 3.8 to 3.14; newer "
					  "ones are not supported yet (docs/compatibility.md)",
			      "%s in %s is newer than the interpreter layouts flowtrace-bpf "
			      "knows%s",
			      what, binary, usdt_hint ? "" : ", and it has no usable markers");

	/* 3.11-3.13 run Python-to-Python calls inside one eval loop. The eval
	 * hook (PEP 523) would route each through it, but on each of them it
	 * either misses calls or changes what the target does, so it is
	 * refused; 3.8-3.10 call the eval loop for every Python call anyway. */
	const char *no_hook = hook_refusal(e);

	if (hook_on && no_hook)
		return refuse(
			out,
			"drop --eval-hook=on: the default method is exact there and only reads",
			"the eval hook (--eval-hook=on) is refused on %s: %s", what, no_hook);
	if (want_eval && no_hook)
		return refuse(
			out,
			"use --method frame (the default there), which is exact and only reads",
			"--method eval on %s would need the eval hook, which is refused there: %s",
			what, no_hook);
	const char *unused =
		markers == TARGET_OK ? "; its markers stay off (see --method usdt)" : "";

	/* launch mode sees every frame start: the eval loop's return gives every
	 * exit. Attached, frames already running return through the bytecode
	 * handlers only, so those are probed too (cost: see compatibility.md). */
	if (want_eval || (want_auto && req->launch && !no_hook)) {
		out->method = FT_METHOD_EVAL;
		out->eval_entries = true;
		log_line(out->why, sizeof(out->why),
			 "%s in %s: every Python call enters _PyEval_EvalFrameDefault, which is "
			 "probed read-only%s",
			 what, binary, unused);
		return 0;
	}
	out->method = FT_METHOD_FRAME;
	out->eval_entries = !no_hook;
	log_line(out->why, sizeof(out->why),
		 "%s in %s: frames start at %s; they end at %s, "
		 "so frames running at attach are seen leaving%s",
		 what, binary,
		 no_hook ? "the RESUME bytecode handlers (read-only)" : "the eval loop (read-only)",
		 e->minor >= 14	  ? "_PyEval_FrameClearAndPop and the yield handlers"
		 : e->minor == 13 ? "_PyEval_FrameClearAndPop and the yield handlers where "
				    "the return handlers call it, else at the return/yield "
				    "bytecode handlers"
		 : e->minor == 11 ? "_PyFrame_Clear and the yield handlers where every "
				    "frame that ends is cleared through it, else at the "
				    "return/yield bytecode handlers"
		 : e->minor == 12 ? "_PyEvalFrameClearAndPop and the yield handlers where "
				    "the return handlers and the unwinding path call it, else "
				    "at the return/yield bytecode handlers"
				  : "the return/yield bytecode handlers",
		 unused);
	return 0;
}
