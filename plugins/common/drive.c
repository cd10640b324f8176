/* QEMU key=value option lists (-drive, -device, -netdev values). */
#include "drive.h"

#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

/* Reads up to an unescaped @stop (or ',' when @stop is ','), undoing ",,";
 * stops also at '=' when @key. Returns the text and advances *p. */
static char *read_part(const char **p, bool key)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;

	if (!out)
		return NULL;
	while (*s) {
		if (*s == ',') {
			if (s[1] != ',')
				break;
			out[n++] = ',';
			s += 2;
			continue;
		}
		if (key && *s == '=')
			break;
		out[n++] = *s++;
	}
	out[n] = '\0';
	*p = s;
	return out;
}

int drive_spec_parse(const char *text, struct drive_spec *out)
{
	const char *p = text;

	out->opts = NULL;
	out->n = 0;
	while (*p) {
		struct drive_opt opt = {0};
		struct drive_opt *grown;

		opt.key = read_part(&p, true);
		if (!opt.key)
			goto fail;
		if (*p == '=') {
			p++;
			opt.value = read_part(&p, false);
			if (!opt.value) {
				free(opt.key);
				goto fail;
			}
		}
		grown = realloc(out->opts, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			free(opt.key);
			free(opt.value);
			goto fail;
		}
		out->opts = grown;
		out->opts[out->n++] = opt;
		if (*p == ',')
			p++;
	}
	return 0;
fail:
	drive_spec_free(out);
	return BP_ENOMEM;
}

void drive_spec_free(struct drive_spec *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->opts[i].key);
		free(d->opts[i].value);
	}
	free(d->opts);
	d->opts = NULL;
	d->n = 0;
}

const char *drive_spec_get(const struct drive_spec *d, const char *key)
{
	const char *value = NULL;

	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->opts[i].key, key))
			value = d->opts[i].value;
	return value;
}

bool drive_spec_has(const struct drive_spec *d, const char *key)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->opts[i].key, key))
			return true;
	return false;
}

int drive_spec_set(struct drive_spec *d, const char *key, const char *value)
{
	struct drive_opt *grown;
	bool found = false;

	for (size_t i = 0; i < d->n; i++) {
		char *copy;

		if (strcmp(d->opts[i].key, key))
			continue;
		copy = strdup(value);
		if (!copy)
			return BP_ENOMEM;
		free(d->opts[i].value);
		d->opts[i].value = copy;
		found = true;
	}
	if (found)
		return 0;
	grown = realloc(d->opts, (d->n + 1) * sizeof(*grown));
	if (!grown)
		return BP_ENOMEM;
	d->opts = grown;
	d->opts[d->n].key = strdup(key);
	d->opts[d->n].value = strdup(value);
	if (!d->opts[d->n].key || !d->opts[d->n].value) {
		free(d->opts[d->n].key);
		free(d->opts[d->n].value);
		return BP_ENOMEM;
	}
	d->n++;
	return 0;
}

void drive_spec_unset(struct drive_spec *d, const char *key)
{
	size_t w = 0;

	for (size_t i = 0; i < d->n; i++) {
		if (!strcmp(d->opts[i].key, key)) {
			free(d->opts[i].key);
			free(d->opts[i].value);
			continue;
		}
		d->opts[w++] = d->opts[i];
	}
	d->n = w;
}

static size_t escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == ',' ? 2 : 1;
	return n;
}

static char *put_escaped(char *dst, const char *s)
{
	for (; *s; s++) {
		*dst++ = *s;
		if (*s == ',')
			*dst++ = ',';
	}
	return dst;
}

char *drive_escape(const char *value)
{
	char *out = malloc(escaped_len(value) + 1);

	if (out)
		*put_escaped(out, value) = '\0';
	return out;
}

int drive_spec_print(const struct drive_spec *d, char **out)
{
	size_t len = 1;
	char *buf;
	char *p;

	for (size_t i = 0; i < d->n; i++) {
		len += escaped_len(d->opts[i].key) + 1;
		if (d->opts[i].value)
			len += escaped_len(d->opts[i].value) + 1;
	}
	buf = malloc(len);
	if (!buf)
		return BP_ENOMEM;
	p = buf;
	for (size_t i = 0; i < d->n; i++) {
		if (i)
			*p++ = ',';
		p = put_escaped(p, d->opts[i].key);
		if (d->opts[i].value) {
			*p++ = '=';
			p = put_escaped(p, d->opts[i].value);
		}
	}
	*p = '\0';
	*out = buf;
	return 0;
}
