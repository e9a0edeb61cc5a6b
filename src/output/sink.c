// SPDX-License-Identifier: MIT
/* Output sink: buffered stdout, or an atomically replaced file. See sink.h
 * for the guarantees; docs/formats.md for what a user is told. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"
#include "output/sink.h"

/* 64 KiB: larger buffers measured slower for deep trees (docs/performance.md) */
#define SINK_BUF (64 * 1024)
/* a temporary name is "." + base + ".flowtrace-out." + pid + ".XXXXXX": the
 * base is cut so that the whole stays within NAME_MAX */
#define BASE_MAX 200

/* glibc ignores the size when it allocates the buffer itself */
static char stdout_buf[SINK_BUF];

static const char *const kind_tag[] = {[SINK_OUTPUT] = "out", [SINK_RECORDING] = "rec"};

/* without a buffer of its own stdio keeps its default size */
static void set_buffer(struct sink *s)
{
	s->buf = malloc(SINK_BUF);
	if (s->buf)
		setvbuf(s->fp, s->buf, _IOFBF, SINK_BUF);
}

/* a pipe, FIFO or socket: the only outputs whose reader can go away */
static int poll_fd_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return -1;
	return fd;
}

/* A decimal id from the environment, or -1. */
static long env_id(const char *name)
{
	const char *v = getenv(name);
	char *end;
	long id;

	if (!v || !*v)
		return -1;
	errno = 0;
	id = strtol(v, &end, 10);
	if (errno || *end || id < 0 || id > 0x7fffffffL)
		return -1;
	return id;
}

/* Under sudo a root tracer's output belongs to the user who asked for it,
 * who could not otherwise read a 0600 file; but only in a directory where
 * that user could have made the file (their own, or a sticky shared one
 * such as /tmp): elsewhere (-o /etc/...) handing a file to them would give
 * more than a trace. dir_ok: the directory passed that test. */
static void give_to_invoker(int fd, bool dir_ok)
{
	long uid = env_id("SUDO_UID"), gid = env_id("SUDO_GID");

	if (geteuid() != 0 || uid <= 0 || !dir_ok)
		return;
	/* best effort: a file system without owners (vfat) keeps root's */
	if (fchown(fd, (uid_t)uid, gid < 0 ? (gid_t)-1 : (gid_t)gid))
		return;
}

/* The invoking user could create files in the directory st describes. */
static bool invoker_may_create(const struct stat *st)
{
	long uid = env_id("SUDO_UID");
	mode_t shared = S_ISVTX | S_IWOTH;

	return uid > 0 && (st->st_uid == (uid_t)uid || (st->st_mode & shared) == shared);
}

/* The user a symbolic link may belong to for -o to follow it. */
static bool trusted_owner(uid_t owner)
{
	long sudo_uid = env_id("SUDO_UID");

	return owner == 0 || owner == geteuid() || owner == getuid() ||
	       (sudo_uid >= 0 && owner == (uid_t)sudo_uid);
}

pid_t sink_temp_owner(const char *name, enum sink_kind *kind)
{
	static const char mark[] = ".flowtrace-";
	size_t len = strlen(name);
	const char *p, *tag;

	/* "." base ".flowtrace-" tag "." pid "." XXXXXX, base non-empty */
	if (name[0] != '.' || len < 1 + 1 + sizeof(mark) - 1 + 3 + 1 + 1 + 1 + 6)
		return 0;
	if (name[len - 7] != '.')
		return 0;
	for (p = name + len - 6; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z')))
			return 0;
	/* the pid: digits back from the random part to a '.' */
	p = name + len - 8;
	long pid = 0, scale = 1;
	int digits = 0;
	for (; p > name && *p >= '0' && *p <= '9'; p--, digits++) {
		if (digits >= 9)
			return 0;
		pid += (*p - '0') * scale;
		scale *= 10;
	}
	if (!digits || *p != '.' || pid <= 0)
		return 0;
	tag = p - 3;
	if (tag - (sizeof(mark) - 1) <= name + 1 ||
	    strncmp(tag - (sizeof(mark) - 1), mark, sizeof(mark) - 1))
		return 0;
	for (int k = SINK_OUTPUT; k <= SINK_RECORDING; k++) {
		if (!strncmp(tag, kind_tag[k], 3)) {
			if (kind)
				*kind = k;
			return (pid_t)pid;
		}
	}
	return 0;
}

/* True when the process that made a temporary file of ours is gone: its
 * PID names no process here, and no process anywhere (another PID
 * namespace sharing the directory) holds the file's lock. */
static bool temp_is_stale(int dfd, const char *name, pid_t pid)
{
	struct stat st;
	bool stale = false;

	if (kill(pid, 0) == 0 || errno != ESRCH)
		return false;
	/* only a regular file is opened: a FIFO or device under our name in a
	 * shared directory is none of ours */
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return false;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && !flock(fd, LOCK_EX | LOCK_NB))
		stale = true;
	close(fd);
	return stale;
}

/* Deletes the stale temporary outputs of ours in dir and reports stale
 * recordings, which hold the data of a recording killed mid-way. */
static void clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		enum sink_kind kind;
		pid_t pid = sink_temp_owner(de->d_name, &kind);
		char line[512];

		if (!pid || !temp_is_stale(dirfd(d), de->d_name, pid))
			continue;
		if (kind == SINK_OUTPUT) {
			unlinkat(dirfd(d), de->d_name, 0);
			continue;
		}
		log_line(line, sizeof(line), "%s/%s", dir, de->d_name);
		fprintf(stderr,
			"flowtrace-bpf: '%s' holds a recording that PID %d did not finish "
			"(killed?)\nhint: 'flowtrace-bpf replay' reads it up to where it stops; "
			"delete it when done\n",
			line, (int)pid);
	}
	closedir(d);
}

/* A device, FIFO or socket, written in place (rename would replace it):
 * opened without O_CREAT or O_TRUNC, so nothing is created or cut, and
 * checked after the open, so a file swapped in meanwhile is refused. */
static int open_in_place(struct sink *s, const char *path, bool follow)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) ||
	    !(S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		close(fd);
		return follow ? -ELOOP : -EINVAL;
	}
	s->fp = fdopen(fd, "w");
	if (!s->fp) {
		int e = errno;
		close(fd);
		return -e;
	}
	s->direct = true;
	s->poll_fd = poll_fd_of(fd);
	set_buffer(s);
	return 0;
}

static int open_temp(struct sink *s, const char *path, enum sink_kind kind)
{
	char *copy = strdup(path), *base_copy = strdup(path);
	int fd, e;

	if (!copy || !base_copy) {
		free(copy);
		free(base_copy);
		return -ENOMEM;
	}
	const char *dir = dirname(copy);
	struct stat dst;
	bool dir_ok = !stat(dir, &dst) && invoker_may_create(&dst);

	clean_stale(dir);
	if (asprintf(&s->tmp, "%s/.%.*s.flowtrace-%s.%d.XXXXXX", dir, BASE_MAX, basename(base_copy),
		     kind_tag[kind], (int)getpid()) < 0)
		s->tmp = NULL;
	free(copy);
	free(base_copy);
	s->path = strdup(path);
	if (!s->tmp || !s->path) {
		e = ENOMEM;
		goto fail;
	}
	/* mkstemp creates 0600 with O_EXCL: an output may hold a command line */
	fd = mkostemp(s->tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		goto fail;
	}
	/* held until the process ends, however it ends: a later run sees the
	 * file unlocked only once its writer is gone */
	flock(fd, LOCK_EX | LOCK_NB);
	give_to_invoker(fd, dir_ok);
	s->fp = fdopen(fd, "w");
	if (!s->fp) {
		e = errno;
		close(fd);
		unlink(s->tmp);
		goto fail;
	}
	set_buffer(s);
	return 0;
fail:
	free(s->tmp);
	free(s->path);
	s->tmp = s->path = NULL;
	return -e;
}

int sink__open_as(struct sink *s, const char *path, enum sink_kind kind)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->poll_fd = -1;
	if (!path) {
		s->fp = stdout;
		setvbuf(stdout, stdout_buf, _IOFBF, SINK_BUF);
		s->poll_fd = poll_fd_of(STDOUT_FILENO);
		return 0;
	}
	if (lstat(path, &st)) {
		if (errno != ENOENT)
			return -errno;
		return open_temp(s, path, kind);
	}
	if (S_ISREG(st.st_mode))
		return open_temp(s, path, kind);
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISLNK(st.st_mode)) {
		struct stat target;

		/* a link is followed only to a stream (/dev/stdout, /dev/fd/N)
		 * and only when root or the invoking user made it: another
		 * user's link in a shared directory could point anywhere */
		if (!trusted_owner(st.st_uid) || stat(path, &target) ||
		    !(S_ISCHR(target.st_mode) || S_ISFIFO(target.st_mode) ||
		      S_ISSOCK(target.st_mode)))
			return -ELOOP;
		return open_in_place(s, path, true);
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return open_in_place(s, path, false);
	return -EINVAL; /* a block device */
}

int sink__open(struct sink *s, const char *path)
{
	return sink__open_as(s, path, SINK_OUTPUT);
}

int sink__commit(struct sink *s)
{
	int err = 0;

	if (!s->fp)
		return 0;
	errno = 0;
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
	/* rename replaces a link put at path meanwhile, never its target */
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

char *sink__keep(struct sink *s)
{
	char *tmp;

	if (!s->fp)
		return NULL;
	if (!s->path && !s->direct) {
		fflush(s->fp);
		s->fp = NULL;
		return NULL;
	}
	fclose(s->fp);
	s->fp = NULL;
	free(s->buf);
	s->buf = NULL;
	tmp = s->tmp;
	free(s->path);
	s->tmp = s->path = NULL;
	return tmp;
}
