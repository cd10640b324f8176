/* FAT32 images for ArceOS configs, made with mkfs.fat without a shell. */
#include "fat_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/util.h>

extern char **environ;

bool fat_disk_wanted(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	return !strcmp(base, "disk.img") ||
	       (!strncmp(base, "arceos-", 7) && n > 17 &&
		!strcmp(base + n - 10, "-fat32.img"));
}

bool fat_disk_recreated(const char *workspace, const char *path)
{
	char *dir = bp_path_join(workspace, "tmp/axbuild/runtime-assets/");
	bool under = dir && !strncmp(path, dir, strlen(dir));

	free(dir);
	return under;
}

/* mkfs.fat from PATH, else the sbin directories a non-root PATH lacks;
 * only absolute directories count. */
static char *find_mkfs(void)
{
	const char *path = getenv("PATH");
	char *dirs;
	char *found = NULL;

	if (asprintf(&dirs, "%s:/usr/sbin:/sbin", path ? path : "") < 0)
		return NULL;
	for (char *d = dirs; d && !found;) {
		char *colon = strchr(d, ':');
		char *full;

		if (colon)
			*colon = '\0';
		full = *d == '/' ? bp_path_join(d, "mkfs.fat") : NULL;
		if (full && access(full, X_OK) == 0)
			found = full;
		else
			free(full);
		d = colon ? colon + 1 : NULL;
	}
	free(dirs);
	return found;
}

/* Runs mkfs.fat -F 32 @image; its stderr goes into @err on failure. */
static int run_mkfs(const char *mkfs, const char *image, char *err,
		    size_t errlen)
{
	char *const argv[] = {(char *)mkfs, "-F", "32", (char *)image, NULL};
	posix_spawn_file_actions_t fa;
	char out[512] = "";
	size_t got = 0;
	int pipefd[2];
	ssize_t n;
	pid_t pid;
	int status = 0;
	int rc;

	if (pipe2(pipefd, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return BP_EIO;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawn(&pid, mkfs, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		snprintf(err, errlen, "cannot run %s: %s", mkfs, strerror(rc));
		return BP_EINFRA;
	}
	while ((n = read(pipefd[0], out + got, sizeof(out) - 1 - got)) > 0 ||
	       (n < 0 && errno == EINTR))
		got += n > 0 ? (size_t)n : 0;
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	snprintf(err, errlen, "%s -F 32 %s failed (status %d)%s%s", mkfs, image,
		 WIFEXITED(status) ? WEXITSTATUS(status) : -1, *out ? ": " : "",
		 out);
	return BP_EINFRA;
}

int fat_disk_create(const char *path, char *err, size_t errlen)
{
	char *mkfs = find_mkfs();
	char *tmp = NULL;
	int fd = -1;
	int rc = BP_EIO;

	if (!mkfs) {
		snprintf(err, errlen,
			 "cannot make the FAT32 image %s: mkfs.fat not found "
			 "(install dosfstools)",
			 path);
		return BP_EINFRA;
	}
	if (bp_mkdir_parents(path, 0755)) {
		snprintf(err, errlen, "cannot create the directory of %s: %s",
			 path, strerror(errno));
		goto out;
	}
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		rc = BP_ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	/* 0644 as truncate(1) under the usual umask leaves it */
	if (fd < 0 || fchmod(fd, 0644) || ftruncate(fd, (off_t)FAT_DISK_SIZE) ||
	    close(fd)) {
		snprintf(err, errlen, "cannot create %s: %s", tmp,
			 strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	rc = run_mkfs(mkfs, tmp, err, errlen);
	if (!rc && rename(tmp, path)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
			 strerror(errno));
		rc = BP_EIO;
	}
	if (rc)
		unlink(tmp);
out:
	free(tmp);
	free(mkfs);
	return rc;
}
