/*
 * libFuzzer target for tgosimages registry files: the input is written to
 * a file and loaded as a registry, with includes resolved beside it and
 * remote sources refused (no network). Every input loads or fails with a
 * message; a loaded registry answers lookups; no image name escapes the
 * store (names are plain file names).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "registry.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static int no_network(void *user, const char *url, char **buf, size_t *len,
		      char *err, size_t errlen)
{
	(void)user;
	(void)buf;
	(void)len;
	snprintf(err, errlen, "no network in the fuzzer: %s", url);
	return BP_ENET;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry reg = {0};
	char err[1024];
	FILE *f;
	int rc;

	if (!path[0]) {
		char dir[] = "/tmp/fuzz-registry-XXXXXX";

		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/registry.toml", dir);
	}
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	err[0] = '\0';
	rc = registry_load(&reg, path, no_network, NULL, err, sizeof(err));
	if (rc != 0 && !err[0])
		__builtin_trap();
	for (size_t i = 0; rc == 0 && i < reg.count; i++) {
		const struct reg_image *img = &reg.images[i];

		if (!store_name_valid(img->name) || strchr(img->name, '/'))
			__builtin_trap();
		if (registry_find(&reg, img->name, img->arch, NULL, err,
				  sizeof(err)) == NULL)
			__builtin_trap();
	}
	registry_find(&reg, "rootfs-aarch64-alpine", "aarch64", "0.1.0", err,
		      sizeof(err));
	registry_free(&reg);
	return 0;
}
