/*
 * Byte counts as people write them in options: 1048576, 512K, 512M, 64G,
 * 1T (powers of 1024; KiB, MiB, GiB, TiB and a trailing B read the same).
 */
#ifndef BP_STORE_BYTE_SIZE_H
#define BP_STORE_BYTE_SIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* False for anything else, and for a count past UINT64_MAX. */
bool byte_size_parse(const char *text, uint64_t *out);

/* @n as "64 GiB" when it is a whole number of a unit, else "N bytes". */
void byte_size_format(uint64_t n, char *out, size_t len);

#endif
