/* closeloop.c — global options, the command table, dispatch, exit status. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"

extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_lint_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_sync_entry;
extern const struct cmd_entry cmd_done_entry;
extern const struct cmd_entry cmd_reopen_entry;
extern const struct cmd_entry cmd_forget_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_nag_entry;
extern const struct cmd_entry cmd_drill_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_help_entry;

/* The command table, in the order `closeloop --help` lists them. */
static const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_import_entry,
	&cmd_lint_entry,
	&cmd_list_entry,
	&cmd_show_entry,
	&cmd_done_entry,
	&cmd_reopen_entry,
	&cmd_forget_entry,
	&cmd_sync_entry,
	&cmd_report_entry,
	&cmd_nag_entry,
	&cmd_drill_entry,
	&cmd_run_entry,
	&cmd_status_entry,
	&cmd_help_entry,
	NULL
};

static const char *global_help =
	"usage: closeloop [-c CONFIG] [-d DATABASE] [-q | -v] COMMAND [ARGS]\n"
	"\n"
	"closeloop makes post-mortem action items get done: it imports them from\n"
	"Markdown post-mortems, lints them, syncs them with the issue tracker,\n"
	"reports and nags, and schedules the DR drill that verifies the fix.\n"
	"\n"
	"global options:\n"
	"  -c, --config FILE    configuration file (default: $CLOSELOOP_CONFIG,\n"
	"                       $XDG_CONFIG_HOME/closeloop/config (~/.config/...),\n"
	"                       /etc/closeloop/config)\n"
	"  -d, --database FILE  database (default: [closeloop] database, else\n"
	"                       $XDG_DATA_HOME/closeloop/closeloop.db)\n"
	"  -q, --quiet          only errors\n"
	"  -v, --verbose        say more (repeat for HTTP/SMTP traces, secrets redacted)\n"
	"  -h, --help           this help; 'closeloop help COMMAND' for a command\n"
	"  -V, --version        print the version\n"
	"\n"
	"commands:\n";

static const char *exit_help =
	"\n"
	"exit status: 0 ok, 1 problems found, 64 usage, 65 bad input data,\n"
	"66 missing input, 69 service unavailable, 70 internal error, 71 out of memory,\n"
	"73 cannot write, 75 temporary failure (retry later), 77 permission\n"
	"denied (authentication), 78 configuration error.\n"
	"environment: CLOSELOOP_NOW=2024-03-20T09:00:00Z fixes the clock.\n"
	"See closeloop(1) and closeloop.conf(5).\n";

/* Prints the global help with the command list. */
static void
print_global_help(FILE *f)
{
	size_t i;

	fputs(global_help, f);
	for (i = 0; cmd_table[i]; i++)
		fprintf(f, "  %-10s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fputs(exit_help, f);
}

void
cmd_print_help(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: closeloop %s%s%s\n\n%s\n", cmd->name, *cmd->usage ? " " : "",
	        cmd->usage, cmd->summary);
	if (cmd->help && *cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

/* Finds a command by exact name or unique prefix (tmux style). */
static const struct cmd_entry *
cmd_find(const char *name, struct cl_error *err)
{
	const struct cmd_entry *found = NULL;
	char list[512] = "";
	size_t i, len = strlen(name);
	int matches = 0;

	for (i = 0; cmd_table[i]; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0)
			return cmd_table[i];
		if (strncmp(cmd_table[i]->name, name, len) == 0) {
			found = cmd_table[i];
			matches++;
			if (*list)
				strncat(list, ", ", sizeof list - strlen(list) - 1);
			strncat(list, cmd_table[i]->name, sizeof list - strlen(list) - 1);
		}
	}
	if (matches == 1)
		return found;
	if (matches > 1)
		cl_error_set(err, CL_EUSAGE, "ambiguous command: %s, could be: %s", name, list);
	else
		cl_error_set(err, CL_EUSAGE, "unknown command: %s (see 'closeloop --help')", name);
	return NULL;
}

int
cmd_usage_error(struct cl_ctx *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cl_error_set(&ctx->err, CL_EUSAGE, "%s\nusage: closeloop %s %s", msg,
	                    ctx->cmd->name, ctx->cmd->usage);
}

static int ctx_open_store(struct cl_ctx *ctx);

int
cmd_getopt(struct cl_ctx *ctx, int argc, char **argv, const char *shortopts,
           const struct option *longopts, int *index)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, shortopts, longopts, index);
	/* options parsed without a usage error: now open what the command needs */
	if (c == -1 && ctx_open_store(ctx) != 0)
		return -2;
	if (c == '?') {
		if (optopt)
			cmd_usage_error(ctx, "unknown or incomplete option '-%c'", optopt);
		else
			cmd_usage_error(ctx, "unknown or incomplete option '%s'", argv[optind - 1]);
		return -2;
	}
	if (c == ':') {
		cmd_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
		return -2;
	}
	return c;
}

void
cmd_info(struct cl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbosity < 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void
cmd_verbose(struct cl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->verbosity < 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

int
cmd_print_json(struct cl_ctx *ctx, void *json)
{
	int rc;

	if (json == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory building JSON");
	rc = json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(json);
	fputc('\n', stdout);
	return rc == 0 ? 0 : cl_error_set(&ctx->err, CL_ECANTCREAT, "unable to write output");
}

/* help [COMMAND] */
static int
cmd_help_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *cmd;

	if (argc < 2) {
		print_global_help(stdout);
		return 0;
	}
	if ((cmd = cmd_find(argv[1], &ctx->err)) == NULL)
		return ctx->err.code;
	cmd_print_help(cmd, stdout);
	return 0;
}

const struct cmd_entry cmd_help_entry = {
	"help", "[COMMAND]", "show the help of closeloop or of one command", "", CMD_NO_CONFIG,
	cmd_help_exec
};

/* [closeloop] today (tests and demos): fixes the clock unless CLOSELOOP_NOW
 * does already; a bare date means noon UTC. */
static int
config_clock(struct cl_ctx *ctx)
{
	const char *today = cl_config_get(ctx->cfg, "closeloop", "today");
	const char *env = getenv("CLOSELOOP_NOW");
	char buf[64];
	time_t t;

	if (today == NULL || *today == '\0' || (env != NULL && *env))
		return 0;
	snprintf(buf, sizeof buf, strlen(today) == 10 ? "%sT12:00:00Z" : "%s", today);
	if (cl_time_parse(buf, &t) != 0)
		return cl_error_set(&ctx->err, CL_ECONFIG, "%s:%d: [closeloop] today = '%s' is not "
		                    "a date like 2024-03-20", cl_config_path(ctx->cfg),
		                    cl_config_line(ctx->cfg, "closeloop", "today"), today);
	setenv("CLOSELOOP_NOW", buf, 1);
	return 0;
}

/* Loads the config; the database is opened once options are parsed. */
static int
ctx_prepare(struct cl_ctx *ctx, const char *config_path)
{
	int rc;

	if ((rc = cl_clock_check(&ctx->err)) != 0)
		return rc;
	if (ctx->cmd->flags & CMD_NO_CONFIG)
		ctx->cfg = cl_config_new();
	else if ((rc = cl_config_load(&ctx->cfg, config_path, &ctx->err)) != 0)
		return rc;
	if (ctx->cfg == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	if ((rc = config_clock(ctx)) != 0)
		return rc;
	if (ctx->db_path && (rc = cl_config_set(ctx->cfg, "closeloop", "database", ctx->db_path)) != 0)
		return cl_error_set(&ctx->err, rc, "out of memory");
	return 0;
}

/* Opens the database as the command's flags ask (once). */
static int
ctx_open_store(struct cl_ctx *ctx)
{
	char *dbpath;
	int rc;

	if (ctx->store != NULL || !(ctx->cmd->flags & (CMD_NEEDS_DB | CMD_CREATES_DB)))
		return 0;
	if ((dbpath = cl_config_database_path(ctx->cfg)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	rc = cl_store_open(&ctx->store, dbpath,
	                   (ctx->cmd->flags & CMD_CREATES_DB) ? CL_STORE_CREATE : 0, &ctx->err);
	free(dbpath);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cl_ctx ctx;
	const char *config_path = NULL;
	int c, rc;

	memset(&ctx, 0, sizeof ctx);
	opterr = 0;
	/* "+": stop at the command name; its options are its own */
	while ((c = getopt_long(argc, argv, "+c:d:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'd': ctx.db_path = optarg; break;
		case 'q': ctx.verbosity = -1; break;
		case 'v': ctx.verbosity = ctx.verbosity < 0 ? 1 : ctx.verbosity + 1; break;
		case 'h': print_global_help(stdout); return 0;
		case 'V': printf("closeloop %s\n", CL_VERSION); return 0;
		default:
			fprintf(stderr, "closeloop: unknown or incomplete option '%s'\n"
			        "usage: closeloop [-c CONFIG] [-d DATABASE] [-q | -v] COMMAND [ARGS]\n",
			        argv[optind - 1]);
			return cl_exitcode(CL_EUSAGE);
		}
	}
	if (optind >= argc) {
		print_global_help(stderr);
		return cl_exitcode(CL_EUSAGE);
	}
	if ((ctx.cmd = cmd_find(argv[optind], &ctx.err)) == NULL) {
		fprintf(stderr, "closeloop: %s\n", ctx.err.msg);
		return cl_exitcode(ctx.err.code);
	}
	argc -= optind;
	argv += optind;
	/* COMMAND --help works everywhere, without config or database */
	for (c = 1; c < argc && strcmp(argv[c], "--") != 0; c++) {
		if (strcmp(argv[c], "--help") == 0 || strcmp(argv[c], "-h") == 0) {
			cmd_print_help(ctx.cmd, stdout);
			return 0;
		}
	}
	rc = ctx_prepare(&ctx, config_path);
	if (rc == 0) {
		optind = 0;	/* reset getopt for the command's own options */
		rc = ctx.cmd->exec(&ctx, argc, argv);
		/* commands that never parsed options still get their database */
		if (rc == 0 && ctx.store == NULL && ctx_open_store(&ctx) != 0)
			rc = ctx.err.code;
	}
	/* the first error recorded is the one that explains the failure */
	if (rc != 0 && ctx.err.code != 0)
		rc = ctx.err.code;
	if (rc != 0 && ctx.err.code != 0 && ctx.err.msg[0])
		fprintf(stderr, "closeloop: %s\n", ctx.err.msg);
	fflush(stdout);
	cl_store_close(ctx.store);
	cl_config_free(ctx.cfg);
	if (rc == 0 && ferror(stdout))
		return cl_exitcode(CL_ECANTCREAT);
	return cl_exitcode(rc);
}
