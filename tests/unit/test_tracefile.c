// SPDX-License-Identifier: MIT
/* Trace files: round trip, a cut at every byte, corruption, wrong files. */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <zlib.h>

#include "test.h"
#include "core/tracefile.h"

static const char *tmp_path(void)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/ft-unit-%d.ftrace", getpid());
	return path;
}

static struct tracefile_meta meta(void)
{
	struct tracefile_meta m = {.pid = 42, .abi = FT_ABI_VERSION, .t0 = 777};

	m.wall_start.tv_sec = 1700000000;
	m.wall_start.tv_nsec = 123456789;
	strcpy(m.python, "3.9.2");
	strcpy(m.probe, "usdt");
	strcpy(m.binary, "/lib/libpython3.9.so.1.0");
	strcpy(m.command, "python3 app.py\nwith a newline");
	return m;
}

/* n records of varying size; record i is i+1 bytes of (i & 0xff) */
static void write_file(const char *path, int n, bool flush_each, bool close)
{
	struct tracefile_meta m = meta();
	struct tracefile_writer *w = tracefile_writer__create(path);
	char buf[600];

	FT_TRUE(w);
	FT_EQ_INT(tracefile_writer__begin(w, &m), 0);
	for (int i = 0; i < n; i++) {
		uint32_t size = (i % 500) + 1;
		memset(buf, i & 0xff, size);
		FT_EQ_INT(tracefile_writer__add(w, buf, size), 0);
		if (flush_each && i % 7 == 0)
			FT_EQ_INT(tracefile_writer__flush(w), 0);
	}
	if (close) {
		struct tracefile_end e = {
			.t_end = 99999, .drops = {1, 2, 3, 4, 5}, .target_exited = true};
		FT_EQ_INT(tracefile_writer__close(w, &e), 0);
	} else {
		/* a crash: what was flushed is on disk, the rest is not */
		FT_EQ_INT(tracefile_writer__flush(w), 0);
		exit(0);
	}
}

/* Reads everything; returns the number of good records, checks each. */
static int read_all(FILE *fp, int *status, bool *has_end)
{
	char err[256];
	struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
	const void *rec;
	uint32_t size;
	int n = 0, rc;

	if (!r) {
		*status = -1;
		return 0;
	}
	while ((rc = tracefile_reader__next(r, &rec, &size, err, sizeof(err))) == 1) {
		const unsigned char *p = rec;
		FT_EQ_INT(size, (n % 500) + 1);
		FT_EQ_INT(p[0], n & 0xff);
		FT_EQ_INT(p[size - 1], n & 0xff);
		n++;
	}
	*status = rc;
	*has_end = tracefile_reader__end(r) != NULL;
	if (*has_end) {
		const struct tracefile_end *e = tracefile_reader__end(r);

		FT_EQ_U64(e->t_end, 99999);
		for (int i = 0; i < FT_DROP_MAX; i++)
			FT_EQ_U64(e->drops[i], (uint64_t)i + 1);
		FT_TRUE(e->target_exited);
	}
	tracefile_reader__free(r);
	return n;
}

FT_TEST(tracefile_round_trip)
{
	const char *path = tmp_path();
	char err[256];

	write_file(path, 5000, true, true);
	FILE *fp = fopen(path, "r");
	struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
	FT_TRUE(r);
	const struct tracefile_meta *m = tracefile_reader__meta(r);
	FT_EQ_INT(m->pid, 42);
	FT_EQ_U64(m->t0, 777);
	FT_EQ_INT(m->wall_start.tv_sec, 1700000000);
	FT_EQ_INT(m->wall_start.tv_nsec, 123456789);
	FT_EQ_STR(m->python, "3.9.2");
	FT_EQ_STR(m->binary, "/lib/libpython3.9.so.1.0");
	FT_EQ_STR(m->command, "python3 app.py with a newline");
	tracefile_reader__free(r);
	rewind(fp);
	int status;
	bool has_end;
	FT_EQ_INT(read_all(fp, &status, &has_end), 5000);
	FT_EQ_INT(status, 0);
	FT_TRUE(has_end);
	fclose(fp);
	unlink(path);
}

FT_TEST(tracefile_every_cut_replays_a_prefix)
{
	const char *path = tmp_path();
	FILE *fp;
	char *data;
	size_t size;

	write_file(path, 300, true, true);
	fp = fopen(path, "r");
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	rewind(fp);
	data = malloc(size);
	FT_EQ_INT(fread(data, 1, size, fp), size);
	fclose(fp);
	int last = 0;
	for (size_t cut = 0; cut < size; cut++) {
		int status;
		bool has_end = false;
		FILE *m = fmemopen(data, cut ? cut : 1, "r");
		int n = read_all(m, &status, &has_end);
		fclose(m);
		/* a prefix: never more records than a longer cut gave, never an end block */
		FT_TRUE(n >= last || n == 0);
		FT_TRUE(n <= 300);
		FT_TRUE(!has_end);
		FT_TRUE(status < 0 || cut <= 16);
		if (n)
			last = n;
	}
	FT_TRUE(last > 250); /* blocks flushed every 7 records: little is lost */
	free(data);
	unlink(path);
}

FT_TEST(tracefile_crash_keeps_flushed_blocks)
{
	const char *path = tmp_path();
	pid_t pid = fork();

	if (pid == 0)
		write_file(path, 1000, false, false);
	int st;
	waitpid(pid, &st, 0);
	FILE *fp = fopen(path, "r");
	int status;
	bool has_end;
	FT_EQ_INT(read_all(fp, &status, &has_end), 1000);
	FT_EQ_INT(status, -EBADMSG); /* cut short: no end block */
	FT_TRUE(!has_end);
	fclose(fp);
	unlink(path);
}

FT_TEST(tracefile_corruption_is_detected)
{
	const char *path = tmp_path();

	write_file(path, 2000, false, true);
	FILE *fp = fopen(path, "r+");
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	/* flip one byte in the middle of the records */
	fseek(fp, size / 2, SEEK_SET);
	int c = fgetc(fp);
	fseek(fp, size / 2, SEEK_SET);
	fputc(c ^ 0x40, fp);
	rewind(fp);
	int status;
	bool has_end;
	int n = read_all(fp, &status, &has_end);
	FT_TRUE(n < 2000);
	FT_EQ_INT(status, -EBADMSG);
	fclose(fp);
	unlink(path);
}

FT_TEST(tracefile_rejects_other_files)
{
	char err[256];
	char text[] = "hello, this is not a trace file at all";
	FILE *fp = fmemopen(text, sizeof(text), "r");

	FT_TRUE(!tracefile_reader__new(fp, err, sizeof(err)));
	FT_EQ_STR(err, "not a flowtrace-bpf trace file");
	fclose(fp);

	/* a future version */
	char hdr[16] = {'\x89', 'F', 'T', 'R', 'A', 'C', 'E', '\n', 9, 0, 0, 0, 0, 0, 0, 0};
	fp = fmemopen(hdr, sizeof(hdr), "r");
	FT_TRUE(!tracefile_reader__new(fp, err, sizeof(err)));
	FT_TRUE(strstr(err, "version 9"));
	fclose(fp);

	/* a header and nothing else */
	hdr[8] = TRACEFILE_VERSION;
	fp = fmemopen(hdr, sizeof(hdr), "r");
	FT_TRUE(!tracefile_reader__new(fp, err, sizeof(err)));
	fclose(fp);
}

FT_TEST(tracefile_unwritable_path)
{
	errno = 0;
	FT_TRUE(!tracefile_writer__create("/nonexistent-dir/x.ftrace"));
	FT_EQ_INT(errno, ENOENT);
}

/* A file made by hand: header, a META block with meta_text, an END block
 * with end_text (NULL: none), each compressed and checksummed, so values
 * the writer would never write reach the reader. */
static FILE *raw_file(char *buf, size_t cap, const char *meta_text, const char *end_text)
{
	static const char magic[8] = {'\x89', 'F', 'T', 'R', 'A', 'C', 'E', '\n'};
	uint32_t hdr[2] = {TRACEFILE_VERSION, 0};
	size_t len = 0;

	memcpy(buf, magic, 8);
	memcpy(buf + 8, hdr, 8);
	len = 16;
	for (int i = 0; i < 2; i++) {
		const char *text = i ? end_text : meta_text;
		uLongf zlen = cap - len - 20;

		if (!text)
			break;
		FT_EQ_INT(compress2((Bytef *)buf + len + 20, &zlen, (const Bytef *)text,
				    strlen(text), 1),
			  Z_OK);
		uint32_t bh[5] = {0x31425446u, i ? 3 : 1, (uint32_t)strlen(text), (uint32_t)zlen,
				  (uint32_t)crc32(0, (const Bytef *)text, strlen(text))};
		memcpy(buf + len, bh, 20);
		len += 20 + zlen;
	}
	FILE *fp = fmemopen(buf, len, "r");
	FT_TRUE(fp);
	return fp;
}

FT_TEST(tracefile_values_are_checked)
{
	static const char *const bad_meta[] = {
		"pid=12x\nabi=1\n",
		"pid=-1\nabi=1\n",
		"pid=4294967296\nabi=1\n",
		"abi=1\nt0=\n",
		"abi=1\nwall_nsec=1000000000\n",
		"abi=1\nwall_sec=99999999999999\n",
		"abi=1\nt0=99999999999999999999\n",
	};
	char buf[4096], err[256];
	const void *rec;
	uint32_t size;

	for (size_t i = 0; i < sizeof(bad_meta) / sizeof(bad_meta[0]); i++) {
		FILE *fp = raw_file(buf, sizeof(buf), bad_meta[i], "t_end=5\n");

		err[0] = 0;
		if (tracefile_reader__new(fp, err, sizeof(err)))
			FT_FAIL("META %s was accepted", bad_meta[i]);
		FT_TRUE(strstr(err, "metadata block is damaged"));
		fclose(fp);
	}

	/* the largest values in range are taken as they are */
	FILE *fp = raw_file(buf, sizeof(buf),
			    "pid=4294967295\nabi=1\nt0=4611686018427387904\nwall_sec=253402300799\n"
			    "wall_nsec=999999999\n",
			    "t_end=7\ndrop_ringbuf=4611686018427387904\nexited=1\n");
	struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
	FT_TRUE(r);
	FT_EQ_U64(tracefile_reader__meta(r)->pid, 4294967295u);
	FT_EQ_U64(tracefile_reader__meta(r)->wall_start.tv_nsec, 999999999);
	FT_EQ_INT(tracefile_reader__next(r, &rec, &size, err, sizeof(err)), 0);
	FT_EQ_U64(tracefile_reader__end(r)->drops[FT_DROP_RINGBUF], UINT64_C(1) << 62);
	tracefile_reader__free(r);
	fclose(fp);

	/* a damaged END is no END: the recording reads as cut short */
	fp = raw_file(buf, sizeof(buf), "pid=1\nabi=1\n",
		      "t_end=7\ndrop_ringbuf=18446744073709551615\nexited=1\n");
	r = tracefile_reader__new(fp, err, sizeof(err));
	FT_TRUE(r);
	FT_EQ_INT(tracefile_reader__next(r, &rec, &size, err, sizeof(err)), -EBADMSG);
	FT_TRUE(strstr(err, "end block is damaged (bad value for 'drop_ringbuf')"));
	FT_TRUE(!tracefile_reader__end(r));
	tracefile_reader__free(r);
	fclose(fp);
}

/* --follow (or several PIDs) is recorded: a replay accepts the records of
 * every process; a trace of one process is written without the key. */
FT_TEST(tracefile_records_follow)
{
	const char *path = tmp_path();
	char err[256];

	for (int follow = 0; follow < 2; follow++) {
		struct tracefile_meta m = meta();
		struct tracefile_writer *w = tracefile_writer__create(path);
		struct tracefile_end e = {.t_end = 9};

		m.follow = follow;
		FT_TRUE(w);
		FT_EQ_INT(tracefile_writer__begin(w, &m), 0);
		FT_EQ_INT(tracefile_writer__close(w, &e), 0);
		FILE *fp = fopen(path, "r");
		struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
		FT_TRUE(r);
		FT_EQ_INT(tracefile_reader__meta(r)->follow, follow);
		FT_EQ_INT(tracefile_reader__meta(r)->pid, 42);
		tracefile_reader__free(r);
		fclose(fp);
	}
	unlink(path);
}

/* The container the target was in goes through the file: a replay shows
 * what the live trace showed, even after the container is gone. A file
 * without it (an older build's, or none read) reads as not known. */
FT_TEST(tracefile_records_container)
{
	const char *path = tmp_path();
	char err[256];

	for (int with = 0; with < 2; with++) {
		struct tracefile_meta m = meta();
		struct tracefile_writer *w = tracefile_writer__create(path);
		struct tracefile_end e = {.t_end = 9};

		if (with) {
			m.ns = (struct procns){.ns_pid = 7,
					       .foreign = PROCNS_PID | PROCNS_USER,
					       .pid_ns = 4026532001,
					       .mnt_ns = 4026531841,
					       .user_ns = 4026532002};
			strcpy(m.ns.cgroup, "/system.slice/app.service\nforged=1");
		}
		FT_TRUE(w);
		FT_EQ_INT(tracefile_writer__begin(w, &m), 0);
		FT_EQ_INT(tracefile_writer__close(w, &e), 0);
		FILE *fp = fopen(path, "r");
		struct tracefile_reader *r = tracefile_reader__new(fp, err, sizeof(err));
		FT_TRUE(r);
		const struct procns *ns = &tracefile_reader__meta(r)->ns;
		FT_EQ_U64(ns->pid_ns, with ? 4026532001 : 0);
		FT_EQ_U64(ns->mnt_ns, with ? 4026531841 : 0);
		FT_EQ_U64(ns->user_ns, with ? 4026532002 : 0);
		FT_EQ_INT(ns->ns_pid, with ? 7 : 0);
		FT_EQ_INT(ns->foreign, with ? (PROCNS_PID | PROCNS_USER) : 0);
		/* a newline in the path cannot forge a key */
		FT_EQ_STR(ns->cgroup, with ? "/system.slice/app.service forged=1" : "");
		tracefile_reader__free(r);
		fclose(fp);
	}
	unlink(path);
}
