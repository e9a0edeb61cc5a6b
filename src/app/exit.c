// SPDX-License-Identifier: MIT
/* Module errors to the documented exit statuses; see exit.h. */
#include "app/exit.h"

int exit_for_pipe(enum pipe_err err)
{
	switch (err) {
	case PIPE_OK:
		return FT_EXIT_OK;
	case PIPE_ERR_OUTPUT:
		return FT_EXIT_OUTPUT;
	default:
		return FT_EXIT_FAILURE;
	}
}

int exit_for_launch(enum launch_err err)
{
	switch (err) {
	case LAUNCH_OK:
		return FT_EXIT_OK;
	case LAUNCH_ERR_NOT_FOUND:
		return FT_EXIT_NOT_FOUND;
	case LAUNCH_ERR_CANNOT_RUN:
		return FT_EXIT_CANNOT_RUN;
	case LAUNCH_ERR_NOT_PYTHON:
		return FT_EXIT_NOT_PYTHON;
	default:
		return FT_EXIT_FAILURE;
	}
}

int exit_for_verdict(enum target_verdict v)
{
	switch (v) {
	case TARGET_NO_PROCESS:
		return FT_EXIT_NO_PROCESS;
	case TARGET_NOT_PYTHON:
		return FT_EXIT_NOT_PYTHON;
	case TARGET_NO_MARKERS:
	case TARGET_INCOMPLETE:
		return FT_EXIT_NO_PROBES;
	case TARGET_NO_ACCESS:
		return FT_EXIT_PRIVILEGE;
	default:
		return FT_EXIT_OK;
	}
}
