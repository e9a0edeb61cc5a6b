// SPDX-License-Identifier: MIT
/* pylive: pointer sanity, and that a runtime never opened is refused
 * before any memory is read. */
#include <errno.h>

#include "cpython/pylive.h"
#include "cpython/pyruntime.h"
#include "test.h"

FT_TEST(pylive_pointer_sanity)
{
	FT_TRUE(pylive_pointer_ok(0x7f6c1c944000));
	FT_TRUE(pylive_pointer_ok(0x55d0c0a01010));
	FT_TRUE(!pylive_pointer_ok(0));
	FT_TRUE(!pylive_pointer_ok(0x7f6c1c944004));
	FT_TRUE(!pylive_pointer_ok(0xffff888000000000ULL));
	FT_TRUE(!pylive_pointer_ok(0x0100000000000000ULL));
}

FT_TEST(pylive_check_needs_an_opened_runtime)
{
	struct pyruntime rt = {0};
	struct pylive live;
	char why[128] = "";

	FT_EQ_INT(pylive_check(&rt, &live, NULL, 0), -EINVAL);
	FT_EQ_INT(pylive_check(&rt, &live, why, sizeof(why)), -EINVAL);
	FT_TRUE(why[0] != 0);
}
