/* writer.c — text, Markdown, HTML, JSON and CSV behind one set of calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "writer.h"

#define FLUSH_AT 65536
#define DEPTH 8

struct cl_writer {
	int format;
	FILE *fp;
	struct cl_buf b;
	int io_failed;
	const struct cl_col *cols;
	int ncols;
	long long bar_max;
	int rows;		/* rows (and groups) written in the section */
	int grows;		/* rows written in the group */
	int in_section, in_group, in_facts, facts_n;
	int table_open;		/* HTML/Markdown table header written */
	int first[DEPTH];	/* JSON: nothing written yet at this depth */
	int depth;
};

/* Styles, inline because mail clients drop <style>. */
#define S_BODY "font-family:Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4;" \
	"color:#222;margin:0;padding:12px;max-width:960px"
#define S_TABLE "width:100%;border-collapse:collapse;margin:4px 0 14px 0;font-size:13px"
#define S_TH "text-align:left;border-bottom:2px solid #999;padding:4px 6px;" \
	"vertical-align:bottom;overflow:hidden"
#define S_TD "border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top;" \
	"overflow-wrap:anywhere;word-break:break-word"
#define S_NOWRAP "border-bottom:1px solid #ddd;padding:4px 6px;vertical-align:top;" \
	"white-space:nowrap"
#define S_H2 "font-size:16px;margin:18px 0 4px 0;color:#333"

int
cl_writer_format_parse(const char *s, int *out)
{
	static const char *const names[] = { "text", "markdown", "html", "json", "csv" };
	int i;

	for (i = 0; i < 5; i++)
		if (s && strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return CL_EUSAGE;
}

int
cl_writer_new(struct cl_writer **out, int format, FILE *fp, struct cl_error *err)
{
	struct cl_writer *w;

	*out = NULL;
	if ((w = cl_calloc(1, sizeof *w)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->format = format;
	w->fp = fp;
	w->first[0] = 1;
	*out = w;
	return 0;
}

void
cl_writer_free(struct cl_writer *w)
{
	if (w == NULL)
		return;
	cl_buf_release(&w->b);
	free(w);
}

/* Hands the buffered bytes to the file once there are enough of them. */
static void
w_flush(struct cl_writer *w, int force)
{
	if (w->fp == NULL || w->b.oom || (!force && w->b.len < FLUSH_AT) || w->b.len == 0)
		return;
	if (fwrite(w->b.data, 1, w->b.len, w->fp) != w->b.len)
		w->io_failed = errno ? errno : EIO;
	w->b.len = 0;
	w->b.data[0] = '\0';
}

static void
w_puts(struct cl_writer *w, const char *s)
{
	cl_buf_puts(&w->b, s);
}

/* The UTF-8 length of the sequence starting with byte c (1 for junk). */
static size_t
utf8_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* True for a byte no format escapes or replaces. */
static int
plain_byte(unsigned char c)
{
	switch (c) {
	case '&': case '<': case '>': case '"': case '\'': case '|': case '*': case '_':
	case '`': case '[': case ']': case '\\': case 0x7f:
		return 0;
	default:
		return c >= 0x20;
	}
}

void
cl_writer_escape(struct cl_buf *b, int format, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	for (; *s; s++) {
		unsigned char c = *s;
		size_t run = 0;
		/* copy a run of bytes no format touches in one go */
		while (plain_byte(s[run]))
			run++;
		if (run > 0) {
			cl_buf_add(b, (const char *)s, run);
			s += run - 1;
			continue;
		}
		if (format == CL_WRITER_JSON) {
			if (c == '"' || c == '\\') {
				cl_buf_putc(b, '\\');
				cl_buf_putc(b, (char)c);
			} else if (c == '\n') {
				cl_buf_puts(b, "\\n");
			} else if (c < 0x20 || c == 0x7f) {
				cl_buf_printf(b, "\\u%04x", c);
			} else {
				cl_buf_putc(b, (char)c);
			}
			continue;
		}
		if (c == '\n' || c == '\r' || c == '\t') {
			cl_buf_putc(b, ' ');
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			cl_buf_puts(b, "\xef\xbf\xbd");	/* U+FFFD: visible, valid XML */
			continue;
		}
		if (format == CL_WRITER_HTML) {
			switch (c) {
			case '&': cl_buf_puts(b, "&amp;"); continue;
			case '<': cl_buf_puts(b, "&lt;"); continue;
			case '>': cl_buf_puts(b, "&gt;"); continue;
			case '"': cl_buf_puts(b, "&quot;"); continue;
			case '\'': cl_buf_puts(b, "&#39;"); continue;
			}
		} else if (format == CL_WRITER_MARKDOWN) {
			if (strchr("|*_`[]<>\\", c) != NULL)
				cl_buf_putc(b, '\\');
		} else if (format == CL_WRITER_CSV && c == '"') {
			cl_buf_putc(b, '"');
		}
		if (c >= 0x80) {
			/* copy a whole UTF-8 sequence; stop at a NUL inside it */
			size_t n = utf8_len(c), i;
			for (i = 0; i < n && s[i]; i++)
				cl_buf_putc(b, (char)s[i]);
			s += i - 1;
			continue;
		}
		cl_buf_putc(b, (char)c);
	}
}

static void
w_esc(struct cl_writer *w, const char *s)
{
	cl_writer_escape(&w->b, w->format, s);
}

/* JSON: a comma unless this is the first thing at the current depth. */
static void
j_sep(struct cl_writer *w)
{
	if (!w->first[w->depth])
		w_puts(w, ",");
	w->first[w->depth] = 0;
}

static void
j_key(struct cl_writer *w, const char *key)
{
	j_sep(w);
	w_puts(w, "\"");
	w_esc(w, key);
	w_puts(w, "\":");
}

static void
j_open(struct cl_writer *w, const char *brace)
{
	w_puts(w, brace);
	if (w->depth + 1 < DEPTH)
		w->depth++;
	w->first[w->depth] = 1;
}

static void
j_close(struct cl_writer *w, const char *brace)
{
	w_puts(w, brace);
	if (w->depth > 0)
		w->depth--;
}

/* A JSON value: a string, a number when number is set, null for NULL. */
static void
j_value(struct cl_writer *w, const char *v, int number)
{
	if (v == NULL || (number && *v == '\0')) {
		w_puts(w, "null");
	} else if (number) {
		w_puts(w, v);
	} else {
		w_puts(w, "\"");
		w_esc(w, v);
		w_puts(w, "\"");
	}
}

void
cl_writer_start(struct cl_writer *w, const char *title, const char *subtitle)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_esc(w, title);
		w_puts(w, "\n");
		if (subtitle) {
			w_esc(w, subtitle);
			w_puts(w, "\n");
		}
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "# ");
		w_esc(w, title);
		w_puts(w, "\n\n");
		if (subtitle) {
			w_esc(w, subtitle);
			w_puts(w, "\n");
		}
		break;
	case CL_WRITER_HTML:
		w_puts(w, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\" />"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />"
		       "<title>");
		w_esc(w, title);
		w_puts(w, "</title></head>\n<body style=\"" S_BODY "\">\n"
		       "<h1 style=\"font-size:20px;margin:0 0 4px 0\">");
		w_esc(w, title);
		w_puts(w, "</h1>\n");
		if (subtitle) {
			w_puts(w, "<p style=\"color:#555;margin:0 0 10px 0\">");
			w_esc(w, subtitle);
			w_puts(w, "</p>\n");
		}
		break;
	case CL_WRITER_JSON:
		j_open(w, "{");
		break;
	}
}

void
cl_writer_warning(struct cl_writer *w, const char *key, const char *text)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "\nWARNING: ");
		w_esc(w, text);
		w_puts(w, "\n");
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n> **Warning:** ");
		w_esc(w, text);
		w_puts(w, "\n");
		break;
	case CL_WRITER_HTML:
		w_puts(w, "<p style=\"background:#fff3cd;border-left:4px solid #b58900;"
		       "padding:6px 10px;margin:0 0 10px 0\"><strong>Warning:</strong> ");
		w_esc(w, text);
		w_puts(w, "</p>\n");
		break;
	case CL_WRITER_JSON:
		j_key(w, key);
		j_value(w, text, 0);
		break;
	}
	w_flush(w, 0);
}

/* Text whose line breaks are kept: each line escaped, joined by br. */
static void
w_lines(struct cl_writer *w, const char *text, const char *br)
{
	const char *p = text ? text : "";

	for (;;) {
		size_t n = strcspn(p, "\n");
		char *line = cl_strndup(p, n);
		if (line == NULL) {
			w->b.oom = 1;
			return;
		}
		w_esc(w, line);
		free(line);
		if (p[n] == '\0')
			break;
		w_puts(w, br);
		p += n + 1;
	}
}

void
cl_writer_para(struct cl_writer *w, const char *key, const char *text)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "\n");
		w_lines(w, text, "\n");
		w_puts(w, "\n");
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n");
		w_lines(w, text, "  \n");
		w_puts(w, "\n");
		break;
	case CL_WRITER_HTML:
		w_puts(w, "<p style=\"margin:8px 0\">");
		w_lines(w, text, "<br />");
		w_puts(w, "</p>\n");
		break;
	case CL_WRITER_JSON:
		if (key != NULL) {
			j_key(w, key);
			j_value(w, text, 0);
		}
		break;
	}
}

void
cl_writer_facts(struct cl_writer *w, const char *key, const char *title)
{
	w->in_facts = 1;
	w->facts_n = 0;
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "\n");
		if (title) {
			w_esc(w, title);
			w_puts(w, ": ");
		}
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n");
		if (title) {
			w_puts(w, "**");
			w_esc(w, title);
			w_puts(w, "**\n\n");
		}
		break;
	case CL_WRITER_HTML:
		if (title) {
			w_puts(w, "<h2 style=\"" S_H2 "\">");
			w_esc(w, title);
			w_puts(w, "</h2>\n");
		}
		w_puts(w, "<div style=\"margin:4px 0 10px 0\">");
		break;
	case CL_WRITER_JSON:
		if (key != NULL)
			j_key(w, key);
		else
			j_sep(w);	/* an object of the enclosing section's array */
		j_open(w, "{");
		break;
	}
}

void
cl_writer_attr(struct cl_writer *w, const char *key, const char *label, const char *value,
               int number)
{
	if (!w->in_facts) {
		/* a field for programs: JSON only */
		if (w->format == CL_WRITER_JSON) {
			j_key(w, key);
			j_value(w, value, number);
		}
		return;
	}
	switch (w->format) {
	case CL_WRITER_TEXT:
		if (w->facts_n)
			w_puts(w, ", ");
		w_esc(w, label);
		w_puts(w, " ");
		w_esc(w, value ? value : "-");
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, w->facts_n ? "- " : "- ");
		w_esc(w, label);
		w_puts(w, ": **");
		w_esc(w, value ? value : "-");
		w_puts(w, "**\n");
		break;
	case CL_WRITER_HTML:
		w_puts(w, "<div style=\"display:inline-block;vertical-align:top;min-width:84px;"
		       "margin:0 6px 6px 0;padding:6px 10px;border:1px solid #ccc;background:#f6f6f6\">"
		       "<div style=\"font-size:20px;font-weight:bold\">");
		w_esc(w, value ? value : "-");
		w_puts(w, "</div><div style=\"font-size:12px;color:#444\">");
		w_esc(w, label);
		w_puts(w, "</div></div>");
		break;
	case CL_WRITER_JSON:
		j_key(w, key);
		j_value(w, value, number);
		break;
	}
	w->facts_n++;
}

void
cl_writer_facts_end(struct cl_writer *w)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "\n");
		break;
	case CL_WRITER_HTML:
		w_puts(w, "</div>\n");
		break;
	case CL_WRITER_JSON:
		j_close(w, "}");
		break;
	}
	w->in_facts = 0;
}

/* The column index of the section's CL_COL_WIDE column, or -1. */
static int
wide_col(const struct cl_writer *w)
{
	int i;

	for (i = 0; i < w->ncols; i++)
		if (w->cols[i].kind == CL_COL_WIDE)
			return i;
	return -1;
}

/* In HTML, the columns after the wide one that are not numbers go under
 * its text, as a line of "Title: value": a narrow screen keeps the ids,
 * dates and the Action side by side without sideways scrolling. */
static int
html_folded(const struct cl_writer *w, int i)
{
	int wide = wide_col(w);

	return wide >= 0 && i > wide && w->cols[i].kind != CL_COL_INT &&
	       w->cols[i].kind != CL_COL_BAR;
}

/* Columns HTML shows as columns. */
static int
html_ncols(const struct cl_writer *w)
{
	int i, n = 0;

	for (i = 0; i < w->ncols; i++)
		n += !html_folded(w, i);
	return n;
}

static void
html_table_open(struct cl_writer *w)
{
	int i;

	if (w->table_open)
		return;
	w->table_open = 1;
	/* one table per section; the columns that must not wrap take the width
	 * of their content (width:1%), the wide column (Action) the rest */
	w_puts(w, "<table cellspacing=\"0\" cellpadding=\"0\" border=\"0\" style=\"" S_TABLE
	       "\"><colgroup>");
	for (i = 0; i < w->ncols; i++) {
		if (html_folded(w, i))
			continue;
		if (w->cols[i].kind == CL_COL_WIDE || w->cols[i].kind == CL_COL_BAR ||
		    (w->cols[i].kind == CL_COL_TEXT && wide_col(w) < 0))
			w_puts(w, "<col />");
		else
			w_puts(w, "<col style=\"width:1%\" />");
	}
	w_puts(w, "</colgroup>\n<tr>");
	for (i = 0; i < w->ncols; i++) {
		if (html_folded(w, i))
			continue;
		w_puts(w, "<th style=\"" S_TH);
		if (w->cols[i].kind == CL_COL_INT)
			w_puts(w, ";text-align:right");
		if (w->cols[i].kind != CL_COL_WIDE && w->cols[i].kind != CL_COL_TEXT)
			w_puts(w, ";white-space:nowrap");
		w_puts(w, "\">");
		w_esc(w, w->cols[i].title);
		w_puts(w, "</th>");
	}
	w_puts(w, "</tr>\n");
}

static void
md_table_open(struct cl_writer *w)
{
	int i;

	if (w->table_open)
		return;
	w->table_open = 1;
	w_puts(w, "\n|");
	for (i = 0; i < w->ncols; i++) {
		w_puts(w, " ");
		w_esc(w, w->cols[i].title);
		w_puts(w, " |");
	}
	w_puts(w, "\n|");
	for (i = 0; i < w->ncols; i++)
		w_puts(w, w->cols[i].kind == CL_COL_INT || w->cols[i].kind == CL_COL_BAR
		       ? "---:|" : "---|");
	w_puts(w, "\n");
}

void
cl_writer_section(struct cl_writer *w, const char *key, const char *title,
                  const struct cl_col *cols, int ncols, long long bar_max)
{
	int i;

	w->cols = cols;
	w->ncols = ncols;
	w->bar_max = bar_max > 0 ? bar_max : 1;
	w->rows = 0;
	w->in_section = 1;
	w->table_open = 0;
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "\n");
		w_esc(w, title);
		w_puts(w, "\n");
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n## ");
		w_esc(w, title);
		w_puts(w, "\n");
		break;
	case CL_WRITER_HTML:
		w_puts(w, "<h2 style=\"" S_H2 "\">");
		w_esc(w, title);
		w_puts(w, "</h2>\n");
		break;
	case CL_WRITER_JSON:
		j_key(w, key);
		j_open(w, "[");
		break;
	case CL_WRITER_CSV:
		for (i = 0; i < ncols; i++) {
			if (i)
				w_puts(w, ",");
			w_esc(w, cols[i].key);
		}
		w_puts(w, "\r\n");
		break;
	}
}

void
cl_writer_group(struct cl_writer *w, const char *key, const char *label, const char *name,
                long long count)
{
	w->in_group = 1;
	w->grows = 0;
	w->rows++;
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, "  ");
		w_esc(w, label);
		if (name && *name) {
			w_puts(w, " (");
			w_esc(w, name);
			w_puts(w, ")");
		}
		cl_buf_printf(&w->b, ": %lld\n", count);
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n### ");
		w_esc(w, label);
		if (name && *name) {
			w_puts(w, " (");
			w_esc(w, name);
			w_puts(w, ")");
		}
		cl_buf_printf(&w->b, ": %lld\n", count);
		w->table_open = 0;
		break;
	case CL_WRITER_HTML:
		html_table_open(w);
		cl_buf_printf(&w->b, "<tr><td colspan=\"%d\" style=\"padding:10px 6px 2px 6px;"
		              "border-bottom:1px solid #999;font-weight:bold\">", html_ncols(w));
		w_esc(w, label);
		if (name && *name) {
			w_puts(w, " <span style=\"font-weight:normal;color:#555\">(");
			w_esc(w, name);
			w_puts(w, ")</span>");
		}
		cl_buf_printf(&w->b, ": %lld</td></tr>\n", count);
		break;
	case CL_WRITER_JSON:
		j_sep(w);
		j_open(w, "{");
		j_key(w, key);
		j_value(w, label, 0);
		j_key(w, "name");
		j_value(w, name && *name ? name : NULL, 0);
		j_key(w, "count");
		cl_buf_printf(&w->b, "%lld", count);
		j_key(w, "items");
		j_open(w, "[");
		break;
	}
}

void
cl_writer_group_end(struct cl_writer *w)
{
	if (w->format == CL_WRITER_JSON) {
		j_close(w, "]");
		j_close(w, "}");
	}
	w->in_group = 0;
}

/* True when a spreadsheet would run the cell as a formula (OWASP CSV
 * injection); "@handle" alone is a person, not a formula. */
static int
csv_formula(const char *v)
{
	const char *p;

	if (*v == '\0' || strchr("=+-@\t\r", *v) == NULL)
		return 0;
	if (*v != '@')
		return 1;
	for (p = v + 1; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && strchr("._-", *p) == NULL)
			return 1;
	return p == v + 1;
}

/* A cell that is a web address, as a link. */
static int
is_url(const char *v)
{
	return cl_str_starts_with(v, "https://") || cl_str_starts_with(v, "http://");
}

static void
text_row(struct cl_writer *w, const char *const *vals)
{
	int i, n = 0;

	w_puts(w, w->in_group ? "    " : "  ");
	for (i = 0; i < w->ncols; i++) {
		const char *v = vals[i] ? vals[i] : "";
		const struct cl_col *c = &w->cols[i];
		if (*v == '\0')
			continue;
		if (n++)
			w_puts(w, "  ");
		if (c->kind == CL_COL_INT || c->kind == CL_COL_BAR) {
			cl_buf_printf(&w->b, "%3s", v);
		} else {
			w_esc(w, v);
		}
		if (c->unit) {
			w_puts(w, c->unit);
		}
		if (c->kind == CL_COL_BAR) {
			long long x = strtoll(v, NULL, 10), k, len = x * 40 / w->bar_max;
			if (len > 0)
				w_puts(w, " ");
			for (k = 0; k < len; k++)
				w_puts(w, "#");
		}
	}
	w_puts(w, "\n");
}

/* Ids up to this long never wrap; a longer one (a post-mortem named after
 * a long file) may, after its - . _ / only, rather than widen the page. */
#define ID_NOWRAP 24

/* An id as HTML: break opportunities after its separators when long. */
static void
html_id(struct cl_writer *w, const char *v)
{
	const char *p = v;

	if (strlen(v) <= ID_NOWRAP) {
		w_esc(w, v);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, "-._/");
		char *part = cl_strndup(p, n + (p[n] != '\0'));
		if (part == NULL) {
			w->b.oom = 1;
			return;
		}
		w_esc(w, part);
		free(part);
		p += n + (p[n] != '\0');
		if (*p)
			w_puts(w, "<wbr />");
	}
}

/* A value as HTML: a web address as a link. */
static void
html_value(struct cl_writer *w, const struct cl_col *c, const char *v)
{
	if (c->kind == CL_COL_ID) {
		html_id(w, v);
		return;
	}
	if (c->kind == CL_COL_LINK && is_url(v)) {
		w_puts(w, "<a href=\"");
		w_esc(w, v);
		w_puts(w, "\" style=\"overflow-wrap:anywhere;word-break:break-all\">");
		w_esc(w, v);
		w_puts(w, "</a>");
	} else {
		w_esc(w, v);
	}
}

static void
html_cell(struct cl_writer *w, int col, const char *const *vals)
{
	const struct cl_col *c = &w->cols[col];
	const char *v = vals[col] ? vals[col] : "";
	int i, n = 0;

	switch (c->kind) {
	case CL_COL_INT:
		w_puts(w, "<td style=\"" S_NOWRAP ";text-align:right\">");
		w_esc(w, v);
		break;
	case CL_COL_ID:
		w_puts(w, strlen(v) <= ID_NOWRAP ? "<td style=\"" S_NOWRAP "\">" :
		       "<td style=\"" S_TD "\">");
		html_id(w, v);
		break;
	case CL_COL_DATE:
		w_puts(w, "<td style=\"" S_NOWRAP "\">");
		w_esc(w, v);
		break;
	case CL_COL_BAR: {
		long long x = strtoll(v, NULL, 10);
		int pct = (int)(x * 70 / w->bar_max);
		/* the number is written next to the bar: no colour needed to read it */
		cl_buf_printf(&w->b, "<td style=\"" S_TD "\"><span style=\"display:inline-block;"
		              "width:%d%%;min-width:1px;height:10px;background:#777;"
		              "vertical-align:middle\"></span> <span style=\"white-space:nowrap\">",
		              pct);
		w_esc(w, *v ? v : "0");
		if (c->unit)
			w_esc(w, c->unit);
		w_puts(w, "</span>");
		break;
	}
	default:
		w_puts(w, "<td style=\"" S_TD "\">");
		html_value(w, c, v);
		if (c->kind != CL_COL_WIDE)
			break;
		/* the folded columns, under the text */
		for (i = col + 1; i < w->ncols; i++) {
			const char *x = vals[i] ? vals[i] : "";
			if (!html_folded(w, i) || *x == '\0')
				continue;
			w_puts(w, n++ ? " &#183; " : "<div style=\"color:#555;font-size:12px;"
			       "margin-top:2px\">");
			w_puts(w, w->cols[i].kind == CL_COL_LINK || strlen(x) > ID_NOWRAP ? "<span>" :
			       "<span style=\"white-space:nowrap\">");
			w_esc(w, w->cols[i].title);
			w_puts(w, ": ");
			html_value(w, &w->cols[i], x);
			w_puts(w, "</span>");
		}
		if (n)
			w_puts(w, "</div>");
	}
	w_puts(w, "</td>");
}

void
cl_writer_row(struct cl_writer *w, const char *const *vals)
{
	int i;

	w->rows += !w->in_group;
	w->grows++;
	switch (w->format) {
	case CL_WRITER_TEXT:
		text_row(w, vals);
		break;
	case CL_WRITER_MARKDOWN:
		md_table_open(w);
		w_puts(w, "|");
		for (i = 0; i < w->ncols; i++) {
			w_puts(w, " ");
			w_esc(w, vals[i] ? vals[i] : "");
			w_puts(w, " |");
		}
		w_puts(w, "\n");
		break;
	case CL_WRITER_HTML:
		html_table_open(w);
		w_puts(w, "<tr>");
		for (i = 0; i < w->ncols; i++)
			if (!html_folded(w, i))
				html_cell(w, i, vals);
		w_puts(w, "</tr>\n");
		break;
	case CL_WRITER_JSON:
		j_sep(w);
		w_puts(w, "\n");
		j_open(w, "{");
		for (i = 0; i < w->ncols; i++) {
			int num = w->cols[i].kind == CL_COL_INT || w->cols[i].kind == CL_COL_BAR;
			j_key(w, w->cols[i].key);
			j_value(w, vals[i] && (*vals[i] || !num) ? vals[i] : NULL, num);
		}
		j_close(w, "}");
		break;
	case CL_WRITER_CSV:
		for (i = 0; i < w->ncols; i++) {
			const char *v = vals[i] ? vals[i] : "";
			if (i)
				w_puts(w, ",");
			if (w->cols[i].kind == CL_COL_INT || w->cols[i].kind == CL_COL_BAR) {
				w_esc(w, v);	/* a number, bare */
				continue;
			}
			/* a cell a spreadsheet would run as a formula starts with ' */
			w_puts(w, "\"");
			if (csv_formula(v))
				w_puts(w, "'");
			w_esc(w, v);
			w_puts(w, "\"");
		}
		w_puts(w, "\r\n");
		break;
	}
	w_flush(w, 0);
}

void
cl_writer_more(struct cl_writer *w, const char *text)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		w_puts(w, w->in_group ? "    " : "  ");
		w_esc(w, text);
		w_puts(w, "\n");
		break;
	case CL_WRITER_MARKDOWN:
		w_puts(w, "\n*");
		w_esc(w, text);
		w_puts(w, "*\n");
		break;
	case CL_WRITER_HTML:
		html_table_open(w);
		cl_buf_printf(&w->b, "<tr><td colspan=\"%d\" style=\"padding:4px 6px;color:#444;"
		              "font-style:italic\">", html_ncols(w));
		w_esc(w, text);
		w_puts(w, "</td></tr>\n");
		break;
	}
}

void
cl_writer_section_end(struct cl_writer *w)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
		if (w->rows == 0)
			w_puts(w, "  none\n");
		break;
	case CL_WRITER_MARKDOWN:
		if (w->rows == 0)
			w_puts(w, "\nNone.\n");
		break;
	case CL_WRITER_HTML:
		if (w->table_open)
			w_puts(w, "</table>\n");
		else
			w_puts(w, "<p style=\"color:#555;margin:4px 0\">None.</p>\n");
		break;
	case CL_WRITER_JSON:
		j_close(w, "]");
		break;
	}
	w->in_section = 0;
	w->table_open = 0;
	w_flush(w, 0);
}

void
cl_writer_end(struct cl_writer *w, const char *footer)
{
	switch (w->format) {
	case CL_WRITER_TEXT:
	case CL_WRITER_MARKDOWN:
		if (footer) {
			w_puts(w, "\n");
			w_esc(w, footer);
			w_puts(w, "\n");
		}
		break;
	case CL_WRITER_HTML:
		if (footer) {
			w_puts(w, "<p style=\"color:#666;font-size:12px;margin-top:16px\">");
			w_esc(w, footer);
			w_puts(w, "</p>\n");
		}
		w_puts(w, "</body></html>\n");
		break;
	case CL_WRITER_JSON:
		j_close(w, "}");
		w_puts(w, "\n");
		break;
	}
}

int
cl_writer_finish(struct cl_writer *w, struct cl_error *err)
{
	w_flush(w, 1);
	if (w->b.oom)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (w->fp != NULL && (fflush(w->fp) != 0 || w->io_failed))
		return cl_error_set(err, CL_ECANTCREAT, "write: %s",
		                    strerror(w->io_failed ? w->io_failed : errno));
	return 0;
}

char *
cl_writer_take(struct cl_writer *w)
{
	return w->b.oom ? NULL : cl_buf_steal(&w->b);
}

int
cl_writer_mail_parts(char **text, char **html, void (*fn)(struct cl_writer *, const void *),
                     const void *arg)
{
	static const int formats[2] = { CL_WRITER_TEXT, CL_WRITER_HTML };
	char **outs[2] = { text, html };
	int k;

	*text = *html = NULL;
	for (k = 0; k < 2; k++) {
		struct cl_writer *w = NULL;
		if (cl_writer_new(&w, formats[k], NULL, NULL) != 0)
			break;
		fn(w, arg);
		*outs[k] = cl_writer_finish(w, NULL) == 0 ? cl_writer_take(w) : NULL;
		cl_writer_free(w);
		if (*outs[k] == NULL)
			break;
	}
	if (k == 2)
		return 0;
	free(*text);
	*text = NULL;
	return CL_ENOMEM;
}
