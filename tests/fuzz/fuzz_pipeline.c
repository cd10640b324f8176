/*
 * libFuzzer target for pipeline files through the whole loader: the input
 * is written to a file and loaded by an engine with the fixture plugins
 * (BOOTPIPE_FUZZ_PLUGINS, set by the build) in dry-run, so stage init
 * runs but nothing is executed, spawned or downloaded. Every input loads
 * or fails with a message that names the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/engine.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], path[80];

static void discard(void *user, enum bp_log_level level, const char *stage,
		    const char *message)
{
	(void)user;
	(void)level;
	(void)stage;
	(void)message;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_engine *e;
	const char *err;
	char base[96];
	FILE *f;
	int rc;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz-pipeline-XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/fuzz.ini", dir);
		/* the cases' include target, so includes resolve */
		snprintf(base, sizeof(base), "%s/include-base.ini", dir);
		f = fopen(base, "w");
		if (f) {
			fputs("[pipeline]\nstages = fx-ok\n[fx-ok]\n"
			      "value = from-base\ncount = 3\n",
			      f);
			fclose(f);
		}
		unsetenv("BOOTPIPE_PLUGIN_PATH");
		/* libFuzzer keeps reading an unloaded plugin's counters */
		setenv("BOOTPIPE_NO_DLCLOSE", "1", 1);
	}
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	e = bp_engine_new();
	if (!e)
		abort();
	bp_engine_set_log_sink(e, discard, NULL);
	bp_engine_set_quiet(e, true);
	bp_engine_set_dry_run(e, true);
	bp_engine_add_plugin_dir(e, BOOTPIPE_FUZZ_PLUGINS);
	bp_engine_set_workspace(e, dir);
	rc = bp_engine_load(e, path);
	err = bp_engine_error(e);
	if (rc < 0 && (!err || !*err))
		__builtin_trap();
	bp_engine_free(e);
	return 0;
}
