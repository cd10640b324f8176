/* ostool's QEMU config file (TOML), read with its placeholders expanded. */
#ifndef BP_OSTOOL_CONFIG_H
#define BP_OSTOOL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ostool_expand.h"
#include "strv.h"

/* The longest timeout accepted, in seconds (about 115 days): far beyond
 * any boot, and small enough that milliseconds never overflow. */
#define TIMEOUT_MAX_S 10000000

struct qemu_config {
	struct strv args;
	struct strv success_regex;
	struct strv fail_regex;
	/* where each pattern was written, "PATH:LINE:COL", one per item */
	struct strv success_where;
	struct strv fail_where;
	/* "PATH:LINE:COL: ..." for each key only `bootpipe test` reads */
	struct strv suite_notes;
	char *shell_prefix;   /* NULL when absent */
	char *shell_init_cmd; /* NULL when absent */
	int64_t timeout;      /* seconds, 0: none */
	bool to_bin;
	bool uefi;
};

/* An empty config (all lists empty). 0 or BP_ENOMEM. */
int qemu_config_init(struct qemu_config *cfg);
void qemu_config_free(struct qemu_config *cfg);

/*
 * Reads @path into @cfg (initialised). Unknown keys are appended to
 * @warnings as "PATH:LINE:COL: ..." lines; axbuild's test-suit keys
 * (test_commands, [host_http_server]) to @cfg->suite_notes. BP_ECONFIG with "PATH:..." in
 * @err for unreadable files, bad TOML and wrongly typed keys; BP_ENOMEM.
 */
int qemu_config_load(struct qemu_config *cfg, const char *path,
		     const struct ostool_vars *vars, struct strv *warnings,
		     char *err, size_t errlen);

#endif
