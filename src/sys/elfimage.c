// SPDX-License-Identifier: MIT
/* The one ELF reader, with libelf: sections, symbol tables, notes, the
 * dynamic section, the dynamic relocations and PT_LOAD headers. Target
 * files may be damaged or hostile, so every size and address is checked
 * before it is used. Nothing else in flowtrace-bpf calls libelf. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sys/elfimage.h"
#include "sys/tfile.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif
#ifndef NT_GNU_BUILD_ID
#define NT_GNU_BUILD_ID 3
#endif

/* A symbol table: its data (read on first use) and the section index of
 * its strings. */
struct symtab {
	Elf_Scn *scn;
	bool tried;
	Elf_Data *data;
	size_t count;
	size_t strndx;
};

/* Section bytes are read when asked for, not at open: the image lives the
 * whole session, and a libpython has megabytes of code and data of which
 * the readers want a few hundred bytes here and there. Reads go through
 * file pages read once and kept (as a mapping would, but a file that
 * shrinks under us gives a short read, not SIGBUS); a scan over a whole
 * section gets a copy it frees (elfimage__section_copy). */
#define PAGE 4096

struct page {
	struct page *next;
	uint64_t off; /* file offset, a multiple of PAGE */
	size_t len;   /* bytes the file has there (short at its end) */
	uint8_t bytes[PAGE];
};

/* A read that straddles pages, kept on its own. */
struct chunk {
	struct chunk *next;
	uint8_t bytes[];
};

/* What the image keeps of each section besides struct elfimage_section. */
struct section_state {
	Elf_Scn *scn;
};

struct elfimage {
	int fd;
	Elf *elf;
	int type, addr_size;
	bool big_endian, x86_64;
	struct elfimage_section *secs;
	struct section_state *state; /* of secs[i] */
	size_t nsecs;
	struct page *pages;
	struct chunk *chunks;
	struct elfimage_load *loads;
	size_t nloads;
	struct elfimage_reloc *relocs;
	size_t nrelocs, caprelocs;
	struct symtab dynsym;
	size_t symtab_index; /* of .symtab, 0 for none */
	Elf_Scn *dynamic;    /* SHT_DYNAMIC, or NULL */
	size_t dynamic_strndx;
};

static unsigned long opened;

static const uint8_t *section_range(const struct elfimage *img, const struct elfimage_section *s,
				    uint64_t off, size_t len);

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

/* Reads the entries with pread in blocks rather than through libelf, which
 * would keep a copy of the whole table (a megabyte in a libpython) for as
 * long as the image lives; only the parsed array stays. x86-64 files only:
 * 64-bit little-endian entries. */
static int load_rela(struct elfimage *img, const GElf_Shdr *shdr)
{
	uint8_t block[170 * sizeof(Elf64_Rela)];
	uint64_t done = 0;

	if (shdr->sh_entsize != sizeof(Elf64_Rela) || shdr->sh_offset > INT64_MAX)
		return 0;
	while (done + sizeof(Elf64_Rela) <= shdr->sh_size) {
		uint64_t want = shdr->sh_size - done;
		ssize_t got;

		if (want > sizeof(block))
			want = sizeof(block);
		got = pread(img->fd, block, want, (off_t)(shdr->sh_offset + done));
		/* a table the file does not hold whole is used as far as it goes */
		if (got < (ssize_t)sizeof(Elf64_Rela))
			return 0;
		for (size_t o = 0; o + sizeof(Elf64_Rela) <= (size_t)got; o += sizeof(Elf64_Rela)) {
			uint64_t info = le64(block + o + 8);
			int err = add_reloc(img, le64(block + o), (int64_t)le64(block + o + 16),
					    (uint32_t)ELF64_R_TYPE(info),
					    (uint32_t)ELF64_R_SYM(info));

			if (err)
				return err;
		}
		done += (uint64_t)got - (uint64_t)got % sizeof(Elf64_Rela);
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
	uint8_t *data;
	uint64_t where = 0;
	int err = 0;

	if (sec->size % 8 || !(data = elfimage__section_copy(img, sec)))
		return 0;
	for (uint64_t i = 0; i < sec->size / 8 && !err; i++) {
		uint64_t w = le64(data + 8 * i);

		if (!(w & 1)) {
			err = add_relr(img, w);
			where = w + 8;
			continue;
		}
		for (int bit = 1; bit < 64 && !err; bit++) {
			if (w >> bit & 1)
				err = add_relr(img, where + 8 * (bit - 1));
		}
		where += 63 * 8;
	}
	free(data);
	return err;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct elfimage_reloc *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The table's entries, read on first use through elf. */
static struct symtab *symtab_data(Elf *elf, struct symtab *t)
{
	size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);

	if (t->tried || !t->scn)
		return t;
	t->tried = true;
	t->data = elf_getdata(t->scn, NULL);
	if (t->data && entsize)
		t->count = t->data->d_size / entsize;
	return t;
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
	img->state = calloc(shnum, sizeof(*img->state));
	if (!img->secs || !img->state)
		return -ENOMEM;
	while ((scn = elf_nextscn(img->elf, scn)) && img->nsecs < shnum) {
		struct elfimage_section *s = &img->secs[img->nsecs];
		const char *name = NULL;
		GElf_Shdr shdr;

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
		img->state[img->nsecs].scn = scn;
		/* an address range that wraps is unusable */
		if (s->addr + s->size < s->addr)
			s->flags &= ~(uint64_t)SHF_ALLOC;
		img->nsecs++;

		if (shdr.sh_type == SHT_RELA && (shdr.sh_flags & SHF_ALLOC) && img->x86_64) {
			err = load_rela(img, &shdr);
			if (err)
				return err;
		} else if (shdr.sh_type == SHT_DYNSYM && !img->dynsym.scn) {
			img->dynsym = (struct symtab){.scn = scn, .strndx = shdr.sh_link};
		} else if (shdr.sh_type == SHT_SYMTAB && !img->symtab_index) {
			img->symtab_index = elf_ndxscn(scn);
		} else if (shdr.sh_type == SHT_DYNAMIC && !img->dynamic) {
			img->dynamic = scn;
			img->dynamic_strndx = shdr.sh_link;
		}
	}
	for (size_t i = 0; i < img->nsecs && img->x86_64; i++) {
		if (img->secs[i].type != SHT_RELR)
			continue;
		err = load_relr(img, &img->secs[i]);
		if (err)
			return err;
	}
	if (img->nrelocs) {
		struct elfimage_reloc *r;

		qsort(img->relocs, img->nrelocs, sizeof(*img->relocs), cmp_reloc);
		/* it lives as long as the image: no doubling slack */
		r = realloc(img->relocs, img->nrelocs * sizeof(*r));
		if (r) {
			img->relocs = r;
			img->caprelocs = img->nrelocs;
		}
	}
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
			(struct elfimage_load){ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
	}
	return 0;
}

struct elfimage *elfimage__open(const char *path)
{
	int fd = tfile_open(path);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return elfimage__open_fd(fd);
}

struct elfimage *elfimage__open_fd(int fd)
{
	struct elfimage *img;
	GElf_Ehdr ehdr;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		close(fd);
		errno = ENOTSUP;
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	img->fd = fd;
	img->elf = elf_begin(img->fd, ELF_C_READ, NULL);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &ehdr)) {
		err = -ENOEXEC;
		goto fail;
	}
	switch (ehdr.e_ident[EI_CLASS]) {
	case ELFCLASS32:
		img->addr_size = 4;
		break;
	case ELFCLASS64:
		img->addr_size = 8;
		break;
	default:
		err = -ENOEXEC;
		goto fail;
	}
	img->type = ehdr.e_type;
	img->big_endian = ehdr.e_ident[EI_DATA] == ELFDATA2MSB;
	img->x86_64 = ehdr.e_ident[EI_CLASS] == ELFCLASS64 &&
		      ehdr.e_ident[EI_DATA] == ELFDATA2LSB && ehdr.e_machine == EM_X86_64 &&
		      (ehdr.e_type == ET_EXEC || ehdr.e_type == ET_DYN);
	err = load_segments(img);
	if (!err)
		err = load_sections(img);
	if (err)
		goto fail;
	opened++;
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
	while (img->pages) {
		struct page *p = img->pages;

		img->pages = p->next;
		free(p);
	}
	while (img->chunks) {
		struct chunk *c = img->chunks;

		img->chunks = c->next;
		free(c);
	}
	free(img->secs);
	free(img->state);
	free(img->loads);
	free(img->relocs);
	free(img);
}

int elfimage__fd(const struct elfimage *img)
{
	return img->fd;
}

unsigned long elfimage__opened(void)
{
	return opened;
}

int elfimage__addr_size(const struct elfimage *img)
{
	return img->addr_size;
}

bool elfimage__big_endian(const struct elfimage *img)
{
	return img->big_endian;
}

bool elfimage__is_x86_64(const struct elfimage *img)
{
	return img->x86_64;
}

const struct elfimage_load *elfimage__loads(const struct elfimage *img, size_t *n)
{
	*n = img->nloads;
	return img->loads;
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

static int find_symbol(Elf *elf, struct symtab *table, const char *name, GElf_Sym *out)
{
	const struct symtab *t = symtab_data(elf, table);

	for (size_t i = 1; i < t->count; i++) {
		const char *s;
		GElf_Sym sym;

		if (!gelf_getsym(t->data, i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name)
			continue;
		s = elf_strptr(elf, t->strndx, sym.st_name);
		if (!s || strcmp(s, name))
			continue;
		*out = sym;
		return 0;
	}
	return -ENOENT;
}

/* .dynsym is the image's own (the image's state, cached). */
static int find_dynsym(const struct elfimage *img, const char *name, GElf_Sym *out)
{
	return find_symbol(img->elf, (struct symtab *)&img->dynsym, name, out);
}

/* .symtab, wanted only while a file is inspected, is read through a
 * second libelf descriptor on the same fd and dropped with it: libelf
 * keeps section data until elf_end, and a libpython's .symtab and .strtab
 * are most of a megabyte the session has no use for afterwards. */
static int find_symtab(const struct elfimage *img, const char *name, GElf_Sym *out)
{
	struct symtab t = {0};
	Elf_Scn *scn;
	GElf_Shdr shdr;
	Elf *elf;
	int err = -ENOENT;

	if (!img->symtab_index)
		return -ENOENT;
	elf = elf_begin(img->fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOENT;
	scn = elf_getscn(elf, img->symtab_index);
	if (scn && gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB) {
		t = (struct symtab){.scn = scn, .strndx = shdr.sh_link};
		err = find_symbol(elf, &t, name, out);
	}
	elf_end(elf);
	return err;
}

int elfimage__symbol(const struct elfimage *img, const char *name, uint64_t *vaddr, uint64_t *size)
{
	GElf_Sym sym;

	if (find_dynsym(img, name, &sym))
		return -ENOENT;
	if (vaddr)
		*vaddr = sym.st_value;
	if (size)
		*size = sym.st_size;
	return 0;
}

const char *elfimage__symbol_name(const struct elfimage *img, uint32_t idx)
{
	const struct symtab *t = symtab_data(img->elf, (struct symtab *)&img->dynsym);
	GElf_Sym sym;

	if (!idx || idx >= t->count || !gelf_getsym(t->data, idx, &sym))
		return NULL;
	return elf_strptr(img->elf, t->strndx, sym.st_name);
}

int elfimage__symbol_any(const struct elfimage *img, const char *name, struct elfimage_sym *out)
{
	GElf_Sym sym;

	if (find_dynsym(img, name, &sym) && find_symtab(img, name, &sym))
		return -ENOENT;
	*out = (struct elfimage_sym){sym.st_value, sym.st_size, sym.st_shndx};
	return 0;
}

const uint8_t *elfimage__symbol_bytes(const struct elfimage *img, const struct elfimage_sym *sym,
				      size_t len)
{
	const struct elfimage_section *s = NULL;
	Elf_Scn *scn;
	uint64_t off;

	if (sym->shndx == SHN_UNDEF || sym->shndx >= SHN_LORESERVE)
		return NULL;
	scn = elf_getscn(img->elf, sym->shndx);
	for (size_t i = 0; scn && i < img->nsecs && !s; i++) {
		if (img->state[i].scn == scn)
			s = &img->secs[i];
	}
	if (!s || s->type == SHT_NOBITS)
		return NULL;
	/* st_value is an address in linked files, a section offset in ET_REL */
	if (img->type == ET_REL) {
		off = sym->value;
	} else {
		if (sym->value < s->addr)
			return NULL;
		off = sym->value - s->addr;
	}
	if (off > s->size || len > s->size - off)
		return NULL;
	return section_range(img, s, off, len);
}

/* The idx-th dynamic entry with tag as a string, or NULL. */
static const char *dyn_string(const struct elfimage *img, int64_t tag, size_t idx)
{
	size_t entsize = gelf_fsize(img->elf, ELF_T_DYN, 1, EV_CURRENT);
	Elf_Data *data = img->dynamic ? elf_getdata(img->dynamic, NULL) : NULL;

	if (!data || !entsize)
		return NULL;
	for (size_t i = 0; i < data->d_size / entsize; i++) {
		GElf_Dyn dyn;

		if (!gelf_getdyn(data, i, &dyn) || dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag != tag || idx--)
			continue;
		return elf_strptr(img->elf, img->dynamic_strndx, dyn.d_un.d_val);
	}
	return NULL;
}

const char *elfimage__soname(const struct elfimage *img)
{
	return dyn_string(img, DT_SONAME, 0);
}

const char *elfimage__needed(const struct elfimage *img, size_t idx)
{
	return dyn_string(img, DT_NEEDED, idx);
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

void *elfimage__section_copy(const struct elfimage *img, const struct elfimage_section *s)
{
	uint8_t *buf;

	(void)img;
	if (s->type == SHT_NOBITS || s->offset > INT64_MAX) {
		errno = ENOENT;
		return NULL;
	}
	/* a section that claims more than the file holds (a damaged or
	 * crafted file) is refused before anything is allocated for it */
	struct stat st;

	if (fstat(img->fd, &st) || s->size > (uint64_t)st.st_size ||
	    s->offset > (uint64_t)st.st_size - s->size) {
		errno = EIO;
		return NULL;
	}
	buf = malloc(s->size ? s->size : 1);
	if (!buf)
		return NULL;
	if (pread(img->fd, buf, s->size, (off_t)s->offset) != (ssize_t)s->size) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	return buf;
}

/* The page of the file at off (a multiple of PAGE), read on first use. */
static struct page *file_page(struct elfimage *img, uint64_t off)
{
	struct page *p;
	ssize_t n;

	for (p = img->pages; p; p = p->next) {
		if (p->off == off)
			return p;
	}
	p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	n = off > INT64_MAX ? -1 : pread(img->fd, p->bytes, PAGE, (off_t)off);
	if (n <= 0) {
		free(p);
		return NULL;
	}
	p->off = off;
	p->len = (size_t)n;
	p->next = img->pages;
	img->pages = p;
	return p;
}

/* len bytes at off in s: from a file page, or read on their own when they
 * straddle pages. NULL when the file lacks them. */
static const uint8_t *section_range(const struct elfimage *img, const struct elfimage_section *s,
				    uint64_t off, size_t len)
{
	/* the page and chunk lists only: the image's own state */
	struct elfimage *w = (struct elfimage *)img;
	uint64_t at = s->offset + off, base = at & ~(uint64_t)(PAGE - 1);
	struct page *p;
	struct chunk *c;

	if (s->type == SHT_NOBITS || at < s->offset)
		return NULL;
	if (at - base + len <= PAGE) {
		p = file_page(w, base);
		return p && at - base + len <= p->len ? p->bytes + (at - base) : NULL;
	}
	c = malloc(sizeof(*c) + len);
	if (!c)
		return NULL;
	if (at > INT64_MAX || pread(img->fd, c->bytes, len, (off_t)at) != (ssize_t)len) {
		free(c);
		return NULL;
	}
	c->next = w->chunks;
	w->chunks = c;
	return c->bytes;
}

const uint8_t *elfimage__bytes(const struct elfimage *img, uint64_t vaddr, size_t len)
{
	for (size_t i = 0; i < img->nsecs; i++) {
		const struct elfimage_section *s = &img->secs[i];

		/* NOBITS sections are skipped: .tbss overlaps what follows it */
		if (!(s->flags & SHF_ALLOC) || s->type == SHT_NOBITS || vaddr < s->addr ||
		    vaddr - s->addr >= s->size)
			continue;
		if (len > s->size - (vaddr - s->addr))
			return NULL;
		return section_range(img, s, vaddr - s->addr, len);
	}
	return NULL;
}

const char *elfimage__string(const struct elfimage *img, uint64_t vaddr, size_t max)
{
	const struct elfimage_section *s = elfimage__section_at(img, vaddr);
	const char *p;
	size_t room;

	if (!s)
		return NULL;
	room = s->size - (vaddr - s->addr);
	if (room > max + 1)
		room = max + 1;
	p = (const char *)section_range(img, s, vaddr - s->addr, room);
	return p && memchr(p, '\0', room) ? p : NULL;
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

int elfimage__notes(const struct elfimage *img, const char *owner, uint32_t type,
		    int (*fn)(const void *desc, size_t len, void *ctx), void *ctx)
{
	size_t owner_len = strlen(owner) + 1;
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
				int ret;

				off = next;
				if (nh.n_type != type || nh.n_namesz != owner_len ||
				    memcmp(base + name_off, owner, owner_len))
					continue;
				/* gelf_getnote checked the bounds; checked again cheaply */
				if (desc_off > data->d_size ||
				    nh.n_descsz > data->d_size - desc_off)
					continue;
				ret = fn(base + desc_off, nh.n_descsz, ctx);
				if (ret)
					return ret;
			}
		}
	}
	return 0;
}

struct build_id {
	uint8_t *buf;
	size_t len;
};

static int copy_build_id(const void *desc, size_t len, void *ctx)
{
	struct build_id *id = ctx;

	memcpy(id->buf, desc, len < id->len ? len : id->len);
	/* a length is positive: it stops the walk at the first one */
	return len ? (int)len : -ENOENT;
}

int elfimage__build_id(const struct elfimage *img, uint8_t *buf, size_t len)
{
	struct build_id id = {buf, len};
	int ret = elfimage__notes(img, "GNU", NT_GNU_BUILD_ID, copy_build_id, &id);

	return ret ? ret : -ENOENT;
}
