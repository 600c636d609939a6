/* cmd-import.c — import post-mortems from files, directories and URLs. */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"

/* Prints "path:line: code: message" for problems and "path: message" for
 * files that could not be read. Problems go to stdout, file errors to stderr. */
void cmd_print_problem(void *arg, const char *path, const struct cl_problem *p,
                       const char *msg);

void
cmd_print_problem(void *arg, const char *path, const struct cl_problem *p,
                  const char *msg)
{
	struct cl_ctx *ctx = arg;

	if (p != NULL) {
		if (ctx->verbosity >= 0 && p->line > 0)
			printf("%s:%d: %s: %s\n", cmd_tty(path), p->line, cmd_tty(p->code),
			       cmd_tty(p->message));
		else if (ctx->verbosity >= 0)	/* a page of a [source]: no lines */
			printf("%s: %s: %s\n", cmd_tty(path), cmd_tty(p->code), cmd_tty(p->message));
	} else {
		fprintf(stderr, "closeloop: %s: %s\n", cmd_tty(path), cmd_tty(msg));
	}
}

static int
cmd_import_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	struct cl_import_opts io = { 0 };
	struct cl_import_stats stats;
	int c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "nf", opts, NULL)) != -1) {
		if (c == 'n')
			io.dry_run = 1;
		else if (c == 'f')
			io.force = 1;
		else
			return CL_EUSAGE;
	}
	io.report = cmd_print_problem;
	io.report_arg = ctx;
	io.verbose = ctx->verbosity;
	rc = cl_import_sources(ctx->store, ctx->cfg, argv + optind, argc - optind, &io, &stats,
	                       &ctx->err);
	if (rc == 0 || rc == CL_EDATA)
		cmd_verbose(ctx, "%s%d files (%d parsed, %d unchanged, %d failed): %d new, "
		            "%d updated, %d withdrawn items, %d problems\n",
		            io.dry_run ? "dry run: " : "", stats.files_seen, stats.files_parsed,
		            stats.files_unchanged, stats.files_failed, stats.items_new,
		            stats.items_updated, stats.items_withdrawn, stats.problems);
	return rc;
}

const struct cmd_entry cmd_import_entry = {
	"import", "[--dry-run] [--force] [SOURCE...]",
	"import action items from post-mortems (files, directories, http(s) URLs)",
	"  SOURCE        a Markdown file, a directory (every *.md and *.markdown\n"
	"                below it, hidden entries skipped) or an\n"
	"                http(s) URL; default: [closeloop] sources\n"
	"  -n, --dry-run parse and compare; writes nothing to the database\n"
	"  -f, --force   re-parse files even when unchanged\n"
	"\n"
	"Lint problems are printed as PATH:LINE: CODE: MESSAGE. Files that cannot\n"
	"be read, are not UTF-8 or are too large are skipped with a message; the\n"
	"others are imported and the exit status is 65 (66 when a SOURCE named\n"
	"does not exist).\n",
	CMD_CREATES_DB | CMD_WRITES, cmd_import_exec
};
