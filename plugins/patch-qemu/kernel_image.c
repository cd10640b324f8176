/* ELF kernels to raw binaries (ostool's to_bin), with libelf. */
#include "kernel_image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

/* A flat image larger than this is a linker script mistake, not a kernel. */
#define MAX_IMAGE_SIZE (1ull << 30)

bool kernel_is_elf(const char *path)
{
	unsigned char magic[4];
	FILE *f = fopen(path, "rb");
	bool elf;

	if (!f)
		return false;
	elf = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	      !memcmp(magic, ELFMAG, SELFMAG);
	fclose(f);
	return elf;
}

char *kernel_bin_placeholder(const char *workspace)
{
	char *out;

	if (asprintf(&out, "%s/tmp/bootpipe/bin/SHA256.bin", workspace) < 0)
		return NULL;
	return out;
}

/* The sha256 of @path's bytes as 64 hex digits in @hex. */
static int file_sha256(const char *path, char hex[65], char *err, size_t errlen)
{
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *ctx;
	unsigned int mdlen = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = 0;
	int rc = BP_EIO;

	/* a digest needs neither openssl.cnf nor the cipher tables: loading
	 * them was a third of the time of a plan */
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG |
				OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
				OPENSSL_INIT_NO_ADD_ALL_DIGESTS,
			    NULL);
	ctx = EVP_MD_CTX_new();
	if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		snprintf(err, errlen, "cannot read kernel %s: %s", path,
			 fd < 0 ? strerror(errno) : "libcrypto failed");
		goto out;
	}
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)got);
	if (got < 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		snprintf(err, errlen, "cannot read kernel %s: %s", path,
			 got < 0 ? strerror(errno) : "libcrypto failed");
		goto out;
	}
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* A run of file bytes that lands at @lma in the flat image. */
struct chunk {
	const char *name; /* section name, borrowed from libelf */
	uint64_t lma;
	uint64_t offset;
	uint64_t size;
};

struct layout {
	struct chunk *chunks;
	size_t count;
	uint64_t lo;
	uint64_t hi;
};

/*
 * BFD's ELF_SECTION_IN_SEGMENT for an allocated section with file bytes:
 * its file range inside the segment's file bytes and its address range
 * inside the segment's memory.
 */
static bool section_in_segment(const GElf_Shdr *sh, const GElf_Phdr *ph)
{
	bool tls = sh->sh_flags & SHF_TLS;

	if (!((ph->p_type == PT_LOAD && !tls) || (ph->p_type == PT_TLS && tls)))
		return false;
	return sh->sh_offset >= ph->p_offset &&
	       sh->sh_offset - ph->p_offset <= ph->p_filesz &&
	       sh->sh_size <= ph->p_filesz - (sh->sh_offset - ph->p_offset) &&
	       sh->sh_addr >= ph->p_vaddr &&
	       sh->sh_addr - ph->p_vaddr <= ph->p_memsz &&
	       sh->sh_size <= ph->p_memsz - (sh->sh_addr - ph->p_vaddr);
}

/*
 * A section's load address as BFD computes it: the first segment holding
 * it maps its file offset to the segment's p_paddr. Outside any segment,
 * or when every p_paddr is zero with several PT_LOADs (linkers that leave
 * p_paddr unset), the load address is the section's own address.
 */
static uint64_t section_lma(Elf *elf, const GElf_Shdr *sh, bool use_paddr)
{
	size_t n = 0;

	if (!use_paddr || elf_getphdrnum(elf, &n))
		return sh->sh_addr;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) &&
		    section_in_segment(sh, &ph))
			return ph.p_paddr + (sh->sh_offset - ph.p_offset);
	}
	return sh->sh_addr;
}

/* False when every p_paddr is zero and there are several PT_LOADs. */
static bool paddr_usable(Elf *elf)
{
	size_t n = 0;
	size_t loads = 0;

	if (elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_paddr != 0)
			return true;
		if (ph.p_type == PT_LOAD && ph.p_memsz != 0)
			loads++;
	}
	return loads <= 1;
}

static int layout_add(struct layout *l, const char *name, uint64_t lma,
		      uint64_t offset, uint64_t size, uint64_t file_size,
		      const char *path, char *err, size_t errlen)
{
	struct chunk *grown;

	if (offset > file_size || size > file_size - offset) {
		snprintf(err, errlen,
			 "%s: %s has file bytes 0x%llx..0x%llx past the end "
			 "of the file (%llu bytes)",
			 path, name, (unsigned long long)offset,
			 (unsigned long long)(offset + size),
			 (unsigned long long)file_size);
		return BP_ECONFIG;
	}
	if (lma > UINT64_MAX - size) {
		snprintf(err, errlen,
			 "%s: %s at load address 0x%llx wraps the address "
			 "space",
			 path, name, (unsigned long long)lma);
		return BP_ECONFIG;
	}
	grown = realloc(l->chunks, (l->count + 1) * sizeof(*grown));
	if (!grown)
		return BP_ENOMEM;
	l->chunks = grown;
	l->chunks[l->count++] = (struct chunk){name, lma, offset, size};
	return 0;
}

/*
 * What `objcopy -O binary` writes: every allocated section with file bytes
 * (SHF_ALLOC, not SHT_NOBITS, not empty) at its load address.
 */
static int collect_sections(Elf *elf, struct layout *l, uint64_t file_size,
			    const char *path, char *err, size_t errlen)
{
	bool use_paddr = paddr_usable(elf);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	size_t count;

	if (elf_getshdrnum(elf, &count) || count == 0)
		return 0;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		snprintf(err, errlen, "%s: no section name table: %s", path,
			 elf_errmsg(-1));
		return BP_ECONFIG;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;
		int rc;

		if (!gelf_getshdr(scn, &sh)) {
			snprintf(err, errlen, "%s: bad section header %zu: %s",
				 path, elf_ndxscn(scn), elf_errmsg(-1));
			return BP_ECONFIG;
		}
		if (!(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS ||
		    sh.sh_size == 0)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		rc = layout_add(l, name ? name : "(unnamed section)",
				section_lma(elf, &sh, use_paddr), sh.sh_offset,
				sh.sh_size, file_size, path, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Without section headers, BFD falls back to the PT_LOAD segments. */
static int collect_segments(Elf *elf, struct layout *l, uint64_t file_size,
			    const char *path, char *err, size_t errlen)
{
	size_t n;

	if (elf_getphdrnum(elf, &n)) {
		snprintf(err, errlen, "%s: no program headers: %s", path,
			 elf_errmsg(-1));
		return BP_ECONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		int rc;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_filesz == 0)
			continue;
		rc = layout_add(l, "PT_LOAD segment", ph.p_paddr, ph.p_offset,
				ph.p_filesz, file_size, path, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

/* Names the widest hole between consecutive chunks in a too-large image. */
static void describe_span(const struct layout *l, const char *path, char *err,
			  size_t errlen)
{
	const struct chunk *before = NULL;
	const struct chunk *after = NULL;
	uint64_t widest = 0;

	for (size_t i = 0; i < l->count; i++) {
		const struct chunk *c = &l->chunks[i];
		const struct chunk *prev = NULL;

		/* the chunk ending last below c, if c starts after its end */
		for (size_t j = 0; j < l->count; j++) {
			const struct chunk *p = &l->chunks[j];

			if (p->lma < c->lma &&
			    (!prev ||
			     p->lma + p->size > prev->lma + prev->size))
				prev = p;
		}
		if (prev && c->lma > prev->lma + prev->size &&
		    c->lma - (prev->lma + prev->size) > widest) {
			widest = c->lma - (prev->lma + prev->size);
			before = prev;
			after = c;
		}
	}
	if (before)
		snprintf(
		    err, errlen,
		    "%s: the raw binary would be %llu bytes, more than "
		    "1 GiB: %s (load address 0x%llx..0x%llx) and %s (0x%llx) "
		    "leave a gap of %llu bytes; check the linker script's "
		    "load addresses",
		    path, (unsigned long long)(l->hi - l->lo), before->name,
		    (unsigned long long)before->lma,
		    (unsigned long long)(before->lma + before->size),
		    after->name, (unsigned long long)after->lma,
		    (unsigned long long)widest);
	else
		snprintf(err, errlen,
			 "%s: the raw binary would be %llu bytes, more than "
			 "1 GiB (load addresses 0x%llx..0x%llx)",
			 path, (unsigned long long)(l->hi - l->lo),
			 (unsigned long long)l->lo, (unsigned long long)l->hi);
}

static int plan_layout(Elf *elf, int in, struct layout *l, const char *path,
		       char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (fstat(in, &st)) {
		snprintf(err, errlen, "cannot stat %s: %s", path,
			 strerror(errno));
		return BP_EIO;
	}
	rc = collect_sections(elf, l, (uint64_t)st.st_size, path, err, errlen);
	if (!rc && l->count == 0)
		rc = collect_segments(elf, l, (uint64_t)st.st_size, path, err,
				      errlen);
	if (rc)
		return rc;
	if (l->count == 0) {
		snprintf(err, errlen,
			 "%s: no allocated section or loadable segment with "
			 "data",
			 path);
		return BP_ECONFIG;
	}
	l->lo = UINT64_MAX;
	l->hi = 0;
	for (size_t i = 0; i < l->count; i++) {
		const struct chunk *c = &l->chunks[i];

		if (c->lma < l->lo)
			l->lo = c->lma;
		if (c->lma + c->size > l->hi)
			l->hi = c->lma + c->size;
	}
	if (l->hi - l->lo > MAX_IMAGE_SIZE) {
		describe_span(l, path, err, errlen);
		return BP_ECONFIG;
	}
	return 0;
}

/* In section header order, so a later overlapping section wins as with
 * objcopy. */
static int copy_chunks(const struct layout *l, int in, int out,
		       const char *path, const char *out_path, char *err,
		       size_t errlen)
{
	char buf[65536];

	for (size_t i = 0; i < l->count; i++) {
		const struct chunk *c = &l->chunks[i];
		uint64_t done = 0;

		while (done < c->size) {
			size_t want = c->size - done < sizeof(buf)
					  ? (size_t)(c->size - done)
					  : sizeof(buf);
			ssize_t got =
			    pread(in, buf, want, (off_t)(c->offset + done));

			if (got <= 0) {
				snprintf(err, errlen,
					 "cannot read %s of %s: %s", c->name,
					 path,
					 got ? strerror(errno) : "truncated");
				return BP_EIO;
			}
			if (pwrite(out, buf, (size_t)got,
				   (off_t)(c->lma - l->lo + done)) != got) {
				snprintf(err, errlen, "cannot write %s: %s",
					 out_path, strerror(errno));
				return BP_EIO;
			}
			done += (uint64_t)got;
		}
	}
	return 0;
}

int kernel_elf_to_bin(const char *elf_path, const char *bin_path, char *err,
		      size_t errlen)
{
	struct layout layout = {0};
	char *tmp = NULL;
	Elf *elf = NULL;
	int out = -1;
	int in;
	int rc;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return BP_EIO;
	}
	in = open(elf_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		snprintf(err, errlen, "cannot open kernel %s: %s", elf_path,
			 strerror(errno));
		return BP_EIO;
	}
	elf = elf_begin(in, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		snprintf(err, errlen, "%s is not a valid ELF file: %s",
			 elf_path, elf_errmsg(-1));
		rc = BP_ECONFIG;
		goto out_elf;
	}
	rc = plan_layout(elf, in, &layout, elf_path, err, errlen);
	if (rc)
		goto out_elf;
	/* a name of its own: two conversions to one path never share it */
	if (asprintf(&tmp, "%s.XXXXXX.tmp", bin_path) < 0) {
		tmp = NULL;
		rc = BP_ENOMEM;
		goto out_elf;
	}
	/* locked while it is written: a sweep takes an unlocked one for the
	 * leftover of a conversion that was killed */
	if (bp_mkdir_parents(bin_path, 0755) ||
	    (out = mkostemps(tmp, 4, O_CLOEXEC)) < 0 ||
	    flock(out, LOCK_EX | LOCK_NB) || fchmod(out, 0644) ||
	    ftruncate(out, (off_t)(layout.hi - layout.lo))) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		rc = BP_EIO;
		goto out_tmp;
	}
	rc = copy_chunks(&layout, in, out, elf_path, tmp, err, errlen);
	if (!rc && close(out)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		rc = BP_EIO;
	}
	out = -1;
	if (!rc && rename(tmp, bin_path)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp,
			 bin_path, strerror(errno));
		rc = BP_EIO;
	}
out_tmp:
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	free(tmp);
out_elf:
	free(layout.chunks);
	elf_end(elf);
	close(in);
	return rc;
}

/* Images unused for this long go when a new one is made: every rebuild
 * of a kernel adds one. Reuse refreshes the mtime, so none in use goes. */
#define BIN_MAX_AGE (7 * 24 * 3600)

/* A temporary nobody holds locked is what a killed conversion left; the
 * grace covers the moment between its close and its rename. */
#define TMP_GRACE 60

static bool orphaned_tmp(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool free_lock;

	if (fd < 0)
		return false;
	free_lock = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return free_lock;
}

static void sweep_old_bins(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		bool tmp = len >= 4 && !strcmp(e->d_name + len - 4, ".tmp");

		if (!tmp && (len < 4 || strcmp(e->d_name + len - 4, ".bin")))
			continue;
		if (!strcmp(keep, e->d_name) ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (now - st.st_mtime >= BIN_MAX_AGE ||
		    (tmp && now - st.st_mtime >= TMP_GRACE &&
		     orphaned_tmp(dirfd(d), e->d_name)))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int kernel_bin_cached(const char *workspace, const char *elf_path, char **out,
		      bool *made, char *err, size_t errlen)
{
	char *path, *dir;
	char hex[65];
	struct stat st;
	int rc;

	*out = NULL;
	*made = false;
	rc = file_sha256(elf_path, hex, err, errlen);
	if (rc)
		return rc;
	if (asprintf(&path, "%s/tmp/bootpipe/bin/%s.bin", workspace, hex) < 0)
		return BP_ENOMEM;
	/* only whole images are ever renamed to this name: reuse it, and
	 * mark it used so a sweep of old entries keeps it */
	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW);
		*out = path;
		return 0;
	}
	rc = kernel_elf_to_bin(elf_path, path, err, errlen);
	if (rc) {
		free(path);
		return rc;
	}
	*made = true;
	*out = path;
	dir = bp_path_dirname(path);
	if (dir)
		sweep_old_bins(dir, strrchr(path, '/') + 1);
	free(dir);
	return 0;
}
