/* SPDX-License-Identifier: MIT */
/* flowtrace-bpf's one ELF reader: a read-only view of one ELF file,
 * opened once per file per session and handed to every user (target
 * discovery, CPython facts in elfinfo, the layout and handler searches, the
 * runtime's load bias). It gives sections, .dynsym and .symtab look-ups,
 * notes, DT_SONAME/DT_NEEDED, PT_LOAD headers, bytes at a virtual address,
 * pointers stored there (with the dynamic relocations applied as the
 * loader would, minus the load bias), and the file offset of an address
 * (uprobes attach by offset). Any ELF file opens; the relocations and the
 * reads that need them are for 64-bit little-endian x86-64 executables and
 * shared objects (elfimage__is_x86_64). Touches no process. */
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
};

/* One dynamic relocation. RELR entries appear as R_X86_64_RELATIVE with
 * the addend taken from the slot, where RELR keeps it. */
struct elfimage_reloc {
	uint64_t offset; /* the slot's vaddr */
	int64_t addend;
	uint32_t type; /* R_X86_64_* */
	uint32_t sym;  /* .dynsym index, 0 for none */
};

/* One PT_LOAD program header. */
struct elfimage_load {
	uint64_t vaddr, offset, filesz, memsz;
};

/* A symbol found by elfimage__symbol_any. */
struct elfimage_sym {
	uint64_t value, size;
	uint32_t shndx; /* its section's index */
};

/* Opens path with tfile_open (a target's file is never waited on, nothing
 * but a regular file is opened), then as elfimage__open_fd. Returns NULL
 * and sets errno: ENOENT/EACCES/... when it cannot be opened,
 * TFILE_NOT_REGULAR when it is no regular file, ENOEXEC when it is not an
 * ELF file. */
struct elfimage *elfimage__open(const char *path);
/* Reads the ELF file open at fd, which the image owns from now on (closed
 * by elfimage__free, or here on failure): the file stays pinned while the
 * image lives, so /proc/self/fd/<fd> names it for the probes. NULL with
 * errno ENOEXEC when it is not an ELF file. The file is read with pread,
 * never mapped: a target's file that shrinks under us gives short reads,
 * not SIGBUS. */
struct elfimage *elfimage__open_fd(int fd);
void elfimage__free(struct elfimage *img);

/* The file descriptor the image reads (and owns). */
int elfimage__fd(const struct elfimage *img);

/* How many images this process has opened: the unit tests check with it
 * that a session opens each file once. */
unsigned long elfimage__opened(void);

/* e_type: ET_EXEC, ET_DYN, ET_REL, ... */
int elfimage__type(const struct elfimage *img);
/* 4 for ELFCLASS32, 8 for ELFCLASS64 */
int elfimage__addr_size(const struct elfimage *img);
bool elfimage__big_endian(const struct elfimage *img);
/* A 64-bit little-endian x86-64 ET_EXEC or ET_DYN file: the kind the
 * relocation reads and the CPython searches are for. */
bool elfimage__is_x86_64(const struct elfimage *img);

const struct elfimage_section *elfimage__sections(const struct elfimage *img, size_t *n);
/* A copy of a section's bytes for a scan over all of them, which the
 * caller frees: the image keeps only the pages asked for, not whole
 * sections. NULL with errno ENOENT (NOBITS), EIO (not all in the file) or
 * ENOMEM. */
void *elfimage__section_copy(const struct elfimage *img, const struct elfimage_section *sec);
/* The first section named name, or NULL. */
const struct elfimage_section *elfimage__section_by_name(const struct elfimage *img,
							 const char *name);
/* The allocated section holding vaddr, or NULL. */
const struct elfimage_section *elfimage__section_at(const struct elfimage *img, uint64_t vaddr);

/* A defined symbol of .dynsym: 0, or -ENOENT. */
int elfimage__symbol(const struct elfimage *img, const char *name, uint64_t *vaddr, uint64_t *size);
/* The name of .dynsym entry idx, or NULL. */
const char *elfimage__symbol_name(const struct elfimage *img, uint32_t idx);
/* A defined symbol of .dynsym, else of .symtab: 0, or -ENOENT. */
int elfimage__symbol_any(const struct elfimage *img, const char *name, struct elfimage_sym *sym);
/* The len bytes of the file at sym (in its own section; in ET_REL files
 * the value is an offset into it), or NULL when they are not all there. */
const uint8_t *elfimage__symbol_bytes(const struct elfimage *img, const struct elfimage_sym *sym,
				      size_t len);

/* DT_SONAME, or NULL. */
const char *elfimage__soname(const struct elfimage *img);
/* The idx-th DT_NEEDED name, or NULL past the last. */
const char *elfimage__needed(const struct elfimage *img, size_t idx);

/* Calls fn for each note named owner with type type, in every SHT_NOTE
 * section, with its descriptor (bounds checked). fn returns 0 to go on;
 * anything else stops the walk and is returned. Returns 0 at the end. */
int elfimage__notes(const struct elfimage *img, const char *owner, uint32_t type,
		    int (*fn)(const void *desc, size_t len, void *ctx), void *ctx);

/* The PT_LOAD headers, in file order. */
const struct elfimage_load *elfimage__loads(const struct elfimage *img, size_t *n);

/* The dynamic relocations (.rela.dyn and .relr.dyn), sorted by offset;
 * none unless elfimage__is_x86_64. */
const struct elfimage_reloc *elfimage__relocs(const struct elfimage *img, size_t *n);
/* The relocation of the slot at vaddr, or NULL. */
const struct elfimage_reloc *elfimage__reloc_at(const struct elfimage *img, uint64_t vaddr);

/* The file bytes at [vaddr, vaddr + len), all in one section: a pointer
 * into the image, valid while it lives, or NULL (NOBITS, unmapped, crosses
 * a section end, not in the file). */
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
