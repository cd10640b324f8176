/*
 * UEFI firmware as a managed artifact: ovmf-prebuilt's release tarball,
 * pinned by its sha256 as ostool pins it, in a cache that workspaces
 * share, with one arch's code and vars extracted from it:
 *
 *   <cache>/<release>.tar.xz          the archive (kept: other arches)
 *   <cache>/<release>.tar.xz.part     download in progress
 *   <cache>/<release>.lock            flock while it is ensured
 *   <cache>/<release>/<arch>/code.fd  the firmware code (read-only)
 *   <cache>/<release>/<arch>/vars.fd  the variable store template
 *   <cache>/<release>/<arch>/.archive.sha256  marker, written last
 *   <cache>/<release>/.<arch>.tmp/    extraction in progress
 *
 * <release> is the URL's file name without its .tar.* suffix
 * (edk2-stable202508-r1-bin); <arch> is ovmf-prebuilt's (x64, aarch64,
 * riscv64, loongarch64). Inside the tarball the files are
 * <top>/<arch>/code.fd and <top>/<arch>/vars.fd.
 */
#ifndef BP_STORE_FIRMWARE_H
#define BP_STORE_FIRMWARE_H

#include <limits.h>
#include <stddef.h>

#include "layout.h"

struct bp_store;

/* ostool's firmware: ovmf-prebuilt edk2-stable202508-r1 */
#define FIRMWARE_DEFAULT_URL                                                   \
	"https://github.com/rust-osdev/ovmf-prebuilt/releases/download/"       \
	"edk2-stable202508-r1/edk2-stable202508-r1-bin.tar.xz"
#define FIRMWARE_DEFAULT_SHA256                                                \
	"e461e2f0a43092ef9d29996ba0f8c05de097223791c33f5ff61a7e1ea12e6dac"

struct firmware_request {
	const char *cache;	  /* the cache directory */
	const char *url;	  /* the release tarball */
	const char *sha256;	  /* its sha256 */
	const char *origin;	  /* where url and sha256 were set */
	const char *arch;	  /* ovmf-prebuilt's arch directory */
	const char *instead_hint; /* how to do without it, for messages */
};

struct firmware_paths {
	char release[NAME_MAX + 1];
	char dir[PATH_MAX]; /* <cache>/<release>/<arch> */
	char code[PATH_MAX + 16];
	char vars[PATH_MAX + 16];
	char archive[PATH_MAX + NAME_MAX + 16];
};

/* <bp_default_cache_dir()>/bootpipe/firmware. 0, or BP_ECONFIG when no
 * cache root is known. */
int firmware_cache_default(char *out, size_t outlen, char *err, size_t errlen);

/*
 * Makes @r->arch's firmware ready in the cache and fills @out: reused when
 * its marker has @r->sha256, else locked, the archive fetched (or reused
 * when it has that sha256) and verified, code and vars extracted aside and
 * moved into place whole, the marker last. In dry_run mode it only says
 * what it would do (@out still names where the files will be); offline,
 * with neither the firmware nor its archive in the cache, it is BP_EINFRA
 * naming what to download from where and where to put it. A checksum
 * mismatch leaves nothing in the cache. 0 or a negative status with
 * s->err.
 */
int bp_store_firmware_ensure(struct bp_store *s,
			     const struct firmware_request *r,
			     struct firmware_paths *out);

#endif
