/* cmd-report.c — the weekly report: print it, or mail it once per ISO week. */
#include <getopt.h>
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

static int
cmd_report_exec(struct cl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "week", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'f' },
		{ "send", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'F' },
		{ "team", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc, year = 0, week = 0, format = CL_REPORT_TEXT, send = 0, force = 0;
	const char *team = NULL, *name = NULL;
	void *model = NULL;

	while ((c = cmd_getopt(ctx, argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (cl_iso_week_parse(optarg, &year, &week) != 0)
				return cmd_usage_error(ctx, "--week '%s' is not an ISO week like 2024-W12",
				                       optarg);
			break;
		case 'f':
			if (cl_report_format_parse(optarg, &format) != 0)
				return cmd_usage_error(ctx, "--format '%s': use text, markdown, html, json "
				                       "or csv",
				                       optarg);
			break;
		case 's': send = 1; break;
		case 'F': force = 1; break;
		case 't': team = optarg; break;
		case 'n': name = optarg; break;
		default: return CL_EUSAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error(ctx, "unexpected argument '%s'", argv[optind]);
	if (force && !send)
		return cmd_usage_error(ctx, "--force only goes with --send");
	if (team && send)
		return cmd_usage_error(ctx, "--team only prints a report; to mail a team's report, "
		                       "define [report \"NAME\"] team = %s and use --name", team);
	if ((rc = cl_report_build_for(&model, ctx->store, ctx->cfg, name, team, year, week,
	                              &ctx->err)) != 0)
		return rc;
	if (send) {
		rc = report_send(ctx, model, name, force);
	} else {
		rc = cl_report_write(stdout, model, format, &ctx->err);
	}
	cl_report_free(model);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	"report", "[--week YYYY-Www] [--format text|markdown|html|json|csv] [--name NAME] "
	"[--team TEAM] [--send [--force]]",
	"the weekly report for the engineering meeting",
	"  --week YYYY-Www  the ISO week to report on (default: this week in\n"
	"                   [closeloop] timezone)\n"
	"  --format F       text (default), markdown (for meeting notes), html,\n"
	"                   json (complete; a documented contract, see closeloop(1))\n"
	"                   or csv (the complete list of open items)\n"
	"  --send           mail it (text + HTML) to [report] to instead of printing;\n"
	"                   once per ISO week: a second --send that week sends\n"
	"                   nothing and exits 0 (-v says so)\n"
	"  --force          with --send: send again although sent this week\n"
	"  --name NAME      the report of [report \"NAME\"]: its team, its recipients\n"
	"                   (to) and its own mail log (default: the plain [report],\n"
	"                   every team)\n"
	"  --team TEAM      print the report of one team (post-mortems whose team is\n"
	"                   TEAM: front matter team:, a Team: line or [teams] rules)\n"
	"\n"
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
	CMD_NEEDS_DB | CMD_WRITES_SEND, cmd_report_exec
};
