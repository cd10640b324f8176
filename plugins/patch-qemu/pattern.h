/* Console patterns checked when the config is loaded, so a bad regex is a
 * config error of the file that holds it, found before anything runs. */
#ifndef BP_PATCH_QEMU_PATTERN_H
#define BP_PATCH_QEMU_PATTERN_H

#include <stddef.h>

/*
 * Compiles @pattern with PCRE2 as launch's matcher does. 0 when it
 * compiles; BP_ECONFIG with "\"PATTERN\": MESSAGE at offset N" in @err
 * when it does not.
 */
int pattern_check(const char *pattern, char *err, size_t errlen);

#endif
