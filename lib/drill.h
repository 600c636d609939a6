/* drill.h — DR drills: re-runs of post-mortems and periodic runbook drills,
 * their calendar invites, outcomes and proposals.
 *
 * A drill belongs to a post-mortem (kind postmortem: the re-run that verifies
 * the fix) or to a runbook (kind runbook: periodic). Its state is scheduled,
 * cancelled, done-pass or done-fail. The sequence stored is the SEQUENCE of
 * the last calendar sent, so an update or a cancellation always raises it.
 *
 * Every change that attendees must learn about (schedule, reschedule,
 * cancel, an applied proposal) happens in one transaction around the send:
 * when the sender fails, nothing is written. Without a sender (dry run) the
 * functions build the calendar they would send and change nothing.
 *
 * Structures and arrays returned through out belong to the caller
 * (cl_drill_free / cl_drills_free). Errors: CL_ENOTFOUND (no such drill or
 * post-mortem), CL_EUSAGE (bad time, zone, state change), CL_EDATA (nobody
 * to invite), CL_ECONFIG (no organizer), store and sender codes. */
#ifndef CL_DRILL_H
#define CL_DRILL_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct cl_mail;

struct cl_drill_attendee {
	char *handle;		/* [people] handle, NULL for a bare address */
	char *name;		/* display name, may be NULL */
	char *email;
	int refused;		/* the latest invite to it was refused (5xx) */
	int deferred;		/* ... deferred (4xx, server down), not answered since */
};

struct cl_drill {
	long long id;			/* 0 for a drill not (yet) stored */
	char *uid;
	long long pm_rowid;
	char *pm_slug, *pm_kind, *pm_title, *pm_source;
	char *title, *description;
	time_t start;
	char *timezone;			/* IANA name */
	int duration;			/* minutes */
	char *rrule;			/* NULL: one-off */
	char *organizer;		/* "Name <addr>" or addr */
	int sequence;
	char *state;			/* scheduled | cancelled | done-pass | done-fail */
	char *origin;			/* manual | proposal */
	int rto;			/* minutes measured, -1 unknown */
	char *notes;
	char *created_at, *updated_at, *done_at, *reported_at;
	struct cl_drill_attendee *attendees;
	size_t nattendees, attendees_cap;
	char *reason;			/* proposals: why it is due */
};

/* What a sender is asked to deliver: the calendar (METHOD method) of d to
 * its attendees. Returns 0 once the server (or outbox) took it. */
typedef int (*cl_drill_send_fn)(void *arg, const struct cl_drill *d, const char *method,
                                const char *calendar, struct cl_error *err);

struct cl_drill_sender {
	cl_drill_send_fn send;
	void *arg;
};

/* What schedule is asked for; NULL / 0 fields take the defaults:
 * duration [drill] duration_minutes (60), tz [drill] timezone, then
 * [closeloop] timezone, then UTC; attendees: owners of the post-mortem's
 * items and its authors (the runbook's owner and authors), from [people]. */
struct cl_drill_request {
	const char *postmortem;		/* slug or source */
	const char *at;			/* "2024-04-02 14:00", local in tz */
	int duration;
	const char *tz;
	const char *const *attendees;	/* handles, names or addresses */
	size_t nattendees;
	const char *every;		/* "quarter", "month", "N weeks" */
};

void cl_drill_free(struct cl_drill *d);
void cl_drills_free(struct cl_drill *d, size_t n);

/* All drills, or those of one post-mortem (slug or source), newest start last. */
int cl_drill_list(struct cl_drill **out, size_t *n, struct cl_store *st,
                  const char *postmortem, struct cl_error *err);
int cl_drill_get(struct cl_drill **out, struct cl_store *st, long long id,
                 struct cl_error *err);

/* Prepares a drill from req (not stored). */
int cl_drill_prepare(struct cl_drill **out, struct cl_store *st, const struct cl_config *cfg,
                     const struct cl_drill_request *req, struct cl_error *err);
/* The iCalendar text of d: REQUEST, or CANCEL when cancel is set. */
int cl_drill_calendar(char **out, const struct cl_drill *d, const struct cl_config *cfg,
                      int cancel, struct cl_error *err);
/* Stores a prepared drill and sends its invite (sequence 0). With send NULL
 * it only fills *calendar with what would be sent (id: the one it would get).
 * calendar may be NULL. */
int cl_drill_schedule(struct cl_drill *d, char **calendar, struct cl_store *st,
                      const struct cl_config *cfg, const struct cl_drill_sender *send,
                      struct cl_error *err);
/* Moves a scheduled drill (same UID, SEQUENCE + 1); duration 0 and tz NULL
 * keep the drill's. */
int cl_drill_reschedule(struct cl_drill **out, char **calendar, struct cl_store *st,
                        const struct cl_config *cfg, long long id, const char *at,
                        int duration, const char *tz, const struct cl_drill_sender *send,
                        struct cl_error *err);
/* Cancels a scheduled drill (METHOD:CANCEL, SEQUENCE + 1). */
int cl_drill_cancel(struct cl_drill **out, char **calendar, struct cl_store *st,
                    const struct cl_config *cfg, long long id,
                    const struct cl_drill_sender *send, struct cl_error *err);
/* Records the outcome of a scheduled drill: pass marks the post-mortem
 * verified (a runbook: last tested on the drill's day, actual RTO); fail
 * clears the verification and waits for the weekly report. rto -1: unknown. */
int cl_drill_done(struct cl_store *st, long long id, int pass, int rto, const char *notes,
                  struct cl_error *err);

/* Failed drills the weekly report has not shown yet (unreported_only) or
 * all failed drills, oldest first; and marking one as reported. */
int cl_drill_failures(struct cl_drill **out, size_t *n, struct cl_store *st,
                      int unreported_only, struct cl_error *err);
int cl_drill_mark_reported(struct cl_store *st, long long id, struct cl_error *err);

/* The re-runs that are due: post-mortems whose items are all closed (no
 * drill scheduled or recorded since the last one closed), and runbooks last
 * tested more than [drill] max_age_days ago (90) with no drill scheduled or
 * made in that time. Each is placed after_close_days (14) after the last
 * closure (a runbook: from today) at the first free working-hours slot
 * ([drill] work_start_hour 9 .. work_end_hour 17, Monday to Friday) in the
 * drill timezone, never in the past. With send, each is stored and sent in
 * its own transaction (a failed send leaves it due for the next run; the
 * first error is returned after trying the others); without, nothing is
 * written. Proposals without any attendee address are returned with
 * id 0 and a reason, and not stored. */
int cl_drill_propose(struct cl_drill **out, size_t *n, struct cl_store *st,
                     const struct cl_config *cfg, const struct cl_drill_sender *send,
                     struct cl_error *err);

/* The mail sender: each calendar goes to the drill's attendees as an
 * invitation (text + HTML + text/calendar; method=…, and invite.ics) through
 * cl_mail_deliver, which writes the mail log (kind "invite", key the
 * drill's UID) in the drill's transaction. A message accepted for some
 * attendees only keeps the drill (the others are in the mail log and in
 * `drill list`), and is counted in refused: the command then exits with
 * refused_code (69 for a 5xx, 75 for a deferral). */
struct cl_drill_mailer {
	const struct cl_config *cfg;
	struct cl_store *st;
	FILE *trace;			/* SMTP dialogue, may be NULL */
	char warning[512];		/* set after a partial delivery */
	int sent;			/* messages accepted */
	int refused;			/* messages some attendee did not accept */
	int refused_code;		/* the CL_E* code of the last such one */
	size_t accepted;		/* recipients that accepted the last message */
};
int cl_drill_send_mail(void *mailer, const struct cl_drill *d, const char *method,
                       const char *calendar, struct cl_error *err);
/* A sender for mailer: { cl_drill_send_mail, mailer }. */
struct cl_drill_sender cl_drill_mail_sender(struct cl_drill_mailer *mailer);

/* Sends each scheduled (or cancelled) drill's current invitation (or
 * cancellation) again to the attendees that are still waiting for it (the
 * server deferred them); *out counts the messages sent. The first error is
 * returned after trying the others. `run` calls it in its drills step. */
int cl_drill_resend_deferred(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                             const struct cl_drill_sender *send, struct cl_error *err);

/* The documented JSON object of a drill (jansson json_t *, caller decrefs). */
void *cl_drill_to_json(const struct cl_drill *d);
/* "2024-04-02 14:00" in the drill's zone into out[17]. */
void cl_drill_local_start(const struct cl_drill *d, char out[17]);

#endif
