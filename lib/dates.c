/* dates.c — day arithmetic, the clock and time zones (through libical),
 * and the human date forms found in post-mortems. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>

#include "dates.h"
#include "error.h"
#include "util.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int
cl_days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
cl_civil_from_days(int z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int
cl_weekday(int days)
{
	/* 1970-01-01 was a Thursday (3 with Monday = 0) */
	int w = (days + 3) % 7;
	return w < 0 ? w + 7 : w;
}

void
cl_date_format(int days, char out[11])
{
	int y, m, d;

	cl_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
		return;
	}
	/* no printf: this runs for every date written */
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

static int
days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

static int
valid_ymd(int y, int m, int d)
{
	return y >= 1900 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 &&
	       d <= days_in_month(y, m);
}

/* n decimal digits at s, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* One or two digits at s: the value and *len, or -1. */
static int
digits12(const char *s, int *len)
{
	if (!isdigit((unsigned char)s[0]))
		return -1;
	if (isdigit((unsigned char)s[1])) {
		*len = 2;
		return (s[0] - '0') * 10 + (s[1] - '0');
	}
	*len = 1;
	return s[0] - '0';
}

/* "YYYY?M?D" (month and day of one or two digits) with one separator from
 * seps; the length read, or -1. */
static int
ymd_at(const char *s, const char *seps, int *y, int *m, int *d)
{
	int a, b;

	if ((*y = digits(s, 4)) < 0 || s[4] == '\0' || strchr(seps, s[4]) == NULL ||
	    (*m = digits12(s + 5, &a)) < 0 || s[5 + a] != s[4] ||
	    (*d = digits12(s + 6 + a, &b)) < 0 || isdigit((unsigned char)s[6 + a + b]))
		return -1;
	return 6 + a + b;
}

int
cl_date_parse_iso(const char *s, int *out)
{
	int y, m, d;

	if (s == NULL || ymd_at(s, "-", &y, &m, &d) != 10 || s[10] != '\0' || !valid_ymd(y, m, d))
		return CL_EDATA;
	*out = cl_days_from_civil(y, m, d);
	return 0;
}

/* Month number of an English month name or abbreviation ("Sept" too). */
static int
month_number(const char *w, size_t len)
{
	static const char *names[] = { "january", "february", "march", "april", "may",
		"june", "july", "august", "september", "october", "november", "december" };
	char low[16];
	size_t i;

	if (len < 3 || len >= sizeof low)
		return 0;
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	low[len] = '\0';
	if (len > 1 && low[len - 1] == '.')
		low[--len] = '\0';
	for (i = 0; i < 12; i++) {
		if (names[i][0] != low[0])	/* every match shares the first letter */
			continue;
		if (strcmp(low, names[i]) == 0 || (len >= 3 && strncmp(low, names[i], len) == 0))
			return (int)i + 1;
		if (i == 8 && strcmp(low, "sept") == 0)
			return 9;
	}
	return 0;
}

/* Splits s into up to 4 tokens: words, numbers; drops ",", "." and
 * ordinal suffixes (1st, 2nd, 29th). */
struct tok { const char *p; size_t len; int num; int isnum; };

static int
tokenize(const char *s, struct tok *t, int max)
{
	int n = 0;

	while (*s) {
		if (isspace((unsigned char)*s) || *s == ',') {
			s++;
			continue;
		}
		if (n == max)
			return -1;
		t[n].p = s;
		if (isdigit((unsigned char)*s)) {
			long v = 0;
			while (isdigit((unsigned char)*s) && v < 100000)
				v = v * 10 + (*s++ - '0');
			if (isdigit((unsigned char)*s))
				return -1;
			if ((s[0] == 's' && s[1] == 't') || (s[0] == 'n' && s[1] == 'd') ||
			    (s[0] == 'r' && s[1] == 'd') || (s[0] == 't' && s[1] == 'h'))
				s += 2;
			t[n].isnum = 1;
			t[n].num = (int)v;
		} else if (isalpha((unsigned char)*s)) {
			while (isalpha((unsigned char)*s) || *s == '.')
				s++;
			t[n].isnum = 0;
		} else {
			return -1;
		}
		t[n].len = (size_t)(s - t[n].p);
		if (*s && !isspace((unsigned char)*s) && *s != ',')
			return -1;
		n++;
	}
	return n;
}

/* Resolves month/day without a year: first such date on or after ref. */
static int
resolve_yearless(int m, int d, int ref, int *out)
{
	int y, rm, rd, day;

	if (ref == CL_NO_DATE)
		ref = cl_today(NULL);
	cl_civil_from_days(ref, &y, &rm, &rd);
	if (m == 2 && d == 29) {
		while (!valid_ymd(y, 2, 29) || cl_days_from_civil(y, 2, 29) < ref)
			y++;
		*out = cl_days_from_civil(y, 2, 29);
		return 0;
	}
	if (!valid_ymd(y, m, d))
		return CL_EDATA;
	day = cl_days_from_civil(y, m, d);
	if (day < ref)
		day = cl_days_from_civil(y + 1, m, d);
	*out = day;
	return 0;
}

int
cl_date_parse(const char *s, int ref, int *out)
{
	struct tok t[4];
	int y, m, d, n, c;

	if (s == NULL)
		return CL_EDATA;
	while (isspace((unsigned char)*s))
		s++;
	/* ISO and ISO-like: 2024-01-29, 2024/01/29, 2024.01.29 */
	if ((n = ymd_at(s, "-/.", &y, &m, &d)) > 0) {
		const char *rest = s + n;
		int hh, mm, k = 0;
		/* a time of day after the date is taken as that day: "2024-03-15 17:00",
		 * "2024-03-15T17:00:00Z", "2024-03-15 17:00 CET" */
		if ((*rest == ' ' || *rest == 'T') &&
		    sscanf(rest + 1, "%2d:%2d%n", &hh, &mm, &k) == 2 && k >= 4 && hh >= 0 &&
		    hh < 24 && mm >= 0 && mm < 60) {
			rest += 1 + k;
			if (rest[0] == ':' && isdigit((unsigned char)rest[1]) &&
			    isdigit((unsigned char)rest[2]))
				rest += 3;
			if (*rest == 'Z')
				rest++;
			else if (*rest == ' ' && (isupper((unsigned char)rest[1]) || rest[1] == '+' ||
			                          rest[1] == '-')) {
				rest++;
				while (isalnum((unsigned char)*rest) || *rest == '+' || *rest == '-' ||
				       *rest == ':')
					rest++;
			}
		}
		while (isspace((unsigned char)*rest))
			rest++;
		if (*rest == '\0' && valid_ymd(y, m, d)) {
			*out = cl_days_from_civil(y, m, d);
			return 0;
		}
		return CL_EDATA;
	}
	n = tokenize(s, t, 4);
	if (n < 2 || n > 3)
		return CL_EDATA;
	/* "Jan 29", "January 29 2024", "Jan 29th, 2024" */
	if (!t[0].isnum && (m = month_number(t[0].p, t[0].len)) && t[1].isnum) {
		d = t[1].num;
		if (n == 2)
			return resolve_yearless(m, d, ref, out);
		if (!t[2].isnum || t[2].len != 4 || !valid_ymd(t[2].num, m, d))
			return CL_EDATA;
		*out = cl_days_from_civil(t[2].num, m, d);
		return 0;
	}
	/* "29 Jan", "29 January 2024" */
	if (t[0].isnum && !t[1].isnum && (m = month_number(t[1].p, t[1].len))) {
		d = t[0].num;
		if (n == 2)
			return resolve_yearless(m, d, ref, out);
		c = t[2].num;
		if (!t[2].isnum || t[2].len != 4 || !valid_ymd(c, m, d))
			return CL_EDATA;
		*out = cl_days_from_civil(c, m, d);
		return 0;
	}
	return CL_EDATA;
}

/* Last day of month m of year y. */
static int
month_end(int y, int m)
{
	return cl_days_from_civil(y, m, days_in_month(y, m));
}

/* The period forms: "Q3 2024", "2024-Q3", "Q3", "H2 2024", "June 2024",
 * "end of June", "end of month", "end of quarter", "end of year", "EOM",
 * "EOQ", "EOY", "end of 2024" → the last day of the period. Year-less
 * forms resolve to the first such period ending on or after ref. */
static int
parse_period(const char *s, int ref, int *out)
{
	char w[64], *q, *words[4], *save = NULL;
	int nw = 0, y = 0, rm, rd, m = 0, quarter = 0, half = 0, i, day;

	cl_str_key(w, sizeof w, s);
	for (q = w; *q; q++)
		if (*q == ',' || *q == '-' || *q == '/' || *q == '.')
			*q = ' ';
	for (q = strtok_r(w, " \t", &save); q; q = strtok_r(NULL, " \t", &save)) {
		if (strcmp(q, "end") == 0 || strcmp(q, "of") == 0 || strcmp(q, "the") == 0 ||
		    strcmp(q, "by") == 0 || strcmp(q, "late") == 0)
			continue;
		if (nw == 4)
			return CL_EDATA;
		words[nw++] = q;
	}
	if (nw == 0 || nw > 2)
		return CL_EDATA;
	/* the reference month only once the words may be a period */
	if (ref == CL_NO_DATE)
		ref = cl_today(NULL);
	cl_civil_from_days(ref, &y, &rm, &rd);
	{
		int year = 0;
		for (i = 0; i < nw; i++) {
			const char *x = words[i];
			size_t len = strlen(x);
			if (len == 4 && digits(x, 4) >= 1900) {
				if (year)
					return CL_EDATA;
				year = digits(x, 4);
			} else if (len == 2 && (x[0] == 'q' || x[0] == 'h') && x[1] >= '1' &&
			           x[1] <= (x[0] == 'q' ? '4' : '2')) {
				if (quarter || half || m)
					return CL_EDATA;
				if (x[0] == 'q')
					quarter = x[1] - '0';
				else
					half = x[1] - '0';
			} else if (strcmp(x, "month") == 0 || strcmp(x, "eom") == 0) {
				m = rm;
			} else if (strcmp(x, "quarter") == 0 || strcmp(x, "eoq") == 0) {
				quarter = (rm - 1) / 3 + 1;
			} else if (strcmp(x, "year") == 0 || strcmp(x, "eoy") == 0) {
				m = 12;
			} else if ((day = month_number(x, len)) != 0) {
				if (m || quarter || half)
					return CL_EDATA;
				m = day;
			} else {
				return CL_EDATA;
			}
		}
		if (quarter)
			m = quarter * 3;
		else if (half)
			m = half * 6;
		if (m == 0) {
			/* "end of 2024" */
			if (!year || nw != 1 || strcasestr(s, "end") == NULL)
				return CL_EDATA;
			m = 12;
		}
		if (year) {
			*out = month_end(year, m);
			return 0;
		}
		day = month_end(y, m);
		if (day < ref)
			day = month_end(y + 1, m);
		*out = day;
		return 0;
	}
}

/* s cannot be a date nor a period: its first two characters (past white
 * space and the separators both parsers skip or fail on) start none of
 * the forms. Most texts the rules ask about are names and words. */
static int
no_date_start(const char *s)
{
	/* the second letters after each first letter: month names (jan, feb,
	 * mar, may, apr, aug, jun, jul, sep, oct, nov, dec), parse_period's
	 * words (q1-q4, quarter, h1, h2, end, eom, eoq, eoy, month, year) and
	 * the ones it passes over (the, by, late, of); a first letter not
	 * here starts nothing */
	static const char *const second[26] = { ['a' - 'a'] = "pu", ['b' - 'a'] = "y",
		['d' - 'a'] = "e", ['e' - 'a'] = "no", ['f' - 'a'] = "e", ['h' - 'a'] = "12",
		['j' - 'a'] = "au", ['l' - 'a'] = "a", ['m' - 'a'] = "ao", ['n' - 'a'] = "o",
		['o' - 'a'] = "cf", ['q' - 'a'] = "1234u", ['s' - 'a'] = "e", ['t' - 'a'] = "h",
		['y' - 'a'] = "e" };
	unsigned char c, c2;

	while (isspace((unsigned char)*s) || *s == ',' || *s == '-' || *s == '/' || *s == '.')
		s++;
	c = (unsigned char)tolower((unsigned char)*s);
	/* a digit, or any byte >= 0x80 (cl_str_trim takes Unicode spaces
	 * off): the parsers decide */
	if (c >= 0x80 || isdigit(c))
		return 0;
	if (c < 'a' || c > 'z' || second[c - 'a'] == NULL)
		return 1;
	/* a one-letter word is no form either: a '\0' second is refused */
	c2 = (unsigned char)tolower((unsigned char)s[1]);
	return c2 == '\0' || strchr(second[c - 'a'], c2) == NULL;
}

int
cl_date_parse_due(const char *s, int ref, int *out, int *approx)
{
	*approx = 0;
	if (s == NULL || no_date_start(s))
		return CL_EDATA;
	if (cl_date_parse(s, ref, out) == 0)
		return 0;
	if (parse_period(s, ref, out) == 0) {
		*approx = 1;
		return 0;
	}
	return CL_EDATA;
}

time_t
cl_now(void)
{
	const char *env = getenv("CLOSELOOP_NOW");
	time_t t;

	if (env != NULL && *env && cl_time_parse(env, &t) == 0)
		return t;
	return time(NULL);
}

int
cl_clock_check(struct cl_error *err)
{
	const char *env = getenv("CLOSELOOP_NOW");
	time_t t;

	if (env != NULL && *env && cl_time_parse(env, &t) != 0)
		return cl_error_set(err, CL_EUSAGE,
		                    "CLOSELOOP_NOW='%s' is not a time like 2024-03-20T09:00:00Z", env);
	return 0;
}

/* libical's zone for an IANA name; the UTC zone for UTC; NULL when unknown. */
static icaltimezone *
zone_for(const char *tz)
{
	if (cl_str_ieq(tz, "UTC") || cl_str_ieq(tz, "Etc/UTC") || cl_str_ieq(tz, "Z"))
		return icaltimezone_get_utc_timezone();
	return icaltimezone_get_builtin_timezone(tz);
}

int
cl_tz_valid(const char *tz)
{
	return tz == NULL || *tz == '\0' || zone_for(tz) != NULL;
}

int
cl_localtime(time_t t, const char *tz, struct tm *out)
{
	struct icaltimetype tt;
	icaltimezone *z;

	memset(out, 0, sizeof *out);
	if (tz == NULL || *tz == '\0')
		return localtime_r(&t, out) ? 0 : CL_ERROR;
	if ((z = zone_for(tz)) == NULL)
		return CL_ECONFIG;
	tt = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	tt = icaltime_convert_to_zone(tt, z);
	out->tm_year = tt.year - 1900;
	out->tm_mon = tt.month - 1;
	out->tm_mday = tt.day;
	out->tm_hour = tt.hour;
	out->tm_min = tt.minute;
	out->tm_sec = tt.second;
	out->tm_wday = (cl_weekday(cl_days_from_civil(tt.year, tt.month, tt.day)) + 1) % 7;
	return 0;
}

int
cl_mktime(const struct tm *local, const char *tz, time_t *out)
{
	struct icaltimetype tt = icaltime_null_time();
	struct tm tmp;
	icaltimezone *z;

	if (tz == NULL || *tz == '\0') {
		tmp = *local;
		tmp.tm_isdst = -1;
		*out = mktime(&tmp);
		return 0;
	}
	if ((z = zone_for(tz)) == NULL)
		return CL_ECONFIG;
	tt.year = local->tm_year + 1900;
	tt.month = local->tm_mon + 1;
	tt.day = local->tm_mday;
	tt.hour = local->tm_hour;
	tt.minute = local->tm_min;
	tt.second = local->tm_sec;
	tt.is_date = 0;
	*out = icaltime_as_timet_with_zone(tt, z);
	return 0;
}

int
cl_mktime_kind(const struct tm *local, const char *tz, time_t *out)
{
	static const int shifts[] = { 3600, 1800, 7200 };
	struct tm back;
	size_t i;
	int rc;

	if ((rc = cl_mktime(local, tz, out)) != 0)
		return rc;
	if (cl_localtime(*out, tz, &back) != 0)
		return CL_ECONFIG;
	if (back.tm_year != local->tm_year || back.tm_mon != local->tm_mon ||
	    back.tm_mday != local->tm_mday || back.tm_hour != local->tm_hour ||
	    back.tm_min != local->tm_min)
		return CL_LOCAL_GAP;
	/* the same wall clock an offset change earlier or later: it happens twice */
	for (i = 0; i < sizeof shifts / sizeof *shifts; i++) {
		time_t other[2] = { *out - shifts[i], *out + shifts[i] };
		size_t k;
		for (k = 0; k < 2; k++) {
			if (cl_localtime(other[k], tz, &back) == 0 && back.tm_hour == local->tm_hour &&
			    back.tm_min == local->tm_min && back.tm_mday == local->tm_mday &&
			    back.tm_mon == local->tm_mon && back.tm_year == local->tm_year)
				return CL_LOCAL_TWICE;
		}
	}
	return 0;
}

int
cl_day_of(time_t t, const char *tz)
{
	struct tm tm;

	if (cl_localtime(t, tz, &tm) != 0)
		cl_localtime(t, "UTC", &tm);
	return cl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int
cl_today(const char *tz)
{
	return cl_day_of(cl_now(), tz);
}

void
cl_time_format_utc(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
cl_time_parse(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, oh = 0, om = 0, sign = 0;
	const char *p;
	long long t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10 ||
	    !valid_ymd(y, mo, d))
		return CL_EDATA;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) != 2)
			return CL_EDATA;
		p += 1 + n;
		if (*p == ':') {
			if (sscanf(p + 1, "%2d%n", &sec, &n) != 1)
				return CL_EDATA;
			p += 1 + n;
		}
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p == '-' ? -1 : 1;
			if (sscanf(p + 1, "%2d%n", &oh, &n) != 1)
				return CL_EDATA;
			p += 1 + n;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p)) {
				if (sscanf(p, "%2d%n", &om, &n) != 1)
					return CL_EDATA;
				p += n;
			}
		}
	}
	if (*p != '\0' || h > 23 || mi > 59 || sec > 60)
		return CL_EDATA;
	t = (long long)cl_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (long long)sign * (oh * 3600 + om * 60);
	*out = (time_t)t;
	return 0;
}

void
cl_iso_week(int days, int *year, int *week)
{
	int y, m, d, thursday, jan1;

	thursday = days - cl_weekday(days) + 3;
	cl_civil_from_days(thursday, &y, &m, &d);
	jan1 = cl_days_from_civil(y, 1, 1);
	*year = y;
	*week = (thursday - jan1) / 7 + 1;
}

int
cl_iso_week_monday(int year, int week)
{
	int jan4 = cl_days_from_civil(year, 1, 4);
	return jan4 - cl_weekday(jan4) + (week - 1) * 7;
}

int
cl_iso_week_parse(const char *s, int *year, int *week)
{
	int y, w, n = 0, yy, ww;

	if (s == NULL || sscanf(s, "%4d-W%2d%n", &y, &w, &n) != 2 || s[n] != '\0' ||
	    w < 1 || w > 53 || y < 1900)
		return CL_EDATA;
	cl_iso_week(cl_iso_week_monday(y, w), &yy, &ww);
	if (yy != y || ww != w)
		return CL_EDATA;
	*year = y;
	*week = w;
	return 0;
}

int
cl_time_format_local(time_t t, const char *tz, char out[64])
{
	struct tm tm;

	if (cl_localtime(t, tz, &tm) != 0)
		return CL_ECONFIG;
	snprintf(out, 64, "%04d-%02d-%02d %02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tz ? tz : "UTC");
	return 0;
}
