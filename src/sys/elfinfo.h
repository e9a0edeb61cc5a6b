/* SPDX-License-Identifier: MIT */
/* What flowtrace-bpf needs to know about one ELF file: its python USDT
 * notes, whether it is a CPython interpreter, and which version. Reads the
 * file through an elfimage (sys/elfimage.h); touches no process. */
#ifndef FT_ELFINFO_H
#define FT_ELFINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elf_info {
	bool has_entry;	 /* stapsdt note python:function__entry */
	bool has_return; /* stapsdt note python:function__return */
	bool is_cpython; /* exports CPython's interpreter (_PyEval_EvalFrameDefault or Py_Initialize) */
	bool has_eval_loop; /* defines _PyEval_EvalFrameDefault (and so CPython's marker helpers) */
	bool needs_libpython; /* DT_NEEDED names a libpython */
	char soname[128];     /* DT_SONAME, or "" */
	char libpython[128];  /* the DT_NEEDED libpython name, or "" */
	char version[32];     /* "3.9.2", "3.11.2", or "" when it cannot be told */
	int major, minor;     /* from version, soname or needed name; 0 when unknown */
	unsigned nnotes;      /* python provider notes of any name */
};

struct elfimage;

/* Fills info from the ELF at path (opened with elfimage__open: a target's
 * file is never waited on). Returns 0, -ENOENT/-EACCES/... when the file
 * cannot be opened, -TFILE_NOT_REGULAR when it is no regular file, or
 * -ENOEXEC when it is not an ELF file. For a file read once more later,
 * open the image and use elf_inspect_image. */
int elf_inspect(const char *path, struct elf_info *info);
/* The same for an image already open; path names the file (its base name
 * may tell the version). Returns 0. */
int elf_inspect_image(const struct elfimage *img, const char *path, struct elf_info *info);

/* Pure helpers, exposed for the unit tests. */

/* Parses one stapsdt note descriptor (after the note header): sets
 * provider/name to point into desc. Returns 0 or -EINVAL. */
int elf_parse_stapsdt(const void *desc, size_t len, int addr_size, const char **provider,
		      const char **name);

/* "libpython3.9.so.1.0" or "libpython3.13t.so" -> major/minor. Returns true on success. */
bool elf_version_from_soname(const char *soname, int *major, int *minor);

/* PY_VERSION_HEX (Py_Version, 3.11+) -> "3.11.2", "3.13.0rc1". */
void elf_version_from_hex(uint32_t hex, char *buf, size_t len);

/* Finds PY_VERSION among the NUL-separated strings of a read-only data
 * section: a string that is exactly "M.m.p" with an optional a/b/rc suffix
 * and '+'; when major/minor are non-zero only that series matches. Copies it
 * to buf and returns true when found. */
bool elf_version_from_rodata(const char *data, size_t len, int major, int minor, char *buf,
			     size_t buflen);

#endif /* FT_ELFINFO_H */
