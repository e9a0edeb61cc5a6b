/* SPDX-License-Identifier: MIT */
/* Opening the target's files (its executable and libpython through
 * /proc/PID/root or /proc/PID/map_files, /proc/PID/exe): a target in its
 * own user and mount namespace decides what sits at those paths, so a
 * FIFO, a device or a directory may be there instead of the file it
 * mapped. Nothing here blocks on one or opens one. */
#ifndef FT_TFILE_H
#define FT_TFILE_H

#include <errno.h>

/* What tfile_open returns (negated) for anything but a regular file. */
#define TFILE_NOT_REGULAR EMEDIUMTYPE

/* Opens path for reading: O_PATH first, so nothing but a regular file is
 * ever really opened (opening a device can have effects, a FIFO blocks),
 * then that same file again O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC.
 * Returns the fd, or -errno (-TFILE_NOT_REGULAR: not a regular file). */
int tfile_open(const char *path);

/* strerror(-err), with -TFILE_NOT_REGULAR said in words. */
const char *tfile_strerror(int err);

#endif /* FT_TFILE_H */
