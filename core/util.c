/* Host services exported to plugins (include/bootpipe/util.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/error.h>
#include <bootpipe/util.h>

char *bp_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	char *out;

	if (name[0] == '/' || n == 0)
		return strdup(name);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		n = 0; /* "/" + "x" is "/x", not "//x" */
	if (asprintf(&out, "%.*s/%s", (int)n, dir, name) < 0)
		return NULL;
	return out;
}

char *bp_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	while (slash > path && slash[-1] == '/')
		slash--;
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* mkdir that accepts an existing directory. */
static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int bp_mkdir_p(const char *dir, mode_t mode)
{
	char *copy = strdup(dir);
	int rc = 0;

	if (!copy) {
		errno = ENOMEM;
		return -1;
	}
	for (char *p = copy + 1; *p && rc == 0; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		rc = mkdir_one(copy, mode);
		*p = '/';
	}
	if (rc == 0 && copy[0])
		rc = mkdir_one(copy, mode);
	free(copy);
	return rc;
}

int bp_mkdir_parents(const char *path, mode_t mode)
{
	char *dir = bp_path_dirname(path);
	int rc;

	if (!dir) {
		errno = ENOMEM;
		return -1;
	}
	rc = bp_mkdir_p(dir, mode);
	free(dir);
	return rc;
}

char *bp_default_package_dir(const char *workspace)
{
	char *dir = bp_path_join(workspace, BP_DEFAULT_PACKAGE_SUBDIR);
	struct stat st;

	if (dir && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
		free(dir);
		dir = strdup(workspace);
	}
	return dir;
}

const char *bp_default_tmp_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && tmp[0] ? tmp : "/tmp";
}

char *bp_default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	struct passwd *pw;
	char *out;

	if (xdg && xdg[0] == '/')
		return strdup(xdg);
	if (!home || home[0] != '/') {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || home[0] != '/')
		return NULL;
	return asprintf(&out, "%s/.cache", home) < 0 ? NULL : out;
}

char *bp_default_user_workspace(void)
{
	char *cache = bp_default_cache_dir();
	char *ws = cache ? bp_path_join(cache, "bootpipe/workspace") : NULL;

	free(cache);
	if (!ws) {
		errno = ENOENT;
		return NULL;
	}
	if (bp_mkdir_p(ws, 0700) != 0) {
		free(ws);
		return NULL;
	}
	return ws;
}

const char *bp_file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFIFO:
		return "FIFO";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFSOCK:
		return "socket";
	case S_IFLNK:
		return "symbolic link";
	}
	return "special file";
}

int bp_open_config(const char *path, const char *what, char **why)
{
	struct stat st;
	int fd, flags, rc;

	*why = NULL;
	if (!what)
		what = "file";
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? BP_ENOENT : BP_EIO;
		if (asprintf(why, "cannot open %s %s: %s", what, path,
			     strerror(errno)) < 0)
			*why = NULL;
		return rc;
	}
	if (fstat(fd, &st) != 0) {
		if (asprintf(why, "cannot stat %s %s: %s", what, path,
			     strerror(errno)) < 0)
			*why = NULL;
		close(fd);
		return BP_EIO;
	}
	if (!S_ISREG(st.st_mode)) {
		if (asprintf(why,
			     "%s %s is a %s, not a regular file: give the "
			     "path of a file",
			     what, path, bp_file_kind(st.st_mode)) < 0)
			*why = NULL;
		close(fd);
		return BP_ECONFIG;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}

ssize_t bp_write_nosigpipe(int fd, const void *buf, size_t len)
{
	sigset_t pipe_set, old;
	ssize_t n;
	int e;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	do {
		n = write(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	e = errno;
	/* the SIGPIPE this write raised is ours to take back, unless the
	 * caller blocked it and may be waiting for one */
	if (n < 0 && e == EPIPE && !sigismember(&old, SIGPIPE)) {
		struct timespec zero = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 &&
		       errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return n;
}

size_t bp_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

bool bp_term_escapes(int fd)
{
	const char *t = getenv("TERM");

	return isatty(fd) && t && *t && strcmp(t, "dumb") != 0;
}
