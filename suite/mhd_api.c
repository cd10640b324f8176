/* libmicrohttpd through dlopen, resolved once (mhd_api.h). */
#include "mhd_api.h"

#include <pthread.h>
#include <stdio.h>

#include <bootpipe/error.h>

#include "lazy_lib.h"

static struct mhd_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct lazy_lib lib = {.soname = "libmicrohttpd.so.12",
			      .env = "BOOTPIPE_LIBMICROHTTPD",
			      .probe = "MHD_start_daemon"};

static void load(void)
{
	if (!lazy_lib_open(&lib))
		return;
	lazy_lib_sym(&lib, "MHD_start_daemon", &api.start_daemon);
	lazy_lib_sym(&lib, "MHD_stop_daemon", &api.stop_daemon);
	lazy_lib_sym(&lib, "MHD_get_daemon_info", &api.get_daemon_info);
	lazy_lib_sym(&lib, "MHD_create_response_from_buffer",
		     &api.create_response_from_buffer);
	lazy_lib_sym(&lib, "MHD_create_response_from_callback",
		     &api.create_response_from_callback);
	lazy_lib_sym(&lib, "MHD_create_response_from_fd",
		     &api.create_response_from_fd);
	lazy_lib_sym(&lib, "MHD_add_response_header", &api.add_response_header);
	lazy_lib_sym(&lib, "MHD_queue_response", &api.queue_response);
	lazy_lib_sym(&lib, "MHD_destroy_response", &api.destroy_response);
}

int mhd_api_load(const struct mhd_api **out, char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (lib.error[0]) {
		snprintf(err, errlen,
			 "cannot load libmicrohttpd, needed for the case's "
			 "host HTTP server: %s (install libmicrohttpd12: "
			 "apt-get install libmicrohttpd12)",
			 lib.error);
		return BP_EINFRA;
	}
	*out = &api;
	return 0;
}
