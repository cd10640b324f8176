/*
 * The accelerator decision: KVM when asked for and usable, else TCG with
 * the KVM-only arguments rewritten.
 */
#ifndef BP_PATCH_QEMU_ACCEL_H
#define BP_PATCH_QEMU_ACCEL_H

#include <stdbool.h>
#include <stddef.h>

#include "strv.h"

enum accel_mode {
	ACCEL_AUTO,
	ACCEL_KVM,
	ACCEL_TCG,
};

/* "auto", "kvm", "tcg" -> mode; 0 or BP_EINVAL. */
int accel_mode_parse(const char *text, enum accel_mode *out);

/*
 * True when KVM can run @guest_arch here: @host_arch equals it, and
 * @kvm_device opens read-write and passes kvm_probe (a VM, a vCPU and on
 * x86_64 a guest run to its `hlt`, bounded in time). Otherwise false and
 * the reason in @why.
 */
bool accel_kvm_usable(const char *kvm_device, const char *host_arch,
		      const char *guest_arch, char *why, size_t whylen);

/* True when the args ask for KVM (-enable-kvm, -accel kvm, accel=kvm). */
bool accel_args_want_kvm(const struct strv *args);

/* Rewrites KVM-only args for TCG: -enable-kvm dropped, -accel kvm and
 * machine accel=kvm become tcg, -cpu host becomes -cpu max. *changed tells
 * whether anything was rewritten. 0 or BP_ENOMEM. */
int accel_rewrite_for_tcg(struct strv *args, bool *changed);

struct accel_result {
	bool kvm;	/* the run uses KVM */
	bool rewritten; /* KVM args were rewritten for TCG */
};

/*
 * Applies @mode to @args given whether KVM is usable (@why: reason when
 * not). BP_EINFRA with a message in @err for accel = kvm without KVM.
 */
int accel_apply(struct strv *args, enum accel_mode mode, bool kvm_usable,
		const char *why, struct accel_result *out, char *err,
		size_t errlen);

#endif
