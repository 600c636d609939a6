/* drill-ical.c — a drill's times in its zone and its iCalendar. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "drill-int.h"
#include "invite.h"
#include "util.h"

/* The drill timezone: the override, [drill] timezone, [closeloop] timezone, UTC. */
const char *
cl_drill_tz(const struct cl_config *cfg, const char *override)
{
	const char *tz = override;

	if (tz == NULL || *tz == '\0')
		tz = cl_config_get(cfg, "drill", "timezone");
	if (tz == NULL || *tz == '\0')
		tz = cl_config_timezone(cfg);
	if (tz == NULL || *tz == '\0')
		tz = "UTC";
	return tz;
}

/* Parses "YYYY-MM-DD HH:MM" (or with T, optional :SS) as wall clock in tz. */
int
cl_drill_parse_at(const char *at, const char *tz, time_t *out, struct cl_error *err)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, s = 0, n = 0, n2 = 0, yy, mm, dd;

	if (at == NULL ||
	    sscanf(at, "%4d-%2d-%2d%*1[ T]%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n == 0)
		goto bad;
	if (at[n] == ':') {
		if (sscanf(at + n, ":%2d%n", &s, &n2) != 1 || n2 == 0)
			goto bad;
		n += n2;
	}
	if (at[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 59)
		goto bad;
	cl_civil_from_days(cl_days_from_civil(y, mo, d), &yy, &mm, &dd);
	if (yy != y || mm != mo || dd != d)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	if (cl_mktime(&tm, tz, out) != 0)
		return cl_error_set(err, CL_EUSAGE, "unknown time zone '%s'", tz);
	return 0;
bad:
	return cl_error_set(err, CL_EUSAGE, "'%s' is not a time like 2024-04-02 14:00",
	                    at ? at : "");
}

void
cl_drill_local_start(const struct cl_drill *d, char out[17])
{
	struct tm tm;

	if (cl_localtime(d->start, d->timezone, &tm) != 0)
		cl_localtime(d->start, "UTC", &tm);
	snprintf(out, 17, "%04u-%02u-%02u %02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
	         (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
	         (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u);
}

int
cl_drill_calendar(char **out, const struct cl_drill *d, const struct cl_config *cfg,
                  int cancel, struct cl_error *err)
{
	struct cl_invite inv;
	struct cl_invite_person *people = NULL;
	char *org_name = NULL, *org_email = NULL, *desc = NULL;
	size_t i;
	int rc;

	*out = NULL;
	memset(&inv, 0, sizeof inv);
	if ((rc = cl_drill_split_address(d->organizer, &org_name, &org_email)) != 0)
		return cl_error_set(err, rc == CL_ENOMEM ? CL_ENOMEM : CL_ECONFIG,
		                    "drill organizer '%s' has no valid address", d->organizer);
	if ((people = cl_calloc(d->nattendees ? d->nattendees : 1, sizeof *people)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < d->nattendees; i++) {
		people[i].name = d->attendees[i].name;
		people[i].email = d->attendees[i].email;
	}
	if (d->id > 0)
		desc = cl_asprintf("%s\nRecord the outcome afterwards:\n"
		                   "  closeloop drill done %lld --result pass|fail --rto MINUTES\n",
		                   d->description ? d->description : "", d->id);
	else
		desc = cl_strdup(d->description ? d->description : "");
	if (desc == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	inv.cancel = cancel;
	inv.uid = d->uid;
	inv.start = d->start;
	inv.duration_min = d->duration;
	inv.tz = d->timezone;
	inv.sequence = d->sequence;
	inv.summary = d->title;
	inv.description = desc;
	inv.organizer.name = org_name;
	inv.organizer.email = org_email;
	inv.attendees = people;
	inv.nattendees = d->nattendees;
	inv.rrule = d->rrule;
	rc = cl_invite_build(out, &inv, err);
	if (rc == 0 && (rc = cl_invite_check(*out, err)) != 0) {
		free(*out);
		*out = NULL;
	}
done:
	free(org_name);
	free(org_email);
	free(people);
	free(desc);
	return rc;
}
