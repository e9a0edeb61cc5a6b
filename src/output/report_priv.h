/* SPDX-License-Identifier: MIT */
/* What the report and the diff printers share: how a function is named in
 * text and JSON, and how many rows a table shows. Not for other modules. */
#ifndef FT_REPORT_PRIV_H
#define FT_REPORT_PRIV_H

#include <stddef.h>
#include <stdio.h>

#include "core/report.h"
#include "output/jsonw.h"
#include "output/report.h"

size_t report_shown_rows(size_t n, const struct report_opts *opts);
/* "func (file:line)", with "..." after a string BPF cut */
void report_put_function(FILE *out, const struct report_entry *e);
/* "func", "file", "line" members */
void report_json_name(struct jsonw *w, const struct report_entry *e);
/* "name_truncated", "name_unknown" members, when so */
void report_json_name_flags(struct jsonw *w, const struct report_entry *e);

#endif /* FT_REPORT_PRIV_H */
