/* SPDX-License-Identifier: MIT */
/* The one growth helper for arrays that only get longer. Pure. */
#ifndef FT_GROW_H
#define FT_GROW_H

#include <stddef.h>

/* Makes room for need elements of elem bytes in the array *p of *cap
 * elements: the capacity doubles (from 16) until it holds need, so n
 * appends cost O(n) copying in all. Returns 0 or -ENOMEM (also when the
 * size would overflow); on failure *p and *cap are unchanged and *p is
 * still valid. New elements are not initialised; elem > 0. */
int grow_array(void **p, size_t *cap, size_t need, size_t elem);

#endif /* FT_GROW_H */
