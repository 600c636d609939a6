/* check_report.c — the report model (counts, grouping, trend over weeks,
 * awaiting-drill) and renderers, and the reminder plan (cadence from the
 * mail log, escalation), on a fresh database with rows written directly. */
#include <jansson.h>

#include "testutil.h"

static char *tmp;
static struct cl_store *st;
static struct cl_config *cfg;

/* 2024-03-20 is a Wednesday of ISO week 2024-W12 */
static void
setup(void)
{
	setenv("CLOSELOOP_NOW", "2024-03-20T09:00:00Z", 1);
	tmp = tu_tmpdir();
	st = tu_store(tmp);
	cfg = cl_config_new();
	cl_config_set(cfg, "closeloop", "timezone", "UTC");
	cl_config_set(cfg, "mail", "from", "closeloop@example.com");
	cl_config_set(cfg, "report", "to", "eng@example.com");
}

static void
teardown(void)
{
	cl_config_free(cfg);
	cl_store_close(st);
	tu_rmtree(tmp);
	free(tmp);
}

static void
exec(const char *sql)
{
	struct cl_error err = { 0 };
	ck_assert_msg(cl_store_exec(st, sql, &err) == 0, "%s: %s", sql, err.msg);
}

static void
pm(int id, const char *slug, const char *problems)
{
	char sql[512];
	snprintf(sql, sizeof sql, "INSERT INTO postmortems (id, slug, source, title, incident_date, "
	         "first_seen, last_seen, problems) VALUES (%d, '%s', '%s.md', 'PM %s', "
	         "'2024-01-10', '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z', '%s')",
	         id, slug, slug, slug, problems);
	exec(sql);
}

/* An item; created/closed are UTC dates, NULL for none. */
static void
item(int pmid, int seq, const char *owner, const char *due, const char *status,
     const char *created, const char *closed, const char *problems)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "INSERT INTO items (postmortem_id, key, seq, position, norm, "
	         "action, owner, owner_raw, due, status, doc_status, problems, created_at, "
	         "updated_at, closed_at) VALUES (%d, 'pm%d.%d', %d, %d, 'a%d', "
	         "'Action %d of pm %d <b>', %s%s%s, %s%s%s, %s%s%s, '%s', '%s', '%s', "
	         "'%sT10:00:00Z', '%sT10:00:00Z', %s%s%s)",
	         pmid, pmid, seq, seq, seq, seq, seq, pmid,
	         owner ? "'" : "", owner ? owner : "NULL", owner ? "'" : "",
	         owner ? "'@" : "", owner ? owner : "NULL", owner ? "'" : "",
	         due ? "'" : "", due ? due : "NULL", due ? "'" : "",
	         status, strcmp(status, "done") == 0 ? "done" : "open", problems, created, created,
	         closed ? "'" : "", closed ? closed : "NULL", closed ? "T12:00:00Z'" : "");
	exec(sql);
}

/* The model of a week, as its complete JSON (the documented contract). */
static json_t *
build(int year, int week)
{
	struct cl_error err = { 0 };
	json_error_t jerr;
	void *m = NULL;
	char *s = NULL;
	json_t *j;

	ck_assert_msg(cl_report_build(&m, st, cfg, year, week, &err) == 0, "%s", err.msg);
	ck_assert_msg(cl_report_render(&s, m, CL_REPORT_JSON, &err) == 0, "%s", err.msg);
	j = json_loads(s, 0, &jerr);
	ck_assert_msg(j != NULL, "json: %s", jerr.text);
	free(s);
	cl_report_free(m);
	return j;
}

/* A model (opaque) of the current week. */
static void *
model(void)
{
	struct cl_error err = { 0 };
	void *m = NULL;

	ck_assert_msg(cl_report_build(&m, st, cfg, 0, 0, &err) == 0, "%s", err.msg);
	return m;
}

static void
fixture(void)
{
	pm(1, "db", "");
	pm(2, "dns", "postmortem-late");
	/* db: two overdue for ana (30 and 2 days), one for bob (10), one due soon */
	item(1, 1, "ana", "2024-02-19", "open", "2024-02-01", NULL, "");
	item(1, 2, "ana", "2024-03-18", "open", "2024-02-01", NULL, "");
	item(1, 3, "bob", "2024-03-10", "open", "2024-03-05", NULL, "");
	item(1, 4, "bob", "2024-03-25", "open", "2024-03-19", NULL, "");
	item(1, 5, NULL, NULL, "open", "2024-03-19", NULL, "owner-missing due-missing");
	item(1, 6, "ana", "2024-03-01", "done", "2024-02-01", "2024-03-19", "");
	/* dns: everything closed, waiting for the drill */
	item(2, 1, "bob", "2024-02-01", "done", "2024-01-20", "2024-02-28", "");
	item(2, 2, "bob", "2024-02-01", "withdrawn", "2024-01-20", NULL, "");
}

START_TEST(model_counts_and_groups)
{
	json_t *m, *c, *od;

	fixture();
	/* "new this week" counts post-mortems written this week, not items */
	exec("INSERT INTO postmortems (id, slug, source, title, incident_date, written_date, "
	     "first_seen, last_seen) VALUES (3, 'new', 'new.md', 'New', '2024-03-11', "
	     "'2024-03-19', '2024-03-19T00:00:00Z', '2024-03-19T00:00:00Z')");
	m = build(0, 0);
	ck_assert_str_eq(json_string_value(json_object_get(m, "week")), "2024-W12");
	ck_assert_str_eq(json_string_value(json_object_get(m, "from")), "2024-03-18");
	c = json_object_get(m, "counts");
	ck_assert_int_eq(json_integer_value(json_object_get(c, "open")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "overdue")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "closed_this_week")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "new_this_week")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(c, "due_next_7_days")), 1);
	od = json_object_get(m, "overdue");
	ck_assert_int_eq(json_array_size(od), 2);
	/* ana first: her oldest item is the most overdue */
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(od, 0), "owner")), "ana");
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(
	                 json_array_get(od, 0), "items"), 0), "days_overdue")), 30);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(json_object_get(
	                 json_array_get(od, 0), "items"), 1), "days_overdue")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(od, 1), "owner")), "bob");
	ck_assert_int_eq(json_array_size(json_object_get(m, "problems")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(m, "awaiting_drill")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	                 json_object_get(m, "awaiting_drill"), 0), "id")), "dns");
	ck_assert_int_eq(json_array_size(json_object_get(m, "late_postmortems")), 1);
	json_decref(m);
}
END_TEST

START_TEST(model_trend)
{
	json_t *m, *t;
	int i;

	fixture();
	m = build(0, 0);
	t = json_object_get(m, "trend");
	ck_assert_int_eq(json_array_size(t), 12);
	/* from the items' own dates: all opened on the incident (2024-01-10,
	 * W02); pm2.1 closed 02-28 (W09), pm1.6 closed 03-19 (W12) */
	{
		static const int open[] = { 0, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 5 };
		static const int closed[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1 };
		for (i = 0; i < 12; i++) {
			json_t *w = json_array_get(t, (size_t)i);
			char wk[16];
			snprintf(wk, sizeof wk, "2024-W%02d", i + 1);
			ck_assert_str_eq(json_string_value(json_object_get(w, "week")), wk);
			ck_assert_msg(json_integer_value(json_object_get(w, "open")) == open[i],
			              "%s open %lld", wk,
			              (long long)json_integer_value(json_object_get(w, "open")));
			ck_assert_msg(json_integer_value(json_object_get(w, "closed")) == closed[i],
			              "%s closed", wk);
		}
	}
	json_decref(m);
}
END_TEST

START_TEST(model_past_week)
{
	json_t *m;

	fixture();
	m = build(2024, 10);	/* 2024-03-04 .. 2024-03-10: judged on the 10th */
	ck_assert_str_eq(json_string_value(json_object_get(m, "as_of")), "2024-03-10");
	/* pm1.6 was still open then (closed 03-19) and overdue since 03-01 */
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "counts"),
	                                                    "overdue")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "counts"),
	                                                    "open")), 6);
	json_decref(m);
}
END_TEST

START_TEST(render_formats)
{
	struct cl_error err = { 0 };
	void *m;
	char *s = NULL;
	int f;

	fixture();
	m = model();
	ck_assert_int_eq(cl_report_render(&s, m, CL_REPORT_HTML, &err), 0);
	ck_assert_ptr_nonnull(strstr(s, "Action 1 of pm 1 &lt;b&gt;"));
	ck_assert_ptr_null(strstr(s, "<b>"));
	ck_assert_ptr_null(strstr(s, "<script"));
	free(s);
	ck_assert_int_eq(cl_report_render(&s, m, CL_REPORT_MARKDOWN, &err), 0);
	ck_assert_ptr_nonnull(strstr(s, "| 30 | pm1.1 | Action 1 of pm 1 \\<b\\> | db |"));
	free(s);
	ck_assert_int_eq(cl_report_render(&s, m, CL_REPORT_TEXT, &err), 0);
	ck_assert_ptr_nonnull(strstr(s, "open 5, overdue 3, closed this week 1"));
	free(s);
	ck_assert_int_eq(cl_report_format_parse("json", &f), 0);
	ck_assert_int_eq(f, CL_REPORT_JSON);
	ck_assert_int_eq(cl_report_format_parse("pdf", &f), CL_EUSAGE);
	ck_assert_int_eq(cl_report_render(&s, m, CL_REPORT_CSV, &err), 0);
	ck_assert_ptr_nonnull(strstr(s, "\"pm1.1\",\"overdue\",30,\"2024-02-19\",\"\",\"ana\""));
	free(s);
	cl_report_free(m);
}
END_TEST

/* The post-mortem sections (waiting for a drill re-run, written late) show
 * the post-mortem's own title, not the "Post-mortem:" of its heading, in
 * every format (the CSV is the open items alone: no title at all); the id
 * column keeps the slug. */
START_TEST(postmortem_titles_bare)
{
	static const int formats[] = { CL_REPORT_TEXT, CL_REPORT_MARKDOWN, CL_REPORT_HTML,
	                               CL_REPORT_CSV, CL_REPORT_JSON };
	struct cl_error err = { 0 };
	json_t *j, *a;
	void *m;
	char *s = NULL;
	size_t i;

	exec("INSERT INTO postmortems (id, slug, source, title, incident_date, first_seen, "
	     "last_seen, problems) VALUES (7, 'flap', 'flap.md', 'Post-mortem: Resolver flap', "
	     "'2024-01-10', '2024-03-01T00:00:00Z', '2024-03-01T00:00:00Z', ''), "
	     "(8, 'late', 'late.md', 'postmortem  :  Billing outage', '2024-01-10', "
	     "'2024-03-19T00:00:00Z', '2024-03-19T00:00:00Z', 'postmortem-late')");
	item(7, 1, "bob", "2024-02-01", "done", "2024-01-20", "2024-02-28", "");
	item(8, 1, "bob", "2024-02-01", "open", "2024-01-20", NULL, "");
	m = model();
	for (i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		ck_assert_int_eq(cl_report_render(&s, m, formats[i], &err), 0);
		ck_assert_msg(formats[i] == CL_REPORT_CSV ||
		              (strstr(s, "Resolver flap") && strstr(s, "Billing outage")),
		              "format %d: no title: %s", formats[i], s);
		ck_assert_msg(!strstr(s, "Post-mortem: Resolver") && !strstr(s, ":  Billing"),
		              "format %d: the heading's prefix: %s", formats[i], s);
		free(s);
	}
	cl_report_free(m);
	j = build(0, 0);
	a = json_object_get(j, "awaiting_drill");
	ck_assert_int_eq(json_array_size(a), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "id")), "flap");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "title")),
	                 "Resolver flap");
	a = json_object_get(j, "late_postmortems");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 0), "title")),
	                 "Billing outage");
	json_decref(j);
}
END_TEST

START_TEST(report_mail_parts)
{
	struct cl_error err = { 0 };
	struct cl_mail *mail = NULL;
	void *m;

	fixture();
	m = model();
	ck_assert_msg(cl_report_mail(&mail, m, cfg, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(mail->kind, "report");
	ck_assert_str_eq(mail->key, "2024-W12");
	ck_assert_ptr_nonnull(strstr(mail->data, "multipart/alternative"));
	ck_assert_ptr_nonnull(strstr(mail->data, "text/html; charset=UTF-8"));
	cl_mail_free(mail);
	cl_config_set(cfg, "report", "to", "");
	ck_assert_int_eq(cl_report_mail(&mail, m, cfg, &err), CL_ECONFIG);
	cl_report_free(m);
}
END_TEST

/* An item with this action text in post-mortem pmid. */
static void
act(int pmid, int seq, const char *status, const char *action)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "INSERT INTO items (postmortem_id, key, seq, position, norm, "
	         "action, owner, status, doc_status, created_at, updated_at, closed_at) VALUES "
	         "(%d, 'r%d.%d', %d, %d, 'n', '%s', 'ana', '%s', '%s', '2024-03-01T10:00:00Z', "
	         "'2024-03-01T10:00:00Z', %s)", pmid, pmid, seq, seq, seq, action, status, status,
	         strcmp(status, "done") == 0 ? "'2024-03-05T10:00:00Z'" : "NULL");
	exec(sql);
}

/* Recurring actions: the same fix in three post-mortems is one recurring
 * action; near-misses (another thing about replica lag, an alert about
 * something else, the same words in one post-mortem) are not. */
START_TEST(recurring_rule)
{
	struct cl_error err = { 0 };
	struct cl_recur *v = NULL;
	size_t n = 0;
	int i;

	for (i = 1; i <= 14; i++) {
		char slug[16];
		snprintf(slug, sizeof slug, "r%d", i);
		pm(i, slug, "");
	}
	/* words in more than 5 post-mortems are common: never a reason to match */
	for (i = 7; i <= 13; i++)
		act(i, 1, "open", "Review the dashboard and runbook");
	/* shares the two rarest words (alert, lag) but half its words differ */
	act(14, 1, "open", "Alert on replica lag, review the dashboard and runbook");
	act(1, 1, "done", "Add an alert for replica lag");
	act(1, 2, "open", "Alert on replica lag (second copy in the same post-mortem)");
	act(2, 1, "open", "Alert on replica lag");
	act(3, 1, "open", "Add alerts for the replica lag");
	act(4, 1, "open", "Add a dashboard for replica lag");		/* near miss */
	act(5, 1, "open", "Alert on disk usage");			/* near miss */
	act(6, 1, "open", "Document the replica failover");		/* near miss */
	act(6, 2, "open", "Rotate the signing keys");
	act(6, 3, "open", "Rotate signing keys yearly");		/* same pm only */
	ck_assert_msg(cl_recur_find(&v, &n, st, &err) == 0, "%s", err.msg);
	ck_assert_int_eq((int)n, 1);
	ck_assert_int_eq((int)v[0].npm, 3);
	ck_assert_int_eq((int)v[0].open, 2);
	ck_assert_str_eq(v[0].action, "Add an alert for replica lag");
	ck_assert_str_eq(v[0].items, "r1.1 (done), r2.1 (open), r3.1 (open)");
	cl_recurs_free(v, n);
	/* and the report lists it */
	{
		json_t *m = build(0, 0), *rec = json_object_get(m, "recurring");
		ck_assert_int_eq(json_array_size(rec), 1);
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rec, 0),
		                                                    "postmortems")), 3);
		json_decref(m);
	}
}
END_TEST

/* The writer: the same calls in every format; control characters never
 * pass raw, CSV quotes and disarms formulas, JSON escapes. */
START_TEST(writer_formats)
{
	static const struct cl_col cols[] = {
		{ "id", "Item", CL_COL_ID, NULL },
		{ "n", "N", CL_COL_INT, NULL },
		{ "action", "Action", CL_COL_WIDE, NULL },
		{ "link", "Tracker", CL_COL_LINK, NULL },
	};
	const char *row[] = { "x.1", "7", "=cmd|\x01\"a\",b\n<i>", "https://t.example/1?a=1&b=2" };
	struct cl_error err = { 0 };
	int f;

	for (f = CL_WRITER_TEXT; f <= CL_WRITER_CSV; f++) {
		struct cl_writer *w = NULL;
		char *s;
		ck_assert_int_eq(cl_writer_new(&w, f, NULL, &err), 0);
		cl_writer_start(w, "T", NULL);
		cl_writer_section(w, "rows", "Rows", cols, 4, 0);
		cl_writer_row(w, row);
		cl_writer_more(w, "… and 3 more");
		cl_writer_section_end(w);
		cl_writer_end(w, NULL);
		ck_assert_int_eq(cl_writer_finish(w, &err), 0);
		s = cl_writer_take(w);
		ck_assert_ptr_nonnull(s);
		ck_assert_ptr_null(strchr(s, '\x01'));
		ck_assert_ptr_nonnull(strstr(s, "x.1"));
		switch (f) {
		case CL_WRITER_TEXT:
			ck_assert_ptr_nonnull(strstr(s, "  … and 3 more\n"));
			break;
		case CL_WRITER_MARKDOWN:
			ck_assert_ptr_nonnull(strstr(s, "| x.1 | 7 | =cmd\\|"));
			ck_assert_ptr_nonnull(strstr(s, "\\<i\\>"));
			break;
		case CL_WRITER_HTML:
			ck_assert_ptr_nonnull(strstr(s, "&lt;i&gt;"));
			ck_assert_ptr_nonnull(strstr(s, "<a href=\"https://t.example/1?a=1&amp;b=2\" "));
			ck_assert_ptr_nonnull(strstr(s, "\xef\xbf\xbd"));
			break;
		case CL_WRITER_JSON: {
			json_error_t jerr;
			json_t *j = json_loads(s, 0, &jerr);
			ck_assert_msg(j != NULL, "%s: %s", jerr.text, s);
			ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
			                 json_object_get(j, "rows"), 0), "action")), "=cmd|\x01\"a\",b\n<i>");
			ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
			                 json_object_get(j, "rows"), 0), "n")), 7);
			ck_assert_ptr_null(strstr(s, "more"));	/* complete: no "… and N more" */
			json_decref(j);
			break;
		}
		case CL_WRITER_CSV:
			ck_assert_str_eq(s, "id,n,action,link\r\n\"x.1\",7,\"'=cmd|\xef\xbf\xbd\"\"a\"\",b <i>\","
			                 "\"https://t.example/1?a=1&b=2\"\r\n");
			break;
		}
		free(s);
		cl_writer_free(w);
	}
}
END_TEST

START_TEST(nag_plan_cadence_escalation)
{
	struct cl_error err = { 0 };
	struct cl_nag *v = NULL;
	size_t n = 0, i;
	struct cl_nag *ana = NULL, *bob = NULL;

	fixture();
	cl_config_free(cfg);
	cfg = NULL;
	tu_write(tmp, "conf", "[closeloop]\ntimezone = UTC\n[people]\n"
	         "ana = Ana <ana@example.com>\nana.lead = lee\nlee = Lee <lee@example.com>\n"
	         "[nag]\ndue_soon_days = 5\nevery_days = 7\nescalate_after_days = 14\n");
	{
		char path[1100];
		snprintf(path, sizeof path, "%s/conf", tmp);
		ck_assert_int_eq(cl_config_load(&cfg, path, &err), 0);
	}
	ck_assert_int_eq(cl_nag_plan(&v, &n, st, cfg, &err), 0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].owner, "ana") == 0)
			ana = &v[i];
		if (strcmp(v[i].owner, "bob") == 0)
			bob = &v[i];
	}
	ck_assert_ptr_nonnull(ana);
	ck_assert_ptr_nonnull(bob);
	ck_assert_int_eq((int)ana->overdue, 2);
	ck_assert_int_eq((int)ana->escalated, 1);
	ck_assert_str_eq(ana->lead, "lee@example.com");
	ck_assert_ptr_nonnull(ana->lead_text);
	ck_assert_ptr_nonnull(strstr(ana->lead_text, "pm1.1"));
	ck_assert_ptr_null(strstr(ana->lead_text, "pm1.2"));	/* 2 days: not escalated */
	ck_assert_ptr_null(bob->email);				/* not in [people] */
	ck_assert_int_eq((int)bob->overdue, 1);
	ck_assert_int_eq((int)bob->due_soon, 1);
	ck_assert_int_eq(ana->skipped, 0);
	cl_nags_free(v, n);

	/* reminded 3 days ago: inside every_days */
	exec("INSERT INTO mail_log (kind, recipient, key, message_id, status, code, at) VALUES "
	     "('nag', 'ana@example.com', 'ana', 'x@y', 'sent', 250, '2024-03-17T08:00:00Z')");
	ck_assert_int_eq(cl_nag_plan(&v, &n, st, cfg, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].owner, "ana") == 0)
			ck_assert_int_eq(v[i].skipped, 1);
	cl_nags_free(v, n);
	/* a deferred attempt does not count */
	exec("UPDATE mail_log SET status = 'deferred'");
	ck_assert_int_eq(cl_nag_plan(&v, &n, st, cfg, &err), 0);
	for (i = 0; i < n; i++)
		if (strcmp(v[i].owner, "ana") == 0)
			ck_assert_int_eq(v[i].skipped, 0);
	cl_nags_free(v, n);
}
END_TEST

/* The team of a post-mortem: the document's word, else the first [teams]
 * rule in file order, else (only when asked) its source directory. */
START_TEST(team_rules)
{
	char t[64];

	cl_config_set(cfg, "teams", "payments", "payments/*, */checkout-*.md");
	cl_config_set(cfg, "teams", "search", "*/search/*, https://wiki.example.com/*");
	ck_assert_int_eq(cl_team_of(t, sizeof t, cfg, "  Search Infra ", "payments/a.md", NULL), 0);
	ck_assert_str_eq(t, "search infra");
	cl_team_of(t, sizeof t, cfg, NULL, "payments/2024/a.md", NULL);
	ck_assert_str_eq(t, "payments");
	cl_team_of(t, sizeof t, cfg, NULL, "x/checkout-db.md", NULL);
	ck_assert_str_eq(t, "payments");
	cl_team_of(t, sizeof t, cfg, NULL, "a.md", "/srv/pm/search/a.md");
	ck_assert_str_eq(t, "search");
	cl_team_of(t, sizeof t, cfg, NULL, "https://wiki.example.com/x/1", NULL);
	ck_assert_str_eq(t, "search");
	/* a near miss: not under payments/ */
	cl_team_of(t, sizeof t, cfg, NULL, "old-payments/a.md", NULL);
	ck_assert_str_eq(t, "");
	cl_config_set(cfg, "teams", "from_directory", "yes");
	cl_team_of(t, sizeof t, cfg, NULL, "Old-Payments/a.md", NULL);
	ck_assert_str_eq(t, "old-payments");
	cl_team_of(t, sizeof t, cfg, NULL, "a.md", NULL);
	ck_assert_str_eq(t, "");
	cl_team_of(t, sizeof t, cfg, NULL, "https://wiki.example.org/x/1", NULL);
	ck_assert_str_eq(t, "");
}
END_TEST

/* Per-team numbers in the all-teams report, a team's own report, and the
 * overdue items grouped by team first. */
START_TEST(team_numbers)
{
	struct cl_error err = { 0 };
	json_t *m, *t, *db, *dns, *od;
	void *model = NULL;
	char *s = NULL;

	fixture();
	/* closed 2024-03-15, due 03-30: in time; 65 days from the incident */
	item(1, 7, "bob", "2024-03-30", "done", "2024-02-01", "2024-03-15", "");
	exec("UPDATE postmortems SET team = 'db-team' WHERE id = 1");
	exec("UPDATE postmortems SET team = 'dns-team' WHERE id = 2");
	m = build(0, 0);
	t = json_object_get(m, "teams");
	ck_assert_int_eq(json_array_size(t), 2);
	db = json_array_get(t, 0);
	ck_assert_str_eq(json_string_value(json_object_get(db, "team")), "db-team");
	ck_assert_int_eq(json_integer_value(json_object_get(db, "open")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(db, "overdue")), 3);
	ck_assert_str_eq(json_string_value(json_object_get(db, "top_owners")), "ana 2, bob 1");
	/* ana: 30 and 2 days late, bob: 10 */
	db = json_array_get(json_object_get(m, "teams_overdue_by_age"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(db, "overdue_0_7_days")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(db, "overdue_8_30_days")), 2);
	t = json_object_get(m, "teams_closing");
	ck_assert_int_eq(json_array_size(t), 2);
	db = json_array_get(t, 0);
	dns = json_array_get(t, 1);
	ck_assert_int_eq(json_integer_value(json_object_get(db, "closed")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(db, "closed_within_deadline_pct")), 50);
	/* 69 and 65 days: the median is their mean */
	ck_assert_msg(json_number_value(json_object_get(db, "median_days_to_close")) == 67.0,
	              "median %f", json_number_value(json_object_get(db, "median_days_to_close")));
	ck_assert_str_eq(json_string_value(json_object_get(dns, "team")), "dns-team");
	ck_assert_int_eq(json_integer_value(json_object_get(dns, "closed")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(dns, "closed_within_deadline_pct")), 0);
	ck_assert(json_number_value(json_object_get(dns, "median_days_to_close")) == 49.0);
	od = json_object_get(m, "overdue");
	ck_assert_int_eq(json_array_size(od), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(od, 0), "team")),
	                 "db-team");
	ck_assert_int_eq(json_array_size(json_object_get(json_array_get(od, 0), "items")), 3);
	json_decref(m);
	/* a team's own report: its items only, no per-team table */
	ck_assert_msg(cl_report_build_for(&model, st, cfg, NULL, "DNS-team", 0, 0, &err) == 0,
	              "%s", err.msg);
	ck_assert_int_eq(cl_report_count(model, "open"), 0);
	ck_assert_int_eq(cl_report_render(&s, model, CL_REPORT_JSON, &err), 0);
	m = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(json_object_get(m, "teams"));
	ck_assert_str_eq(json_string_value(json_object_get(m, "team")), "dns-team");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(m, "numbers"),
	                                                    "closed")), 1);
	json_decref(m);
	free(s);
	cl_report_free(model);
	/* an audience the config does not have */
	ck_assert_int_eq(cl_report_build_for(&model, st, cfg, "nope", NULL, 0, 0, &err), CL_EUSAGE);
}
END_TEST

static Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *t = tcase_create("report");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, model_counts_and_groups);
	tcase_add_test(t, model_trend);
	tcase_add_test(t, model_past_week);
	tcase_add_test(t, render_formats);
	tcase_add_test(t, postmortem_titles_bare);
	tcase_add_test(t, report_mail_parts);
	tcase_add_test(t, writer_formats);
	tcase_add_test(t, recurring_rule);
	tcase_add_test(t, nag_plan_cadence_escalation);
	tcase_add_test(t, team_rules);
	tcase_add_test(t, team_numbers);
	suite_add_tcase(s, t);
	return s;
}

int
main(void)
{
	return tu_run(report_suite());
}
