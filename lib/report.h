/* report.h — the weekly report for the engineering meeting, and the
 * per-owner reminders (nag).
 *
 * The report is built once as a JSON model (the documented `report --format
 * json` contract, see docs/mail.md) and rendered from it as text, Markdown
 * or HTML (inline CSS, tables, a bar chart of table cells, no scripts), so
 * every format says the same thing.
 *
 * Config: [report] to (recipients of --send; weekday and hour are for the
 * `run` scheduler), [people] for names and addresses (owners without one
 * are listed), [closeloop] timezone for "today" and week boundaries,
 * [nag] due_soon_days (3) for the "no address" list.
 *
 * json_t values returned through out belong to the caller (json_decref);
 * strings returned through out are freed with free(). */
#ifndef CL_REPORT_H
#define CL_REPORT_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "mail.h"
#include "store.h"

enum cl_report_format {
	CL_REPORT_TEXT,
	CL_REPORT_MARKDOWN,
	CL_REPORT_HTML,
	CL_REPORT_JSON,
};

/* Parses "text", "markdown", "html", "json"; CL_EUSAGE otherwise. */
int cl_report_format_parse(const char *s, int *out);

/* Builds the model of ISO week (year, week); week 0 = the current week.
 * Overdue/due-soon are judged on today when today falls in the week, else
 * on the week's last day. */
int cl_report_build(void **out, struct cl_store *st, const struct cl_config *cfg,
                    int year, int week, struct cl_error *err);
/* Renders a model (json_t *) in a format; *out is NUL-terminated. */
int cl_report_render(char **out, const void *model, int format, struct cl_error *err);
/* The model's ISO week as "2024-W12" (points into the model). */
const char *cl_report_week(const void *model);
/* Builds the report mail to [report] to (kind "report", key the week). */
int cl_report_mail(struct cl_mail **out, const void *model, const struct cl_config *cfg,
                   struct cl_error *err);

/* Mails the report of ISO week (year, week) to the recipients of [report]
 * to that the mail log has no final answer for that week: once per week
 * per recipient, so one deferred (4xx, server down) gets it on the next
 * run and the others not again (force: everyone, again). model is the
 * built report of that week, or NULL to build it. *sent is 1 when a
 * message was accepted by at least one recipient, 0 when nothing was sent.
 * note (may be NULL) says what happened: already sent, or "sent to N of M
 * recipients (Message-ID <…>)" and the refused ones. The mail log has the
 * details. Marking the failed drills it showed is the caller's business
 * (cl_drill_mark_shown). */
/* How many recipients of [report] to still wait for week's report
 * (no final answer in the mail log). CL_ECONFIG for a bad [report] to. */
int cl_report_pending(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                      const char *week, struct cl_error *err);
int cl_report_send_week(int *sent, struct cl_store *st, const struct cl_config *cfg,
                        int year, int week, const void *model, int force, FILE *trace,
                        char *note, size_t note_size, struct cl_error *err);

#endif
