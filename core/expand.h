/* Placeholder expansion of pipeline values (${workspace}, ${env:X}, ...). */
#ifndef BOOTPIPE_EXPAND_H
#define BOOTPIPE_EXPAND_H

#include <bootpipe/error.h>

#include "strbuf.h"

struct expand_vars {
	const char *workspace;
	const char *package;
	const char *tmp_dir;
	const char *arch;
};

/* Expands ${...} in @in; unknown placeholders and unset ${env:X} are
 * errors described in @err. */
int expand_value(const char *in, const struct expand_vars *vars, char **out,
		 struct strbuf *err);

#endif
