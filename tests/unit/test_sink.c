// SPDX-License-Identifier: MIT
/* Output sink: atomic files, devices written in place, unwritable paths. */
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sink.h"
#include "test.h"

FT_TEST(sink_file_appears_only_when_committed)
{
	char path[64];
	struct sink s;
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/ft-sink-%d.txt", getpid());
	unlink(path);
	FT_EQ_INT(sink__open(&s, path), 0);
	fputs("hello\n", s.fp);
	FT_TRUE(stat(path, &st) < 0); /* not there before the commit */
	FT_EQ_INT(sink__commit(&s), 0);
	FT_EQ_INT(stat(path, &st), 0);
	FT_EQ_INT(st.st_size, 6);

	/* an aborted rewrite leaves the old file alone */
	FT_EQ_INT(sink__open(&s, path), 0);
	fputs("partial", s.fp);
	sink__abort(&s);
	FT_EQ_INT(stat(path, &st), 0);
	FT_EQ_INT(st.st_size, 6);
	unlink(path);
}

FT_TEST(sink_device_is_written_in_place)
{
	char dir[] = "/tmp/ft-sink-XXXXXX", fifo[64];
	struct sink s;
	struct stat st;

	/* a FIFO stands for any non-regular file such as /dev/null */
	FT_TRUE(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/out", dir);
	FT_EQ_INT(mkfifo(fifo, 0600), 0);
	pid_t pid = fork();
	if (pid == 0) {
		FILE *r = fopen(fifo, "r");
		char buf[64] = "";
		size_t n = fread(buf, 1, sizeof(buf) - 1, r);
		_exit(n == 5 && !strcmp(buf, "trace") ? 0 : 1);
	}
	FT_EQ_INT(sink__open(&s, fifo), 0);
	fputs("trace", s.fp);
	FT_EQ_INT(sink__commit(&s), 0);
	int status;
	waitpid(pid, &status, 0);
	FT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	FT_EQ_INT(stat(fifo, &st), 0);
	FT_TRUE(S_ISFIFO(st.st_mode)); /* still a FIFO, not replaced by a file */
	unlink(fifo);
	rmdir(dir);

	FT_EQ_INT(sink__open(&s, "/dev/null"), 0);
	fputs("x", s.fp);
	FT_EQ_INT(sink__commit(&s), 0);
	FT_EQ_INT(stat("/dev/null", &st), 0);
	FT_TRUE(S_ISCHR(st.st_mode));
}

FT_TEST(sink_unwritable_path)
{
	struct sink s;

	FT_EQ_INT(sink__open(&s, "/nonexistent-dir/out.json"), -ENOENT);
}
