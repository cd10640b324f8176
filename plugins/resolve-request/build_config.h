/* axbuild's build config (build-<target>.toml): what QEMU needs of it. */
#ifndef BP_RESOLVE_REQUEST_BUILD_CONFIG_H
#define BP_RESOLVE_REQUEST_BUILD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads max_cpu_num from the build config at @path into *out; 0 when the
 * file has none. BP_ECONFIG with "PATH[:LINE:COL]: ..." in @err for an
 * unreadable or broken file, a wrong type or a value below 1 (axbuild
 * refuses 0 too).
 */
int build_config_max_cpu_num(const char *path, int64_t *out, char *err,
			     size_t errlen);

#endif
