/* item-store.c — the one writer of items after creation: the row and its
 * history together. */
#include <stdio.h>
#include <string.h>

#include "dates.h"
#include "item-store.h"
#include "util.h"

/* The columns a change can set: the items column (NULL: history only), the
 * history field it is recorded as (NULL: bookkeeping), integer or text. */
static const struct item_col {
	const char *column, *history;
	int integer;
} cols[CL_ICOL_N] = {
	[CL_ICOL_ACTION] = { "action", "action", 0 },
	[CL_ICOL_OWNER] = { "owner", "owner", 0 },
	[CL_ICOL_OWNER_RAW] = { "owner_raw", "owner", 0 },
	[CL_ICOL_DUE] = { "due", "due", 0 },
	[CL_ICOL_DUE_RAW] = { "due_raw", "due", 0 },
	[CL_ICOL_STATUS] = { "status", "status", 0 },
	[CL_ICOL_TICKET] = { "ticket", "ticket", 0 },
	[CL_ICOL_DOC_TICKET] = { "doc_ticket", "ticket", 0 },
	[CL_ICOL_URL] = { "url", NULL, 0 },
	[CL_ICOL_DOC_STATUS] = { "doc_status", NULL, 0 },
	[CL_ICOL_PRIORITY] = { "priority", NULL, 0 },
	[CL_ICOL_PROBLEMS] = { "problems", NULL, 0 },
	[CL_ICOL_NORM] = { "norm", NULL, 0 },
	[CL_ICOL_NORM_HASH] = { "norm_hash", NULL, 1 },
	[CL_ICOL_POSITION] = { "position", NULL, 1 },
	[CL_ICOL_LINE] = { "line", NULL, 1 },
	[CL_ICOL_SOURCE] = { NULL, "source", 0 },
	[CL_ICOL_NOTE] = { NULL, "note", 0 },
};

/* Parameters of the update: ?1 the mask of columns set, ?2 + col each
 * column's value, then these. */
enum { P_MASK = 1, P_COL = 2, P_TOUCH = P_COL + CL_ICOL_N, P_NOW, P_CLOSED, P_ID };

/* One UPDATE for every change: a column not in the mask keeps its value, so
 * one cached statement serves every path. Built once from the table. */
static const char *
update_sql(void)
{
	static char sql[2048];
	size_t len;
	int i;

	if (sql[0] != '\0')
		return sql;
	len = (size_t)snprintf(sql, sizeof sql, "UPDATE items SET ");
	for (i = 0; i < CL_ICOL_N; i++)
		if (cols[i].column)
			len += (size_t)snprintf(sql + len, sizeof sql - len,
			                        "%s = CASE WHEN (?%d & %u) THEN ?%d ELSE %s END, ",
			                        cols[i].column, P_MASK, 1u << i, P_COL + i,
			                        cols[i].column);
	snprintf(sql + len, sizeof sql - len,
	         "updated_at = CASE WHEN ?%d THEN ?%d ELSE updated_at END, "
	         "closed_at = CASE WHEN NOT (?%d & %u) THEN closed_at "
	         "WHEN ?%d = 'done' THEN coalesce(?%d, closed_at, ?%d) "
	         "WHEN ?%d = 'withdrawn' THEN closed_at ELSE NULL END WHERE id = ?%d",
	         P_TOUCH, P_NOW, P_MASK, 1u << CL_ICOL_STATUS, P_COL + CL_ICOL_STATUS, P_CLOSED,
	         P_NOW, P_COL + CL_ICOL_STATUS, P_ID);
	return sql;
}

static const char history_sql[] = "INSERT INTO history (item_id, at, origin, field, old, new) "
	"VALUES (?, ?, ?, ?, ?, ?)";

void
cl_item_change_init(struct cl_item_change *c, long long id, const char *origin,
                    const char *now)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	c->origin = origin;
	c->now = now;
}

void
cl_item_change_set(struct cl_item_change *c, enum cl_item_col col, const char *old,
                   const char *text)
{
	c->set |= 1u << col;
	c->recorded |= 1u << col;
	c->v[col].old = old;
	c->v[col].text = text;
}

void
cl_item_change_put(struct cl_item_change *c, enum cl_item_col col, const char *text)
{
	c->set |= 1u << col;
	c->recorded &= ~(1u << col);
	c->v[col].text = text;
}

void
cl_item_change_num(struct cl_item_change *c, enum cl_item_col col, long long num)
{
	c->set |= 1u << col;
	c->recorded &= ~(1u << col);
	c->v[col].num = num;
}

/* True when col is recorded in this change and its value changes. */
static int
col_changes(const struct cl_item_change *c, int col)
{
	return (c->recorded & (1u << col)) && cols[col].history &&
	       !cl_str_eq(c->v[col].old, c->v[col].text);
}

int
cl_item_change_pending(const struct cl_item_change *c)
{
	int i;

	for (i = 0; i < CL_ICOL_N; i++)
		if (col_changes(c, i))
			return 1;
	return 0;
}

int
cl_item_change_write(struct cl_store *st, const struct cl_item_change *c,
                     struct cl_error *err)
{
	sqlite3_stmt *s;
	char now[21];
	const char *at = c->now;
	unsigned colmask = 0;
	int i, rc;

	if (at == NULL) {
		cl_time_format_utc(cl_now(), now);
		at = now;
	}
	for (i = 0; i < CL_ICOL_N; i++)
		if (cols[i].column)
			colmask |= c->set & (1u << i);
	if (colmask) {
		if ((rc = cl_store_cached(st, &s, update_sql(), err)) != 0)
			return rc;
		sqlite3_bind_int64(s, P_MASK, colmask);
		for (i = 0; i < CL_ICOL_N; i++) {
			if (!(colmask & (1u << i)))
				continue;
			if (cols[i].integer)
				sqlite3_bind_int64(s, P_COL + i, c->v[i].num);
			else
				cl_bind_kept(s, P_COL + i, c->v[i].text);
		}
		sqlite3_bind_int(s, P_TOUCH, c->touch || cl_item_change_pending(c));
		cl_bind_kept(s, P_NOW, at);
		cl_bind_kept(s, P_CLOSED, c->closed_at);
		sqlite3_bind_int64(s, P_ID, c->id);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);	/* nothing bound in place outlives the step */
		if (rc != SQLITE_DONE)
			return cl_store_fail(st, rc, err, "updating item");
	}
	for (i = 0; i < CL_ICOL_N; i++) {
		if (!col_changes(c, i))
			continue;
		if ((rc = cl_store_cached(st, &s, history_sql, err)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, c->id);
		cl_bind_kept(s, 2, at);
		sqlite3_bind_text(s, 3, c->origin, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, cols[i].history, -1, SQLITE_STATIC);
		cl_bind_kept(s, 5, c->v[i].old);
		cl_bind_kept(s, 6, c->v[i].text);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		if (rc != SQLITE_DONE)
			return cl_store_fail(st, rc, err, "history");
	}
	return 0;
}
