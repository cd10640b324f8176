/*
 * A per-case copy of a QEMU config with some of its `args` rewritten,
 * byte for byte the same otherwise (comments, other keys, ${...}), so the
 * case's QEMU differs from the checked-in one only where it must: the
 * fixture port forward, the per-case rootfs copy.
 */
#ifndef BOOTPIPE_SUITE_QEMU_COPY_H
#define BOOTPIPE_SUITE_QEMU_COPY_H

#include <stddef.h>

/* Returns a malloc'd replacement for @arg (@prev is the arg before it, or
 * NULL), or NULL to keep it. */
typedef char *(*suite_arg_rewrite_fn)(void *user, const char *prev,
				      const char *arg);

/*
 * Writes @src to @dst with each `args` item @fn replaces. *@changed (may
 * be NULL) counts the replacements. 0, or -1 with a message in @err (an
 * arg @fn wants to replace written as a multi-line string, I/O).
 */
int suite_qemu_copy(const char *src, const char *dst, suite_arg_rewrite_fn fn,
		    void *user, size_t *changed, char *err, size_t errlen);

/*
 * The -netdev value @arg with a guestfwd from @guest_port on QEMU's gateway
 * address to `cmd:@relay @host_ip:@host_port` (a program QEMU starts per
 * guest connection, the connection on its stdin and stdout), the gateway
 * moved to 10.0.2.254 because QEMU refuses a guestfwd on its own address.
 * Commas in @relay are doubled for QEMU's option parser. NULL when @arg is
 * not a user netdev or already moves the host address or forwards.
 * malloc'd.
 */
char *suite_netdev_guestfwd(const char *arg, int guest_port, const char *relay,
			    const char *host_ip, int host_port);

#endif
