/* nag.c — per-owner reminders with a cadence and escalation to a lead. */
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "items.h"
#include "nag.h"
#include "writer.h"
#include "util.h"

struct nag_conf {
	long soon, every, escalate;
	const char *escalate_to;
	const char *tz;
	int today;
	char *stale;	/* when the last tracker sync failed (meta), or NULL */
};

static int
nag_conf_load(struct nag_conf *c, const struct cl_config *cfg, struct cl_error *err)
{
	int rc;

	if ((rc = cl_config_get_int(cfg, "nag", "due_soon_days", 3, 0, 365, &c->soon, err)) != 0 ||
	    (rc = cl_config_get_int(cfg, "nag", "every_days", 7, 1, 365, &c->every, err)) != 0 ||
	    (rc = cl_config_get_int(cfg, "nag", "escalate_after_days", 14, 1, 3650,
	                            &c->escalate, err)) != 0)
		return rc;
	c->escalate_to = cl_config_get(cfg, "nag", "escalate_to");
	c->tz = cl_config_timezone(cfg);
	c->today = cl_today(c->tz);
	return 0;
}

void
cl_nags_free(struct cl_nag *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].owner);
		free(v[i].name);
		free(v[i].email);
		free(v[i].lead);
		free(v[i].lead_name);
		free(v[i].subject);
		free(v[i].text);
		free(v[i].html);
		free(v[i].lead_subject);
		free(v[i].lead_text);
		free(v[i].lead_html);
		free(v[i].last_sent);
	}
	free(v);
}

/* The owner an item is grouped under: handle, else raw text, else NULL. */
static const char *
nag_owner(const struct cl_item *it)
{
	if (it->owner && *it->owner)
		return it->owner;
	if (it->owner_raw && *it->owner_raw)
		return it->owner_raw;
	return NULL;
}

/* Resolves the escalation target of a person: their lead, else [nag]
 * escalate_to (an address, "Name <addr>", or a [people] handle). */
static int
nag_lead(struct cl_nag *g, const struct cl_config *cfg, const struct cl_person *p,
         const char *escalate_to)
{
	const struct cl_person *l = NULL;
	struct cl_mailbox *mb = NULL;
	const char *email = NULL, *name = NULL;
	size_t n = 0;

	if (p && p->lead)
		l = cl_config_person(cfg, p->lead);
	if (l == NULL || l->email == NULL) {
		l = NULL;
		if (escalate_to && *escalate_to) {
			if ((l = cl_config_person(cfg, escalate_to)) != NULL && l->email == NULL)
				l = NULL;
			if (l == NULL && strchr(escalate_to, '@') &&
			    cl_mailbox_parse_list(&mb, &n, escalate_to, NULL) == 0 && n == 1) {
				email = mb[0].email;
				name = mb[0].name;
			}
		}
	}
	if (l != NULL) {
		email = l->email;
		name = l->name;
	}
	if (email && (g->lead = cl_strdup(email)) == NULL)
		goto oom;
	if (name && (g->lead_name = cl_strdup(name)) == NULL)
		goto oom;
	cl_mailboxes_free(mb, n);
	return 0;
oom:
	cl_mailboxes_free(mb, n);
	return CL_ENOMEM;
}

/* Whether the escalation that went with the owner's last reminder was
 * deferred (4xx, server down) and has had no final answer since: the lead
 * is then owed it although the owner is within the cadence. */
static int
nag_lead_pending(int *out, struct cl_store *st, const struct cl_nag *g, struct cl_error *err)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT EXISTS (SELECT 1 FROM mail_log WHERE kind = "
	                           "'escalation' AND key = ?1 AND recipient = lower(?2) AND "
	                           "status = 'deferred' AND at >= ?3) AND NOT EXISTS (SELECT 1 "
	                           "FROM mail_log WHERE kind = 'escalation' AND key = ?1 AND "
	                           "recipient = lower(?2) AND status IN ('sent', 'rejected') "
	                           "AND at >= ?3)", err)) != 0)
		return rc;
	cl_bind_text(s, 1, g->owner);
	cl_bind_text(s, 2, g->lead);
	cl_bind_text(s, 3, g->last_sent);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*out = sqlite3_column_int(s, 0);
		rc = 0;
	} else {
		rc = cl_store_fail(st, rc, err, "mail log");
	}
	sqlite3_finalize(s);
	return rc;
}

static const struct cl_col nag_cols[] = {
	{ "days_overdue", "Late", CL_COL_INT, "d" },
	{ "id", "Item", CL_COL_ID, NULL },
	{ "action", "Action", CL_COL_WIDE, NULL },
	{ "postmortem", "Post-mortem", CL_COL_TEXT, NULL },
	{ "due", "Due", CL_COL_DATE, NULL },
	{ "link", "Tracker", CL_COL_LINK, NULL },
};

/* A section of a reminder: the items of v that pick(late) selects. */
static void
nag_section(struct cl_writer *w, const char *key, const char *title, struct cl_item **v,
            size_t n, int today, int min_late, int max_late)
{
	size_t i;

	cl_writer_section(w, key, title, nag_cols, 6, 0);
	for (i = 0; i < n; i++) {
		int late = cl_item_days_overdue(v[i], today);
		char days[24];
		const char *vals[6];
		if (late < min_late || late > max_late)
			continue;
		snprintf(days, sizeof days, "%d", late);
		vals[0] = late > 0 ? days : "";
		vals[1] = v[i]->key;
		vals[2] = v[i]->action;
		vals[3] = v[i]->pm_title ? cl_str_title_bare(v[i]->pm_title) : v[i]->pm_slug;
		vals[4] = v[i]->due;
		vals[5] = v[i]->url ? v[i]->url : v[i]->ticket;
		cl_writer_row(w, vals);
	}
	cl_writer_section_end(w);
}

/* The owner's reminder through w. */
static void
nag_write(struct cl_writer *w, const struct cl_nag *g, struct cl_item **v, size_t n,
          const struct nag_conf *c)
{
	const char *who = g->name ? g->name : g->owner;
	char line[512];

	cl_writer_start(w, g->subject, NULL);
	snprintf(line, sizeof line, "Hello %s,", who);
	cl_writer_para(w, NULL, line);
	if (c->stale) {
		snprintf(line, sizeof line, "the last sync with the issue tracker failed at %s: "
		         "what the tracker says now may differ from this list.", c->stale);
		cl_writer_warning(w, "warning", line);
	}
	if (g->overdue) {
		snprintf(line, sizeof line, "%zu of your post-mortem action items %s overdue",
		         g->overdue, g->overdue == 1 ? "is" : "are");
		nag_section(w, "overdue", line, v, n, c->today, 1, 1 << 30);
	}
	if (g->due_soon) {
		snprintf(line, sizeof line, "Due within %ld day%s", c->soon, c->soon == 1 ? "" : "s");
		nag_section(w, "due_soon", line, v, n, c->today, -(1 << 30), 0);
	}
	if (g->escalated && g->lead) {
		snprintf(line, sizeof line, "Items overdue for more than %ld days are also reported "
		         "to %s.", c->escalate, g->lead_name ? g->lead_name : g->lead);
		cl_writer_para(w, NULL, line);
	}
	snprintf(line, sizeof line, "Close an item in its tracker, or mark it done in the "
	         "post-mortem.\nYou get this reminder at most every %ld day%s while items are due.",
	         c->every, c->every == 1 ? "" : "s");
	cl_writer_para(w, NULL, line);
	cl_writer_end(w, "-- closeloop");
}

/* The lead's escalation through w. */
static void
nag_write_lead(struct cl_writer *w, const struct cl_nag *g, struct cl_item **v, size_t n,
               const struct nag_conf *c)
{
	const char *who = g->name ? g->name : g->owner;
	char line[512];

	cl_writer_start(w, g->lead_subject, NULL);
	snprintf(line, sizeof line, "Hello %s,", g->lead_name ? g->lead_name : g->lead);
	cl_writer_para(w, NULL, line);
	snprintf(line, sizeof line, "%s has %zu post-mortem action item%s overdue by more than "
	         "%ld days", who, g->escalated, g->escalated == 1 ? "" : "s", c->escalate);
	nag_section(w, "overdue", line, v, n, c->today, (int)c->escalate + 1, 1 << 30);
	snprintf(line, sizeof line, "%s was reminded at the same time. You get this because you "
	         "are listed as their lead.", who);
	cl_writer_para(w, NULL, line);
	cl_writer_end(w, "-- closeloop");
}

struct nag_args {
	void (*fn)(struct cl_writer *, const struct cl_nag *, struct cl_item **, size_t,
	           const struct nag_conf *);
	const struct cl_nag *g;
	struct cl_item **v;
	size_t n;
	const struct nag_conf *c;
};

/* cl_writer_mail_parts's callback for a reminder or an escalation. */
static void
nag_fn(struct cl_writer *w, const void *arg)
{
	const struct nag_args *a = arg;
	a->fn(w, a->g, a->v, a->n, a->c);
}

/* Renders a message in text and HTML through the one writer. */
static int
nag_render(char **text, char **html,
           void (*fn)(struct cl_writer *, const struct cl_nag *, struct cl_item **, size_t,
                      const struct nag_conf *),
           const struct cl_nag *g, struct cl_item **v, size_t n, const struct nag_conf *c)
{
	struct nag_args a = { fn, g, v, n, c };
	return cl_writer_mail_parts(text, html, nag_fn, &a);
}

/* Writes the owner's and (when escalated) the lead's message. */
static int
nag_compose(struct cl_nag *g, struct cl_item **v, size_t n, const struct nag_conf *c)
{
	const char *who = g->name ? g->name : g->owner;

	if (g->overdue)
		g->subject = cl_asprintf("Reminder: %zu overdue post-mortem action item%s",
		                         g->overdue, g->overdue == 1 ? "" : "s");
	else
		g->subject = cl_asprintf("Reminder: %zu post-mortem action item%s due soon",
		                         g->due_soon, g->due_soon == 1 ? "" : "s");
	if (g->subject == NULL || nag_render(&g->text, &g->html, nag_write, g, v, n, c) != 0)
		return CL_ENOMEM;
	if (!(g->escalated && g->lead))
		return 0;
	g->lead_subject = cl_asprintf("Escalation: %zu action item%s of %s overdue more than "
	                              "%ld days", g->escalated, g->escalated == 1 ? "" : "s",
	                              who, c->escalate);
	if (g->lead_subject == NULL ||
	    nag_render(&g->lead_text, &g->lead_html, nag_write_lead, g, v, n, c) != 0)
		return CL_ENOMEM;
	return 0;
}

/* True when a reminder sent at last (UTC, may be NULL) is less than
 * every_days old: the owner is skipped this time. */
static int
nag_recent(const struct nag_conf *c, const char *last)
{
	time_t t;

	return last != NULL && cl_time_parse(last, &t) == 0 &&
	       c->today - cl_day_of(t, c->tz) < c->every;
}

int
cl_nag_due_date(char out[11], const struct cl_config *cfg, struct cl_error *err)
{
	struct nag_conf c;
	int rc;

	if ((rc = nag_conf_load(&c, cfg, err)) != 0)
		return rc;
	cl_date_format(c.today + (int)c.soon, out);
	return 0;
}

int
cl_nag_due_owners(size_t *due_now, time_t *next_at, struct cl_store *st,
                  const struct cl_config *cfg, const char *const *owners, size_t n,
                  struct cl_error *err)
{
	const char **seen = NULL;
	struct nag_conf c;
	size_t nseen = 0, k;
	int rc;

	*due_now = 0;
	*next_at = 0;
	if ((rc = nag_conf_load(&c, cfg, err)) != 0)
		return rc;
	if (n > 0 && (seen = cl_calloc(n, sizeof *seen)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	/* the owners cl_nag_plan would group (case-insensitively) */
	for (k = 0; k < n; k++) {
		const struct cl_person *p = cl_config_person(cfg, owners[k]);
		char *last = NULL;
		size_t i;
		time_t t;
		for (i = 0; i < nseen && !cl_str_ieq(seen[i], owners[k]); i++)
			;
		if (i < nseen || p == NULL || p->email == NULL)
			continue;
		seen[nseen++] = owners[k];
		if ((rc = cl_mail_log_answered(&last, st, "nag", p->handle, p->email, err)) != 0)
			break;
		if (!nag_recent(&c, last))
			(*due_now)++;
		else if (cl_time_parse(last, &t) == 0 &&
		         (*next_at == 0 || t + (time_t)c.every * 86400 < *next_at))
			*next_at = t + (time_t)c.every * 86400;
		free(last);
	}
	free(seen);
	return rc;
}

int
cl_nag_due(size_t *due_now, time_t *next_at, struct cl_store *st, const struct cl_config *cfg,
           struct cl_error *err)
{
	char soon[11], **owners = NULL;
	size_t n = 0;
	int rc;

	*due_now = 0;
	*next_at = 0;
	if ((rc = cl_nag_due_date(soon, cfg, err)) != 0)
		return rc;
	/* the owners with an item due soon, without loading their items */
	if ((rc = cl_store_strings(&owners, &n, st, "SELECT DISTINCT coalesce(nullif(owner, ''), "
	                           "nullif(owner_raw, '')) AS o FROM items WHERE status = 'open' "
	                           "AND due <= ?1 AND o IS NOT NULL", soon, "reminders",
	                           err)) != 0)
		return rc;
	rc = cl_nag_due_owners(due_now, next_at, st, cfg, (const char *const *)owners, n, err);
	cl_store_strings_free(owners, n);
	return rc;
}

int
cl_nag_plan(struct cl_nag **out, size_t *n, struct cl_store *st,
            const struct cl_config *cfg, struct cl_error *err)
{
	struct cl_item_filter f = { 0 };
	struct cl_item *items = NULL, **mine = NULL;
	struct cl_nag *v = NULL;
	struct nag_conf c;
	size_t ni = 0, nv = 0, i, j, k;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = nag_conf_load(&c, cfg, err)) != 0)
		return rc;
	c.stale = cl_store_meta_get(st, "sync_failed_at");
	f.status = CL_ITEMS_OPEN;
	if ((rc = cl_items_list(&items, &ni, st, &f, err)) != 0) {
		free(c.stale);
		return rc;
	}
	if ((v = cl_calloc(ni ? ni : 1, sizeof *v)) == NULL ||
	    (mine = cl_calloc(ni ? ni : 1, sizeof *mine)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	/* items come sorted by due date, so each owner's list is too */
	for (i = 0; i < ni; i++) {
		const char *owner = nag_owner(&items[i]);
		const struct cl_person *p;
		struct cl_nag *g;
		size_t nm = 0;
		int due;

		if (owner == NULL || items[i].due == NULL ||
		    cl_date_parse_iso(items[i].due, &due) != 0 || due > c.today + c.soon)
			continue;
		for (j = 0; j < nv; j++)
			if (cl_str_ieq(v[j].owner, owner))
				break;
		if (j < nv)
			continue;	/* owner done already */
		g = &v[nv++];
		p = cl_config_person(cfg, owner);
		g->owner = cl_strdup(p ? p->handle : owner);
		g->name = p && p->name ? cl_strdup(p->name) : NULL;
		g->email = p && p->email ? cl_strdup(p->email) : NULL;
		if (g->owner == NULL || nag_lead(g, cfg, p, c.escalate_to) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		for (k = i; k < ni; k++) {
			const char *o = nag_owner(&items[k]);
			int d, late;
			if (o == NULL || !cl_str_ieq(o, owner) || items[k].due == NULL ||
			    cl_date_parse_iso(items[k].due, &d) != 0 || d > c.today + c.soon)
				continue;
			mine[nm++] = &items[k];
			late = cl_item_days_overdue(&items[k], c.today);
			if (late > 0)
				g->overdue++;
			else
				g->due_soon++;
			if (late > c.escalate)
				g->escalated++;
		}
		/* a permanent refusal counts too: retried once per cadence, not on
		 * every run (the weekly report lists the refused owners) */
		if (g->email && (rc = cl_mail_log_answered(&g->last_sent, st, "nag", g->owner,
		                                           g->email, err)) != 0)
			goto done;
		g->skipped = nag_recent(&c, g->last_sent);
		if (nag_compose(g, mine, nm, &c) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (g->skipped && g->lead_text &&
		    (rc = nag_lead_pending(&g->lead_pending, st, g, err)) != 0)
			goto done;
	}
done:
	free(c.stale);
	free(mine);
	cl_items_free(items, ni);
	if (rc != 0) {
		cl_nags_free(v, nv);
		return rc;
	}
	*out = v;
	*n = nv;
	return 0;
}


/* Builds one message to a single person. */
static int
nag_mail(struct cl_mail **out, const struct cl_config *cfg, const char *kind,
         const char *key, const char *name, const char *email, const char *subject,
         const char *text, const char *html, struct cl_error *err)
{
	struct cl_mailbox to = { (char *)name, (char *)email };
	struct cl_mail_spec spec = { 0 };
	int rc;

	spec.to = &to;
	spec.nto = 1;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	spec.kind = kind;
	spec.key = key;
	rc = cl_mail_build_cfg(out, &spec, cfg, err);
	return rc;
}

int
cl_nag_send(struct cl_nag *v, size_t n, struct cl_store *st, const struct cl_config *cfg,
            FILE *trace, size_t *sent, struct cl_error *err)
{
	struct cl_mail **mails = NULL;
	size_t nm = 0, i;
	int rc = 0;

	*sent = 0;
	if ((mails = cl_calloc(2 * n + 1, sizeof *mails)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		struct cl_nag *g = &v[i];
		if (g->email == NULL || (g->skipped && !g->lead_pending))
			continue;
		if (!g->skipped) {
			if ((rc = nag_mail(&mails[nm], cfg, "nag", g->owner, g->name, g->email,
			                   g->subject, g->text, g->html, err)) != 0) {
				cl_error_prefix(err, "reminder to %s", g->owner);
				goto done;
			}
			nm++;
		}
		/* the lead's message: with the owner's, or owed since a deferral */
		if (g->lead_text == NULL)
			continue;
		if ((rc = nag_mail(&mails[nm], cfg, "escalation", g->owner, g->lead_name, g->lead,
		                   g->lead_subject, g->lead_text, g->lead_html, err)) != 0) {
			cl_error_prefix(err, "escalation for %s", g->owner);
			goto done;
		}
		nm++;
	}
	if (nm == 0)
		goto done;
	/* each accepted reminder is logged as the server takes it: a run killed
	 * in the middle of the batch does not send those again */
	rc = cl_mail_deliver(st, mails, nm, cfg, trace, err);
	for (i = 0; i < nm; i++)
		if (mails[i]->state == CL_MAIL_SENT || mails[i]->state == CL_MAIL_PARTIAL)
			(*sent)++;
done:
	cl_mails_free(mails, nm);
	return rc;
}

void
cl_nag_refusals_free(struct cl_nag_refusal *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].owner);
		free(v[i].email);
		free(v[i].detail);
		free(v[i].at);
	}
	free(v);
}

int
cl_nag_refused(struct cl_nag_refusal **out, size_t *n, struct cl_store *st,
               struct cl_error *err)
{
	struct cl_nag_refusal *v = NULL, *nv;
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, src;

	*out = NULL;
	*n = 0;
	/* the latest answer per owner and address, when it was a refusal */
	if ((rc = cl_store_prepare(st, &s, "SELECT key, recipient, code, detail, at FROM "
	                           "mail_log m WHERE kind = 'nag' AND status = 'rejected' AND "
	                           "id = (SELECT max(id) FROM mail_log WHERE kind = 'nag' AND "
	                           "key = m.key AND recipient = m.recipient AND status IN "
	                           "('sent', 'rejected')) ORDER BY key, recipient", err)) != 0)
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		struct cl_nag_refusal *r;

		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			if ((nv = cl_realloc(v, cap * sizeof *v)) == NULL)
				goto oom;
			v = nv;
		}
		r = &v[*n];
		memset(r, 0, sizeof *r);
		(*n)++;
		r->code = sqlite3_column_int(s, 2);
		if ((r->owner = cl_column_dup(s, 0)) == NULL ||
		    (r->email = cl_column_dup(s, 1)) == NULL ||
		    (sqlite3_column_type(s, 3) != SQLITE_NULL &&
		     (r->detail = cl_column_dup(s, 3)) == NULL) ||
		    (r->at = cl_column_dup(s, 4)) == NULL)
			goto oom;
	}
	sqlite3_finalize(s);
	if (src != SQLITE_DONE) {
		cl_nag_refusals_free(v, *n);
		*n = 0;
		return cl_store_fail(st, src, err, "mail log");
	}
	*out = v;
	return 0;
oom:
	sqlite3_finalize(s);
	cl_nag_refusals_free(v, *n);
	*n = 0;
	return cl_error_set(err, CL_ENOMEM, "out of memory");
}
