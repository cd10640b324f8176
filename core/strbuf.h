/* Small string helpers shared by the core files (not exported). */
#ifndef BOOTPIPE_STRBUF_H
#define BOOTPIPE_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <bootpipe/log.h>
#include <bootpipe/util.h>

/* A growable NUL-terminated buffer; `oom` makes every later append a no-op
 * so callers check once at the end. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
};

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *data, size_t len);
void strbuf_adds(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) BP_PRINTF(2, 3);
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
/* Hands the buffer to the caller (never NULL unless oom) and resets. */
char *strbuf_detach(struct strbuf *sb);

/* malloc'ed printf; NULL when out of memory. */
char *str_printf(const char *fmt, ...) BP_PRINTF(1, 2);

#endif
