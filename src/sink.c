// SPDX-License-Identifier: MIT
/* Output sink: buffered stdout, or an atomically replaced file. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

#define SINK_BUF (1 << 20)

int sink__open(struct sink *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	if (!path) {
		s->fp = stdout;
		setvbuf(stdout, NULL, _IOFBF, SINK_BUF);
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
	setvbuf(s->fp, NULL, _IOFBF, SINK_BUF);
	return 0;
}

int sink__commit(struct sink *s)
{
	int err = 0;

	if (!s->fp)
		return 0;
	if (fflush(s->fp) || ferror(s->fp))
		err = errno ? -errno : -EIO;
	if (!s->path) {
		s->fp = NULL;
		return err;
	}
	if (fclose(s->fp) && !err)
		err = -errno;
	s->fp = NULL;
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
	if (!s->path) {
		fflush(s->fp);
		s->fp = NULL;
		return;
	}
	fclose(s->fp);
	s->fp = NULL;
	unlink(s->tmp);
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
}
