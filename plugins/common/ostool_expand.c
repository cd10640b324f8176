/* ostool's placeholder expansion for strings read from its TOML files. */
#include "ostool_expand.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (b->len + n + 1 > cap)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return BP_ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

const char *ostool_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && *t ? t : "/tmp";
}

/* The value of placeholder NAME (without ${ }), or NULL to keep it. */
static const char *lookup(const char *name, size_t len,
			  const struct ostool_vars *vars, char *env_name,
			  size_t env_size)
{
	static const char env_prefix[] = "env:";
	const size_t plen = sizeof(env_prefix) - 1;

	if ((len == 9 && !memcmp(name, "workspace", 9)) ||
	    (len == 15 && !memcmp(name, "workspaceFolder", 15)))
		return vars ? vars->workspace : NULL;
	if (len == 7 && !memcmp(name, "package", 7))
		return vars ? vars->package : NULL;
	if (len == 6 && !memcmp(name, "tmpDir", 6))
		return ostool_tmpdir();
	if (len > plen && !memcmp(name, env_prefix, plen) &&
	    len - plen < env_size) {
		const char *v;

		memcpy(env_name, name + plen, len - plen);
		env_name[len - plen] = '\0';
		v = getenv(env_name);
		return v ? v : "";
	}
	return NULL;
}

int ostool_expand(const char *in, const struct ostool_vars *vars, char **out)
{
	struct buf b = {0};
	char env_name[256];
	const char *p = in;

	*out = NULL;
	if (buf_put(&b, "", 0))
		return BP_ENOMEM;
	while (*p) {
		const char *open = strstr(p, "${");
		const char *close;
		const char *val;

		if (!open) {
			if (buf_put(&b, p, strlen(p)))
				goto fail;
			break;
		}
		if (buf_put(&b, p, (size_t)(open - p)))
			goto fail;
		close = strchr(open + 2, '}');
		if (!close) {
			if (buf_put(&b, open, strlen(open)))
				goto fail;
			break;
		}
		val = lookup(open + 2, (size_t)(close - open - 2), vars,
			     env_name, sizeof(env_name));
		if (val) {
			if (buf_put(&b, val, strlen(val)))
				goto fail;
		} else if (buf_put(&b, open, (size_t)(close + 1 - open))) {
			goto fail;
		}
		p = close + 1;
	}
	*out = b.data;
	return 0;
fail:
	free(b.data);
	return BP_ENOMEM;
}
