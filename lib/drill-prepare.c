/* drill-prepare.c — a new drill for a post-mortem or runbook: its title,
 * description, organizer and attendees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "drill-int.h"
#include "import.h"
#include "invite.h"
#include "mail.h"
#include "util.h"

/* Splits "Name <addr>" or "addr" into name (may be NULL) and address, both
 * newly allocated, with the one address parser (cl_mailbox_parse_list);
 * CL_EUSAGE when it is not exactly one valid address. */
int
cl_drill_split_address(const char *s, char **name, char **email)
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
		return cl_drill_attendee_add(d, p->handle, p->name, p->email);
	}
	if (!allow_address || strchr(who, '@') == NULL ||
	    (rc = cl_drill_split_address(who, &name, &email)) == CL_EUSAGE)
		return CL_ENOTFOUND;
	if (rc == 0)
		rc = cl_drill_attendee_add(d, NULL, name, email);
	free(name);
	free(email);
	return rc;
}

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
	if ((rc = cl_drill_split_address(o, &name, &email)) != 0)
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

/* A drill's length in minutes: the given one (at most a day) or [drill]
 * duration_minutes. */
int
cl_drill_duration(int *out, const struct cl_config *cfg, int given, struct cl_error *err)
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
	const char *tz = cl_drill_tz(cfg, req->tz);
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
	if ((rc = cl_drill_parse_at(req->at, tz, &d->start, err)) != 0)
		goto done;
	if ((rc = cl_drill_duration(&d->duration, cfg, req->duration, err)) != 0)
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

int
cl_drill_new_for(struct cl_drill **out, struct cl_store *st, const struct cl_config *cfg,
                 long long pm_rowid, struct cl_error *err)
{
	struct pm_row pm;
	int rc;

	*out = NULL;
	if ((rc = pm_find(&pm, st, NULL, pm_rowid, err)) != 0)
		return rc;
	rc = drill_new(out, st, cfg, &pm, NULL, 0, err);
	pm_row_clear(&pm);
	return rc;
}
