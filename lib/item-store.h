/* item-store.h — the one writer of items after their creation.
 *
 * Every change of an item (import, `done`, a pulled ticket, a link, a
 * withdrawal, a move, a note) is one struct cl_item_change handed to
 * cl_item_change_write(): it updates the columns set and writes one history
 * row per recorded field whose value changed, in one place, so that "every
 * change after creation is a history row" holds by construction. Creation
 * itself (INSERT in lib/import.c) is items.created_at, not history. */
#ifndef CL_ITEM_STORE_H
#define CL_ITEM_STORE_H

#include "error.h"
#include "store.h"

/* What a change can set. A column with a history name in the table of
 * lib/item-store.c is recorded when set with cl_item_change_set() and its
 * value changed; one set with cl_item_change_put() (a value derived from a
 * recorded one: owner from owner_raw) or without a history name is not. The
 * last ones have no column: only a history row (a move, a note). */
enum cl_item_col {
	CL_ICOL_ACTION,		/* history "action" */
	CL_ICOL_OWNER,		/* "owner" (the handle; a tracker's assignee) */
	CL_ICOL_OWNER_RAW,	/* "owner" (as the document writes it) */
	CL_ICOL_DUE,		/* "due" (YYYY-MM-DD; a tracker's due date) */
	CL_ICOL_DUE_RAW,	/* "due" (as the document writes it) */
	CL_ICOL_STATUS,		/* "status"; also sets closed_at (see closed_at) */
	CL_ICOL_TICKET,		/* "ticket" (linked by sync) */
	CL_ICOL_DOC_TICKET,	/* "ticket" (named by the document) */
	CL_ICOL_URL,		/* bookkeeping from here on: no history */
	CL_ICOL_DOC_STATUS,
	CL_ICOL_PRIORITY,
	CL_ICOL_PROBLEMS,
	CL_ICOL_NORM,
	CL_ICOL_NORM_HASH,	/* integer */
	CL_ICOL_POSITION,	/* integer */
	CL_ICOL_LINE,		/* integer */
	CL_ICOL_SOURCE,		/* history "source" only: the document moved */
	CL_ICOL_NOTE,		/* history "note" only: why (done --note) */
	CL_ICOL_N
};

struct cl_item_change {
	long long id;		/* items.id */
	const char *origin;	/* import | local | tracker | sync */
	const char *now;	/* updated_at and the history's time (UTC); NULL: now */
	const char *closed_at;	/* with status done: when (NULL: kept, else now) */
	int touch;		/* set updated_at although no recorded field changed */
	unsigned set, recorded;	/* bits (1 << col) */
	struct { const char *old, *text; long long num; } v[CL_ICOL_N];
};

/* Starts an empty change of item id by origin. */
void cl_item_change_init(struct cl_item_change *c, long long id, const char *origin,
                         const char *now);
/* Sets col to text, recorded as old → text when they differ. */
void cl_item_change_set(struct cl_item_change *c, enum cl_item_col col, const char *old,
                        const char *text);
/* Sets col to text without a history row. */
void cl_item_change_put(struct cl_item_change *c, enum cl_item_col col, const char *text);
/* Sets an integer column (never recorded). */
void cl_item_change_num(struct cl_item_change *c, enum cl_item_col col, long long num);
/* True when a recorded field changes (the write will add history). */
int cl_item_change_pending(const struct cl_item_change *c);
/* Writes the row and its history rows (inside the caller's transaction,
 * if any). updated_at moves when a recorded field changed or touch is set. */
int cl_item_change_write(struct cl_store *st, const struct cl_item_change *c,
                         struct cl_error *err);

#endif
