/*
 * Resolving a boot request from the stage's options and axbuild's saved
 * state: pure logic, no context, so every rule and message is unit-tested.
 */
#ifndef BP_RESOLVE_REQUEST_REQUEST_H
#define BP_RESOLVE_REQUEST_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One option: value NULL when the pipeline left it unset; origin is
 * "file:line", "--set" or "default", used in messages. */
struct req_opt {
	const char *value;
	const char *origin;
};

struct request_input {
	const char *stage;	      /* section name, for messages */
	const char *engine_workspace; /* ctx `workspace`, may be NULL */
	struct req_opt workspace, package, arch, target, kernel, qemu_config,
	    rootfs, store, state_file;
	const char *const *vmconfigs;
	size_t vmconfig_count;
	bool vmconfigs_set;
	const char *vmconfigs_origin;
	bool debug;
	bool smp_set;
	int64_t smp;
	const char *smp_origin;
	bool require_kernel;
};

/* axbuild's `tmp/axbuild/.axvisor.toml`; all NULL/0 when absent. */
struct axvisor_state {
	char *arch;
	char *target;
	char **vmconfigs;
	size_t vmconfig_count;
	char *qemu_config;
};

struct request {
	char *workspace;
	char *package_dir;
	const char *arch;	 /* static */
	const char *target;	 /* static */
	const char *arch_source; /* "default", "option", "state", "kernel" */
	char *kernel;		 /* NULL when none */
	char **vmconfigs;	 /* absolute */
	size_t vmconfig_count;
	char *qemu_config;    /* NULL when none exists */
	char *rootfs;	      /* explicit, NULL when none */
	char *rootfs_version; /* its registry version pinned, or NULL */
	char *store;
	char *state_file;
	bool debug;
	bool smp_set;
	int64_t smp;
	char *notes[4]; /* info lines for the log (state used, ...) */
	size_t note_count;
};

/* Reads the state file; a missing file is an empty state. BP_ECONFIG with
 * "PATH:LINE:COL: ..." for bad TOML or wrongly typed keys. */
int axvisor_state_load(const char *path, struct axvisor_state *out, char *err,
		       size_t errlen);
void axvisor_state_free(struct axvisor_state *state);

/*
 * Resolves @in, with axbuild's state file for what @in leaves unset, into
 * @out. BP_ECONFIG with the
 * message in @err; BP_ENOMEM. @out is released on failure.
 */
int request_resolve(const struct request_input *in, struct request *out,
		    char *err, size_t errlen);
void request_free(struct request *req);

/* @path when absolute, else @base/@path; malloc'ed. */
char *request_abs_path(const char *base, const char *path);

#endif
