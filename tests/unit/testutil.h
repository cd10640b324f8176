/* Scaffolding shared by the unit tests: a scratch directory, its removal,
 * and small file and string helpers that fail the running test on error.
 * Include after <cmocka.h>. */
#ifndef BOOTPIPE_TESTUTIL_H
#define BOOTPIPE_TESTUTIL_H

#include <stddef.h>

/* Makes $TMPDIR/bp-@name-XXXXXX (/tmp when TMPDIR is unset) and leaves
 * its path in @buf; 0, or -1 when it does not fit or cannot be made. */
int tu_mkdtemp(char *buf, size_t size, const char *name);

/* Removes @path and everything below it, links not followed; 0 when it
 * is gone (or never was), -1 when something could not be removed. */
int tu_rmtree(const char *path);

/* Writes @text to @path, replacing it; fails the test when it cannot. */
void tu_write_file(const char *path, const char *text);

/* A malloc'd printf result; fails the test when it cannot be made. */
char *tu_asprintf(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

#endif
