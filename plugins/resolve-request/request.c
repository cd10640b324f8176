/* The request rules of SPEC resolve-request, as one pure function. */
#include "request.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/defaults.h>
#include <bootpipe/error.h>

#include "arch.h"
#include "image_config.h"
#include "rootfs_rule.h"

char *request_abs_path(const char *base, const char *path)
{
	char *out;
	size_t blen = strlen(base);

	if (path[0] == '/')
		return strdup(path);
	if (asprintf(&out, "%s%s%s", base,
		     blen && base[blen - 1] == '/' ? "" : "/", path) < 0)
		return NULL;
	return out;
}

static int note(struct request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int note(struct request *req, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (req->note_count >= sizeof(req->notes) / sizeof(req->notes[0]))
		return 0;
	va_start(ap, fmt);
	rc = vasprintf(&req->notes[req->note_count], fmt, ap);
	va_end(ap);
	if (rc < 0)
		return BP_ENOMEM;
	req->note_count++;
	return 0;
}

static int resolve_workspace(const struct request_input *in,
			     struct request *req)
{
	char cwd[4096];

	if (!getcwd(cwd, sizeof(cwd)))
		return BP_ENOMEM;
	if (in->workspace.value)
		req->workspace = request_abs_path(cwd, in->workspace.value);
	else if (in->engine_workspace)
		req->workspace = strdup(in->engine_workspace);
	else
		req->workspace = strdup(cwd);
	return req->workspace ? 0 : BP_ENOMEM;
}

static int resolve_package(const struct request_input *in, struct request *req)
{
	if (in->package.value) {
		req->package_dir =
		    request_abs_path(req->workspace, in->package.value);
		return req->package_dir ? 0 : BP_ENOMEM;
	}
	req->package_dir = bp_default_package_dir(req->workspace);
	return req->package_dir ? 0 : BP_ENOMEM;
}

static int resolve_arch(const struct request_input *in,
			const struct axvisor_state *state, struct request *req,
			char *err, size_t errlen)
{
	const struct arch_info *info;
	const struct arch_info *elf;
	char why[512];
	const char *origin;

	if (in->arch.value || in->target.value) {
		if (arch_resolve(in->arch.value, in->target.value, &info, why,
				 sizeof(why))) {
			/* name the option that carries the bad value */
			origin =
			    in->target.value && !(in->arch.value &&
						  !arch_by_name(in->arch.value))
				? in->target.origin
				: in->arch.origin;
			snprintf(err, errlen, "%s: %s", origin, why);
			return BP_ECONFIG;
		}
		req->arch_source = "option";
	} else if (state && (state->arch || state->target)) {
		if (arch_resolve(state->arch, state->target, &info, why,
				 sizeof(why))) {
			snprintf(err, errlen, "%s: %s", req->state_file, why);
			return BP_ECONFIG;
		}
		req->arch_source = "state";
	} else {
		arch_resolve(NULL, NULL, &info, why, sizeof(why));
		req->arch_source = "default";
		/* Deviation: with no arch anywhere, an ELF kernel says which
		 * it is (ostool does this later, too late for the rootfs). */
		elf = req->kernel ? arch_of_elf_file(req->kernel) : NULL;
		if (elf) {
			info = elf;
			req->arch_source = "kernel";
		}
	}
	req->arch = info->arch;
	req->target = info->target;
	return 0;
}

static bool state_matches(const struct axvisor_state *state,
			  const struct request *req)
{
	const struct arch_info *info;
	char why[256];

	if (!state)
		return false;
	if (!state->arch && !state->target)
		return true;
	if (arch_resolve(state->arch, state->target, &info, why, sizeof(why)))
		return false;
	return !strcmp(info->arch, req->arch);
}

static int check_file(const char *what, const char *path, const char *origin,
		      char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s %s: %s", origin, what, path,
			 strerror(errno));
		return BP_ECONFIG;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s %s is not a regular file", origin,
			 what, path);
		return BP_ECONFIG;
	}
	return 0;
}

static int resolve_vmconfigs(const struct request_input *in,
			     const struct axvisor_state *state,
			     struct request *req, char *err, size_t errlen)
{
	const char *const *items = in->vmconfigs;
	size_t count = in->vmconfig_count;
	const char *origin = in->vmconfigs_origin;
	int rc;

	if (!in->vmconfigs_set && state_matches(state, req) &&
	    state->vmconfig_count) {
		items = (const char *const *)state->vmconfigs;
		count = state->vmconfig_count;
		origin = req->state_file;
		rc = note(req, "vmconfigs from %s", req->state_file);
		if (rc)
			return rc;
	}
	req->vmconfigs = calloc(count + 1, sizeof(*req->vmconfigs));
	if (!req->vmconfigs)
		return BP_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		req->vmconfigs[i] = request_abs_path(req->workspace, items[i]);
		if (!req->vmconfigs[i])
			return BP_ENOMEM;
		req->vmconfig_count++;
		rc = check_file("vmconfig", req->vmconfigs[i], origin, err,
				errlen);
		if (rc)
			return rc;
	}
	return 0;
}

static int resolve_qemu_config(const struct request_input *in,
			       const struct axvisor_state *state,
			       struct request *req, char *err, size_t errlen)
{
	struct stat st;
	char *rel;
	int rc;

	if (in->qemu_config.value) {
		req->qemu_config =
		    request_abs_path(req->workspace, in->qemu_config.value);
		if (!req->qemu_config)
			return BP_ENOMEM;
		return check_file("QEMU config", req->qemu_config,
				  in->qemu_config.origin, err, errlen);
	}
	if (state_matches(state, req) && state->qemu_config) {
		req->qemu_config =
		    request_abs_path(req->workspace, state->qemu_config);
		if (!req->qemu_config)
			return BP_ENOMEM;
		if (stat(req->qemu_config, &st) == 0)
			return note(req, "QEMU config %s from %s",
				    req->qemu_config, req->state_file);
		/* a stale state must not block the default */
		rc = note(req,
			  "QEMU config %s named in %s is gone; using "
			  "the default",
			  req->qemu_config, req->state_file);
		free(req->qemu_config);
		req->qemu_config = NULL;
		if (rc)
			return rc;
	}
	if (asprintf(&rel, "configs/qemu/qemu-%s.toml", req->arch) < 0)
		return BP_ENOMEM;
	req->qemu_config = request_abs_path(req->package_dir, rel);
	free(rel);
	if (!req->qemu_config)
		return BP_ENOMEM;
	if (stat(req->qemu_config, &st) != 0) {
		/* patch-qemu may get its args from its own options */
		rc = note(req, "no QEMU config at %s", req->qemu_config);
		free(req->qemu_config);
		req->qemu_config = NULL;
		return rc;
	}
	return 0;
}

static int resolve_kernel(const struct request_input *in, struct request *req,
			  char *err, size_t errlen)
{
	if (!in->kernel.value) {
		if (!in->require_kernel)
			return 0;
		snprintf(err, errlen,
			 "no kernel image to boot: set [%s] kernel = PATH or "
			 "pass --kernel PATH",
			 in->stage);
		return BP_ECONFIG;
	}
	req->kernel = request_abs_path(req->workspace, in->kernel.value);
	return req->kernel ? 0 : BP_ENOMEM;
}

static int resolve_store_rootfs(const struct request_input *in,
				struct request *req, char *err, size_t errlen)
{
	if (in->store.value) {
		req->store = request_abs_path(req->workspace, in->store.value);
	} else {
		/* axbuild's: .image.toml local_storage, the environment's
		 * TGOS_IMAGE_LOCAL_STORAGE, else tmp/axbuild/rootfs */
		struct bp_image_config cfg;
		int rc =
		    bp_image_config_read(req->workspace, &cfg, err, errlen);

		if (rc) {
			bp_image_config_free(&cfg);
			return rc;
		}
		req->store = cfg.local_storage;
		cfg.local_storage = NULL;
		bp_image_config_free(&cfg);
	}
	if (!req->store)
		return BP_ENOMEM;
	if (!in->rootfs.value)
		return 0;
	return rootfs_resolve_explicit(req->store, req->arch, in->rootfs.value,
				       req->workspace, &req->rootfs,
				       &req->rootfs_version, err, errlen);
}

static int load_state(const struct request_input *in, struct request *req,
		      struct axvisor_state *state, char *err, size_t errlen)
{
	if (in->state_file.value)
		req->state_file =
		    request_abs_path(req->workspace, in->state_file.value);
	else
		req->state_file = request_abs_path(req->workspace,
						   "tmp/axbuild/.axvisor.toml");
	if (!req->state_file)
		return BP_ENOMEM;
	return axvisor_state_load(req->state_file, state, err, errlen);
}

int request_resolve(const struct request_input *in, struct request *out,
		    char *err, size_t errlen)
{
	struct axvisor_state st = {0};
	const struct axvisor_state *state = &st;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = resolve_workspace(in, out);
	if (!rc)
		rc = load_state(in, out, &st, err, errlen);
	if (!rc)
		rc = resolve_package(in, out);
	if (!rc)
		rc = resolve_kernel(in, out, err, errlen);
	if (!rc)
		rc = resolve_arch(in, state, out, err, errlen);
	if (!rc)
		rc = resolve_vmconfigs(in, state, out, err, errlen);
	if (!rc)
		rc = resolve_qemu_config(in, state, out, err, errlen);
	if (!rc)
		rc = resolve_store_rootfs(in, out, err, errlen);
	if (!rc && in->smp_set && in->smp < 1) {
		snprintf(err, errlen, "%s: smp must be at least 1, got %lld",
			 in->smp_origin, (long long)in->smp);
		rc = BP_ECONFIG;
	}
	axvisor_state_free(&st);
	if (rc) {
		if (rc == BP_ENOMEM)
			snprintf(err, errlen, "out of memory");
		request_free(out);
		return rc;
	}
	out->debug = in->debug;
	out->smp_set = in->smp_set;
	out->smp = in->smp;
	return 0;
}

void request_free(struct request *req)
{
	free(req->workspace);
	free(req->package_dir);
	free(req->kernel);
	for (size_t i = 0; i < req->vmconfig_count; i++)
		free(req->vmconfigs[i]);
	free(req->vmconfigs);
	free(req->qemu_config);
	free(req->rootfs);
	free(req->rootfs_version);
	free(req->store);
	free(req->state_file);
	for (size_t i = 0; i < req->note_count; i++)
		free(req->notes[i]);
	memset(req, 0, sizeof(*req));
}
