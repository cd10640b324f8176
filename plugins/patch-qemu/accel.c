/* KVM detection and the TCG fallback rewrite. */
#include "accel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "drive.h"
#include "kvm_probe.h"
#include "qemu_args.h"

int accel_mode_parse(const char *text, enum accel_mode *out)
{
	if (!strcmp(text, "auto"))
		*out = ACCEL_AUTO;
	else if (!strcmp(text, "kvm"))
		*out = ACCEL_KVM;
	else if (!strcmp(text, "tcg"))
		*out = ACCEL_TCG;
	else
		return BP_EINVAL;
	return 0;
}

bool accel_kvm_usable(const char *kvm_device, const char *host_arch,
		      const char *guest_arch, char *why, size_t whylen)
{
	int fd;
	bool ok;

	if (strcmp(host_arch, guest_arch)) {
		snprintf(why, whylen, "host is %s, guest is %s", host_arch,
			 guest_arch);
		return false;
	}
	fd = open(kvm_device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open %s read-write: %s",
			 kvm_device, strerror(errno));
		return false;
	}
	ok = kvm_probe(&kvm_sys_real, fd, kvm_device, guest_arch,
		       KVM_PROBE_TIMEOUT_S, why, whylen);
	close(fd);
	return ok;
}

/* True when an accelerator list ("kvm", "kvm:tcg") names kvm. */
static bool names_kvm(const char *list)
{
	const char *p = strstr(list, "kvm");

	return p && (p == list || p[-1] == ':') &&
	       (p[3] == '\0' || p[3] == ':');
}

/* The machine option's accel= value, or NULL. */
static bool machine_wants_kvm(const char *value)
{
	struct drive_spec spec;
	const char *accel;
	bool kvm;

	if (drive_spec_parse(value, &spec))
		return false;
	accel = drive_spec_get(&spec, "accel");
	kvm = accel && names_kvm(accel);
	drive_spec_free(&spec);
	return kvm;
}

static bool accel_value_is_kvm(const char *value)
{
	return !strncmp(value, "kvm", 3) &&
	       (value[3] == '\0' || value[3] == ',');
}

bool accel_args_want_kvm(const struct strv *args)
{
	for (size_t i = 0; i < args->n; i++) {
		const char *next = i + 1 < args->n ? args->v[i + 1] : "";

		if (qemu_opt_is(args->v[i], "enable-kvm"))
			return true;
		if (qemu_opt_is(args->v[i], "accel") &&
		    accel_value_is_kvm(next))
			return true;
		if ((qemu_opt_is(args->v[i], "machine") ||
		     qemu_opt_is(args->v[i], "M")) &&
		    machine_wants_kvm(next))
			return true;
	}
	return false;
}

static int machine_to_tcg(struct strv *args, size_t i, bool *changed)
{
	struct drive_spec spec;
	char *text = NULL;
	int rc;

	if (!machine_wants_kvm(args->v[i]))
		return 0;
	rc = drive_spec_parse(args->v[i], &spec);
	if (rc)
		return rc;
	rc = drive_spec_set(&spec, "accel", "tcg");
	if (!rc)
		rc = drive_spec_print(&spec, &text);
	drive_spec_free(&spec);
	if (rc)
		return rc;
	strv_take_at(args, i, text);
	*changed = true;
	return 0;
}

static int cpu_host_to_max(struct strv *args, size_t i, bool *changed)
{
	const char *v = args->v[i];
	char *text;

	if (strncmp(v, "host", 4) || (v[4] != '\0' && v[4] != ','))
		return 0;
	if (asprintf(&text, "max%s", v + 4) < 0)
		return BP_ENOMEM;
	strv_take_at(args, i, text);
	*changed = true;
	return 0;
}

int accel_rewrite_for_tcg(struct strv *args, bool *changed)
{
	int rc = 0;

	*changed = false;
	for (size_t i = 0; i < args->n && !rc;) {
		const char *arg = args->v[i];
		bool has_value = i + 1 < args->n;

		if (qemu_opt_is(arg, "enable-kvm")) {
			strv_remove(args, i);
			*changed = true;
			continue;
		}
		if (qemu_opt_is(arg, "accel") && has_value &&
		    accel_value_is_kvm(args->v[i + 1])) {
			/* kvm's properties mean nothing to tcg: drop them */
			rc = strv_set(args, i + 1, "tcg");
			*changed = true;
		} else if ((qemu_opt_is(arg, "machine") ||
			    qemu_opt_is(arg, "M")) &&
			   has_value) {
			rc = machine_to_tcg(args, i + 1, changed);
		} else if (qemu_opt_is(arg, "cpu") && has_value) {
			rc = cpu_host_to_max(args, i + 1, changed);
		}
		i++;
	}
	return rc;
}

int accel_apply(struct strv *args, enum accel_mode mode, bool kvm_usable,
		const char *why, struct accel_result *out, char *err,
		size_t errlen)
{
	bool want = accel_args_want_kvm(args);

	out->kvm = false;
	out->rewritten = false;
	switch (mode) {
	case ACCEL_KVM:
		if (!kvm_usable) {
			snprintf(err, errlen,
				 "accel = kvm but KVM is not usable: %s", why);
			return BP_EINFRA;
		}
		out->kvm = true;
		if (want)
			return 0;
		if (strv_push(args, "-accel") || strv_push(args, "kvm"))
			return BP_ENOMEM;
		return 0;
	case ACCEL_AUTO:
		if (want && kvm_usable) {
			out->kvm = true;
			return 0;
		}
		break;
	case ACCEL_TCG:
		break;
	}
	return accel_rewrite_for_tcg(args, &out->rewritten);
}
