/* The case's extra QEMU config keys and its build config's vm_configs. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>

#include "case_config.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static char *resolve(const char *workspace, const char *path)
{
	char *out = NULL;

	if (path[0] == '/' || !workspace)
		return strdup(path);
	if (asprintf(&out, "%s/%s", workspace, path) < 0)
		return NULL;
	return out;
}

static int read_http(const char *path, const char *workspace,
		     const struct bp_toml_node *t, struct suite_http_config *h,
		     char *err, size_t errlen)
{
	const char *s;
	int64_t v;
	int rc;

	h->present = true;
	h->body_byte = 'a';
	if (bp_toml_type(t) != BP_TOML_TABLE)
		return fail(err, errlen,
			    "%s:%d: [host_http_server] must be a table", path,
			    bp_toml_line(t));
	rc = bp_toml_get_str(t, "bind", &s);
	h->bind = strdup(rc == 0 ? s : "127.0.0.1");
	if (rc == BP_ETYPE)
		return fail(err, errlen,
			    "%s:%d: host_http_server.bind must be a string",
			    path, bp_toml_line(t));
	rc = bp_toml_get_int(t, "port", &v);
	if (rc != 0 || v < 1 || v > 65535)
		return fail(err, errlen,
			    "%s:%d: host_http_server.port must be an integer "
			    "1..65535 (the port the guest connects to)",
			    path, bp_toml_line(t));
	h->port = (int)v;
	rc = bp_toml_get_str(t, "body", &s);
	h->body = strdup(rc == 0 ? s : "ArceOS local HTTP fixture\n");
	if (rc == BP_ETYPE)
		return fail(err, errlen,
			    "%s:%d: host_http_server.body must be a string",
			    path, bp_toml_line(t));
	rc = bp_toml_get_int(t, "body_size", &v);
	if (rc == 0 && v < 0)
		rc = BP_ETYPE;
	if (rc == BP_ETYPE)
		return fail(err, errlen,
			    "%s:%d: host_http_server.body_size must be a "
			    "non-negative integer",
			    path, bp_toml_line(t));
	if (rc == 0) {
		h->has_body_size = true;
		h->body_size = (uint64_t)v;
	}
	rc = bp_toml_get_int(t, "body_byte", &v);
	if (rc == 0 && (v < 0 || v > 255))
		rc = BP_ETYPE;
	if (rc == BP_ETYPE)
		return fail(err, errlen,
			    "%s:%d: host_http_server.body_byte must be an "
			    "integer 0..255",
			    path, bp_toml_line(t));
	if (rc == 0)
		h->body_byte = (int)v;
	rc = bp_toml_get_str(t, "dir", &s);
	if (rc == BP_ETYPE)
		return fail(err, errlen,
			    "%s:%d: host_http_server.dir must be a string",
			    path, bp_toml_line(t));
	if (rc == 0 && !(h->dir = resolve(workspace, s)))
		return fail(err, errlen, "out of memory");
	if (!h->bind || !h->body)
		return fail(err, errlen, "out of memory");
	return 0;
}

/* The strings of the pattern list @key; patch-qemu names a bad one. */
static int read_patterns(const struct bp_toml_node *root, const char *key,
			 char ***out, size_t *count)
{
	const struct bp_toml_node *node = bp_toml_get(root, key);
	const char *s;

	if (!node || bp_toml_type(node) != BP_TOML_ARRAY || !bp_toml_len(node))
		return 0;
	if (!(*out = calloc(bp_toml_len(node), sizeof(**out))))
		return -1;
	for (size_t i = 0; i < bp_toml_len(node); i++) {
		if (!bp_toml_as_str(bp_toml_at(node, i), &s, NULL))
			continue;
		if (!((*out)[*count] = strdup(s)))
			return -1;
		(*count)++;
	}
	return 0;
}

int suite_case_config_read(const char *path, const char *workspace,
			   struct suite_case_config *out, char *err,
			   size_t errlen)
{
	const struct bp_toml_node *root, *node;
	struct bp_toml_doc *doc = NULL;
	const char *s;
	int rc;

	*out = (struct suite_case_config){0};
	if (bp_toml_parse_file(path, &doc, err, errlen) != 0)
		return -1;
	root = bp_toml_root(doc);
	rc = bp_toml_get_int(root, "timeout", &out->timeout);
	out->has_timeout = rc == 0;
	if (rc == BP_ETYPE || (rc == 0 && out->timeout < 0)) {
		rc = fail(err, errlen,
			  "%s: timeout must be a non-negative integer", path);
		goto out;
	}
	rc = 0;
	if (bp_toml_get_str(root, "shell_init_cmd", &s) == 0) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		out->has_shell_init_cmd = *s != '\0';
	}
	if (read_patterns(root, "fail_regex", &out->fail_regex,
			  &out->fail_regex_count) < 0 ||
	    read_patterns(root, "success_regex", &out->success_regex,
			  &out->success_regex_count) < 0) {
		rc = fail(err, errlen, "out of memory");
		goto out;
	}
	node = bp_toml_get(root, "test_commands");
	if (node && bp_toml_type(node) != BP_TOML_ARRAY) {
		rc = fail(err, errlen,
			  "%s:%d: test_commands must be a list of strings",
			  path, bp_toml_line(node));
		goto out;
	}
	if (node && bp_toml_len(node)) {
		out->test_commands =
		    calloc(bp_toml_len(node), sizeof(*out->test_commands));
		if (!out->test_commands) {
			rc = fail(err, errlen, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; node && i < bp_toml_len(node); i++) {
		const struct bp_toml_node *item = bp_toml_at(node, i);
		size_t len, start = 0;

		if (!bp_toml_as_str(item, &s, &len)) {
			rc = fail(err, errlen,
				  "%s:%d: test_commands[%zu] must be a string",
				  path, bp_toml_line(item), i);
			goto out;
		}
		/* axbuild trims each command and refuses an empty one */
		while (start < len && strchr(" \t\r\n", s[start]))
			start++;
		while (len > start && strchr(" \t\r\n", s[len - 1]))
			len--;
		if (len == start) {
			rc = fail(err, errlen,
				  "%s:%d: test_commands[%zu] is empty; remove "
				  "it or give the command",
				  path, bp_toml_line(item), i);
			goto out;
		}
		out->test_commands[i] = strndup(s + start, len - start);
		if (!out->test_commands[i]) {
			rc = fail(err, errlen, "out of memory");
			goto out;
		}
		out->test_command_count++;
	}
	if (out->test_command_count && out->has_shell_init_cmd) {
		rc = fail(err, errlen,
			  "%s: a case cannot define both `shell_init_cmd` and "
			  "`test_commands`; the generated runner replaces "
			  "shell_init_cmd, so remove one",
			  path);
		goto out;
	}
	node = bp_toml_get(root, "host_http_server");
	if (node)
		rc = read_http(path, workspace, node, &out->http, err, errlen);
out:
	bp_toml_free(doc);
	if (rc < 0)
		suite_case_config_release(out);
	return rc;
}

void suite_case_config_release(struct suite_case_config *c)
{
	for (size_t i = 0; i < c->test_command_count; i++)
		free(c->test_commands[i]);
	free(c->test_commands);
	for (size_t i = 0; i < c->fail_regex_count; i++)
		free(c->fail_regex[i]);
	free(c->fail_regex);
	for (size_t i = 0; i < c->success_regex_count; i++)
		free(c->success_regex[i]);
	free(c->success_regex);
	free(c->http.bind);
	free(c->http.body);
	free(c->http.dir);
	*c = (struct suite_case_config){0};
}

int suite_build_vm_configs(const char *path, const char *workspace, char ***out,
			   size_t *count, char *err, size_t errlen)
{
	const struct bp_toml_node *node;
	struct bp_toml_doc *doc = NULL;
	int rc = 0;

	*out = NULL;
	*count = 0;
	if (bp_toml_parse_file(path, &doc, err, errlen) != 0)
		return -1;
	node = bp_toml_get(bp_toml_root(doc), "vm_configs");
	if (node && bp_toml_type(node) != BP_TOML_ARRAY)
		rc = fail(err, errlen,
			  "%s:%d: vm_configs must be a list of paths", path,
			  bp_toml_line(node));
	if (rc == 0 && node && bp_toml_len(node) &&
	    !(*out = calloc(bp_toml_len(node), sizeof(**out))))
		rc = fail(err, errlen, "out of memory");
	for (size_t i = 0; rc == 0 && node && i < bp_toml_len(node); i++) {
		const char *s;

		if (!bp_toml_as_str(bp_toml_at(node, i), &s, NULL))
			rc = fail(err, errlen,
				  "%s:%d: vm_configs[%zu] must be a string",
				  path, bp_toml_line(bp_toml_at(node, i)), i);
		else if (!((*out)[i] = resolve(workspace, s)))
			rc = fail(err, errlen, "out of memory");
		else
			(*count)++;
	}
	bp_toml_free(doc);
	if (rc < 0) {
		for (size_t i = 0; i < *count; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		*count = 0;
	}
	return rc;
}

int64_t suite_scale_timeout(int64_t timeout, const char *scale, char *warn,
			    size_t warnlen)
{
	char *end;
	unsigned long long v;

	warn[0] = '\0';
	if (!scale || timeout == 0)
		return timeout;
	while (*scale == ' ' || *scale == '\t')
		scale++;
	errno = 0;
	v = strtoull(scale, &end, 10);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == scale || *end || errno || scale[0] == '-' || v <= 1) {
		snprintf(warn, warnlen,
			 "ignoring invalid AXBUILD_TEST_TIMEOUT_SCALE value "
			 "`%s`; expected integer > 1",
			 scale);
		return timeout;
	}
	/* timeouts are limited to 10^7 s where they are read */
	if ((unsigned long long)timeout > 10000000ULL / v)
		return 10000000;
	return timeout * (int64_t)v;
}
