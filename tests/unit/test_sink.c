// SPDX-License-Identifier: MIT
/* Output sink: atomic files, devices written in place, unwritable paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "output/sink.h"
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

FT_TEST(sink_file_is_0600_whatever_the_umask)
{
	char path[64];
	struct sink s;
	struct stat st;
	mode_t old = umask(0);

	snprintf(path, sizeof(path), "/tmp/ft-sink-mode-%d.txt", getpid());
	unlink(path);
	FT_EQ_INT(sink__open(&s, path), 0);
	FT_EQ_INT(sink__commit(&s), 0);
	umask(old);
	FT_EQ_INT(stat(path, &st), 0);
	FT_EQ_INT(st.st_mode & 07777, 0600);
	unlink(path);
}

FT_TEST(sink_never_writes_through_a_link)
{
	char dir[] = "/tmp/ft-sink-XXXXXX", victim[64], link[64], buf[16] = "";
	struct sink s;
	struct stat st;

	FT_TRUE(mkdtemp(dir));
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(link, sizeof(link), "%s/out.json", dir);
	FILE *f = fopen(victim, "w");
	fputs("secret", f);
	fclose(f);
	FT_EQ_INT(symlink("victim", link), 0);
	FT_EQ_INT(sink__open(&s, link), -ELOOP);
	FT_EQ_INT(sink__open_as(&s, link, SINK_RECORDING), -ELOOP);
	/* a dangling link is no better: it would create the file it names */
	FT_EQ_INT(unlink(victim), 0);
	FT_EQ_INT(sink__open(&s, link), -ELOOP);
	FT_TRUE(lstat(victim, &st) < 0);
	FT_EQ_INT(lstat(link, &st), 0);
	FT_TRUE(S_ISLNK(st.st_mode));
	f = fopen(victim, "w");
	fputs("secret", f);
	fclose(f);
	f = fopen(victim, "r");
	FT_TRUE(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	FT_EQ_STR(buf, "secret");
	unlink(link);
	unlink(victim);
	rmdir(dir);
}

FT_TEST(sink_temp_owner_parses_only_our_names)
{
	enum sink_kind k = SINK_OUTPUT;

	FT_EQ_INT(sink_temp_owner(".trace.json.flowtrace-out.4242.aB3xYz", &k), 4242);
	FT_EQ_INT(k, SINK_OUTPUT);
	FT_EQ_INT(sink_temp_owner(".a.flowtrace-rec.7.ZZZZZZ", &k), 7);
	FT_EQ_INT(k, SINK_RECORDING);
	FT_EQ_INT(sink_temp_owner(".trace.json.aB3xYz", &k), 0); /* the old unmarked name */
	FT_EQ_INT(sink_temp_owner("trace.json.flowtrace-out.4242.aB3xYz", &k), 0);
	FT_EQ_INT(sink_temp_owner(".flowtrace-out.4242.aB3xYz", &k), 0); /* no base */
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-out.4242.aB3xY", &k), 0);
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-out.4242.aB3x-z", &k), 0);
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-tmp.4242.aB3xYz", &k), 0);
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-out..aB3xYz", &k), 0);
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-out.0.aB3xYz", &k), 0);
	FT_EQ_INT(sink_temp_owner(".t.flowtrace-out.12345678901.aB3xYz", &k), 0);
}

/* A dead PID: a child that has been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

FT_TEST(sink_stale_temporaries)
{
	char dir[] = "/tmp/ft-sink-XXXXXX", out[64], stale[128], live[128], rec[128], other[128];
	struct sink s;
	struct stat st;
	pid_t dead = dead_pid();

	FT_TRUE(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/t.json", dir);
	snprintf(stale, sizeof(stale), "%s/.t.json.flowtrace-out.%d.abcdef", dir, (int)dead);
	snprintf(live, sizeof(live), "%s/.t.json.flowtrace-out.%d.abcdef", dir, (int)getpid());
	snprintf(rec, sizeof(rec), "%s/.r.ftrace.flowtrace-rec.%d.abcdef", dir, (int)dead);
	snprintf(other, sizeof(other), "%s/.t.json.abcdef", dir);
	const char *const all[] = {stale, live, rec, other};
	for (int i = 0; i < 4; i++)
		fclose(fopen(all[i], "w"));
	/* the stale recording is reported on stderr: kept off the test's output */
	int saved = dup(2), null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	int rc = sink__open(&s, out);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(null);
	FT_EQ_INT(rc, 0);
	/* the temporary it writes names this process and is locked */
	FT_TRUE(strstr(s.tmp, ".t.json.flowtrace-out.") != NULL);
	FT_EQ_INT(sink_temp_owner(strrchr(s.tmp, '/') + 1, NULL), getpid());
	FT_EQ_INT(sink__commit(&s), 0);
	FT_TRUE(lstat(stale, &st) < 0);	 /* a dead writer's output: removed */
	FT_EQ_INT(lstat(live, &st), 0);	 /* a live writer's: kept */
	FT_EQ_INT(lstat(rec, &st), 0);	 /* a recording cut short: kept */
	FT_EQ_INT(lstat(other, &st), 0); /* not provably ours: kept */
	for (int i = 1; i < 4; i++)
		unlink(all[i]);
	unlink(out);
	rmdir(dir);
}

FT_TEST(sink_keep_leaves_the_temporary)
{
	char dir[] = "/tmp/ft-sink-XXXXXX", out[64];
	struct sink s;
	struct stat st;

	FT_TRUE(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/r.ftrace", dir);
	FT_EQ_INT(sink__open_as(&s, out, SINK_RECORDING), 0);
	fputs("partial", s.fp);
	char *kept = sink__keep(&s);
	FT_TRUE(kept != NULL);
	FT_TRUE(strstr(kept, "/.r.ftrace.flowtrace-rec.") != NULL);
	FT_EQ_INT(stat(kept, &st), 0);
	FT_EQ_INT(st.st_size, 7);
	FT_TRUE(stat(out, &st) < 0);
	unlink(kept);
	free(kept);
	rmdir(dir);
}
