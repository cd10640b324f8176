/* The per-image lock held while an image is ensured or removed. */
#ifndef BP_STORE_LOCK_H
#define BP_STORE_LOCK_H

#include <stddef.h>

#include "layout.h"

/*
 * Takes the exclusive lock without waiting: 0 and *fd when taken, 1 when
 * another process holds it (then call store_lock_wait), or BP_EIO.
 */
int store_lock_try(const struct store_paths *p, int *fd, char *err,
		   size_t errlen);

/* Waits for the lock, polling so an interrupt stops the wait: 0, BP_EINTR
 * or BP_EIO. */
int store_lock_wait(const struct store_paths *p, int *fd, char *err,
		    size_t errlen);

void store_unlock(int fd);

#endif
