/* sync.h — two-way sync of action items with the configured tracker.
 *
 * One run: pull (tickets changed since the stored cursor, with the stored
 * ETag) → link/adopt → push (creates, updates, closes) → pull again when it
 * wrote anything, so that the next run starts from a 304. Rules:
 *  - tracker wins for status, assignee and (native) due date once linked,
 *    the document wins for the action text; a change on one side only is
 *    carried to the other (three-way against the last synced values);
 *  - before every create the intent is committed; a create whose answer was
 *    lost is found again by the marker "closeloop:<item key>" in the body
 *    (first in the incremental pull, else by cl_tracker find_markers) and
 *    adopted, never created twice;
 *  - a per-item refusal (422) or a vanished ticket (404/410/301) marks that
 *    item (sync_items.error, struct cl_item sync_error) and the run goes on;
 *    auth, config, rate-limit and network failures stop the run, leaving
 *    the state consistent for the next one.
 * Every item change is a history row with origin "tracker" (pulled) or
 * "sync" (links). */
#ifndef CL_SYNC_H
#define CL_SYNC_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "store.h"
#include "tracker.h"

struct cl_sync_stats {
	int created, adopted, linked, updated, closed, reopened, recorded;
	int pulled;		/* tickets whose changes were applied to items */
	int item_errors;	/* items marked with a problem this run */
	int not_modified;	/* the pull answered 304 */
	long requests;		/* HTTP requests sent */
};

struct cl_sync_opts {
	int dry_run;		/* GETs only: print the plan, write nothing */
	FILE *plan;		/* where the plan / per-item messages go (stdout) */
	int progress;		/* draw a progress bar on stderr */
	int verbose;
};

int cl_sync_run(struct cl_store *st, const struct cl_config *cfg, struct cl_tracker *t,
                const struct cl_sync_opts *opts, struct cl_sync_stats *stats,
                struct cl_error *err);

/* Records in meta that a sync succeeded (last_sync_ok) or failed
 * (sync_failed_at); cl_sync_run does it, callers that fail before it too. */
void cl_sync_note_outcome(struct cl_store *st, int rc);

/* The issue body closeloop writes for an item (caller frees); exposed for
 * tests. due_in_body: the tracker has no due-date field. */
struct cl_item;
char *cl_sync_body(const struct cl_item *it, int due_in_body);

#endif
