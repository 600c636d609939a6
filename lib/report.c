/* report.c — the weekly report: a JSON model from the items store, rendered
 * as text, Markdown or HTML, and its mail. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "items.h"
#include "drill.h"
#include "report.h"
#include "util.h"

#define TREND_WEEKS 8

int
cl_report_format_parse(const char *s, int *out)
{
	static const char *const names[] = { "text", "markdown", "html", "json" };
	int i;

	for (i = 0; i < 4; i++)
		if (s && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return CL_EUSAGE;
}

/* The local day (in tz) of a UTC RFC 3339 time, or CL_NO_DATE. */
static int
report_local_day(const char *utc, const char *tz)
{
	struct tm tm;
	time_t t;

	if (utc == NULL || cl_time_parse(utc, &t) != 0 || cl_localtime(t, tz, &tm) != 0)
		return CL_NO_DATE;
	return cl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int
report_due_day(const struct cl_item *it)
{
	int d;
	return it->due && cl_date_parse_iso(it->due, &d) == 0 ? d : CL_NO_DATE;
}

/* Who an item belongs to, as grouped in the report. */
static const char *
report_owner_key(const struct cl_item *it)
{
	if (it->owner && *it->owner)
		return it->owner;
	if (it->owner_raw && *it->owner_raw)
		return it->owner_raw;
	return "(no owner)";
}

static json_t *
jdate(int day)
{
	char buf[11];

	if (day == CL_NO_DATE)
		return json_null();
	cl_date_format(day, buf);
	return json_string(buf);
}

static void
week_label(int year, int week, char out[16])
{
	snprintf(out, 16, "%04d-W%02d", year, week);
}

/* An item as the report shows it: the list contract plus report fields. */
static json_t *
report_item(const struct cl_item *it, const struct cl_config *cfg, int ref)
{
	json_t *o = cl_item_to_json(it);
	const struct cl_person *p = cl_config_person(cfg, report_owner_key(it));
	int late = cl_item_days_overdue(it, ref);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "days_overdue", json_integer(late > 0 ? late : 0));
	json_object_set_new(o, "owner_name", p && p->name ? json_string(p->name) : json_null());
	return o;
}

/* Sorts items by days overdue, most first (stable on key). */
static int
cmp_overdue(const void *a, const void *b)
{
	const struct cl_item *x = *(const struct cl_item *const *)a;
	const struct cl_item *y = *(const struct cl_item *const *)b;
	int dx = report_due_day(x), dy = report_due_day(y);

	if (dx != dy)
		return dx < dy ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* Post-mortems whose items are all done and whose drill has not verified
 * the fix yet; and post-mortems written late (lint code postmortem-late). */
static int
report_postmortems(json_t *model, struct cl_store *st, const char *tz, int ref,
                   struct cl_error *err)
{
	json_t *wait = json_array(), *late = json_array();
	sqlite3_stmt *s = NULL;
	int rc;

	json_object_set_new(model, "awaiting_drill", wait);
	json_object_set_new(model, "late_postmortems", late);
	if ((rc = cl_store_prepare(st, &s,
	        "SELECT p.slug, p.title, p.incident_date, count(*), max(i.closed_at) "
	        "FROM postmortems p JOIN items i ON i.postmortem_id = p.id "
	        "WHERE p.kind = 'postmortem' AND p.verified_at IS NULL "
	        "AND i.status != 'withdrawn' GROUP BY p.id "
	        "HAVING sum(i.status = 'open') = 0 ORDER BY max(i.closed_at), p.slug", err)) != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string((const char *)sqlite3_column_text(s, 0)));
		json_object_set_new(o, "title", sqlite3_column_type(s, 1) == SQLITE_NULL ? json_null()
		                    : json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(o, "incident_date", sqlite3_column_type(s, 2) == SQLITE_NULL
		                    ? json_null() : json_string((const char *)sqlite3_column_text(s, 2)));
		json_object_set_new(o, "items", json_integer(sqlite3_column_int(s, 3)));
		json_object_set_new(o, "closed", jdate(report_local_day(
		        (const char *)sqlite3_column_text(s, 4), tz)));
		json_array_append_new(wait, o);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(st, rc, err, "report");
	if ((rc = cl_store_prepare(st, &s,
	        "SELECT slug, title, incident_date, written_date, first_seen FROM postmortems "
	        "WHERE kind = 'postmortem' AND (' ' || problems || ' ') LIKE '% postmortem-late %' "
	        "ORDER BY incident_date DESC, slug", err)) != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int seen = report_local_day((const char *)sqlite3_column_text(s, 4), tz);
		json_t *o;
		/* only recent news: first seen within the trend window */
		if (seen != CL_NO_DATE && seen < ref - 7 * TREND_WEEKS)
			continue;
		o = json_object();
		json_object_set_new(o, "id", json_string((const char *)sqlite3_column_text(s, 0)));
		json_object_set_new(o, "title", sqlite3_column_type(s, 1) == SQLITE_NULL ? json_null()
		                    : json_string((const char *)sqlite3_column_text(s, 1)));
		json_object_set_new(o, "incident_date", sqlite3_column_type(s, 2) == SQLITE_NULL
		                    ? json_null() : json_string((const char *)sqlite3_column_text(s, 2)));
		json_object_set_new(o, "written_date", sqlite3_column_type(s, 3) == SQLITE_NULL
		                    ? json_null() : json_string((const char *)sqlite3_column_text(s, 3)));
		json_object_set_new(o, "first_seen", jdate(seen));
		json_array_append_new(late, o);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(st, rc, err, "report");
}

/* Open vs closed for the TREND_WEEKS weeks ending with monday's week. */
static json_t *
report_trend(const struct cl_item *v, size_t n, const char *tz, int monday)
{
	json_t *arr = json_array();
	int w, y, wk;
	size_t i;

	for (w = TREND_WEEKS - 1; w >= 0; w--) {
		int from = monday - 7 * w, to = from + 6, open = 0, closed = 0;
		char label[16];
		json_t *o = json_object();

		for (i = 0; i < n; i++) {
			int created, closed_day;
			if (strcmp(v[i].status, "withdrawn") == 0)
				continue;
			created = report_local_day(v[i].created_at, tz);
			closed_day = report_local_day(v[i].closed_at, tz);
			if (strcmp(v[i].status, "done") == 0 && closed_day == CL_NO_DATE)
				closed_day = created;
			if (strcmp(v[i].status, "open") == 0)
				closed_day = CL_NO_DATE;
			if (created != CL_NO_DATE && created <= to &&
			    (closed_day == CL_NO_DATE || closed_day > to))
				open++;
			if (closed_day != CL_NO_DATE && closed_day >= from && closed_day <= to)
				closed++;
		}
		cl_iso_week(from, &y, &wk);
		week_label(y, wk, label);
		json_object_set_new(o, "week", json_string(label));
		json_object_set_new(o, "open", json_integer(open));
		json_object_set_new(o, "closed", json_integer(closed));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Drill re-runs that failed and no sent report has shown yet. */
static int
report_failed_drills(json_t *m, struct cl_store *st, struct cl_error *err)
{
	struct cl_drill *v = NULL;
	json_t *arr = json_array();
	size_t n = 0, i;
	int rc;

	if ((rc = cl_drill_failures(&v, &n, st, 1, err)) != 0) {
		json_decref(arr);
		return rc;
	}
	for (i = 0; i < n; i++) {
		char start[21];
		cl_time_format_utc(v[i].start, start);
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:s, s:s?, s:s?}", "id",
		        (json_int_t)v[i].id, "title", v[i].title, "postmortem", v[i].pm_slug,
		        "start", start, "done_at", v[i].done_at, "notes", v[i].notes));
	}
	cl_drills_free(v, n);
	json_object_set_new(m, "failed_drills", arr);
	return 0;
}

int
cl_report_build(void **out, struct cl_store *st, const struct cl_config *cfg,
                int year, int week, struct cl_error *err)
{
	const char *tz = cl_config_timezone(cfg);
	struct cl_item_filter f = { 0 };
	struct cl_item *v = NULL, **late = NULL;
	size_t n = 0, nlate = 0, i, j;
	json_t *m = NULL, *counts, *overdue, *soon, *probs, *load, *noaddr;
	int today = cl_today(tz), monday, sunday, ref, rc;
	long soon_days;
	int open = 0, closed_week = 0, new_week = 0;
	char label[16];

	*out = NULL;
	if ((rc = cl_config_get_int(cfg, "nag", "due_soon_days", 3, 0, 365, &soon_days, err)) != 0)
		return rc;
	if (week == 0)
		cl_iso_week(today, &year, &week);
	monday = cl_iso_week_monday(year, week);
	sunday = monday + 6;
	ref = today >= monday && today <= sunday ? today : sunday;
	f.status = CL_ITEMS_ALL;
	if ((rc = cl_items_list(&v, &n, st, &f, err)) != 0)
		return rc;
	if ((late = cl_calloc(n ? n : 1, sizeof *late)) == NULL || (m = json_object()) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	week_label(year, week, label);
	json_object_set_new(m, "week", json_string(label));
	json_object_set_new(m, "from", jdate(monday));
	json_object_set_new(m, "to", jdate(sunday));
	json_object_set_new(m, "as_of", jdate(ref));
	json_object_set_new(m, "timezone", json_string(tz ? tz : "local"));
	{
		/* the tracker could not be reached on the last try: say so */
		char *stale = cl_store_meta_get(st, "sync_failed_at");
		json_object_set_new(m, "sync_failed_at", stale ? json_string(stale) : json_null());
		free(stale);
	}
	counts = json_object();
	json_object_set_new(m, "counts", counts);
	soon = json_array();
	probs = json_array();
	noaddr = json_array();
	for (i = 0; i < n; i++) {
		const struct cl_item *it = &v[i];
		int due = report_due_day(it), isopen = strcmp(it->status, "open") == 0;
		int created = report_local_day(it->created_at, tz);
		int closed = report_local_day(it->closed_at, tz);
		const struct cl_person *p;

		if (strcmp(it->status, "withdrawn") == 0)
			continue;
		if (created >= monday && created <= sunday)
			new_week++;
		if (strcmp(it->status, "done") == 0 && closed >= monday && closed <= sunday)
			closed_week++;
		if (!isopen)
			continue;
		open++;
		if (due != CL_NO_DATE && due < ref)
			late[nlate++] = &v[i];
		else if (due != CL_NO_DATE && due <= ref + 7)
			json_array_append_new(soon, report_item(it, cfg, ref));
		if (it->problems && *it->problems)
			json_array_append_new(probs, report_item(it, cfg, ref));
		p = cl_config_person(cfg, report_owner_key(it));
		if ((p == NULL || p->email == NULL) && due != CL_NO_DATE && due <= ref + soon_days)
			json_array_append_new(noaddr, report_item(it, cfg, ref));
	}
	json_object_set_new(counts, "open", json_integer(open));
	json_object_set_new(counts, "overdue", json_integer((json_int_t)nlate));
	json_object_set_new(counts, "closed_this_week", json_integer(closed_week));
	json_object_set_new(counts, "new_this_week", json_integer(new_week));
	json_object_set_new(counts, "due_next_7_days", json_integer((json_int_t)json_array_size(soon)));

	/* overdue, grouped by owner; owners ordered by their most overdue item */
	qsort(late, nlate, sizeof *late, cmp_overdue);
	overdue = json_array();
	json_object_set_new(m, "overdue", overdue);
	for (i = 0; i < nlate; i++) {
		const char *key = report_owner_key(late[i]);
		json_t *g = NULL, *items;
		for (j = 0; j < json_array_size(overdue); j++) {
			json_t *x = json_array_get(overdue, j);
			if (strcmp(json_string_value(json_object_get(x, "owner")), key) == 0)
				g = x;
		}
		if (g == NULL) {
			const struct cl_person *p = cl_config_person(cfg, key);
			g = json_object();
			json_object_set_new(g, "owner", json_string(key));
			json_object_set_new(g, "name", p && p->name ? json_string(p->name) : json_null());
			json_object_set_new(g, "items", json_array());
			json_array_append_new(overdue, g);
		}
		items = json_object_get(g, "items");
		json_array_append_new(items, report_item(late[i], cfg, ref));
	}
	json_object_set_new(m, "due_soon", soon);
	json_object_set_new(m, "problems", probs);
	if ((rc = report_failed_drills(m, st, err)) != 0)
		goto done;
	if ((rc = report_postmortems(m, st, tz, ref, err)) != 0)
		goto done;

	/* owner load: open and overdue items per owner ("no single hero") */
	load = json_array();
	for (i = 0; i < n; i++) {
		const char *key = report_owner_key(&v[i]);
		json_t *g = NULL;
		if (strcmp(v[i].status, "open") != 0)
			continue;
		for (j = 0; j < json_array_size(load); j++) {
			json_t *x = json_array_get(load, j);
			if (strcmp(json_string_value(json_object_get(x, "owner")), key) == 0)
				g = x;
		}
		if (g == NULL) {
			g = json_object();
			json_object_set_new(g, "owner", json_string(key));
			json_object_set_new(g, "open", json_integer(0));
			json_object_set_new(g, "overdue", json_integer(0));
			json_array_append_new(load, g);
		}
		json_object_set_new(g, "open", json_integer(json_integer_value(
		        json_object_get(g, "open")) + 1));
		if (cl_item_days_overdue(&v[i], ref) > 0)
			json_object_set_new(g, "overdue", json_integer(json_integer_value(
			        json_object_get(g, "overdue")) + 1));
	}
	/* most loaded first (insertion sort: the list is short) */
	for (i = 1; i < json_array_size(load); i++) {
		for (j = i; j > 0; j--) {
			json_t *a = json_array_get(load, j - 1), *b = json_array_get(load, j);
			json_int_t na = json_integer_value(json_object_get(a, "open"));
			json_int_t nb = json_integer_value(json_object_get(b, "open"));
			if (na > nb || (na == nb && strcmp(json_string_value(json_object_get(a, "owner")),
			                                   json_string_value(json_object_get(b, "owner"))) <= 0))
				break;
			json_incref(a);
			json_array_set(load, j - 1, b);
			json_array_set_new(load, j, a);
		}
	}
	json_object_set_new(m, "owner_load", load);
	json_object_set_new(m, "no_address", noaddr);
	json_object_set_new(m, "trend", report_trend(v, n, tz, monday));
done:
	free(late);
	cl_items_free(v, n);
	if (rc != 0) {
		json_decref(m);
		return rc;
	}
	*out = m;
	return 0;
}

const char *
cl_report_week(const void *model)
{
	return json_string_value(json_object_get((const json_t *)model, "week"));
}

/* ---- rendering ------------------------------------------------------------ */

static const char *
js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long
ji(const json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}


/* Markdown table cell: pipes and line breaks would break the table. */
static void
md_esc(struct cl_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			cl_buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			cl_buf_putc(b, ' ');
		else if (strchr("*_`[]<>", *s)) {
			cl_buf_putc(b, '\\');
			cl_buf_putc(b, *s);
		} else
			cl_buf_putc(b, *s);
	}
}

/* The tracker reference of an item: its URL, else its ticket. */
static const char *
item_link(const json_t *it)
{
	const char *u = js(it, "url");
	return *u ? u : js(it, "ticket");
}

static const char *
item_owner_label(const json_t *it)
{
	const char *n = js(it, "owner_name");
	if (*n)
		return n;
	n = js(it, "owner");
	if (*n)
		return n;
	n = js(it, "owner_raw");
	return *n ? n : "(no owner)";
}

static const char *
item_pm(const json_t *it)
{
	return js(json_object_get(it, "postmortem"), "id");
}

static const char *const section_titles[] = {
	"Overdue, by owner", "Due in the next 7 days", "Items with problems",
	"Post-mortems closed, waiting for their drill re-run", "Post-mortems written late",
	"Owner load (open items)", "Reminders impossible: owner without an address",
	"Trend: open vs closed, last 8 weeks", "Drill re-runs that failed",
};

/* Space separated problem codes of an item. */
static void
item_problems(struct cl_buf *b, const json_t *it)
{
	size_t i;
	json_t *p = json_object_get(it, "problems");

	for (i = 0; i < json_array_size(p); i++) {
		if (i)
			cl_buf_putc(b, ' ');
		cl_buf_puts(b, json_string_value(json_array_get(p, i)));
	}
}

static void
render_text(struct cl_buf *b, const json_t *m)
{
	const json_t *c = json_object_get(m, "counts"), *a, *g, *it;
	size_t i, j;

	cl_buf_printf(b, "closeloop weekly report %s (%s to %s), as of %s\n\n", js(m, "week"),
	              js(m, "from"), js(m, "to"), js(m, "as_of"));
	if (json_is_string(json_object_get(m, "sync_failed_at")))
		cl_buf_printf(b, "WARNING: the last sync with the issue tracker failed at %s; "
		              "statuses may be stale.\n\n", js(m, "sync_failed_at"));
	cl_buf_printf(b, "open %lld, overdue %lld, closed this week %lld, new this week %lld, "
	              "due in 7 days %lld\n", ji(c, "open"), ji(c, "overdue"),
	              ji(c, "closed_this_week"), ji(c, "new_this_week"), ji(c, "due_next_7_days"));
	a = json_object_get(m, "overdue");
	cl_buf_printf(b, "\n%s\n", section_titles[0]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, g) {
		const json_t *items = json_object_get(g, "items");
		cl_buf_printf(b, "  %s%s%s%s (%zu)\n", js(g, "owner"), *js(g, "name") ? " (" : "",
		              js(g, "name"), *js(g, "name") ? ")" : "", json_array_size(items));
		json_array_foreach(items, j, it) {
			cl_buf_printf(b, "    %3lldd late  %s  %s  [%s, due %s]%s%s\n",
			              ji(it, "days_overdue"), js(it, "id"), js(it, "action"), item_pm(it),
			              js(it, "due"), *item_link(it) ? " " : "", item_link(it));
		}
	}
	a = json_object_get(m, "due_soon");
	cl_buf_printf(b, "\n%s\n", section_titles[1]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, it)
		cl_buf_printf(b, "  %s  %s  %s  (%s)%s%s\n", js(it, "due"), js(it, "id"),
		              js(it, "action"), item_owner_label(it), *item_link(it) ? " " : "",
		              item_link(it));
	a = json_object_get(m, "problems");
	cl_buf_printf(b, "\n%s\n", section_titles[2]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, it) {
		cl_buf_printf(b, "  %s  %s  (", js(it, "id"), js(it, "action"));
		item_problems(b, it);
		cl_buf_puts(b, ")\n");
	}
	a = json_object_get(m, "awaiting_drill");
	cl_buf_printf(b, "\n%s\n", section_titles[3]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, it)
		cl_buf_printf(b, "  %s  %s  (%lld items, last closed %s)\n", js(it, "id"),
		              js(it, "title"), ji(it, "items"), js(it, "closed"));
	a = json_object_get(m, "failed_drills");
	if (json_array_size(a) > 0) {
		cl_buf_printf(b, "\n%s\n", section_titles[8]);
		json_array_foreach(a, i, it)
			cl_buf_printf(b, "  drill #%lld  %s  (%s, %s)%s%s\n", ji(it, "id"),
			              js(it, "title"), js(it, "postmortem"), js(it, "start"),
			              *js(it, "notes") ? ": " : "", js(it, "notes"));
	}
	a = json_object_get(m, "late_postmortems");
	cl_buf_printf(b, "\n%s\n", section_titles[4]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, it)
		cl_buf_printf(b, "  %s  %s  (incident %s, %s %s)\n", js(it, "id"), js(it, "title"),
		              *js(it, "incident_date") ? js(it, "incident_date") : "?",
		              *js(it, "written_date") ? "written" : "first seen",
		              *js(it, "written_date") ? js(it, "written_date") : js(it, "first_seen"));
	a = json_object_get(m, "owner_load");
	cl_buf_printf(b, "\n%s\n", section_titles[5]);
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "  none\n");
	json_array_foreach(a, i, it)
		cl_buf_printf(b, "  %-20s %3lld open, %lld overdue\n", js(it, "owner"), ji(it, "open"),
		              ji(it, "overdue"));
	a = json_object_get(m, "no_address");
	if (json_array_size(a) > 0) {
		cl_buf_printf(b, "\n%s\n", section_titles[6]);
		json_array_foreach(a, i, it)
			cl_buf_printf(b, "  %s  %s  %s  (due %s)\n", item_owner_label(it), js(it, "id"),
			              js(it, "action"), js(it, "due"));
	}
	a = json_object_get(m, "trend");
	cl_buf_printf(b, "\n%s\n", section_titles[7]);
	json_array_foreach(a, i, it) {
		long long o = ji(it, "open"), k = ji(it, "closed"), x;
		cl_buf_printf(b, "  %s  open %3lld ", js(it, "week"), o);
		for (x = 0; x < o && x < 40; x++)
			cl_buf_putc(b, '#');
		cl_buf_printf(b, "%s\n            closed %3lld ", o > 40 ? "+" : "", k);
		for (x = 0; x < k && x < 40; x++)
			cl_buf_putc(b, '=');
		cl_buf_puts(b, k > 40 ? "+\n" : "\n");
	}
}

static void
render_markdown(struct cl_buf *b, const json_t *m)
{
	const json_t *c = json_object_get(m, "counts"), *a, *g, *it;
	size_t i, j;

	cl_buf_printf(b, "# Weekly report %s\n\n%s to %s, as of %s\n\n", js(m, "week"),
	              js(m, "from"), js(m, "to"), js(m, "as_of"));
	if (json_is_string(json_object_get(m, "sync_failed_at")))
		cl_buf_printf(b, "> **Warning:** the last sync with the issue tracker failed at %s; "
		              "statuses may be stale.\n\n", js(m, "sync_failed_at"));
	cl_buf_printf(b, "| Open | Overdue | Closed this week | New this week | Due in 7 days |\n"
	              "|---:|---:|---:|---:|---:|\n| %lld | %lld | %lld | %lld | %lld |\n",
	              ji(c, "open"), ji(c, "overdue"), ji(c, "closed_this_week"),
	              ji(c, "new_this_week"), ji(c, "due_next_7_days"));
	cl_buf_printf(b, "\n## %s\n\n", section_titles[0]);
	a = json_object_get(m, "overdue");
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "None.\n");
	json_array_foreach(a, i, g) {
		cl_buf_puts(b, "### ");
		md_esc(b, js(g, "owner"));
		if (*js(g, "name")) {
			cl_buf_puts(b, " (");
			md_esc(b, js(g, "name"));
			cl_buf_puts(b, ")");
		}
		cl_buf_puts(b, "\n\n| Days late | Item | Action | Post-mortem | Due | Tracker |\n"
		            "|---:|---|---|---|---|---|\n");
		json_array_foreach(json_object_get(g, "items"), j, it) {
			cl_buf_printf(b, "| %lld | %s | ", ji(it, "days_overdue"), js(it, "id"));
			md_esc(b, js(it, "action"));
			cl_buf_printf(b, " | %s | %s | ", item_pm(it), js(it, "due"));
			md_esc(b, item_link(it));
			cl_buf_puts(b, " |\n");
		}
		cl_buf_putc(b, '\n');
	}
	cl_buf_printf(b, "\n## %s\n\n", section_titles[1]);
	a = json_object_get(m, "due_soon");
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "None.\n");
	else
		cl_buf_puts(b, "| Due | Item | Action | Owner |\n|---|---|---|---|\n");
	json_array_foreach(a, i, it) {
		cl_buf_printf(b, "| %s | %s | ", js(it, "due"), js(it, "id"));
		md_esc(b, js(it, "action"));
		cl_buf_puts(b, " | ");
		md_esc(b, item_owner_label(it));
		cl_buf_puts(b, " |\n");
	}
	cl_buf_printf(b, "\n## %s\n\n", section_titles[2]);
	a = json_object_get(m, "problems");
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "None.\n");
	json_array_foreach(a, i, it) {
		cl_buf_printf(b, "- %s: ", js(it, "id"));
		md_esc(b, js(it, "action"));
		cl_buf_puts(b, " (");
		item_problems(b, it);
		cl_buf_puts(b, ")\n");
	}
	cl_buf_printf(b, "\n## %s\n\n", section_titles[3]);
	a = json_object_get(m, "awaiting_drill");
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "None.\n");
	json_array_foreach(a, i, it) {
		cl_buf_printf(b, "- %s: ", js(it, "id"));
		md_esc(b, js(it, "title"));
		cl_buf_printf(b, " (%lld items, last closed %s)\n", ji(it, "items"), js(it, "closed"));
	}
	a = json_object_get(m, "failed_drills");
	if (json_array_size(a) > 0) {
		cl_buf_printf(b, "\n## %s\n\n", section_titles[8]);
		json_array_foreach(a, i, it) {
			cl_buf_printf(b, "- drill #%lld: ", ji(it, "id"));
			md_esc(b, js(it, "title"));
			cl_buf_printf(b, " (%s, %s)", js(it, "postmortem"), js(it, "start"));
			if (*js(it, "notes")) {
				cl_buf_puts(b, ": ");
				md_esc(b, js(it, "notes"));
			}
			cl_buf_putc(b, '\n');
		}
	}
	cl_buf_printf(b, "\n## %s\n\n", section_titles[4]);
	a = json_object_get(m, "late_postmortems");
	if (json_array_size(a) == 0)
		cl_buf_puts(b, "None.\n");
	json_array_foreach(a, i, it) {
		cl_buf_printf(b, "- %s: ", js(it, "id"));
		md_esc(b, js(it, "title"));
		cl_buf_printf(b, " (incident %s)\n", *js(it, "incident_date") ? js(it, "incident_date") : "?");
	}
	cl_buf_printf(b, "\n## %s\n\n| Owner | Open | Overdue |\n|---|---:|---:|\n", section_titles[5]);
	json_array_foreach(json_object_get(m, "owner_load"), i, it) {
		cl_buf_puts(b, "| ");
		md_esc(b, js(it, "owner"));
		cl_buf_printf(b, " | %lld | %lld |\n", ji(it, "open"), ji(it, "overdue"));
	}
	a = json_object_get(m, "no_address");
	if (json_array_size(a) > 0) {
		cl_buf_printf(b, "\n## %s\n\n", section_titles[6]);
		json_array_foreach(a, i, it) {
			cl_buf_puts(b, "- ");
			md_esc(b, item_owner_label(it));
			cl_buf_printf(b, ": %s ", js(it, "id"));
			md_esc(b, js(it, "action"));
			cl_buf_printf(b, " (due %s)\n", js(it, "due"));
		}
	}
	cl_buf_printf(b, "\n## %s\n\n| Week | Open | Closed |\n|---|---:|---:|\n", section_titles[7]);
	json_array_foreach(json_object_get(m, "trend"), i, it)
		cl_buf_printf(b, "| %s | %lld | %lld |\n", js(it, "week"), ji(it, "open"),
		              ji(it, "closed"));
}

#define H_TABLE "<table cellpadding=\"4\" cellspacing=\"0\" border=\"0\" " \
	"style=\"border-collapse:collapse;font-size:14px;margin:4px 0 12px 0\">"
#define H_TH "<th align=\"left\" style=\"border-bottom:2px solid #999;padding:4px 8px\">"
#define H_TD "<td style=\"border-bottom:1px solid #ddd;padding:4px 8px;vertical-align:top\">"
#define H_TDR "<td align=\"right\" style=\"border-bottom:1px solid #ddd;padding:4px 8px\">"
#define H_H2 "<h2 style=\"font-size:17px;margin:18px 0 6px 0;color:#333\">"

static void
html_section(struct cl_buf *b, int i)
{
	cl_buf_puts(b, H_H2);
	cl_buf_html(b, section_titles[i]);
	cl_buf_puts(b, "</h2>\n");
}

static void
html_none(struct cl_buf *b)
{
	cl_buf_puts(b, "<p style=\"color:#666;margin:4px 0\">None.</p>\n");
}

/* The tracker reference as a link when it is a web address. */
static void
html_link(struct cl_buf *b, const json_t *it)
{
	const char *u = js(it, "url"), *t = js(it, "ticket");

	if (!cl_str_starts_with(u, "https://") && !cl_str_starts_with(u, "http://"))
		u = t;	/* a ticket named in the document by its address */
	if (cl_str_starts_with(u, "https://") || cl_str_starts_with(u, "http://")) {
		cl_buf_puts(b, "<a href=\"");
		cl_buf_html(b, u);
		cl_buf_puts(b, "\">");
		cl_buf_html(b, *t ? t : u);
		cl_buf_puts(b, "</a>");
	} else {
		cl_buf_html(b, *t ? t : u);
	}
}

static void
render_html(struct cl_buf *b, const json_t *m)
{
	const json_t *c = json_object_get(m, "counts"), *a, *g, *it;
	static const char *const labels[] = { "Open", "Overdue", "Closed this week",
	                                      "New this week", "Due in 7 days" };
	static const char *const keys[] = { "open", "overdue", "closed_this_week",
	                                    "new_this_week", "due_next_7_days" };
	long long maxv = 1;
	size_t i, j;

	cl_buf_puts(b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\" />"
	            "<meta name=\"viewport\" content=\"width=device-width\" /><title>");
	cl_buf_printf(b, "Weekly report %s", js(m, "week"));
	cl_buf_puts(b, "</title></head>\n<body style=\"font-family:Helvetica,Arial,sans-serif;"
	            "color:#222;margin:0;padding:16px\">\n");
	cl_buf_printf(b, "<h1 style=\"font-size:22px;margin:0 0 4px 0\">Weekly report %s</h1>\n"
	              "<p style=\"color:#666;margin:0 0 12px 0\">%s to %s, as of %s</p>\n",
	              js(m, "week"), js(m, "from"), js(m, "to"), js(m, "as_of"));
	if (json_is_string(json_object_get(m, "sync_failed_at"))) {
		cl_buf_puts(b, "<p style=\"background:#fff3cd;padding:6px 10px;margin:0 0 12px 0\">"
		            "The last sync with the issue tracker failed at ");
		cl_buf_html(b, js(m, "sync_failed_at"));
		cl_buf_puts(b, "; statuses may be stale.</p>\n");
	}
	cl_buf_puts(b, H_TABLE "<tr>");
	for (i = 0; i < 5; i++)
		cl_buf_printf(b, "<td align=\"center\" style=\"padding:6px 14px;border:1px solid #ddd;"
		              "background:%s\"><div style=\"font-size:22px;font-weight:bold\">%lld"
		              "</div><div style=\"font-size:12px;color:#555\">%s</div></td>",
		              i == 1 && ji(c, keys[i]) > 0 ? "#fde2e1" : "#f6f6f6", ji(c, keys[i]),
		              labels[i]);
	cl_buf_puts(b, "</tr></table>\n");

	html_section(b, 0);
	a = json_object_get(m, "overdue");
	if (json_array_size(a) == 0)
		html_none(b);
	json_array_foreach(a, i, g) {
		cl_buf_puts(b, "<h3 style=\"font-size:15px;margin:10px 0 2px 0\">");
		cl_buf_html(b, js(g, "owner"));
		if (*js(g, "name")) {
			cl_buf_puts(b, " <span style=\"font-weight:normal;color:#555\">(");
			cl_buf_html(b, js(g, "name"));
			cl_buf_puts(b, ")</span>");
		}
		cl_buf_puts(b, "</h3>\n" H_TABLE "<tr>" H_TH "Days late</th>" H_TH "Item</th>" H_TH
		            "Action</th>" H_TH "Post-mortem</th>" H_TH "Due</th>" H_TH "Tracker</th></tr>\n");
		json_array_foreach(json_object_get(g, "items"), j, it) {
			cl_buf_printf(b, "<tr><td align=\"right\" style=\"border-bottom:1px solid #ddd;"
			              "padding:4px 8px;color:#b00;font-weight:bold\">%lld</td>" H_TD,
			              ji(it, "days_overdue"));
			cl_buf_html(b, js(it, "id"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, js(it, "action"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, item_pm(it));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, js(it, "due"));
			cl_buf_puts(b, "</td>" H_TD);
			html_link(b, it);
			cl_buf_puts(b, "</td></tr>\n");
		}
		cl_buf_puts(b, "</table>\n");
	}

	html_section(b, 1);
	a = json_object_get(m, "due_soon");
	if (json_array_size(a) == 0) {
		html_none(b);
	} else {
		cl_buf_puts(b, H_TABLE "<tr>" H_TH "Due</th>" H_TH "Item</th>" H_TH "Action</th>"
		            H_TH "Owner</th>" H_TH "Tracker</th></tr>\n");
		json_array_foreach(a, i, it) {
			cl_buf_puts(b, "<tr>" H_TD);
			cl_buf_html(b, js(it, "due"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, js(it, "id"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, js(it, "action"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, item_owner_label(it));
			cl_buf_puts(b, "</td>" H_TD);
			html_link(b, it);
			cl_buf_puts(b, "</td></tr>\n");
		}
		cl_buf_puts(b, "</table>\n");
	}

	html_section(b, 2);
	a = json_object_get(m, "problems");
	if (json_array_size(a) == 0) {
		html_none(b);
	} else {
		cl_buf_puts(b, H_TABLE "<tr>" H_TH "Item</th>" H_TH "Action</th>" H_TH "Owner</th>"
		            H_TH "Problems</th></tr>\n");
		json_array_foreach(a, i, it) {
			struct cl_buf p = CL_BUF_INIT;
			item_problems(&p, it);
			cl_buf_puts(b, "<tr>" H_TD);
			cl_buf_html(b, js(it, "id"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, js(it, "action"));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, item_owner_label(it));
			cl_buf_puts(b, "</td>" H_TD);
			cl_buf_html(b, cl_buf_str(&p));
			cl_buf_puts(b, "</td></tr>\n");
			cl_buf_release(&p);
		}
		cl_buf_puts(b, "</table>\n");
	}

	html_section(b, 3);
	a = json_object_get(m, "awaiting_drill");
	if (json_array_size(a) == 0)
		html_none(b);
	else
		cl_buf_puts(b, "<ul style=\"margin:4px 0\">\n");
	json_array_foreach(a, i, it) {
		cl_buf_puts(b, "<li>");
		cl_buf_html(b, js(it, "id"));
		cl_buf_puts(b, ": ");
		cl_buf_html(b, js(it, "title"));
		cl_buf_printf(b, " (%lld items, last closed %s)</li>\n", ji(it, "items"),
		              js(it, "closed"));
	}
	if (json_array_size(a) > 0)
		cl_buf_puts(b, "</ul>\n");

	a = json_object_get(m, "failed_drills");
	if (json_array_size(a) > 0) {
		html_section(b, 8);
		cl_buf_puts(b, "<ul style=\"margin:4px 0\">\n");
		json_array_foreach(a, i, it) {
			cl_buf_printf(b, "<li style=\"color:#b00020\">drill #%lld: ", ji(it, "id"));
			cl_buf_html(b, js(it, "title"));
			cl_buf_puts(b, " (");
			cl_buf_html(b, js(it, "postmortem"));
			cl_buf_printf(b, ", %s)", js(it, "start"));
			if (*js(it, "notes")) {
				cl_buf_puts(b, ": ");
				cl_buf_html(b, js(it, "notes"));
			}
			cl_buf_puts(b, "</li>\n");
		}
		cl_buf_puts(b, "</ul>\n");
	}
	html_section(b, 4);
	a = json_object_get(m, "late_postmortems");
	if (json_array_size(a) == 0)
		html_none(b);
	else
		cl_buf_puts(b, "<ul style=\"margin:4px 0\">\n");
	json_array_foreach(a, i, it) {
		cl_buf_puts(b, "<li>");
		cl_buf_html(b, js(it, "id"));
		cl_buf_puts(b, ": ");
		cl_buf_html(b, js(it, "title"));
		cl_buf_puts(b, " (incident ");
		cl_buf_html(b, *js(it, "incident_date") ? js(it, "incident_date") : "?");
		cl_buf_puts(b, ")</li>\n");
	}
	if (json_array_size(a) > 0)
		cl_buf_puts(b, "</ul>\n");

	html_section(b, 5);
	cl_buf_puts(b, H_TABLE "<tr>" H_TH "Owner</th>" H_TH "Open</th>" H_TH "Overdue</th></tr>\n");
	json_array_foreach(json_object_get(m, "owner_load"), i, it) {
		cl_buf_puts(b, "<tr>" H_TD);
		cl_buf_html(b, js(it, "owner"));
		cl_buf_printf(b, "</td>" H_TDR "%lld</td>" H_TDR "%lld</td></tr>\n", ji(it, "open"),
		              ji(it, "overdue"));
	}
	cl_buf_puts(b, "</table>\n");

	a = json_object_get(m, "no_address");
	if (json_array_size(a) > 0) {
		html_section(b, 6);
		cl_buf_puts(b, "<ul style=\"margin:4px 0\">\n");
		json_array_foreach(a, i, it) {
			cl_buf_puts(b, "<li>");
			cl_buf_html(b, item_owner_label(it));
			cl_buf_puts(b, ": ");
			cl_buf_html(b, js(it, "id"));
			cl_buf_puts(b, " ");
			cl_buf_html(b, js(it, "action"));
			cl_buf_printf(b, " (due %s)</li>\n", js(it, "due"));
		}
		cl_buf_puts(b, "</ul>\n");
	}

	/* the trend as a bar chart of table cells: widths in pixels */
	html_section(b, 7);
	a = json_object_get(m, "trend");
	json_array_foreach(a, i, it) {
		if (ji(it, "open") > maxv)
			maxv = ji(it, "open");
		if (ji(it, "closed") > maxv)
			maxv = ji(it, "closed");
	}
	cl_buf_puts(b, H_TABLE "<tr>" H_TH "Week</th>" H_TH "Open (red) / closed (green)</th></tr>\n");
	json_array_foreach(a, i, it) {
		long long o = ji(it, "open"), k = ji(it, "closed");
		int wo = (int)(o * 300 / maxv), wk = (int)(k * 300 / maxv);
		cl_buf_printf(b, "<tr>" H_TD "%s</td>" H_TD, js(it, "week"));
		cl_buf_printf(b, "<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
		              "<td width=\"%d\" height=\"10\" style=\"background:#d9534f;width:%dpx;"
		              "height:10px;font-size:1px;line-height:1px\">&#160;</td>"
		              "<td style=\"font-size:12px;padding-left:6px\">%lld open</td></tr></table>",
		              wo ? wo : 1, wo ? wo : 1, o);
		cl_buf_printf(b, "<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
		              "<td width=\"%d\" height=\"10\" style=\"background:#5cb85c;width:%dpx;"
		              "height:10px;font-size:1px;line-height:1px\">&#160;</td>"
		              "<td style=\"font-size:12px;padding-left:6px\">%lld closed</td></tr></table>",
		              wk ? wk : 1, wk ? wk : 1, k);
		cl_buf_puts(b, "</td></tr>\n");
	}
	cl_buf_puts(b, "</table>\n<p style=\"color:#888;font-size:12px\">Sent by closeloop.</p>\n"
	            "</body></html>\n");
}

int
cl_report_render(char **out, const void *model, int format, struct cl_error *err)
{
	struct cl_buf b = CL_BUF_INIT;
	const json_t *m = model;

	*out = NULL;
	switch (format) {
	case CL_REPORT_JSON: {
		char *s = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		cl_buf_puts(&b, s);
		cl_buf_putc(&b, '\n');
		free(s);
		break;
	}
	case CL_REPORT_MARKDOWN:
		render_markdown(&b, m);
		break;
	case CL_REPORT_HTML:
		render_html(&b, m);
		break;
	default:
		render_text(&b, m);
		break;
	}
	if (b.oom || (*out = cl_buf_steal(&b)) == NULL) {
		cl_buf_release(&b);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

int
cl_report_mail(struct cl_mail **out, const void *model, const struct cl_config *cfg,
               struct cl_error *err)
{
	const json_t *m = model, *c = json_object_get(m, "counts");
	const char *to = cl_config_get(cfg, "report", "to");
	struct cl_mail_spec spec = { 0 };
	struct cl_mailbox *rcpt = NULL;
	char *text = NULL, *html = NULL, *subject = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if (to == NULL || *to == '\0')
		return cl_error_set(err, CL_ECONFIG, "no recipients: set [report] to");
	if ((rc = cl_mailbox_parse_list(&rcpt, &n, to, err)) != 0) {
		cl_error_prefix(err, "[report] to");
		return CL_ECONFIG;
	}
	if ((rc = cl_report_render(&text, model, CL_REPORT_TEXT, err)) != 0 ||
	    (rc = cl_report_render(&html, model, CL_REPORT_HTML, err)) != 0)
		goto done;
	subject = cl_asprintf("Post-mortem action items, week %s: %lld open, %lld overdue",
	                      js(m, "week"), ji(c, "open"), ji(c, "overdue"));
	if (subject == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	spec.to = rcpt;
	spec.nto = n;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	spec.kind = "report";
	spec.key = js(m, "week");
	rc = cl_mail_build_cfg(out, &spec, cfg, err);
done:
	cl_mailboxes_free(rcpt, n);
	free(text);
	free(html);
	free(subject);
	return rc;
}

int
cl_report_send_week(int *sent, struct cl_store *st, const struct cl_config *cfg, int year,
                    int week, const void *given, int force, FILE *trace, char *note,
                    size_t note_size, struct cl_error *err)
{
	void *model = NULL;
	struct cl_mail *m = NULL;
	char *last = NULL, wk[16];
	size_t i, ok = 0, used = 0, pending = 0;
	int rc;

	*sent = 0;
	if (note && note_size)
		note[0] = '\0';
	snprintf(wk, sizeof wk, "%04d-W%02d", year, week);
	if (given == NULL && (rc = cl_report_build(&model, st, cfg, year, week, err)) != 0)
		return rc;
	if ((rc = cl_report_mail(&m, given ? given : model, cfg, err)) != 0)
		goto done;
	/* once per week per recipient: the ones deferred last time get it now */
	m->once = !force;
	if (!force && (rc = cl_report_pending(&pending, st, cfg, wk, err)) == 0 && pending == 0) {
		if ((rc = cl_mail_log_last(&last, st, "report", wk, NULL, err)) == 0 && note &&
		    note_size)
			snprintf(note, note_size, "report for %s already sent at %s", wk,
			         last ? last : "(refused for every recipient)");
		free(last);
		goto done;
	}
	if (rc != 0)
		goto done;
	rc = cl_mail_deliver(st, &m, 1, cfg, trace, err);
	for (i = 0; i < m->nrcpt; i++)
		ok += m->rcpt[i].state == CL_MAIL_SENT;
	*sent = ok > 0;
	if (note && note_size && ok > 0)
		used = (size_t)snprintf(note, note_size, "sent to %zu of %zu recipients "
		                        "(Message-ID <%s>)", ok, m->nrcpt, m->message_id);
	if (note && used >= note_size)
		used = note_size - 1;
	for (i = 0; i < m->nrcpt; i++) {
		const struct cl_mail_rcpt *r = &m->rcpt[i];

		if (r->state == CL_MAIL_SENT)
			continue;
		if (note && used + 1 < note_size)
			used += r->code ? (size_t)snprintf(note + used, note_size - used,
			                                   "%s%s: %s (%d)", used ? "; " : "",
			                                   r->email, cl_mail_state_name(r->state),
			                                   r->code) :
			       (size_t)snprintf(note + used, note_size - used, "%s%s: %s "
			                        "(server not reached)", used ? "; " : "", r->email,
			                        cl_mail_state_name(r->state));
		if (note && used >= note_size)
			used = note_size - 1;
	}
done:
	cl_mail_free(m);
	json_decref(model);
	return rc;
}

int
cl_report_pending(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                  const char *week, struct cl_error *err)
{
	const char *to = cl_config_get(cfg, "report", "to");
	struct cl_mailbox *rcpt = NULL;
	size_t n = 0;
	int rc;

	*out = 0;
	if (to == NULL || *to == '\0')
		return 0;
	if ((rc = cl_mailbox_parse_list(&rcpt, &n, to, err)) != 0) {
		cl_error_prefix(err, "[report] to");
		return CL_ECONFIG;
	}
	rc = cl_mail_log_pending(out, st, "report", week, rcpt, n, err);
	cl_mailboxes_free(rcpt, n);
	return rc;
}
