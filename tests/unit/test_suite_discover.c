/* Case discovery (suite/discover.c) on trees shaped to hit each of
 * axbuild's rules, and on the real tgoskits test-suit against the case
 * list derived from axbuild's code (tests/data/suite/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "suite.h"
#include "testutil.h"

static char root[4096];

static void touch(const char *rel)
{
	char *path = tu_asprintf("%s/%s", root, rel);
	char *slash = path + strlen(root);

	while ((slash = strchr(slash + 1, '/'))) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	tu_write_file(path, "");
	free(path);
}

/* The list as --list prints it. */
static char *render(const struct suite_list *l)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	suite_list_print(f, l);
	assert_int_equal(fclose(f), 0);
	return out;
}

static char *expected(const char *name)
{
	char *path =
	    tu_asprintf("%s/data/suite/%s", getenv("BOOTPIPE_TEST_DATA"), name);
	char line[1024], *out = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *o = open_memstream(&out, &len);

	assert_non_null(f);
	assert_non_null(o);
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#')
			fputs(line, o);
	fclose(f);
	assert_int_equal(fclose(o), 0);
	free(path);
	return out;
}

static int discover(const struct suite_filter *f, char **text, char *err)
{
	struct suite_list l = {0};
	char *suite = tu_asprintf("%s/test-suit", root);
	int rc = suite_discover(suite, f, &l, err, 1024);

	*text = render(&l);
	suite_list_release(&l);
	free(suite);
	return rc;
}

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(root, sizeof(root), "suite");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(root);
}

static void variants_name_wrapper_and_case(void **state)
{
	struct suite_filter f = {.os = "axvisor", .arch = "x86_64"};
	char err[1024], *got;

	(void)state;
	touch(
	    "test-suit/axvisor/normal/qemu/build-x86_64-unknown-none-svm.toml");
	touch(
	    "test-suit/axvisor/normal/qemu/build-x86_64-unknown-none-vmx.toml");
	touch("test-suit/axvisor/normal/qemu/smoke/qemu-x86_64-svm.toml");
	touch("test-suit/axvisor/normal/qemu/smoke/qemu-x86_64-vmx.toml");
	/* a config for an arch without the variant is not a variant case */
	touch("test-suit/axvisor/normal/qemu/smoke/qemu-x86_64.toml");
	assert_int_equal(discover(&f, &got, err), 0);
	assert_string_equal(
	    got, "axvisor\tnormal\tqemu-svm/smoke-svm\tx86_64\tsvm\n"
		 "axvisor\tnormal\tqemu-vmx/smoke-vmx\tx86_64\tvmx\n");
	free(got);
}

static void wrapper_rules(void **state)
{
	struct suite_filter f = {.os = "starry"};
	struct suite_list l = {0};
	char err[1024], *got, *suite;

	(void)state;
	touch("test-suit/starryos/qemu/"
	      "build-aarch64-unknown-none-softfloat.toml");
	/* the wrapper dir itself is a case */
	touch("test-suit/starryos/qemu/qemu-aarch64.toml");
	touch("test-suit/starryos/qemu/deep/er/qemu-aarch64.toml");
	/* not walked into below a case dir */
	touch("test-suit/starryos/qemu/deep/er/more/qemu-aarch64.toml");
	/* asset folders are not walked into; templates are not cases */
	touch("test-suit/starryos/qemu/sh/x/qemu-aarch64.toml");
	touch("test-suit/starryos/qemu/b/qemu-base-aarch64.toml");
	/* a nested wrapper belongs to nobody */
	touch("test-suit/starryos/qemu/n/"
	      "build-aarch64-unknown-none-softfloat.toml");
	touch("test-suit/starryos/qemu/n/c1/qemu-aarch64.toml");
	/* a wrapper found deeper down; dirs on the way are walked */
	touch(
	    "test-suit/starryos/x/y/build-aarch64-unknown-none-softfloat.toml");
	touch("test-suit/starryos/x/y/a/qemu-aarch64.toml");
	/* any build config, even another target's, ends a wrapper's walk */
	touch("test-suit/starryos/x/y/a/build-riscv64gc-unknown-none-elf.toml");
	/* a build config for another target makes no wrapper for this one */
	touch("test-suit/starryos/z/build-riscv64gc-unknown-none-elf.toml");
	touch("test-suit/starryos/z/k/qemu-riscv64.toml");
	assert_int_equal(discover(&f, &got, err), 0);
	assert_string_equal(got, "starry\tqemu\tqemu\taarch64\t-\n"
				 "starry\tqemu\tqemu/deep/er\taarch64\t-\n"
				 "starry\tqemu\tz/k\triscv64\t-\n");
	free(got);

	suite = tu_asprintf("%s/test-suit", root);
	assert_int_equal(suite_discover(suite, &f, &l, err, sizeof(err)), 0);
	assert_string_equal(l.cases[1].name, "deep/er");
	assert_string_equal(l.cases[1].build_group, "qemu");
	assert_string_equal(l.cases[1].target,
			    "aarch64-unknown-none-softfloat");
	assert_non_null(
	    strstr(l.cases[1].build_config,
		   "/starryos/qemu/build-aarch64-unknown-none-softfloat.toml"));
	assert_non_null(strstr(l.cases[1].qemu_config,
			       "/starryos/qemu/deep/er/qemu-aarch64.toml"));
	suite_list_release(&l);
	free(suite);
}

static void write_rel(const char *rel, const char *text)
{
	char *path;

	touch(rel);
	path = tu_asprintf("%s/%s", root, rel);
	tu_write_file(path, text);
	free(path);
}

static void grouped_starry_subcases(void **state)
{
	const char *sub[] = {"qemu/system/beta"};
	const char *not_sub[] = {"qemu/system/common"};
	const char *plain_sub[] = {"qemu/plain/sub"};
	struct suite_filter f = {.os = "starry", .arch = "aarch64"};
	char err[1024], *got;

	(void)state;
	touch("test-suit/starryos/qemu/"
	      "build-aarch64-unknown-none-softfloat.toml");
	write_rel("test-suit/starryos/qemu/system/qemu-aarch64.toml",
		  "test_commands = [\"/usr/bin/run-all\"]\n");
	/* C sources as c/ or CMakeLists.txt, Rust as rust/ */
	touch("test-suit/starryos/qemu/system/beta/CMakeLists.txt");
	touch("test-suit/starryos/qemu/system/alpha/c/main.c");
	touch("test-suit/starryos/qemu/system/gamma/rust/main.rs");
	/* no sources: shared files, not a subcase */
	touch("test-suit/starryos/qemu/system/common/framework.h");
	/* configs for other arches only: not this arch's subcase */
	touch("test-suit/starryos/qemu/system/rv-only/qemu-riscv64.toml");
	touch("test-suit/starryos/qemu/system/rv-only/CMakeLists.txt");
	touch("test-suit/starryos/qemu/system/both/qemu-aarch64.toml");
	touch("test-suit/starryos/qemu/system/both/qemu-riscv64.toml");
	touch("test-suit/starryos/qemu/system/both/c/x.c");
	touch("test-suit/starryos/qemu/system/CMakeLists.txt");
	/* without test_commands a case is not grouped */
	write_rel("test-suit/starryos/qemu/plain/qemu-aarch64.toml",
		  "timeout = 5\n");
	touch("test-suit/starryos/qemu/plain/sub/CMakeLists.txt");
	assert_int_equal(discover(&f, &got, err), 0);
	assert_string_equal(got,
			    "starry\tqemu\tqemu/plain\taarch64\t-\n"
			    "starry\tqemu\tqemu/system\taarch64\t-\n"
			    "starry\tqemu\tqemu/system/alpha\taarch64\t-\n"
			    "starry\tqemu\tqemu/system/beta\taarch64\t-\n"
			    "starry\tqemu\tqemu/system/both\taarch64\t-\n"
			    "starry\tqemu\tqemu/system/gamma\taarch64\t-\n");
	free(got);

	/* a listed subcase alone needs a subcase build: refused, saying so */
	f.cases = sub;
	f.case_count = 1;
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "test case `qemu/system/beta` is a subcase "
				    "of the grouped case `qemu/system`"));
	assert_non_null(strstr(err, "builds no subcases; select --case "
				    "qemu/system"));
	free(got);
	/* not a subcase: shared files, or below a case that is not grouped */
	f.cases = not_sub;
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "unknown test case `qemu/system/common`"));
	free(got);
	f.cases = plain_sub;
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "unknown test case `qemu/plain/sub`"));
	free(got);
}

static void only_starry_cases_are_grouped(void **state)
{
	struct suite_filter f = {.os = "axvisor"};
	char err[1024], *got;

	(void)state;
	touch("test-suit/axvisor/normal/qemu/"
	      "build-aarch64-unknown-none-softfloat.toml");
	write_rel("test-suit/axvisor/normal/qemu/g/qemu-aarch64.toml",
		  "test_commands = [\"true\"]\n");
	touch("test-suit/axvisor/normal/qemu/g/sub/c/main.c");
	assert_int_equal(discover(&f, &got, err), 0);
	assert_string_equal(got, "axvisor\tnormal\tqemu/g\taarch64\t-\n");
	free(got);
}

static void arceos_package_from_cargo_toml(void **state)
{
	struct suite_filter f = {
	    .os = "arceos", .group = "apps", .arch = "aarch64"};
	struct suite_list l = {0};
	char err[1024], *suite = tu_asprintf("%s/test-suit", root);

	(void)state;
	touch("test-suit/arceos/apps/hello/"
	      "build-aarch64-unknown-none-softfloat.toml");
	touch("test-suit/arceos/apps/hello/qemu-aarch64.toml");
	assert_int_equal(suite_discover(suite, &f, &l, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "apps/hello/Cargo.toml: missing;"));
	write_rel("test-suit/arceos/apps/hello/Cargo.toml",
		  "[package]\nversion = \"0.1.0\"\n");
	assert_int_equal(suite_discover(suite, &f, &l, err, sizeof(err)), -1);
	assert_non_null(
	    strstr(err, "apps/hello/Cargo.toml: missing package.name"));
	write_rel("test-suit/arceos/apps/hello/Cargo.toml",
		  "[package]\nname = \"arceos-hello\"\n"
		  "edition.workspace = true\n[features]\nx = []\n");
	assert_int_equal(suite_discover(suite, &f, &l, err, sizeof(err)), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.cases[0].package, "arceos-hello");
	suite_list_release(&l);
	free(suite);
}

static void selection_and_errors(void **state)
{
	const char *cases[] = {"qemu/deep"};
	const char *bad[] = {"../x"};
	const char *missing[] = {"nope"};
	struct suite_filter f = {
	    .os = "starry", .cases = cases, .case_count = 1};
	char err[1024], *got;

	(void)state;
	touch("test-suit/starryos/qemu/"
	      "build-aarch64-unknown-none-softfloat.toml");
	touch("test-suit/starryos/qemu/deep/er/qemu-aarch64.toml");
	touch("test-suit/starryos/qemu/other/qemu-aarch64.toml");
	assert_int_equal(discover(&f, &got, err), 0);
	assert_string_equal(got, "starry\tqemu\tqemu/deep/er\taarch64\t-\n");
	free(got);

	f.cases = bad;
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "invalid test case `../x`"));
	free(got);
	f.cases = missing;
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "unknown test case `nope`"));
	free(got);
	f = (struct suite_filter){.os = "axvisor"};
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "test-suit/axvisor"));
	free(got);
	f = (struct suite_filter){.os = "starry", .group = "normal"};
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "the only group is `qemu`"));
	free(got);
	f = (struct suite_filter){.arch = "mips"};
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "unsupported arch `mips`"));
	free(got);
}

static void legacy_build_config_is_refused(void **state)
{
	struct suite_filter f = {.os = "starry", .arch = "x86_64"};
	char err[1024], *got;

	(void)state;
	touch("test-suit/starryos/qemu/build-x86_64.toml");
	touch("test-suit/starryos/qemu/c/qemu-x86_64.toml");
	assert_int_equal(discover(&f, &got, err), -1);
	assert_non_null(strstr(err, "starryos/qemu/build-x86_64.toml"));
	assert_non_null(strstr(err, "build-x86_64-unknown-none.toml"));
	free(got);
}

static void sharding_is_round_robin(void **state)
{
	struct suite_filter f = {.os = "starry"};
	struct suite_list l = {0};
	char err[1024], *suite;

	(void)state;
	touch("test-suit/starryos/qemu/"
	      "build-aarch64-unknown-none-softfloat.toml");
	for (int i = 0; i < 5; i++) {
		char *p = tu_asprintf(
		    "test-suit/starryos/qemu/c%d/qemu-aarch64.toml", i);

		touch(p);
		free(p);
	}
	suite = tu_asprintf("%s/test-suit", root);
	assert_int_equal(suite_discover(suite, &f, &l, err, sizeof(err)), 0);
	suite_shard(&l, 2, 2);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.cases[0].name, "c1");
	assert_string_equal(l.cases[1].name, "c3");
	suite_list_release(&l);
	free(suite);
}

static const char *tgoskits(void)
{
	static char path[4096];
	struct stat st;

	snprintf(path, sizeof(path),
		 "%s/../../shared/reference/tgoskits/test-suit",
		 getenv("BOOTPIPE_TEST_DATA"));
	return stat(path, &st) == 0 ? path : NULL;
}

static void tgoskits_case_list(void **state)
{
	struct suite_filter f = {0};
	struct suite_list l = {0};
	char err[1024], *got, *want;

	(void)state;
	assert_int_equal(suite_discover(tgoskits(), &f, &l, err, sizeof(err)),
			 0);
	got = render(&l);
	want = expected("tgoskits-default.txt");
	assert_string_equal(got, want);
	free(got);
	free(want);
	suite_list_release(&l);

	f = (struct suite_filter){.os = "axvisor", .group = "uefi"};
	assert_int_equal(suite_discover(tgoskits(), &f, &l, err, sizeof(err)),
			 0);
	f = (struct suite_filter){.os = "arceos", .group = "axtest"};
	assert_int_equal(suite_discover(tgoskits(), &f, &l, err, sizeof(err)),
			 0);
	/* axtest/smoke/Cargo.toml's package, not the rust group's */
	assert_string_equal(l.cases[l.count - 1].package, "arceos-axtest-suit");
	got = render(&l);
	want = expected("tgoskits-groups.txt");
	assert_string_equal(got, want);
	free(got);
	free(want);
	suite_list_release(&l);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tree[] = {
	    cmocka_unit_test_setup_teardown(variants_name_wrapper_and_case,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(wrapper_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(grouped_starry_subcases, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(only_starry_cases_are_grouped,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(arceos_package_from_cargo_toml,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(selection_and_errors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(legacy_build_config_is_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(sharding_is_round_robin, setup,
					    teardown),
	};
	const struct CMUnitTest real[] = {
	    cmocka_unit_test(tgoskits_case_list),
	};

	if (argc > 1 && strcmp(argv[1], "tgoskits") == 0) {
		if (!tgoskits()) {
			printf(
			    "skip: ../shared/reference/tgoskits is absent\n");
			return 77;
		}
		return cmocka_run_group_tests(real, NULL, NULL);
	}
	return cmocka_run_group_tests(tree, NULL, NULL);
}
