/*
 * Whether KVM runs a guest, not only opens: a VM, a vCPU and, on x86_64,
 * one KVM_RUN of a real-mode `hlt`, bounded in time, in a child process.
 */
#ifndef BP_PATCH_QEMU_KVM_PROBE_H
#define BP_PATCH_QEMU_KVM_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* The system calls the probe makes; tests pass their own. */
struct kvm_sys {
	int (*ioctl)(int fd, unsigned long req, void *arg);
	/* maps @len bytes of @fd (the vCPU's struct kvm_run) shared */
	void *(*map)(int fd, size_t len);
};

/* The kernel's ioctl(2) and mmap(2). */
extern const struct kvm_sys kvm_sys_real;

/* The test guest halts in microseconds: a KVM_RUN still running after
 * this many seconds hangs (broken nested virtualisation). */
#define KVM_PROBE_TIMEOUT_S 2

/*
 * True when the KVM device open at @fd (named @dev in messages) creates
 * a VM and a vCPU and, for @guest_arch x86_64, runs a guest to its `hlt`
 * within @timeout_s seconds. The probe runs in a child process killed by
 * SIGALRM, so a KVM_RUN that never returns cannot hang the caller.
 * Otherwise false and the reason in @why.
 */
bool kvm_probe(const struct kvm_sys *sys, int fd, const char *dev,
	       const char *guest_arch, unsigned timeout_s, char *why,
	       size_t whylen);

#endif
