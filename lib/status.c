/* status.c — what `closeloop status` shows: read once, written through the
 * writer for people and, in its JSON, as the documented object. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "drill.h"
#include "import.h"
#include "nag.h"
#include "report.h"
#include "run.h"
#include "status.h"
#include "util.h"
#include "writer.h"

struct status_run {
	char *started_at, *ended_at, *outcome, *steps;	/* steps: JSON text */
	int exit_code;			/* -1: none recorded */
};

struct status_report {
	char *name;			/* "" for the plain [report] */
	char week[16];			/* due now, or "" */
	time_t at;			/* next due point when not due */
};

struct cl_status {
	const struct cl_config *cfg;
	time_t now;
	long long open, overdue;
	char *last_ok, *failed_at;
	int mailed;			/* a transport, and a report with recipients */
	struct status_report *reports;
	size_t nreports;
	size_t nag_due;
	time_t nag_next;
	struct cl_drill *drills;
	size_t ndrills;
	struct status_run runs[5];
	size_t nruns;
	struct cl_pm_missing *missing;
	size_t nmissing;
};

void
cl_status_free(struct cl_status *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->last_ok);
	free(s->failed_at);
	for (i = 0; i < s->nreports; i++)
		free(s->reports[i].name);
	free(s->reports);
	cl_drills_free(s->drills, s->ndrills);
	for (i = 0; i < s->nruns; i++) {
		free(s->runs[i].started_at);
		free(s->runs[i].ended_at);
		free(s->runs[i].outcome);
		free(s->runs[i].steps);
	}
	cl_pm_missing_free(s->missing, s->nmissing);
	free(s);
}

/* Open and overdue items, and the owners with an item due for a reminder,
 * in one scan of the items (a second one cost status half its time). */
static int
status_items(struct cl_status *s, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *q = NULL;
	char today[11], soon[11];
	const char **owners = NULL;
	json_t *arr = NULL, *v;
	size_t n = 0, i;
	int rc, reach = 0;

	/* reminders only go to [people] with an address: without one, no owner
	 * needs looking for */
	for (i = 0; i < cl_config_people_count(s->cfg) && !reach; i++)
		reach = cl_config_person_at(s->cfg, i)->email != NULL;
	cl_date_format(cl_today(cl_config_timezone(s->cfg)), today);
	if ((rc = cl_nag_due_date(soon, s->cfg, err)) != 0 ||
	    (rc = cl_store_prepare(st, &q, reach ? "SELECT count(*), coalesce(sum(due < ?1), 0), "
	                           "json_group_array(DISTINCT CASE WHEN due <= ?2 THEN "
	                           "coalesce(nullif(owner, ''), nullif(owner_raw, '')) END) "
	                           "FROM items WHERE status = 'open'" :
	                           "SELECT count(*), coalesce(sum(due < ?1), 0), '[]' "
	                           "FROM items WHERE status = 'open'",
	                           err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, today, -1, SQLITE_STATIC);
	if (reach)
		sqlite3_bind_text(q, 2, soon, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		rc = cl_store_fail(st, rc, err, "status");
		goto done;
	}
	s->open = sqlite3_column_int64(q, 0);
	s->overdue = sqlite3_column_int64(q, 1);
	arr = json_loads((const char *)sqlite3_column_text(q, 2), 0, NULL);
	if (arr == NULL || (json_array_size(arr) > 0 &&
	                    (owners = cl_calloc(json_array_size(arr), sizeof *owners)) == NULL)) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	json_array_foreach(arr, i, v)
		if (json_is_string(v))
			owners[n++] = json_string_value(v);
	rc = cl_nag_due_owners(&s->nag_due, &s->nag_next, st, s->cfg, owners, n, err);
done:
	sqlite3_finalize(q);
	json_decref(arr);
	free(owners);
	return rc;
}

/* When each audience's report is due: the plain [report], then each
 * [report "NAME"]. */
static int
status_reports(struct cl_status *s, struct cl_store *st, struct cl_error *err)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0, y, w;

	if (cl_report_names(&names, &n, s->cfg) != 0 ||
	    (s->reports = cl_calloc(n + 1, sizeof *s->reports)) == NULL) {
		cl_report_names_free(names, n);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	s->mailed = cl_run_mail_configured(s->cfg) &&
	            (cl_config_get(s->cfg, "report", "to") != NULL || n > 0);
	for (i = 0; i <= n && rc == 0; i++) {
		struct status_report *r = &s->reports[s->nreports];
		const char *name = i == 0 ? NULL : names[i - 1];
		if ((r->name = cl_strdup(name ? name : "")) == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		s->nreports++;
		if ((rc = cl_run_report_due(&y, &w, &r->at, st, s->cfg, name, s->now, err)) == 0 &&
		    y != 0)
			snprintf(r->week, sizeof r->week, "%04d-W%02d", y, w);
	}
	cl_report_names_free(names, n);
	return rc;
}

/* The last 5 runs, newest first. */
static int
status_runs(struct cl_status *s, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *q;
	int rc, step;

	if ((rc = cl_store_prepare(st, &q, "SELECT started_at, ended_at, exit_code, outcome, "
	                           "steps FROM runs ORDER BY id DESC LIMIT 5", err)) != 0)
		return rc;
	while ((step = sqlite3_step(q)) == SQLITE_ROW && s->nruns < 5) {
		struct status_run *r = &s->runs[s->nruns++];
		r->started_at = cl_column_dup(q, 0);
		r->ended_at = cl_column_dup(q, 1);
		r->exit_code = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 :
		               sqlite3_column_int(q, 2);
		r->outcome = cl_column_dup(q, 3);
		r->steps = cl_column_dup(q, 4);
		if (r->started_at == NULL) {
			sqlite3_finalize(q);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
	}
	sqlite3_finalize(q);
	return step == SQLITE_DONE || step == SQLITE_ROW ? 0 : cl_store_fail(st, step, err, "runs");
}

int
cl_status_build(struct cl_status **out, struct cl_store *st, const struct cl_config *cfg,
                struct cl_error *err)
{
	struct cl_status *s;
	int rc;

	*out = NULL;
	if ((s = cl_calloc(1, sizeof *s)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	s->cfg = cfg;
	s->now = cl_now();
	s->last_ok = cl_store_meta_get(st, "last_sync_ok");
	s->failed_at = cl_store_meta_get(st, "sync_failed_at");
	if ((rc = status_items(s, st, err)) != 0 || (rc = status_reports(s, st, err)) != 0 ||
	    (rc = cl_drill_list(&s->drills, &s->ndrills, st, NULL, err)) != 0 ||
	    (rc = status_runs(s, st, err)) != 0 ||
	    (rc = cl_import_missing(&s->missing, &s->nmissing, st, err)) != 0) {
		cl_status_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* A drill shown as scheduled ahead. */
static int
status_drill_ahead(const struct cl_status *s, const struct cl_drill *d)
{
	return strcmp(d->state, "scheduled") == 0 && d->start >= s->now;
}

/* An instant as UTC RFC 3339 into buf, or NULL for 0. */
static const char *
status_utc(time_t t, char buf[21])
{
	if (t == 0)
		return NULL;
	cl_time_format_utc(t, buf);
	return buf;
}

static const struct cl_col json_drill_cols[] = {
	{ "id", "Drill", CL_COL_INT, NULL },
	{ "title", "Title", CL_COL_WIDE, NULL },
	{ "start", "Start", CL_COL_ID, NULL },
};

static const struct cl_col json_missing_cols[] = {
	{ "id", "Post-mortem", CL_COL_ID, NULL },
	{ "source", "Source", CL_COL_WIDE, NULL },
	{ "missing_since", "Missing since", CL_COL_ID, NULL },
	{ "retired_at", "Retired", CL_COL_ID, NULL },
};

/* ran is a JSON boolean: a bare value, as a number is */
static const struct cl_col json_step_cols[] = {
	{ "step", "Step", CL_COL_ID, NULL },
	{ "ran", "Ran", CL_COL_INT, NULL },
	{ "outcome", "Outcome", CL_COL_ID, NULL },
	{ "detail", "Detail", CL_COL_WIDE, NULL },
};

/* One audience's next report: {week, at: "now"} when due, else {at}. */
static void
status_json_report(struct cl_writer *w, const char *key, const struct status_report *r,
                   int named)
{
	char at[21];

	cl_writer_facts(w, key, NULL);
	if (*r->week) {
		cl_writer_attr(w, "week", NULL, r->week, 0);
		cl_writer_attr(w, "at", NULL, "now", 0);
	} else {
		cl_writer_attr(w, "at", NULL, status_utc(r->at, at), 0);
	}
	if (named)
		cl_writer_attr(w, "name", NULL, r->name, 0);
	cl_writer_facts_end(w);
}

/* The runs with their steps (stored as JSON text by run). */
static void
status_json_runs(struct cl_writer *w, const struct cl_status *s)
{
	char code[16];
	size_t i, j;

	cl_writer_section(w, "runs", NULL, NULL, 0, 0);
	for (i = 0; i < s->nruns; i++) {
		const struct status_run *r = &s->runs[i];
		json_t *steps = r->steps ? json_loads(r->steps, 0, NULL) : NULL, *x;
		snprintf(code, sizeof code, "%d", r->exit_code);
		cl_writer_facts(w, NULL, NULL);
		cl_writer_attr(w, "started_at", NULL, r->started_at, 0);
		cl_writer_attr(w, "ended_at", NULL, r->ended_at, 0);
		cl_writer_attr(w, "exit_code", NULL, r->exit_code < 0 ? NULL : code, 1);
		cl_writer_attr(w, "outcome", NULL, r->outcome ? r->outcome : "unfinished", 0);
		cl_writer_section(w, "steps", NULL, json_step_cols, 4, 0);
		json_array_foreach(steps, j, x) {
			const char *vals[4] = { json_string_value(json_object_get(x, "step")),
			                        json_is_true(json_object_get(x, "ran")) ? "true" : "false",
			                        json_string_value(json_object_get(x, "outcome")),
			                        json_string_value(json_object_get(x, "detail")) };
			cl_writer_row(w, vals);
		}
		cl_writer_section_end(w);
		cl_writer_facts_end(w);
		json_decref(steps);
	}
	cl_writer_section_end(w);
}

/* The documented JSON object (closeloop(1), JSON OUTPUT) through the
 * writer's JSON. */
static void
status_write_json(struct cl_writer *w, const struct cl_status *s)
{
	char b[3][32];
	size_t i;

	cl_writer_start(w, "closeloop status", NULL);
	cl_writer_facts(w, "sync", NULL);
	cl_writer_attr(w, "last_ok", NULL, s->last_ok, 0);
	if (s->last_ok) {
		time_t t;
		if (cl_time_parse(s->last_ok, &t) == 0) {
			snprintf(b[0], sizeof b[0], "%lld", (long long)(s->now - t) / 60);
			cl_writer_attr(w, "minutes_ago", NULL, b[0], 1);
		}
	}
	cl_writer_attr(w, "failed_at", NULL, s->failed_at, 0);
	cl_writer_facts_end(w);
	cl_writer_facts(w, "items", NULL);
	snprintf(b[0], sizeof b[0], "%lld", s->open);
	snprintf(b[1], sizeof b[1], "%lld", s->overdue);
	cl_writer_attr(w, "open", NULL, b[0], 1);
	cl_writer_attr(w, "overdue", NULL, b[1], 1);
	cl_writer_facts_end(w);
	cl_writer_facts(w, "next", NULL);
	if (s->nreports > 0)
		status_json_report(w, "report", &s->reports[0], 0);
	cl_writer_section(w, "reports", NULL, NULL, 0, 0);
	for (i = 0; i < s->nreports; i++)
		status_json_report(w, NULL, &s->reports[i], 1);
	cl_writer_section_end(w);
	cl_writer_facts(w, "reminders", NULL);
	snprintf(b[0], sizeof b[0], "%zu", s->nag_due);
	cl_writer_attr(w, "due_now", NULL, b[0], 1);
	cl_writer_attr(w, "next_at", NULL, status_utc(s->nag_next, b[1]), 0);
	cl_writer_facts_end(w);
	cl_writer_section(w, "drills", NULL, json_drill_cols, 3, 0);
	for (i = 0; i < s->ndrills; i++) {
		const char *vals[3] = { b[0], s->drills[i].title, status_utc(s->drills[i].start, b[1]) };
		if (!status_drill_ahead(s, &s->drills[i]))
			continue;
		snprintf(b[0], sizeof b[0], "%lld", s->drills[i].id);
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
	cl_writer_facts_end(w);
	status_json_runs(w, s);
	cl_writer_section(w, "missing", NULL, json_missing_cols, 4, 0);
	for (i = 0; i < s->nmissing; i++) {
		const struct cl_pm_missing *m = &s->missing[i];
		const char *vals[4] = { m->slug, m->source, m->missing_since, m->retired_at };
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
	cl_writer_end(w, NULL);
}

/* A UTC RFC 3339 instant as local time with the zone, for people. */
static const char *
status_local(const struct cl_status *s, const char *utc, char out[64])
{
	time_t t;

	if (utc == NULL)
		return "-";
	if (cl_time_parse(utc, &t) != 0 || cl_time_format_local(t, cl_config_timezone(s->cfg),
	                                                        out) != 0)
		return utc;
	return out;
}

static const struct cl_col drill_cols[] = {
	{ "start", "Start", CL_COL_ID, NULL },
	{ "id", "Drill", CL_COL_ID, NULL },
	{ "title", "Title", CL_COL_WIDE, NULL },
};

static const struct cl_col missing_cols[] = {
	{ "id", "Post-mortem", CL_COL_ID, NULL },
	{ "source", "Source", CL_COL_WIDE, NULL },
	{ "missing_since", "Missing since", CL_COL_DATE, NULL },
	{ "withdrawn", "Open items", CL_COL_TEXT, NULL },
};

static const struct cl_col step_cols[] = {
	{ "step", "Step", CL_COL_ID, NULL },
	{ "outcome", "Outcome", CL_COL_ID, NULL },
	{ "detail", "Detail", CL_COL_WIDE, NULL },
};

/* The report lines: one per audience. */
static void
status_write_reports(struct cl_writer *w, const struct cl_status *s)
{
	char label[96], at[64], utc[21];
	size_t i;

	for (i = 0; i < s->nreports; i++) {
		const struct status_report *r = &s->reports[i];
		snprintf(label, sizeof label, "report%s%s%s", *r->name ? " \"" : "", r->name,
		         *r->name ? "\"" : "");
		cl_writer_facts(w, *r->name ? "report_named" : "report", label);
		if (!s->mailed)
			cl_writer_attr(w, "not_mailed", "not mailed:", "no [mail] transport or "
			               "[report] to ('closeloop report' prints it)", 0);
		else if (*r->week)
			cl_writer_attr(w, "due_now", "due now:", r->week, 0);
		else {
			cl_time_format_utc(r->at, utc);
			cl_writer_attr(w, "next_at", "next at", status_local(s, utc, at), 0);
		}
		cl_writer_facts_end(w);
	}
}

/* The runs, newest first, each with the steps that ran or did not go well. */
static void
status_write_runs(struct cl_writer *w, const struct cl_status *s)
{
	char when[64], name[64];
	size_t i, j;

	cl_writer_section(w, "runs", "Last runs", step_cols, 3, 0);
	for (i = 0; i < s->nruns; i++) {
		const struct status_run *r = &s->runs[i];
		json_t *steps = r->steps ? json_loads(r->steps, 0, NULL) : NULL, *x;
		size_t shown = 0;
		json_array_foreach(steps, j, x)
			shown += json_is_true(json_object_get(x, "ran")) ||
			         !json_is_string(json_object_get(x, "outcome")) ||
			         strcmp(json_string_value(json_object_get(x, "outcome")), "ok") != 0;
		if (r->exit_code >= 0)
			snprintf(name, sizeof name, "%s, exit %d", r->outcome ? r->outcome : "unfinished",
			         r->exit_code);
		else
			snprintf(name, sizeof name, "%s", r->outcome ? r->outcome : "unfinished");
		cl_writer_group(w, "run", status_local(s, r->started_at, when), name, (long long)shown);
		json_array_foreach(steps, j, x) {
			const char *out = json_string_value(json_object_get(x, "outcome"));
			const char *vals[3] = { json_string_value(json_object_get(x, "step")), out,
			                        json_string_value(json_object_get(x, "detail")) };
			if (json_is_true(json_object_get(x, "ran")) || out == NULL ||
			    strcmp(out, "ok") != 0)
				cl_writer_row(w, vals);
		}
		cl_writer_group_end(w);
		json_decref(steps);
	}
	cl_writer_section_end(w);
}

/* The status through the writer (text, Markdown, HTML). */
static void
status_write(struct cl_writer *w, const struct cl_status *s)
{
	char b[4][64], utc[21];
	size_t i;

	cl_writer_start(w, "closeloop status", NULL);
	cl_writer_facts(w, "items", "items");
	cl_writer_attr(w, "open", "open", (snprintf(b[0], 64, "%lld", s->open), b[0]), 1);
	cl_writer_attr(w, "overdue", "overdue", (snprintf(b[1], 64, "%lld", s->overdue), b[1]), 1);
	cl_writer_facts_end(w);
	cl_writer_facts(w, "sync", "sync");
	if (s->last_ok) {
		time_t t = 0;
		cl_writer_attr(w, "last_ok", "last success", status_local(s, s->last_ok, b[0]), 0);
		if (cl_time_parse(s->last_ok, &t) == 0) {
			snprintf(b[1], 64, "%lld", (long long)(s->now - t) / 60);
			cl_writer_attr(w, "minutes_ago", "minutes ago", b[1], 1);
		}
	} else {
		cl_writer_attr(w, "last_ok", "last success", "never", 0);
	}
	if (s->failed_at)
		cl_writer_attr(w, "failed_at", "last attempt failed at",
		               status_local(s, s->failed_at, b[2]), 0);
	cl_writer_facts_end(w);
	status_write_reports(w, s);
	cl_writer_facts(w, "reminders", "reminders");
	snprintf(b[0], 64, "%zu", s->nag_due);
	cl_writer_attr(w, "due_now", "due now", b[0], 1);
	if (s->nag_next) {
		cl_time_format_utc(s->nag_next, utc);
		cl_writer_attr(w, "next_at", "next at", status_local(s, utc, b[1]), 0);
	}
	cl_writer_facts_end(w);
	cl_writer_section(w, "drills", "Drills scheduled ahead", drill_cols, 3, 0);
	for (i = 0; i < s->ndrills; i++) {
		const struct cl_drill *d = &s->drills[i];
		const char *vals[3] = { b[0], b[1], d->title };
		if (!status_drill_ahead(s, d))
			continue;
		cl_time_format_utc(d->start, utc);
		status_local(s, utc, b[0]);
		snprintf(b[1], 64, "#%lld", d->id);
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
	if (s->nmissing > 0) {
		cl_writer_section(w, "missing", "Post-mortems missing from their source",
		                  missing_cols, 4, 0);
		for (i = 0; i < s->nmissing; i++) {
			const struct cl_pm_missing *m = &s->missing[i];
			const char *vals[4] = { m->slug, m->source, b[0],
			                        m->retired_at ? "withdrawn" : "" };
			snprintf(b[0], 11, "%s", m->missing_since ? m->missing_since : "");
			cl_writer_row(w, vals);
		}
		cl_writer_section_end(w);
	}
	status_write_runs(w, s);
	cl_writer_end(w, NULL);
}

int
cl_status_write(FILE *fp, const struct cl_status *s, int format, struct cl_error *err)
{
	struct cl_writer *w = NULL;
	int rc;

	if ((rc = cl_writer_new(&w, format, fp, err)) != 0)
		return rc;
	if (format == CL_WRITER_JSON)
		status_write_json(w, s);
	else
		status_write(w, s);
	rc = cl_writer_finish(w, err);
	cl_writer_free(w);
	return rc;
}
