// SPDX-License-Identifier: MIT
/* Containers: the cgroup path a /proc/PID/cgroup text gives, and how the
 * outputs show a target's namespaces and its threads' ids there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/procns.h"
#include "json_check.h"
#include "render_run.h"
#include "test.h"

static int cg(const char *text, char *out, size_t size)
{
	return procns_cgroup_parse(text, strlen(text), out, size);
}

/* A chrooted process's files show as host paths under its root: the root
 * comes off; other paths are its own already. */
FT_TEST(procns_path_in_root_takes_a_chroots_prefix_off)
{
	static const struct {
		const char *root, *path, *want;
	} cases[] = {
		{"/var/cache/trixie", "/var/cache/trixie/usr/bin/python3.13",
		 "/usr/bin/python3.13"},
		{"/var/cache/trixie/", "/var/cache/trixie/usr/bin/python3.13",
		 "/usr/bin/python3.13"},
		/* a root that only starts the same name */
		{"/var/cache/trixie", "/var/cache/trixie2/usr/bin/python3",
		 "/var/cache/trixie2/usr/bin/python3"},
		{"/", "/usr/bin/python3.11", "/usr/bin/python3.11"},
		/* unread root; a path of its own mount tree */
		{"", "/usr/bin/python3.11", "/usr/bin/python3.11"},
		{"/srv/root", "/mnt/ftpriv/bin/python3.12", "/mnt/ftpriv/bin/python3.12"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FT_EQ_INT(procns_path_in_root(cases[i].root, cases[i].path, out, sizeof(out)), 0);
		FT_EQ_STR(out, cases[i].want);
	}
	FT_EQ_INT(procns_path_in_root("/r", "/r/a/very/long/path/indeed", out, 8), -ENAMETOOLONG);
}

FT_TEST(procns_cgroup_unified_hybrid_and_v1)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* cgroup v2 only */
		{"0::/system.slice/docker-abc.scope\n", "/system.slice/docker-abc.scope"},
		{"0::/\n", "/"},
		/* hybrid: the unified line is the root, systemd's is not */
		{"12:name=systemd:/user.slice/u.scope\n4:memory:/m\n0::/\n", "/user.slice/u.scope"},
		/* v1: no systemd line, the first controller that is not the root */
		{"9:pids:/\n4:memory:/process_api/e83e\n3:cpu:/other\n0::/\n", "/process_api/e83e"},
		/* the unified one wins over every v1 one; a path may hold colons */
		{"4:memory:/m\n0::/a:b/c\n", "/a:b/c"},
		/* no final newline; a line that does not parse is passed over */
		{"garbage\n0::/kubepods/pod1", "/kubepods/pod1"},
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		FT_EQ_INT(cg(cases[i].text, out, sizeof(out)), 0);
		FT_EQ_STR(out, cases[i].want);
	}
	FT_EQ_INT(cg("", out, sizeof(out)), -ENOENT);
	FT_EQ_INT(cg("0::\nx:y\n1:cpu:relative\n", out, sizeof(out)), -ENOENT);
	/* cut to the buffer */
	FT_EQ_INT(cg("0::/abcdefgh\n", out, 5), 0);
	FT_EQ_STR(out, "/abc");
}

/* thread 4242 of process 4242, which its PID namespace numbers 1, and a
 * second thread, 7 there; a thread of an older trace has no ids */
static void container_forest(struct rdrive *d)
{
	rdrive_init(d);
	rd_name(d, 1, "work", "/app/w.py", 3, 0);
	rd_thread(d, 4242, "python3");
	FT_EQ_INT(calltree__thread_pid(d->ct, 4242, 4242), 0);
	FT_EQ_INT(calltree__thread_ns(d->ct, 4242, 1, 1), 0);
	rd_leaf(d, 4242, 1000, 500, 1);
	rd_thread(d, 4250, "worker");
	FT_EQ_INT(calltree__thread_pid(d->ct, 4250, 4242), 0);
	FT_EQ_INT(calltree__thread_ns(d->ct, 4250, 7, 1), 0);
	rd_leaf(d, 4250, 2000, 500, 1);
	rd_thread(d, 4260, "");
	FT_EQ_INT(calltree__thread_pid(d->ct, 4260, 4242), 0);
	FT_EQ_INT(calltree__thread_ns(d->ct, 4260, 9, 1), 0);
	rd_leaf(d, 4260, 3000, 500, 1);
}

static const struct procns container_ns = {
	.ns_pid = 1,
	.foreign = PROCNS_PID | PROCNS_MNT | PROCNS_USER,
	.pid_ns = 4026532001,
	.mnt_ns = 4026532002,
	.user_ns = 4026532003,
	.cgroup = "/user.slice/app.scope",
};

FT_TEST(container_tree_headers)
{
	struct render_meta m = {.pid = 4242, .probe = "usdt", .ns = &container_ns};
	struct rdrive d;
	char *out;

	container_forest(&d);
	out = rd_render(&render_tree, &d, NULL, &m);
	FT_EQ_STR(out, "# PID 4242 (ns 1) in its own pid, mnt, user namespaces [cgroup "
		       "/user.slice/app.scope]\n"
		       "# DURATION     TID      FUNCTION\n"
		       "#\n"
		       "# thread 4242 (python3, ns 1) in PID 4242 (ns 1)\n"
		       "   0.500 us [   4242] | work();  # /app/w.py:3\n"
		       "#\n"
		       "# thread 4250 (worker, ns 7) in PID 4242 (ns 1)\n"
		       "   0.500 us [   4250] | work();  # /app/w.py:3\n"
		       "#\n"
		       "# thread 4260 (ns 9) in PID 4242 (ns 1)\n"
		       "   0.500 us [   4260] | work();  # /app/w.py:3\n");
	free(out);

	/* only a mount namespace of its own: the ids are the host's */
	struct procns mnt = container_ns;
	mnt.foreign = PROCNS_MNT;
	mnt.ns_pid = 4242;
	m.ns = &mnt;
	rdrive_free(&d);
	rdrive_init(&d);
	rd_name(&d, 1, "work", "/app/w.py", 3, 0);
	rd_thread(&d, 4242, "python3");
	FT_EQ_INT(calltree__thread_pid(d.ct, 4242, 4242), 0);
	FT_EQ_INT(calltree__thread_ns(d.ct, 4242, 4242, 4242), 0);
	rd_leaf(&d, 4242, 1000, 500, 1);
	out = rd_render(&render_tree, &d, NULL, &m);
	FT_EQ_STR(out, "# PID 4242 in its own mnt namespace [cgroup /user.slice/app.scope]\n"
		       "# DURATION     TID      FUNCTION\n"
		       "#\n"
		       "# thread 4242 (python3)\n"
		       "   0.500 us [   4242] | work();  # /app/w.py:3\n");
	free(out);

	/* the tracer's own namespaces: no container line */
	mnt.foreign = 0;
	out = rd_render(&render_tree, &d, NULL, &m);
	FT_TRUE(!strncmp(out, "# DURATION", 10));
	free(out);
	rdrive_free(&d);
}

FT_TEST(container_json_meta_and_thread_ids)
{
	struct render_meta m = {.pid = 4242, .probe = "usdt", .ns = &container_ns};
	struct rdrive d;
	char *out;

	container_forest(&d);
	out = rd_render(&render_json, &d, NULL, &m);
	FT_TRUE(json_check(out, false));
	FT_TRUE(strstr(out, "\"binary\":null,\"ns\":{\"pid\":1,\"pid_ns\":4026532001,"
			    "\"mnt\":4026532002,\"user\":4026532003,\"foreign\":[\"pid\",\"mnt\","
			    "\"user\"]},\"cgroup\":\"/user.slice/app.scope\",\"start_wall\""));
	FT_TRUE(strstr(out, "{\"tid\":4242,\"pid\":4242,\"ns_tid\":1,\"ns_pid\":1,\"name\":"
			    "\"python3\""));
	FT_TRUE(strstr(out, "{\"tid\":4250,\"pid\":4242,\"ns_tid\":7,\"ns_pid\":1,\"name\":"
			    "\"worker\""));
	free(out);

	/* chrome: the names carry the container's ids */
	out = rd_render(&render_chrome, &d, NULL, &m);
	FT_TRUE(json_check(out, false));
	FT_TRUE(strstr(out, "\"args\":{\"name\":\"python PID 4242 (ns 1)\"}"));
	FT_TRUE(strstr(out, "\"args\":{\"name\":\"worker (4250, ns 7)\"}"));
	FT_TRUE(strstr(out, "\"args\":{\"name\":\"thread (4260, ns 9)\"}"));
	free(out);

	/* an older trace: no ns ids, no "ns" */
	m.ns = NULL;
	rdrive_free(&d);
	rdrive_init(&d);
	rd_name(&d, 1, "work", "/app/w.py", 3, 0);
	rd_thread(&d, 4242, "python3");
	FT_EQ_INT(calltree__thread_pid(d.ct, 4242, 4242), 0);
	rd_leaf(&d, 4242, 1000, 500, 1);
	out = rd_render(&render_json, &d, NULL, &m);
	FT_TRUE(!strstr(out, "\"ns"));
	FT_TRUE(!strstr(out, "cgroup"));
	free(out);
	rdrive_free(&d);
}
