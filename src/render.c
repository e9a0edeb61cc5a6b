// SPDX-License-Identifier: MIT
/* The renderer table, duration formatting, and the metadata every JSON
 * format carries. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "jsonw.h"
#include "render.h"
#include "render_priv.h"

static const struct renderer *const renderers[] = {
	&render_tree,
	&render_json,
	&render_jsonl,
};

const struct renderer *renderer_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(renderers) / sizeof(renderers[0]); i++)
		if (!strcmp(renderers[i]->name, name))
			return renderers[i];
	return NULL;
}

const char *renderer_names(void)
{
	return "tree, json, jsonl";
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

static void key_string_or_null(struct jsonw *w, const char *key, const char *s)
{
	jsonw__key(w, key);
	if (s)
		jsonw__string(w, s);
	else
		jsonw__null(w);
}

void render_meta_members(struct jsonw *w, const struct render_meta *m)
{
	static const char *const drop_keys[FT_DROP_MAX] = {
		[FT_DROP_RINGBUF] = "ringbuf",
		[FT_DROP_NAME] = "name",
		[FT_DROP_NO_STORAGE] = "no_storage",
		[FT_DROP_READ] = "read",
	};
	char wall[64];
	struct tm tm;

	if (!gmtime_r(&m->wall_start.tv_sec, &tm) ||
	    !strftime(wall, sizeof(wall) - 16, "%Y-%m-%dT%H:%M:%S", &tm))
		strcpy(wall, "1970-01-01T00:00:00");
	snprintf(wall + strlen(wall), 16, ".%09ldZ", (long)m->wall_start.tv_nsec);

	jsonw__key_int(w, "pid", m->pid);
	key_string_or_null(w, "python", m->python);
	key_string_or_null(w, "probe", m->probe);
	key_string_or_null(w, "binary", m->binary);
	if (m->command)
		jsonw__key_string(w, "command", m->command);
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
	jsonw__key_int(w, "abi", FT_ABI_VERSION);
	jsonw__key_string(w, "tool", "flowtrace-bpf " FT_VERSION);
}
