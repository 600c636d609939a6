/* lint.c — the action-item rules: owners are people, due dates are dates,
 * post-mortems are written within 48 hours. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdarg.h>

#include "dates.h"
#include "lint.h"
#include "util.h"

/* Placeholders that are not a person. */
static const char *const not_people[] = {
	"team", "the team", "tbd", "tba", "tbc", "everyone", "everybody", "all", "ops",
	"devops", "sre", "eng", "engineering", "n/a", "na", "none", "nobody", "someone",
	"somebody", "unassigned", "unknown", "?", "??", "x", "oncall", "on-call", "on call",
	"the on-call", "whoever", "us", "we", "infra", "platform", "backend", "frontend",
	"dev", "devs", "qa", "me", "myself", "you", "them", "they", "i", NULL
};


/* True when word (lower-cased) is in the comma-separated config list. */
static int
in_config_list(const struct cl_config *cfg, const char *key, const char *word)
{
	const char *v = cl_config_get(cfg, "lint", key), *p;
	size_t n = strlen(word);

	if (v == NULL)
		return 0;
	for (p = v; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncasecmp(p, word, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
		p += strcspn(p, ",");
	}
	return 0;
}

int
cl_lint_not_a_person(const char *owner, const struct cl_config *cfg)
{
	char low[128];
	size_t i;

	cl_str_key(low, sizeof low, owner);
	/* "team-db", "db team", "@sre-team", "@org/team" are teams too */
	if (strstr(low, "team") != NULL || strchr(low, '/') != NULL)
		return 1;
	for (i = 0; not_people[i]; i++)
		if (strcmp(low, not_people[i]) == 0)
			return 1;
	return in_config_list(cfg, "not_owners", low);
}

static int
add(struct cl_problems *out, int line, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
add(struct cl_problems *out, int line, const char *code, const char *fmt, ...)
{
	struct cl_buf b = CL_BUF_INIT;
	va_list ap;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;
		struct cl_problem *v = cl_realloc(out->v, cap * sizeof *v);
		if (v == NULL)
			return CL_ENOMEM;
		out->v = v;
		out->cap = cap;
	}
	va_start(ap, fmt);
	cl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if ((out->v[out->n].message = cl_buf_steal(&b)) == NULL)
		return CL_ENOMEM;
	out->v[out->n].line = line;
	out->v[out->n].code = code;
	out->n++;
	return 0;
}

/* A short, single-line rendering of an action for messages. */
static void
short_action(const char *action, char out[64])
{
	size_t n = strlen(action);

	if (n <= 60) {
		snprintf(out, 64, "%s", action);
		return;
	}
	n = 57;
	while (n > 0 && ((unsigned char)action[n] & 0xc0) == 0x80)
		n--;
	snprintf(out, 64, "%.*s...", (int)n, action);
}

int
cl_lint_item(struct cl_problems *out, const struct cl_pm_item *it,
             const struct cl_config *cfg)
{
	char act[64];
	int rc = 0;

	short_action(it->action ? it->action : "", act);
	if (it->owner == NULL)
		rc = add(out, it->line, "owner-missing", "'%s' has no owner", act);
	else if (cl_lint_not_a_person(it->owner, cfg))
		rc = add(out, it->line, "owner-not-a-person",
		         "owner '%s' is not a person: name one person who will do it", it->owner_raw);
	else if (cl_config_people_count(cfg) > 0 && cl_config_person(cfg, it->owner) == NULL)
		rc = add(out, it->line, "owner-unknown", "owner '%s' is not in [people]", it->owner);
	if (rc == 0 && it->owner != NULL && it->owners_several)
		rc = add(out, it->line, "owner-several",
		         "'%s' names several owners (%s): one owner per item", act, it->owner_raw);
	if (rc != 0)
		return rc;
	if (it->due_raw == NULL || *it->due_raw == '\0' || strcmp(it->due_raw, "-") == 0 ||
	    strcmp(it->due_raw, "\xe2\x80\x94") == 0)
		rc = add(out, it->line, "due-missing", "'%s' has no due date", act);
	else if (it->due == CL_NO_DATE)
		rc = add(out, it->line, "due-not-a-date",
		         "due date '%s' is not a date: write one like 2024-01-29", it->due_raw);
	else if (it->due_approx) {
		char day[11];
		cl_date_format(it->due, day);
		rc = add(out, it->line, "due-approximate",
		         "due date '%s' is approximate (read as %s): write the day", it->due_raw, day);
	}
	return rc;
}

int
cl_lint_document(struct cl_problems *out, const struct cl_pm_doc *doc, int first_seen,
                 const struct cl_config *cfg)
{
	long hours = 48;
	int written, late;
	char inc[11], wr[11];

	if (doc->is_runbook)
		return 0;
	if (doc->nitems == 0) {
		int rc = add(out, doc->has_action_section ? doc->action_section_line : 1,
		             "no-action-items", doc->has_action_section
		             ? "the action items section lists no items"
		             : "no action items (no table or task list under an "
		               "\"Action items\" heading)");
		if (rc != 0)
			return rc;
	}
	if (doc->incident_date == CL_NO_DATE)
		return 0;
	cl_config_get_int(cfg, "lint", "late_hours", 48, 0, 24 * 365, &hours, NULL);
	written = doc->written_date != CL_NO_DATE ? doc->written_date : first_seen;
	if (written == CL_NO_DATE)
		return 0;
	/* dates have no time of day: written on day D+N is N*24 h at most */
	late = (long)(written - doc->incident_date) * 24 > hours;
	if (!late)
		return 0;
	cl_date_format(doc->incident_date, inc);
	cl_date_format(written, wr);
	return add(out, doc->title_line ? doc->title_line : 1, "postmortem-late",
	           "post-mortem %s %s, %d days after the incident of %s (rule: within %ld hours)",
	           doc->written_date != CL_NO_DATE ? "written" : "first seen", wr,
	           written - doc->incident_date, inc, hours);
}

char *
cl_lint_codes(const struct cl_problems *p, size_t from)
{
	struct cl_buf b = CL_BUF_INIT;
	size_t i;

	for (i = from; i < p->n; i++) {
		if (b.len)
			cl_buf_putc(&b, ' ');
		cl_buf_puts(&b, p->v[i].code);
	}
	return cl_buf_steal(&b);
}

void
cl_problems_release(struct cl_problems *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].message);
	free(p->v);
	memset(p, 0, sizeof *p);
}
