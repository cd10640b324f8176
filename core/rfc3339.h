/* Timestamps of JSON log lines. Built into both libbootpipe and the CLI,
 * so the engine's lines and the CLI's own carry the same format. */
#ifndef BOOTPIPE_RFC3339_H
#define BOOTPIPE_RFC3339_H

#include <stddef.h>

/* The longest timestamp rfc3339_now writes, with its NUL. */
#define RFC3339_SIZE 40

/* Now as RFC 3339 in UTC with microseconds: 2026-12-02T16:51:04.800810Z */
void rfc3339_now(char *buf, size_t size);

#endif
