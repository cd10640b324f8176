/* fetch-rootfs registry: tgosimages TOML, includes, cycles, lookup. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <bootpipe/error.h>

#include "registry.h"
#include "testutil.h"
#include "url_ref.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define SHA_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static char dir[PATH_MAX / 2];

static int setup(void **state)
{
	(void)state;
	return tu_mkdtemp(dir, sizeof(dir), "registry");
}

static int teardown(void **state)
{
	(void)state;
	return tu_rmtree(dir);
}

static const char *put(const char *name, const char *text)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	tu_write_file(path, text);
	return path;
}

static const char main_toml[] =
    "# the main registry\n"
    "[[images]]\n"
    "name = \"rootfs-aarch64-alpine\"\n"
    "version = \"1.0\"\n"
    "sha256 = \"" SHA_A "\"\n"
    "arch = \"aarch64\"\n"
    "url = \"https://example.org/v1/rootfs-aarch64-alpine.tar.xz\"\n"
    "released_at = 2025-01-01T00:00:00Z\n"
    "description = \"first\"\n"
    "\n"
    "[[images]]\n"
    "name = \"rootfs-aarch64-alpine\"\n"
    "version = \"2.0\"\n"
    "sha256 = \"" SHA_B "\"\n"
    "arch = \"aarch64\"\n"
    "url = \"https://example.org/v2/rootfs-aarch64-alpine.tar.xz\"\n"
    "released_at = 2025-06-01T00:00:00Z\n"
    "\n"
    "[[images]]\n"
    "name = \"rootfs-aarch64-alpine\"\n"
    "version = \"0.9\"\n"
    "sha256 = \"" SHA_C "\"\n"
    "arch = \"aarch64\"\n"
    "url = \"local/old.tar.xz\"\n"
    "released_at = \"2024-01-01T00:00:00Z\"\n";

static void test_newest_and_version(void **state)
{
	struct registry reg;
	const struct reg_image *img;
	char err[1024];
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(registry_load(&reg, put("main.toml", main_toml), NULL,
				       NULL, err, sizeof(err)),
			 0);
	assert_int_equal(reg.count, 3);
	img = registry_find(&reg, "rootfs-aarch64-alpine", "aarch64", NULL, err,
			    sizeof(err));
	assert_non_null(img);
	assert_string_equal(img->version, "2.0");
	/* Stored lower-case so it compares with computed digests. */
	assert_string_equal(
	    img->sha256,
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbbb");
	assert_non_null(strstr(img->origin, "main.toml:11"));

	img = registry_find(&reg, "rootfs-aarch64-alpine", "aarch64", "0.9",
			    err, sizeof(err));
	assert_non_null(img);
	/* A relative url is a file beside the registry. */
	snprintf(want, sizeof(want), "file://%s/local/old.tar.xz", dir);
	assert_string_equal(img->url, want);

	assert_null(registry_find(&reg, "rootfs-aarch64-alpine", "aarch64",
				  "3.0", err, sizeof(err)));
	assert_non_null(strstr(err, "no image rootfs-aarch64-alpine:3.0"));
	assert_non_null(strstr(err, "rootfs-aarch64-alpine:2.0 (aarch64)"));

	assert_null(registry_find(&reg, "rootfs-aarch64-alpine", "riscv64",
				  NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "for arch riscv64"));
	assert_null(
	    registry_find(&reg, "rootfs-x", NULL, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "images: rootfs-aarch64-alpine:1.0"));
	registry_free(&reg);
}

static void test_includes(void **state)
{
	struct registry reg;
	const struct reg_image *img;
	char err[1024];
	const char *top;

	(void)state;
	{
		char sub[PATH_MAX];

		snprintf(sub, sizeof(sub), "%s/sub", dir);
		assert_int_equal(mkdir(sub, 0755), 0);
	}
	put("sub/x86.toml", "[[images]]\n"
			    "name = \"rootfs-x86_64-alpine\"\n"
			    "sha256 = \"" SHA_A "\"\n"
			    "arch = \"x86_64\"\n"
			    "url = \"http://h/x.tar.xz\"\n"
			    "[[includes]]\n"
			    "url = \"../common.toml\"\n");
	put("rv.toml", "[[images]]\n"
		       "name = \"rootfs-riscv64-alpine\"\n"
		       "sha256 = \"" SHA_A "\"\n"
		       "arch = \"riscv64\"\n"
		       "url = \"http://h/rv.tar.xz\"\n"
		       "[[includes]]\n"
		       "url = \"common.toml\"\n");
	/* Included by both: a diamond, read once, not a cycle. */
	put("common.toml", "[[images]]\n"
			   "name = \"rootfs-aarch64-debian\"\n"
			   "sha256 = \"" SHA_C "\"\n"
			   "arch = \"aarch64\"\n"
			   "url = \"http://h/deb.tar.xz\"\n");
	top = put("top.toml", "[[includes]]\n"
			      "url = \"sub/x86.toml\"\n"
			      "[[includes]]\n"
			      "url = \"rv.toml\"\n");
	assert_int_equal(registry_load(&reg, top, NULL, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(reg.count, 3);
	img = registry_find(&reg, "rootfs-aarch64-debian", "aarch64", NULL, err,
			    sizeof(err));
	assert_non_null(img);
	assert_non_null(strstr(img->origin, "common.toml:1"));
	assert_non_null(registry_find(&reg, "rootfs-riscv64-alpine", "riscv64",
				      NULL, err, sizeof(err)));
	registry_free(&reg);
}

static void test_cycle(void **state)
{
	struct registry reg;
	char err[2048];

	(void)state;
	put("b.toml", "[[includes]]\nurl = \"c.toml\"\n");
	put("c.toml", "[[includes]]\nurl = \"./a.toml\"\n");
	assert_int_equal(
	    registry_load(&reg,
			  put("a.toml", "[[includes]]\nurl = \"b.toml\"\n"),
			  NULL, NULL, err, sizeof(err)),
	    BP_ECONFIG);
	assert_non_null(strstr(err, "include cycle"));
	assert_non_null(strstr(err, "a.toml -> "));
	assert_non_null(strstr(err, "c.toml -> "));
	registry_free(&reg);

	/* Including oneself is the shortest cycle. */
	assert_int_equal(
	    registry_load(&reg,
			  put("self.toml", "[[includes]]\n"
					   "url = \"self.toml\"\n"),
			  NULL, NULL, err, sizeof(err)),
	    BP_ECONFIG);
	assert_non_null(strstr(err, "include cycle"));
	registry_free(&reg);
}

static void expect_bad(const char *text, const char *words)
{
	struct registry reg;
	char err[1024] = "";

	assert_int_equal(registry_load(&reg, put("bad.toml", text), NULL, NULL,
				       err, sizeof(err)),
			 BP_ECONFIG);
	if (!strstr(err, words))
		fail_msg("message `%s` lacks `%s`", err, words);
	registry_free(&reg);
}

static void test_bad_entries(void **state)
{
	(void)state;
	/* Names become store file names: nothing may escape the store. */
	expect_bad("[[images]]\nname = \"../../etc/passwd\"\nsha256 = \"" SHA_A
		   "\"\narch = \"x\"\nurl = \"http://h/a\"\n",
		   "bad.toml:2:8: image name is not a plain file name");
	expect_bad("[[images]]\nname = \".hidden\"\nsha256 = \"" SHA_A
		   "\"\narch = \"x\"\nurl = \"http://h/a\"\n",
		   "not a plain file name");
	expect_bad("[[images]]\nname = \"a/b\"\nsha256 = \"" SHA_A
		   "\"\narch = \"x\"\nurl = \"http://h/a\"\n",
		   "not a plain file name");
	expect_bad("[[images]]\nname = \"a\"\nsha256 = \"abc\"\n"
		   "arch = \"x\"\nurl = \"http://h/a\"\n",
		   "bad.toml:3:10: sha256 must be 64 hex digits");
	expect_bad("[[images]]\nname = \"a\"\nsha256 = \"" SHA_A
		   "\"\nurl = \"http://h/a\"\n",
		   "bad.toml:1:1: image entry has no `arch`");
	expect_bad("[[images]]\nname = 5\n", "`name` must be a string");
	expect_bad("images = 3\n", "`images` must be an array of tables");
	expect_bad("[[includes]]\nfile = \"x\"\n", "needs `url");
	expect_bad("[[images]\n", "bad.toml:1:");
}

static void test_missing_include(void **state)
{
	struct registry reg;
	char err[1024] = "";

	(void)state;
	assert_int_not_equal(
	    registry_load(&reg,
			  put("m.toml", "[[includes]]\n"
					"url = \"nope.toml\"\n"),
			  NULL, NULL, err, sizeof(err)),
	    0);
	assert_non_null(strstr(err, "nope.toml"));
	registry_free(&reg);
}

/* Remote registries come through the fetch callback; relative includes
 * resolve against the URL. */
static int fake_fetch(void *user, const char *url, char **buf, size_t *len,
		      char *err, size_t errlen)
{
	const char *text = NULL;
	int *calls = user;

	(*calls)++;
	if (!strcmp(url, "https://r.example/reg/main.toml"))
		text = "[[includes]]\nurl = \"more/extra.toml\"\n";
	else if (!strcmp(url, "https://r.example/reg/more/extra.toml"))
		text = "[[images]]\nname = \"rootfs-aarch64-alpine\"\n"
		       "sha256 = \"" SHA_A "\"\narch = \"aarch64\"\n"
		       "url = \"rootfs.tar.xz\"\n";
	if (!text) {
		snprintf(err, errlen, "GET %s: HTTP 404", url);
		return BP_ENET;
	}
	*buf = strdup(text);
	*len = strlen(text);
	return 0;
}

static void test_remote(void **state)
{
	struct registry reg;
	char err[1024] = "";
	int calls = 0;
	const struct reg_image *img;

	(void)state;
	assert_int_equal(registry_load(&reg, "https://r.example/reg/main.toml",
				       fake_fetch, &calls, err, sizeof(err)),
			 0);
	assert_int_equal(calls, 2);
	img = registry_find(&reg, "rootfs-aarch64-alpine", "aarch64", NULL, err,
			    sizeof(err));
	assert_non_null(img);
	assert_string_equal(img->url,
			    "https://r.example/reg/more/rootfs.tar.xz");
	registry_free(&reg);

	assert_int_equal(registry_load(&reg, "https://r.example/none.toml",
				       fake_fetch, &calls, err, sizeof(err)),
			 BP_ENET);
	assert_non_null(strstr(err, "HTTP 404"));
	registry_free(&reg);

	assert_int_equal(registry_load(&reg, "https://r.example/reg/main.toml",
				       NULL, NULL, err, sizeof(err)),
			 BP_ECONFIG);
	registry_free(&reg);
}

/* One [[images]] entry of image @name at @version with @released (a TOML
 * value, NULL for none). */
static void entry(char *buf, size_t cap, const char *name, const char *version,
		  const char *released)
{
	size_t n = strlen(buf);

	snprintf(buf + n, cap - n,
		 "[[images]]\nname = \"%s\"\nversion = \"%s\"\n"
		 "sha256 = \"" SHA_A "\"\narch = \"aarch64\"\n"
		 "url = \"https://example.org/%s.tar.xz\"\n%s%s%s\n",
		 name, version, version, released ? "released_at = " : "",
		 released ? released : "", released ? "\n" : "");
}

static const char *newest(const struct registry *reg, const char *name)
{
	char err[1024];
	const struct reg_image *img =
	    registry_find(reg, name, "aarch64", NULL, err, sizeof(err));

	assert_non_null(img);
	return img->version;
}

/* Newest first compares instants: offsets, fractions, local times as UTC,
 * where the text would order them otherwise. */
static void test_released_at_order(void **state)
{
	char text[8192] = "";
	struct registry reg;
	char err[1024];

	(void)state;
	/* text order: v1 > v3 > v2; time order: v3 > v2 > v1 (08:00Z) */
	entry(text, sizeof(text), "a", "v1", "2026-01-01T10:00:00+02:00");
	entry(text, sizeof(text), "a", "v2", "2026-01-01T09:30:00Z");
	entry(text, sizeof(text), "a", "v3", "\"2026-01-01T09:30:00.25Z\"");
	/* a date is midnight UTC: before 2026-01-01T23:00-02:00 */
	entry(text, sizeof(text), "b", "none", NULL);
	entry(text, sizeof(text), "b", "date", "2026-01-02");
	entry(text, sizeof(text), "b", "offset", "2026-01-01T23:00:00-02:00");
	entry(text, sizeof(text), "b", "local", "2026-01-01 23:59:59");
	entry(text, sizeof(text), "b", "string", "\"2026-01-01t22:00:00z\"");
	/* the same instant twice: the first listed wins */
	entry(text, sizeof(text), "c", "first", "2026-03-01T01:00:00+01:00");
	entry(text, sizeof(text), "c", "second", "2026-03-01T00:00:00.000Z");
	/* undated entries are older than any dated one */
	entry(text, sizeof(text), "d", "undated", NULL);
	entry(text, sizeof(text), "d", "old", "1970-01-01");
	/* across a leap day and before the epoch */
	entry(text, sizeof(text), "e", "leap", "2024-02-29T23:59:59-00:30");
	entry(text, sizeof(text), "e", "march", "2024-03-01T00:15:00+00:00");
	entry(text, sizeof(text), "f", "1969",
	      "1969-12-31T23:59:59.999999999Z");
	entry(text, sizeof(text), "f", "1900", "1900-06-01T00:00:00Z");

	assert_int_equal(registry_load(&reg, put("order.toml", text), NULL,
				       NULL, err, sizeof(err)),
			 0);
	assert_string_equal(newest(&reg, "a"), "v3");
	assert_string_equal(newest(&reg, "b"), "offset");
	assert_string_equal(newest(&reg, "c"), "first");
	assert_string_equal(newest(&reg, "d"), "old");
	assert_string_equal(newest(&reg, "e"), "leap");
	assert_string_equal(newest(&reg, "f"), "1969");
	registry_free(&reg);
}

/* A released_at that is no instant is a config error at its file:line. */
static void test_released_at_malformed(void **state)
{
	static const char *const bad[] = {
	    "\"yesterday\"",
	    "\"2026-02-30T00:00:00Z\"",
	    "\"2025-02-29\"",
	    "\"2026-01-01T24:00:00Z\"",
	    "\"2026-01-01T10:00:00+02\"",
	    "\"2026-01-01T10:00:00+24:00\"",
	    "\"2026-01-01T10:00:00.Z\"",
	    "\"2026-01-01T10:00Z\"",
	    "\"2026-01-01T10:00:00Z junk\"",
	    "\"\"",
	    "07:32:00",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024] = "# header\n";
		char want[PATH_MAX + 32];
		struct registry reg;
		char err[1024] = "";
		const char *path;

		entry(text, sizeof(text), "a", "v1", bad[i]);
		path = put("bad.toml", text);
		snprintf(want, sizeof(want), "%s:8:", path);
		if (registry_load(&reg, path, NULL, NULL, err, sizeof(err)) !=
		    BP_ECONFIG)
			fail_msg("released_at = %s was accepted", bad[i]);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    !strstr(err, "released_at"))
			fail_msg("released_at = %s: %s", bad[i], err);
		registry_free(&reg);
	}
}

/* RFC 3986, 5.4: the normal and abnormal examples against its base. */
static void test_url_ref_rfc3986(void **state)
{
	static const char *const cases[][2] = {
	    {"g:h", "g:h"},
	    {"g", "http://a/b/c/g"},
	    {"./g", "http://a/b/c/g"},
	    {"g/", "http://a/b/c/g/"},
	    {"/g", "http://a/g"},
	    {"//g", "http://g"},
	    {"?y", "http://a/b/c/d;p?y"},
	    {"g?y", "http://a/b/c/g?y"},
	    {"#s", "http://a/b/c/d;p?q#s"},
	    {"g#s", "http://a/b/c/g#s"},
	    {"g?y#s", "http://a/b/c/g?y#s"},
	    {";x", "http://a/b/c/;x"},
	    {"g;x", "http://a/b/c/g;x"},
	    {"g;x?y#s", "http://a/b/c/g;x?y#s"},
	    {"", "http://a/b/c/d;p?q"},
	    {".", "http://a/b/c/"},
	    {"./", "http://a/b/c/"},
	    {"..", "http://a/b/"},
	    {"../", "http://a/b/"},
	    {"../g", "http://a/b/g"},
	    {"../..", "http://a/"},
	    {"../../", "http://a/"},
	    {"../../g", "http://a/g"},
	    {"../../../g", "http://a/g"},
	    {"../../../../g", "http://a/g"},
	    {"/./g", "http://a/g"},
	    {"/../g", "http://a/g"},
	    {"g.", "http://a/b/c/g."},
	    {".g", "http://a/b/c/.g"},
	    {"g..", "http://a/b/c/g.."},
	    {"..g", "http://a/b/c/..g"},
	    {"./../g", "http://a/b/g"},
	    {"./g/.", "http://a/b/c/g/"},
	    {"g/./h", "http://a/b/c/g/h"},
	    {"g/../h", "http://a/b/c/h"},
	    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
	    {"g;x=1/../y", "http://a/b/c/y"},
	    {"g?y/./x", "http://a/b/c/g?y/./x"},
	    {"g?y/../x", "http://a/b/c/g?y/../x"},
	    {"g#s/./x", "http://a/b/c/g#s/./x"},
	    {"g#s/../x", "http://a/b/c/g#s/../x"},
	    {"http:g", "http:g"},
	    {"file:///etc/passwd", "file:///etc/passwd"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = url_ref_resolve("http://a/b/c/d;p?q", cases[i][0]);

		assert_non_null(got);
		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("\"%s\" resolved to %s, expected %s",
				 cases[i][0], got, cases[i][1]);
		free(got);
	}
	assert_true(url_is_network("HTTPS://x/y"));
	assert_false(url_is_network("file:///etc/passwd"));
	assert_false(url_is_network("/etc/passwd"));
}

/* A remote registry that names local files: file:// includes and image
 * urls are refused; an absolute path is a path on the same server. */
static int hostile_fetch(void *user, const char *url, char **buf, size_t *len,
			 char *err, size_t errlen)
{
	const char *text = NULL;

	(void)user;
	if (!strcmp(url, "https://r.example/inc.toml"))
		text = "[[includes]]\nurl = \"file:///etc/passwd\"\n";
	else if (!strcmp(url, "https://r.example/img.toml"))
		text = "[[images]]\nname = \"rootfs-aarch64-alpine\"\n"
		       "sha256 = \"" SHA_A "\"\narch = \"aarch64\"\n"
		       "url = \"file:///etc/shadow\"\n";
	else if (!strcmp(url, "https://r.example/abs.toml"))
		text = "[[images]]\nname = \"rootfs-aarch64-alpine\"\n"
		       "sha256 = \"" SHA_A "\"\narch = \"aarch64\"\n"
		       "url = \"/etc/shadow\"\n";
	if (!text) {
		snprintf(err, errlen, "GET %s: HTTP 404", url);
		return BP_ENET;
	}
	*buf = strdup(text);
	*len = strlen(text);
	return 0;
}

static void test_remote_names_no_local_file(void **state)
{
	struct registry reg;
	char err[1024] = "";
	const struct reg_image *img;

	(void)state;
	assert_int_equal(registry_load(&reg, "https://r.example/inc.toml",
				       hostile_fetch, NULL, err, sizeof(err)),
			 BP_ECONFIG);
	assert_non_null(strstr(err, "https://r.example/inc.toml:2:"));
	assert_non_null(strstr(err, "file:///etc/passwd"));
	assert_non_null(strstr(err, "only http(s) URLs"));
	registry_free(&reg);

	assert_int_equal(registry_load(&reg, "https://r.example/img.toml",
				       hostile_fetch, NULL, err, sizeof(err)),
			 BP_ECONFIG);
	assert_non_null(strstr(err, "file:///etc/shadow"));
	assert_int_equal(reg.count, 0);
	registry_free(&reg);

	assert_int_equal(registry_load(&reg, "https://r.example/abs.toml",
				       hostile_fetch, NULL, err, sizeof(err)),
			 0);
	img = registry_find(&reg, "rootfs-aarch64-alpine", "aarch64", NULL, err,
			    sizeof(err));
	assert_non_null(img);
	assert_string_equal(img->url, "https://r.example/etc/shadow");
	registry_free(&reg);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_newest_and_version),
	    T(test_includes),
	    T(test_cycle),
	    T(test_bad_entries),
	    T(test_missing_include),
	    T(test_remote),
	    T(test_url_ref_rfc3986),
	    T(test_remote_names_no_local_file),
	    T(test_released_at_order),
	    T(test_released_at_malformed),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
