/*
 * vmlinux: unpacks the ELF kernel from an x86 bzImage whose payload is xz
 * (Debian's). QEMU boots that ELF through its PVH entry, which skips the
 * decompressor: under TCG that is most of an x86 boot. The output is
 * written beside OUTPUT and renamed into place only when whole.
 *
 *   vmlinux BZIMAGE OUTPUT
 */
#include <errno.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;

	errno = 0;
	if (!f || fstat(fileno(f), &st) != 0 || st.st_size <= 0)
		goto out;
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	*size = (size_t)st.st_size;
out:
	if (!buf)
		fprintf(stderr, "vmlinux: %s: %s\n", path,
			errno ? strerror(errno) : "empty or short read");
	if (f)
		fclose(f);
	return buf;
}

/* Decodes the one xz stream at `in` into `out`; the bytes after it (the
 * rest of the bzImage) are not part of it. */
static int unxz(const uint8_t *in, size_t len, FILE *out, const char *name)
{
	lzma_stream s = LZMA_STREAM_INIT;
	uint8_t buf[1 << 16];
	lzma_ret ret = lzma_stream_decoder(&s, UINT64_MAX, 0);

	if (ret != LZMA_OK) {
		fprintf(stderr, "vmlinux: xz decoder: error %d\n", (int)ret);
		return -1;
	}
	s.next_in = in;
	s.avail_in = len;
	do {
		s.next_out = buf;
		s.avail_out = sizeof(buf);
		ret = lzma_code(&s, LZMA_FINISH);
		if (fwrite(buf, 1, sizeof(buf) - s.avail_out, out) !=
		    sizeof(buf) - s.avail_out) {
			fprintf(stderr, "vmlinux: %s: %s\n", name,
				strerror(errno));
			ret = LZMA_PROG_ERROR;
			break;
		}
	} while (ret == LZMA_OK);
	lzma_end(&s);
	if (ret != LZMA_STREAM_END) {
		fprintf(stderr,
			"vmlinux: the xz payload does not decode "
			"(liblzma error %d)\n",
			(int)ret);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t size = 0, off;
	uint8_t *image, elf[4] = {0};
	char tmp[4096];
	FILE *out;
	int rc = -1;

	if (argc != 3) {
		fprintf(stderr, "usage: vmlinux BZIMAGE OUTPUT\n");
		return 2;
	}
	image = read_all(argv[1], &size);
	if (!image)
		return 1;
	for (off = 0; off + sizeof(xz_magic) <= size; off++)
		if (!memcmp(image + off, xz_magic, sizeof(xz_magic)))
			break;
	if (off + sizeof(xz_magic) > size) {
		fprintf(stderr,
			"vmlinux: %s: no xz payload (not a bzImage "
			"built with CONFIG_KERNEL_XZ)\n",
			argv[1]);
		free(image);
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.part", argv[2]);
	out = fopen(tmp, "w+b");
	if (!out) {
		fprintf(stderr, "vmlinux: %s: %s\n", tmp, strerror(errno));
		free(image);
		return 1;
	}
	if (unxz(image + off, size - off, out, tmp) == 0) {
		rewind(out);
		if (fread(elf, 1, sizeof(elf), out) == sizeof(elf) &&
		    !memcmp(elf, "\177ELF", 4))
			rc = 0;
		else
			fprintf(stderr,
				"vmlinux: %s: the payload is not an "
				"ELF kernel\n",
				argv[1]);
	}
	if (fclose(out) != 0 && !rc) {
		fprintf(stderr, "vmlinux: %s: %s\n", tmp, strerror(errno));
		rc = -1;
	}
	if (!rc && rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "vmlinux: %s: %s\n", argv[2], strerror(errno));
		rc = -1;
	}
	if (rc)
		unlink(tmp);
	free(image);
	return rc ? 1 : 0;
}
