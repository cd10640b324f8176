/*
 * libFuzzer target for the size-limited download sink (store/part_write.c).
 * The input is a limit (2 bytes, in bytes) and then chunks, each a length
 * byte and that many bytes, written one after the other as libcurl hands
 * a body over. The file never holds more than the limit, holds exactly
 * the chunks accepted, and a chunk is refused only when it would pass it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "part_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t model[65536 + 256], back[sizeof(model)];
	uint64_t limit, off = 0;
	struct stat st;
	size_t i = 2;
	int fd, err;

	if (size < 2)
		return 0;
	limit = (uint64_t)data[0] << 8 | data[1];
	fd = memfd_create("part", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	while (i < size) {
		size_t n = data[i++];
		enum part_write_result r;

		if (n > size - i)
			n = size - i;
		err = 0;
		r = part_write(fd, off, limit, data + i, n, &err);
		if (r == PART_WRITE_ERROR)
			abort(); /* a memfd below 64 KiB does not fail */
		if ((r == PART_WRITE_LIMIT) != (off + n > limit))
			abort();
		if (r == PART_WRITE_OK) {
			memcpy(model + off, data + i, n);
			off += n;
		}
		i += n;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size != off || off > limit ||
	    pread(fd, back, (size_t)off, 0) != (ssize_t)off ||
	    memcmp(back, model, (size_t)off) != 0)
		abort();
	close(fd);
	return 0;
}
