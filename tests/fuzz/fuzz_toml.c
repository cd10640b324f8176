/*
 * libFuzzer target for the TOML reader: any input must parse or fail with a
 * message, never crash; a parsed tree is walked through every accessor.
 */
#include <bootpipe/toml.h>

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct bp_toml_node *n)
{
	size_t sum = (size_t)bp_toml_line(n) + (size_t)bp_toml_column(n);
	const char *s;
	size_t len, i;
	int64_t iv;
	double d;
	bool b;

	switch (bp_toml_type(n)) {
	case BP_TOML_TABLE:
		for (i = 0; i < bp_toml_len(n); i++) {
			const char *key = bp_toml_key_at(n, i);

			sum += bp_toml_key_len_at(n, i) + strlen(key);
			sum += walk(bp_toml_value_at(n, i));
			/* Lookups by name must find what iteration sees. */
			if (strlen(key) == bp_toml_key_len_at(n, i) &&
			    !strchr(key, '.') && *key &&
			    bp_toml_get(n, key) != bp_toml_value_at(n, i))
				__builtin_trap();
		}
		break;
	case BP_TOML_ARRAY:
		for (i = 0; i < bp_toml_len(n); i++)
			sum += walk(bp_toml_at(n, i));
		break;
	case BP_TOML_INTEGER:
		bp_toml_as_int(n, &iv);
		sum += (size_t)iv;
		break;
	case BP_TOML_FLOAT:
		bp_toml_as_float(n, &d);
		sum += d > 0;
		break;
	case BP_TOML_BOOL:
		bp_toml_as_bool(n, &b);
		sum += b;
		break;
	default:
		if (!bp_toml_as_str(n, &s, &len) || s[len] != '\0')
			__builtin_trap();
		sum += len;
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_toml_doc *doc;
	char err[256];
	const char *s;
	int64_t iv;

	if (bp_toml_parse_buf((const char *)data, size, "fuzz", &doc, err,
			      sizeof(err))) {
		if (doc || strncmp(err, "fuzz:", 5) != 0)
			__builtin_trap();
		return 0;
	}
	walk(bp_toml_root(doc));
	bp_toml_get_str(bp_toml_root(doc), "kernel.kernel_path", &s);
	bp_toml_get_int(bp_toml_root(doc), "base.id", &iv);
	bp_toml_free(doc);
	return 0;
}
