// SPDX-License-Identifier: MIT
/* Opening a target's files: what a hostile target can put at a path it
 * maps (a FIFO, a device, a directory) is refused at once, never waited
 * on; each reader of target files goes through tfile_open. alarm() turns
 * a wait into a failure (the runner reports the SIGALRM). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "test.h"
#include "sys/tfile.h"

/* A FIFO no one writes to, in a fresh directory; open(O_RDONLY) on it
 * waits for a writer for ever. */
static void make_fifo(char *dir, size_t dlen, char *path, size_t plen)
{
	snprintf(dir, dlen, "/tmp/ft-tfile-XXXXXX");
	if (!mkdtemp(dir))
		FT_FAIL("mkdtemp: %s", strerror(errno));
	snprintf(path, plen, "%s/libpython3.12.so.1.0", dir);
	if (mkfifo(path, 0600))
		FT_FAIL("mkfifo: %s", strerror(errno));
}

FT_TEST(tfile_fifo_refused_without_waiting)
{
	char dir[64], path[128];
	struct elf_info info;
	struct elfimage *img;

	make_fifo(dir, sizeof(dir), path, sizeof(path));
	alarm(10);
	FT_EQ_INT(tfile_open(path), -TFILE_NOT_REGULAR);
	FT_EQ_INT(elf_inspect(path, &info), -TFILE_NOT_REGULAR);
	img = elfimage__open(path);
	FT_TRUE(!img);
	FT_EQ_INT(errno, TFILE_NOT_REGULAR);
	alarm(0);
	unlink(path);
	rmdir(dir);
}

FT_TEST(tfile_device_and_directory_refused)
{
	FT_EQ_INT(tfile_open("/dev/null"), -TFILE_NOT_REGULAR);
	FT_EQ_INT(tfile_open("/"), -TFILE_NOT_REGULAR);
	FT_EQ_INT(tfile_open("/nonexistent/flowtrace-bpf"), -ENOENT);
	FT_EQ_STR(tfile_strerror(-TFILE_NOT_REGULAR), "not a regular file");
}

FT_TEST(tfile_regular_file_opened_nonblocking)
{
	int fd = tfile_open("/proc/self/exe"), fl;

	FT_TRUE(fd >= 0);
	fl = fcntl(fd, F_GETFL);
	FT_TRUE(fl >= 0 && (fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_RDONLY);
	FT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}
