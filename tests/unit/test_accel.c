/* The accelerator decision with a fake KVM device and host arch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <bootpipe/error.h>

#include "accel.h"
#include "kvm_probe.h"

static const char *const x86_args[] = {
    "-machine", "q35", "-accel", "kvm", "-cpu", "host", "-nographic",
};

static void make(struct strv *s, const char *const *items, size_t n)
{
	assert_int_equal(strv_init(s, items, n), 0);
}

static void kvm_usable_needs_matching_arch_and_device(void **state)
{
	char dev[] = "/tmp/bp-fake-kvm-XXXXXX";
	char why[256];
	int fd = mkstemp(dev);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	/* a file that opens read-write is not KVM: the probe creates a VM */
	assert_false(
	    accel_kvm_usable(dev, "x86_64", "x86_64", why, sizeof(why)));
	assert_non_null(strstr(why, "is not a KVM device"));
	assert_false(
	    accel_kvm_usable(dev, "x86_64", "aarch64", why, sizeof(why)));
	assert_string_equal(why, "host is x86_64, guest is aarch64");
	unlink(dev);
	assert_false(
	    accel_kvm_usable(dev, "x86_64", "x86_64", why, sizeof(why)));
	assert_non_null(strstr(why, "cannot open /tmp/bp-fake-kvm-"));
	assert_non_null(strstr(why, "No such file or directory"));
}

static void auto_keeps_kvm_when_usable(void **state)
{
	struct accel_result res;
	struct strv s;
	char err[256];

	(void)state;
	make(&s, x86_args, 7);
	assert_int_equal(
	    accel_apply(&s, ACCEL_AUTO, true, "", &res, err, sizeof(err)), 0);
	assert_true(res.kvm);
	assert_false(res.rewritten);
	assert_string_equal(s.v[3], "kvm");
	assert_string_equal(s.v[5], "host");
	strv_free(&s);
}

static void auto_rewrites_for_tcg_without_kvm(void **state)
{
	const char *const args[] = {"-enable-kvm",
				    "-M",
				    "q35,accel=kvm:tcg",
				    "-accel",
				    "kvm,kernel-irqchip=split",
				    "-cpu",
				    "host,+x2apic"};
	struct accel_result res;
	struct strv s;
	char err[256];

	(void)state;
	make(&s, args, 7);
	assert_true(accel_args_want_kvm(&s));
	assert_int_equal(
	    accel_apply(&s, ACCEL_AUTO, false, "no", &res, err, sizeof(err)),
	    0);
	assert_false(res.kvm);
	assert_true(res.rewritten);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.v[0], "-M");
	assert_string_equal(s.v[1], "q35,accel=tcg");
	assert_string_equal(s.v[3], "tcg");
	assert_string_equal(s.v[5], "max,+x2apic");
	assert_false(accel_args_want_kvm(&s));
	strv_free(&s);
}

static void auto_without_kvm_args_changes_nothing(void **state)
{
	const char *const args[] = {"-cpu", "cortex-a72", "-machine", "virt"};
	struct accel_result res;
	struct strv s;
	char err[256];

	(void)state;
	make(&s, args, 4);
	assert_int_equal(
	    accel_apply(&s, ACCEL_AUTO, true, "", &res, err, sizeof(err)), 0);
	assert_false(res.kvm);
	assert_false(res.rewritten);
	assert_string_equal(s.v[1], "cortex-a72");
	strv_free(&s);
}

static void kvm_mode_without_kvm_is_infra(void **state)
{
	struct accel_result res;
	struct strv s;
	char err[256];

	(void)state;
	make(&s, x86_args, 7);
	assert_int_equal(accel_apply(&s, ACCEL_KVM, false,
				     "cannot open /dev/kvm read-write: "
				     "Permission denied",
				     &res, err, sizeof(err)),
			 BP_EINFRA);
	assert_string_equal(err, "accel = kvm but KVM is not usable: cannot "
				 "open /dev/kvm read-write: Permission denied");
	strv_free(&s);
}

static void kvm_mode_adds_accel_when_missing(void **state)
{
	const char *const args[] = {"-nographic"};
	struct accel_result res;
	struct strv s;
	char err[256];

	(void)state;
	make(&s, args, 1);
	assert_int_equal(
	    accel_apply(&s, ACCEL_KVM, true, "", &res, err, sizeof(err)), 0);
	assert_true(res.kvm);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.v[1], "-accel");
	assert_string_equal(s.v[2], "kvm");
	strv_free(&s);
}

static void tcg_mode_rewrites_even_when_kvm_works(void **state)
{
	struct accel_result res;
	struct strv s;
	char err[256];
	enum accel_mode mode;

	(void)state;
	assert_int_equal(accel_mode_parse("tcg", &mode), 0);
	assert_int_equal(accel_mode_parse("hvf", &mode), BP_EINVAL);
	make(&s, x86_args, 7);
	assert_int_equal(
	    accel_apply(&s, ACCEL_TCG, true, "", &res, err, sizeof(err)), 0);
	assert_false(res.kvm);
	assert_true(res.rewritten);
	assert_string_equal(s.v[3], "tcg");
	assert_string_equal(s.v[5], "max");
	strv_free(&s);
}

/*
 * A KVM made of answers: the probe's ioctls on fake fds. Its KVM_RUN
 * does what the CPU would (exits at the `hlt` only when the registers
 * and memory put one at the real-mode instruction pointer) or what a
 * broken host does (FAKE_HANG never returns, FAKE_FAIL_ENTRY, FAKE_EINTR).
 */
enum fake_run { FAKE_CPU, FAKE_HANG, FAKE_FAIL_ENTRY, FAKE_EINTR };

enum { FAKE_KVM = 10, FAKE_VM, FAKE_VCPU };

static struct {
	enum fake_run run;
	int fail_create_vcpu;
	unsigned calls_run;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run area;
} fake;

static int fake_ioctl(int fd, unsigned long req, void *arg)
{
	switch (req) {
	case KVM_GET_API_VERSION:
		return fd == FAKE_KVM ? KVM_API_VERSION : -1;
	case KVM_CREATE_VM:
		return FAKE_VM;
	case KVM_SET_USER_MEMORY_REGION:
		fake.region = *(struct kvm_userspace_memory_region *)arg;
		return 0;
	case KVM_CREATE_VCPU:
		if (fake.fail_create_vcpu) {
			errno = ENOMEM;
			return -1;
		}
		return FAKE_VCPU;
	case KVM_GET_VCPU_MMAP_SIZE:
		return (int)sizeof(fake.area);
	case KVM_GET_SREGS:
		memset(arg, 0, sizeof(struct kvm_sregs));
		((struct kvm_sregs *)arg)->cs.base = 0xffff0000;
		((struct kvm_sregs *)arg)->cs.selector = 0xf000;
		return 0;
	case KVM_SET_SREGS:
		fake.sregs = *(struct kvm_sregs *)arg;
		return 0;
	case KVM_SET_REGS:
		fake.regs = *(struct kvm_regs *)arg;
		return 0;
	case KVM_RUN:
		break;
	default:
		errno = ENOTTY;
		return -1;
	}
	switch (fake.run) {
	case FAKE_HANG:
		for (;;)
			pause();
	case FAKE_EINTR:
		errno = EINTR;
		return -1;
	case FAKE_FAIL_ENTRY:
		fake.area.exit_reason = KVM_EXIT_FAIL_ENTRY;
		fake.area.fail_entry.hardware_entry_failure_reason = 0x21;
		return 0;
	case FAKE_CPU: {
		uint64_t ip = fake.sregs.cs.base + fake.regs.rip;
		uint64_t gpa = fake.region.guest_phys_addr;
		const unsigned char *mem = (const unsigned char *)(uintptr_t)
					       fake.region.userspace_addr;

		fake.area.exit_reason =
		    mem && ip >= gpa && ip < gpa + fake.region.memory_size &&
			    (fake.regs.rflags & 0x2) && mem[ip - gpa] == 0xf4
			? KVM_EXIT_HLT
			: KVM_EXIT_SHUTDOWN;
		return 0;
	}
	}
	return -1;
}

static void *fake_map(int fd, size_t len)
{
	return fd == FAKE_VCPU && len >= sizeof(fake.area) ? &fake.area : NULL;
}

static const struct kvm_sys fake_sys = {.ioctl = fake_ioctl, .map = fake_map};

static bool fake_probe(enum fake_run run, const char *arch, char *why,
		       size_t whylen)
{
	memset(&fake, 0, sizeof(fake));
	fake.run = run;
	why[0] = '\0';
	return kvm_probe(&fake_sys, FAKE_KVM, "/dev/kvm", arch, 1, why, whylen);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#if defined(__x86_64__)
static void probe_runs_the_guest_to_its_hlt(void **state)
{
	char why[512];

	(void)state;
	assert_true(fake_probe(FAKE_CPU, "x86_64", why, sizeof(why)));
	assert_string_equal(why, "");
}

static void probe_bounds_a_kvm_run_that_hangs(void **state)
{
	char why[512];
	double t0 = now_s();

	(void)state;
	assert_false(fake_probe(FAKE_HANG, "x86_64", why, sizeof(why)));
	/* the child was stopped by its alarm, not waited for forever */
	assert_true(now_s() - t0 < 5);
	assert_non_null(strstr(why, "/dev/kvm opens, but a test guest did not "
				    "halt within 1 s"));
}

static void probe_names_why_the_guest_did_not_run(void **state)
{
	char why[512];

	(void)state;
	assert_false(fake_probe(FAKE_FAIL_ENTRY, "x86_64", why, sizeof(why)));
	assert_non_null(strstr(why, "cannot enter a guest (hardware entry "
				    "failure 0x21)"));
	assert_false(fake_probe(FAKE_EINTR, "x86_64", why, sizeof(why)));
	assert_non_null(strstr(why, "KVM_RUN: Interrupted system call"));
}

/* Passes through to the kernel, but puts `jmp $` where the `hlt` was:
 * with a working KVM the guest spins and only the alarm ends it. */
static int spin_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == KVM_SET_USER_MEMORY_REGION) {
		unsigned char *mem =
		    (unsigned char
			 *)(uintptr_t)((struct kvm_userspace_memory_region *)
					   arg)
			->userspace_addr;

		mem[0] = 0xeb; /* jmp $ */
		mem[1] = 0xfe;
	}
	return ioctl(fd, req, arg);
}

static void probe_of_real_kvm(void **state)
{
	const struct kvm_sys spin = {.ioctl = spin_ioctl,
				     .map = kvm_sys_real.map};
	char why[512] = "";
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	bool ok;

	(void)state;
	if (fd < 0) {
		fprintf(stderr, "no /dev/kvm here: %s\n", strerror(errno));
		skip();
	}
	ok = kvm_probe(&kvm_sys_real, fd, "/dev/kvm", "x86_64", 2, why,
		       sizeof(why));
	if (!ok) {
		/* a host whose KVM does not run guests: the probe says so */
		fprintf(stderr, "KVM does not run a guest here: %s\n", why);
		assert_string_not_equal(why, "");
		close(fd);
		skip();
	}
	assert_false(
	    kvm_probe(&spin, fd, "/dev/kvm", "x86_64", 1, why, sizeof(why)));
	assert_non_null(strstr(why, "did not halt within 1 s"));
	close(fd);
}
#endif

static void probe_of_other_arches_creates_only(void **state)
{
	char why[512];

	(void)state;
	/* no KVM_RUN for them: the hanging one would fail this */
	assert_true(fake_probe(FAKE_HANG, "aarch64", why, sizeof(why)));
	memset(&fake, 0, sizeof(fake));
	fake.fail_create_vcpu = 1;
	assert_false(kvm_probe(&fake_sys, FAKE_KVM, "/dev/kvm", "aarch64", 1,
			       why, sizeof(why)));
	assert_string_equal(why, "/dev/kvm cannot create a vCPU: Cannot "
				 "allocate memory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kvm_usable_needs_matching_arch_and_device),
		cmocka_unit_test(auto_keeps_kvm_when_usable),
		cmocka_unit_test(auto_rewrites_for_tcg_without_kvm),
		cmocka_unit_test(auto_without_kvm_args_changes_nothing),
		cmocka_unit_test(kvm_mode_without_kvm_is_infra),
		cmocka_unit_test(kvm_mode_adds_accel_when_missing),
		cmocka_unit_test(tcg_mode_rewrites_even_when_kvm_works),
#if defined(__x86_64__)
		cmocka_unit_test(probe_runs_the_guest_to_its_hlt),
		cmocka_unit_test(probe_bounds_a_kvm_run_that_hangs),
		cmocka_unit_test(probe_names_why_the_guest_did_not_run),
		cmocka_unit_test(probe_of_real_kvm),
#endif
		cmocka_unit_test(probe_of_other_arches_creates_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
