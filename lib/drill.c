/* drill.c — DR drills in the store: loading, scheduling, rescheduling,
 * cancelling, outcomes, and their JSON form. The rest of the module:
 * drill-prepare.c (a new drill and its attendees), drill-ical.c (times and
 * the iCalendar), drill-slot.c (proposals), drill-mail.c (invite mails). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "drill-int.h"
#include "util.h"

#define DR(type, field, expr) CL_COLUMN(type, struct cl_drill, field, expr)
#define DR_T(field, expr) CL_COLUMN(CL_ROW_TEXT, struct cl_drill, field, expr)
#define DR_NN(field, expr) CL_COLUMN_NOTNULL(struct cl_drill, field, expr)
/* What a drill is loaded from (DRILL_FROM). */
static const struct cl_column drill_cols[] = {
	DR(CL_ROW_INT64, id, "d.id"),
	DR_NN(uid, "d.uid"),
	DR(CL_ROW_INT64, pm_rowid, "d.postmortem_id"),
	DR_NN(pm_slug, "p.slug"),
	DR_NN(pm_kind, "p.kind"),
	DR_T(pm_title, "p.title"),
	DR_T(pm_source, "p.source"),
	DR_NN(title, "d.title"),
	DR_T(description, "d.description"),
	DR(CL_ROW_TIME, start, "d.start_utc"),
	DR_NN(timezone, "d.timezone"),
	DR(CL_ROW_INT, duration, "d.duration"),
	DR_T(rrule, "d.rrule"),
	DR_NN(organizer, "d.organizer"),
	DR(CL_ROW_INT, sequence, "d.sequence"),
	DR_NN(state, "d.state"),
	DR_NN(origin, "d.origin"),
	DR(CL_ROW_INT_OR_NEG, rto, "d.rto"),
	DR_T(notes, "d.notes"),
	DR_T(created_at, "d.created_at"),
	DR_T(updated_at, "d.updated_at"),
	DR_T(done_at, "d.done_at"),
	DR_T(reported_at, "d.reported_at"),
};
#define NDRILL_COLS (sizeof drill_cols / sizeof drill_cols[0])
#define DRILL_FROM " FROM drills d JOIN postmortems p ON p.id = d.postmortem_id "

/* Frees n attendees and the array. */
static void
attendees_free(struct cl_drill_attendee *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].handle);
		free(a[i].name);
		free(a[i].email);
	}
	free(a);
}

/* Frees what d holds, not d itself. */
static void
drill_clear(struct cl_drill *d)
{
	cl_store_row_clear(d, drill_cols, NDRILL_COLS);
	attendees_free(d->attendees, d->nattendees);
	free(d->reason);
}

void
cl_drill_free(struct cl_drill *d)
{
	if (d == NULL)
		return;
	drill_clear(d);
	free(d);
}

void
cl_drills_free(struct cl_drill *d, size_t n)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++)
		drill_clear(&d[i]);
	free(d);
}

/* Appends an attendee unless its address is already there. */
int
cl_drill_attendee_add(struct cl_drill *d, const char *handle, const char *name, const char *email)
{
	struct cl_drill_attendee *a;
	size_t i;

	for (i = 0; i < d->nattendees; i++)
		if (cl_str_ieq(d->attendees[i].email, email))
			return 0;
	if (cl_grow(&d->attendees, &d->attendees_cap, d->nattendees, sizeof *d->attendees, 4) != 0)
		return CL_ENOMEM;
	a = &d->attendees[d->nattendees];
	memset(a, 0, sizeof *a);
	a->handle = handle ? cl_strdup(handle) : NULL;
	a->name = name ? cl_strdup(name) : NULL;
	a->email = cl_strdup(email);
	d->nattendees++;
	if ((handle && !a->handle) || (name && !a->name) || !a->email)
		return CL_ENOMEM;
	return 0;
}

/* Marks the attendees whose latest answer to one of d's invites (mail log,
 * kind invite, key the UID) was a permanent refusal, or a deferral (4xx,
 * server down) that nothing has answered since. */
static int
load_refusals(struct cl_drill *d, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	size_t i;
	int rc, src;

	if (d->uid == NULL || d->nattendees == 0)
		return 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT recipient, status FROM mail_log m WHERE "
	                           "kind = 'invite' AND key = ?1 AND status IN ('rejected', "
	                           "'deferred') AND id = (SELECT max(id) FROM mail_log WHERE "
	                           "kind = 'invite' AND key = ?1 AND recipient = m.recipient)",
	                           err)) != 0)
		return rc;
	cl_bind_text(s, 1, d->uid);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		int refused = strcmp((const char *)sqlite3_column_text(s, 1), "rejected") == 0;

		for (i = 0; i < d->nattendees; i++)
			if (cl_str_ieq(d->attendees[i].email, (const char *)sqlite3_column_text(s, 0))) {
				d->attendees[i].refused = refused;
				d->attendees[i].deferred = !refused;
			}
	}
	if (src != SQLITE_DONE)
		rc = cl_store_fail(st, src, err, "mail log");
	sqlite3_finalize(s);
	return rc;
}

/* Reads the attendees of drill d->id. */
static int
load_attendees(struct cl_drill *d, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, src;

	if ((rc = cl_store_prepare(st, &s, "SELECT handle, name, email FROM drill_attendees "
	                           "WHERE drill_id = ? ORDER BY pos", err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if ((rc = cl_drill_attendee_add(d, (const char *)sqlite3_column_text(s, 0),
		                                 (const char *)sqlite3_column_text(s, 1),
		                                 (const char *)sqlite3_column_text(s, 2))) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (src != SQLITE_DONE)
		rc = cl_store_fail(st, src, err, "reading drill attendees");
done:
	sqlite3_finalize(s);
	return rc == 0 ? load_refusals(d, st, err) : rc;
}

/* Fills d from a row of drill_cols. */
static int
drill_from_row(struct cl_drill *d, sqlite3_stmt *s)
{
	return cl_store_row_load(d, s, drill_cols, NDRILL_COLS);
}

/* Runs a drill_cols query with up to one text / int64 parameter. */
int
cl_drill_query(struct cl_drill **out, size_t *n, struct cl_store *st, const char *where,
               const char *text_arg, long long int_arg, struct cl_error *err)
{
	static char cols[1024];
	struct cl_drill *v = NULL;
	sqlite3_stmt *s = NULL;
	size_t count = 0, cap = 0, i;
	char *sql;
	int rc, src;

	*out = NULL;
	*n = 0;
	if ((sql = cl_asprintf("%s%s", cl_store_select(cols, sizeof cols, drill_cols, NDRILL_COLS,
	                                               DRILL_FROM), where)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_store_prepare(st, &s, sql, err);
	free(sql);
	if (rc != 0)
		return rc;
	if (text_arg)
		cl_bind_text(s, 1, text_arg);
	else if (int_arg)
		sqlite3_bind_int64(s, 1, int_arg);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (cl_grow(&v, &cap, count, sizeof *v, 8) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		memset(&v[count], 0, sizeof *v);
		count++;
		if (drill_from_row(&v[count - 1], s) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (src != SQLITE_DONE) {
		rc = cl_store_fail(st, src, err, "reading drills");
		goto done;
	}
	for (i = 0; i < count; i++)
		if ((rc = load_attendees(&v[i], st, err)) != 0)
			goto done;
done:
	sqlite3_finalize(s);
	if (rc != 0) {
		cl_drills_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return 0;
}

int
cl_drill_list(struct cl_drill **out, size_t *n, struct cl_store *st, const char *postmortem,
              struct cl_error *err)
{
	if (postmortem)
		return cl_drill_query(out, n, st, "WHERE p.slug = ?1 OR p.source = ?1 "
		                      "ORDER BY d.start_utc, d.id", postmortem, 0, err);
	return cl_drill_query(out, n, st, "ORDER BY d.start_utc, d.id", NULL, 0, err);
}

int
cl_drill_get(struct cl_drill **out, struct cl_store *st, long long id, struct cl_error *err)
{
	struct cl_drill *v = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = cl_drill_query(&v, &n, st, "WHERE d.id = ?", NULL, id, err)) != 0)
		return rc;
	if (n == 0) {
		free(v);
		return cl_error_set(err, CL_ENOTFOUND, "no drill %lld (see 'closeloop drill list')",
		                    id);
	}
	if ((*out = cl_malloc(sizeof **out)) == NULL) {
		cl_drills_free(v, n);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	**out = v[0];
	free(v);
	return 0;
}

int
cl_drill_failures(struct cl_drill **out, size_t *n, struct cl_store *st, int unreported_only,
                  struct cl_error *err)
{
	return cl_drill_query(out, n, st, unreported_only
	                      ? "WHERE d.state = 'done-fail' AND d.reported_at IS NULL "
	                        "ORDER BY d.done_at, d.id"
	                      : "WHERE d.state = 'done-fail' ORDER BY d.done_at, d.id", NULL, 0, err);
}

/* Runs one UPDATE/INSERT with text parameters (NULL binds NULL) and checks
 * that it changed want rows (-1: any). */
static int
exec_args(struct cl_store *st, int want, struct cl_error *err, const char *sql, int nargs,
          const char *const *args)
{
	sqlite3_stmt *s = NULL;
	int rc, src, i;

	if ((rc = cl_store_prepare(st, &s, sql, err)) != 0)
		return rc;
	for (i = 0; i < nargs; i++)
		cl_bind_text(s, i + 1, args[i]);
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	if (src != SQLITE_DONE)
		return cl_store_fail(st, src, err, "writing drills");
	if (want >= 0 && sqlite3_changes(cl_store_db(st)) != want)
		return CL_ENOTFOUND;
	return 0;
}

int
cl_drill_mark_reported(struct cl_store *st, long long id, struct cl_error *err)
{
	char now[21], ids[24];
	const char *args[2] = { now, ids };
	int rc;

	cl_time_format_utc(cl_now(), now);
	snprintf(ids, sizeof ids, "%lld", id);
	rc = exec_args(st, 1, err, "UPDATE drills SET reported_at = ?1 WHERE id = ?2 "
	               "AND state = 'done-fail'", 2, args);
	if (rc == CL_ENOTFOUND)
		return cl_error_set(err, CL_ENOTFOUND, "no failed drill %lld", id);
	return rc;
}

/* The id the next drill gets and its UID (inside the write transaction, or
 * a prediction for a dry run). */
int
cl_drill_next_id_uid(struct cl_drill *d, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char *salt;
	int rc, src;

	if ((rc = cl_store_prepare(st, &s, "SELECT COALESCE((SELECT seq FROM sqlite_sequence "
	                           "WHERE name = 'drills'), 0) + 1", err)) != 0)
		return rc;
	src = sqlite3_step(s);
	d->id = src == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (src != SQLITE_ROW)
		return cl_store_fail(st, src, err, "numbering drills");
	salt = cl_store_meta_get(st, "drill_uid_salt");
	free(d->uid);
	d->uid = cl_asprintf("closeloop-drill-%lld-%s", d->id, salt ? salt : "0");
	free(salt);
	return d->uid ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
}

/* Inserts d (its id and uid set) with its attendees. */
static int
drill_insert(struct cl_drill *d, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char now[21], start[21];
	size_t i;
	int rc, src;

	cl_time_format_utc(cl_now(), now);
	cl_time_format_utc(d->start, start);
	if ((rc = cl_store_prepare(st, &s, "INSERT INTO drills (id, uid, postmortem_id, title, "
	                           "description, start_utc, timezone, duration, rrule, organizer, "
	                           "sequence, state, origin, created_at, updated_at, sent_at) "
	                           "VALUES (?,?,?,?,?,?,?,?,?,?,?,'scheduled',?,?,?,?)", err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	cl_bind_text(s, 2, d->uid);
	sqlite3_bind_int64(s, 3, d->pm_rowid);
	cl_bind_text(s, 4, d->title);
	cl_bind_text(s, 5, d->description ? d->description : "");
	cl_bind_text(s, 6, start);
	cl_bind_text(s, 7, d->timezone);
	sqlite3_bind_int(s, 8, d->duration);
	cl_bind_text(s, 9, d->rrule);
	cl_bind_text(s, 10, d->organizer);
	sqlite3_bind_int(s, 11, d->sequence);
	cl_bind_text(s, 12, d->origin);
	cl_bind_text(s, 13, now);
	cl_bind_text(s, 14, now);
	cl_bind_text(s, 15, now);
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	if (src != SQLITE_DONE)
		return cl_store_fail(st, src, err, "storing the drill");
	for (i = 0; i < d->nattendees; i++) {
		if ((rc = cl_store_prepare(st, &s, "INSERT INTO drill_attendees (drill_id, pos, "
		                           "handle, name, email) VALUES (?,?,?,?,?)", err)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, d->id);
		sqlite3_bind_int(s, 2, (int)i);
		cl_bind_text(s, 3, d->attendees[i].handle);
		cl_bind_text(s, 4, d->attendees[i].name);
		cl_bind_text(s, 5, d->attendees[i].email);
		src = sqlite3_step(s);
		sqlite3_finalize(s);
		if (src != SQLITE_DONE)
			return cl_store_fail(st, src, err, "storing drill attendees");
	}
	free(d->created_at);
	free(d->updated_at);
	d->created_at = cl_strdup(now);
	d->updated_at = cl_strdup(now);
	return 0;
}

/* Sends through send (when given) and commits, or rolls back. */
static int
send_and_commit(struct cl_store *st, const struct cl_drill_sender *send,
                const struct cl_drill *d, const char *method, const char *cal,
                struct cl_error *err)
{
	int rc;

	if ((rc = send->send(send->arg, d, method, cal, err)) != 0) {
		cl_store_rollback(st);
		cl_error_prefix(err, "drill %lld not changed", d->id);
	} else if ((rc = cl_store_commit(st, err)) != 0) {
		cl_store_rollback(st);
		cl_error_prefix(err, "drill %lld: the mail went out but was not recorded", d->id);
	}
	return rc;
}

int
cl_drill_schedule(struct cl_drill *d, char **calendar, struct cl_store *st,
                  const struct cl_config *cfg, const struct cl_drill_sender *send,
                  struct cl_error *err)
{
	char *cal = NULL;
	int rc;

	if (calendar)
		*calendar = NULL;
	d->sequence = 0;
	if (send == NULL) {
		if ((rc = cl_drill_next_id_uid(d, st, err)) == 0)
			rc = cl_drill_calendar(&cal, d, cfg, 0, err);
		goto done;
	}
	if ((rc = cl_store_begin(st, err)) != 0)
		return rc;
	if ((rc = cl_drill_next_id_uid(d, st, err)) != 0 || (rc = drill_insert(d, st, err)) != 0 ||
	    (rc = cl_drill_calendar(&cal, d, cfg, 0, err)) != 0) {
		cl_store_rollback(st);
		goto done;
	}
	rc = send_and_commit(st, send, d, "REQUEST", cal, err);
done:
	if (rc != 0) {
		if (send)
			d->id = 0;
		free(cal);
		return rc;
	}
	if (calendar)
		*calendar = cal;
	else
		free(cal);
	return 0;
}

/* Common part of reschedule and cancel: load, check scheduled, apply the
 * change to the copy, build the calendar, then (with send) write and send. */
static int
drill_update(struct cl_drill **out, char **calendar, struct cl_store *st,
             const struct cl_config *cfg, long long id, int cancel, const char *at,
             int duration, const char *tz, const struct cl_drill_sender *send,
             struct cl_error *err)
{
	struct cl_drill *d = NULL;
	char *cal = NULL, start[21], now[21], ids[24], seqs[16], durs[16], oldseq[16];
	int rc;

	if (out)
		*out = NULL;
	if (calendar)
		*calendar = NULL;
	if ((rc = cl_drill_get(&d, st, id, err)) != 0)
		return rc;
	if (strcmp(d->state, "scheduled") != 0) {
		rc = cl_error_set(err, CL_EUSAGE, "drill %lld is %s, not scheduled", id, d->state);
		goto done;
	}
	snprintf(oldseq, sizeof oldseq, "%d", d->sequence);
	if (!cancel) {
		if (tz && *tz) {
			if (!cl_tz_valid(tz)) {
				rc = cl_error_set(err, CL_EUSAGE, "unknown time zone '%s'", tz);
				goto done;
			}
			free(d->timezone);
			if ((d->timezone = cl_strdup(tz)) == NULL) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				goto done;
			}
		}
		if ((rc = cl_drill_parse_at(at, d->timezone, &d->start, err)) != 0)
			goto done;
		if (duration > 0 && (rc = cl_drill_duration(&d->duration, cfg, duration, err)) != 0)
			goto done;
	}
	d->sequence++;
	if ((rc = cl_drill_calendar(&cal, d, cfg, cancel, err)) != 0 || send == NULL)
		goto done;

	cl_time_format_utc(cl_now(), now);
	cl_time_format_utc(d->start, start);
	snprintf(ids, sizeof ids, "%lld", d->id);
	snprintf(seqs, sizeof seqs, "%d", d->sequence);
	snprintf(durs, sizeof durs, "%d", d->duration);
	if ((rc = cl_store_begin(st, err)) != 0)
		goto done;
	{
		const char *args[] = { start, d->timezone, durs, seqs, now, ids, oldseq,
		                       cancel ? "cancelled" : "scheduled" };
		rc = exec_args(st, 1, err, "UPDATE drills SET start_utc = ?1, timezone = ?2, "
		               "duration = ?3, sequence = ?4, updated_at = ?5, sent_at = ?5, "
		               "state = ?8 WHERE id = ?6 AND sequence = ?7 AND state = 'scheduled'",
		               8, args);
	}
	if (rc == CL_ENOTFOUND)
		rc = cl_error_set(err, CL_ETEMPFAIL, "drill %lld changed meanwhile; try again", id);
	if (rc != 0) {
		cl_store_rollback(st);
		goto done;
	}
	if ((rc = send_and_commit(st, send, d, cancel ? "CANCEL" : "REQUEST", cal, err)) != 0)
		goto done;
	if (cancel) {
		free(d->state);
		d->state = cl_strdup("cancelled");
	}
done:
	if (rc == 0 && calendar)
		*calendar = cal;
	else
		free(cal);
	if (rc == 0 && out)
		*out = d;
	else
		cl_drill_free(d);
	return rc;
}

int
cl_drill_reschedule(struct cl_drill **out, char **calendar, struct cl_store *st,
                    const struct cl_config *cfg, long long id, const char *at, int duration,
                    const char *tz, const struct cl_drill_sender *send, struct cl_error *err)
{
	return drill_update(out, calendar, st, cfg, id, 0, at, duration, tz, send, err);
}

int
cl_drill_cancel(struct cl_drill **out, char **calendar, struct cl_store *st,
                const struct cl_config *cfg, long long id, const struct cl_drill_sender *send,
                struct cl_error *err)
{
	return drill_update(out, calendar, st, cfg, id, 1, NULL, 0, NULL, send, err);
}

int
cl_drill_done(struct cl_store *st, long long id, int pass, int rto, const char *notes,
              struct cl_error *err)
{
	struct cl_drill *d = NULL;
	char now[21], ids[24], pms[24], rtos[16], day[11];
	int rc;

	if ((rc = cl_drill_get(&d, st, id, err)) != 0)
		return rc;
	if (strcmp(d->state, "scheduled") != 0) {
		rc = cl_error_set(err, CL_EUSAGE, "drill %lld is %s, not scheduled", id, d->state);
		goto done;
	}
	cl_time_format_utc(cl_now(), now);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(pms, sizeof pms, "%lld", d->pm_rowid);
	snprintf(rtos, sizeof rtos, "%d", rto);
	cl_date_format(cl_day_of(d->start, d->timezone), day);
	if ((rc = cl_store_begin(st, err)) != 0)
		goto done;
	{
		const char *args[] = { pass ? "done-pass" : "done-fail", rto >= 0 ? rtos : NULL,
		                       notes, now, ids };
		rc = exec_args(st, 1, err, "UPDATE drills SET state = ?1, rto = ?2, notes = ?3, "
		               "done_at = ?4, updated_at = ?4 WHERE id = ?5 AND state = 'scheduled'",
		               5, args);
	}
	if (rc == 0) {
		const char *args[] = { pass ? now : NULL, pms, day, rto >= 0 ? rtos : NULL };
		if (!pass)
			rc = exec_args(st, -1, err, "UPDATE postmortems SET verified_at = NULL "
			               "WHERE id = ?2", 2, args);
		else if (strcmp(d->pm_kind, "runbook") == 0)
			rc = exec_args(st, -1, err, "UPDATE postmortems SET verified_at = ?1, "
			               "rb_last_tested = ?3, rb_actual_rto = COALESCE(?4, rb_actual_rto) "
			               "WHERE id = ?2", 4, args);
		else
			rc = exec_args(st, -1, err, "UPDATE postmortems SET verified_at = ?1 "
			               "WHERE id = ?2", 2, args);
	}
	if (rc == CL_ENOTFOUND)
		rc = cl_error_set(err, CL_ETEMPFAIL, "drill %lld changed meanwhile; try again", id);
	if (rc != 0) {
		cl_store_rollback(st);
		goto done;
	}
	rc = cl_store_commit(st, err);
done:
	cl_drill_free(d);
	return rc;
}

/* ISO 8601 local time with the zone's offset: 2024-04-02T14:00:00+02:00. */
static void
local_iso(time_t t, const char *tz, char out[26])
{
	struct tm tm;
	long off;
	int y, mo, d;

	if (cl_localtime(t, tz, &tm) != 0)
		cl_localtime(t, "UTC", &tm);
	y = tm.tm_year + 1900;
	mo = tm.tm_mon + 1;
	d = tm.tm_mday;
	off = ((long)cl_days_from_civil(y, mo, d) * 86400L + tm.tm_hour * 3600L +
	       tm.tm_min * 60L + tm.tm_sec - (long)t) / 60;
	snprintf(out, 26, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u", (unsigned)y % 10000u,
	         (unsigned)mo % 100u, (unsigned)d % 100u, (unsigned)tm.tm_hour % 100u,
	         (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, off < 0 ? '-' : '+',
	         (unsigned)(labs(off) / 60) % 100u, (unsigned)(labs(off) % 60));
}

/* ---- JSON -------------------------------------------------------------- */

void *
cl_drill_to_json(const struct cl_drill *d)
{
	json_t *o = json_object(), *att = json_array(), *refused = json_array();
	json_t *deferred = json_array();
	char start[26], end[26];
	size_t i;

	if (o == NULL || att == NULL || refused == NULL || deferred == NULL) {
		json_decref(o);
		json_decref(att);
		json_decref(refused);
		json_decref(deferred);
		return NULL;
	}
	local_iso(d->start, d->timezone, start);
	local_iso(d->start + (time_t)d->duration * 60, d->timezone, end);
	for (i = 0; i < d->nattendees; i++) {
		json_t *a = json_object();
		json_object_set_new(a, "handle", cl_json_str(d->attendees[i].handle));
		json_object_set_new(a, "name", cl_json_str(d->attendees[i].name));
		json_object_set_new(a, "email", json_string(d->attendees[i].email));
		json_array_append_new(att, a);
		if (d->attendees[i].refused)
			json_array_append_new(refused, json_string(d->attendees[i].email));
		if (d->attendees[i].deferred)
			json_array_append_new(deferred, json_string(d->attendees[i].email));
	}
	json_object_set_new(o, "id", json_integer(d->id));
	json_object_set_new(o, "postmortem", cl_json_str(d->pm_slug));
	json_object_set_new(o, "kind", cl_json_str(d->pm_kind));
	json_object_set_new(o, "title", cl_json_str(d->title));
	json_object_set_new(o, "start", json_string(start));
	json_object_set_new(o, "end", json_string(end));
	json_object_set_new(o, "timezone", cl_json_str(d->timezone));
	json_object_set_new(o, "duration", json_integer(d->duration));
	json_object_set_new(o, "every", cl_json_str(d->rrule));
	json_object_set_new(o, "sequence", json_integer(d->sequence));
	json_object_set_new(o, "state", cl_json_str(d->state));
	json_object_set_new(o, "origin", cl_json_str(d->origin));
	json_object_set_new(o, "uid", cl_json_str(d->uid));
	json_object_set_new(o, "organizer", cl_json_str(d->organizer));
	json_object_set_new(o, "rto", d->rto >= 0 ? json_integer(d->rto) : json_null());
	json_object_set_new(o, "notes", cl_json_str(d->notes));
	json_object_set_new(o, "done_at", cl_json_str(d->done_at));
	json_object_set_new(o, "attendees", att);
	json_object_set_new(o, "refused", refused);
	json_object_set_new(o, "deferred", deferred);
	return o;
}
