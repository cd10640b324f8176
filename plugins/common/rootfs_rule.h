/*
 * Which rootfs image a run uses, and which image the managed store owns.
 * One rule shared by infer-rootfs and fetch-rootfs (SPEC: "the decision is
 * the same code infer-rootfs uses, not a copy"); a port of axbuild's
 * infer_rootfs_path / managed_rootfs_path with the SPEC's deviations.
 */
#ifndef BP_ROOTFS_RULE_H
#define BP_ROOTFS_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "ostool_expand.h"

/* <store>/rootfs-<arch>-alpine.img, malloc'ed (NULL on ENOMEM) */
char *rootfs_default_path(const char *store, const char *arch);

/* explicit value -> path: "alpine"|"busybox"|"debian" =>
 * <store>/rootfs-<arch>-<word>.img; other bare name => <store>/<name>;
 * containing '/' => as given (relative joined to @workspace). A bare
 * name or word may end in :VERSION, the registry version to fetch: the
 * name then gets its .img, as registry entries are named, and *version
 * the version (else NULL). 0, BP_ECONFIG for an empty name or version
 * (message in @err), BP_ENOMEM. */
int rootfs_resolve_explicit(const char *store, const char *arch,
			    const char *value, const char *workspace,
			    char **out, char **version, char *err,
			    size_t errlen);

/* vmconfig sibling rule (SPEC infer-rootfs, with the deviations). The
 * placeholders of kernel_path are expanded with @vars (borrowed; NULL or a
 * NULL member leaves ${workspace} / ${package} verbatim). *out = NULL when
 * none. BP_ECONFIG with message in err ("cannot read vm config PATH:
 * strerror", "PATH:LINE:COL: ..." for bad TOML). */
int rootfs_infer_from_vmconfigs(const char *const *vmconfigs, size_t count,
				const struct ostool_vars *vars, char **out,
				char *err, size_t errlen);

/* seed's managed_rootfs_path: explicit inside store => explicit; explicit
 * elsewhere => NULL; no explicit: vmconfig sibling exists => NULL; else
 * default. @vars as for rootfs_infer_from_vmconfigs. */
int rootfs_managed_path(const char *store, const char *arch,
			const char *explicit_rootfs,
			const char *const *vmconfigs, size_t count,
			const struct ostool_vars *vars, char **out, char *err,
			size_t errlen);

/* true when @path is inside directory @store (component-wise prefix after
 * normalising, not a string prefix) */
bool rootfs_in_store(const char *store, const char *path);

/*
 * True when writing @path would write a file of the image store @store:
 * @path is inside it by name (rootfs_in_store), resolves into it through
 * symbolic links, or is a hard link of a file in it or in one of its
 * directories (today's <name>.img/). @via (may be NULL) gets the store
 * file it reaches.
 */
bool rootfs_reaches_store(const char *store, const char *path, char *via,
			  size_t vialen);

/* The part of @path below directory @store, normalised as for
 * rootfs_in_store ("a.img/a.img"), malloc'ed into *out; *out = NULL when
 * @path is not inside @store. 0 or BP_ENOMEM. */
int rootfs_store_relative(const char *store, const char *path, char **out);

#endif
