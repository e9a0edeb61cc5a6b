// SPDX-License-Identifier: MIT
/* The NSpid line of /proc/PID/task/TID/status. */
#include <errno.h>
#include <string.h>

#include "sys/nspid.h"
#include "test.h"

FT_TEST(nspid_nested_namespaces)
{
	static const char text[] = "Name:\tpython3.12\nTgid:\t5926\nPid:\t5926\n"
				   "NStgid:\t5926\t12\t1\nNSpid:\t5926\t12\t1\nNSpgid:\t5926\n";
	uint32_t ids[4];

	FT_EQ_INT(nspid_parse(text, strlen(text), ids, 4), 3);
	FT_EQ_INT(ids[0], 5926);
	FT_EQ_INT(ids[1], 12);
	FT_EQ_INT(ids[2], 1);
}

FT_TEST(nspid_own_namespace_and_short_buffer)
{
	static const char one[] = "NSpid:\t77\n";
	static const char two[] = "Pid:\t9\nNSpid:\t9\t3"; /* no final newline */
	uint32_t ids[1];

	FT_EQ_INT(nspid_parse(one, strlen(one), ids, 1), 1);
	FT_EQ_INT(ids[0], 77);
	/* more ids than room: the count says so, the first ones are kept */
	FT_EQ_INT(nspid_parse(two, strlen(two), ids, 1), 2);
	FT_EQ_INT(ids[0], 9);
}

FT_TEST(nspid_missing_or_malformed)
{
	static const char none[] = "Name:\tx\nNStgid:\t4\t1\nPid:\t4\n";
	static const char bad[] = "NSpid:\t4x\t1\n";
	static const char empty[] = "NSpid:\t\n";
	static const char big[] = "NSpid:\t4294967296\n";
	static const char notfirst[] = "XNSpid:\t4\n";
	uint32_t ids[4];

	FT_EQ_INT(nspid_parse(none, strlen(none), ids, 4), -ENOENT);
	FT_EQ_INT(nspid_parse(notfirst, strlen(notfirst), ids, 4), -ENOENT);
	FT_EQ_INT(nspid_parse(bad, strlen(bad), ids, 4), -EINVAL);
	FT_EQ_INT(nspid_parse(empty, strlen(empty), ids, 4), -EINVAL);
	FT_EQ_INT(nspid_parse(big, strlen(big), ids, 4), -EINVAL);
	/* a line cut by the length given is read no further */
	FT_EQ_INT(nspid_parse("NSpid:\t12\t3", 9, ids, 4), 1);
	FT_EQ_INT(ids[0], 12);
}
