/* The CLI's view of the workspace for commands that run no pipeline
 * (image, pipelines): found as cargo finds it, as the engine does. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/toml.h>
#include <bootpipe/util.h>

#include "cli.h"

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

char *cli_workspace_around_cwd(void)
{
	char dir[PATH_MAX], *slash;

	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	for (;;) {
		if (is_cargo_workspace(dir))
			return strdup(dir);
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return is_cargo_workspace("/") ? strdup("/") : NULL;
		*slash = '\0';
	}
}
