// SPDX-License-Identifier: MIT
/* --follow: each exec of a followed process, judged once the new program
 * can be inspected (docs/design.md, "Following children", "Other
 * interpreters"). Owns the execs waiting to be judged and which
 * interpreter files have a probe set; the probe sets are the probe
 * source's. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app/cli.h"
#include "app/follow_exec.h"
#include "cpython/target.h"
#include "probe/method.h"
#include "probe/probe.h"
#include "sys/log.h"

/* How long after its exec a process may take to map a CPython (its
 * libpython is mapped by the dynamic loader, after the exec) and to
 * create its interpreter, before it is judged not to be one */
#define GRACE_NS (2000ULL * 1000000ULL)

struct exec_wait {
	uint32_t pid;
	uint64_t ts; /* the exec's, CLOCK_MONOTONIC ns */
	char file[FT_EXEC_FILE_MAX + 1];
};

/* An interpreter file with a probe set joined for it */
struct joined_file {
	dev_t dev;
	ino_t ino;
	struct stat exe; /* the executable of the process it was made for */
	bool have_exe;
	char version[32];
	char method[16];
	uint64_t armed; /* when its probes went in (CLOCK_MONOTONIC ns) */
};

struct follow_execs {
	const struct config *cfg;
	struct probe *probe;
	struct stat exe;    /* the target's executable */
	struct stat interp; /* the file the first probe set is attached to */
	bool have_exe, have_interp;
	struct joined_file files[PROBE_MAX_JOINED];
	size_t nfiles;
	struct exec_wait *w;
	size_t nw, capw;
};

struct follow_execs *follow_execs__new(const struct config *cfg, struct probe *probe,
				       const struct target *first)
{
	struct follow_execs *f = calloc(1, sizeof(*f));
	char path[64];

	if (!f)
		return NULL;
	f->cfg = cfg;
	f->probe = probe;
	snprintf(path, sizeof(path), "/proc/%d/exe", first->pid);
	f->have_exe = !stat(path, &f->exe);
	f->have_interp = first->fd >= 0 && !fstat(first->fd, &f->interp);
	return f;
}

void follow_execs__free(struct follow_execs *f)
{
	if (!f)
		return;
	free(f->w);
	free(f);
}

void follow_execs__add(struct follow_execs *f, const struct ft_rec_exec *x)
{
	struct exec_wait *w = NULL;

	if (!f)
		return;
	/* a process that execs again before it was judged: the last counts */
	for (size_t i = 0; i < f->nw && !w; i++)
		if (f->w[i].pid == x->hdr.tgid)
			w = &f->w[i];
	if (!w) {
		if (f->nw == f->capw) {
			size_t cap = f->capw ? 2 * f->capw : 8;
			struct exec_wait *n = realloc(f->w, cap * sizeof(*n));

			if (!n) {
				log_error(NULL, "warning: out of memory: PID %u's exec not judged",
					  x->hdr.tgid);
				return;
			}
			f->w = n;
			f->capw = cap;
		}
		w = &f->w[f->nw++];
	}
	w->pid = x->hdr.tgid;
	w->ts = x->hdr.ts;
	memcpy(w->file, x->file, sizeof(x->file));
	w->file[sizeof(x->file)] = 0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* A path whose name says CPython, for a process gone before it could be
 * inspected: worth a warning, not only a -v line */
static bool looks_python(const char *file)
{
	const char *base = strrchr(file, '/');

	return !strncmp(base ? base + 1 : file, "python", 6);
}

static void passed_over(const struct follow_execs *f, const char *note)
{
	if (f->cfg->verbose)
		log_error(NULL,
			  "%s: not the traced interpreter, passed over (what it "
			  "starts is followed)",
			  note);
}

static void afresh(const struct follow_execs *f, const char *note)
{
	if (f->cfg->verbose)
		log_error(NULL, "%s, the traced interpreter: traced afresh", note);
}

/* A process exec'd with its interpreter's joined set in: traced whole */
static void joined_afresh(const struct follow_execs *f, const char *note,
			  const struct joined_file *j)
{
	if (f->cfg->verbose)
		log_error(NULL, "%s, CPython %s whose probes are in: traced afresh", note,
			  j->version);
}

/* A process exec'd before its interpreter's joined set went in, gone since */
static void joined_gone(const char *note, const struct joined_file *j)
{
	log_error(NULL,
		  "warning: %s (CPython %s) and exited before its probes were in: "
		  "not traced",
		  note, j->version);
}

/* What could not be seen of a process traced by a set that went in after
 * its exec: one line each */
static void traced_late(const char *note, const struct joined_file *j, const struct exec_wait *w,
			bool made)
{
	double ms = j->armed > w->ts ? (j->armed - w->ts) / 1e6 : 0;

	log_error(NULL,
		  "warning: %s (CPython %s): traced from +%.0f ms after its exec, "
		  "by %s probe set (%s method); frames it was running then are shown as entered "
		  "before attach, its calls before are not seen",
		  note, j->version, ms, made ? "a second" : "its interpreter's", j->method);
}

/* A CPython other than the first set's: a set of its own, or the one
 * already joined for its file. Takes t over. Returns whether it is judged
 * (false: try again at the next drain). */
static bool join(struct follow_execs *f, const struct exec_wait *w, struct target *t,
		 const struct stat *file, const char *note, uint64_t now)
{
	struct method_request req = {
		.method = f->cfg->method,
		.eval_hook = f->cfg->eval_hook,
		.launch = false,
	};
	struct joined_file *j = NULL;
	struct method_choice m;
	struct probe_error pe;
	char exe[64];
	int err;

	for (size_t i = 0; i < f->nfiles && !j; i++)
		if (f->files[i].dev == file->st_dev && f->files[i].ino == file->st_ino)
			j = &f->files[i];
	if (j && w->ts > j->armed) {
		/* exec'd with the set in: traced from its first instruction */
		target_close(t);
		joined_afresh(f, note, j);
		return true;
	}
	if (j) {
		/* exec'd before the set went in: seen from then on */
		target_close(t);
		if (target_gone((int)w->pid)) {
			joined_gone(note, j);
			return true;
		}
		if (probe__adopt(f->probe, (int)w->pid))
			log_error(NULL, "warning: out of memory: PID %u's running frames not shown",
				  w->pid);
		traced_late(note, j, w, false);
		return true;
	}
	if (method_choose(&t->elf, t->binary, &req, &m) || m.method == FT_METHOD_USDT) {
		log_error(NULL, "warning: %s (CPython %s): not traced: %s", note,
			  *t->elf.version ? t->elf.version : "?",
			  m.method == FT_METHOD_USDT ? "only its markers could trace it" : m.why);
		target_close(t);
		return true;
	}
	j = &f->files[f->nfiles];
	memset(j, 0, sizeof(*j));
	j->dev = file->st_dev;
	j->ino = file->st_ino;
	/* a later process of this executable may be gone before it is judged:
	 * its exec'd path then says which set traced it */
	snprintf(exe, sizeof(exe), "/proc/%u/exe", w->pid);
	j->have_exe = !stat(exe, &j->exe);
	snprintf(j->version, sizeof(j->version), "%s", *t->elf.version ? t->elf.version : "?");
	snprintf(j->method, sizeof(j->method), "%s", method_name(&m));
	err = probe__join(f->probe, &m, t, &pe); /* t is the probe's now */
	if (err == -EAGAIN && now - w->ts < GRACE_NS)
		return false; /* its interpreter does not exist yet */
	if (err) {
		log_error(NULL, "warning: %s (CPython %s): not traced: %s", note, j->version,
			  pe.msg);
		return true;
	}
	j->armed = mono_now();
	f->nfiles++;
	if (f->cfg->verbose)
		log_error(NULL, "%s (CPython %s): a probe set of its own, method %s: %s", note,
			  j->version, j->method, m.why);
	/* loading and attaching take a while (the verifier): it may be gone */
	if (target_gone((int)w->pid)) {
		log_error(NULL,
			  "warning: %s (CPython %s) and had exited by the time its "
			  "probes were in (+%.0f ms): not traced",
			  note, j->version, (j->armed - w->ts) / 1e6);
		return true;
	}
	traced_late(note, j, w, true);
	return true;
}

/* Returns whether w is judged (false: try again at the next drain). */
static bool judge(struct follow_execs *f, const struct exec_wait *w, uint64_t now, bool final)
{
	char note[600], path[64];
	struct target t = {.fd = -1};
	struct stat st;
	int rc;

	log_line(note, sizeof(note), "PID %u exec'd %s", w->pid,
		 *w->file ? w->file : "a new program");
	snprintf(path, sizeof(path), "/proc/%u/exe", w->pid);
	if (stat(path, &st)) {
		/* gone: judged by the path it exec'd, when absolute */
		bool found = w->file[0] == '/' && !stat(w->file, &st);
		const struct joined_file *j = NULL;

		for (size_t i = 0; found && i < f->nfiles && !j; i++)
			if (f->files[i].have_exe && same_file(&st, &f->files[i].exe))
				j = &f->files[i];
		if (found && f->have_exe && same_file(&st, &f->exe))
			afresh(f, note);
		else if (j && w->ts > j->armed) {
			/* a joined set's executable, exec'd with its probes in */
			joined_afresh(f, note, j);
		} else if (j)
			joined_gone(note, j);
		else if (looks_python(w->file))
			log_error(NULL,
				  "warning: %s and exited before it could be "
				  "inspected: not traced",
				  note);
		else
			passed_over(f, note);
		return true;
	}
	if (f->have_exe && same_file(&st, &f->exe)) {
		afresh(f, note);
		return true;
	}
	if (final) {
		if (looks_python(w->file))
			log_error(NULL,
				  "warning: %s: the trace ended before it could be "
				  "inspected: not traced",
				  note);
		else
			passed_over(f, note);
		return true;
	}
	rc = target_inspect((int)w->pid, &t);
	if (rc < 0 || (t.verdict != TARGET_OK && t.verdict != TARGET_NO_MARKERS &&
		       t.verdict != TARGET_INCOMPLETE)) {
		bool gone = rc >= 0 && t.verdict == TARGET_NO_PROCESS;

		target_close(&t);
		/* not (yet) a CPython: its loader may not have mapped libpython */
		if (gone || now - w->ts < GRACE_NS)
			return false;
		passed_over(f, note);
		return true;
	}
	if (fstat(t.fd, &st)) {
		target_close(&t);
		return false;
	}
	/* another executable on the same interpreter file (libpython) */
	if (f->have_interp && same_file(&st, &f->interp)) {
		target_close(&t);
		afresh(f, note);
		return true;
	}
	if (f->nfiles == PROBE_MAX_JOINED) {
		log_error(NULL,
			  "warning: %s (CPython %s): not traced: %d other "
			  "interpreters have probes already",
			  note, *t.elf.version ? t.elf.version : "?", PROBE_MAX_JOINED);
		target_close(&t);
		return true;
	}
	return join(f, w, &t, &st, note, now);
}

void follow_execs__judge(struct follow_execs *f, uint64_t now, bool final)
{
	size_t k = 0;

	if (!f)
		return;
	for (size_t i = 0; i < f->nw; i++)
		if (!judge(f, &f->w[i], now, final))
			f->w[k++] = f->w[i];
	f->nw = k;
}
