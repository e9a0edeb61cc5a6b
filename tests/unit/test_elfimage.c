// SPDX-License-Identifier: MIT
/* elfimage on synthetic files: sections, .dynsym and .symtab, RELA and
 * RELR relocations, pointer reads with and without relocations, file
 * offsets, PT_LOAD headers, notes, bounds, the descriptor it owns, and
 * files it must refuse. */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>

#include "sys/elfimage.h"
#include "sys/tfile.h"
#include "synth_elf.h"
#include "test.h"

#define TEXT  0x1000
#define RELRO 0x4000
#define RODAT 0x3000

struct fixture {
	uint8_t text[64];
	uint8_t rodata[32];
	uint8_t relro[1024];
	uint64_t relr[3];
	Elf64_Rela rela[3];
	uint8_t note[16 + 8];
};

/* .text, .rodata with a string, .data.rel.ro whose slots are relocated by
 * RELA (slot 0 RELATIVE, slot 1 GLOB_DAT against a symbol) and by RELR
 * (slots 2, 3 and 70..72 through an address and a bitmap). */
static int make_fixture(struct fixture *fx, int type, char *path, size_t len)
{
	memset(fx, 0, sizeof(*fx));
	memset(fx->text, 0x90, sizeof(fx->text));
	strcpy((char *)fx->rodata, "co_name");
	fx->rela[0] = (Elf64_Rela){RELRO + 0, ELF64_R_INFO(0, R_X86_64_RELATIVE), TEXT + 8};
	fx->rela[1] = (Elf64_Rela){RELRO + 8, ELF64_R_INFO(1, R_X86_64_GLOB_DAT), 0};
	fx->rela[2] = (Elf64_Rela){RELRO + 48, ELF64_R_INFO(0, R_X86_64_RELATIVE), RODAT};
	/* RELR keeps addends in place */
	synth_put64(fx->relro, 16, TEXT + 16);
	synth_put64(fx->relro, 24, TEXT + 24);
	synth_put64(fx->relro, 560, TEXT + 32);
	synth_put64(fx->relro, 568, TEXT + 40);
	synth_put64(fx->relro, 576, RODAT + 1);
	fx->relr[0] = RELRO + 16;
	/* bit k (k >= 1) relocates where + 8 * (k - 1), where = RELRO + 24:
	 * slot 3 (bit 1), then slots 70, 71, 72 (bits 68.. > 63: next bitmap) */
	fx->relr[1] = 1 | 1ULL << 1;
	fx->relr[2] = 1 | 1ULL << (70 - 3 - 63 + 1) | 1ULL << (71 - 3 - 63 + 1) |
		      1ULL << (72 - 3 - 63 + 1);
	/* a GNU build ID note: namesz 4, descsz 8, type 3, "GNU\0", 8 bytes */
	synth_put32(fx->note, 0, 4);
	synth_put32(fx->note, 4, 8);
	synth_put32(fx->note, 8, 3);
	memcpy(fx->note + 12, "GNU", 4);
	memcpy(fx->note + 16, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

	const struct synth_sec secs[] = {
		{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT, fx->text, sizeof(fx->text),
		 ELF_T_BYTE, 0, 0},
		{".rodata", SHT_PROGBITS, SHF_ALLOC, RODAT, fx->rodata, sizeof(fx->rodata),
		 ELF_T_BYTE, 0, 0},
		{".data.rel.ro", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, RELRO, fx->relro,
		 sizeof(fx->relro), ELF_T_BYTE, 0, 0},
		{".rela.dyn", SHT_RELA, SHF_ALLOC, 0x200, fx->rela, sizeof(fx->rela), ELF_T_RELA,
		 sizeof(Elf64_Rela), SYNTH_LINK_DYNSYM},
		{".relr.dyn", 19 /* SHT_RELR */, SHF_ALLOC, 0x300, fx->relr, sizeof(fx->relr),
		 ELF_T_BYTE, 8, 0},
		{".note.gnu.build-id", SHT_NOTE, SHF_ALLOC, 0x100, fx->note, sizeof(fx->note),
		 ELF_T_BYTE, 0, 0},
		{".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x8000, NULL, 64, ELF_T_BYTE, 0, 0},
	};
	const struct synth_sym syms[] = {
		{"ext_object", 0x8000, 8, 6},
		{"some_func", TEXT + 4, 12, 0},
	};
	return synth_write(type, secs, sizeof(secs) / sizeof(secs[0]), syms, 2, path, len);
}

FT_TEST(elfimage_dyn_relocations)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path));
	struct elfimage *img = elfimage__open(path);
	const struct elfimage_reloc *r;
	uint64_t v;
	size_t n;

	FT_TRUE(img);
	FT_EQ_INT(elfimage__type(img), ET_DYN);
	r = elfimage__relocs(img, &n);
	/* 3 RELA + 1 RELR address + 1 + 3 from the bitmaps */
	FT_EQ_INT(n, 8);
	for (size_t i = 1; i < n; i++)
		FT_TRUE(r[i - 1].offset < r[i].offset);
	FT_EQ_U64(r[0].offset, RELRO);
	FT_EQ_U64(r[2].offset, RELRO + 16);
	FT_EQ_U64(r[3].offset, RELRO + 24);
	FT_EQ_U64(r[5].offset, RELRO + 560);
	FT_EQ_U64(r[7].offset, RELRO + 576);

	FT_EQ_INT(elfimage__read_ptr(img, RELRO, &v), 0);
	FT_EQ_U64(v, TEXT + 8);
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 8, &v), -ENOTSUP); /* symbolic */
	r = elfimage__reloc_at(img, RELRO + 8);
	FT_TRUE(r);
	FT_EQ_STR(elfimage__symbol_name(img, r->sym), "ext_object");
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 24, &v), 0);
	FT_EQ_U64(v, TEXT + 24);
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 576, &v), 0);
	FT_EQ_U64(v, RODAT + 1);
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 48, &v), 0);
	FT_EQ_STR(elfimage__string(img, v, 16), "co_name");
	/* unrelocated slots read as stored; .bss and unmapped addresses do not */
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 32, &v), 0);
	FT_EQ_U64(v, 0);
	FT_EQ_INT(elfimage__read_ptr(img, 0x8000, &v), -EFAULT);
	FT_EQ_INT(elfimage__read_ptr(img, 0x9000, &v), -EFAULT);
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 1020, &v), -EFAULT); /* crosses the end */
	elfimage__free(img);
	close(fd);
}

FT_TEST(elfimage_sections_symbols_offsets)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path));
	struct elfimage *img = elfimage__open(path);
	const struct elfimage_section *s;
	uint64_t addr, size, off;
	uint8_t id[20];

	FT_TRUE(img);
	s = elfimage__section_by_name(img, ".data.rel.ro");
	FT_TRUE(s);
	FT_EQ_U64(s->addr, RELRO);
	FT_TRUE(elfimage__section_at(img, RELRO + 100) == s);
	FT_TRUE(!elfimage__section_at(img, RELRO + 1024));
	FT_TRUE(elfimage__is_code(img, TEXT));
	FT_TRUE(elfimage__is_code(img, TEXT + 63));
	FT_TRUE(!elfimage__is_code(img, TEXT + 64));
	FT_TRUE(!elfimage__is_code(img, RODAT));

	FT_EQ_INT(elfimage__symbol(img, "some_func", &addr, &size), 0);
	FT_EQ_U64(addr, TEXT + 4);
	FT_EQ_U64(size, 12);
	FT_EQ_INT(elfimage__symbol(img, "missing", &addr, &size), -ENOENT);

	/* the bytes of .text through its file offset */
	FT_EQ_INT(elfimage__file_offset(img, TEXT + 4, &off), 0);
	FT_EQ_U64(off, elfimage__section_by_name(img, ".text")->offset + 4);
	FT_EQ_INT(elfimage__file_offset(img, 0x8000, &off), -ENOENT); /* NOBITS */
	FT_TRUE(elfimage__bytes(img, TEXT, 64) != NULL);
	FT_TRUE(elfimage__bytes(img, TEXT, 65) == NULL);
	FT_TRUE(elfimage__bytes(img, 0x8000, 1) == NULL);
	FT_EQ_STR(elfimage__string(img, RODAT + 3, 4), "name");
	FT_TRUE(elfimage__string(img, RODAT, 3) == NULL); /* longer than max */

	FT_EQ_INT(elfimage__build_id(img, id, sizeof(id)), 8);
	FT_EQ_INT(id[0], 1);
	FT_EQ_INT(id[7], 8);
	elfimage__free(img);
	close(fd);
}

FT_TEST(elfimage_exec_reads_stored_values)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_EXEC, path, sizeof(path));
	struct elfimage *img = elfimage__open(path);
	uint64_t v;

	FT_TRUE(img);
	FT_EQ_INT(elfimage__type(img), ET_EXEC);
	/* RELR slots hold their values in place in either type */
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 16, &v), 0);
	FT_EQ_U64(v, TEXT + 16);
	elfimage__free(img);
	close(fd);
}

FT_TEST(elfimage_refuses)
{
	char path[64];
	int fd = memfd_create("not-elf", 0);

	FT_TRUE(fd >= 0);
	FT_EQ_INT(write(fd, "#!/bin/sh\n", 10), 10);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errno = 0;
	FT_TRUE(!elfimage__open(path));
	FT_EQ_INT(errno, ENOEXEC);
	close(fd);
	errno = 0;
	FT_TRUE(!elfimage__open("/nonexistent/libpython3.12.so"));
	FT_EQ_INT(errno, ENOENT);
}

/* The PT_LOAD headers the load bias is computed from: one per allocated
 * section with bytes in the file (synth_elf.h), in file order. */
FT_TEST(elfimage_loads)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path));
	struct elfimage *img = elfimage__open(path);
	const struct elfimage_load *l;
	size_t n;

	FT_TRUE(img);
	l = elfimage__loads(img, &n);
	FT_EQ_INT(n, 6);
	FT_EQ_U64(l[0].vaddr, TEXT);
	FT_EQ_U64(l[0].offset, elfimage__section_by_name(img, ".text")->offset);
	FT_EQ_U64(l[0].filesz, 64);
	FT_EQ_U64(l[0].memsz, 64);
	FT_EQ_U64(l[2].vaddr, RELRO);
	FT_EQ_U64(l[2].filesz, sizeof(fx.relro));
	FT_EQ_INT(elfimage__addr_size(img), 8);
	FT_TRUE(!elfimage__big_endian(img));
	FT_TRUE(elfimage__is_x86_64(img));
	elfimage__free(img);
	close(fd);
}

static int count_note(const void *desc, size_t len, void *ctx)
{
	int *calls = ctx;

	FT_EQ_INT(len, 8);
	FT_TRUE(!memcmp(desc, "\x01\x02\x03\x04\x05\x06\x07\x08", 8));
	++*calls;
	return 0;
}

static int stop_at_note(const void *desc, size_t len, void *ctx)
{
	(void)desc;
	(void)len;
	(void)ctx;
	return 42;
}

FT_TEST(elfimage_notes)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path)), calls = 0;
	struct elfimage *img = elfimage__open(path);

	FT_TRUE(img);
	FT_EQ_INT(elfimage__notes(img, "GNU", 3, count_note, &calls), 0);
	FT_EQ_INT(calls, 1);
	/* another owner or type matches nothing; a callback's value stops the walk */
	FT_EQ_INT(elfimage__notes(img, "GNU", 4, stop_at_note, NULL), 0);
	FT_EQ_INT(elfimage__notes(img, "stapsdt", 3, stop_at_note, NULL), 0);
	FT_EQ_INT(elfimage__notes(img, "GNU", 3, stop_at_note, NULL), 42);
	elfimage__free(img);
	close(fd);
}

/* .symtab holds what .dynsym does not export: elfimage__symbol_any finds
 * it, elfimage__symbol (the loader's view) does not. */
FT_TEST(elfimage_symtab)
{
	static const char strtab[] = "\0local_table\0some_func";
	uint8_t text[64] = {0}, data[16] = {0};
	Elf64_Sym syms[3] = {{0}};
	struct elfimage_sym sym;
	const uint8_t *p;
	char path[64];
	int fd;

	synth_put64(data, 8, 0x0123456789abcdefULL);
	/* sections: 1 .text, 2 .data, 3 .symtab, 4 .strtab */
	syms[1] = (Elf64_Sym){.st_name = 1,
			      .st_info = ELF64_ST_INFO(STB_LOCAL, STT_OBJECT),
			      .st_shndx = 2,
			      .st_value = 0x2008,
			      .st_size = 8};
	syms[2] = (Elf64_Sym){.st_name = 13,
			      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			      .st_shndx = 1,
			      .st_value = TEXT + 32,
			      .st_size = 4};
	const struct synth_sec secs[] = {
		{".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT, text, sizeof(text),
		 ELF_T_BYTE, 0, 0},
		{".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x2000, data, sizeof(data),
		 ELF_T_BYTE, 0, 0},
		{".symtab", SHT_SYMTAB, 0, 0, syms, sizeof(syms), ELF_T_SYM, sizeof(Elf64_Sym), 4},
		{".strtab", SHT_STRTAB, 0, 0, strtab, sizeof(strtab), ELF_T_BYTE, 0, 0},
	};
	const struct synth_sym dyn[] = {{"some_func", TEXT + 4, 12, 0}};
	struct elfimage *img;

	fd = synth_write(ET_DYN, secs, 4, dyn, 1, path, sizeof(path));
	img = elfimage__open(path);
	FT_TRUE(img);
	FT_EQ_INT(elfimage__symbol(img, "local_table", NULL, NULL), -ENOENT);
	FT_EQ_INT(elfimage__symbol_any(img, "local_table", &sym), 0);
	FT_EQ_U64(sym.value, 0x2008);
	FT_EQ_U64(sym.size, 8);
	FT_EQ_INT(sym.shndx, 2);
	p = elfimage__symbol_bytes(img, &sym, 8);
	FT_TRUE(p);
	FT_EQ_U64(p[0] | (uint64_t)p[7] << 56, 0x01000000000000efULL);
	FT_TRUE(!elfimage__symbol_bytes(img, &sym, 9)); /* past the section */
	/* .dynsym first: the exported value wins */
	FT_EQ_INT(elfimage__symbol_any(img, "some_func", &sym), 0);
	FT_EQ_U64(sym.value, TEXT + 4);
	FT_EQ_INT(elfimage__symbol_any(img, "missing", &sym), -ENOENT);
	/* no dynamic section: no DT_SONAME, no DT_NEEDED */
	FT_TRUE(!elfimage__soname(img));
	FT_TRUE(!elfimage__needed(img, 0));
	elfimage__free(img);
	close(fd);
}

/* The image owns the descriptor it reads: the probes attach to
 * /proc/self/fd/<fd> while it lives, and it is closed with the image, or
 * at once when the file is no ELF. Each open counts once. */
FT_TEST(elfimage_owns_its_fd)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path)), own, junk;
	unsigned long before = elfimage__opened();
	struct elfimage *img;

	own = open(path, O_RDONLY | O_CLOEXEC);
	FT_TRUE(own >= 0);
	img = elfimage__open_fd(own);
	FT_TRUE(img);
	FT_EQ_INT(elfimage__fd(img), own);
	FT_EQ_INT(elfimage__opened() - before, 1);
	elfimage__free(img);
	FT_TRUE(fcntl(own, F_GETFD) < 0 && errno == EBADF);

	junk = memfd_create("not-elf", 0);
	FT_TRUE(junk >= 0);
	FT_EQ_INT(write(junk, "#!/bin/sh\n", 10), 10);
	errno = 0;
	FT_TRUE(!elfimage__open_fd(junk));
	FT_EQ_INT(errno, ENOEXEC);
	FT_TRUE(fcntl(junk, F_GETFD) < 0 && errno == EBADF);
	/* a failed open is no open */
	FT_EQ_INT(elfimage__opened() - before, 1);
	/* nothing but a regular file is opened: tfile_open's check */
	errno = 0;
	FT_TRUE(!elfimage__open("/"));
	FT_EQ_INT(errno, TFILE_NOT_REGULAR);
	close(fd);
}

/* Section bytes are read when asked for, through file pages; a scan gets
 * a copy of the whole section. Every way gives the file's bytes. */
FT_TEST(elfimage_reads_sections_when_asked)
{
	struct fixture fx;
	char path[64];
	int fd = make_fixture(&fx, ET_DYN, path, sizeof(path));
	struct elfimage *img = elfimage__open(path);
	const struct elfimage_section *ro;
	const uint8_t *p;
	uint8_t *copy;
	uint64_t v;

	FT_TRUE(img);
	ro = elfimage__section_by_name(img, ".rodata");
	FT_TRUE(ro);
	FT_EQ_STR(elfimage__string(img, RODAT, 16), "co_name");
	copy = elfimage__section_copy(img, ro);
	FT_TRUE(copy && !memcmp(copy, fx.rodata, sizeof(fx.rodata)));
	free(copy);
	for (uint64_t off = 0; off + 8 <= sizeof(fx.relro); off += 4) {
		p = elfimage__bytes(img, RELRO + off, 8);
		FT_TRUE(p);
		FT_TRUE(!memcmp(p, fx.relro + off, 8));
	}
	FT_EQ_INT(elfimage__read_ptr(img, RELRO + 16, &v), 0);
	FT_EQ_U64(v, TEXT + 16);
	p = elfimage__bytes(img, RELRO, sizeof(fx.relro));
	FT_TRUE(p && !memcmp(p, fx.relro, sizeof(fx.relro)));
	/* NOBITS has no bytes to copy */
	errno = 0;
	FT_TRUE(!elfimage__section_copy(img, elfimage__section_by_name(img, ".bss")));
	FT_EQ_INT(errno, ENOENT);
	elfimage__free(img);
	close(fd);
}

/* Small reads across file page boundaries, and past the end of the file. */
FT_TEST(elfimage_reads_across_pages)
{
	static uint8_t big[3 * 4096 + 100];
	const struct synth_sec secs[] = {
		{".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x10000, big, sizeof(big),
		 ELF_T_BYTE, 0, 0},
	};
	const struct synth_sym syms[] = {{"big", 0x10000, sizeof(big), 0}};
	const struct elfimage_section *sec;
	struct elfimage *img;
	const uint8_t *p;
	char path[64];
	int fd;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	fd = synth_write(ET_DYN, secs, 1, syms, 1, path, sizeof(path));
	img = elfimage__open(path);
	FT_TRUE(img);
	for (uint64_t off = 0; off + 24 <= sizeof(big); off += 3) {
		p = elfimage__bytes(img, 0x10000 + off, 24);
		if (!p || memcmp(p, big + off, 24))
			FT_FAIL("bytes at +%" PRIu64 " differ", off);
	}
	elfimage__free(img);
	/* the file cut short while open (a target may do that to its own
	 * file): what it no longer has reads as absent, with no signal */
	img = elfimage__open(path);
	FT_TRUE(img);
	sec = elfimage__section_by_name(img, ".data");
	FT_EQ_INT(ftruncate(fd, (off_t)(sec->offset + 3 * 4096 - 1)), 0);
	p = elfimage__bytes(img, 0x10000 + 3 * 4096, 8);
	FT_TRUE(!p);
	p = elfimage__bytes(img, 0x10000 + 3 * 4096 - 4, 8); /* straddles the new end */
	FT_TRUE(!p);
	errno = 0;
	FT_TRUE(!elfimage__section_copy(img, sec));
	FT_EQ_INT(errno, EIO);
	p = elfimage__bytes(img, 0x10000 + 4096, 8); /* still there */
	FT_TRUE(p && !memcmp(p, big + 4096, 8));
	elfimage__free(img);
	close(fd);
}
