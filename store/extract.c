/* One entry out of a (compressed) tar, written sparse. */
#include "extract.h"
#include "archive_api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <bootpipe/error.h>
#include <bootpipe/plugin.h>

#include "download.h"

/* libarchive, loaded by the first extraction (see archive_api.h). */
static const struct archive_api *ar;

/* How many entry names a "no entry named X" message lists. */
#define LISTED_ENTRIES 5

struct seen {
	char names[LISTED_ENTRIES][128];
	size_t count;	  /* all entries, listed or not */
	char unsafe[256]; /* last skipped entry that had the right name */
};

static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* True when @path is absolute or has a `..` component. */
static bool unsafe_path(const char *path)
{
	const char *p = path;

	if (path[0] == '/')
		return true;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

/* True when the base name of @path (trailing slashes aside: "dir/"
 * names "dir") is @name. The whole name counts, however long it is. */
static bool base_name_is(const char *path, const char *name)
{
	size_t n = strlen(path);
	const char *slash;

	while (n > 1 && path[n - 1] == '/')
		n--;
	slash = memrchr(path, '/', n);
	if (slash) {
		n -= (size_t)(slash + 1 - path);
		path = slash + 1;
	}
	return n == strlen(name) && memcmp(path, name, n) == 0;
}

/* True when @path below its first component ("./" aside) is @want:
 * "edk2-bin/x64/code.fd" for "x64/code.fd". */
static bool below_top_is(const char *path, const char *want)
{
	const char *slash;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	slash = strchr(path, '/');
	return slash && slash != path && !strcmp(slash + 1, want);
}

static int write_all(int fd, const unsigned char *p, size_t n, int64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* From @i, past the blocks of @buf (aligned to the file offset) that are
 * all zero when @zero, or not all zero otherwise; the index it stops at. */
static size_t skip_blocks(const unsigned char *buf, size_t i, size_t size,
			  int64_t offset, bool zero)
{
	while (i < size) {
		size_t n = EXTRACT_HOLE_BLOCK -
			   (size_t)((offset + (int64_t)i) % EXTRACT_HOLE_BLOCK);

		if (n > size - i)
			n = size - i;
		if (all_zero(buf + i, n) != zero)
			break;
		i += n;
	}
	return i;
}

/* Writes the non-zero parts of one block; zero blocks stay holes. */
static int write_sparse(int fd, const unsigned char *buf, size_t size,
			int64_t offset)
{
	size_t i = 0;

	while (i < size) {
		size_t start = skip_blocks(buf, i, size, offset, true);

		i = skip_blocks(buf, start, size, offset, false);
		if (i > start && write_all(fd, buf + start, i - start,
					   offset + (int64_t)start) != 0)
			return -1;
	}
	return 0;
}

/* The image's SHA-256, fed in file order: the gaps between data blocks
 * are holes, hashed as the zeros they read as. */
struct image_hash {
	EVP_MD_CTX *md;
	int64_t at;	/* bytes hashed so far */
	bool unordered; /* a block went backwards: hash the file instead */
};

static void hash_zeros(struct image_hash *h, int64_t upto)
{
	static const unsigned char zeros[65536];

	while (h->at < upto) {
		int64_t n = upto - h->at;

		if (n > (int64_t)sizeof(zeros))
			n = (int64_t)sizeof(zeros);
		EVP_DigestUpdate(h->md, zeros, (size_t)n);
		h->at += n;
	}
}

static void hash_block(struct image_hash *h, const void *buf, size_t size,
		       int64_t offset)
{
	if (h->unordered || offset < h->at) {
		h->unordered = true;
		return;
	}
	hash_zeros(h, offset);
	EVP_DigestUpdate(h->md, buf, size);
	h->at += (int64_t)size;
}

static int hash_finish(struct image_hash *h, int64_t end, const char *dest,
		       char out[SHA256_HEX_SIZE], char *err, size_t errlen)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (h->unordered && !dest) {
		snprintf(err, errlen,
			 "its data blocks are out of order: hash it by "
			 "extracting it");
		return BP_EINFRA;
	}
	if (h->unordered)
		return sha256_file(dest, out, err, errlen);
	hash_zeros(h, end);
	EVP_DigestFinal_ex(h->md, dig, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	return 0;
}

static int too_small(const struct extract_request *r, const char *path,
		     int64_t size, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "archive %s: entry %s is %lld bytes, smaller than the %lld a "
		 "rootfs image has at least; refusing it (the archive holds "
		 "no usable image: check where it comes from)",
		 r->archive, path, (long long)size, (long long)r->min_size);
	return BP_EINFRA;
}

static int copy_entry(struct archive *a, struct archive_entry *e,
		      const char *path, const struct extract_request *r,
		      struct extract_result *res, bool *corrupt, char *err,
		      size_t errlen)
{
	int64_t declared = ar->entry_size_is_set(e) ? ar->entry_size(e) : 0;
	struct image_hash hash = {0};
	struct stat done;
	int64_t end = 0;
	int rc = BP_EIO;
	int fd;

	if (ar->entry_size_is_set(e) && declared < r->min_size)
		return too_small(r, path, declared, err, errlen);
	hash.md = EVP_MD_CTX_new();
	if (!hash.md || !EVP_DigestInit_ex(hash.md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(hash.md);
		snprintf(err, errlen, "cannot start a sha256: out of memory");
		return BP_ENOMEM;
	}
	if (!r->dest) {
		fd = -1;
	} else {
		/* a stale .tmp from a killed run goes first */
		fd = store_open_new(r->dest);
	}
	if (r->dest && fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", r->dest,
			 strerror(errno));
		EVP_MD_CTX_free(hash.md);
		return BP_EIO;
	}
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int st = ar->read_data_block(a, &buf, &size, &offset);

		if (st == ARCHIVE_EOF)
			break;
		if (st < ARCHIVE_WARN) {
			*corrupt = true;
			snprintf(err, errlen, "cannot read %s from %s: %s",
				 r->entry, r->archive, ar->error_string(a));
			rc = BP_EINFRA;
			goto fail;
		}
		if (bp_interrupted()) {
			snprintf(err, errlen, "extraction of %s interrupted",
				 r->entry);
			rc = BP_EINTR;
			goto fail;
		}
		if (fd >= 0 && write_sparse(fd, buf, size, offset) != 0) {
			snprintf(err, errlen, "cannot write %s: %s", r->dest,
				 strerror(errno));
			goto fail;
		}
		hash_block(&hash, buf, size, offset);
		if (offset + (int64_t)size > end)
			end = offset + (int64_t)size;
		if (r->progress)
			r->progress(r->user, r->what, (uint64_t)end,
				    (uint64_t)declared);
	}
	if (declared > end)
		end = declared; /* trailing hole */
	if (end < r->min_size) {
		rc = too_small(r, path, end, err, errlen);
		goto fail;
	}
	memset(&done, 0, sizeof(done));
	if (fd >= 0 && (ftruncate(fd, (off_t)end) != 0 || fsync(fd) != 0 ||
			fstat(fd, &done) != 0)) {
		snprintf(err, errlen, "cannot finish %s: %s", r->dest,
			 strerror(errno));
		goto fail;
	}
	if (fd >= 0 && close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "cannot close %s: %s", r->dest,
			 strerror(errno));
		goto fail;
	}
	fd = -1;
	rc = hash_finish(&hash, end, r->dest, res->sha256, err, errlen);
	if (rc)
		goto fail;
	EVP_MD_CTX_free(hash.md);
	res->size = end;
	res->mtime = done.st_mtim;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (r->dest)
		unlink(r->dest);
	EVP_MD_CTX_free(hash.md);
	return rc;
}

static const char *type_word(struct archive_entry *e)
{
	if (ar->entry_hardlink(e))
		return "a hard link";
	switch (ar->entry_filetype(e)) {
	case AE_IFLNK:
		return "a symbolic link";
	case AE_IFDIR:
		return "a directory";
	case AE_IFCHR:
	case AE_IFBLK:
		return "a device";
	case AE_IFIFO:
		return "a fifo";
	case AE_IFSOCK:
		return "a socket";
	default:
		return "not a regular file";
	}
}

static void not_found(const struct extract_request *r, const struct seen *s,
		      char *err, size_t errlen)
{
	size_t n =
	    (size_t)snprintf(err, errlen, "archive %s has no entry named %s",
			     r->archive, r->entry);

	if (s->unsafe[0] && n < errlen)
		n += (size_t)snprintf(err + n, errlen - n,
				      " (skipped unsafe path %s)", s->unsafe);
	if (s->count == 0 && n < errlen) {
		snprintf(err + n, errlen - n, "; it is empty");
		return;
	}
	for (size_t i = 0; i < s->count && i < LISTED_ENTRIES && n < errlen;
	     i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s",
				      i ? ", " : "; it has ", s->names[i]);
	if (s->count > LISTED_ENTRIES && n < errlen)
		snprintf(err + n, errlen - n, " and %zu more",
			 s->count - LISTED_ENTRIES);
}

/* The archive file as libarchive reads it, every byte hashed once. */
struct raw_reader {
	int fd;
	int error; /* errno of a failed read */
	EVP_MD_CTX *md;
	unsigned char buf[1 << 16];
};

static la_ssize_t raw_read(struct archive *a, void *user, const void **out)
{
	struct raw_reader *rr = user;
	ssize_t n;

	(void)a;
	do {
		n = read(rr->fd, rr->buf, sizeof(rr->buf));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		rr->error = errno;
		return -1;
	}
	EVP_DigestUpdate(rr->md, rr->buf, (size_t)n);
	*out = rr->buf;
	return n;
}

/* Hashes what libarchive left unread and writes the archive's sha256. */
static int raw_finish(struct raw_reader *rr, const char *archive, char *out,
		      char *err, size_t errlen)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	const void *buf;
	la_ssize_t got;

	while ((got = raw_read(NULL, rr, &buf)) > 0)
		;
	if (got < 0) {
		snprintf(err, errlen, "cannot read archive %s: %s", archive,
			 strerror(rr->error));
		return BP_EIO;
	}
	EVP_DigestFinal_ex(rr->md, dig, &n);
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	return 0;
}

/* Opens @r->archive in @a: by name, or through @rr when its own sha256
 * is wanted. */
static int open_archive(struct archive *a, const struct extract_request *r,
			struct raw_reader *rr, bool *corrupt, char *err,
			size_t errlen)
{
	int st;

	if (!r->archive_sha256) {
		st = ar->read_open_filename(a, r->archive, 1 << 16);
	} else {
		rr->fd = open(r->archive, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (rr->fd < 0) {
			snprintf(err, errlen, "cannot open archive %s: %s",
				 r->archive, strerror(errno));
			return BP_EIO;
		}
		rr->md = EVP_MD_CTX_new();
		if (!rr->md || !EVP_DigestInit_ex(rr->md, EVP_sha256(), NULL)) {
			snprintf(err, errlen,
				 "cannot start a sha256: out of memory");
			return BP_ENOMEM;
		}
		st = ar->read_open(a, rr, NULL, raw_read, NULL);
	}
	if (st != ARCHIVE_OK) {
		*corrupt = ar->errno_of(a) != ENOENT;
		snprintf(err, errlen, "cannot open archive %s: %s", r->archive,
			 ar->error_string(a));
		return *corrupt ? BP_EINFRA : BP_EIO;
	}
	return 0;
}

int extract_image(const struct extract_request *r,
		  struct extract_result *result, bool *corrupt, char *err,
		  size_t errlen)
{
	struct seen seen = {0};
	struct raw_reader *rr = NULL;
	struct archive_entry *e;
	struct archive *a;
	int rc;

	*corrupt = false;
	rc = archive_api_load(&ar, err, errlen);
	if (rc)
		return rc;
	a = ar->read_new();
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return BP_ENOMEM;
	}
	ar->read_support_filter_all(a);
	ar->read_support_format_tar(a);
	if (r->archive_sha256) {
		rr = calloc(1, sizeof(*rr));
		if (!rr) {
			ar->read_free(a);
			snprintf(err, errlen, "out of memory");
			return BP_ENOMEM;
		}
		rr->fd = -1;
	}
	rc = open_archive(a, r, rr, corrupt, err, errlen);
	if (rc)
		goto out;
	for (;;) {
		const char *path;
		int st = ar->read_next_header(a, &e);

		if (st == ARCHIVE_EOF)
			break;
		if (st < ARCHIVE_WARN) {
			*corrupt = true;
			snprintf(err, errlen, "corrupt archive %s: %s",
				 r->archive, ar->error_string(a));
			rc = BP_EINFRA;
			goto out;
		}
		path = ar->entry_pathname(e);
		if (!path)
			continue;
		if (seen.count < LISTED_ENTRIES)
			snprintf(seen.names[seen.count], sizeof(seen.names[0]),
				 "%s", path);
		seen.count++;
		if (!(r->entry_below_top ? below_top_is(path, r->entry)
					 : base_name_is(path, r->entry)))
			continue;
		if (unsafe_path(path)) {
			snprintf(seen.unsafe, sizeof(seen.unsafe), "%s", path);
			continue;
		}
		if (ar->entry_hardlink(e) ||
		    ar->entry_filetype(e) != AE_IFREG) {
			snprintf(err, errlen,
				 "archive %s: entry %s is %s, not a regular "
				 "file; refusing it",
				 r->archive, path, type_word(e));
			rc = BP_EINFRA;
			goto out;
		}
		rc = copy_entry(a, e, path, r, result, corrupt, err, errlen);
		goto out;
	}
	not_found(r, &seen, err, errlen);
	rc = BP_ENOENT;
out:
	/* the archive's digest even when its entry failed: a corrupt
	 * archive is told by it from a changed image */
	if (rr && rr->fd >= 0 && rr->md) {
		char ferr[512];
		int frc = raw_finish(rr, r->archive, r->archive_sha256, ferr,
				     sizeof(ferr));

		if (frc && !rc) {
			snprintf(err, errlen, "%s", ferr);
			rc = frc;
		}
	}
	ar->read_free(a);
	if (rr) {
		if (rr->fd >= 0)
			close(rr->fd);
		EVP_MD_CTX_free(rr->md);
		free(rr);
	}
	return rc;
}
