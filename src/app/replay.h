/* SPDX-License-Identifier: MIT */
/* The subcommands that read trace files: replay, report, diff. */
#ifndef FT_REPLAY_H
#define FT_REPLAY_H

struct config;
struct pipeline;

/* Runs replay, report or diff per cfg->cmd. Returns the exit status. */
int replay_run(const struct config *cfg);

/* Feeds a trace file through an opened pipeline (pipeline__open done) and
 * finishes it. A file cut short is replayed up to the damage with a
 * warning. Returns 0 or an FT_EXIT_* code after reporting. */
int replay_file(struct pipeline *p, const char *path);

#endif /* FT_REPLAY_H */
