/* cmd-report.c — the weekly report: print it, or mail it once per ISO week. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

/* Mails the report unless this week's went out already (mail log). */
static int
report_send(struct cl_ctx *ctx, void *model, const char *name, int force)
{
	const char *week = cl_report_week(model);
	char note[1024];
	int rc, mrc, sent, year, wk;

	if (cl_iso_week_parse(week, &year, &wk) != 0)
		return cl_error_set(&ctx->err, CL_ERROR, "report week '%s'", week);
	rc = cl_report_send_week(&sent, ctx->store, ctx->cfg, name, year, wk, model, force,
	                         ctx->verbosity >= 2 ? stderr : NULL, note, sizeof note, &ctx->err);
	/* failed drills are shown until one report with them went out */
	if (sent && (mrc = cl_report_mark_shown(ctx->store, model,
	                                        rc == 0 ? &ctx->err : NULL)) != 0 && rc == 0)
		rc = mrc;
	if (rc == 0 && !sent && note[0])
		cmd_verbose(ctx, "%s; nothing to do (--force sends it again)\n", note);
	else if (note[0] && strchr(note, ';') != NULL)
		cmd_info(ctx, "report %s %s\n", week, note);	/* some refused: always say */
	else if (note[0])
		cmd_verbose(ctx, "report %s %s\n", week, note);
	return rc;
}

/* --week is an ISO week. */
static int
week_check(struct cl_ctx *ctx, const char *arg)
{
	int year, week;

	if (cl_iso_week_parse(arg, &year, &week) != 0)
		return cmd_usage_error(ctx, "--week '%s' is not an ISO week like 2024-W12", arg);
	return 0;
}

/* --force and --team against --send. */
static int
report_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	if (cmd_arg(a, 'F') && !cmd_arg(a, 's'))
		return cmd_usage_error(ctx, "--force only goes with --send");
	if (cmd_arg(a, 't') && cmd_arg(a, 's'))
		return cmd_usage_error(ctx, "--team only prints a report; to mail a team's report, "
		                       "define [report \"NAME\"] team = %s and use --name",
		                       cmd_arg(a, 't'));
	return 0;
}

static int
cmd_report_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	int rc, year = 0, week = 0, format = CL_REPORT_TEXT, send = cmd_arg(a, 's') != NULL;
	const char *team = cmd_arg(a, 't'), *name = cmd_arg(a, 'n');
	void *model = NULL;

	if (cmd_arg(a, 'w'))
		cl_iso_week_parse(cmd_arg(a, 'w'), &year, &week);
	if (cmd_arg(a, 'f'))
		cl_report_format_parse(cmd_arg(a, 'f'), &format);
	if ((rc = cl_report_build_for(&model, ctx->store, ctx->cfg, name, team, year, week,
	                              &ctx->err)) != 0)
		return rc;
	if (send) {
		rc = report_send(ctx, model, name, cmd_arg(a, 'F') != NULL);
	} else {
		rc = cl_report_write(stdout, model, format, &ctx->err);
	}
	cl_report_free(model);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.usage = "[--week YYYY-Www] [--format text|markdown|html|json|csv] [--name NAME] "
	         "[--team TEAM] [--send [--force]]",
	.summary = "the weekly report for the engineering meeting",
	.opts = {
		{ .name = "week", .key = 'w', .arg = "YYYY-Www", .check = week_check,
		  .help = "the ISO week to report on (default: this week in [closeloop] timezone)" },
		{ .name = "format", .key = 'f', .arg = "F", .values = "text|markdown|html|json|csv",
		  .help = "text (default), markdown (for meeting notes), html, json (complete; a "
		  "documented contract, see closeloop(1)) or csv (the complete list of open items)" },
		{ .name = "send", .key = 's', .flags = CMD_OPT_WRITES, .help = "mail it (text + "
		  "HTML) to [report] to instead of printing; once per ISO week: a second --send that "
		  "week sends nothing and exits 0 (-v says so)" },
		{ .name = "force", .key = 'F',
		  .help = "with --send: send again although sent this week" },
		{ .name = "name", .key = 'n', .arg = "NAME", .help = "the report of [report "
		  "\"NAME\"]: its team, its recipients (to) and its own mail log (default: the plain "
		  "[report], every team)" },
		{ .name = "team", .key = 't', .arg = "TEAM", .help = "print the report of one team "
		  "(post-mortems whose team is TEAM: front matter team:, a Team: line or [teams] "
		  "rules)" },
	},
	.args = { .lower = 0, .upper = 0 },
	.text =
	"Sections: headline counts and numbers; overdue items by owner, most\n"
	"overdue first ([report] per_owner rows per owner, owners owners, then\n"
	"\"... and N more\"); due in the next 7 days; items with lint problems;\n"
	"post-mortems whose items are all closed, waiting for their drill re-run;\n"
	"drill re-runs that failed (until a sent report showed them); post-mortems\n"
	"written late; top owners by overdue; owner load; owners without an\n"
	"address; open vs closed over 12 weeks from the items' own dates\n"
	"([report] rows per section). A warning heads\n"
	"it when the last sync with the tracker failed.\n"
	"Mail settings: [mail] in closeloop.conf(5). Exit 75 when the mail server\n"
	"is unreachable or deferred it (nothing recorded as sent), 77 when SMTP AUTH\n"
	"fails, 69 when a recipient is refused (the others still get it).\n",
	.flags = CMD_NEEDS_DB,
	.check = report_check,
	.exec = cmd_report_exec,
};
