/*
 * A TOML 1.0 reader. A document is parsed whole into an immutable tree;
 * nodes are borrowed from their document and valid until bp_toml_free.
 * Every node knows the line and column where its value starts.
 */
#ifndef BOOTPIPE_TOML_H
#define BOOTPIPE_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bp_toml_doc;
struct bp_toml_node;

enum bp_toml_type {
	BP_TOML_TABLE = 1,
	BP_TOML_ARRAY,
	BP_TOML_STRING,
	BP_TOML_INTEGER,
	BP_TOML_FLOAT,
	BP_TOML_BOOL,
	BP_TOML_DATETIME,	/* offset date-time */
	BP_TOML_DATETIME_LOCAL, /* local date-time */
	BP_TOML_DATE_LOCAL,
	BP_TOML_TIME_LOCAL,
};

/* "table", "array", "string", "integer", "float", "bool", "datetime",
 * "datetime-local", "date-local", "time-local". */
const char *bp_toml_type_name(enum bp_toml_type type);

/*
 * Parses a file or a buffer. On success *out owns a new document. On
 * failure returns BP_ECONFIG (or BP_EIO for an unreadable file, BP_ENOMEM)
 * and writes "NAME:LINE:COLUMN: message" into @err (NUL-terminated,
 * truncated to @errlen). @name is the file name used in messages.
 */
int bp_toml_parse_file(const char *path, struct bp_toml_doc **out, char *err,
		       size_t errlen);
int bp_toml_parse_buf(const char *buf, size_t len, const char *name,
		      struct bp_toml_doc **out, char *err, size_t errlen);

void bp_toml_free(struct bp_toml_doc *doc);

/* The root table (borrowed). */
const struct bp_toml_node *bp_toml_root(const struct bp_toml_doc *doc);

enum bp_toml_type bp_toml_type(const struct bp_toml_node *node);
int bp_toml_line(const struct bp_toml_node *node);   /* 1-based */
int bp_toml_column(const struct bp_toml_node *node); /* 1-based */

/* Tables and arrays: number of entries. 0 for scalars. */
size_t bp_toml_len(const struct bp_toml_node *node);

/* Tables, in document order: the key (borrowed) and value at @index. */
const char *bp_toml_key_at(const struct bp_toml_node *table, size_t index);
const struct bp_toml_node *bp_toml_value_at(const struct bp_toml_node *table,
					    size_t index);

/* Arrays: the element at @index, NULL when out of range. */
const struct bp_toml_node *bp_toml_at(const struct bp_toml_node *array,
				      size_t index);

/*
 * Looks up a dotted path of bare keys, "kernel.kernel_path", from @table.
 * NULL when any part is absent or a middle part is not a table.
 */
const struct bp_toml_node *bp_toml_get(const struct bp_toml_node *table,
				       const char *dotted);

/* Scalar accessors: false when the node is NULL or of another type. The
 * string is borrowed and NUL-terminated; *len (may be NULL) counts bytes,
 * since TOML strings can hold U+0000. Datetimes read as their RFC 3339
 * text through bp_toml_as_str. */
bool bp_toml_as_str(const struct bp_toml_node *node, const char **out,
		    size_t *len);
bool bp_toml_as_int(const struct bp_toml_node *node, int64_t *out);
bool bp_toml_as_float(const struct bp_toml_node *node, double *out);
bool bp_toml_as_bool(const struct bp_toml_node *node, bool *out);

/*
 * Typed dotted lookups: 0 and the value, BP_ENOENT when absent, BP_ETYPE
 * when present with another type.
 */
int bp_toml_get_str(const struct bp_toml_node *table, const char *dotted,
		    const char **out);
int bp_toml_get_int(const struct bp_toml_node *table, const char *dotted,
		    int64_t *out);
int bp_toml_get_bool(const struct bp_toml_node *table, const char *dotted,
		     bool *out);
int bp_toml_get_float(const struct bp_toml_node *table, const char *dotted,
		      double *out);

/* The byte length of the key at @index: keys may hold U+0000 too. 0 when
 * @index is out of range. */
size_t bp_toml_key_len_at(const struct bp_toml_node *table, size_t index);

#ifdef __cplusplus
}
#endif
#endif
