// SPDX-License-Identifier: MIT
/* flowtrace-bpf: wires the command line, the privilege check and logging to
 * a tracing session. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "app/cli.h"
#include "app/exit.h"
#include "sys/log.h"
#include "app/replay.h"
#include "app/session.h"

static int verbosity;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* our own errors say what failed; libbpf's detail is for -vv and up */
	if (level == LIBBPF_DEBUG ? verbosity < 3 : verbosity < 2)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct config cfg;
	int rc;

	rc = cli_parse(argc, argv, &cfg);
	/* bad options, and (as ever) memory running out while reading them */
	if (rc < 0)
		return FT_EXIT_USAGE;
	if (rc > 0)
		return FT_EXIT_OK; /* --help or --version printed */
	verbosity = cfg.verbose;
	libbpf_set_print(libbpf_log);
	/* a closed output (| head) must not kill the tracer with its probes
	 * in: writes fail with EPIPE instead, which ends the trace through
	 * the normal teardown (session.c) */
	signal(SIGPIPE, SIG_IGN);

	/* trace files need no privileges */
	if (cfg.cmd != FT_CMD_TRACE && cfg.cmd != FT_CMD_RECORD) {
		rc = replay_run(&cfg);
		config_free(&cfg);
		return rc;
	}

	if (geteuid() != 0) {
		log_error("run it with sudo", "must run as root: BPF programs and uprobes need "
					      "CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE");
		config_free(&cfg);
		return FT_EXIT_PRIVILEGE;
	}

	/* SIGINT/SIGTERM/SIGHUP: session.c catches them while it sets up
	 * (each step can be interrupted) and reads them from a signalfd once
	 * the probes are in, so teardown always runs */
	rc = session_run(&cfg);
	config_free(&cfg);
	return rc;
}
