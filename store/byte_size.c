/* Byte counts with K/M/G/T suffixes, read and written. */
#include "byte_size.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char units[] = "KMGT";

bool byte_size_parse(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t n = 0;
	unsigned shift = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) {
		const char *u = strchr(units, toupper((unsigned char)*p));

		if (u) {
			shift = 10 * (unsigned)(u - units + 1);
			p++;
			/* 64Gi alone is not a unit: GiB is */
			if ((*p == 'i' || *p == 'I') &&
			    (p[1] != 'b' && p[1] != 'B'))
				return false;
			if (*p == 'i' || *p == 'I')
				p++;
		}
		if (*p == 'b' || *p == 'B')
			p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return false;
	}
	if (shift && n > UINT64_MAX >> shift)
		return false;
	*out = n << shift;
	return true;
}

void byte_size_format(uint64_t n, char *out, size_t len)
{
	static const char *const names[] = {"KiB", "MiB", "GiB", "TiB"};
	int unit = -1;

	for (int i = 3; i >= 0 && unit < 0; i--) {
		uint64_t size = (uint64_t)1 << (10 * (i + 1));

		if (n >= size && n % size == 0)
			unit = i;
	}
	if (unit < 0)
		snprintf(out, len, "%" PRIu64 " bytes", n);
	else
		snprintf(out, len, "%" PRIu64 " %s", n >> (10 * (unit + 1)),
			 names[unit]);
}
