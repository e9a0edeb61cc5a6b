// SPDX-License-Identifier: MIT
/* Trace file writer and reader.
 *
 * Layout (little-endian): an 8-byte magic, u32 version, u32 reserved, then
 * blocks. Each block is a 20-byte header {u32 magic "FTB1", u32 type,
 * u32 raw_len, u32 zlen, u32 crc32(raw)} followed by zlen bytes of zlib
 * data that inflate to raw_len bytes. Block types: META and END hold
 * "key=value\n" text; RECORDS holds items {u32 size; u32 zero; size bytes;
 * zero padding to a multiple of 8}, each one ring-buffer record, so every
 * record starts 8-byte aligned as it did in the ring. Every length is
 * checked against a limit before any allocation, every block against its
 * CRC, and every META/END value parsed strictly against a range, so a
 * damaged file is reported, never trusted. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/tracefile.h"

static const char MAGIC[8] = {'\x89', 'F', 'T', 'R', 'A', 'C', 'E', '\n'};
#define BLOCK_MAGIC	 0x31425446u /* "FTB1" */
#define BLOCK_META	 1
#define BLOCK_RECORDS	 2
#define BLOCK_END	 3
#define BLOCK_RAW_TARGET (256 * 1024) /* records collected before a block is written */
#define BLOCK_RAW_MAX	 (16 * 1024 * 1024)
#define RECORD_MAX	 (64 * 1024)
#define ITEM_HEAD	 8 /* u32 size, u32 zero: keeps records 8-byte aligned */

struct block_hdr {
	uint32_t magic;
	uint32_t type;
	uint32_t raw_len;
	uint32_t zlen;
	uint32_t crc;
};

struct tracefile_writer {
	FILE *fp;
	unsigned char *raw;
	size_t used, cap;
	unsigned char *z;
	size_t zcap;
	uint64_t bytes;
	bool owns_fp; /* made by tracefile_writer__create: closed with the writer */
};

static int write_block(struct tracefile_writer *w, uint32_t type, const void *raw, size_t len)
{
	uLongf zlen = compressBound(len);

	if (zlen > w->zcap) {
		unsigned char *z = realloc(w->z, zlen);
		if (!z)
			return -ENOMEM;
		w->z = z;
		w->zcap = zlen;
	}
	/* level 1: the trace is written while the target runs; speed matters more */
	if (compress2(w->z, &zlen, raw, len, 1) != Z_OK)
		return -EIO;
	struct block_hdr h = {
		.magic = BLOCK_MAGIC,
		.type = type,
		.raw_len = len,
		.zlen = zlen,
		.crc = crc32(0, raw, len),
	};
	errno = 0;
	if (fwrite(&h, sizeof(h), 1, w->fp) != 1 || fwrite(w->z, zlen, 1, w->fp) != 1 ||
	    fflush(w->fp))
		return errno ? -errno : -EIO;
	w->bytes += sizeof(h) + zlen;
	return 0;
}

static int kv_text(char **out, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int kv_text(char **out, size_t *len, const char *fmt, ...)
{
	FILE *m = open_memstream(out, len);
	va_list ap;

	if (!m)
		return -ENOMEM;
	va_start(ap, fmt);
	vfprintf(m, fmt, ap);
	va_end(ap);
	return fclose(m) ? -ENOMEM : 0;
}

/* Values may not hold newlines: a command line could. */
static void one_line(char *dst, const char *src, size_t len)
{
	snprintf(dst, len, "%s", src);
	for (char *p = dst; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

struct tracefile_writer *tracefile_writer__new(FILE *fp)
{
	struct tracefile_writer *w = calloc(1, sizeof(*w));
	uint32_t hdr[2] = {TRACEFILE_VERSION, 0};

	if (!w)
		return NULL;
	w->fp = fp;
	errno = 0;
	if (fwrite(MAGIC, sizeof(MAGIC), 1, w->fp) != 1 ||
	    fwrite(hdr, sizeof(hdr), 1, w->fp) != 1 || fflush(w->fp)) {
		int err = errno ? errno : EIO;

		free(w);
		errno = err;
		return NULL;
	}
	w->bytes = sizeof(MAGIC) + sizeof(hdr);
	return w;
}

struct tracefile_writer *tracefile_writer__create(const char *path)
{
	FILE *fp = fopen(path, "we");
	struct tracefile_writer *w;
	int err;

	if (!fp)
		return NULL;
	w = tracefile_writer__new(fp);
	if (!w) {
		err = errno;
		fclose(fp);
		errno = err;
		return NULL;
	}
	w->owns_fp = true;
	return w;
}

int tracefile_writer__begin(struct tracefile_writer *w, const struct tracefile_meta *m)
{
	char cmd[sizeof(m->command)], bin[sizeof(m->binary)];
	char py[sizeof(m->python)], probe[sizeof(m->probe)];
	char *text = NULL;
	size_t len;
	int err;

	/* the version string comes from the target's file: it may hold a
	 * newline too, which would forge a key */
	one_line(cmd, m->command, sizeof(cmd));
	one_line(bin, m->binary, sizeof(bin));
	one_line(py, m->python, sizeof(py));
	one_line(probe, m->probe, sizeof(probe));
	err = kv_text(&text, &len,
		      "pid=%u\nabi=%u\nt0=%" PRIu64 "\nwall_sec=%lld\nwall_nsec=%ld\npython=%s\n"
		      "probe=%s\nbinary=%s\ncommand=%s\n",
		      m->pid, m->abi, m->t0, (long long)m->wall_start.tv_sec, m->wall_start.tv_nsec,
		      py, probe, bin, cmd);
	/* only when set: a trace of one process is written as before */
	if (!err && m->follow) {
		char *more = NULL;
		size_t mlen;

		err = kv_text(&more, &mlen, "%sfollow=1\n", text);
		free(text);
		text = more;
		len = mlen;
	}
	/* keys an older reader skips: the file stays readable by it */
	if (!err && *m->cal_how) {
		char how[sizeof(m->cal_how)];
		char *more = NULL;
		size_t morelen;

		one_line(how, m->cal_how, sizeof(how));
		err = kv_text(&more, &morelen,
			      "%scal_hit_ps=%" PRIu64 "\ncal_err_ps=%" PRIu64 "\ncal_how=%s\n",
			      text, m->cal_hit_ps, m->cal_err_ps, how);
		free(text);
		text = more;
		len = morelen;
	}
	/* the container the target was in (procns.h): keys an older reader skips */
	if (!err && m->ns.pid_ns) {
		char cg[sizeof(m->ns.cgroup)];
		char *more = NULL;
		size_t morelen;

		one_line(cg, m->ns.cgroup, sizeof(cg));
		err = kv_text(&more, &morelen,
			      "%sns_pid=%u\nns_foreign=%u\npid_ns=%" PRIu64 "\nmnt_ns=%" PRIu64
			      "\nuser_ns=%" PRIu64 "\ncgroup=%s\n",
			      text, m->ns.ns_pid, m->ns.foreign, m->ns.pid_ns, m->ns.mnt_ns,
			      m->ns.user_ns, cg);
		free(text);
		text = more;
		len = morelen;
	}
	if (!err)
		err = write_block(w, BLOCK_META, text, len);
	free(text);
	return err;
}

int tracefile_writer__flush(struct tracefile_writer *w)
{
	int err;

	if (!w->used)
		return 0;
	err = write_block(w, BLOCK_RECORDS, w->raw, w->used);
	w->used = 0;
	return err;
}

/* bytes an item takes: its 8-byte head and the record padded to 8 */
static size_t item_len(uint32_t size)
{
	return ITEM_HEAD + ((size + 7) & ~(size_t)7);
}

int tracefile_writer__add(struct tracefile_writer *w, const void *rec, uint32_t size)
{
	size_t len = item_len(size);

	if (size > RECORD_MAX)
		return -EINVAL;
	if (w->used + len > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : BLOCK_RAW_TARGET + RECORD_MAX;
		unsigned char *raw = realloc(w->raw, cap);

		if (!raw)
			return -ENOMEM;
		w->raw = raw;
		w->cap = cap;
	}
	uint32_t head[2] = {size, 0};
	memcpy(w->raw + w->used, head, ITEM_HEAD);
	memcpy(w->raw + w->used + ITEM_HEAD, rec, size);
	memset(w->raw + w->used + ITEM_HEAD + size, 0, len - ITEM_HEAD - size);
	w->used += len;
	if (w->used >= BLOCK_RAW_TARGET)
		return tracefile_writer__flush(w);
	return 0;
}

uint64_t tracefile_writer__bytes(const struct tracefile_writer *w)
{
	return w->bytes + w->used;
}

int tracefile_writer__close(struct tracefile_writer *w, const struct tracefile_end *e)
{
	char *text = NULL;
	size_t len;
	int err = tracefile_writer__flush(w);

	if (!e)
		err = 0; /* whatever could be flushed is kept; the error was reported */

	/* without an end the file reads as cut short: an incomplete recording
	 * must not look whole */
	if (!err && e)
		err = kv_text(&text, &len,
			      "t_end=%" PRIu64 "\ndrop_ringbuf=%" PRIu64 "\ndrop_name=%" PRIu64
			      "\ndrop_no_storage=%" PRIu64 "\ndrop_read=%" PRIu64
			      "\ndrop_unplaced=%" PRIu64 "\nexited=%d\n",
			      e->t_end, e->drops[FT_DROP_RINGBUF], e->drops[FT_DROP_NAME],
			      e->drops[FT_DROP_NO_STORAGE], e->drops[FT_DROP_READ],
			      e->drops[FT_DROP_UNPLACED], e->target_exited);
	if (!err && e)
		err = write_block(w, BLOCK_END, text, len);
	free(text);
	if (w->owns_fp && fclose(w->fp) && !err)
		err = -errno;
	free(w->raw);
	free(w->z);
	free(w);
	return err;
}

struct tracefile_reader {
	FILE *fp;
	struct tracefile_meta meta;
	struct tracefile_end end;
	bool has_end, done;
	unsigned char *raw;
	size_t raw_len, pos, cap;
	unsigned char *z;
	size_t zcap;
	uint64_t blocks;
	char bad_key[32]; /* the first META or END value that is not a number in range */
};

/* Reads and checks one block. Returns 1, 0 at a clean end of file, or
 * -EBADMSG with err set. */
static int read_block(struct tracefile_reader *r, uint32_t *type, char *err, size_t errlen)
{
	struct block_hdr h;
	size_t n = fread(&h, 1, sizeof(h), r->fp);

	if (n == 0 && feof(r->fp))
		return 0;
	if (n != sizeof(h)) {
		snprintf(err, errlen, "cut short inside the header of block %" PRIu64,
			 r->blocks + 1);
		return -EBADMSG;
	}
	if (h.magic != BLOCK_MAGIC || h.raw_len > BLOCK_RAW_MAX ||
	    h.zlen > compressBound(BLOCK_RAW_MAX)) {
		snprintf(err, errlen, "block %" PRIu64 " is damaged (bad header)", r->blocks + 1);
		return -EBADMSG;
	}
	if (h.zlen > r->zcap) {
		unsigned char *z = realloc(r->z, h.zlen);
		if (!z) {
			snprintf(err, errlen, "out of memory");
			return -EBADMSG;
		}
		r->z = z;
		r->zcap = h.zlen;
	}
	if (h.raw_len + 1 > r->cap) {
		unsigned char *raw = realloc(r->raw, h.raw_len + 1);
		if (!raw) {
			snprintf(err, errlen, "out of memory");
			return -EBADMSG;
		}
		r->raw = raw;
		r->cap = h.raw_len + 1;
	}
	if (fread(r->z, 1, h.zlen, r->fp) != h.zlen) {
		snprintf(err, errlen, "cut short inside block %" PRIu64, r->blocks + 1);
		return -EBADMSG;
	}
	uLongf len = h.raw_len;
	if (uncompress(r->raw, &len, r->z, h.zlen) != Z_OK || len != h.raw_len ||
	    crc32(0, r->raw, len) != h.crc) {
		snprintf(err, errlen, "block %" PRIu64 " is damaged (checksum)", r->blocks + 1);
		return -EBADMSG;
	}
	r->raw[len] = 0;
	r->raw_len = len;
	r->pos = 0;
	r->blocks++;
	*type = h.type;
	return 1;
}

/* Calls fn for each "key=value" line of the current block. */
static void parse_kv(struct tracefile_reader *r,
		     void (*fn)(struct tracefile_reader *, const char *, const char *))
{
	char *line = (char *)r->raw;

	while (line && *line) {
		char *nl = strchr(line, '\n'), *eq;

		if (nl)
			*nl = 0;
		eq = strchr(line, '=');
		if (eq) {
			*eq = 0;
			fn(r, line, eq + 1);
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* A decimal number no larger than max, with nothing after it; a value
 * that is not one marks the block damaged (its key is kept for the error). */
static uint64_t num(struct tracefile_reader *r, const char *k, const char *v, uint64_t max)
{
	char *end;
	uint64_t x;

	errno = 0;
	x = strtoull(v, &end, 10);
	if (*v < '0' || *v > '9' || *end || errno || x > max) {
		if (!*r->bad_key)
			snprintf(r->bad_key, sizeof(r->bad_key), "%s", k);
		return 0;
	}
	return x;
}

/* Counters, pids and clocks: 2^62 is beyond any real value and keeps sums
 * of them far from wrapping. */
#define NUM_MAX (UINT64_C(1) << 62)

static void meta_kv(struct tracefile_reader *r, const char *k, const char *v)
{
	struct tracefile_meta *m = &r->meta;

	if (!strcmp(k, "pid"))
		m->pid = num(r, k, v, UINT32_MAX);
	else if (!strcmp(k, "abi"))
		m->abi = num(r, k, v, UINT32_MAX);
	else if (!strcmp(k, "follow"))
		m->follow = num(r, k, v, 1);
	else if (!strcmp(k, "t0"))
		m->t0 = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "wall_sec"))
		/* gmtime() handles any year up to 9999 */
		m->wall_start.tv_sec = num(r, k, v, UINT64_C(253402300799));
	else if (!strcmp(k, "wall_nsec"))
		m->wall_start.tv_nsec = num(r, k, v, 999999999);
	else if (!strcmp(k, "python"))
		snprintf(m->python, sizeof(m->python), "%s", v);
	else if (!strcmp(k, "probe"))
		snprintf(m->probe, sizeof(m->probe), "%s", v);
	else if (!strcmp(k, "binary"))
		snprintf(m->binary, sizeof(m->binary), "%s", v);
	else if (!strcmp(k, "command"))
		snprintf(m->command, sizeof(m->command), "%s", v);
	else if (!strcmp(k, "cal_hit_ps"))
		m->cal_hit_ps = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "cal_err_ps"))
		m->cal_err_ps = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "cal_how"))
		snprintf(m->cal_how, sizeof(m->cal_how), "%s", v);
	else if (!strcmp(k, "ns_pid"))
		m->ns.ns_pid = num(r, k, v, UINT32_MAX);
	else if (!strcmp(k, "ns_foreign"))
		m->ns.foreign = num(r, k, v, PROCNS_PID | PROCNS_MNT | PROCNS_USER);
	else if (!strcmp(k, "pid_ns"))
		m->ns.pid_ns = num(r, k, v, UINT64_MAX);
	else if (!strcmp(k, "mnt_ns"))
		m->ns.mnt_ns = num(r, k, v, UINT64_MAX);
	else if (!strcmp(k, "user_ns"))
		m->ns.user_ns = num(r, k, v, UINT64_MAX);
	else if (!strcmp(k, "cgroup"))
		snprintf(m->ns.cgroup, sizeof(m->ns.cgroup), "%s", v);
}

static void end_kv(struct tracefile_reader *r, const char *k, const char *v)
{
	struct tracefile_end *e = &r->end;

	if (!strcmp(k, "t_end"))
		e->t_end = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "drop_ringbuf"))
		e->drops[FT_DROP_RINGBUF] = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "drop_name"))
		e->drops[FT_DROP_NAME] = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "drop_no_storage"))
		e->drops[FT_DROP_NO_STORAGE] = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "drop_read"))
		e->drops[FT_DROP_READ] = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "drop_unplaced"))
		e->drops[FT_DROP_UNPLACED] = num(r, k, v, NUM_MAX);
	else if (!strcmp(k, "exited"))
		e->target_exited = num(r, k, v, 1) != 0;
}

struct tracefile_reader *tracefile_reader__new(FILE *fp, char *err, size_t errlen)
{
	struct tracefile_reader *r = calloc(1, sizeof(*r));
	char magic[sizeof(MAGIC)];
	uint32_t hdr[2], type;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fp = fp;
	if (fread(magic, 1, sizeof(magic), fp) != sizeof(magic) ||
	    memcmp(magic, MAGIC, sizeof(MAGIC))) {
		snprintf(err, errlen, "not a flowtrace-bpf trace file");
		goto fail;
	}
	if (fread(hdr, 1, sizeof(hdr), fp) != sizeof(hdr)) {
		snprintf(err, errlen, "trace file cut short in its header");
		goto fail;
	}
	if (hdr[0] != TRACEFILE_VERSION) {
		snprintf(err, errlen, "trace file version %u is not supported (this is version %u)",
			 hdr[0], (unsigned int)TRACEFILE_VERSION);
		goto fail;
	}
	if (read_block(r, &type, err, errlen) != 1 || type != BLOCK_META) {
		if (!*err)
			snprintf(err, errlen, "trace file has no metadata block");
		goto fail;
	}
	parse_kv(r, meta_kv);
	if (*r->bad_key) {
		snprintf(err, errlen, "the metadata block is damaged (bad value for '%s')",
			 r->bad_key);
		goto fail;
	}
	/* a later ABI only adds record types: every earlier one reads as it was */
	if (r->meta.abi < FT_ABI_OLDEST || r->meta.abi > FT_ABI_VERSION) {
		snprintf(err, errlen, "trace file records use ABI %u; this build reads ABI %u-%u",
			 r->meta.abi, (unsigned int)FT_ABI_OLDEST, (unsigned int)FT_ABI_VERSION);
		goto fail;
	}
	r->raw_len = r->pos = 0;
	return r;
fail:
	tracefile_reader__free(r);
	return NULL;
}

const struct tracefile_meta *tracefile_reader__meta(const struct tracefile_reader *r)
{
	return &r->meta;
}

int tracefile_reader__next(struct tracefile_reader *r, const void **rec, uint32_t *size, char *err,
			   size_t errlen)
{
	while (!r->done) {
		if (r->pos + ITEM_HEAD <= r->raw_len) {
			uint32_t head[2];

			memcpy(head, r->raw + r->pos, ITEM_HEAD);
			if (head[0] > RECORD_MAX || head[1] ||
			    r->pos + item_len(head[0]) > r->raw_len) {
				snprintf(err, errlen, "block %" PRIu64 " holds a damaged record",
					 r->blocks);
				r->done = true;
				return -EBADMSG;
			}
			*rec = r->raw + r->pos + ITEM_HEAD;
			*size = head[0];
			r->pos += item_len(head[0]);
			return 1;
		}
		if (r->pos != r->raw_len) {
			snprintf(err, errlen, "block %" PRIu64 " ends inside a record", r->blocks);
			r->done = true;
			return -EBADMSG;
		}
		uint32_t type;
		int rc = read_block(r, &type, err, errlen);
		if (rc <= 0) {
			r->done = true;
			if (rc == 0 && !r->has_end) {
				snprintf(err, errlen, "the recording was cut short (no end block)");
				return -EBADMSG;
			}
			return rc;
		}
		if (type == BLOCK_END) {
			parse_kv(r, end_kv);
			r->done = true;
			if (*r->bad_key) {
				/* a damaged END is no END: the trace reads as cut short */
				memset(&r->end, 0, sizeof(r->end));
				snprintf(err, errlen,
					 "the end block is damaged (bad value for '%s')",
					 r->bad_key);
				return -EBADMSG;
			}
			r->has_end = true;
			return 0;
		}
		if (type != BLOCK_RECORDS) {
			/* a later version's block: skip it */
			r->raw_len = r->pos = 0;
		}
	}
	return 0;
}

const struct tracefile_end *tracefile_reader__end(const struct tracefile_reader *r)
{
	return r->has_end ? &r->end : NULL;
}

void tracefile_reader__free(struct tracefile_reader *r)
{
	if (!r)
		return;
	free(r->raw);
	free(r->z);
	free(r);
}
