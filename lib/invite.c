/* invite.c — drill invitations as iCalendar text, built with libical. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "dates.h"
#include "invite.h"
#include "mail.h"
#include "util.h"

/* A copy of a display name fit for a CN parameter: no controls, no quotes
 * (iCalendar 2.0 parameter values cannot hold a DQUOTE). */
static char *
invite_cn(const char *name)
{
	char *s, *d;
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return NULL;
	if ((s = cl_strdup(name)) == NULL)
		return NULL;
	for (d = s, p = (const unsigned char *)name; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			*d++ = ' ';
		else if (*p == '"')
			*d++ = '\'';
		else
			*d++ = (char)*p;
	}
	*d = '\0';
	return s;
}

/* Adds a CAL-ADDRESS property (ORGANIZER or ATTENDEE) for person. */
static int
invite_add_person(icalcomponent *ev, const struct cl_invite_person *person,
                  int attendee, struct cl_error *err)
{
	icalproperty *p;
	char *uri = NULL, *cn = NULL;
	int rc = CL_ENOMEM;

	if (cl_mail_check_address(person->email, NULL) != 0)
		return cl_error_set(err, CL_EUSAGE, "'%s' is not an e-mail address",
		                    person->email ? person->email : "");
	if ((uri = cl_asprintf("mailto:%s", person->email)) == NULL)
		goto done;
	if (person->name && *person->name && (cn = invite_cn(person->name)) == NULL)
		goto done;
	p = attendee ? icalproperty_new_attendee(uri) : icalproperty_new_organizer(uri);
	if (p == NULL)
		goto done;
	if (cn)
		icalproperty_add_parameter(p, icalparameter_new_cn(cn));
	if (attendee) {
		icalproperty_add_parameter(p, icalparameter_new_role(ICAL_ROLE_REQPARTICIPANT));
		icalproperty_add_parameter(p, icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION));
		icalproperty_add_parameter(p, icalparameter_new_rsvp(ICAL_RSVP_TRUE));
	}
	icalcomponent_add_property(ev, p);
	rc = 0;
done:
	free(uri);
	free(cn);
	return rc == 0 ? 0 : cl_error_set(err, rc, "out of memory building the invite");
}

/* A DTSTART/DTEND-like property at instant t, in zone (TZID parameter with
 * the plain name) or in UTC when zone is NULL. */
static icalproperty *
invite_time_prop(icalproperty_kind kind, time_t t, icaltimezone *zone, const char *tzid)
{
	struct icaltimetype tt;
	icalproperty *p;

	if (zone == NULL) {
		tt = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
	} else {
		tt = icaltime_from_timet_with_zone(t, 0, zone);
		tt.zone = NULL;	/* written as local time; the TZID parameter names it */
	}
	p = kind == ICAL_DTSTART_PROPERTY ? icalproperty_new_dtstart(tt)
	                                  : icalproperty_new_dtend(tt);
	if (p != NULL && zone != NULL)
		icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
	return p;
}

/* True when observances a and b are of one kind with the same name and
 * offsets. */
static int
invite_same_observance(icalcomponent *a, icalcomponent *b)
{
	icalproperty *na = icalcomponent_get_first_property(a, ICAL_TZNAME_PROPERTY);
	icalproperty *nb = icalcomponent_get_first_property(b, ICAL_TZNAME_PROPERTY);
	icalproperty *fa = icalcomponent_get_first_property(a, ICAL_TZOFFSETFROM_PROPERTY);
	icalproperty *fb = icalcomponent_get_first_property(b, ICAL_TZOFFSETFROM_PROPERTY);
	icalproperty *ta = icalcomponent_get_first_property(a, ICAL_TZOFFSETTO_PROPERTY);
	icalproperty *tb = icalcomponent_get_first_property(b, ICAL_TZOFFSETTO_PROPERTY);

	return icalcomponent_isa(a) == icalcomponent_isa(b) && na && nb && fa && fb && ta && tb &&
	       strcmp(icalproperty_get_tzname(na), icalproperty_get_tzname(nb)) == 0 &&
	       icalproperty_get_tzoffsetfrom(fa) == icalproperty_get_tzoffsetfrom(fb) &&
	       icalproperty_get_tzoffsetto(ta) == icalproperty_get_tzoffsetto(tb);
}

/* The first occurrence of rule from dtstart after until (local times), or
 * a null time. */
static struct icaltimetype
invite_next_after(struct icalrecurrencetype rule, struct icaltimetype dtstart,
                  struct icaltimetype until)
{
	icalrecur_iterator *it = icalrecur_iterator_new(rule, dtstart);
	struct icaltimetype t = icaltime_null_time();
	int guard;

	for (guard = 0; it != NULL && guard < 1000; guard++) {
		t = icalrecur_iterator_next(it);
		if (icaltime_is_null_time(t) || icaltime_compare(t, until) > 0)
			break;
	}
	if (guard == 1000)
		t = icaltime_null_time();
	icalrecur_iterator_free(it);
	return t;
}

/* True when rules a and b are the same but for UNTIL. */
static int
invite_same_rule(struct icalrecurrencetype a, struct icalrecurrencetype b)
{
	char *sa, *sb;
	int same;

	a.until = b.until = icaltime_null_time();
	sa = icalrecurrencetype_as_string_r(&a);
	sb = icalrecurrencetype_as_string_r(&b);
	same = sa && sb && strcmp(sa, sb) == 0;
	if (sa)
		icalmemory_free_buffer(sa);
	if (sb)
		icalmemory_free_buffer(sb);
	return same;
}

/* libical 3.0 builds a zone from its TZif file as the explicit transitions
 * (to 2037) plus the TZ string's rule from the last two on, so an
 * observance whose rule still holds comes out twice: RRULE …;UNTIL=2037…
 * and the same RRULE, open, from 2037/2038. Every STANDARD and DAYLIGHT
 * rule is then written twice, and a reader that cannot take UNTIL with a
 * local DTSTART (python's icalendar, dateutil) cannot use the zone. Folds
 * such a pair into the first block with the rule left open, when the
 * second starts exactly at the first's next occurrence: the transitions
 * stay the same. */
static void
invite_fold_observances(icalcomponent *vtz)
{
	icalcomponent *v[64], *c;
	icalcompiter it;
	size_t n = 0, i, k;

	for (it = icalcomponent_begin_component(vtz, ICAL_ANY_COMPONENT);
	     (c = icalcompiter_deref(&it)) != NULL && n < sizeof v / sizeof v[0];
	     icalcompiter_next(&it))
		v[n++] = c;
	for (i = 0; i < n; i++) {
		icalproperty *ra, *da, *off;
		struct icalrecurrencetype ru;
		struct icaltimetype until, next;

		ra = v[i] ? icalcomponent_get_first_property(v[i], ICAL_RRULE_PROPERTY) : NULL;
		da = ra ? icalcomponent_get_first_property(v[i], ICAL_DTSTART_PROPERTY) : NULL;
		off = ra ? icalcomponent_get_first_property(v[i], ICAL_TZOFFSETFROM_PROPERTY) : NULL;
		if (da == NULL || off == NULL ||
		    icalcomponent_get_first_property(v[i], ICAL_RDATE_PROPERTY) != NULL)
			continue;
		ru = icalproperty_get_rrule(ra);
		if (icaltime_is_null_time(ru.until) || ru.count != 0)
			continue;
		/* UNTIL is UTC; DTSTART and the occurrences are local time */
		until = ru.until;
		icaltime_adjust(&until, 0, 0, 0, icalproperty_get_tzoffsetfrom(off));
		(void)icaltime_set_timezone(&until, NULL);
		ru.until = icaltime_null_time();
		next = invite_next_after(ru, icalproperty_get_dtstart(da), until);
		if (icaltime_is_null_time(next))
			continue;
		for (k = i + 1; k < n; k++) {
			icalproperty *rb, *db;
			struct icalrecurrencetype rbv;

			if (v[k] == NULL || !invite_same_observance(v[i], v[k]) ||
			    icalcomponent_get_first_property(v[k], ICAL_RDATE_PROPERTY) != NULL ||
			    (rb = icalcomponent_get_first_property(v[k], ICAL_RRULE_PROPERTY)) == NULL ||
			    (db = icalcomponent_get_first_property(v[k], ICAL_DTSTART_PROPERTY)) == NULL)
				continue;
			rbv = icalproperty_get_rrule(rb);
			if (!icaltime_is_null_time(rbv.until) || rbv.count != 0 ||
			    !invite_same_rule(ru, rbv) ||
			    icaltime_compare(icalproperty_get_dtstart(db), next) != 0)
				continue;
			icalproperty_set_rrule(ra, ru);
			icalcomponent_remove_component(vtz, v[k]);
			icalcomponent_free(v[k]);
			v[k] = NULL;
			break;
		}
	}
}

/* The zone's VTIMEZONE, cloned, truncated to [from, until) (until 0: open),
 * each observance's rule once, and renamed to the plain IANA name. */
static icalcomponent *
invite_vtimezone(icaltimezone *zone, const char *tzid, time_t from, time_t until)
{
	icalcomponent *src, *vtz;
	icalproperty *p;
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	struct icaltimetype start, end = icaltime_null_time();

	if ((src = icaltimezone_get_component(zone)) == NULL)
		return NULL;
	if ((vtz = icalcomponent_new_clone(src)) == NULL)
		return NULL;
	/* from January 1 of the start's year: the observance in force then is
	 * kept as the first one, the transitions after it follow */
	start = icaltime_from_timet_with_zone(from, 0, utc);
	start.month = 1;
	start.day = 1;
	start.hour = start.minute = start.second = 0;
	if (until != 0)
		end = icaltime_from_timet_with_zone(until, 0, utc);
	icaltimezone_truncate_vtimezone(vtz, start, end, 0);
	invite_fold_observances(vtz);
	if ((p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)) != NULL)
		icalproperty_set_tzid(p, tzid);
	else
		icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
	return vtz;
}

/* Adds the VALARM: a display reminder minutes before the start. */
static void
invite_add_alarm(icalcomponent *ev, int minutes, const char *summary)
{
	icalcomponent *alarm = icalcomponent_new_valarm();
	struct icaltriggertype trig = icaltriggertype_from_int(-minutes * 60);

	icalcomponent_add_property(alarm, icalproperty_new_action(ICAL_ACTION_DISPLAY));
	icalcomponent_add_property(alarm, icalproperty_new_trigger(trig));
	icalcomponent_add_property(alarm, icalproperty_new_description(summary));
	icalcomponent_add_component(ev, alarm);
}

int
cl_invite_build(char **out, const struct cl_invite *inv, struct cl_error *err)
{
	icalcomponent *cal = NULL, *ev, *vtz;
	icaltimezone *zone = NULL;
	const char *tzid = inv->tz;
	struct icalrecurrencetype recur;
	time_t end;
	char *text = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (inv->uid == NULL || *inv->uid == '\0' || inv->summary == NULL)
		return cl_error_set(err, CL_EUSAGE, "an invite needs a UID and a summary");
	if (inv->duration_min <= 0 || inv->sequence < 0)
		return cl_error_set(err, CL_EUSAGE, "bad duration or sequence for an invite");
	if (inv->nattendees == 0)
		return cl_error_set(err, CL_EUSAGE, "an invite needs at least one attendee");
	if (tzid && *tzid && !cl_str_ieq(tzid, "UTC") && !cl_str_ieq(tzid, "Etc/UTC")) {
		if ((zone = icaltimezone_get_builtin_timezone(tzid)) == NULL)
			return cl_error_set(err, CL_EUSAGE, "unknown time zone '%s'", tzid);
	}
	end = inv->start + (time_t)inv->duration_min * 60;

	if ((cal = icalcomponent_new_vcalendar()) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory building the invite");
	icalcomponent_add_property(cal, icalproperty_new_prodid(CL_INVITE_PRODID));
	icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
	icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
	icalcomponent_add_property(cal, icalproperty_new_method(
		inv->cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
	if (zone != NULL) {
		/* a one-off event needs the zone up to its end only; a recurring one
		 * keeps the open-ended rules */
		vtz = invite_vtimezone(zone, tzid, inv->start, inv->rrule ? 0 : end);
		if (vtz == NULL) {
			rc = cl_error_set(err, CL_ERROR, "no VTIMEZONE for '%s'", tzid);
			goto done;
		}
		icalcomponent_add_component(cal, vtz);
	}

	ev = icalcomponent_new_vevent();
	icalcomponent_add_component(cal, ev);
	icalcomponent_add_property(ev, icalproperty_new_uid(inv->uid));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
		inv->dtstamp ? inv->dtstamp : cl_now(), 0, icaltimezone_get_utc_timezone())));
	icalcomponent_add_property(ev, invite_time_prop(ICAL_DTSTART_PROPERTY, inv->start,
	                                                zone, tzid));
	icalcomponent_add_property(ev, invite_time_prop(ICAL_DTEND_PROPERTY, end, zone, tzid));
	if (inv->rrule) {
		recur = icalrecurrencetype_from_string(inv->rrule);
		if (recur.freq == ICAL_NO_RECURRENCE) {
			rc = cl_error_set(err, CL_EUSAGE, "bad recurrence rule '%s'", inv->rrule);
			goto done;
		}
		icalcomponent_add_property(ev, icalproperty_new_rrule(recur));
	}
	icalcomponent_add_property(ev, icalproperty_new_sequence(inv->sequence));
	icalcomponent_add_property(ev, icalproperty_new_status(
		inv->cancel ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
	icalcomponent_add_property(ev, icalproperty_new_summary(inv->summary));
	if (inv->description && *inv->description)
		icalcomponent_add_property(ev, icalproperty_new_description(inv->description));
	icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
	if ((rc = invite_add_person(ev, &inv->organizer, 0, err)) != 0)
		goto done;
	for (i = 0; i < inv->nattendees; i++)
		if ((rc = invite_add_person(ev, &inv->attendees[i], 1, err)) != 0)
			goto done;
	if (!inv->cancel && inv->alarm_min >= 0)
		invite_add_alarm(ev, inv->alarm_min ? inv->alarm_min : 15, inv->summary);

	if ((text = icalcomponent_as_ical_string_r(cal)) == NULL) {
		rc = cl_error_set(err, CL_ERROR, "libical could not write the invite");
		goto done;
	}
	if ((*out = cl_strdup(text)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory building the invite");
done:
	if (text)
		icalmemory_free_buffer(text);
	icalcomponent_free(cal);
	return rc;
}

int
cl_invite_check(const char *text, struct cl_error *err)
{
	icalcomponent *cal;
	icalproperty *p;
	int nerr;

	if ((cal = icalparser_parse_string(text)) == NULL)
		return cl_error_set(err, CL_EDATA, "not an iCalendar object");
	nerr = icalcomponent_count_errors(cal);
	if (nerr > 0) {
		p = icalcomponent_get_first_property(cal, ICAL_XLICERROR_PROPERTY);
		cl_error_set(err, CL_EDATA, "calendar has %d error(s)%s%s", nerr,
		             p ? ": " : "", p ? icalproperty_get_xlicerror(p) : "");
	}
	icalcomponent_free(cal);
	return nerr > 0 ? CL_EDATA : 0;
}

int
cl_invite_rrule(char **out, const char *every, struct cl_error *err)
{
	char unit[16] = "";
	int n = 1, used = 0;
	const char *freq;

	*out = NULL;
	if (every == NULL)
		return cl_error_set(err, CL_EUSAGE, "missing recurrence");
	if (sscanf(every, " %d %15s %n", &n, unit, &used) != 2 || every[used] != '\0') {
		n = 1;
		used = 0;
		if (sscanf(every, " %15s %n", unit, &used) != 1 || every[used] != '\0')
			goto bad;
	}
	cl_str_lower(unit);
	if (n < 1 || n > 52)
		goto bad;
	if (strcmp(unit, "quarter") == 0 || strcmp(unit, "quarters") == 0) {
		freq = "MONTHLY";
		n *= 3;
	} else if (strcmp(unit, "month") == 0 || strcmp(unit, "months") == 0) {
		freq = "MONTHLY";
	} else if (strcmp(unit, "week") == 0 || strcmp(unit, "weeks") == 0) {
		freq = "WEEKLY";
	} else {
		goto bad;
	}
	*out = n == 1 ? cl_asprintf("FREQ=%s", freq) : cl_asprintf("FREQ=%s;INTERVAL=%d", freq, n);
	return *out ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
bad:
	return cl_error_set(err, CL_EUSAGE,
	                    "bad --every '%s' (quarter, month, week or N weeks|months)", every);
}
