// SPDX-License-Identifier: MIT
/* Probe method selection; see method.h and docs/compatibility.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "elfinfo.h"
#include "log.h"
#include "method.h"
#include "target.h"

__attribute__((format(printf, 4, 5))) static int refuse(struct method_choice *out, int code,
							const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	log_line(out->hint, sizeof(out->hint), "%s", hint);
	return code;
}

const char *method_name(const struct method_choice *c)
{
	switch (c->method) {
	case FT_METHOD_USDT:
		return "usdt";
	case FT_METHOD_EVAL:
		return "eval";
	default:
		return c->usdt_exits ? "frame+usdt" : "frame";
	}
}

int method_choose(const struct elf_info *e, const char *binary, const struct method_request *req,
		  struct method_choice *out)
{
	bool want_auto = !strcmp(req->method, "auto");
	bool want_usdt = !strcmp(req->method, "usdt");
	bool want_eval = !strcmp(req->method, "eval");
	bool hook_on = !strcmp(req->eval_hook, "on");
	bool hook_off = !strcmp(req->eval_hook, "off");
	char what[96];

	memset(out, 0, sizeof(*out));
	log_line(what, sizeof(what), "CPython %s", *e->version ? e->version : "(version unknown)");

	/* markers that fire for every call are the cheapest exact source;
	 * 3.11 fires function__entry only on some paths, 3.12-3.14 have none */
	char mwhy[sizeof(out->why)], mhint[sizeof(out->hint)];
	enum target_verdict markers =
		target_judge(e, binary, mwhy, sizeof(mwhy), mhint, sizeof(mhint));

	if (markers == TARGET_OK && (want_auto || want_usdt)) {
		out->method = FT_METHOD_USDT;
		log_line(out->why, sizeof(out->why),
			 "%s in %s has complete python:function markers", what, binary);
		return 0;
	}
	if (want_usdt)
		return refuse(out, FT_EXIT_NO_PROBES, mhint, "%s", mwhy);
	if (!e->major || (e->major == 3 && !e->minor) || e->major > 3)
		return refuse(out, FT_EXIT_NO_PROBES,
			      "interpreter uprobes support CPython 3.8 to 3.13; builds configured "
			      "--with-dtrace have markers",
			      "cannot tell which CPython %s is, and it has no usable markers",
			      binary);
	if (e->major < 3 || e->minor < METHOD_MIN_MINOR)
		return refuse(out, FT_EXIT_NO_PROBES,
			      "interpreter uprobes support CPython 3.8 to 3.13; a build configured "
			      "--with-dtrace has markers",
			      "%s in %s is too old for interpreter uprobes and has no markers",
			      what, binary);
	if (e->minor > METHOD_MAX_MINOR)
		return refuse(out, FT_EXIT_NO_PROBES,
			      "interpreter uprobes support CPython 3.8 to 3.13; 3.15+ builds "
			      "configured --with-dtrace have markers again",
			      "%s in %s is newer than the interpreter layouts flowtrace-bpf knows, "
			      "and it has no usable markers",
			      what, binary);

	/* 3.11-3.13 run Python-to-Python calls inside one eval loop unless
	 * the eval hook routes each through it. The hook is never written
	 * unless asked: CPython still inlines some specialised calls under it
	 * (3.11 subscripts, 3.13 __init__ of a class being called), and 3.12
	 * counts every routed call against its C recursion limit. */
	bool routed = e->minor <= 10 || hook_on;

	if (hook_on && e->minor == 13)
		return refuse(
			out, FT_EXIT_NO_PROBES,
			"drop --eval-hook=on: the default method is exact on 3.13 and only reads",
			"the eval hook is not exact on %s: it still runs the __init__ of a "
			"class being called inline, unseen",
			what);

	if (want_eval && !routed)
		return refuse(out, FT_EXIT_NO_PROBES,
			      hook_off
				      ? "drop --eval-hook=off, or use --method frame (read-only)"
				      : "add --eval-hook=on to allow the write (restored on exit), "
					"or use --method frame, which only reads",
			      "--method eval on %s needs the eval hook, a write into the "
			      "interpreter's PEP 523 slot",
			      what);
	out->hook = routed && e->minor >= 11;
	out->eval_entries = routed;
	/* launch mode sees every frame start: the eval loop's return gives every
	 * exit. Attached, frames already running return through the bytecode
	 * handlers only, so those are probed too (cost: see compatibility.md). */
	if (want_eval || (want_auto && req->launch && routed)) {
		out->method = FT_METHOD_EVAL;
		log_line(out->why, sizeof(out->why),
			 "%s in %s: every Python call enters _PyEval_EvalFrameDefault%s", what,
			 binary,
			 out->hook ? ", routed there by the eval hook (--eval-hook=on)"
				   : ", which is probed read-only");
		return 0;
	}
	out->method = FT_METHOD_FRAME;
	out->usdt_exits = e->has_return && e->minor == 11;
	log_line(out->why, sizeof(out->why), "%s in %s: frames start at %s; they end at %s", what,
		 binary,
		 !routed     ? "the RESUME bytecode handlers (read-only)"
		 : out->hook ? "the eval loop, routed there by the eval hook"
			     : "the eval loop",
		 out->usdt_exits
			 ? "the complete python:function__return marker"
			 : "the return/yield bytecode handlers, so frames running at attach "
			   "are seen leaving");
	return 0;
}
