/* invite.h — iCalendar (RFC 5545) invitations for drills, built with libical,
 * following iTIP (RFC 5546): METHOD:REQUEST for a new or updated event,
 * METHOD:CANCEL for a cancellation.
 *
 * The calendar carries one VEVENT (UID, DTSTAMP in UTC, DTSTART/DTEND with a
 * TZID parameter naming the plain IANA zone, SEQUENCE, STATUS, SUMMARY,
 * DESCRIPTION, ORGANIZER, one ATTENDEE per person, optional RRULE, a VALARM)
 * and the VTIMEZONE of that zone, truncated to the observances that matter,
 * whose TZID is the plain IANA name too. Text is escaped by libical.
 * Strings returned through out are CRLF text and belong to the caller
 * (free()). Errors: CL_EUSAGE for a bad argument (zone, address, rule),
 * CL_ENOMEM, CL_ERROR when libical fails. */
#ifndef CL_INVITE_H
#define CL_INVITE_H

#include <stddef.h>
#include <time.h>

#include "error.h"

struct cl_invite_person {
	const char *name;	/* CN, may be NULL */
	const char *email;	/* an ASCII address, required */
};

struct cl_invite {
	int cancel;			/* METHOD:CANCEL, STATUS:CANCELLED */
	const char *uid;		/* stable per drill */
	time_t dtstamp;			/* 0: cl_now() */
	time_t start;			/* the instant the event starts */
	int duration_min;		/* > 0 */
	const char *tz;			/* IANA name; NULL, "" or "UTC": times in UTC */
	int sequence;			/* >= 0 */
	const char *summary;
	const char *description;	/* may be NULL */
	struct cl_invite_person organizer;
	const struct cl_invite_person *attendees;
	size_t nattendees;		/* >= 1 */
	const char *rrule;		/* RECUR value ("FREQ=MONTHLY;INTERVAL=3") or NULL */
	int alarm_min;			/* minutes before the start; 0: 15, < 0: none */
};

#define CL_INVITE_PRODID "-//closeloop//closeloop drill invites//EN"

/* Builds the calendar text for inv. */
int cl_invite_build(char **out, const struct cl_invite *inv, struct cl_error *err);
/* Parses text back with libical: CL_EDATA when it is not a calendar or
 * libical marks any property or value as an error (X-LIC-ERROR). */
int cl_invite_check(const char *text, struct cl_error *err);
/* The RECUR value for a --every argument: "quarter", "month", "week",
 * "N weeks", "N months" (N 1..52). CL_EUSAGE when not understood. */
int cl_invite_rrule(char **out, const char *every, struct cl_error *err);

#endif
