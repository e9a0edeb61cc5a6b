// SPDX-License-Identifier: MIT
/* The first view of a launched program; see firstview.h.
 *
 * A launched CPython runs Python code before the program: importlib's
 * bootstrap (_install, _install_external_importers), the path
 * configuration (3.11+: <frozen getpath>), the encodings import and the
 * standard streams' codecs, then `import site` (which runs the .pth files),
 * and with -m runpy. Each of these is a root of the main thread, called
 * from C: an import is a _find_and_load root whose first <module> (in call
 * order) is the module imported. The program itself is the first root that
 * is a <module> of a file that is not frozen (a script, or "<string>" for
 * python -c), or runpy's _run_module_as_main, whose _run_code runs the
 * module's <module>. Every root after it is shutdown. Nothing is folded
 * when no program is found: a view never hides what it cannot name. */
#include <string.h>

#include "core/calltree.h"
#include "core/firstview.h"
#include "core/names.h"

static const char *const phase_names[FIRSTVIEW_NPHASES] = {
	[FIRSTVIEW_IMPORTLIB] = "importlib", [FIRSTVIEW_ENCODINGS] = "encodings",
	[FIRSTVIEW_SITE] = "site",	     [FIRSTVIEW_RUNPY] = "runpy",
	[FIRSTVIEW_SHUTDOWN] = "shutdown",
};

const char *firstview_phase_name(enum firstview_phase p)
{
	return (unsigned)p < FIRSTVIEW_NPHASES ? phase_names[p] : "?";
}

bool firstview_applies(const struct ft_thread *t, uint32_t pid, bool launched)
{
	return launched && t->tid == (t->pid ? t->pid : pid);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_frozen(const char *file)
{
	return !strncmp(file, "<frozen ", 8);
}

static bool is_module(const struct ft_name *nm)
{
	return !strcmp(nm->func, "<module>");
}

/* runpy is frozen from 3.11 on */
static bool is_runpy(const char *file)
{
	return !strcmp(base_name(file), "runpy.py") || !strcmp(file, "<frozen runpy>");
}

/* The phase of a root, from the module it imports (its first <module>) or,
 * when it imports none, from its own file. */
static enum firstview_phase phase_of_file(const char *file)
{
	const char *base = base_name(file);

	if (!strcmp(base, "site.py") || !strcmp(file, "<frozen site>"))
		return FIRSTVIEW_SITE;
	/* the codec registry, and the codecs and io objects of the standard
	 * streams, which the interpreter sets up right after it */
	if (strstr(file, "/encodings/") || !strncmp(file, "<frozen encodings", 17) ||
	    !strcmp(base, "codecs.py") || !strcmp(file, "<frozen codecs>") ||
	    !strcmp(base, "io.py") || !strcmp(file, "<frozen io>") ||
	    !strcmp(base, "_bootlocale.py"))
		return FIRSTVIEW_ENCODINGS;
	if (is_runpy(file))
		return FIRSTVIEW_RUNPY;
	return FIRSTVIEW_IMPORTLIB;
}

/* Adds root's subtree, less skip's (NULL: none), to s, in call order
 * without recursion; *module gets the first <module> met (NULL: none). */
static void sum_subtree(const struct names *names, const struct ft_node *root,
			const struct ft_node *skip, struct firstview_sum *s,
			const struct ft_name **module)
{
	const struct ft_node *n = root;

	while (n) {
		if (n != skip) {
			if (n->flags & FT_NODE_LOST) {
				s->lost += n->lost;
			} else {
				const struct ft_name *nm = names__get(names, n->name);

				s->calls++;
				if (module && !*module && is_module(nm))
					*module = nm;
			}
			if (n->first_child) {
				n = n->first_child;
				continue;
			}
		}
		while (n != root && !n->next)
			n = n->parent;
		n = n == root ? NULL : n->next;
	}
}

/* -m: _run_module_as_main calls _run_code, which runs the module's
 * <module>; the last such pair, should there be more than one. */
static const struct ft_node *runpy_module(const struct names *names, const struct ft_node *top)
{
	const struct ft_node *found = NULL;

	for (const struct ft_node *c = top->first_child; c; c = c->next) {
		if (c->flags & FT_NODE_LOST ||
		    strcmp(names__get(names, c->name)->func, "_run_code"))
			continue;
		for (const struct ft_node *m = c->first_child; m; m = m->next)
			if (!(m->flags & FT_NODE_LOST) && is_module(names__get(names, m->name)))
				found = m;
	}
	return found;
}

bool firstview_find(const struct names *names, const struct ft_thread *t, struct firstview *fv)
{
	const struct ft_node *r;

	memset(fv, 0, sizeof(*fv));
	for (r = t->first_root; r; r = r->next) {
		const struct ft_name *nm;

		if (r->flags & FT_NODE_LOST)
			continue;
		nm = names__get(names, r->name);
		if (is_module(nm) && !is_frozen(nm->file) && *nm->file) {
			fv->entry = r;
			break;
		}
		if (!strcmp(nm->func, "_run_module_as_main") && is_runpy(nm->file)) {
			fv->entry = runpy_module(names, r);
			/* runpy failed before the module ran: show it whole */
			if (!fv->entry)
				fv->entry = r;
			break;
		}
	}
	if (!r)
		return false;
	fv->top = r;

	bool seen[FIRSTVIEW_NPHASES] = {false};
	bool after = false; /* past the program's root: shutdown */

	for (const struct ft_node *s = t->first_root; s; s = s->next) {
		const struct ft_node *skip = s == fv->top ? fv->entry : NULL;
		struct firstview_sum part = {0};
		const struct ft_name *module = NULL;
		enum firstview_phase p;

		if (skip == s) { /* the program itself */
			after = true;
			continue;
		}
		sum_subtree(names, s, skip, &part, &module);
		if (after)
			p = FIRSTVIEW_SHUTDOWN;
		else if (s == fv->top)
			p = FIRSTVIEW_RUNPY;
		else
			p = phase_of_file(module ? module->file : names__get(names, s->name)->file);
		if (s == fv->top)
			after = true;
		fv->sum[p].calls += part.calls;
		fv->sum[p].lost += part.lost;
		if (!(s->flags & FT_NODE_LOST)) {
			uint64_t ns = s->dur_ns;

			/* the module's time is the program's, not runpy's */
			if (skip && skip->dur_ns <= ns)
				ns -= skip->dur_ns;
			fv->sum[p].ns += ns;
		}
		if (p != FIRSTVIEW_SHUTDOWN && !seen[p]) {
			seen[p] = true;
			fv->order[fv->norder++] = p;
		}
	}
	return true;
}
