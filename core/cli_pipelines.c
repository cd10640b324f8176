/*
 * Pipelines by name. `bootpipe run demo-x86_64` looks for demo-x86_64.ini
 * in, in order: ./pipelines, the workspace's pipelines/,
 * $XDG_CONFIG_HOME/bootpipe/pipelines (~/.config/...) and the shipped
 * share/bootpipe/pipelines beside the executable. An argument holding a
 * '/' or naming an existing file is a path, relative to the current
 * directory. `bootpipe pipelines` lists the same directories, so what it
 * shows is what run finds.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/error.h>
#include <bootpipe/pipeline.h>
#include <bootpipe/toml.h>
#include <bootpipe/util.h>

#include "cli.h"

#define MAX_DIRS 4
#define MAX_FILES 512

struct search_path {
	char *dirs[MAX_DIRS];
	const char *why[MAX_DIRS];
	size_t count;
};

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --workspace, else the nearest parent with a Cargo [workspace], as the
 * engine finds it; NULL when there is none (the current directory's
 * pipelines/ is searched first anyway). */
static char *find_workspace(const char *opt)
{
	return opt ? realpath(opt, NULL) : bp_workspace_find(NULL);
}

static void add_dir(struct search_path *sp, char *dir, const char *why)
{
	if (!dir)
		return;
	for (size_t i = 0; i < sp->count; i++) {
		char *a = realpath(dir, NULL), *b = realpath(sp->dirs[i], NULL);
		bool same = a && b && strcmp(a, b) == 0;

		free(a);
		free(b);
		if (same) {
			free(dir);
			return;
		}
	}
	sp->dirs[sp->count] = dir;
	sp->why[sp->count++] = why;
}

static void search_path_init(struct search_path *sp, const char *workspace)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char *ws = find_workspace(workspace);
	char *share = cli_share_dir();
	char cwd[PATH_MAX];

	memset(sp, 0, sizeof(*sp));
	if (getcwd(cwd, sizeof(cwd)))
		add_dir(sp, bp_path_join(cwd, "pipelines"), "./pipelines");
	if (ws)
		add_dir(sp, bp_path_join(ws, "pipelines"), "the workspace");
	if (xdg && xdg[0] == '/')
		add_dir(sp, bp_path_join(xdg, "bootpipe/pipelines"),
			"$XDG_CONFIG_HOME");
	else if (home && home[0] == '/')
		add_dir(sp, bp_path_join(home, ".config/bootpipe/pipelines"),
			"~/.config");
	if (share)
		add_dir(sp, bp_path_join(share, "pipelines"), "shipped");
	free(share);
	free(ws);
}

static void search_path_release(struct search_path *sp)
{
	for (size_t i = 0; i < sp->count; i++)
		free(sp->dirs[i]);
}

/* A name is what `bootpipe pipelines` shows: a file name without '/',
 * with or without .ini. */
static bool is_name(const char *arg)
{
	return arg[0] && arg[0] != '.' && !strchr(arg, '/');
}

static char *with_ini(const char *name)
{
	size_t len = strlen(name);
	char *out;

	if (len > 4 && strcmp(name + len - 4, ".ini") == 0)
		return strdup(name);
	return asprintf(&out, "%s.ini", name) < 0 ? NULL : out;
}

/* The closest pipeline file name in the search path, or "" (@out). */
static void closest(const struct search_path *sp, const char *file, char *out,
		    size_t size)
{
	size_t best = 4;

	out[0] = '\0';
	for (size_t i = 0; i < sp->count; i++) {
		DIR *d = opendir(sp->dirs[i]);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name), dist;

			if (len <= 4 || strcmp(de->d_name + len - 4, ".ini"))
				continue;
			dist = bp_edit_distance(file, de->d_name);
			if (dist < best) {
				best = dist;
				snprintf(out, size, "%.*s", (int)(len - 4),
					 de->d_name);
			}
		}
		if (d)
			closedir(d);
	}
}

int cli_pipeline_resolve(const char *arg, const char *workspace, char **out,
			 char **why)
{
	struct search_path sp;
	char *file, guess[256], *text = NULL;
	size_t text_len;
	FILE *msg;
	int rc = BP_OUTCOME_CONFIG;

	*out = NULL;
	if (why)
		*why = NULL;
	if (!is_name(arg) || access(arg, F_OK) == 0) {
		*out = strdup(arg);
		return *out ? 0 : BP_OUTCOME_INFRA;
	}
	file = with_ini(arg);
	if (!file)
		return BP_OUTCOME_INFRA;
	search_path_init(&sp, workspace);
	for (size_t i = 0; i < sp.count && !*out; i++) {
		char *path = bp_path_join(sp.dirs[i], file);

		if (path && access(path, F_OK) == 0)
			*out = path;
		else
			free(path);
	}
	if (*out) {
		rc = 0;
	} else if ((msg = open_memstream(&text, &text_len))) {
		fprintf(msg, "no pipeline `%s`: no %s in", arg, file);
		for (size_t i = 0; i < sp.count; i++)
			fprintf(msg, "%s %s", i ? "," : "", sp.dirs[i]);
		closest(&sp, file, guess, sizeof(guess));
		if (guess[0])
			fprintf(msg, "; did you mean `%s`?", guess);
		fclose(msg);
		fprintf(stderr,
			"bootpipe: %s\n(`bootpipe pipelines` lists them; a "
			"path needs a '/', e.g. ./%s)\n",
			text, file);
		if (why)
			*why = text;
		else
			free(text);
	}
	search_path_release(&sp);
	free(file);
	return rc;
}

bool cli_pipeline_include_only(const char *path)
{
	struct bp_pipeline *p = NULL;
	struct bp_pipeline_value v;
	bool yes = false;

	/* the file's own mark: one inherited from an include does not count */
	if (bp_pipeline_open(path, &p) == 0 &&
	    bp_pipeline_get(p, "pipeline", "include_only", &v) == 0)
		yes = strcmp(v.file, path) == 0 && strcmp(v.value, "true") == 0;
	bp_pipeline_free(p);
	return yes;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the pipelines of @dir; @shadow: the directories searched before
 * it, whose files win. Returns -1 when @dir cannot be read. */
static int list_dir(const char *dir, char *const *shadow, size_t shadows,
		    const char *indent)
{
	struct dirent *de;
	char *names[MAX_FILES];
	size_t count = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)) && count < MAX_FILES) {
		size_t len = strlen(de->d_name);

		if (len <= 4 || strcmp(de->d_name + len - 4, ".ini") != 0)
			continue;
		names[count] = strdup(de->d_name);
		if (names[count])
			count++;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), compare_strings);
	for (size_t i = 0; i < count; i++) {
		char *path = bp_path_join(dir, names[i]);
		struct bp_pipeline *p = NULL;
		struct bp_pipeline_value name, desc;
		const char *note = "";
		bool ok = path && bp_pipeline_open(path, &p) == 0;

		for (size_t s = 0; s < shadows && !note[0]; s++) {
			char *other = bp_path_join(shadow[s], names[i]);

			if (other && access(other, F_OK) == 0)
				note = " (shadowed: an earlier directory has "
				       "it)";
			free(other);
		}
		/* name and description as the engine reads them (an included
		 * file may set them); a broken file says why */
		printf("%s%-28s %-20s %s%s\n", indent, names[i],
		       ok && cli_pipeline_include_only(path) ? "(include-only)"
		       : ok && !bp_pipeline_get(p, "pipeline", "name", &name)
			   ? name.value
			   : "-",
		       !ok ? (p ? bp_pipeline_error(p) : "out of memory")
		       : !bp_pipeline_get(p, "pipeline", "description", &desc)
			   ? desc.value
			   : "",
		       note);
		bp_pipeline_free(p);
		free(path);
		free(names[i]);
	}
	return 0;
}

int cli_pipelines_list(char *const *args, int count, const char *workspace)
{
	struct search_path sp;
	bool any = false;

	if (count > 1) {
		fprintf(stderr, "bootpipe: pipelines takes at most one "
				"directory\nrun `bootpipe --help` for usage\n");
		return BP_OUTCOME_CONFIG;
	}
	if (count == 1) {
		if (list_dir(args[0], NULL, 0, "") == 0)
			return 0;
		fprintf(stderr, "bootpipe: cannot open directory %s: %s\n",
			args[0], strerror(errno));
		return BP_OUTCOME_CONFIG;
	}
	search_path_init(&sp, workspace);
	for (size_t i = 0; i < sp.count; i++) {
		if (!is_dir(sp.dirs[i]))
			continue;
		printf("%s%s (%s):\n", any ? "\n" : "", sp.dirs[i], sp.why[i]);
		list_dir(sp.dirs[i], sp.dirs, i, "  ");
		any = true;
	}
	if (!any)
		fprintf(stderr, "bootpipe: no pipeline directory: looked for "
				"./pipelines, the workspace's pipelines/, "
				"~/.config/bootpipe/pipelines and the shipped "
				"ones\n");
	search_path_release(&sp);
	return any ? 0 : BP_OUTCOME_CONFIG;
}
