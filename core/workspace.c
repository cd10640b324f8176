/* Finds the workspace root as cargo does: the nearest parent directory
 * whose Cargo.toml has a [workspace] table. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/toml.h>

#include "engine_internal.h"

static bool is_cargo_workspace(const char *dir)
{
	char *manifest = bp_path_join(dir, "Cargo.toml");
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *ws;
	char err[256];
	bool yes = false;

	if (!manifest)
		return false;
	if (access(manifest, R_OK) == 0 &&
	    bp_toml_parse_file(manifest, &doc, err, sizeof(err)) == 0) {
		ws = bp_toml_get(bp_toml_root(doc), "workspace");
		yes = ws && bp_toml_type(ws) == BP_TOML_TABLE;
	}
	bp_toml_free(doc);
	free(manifest);
	return yes;
}

char *workspace_discover(void)
{
	char cwd[PATH_MAX];
	char dir[PATH_MAX];
	char *slash;

	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	memcpy(dir, cwd, sizeof(dir));
	for (;;) {
		if (is_cargo_workspace(dir))
			return strdup(dir);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			break;
		*slash = '\0';
	}
	if (is_cargo_workspace("/"))
		return strdup("/");
	return strdup(cwd);
}
