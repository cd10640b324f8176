/* axbuild's search for an LVZ-capable qemu-system-loongarch64. */
#include "qemu_binary.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/util.h>

#define LVZ_NAME "qemu-system-loongarch64"

/* @dir/qemu-system-loongarch64 when it exists, else NULL. */
static char *in_dir(const char *dir)
{
	char *full = dir && *dir ? bp_path_join(dir, LVZ_NAME) : NULL;

	if (full && access(full, F_OK) == 0)
		return full;
	free(full);
	return NULL;
}

/* QEMU_LVZ_COMMIT= of the workspace's qemu-lvz.version, or NULL. A FIFO
 * or a device there is refused like any config file, not waited on. */
static char *pinned_commit(const char *workspace)
{
	char *path =
	    bp_path_join(workspace, "os/axvisor/scripts/qemu-lvz.version");
	char line[512];
	char *commit = NULL, *why = NULL;
	int fd = path ? bp_open_config(path, "qemu-lvz.version", &why) : -1;
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;

	free(path);
	free(why);
	if (!f) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (!commit && fgets(line, sizeof(line), f)) {
		char *v;
		size_t n;

		if (strncmp(line, "QEMU_LVZ_COMMIT=", 16))
			continue;
		v = line + 16;
		v += strspn(v, " \t");
		n = strcspn(v, " \t\r\n");
		if (n)
			commit = strndup(v, n);
	}
	fclose(f);
	return commit;
}

/* <cache>/@name/bin's binary, or NULL. */
static char *in_cache(const char *cache, const char *name)
{
	char *dir;
	char *found;

	if (asprintf(&dir, "%s/%s/bin", cache, name) < 0)
		return NULL;
	found = in_dir(dir);
	free(dir);
	return found;
}

static char *search_cache(const char *workspace)
{
	const char *env = getenv("AXVISOR_QEMU_LVZ_CACHE");
	const char *home = getenv("HOME");
	struct dirent **names = NULL;
	char *cache = NULL;
	char *found, *commit;
	int n;

	if (env && *env)
		cache = strdup(env);
	else if (home && *home)
		cache = bp_path_join(home, ".cache/axvisor/qemu-lvz");
	if (!cache)
		return NULL;
	found = in_cache(cache, "latest");
	if (!found && (commit = pinned_commit(workspace))) {
		found = in_cache(cache, commit);
		free(commit);
	}
	n = found ? 0 : scandir(cache, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (!found && names[i]->d_name[0] != '.' &&
		    strcmp(names[i]->d_name, "src"))
			found = in_cache(cache, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	free(cache);
	return found;
}

char *qemu_lvz_binary(const char *workspace, const char **source)
{
	const char *exe = getenv("AXBUILD_QEMU_SYSTEM_LOONGARCH64");
	struct stat st;
	char *found = NULL;

	/* axbuild takes the executable's directory and runs the
	 * qemu-system-loongarch64 in it */
	if (exe && *exe && !stat(exe, &st) && S_ISREG(st.st_mode)) {
		char *dir = bp_path_dirname(exe);

		found = in_dir(dir);
		free(dir);
		*source = "AXBUILD_QEMU_SYSTEM_LOONGARCH64";
	}
	if (!found) {
		found = in_dir(getenv("AXBUILD_QEMU_DIR"));
		*source = "AXBUILD_QEMU_DIR";
	}
	if (!found) {
		found = search_cache(workspace);
		*source = "the qemu-lvz build cache";
	}
	return found;
}
