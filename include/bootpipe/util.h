/*
 * Small host services every stage needs, exported by libbootpipe so that
 * plugins do not each carry a copy.
 *
 * Thread safety: every function here is reentrant and may be called from
 * any thread. NULL arguments are not allowed unless said otherwise.
 */
#ifndef BOOTPIPE_UTIL_H
#define BOOTPIPE_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Joins @dir and @name with exactly one '/' (trailing slashes of @dir are
 * dropped; an empty @dir yields @name). An absolute @name is returned as
 * is. malloc'ed; NULL when out of memory.
 */
char *bp_path_join(const char *dir, const char *name);

/* The directory part of @path: "." when it has none, "/" for "/x".
 * malloc'ed; NULL when out of memory. */
char *bp_path_dirname(const char *path);

/*
 * Creates @dir and every missing parent with @mode (before the umask), as
 * `mkdir -p` does. An existing directory is success. Returns 0, or -1 with
 * errno set (ENOTDIR when a component exists and is not a directory), like
 * mkdir(2), so callers can name the cause with strerror(errno).
 */
int bp_mkdir_p(const char *dir, mode_t mode);

/* bp_mkdir_p of the directory that will hold the file @path. */
int bp_mkdir_parents(const char *path, mode_t mode);

/*
 * Opens @path read-only as a configuration file, @what naming it in
 * messages ("pipeline file", "QEMU config"): the open never blocks (a
 * FIFO without a writer), never takes a terminal, and anything but a
 * regular file (FIFO, device, directory, socket) is refused, so a wrong
 * path cannot hang a run or feed it an endless stream. Returns the file
 * descriptor (O_CLOEXEC, blocking again), or a negative bp_status
 * (BP_ENOENT, BP_ECONFIG, BP_EIO, BP_ENOMEM) with *why set to a malloc'ed
 * message that names the path (may be NULL when out of memory; the caller
 * frees it).
 */
int bp_open_config(const char *path, const char *what, char **why);

/* "FIFO", "directory", "character device", ... for a st_mode. */
const char *bp_file_kind(mode_t mode);

/*
 * write(2) that never raises SIGPIPE: when the reader is gone (QEMU died,
 * stdout piped into a closed `head`) the call fails with EPIPE instead of
 * killing the process. Retries on EINTR; otherwise one write, returning
 * what write(2) returns with errno set. A SIGPIPE the caller already
 * blocks stays pending for it.
 */
ssize_t bp_write_nosigpipe(int fd, const void *buf, size_t len);

/*
 * The workspace root as cargo finds it: the nearest directory from @start
 * (the current directory when NULL) up to / whose Cargo.toml has a
 * [workspace] table. malloc'ed; NULL when there is none, @start cannot be
 * read, or out of memory.
 */
char *bp_workspace_find(const char *start);

/*
 * Levenshtein distance of two short words, for "did you mean" hints;
 * (size_t)-1 when either is 64 bytes or longer.
 */
size_t bp_edit_distance(const char *a, const char *b);

/*
 * Whether @fd is a terminal that understands escape sequences: a tty and
 * TERM set to anything but "dumb". Colours, progress bars and terminal
 * restores all ask this one question, so TERM=dumb means no escape
 * sequence from bootpipe at all (NO_COLOR only turns colours off).
 */
bool bp_term_escapes(int fd);

#ifdef __cplusplus
}
#endif
#endif
