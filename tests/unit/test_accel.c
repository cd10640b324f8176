/* The accelerator decision with a fake KVM device and host arch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bootpipe/error.h>

#include "accel.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
