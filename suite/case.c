/* The case list: copies in, everything owned by the list. */
#include <stdlib.h>
#include <string.h>

#include "suite.h"

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

int suite_list_add(struct suite_list *list, const struct suite_case *c)
{
	struct suite_case *d;
	bool oom = false;

	if (list->count == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 32;
		struct suite_case *v = realloc(list->cases, cap * sizeof(*v));

		if (!v)
			return -1;
		list->cases = v;
		list->cap = cap;
	}
	d = &list->cases[list->count];
	*d = (struct suite_case){
	    .os = dup_or_null(c->os, &oom),
	    .group = dup_or_null(c->group, &oom),
	    .name = dup_or_null(c->name, &oom),
	    .display = dup_or_null(c->display, &oom),
	    .arch = dup_or_null(c->arch, &oom),
	    .target = dup_or_null(c->target, &oom),
	    .variant = dup_or_null(c->variant, &oom),
	    .case_dir = dup_or_null(c->case_dir, &oom),
	    .qemu_config = dup_or_null(c->qemu_config, &oom),
	    .build_group = dup_or_null(c->build_group, &oom),
	    .build_config = dup_or_null(c->build_config, &oom),
	    .feature = dup_or_null(c->feature, &oom),
	    .package = dup_or_null(c->package, &oom),
	};
	if (c->subcase_count &&
	    !(d->subcases = calloc(c->subcase_count, sizeof(*d->subcases))))
		oom = true;
	for (size_t i = 0; d->subcases && i < c->subcase_count; i++) {
		if (!(d->subcases[i] = strdup(c->subcases[i]))) {
			oom = true;
			break;
		}
		d->subcase_count++;
	}
	if (oom) {
		suite_case_release(d);
		return -1;
	}
	list->count++;
	return 0;
}

void suite_case_release(struct suite_case *c)
{
	free(c->os);
	free(c->group);
	free(c->name);
	free(c->display);
	free(c->arch);
	free(c->target);
	free(c->variant);
	free(c->case_dir);
	free(c->qemu_config);
	free(c->build_group);
	free(c->build_config);
	free(c->feature);
	free(c->package);
	for (size_t i = 0; i < c->subcase_count; i++)
		free(c->subcases[i]);
	free(c->subcases);
	*c = (struct suite_case){0};
}

void suite_list_print(FILE *out, const struct suite_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct suite_case *c = &list->cases[i];
		const char *variant = c->variant ? c->variant : "-";

		fprintf(out, "%s\t%s\t%s\t%s\t%s\n", c->os, c->group,
			c->display, c->arch, variant);
		for (size_t k = 0; k < c->subcase_count; k++)
			fprintf(out, "%s\t%s\t%s/%s\t%s\t%s\n", c->os, c->group,
				c->display, c->subcases[k], c->arch, variant);
	}
}

void suite_list_release(struct suite_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		suite_case_release(&list->cases[i]);
	free(list->cases);
	*list = (struct suite_list){0};
}
