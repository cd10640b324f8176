/*
 * toml-decode: reads TOML on stdin and writes the toml-test tagged JSON
 * ({"type":"integer","value":"42"}) on stdout. Exits 1 on invalid TOML.
 */
#include <bootpipe/toml.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *tagged(const char *type, const char *value, size_t len)
{
	return json_pack("{s:s, s:s%}", "type", type, "value", value, len);
}

static json_t *encode_float(double d)
{
	char buf[64];

	if (isnan(d))
		snprintf(buf, sizeof(buf), "nan");
	else if (isinf(d))
		snprintf(buf, sizeof(buf), "%s", d < 0 ? "-inf" : "inf");
	else
		snprintf(buf, sizeof(buf), "%.17g", d);
	return tagged("float", buf, strlen(buf));
}

static json_t *encode(const struct bp_toml_node *n)
{
	enum bp_toml_type type = bp_toml_type(n);
	json_t *out;
	char buf[32];
	const char *s;
	size_t len, i;
	int64_t iv;
	double d;
	bool b;

	switch (type) {
	case BP_TOML_TABLE:
		out = json_object();
		for (i = 0; out && i < bp_toml_len(n); i++) {
			json_t *v = encode(bp_toml_value_at(n, i));

			if (!v || json_object_setn_new_nocheck(
				      out, bp_toml_key_at(n, i),
				      bp_toml_key_len_at(n, i), v)) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	case BP_TOML_ARRAY:
		out = json_array();
		for (i = 0; out && i < bp_toml_len(n); i++) {
			if (json_array_append_new(out,
						  encode(bp_toml_at(n, i)))) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	case BP_TOML_INTEGER:
		bp_toml_as_int(n, &iv);
		snprintf(buf, sizeof(buf), "%lld", (long long)iv);
		return tagged("integer", buf, strlen(buf));
	case BP_TOML_FLOAT:
		bp_toml_as_float(n, &d);
		return encode_float(d);
	case BP_TOML_BOOL:
		bp_toml_as_bool(n, &b);
		return tagged("bool", b ? "true" : "false", b ? 4 : 5);
	case BP_TOML_STRING:
	case BP_TOML_DATETIME:
	case BP_TOML_DATETIME_LOCAL:
	case BP_TOML_DATE_LOCAL:
	case BP_TOML_TIME_LOCAL:
		bp_toml_as_str(n, &s, &len);
		return tagged(bp_toml_type_name(type), s, len);
	}
	return NULL;
}

int main(void)
{
	struct bp_toml_doc *doc;
	char err[512], *buf = NULL;
	size_t len = 0, cap = 0, got;
	json_t *json;
	int rc;

	do {
		if (len == cap) {
			char *nbuf;

			cap = cap ? cap * 2 : 65536;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				fprintf(stderr, "toml-decode: out of memory\n");
				free(buf);
				return 2;
			}
			buf = nbuf;
		}
		got = fread(buf + len, 1, cap - len, stdin);
		len += got;
	} while (got > 0);
	if (ferror(stdin)) {
		fprintf(stderr, "toml-decode: cannot read stdin\n");
		free(buf);
		return 2;
	}
	rc = bp_toml_parse_buf(buf, len, "<stdin>", &doc, err, sizeof(err));
	free(buf);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	json = encode(bp_toml_root(doc));
	bp_toml_free(doc);
	if (!json) {
		fprintf(stderr, "toml-decode: cannot build JSON\n");
		return 2;
	}
	rc = json_dumpf(json, stdout, JSON_SORT_KEYS | JSON_INDENT(1));
	json_decref(json);
	putchar('\n');
	return rc ? 2 : 0;
}
