/*
 * Defaults the engine and the shipped stages share, in one place so that
 * `${package}` in a pipeline and the request resolve-request builds can
 * never disagree.
 */
#ifndef BOOTPIPE_DEFAULTS_H
#define BOOTPIPE_DEFAULTS_H

#ifdef __cplusplus
extern "C" {
#endif

/* The architecture when neither the pipeline nor a stage names one. */
#define BP_DEFAULT_ARCH "aarch64"

/* The AxVisor package inside a workspace, as axbuild lays it out. */
#define BP_DEFAULT_PACKAGE_SUBDIR "os/axvisor"

/*
 * The package directory when none is configured: <workspace>/os/axvisor
 * when that is a directory, else @workspace itself. malloc'ed; NULL when
 * out of memory. Reentrant.
 */
char *bp_default_package_dir(const char *workspace);

/* $TMPDIR when set and not empty, else "/tmp" (borrowed). */
const char *bp_default_tmp_dir(void);

#ifdef __cplusplus
}
#endif
#endif
