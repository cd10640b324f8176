/* The host HTTP fixture (suite/http_fixture.c) over real TCP on
 * 127.0.0.1, read with libcurl as a guest's wget would read it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "http_fixture.h"
#include "testutil.h"

struct body {
	char *data;
	size_t len;
};

static size_t on_data(char *p, size_t size, size_t n, void *user)
{
	struct body *b = user;
	char *d = realloc(b->data, b->len + size * n + 1);

	assert_non_null(d);
	memcpy(d + b->len, p, size * n);
	b->len += size * n;
	d[b->len] = '\0';
	b->data = d;
	return size * n;
}

static long get(int port, const char *path, struct body *b)
{
	char url[256];
	long status = 0;
	CURL *c = curl_easy_init();

	*b = (struct body){0};
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}

static void static_body_on_any_path(void **state)
{
	struct suite_http_config cfg = {.bind = "127.0.0.1", .body = "hello\n"};
	struct suite_http *h;
	struct body b;
	char err[512];

	(void)state;
	assert_int_equal(suite_http_start(&cfg, 0, 0, &h, err, sizeof(err)), 0);
	assert_true(suite_http_port(h) > 0);
	assert_int_equal(get(suite_http_port(h), "/", &b), 200);
	assert_string_equal(b.data, "hello\n");
	free(b.data);
	assert_int_equal(get(suite_http_port(h), "/any/thing?x=1", &b), 200);
	assert_string_equal(b.data, "hello\n");
	free(b.data);
	suite_http_stop(h);
}

static void generated_body_has_its_size(void **state)
{
	struct suite_http_config cfg = {.bind = "127.0.0.1",
					.has_body_size = true,
					.body_size = 3 * 1024 * 1024 + 7,
					.body_byte = 'z'};
	struct suite_http *h;
	struct body b;
	char err[512];

	(void)state;
	assert_int_equal(suite_http_start(&cfg, 0, 0, &h, err, sizeof(err)), 0);
	assert_int_equal(get(suite_http_port(h), "/big", &b), 200);
	assert_int_equal(b.len, 3 * 1024 * 1024 + 7);
	assert_int_equal(b.data[0], 'z');
	assert_int_equal(b.data[b.len - 1], 'z');
	assert_null(memchr(b.data, 'a', b.len));
	free(b.data);
	suite_http_stop(h);
}

static void dir_serves_flat_files_only(void **state)
{
	char dir[4096], err[512], *p;
	struct suite_http_config cfg = {.bind = "127.0.0.1"};
	struct suite_http *h;
	struct body b;

	(void)state;
	assert_int_equal(tu_mkdtemp(dir, sizeof(dir), "http-dir"), 0);
	p = tu_asprintf("%s/b.whl", dir);
	tu_write_file(p, "wheel bytes");
	free(p);
	p = tu_asprintf("%s/a.txt", dir);
	tu_write_file(p, "A");
	free(p);
	cfg.dir = dir;
	assert_int_equal(suite_http_start(&cfg, 0, 0, &h, err, sizeof(err)), 0);
	assert_int_equal(get(suite_http_port(h), "/", &b), 200);
	assert_non_null(strstr(b.data, "<a href=\"a.txt\">a.txt</a>\n"
				       "<a href=\"b.whl\">b.whl</a>"));
	free(b.data);
	assert_int_equal(get(suite_http_port(h), "/b.whl", &b), 200);
	assert_string_equal(b.data, "wheel bytes");
	free(b.data);
	assert_int_equal(get(suite_http_port(h), "/nope", &b), 404);
	free(b.data);
	assert_int_equal(get(suite_http_port(h), "/..%2f..%2fetc%2fpasswd", &b),
			 404);
	free(b.data);
	assert_int_equal(get(suite_http_port(h), "/sub/a.txt", &b), 404);
	free(b.data);
	suite_http_stop(h);
	tu_rmtree(dir);

	cfg.dir = "/nonexistent/bootpipe";
	assert_int_equal(suite_http_start(&cfg, 0, 0, &h, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "/nonexistent/bootpipe"));
}

static void busy_port_waits_then_names_it(void **state)
{
	struct suite_http_config cfg = {.bind = "127.0.0.1", .body = "x"};
	struct suite_http *a, *b;
	char err[512];
	time_t t0;

	(void)state;
	assert_int_equal(suite_http_start(&cfg, 0, 0, &a, err, sizeof(err)), 0);
	t0 = time(NULL);
	assert_int_equal(
	    suite_http_start(&cfg, suite_http_port(a), 1, &b, err, sizeof(err)),
	    -1);
	assert_true(time(NULL) - t0 >= 1);
	assert_non_null(strstr(err, "127.0.0.1:"));
	assert_non_null(strstr(err, "in use"));
	/* down means down: the port is free again */
	{
		int port = suite_http_port(a);

		suite_http_stop(a);
		assert_int_equal(
		    suite_http_start(&cfg, port, 0, &b, err, sizeof(err)), 0);
		suite_http_stop(b);
	}
	cfg.bind = "localhost";
	assert_int_equal(suite_http_start(&cfg, 0, 0, &b, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "not an IP address"));
}

/* Run alone (`missing-lib`, BOOTPIPE_LIBMICROHTTPD naming no file): the
 * library is loaded once per process. The package is only a Recommends,
 * so the message says what to install. */
static void missing_library_names_the_package(void **state)
{
	struct suite_http_config cfg = {.bind = "127.0.0.1", .body = "x"};
	struct suite_http *h;
	char err[2048];

	(void)state;
	assert_int_equal(suite_http_start(&cfg, 0, 0, &h, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "cannot load libmicrohttpd"));
	assert_non_null(strstr(err, "apt-get install libmicrohttpd12"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(static_body_on_any_path),
	    cmocka_unit_test(generated_body_has_its_size),
	    cmocka_unit_test(dir_serves_flat_files_only),
	    cmocka_unit_test(busy_port_waits_then_names_it),
	};
	const struct CMUnitTest missing[] = {
	    cmocka_unit_test(missing_library_names_the_package),
	};
	int rc;

	if (argc > 1 && strcmp(argv[1], "missing-lib") == 0)
		return cmocka_run_group_tests(missing, NULL, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
