/* fetch-rootfs downloads: where a redirect may lead. A forked one-file
 * HTTP server on 127.0.0.1 answers /moved with a redirect to /data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "download.h"

static int port;
static pid_t server;

/* Answers each connection once: /moved -> 302 to http://.../data,
 * anything else -> 200 "hello". */
static void serve(int ls)
{
	for (;;) {
		char req[2048], resp[512];
		ssize_t n;
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			continue;
		n = read(c, req, sizeof(req) - 1);
		req[n > 0 ? n : 0] = '\0';
		if (strncmp(req, "GET /moved ", 11) == 0)
			snprintf(resp, sizeof(resp),
				 "HTTP/1.1 302 Found\r\nLocation: "
				 "http://127.0.0.1:%d/data\r\nContent-Length: "
				 "0\r\nConnection: close\r\n\r\n",
				 port);
		else
			snprintf(resp, sizeof(resp),
				 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				 "Connection: close\r\n\r\nhello");
		if (write(c, resp, strlen(resp)) < 0)
			_exit(1);
		close(c);
	}
}

static int setup(void **unused)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0);

	(void)unused;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(ls, 8) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &len) != 0)
		return -1;
	port = ntohs(a.sin_port);
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0)
		serve(ls);
	close(ls);
	return 0;
}

static int teardown(void **unused)
{
	(void)unused;
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return 0;
}

static void test_protocols(void **unused)
{
	(void)unused;
	assert_string_equal(dl_redirect_protocols(false), "https");
	assert_string_equal(dl_redirect_protocols(true), "http,https");
}

static int fetch(bool allow_insecure, char **buf, char *err, size_t errlen)
{
	char url[64];
	struct dl_request r = {.url = url, .attempts = 1};
	size_t len;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/moved", port);
	r.allow_insecure = allow_insecure;
	return dl_buffer(&r, 1024, buf, &len, err, errlen);
}

/* The rule that stops https -> http: without allow_insecure a redirect
 * may only lead to https. (The start URL's own scheme is policed by the
 * stage; here it is http because the test has no TLS server.) */
static void test_redirect_to_http_refused(void **unused)
{
	char err[1024] = "", *buf = NULL;

	(void)unused;
	assert_int_not_equal(fetch(false, &buf, err, sizeof(err)), 0);
	assert_null(buf);
	assert_non_null(strstr(err, "/moved: redirected to http://127.0.0.1:"));
	assert_non_null(strstr(err, "which is not https"));
}

static void test_redirect_to_http_allowed(void **unused)
{
	char err[1024] = "", *buf = NULL;

	(void)unused;
	assert_int_equal(fetch(true, &buf, err, sizeof(err)), 0);
	assert_string_equal(buf, "hello");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_protocols),
	    cmocka_unit_test(test_redirect_to_http_refused),
	    cmocka_unit_test(test_redirect_to_http_allowed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
