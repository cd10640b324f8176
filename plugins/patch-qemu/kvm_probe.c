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

#if defined(__x86_64__)
/* The test guest: one page at this guest address holding `hlt`. */
#define GUEST_PAGE 0x1000
#define GUEST_PAGE_SIZE 0x1000

static bool map_guest_page(const struct kvm_sys *sys, int vm, const char *dev,
			   char *why, size_t whylen)
{
	struct kvm_userspace_memory_region region = {0};
	unsigned char *mem = mmap(NULL, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		snprintf(why, whylen, "cannot probe %s: mmap: %s", dev,
			 strerror(errno));
		return false;
	}
	mem[0] = 0xf4; /* hlt */
	region.slot = 0;
	region.guest_phys_addr = GUEST_PAGE;
	region.memory_size = GUEST_PAGE_SIZE;
	region.userspace_addr = (uintptr_t)mem;
	if (sys->ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		snprintf(why, whylen, "%s cannot map guest memory: %s", dev,
			 strerror(errno));
		return false;
	}
	return true;
}

/* Runs the vCPU in real mode at the `hlt`; it must exit with HLT. */
static bool run_to_hlt(const struct kvm_sys *sys, int kvm, int vcpu,
		       const char *dev, char *why, size_t whylen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {0};
	struct kvm_run *run;
	int size = sys->ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);

	if (size < (int)sizeof(*run)) {
		snprintf(why, whylen, "%s gives no vCPU run area: %s", dev,
			 size < 0 ? strerror(errno) : "too small");
		return false;
	}
	run = sys->map(vcpu, (size_t)size);
	if (!run) {
		snprintf(why, whylen, "%s: cannot map the vCPU run area: %s",
			 dev, strerror(errno));
		return false;
	}
	if (sys->ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(why, whylen, "%s: KVM_GET_SREGS: %s", dev,
			 strerror(errno));
		return false;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	regs.rip = GUEST_PAGE;
	regs.rflags = 0x2; /* bit 1 is always set */
	if (sys->ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 ||
	    sys->ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		snprintf(why, whylen, "%s cannot set the vCPU registers: %s",
			 dev, strerror(errno));
		return false;
	}
	if (sys->ioctl(vcpu, KVM_RUN, NULL) < 0) {
		snprintf(why, whylen, "%s cannot run a guest: KVM_RUN: %s", dev,
			 strerror(errno));
		return false;
	}
	switch (run->exit_reason) {
	case KVM_EXIT_HLT:
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, whylen,
			 "%s cannot enter a guest (hardware entry failure "
			 "0x%llx)",
			 dev,
			 (unsigned long long)
			     run->fail_entry.hardware_entry_failure_reason);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(why, whylen,
			 "%s: a test guest stopped on a KVM internal error "
			 "(suberror %u)",
			 dev, run->internal.suberror);
		return false;
	default:
		snprintf(why, whylen,
			 "%s: a test guest exited with reason %u, not at its "
			 "hlt",
			 dev, run->exit_reason);
		return false;
	}
}
#endif

/* The probe proper, in the child: what it creates dies with it. */
static bool probe(const struct kvm_sys *sys, int fd, const char *dev,
		  const char *guest_arch, char *why, size_t whylen)
{
	int version = sys->ioctl(fd, KVM_GET_API_VERSION, NULL);
	int vm, vcpu;

	if (version != KVM_API_VERSION) {
		snprintf(why, whylen, "%s is not a KVM device (%s)", dev,
			 version < 0 ? strerror(errno) : "wrong API version");
		return false;
	}
	vm = sys->ioctl(fd, KVM_CREATE_VM, NULL);
	if (vm < 0) {
		snprintf(why, whylen, "%s cannot create a VM: %s", dev,
			 strerror(errno));
		return false;
	}
#if defined(__x86_64__)
	if (!strcmp(guest_arch, "x86_64") &&
	    !map_guest_page(sys, vm, dev, why, whylen))
		return false;
#endif
	vcpu = sys->ioctl(vm, KVM_CREATE_VCPU, NULL);
	if (vcpu < 0) {
		snprintf(why, whylen, "%s cannot create a vCPU: %s", dev,
			 strerror(errno));
		return false;
	}
#if defined(__x86_64__)
	if (!strcmp(guest_arch, "x86_64"))
		return run_to_hlt(sys, fd, vcpu, dev, why, whylen);
#endif
	/* other arches: a VM and a vCPU is all that is probed */
	(void)guest_arch;
	return true;
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

static void write_all(int fd, const char *p, size_t n)
{
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

static size_t read_all(int fd, char *buf, size_t cap)
{
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
		char msg[512] = "";
		bool ok;

		close(p[0]);
		child_signals();
		alarm(timeout_s);
		ok = probe(sys, fd, dev, guest_arch, msg, sizeof(msg));
		if (!ok)
			write_all(p[1], msg, strlen(msg));
		_exit(ok ? 0 : 1);
	}
	close(p[1]);
	n = whylen ? read_all(p[0], why, whylen - 1) : 0;
	if (whylen)
		why[n] = '\0';
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
	else if (!n)
		snprintf(why, whylen, "the probe of %s failed (exit %d)", dev,
			 WEXITSTATUS(st));
	return false;
}
