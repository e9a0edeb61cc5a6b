/* SPDX-License-Identifier: MIT */
/* A read-only view of one x86-64 ELF file for static reads: sections,
 * .dynsym look-ups, bytes at a virtual address, pointers stored there (with
 * the dynamic relocations applied as the loader would, minus the load
 * bias), and the file offset of an address (uprobes attach by offset).
 * Touches no process. */
#ifndef FT_ELFIMAGE_H
#define FT_ELFIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct elfimage;

struct elfimage_section {
	const char *name; /* "" when the file has no section names */
	uint64_t addr, size, offset, flags;
	uint32_t type;
	const uint8_t *data; /* the file's bytes; NULL for NOBITS or unreadable */
};

/* One dynamic relocation. RELR entries appear as R_X86_64_RELATIVE with
 * the addend taken from the slot, where RELR keeps it. */
struct elfimage_reloc {
	uint64_t offset; /* the slot's vaddr */
	int64_t addend;
	uint32_t type; /* R_X86_64_* */
	uint32_t sym;  /* .dynsym index, 0 for none */
};

/* Opens path. Returns NULL and sets errno: ENOENT/EACCES/... when it cannot
 * be opened, ENOEXEC when it is not an ELF file, ENOTSUP when it is not a
 * 64-bit little-endian x86-64 ET_EXEC or ET_DYN file. */
struct elfimage *elfimage__open(const char *path);
void elfimage__free(struct elfimage *img);

/* ET_EXEC or ET_DYN */
int elfimage__type(const struct elfimage *img);

const struct elfimage_section *elfimage__sections(const struct elfimage *img, size_t *n);
/* The first section named name, or NULL. */
const struct elfimage_section *elfimage__section_by_name(const struct elfimage *img,
							 const char *name);
/* The allocated section holding vaddr, or NULL. */
const struct elfimage_section *elfimage__section_at(const struct elfimage *img, uint64_t vaddr);

/* A defined symbol of .dynsym: 0, or -ENOENT. */
int elfimage__symbol(const struct elfimage *img, const char *name, uint64_t *vaddr, uint64_t *size);
/* The name of .dynsym entry idx, or NULL. */
const char *elfimage__symbol_name(const struct elfimage *img, uint32_t idx);

/* The dynamic relocations (.rela.dyn and .relr.dyn), sorted by offset. */
const struct elfimage_reloc *elfimage__relocs(const struct elfimage *img, size_t *n);
/* The relocation of the slot at vaddr, or NULL. */
const struct elfimage_reloc *elfimage__reloc_at(const struct elfimage *img, uint64_t vaddr);

/* The file bytes at [vaddr, vaddr + len), all in one section: a pointer
 * into the image, or NULL (NOBITS, unmapped, crosses a section end). */
const uint8_t *elfimage__bytes(const struct elfimage *img, uint64_t vaddr, size_t len);

/* The NUL-terminated string at vaddr, at most max bytes long, or NULL. */
const char *elfimage__string(const struct elfimage *img, uint64_t vaddr, size_t max);

/* The pointer stored at vaddr as the loader leaves it with a load bias of
 * zero: the RELATIVE addend in ET_DYN, the stored value otherwise. A slot
 * with a symbolic relocation gives -ENOTSUP; unreadable bytes -EFAULT. */
int elfimage__read_ptr(const struct elfimage *img, uint64_t vaddr, uint64_t *val);

/* Whether vaddr lies in an SHF_EXECINSTR section. */
bool elfimage__is_code(const struct elfimage *img, uint64_t vaddr);

/* The file offset of vaddr through the PT_LOAD that maps it from the file:
 * 0, or -ENOENT. */
int elfimage__file_offset(const struct elfimage *img, uint64_t vaddr, uint64_t *off);

/* The GNU build ID: its length (copied up to len bytes), or -ENOENT. */
int elfimage__build_id(const struct elfimage *img, uint8_t *buf, size_t len);

#endif /* FT_ELFIMAGE_H */
