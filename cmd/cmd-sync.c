/* cmd-sync.c — two-way sync with the configured issue tracker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"

static int
cmd_sync_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_sync_opts so;
	struct cl_sync_stats stats;
	struct cl_tracker *t = NULL;
	FILE *devnull = NULL, *plan = NULL;
	char *planbuf = NULL;
	size_t plansize = 0;
	int rc;

	memset(&so, 0, sizeof so);
	so.dry_run = cmd_arg(a, 'n') != NULL;
	rc = cl_tracker_open(&t, ctx->cfg, ctx->verbosity, &ctx->err);
	if (rc == CL_ENOTFOUND) {
		cl_error_clear(&ctx->err);
		cmd_info(ctx, "sync: no tracker configured ([tracker] kind); nothing to do\n");
		return 0;
	}
	if (rc != 0)
		return rc;
	so.verbose = ctx->verbosity;
	so.progress = ctx->verbosity >= 0 && isatty(STDERR_FILENO);
	/* the plan is printed once the sync has read the tracker: a tracker
	 * that is down must not look like one with nothing to do */
	if (so.dry_run && (plan = open_memstream(&planbuf, &plansize)) != NULL)
		so.plan = plan;
	else if (so.dry_run)
		so.plan = stdout;
	else if (ctx->verbosity < 0 && (devnull = fopen("/dev/null", "w")) != NULL)
		so.plan = devnull;
	else
		so.plan = stderr;
	rc = cl_sync_run(ctx->store, ctx->cfg, t, &so, &stats, &ctx->err);
	if (plan != NULL) {
		fclose(plan);
		if (rc == 0 && planbuf)
			fwrite(planbuf, 1, plansize, stdout);
		free(planbuf);
		if (rc != 0) {
			cl_tracker_free(t);
			return rc;	/* no plan and no summary: the error says why */
		}
	}
	if (so.dry_run)	/* a plan: what would be done, not "7 created" */
		cmd_info(ctx, "sync (dry run, nothing written): %d to create, %d to adopt, %d to "
		         "link, %d to update, %d to close, %d to reopen, %d to pull%s; %d with "
		         "problems (%ld request%s)\n",
		         stats.created, stats.adopted, stats.linked, stats.updated, stats.closed,
		         stats.reopened, stats.pulled, stats.not_modified ? " (not modified)" : "",
		         stats.item_errors, stats.requests, stats.requests == 1 ? "" : "s");
	else
		cmd_info(ctx, "sync: %d created, %d adopted, %d linked, %d updated, %d closed, "
		         "%d reopened, %d pulled%s, %d with problems (%ld request%s)\n",
		         stats.created, stats.adopted, stats.linked, stats.updated, stats.closed,
		         stats.reopened, stats.pulled, stats.not_modified ? " (not modified)" : "",
		         stats.item_errors, stats.requests, stats.requests == 1 ? "" : "s");
	if (devnull)
		fclose(devnull);
	cl_tracker_free(t);
	return rc;
}

const struct cmd_entry cmd_sync_entry = {
	.name = "sync",
	.usage = "[-n|--dry-run]",
	.summary = "two-way sync with the configured issue tracker",
	.opts = {
		{ .name = "dry-run", .key = 'n', .shrt = 1, .flags = CMD_OPT_DRY_RUN,
		  .help = "print the planned links, creates, updates and closes; only reads from "
		  "the tracker, writes nothing anywhere" },
	},
	.args = { .lower = 0, .upper = 0 },
	.text =
	"Pulls tracker changes since the last run (status, assignee, due date:\n"
	"the tracker wins), then creates an issue for every open item without\n"
	"one and pushes document edits (the document wins for the action text).\n"
	"An item whose row names a ticket of this tracker is linked, not created.\n"
	"Before each create the intent is recorded: a create whose answer was lost\n"
	"is found again by its marker closeloop:ITEM, never duplicated.\n"
	"Items the tracker refuses are marked (see 'closeloop show ITEM') and the\n"
	"run goes on. Exit 75: rate limited or unreachable, retry later; 77: the\n"
	"token was refused; 78: bad [tracker] settings or unknown project.\n",
	.flags = CMD_NEEDS_DB | CMD_WRITES,
	.exec = cmd_sync_exec,
};
