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
	if (rc == 0 || rc == CL_EDATA)
		print_walk(ctx, &stats);
	return rc;
}

const struct cmd_entry cmd_import_entry = {
	"import", "[--dry-run] [--force] [SOURCE...]",
	"import action items from post-mortems (files, directories, http(s) URLs)",
	"  SOURCE        a file (read whatever its name), a directory (every\n"
	"                *.md, *.markdown, *.mdown, *.mdx and *.md.* below it, or\n"
	"                [import] include/exclude; hidden entries skipped) or an\n"
	"                http(s) URL; default: [closeloop] sources\n"
	"  -n, --dry-run parse and compare; writes nothing to the database\n"
	"  -f, --force   re-parse files even when unchanged\n"
	"\n"
	"Lint problems are printed as PATH:LINE: CODE: MESSAGE. Files that cannot\n"
	"be read, are not UTF-8 or are too large are skipped with a message; the\n"
	"others are imported and the exit status is 65 (66 when a SOURCE named\n"
	"does not exist). With -v: what the walk left out and why, and the\n"
	"post-mortems missing from their directory.\n",
	CMD_CREATES_DB | CMD_WRITES, cmd_import_exec
};
