/* cmd-import.c — import post-mortems from files, directories and URLs. */
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

/* With -v: how many files the walk left out and why, and the post-mortems
 * missing from their directory. */
static void
print_walk(struct cl_ctx *ctx, const struct cl_import_stats *s)
{
	const struct { int n; const char *why; } v[] = {
		{ s->left_out_name, "not selected by name ([import] include)" },
		{ s->left_out_excluded, "excluded ([import] exclude)" },
		{ s->left_out_link, "symbolic links not followed" },
		{ s->left_out_outside, "symbolic links leading out of their source" },
		{ s->left_out_loop, "directories reached again (link loops)" },
		{ s->left_out_dup, "files reached again by another path" },
		{ s->left_out_special, "not regular files (FIFO, socket, device)" },
		{ s->left_out_forgotten, "forgotten post-mortems (closeloop forget)" },
	};
	struct cl_pm_missing *m = NULL;
	struct cl_error err = { 0 };
	size_t i, n = 0;

	if (ctx->verbosity < 1)
		return;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		if (v[i].n > 0)
			cmd_verbose(ctx, "left out %d: %s\n", v[i].n, v[i].why);
	if (s->pm_moved > 0)
		cmd_verbose(ctx, "%d post-mortem%s found under a new name\n", s->pm_moved,
		            s->pm_moved == 1 ? "" : "s");
	if (s->pm_missing == 0 || cl_import_missing(&m, &n, ctx->store, &err) != 0)
		return;
	for (i = 0; i < n; i++)
		cmd_verbose(ctx, "missing from its source since %.10s: %s (%s)%s\n", m[i].missing_since,
		            m[i].slug, m[i].source, m[i].retired_at ? ", open items withdrawn" : "");
	cl_pm_missing_free(m, n);
}

static int
cmd_import_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_import_opts io = { 0 };
	struct cl_import_stats stats;
	int rc;

	io.dry_run = cmd_arg(a, 'n') != NULL;
	io.force = cmd_arg(a, 'f') != NULL;
	io.report = cmd_print_problem;
	io.report_arg = ctx;
	io.verbose = ctx->verbosity;
	rc = cl_import_sources(ctx->store, ctx->cfg, a->argv, a->argc, &io, &stats,
	                       &ctx->err);
	if (rc == 0 || rc == CL_EDATA)
		cmd_verbose(ctx, "%s%d files (%d parsed, %d unchanged, %d failed): %d new, "
		            "%d updated, %d withdrawn items, %d problems\n",
		            io.dry_run ? "dry run: " : "", stats.files_seen, stats.files_parsed,
		            stats.files_unchanged, stats.files_failed, stats.items_new,
		            stats.items_updated, stats.items_withdrawn, stats.problems);
	if (rc == 0 || rc == CL_EDATA)
		print_walk(ctx, &stats);
	return rc;
}

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "[--dry-run] [--force] [SOURCE...]",
	.summary = "import action items from post-mortems (files, directories, http(s) URLs)",
	.opts = {
		{ .name = "dry-run", .key = 'n', .shrt = 1, .flags = CMD_OPT_DRY_RUN,
		  .help = "parse and compare; writes nothing to the database" },
		{ .name = "force", .key = 'f', .shrt = 1,
		  .help = "re-parse files even when unchanged" },
	},
	.args = { .lower = 0, .upper = -1, .name = "SOURCE",
	          .help = "a file (read whatever its name), a directory (every *.md, "
	          "*.markdown, *.mdown, *.mdx and *.md.* below it, or [import] include/exclude; "
	          "hidden entries skipped) or an http(s) URL; default: [closeloop] sources" },
	.text = "Lint problems are printed as PATH:LINE: CODE: MESSAGE. Files that cannot\n"
	        "be read, are not UTF-8 or are too large are skipped with a message; the\n"
	        "others are imported and the exit status is 65 (66 when a SOURCE named\n"
	        "does not exist). With -v: what the walk left out and why, and the\n"
	        "post-mortems missing from their directory.\n",
	.flags = CMD_CREATES_DB | CMD_WRITES,
	.exec = cmd_import_exec,
};
