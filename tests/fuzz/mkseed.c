// SPDX-License-Identifier: MIT
/* Writes a small, valid trace file for the fuzzer's seed corpus: two
 * threads, nesting, a name for every id, a sequence gap, a recursion and
 * frames from before attach, in several blocks. */
#include <stdio.h>
#include <string.h>

#include "core/tracefile.h"

static void add_name(struct tracefile_writer *w, uint32_t tid, uint32_t id, const char *func,
		     const char *file)
{
	char buf[256];
	struct ft_rec_name *r = (struct ft_rec_name *)buf;
	size_t fl = strlen(func) + 1, pl = strlen(file) + 1;

	memset(buf, 0, sizeof(buf));
	r->hdr = (struct ft_rec_hdr){ .ts = 1000, .tgid = 42, .tid = tid, .type = FT_REC_NAME, .arg = id };
	r->line = id * 10;
	r->func_len = fl;
	r->file_len = pl;
	memcpy(r->data, func, fl);
	memcpy(r->data + fl, file, pl);
	tracefile_writer__add(w, buf, sizeof(*r) + fl + pl);
}

static void add_call(struct tracefile_writer *w, uint32_t tid, uint16_t type, uint32_t seq,
		     int32_t depth, uint32_t id, uint64_t ts)
{
	struct ft_rec_hdr h = { .ts = ts, .tgid = 42, .tid = tid, .seq = seq, .depth = depth,
				.type = type, .arg = id };
	tracefile_writer__add(w, &h, sizeof(h));
}

int main(int argc, char **argv)
{
	struct tracefile_meta m = { .pid = 42, .abi = FT_ABI_VERSION, .t0 = 1000 };
	struct tracefile_end e = { .t_end = 9000 };

	if (argc != 2)
		return 2;
	strcpy(m.python, "3.9.2");
	strcpy(m.probe, "usdt");
	strcpy(m.binary, "/usr/lib/libpython3.9.so.1.0");
	strcpy(m.command, "python3.9 app.py");
	struct tracefile_writer *w = tracefile_writer__create(argv[1]);
	if (!w || tracefile_writer__begin(w, &m))
		return 1;
	struct ft_rec_thread th = { .hdr = { .ts = 1001, .tgid = 42, .tid = 43, .type = FT_REC_THREAD } };
	strcpy(th.comm, "python3.9");
	tracefile_writer__add(w, &th, sizeof(th));
	add_name(w, 43, 1, "<module>", "/app.py");
	add_name(w, 43, 2, "main", "/app.py");
	add_name(w, 43, 3, "naïve_函数", "/app.py");
	add_call(w, 43, FT_REC_ENTRY, 0, 1, 1, 1100);
	add_call(w, 43, FT_REC_ENTRY, 1, 2, 2, 1200);
	add_call(w, 43, FT_REC_ENTRY, 2, 3, 3, 1300);
	add_call(w, 43, FT_REC_RETURN, 3, 3, 3, 1400);
	tracefile_writer__flush(w);
	add_call(w, 44, FT_REC_ENTRY, 0, 1, 3, 1500);
	add_call(w, 43, FT_REC_ENTRY, 6, 3, 3, 1600); /* a gap of two */
	add_call(w, 44, FT_REC_RETURN, 1, 1, 3, 1700);
	add_call(w, 43, FT_REC_RETURN, 7, 3, 3, 1800);
	add_call(w, 43, FT_REC_RETURN, 8, 2, 2, 1900);
	tracefile_writer__flush(w);
	/* a recursion 24 deep, then frames from before attach return */
	uint32_t seq = 9;
	for (int d = 2; d <= 25; d++, seq++)
		add_call(w, 43, FT_REC_ENTRY, seq, d, 2, 2000 + seq);
	for (int d = 25; d >= -2; d--, seq++)
		add_call(w, 43, FT_REC_RETURN, seq, d, 2, 2000 + seq);
	return tracefile_writer__close(w, &e) ? 1 : 0;
}
