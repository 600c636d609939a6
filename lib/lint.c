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
	"dev", "devs", "qa", "me", "myself", "you", "them", "they", "i", "infrastructure",
	"networking", "network", "security", "database", "dba", "dbas", "storage", "support",
	"secops", "releng", "comms", "legal", "compliance", "product", "design", "marketing",
	"finance", "sales", "management", "leadership", "service owner", "the service owner",
	NULL
};

/* Last words that make a name a group: "Cyber Operations", "core devs". */
static const char *const group_words[] = {
	"guild", "devs", "developers", "maintainers", "engineers", "signers", "admins",
	"operators", "managers", "committee", "council", "on-call", "oncall", "ops",
	"operations", "engineering", "technology", "management", "success", "safety",
	"support", "security", "infrastructure", "platform", "sre", "networking", "leads",
	"owners", "department", "desk", "services", "office", "group", "crew", "board",
	"relations", NULL
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
	static struct cl_letter_chain people, groups;
	_Static_assert(sizeof not_people / sizeof not_people[0] <= CL_LETTER_CHAIN_MAX + 1 &&
	               sizeof group_words / sizeof group_words[0] <= CL_LETTER_CHAIN_MAX + 1,
	               "a cl_letter_chain holds 128 names");
	char low[128];
	size_t i;

	cl_str_key(low, sizeof low, owner);
	/* "team-db", "db team", "@sre-team", "@org/team" are teams too */
	if (strstr(low, "team") != NULL || strchr(low, '/') != NULL)
		return 1;
	/* "sig-release", "wg-networking": groups of open-source projects */
	if (strncmp(low, "sig-", 4) == 0 || strncmp(low, "sig ", 4) == 0 ||
	    strncmp(low, "wg-", 3) == 0 || strstr(low, "squad") != NULL)
		return 1;
	for (i = cl_letter_chain_first(&people, not_people, sizeof not_people[0],
	                               sizeof not_people / sizeof not_people[0] - 1,
	                               (unsigned char)low[0]);
	     i != 0; i = cl_letter_chain_next(&people, i))
		if (strcmp(low, not_people[i - 1]) == 0)
			return 1;
	/* "Cyber Operations", "Backend guild", "core devs", "Trust & Safety":
	 * a group named by its last word */
	{
		const char *last = strrchr(low, ' ');
		if (last != NULL) {
			for (i = cl_letter_chain_first(&groups, group_words, sizeof group_words[0],
			                               sizeof group_words / sizeof group_words[0] - 1,
			                               (unsigned char)last[1]);
			     i != 0; i = cl_letter_chain_next(&groups, i))
				if (strcmp(last + 1, group_words[i - 1]) == 0)
					return 1;
		}
	}
	return in_config_list(cfg, "not_owners", low);
}

/* The messages' few conversions (%s, %d, %ld) without printf: a message
 * is built for every problem of every item an import reads. Writes to out
 * unless it is NULL; returns the message's length (add() asks it twice:
 * how long, then into one allocation of that size). */
static size_t
format_message(char *out, const char *fmt, va_list ap)
{
	const char *p = fmt, *q;
	char num[24];
	size_t len = 0;

#define PUT(s, n) do { if (out) memcpy(out + len, (s), (n)); len += (n); } while (0)
	while ((q = strchr(p, '%')) != NULL) {
		long v;
		int neg, k = (int)sizeof num;
		PUT(p, (size_t)(q - p));
		if (q[1] == 's') {
			const char *sv = va_arg(ap, const char *);
			if (sv == NULL)
				sv = "(null)";
			PUT(sv, strlen(sv));
			p = q + 2;
			continue;
		}
		if (q[1] == 'd')
			v = va_arg(ap, int), p = q + 2;
		else if (q[1] == 'l' && q[2] == 'd')
			v = va_arg(ap, long), p = q + 3;
		else {
			PUT("%", 1);
			p = q + (q[1] == '%' ? 2 : 1);
			continue;
		}
		neg = v < 0;
		num[--k] = '\0';
		do {
			long d = v % 10;
			num[--k] = (char)('0' + (d < 0 ? -d : d));
			v /= 10;
		} while (v != 0 && k > 1);
		if (neg)
			num[--k] = '-';
		PUT(num + k, sizeof num - 1 - (size_t)k);
	}
	PUT(p, strlen(p) + 1);
#undef PUT
	return len - 1;
}

static int
add(struct cl_problems *out, int line, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
add(struct cl_problems *out, int line, const char *code, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	char *msg;

	if (cl_grow(&out->v, &out->cap, out->n, sizeof *out->v, 8) != 0)
		return CL_ENOMEM;
	va_start(ap, fmt);
	n = format_message(NULL, fmt, ap);
	va_end(ap);
	if ((msg = cl_malloc(n + 1)) == NULL)
		return CL_ENOMEM;
	va_start(ap, fmt);
	format_message(msg, fmt, ap);
	va_end(ap);
	out->v[out->n].message = msg;
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
		memcpy(out, action, n + 1);
		return;
	}
	n = 57;
	while (n > 0 && ((unsigned char)action[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, action, n);
	memcpy(out + n, "...", 4);
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

/* True when a date as written names no year (no run of four digits). */
static int
year_less(const char *s)
{
	size_t run = 0;

	for (; *s; s++) {
		run = isdigit((unsigned char)*s) ? run + 1 : 0;
		if (run == 4)
			return 0;
	}
	return 1;
}

/* due-far: a date without a year is the first such day on or after the
 * incident, so "Jan 5" in a post-mortem of 2024-01-15 is 2025-01-05: fine
 * by the rule, but more than 9 months after the incident it is likely a
 * slip. */
static int
lint_due_far(struct cl_problems *out, const struct cl_pm_doc *doc)
{
	char day[11], inc[11];
	size_t i;
	int rc;

	for (i = 0; i < doc->nitems; i++) {
		const struct cl_pm_item *it = &doc->items[i];
		if (it->due == CL_NO_DATE || it->due_approx || it->due_raw == NULL ||
		    !year_less(it->due_raw) || it->due - doc->incident_date <= 274)
			continue;
		cl_date_format(it->due, day);
		cl_date_format(doc->incident_date, inc);
		if ((rc = add(out, it->line, "due-far", "due date '%s' has no year and is read as "
		              "%s, %d days after the incident of %s: write the year", it->due_raw,
		              day, it->due - doc->incident_date, inc)) != 0)
			return rc;
	}
	return 0;
}

int
cl_slo_days(const struct cl_config *cfg, const char *severity, long *days)
{
	char key[64];
	const char *v = NULL;
	char *end;
	size_t i;

	*days = 0;
	if (severity == NULL || *severity == '\0' || (i = strlen(severity)) >= sizeof key)
		return 0;
	/* the key as written, else in lower or upper case: P1, p1, Sev-1 */
	memcpy(key, severity, i + 1);
	if ((v = cl_config_get(cfg, "slo", key)) == NULL) {
		for (i = 0; key[i]; i++)
			key[i] = (char)tolower((unsigned char)key[i]);
		if ((v = cl_config_get(cfg, "slo", key)) == NULL) {
			for (i = 0; key[i]; i++)
				key[i] = (char)toupper((unsigned char)key[i]);
			v = cl_config_get(cfg, "slo", key);
		}
	}
	if (v == NULL)
		return 0;
	*days = strtol(v, &end, 10);
	return end != v && *end == '\0' && *days > 0 && *days <= 3650;
}

int
cl_lint_item_slo(struct cl_problems *out, const struct cl_pm_item *it,
                 const struct cl_pm_doc *doc, long days)
{
	char act[64], due[11], limit[11];

	if (doc->is_runbook || days <= 0 || it->due == CL_NO_DATE ||
	    doc->incident_date == CL_NO_DATE || it->due <= doc->incident_date + days)
		return 0;
	short_action(it->action ? it->action : "", act);
	cl_date_format(it->due, due);
	cl_date_format(doc->incident_date + (int)days, limit);
	return add(out, it->line, "due-beyond-slo", "'%s' is due %s, after its %s deadline "
	           "%s ([slo] %s = %ld days from the incident)", act, due, doc->severity, limit,
	           doc->severity, days);
}

int
cl_lint_document(struct cl_problems *out, const struct cl_pm_doc *doc, int first_seen,
                 const struct cl_config *cfg)
{
	long hours = 48;
	int written, late, rc;
	char inc[11], wr[11];

	if (doc->is_runbook)
		return 0;
	if (doc->incident_date != CL_NO_DATE && (rc = lint_due_far(out, doc)) != 0)
		return rc;
	if (doc->nitems == 0) {
		rc = add(out, doc->has_action_section ? doc->action_section_line : 1,
		             "no-action-items", doc->has_action_section
		             ? "the action items section lists no items"
		             : "no action items (no \"Action items\"-like heading, item table "
		               "or \"Action item:\" line; lint --items shows what was read)");
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

/* Appends the codes of problems from index from on to b, space separated. */
static void
put_codes(struct cl_buf *b, const struct cl_problems *p, size_t from)
{
	size_t i, start = b->len;

	for (i = from; i < p->n; i++) {
		if (b->len > start)
			cl_buf_putc(b, ' ');
		cl_buf_puts(b, p->v[i].code);
	}
}

char *
cl_lint_codes(const struct cl_problems *p, size_t from)
{
	struct cl_buf b = CL_BUF_INIT;

	put_codes(&b, p, from);
	return cl_buf_steal(&b);
}

void
cl_lint_codes_add(struct cl_buf *b, const struct cl_problems *p, size_t from)
{
	put_codes(b, p, from);
	cl_buf_add(b, "", 1);
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
