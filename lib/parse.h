/* parse.h — a post-mortem (or runbook) Markdown document → its metadata and
 * action items, with md4c.
 *
 * Action items are the rows of GFM tables and the task-list entries under an
 * "Action items"-like heading (any level, sub-headings included, until the
 * next heading of the same or a higher level). Columns are recognised by
 * meaning. Line numbers are 1-based lines of the input. */
#ifndef CL_PARSE_H
#define CL_PARSE_H

#include <stddef.h>

#include "error.h"

struct cl_pm_item {
	int line;
	char *action;		/* cell text, links reduced to their text */
	char *owner;		/* "@alice" → "alice", "Name (@h)" → "h"; NULL if none */
	char *owner_raw;	/* as written (trimmed), NULL if no owner cell/part */
	char *due_raw;		/* as written, NULL if none */
	int due;		/* day number, or CL_NO_DATE */
	int done;		/* the document says it is done */
	char *ticket;		/* ticket text or URL named in the row, NULL if none */
	char *priority;
};

struct cl_pm_doc {
	char *title;
	int title_line;
	int incident_date;	/* CL_NO_DATE when unknown */
	int written_date;	/* CL_NO_DATE when the document does not say */
	char *severity;
	char *authors;		/* "alice, bob" */
	int is_runbook;
	char *rb_owner;
	int rb_last_tested;	/* CL_NO_DATE when unknown */
	char *rb_rto_target;
	int rb_actual_rto;	/* minutes, -1 when unknown */
	int has_action_section;
	int action_section_line;
	struct cl_pm_item *items;
	size_t nitems;
};

/* Limits on what one document may hold; exceeding one is CL_EDATA. */
#define CL_PARSE_MAX_ITEMS 5000
#define CL_PARSE_MAX_CELLS 100000

/* Parses UTF-8 text (a BOM and CRLF are accepted). ref is the day used for
 * year-less dates when the document has no incident date (CL_NO_DATE: today).
 * Invalid UTF-8 is CL_EDATA naming the line. */
int cl_parse_document(struct cl_pm_doc **out, const char *text, size_t len,
                      int ref, struct cl_error *err);
void cl_pm_doc_free(struct cl_pm_doc *doc);

/* Normalises an action for identity: lower case ASCII, collapsed white
 * space, no Markdown punctuation or trailing full stop. Caller frees. */
char *cl_parse_normalise(const char *action);
/* Owner as written → handle/name (caller frees), NULL for empty. */
char *cl_parse_owner(const char *raw);
/* Checks UTF-8; returns 0 or the 1-based line of the first bad byte. */
int cl_utf8_check(const char *s, size_t len);

#endif
