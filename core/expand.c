/*
 * Placeholder expansion for pipeline files: ${workspace},
 * ${workspaceFolder}, ${package}, ${tmpDir}, ${arch}, ${env:NAME},
 * ${env:NAME:-default}. Unlike ostool TOML files, an unknown placeholder
 * here is an error: in a file people write by hand it is almost always a
 * typo.
 */
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "expand.h"

static const char *lookup(const struct expand_vars *vars, const char *name,
			  size_t len)
{
	static const struct {
		const char *name;
		size_t offset;
	} table[] = {
	    {"workspace", offsetof(struct expand_vars, workspace)},
	    {"workspaceFolder", offsetof(struct expand_vars, workspace)},
	    {"package", offsetof(struct expand_vars, package)},
	    {"tmpDir", offsetof(struct expand_vars, tmp_dir)},
	    {"arch", offsetof(struct expand_vars, arch)},
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strlen(table[i].name) == len &&
		    memcmp(table[i].name, name, len) == 0)
			return *(const char *const *)((const char *)vars +
						      table[i].offset);
	}
	return NULL;
}

static int expand_env(const char *body, size_t len, struct strbuf *out,
		      struct strbuf *err)
{
	const char *sep = memchr(body, ':', len);
	size_t name_len = sep ? (size_t)(sep - body) : len;
	char *name = strndup(body, name_len);
	const char *value;

	if (!name)
		return BP_ENOMEM;
	value = getenv(name);
	if (sep && (len - name_len < 2 || sep[1] != '-')) {
		strbuf_addf(err,
			    "malformed ${env:%.*s}: write ${env:NAME} or "
			    "${env:NAME:-default}",
			    (int)len, body);
		free(name);
		return BP_ECONFIG;
	}
	if (value && value[0]) {
		strbuf_adds(out, value);
	} else if (sep) {
		strbuf_add(out, sep + 2, len - name_len - 2);
	} else {
		strbuf_addf(err,
			    "environment variable %s is not set; set it or "
			    "give a default: ${env:%s:-VALUE}",
			    name, name);
		free(name);
		return BP_ECONFIG;
	}
	free(name);
	return 0;
}

int expand_value(const char *in, const struct expand_vars *vars, char **out,
		 struct strbuf *err)
{
	struct strbuf sb;
	const char *p = in;
	int rc = 0;

	strbuf_init(&sb);
	while (*p && rc == 0) {
		const char *open = strstr(p, "${");
		const char *close;
		const char *value;
		size_t len;

		if (!open) {
			strbuf_adds(&sb, p);
			break;
		}
		strbuf_add(&sb, p, (size_t)(open - p));
		/* "$${" is a literal "${" */
		if (open > in && open[-1] == '$') {
			sb.len--;
			strbuf_adds(&sb, "${");
			p = open + 2;
			continue;
		}
		close = strchr(open + 2, '}');
		if (!close) {
			strbuf_addf(err,
				    "unterminated placeholder \"%s\": add the "
				    "closing }",
				    open);
			rc = BP_ECONFIG;
			break;
		}
		len = (size_t)(close - open - 2);
		if (len > 4 && strncmp(open + 2, "env:", 4) == 0) {
			rc = expand_env(open + 6, len - 4, &sb, err);
		} else {
			value = lookup(vars, open + 2, len);
			if (value) {
				strbuf_adds(&sb, value);
			} else {
				strbuf_addf(
				    err,
				    "unknown placeholder ${%.*s}; known: "
				    "${workspace}, ${workspaceFolder}, "
				    "${package}, ${tmpDir}, ${arch}, "
				    "${env:NAME}, ${env:NAME:-default} "
				    "(write $${ for a literal ${)",
				    (int)len, open + 2);
				rc = BP_ECONFIG;
			}
		}
		p = close + 1;
	}
	if (rc) {
		strbuf_release(&sb);
		return rc;
	}
	*out = strbuf_detach(&sb);
	return *out ? 0 : BP_ENOMEM;
}
