/*
 * The tgosimages registry format: a TOML file of
 *
 *   [[images]]
 *   name = "rootfs-aarch64-alpine"   # image file is <name>.img
 *   version = "0.1.0"
 *   sha256 = "<64 hex digits of the archive>"
 *   arch = "aarch64"
 *   url = "https://.../rootfs-aarch64-alpine.tar.xz"
 *   released_at = 2025-01-01T00:00:00Z   # datetime or string
 *   description = "..."
 *
 *   [[includes]]
 *   url = "other.toml"   # relative to this file, a path or a URL
 *
 * Includes are followed recursively; a file included twice is read once,
 * a cycle is an error that shows it.
 */
#ifndef BP_STORE_REGISTRY_H
#define BP_STORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reg_image {
	char *name;
	char *version;
	char *sha256; /* lower-case hex */
	char *arch;
	char *url;
	char *released_at; /* RFC 3339 text, "" when absent */
	/* released_at as an instant (local times taken as UTC), for
	 * ordering; released_known is false when it is absent */
	bool released_known;
	int64_t released_s; /* seconds since 1970-01-01T00:00:00Z */
	int32_t released_ns;
	char *description;
	char *origin; /* "FILE:LINE" of the entry, for messages */
};

struct registry {
	struct reg_image *images;
	size_t count;
};

/*
 * Fetches a remote registry into a malloc'ed NUL-terminated buffer.
 * 0 or a negative bp_status with a message in @err.
 */
typedef int (*reg_fetch_fn)(void *user, const char *url, char **buf,
			    size_t *len, char *err, size_t errlen);

/*
 * Loads @source (a local path, file:// or http(s) URL) and its includes.
 * @fetch serves http(s) URLs (NULL: remote sources are an error). 0, or
 * BP_ECONFIG (bad TOML or entry, with FILE:LINE:COL; a released_at that is
 * not an RFC 3339 / TOML date-time or date is one), BP_EIO, BP_ENET...
 * with a message in @err. @reg is the caller's; free with
 * registry_free even on failure.
 */
int registry_load(struct registry *reg, const char *source, reg_fetch_fn fetch,
		  void *user, char *err, size_t errlen);

/*
 * The same for axbuild's default registry: a top file with includes and
 * no images (default.toml, one include per release) follows only its
 * bootstrap, the include whose file is the highest vX.Y.Z.toml (compared
 * as numbers), else the last one.
 */
int registry_load_bootstrap(struct registry *reg, const char *source,
			    reg_fetch_fn fetch, void *user, char *err,
			    size_t errlen);

/*
 * Bounds on what one load reads: real registries are a handful of small
 * documents; a server answering with ever new includes is not one.
 */
struct registry_limits {
	size_t max_documents; /* documents read, the top one included */
	uint64_t max_bytes;   /* their bytes together */
};

#define REGISTRY_MAX_DOCUMENTS 256
#define REGISTRY_MAX_TOTAL_BYTES (64ull << 20)

/* registry_load (or, with @bootstrap, registry_load_bootstrap) within
 * @limits; the others use the defaults above. */
int registry_load_limited(struct registry *reg, const char *source,
			  bool bootstrap, const struct registry_limits *limits,
			  reg_fetch_fn fetch, void *user, char *err,
			  size_t errlen);

void registry_free(struct registry *reg);

/* Image names match with or without ".img" (today's registry names its
 * entries `rootfs-aarch64-alpine.img`). */
bool registry_name_eq(const char *a, const char *b);

/*
 * Writes @reg as a registry file of its own (the store's images.toml
 * cache): tmp file, fsync, rename. 0 or BP_EIO with @err.
 */
int registry_write(const struct registry *reg, const char *path, char *err,
		   size_t errlen);

/*
 * Finds image @name for @arch (NULL: any arch): the newest released_at
 * first (compared as instants, offsets applied; entries without one are
 * oldest; on a tie the first listed wins), or exactly @version when
 * given. NULL when none; @err then says
 * which names and versions there are.
 */
const struct reg_image *registry_find(const struct registry *reg,
				      const char *name, const char *arch,
				      const char *version, char *err,
				      size_t errlen);

#endif
