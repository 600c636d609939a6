/* recur.h — recurring actions: the same fix proposed in several
 * post-mortems (a fix proposed again is a fix that was not made).
 *
 * The rule (docs/closeloop.1, RECURRING ACTIONS): an action's words are
 * its letters and digits in lower case, without stop words ("add", "the",
 * "for", …) and with a plural -s dropped. A word is rare when at most
 * max(5, 5 %) of the post-mortems use it. Two items of different
 * post-mortems are the same fix when their two rarest words are the same
 * (both rare) and their word sets overlap by at least 3/4 (Jaccard).
 * Items joined by the same fix form one recurring action.
 *
 * Arrays returned through out belong to the caller. */
#ifndef CL_RECUR_H
#define CL_RECUR_H

#include <stddef.h>

#include "error.h"
#include "store.h"

struct cl_recur {
	char *action;		/* the first item's text (post-mortems in store order) */
	char *items;		/* "db.2 (open), dns.1 (done)" */
	size_t npm;		/* post-mortems proposing it */
	size_t open;		/* of its items still open */
};

/* The recurring actions among all items (withdrawn ones left out), the
 * most post-mortems first. */
int cl_recur_find(struct cl_recur **out, size_t *n, struct cl_store *st,
                  struct cl_error *err);
void cl_recurs_free(struct cl_recur *v, size_t n);

#endif
