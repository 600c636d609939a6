/* nag.h — per-owner reminders about overdue and soon-due action items.
 *
 * One message per owner listing only their own overdue items and those due
 * within [nag] due_soon_days (default 3); nothing for owners with nothing
 * to say; at most one per owner per [nag] every_days (default 7), judged
 * from the mail log. Items overdue more than [nag] escalate_after_days
 * (default 14) also go to the owner's lead ([people] alice.lead = bob, else
 * [nag] escalate_to, an address or a [people] handle), in a message of its
 * own sent together with the owner's; the owner's message says so. Owners
 * without an address in [people] get nothing: `report` lists their items.
 *
 * Everything returned through out belongs to the caller (cl_nags_free). */
#ifndef CL_NAG_H
#define CL_NAG_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "mail.h"
#include "store.h"

struct cl_nag {
	char *owner;		/* handle, or the owner text when not in [people] */
	char *name;		/* display name, may be NULL */
	char *email;		/* NULL: no address, nothing is sent */
	char *lead;		/* escalation address, NULL when none */
	char *lead_name;
	size_t overdue, due_soon, escalated;
	char *subject, *text, *html;	/* the owner's message (one writer, two formats) */
	char *lead_subject, *lead_text, *lead_html;	/* the lead's, when escalated and a
						 * lead is known */
	char *last_sent;	/* last reminder accepted or refused (UTC), or NULL */
	int skipped;		/* reminded (or refused) less than every_days ago */
	int lead_pending;	/* skipped, but the escalation sent with the last
				 * reminder was deferred: the lead still gets it */
};

/* Works out the reminders due now. */
int cl_nag_plan(struct cl_nag **out, size_t *n, struct cl_store *st,
                const struct cl_config *cfg, struct cl_error *err);
void cl_nags_free(struct cl_nag *v, size_t n);
/* What cl_nag_plan would decide, counted without composing anything: the
 * owners with an address due a reminder now, and when the next skipped one
 * is due again (0: none). For status. */
int cl_nag_due(size_t *due_now, time_t *next_at, struct cl_store *st,
               const struct cl_config *cfg, struct cl_error *err);
/* The same for given owners (each an owner, or owner_raw, of an open item
 * due on or before cl_nag_due_date()): status finds them in its own scan. */
int cl_nag_due_owners(size_t *due_now, time_t *next_at, struct cl_store *st,
                      const struct cl_config *cfg, const char *const *owners, size_t n,
                      struct cl_error *err);
/* The last due date a reminder looks at: today + [nag] due_soon_days. */
int cl_nag_due_date(char out[11], const struct cl_config *cfg, struct cl_error *err);
/* Sends the due reminders (not skipped, with an address) in one session
 * and records them in the mail log; *sent counts accepted messages. */
int cl_nag_send(struct cl_nag *v, size_t n, struct cl_store *st,
                const struct cl_config *cfg, FILE *trace, size_t *sent,
                struct cl_error *err);

/* An owner whose last reminder was refused for good (5xx): retried once
 * per [nag] every_days, and listed for the weekly report until [people]
 * is fixed and a reminder is accepted. */
struct cl_nag_refusal {
	char *owner;		/* handle (the mail log key) */
	char *email;		/* the refused address */
	int code;		/* SMTP reply code */
	char *detail;		/* server text, may be NULL */
	char *at;		/* when (UTC RFC 3339) */
};
/* The owners whose latest reminder was refused, by owner. Free with
 * cl_nag_refusals_free(). */
int cl_nag_refused(struct cl_nag_refusal **out, size_t *n, struct cl_store *st,
                   struct cl_error *err);
void cl_nag_refusals_free(struct cl_nag_refusal *v, size_t n);

#endif
