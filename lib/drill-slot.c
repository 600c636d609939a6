/* drill-slot.c — proposals: the drills that are due and the first free
 * working-hours slot for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "drill-int.h"
#include "util.h"

/* Upper bound on slots tried when placing a proposal (hours). */
#define DRILL_MAX_SLOT_TRIES (24 * 400)

struct busy {
	time_t start, end;
};

struct propose_ctx {
	struct cl_store *st;
	const struct cl_config *cfg;
	const char *tz;
	long after_days, max_age, work_start, work_end, duration;
	struct busy *busy;
	size_t nbusy, busy_cap;
	time_t now;
};

/* The instant of day number day at hour:00 in tz. */
static time_t
day_at(int day, int hour, const char *tz)
{
	struct tm tm = { 0 };
	int y, m, d;
	time_t t = 0;

	cl_civil_from_days(day, &y, &m, &d);
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hour;
	cl_mktime(&tm, tz, &t);
	return t;
}

/* The first working-hours slot at or after t (full hours, Monday to Friday,
 * inside [work_start, work_end), not overlapping a scheduled drill). */
static time_t
first_slot(const struct propose_ctx *pc, time_t t)
{
	struct tm tm;
	int tries, day, wd, mins;
	size_t i;

	for (tries = 0; tries < DRILL_MAX_SLOT_TRIES; tries++) {
		if (cl_localtime(t, pc->tz, &tm) != 0)
			return t;
		if (tm.tm_min != 0 || tm.tm_sec != 0) {	/* round up to the hour */
			t += (60 - tm.tm_min) * 60 - tm.tm_sec;
			continue;
		}
		day = cl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		wd = cl_weekday(day);
		mins = tm.tm_hour * 60;
		if (wd >= 5 || mins + pc->duration > pc->work_end * 60) {
			t = day_at(day + 1, (int)pc->work_start, pc->tz);
			continue;
		}
		if (tm.tm_hour < pc->work_start) {
			t = day_at(day, (int)pc->work_start, pc->tz);
			continue;
		}
		for (i = 0; i < pc->nbusy; i++)
			if (t < pc->busy[i].end && t + pc->duration * 60 > pc->busy[i].start)
				break;
		if (i == pc->nbusy)
			return t;
		t = pc->busy[i].end;	/* after the drill in the way */
	}
	return t;
}

static int
busy_add(struct propose_ctx *pc, time_t start, int minutes)
{
	struct busy *b;

	if (cl_grow(&pc->busy, &pc->busy_cap, pc->nbusy, sizeof *pc->busy, 16) != 0)
		return CL_ENOMEM;
	b = pc->busy;
	b[pc->nbusy].start = start;
	b[pc->nbusy].end = start + (time_t)minutes * 60;
	pc->nbusy++;
	return 0;
}

/* Loads the scheduled drills as busy time. */
static int
busy_load(struct propose_ctx *pc, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, src;
	time_t t;

	if ((rc = cl_store_prepare(pc->st, &s, "SELECT start_utc, duration FROM drills "
	                           "WHERE state = 'scheduled'", err)) != 0)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (cl_time_parse((const char *)sqlite3_column_text(s, 0), &t) != 0)
			continue;
		if (busy_add(pc, t, sqlite3_column_int(s, 1)) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && src != SQLITE_DONE)
		rc = cl_store_fail(pc->st, src, err, "reading drills");
	sqlite3_finalize(s);
	return rc;
}

struct candidate {
	long long pm;
	int from_day;		/* earliest day, in the drill zone */
	char *reason;
};

/* Post-mortems whose items are all closed and runbooks due for a test. */
static int
candidates(struct candidate **out, size_t *n, struct propose_ctx *pc, struct cl_error *err)
{
	static const char *const sql_pm =
		"SELECT p.id, MAX(COALESCE(i.closed_at, i.updated_at)) AS last, "
		"       SUM(i.status = 'done') "
		"FROM postmortems p JOIN items i ON i.postmortem_id = p.id "
		"WHERE p.kind = 'postmortem' AND p.verified_at IS NULL "
		"GROUP BY p.id "
		"HAVING SUM(i.status = 'open') = 0 AND SUM(i.status = 'done') > 0 "
		"   AND NOT EXISTS (SELECT 1 FROM drills d WHERE d.postmortem_id = p.id "
		"                   AND (d.state = 'scheduled' OR d.created_at >= last)) "
		"ORDER BY p.id";
	static const char *const sql_rb =
		"SELECT p.id, MAX(COALESCE(p.rb_last_tested, ''), COALESCE((SELECT "
		"       MAX(substr(d.done_at, 1, 10)) FROM drills d WHERE d.postmortem_id = p.id "
		"       AND d.state = 'done-pass'), '')) AS last "
		"FROM postmortems p WHERE p.kind = 'runbook' "
		"  AND NOT EXISTS (SELECT 1 FROM drills d WHERE d.postmortem_id = p.id "
		"                  AND (d.state = 'scheduled' OR d.created_at >= ?1)) "
		"ORDER BY p.id";
	struct candidate *v = NULL;
	sqlite3_stmt *s = NULL;
	size_t count = 0, cap = 0;
	int rc, src, pass, today = cl_today(pc->tz);
	char since[21];

	*out = NULL;
	*n = 0;
	cl_time_format_utc(pc->now - (time_t)pc->max_age * 86400, since);
	for (pass = 0; pass < 2; pass++) {
		if ((rc = cl_store_prepare(pc->st, &s, pass == 0 ? sql_pm : sql_rb, err)) != 0)
			goto done;
		if (pass == 1)
			cl_bind_text(s, 1, since);
		while ((src = sqlite3_step(s)) == SQLITE_ROW) {
			const char *last = (const char *)sqlite3_column_text(s, 1);
			struct candidate c = { sqlite3_column_int64(s, 0), today, NULL };
			time_t t;
			int lastday;
			char d10[11];

			if (pass == 0) {
				if (last == NULL || cl_time_parse(last, &t) != 0)
					t = pc->now;
				lastday = cl_day_of(t, pc->tz);
				c.from_day = lastday + (int)pc->after_days;
				cl_date_format(lastday, d10);
				c.reason = cl_asprintf("all %d action items closed, the last on %s",
				                       sqlite3_column_int(s, 2), d10);
			} else {
				if (last && *last && cl_date_parse_iso(last, &lastday) == 0) {
					if (today - lastday <= pc->max_age)
						continue;
					c.reason = cl_asprintf("last tested %s, %d days ago (max %ld)",
					                       last, today - lastday, pc->max_age);
				} else {
					c.reason = cl_strdup("never tested");
				}
				c.from_day = today + (int)pc->after_days;
			}
			if (c.reason == NULL || cl_grow(&v, &cap, count, sizeof *v, 8) != 0) {
				free(c.reason);
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				goto done;
			}
			v[count++] = c;
		}
		if (src != SQLITE_DONE) {
			rc = cl_store_fail(pc->st, src, err, "finding due drills");
			goto done;
		}
		sqlite3_finalize(s);
		s = NULL;
	}
done:
	sqlite3_finalize(s);
	if (rc != 0) {
		while (count > 0)
			free(v[--count].reason);
		free(v);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

static int
propose_config(struct propose_ctx *pc, struct cl_error *err)
{
	int rc;

	pc->tz = cl_drill_tz(pc->cfg, NULL);
	if (!cl_tz_valid(pc->tz))
		return cl_error_set(err, CL_ECONFIG, "[drill] timezone '%s' is not a known zone",
		                    pc->tz);
	if ((rc = cl_config_get_int(pc->cfg, "drill", "after_close_days", 14, 0, 365,
	                            &pc->after_days, err)) != 0 ||
	    (rc = cl_config_get_int(pc->cfg, "drill", "max_age_days", 90, 1, 3650,
	                            &pc->max_age, err)) != 0 ||
	    (rc = cl_config_get_int(pc->cfg, "drill", "work_start_hour", 9, 0, 23,
	                            &pc->work_start, err)) != 0 ||
	    (rc = cl_config_get_int(pc->cfg, "drill", "work_end_hour", 17, 1, 24,
	                            &pc->work_end, err)) != 0 ||
	    (rc = cl_config_get_int(pc->cfg, "drill", "duration_minutes", 60, 5, 24 * 60,
	                            &pc->duration, err)) != 0)
		return rc;
	if (pc->work_end * 60 < pc->work_start * 60 + pc->duration)
		return cl_error_set(err, CL_ECONFIG, "[drill] work hours %ld-%ld cannot hold a "
		                    "%ld-minute drill", pc->work_start, pc->work_end, pc->duration);
	return 0;
}

int
cl_drill_propose(struct cl_drill **out, size_t *n, struct cl_store *st,
                 const struct cl_config *cfg, const struct cl_drill_sender *send,
                 struct cl_error *err)
{
	struct propose_ctx pc;
	struct candidate *cand = NULL;
	struct cl_drill *v = NULL;
	size_t ncand = 0, count = 0, i;
	int rc, first_fail = 0;

	*out = NULL;
	*n = 0;
	memset(&pc, 0, sizeof pc);
	pc.st = st;
	pc.cfg = cfg;
	pc.now = cl_now();
	if ((rc = propose_config(&pc, err)) != 0 || (rc = busy_load(&pc, err)) != 0 ||
	    (rc = candidates(&cand, &ncand, &pc, err)) != 0)
		goto done;
	if (ncand && (v = cl_calloc(ncand, sizeof *v)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < ncand; i++) {
		struct cl_drill *d = NULL;
		struct cl_error e1 = { 0 };
		time_t t;

		if ((rc = cl_drill_new_for(&d, st, cfg, cand[i].pm, err)) != 0)
			goto done;
		free(d->origin);
		d->origin = cl_strdup("proposal");
		d->timezone = cl_strdup(pc.tz);
		d->reason = cand[i].reason;
		cand[i].reason = NULL;
		d->duration = (int)pc.duration;
		if (!d->origin || !d->timezone) {
			cl_drill_free(d);
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		t = day_at(cand[i].from_day, (int)pc.work_start, pc.tz);
		if (t < pc.now)
			t = pc.now;
		d->start = first_slot(&pc, t);
		v[count] = *d;
		free(d);
		d = &v[count++];
		if (d->nattendees == 0) {
			char *r = cl_asprintf("%s; nobody to invite: no item owner, author or "
			                      "runbook owner has an address in [people]", d->reason);
			if (r) {
				free(d->reason);
				d->reason = r;
			}
			continue;
		}
		if (busy_add(&pc, d->start, d->duration) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (send == NULL) {
			if ((rc = cl_drill_next_id_uid(d, st, err)) != 0)
				goto done;
			d->id = 0;	/* not stored */
			continue;
		}
		if (cl_drill_schedule(d, NULL, st, cfg, send, &e1) != 0) {
			char *r = cl_asprintf("%s; not sent: %s", d->reason, e1.msg);
			if (r) {
				free(d->reason);
				d->reason = r;
			}
			if (first_fail == 0) {
				first_fail = e1.code;
				cl_error_set(err, e1.code, "%s", e1.msg);
			}
		}
	}
done:
	for (i = 0; i < ncand; i++)
		free(cand[i].reason);
	free(cand);
	free(pc.busy);
	if (rc != 0) {
		cl_drills_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return first_fail;
}
