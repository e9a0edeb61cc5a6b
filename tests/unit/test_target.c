// SPDX-License-Identifier: MIT
/* Target discovery: libpython names, verdicts, and
 * target_inspect on missing, foreign, non-Python and (when the system has
 * one) real CPython 3.11 processes, including a deleted interpreter; and
 * that a session's later steps read the file target_inspect opened,
 * opening nothing again. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "cpython/pyruntime.h"
#include "cpython/target.h"
#include "sys/elfimage.h"
#include "test.h"

#define PYTHON311 "/usr/bin/python3.11"

FT_TEST(path_is_libpython_table)
{
	static const struct {
		const char *path;
		bool want;
	} cases[] = {
		{"/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", true},
		{"libpython3.9.so.1.0", true},
		{"/root/.pyenv/versions/3.6.15/lib/libpython3.6m.so.1.0", true},
		{"/opt/py/lib/libpython3.13t.so", true},
		{"/opt/my app/libpython2.7.so.1.0", true},
		{"/usr/lib/libpython3.9.so.1.0 (deleted)", true},
		{"/usr/lib/libpython3.9.a", false},
		{"/usr/lib/libpythonista.so", false},
		{"/usr/lib/libpython.so", false},
		{"/usr/lib/libpython3.9.so.1.0/libc.so.6", false},
		{"/usr/bin/python3.11", false},
		{"/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so", false},
		{"", false},
		{NULL, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (path_is_libpython(cases[i].path) != cases[i].want)
			FT_FAIL("%s: expected %d", cases[i].path ? cases[i].path : "(null)",
				cases[i].want);
	}
}

static struct elf_info make_info(const char *version, int major, int minor, bool entry, bool ret)
{
	struct elf_info e = {.has_entry = entry, .has_return = ret, .is_cpython = true};

	snprintf(e.version, sizeof(e.version), "%s", version);
	e.major = major;
	e.minor = minor;
	return e;
}

#define NO_MARKERS_HINT                                                                           \
	"the markers exist only in builds configured --with-dtrace (CPython 3.6–3.11, 3.15+); " \
	"--method auto needs none"

FT_TEST(target_judge_verdicts)
{
	static const struct {
		const char *version;
		int major, minor;
		bool entry, ret;
		const char *binary;
		enum target_verdict want;
		const char *why;
	} cases[] = {
		{"3.9.18", 3, 9, true, true, "/usr/bin/python3.9", TARGET_OK, ""},
		{"3.10.13", 3, 10, true, true, "/x", TARGET_OK, ""},
		{"3.15.0a1", 3, 15, true, true, "/x", TARGET_OK, ""},
		{"", 0, 0, true, true, "/x", TARGET_OK, ""},
		{"3.11.2", 3, 11, true, true, "/usr/bin/python3.11", TARGET_INCOMPLETE,
		 "CPython 3.11.2 in /usr/bin/python3.11 fires python:function__entry for only some "
		 "calls"},
		{"3.11", 3, 11, true, true, NULL, TARGET_INCOMPLETE,
		 "CPython 3.11 fires python:function__entry for only some calls"},
		{"3.12.1", 3, 12, false, false,
		 "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0", TARGET_NO_MARKERS,
		 "CPython 3.12.1 in /root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0 has no "
		 "python:function__entry/function__return markers"},
		{"3.11.7", 3, 11, false, false, "/usr/lib/libpython3.11.so.1.0", TARGET_NO_MARKERS,
		 "CPython 3.11.7 in /usr/lib/libpython3.11.so.1.0 has no "
		 "python:function__entry/function__return markers"},
		{"3.9.18", 3, 9, true, false, "/x", TARGET_NO_MARKERS,
		 "CPython 3.9.18 in /x has no python:function__return marker"},
		{"3.9.18", 3, 9, false, true, "", TARGET_NO_MARKERS,
		 "CPython 3.9.18 has no python:function__entry marker"},
		{"", 0, 0, false, false, "/usr/local/bin/py", TARGET_NO_MARKERS,
		 "CPython in /usr/local/bin/py has no python:function__entry/function__return "
		 "markers"},
		/* a file name cannot break the line */
		{"2.7.18", 2, 7, false, false, "/tmp/a\nb", TARGET_NO_MARKERS,
		 "CPython 2.7.18 in /tmp/a?b has no python:function__entry/function__return "
		 "markers"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct elf_info e = make_info(cases[i].version, cases[i].major, cases[i].minor,
					      cases[i].entry, cases[i].ret);
		char why[256] = "junk", hint[256] = "junk";
		enum target_verdict v =
			target_judge(&e, cases[i].binary, why, sizeof(why), hint, sizeof(hint));

		if (v != cases[i].want)
			FT_FAIL("case %zu: verdict %d != %d", i, v, cases[i].want);
		FT_EQ_STR(why, cases[i].why);
		FT_TRUE(!strchr(why, '\n') && !strchr(hint, '\n'));
		switch (v) {
		case TARGET_OK:
			FT_EQ_STR(hint, "");
			break;
		case TARGET_NO_MARKERS:
			FT_EQ_STR(hint, NO_MARKERS_HINT);
			break;
		default:
			FT_TRUE(strstr(hint, "--method auto") != NULL);
			break;
		}
	}
}

FT_TEST(target_judge_small_buffers)
{
	struct elf_info e = make_info("3.11.2", 3, 11, true, true);
	char why[16], hint[8];

	memset(why, 'x', sizeof(why));
	memset(hint, 'x', sizeof(hint));
	FT_EQ_INT(target_judge(&e, "/usr/bin/python3.11", why, 12, hint, 4), TARGET_INCOMPLETE);
	FT_EQ_STR(why, "CPython 3.1");
	FT_EQ_INT(why[12], 'x');
	FT_EQ_STR(hint, "--m");
	FT_EQ_INT(hint[4], 'x');
	/* zero-sized buffers are left alone */
	FT_EQ_INT(target_judge(&e, "/x", why, 0, hint, 0), TARGET_INCOMPLETE);
	FT_EQ_INT(why[0], 'C');
}

FT_TEST(target_inspect_no_process)
{
	struct target t;
	pid_t pid = fork();

	FT_TRUE(pid >= 0);
	if (!pid)
		_exit(0);
	FT_EQ_INT(waitpid(pid, NULL, 0), pid);
	/* the reaped child's PID is free (reuse this soon is very unlikely) */
	FT_EQ_INT(target_inspect(pid, &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_PROCESS);
	FT_EQ_INT(t.pid, pid);
	FT_TRUE(t.why[0] && t.hint[0]);
	FT_EQ_INT(target_inspect(0, &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_PROCESS);
	FT_EQ_INT(target_inspect(-5, &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_PROCESS);
}

FT_TEST(target_inspect_self)
{
	static struct target t;
	char exe[PATH_MAX], want[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	FT_TRUE(n > 0);
	exe[n] = '\0';
	FT_EQ_INT(target_inspect(getpid(), &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NOT_PYTHON);
	FT_EQ_STR(t.exe, exe);
	snprintf(want, sizeof(want), "PID %d (%s) is not a Python process", (int)getpid(), exe);
	FT_EQ_STR(t.why, want);
	FT_EQ_STR(t.hint, "give the PID of a CPython interpreter");
	FT_EQ_STR(t.binary, "");
}

FT_TEST(target_inspect_no_access)
{
	static struct target t;
	struct stat st;

	FT_EQ_INT(stat("/proc/1", &st), 0);
	if (geteuid() == 0) {
		/* this test runs in its own child: drop to nobody for good */
		FT_EQ_INT(setgid(65534), 0);
		FT_EQ_INT(setuid(65534), 0);
	} else if (st.st_uid == getuid()) {
		printf("  note: PID 1 runs as this user, skipped\n");
		return;
	}
	FT_EQ_INT(target_inspect(1, &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_ACCESS);
	FT_TRUE(strstr(t.why, "/proc/1/maps") != NULL);
	FT_TRUE(t.hint[0]);
}

/* Starts argv[0] with a sleeping script; returns once it has exec'd. */
static bool maps_name(pid_t pid, const char *path)
{
	char proc[64], line[PATH_MAX + 128];
	bool found = false;

	snprintf(proc, sizeof(proc), "/proc/%d/maps", pid);
	FILE *fp = fopen(proc, "r");
	if (!fp)
		return false;
	while (!found && fgets(line, sizeof(line), fp))
		found = strstr(line, path) != NULL;
	fclose(fp);
	return found;
}

static pid_t spawn_python(const char *path)
{
	char proc[64], exe[PATH_MAX];
	pid_t pid = fork();

	FT_TRUE(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(path, path, "-S", "-c", "import time; time.sleep(30)", (char *)NULL);
		_exit(127);
	}
	snprintf(proc, sizeof(proc), "/proc/%d/exe", pid);
	for (int i = 0; i < 500; i++) {
		ssize_t n = readlink(proc, exe, sizeof(exe) - 1);

		if (n > 0) {
			exe[n] = '\0';
			/* exe changes a moment before the executable is mapped */
			if (!strcmp(exe, path) && maps_name(pid, path))
				return pid;
		}
		usleep(10000);
	}
	kill(pid, SIGKILL);
	FT_FAIL("%s did not start", path);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

FT_TEST(target_inspect_python311)
{
	static struct target t;
	char want[64];
	pid_t pid;

	if (access(PYTHON311, X_OK)) {
		printf("  note: %s absent, skipped\n", PYTHON311);
		return;
	}
	pid = spawn_python(PYTHON311);
	FT_EQ_INT(target_inspect(pid, &t), 0);
	reap(pid);
	FT_EQ_INT(t.verdict, TARGET_INCOMPLETE);
	FT_EQ_STR(t.exe, PYTHON311);
	FT_EQ_STR(t.binary, PYTHON311);
	snprintf(want, sizeof(want), "/proc/%d/root%s", pid, PYTHON311);
	FT_EQ_STR(t.open_path, want);
	FT_TRUE(!t.in_library);
	FT_TRUE(t.elf.has_entry && t.elf.has_return && t.elf.is_cpython);
	FT_TRUE(!strncmp(t.elf.version, "3.11.", 5));
	FT_TRUE(strstr(t.why, " in " PYTHON311 " fires python:function__entry") != NULL);
}

/* A deleted interpreter is reached through /proc/PID/map_files, which
 * needs CAP_SYS_ADMIN (or CAP_CHECKPOINT_RESTORE). */
FT_TEST(target_inspect_deleted_python311)
{
	static struct target t;
	char dir[] = "/tmp/ft-target-XXXXXX", copy[PATH_MAX], want[PATH_MAX + 16], buf[65536];
	int in, out;
	ssize_t n;
	pid_t pid;

	if (access(PYTHON311, X_OK) || geteuid() != 0) {
		printf("  note: needs %s and root, skipped\n", PYTHON311);
		return;
	}
	FT_TRUE(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/python3.11", dir);
	in = open(PYTHON311, O_RDONLY);
	out = open(copy, O_WRONLY | O_CREAT | O_EXCL, 0755);
	FT_TRUE(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		FT_EQ_INT(write(out, buf, n), n);
	close(in);
	close(out);

	pid = spawn_python(copy);
	unlink(copy);
	rmdir(dir);
	FT_EQ_INT(target_inspect(pid, &t), 0);
	reap(pid);
	FT_EQ_INT(t.verdict, TARGET_INCOMPLETE);
	snprintf(want, sizeof(want), "%s (deleted)", copy);
	FT_EQ_STR(t.exe, want);
	FT_EQ_STR(t.binary, copy);
	snprintf(want, sizeof(want), "/proc/%d/map_files/", pid);
	if (strncmp(t.open_path, want, strlen(want)))
		FT_FAIL("open_path %s, expected under %s", t.open_path, want);
	FT_TRUE(!t.in_library);
	FT_TRUE(!strncmp(t.elf.version, "3.11.", 5));
}

/* The steps of an interpreter-method session on a pyenv 3.12 (libpython):
 * target discovery opens the executable and libpython once each, and the
 * layout, the handler table, the code-death offsets and the load bias are
 * all read from the image it kept, with no file opened again. Before the
 * one reader, libpython was opened four times. */
FT_TEST(target_session_opens_each_file_once)
{
	static struct target t;
	static struct opcodes_table ops;
	static struct pylayout lay;
	struct pylayout_code_death cd;
	struct pyruntime rt;
	unsigned long before;
	char why[256] = "";
	glob_t g;
	pid_t pid;
	int i;

	if (glob("/root/.pyenv/versions/3.12.*/bin/python3.12", 0, NULL, &g) || !g.gl_pathc) {
		printf("  note: no pyenv CPython 3.12, skipped\n");
		return;
	}
	pid = spawn_python(g.gl_pathv[0]);
	/* libpython is mapped a moment after the executable */
	for (i = 0; i < 500 && !maps_name(pid, "/libpython3.12.so"); i++)
		usleep(10000);
	globfree(&g);
	before = elfimage__opened();
	FT_EQ_INT(target_inspect(pid, &t), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_MARKERS);
	FT_TRUE(t.in_library && t.img);
	/* the executable and libpython */
	FT_EQ_INT(elfimage__opened() - before, 2);
	FT_EQ_INT(t.fd, elfimage__fd(t.img));

	before = elfimage__opened();
	if (pylayout_for(t.img, t.open_path, &t.elf, &lay, why, sizeof(why)))
		FT_FAIL("pylayout_for: %s", why);
	if (opcodes_find(t.img, &t.elf, &ops, why, sizeof(why)))
		FT_FAIL("opcodes_find: %s", why);
	if (pylayout_code_death(t.img, t.elf.minor, &cd, why, sizeof(why)))
		FT_FAIL("pylayout_code_death: %s", why);
	if (pyruntime_open(&rt, pid, t.binary, t.img, &lay, &ops, why, sizeof(why)))
		FT_FAIL("pyruntime_open: %s", why);
	reap(pid);
	FT_EQ_INT(elfimage__opened() - before, 0);
	/* the bias came from the image's PT_LOAD headers and the live mappings */
	FT_TRUE(rt.bias != 0 && rt.runtime_addr == rt.bias + lay.runtime_vaddr);
	FT_EQ_INT(cd.dealloc_offset, lay.code_dealloc_offset);

	/* closing the target closes the file the probes would attach to */
	i = t.fd;
	target_close(&t);
	FT_TRUE(!t.img && t.fd == -1);
	FT_TRUE(fcntl(i, F_GETFD) < 0 && errno == EBADF);
}

/* A launched command's executable, opened when it was exec'd (launch.c),
 * is adopted by target inspection rather than opened a second time. */
FT_TEST(target_inspect_adopts_the_executable_opened_at_exec)
{
	static struct target t;
	struct elfimage *exe;
	unsigned long before;
	char path[64];
	glob_t g;
	pid_t pid;
	int i;

	if (glob("/root/.pyenv/versions/3.12.*/bin/python3.12", 0, NULL, &g) || !g.gl_pathc) {
		printf("  note: no pyenv CPython 3.12, skipped\n");
		return;
	}
	pid = spawn_python(g.gl_pathv[0]);
	for (i = 0; i < 500 && !maps_name(pid, "/libpython3.12.so"); i++)
		usleep(10000);
	globfree(&g);
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	exe = elfimage__open(path);
	FT_TRUE(exe != NULL);
	before = elfimage__opened();
	FT_EQ_INT(target_inspect_with(pid, &t, exe), 0);
	/* libpython only: the executable was given */
	FT_EQ_INT(elfimage__opened() - before, 1);
	FT_EQ_INT(t.verdict, TARGET_NO_MARKERS);
	FT_TRUE(t.in_library && t.img && t.img != exe);
	target_close(&t);
	/* given for a process that is gone, it is freed, not leaked (ASan) */
	reap(pid);
	exe = elfimage__open("/proc/self/exe");
	FT_EQ_INT(target_inspect_with(pid, &t, exe), 0);
	FT_EQ_INT(t.verdict, TARGET_NO_PROCESS);
	target_close(&t);
}
