/* Rewriting QEMU config args in place in the TOML text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/toml.h>
#include <bootpipe/util.h>

#include "qemu_copy.h"

/* The text of QEMU config @path, opened as a config file (a FIFO or a
 * device is refused, never waited on); NULL with @err set. */
static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	char *why = NULL, *buf = NULL;
	size_t cap = 0, n = 0;
	int fd = bp_open_config(path, "QEMU config", &why);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;

	if (!f) {
		snprintf(err, errlen, "%s",
			 why ? why : "cannot read the QEMU config");
		free(why);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? 2 * cap : 8192);

			if (!nb) {
				snprintf(err, errlen,
					 "out of memory reading %s", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "cannot read QEMU config %s: %s", path,
			 strerror(errno));
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Byte offset of 1-based @line, @col in @text. */
static size_t offset_of(const char *text, int line, int col)
{
	size_t off = 0;

	for (int l = 1; l < line && text[off]; off++)
		if (text[off] == '\n')
			l++;
	return off + (size_t)(col - 1);
}

/* End (one past the closing quote) of the one-line string at @p. */
static const char *string_end(const char *p)
{
	char q = *p;

	if (q != '"' && q != '\'')
		return NULL;
	if (p[1] == q && p[2] == q)
		return NULL; /* multi-line */
	for (p++; *p && *p != '\n'; p++) {
		if (q == '"' && *p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == q)
			return p + 1;
	}
	return NULL;
}

static void basic_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int suite_qemu_copy(const char *src, const char *dst, suite_arg_rewrite_fn fn,
		    void *user, size_t *changed, char *err, size_t errlen)
{
	struct bp_toml_doc *doc = NULL;
	const struct bp_toml_node *args;
	size_t len = 0, at = 0, count = 0;
	char *text = read_all(src, &len, err, errlen);
	const char *prev = NULL;
	FILE *f = NULL;
	int rc = -1;

	if (!text)
		return -1;
	if (bp_toml_parse_buf(text, len, src, &doc, err, errlen) != 0)
		goto out;
	f = fopen(dst, "w");
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", dst,
			 strerror(errno));
		goto out;
	}
	args = bp_toml_get(bp_toml_root(doc), "args");
	for (size_t i = 0; args && bp_toml_type(args) == BP_TOML_ARRAY &&
			   i < bp_toml_len(args);
	     i++) {
		const struct bp_toml_node *item = bp_toml_at(args, i);
		const char *arg, *end;
		char *repl;
		size_t start;

		if (!bp_toml_as_str(item, &arg, NULL))
			continue;
		repl = fn(user, prev, arg);
		prev = arg;
		if (!repl)
			continue;
		start =
		    offset_of(text, bp_toml_line(item), bp_toml_column(item));
		end = start < len ? string_end(text + start) : NULL;
		if (!end || start < at) {
			snprintf(err, errlen,
				 "%s:%d: cannot rewrite this arg for the case "
				 "(write it as a one-line \"...\" string)",
				 src, bp_toml_line(item));
			free(repl);
			goto out;
		}
		fwrite(text + at, 1, start - at, f);
		basic_string(f, repl);
		at = (size_t)(end - text);
		free(repl);
		count++;
	}
	fwrite(text + at, 1, len - at, f);
	if (changed)
		*changed = count;
	rc = ferror(f) ? -1 : 0;
	if (rc < 0)
		snprintf(err, errlen, "cannot write %s: %s", dst,
			 strerror(errno));
out:
	if (f && fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot write %s: %s", dst,
			 strerror(errno));
		rc = -1;
	}
	bp_toml_free(doc);
	free(text);
	return rc;
}

char *suite_netdev_guestfwd(const char *arg, int guest_port, const char *relay,
			    const char *host_ip, int host_port)
{
	char *out = NULL, *cmd;
	size_t n = 0;

	if (strncmp(arg, "user", 4) != 0 || (arg[4] && arg[4] != ',') ||
	    strstr(arg, "host=") || strstr(arg, "guestfwd="))
		return NULL;
	cmd = malloc(2 * strlen(relay) + 1);
	if (!cmd)
		return NULL;
	for (const char *p = relay; *p; p++) {
		cmd[n++] = *p;
		if (*p == ',')
			cmd[n++] = ',';
	}
	cmd[n] = '\0';
	/* a chardev target would carry one connection for the whole run; a
	 * command per connection serves every request of the guest */
	if (asprintf(&out,
		     "%s,host=10.0.2.254,guestfwd=tcp:10.0.2.2:%d-cmd:%s "
		     "%s:%d",
		     arg, guest_port, cmd, host_ip, host_port) < 0)
		out = NULL;
	free(cmd);
	return out;
}
