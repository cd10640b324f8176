/* Sparse image copy with SEEK_DATA / SEEK_HOLE. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_copy.h"

static int copy_range(int in, int out, off_t from, off_t to)
{
	char buf[1 << 16];

	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(buf)
				  ? (size_t)(to - from)
				  : sizeof(buf);
		ssize_t n = pread(in, buf, want, from);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? (errno = EIO, -1) : -1;
		for (ssize_t done = 0; done < n;) {
			ssize_t w = pwrite(out, buf + done, (size_t)(n - done),
					   from + done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -1;
			done += w;
		}
		from += n;
	}
	return 0;
}

int image_copy_sparse(const char *src, const char *dst, char *err,
		      size_t errlen)
{
	char *part = NULL;
	struct stat st;
	off_t data, hole = 0;
	int in = -1, out = -1, rc = -1;

	if (asprintf(&part, "%s.part", dst) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", src,
			 strerror(errno));
		goto out;
	}
	out = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		snprintf(err, errlen, "cannot write %s: %s", part,
			 strerror(errno));
		goto out;
	}
	for (;;) {
		data = lseek(in, hole, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0)
			goto io;
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || copy_range(in, out, data, hole) < 0)
			goto io;
	}
	if (ftruncate(out, st.st_size) < 0 || fsync(out) < 0)
		goto io;
	if (close(out) < 0) {
		out = -1;
		goto io;
	}
	out = -1;
	if (rename(part, dst) < 0)
		goto io;
	rc = 0;
	goto out;
io:
	snprintf(err, errlen, "cannot copy %s to %s: %s", src, part,
		 strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc < 0)
		unlink(part);
	free(part);
	return rc;
}
