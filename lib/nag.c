/* nag.c — per-owner reminders with a cadence and escalation to a lead. */
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "items.h"
#include "nag.h"
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
		free(v[i].lead_subject);
		free(v[i].lead_text);
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

/* One line per item in a reminder. */
static void
nag_item_line(struct cl_buf *b, const struct cl_item *it, int today)
{
	int late = cl_item_days_overdue(it, today);

	if (late > 0)
		cl_buf_printf(b, "  - %s (%d day%s overdue, due %s)\n", it->action, late,
		              late == 1 ? "" : "s", it->due);
	else
		cl_buf_printf(b, "  - %s (due %s)\n", it->action, it->due);
	cl_buf_printf(b, "    %s, post-mortem %s%s%s%s\n", it->key,
	              it->pm_title ? it->pm_title : it->pm_slug,
	              it->url || it->ticket ? ", " : "", it->url ? it->url : "",
	              !it->url && it->ticket ? it->ticket : "");
}

/* Writes the owner's and (when escalated) the lead's message. */
static int
nag_compose(struct cl_nag *g, struct cl_item **v, size_t n, const struct nag_conf *c)
{
	struct cl_buf b = CL_BUF_INIT, l = CL_BUF_INIT;
	const char *who = g->name ? g->name : g->owner;
	size_t i;

	cl_buf_printf(&b, "Hello %s,\n\n", who);
	if (c->stale)
		cl_buf_printf(&b, "(The last sync with the issue tracker failed at %s: what the "
		              "tracker says now may differ from this list.)\n\n", c->stale);
	if (g->overdue) {
		cl_buf_printf(&b, "%zu of your post-mortem action items %s overdue:\n\n",
		              g->overdue, g->overdue == 1 ? "is" : "are");
		for (i = 0; i < n; i++)
			if (cl_item_days_overdue(v[i], c->today) > 0)
				nag_item_line(&b, v[i], c->today);
		cl_buf_putc(&b, '\n');
	}
	if (g->due_soon) {
		cl_buf_printf(&b, "Due within %ld day%s:\n\n", c->soon, c->soon == 1 ? "" : "s");
		for (i = 0; i < n; i++)
			if (cl_item_days_overdue(v[i], c->today) <= 0)
				nag_item_line(&b, v[i], c->today);
		cl_buf_putc(&b, '\n');
	}
	if (g->escalated && g->lead)
		cl_buf_printf(&b, "Items overdue for more than %ld days are also reported to %s.\n\n",
		              c->escalate, g->lead_name ? g->lead_name : g->lead);
	cl_buf_printf(&b, "Close an item in its tracker, or mark it done in the post-mortem.\n"
	              "You get this reminder at most every %ld day%s while items are due.\n"
	              "-- \ncloseloop\n", c->every, c->every == 1 ? "" : "s");
	g->text = cl_buf_steal(&b);
	if (g->overdue)
		g->subject = cl_asprintf("Reminder: %zu overdue post-mortem action item%s",
		                         g->overdue, g->overdue == 1 ? "" : "s");
	else
		g->subject = cl_asprintf("Reminder: %zu post-mortem action item%s due soon",
		                         g->due_soon, g->due_soon == 1 ? "" : "s");
	if (g->text == NULL || g->subject == NULL)
		return CL_ENOMEM;
	if (!(g->escalated && g->lead))
		return 0;
	cl_buf_printf(&l, "Hello %s,\n\n%s has %zu post-mortem action item%s overdue by more "
	              "than %ld days:\n\n", g->lead_name ? g->lead_name : g->lead, who,
	              g->escalated, g->escalated == 1 ? "" : "s", c->escalate);
	for (i = 0; i < n; i++)
		if (cl_item_days_overdue(v[i], c->today) > c->escalate)
			nag_item_line(&l, v[i], c->today);
	cl_buf_printf(&l, "\n%s was reminded at the same time. You get this because you are "
	              "listed as their lead.\n-- \ncloseloop\n", who);
	g->lead_text = cl_buf_steal(&l);
	g->lead_subject = cl_asprintf("Escalation: %zu action item%s of %s overdue more than "
	                              "%ld days", g->escalated, g->escalated == 1 ? "" : "s",
	                              who, c->escalate);
	return g->lead_text && g->lead_subject ? 0 : CL_ENOMEM;
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
		if (g->last_sent) {
			time_t t;
			struct tm tm;
			if (cl_time_parse(g->last_sent, &t) == 0 && cl_localtime(t, c.tz, &tm) == 0 &&
			    c.today - cl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)
			    < c.every)
				g->skipped = 1;
		}
		if (nag_compose(g, mine, nm, &c) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
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


/* The HTML alternative of a reminder: paragraphs, item lists, escaped. */
static char *
nag_html(const char *text)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *p = text;
	int in_list = 0, in_item = 0, in_par = 0;

	cl_buf_puts(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\" /></head>"
	            "<body style=\"font-family:Helvetica,Arial,sans-serif;color:#222\">\n");
	while (*p) {
		size_t len = strcspn(p, "\n");
		const char *q;

		if (len == 0) {
			if (in_item)
				cl_buf_puts(&b, "</li>");
			if (in_list)
				cl_buf_puts(&b, "</ul>\n");
			if (in_par)
				cl_buf_puts(&b, "</p>\n");
			in_item = in_list = in_par = 0;
		} else if (len >= 4 && strncmp(p, "  - ", 4) == 0) {
			if (in_par)
				cl_buf_puts(&b, "</p>\n");
			in_par = 0;
			if (in_item)
				cl_buf_puts(&b, "</li>\n");
			if (!in_list)
				cl_buf_puts(&b, "<ul>\n");
			in_list = in_item = 1;
			cl_buf_puts(&b, "<li><b>");
			cl_buf_html_n(&b, p + 4, len - 4);
			cl_buf_puts(&b, "</b>");
		} else if (in_item) {
			cl_buf_puts(&b, "<br />");
			for (q = p; q < p + len && *q == ' '; q++)
				;
			cl_buf_html_n(&b, q, (size_t)(p + len - q));
		} else {
			cl_buf_puts(&b, in_par ? "<br />" : "<p>");
			in_par = 1;
			cl_buf_html_n(&b, p, len);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (in_item)
		cl_buf_puts(&b, "</li>");
	if (in_list)
		cl_buf_puts(&b, "</ul>\n");
	if (in_par)
		cl_buf_puts(&b, "</p>\n");
	cl_buf_puts(&b, "</body></html>\n");
	return b.oom ? (cl_buf_release(&b), NULL) : cl_buf_steal(&b);
}

/* Builds one message to a single person. */
static int
nag_mail(struct cl_mail **out, const struct cl_config *cfg, const char *kind,
         const char *key, const char *name, const char *email, const char *subject,
         const char *text, struct cl_error *err)
{
	struct cl_mailbox to = { (char *)name, (char *)email };
	struct cl_mail_spec spec = { 0 };
	char *html = nag_html(text);
	int rc;

	if (html == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	spec.to = &to;
	spec.nto = 1;
	spec.subject = subject;
	spec.text = text;
	spec.html = html;
	spec.kind = kind;
	spec.key = key;
	rc = cl_mail_build_cfg(out, &spec, cfg, err);
	free(html);
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
		if (g->skipped || g->email == NULL)
			continue;
		if ((rc = nag_mail(&mails[nm], cfg, "nag", g->owner, g->name, g->email,
		                   g->subject, g->text, err)) != 0) {
			cl_error_prefix(err, "reminder to %s", g->owner);
			goto done;
		}
		nm++;
		if (g->lead_text == NULL)
			continue;
		if ((rc = nag_mail(&mails[nm], cfg, "escalation", g->owner, g->lead_name, g->lead,
		                   g->lead_subject, g->lead_text, err)) != 0) {
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
