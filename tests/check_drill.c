/* check_drill.c — drills in the store: schedule, reschedule, cancel, done,
 * failures for the report, proposals (working-hours slots), with a fake
 * sender; every calendar is parsed back with libical. */
#include <jansson.h>
#include <libical/ical.h>

#include "testutil.h"

static char *dir;
static struct cl_store *st;
static struct cl_config *cfg;

/* The fake sender: records what it was asked to send; can refuse. */
struct fake {
	int calls, fail;
	char method[16];
	int sequence;
	char *last;
};
static struct fake fake;

static int
fake_send(void *arg, const struct cl_drill *d, const char *method, const char *cal,
          struct cl_error *err)
{
	struct fake *f = arg;
	icalcomponent *c;

	f->calls++;
	if (f->fail)
		return cl_error_set(err, CL_ETEMPFAIL, "fake server down");
	snprintf(f->method, sizeof f->method, "%s", method);
	c = icalparser_parse_string(cal);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(icalcomponent_count_errors(c), 0);
	f->sequence = icalcomponent_get_sequence(icalcomponent_get_first_component(c,
	                                         ICAL_VEVENT_COMPONENT));
	ck_assert_int_eq(f->sequence, d->sequence);
	icalcomponent_free(c);
	free(f->last);
	f->last = strdup(cal);
	return 0;
}

static const struct cl_drill_sender sender = { fake_send, &fake };

static void
exec_sql(const char *sql)
{
	char *msg = NULL;
	ck_assert_msg(sqlite3_exec(cl_store_db(st), sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s",
	              sql, msg ? msg : "");
}

static long long
count(const char *sql)
{
	sqlite3_stmt *s;
	long long n;
	ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void
setup(void)
{
	setenv("CLOSELOOP_NOW", "2024-03-20T09:00:00Z", 1);	/* a Wednesday */
	dir = tu_tmpdir();
	st = tu_store(dir);
	cfg = cl_config_new();
	cl_config_set(cfg, "people", "mira", "Mira Kovac <mira@example.com>");
	cl_config_set(cfg, "people", "tomas", "Tomas Ruiz <tomas@example.com>");
	cl_config_set(cfg, "people", "nomail", "No Address");
	cl_config_set(cfg, "drill", "organizer", "SRE Team <sre@example.com>");
	cl_config_set(cfg, "drill", "timezone", "Europe/Berlin");
	cl_config_set(cfg, "drill", "after_close_days", "14");
	memset(&fake, 0, sizeof fake);
	/* a post-mortem with three items (owners mira, tomas, nomail), a runbook */
	exec_sql("INSERT INTO postmortems (id, slug, source, kind, title, incident_date, authors, "
	         "first_seen, last_seen) VALUES (1, 'pool', 'pool.md', 'postmortem', "
	         "'Pool exhaustion', '2024-03-04', 'tomas, nomail', '2024-03-05T00:00:00Z', "
	         "'2024-03-05T00:00:00Z')");
	exec_sql("INSERT INTO items (key, postmortem_id, seq, position, norm, action, owner, "
	         "status, created_at, updated_at) VALUES "
	         "('pool.1', 1, 1, 1, 'a', 'Alert on pool usage', 'mira', 'open', 'x', 'x'),"
	         "('pool.2', 1, 2, 2, 'b', 'Size the pool', 'tomas', 'open', 'x', 'x'),"
	         "('pool.3', 1, 3, 3, 'c', 'Game day', 'nomail', 'open', 'x', 'x')");
	exec_sql("INSERT INTO postmortems (id, slug, source, kind, title, rb_owner, "
	         "rb_last_tested, rb_rto_target, first_seen, last_seen) VALUES (2, 'broker', "
	         "'runbooks/broker.md', 'runbook', 'Broker partition runbook', '@mira', "
	         "'2024-01-02', '45 minutes', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')");
}

static void
teardown(void)
{
	cl_store_close(st);
	cl_config_free(cfg);
	tu_rmtree(dir);
	free(dir);
	free(fake.last);
}

/* Schedules pool at the given time with the fake sender; returns the id. */
static long long
schedule(const char *at, const struct cl_drill_sender *s)
{
	struct cl_error err = { 0 };
	struct cl_drill_request req = { 0 };
	struct cl_drill *d = NULL;
	long long id;

	req.postmortem = "pool";
	req.at = at;
	ck_assert_msg(cl_drill_prepare(&d, st, cfg, &req, &err) == 0, "%s", err.msg);
	ck_assert_msg(cl_drill_schedule(d, NULL, st, cfg, s, &err) == 0, "%s", err.msg);
	id = d->id;
	cl_drill_free(d);
	return id;
}

START_TEST(test_schedule_defaults)
{
	struct cl_error err = { 0 };
	struct cl_drill_request req = { 0 };
	struct cl_drill *d = NULL;
	char *cal = NULL, start[17];

	req.postmortem = "pool.md";	/* by source */
	req.at = "2024-04-02 14:00";
	ck_assert_msg(cl_drill_prepare(&d, st, cfg, &req, &err) == 0, "%s", err.msg);
	/* owners in item order, then authors; nobody without an address */
	ck_assert_uint_eq(d->nattendees, 2);
	ck_assert_str_eq(d->attendees[0].email, "mira@example.com");
	ck_assert_str_eq(d->attendees[1].email, "tomas@example.com");
	ck_assert_str_eq(d->timezone, "Europe/Berlin");
	ck_assert_int_eq(d->duration, 60);
	ck_assert_int_eq(d->start, 1712059200);	/* 12:00Z */
	cl_drill_local_start(d, start);
	ck_assert_str_eq(start, "2024-04-02 14:00");

	/* dry run: a calendar, nothing stored */
	ck_assert_int_eq(cl_drill_schedule(d, &cal, st, cfg, NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(cal, "METHOD:REQUEST"));
	ck_assert_ptr_nonnull(strstr(cal, "DTSTART;TZID=Europe/Berlin:20240402T140000"));
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drills"), 0);
	free(cal);
	cal = NULL;

	/* sent: stored with sequence 0, same UID as predicted */
	ck_assert_int_eq(cl_drill_schedule(d, &cal, st, cfg, &sender, &err), 0);
	ck_assert_int_eq(d->id, 1);
	ck_assert_int_eq(fake.calls, 1);
	ck_assert_str_eq(fake.method, "REQUEST");
	ck_assert_int_eq(fake.sequence, 0);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drills WHERE state = 'scheduled' AND "
	                       "sequence = 0 AND sent_at IS NOT NULL"), 1);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drill_attendees WHERE drill_id = 1"), 2);
	free(cal);
	cl_drill_free(d);

	/* explicit attendees replace the defaults; unknown ones are refused */
	{
		const char *who[] = { "@tomas", "Ext Person <ext@example.net>" };
		const char *bad[] = { "nobody-here" };
		const char *noaddr[] = { "nomail" };
		req.attendees = who;
		req.nattendees = 2;
		ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), 0);
		ck_assert_uint_eq(d->nattendees, 2);
		ck_assert_str_eq(d->attendees[0].handle, "tomas");
		ck_assert_str_eq(d->attendees[1].email, "ext@example.net");
		ck_assert_str_eq(d->attendees[1].name, "Ext Person");
		cl_drill_free(d);
		req.attendees = bad;
		req.nattendees = 1;
		ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), CL_EUSAGE);
		cl_error_clear(&err);
		req.attendees = noaddr;
		ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), CL_EUSAGE);
		cl_error_clear(&err);
	}
	req.attendees = NULL;
	req.nattendees = 0;
	req.postmortem = "nope";
	ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), CL_ENOTFOUND);
	cl_error_clear(&err);
	req.postmortem = "pool";
	req.at = "2024-02-30 10:00";
	ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), CL_EUSAGE);
	cl_error_clear(&err);
	req.at = "2024-04-02 14:00";
	req.tz = "Nowhere/Town";
	ck_assert_int_eq(cl_drill_prepare(&d, st, cfg, &req, &err), CL_EUSAGE);
}
END_TEST

START_TEST(test_update_sequence_and_cancel)
{
	struct cl_error err = { 0 };
	struct cl_drill *d = NULL, *g = NULL;
	char *cal = NULL;
	long long id = schedule("2024-04-02 14:00", &sender);

	/* dry run of a reschedule: calendar with SEQUENCE 1, nothing changes */
	ck_assert_int_eq(cl_drill_reschedule(&d, &cal, st, cfg, id, "2024-04-03 10:30", 0, NULL,
	                                     NULL, &err), 0);
	ck_assert_ptr_nonnull(strstr(cal, "SEQUENCE:1\r\n"));
	ck_assert_int_eq(count("SELECT sequence FROM drills WHERE id = 1"), 0);
	free(cal);
	cl_drill_free(d);

	/* a failing send changes nothing */
	fake.fail = 1;
	ck_assert_int_eq(cl_drill_reschedule(&d, NULL, st, cfg, id, "2024-04-03 10:30", 0, NULL,
	                                     &sender, &err), CL_ETEMPFAIL);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(count("SELECT sequence FROM drills WHERE id = 1"), 0);
	ck_assert_int_eq(count("SELECT start_utc = '2024-04-02T12:00:00Z' FROM drills"), 1);
	cl_error_clear(&err);
	fake.fail = 0;

	/* sent: same UID, sequence 1, new start, new zone */
	ck_assert_int_eq(cl_drill_reschedule(&d, NULL, st, cfg, id, "2024-04-03 10:30", 90,
	                                     "America/New_York", &sender, &err), 0);
	ck_assert_int_eq(fake.sequence, 1);
	ck_assert_ptr_nonnull(strstr(fake.last, "DTSTART;TZID=America/New_York:20240403T103000"));
	ck_assert_ptr_nonnull(strstr(fake.last, "UID:closeloop-drill-1-"));
	cl_drill_free(d);
	ck_assert_int_eq(cl_drill_get(&g, st, id, &err), 0);
	ck_assert_int_eq(g->sequence, 1);
	ck_assert_int_eq(g->duration, 90);
	ck_assert_str_eq(g->timezone, "America/New_York");
	ck_assert_int_eq(g->start, 1712154600);	/* 14:30Z (EDT) */
	cl_drill_free(g);

	/* cancel: METHOD:CANCEL, sequence 2, state cancelled; then no more changes */
	ck_assert_int_eq(cl_drill_cancel(&d, NULL, st, cfg, id, &sender, &err), 0);
	ck_assert_str_eq(fake.method, "CANCEL");
	ck_assert_int_eq(fake.sequence, 2);
	ck_assert_ptr_nonnull(strstr(fake.last, "STATUS:CANCELLED"));
	cl_drill_free(d);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drills WHERE state = 'cancelled' AND "
	                       "sequence = 2"), 1);
	ck_assert_int_eq(cl_drill_cancel(&d, NULL, st, cfg, id, &sender, &err), CL_EUSAGE);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_drill_done(st, id, 1, 30, NULL, &err), CL_EUSAGE);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_drill_cancel(&d, NULL, st, cfg, 99, &sender, &err), CL_ENOTFOUND);
}
END_TEST

START_TEST(test_done_pass_fail)
{
	struct cl_error err = { 0 };
	struct cl_drill *v = NULL;
	size_t n = 0;
	long long a = schedule("2024-04-02 14:00", &sender);
	long long b;

	/* fail: post-mortem stays unverified, shows up for the report once */
	ck_assert_int_eq(cl_drill_done(st, a, 0, 75, "replica lag", &err), 0);
	ck_assert_int_eq(count("SELECT verified_at IS NULL FROM postmortems WHERE id = 1"), 1);
	ck_assert_int_eq(cl_drill_failures(&v, &n, st, 1, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].id, a);
	ck_assert_int_eq(v[0].rto, 75);
	ck_assert_str_eq(v[0].notes, "replica lag");
	ck_assert_str_eq(v[0].state, "done-fail");
	cl_drills_free(v, n);
	ck_assert_int_eq(cl_drill_mark_reported(st, a, &err), 0);
	ck_assert_int_eq(cl_drill_failures(&v, &n, st, 1, &err), 0);
	ck_assert_uint_eq(n, 0);
	cl_drills_free(v, n);
	ck_assert_int_eq(cl_drill_failures(&v, &n, st, 0, &err), 0);
	ck_assert_uint_eq(n, 1);
	cl_drills_free(v, n);

	/* pass: verified */
	b = schedule("2024-04-16 14:00", &sender);
	ck_assert_int_eq(cl_drill_done(st, b, 1, -1, NULL, &err), 0);
	ck_assert_int_eq(count("SELECT verified_at = '2024-03-20T09:00:00Z' FROM postmortems "
	                       "WHERE id = 1"), 1);
	ck_assert_int_eq(cl_drill_done(st, b, 1, -1, NULL, &err), CL_EUSAGE);
}
END_TEST

START_TEST(test_json)
{
	struct cl_error err = { 0 };
	struct cl_drill *d = NULL;
	json_t *j;
	const char *keys[] = { "id", "postmortem", "title", "start", "timezone", "duration",
	                       "sequence", "state", "attendees" };
	size_t i;

	schedule("2024-04-02 14:00", &sender);
	ck_assert_int_eq(cl_drill_get(&d, st, 1, &err), 0);
	j = cl_drill_to_json(d);
	for (i = 0; i < sizeof keys / sizeof *keys; i++)
		ck_assert_msg(json_object_get(j, keys[i]) != NULL, "missing %s", keys[i]);
	ck_assert_str_eq(json_string_value(json_object_get(j, "start")), "2024-04-02T14:00:00+02:00");
	ck_assert_str_eq(json_string_value(json_object_get(j, "postmortem")), "pool");
	ck_assert_int_eq(json_array_size(json_object_get(j, "attendees")), 2);
	json_decref(j);
	cl_drill_free(d);
}
END_TEST

/* Closes every item of pool at time t (RFC 3339). */
static void
close_all(const char *t)
{
	char sql[256];
	snprintf(sql, sizeof sql, "UPDATE items SET status = 'done', closed_at = '%s'", t);
	exec_sql(sql);
}

START_TEST(test_propose_postmortem)
{
	struct cl_error err = { 0 };
	struct cl_drill *v = NULL;
	size_t n = 0;
	char start[17];

	/* items open, runbook recent: nothing due */
	exec_sql("UPDATE postmortems SET rb_last_tested = '2024-03-01' WHERE id = 2");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);

	/* last closed Friday 2024-03-22 (Berlin): +14 days = Friday 2024-04-05, 09:00 */
	close_all("2024-03-22T16:00:00Z");
	setenv("CLOSELOOP_NOW", "2024-03-25T08:00:00Z", 1);
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].id, 0);
	cl_drill_local_start(&v[0], start);
	ck_assert_str_eq(start, "2024-04-05 09:00");
	ck_assert_ptr_nonnull(strstr(v[0].reason, "2024-03-22"));
	cl_drills_free(v, n);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drills"), 0);	/* dry run */

	/* a drill in the way at 09:00 pushes it to 10:00 (60-minute drills) */
	cl_config_set(cfg, "drill", "after_close_days", "15");	/* Saturday → Monday 04-08 */
	exec_sql("INSERT INTO postmortems (id, slug, source, first_seen, last_seen) VALUES "
	         "(3, 'other', 'other.md', 'x', 'x')");
	exec_sql("INSERT INTO drills (uid, postmortem_id, title, start_utc, timezone, duration, "
	         "organizer, created_at, updated_at) VALUES ('u-x', 3, 't', '2024-04-08T07:00:00Z', "
	         "'Europe/Berlin', 60, 'sre@example.com', 'x', 'x')");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, &sender, &err), 0);
	ck_assert_uint_eq(n, 1);
	cl_drill_local_start(&v[0], start);
	ck_assert_str_eq(start, "2024-04-08 10:00");
	ck_assert_int_gt(v[0].id, 0);
	ck_assert_str_eq(v[0].origin, "proposal");
	ck_assert_int_eq(fake.calls, 1);
	cl_drills_free(v, n);

	/* scheduled now: not proposed again, nor after cancelling it */
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, &sender, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	exec_sql("UPDATE drills SET state = 'cancelled' WHERE postmortem_id = 1");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, &sender, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	/* an item reopened and closed again later: due again */
	close_all("2024-03-27T10:00:00Z");
	setenv("CLOSELOOP_NOW", "2024-03-28T08:00:00Z", 1);
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 1);
	cl_drills_free(v, n);
	/* verified: never proposed */
	exec_sql("UPDATE postmortems SET verified_at = 'x' WHERE id = 1");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

START_TEST(test_propose_runbook_and_late)
{
	struct cl_error err = { 0 };
	struct cl_drill *v = NULL;
	size_t n = 0;
	char start[17];

	/* runbook last tested 2024-01-02: 78 days on 03-20, 91 on 04-02 (Tuesday) */
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
	setenv("CLOSELOOP_NOW", "2024-04-02T15:30:00Z", 1);
	cl_config_set(cfg, "drill", "after_close_days", "0");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0].pm_slug, "broker");
	ck_assert_str_eq(v[0].attendees[0].email, "mira@example.com");	/* its owner */
	/* 17:30 Berlin is after hours: next morning */
	cl_drill_local_start(&v[0], start);
	ck_assert_str_eq(start, "2024-04-03 09:00");
	ck_assert_ptr_nonnull(strstr(v[0].reason, "91 days"));
	cl_drills_free(v, n);

	/* a failing sender: reported, nothing stored, still due next time */
	fake.fail = 1;
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, &sender, &err), CL_ETEMPFAIL);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(v[0].id, 0);
	ck_assert_ptr_nonnull(strstr(v[0].reason, "fake server down"));
	cl_drills_free(v, n);
	ck_assert_int_eq(count("SELECT COUNT(*) FROM drills"), 0);
	cl_error_clear(&err);
	fake.fail = 0;

	/* a passed runbook drill counts as its last test */
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, &sender, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cl_drill_done(st, v[0].id, 1, 40, NULL, &err), 0);
	cl_drills_free(v, n);
	ck_assert_int_eq(count("SELECT rb_last_tested = '2024-04-03' AND rb_actual_rto = 40 "
	                       "FROM postmortems WHERE id = 2"), 1);
	exec_sql("UPDATE postmortems SET rb_last_tested = '2023-01-01' WHERE id = 2");	/* reimport */
	setenv("CLOSELOOP_NOW", "2024-05-02T08:00:00Z", 1);
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(v);
}
END_TEST

/* The week-end and end-of-day rules with a long drill. */
START_TEST(test_slots)
{
	struct cl_error err = { 0 };
	struct cl_drill *v = NULL;
	size_t n = 0;
	char start[17];

	cl_config_set(cfg, "drill", "duration_minutes", "240");
	cl_config_set(cfg, "drill", "work_start_hour", "8");
	cl_config_set(cfg, "drill", "work_end_hour", "16");
	cl_config_set(cfg, "drill", "after_close_days", "0");
	exec_sql("UPDATE postmortems SET rb_last_tested = '2024-03-01' WHERE id = 2");
	close_all("2024-03-22T10:00:00Z");
	/* now: Friday 13:00 Berlin; 13:00 + 4h > 16:00 → Monday 08:00 */
	setenv("CLOSELOOP_NOW", "2024-03-22T12:00:00Z", 1);
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), 0);
	ck_assert_uint_eq(n, 1);
	cl_drill_local_start(&v[0], start);
	ck_assert_str_eq(start, "2024-03-25 08:00");
	ck_assert_int_eq(v[0].duration, 240);
	cl_drills_free(v, n);
	/* work hours that cannot hold the drill are a config error */
	cl_config_set(cfg, "drill", "work_end_hour", "10");
	ck_assert_int_eq(cl_drill_propose(&v, &n, st, cfg, NULL, &err), CL_ECONFIG);
}
END_TEST

static Suite *
drill_suite(void)
{
	Suite *s = suite_create("drill");
	TCase *tc = tcase_create("drill");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_schedule_defaults);
	tcase_add_test(tc, test_update_sequence_and_cancel);
	tcase_add_test(tc, test_done_pass_fail);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_propose_postmortem);
	tcase_add_test(tc, test_propose_runbook_and_late);
	tcase_add_test(tc, test_slots);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(drill_suite());
}
