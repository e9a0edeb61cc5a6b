// SPDX-License-Identifier: MIT
/* Launch mode: which signals the tracer passes on to the command. */
#include <signal.h>

#include "app/launch.h"
#include "test.h"

FT_TEST(launch_forward_rule)
{
	/* kill(2) or sigqueue(3) by some process to the tracer: passed on */
	FT_TRUE(launch_should_forward(SI_USER, 1, 4242));
	FT_TRUE(launch_should_forward(SI_QUEUE, 77, 4242));
	FT_TRUE(launch_should_forward(SI_TKILL, 77, 4242));
	/* a terminal's signal went to the command too */
	FT_TRUE(!launch_should_forward(SI_KERNEL, 0, 4242));
	/* the command's own would only come back to it */
	FT_TRUE(!launch_should_forward(SI_USER, 4242, 4242));
}
