/*
 * libmicrohttpd, loaded on first use: only a case with a
 * [host_http_server] needs it, and it pulls in GnuTLS and nine more
 * libraries that every other command (check, plan, run) would map at
 * start. Headers give the types; dlopen gives the code.
 */
#ifndef BOOTPIPE_SUITE_MHD_API_H
#define BOOTPIPE_SUITE_MHD_API_H

#include <stddef.h>

#include <microhttpd.h>

struct mhd_api {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port,
					   MHD_AcceptPolicyCallback apc,
					   void *apc_cls,
					   MHD_AccessHandlerCallback dh,
					   void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	const union MHD_DaemonInfo *(*get_daemon_info)(
	    struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...);
	struct MHD_Response *(*create_response_from_buffer)(
	    size_t size, void *buffer, enum MHD_ResponseMemoryMode mode);
	struct MHD_Response *(*create_response_from_callback)(
	    uint64_t size, size_t block_size, MHD_ContentReaderCallback crc,
	    void *crc_cls, MHD_ContentReaderFreeCallback crfc);
	struct MHD_Response *(*create_response_from_fd)(size_t size, int fd);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response,
					       const char *header,
					       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection,
					  unsigned int status_code,
					  struct MHD_Response *response);
	void (*destroy_response)(struct MHD_Response *response);
};

/*
 * Loads libmicrohttpd once per process (BOOTPIPE_LIBMICROHTTPD names
 * another file). 0 and *out, or BP_EINFRA with a message in @err that
 * names the package to install.
 */
int mhd_api_load(const struct mhd_api **out, char *err, size_t errlen);

#endif
