/*
 * The bootpipe version these headers belong to, for compile-time checks:
 *   #if BP_VERSION_NUM >= BP_VERSION_ENCODE(0, 2, 0)
 * bp_version() says which library is loaded at run time; the plugin ABI
 * (BP_ABI_MAJOR/MINOR in plugin.h) is versioned separately.
 */
#ifndef BOOTPIPE_VERSION_H
#define BOOTPIPE_VERSION_H

#define BP_VERSION_MAJOR 0
#define BP_VERSION_MINOR 1
#define BP_VERSION_PATCH 0

/* One integer per version, ordered: 1.2.3 is 1002003. */
#define BP_VERSION_ENCODE(major, minor, patch)                                 \
	((major)*1000000L + (minor)*1000L + (patch))
#define BP_VERSION_NUM                                                         \
	BP_VERSION_ENCODE(BP_VERSION_MAJOR, BP_VERSION_MINOR, BP_VERSION_PATCH)

#endif
