/* items.c — item queries, local state changes, history, JSON form. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "item-store.h"
#include "items.h"
#include "util.h"

#define ITEM_COLUMNS \
	"i.id, i.key, i.action, i.owner, i.owner_raw, i.due, i.due_raw, i.status, " \
	"i.ticket, i.url, i.priority, i.problems, i.created_at, i.updated_at, " \
	"i.closed_at, i.line, p.id, p.slug, p.title, p.source, p.incident_date, p.path, " \
	"p.severity, i.doc_ticket"

/* Fills an item from a row selected with ITEM_COLUMNS. */
static int
item_from_row(struct cl_item *it, sqlite3_stmt *s)
{
	int oom = 0;

	memset(it, 0, sizeof *it);
	it->rowid = sqlite3_column_int64(s, 0);
	it->key = cl_column_dup_oom(s, 1, &oom);
	it->action = cl_column_dup_oom(s, 2, &oom);
	it->owner = cl_column_dup_oom(s, 3, &oom);
	it->owner_raw = cl_column_dup_oom(s, 4, &oom);
	it->due = cl_column_dup_oom(s, 5, &oom);
	it->due_raw = cl_column_dup_oom(s, 6, &oom);
	it->status = cl_column_dup_oom(s, 7, &oom);
	it->ticket = cl_column_dup_oom(s, 8, &oom);
	if (it->ticket == NULL)	/* named in the document, not linked yet */
		it->ticket = cl_column_dup_oom(s, 23, &oom);
	it->url = cl_column_dup_oom(s, 9, &oom);
	it->priority = cl_column_dup_oom(s, 10, &oom);
	it->problems = cl_column_dup_oom(s, 11, &oom);
	it->created_at = cl_column_dup_oom(s, 12, &oom);
	it->updated_at = cl_column_dup_oom(s, 13, &oom);
	it->closed_at = cl_column_dup_oom(s, 14, &oom);
	it->line = sqlite3_column_int(s, 15);
	it->pm_rowid = sqlite3_column_int64(s, 16);
	it->pm_slug = cl_column_dup_oom(s, 17, &oom);
	it->pm_title = cl_column_dup_oom(s, 18, &oom);
	it->pm_source = cl_column_dup_oom(s, 19, &oom);
	it->pm_date = cl_column_dup_oom(s, 20, &oom);
	it->pm_path = cl_column_dup_oom(s, 21, &oom);
	it->pm_severity = cl_column_dup_oom(s, 22, &oom);
	if (oom || it->key == NULL || it->action == NULL || it->status == NULL ||
	    it->pm_slug == NULL || it->problems == NULL)
		return CL_ENOMEM;
	return 0;
}

static void
item_clear(struct cl_item *it)
{
	free(it->key);
	free(it->action);
	free(it->owner);
	free(it->owner_raw);
	free(it->due);
	free(it->due_raw);
	free(it->status);
	free(it->ticket);
	free(it->url);
	free(it->priority);
	free(it->problems);
	free(it->created_at);
	free(it->updated_at);
	free(it->closed_at);
	free(it->pm_slug);
	free(it->pm_title);
	free(it->pm_source);
	free(it->pm_date);
	free(it->pm_path);
	free(it->pm_severity);
}

void
cl_item_free(struct cl_item *it)
{
	if (it == NULL)
		return;
	item_clear(it);
	free(it);
}

void
cl_items_free(struct cl_item *items, size_t n)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		item_clear(&items[i]);
	free(items);
}

/* Prepares the listing query of filter f (today: its buffer for the date). */
static int
items_query(sqlite3_stmt **out, struct cl_store *st, const struct cl_item_filter *f,
            char today[11], struct cl_error *err)
{
	struct cl_buf sql = CL_BUF_INIT;
	sqlite3_stmt *s = NULL;
	int mask = f && f->status ? f->status : CL_ITEMS_OPEN, rc;

	*out = NULL;
	cl_buf_puts(&sql, "SELECT " ITEM_COLUMNS " FROM items i JOIN postmortems p "
	            "ON p.id = i.postmortem_id WHERE i.status IN (");
	cl_buf_puts(&sql, (mask & CL_ITEMS_OPEN) ? "'open'" : "''");
	if (mask & CL_ITEMS_DONE)
		cl_buf_puts(&sql, ", 'done'");
	if (mask & CL_ITEMS_WITHDRAWN)
		cl_buf_puts(&sql, ", 'withdrawn'");
	cl_buf_puts(&sql, ")");
	if (f && f->overdue)
		cl_buf_puts(&sql, " AND i.status = 'open' AND i.due IS NOT NULL AND i.due < ?1");
	if (f && f->owner)
		cl_buf_puts(&sql, " AND (i.owner = ?2 COLLATE NOCASE OR i.owner_raw = ?2 "
		            "COLLATE NOCASE OR i.owner = ?4 COLLATE NOCASE)");
	if (f && f->postmortem)
		cl_buf_puts(&sql, " AND (p.slug = ?3 OR p.source = ?3)");
	cl_buf_puts(&sql, " ORDER BY i.due IS NULL, i.due, p.slug, i.position");
	if (sql.oom)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_store_prepare(st, &s, sql.data, err);
	cl_buf_release(&sql);
	if (rc != 0)
		return rc;
	if (f && f->overdue) {
		cl_date_format(f->today, today);
		sqlite3_bind_text(s, 1, today, -1, SQLITE_STATIC);
	}
	if (f && f->owner)
		sqlite3_bind_text(s, 2, f->owner[0] == '@' ? f->owner + 1 : f->owner, -1,
		                  SQLITE_STATIC);
	if (f && f->postmortem)
		sqlite3_bind_text(s, 3, f->postmortem, -1, SQLITE_STATIC);
	if (f && f->owner && f->owner_handle)
		sqlite3_bind_text(s, 4, f->owner_handle, -1, SQLITE_STATIC);
	*out = s;
	return 0;
}

int
cl_items_list(struct cl_item **out, size_t *n, struct cl_store *st,
              const struct cl_item_filter *f, struct cl_error *err)
{
	struct cl_item *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s = NULL;
	int rc = 0, step;
	char today[11];

	*out = NULL;
	*n = 0;
	if ((rc = items_query(&s, st, f, today, err)) != 0)
		goto done;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct cl_item *nv = cl_realloc(v, ncap * sizeof *nv);
			if (nv == NULL) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				goto done;
			}
			v = nv;
			cap = ncap;
		}
		if (item_from_row(&v[cnt++], s) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
	}
	if (step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "listing items");
done:
	sqlite3_finalize(s);
	if (rc != 0) {
		cl_items_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
cl_items_each(struct cl_store *st, const struct cl_item_filter *f,
              int (*fn)(const struct cl_item *it, void *arg), void *arg, struct cl_error *err)
{
	struct cl_item it;
	sqlite3_stmt *s = NULL;
	int rc, step;
	char today[11];

	/* a long list's sort spills to a file, not to memory */
	if ((rc = cl_store_exec(st, "PRAGMA temp_store = FILE", err)) != 0 ||
	    (rc = items_query(&s, st, f, today, err)) != 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		rc = item_from_row(&it, s) != 0 ? cl_error_set(err, CL_ENOMEM, "out of memory")
		                                 : fn(&it, arg);
		item_clear(&it);
		if (rc != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "listing items");
	sqlite3_finalize(s);
	return rc;
}

int
cl_item_get(struct cl_item **out, struct cl_store *st, const char *key,
            struct cl_error *err)
{
	sqlite3_stmt *s;
	struct cl_item *it;
	int rc;

	*out = NULL;
	if ((rc = cl_store_prepare(st, &s, "SELECT " ITEM_COLUMNS " FROM items i JOIN "
	                           "postmortems p ON p.id = i.postmortem_id WHERE i.key = ?",
	                           err)) != 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if ((it = cl_calloc(1, sizeof *it)) == NULL || item_from_row(it, s) != 0) {
			cl_item_free(it);
			sqlite3_finalize(s);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		*out = it;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = cl_error_set(err, CL_ENOTFOUND,
		                  "no item '%s' (see 'closeloop list --all' for ids)", key);
	} else {
		rc = cl_store_fail(st, rc, err, "reading item");
	}
	sqlite3_finalize(s);
	return rc;
}

int
cl_item_set_status(struct cl_store *st, const char *key, const char *status,
                   const char *origin, struct cl_error *err)
{
	struct cl_item_change c;
	struct cl_item *it = NULL;
	int rc;

	if ((rc = cl_store_begin(st, err)) != 0)
		return rc;
	if ((rc = cl_item_get(&it, st, key, err)) != 0)
		goto done;
	cl_item_change_init(&c, it->rowid, origin, NULL);
	cl_item_change_set(&c, CL_ICOL_STATUS, it->status, status);
	if (cl_item_change_pending(&c))
		rc = cl_item_change_write(st, &c, err);
done:
	cl_item_free(it);
	if (rc == 0)
		return cl_store_commit(st, err);
	cl_store_rollback(st);
	return rc;
}

int
cl_item_note(struct cl_store *st, long long item, const char *origin, const char *note,
             struct cl_error *err)
{
	struct cl_item_change c;

	cl_item_change_init(&c, item, origin, NULL);
	cl_item_change_set(&c, CL_ICOL_NOTE, NULL, note);
	return cl_item_change_write(st, &c, err);
}

int
cl_item_history(struct cl_history **out, size_t *n, struct cl_store *st,
                long long item, struct cl_error *err)
{
	struct cl_history *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, step, oom = 0;

	*out = NULL;
	*n = 0;
	/* the first row is the creation, from items.created_at, with the action
	 * as it was first imported */
	if ((rc = cl_store_prepare(st, &s, "SELECT created_at, 'import', 'created', NULL, "
	                           "coalesce((SELECT old FROM history WHERE item_id = ?1 AND "
	                           "field = 'action' ORDER BY id LIMIT 1), action), 0 "
	                           "FROM items WHERE id = ?1 "
	                           "UNION ALL SELECT at, origin, field, old, new, id FROM history "
	                           "WHERE item_id = ?1 ORDER BY 6", err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, item);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct cl_history *nv = cl_realloc(v, ncap * sizeof *nv);
			if (nv == NULL) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].at = cl_column_dup_oom(s, 0, &oom);
		v[cnt].origin = cl_column_dup_oom(s, 1, &oom);
		v[cnt].field = cl_column_dup_oom(s, 2, &oom);
		v[cnt].old = cl_column_dup_oom(s, 3, &oom);
		v[cnt].new = cl_column_dup_oom(s, 4, &oom);
		cnt++;
		if (oom) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "reading history");
	sqlite3_finalize(s);
	if (rc != 0) {
		cl_history_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
cl_history_free(struct cl_history *h, size_t n)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(h[i].at);
		free(h[i].origin);
		free(h[i].field);
		free(h[i].old);
		free(h[i].new);
	}
	free(h);
}

/* jansson string or null. */
static json_t *
jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

void *
cl_item_to_json(const struct cl_item *it)
{
	json_t *o = json_object(), *pm = json_object(), *probs = json_array();
	const char *p = it->problems;

	if (o == NULL || pm == NULL || probs == NULL) {
		json_decref(o);
		json_decref(pm);
		json_decref(probs);
		return NULL;
	}
	while (p && *p) {
		size_t n = strcspn(p, " ");
		json_array_append_new(probs, json_stringn(p, n));
		p += n;
		while (*p == ' ')
			p++;
	}
	json_object_set_new(pm, "id", json_string(it->pm_slug));
	json_object_set_new(pm, "title", jstr(it->pm_title));
	json_object_set_new(pm, "source", jstr(it->pm_source));
	json_object_set_new(pm, "date", jstr(it->pm_date));
	json_object_set_new(o, "id", json_string(it->key));
	json_object_set_new(o, "action", json_string(it->action));
	json_object_set_new(o, "owner", jstr(it->owner));
	json_object_set_new(o, "owner_raw", jstr(it->owner_raw));
	json_object_set_new(o, "due", jstr(it->due));
	json_object_set_new(o, "due_raw", jstr(it->due_raw));
	json_object_set_new(o, "status", json_string(it->status));
	json_object_set_new(o, "ticket", jstr(it->ticket));
	json_object_set_new(o, "url", jstr(it->url));
	json_object_set_new(o, "priority", jstr(it->priority));
	json_object_set_new(o, "problems", probs);
	json_object_set_new(o, "line", json_integer(it->line));
	json_object_set_new(o, "created_at", jstr(it->created_at));
	json_object_set_new(o, "updated_at", jstr(it->updated_at));
	json_object_set_new(o, "closed_at", jstr(it->closed_at));
	json_object_set_new(o, "postmortem", pm);
	return o;
}

int
cl_item_days_overdue(const struct cl_item *it, int today)
{
	int due;

	if (it->due == NULL || strcmp(it->status, "open") != 0 ||
	    cl_date_parse_iso(it->due, &due) != 0)
		return 0;
	return today - due;
}
