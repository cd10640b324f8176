/*
 * Reading a pipeline file without running it: the file and its includes
 * merged as the engine merges them (included files first, the including
 * file wins, each key's values replaced as a whole), the stage list, and
 * every raw value (placeholders not expanded) with the file and line it
 * came from. The engine reads pipelines through this same code.
 *
 *   struct bp_pipeline *p;
 *   if (bp_pipeline_open("pipelines/demo-aarch64.ini", &p) != 0)
 *           fprintf(stderr, "%s\n", bp_pipeline_error(p));
 *   else
 *           for (size_t i = 0; i < bp_pipeline_stage_count(p); i++)
 *                   puts(bp_pipeline_stage_at(p, i));
 *   bp_pipeline_free(p);
 *
 * Every file is opened without blocking and refused unless it is a
 * regular file (a FIFO or a device as an include would hang or never
 * end). A pipeline is read-only once open; its strings are borrowed until
 * bp_pipeline_free. One pipeline may be read from several threads.
 */
#ifndef BOOTPIPE_PIPELINE_H
#define BOOTPIPE_PIPELINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bp_pipeline;

/*
 * Reads @path and its includes. *out is set even on failure (NULL only
 * when out of memory) so bp_pipeline_error can say why, naming file and
 * line; free it either way. 0, BP_ECONFIG, BP_ENOMEM.
 */
int bp_pipeline_open(const char *path, struct bp_pipeline **out);

/* NULL is a no-op. */
void bp_pipeline_free(struct bp_pipeline *pipeline);

/* Why bp_pipeline_open failed; "" after success. Never NULL. */
const char *bp_pipeline_error(const struct bp_pipeline *pipeline);

/* The path as given to bp_pipeline_open. */
const char *bp_pipeline_path(const struct bp_pipeline *pipeline);

/* [pipeline] name, else the file name without its directory and
 * extension (the engine's default). */
const char *bp_pipeline_name(const struct bp_pipeline *pipeline);

/* The words of [pipeline] stages, in order (the engine checks them). */
size_t bp_pipeline_stage_count(const struct bp_pipeline *pipeline);
const char *bp_pipeline_stage_at(const struct bp_pipeline *pipeline,
				 size_t index);

/* One `key = value` after merging. @line is 0 for values that have no
 * line. */
struct bp_pipeline_value {
	const char *section;
	const char *key;
	const char *value; /* raw: ${...} not expanded */
	const char *file;  /* the file it was read from */
	int line;
};

/* All values in merged order (a list option may have several entries
 * for one key). Returns 0, or BP_ENOENT past the end. */
size_t bp_pipeline_value_count(const struct bp_pipeline *pipeline);
int bp_pipeline_value_at(const struct bp_pipeline *pipeline, size_t index,
			 struct bp_pipeline_value *out);

/* The last value of SECTION.KEY (what a string option gets): 0, or
 * BP_ENOENT when the merged files do not set it. */
int bp_pipeline_get(const struct bp_pipeline *pipeline, const char *section,
		    const char *key, struct bp_pipeline_value *out);

#ifdef __cplusplus
}
#endif
#endif
