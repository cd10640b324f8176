/* Probing KVM by running a guest that halts at once. */
#include "kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

static void *sys_map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

const struct kvm_sys kvm_sys_real = {.ioctl = sys_ioctl, .map = sys_map};

/*
 * The step of the probe that failed. The child reports only this, errno
 * and a number: it was forked from a process that may have threads, so
 * it formats nothing (snprintf and strerror are not async-signal-safe).
 */
enum probe_step {
	STEP_API_VERSION = 1,
	STEP_WRONG_VERSION,
	STEP_CREATE_VM,
	STEP_GUEST_MMAP,
	STEP_GUEST_MEMORY,
	STEP_RUN_AREA_SIZE,
	STEP_RUN_AREA_SMALL,
	STEP_RUN_AREA_MAP,
	STEP_GET_SREGS,
	STEP_SET_REGS,
	STEP_KVM_RUN,
	STEP_FAIL_ENTRY,
	STEP_INTERNAL_ERROR,
	STEP_EXIT_REASON,
	STEP_CREATE_VCPU,
};

struct probe_fail {
	int step;		   /* enum probe_step */
	int err;		   /* errno after the step */
	unsigned long long detail; /* an exit reason or hardware code */
};

static bool fail_at(struct probe_fail *f, enum probe_step step,
		    unsigned long long detail)
{
	f->step = step;
	f->err = errno;
	f->detail = detail;
	return false;
}

#if defined(__x86_64__)
/* The test guest: one page at this guest address holding `hlt`. */
#define GUEST_PAGE 0x1000
#define GUEST_PAGE_SIZE 0x1000

static bool map_guest_page(const struct kvm_sys *sys, int vm,
			   struct probe_fail *f)
{
	struct kvm_userspace_memory_region region = {0};
	unsigned char *mem = mmap(NULL, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return fail_at(f, STEP_GUEST_MMAP, 0);
	mem[0] = 0xf4; /* hlt */
	region.slot = 0;
	region.guest_phys_addr = GUEST_PAGE;
	region.memory_size = GUEST_PAGE_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (sys->ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail_at(f, STEP_GUEST_MEMORY, 0);
	return true;
}

/* Runs the vCPU in real mode at the `hlt`; it must exit with HLT. */
static bool run_to_hlt(const struct kvm_sys *sys, int kvm, int vcpu,
		       struct probe_fail *f)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {0};
	struct kvm_run *run;
	int size = sys->ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);

	if (size < 0)
		return fail_at(f, STEP_RUN_AREA_SIZE, 0);
	if (size < (int)sizeof(*run))
		return fail_at(f, STEP_RUN_AREA_SMALL, 0);
	run = sys->map(vcpu, (size_t)size);
	if (!run)
		return fail_at(f, STEP_RUN_AREA_MAP, 0);
	if (sys->ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail_at(f, STEP_GET_SREGS, 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	regs.rip = GUEST_PAGE;
	regs.rflags = 0x2; /* bit 1 is always set */
	if (sys->ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    sys->ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail_at(f, STEP_SET_REGS, 0);
	if (sys->ioctl(vcpu, KVM_RUN, NULL) < 0)
		return fail_at(f, STEP_KVM_RUN, 0);
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		return fail_at(f, STEP_FAIL_ENTRY,
			       run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return fail_at(f, STEP_INTERNAL_ERROR, run->internal.suberror);
	default:
		return fail_at(f, STEP_EXIT_REASON, run->exit_reason);
	}
}
#endif

/* The probe proper, in the child: what it creates dies with it. */
static bool probe(const struct kvm_sys *sys, int fd, const char *guest_arch,
		  struct probe_fail *f)
{
	int version = sys->ioctl(fd, KVM_GET_API_VERSION, NULL);
	int vm, vcpu;

	if (version < 0)
		return fail_at(f, STEP_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return fail_at(f, STEP_WRONG_VERSION, (unsigned)version);
	vm = sys->ioctl(fd, KVM_CREATE_VM, NULL);
	if (vm < 0)
		return fail_at(f, STEP_CREATE_VM, 0);
#if defined(__x86_64__)
	if (!strcmp(guest_arch, "x86_64") && !map_guest_page(sys, vm, f))
		return false;
#endif
	vcpu = sys->ioctl(vm, KVM_CREATE_VCPU, NULL);
	if (vcpu < 0)
		return fail_at(f, STEP_CREATE_VCPU, 0);
#if defined(__x86_64__)
	if (!strcmp(guest_arch, "x86_64"))
		return run_to_hlt(sys, fd, vcpu, f);
#endif
	/* other arches: a VM and a vCPU is all that is probed */
	(void)guest_arch;
	return true;
}

/* The message for the step the child reported, formatted in the parent. */
static void describe(const struct probe_fail *f, const char *dev, char *why,
		     size_t whylen)
{
	const char *e = strerror(f->err);

	switch ((enum probe_step)f->step) {
	case STEP_API_VERSION:
		snprintf(why, whylen, "%s is not a KVM device (%s)", dev, e);
		return;
	case STEP_WRONG_VERSION:
		snprintf(why, whylen,
			 "%s is not a KVM device (wrong API version)", dev);
		return;
	case STEP_CREATE_VM:
		snprintf(why, whylen, "%s cannot create a VM: %s", dev, e);
		return;
	case STEP_GUEST_MMAP:
		snprintf(why, whylen, "cannot probe %s: mmap: %s", dev, e);
		return;
	case STEP_GUEST_MEMORY:
		snprintf(why, whylen, "%s cannot map guest memory: %s", dev, e);
		return;
	case STEP_RUN_AREA_SIZE:
		snprintf(why, whylen, "%s gives no vCPU run area: %s", dev, e);
		return;
	case STEP_RUN_AREA_SMALL:
		snprintf(why, whylen, "%s gives no vCPU run area: too small",
			 dev);
		return;
	case STEP_RUN_AREA_MAP:
		snprintf(why, whylen, "%s: cannot map the vCPU run area: %s",
			 dev, e);
		return;
	case STEP_GET_SREGS:
		snprintf(why, whylen, "%s: KVM_GET_SREGS: %s", dev, e);
		return;
	case STEP_SET_REGS:
		snprintf(why, whylen, "%s cannot set the vCPU registers: %s",
			 dev, e);
		return;
	case STEP_KVM_RUN:
		snprintf(why, whylen, "%s cannot run a guest: KVM_RUN: %s", dev,
			 e);
		return;
	case STEP_FAIL_ENTRY:
		snprintf(why, whylen,
			 "%s cannot enter a guest (hardware entry failure "
			 "0x%llx)",
			 dev, f->detail);
		return;
	case STEP_INTERNAL_ERROR:
		snprintf(why, whylen,
			 "%s: a test guest stopped on a KVM internal error "
			 "(suberror %llu)",
			 dev, f->detail);
		return;
	case STEP_EXIT_REASON:
		snprintf(why, whylen,
			 "%s: a test guest exited with reason %llu, not at its "
			 "hlt",
			 dev, f->detail);
		return;
	case STEP_CREATE_VCPU:
		snprintf(why, whylen, "%s cannot create a vCPU: %s", dev, e);
		return;
	}
	snprintf(why, whylen, "the probe of %s failed at step %d", dev,
		 f->step);
}

/* SIGALRM must end the child even if the caller blocks or catches it. */
static void child_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	sigemptyset(&dfl.sa_mask);
	sigaction(SIGALRM, &dfl, NULL);
	sigaction(SIGINT, &dfl, NULL);
	sigaction(SIGTERM, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static size_t read_all(int fd, void *dst, size_t cap)
{
	char *buf = dst;
	size_t n = 0;

	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

bool kvm_probe(const struct kvm_sys *sys, int fd, const char *dev,
	       const char *guest_arch, unsigned timeout_s, char *why,
	       size_t whylen)
{
	struct probe_fail fail = {0};
	int p[2], st = 0;
	pid_t pid;
	size_t n;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "cannot probe %s: pipe: %s", dev,
			 strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "cannot probe %s: fork: %s", dev,
			 strerror(errno));
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here to _exit */
		struct probe_fail f = {0};
		bool ok;

		close(p[0]);
		child_signals();
		alarm(timeout_s);
		ok = probe(sys, fd, guest_arch, &f);
		if (!ok)
			write_all(p[1], &f, sizeof(f));
		_exit(ok ? 0 : 1);
	}
	close(p[1]);
	n = read_all(p[0], &fail, sizeof(fail));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whylen, "cannot probe %s: waitpid: %s",
				 dev, strerror(errno));
			return false;
		}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return true;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(why, whylen,
			 "%s opens, but a test guest did not halt within %u s "
			 "(KVM_RUN hangs: broken nested virtualisation?)",
			 dev, timeout_s);
	else if (WIFSIGNALED(st))
		snprintf(why, whylen, "the probe of %s died of signal %d (%s)",
			 dev, WTERMSIG(st), strsignal(WTERMSIG(st)));
	else if (n == sizeof(fail))
		describe(&fail, dev, why, whylen);
	else
		snprintf(why, whylen, "the probe of %s failed (exit %d)", dev,
			 WEXITSTATUS(st));
	return false;
}
