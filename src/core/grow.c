// SPDX-License-Identifier: MIT
/* The growth helper (see grow.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/grow.h"

#define MIN_CAP 16

int grow_array(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : MIN_CAP;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -ENOMEM;
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		return -ENOMEM;
	q = realloc(*p, n * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}
