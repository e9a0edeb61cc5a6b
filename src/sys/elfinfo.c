// SPDX-License-Identifier: MIT
/* What an ELF file says about CPython: python stapsdt notes, CPython's
 * exported interpreter symbols, DT_SONAME/DT_NEEDED and the CPython
 * version. Reads the file only through an elfimage (the one ELF reader);
 * the parsers below check every byte: target files may be damaged or
 * hostile. */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/elfimage.h"
#include "sys/elfinfo.h"

#define STAPSDT_OWNER "stapsdt"
#define NT_STAPSDT    3

/* Pieces of a version string are small; the caps reject runs of digits
 * that happen to sit in data and keep the numbers in int range. */
#define VERSION_MAX_DIGITS 3
#define VERSION_MAX_LEN	   32

int elf_parse_stapsdt(const void *desc, size_t len, int addr_size, const char **provider,
		      const char **name)
{
	const char *p = desc, *end;
	const char *strs[3];

	if (!desc || (addr_size != 4 && addr_size != 8))
		return -EINVAL;
	end = p + len;
	/* pc, base and semaphore addresses come first */
	if (len < 3 * (size_t)addr_size)
		return -EINVAL;
	p += 3 * addr_size;
	/* provider, name and argument strings, each NUL-terminated in bounds */
	for (int i = 0; i < 3; i++) {
		const char *nul = memchr(p, '\0', end - p);

		if (!nul)
			return -EINVAL;
		strs[i] = p;
		p = nul + 1;
	}
	if (!*strs[0] || !*strs[1])
		return -EINVAL;
	*provider = strs[0];
	*name = strs[1];
	return 0;
}

/* Parses 1..VERSION_MAX_DIGITS digits at s; returns the end of them or NULL. */
static const char *parse_digits(const char *s, int *val)
{
	int n = 0, v = 0;

	while (n < VERSION_MAX_DIGITS && isdigit((unsigned char)s[n]))
		v = v * 10 + (s[n++] - '0');
	if (!n || isdigit((unsigned char)s[n]))
		return NULL;
	*val = v;
	return s + n;
}

/* Parses "M.m" and any ABI flags at s; returns the end of them or NULL. */
static const char *parse_major_minor(const char *s, int *major, int *minor)
{
	s = parse_digits(s, major);
	if (!s || *s != '.')
		return NULL;
	s = parse_digits(s + 1, minor);
	if (!s)
		return NULL;
	/* ABI flags: d (debug), m (pymalloc, <= 3.7), u (wide unicode, 2.x), t (free-threaded) */
	while (*s && strchr("dmut", *s))
		s++;
	return s;
}

bool elf_version_from_soname(const char *soname, int *major, int *minor)
{
	static const char prefix[] = "libpython";
	const char *s;
	int ma, mi;

	if (!soname || strncmp(soname, prefix, sizeof(prefix) - 1))
		return false;
	s = parse_major_minor(soname + sizeof(prefix) - 1, &ma, &mi);
	if (!s || (*s && strncmp(s, ".so", 3)))
		return false;
	*major = ma;
	*minor = mi;
	return true;
}

/* An interpreter's own name: "python3.9", "python3.6m", "python3.13t-dbg". */
static bool version_from_exe_name(const char *name, int *major, int *minor)
{
	const char *s;
	int ma, mi;

	if (strncmp(name, "python", 6))
		return false;
	s = parse_major_minor(name + 6, &ma, &mi);
	if (!s || (*s && *s != '-'))
		return false;
	*major = ma;
	*minor = mi;
	return true;
}

void elf_version_from_hex(uint32_t hex, char *buf, size_t len)
{
	unsigned major = (hex >> 24) & 0xff, minor = (hex >> 16) & 0xff;
	unsigned micro = (hex >> 8) & 0xff, level = (hex >> 4) & 0xf, serial = hex & 0xf;
	const char *suffix = "";

	if (!buf || !len)
		return;
	switch (level) {
	case 0xa:
		suffix = "a";
		break;
	case 0xb:
		suffix = "b";
		break;
	case 0xc:
		suffix = "rc";
		break;
	default: /* 0xf: final release, no suffix */
		break;
	}
	if (*suffix)
		snprintf(buf, len, "%u.%u.%u%s%u", major, minor, micro, suffix, serial);
	else
		snprintf(buf, len, "%u.%u.%u", major, minor, micro);
}

/* Length of a PY_VERSION-shaped string starting at s ("3.9.18", "3.13.0rc1",
 * "3.10.4+"), NUL-terminated within the n bytes at s, in the requested
 * series; 0 when s does not start one. */
static size_t match_version(const char *s, size_t n, int major, int minor)
{
	const char *end, *p;
	int ma, mi, micro, serial;

	/* the parsers below stop at the NUL; a version string is short */
	end = memchr(s, '\0', n < VERSION_MAX_LEN ? n : VERSION_MAX_LEN);
	if (!end)
		return 0;
	p = parse_digits(s, &ma);
	if (!p || *p != '.' || !(p = parse_digits(p + 1, &mi)))
		return 0;
	if (*p != '.' || !(p = parse_digits(p + 1, &micro)))
		return 0;
	if (*p == 'a' || *p == 'b' || (*p == 'r' && p[1] == 'c')) {
		p += *p == 'r' ? 2 : 1;
		if (!(p = parse_digits(p, &serial)))
			return 0;
	}
	if (*p == '+')
		p++;
	if (p != end)
		return 0;
	if ((major && ma != major) || (minor && mi != minor))
		return 0;
	return end - s;
}

/* A byte that can end the string a tail-merged PY_VERSION is the suffix of
 * ("/root/.pyenv/versions/3.9.18"), without gluing the version to a longer
 * number or word. */
static bool is_separator(char c)
{
	return c == ' ' || (ispunct((unsigned char)c) && c != '.');
}

static bool copy_match(const char *s, size_t n, char *buf, size_t buflen)
{
	if (n >= buflen)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

bool elf_version_from_rodata(const char *data, size_t len, int major, int minor, char *buf,
			     size_t buflen)
{
	size_t n;

	if (!data || !buf || !buflen)
		return false;
	/* a string of its own: the compiler's PY_VERSION literal */
	for (size_t i = 0; i < len; i++) {
		if (i && data[i - 1])
			continue;
		n = match_version(data + i, len - i, major, minor);
		if (n && copy_match(data + i, n, buf, buflen))
			return true;
	}
	/* The linker merges a string into the tail of a longer one ending the
	 * same way, so a prefix like /root/.pyenv/versions/3.9.18 swallows
	 * PY_VERSION. Only trusted when the series is known. */
	if (!major || !minor)
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!isdigit((unsigned char)data[i]) || !is_separator(data[i - 1]))
			continue;
		n = match_version(data + i, len - i, major, minor);
		if (n && copy_match(data + i, n, buf, buflen))
			return true;
	}
	return false;
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

struct note_scan {
	struct elf_info *info;
	int addr_size;
};

static int count_stapsdt(const void *desc, size_t len, void *ctx)
{
	struct note_scan *ns = ctx;
	struct elf_info *info = ns->info;
	const char *provider, *name;

	if (elf_parse_stapsdt(desc, len, ns->addr_size, &provider, &name) ||
	    strcmp(provider, "python"))
		return 0;
	info->nnotes++;
	if (!strcmp(name, "function__entry"))
		info->has_entry = true;
	else if (!strcmp(name, "function__return"))
		info->has_return = true;
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void read_dynamic(const struct elfimage *img, struct elf_info *info)
{
	const char *s = elfimage__soname(img);

	if (s)
		copy_str(info->soname, sizeof(info->soname), s);
	for (size_t i = 0; (s = elfimage__needed(img, i)); i++) {
		if (!strncmp(basename_of(s), "libpython", 9)) {
			info->needs_libpython = true;
			copy_str(info->libpython, sizeof(info->libpython), s);
			break;
		}
	}
}

/* Reads the PY_VERSION_HEX that Py_Version (3.11+, a const unsigned long)
 * holds, from whichever section the symbol lives in: .rodata in most
 * builds, .data.rel.ro in some PIC ones. */
static bool read_py_version(const struct elfimage *img, const struct elfimage_sym *sym,
			    uint32_t *hex)
{
	size_t size = sym->size;
	const uint8_t *p;
	uint64_t v = 0, level;

	if (size != 4 && size != 8)
		return false;
	p = elfimage__symbol_bytes(img, sym, size);
	if (!p)
		return false;
	for (size_t i = 0; i < size; i++) {
		size_t shift = elfimage__big_endian(img) ? size - 1 - i : i;

		v |= (uint64_t)p[i] << (8 * shift);
	}
	/* a sane PY_VERSION_HEX: fits 32 bits, major 2 or more, a known level */
	level = (v >> 4) & 0xf;
	if (v > UINT32_MAX || (v >> 24) < 2 ||
	    (level != 0xa && level != 0xb && level != 0xc && level != 0xf))
		return false;
	*hex = (uint32_t)v;
	return true;
}

static bool rodata_version(const struct elfimage *img, int major, int minor, char *buf,
			   size_t buflen)
{
	const struct elfimage_section *s = elfimage__section_by_name(img, ".rodata");
	char *data = s && s->type == SHT_PROGBITS ? elfimage__section_copy(img, s) : NULL;
	bool found = data && elf_version_from_rodata(data, s->size, major, minor, buf, buflen);

	free(data);
	return found;
}

static void resolve_version(const struct elfimage *img, const char *path, struct elf_info *info)
{
	struct elfimage_sym sym;
	int major = 0, minor = 0;
	uint32_t hex;

	if (!elfimage__symbol_any(img, "Py_Version", &sym) && read_py_version(img, &sym, &hex)) {
		elf_version_from_hex(hex, info->version, sizeof(info->version));
		info->major = (hex >> 24) & 0xff;
		info->minor = (hex >> 16) & 0xff;
		return;
	}
	if (!(info->soname[0] && elf_version_from_soname(info->soname, &major, &minor)) &&
	    !elf_version_from_soname(basename_of(path), &major, &minor) &&
	    !version_from_exe_name(basename_of(path), &major, &minor) &&
	    !(info->libpython[0] && elf_version_from_soname(info->libpython, &major, &minor)))
		return;
	info->major = major;
	info->minor = minor;
	if (!rodata_version(img, major, minor, info->version, sizeof(info->version)))
		snprintf(info->version, sizeof(info->version), "%d.%d", major, minor);
}

int elf_inspect(const char *path, struct elf_info *info)
{
	struct elfimage *img;
	int err;

	memset(info, 0, sizeof(*info));
	img = elfimage__open(path);
	if (!img)
		return -errno;
	err = elf_inspect_image(img, path, info);
	elfimage__free(img);
	return err;
}

int elf_inspect_image(const struct elfimage *img, const char *path, struct elf_info *info)
{
	struct elfimage_sym sym;
	struct note_scan ns = {info, elfimage__addr_size(img)};

	memset(info, 0, sizeof(*info));
	elfimage__notes(img, STAPSDT_OWNER, NT_STAPSDT, count_stapsdt, &ns);
	read_dynamic(img, info);
	info->has_eval_loop = !elfimage__symbol_any(img, "_PyEval_EvalFrameDefault", &sym);
	info->is_cpython = info->has_eval_loop || !elfimage__symbol_any(img, "Py_Initialize", &sym);
	resolve_version(img, path, info);
	return 0;
}
