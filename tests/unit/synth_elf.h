/* SPDX-License-Identifier: MIT */
/* Writes small synthetic x86-64 ELF files for the ELF-reading tests: the
 * caller's sections, a .dynsym/.dynstr built from a symbol list, and one
 * PT_LOAD per allocated section, so file offsets can be checked. The file
 * lives in a memfd; its path is /proc/self/fd/N. */
#ifndef FT_SYNTH_ELF_H
#define FT_SYNTH_ELF_H

#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "test.h"

#define SYNTH_LINK_DYNSYM ((uint32_t)-1) /* sh_link: the generated .dynsym */

struct synth_sec {
	const char *name;
	uint32_t type;
	uint64_t flags, addr;
	const void *data;
	size_t size;
	Elf_Type dtype; /* ELF_T_BYTE for raw bytes, ELF_T_RELA for RELA entries */
	uint64_t entsize;
	uint32_t link;
};

struct synth_sym {
	const char *name;
	uint64_t value, size;
	int sec; /* index into the caller's section array */
};

/* Little-endian stores into a byte buffer. */
static inline void synth_put64(void *buf, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		((uint8_t *)buf)[off + i] = v >> (8 * i) & 0xff;
}

static inline void synth_put32(void *buf, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		((uint8_t *)buf)[off + i] = v >> (8 * i) & 0xff;
}

static inline Elf_Scn *synth_section(Elf *elf, size_t name_off, uint32_t type, uint64_t flags,
				     uint64_t addr, const void *data, size_t size, Elf_Type dtype,
				     uint64_t entsize, uint32_t link)
{
	Elf_Scn *scn = elf_newscn(elf);
	GElf_Shdr shdr;
	Elf_Data *d;

	FT_TRUE(scn);
	d = elf_newdata(scn);
	FT_TRUE(d);
	d->d_buf = (void *)data;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = dtype == ELF_T_BYTE && type != SHT_NOTE ? 1 : (type == SHT_NOTE ? 4 : 8);
	FT_TRUE(gelf_getshdr(scn, &shdr));
	shdr.sh_name = name_off;
	shdr.sh_type = type;
	shdr.sh_flags = flags;
	shdr.sh_addr = addr;
	shdr.sh_entsize = entsize;
	shdr.sh_link = link;
	shdr.sh_addralign = d->d_align;
	FT_TRUE(gelf_update_shdr(scn, &shdr));
	return scn;
}

/* Writes the file; returns the memfd (close it when done), path set. */
static inline int synth_write(int type, const struct synth_sec *secs, size_t nsecs,
			      const struct synth_sym *syms, size_t nsyms, char *path,
			      size_t pathlen)
{
	char shstr[1024] = "", dynstr[1024] = "";
	size_t shlen = 1, dynlen = 1, name_off[32], dynsym_off, dynstr_off, shstr_off;
	size_t symsz = sizeof(Elf64_Sym), nphdr = 0;
	uint32_t dynsym_idx = nsecs + 2, dynstr_idx = nsecs + 1;
	int fd = memfd_create("synth-elf", 0);
	Elf64_Sym *symtab;
	Elf_Scn *scn;
	GElf_Ehdr eh;
	Elf *elf;

	if (fd < 0)
		FT_FAIL("memfd_create: %s", strerror(errno));
	snprintf(path, pathlen, "/proc/self/fd/%d", fd);
	FT_TRUE(nsecs < 32);
#define SYNTH_STR(tab, len, s)        \
	({                            \
		size_t _o = len;      \
		strcpy(tab + len, s); \
		len += strlen(s) + 1; \
		_o;                   \
	})
	for (size_t i = 0; i < nsecs; i++) {
		name_off[i] = SYNTH_STR(shstr, shlen, secs[i].name);
		nphdr += (secs[i].flags & SHF_ALLOC) && secs[i].type != SHT_NOBITS;
	}
	dynstr_off = SYNTH_STR(shstr, shlen, ".dynstr");
	dynsym_off = SYNTH_STR(shstr, shlen, ".dynsym");
	shstr_off = SYNTH_STR(shstr, shlen, ".shstrtab");
	symtab = calloc(nsyms + 1, symsz);
	FT_TRUE(symtab);
	for (size_t i = 0; i < nsyms; i++) {
		symtab[i + 1].st_name = SYNTH_STR(dynstr, dynlen, syms[i].name);
		symtab[i + 1].st_info = GELF_ST_INFO(STB_GLOBAL, STT_OBJECT);
		symtab[i + 1].st_shndx = syms[i].sec + 1;
		symtab[i + 1].st_value = syms[i].value;
		symtab[i + 1].st_size = syms[i].size;
	}
#undef SYNTH_STR

	FT_TRUE(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_WRITE, NULL);
	FT_TRUE(elf);
	FT_TRUE(gelf_newehdr(elf, ELFCLASS64));
	FT_TRUE(gelf_getehdr(elf, &eh));
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_shstrndx = nsecs + 3;
	FT_TRUE(gelf_update_ehdr(elf, &eh));
	if (nphdr)
		FT_TRUE(gelf_newphdr(elf, nphdr));
	for (size_t i = 0; i < nsecs; i++) {
		const struct synth_sec *s = &secs[i];

		synth_section(elf, name_off[i], s->type, s->flags, s->addr, s->data, s->size,
			      s->dtype, s->entsize,
			      s->link == SYNTH_LINK_DYNSYM ? dynsym_idx : s->link);
	}
	synth_section(elf, dynstr_off, SHT_STRTAB, SHF_ALLOC, 0, dynstr, dynlen, ELF_T_BYTE, 0, 0);
	synth_section(elf, dynsym_off, SHT_DYNSYM, SHF_ALLOC, 0, symtab, (nsyms + 1) * symsz,
		      ELF_T_SYM, symsz, dynstr_idx);
	synth_section(elf, shstr_off, SHT_STRTAB, 0, 0, shstr, shlen, ELF_T_BYTE, 0, 0);

	/* lay the file out, then map each allocated section with its own PT_LOAD */
	if (elf_update(elf, ELF_C_NULL) < 0)
		FT_FAIL("elf_update: %s", elf_errmsg(-1));
	scn = NULL;
	for (size_t i = 0, ph = 0; i < nsecs; i++) {
		GElf_Shdr shdr;
		GElf_Phdr phdr = {.p_type = PT_LOAD, .p_align = 1};

		scn = elf_nextscn(elf, scn);
		FT_TRUE(scn && gelf_getshdr(scn, &shdr));
		if (!(secs[i].flags & SHF_ALLOC) || secs[i].type == SHT_NOBITS)
			continue;
		phdr.p_offset = shdr.sh_offset;
		phdr.p_vaddr = phdr.p_paddr = shdr.sh_addr;
		phdr.p_filesz = phdr.p_memsz = shdr.sh_size;
		phdr.p_flags = PF_R | (secs[i].flags & SHF_EXECINSTR ? PF_X : 0);
		FT_TRUE(gelf_update_phdr(elf, ph++, &phdr));
	}
	elf_flagelf(elf, ELF_C_SET, ELF_F_DIRTY);
	if (elf_update(elf, ELF_C_WRITE) < 0)
		FT_FAIL("elf_update: %s", elf_errmsg(-1));
	elf_end(elf);
	free(symtab);
	return fd;
}

#endif /* FT_SYNTH_ELF_H */
