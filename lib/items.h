/* items.h — action items in the store: queries, local state changes,
 * history, and the JSON form that `list --json` documents.
 * Items and arrays returned through out belong to the caller. */
#ifndef CL_ITEMS_H
#define CL_ITEMS_H

#include <stddef.h>

#include "error.h"
#include "store.h"

struct cl_item {
	long long rowid;
	char *key;
	char *action;
	char *owner, *owner_raw;
	char *due, *due_raw;		/* due: YYYY-MM-DD or NULL */
	char *status;			/* open | done | withdrawn */
	char *ticket, *url;
	char *priority;
	char *problems;			/* space separated codes, "" when none */
	char *created_at, *updated_at, *closed_at;
	int line;
	long long pm_rowid;
	char *pm_slug, *pm_title, *pm_source, *pm_date, *pm_path, *pm_severity;
	char *sync_error;		/* the tracker's last refusal, or NULL */
};

enum {
	CL_ITEMS_OPEN = 1,
	CL_ITEMS_DONE = 2,
	CL_ITEMS_WITHDRAWN = 4,
	CL_ITEMS_ALL = 7,
};

struct cl_item_filter {
	int status;		/* CL_ITEMS_* mask; 0 = open */
	int overdue;		/* only open items due before today */
	int today;		/* day number used by overdue */
	const char *owner;	/* owner handle or raw text, case-insensitive */
	const char *owner_handle; /* also this handle (the [people] entry owner names) */
	const char *postmortem;	/* post-mortem slug or source */
};

struct cl_history {
	char *at, *origin, *field, *old, *new;
};

int cl_items_list(struct cl_item **out, size_t *n, struct cl_store *st,
                  const struct cl_item_filter *f, struct cl_error *err);
void cl_items_free(struct cl_item *items, size_t n);
/* The same items one at a time, none kept: fn sees each (valid during the
 * call only); a non-zero return from fn stops the walk and is returned. */
int cl_items_each(struct cl_store *st, const struct cl_item_filter *f,
                  int (*fn)(const struct cl_item *it, void *arg), void *arg,
                  struct cl_error *err);
/* By public id (key); CL_ENOTFOUND when there is none. */
int cl_item_get(struct cl_item **out, struct cl_store *st, const char *key,
                struct cl_error *err);
void cl_item_free(struct cl_item *item);
/* The item id closest to key, for a "did you mean" (NULL in *out when none
 * is close); reads the ids alone. */
int cl_item_nearest(char **out, struct cl_store *st, const char *key, struct cl_error *err);

/* Sets status (open|done) with a history row of the given origin; a no-op
 * when it already has that status. */
int cl_item_set_status(struct cl_store *st, const char *key, const char *status,
                       const char *origin, struct cl_error *err);
int cl_item_history(struct cl_history **out, size_t *n, struct cl_store *st,
                    long long item_rowid, struct cl_error *err);
void cl_history_free(struct cl_history *h, size_t n);
/* Adds a note (why, from `done --note`) to an item's history. */
int cl_item_note(struct cl_store *st, long long item_rowid, const char *origin,
                 const char *note, struct cl_error *err);
/* The documented JSON object of an item (jansson json_t *, caller decrefs). */
void *cl_item_to_json(const struct cl_item *item);
/* Days an open item is overdue on today (<= 0 when not overdue). */
int cl_item_days_overdue(const struct cl_item *item, int today);

#endif
