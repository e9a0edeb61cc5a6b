// SPDX-License-Identifier: MIT
/* Output sink: buffered stdout, or an atomically replaced file. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

/* 64 KiB: larger buffers measured slower for deep trees (docs/performance.md) */
#define SINK_BUF (64 * 1024)

/* glibc ignores the size when it allocates the buffer itself */
static char stdout_buf[SINK_BUF];

/* without a buffer of its own stdio keeps its default size */
static void set_buffer(struct sink *s)
{
	s->buf = malloc(SINK_BUF);
	if (s->buf)
		setvbuf(s->fp, s->buf, _IOFBF, SINK_BUF);
}

int sink__open(struct sink *s, const char *path)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (!path) {
		s->fp = stdout;
		setvbuf(stdout, stdout_buf, _IOFBF, SINK_BUF);
		return 0;
	}
	/* a device or a pipe (-o /dev/null, -o /dev/stderr) is written in
	 * place: renaming a file over it would replace the device */
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		s->fp = fopen(path, "we");
		if (!s->fp)
			return -errno;
		s->direct = true;
		set_buffer(s);
		return 0;
	}
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	const char *dir = dirname(copy);
	char *base_copy = strdup(path);
	if (!base_copy) {
		free(copy);
		return -ENOMEM;
	}
	if (asprintf(&s->tmp, "%s/.%s.XXXXXX", dir, basename(base_copy)) < 0) {
		s->tmp = NULL;
		free(copy);
		free(base_copy);
		return -ENOMEM;
	}
	free(copy);
	free(base_copy);
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;

	int fd = mkstemp(s->tmp);
	if (fd < 0) {
		int e = errno;
		free(s->tmp);
		free(s->path);
		s->tmp = s->path = NULL;
		return -e;
	}
	/* mkstemp makes 0600; a trace file is an ordinary file */
	mode_t mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	s->fp = fdopen(fd, "w");
	if (!s->fp) {
		int e = errno;
		close(fd);
		unlink(s->tmp);
		return -e;
	}
	set_buffer(s);
	return 0;
}

int sink__commit(struct sink *s)
{
	int err = 0;

	if (!s->fp)
		return 0;
	if (fflush(s->fp) || ferror(s->fp))
		err = errno ? -errno : -EIO;
	if (!s->path && !s->direct) {
		s->fp = NULL;
		return err;
	}
	if (fclose(s->fp) && !err)
		err = -errno;
	s->fp = NULL;
	free(s->buf);
	s->buf = NULL;
	if (s->direct)
		return err;
	if (!err && rename(s->tmp, s->path))
		err = -errno;
	if (err)
		unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
	return err;
}

void sink__abort(struct sink *s)
{
	if (!s->fp)
		return;
	if (!s->path && !s->direct) {
		fflush(s->fp);
		s->fp = NULL;
		return;
	}
	fclose(s->fp);
	s->fp = NULL;
	free(s->buf);
	s->buf = NULL;
	if (s->direct)
		return;
	unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
}
