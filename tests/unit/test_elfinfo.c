// SPDX-License-Identifier: MIT
/* ELF inspection: stapsdt descriptors, version parsers, and elf_inspect on
 * synthetic ELF files written with libelf (32/64-bit, both byte orders,
 * ET_EXEC/ET_DYN, Py_Version in .rodata or .data.rel.ro), on damaged copies
 * of them, on non-ELF files and on the system's python3.11. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cpython/opcodes.h"
#include "cpython/pylayout.h"
#include "sys/elfimage.h"
#include "sys/elfinfo.h"
#include "sys/tfile.h"
#include "test.h"

#define PYTHON311 "/usr/bin/python3.11"

/* --- stapsdt descriptors ------------------------------------------------ */

/* addr_size zero bytes (pc, base, semaphore) then strs[len] verbatim */
static size_t make_desc(char *buf, int addr_size, const char *strs, size_t len)
{
	memset(buf, 0, 3 * addr_size);
	memcpy(buf + 3 * addr_size, strs, len);
	return 3 * addr_size + len;
}

/* a literal and its length, NULs included; "\000" is a NUL before a digit */
#define S(lit) lit, sizeof(lit) - 1

FT_TEST(elf_parse_stapsdt_table)
{
	static const struct {
		int addr_size;
		const char *strs;
		size_t len;
		int ret;
		const char *provider, *name;
	} cases[] = {
		{8, S("python\0function__entry\0-8@%rdi -8@%rsi -4@%edx\0"), 0, "python",
		 "function__entry"},
		{4, S("python\0function__return\08@%eax\0"), 0, "python", "function__return"},
		{8, S("libc\0setjmp\0\0"), 0, "libc", "setjmp"}, /* empty args */
		{8, S("python\0function__entry\0-8@%rdi"), -EINVAL, NULL,
		 NULL},							/* args unterminated */
		{8, S("python\0function__entry"), -EINVAL, NULL, NULL}, /* no args */
		{8, S("python\0"), -EINVAL, NULL, NULL},
		{8, S("python"), -EINVAL, NULL, NULL},
		{8, S(""), -EINVAL, NULL, NULL},		      /* addresses only */
		{8, S("\0function__entry\0\0"), -EINVAL, NULL, NULL}, /* empty provider */
		{8, S("python\0\0\0"), -EINVAL, NULL, NULL},	      /* empty name */
		{2, S("python\0function__entry\0\0"), -EINVAL, NULL, NULL},
		{0, S("python\0function__entry\0\0"), -EINVAL, NULL, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		int as = cases[i].addr_size > 0 ? cases[i].addr_size : 8;
		size_t len = make_desc(buf, as, cases[i].strs, cases[i].len);
		const char *provider = NULL, *name = NULL;

		FT_EQ_INT(elf_parse_stapsdt(buf, len, cases[i].addr_size, &provider, &name),
			  cases[i].ret);
		if (cases[i].ret)
			continue;
		FT_EQ_STR(provider, cases[i].provider);
		FT_EQ_STR(name, cases[i].name);
	}
}

FT_TEST(elf_parse_stapsdt_short)
{
	char buf[64];
	size_t len = make_desc(buf, 8, S("python\0function__entry\0\0"));
	const char *provider, *name;

	/* every prefix of a valid descriptor is rejected, never read past */
	for (size_t l = 0; l < len; l++)
		FT_EQ_INT(elf_parse_stapsdt(buf, l, 8, &provider, &name), -EINVAL);
	FT_EQ_INT(elf_parse_stapsdt(buf, len, 8, &provider, &name), 0);
	/* addresses that are too short for 8-byte words */
	FT_EQ_INT(elf_parse_stapsdt(buf, 23, 8, &provider, &name), -EINVAL);
	FT_EQ_INT(elf_parse_stapsdt(NULL, 0, 8, &provider, &name), -EINVAL);
}

/* --- version parsers ---------------------------------------------------- */

FT_TEST(elf_version_from_soname_table)
{
	static const struct {
		const char *s;
		bool ok;
		int major, minor;
	} cases[] = {
		{"libpython3.9.so.1.0", true, 3, 9},
		{"libpython3.13t.so", true, 3, 13},
		{"libpython2.7.so.1.0", true, 2, 7},
		{"libpython3.6m.so.1.0", true, 3, 6},
		{"libpython3.12d.so.1.0", true, 3, 12},
		{"libpython3.10.so", true, 3, 10},
		{"libpython3.so", false, 0, 0},
		{"libpython.so", false, 0, 0},
		{"libpython3.9.a", false, 0, 0},
		{"libpython3.9x.so", false, 0, 0},
		{"libpython3..so", false, 0, 0},
		{"libpython3.1234.so", false, 0, 0},
		{"python3.9", false, 0, 0},
		{"libperl.so.5.36", false, 0, 0},
		{"/usr/lib/libpython3.9.so.1.0", false, 0, 0}, /* a soname, not a path */
		{"", false, 0, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int major = -1, minor = -1;
		bool ok = elf_version_from_soname(cases[i].s, &major, &minor);

		if (ok != cases[i].ok)
			FT_FAIL("%s: got %d", cases[i].s, ok);
		if (!ok) {
			FT_EQ_INT(major, -1);
			continue;
		}
		FT_EQ_INT(major, cases[i].major);
		FT_EQ_INT(minor, cases[i].minor);
	}
	FT_TRUE(!elf_version_from_soname(NULL, NULL, NULL));
}

FT_TEST(elf_version_from_hex_table)
{
	static const struct {
		uint32_t hex;
		const char *s;
	} cases[] = {
		{0x030B02F0, "3.11.2"},		 {0x030B07F0, "3.11.7"},
		{0x030D00C1, "3.13.0rc1"},	 {0x030C00A7, "3.12.0a7"},
		{0x030E00B3, "3.14.0b3"},	 {0x020712F0, "2.7.18"},
		{0x030F0000 | 0xA1, "3.15.0a1"},
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		elf_version_from_hex(cases[i].hex, buf, sizeof(buf));
		FT_EQ_STR(buf, cases[i].s);
	}
	/* a short buffer truncates and stays terminated */
	memset(buf, 'x', sizeof(buf));
	elf_version_from_hex(0x030D00C1, buf, 5);
	FT_EQ_STR(buf, "3.13");
	FT_EQ_INT(buf[5], 'x');
}

FT_TEST(elf_version_from_rodata_table)
{
	static const struct {
		const char *data;
		size_t len;
		int major, minor;
		const char *want; /* NULL: not found */
	} cases[] = {
		{S("\0foo\0003.9.18\0bar\0"), 3, 9, "3.9.18"},
		{S("\0foo\0003.9.18\0bar\0"), 0, 0, "3.9.18"},
		{S("\0foo\0003.9.18\0bar\0"), 3, 10, NULL},
		{S("\0foo\0003.9.18\0bar\0"), 2, 0, NULL},
		{S("3.11.2\0"), 3, 11, "3.11.2"}, /* the section's first string */
		{S("\0003.9.18"), 3, 9, NULL},	  /* unterminated at the end */
		{S("\0003.13.0rc1\0"), 3, 13, "3.13.0rc1"},
		{S("\0003.12.0a7\0"), 0, 0, "3.12.0a7"},
		{S("\0003.14.0b3\0"), 3, 14, "3.14.0b3"},
		{S("\0003.10.4+\0"), 3, 10, "3.10.4+"},
		{S("\0003.9.18.1\0"), 0, 0, NULL},
		{S("\0003.9\0"), 0, 0, NULL},
		{S("\0003.9.18rc\0"), 0, 0, NULL},
		{S("\0003.9.18c1\0"), 0, 0, NULL},
		{S("\0003.9.18 \0"), 0, 0, NULL},
		{S("\0003.9.18++\0"), 0, 0, NULL},
		{S("\0001234.5.6\0"), 0, 0, NULL},
		{S("\00013.9.18\0"), 3, 9, NULL},
		{S("\0ver3.9.18\0"), 3, 9, NULL},
		{S("\0v3.9.18\0"), 0, 0, NULL},
		/* zlib's version before CPython's: the series picks */
		{S("\0001.2.13\0003.11.2\0"), 3, 11, "3.11.2"},
		{S("\0001.2.13\0003.11.2\0"), 0, 0, "1.2.13"},
		/* PY_VERSION tail-merged into an install prefix (pyenv) */
		{S("\0/root/.pyenv/versions/3.9.18\0python3.9\0"), 3, 9, "3.9.18"},
		{S("\0/root/.pyenv/versions/3.9.18\0python3.9\0"), 0, 0, NULL},
		{S("\0/root/.pyenv/versions/3.9.18\0python3.9\0"), 3, 8, NULL},
		{S("\0Python-3.9.18\0"), 3, 9, "3.9.18"},
		{S("\0/opt/py3.9.18\0"), 3, 9, NULL},
		/* a string of its own wins over a merged one */
		{S("\0/opt/3.9.1\0003.9.18\0"), 3, 9, "3.9.18"},
		{S(""), 0, 0, NULL},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32] = "";
		bool ok = elf_version_from_rodata(cases[i].data, cases[i].len, cases[i].major,
						  cases[i].minor, buf, sizeof(buf));

		if (ok != (cases[i].want != NULL))
			FT_FAIL("case %zu: found=%d (%s)", i, ok, buf);
		if (ok)
			FT_EQ_STR(buf, cases[i].want);
	}
}

FT_TEST(elf_version_from_rodata_small_buffer)
{
	char buf[6];

	/* "3.9.18" needs 7 bytes: not found rather than cut */
	FT_TRUE(!elf_version_from_rodata(S("\0003.9.18\0"), 3, 9, buf, sizeof(buf)));
	FT_TRUE(elf_version_from_rodata(S("\0003.9.1\0"), 3, 9, buf, sizeof(buf)));
	FT_EQ_STR(buf, "3.9.1");
}

/* --- synthetic ELF files ------------------------------------------------ */

enum { SEC_RODATA = 1, SEC_RELRO, SEC_NOTE, SEC_DYNSTR, SEC_DYNSYM, SEC_DYNAMIC, SEC_SHSTR };

struct fake_sym {
	const char *name;
	int shndx; /* SEC_RODATA, SEC_RELRO or SHN_UNDEF */
	uint64_t value, size;
};

struct fake_elf {
	int cls, data, type;
	const char *soname, *needed;
	const void *notes;
	size_t notes_len;
	const void *rodata;
	size_t rodata_len;
	uint64_t rodata_addr;
	const void *relro;
	size_t relro_len;
	uint64_t relro_addr;
	struct fake_sym syms[4];
};

struct buf {
	unsigned char b[1024];
	size_t len;
};

static void put(struct buf *b, uint64_t v, int size, int data)
{
	for (int i = 0; i < size; i++) {
		int shift = data == ELFDATA2MSB ? size - 1 - i : i;

		b->b[b->len++] = (v >> (8 * shift)) & 0xff;
	}
}

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->len, p, n);
	b->len += n;
	while (b->len % 4)
		b->b[b->len++] = 0;
}

/* One note in file byte order: owner and descriptor padded to 4 bytes. */
static void add_note(struct buf *b, int data, const char *owner, uint32_t type, const void *desc,
		     size_t desclen)
{
	put(b, strlen(owner) + 1, 4, data);
	put(b, desclen, 4, data);
	put(b, type, 4, data);
	put_bytes(b, owner, strlen(owner) + 1);
	put_bytes(b, desc, desclen);
}

static void add_stapsdt(struct buf *b, int data, int addr_size, const char *strs, size_t len)
{
	char desc[256];

	add_note(b, data, "stapsdt", 3, desc, make_desc(desc, addr_size, strs, len));
}

/* A memfd holding the file; returns "/proc/self/fd/N" in path. */
static int memfd_path(char *path, size_t len)
{
	int fd = memfd_create("elfinfo-test", 0);

	if (fd < 0)
		FT_FAIL("memfd_create: %s", strerror(errno));
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

static Elf_Scn *new_section(Elf *elf, const char *name, size_t name_off, uint32_t type,
			    uint64_t addr, const void *buf, size_t size, Elf_Type dtype,
			    uint32_t link, uint64_t entsize)
{
	Elf_Scn *scn = elf_newscn(elf);
	Elf_Data *d;
	GElf_Shdr shdr;

	FT_TRUE(scn);
	d = elf_newdata(scn);
	FT_TRUE(d);
	d->d_buf = (void *)buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = dtype == ELF_T_BYTE ? 1 : 8;
	if (type == SHT_NOTE)
		d->d_align = 4;
	FT_TRUE(gelf_getshdr(scn, &shdr));
	shdr.sh_name = name_off;
	shdr.sh_type = type;
	shdr.sh_addr = addr;
	shdr.sh_link = link;
	shdr.sh_entsize = entsize;
	shdr.sh_flags = type == SHT_NOTE || !strcmp(name, ".shstrtab") ? 0 : SHF_ALLOC;
	FT_TRUE(gelf_update_shdr(scn, &shdr));
	return scn;
}

/* Writes f as an ELF file into a memfd; returns the fd, path set. */
static int write_fake(const struct fake_elf *f, char *path, size_t pathlen)
{
	static const char shstr[] = "\0.rodata\0.data.rel.ro\0.note.stapsdt\0.dynstr\0.dynsym\0"
				    ".dynamic\0.shstrtab";
	char dynstr[256] = "";
	size_t dynstr_len = 1, soname_off = 0, needed_off = 0, sym_off[4] = {0};
	int fd = memfd_path(path, pathlen), nsyms = 1, ndyn = 0;
	size_t symsz, dynsz;
	unsigned char *syms, *dyns;
	Elf_Data *d;
	GElf_Ehdr eh;
	Elf *elf;

	FT_TRUE(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	FT_TRUE(elf);
	FT_TRUE(gelf_newehdr(elf, f->cls));
	FT_TRUE(gelf_getehdr(elf, &eh));
	eh.e_ident[EI_DATA] = f->data;
	eh.e_type = f->type;
	eh.e_machine = f->cls == ELFCLASS32	? EM_386
		       : f->data == ELFDATA2MSB ? EM_PPC64
						: EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_shstrndx = SEC_SHSTR;
	FT_TRUE(gelf_update_ehdr(elf, &eh));

#define ADD_STR(s, off)                         \
	do {                                    \
		off = dynstr_len;               \
		strcpy(dynstr + dynstr_len, s); \
		dynstr_len += strlen(s) + 1;    \
	} while (0)
	if (f->soname)
		ADD_STR(f->soname, soname_off);
	if (f->needed)
		ADD_STR(f->needed, needed_off);
	for (int i = 0; i < 4 && f->syms[i].name; i++, nsyms++)
		ADD_STR(f->syms[i].name, sym_off[i]);
#undef ADD_STR

	new_section(elf, ".rodata", 1, SHT_PROGBITS, f->rodata_addr, f->rodata, f->rodata_len,
		    ELF_T_BYTE, 0, 0);
	new_section(elf, ".data.rel.ro", 9, SHT_PROGBITS, f->relro_addr, f->relro, f->relro_len,
		    ELF_T_BYTE, 0, 0);
	new_section(elf, ".note.stapsdt", 22, SHT_NOTE, 0, f->notes, f->notes_len, ELF_T_BYTE, 0,
		    0);
	new_section(elf, ".dynstr", 36, SHT_STRTAB, 0, dynstr, dynstr_len, ELF_T_BYTE, 0, 0);

	symsz = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	syms = calloc(nsyms, symsz);
	FT_TRUE(syms);
	d = elf_getdata(new_section(elf, ".dynsym", 44, SHT_DYNSYM, 0, syms, nsyms * symsz,
				    ELF_T_SYM, SEC_DYNSTR, symsz),
			NULL);
	for (int i = 1; i < nsyms; i++) {
		const struct fake_sym *s = &f->syms[i - 1];
		GElf_Sym sym = {
			.st_name = sym_off[i - 1],
			.st_info = GELF_ST_INFO(STB_GLOBAL, STT_OBJECT),
			.st_shndx = s->shndx,
			.st_value = s->value,
			.st_size = s->size,
		};
		FT_TRUE(gelf_update_sym(d, i, &sym));
	}

	dynsz = gelf_fsize(elf, ELF_T_DYN, 1, EV_CURRENT);
	dyns = calloc(4, dynsz);
	FT_TRUE(dyns);
	d = elf_getdata(new_section(elf, ".dynamic", 52, SHT_DYNAMIC, 0, dyns, 4 * dynsz, ELF_T_DYN,
				    SEC_DYNSTR, dynsz),
			NULL);
	if (f->soname) {
		GElf_Dyn dyn = {.d_tag = DT_SONAME, .d_un.d_val = soname_off};
		FT_TRUE(gelf_update_dyn(d, ndyn++, &dyn));
	}
	if (f->needed) {
		GElf_Dyn dyn = {.d_tag = DT_NEEDED, .d_un.d_val = needed_off};
		FT_TRUE(gelf_update_dyn(d, ndyn++, &dyn));
	}
	new_section(elf, ".shstrtab", 61, SHT_STRTAB, 0, shstr, sizeof(shstr), ELF_T_BYTE, 0, 0);

	if (elf_update(elf, ELF_C_WRITE) < 0)
		FT_FAIL("elf_update: %s", elf_errmsg(-1));
	elf_end(elf);
	free(syms);
	free(dyns);
	return fd;
}

/* Python's two markers, another python marker, another provider, and
 * last a stapsdt note whose strings run off its descriptor. */
static void python_notes(struct buf *b, int data, int addr_size)
{
	add_stapsdt(b, data, addr_size, S("python\0function__entry\0-8@%rdi -8@%rsi -4@%edx\0"));
	add_stapsdt(b, data, addr_size, S("python\0function__return\0-8@%rdi -8@%rsi -4@%edx\0"));
	add_stapsdt(b, data, addr_size, S("python\0gc__start\0-4@%edi\0"));
	add_stapsdt(b, data, addr_size, S("libc\0setjmp\0\0"));
	add_note(b, data, "GNU", 3, "0123", 4);
	add_stapsdt(b, data, addr_size, S("python\0function__entry"));
}

static void inspect_fake(const struct fake_elf *f, struct elf_info *info)
{
	char path[64];
	int fd = write_fake(f, path, sizeof(path));

	FT_EQ_INT(elf_inspect(path, info), 0);
	close(fd);
}

FT_TEST(elf_inspect_fake_dyn_relro)
{
	/* 3.13.0rc1 as an 8-byte little-endian Py_Version in .data.rel.ro */
	static const unsigned char relro[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0xC1, 0x00, 0x0D, 0x03};
	struct buf notes = {.len = 0};
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.soname = "libpython3.13.so.1.0",
		.relro = relro,
		.relro_len = sizeof(relro),
		.relro_addr = 0x3d3000,
		.syms = {{"Py_Version", SEC_RELRO, 0x3d3008, 8},
			 {"Py_Initialize", SEC_RODATA, 0x1000, 10},
			 {"PyObject_Call", SHN_UNDEF, 0, 0}},
	};

	python_notes(&notes, f.data, 8);
	f.notes = notes.b;
	f.notes_len = notes.len;
	inspect_fake(&f, &info);
	FT_TRUE(info.has_entry);
	FT_TRUE(info.has_return);
	FT_EQ_INT(info.nnotes, 3);
	FT_TRUE(info.is_cpython);
	/* markers and Py_Initialize but no eval loop: no marker helper of CPython's */
	FT_TRUE(!info.has_eval_loop);
	FT_TRUE(!info.needs_libpython);
	FT_EQ_STR(info.soname, "libpython3.13.so.1.0");
	FT_EQ_STR(info.libpython, "");
	FT_EQ_STR(info.version, "3.13.0rc1");
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 13);
}

FT_TEST(elf_inspect_fake_exec_rodata_4byte)
{
	/* 3.11.2 as a 4-byte Py_Version in .rodata at a non-zero address */
	static const unsigned char rodata[] = "abc\0\xF0\x02\x0B\x03";
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_EXEC,
		.rodata = rodata,
		.rodata_len = sizeof(rodata),
		.rodata_addr = 0x6d2000,
		.syms = {{"Py_Version", SEC_RODATA, 0x6d2004, 4},
			 {"_PyEval_EvalFrameDefault", SEC_RODATA, 0x6d2000, 4}},
	};

	inspect_fake(&f, &info);
	FT_TRUE(!info.has_entry && !info.has_return);
	FT_EQ_INT(info.nnotes, 0);
	FT_TRUE(info.is_cpython && info.has_eval_loop);
	FT_EQ_STR(info.version, "3.11.2");
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 11);
}

FT_TEST(elf_inspect_fake_big_endian)
{
	static const unsigned char rodata[] = {0, 0, 0, 0, 0x03, 0x0C, 0x01, 0xF0};
	struct buf notes = {.len = 0};
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2MSB,
		.type = ET_DYN,
		.rodata = rodata,
		.rodata_len = sizeof(rodata),
		.rodata_addr = 0x10000,
		.syms = {{"Py_Version", SEC_RODATA, 0x10000, 8},
			 {"Py_Initialize", SEC_RODATA, 0x10000, 1}},
	};

	python_notes(&notes, f.data, 8);
	f.notes = notes.b;
	f.notes_len = notes.len;
	inspect_fake(&f, &info);
	FT_TRUE(info.has_entry && info.has_return);
	FT_EQ_INT(info.nnotes, 3);
	FT_EQ_STR(info.version, "3.12.1");
}

FT_TEST(elf_inspect_fake_32bit)
{
	static const char rodata[] = "\0/usr/local/lib\0003.8.18\0";
	struct buf notes = {.len = 0};
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS32,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.soname = "libpython3.8.so.1.0",
		.rodata = rodata,
		.rodata_len = sizeof(rodata),
		.syms = {{"Py_Initialize", SEC_RODATA, 0, 1}},
	};

	python_notes(&notes, f.data, 4);
	f.notes = notes.b;
	f.notes_len = notes.len;
	inspect_fake(&f, &info);
	FT_TRUE(info.has_entry && info.has_return);
	FT_EQ_INT(info.nnotes, 3);
	FT_TRUE(info.is_cpython);
	FT_EQ_STR(info.version, "3.8.18");
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 8);
}

/* The one reader opens any ELF file, so target discovery can judge it;
 * what reads x86-64 code and relocations refuses anything else with a
 * reason, as opening it refused before. */
FT_TEST(elfimage_other_architectures_refused_by_readers)
{
	static const struct {
		int cls, data;
	} kinds[] = {{ELFCLASS32, ELFDATA2LSB}, {ELFCLASS64, ELFDATA2MSB}};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct fake_elf f = {
			.cls = kinds[i].cls,
			.data = kinds[i].data,
			.type = ET_DYN,
			.soname = "libpython3.12.so.1.0",
		};
		struct pylayout_code_death cd;
		struct opcodes_table ops;
		struct elf_info info;
		struct pylayout lay;
		struct elfimage *img;
		char path[64], why[128];
		int fd = write_fake(&f, path, sizeof(path));

		img = elfimage__open(path);
		FT_TRUE(img);
		FT_TRUE(!elfimage__is_x86_64(img));
		FT_EQ_INT(elfimage__addr_size(img), kinds[i].cls == ELFCLASS32 ? 4 : 8);
		FT_EQ_INT(elfimage__big_endian(img), kinds[i].data == ELFDATA2MSB);
		FT_EQ_INT(elf_inspect_image(img, path, &info), 0);
		FT_EQ_STR(info.soname, "libpython3.12.so.1.0");
		FT_EQ_INT(pylayout_for(img, path, &info, &lay, why, sizeof(why)), -ENOTSUP);
		FT_EQ_STR(why, "not an x86-64 executable or shared object");
		FT_EQ_INT(opcodes_find(img, &info, &ops, why, sizeof(why)), -ENOTSUP);
		FT_EQ_STR(why, "not an x86-64 executable or shared object");
		FT_EQ_INT(pylayout_code_death(img, 12, &cd, why, sizeof(why)), -ENOTSUP);
		FT_EQ_STR(why, "not an x86-64 executable or shared object");
		elfimage__free(img);
		close(fd);
	}
}

FT_TEST(elf_inspect_fake_soname_fallbacks)
{
	/* no Py_Version: soname plus a tail-merged PY_VERSION */
	static const char merged[] = "\0/root/.pyenv/versions/3.9.18\0python3.9\0";
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.soname = "libpython3.9.so.1.0",
		.rodata = merged,
		.rodata_len = sizeof(merged),
		.syms = {{"_PyEval_EvalFrameDefault", SEC_RODATA, 0, 1},
			 {"Py_Version", SHN_UNDEF, 0, 0}},
	};

	inspect_fake(&f, &info);
	FT_TRUE(info.is_cpython);
	FT_EQ_STR(info.version, "3.9.18");
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 9);

	/* no version string at all: major.minor only */
	f.rodata = NULL;
	f.rodata_len = 0;
	inspect_fake(&f, &info);
	FT_EQ_STR(info.version, "3.9");
	FT_EQ_INT(info.minor, 9);

	/* an undefined Py_Initialize is not an interpreter */
	f.syms[0] = (struct fake_sym){"Py_Initialize", SHN_UNDEF, 0, 0};
	inspect_fake(&f, &info);
	FT_TRUE(!info.is_cpython);
}

FT_TEST(elf_inspect_fake_needs_libpython)
{
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.needed = "libpython3.13t.so.1.0",
		.syms = {{"Py_BytesMain", SHN_UNDEF, 0, 0}},
	};

	inspect_fake(&f, &info);
	FT_TRUE(!info.is_cpython);
	FT_TRUE(info.needs_libpython);
	FT_EQ_STR(info.libpython, "libpython3.13t.so.1.0");
	FT_EQ_STR(info.soname, "");
	FT_EQ_STR(info.version, "3.13");
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 13);
}

FT_TEST(elf_inspect_fake_bad_py_version)
{
	static const unsigned char rodata[8] = {0xF0, 0x02, 0x0B, 0x03};
	struct elf_info info;
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.soname = "libpython3.11.so.1.0",
		.rodata = rodata,
		.rodata_len = sizeof(rodata),
		.rodata_addr = 0x1000,
		/* runs past its section: ignored, the soname still tells 3.11 */
		.syms = {{"Py_Version", SEC_RODATA, 0x1004, 8}},
	};

	inspect_fake(&f, &info);
	FT_EQ_STR(info.version, "3.11");
	/* below the section's address */
	f.syms[0].value = 0x800;
	inspect_fake(&f, &info);
	FT_EQ_STR(info.version, "3.11");
	/* odd size */
	f.syms[0] = (struct fake_sym){"Py_Version", SEC_RODATA, 0x1000, 2};
	inspect_fake(&f, &info);
	FT_EQ_STR(info.version, "3.11");
	/* in range and well formed */
	f.syms[0].size = 4;
	inspect_fake(&f, &info);
	FT_EQ_STR(info.version, "3.11.2");
}

/* Damaged copies of a synthetic file: every truncation and many random
 * byte changes must give 0 or -ENOEXEC, never a crash (ASAN=1 checks
 * the reads). */
FT_TEST(elf_inspect_damaged)
{
	static const unsigned char relro[8] = {0xF0, 0x02, 0x0B, 0x03};
	struct buf notes = {.len = 0};
	struct fake_elf f = {
		.cls = ELFCLASS64,
		.data = ELFDATA2LSB,
		.type = ET_DYN,
		.soname = "libpython3.11.so.1.0",
		.needed = "libm.so.6",
		.relro = relro,
		.relro_len = sizeof(relro),
		.relro_addr = 0x2000,
		.syms = {{"Py_Version", SEC_RELRO, 0x2000, 8}, {"Py_Initialize", SEC_RODATA, 0, 1}},
	};
	char path[64], dpath[64];
	unsigned char *orig, *copy;
	uint32_t seed = 12345;
	struct elf_info info;
	struct stat st;
	int fd, dfd;

	python_notes(&notes, f.data, 8);
	f.notes = notes.b;
	f.notes_len = notes.len;
	fd = write_fake(&f, path, sizeof(path));
	FT_EQ_INT(fstat(fd, &st), 0);
	orig = malloc(st.st_size);
	copy = malloc(st.st_size);
	FT_TRUE(orig && copy);
	FT_EQ_INT(pread(fd, orig, st.st_size, 0), st.st_size);
	dfd = memfd_path(dpath, sizeof(dpath));

	for (off_t len = 0; len < st.st_size; len++) {
		FT_EQ_INT(ftruncate(dfd, 0), 0);
		FT_EQ_INT(pwrite(dfd, orig, len, 0), len);
		int rc = elf_inspect(dpath, &info);
		if (rc != 0 && rc != -ENOEXEC)
			FT_FAIL("truncated to %lld: %d", (long long)len, rc);
	}
	for (int round = 0; round < 2000; round++) {
		memcpy(copy, orig, st.st_size);
		for (int k = 0; k < 1 + round % 8; k++) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % st.st_size;
			seed = seed * 1103515245 + 12345;
			copy[at] = round % 3 ? (seed >> 16) & 0xff : 0xff;
		}
		FT_EQ_INT(ftruncate(dfd, 0), 0);
		FT_EQ_INT(pwrite(dfd, copy, st.st_size, 0), st.st_size);
		int rc = elf_inspect(dpath, &info);
		if (rc != 0 && rc != -ENOEXEC)
			FT_FAIL("round %d: %d", round, rc);
		FT_TRUE(strnlen(info.soname, sizeof(info.soname)) < sizeof(info.soname));
		FT_TRUE(strnlen(info.libpython, sizeof(info.libpython)) < sizeof(info.libpython));
		FT_TRUE(strnlen(info.version, sizeof(info.version)) < sizeof(info.version));
	}
	free(orig);
	free(copy);
	close(dfd);
	close(fd);
}

/* --- real files --------------------------------------------------------- */

FT_TEST(elf_inspect_self)
{
	struct elf_info info;

	memset(&info, 0xff, sizeof(info));
	FT_EQ_INT(elf_inspect("/proc/self/exe", &info), 0);
	FT_TRUE(!info.has_entry);
	FT_TRUE(!info.has_return);
	FT_TRUE(!info.is_cpython);
	FT_TRUE(!info.needs_libpython);
	FT_EQ_INT(info.nnotes, 0);
	FT_EQ_STR(info.version, "");
	FT_EQ_INT(info.major, 0);
	FT_EQ_INT(info.minor, 0);
}

FT_TEST(elf_inspect_not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is not an ELF file\n";
	struct elf_info info;
	char path[64];
	int fd = memfd_path(path, sizeof(path));

	/* empty, then text */
	FT_EQ_INT(elf_inspect(path, &info), -ENOEXEC);
	FT_EQ_INT(write(fd, text, sizeof(text) - 1), (long)sizeof(text) - 1);
	FT_EQ_INT(elf_inspect(path, &info), -ENOEXEC);
	/* the magic alone */
	FT_EQ_INT(ftruncate(fd, 0), 0);
	FT_EQ_INT(pwrite(fd, "\177ELF", 4, 0), 4);
	FT_EQ_INT(elf_inspect(path, &info), -ENOEXEC);
	close(fd);
	/* a directory is not opened at all (tests/unit/test_tfile.c) */
	FT_EQ_INT(elf_inspect("/", &info), -TFILE_NOT_REGULAR);
}

FT_TEST(elf_inspect_missing)
{
	struct elf_info info;

	FT_EQ_INT(elf_inspect("/nonexistent/flowtrace-bpf/python", &info), -ENOENT);
	FT_EQ_INT(elf_inspect("", &info), -ENOENT);
}

FT_TEST(elf_inspect_python311)
{
	struct elf_info info;

	if (access(PYTHON311, F_OK)) {
		printf("  note: %s absent, skipped\n", PYTHON311);
		return;
	}
	FT_EQ_INT(elf_inspect(PYTHON311, &info), 0);
	FT_TRUE(info.has_entry);
	FT_TRUE(info.has_return);
	FT_TRUE(info.nnotes >= 2);
	FT_TRUE(info.is_cpython);
	FT_TRUE(!info.needs_libpython);
	FT_TRUE(!strncmp(info.version, "3.11.", 5));
	FT_EQ_INT(info.major, 3);
	FT_EQ_INT(info.minor, 11);
}
