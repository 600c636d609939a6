/* report.c — the weekly report: aggregates built once from the store, and
 * a table of sections (title, columns, query) written through one writer
 * in every format. Rows are streamed from SQLite: the readable formats show
 * the most important rows of a section and say how many more there are,
 * JSON and CSV are complete; none of them holds the whole list in memory. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "drill.h"
#include "import.h"
#include "nag.h"
#include "recur.h"
#include "report.h"
#include "util.h"
#include "writer.h"

#define TREND_WEEKS 12
#define ALL_ROWS 1000000000LL

struct cl_report {
	struct cl_store *st;
	const struct cl_config *cfg;
	int year, week, monday, sunday, ref;
	char label[16], tz[64];
	char mon[11], sun[11], refs[11], soon7[11], soon_nag[11], win_start[11];
	char bound[TREND_WEEKS + 1][21];	/* UTC of each trend Monday 00:00 local, + end */
	char ref_end[21];			/* UTC of the end of the as-of day */
	long per_owner, owners, rows, soon_days;
	char *sync_failed_at;
	long long open, overdue, overdue_owners, closed_week, new_week, due_soon, problems;
	long long age[4];			/* overdue 0-7, 8-30, 31-90, > 90 days */
	long long closed_win, closed_dl, closed_in_dl;	/* trend window closings */
	long long closed_slo, closed_in_slo;		/* … with an [slo] deadline */
	double median_close;			/* days, < 0 unknown */
	long long trend_open[TREND_WEEKS], trend_closed[TREND_WEEKS];
	char trend_label[TREND_WEEKS][16];
	struct cl_drill *drills;
	size_t ndrills;
	struct cl_pm_missing *missing;	/* post-mortems gone from their source */
	size_t nmissing;
	struct cl_nag_refusal *refused;	/* owners whose last reminder was refused */
	size_t nrefused;
	struct cl_recur *recurs;	/* the same fix proposed again */
	size_t nrecurs;
	/* the audience: [report] or [report "NAME"], and its team */
	char section[96], name[64], team[128];
	int by_team;			/* all teams, and there are teams: by team first */
	struct report_team *teams;	/* per-team numbers, by team name */
	size_t nteams;
};

/* One team's numbers (the all-teams report's "teams" section). */
struct report_team {
	char *team;			/* "(no team)" for post-mortems of none */
	long long open, overdue, overdue_owners, closed, closed_dl, closed_in_dl;
	long long age[4], open_start, open_end;
	double median;			/* days, < 0 unknown */
	char top[200];			/* "alice 5, bob 3, carol 1" */
};

/* A text column, "" for NULL. */
static const char *
col(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return v ? v : "";
}

int
cl_report_format_parse(const char *s, int *out)
{
	return cl_writer_format_parse(s, out);
}

/* The UTC instant (RFC 3339) of 00:00 local time on day d. */
static int
report_midnight(char out[21], int d, const char *tz)
{
	struct tm tm = { 0 };
	time_t t;
	int y, m, dd;

	cl_civil_from_days(d, &y, &m, &dd);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = dd;
	if (cl_mktime(&tm, tz, &t) != 0)
		return CL_ECONFIG;
	cl_time_format_utc(t, out);
	return 0;
}

/*
 * The items as the report sees them, with their own dates: an item opened
 * on its incident's date (or when closeloop first saw it, if earlier) and
 * closed when its closing was recorded — or, for an item already done when
 * first imported, on its post-mortem's date (the first import of a year of
 * post-mortems draws a true year and does not count old work as closed
 * this week). isop: open at the end of the as-of day. Built once per model
 * into a temporary table (one scan of the store); every section reads it.
 */
static const char report_items_sql[] =
	"CREATE TEMP TABLE cl_report_items AS SELECT rid, key, coalesce(own_due, slo_due) AS due, "
	"slo_due, own_due IS NULL AND slo_due IS NOT NULL AS derived, sev, problems, okey, opened, "
	"closing, opened < :ref_end AND (closing IS NULL OR closing >= :ref_end) AS isop, tkey "
	"FROM (SELECT i.id AS rid, i.key, i.due AS own_due, p.severity AS sev, "
	"date(p.incident_date, '+' || (%s) || ' days') AS slo_due, "
	"i.problems, coalesce(nullif(i.owner, ''), nullif(i.owner_raw, ''), '(no owner)') AS okey, "
	"min(coalesce(p.incident_date || 'T12:00:00Z', i.created_at), i.created_at) AS opened, "
	"CASE WHEN i.status = 'open' THEN NULL WHEN i.closed_at IS NULL THEN i.updated_at "
	"WHEN i.closed_at = i.created_at THEN min(coalesce(p.written_date, p.incident_date, "
	"substr(i.closed_at, 1, 10)) || 'T12:00:00Z', i.closed_at) ELSE i.closed_at END AS closing, "
	"coalesce(p.team, '(no team)') AS tkey "
	"FROM items i JOIN postmortems p ON p.id = i.postmortem_id WHERE i.status != 'withdrawn' "
	"AND (:team IS NULL OR p.team = :team))";

/* A post-mortem (alias p, or the table itself) of the report's team. */
#define TEAM_PM(p) "(:team IS NULL OR " p "team = :team)"

/* "SLO P1" for a due date derived from [slo], else "". */
#define SHOW_DERIVED "CASE WHEN derived THEN 'SLO ' || sev ELSE '' END"

#define BASE_SQL \
	"WITH it AS (SELECT * FROM temp.cl_report_items), " \
	"op AS (SELECT * FROM temp.cl_report_items WHERE isop = 1) "
/* What a row shows besides the table's columns, looked up by rid. */
#define SHOW_JOIN " "
#define SHOW_ACTION "(SELECT action FROM items WHERE id = rid)"
#define SHOW_PM "(SELECT p.slug FROM items x JOIN postmortems p ON p.id = x.postmortem_id " \
	"WHERE x.id = rid)"
#define SHOW_LINK "(SELECT CASE WHEN url LIKE 'http%' THEN url " \
	"ELSE coalesce(ticket, doc_ticket, url) END FROM items WHERE id = rid)"

/* Prepares sql and binds the report's named parameters it uses; with
 * CLOSELOOP_REPORT_SQL set, appends the statement with its values to that
 * file (the benchmark times the sqlite3 shell on exactly these queries). */
static int
report_stmt_for(sqlite3_stmt **out, const struct cl_report *r, const char *sql,
                long long limit, const char *owner, const char *tk, struct cl_error *err)
{
	sqlite3_stmt *s;
	char name[16];
	int rc, i;

	if ((rc = cl_store_prepare(r->st, out, sql, err)) != 0)
		return rc;
	s = *out;
#define BIND_T(n, v) \
	if ((i = sqlite3_bind_parameter_index(s, n)) > 0) sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC)
#define BIND_I(n, v) \
	if ((i = sqlite3_bind_parameter_index(s, n)) > 0) sqlite3_bind_int64(s, i, v)
	BIND_T(":ref", r->refs);
	BIND_T(":ref_end", r->ref_end);
	BIND_T(":mon", r->mon);
	BIND_T(":sun", r->sun);
	BIND_T(":soon7", r->soon7);
	BIND_T(":soon_nag", r->soon_nag);
	BIND_T(":win_start", r->win_start);
	BIND_T(":week_start", r->bound[TREND_WEEKS - 1]);
	BIND_T(":week_end", r->bound[TREND_WEEKS]);
	for (rc = 0; rc <= TREND_WEEKS; rc++) {
		snprintf(name, sizeof name, ":b%d", rc);
		BIND_T(name, r->bound[rc]);
	}
	BIND_I(":per_owner", limit == ALL_ROWS ? ALL_ROWS : r->per_owner);
	BIND_I(":owners", limit == ALL_ROWS ? ALL_ROWS : r->owners);
	BIND_I(":limit", limit);
	BIND_T(":owner", owner);
	BIND_T(":tk", tk);
	BIND_T(":team", *r->team ? r->team : NULL);
#undef BIND_T
#undef BIND_I
	cl_report_trace(s);
	return 0;
}

void
cl_report_trace(sqlite3_stmt *s)
{
	const char *trace = getenv("CLOSELOOP_REPORT_SQL");
	FILE *fp;
	char *x;

	if (trace == NULL || *trace == '\0' || (fp = fopen(trace, "a")) == NULL)
		return;
	if ((x = sqlite3_expanded_sql(s)) != NULL)
		fprintf(fp, "%s;\n", x);
	sqlite3_free(x);
	fclose(fp);
}

/* The same for statements without an owner. */
static int
report_stmt(sqlite3_stmt **out, const struct cl_report *r, const char *sql,
            long long limit, struct cl_error *err)
{
	return report_stmt_for(out, r, sql, limit, NULL, NULL, err);
}

/* The trend bucket of a UTC instant column: 0 before the window, 1..12 the
 * window's weeks, 13 after, 14 never. */
static void
bucket_sql(struct cl_buf *b, const char *col)
{
	int k;

	cl_buf_printf(b, "CASE WHEN %s IS NULL THEN 14 ", col);
	for (k = 0; k <= TREND_WEEKS; k++)
		cl_buf_printf(b, "WHEN %s < :b%d THEN %d ", col, k, k);
	cl_buf_printf(b, "ELSE %d END", TREND_WEEKS + 1);
}

/* Open at each week's end and closed during it, from the items' dates. */
static int
report_trend(struct cl_report *r, struct cl_error *err)
{
	struct cl_buf q = CL_BUF_INIT;
	long long cum[TREND_WEEKS + 3][TREND_WEEKS + 3];
	sqlite3_stmt *s = NULL;
	int rc, w, k, y, wk;

	memset(cum, 0, sizeof cum);
	cl_buf_puts(&q, BASE_SQL "SELECT ");
	bucket_sql(&q, "opened");
	cl_buf_puts(&q, " AS ob, ");
	bucket_sql(&q, "closing");
	cl_buf_puts(&q, " AS cb, count(*) FROM it GROUP BY ob, cb");
	if (q.oom) {
		cl_buf_release(&q);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	rc = report_stmt(&s, r, cl_buf_str(&q), 0, err);
	cl_buf_release(&q);
	if (rc != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int ob = sqlite3_column_int(s, 0), cb = sqlite3_column_int(s, 1);
		if (ob >= 0 && ob <= TREND_WEEKS + 2 && cb >= 0 && cb <= TREND_WEEKS + 2)
			cum[ob][cb] += sqlite3_column_int64(s, 2);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	for (w = 1; w <= TREND_WEEKS; w++) {
		long long open = 0, done = 0;
		int ob, cb;
		for (ob = 0; ob <= w; ob++)
			for (cb = w + 1; cb <= TREND_WEEKS + 2; cb++)
				open += cum[ob][cb];
		for (ob = 0; ob <= TREND_WEEKS + 2; ob++)
			done += cum[ob][w];
		k = w - 1;
		r->trend_open[k] = open;
		r->trend_closed[k] = done;
		cl_iso_week(r->monday - 7 * (TREND_WEEKS - 1 - k), &y, &wk);
		snprintf(r->trend_label[k], sizeof r->trend_label[k], "%04d-W%02d", y, wk);
	}
	return 0;
}

/* Headline counts and the manager's numbers, one scan each. */
static int
report_counts(struct cl_report *r, struct cl_error *err)
{
	static const char counts_sql[] = BASE_SQL
		"SELECT count(*), coalesce(sum(due < :ref), 0), "
		"count(DISTINCT CASE WHEN due < :ref THEN okey END), "
		"coalesce(sum(due >= :ref AND due <= :soon7), 0), coalesce(sum(problems != ''), 0), "
		"coalesce(sum(due < :ref AND julianday(:ref) - julianday(due) <= 7), 0), "
		"coalesce(sum(julianday(:ref) - julianday(due) BETWEEN 8 AND 30), 0), "
		"coalesce(sum(julianday(:ref) - julianday(due) BETWEEN 31 AND 90), 0), "
		"coalesce(sum(julianday(:ref) - julianday(due) > 90), 0), "
		"(SELECT count(*) FROM it WHERE closing >= :week_start AND closing < :week_end), "
		"(SELECT count(*) FROM postmortems WHERE kind = 'postmortem' AND " TEAM_PM("") " AND "
		"coalesce(written_date, incident_date, substr(first_seen, 1, 10)) BETWEEN :mon AND :sun) "
		"FROM op";
	static const char closed_sql[] = BASE_SQL
		"SELECT count(*), count(due), coalesce(sum(substr(closing, 1, 10) <= due), 0), "
		"count(slo_due), coalesce(sum(substr(closing, 1, 10) <= slo_due), 0) "
		"FROM it WHERE closing >= :b0 AND closing < :ref_end";
	static const char median_sql[] = BASE_SQL
		"SELECT julianday(closing) - julianday(opened) AS d FROM it "
		"WHERE closing >= :b0 AND closing < :ref_end ORDER BY d LIMIT 2 OFFSET :limit";
	sqlite3_stmt *s = NULL;
	int rc, k;

	if ((rc = report_stmt(&s, r, counts_sql, 0, err)) != 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->open = sqlite3_column_int64(s, 0);
		r->overdue = sqlite3_column_int64(s, 1);
		r->overdue_owners = sqlite3_column_int64(s, 2);
		r->due_soon = sqlite3_column_int64(s, 3);
		r->problems = sqlite3_column_int64(s, 4);
		for (k = 0; k < 4; k++)
			r->age[k] = sqlite3_column_int64(s, 5 + k);
		r->closed_week = sqlite3_column_int64(s, 9);
		r->new_week = sqlite3_column_int64(s, 10);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	if ((rc = report_stmt(&s, r, closed_sql, 0, err)) != 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->closed_win = sqlite3_column_int64(s, 0);
		r->closed_dl = sqlite3_column_int64(s, 1);
		r->closed_in_dl = sqlite3_column_int64(s, 2);
		r->closed_slo = sqlite3_column_int64(s, 3);
		r->closed_in_slo = sqlite3_column_int64(s, 4);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	r->median_close = -1;
	if (r->closed_win == 0)
		return 0;
	/* the median: the middle row, or the mean of the two middle rows */
	if ((rc = report_stmt(&s, r, median_sql, (r->closed_win - 1) / 2, err)) != 0)
		return rc;
	{
		double v[2];
		int n = 0;
		while (n < 2 && (rc = sqlite3_step(s)) == SQLITE_ROW)
			v[n++] = sqlite3_column_double(s, 0);
		if (n > 0)
			r->median_close = r->closed_win % 2 == 0 && n == 2 ? (v[0] + v[1]) / 2 : v[0];
		if (rc == SQLITE_ROW)
			rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, err, "report");
}

/* The report's view of the items, once (see report_items_sql). */
static int
report_items(struct cl_report *r, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	/* on disk: its size grows with the store, the memory must not */
	struct cl_buf slo = CL_BUF_INIT, q = CL_BUF_INIT;

	/* the [slo] days of each severity the store knows, as one CASE */
	if ((rc = cl_store_prepare(r->st, &s, "SELECT DISTINCT severity FROM postmortems "
	                           "WHERE severity IS NOT NULL", err)) != 0)
		return rc;
	cl_buf_puts(&slo, "CASE p.severity");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *sev = (const char *)sqlite3_column_text(s, 0);
		long days;
		if (cl_slo_days(r->cfg, sev, &days)) {
			char *lit = sqlite3_mprintf("%Q", sev);
			cl_buf_printf(&slo, " WHEN %s THEN %ld", lit ? lit : "NULL", days);
			slo.oom |= lit == NULL;
			sqlite3_free(lit);
		}
	}
	sqlite3_finalize(s);
	cl_buf_puts(&slo, " END");
	if (rc != SQLITE_DONE) {
		cl_buf_release(&slo);
		return cl_store_fail(r->st, rc, err, "report");
	}
	cl_buf_printf(&q, report_items_sql, strcmp(cl_buf_str(&slo), "CASE p.severity END") == 0 ?
	              "NULL" : cl_buf_str(&slo));
	cl_buf_release(&slo);
	if (q.oom) {
		cl_buf_release(&q);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	if ((rc = cl_store_exec(r->st, "PRAGMA temp_store = FILE; "
	                        "DROP TABLE IF EXISTS temp.cl_report_items", err)) != 0 ||
	    (rc = report_stmt(&s, r, cl_buf_str(&q), 0, err)) != 0) {
		cl_buf_release(&q);
		return rc;
	}
	cl_buf_release(&q);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	if ((rc = report_stmt(&s, r, "CREATE INDEX temp.cl_report_items_owner ON "
	                      "cl_report_items (isop, okey, due, key)", 0, err)) != 0)
		return rc;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	/* by team first: each team's owners and rows are one index range too */
	if (!r->by_team)
		return 0;
	if ((rc = report_stmt(&s, r, "CREATE INDEX temp.cl_report_items_team ON "
	                      "cl_report_items (isop, tkey, okey, due, key)", 0, err)) != 0)
		return rc;
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, err, "report");
}

/* Per-team numbers for the all-teams report: one aggregate scan, then the
 * closing times in team order for each team's median, then the owners by
 * overdue count for each team's top three. Teams are few; items are not
 * held in memory. */
static int
report_teams(struct cl_report *r, struct cl_error *err)
{
	static const char agg_sql[] = BASE_SQL
		"SELECT tkey, coalesce(sum(isop), 0), coalesce(sum(isop AND due < :ref), 0), "
		"coalesce(sum(closing >= :b0 AND closing < :ref_end), 0), "
		"coalesce(sum(closing >= :b0 AND closing < :ref_end AND due IS NOT NULL), 0), "
		"coalesce(sum(closing >= :b0 AND closing < :ref_end AND substr(closing, 1, 10) <= due), 0), "
		"coalesce(sum(isop AND due < :ref AND julianday(:ref) - julianday(due) <= 7), 0), "
		"coalesce(sum(isop AND julianday(:ref) - julianday(due) BETWEEN 8 AND 30), 0), "
		"coalesce(sum(isop AND julianday(:ref) - julianday(due) BETWEEN 31 AND 90), 0), "
		"coalesce(sum(isop AND julianday(:ref) - julianday(due) > 90), 0), "
		"coalesce(sum(opened < :b1 AND (closing IS NULL OR closing >= :b1)), 0), "
		"coalesce(sum(opened < :b12 AND (closing IS NULL OR closing >= :b12)), 0) "
		"FROM it GROUP BY tkey ORDER BY tkey";
	static const char median_sql[] = BASE_SQL
		"SELECT tkey, julianday(closing) - julianday(opened) AS d FROM it "
		"WHERE closing >= :b0 AND closing < :ref_end ORDER BY tkey, d";
	static const char top_sql[] = BASE_SQL
		"SELECT tkey, okey, count(*) AS n FROM op WHERE due < :ref GROUP BY tkey, okey "
		"ORDER BY tkey, n DESC, okey COLLATE NOCASE, okey";
	sqlite3_stmt *s = NULL;
	struct report_team *t;
	size_t j = 0, cap = 0, shown = 0;
	long long idx = 0;
	double v0 = 0;
	int rc, k;

	if ((rc = report_stmt(&s, r, agg_sql, 0, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->nteams == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			if ((t = cl_realloc(r->teams, ncap * sizeof *t)) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			r->teams = t;
			cap = ncap;
		}
		t = &r->teams[r->nteams];
		memset(t, 0, sizeof *t);
		t->median = -1;
		if ((t->team = cl_column_dup(s, 0)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		r->nteams++;
		t->open = sqlite3_column_int64(s, 1);
		t->overdue = sqlite3_column_int64(s, 2);
		t->closed = sqlite3_column_int64(s, 3);
		t->closed_dl = sqlite3_column_int64(s, 4);
		t->closed_in_dl = sqlite3_column_int64(s, 5);
		for (k = 0; k < 4; k++)
			t->age[k] = sqlite3_column_int64(s, 6 + k);
		t->open_start = sqlite3_column_int64(s, 10);
		t->open_end = sqlite3_column_int64(s, 11);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_NOMEM)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	/* the medians: the rows come in team order, each team's sorted */
	if ((rc = report_stmt(&s, r, median_sql, 0, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *tk = col(s, 0);
		double d = sqlite3_column_double(s, 1);
		if (j < r->nteams && strcmp(r->teams[j].team, tk) != 0) {
			while (j < r->nteams && strcmp(r->teams[j].team, tk) < 0)
				j++;
			idx = 0;
		}
		if (j >= r->nteams || strcmp(r->teams[j].team, tk) != 0)
			continue;
		t = &r->teams[j];
		if (idx == (t->closed - 1) / 2)
			v0 = d;
		if (idx == t->closed / 2)
			t->median = t->closed % 2 ? v0 : (v0 + d) / 2;
		idx++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	/* each team's owners with overdue items: how many, and the top three */
	if ((rc = report_stmt(&s, r, top_sql, 0, err)) != 0)
		return rc;
	j = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *tk = col(s, 0);
		size_t len;
		if (j < r->nteams && strcmp(r->teams[j].team, tk) != 0) {
			while (j < r->nteams && strcmp(r->teams[j].team, tk) < 0)
				j++;
			shown = 0;
		}
		if (j >= r->nteams || strcmp(r->teams[j].team, tk) != 0)
			continue;
		t = &r->teams[j];
		t->overdue_owners++;
		if (shown >= 3)
			continue;
		len = strlen(t->top);
		snprintf(t->top + len, sizeof t->top - len, "%s%s %lld", len ? ", " : "", col(s, 1),
		         (long long)sqlite3_column_int64(s, 2));
		shown++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, err, "report");
}

/* The all-teams report groups by team when any post-mortem has one. */
static int
report_has_teams(struct cl_report *r, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (*r->team)
		return 0;
	if ((rc = cl_store_prepare(r->st, &s, "SELECT EXISTS (SELECT 1 FROM postmortems "
	                           "WHERE team IS NOT NULL)", err)) != 0)
		return rc;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r->by_team = sqlite3_column_int(s, 0);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, err, "report");
}

/* Reads a [report] limit (at least 1). */
static int
report_limit(long *out, const struct cl_config *cfg, const char *section, const char *key,
             long def, struct cl_error *err)
{
	int rc = cl_config_get_int(cfg, "report", key, def, 1, 100000, out, err);

	if (rc == 0 && strcmp(section, "report") != 0)
		rc = cl_config_get_int(cfg, section, key, *out, 1, 100000, out, err);
	return rc;
}

int
cl_report_section(char *out, size_t size, const struct cl_config *cfg, const char *name,
                  struct cl_error *err)
{
	const char **v = NULL;
	size_t n = 0, i;
	int found = 0;

	if (name == NULL || *name == '\0') {
		snprintf(out, size, "report");
		return 0;
	}
	snprintf(out, size, "report \"%s\"", name);
	if (cl_config_sections(&v, &n, cfg, out) != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		found |= strcmp(v[i], out) == 0;
	free(v);
	if (found)
		return 0;
	return cl_error_set(err, CL_EUSAGE, "no report named '%s': the config has no "
	                    "[report \"%s\"] section", name, name);
}

int
cl_report_names(char ***out, size_t *n, const struct cl_config *cfg)
{
	const char **v = NULL;
	char **names = NULL;
	size_t nv = 0, i, k = 0;

	*out = NULL;
	*n = 0;
	if (cl_config_sections(&v, &nv, cfg, "report \"") != 0 ||
	    (names = cl_calloc(nv + 1, sizeof *names)) == NULL) {
		free(v);
		return CL_ENOMEM;
	}
	for (i = 0; i < nv; i++) {
		const char *q = v[i] + strlen("report \"");
		size_t len = strlen(q);
		if (len == 0 || q[len - 1] != '"')
			continue;
		if ((names[k] = cl_strndup(q, len - 1)) == NULL) {
			cl_report_names_free(names, k);
			free(v);
			return CL_ENOMEM;
		}
		k++;
	}
	free(v);
	*out = names;
	*n = k;
	return 0;
}

void
cl_report_names_free(char **names, size_t n)
{
	while (names && n > 0)
		free(names[--n]);
	free(names);
}

int
cl_report_build(void **out, struct cl_store *st, const struct cl_config *cfg,
                int year, int week, struct cl_error *err)
{
	return cl_report_build_for(out, st, cfg, NULL, NULL, year, week, err);
}

int
cl_report_build_for(void **out, struct cl_store *st, const struct cl_config *cfg,
                    const char *name, const char *team, int year, int week,
                    struct cl_error *err)
{
	const char *tz = cl_config_timezone(cfg);
	struct cl_report *r;
	int today = cl_today(tz), rc, k;

	*out = NULL;
	if ((r = cl_calloc(1, sizeof *r)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	r->st = st;
	r->cfg = cfg;
	snprintf(r->tz, sizeof r->tz, "%s", tz ? tz : "");
	if ((rc = cl_report_section(r->section, sizeof r->section, cfg, name, err)) != 0)
		goto done;
	snprintf(r->name, sizeof r->name, "%s", name ? name : "");
	if (team == NULL)
		team = cl_config_get(cfg, r->section, "team");
	if (team && *team) {
		char low[sizeof r->team];
		size_t i;
		snprintf(low, sizeof low, "%s", team);
		for (i = 0; low[i]; i++)
			low[i] = (char)tolower((unsigned char)low[i]);
		snprintf(r->team, sizeof r->team, "%s", cl_str_trim(low));
	}
	if ((rc = cl_config_get_int(cfg, "nag", "due_soon_days", 3, 0, 365, &r->soon_days,
	                            err)) != 0 ||
	    (rc = report_limit(&r->per_owner, cfg, r->section, "per_owner", 5, err)) != 0 ||
	    (rc = report_limit(&r->owners, cfg, r->section, "owners", 10, err)) != 0 ||
	    (rc = report_limit(&r->rows, cfg, r->section, "rows", 10, err)) != 0)
		goto done;
	if (week == 0)
		cl_iso_week(today, &year, &week);
	r->year = year;
	r->week = week;
	r->monday = cl_iso_week_monday(year, week);
	r->sunday = r->monday + 6;
	r->ref = today >= r->monday && today <= r->sunday ? today : r->sunday;
	snprintf(r->label, sizeof r->label, "%04d-W%02d", year, week);
	cl_date_format(r->monday, r->mon);
	cl_date_format(r->sunday, r->sun);
	cl_date_format(r->ref, r->refs);
	cl_date_format(r->ref + 7, r->soon7);
	cl_date_format(r->ref + (int)r->soon_days, r->soon_nag);
	cl_date_format(r->monday - 7 * (TREND_WEEKS - 1), r->win_start);
	for (k = 0; k <= TREND_WEEKS; k++)
		if ((rc = report_midnight(r->bound[k], r->monday - 7 * (TREND_WEEKS - 1 - k), tz)) != 0)
			goto tzfail;
	if ((rc = report_midnight(r->ref_end, r->ref + 1, tz)) != 0)
		goto tzfail;
	r->sync_failed_at = cl_store_meta_get(st, "sync_failed_at");
	if ((rc = report_has_teams(r, err)) != 0 || (rc = report_items(r, err)) != 0 ||
	    (rc = report_counts(r, err)) != 0 || (rc = report_trend(r, err)) != 0 ||
	    (r->by_team && (rc = report_teams(r, err)) != 0) ||
	    (rc = cl_drill_failures(&r->drills, &r->ndrills, st, 1, err)) != 0 ||
	    (rc = cl_import_missing(&r->missing, &r->nmissing, st, err)) != 0 ||
	    (rc = cl_nag_refused(&r->refused, &r->nrefused, st, err)) != 0 ||
	    (rc = cl_recur_find(&r->recurs, &r->nrecurs, st, err)) != 0)
		goto done;
	*out = r;
	return 0;
tzfail:
	rc = cl_error_set(err, CL_ECONFIG, "[closeloop] timezone '%s' is not usable", r->tz);
done:
	cl_report_free(r);
	return rc;
}

void
cl_report_free(void *model)
{
	struct cl_report *r = model;

	if (r == NULL)
		return;
	free(r->sync_failed_at);
	cl_drills_free(r->drills, r->ndrills);
	cl_pm_missing_free(r->missing, r->nmissing);
	cl_nag_refusals_free(r->refused, r->nrefused);
	cl_recurs_free(r->recurs, r->nrecurs);
	while (r->nteams > 0)
		free(r->teams[--r->nteams].team);
	free(r->teams);
	free(r);
}

const char *
cl_report_week(const void *model)
{
	return ((const struct cl_report *)model)->label;
}

long long
cl_report_count(const void *model, const char *what)
{
	const struct cl_report *r = model;

	if (strcmp(what, "open") == 0)
		return r->open;
	if (strcmp(what, "overdue") == 0)
		return r->overdue;
	if (strcmp(what, "closed_this_week") == 0)
		return r->closed_week;
	if (strcmp(what, "new_this_week") == 0)
		return r->new_week;
	if (strcmp(what, "due_next_7_days") == 0)
		return r->due_soon;
	return -1;
}

/* ---- the sections ------------------------------------------------------- */

/* Formats a number for a cell. */
static const char *
num(char buf[24], long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

/* The display name of an owner key from [people], or NULL. */
static const char *
owner_name(const struct cl_report *r, const char *okey)
{
	const struct cl_person *p = cl_config_person(r->cfg, okey);
	return p && p->name ? p->name : NULL;
}


/* Steps s to its end, handing each row to fn; the SQLite result. */
static int
report_rows(sqlite3_stmt *s, void (*fn)(struct cl_writer *, const struct cl_report *,
                                        sqlite3_stmt *), struct cl_writer *w,
            const struct cl_report *r)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		fn(w, r, s);
	return rc;
}

static const struct cl_col overdue_cols[] = {
	{ "days_overdue", "Late", CL_COL_INT, "d" },
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "postmortem", "Post-mortem", CL_COL_ID, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "due_derived", "Due from", CL_COL_TEXT, NULL },
	{ "link", "Tracker", CL_COL_LINK, NULL },
};

/* By team: the owner goes with each row (under the action in HTML). */
static const struct cl_col overdue_team_cols[] = {
	{ "days_overdue", "Late", CL_COL_INT, "d" },
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "postmortem", "Post-mortem", CL_COL_ID, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "due_derived", "Due from", CL_COL_TEXT, NULL },
	{ "link", "Tracker", CL_COL_LINK, NULL },
};

/* The overdue rows of one owner (tk: of one team, NULL: any), at most
 * limit; by_team puts the owner in the row. *shown counts them. */
static int
overdue_owner_rows(struct cl_writer *w, const struct cl_report *r, const char *okey,
                   const char *tk, long long limit, int by_team, long long *shown,
                   struct cl_error *err)
{
#define OVERDUE_ROWS(team) \
		"SELECT CAST(julianday(:ref) - julianday(due) AS INTEGER), key, " SHOW_ACTION ", " \
		SHOW_PM ", due, " SHOW_DERIVED ", " SHOW_LINK " FROM temp.cl_report_items " \
		"WHERE isop = 1 AND " team "okey = :owner AND due < :ref ORDER BY due, key LIMIT :limit"
	static const char rows_sql[] = OVERDUE_ROWS("");
	static const char team_rows_sql[] = OVERDUE_ROWS("tkey = :tk AND ");
#undef OVERDUE_ROWS
	sqlite3_stmt *q = NULL;
	const char *name = owner_name(r, okey);
	char nb[24], who[200];
	int rc;

	*shown = 0;
	if ((rc = report_stmt_for(&q, r, tk ? team_rows_sql : rows_sql, limit, okey, tk,
	                          err)) != 0)
		return rc;
	snprintf(who, sizeof who, "%s%s%s%s", okey, name ? " (" : "", name ? name : "",
	         name ? ")" : "");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *vals[8] = { num(nb, sqlite3_column_int64(q, 0)), col(q, 1), col(q, 2),
		                        who, col(q, 3), col(q, 4), col(q, 5), col(q, 6) };
		const char *plain[7] = { vals[0], vals[1], vals[2], vals[4], vals[5], vals[6],
		                         vals[7] };
		cl_writer_row(w, by_team ? vals : plain);
		(*shown)++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, err, "report");
}

/* Overdue items grouped by owner: owners by their most overdue item, at
 * most [report] owners owners and per_owner rows each (the complete formats
 * lift both limits), each group with its full count. One query for the
 * owners, then one index range per owner: nothing is sorted. The all-teams
 * report groups by team first: one group per team, its owners inside. */
static int
section_overdue(struct cl_writer *w, const struct cl_report *r, int complete,
                struct cl_error *err)
{
	static const char owners_sql[] =
		"SELECT okey, count(*) FROM temp.cl_report_items WHERE isop = 1 AND due < :ref "
		"GROUP BY okey ORDER BY min(due), okey LIMIT :limit";
	static const char team_owners_sql[] =
		"SELECT okey, count(*) FROM temp.cl_report_items WHERE isop = 1 AND tkey = :tk AND "
		"due < :ref GROUP BY okey ORDER BY min(due), okey LIMIT :limit";
	sqlite3_stmt *s = NULL;
	char more[200];
	long long shown = 0, owners = 0, owners_more = 0;
	size_t t, nt = r->by_team ? r->nteams : 1;
	int rc;

	cl_writer_section(w, "overdue", r->by_team ? "Overdue, by team and owner" :
	                  "Overdue, by owner", r->by_team ? overdue_team_cols : overdue_cols,
	                  r->by_team ? 8 : 7, 0);
	for (t = 0; t < nt; t++) {
		const struct report_team *tm = r->by_team ? &r->teams[t] : NULL;
		long long tshown = 0, towners = 0;
		if (tm && tm->overdue == 0)
			continue;
		if (tm)
			cl_writer_group(w, "team", tm->team, NULL, tm->overdue);
		if ((rc = report_stmt_for(&s, r, tm ? team_owners_sql : owners_sql,
		                          complete ? ALL_ROWS : r->owners, NULL, tm ? tm->team : NULL,
		                          err)) != 0)
			return rc;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			const char *okey = col(s, 0);
			long long n = sqlite3_column_int64(s, 1), gshown = 0;
			int qrc;
			owners++;
			towners++;
			if (!tm)
				cl_writer_group(w, "owner", okey, owner_name(r, okey), n);
			if ((qrc = overdue_owner_rows(w, r, okey, tm ? tm->team : NULL,
			                              complete ? ALL_ROWS : r->per_owner, tm != NULL,
			                              &gshown, err)) != 0) {
				sqlite3_finalize(s);
				return qrc;
			}
			if (n > gshown) {
				snprintf(more, sizeof more, tm ? "… and %lld more of %s" : "… and %lld more",
				         n - gshown, okey);
				cl_writer_more(w, more);
				owners_more++;
			}
			tshown += gshown;
			if (!tm)
				cl_writer_group_end(w);
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return cl_store_fail(r->st, rc, err, "report");
		shown += tshown;
		if (tm) {
			if (tm->overdue_owners > towners) {
				snprintf(more, sizeof more, "… and %lld more overdue item%s of %lld owner%s "
				         "in %s", tm->overdue - tshown, tm->overdue - tshown == 1 ? "" : "s",
				         tm->overdue_owners - towners,
				         tm->overdue_owners - towners == 1 ? "" : "s", tm->team);
				cl_writer_more(w, more);
			}
			cl_writer_group_end(w);
		}
	}
	if (r->overdue > shown) {
		if (!r->by_team)
			owners_more += r->overdue_owners - owners;
		snprintf(more, sizeof more, r->by_team ? "… and %lld more overdue item%s "
		         "(all of them: report --format csv, or the attached CSV)" :
		         "… and %lld more overdue item%s of %lld owner%s "
		         "(all of them: report --format csv, or the attached CSV)", r->overdue - shown,
		         r->overdue - shown == 1 ? "" : "s", owners_more, owners_more == 1 ? "" : "s");
		cl_writer_more(w, more);
	}
	cl_writer_section_end(w);
	return 0;
}

/* The per-team numbers, as three narrow tables (readable at 400 px). */
static const struct cl_col team_cols[] = {
	{ "team", "Team", CL_COL_ID, ":" },
	{ "open", "Open", CL_COL_INT, " open" },
	{ "overdue", "Overdue", CL_COL_INT, " overdue" },
	{ "top_owners", "Top owners by overdue", CL_COL_WIDE, NULL },
};

static const struct cl_col team_closing_cols[] = {
	{ "team", "Team", CL_COL_ID, ":" },
	{ "closed", "Closed", CL_COL_INT, " closed" },
	{ "closed_within_deadline_pct", "In time %", CL_COL_INT, "% of them in time" },
	{ "median_days_to_close", "Median days", CL_COL_INT, " days median to close" },
	{ "trend", "Open then → now", CL_COL_TEXT, " open (12 weeks ago → now)" },
};

static const struct cl_col team_age_cols[] = {
	{ "team", "Team", CL_COL_ID, ":" },
	{ "overdue_0_7_days", "0-7 d", CL_COL_INT, " 0-7 days late" },
	{ "overdue_8_30_days", "8-30 d", CL_COL_INT, " 8-30 days" },
	{ "overdue_31_90_days", "31-90 d", CL_COL_INT, " 31-90 days" },
	{ "overdue_over_90_days", "> 90 d", CL_COL_INT, " > 90 days" },
};

/* Per team: open and overdue items with the top owners and the 12-week
 * change; closings of the last 12 weeks; overdue items by days late (the
 * all-teams report only). */
static void
section_teams(struct cl_writer *w, const struct cl_report *r)
{
	char b[8][32];
	size_t t;
	int k;

	if (!r->by_team)
		return;
	cl_writer_section(w, "teams", "By team", team_cols, 4, 0);
	for (t = 0; t < r->nteams; t++) {
		const struct report_team *tm = &r->teams[t];
		const char *vals[4] = { tm->team, num(b[0], tm->open), num(b[1], tm->overdue),
		                        tm->top };
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
	cl_writer_section(w, "teams_closing", "By team: the last 12 weeks", team_closing_cols, 5,
	                  0);
	for (t = 0; t < r->nteams; t++) {
		const struct report_team *tm = &r->teams[t];
		const char *vals[5] = { tm->team, num(b[0], tm->closed), NULL, NULL, b[3] };
		snprintf(b[3], sizeof b[3], "%lld → %lld", tm->open_start, tm->open_end);
		if (tm->closed_dl > 0)
			vals[2] = num(b[1], tm->closed_in_dl * 100 / tm->closed_dl);
		if (tm->median >= 0) {
			snprintf(b[2], sizeof b[2], "%.1f", tm->median);
			vals[3] = b[2];
		}
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
	cl_writer_section(w, "teams_overdue_by_age", "By team: open items by days overdue",
	                  team_age_cols, 5, 0);
	for (t = 0; t < r->nteams; t++) {
		const struct report_team *tm = &r->teams[t];
		const char *vals[5] = { tm->team, b[0], b[1], b[2], b[3] };
		for (k = 0; k < 4; k++)
			num(b[k], tm->age[k]);
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
}

static const struct cl_col soon_cols[] = {
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "due_derived", "Due from", CL_COL_TEXT, NULL },
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "link", "Tracker", CL_COL_LINK, NULL },
};

static void
row_soon(struct cl_writer *w, const struct cl_report *r, sqlite3_stmt *s)
{
	const char *vals[6] = { col(s, 0), col(s, 1), col(s, 2), col(s, 3), col(s, 4), col(s, 5) };
	cl_writer_row(w, vals);
}

static const struct cl_col problem_cols[] = {
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "problems", "Problems", CL_COL_TEXT, NULL },
};

static void
row_problem(struct cl_writer *w, const struct cl_report *r, sqlite3_stmt *s)
{
	const char *vals[4] = { col(s, 0), col(s, 1), col(s, 2), col(s, 3) };
	cl_writer_row(w, vals);
}

static const struct cl_col drill_wait_cols[] = {
	{ "id", "Post-mortem", CL_COL_ID, NULL },
	{ "title", "Title", CL_COL_WIDE, NULL },
	{ "items", "Items", CL_COL_INT, NULL },
	{ "closed", "Last closed", CL_COL_DATE, NULL },
};

/* A post-mortem (id, title, ...): its own title, without the "Post-mortem:"
 * its heading starts with, as every other place shows it. */
static void
row_postmortem(struct cl_writer *w, const struct cl_report *r, sqlite3_stmt *s)
{
	const char *vals[8];
	int i, n = sqlite3_column_count(s);

	for (i = 0; i < n && i < 8; i++)
		vals[i] = col(s, i);
	vals[1] = cl_str_title_bare(vals[1]);
	cl_writer_row(w, vals);
}

static const struct cl_col late_cols[] = {
	{ "id", "Post-mortem", CL_COL_ID, NULL },
	{ "title", "Title", CL_COL_WIDE, NULL },
	{ "incident_date", "Incident", CL_COL_DATE, NULL },
	{ "written_date", "Written", CL_COL_DATE, NULL },
	{ "first_seen", "First seen", CL_COL_DATE, NULL },
};

static const struct cl_col load_cols[] = {
	{ "owner", "Owner", CL_COL_ID, NULL },
	{ "name", "Name", CL_COL_WIDE, NULL },
	{ "open", "Open", CL_COL_INT, NULL },
	{ "overdue", "Overdue", CL_COL_INT, NULL },
};

static void
row_load(struct cl_writer *w, const struct cl_report *r, sqlite3_stmt *s)
{
	const char *vals[4] = { col(s, 0), owner_name(r, col(s, 0)), col(s, 1), col(s, 2) };
	cl_writer_row(w, vals);
}

static const struct cl_col noaddr_cols[] = {
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
};

static const struct cl_col drill_fail_cols[] = {
	{ "drill", "Drill", CL_COL_ID, NULL },
	{ "title", "Title", CL_COL_WIDE, NULL },
	{ "postmortem", "Post-mortem", CL_COL_ID, NULL },
	{ "start", "Start", CL_COL_DATE, NULL },
	{ "notes", "Notes", CL_COL_TEXT, NULL },
};

static const struct cl_col trend_cols[] = {
	{ "week", "Week", CL_COL_ID, NULL },
	{ "open", "Open at week end", CL_COL_BAR, " open" },
	{ "closed", "Closed in the week", CL_COL_BAR, " closed" },
};

static const struct cl_col item_cols[] = {
	{ "id", "Item", CL_COL_ID, NULL },
	{ "state", "State", CL_COL_ID, NULL },
	{ "days_overdue", "Days overdue", CL_COL_INT, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "due_derived", "Due from", CL_COL_TEXT, NULL },
	{ "owner", "Owner", CL_COL_TEXT, NULL },
	{ "owner_name", "Owner name", CL_COL_TEXT, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "postmortem", "Post-mortem", CL_COL_ID, NULL },
	{ "link", "Tracker", CL_COL_LINK, NULL },
	{ "problems", "Problems", CL_COL_TEXT, NULL },
	{ "team", "Team", CL_COL_ID, NULL },
};

static void
row_item(struct cl_writer *w, const struct cl_report *r, sqlite3_stmt *s)
{
	const char *n = owner_name(r, col(s, 5));
	const char *vals[12];
	int i;

	for (i = 0; i < 12; i++)
		vals[i] = col(s, i);
	vals[6] = n ? n : "";
	cl_writer_row(w, vals);
}

/* A section whose rows come straight from a query (limit: rows shown;
 * total: how many there are, for "… and N more"). */
static int
section_query(struct cl_writer *w, const struct cl_report *r, const char *key,
              const char *title, const struct cl_col *cols, int ncols, const char *sql,
              void (*fn)(struct cl_writer *, const struct cl_report *, sqlite3_stmt *),
              long long limit, long long total, const char *what, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char more[160];
	int rc;

	cl_writer_section(w, key, title, cols, ncols, 0);
	if ((rc = report_stmt(&s, r, sql, limit, err)) != 0)
		return rc;
	rc = report_rows(s, fn, w, r);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	if (total > limit) {
		snprintf(more, sizeof more, "… and %lld more %s", total - limit, what);
		cl_writer_more(w, more);
	}
	cl_writer_section_end(w);
	return 0;
}

/* Owners without an address whose items fall due soon: reminders cannot
 * reach them. [people] is in the config, so this one filters in C. */
static int
section_noaddr(struct cl_writer *w, const struct cl_report *r, long long limit,
               struct cl_error *err)
{
	static const char sql[] = BASE_SQL
		"SELECT okey, key, " SHOW_ACTION ", due FROM op" SHOW_JOIN "WHERE due <= :soon_nag "
		"ORDER BY due, key";
	sqlite3_stmt *s = NULL;
	long long n = 0;
	char more[96];
	int rc;

	cl_writer_section(w, "no_address", "Reminders impossible: owner without an address",
	                  noaddr_cols, 4, 0);
	if ((rc = report_stmt(&s, r, sql, limit, err)) != 0)
		return rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const struct cl_person *p = cl_config_person(r->cfg, col(s, 0));
		const char *vals[4];
		if (p != NULL && p->email != NULL)
			continue;
		if (n++ >= limit)
			continue;
		vals[0] = col(s, 0);
		vals[1] = col(s, 1);
		vals[2] = col(s, 2);
		vals[3] = col(s, 3);
		cl_writer_row(w, vals);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	if (n > limit) {
		snprintf(more, sizeof more, "… and %lld more", n - limit);
		cl_writer_more(w, more);
	}
	cl_writer_section_end(w);
	return 0;
}

static void
section_failed_drills(struct cl_writer *w, const struct cl_report *r)
{
	size_t i;

	if (r->ndrills == 0)
		return;
	cl_writer_section(w, "failed_drills", "Drill re-runs that failed", drill_fail_cols, 5, 0);
	for (i = 0; i < r->ndrills; i++) {
		char id[24], start[21];
		const char *vals[5];
		snprintf(id, sizeof id, "#%lld", r->drills[i].id);
		cl_time_format_utc(r->drills[i].start, start);
		start[10] = '\0';
		vals[0] = id;
		vals[1] = r->drills[i].title;
		vals[2] = r->drills[i].pm_slug;
		vals[3] = start;
		vals[4] = r->drills[i].notes;
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
}

static const struct cl_col recur_cols[] = {
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "postmortems", "Post-mortems", CL_COL_INT, NULL },
	{ "open", "Still open", CL_COL_INT, NULL },
	{ "items", "Items", CL_COL_TEXT, NULL },
};

/* Fixes proposed in more than one post-mortem (recur.h has the rule). */
static void
section_recurring(struct cl_writer *w, const struct cl_report *r, long long limit)
{
	char a[24], b[24], more[96];
	size_t i;

	cl_writer_section(w, "recurring", "Recurring actions: the same fix proposed again",
	                  recur_cols, 4, 0);
	for (i = 0; i < r->nrecurs && (long long)i < limit; i++) {
		const char *vals[4] = { r->recurs[i].action, num(a, (long long)r->recurs[i].npm),
		                        num(b, (long long)r->recurs[i].open), r->recurs[i].items };
		cl_writer_row(w, vals);
	}
	if ((long long)r->nrecurs > limit) {
		snprintf(more, sizeof more, "… and %lld more", (long long)r->nrecurs - limit);
		cl_writer_more(w, more);
	}
	cl_writer_section_end(w);
}

static const struct cl_col missing_cols[] = {
	{ "id", "Post-mortem", CL_COL_ID, NULL },
	{ "source", "Source", CL_COL_WIDE, NULL },
	{ "missing_since", "Missing since", CL_COL_DATE, NULL },
	{ "retired_at", "Items withdrawn", CL_COL_DATE, NULL },
};

static const struct cl_col refused_cols[] = {
	{ "owner", "Owner", CL_COL_ID, NULL },
	{ "email", "Address", CL_COL_TEXT, NULL },
	{ "code", "Code", CL_COL_INT, NULL },
	{ "detail", "Server said", CL_COL_WIDE, NULL },
	{ "at", "When", CL_COL_DATE, NULL },
};

/* Post-mortems gone from their source, and reminders the mail server
 * refused: each only when there is one. */
static void
section_missing_refused(struct cl_writer *w, const struct cl_report *r)
{
	char day[2][11], code[24];
	size_t i;

	if (r->nmissing > 0) {
		cl_writer_section(w, "missing_postmortems", "Post-mortems missing from their source",
		                  missing_cols, 4, 0);
		for (i = 0; i < r->nmissing; i++) {
			const struct cl_pm_missing *m = &r->missing[i];
			const char *vals[4];
			snprintf(day[0], sizeof day[0], "%.10s", m->missing_since ? m->missing_since : "");
			snprintf(day[1], sizeof day[1], "%.10s", m->retired_at ? m->retired_at : "");
			vals[0] = m->slug;
			vals[1] = m->source;
			vals[2] = day[0];
			vals[3] = day[1];
			cl_writer_row(w, vals);
		}
		cl_writer_section_end(w);
	}
	if (r->nrefused > 0) {
		cl_writer_section(w, "reminders_refused", "Reminders the mail server refused",
		                  refused_cols, 5, 0);
		for (i = 0; i < r->nrefused; i++) {
			const struct cl_nag_refusal *f = &r->refused[i];
			const char *vals[5];
			snprintf(code, sizeof code, "%d", f->code);
			snprintf(day[0], sizeof day[0], "%.10s", f->at ? f->at : "");
			vals[0] = f->owner;
			vals[1] = f->email;
			vals[2] = code;
			vals[3] = f->detail;
			vals[4] = day[0];
			cl_writer_row(w, vals);
		}
		cl_writer_section_end(w);
	}
}

static void
section_trend(struct cl_writer *w, const struct cl_report *r)
{
	long long max = 1;
	char o[24], c[24];
	int k;

	for (k = 0; k < TREND_WEEKS; k++) {
		if (r->trend_open[k] > max)
			max = r->trend_open[k];
		if (r->trend_closed[k] > max)
			max = r->trend_closed[k];
	}
	cl_writer_section(w, "trend", "Trend: open at week end and closed in the week, "
	                  "last 12 weeks", trend_cols, 3, max);
	for (k = 0; k < TREND_WEEKS; k++) {
		const char *vals[3] = { r->trend_label[k], num(o, r->trend_open[k]),
		                        num(c, r->trend_closed[k]) };
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
}

/* The headline facts and the manager's numbers. */
static void
report_facts(struct cl_writer *w, const struct cl_report *r)
{
	char b[8][32];
	int k;
	static const char *const age_keys[] = { "overdue_0_7_days", "overdue_8_30_days",
	                                        "overdue_31_90_days", "overdue_over_90_days" };
	static const char *const age_labels[] = { "overdue 0-7 days", "overdue 8-30 days",
	                                          "overdue 31-90 days", "overdue > 90 days" };

	cl_writer_facts(w, "counts", NULL);
	cl_writer_attr(w, "open", "open", num(b[0], r->open), 1);
	cl_writer_attr(w, "overdue", "overdue", num(b[1], r->overdue), 1);
	cl_writer_attr(w, "closed_this_week", "closed this week", num(b[2], r->closed_week), 1);
	cl_writer_attr(w, "new_this_week", "new post-mortems this week", num(b[3], r->new_week), 1);
	cl_writer_attr(w, "due_next_7_days", "due in 7 days", num(b[4], r->due_soon), 1);
	cl_writer_facts_end(w);

	cl_writer_facts(w, "numbers", "Last 12 weeks");
	cl_writer_attr(w, "closed", "closed", num(b[0], r->closed_win), 1);
	if (r->closed_dl > 0)
		snprintf(b[1], sizeof b[1], "%lld", r->closed_in_dl * 100 / r->closed_dl);
	cl_writer_attr(w, "closed_within_deadline_pct", "closed within their due date (%)",
	               r->closed_dl > 0 ? b[1] : NULL, 1);
	cl_writer_attr(w, "closed_within_deadline", "closed within their due date",
	               num(b[2], r->closed_in_dl), 1);
	if (r->median_close >= 0)
		snprintf(b[3], sizeof b[3], "%.1f", r->median_close);
	cl_writer_attr(w, "median_days_to_close", "median days to close",
	               r->median_close >= 0 ? b[3] : NULL, 1);
	cl_writer_attr(w, "with_slo", "closed with an [slo] deadline", num(b[4], r->closed_slo), 1);
	cl_writer_attr(w, "closed_within_slo", "closed within their [slo] deadline",
	               num(b[5], r->closed_in_slo), 1);
	cl_writer_facts_end(w);

	cl_writer_facts(w, "overdue_by_age", "Open items by days overdue");
	for (k = 0; k < 4; k++)
		cl_writer_attr(w, age_keys[k], age_labels[k], num(b[4 + k], r->age[k]), 1);
	cl_writer_facts_end(w);
}

/* The whole report through w; complete lifts every row limit. */
static int
report_write(struct cl_writer *w, const struct cl_report *r, int complete, int mail,
             struct cl_error *err)
{
	static const char soon_sql[] = BASE_SQL
		"SELECT due, key, " SHOW_ACTION ", " SHOW_DERIVED ", okey, " SHOW_LINK " FROM op"
		SHOW_JOIN
		"WHERE due >= :ref AND due <= :soon7 "
		"ORDER BY due, key LIMIT :limit";
	static const char problem_sql[] = BASE_SQL
		"SELECT key, " SHOW_ACTION ", okey, problems FROM op" SHOW_JOIN "WHERE problems != '' "
		"ORDER BY due IS NULL, due, key LIMIT :limit";
	static const char wait_sql[] =
		"SELECT p.slug, p.title, count(*), substr(max(i.closed_at), 1, 10), "
		"count(*) OVER () FROM postmortems p JOIN items i ON i.postmortem_id = p.id "
		"WHERE p.kind = 'postmortem' AND p.verified_at IS NULL AND i.status != 'withdrawn' "
		"AND " TEAM_PM("p.") " "
		"GROUP BY p.id HAVING sum(i.status = 'open') = 0 "
		"ORDER BY max(i.closed_at), p.slug LIMIT :limit";
	static const char late_sql[] =
		"SELECT slug, title, incident_date, written_date, substr(first_seen, 1, 10) "
		"FROM postmortems WHERE kind = 'postmortem' AND " TEAM_PM("") " "
		"AND (' ' || problems || ' ') LIKE '% postmortem-late %' AND first_seen >= :b0 "
		"ORDER BY incident_date DESC, slug LIMIT :limit";
	static const char load_sql[] = BASE_SQL
		"SELECT okey, count(*) AS n, coalesce(sum(due < :ref), 0) FROM op GROUP BY okey "
		"ORDER BY n DESC, okey COLLATE NOCASE, okey LIMIT :limit";
	static const char top_sql[] = BASE_SQL
		"SELECT okey, count(*), sum(due < :ref) AS n FROM op WHERE due < :ref GROUP BY okey "
		"ORDER BY n DESC, okey COLLATE NOCASE, okey LIMIT :limit";
	long long lim = complete ? ALL_ROWS : r->rows;
	char title[256], sub[160], foot[96];
	int rc;

	snprintf(title, sizeof title, "closeloop weekly report %s%s%s", r->label,
	         *r->team ? ", team " : *r->name ? ", " : "", *r->team ? r->team : r->name);
	snprintf(sub, sizeof sub, "%s to %s, as of %s%s%s", r->mon, r->sun, r->refs,
	         *r->tz ? ", " : "", r->tz);
	cl_writer_start(w, title, sub);
	cl_writer_attr(w, "week", NULL, r->label, 0);
	cl_writer_attr(w, "from", NULL, r->mon, 0);
	cl_writer_attr(w, "to", NULL, r->sun, 0);
	cl_writer_attr(w, "as_of", NULL, r->refs, 0);
	cl_writer_attr(w, "timezone", NULL, *r->tz ? r->tz : "local", 0);
	cl_writer_attr(w, "report", NULL, *r->name ? r->name : NULL, 0);
	cl_writer_attr(w, "team", NULL, *r->team ? r->team : NULL, 0);
	cl_writer_attr(w, "sync_failed_at", NULL, r->sync_failed_at, 0);
	if (r->sync_failed_at) {
		char warn[160];
		snprintf(warn, sizeof warn, "the last sync with the issue tracker failed at %s; "
		         "statuses may be stale.", r->sync_failed_at);
		cl_writer_warning(w, "warning", warn);
	}
	report_facts(w, r);
	section_teams(w, r);
	if ((rc = section_overdue(w, r, complete, err)) != 0 ||
	    (rc = section_query(w, r, "due_soon", "Due in the next 7 days", soon_cols, 6,
	                        soon_sql, row_soon, lim, r->due_soon, "due soon", err)) != 0 ||
	    (rc = section_query(w, r, "problems", "Items with problems", problem_cols, 4,
	                        problem_sql, row_problem, lim, r->problems, "with problems",
	                        err)) != 0 ||
	    (section_recurring(w, r, lim), 0) ||
	    (rc = section_query(w, r, "awaiting_drill", "Post-mortems closed, waiting for their "
	                        "drill re-run", drill_wait_cols, 4, wait_sql, row_postmortem, lim, 0,
	                        "", err)) != 0)
		return rc;
	section_failed_drills(w, r);
	if ((rc = section_query(w, r, "late_postmortems", "Post-mortems written late", late_cols,
	                        5, late_sql, row_postmortem, lim, 0, "", err)) != 0 ||
	    (rc = section_query(w, r, "top_overdue_owners", "Top owners by overdue items",
	                        load_cols, 4, top_sql, row_load, complete ? ALL_ROWS : 5,
	                        r->overdue_owners, "owners with overdue items", err)) != 0 ||
	    (rc = section_query(w, r, "owner_load", "Owner load (open items)", load_cols, 4,
	                        load_sql, row_load, lim, 0, "", err)) != 0 ||
	    (rc = section_noaddr(w, r, lim, err)) != 0)
		return rc;
	section_missing_refused(w, r);
	section_trend(w, r);
	snprintf(foot, sizeof foot, mail ? "Sent by closeloop for %s." : "Written by closeloop "
	         "for %s.", r->label);
	cl_writer_end(w, foot);
	return 0;
}

/* The complete list of open items as one CSV table, by owner and due date. */
static int
report_write_csv(struct cl_writer *w, const struct cl_report *r, struct cl_error *err)
{
	static const char sql[] = BASE_SQL
		"SELECT key, CASE WHEN due < :ref THEN 'overdue' WHEN due <= :soon7 THEN 'due-soon' "
		"ELSE 'open' END, CASE WHEN due < :ref THEN CAST(julianday(:ref) - julianday(due) "
		"AS INTEGER) ELSE 0 END, due, " SHOW_DERIVED ", okey, NULL, " SHOW_ACTION ", " SHOW_PM ", " SHOW_LINK
		", problems, tkey FROM op" SHOW_JOIN
		"ORDER BY isop, okey, due, key";	/* the index's order: no sort */
	sqlite3_stmt *s = NULL;
	int rc;

	cl_writer_section(w, "items", "Open items", item_cols, 12, 0);
	if ((rc = report_stmt(&s, r, sql, ALL_ROWS, err)) != 0)
		return rc;
	rc = report_rows(s, row_item, w, r);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, err, "report");
	cl_writer_section_end(w);
	return 0;
}

/* Writes the report in format through a new writer on fp (NULL: buffer). */
static int
report_run(struct cl_writer **out, const struct cl_report *r, int format, FILE *fp, int mail,
           struct cl_error *err)
{
	int rc;

	if ((rc = cl_writer_new(out, format, fp, err)) != 0)
		return rc;
	if (format == CL_WRITER_CSV)
		rc = report_write_csv(*out, r, err);
	else
		rc = report_write(*out, r, format == CL_WRITER_JSON, mail, err);
	if (rc == 0)
		rc = cl_writer_finish(*out, err);
	return rc;
}

int
cl_report_write(FILE *fp, const void *model, int format, struct cl_error *err)
{
	struct cl_writer *w = NULL;
	int rc = report_run(&w, model, format, fp, 0, err);

	cl_writer_free(w);
	return rc;
}

int
cl_report_render(char **out, const void *model, int format, struct cl_error *err)
{
	struct cl_writer *w = NULL;
	int rc;

	*out = NULL;
	if ((rc = report_run(&w, model, format, NULL, 0, err)) == 0 &&
	    (*out = cl_writer_take(w)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_writer_free(w);
	return rc;
}

/* The report in format for the mail (footer says sent), into *out. */
static int
report_mail_part(char **out, const struct cl_report *r, int format, struct cl_error *err)
{
	struct cl_writer *w = NULL;
	int rc;

	*out = NULL;
	if ((rc = report_run(&w, r, format, NULL, 1, err)) == 0 && (*out = cl_writer_take(w)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_writer_free(w);
	return rc;
}

int
cl_report_mail(struct cl_mail **out, const void *model, const struct cl_config *cfg,
               struct cl_error *err)
{
	const struct cl_report *r = model;
	const char *to = cl_config_get(cfg, r->section, "to");
	struct cl_mail_spec spec = { 0 };
	struct cl_mailbox *rcpt = NULL;
	char *text = NULL, *html = NULL, *csv = NULL, *subject = NULL, name[160], kind[80], sec[100];
	size_t n = 0;
	int rc;

	*out = NULL;
	snprintf(sec, sizeof sec, "%s", r->section);
	if (to == NULL || *to == '\0')
		return cl_error_set(err, CL_ECONFIG, "no recipients: set [%s] to", sec);
	if ((rc = cl_mailbox_parse_list(&rcpt, &n, to, err)) != 0) {
		cl_error_prefix(err, "[%s] to", sec);
		return CL_ECONFIG;
	}
	if ((rc = report_mail_part(&text, r, CL_WRITER_TEXT, err)) != 0 ||
	    (rc = report_mail_part(&html, r, CL_WRITER_HTML, err)) != 0 ||
	    (rc = report_mail_part(&csv, r, CL_WRITER_CSV, err)) != 0)
		goto done;
	/* the complete list travels with the short report, for spreadsheets */
	snprintf(name, sizeof name, "closeloop-%s%s%s.csv", *r->name ? r->name : "",
	         *r->name ? "-" : "", r->label);
	spec.attach = csv;
	spec.attach_len = strlen(csv);
	spec.attach_name = name;
	spec.attach_type = "text/csv";
	subject = cl_asprintf("Post-mortem action items%s%s, week %s: %lld open, %lld overdue",
	                      *r->team || *r->name ? ", " : "", *r->team ? r->team : r->name,
	                      r->label, r->open, r->overdue);
	if (subject == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	spec.to = rcpt;
	spec.nto = n;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	cl_report_kind(kind, sizeof kind, r->name);
	spec.kind = kind;
	spec.key = r->label;
	rc = cl_mail_build_cfg(out, &spec, cfg, err);
done:
	cl_mailboxes_free(rcpt, n);
	free(text);
	free(html);
	free(csv);
	free(subject);
	return rc;
}

void
cl_report_kind(char *out, size_t size, const char *name)
{
	snprintf(out, size, "report%s%s", name && *name ? ":" : "", name ? name : "");
}

int
cl_report_send_week(int *sent, struct cl_store *st, const struct cl_config *cfg,
                    const char *name, int year, int week, const void *given, int force,
                    FILE *trace, char *note, size_t note_size, struct cl_error *err)
{
	void *model = NULL;
	const struct cl_report *rep;
	struct cl_mail *m = NULL;
	char *last = NULL, wk[16], kind[80];
	size_t i, ok = 0, used = 0, pending = 0;
	int rc;

	*sent = 0;
	cl_report_kind(kind, sizeof kind, given ? ((const struct cl_report *)given)->name : name);
	if (note && note_size)
		note[0] = '\0';
	snprintf(wk, sizeof wk, "%04d-W%02d", year, week);
	if (given == NULL && (rc = cl_report_build_for(&model, st, cfg, name, NULL, year, week,
	                                                err)) != 0)
		return rc;
	rep = given ? given : model;
	if ((rc = cl_report_mail(&m, rep, cfg, err)) != 0)
		goto done;
	/* once per week per recipient: the ones deferred last time get it now */
	m->once = !force;
	if (!force && (rc = cl_report_pending(&pending, st, cfg, rep->name, wk, err)) == 0 &&
	    pending == 0) {
		if ((rc = cl_mail_log_last(&last, st, kind, wk, NULL, err)) == 0 && note &&
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
			                        "(nothing sent)", used ? "; " : "", r->email,
			                        cl_mail_state_name(r->state));
		if (note && used >= note_size)
			used = note_size - 1;
	}
done:
	cl_mail_free(m);
	cl_report_free(model);
	return rc;
}

int
cl_report_mark_shown(struct cl_store *st, const void *model, struct cl_error *err)
{
	const struct cl_report *r = model;
	size_t i;
	int rc;

	for (i = 0; i < r->ndrills; i++)
		if ((rc = cl_drill_mark_reported(st, r->drills[i].id, err)) != 0)
			return rc;
	return 0;
}

int
cl_report_pending(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                  const char *name, const char *week, struct cl_error *err)
{
	struct cl_mailbox *rcpt = NULL;
	char sec[96], kind[80];
	const char *to;
	size_t n = 0;
	int rc;

	*out = 0;
	if ((rc = cl_report_section(sec, sizeof sec, cfg, name, err)) != 0)
		return rc;
	if ((to = cl_config_get(cfg, sec, "to")) == NULL || *to == '\0')
		return 0;
	if ((rc = cl_mailbox_parse_list(&rcpt, &n, to, err)) != 0) {
		cl_error_prefix(err, "[%s] to", sec);
		return CL_ECONFIG;
	}
	cl_report_kind(kind, sizeof kind, name);
	rc = cl_mail_log_pending(out, st, kind, week, rcpt, n, err);
	cl_mailboxes_free(rcpt, n);
	return rc;
}
