/* The plugin loader on its own (core/loader.c): no engine, only a struct
 * loader, an error object and the fixture plugins of tests/plugins. */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <bootpipe/bootpipe.h>

#include "loader.h"
#include "testutil.h"

static char fixtures[PATH_MAX];
static char root[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	unsetenv("BOOTPIPE_PLUGIN_PATH");
	return tu_mkdtemp(root, sizeof(root), "loader");
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("BOOTPIPE_PLUGIN_PATH");
	return tu_rmtree(root);
}

/* A copy of fixture @name.so at @dir/@as.so (@dir made with @mode). */
static char *copy_fixture(const char *name, const char *dir, mode_t mode,
			  const char *as)
{
	char *cmd, *to = tu_asprintf("%s/%s.so", dir, as);

	mkdir(dir, mode);
	assert_int_equal(chmod(dir, mode), 0);
	cmd = tu_asprintf("cp %s/%s.so %s", fixtures, name, to);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(to, 0755), 0);
	free(cmd);
	return to;
}

static void test_find_by_name_opens_each_file_once(void **state)
{
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *a, *b;

	(void)state;
	assert_int_equal(loader_add_dir(&ld, fixtures), 0);
	assert_int_equal(loader_add_dir(&ld, ""), BP_EINVAL);
	assert_int_equal(loader_find(&ld, &err, "fx-ok", &a), 0);
	assert_string_equal(err_msg(&err), "");
	assert_string_equal(a->desc.name, "fx-ok");
	assert_non_null(strstr(a->path, "/fx-ok.so"));
	/* by name and by path: the same file, opened once */
	assert_int_equal(loader_find(&ld, &err, "fx-ok", &b), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(loader_find(&ld, &err, a->path, &b), 0);
	assert_ptr_equal(a, b);
	assert_null(a->next);
	loader_release(&ld);
	assert_null(ld.plugins);
	assert_int_equal(ld.dir_count, 0);
}

/* Each rule has its own message, with the file's path and the fix. */
static void test_rejections_name_the_file(void **state)
{
	static const struct {
		const char *name;
		int status;
		const char *message;
	} cases[] = {
	    {"fx-garbage", BP_EPLUGIN, "cannot load plugin"},
	    {"fx-nosym", BP_EPLUGIN, "define it with BP_PLUGIN_DEFINE"},
	    {"fx-badmagic", BP_EPLUGIN, "bad magic 0x12345678"},
	    {"fx-major", BP_EPLUGIN, "rebuild the plugin against bootpipe"},
	    {"fx-minor", BP_EPLUGIN, "upgrade bootpipe"},
	    {"fx-future", BP_EPLUGIN, "plugin needs ABI 1.1"},
	    {"fx-small", BP_EPLUGIN, "smaller than the"},
	    {"fx-norun", BP_EPLUGIN, "has no .run function"},
	    {"fx-noname", BP_EPLUGIN, "descriptor has no name"},
	    {"fx-badname", BP_EPLUGIN, "descriptor has an invalid name"},
	    {"fx-noversion", BP_EPLUGIN, "has no .version"},
	    {"fx-misnamed", BP_EPLUGIN, "descriptor says `other`"},
	    {"fx-absent", BP_EPLUGIN, "no plugin named `fx-absent`"},
	    {"Bad Name", BP_ECONFIG, "invalid plugin name `Bad Name`"},
	};
	struct loaded_plugin *lp = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct loader ld = {0};
		struct bp_err err = {0};
		char *file = tu_asprintf("%s/%s.so", fixtures, cases[i].name);

		assert_int_equal(loader_add_dir(&ld, fixtures), 0);
		assert_int_equal(loader_find(&ld, &err, cases[i].name, &lp),
				 cases[i].status);
		assert_int_equal(err.status, cases[i].status);
		if (!strstr(err_msg(&err), cases[i].message))
			fail_msg("%s: got \"%s\"", cases[i].name,
				 err_msg(&err));
		/* a file that was found is named in the message */
		if (strcmp(cases[i].name, "fx-absent") != 0 &&
		    strcmp(cases[i].name, "Bad Name") != 0 &&
		    !strstr(err_msg(&err), file))
			fail_msg("%s: no path in \"%s\"", cases[i].name,
				 err_msg(&err));
		/* nothing of a rejected file is kept */
		assert_null(ld.plugins);
		free(file);
		err_clear(&err);
		loader_release(&ld);
	}
}

/* The error object holds a message of any length: a path far longer than
 * any fixed message buffer comes back whole. */
static void test_long_message_is_not_cut(void **state)
{
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;
	size_t n = 9000;
	char *path = malloc(n + 1);

	(void)state;
	assert_non_null(path);
	memset(path, 'a', n);
	path[0] = '/';
	memcpy(path + n - 3, ".so", 4);
	assert_int_equal(loader_find(&ld, &err, path, &lp), BP_EPLUGIN);
	assert_non_null(strstr(err_msg(&err), path));
	assert_true(strlen(err_msg(&err)) > n);
	free(path);
	err_clear(&err);
	loader_release(&ld);
}

/* A plugin in a directory its group can write is refused unless unsafe
 * plugins are allowed; the message names the directory. */
static void test_group_writable_dir_is_refused(void **state)
{
	char *dir = tu_asprintf("%s/shared", root);
	char *so = copy_fixture("fx-ok", dir, 0775, "fx-ok");
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;

	(void)state;
	assert_int_equal(loader_find(&ld, &err, so, &lp), BP_EPLUGIN);
	assert_non_null(strstr(err_msg(&err), "refusing plugin"));
	assert_non_null(strstr(err_msg(&err), "is writable by its group"));
	assert_non_null(strstr(err_msg(&err), "--allow-unsafe-plugins"));
	assert_null(ld.plugins);
	ld.allow_unsafe = true;
	assert_int_equal(loader_find(&ld, &err, so, &lp), 0);
	assert_string_equal(lp->desc.name, "fx-ok");
	err_clear(&err);
	loader_release(&ld);
	assert_int_equal(chmod(dir, 0755), 0);
	free(so);
	free(dir);
}

/* A plugin named through a symlink is opened at the real path that was
 * judged: a link swapped between the check and dlopen changes nothing. */
static void test_link_opens_checked_path(void **state)
{
	char *dir = tu_asprintf("%s/real", root);
	char *so = copy_fixture("fx-ok", dir, 0755, "fx-linked");
	char *link = tu_asprintf("%s/fx-linked.so", root);
	char *real = realpath(so, NULL);
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;
	struct link_map *map;

	(void)state;
	assert_non_null(real);
	assert_int_equal(symlink(so, link), 0);
	assert_int_equal(loader_find(&ld, &err, link, &lp), 0);
	assert_string_equal(lp->path, link);
	assert_int_equal(dlinfo(lp->handle, RTLD_DI_LINKMAP, &map), 0);
	assert_string_equal(map->l_name, real);
	loader_release(&ld);
	free(real);
	free(link);
	free(so);
	free(dir);
}

/* --plugin-dir entries come first, then BOOTPIPE_PLUGIN_PATH in order;
 * empty entries are skipped and a relative one is refused. */
static void test_search_order_and_plugin_path(void **state)
{
	char *first = tu_asprintf("%s/first", root);
	char *second = tu_asprintf("%s/second", root);
	char *a = copy_fixture("fx-ok", first, 0755, "fx-ok");
	char *b = copy_fixture("fx-ok", second, 0755, "fx-ok");
	char *env = tu_asprintf("::%s:%s", second, first);
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;

	(void)state;
	setenv("BOOTPIPE_PLUGIN_PATH", env, 1);
	assert_int_equal(loader_find(&ld, &err, "fx-ok", &lp), 0);
	assert_string_equal(lp->path, b);
	loader_release(&ld);

	assert_int_equal(loader_add_dir(&ld, first), 0);
	assert_int_equal(loader_find(&ld, &err, "fx-ok", &lp), 0);
	assert_string_equal(lp->path, a);
	loader_release(&ld);

	/* the dirs searched are listed when nothing is found */
	assert_int_equal(loader_find(&ld, &err, "fx-second", &lp), BP_EPLUGIN);
	assert_non_null(strstr(err_msg(&err), second));
	assert_non_null(strstr(err_msg(&err), first));
	loader_release(&ld);

	setenv("BOOTPIPE_PLUGIN_PATH", "rel/plugins", 1);
	assert_int_equal(loader_find(&ld, &err, "fx-ok", &lp), BP_EPLUGIN);
	assert_non_null(strstr(err_msg(&err), "`rel/plugins` is relative"));
	unsetenv("BOOTPIPE_PLUGIN_PATH");
	err_clear(&err);
	loader_release(&ld);
	free(env);
	free(a);
	free(b);
	free(first);
	free(second);
}

/* An option table built with a smaller struct bp_option is read with the
 * plugin's stride: its entries are all there, later fields zero. */
static void test_option_table_stride(void **state)
{
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;
	const struct bp_option *o;

	(void)state;
	assert_int_equal(loader_add_dir(&ld, fixtures), 0);
	assert_int_equal(loader_find(&ld, &err, "fx-optsmall", &lp), 0);
	assert_true(lp->desc.option_size < sizeof(struct bp_option));
	o = lp->desc.options;
	assert_ptr_equal(o, lp->options);
	assert_string_equal(o[0].key, "alpha");
	assert_string_equal(o[1].key, "beta");
	assert_int_equal(o[1].type, BP_OPT_INT);
	assert_string_equal(o[2].key, "gamma");
	assert_null(o[2].choices);
	assert_null(o[3].key);
	loader_release(&ld);
}

struct visits {
	char names[64][32];
	size_t loaded;
	size_t rejected;
	bool rejection_has_message;
};

static int note_visit(void *user, const char *path,
		      const struct bp_plugin *plugin, const char *error)
{
	struct visits *v = user;
	const char *base = strrchr(path, '/');

	if (v->loaded + v->rejected < 64)
		snprintf(v->names[v->loaded + v->rejected], 32, "%s",
			 base ? base + 1 : path);
	if (plugin)
		v->loaded++;
	else
		v->rejected++;
	if (!plugin && strstr(error, path))
		v->rejection_has_message = true;
	return 0;
}

static int stop_at_first(void *user, const char *path,
			 const struct bp_plugin *plugin, const char *error)
{
	(void)path;
	(void)plugin;
	(void)error;
	++*(int *)user;
	return 1;
}

/* Every file once, in name order, first directory wins per name; a
 * rejected file comes with its own message. */
static void test_foreach(void **state)
{
	char *dir = tu_asprintf("%s/more", root);
	char *copy = copy_fixture("fx-second", dir, 0755, "fx-ok");
	struct loader ld = {0};
	struct bp_err err = {0};
	struct visits v = {0};
	int calls = 0;

	(void)state;
	assert_int_equal(loader_add_dir(&ld, fixtures), 0);
	assert_int_equal(loader_add_dir(&ld, dir), 0);
	assert_int_equal(loader_foreach(&ld, &err, note_visit, &v), 0);
	assert_true(v.loaded >= 5);
	assert_int_equal(v.rejected, 12);
	assert_true(v.rejection_has_message);
	for (size_t i = 1; i < v.loaded + v.rejected && i < 64; i++)
		assert_true(strcmp(v.names[i - 1], v.names[i]) < 0);
	/* the fx-ok.so of the second directory is never opened */
	for (const struct loaded_plugin *lp = ld.plugins; lp; lp = lp->next)
		assert_string_not_equal(lp->path, copy);
	assert_int_equal(loader_foreach(&ld, &err, stop_at_first, &calls), 0);
	assert_int_equal(calls, 1);
	loader_release(&ld);
	free(copy);
	free(dir);
}

/* loader_release closes what it opened. */
static void test_release_closes(void **state)
{
	struct loader ld = {0};
	struct bp_err err = {0};
	struct loaded_plugin *lp;
	char *path;
	void *h;

	(void)state;
	if (getenv("BOOTPIPE_NO_DLCLOSE"))
		skip();
	assert_int_equal(loader_add_dir(&ld, fixtures), 0);
	assert_int_equal(loader_find(&ld, &err, "fx-second", &lp), 0);
	path = tu_asprintf("%s", lp->path);
	h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(h);
	dlclose(h);
	loader_release(&ld);
	assert_null(dlopen(path, RTLD_NOW | RTLD_NOLOAD));
	free(path);
}

static void test_plugin_names(void **state)
{
	(void)state;
	assert_true(plugin_name_valid("launch"));
	assert_true(plugin_name_valid("fetch-rootfs_2"));
	assert_false(plugin_name_valid(""));
	assert_false(plugin_name_valid(NULL));
	assert_false(plugin_name_valid("Launch"));
	assert_false(plugin_name_valid("a/b"));
	assert_false(plugin_name_valid("a.so"));
}

int main(void)
{
	const char *build = getenv("BOOTPIPE_BUILD");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_by_name_opens_each_file_once),
	    cmocka_unit_test(test_rejections_name_the_file),
	    cmocka_unit_test(test_long_message_is_not_cut),
	    cmocka_unit_test(test_group_writable_dir_is_refused),
	    cmocka_unit_test(test_link_opens_checked_path),
	    cmocka_unit_test(test_search_order_and_plugin_path),
	    cmocka_unit_test(test_option_table_stride),
	    cmocka_unit_test(test_foreach),
	    cmocka_unit_test(test_release_closes),
	    cmocka_unit_test(test_plugin_names),
	};

	if (!build) {
		fprintf(stderr, "set BOOTPIPE_BUILD\n");
		return 1;
	}
	snprintf(fixtures, sizeof(fixtures), "%s/tests/plugins", build);
	return cmocka_run_group_tests(tests, setup, teardown);
}
