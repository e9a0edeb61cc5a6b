/* SPDX-License-Identifier: MIT */
/* The subcommands that read trace files: replay, report, diff. */
#ifndef FT_REPLAY_H
#define FT_REPLAY_H

struct config;

/* Runs replay, report or diff per cfg->cmd. Returns the exit status
 * (exit.h) after reporting any error. */
int replay_run(const struct config *cfg);

#endif /* FT_REPLAY_H */
