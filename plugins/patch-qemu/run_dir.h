/* Per-run temporary directories (UEFI vars and ESP) under a shared tmpdir:
 * a run holds a lock in its own for its lifetime, so a later run can tell
 * the directories of killed runs from live ones and remove them. */
#ifndef BP_PATCH_QEMU_RUN_DIR_H
#define BP_PATCH_QEMU_RUN_DIR_H

#include <stddef.h>

struct run_dir {
	char *path;  /* NULL when none */
	int lock_fd; /* holds the flock on path/.owner, -1 when none */
};

#define RUN_DIR_INIT                                                           \
	{                                                                      \
		NULL, -1                                                       \
	}

/* Creates @tmpdir/@prefix-XXXXXX and locks it. BP_EIO with @err. */
int run_dir_create(const char *tmpdir, const char *prefix, struct run_dir *out,
		   char *err, size_t errlen);

/* Removes the directory and its contents and drops the lock. */
void run_dir_remove(struct run_dir *d);

/* Removes the @prefix-* directories of @tmpdir owned by this user whose
 * run is gone (no process holds their lock). Returns how many. */
int run_dir_sweep(const char *tmpdir, const char *prefix);

#endif
