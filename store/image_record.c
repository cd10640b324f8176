/* bootpipe's record of an extracted image and the cheap check of it. */
#include "image_record.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>

int image_record_read(const char *path, struct image_record *out)
{
	char buf[512], sha[80] = "", archive[80] = "";
	long long size = -1, sec = -1;
	long nsec = -1;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? BP_ENOENT : BP_EIO;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return BP_EIO;
	buf[n] = '\0';
	/* unknown lines are skipped: a later bootpipe may add some */
	for (char *line = buf, *nl; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (sscanf(line, "sha256 %79s", sha) != 1 &&
		    sscanf(line, "size %lld", &size) != 1 &&
		    sscanf(line, "mtime %lld.%ld", &sec, &nsec) != 2)
			sscanf(line, "archive %79s", archive);
	}
	if (!sha256_hex_parse(sha, out->sha256) ||
	    !sha256_hex_parse(archive, out->archive) || size < 0 || sec < 0 ||
	    nsec < 0 || nsec >= 1000000000L)
		return BP_EIO;
	out->size = size;
	out->mtime.tv_sec = (time_t)sec;
	out->mtime.tv_nsec = nsec;
	return 0;
}

int image_record_write(const char *path, const struct image_record *r,
		       char *err, size_t errlen)
{
	char text[256];

	snprintf(text, sizeof(text),
		 "sha256 %s\nsize %" PRId64 "\nmtime %lld.%09ld\narchive %s\n",
		 r->sha256, r->size, (long long)r->mtime.tv_sec,
		 (long)r->mtime.tv_nsec, r->archive);
	return store_file_replace(path, text, err, errlen);
}

/* "2026-12-03 08:30:40 UTC", with nanoseconds when @fine. */
static void utc_time(const struct timespec *t, bool fine, char *out, size_t len)
{
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t->tv_sec, &tm) ||
	    !(n = strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm))) {
		snprintf(out, len, "@%lld", (long long)t->tv_sec);
		return;
	}
	if (fine)
		n += (size_t)snprintf(out + n, len - n, ".%09ld",
				      (long)t->tv_nsec);
	if (n < len)
		snprintf(out + n, len - n, " UTC");
}

enum image_state image_check(const struct store_paths *p,
			     struct image_record *out, char *why, size_t whylen)
{
	struct image_record r;
	char marker[SHA256_HEX_SIZE];
	struct stat st;
	int rc = image_record_read(p->record, &r);

	if (rc == BP_ENOENT) {
		snprintf(why, whylen, "no record of it (%s)", p->record);
		return IMAGE_UNKNOWN;
	}
	if (rc) {
		snprintf(why, whylen, "its record %s is unreadable", p->record);
		return IMAGE_CHANGED;
	}
	if (store_marker_read(p, marker) != 0 || strcmp(marker, r.archive)) {
		snprintf(why, whylen,
			 "its record %s is of another archive than %s names",
			 p->record, p->marker);
		return IMAGE_UNKNOWN;
	}
	if (out)
		*out = r;
	if (stat(p->image, &st) != 0) {
		snprintf(why, whylen, "%s: %s", p->image, strerror(errno));
		return IMAGE_CHANGED;
	}
	if ((int64_t)st.st_size != r.size) {
		snprintf(why, whylen,
			 "it is %lld bytes, %lld when it was extracted",
			 (long long)st.st_size, (long long)r.size);
		return IMAGE_CHANGED;
	}
	if (st.st_mtim.tv_sec != r.mtime.tv_sec ||
	    st.st_mtim.tv_nsec != r.mtime.tv_nsec) {
		char now[64], then[64];
		bool fine = st.st_mtim.tv_sec == r.mtime.tv_sec;

		utc_time(&st.st_mtim, fine, now, sizeof(now));
		utc_time(&r.mtime, fine, then, sizeof(then));
		snprintf(why, whylen, "modified %s, extracted %s", now, then);
		return IMAGE_CHANGED;
	}
	return IMAGE_UNCHANGED;
}
