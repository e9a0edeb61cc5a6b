/* SPDX-License-Identifier: MIT */
/* The memory of a target process, read with process_vm_readv(2): root, or
 * ptrace-level access to the target. Nothing is ever written into it. */
#ifndef FT_TMEM_H
#define FT_TMEM_H

#include <stddef.h>
#include <stdint.h>

/* len bytes at addr in pid. Returns 0, -EFAULT (unmapped, or only partly
 * read), -ESRCH (no such process) or -EPERM (not ours to read). */
int tmem_read(int pid, uint64_t addr, void *buf, size_t len);

/* The 8 bytes at addr, in the byte order of this machine (the target's). */
int tmem_read_u64(int pid, uint64_t addr, uint64_t *v);

#endif /* FT_TMEM_H */
