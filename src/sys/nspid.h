/* SPDX-License-Identifier: MIT */
/* Thread ids across PID namespaces. A process in a container knows its
 * threads by their ids in its own PID namespace (CPython's
 * native_thread_id is gettid() there); /proc and BPF's pid_tgid give them
 * by ours. The NSpid line of /proc/PID/task/TID/status lists a thread's
 * id in every PID namespace from the one /proc was mounted for down to
 * the thread's own: the last one is the id the thread itself sees. */
#ifndef FT_NSPID_H
#define FT_NSPID_H

#include <stddef.h>
#include <stdint.h>

struct nspid_task {
	uint32_t host; /* the id here (its /proc/PID/task entry) */
	uint32_t own;  /* the id in its own PID namespace */
};

/* Parses the NSpid line of a status file's text (len bytes, need not end
 * in NUL): ids[] gets up to max ids, outermost first. Returns how many the
 * line holds (possibly more than max), -ENOENT when the text has no NSpid
 * line (kernels before 4.1), -EINVAL when the line is malformed. */
int nspid_parse(const char *text, size_t len, uint32_t *ids, int max);

/* Every thread of pid with its id in its own PID namespace, in *tasks (n
 * of them; the caller frees it). Where the kernel has no NSpid line, own
 * is the id here (namespaces then cannot be told apart). Threads that
 * end during the listing are left out. Returns 0 or -errno (-ESRCH: no
 * such process). */
int nspid_tasks(int pid, struct nspid_task **tasks, size_t *n);

/* The device and inode of pid's PID namespace (/proc/PID/ns/pid), the
 * device in the kernel's own encoding (major << 20 | minor), which is
 * what bpf_get_ns_current_pid_tgid() compares. Returns 0 or -errno. */
int nspid_ns_of(int pid, uint64_t *dev, uint64_t *ino);

#endif
