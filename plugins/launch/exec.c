/* The line `--exec CMD` types, and the status its marker gives back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

#include "exec.h"

#define MARKER "bootpipe-exit-"

int exec_prepare_token(struct exec_cmd *x, const char *cmd, const char *token)
{
	const char *const words[] = {cmd};
	char *quoted = bp_shell_join(words, 1);
	int n;

	memset(x, 0, sizeof(*x));
	snprintf(x->token, sizeof(x->token), "%s", token);
	if (!quoted)
		return BP_ENOMEM;
	/* eval: a CMD that ends in `&` or `;` or holds a `#` comment still
	 * leaves the printf its own command. The newline first: output
	 * without a final one still leaves the marker at the start of its
	 * own line; $? is still CMD's there. */
	n = asprintf(&x->typed,
		     "eval %s; printf '\\n" MARKER "%%s:%%s\\n' %s \"$?\"",
		     quoted, x->token);
	free(quoted);
	if (n < 0) {
		x->typed = NULL;
		return BP_ENOMEM;
	}
	if (asprintf(&x->pattern, "^" MARKER "%s:[0-9]+\\r?$", x->token) < 0) {
		x->pattern = NULL;
		exec_free(x);
		return BP_ENOMEM;
	}
	return 0;
}

int exec_prepare(struct exec_cmd *x, const char *cmd)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[EXEC_TOKEN_LEN / 2];
	char token[EXEC_TOKEN_LEN + 1];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return BP_EINFRA;
	for (size_t i = 0; i < sizeof(raw); i++) {
		token[2 * i] = hex[raw[i] >> 4];
		token[2 * i + 1] = hex[raw[i] & 15];
	}
	token[EXEC_TOKEN_LEN] = '\0';
	return exec_prepare_token(x, cmd, token);
}

void exec_free(struct exec_cmd *x)
{
	free(x->typed);
	free(x->pattern);
	x->typed = x->pattern = NULL;
}

int exec_status(const struct exec_cmd *x, const struct matcher_hit *hit)
{
	size_t mlen = strlen(MARKER), tlen = strlen(x->token);
	const char *p;
	long v;
	char *end;

	if (!hit || hit->kind != MATCHER_SUCCESS || !x->pattern ||
	    strcmp(hit->pattern, x->pattern) != 0)
		return -1;
	p = hit->excerpt;
	if (strncmp(p, MARKER, mlen) || strncmp(p + mlen, x->token, tlen) ||
	    p[mlen + tlen] != ':')
		return -1;
	v = strtol(p + mlen + tlen + 1, &end, 10);
	if (end == p + mlen + tlen + 1 || v < 0 || v > 255)
		return -1;
	return (int)v;
}
