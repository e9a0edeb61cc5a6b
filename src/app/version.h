/* SPDX-License-Identifier: MIT */
/* The tool's version: --version prints it and the application hands it to
 * the outputs (render_meta.tool), which never include this header. */
#ifndef FT_VERSION_H
#define FT_VERSION_H

#define FT_VERSION "0.1.0"
/* who wrote an output: the "tool" of every JSON format's metadata */
#define FT_TOOL "flowtrace-bpf " FT_VERSION

#endif /* FT_VERSION_H */
