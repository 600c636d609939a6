/* run.c — the cron entry point: every step that is due, in order. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <jansson.h>

#include "dates.h"
#include "drill.h"
#include "import.h"
#include "mail.h"
#include "nag.h"
#include "report.h"
#include "source.h"
#include "run.h"
#include "sync.h"
#include "tracker.h"
#include "util.h"

int
cl_run_lock(int *out, const char *dbpath, struct cl_error *err)
{
	char *path = cl_asprintf("%s.lock", dbpath), info[256], now[21];
	ssize_t n;
	int fd, rc = 0;

	*out = -1;
	if (path == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		int e = errno;
		if (e == EACCES || e == EROFS || e == EPERM)
			rc = cl_error_set(err, CL_ECANTCREAT, "database '%s' cannot be written: "
			                  "unable to open its lock '%s': %s", dbpath, path, strerror(e));
		else
			rc = cl_error_set(err, CL_ECANTCREAT, "unable to open lock '%s': %s", path,
			                  strerror(e));
		goto done;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		n = pread(fd, info, sizeof info - 1, 0);
		info[n > 0 ? n : 0] = '\0';
		info[strcspn(info, "\n")] = '\0';
		rc = cl_error_set(err, CL_ETEMPFAIL, "another closeloop command holds '%s' (%s); "
		                  "nothing done", path, *info ? info : "holder unknown");
		close(fd);
		goto done;
	}
	cl_time_format_utc(cl_now(), now);
	n = snprintf(info, sizeof info, "pid %ld, started %s\n", (long)getpid(), now);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, info, (size_t)n, 0) != n) {
		/* the lock holds without the note; only the message is poorer */
	}
	*out = fd;
done:
	free(path);
	return rc;
}

void
cl_run_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
cl_run_mail_configured(const struct cl_config *cfg)
{
	const char *t = cl_config_get(cfg, "mail", "transport");

	if (t != NULL && *t)
		return 1;
	return cl_config_get(cfg, "mail", "host") != NULL ||
	       cl_config_get(cfg, "mail", "outbox") != NULL;
}

/* [report] weekday (of section, else of [report]) as 0 (Monday) … 6;
 * names, abbreviations or 1-7. */
static int
report_weekday(const struct cl_config *cfg, const char *sec, int *out, struct cl_error *err)
{
	static const char *const names[] = { "monday", "tuesday", "wednesday", "thursday",
		"friday", "saturday", "sunday" };
	const char *v = cl_config_get(cfg, sec, "weekday");

	if (v == NULL)
		v = cl_config_get(cfg, sec = "report", "weekday");
	size_t len;
	int i;

	*out = 0;
	if (v == NULL || *v == '\0')
		return 0;
	if (v[0] >= '1' && v[0] <= '7' && v[1] == '\0') {
		*out = v[0] - '1';
		return 0;
	}
	len = strlen(v);
	for (i = 0; i < 7; i++)
		if (len >= 3 && strncasecmp(v, names[i], len) == 0) {
			*out = i;
			return 0;
		}
	return cl_error_set(err, CL_ECONFIG, "%s:%d: [%s] weekday = '%s' is not a day",
	                    cl_config_path(cfg) ? cl_config_path(cfg) : "config",
	                    cl_config_line(cfg, sec, "weekday"), sec, v);
}

/* The report's due point in ISO week (y, w): weekday at hour, local time. */
static int
due_point(time_t *out, int y, int w, int weekday, long hour, const char *tz)
{
	struct tm tm;
	int yy, mm, dd;

	cl_civil_from_days(cl_iso_week_monday(y, w) + weekday, &yy, &mm, &dd);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = yy - 1900;
	tm.tm_mon = mm - 1;
	tm.tm_mday = dd;
	tm.tm_hour = (int)hour;
	return cl_mktime(&tm, tz, out);
}

int
cl_run_report_due(int *year, int *week, time_t *next, struct cl_store *st,
                  const struct cl_config *cfg, const char *name, time_t now,
                  struct cl_error *err)
{
	const char *tz = cl_config_timezone(cfg);
	char *created = NULL, wk[16], sec[96];
	size_t pending = 0;
	time_t due, created_t = 0, week_end;
	long hour;
	int rc, wd, y, w, today;

	*year = *week = 0;
	if ((rc = cl_report_section(sec, sizeof sec, cfg, name, err)) != 0 ||
	    (rc = report_weekday(cfg, sec, &wd, err)) != 0 ||
	    (rc = cl_config_get_int(cfg, "report", "hour", 9, 0, 23, &hour, err)) != 0 ||
	    (rc = cl_config_get_int(cfg, sec, "hour", hour, 0, 23, &hour, err)) != 0)
		return rc;
	today = cl_today(tz);
	cl_iso_week(today, &y, &w);
	if ((rc = due_point(&due, y, w, wd, hour, tz)) != 0)
		return cl_error_set(err, rc, "unknown time zone '%s'", tz);
	if (now < due) {
		*next = due;
		/* before this week's point: last week's, if it was missed */
		cl_iso_week(today - 7, &y, &w);
	} else {
		int ny, nw;
		cl_iso_week(today + 7, &ny, &nw);
		due_point(next, ny, nw, wd, hour, tz);
	}
	/* never for a week that ended before the database was created */
	created = cl_store_meta_get(st, "created_at");
	if (created != NULL)
		cl_time_parse(created, &created_t);
	free(created);
	due_point(&week_end, y, w, 7, 0, tz);	/* next Monday 00:00 */
	if (week_end <= created_t)
		return 0;
	snprintf(wk, sizeof wk, "%04d-W%02d", y, w);
	/* due while a recipient of that week's report has no answer yet */
	if ((rc = cl_report_pending(&pending, st, cfg, name, wk, err)) != 0)
		return rc;
	if (pending == 0)
		return 0;
	*year = y;
	*week = w;
	return 0;
}

/* ---- steps ----------------------------------------------------------------- */

struct lint_count {
	FILE *out;
	int problems, failed;
};

/* Import's report callback: lint problems are counted (and printed with
 * -v); unreadable files always go to stderr. */
static void
run_import_report(void *arg, const char *path, const struct cl_problem *p, const char *msg)
{
	struct lint_count *lc = arg;

	if (p != NULL) {
		lc->problems++;
		if (lc->out && p->line > 0)
			fprintf(lc->out, "%s:%d: %s: %s\n", path, p->line, p->code, p->message);
		else if (lc->out)	/* a page of a [source]: no lines */
			fprintf(lc->out, "%s: %s: %s\n", path, p->code, p->message);
	} else {
		lc->failed++;
		fprintf(stderr, "closeloop: %s: %s\n", path, msg);
	}
}

static int
step_import(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
            const struct cl_run_opts *o, struct cl_error *err)
{
	struct cl_import_opts io = { 0 };
	struct cl_import_stats stats;
	struct lint_count lc = { o->out, 0, 0 };
	int rc;

	if (cl_config_get_default(cfg, "closeloop", "sources", NULL) == NULL &&
	    !cl_source_any(cfg)) {
		snprintf(s->detail, sizeof s->detail, "no [closeloop] sources configured");
		return 0;
	}
	s->ran = 1;
	io.dry_run = o->dry_run;
	io.report = run_import_report;
	io.report_arg = &lc;
	rc = cl_import_sources(st, cfg, NULL, 0, &io, &stats, err);
	snprintf(s->detail, sizeof s->detail, "%d files (%d parsed, %d unchanged, %d failed): "
	         "%d new, %d updated, %d withdrawn items; %d lint problems",
	         stats.files_seen, stats.files_parsed, stats.files_unchanged, stats.files_failed,
	         stats.items_new, stats.items_updated, stats.items_withdrawn, lc.problems);
	if (stats.pm_missing > 0) {
		size_t len = strlen(s->detail);
		snprintf(s->detail + len, sizeof s->detail - len, "; %d post-mortem%s missing from "
		         "their source (closeloop status), %d retired", stats.pm_missing,
		         stats.pm_missing == 1 ? "" : "s", stats.pm_retired);
	}
	return rc;
}

static int
step_sync(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
          const struct cl_run_opts *o, struct cl_error *err)
{
	const char *kind = cl_config_get(cfg, "tracker", "kind");
	struct cl_sync_opts so = { 0 };
	struct cl_sync_stats stats;
	struct cl_tracker *t = NULL;
	FILE *devnull = NULL;
	int rc;

	if (kind == NULL || *kind == '\0' || strcmp(kind, "none") == 0) {
		snprintf(s->detail, sizeof s->detail, "no tracker configured");
		return 0;
	}
	s->ran = 1;
	memset(&stats, 0, sizeof stats);
	if ((rc = cl_tracker_open(&t, cfg, o->trace ? 2 : 0, err)) != 0) {
		if (!o->dry_run)
			cl_sync_note_outcome(st, rc);
		return rc;
	}
	so.dry_run = o->dry_run;
	/* quiet on success: what sync did goes to -v output only (the item
	 * problems it finds are on the items and in the weekly report) */
	so.plan = o->out;
	if (so.plan == NULL && (devnull = fopen("/dev/null", "w")) == NULL) {
		cl_tracker_free(t);
		return cl_error_set(err, CL_ERROR, "unable to open /dev/null: %s", strerror(errno));
	}
	if (so.plan == NULL)
		so.plan = devnull;
	rc = cl_sync_run(st, cfg, t, &so, &stats, err);
	if (devnull != NULL)
		fclose(devnull);
	cl_tracker_free(t);
	snprintf(s->detail, sizeof s->detail, "%d created, %d adopted, %d linked, %d updated, "
	         "%d closed, %d reopened, %d pulled, %d with problems; %ld request%s",
	         stats.created, stats.adopted, stats.linked, stats.updated, stats.closed,
	         stats.reopened, stats.pulled, stats.item_errors, stats.requests,
	         stats.requests == 1 ? "" : "s");
	return rc;
}

static int
step_drills(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
            const struct cl_run_opts *o, struct cl_error *err)
{
	struct cl_drill_mailer mailer;
	struct cl_drill_sender sender;
	struct cl_drill *v = NULL;
	size_t n = 0, i, stored = 0, resent = 0;
	int rc, rrc;

	if (!cl_run_mail_configured(cfg)) {
		snprintf(s->detail, sizeof s->detail, "no [mail] transport: drills not proposed");
		return 0;
	}
	s->ran = 1;
	memset(&mailer, 0, sizeof mailer);
	mailer.cfg = cfg;
	mailer.st = st;
	mailer.trace = o->trace;
	sender = cl_drill_mail_sender(&mailer);
	rc = cl_drill_propose(&v, &n, st, cfg, o->dry_run ? NULL : &sender, err);
	/* invites the server deferred for some attendee go to them now */
	if (!o->dry_run && (rrc = cl_drill_resend_deferred(&resent, st, cfg, &sender,
	                                                   rc == 0 ? err : NULL)) != 0 && rc == 0)
		rc = rrc;
	for (i = 0; i < n; i++) {
		if (v[i].id != 0)
			stored++;
		if (o->out && o->dry_run)
			fprintf(o->out, "drill: would propose '%s' (%s)\n", v[i].title,
			        v[i].reason ? v[i].reason : "due");
	}
	snprintf(s->detail, sizeof s->detail, "%zu re-run%s due, %zu scheduled and invited, "
	         "%zu deferred invite%s sent again%s%s", n, n == 1 ? "" : "s", stored, resent,
	         resent == 1 ? "" : "s", mailer.warning[0] ? "; " : "", mailer.warning);
	cl_drills_free(v, n);
	/* an invite some attendee refused: the drill stands, the run says so */
	if (rc == 0 && mailer.refused)
		rc = cl_error_set(err, mailer.refused_code ? mailer.refused_code : CL_EUNAVAIL,
		                  "%s", mailer.warning);
	return rc;
}

static int
step_nag(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
         const struct cl_run_opts *o, struct cl_error *err)
{
	struct cl_nag *v = NULL;
	size_t n = 0, i, due = 0, sent = 0;
	int rc;

	if (!cl_run_mail_configured(cfg)) {
		snprintf(s->detail, sizeof s->detail, "no [mail] transport: no reminders");
		return 0;
	}
	if ((rc = cl_nag_plan(&v, &n, st, cfg, err)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		due += v[i].email != NULL && !v[i].skipped;
	if (due == 0) {
		snprintf(s->detail, sizeof s->detail, "no reminder due");
		cl_nags_free(v, n);
		return 0;
	}
	s->ran = 1;
	if (o->dry_run) {
		for (i = 0; o->out && i < n; i++)
			if (v[i].email != NULL && !v[i].skipped)
				fprintf(o->out, "nag: would remind %s <%s> (%zu overdue, %zu due soon)\n",
				        v[i].owner, v[i].email, v[i].overdue, v[i].due_soon);
		snprintf(s->detail, sizeof s->detail, "%zu reminder%s due", due, due == 1 ? "" : "s");
	} else {
		rc = cl_nag_send(v, n, st, cfg, o->trace, &sent, err);
		snprintf(s->detail, sizeof s->detail, "%zu owner%s due a reminder, %zu message%s "
		         "sent (escalations included)", due, due == 1 ? "" : "s", sent,
		         sent == 1 ? "" : "s");
	}
	cl_nags_free(v, n);
	return rc;
}

/* One audience's report, when due: built, sent, and its failed drills
 * marked shown once sent. Appends what happened to s->detail. */
static int
step_report_one(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
                const struct cl_run_opts *o, const char *name, struct cl_error *err)
{
	size_t used = strlen(s->detail);
	char note[512], who[80];
	void *model = NULL;
	time_t next;
	int rc, mrc, y, w, sent;

	snprintf(who, sizeof who, "%s%s%s", name ? "report \"" : "report", name ? name : "",
	         name ? "\"" : "");
	if ((rc = cl_run_report_due(&y, &w, &next, st, cfg, name, cl_now(), err)) != 0)
		return rc;
	if (y == 0) {
		char nx[21];
		cl_time_format_utc(next, nx);
		snprintf(s->detail + used, sizeof s->detail - used, "%s%s%snot due (next %s)",
		         used ? "; " : "", name ? who : "", name ? " " : "", nx);
		return 0;
	}
	s->ran = 1;
	if (o->dry_run) {
		snprintf(s->detail + used, sizeof s->detail - used, "%s%s %04d-W%02d due",
		         used ? "; " : "", who, y, w);
		if (o->out)
			fprintf(o->out, "%s: would send %04d-W%02d\n", who, y, w);
		return 0;
	}
	if ((rc = cl_report_build_for(&model, st, cfg, name, NULL, y, w, err)) != 0)
		return rc;
	rc = cl_report_send_week(&sent, st, cfg, name, y, w, model, 0, o->trace, note, sizeof note,
	                         err);
	/* failed drills are shown until one report with them went out */
	if (sent && (mrc = cl_report_mark_shown(st, model, rc == 0 ? err : NULL)) != 0 && rc == 0)
		rc = mrc;
	cl_report_free(model);
	snprintf(s->detail + used, sizeof s->detail - used, "%s%s %04d-W%02d %s", used ? "; " : "",
	         who, y, w, note[0] ? note : sent ? "sent" : "not sent");
	return rc;
}

/* Every audience's report that is due: the plain [report] (when it has
 * recipients) and each [report "NAME"], each on its own schedule and mail
 * log; a failing one does not stop the others (the most serious code). */
static int
step_report(struct cl_run_step *s, struct cl_store *st, const struct cl_config *cfg,
            const struct cl_run_opts *o, struct cl_error *err)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0, one;

	if (cl_report_names(&names, &n, cfg) != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (!cl_run_mail_configured(cfg) || (cl_config_get(cfg, "report", "to") == NULL && n == 0)) {
		snprintf(s->detail, sizeof s->detail, "no [mail] transport or [report] to");
		cl_report_names_free(names, n);
		return 0;
	}
	if (cl_config_get(cfg, "report", "to") != NULL)
		rc = step_report_one(s, st, cfg, o, NULL, err);
	for (i = 0; i < n; i++) {
		struct cl_error e2 = { 0 };
		if ((one = step_report_one(s, st, cfg, o, names[i], rc ? &e2 : err)) != 0 &&
		    (rc == 0 || cl_exitcode(one) > cl_exitcode(rc)))
			rc = one;
	}
	cl_report_names_free(names, n);
	return rc;
}

typedef int (*step_fn)(struct cl_run_step *, struct cl_store *, const struct cl_config *,
                       const struct cl_run_opts *, struct cl_error *);

static const struct {
	const char *name;
	step_fn fn;
} steps[CL_RUN_NSTEPS] = {
	{ "import", step_import },
	{ "sync", step_sync },
	{ "drills", step_drills },
	{ "nag", step_nag },
	{ "report", step_report },
};

/* Writes the run's row: at start (ended_at NULL) and when it ends. */
static int
run_record(struct cl_store *st, struct cl_run_result *r, const char *start, int done,
           struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	json_t *arr = json_array();
	char end[21], *steps_json = NULL;
	int i, rc;

	for (i = 0; done && i < CL_RUN_NSTEPS; i++)
		json_array_append_new(arr, json_pack("{s:s, s:b, s:s, s:s}", "step",
		        r->steps[i].name, "ran", r->steps[i].ran, "outcome",
		        cl_error_name(r->steps[i].rc), "detail", r->steps[i].detail));
	steps_json = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	cl_time_format_utc(cl_now(), end);
	if (r->run_id == 0)
		rc = cl_store_prepare(st, &s, "INSERT INTO runs (started_at, dry_run) VALUES (?1, 0)",
		                      err);
	else
		rc = cl_store_prepare(st, &s, "UPDATE runs SET ended_at = ?2, exit_code = ?3, "
		                      "outcome = ?4, steps = ?5 WHERE id = ?6", err);
	if (rc == 0) {
		sqlite3_bind_text(s, 1, start, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, end, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, cl_exitcode(r->rc));
		sqlite3_bind_text(s, 4, cl_error_name(r->rc), -1, SQLITE_STATIC);
		cl_bind_text(s, 5, steps_json);
		sqlite3_bind_int64(s, 6, r->run_id);
		if ((rc = sqlite3_step(s)) != SQLITE_DONE)
			rc = cl_store_fail(st, rc, err, "recording the run");
		else
			rc = 0;
		if (rc == 0 && r->run_id == 0)
			r->run_id = sqlite3_last_insert_rowid(cl_store_db(st));
	}
	sqlite3_finalize(s);
	free(steps_json);
	return rc;
}

int
cl_run(struct cl_run_result *r, struct cl_store *st, const struct cl_config *cfg,
       const struct cl_run_opts *opts, struct cl_error *err)
{
	struct cl_run_opts none = { 0 };
	char start[21];
	int i, rc;

	memset(r, 0, sizeof *r);
	if (opts == NULL)
		opts = &none;
	cl_time_format_utc(cl_now(), start);
	if (!opts->dry_run && (rc = run_record(st, r, start, 0, err)) != 0) {
		/* the caller reports r->rc: not 0 for a run that never started */
		r->rc = rc;
		return rc;
	}
	for (i = 0; i < CL_RUN_NSTEPS; i++) {
		struct cl_error serr = { 0 };
		struct cl_run_step *s = &r->steps[i];

		s->name = steps[i].name;
		s->rc = steps[i].fn(s, st, cfg, opts, &serr);
		if (s->rc != 0) {
			if (serr.msg[0])
				snprintf(s->detail, sizeof s->detail, "%s", serr.msg);
			/* the first failing step explains the run's status */
			cl_error_set(err, s->rc, "%s: %s", s->name, s->detail);
		}
		r->rc = cl_error_worse(r->rc, s->rc);
	}
	if (!opts->dry_run && (rc = run_record(st, r, start, 1, err)) != 0)
		r->rc = cl_error_worse(r->rc, rc);
	return r->rc;
}
