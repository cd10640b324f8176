/* UTF-8 repair for JSON output (not exported). */
#ifndef BOOTPIPE_UTF8_H
#define BOOTPIPE_UTF8_H

#include <jansson.h>

/* A JSON string of @s, with each invalid UTF-8 byte replaced by U+FFFD;
 * json null for NULL. New reference, NULL only when out of memory. */
json_t *json_text(const char *s);

#endif
