/* SPDX-License-Identifier: MIT */
/* Helpers shared by the output formats (render_*.c) and the report (report.c):
 * how names and metadata are written; not for the rest of the tool. */
#ifndef FT_RENDER_PRIV_H
#define FT_RENDER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ft_name;
struct ft_node;
struct ft_thread;
struct jsonw;
struct render_meta;

/* Writes the metadata members (pid, python, ..., tool) into the object
 * being written: json puts them under "meta", jsonl in its last line. */
void render_meta_members(struct jsonw *w, const struct render_meta *m);

/* Writes a thread's ids in its own PID namespace ("ns_tid", "ns_pid") where
 * they differ from the host's (a thread in a container), in json and jsonl. */
void render_thread_ns(struct jsonw *w, const struct ft_thread *t);

/* Writes the call's flags that are true as JSON members (unfinished,
 * entered_before_attach, entry_lost, return_lost, spans_loss, name_truncated,
 * name_unknown): the same keys in json, jsonl and chrome. */
void render_json_flags(struct jsonw *w, const struct ft_node *n, const struct ft_name *nm);

/* Which of the name's strings BPF cut (FT_NAME_FUNC_CUT, FT_NAME_FILE_CUT):
 * text formats show a cut string with "...". */
void render_cut_marks(const struct ft_name *nm, bool *func_cut, bool *file_cut);

/* Writes len bytes of a name from the target's memory to a text format:
 * well-formed UTF-8 as it is, but control characters, C1 controls and
 * ill-formed bytes as hex escapes, hex then two digits (hex NULL: "\x",
 * as in \x1b), so nothing can drive a terminal or break a line. esc, when
 * not NULL, may replace a printable ASCII character with the string it
 * returns (NULL: keep the character). */
void render_put_text(FILE *out, const char *s, size_t len, const char *(*esc)(char c),
		     const char *hex);

/* The file name after the last '/'. */
const char *render_basename(const char *path);

#endif /* FT_RENDER_PRIV_H */
