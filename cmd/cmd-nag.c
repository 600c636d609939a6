/* cmd-nag.c — remind owners of their overdue and soon-due items. */
#include <stdio.h>

#include "cmd.h"

/* Prints what --send would send, and who is left out and why. */
static void
nag_print(struct cl_ctx *ctx, const struct cl_nag *v, size_t n)
{
	size_t i, due = 0;

	for (i = 0; i < n; i++) {
		const struct cl_nag *g = &v[i];
		if (g->email == NULL) {
			printf("# %s: no e-mail address in [people]; %zu item%s listed in the weekly "
			       "report instead\n\n", cmd_tty(g->owner), g->overdue + g->due_soon,
			       g->overdue + g->due_soon == 1 ? "" : "s");
			continue;
		}
		if (g->skipped) {
			printf("# %s: reminded at %s; not again before [nag] every_days\n\n",
			       cmd_tty(g->owner), g->last_sent);
			continue;
		}
		due++;
		printf("To: %s%s%s%s\nSubject: %s\n\n%s\n", g->name ? cmd_tty(g->name) : "",
		       g->name ? " <" : "", cmd_tty(g->email), g->name ? ">" : "", cmd_tty(g->subject),
		       cmd_tty_lines(g->text));
		if (g->lead_text)
			printf("To: %s%s%s%s\nSubject: %s\n\n%s\n", g->lead_name ? cmd_tty(g->lead_name) : "",
			       g->lead_name ? " <" : "", cmd_tty(g->lead), g->lead_name ? ">" : "",
			       cmd_tty(g->lead_subject), cmd_tty_lines(g->lead_text));
		else if (g->escalated)
			printf("# %s: %zu item%s past escalate_after_days, but no lead: set [people] "
			       "%s.lead or [nag] escalate_to\n\n", cmd_tty(g->owner), g->escalated,
			       g->escalated == 1 ? "" : "s", cmd_tty(g->owner));
	}
	if (due == 0)
		cmd_verbose(ctx, "no reminders due\n");
}

/* Says whose last reminder was refused for good (retried once per cadence). */
static int
nag_print_refused(struct cl_ctx *ctx)
{
	struct cl_nag_refusal *r = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cl_nag_refused(&r, &n, ctx->store, &ctx->err)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		printf("# %s: reminder to <%s> refused at %s (%d %s); fix [people] (tried again "
		       "once per [nag] every_days)\n\n", r[i].owner, r[i].email, r[i].at, r[i].code,
		       r[i].detail ? r[i].detail : "");
	cl_nag_refusals_free(r, n);
	return 0;
}

static int
cmd_nag_exec(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_nag *v = NULL;
	size_t n = 0, sent = 0, i;
	int rc, send = cmd_arg(a, 's') != NULL;

	if ((rc = cl_nag_plan(&v, &n, ctx->store, ctx->cfg, &ctx->err)) != 0)
		return rc;
	if (!send) {
		nag_print(ctx, v, n);
		rc = nag_print_refused(ctx);
	} else {
		rc = cl_nag_send(v, n, ctx->store, ctx->cfg, ctx->verbosity >= 2 ? stderr : NULL,
		                 &sent, &ctx->err);
		for (i = 0; i < n; i++) {
			if (v[i].email == NULL)
				cmd_verbose(ctx, "%s: no e-mail address, not reminded\n", v[i].owner);
			else if (v[i].skipped)
				cmd_verbose(ctx, "%s: reminded at %s, not due again yet\n", v[i].owner,
				            v[i].last_sent);
		}
		cmd_verbose(ctx, "%zu reminder%s sent\n", sent, sent == 1 ? "" : "s");
	}
	cl_nags_free(v, n);
	return rc;
}

const struct cmd_entry cmd_nag_entry = {
	.name = "nag",
	.usage = "[--send]",
	.summary = "remind owners of their overdue and soon-due items",
	.opts = {
		{ .name = "send", .key = 's', .flags = CMD_OPT_WRITES,
		  .help = "mail the reminders (one SMTP session); without it, print them" },
	},
	.args = { .lower = 0, .upper = 0 },
	.text = "One message per owner with their overdue items and those due within\n"
	"[nag] due_soon_days (3); at most one per owner every [nag] every_days (7).\n"
	"Items overdue more than [nag] escalate_after_days (14) also go to the\n"
	"owner's lead ([people] NAME.lead, else [nag] escalate_to). Owners without\n"
	"an address in [people] are skipped and listed by 'closeloop report'.\n"
	"Exit 75 when the mail server is unreachable (nothing recorded as sent).\n",
	.flags = CMD_NEEDS_DB,
	.exec = cmd_nag_exec,
};
