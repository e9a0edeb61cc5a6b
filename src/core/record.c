// SPDX-License-Identifier: MIT
/* Record decoding: every field is checked against the record's size before
 * use, so a damaged record is counted and skipped, never trusted. */
#include <errno.h>
#include <string.h>

#include "core/calltree.h"
#include "flowtrace/event.h"
#include "core/names.h"
#include "core/record.h"

static int apply_name(struct names *names, const struct ft_rec_name *r, size_t size)
{
	const char *func = r->data, *file;
	size_t flen = r->func_len, plen = r->file_len;
	uint32_t flags = 0;

	if (flen < 1 || plen < 1 || sizeof(*r) + flen + plen > size)
		return -EINVAL;
	file = r->data + flen;
	/* lengths count the NUL BPF copied; trust them only that far */
	flen = strnlen(func, flen);
	plen = strnlen(file, plen);
	if (r->hdr.flags & FT_NAME_F_FUNC_CUT)
		flags |= FT_NAME_FUNC_CUT;
	if (r->hdr.flags & FT_NAME_F_FILE_CUT)
		flags |= FT_NAME_FILE_CUT;
	if ((r->hdr.flags & FT_NAME_F_READ_ERR) && flen == 0) {
		func = "<unreadable>";
		flen = strlen(func);
	}
	return names__bind(names, r->hdr.arg, func, flen, file, plen, r->line, flags);
}

int record_apply(struct calltree *ct, struct names *names, uint32_t tgid, const void *data,
		 size_t size, struct record_stats *st)
{
	const struct ft_rec_hdr *h = data;
	int err;

	if (size < sizeof(*h)) {
		st->malformed++;
		return 0;
	}
	if (h->type == RECORD_COST) {
		/* the tracer's own: of no process */
		const struct record_cost *c = data;

		if (size < sizeof(*c)) {
			st->malformed++;
			return 0;
		}
		st->costs++;
		calltree__set_cal(ct, &(struct calltree_cal){c->hit_ps, c->err_ps});
		return 0;
	}
	if (tgid && h->tgid != tgid) {
		st->foreign++;
		return 0;
	}
	switch (h->type) {
	case FT_REC_ENTRY:
		st->events++;
		if (h->flags & FT_ENTRY_F_RUNNING)
			return calltree__push_running(ct, h->tid, h->ts, h->seq, h->depth,
						      names__id(names, h->arg));
		return calltree__push(ct, h->tid, h->ts, h->seq, h->depth,
				      names__id(names, h->arg));
	case FT_REC_RETURN:
		st->events++;
		return calltree__pop(ct, h->tid, h->ts, h->seq, h->depth, names__id(names, h->arg));
	case FT_REC_NAME:
		if (size < sizeof(struct ft_rec_name)) {
			st->malformed++;
			return 0;
		}
		err = apply_name(names, data, size);
		if (err == -EINVAL) {
			st->malformed++;
			return 0;
		}
		st->names++;
		return err;
	case FT_REC_THREAD: {
		const struct ft_rec_thread *r = data;
		char comm[sizeof(r->comm) + 1];

		if (size < FT_REC_THREAD_MIN) {
			st->malformed++;
			return 0;
		}
		memcpy(comm, r->comm, sizeof(r->comm));
		comm[sizeof(r->comm)] = 0;
		st->threads++;
		err = calltree__thread(ct, h->tid, comm);
		if (!err)
			err = calltree__thread_pid(ct, h->tid, h->tgid);
		/* the namespace ids came later in ABI 2: an older record has none */
		if (!err && size >= sizeof(*r))
			err = calltree__thread_ns(ct, h->tid, r->ns_tid, r->ns_pid);
		return err;
	}
	case FT_REC_TASK:
		/* the asyncio task view's (core/tasks.c): no call of the tree */
		if (size < sizeof(struct ft_rec_task)) {
			st->malformed++;
			return 0;
		}
		st->tasks++;
		return 0;
	case FT_REC_EXEC:
		if (size < sizeof(struct ft_rec_exec)) {
			st->malformed++;
			return 0;
		}
		st->execs++;
		return calltree__exec_pid(ct, h->tgid, h->tid, h->ts);
	default:
		st->malformed++;
		return 0;
	}
}
