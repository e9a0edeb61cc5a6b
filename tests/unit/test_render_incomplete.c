// SPDX-License-Identifier: MIT
/* A trace that is not whole (memory ran out) says so in every format that
 * has room for a note: JSON meta, the tree's first and last lines, the dot
 * graph's label, the plantuml title, the html page's data. */
#include "core/filter.h"
#include "render_run.h"

static const struct render_meta incomplete_meta = {
	.pid = 7,
	.python = "3.11.2",
	.probe = "usdt",
	.binary = "/usr/bin/python3.11",
	.threads = 1,
	.calls = 1,
	.incomplete = "out of memory",
	.unapplied = 42,
};

static char *render_one(const struct renderer *r, const struct render_meta *m)
{
	struct rdrive d;
	struct filter f = {0};
	char *out;

	rdrive_init(&d);
	rd_name(&d, 1, "f", "/tmp/a.py", 3, 0);
	rd_thread(&d, 7, "python3");
	rd_leaf(&d, 7, 100, 50, 1);
	out = rd_render(r, &d, &f, m);
	rdrive_free(&d);
	return out;
}

FT_TEST(render_incomplete_is_said)
{
	static const struct {
		const struct renderer *r;
		const char *want;
	} cases[] = {
		{&render_json,
		 "\"incomplete\":{\"reason\":\"out of memory\",\"records_not_applied\":42}"},
		{&render_html,
		 "\"incomplete\":{\"reason\":\"out of memory\",\"records_not_applied\":42}"},
		{&render_chrome,
		 "\"incomplete\":{\"reason\":\"out of memory\",\"records_not_applied\":42}"},
		{&render_dot, ", INCOMPLETE: out of memory\""},
		{&render_plantuml,
		 "title INCOMPLETE trace: out of memory, 42 records not applied\n"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = render_one(cases[i].r, &incomplete_meta);

		if (!strstr(out, cases[i].want))
			FT_FAIL("-f %s lacks %s", cases[i].r->name, cases[i].want);
		free(out);
	}

	char *tree = render_one(&render_tree, &incomplete_meta);
	const char *mark = "# INCOMPLETE: out of memory, 42 records not applied\n";
	size_t tl = strlen(tree), ml = strlen(mark);
	FT_TRUE(!strncmp(tree, mark, ml));
	FT_TRUE(tl > ml && !strcmp(tree + tl - ml, mark));
	free(tree);
}

FT_TEST(render_whole_trace_has_no_incomplete_mark)
{
	struct render_meta m = incomplete_meta;
	const struct renderer *const rs[] = {&render_json, &render_tree, &render_dot,
					     &render_plantuml, &render_chrome};

	m.incomplete = NULL;
	for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
		char *out = render_one(rs[i], &m);

		if (strstr(out, "ncomplete") || strstr(out, "INCOMPLETE"))
			FT_FAIL("-f %s marks a whole trace incomplete", rs[i]->name);
		free(out);
	}
}
