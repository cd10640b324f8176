/*
 * The host HTTP fixture of a case's [host_http_server] (axbuild's
 * test/host_http.rs), served by libmicrohttpd on its own thread from
 * before QEMU starts until after it stopped.
 */
#ifndef BOOTPIPE_SUITE_HTTP_FIXTURE_H
#define BOOTPIPE_SUITE_HTTP_FIXTURE_H

#include <stddef.h>

#include "case_config.h"

struct suite_http;

/*
 * Serves @cfg on @cfg->bind at @port (0: any free port; see
 * suite_http_port), waiting up to @wait_seconds for a port in use to come
 * free, as axbuild waits. Every request gets the body (@cfg->body, or
 * body_size bytes of body_byte); with @cfg->dir, `/` is an index of its
 * files and `/<name>` a file (a name with '/' or ".." is 404).
 * Returns 0 and *out, or -1 with a message in @err.
 */
int suite_http_start(const struct suite_http_config *cfg, int port,
		     int wait_seconds, struct suite_http **out, char *err,
		     size_t errlen);

/* The port it listens on. */
int suite_http_port(const struct suite_http *h);

/* Stops serving, closes the socket, frees @h; NULL is fine. */
void suite_http_stop(struct suite_http *h);

#endif
