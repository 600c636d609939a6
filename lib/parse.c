/* parse.c — post-mortem Markdown → metadata and action items (md4c). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include <md4c.h>

#include "dates.h"
#include "parse.h"
#include "util.h"

#define MD4C_PAD 64	/* zero bytes after the copy md4c parses */

/* What a table column means. */
enum col { COL_NONE, COL_ACTION, COL_OWNER, COL_DUE, COL_STATUS, COL_TICKET, COL_PRIORITY };

struct cell {
	struct cl_buf text;
	char *url;		/* first link target in the cell */
};

struct row {
	struct cell *cells;
	size_t n, cap;
	int line;
	int strong_done, strong_todo;
};

struct parser {
	const char *input;
	size_t len;
	size_t *line_starts;	/* offsets where lines begin */
	size_t nlines;
	struct cl_pm_doc *doc;
	struct cl_error *err;
	int failed;

	/* heading and section state */
	int in_heading, heading_level;
	struct cl_buf heading;
	int section_level;	/* level of the action heading we are under; 0: none */
	int expect_date;	/* a "Date" heading was just seen */

	/* paragraphs (metadata) */
	int in_para;
	struct cl_buf para;
	int para_line;

	/* tables */
	int in_table, in_cell, table_is_action;
	struct row header;
	struct row *rows;
	size_t nrows, caprows;
	struct row cur;
	size_t cells_total;

	/* task-list items; nesting of lists inside a captured item */
	int li_depth;		/* LI nesting depth */
	int task_depth;		/* depth of the LI being captured, 0: none */
	int task_nested;	/* lists opened inside the captured LI */
	struct cl_buf task;
	int task_line, task_done, task_strong_done;

	int strong;		/* inside **strong** */
	struct cl_buf strong_text;
	int in_code_block;
};

static const char *const action_headings[] = {
	"action item", "action-item", "actions", "follow-up", "follow up", "followup",
	"remediation", "corrective action", "next step", "preventive action",
	"preventative action", "todo", "to-do", "to do", "action plan", NULL
};

/* True when a heading names an action-items section. */
static int
heading_is_action(const char *text)
{
	char low[256];
	size_t i;

	cl_str_key(low, sizeof low, text);
	if (strcmp(low, "action") == 0)
		return 1;
	for (i = 0; action_headings[i]; i++)
		if (strstr(low, action_headings[i]) != NULL)
			return 1;
	return 0;
}

/* 1-based line of a pointer into the input, 0 when it points elsewhere. */
static int
line_of(const struct parser *p, const char *ptr)
{
	size_t off, lo = 0, hi;

	if (ptr < p->input || ptr >= p->input + p->len)
		return 0;
	off = (size_t)(ptr - p->input);
	hi = p->nlines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (p->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (int)lo + 1;
}

static int
index_lines(struct parser *p)
{
	const char *q = p->input, *end = p->input + p->len;
	size_t n = 1, k = 0;

	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		n++;
		q++;
	}
	if ((p->line_starts = cl_malloc(n * sizeof *p->line_starts)) == NULL)
		return CL_ENOMEM;
	p->line_starts[k++] = 0;
	for (q = p->input; k < n && (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		p->line_starts[k++] = (size_t)(q - p->input) + 1;
	p->nlines = k;
	return 0;
}

static void
row_release(struct row *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		cl_buf_release(&r->cells[i].text);
		free(r->cells[i].url);
	}
	free(r->cells);
	memset(r, 0, sizeof *r);
}

static int
fail(struct parser *p, int code, const char *msg)
{
	if (!p->failed)
		cl_error_set(p->err, code, "%s", msg);
	p->failed = 1;
	return -1;
}

/* ---- item construction -------------------------------------------------- */

char *
cl_parse_normalise(const char *action)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *s;
	int space = 0;

	for (s = action; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '*' || c == '_' || c == '`' || c == '~' || c == '[' || c == ']')
			continue;
		if (isspace(c)) {
			space = b.len > 0;
			continue;
		}
		if (space)
			cl_buf_putc(&b, ' ');
		space = 0;
		cl_buf_putc(&b, (char)tolower(c));
	}
	while (b.len > 0 && (b.data[b.len - 1] == '.' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	return cl_buf_steal(&b);
}

static int
handle_char(int c)
{
	return c >= 0x80 || isalnum(c) || c == '_' || c == '-' || c == '.';
}

char *
cl_parse_owner(const char *raw)
{
	const char *at, *end, *s;
	char *copy, *r;
	size_t n;

	if (raw == NULL)
		return NULL;
	if ((copy = cl_strdup(raw)) == NULL)
		return NULL;
	cl_str_trim(copy);
	if (*copy == '\0' || strcmp(copy, "-") == 0 || strcmp(copy, "\xe2\x80\x94") == 0 ||
	    strcmp(copy, "\xe2\x80\x93") == 0 || strcmp(copy, "?") == 0) {
		free(copy);
		return NULL;
	}
	/* "@alice", "Alice Doe (@alice)", "@alice, @bob" → the first handle, but
	 * not the "@" of an e-mail address */
	for (s = copy; (at = strchr(s, '@')) != NULL; s = at + 1) {
		if (at > copy && handle_char((unsigned char)at[-1]))
			continue;
		for (end = at + 1; *end && handle_char((unsigned char)*end); end++)
			;
		while (end > at + 1 && end[-1] == '.')
			end--;
		if (end > at + 1) {
			r = cl_strndup(at + 1, (size_t)(end - at - 1));
			free(copy);
			return r;
		}
	}
	/* "Alice Doe, Bob" → "Alice Doe"; keep e-mail addresses whole */
	n = strcspn(copy, ",;/&");
	copy[n] = '\0';
	cl_str_trim(copy);
	if (*copy == '\0') {
		free(copy);
		return NULL;
	}
	return copy;
}

/* Adds an item to the document; takes ownership of nothing. */
static struct cl_pm_item *
doc_add_item(struct parser *p, int line)
{
	struct cl_pm_doc *d = p->doc;
	struct cl_pm_item *v;

	if (d->nitems >= CL_PARSE_MAX_ITEMS) {
		char msg[128];
		snprintf(msg, sizeof msg, "line %d: more than %d action items in one document",
		         line, CL_PARSE_MAX_ITEMS);
		fail(p, CL_EDATA, msg);
		return NULL;
	}
	if ((v = cl_realloc(d->items, (d->nitems + 1) * sizeof *v)) == NULL) {
		fail(p, CL_ENOMEM, "out of memory");
		return NULL;
	}
	d->items = v;
	memset(&v[d->nitems], 0, sizeof *v);
	v[d->nitems].line = line;
	v[d->nitems].due = CL_NO_DATE;
	return &v[d->nitems++];
}

/* "done", "closed", "✅", … */
static int
status_is_done(const char *s)
{
	static const char *const done[] = { "done", "closed", "complete", "completed", "fixed",
		"resolved", "finished", "yes", "y", "x", "[x]", "shipped", "merged",
		"\xe2\x9c\x85", "\xe2\x9c\x94", "\xe2\x9c\x94\xef\xb8\x8f", "\xe2\x98\x91",
		"\xe2\x9c\x93", NULL };
	char low[64];
	size_t i;

	cl_str_key(low, sizeof low, s);
	for (i = 0; done[i]; i++)
		if (strcmp(low, done[i]) == 0)
			return 1;
	/* "done (2024-01-28)", "✅ done" */
	if (cl_str_starts_with(low, "done ") || cl_str_starts_with(low, "closed ") ||
	    cl_str_starts_with(low, "fixed ") || cl_str_starts_with(low, "\xe2\x9c\x85"))
		return 1;
	return 0;
}

static int
set_str(char **slot, const char *v)
{
	char *c;

	if (v == NULL)
		return 0;
	if ((c = cl_strdup(v)) == NULL)
		return CL_ENOMEM;
	cl_str_trim(c);
	free(*slot);
	*slot = *c ? c : (free(c), NULL);
	return 0;
}

/* ---- tables ---------------------------------------------------------------- */

static enum col
column_meaning(const char *name)
{
	static const struct { const char *name; enum col col; } map[] = {
		{ "action", COL_ACTION }, { "actions", COL_ACTION }, { "task", COL_ACTION },
		{ "tasks", COL_ACTION }, { "item", COL_ACTION }, { "action item", COL_ACTION },
		{ "action items", COL_ACTION }, { "description", COL_ACTION },
		{ "what", COL_ACTION }, { "todo", COL_ACTION }, { "follow-up", COL_ACTION },
		{ "remediation", COL_ACTION },
		{ "owner", COL_OWNER }, { "owners", COL_OWNER }, { "assignee", COL_OWNER },
		{ "assignees", COL_OWNER }, { "assigned to", COL_OWNER }, { "who", COL_OWNER },
		{ "responsible", COL_OWNER }, { "dri", COL_OWNER },
		{ "due", COL_DUE }, { "due date", COL_DUE }, { "deadline", COL_DUE },
		{ "by", COL_DUE }, { "eta", COL_DUE }, { "target", COL_DUE },
		{ "target date", COL_DUE }, { "due by", COL_DUE }, { "when", COL_DUE },
		{ "status", COL_STATUS }, { "state", COL_STATUS }, { "done", COL_STATUS },
		{ "done?", COL_STATUS },
		{ "ticket", COL_TICKET }, { "tickets", COL_TICKET }, { "bug", COL_TICKET },
		{ "issue", COL_TICKET }, { "link", COL_TICKET }, { "jira", COL_TICKET },
		{ "tracking", COL_TICKET }, { "tracker", COL_TICKET },
		{ "priority", COL_PRIORITY }, { "prio", COL_PRIORITY }, { "type", COL_PRIORITY },
		{ "kind", COL_PRIORITY },
		{ NULL, COL_NONE }
	};
	char low[64];
	size_t i;

	cl_str_key(low, sizeof low, name);
	while (*low && strchr(":*", low[strlen(low) - 1]))
		low[strlen(low) - 1] = '\0';
	cl_str_trim(low);
	for (i = 0; map[i].name; i++)
		if (strcmp(low, map[i].name) == 0)
			return map[i].col;
	return COL_NONE;
}

/* Turns the rows of an action table into items. */
static void
table_finish(struct parser *p)
{
	enum col cols[64];
	size_t i, j, ncols = p->header.n < 64 ? p->header.n : 64;
	int have_action = 0;

	for (i = 0; i < ncols; i++) {
		cols[i] = column_meaning(cl_buf_str(&p->header.cells[i].text));
		for (j = 0; j < i; j++)	/* first column of a meaning wins */
			if (cols[j] == cols[i] && cols[i] != COL_NONE)
				cols[i] = COL_NONE;
		have_action |= cols[i] == COL_ACTION;
	}
	if (!have_action) {
		for (i = 0; i < ncols; i++)
			if (cols[i] == COL_NONE) {
				cols[i] = COL_ACTION;
				have_action = 1;
				break;
			}
	}
	for (i = 0; i < p->nrows && !p->failed; i++) {
		struct row *r = &p->rows[i];
		struct cl_pm_item *it;
		const char *action = NULL;

		for (j = 0; j < r->n && j < ncols; j++)
			if (cols[j] == COL_ACTION)
				action = cl_buf_str(&r->cells[j].text);
		if (action == NULL || *action == '\0')
			continue;
		if ((it = doc_add_item(p, r->line)) == NULL)
			return;
		for (j = 0; j < r->n && j < ncols; j++) {
			const char *t = cl_buf_str(&r->cells[j].text);
			int rc = 0;
			switch (cols[j]) {
			case COL_ACTION: rc = set_str(&it->action, t); break;
			case COL_OWNER: rc = set_str(&it->owner_raw, t); break;
			case COL_DUE: rc = set_str(&it->due_raw, t); break;
			case COL_STATUS: it->done = status_is_done(t); break;
			case COL_TICKET:
				if (!r->cells[j].url && (cl_str_ieq(t, "n/a") || cl_str_ieq(t, "none") ||
				    strcmp(t, "-") == 0))
					break;
				rc = set_str(&it->ticket, r->cells[j].url ? r->cells[j].url : t);
				break;
			case COL_PRIORITY: rc = set_str(&it->priority, t); break;
			case COL_NONE: break;
			}
			if (rc != 0) {
				fail(p, CL_ENOMEM, "out of memory");
				return;
			}
		}
		if (r->strong_done)
			it->done = 1;
		else if (r->strong_todo)
			it->done = 0;
		if (it->action == NULL && set_str(&it->action, action) != 0)
			fail(p, CL_ENOMEM, "out of memory");
	}
}

static void
table_reset(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nrows; i++)
		row_release(&p->rows[i]);
	free(p->rows);
	p->rows = NULL;
	p->nrows = p->caprows = 0;
	row_release(&p->header);
	row_release(&p->cur);
}

/* ---- task-list entries ----------------------------------------------------- */

/* Words people put where a date belongs ("soon" is not a date, but it is
 * meant as one: it goes to due_raw for lint to flag). */
static int
sounds_like_when(const char *s)
{
	static const char *const when[] = { "soon", "asap", "later", "eventually", "someday",
		"next sprint", "next week", "next month", "next quarter", "this week",
		"this sprint", "eow", "eod", "eom", "q1", "q2", "q3", "q4", "h1", "h2", NULL };
	size_t i;

	for (i = 0; when[i]; i++)
		if (cl_str_ieq(s, when[i]))
			return 1;
	return 0;
}

/* Splits "text — @owner, due DATE" (and close variants) into the item. */
static void
task_finish(struct parser *p)
{
	char *text, *meta = NULL, *part, *save = NULL, *sep;
	struct cl_pm_item *it;
	static const char *const seps[] = { " \xe2\x80\x94 ", " \xe2\x80\x93 ", " -- ", " - ",
		"\xe2\x80\x94", NULL };
	size_t i;

	if ((text = cl_strdup(cl_buf_str(&p->task))) == NULL) {
		fail(p, CL_ENOMEM, "out of memory");
		return;
	}
	cl_str_trim(text);
	if (*text == '\0') {
		free(text);
		return;
	}
	if ((it = doc_add_item(p, p->task_line)) == NULL) {
		free(text);
		return;
	}
	it->done = p->task_done || p->task_strong_done;
	for (i = 0; seps[i] && meta == NULL; i++) {
		if ((sep = strstr(text, seps[i])) != NULL) {
			*sep = '\0';
			meta = sep + strlen(seps[i]);
		}
	}
	if (meta == NULL && text[strlen(text) - 1] == ')' && (sep = strrchr(text, '(')) != NULL &&
	    sep > text) {
		text[strlen(text) - 1] = '\0';
		*sep = '\0';
		meta = sep + 1;
	}
	if (meta == NULL) {
		/* "Do the thing @alice by Jan 29": pull the owner and due out */
		char *at = strstr(text, " @"), *by;
		if (at != NULL) {
			meta = at + 1;
			*at = '\0';
		}
		by = meta ? NULL : strstr(text, " due ");
		if (by == NULL && meta == NULL)
			by = strstr(text, " by ");
		if (by != NULL) {
			*by = '\0';
			meta = by + 1;
		}
	}
	if (meta != NULL) {
		char *m = meta, *q2;
		/* "owner: X - due: Y" → "owner: X, due: Y" */
		while ((q2 = strstr(m, " - ")) != NULL)
			q2[1] = ',';
		while ((q2 = strstr(m, " \xe2\x80\x94 ")) != NULL)
			memcpy(q2, " ,   ", 5);
		/* "@alice due Jan 29" without a comma */
		for (part = strtok_r(m, ",;", &save); part; part = strtok_r(NULL, ",;", &save)) {
			char *q;
			cl_str_trim(part);
			if (*part == '\0')
				continue;
			if (part[0] == '@' && (q = strpbrk(part, " \t")) != NULL) {
				*q++ = '\0';
				set_str(&it->owner_raw, part);
				part = cl_str_trim(q);
			}
			{
				static const char *const due_words[] = { "due date", "due", "by",
					"deadline", "eta", "target", "until", NULL };
				static const char *const owner_words[] = { "owner", "assignee",
					"assigned to", "who", NULL };
				int matched = 0;
				size_t k;
				for (k = 0; due_words[k] && !matched; k++) {
					size_t n = strlen(due_words[k]);
					if (strncasecmp(part, due_words[k], n) == 0 &&
					    (part[n] == ' ' || part[n] == ':')) {
						q = part + n + (part[n] == ':');
						if (*q == ':')
							q++;
						set_str(&it->due_raw, q);
						matched = 1;
					}
				}
				for (k = 0; owner_words[k] && !matched; k++) {
					size_t n = strlen(owner_words[k]);
					if (strncasecmp(part, owner_words[k], n) == 0 &&
					    (part[n] == ' ' || part[n] == ':')) {
						q = part + n + (part[n] == ':');
						set_str(&it->owner_raw, q);
						matched = 1;
					}
				}
				if (matched || *part == '\0')
					continue;
				/* "@alice", "Alice Doe" → owner; "Jan 29", "soon" → due */
				if (part[0] == '@') {
					if (it->owner_raw == NULL)
						set_str(&it->owner_raw, part);
				} else if (it->due_raw == NULL && (cl_date_parse(part, 0, &(int){0}) == 0 ||
				                                   sounds_like_when(part))) {
					set_str(&it->due_raw, part);
				} else if (status_is_done(part)) {
					it->done = 1;
				} else if (it->owner_raw == NULL) {
					set_str(&it->owner_raw, part);
				} else if (it->due_raw == NULL) {
					set_str(&it->due_raw, part);
				}
			}
		}
	}
	if (set_str(&it->action, text) != 0)
		fail(p, CL_ENOMEM, "out of memory");
	if (it->action == NULL && set_str(&it->action, cl_buf_str(&p->task)) != 0)
		fail(p, CL_ENOMEM, "out of memory");
	free(text);
}

/* ---- metadata -------------------------------------------------------------- */

/* Finds a date in free text: an ISO date anywhere, else the whole text. */
static int
find_date(const char *s, int ref, int *out)
{
	const char *q;
	char buf[64];
	size_t n;

	for (q = s; *q; q++) {
		if (isdigit((unsigned char)q[0]) && strlen(q) >= 10 && q[4] == '-' && q[7] == '-' &&
		    (q == s || !isdigit((unsigned char)q[-1]))) {
			snprintf(buf, sizeof buf, "%.10s", q);
			if (cl_date_parse_iso(buf, out) == 0)
				return 0;
		}
	}
	snprintf(buf, sizeof buf, "%s", s);
	n = strcspn(buf, "(");
	buf[n] = '\0';
	cl_str_trim(buf);
	return cl_date_parse(buf, ref, out);
}

/* One "Key: value" line of a paragraph outside lists and tables. */
static void
meta_line(struct parser *p, char *line)
{
	struct cl_pm_doc *d = p->doc;
	char *colon = strchr(line, ':'), key[64];
	char *value;
	int day;

	if (p->expect_date) {
		p->expect_date = 0;
		if (d->incident_date == CL_NO_DATE && find_date(line, CL_NO_DATE, &day) == 0)
			d->incident_date = day;
	}
	if (colon == NULL || colon - line >= (long)sizeof key)
		return;
	snprintf(key, sizeof key, "%.*s", (int)(colon - line), line);
	cl_str_trim(key);
	cl_str_lower(key);
	value = colon + 1;
	cl_str_trim(value);
	if (*value == '\0')
		return;
	if (strcmp(key, "date") == 0 || strcmp(key, "incident date") == 0 ||
	    strcmp(key, "date of incident") == 0 || strcmp(key, "incident") == 0) {
		if (d->incident_date == CL_NO_DATE && find_date(value, CL_NO_DATE, &day) == 0)
			d->incident_date = day;
	} else if (strcmp(key, "written") == 0 || strcmp(key, "written on") == 0 ||
	           strcmp(key, "date written") == 0 || strcmp(key, "published") == 0 ||
	           strcmp(key, "post-mortem date") == 0 || strcmp(key, "postmortem date") == 0 ||
	           strcmp(key, "report date") == 0) {
		if (find_date(value, CL_NO_DATE, &day) == 0)
			d->written_date = day;
	} else if (strcmp(key, "severity") == 0 || strcmp(key, "sev") == 0) {
		char sev[64];
		snprintf(sev, sizeof sev, "%s", value);
		sev[strcspn(sev, " \t(")] = '\0';
		set_str(&d->severity, sev);
	} else if (strcmp(key, "authors") == 0 || strcmp(key, "author") == 0 ||
	           strcmp(key, "written by") == 0) {
		struct cl_buf b = CL_BUF_INIT;
		char *save = NULL, *part;
		for (part = strtok_r(value, ",;&", &save); part; part = strtok_r(NULL, ",;&", &save)) {
			char *o = cl_parse_owner(part);
			if (o != NULL) {
				if (b.len)
					cl_buf_puts(&b, ", ");
				cl_buf_puts(&b, o);
				free(o);
			}
		}
		set_str(&d->authors, cl_buf_str(&b));
		cl_buf_release(&b);
	} else if (strcmp(key, "owner") == 0) {
		set_str(&d->rb_owner, value);
	} else if (strcmp(key, "last tested") == 0) {
		const char *rto;
		d->is_runbook = 1;
		if (find_date(value, CL_NO_DATE, &day) == 0)
			d->rb_last_tested = day;
		if ((rto = strcasestr(value, "actual rto")) != NULL) {
			rto += strlen("actual rto");
			while (*rto && !isdigit((unsigned char)*rto))
				rto++;
			if (isdigit((unsigned char)*rto))
				d->rb_actual_rto = atoi(rto);
		}
	} else if (strcmp(key, "rto target") == 0 || strcmp(key, "rto") == 0) {
		set_str(&d->rb_rto_target, value);
	}
}

static void
para_finish(struct parser *p)
{
	char *text = cl_buf_steal(&p->para), *line, *save = NULL;

	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		meta_line(p, line);
	free(text);
}

static void
heading_finish(struct parser *p)
{
	char *text = cl_buf_steal(&p->heading);
	struct cl_pm_doc *d = p->doc;
	const char *q;
	int day;

	if (text == NULL)
		return;
	cl_str_trim(text);
	if (p->section_level && p->heading_level <= p->section_level)
		p->section_level = 0;
	if (!p->section_level && heading_is_action(text)) {
		p->section_level = p->heading_level;
		if (!d->has_action_section) {
			d->has_action_section = 1;
			d->action_section_line = p->para_line;
		}
	}
	if (d->title == NULL) {
		set_str(&d->title, text);
		d->title_line = p->para_line;
		/* "… — 2024-01-22" or "… - Jan 22, 2024" */
		if ((q = strstr(text, "\xe2\x80\x94")) || (q = strstr(text, " - ")) ||
		    (q = strstr(text, "\xe2\x80\x93"))) {
			const char *last = q;
			while ((q = strstr(last + 1, "\xe2\x80\x94")) != NULL)
				last = q;
			if (find_date(last + (*last == ' ' ? 3 : 3), CL_NO_DATE, &day) == 0)
				d->incident_date = day;
		}
		if (d->incident_date == CL_NO_DATE && find_date(text, CL_NO_DATE, &day) == 0)
			d->incident_date = day;
		if (strcasestr(text, "runbook") != NULL)
			d->is_runbook = 1;
	} else {
		char low[32];
		cl_str_key(low, sizeof low, text);
		p->expect_date = strcmp(low, "date") == 0 || strcmp(low, "incident date") == 0;
	}
	free(text);
}

/* ---- md4c callbacks -------------------------------------------------------- */

static int
on_enter_block(MD_BLOCKTYPE type, void *detail, void *user)
{
	struct parser *p = user;

	switch (type) {
	case MD_BLOCK_H:
		p->in_heading = 1;
		p->heading_level = (int)((MD_BLOCK_H_DETAIL *)detail)->level;
		p->para_line = 0;
		cl_buf_release(&p->heading);
		break;
	case MD_BLOCK_P:
		if (!p->in_table && p->li_depth == 0) {
			p->in_para = 1;
			cl_buf_release(&p->para);
		} else if (p->task_depth && p->task.len) {
			cl_buf_putc(&p->task, ' ');
		}
		break;
	case MD_BLOCK_CODE:
		p->in_code_block = 1;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if (p->task_depth)
			p->task_nested++;
		break;
	case MD_BLOCK_LI: {
		MD_BLOCK_LI_DETAIL *li = detail;
		p->li_depth++;
		if (p->task_depth == 0 && li->is_task && p->section_level) {
			p->task_depth = p->li_depth;
			p->task_nested = 0;
			cl_buf_release(&p->task);
			p->task_line = line_of(p, p->input + li->task_mark_offset);
			p->task_done = li->task_mark == 'x' || li->task_mark == 'X';
			p->task_strong_done = 0;
		}
		break;
	}
	case MD_BLOCK_TABLE:
		p->in_table = 1;
		p->table_is_action = p->section_level > 0;
		table_reset(p);
		break;
	case MD_BLOCK_TR:
		row_release(&p->cur);
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD: {
		struct cell *c;
		if (++p->cells_total > CL_PARSE_MAX_CELLS)
			return fail(p, CL_EDATA, "too many table cells in one document");
		if (p->cur.n == p->cur.cap) {
			size_t cap = p->cur.cap ? p->cur.cap * 2 : 8;
			c = cl_realloc(p->cur.cells, cap * sizeof *c);
			if (c == NULL)
				return fail(p, CL_ENOMEM, "out of memory");
			p->cur.cells = c;
			p->cur.cap = cap;
		}
		c = &p->cur.cells[p->cur.n++];
		memset(c, 0, sizeof *c);
		p->in_cell = 1;
		break;
	}
	default:
		break;
	}
	return 0;
}

static int
on_leave_block(MD_BLOCKTYPE type, void *detail, void *user)
{
	struct parser *p = user;

	switch (type) {
	case MD_BLOCK_H:
		p->in_heading = 0;
		heading_finish(p);
		break;
	case MD_BLOCK_P:
		if (p->in_para) {
			p->in_para = 0;
			para_finish(p);
		}
		break;
	case MD_BLOCK_CODE:
		p->in_code_block = 0;
		break;
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		if (p->task_depth && p->task_nested)
			p->task_nested--;
		break;
	case MD_BLOCK_LI:
		if (p->task_depth == p->li_depth) {
			task_finish(p);
			p->task_depth = 0;
		}
		p->li_depth--;
		break;
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		p->in_cell = 0;
		if (p->cur.n)
			cl_str_trim(p->cur.cells[p->cur.n - 1].text.data ?
			            p->cur.cells[p->cur.n - 1].text.data : (char[1]){ 0 });
		if (p->cur.n && p->cur.cells[p->cur.n - 1].text.data)
			p->cur.cells[p->cur.n - 1].text.len =
				strlen(p->cur.cells[p->cur.n - 1].text.data);
		break;
	case MD_BLOCK_TR:
		if (!p->table_is_action) {
			row_release(&p->cur);
			break;
		}
		if (p->header.cells == NULL) {
			p->header = p->cur;
			memset(&p->cur, 0, sizeof p->cur);
			break;
		}
		if (p->nrows == p->caprows) {
			size_t cap = p->caprows ? p->caprows * 2 : 16;
			struct row *r = cl_realloc(p->rows, cap * sizeof *r);
			if (r == NULL)
				return fail(p, CL_ENOMEM, "out of memory");
			p->rows = r;
			p->caprows = cap;
		}
		p->rows[p->nrows++] = p->cur;
		memset(&p->cur, 0, sizeof p->cur);
		break;
	case MD_BLOCK_TABLE:
		if (p->table_is_action)
			table_finish(p);
		table_reset(p);
		p->in_table = 0;
		break;
	default:
		break;
	}
	return p->failed ? -1 : 0;
}

static int
on_enter_span(MD_SPANTYPE type, void *detail, void *user)
{
	struct parser *p = user;

	if (type == MD_SPAN_STRONG) {
		if (p->strong++ == 0)
			cl_buf_release(&p->strong_text);
	} else if (type == MD_SPAN_A && p->in_cell && p->cur.n) {
		MD_SPAN_A_DETAIL *a = detail;
		struct cell *c = &p->cur.cells[p->cur.n - 1];
		if (c->url == NULL && a->href.size > 0)
			c->url = cl_strndup(a->href.text, a->href.size);
	}
	return 0;
}

/* "**DONE**" / "**TODO**" anywhere in a row or a task entry. */
static void
strong_finish(struct parser *p)
{
	char word[16];
	int done, todo;

	snprintf(word, sizeof word, "%s", cl_buf_str(&p->strong_text));
	cl_str_trim(word);
	done = cl_str_ieq(word, "done") || cl_str_ieq(word, "fixed") || cl_str_ieq(word, "closed");
	todo = cl_str_ieq(word, "todo");
	if (p->in_table) {
		p->cur.strong_done |= done;
		p->cur.strong_todo |= todo;
		/* the marker is status, not part of the cell's text */
		if ((done || todo) && p->in_cell && p->cur.n) {
			struct cl_buf *b = &p->cur.cells[p->cur.n - 1].text;
			if (b->len >= p->strong_text.len) {
				b->len -= p->strong_text.len;
				b->data[b->len] = '\0';
			}
		}
	} else if (p->task_depth) {
		p->task_strong_done |= done;
	}
}

static int
on_leave_span(MD_SPANTYPE type, void *detail, void *user)
{
	struct parser *p = user;

	if (type == MD_SPAN_STRONG && p->strong > 0 && --p->strong == 0)
		strong_finish(p);
	return 0;
}

/* Decodes the few entities people type in tables. */
static const char *
entity_text(const MD_CHAR *t, MD_SIZE n, char buf[8])
{
	static const struct { const char *e, *v; } ents[] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" },
		{ "&nbsp;", " " }, { "&apos;", "'" }, { "&mdash;", "\xe2\x80\x94" },
		{ "&ndash;", "\xe2\x80\x93" }, { NULL, NULL }
	};
	size_t i;

	for (i = 0; ents[i].e; i++)
		if (n == strlen(ents[i].e) && memcmp(t, ents[i].e, n) == 0)
			return ents[i].v;
	if (n > 3 && t[1] == '#') {
		unsigned long cp = (t[2] == 'x' || t[2] == 'X') ? strtoul(t + 3, NULL, 16)
		                                                  : strtoul(t + 2, NULL, 10);
		if (cp > 0 && cp < 0x80) {
			buf[0] = (char)cp;
			buf[1] = '\0';
			return buf;
		}
	}
	snprintf(buf, 8, "%.*s", (int)(n < 7 ? n : 7), t);
	return buf;
}

static int
on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *user)
{
	struct parser *p = user;
	struct cl_buf *b = NULL;
	char ent[8];
	const char *s = text;
	size_t n = size;

	if (p->in_code_block)
		return 0;
	/* never read past the document, whatever the Markdown library reports
	 * (fuzzing found md4c 0.4.8 handing out a range that ran past it) */
	if (text >= p->input && text <= p->input + p->len &&
	    (size_t)(p->input + p->len - text) < n) {
		n = (size_t)(p->input + p->len - text);
		size = (MD_SIZE)n;
	}
	if (type == MD_TEXT_ENTITY) {
		s = entity_text(text, size, ent);
		n = strlen(s);
	} else if (type == MD_TEXT_BR || type == MD_TEXT_SOFTBR) {
		s = (p->in_para && !p->in_table) ? "\n" : " ";
		n = 1;
	} else if (type == MD_TEXT_NULLCHAR) {
		return 0;
	}
	if (p->in_cell && p->cur.n) {
		b = &p->cur.cells[p->cur.n - 1].text;
		/* GFM: "\|" in a code span inside a table is a pipe */
		if (type == MD_TEXT_CODE) {
			size_t k;
			for (k = 0; k < n; k++) {
				if (s[k] == '\\' && k + 1 < n && s[k + 1] == '|')
					continue;
				cl_buf_putc(b, s[k]);
			}
			if (p->cur.line == 0)
				p->cur.line = line_of(p, text);
			if (p->strong)
				cl_buf_add(&p->strong_text, s, n);
			return b->oom ? fail(p, CL_ENOMEM, "out of memory") : 0;
		}
		if (p->cur.line == 0)
			p->cur.line = line_of(p, text);
	} else if (p->task_depth && p->task_nested == 0) {
		b = &p->task;
	} else if (p->in_heading) {
		b = &p->heading;
		if (p->para_line == 0)
			p->para_line = line_of(p, text);
	} else if (p->in_para) {
		b = &p->para;
	}
	if (p->strong)
		cl_buf_add(&p->strong_text, s, n);
	if (b != NULL) {
		cl_buf_add(b, s, n);
		if (b->oom)
			return fail(p, CL_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- entry points ---------------------------------------------------------- */

int
cl_utf8_check(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = u[i];
		size_t need, k;
		unsigned long cp;

		if (c < 0x80) {
			/* ASCII runs, eight bytes at a time */
			while (i + 8 <= len) {
				uint64_t w;
				memcpy(&w, u + i, 8);
				if (w & 0x8080808080808080ULL)
					break;
				i += 8;
			}
			if (i < len && u[i] < 0x80)
				i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) { need = 1; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { need = 2; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { need = 3; cp = c & 0x07; }
		else goto bad;
		for (k = 1; k <= need; k++) {
			if (i + k >= len || (u[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			goto bad;
		i += need + 1;
	}
	return 0;
bad:
	{
		/* the line of the bad byte, counted only when there is one */
		int line = 1;
		const char *p = s, *end = s + i;
		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			line++;
			p++;
		}
		return line;
	}
}

void
cl_pm_doc_free(struct cl_pm_doc *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nitems; i++) {
		struct cl_pm_item *it = &d->items[i];
		free(it->action);
		free(it->owner);
		free(it->owner_raw);
		free(it->due_raw);
		free(it->ticket);
		free(it->priority);
	}
	free(d->items);
	free(d->title);
	free(d->severity);
	free(d->authors);
	free(d->rb_owner);
	free(d->rb_rto_target);
	free(d);
}

/* Resolves owners and due dates once the document's date is known. */
static int
doc_resolve(struct cl_pm_doc *d, int ref)
{
	size_t i;

	if (d->incident_date != CL_NO_DATE)
		ref = d->incident_date;
	for (i = 0; i < d->nitems; i++) {
		struct cl_pm_item *it = &d->items[i];
		char buf[128];
		int day;

		if (it->owner_raw)
			it->owner = cl_parse_owner(it->owner_raw);
		if (it->due_raw == NULL)
			continue;
		if (cl_date_parse(it->due_raw, ref, &day) == 0) {
			it->due = day;
			continue;
		}
		/* "Jan 29 (moved from Jan 22)" */
		snprintf(buf, sizeof buf, "%s", it->due_raw);
		buf[strcspn(buf, "(")] = '\0';
		cl_str_trim(buf);
		if (*buf && cl_date_parse(buf, ref, &day) == 0)
			it->due = day;
	}
	return 0;
}

int
cl_parse_document(struct cl_pm_doc **out, const char *text, size_t len, int ref,
                  struct cl_error *err)
{
	MD_PARSER parser;
	struct parser p;
	char *padded = NULL;
	long failures = cl_alloc_failures();
	int bad, rc = 0;

	*out = NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if ((bad = cl_utf8_check(text, len)) != 0)
		return cl_error_set(err, CL_EDATA, "line %d: not valid UTF-8", bad);
	/* md4c 0.4.8 reads a little past the size it is given on some inputs
	 * (valgrind shows it on tests/fuzz/regress/parse/md4c-range-past-end):
	 * hand it a copy followed by zero bytes that belong to us */
	if ((padded = cl_calloc(1, len + MD4C_PAD)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	memcpy(padded, text, len);
	text = padded;
	memset(&p, 0, sizeof p);
	p.input = text;
	p.len = len;
	p.err = err;
	if ((p.doc = cl_calloc(1, sizeof *p.doc)) == NULL || index_lines(&p) != 0) {
		free(p.doc);
		free(p.line_starts);
		free(padded);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	p.doc->incident_date = p.doc->written_date = p.doc->rb_last_tested = CL_NO_DATE;
	p.doc->rb_actual_rto = -1;

	memset(&parser, 0, sizeof parser);
	parser.abi_version = 0;
	parser.flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
	parser.enter_block = on_enter_block;
	parser.leave_block = on_leave_block;
	parser.enter_span = on_enter_span;
	parser.leave_span = on_leave_span;
	parser.text = on_text;
	if (md_parse(text, (MD_SIZE)len, &parser, &p) != 0 || p.failed) {
		if (!p.failed)
			cl_error_set(err, CL_EDATA, "unable to parse Markdown");
		rc = err && err->code ? err->code : CL_EDATA;
		goto done;
	}
	doc_resolve(p.doc, ref);
done:
	/* some fields are filled where a failed copy cannot be reported on the
	 * spot: never hand out a document with its title or an owner missing,
	 * nor call it bad Markdown when memory ran out */
	if (cl_alloc_failures() != failures && rc != CL_ENOMEM) {
		if (rc != 0)
			cl_error_clear(err);
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	table_reset(&p);
	cl_buf_release(&p.heading);
	cl_buf_release(&p.para);
	cl_buf_release(&p.task);
	cl_buf_release(&p.strong_text);
	free(p.line_starts);
	free(padded);
	if (rc != 0) {
		cl_pm_doc_free(p.doc);
		return rc;
	}
	*out = p.doc;
	return 0;
}
