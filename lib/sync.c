/* sync.c — the two-way sync engine: pull, link, adopt, push. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dates.h"
#include "items.h"
#include "item-store.h"
#include "sync.h"
#include "util.h"

/* One item with its sync row, loaded before the push. */
struct srow {
	long long id;
	char *key, *action, *owner, *due, *status, *doc_ticket;
	char *title;		/* the action as the tracker keeps it as a title */
	char *pm_title, *pm_date, *pm_sev, *pm_source;
	int has_sync, gone;
	char *ticket, *origin, *intent_at;
	char *s_title, *s_body, *s_state, *s_assignee, *s_due;
	char *p_assignee, *p_due;	/* last pushed ('' none; NULL not known) */
};

struct sync {
	struct cl_store *st;
	const struct cl_config *cfg;
	struct cl_tracker *t;
	const struct cl_sync_opts *o;
	struct cl_sync_stats *stats;
	struct cl_error *err;
	FILE *plan;
	int wrote;		/* anything written to the tracker this run */
	int work, done;		/* progress */
	int bar_done;
};

#define SR(type, field, expr) CL_COLUMN(type, struct srow, field, expr)
#define SR_T(field, expr) CL_COLUMN(CL_ROW_TEXT, struct srow, field, expr)
/* What an item and its sync row are loaded from (sync_load). */
static const struct cl_column srow_cols[] = {
	SR(CL_ROW_INT64, id, "i.id"),
	CL_COLUMN_NOTNULL(struct srow, key, "i.key"),
	CL_COLUMN_NOTNULL(struct srow, action, "i.action"),
	SR_T(owner, "i.owner"),
	SR_T(due, "i.due"),
	CL_COLUMN_NOTNULL(struct srow, status, "i.status"),
	SR_T(doc_ticket, "i.doc_ticket"),
	SR_T(pm_title, "p.title"),
	SR_T(pm_date, "p.incident_date"),
	SR_T(pm_sev, "p.severity"),
	SR_T(pm_source, "p.source"),
	SR(CL_ROW_INT, has_sync, "si.item_id IS NOT NULL"),
	SR(CL_ROW_INT, gone, "si.gone"),
	SR_T(ticket, "si.ticket"),
	SR_T(origin, "si.origin"),
	SR_T(intent_at, "si.intent_at"),
	SR_T(s_title, "si.synced_title"),
	SR_T(s_body, "si.synced_body"),
	SR_T(s_state, "si.synced_state"),
	SR_T(s_assignee, "si.synced_assignee"),
	SR_T(s_due, "si.synced_due"),
	SR_T(p_assignee, "si.pushed_assignee"),
	SR_T(p_due, "si.pushed_due"),
	SR_T(title, "NULL"),	/* made from the action (sync_title) */
};
#define NSROW_COLS (sizeof srow_cols / sizeof srow_cols[0])

static void
srow_clear(struct srow *r)
{
	cl_store_row_clear(r, srow_cols, NSROW_COLS);
	memset(r, 0, sizeof *r);
}

static void
now_utc(char out[21])
{
	cl_time_format_utc(cl_now(), out);
}

/* Draws the progress bar when asked for and there is enough work. */
static void
sync_progress(struct sync *s, int force_end)
{
	int width = 30, fill;

	if (!s->o->progress || s->work < 40 || s->bar_done)
		return;
	if (!force_end && s->done % 25 != 0 && s->done != s->work)
		return;
	fill = s->work ? (int)((long)width * s->done / s->work) : width;
	fprintf(stderr, "\rsync [%.*s%*s] %d/%d", fill, "##############################",
	        width - fill, "", s->done, s->work);
	if (force_end || s->done >= s->work) {
		fputc('\n', stderr);
		s->bar_done = 1;
	}
	fflush(stderr);
}

char *
cl_sync_body(const struct cl_item *it, int due_in_body)
{
	struct cl_buf b = CL_BUF_INIT;
	char *m;

	cl_buf_printf(&b, "%s\n\n", it->action);
	cl_buf_printf(&b, "Post-mortem: %s", it->pm_title ? it->pm_title : it->pm_slug);
	if (it->pm_date || it->pm_severity) {
		cl_buf_puts(&b, " (");
		if (it->pm_date)
			cl_buf_puts(&b, it->pm_date);
		if (it->pm_severity)
			cl_buf_printf(&b, "%sseverity %s", it->pm_date ? ", " : "", it->pm_severity);
		cl_buf_puts(&b, ")");
	}
	cl_buf_printf(&b, "\nSource: %s\n", it->pm_source ? it->pm_source : "-");
	cl_buf_printf(&b, "Owner: %s\n", it->owner ? it->owner : "-");
	if (due_in_body)
		cl_buf_printf(&b, "Due: %s\n", it->due ? it->due : "-");
	/* a line of its own that no action text produces (cl_tracker_marker_find) */
	if ((m = cl_tracker_marker_line(it->key)) == NULL) {
		cl_buf_release(&b);
		return NULL;
	}
	cl_buf_printf(&b, "\n%s\n", m);
	free(m);
	return cl_buf_steal(&b);
}

/* The body for a loaded row. */
static char *
srow_body(struct sync *s, const struct srow *r)
{
	struct cl_item it;

	memset(&it, 0, sizeof it);
	it.key = r->key;
	it.action = r->action;
	it.owner = r->owner;
	it.due = r->due;
	it.pm_slug = r->key;
	it.pm_title = r->pm_title;
	it.pm_date = r->pm_date;
	it.pm_severity = r->pm_sev;
	it.pm_source = r->pm_source;
	return cl_sync_body(&it, !(s->t->ops->caps & CL_TRACKER_CAP_DUE_DATE));
}

static void
body_hash(const char *body, char out[65])
{
	cl_sha256_hex(body, strlen(body), out);
}

/* True when the body closeloop last wrote (sha) is body with the marker
 * line of versions before the HTML comment: nothing to push, that line is
 * still a marker (cl_tracker_marker_find). Spares a rewrite of every issue
 * after an upgrade. */
static int
legacy_body_same(const char *body, const char *key, const char *sha)
{
	const char *m = strstr(body, "\n<!-- closeloop:");
	char *old, h[65];
	int same;

	if (sha == NULL || m == NULL)
		return 0;
	if ((old = cl_asprintf("%.*s\nTracked by closeloop, do not remove this line: "
	                       "closeloop:%s\n", (int)(m - body), body, key)) == NULL)
		return 0;
	body_hash(old, h);
	same = strcmp(h, sha) == 0;
	free(old);
	return same;
}

/* The tracker handle an owner maps to, in the form tickets carry. */
static char *
sync_assignee_for(struct sync *s, const char *owner)
{
	const struct cl_person *p = cl_config_person(s->cfg, owner);
	struct cl_error e = { 0 };
	char *out = NULL;

	if (p == NULL || p->tracker == NULL || *p->tracker == '\0')
		return NULL;
	if (!(s->t->ops->caps & CL_TRACKER_CAP_ASSIGNEE))
		return NULL;
	if (s->t->ops->canon_user == NULL)
		return cl_strdup(p->tracker);
	if (s->t->ops->canon_user(s->t, &out, p->tracker, &e) != 0)
		return NULL;
	return out;
}

/* The owner handle for a tracker assignee: the [people] handle whose
 * tracker name matches, else the tracker's own name. */
static char *
sync_owner_for(struct sync *s, const char *assignee)
{
	size_t i, n = cl_config_people_count(s->cfg);

	for (i = 0; i < n; i++) {
		const struct cl_person *p = cl_config_person_at(s->cfg, i);
		char *a;
		if (p->tracker == NULL)
			continue;
		if ((a = sync_assignee_for(s, p->handle)) != NULL) {
			int same = strcmp(a, assignee) == 0;
			free(a);
			if (same)
				return cl_strdup(p->handle);
		}
	}
	return cl_strdup(assignee);
}

static const char *
state_name(int state)
{
	return state == CL_TICKET_CLOSED ? "closed" : "open";
}

/* Runs a one-off statement to completion and finalizes it (import's
 * step_done resets a cached one instead). */
static int
step_finalize(struct sync *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(s->st, rc, s->err, what);
}

/* Records a problem on an item (its own transaction). */
static int
sync_item_error(struct sync *s, long long item, const char *key, const char *msg, int gone)
{
	sqlite3_stmt *q;
	char now[21];
	int rc;

	s->stats->item_errors++;
	fprintf(s->plan, "%s: %s\n", key, msg);
	if (s->o->dry_run)
		return 0;
	now_utc(now);
	if ((rc = cl_store_prepare(s->st, &q, "INSERT INTO sync_items (item_id, tracker, error, "
	                           "error_at, gone) VALUES (?, ?, ?, ?, ?) ON CONFLICT (item_id) "
	                           "DO UPDATE SET error = excluded.error, error_at = "
	                           "excluded.error_at, gone = max(gone, excluded.gone)", s->err)) != 0)
		return rc;
	sqlite3_bind_int64(q, 1, item);
	sqlite3_bind_text(q, 2, s->t->ident, -1, SQLITE_STATIC);
	cl_bind_text(q, 3, msg);
	cl_bind_text(q, 4, now);
	sqlite3_bind_int(q, 5, gone);
	return step_finalize(s, q, "recording a sync problem");
}

/* Stores the values last written/read for a linked item. */
static int
sync_store_synced(struct sync *s, long long item, const char *title, const char *body_sha,
                  const char *state, const char *assignee, const char *due)
{
	sqlite3_stmt *q;
	char now[21];
	int rc;

	now_utc(now);
	if ((rc = cl_store_prepare(s->st, &q, "UPDATE sync_items SET synced_title = ?, "
	                           "synced_body = coalesce(?, synced_body), synced_state = ?, "
	                           "synced_assignee = ?, synced_due = ?, synced_at = ?, "
	                           "error = NULL, error_at = NULL WHERE item_id = ?", s->err)) != 0)
		return rc;
	cl_bind_text(q, 1, title);
	cl_bind_text(q, 2, body_sha);
	cl_bind_text(q, 3, state);
	cl_bind_text(q, 4, assignee);
	cl_bind_text(q, 5, due);
	cl_bind_text(q, 6, now);
	sqlite3_bind_int64(q, 7, item);
	return step_finalize(s, q, "storing sync state");
}

/* Records the document's assignee and due date as pushed (NULL: none);
 * due_too = 0 leaves pushed_due alone. */
static int
sync_store_pushed(struct sync *s, long long item, const char *assignee, const char *due,
                  int due_too)
{
	sqlite3_stmt *q;
	int rc;

	if ((rc = cl_store_prepare(s->st, &q, "UPDATE sync_items SET pushed_assignee = ?, "
	                           "pushed_due = CASE WHEN ? THEN ? ELSE pushed_due END "
	                           "WHERE item_id = ?", s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, assignee ? assignee : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, due_too);
	sqlite3_bind_text(q, 3, due ? due : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, item);
	return step_finalize(s, q, "storing what was pushed");
}

/* True when the document's value v differs from the one last pushed
 * (pushed NULL: not known, so it counts as changed). */
static int
changed_since_push(const char *v, const char *pushed)
{
	return pushed == NULL || strcmp(v ? v : "", pushed) != 0;
}

/* Links an item to a ticket: sync row, items.ticket/url, a history row. */
static int
sync_link(struct sync *s, long long item, const char *origin, const struct cl_ticket *tk,
          const char *body_sha)
{
	struct cl_item_change c;
	sqlite3_stmt *q;
	char now[21], *old_ticket = NULL;
	int rc, oom = 0;

	now_utc(now);
	if ((rc = cl_store_prepare(s->st, &q, "INSERT INTO sync_items (item_id, tracker) "
	                           "VALUES (?, ?) ON CONFLICT (item_id) DO UPDATE SET tracker = "
	                           "excluded.tracker", s->err)) != 0)
		return rc;
	sqlite3_bind_int64(q, 1, item);
	sqlite3_bind_text(q, 2, s->t->ident, -1, SQLITE_STATIC);
	if ((rc = step_finalize(s, q, "linking")) != 0)
		return rc;
	if ((rc = cl_store_prepare(s->st, &q, "UPDATE sync_items SET ticket = ?, origin = ?, "
	                           "intent_at = NULL, gone = 0 WHERE item_id = ?", s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, tk->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, item);
	if ((rc = step_finalize(s, q, "linking")) != 0)
		return rc;
	if ((rc = sync_store_synced(s, item, tk->title, body_sha, state_name(tk->state),
	                            tk->assignee, tk->due)) != 0)
		return rc;
	if ((rc = cl_store_prepare(s->st, &q, "SELECT ticket FROM items WHERE id = ?",
	                           s->err)) != 0)
		return rc;
	sqlite3_bind_int64(q, 1, item);
	if ((rc = sqlite3_step(q)) == SQLITE_ROW)
		old_ticket = cl_column_dup_oom(q, 0, &oom);
	sqlite3_finalize(q);
	if (oom)
		return cl_error_set(s->err, CL_ENOMEM, "out of memory");
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cl_store_fail(s->st, rc, s->err, "linking");
	cl_item_change_init(&c, item, "sync", now);
	cl_item_change_set(&c, CL_ICOL_TICKET, old_ticket, tk->id);
	cl_item_change_put(&c, CL_ICOL_URL, tk->url);
	c.touch = 1;
	rc = cl_item_change_write(s->st, &c, s->err);
	free(old_ticket);
	return rc;
}

/* Applies a ticket's changed fields to its item (tracker wins), inside the
 * caller's transaction. base_*: the last synced values. */
static int
sync_apply(struct sync *s, long long item, const char *key, const struct cl_ticket *tk,
           const char *base_state, const char *base_assignee, const char *base_due,
           int *changed)
{
	struct cl_item_change c;
	sqlite3_stmt *q;
	char *status = NULL, *owner = NULL, *due = NULL, *who = NULL, now[21], closed[21];
	int rc = 0;

	*changed = 0;
	if ((rc = cl_store_prepare(s->st, &q, "SELECT status, owner, due FROM items WHERE id = ?",
	                           s->err)) != 0)
		return rc;
	sqlite3_bind_int64(q, 1, item);
	if (sqlite3_step(q) == SQLITE_ROW) {
		status = cl_column_dup(q, 0);
		owner = cl_column_dup(q, 1);
		due = cl_column_dup(q, 2);
	}
	sqlite3_finalize(q);
	if (status == NULL)
		goto done;
	now_utc(now);
	cl_item_change_init(&c, item, "tracker", now);
	if (!cl_str_eq(state_name(tk->state), base_state) && strcmp(status, "withdrawn") != 0) {
		const char *want = tk->state == CL_TICKET_CLOSED ? "done" : "open";
		if (strcmp(status, want) != 0) {
			time_t ct;
			*changed = 1;
			fprintf(s->plan, "%s %s: #%s %s in the tracker → %s\n",
			        s->o->dry_run ? "would pull" : "pulled", key, tk->id,
			        tk->state == CL_TICKET_CLOSED ? "closed" : "reopened", want);
			if (tk->closed_at && cl_time_parse(tk->closed_at, &ct) == 0)
				cl_time_format_utc(ct, closed);
			else
				memcpy(closed, now, sizeof closed);
			cl_item_change_set(&c, CL_ICOL_STATUS, status, want);
			c.closed_at = tk->state == CL_TICKET_CLOSED ? closed : NULL;
		}
	}
	if (tk->assignee && !cl_str_eq(tk->assignee, base_assignee)) {
		if ((who = sync_owner_for(s, tk->assignee)) == NULL) {
			rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (!cl_str_ieq(who, owner)) {
			*changed = 1;
			fprintf(s->plan, "%s %s: assignee %s → owner %s\n",
			        s->o->dry_run ? "would pull" : "pulled", key, tk->assignee, who);
			cl_item_change_set(&c, CL_ICOL_OWNER, owner, who);
		}
	}
	if ((s->t->ops->caps & CL_TRACKER_CAP_DUE_DATE) && !cl_str_eq(tk->due, base_due) &&
	    !cl_str_eq(tk->due, due)) {
		*changed = 1;
		fprintf(s->plan, "%s %s: due %s → %s\n", s->o->dry_run ? "would pull" : "pulled",
		        key, due ? due : "-", tk->due ? tk->due : "-");
		cl_item_change_set(&c, CL_ICOL_DUE, due, tk->due);
	}
	if (!s->o->dry_run)
		rc = cl_item_change_write(s->st, &c, s->err);
done:
	free(who);
	free(status);
	free(owner);
	free(due);
	return rc;
}

/* Adopts tk for the item its marker names, only when that item has a
 * create intent and no ticket, and tk was filed by closeloop's account:
 * anyone can write a marker into an issue. *adopted = 1 when it did. Runs
 * inside the caller's transaction. */
static int
sync_adopt(struct sync *s, const struct cl_ticket *tk, int *adopted)
{
	sqlite3_stmt *q;
	long long item = 0;
	char *linked = NULL, *tracker = NULL, *status = NULL, *intent = NULL;
	int rc = 0, found = 0, changed, ours = 0;

	*adopted = 0;
	if ((rc = cl_store_prepare(s->st, &q, "SELECT i.id, si.ticket, si.tracker, i.status, "
	                           "si.intent_at FROM items i LEFT JOIN sync_items si ON "
	                           "si.item_id = i.id WHERE i.key = ?", s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, tk->marker, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		found = 1;
		item = sqlite3_column_int64(q, 0);
		linked = cl_column_dup(q, 1);
		tracker = cl_column_dup(q, 2);
		status = cl_column_dup(q, 3);
		intent = cl_column_dup(q, 4);
	}
	sqlite3_finalize(q);
	if (!found)
		goto done;
	if (linked && cl_str_eq(tracker, s->t->ident)) {
		/* a copy someone else filed is theirs, not a duplicate of ours */
		if (strcmp(linked, tk->id) != 0 && (rc = cl_tracker_ours(s->t, &ours, tk,
		                                                         s->err)) == 0 && ours)
			fprintf(s->plan, "warning: %s: issue #%s also carries the marker of this item, "
			        "which is linked to #%s; close the duplicate by hand\n", tk->marker,
			        tk->id, linked);
		goto done;
	}
	/* only a create closeloop started and did not see the answer of */
	if (intent == NULL || !cl_str_eq(tracker, s->t->ident))
		goto done;
	if ((rc = cl_tracker_ours(s->t, &ours, tk, s->err)) != 0)
		goto done;
	if (!ours) {
		fprintf(s->plan, "warning: %s: issue #%s carries the marker of this item but was "
		        "not filed by closeloop's account (%s): not adopted\n", tk->marker, tk->id,
		        tk->creator ? tk->creator : "creator unknown");
		goto done;
	}
	fprintf(s->plan, "%s %s → #%s (found by its marker)\n",
	        s->o->dry_run ? "would adopt" : "adopted", tk->marker, tk->id);
	*adopted = 1;
	if (s->o->dry_run)
		goto done;
	/* link with the values seen, then let the push bring it up to date;
	 * the tracker state only flows back when the item is still open */
	if ((rc = sync_link(s, item, "adopted", tk, NULL)) != 0)
		goto done;
	if (tk->state == CL_TICKET_CLOSED && strcmp(status, "open") == 0)
		rc = sync_apply(s, item, tk->marker, tk, "open", tk->assignee, tk->due, &changed);
done:
	free(linked);
	free(tracker);
	free(status);
	free(intent);
	return rc;
}

/* Applies one ticket from a pull. */
static int
sync_pull_one(struct sync *s, const struct cl_ticket *tk)
{
	sqlite3_stmt *q;
	long long item = 0;
	char *key = NULL, *b_state = NULL, *b_assignee = NULL, *b_due = NULL;
	int rc, found = 0, changed = 0, adopted;

	if ((rc = cl_store_prepare(s->st, &q, "SELECT si.item_id, i.key, si.synced_state, "
	                           "si.synced_assignee, si.synced_due FROM sync_items si JOIN items i "
	                           "ON i.id = si.item_id WHERE si.tracker = ? AND si.ticket = ?",
	                           s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, s->t->ident, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, tk->id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		found = 1;
		item = sqlite3_column_int64(q, 0);
		key = cl_column_dup(q, 1);
		b_state = cl_column_dup(q, 2);
		b_assignee = cl_column_dup(q, 3);
		b_due = cl_column_dup(q, 4);
	}
	sqlite3_finalize(q);
	if (!found) {
		if (tk->marker && (rc = sync_adopt(s, tk, &adopted)) == 0 && adopted)
			s->stats->adopted++;
		return rc;
	}
	rc = sync_apply(s, item, key, tk, b_state, b_assignee, b_due, &changed);
	if (rc == 0 && changed)
		s->stats->pulled++;
	if (rc == 0 && !s->o->dry_run) {
		/* the tracker's values become the base; title too, so that a
		 * title edited in the tracker is put back (the document wins) */
		rc = sync_store_synced(s, item, tk->title, NULL, state_name(tk->state),
		                       tk->assignee, (s->t->ops->caps & CL_TRACKER_CAP_DUE_DATE)
		                       ? tk->due : b_due);
	}
	free(key);
	free(b_state);
	free(b_assignee);
	free(b_due);
	return rc;
}

/* Pulls the changes since the stored cursor and applies them, cursor and
 * changes in one transaction. */
static int
sync_pull(struct sync *s)
{
	struct cl_tracker_cursor in = { NULL, NULL }, next = { NULL, NULL };
	struct cl_ticket_list l = { NULL, 0, 0 };
	sqlite3_stmt *q;
	int rc, nm = 0;
	size_t i;

	if ((rc = cl_store_prepare(s->st, &q, "SELECT since, etag FROM sync_trackers WHERE "
	                           "tracker = ?", s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, s->t->ident, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		in.since = cl_column_dup(q, 0);
		in.etag = cl_column_dup(q, 1);
	}
	sqlite3_finalize(q);
	rc = s->t->ops->changes(s->t, &l, &in, &next, &nm, s->err);
	if (rc != 0)
		goto done;
	if (nm) {
		s->stats->not_modified = 1;
		goto done;
	}
	s->stats->not_modified = 0;
	if (!s->o->dry_run && (rc = cl_store_begin(s->st, s->err)) != 0)
		goto done;
	for (i = 0; rc == 0 && i < l.n; i++)
		rc = sync_pull_one(s, &l.v[i]);
	if (rc == 0 && !s->o->dry_run) {
		if ((rc = cl_store_prepare(s->st, &q, "INSERT INTO sync_trackers (tracker, since, etag) "
		                           "VALUES (?, ?, ?) ON CONFLICT (tracker) DO UPDATE SET "
		                           "since = excluded.since, etag = excluded.etag", s->err)) == 0) {
			sqlite3_bind_text(q, 1, s->t->ident, -1, SQLITE_STATIC);
			cl_bind_text(q, 2, next.since);
			cl_bind_text(q, 3, next.etag);
			rc = step_finalize(s, q, "saving the pull cursor");
		}
	}
	if (!s->o->dry_run) {
		if (rc == 0)
			rc = cl_store_commit(s->st, s->err);
		else
			cl_store_rollback(s->st);
	}
done:
	cl_ticket_list_release(&l);
	cl_tracker_cursor_release(&in);
	cl_tracker_cursor_release(&next);
	return rc;
}

/* The action as the tracker keeps it as a title (ops->title_max): its
 * first line, cut at a character boundary. */
static char *
sync_title(struct sync *s, const char *action)
{
	size_t n = strcspn(action, "\r\n"), max = s->t->ops->title_max;

	if (max == 0)
		return cl_strdup(action);
	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)action[n] & 0xC0) == 0x80)
			n--;
	}
	return cl_strndup(action, n);
}

/* Loads every item with its sync row for this tracker. */
static int
sync_load(struct sync *s, struct srow **out, size_t *n)
{
	static char sql[1024];
	struct srow *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *q;
	int rc = 0, step;

	*out = NULL;
	*n = 0;
	if ((rc = cl_store_prepare(s->st, &q, cl_store_select(sql, sizeof sql, srow_cols, NSROW_COLS,
	                           "FROM items i JOIN postmortems p ON p.id = i.postmortem_id "
	                           "LEFT JOIN sync_items si ON si.item_id = i.id AND si.tracker = ? "
	                           "ORDER BY i.id"), s->err)) != 0)
		return rc;
	sqlite3_bind_text(q, 1, s->t->ident, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(q)) == SQLITE_ROW) {
		struct srow *r;
		if (cl_grow(&v, &cap, cnt, sizeof *v, 256) != 0) {
			rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
			break;
		}
		r = &v[cnt++];
		memset(r, 0, sizeof *r);
		if (cl_store_row_load(r, q, srow_cols, NSROW_COLS) != 0) {
			rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
			break;
		}
		if ((r->title = sync_title(s, r->action)) == NULL) {
			rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cl_store_fail(s->st, step, s->err, "loading items");
	sqlite3_finalize(q);
	if (rc != 0) {
		while (cnt > 0)
			srow_clear(&v[--cnt]);
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* True for errors that concern one item only: the run goes on. */
static int
item_level(int rc)
{
	return rc == CL_EDATA || rc == CL_ENOTFOUND;
}

/* Handles an error from a per-item tracker call. */
static int
sync_item_fail(struct sync *s, struct srow *r, int rc, long gone)
{
	char msg[sizeof s->err->msg];

	if (!item_level(rc))
		return rc;
	snprintf(msg, sizeof msg, "%s", s->err->msg);
	cl_error_clear(s->err);
	return sync_item_error(s, r->id, r->key, msg, (int)gone);
}

/* Creates the issue of an open item without a ticket, intent first. */
static int
sync_create(struct sync *s, struct srow *r)
{
	struct cl_ticket tk;
	struct cl_ticket_spec spec;
	sqlite3_stmt *q;
	char *body = NULL, *assignee = NULL, sha[65], now[21];
	int rc;

	memset(&tk, 0, sizeof tk);
	if ((body = srow_body(s, r)) == NULL)
		return cl_error_set(s->err, CL_ENOMEM, "out of memory");
	if (r->s_body && r->intent_at == NULL) {
		char prev[65];
		body_hash(body, prev);
		if (strcmp(prev, r->s_body) == 0) {	/* refused before, unchanged */
			free(body);
			return 0;
		}
	}
	if (s->o->dry_run) {
		fprintf(s->plan, "would create %s: %s\n", r->key, r->action);
		free(body);
		s->stats->created++;
		return 0;
	}
	/* the intent is on disk before the request leaves */
	now_utc(now);
	if ((rc = cl_store_prepare(s->st, &q, "INSERT INTO sync_items (item_id, tracker, intent_at) "
	                           "VALUES (?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET tracker = "
	                           "excluded.tracker, intent_at = excluded.intent_at", s->err)) != 0)
		goto done;
	sqlite3_bind_int64(q, 1, r->id);
	sqlite3_bind_text(q, 2, s->t->ident, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, now, -1, SQLITE_STATIC);
	if ((rc = step_finalize(s, q, "recording the intent to create")) != 0)
		goto done;
	memset(&spec, 0, sizeof spec);
	spec.title = r->title;
	spec.body = body;
	spec.assignee = assignee = r->owner ? sync_assignee_for(s, r->owner) : NULL;
	spec.due = (s->t->ops->caps & CL_TRACKER_CAP_DUE_DATE) ? r->due : NULL;
	if (s->t->ops->caps & CL_TRACKER_CAP_LABELS) {
		spec.labels = (const char *const *)s->t->labels;
		spec.nlabels = s->t->nlabels;
	}
	body_hash(body, sha);
	rc = s->t->ops->create(s->t, &tk, &spec, s->err);
	if (rc != 0) {
		/* a refused create leaves no issue behind: drop the intent and
		 * remember what was refused, so that it is retried only once the
		 * item changes */
		if (rc == CL_EDATA && (q = NULL, cl_store_prepare(s->st, &q, "UPDATE sync_items SET "
		                      "intent_at = NULL, synced_body = ? WHERE item_id = ?",
		                      NULL) == 0)) {
			sqlite3_bind_text(q, 1, sha, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, r->id);
			sqlite3_step(q);
			sqlite3_finalize(q);
		}
		rc = sync_item_fail(s, r, rc, 0);
		goto done;
	}
	s->wrote = 1;
	if ((rc = cl_store_begin(s->st, s->err)) != 0)
		goto done;
	rc = sync_link(s, r->id, "created", &tk, sha);
	if (rc == 0) {
		/* the base is what we asked for: a dropped assignee (no push
		 * access) is not a tracker-side change */
		rc = sync_store_synced(s, r->id, r->title, sha, state_name(tk.state),
		                       tk.assignee ? tk.assignee : assignee, tk.due ? tk.due :
		                       spec.due);
	}
	if (rc == 0)
		rc = sync_store_pushed(s, r->id, assignee, spec.due, 1);
	if (rc == 0)
		rc = cl_store_commit(s->st, s->err);
	else
		cl_store_rollback(s->st);
	if (rc == 0) {
		s->stats->created++;
		if (s->o->verbose > 0)
			fprintf(s->plan, "created %s → #%s\n", r->key, tk.id);
	}
done:
	cl_ticket_release(&tk);
	free(body);
	free(assignee);
	return rc;
}

/* Links an item to the ticket its document names, when it is ours. */
static int
sync_link_doc(struct sync *s, struct srow *r, int *handled)
{
	struct cl_ticket tk;
	char *id = NULL, msg[600];
	long gone = 0;
	int rc, changed;

	*handled = 0;
	if (r->doc_ticket == NULL || *r->doc_ticket == '\0')
		return 0;
	rc = s->t->ops->parse_ref(s->t, &id, r->doc_ticket);
	if (rc == CL_ENOMEM)
		return cl_error_set(s->err, CL_ENOMEM, "out of memory");
	*handled = 1;
	if (rc != 0)	/* a ticket in another system: not ours to create or sync */
		return 0;
	memset(&tk, 0, sizeof tk);
	rc = s->t->ops->get(s->t, &tk, id, &gone, s->err);
	if (rc == CL_ENOTFOUND) {
		cl_error_clear(s->err);
		snprintf(msg, sizeof msg, "ticket '%s' named in the document was not found in %s%s",
		         r->doc_ticket, s->t->project, gone == 301 ? " (transferred)" :
		         gone == 410 ? " (deleted)" : "");
		free(id);
		return sync_item_error(s, r->id, r->key, msg, (int)gone);
	}
	if (rc != 0) {
		free(id);
		return sync_item_fail(s, r, rc, 0);
	}
	fprintf(s->plan, "%s %s → #%s (named in the document)\n",
	        s->o->dry_run ? "would link" : "linked", r->key, tk.id);
	s->stats->linked++;
	if (!s->o->dry_run) {
		if ((rc = cl_store_begin(s->st, s->err)) != 0)
			goto done;
		rc = sync_link(s, r->id, "document", &tk, NULL);
		/* tracker wins from the first sight: apply its state and people,
		 * and its due date when it has one (an empty one is filled from
		 * the document by the push instead of erasing the item's) */
		if (rc == 0)
			rc = sync_apply(s, r->id, r->key, &tk, "open", NULL, tk.due ? r->due : NULL,
			                &changed);
		if (rc == 0)
			rc = cl_store_commit(s->st, s->err);
		else
			cl_store_rollback(s->st);
	}
done:
	cl_ticket_release(&tk);
	free(id);
	return rc;
}

/* Pushes local changes of a linked item. */
static int
sync_push_linked(struct sync *s, struct srow *r)
{
	struct cl_ticket_spec spec;
	char *body = NULL, *assignee = NULL, sha[65];
	const char *want_state;
	unsigned mask = 0;
	long gone = 0;
	int rc = 0, native_due = (s->t->ops->caps & CL_TRACKER_CAP_DUE_DATE) != 0;
	int ours = r->origin == NULL || strcmp(r->origin, "document") != 0;

	if (r->gone)
		return 0;
	memset(&spec, 0, sizeof spec);
	if ((body = srow_body(s, r)) == NULL)
		return cl_error_set(s->err, CL_ENOMEM, "out of memory");
	body_hash(body, sha);
	if (ours && !cl_str_eq(r->title, r->s_title))
		mask |= CL_SPEC_TITLE;
	if (ours && !cl_str_eq(sha, r->s_body) && !legacy_body_same(body, r->key, r->s_body))
		mask |= CL_SPEC_BODY;
	/* a field goes out when the tracker does not hold it and the document
	 * changed it since it was last pushed: a tracker that drops it (GitLab
	 * and an assignee who is not a member) is not asked again and again */
	if (r->owner && (assignee = sync_assignee_for(s, r->owner)) != NULL &&
	    !cl_str_eq(assignee, r->s_assignee) && changed_since_push(assignee, r->p_assignee))
		mask |= CL_SPEC_ASSIGNEE;
	if (native_due && !cl_str_eq(r->due, r->s_due) && changed_since_push(r->due, r->p_due))
		mask |= CL_SPEC_DUE;
	spec.title = r->title;
	spec.body = body;
	spec.assignee = assignee;
	spec.due = r->due;
	if (mask) {
		if (s->o->dry_run) {
			fprintf(s->plan, "would update #%s (%s):%s%s%s%s\n", r->ticket, r->key,
			        mask & CL_SPEC_TITLE ? " title" : "", mask & CL_SPEC_BODY ? " body" : "",
			        mask & CL_SPEC_ASSIGNEE ? " assignee" : "", mask & CL_SPEC_DUE ? " due" : "");
			s->stats->updated++;
		} else {
			rc = s->t->ops->update(s->t, NULL, r->ticket, &spec, mask, s->err);
			if (rc == 0)
				s->wrote = 1;
			if (rc != 0) {
				if (rc == CL_ENOTFOUND)
					gone = 404;
				rc = sync_item_fail(s, r, rc, gone);
				goto done;
			}
			s->stats->updated++;
			if (mask & CL_SPEC_TITLE) {
				free(r->s_title);
				if ((r->s_title = cl_strdup(r->title)) == NULL)
					goto oom;
			}
			if (mask & CL_SPEC_ASSIGNEE) {
				free(r->s_assignee);
				if ((r->s_assignee = cl_strdup(assignee)) == NULL)
					goto oom;
			}
			if (mask & CL_SPEC_DUE) {
				free(r->s_due);
				r->s_due = r->due ? cl_strdup(r->due) : NULL;
			}
			if ((rc = sync_store_synced(s, r->id, r->s_title, (mask & CL_SPEC_BODY) ? sha :
			                            NULL, r->s_state, r->s_assignee, r->s_due)) != 0)
				goto done;
		}
	}
	/* what the document says now is what was pushed, or what the tracker
	 * already holds: remember it (no request) */
	if (!s->o->dry_run && (changed_since_push(assignee, r->p_assignee) ||
	                       (native_due && changed_since_push(r->due, r->p_due))) &&
	    (rc = sync_store_pushed(s, r->id, assignee, r->due, native_due)) != 0)
		goto done;
	want_state = strcmp(r->status, "open") == 0 ? "open" : "closed";
	/* a ticket closeloop did not create keeps the state its tracker gives
	 * it, unless [tracker] manage_linked says otherwise */
	if (!cl_str_eq(want_state, r->s_state) && !ours && !s->t->manage_linked) {
		if (s->o->verbose > 0)
			fprintf(s->plan, "%s: #%s was not created by closeloop: left %s "
			        "([tracker] manage_linked = no)\n", r->key, r->ticket,
			        r->s_state ? r->s_state : "as it is");
	} else if (!cl_str_eq(want_state, r->s_state)) {
		int closing = strcmp(want_state, "closed") == 0;
		int withdrawn = strcmp(r->status, "withdrawn") == 0;
		char *comment = NULL, day[11];

		cl_date_format(cl_today(cl_config_timezone(s->cfg)), day);
		if (withdrawn && (comment = cl_asprintf("closeloop: this action item was withdrawn "
		                  "from its post-mortem (%s) on %s; closing as not planned.",
		                  r->pm_source ? r->pm_source : "-", day)) == NULL)
			goto oom;
		if (s->o->dry_run) {
			fprintf(s->plan, "would %s #%s (%s)%s\n", closing ? "close" : "reopen", r->ticket,
			        r->key, withdrawn ? " as not planned" : "");
		} else {
			rc = s->t->ops->set_state(s->t, r->ticket, closing, withdrawn ?
			                          CL_CLOSE_NOT_PLANNED : CL_CLOSE_COMPLETED, comment,
			                          ours ? body : NULL, &gone, s->err);
			if (rc == 0)
				s->wrote = 1;
			if (rc == 0)
				rc = sync_store_synced(s, r->id, r->s_title, NULL, want_state,
				                       r->s_assignee, r->s_due);
			else
				rc = sync_item_fail(s, r, rc, gone);
		}
		if (rc == 0 && closing)
			s->stats->closed++;
		else if (rc == 0)
			s->stats->reopened++;
		free(comment);
	}
done:
	free(body);
	free(assignee);
	return rc;
oom:
	rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
	goto done;
}

/* Adopts pending intents the pull did not settle, by listing markers. */
static int
sync_settle_intents(struct sync *s, struct srow *rows, size_t n)
{
	struct cl_ticket_list l = { NULL, 0, 0 };
	const char *oldest = NULL;
	size_t i, j;
	int rc = 0, adopted;

	for (i = 0; i < n; i++)
		if (rows[i].intent_at && rows[i].ticket == NULL &&
		    (oldest == NULL || strcmp(rows[i].intent_at, oldest) < 0))
			oldest = rows[i].intent_at;
	if (oldest == NULL)
		return 0;
	if ((rc = s->t->ops->find_markers(s->t, &l, oldest, s->err)) != 0)
		return rc;
	if (!s->o->dry_run && (rc = cl_store_begin(s->st, s->err)) != 0)
		goto done;
	for (j = 0; rc == 0 && j < l.n; j++) {
		for (i = 0; i < n; i++) {
			if (rows[i].ticket == NULL && strcmp(rows[i].key, l.v[j].marker) == 0) {
				if ((rc = sync_adopt(s, &l.v[j], &adopted)) == 0 && adopted) {
					s->stats->adopted++;
					if ((rows[i].ticket = cl_strdup(l.v[j].id)) == NULL)
						rc = cl_error_set(s->err, CL_ENOMEM, "out of memory");
				}
				break;
			}
		}
	}
	if (!s->o->dry_run) {
		if (rc == 0)
			rc = cl_store_commit(s->st, s->err);
		else
			cl_store_rollback(s->st);
	}
done:
	cl_ticket_list_release(&l);
	return rc;
}

/* Records items already done when first seen: never pushed. */
static int
sync_record(struct sync *s, struct srow *r)
{
	sqlite3_stmt *q;
	int rc;

	s->stats->recorded++;
	if (s->o->dry_run)
		return 0;
	if ((rc = cl_store_prepare(s->st, &q, "INSERT OR IGNORE INTO sync_items (item_id, tracker) "
	                           "VALUES (?, ?)", s->err)) != 0)
		return rc;
	sqlite3_bind_int64(q, 1, r->id);
	sqlite3_bind_text(q, 2, s->t->ident, -1, SQLITE_STATIC);
	return step_finalize(s, q, "recording an item");
}

/* Pushes every item: links, creates, updates, closes. */
static int
sync_push(struct sync *s)
{
	struct srow *rows = NULL;
	size_t n = 0, i;
	int rc, handled;

	if ((rc = sync_load(s, &rows, &n)) != 0)
		return rc;
	if ((rc = sync_settle_intents(s, rows, n)) != 0)
		goto done;
	/* reload: adoption changed rows */
	for (i = 0; i < n; i++)
		srow_clear(&rows[i]);
	free(rows);
	rows = NULL;
	if ((rc = sync_load(s, &rows, &n)) != 0)
		goto done;
	s->work = (int)n;
	s->done = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		struct srow *r = &rows[i];

		s->done++;
		sync_progress(s, 0);
		if (r->ticket != NULL) {
			rc = sync_push_linked(s, r);
			continue;
		}
		if (r->gone)
			continue;
		if ((rc = sync_link_doc(s, r, &handled)) != 0 || handled)
			continue;
		if (strcmp(r->status, "open") == 0)
			rc = sync_create(s, r);
		else if (!r->has_sync)
			rc = sync_record(s, r);
	}
	sync_progress(s, 1);
done:
	for (i = 0; i < n; i++)
		srow_clear(&rows[i]);
	free(rows);
	return rc;
}

int
cl_sync_run(struct cl_store *st, const struct cl_config *cfg, struct cl_tracker *t,
            const struct cl_sync_opts *opts, struct cl_sync_stats *stats,
            struct cl_error *err)
{
	struct sync s;
	sqlite3_stmt *q;
	char now[21];
	int rc;

	memset(stats, 0, sizeof *stats);
	memset(&s, 0, sizeof s);
	s.st = st;
	s.cfg = cfg;
	s.t = t;
	s.o = opts;
	s.stats = stats;
	s.err = err;
	s.plan = opts->plan ? opts->plan : stdout;
	if ((rc = sync_pull(&s)) != 0)
		goto done;
	if ((rc = sync_push(&s)) != 0)
		goto done;
	/* our own writes show up as changes: take them in now so that the
	 * next run starts from a 304 */
	if (s.wrote && !opts->dry_run && (rc = sync_pull(&s)) != 0)
		goto done;
	if (!opts->dry_run) {
		now_utc(now);
		if ((rc = cl_store_prepare(st, &q, "INSERT INTO sync_trackers (tracker, last_sync, "
		                           "last_requests) VALUES (?, ?, ?) ON CONFLICT (tracker) DO "
		                           "UPDATE SET last_sync = excluded.last_sync, last_requests = "
		                           "excluded.last_requests", err)) != 0)
			goto done;
		sqlite3_bind_text(q, 1, t->ident, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, cl_tracker_requests(t));
		rc = step_finalize(&s, q, "recording the sync");
	}
done:
	stats->requests = cl_tracker_requests(t);
	if (!opts->dry_run)
		cl_sync_note_outcome(st, rc);
	return rc;
}

/* meta: when the tracker last answered a whole sync, and whether the last
 * try failed (status shows both; report and reminders warn while it does). */
void
cl_sync_note_outcome(struct cl_store *st, int rc)
{
	char now[21];

	cl_time_format_utc(cl_now(), now);
	if (rc == 0) {
		cl_store_meta_set(st, "last_sync_ok", now, NULL);
		cl_store_meta_set(st, "sync_failed_at", NULL, NULL);
	} else {
		cl_store_meta_set(st, "sync_failed_at", now, NULL);
	}
}

