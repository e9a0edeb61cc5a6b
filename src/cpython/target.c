// SPDX-License-Identifier: MIT
/* Target discovery: reads /proc/PID/exe and /proc/PID/maps, inspects the
 * executable and every mapped libpython, picks the ELF to attach to and
 * judges whether its markers give complete trees. Files are opened through
 * /proc/PID/root (the target's mount namespace) or, once deleted, through
 * /proc/PID/map_files. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/log.h"
#include "cpython/target.h"
#include "sys/procfs.h"
#include "sys/tfile.h"

/* The executable plus every distinct libpython mapped; more than a few
 * libpythons in one process would be odd, the rest are ignored. */
#define MAX_CANDIDATES 8

struct candidate {
	char path[PATH_MAX]; /* as in maps, " (deleted)" stripped */
	bool deleted;
	bool is_exe;
	bool have_range, range_exec;
	unsigned long start, end; /* a mapping of it, for map_files */
	struct elf_info elf;
	int err;	      /* of opening it or of reading it as ELF */
	struct elfimage *img; /* open while inspected (NULL: not open) */
	char open_path[PATH_MAX];
};

bool path_is_libpython(const char *path)
{
	const char *base;

	if (!path)
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, "libpython", 9) && isdigit((unsigned char)base[9]) &&
	       strstr(base, ".so");
}

/* Formats a message that stays one line even for file names holding
 * control characters; an overlong path is cut, not an error. */
enum target_verdict target_judge(const struct elf_info *e, const char *binary, char *why,
				 size_t whylen, char *hint, size_t hintlen)
{
	const char *in = binary && *binary ? " in " : "";
	char what[64];

	if (e->version[0])
		snprintf(what, sizeof(what), "CPython %s", e->version);
	else
		snprintf(what, sizeof(what), "CPython");

	if (!e->has_entry || !e->has_return) {
		const char *missing = !e->has_entry && !e->has_return
					      ? "python:function__entry/function__return markers"
				      : !e->has_entry ? "python:function__entry marker"
						      : "python:function__return marker";

		log_line(why, whylen, "%s%s%s has no %s", what, in, *in ? binary : "", missing);
		log_line(hint, hintlen,
			 "the markers exist only in builds configured --with-dtrace "
			 "(CPython 3.6–3.11, 3.15+); --method auto needs none");
		return TARGET_NO_MARKERS;
	} else if (e->major == 3 && e->minor == 11) {
		/* 3.11's eval loop runs Python-to-Python calls inline, without
		 * a new C frame, and does not fire the entry marker on every
		 * path: trees would silently miss frames. */
		log_line(why, whylen, "%s%s%s fires python:function__entry for only some calls",
			 what, in, *in ? binary : "");
		log_line(hint, hintlen,
			 "--method auto traces it with uprobes in the interpreter instead");
		return TARGET_INCOMPLETE;
	}
	log_line(why, whylen, "%s", "");
	log_line(hint, hintlen, "%s", "");
	return TARGET_OK;
}

static void strip_deleted(char *path, bool *deleted)
{
	size_t n = strlen(path), k = sizeof(PROCFS_DELETED_SUFFIX) - 1;

	*deleted = n > k && !strcmp(path + n - k, PROCFS_DELETED_SUFFIX);
	if (*deleted)
		path[n - k] = '\0';
}

static struct candidate *find_or_add(struct candidate *c, size_t *n, const char *path, bool deleted)
{
	for (size_t i = 0; i < *n; i++) {
		if (c[i].deleted == deleted && !strcmp(c[i].path, path))
			return &c[i];
	}
	if (*n == MAX_CANDIDATES)
		return NULL;
	c = &c[(*n)++];
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->deleted = deleted;
	return c;
}

struct scan {
	struct candidate *c;
	size_t *n;
};

/* One line of /proc/PID/maps: records a mapping of the executable and
 * adds each libpython. */
static int scan_one(void *ctx, struct procfs_map *m)
{
	struct scan *sc = ctx;
	struct candidate *c = sc->c, *cand;
	bool deleted;

	if (!m->path)
		return 0;
	strip_deleted(m->path, &deleted);
	if (c[0].is_exe && c[0].deleted == deleted && !strcmp(c[0].path, m->path))
		cand = &c[0];
	else if (path_is_libpython(m->path))
		cand = find_or_add(c, sc->n, m->path, deleted);
	else
		return 0;
	if (!cand || (cand->have_range && (cand->range_exec || !m->exec)))
		return 0;
	cand->have_range = true;
	cand->range_exec = m->exec;
	cand->start = m->start;
	cand->end = m->end;
	return 0;
}

/* Reads /proc/PID/maps into the candidates. Returns 0 or -errno of the read. */
static int scan_maps(int pid, struct candidate *c, size_t *n)
{
	struct scan sc = {c, n};

	return procfs_maps(pid, scan_one, &sc);
}

/* Whether paths a and b name one file (both stat). */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void candidate_open_path(int pid, struct candidate *c)
{
	char mapped[64];

	if (c->deleted && c->have_range)
		snprintf(c->open_path, sizeof(c->open_path), "/proc/%d/map_files/%lx-%lx", pid,
			 c->start, c->end);
	else if (c->deleted && c->is_exe)
		snprintf(c->open_path, sizeof(c->open_path), "/proc/%d/exe", pid);
	else
		snprintf(c->open_path, sizeof(c->open_path), "/proc/%d/root%s", pid, c->path);
	if (c->deleted)
		return;
	/* The kernel writes a maps path (and the exe link) as seen from the
	 * reader's root when the file is reachable from it: a target chrooted
	 * below ours (a container's root that is a directory here) shows
	 * /srv/root/usr/bin/python3, which its /proc/PID/root does not hold.
	 * Only a file in a mount the tracer cannot reach is shown from the
	 * target's root. The mapped file decides which reading is right. */
	if (c->have_range)
		snprintf(mapped, sizeof(mapped), "/proc/%d/map_files/%lx-%lx", pid, c->start,
			 c->end);
	else if (c->is_exe)
		snprintf(mapped, sizeof(mapped), "/proc/%d/exe", pid);
	else
		return;
	/* what the target put at its own path that is not a file (a FIFO
	 * bound over it) stays the answer: tfile refuses it with its reason */
	struct stat st;

	if (!stat(c->open_path, &st) && !S_ISREG(st.st_mode))
		return;
	if (!same_file(c->open_path, mapped) && same_file(c->path, mapped))
		snprintf(c->open_path, sizeof(c->open_path), "%s", c->path);
}

static struct candidate *choose(struct candidate *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!c[i].err && c[i].elf.has_entry && c[i].elf.has_return)
			return &c[i];
	}
	/* the executable comes first, so a static interpreter wins over a
	 * libpython it happens to map */
	for (size_t i = 0; i < n; i++) {
		if (!c[i].err && c[i].elf.is_cpython)
			return &c[i];
	}
	return NULL;
}

static bool is_access_error(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* Whether this process has CAP_SYS_PTRACE (bit 19 of CapEff), which a
 * target that made itself non-dumpable requires even of root. */
static bool has_sys_ptrace(void)
{
	char buf[4096];
	ssize_t n = procfs_read_status(0, 0, buf, sizeof(buf));
	uint64_t eff;

	if (n < 0 || procfs_status_hex(buf, (size_t)n, "CapEff", &eff))
		return true;
	return eff >> 19 & 1;
}

static void set_no_access(struct target *t, const char *what, int err)
{
	t->verdict = TARGET_NO_ACCESS;
	log_line(t->why, sizeof(t->why), "cannot read %s: %s", what, strerror(-err));
	if (geteuid())
		log_line(t->hint, sizeof(t->hint), "run flowtrace-bpf as root");
	else if (!has_sys_ptrace())
		log_line(t->hint, sizeof(t->hint),
			 "flowtrace-bpf runs without CAP_SYS_PTRACE, which a target that is not "
			 "dumpable (prctl PR_SET_DUMPABLE) requires: run it with full root "
			 "capabilities");
	else
		log_line(
			t->hint, sizeof(t->hint),
			"root cannot read it either: it may belong to another user namespace or be "
			"protected by a security module");
}

static void set_not_regular(struct target *t, const struct candidate *c)
{
	t->verdict = TARGET_NO_ACCESS;
	log_line(t->why, sizeof(t->why),
		 "PID %d maps %s, but that path is not a regular file as the process sees it",
		 t->pid, c->path);
	log_line(t->hint, sizeof(t->hint),
		 "a process in a mount namespace of its own can put a FIFO or a device there; "
		 "flowtrace-bpf reads only regular files of a target");
}

static void set_no_process(struct target *t)
{
	t->verdict = TARGET_NO_PROCESS;
	log_line(t->why, sizeof(t->why), "no process with PID %d", t->pid);
	log_line(t->hint, sizeof(t->hint), "check the PID, e.g. with pgrep -a python");
}

int target_inspect(int pid, struct target *t)
{
	return target_inspect_with(pid, t, NULL);
}

int target_inspect_with(int pid, struct target *t, struct elfimage *exe)
{
	char proc[64];
	struct candidate *c, *best;
	size_t n = 0;
	struct stat st;
	ssize_t len;
	int err, exe_err = 0;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->pid = pid;
	snprintf(proc, sizeof(proc), "/proc/%d", pid);
	if (pid <= 0 || (stat(proc, &st) && (errno == ENOENT || errno == ESRCH))) {
		elfimage__free(exe);
		set_no_process(t);
		return 0;
	}
	c = calloc(MAX_CANDIDATES, sizeof(*c));
	if (!c) {
		elfimage__free(exe);
		return -ENOMEM;
	}

	/* kernel threads and zombies have no exe; unreadable exe shows up again
	 * on maps, which says why */
	snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
	len = readlink(proc, t->exe, sizeof(t->exe) - 1);
	if (len > 0) {
		t->exe[len] = '\0';
		c[0].is_exe = true;
		snprintf(c[0].path, sizeof(c[0].path), "%s", t->exe);
		strip_deleted(c[0].path, &c[0].deleted);
		n = 1;
	} else {
		t->exe[0] = '\0';
		exe_err = -errno;
	}

	err = scan_maps(pid, c, &n);
	if (is_access_error(err)) {
		snprintf(proc, sizeof(proc), "/proc/%d/maps", pid);
		set_no_access(t, proc, err);
		goto out;
	} else if (err == -ENOENT || err == -ESRCH) {
		set_no_process(t);
		goto out;
	} else if (err) {
		elfimage__free(exe);
		free(c);
		return err;
	}

	for (size_t i = 0; i < n; i++) {
		candidate_open_path(pid, &c[i]);
		if (c[i].is_exe && exe) {
			c[i].img = exe;
			exe = NULL;
			c[i].err = elf_inspect_image(c[i].img, c[i].open_path, &c[i].elf);
			continue;
		}
		int fd = tfile_open(c[i].open_path);

		if (fd < 0) {
			c[i].err = fd;
			continue;
		}
		/* the image owns fd from here, also when it fails */
		c[i].img = elfimage__open_fd(fd);
		if (!c[i].img)
			c[i].err = -errno;
		else
			c[i].err = elf_inspect_image(c[i].img, c[i].open_path, &c[i].elf);
	}
	best = choose(c, n);
	if (!best) {
		for (size_t i = 0; i < n; i++) {
			if (c[i].err == -TFILE_NOT_REGULAR) {
				set_not_regular(t, &c[i]);
				goto out;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (is_access_error(c[i].err)) {
				set_no_access(t, c[i].path, c[i].err);
				goto out;
			}
		}
		/* a non-dumpable process hides its exe from a tracer without
		 * CAP_SYS_PTRACE: that is no verdict on what it runs */
		if (is_access_error(exe_err)) {
			snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
			set_no_access(t, proc, exe_err);
			goto out;
		}
		t->verdict = TARGET_NOT_PYTHON;
		if (t->exe[0])
			log_line(t->why, sizeof(t->why), "PID %d (%s) is not a Python process", pid,
				 t->exe);
		else
			log_line(t->why, sizeof(t->why), "PID %d is not a Python process", pid);
		log_line(t->hint, sizeof(t->hint), "give the PID of a CPython interpreter");
		goto out;
	}
	snprintf(t->binary, sizeof(t->binary), "%s", best->path);
	snprintf(t->open_path, sizeof(t->open_path), "%s", best->open_path);
	/* the file inspected stays open: the probes go into it, not into
	 * whatever the target puts at its path by then */
	t->img = best->img;
	best->img = NULL;
	t->fd = elfimage__fd(t->img);
	snprintf(t->attach_path, sizeof(t->attach_path), "/proc/self/fd/%d", t->fd);
	t->in_library = !best->is_exe;
	t->elf = best->elf;
	t->verdict =
		target_judge(&t->elf, t->binary, t->why, sizeof(t->why), t->hint, sizeof(t->hint));
out:
	for (size_t i = 0; i < MAX_CANDIDATES; i++)
		elfimage__free(c[i].img);
	elfimage__free(exe);
	free(c);
	return 0;
}

void target_close(struct target *t)
{
	elfimage__free(t->img);
	t->img = NULL;
	t->fd = -1;
}

bool target_gone(int pid)
{
	return procfs_exited(pid);
}
