/*
 * axbuild's image configuration, `<workspace>/tmp/axbuild/.image.toml`:
 *
 *   local_storage = "..."        # default <workspace>/tmp/axbuild/rootfs
 *   registry = "https://..."     # default BP_STORE_DEFAULT_REGISTRY
 *   auto_sync = true
 *   auto_sync_threshold = 604800 # seconds
 *
 * TGOS_IMAGE_LOCAL_STORAGE overrides local_storage and
 * TGOS_IMAGE_REGISTRY_FALLBACK_URL the registry used when the default
 * cannot be read. A separate library (bp-store-config) so that stages
 * that only need the store's place do not link the store.
 */
#ifndef BP_STORE_IMAGE_CONFIG_H
#define BP_STORE_IMAGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BP_STORE_DEFAULT_REGISTRY                                              \
	"https://raw.githubusercontent.com/rcore-os/tgosimages/refs/heads/"    \
	"main/registry/default.toml"
#define BP_STORE_DEFAULT_FALLBACK_REGISTRY                                     \
	"https://raw.githubusercontent.com/rcore-os/tgosimages/refs/heads/"    \
	"main/registry/v0.0.8.toml"
#define BP_STORE_AUTO_SYNC_THRESHOLD (60 * 60 * 24 * 7)

struct bp_image_config {
	bool present;	     /* the file exists */
	char *path;	     /* of the file, for messages */
	char *local_storage; /* absolute */
	char *registry;
	char *fallback_registry;
	bool auto_sync;
	int64_t auto_sync_threshold;
};

/*
 * Reads the configuration of @workspace (defaults when the file is
 * absent; the environment applied). 0, or BP_ECONFIG naming FILE:LINE
 * for a bad file, BP_ENOMEM. @cfg is the caller's: free with
 * bp_image_config_free even on failure.
 */
int bp_image_config_read(const char *workspace, struct bp_image_config *cfg,
			 char *err, size_t errlen);
void bp_image_config_free(struct bp_image_config *cfg);

#endif
