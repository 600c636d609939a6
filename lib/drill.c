/* drill.c — DR drills in the store, their invites, outcomes and proposals. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "drill.h"
#include "import.h"
#include "invite.h"
#include "mail.h"
#include "util.h"
#include "writer.h"

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

/* Upper bound on slots tried when placing a proposal (hours). */
#define DRILL_MAX_SLOT_TRIES (24 * 400)

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
static int
attendee_add(struct cl_drill *d, const char *handle, const char *name, const char *email)
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

/* Splits "Name <addr>" or "addr" into name (may be NULL) and address, both
 * newly allocated, with the one address parser (cl_mailbox_parse_list);
 * CL_EUSAGE when it is not exactly one valid address. */
static int
split_address(const char *s, char **name, char **email)
{
	struct cl_mailbox *mb = NULL;
	size_t n = 0;
	int rc;

	*name = *email = NULL;
	if ((rc = cl_mailbox_parse_list(&mb, &n, s, NULL)) != 0 || n != 1) {
		cl_mailboxes_free(mb, n);
		return rc == CL_ENOMEM ? CL_ENOMEM : CL_EUSAGE;
	}
	*name = mb[0].name;
	*email = mb[0].email;
	mb[0].name = mb[0].email = NULL;
	cl_mailboxes_free(mb, n);
	return 0;
}

/* Adds who: a [people] entry (by handle, @handle, name or address) or, when
 * allow_address (given on the command line, not read from a document), a
 * bare address. Unknown → CL_ENOTFOUND; known without an address →
 * CL_EDATA. Text from a document never invites an address by itself. */
static int
attendee_resolve(struct cl_drill *d, const struct cl_config *cfg, const char *who,
                 int allow_address)
{
	const struct cl_person *p = cl_config_person(cfg, who);
	char *name = NULL, *email = NULL;
	int rc;

	if (p != NULL) {
		if (p->email == NULL || cl_mail_check_address(p->email, NULL) != 0)
			return CL_EDATA;
		return attendee_add(d, p->handle, p->name, p->email);
	}
	if (!allow_address || strchr(who, '@') == NULL ||
	    (rc = split_address(who, &name, &email)) == CL_EUSAGE)
		return CL_ENOTFOUND;
	if (rc == 0)
		rc = attendee_add(d, NULL, name, email);
	free(name);
	free(email);
	return rc;
}

/* The drill timezone: the override, [drill] timezone, [closeloop] timezone, UTC. */
static const char *
drill_tz(const struct cl_config *cfg, const char *override)
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
static int
parse_at(const char *at, const char *tz, time_t *out, struct cl_error *err)
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
		if ((rc = attendee_add(d, (const char *)sqlite3_column_text(s, 0),
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
static int
drill_query(struct cl_drill **out, size_t *n, struct cl_store *st, const char *where,
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
		return drill_query(out, n, st, "WHERE p.slug = ?1 OR p.source = ?1 "
		                   "ORDER BY d.start_utc, d.id", postmortem, 0, err);
	return drill_query(out, n, st, "ORDER BY d.start_utc, d.id", NULL, 0, err);
}

int
cl_drill_get(struct cl_drill **out, struct cl_store *st, long long id, struct cl_error *err)
{
	struct cl_drill *v = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = drill_query(&v, &n, st, "WHERE d.id = ?", NULL, id, err)) != 0)
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
	return drill_query(out, n, st, unreported_only
	                   ? "WHERE d.state = 'done-fail' AND d.reported_at IS NULL ORDER BY d.done_at, d.id"
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

/* ---- preparing a drill ------------------------------------------------- */

struct pm_row {
	long long id;
	char *slug, *kind, *title, *source, *incident, *authors, *rb_owner, *rb_rto_target,
	     *rb_last_tested;
};

#define PM_T(field, expr) CL_COLUMN(CL_ROW_TEXT, struct pm_row, field, expr)
/* What pm_find loads (FROM postmortems). */
static const struct cl_column pm_cols[] = {
	CL_COLUMN(CL_ROW_INT64, struct pm_row, id, "id"),
	CL_COLUMN_NOTNULL(struct pm_row, slug, "slug"),
	CL_COLUMN_NOTNULL(struct pm_row, kind, "kind"),
	PM_T(title, "title"),
	CL_COLUMN_NOTNULL(struct pm_row, source, "source"),
	PM_T(incident, "incident_date"),
	PM_T(authors, "authors"),
	PM_T(rb_owner, "rb_owner"),
	PM_T(rb_rto_target, "rb_rto_target"),
	PM_T(rb_last_tested, "rb_last_tested"),
};
#define NPM_COLS (sizeof pm_cols / sizeof pm_cols[0])

static void
pm_row_clear(struct pm_row *p)
{
	cl_store_row_clear(p, pm_cols, NPM_COLS);
	memset(p, 0, sizeof *p);
}

/* Finds a post-mortem or runbook by slug, source or row id (name NULL). */
static int
pm_find(struct pm_row *out, struct cl_store *st, const char *name, long long rowid,
        struct cl_error *err)
{
	static char sql[512];
	sqlite3_stmt *s = NULL;
	int rc, src;

	memset(out, 0, sizeof *out);
	if ((rc = cl_store_prepare(st, &s, cl_store_select(sql, sizeof sql, pm_cols, NPM_COLS,
	                           "FROM postmortems WHERE slug = ?1 OR source = ?1 OR id = ?2 "
	                           "ORDER BY slug = ?1 DESC LIMIT 1"), err)) != 0)
		return rc;
	cl_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, name ? -1 : rowid);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		if (cl_store_row_load(out, s, pm_cols, NPM_COLS) != 0)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	} else if (src == SQLITE_DONE) {
		char *near = NULL;
		if (name == NULL || (rc = cl_postmortem_nearest(&near, st, name, err)) == 0) {
			if (near)
				rc = cl_error_set(err, CL_ENOTFOUND, "no post-mortem or runbook '%s' "
				                  "(did you mean '%s'?)", name, near);
			else
				rc = cl_error_set(err, CL_ENOTFOUND, "no post-mortem or runbook '%s' "
				                  "(import it first; see 'closeloop list')",
				                  name ? name : "?");
		}
		free(near);
	} else {
		rc = cl_store_fail(st, src, err, "reading post-mortems");
	}
	sqlite3_finalize(s);
	if (rc != 0)
		pm_row_clear(out);
	return rc;
}

/* Adds every person of a comma separated list that has an address. */
static int
add_people_list(struct cl_drill *d, const struct cl_config *cfg, const char *list)
{
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (list == NULL || *list == '\0')
		return 0;
	if ((copy = cl_strdup(list)) == NULL)
		return CL_ENOMEM;
	for (tok = strtok_r(copy, ",;", &save); tok; tok = strtok_r(NULL, ",;", &save)) {
		cl_str_trim(tok);
		if (*tok == '\0')
			continue;
		rc = attendee_resolve(d, cfg, tok, 0);
		if (rc == CL_ENOMEM)
			break;
		rc = 0;	/* people without an address are left out of a default list */
	}
	free(copy);
	return rc;
}

/* Default attendees: owners of the items (in document order), the authors,
 * and a runbook's owner. */
static int
default_attendees(struct cl_drill *d, struct cl_store *st, const struct cl_config *cfg,
                  const struct pm_row *pm, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, src;

	if ((rc = cl_store_prepare(st, &s, "SELECT owner FROM items WHERE postmortem_id = ? "
	                           "AND status <> 'withdrawn' AND owner IS NOT NULL "
	                           "GROUP BY owner ORDER BY MIN(position)", err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, pm->id);
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		rc = attendee_resolve(d, cfg, (const char *)sqlite3_column_text(s, 0), 0);
		if (rc == CL_ENOMEM)
			break;
		rc = 0;
	}
	if (rc == 0 && src != SQLITE_ROW && src != SQLITE_DONE)
		rc = cl_store_fail(st, src, err, "reading item owners");
	sqlite3_finalize(s);
	if (rc == 0)
		rc = add_people_list(d, cfg, pm->rb_owner);
	if (rc == 0)
		rc = add_people_list(d, cfg, pm->authors);
	if (rc == CL_ENOMEM)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return rc;
}

/* The organizer as "Name <addr>": [drill] organizer (a [people] handle or an
 * address), else [mail] from. */
static int
organizer_of(char **out, const struct cl_config *cfg, struct cl_error *err)
{
	const char *o = cl_config_get(cfg, "drill", "organizer");
	const struct cl_person *p;
	char *name = NULL, *email = NULL;
	int rc;

	*out = NULL;
	if (o == NULL || *o == '\0')
		o = cl_config_get(cfg, "mail", "from");
	if (o == NULL || *o == '\0')
		return cl_error_set(err, CL_ECONFIG, "no drill organizer: set [drill] organizer "
		                    "or [mail] from");
	if ((p = cl_config_person(cfg, o)) != NULL && p->email) {
		*out = p->name ? cl_asprintf("%s <%s>", p->name, p->email) : cl_strdup(p->email);
		return *out ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	if ((rc = split_address(o, &name, &email)) != 0)
		return cl_error_set(err, rc == CL_ENOMEM ? CL_ENOMEM : CL_ECONFIG,
		                    "drill organizer '%s' is not a person with an address", o);
	*out = name ? cl_asprintf("%s <%s>", name, email) : cl_strdup(email);
	free(name);
	free(email);
	return *out ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
}

/* What the drill is for, for its invite: the document, its items or the
 * runbook facts. */
static char *
describe(struct cl_store *st, const struct pm_row *pm)
{
	struct cl_buf b = CL_BUF_INIT;
	sqlite3_stmt *s = NULL;
	const char *name = pm->title && *pm->title ? cl_str_title_bare(pm->title) : pm->slug;

	if (strcmp(pm->kind, "runbook") == 0) {
		cl_buf_printf(&b, "Periodic DR drill of the runbook \"%s\" (%s).\n", name, pm->slug);
		cl_buf_printf(&b, "Runbook: %s\n", pm->source);
		if (pm->rb_owner)
			cl_buf_printf(&b, "Owner: %s\n", pm->rb_owner);
		if (pm->rb_rto_target)
			cl_buf_printf(&b, "RTO target: %s\n", pm->rb_rto_target);
		cl_buf_printf(&b, "Last tested: %s\n", pm->rb_last_tested ? pm->rb_last_tested : "never");
		cl_buf_puts(&b, "\nRun the runbook end to end and measure the actual RTO.\n");
		return cl_buf_steal(&b);
	}
	cl_buf_printf(&b, "Re-run of the drill that exposed the gap in the post-mortem "
	              "\"%s\" (%s), to verify its fixes.\n", name, pm->slug);
	cl_buf_printf(&b, "Post-mortem: %s\n", pm->source);
	if (pm->incident)
		cl_buf_printf(&b, "Incident: %s\n", pm->incident);
	if (cl_store_prepare(st, &s, "SELECT key, action, owner, status FROM items WHERE "
	                     "postmortem_id = ? AND status <> 'withdrawn' ORDER BY position",
	                     NULL) == 0) {
		int first = 1;
		sqlite3_bind_int64(s, 1, pm->id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *owner = (const char *)sqlite3_column_text(s, 2);
			if (first)
				cl_buf_puts(&b, "\nAction items:\n");
			first = 0;
			cl_buf_printf(&b, "- [%s] %s: %s%s%s%s\n",
			              strcmp((const char *)sqlite3_column_text(s, 3), "done") == 0
			              ? "x" : " ",
			              sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
			              owner ? " (" : "", owner ? owner : "", owner ? ")" : "");
		}
		sqlite3_finalize(s);
	}
	return cl_buf_steal(&b);
}

/* Fills a new drill for pm: title, description, organizer, default or given
 * attendees. */
static int
drill_new(struct cl_drill **out, struct cl_store *st, const struct cl_config *cfg,
          const struct pm_row *pm, const char *const *who, size_t nwho, struct cl_error *err)
{
	struct cl_drill *d;
	const char *name = pm->title && *pm->title ? cl_str_title_bare(pm->title) : pm->slug;
	int rc = 0;
	size_t i;

	*out = NULL;
	if ((d = cl_calloc(1, sizeof *d)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	d->rto = -1;
	d->pm_rowid = pm->id;
	d->pm_slug = cl_strdup(pm->slug);
	d->pm_kind = cl_strdup(pm->kind);
	d->pm_title = pm->title ? cl_strdup(pm->title) : NULL;
	d->pm_source = cl_strdup(pm->source);
	d->title = strcmp(pm->kind, "runbook") == 0 ? cl_asprintf("DR drill: %s", name)
	                                             : cl_asprintf("DR drill re-run: %s", name);
	d->description = describe(st, pm);
	d->state = cl_strdup("scheduled");
	d->origin = cl_strdup("manual");
	if (!d->pm_slug || !d->pm_kind || !d->pm_source || !d->title || !d->description ||
	    !d->state || !d->origin) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = organizer_of(&d->organizer, cfg, err)) != 0)
		goto done;
	for (i = 0; i < nwho; i++) {
		rc = attendee_resolve(d, cfg, who[i], 1);
		if (rc == CL_ENOTFOUND)
			rc = cl_error_set(err, CL_EUSAGE, "unknown attendee '%s': not in [people] "
			                  "and not an e-mail address", who[i]);
		else if (rc == CL_EDATA)
			rc = cl_error_set(err, CL_EUSAGE, "attendee '%s' has no e-mail address "
			                  "in [people]", who[i]);
		else if (rc != 0)
			rc = cl_error_set(err, rc, "out of memory");
		if (rc != 0)
			goto done;
	}
	if (nwho == 0 && (rc = default_attendees(d, st, cfg, pm, err)) != 0)
		goto done;
done:
	if (rc != 0)
		cl_drill_free(d);
	else
		*out = d;
	return rc;
}

static int
drill_duration(int *out, const struct cl_config *cfg, int given, struct cl_error *err)
{
	long v;
	int rc;

	if (given > 0) {
		if (given > 24 * 60)
			return cl_error_set(err, CL_EUSAGE, "a drill lasts at most 1440 minutes");
		*out = given;
		return 0;
	}
	if ((rc = cl_config_get_int(cfg, "drill", "duration_minutes", 60, 5, 24 * 60, &v, err)) != 0)
		return rc;
	*out = (int)v;
	return 0;
}

int
cl_drill_prepare(struct cl_drill **out, struct cl_store *st, const struct cl_config *cfg,
                 const struct cl_drill_request *req, struct cl_error *err)
{
	struct pm_row pm;
	struct cl_drill *d = NULL;
	const char *tz = drill_tz(cfg, req->tz);
	int rc;

	*out = NULL;
	if (!cl_tz_valid(tz) || strcmp(tz, "") == 0)
		return cl_error_set(err, CL_EUSAGE, "unknown time zone '%s'", tz);
	if ((rc = pm_find(&pm, st, req->postmortem, 0, err)) != 0)
		return rc;
	if ((rc = drill_new(&d, st, cfg, &pm, req->attendees, req->nattendees, err)) != 0)
		goto done;
	if ((d->timezone = cl_strdup(tz)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = parse_at(req->at, tz, &d->start, err)) != 0)
		goto done;
	if ((rc = drill_duration(&d->duration, cfg, req->duration, err)) != 0)
		goto done;
	if (req->every && (rc = cl_invite_rrule(&d->rrule, req->every, err)) != 0)
		goto done;
	if (d->nattendees == 0)
		rc = cl_error_set(err, CL_EDATA, "nobody to invite to a drill of '%s': no item "
		                  "owner or author has an address in [people]; use --attendee",
		                  pm.slug);
done:
	pm_row_clear(&pm);
	if (rc != 0)
		cl_drill_free(d);
	else
		*out = d;
	return rc;
}

/* ---- calendars ----------------------------------------------------------- */

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
	if ((rc = split_address(d->organizer, &org_name, &org_email)) != 0)
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

/* The id the next drill gets and its UID (inside the write transaction, or
 * a prediction for a dry run). */
static int
next_id_uid(struct cl_drill *d, struct cl_store *st, struct cl_error *err)
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
		if ((rc = next_id_uid(d, st, err)) == 0)
			rc = cl_drill_calendar(&cal, d, cfg, 0, err);
		goto done;
	}
	if ((rc = cl_store_begin(st, err)) != 0)
		return rc;
	if ((rc = next_id_uid(d, st, err)) != 0 || (rc = drill_insert(d, st, err)) != 0 ||
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
		if ((rc = parse_at(at, d->timezone, &d->start, err)) != 0)
			goto done;
		if (duration > 0 && (rc = drill_duration(&d->duration, cfg, duration, err)) != 0)
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

/* ---- proposals ----------------------------------------------------------- */

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

	pc->tz = drill_tz(pc->cfg, NULL);
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
		struct pm_row pm;
		struct cl_drill *d = NULL;
		struct cl_error e1 = { 0 };
		time_t t;

		if ((rc = pm_find(&pm, st, NULL, cand[i].pm, err)) != 0)
			goto done;
		rc = drill_new(&d, st, cfg, &pm, NULL, 0, err);
		pm_row_clear(&pm);
		if (rc != 0)
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
			if ((rc = next_id_uid(d, st, err)) != 0)
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

/* ---- mail ---------------------------------------------------------------- */


/* "Tue 2024-04-02 14:00-15:00 (Europe/Berlin)" into out. */
static void
when_text(const struct cl_drill *d, char *out, size_t size)
{
	static const char *const wd[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	struct cl_drill end = *d;
	char s[17], e[17];

	cl_drill_local_start(d, s);
	end.start = d->start + (time_t)d->duration * 60;
	cl_drill_local_start(&end, e);
	s[10] = '\0';
	snprintf(out, size, "%s %s %s-%s (%s)", wd[cl_weekday(cl_day_of(d->start, d->timezone))],
	         s, s + 11, e + 11, d->timezone);
}

static const struct cl_col invite_cols[] = {
	{ "field", "", CL_COL_ID, NULL },
	{ "value", "", CL_COL_WIDE, NULL },
};

/* The invitation (or cancellation) through the one writer. */
static void
drill_invite_write(struct cl_writer *w, const struct cl_drill *d, const char *when, int cancel)
{
	char title[512], buf[256], cmd[128];
	struct cl_buf who = CL_BUF_INIT;
	const char *row[2];
	size_t i;

	snprintf(title, sizeof title, "%s%s", cancel ? "Cancelled: " : "", d->title);
	cl_writer_start(w, title, NULL);
	cl_writer_section(w, "details", "When and who", invite_cols, 2, 0);
	snprintf(buf, sizeof buf, "%s, %d minutes", when, d->duration);
	row[0] = "When";
	row[1] = buf;
	cl_writer_row(w, row);
	if (d->rrule) {
		row[0] = "Repeats";
		row[1] = d->rrule;
		cl_writer_row(w, row);
	}
	row[0] = "Organizer";
	row[1] = d->organizer;
	cl_writer_row(w, row);
	for (i = 0; i < d->nattendees; i++)
		cl_buf_printf(&who, "%s%s", i ? ", " : "", d->attendees[i].email);
	row[0] = "Attendees";
	row[1] = cl_buf_str(&who);
	cl_writer_row(w, row);
	cl_writer_section_end(w);
	cl_buf_release(&who);
	if (d->description && *d->description)
		cl_writer_para(w, "description", d->description);
	snprintf(cmd, sizeof cmd, "Record the outcome afterwards:\n"
	         "closeloop drill done %lld --result pass|fail --rto MINUTES", d->id);
	cl_writer_para(w, NULL, cmd);
	cl_writer_end(w, "-- closeloop");
}

struct invite_args {
	const struct cl_drill *d;
	const char *when;
	int cancel;
};

/* cl_writer_mail_parts's callback for an invitation. */
static void
drill_invite_fn(struct cl_writer *w, const void *arg)
{
	const struct invite_args *a = arg;
	drill_invite_write(w, a->d, a->when, a->cancel);
}

int
cl_drill_send_mail(void *arg, const struct cl_drill *d, const char *method,
                   const char *calendar, struct cl_error *err)
{
	struct cl_drill_mailer *mailer = arg;
	struct cl_mail_spec spec;
	struct cl_mailbox *to = NULL;
	struct cl_mail *m = NULL;
	char when[128], *subject = NULL, *text = NULL, *html = NULL;
	const char *what;
	size_t i;
	int rc, cancel = strcmp(method, "CANCEL") == 0;

	if ((to = cl_calloc(d->nattendees ? d->nattendees : 1, sizeof *to)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < d->nattendees; i++) {
		to[i].name = d->attendees[i].name;
		to[i].email = d->attendees[i].email;
	}
	when_text(d, when, sizeof when);
	what = cancel ? "Cancelled" : d->sequence > 0 ? "Updated invitation" : "Invitation";
	subject = cl_asprintf("%s: %s @ %s", what, d->title, when);
	{
		struct invite_args ia = { d, when, cancel };
		rc = cl_writer_mail_parts(&text, &html, drill_invite_fn, &ia);
	}
	if (subject == NULL || rc != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	memset(&spec, 0, sizeof spec);
	spec.to = to;
	spec.nto = d->nattendees;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	spec.calendar = calendar;
	spec.method = method;
	spec.kind = "invite";
	spec.key = d->uid;
	if ((rc = cl_mail_build_cfg(&m, &spec, mailer->cfg, err)) != 0)
		goto done;
	/* logged in the drill's transaction: the drill and the mail log
	 * rows of its invite are written together, or neither */
	rc = cl_mail_deliver(mailer->st, &m, 1, mailer->cfg, mailer->trace, err);
	mailer->accepted = 0;
	for (i = 0; i < m->nrcpt; i++)
		mailer->accepted += m->rcpt[i].state == CL_MAIL_SENT;
	if (m->state == CL_MAIL_PARTIAL) {
		/* the others got it: keep the drill, and say who did not */
		mailer->refused++;
		mailer->refused_code = rc;
		snprintf(mailer->warning, sizeof mailer->warning, "drill %lld: %.400s",
		         d->id, err && err->code ? err->msg : "not every attendee accepted the mail");
		cl_error_clear(err);
		rc = 0;
	}
	if (rc == 0)
		mailer->sent++;
done:
	cl_mail_free(m);
	free(text);
	free(html);
	free(subject);
	free(to);
	return rc;
}

struct cl_drill_sender
cl_drill_mail_sender(struct cl_drill_mailer *mailer)
{
	struct cl_drill_sender s = { cl_drill_send_mail, mailer };
	return s;
}

int
cl_drill_resend_deferred(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                         const struct cl_drill_sender *send, struct cl_error *err)
{
	struct cl_drill *v = NULL, sub;
	struct cl_drill_attendee *who = NULL;
	size_t n = 0, i, j, k;
	char *cal = NULL;
	int rc, first = 0;

	*out = 0;
	if ((rc = drill_query(&v, &n, st, "WHERE d.state IN ('scheduled', 'cancelled') "
	                      "ORDER BY d.start_utc, d.id", NULL, 0, err)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		struct cl_error e = { 0 };

		for (j = k = 0; j < v[i].nattendees; j++)
			k += v[i].attendees[j].deferred;
		if (k == 0)
			continue;
		free(who);
		if ((who = cl_calloc(k, sizeof *who)) == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		for (j = k = 0; j < v[i].nattendees; j++)
			if (v[i].attendees[j].deferred)
				who[k++] = v[i].attendees[j];
		/* the calendar names every attendee; it goes to the waiting ones */
		free(cal);
		cal = NULL;
		if ((rc = cl_drill_calendar(&cal, &v[i], cfg, strcmp(v[i].state, "cancelled") == 0,
		                            &e)) == 0) {
			sub = v[i];
			sub.attendees = who;
			sub.nattendees = k;
			rc = send->send(send->arg, &sub, strcmp(v[i].state, "cancelled") == 0 ?
			                "CANCEL" : "REQUEST", cal, &e);
		}
		if (rc == 0)
			(*out)++;
		else if (!first) {
			/* the first error is returned after trying the others */
			first = rc;
			cl_error_set(err, rc, "drill %lld: %s", v[i].id, e.msg);
		}
		rc = 0;
	}
	free(who);
	free(cal);
	cl_drills_free(v, n);
	return rc != 0 ? rc : first;
}
