/*
 * The CI test suites of AxVisor, ArceOS and StarryOS as axbuild finds them
 * under test-suit/<os>/: which cases exist, for which arch, built from which
 * build config, in which order. `bootpipe test` runs what this returns.
 */
#ifndef BOOTPIPE_SUITE_H
#define BOOTPIPE_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One case on one arch. Every string is owned by the case. */
struct suite_case {
	char *os;	   /* axvisor, arceos or starry: also its QEMU flow */
	char *group;	   /* test group: normal, uefi, rust, c, axtest, qemu */
	char *name;	   /* axbuild's case name (what --case matches) */
	char *display;	   /* axbuild's display name, <build group>/<name> */
	char *arch;	   /* aarch64, x86_64, riscv64, loongarch64 */
	char *target;	   /* the Rust target of @arch */
	char *variant;	   /* build wrapper variant (svm, vmx) or NULL */
	char *case_dir;	   /* absolute */
	char *qemu_config; /* absolute: qemu-<arch>[-<variant>].toml */
	char *build_group; /* the wrapper's name: cases of one group share
			      one build */
	char *build_config; /* absolute: build-<target>[-<variant>].toml */
	char *feature;	    /* ArceOS rust/c: the cargo feature, else NULL */
	char *package;	    /* ArceOS: the package built, else NULL */
	/* A StarryOS grouped case (one with test_commands): the names of
	 * its subcases, the directories below it with C or Rust sources,
	 * sorted, as axbuild names them. They are not built: the runner
	 * runs what the rootfs holds, and one cannot be selected alone. */
	char **subcases;
	size_t subcase_count;
};

struct suite_list {
	struct suite_case *cases;
	size_t count;
	size_t cap;
};

/* What to discover. NULL / 0 fields select everything axbuild runs by
 * default (AxVisor group `normal`; ArceOS rust, c and the generic groups;
 * every arch). @cases are names matched as axbuild matches --case: equal,
 * or a path prefix of the name or display name. */
struct suite_filter {
	const char *os;
	const char *group;
	const char *arch;
	const char *const *cases;
	size_t case_count;
};

/*
 * Discovers the cases under @suite_dir (the test-suit directory) in run
 * order: OS (axvisor, arceos, starry), test group, arch (axbuild's order:
 * aarch64, x86_64, riscv64, loongarch64), then build group in order of
 * first appearance, then axbuild's case order. Appends to @out. Returns
 * 0, or -1 with a message naming the file and the fix in @err.
 */
int suite_discover(const char *suite_dir, const struct suite_filter *filter,
		   struct suite_list *out, char *err, size_t errlen);

/* Keeps the @index-th (1-based) of @count round-robin parts of @list. */
void suite_shard(struct suite_list *list, unsigned long index,
		 unsigned long count);

/* Prints @list as `bootpipe test --list` does: a line per case (os,
 * group, case, arch, variant or -, tab-separated), each grouped case
 * followed by a line per subcase named <case>/<subcase>. */
void suite_list_print(FILE *out, const struct suite_list *list);

/* Appends a deep copy of @c; 0 or -1 when out of memory. */
int suite_list_add(struct suite_list *list, const struct suite_case *c);

void suite_case_release(struct suite_case *c);
void suite_list_release(struct suite_list *list);

/* The Rust target axbuild builds for @arch, NULL when not supported. */
const char *suite_arch_target(const char *arch);

#endif
