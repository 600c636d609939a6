/* report.h — the weekly report for the engineering meeting, and the
 * per-owner reminders (nag).
 *
 * The report is built once (its aggregates) and written from one table of
 * sections and their columns through the writer (writer.h) as text,
 * Markdown, HTML, JSON (the documented contract, see closeloop(1)) or CSV,
 * so every format says the same thing. Readable formats show the most
 * important rows of each section ([report] per_owner, owners, rows) and say
 * how many more there are; JSON and CSV are complete and streamed.
 *
 * Config: [report] to (recipients of --send; weekday and hour are for the
 * `run` scheduler), [people] for names and addresses (owners without one
 * are listed), [closeloop] timezone for "today" and week boundaries,
 * [nag] due_soon_days (3) for the "no address" list.
 *
 * Strings returned through out are freed with free(). */
#ifndef CL_REPORT_H
#define CL_REPORT_H

#include <stdio.h>

#include "config.h"
#include "error.h"
#include "mail.h"
#include "store.h"
#include "writer.h"

/* Formats are the writer's (writer.h): CL_WRITER_TEXT, _MARKDOWN, _HTML,
 * _JSON (complete) and _CSV (the complete list of open items). */
enum cl_report_format {
	CL_REPORT_TEXT = CL_WRITER_TEXT,
	CL_REPORT_MARKDOWN = CL_WRITER_MARKDOWN,
	CL_REPORT_HTML = CL_WRITER_HTML,
	CL_REPORT_JSON = CL_WRITER_JSON,
	CL_REPORT_CSV = CL_WRITER_CSV,
};

/* Parses "text", "markdown", "html", "json", "csv"; CL_EUSAGE otherwise. */
int cl_report_format_parse(const char *s, int *out);

/* Builds the report of ISO week (year, week); week 0 = the current week:
 * its parameters and aggregates (counts, numbers, 12-week trend). The rows
 * of its sections are read from st when it is written, so st and cfg must
 * outlive the model. Free with cl_report_free(). Items are judged as they
 * were at the end of the as-of day: today when today falls in the week,
 * else the week's last day. */
int cl_report_build(void **out, struct cl_store *st, const struct cl_config *cfg,
                    int year, int week, struct cl_error *err);
/* The same for an audience: name is a [report "NAME"] section (NULL or ""
 * the plain [report]; an unknown name is CL_EUSAGE), team the team to
 * report on (NULL: the section's team key; none: every team). The
 * all-teams report has a "teams" section with each team's numbers and
 * groups the overdue items by team first when any post-mortem has a team. */
int cl_report_build_for(void **out, struct cl_store *st, const struct cl_config *cfg,
                        const char *name, const char *team, int year, int week,
                        struct cl_error *err);
/* The config section of an audience ("report", or report "NAME") into out;
 * CL_EUSAGE when the config has no such section. */
int cl_report_section(char *out, size_t size, const struct cl_config *cfg, const char *name,
                      struct cl_error *err);
/* The mail log kind of an audience's report: "report", "report:NAME". */
void cl_report_kind(char *out, size_t size, const char *name);
/* The names of the [report "NAME"] sections, in file order (the plain
 * [report] is not among them). Free with cl_report_names_free(). */
int cl_report_names(char ***out, size_t *n, const struct cl_config *cfg);
void cl_report_names_free(char **names, size_t n);
void cl_report_free(void *model);
/* Writes the report in a format to fp, streamed (JSON and CSV complete). */
int cl_report_write(FILE *fp, const void *model, int format, struct cl_error *err);
/* The same into a NUL-terminated string (caller frees). */
int cl_report_render(char **out, const void *model, int format, struct cl_error *err);
/* The model's ISO week as "2024-W12" (points into the model). */
const char *cl_report_week(const void *model);
/* A headline count ("open", "overdue", "closed_this_week", "new_this_week",
 * "due_next_7_days"); -1 for an unknown name. */
long long cl_report_count(const void *model, const char *what);
/* Builds the report mail to [report] to (kind "report", key the week). */
int cl_report_mail(struct cl_mail **out, const void *model, const struct cl_config *cfg,
                   struct cl_error *err);

/* Mails the report of ISO week (year, week) of audience name (NULL: the
 * plain [report]; ignored when model is given) to the recipients of its
 * to that the mail log has no final answer for that week: once per week
 * per recipient, so one deferred (4xx, server down) gets it on the next
 * run and the others not again (force: everyone, again). model is the
 * built report of that week, or NULL to build it. *sent is 1 when a
 * message was accepted by at least one recipient, 0 when nothing was sent.
 * note (may be NULL) says what happened: already sent, or "sent to N of M
 * recipients (Message-ID <…>)" and the refused ones. The mail log has the
 * details. Marking the failed drills it showed is the caller's business
 * (cl_report_mark_shown). */
/* How many recipients of the audience's to (name as for
 * cl_report_build_for) still wait for week's report (no final answer in
 * the mail log under its kind). CL_ECONFIG for a bad to. */
int cl_report_pending(size_t *out, struct cl_store *st, const struct cl_config *cfg,
                      const char *name, const char *week, struct cl_error *err);
/* With CLOSELOOP_REPORT_SQL set, appends s with its values to that file:
 * the report's queries, for the benchmark's sqlite3 baseline. */
void cl_report_trace(sqlite3_stmt *s);
/* Marks the failed drills the model showed as reported (after a send). */
int cl_report_mark_shown(struct cl_store *st, const void *model, struct cl_error *err);
int cl_report_send_week(int *sent, struct cl_store *st, const struct cl_config *cfg,
                        const char *name, int year, int week, const void *model, int force,
                        FILE *trace, char *note, size_t note_size, struct cl_error *err);

#endif
