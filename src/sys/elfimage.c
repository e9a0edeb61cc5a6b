// SPDX-License-Identifier: MIT
/* Static reads of one x86-64 ELF file with libelf: sections, .dynsym, the
 * dynamic relocations and PT_LOAD mappings. Target files may be damaged or
 * hostile, so every size and address is checked before it is used. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "sys/tfile.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

struct elfimage_load {
	uint64_t vaddr, filesz, offset;
};

struct elfimage {
	int fd;
	Elf *elf;
	int type;
	struct elfimage_section *secs;
	size_t nsecs;
	struct elfimage_load *loads;
	size_t nloads;
	struct elfimage_reloc *relocs;
	size_t nrelocs, caprelocs;
	Elf_Data *dynsym;
	size_t dynsym_count;
	size_t dynstr; /* section index of .dynsym's string table */
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int add_reloc(struct elfimage *img, uint64_t offset, int64_t addend, uint32_t type,
		     uint32_t sym)
{
	if (img->nrelocs == img->caprelocs) {
		size_t cap = img->caprelocs ? img->caprelocs * 2 : 1024;
		struct elfimage_reloc *r = realloc(img->relocs, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		img->relocs = r;
		img->caprelocs = cap;
	}
	img->relocs[img->nrelocs++] = (struct elfimage_reloc){offset, addend, type, sym};
	return 0;
}

static int load_rela(struct elfimage *img, Elf_Scn *scn, const GElf_Shdr *shdr)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t n;

	if (!data || shdr->sh_entsize != sizeof(Elf64_Rela))
		return 0;
	n = data->d_size / sizeof(Elf64_Rela);
	for (size_t i = 0; i < n; i++) {
		GElf_Rela rela;
		int err;

		if (!gelf_getrela(data, i, &rela))
			continue;
		err = add_reloc(img, rela.r_offset, rela.r_addend, GELF_R_TYPE(rela.r_info),
				GELF_R_SYM(rela.r_info));
		if (err)
			return err;
	}
	return 0;
}

/* A RELR slot keeps its addend in place. */
static int add_relr(struct elfimage *img, uint64_t where)
{
	const uint8_t *p = elfimage__bytes(img, where, 8);

	/* a slot outside the file's bytes cannot be read statically: skip it */
	if (!p)
		return 0;
	return add_reloc(img, where, (int64_t)le64(p), R_X86_64_RELATIVE, 0);
}

/* RELR packs relative relocations: an even word is an address to relocate,
 * an odd word a bitmap of the 63 words that follow the last address. Run
 * after every section is known, since the addends are read from the slots. */
static int load_relr(struct elfimage *img, const struct elfimage_section *sec)
{
	uint64_t where = 0;
	int err;

	if (!sec->data || sec->size % 8)
		return 0;
	for (uint64_t i = 0; i < sec->size / 8; i++) {
		uint64_t w = le64(sec->data + 8 * i);

		if (!(w & 1)) {
			err = add_relr(img, w);
			if (err)
				return err;
			where = w + 8;
			continue;
		}
		for (int bit = 1; bit < 64; bit++) {
			if (!(w >> bit & 1))
				continue;
			err = add_relr(img, where + 8 * (bit - 1));
			if (err)
				return err;
		}
		where += 63 * 8;
	}
	return 0;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct elfimage_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int load_sections(struct elfimage *img)
{
	size_t shnum, shstrndx;
	bool have_names;
	Elf_Scn *scn = NULL;
	int err;

	if (elf_getshdrnum(img->elf, &shnum) || !shnum)
		return 0;
	have_names = elf_getshdrstrndx(img->elf, &shstrndx) == 0;
	img->secs = calloc(shnum, sizeof(*img->secs));
	if (!img->secs)
		return -ENOMEM;
	while ((scn = elf_nextscn(img->elf, scn)) && img->nsecs < shnum) {
		struct elfimage_section *s = &img->secs[img->nsecs];
		const char *name = NULL;
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (have_names)
			name = elf_strptr(img->elf, shstrndx, shdr.sh_name);
		s->name = name ? name : "";
		s->addr = shdr.sh_addr;
		s->size = shdr.sh_size;
		s->offset = shdr.sh_offset;
		s->flags = shdr.sh_flags;
		s->type = shdr.sh_type;
		if (shdr.sh_type != SHT_NOBITS) {
			data = elf_getdata(scn, NULL);
			if (data && data->d_buf && data->d_size >= shdr.sh_size)
				s->data = data->d_buf;
		}
		/* an address range that wraps is unusable */
		if (s->addr + s->size < s->addr)
			s->flags &= ~(uint64_t)SHF_ALLOC;
		img->nsecs++;

		if (shdr.sh_type == SHT_RELA && (shdr.sh_flags & SHF_ALLOC)) {
			err = load_rela(img, scn, &shdr);
			if (err)
				return err;
		} else if (shdr.sh_type == SHT_DYNSYM && !img->dynsym) {
			img->dynsym = elf_getdata(scn, NULL);
			img->dynstr = shdr.sh_link;
			if (img->dynsym && shdr.sh_entsize == sizeof(Elf64_Sym))
				img->dynsym_count = img->dynsym->d_size / sizeof(Elf64_Sym);
		}
	}
	for (size_t i = 0; i < img->nsecs; i++) {
		if (img->secs[i].type != SHT_RELR)
			continue;
		err = load_relr(img, &img->secs[i]);
		if (err)
			return err;
	}
	if (img->nrelocs)
		qsort(img->relocs, img->nrelocs, sizeof(*img->relocs), cmp_reloc);
	return 0;
}

static int load_segments(struct elfimage *img)
{
	size_t phnum;

	if (elf_getphdrnum(img->elf, &phnum) || !phnum)
		return 0;
	img->loads = calloc(phnum, sizeof(*img->loads));
	if (!img->loads)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(img->elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_vaddr + ph.p_filesz < ph.p_vaddr)
			continue;
		img->loads[img->nloads++] =
			(struct elfimage_load){ph.p_vaddr, ph.p_filesz, ph.p_offset};
	}
	return 0;
}

struct elfimage *elfimage__open(const char *path)
{
	struct elfimage *img;
	GElf_Ehdr ehdr;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOTSUP;
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->fd = tfile_open(path);
	if (img->fd < 0) {
		err = img->fd;
		goto fail;
	}
	img->elf = elf_begin(img->fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &ehdr)) {
		err = -ENOEXEC;
		goto fail;
	}
	if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 || ehdr.e_ident[EI_DATA] != ELFDATA2LSB ||
	    ehdr.e_machine != EM_X86_64 || (ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN)) {
		err = -ENOTSUP;
		goto fail;
	}
	img->type = ehdr.e_type;
	err = load_segments(img);
	if (!err)
		err = load_sections(img);
	if (err)
		goto fail;
	return img;
fail:
	elfimage__free(img);
	errno = -err;
	return NULL;
}

void elfimage__free(struct elfimage *img)
{
	if (!img)
		return;
	if (img->elf)
		elf_end(img->elf);
	if (img->fd >= 0)
		close(img->fd);
	free(img->secs);
	free(img->loads);
	free(img->relocs);
	free(img);
}

int elfimage__type(const struct elfimage *img)
{
	return img->type;
}

const struct elfimage_section *elfimage__sections(const struct elfimage *img, size_t *n)
{
	*n = img->nsecs;
	return img->secs;
}

const struct elfimage_section *elfimage__section_by_name(const struct elfimage *img,
							 const char *name)
{
	for (size_t i = 0; i < img->nsecs; i++) {
		if (!strcmp(img->secs[i].name, name))
			return &img->secs[i];
	}
	return NULL;
}

const struct elfimage_section *elfimage__section_at(const struct elfimage *img, uint64_t vaddr)
{
	for (size_t i = 0; i < img->nsecs; i++) {
		const struct elfimage_section *s = &img->secs[i];

		if ((s->flags & SHF_ALLOC) && vaddr >= s->addr && vaddr - s->addr < s->size)
			return s;
	}
	return NULL;
}

int elfimage__symbol(const struct elfimage *img, const char *name, uint64_t *vaddr, uint64_t *size)
{
	for (size_t i = 1; i < img->dynsym_count; i++) {
		const char *s;
		GElf_Sym sym;

		if (!gelf_getsym(img->dynsym, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name)
			continue;
		s = elf_strptr(img->elf, img->dynstr, sym.st_name);
		if (!s || strcmp(s, name))
			continue;
		if (vaddr)
			*vaddr = sym.st_value;
		if (size)
			*size = sym.st_size;
		return 0;
	}
	return -ENOENT;
}

const char *elfimage__symbol_name(const struct elfimage *img, uint32_t idx)
{
	GElf_Sym sym;

	if (!idx || idx >= img->dynsym_count || !gelf_getsym(img->dynsym, idx, &sym))
		return NULL;
	return elf_strptr(img->elf, img->dynstr, sym.st_name);
}

const struct elfimage_reloc *elfimage__relocs(const struct elfimage *img, size_t *n)
{
	*n = img->nrelocs;
	return img->relocs;
}

const struct elfimage_reloc *elfimage__reloc_at(const struct elfimage *img, uint64_t vaddr)
{
	size_t lo = 0, hi = img->nrelocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->relocs[mid].offset < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < img->nrelocs && img->relocs[lo].offset == vaddr ? &img->relocs[lo] : NULL;
}

const uint8_t *elfimage__bytes(const struct elfimage *img, uint64_t vaddr, size_t len)
{
	for (size_t i = 0; i < img->nsecs; i++) {
		const struct elfimage_section *s = &img->secs[i];

		if (!(s->flags & SHF_ALLOC) || !s->data || vaddr < s->addr ||
		    vaddr - s->addr >= s->size)
			continue;
		if (len > s->size - (vaddr - s->addr))
			return NULL;
		return s->data + (vaddr - s->addr);
	}
	return NULL;
}

const char *elfimage__string(const struct elfimage *img, uint64_t vaddr, size_t max)
{
	const struct elfimage_section *s = elfimage__section_at(img, vaddr);
	const char *p;
	size_t room;

	if (!s || !s->data)
		return NULL;
	p = (const char *)s->data + (vaddr - s->addr);
	room = s->size - (vaddr - s->addr);
	if (room > max + 1)
		room = max + 1;
	return memchr(p, '\0', room) ? p : NULL;
}

int elfimage__read_ptr(const struct elfimage *img, uint64_t vaddr, uint64_t *val)
{
	const struct elfimage_reloc *r = elfimage__reloc_at(img, vaddr);
	const uint8_t *p;

	if (r) {
		if (r->type != R_X86_64_RELATIVE)
			return -ENOTSUP;
		*val = (uint64_t)r->addend;
		return 0;
	}
	p = elfimage__bytes(img, vaddr, 8);
	if (!p)
		return -EFAULT;
	*val = le64(p);
	return 0;
}

bool elfimage__is_code(const struct elfimage *img, uint64_t vaddr)
{
	const struct elfimage_section *s = elfimage__section_at(img, vaddr);

	return s && (s->flags & SHF_EXECINSTR);
}

int elfimage__file_offset(const struct elfimage *img, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < img->nloads; i++) {
		const struct elfimage_load *l = &img->loads[i];

		if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz) {
			*off = l->offset + (vaddr - l->vaddr);
			return 0;
		}
	}
	return -ENOENT;
}

int elfimage__build_id(const struct elfimage *img, uint8_t *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		Elf_Data *data = NULL;
		GElf_Shdr shdr;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		while ((data = elf_getdata(scn, data))) {
			size_t off = 0, next, name_off, desc_off;
			GElf_Nhdr nh;

			while (off < data->d_size &&
			       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
				const char *base = data->d_buf;

				off = next;
				if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
				    memcmp(base + name_off, "GNU", 4))
					continue;
				if (desc_off > data->d_size ||
				    nh.n_descsz > data->d_size - desc_off)
					continue;
				memcpy(buf, base + desc_off, nh.n_descsz < len ? nh.n_descsz : len);
				return (int)nh.n_descsz;
			}
		}
	}
	return -ENOENT;
}
