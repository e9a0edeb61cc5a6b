// SPDX-License-Identifier: MIT
/* Opening the target's files without blocking or opening anything but a
 * regular file; see tfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/tfile.h"

int tfile_open(const char *path)
{
	char self[64];
	struct stat st;
	int pfd, fd, err;

	/* O_PATH opens no device and waits for no FIFO writer */
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -TFILE_NOT_REGULAR;
		goto out;
	}
	/* the file just checked, not whatever the path names by now */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", pfd);
	fd = open(self, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		err = -TFILE_NOT_REGULAR;
		goto out;
	}
	close(pfd);
	return fd;
out:
	close(pfd);
	return err;
}

const char *tfile_strerror(int err)
{
	if (err == -TFILE_NOT_REGULAR)
		return "not a regular file";
	return strerror(-err);
}
