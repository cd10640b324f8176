/*
 * The file end of a download: bytes go into the part at their offset and
 * never past a limit, so a body that does not end (or runs past the length
 * it announced) cannot fill the file system.
 */
#ifndef BP_STORE_PART_WRITE_H
#define BP_STORE_PART_WRITE_H

#include <stddef.h>
#include <stdint.h>

enum part_write_result {
	PART_WRITE_OK,	  /* all @n bytes are in the file */
	PART_WRITE_LIMIT, /* they would pass @limit: none was written */
	PART_WRITE_ERROR, /* the write failed; *@err is its errno */
};

/* Writes @n bytes of @data at offset @off of @fd unless @off + @n passes
 * @limit (the most the file may hold). */
enum part_write_result part_write(int fd, uint64_t off, uint64_t limit,
				  const void *data, size_t n, int *err);

#endif
