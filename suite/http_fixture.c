/* The host HTTP fixture on libmicrohttpd. The socket is bound here (not
 * by libmicrohttpd) to wait for a busy port and to name the cause. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http_fixture.h"
#include "mhd_api.h"

/* set by the first suite_http_start; a fixture exists only after it */
static const struct mhd_api *mhd;

struct suite_http {
	struct MHD_Daemon *daemon;
	int fd;
	int port;
	char *body;
	size_t body_len;
	bool generated;
	uint64_t size;
	int byte;
	char *dir;
};

static ssize_t generate(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct suite_http *h = cls;
	uint64_t left = h->size - pos;
	size_t n = left < max ? (size_t)left : max;

	if (left == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, h->byte, n);
	return (ssize_t)n;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct MHD_Response *index_page(const char *dir)
{
	char **names = NULL, *html = NULL;
	size_t n = 0, cap = 0, len = 0;
	struct MHD_Response *resp;
	struct dirent *de;
	FILE *f = open_memstream(&html, &len);
	DIR *d = opendir(dir);

	if (!f) {
		if (d)
			closedir(d);
		return NULL;
	}
	while (d && (de = readdir(d))) {
		struct stat st;

		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? 2 * cap : 16) *
						      sizeof(*v));
			if (!v)
				break;
			names = v;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	fputs("<!DOCTYPE html><html><body>\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<a href=\"%s\">%s</a>\n", names[i], names[i]);
		free(names[i]);
	}
	free(names);
	fputs("</body></html>\n", f);
	fclose(f);
	resp =
	    mhd->create_response_from_buffer(len, html, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(html);
	else
		mhd->add_response_header(resp, "Content-Type", "text/html");
	return resp;
}

static enum MHD_Result queue(struct MHD_Connection *conn, unsigned status,
			     struct MHD_Response *resp)
{
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	mhd->add_response_header(resp, "Connection", "close");
	rc = mhd->queue_response(conn, status, resp);
	mhd->destroy_response(resp);
	return rc;
}

static enum MHD_Result not_found(struct MHD_Connection *conn)
{
	static char text[] = "not found\n";
	struct MHD_Response *resp = mhd->create_response_from_buffer(
	    sizeof(text) - 1, text, MHD_RESPMEM_PERSISTENT);

	if (resp)
		mhd->add_response_header(resp, "Content-Type", "text/plain");
	return queue(conn, MHD_HTTP_NOT_FOUND, resp);
}

static enum MHD_Result serve_dir(const struct suite_http *h,
				 struct MHD_Connection *conn, const char *url)
{
	const char *name = url;
	struct MHD_Response *resp;
	struct stat st;
	int fd;

	while (*name == '/')
		name++;
	if (!*name)
		return queue(conn, MHD_HTTP_OK, index_page(h->dir));
	/* flat names only: nothing outside dir */
	if (strchr(name, '/') || strstr(name, ".."))
		return not_found(conn);
	fd = openat(AT_FDCWD, h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		int file = openat(fd, name, O_RDONLY | O_CLOEXEC);

		close(fd);
		fd = file;
	}
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return not_found(conn);
	}
	resp = mhd->create_response_from_fd((uint64_t)st.st_size, fd);
	if (!resp) /* the response owns fd only once it exists */
		close(fd);
	return queue(conn, MHD_HTTP_OK, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **state)
{
	struct suite_http *h = cls;

	(void)method;
	(void)version;
	(void)data;
	/* the first call has only the headers; answer on the second, once
	 * any request body has been consumed */
	if (!*state) {
		*state = h;
		return MHD_YES;
	}
	if (*data_size) {
		*data_size = 0;
		return MHD_YES;
	}
	if (h->dir)
		return serve_dir(h, conn, url);
	if (h->generated)
		return queue(conn, MHD_HTTP_OK,
			     mhd->create_response_from_callback(
				 h->size, 64 * 1024, generate, h, NULL));
	return queue(conn, MHD_HTTP_OK,
		     mhd->create_response_from_buffer(h->body_len, h->body,
						      MHD_RESPMEM_PERSISTENT));
}

static int listen_on(const char *bind_addr, int port, int wait_seconds,
		     char *err, size_t errlen)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;
	time_t until = time(NULL) + wait_seconds;

	if (inet_pton(AF_INET, bind_addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, bind_addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
	} else {
		snprintf(err, errlen,
			 "host_http_server.bind `%s` is not an IP address "
			 "(e.g. 127.0.0.1)",
			 bind_addr);
		return -1;
	}
	for (;;) {
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			break;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, len) == 0 &&
		    listen(fd, 64) == 0)
			return fd;
		close(fd);
		fd = -1;
		if (errno != EADDRINUSE || time(NULL) >= until)
			break;
		usleep(50 * 1000);
	}
	snprintf(err, errlen, "cannot serve HTTP on %s:%d%s: %s", bind_addr,
		 port, errno == EADDRINUSE ? " (waited for it)" : "",
		 strerror(errno));
	return -1;
}

int suite_http_start(const struct suite_http_config *cfg, int port,
		     int wait_seconds, struct suite_http **out, char *err,
		     size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct suite_http *h;
	struct stat st;

	if (mhd_api_load(&mhd, err, errlen))
		return -1;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->fd = -1;
	if (cfg->dir) {
		if (stat(cfg->dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    access(cfg->dir, R_OK | X_OK) != 0) {
			snprintf(err, errlen, "host_http_server.dir %s: %s",
				 cfg->dir,
				 errno ? strerror(errno) : "not a directory");
			goto fail;
		}
		h->dir = strdup(cfg->dir);
	} else if (cfg->has_body_size) {
		h->generated = true;
		h->size = cfg->body_size;
		h->byte = cfg->body_byte;
	} else {
		h->body = strdup(cfg->body ? cfg->body : "");
		h->body_len = h->body ? strlen(h->body) : 0;
	}
	if ((cfg->dir && !h->dir) ||
	    (!cfg->dir && !cfg->has_body_size && !h->body)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	h->fd = listen_on(cfg->bind ? cfg->bind : "127.0.0.1", port,
			  wait_seconds, err, errlen);
	if (h->fd < 0)
		goto fail;
	h->daemon = mhd->start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		(strchr(cfg->bind ? cfg->bind : "", ':') ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)180, MHD_OPTION_END);
	if (!h->daemon) {
		snprintf(err, errlen, "cannot start the HTTP fixture on %s:%d",
			 cfg->bind ? cfg->bind : "127.0.0.1", port);
		goto fail;
	}
	h->fd = -1; /* the daemon owns it now and closes it on stop */
	info = mhd->get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info && info->port ? info->port : port;
	if (!h->port) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		const union MHD_DaemonInfo *li =
		    mhd->get_daemon_info(h->daemon, MHD_DAEMON_INFO_LISTEN_FD);

		if (li && getsockname(li->listen_fd, (struct sockaddr *)&ss,
				      &sl) == 0)
			h->port =
			    ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	}
	*out = h;
	return 0;
fail:
	if (h->fd >= 0)
		close(h->fd);
	free(h->body);
	free(h->dir);
	free(h);
	return -1;
}

int suite_http_port(const struct suite_http *h)
{
	return h->port;
}

void suite_http_stop(struct suite_http *h)
{
	if (!h)
		return;
	if (h->daemon)
		mhd->stop_daemon(h->daemon);
	if (h->fd >= 0)
		close(h->fd);
	free(h->body);
	free(h->dir);
	free(h);
}
