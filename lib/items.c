/* items.c — item queries, local state changes, history, JSON form. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "item-store.h"
#include "items.h"
#include "util.h"

#define IT(field, expr) CL_COLUMN(CL_ROW_TEXT, struct cl_item, field, expr)
#define IT_NN(field, expr) CL_COLUMN_NOTNULL(struct cl_item, field, expr)
/* What an item is loaded from (items i JOIN postmortems p). */
static const struct cl_column item_cols[] = {
	CL_COLUMN(CL_ROW_INT64, struct cl_item, rowid, "i.id"),
	IT_NN(key, "i.key"),
	IT_NN(action, "i.action"),
	IT(owner, "i.owner"),
	IT(owner_raw, "i.owner_raw"),
	IT(due, "i.due"),
	IT(due_raw, "i.due_raw"),
	IT_NN(status, "i.status"),
	/* named in the document, not linked yet */
	IT(ticket, "coalesce(i.ticket, i.doc_ticket)"),
	IT(url, "i.url"),
	IT(priority, "i.priority"),
	IT_NN(problems, "i.problems"),
	IT(created_at, "i.created_at"),
	IT(updated_at, "i.updated_at"),
	IT(closed_at, "i.closed_at"),
	CL_COLUMN(CL_ROW_INT, struct cl_item, line, "i.line"),
	CL_COLUMN(CL_ROW_INT64, struct cl_item, pm_rowid, "p.id"),
	IT_NN(pm_slug, "p.slug"),
	IT(pm_title, "p.title"),
	IT(pm_source, "p.source"),
	IT(pm_date, "p.incident_date"),
	IT(pm_path, "p.path"),
	IT(pm_severity, "p.severity"),
	IT(sync_error, "si.error"),
};
#define NITEM_COLS (sizeof item_cols / sizeof item_cols[0])
/* the sync error joined, not asked for per item */
#define ITEM_FROM "FROM items i JOIN postmortems p ON p.id = i.postmortem_id " \
	"LEFT JOIN sync_items si ON si.item_id = i.id"

/* Fills an item from a row selected with item_cols. */
static int
item_from_row(struct cl_item *it, sqlite3_stmt *s)
{
	memset(it, 0, sizeof *it);
	return cl_store_row_load(it, s, item_cols, NITEM_COLS);
}

static void
item_clear(struct cl_item *it)
{
	cl_store_row_clear(it, item_cols, NITEM_COLS);
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
	static char sel[1024];
	struct cl_buf sql = CL_BUF_INIT;
	sqlite3_stmt *s = NULL;
	int mask = f && f->status ? f->status : CL_ITEMS_OPEN, rc;

	*out = NULL;
	cl_buf_puts(&sql, cl_store_select(sel, sizeof sel, item_cols, NITEM_COLS, ITEM_FROM));
	cl_buf_puts(&sql, " WHERE i.status IN (");
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
		if (cl_grow(&v, &cap, cnt, sizeof *v, 64) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
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
	static char sql[1024];
	sqlite3_stmt *s;
	struct cl_item *it;
	int rc;

	*out = NULL;
	if ((rc = cl_store_prepare(st, &s, cl_store_select(sql, sizeof sql, item_cols, NITEM_COLS,
	                           ITEM_FROM " WHERE i.key = ?"), err)) != 0)
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
cl_item_nearest(char **out, struct cl_store *st, const char *key, struct cl_error *err)
{
	char **keys = NULL;
	const char *near;
	size_t n = 0;
	int rc;

	*out = NULL;
	if ((rc = cl_store_strings(&keys, &n, st, "SELECT key FROM items", NULL,
	                           "reading item ids", err)) != 0)
		return rc;
	if ((near = cl_str_nearest(key, (const char *const *)keys, n)) != NULL &&
	    (*out = cl_strdup(near)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_store_strings_free(keys, n);
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
		if (cl_grow(&v, &cap, cnt, sizeof *v, 16) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
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
	json_object_set_new(pm, "title", cl_json_str(it->pm_title));
	json_object_set_new(pm, "source", cl_json_str(it->pm_source));
	json_object_set_new(pm, "date", cl_json_str(it->pm_date));
	json_object_set_new(o, "id", json_string(it->key));
	json_object_set_new(o, "action", json_string(it->action));
	json_object_set_new(o, "owner", cl_json_str(it->owner));
	json_object_set_new(o, "owner_raw", cl_json_str(it->owner_raw));
	json_object_set_new(o, "due", cl_json_str(it->due));
	json_object_set_new(o, "due_raw", cl_json_str(it->due_raw));
	json_object_set_new(o, "status", json_string(it->status));
	json_object_set_new(o, "ticket", cl_json_str(it->ticket));
	json_object_set_new(o, "url", cl_json_str(it->url));
	json_object_set_new(o, "priority", cl_json_str(it->priority));
	json_object_set_new(o, "problems", probs);
	json_object_set_new(o, "line", json_integer(it->line));
	json_object_set_new(o, "created_at", cl_json_str(it->created_at));
	json_object_set_new(o, "updated_at", cl_json_str(it->updated_at));
	json_object_set_new(o, "closed_at", cl_json_str(it->closed_at));
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
