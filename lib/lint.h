/* lint.h — the rules teams agree on, as stable problem codes.
 *
 * Codes (documented in closeloop(1)): owner-missing, owner-not-a-person,
 * owner-unknown, owner-several, due-missing, due-not-a-date,
 * due-approximate, no-action-items, postmortem-late. */
#ifndef CL_LINT_H
#define CL_LINT_H

#include "config.h"
#include "parse.h"

struct cl_buf;

struct cl_problem {
	int line;
	const char *code;	/* static string */
	char *message;
};

struct cl_problems {
	struct cl_problem *v;
	size_t n, cap;
};

/* Checks one item; appends problems. */
int cl_lint_item(struct cl_problems *out, const struct cl_pm_item *item,
                 const struct cl_config *cfg);
/* The deadline of a severity from [slo] (key as written, or in lower or
 * upper case): 1 and *days, or 0 when there is none. */
int cl_slo_days(const struct cl_config *cfg, const char *severity, long *days);
/* due-beyond-slo: the item's due date is later than its post-mortem's
 * severity allows (days: its [slo] deadline from cl_slo_days, looked up
 * once per document; 0 when there is none), counted from the incident date. */
int cl_lint_item_slo(struct cl_problems *out, const struct cl_pm_item *item,
                     const struct cl_pm_doc *doc, long days);
/* Checks the document as a whole. first_seen is the day closeloop first saw
 * it (CL_NO_DATE: unknown, only the written date is used). */
int cl_lint_document(struct cl_problems *out, const struct cl_pm_doc *doc,
                     int first_seen, const struct cl_config *cfg);
/* The codes of problems from index from on, space separated (caller frees). */
char *cl_lint_codes(const struct cl_problems *p, size_t from);
/* The same appended to b with its NUL: many items' codes in one buffer. */
void cl_lint_codes_add(struct cl_buf *b, const struct cl_problems *p, size_t from);
void cl_problems_release(struct cl_problems *p);
/* True when word is a placeholder, not a person ("team", "TBD", …). */
int cl_lint_not_a_person(const char *owner, const struct cl_config *cfg);

#endif
