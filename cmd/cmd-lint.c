/* cmd-lint.c — check post-mortems against the action-item rules. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cmd.h"

void cmd_print_problem(void *arg, const char *path, const struct cl_problem *p,
                       const char *msg);

static int
cmd_lint_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	struct cl_import_opts io = { 0 };
	struct cl_import_stats stats;
	struct cl_store *st = NULL;
	char *dbpath;
	int c, rc;

	while ((c = cmd_getopt(ctx, argc, argv, "", NULL, NULL)) != -1)
		return CL_EUSAGE;
	/* the database, when there is one, knows when each post-mortem was first seen */
	dbpath = cl_config_database_path(ctx->cfg);
	if (dbpath && access(dbpath, R_OK) == 0)
		cl_store_open(&st, dbpath, CL_STORE_READONLY, NULL);
	free(dbpath);
	io.report = cmd_print_problem;
	io.report_arg = ctx;
	rc = cl_lint_sources(st, ctx->cfg, argv + optind, argc - optind, &io, &stats, &ctx->err);
	cl_store_close(st);
	if (rc == CL_EPROBLEMS)
		cmd_verbose(ctx, "%d problems in %d files\n", stats.problems, stats.files_seen);
	return rc;
}

const struct cmd_entry cmd_lint_entry = {
	"lint", "[SOURCE...]",
	"check post-mortems against the rules; exit 1 when a problem is found",
	"  SOURCE   files, directories or URLs; default: [closeloop] sources\n"
	"\n"
	"Problems are printed as PATH:LINE: CODE: MESSAGE. Codes:\n"
	"  owner-missing        the item names no owner\n"
	"  owner-not-a-person   \"team\", \"TBD\", \"everyone\", \"ops\", ... is not an owner\n"
	"  owner-unknown        the owner is not in [people] (when [people] is set)\n"
	"  due-missing          the item has no due date\n"
	"  due-not-a-date       \"soon\", \"ASAP\", \"next sprint\", ... is not a date\n"
	"  no-action-items      the post-mortem lists no action items\n"
	"  postmortem-late      written (or first seen) more than [lint] late_hours\n"
	"                       (48) after the incident\n",
	0, cmd_lint_exec
};
