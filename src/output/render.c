// SPDX-License-Identifier: MIT
/* The renderer table, duration formatting, and the metadata every JSON
 * format carries. */
#include <inttypes.h>
#include <string.h>

#include "core/calltree.h"
#include "output/jsonw.h"
#include "core/names.h"
#include "core/procns.h"
#include "output/render.h"
#include "output/render_priv.h"
#include "sys/utf8.h"

static const struct renderer *const renderers[] = {
	&render_tree,	&render_json,	  &render_jsonl, &render_chrome,
	&render_folded, &render_plantuml, &render_dot,	 &render_html,
};

#define NRENDERERS (sizeof(renderers) / sizeof(renderers[0]))

const struct renderer *renderer_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NRENDERERS; i++)
		if (!strcmp(renderers[i]->name, name))
			return renderers[i];
	return NULL;
}

const char *renderer_names(void)
{
	/* built once from the table, so a new format cannot be left out */
	static char buf[256];

	if (!*buf) {
		size_t len = 0;

		for (size_t i = 0; i < NRENDERERS && len < sizeof(buf); i++)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : "",
					renderers[i]->name);
	}
	return buf;
}

char *fmt_duration(char *buf, uint64_t ns)
{
	/* per unit: its size in ns and the thousandth shown after the point */
	static const struct {
		uint64_t ns;
		const char *name;
	} units[] = {
		{1000ULL, "us"},	{1000000ULL, "ms"},	  {1000000000ULL, " s"},
		{60000000000ULL, " m"}, {3600000000000ULL, " h"},
	};
	size_t i = 0;

	/* the largest unit the value stays under 1000 of; hours are last */
	while (i < 4 && ns >= 1000 * units[i].ns)
		i++;
	/* truncated, not rounded: 999.9996 us must not print as "1000.000 us" */
	uint64_t whole = ns / units[i].ns;
	uint64_t frac = ns % units[i].ns / (units[i].ns / 1000);

	/* 2^64 ns is 5124095 h: seven digits at most, so 16 bytes always do */
	snprintf(buf, 16, "%3u.%03u %s", (unsigned)(whole % 10000000), (unsigned)frac,
		 units[i].name);
	return buf;
}

char *fmt_duration_text(char *buf, uint64_t ns)
{
	char col[16];
	const char *p = fmt_duration(col, ns);
	size_t len = 0;

	while (*p == ' ')
		p++;
	for (; *p && len < 15; p++)
		if (*p != ' ' || p[1] != ' ')
			buf[len++] = *p;
	buf[len] = 0;
	return buf;
}

char *fmt_node_duration(char *buf, const struct ft_node *n)
{
	size_t i = 0;

	if (!(n->flags & FT_NODE_DUR_UNCERTAIN))
		return fmt_duration(buf, n->dur_ns);
	fmt_duration(buf, n->dur_ns + n->err_ns);
	/* into the padding before the first digit; none left (14 characters
	 * at most): one wider */
	while (buf[i + 1] == ' ')
		i++;
	if (buf[i] != ' ') {
		memmove(buf + 1, buf, strlen(buf) + 1);
		i = 0;
	}
	buf[i] = '<';
	return buf;
}

static void key_string_or_null(struct jsonw *w, const char *key, const char *s)
{
	jsonw__key(w, key);
	if (s)
		jsonw__string(w, s);
	else
		jsonw__null(w);
}

void render_thread_ns(struct jsonw *w, const struct ft_thread *t)
{
	if (t->ns_tid && t->ns_tid != t->tid)
		jsonw__key_uint(w, "ns_tid", t->ns_tid);
	if (t->ns_pid && t->pid && t->ns_pid != t->pid)
		jsonw__key_uint(w, "ns_pid", t->ns_pid);
}

/* "ns": the target's PID as its namespace numbers it, the namespaces' inodes
 * (as `ls -l /proc/PID/ns` and lsns(8) show them) and which of them are not
 * the tracer's; "cgroup": its cgroup path */
static void meta_ns(struct jsonw *w, const struct procns *ns)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} kinds[] = {{PROCNS_PID, "pid"}, {PROCNS_MNT, "mnt"}, {PROCNS_USER, "user"}};

	jsonw__key(w, "ns");
	jsonw__begin_object(w);
	if (ns->ns_pid)
		jsonw__key_uint(w, "pid", ns->ns_pid);
	jsonw__key_uint(w, "pid_ns", ns->pid_ns);
	if (ns->mnt_ns)
		jsonw__key_uint(w, "mnt", ns->mnt_ns);
	if (ns->user_ns)
		jsonw__key_uint(w, "user", ns->user_ns);
	jsonw__key(w, "foreign");
	jsonw__begin_array(w);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (ns->foreign & kinds[i].bit)
			jsonw__string(w, kinds[i].name);
	jsonw__end_array(w);
	jsonw__end_object(w);
	if (*ns->cgroup)
		jsonw__key_string(w, "cgroup", ns->cgroup);
}

void render_meta_members(struct jsonw *w, const struct render_meta *m)
{
	static const char *const drop_keys[FT_DROP_MAX] = {
		[FT_DROP_RINGBUF] = "ringbuf",	     [FT_DROP_NAME] = "name",
		[FT_DROP_NO_STORAGE] = "no_storage", [FT_DROP_READ] = "read",
		[FT_DROP_UNPLACED] = "unplaced",
	};
	char wall[64];
	struct tm tm;

	if (!gmtime_r(&m->wall_start.tv_sec, &tm) ||
	    !strftime(wall, sizeof(wall) - 16, "%Y-%m-%dT%H:%M:%S", &tm))
		strcpy(wall, "1970-01-01T00:00:00");
	snprintf(wall + strlen(wall), 16, ".%09ldZ", (long)m->wall_start.tv_nsec);

	jsonw__key_int(w, "pid", m->pid);
	if (m->follow)
		jsonw__key_bool(w, "follow", true);
	key_string_or_null(w, "python", m->python);
	key_string_or_null(w, "probe", m->probe);
	key_string_or_null(w, "binary", m->binary);
	if (m->command)
		jsonw__key_string(w, "command", m->command);
	if (m->ns)
		meta_ns(w, m->ns);
	jsonw__key_string(w, "start_wall", wall);
	jsonw__key_uint(w, "duration_ns", m->duration_ns);
	jsonw__key_uint(w, "events", m->events);
	jsonw__key_uint(w, "lost", m->lost);
	jsonw__key(w, "drops");
	jsonw__begin_object(w);
	for (int i = 0; i < FT_DROP_MAX; i++)
		jsonw__key_uint(w, drop_keys[i], m->drops[i]);
	jsonw__end_object(w);
	jsonw__key_uint(w, "threads", m->threads);
	jsonw__key_uint(w, "calls", m->calls);
	jsonw__key_uint(w, "unfinished", m->unfinished);
	if (m->incomplete) {
		/* present only when the trace is not whole */
		jsonw__key(w, "incomplete");
		jsonw__begin_object(w);
		jsonw__key_string(w, "reason", m->incomplete);
		jsonw__key_uint(w, "records_not_applied", m->unapplied);
		jsonw__end_object(w);
	}
	if (m->window) {
		jsonw__key(w, "window");
		jsonw__begin_object(w);
		jsonw__key_fixed(w, "seconds", m->window->seconds_ns, 9);
		jsonw__key_uint(w, "start_ns", m->window->start_ns);
		jsonw__key_uint(w, "end_ns", m->window->end_ns);
		jsonw__key_bool(w, "shortened", m->window->shortened);
		jsonw__end_object(w);
	}
	if (m->trigger) {
		jsonw__key(w, "trigger");
		jsonw__begin_object(w);
		jsonw__key_uint(w, "kept", m->trigger->kept);
		jsonw__key_uint(w, "dropped", m->trigger->dropped);
		jsonw__end_object(w);
	}
	/* what the durations are: see "Durations corrected for the tracer's
	 * cost" in docs/design.md */
	jsonw__key(w, "timing");
	jsonw__begin_object(w);
	jsonw__key_bool(w, "corrected", m->cal_how && m->cal_hit_ps && !m->raw_times);
	if (m->cal_how) {
		jsonw__key_fixed(w, "hit_ns", m->cal_hit_ps, 3);
		jsonw__key_fixed(w, "hit_err_ns", m->cal_err_ps, 3);
		jsonw__key_string(w, "how", m->cal_how);
	}
	if (m->raw_times)
		jsonw__key_string(w, "off", "--raw-times");
	jsonw__end_object(w);
	jsonw__key_int(w, "abi", m->abi ? m->abi : FT_ABI_VERSION);
	if (m->tool)
		jsonw__key_string(w, "tool", m->tool);
}

void render_json_flags(struct jsonw *w, const struct ft_node *n, const struct ft_name *nm)
{
	static const struct {
		uint32_t flag;
		const char *key;
	} node_keys[] = {
		{FT_NODE_UNFINISHED, "unfinished"},
		{FT_NODE_BEFORE_ATTACH, "entered_before_attach"},
		{FT_NODE_START_LOST, "entry_lost"},
		{FT_NODE_END_LOST, "return_lost"},
		{FT_NODE_EXEC, "ended_by_exec"},
		{FT_NODE_SPANS_LOSS, "spans_loss"},
		{FT_NODE_CONTEXT, "context"},
		{FT_NODE_DUR_UNCERTAIN, "dur_uncertain"},
	};

	for (size_t i = 0; i < sizeof(node_keys) / sizeof(node_keys[0]); i++)
		if (n->flags & node_keys[i].flag)
			jsonw__key_bool(w, node_keys[i].key, true);
	/* within the correction's error: what can be said is a bound */
	if (n->flags & FT_NODE_DUR_UNCERTAIN)
		jsonw__key_uint(w, "dur_max_ns", n->dur_ns + n->err_ns);
	if (nm->flags & FT_NAME_CUT)
		jsonw__key_bool(w, "name_truncated", true);
	if (nm->flags & FT_NAME_UNKNOWN)
		jsonw__key_bool(w, "name_unknown", true);
}

void render_cut_marks(const struct ft_name *nm, bool *func_cut, bool *file_cut)
{
	*func_cut = nm->flags & FT_NAME_FUNC_CUT;
	*file_cut = nm->flags & FT_NAME_FILE_CUT;
}

static void put_hex(FILE *out, const char *prefix, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char buf[2] = {hex[s[i] >> 4], hex[s[i] & 0xf]};

		fputs(prefix, out);
		fwrite(buf, 1, 2, out);
	}
}

void render_put_text(FILE *out, const char *str, size_t len, const char *(*esc)(char c),
		     const char *hex)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0;

	if (!hex)
		hex = "\\x";
	while (i < len) {
		unsigned char c = s[i];
		const char *rep = NULL;
		size_t n, bad;

		if (c >= 0x20 && c < 0x7f && !(esc && (rep = esc((char)c)))) {
			i++;
			continue;
		}
		fwrite(s + start, 1, i - start, out);
		if (rep) {
			fputs(rep, out);
			i++;
		} else if (c < 0x80) {
			put_hex(out, hex, s + i, 1);
			i++;
		} else if ((n = utf8_seq(s + i, len - i, &bad))) {
			/* C1 and bidirectional controls: escaped like C0 ones */
			if (utf8_is_invisible_control(s + i, n))
				put_hex(out, hex, s + i, n);
			else
				fwrite(s + i, 1, n, out);
			i += n;
		} else {
			put_hex(out, hex, s + i, bad);
			i += bad;
		}
		start = i;
	}
	fwrite(s + start, 1, i - start, out);
}

const char *render_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}
