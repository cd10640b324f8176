/* tgosimages registry: parse, follow includes, look images up. */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/toml.h>

#include "layout.h"
#include "url_ref.h"

#define MAX_INCLUDE_DEPTH 32
/* Local registries get the bound remote ones have (fetch_rootfs.c). */
#define REGISTRY_FILE_MAX (16u << 20)

struct loader {
	struct registry *reg;
	reg_fetch_fn fetch;
	void *user;
	char *chain[MAX_INCLUDE_DEPTH]; /* sources being loaded, outermost first
					 */
	size_t depth;
	char **done; /* sources already loaded */
	size_t ndone;
	char *err;
	size_t errlen;
	bool bootstrap; /* the top file follows only its bootstrap include */
	struct registry_limits limits;
	size_t documents; /* read so far */
	uint64_t bytes;
};

static bool is_url(const char *s)
{
	const char *p = strstr(s, "://");

	if (!p || p == s)
		return false;
	for (const char *q = s; q < p; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
		      (*q >= '0' && *q <= '9') || *q == '+' || *q == '-' ||
		      *q == '.'))
			return false;
	return true;
}

static bool is_file_url(const char *s)
{
	return strncasecmp(s, "file://", 7) == 0;
}

static char *dup_str(const char *s)
{
	return strdup(s ? s : "");
}

/*
 * Resolves @ref against the source @base it appears in. In a document
 * fetched over the network, as RFC 3986 says. In a local one, URLs and
 * absolute paths stay, a relative reference replaces the last part of
 * @base and file:// becomes a plain path. Malloc'ed; NULL when out of
 * memory.
 */
static char *resolve(const char *base, const char *ref)
{
	const char *slash;
	char *out;
	size_t n;

	if (base && is_url(base))
		return url_ref_resolve(base, ref);
	if (is_file_url(ref))
		return strdup(ref + 7);
	if (is_url(ref) || ref[0] == '/' || !base)
		return strdup(ref);
	slash = strrchr(base, '/');
	if (!slash)
		return strdup(ref);
	n = (size_t)(slash - base) + 1 + strlen(ref) + 1;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s%s", (int)(slash - base + 1), base, ref);
	return out;
}

/* The identity of a source for cycle checks: realpath for files. */
static char *canonical(const char *source)
{
	char buf[PATH_MAX];

	if (is_url(source))
		return strdup(source);
	if (realpath(source, buf))
		return strdup(buf);
	return strdup(source);
}

static int add_image(struct loader *l, const struct reg_image *img)
{
	struct registry *r = l->reg;
	struct reg_image *p =
	    realloc(r->images, (r->count + 1) * sizeof(*r->images));

	if (!p)
		return BP_ENOMEM;
	r->images = p;
	r->images[r->count++] = *img;
	return 0;
}

static void image_free(struct reg_image *img)
{
	free(img->name);
	free(img->version);
	free(img->sha256);
	free(img->arch);
	free(img->url);
	free(img->released_at);
	free(img->description);
	free(img->origin);
}

static int entry_error(struct loader *l, const char *source,
		       const struct bp_toml_node *n, const char *what)
{
	snprintf(l->err, l->errlen, "%s:%d:%d: %s", source, bp_toml_line(n),
		 bp_toml_column(n), what);
	return BP_ECONFIG;
}

/*
 * A document fetched over the network names only network URLs: a server
 * must not make bootpipe read, hash or follow local files. @target is
 * @ref resolved against @source.
 */
static int check_remote_ref(struct loader *l, const char *source,
			    const struct bp_toml_node *n, const char *ref,
			    const char *target)
{
	char msg[768];

	if (!is_url(source) || url_is_network(target))
		return 0;
	snprintf(msg, sizeof(msg),
		 "`url = \"%.200s\"` is not an http(s) URL: a registry "
		 "fetched over the network may reference only http(s) URLs "
		 "(relative references resolve against its own URL); "
		 "file:// and paths are allowed only in a local registry",
		 ref);
	return entry_error(l, source, n, msg);
}

/* A string field; @required missing is an error. */
static int field(struct loader *l, const char *source,
		 const struct bp_toml_node *t, const char *key, bool required,
		 const char **out)
{
	const struct bp_toml_node *v = bp_toml_get(t, key);
	char msg[128];

	*out = NULL;
	if (!v) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "image entry has no `%s`", key);
		return entry_error(l, source, t, msg);
	}
	if (!bp_toml_as_str(v, out, NULL)) {
		snprintf(msg, sizeof(msg), "`%s` must be a string, not %s", key,
			 bp_toml_type_name(bp_toml_type(v)));
		return entry_error(l, source, v, msg);
	}
	return 0;
}

static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = m <= 2 ? y - 1 : y;
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/*
 * RFC 3339 / TOML: "YYYY-MM-DD", optionally followed by 'T' (or 't' or a
 * space) "HH:MM:SS[.fraction]" and optionally 'Z' or "+HH:MM"/"-HH:MM".
 * A date or date-time without an offset is taken as UTC. False when @text
 * is anything else or names a day or time that does not exist.
 */
static bool parse_instant(const char *text, int64_t *secs, int32_t *nanos)
{
	const char *p = text;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	int32_t ns = 0;

	if (!take_digits(&p, 4, &y) || *p++ != '-' ||
	    !take_digits(&p, 2, &mo) || *p++ != '-' || !take_digits(&p, 2, &d))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!take_digits(&p, 2, &h) || *p++ != ':' ||
		    !take_digits(&p, 2, &mi) || *p++ != ':' ||
		    !take_digits(&p, 2, &sec))
			return false;
		if (h > 23 || mi > 59 || sec > 60) /* 60: a leap second */
			return false;
		if (*p == '.') {
			int scale = 100000000;

			if (*++p < '0' || *p > '9')
				return false;
			/* nanoseconds; finer digits do not change the order
			 * of real release times */
			for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
				ns += (*p - '0') * scale;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (!take_digits(&p, 2, &oh) || *p++ != ':' ||
			    !take_digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
		}
	}
	if (*p)
		return false;
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		sign * (oh * 3600 + om * 60);
	*nanos = ns;
	return true;
}

/* released_at as an instant; absent is fine, malformed is an error. */
static int parse_released(struct loader *l, const char *source,
			  const struct bp_toml_node *t, const char *text,
			  struct reg_image *img)
{
	char msg[256];

	if (!text)
		return 0;
	if (!parse_instant(text, &img->released_s, &img->released_ns)) {
		snprintf(msg, sizeof(msg),
			 "released_at \"%.64s\" is not an RFC 3339 date-time "
			 "(YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM]) or date",
			 text);
		return entry_error(l, source, bp_toml_get(t, "released_at"),
				   msg);
	}
	img->released_known = true;
	return 0;
}

static int parse_image(struct loader *l, const char *source,
		       const struct bp_toml_node *t)
{
	const char *name, *version, *sha, *arch, *url, *released, *desc;
	struct reg_image img = {0};
	char hex[SHA256_HEX_SIZE];
	char origin[PATH_MAX + 32];
	int rc;

	if (bp_toml_type(t) != BP_TOML_TABLE)
		return entry_error(l, source, t, "`images` must be tables");
	if ((rc = field(l, source, t, "name", true, &name)) ||
	    (rc = field(l, source, t, "version", false, &version)) ||
	    (rc = field(l, source, t, "sha256", true, &sha)) ||
	    (rc = field(l, source, t, "arch", true, &arch)) ||
	    (rc = field(l, source, t, "url", true, &url)) ||
	    (rc = field(l, source, t, "released_at", false, &released)) ||
	    (rc = field(l, source, t, "description", false, &desc)))
		return rc;
	/* The name becomes a file name in the store: it must not escape. */
	if (!store_name_valid(name))
		return entry_error(l, source, bp_toml_get(t, "name"),
				   "image name is not a plain file name "
				   "(letters, digits, '.', '_', '-', '+')");
	if (!sha256_hex_parse(sha, hex))
		return entry_error(l, source, bp_toml_get(t, "sha256"),
				   "sha256 must be 64 hex digits");
	rc = parse_released(l, source, t, released, &img);
	if (rc)
		return rc;
	snprintf(origin, sizeof(origin), "%s:%d", source, bp_toml_line(t));
	img.name = dup_str(name);
	img.version = dup_str(version);
	img.sha256 = dup_str(hex);
	img.arch = dup_str(arch);
	if (is_url(source)) {
		/* a remote registry: RFC 3986 against its URL */
		img.url = resolve(source, url);
		if (img.url &&
		    (rc = check_remote_ref(l, source, bp_toml_get(t, "url"),
					   url, img.url))) {
			image_free(&img);
			return rc;
		}
	} else if (is_url(url)) {
		img.url = dup_str(url);
	} else {
		/* a relative url is a file beside the local registry */
		char *path = resolve(source, url);
		size_t n = path ? strlen(path) + 8 : 0;

		img.url = path ? malloc(n) : NULL;
		if (img.url)
			snprintf(img.url, n, "file://%s", path);
		free(path);
	}
	img.released_at = dup_str(released);
	img.description = dup_str(desc);
	img.origin = dup_str(origin);
	if (!img.name || !img.version || !img.sha256 || !img.arch || !img.url ||
	    !img.released_at || !img.description || !img.origin ||
	    add_image(l, &img) != 0) {
		image_free(&img);
		snprintf(l->err, l->errlen, "out of memory");
		return BP_ENOMEM;
	}
	return 0;
}

static int load_source(struct loader *l, const char *source);
static int follow_include(struct loader *l, const char *source,
			  const struct bp_toml_node *inc);

/* "…/vX.Y.Z.toml" -> X, Y, Z; false for any other file name. */
static bool release_version(const char *url, unsigned long long v[3])
{
	const char *base = strrchr(url, '/');
	char *end;

	base = base ? base + 1 : url;
	if (*base++ != 'v')
		return false;
	for (int i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*base))
			return false;
		errno = 0;
		v[i] = strtoull(base, &end, 10);
		if (errno)
			return false;
		base = end;
		if (i < 2 && *base++ != '.')
			return false;
	}
	return strcmp(base, ".toml") == 0;
}

/* Index of the include with the highest release version, else the last. */
static size_t bootstrap_include(const struct bp_toml_node *incs)
{
	unsigned long long best[3] = {0, 0, 0};
	size_t pick = bp_toml_len(incs) - 1;
	bool found = false;

	for (size_t i = 0; i < bp_toml_len(incs); i++) {
		const struct bp_toml_node *u =
		    bp_toml_get(bp_toml_at(incs, i), "url");
		const char *ref;
		unsigned long long v[3];

		if (!u || !bp_toml_as_str(u, &ref, NULL) ||
		    !release_version(ref, v))
			continue;
		if (!found || v[0] > best[0] ||
		    (v[0] == best[0] &&
		     (v[1] > best[1] || (v[1] == best[1] && v[2] > best[2])))) {
			memcpy(best, v, sizeof(best));
			pick = i;
			found = true;
		}
	}
	return pick;
}

static int parse_doc(struct loader *l, const char *source,
		     const struct bp_toml_node *root)
{
	const struct bp_toml_node *images = bp_toml_get(root, "images");
	const struct bp_toml_node *incs = bp_toml_get(root, "includes");
	int rc;

	if (images && bp_toml_type(images) != BP_TOML_ARRAY)
		return entry_error(l, source, images,
				   "`images` must be an array of tables");
	for (size_t i = 0; images && i < bp_toml_len(images); i++) {
		rc = parse_image(l, source, bp_toml_at(images, i));
		if (rc)
			return rc;
	}
	if (incs && bp_toml_type(incs) != BP_TOML_ARRAY)
		return entry_error(l, source, incs,
				   "`includes` must be an array of tables");
	/* axbuild's default.toml lists only includes, one per release: the
	 * highest vX.Y.Z.toml (else the last) is the registry to follow */
	if (l->bootstrap && l->depth == 1 && !images && incs &&
	    bp_toml_len(incs) > 0) {
		size_t pick = bootstrap_include(incs);

		return follow_include(l, source, bp_toml_at(incs, pick));
	}
	for (size_t i = 0; incs && i < bp_toml_len(incs); i++) {
		rc = follow_include(l, source, bp_toml_at(incs, i));
		if (rc)
			return rc;
	}
	return 0;
}

static int follow_include(struct loader *l, const char *source,
			  const struct bp_toml_node *inc)
{
	const struct bp_toml_node *u = bp_toml_get(inc, "url");
	const char *ref;
	char *target;
	int rc;

	if (bp_toml_type(inc) != BP_TOML_TABLE || !u ||
	    !bp_toml_as_str(u, &ref, NULL))
		return entry_error(l, source, inc,
				   "an include needs `url = \"...\"`");
	target = resolve(source, ref);
	if (!target) {
		snprintf(l->err, l->errlen, "out of memory");
		return BP_ENOMEM;
	}
	rc = check_remote_ref(l, source, u, ref, target);
	if (rc == 0)
		rc = load_source(l, target);
	free(target);
	return rc;
}

static int cycle_error(struct loader *l, const char *key)
{
	size_t n =
	    (size_t)snprintf(l->err, l->errlen, "registry include cycle: ");

	for (size_t i = 0; i < l->depth && n < l->errlen; i++)
		n += (size_t)snprintf(l->err + n, l->errlen - n, "%s -> ",
				      l->chain[i]);
	if (n < l->errlen)
		snprintf(l->err + n, l->errlen - n, "%s", key);
	return BP_ECONFIG;
}

/* Counts one more document against the limits, before it is read. */
static int count_document(struct loader *l, const char *source)
{
	if (++l->documents <= l->limits.max_documents)
		return 0;
	snprintf(l->err, l->errlen,
		 "registry %s: more than %zu documents through includes "
		 "(registry_max_documents); a registry is a handful, so this "
		 "one is broken or hostile",
		 source, l->limits.max_documents);
	return BP_ECONFIG;
}

/* Counts a document's @len bytes against the limit of all together. */
static int count_bytes(struct loader *l, const char *source, uint64_t len)
{
	l->bytes += len;
	if (l->bytes <= l->limits.max_bytes)
		return 0;
	snprintf(l->err, l->errlen,
		 "registry %s: the documents read hold more than %llu bytes "
		 "together (registry_max_bytes); a registry is a few KiB, so "
		 "this one is broken or hostile",
		 source, (unsigned long long)l->limits.max_bytes);
	return BP_ECONFIG;
}

static int read_doc(struct loader *l, const char *source,
		    struct bp_toml_doc **doc)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!is_url(source)) {
		struct stat sb;
		bool known = stat(source, &sb) == 0;

		/* An include of /dev/zero or a FIFO would read for ever. */
		if (known &&
		    (!S_ISREG(sb.st_mode) || sb.st_size > REGISTRY_FILE_MAX)) {
			snprintf(l->err, l->errlen,
				 "registry %s: %s; a registry is a TOML file "
				 "of at most %u MiB",
				 source,
				 S_ISREG(sb.st_mode) ? "too big"
						     : "not a regular file",
				 REGISTRY_FILE_MAX >> 20);
			return BP_ECONFIG;
		}
		rc = count_document(l, source);
		if (rc == 0 && known)
			rc = count_bytes(l, source, (uint64_t)sb.st_size);
		if (rc)
			return rc;
		return bp_toml_parse_file(source, doc, l->err, l->errlen);
	}
	if (!l->fetch) {
		snprintf(l->err, l->errlen,
			 "registry %s: remote registries are not allowed here",
			 source);
		return BP_ECONFIG;
	}
	rc = count_document(l, source);
	if (rc == 0)
		rc = l->fetch(l->user, source, &buf, &len, l->err, l->errlen);
	if (rc == 0)
		rc = count_bytes(l, source, len);
	if (rc) {
		free(buf);
		return rc;
	}
	rc = bp_toml_parse_buf(buf, len, source, doc, l->err, l->errlen);
	free(buf);
	return rc;
}

static int load_source(struct loader *l, const char *source)
{
	struct bp_toml_doc *doc = NULL;
	char *key = canonical(source);
	char **done;
	int rc;

	if (!key)
		return BP_ENOMEM;
	for (size_t i = 0; i < l->depth; i++)
		if (strcmp(l->chain[i], key) == 0) {
			rc = cycle_error(l, key);
			free(key);
			return rc;
		}
	for (size_t i = 0; i < l->ndone; i++)
		if (strcmp(l->done[i], key) == 0) {
			free(key); /* included twice, not a cycle */
			return 0;
		}
	if (l->depth == MAX_INCLUDE_DEPTH) {
		snprintf(l->err, l->errlen,
			 "registry %s: includes nest deeper than %d", source,
			 MAX_INCLUDE_DEPTH);
		free(key);
		return BP_ECONFIG;
	}
	l->chain[l->depth++] = key;
	rc = read_doc(l, source, &doc);
	if (rc == 0)
		rc = parse_doc(l, source, bp_toml_root(doc));
	bp_toml_free(doc);
	l->depth--;
	done = realloc(l->done, (l->ndone + 1) * sizeof(*l->done));
	if (!done) {
		free(key);
		return BP_ENOMEM;
	}
	l->done = done;
	l->done[l->ndone++] = key;
	return rc;
}

int registry_load_limited(struct registry *reg, const char *source,
			  bool bootstrap, const struct registry_limits *limits,
			  reg_fetch_fn fetch, void *user, char *err,
			  size_t errlen)
{
	struct loader l = {.reg = reg,
			   .fetch = fetch,
			   .user = user,
			   .err = err,
			   .errlen = errlen,
			   .bootstrap = bootstrap,
			   .limits = *limits};
	char *path = is_file_url(source) ? strdup(source + 7) : strdup(source);
	int rc;

	memset(reg, 0, sizeof(*reg));
	if (!path)
		return BP_ENOMEM;
	rc = load_source(&l, path);
	for (size_t i = 0; i < l.ndone; i++)
		free(l.done[i]);
	free(l.done);
	free(path);
	return rc;
}

static const struct registry_limits default_limits = {REGISTRY_MAX_DOCUMENTS,
						      REGISTRY_MAX_TOTAL_BYTES};

int registry_load(struct registry *reg, const char *source, reg_fetch_fn fetch,
		  void *user, char *err, size_t errlen)
{
	return registry_load_limited(reg, source, false, &default_limits, fetch,
				     user, err, errlen);
}

int registry_load_bootstrap(struct registry *reg, const char *source,
			    reg_fetch_fn fetch, void *user, char *err,
			    size_t errlen)
{
	return registry_load_limited(reg, source, true, &default_limits, fetch,
				     user, err, errlen);
}

void registry_free(struct registry *reg)
{
	for (size_t i = 0; i < reg->count; i++)
		image_free(&reg->images[i]);
	free(reg->images);
	reg->images = NULL;
	reg->count = 0;
}

static void list_known(const struct registry *reg, const char *name, char *err,
		       size_t errlen, size_t n)
{
	size_t shown = 0;

	for (size_t i = 0; i < reg->count && n < errlen; i++) {
		const struct reg_image *img = &reg->images[i];

		if (name && !registry_name_eq(img->name, name))
			continue;
		if (shown == 8) {
			n += (size_t)snprintf(err + n, errlen - n, ", ...");
			break;
		}
		n += (size_t)snprintf(err + n, errlen - n, "%s%s:%s (%s)",
				      shown ? ", " : "", img->name,
				      img->version, img->arch);
		shown++;
	}
	if (shown == 0 && n < errlen)
		snprintf(err + n, errlen - n, "none");
}

/* Names match with or without ".img": today's registry names entries
 * after their file, `rootfs-aarch64-alpine.img`. */
bool registry_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 4 && !strcmp(a + la - 4, ".img"))
		la -= 4;
	if (lb >= 4 && !strcmp(b + lb - 4, ".img"))
		lb -= 4;
	return la == lb && !strncmp(a, b, la);
}

/* True when @a was released strictly after @b; no date is oldest. */
static bool released_after(const struct reg_image *a, const struct reg_image *b)
{
	if (!a->released_known)
		return false;
	if (!b->released_known)
		return true;
	if (a->released_s != b->released_s)
		return a->released_s > b->released_s;
	return a->released_ns > b->released_ns;
}

const struct reg_image *registry_find(const struct registry *reg,
				      const char *name, const char *arch,
				      const char *version, char *err,
				      size_t errlen)
{
	const struct reg_image *best = NULL;
	bool named = false;
	size_t n;

	for (size_t i = 0; i < reg->count; i++) {
		const struct reg_image *img = &reg->images[i];

		if (!registry_name_eq(img->name, name))
			continue;
		named = true;
		if (arch && strcmp(img->arch, arch) != 0)
			continue;
		if (version && strcmp(img->version, version) != 0)
			continue;
		if (!best || released_after(img, best))
			best = img;
	}
	if (best)
		return best;
	n = (size_t)snprintf(err, errlen, "registry has no image %s%s%s%s%s",
			     name, version ? ":" : "", version ? version : "",
			     arch ? " for arch " : "", arch ? arch : "");
	if (n < errlen)
		n += (size_t)snprintf(err + n, errlen - n, "; %s: ",
				      named ? "versions of it" : "images");
	if (n < errlen)
		list_known(reg, named ? name : NULL, err, errlen, n);
	return NULL;
}

/* @s as a TOML basic string. */
static void put_toml_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int registry_write(const struct registry *reg, const char *path, char *err,
		   size_t errlen)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = store_open_new(tmp); /* replaced, never followed */
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return BP_EIO;
	}
	fprintf(f, "# the merged image registry, cached by bootpipe\n");
	for (size_t i = 0; i < reg->count; i++) {
		const struct reg_image *img = &reg->images[i];
		const char *keys[] = {"name",	"version",     "released_at",
				      "sha256", "description", "arch",
				      "url"};
		const char *vals[] = {img->name,	img->version,
				      img->released_at, img->sha256,
				      img->description, img->arch,
				      img->url};

		fprintf(f, "\n[[images]]\n");
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (k == 2 && !vals[k][0])
				continue;
			fprintf(f, "%s = ", keys[k]);
			put_toml_str(f, vals[k]);
			fputc('\n', f);
		}
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp,
			 strerror(errno));
		fclose(f);
		unlink(tmp);
		return BP_EIO;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		unlink(tmp);
		return BP_EIO;
	}
	return 0;
}
