// SPDX-License-Identifier: MIT
/* tmem: reads of this process's own memory through process_vm_readv, an
 * unmapped address and a process that does not exist. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "sys/tmem.h"
#include "test.h"

FT_TEST(tmem_reads_own_memory)
{
	static const char text[] = "flowtrace";
	uint64_t word = 0x1122334455667788ULL, v = 0;
	char buf[sizeof(text)];

	FT_EQ_INT(tmem_read(getpid(), (uintptr_t)text, buf, sizeof(buf)), 0);
	FT_EQ_STR(buf, text);
	FT_EQ_INT(tmem_read_u64(getpid(), (uintptr_t)&word, &v), 0);
	FT_EQ_U64(v, word);
}

FT_TEST(tmem_refusals)
{
	uint64_t v;

	/* page 0 is never mapped */
	FT_EQ_INT(tmem_read_u64(getpid(), 8, &v), -EFAULT);
	/* above the largest pid the kernel hands out */
	FT_EQ_INT(tmem_read_u64(1 << 23, 8, &v), -ESRCH);
}
