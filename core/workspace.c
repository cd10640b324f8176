/* Finds the workspace root as cargo does (bp_workspace_find in util.h);
 * the engine and the CLI commands that run no pipeline share it. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/toml.h>
#include <bootpipe/util.h>

/* True when @dir holds a Cargo.toml with a [workspace] table. */
static bool is_cargo_workspace(const char *dir)
{
	char *manifest = bp_path_join(dir, "Cargo.toml");
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *ws;
	char err[256];
	bool yes = false;

	if (manifest && access(manifest, R_OK) == 0 &&
	    bp_toml_parse_file(manifest, &doc, err, sizeof(err)) == 0) {
		ws = bp_toml_get(bp_toml_root(doc), "workspace");
		yes = ws && bp_toml_type(ws) == BP_TOML_TABLE;
	}
	bp_toml_free(doc);
	free(manifest);
	return yes;
}

char *bp_workspace_find(const char *start)
{
	char *dir = start ? realpath(start, NULL) : getcwd(NULL, 0);
	char *slash, *found = NULL;

	if (!dir)
		return NULL;
	for (;;) {
		if (is_cargo_workspace(dir)) {
			found = strdup(dir);
			break;
		}
		slash = strrchr(dir, '/');
		if (!slash)
			break;
		if (slash == dir) {
			/* the root directory is tried last */
			if (dir[1] && is_cargo_workspace("/"))
				found = strdup("/");
			break;
		}
		*slash = '\0';
	}
	free(dir);
	return found;
}
