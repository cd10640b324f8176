/*
 * What `bootpipe test` reads from a case's QEMU config and build config
 * beyond what patch-qemu reads: axbuild's QemuCaseExtraConfig
 * (test_commands, host_http_server) and the build config keys a case run
 * needs (vm_configs).
 */
#ifndef BOOTPIPE_SUITE_CASE_CONFIG_H
#define BOOTPIPE_SUITE_CASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct suite_http_config {
	bool present;
	char *bind; /* default 127.0.0.1 */
	int port;
	char *body; /* default "ArceOS local HTTP fixture\n" */
	bool has_body_size;
	uint64_t body_size;
	int body_byte; /* default 'a' */
	char *dir;     /* serve this directory instead of a body */
};

struct suite_case_config {
	bool has_timeout;
	int64_t timeout; /* seconds, 0: none */
	char **test_commands;
	size_t test_command_count;
	bool has_shell_init_cmd; /* non-empty shell_init_cmd */
	char **fail_regex;	 /* the config's own */
	size_t fail_regex_count;
	char **success_regex; /* the config's own */
	size_t success_regex_count;
	struct suite_http_config http;
};

/*
 * Reads @path. Returns 0, or -1 with "FILE:LINE: message" in @err for a
 * bad value (test_commands with shell_init_cmd, an empty command, a port
 * out of range...). @workspace resolves a relative `dir`.
 */
int suite_case_config_read(const char *path, const char *workspace,
			   struct suite_case_config *out, char *err,
			   size_t errlen);
void suite_case_config_release(struct suite_case_config *c);

/* vm_configs of a build config, each resolved against @workspace. */
int suite_build_vm_configs(const char *path, const char *workspace, char ***out,
			   size_t *count, char *err, size_t errlen);

/*
 * AXBUILD_TEST_TIMEOUT_SCALE applied to @timeout as axbuild applies it:
 * an integer > 1 multiplies (saturating), anything else is ignored with a
 * warning in @warn (empty when none). 0 (no timeout) stays 0.
 */
int64_t suite_scale_timeout(int64_t timeout, const char *scale, char *warn,
			    size_t warnlen);

#endif
