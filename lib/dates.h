/* dates.h — calendar days, the clock, time zones and the date forms people
 * write in post-mortems.
 *
 * A date is a day number: days since 1970-01-01 (negative before). Time zones
 * are IANA names ("Europe/Berlin"); NULL or "" means the system's local zone.
 * The clock is time(2) unless CLOSELOOP_NOW (e.g. 2024-03-20T09:00:00Z) is
 * set in the environment: every "now" in the program goes through cl_now(). */
#ifndef CL_DATES_H
#define CL_DATES_H

#include <time.h>

#define CL_NO_DATE (-1000000)

int cl_days_from_civil(int y, int m, int d);
void cl_civil_from_days(int days, int *y, int *m, int *d);
/* 0 = Monday … 6 = Sunday */
int cl_weekday(int days);
/* "YYYY-MM-DD" into out[11] */
void cl_date_format(int days, char out[11]);
/* Strict YYYY-MM-DD; 0 or CL_EDATA. */
int cl_date_parse_iso(const char *s, int *out);
/* A date as people write it: 2024-01-29, 2024/01/29, Jan 29, January 29,
 * 2024, 29 Jan 2024, 29 January, 1/29/2024 is refused as ambiguous …
 * Year-less dates resolve to the first such date on or after ref (a day
 * number; CL_NO_DATE: the current year of today). Returns 0 and the day, or
 * CL_EDATA when s is not a date. */
int cl_date_parse(const char *s, int ref, int *out);
/* cl_date_parse, or a period ("Q3 2024", "2024-Q3", "H2", "June 2024",
 * "end of June", "end of month", "EOQ", ...) as its last day with *approx
 * set. 0 or CL_EDATA. */
int cl_date_parse_due(const char *s, int ref, int *out, int *approx);

time_t cl_now(void);
/* Validates CLOSELOOP_NOW; 0 or CL_EUSAGE with a message. */
struct cl_error;
int cl_clock_check(struct cl_error *err);
/* Today in tz. */
int cl_today(const char *tz);
/* The day number of t in zone tz (UTC when tz is not a zone libical knows). */
int cl_day_of(time_t t, const char *tz);
/* Converts t to the broken-down local time of tz. */
int cl_localtime(time_t t, const char *tz, struct tm *out);
/* Converts a local wall-clock time in tz to time_t. */
int cl_mktime(const struct tm *local, const char *tz, time_t *out);
/* True when tz names a zone we can use. */
int cl_tz_valid(const char *tz);
/* cl_mktime(), and whether that wall clock exists in tz: 0 once,
 * CL_LOCAL_GAP never (the clocks jump over it; *out is where cl_mktime
 * moved it), CL_LOCAL_TWICE twice (the clocks go back; *out is the instant
 * cl_mktime picked); CL_ECONFIG for an unknown zone. */
enum { CL_LOCAL_GAP = 1, CL_LOCAL_TWICE = 2 };
int cl_mktime_kind(const struct tm *local, const char *tz, time_t *out);
/* RFC 3339 UTC "2024-03-20T09:00:00Z" into out[21]. */
void cl_time_format_utc(time_t t, char out[21]);
/* "2024-04-02 14:00 Europe/Berlin": t in zone tz (NULL: UTC) with its
 * name, for people; 0 or CL_ECONFIG for an unusable zone. */
int cl_time_format_local(time_t t, const char *tz, char out[64]);
/* Parses RFC 3339 / ISO 8601 with Z or ±hh:mm; also "YYYY-MM-DD HH:MM:SS"
 * (UTC). 0 or CL_EDATA. */
int cl_time_parse(const char *s, time_t *out);
/* ISO 8601 week of a day: year and week number. */
void cl_iso_week(int days, int *year, int *week);
/* Monday of ISO week (year, week). */
int cl_iso_week_monday(int year, int week);
/* Parses "2024-W12"; 0 or CL_EDATA. */
int cl_iso_week_parse(const char *s, int *year, int *week);

#endif
