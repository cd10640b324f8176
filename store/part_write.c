/* Writing a download's bytes into its part, bounded. */
#include "part_write.h"

#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

enum part_write_result part_write(int fd, uint64_t off, uint64_t limit,
				  const void *data, size_t n, int *err)
{
	const char *p = data;

	if (off > limit || n > limit - off)
		return PART_WRITE_LIMIT;
	/* off_t is signed: a limit past its range cannot be reached anyway */
	if (off + n > (uint64_t)INT64_MAX) {
		*err = EFBIG;
		return PART_WRITE_ERROR;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = pwrite(fd, p + done, n - done, (off_t)(off + done));

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* a write of 0 bytes to a regular file is a full disk
			 * that did not say so */
			*err = w < 0 ? errno : ENOSPC;
			return PART_WRITE_ERROR;
		}
		done += (size_t)w;
	}
	return PART_WRITE_OK;
}
