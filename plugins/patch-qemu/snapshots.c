/* snapshot=on per drive instead of a global -snapshot. */
#include "snapshots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bootpipe/error.h>

#include "drive.h"
#include "qemu_args.h"
#include "rootfs_rule.h"

static int note(struct strv *notes, const char *fmt, const char *a,
		const char *b)
{
	char *text;
	int rc;

	if (asprintf(&text, fmt, a, b) < 0)
		return BP_ENOMEM;
	rc = strv_push(notes, text);
	free(text);
	return rc;
}

/* The managed file for drive file @file, or NULL. */
static const char *managed_file(const struct drive_guard *g, const char *file)
{
	for (size_t k = 0; k < g->nrefs; k++)
		if (!strcmp(g->refs[k], file))
			return g->files[k];
	return NULL;
}

/* Guards the -drive value at @i, rewriting it only when it changes. */
static int guard_drive(struct strv *args, size_t i, const struct drive_guard *g,
		       struct strv *notes)
{
	struct drive_spec spec;
	const char *file, *ifv, *snap, *to;
	bool changed = false;
	char *text = NULL;
	int rc = drive_spec_parse(args->v[i], &spec);

	if (rc)
		return rc;
	file = drive_spec_get(&spec, "file");
	ifv = drive_spec_get(&spec, "if");
	if (!file || (ifv && !strcmp(ifv, "pflash")) ||
	    !strncmp(file, "fat:", 4))
		goto out;
	if ((to = managed_file(g, file)) && strcmp(to, file)) {
		rc = note(notes, "%s is the store's %s", file, to);
		if (!rc)
			rc = drive_spec_set(&spec, "file", to);
		if (rc)
			goto out;
		file = drive_spec_get(&spec, "file");
		changed = true;
	}
	snap = drive_spec_get(&spec, "snapshot");
	if ((g->discard ||
	     (g->store && rootfs_reaches_store(g->store, file, NULL, 0))) &&
	    !(snap && !strcmp(snap, "on"))) {
		rc = drive_spec_set(&spec, "snapshot", "on");
		if (rc)
			goto out;
		changed = true;
	}
	if (changed && !(rc = drive_spec_print(&spec, &text)))
		strv_take_at(args, i, text);
out:
	drive_spec_free(&spec);
	return rc;
}

int snapshots_apply(struct strv *args, const struct drive_guard *g,
		    struct strv *notes)
{
	int rc = 0;

	for (size_t i = 0; i < args->n && !rc;) {
		if (qemu_opt_is(args->v[i], "snapshot")) {
			rc = note(notes, "%s%s", "removed -snapshot: ",
				  g->discard ? "every drive has snapshot=on "
					       "instead"
					     : "it would hide rootfs_write = "
					       "persist (store drives keep "
					       "snapshot=on)");
			strv_remove(args, i);
			continue;
		}
		if (i > 0 && qemu_opt_is(args->v[i - 1], "drive"))
			rc = guard_drive(args, i, g, notes);
		i++;
	}
	return rc;
}
