// SPDX-License-Identifier: MIT
/* ELF inspection with libelf: python stapsdt notes, CPython's exported
 * interpreter symbols, DT_SONAME/DT_NEEDED and the CPython version. Every
 * libelf result is checked: target files may be damaged or hostile. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sys/elfinfo.h"
#include "sys/tfile.h"

#define STAPSDT_OWNER "stapsdt"
#define NT_STAPSDT    3

/* Pieces of a version string are small; the caps reject runs of digits
 * that happen to sit in data and keep the numbers in int range. */
#define VERSION_MAX_DIGITS 3
#define VERSION_MAX_LEN	   32

struct sym_scan {
	bool eval_frame, initialize;
	bool have_version;
	GElf_Sym version;
};

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

static void scan_notes(Elf_Scn *scn, int addr_size, struct elf_info *info)
{
	Elf_Data *data = NULL;

	while ((data = elf_getdata(scn, data))) {
		size_t off = 0, next, name_off, desc_off;
		GElf_Nhdr nhdr;

		while (off < data->d_size &&
		       (next = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			const char *base = data->d_buf, *provider, *name;

			off = next;
			if (nhdr.n_type != NT_STAPSDT || nhdr.n_namesz != sizeof(STAPSDT_OWNER) ||
			    memcmp(base + name_off, STAPSDT_OWNER, sizeof(STAPSDT_OWNER)))
				continue;
			/* gelf_getnote checked the bounds; checked again cheaply */
			if (desc_off > data->d_size || nhdr.n_descsz > data->d_size - desc_off)
				continue;
			if (elf_parse_stapsdt(base + desc_off, nhdr.n_descsz, addr_size, &provider,
					      &name))
				continue;
			if (strcmp(provider, "python"))
				continue;
			info->nnotes++;
			if (!strcmp(name, "function__entry"))
				info->has_entry = true;
			else if (!strcmp(name, "function__return"))
				info->has_return = true;
		}
	}
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static void scan_dynamic(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, struct elf_info *info)
{
	size_t entsize = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
	Elf_Data *data = elf_getdata(scn, NULL);

	if (!data || !entsize)
		return;
	for (size_t i = 0; i < data->d_size / entsize; i++) {
		GElf_Dyn dyn;
		const char *s;

		if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != DT_SONAME && dyn.d_tag != DT_NEEDED)
			continue;
		s = elf_strptr(elf, shdr->sh_link, dyn.d_un.d_val);
		if (!s)
			continue;
		if (dyn.d_tag == DT_SONAME) {
			copy_str(info->soname, sizeof(info->soname), s);
		} else if (!info->needs_libpython && !strncmp(basename_of(s), "libpython", 9)) {
			info->needs_libpython = true;
			copy_str(info->libpython, sizeof(info->libpython), s);
		}
	}
}

static void scan_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr, struct sym_scan *ss)
{
	size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Data *data = elf_getdata(scn, NULL);

	if (!data || !entsize)
		return;
	for (size_t i = 0; i < data->d_size / entsize; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name)
			continue;
		name = elf_strptr(elf, shdr->sh_link, sym.st_name);
		if (!name || (name[0] != '_' && name[0] != 'P'))
			continue;
		if (!strcmp(name, "_PyEval_EvalFrameDefault")) {
			ss->eval_frame = true;
		} else if (!strcmp(name, "Py_Initialize")) {
			ss->initialize = true;
		} else if (!strcmp(name, "Py_Version") && !ss->have_version) {
			ss->have_version = true;
			ss->version = sym;
		}
	}
}

/* Reads the PY_VERSION_HEX that Py_Version (3.11+, a const unsigned long)
 * holds, from whichever section the symbol lives in: .rodata in most
 * builds, .data.rel.ro in some PIC ones. */
static bool read_py_version(Elf *elf, const GElf_Ehdr *ehdr, const GElf_Sym *sym, uint32_t *hex)
{
	size_t size = sym->st_size, off;
	const unsigned char *p = NULL;
	Elf_Data *data = NULL;
	uint64_t v = 0, level;
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if ((size != 4 && size != 8) || sym->st_shndx >= SHN_LORESERVE)
		return false;
	scn = elf_getscn(elf, sym->st_shndx);
	if (!scn || !gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
		return false;
	/* st_value is an address in linked files, a section offset in ET_REL */
	if (ehdr->e_type == ET_REL) {
		off = sym->st_value;
	} else {
		if (sym->st_value < shdr.sh_addr)
			return false;
		off = sym->st_value - shdr.sh_addr;
	}
	if (off > shdr.sh_size || size > shdr.sh_size - off)
		return false;
	while ((data = elf_getdata(scn, data))) {
		size_t doff = data->d_off;

		if (data->d_buf && off >= doff && off - doff <= data->d_size &&
		    size <= data->d_size - (off - doff)) {
			p = (const unsigned char *)data->d_buf + (off - doff);
			break;
		}
	}
	if (!p)
		return false;
	for (size_t i = 0; i < size; i++) {
		size_t shift = ehdr->e_ident[EI_DATA] == ELFDATA2MSB ? size - 1 - i : i;

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

static bool rodata_version(Elf_Scn *rodata, int major, int minor, char *buf, size_t buflen)
{
	Elf_Data *data = NULL;

	if (!rodata)
		return false;
	while ((data = elf_getdata(rodata, data))) {
		if (data->d_buf &&
		    elf_version_from_rodata(data->d_buf, data->d_size, major, minor, buf, buflen))
			return true;
	}
	return false;
}

static void resolve_version(Elf *elf, const GElf_Ehdr *ehdr, const char *path, Elf_Scn *rodata,
			    const struct sym_scan *ss, struct elf_info *info)
{
	int major = 0, minor = 0;
	uint32_t hex;

	if (ss->have_version && read_py_version(elf, ehdr, &ss->version, &hex)) {
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
	if (!rodata_version(rodata, major, minor, info->version, sizeof(info->version)))
		snprintf(info->version, sizeof(info->version), "%d.%d", major, minor);
}

int elf_inspect(const char *path, struct elf_info *info)
{
	int fd, err;

	memset(info, 0, sizeof(*info));
	fd = tfile_open(path);
	if (fd < 0)
		return fd;
	err = elf_inspect_fd(fd, path, info);
	close(fd);
	return err;
}

int elf_inspect_fd(int fd, const char *path, struct elf_info *info)
{
	struct sym_scan ss = {0};
	Elf_Scn *scn = NULL, *rodata = NULL;
	size_t shstrndx;
	bool have_shstr;
	GElf_Ehdr ehdr;
	Elf *elf = NULL;
	int err = 0, addr_size;

	memset(info, 0, sizeof(*info));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	switch (gelf_getclass(elf)) {
	case ELFCLASS32:
		addr_size = 4;
		break;
	case ELFCLASS64:
		addr_size = 8;
		break;
	default:
		err = -ENOEXEC;
		goto cleanup;
	}
	have_shstr = elf_getshdrstrndx(elf, &shstrndx) == 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		switch (shdr.sh_type) {
		case SHT_NOTE:
			scan_notes(scn, addr_size, info);
			break;
		case SHT_DYNAMIC:
			scan_dynamic(elf, scn, &shdr, info);
			break;
		case SHT_DYNSYM:
		case SHT_SYMTAB:
			scan_symbols(elf, scn, &shdr, &ss);
			break;
		case SHT_PROGBITS:
			name = have_shstr ? elf_strptr(elf, shstrndx, shdr.sh_name) : NULL;
			if (name && !strcmp(name, ".rodata") && !rodata)
				rodata = scn;
			break;
		default:
			break;
		}
	}
	info->is_cpython = ss.eval_frame || ss.initialize;
	info->has_eval_loop = ss.eval_frame;
	resolve_version(elf, &ehdr, path, rodata, &ss, info);
cleanup:
	if (elf)
		elf_end(elf);
	return err;
}
