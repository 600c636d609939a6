/* storage.c — Confluence storage format (XHTML with ac:/ri: elements) →
 * CommonMark/GFM text for the Markdown parser, read with libxml2.
 *
 * The body is wrapped in a root element that declares the ac, ri and at
 * prefixes and the HTML entities (storage format uses &nbsp; &rsquo; …,
 * which XML alone does not know); the network and external entities stay
 * off, libxml2's depth limit bounds the recursion below. Text is escaped so
 * that nothing in a page becomes Markdown syntax it did not mean. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dates.h"
#include "source.h"
#include "util.h"
#include "source/xhtml_entities.h"

struct conv {
	struct cl_buf out;
	const struct cl_config *cfg;
	/* heading changes: output line → heading text */
	struct mark { size_t line; char *text; } *marks;
	size_t nmarks, capmarks;
	int oom;
	int in_list;		/* list being written: tasks wait until it ends */
	struct cl_buf tasks;	/* task rows not yet written */
	int ntasks;
};

/* One task's parts while its body is read. */
struct task {
	struct cl_buf owner, due, ticket;
	int done;
};

/* "ac:task-list" for a node in a namespace, else its plain name. */
static const char *
elname(const xmlNode *n, char *buf, size_t size)
{
	if (n->ns != NULL && n->ns->prefix != NULL) {
		snprintf(buf, size, "%s:%s", (const char *)n->ns->prefix, (const char *)n->name);
		return buf;
	}
	return (const char *)n->name;
}

/* True when element n is called name (prefix included). */
static int
is(const xmlNode *n, const char *name)
{
	char buf[128];
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	       strcasecmp(elname(n, buf, sizeof buf), name) == 0;
}

/* The value of attribute name ("ri:account-id" or "href"), or NULL; it
 * points into the tree. */
static const char *
attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;
	char buf[128];

	for (a = n->properties; a; a = a->next) {
		const char *an = (const char *)a->name;
		if (a->ns && a->ns->prefix) {
			snprintf(buf, sizeof buf, "%s:%s", (const char *)a->ns->prefix, an);
			an = buf;
		}
		if (strcasecmp(an, name) == 0 && a->children && a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	}
	return NULL;
}

/* The text of a macro's ac:parameter called name, or NULL (points into the
 * tree; only a parameter holding plain text counts). */
static const char *
macro_param(const xmlNode *m, const char *name)
{
	const xmlNode *c;

	for (c = m->children; c; c = c->next) {
		const char *pn;
		if (!is(c, "ac:parameter") || (pn = attr(c, "ac:name")) == NULL ||
		    strcasecmp(pn, name) != 0)
			continue;
		if (c->children && (c->children->type == XML_TEXT_NODE ||
		                    c->children->type == XML_CDATA_SECTION_NODE))
			return (const char *)c->children->content;
	}
	return NULL;
}

static int
is_done_word(const char *s)
{
	static const char *const done[] = { "done", "complete", "completed", "closed",
		"resolved", "fixed", "finished", NULL };
	char key[64];
	size_t i;

	cl_str_key(key, sizeof key, s ? s : "");
	for (i = 0; done[i]; i++)
		if (strcmp(key, done[i]) == 0)
			return 1;
	return 0;
}

/* Inline text under construction: white space collapsed as it comes. */
struct line {
	struct cl_buf b;
	int cell;		/* a table cell: no line breaks, | escaped */
	int space;		/* a space is pending */
	struct task *task;	/* reading a task body: owner/due/ticket go here */
};

/* Appends text escaped for Markdown, white space collapsed. */
static void
put_text(struct line *l, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			l->space = 1;
			continue;
		}
		/* U+00A0 no-break space (&nbsp;) is a space here */
		if (c == 0xc2 && (unsigned char)s[1] == 0xa0) {
			l->space = 1;
			s++;
			continue;
		}
		if (l->space && l->b.len && l->b.data[l->b.len - 1] != '\n')
			cl_buf_putc(&l->b, ' ');
		l->space = 0;
		if (strchr("\\`*_[]<>|&~#", c) != NULL)
			cl_buf_putc(&l->b, '\\');
		cl_buf_putc(&l->b, (char)c);
	}
}

/* Appends Markdown that is meant as such (a link, strong text). */
static void
put_raw(struct line *l, const char *s)
{
	if (l->space && l->b.len && l->b.data[l->b.len - 1] != '\n')
		cl_buf_putc(&l->b, ' ');
	l->space = 0;
	cl_buf_puts(&l->b, s);
}

/* "@handle" for a user reference known in [people] (NAME.confluence = ID,
 * or a Data Center user name that is a handle), else the ID as written. */
static void
put_user(struct conv *c, struct line *l, const xmlNode *u)
{
	const char *id = attr(u, "ri:account-id"), *name = NULL;
	const struct cl_person *p = NULL;
	size_t i;
	char *m;

	if (id == NULL && (id = attr(u, "ri:userkey")) == NULL)
		id = name = attr(u, "ri:username");
	if (id == NULL)
		return;
	for (i = 0; i < cl_config_people_count(c->cfg) && p == NULL; i++) {
		const struct cl_person *q = cl_config_person_at(c->cfg, i);
		if (q->confluence && strcmp(q->confluence, id) == 0)
			p = q;
	}
	if (p == NULL && name != NULL)
		p = cl_config_person(c->cfg, name);
	if (l->task != NULL) {
		if (l->task->owner.len == 0)	/* the first user named is the owner */
			cl_buf_printf(&l->task->owner, "%s%s", p ? "@" : "", p ? p->handle : id);
		return;
	}
	if (p == NULL) {
		put_text(l, id);
		return;
	}
	if ((m = cl_asprintf("@%s", p->handle)) == NULL) {
		c->oom = 1;
		return;
	}
	put_text(l, m);
	free(m);
}

static void inline_children(struct conv *c, struct line *l, const xmlNode *n);

/* Renders one node as inline text. */
static void
inline_node(struct conv *c, struct line *l, const xmlNode *n)
{
	const char *v;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		put_text(l, (const char *)n->content);
		return;
	}
	if (n->type != XML_ELEMENT_NODE)
		return;
	if (is(n, "br")) {
		if (l->cell) {
			l->space = 1;
		} else {
			l->space = 0;
			cl_buf_putc(&l->b, '\n');
		}
	} else if (is(n, "ri:user")) {
		put_user(c, l, n);
	} else if (is(n, "ac:link")) {
		const xmlNode *k, *body = NULL, *user = NULL, *target = NULL;
		for (k = n->children; k; k = k->next) {
			if (is(k, "ri:user"))
				user = k;
			else if (is(k, "ac:link-body") || is(k, "ac:plain-text-link-body"))
				body = k;
			else if (k->type == XML_ELEMENT_NODE)
				target = k;
		}
		if (user != NULL)
			put_user(c, l, user);
		else if (body != NULL)
			inline_children(c, l, body);
		else if (target && ((v = attr(target, "ri:content-title")) ||
		                    (v = attr(target, "ri:filename")) || (v = attr(target, "ri:value"))))
			put_text(l, v);
	} else if (is(n, "time")) {
		if ((v = attr(n, "datetime")) == NULL)
			return;
		if (l->task != NULL && l->task->due.len == 0)
			cl_buf_puts(&l->task->due, v);
		else if (l->task == NULL)
			put_text(l, v);
	} else if (is(n, "ac:structured-macro") || is(n, "ac:macro")) {
		const char *name = attr(n, "ac:name");
		const xmlNode *k;
		if (name && strcasecmp(name, "jira") == 0) {
			if ((v = macro_param(n, "key")) == NULL)
				return;
			if (l->task != NULL && l->task->ticket.len == 0)
				cl_buf_puts(&l->task->ticket, v);
			else if (l->task == NULL)
				put_text(l, v);
		} else if (name && strcasecmp(name, "status") == 0) {
			if ((v = macro_param(n, "title")) == NULL && (v = macro_param(n, "colour")) == NULL)
				return;
			if (l->task != NULL && is_done_word(v))
				l->task->done = 1;
			else if (is_done_word(v))
				put_raw(l, "**DONE**");
			else
				put_text(l, v);
		} else {
			for (k = n->children; k; k = k->next)
				if (is(k, "ac:rich-text-body") || is(k, "ac:plain-text-body"))
					inline_children(c, l, k);
		}
	} else if (is(n, "a")) {
		const char *href = attr(n, "href");
		struct line in = { CL_BUF_INIT, l->cell, 0, l->task };
		inline_children(c, &in, n);
		if (in.b.oom)
			c->oom = 1;
		if (href && in.b.len && (cl_str_starts_with(href, "http://") ||
		                         cl_str_starts_with(href, "https://"))) {
			struct cl_buf u = CL_BUF_INIT;
			const char *h;
			cl_buf_puts(&u, "[");
			cl_buf_puts(&u, cl_buf_str(&in.b));
			cl_buf_puts(&u, "](<");
			for (h = href; *h; h++) {
				if (*h == '<' || *h == '>' || *h == ' ' || *h == '\n' || *h == '\\' ||
				    (l->cell && *h == '|'))
					cl_buf_printf(&u, "%%%02X", (unsigned char)*h);
				else
					cl_buf_putc(&u, *h);
			}
			cl_buf_puts(&u, ">)");
			if (u.oom)
				c->oom = 1;
			put_raw(l, cl_buf_str(&u));
			cl_buf_release(&u);
		} else if (in.b.len) {
			put_raw(l, cl_buf_str(&in.b));
		}
		cl_buf_release(&in.b);
	} else if (is(n, "strong") || is(n, "b")) {
		/* only plain words in bold: "**DONE**" means something to the
		 * parser, "**x:**y" would not even be bold in CommonMark */
		struct line in = { CL_BUF_INIT, l->cell, 0, l->task };
		const char *s;
		int plain = 1;
		inline_children(c, &in, n);
		if (in.b.oom)
			c->oom = 1;
		for (s = cl_buf_str(&in.b); *s; s++)
			if (!isalnum((unsigned char)*s) && *s != ' ')
				plain = 0;
		if (plain && in.b.len && in.b.data[in.b.len - 1] != ' ') {
			put_raw(l, "**");
			cl_buf_puts(&l->b, cl_buf_str(&in.b));
			cl_buf_puts(&l->b, "**");
		} else if (in.b.len) {
			put_raw(l, cl_buf_str(&in.b));
		}
		l->space = in.space;
		cl_buf_release(&in.b);
	} else if (is(n, "ac:task-list") && l->task != NULL) {
		return;	/* a task's sub-tasks are rows of their own (add_tasks) */
	} else if (is(n, "ac:parameter") || is(n, "ac:image") || is(n, "ac:placeholder") ||
	           is(n, "ac:emoticon") || is(n, "ac:task-id") || is(n, "ac:task-status")) {
		return;
	} else {
		int block = is(n, "p") || is(n, "div") || is(n, "li") || is(n, "tr") ||
		            is(n, "td") || is(n, "th") || is(n, "ac:task");
		if (block)
			l->space = 1;
		inline_children(c, l, n);
		if (block)
			l->space = 1;
	}
}

static void
inline_children(struct conv *c, struct line *l, const xmlNode *n)
{
	const xmlNode *k;

	for (k = n->children; k; k = k->next)
		inline_node(c, l, k);
}

/* The inline text of n (escaped, trimmed); caller frees. NULL on oom. */
static char *
inline_text(struct conv *c, const xmlNode *n, int cell, struct task *t)
{
	struct line l = { CL_BUF_INIT, cell, 0, t };
	char *s;

	inline_children(c, &l, n);
	if (l.b.oom) {
		c->oom = 1;
		cl_buf_release(&l.b);
		return NULL;
	}
	if ((s = cl_buf_steal(&l.b)) == NULL && (s = cl_strdup("")) == NULL)
		c->oom = 1;
	if (s == NULL)
		return NULL;
	while (*s && s[strlen(s) - 1] == '\n')
		s[strlen(s) - 1] = '\0';
	return s;
}

/* Escapes what would start a block at the beginning of each line of a
 * paragraph ("- x", "1. x", "+ x", "= x" under a line); lines after the
 * first get prefix (a list item's indentation). */
static void
put_paragraph(struct conv *c, const char *text, const char *prefix)
{
	const char *s = text;
	int bol = 1;

	for (; *s; s++) {
		if (bol) {
			const char *d = s;
			if (s != text)
				cl_buf_puts(&c->out, prefix);
			if (*s == '-' || *s == '+' || *s == '=' || *s == '>')
				cl_buf_putc(&c->out, '\\');
			while (isdigit((unsigned char)*d))
				d++;
			if (d > s && (*d == '.' || *d == ')')) {
				cl_buf_add(&c->out, s, (size_t)(d - s));
				cl_buf_putc(&c->out, '\\');
				s = d;
			}
			bol = 0;
		}
		cl_buf_putc(&c->out, *s);
		if (*s == '\n')
			bol = 1;
	}
}

/* Writes the task rows collected so far as one action table. */
static void
flush_tasks(struct conv *c)
{
	if (c->ntasks == 0 || c->in_list)
		return;
	cl_buf_puts(&c->out, "| Action | Owner | Due | Status | Ticket |\n"
	                     "| --- | --- | --- | --- | --- |\n");
	cl_buf_puts(&c->out, cl_buf_str(&c->tasks));
	cl_buf_puts(&c->out, "\n");
	if (c->tasks.oom)
		c->oom = 1;
	cl_buf_release(&c->tasks);
	c->ntasks = 0;
}

/* Puts raw text (from an attribute) into a table cell, escaped. */
static void
cell_puts(struct cl_buf *b, const char *s)
{
	struct line l = { CL_BUF_INIT, 1, 0, NULL };

	put_text(&l, s);
	cl_buf_puts(b, cl_buf_str(&l.b));
	if (l.b.oom)
		b->oom = 1;
	cl_buf_release(&l.b);
}

/* Removes what is left of "… by @owner on <time>" once they are taken out. */
static void
trim_connectors(char *s)
{
	static const char *const tail[] = { " by", " due", " until", " on", " owner", " -",
		" \xe2\x80\x94", " \xe2\x80\x93", ",", ":", ";", NULL };
	size_t i, n;
	int again = 1;

	while (again) {
		again = 0;
		cl_str_trim(s);
		n = strlen(s);
		for (i = 0; tail[i]; i++) {
			size_t k = strlen(tail[i]);
			if (n >= k && strcasecmp(s + n - k, tail[i]) == 0) {
				s[n - k] = '\0';
				again = 1;
				break;
			}
		}
	}
}

/* Adds the tasks of an ac:task-list (nested ones too) as rows. */
static void
add_tasks(struct conv *c, const xmlNode *list)
{
	const xmlNode *t, *k;

	for (t = list->children; t; t = t->next) {
		struct task tk = { CL_BUF_INIT, CL_BUF_INIT, CL_BUF_INIT, 0 };
		const xmlNode *body = NULL;
		char *action = NULL;

		if (!is(t, "ac:task"))
			continue;
		for (k = t->children; k; k = k->next) {
			if (is(k, "ac:task-status") && k->children && k->children->content)
				tk.done |= is_done_word((const char *)k->children->content);
			else if (is(k, "ac:task-body"))
				body = k;
		}
		if (body != NULL && (action = inline_text(c, body, 1, &tk)) != NULL) {
			trim_connectors(action);
			if (*action) {
				cl_buf_puts(&c->tasks, "| ");
				cl_buf_puts(&c->tasks, action);	/* escaped already */
				cl_buf_puts(&c->tasks, " | ");
				cell_puts(&c->tasks, cl_buf_str(&tk.owner));
				cl_buf_puts(&c->tasks, " | ");
				cell_puts(&c->tasks, cl_buf_str(&tk.due));
				cl_buf_puts(&c->tasks, tk.done ? " | done | " : " | open | ");
				cell_puts(&c->tasks, cl_buf_str(&tk.ticket));
				cl_buf_puts(&c->tasks, " |\n");
				c->ntasks++;
			}
		}
		if (tk.owner.oom || tk.due.oom || tk.ticket.oom)
			c->oom = 1;
		free(action);
		cl_buf_release(&tk.owner);
		cl_buf_release(&tk.due);
		cl_buf_release(&tk.ticket);
		/* a task list inside a task body: its own rows */
		for (k = body ? body->children : NULL; k; k = k->next)
			if (is(k, "ac:task-list"))
				add_tasks(c, k);
	}
}

/* The rows of a table, not those of tables nested in its cells. */
static void
collect_rows(const xmlNode *n, const xmlNode **rows, size_t *nrows, size_t max)
{
	const xmlNode *k;

	for (k = n->children; k; k = k->next) {
		if (is(k, "tr") && *nrows < max)
			rows[(*nrows)++] = k;
		else if (is(k, "thead") || is(k, "tbody") || is(k, "tfoot"))
			collect_rows(k, rows, nrows, max);
	}
}

#define MAX_ROWS 10000
#define MAX_COLS 64

/* A table as a GFM table; its first row is the header. */
static void
put_table(struct conv *c, const xmlNode *n)
{
	const xmlNode **rows, *k;
	size_t nrows = 0, r, cols = 0, i;

	if ((rows = cl_calloc(MAX_ROWS, sizeof *rows)) == NULL) {
		c->oom = 1;
		return;
	}
	collect_rows(n, rows, &nrows, MAX_ROWS);
	for (r = 0; r < nrows; r++) {
		size_t w = 0;
		for (k = rows[r]->children; k; k = k->next)
			if (is(k, "td") || is(k, "th"))
				w++;
		if (w > cols)
			cols = w;
	}
	if (cols > MAX_COLS)
		cols = MAX_COLS;
	for (r = 0; r < nrows && cols > 0; r++) {
		size_t w = 0;
		cl_buf_puts(&c->out, "|");
		for (k = rows[r]->children; k && w < cols; k = k->next) {
			char *t;
			if (!(is(k, "td") || is(k, "th")))
				continue;
			t = inline_text(c, k, 1, NULL);
			cl_buf_puts(&c->out, " ");
			cl_buf_puts(&c->out, t ? t : "");
			cl_buf_puts(&c->out, " |");
			free(t);
			w++;
		}
		for (; w < cols; w++)
			cl_buf_puts(&c->out, "  |");
		cl_buf_puts(&c->out, "\n");
		if (r == 0) {
			cl_buf_puts(&c->out, "|");
			for (i = 0; i < cols; i++)
				cl_buf_puts(&c->out, " --- |");
			cl_buf_puts(&c->out, "\n");
		}
	}
	if (cols > 0)
		cl_buf_puts(&c->out, "\n");
	free(rows);
}

static void block_children(struct conv *c, const xmlNode *n);

/* Output lines so far, plus one: the line the next text starts on. */
static size_t
next_line(const struct conv *c)
{
	size_t i, n = 1;

	for (i = 0; i < c->out.len; i++)
		if (c->out.data[i] == '\n')
			n++;
	return n;
}

/* Remembers that the section called text starts at the next line. */
static void
mark_section(struct conv *c, const char *text)
{
	if (c->nmarks == c->capmarks) {
		size_t cap = c->capmarks ? c->capmarks * 2 : 16;
		struct mark *nv = cl_realloc(c->marks, cap * sizeof *nv);
		if (nv == NULL) {
			c->oom = 1;
			return;
		}
		c->marks = nv;
		c->capmarks = cap;
	}
	c->marks[c->nmarks].line = next_line(c);
	if ((c->marks[c->nmarks].text = cl_strdup(text)) == NULL) {
		c->oom = 1;
		return;
	}
	c->nmarks++;
}

/* A heading one level below the page title; its plain text names the
 * section for messages. */
static void
put_heading(struct conv *c, const xmlNode *n, int level)
{
	char *t = inline_text(c, n, 1, NULL), *plain, *p, *q;

	if (t == NULL || *t == '\0') {
		free(t);
		return;
	}
	if ((plain = cl_strdup(t)) != NULL) {
		for (p = q = plain; *p; p++)	/* the escapes out */
			if (!(*p == '\\' && p[1]))
				*q++ = *p;
			else
				*q++ = *++p;
		*q = '\0';
		mark_section(c, plain);
		free(plain);
	} else {
		c->oom = 1;
	}
	cl_buf_printf(&c->out, "%.*s %s\n\n", level < 6 ? level + 1 : 6, "######", t);
	free(t);
}

/* A list; items' text on the marker's line, nested lists indented. */
static void
put_list(struct conv *c, const xmlNode *n, int ordered, int indent)
{
	const xmlNode *li, *k;
	int num = 1, was = c->in_list;
	char prefix[80];

	if (indent > 60)
		indent = 60;
	c->in_list = 1;
	for (li = n->children; li; li = li->next) {
		struct line l = { CL_BUF_INIT, 0, 0, NULL };
		char *t;
		int width;

		if (!is(li, "li"))
			continue;
		for (k = li->children; k; k = k->next)
			if (!(is(k, "ul") || is(k, "ol") || is(k, "ac:task-list")))
				inline_node(c, &l, k);
		if (l.b.oom)
			c->oom = 1;
		t = cl_buf_steal(&l.b);
		width = ordered ? snprintf(prefix, sizeof prefix, "%*s%d. ", indent, "", num++) :
		                  snprintf(prefix, sizeof prefix, "%*s- ", indent, "");
		cl_buf_puts(&c->out, prefix);
		snprintf(prefix, sizeof prefix, "%*s", width, "");
		put_paragraph(c, t ? t : "", prefix);
		cl_buf_puts(&c->out, "\n");
		free(t);
		for (k = li->children; k; k = k->next) {
			if (is(k, "ul") || is(k, "ol"))
				put_list(c, k, is(k, "ol"), width);
			else if (is(k, "ac:task-list"))
				add_tasks(c, k);
		}
	}
	c->in_list = was;
	if (!was)
		cl_buf_puts(&c->out, "\n");
}

/* A code block (macro body or pre) fenced with more backticks than it holds. */
static void
put_code(struct conv *c, const char *text)
{
	size_t run = 0, max = 0, fence;
	const char *s;

	for (s = text; *s; s++) {
		run = *s == '`' ? run + 1 : 0;
		if (run > max)
			max = run;
	}
	fence = max < 3 ? 3 : max + 1;
	if (fence > 64)		/* absurd runs of backticks are dropped below */
		fence = 64;
	cl_buf_printf(&c->out, "%.*s\n", (int)fence, "````````````````````````````````"
	              "````````````````````````````````");
	for (s = text; *s; s++)
		if (!(*s == '`' && max >= 64))
			cl_buf_putc(&c->out, *s);
	if (c->out.len && c->out.data[c->out.len - 1] != '\n')
		cl_buf_putc(&c->out, '\n');
	cl_buf_printf(&c->out, "%.*s\n\n", (int)fence, "````````````````````````````````"
	              "````````````````````````````````");
}

/* True for elements that are blocks (the others are inline). */
static int
is_block(const xmlNode *n)
{
	static const char *const blocks[] = { "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
		"table", "div", "section", "blockquote", "pre", "hr", "ac:task-list",
		"ac:layout", "ac:layout-section", "ac:layout-cell", "ac:rich-text-body", NULL };
	size_t i;

	if (n->type != XML_ELEMENT_NODE)
		return 0;
	for (i = 0; blocks[i]; i++)
		if (is(n, blocks[i]))
			return 1;
	if (is(n, "ac:structured-macro") || is(n, "ac:macro")) {
		const char *name = attr(n, "ac:name");
		return !(name && (strcasecmp(name, "jira") == 0 || strcasecmp(name, "status") == 0 ||
		                  strcasecmp(name, "anchor") == 0));
	}
	return 0;
}

/* Renders one block element. */
static void
block_node(struct conv *c, const xmlNode *n)
{
	char name[128];
	const char *nm = elname(n, name, sizeof name);

	if (!is(n, "ac:task-list"))
		flush_tasks(c);
	if (strlen(nm) == 2 && tolower((unsigned char)nm[0]) == 'h' && nm[1] >= '1' && nm[1] <= '6') {
		put_heading(c, n, nm[1] - '0');
	} else if (is(n, "p")) {
		char *t = inline_text(c, n, 0, NULL);
		if (t && *t) {
			put_paragraph(c, t, "");
			cl_buf_puts(&c->out, "\n\n");
		}
		free(t);
	} else if (is(n, "ul") || is(n, "ol")) {
		put_list(c, n, is(n, "ol"), 0);
	} else if (is(n, "table")) {
		put_table(c, n);
	} else if (is(n, "ac:task-list")) {
		add_tasks(c, n);
	} else if (is(n, "pre")) {
		xmlChar *t = xmlNodeGetContent(n);
		put_code(c, t ? (const char *)t : "");
		xmlFree(t);
	} else if (is(n, "hr")) {
		return;
	} else if (is(n, "ac:structured-macro") || is(n, "ac:macro")) {
		const char *mn = attr(n, "ac:name");
		const xmlNode *k;
		for (k = n->children; k; k = k->next) {
			if (is(k, "ac:rich-text-body")) {
				block_children(c, k);
			} else if (is(k, "ac:plain-text-body") && mn &&
			           (strcasecmp(mn, "code") == 0 || strcasecmp(mn, "noformat") == 0)) {
				xmlChar *t = xmlNodeGetContent(k);
				put_code(c, t ? (const char *)t : "");
				xmlFree(t);
			}
		}
	} else {
		block_children(c, n);
	}
}

/* Writes the inline text gathered in l as a paragraph, and empties l. */
static void
flush_para(struct conv *c, struct line *l)
{
	char *t;

	if (l->b.oom)
		c->oom = 1;
	if (l->b.len == 0)
		return;
	t = cl_buf_steal(&l->b);
	flush_tasks(c);
	if (t)
		put_paragraph(c, t, "");
	cl_buf_puts(&c->out, "\n\n");
	free(t);
	l->space = 0;
}

/* Renders children: runs of inline nodes become paragraphs. */
static void
block_children(struct conv *c, const xmlNode *n)
{
	const xmlNode *k;
	struct line l = { CL_BUF_INIT, 0, 0, NULL };

	for (k = n->children; k; k = k->next) {
		if (!is_block(k)) {
			inline_node(c, &l, k);
			continue;
		}
		flush_para(c, &l);
		l.space = 0;
		block_node(c, k);
	}
	flush_para(c, &l);
	cl_buf_release(&l.b);
}

void
cl_source_sections_free(char **sections, size_t n)
{
	size_t i;

	if (sections == NULL)
		return;
	for (i = 0; i < n; i++)
		free(sections[i]);
	free(sections);
}

/* Per output line, the section it is in (copies of the marks). */
static int
build_sections(struct conv *c, char ***out, size_t *nlines)
{
	size_t n = next_line(c), i, m = 0;
	char **v;

	if ((v = cl_calloc(n, sizeof *v)) == NULL)
		return CL_ENOMEM;
	for (i = 0; i < n; i++) {
		while (m < c->nmarks && c->marks[m].line <= i + 1)
			m++;
		if (m > 0 && (v[i] = cl_strdup(c->marks[m - 1].text)) == NULL) {
			cl_source_sections_free(v, n);
			return CL_ENOMEM;
		}
	}
	*out = v;
	*nlines = n;
	return 0;
}

int
cl_storage_to_markdown(char **out, size_t *out_len, char ***sections, size_t *nlines,
                       const char *xhtml, size_t len, const char *title,
                       const struct cl_config *cfg, struct cl_error *err)
{
	static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<!DOCTYPE cl-body [";
	static const char open[] = "]><cl-body xmlns:ac=\"http://atlassian.com/content\" "
		"xmlns:ri=\"http://atlassian.com/resource/identifier\" "
		"xmlns:at=\"http://atlassian.com/template\">";
	static const char close[] = "</cl-body>";
	struct conv c;
	struct cl_buf doc = CL_BUF_INIT;
	long failures = cl_alloc_failures();
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr x = NULL;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (sections) {
		*sections = NULL;
		*nlines = 0;
	}
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	if (len > (size_t)1 << 30)
		return cl_error_set(err, CL_EDATA, "page body too large");
	cl_buf_puts(&doc, head);
	cl_buf_puts(&doc, cl_xhtml_entities);
	cl_buf_puts(&doc, open);
	cl_buf_add(&doc, xhtml, len);
	cl_buf_puts(&doc, close);
	if (doc.oom) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	x = xmlCtxtReadMemory(ctxt, doc.data, (int)doc.len, "storage.xml", "UTF-8",
	                      XML_PARSE_NONET | XML_PARSE_NOENT | XML_PARSE_NOCDATA |
	                      XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (x == NULL || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[200];
		snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "unreadable");
		msg[strcspn(msg, "\n")] = '\0';
		rc = cl_error_set(err, CL_EDATA, "storage format line %d: %s",
		                  e ? e->line : 0, msg);
		goto done;
	}
	if (title && *title) {
		struct line l = { CL_BUF_INIT, 1, 0, NULL };
		put_text(&l, title);
		cl_buf_printf(&c.out, "# %s\n\n", cl_buf_str(&l.b));
		if (l.b.oom)
			c.oom = 1;
		cl_buf_release(&l.b);
	}
	block_children(&c, xmlDocGetRootElement(x));
	c.in_list = 0;
	flush_tasks(&c);
	/* a copy that failed anywhere (a cell, a name) fails the page: never a
	 * page with a hole passed off as the page */
	if (c.oom || c.out.oom || c.tasks.oom || cl_alloc_failures() != failures) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if (sections && (rc = build_sections(&c, sections, nlines)) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if (out_len)
		*out_len = c.out.len;
	if ((*out = cl_buf_steal(&c.out)) == NULL && (*out = cl_strdup("")) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		if (sections) {
			cl_source_sections_free(*sections, *nlines);
			*sections = NULL;
			*nlines = 0;
		}
	}
done:
	xmlFreeDoc(x);
	xmlFreeParserCtxt(ctxt);
	cl_buf_release(&doc);
	cl_buf_release(&c.out);
	cl_buf_release(&c.tasks);
	for (i = 0; i < c.nmarks; i++)
		free(c.marks[i].text);
	free(c.marks);
	return rc;
}
