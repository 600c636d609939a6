/* cmd-drill.c — DR drills: list, schedule, reschedule, cancel, done, propose.
 * Without --send, schedule/reschedule/cancel/propose print the calendar they
 * would send and change nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"

/* Parses a positive drill id. */
static int
drill_id_arg(struct cl_ctx *ctx, const char *s, long long *out)
{
	char *end;

	errno = 0;
	*out = s ? strtoll(s, &end, 10) : 0;
	if (s == NULL || *s == '\0' || *end != '\0' || errno || *out <= 0)
		return cmd_usage_error(ctx, "'%s' is not a drill id (see 'closeloop drill list')",
		                       s ? s : "");
	return 0;
}

/* Refuses a number of minutes outside [0, max] for option opt. */
static int
minutes_check(struct cl_ctx *ctx, const char *opt, const char *s, int max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || v < 0 || v > max)
		return cmd_usage_error(ctx, "%s '%s' is not a number of minutes (0..%d)", opt, s, max);
	return 0;
}

/* --duration: 1 to 1440 minutes. */
static int
duration_check(struct cl_ctx *ctx, const char *arg)
{
	int rc = minutes_check(ctx, "--duration", arg, 1440);

	if (rc == 0 && atoi(arg) == 0)
		return cmd_usage_error(ctx, "--duration must be at least 1 minute");
	return rc;
}

/* reschedule --duration: 0 (the duration stays) to 1440 minutes. */
static int
reschedule_duration_check(struct cl_ctx *ctx, const char *arg)
{
	return minutes_check(ctx, "--duration", arg, 1440);
}

/* --rto: 0 to 100000 minutes. */
static int
rto_check(struct cl_ctx *ctx, const char *arg)
{
	return minutes_check(ctx, "--rto", arg, 100000);
}

/* The zone a drill's --at is read in, as the drill module picks it. */
static const char *
drill_zone(struct cl_ctx *ctx, const char *tz)
{
	if (tz == NULL || *tz == '\0')
		tz = cl_config_get(ctx->cfg, "drill", "timezone");
	if (tz == NULL || *tz == '\0')
		tz = cl_config_timezone(ctx->cfg);
	return tz && *tz ? tz : "UTC";
}

/* Refuses a wall-clock time that does not exist in the drill's zone (the
 * clocks jump over it) and says which one is meant when it happens twice. */
static int
check_wall_clock(struct cl_ctx *ctx, const char *at, const char *tz)
{
	struct tm tm = { 0 }, real;
	char utc[21];
	time_t t;
	int y, mo, d, h, mi, kind;

	if (at == NULL || sscanf(at, "%4d-%2d-%2d%*1[ T]%2d:%2d", &y, &mo, &d, &h, &mi) != 5)
		return 0;	/* the drill module says what is wrong with it */
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tz = drill_zone(ctx, tz);
	if ((kind = cl_mktime_kind(&tm, tz, &t)) == CL_LOCAL_GAP)
		return cmd_usage_error(ctx, "--at '%s' does not exist in %s: the clocks jump over "
		                       "it that night (daylight saving time); choose another time",
		                       at, tz);
	if (kind == CL_LOCAL_TWICE) {
		/* which of the two: the same wall clock an hour before means the later */
		int later = cl_localtime(t - 3600, tz, &real) == 0 && real.tm_hour == h &&
		            real.tm_min == mi;
		cl_time_format_utc(t, utc);
		cmd_info(ctx, "closeloop: note: %s happens twice in %s (the clocks go back that "
		         "night); the drill is at the %s, %s\n", at, tz,
		         later ? "second (after the change)" : "first (before the change)", utc);
	}
	return 0;
}

/* Warns about a drill set to start in the past (scheduled or moved). */
static void
warn_past(struct cl_ctx *ctx, const struct cl_drill *d)
{
	char utc[21];

	if (d->start < cl_now()) {
		cl_time_format_utc(d->start, utc);
		cmd_info(ctx, "closeloop: warning: the drill starts in the past (%s)\n",
		         cmd_local_time(ctx, utc));
	}
}

/* Warns about a drill that is probably a mistake: a start in the past, or
 * a re-run of a post-mortem whose fixes are not all done. */
static void
warn_schedule(struct cl_ctx *ctx, const struct cl_drill *d)
{
	struct cl_item_filter f = { .status = CL_ITEMS_OPEN };
	struct cl_item *items = NULL;
	size_t n = 0;

	warn_past(ctx, d);
	if (d->pm_kind && strcmp(d->pm_kind, "postmortem") != 0)
		return;
	f.postmortem = d->pm_slug;
	if (cl_items_list(&items, &n, ctx->store, &f, NULL) == 0 && n > 0)
		cmd_info(ctx, "closeloop: warning: %s still has %zu open item%s: the re-run "
		         "verifies fixes that are not done yet\n", cmd_tty(d->pm_slug), n,
		         n == 1 ? "" : "s");
	cl_items_free(items, n);
}

/* The refused and deferred attendees of a drill, after a line. */
static void
print_drill_waiting(const struct cl_drill *d)
{
	size_t i, k = 0;

	for (i = 0; i < d->nattendees; i++)
		if (d->attendees[i].refused)
			printf("%s%s", k++ ? ", " : "  refused: ", cmd_tty(d->attendees[i].email));
	for (i = 0, k = 0; i < d->nattendees; i++)
		if (d->attendees[i].deferred)
			printf("%s%s", k++ ? ", " : "  deferred: ", cmd_tty(d->attendees[i].email));
}

/* One drill for list: one line, or on a terminal too narrow for it the
 * post-mortem and the title (cut to the width) on lines of their own. */
static void
print_drill_line(const struct cl_drill *d, int width)
{
	char start[17], head[160];
	int n, room;


	cl_drill_local_start(d, start);
	n = snprintf(head, sizeof head, "%-4lld %-10s %s %-16s %4d min  seq %-2d ", d->id,
	             d->state, start, d->timezone, d->duration, d->sequence);
	if (width <= 0 || n + (int)strlen(d->pm_slug) + 1 + (int)strlen(d->title) +
	                  (d->rrule ? 12 : 0) <= width) {
		printf("%s%-20s %s%s", head, cmd_tty(d->pm_slug), cmd_tty(d->title),
		       d->rrule ? " (recurring)" : "");
		print_drill_waiting(d);
		putchar('\n');
		return;
	}
	/* narrow: the sequence left out, nothing padded */
	snprintf(head, sizeof head, "%-4lld %s  %s %s  %d min%s", d->id, d->state, start,
	         d->timezone, d->duration, d->rrule ? "  recurring" : "");
	cmd_print_cell(head, width, 0);
	print_drill_waiting(d);
	printf("\n     ");
	room = width - 5 - (int)strlen(d->pm_slug) - 2;
	if (room >= 20) {
		printf("%s  ", cmd_tty(d->pm_slug));
	} else {
		printf("%s\n     ", cmd_tty(d->pm_slug));	/* an id is never cut */
		room = width - 5;
	}
	cmd_print_cell(d->title, room, 0);
	putchar('\n');
}

static int
drill_list(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_drill *v = NULL;
	const char *pm = cmd_arg(a, 'p');
	size_t n = 0, i;
	int json = cmd_arg(a, 'j') != NULL, rc;

	/* an unknown post-mortem is missing input (66), with a near miss named */
	if (pm != NULL) {
		long long id;
		if ((rc = cl_postmortem_find(&id, ctx->store, pm, &ctx->err)) != 0)
			return rc;
	}
	if ((rc = cl_drill_list(&v, &n, ctx->store, pm, &ctx->err)) != 0)
		return rc;
	if (json) {
		json_t *root = json_object(), *arr = json_array();
		for (i = 0; i < n && arr; i++)
			json_array_append_new(arr, cl_drill_to_json(&v[i]));
		if (root && arr)
			json_object_set_new(root, "drills", arr);
		else
			json_decref(arr);
		rc = cmd_print_json(ctx, root);
	} else {
		int width = cmd_width();
		for (i = 0; i < n; i++)
			print_drill_line(&v[i], width);
		if (n == 0)
			cmd_info(ctx, "no drills\n");
	}
	cl_drills_free(v, n);
	return rc;
}

/* The mail sender for --send, reporting a partial delivery afterwards. */
static void
mailer_init(struct cl_ctx *ctx, struct cl_drill_mailer *m)
{
	memset(m, 0, sizeof *m);
	m->cfg = ctx->cfg;
	m->st = ctx->store;
	m->trace = ctx->verbosity >= 2 ? stderr : NULL;
}

/* After a send that returned rc: an invite some attendee did not accept
 * (the drill is kept, the others got it) makes the command exit 69 (5xx)
 * or 75 (deferred), with who in the message. */
static int
mailer_report(struct cl_ctx *ctx, const struct cl_drill_mailer *m, int rc)
{
	if (rc != 0 || m->refused == 0)
		return rc;
	return cl_error_set(&ctx->err, m->refused_code ? m->refused_code : CL_EUNAVAIL, "%s",
	                    m->warning);
}

/* Prints a calendar that was not sent. */
static void
print_calendar(struct cl_ctx *ctx, const char *cal, const char *what)
{
	fputs(cal, stdout);
	cmd_info(ctx, "dry run: %s; nothing was changed or sent (use --send)\n", what);
}

/* schedule: --at is required, and a wall clock that exists; --send needs a
 * sender. */
static int
drill_schedule_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	int rc;

	if (cmd_arg(a, 'a') == NULL)
		return cmd_usage_error(ctx, "--at \"YYYY-MM-DD HH:MM\" is required");
	if ((rc = check_wall_clock(ctx, cmd_arg(a, 'a'), cmd_arg(a, 'z'))) != 0)
		return rc;
	if (cmd_arg(a, 's') && cl_config_get(ctx->cfg, "mail", "from") == NULL)
		return cl_error_set(&ctx->err, CL_ECONFIG, "--send needs [mail] from (and a mail "
		                    "transport) to send the invite; nothing was scheduled");
	return 0;
}

static int
drill_schedule(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_drill_request req;
	struct cl_drill_mailer mailer;
	struct cl_drill_sender sender;
	struct cl_drill *d = NULL;
	const char **who = NULL;
	char *cal = NULL, start[17];
	int rc, send = cmd_arg(a, 's') != NULL;

	memset(&req, 0, sizeof req);
	if ((who = cl_calloc(a->n + 1, sizeof *who)) == NULL)
		return cl_error_set(&ctx->err, CL_ENOMEM, "out of memory");
	req.at = cmd_arg(a, 'a');
	req.tz = cmd_arg(a, 'z');
	req.every = cmd_arg(a, 'e');
	req.duration = cmd_arg(a, 'D') ? atoi(cmd_arg(a, 'D')) : 0;
	req.nattendees = cmd_arg_all(who, a, 'A');
	req.postmortem = a->argv[0];
	req.attendees = who;
	if ((rc = cl_drill_prepare(&d, ctx->store, ctx->cfg, &req, &ctx->err)) != 0)
		goto done;
	warn_schedule(ctx, d);
	if (!send) {
		if ((rc = cl_drill_schedule(d, &cal, ctx->store, ctx->cfg, NULL, &ctx->err)) == 0)
			print_calendar(ctx, cal, "the invite above would be sent");
		goto done;
	}
	mailer_init(ctx, &mailer);
	sender = cl_drill_mail_sender(&mailer);
	rc = cl_drill_schedule(d, NULL, ctx->store, ctx->cfg, &sender, &ctx->err);
	if (rc != 0)
		goto done;
	cl_drill_local_start(d, start);
	cmd_info(ctx, "scheduled drill %lld for %s at %s %s; invite accepted for %zu of %zu "
	         "attendee(s)\n", d->id, d->pm_slug, start, d->timezone, mailer.accepted,
	         d->nattendees);
	printf("%lld\n", d->id);
	rc = mailer_report(ctx, &mailer, rc);
done:
	free(cal);
	free(who);
	cl_drill_free(d);
	return rc;
}

/* reschedule and cancel: a drill id; reschedule needs --at. */
static int
drill_update_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	long long id;
	int rc;

	if ((rc = drill_id_arg(ctx, a->argv[0], &id)) != 0)
		return rc;
	if (strcmp(ctx->sub->name, "reschedule") == 0 && cmd_arg(a, 'a') == NULL)
		return cmd_usage_error(ctx, "--at \"YYYY-MM-DD HH:MM\" is required");
	return 0;
}

/* reschedule ID --at … and cancel ID */
static int
drill_update(struct cl_ctx *ctx, const struct cmd_args *a, int cancel)
{
	struct cl_drill_mailer mailer;
	struct cl_drill_sender sender;
	struct cl_drill *d = NULL;
	const char *at = cmd_arg(a, 'a'), *tz = cmd_arg(a, 'z');
	char *cal = NULL, start[17];
	long long id;
	int rc, send = cmd_arg(a, 's') != NULL;
	int duration = cmd_arg(a, 'D') ? atoi(cmd_arg(a, 'D')) : 0;

	if ((rc = drill_id_arg(ctx, a->argv[0], &id)) != 0)
		return rc;
	if (!cancel) {
		/* the wall clock is read in --tz, else in the drill's own zone */
		struct cl_drill *was = NULL;
		if ((rc = cl_drill_get(&was, ctx->store, id, &ctx->err)) != 0)
			return rc;
		rc = check_wall_clock(ctx, at, tz ? tz : was->timezone);
		cl_drill_free(was);
		if (rc != 0)
			return rc;
	}
	mailer_init(ctx, &mailer);
	sender = cl_drill_mail_sender(&mailer);
	if (cancel)
		rc = cl_drill_cancel(&d, &cal, ctx->store, ctx->cfg, id, send ? &sender : NULL,
		                     &ctx->err);
	else
		rc = cl_drill_reschedule(&d, &cal, ctx->store, ctx->cfg, id, at, duration, tz,
		                         send ? &sender : NULL, &ctx->err);
	if (rc != 0)
		goto done;
	if (!cancel)
		warn_past(ctx, d);
	if (!send) {
		print_calendar(ctx, cal, cancel ? "the cancellation above would be sent"
		                                : "the update above would be sent");
		goto done;
	}
	cl_drill_local_start(d, start);
	if (cancel)
		cmd_info(ctx, "cancelled drill %lld; cancellation accepted for %zu of %zu "
		         "attendee(s)\n", id, mailer.accepted, d->nattendees);
	else
		cmd_info(ctx, "moved drill %lld to %s %s (sequence %d); update accepted for %zu "
		         "of %zu attendee(s)\n", id, start, d->timezone, d->sequence,
		         mailer.accepted, d->nattendees);
	rc = mailer_report(ctx, &mailer, rc);
done:
	free(cal);
	cl_drill_free(d);
	return rc;
}

/* done: a drill id and --result. */
static int
drill_done_check(struct cl_ctx *ctx, const struct cmd_args *a)
{
	long long id;

	if (cmd_arg(a, 'r') == NULL)
		return cmd_usage_error(ctx, "--result pass|fail is required");
	return drill_id_arg(ctx, a->argv[0], &id);
}

static int
drill_done(struct cl_ctx *ctx, const struct cmd_args *a)
{
	const char *result = cmd_arg(a, 'r'), *notes = cmd_arg(a, 'N');
	long long id;
	int rc, rto = cmd_arg(a, 'R') ? atoi(cmd_arg(a, 'R')) : -1, pass;

	if ((rc = drill_id_arg(ctx, a->argv[0], &id)) != 0)
		return rc;
	pass = strcmp(result, "pass") == 0;
	{
		struct cl_drill *v = NULL;
		size_t n = 0, i;
		char utc[21];
		if (cl_drill_list(&v, &n, ctx->store, NULL, NULL) == 0)
			for (i = 0; i < n; i++)
				if (v[i].id == id && v[i].start > cl_now()) {
					cl_time_format_utc(v[i].start, utc);
					cmd_info(ctx, "closeloop: warning: drill %lld has not started yet "
					         "(it starts %s)\n", id, cmd_local_time(ctx, utc));
				}
		cl_drills_free(v, n);
	}
	if ((rc = cl_drill_done(ctx->store, id, pass, rto, notes, &ctx->err)) != 0)
		return rc;
	cmd_info(ctx, pass ? "drill %lld passed: its post-mortem is verified\n"
	                   : "drill %lld failed: the post-mortem stays open for verification "
	                     "and the failure goes into the next weekly report\n", id);
	return 0;
}

static int
drill_propose(struct cl_ctx *ctx, const struct cmd_args *a)
{
	struct cl_drill_mailer mailer;
	struct cl_drill_sender sender;
	struct cl_drill *v = NULL;
	size_t n = 0, i;
	char start[17];
	int rc, send = cmd_arg(a, 's') != NULL;

	mailer_init(ctx, &mailer);
	sender = cl_drill_mail_sender(&mailer);
	rc = cl_drill_propose(&v, &n, ctx->store, ctx->cfg, send ? &sender : NULL, &ctx->err);
	for (i = 0; i < n; i++) {
		cl_drill_local_start(&v[i], start);
		if (send && v[i].id > 0)
			printf("scheduled drill %lld for %s at %s %s (%s)\n", v[i].id, v[i].pm_slug,
			       start, v[i].timezone, v[i].reason);
		else if (send || v[i].nattendees == 0)
			printf("not scheduled: %s at %s %s (%s)\n", v[i].pm_slug, start,
			       v[i].timezone, v[i].reason);
		else {
			char *cal = NULL;
			struct cl_drill tmp = v[i];
			struct cl_error e = { 0 };
			cmd_info(ctx, "due: a drill for %s at %s %s (%s)\n", v[i].pm_slug, start,
			         v[i].timezone, v[i].reason);
			tmp.id = 0;
			if (cl_drill_calendar(&cal, &tmp, ctx->cfg, 0, &e) == 0)
				fputs(cal, stdout);
			else
				fprintf(stderr, "closeloop: %s: %s\n", v[i].pm_slug, e.msg);
			free(cal);
		}
	}
	if (send)
		rc = mailer_report(ctx, &mailer, rc);
	if (n == 0)
		cmd_info(ctx, "no drill is due\n");
	else if (!send)
		cmd_info(ctx, "dry run: nothing was scheduled or sent (use --send)\n");
	cl_drills_free(v, n);
	return rc;
}

static int
drill_reschedule(struct cl_ctx *ctx, const struct cmd_args *a)
{
	return drill_update(ctx, a, 0);
}

static int
drill_cancel(struct cl_ctx *ctx, const struct cmd_args *a)
{
	return drill_update(ctx, a, 1);
}

#define DRILL_SEND(what) { .name = "send", .key = 's', .flags = CMD_OPT_WRITES, \
	                   .help = what }
#define DRILL_TZ { .name = "tz", .key = 'z', .arg = "ZONE", .help = "the zone TIME is " \
	           "read in (default: [drill] timezone, else [closeloop] timezone, else UTC)" }
#define DRILL_ID { 1, 1, "ID", NULL, "name the drill id" }

static const struct cmd_entry drill_list_entry = {
	.name = "list",
	.usage = "[--json] [--postmortem PM]",
	.summary = "the drills",
	.opts = {
		{ .name = "json", .key = 'j', .help = "{\"drills\":[{id, postmortem, title, start, "
		  "timezone, duration, sequence, state, attendees …}]}" },
		{ .name = "postmortem", .key = 'p', .arg = "PM",
		  .help = "only the drills of this post-mortem or runbook" },
	},
	.args = { .lower = 0, .upper = 0 },
	.flags = CMD_NEEDS_DB,
	.exec = drill_list,
};

static const struct cmd_entry drill_schedule_entry = {
	.name = "schedule",
	.usage = "POSTMORTEM|RUNBOOK --at TIME [--duration MIN] [--tz ZONE] [--attendee WHO]... "
	         "[--every SPEC] [--send]",
	.summary = "a new drill; without --send, print the invite it would send",
	.opts = {
		{ .name = "at", .key = 'a', .arg = "TIME",
		  .help = "its start, wall clock: \"2024-04-02 14:00\"" },
		{ .name = "duration", .key = 'D', .arg = "MIN", .check = duration_check,
		  .help = "how long, in minutes (default: [drill] duration_minutes)" },
		DRILL_TZ,
		{ .name = "attendee", .key = 'A', .arg = "WHO", .help = "a [people] handle or an "
		  "address; replaces the default attendees (item owners and authors); repeatable" },
		{ .name = "every", .key = 'e', .arg = "SPEC", .help = "recurring: week, month, "
		  "quarter, N weeks, N months or N quarters" },
		DRILL_SEND("send the invite; prints the new id alone on the last line"),
	},
	.args = { .lower = 1, .upper = 1, .missing = "name the post-mortem or runbook" },
	.flags = CMD_NEEDS_DB,
	.check = drill_schedule_check,
	.exec = drill_schedule,
};

static const struct cmd_entry drill_reschedule_entry = {
	.name = "reschedule",
	.usage = "ID --at TIME [--duration MIN] [--tz ZONE] [--send]",
	.summary = "move it (same UID, SEQUENCE + 1)",
	.opts = {
		{ .name = "at", .key = 'a', .arg = "TIME", .help = "the new start, wall clock "
		  "(read in --tz, else in the drill's own zone)" },
		{ .name = "duration", .key = 'D', .arg = "MIN", .check = reschedule_duration_check,
		  .help = "how long, in minutes (without it, or with 0, the duration stays)" },
		DRILL_TZ,
		DRILL_SEND("send the update"),
	},
	.args = DRILL_ID,
	.flags = CMD_NEEDS_DB,
	.check = drill_update_check,
	.exec = drill_reschedule,
};

static const struct cmd_entry drill_cancel_entry = {
	.name = "cancel",
	.usage = "ID [--send]",
	.summary = "cancel it (METHOD:CANCEL, SEQUENCE + 1)",
	.opts = { DRILL_SEND("send the cancellation") },
	.args = DRILL_ID,
	.flags = CMD_NEEDS_DB,
	.check = drill_update_check,
	.exec = drill_cancel,
};

static const struct cmd_entry drill_done_entry = {
	.name = "done",
	.usage = "ID --result pass|fail [--rto MINUTES] [--notes TEXT]",
	.summary = "record the outcome; pass marks the post-mortem verified",
	.opts = {
		{ .name = "result", .key = 'r', .arg = "R", .values = "pass|fail",
		  .help = "pass or fail" },
		{ .name = "rto", .key = 'R', .arg = "MINUTES", .check = rto_check,
		  .help = "the recovery time measured" },
		{ .name = "notes", .key = 'N', .arg = "TEXT", .help = "what happened" },
	},
	.args = DRILL_ID,
	.flags = CMD_NEEDS_DB | CMD_WRITES,	/* records the result whatever the options */
	.check = drill_done_check,
	.exec = drill_done,
};

static const struct cmd_entry drill_propose_entry = {
	.name = "propose",
	.usage = "[--send]",
	.summary = "schedule the re-runs that are due ([drill] after_close_days after the last "
	           "item closed; runbooks older than max_age_days)",
	.opts = { DRILL_SEND("schedule them and send their invites") },
	.args = { .lower = 0, .upper = 0 },
	.flags = CMD_NEEDS_DB,
	.exec = drill_propose,
};

const struct cmd_entry cmd_drill_entry = {
	.name = "drill",
	.summary = "schedule DR drill re-runs and runbook drills as calendar invites",
	.subs = (const struct cmd_entry *const[]){
		&drill_list_entry, &drill_schedule_entry, &drill_reschedule_entry,
		&drill_cancel_entry, &drill_done_entry, &drill_propose_entry, NULL
	},
	.text = "Without --send, schedule/reschedule/cancel/propose print the calendar they\n"
	        "would send and change nothing. Times are wall clock in --tz, else [drill]\n"
	        "timezone, else [closeloop] timezone, else UTC.\n",
};
