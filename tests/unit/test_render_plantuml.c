// SPDX-License-Identifier: MIT
/* The plantuml format: the exact diagram for the sample forest, escaping
 * for creole, the depth and call limits and the gap that reports them. */
#include "core/filter.h"
#include "render_run.h"

#define P_WEIRD "a;b&#34;c\\\\d\\\\x0a&#95;&#95;x&#95;&#95;&#60;b&#62;"

#define PARTICIPANTS                                            \
	"@startuml\n"                                           \
	"participant \"&#60;module&#62;\\n(app.py:1)\" as p1\n" \
	"participant \"main\\n(app.py:10)\" as p2\n"            \
	"participant \"fib\\n(app.py:3)\" as p3\n"              \
	"participant \"helper\\n(app.py:20)\" as p4\n"          \
	"participant \"" P_WEIRD "\\n(w;x.py:2)\" as p5\n"

#define THREAD_77                    \
	"== thread 77 (worker) ==\n" \
	"[-> p4 ++ : helper()\n"     \
	"[<-- p4 -- : 0.100 us\n"    \
	"[-> p3 ++ : fib()\n"        \
	"[<-- p3 -- : 0.060 us\n"

FT_TEST(render_plantuml_sample)
{
	struct rdrive d;
	char *out;

	rd_sample(&d);
	out = rd_render(&render_plantuml, &d, NULL, NULL);
	FT_EQ_STR(out, PARTICIPANTS "== thread 4242 (python3) ==\n"
				    "[-> p1 ++ : &#60;module&#62;() [entered before attach]\n"
				    "p1 -> p2 ++ : main()\n"
				    "p2 -> p3 ++ : fib()\n"
				    "p3 -> p3 ++ : fib()\n"
				    "p3 -> p3 ++ : fib()\n"
				    "p3 --> p3 -- : 0.100 us\n"
				    "p3 --> p3 -- : 0.300 us\n"
				    "p3 --> p2 -- : 0.500 us\n"
				    "p2 -> p4 ++ : helper()\n"
				    "p4 --> p2 -- : 0.100 us\n"
				    "p2 -> p4 ++ : helper()\n"
				    "p4 --> p2 -- : 0.150 us\n"
				    "p2 -> p4 ++ : helper()\n"
				    "p4 --> p2 -- : 0.200 us\n"
				    "p2 --> p1 -- : 1.900 us\n"
				    "...LOST 5 records...\n"
				    "p1 -> p5 ++ : " P_WEIRD "()\n"
				    "p5 --> p1 -- : 0.500 us\n"
				    "[<-- p1 -- : 10.000 us [unfinished] [spans loss]\n" THREAD_77
				    "@enduml\n");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_plantuml_depth_limits)
{
	struct filter f = {.max_depth = 2};
	struct rdrive d;
	char *out;

	rd_sample(&d);
	/* a smaller --max-depth wins over the format's own limit, and calls
	 * the user hid on purpose are not reported missing */
	out = rd_render(&render_plantuml, &d, &f, NULL);
	FT_EQ_STR(out, "@startuml\n"
		       "participant \"&#60;module&#62;\\n(app.py:1)\" as p1\n"
		       "participant \"main\\n(app.py:10)\" as p2\n"
		       "participant \"" P_WEIRD "\\n(w;x.py:2)\" as p3\n"
		       "participant \"helper\\n(app.py:20)\" as p4\n"
		       "participant \"fib\\n(app.py:3)\" as p5\n"
		       "== thread 4242 (python3) ==\n"
		       "[-> p1 ++ : &#60;module&#62;() [entered before attach]\n"
		       "p1 -> p2 ++ : main()\n"
		       "p2 --> p1 -- : 1.900 us\n"
		       "...LOST 5 records...\n"
		       "p1 -> p3 ++ : " P_WEIRD "()\n"
		       "p3 --> p1 -- : 0.500 us\n"
		       "[<-- p1 -- : 10.000 us [unfinished] [spans loss]\n"
		       "== thread 77 (worker) ==\n"
		       "[-> p4 ++ : helper()\n"
		       "[<-- p4 -- : 0.100 us\n"
		       "[-> p5 ++ : fib()\n"
		       "[<-- p5 -- : 0.060 us\n"
		       "@enduml\n");
	free(out);

	/* the format's own limit: 8 levels, the rest counted */
	rdrive_free(&d);
	rdrive_init(&d);
	rd_name(&d, 1, "r", "/r.py", 1, 0);
	for (int i = 0; i < 10; i++)
		rd_enter(&d, 9, i, 1);
	for (int i = 0; i < 10; i++)
		rd_leave(&d, 9, 20 + i);
	out = rd_render(&render_plantuml, &d, NULL, NULL);
	FT_EQ_STR(out, "@startuml\n"
		       "participant \"r\\n(r.py:1)\" as p1\n"
		       "== thread 9 ==\n"
		       "[-> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 -> p1 ++ : r()\n"
		       "p1 --> p1 -- : 0.015 us\n"
		       "p1 --> p1 -- : 0.017 us\n"
		       "p1 --> p1 -- : 0.019 us\n"
		       "p1 --> p1 -- : 0.021 us\n"
		       "p1 --> p1 -- : 0.023 us\n"
		       "p1 --> p1 -- : 0.025 us\n"
		       "p1 --> p1 -- : 0.027 us\n"
		       "[<-- p1 -- : 0.029 us\n"
		       "...2 more calls not shown (at most 500 calls, 8 levels)...\n"
		       "@enduml\n");
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_plantuml_call_limit)
{
	struct rdrive d;
	char *out;
	size_t calls = 0, returns = 0;

	rdrive_init(&d);
	rd_name(&d, 1, "loop", "/l.py", 1, 0);
	rd_name(&d, 2, "step", "/l.py", 5, 0);
	rd_thread(&d, 1, "main");
	rd_thread(&d, 2, "late");
	rd_enter(&d, 1, 0, 1);
	for (int i = 0; i < 600; i++)
		rd_leaf(&d, 1, 10 + 10 * (uint64_t)i, 5, 2);
	rd_leave(&d, 1, 10000);
	rd_leaf(&d, 2, 5, 1, 2);
	out = rd_render(&render_plantuml, &d, NULL, NULL);
	for (const char *p = out; (p = strstr(p, " ++ : ")); p++)
		calls++;
	for (const char *p = out; (p = strstr(p, " -- : ")); p++)
		returns++;
	/* loop and 499 steps drawn, every drawn call returns, the outer one
	 * after the gap was decided */
	FT_EQ_U64(calls, 500);
	FT_EQ_U64(returns, 500);
	FT_TRUE(strstr(out, "p2 --> p1 -- : 0.005 us\n"
			    "[<-- p1 -- : 10.000 us\n"
			    "...101 more calls not shown (at most 500 calls, 8 levels)...\n"
			    "== thread 2 (late) ==\n"
			    "...1 more calls not shown (at most 500 calls, 8 levels)...\n"
			    "@enduml\n"));
	free(out);
	rdrive_free(&d);
}

FT_TEST(render_plantuml_names_and_empty)
{
	struct rdrive d;
	char *out;

	rdrive_init(&d);
	out = rd_render(&render_plantuml, &d, NULL, NULL);
	FT_EQ_STR(out, "@startuml\n"
		       "participant \"no calls traced or shown\" as p0\n"
		       "@enduml\n");
	free(out);
	rd_name(&d, 1, "cut", "/deep/dir/c.py", 4, FT_NAME_FUNC_CUT);
	rd_name(&d, 2, "nofile", "", 0, 0);
	rd_name(&d, 3, "**b** //i// --s-- ~~w~~ [[u]] {{x}} |t| #n $v %f() `c` 'q' =h ^s", "/p.py",
		6, 0);
	rd_thread(&d, 5, "==x\x1b");
	rd_leaf(&d, 5, 1000, 1, 1);
	rd_leaf(&d, 5, 2000, 1, 2);
	rd_leaf(&d, 5, 3000, 1, 99); /* never bound */
	rd_leaf(&d, 5, 4000, 1, 3);
	rd_node(&d, 0, (int[]){1, -1})->flags |= FT_NODE_START_LOST | FT_NODE_END_LOST;
	out = rd_render(&render_plantuml, &d, NULL, NULL);
	FT_EQ_STR(out, "@startuml\n"
		       "participant \"cut...\\n(c.py:4)\" as p1\n"
		       "participant \"nofile\" as p2\n"
		       "participant \"&#60;unknown&#62;\" as p3\n"
		       "participant \"&#42;&#42;b&#42;&#42; &#47;&#47;i&#47;&#47; &#45;&#45;s&#45;"
		       "&#45; &#126;&#126;w&#126;&#126; &#91;&#91;u&#93;&#93; &#123;&#123;x&#125;"
		       "&#125; &#124;t&#124; &#35;n $v &#37;f() &#96;c&#96; &#39;q&#39; &#61;h "
		       "&#94;s\\n(p.py:6)\" as p4\n"
		       "== thread 5 (&#61;&#61;x\\\\x1b) ==\n"
		       "[-> p1 ++ : cut...()\n"
		       "[<-- p1 -- : 0.001 us\n"
		       "[-> p2 ++ : nofile() [entry lost]\n"
		       "[<-- p2 -- : 0.001 us [return lost]\n"
		       "[-> p3 ++ : &#60;unknown&#62;()\n"
		       "[<-- p3 -- : 0.001 us\n"
		       "[-> p4 ++ : &#42;&#42;b&#42;&#42; &#47;&#47;i&#47;&#47; &#45;&#45;s&#45;"
		       "&#45; &#126;&#126;w&#126;&#126; &#91;&#91;u&#93;&#93; &#123;&#123;x&#125;"
		       "&#125; &#124;t&#124; &#35;n $v &#37;f() &#96;c&#96; &#39;q&#39; &#61;h "
		       "&#94;s()\n"
		       "[<-- p4 -- : 0.001 us\n"
		       "@enduml\n");
	free(out);
	rdrive_free(&d);
}
