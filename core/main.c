/*
 * The bootpipe command: a thin tool over the public API. Results go to
 * stdout, diagnostics to stderr, and the exit code is the run's outcome.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bootpipe/bootpipe.h>

#include "cli.h"

#define EXIT_USAGE BP_OUTCOME_CONFIG
#define DEMO_PIPELINE "/pipelines/demo-aarch64.ini"

struct report_req {
	const char *format;
	const char *path;
};

/* An option assignment from the command line, applied to every engine the
 * command creates (check makes one per file). */
struct setting {
	const char *stage; /* NULL: a whole "stage.key=value" assignment */
	const char *key;
	const char *value;
};

struct cli {
	struct bp_engine *engine;
	struct setting settings[256];
	size_t setting_count;
	const char *plugin_dirs[32];
	size_t plugin_dir_count;
	const char *workspace;
	const char *command;
	bool dry_run;
	bool allow_unsafe_plugins;
	bool quiet;
	bool json_log;
	int verbosity;
	struct report_req reports[8];
	size_t report_count;
	const char *pipeline_opt;
	const char *store;
	bool remote;
	const char *until;
	const char *shard;
	char *owned[64]; /* values made absolute, freed at exit */
	size_t owned_count;
	char **args;
	int arg_count;
	/* the run's outcome when the exit code is --exec's status instead */
	int exec_outcome;
	unsigned given; /* OPT_BIT of each option given */
};

/* The run's terminal keys, in `--help` and `help run`. */
#define KEYS_HELP                                                              \
	"at a terminal: Ctrl-] stops the run (130), keys (Ctrl-C too) go to\n" \
	"the guest, QEMU's Ctrl-A x stops it too\n"

static const char usage_text[] =
    "usage: bootpipe COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "commands:\n"
    "  run [PIPELINE]          run a pipeline (default: the bundled demo)\n"
    "  plan [PIPELINE]         run in plan mode and print the QEMU command\n"
    "  check PIPELINE...       validate pipeline files (exit 0 or 2)\n"
    "  replay PIPELINE LOG     apply the pipeline's matchers to a saved log\n"
    "  stages                  list the available stage plugins\n"
    "  describe STAGE          show a stage's options and context keys\n"
    "  pipelines [DIR]         list pipeline files with their description\n"
    "                          (PIPELINE: a path, or a name they list)\n"
    "  matrix [--shard I/N] PIPELINE...\n"
    "                          CI job matrix of pipeline files, as JSON\n"
    "  test [SUITE_DIR]        run the test-suit/ CI cases as axbuild does\n"
    "  image ls [--remote]|pull NAME|rm NAME|verify [NAME]|sync\n"
    "                          manage the rootfs image store\n"
    "\n"
    "options:\n"
    "  --set STAGE.KEY=VALUE   override an option (repeatable; an empty\n"
    "                          VALUE unsets it)\n"
    "  --dry-run               plan mode: download, write and start nothing\n"
    "  --until STAGE           stop after STAGE\n"
    "  --report json=PATH      write a JSON summary (also junit=PATH)\n"
    "  --log-format text|json  how log lines are written to stderr\n"
    "  -q, --quiet             do not copy the guest console to stdout\n"
    "  -v, --verbose           debug logging\n"
    "  --plugin-dir DIR        search DIR for plugins first (repeatable)\n"
    "  --allow-unsafe-plugins  load plugins other users can write\n"
    "  --workspace DIR         workspace root\n"
    "  --pipeline FILE         pipeline whose store and sources `image` uses\n"
    "  --store DIR             image store for `image`\n"
    "  --arch A, --kernel F, --vmconfig F, --qemu-config F, --rootfs R,\n"
    "  --flow axvisor|arceos|starry, --debug\n"
    "                          shortcuts for --set resolve-request.KEY=...\n"
    "  --interactive           keep the guest up after the verdict, console\n"
    "                          attached (--set launch.keep_running=true)\n"
    "  --exec CMD              type CMD at the guest's shell prompt and exit\n"
    "                          with its status (--set launch.exec=CMD)\n"
    "  --version, -h/--help\n"
    "\n"
    "exit codes: 0 pass, 1 fail, 2 config, 3 infra, 4 timeout, 5 crash,\n"
    "            6 no-verdict, 130 interrupted\n"
    "\n" KEYS_HELP;

static const struct {
	const char *name;
	const char *help;
} command_help[] = {
    {"run",
     "usage: bootpipe run [PIPELINE] [OPTIONS]\n"
     "Runs every stage of PIPELINE (default: the bundled demo) and exits\n"
     "with the outcome: 0 pass, 1 fail, 2 config, 3 infra, 4 timeout,\n"
     "5 crash, 6 no-verdict, 130 interrupted.\n" KEYS_HELP},
    {"plan",
     "usage: bootpipe plan [PIPELINE] [OPTIONS]\n"
     "Runs every stage in plan mode: nothing is downloaded, written or\n"
     "started; stages log what they would do and the final QEMU argv\n"
     "is printed on stdout, shell-quoted, on one line.\n"},
    {"check", "usage: bootpipe check PIPELINE... [OPTIONS]\n"
	      "Loads each pipeline (file, plugins, options, data flow, init)\n"
	      "and validates the files its stages read in the workspace (QEMU\n"
	      "config, build config, vmconfigs); downloads, builds and starts\n"
	      "nothing. Exit 0 when all are valid, 2 otherwise.\n"},
    {"replay", "usage: bootpipe replay PIPELINE LOG [OPTIONS]\n"
	       "Runs PIPELINE in plan mode with the launch stage matching the\n"
	       "saved console LOG instead of QEMU; prints the verdict, the\n"
	       "pattern and the line, exits with the outcome.\n"},
    {"stages",
     "usage: bootpipe stages [--plugin-dir DIR]...\n"
     "Lists the stage plugins in the search path with version and\n"
     "summary; files that are not valid plugins are named on stderr.\n"},
    {"describe",
     "usage: bootpipe describe STAGE [--plugin-dir DIR]...\n"
     "Shows a stage plugin's options (type, default, help) and the\n"
     "context keys it requires and provides.\n"},
    {"pipelines",
     "usage: bootpipe pipelines [DIR]\n"
     "Lists the pipeline files in DIR, else in the directories a\n"
     "pipeline name is looked up in, in order: ./pipelines, the\n"
     "workspace's pipelines/, $XDG_CONFIG_HOME/bootpipe/pipelines,\n"
     "the shipped ones. `bootpipe run NAME` runs the first NAME.ini.\n"},
    {"matrix",
     "usage: bootpipe matrix [--shard I/N] PIPELINE...\n"
     "Prints {\"include\":[{\"pipeline\",\"name\",\"arch\"}...]} on one\n"
     "line: GitHub Actions strategy.matrix (fromJSON) and GitLab\n"
     "parallel:matrix entries. --shard I/N keeps the I-th of N\n"
     "round-robin parts of the sorted files (1-based).\n"},
    {"image",
     "usage: bootpipe image ls [--remote]|pull NAME|rm NAME|verify "
     "[NAME]|sync\n"
     "       [--store DIR | --workspace DIR | --pipeline FILE]\n"
     "Manages the rootfs image store: --store, else the store of\n"
     "--pipeline (with its registry and url), else\n"
     "the workspace's .image.toml local_storage (default\n"
     "<workspace>/tmp/axbuild/rootfs). ls --remote lists the registry,\n"
     "sync refreshes its cache (images.toml). Runs no stage.\n"},
};

static void print_help(const char *command)
{
	for (size_t i = 0;
	     command && i < sizeof(command_help) / sizeof(command_help[0]);
	     i++) {
		if (strcmp(command_help[i].name, command) == 0) {
			fputs(command_help[i].help, stdout);
			fputs("\nrun `bootpipe --help` for the options\n",
			      stdout);
			return;
		}
	}
	fputs(usage_text, stdout);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "bootpipe: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nrun `bootpipe --help` for usage\n");
	return EXIT_USAGE;
}

enum {
	OPT_SET = 1000,
	OPT_DRY_RUN,
	OPT_REPORT,
	OPT_LOG_FORMAT,
	OPT_PLUGIN_DIR,
	OPT_WORKSPACE,
	OPT_PIPELINE,
	OPT_STORE,
	OPT_REMOTE,
	OPT_SHARD,
	OPT_UNTIL,
	OPT_ARCH,
	OPT_KERNEL,
	OPT_VMCONFIG,
	OPT_QEMU_CONFIG,
	OPT_ROOTFS,
	OPT_FLOW,
	OPT_DEBUG,
	OPT_INTERACTIVE,
	OPT_EXEC,
	OPT_VERSION,
	OPT_ALLOW_UNSAFE_PLUGINS,
};

/* The options a command uses, as a mask of OPT_* bits. */
#define OPT_BIT(o) (1u << ((o)-OPT_SET))
#define PLUGIN_OPTS                                                            \
	(OPT_BIT(OPT_PLUGIN_DIR) | OPT_BIT(OPT_ALLOW_UNSAFE_PLUGINS))
/* what loads a pipeline: run, plan, replay */
#define RUN_OPTS                                                               \
	(~0u & ~(OPT_BIT(OPT_PIPELINE) | OPT_BIT(OPT_STORE) |                  \
		 OPT_BIT(OPT_REMOTE) | OPT_BIT(OPT_SHARD)))

static const struct option long_options[] = {
    {"set", required_argument, NULL, OPT_SET},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"report", required_argument, NULL, OPT_REPORT},
    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"plugin-dir", required_argument, NULL, OPT_PLUGIN_DIR},
    {"workspace", required_argument, NULL, OPT_WORKSPACE},
    {"pipeline", required_argument, NULL, OPT_PIPELINE},
    {"store", required_argument, NULL, OPT_STORE},
    {"remote", no_argument, NULL, OPT_REMOTE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"arch", required_argument, NULL, OPT_ARCH},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"vmconfig", required_argument, NULL, OPT_VMCONFIG},
    {"qemu-config", required_argument, NULL, OPT_QEMU_CONFIG},
    {"rootfs", required_argument, NULL, OPT_ROOTFS},
    {"flow", required_argument, NULL, OPT_FLOW},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"interactive", no_argument, NULL, OPT_INTERACTIVE},
    {"exec", required_argument, NULL, OPT_EXEC},
    {"version", no_argument, NULL, OPT_VERSION},
    {"allow-unsafe-plugins", no_argument, NULL, OPT_ALLOW_UNSAFE_PLUGINS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int remember(struct cli *c, const char *stage, const char *key,
		    const char *value)
{
	if (c->setting_count == sizeof(c->settings) / sizeof(c->settings[0]))
		return usage_error("too many settings (%s)", value);
	c->settings[c->setting_count++] =
	    (struct setting){.stage = stage, .key = key, .value = value};
	return 0;
}

static int shortcut(struct cli *c, const char *key, const char *value)
{
	return remember(c, "resolve-request", key, value);
}

/* A path given on the command line is relative to the current directory,
 * as with every shell tool, never to the workspace. @maybe_name: a value
 * without '/' that names no file is a name (`--rootfs alpine`). */
static int path_shortcut(struct cli *c, const char *key, const char *value,
			 bool maybe_name)
{
	char cwd[PATH_MAX], *abs;

	if (!value[0] || value[0] == '/' || strstr(value, "${") ||
	    (maybe_name && !strchr(value, '/') && access(value, F_OK) != 0) ||
	    c->owned_count == sizeof(c->owned) / sizeof(c->owned[0]) ||
	    !getcwd(cwd, sizeof(cwd)))
		return shortcut(c, key, value);
	if (asprintf(&abs, "%s/%s", cwd, value) < 0)
		return usage_error("out of memory (%s)", value);
	c->owned[c->owned_count++] = abs;
	return shortcut(c, key, abs);
}

static int add_report(struct cli *c, const char *spec)
{
	const char *eq = strchr(spec, '=');

	if (!eq || eq == spec || !eq[1])
		return usage_error("--report %s: expected json=PATH or "
				   "junit=PATH",
				   spec);
	if (c->report_count == sizeof(c->reports) / sizeof(c->reports[0]))
		return usage_error("too many --report options (%s)", spec);
	if (strncmp(spec, "json=", 5) != 0 && strncmp(spec, "junit=", 6) != 0)
		return usage_error(
		    "--report %s: the formats are json and junit", spec);
	c->reports[c->report_count].format =
	    strncmp(spec, "json", 4) == 0 ? "json" : "junit";
	c->reports[c->report_count].path = eq + 1;
	c->report_count++;
	return 0;
}

/* An option getopt does not know, with the closest one it does. */
static int unknown_option(const char *arg, int short_opt)
{
	char name[64];
	const char *best = NULL;
	size_t best_d = 4;

	if (short_opt && arg[1] != '-') {
		fprintf(stderr, "bootpipe: unknown option `-%c`\n", short_opt);
		fprintf(stderr, "run `bootpipe --help` for usage\n");
		return EXIT_USAGE;
	}
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="),
		 arg + 2);
	for (const struct option *o = long_options; o->name; o++) {
		size_t d = bp_edit_distance(name, o->name);

		if (d < best_d) {
			best_d = d;
			best = o->name;
		}
	}
	fprintf(stderr, "bootpipe: unknown option `--%s`", name);
	if (best)
		fprintf(stderr, "; did you mean `--%s`?", best);
	fprintf(stderr, "\nrun `bootpipe --help` for usage\n");
	return EXIT_USAGE;
}

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt, rc = 0;

	opterr = 0; /* the messages below name the closest option */
	while (rc == 0 && (opt = getopt_long(argc, argv, ":qvh", long_options,
					     NULL)) != -1) {
		if (opt >= OPT_SET && opt <= OPT_ALLOW_UNSAFE_PLUGINS &&
		    opt != OPT_VERSION)
			c->given |= OPT_BIT(opt);
		switch (opt) {
		case OPT_SET:
			rc = remember(c, NULL, NULL, optarg);
			break;
		case OPT_DRY_RUN:
			c->dry_run = true;
			break;
		case OPT_REPORT:
			rc = add_report(c, optarg);
			break;
		case OPT_LOG_FORMAT:
			if (strcmp(optarg, "json") == 0)
				c->json_log = true;
			else if (strcmp(optarg, "text") != 0)
				rc = usage_error("--log-format %s: use text or "
						 "json",
						 optarg);
			break;
		case 'q':
			c->quiet = true;
			break;
		case 'v':
			c->verbosity++;
			break;
		case OPT_PLUGIN_DIR:
			if (c->plugin_dir_count == 32)
				rc = usage_error("too many --plugin-dir (%s)",
						 optarg);
			else
				c->plugin_dirs[c->plugin_dir_count++] = optarg;
			break;
		case OPT_WORKSPACE:
			c->workspace = optarg;
			break;
		case OPT_PIPELINE:
			c->pipeline_opt = optarg;
			break;
		case OPT_STORE:
			c->store = optarg;
			break;
		case OPT_REMOTE:
			c->remote = true;
			break;
		case OPT_SHARD:
			c->shard = optarg;
			break;
		case OPT_UNTIL:
			c->until = optarg;
			break;
		case OPT_ARCH:
			rc = shortcut(c, "arch", optarg);
			break;
		case OPT_KERNEL:
			rc = path_shortcut(c, "kernel", optarg, false);
			break;
		case OPT_VMCONFIG:
			rc = path_shortcut(c, "vmconfigs", optarg, false);
			break;
		case OPT_QEMU_CONFIG:
			rc = path_shortcut(c, "qemu_config", optarg, false);
			break;
		case OPT_ROOTFS:
			rc = path_shortcut(c, "rootfs", optarg, true);
			break;
		case OPT_FLOW:
			rc = shortcut(c, "flow", optarg);
			break;
		case OPT_DEBUG:
			rc = shortcut(c, "debug", "true");
			break;
		case OPT_INTERACTIVE:
			rc = remember(c, "launch", "keep_running", "true");
			break;
		case OPT_EXEC:
			rc = remember(c, "launch", "exec", optarg);
			break;
		case OPT_ALLOW_UNSAFE_PLUGINS:
			c->allow_unsafe_plugins = true;
			break;
		case OPT_VERSION:
			printf("bootpipe %s (plugin ABI %d.%d)\n", bp_version(),
			       BP_ABI_MAJOR, BP_ABI_MINOR);
			exit(0);
		case 'h':
			print_help(c->command);
			exit(0);
		case ':':
			return usage_error("option `%s` needs a value",
					   argv[optind - 1]);
		case '?':
			return unknown_option(argv[optind - 1], optopt);
		default:
			return EXIT_USAGE;
		}
	}
	if (rc < 0)
		return EXIT_USAGE;
	c->args = argv + optind;
	c->arg_count = argc - optind;
	return rc;
}

/* Applies the command line to @e; 0 or an exit code. */
static int configure_engine(struct cli *c, struct bp_engine *e)
{
	int rc = 0;

	bp_engine_set_dry_run(e, c->dry_run);
	bp_engine_set_allow_unsafe_plugins(e, c->allow_unsafe_plugins);
	bp_engine_set_quiet(e, c->quiet);
	bp_engine_set_log_json(e, c->json_log);
	if (c->json_log)
		bp_engine_set_log_sink(e, bp_log_sink_json, NULL);
	if (c->verbosity)
		bp_engine_set_log_level(e, BP_LOG_DEBUG);
	for (size_t i = 0; i < c->plugin_dir_count && rc == 0; i++)
		rc = bp_engine_add_plugin_dir(e, c->plugin_dirs[i]);
	if (rc == 0 && c->workspace)
		rc = bp_engine_set_workspace(e, c->workspace);
	for (size_t i = 0; i < c->setting_count && rc == 0; i++) {
		const struct setting *s = &c->settings[i];

		rc = s->stage
			 ? bp_engine_set_option(e, s->stage, s->key, s->value)
			 : bp_engine_set_assignment(e, s->value);
	}
	if (rc) {
		fprintf(stderr, "bootpipe: %s\n",
			bp_engine_error(e)[0] ? bp_engine_error(e)
					      : bp_strerror(rc));
		return EXIT_USAGE;
	}
	return 0;
}

static int configure(struct cli *c)
{
	return configure_engine(c, c->engine);
}

/* The bundled demo, found relative to this executable so that the build
 * tree and an installed tree both work. */
static char *default_pipeline(void)
{
	const char *env = getenv("BOOTPIPE_DEFAULT_PIPELINE");
	char *share, *path;

	if (env && env[0])
		return strdup(env);
	share = cli_share_dir();
	if (!share)
		return NULL;
	if (asprintf(&path, "%s%s", share, DEMO_PIPELINE) < 0)
		path = NULL;
	free(share);
	return path;
}

/* --workspace names the one workspace: the demo's is not needed then. */
static int prepare_demo(const struct cli *c, const char *pipeline)
{
	return c->workspace ? 0 : cli_demo_prepare(pipeline);
}

static void print_plan(struct bp_engine *e)
{
	const char *const *argv;
	size_t count;
	char *line;

	if (bp_ctx_get_list(bp_engine_ctx(e), BP_KEY_QEMU_ARGV, &argv,
			    &count) != 0) {
		bp_engine_log(e, BP_LOG_INFO,
			      "plan complete; no stage produced a QEMU "
			      "command");
		return;
	}
	line = bp_shell_join(argv, count);
	if (line)
		printf("%s\n", line);
	free(line);
}

static int write_reports(struct cli *c)
{
	int rc = 0;

	for (size_t i = 0; i < c->report_count; i++) {
		if (bp_engine_write_report(c->engine, c->reports[i].format,
					   c->reports[i].path) != 0) {
			fprintf(stderr, "bootpipe: %s\n",
				bp_engine_error(c->engine));
			rc = BP_OUTCOME_INFRA;
		}
	}
	return rc;
}

static int load(struct cli *c, const char *pipeline)
{
	int rc;

	if (c->until && bp_engine_set_stop_after(c->engine, c->until))
		return BP_OUTCOME_INFRA;
	rc = bp_engine_load(c->engine, pipeline);
	if (rc) {
		fprintf(stderr, "bootpipe: %s\n", bp_engine_error(c->engine));
		write_reports(c);
		return (int)bp_outcome_from_status(rc);
	}
	return 0;
}

static int finish_run(struct cli *c, int outcome)
{
	struct bp_engine *e = c->engine;
	const char *verdict =
	    bp_ctx_str_or(bp_engine_ctx(e), BP_KEY_RUN_VERDICT, NULL);
	int64_t status;
	int rc, code;

	if (bp_engine_error(e)[0] && outcome != BP_OUTCOME_PASS)
		fprintf(stderr, "bootpipe: %s\n", bp_engine_error(e));
	rc = write_reports(c);
	if (c->dry_run)
		return outcome == BP_OUTCOME_PASS && rc ? rc : outcome;
	code = outcome == BP_OUTCOME_PASS && rc ? rc : outcome;
	/* --exec: the command's status, once the command has run */
	if ((outcome == BP_OUTCOME_PASS || outcome == BP_OUTCOME_FAIL) && !rc &&
	    bp_ctx_get_int(bp_engine_ctx(e), BP_KEY_RUN_EXEC_STATUS, &status) ==
		0) {
		c->exec_outcome = outcome;
		code = (int)status;
	}
	if (outcome == BP_OUTCOME_PASS)
		bp_engine_log(e, BP_LOG_INFO, "%s: PASS%s%s",
			      bp_engine_pipeline_name(e), verdict ? ": " : "",
			      verdict ? verdict : "");
	else
		bp_engine_log(e, BP_LOG_ERROR, "%s: FAIL (%s, exit %d)%s%s",
			      bp_engine_pipeline_name(e),
			      bp_outcome_name((enum bp_outcome)outcome), code,
			      verdict ? ": " : "", verdict ? verdict : "");
	return code;
}

/* Each --report path can be written, checked before anything runs. */
static int check_reports(const struct cli *c)
{
	for (size_t i = 0; i < c->report_count; i++) {
		int rc = cli_report_check("bootpipe", c->reports[i].format,
					  c->reports[i].path);

		if (rc)
			return rc;
	}
	return 0;
}

/* -v: how long each stage took, after the run. */
static void log_durations(struct cli *c)
{
	struct bp_engine *e = c->engine;

	if (!c->verbosity)
		return;
	for (size_t i = 0; i < bp_engine_stage_count(e); i++) {
		struct bp_stage *st = bp_engine_stage_at(e, i);

		bp_engine_log(e, BP_LOG_INFO, "stage %s: %.3f s",
			      bp_stage_name(st), bp_stage_duration(st));
	}
}

/* A config error found before the pipeline loads, already on stderr:
 * each --report still gets written, so CI's report reader gets a case
 * with the reason rather than no file. EXIT_USAGE. */
static int early_error(struct cli *c, const char *fmt, ...) BP_PRINTF(2, 3);
static int early_error(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	char *why; /* first: an argument may be the engine's own message */
	int n;

	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	bp_engine_fail(c->engine, BP_ECONFIG, "%s", n < 0 ? "" : why);
	if (n >= 0)
		free(why);
	write_reports(c);
	return EXIT_USAGE;
}

static int cmd_run(struct cli *c)
{
	char *fallback = NULL, *why = NULL;
	const char *pipeline;
	int rc;

	rc = check_reports(c);
	if (rc)
		return rc;
	if (c->arg_count > 1) {
		usage_error("%s takes one pipeline file", c->command);
		return early_error(c, "more than one pipeline file given");
	}
	if (c->arg_count == 1) {
		rc = cli_pipeline_resolve(c->args[0], c->workspace, &fallback,
					  &why);
		if (rc) {
			rc = early_error(c, "%s",
					 why ? why : "no such pipeline");
			free(why);
			return rc;
		}
		pipeline = fallback;
	} else {
		fallback = default_pipeline();
		if (!fallback || access(fallback, R_OK) != 0) {
			fprintf(stderr,
				"bootpipe: no pipeline given and the bundled "
				"demo (%s) is missing; pass a pipeline file\n",
				fallback ? fallback : "?");
			free(fallback);
			return early_error(c, "no pipeline given and the "
					      "bundled demo is missing");
		}
		pipeline = fallback;
	}
	rc = configure(c);
	if (rc)
		rc = early_error(c, "%s", bp_engine_error(c->engine));
	else if (prepare_demo(c, pipeline) != 0)
		rc = early_error(c, "cannot prepare the demo's workspace");
	if (rc == 0)
		rc = load(c, pipeline);
	free(fallback);
	if (rc)
		return rc;
	bp_engine_run(c->engine);
	rc = (int)bp_engine_outcome(c->engine);
	log_durations(c);
	if (c->dry_run && rc == BP_OUTCOME_PASS)
		print_plan(c->engine);
	return finish_run(c, rc);
}

/* True when the pipeline is checked against a workspace: --workspace,
 * [pipeline] workspace, or one found from here. In the user's fallback
 * workspace the files a pipeline names relative to its workspace are not
 * there to read. */
static bool check_has_workspace(const struct cli *c, struct bp_engine *e)
{
	const char *ws = bp_ctx_str_or(bp_engine_ctx(e), BP_KEY_WORKSPACE, "");
	char *fallback;
	bool yes;

	if (c->workspace)
		return true;
	fallback = bp_default_user_workspace();
	yes = !fallback || strcmp(ws, fallback) != 0;
	free(fallback);
	return yes;
}

/* The files the stages read (the QEMU config, the build config, axbuild's
 * state, the vmconfigs): the pipeline in plan mode with run.check, where
 * each stage checks what it reads without a kernel or a rootfs. The
 * outcome. */
static int check_files(struct bp_engine *e)
{
	if (bp_ctx_set_bool(bp_engine_ctx(e), BP_KEY_RUN_CHECK, true) != 0)
		return BP_OUTCOME_INFRA;
	bp_engine_run(e);
	return (int)bp_engine_outcome(e);
}

static int cmd_check(struct cli *c)
{
	int worst = 0, rc;

	if (c->arg_count == 0)
		return usage_error("%s needs at least one pipeline file",
				   c->command);
	for (int i = 0; i < c->arg_count; i++) {
		struct bp_engine *e;
		char *path;

		if (cli_pipeline_resolve(c->args[i], c->workspace, &path,
					 NULL)) {
			worst = EXIT_USAGE;
			continue;
		}
		/* a lint of every pipeline file passes over the shared parts */
		if (cli_pipeline_include_only(path)) {
			printf("%s: include-only, skipped\n", c->args[i]);
			free(path);
			continue;
		}
		e = bp_engine_new();
		if (!e) {
			free(path);
			return BP_OUTCOME_INFRA;
		}
		c->dry_run = true;
		c->quiet = true;
		if (configure_engine(c, e) != 0) {
			bp_engine_free(e);
			free(path);
			return EXIT_USAGE;
		}
		/* warnings too: an unknown key in a QEMU config is one */
		bp_engine_set_log_level(e, BP_LOG_WARN);
		if (prepare_demo(c, path) != 0) {
			worst = EXIT_USAGE;
		} else if (bp_engine_load(e, path) != 0) {
			fprintf(stderr, "%s\n", bp_engine_error(e));
			worst = EXIT_USAGE;
		} else if (!check_has_workspace(c, e)) {
			printf("%s: ok (%s, %zu stages; no workspace, so the "
			       "files it names were not read)\n",
			       c->args[i], bp_engine_pipeline_name(e),
			       bp_engine_stage_count(e));
		} else if ((rc = check_files(e)) != 0) {
			/* which file: the stage's message may not say */
			fprintf(stderr, "%s: %s\n", c->args[i],
				bp_engine_error(e));
			if (!worst)
				worst = rc;
		} else {
			printf("%s: ok (%s, %zu stages)\n", c->args[i],
			       bp_engine_pipeline_name(e),
			       bp_engine_stage_count(e));
		}
		bp_engine_free(e);
		free(path);
	}
	return worst;
}

static int print_stage(void *user, const char *path, const struct bp_plugin *p,
		       const char *error)
{
	(void)user;
	if (p)
		printf("%-18s %-8s %s\n", p->name, p->version,
		       p->summary ? p->summary : "");
	else
		fprintf(stderr, "bootpipe: skipped %s: %s\n", path, error);
	return 0;
}

static int cmd_stages(struct cli *c)
{
	if (c->arg_count > 0)
		return usage_error("stages takes no argument (%s); describe "
				   "STAGE shows one",
				   c->args[0]);
	if (configure(c))
		return EXIT_USAGE;
	if (bp_engine_foreach_plugin(c->engine, print_stage, NULL) == 0)
		return 0;
	/* e.g. a relative BOOTPIPE_PLUGIN_PATH entry: say which and why */
	fprintf(stderr, "bootpipe: %s\n", bp_engine_error(c->engine));
	return BP_OUTCOME_INFRA;
}

static const char *opt_type_word(enum bp_opt_type t)
{
	switch (t) {
	case BP_OPT_STR:
		return "string";
	case BP_OPT_INT:
		return "int";
	case BP_OPT_BOOL:
		return "bool";
	case BP_OPT_LIST:
		return "list";
	case BP_OPT_ENUM:
		return "enum";
	}
	return "?";
}

static void print_keys(const char *title, const char *const *keys)
{
	printf("%s:", title);
	if (!keys || !keys[0])
		printf(" (none)");
	for (; keys && *keys; keys++)
		printf(" %s", *keys);
	printf("\n");
}

struct closest_stage {
	const char *want;
	char name[64];
	size_t d;
	bool exists; /* a file of that name, valid or not */
};

static int closest_stage(void *user, const char *path,
			 const struct bp_plugin *p, const char *error)
{
	struct closest_stage *b = user;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t len = strcspn(base, ".");
	char name[64];
	size_t d;

	(void)error;
	snprintf(name, sizeof(name), "%.*s", (int)len, p ? p->name : base);
	if (strcmp(name, b->want) == 0)
		b->exists = true;
	d = bp_edit_distance(b->want, name);
	if (d < b->d) {
		b->d = d;
		snprintf(b->name, sizeof(b->name), "%s", name);
	}
	return 0;
}

static int cmd_describe(struct cli *c)
{
	const struct bp_plugin *p;
	const char *path;

	if (c->arg_count != 1)
		return usage_error("%s takes one stage name", c->command);
	if (configure(c))
		return EXIT_USAGE;
	if (bp_engine_find_plugin(c->engine, c->args[0], &p, &path) != 0) {
		struct closest_stage best = {.want = c->args[0], .d = 4};

		bp_engine_foreach_plugin(c->engine, closest_stage, &best);
		fprintf(stderr, "bootpipe: %s\n", bp_engine_error(c->engine));
		/* no such stage at all: a typo on the command line */
		if (!best.exists) {
			if (best.name[0])
				fprintf(stderr,
					"bootpipe: no stage `%s`; did you "
					"mean `%s`?\n",
					c->args[0], best.name);
			fprintf(stderr, "run `bootpipe stages` for the "
					"stages\n");
			return EXIT_USAGE;
		}
		return BP_OUTCOME_INFRA;
	}
	printf("%s %s: %s\n  file: %s\n\n", p->name, p->version,
	       p->summary ? p->summary : "", path);
	printf("options:\n");
	for (const struct bp_option *o = p->options; o && o->key; o++) {
		printf("  %-20s %-6s %s%s\n", o->key, opt_type_word(o->type),
		       o->help ? o->help : "",
		       o->flags & BP_OPT_REQUIRED ? " (required)" : "");
		if (o->type == BP_OPT_ENUM && o->choices)
			printf("  %-20s        one of: %s\n", "", o->choices);
		if (o->default_value)
			printf("  %-20s        default: %s\n", "",
			       o->default_value);
	}
	printf("\n");
	print_keys("requires", p->needs);
	print_keys("provides", p->provides);
	return 0;
}

static int cmd_replay(struct cli *c)
{
	char *path, *log, *why = NULL;
	int rc, code;

	rc = check_reports(c);
	if (rc)
		return rc;
	if (c->arg_count != 2) {
		usage_error("%s takes a pipeline file and a console log",
			    c->command);
		return early_error(c, "replay takes a pipeline file and a "
				      "console log");
	}
	/* a log that is not there is a mistake on the command line */
	log = realpath(c->args[1], NULL);
	if (!log) {
		fprintf(stderr, "bootpipe: replay: console log %s: %s\n",
			c->args[1], strerror(errno));
		return early_error(c, "replay: console log %s: %s", c->args[1],
				   strerror(errno));
	}
	/* every stage plans only; launch matches the log instead of QEMU */
	c->dry_run = true;
	rc = configure(c) ? early_error(c, "%s", bp_engine_error(c->engine))
	     : bp_ctx_set_str(bp_engine_ctx(c->engine), BP_KEY_RUN_REPLAY_LOG,
			      log) != 0
		 ? BP_OUTCOME_INFRA
		 : 0;
	free(log);
	if (rc)
		return rc;
	rc = cli_pipeline_resolve(c->args[0], c->workspace, &path, &why);
	if (rc) {
		rc = early_error(c, "%s", why ? why : "no such pipeline");
		free(why);
		return rc;
	}
	rc = prepare_demo(c, path) != 0
		 ? early_error(c, "cannot prepare the demo's workspace")
		 : load(c, path);
	free(path);
	if (rc)
		return rc;
	bp_engine_run(c->engine);
	rc = (int)bp_engine_outcome(c->engine);
	if (bp_engine_error(c->engine)[0] && rc != BP_OUTCOME_PASS)
		fprintf(stderr, "bootpipe: %s\n", bp_engine_error(c->engine));
	code = write_reports(c);
	return rc == BP_OUTCOME_PASS && code ? code : rc;
}

/* The demo's per-user workspace, unless --workspace names one. */
static bool image_workspace_given;

static int image_prepare(const char *pipeline)
{
	return image_workspace_given ? 0 : cli_demo_prepare(pipeline);
}

static int cmd_image(struct cli *c)
{
	char *fallback = default_pipeline(), *named = NULL;
	struct cli_image_opts o = {.workspace = c->workspace,
				   .store = c->store,
				   .default_pipeline = fallback,
				   .prepare = image_prepare,
				   .dry_run = c->dry_run,
				   .remote = c->remote};
	int rc = EXIT_USAGE;

	image_workspace_given = c->workspace != NULL;
	if (c->pipeline_opt)
		rc = cli_pipeline_resolve(c->pipeline_opt, c->workspace, &named,
					  NULL);
	o.pipeline = named;
	if ((!c->pipeline_opt || named) && configure(c) == 0)
		rc = cli_image(c->engine, c->args, c->arg_count, &o);
	free(named);
	free(fallback);
	return rc;
}

static int cmd_pipelines(struct cli *c)
{
	return cli_pipelines_list(c->args, c->arg_count, c->workspace);
}

static int cmd_matrix(struct cli *c)
{
	return cli_matrix(c->args, c->arg_count, c->shard);
}

static const struct {
	const char *name;
	int (*fn)(struct cli *c);
	unsigned uses; /* OPT_BITs; --log-format, -q, -v, -h: all */
} commands[] = {
    {"run", cmd_run, RUN_OPTS},
    {"plan", cmd_run, RUN_OPTS},
    {"check", cmd_check,
     RUN_OPTS & ~(OPT_BIT(OPT_REPORT) | OPT_BIT(OPT_UNTIL))},
    {"stages", cmd_stages, PLUGIN_OPTS},
    {"describe", cmd_describe, PLUGIN_OPTS},
    {"replay", cmd_replay, RUN_OPTS},
    {"image", cmd_image,
     ~0u & ~(OPT_BIT(OPT_REPORT) | OPT_BIT(OPT_UNTIL) | OPT_BIT(OPT_SHARD))},
    {"pipelines", cmd_pipelines, OPT_BIT(OPT_WORKSPACE)},
    {"matrix", cmd_matrix, OPT_BIT(OPT_SHARD)},
};

/* An option the command would silently ignore is a mistake. */
static int unused_option(const struct cli *c, unsigned uses)
{
	unsigned extra = c->given & ~uses & ~OPT_BIT(OPT_LOG_FORMAT);

	for (const struct option *o = long_options; extra && o->name; o++) {
		if (o->val >= OPT_SET && (extra & OPT_BIT(o->val))) {
			fprintf(stderr,
				"bootpipe: `%s` does not use `--%s`; run "
				"`bootpipe help %s` for its options\n",
				c->command, o->name, c->command);
			return EXIT_USAGE;
		}
	}
	return 0;
}

/* Whether argv asks for JSON log lines, before anything is parsed, so even
 * a usage error is one. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--log-format=json") == 0 ||
		    (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "json") == 0))
			return true;
	}
	return false;
}

/* Whether @arg ("--name" or "--name=value") is a long option. */
static bool known_option(const char *arg)
{
	size_t n = strcspn(arg + 2, "=");

	for (const struct option *o = long_options; o->name; o++)
		if (strlen(o->name) == n && strncmp(o->name, arg + 2, n) == 0)
			return true;
	return false;
}

/* Whether the long option @arg ("--name" or "--name=value") takes its
 * value from the next argument. */
static bool takes_next(const char *arg)
{
	if (arg[0] != '-' || arg[1] != '-' || strchr(arg, '='))
		return false;
	for (const struct option *o = long_options; o->name; o++)
		if (strcmp(o->name, arg + 2) == 0)
			return o->has_arg == required_argument;
	return false;
}

/* The index of the command word: the first argument that is neither an
 * option nor an option's value, so global options may come first
 * (`bootpipe -v plan`). 0 when there is none. */
static int command_index(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc ? i + 1 : 0;
		if (argv[i][0] != '-' || !argv[i][1])
			return i;
		if (takes_next(argv[i]))
			i++;
	}
	return 0;
}

static bool known_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return true;
	return strcmp(name, "test") == 0 || strcmp(name, "help") == 0;
}

static int unknown_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		size_t d = bp_edit_distance(name, commands[i].name);

		if (d < best_d) {
			best_d = d;
			best = commands[i].name;
		}
	}
	if (bp_edit_distance(name, "test") < best_d)
		best = "test";
	fprintf(stderr, "bootpipe: unknown command `%s`", name);
	if (best)
		fprintf(stderr, "; did you mean `%s`?", best);
	fprintf(stderr, "\nrun `bootpipe --help` for the commands\n");
	return EXIT_USAGE;
}

/* --log-format json: the end line says how the command ended. */
static void end_line(struct cli *c, int rc)
{
	struct bp_engine *e = c->engine;
	const char *verdict =
	    e ? bp_ctx_str_or(bp_engine_ctx(e), BP_KEY_RUN_VERDICT, NULL)
	      : NULL;
	const char *error = e ? bp_engine_error(e) : "";
	const char *name = e ? bp_engine_pipeline_name(e) : "";
	const char *outcome = bp_outcome_name(
	    (enum bp_outcome)(c->exec_outcome ? c->exec_outcome : rc));
	char message[512];

	if (name && name[0] && rc == 0)
		snprintf(message, sizeof(message), "%s: PASS", name);
	else if (name && name[0])
		snprintf(message, sizeof(message), "%s: FAIL (%s, exit %d)",
			 name, outcome, rc);
	else if (c->command)
		snprintf(message, sizeof(message), "bootpipe %s: %s, exit %d",
			 c->command, outcome, rc);
	else
		snprintf(message, sizeof(message), "bootpipe: %s, exit %d",
			 outcome, rc);
	cli_jsonlog_end(rc, outcome, message,
			rc == 0		    ? verdict
			: error && error[0] ? error
					    : verdict);
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	char **rest;
	int rc, at;

	if (wants_json(argc, argv) && cli_jsonlog_start() == 0)
		atexit(cli_jsonlog_stop);
	at = command_index(argc, argv);
	if (at == 0) {
		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], "--version") == 0) {
				printf("bootpipe %s (plugin ABI %d.%d)\n",
				       bp_version(), BP_ABI_MAJOR,
				       BP_ABI_MINOR);
				return 0;
			}
			if (strcmp(argv[i], "-h") == 0 ||
			    strcmp(argv[i], "--help") == 0) {
				print_help(NULL);
				return 0;
			}
		}
		/* `bootpipe --verison`: the closest option, not "no command" */
		for (int i = 1; i < argc; i++) {
			if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] &&
			    !known_option(argv[i])) {
				rc = unknown_option(argv[i], 0);
				end_line(&c, rc);
				return rc;
			}
		}
		rc = usage_error("%s", "no command given");
		end_line(&c, rc);
		return rc;
	}
	c.command = argv[at];
	if (strcmp(c.command, "help") == 0) {
		if (at + 2 < argc) {
			rc = usage_error("help takes one command (%s)",
					 argv[at + 2]);
		} else if (at + 1 < argc && !known_command(argv[at + 1])) {
			rc = unknown_command(argv[at + 1]);
		} else {
			print_help(at + 1 < argc ? argv[at + 1] : NULL);
			rc = 0;
		}
		end_line(&c, rc);
		return rc;
	}
	if (!known_command(c.command)) {
		rc = unknown_command(c.command);
		end_line(&c, rc);
		return rc;
	}
	/* the command word first, then every other argument in order */
	rest = malloc((size_t)argc * sizeof(*rest));
	if (!rest)
		return BP_OUTCOME_INFRA;
	rest[0] = argv[at];
	for (int i = 1, j = 1; i < argc; i++)
		if (i != at)
			rest[j++] = argv[i];
	/* `test` runs many engines and parses its own options */
	if (strcmp(c.command, "test") == 0) {
		rc = cli_test(argc - 1, rest);
		free(rest);
		end_line(&c, rc);
		return rc;
	}
	c.engine = bp_engine_new();
	if (!c.engine) {
		free(rest);
		fprintf(stderr, "bootpipe: out of memory\n");
		return BP_OUTCOME_INFRA;
	}
	bp_install_signal_handlers();
	rc = parse_args(&c, argc - 1, rest);
	if (rc == 0) {
		if (strcmp(c.command, "plan") == 0)
			c.dry_run = true;
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]);
		     i++) {
			if (strcmp(commands[i].name, c.command) != 0)
				continue;
			rc = unused_option(&c, commands[i].uses);
			if (rc == 0)
				rc = commands[i].fn(&c);
		}
	}
	end_line(&c, rc);
	bp_engine_free(c.engine);
	for (size_t i = 0; i < c.owned_count; i++)
		free(c.owned[i]);
	free(rest);
	return rc;
}
