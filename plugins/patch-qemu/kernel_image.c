/* ELF kernels to raw binaries (ostool's to_bin), with libelf. */
#include "kernel_image.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>

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

char *kernel_bin_path(const char *workspace, const char *kernel)
{
	const char *base = strrchr(kernel, '/');
	size_t len;
	char *out;

	base = base ? base + 1 : kernel;
	len = strlen(base);
	if (len > 4 && !strcmp(base + len - 4, ".elf"))
		len -= 4;
	if (asprintf(&out, "%s/tmp/bootpipe/%.*s.bin", workspace, (int)len,
		     base) < 0)
		return NULL;
	return out;
}

static int mkdir_parents(const char *path)
{
	char *copy = strdup(path);
	int rc = 0;

	if (!copy)
		return -1;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(copy);
	return rc;
}

/* The address range covered by the PT_LOAD segments with file bytes. */
static int load_range(Elf *elf, uint64_t *lo, uint64_t *hi, char *err,
		      size_t errlen, const char *path)
{
	size_t n;

	*lo = UINT64_MAX;
	*hi = 0;
	if (elf_getphdrnum(elf, &n)) {
		snprintf(err, errlen, "%s: no program headers: %s", path,
			 elf_errmsg(-1));
		return BP_ECONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_filesz == 0)
			continue;
		if (ph.p_paddr < *lo)
			*lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_filesz > *hi)
			*hi = ph.p_paddr + ph.p_filesz;
	}
	if (*lo == UINT64_MAX) {
		snprintf(err, errlen, "%s: no loadable segment with data",
			 path);
		return BP_ECONFIG;
	}
	if (*hi - *lo > MAX_IMAGE_SIZE) {
		snprintf(
		    err, errlen,
		    "%s: loadable segments span %llu bytes (0x%llx..0x%llx)"
		    ", more than 1 GiB",
		    path, (unsigned long long)(*hi - *lo),
		    (unsigned long long)*lo, (unsigned long long)*hi);
		return BP_ECONFIG;
	}
	return 0;
}

static int copy_segments(Elf *elf, int in, int out, uint64_t lo,
			 const char *path, char *err, size_t errlen)
{
	char buf[65536];
	size_t n = 0;

	elf_getphdrnum(elf, &n);
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		uint64_t done = 0;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
		    ph.p_filesz == 0)
			continue;
		while (done < ph.p_filesz) {
			size_t want = ph.p_filesz - done < sizeof(buf)
					  ? (size_t)(ph.p_filesz - done)
					  : sizeof(buf);
			ssize_t got =
			    pread(in, buf, want, (off_t)(ph.p_offset + done));

			if (got <= 0) {
				snprintf(err, errlen,
					 "cannot read segment %zu of %s: %s", i,
					 path,
					 got ? strerror(errno) : "truncated");
				return BP_EIO;
			}
			if (pwrite(out, buf, (size_t)got,
				   (off_t)(ph.p_paddr - lo + done)) != got) {
				snprintf(err, errlen, "cannot write %s: %s",
					 path, strerror(errno));
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
	uint64_t lo, hi;
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
	rc = load_range(elf, &lo, &hi, err, errlen, elf_path);
	if (rc)
		goto out_elf;
	if (asprintf(&tmp, "%s.tmp", bin_path) < 0) {
		rc = BP_ENOMEM;
		goto out_elf;
	}
	if (mkdir_parents(bin_path) ||
	    (out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) <
		0 ||
	    ftruncate(out, (off_t)(hi - lo))) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		rc = BP_EIO;
		goto out_tmp;
	}
	rc = copy_segments(elf, in, out, lo, elf_path, err, errlen);
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
	elf_end(elf);
	close(in);
	return rc;
}
