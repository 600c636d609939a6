/* writer.h — one writer for every document closeloop shows a person or a
 * program: the weekly report, reminders, invites. The caller says what
 * (start, facts, sections with declared columns, groups, rows, "… and N
 * more", end); the writer says how, in text, Markdown, HTML (inline styles,
 * one fixed-layout table per section), JSON (streamed, complete) or CSV
 * (RFC 4180, one header per section). Every format is written from the same
 * calls, so they say the same thing by construction (the idea of lldpd's
 * writer: start / attr / data / end).
 *
 * Output goes to a FILE (flushed every 64 KiB: a 100,000-row document never
 * sits in memory) or, when fp is NULL, into a buffer taken with
 * cl_writer_take(). Values are UTF-8; C0 control characters are replaced in
 * every format (U+FFFD in HTML/Markdown/text/CSV cells, \u escapes in JSON)
 * so HTML stays well-formed XML. Errors (out of memory, write failure) are
 * sticky: check cl_writer_finish() once at the end. */
#ifndef CL_WRITER_H
#define CL_WRITER_H

#include <stdio.h>

#include "error.h"

enum cl_writer_format {
	CL_WRITER_TEXT,
	CL_WRITER_MARKDOWN,
	CL_WRITER_HTML,
	CL_WRITER_JSON,
	CL_WRITER_CSV,
};

enum cl_col_kind {
	CL_COL_TEXT,	/* wraps */
	CL_COL_WIDE,	/* the column that matters (Action): widest, wraps */
	CL_COL_ID,	/* never wraps */
	CL_COL_DATE,	/* YYYY-MM-DD, never wraps */
	CL_COL_INT,	/* a number: JSON number, right aligned */
	CL_COL_LINK,	/* a web address is written as a link */
	CL_COL_BAR,	/* a number drawn as a bar (HTML) next to its value */
};

/* A column of a section: key (JSON/CSV name), title (people), kind,
 * unit (text after the number in text output, e.g. "d late"; may be NULL). */
struct cl_col {
	const char *key, *title;
	int kind;
	const char *unit;
};

struct cl_writer;

/* A writer of format to fp (NULL: into a buffer). */
int cl_writer_new(struct cl_writer **out, int format, FILE *fp, struct cl_error *err);
void cl_writer_free(struct cl_writer *w);
/* "text", "markdown", "html", "json", "csv"; CL_EUSAGE otherwise. */
int cl_writer_format_parse(const char *s, int *out);

/* The document: title, and a line under it (may be NULL). */
void cl_writer_start(struct cl_writer *w, const char *title, const char *subtitle);
/* A warning paragraph (JSON: key = text). */
void cl_writer_warning(struct cl_writer *w, const char *key, const char *text);
/* A paragraph of prose (JSON: key = text; CSV: nothing). */
void cl_writer_para(struct cl_writer *w, const char *key, const char *text);
/* A group of facts (JSON object key; text one line; HTML boxes). Key NULL
 * inside a section: one element of its JSON array, which may hold facts
 * and sections of its own (JSON documents of more than one level). */
void cl_writer_facts(struct cl_writer *w, const char *key, const char *title);
/* A fact of the current group; value NULL = null; number: JSON number. */
void cl_writer_attr(struct cl_writer *w, const char *key, const char *label,
                    const char *value, int number);
void cl_writer_facts_end(struct cl_writer *w);
/* A section with its columns (JSON: key = array of rows). The column
 * array must outlive the section. bar_max scales CL_COL_BAR cells. */
void cl_writer_section(struct cl_writer *w, const char *key, const char *title,
                       const struct cl_col *cols, int ncols, long long bar_max);
/* A group of rows inside a section (JSON: {key: label, name, count, items}). */
void cl_writer_group(struct cl_writer *w, const char *key, const char *label,
                     const char *name, long long count);
void cl_writer_group_end(struct cl_writer *w);
/* A row: one value per column (NULL or "" = empty). */
void cl_writer_row(struct cl_writer *w, const char *const *vals);
/* "… and N more what" under the rows shown (not in JSON/CSV: they are
 * complete). */
void cl_writer_more(struct cl_writer *w, const char *text);
void cl_writer_section_end(struct cl_writer *w);
/* The closing line (footer) and the end of the document. */
void cl_writer_end(struct cl_writer *w, const char *footer);
/* Flushes; 0, or CL_ENOMEM / CL_EIO with err set. */
int cl_writer_finish(struct cl_writer *w, struct cl_error *err);
/* The buffered document (fp NULL), NUL-terminated; caller frees. */
char *cl_writer_take(struct cl_writer *w);

/* A mail's two alternatives: fn(w, arg) written once as text and once
 * as HTML into *text and *html (caller frees); 0 or CL_ENOMEM. */
int cl_writer_mail_parts(char **text, char **html,
                         void (*fn)(struct cl_writer *, const void *), const void *arg);

/* Appends s to b for format (escaped, control characters replaced): the
 * primitive the writer uses, for callers that build one value. */
struct cl_buf;
void cl_writer_escape(struct cl_buf *b, int format, const char *s);

#endif
