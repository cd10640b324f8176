/*
 * The bundled demo's workspace. The demo ships read-only under
 * share/bootpipe/demo (a workspace template with guests/ and registry/
 * inside); a run writes into its workspace (store, logs, raw kernels), so
 * each user gets one of their own, $XDG_CACHE_HOME/bootpipe/demo, whose
 * entries are symbolic links to the shipped ones. The demo pipelines name
 * it as ${env:BOOTPIPE_DEMO_WORKSPACE}; it is made only for a pipeline that
 * does, and re-linked when another bootpipe (build tree, other prefix)
 * runs it.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/pipeline.h>
#include <bootpipe/util.h>

#include "cli.h"

#define DEMO_VAR "BOOTPIPE_DEMO_WORKSPACE"

char *cli_share_dir(void)
{
	char exe[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	/* bin/../share/bootpipe, resolved so links made to it stay valid */
	if (asprintf(&path, "%s/../share/bootpipe", exe) < 0)
		return NULL;
	slash = realpath(path, NULL);
	if (slash) {
		free(path);
		return slash;
	}
	return path;
}

/* Whether @path or a file it includes names the demo workspace, read
 * with the engine's own reader before the engine loads it: the engine
 * needs the variable set when it expands [pipeline] workspace. */
static bool names_demo(const char *path)
{
	struct bp_pipeline *p = NULL;
	struct bp_pipeline_value v;
	bool yes = false;

	if (bp_pipeline_open(path, &p) == 0) {
		for (size_t i = 0; !yes && bp_pipeline_value_at(p, i, &v) == 0;
		     i++)
			yes = strstr(v.value, "${env:" DEMO_VAR) != NULL;
	}
	bp_pipeline_free(p);
	return yes;
}

/* ws/name -> target, replacing a link to somewhere else atomically so a
 * concurrent run sees the old link or the new one. A real file the user
 * put there is theirs and stays. */
static int link_entry(const char *ws, const char *name, const char *target)
{
	char *link = NULL, *tmp = NULL, have[PATH_MAX];
	struct stat st;
	ssize_t n;
	int rc = -1;

	if (asprintf(&link, "%s/%s", ws, name) < 0)
		return -1;
	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode)) {
		rc = 0;
		goto out;
	}
	n = readlink(link, have, sizeof(have) - 1);
	if (n > 0) {
		have[n] = '\0';
		if (strcmp(have, target) == 0) {
			rc = 0;
			goto out;
		}
	}
	if (asprintf(&tmp, "%s/.%s.%ld", ws, name, (long)getpid()) < 0) {
		tmp = NULL;
		goto out;
	}
	unlink(tmp);
	if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
		fprintf(stderr, "bootpipe: cannot link %s to %s: %s\n", link,
			target, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(link);
	return rc;
}

static int make_workspace(const char *demo, const char *ws)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (bp_mkdir_p(ws, 0755) != 0) {
		fprintf(stderr,
			"bootpipe: cannot create the demo workspace %s: %s; "
			"set XDG_CACHE_HOME to a writable directory\n",
			ws, strerror(errno));
		return -1;
	}
	d = opendir(demo);
	if (!d) {
		fprintf(stderr, "bootpipe: cannot open the demo %s: %s\n", demo,
			strerror(errno));
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		char *target;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&target, "%s/%s", demo, de->d_name) < 0) {
			rc = -1;
			break;
		}
		rc = link_entry(ws, de->d_name, target);
		free(target);
	}
	closedir(d);
	return rc;
}

int cli_demo_prepare(const char *pipeline)
{
	const char *set = getenv(DEMO_VAR);
	char *share = NULL, *demo = NULL, *cache = NULL, *ws = NULL;
	char *marker = NULL;
	int rc = -1;

	if ((set && set[0]) || !pipeline || !names_demo(pipeline))
		return 0;
	share = cli_share_dir();
	if (!share || asprintf(&demo, "%s/demo", share) < 0) {
		demo = NULL;
		goto out;
	}
	if (asprintf(&marker, "%s/Cargo.toml", demo) < 0) {
		marker = NULL;
		goto out;
	}
	if (access(marker, R_OK) != 0) {
		fprintf(stderr,
			"bootpipe: %s runs the demo, which is not installed "
			"beside this bootpipe (%s: %s); pass --workspace DIR\n",
			pipeline, marker, strerror(errno));
		goto out;
	}
	cache = bp_default_cache_dir();
	if (!cache) {
		fprintf(stderr, "bootpipe: no cache directory for the demo "
				"workspace: set XDG_CACHE_HOME or HOME\n");
		goto out;
	}
	if (asprintf(&ws, "%s/bootpipe/demo", cache) < 0) {
		ws = NULL;
		goto out;
	}
	if (make_workspace(demo, ws) == 0 && setenv(DEMO_VAR, ws, 1) == 0)
		rc = 0;
out:
	free(marker);
	free(ws);
	free(cache);
	free(demo);
	free(share);
	return rc;
}
