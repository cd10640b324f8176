/*
 * Reads the frozen header of a plugin's descriptor (magic, ABI version,
 * size) from the file itself, without dlopen. Only used after dlopen
 * failed: a plugin built for a newer bootpipe may need host functions or
 * symbol versions this one lacks, and then deserves the ABI message, not
 * the linker's. The header is plain integers, so its bytes in the file
 * are what the loaded descriptor would hold.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* Section tables bigger than this are not a plugin's. */
#define MAX_SECTIONS 4096
#define MAX_DYNSYM (1u << 24)

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n == (ssize_t)len ? 0 : -1;
}

static int find_symbol(int fd, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
		       struct plugin_header *out)
{
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sym = &sh[i], *str;
		char name[sizeof(BP_PLUGIN_SYMBOL)];
		size_t count;

		if (sym->sh_type != SHT_DYNSYM || sym->sh_link >= eh->e_shnum ||
		    sym->sh_entsize != sizeof(Elf64_Sym))
			continue;
		str = &sh[sym->sh_link];
		count = sym->sh_size / sizeof(Elf64_Sym);
		if (count > MAX_DYNSYM)
			return -1;
		for (size_t j = 0; j < count; j++) {
			Elf64_Sym s;
			const Elf64_Shdr *in;

			if (read_at(fd, &s, sizeof(s),
				    sym->sh_offset + j * sizeof(s)) ||
			    s.st_name >= str->sh_size ||
			    s.st_shndx == SHN_UNDEF ||
			    s.st_shndx >= eh->e_shnum ||
			    s.st_size < sizeof(*out))
				continue;
			if (read_at(fd, name, sizeof(name),
				    str->sh_offset + s.st_name) ||
			    memcmp(name, BP_PLUGIN_SYMBOL, sizeof(name)) != 0)
				continue;
			in = &sh[s.st_shndx];
			if (in->sh_type == SHT_NOBITS ||
			    s.st_value < in->sh_addr ||
			    s.st_value - in->sh_addr + sizeof(*out) >
				in->sh_size)
				return -1;
			return read_at(fd, out, sizeof(*out),
				       in->sh_offset + s.st_value -
					   in->sh_addr);
		}
	}
	return -1;
}

int plugin_header_peek(const char *path, struct plugin_header *out)
{
	static const unsigned char native =
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	    ELFDATA2LSB;
#else
	    ELFDATA2MSB;
#endif
	Elf64_Ehdr eh;
	Elf64_Shdr *sh = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int rc = -1;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    read_at(fd, &eh, sizeof(eh), 0) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != native ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
	    eh.e_shnum > MAX_SECTIONS)
		goto out;
	sh = calloc(eh.e_shnum, sizeof(*sh));
	if (!sh || read_at(fd, sh, eh.e_shnum * sizeof(*sh), eh.e_shoff))
		goto out;
	rc = find_symbol(fd, &eh, sh, out);
out:
	free(sh);
	close(fd);
	return rc;
}
