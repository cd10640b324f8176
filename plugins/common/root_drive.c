/* The root disk of a QEMU argument list, found as axbuild finds it. */
#include "root_drive.h"

#include <stdlib.h>
#include <string.h>

#include "drive.h"

bool qemu_opt_is(const char *arg, const char *name)
{
	if (arg[0] != '-')
		return false;
	arg++;
	if (arg[0] == '-')
		arg++;
	return !strcmp(arg, name);
}

/* The value of @key in option list @text, copied into *out (NULL when
 * absent). False when out of memory. */
static bool value_of(const char *text, const char *key, char **out)
{
	struct drive_spec spec;
	const char *got;

	*out = NULL;
	if (drive_spec_parse(text, &spec))
		return false;
	got = drive_spec_get(&spec, key);
	if (got)
		*out = strdup(got);
	drive_spec_free(&spec);
	return !got || *out;
}

bool qemu_args_is_rootfs_drive(const struct strv *args, size_t i)
{
	char *id;
	bool match;

	if (args->v[i][0] == '-')
		return false;
	/* the value of -drive, or a drive value standing alone; never the
	 * value of another option */
	if (i > 0 && args->v[i - 1][0] == '-' &&
	    !qemu_opt_is(args->v[i - 1], "drive"))
		return false;
	if (!value_of(args->v[i], "id", &id))
		return false;
	match = id && !strcmp(id, "disk0");
	free(id);
	return match;
}

/* True when the -drive value at @i has a file and (when @id) that id, or
 * (when @ifv) that interface. */
static bool drive_matches(const struct strv *args, size_t i, const char *id,
			  const char *ifv)
{
	struct drive_spec spec;
	const char *got;
	bool match;

	if (i == 0 || !qemu_opt_is(args->v[i - 1], "drive") ||
	    drive_spec_parse(args->v[i], &spec))
		return false;
	match = drive_spec_get(&spec, "file") != NULL;
	if (match && id)
		match = (got = drive_spec_get(&spec, "id")) && !strcmp(got, id);
	if (match && ifv)
		match =
		    (got = drive_spec_get(&spec, "if")) && !strcmp(got, ifv);
	drive_spec_free(&spec);
	return match;
}

/* The index of the -drive the first -device with a drive= attaches
 * (the first such device whose drive exists), or 0. */
static size_t referenced_drive(const struct strv *args)
{
	for (size_t i = 1; i < args->n; i++) {
		char *id = NULL;
		size_t at = 0;

		if (!qemu_opt_is(args->v[i - 1], "device") ||
		    !value_of(args->v[i], "drive", &id) || !id)
			continue;
		for (size_t k = 1; k < args->n && !at; k++)
			if (drive_matches(args, k, id, NULL))
				at = k;
		free(id);
		if (at)
			return at;
	}
	return 0;
}

bool root_drives_find(const struct strv *args, bool ensure_disk,
		      enum root_drive_kind *kinds)
{
	bool found = false;
	size_t at;

	for (size_t i = 0; i < args->n; i++) {
		kinds[i] = ROOT_DRIVE_NONE;
		if (qemu_args_is_rootfs_drive(args, i))
			kinds[i] = ROOT_DRIVE_DISK0;
		else if (ensure_disk && drive_matches(args, i, NULL, "sd"))
			kinds[i] = ROOT_DRIVE_SD;
		found |= kinds[i] != ROOT_DRIVE_NONE;
	}
	if (!found && ensure_disk && (at = referenced_drive(args))) {
		kinds[at] = ROOT_DRIVE_REFERENCED;
		found = true;
	}
	return found;
}
