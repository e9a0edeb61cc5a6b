// SPDX-License-Identifier: MIT
/* How a source's failure to load or attach is told: the kind the
 * application maps to an exit status, the line and the hint. */
#include <errno.h>
#include <string.h>

#include "cpython/target.h"
#include "probe/probe_priv.h"
#include "test.h"

FT_TEST(probe_attach_failures)
{
	struct target t = {.pid = 4242};
	struct probe p = {.target = &t};
	struct probe_error e;

	FT_EQ_INT(probe__attach_failed(&p, &e, ESRCH, "cannot attach"), -ESRCH);
	FT_EQ_INT(e.fault, PROBE_FAULT_GONE);
	FT_EQ_STR(e.msg, "process 4242 exited during attach");
	FT_EQ_STR(e.hint, "");

	FT_EQ_INT(probe__attach_failed(&p, &e, EPERM, "cannot load the BPF programs"), -EPERM);
	FT_EQ_INT(e.fault, PROBE_FAULT_PRIVILEGE);
	FT_EQ_STR(e.msg, "cannot load the BPF programs");
	FT_TRUE(strstr(e.hint, "BPF needs root") != NULL);
	FT_EQ_INT(probe__attach_failed(&p, &e, EACCES, "x"), -EACCES);
	FT_EQ_INT(e.fault, PROBE_FAULT_PRIVILEGE);

	FT_EQ_INT(probe__attach_failed(&p, &e, EINVAL, "cannot attach uprobes"), -EINVAL);
	FT_EQ_INT(e.fault, PROBE_FAULT_FAILED);
	FT_EQ_INT(e.err, -EINVAL);
	FT_TRUE(strstr(e.hint, "-vvv") != NULL);
}
