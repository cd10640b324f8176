/* Per-run temporary directories that killed runs do not leak for ever. */
#include "run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/error.h>

#define OWNER_FILE ".owner"

/* A directory younger than this is never swept: its run may be between
 * mkdtemp and taking the lock. */
#define SWEEP_GRACE_SECONDS 60

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int run_dir_create(const char *tmpdir, const char *prefix, struct run_dir *out,
		   char *err, size_t errlen)
{
	char *owner = NULL;
	char *dir = NULL;
	int fd = -1;

	out->path = NULL;
	out->lock_fd = -1;
	if (asprintf(&dir, "%s/%s-XXXXXX", tmpdir, prefix) < 0) {
		snprintf(err, errlen, "out of memory");
		return BP_ENOMEM;
	}
	if (!mkdtemp(dir)) {
		snprintf(err, errlen, "cannot create a directory in %s: %s",
			 tmpdir, strerror(errno));
		free(dir);
		return BP_EIO;
	}
	if (asprintf(&owner, "%s/" OWNER_FILE, dir) >= 0)
		fd = open(owner,
			  O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  0600);
	free(owner);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		snprintf(err, errlen, "cannot lock %s: %s", dir,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		remove_tree(dir);
		free(dir);
		return BP_EIO;
	}
	out->path = dir;
	out->lock_fd = fd;
	return 0;
}

void run_dir_remove(struct run_dir *d)
{
	if (d->path)
		remove_tree(d->path);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->path);
	d->path = NULL;
	d->lock_fd = -1;
}

/* True when the run of directory @name (in @dirfd) is gone: the lock on
 * its owner file is free, or it never got one and is past the grace. */
static int run_is_gone(int dirfd, const char *name)
{
	char owner[4096];
	int fd, gone;

	snprintf(owner, sizeof(owner), "%s/" OWNER_FILE, name);
	fd = openat(dirfd, owner, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT;
	gone = flock(fd, LOCK_EX | LOCK_NB) == 0;
	close(fd);
	return gone;
}

int run_dir_sweep(const char *tmpdir, const char *prefix)
{
	size_t plen = strlen(prefix);
	DIR *d = opendir(tmpdir);
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	int removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[4096];

		if (strncmp(e->d_name, prefix, plen) ||
		    e->d_name[plen] != '-' ||
		    strlen(e->d_name + plen + 1) != 6 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
		    now - st.st_mtime < SWEEP_GRACE_SECONDS ||
		    !run_is_gone(dirfd(d), e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		remove_tree(path);
		removed++;
	}
	closedir(d);
	return removed;
}
