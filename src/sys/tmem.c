// SPDX-License-Identifier: MIT
/* The memory of a target process; see tmem.h. */
#include <errno.h>
#include <sys/uio.h>

#include "sys/tmem.h"

int tmem_read(int pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

int tmem_read_u64(int pid, uint64_t addr, uint64_t *v)
{
	return tmem_read(pid, addr, v, sizeof(*v));
}
