/* SPDX-License-Identifier: MIT */
/* One tracing session, from finding the target to the exit status. */
#ifndef FT_SESSION_H
#define FT_SESSION_H

struct config;

/* Runs the whole trace; returns the process exit status (FT_EXIT_* or, in
 * launch mode, the command's). Reports its own errors on stderr. */
int session_run(const struct config *cfg);

#endif /* FT_SESSION_H */
