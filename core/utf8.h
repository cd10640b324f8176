/* UTF-8 repair for JSON and XML output (not exported; compiled into the
 * suite library too, for its reports). */
#ifndef BOOTPIPE_UTF8_H
#define BOOTPIPE_UTF8_H

#include <stdio.h>

#include <jansson.h>

/* A JSON string of @s, with each invalid UTF-8 byte replaced by U+FFFD;
 * json null for NULL. New reference, NULL only when out of memory. */
json_t *json_text(const char *s);

/* @s as XML 1.0 text or attribute value: markup escaped, valid UTF-8
 * kept, each invalid byte U+FFFD, '\r' dropped (console lines end in
 * "\r\n"), other controls XML cannot hold '?'; NULL writes nothing. */
void xml_text(FILE *f, const char *s);

#endif
