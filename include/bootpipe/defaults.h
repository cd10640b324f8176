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

/*
 * The user's cache root: $XDG_CACHE_HOME when absolute (as the XDG spec
 * says), else ~/.cache. malloc'ed; NULL when no home is known.
 */
char *bp_default_cache_dir(void);

/*
 * The workspace of a run outside any workspace: <cache>/bootpipe/workspace,
 * created (mode 0700) when missing, so that such a run writes nothing into
 * the current directory. malloc'ed; NULL with errno set on failure.
 */
char *bp_default_user_workspace(void);

#ifdef __cplusplus
}
#endif
#endif
