/*
 * libarchive, loaded on first use: it pulls in ICU, libxml2 and a dozen
 * compressors, which `check`, `plan` and a run of a ready image never
 * need. Headers give the types; dlopen gives the code.
 */
#ifndef BP_STORE_ARCHIVE_API_H
#define BP_STORE_ARCHIVE_API_H

#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>

struct archive_api {
	struct archive *(*read_new)(void);
	int (*read_support_filter_all)(struct archive *a);
	int (*read_support_format_tar)(struct archive *a);
	int (*read_open_filename)(struct archive *a, const char *file,
				  size_t block);
	int (*read_open)(struct archive *a, void *user,
			 archive_open_callback *open,
			 archive_read_callback *read,
			 archive_close_callback *close);
	int (*read_next_header)(struct archive *a, struct archive_entry **e);
	int (*read_data_block)(struct archive *a, const void **buf,
			       size_t *size, la_int64_t *offset);
	int (*read_free)(struct archive *a);
	int (*errno_of)(struct archive *a);
	const char *(*error_string)(struct archive *a);
	const char *(*entry_pathname)(struct archive_entry *e);
	const char *(*entry_hardlink)(struct archive_entry *e);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *e);
	la_int64_t (*entry_size)(struct archive_entry *e);
	int (*entry_size_is_set)(struct archive_entry *e);
};

/*
 * Loads libarchive once per process (BOOTPIPE_LIBARCHIVE names another
 * file than libarchive.so.13) and keeps it mapped. 0 and *api; BP_EINFRA
 * with the dlerror and the fix in @err when it is missing.
 */
int archive_api_load(const struct archive_api **api, char *err, size_t errlen);

#endif
