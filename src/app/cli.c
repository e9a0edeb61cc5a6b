// SPDX-License-Identifier: MIT
/* Command-line parsing with argp: grouped help with examples, every number
 * through one checked parser, cross-option rules checked at the end. */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/version.h"
#include "output/render.h"
#include "output/report.h"
#include "probe/method.h"
#include "sys/parse.h"

#define RING_MIN (16 * 1024)
#define RING_MAX (1ULL << 30)

const char *argp_program_version = "flowtrace-bpf " FT_VERSION;
const char *argp_program_bug_address = NULL;

static const char doc[] =
	"Trace the Python function calls of a running process, or of a command, from outside the "
	"process: exact call trees per thread, with timings.\n\n"
	"Subcommands (the first word):\n"
	"  record -o FILE TARGET    write a trace file instead of rendering\n"
	"  replay [-f FORMAT] FILE  render a trace file, with any format and filter\n"
	"  report [--sort KEY] FILE per-function calls, total, self, avg, max time\n"
	"  diff BEFORE AFTER        per-function comparison of two trace files"
	"\v"
	"EXAMPLES:\n"
	"  flowtrace-bpf -p 4242                   trace PID 4242 until Ctrl-C\n"
	"  flowtrace-bpf -p 4242 -d 10 -f json     10 seconds, one JSON document\n"
	"  flowtrace-bpf -c 'python3.9 app.py'     run a command, trace it all\n"
	"  flowtrace-bpf -- ./app.py --port 80     the same, without quoting\n"
	"  sudo flowtrace-bpf --user www -c 'python3 app.py'   run it as user www\n"
	"  flowtrace-bpf -p 4242 -f jsonl -o c.jsonl   stream completed calls\n"
	"  flowtrace-bpf -p 4242 --include '*/myapp/*' --min-duration 1ms\n"
	"  flowtrace-bpf -p 4242 --trigger 'handle_*' --min-duration 100ms\n"
	"  flowtrace-bpf -p 4242 --flight 30 -o t.json   SIGUSR1: the last 30 s\n"
	"  flowtrace-bpf record -o app.ftrace -p 4242  record now, analyse later\n"
	"  flowtrace-bpf replay -f chrome -o t.json app.ftrace   for Perfetto UI\n"
	"  flowtrace-bpf report --sort self app.ftrace   top functions by self time\n"
	"  flowtrace-bpf diff before.ftrace after.ftrace   what got slower\n"
	"\n"
	"EXIT STATUS: 0 success; 1 runtime failure; 2 bad options; 3 not root or no BPF; 4 no such "
	"process; 5 not a Python process; 6 Python without usable markers; 7 output cannot be "
	"written; 8 a trace file cannot be read; 126/127 the command cannot be run / was not "
	"found. With -c or --, the command's own status once tracing worked (128+N if a signal N "
	"ended it).";

static const char args_doc[] = "-p PID | -c CMD | -- CMD [ARG...]";

enum {
	OPT_INCLUDE = 256,
	OPT_EXCLUDE,
	OPT_MAX_DEPTH,
	OPT_MIN_DURATION,
	OPT_RING_SIZE,
	OPT_METHOD,
	OPT_EVAL_HOOK,
	OPT_CALIBRATE,
	OPT_FOLD,
	OPT_SORT,
	OPT_THREADS,
	OPT_USER,
	OPT_INDENT_MAX,
	OPT_TRIGGER,
	OPT_FLIGHT,
	OPT_FLIGHT_SIZE,
	OPT_RAW_TIMES,
	OPT_BY_TASK,
	OPT_STARTUP,
	OPT_NO_STARTUP,
};

static const struct argp_option options[] = {
	{NULL, 0, NULL, 0, "Target:", 1},
	{"pid", 'p', "PID", 0,
	 "Attach to the running Python process PID; PID,PID,...: several processes forked "
	 "from one (a pre-fork server's workers)",
	 1},
	{"command", 'c', "CMD", 0, "Run CMD (through /bin/sh, exec'd in place) and trace it", 1},
	{"duration", 'd', "SECONDS", 0, "Stop tracing after SECONDS (e.g. 10, 0.5, 2m)", 1},
	{"follow", 'F', NULL, 0,
	 "Trace the processes the target forks too, and theirs, and those that exec its "
	 "interpreter again (spawn, forkserver, subprocess); interpreter methods only",
	 1},
	{"user", OPT_USER, "USER", 0,
	 "-c/--: run the command as USER (a name or uid); under sudo the default is the user who "
	 "ran sudo (SUDO_UID); --user root runs it as root",
	 1},

	{NULL, 0, NULL, 0, "Output:", 2},
	{"format", 'f', "FORMAT", 0,
	 "tree (default), json, jsonl, chrome, folded, plantuml, dot or html; report and diff: "
	 "text (default) or json",
	 2},
	{"output", 'o', "FILE", 0,
	 "Write trace data to FILE (atomically) instead of stdout; record: the trace file", 2},
	{"fold", OPT_FOLD, NULL, 0, "tree: fold repeated identical sibling calls into one line", 2},
	{"by-task", OPT_BY_TASK, NULL, 0,
	 "tree, json, chrome: add one timeline per asyncio task, its steps and the time it "
	 "spent suspended between them",
	 2},
	{"startup", OPT_STARTUP, NULL, 0,
	 "tree: show a launched program's interpreter start-up and shutdown calls (by default "
	 "one line per phase, the program from its <module>)",
	 2},
	{"no-startup", OPT_NO_STARTUP, NULL, 0, "tree: fold them (the default)", 2},
	{"raw-times", OPT_RAW_TIMES, NULL, 0,
	 "Show the measured intervals: do not take the tracer's own cost out of durations", 2},
	{"indent-max", OPT_INDENT_MAX, "N", 0,
	 "tree: indent at most N levels (default 64), deeper lines say their depth, and fold "
	 "recursions of N or more nested calls into one line; 0: no limit",
	 2},

	{NULL, 0, NULL, 0, "Filters (on what is shown):", 3},
	{"include", OPT_INCLUDE, "GLOB", 0,
	 "Show only calls whose function name or file path matches GLOB (repeatable); the "
	 "children of hidden calls attach to the nearest shown caller",
	 3},
	{"exclude", OPT_EXCLUDE, "GLOB", 0, "Hide calls matching GLOB (repeatable)", 3},
	{"max-depth", OPT_MAX_DEPTH, "N", 0, "Show at most N levels of calls", 3},
	{"min-duration", OPT_MIN_DURATION, "TIME", 0,
	 "Hide calls shorter than TIME (e.g. 50us, 2ms, 1s; bare numbers are us) and "
	 "everything under them",
	 3},

	{"trigger", OPT_TRIGGER, "GLOB", 0,
	 "Emit only calls made inside a call whose function name or file path matches GLOB "
	 "(repeatable): that call's whole subtree, its callers as context; with "
	 "--min-duration, only trigger calls that long",
	 3},
	{"flight", OPT_FLIGHT, "SECONDS", 0,
	 "Flight recorder: keep only the last SECONDS of calls in bounded memory; SIGUSR1 "
	 "writes them to a file named after -o with the time, and the exit writes the last "
	 "window to -o",
	 3},
	{"flight-size", OPT_FLIGHT_SIZE, "SIZE", 0,
	 "--flight: memory for the window's records (default 64M, 32 bytes a record); a "
	 "window that needs more is shortened, and says so",
	 3},

	{NULL, 0, NULL, 0, "Tuning:", 4},
	{"ring-size", OPT_RING_SIZE, "SIZE", 0,
	 "BPF ring buffer size, a power of two from 16K to 1G (default 8M)", 4},
	{"method", OPT_METHOD, "METHOD", 0,
	 "Probe method: auto (default), usdt (markers), eval (eval-loop uprobes) or frame "
	 "(bytecode-handler uprobes, 3.11+)",
	 4},
	{"eval-hook", OPT_EVAL_HOOK, "WHEN", 0,
	 "3.11+: route calls through the eval loop by writing the interpreter's PEP 523 slot "
	 "(cheaper per call; restored on exit; see docs/compatibility.md for its limits): on, "
	 "or off (default)",
	 4},
	{"calibrate", OPT_CALIBRATE, NULL, OPTION_HIDDEN,
	 "Attach probes that do nothing: measures the cost floor (benchmarks)", 4},

	{NULL, 0, NULL, 0, "report and diff:", 5},
	{"sort", OPT_SORT, "KEY", 0, "Sort by total (default), self, calls, avg, max or name", 5},
	{"threads", OPT_THREADS, NULL, 0, "One table per thread instead of all threads merged", 5},

	{NULL, 0, NULL, 0, "Other:", 6},
	{"verbose", 'v', NULL, 0, "Say more on stderr (repeat for more: -vv, -vvv)", 6},
	{},
};

/* What argp fills: the config, and the option strings that can only be
 * judged once the whole command line is read. */
struct parse_state {
	struct config *cfg;
	const char *format; /* -f as given; NULL: the subcommand's default */
	bool sort_given;
};

/* Prints a bad option's error; returns EINVAL (an argp error_t). */
static error_t usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "flowtrace-bpf: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nhint: see 'flowtrace-bpf --help'\n");
	return EINVAL;
}

struct choice {
	const char *name;
	int value;
};

static const struct choice methods[] = {
	{"auto", METHOD_ASK_AUTO},
	{"usdt", METHOD_ASK_USDT},
	{"eval", METHOD_ASK_EVAL},
	{"frame", METHOD_ASK_FRAME},
};

static const struct choice eval_hooks[] = {
	{"auto", METHOD_HOOK_AUTO},
	{"on", METHOD_HOOK_ON},
	{"off", METHOD_HOOK_OFF},
};

/* The value named s in a table of n choices: 0, or -EINVAL. */
static int choose(const struct choice *t, size_t n, const char *s, int *value)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s, t[i].name)) {
			*value = t[i].value;
			return 0;
		}
	}
	return -EINVAL;
}

static int push_glob(const char ***list, size_t *n, const char *glob)
{
	const char **l = realloc(*list, (*n + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	l[(*n)++] = glob;
	*list = l;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *st = state->input;
	struct config *cfg = st->cfg;
	long v;
	int e;

	switch (key) {
	case 'p':
		if (cfg->pid)
			return usage_error("-p given twice%s", "");
		/* PID or PID,PID,...: the first is the target, the others are
		 * traced beside it (they must be its kin: session.c checks) */
		for (char *s = arg, *comma;; s = comma + 1) {
			char one[16];
			size_t len;

			comma = strchr(s, ',');
			len = comma ? (size_t)(comma - s) : strlen(s);
			if (len >= sizeof(one))
				return usage_error("invalid PID '%s': expected a positive number",
						   arg);
			memcpy(one, s, len);
			one[len] = 0;
			if (parse_int(one, 1, 0x7fffffff, &v))
				return usage_error("invalid PID '%s': expected a positive number "
						   "or a list (12,34)",
						   arg);
			if (!cfg->pid) {
				cfg->pid = v;
			} else {
				if (cfg->npids_more == FT_MORE_PIDS_MAX)
					return usage_error("too many PIDs in '%s'", arg);
				cfg->pids_more[cfg->npids_more++] = v;
			}
			if (!comma)
				break;
		}
		break;
	case 'c':
		if (!*arg)
			return usage_error("empty command%s", "");
		cfg->command = arg;
		break;
	case 'd':
		if (parse_seconds(arg, &cfg->duration_s))
			return usage_error(
				"invalid duration '%s': expected seconds > 0 (e.g. 10, 0.5, 2m)",
				arg);
		break;
	case 'f':
		st->format = arg; /* judged with the subcommand: check_config() */
		break;
	case 'o':
		if (!*arg)
			return usage_error("empty output file name%s", "");
		cfg->output = arg;
		break;
	case OPT_INCLUDE:
	case OPT_EXCLUDE:
		if (!*arg)
			return usage_error("empty glob%s", "");
		if (key == OPT_INCLUDE ? push_glob(&cfg->include, &cfg->ninclude, arg)
				       : push_glob(&cfg->exclude, &cfg->nexclude, arg))
			return ENOMEM;
		break;
	case OPT_TRIGGER:
		if (!*arg)
			return usage_error("empty glob%s", "");
		if (push_glob(&cfg->trigger, &cfg->ntrigger, arg))
			return ENOMEM;
		break;
	case OPT_FLIGHT:
		if (parse_seconds(arg, &cfg->flight_s) || cfg->flight_s <= 0)
			return usage_error(
				"invalid --flight '%s': expected seconds > 0, e.g. 30, 0.5, 2m",
				arg);
		break;
	case OPT_FLIGHT_SIZE:
		if (parse_size(arg, &cfg->flight_size) || cfg->flight_size < (64 << 10) ||
		    cfg->flight_size > (16ULL << 30))
			return usage_error("invalid --flight-size '%s': expected a size from 64K "
					   "to 16G, e.g. 256M",
					   arg);
		break;
	case OPT_MAX_DEPTH:
		if (parse_int(arg, 1, 1000000, &v))
			return usage_error("invalid --max-depth '%s': expected a number >= 1", arg);
		cfg->max_depth = v;
		break;
	case OPT_MIN_DURATION:
		if (parse_duration_ns(arg, &cfg->min_dur_ns))
			return usage_error(
				"invalid --min-duration '%s': expected e.g. 50us, 2ms, 1s", arg);
		break;
	case OPT_RING_SIZE:
		if (parse_size(arg, &cfg->ring_size) || cfg->ring_size < RING_MIN ||
		    cfg->ring_size > RING_MAX || (cfg->ring_size & (cfg->ring_size - 1)))
			return usage_error("invalid --ring-size '%s': expected a power of two from "
					   "16K to 1G",
					   arg);
		break;
	case OPT_METHOD:
		if (choose(methods, sizeof(methods) / sizeof(methods[0]), arg, &e))
			return usage_error(
				"unknown --method '%s': expected auto, usdt, eval or frame", arg);
		cfg->method = e;
		break;
	case OPT_EVAL_HOOK:
		if (choose(eval_hooks, sizeof(eval_hooks) / sizeof(eval_hooks[0]), arg, &e))
			return usage_error("unknown --eval-hook '%s': expected on or off", arg);
		cfg->eval_hook = e;
		break;
	case OPT_USER:
		if (!*arg)
			return usage_error("empty --user%s: expected a user name or uid", "");
		cfg->user = arg;
		break;
	case OPT_CALIBRATE:
		cfg->calibrate = true;
		break;
	case OPT_FOLD:
		cfg->fold = true;
		break;
	case OPT_RAW_TIMES:
		cfg->raw_times = true;
		break;
	case OPT_BY_TASK:
		cfg->by_task = true;
		break;
	case OPT_STARTUP:
	case OPT_NO_STARTUP:
		cfg->startup = key == OPT_STARTUP;
		break;
	case OPT_INDENT_MAX:
		if (parse_int(arg, 0, 1000000, &v))
			return usage_error("invalid --indent-max '%s': expected a number >= 0",
					   arg);
		cfg->indent_max = v ? v : -1;
		break;
	case OPT_SORT:
		if (report_sort_parse(arg, &cfg->sort))
			return usage_error(
				"unknown --sort key '%s': expected total, self, calls, avg, "
				"max or name",
				arg);
		st->sort_given = true;
		break;
	case OPT_THREADS:
		cfg->per_thread = true;
		break;
	case 'v':
		cfg->verbose++;
		break;
	case 'F':
		cfg->follow = true;
		break;
	case ARGP_KEY_ARG:
		if (cfg->cmd >= FT_CMD_REPLAY) {
			if (cfg->ninputs == 2)
				return usage_error("too many files: '%s'", arg);
			cfg->inputs[cfg->ninputs++] = arg;
			break;
		}
		/* the first operand starts the command: the rest belong to it */
		cfg->argv = &state->argv[state->next - 1];
		cfg->argc = state->argc - state->next + 1;
		state->next = state->argc;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {options, parse_opt, args_doc, doc, NULL, NULL, NULL};

static const struct {
	const char *name;
	enum ft_cmd cmd;
} commands[] = {
	{"record", FT_CMD_RECORD},
	{"replay", FT_CMD_REPLAY},
	{"report", FT_CMD_REPORT},
	{"diff", FT_CMD_DIFF},
};

/* Rules that depend on the subcommand, checked once everything is parsed;
 * the output format is parsed here, for the same reason. Returns 0 or an
 * argp error_t after printing the error. */
static error_t check_config(struct parse_state *st)
{
	struct config *cfg = st->cfg;
	int targets = !!cfg->pid + !!cfg->command + !!cfg->argv;
	bool live = cfg->cmd == FT_CMD_TRACE || cfg->cmd == FT_CMD_RECORD;

	if (live) {
		if (targets == 0)
			return usage_error("nothing to trace%s: give -p PID, -c CMD or -- CMD", "");
		if (targets > 1)
			return usage_error("give only one of -p PID, -c CMD and -- CMD%s", "");
		if (cfg->follow && cfg->method == METHOD_ASK_USDT)
			return usage_error("--follow%s works with the interpreter methods, not the "
					   "markers yet: leave --method out, or give eval or frame",
					   "");
		if (cfg->user && cfg->pid)
			return usage_error(
				"--user%s chooses who runs a command (-c, --); -p attaches "
				"to a process as it is",
				"");
	} else {
		int want = cfg->cmd == FT_CMD_DIFF ? 2 : 1;

		if (targets || cfg->duration_s > 0 || cfg->user || cfg->follow)
			return usage_error(
				"%s reads trace files: -p, -c, -d, -F, --user and commands "
				"do not apply",
				commands[cfg->cmd - 1].name);
		if (cfg->ninputs != want)
			return usage_error(want == 2 ? "%s needs two trace files: BEFORE AFTER"
						     : "%s needs one trace file",
					   commands[cfg->cmd - 1].name);
	}
	if (cfg->cmd == FT_CMD_RECORD) {
		if (!cfg->output)
			return usage_error("record needs -o FILE%s", "");
		if (st->format)
			return usage_error(
				"record writes a trace file%s; render it with 'replay -f "
				"FORMAT FILE'",
				"");
	}
	if (cfg->cmd == FT_CMD_REPORT || cfg->cmd == FT_CMD_DIFF) {
		if (st->format && strcmp(st->format, "text") && strcmp(st->format, "json"))
			return usage_error("report and diff print text or json, not '%s'",
					   st->format);
		cfg->report_json = st->format && !strcmp(st->format, "json");
	} else if (cfg->cmd != FT_CMD_RECORD) {
		const char *name = st->format ? st->format : "tree";

		cfg->renderer = renderer_find(name);
		if (!cfg->renderer) {
			fprintf(stderr, "flowtrace-bpf: unknown format '%s'\n", name);
			fprintf(stderr, "hint: formats are %s\n", renderer_names());
			return EINVAL;
		}
	}
	if ((cfg->ntrigger || cfg->flight_s > 0) && cfg->cmd != FT_CMD_TRACE &&
	    cfg->cmd != FT_CMD_REPLAY) {
		fprintf(stderr,
			"flowtrace-bpf: --trigger and --flight choose what is rendered: "
			"%s does not render calls\n",
			commands[cfg->cmd - 1].name);
		fprintf(stderr, "hint: record the whole trace, then 'replay --trigger GLOB' or "
				"'replay --flight SECONDS' it\n");
		return EINVAL;
	}
	if (cfg->by_task) {
		const char *f = cfg->renderer ? cfg->renderer->name : "";

		if (cfg->cmd != FT_CMD_TRACE && cfg->cmd != FT_CMD_REPLAY)
			return usage_error("--by-task%s goes with tracing and replay", "");
		if (strcmp(f, "tree") && strcmp(f, "json") && strcmp(f, "chrome"))
			return usage_error(
				"--by-task shows tasks in tree, json and chrome, not '%s'", f);
		/* the view points into the whole trace's trees */
		if (cfg->ntrigger || cfg->flight_s > 0)
			return usage_error(
				"--by-task%s does not combine with --trigger or --flight", "");
	}
	if (cfg->flight_size && !(cfg->flight_s > 0))
		return usage_error("--flight-size%s goes with --flight SECONDS", "");
	if (!cfg->flight_size)
		cfg->flight_size = 64 << 20;
	if ((st->sort_given || cfg->per_thread) && cfg->cmd != FT_CMD_REPORT &&
	    cfg->cmd != FT_CMD_DIFF)
		return usage_error("--sort and --threads%s go with report and diff", "");
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg)
{
	struct parse_state st = {.cfg = cfg};
	error_t err;

	memset(cfg, 0, sizeof(*cfg));
	cfg->method = METHOD_ASK_AUTO;
	cfg->eval_hook = METHOD_HOOK_AUTO;
	cfg->sort = REPORT_SORT_TOTAL;
	cfg->ring_size = 8 << 20;

	if (argc > 1) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
			if (strcmp(argv[1], commands[i].name))
				continue;
			cfg->cmd = commands[i].cmd;
			argv[1] = argv[0];
			argv++;
			argc--;
			break;
		}
	}
	/* messages name the tool, not the path it was started by */
	argv[0] = "flowtrace-bpf";
	/* argp prints its own messages; ARGP_NO_EXIT keeps teardown ours. Options
	 * stop at the first operand so the command's own options are left alone. */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_IN_ORDER, NULL, &st);
	if (err) {
		if (err == ENOMEM)
			fprintf(stderr, "flowtrace-bpf: out of memory\n");
		return err == ENOMEM ? -ENOMEM : -EINVAL;
	}
	/* --help, --usage and --version print and set nothing else */
	for (int i = 1; i < argc && &argv[i] != cfg->argv && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-?") ||
		    !strcmp(argv[i], "--usage") || !strcmp(argv[i], "--version") ||
		    !strcmp(argv[i], "-V"))
			return 1;
	return check_config(&st) ? -EINVAL : 0;
}

void config_free(struct config *cfg)
{
	free(cfg->include);
	free(cfg->exclude);
	free(cfg->trigger);
	cfg->include = cfg->exclude = NULL;
	cfg->trigger = NULL;
}
