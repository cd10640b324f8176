/* libarchive through dlopen, resolved once. */
#include "archive_api.h"

#include <pthread.h>
#include <stdio.h>

#include <bootpipe/error.h>

#include "lazy_lib.h"

static struct archive_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct lazy_lib lib = {.soname = "libarchive.so.13",
			      .env = "BOOTPIPE_LIBARCHIVE",
			      .probe = "archive_read_new"};

static void load(void)
{
	if (!lazy_lib_open(&lib))
		return;
	lazy_lib_sym(&lib, "archive_read_new", &api.read_new);
	lazy_lib_sym(&lib, "archive_read_support_filter_all",
		     &api.read_support_filter_all);
	lazy_lib_sym(&lib, "archive_read_support_format_tar",
		     &api.read_support_format_tar);
	lazy_lib_sym(&lib, "archive_read_open_filename",
		     &api.read_open_filename);
	lazy_lib_sym(&lib, "archive_read_open", &api.read_open);
	lazy_lib_sym(&lib, "archive_read_next_header", &api.read_next_header);
	lazy_lib_sym(&lib, "archive_read_data_block", &api.read_data_block);
	lazy_lib_sym(&lib, "archive_read_free", &api.read_free);
	lazy_lib_sym(&lib, "archive_errno", &api.errno_of);
	lazy_lib_sym(&lib, "archive_error_string", &api.error_string);
	lazy_lib_sym(&lib, "archive_entry_pathname", &api.entry_pathname);
	lazy_lib_sym(&lib, "archive_entry_hardlink", &api.entry_hardlink);
	lazy_lib_sym(&lib, "archive_entry_filetype", &api.entry_filetype);
	lazy_lib_sym(&lib, "archive_entry_size", &api.entry_size);
	lazy_lib_sym(&lib, "archive_entry_size_is_set", &api.entry_size_is_set);
}

int archive_api_load(const struct archive_api **out, char *err, size_t errlen)
{
	pthread_once(&once, load);
	if (lib.error[0]) {
		snprintf(err, errlen,
			 "cannot load libarchive, needed to unpack images: %s "
			 "(install libarchive13: apt-get install libarchive13)",
			 lib.error);
		return BP_EINFRA;
	}
	*out = &api;
	return 0;
}
