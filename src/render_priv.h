/* SPDX-License-Identifier: MIT */
/* Helpers shared by the renderers (render_*.c); not for the rest of the
 * tool, which sees only render.h. */
#ifndef FT_RENDER_PRIV_H
#define FT_RENDER_PRIV_H

struct jsonw;
struct render_meta;

/* Writes the metadata members (pid, python, ..., tool) into the object
 * being written: json puts them under "meta", jsonl in its last line. */
void render_meta_members(struct jsonw *w, const struct render_meta *m);

#endif /* FT_RENDER_PRIV_H */
