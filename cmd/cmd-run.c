/* cmd-run.c — everything that is due now: the cron entry point. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

static int
cmd_run_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_run_opts ro = { 0 };
	struct cl_run_result r;
	int i, rc;

	ro.dry_run = cmd_arg(a, 'n') != NULL;
	/* quiet on success: lint problems only with -v, the plan with --dry-run */
	ro.out = ctx->verbosity >= 1 || ro.dry_run ? stdout : NULL;
	ro.trace = ctx->verbosity >= 2 ? stderr : NULL;
	rc = cl_run(&r, ctx->store, ctx->cfg, &ro, &ctx->err);
	if (rc != 0 && r.steps[0].name == NULL) {
		/* the run could not even be recorded: ctx->err says why */
		return rc;
	}
	for (i = 0; i < CL_RUN_NSTEPS; i++) {
		const struct cl_run_step *s = &r.steps[i];
		if (s->rc != 0 && s->rc != CL_EPROBLEMS)
			fprintf(stderr, "closeloop: run: %s failed: %s\n", s->name, s->detail);
		else if (ctx->verbosity >= 1 || ro.dry_run)
			printf("%-7s %s%s\n", s->name, s->ran ? "" : "skipped: ", s->detail);
	}
	/* each failure is printed above; the status is the most serious */
	cl_error_clear(&ctx->err);
	return r.rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "[--dry-run]",
	.summary = "do everything that is due now (the cron entry point)",
	.opts = {
		{ .name = "dry-run", .key = 'n', .shrt = 1, .flags = CMD_OPT_DRY_RUN,
		  .help = "say what would be done; nothing is written to the tracker, the mail "
		  "server or the database" },
	},
	.args = { .lower = 0, .upper = 0 },
	.text =
	"In order, each when due: import [closeloop] sources; sync with the\n"
	"tracker ([tracker] kind); propose DR drill re-runs and send their\n"
	"invites; send reminders (per owner, [nag] every_days); send the weekly\n"
	"report once its [report] weekday/hour has passed this ISO week; a run\n"
	"before that point sends last week's report if it never went out (one\n"
	"catch-up, never for weeks before the database existed). A\n"
	"failing step does not stop the others; the exit status is the most\n"
	"serious one (75: retry later). Quiet on success; -v prints a summary and\n"
	"the lint problems. One run at a time: a second one, or any command that\n"
	"writes (sync, import, done, nag --send, report --send, ...), exits 75.\n",
	.flags = CMD_CREATES_DB | CMD_WRITES,
	.exec = cmd_run_exec,
};
