/* SPDX-License-Identifier: MIT */
/* Python str data, as BPF copies it out of a target (kind 1: Latin-1,
 * 2: UCS-2, 4: UCS-4), made into UTF-8. Pure. */
#ifndef FT_PYSTR_H
#define FT_PYSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Converts n bytes of kind-sized code units at src into UTF-8 at dst,
 * writing at most max - 1 bytes plus a NUL, never splitting a character.
 * Code points that UTF-8 cannot carry (lone surrogates, beyond U+10FFFF)
 * become U+FFFD. Returns the bytes written without the NUL; *cut is set
 * when the text did not fit. Returns -1 for a kind other than 1, 2, 4 or a
 * length that is not a multiple of it. */
long pystr_to_utf8(const void *src, size_t n, int kind, char *dst, size_t max, bool *cut);

#endif /* FT_PYSTR_H */
