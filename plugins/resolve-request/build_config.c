/* axbuild's build config: max_cpu_num, which its ArceOS test flows turn
 * into -smp. */
#include "build_config.h"

#include <stdio.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>

int build_config_max_cpu_num(const char *path, int64_t *out, char *err,
			     size_t errlen)
{
	const struct bp_toml_node *node;
	struct bp_toml_doc *doc = NULL;
	int rc;

	*out = 0;
	rc = bp_toml_parse_file(path, &doc, err, errlen);
	if (rc)
		return rc == BP_ENOMEM ? rc : BP_ECONFIG;
	node = bp_toml_get(bp_toml_root(doc), "max_cpu_num");
	if (node && !bp_toml_as_int(node, out)) {
		snprintf(err, errlen,
			 "%s:%d:%d: max_cpu_num must be an integer, not a %s",
			 path, bp_toml_line(node), bp_toml_column(node),
			 bp_toml_type_name(bp_toml_type(node)));
		rc = BP_ECONFIG;
	} else if (node && *out < 1) {
		snprintf(err, errlen,
			 "%s:%d:%d: max_cpu_num must be greater than 0, not "
			 "%lld",
			 path, bp_toml_line(node), bp_toml_column(node),
			 (long long)*out);
		rc = BP_ECONFIG;
	}
	bp_toml_free(doc);
	return rc;
}
