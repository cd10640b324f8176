/*
 * Placeholder expansion as ostool does it inside its TOML files:
 * ${workspace}, ${workspaceFolder}, ${package}, ${tmpDir} and ${env:NAME}
 * (empty when unset); any other ${...} stays as written.
 */
#ifndef BP_OSTOOL_EXPAND_H
#define BP_OSTOOL_EXPAND_H

struct ostool_vars {
	const char *workspace; /* NULL: ${workspace} stays verbatim */
	const char *package;   /* NULL: ${package} stays verbatim */
};

/* $TMPDIR when set and non-empty, else "/tmp" (borrowed). */
const char *ostool_tmpdir(void);

/* *out gets a malloc'ed expansion of @in. 0 or BP_ENOMEM. */
int ostool_expand(const char *in, const struct ostool_vars *vars, char **out);

#endif
