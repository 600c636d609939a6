/* check_invite.c — iCalendar invites: built with libical, parsed back with
 * libical (no X-LIC-ERROR), iTIP properties, zones, escaping, RRULE. */
#include <libical/ical.h>

#include "testutil.h"

static const struct cl_invite_person people[] = {
	{ "Alice Doe", "alice@example.com" },
	{ "Doe, Bob: \"the DBA\"", "bob@example.org" },
	{ NULL, "carol@example.net" },
};

/* 2024-04-02 14:00 Europe/Berlin (CEST, UTC+2) */
static time_t
berlin_1400(void)
{
	struct tm tm = { 0 };
	time_t t;

	tm.tm_year = 124;
	tm.tm_mon = 3;
	tm.tm_mday = 2;
	tm.tm_hour = 14;
	ck_assert_int_eq(cl_mktime(&tm, "Europe/Berlin", &t), 0);
	return t;
}

static void
base_invite(struct cl_invite *inv)
{
	memset(inv, 0, sizeof *inv);
	inv->uid = "drill-7-abc@closeloop";
	inv->dtstamp = 1710925200;	/* 2024-03-20T09:00:00Z */
	inv->start = berlin_1400();
	inv->duration_min = 90;
	inv->tz = "Europe/Berlin";
	inv->sequence = 0;
	inv->summary = "DR drill: db-failover";
	inv->description = "Re-run the failover.\nRunbook: runbooks/db.md";
	inv->organizer.name = "SRE Team";
	inv->organizer.email = "sre@example.com";
	inv->attendees = people;
	inv->nattendees = 3;
}

/* Builds, checks with cl_invite_check and parses with libical. */
static icalcomponent *
build_parse(const struct cl_invite *inv, char **text_out)
{
	struct cl_error err = { 0 };
	icalcomponent *cal;
	char *text = NULL;

	ck_assert_msg(cl_invite_build(&text, inv, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(cl_invite_check(text, &err) == 0, "%s", err.msg);
	cal = icalparser_parse_string(text);
	ck_assert_ptr_nonnull(cal);
	ck_assert_int_eq(icalcomponent_count_errors(cal), 0);
	if (text_out)
		*text_out = text;
	else
		free(text);
	return cal;
}

static const char *
param_of(icalproperty *p, icalparameter_kind kind)
{
	icalparameter *par = icalproperty_get_first_parameter(p, kind);
	return par ? icalparameter_as_ical_string(par) : NULL;
}

START_TEST(test_request_itip)
{
	struct cl_invite inv;
	icalcomponent *cal, *ev, *vtz, *alarm;
	icalproperty *p;
	struct icaltimetype dt;
	struct icaltriggertype trig;
	char *text;
	int n;

	base_invite(&inv);
	cal = build_parse(&inv, &text);
	/* CRLF everywhere, lines folded at 75 octets */
	ck_assert_ptr_nonnull(strstr(text, "BEGIN:VCALENDAR\r\n"));
	for (char *line = text, *nl; (nl = strstr(line, "\r\n")) != NULL; line = nl + 2)
		ck_assert_int_le(nl - line, 75);
	ck_assert_ptr_null(strstr(text, "freeassociation"));

	ck_assert_int_eq(icalcomponent_get_method(cal), ICAL_METHOD_REQUEST);
	p = icalcomponent_get_first_property(cal, ICAL_PRODID_PROPERTY);
	ck_assert_str_eq(icalproperty_get_prodid(p), CL_INVITE_PRODID);
	p = icalcomponent_get_first_property(cal, ICAL_VERSION_PROPERTY);
	ck_assert_str_eq(icalproperty_get_version(p), "2.0");

	ck_assert_int_eq(icalcomponent_count_components(cal, ICAL_VEVENT_COMPONENT), 1);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	ck_assert_str_eq(icalcomponent_get_uid(ev), "drill-7-abc@closeloop");
	ck_assert_int_eq(icalcomponent_get_sequence(ev), 0);
	ck_assert_int_eq(icalcomponent_get_status(ev), ICAL_STATUS_CONFIRMED);
	ck_assert_str_eq(icalcomponent_get_summary(ev), "DR drill: db-failover");
	ck_assert_str_eq(icalcomponent_get_description(ev),
	                 "Re-run the failover.\nRunbook: runbooks/db.md");
	dt = icalproperty_get_dtstamp(icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY));
	ck_assert(icaltime_is_utc(dt));
	ck_assert_int_eq(dt.hour, 9);

	/* DTSTART/DTEND: local wall clock with TZID=Europe/Berlin */
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	ck_assert_str_eq(param_of(p, ICAL_TZID_PARAMETER), "TZID=Europe/Berlin");
	dt = icalproperty_get_dtstart(p);
	ck_assert_int_eq(dt.year, 2024);
	ck_assert_int_eq(dt.month, 4);
	ck_assert_int_eq(dt.day, 2);
	ck_assert_int_eq(dt.hour, 14);
	ck_assert_int_eq(dt.minute, 0);
	p = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
	ck_assert_str_eq(param_of(p, ICAL_TZID_PARAMETER), "TZID=Europe/Berlin");
	dt = icalproperty_get_dtend(p);
	ck_assert_int_eq(dt.hour, 15);
	ck_assert_int_eq(dt.minute, 30);

	/* the matching VTIMEZONE, plain TZID */
	ck_assert_int_eq(icalcomponent_count_components(cal, ICAL_VTIMEZONE_COMPONENT), 1);
	vtz = icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT);
	p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
	ck_assert_str_eq(icalproperty_get_tzid(p), "Europe/Berlin");
	ck_assert_int_ge(icalcomponent_count_components(vtz, ICAL_ANY_COMPONENT), 1);
	ck_assert_int_le(icalcomponent_count_components(vtz, ICAL_ANY_COMPONENT), 4);
	/* libical resolves the event's time with that VTIMEZONE to 12:00 UTC */
	{
		icaltimezone *z = icaltimezone_new();
		struct icaltimetype utc;
		ck_assert(icaltimezone_set_component(z, icalcomponent_new_clone(vtz)));
		dt = icalproperty_get_dtstart(icalcomponent_get_first_property(ev,
		                              ICAL_DTSTART_PROPERTY));
		utc = icaltime_convert_to_zone(icaltime_set_timezone(&dt, z),
		                               icaltimezone_get_utc_timezone());
		ck_assert_int_eq(utc.hour, 12);
		ck_assert_int_eq(icaltime_as_timet_with_zone(dt, z), inv.start);
		icaltimezone_free(z, 1);
	}

	/* organizer and one ATTENDEE per person with the iTIP parameters */
	p = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	ck_assert_str_eq(icalproperty_get_organizer(p), "mailto:sre@example.com");
	ck_assert_str_eq(icalparameter_get_cn(icalproperty_get_first_parameter(p,
	                 ICAL_CN_PARAMETER)), "SRE Team");
	n = 0;
	for (p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY), n++) {
		char want[64];
		icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
		snprintf(want, sizeof want, "mailto:%s", people[n].email);
		ck_assert_str_eq(icalproperty_get_attendee(p), want);
		ck_assert_int_eq(icalparameter_get_role(icalproperty_get_first_parameter(p,
		                 ICAL_ROLE_PARAMETER)), ICAL_ROLE_REQPARTICIPANT);
		ck_assert_int_eq(icalparameter_get_partstat(icalproperty_get_first_parameter(p,
		                 ICAL_PARTSTAT_PARAMETER)), ICAL_PARTSTAT_NEEDSACTION);
		ck_assert_int_eq(icalparameter_get_rsvp(icalproperty_get_first_parameter(p,
		                 ICAL_RSVP_PARAMETER)), ICAL_RSVP_TRUE);
		if (n == 0)
			ck_assert_str_eq(icalparameter_get_cn(cn), "Alice Doe");
		if (n == 1)	/* quoted by libical, DQUOTE replaced */
			ck_assert_str_eq(icalparameter_get_cn(cn), "Doe, Bob: 'the DBA'");
		if (n == 2)
			ck_assert_ptr_null(cn);
	}
	ck_assert_int_eq(n, 3);

	/* VALARM 15 minutes before */
	alarm = icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT);
	ck_assert_ptr_nonnull(alarm);
	ck_assert_int_eq(icalproperty_get_action(icalcomponent_get_first_property(alarm,
	                 ICAL_ACTION_PROPERTY)), ICAL_ACTION_DISPLAY);
	trig = icalproperty_get_trigger(icalcomponent_get_first_property(alarm,
	                                ICAL_TRIGGER_PROPERTY));
	ck_assert_int_eq(icaldurationtype_as_int(trig.duration), -15 * 60);
	ck_assert_ptr_null(icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY));

	icalcomponent_free(cal);
	free(text);
}
END_TEST

START_TEST(test_cancel_and_sequence)
{
	struct cl_invite inv;
	icalcomponent *cal, *ev;

	base_invite(&inv);
	inv.cancel = 1;
	inv.sequence = 3;
	cal = build_parse(&inv, NULL);
	ck_assert_int_eq(icalcomponent_get_method(cal), ICAL_METHOD_CANCEL);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	ck_assert_str_eq(icalcomponent_get_uid(ev), "drill-7-abc@closeloop");
	ck_assert_int_eq(icalcomponent_get_sequence(ev), 3);
	ck_assert_int_eq(icalcomponent_get_status(ev), ICAL_STATUS_CANCELLED);
	ck_assert_int_eq(icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY), 3);
	ck_assert_ptr_null(icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT));
	icalcomponent_free(cal);
}
END_TEST

START_TEST(test_escaping)
{
	struct cl_invite inv;
	icalcomponent *cal, *ev;
	char *text;

	base_invite(&inv);
	inv.summary = "drill; with, commas\\ and\r\nATTENDEE:mailto:evil@example.com";
	inv.description = "line one\nEND:VEVENT\nBEGIN:VTODO\nUID:x";
	cal = build_parse(&inv, &text);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	/* nothing injected: still three attendees, one event, no VTODO */
	ck_assert_int_eq(icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY), 3);
	ck_assert_int_eq(icalcomponent_count_components(cal, ICAL_VTODO_COMPONENT), 0);
	ck_assert_ptr_null(strstr(text, "\r\nATTENDEE:mailto:evil"));
	ck_assert_ptr_null(strstr(text, "\r\nEND:VEVENT\r\nBEGIN:VTODO"));
	ck_assert_ptr_nonnull(strstr(icalcomponent_get_summary(ev), "drill; with, commas\\ and"));
	ck_assert_str_eq(icalcomponent_get_description(ev),
	                 "line one\nEND:VEVENT\nBEGIN:VTODO\nUID:x");
	icalcomponent_free(cal);
	free(text);
}
END_TEST

START_TEST(test_utc_and_winter)
{
	struct cl_invite inv;
	icalcomponent *cal, *ev, *vtz;
	struct icaltimetype dt;
	struct tm tm = { 0 };
	icalproperty *p;

	/* UTC: no VTIMEZONE, times with Z */
	base_invite(&inv);
	inv.tz = "UTC";
	cal = build_parse(&inv, NULL);
	ck_assert_int_eq(icalcomponent_count_components(cal, ICAL_VTIMEZONE_COMPONENT), 0);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	dt = icalproperty_get_dtstart(icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY));
	ck_assert(icaltime_is_utc(dt));
	ck_assert_int_eq(dt.hour, 12);
	icalcomponent_free(cal);

	/* New York in January: EST, 09:30 local */
	tm.tm_year = 125;
	tm.tm_mon = 0;
	tm.tm_mday = 14;
	tm.tm_hour = 9;
	tm.tm_min = 30;
	base_invite(&inv);
	inv.tz = "America/New_York";
	ck_assert_int_eq(cl_mktime(&tm, inv.tz, &inv.start), 0);
	cal = build_parse(&inv, NULL);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
	ck_assert_str_eq(param_of(p, ICAL_TZID_PARAMETER), "TZID=America/New_York");
	dt = icalproperty_get_dtstart(p);
	ck_assert_int_eq(dt.hour, 9);
	ck_assert_int_eq(dt.minute, 30);
	vtz = icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT);
	ck_assert_str_eq(icalproperty_get_tzid(icalcomponent_get_first_property(vtz,
	                 ICAL_TZID_PROPERTY)), "America/New_York");
	ck_assert_int_eq(inv.start, 1736865000);	/* 14:30Z */
	icalcomponent_free(cal);
}
END_TEST

START_TEST(test_rrule)
{
	struct cl_error err = { 0 };
	struct cl_invite inv;
	icalcomponent *cal, *ev;
	struct icalrecurrencetype r;
	char *rule = NULL;

	ck_assert_int_eq(cl_invite_rrule(&rule, "quarter", &err), 0);
	ck_assert_str_eq(rule, "FREQ=MONTHLY;INTERVAL=3");
	free(rule);
	ck_assert_int_eq(cl_invite_rrule(&rule, "month", &err), 0);
	ck_assert_str_eq(rule, "FREQ=MONTHLY");
	free(rule);
	ck_assert_int_eq(cl_invite_rrule(&rule, "2 weeks", &err), 0);
	ck_assert_str_eq(rule, "FREQ=WEEKLY;INTERVAL=2");
	free(rule);
	ck_assert_int_eq(cl_invite_rrule(&rule, "6 Months", &err), 0);
	ck_assert_str_eq(rule, "FREQ=MONTHLY;INTERVAL=6");
	free(rule);
	ck_assert_int_eq(cl_invite_rrule(&rule, "fortnight", &err), CL_EUSAGE);
	ck_assert_ptr_null(rule);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_invite_rrule(&rule, "0 weeks", &err), CL_EUSAGE);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_invite_rrule(&rule, "3 weeks later", &err), CL_EUSAGE);
	cl_error_clear(&err);

	base_invite(&inv);
	inv.rrule = "FREQ=MONTHLY;INTERVAL=3";
	cal = build_parse(&inv, NULL);
	ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	r = icalproperty_get_rrule(icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY));
	ck_assert_int_eq(r.freq, ICAL_MONTHLY_RECURRENCE);
	ck_assert_int_eq(r.interval, 3);
	icalcomponent_free(cal);

	base_invite(&inv);
	inv.rrule = "FREQ=SOMETIMES";
	ck_assert_int_eq(cl_invite_build(&rule, &inv, &err), CL_EUSAGE);
	ck_assert_ptr_null(rule);
}
END_TEST

/* A recurring invite's VTIMEZONE has each observance's rule once, open
 * (libical splits it at 2037: folded back), and the same transitions as
 * libical's own zone every 3 hours to 2060. */
START_TEST(test_rrule_vtimezone)
{
	static const char *const zones[] = { "Europe/Berlin", "America/New_York",
	                                     "Australia/Sydney", NULL };
	struct cl_invite inv;
	size_t z;

	for (z = 0; zones[z]; z++) {
		icalcomponent *cal, *vtz, *c, *d;
		icaltimezone *mine, *lib = icaltimezone_get_builtin_timezone(zones[z]);
		time_t t;
		int rules = 0;

		base_invite(&inv);
		inv.tz = zones[z];
		inv.rrule = "FREQ=MONTHLY;INTERVAL=3";
		cal = build_parse(&inv, NULL);
		vtz = icalcomponent_get_first_component(cal, ICAL_VTIMEZONE_COMPONENT);
		ck_assert_ptr_nonnull(vtz);
		for (c = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); c;
		     c = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
			icalproperty *r = icalcomponent_get_first_property(c, ICAL_RRULE_PROPERTY);
			if (r == NULL)
				continue;
			rules++;
			ck_assert_msg(icaltime_is_null_time(icalproperty_get_rrule(r).until),
			              "%s: a rule with UNTIL left: %s", zones[z],
			              icalproperty_as_ical_string(r));
			ck_assert_ptr_null(icalcomponent_get_next_property(c, ICAL_RRULE_PROPERTY));
		}
		ck_assert_msg(rules == 2, "%s: %d observance rules, want 2 (one STANDARD, one "
		              "DAYLIGHT)", zones[z], rules);
		/* the same transitions as libical's zone */
		mine = icaltimezone_new();
		d = icalcomponent_new_clone(vtz);
		ck_assert_int_eq(icaltimezone_set_component(mine, d), 1);
		for (t = inv.start; t < 2871763200; t += 3 * 3600) {	/* to 2061 */
			struct icaltimetype u = icaltime_from_timet_with_zone(t, 0,
			                                                      icaltimezone_get_utc_timezone());
			int dst;
			ck_assert_msg(icaltimezone_get_utc_offset_of_utc_time(mine, &u, &dst) ==
			              icaltimezone_get_utc_offset_of_utc_time(lib, &u, &dst),
			              "%s: offsets differ at %lld", zones[z], (long long)t);
		}
		icaltimezone_free(mine, 1);
		icalcomponent_free(cal);
	}
}
END_TEST

START_TEST(test_bad_input)
{
	struct cl_error err = { 0 };
	struct cl_invite inv;
	struct cl_invite_person bad[] = { { "Eve", "eve@example.com\r\nBcc: x@y" } };
	char *text = NULL;

	base_invite(&inv);
	inv.tz = "Mars/Olympus";
	ck_assert_int_eq(cl_invite_build(&text, &inv, &err), CL_EUSAGE);
	ck_assert_ptr_nonnull(strstr(err.msg, "Mars/Olympus"));
	cl_error_clear(&err);

	base_invite(&inv);
	inv.attendees = bad;
	inv.nattendees = 1;
	ck_assert_int_eq(cl_invite_build(&text, &inv, &err), CL_EUSAGE);
	ck_assert_ptr_null(text);
	cl_error_clear(&err);

	base_invite(&inv);
	inv.nattendees = 0;
	ck_assert_int_eq(cl_invite_build(&text, &inv, &err), CL_EUSAGE);
	cl_error_clear(&err);

	ck_assert_int_eq(cl_mail_check_address("a.b+c@example.com", NULL), 0);
	ck_assert_int_ne(cl_mail_check_address("a@b@c", NULL), 0);
	ck_assert_int_ne(cl_mail_check_address("Alice <a@b>", NULL), 0);
	ck_assert_int_ne(cl_mail_check_address("@b", NULL), 0);
	ck_assert_int_ne(cl_mail_check_address("\xc3\xa4@b.de", NULL), 0);
	/* the invite check and the envelope check were two and disagreed */
	ck_assert_int_ne(cl_mail_check_address("a..b@x.example", NULL), 0);
	base_invite(&inv);
	inv.organizer.email = "a..b@x.example";
	ck_assert_int_eq(cl_invite_build(&text, &inv, &err), CL_EUSAGE);
	ck_assert_ptr_null(text);
	cl_error_clear(&err);

	ck_assert_int_eq(cl_invite_check("not a calendar", &err), CL_EDATA);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_invite_check("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"
	                 "DTSTART:notadate\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", &err), CL_EDATA);
}
END_TEST

/* Every allocation failure is reported, never a crash or a half result. */
START_TEST(test_alloc_failures)
{
	struct cl_invite inv;
	long i;

	base_invite(&inv);
	for (i = 1; i < 40; i++) {
		struct cl_error err = { 0 };
		char *text = NULL;
		int rc;

		cl_alloc_fail_after(i);
		rc = cl_invite_build(&text, &inv, &err);
		cl_alloc_fail_after(0);
		if (rc == 0) {
			ck_assert_ptr_nonnull(text);
			free(text);
			break;
		}
		ck_assert_int_eq(rc, CL_ENOMEM);
		ck_assert_ptr_null(text);
	}
}
END_TEST

static Suite *
invite_suite(void)
{
	Suite *s = suite_create("invite");
	TCase *tc = tcase_create("invite");

	tcase_add_test(tc, test_request_itip);
	tcase_add_test(tc, test_cancel_and_sequence);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_utc_and_winter);
	tcase_add_test(tc, test_rrule);
	tcase_add_test(tc, test_rrule_vtimezone);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_alloc_failures);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(invite_suite());
}
