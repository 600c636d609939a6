/* parse.h — a post-mortem (or runbook) document → its metadata and action
 * items.
 *
 * Two stages. A front end turns the source into a *block model* (below):
 * the Markdown reader (md4c) here, a Confluence XHTML reader can produce the
 * same blocks. The item rules then run over the blocks only:
 *   - under an action heading ("Action items", "Follow-ups", "Next steps",
 *     "Remediation", "What we will do", ... and [import] headings): rows of
 *     tables, top-level list items (group labels ending with ':' or only
 *     bold hand their children over; children of an ordinary item are its
 *     details, nested task-list entries are items), and short paragraphs
 *     when the section has no list or table;
 *   - sub-headings (and bold label paragraphs) carry a status, a due date or
 *     a ticket to what stands under them;
 *   - anywhere: a paragraph or list item starting with "Action item:",
 *     "Action point:", "Action:", "AI:" or "TODO:", and a table whose header
 *     has an action column plus an owner/due/status/ticket column (not a
 *     timeline: its first column is a time);
 *   - each item's text gives status ("(DONE)", "✅", struck through, ...),
 *     ticket (an issue/PR link or a Jira key, taken out of the text), owner
 *     ("Owner: X", "— @x", "(Priya)", "assigned to X") and due date
 *     ("by/due/until/before DATE", quarters and months are approximate).
 * Line numbers are 1-based lines of the input. Every step is linear in the
 * size of the input. */
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
	int owners_several;	/* several owners named: the first is owner */
	int due_approx;		/* due is the last day of a quarter/month/... */
	char *owner_email;	/* "Alice Doe <alice@example.com>" → the address */
	char *status;		/* the status the document states: "done", "open",
				 * "in-progress", "planned"; NULL when it says none */
};

/* An action-like section the document has (for `lint --items`). */
struct cl_pm_section {
	int line;
	char *title;
	size_t nitems;		/* items found in it (sub-sections included) */
};

struct cl_arena;
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
	char *status;		/* front matter "status:", NULL if none */
	char *team;		/* front matter "team:", else a "Team:" line; NULL if none */
	struct cl_pm_section *sections;
	size_t nsections;
	struct cl_arena *strings;	/* holds every text of the document and its items */
};

/* Limits on what one document may hold; exceeding one is CL_EDATA. */
#define CL_PARSE_MAX_ITEMS 5000
#define CL_PARSE_MAX_CELLS 100000

/* Options from the configuration. */
struct cl_parse_opts {
	const char *headings;	/* [import] headings: more action headings, comma separated */
};

/* ---- the block model ------------------------------------------------------
 * A flat array in document order. parent is the index of the enclosing
 * LIST, ITEM, TABLE or ROW (-1 at top level: headings, paragraphs, lists,
 * tables; paragraphs inside a list item are part of the item's text).
 * text is the block's own plain text (inline markup removed, link texts
 * kept, paragraphs of an item joined by a space); links give the byte
 * ranges of link texts within it. Everything is owned by the blocks'
 * arena. */
enum cl_block_kind {
	CL_BLOCK_HEADING,	/* level 1..6 */
	CL_BLOCK_PARA,
	CL_BLOCK_LIST,
	CL_BLOCK_ITEM,		/* list item; level = list nesting depth, 1 = top */
	CL_BLOCK_TABLE,
	CL_BLOCK_ROW,		/* the first row of a table is its header */
	CL_BLOCK_CELL,
	CL_BLOCK_META		/* front matter "key: value" (text), from the source's header */
};

#define CL_BLOCK_TASK		0x01	/* "- [ ]" list item */
#define CL_BLOCK_CHECKED	0x02	/* "- [x]" */
#define CL_BLOCK_ORDERED	0x04	/* numbered list */
#define CL_BLOCK_ALL_STRONG	0x08	/* every letter of the text is bold */
#define CL_BLOCK_ALL_STRUCK	0x10	/* every letter is struck through */
#define CL_BLOCK_STRONG_DONE	0x20	/* "**DONE**" stood in it (taken out of text) */
#define CL_BLOCK_STRONG_TODO	0x40	/* "**TODO**" stood in it (taken out of text) */

struct cl_block_link {
	size_t start, end;	/* byte range of the link's text in the block's text */
	const char *href;
};

struct cl_block {
	enum cl_block_kind kind;
	int line, level, parent, flags;
	const char *text;
	size_t len;
	struct cl_block_link *links;
	size_t nlinks;
};

struct cl_arena;
struct cl_blocks {
	struct cl_block *v;
	size_t n, cap;
	struct cl_arena *arena;
};

/* Appends a block (text copied into the arena); returns its index or a
 * negative CL_E* code. */
int cl_blocks_add(struct cl_blocks *b, enum cl_block_kind kind, int line, int level,
                  int parent, int flags, const char *text, size_t len,
                  const struct cl_block_link *links, size_t nlinks);
void cl_blocks_release(struct cl_blocks *b);
/* Runs the item rules over a block model. ref as for cl_parse_document. */
int cl_parse_blocks(struct cl_pm_doc **out, const struct cl_blocks *b, int ref,
                    const struct cl_parse_opts *opts, struct cl_error *err);

/* Parses UTF-8 Markdown (a BOM and CRLF are accepted; YAML front matter is
 * read for title, date, severity, authors, status, team). ref is the day
 * used for year-less dates when the document has no incident date
 * (CL_NO_DATE: today). Invalid UTF-8 is CL_EDATA naming the line. */
int cl_parse_document(struct cl_pm_doc **out, const char *text, size_t len,
                      int ref, struct cl_error *err);
/* The same with options (NULL: none). */
int cl_parse_document_opts(struct cl_pm_doc **out, const char *text, size_t len,
                           int ref, const struct cl_parse_opts *opts,
                           struct cl_error *err);
/* The same, with md4c reading every section (cl_parse_document_opts leaves
 * out the sections that cannot yield anything): for the checks that
 * compare the two. */
int cl_parse_document_read_all(struct cl_pm_doc **out, const char *text, size_t len,
                               int ref, const struct cl_parse_opts *opts,
                               struct cl_error *err);
/* True when two parse results are the same in every field. */
int cl_pm_doc_same(const struct cl_pm_doc *a, const struct cl_pm_doc *b);
void cl_pm_doc_free(struct cl_pm_doc *doc);

/* Normalises an action for identity: lower case ASCII, collapsed white
 * space, no Markdown punctuation or trailing full stop. Caller frees. */
char *cl_parse_normalise(const char *action);
/* Owner as written → handle/name (caller frees), NULL for empty.
 * "Alice Doe <alice@example.com>" → "Alice Doe"; "@org/team" → "org/team". */
char *cl_parse_owner(const char *raw);
/* True when an owner as written names several people ("@a and @b", "A/B",
 * "A & B", "A, B"). */
int cl_parse_owner_several(const char *raw);
/* Checks UTF-8; returns 0 or the 1-based line of the first bad byte. */
int cl_utf8_check(const char *s, size_t len);

#endif
