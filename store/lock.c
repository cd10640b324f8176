/* The per-image lock: flock, so a crashed holder releases it. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

static int lock_open(const struct store_paths *p, char *err, size_t errlen)
{
	int fd = store_openat(p->lock, O_RDWR | O_CREAT, 0644);

	if (fd < 0)
		snprintf(err, errlen, "cannot open lock %s: %s%s", p->lock,
			 strerror(errno),
			 errno == ELOOP ? " (a symbolic link: remove it)" : "");
	return fd;
}

int store_lock_try(const struct store_paths *p, int *fd, char *err,
		   size_t errlen)
{
	int lfd = lock_open(p, err, errlen);

	if (lfd < 0)
		return BP_EIO;
	if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
		*fd = lfd;
		return 0;
	}
	if (errno == EWOULDBLOCK) {
		close(lfd);
		return 1;
	}
	snprintf(err, errlen, "cannot lock %s: %s", p->lock, strerror(errno));
	close(lfd);
	return BP_EIO;
}

int store_lock_wait(const struct store_paths *p, int *fd, char *err,
		    size_t errlen)
{
	const struct timespec nap = {0, 100 * 1000 * 1000};
	int lfd = lock_open(p, err, errlen);

	if (lfd < 0)
		return BP_EIO;
	/* Poll rather than block so SIGINT ends the wait promptly. */
	for (;;) {
		if (flock(lfd, LOCK_EX | LOCK_NB) == 0) {
			*fd = lfd;
			return 0;
		}
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "cannot lock %s: %s", p->lock,
				 strerror(errno));
			close(lfd);
			return BP_EIO;
		}
		if (bp_interrupted()) {
			snprintf(err, errlen,
				 "interrupted while waiting for %s", p->lock);
			close(lfd);
			return BP_EINTR;
		}
		nanosleep(&nap, NULL);
	}
}

void store_unlock(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}
