/* check_dates.c — day arithmetic, human date forms, ISO weeks, clock, zones. */
#include "testutil.h"

static int
day(int y, int m, int d)
{
	return cl_days_from_civil(y, m, d);
}

START_TEST(test_civil_roundtrip)
{
	int d, y, m, dd;
	for (d = day(1999, 1, 1); d < day(2031, 1, 1); d += 13) {
		cl_civil_from_days(d, &y, &m, &dd);
		ck_assert_int_eq(cl_days_from_civil(y, m, dd), d);
	}
	ck_assert_int_eq(day(1970, 1, 1), 0);
	ck_assert_int_eq(cl_weekday(day(2024, 3, 20)), 2);	/* a Wednesday */
}
END_TEST

START_TEST(test_human_dates)
{
	static const struct { const char *in; int ref; int want; } ok[] = {
		{ "2024-01-29", 0, 0 }, { "2024/01/29", 0, 0 }, { "Jan 29", 1, 0 },
		{ "January 29, 2024", 0, 0 }, { "29 Jan 2024", 0, 0 }, { "29 January", 1, 0 },
		{ "Jan 29th", 1, 0 }, { "jan. 29 2024", 0, 0 }, { "Sept 29", 2, 0 },
	};
	int out, ref = day(2023, 12, 20);
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ck_assert_msg(cl_date_parse(ok[i].in, ref, &out) == 0, "'%s' not parsed", ok[i].in);
		if (ok[i].ref == 2)
			ck_assert_int_eq(out, day(2024, 9, 29));
		else
			ck_assert_msg(out == day(2024, 1, 29), "'%s' → %d", ok[i].in, out);
	}
	/* year-less: first such date on or after the reference */
	ck_assert_int_eq(cl_date_parse("Dec 20", ref, &out), 0);
	ck_assert_int_eq(out, day(2023, 12, 20));
	ck_assert_int_eq(cl_date_parse("Dec 19", ref, &out), 0);
	ck_assert_int_eq(out, day(2024, 12, 19));
	ck_assert_int_eq(cl_date_parse("Feb 29", day(2025, 1, 1), &out), 0);
	ck_assert_int_eq(out, day(2028, 2, 29));
}
END_TEST

START_TEST(test_not_dates)
{
	static const char *bad[] = { "soon", "ASAP", "TBD", "next sprint", "Q3", "Feb 30",
		"2024-13-01", "2024-02-30", "1/29/2024", "", "Jan", "29", "2024-01-29x",
		"Jan 29 2024 10:00", NULL };
	int out, i;

	for (i = 0; bad[i]; i++)
		ck_assert_msg(cl_date_parse(bad[i], day(2024, 1, 1), &out) != 0, "'%s' parsed",
		              bad[i]);
}
END_TEST

START_TEST(test_periods)
{
	static const struct { const char *in; int y, m, d, approx; } cases[] = {
		{ "Q3 2024", 2024, 9, 30, 1 }, { "2024-Q3", 2024, 9, 30, 1 },
		{ "q1 2025", 2025, 3, 31, 1 }, { "H2 2024", 2024, 12, 31, 1 },
		{ "June 2024", 2024, 6, 30, 1 }, { "end of June", 2024, 6, 30, 1 },
		{ "end of Feb 2024", 2024, 2, 29, 1 }, { "end of month", 2024, 3, 31, 1 },
		{ "end of the quarter", 2024, 3, 31, 1 }, { "EOY", 2024, 12, 31, 1 },
		{ "end of 2025", 2025, 12, 31, 1 }, { "Q1", 2024, 3, 31, 1 },
		{ "Q4", 2024, 12, 31, 1 }, { "end of January", 2025, 1, 31, 1 },
		{ "2024-03-09", 2024, 3, 9, 0 }, { "2024-3-9", 2024, 3, 9, 0 },
		{ "Mar 20", 2024, 3, 20, 0 },
	};
	int ref = cl_days_from_civil(2024, 3, 10), day, approx;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		ck_assert_msg(cl_date_parse_due(cases[i].in, ref, &day, &approx) == 0, "%s",
		              cases[i].in);
		ck_assert_msg(day == cl_days_from_civil(cases[i].y, cases[i].m, cases[i].d) &&
		              approx == cases[i].approx, "%s", cases[i].in);
	}
	ck_assert_int_ne(cl_date_parse_due("2024-02-30", ref, &day, &approx), 0);
	ck_assert_int_ne(cl_date_parse_due("Q5 2024", ref, &day, &approx), 0);
	ck_assert_int_ne(cl_date_parse_due("message expiration", ref, &day, &approx), 0);
	ck_assert_int_ne(cl_date_parse_due("next sprint", ref, &day, &approx), 0);
	ck_assert_int_ne(cl_date_parse_due("2024", ref, &day, &approx), 0);
}
END_TEST

/* cl_date_parse_due refuses at once a text whose first two letters start
 * no form: every form's first two letters still reach the parsers. */
START_TEST(test_due_first_letters)
{
	static const char *ok[] = { "Jan 5", "June 2024", "July 4", "Feb 3", "Mar 20", "May 5",
		"March 2025", "month", "end of month", "Apr 3", "Aug 9", "august 2025", "Sep 9",
		"Sept 9", "sept 2025", "Oct 1", "october 2025", "of June", "Nov 2", "Dec 3",
		"q3", "Q4 2025", "quarter", "H1", "h2 2025", "end of June", "EOM", "eoq", "EOY",
		"year", "the end of June", "by end of June", "late June", "  ,Q2 2025",
		"-/.Dec 2025", "JAN 5", "\xc2\xa0Q2 2025", NULL };
	static const char *bad[] = { "Hana Doe", "soon", "TBD", "team", "@pia", "x", "j", "Q",
		"(Jan 5)", NULL };
	int ref = cl_days_from_civil(2024, 3, 10), out, approx, i;

	for (i = 0; ok[i]; i++)
		ck_assert_msg(cl_date_parse_due(ok[i], ref, &out, &approx) == 0, "'%s' refused",
		              ok[i]);
	for (i = 0; bad[i]; i++)
		ck_assert_msg(cl_date_parse_due(bad[i], ref, &out, &approx) != 0, "'%s' read",
		              bad[i]);
}
END_TEST

START_TEST(test_iso_week)
{
	int y, w;

	cl_iso_week(day(2024, 3, 20), &y, &w);
	ck_assert_int_eq(y, 2024);
	ck_assert_int_eq(w, 12);
	cl_iso_week(day(2021, 1, 3), &y, &w);	/* belongs to 2020-W53 */
	ck_assert_int_eq(y, 2020);
	ck_assert_int_eq(w, 53);
	ck_assert_int_eq(cl_iso_week_monday(2024, 12), day(2024, 3, 18));
	ck_assert_int_eq(cl_iso_week_parse("2024-W12", &y, &w), 0);
	ck_assert_int_eq(cl_iso_week_parse("2024-W53", &y, &w), CL_EDATA);
	ck_assert_int_eq(cl_iso_week_parse("2020-W53", &y, &w), 0);
}
END_TEST

START_TEST(test_clock_and_zones)
{
	struct tm tm;
	time_t t;

	setenv("CLOSELOOP_NOW", "2024-03-20T23:30:00Z", 1);
	ck_assert_int_eq(cl_today("UTC"), day(2024, 3, 20));
	ck_assert_int_eq(cl_today("Europe/Berlin"), day(2024, 3, 21));
	ck_assert_int_eq(cl_today("America/New_York"), day(2024, 3, 20));
	ck_assert_int_eq(cl_localtime(cl_now(), "Asia/Tokyo", &tm), 0);
	ck_assert_int_eq(tm.tm_hour, 8);
	memset(&tm, 0, sizeof tm);
	tm.tm_year = 124; tm.tm_mon = 3; tm.tm_mday = 2; tm.tm_hour = 14;
	ck_assert_int_eq(cl_mktime(&tm, "Europe/Berlin", &t), 0);	/* CEST: UTC+2 */
	ck_assert_int_eq(cl_time_parse("2024-04-02T12:00:00Z", &(time_t){0}), 0);
	{
		time_t want;
		cl_time_parse("2024-04-02T12:00:00Z", &want);
		ck_assert_int_eq((long)t, (long)want);
	}
	ck_assert(!cl_tz_valid("Mars/Olympus"));
	ck_assert_int_eq(cl_time_parse("2024-03-20T09:00:00+01:00", &t), 0);
	ck_assert_int_eq((long)t, (long)(day(2024, 3, 20) * 86400L + 8 * 3600));
	setenv("CLOSELOOP_NOW", "yesterday", 1);
	ck_assert_int_eq(cl_clock_check(NULL), CL_EUSAGE);
	unsetenv("CLOSELOOP_NOW");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dates");
	TCase *tc = tcase_create("dates");

	tcase_add_test(tc, test_civil_roundtrip);
	tcase_add_test(tc, test_human_dates);
	tcase_add_test(tc, test_not_dates);
	tcase_add_test(tc, test_periods);
	tcase_add_test(tc, test_due_first_letters);
	tcase_add_test(tc, test_iso_week);
	tcase_add_test(tc, test_clock_and_zones);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
