/* parse.c — post-mortem Markdown → a block model (md4c) → metadata and
 * action items (the item rules, which read only the block model). */
#include <ctype.h>
#include <stdatomic.h>
#include <stddef.h>
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
#define MAX_OPEN 64	/* open blocks followed; deeper ones are not recorded */
#define PROSE_MAX 900	/* a longer paragraph is narrative, not an item */
#define LABEL_MAX 80	/* a bold paragraph up to this long can be a label */
#define META_MAX 200	/* a "— owner, due" tail up to this long */

/* ---- arena ------------------------------------------------------------------ */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct cl_arena {
	struct arena_chunk *head;
};

/* Memory that lives as long as the arena (8-byte aligned). */
static void *
arena_alloc(struct cl_arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	void *r;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		if ((c = cl_malloc(sizeof *c + cap)) == NULL)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	r = c->data + c->used;
	c->used += n;
	return r;
}

/* A NUL-terminated copy of s[0..n) in the arena. */
static char *
arena_strndup(struct cl_arena *a, const char *s, size_t n)
{
	char *r = arena_alloc(a, n + 1);

	if (r == NULL)
		return NULL;
	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

static void
arena_free(struct cl_arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* ---- the block model ---------------------------------------------------------- */

/* Makes sure the model has its arena. */
static int
blocks_arena(struct cl_blocks *b)
{
	if (b->arena == NULL && (b->arena = cl_calloc(1, sizeof *b->arena)) == NULL)
		return CL_ENOMEM;
	return 0;
}

/* Sets a block's text and links (copied into the arena). */
static int
blocks_set_text(struct cl_blocks *b, int idx, const char *text, size_t len,
                const struct cl_block_link *links, size_t nlinks)
{
	struct cl_block *bl = &b->v[idx];
	size_t i;

	if (blocks_arena(b) != 0 || (bl->text = arena_strndup(b->arena, text ? text : "",
	                                                       text ? len : 0)) == NULL)
		return CL_ENOMEM;
	bl->len = text ? len : 0;
	bl->links = NULL;
	bl->nlinks = 0;
	if (nlinks) {
		if ((bl->links = arena_alloc(b->arena, nlinks * sizeof *links)) == NULL)
			return CL_ENOMEM;
		for (i = 0; i < nlinks; i++) {
			bl->links[i] = links[i];
			if (bl->links[i].end > len)
				bl->links[i].end = len;
			if (bl->links[i].start > bl->links[i].end)
				bl->links[i].start = bl->links[i].end;
		}
		bl->nlinks = nlinks;
	}
	return 0;
}

int
cl_blocks_add(struct cl_blocks *b, enum cl_block_kind kind, int line, int level,
              int parent, int flags, const char *text, size_t len,
              const struct cl_block_link *links, size_t nlinks)
{
	struct cl_block *bl;
	int rc;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct cl_block *v = cl_realloc(b->v, cap * sizeof *v);
		if (v == NULL)
			return CL_ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	bl = &b->v[b->n];
	memset(bl, 0, sizeof *bl);
	bl->kind = kind;
	bl->line = line;
	bl->level = level;
	bl->parent = parent;
	bl->flags = flags;
	bl->text = "";
	b->n++;
	if ((text || nlinks) &&
	    (rc = blocks_set_text(b, (int)b->n - 1, text, len, links, nlinks)) != 0)
		return rc;
	return (int)b->n - 1;
}

void
cl_blocks_release(struct cl_blocks *b)
{
	if (b == NULL)
		return;
	free(b->v);
	arena_free(b->arena);
	memset(b, 0, sizeof *b);
}

/* ---- small text helpers ---------------------------------------------------------- */

/* A NUL-terminated copy of s[0..n) that lives as long as document d: the
 * texts of a document and of its items are one arena, freed at once. */
static char *
doc_strndup(struct cl_pm_doc *d, const char *s, size_t n)
{
	if (d->strings == NULL && (d->strings = cl_calloc(1, sizeof *d->strings)) == NULL)
		return NULL;
	return arena_strndup(d->strings, s, n);
}

/* doc_strndup() of all of s. */
static char *
doc_strdup(struct cl_pm_doc *d, const char *s)
{
	return doc_strndup(d, s, strlen(s));
}

/* isalnum() of the C locale, or a byte of a UTF-8 sequence: a table, as
 * the rules ask this of every byte. */
static inline int
is_letter(unsigned char c)
{
	static const unsigned char letter[256] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
		0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
		0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};

	return letter[c];
}

/* tolower() of the C locale. */
static inline unsigned char
ascii_lower(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u | 0x20) : u;
}

/* starts_word() once the first two characters match. */
static size_t
starts_word_full(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	if (n < k || strncasecmp(s, w, k) != 0)
		return 0;
	if (k < n && is_letter((unsigned char)w[k - 1]) && is_letter((unsigned char)s[k]))
		return 0;
	return k;
}

/* s[0..n) starts with word w (ASCII case-insensitive), at a word end. The
 * first two characters are compared inline: most calls stop there. */
static inline size_t
starts_word(const char *s, size_t n, const char *w)
{
	if (n == 0 || ascii_lower(s[0]) != ascii_lower(w[0]) ||
	    (w[1] != '\0' && (n < 2 || ascii_lower(s[1]) != ascii_lower(w[1]))))
		return 0;
	return starts_word_full(s, n, w);
}

/* Length without trailing white space. */
static size_t
rtrim_len(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
	                 s[n - 1] == '\r'))
		n--;
	return n;
}

static size_t
ltrim_off(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Lower-cased copy of s[0..n) into out (size bytes), punctuation and
 * emphasis as spaces, white space collapsed: for matching vocabulary. */
static char *
vocab_key(char *out, size_t size, const char *s, size_t n)
{
	/* what a byte becomes: itself lower-cased (letters, digits, bytes of
	 * UTF-8 sequences, '\'' and '/'), or 0, a space; worked out once */
	static atomic_int ready;
	static _Atomic unsigned char keep[256];
	size_t i, o = 0;
	int space = 1;

	if (!atomic_load_explicit(&ready, memory_order_acquire)) {
		for (i = 0; i < 256; i++)
			atomic_store_explicit(&keep[i], is_letter((unsigned char)i) || i == '\'' ||
			                      i == '/' ? (unsigned char)(i >= 'A' && i <= 'Z' ? i | 0x20 : i)
			                      : 0, memory_order_relaxed);
		atomic_store_explicit(&ready, 1, memory_order_release);
	}
	for (i = 0; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned char k = atomic_load_explicit(&keep[c], memory_order_relaxed);
		if (k != 0) {
			/* "What we’re doing": a typographic apostrophe is an apostrophe */
			if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
			    (unsigned char)s[i + 2] == 0x99) {
				out[o++] = '\'';
				space = 0;
				i += 2;
				continue;
			}
			out[o++] = (char)k;
			space = 0;
		} else if (!space) {
			out[o++] = ' ';
			space = 1;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/* Phrase p occurs in key k as whole words. */
static int
has_phrase(const char *k, const char *p)
{
	size_t n = strlen(p);
	const char *q;

	for (q = k; (q = strstr(q, p)) != NULL; q++)
		if ((q == k || q[-1] == ' ') && (q[n] == '\0' || q[n] == ' ' ||
		                                 (q[n] == 's' && (q[n + 1] == '\0' || q[n + 1] == ' '))))
			return 1;
	return 0;
}

/* ---- statuses, owners, dates in words ----------------------------------------- */

enum { ST_NONE = -1, ST_OPEN = 0, ST_DONE = 1, ST_PROGRESS = 2, ST_PLANNED = 3 };

static const char *
status_name(int st)
{
	switch (st) {
	case ST_DONE: return "done";
	case ST_OPEN: return "open";
	case ST_PROGRESS: return "in-progress";
	case ST_PLANNED: return "planned";
	default: return NULL;
	}
}

/* A status word or phrase ("done", "(WIP)", "in progress", "✅"): ST_*. */
static int
status_word(const char *s, size_t n)
{
	static const struct { const char *w; int st; } words[] = {
		{ "done", ST_DONE }, { "closed", ST_DONE }, { "complete", ST_DONE },
		{ "completed", ST_DONE }, { "fixed", ST_DONE }, { "resolved", ST_DONE },
		{ "finished", ST_DONE }, { "shipped", ST_DONE }, { "merged", ST_DONE },
		{ "deployed", ST_DONE }, { "implemented", ST_DONE }, { "x", ST_DONE },
		{ "\xe2\x9c\x85", ST_DONE }, { "\xe2\x9c\x94", ST_DONE },
		{ "\xe2\x9c\x94\xef\xb8\x8f", ST_DONE }, { "\xe2\x98\x91", ST_DONE },
		{ "\xe2\x98\x91\xef\xb8\x8f", ST_DONE }, { "\xe2\x9c\x93", ST_DONE },
		{ "\xf0\x9f\x94\x84", ST_PROGRESS }, { "\xe2\x8f\xb3", ST_PROGRESS },
		{ "\xf0\x9f\x9a\xa7", ST_PROGRESS }, { ":construction:", ST_PROGRESS },
		{ ":white_check_mark:", ST_DONE }, { ":heavy_check_mark:", ST_DONE },
		{ "in progress", ST_PROGRESS }, { "in-progress", ST_PROGRESS },
		{ "wip", ST_PROGRESS }, { "ongoing", ST_PROGRESS }, { "in review", ST_PROGRESS },
		{ "started", ST_PROGRESS }, { "underway", ST_PROGRESS },
		{ "planned", ST_PLANNED }, { "scheduled", ST_PLANNED },
		{ "open", ST_OPEN }, { "todo", ST_OPEN }, { "to do", ST_OPEN },
		{ "to-do", ST_OPEN }, { "pending", ST_OPEN }, { "not started", ST_OPEN },
		{ "outstanding", ST_OPEN }, { "remaining", ST_OPEN }, { "not done", ST_OPEN },
		{ "not started yet", ST_OPEN }, { "not yet started", ST_OPEN },
		{ "not yet done", ST_OPEN }, { "backlog", ST_OPEN }, { "in flight", ST_PROGRESS },
		{ "open items", ST_OPEN }, { "open actions", ST_OPEN }, { "remaining items", ST_OPEN },
		{ "outstanding items", ST_OPEN }, { "completed items", ST_DONE },
		{ "completed actions", ST_DONE }, { "done items", ST_DONE }, { "closed items", ST_DONE },
		{ NULL, 0 }
	};
	static struct cl_letter_chain chain;
	_Static_assert(sizeof words / sizeof words[0] <= CL_LETTER_CHAIN_MAX + 1,
	               "a cl_letter_chain holds 128 words");
	char low[32];
	size_t i;

	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	s += i;
	n -= i;
	while (n > 0 && (s[n - 1] == ':' || s[n - 1] == '.' || s[n - 1] == '!'))
		n--;
	/* no word is longer than 18 bytes (":white_check_mark:"), and each
	 * starts with one of these */
	if (n == 0 || n >= sizeof low || n > 18 ||
	    strchr(":bcdfimnoprstuwx\xe2\xf0", ascii_lower(s[0])) == NULL)
		return ST_NONE;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (i = cl_letter_chain_first(&chain, words, sizeof words[0], sizeof words / sizeof words[0] - 1,
	                      (unsigned char)low[0]); i != 0; i = cl_letter_chain_next(&chain, i))
		if (strcmp(low, words[i - 1].w) == 0)
			return words[i - 1].st;
	return ST_NONE;
}

/* "done", "closed", "✅", "done (2024-01-28)", … (a Status cell). */
static int
status_is_done(const char *s)
{
	char low[64];
	size_t n;

	cl_str_key(low, sizeof low, s);
	n = strlen(low);
	if (status_word(low, n) == ST_DONE || strcmp(low, "yes") == 0 || strcmp(low, "y") == 0 ||
	    strcmp(low, "[x]") == 0)
		return 1;
	if (cl_str_starts_with(low, "done ") || cl_str_starts_with(low, "closed ") ||
	    cl_str_starts_with(low, "fixed ") || cl_str_starts_with(low, "completed ") ||
	    cl_str_starts_with(low, "\xe2\x9c\x85"))
		return 1;
	return 0;
}

/* Words people put where a date belongs ("soon" is not a date, but it is
 * meant as one: it goes to due_raw for lint to flag). */
static int
sounds_like_when(const char *s, size_t n)
{
	static const char *const when[] = { "soon", "asap", "later", "eventually", "someday",
		"next sprint", "next week", "next month", "next quarter", "this week",
		"this sprint", "this month", "this quarter", "eow", "eod", "tbd", "next release",
		NULL };
	char low[32];
	size_t i;

	n = rtrim_len(s, n);
	if (n == 0 || n >= sizeof low)
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	for (i = 0; when[i]; i++)
		if (when[i][0] == low[0])
		if (strcmp(low, when[i]) == 0)
			return 1;
	return 0;
}

/* s[0..n) is a date (or a period, or a date-shaped impossible one like
 * 2024-02-30: that is meant as a date and lint says it is not one). */
static int
date_like(const char *s, size_t n)
{
	char buf[48];
	int day, approx;

	n = rtrim_len(s, n);
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ',' || s[n - 1] == ':' || s[n - 1] == ';'))
		n--;
	if (n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (cl_date_parse_due(buf, cl_days_from_civil(2024, 1, 1), &day, &approx) == 0)
		return 1;
	/* "Feb 30", "30 Feb": a month and a day that does not exist */
	{
		char *sp = strchr(buf, ' '), *word, *num;
		if (sp != NULL && strchr(sp + 1, ' ') == NULL) {
			*sp = '\0';
			word = isdigit((unsigned char)buf[0]) ? sp + 1 : buf;
			num = word == buf ? sp + 1 : buf;
			if (strlen(word) >= 3 && strlen(num) <= 2 && isdigit((unsigned char)num[0]) &&
			    (num[1] == '\0' || isdigit((unsigned char)num[1])) &&
			    cl_date_parse_due(word, cl_days_from_civil(2024, 1, 1), &day, &approx) == 0)
				return 1;
			*sp = ' ';
		}
	}
	/* 2024-02-30, 2024/13/01 */
	if (n >= 8 && n <= 10 && isdigit((unsigned char)buf[0]) && isdigit((unsigned char)buf[3]) &&
	    (buf[4] == '-' || buf[4] == '/')) {
		size_t i;
		for (i = 5; i < n; i++)
			if (!isdigit((unsigned char)buf[i]) && buf[i] != buf[4])
				return 0;
		return 1;
	}
	return 0;
}

/* A byte of a handle ("@sam.o-b_1"): a letter, digit or UTF-8 byte (the
 * is_letter() table: every caller passes 0..255), '_', '-' or '.'. */
static inline int
handle_char(int c)
{
	return is_letter((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

/* Not a person's name when standing alone in parentheses. */
static int
caveat_word(const char *low)
{
	static const char *const words[] = { "optional", "stretch", "if possible", "maybe",
		"nice to have", "tentative", "again", "later", "recommended", "required",
		"internal", "external", "staging", "prod", "production", "frontend", "backend",
		"mobile", "web", "api", "docs", "tbd", "tba", "n/a", "na", "none", "all",
		"blocked", "deferred", "cancelled", "canceled", "high", "low", "medium",
		"critical", "urgent", "major", "minor", "short term", "long term", "short-term",
		"long-term", "immediate", "follow-up", "followup", "see below", "see above",
		"if needed", "as needed", "per region", "only", "linux", "windows", "macos",
		"new", "old", "temporary", "permanent", "manual", "automated", "ongoing",
		"prevent", "mitigate", "detect", "process", "repair", "investigate", "research",
		"documentation", "doc", "tooling", "cleanup", "bug", "bugfix", "feature", "easy",
		"hard", "quick win", "small", "large", "xl", "done later", "nice-to-have", "spike",
		"epic", "story", "chore", "tech debt", "wontfix", "won't fix", "duplicate", NULL };
	size_t i, n = strlen(low);

	for (i = 0; words[i]; i++)
		if (words[i][0] == low[0])
		if (strcmp(low, words[i]) == 0)
			return 1;
	if (strstr(low, " only") || strstr(low, "possible") || strstr(low, "e.g") ||
	    strstr(low, "i.e") || strstr(low, "etc") || strstr(low, "see "))
		return 1;
	/* "monitoring", "planned", "hourly", "migration", "deployment" */
	if (n > 4 && (strcmp(low + n - 3, "ing") == 0 || strcmp(low + n - 2, "ed") == 0 ||
	              strcmp(low + n - 2, "ly") == 0 || strcmp(low + n - 3, "ion") == 0 ||
	              strcmp(low + n - 4, "ment") == 0))
		return 1;
	return 0;
}

/* low (lower-cased) names a team or a function rather than a person ("sre
 * team", "infra", "networking", "sig-release"): an owner all the same, which
 * lint flags as owner-not-a-person. */
static int
team_like(const char *low)
{
	static const char *const words[] = { "sre", "ops", "devops", "secops", "infra",
		"infrastructure", "platform", "networking", "network", "security", "database",
		"dba", "dbas", "storage", "support", "qa", "eng", "engineering", "oncall", "on-call",
		"the on-call", "release", "releng", "comms", "legal", "compliance", "product",
		"design", "marketing", "finance", "sales", "management", "leadership",
		"service owner", "the service owner", "trust & safety", "trust and safety",
		"trust safety", "live ops", "liveops", "customer success", "customer support", NULL };
	size_t i;

	for (i = 0; words[i]; i++)
		if (words[i][0] == low[0] && strcmp(low, words[i]) == 0)
			return 1;
	for (i = 0; low[i]; i++)	/* "2 engineers" is a quantity */
		if (isdigit((unsigned char)low[i]))
			return 0;
	if (strncmp(low, "sig-", 4) == 0 || strncmp(low, "sig ", 4) == 0 ||
	    strncmp(low, "wg-", 3) == 0 || strncmp(low, "team-", 5) == 0)
		return 1;
	/* "SRE team", "the data team", "Partner success team": a short name
	 * ending in team ("in collaboration with the DB team" is not one) */
	{
		const char *last = strrchr(low, ' ');
		size_t nw = 1;
		for (i = 0; low[i]; i++)
			nw += low[i] == ' ';
		last = last ? last + 1 : low;
		if (nw > 4 || has_phrase(low, "with") || has_phrase(low, "in") ||
		    has_phrase(low, "by") || has_phrase(low, "from") || has_phrase(low, "for"))
			return 0;
		/* "core devs", "multisig signers", "release managers" */
		return strcmp(last, "team") == 0 || strcmp(last, "teams") == 0 ||
		       strcmp(last, "squad") == 0 || strcmp(last, "crew") == 0 ||
		       strcmp(last, "guild") == 0 || (nw >= 2 && nw <= 3 &&
		       (strcmp(last, "devs") == 0 || strcmp(last, "developers") == 0 ||
		        strcmp(last, "maintainers") == 0 || strcmp(last, "engineers") == 0 ||
		        strcmp(last, "signers") == 0 || strcmp(last, "admins") == 0 ||
		        strcmp(last, "operators") == 0 || strcmp(last, "managers") == 0 ||
		        strcmp(last, "committee") == 0 || strcmp(last, "council") == 0 ||
		        strcmp(last, "leads") == 0 || strcmp(last, "owners") == 0 ||
		        strcmp(last, "on-call") == 0 || strcmp(last, "oncall") == 0));
	}
}

/* team_like() of s[0..n) as written. */
static int
team_like_n(const char *s, size_t n)
{
	char low[64];

	if (n >= sizeof low)
		return 0;
	vocab_key(low, sizeof low, s, n);
	return team_like(low);
}

/* low (lower-cased, one word) names a technology or a product, which a
 * parenthesis after an action often does ("(Kubernetes)", "(Redis)"). */
static int
tech_word(const char *low)
{
	static const char *const words[] = { "kubernetes", "k8s", "gke", "eks", "aks",
		"openshift", "docker", "helm", "terraform", "ansible", "puppet", "chef", "salt",
		"nomad", "consul", "vault", "etcd", "coredns", "dns", "bgp", "tls", "ssl", "cdn",
		"postgres", "postgresql", "mysql", "mariadb", "sqlite", "redis", "memcached",
		"kafka", "rabbitmq", "zookeeper", "cassandra", "mongodb", "elasticsearch",
		"opensearch", "clickhouse", "nginx", "haproxy", "envoy", "istio", "linkerd",
		"prometheus", "grafana", "alertmanager", "loki", "datadog", "pagerduty", "sentry",
		"jenkins", "github", "gitlab", "bitbucket", "jira", "confluence", "slack", "aws",
		"gcp", "azure", "cloudflare", "fastly", "akamai", "s3", "ec2", "lambda", "ceph",
		"zfs", "systemd", "java", "python", "go", "golang", "rust", "node", "nodejs",
		"rails", "django", "php", "javascript", "typescript", "react", "ios", "android",
		"ethereum", "solana", "geth", "bitcoin", "grpc", "graphql", "http", "oauth", "saml",
		"ldap", "cron", "runbook", "dashboard", "alerting", "monitoring", "ci", "cd",
		"google", "amazon", "microsoft", "cloud", "apple", "oracle", "ibm", "digitalocean",
		"hetzner", "ovh", "linode", "vercel", "netlify", "heroku", "okta", "auth0", NULL };
	size_t i;

	for (i = 0; words[i]; i++)
		if (words[i][0] == low[0] && strcmp(low, words[i]) == 0)
			return 1;
	return 0;
}

/* A lower-case word inside a name ("Jan van der Berg", "Maria da Silva"). */
static int
name_particle(const char *w, size_t n)
{
	static const char *const words[] = { "van", "von", "der", "den", "de", "da", "das", "do",
		"dos", "di", "du", "del", "della", "la", "le", "bin", "binti", "al", "el", "ter", "y",
		"and", NULL };	/* "Alice and Bob": several names */
	size_t i;

	for (i = 0; words[i]; i++)
		if (strlen(words[i]) == n && strncmp(w, words[i], n) == 0)
			return 1;
	return 0;
}

/* s[0..n) reads as a person (or several): "@alice", "Alice Doe",
 * "Alice Doe <alice@example.com>", "priya", "@a and @b", "A/B". */
static int
person_like(const char *s, size_t n)
{
	char low[64];
	const char *q;
	size_t i, words = 0, upper = 0, letters = 0;
	int word_start = 1, first_upper = 0;

	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	s += i;
	n -= i;
	if (n == 0 || n >= sizeof low)
		return 0;
	if (s[0] == '@' && n > 1 && handle_char((unsigned char)s[1]))
		return 1;
	if (memchr(s, '<', n) && memchr(s, '@', n) && s[n - 1] == '>')
		return 1;
	/* "Priya (SRE)", "Alice Doe (@adoe)": the name before the parenthesis */
	if (s[n - 1] == ')' && (q = memchr(s, '(', n)) != NULL && q > s) {
		if (q[1] == '@')
			return 1;
		return person_like(s, (size_t)(q - s));
	}
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[n] = '\0';
	if (memchr(s, '@', n)) {	/* an address ("hpc-ops@rcs.uni.example.ac.uk") */
		for (i = 0; i < n; i++)
			if (s[i] == ' ')
				return 0;
		return 1;
	}
	if (team_like(low))
		return 1;
	if (caveat_word(low) || status_word(s, n) != ST_NONE || sounds_like_when(s, n) ||
	    tech_word(low))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '/' || c == '&' || c == ',') {
			word_start = 1;
			continue;
		}
		if (isdigit(c) || !(isalpha(c) || c >= 0x80 || c == '.' || c == '\'' || c == '-' ||
		                    c == '_'))
			return 0;
		if (word_start) {
			size_t wl = strcspn(low + i, " /&,");
			words++;
			if (words == 1)
				first_upper = isupper(c) || c >= 0x80;
			/* "Helm chart", "PostgreSQL clients first": a name's words are
			 * capitalised but for particles */
			else if (first_upper && !(isupper(c) || c >= 0x80) && !name_particle(low + i, wl))
				return 0;
			/* "Google Cloud", "Amazon S3": a product */
			if (wl < 24) {
				char w[24];
				memcpy(w, low + i, wl);
				w[wl] = '\0';
				if (tech_word(w))
					return 0;
			}
		} else if (isupper(c) && letters > 0 && islower((unsigned char)s[i - 1]) &&
		           !((i >= 2 && strncmp(low + i - 2, "mc", 2) == 0 &&
		              (i == 2 || s[i - 3] == ' ')) ||
		             (i >= 3 && strncmp(low + i - 3, "mac", 3) == 0 &&
		              (i == 3 || s[i - 4] == ' ')))) {
			/* "PostgreSQL", "GitHub": a product; "McKay", "MacLeod" are names */
			return 0;
		}
		word_start = 0;
		letters++;
		upper += isupper(c) != 0;
	}
	if (words == 0 || words > 4)
		return 0;
	/* "DNS", "SRE": an acronym, not a name */
	if (letters >= 2 && upper == letters)
		return 0;
	/* one lower-case word is a user name ("jnakamura"); more are a phrase */
	if (!first_upper && (words > 1 || has_phrase(low, "and")))
		return 0;
	if (cl_date_parse_due(low, cl_days_from_civil(2024, 1, 1), &(int){ 0 }, &(int){ 0 }) == 0)
		return 0;
	return 1;
}

/* ---- owners ------------------------------------------------------------------------ */

/* "Trust & Safety", "Capacity and Performance team": one team whose name
 * joins two words, not several owners. */
static int
one_team(const char *raw)
{
	char low[64];
	size_t n = strlen(raw);

	if (n >= sizeof low || strpbrk(raw, "@,;/(") != NULL ||
	    (strchr(raw, '&') == NULL && strstr(raw, " and ") == NULL))
		return 0;
	memcpy(low, raw, n + 1);
	cl_str_key(low, sizeof low, low);
	return team_like(low);
}

char *
cl_parse_normalise(const char *action)
{
	/* 1 emphasis and brackets (dropped), 2 white space (the C locale's
	 * isspace), 3 the end */
	static const unsigned char kind[256] = { ['*'] = 1, ['_'] = 1, ['`'] = 1, ['~'] = 1,
		['['] = 1, [']'] = 1, [' '] = 2, ['\t'] = 2, ['\n'] = 2, ['\v'] = 2, ['\f'] = 2,
		['\r'] = 2, ['\0'] = 3 };
	/* written in place: the result is never longer than the action */
	char *out = cl_malloc(strlen(action) + 1);
	const char *s;
	size_t n = 0;

	if (out == NULL)
		return NULL;
	/* a run of white space (with dropped bytes in it) is one space, none
	 * first; one last is taken off below with the trailing full stops */
	for (s = action;; s++) {
		unsigned char c = (unsigned char)*s;
		unsigned k = kind[c];
		if (k == 0) {
			out[n++] = (char)ascii_lower((char)c);
			continue;
		}
		if (k == 3)
			break;
		if (k == 2 && n > 0 && out[n - 1] != ' ')
			out[n++] = ' ';
	}
	while (n > 0 && (out[n - 1] == '.' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	return out;
}

/* cl_parse_owner() in a copy of the text it may change: the copy (the
 * owner moved to its front), or NULL when it names none. */
static char *
owner_in(char *copy)
{
	const char *at, *end, *s;
	char *r, *lt;
	size_t n;

	cl_str_trim(copy);
	/* "Alice Doe <alice@example.com>" is Alice Doe */
	if ((lt = strchr(copy, '<')) != NULL && lt > copy && strchr(lt, '@') && strchr(lt, '>')) {
		*lt = '\0';
		cl_str_trim(copy);
	}
	if (cl_str_ieq(copy, "n/a") || cl_str_ieq(copy, "n.a.") || one_team(copy))
		return copy;
	/* "ayo@": a user name written the way some companies write them */
	n = strlen(copy);
	if (n > 1 && copy[n - 1] == '@' && strchr(copy, '@') == copy + n - 1 &&
	    strchr(copy, ' ') == NULL)
		copy[n - 1] = '\0';
	if (*copy == '\0' || strcmp(copy, "-") == 0 || strcmp(copy, "\xe2\x80\x94") == 0 ||
	    strcmp(copy, "\xe2\x80\x93") == 0)
		return NULL;
	/* "Nils, @mfarah": the first of several, though a later one is a handle */
	n = strcspn(copy, ",;&");
	if (copy[n] != '\0' && n > 0 && memchr(copy, '@', n) == NULL && strchr(copy + n, '@') &&
	    strchr(copy, '<') == NULL) {
		copy[n] = '\0';
		cl_str_trim(copy);
	}
	/* "@alice", "Alice Doe (@alice)", "@alice, @bob" → the first handle, but
	 * not the "@" of an e-mail address; "@org/team" stays whole */
	for (s = copy; (at = strchr(s, '@')) != NULL; s = at + 1) {
		if (at > copy && handle_char((unsigned char)at[-1]))
			continue;
		for (end = at + 1; *end && handle_char((unsigned char)*end); end++)
			;
		if (*end == '/' && handle_char((unsigned char)end[1]))
			for (end++; *end && handle_char((unsigned char)*end); end++)
				;
		while (end > at + 1 && end[-1] == '.')
			end--;
		if (end > at + 1) {	/* the handle, moved to the front of the copy */
			n = (size_t)(end - at - 1);
			memmove(copy, at + 1, n);
			copy[n] = '\0';
			return copy;
		}
	}
	/* "Alice Doe, Bob" → "Alice Doe"; keep e-mail addresses whole; "Priya
	 * (SRE)" → "Priya" */
	n = strcspn(copy, ",;/&+(");
	copy[n] = '\0';
	if ((r = strstr(copy, " and ")) != NULL)
		*r = '\0';
	cl_str_trim(copy);
	if (*copy == '\0')
		return NULL;
	/* "the payments team" is the payments team ("the team" stays whole) */
	n = strlen(copy);
	if (strncasecmp(copy, "the ", 4) == 0 && strchr(copy + 4, ' ') != NULL && n > 5 &&
	    (strcasecmp(copy + n - 5, " team") == 0 || strcasecmp(copy + n - 6, " teams") == 0))
		memmove(copy, copy + 4, n - 3);
	return copy;
}

char *
cl_parse_owner(const char *raw)
{
	char *copy, *r;

	if (raw == NULL || (copy = cl_strdup(raw)) == NULL)
		return NULL;
	if ((r = owner_in(copy)) == NULL)
		free(copy);
	return r;
}

int
cl_parse_owner_several(const char *raw)
{
	const char *s, *at;
	int handles = 0, depth = 0, sep = 0;

	if (raw == NULL || cl_str_ieq(raw, "n/a") || one_team(raw))
		return 0;
	for (s = raw; (at = strchr(s, '@')) != NULL; s = at + 1)
		if (!(at > raw && handle_char((unsigned char)at[-1])) &&
		    handle_char((unsigned char)at[1]))
			handles++;
	if (handles >= 2)
		return 1;
	for (s = raw; *s; s++) {
		if (*s == '(' || *s == '<')
			depth++;
		else if ((*s == ')' || *s == '>') && depth > 0)
			depth--;
		else if (depth == 0 && (*s == ',' || *s == ';' || *s == '&' || *s == '+')) {
			/* "jroe, SRE": a person and their team, one owner */
			char low[64];
			size_t k = strspn(s + 1, " "), e = strcspn(s + 1 + k, ",;&+/()");
			if (!(e > 0 && e < sizeof low &&
			      team_like(vocab_key(low, sizeof low, s + 1 + k, e))))
				sep = 1;
		}
		else if (depth == 0 && *s == '/') {
			/* "@org/team" is one (team) handle */
			const char *h = s;
			while (h > raw && handle_char((unsigned char)h[-1]))
				h--;
			if (!(h > raw && h[-1] == '@'))
				sep = 1;
		} else if (depth == 0 && *s == ' ' && strncasecmp(s, " and ", 5) == 0)
			sep = 1;
	}
	return sep;
}

/* ---- extraction: what an item's text says ------------------------------------------- */

/* The fields found in one text (an item, a heading, a label). */
struct extract {
	struct cl_buf action;
	char *owner_raw, *due_raw, *ticket, *priority;	/* in doc's arena */
	int status;		/* ST_* */
	struct cl_pm_doc *doc;
	struct cl_buf *spare;	/* where its action buffer goes back to, or NULL */
};

/* An empty extract whose texts go to doc; its action buffer is *spare's
 * when there is one (spare may be NULL): one buffer serves a document's
 * texts one after another instead of a malloc and its growth each. */
static void
extract_init(struct extract *x, struct cl_pm_doc *doc, struct cl_buf *spare)
{
	memset(x, 0, sizeof *x);
	x->status = ST_NONE;
	x->doc = doc;
	x->spare = spare;
	if (spare && spare->data) {
		x->action = *spare;
		memset(spare, 0, sizeof *spare);
		x->action.len = 0;
		x->action.data[0] = '\0';
	}
}

static void
extract_release(struct extract *x)
{
	struct cl_pm_doc *doc = x->doc;
	struct cl_buf *spare = x->spare;

	if (spare && spare->data == NULL && x->action.data && !x->action.oom)
		*spare = x->action;
	else
		cl_buf_release(&x->action);
	memset(x, 0, sizeof *x);
	x->status = ST_NONE;
	x->doc = doc;
	x->spare = spare;
}

/* Sets *slot to a trimmed copy of s[0..n) unless already set. */
static void
take(struct extract *x, char **slot, const char *s, size_t n)
{
	size_t i;

	if (*slot != NULL)
		return;
	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	while (n > i && (s[n - 1] == ',' || s[n - 1] == ';' || s[n - 1] == '.' || s[n - 1] == ':')) {
		/* "Jane R.": an initial keeps its dot */
		if (s[n - 1] == '.' && n - i >= 3 && isupper((unsigned char)s[n - 2]) &&
		    s[n - 3] == ' ')
			break;
		n--;
	}
	if (n > i)
		*slot = doc_strndup(x->doc, s + i, n - i);
}

/* "OPS-123": a Jira key. */
static int
jira_key(const char *s, size_t n)
{
	size_t i = 0;

	if (n < 3 || !isupper((unsigned char)s[0]))
		return 0;
	while (i < n && (isupper((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
		i++;
	if (i < 2 || i >= n || s[i] != '-' || i + 1 >= n)
		return 0;
	for (i++; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A link that names a ticket: an issue, pull/merge request or Jira page. */
static int
href_is_ticket(const char *h)
{
	static const char *const parts[] = { "/issues/", "/pull/", "/pulls/", "/merge_requests/",
		"/browse/", "/tickets/", "/ticket/", "show_bug.cgi", "/issue/", "/bugs/",
		"/-/work_items/", NULL };
	const char *q0;
	size_t i;

	/* Phabricator tasks (".../T123456"), bugzil.la short links */
	if ((q0 = strstr(h, "phabricator")) != NULL && (q0 = strstr(q0, "/T")) != NULL &&
	    isdigit((unsigned char)q0[2]))
		return 1;
	if (strstr(h, "bugzil.la/") != NULL)
		return 1;
	for (i = 0; parts[i]; i++) {
		const char *q = strstr(h, parts[i]);
		if (q != NULL && (isdigit((unsigned char)q[strlen(parts[i])]) ||
		                  isupper((unsigned char)q[strlen(parts[i])]) ||
		                  strcmp(parts[i], "show_bug.cgi") == 0))
			return 1;
	}
	return 0;
}

/* "#123", "OPS-123", "GH-12", a URL. */
static int
ticket_text(const char *s, size_t n)
{
	size_t i;

	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	s += i;
	n -= i;
	if (n >= 2 && s[0] == '#') {
		for (i = 1; i < n; i++)
			if (!isdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	if (n > 8 && (strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0)) {
		char url[512];
		if (n >= sizeof url)
			return 0;
		memcpy(url, s, n);
		url[n] = '\0';
		return href_is_ticket(url);
	}
	return jira_key(s, n);
}

/* A link's text that only names the ticket (taken out of the action). */
static int
link_text_is_ticket(const char *s, size_t n, const char *href)
{
	char k[48];

	if (ticket_text(s, n) || (n == strlen(href) && memcmp(s, href, n) == 0))
		return 1;
	if (n >= sizeof k)
		return 0;
	vocab_key(k, sizeof k, s, n);
	return strcmp(k, "issue") == 0 || strcmp(k, "github issue") == 0 ||
	       strcmp(k, "gitlab issue") == 0 || strcmp(k, "ticket") == 0 ||
	       strcmp(k, "pr") == 0 || strcmp(k, "pull request") == 0 ||
	       strcmp(k, "merge request") == 0 || strcmp(k, "mr") == 0 ||
	       strcmp(k, "tracking issue") == 0 || strcmp(k, "jira") == 0 ||
	       strcmp(k, "bug") == 0 || strcmp(k, "link") == 0 || strcmp(k, "here") == 0 ||
	       strcmp(k, "tracking") == 0 || strcmp(k, "tracked here") == 0 ||
	       cl_str_starts_with(k, "issue ") || cl_str_starts_with(k, "pr ") ||
	       cl_str_starts_with(k, "ticket ") || cl_str_starts_with(k, "bug ");
}

/* memmem() for the rules' short needles in short texts: memchr to each
 * candidate first byte, then memcmp (glibc's memmem sets up a search that
 * costs more than these texts). */
static const char *
find_bytes(const char *s, size_t n, const char *needle, size_t k)
{
	const char *p = s, *end = s + n;

	if (k == 0)
		return s;
	while ((size_t)(end - p) >= k &&
	       (p = memchr(p, needle[0], (size_t)(end - p) - k + 1)) != NULL) {
		if (memcmp(p, needle, k) == 0)
			return p;
		p++;
	}
	return NULL;
}

/* The first " to "-like needle in s[0..n), or NULL. */
static const char *
strstr_n(const char *s, size_t n, const char *needle)
{
	return find_bytes(s, n, needle, strlen(needle));
}

/* What one piece of meta text is. */
enum meta { M_NONE, M_OWNER, M_DUE, M_STATUS, M_TICKET, M_PRIORITY };

/* Classifies one comma-separated part of a meta tail; val and vlen give
 * the value, st the status for M_STATUS. */
static enum meta
meta_part(const char *s, size_t n, const char **val, size_t *vlen, int *st)
{
	static const struct { const char *key; enum meta m; } keys[] = {
		{ "owner:", M_OWNER }, { "owners:", M_OWNER }, { "owner", M_OWNER },
		{ "assignee:", M_OWNER }, { "assigned to:", M_OWNER }, { "assigned to", M_OWNER },
		{ "assigned:", M_OWNER }, { "team:", M_OWNER },
		{ "who:", M_OWNER }, { "dri:", M_OWNER }, { "responsible:", M_OWNER },
		{ "poc:", M_OWNER }, { "point of contact:", M_OWNER }, { "champion:", M_OWNER },
		{ "accountable:", M_OWNER }, { "lead:", M_OWNER }, { "contact:", M_OWNER },
		{ "driver:", M_OWNER }, { "owned by", M_OWNER }, { "action owner:", M_OWNER },
		{ "due date:", M_DUE }, { "due by", M_DUE }, { "due:", M_DUE }, { "due", M_DUE },
		{ "by:", M_DUE }, { "by", M_DUE }, { "until", M_DUE }, { "before", M_DUE },
		{ "eta:", M_DUE }, { "target", M_DUE },
		{ "eta", M_DUE }, { "deadline:", M_DUE }, { "target:", M_DUE },
		{ "target date:", M_DUE }, { "when:", M_DUE },
		{ "status:", M_STATUS }, { "state:", M_STATUS },
		{ "ticket:", M_TICKET }, { "issue:", M_TICKET }, { "tracking:", M_TICKET },
		{ "jira:", M_TICKET }, { "bug:", M_TICKET }, { "see", M_TICKET },
		{ "pr:", M_TICKET }, { "mr:", M_TICKET }, { "pull request:", M_TICKET },
		{ "merge request:", M_TICKET }, { "tracking issue:", M_TICKET },
		{ "tracked in", M_TICKET }, { "tracked as", M_TICKET }, { "tracked by", M_TICKET },
		{ "priority:", M_PRIORITY }, { "prio:", M_PRIORITY },
		{ NULL, M_NONE }
	};
	static struct cl_letter_chain chain;
	_Static_assert(sizeof keys / sizeof keys[0] <= CL_LETTER_CHAIN_MAX + 1,
	               "a cl_letter_chain holds 128 keys");
	size_t i, k, c;

	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	s += i;
	n -= i;
	if (n == 0)
		return M_NONE;
	for (c = cl_letter_chain_first(&chain, keys, sizeof keys[0], sizeof keys / sizeof keys[0] - 1,
	                      (unsigned char)(s[0] | 0x20)); c != 0; c = cl_letter_chain_next(&chain, c)) {
		i = c - 1;
		if ((k = starts_word(s, n, keys[i].key)) == 0)
			continue;
		*val = s + k;
		*vlen = n - k;
		k = ltrim_off(*val, *vlen);
		*val += k;
		*vlen -= k;
		if (*vlen == 0)
			return M_NONE;
		switch (keys[i].m) {
		case M_DUE:
			/* "by"/"until"/"before"/"due"/"target" only with a date after
			 * them ("due Friday" is text); "Due:", "ETA:" take what follows */
			if ((keys[i].key[strlen(keys[i].key) - 1] != ':' || keys[i].key[0] == 'b') &&
			    strncmp(keys[i].key, "eta", 3) != 0)
				return date_like(*val, *vlen) ||
				       (keys[i].key[0] == 'd' && sounds_like_when(*val, *vlen))
				       ? M_DUE : M_NONE;
			return M_DUE;
		case M_OWNER:
			return keys[i].key[strlen(keys[i].key) - 1] == ':' || person_like(*val, *vlen)
			       ? M_OWNER : M_NONE;
		case M_STATUS:
			*st = status_word(*val, *vlen);
			if (*st == ST_NONE)
				*st = status_is_done(*val) ? ST_DONE : ST_OPEN;
			return M_STATUS;
		case M_TICKET:
			return keys[i].key[0] != 's' || ticket_text(*val, *vlen) ? M_TICKET : M_NONE;
		default:
			return keys[i].m;
		}
	}
	*val = s;
	*vlen = n;
	if ((*st = status_word(s, n)) != ST_NONE)
		return M_STATUS;
	/* "(Ines to follow up)": who does it ("(@x to follow up)" is a handle) */
	{
		static const char *const verbs[] = { "follow up", "follow-up", "own", "drive",
			"lead", "investigate", "check", "review", "confirm", "coordinate", "handle",
			"fix", "chase", "look into", "implement", "write", "update", NULL };
		const char *to = n < 64 ? strstr_n(s, n, " to ") : NULL;
		if (to != NULL && to > s && (isupper((unsigned char)s[0]) ||
		                             (unsigned char)s[0] >= 0x80) &&
		    person_like(s, (size_t)(to - s))) {
			size_t r0 = (size_t)(to - s) + 4;
			for (i = 0; verbs[i]; i++)
				if (starts_word(s + r0, n - r0, verbs[i])) {
					*vlen = (size_t)(to - s);
					return M_OWNER;
				}
		}
	}
	if (n >= 5 && (starts_word(s, n, "done") || starts_word(s, n, "completed") ||
	               starts_word(s, n, "closed") || starts_word(s, n, "fixed")) &&
	    date_like(s + strcspn(s, " ") + 1, n - strcspn(s, " ") - 1 < n ?
	              n - strcspn(s, " ") - 1 : 0)) {
		*st = ST_DONE;
		return M_STATUS;
	}
	if (date_like(s, n) || sounds_like_when(s, n))
		return M_DUE;
	if (ticket_text(s, n))
		return M_TICKET;
	if (n == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '0' && s[1] <= '4')
		return M_PRIORITY;
	if (person_like(s, n))
		return M_OWNER;
	return M_NONE;
}

/* Applies one classified part to x. */
static void
meta_apply(struct extract *x, enum meta m, const char *v, size_t n, int st)
{
	switch (m) {
	case M_OWNER: take(x, &x->owner_raw, v, n); break;
	case M_DUE: take(x, &x->due_raw, v, n); break;
	case M_STATUS: if (x->status == ST_NONE) x->status = st; break;
	case M_TICKET: take(x, &x->ticket, v, n); break;
	case M_PRIORITY: take(x, &x->priority, v, n); break;
	case M_NONE: break;
	}
}

/* What follows an arrow can be an owner: a handle, or two capitalised
 * words ("Ines Duarte"). */
static int
arrow_owner(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 1 && s[0] == '@')
		return 1;
	if (n == 0 || !(isupper((unsigned char)s[0]) || (unsigned char)s[0] >= 0x80))
		return 0;
	while (i < n && s[i] != ' ')
		i++;
	return i + 1 < n && (isupper((unsigned char)s[i + 1]) || (unsigned char)s[i + 1] >= 0x80);
}

/* sep_at() past its first byte. */
static size_t
sep_at_full(const char *s, size_t i, size_t n)
{
	if (i + 5 <= n && s[i] == ' ' && (unsigned char)s[i + 1] == 0xe2 &&
	    (unsigned char)s[i + 2] == 0x80 && ((unsigned char)s[i + 3] == 0x94 ||
	    (unsigned char)s[i + 3] == 0x93) && s[i + 4] == ' ')
		return 5;
	if (i + 4 <= n && s[i] == ' ' && s[i + 1] == '-' && s[i + 2] == '-' && s[i + 3] == ' ')
		return 4;
	/* " -> @x", " => Ines Duarte", " → Ines Duarte" (not "Foo -> Bar": a
	 * rename) */
	if (i + 4 <= n && s[i] == ' ' && (s[i + 1] == '-' || s[i + 1] == '=') && s[i + 2] == '>' &&
	    s[i + 3] == ' ' && arrow_owner(s + i + 4, n - i - 4))
		return 4;
	if (i + 5 <= n && s[i] == ' ' && (unsigned char)s[i + 1] == 0xe2 &&
	    (unsigned char)s[i + 2] == 0x86 && (unsigned char)s[i + 3] == 0x92 && s[i + 4] == ' ' &&
	    arrow_owner(s + i + 5, n - i - 5))
		return 5;
	if (i + 3 <= n && s[i] == ' ' && s[i + 1] == '-' && s[i + 2] == ' ')
		return 3;
	if (i + 3 <= n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
	    (unsigned char)s[i + 2] == 0x94)
		return 3;
	return 0;
}

/* Separators before an owner/due tail: " — ", " – ", " -- ", " - ", "—",
 * " -> ", " → ". Every one is at least 3 bytes and starts with ' ' then
 * 0xe2, '-' or '=', or with 0xe2 0x80: that is checked here, inline, as
 * the callers try every position. */
static inline size_t
sep_at(const char *s, size_t i, size_t n)
{
	unsigned char c, d;

	if (i + 3 > n)
		return 0;
	c = (unsigned char)s[i];
	d = (unsigned char)s[i + 1];
	if (c == ' ' ? d != 0xe2 && d != '-' && d != '=' : c != 0xe2 || d != 0x80)
		return 0;
	return sep_at_full(s, i, n);
}

/* s[0..n) is only a field name ("Owner", "ETA:") standing before its value
 * as its own part: "– Owner – Priya S.". */
static int
bare_key(const char *s, size_t n)
{
	static const char *const keys[] = { "owner", "owner:", "owners", "assignee", "eta",
		"eta:", "due", "due:", "dri", "dri:", "assignee:", NULL };
	size_t i, b;

	n = rtrim_len(s, n);
	b = ltrim_off(s, n);
	for (i = 0; keys[i]; i++)
		if (n - b == strlen(keys[i]) && strncasecmp(s + b, keys[i], n - b) == 0)
			return 1;
	return 0;
}

/* A part of a parenthesis that stays in the action beside meta parts: a
 * quantity or a caveat ("30 min", "2 days", "optional"). */
static int
kept_part(const char *s, size_t n)
{
	char low[32];
	size_t i;

	n = rtrim_len(s, n);
	i = ltrim_off(s, n);
	if (i < n && isdigit((unsigned char)s[i]))
		return 1;
	if (n - i == 0)
		return 0;
	/* "external audit", "due Friday": words, not a name */
	if (islower((unsigned char)s[i]) && memchr(s + i, ' ', n - i) != NULL &&
	    memchr(s + i, '@', n - i) == NULL)
		return 1;
	if (n - i >= sizeof low)
		return 0;
	vocab_key(low, sizeof low, s + i, n - i);
	return caveat_word(low);
}

/* s[0..n) is all meta ("@sam, due Apr 15", "DONE", "Alice Doe, 2024-06-01"):
 * applies it and returns 1; else changes nothing and returns 0. With rest,
 * quantities and caveats may stand beside the meta ("30 min, Marta"): they
 * are put in rest ("30 min"). */
static int
meta_group(struct extract *x, const char *s, size_t n, struct cl_buf *rest)
{
	/* the bytes the loop below acts on (brackets, separators' first bytes,
	 * '.', ',', ';'): any other byte changes nothing there */
	static const unsigned char acts[256] = { ['<'] = 1, ['('] = 1, ['>'] = 1, [')'] = 1,
		[' '] = 1, [0xe2] = 1, ['.'] = 1, [','] = 1, [';'] = 1 };
	struct { enum meta m; const char *v; size_t n; int st; } parts[8];
	size_t i, start = 0, np = 0, kept = 0;
	int depth = 0;

	if (n == 0 || n > META_MAX)
		return 0;
	for (i = 0; i <= n; i++) {
		size_t sk = 0;
		if (i < n && !acts[(unsigned char)s[i]])
			continue;
		if (i < n && (s[i] == '<' || s[i] == '('))
			depth++;
		else if (i < n && (s[i] == '>' || s[i] == ')') && depth > 0)
			depth--;
		if (i < n && depth == 0) {
			sk = sep_at(s, i, n);
			if (!sk && s[i] == '.' && i + 1 < n && s[i + 1] == ' ')
				sk = 1;
		}
		if (i == n || sk || (depth == 0 && (s[i] == ',' || s[i] == ';'))) {
			if (np == 8)
				return 0;
			if (rtrim_len(s + start, i - start) > ltrim_off(s + start, i - start) &&
			    !(i < n && bare_key(s + start, i - start))) {
				parts[np].m = meta_part(s + start, i - start, &parts[np].v, &parts[np].n,
				                        &parts[np].st);
				if (parts[np].m == M_NONE) {
					if (rest == NULL || !kept_part(s + start, i - start))
						return 0;
					parts[np].v = s + start;
					parts[np].n = i - start;
					kept++;
				}
				np++;
			}
			if (sk)
				i += sk - 1;
			start = i + 1;
		}
	}
	/* "(period, employer_id)": bare lower-case words are column names or
	 * terms, not a list of people (handles have an "@") */
	if (np >= 2) {
		for (i = 0; i < np && parts[i].m == M_OWNER && parts[i].n > 0 &&
		            islower((unsigned char)parts[i].v[0]) &&
		            !memchr(parts[i].v, '@', parts[i].n) &&
		            !team_like_n(parts[i].v, parts[i].n); i++)
			;
		if (i == np)
			return 0;
	}
	/* "Alice, Bob" is several owners, one part */
	if (np >= 2 && parts[0].m == M_OWNER && parts[1].m == M_OWNER) {
		const char *end = parts[np - 1].v + parts[np - 1].n;
		size_t k;
		for (k = 1; k < np && parts[k].m == M_OWNER; k++)
			end = parts[k].v + parts[k].n;
		parts[0].n = (size_t)(end - parts[0].v);
		memmove(&parts[1], &parts[k], (np - k) * sizeof parts[0]);
		np -= k - 1;
	}
	if (rest != NULL && (kept == 0 || kept == np))
		return 0;
	if (x->owner_raw != NULL) {
		for (i = 0; i < np && parts[i].m == M_OWNER; i++)
			;
		if (i == np)
			return 0;
	}
	for (i = 0; i < np; i++) {
		if (parts[i].m != M_NONE) {
			meta_apply(x, parts[i].m, parts[i].v, parts[i].n, parts[i].st);
			continue;
		}
		if (rest->len)
			cl_buf_add(rest, ", ", 2);
		cl_buf_add(rest, parts[i].v + ltrim_off(parts[i].v, parts[i].n),
		           rtrim_len(parts[i].v, parts[i].n) - ltrim_off(parts[i].v, parts[i].n));
	}
	return 1;
}

/* Removes w[a..b) from the working text. */
static void
cut(struct cl_buf *w, size_t a, size_t b)
{
	if (b > w->len)
		b = w->len;
	if (a >= b)
		return;
	memmove(w->data + a, w->data + b, w->len - b + 1);
	w->len -= b - a;
}

/* Tidies the action: empty brackets and doubled spaces out, no trailing
 * separator. */
static void
tidy(struct cl_buf *w)
{
	/* 0 the bytes copied as they are, 1 white space, 2 an opening bracket,
	 * 3 punctuation a space before is taken out (see the end), 4 NUL (the
	 * end, or a NUL byte in the text) */
	static const unsigned char kind[256] = { ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1,
		['('] = 2, ['['] = 2, ['.'] = 3, [','] = 3, [')'] = 3, [';'] = 3, ['\0'] = 4 };
	size_t i = 0, o = 0;
	char *d = w->data;
	int space = 1, before_punct = 0;

	if (d == NULL)
		return;
	d[w->len] = '\0';	/* a buffer has room for its NUL: the loop stops at it */
	for (;;) {
		size_t from = i;
		char c;
		unsigned k;
		if (o == i) {	/* nothing taken out yet: the run stays where it is */
			while ((k = kind[(unsigned char)(c = d[i])]) == 0)
				i++;
			o = i;
		} else {
			while ((k = kind[(unsigned char)(c = d[i])]) == 0)
				d[o++] = d[i++];
		}
		if (i != from)
			space = 0;
		if (k == 4) {
			if (i >= w->len)
				break;
			space = 0;
			d[o++] = d[i++];
			continue;
		}
		if (k == 3) {
			if (o > 0 && d[o - 1] == ' ')
				before_punct = 1;
			space = 0;
			d[o++] = c;
			i++;
			continue;
		}
		if (k == 1) {
			if (!space)
				d[o++] = ' ';
			space = 1;
			i++;
			continue;
		}
		/* "()", "( )", "[]" left by a taken-out link */
		if (o < w->len) {
			size_t j = i + 1;
			while (j < w->len && (d[j] == ' ' || d[j] == ',' || d[j] == ';'))
				j++;
			if (j < w->len && d[j] == (c == '(' ? ')' : ']')) {
				i = j + 1;
				continue;
			}
		}
		space = 0;
		d[o++] = c;
		i++;
	}
	w->len = o;
	for (;;) {
		while (w->len > 0 && d[w->len - 1] == ' ')
			w->len--;
		if (w->len > 0 && (d[w->len - 1] == ',' || d[w->len - 1] == ';' ||
		                   d[w->len - 1] == ':' || d[w->len - 1] == '-' ||
		                   d[w->len - 1] == '|')) {
			w->len--;
			continue;
		}
		/* one full stop, not "..." nor "e.g." nor the initial of "— Jane R." */
		if (w->len > 2 && d[w->len - 1] == '.' && d[w->len - 2] != '.' &&
		    !(w->len > 3 && d[w->len - 3] == '.') &&
		    !(w->len > 3 && isupper((unsigned char)d[w->len - 2]) && d[w->len - 3] == ' ')) {
			w->len--;
			continue;
		}
		if (w->len >= 3 && ((unsigned char)d[w->len - 3] == 0xe2 &&
		                    (unsigned char)d[w->len - 2] == 0x80 &&
		                    ((unsigned char)d[w->len - 1] == 0x94 ||
		                     (unsigned char)d[w->len - 1] == 0x93))) {
			w->len -= 3;
			continue;
		}
		break;
	}
	/* "…, tracked in" whose link was the ticket */
	for (i = 0; i < 2; i++) {
		static const char *const tails[] = { " tracked in", " see" };
		size_t k = strlen(tails[i]);
		if (w->len > k && tolower((unsigned char)d[w->len - 1]) == tails[i][k - 1] &&
		    strncasecmp(d + w->len - k, tails[i], k) == 0) {
			w->len -= k;
			while (w->len > 0 && (d[w->len - 1] == ',' || d[w->len - 1] == ' ' ||
			                      d[w->len - 1] == ';'))
				w->len--;
		}
	}
	/* a separator left first by a cut: "- Move…", "— Move…", ": Move…" */
	for (i = 0; i < w->len && (d[i] == '-' || d[i] == ':' ||
	                           ((unsigned char)d[i] == 0xe2 && i + 2 < w->len &&
	                            (unsigned char)d[i + 1] == 0x80 &&
	                            ((unsigned char)d[i + 2] == 0x94 ||
	                             (unsigned char)d[i + 2] == 0x93)));)
		i += d[i] == '-' || d[i] == ':' ? 1 : 3;
	if (i > 0 && i < w->len && d[i] == ' ') {
		memmove(d, d + i + 1, w->len - i - 1);
		w->len -= i + 1;
	}
	/* a space before punctuation left by a cut: "alert ." (nothing moves
	 * before the first) */
	d[w->len] = '\0';
	if (!before_punct)	/* no " ." was written: every pair left came from it */
		return;
	for (i = 0; i + 1 < w->len; i++)
		if (d[i] == ' ' && (d[i + 1] == '.' || d[i + 1] == ',' || d[i + 1] == ')' ||
		                    d[i + 1] == ';'))
			break;
	for (o = i; i < w->len; i++) {
		if (d[i] == ' ' && i + 1 < w->len && (d[i + 1] == '.' || d[i + 1] == ',' ||
		                                      d[i + 1] == ')' || d[i + 1] == ';'))
			continue;
		d[o++] = d[i];
	}
	w->len = o;
	d[o] = '\0';
}

/* Takes trailing "(…)" groups that are meta out of the working text. */
static void
take_parens(struct extract *x, struct cl_buf *w)
{
	int rounds;

	for (rounds = 0; rounds < 6; rounds++) {
		size_t n = rtrim_len(w->data, w->len), i;
		int depth = 0;

		char open, close;
		if (n < 3 || (w->data[n - 1] != ')' && w->data[n - 1] != ']'))
			return;
		close = w->data[n - 1];
		open = close == ')' ? '(' : '[';
		for (i = n; i-- > 0;) {
			if (w->data[i] == close)
				depth++;
			else if (w->data[i] == open && --depth == 0)
				break;
			if (n - i > META_MAX + 2)
				return;
		}
		if (depth != 0 || i == (size_t)-1)
			return;
		/* "— Bob (SRE)": Bob's team, read with him by the dash tail */
		if (close == ')' && n - i - 2 < 32 && x->owner_raw == NULL) {
			char low[32];
			size_t j;
			vocab_key(low, sizeof low, w->data + i + 1, n - i - 2);
			for (j = team_like(low) ? i : 0; j-- > 0;) {
				size_t b = sep_at(w->data, j, i) ? j + sep_at(w->data, j, i) : 0;
				/* "Owner: Ilse de Vries (Support)": the field reads it */
				if (!b && w->data[j] == ':' && j + 1 < i && w->data[j + 1] == ' ') {
					size_t ks = j;
					while (ks > 0 && is_letter((unsigned char)w->data[ks - 1]))
						ks--;
					if (meta_part(w->data + ks, i - ks, &(const char *){ NULL },
					              &(size_t){ 0 }, &(int){ 0 }) == M_OWNER)
						b = j + 2;
					else
						break;
				}
				if (b) {
					if (person_like(w->data + b, i - b))
						return;
					break;
				}
			}
		}
		if (!meta_group(x, w->data + i + 1, n - i - 2, NULL)) {
			/* "(30 min, Marta)": Marta owns it, "(30 min)" stays */
			struct cl_buf rest = CL_BUF_INIT;
			if (close == ')' && meta_group(x, w->data + i + 1, n - i - 2, &rest)) {
				cut(w, i + 1, n - 1);
				if (rest.len <= n - i - 2) {	/* never longer than what it replaces */
					memmove(w->data + i + 1 + rest.len, w->data + i + 1, w->len - i - 1 + 1);
					memcpy(w->data + i + 1, rest.data, rest.len);
					w->len += rest.len;
				}
			}
			cl_buf_release(&rest);
			return;
		}
		cut(w, i, n);
		w->len = rtrim_len(w->data, w->len);
		w->data[w->len] = '\0';
	}
}

/* One word after a final dash that stands where owners stand: a
 * placeholder ("— TBD", "— unassigned": kept, lint flags it) or a
 * pseudonym ("— 0xKestrelDev", "— satoshi42"); sets the owner. */
static int
dash_owner_word(struct extract *x, const char *s, size_t n, int placeholder_only)
{
	static const char *const placeholders[] = { "tbd", "tba", "tbc", "unassigned",
		"unowned", "nobody", NULL };
	size_t i, b, letters = 0, digits = 0, inner_upper = 0;
	char low[32];

	n = rtrim_len(s, n);
	b = ltrim_off(s, n);
	while (n > b && (s[n - 1] == '.' || s[n - 1] == ','))
		n--;
	if (n - b < 3 || n - b >= sizeof low)
		return 0;
	for (i = b; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!handle_char(c) || c == '.')
			return 0;
		letters += isalpha(c) != 0;
		digits += isdigit(c) != 0;
		inner_upper += i > b && isupper(c) && islower((unsigned char)s[i - 1]);
	}
	vocab_key(low, sizeof low, s + b, n - b);
	{	/* "node18", "python3": a technology and its version */
		char stem[32];
		size_t m = strlen(low);
		memcpy(stem, low, m + 1);
		while (m > 0 && (isdigit((unsigned char)stem[m - 1]) || stem[m - 1] == ' '))
			stem[--m] = '\0';
		if (m < strlen(low) && (tech_word(stem) || m < 3))
			return 0;
	}
	for (i = 0; placeholders[i]; i++)
		if (strcmp(low, placeholders[i]) == 0)
			break;
	/* "HTTP2", "IPv6", "v2.1": not people */
	if (placeholders[i] == NULL && (placeholder_only || n - b < 5 || letters < 3 || (digits == 0 && inner_upper == 0) || tech_word(low) ||
	     date_like(s + b, n - b) || ticket_text(s + b, n - b) ||
	     strspn(s + b, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n - b ||
	     (n - b < 8 && digits > 0 && inner_upper > 0)))
		return 0;
	take(x, &x->owner_raw, s + b, n - b);
	return 1;
}

/* Takes a " — @owner, due DATE" tail out: tried from the first separator
 * whose tail is short enough (one pass over the text, one check). */
static void
take_dash_tail(struct extract *x, struct cl_buf *w)
{
	size_t i, k, n = w->len, best = (size_t)-1, bestk = 0;

	for (i = n > META_MAX + 5 ? n - META_MAX - 5 : 0; i < n; i++)
		if ((k = sep_at(w->data, i, n)) != 0) {
			best = i;
			bestk = k;
			break;
		}
	while (best != (size_t)-1) {
		const char *t = w->data + best + bestk;
		size_t tn = n - best - bestk;
		/* "— TBD" is the owner slot, not a due date */
		if ((x->owner_raw == NULL && dash_owner_word(x, t, tn, 1)) ||
		    meta_group(x, t, tn, NULL) ||
		    (x->owner_raw == NULL && dash_owner_word(x, t, tn, 0))) {
			cut(w, best, n);
			return;
		}
		/* the next separator */
		for (i = best + 1, best = (size_t)-1; i < n; i++)
			if ((k = sep_at(w->data, i, n)) != 0) {
				best = i;
				bestk = k;
				break;
			}
	}
}

/* Finds "key" at a word start (ASCII case-insensitive) from w[from..); the
 * offset or (size_t)-1. Linear: one pass. */
static size_t
find_word(const char *s, size_t n, size_t from, const char *key)
{
	size_t k = strlen(key), i;

	for (i = from; i + k <= n; i++) {
		if (i > 0 && is_letter((unsigned char)s[i - 1]))
			continue;
		if (tolower((unsigned char)s[i]) == key[0] && starts_word(s + i, n - i, key))
			return i;
	}
	return (size_t)-1;
}

/* " Status:", " By:": the next "Key:" field of a one-line record ("Owner:
 * X Due: D Status: S"). */
static int
next_field(const char *s, size_t n)
{
	static const char *const keys[] = { "status:", "due:", "by:", "eta:", "target:",
		"ticket:", "priority:", "owner:", "deadline:", "due date:", "state:", "jira:",
		"tracking:", "pr:", "target date:", NULL };
	size_t k;

	for (k = 0; keys[k]; k++)
		if (starts_word(s, n, keys[k]))
			return 1;
	return 0;
}

/* s[i] is the dot of an initial or a title inside a name ("D. J. Mensah",
 * "Priyanka R.", "Dr. Amara Nwosu"), not the end of a sentence. */
static int
abbrev_dot(const char *s, size_t from, size_t i)
{
	static const char *const titles[] = { "Dr", "Mr", "Ms", "Mrs", "Prof", "St", NULL };
	size_t b = i, k;

	while (b > from && isalpha((unsigned char)s[b - 1]))
		b--;
	if (b > from && s[b - 1] != ' ')
		return 0;
	if (i - b == 1 && isupper((unsigned char)s[b]))
		return 1;
	for (k = 0; titles[k]; k++)
		if (i - b == strlen(titles[k]) && strncmp(s + b, titles[k], i - b) == 0)
			return 1;
	return 0;
}

/* The end of a value that runs to the next ',', ';', ')', '.' + space, line
 * break, "Key:" field or the end, at most max bytes; "(…)" opened inside the
 * value stays in it ("Ilse de Vries (Support)"). */
static size_t
value_end(const char *s, size_t n, size_t from, size_t max, int commas)
{
	size_t i, open_at = 0;
	int depth = 0;

	for (i = from; i < n && i - from < max; i++) {
		if (s[i] == '(') {
			if (depth++ == 0)
				open_at = i;
		} else if (s[i] == ')' && depth > 0)
			depth--;
		else if (s[i] == '.' && abbrev_dot(s, from, i))
			continue;
		else if ((s[i] == ',' && !commas) || s[i] == ';' || s[i] == ')' || s[i] == '|' ||
		         s[i] == '\n' || (s[i] == '.' && (i + 1 == n || s[i + 1] == ' ')))
			break;
		if (i > from && s[i] == ' ' && (starts_word(s + i + 1, n - i - 1, "due") ||
		                                starts_word(s + i + 1, n - i - 1, "by") ||
		                                starts_word(s + i + 1, n - i - 1, "owner") ||
		                                starts_word(s + i + 1, n - i - 1, "target") ||
		                                starts_word(s + i + 1, n - i - 1, "eta") ||
		                                next_field(s + i + 1, n - i - 1) ||
		                                sep_at(s, i, n)))
			break;
	}
	if (depth > 0)	/* "(" not closed in it: the value ends before it */
		i = open_at;
	return i;
}

/* Which two-letter word starts occur in s (a bit per pair of lower-case
 * ASCII letters): one pass, so a phrase that cannot occur is not searched. */
static void
word_starts(const char *s, size_t n, uint64_t bits[11])
{
	size_t i;
	int prev_letter = 0;	/* is_letter(s[i - 1]) */

	memset(bits, 0, 11 * sizeof bits[0]);
	for (i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned a = c | 0x20, b = (unsigned char)s[i + 1] | 0x20;
		if (!prev_letter && a - 'a' < 26 && b - 'a' < 26) {
			unsigned k = (a - 'a') * 26 + (b - 'a');
			bits[k / 64] |= (uint64_t)1 << (k % 64);
		}
		prev_letter = is_letter(c);
	}
}

static int
word_start_seen(const uint64_t bits[11], const char *key)
{
	unsigned k = (unsigned)(key[0] - 'a') * 26 + (unsigned)(key[1] - 'a');

	return (bits[k / 64] >> (k % 64)) & 1;
}

/* The word-start pairs of a vocabulary's entries (their first two
 * letters), worked out on first use: threads that race to it OR in the
 * same bits. */
struct vocab_pairs {
	atomic_int ready;
	_Atomic uint64_t bits[11];
};

/* Some entry of a vocabulary can start at a word start of a text with
 * word starts bits. The entries are strings at first, first + stride, …,
 * up to a NULL; each starts with two lower-case letters. */
static int
vocab_seen(struct vocab_pairs *v, const void *first, size_t stride, const uint64_t bits[11])
{
	uint64_t any = 0;
	size_t i;

	if (!atomic_load_explicit(&v->ready, memory_order_acquire)) {
		const char *const *w;
		for (i = 0; *(w = (const char *const *)((const char *)first + i * stride)); i++) {
			unsigned k = (unsigned)((*w)[0] - 'a') * 26 + (unsigned)((*w)[1] - 'a');
			atomic_fetch_or_explicit(&v->bits[k / 64], (uint64_t)1 << (k % 64),
			                         memory_order_relaxed);
		}
		atomic_store_explicit(&v->ready, 1, memory_order_release);
	}
	for (i = 0; i < 11; i++)
		any |= bits[i] & atomic_load_explicit(&v->bits[i], memory_order_relaxed);
	return any != 0;
}

/* A cell's text could say an owner, status, due date or ticket (most
 * action cells are plain words: they need no reading). */
static int
meta_hint(const char *s, size_t n, size_t nlinks)
{
	static const char *const words[] = { "by", "du", "un", "be", "no", "ow", "as", "et",
		"de", "st", "ti", "tr", "ji", "pr", "ta", "do", "wi", "in", "op", "pl", "on", NULL };
	uint64_t bits[11];
	size_t i;

	if (nlinks || memchr(s, '(', n) || memchr(s, '@', n) || memchr(s, ':', n) ||
	    memchr(s, '[', n) || memchr(s, '#', n) || memchr(s, '~', n) || memchr(s, 0xe2, n) ||
	    find_bytes(s, n, " - ", 3))
		return 1;
	static struct vocab_pairs pairs;
	word_starts(s, n, bits);
	if (vocab_seen(&pairs, &words[0], sizeof words[0], bits))
		return 1;
	for (i = 0; i + 1 < n; i++)	/* "OPS-12" */
		if (s[i] == '-' && isdigit((unsigned char)s[i + 1]))
			return 1;
	return 0;
}

/* "Owner: X", "assigned to X", "Due: X", "by DATE", "Status: X",
 * "Ticket: X" anywhere in the text: taken out. */
static void
take_phrases(struct extract *x, struct cl_buf *w)
{
	/* need: 1 a date after the key, 2 a person, 3 a person and a ',', ';' or
	 * '(' before the key ("…, owner Ines") */
	static const struct { const char *key; enum meta m; int need; } keys[] = {
		{ "owner:", M_OWNER, 0 }, { "owners:", M_OWNER, 0 }, { "assignee:", M_OWNER, 0 },
		{ "assigned to:", M_OWNER, 0 }, { "assigned to", M_OWNER, 0 },
		{ "owned by", M_OWNER, 0 }, { "dri:", M_OWNER, 0 }, { "assigned:", M_OWNER, 0 }, { "responsible:", M_OWNER, 0 }, { "poc:", M_OWNER, 0 },
		{ "point of contact:", M_OWNER, 0 }, { "champion:", M_OWNER, 0 },
		{ "accountable:", M_OWNER, 0 }, { "action owner:", M_OWNER, 0 },
		{ "who:", M_OWNER, 0 }, { "lead:", M_OWNER, 2 }, { "contact:", M_OWNER, 2 },
		{ "driver:", M_OWNER, 2 }, { "owner", M_OWNER, 3 },
		{ "due date:", M_DUE, 0 }, { "due:", M_DUE, 0 }, { "eta:", M_DUE, 0 },
		{ "deadline:", M_DUE, 0 }, { "target date:", M_DUE, 0 },
		{ "by:", M_DUE, 1 }, { "due by", M_DUE, 1 }, { "due", M_DUE, 1 }, { "by", M_DUE, 1 },
		{ "target", M_DUE, 1 },
		{ "until", M_DUE, 1 }, { "before", M_DUE, 1 }, { "no later than", M_DUE, 1 },
		{ "status:", M_STATUS, 0 }, { "ticket:", M_TICKET, 0 }, { "tracking:", M_TICKET, 0 },
		{ "jira:", M_TICKET, 0 }, { "priority:", M_PRIORITY, 0 },
		{ NULL, M_NONE, 0 }
	};
	static struct vocab_pairs pairs;
	uint64_t bits[11];
	size_t i;

	word_starts(w->data, w->len, bits);
	if (!vocab_seen(&pairs, &keys[0].key, sizeof keys[0], bits))
		return;	/* no key can start anywhere */
	for (i = 0; keys[i].key; i++) {
		size_t at = 0, k;
		if (!word_start_seen(bits, keys[i].key))
			continue;
		k = strlen(keys[i].key);
		while ((at = find_word(w->data, w->len, at, keys[i].key)) != (size_t)-1) {
			size_t v = at + k, end, vend;
			int st = ST_NONE;
			while (v < w->len && w->data[v] == ' ')
				v++;
			end = value_end(w->data, w->len, v, 80, keys[i].m == M_OWNER);
			vend = end;
			if (keys[i].need == 1) {
				/* the longest run of up to 4 words that is a date */
				size_t e = v, best = 0;
				int words = 0;
				while (e < end && words < 4) {
					while (e < end && w->data[e] != ' ')
						e++;
					words++;
					if (date_like(w->data + v, e - v))
						best = e;
					while (e < end && w->data[e] == ' ')
						e++;
				}
				if (best == 0 && keys[i].key[0] == 'd' && k == 3 &&
				    sounds_like_when(w->data + v, end - v))
					best = end;
				if (best == 0) {
					at = v > at ? v : at + 1;
					continue;
				}
				vend = best;
			}
			if (vend <= v) {
				at = v > at ? v : at + 1;
				continue;
			}
			if (keys[i].m == M_STATUS) {
				st = status_word(w->data + v, vend - v);
				if (st == ST_NONE)
					st = ST_OPEN;
			}
			if (keys[i].need == 3) {
				size_t b = at;
				while (b > 0 && w->data[b - 1] == ' ')
					b--;
				if (b == 0 || !strchr(",;(", w->data[b - 1]) || v >= w->len ||
				    w->data[v] == ':' || w->data[v] == '(') {
					at = v > at ? v : at + 1;
					continue;
				}
			}
			if (keys[i].m == M_OWNER && (keys[i].key[k - 1] != ':' || keys[i].need >= 2) &&
			    !person_like(w->data + v, vend - v)) {
				at = vend;
				continue;
			}
			meta_apply(x, keys[i].m, w->data + v, vend - v, st);
			/* the phrase and a "(" or "," before it */
			while (at > 0 && w->data[at - 1] == ' ')
				at--;
			/* "…logs. Owner: Femi. Due: …": the value's full stop goes too */
			if (at > 0 && w->data[at - 1] == '.' && vend < w->len && w->data[vend] == '.')
				vend++;
			if (at > 0 && w->data[at - 1] == '(' && vend < w->len && w->data[vend] == ')') {
				at--;
				vend++;
			} else if (at > 0 && w->data[at - 1] == ',') {
				at--;
			}
			cut(w, at, vend);
			break;
		}
	}
}

/* A trailing "@handle" (or "(@handle)") is the owner. */
static void
take_trailing_handle(struct extract *x, struct cl_buf *w)
{
	size_t n = rtrim_len(w->data, w->len), i = n;

	if (x->owner_raw != NULL)
		return;
	while (i > 0 && (handle_char((unsigned char)w->data[i - 1]) || w->data[i - 1] == '/'))
		i--;
	if (i == 0 || w->data[i - 1] != '@' || i == n)
		return;
	if (i >= 2 && w->data[i - 2] != ' ' && w->data[i - 2] != '(')
		return;
	/* "… @dvasquez @ybenali", "… @a, @b": several handles, the first owns */
	for (;;) {
		size_t j = i - 1, h;
		while (j > 0 && (w->data[j - 1] == ' ' || w->data[j - 1] == ','))
			j--;
		if (j >= 4 && strncasecmp(w->data + j - 4, " and", 4) == 0)
			j -= 4;
		else if (j > 0 && (w->data[j - 1] == '&' || w->data[j - 1] == '/'))
			j--;
		while (j > 0 && w->data[j - 1] == ' ')
			j--;
		for (h = j; h > 0 && handle_char((unsigned char)w->data[h - 1]); h--)
			;
		if (j == i - 1 || h == j || h == 0 || w->data[h - 1] != '@' ||
		    (h >= 2 && w->data[h - 2] != ' ' && w->data[h - 2] != '('))
			break;
		i = h;
	}
	/* "cc @x", "/cc @x", "thanks @x": told, not owning */
	if (i >= 4) {
		size_t b = i - 2;
		while (b > 0 && w->data[b - 1] != ' ' && w->data[b - 1] != '(')
			b--;
		if (starts_word(w->data + b, i - 2 - b, "cc") == i - 2 - b ||
		    starts_word(w->data + b, i - 2 - b, "cc:") == i - 2 - b ||
		    starts_word(w->data + b, i - 2 - b, "/cc") == i - 2 - b ||
		    starts_word(w->data + b, i - 2 - b, "thanks") == i - 2 - b)
			return;
	}
	take(x, &x->owner_raw, w->data + i - 1, n - i + 1);
	cut(w, i - 1, n);
	/* "Done during the incident by @x": "by" goes with its handle */
	n = rtrim_len(w->data, w->len);
	if (n >= 3 && strncasecmp(w->data + n - 3, " by", 3) == 0)
		cut(w, n - 3, w->len);
}

/* A leading "@handle:" (or "[@handle]") names the owner. */
static void
take_leading_handle(struct extract *x, struct cl_buf *w)
{
	size_t i = ltrim_off(w->data, w->len), a, e;
	int bracket = 0;
	char close = ']';

	if (x->owner_raw != NULL || i >= w->len)
		return;
	if (w->data[i] == '[' || w->data[i] == '{') {	/* "[Dana] …", "{@ana} …" */
		close = w->data[i] == '[' ? ']' : '}';
		bracket = 1;
		i++;
	}
	if (bracket && i < w->len && w->data[i] != '@') {
		/* "[Dana] Write…" (not "[Infra] …", a tag) */
		char low[32];
		for (e = i; e < w->len && e - i < 30 && w->data[e] != close; e++)
			;
		if (e < w->len && w->data[e] == close && e > i && e - i < sizeof low &&
		    e + 1 < w->len && w->data[e + 1] == ' ' &&
		    (isupper((unsigned char)w->data[i]) || (unsigned char)w->data[i] >= 0x80) &&
		    !team_like(vocab_key(low, sizeof low, w->data + i, e - i)) &&
		    person_like(w->data + i, e - i)) {
			take(x, &x->owner_raw, w->data + i, e - i);
			cut(w, 0, e + 2);
		}
		return;
	}
	if (i >= w->len || w->data[i] != '@')
		return;
	a = i;
	for (e = i + 1; e < w->len && (handle_char((unsigned char)w->data[e]) || w->data[e] == '/'); e++)
		;
	if (e == a + 1)
		return;
	/* "@ana, @bob: add…", "@ana and @bob: add…": several, the first owns */
	if (!bracket) {
		size_t m = e, j;
		for (;;) {
			j = m;
			while (j < w->len && (w->data[j] == ',' || w->data[j] == '&' ||
			                      w->data[j] == '/' || w->data[j] == ' '))
				j++;
			if (j + 4 < w->len && strncasecmp(w->data + j, "and @", 5) == 0)
				j += 4;
			if (j == m || j >= w->len || w->data[j] != '@')
				break;
			for (m = j + 1; m < w->len && handle_char((unsigned char)w->data[m]); m++)
				;
		}
		if (m > e && m < w->len && w->data[m] == ':') {
			take(x, &x->owner_raw, w->data + a, m - a);
			cut(w, 0, m + 1);
			return;
		}
	}
	if (bracket ? (e < w->len && w->data[e] == close) : (e < w->len && w->data[e] == ':')) {
		take(x, &x->owner_raw, w->data + a, e - a);
		cut(w, 0, e + 1);
	} else if (!bracket && e + 1 < w->len && w->data[e] == ' ' &&
	           islower((unsigned char)w->data[e + 1])) {
		/* "@ana to document…", "**@ana** ship…"; "@ana will add…" keeps its
		 * subject, as "Jane will add…" does */
		size_t k = e + 1;
		if (starts_word(w->data + k, w->len - k, "to"))
			k += 3;
		else if (starts_word(w->data + k, w->len - k, "will"))
			k = 0;
		take(x, &x->owner_raw, w->data + a, e - a);
		cut(w, 0, k);
	} else if (!bracket && e + 3 < w->len && w->data[e] == ' ') {
		/* "@ana — exclude…", "@ana – add…", "@ana - rotate…" */
		size_t k = e + 1, d = 0;
		if (w->data[k] == '-')
			d = 1;
		else if (w->len - k >= 3 && (memcmp(w->data + k, "\xe2\x80\x94", 3) == 0 ||
		                            memcmp(w->data + k, "\xe2\x80\x93", 3) == 0))
			d = 3;
		if (d > 0 && k + d + 1 < w->len && w->data[k + d] == ' ') {
			take(x, &x->owner_raw, w->data + a, e - a);
			cut(w, 0, k + d + 1);
		}
	}
}

/* A leading "2024-04-22 — Restore…" or "Mar 8: rotate…" is the due date. */
static void
take_leading_date(struct extract *x, struct cl_buf *w)
{
	size_t i = ltrim_off(w->data, w->len), e, k = 0;

	if (x->due_raw != NULL || i >= w->len || !(isdigit((unsigned char)w->data[i]) ||
	                                           isupper((unsigned char)w->data[i])))
		return;
	for (e = i; e < w->len && e - i < 24; e++)
		if ((k = sep_at(w->data, e, w->len)) != 0 ||
		    (w->data[e] == ':' && e + 1 < w->len && w->data[e + 1] == ' ' && (k = 2)))
			break;
	if (k == 0 || e - i < 5 || e - i >= 24 || !date_like(w->data + i, e - i))
		return;
	take(x, &x->due_raw, w->data + i, e - i);
	cut(w, 0, e + k);
}

/* A leading "#1407 Fetch…" or "org/repo#88 Alert…" is the ticket. */
static void
take_leading_ref(struct extract *x, struct cl_buf *w)
{
	size_t i = ltrim_off(w->data, w->len), e = i, h;

	if (x->ticket != NULL || i >= w->len)
		return;
	while (e < w->len && (isalnum((unsigned char)w->data[e]) || w->data[e] == '-' ||
	                      w->data[e] == '_' || w->data[e] == '.' || w->data[e] == '/'))
		e++;
	if (e >= w->len || w->data[e] != '#' || (e > i && !memchr(w->data + i, '/', e - i)))
		return;
	h = ++e;
	while (e < w->len && isdigit((unsigned char)w->data[e]))
		e++;
	if (e == h || e + 1 >= w->len || w->data[e] != ' ')
		return;
	take(x, &x->ticket, w->data + i, e - i);
	cut(w, 0, e + 1);
}

/* A leading "Alice: make…" or "Alice Doe: make…" names the owner; an area
 * label ("Database: add…", "Monitoring: alert…", "Note: …") does not. */
static void
take_leading_name(struct extract *x, struct cl_buf *w)
{
	static const char *const labels[] = { "note", "notes", "update", "fix", "context", "goal",
		"idea", "question", "result", "problem", "issue", "example", "scope", "why", "how",
		"what", "next", "then", "also", "later", "now", "today", "bonus", "alerts", "docs",
		"process", "tests", "config", "deploy", "deploys", "release", "build", "code", "ui",
		"ux", "server", "client", "logs", "metrics", "capacity", "performance", "reliability",
		"customers", "billing", "data", "response", "recovery", "owner", "due", "status",
		"priority", "ticket", "background", "summary", "impact", "cause", "people", "tools",
		"observability", "availability", "resilience", "safety", "quality", "training",
		"hiring", "policy", "governance", "review", "reviews", "postmortem", "incident",
		"playbook", "dashboards", "paging", "escalation", "vendor", "vendors", "contract",
		"app", "apps", "cache", "queue", "queues", "load", "traffic", "rollout", "rollback",
		"canary", "flags", "auth", "access", "permissions", "keys", "secrets",
		"certificates", "certs", "email", "mail", "notifications", "search", "payments",
		"checkout", "short term", "long term", "medium term", "immediate", "done", "goal",
		"risk", "risks", "tasks", "task", "step", "steps", "phase", "part", NULL };
	size_t i = ltrim_off(w->data, w->len), c, k, nw, dl = 0;
	char low[32];

	if (x->owner_raw != NULL || i >= w->len || !(isupper((unsigned char)w->data[i]) ||
	                                             (unsigned char)w->data[i] >= 0x80))
		return;
	/* "Alice: make…", "Alice — make…" */
	for (c = i; c < w->len && c - i < 30; c++)
		if ((w->data[c] == ':' && c + 1 < w->len && w->data[c + 1] == ' ' && (dl = 2)) ||
		    (dl = sep_at(w->data, c, w->len)) != 0)
			break;
	if (dl == 0 || c + dl >= w->len || !islower((unsigned char)w->data[c + dl]) ||
	    c - i >= sizeof low || c == i)
		return;
	vocab_key(low, sizeof low, w->data + i, c - i);
	for (k = 0; labels[k]; k++)
		if (strcmp(low, labels[k]) == 0)
			return;
	/* one or two words: "Alice", "Alice Doe", "Anne-Marie Duval" (the key
	 * spells the hyphen as a space: count the words as written); several
	 * such names: "Mei Chen / Lukas Brandt" */
	for (k = i, nw = 1; k < c; k++) {
		if (w->data[k] == '/' || w->data[k] == '&' || w->data[k] == ',' ||
		    (w->data[k] == ' ' && starts_word(w->data + k + 1, c - k - 1, "and"))) {
			if (w->data[k] == ' ')
				k += 4;
			while (k + 1 < c && w->data[k + 1] == ' ')
				k++;
			nw = 0;
			continue;
		}
		nw += w->data[k] == ' ' && k + 1 < c && (isalpha((unsigned char)w->data[k + 1]) ||
		                                         (unsigned char)w->data[k + 1] >= 0x80);
		if (nw > 2)
			return;
	}
	if (team_like(low) || !person_like(w->data + i, c - i))
		return;
	/* "Partners — notify…", "Alerts — page…": one plural word is a thing */
	if (dl != 2 && memchr(w->data + i, ' ', c - i) == NULL && c - i > 2 &&
	    w->data[c - 1] == 's')
		return;
	take(x, &x->owner_raw, w->data + i, c - i);
	cut(w, 0, c + dl);
}

/* Marker prefixes that make a paragraph or a list item an item anywhere. */
static size_t
marker_len(const char *s, size_t n)
{
	static const char *const markers[] = { "action item:", "action items:", "action point:",
		"action:", "ai:", "todo:", "to do:", "to-do:", "follow-up:", "follow up:", NULL };
	size_t i, k;

	if (n < 3 || !strchr("aAtTfF", s[0]))
		return 0;
	for (i = 0; markers[i]; i++)
		if ((k = starts_word(s, n, markers[i])) != 0 && rtrim_len(s, n) > k)
			return k;
	return 0;
}

/* Status words at the start: "Done:", "DONE -", "[DONE]", "✅". */
static void
take_status_prefix(struct extract *x, struct cl_buf *w)
{
	static const struct { const char *s; int st; } pre[] = {
		{ "\xe2\x9c\x85", ST_DONE }, { "\xe2\x98\x91\xef\xb8\x8f", ST_DONE },
		{ "\xe2\x98\x91", ST_DONE }, { "\xe2\x9c\x94\xef\xb8\x8f", ST_DONE },
		{ "\xe2\x9c\x94", ST_DONE }, { "\xe2\x9c\x93", ST_DONE }, { "[done]", ST_DONE },
		{ "[x]", ST_DONE }, { "done:", ST_DONE }, { "done -", ST_DONE },
		{ "done \xe2\x80\x94", ST_DONE }, { "fixed:", ST_DONE }, { "completed:", ST_DONE },
		{ ":white_check_mark:", ST_DONE }, { ":heavy_check_mark:", ST_DONE },
		{ ":ballot_box_with_check:", ST_DONE }, { "[wip]", ST_PROGRESS },
		{ "wip:", ST_PROGRESS }, { "in progress:", ST_PROGRESS },
		{ "[in progress]", ST_PROGRESS }, { "\xf0\x9f\x9a\xa7", ST_PROGRESS },
		{ ":construction:", ST_PROGRESS }, { "\xe2\x8f\xb3", ST_PROGRESS },
		{ ":hourglass_flowing_sand:", ST_PROGRESS }, { "[open]", ST_OPEN },
		{ "[todo]", ST_OPEN }, { "open:", ST_OPEN }, { "planned:", ST_PLANNED },
		{ NULL, ST_NONE }
	};
	size_t i, k, off = ltrim_off(w->data, w->len);

	if (off >= w->len || !strchr("\xe2\xf0:[dDfFcCwWiIoOpP", w->data[off]))
		return;
	for (i = 0; pre[i].s; i++) {
		if (tolower((unsigned char)w->data[off]) != tolower((unsigned char)pre[i].s[0]))
			continue;
		k = strlen(pre[i].s);
		if (w->len - off >= k && strncasecmp(w->data + off, pre[i].s, k) == 0) {
			if (x->status == ST_NONE)
				x->status = pre[i].st;
			cut(w, off, off + k);
			return;
		}
	}
}

/* Done marks anywhere in the text ("✅" after the action). */
static void
take_done_marks(struct extract *x, struct cl_buf *w)
{
	static const char *const marks[] = { "\xe2\x9c\x85", "\xe2\x98\x91\xef\xb8\x8f",
		"\xe2\x98\x91", "\xe2\x9c\x94\xef\xb8\x8f", "\xe2\x9c\x94", NULL };
	size_t i;

	if (memchr(w->data, 0xe2, w->len) == NULL)
		return;
	for (i = 0; marks[i]; i++) {
		const char *q = find_bytes(w->data, w->len, marks[i], strlen(marks[i]));
		if (q != NULL) {
			if (x->status == ST_NONE)
				x->status = ST_DONE;
			cut(w, (size_t)(q - w->data), (size_t)(q - w->data) + strlen(marks[i]));
		}
	}
}

/* Reads an item's text: tickets (links), status, owner, due; what remains
 * is the action. flags are the block's. */
static int
extract_text(struct extract *x, struct cl_pm_doc *doc, struct cl_buf *spare,
             const char *text, size_t len, const struct cl_block_link *links, size_t nlinks,
             int flags, int strip_marker)
{
	size_t pos = 0, i, k;

	extract_init(x, doc, spare);
	/* links: a ticket link is the ticket; a link whose text only names it
	 * ("#412", "GitHub issue") is taken out of the action */
	for (i = 0; i < nlinks; i++) {
		const struct cl_block_link *l = &links[i];
		if (l->start < pos || l->href == NULL)
			continue;
		if (href_is_ticket(l->href) ||
		    (*l->href && strncmp(l->href, "mailto:", 7) != 0 &&
		     (jira_key(text + l->start, l->end - l->start) ||
		      (l->end - l->start >= 2 && text[l->start] == '#' &&
		       ticket_text(text + l->start, l->end - l->start))))) {
			if (x->ticket == NULL)
				x->ticket = doc_strdup(x->doc, l->href);
			if (link_text_is_ticket(text + l->start, l->end - l->start, l->href)) {
				cl_buf_add(&x->action, text + pos, l->start - pos);
				pos = l->end;
			}
		}
	}
	cl_buf_add(&x->action, text + pos, len - pos);
	if (x->action.data == NULL)
		cl_buf_putc(&x->action, ' ');
	if (x->action.oom)
		return CL_ENOMEM;
	if (strip_marker && (k = marker_len(x->action.data + ltrim_off(x->action.data,
	                                                             x->action.len),
	                                    x->action.len)) != 0)
		cut(&x->action, 0, ltrim_off(x->action.data, x->action.len) + k);
	if (flags & CL_BLOCK_ALL_STRUCK)
		x->status = ST_DONE;
	else if (flags & CL_BLOCK_STRONG_DONE)
		x->status = ST_DONE;
	else if (flags & CL_BLOCK_STRONG_TODO)
		x->status = ST_OPEN;
	take_status_prefix(x, &x->action);
	take_leading_date(x, &x->action);
	take_leading_handle(x, &x->action);
	take_leading_name(x, &x->action);
	take_leading_ref(x, &x->action);
	take_done_marks(x, &x->action);
	tidy(&x->action);
	k = x->action.len;
	take_parens(x, &x->action);
	take_dash_tail(x, &x->action);
	if (x->action.len != k) {
		tidy(&x->action);
		take_parens(x, &x->action);
	}
	k = x->action.len;
	take_phrases(x, &x->action);
	if (x->action.len != k) {
		tidy(&x->action);
		take_parens(x, &x->action);
	}
	k = x->action.len;
	take_trailing_handle(x, &x->action);
	if (x->action.len != k)
		tidy(&x->action);
	/* a bare Jira key or "#123" still in the text names the ticket (a key
	 * has a '-', a number a '#': without either there is none) */
	if (x->ticket == NULL && x->action.len > 0 &&
	    (memchr(x->action.data, '-', x->action.len) != NULL ||
	     memchr(x->action.data, '#', x->action.len) != NULL)) {
		const char *s = x->action.data;
		size_t n = x->action.len, j;
		for (j = 0; j < n; j++) {
			size_t e;
			if (j > 0 && (is_letter((unsigned char)s[j - 1]) || s[j - 1] == '-'))
				continue;
			if (!(isupper((unsigned char)s[j]) || (s[j] == '#' && j + 1 < n &&
			                                       isdigit((unsigned char)s[j + 1]))))
				continue;
			for (e = j + 1; e < n && (isalnum((unsigned char)s[e]) || s[e] == '-'); e++)
				;
			if ((s[j] == '#' || jira_key(s + j, e - j)) && ticket_text(s + j, e - j) &&
			    (e == n || !is_letter((unsigned char)s[e]))) {
				x->ticket = doc_strndup(x->doc, s + j, e - j);
				break;
			}
			j = e;
		}
	}
	return x->action.oom ? CL_ENOMEM : 0;
}

/* ---- metadata ------------------------------------------------------------------------ */

static int
set_str(struct cl_pm_doc *d, char **slot, const char *v)
{
	char *c;

	if (v == NULL)
		return 0;
	if ((c = doc_strdup(d, v)) == NULL)
		return CL_ENOMEM;
	cl_str_trim(c);
	*slot = *c ? c : NULL;
	return 0;
}

/* Finds a date in free text: an ISO date anywhere, else the whole text. */
static int
find_date(const char *s, int ref, int *out)
{
	char buf[64];
	size_t n = strlen(s), i;

	for (i = 0; i + 10 <= n; i++) {
		const char *q = s + i;
		if (isdigit((unsigned char)q[0]) && q[4] == '-' && q[7] == '-' &&
		    (i == 0 || !isdigit((unsigned char)q[-1]))) {
			memcpy(buf, q, 10);
			buf[10] = '\0';
			if (cl_date_parse_iso(buf, out) == 0)
				return 0;
		}
	}
	if (n >= sizeof buf)
		return CL_EDATA;
	memcpy(buf, s, n + 1);
	buf[strcspn(buf, "(")] = '\0';
	cl_str_trim(buf);
	return cl_date_parse(buf, ref, out);
}

/* ---- the rules ----------------------------------------------------------------------- */

enum hclass { H_PLAIN, H_ACTION, H_EXCLUDED };

/* One level of the heading stack. */
struct hstate {
	int level;		/* 1..6 headings, 7 label paragraphs */
	int block;
	int action;		/* in an action section */
	int section;		/* doc->sections index, -1 */
	int status;		/* ST_* handed down */
	char *due, *ticket, *owner;	/* handed down (in the document's arena) */
	long item;		/* a numbered sub-heading that is an item: its index, else -1 */
};

/* What a heading or a group label hands to the items under it. */
struct ctx {
	int status;
	const char *due, *ticket;
	const char *owner;	/* "### Database (owner: @ana)", "Owners: @ana" */
};

struct rules {
	const struct cl_blocks *b;
	struct cl_pm_doc *doc;
	struct cl_error *err;
	const struct cl_parse_opts *opts;
	int failed;		/* 0, or the CL_E* code the first failure decided */
	int *first_child, *next_sibling;
	unsigned char *has_list, *is_label, *hclass;
	struct hstate hs[8];
	int nh;
	int any_action;		/* the document has an action heading */
	int expect_date;
	int title_from_meta;
	long last_prose;	/* index of the last item read from a paragraph, -1 */
	char **inherited;	/* per item: the owner its section hands down */
	size_t ninherited;
	int last_prose_heading;
	struct cl_buf spare;	/* the action buffer extracts take turns with */
};

static int
rfail(struct rules *r, int code, const char *msg)
{
	if (!r->failed) {
		cl_error_set(r->err, code, "%s", msg);
		r->failed = code;
	}
	return -1;
}

/* Classifies a heading's text. */
static enum hclass
heading_class(const struct rules *r, const char *text, size_t len)
{
	uint64_t bits[11];
	static const char *const action[] = { "action item", "action point", "action plan",
		"actions", "follow up", "followup", "follow ups", "remediation",
		"remediations", "remedial", "corrective", "preventive", "preventative",
		"prevention", "next step", "improvement", "what we will do", "what we re doing",
		"what we are doing", "what we ll do", "what we re changing", "what we are changing",
		"what we will change", "todo", "to do", "to dos", "todos", "work items",
		"open items", "tasks", "action register", "future work", "repair item", "actionable",
		"recommendation", "prevent", "going forward", "next action", "follow on",
		"what s next", "what's next", "what we re going to do", "what we are going to do",
		"what we're doing", "what we're changing", "what we'll do", "what we'll change",
		"what we're going to do", NULL };
	static const char *const excluded[] = { "went well", "went wrong", "lessons learned",
		"lesson learned", "lessons", "timeline", "impact", "root cause", "summary",
		"background", "detection", "what happened", "contributing factor", "trigger",
		"where we got lucky", "glossary", "appendix", "supporting information",
		"resolution", "symptoms", "description", "overview", NULL };
	static struct vocab_pairs action_pairs, excluded_pairs;
	char k[256], *s;
	size_t i;

	vocab_key(k, sizeof k, text, len < 240 ? len : 240);
	/* "5. Action Items", "IV. Follow-ups", "a) Actions" */
	s = k;
	while (*s && (isdigit((unsigned char)*s) || *s == ' '))
		s++;
	if (s == k && (*s == 'i' || *s == 'v' || *s == 'x') && (strncmp(s, "i ", 2) == 0 || strncmp(s, "ii ", 3) == 0 ||
	               strncmp(s, "iii ", 4) == 0 || strncmp(s, "iv ", 3) == 0 ||
	               strncmp(s, "v ", 2) == 0 || strncmp(s, "vi ", 3) == 0 ||
	               strncmp(s, "vii ", 4) == 0 || strncmp(s, "viii ", 5) == 0 ||
	               strncmp(s, "ix ", 3) == 0 || strncmp(s, "x ", 2) == 0))
		s += strcspn(s, " ") + 1;
	if (strcmp(s, "action") == 0)
		return H_ACTION;
	/* "What you need to do", "What can you do": instructions to readers */
	word_starts(s, strlen(s), bits);
	if (word_start_seen(bits, "yo") && (has_phrase(s, "you") || has_phrase(s, "your")))
		return H_PLAIN;
	if (vocab_seen(&action_pairs, &action[0], sizeof action[0], bits))
		for (i = 0; action[i]; i++)
			if (word_start_seen(bits, action[i]))
			if (has_phrase(s, action[i]))
				goto action_words;
	if (word_start_seen(bits, "mi") && has_phrase(s, "mitigation") &&
	    (has_phrase(s, "future") || has_phrase(s, "planned") ||
	     has_phrase(s, "long term") || has_phrase(s, "prevent")))
		return H_ACTION;
	if (r->opts && r->opts->headings) {
		const char *h = r->opts->headings;
		while (*h) {
			size_t n = strcspn(h, ",");
			char want[128];
			vocab_key(want, sizeof want, h, n < 120 ? n : 120);
			if (*want && has_phrase(s, want))
				return H_ACTION;
			h += n;
			if (*h == ',')
				h++;
		}
	}
	if (vocab_seen(&excluded_pairs, &excluded[0], sizeof excluded[0], bits))
		for (i = 0; excluded[i]; i++)
			if (word_start_seen(bits, excluded[i]))
			if (has_phrase(s, excluded[i]))
				return H_EXCLUDED;
	return H_PLAIN;
action_words:
	/* "What went wrong with our actions" stays excluded; "Lessons learned and
	 * action items" is an action section */
	if (word_start_seen(bits, "we") &&
	    (has_phrase(s, "went well") || has_phrase(s, "went wrong")))
		return H_EXCLUDED;
	/* "Actions taken" during the incident are not follow-ups */
	if ((word_start_seen(bits, "ac") &&
	     (has_phrase(s, "actions taken") || has_phrase(s, "action taken"))) ||
	    (word_start_seen(bits, "im") && has_phrase(s, "immediate response")))
		return H_EXCLUDED;
	return H_ACTION;
}

/* A paragraph that acts as a heading: "**Action items**", "Follow-ups:",
 * "**Short term:**", "Done:". */
static int
para_is_label(const struct rules *r, const struct cl_block *bl)
{
	size_t n = rtrim_len(bl->text, bl->len);
	int colon = n > 0 && bl->text[n - 1] == ':';
	enum hclass c;

	if (n == 0 || n > LABEL_MAX || marker_len(bl->text, n))
		return 0;
	if (!(bl->flags & CL_BLOCK_ALL_STRONG) && !colon)
		return 0;
	if ((bl->flags & CL_BLOCK_ALL_STRONG) && colon)
		return 1;
	c = heading_class(r, bl->text, n);
	if (c != H_PLAIN)
		return c == H_ACTION || (bl->flags & CL_BLOCK_ALL_STRONG) || colon;
	return colon && status_word(bl->text, n) != ST_NONE;
}

/* s starts with a verb someone is "to" do in "Kofi to add…". */
static int
owner_verb(const char *s, size_t n)
{
	static const char *const verbs[] = { "add", "investigate", "write", "review", "document",
		"update", "check", "fix", "create", "rotate", "look", "follow", "own", "drive",
		"lead", "make", "confirm", "coordinate", "draft", "prepare", "send", "schedule",
		"run", "test", "audit", "implement", "build", "remove", "reach", "contact", "talk",
		"ask", "email", "share", "publish", "file", "open", "track", "monitor", "explore",
		"evaluate", "assess", "define", "design", "propose", "clean", "verify", "validate",
		"configure", "enable", "disable", "deploy", "rewrite", "refactor", "tune", "page",
		"notify", "inform", "communicate", "organise", "organize", "plan", "estimate",
		"pair", "replace", "upgrade", "patch", "backport", "present", "summarise",
		"summarize", "announce", "set", "move", "migrate", "raise", "reduce", "alert",
		"research", "find", "identify", "work", "sync", "merge", "ship", "release",
		"rehearse", "train", "brief", "escalate", "analyse", "analyze", "measure", "get",
		"decide", "finish", "complete", "restore", "rebuild", "retire", "delete", "archive",
		NULL };
	size_t i;

	for (i = 0; verbs[i]; i++)
		if (starts_word(s, n, verbs[i]) && islower((unsigned char)s[0]))
			return 1;
	return 0;
}

/* The first word of s[0..n) is an imperative that opens an item ("Ask
 * Priya to…", "Switch to…"), not a name. */
static int
imperative_word(const char *s, size_t n)
{
	static const char *const words[] = { "ask", "tell", "get", "have", "let", "help",
		"remind", "invite", "move", "switch", "migrate", "upgrade", "return", "default",
		"add", "set", "point", "change", "convert", "send", "push", "bump", "pin", "roll",
		"revert", "route", "redirect", "limit", "reduce", "increase", "raise", "lower",
		"extend", "expand", "restrict", "grant", "assign", "escalate", "forward", "link",
		"map", "rename", "copy", "backport", "apply", "promote", "publish", "post", "write",
		"go", "talk", "reach", "reply", "respond", "subscribe", "listen", "contribute",
		"transfer", "port", "hand", "give", "explain", "show", "propose", "report", "submit",
		"refer", "prefer", "open", "contact", "connect", "fix", "update", "need", "try",
		"plan", "start", "begin", "continue", "want", "decide", "agree", "remember", "make",
		"use", "allow", "enable", "require", "force", "encourage", "teach", "train", "fall",
		"commit", "stick", "adhere", "adapt", "attach", "expose", "pass", "keep", "leave",
		"hold", "wait", "look", "come", "turn", "shift", "scale", "stop", NULL };
	size_t i, w = 0;

	while (w < n && s[w] != ' ')
		w++;
	for (i = 0; words[i]; i++)
		if (strlen(words[i]) == w && strncasecmp(s, words[i], w) == 0)
			return 1;
	return 0;
}

/* The person a prose item names as its subject: "Laura Hughes will…" at
 * the start, or "The service owner, Laura Hughes, will…": two or three
 * capitalised words. Returns the name's length (0: none), *off its start. */
static size_t
prose_subject(const char *s, size_t n, size_t *off, int one_name, int *to_form)
{
	static const char *const not_first[] = { "The", "We", "Our", "This", "These", "Those",
		"It", "All", "Each", "Every", "Any", "Some", "Customers", "Users", "Engineers",
		"Teams", "They", "He", "She", "Someone", "Somebody", "Nobody", "Everyone",
		"Everybody", "Everything", "Nothing", "Traffic", "Nothing", "There", "That", "Then",
		"Now", "Finally", "Also", "Next", "Later", "Soon", NULL };
	size_t i, at;

	*to_form = 0;
	/* "The Networks team will add…": a team as the subject */
	if (starts_word(s, n, "the") && n > 4 && (isupper((unsigned char)s[4]) ||
	                                          (unsigned char)s[4] >= 0x80)) {
		size_t e = 4, w;
		for (w = 0; w < 3 && e < n; w++) {
			size_t b = e;
			while (e < n && s[e] != ' ' && s[e] != ',')
				e++;
			if ((starts_word(s + b, e - b, "team") == e - b ||
			     starts_word(s + b, e - b, "squad") == e - b) && w > 0 && e + 1 < n &&
			    s[e] == ' ' && (starts_word(s + e + 1, n - e - 1, "will") ||
			                    starts_word(s + e + 1, n - e - 1, "is going to") ||
			                    starts_word(s + e + 1, n - e - 1, "has agreed to"))) {
				*off = 0;
				return e;
			}
			if (e >= n || s[e] != ' ')
				break;
			e++;
		}
	}
	for (at = 0; at < n; at++) {
		size_t e = at, words = 0, k;
		int appos = at > 1 && s[at - 1] == ' ' && s[at - 2] == ',';
		if (at > 0 && !appos)
			continue;
		for (k = 0; not_first[k]; k++)
			if (starts_word(s + at, n - at, not_first[k]) && isupper((unsigned char)s[at]))
				break;
		if (not_first[k])
			continue;
		while (words < 3 && e < n && (isupper((unsigned char)s[e]) ||
		                              (unsigned char)s[e] >= 0x80)) {
			while (e < n && s[e] != ' ' && s[e] != ',')
				e++;
			words++;
			if (e + 1 < n && s[e] == ' ' && (isupper((unsigned char)s[e + 1]) ||
			                                 (unsigned char)s[e + 1] >= 0x80))
				e++;
			else if (e + 6 < n && strncmp(s + e, " and ", 5) == 0 &&
			         isupper((unsigned char)s[e + 5]))
				e += 5;	/* "Alice and Bob will…": several (lint says so) */
			else
				break;
		}
		/* a bullet may start with one first name: "Jane will add…" (not
		 * "Alerts will…") */
		if (words < 2 && !(one_name && at == 0 && words == 1 && e - at >= 2 && e - at <= 12 &&
		                   (!(s[e - 1] == 's' && !strchr("aiou", s[e - 2])) ||
		                    team_like_n(s + at, e - at))))	/* "Ops to rotate…" */
			continue;
		i = e;
		/* "The owner, Laura Hughes, will…"; "Finally, Amaru Quispe will…" */
		if (appos && (i >= n || s[i] != ',') && memchr(s, ' ', at - 2) != NULL)
			continue;
		if (appos && i < n && s[i] == ',')
			i++;
		{
			/* "… will", "… has agreed to", "… is going to" */
			static const char *const verbs[] = { "will", "has agreed to", "agreed to",
				"is going to", "has offered to", "volunteered to", "to", NULL };
			size_t t = i + ltrim_off(s + i, n - i);
			for (k = 0; verbs[k]; k++)
				if (starts_word(s + t, n - t, verbs[k]))
					break;
			if (verbs[k] == NULL || (k > 0 && words == 1 && verbs[k + 1] != NULL))
				continue;
			/* "Kofi to add an alert…" opens a bullet (not "Migrate to managed
			 * Redis", "Ask Priya to review…") */
			if (verbs[k + 1] == NULL) {
				size_t vb = t + 3;
				if (at != 0 || appos || vb >= n || !owner_verb(s + vb, n - vb) ||
				    imperative_word(s + at, e - at))
					continue;
				*to_form = 1;
			}
		}
		/* "Rollout will be paused": a thing, not a person */
		if (words == 1 && starts_word(s + i + ltrim_off(s + i, n - i) + 4,
		                              n - i - ltrim_off(s + i, n - i) - 4, " be"))
			continue;
		if (person_like(s + at, e - at)) {
			*off = at;
			return e - at;
		}
	}
	return 0;
}

static int placeholder(const char *s, size_t n);

/* Notes the owner an item's section hands down (used when the item names
 * none itself once its details are read); 0 or -1 (out of memory). */
static int
inherit_owner(struct rules *r, long idx, const char *owner)
{
	if ((size_t)idx >= r->ninherited) {
		size_t cap = ((size_t)idx + 1) * 2, i;
		char **v = cl_realloc(r->inherited, cap * sizeof *v);
		if (v == NULL)
			return rfail(r, CL_ENOMEM, "out of memory");
		for (i = r->ninherited; i < cap; i++)
			v[i] = NULL;
		r->inherited = v;
		r->ninherited = cap;
	}
	if ((r->inherited[idx] = doc_strdup(r->doc, owner)) == NULL)
		return rfail(r, CL_ENOMEM, "out of memory");
	return 0;
}

/* Takes back the item item_new added last (its action turned out blank). */
static void
item_drop(struct rules *r, long idx)
{
	struct cl_pm_doc *d = r->doc;
	int i;

	if ((size_t)idx < r->ninherited)
		r->inherited[idx] = NULL;
	for (i = 0; i < r->nh; i++)
		if (r->hs[i].section >= 0)
			d->sections[r->hs[i].section].nitems--;
	d->nitems--;
}

/* Adds an item; returns its index or -1. */
static long
item_new(struct rules *r, int line)
{
	struct cl_pm_doc *d = r->doc;
	struct cl_pm_item *v;

	if (r->failed)
		return -1;
	if (d->nitems >= CL_PARSE_MAX_ITEMS) {
		char msg[128];
		snprintf(msg, sizeof msg, "line %d: more than %d action items in one document",
		         line, CL_PARSE_MAX_ITEMS);
		rfail(r, CL_EDATA, msg);
		return -1;
	}
	if (d->items == NULL || (d->nitems >= 8 && (d->nitems & (d->nitems - 1)) == 0)) {
		/* room for 8, then it doubles at 8, 16, 32, ... */
		size_t cap = d->nitems ? d->nitems * 2 : 8;
		if ((v = cl_realloc(d->items, cap * sizeof *v)) == NULL) {
			rfail(r, CL_ENOMEM, "out of memory");
			return -1;
		}
		d->items = v;
	}
	v = &d->items[d->nitems];
	memset(v, 0, sizeof *v);
	v->line = line;
	v->due = CL_NO_DATE;
	/* counts for the sections it stands in */
	{
		int i;
		for (i = 0; i < r->nh; i++)
			if (r->hs[i].section >= 0)
				d->sections[r->hs[i].section].nitems++;
	}
	return (long)d->nitems++;
}

/* Fills an item from extracted fields and what its heading hands down;
 * returns idx, or -1 when the action is blank once trimmed (only spaces
 * such as U+00A0 the block rules do not see) and the item is dropped. */
static long
item_fill(struct rules *r, long idx, struct extract *x, int explicit_status,
          const struct ctx *c)
{
	struct cl_pm_item *it = &r->doc->items[idx];
	int st = explicit_status != ST_NONE ? explicit_status : x->status;

	if (st == ST_NONE && c)
		st = c->status;
	it->done = st == ST_DONE;
	if (x->status != ST_NONE || explicit_status != ST_NONE)
		set_str(r->doc, &it->status, status_name(st));
	else if (c && c->status != ST_NONE)
		set_str(r->doc, &it->status, status_name(c->status));
	set_str(r->doc, &it->action, cl_buf_str(&x->action));
	it->owner_raw = x->owner_raw;
	it->due_raw = x->due_raw;
	it->ticket = x->ticket;
	it->priority = x->priority;
	x->owner_raw = x->due_raw = x->ticket = x->priority = NULL;
	if (c) {
		if (it->due_raw == NULL && c->due)
			set_str(r->doc, &it->due_raw, c->due);
		if (it->ticket == NULL && c->ticket)
			set_str(r->doc, &it->ticket, c->ticket);
	}
	if (it->action == NULL) {
		item_drop(r, idx);
		return -1;
	}
	if (c && c->owner && inherit_owner(r, idx, c->owner) != 0)
		return -1;
	return idx;
}

/* "1. Improve alerting", "2) Rehearse the failover": the length of the
 * number in front of a sub-heading that names one action, else 0. */
static size_t
heading_number(const char *s, size_t n)
{
	size_t i = 0, k, words = 0;

	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	if (i == 0 || i > 3 || i + 2 >= n || (s[i] != '.' && s[i] != ')') || s[i + 1] != ' ')
		return 0;
	for (k = i + 2; k < n && words == 0; k++)
		words += s[k] == ' ';
	return words >= 1 ? i + 2 : 0;
}

/* An item from a block's text; returns its index or -1 (no item: empty). */
static long
item_from_block(struct rules *r, int bi, const struct ctx *c)
{
	const struct cl_block *bl = &r->b->v[bi];
	struct extract x;
	int explicit = ST_NONE;
	long idx;

	if (extract_text(&x, r->doc, &r->spare, bl->text, bl->len, bl->links, bl->nlinks,
	                 bl->flags, 1) != 0) {
		extract_release(&x);
		rfail(r, CL_ENOMEM, "out of memory");
		return -1;
	}
	if (bl->kind == CL_BLOCK_HEADING && x.action.len)
		cut(&x.action, 0, heading_number(x.action.data, x.action.len));
	if (x.action.len == 0 && x.ticket != NULL && bl->nlinks) {
		/* "- [ ] #123": the ticket is the item */
		const struct cl_block_link *l = &bl->links[0];
		cl_buf_add(&x.action, bl->text + l->start, l->end - l->start);
	}
	if (x.action.len == 0 || (x.action.len <= 4 && (cl_str_ieq(x.action.data, "none") ||
	                                                cl_str_ieq(x.action.data, "n/a") ||
	                                                cl_str_ieq(x.action.data, "tbd"))) ||
	    /* "Action item: none for now; …" */
	    (marker_len(bl->text + ltrim_off(bl->text, bl->len), bl->len) &&
	     placeholder(x.action.data, x.action.len))) {
		extract_release(&x);
		return -1;
	}
	if (bl->flags & CL_BLOCK_TASK)
		explicit = (bl->flags & CL_BLOCK_CHECKED) ? ST_DONE :
		           x.status != ST_NONE ? x.status : ST_OPEN;
	if ((idx = item_new(r, bl->line)) >= 0)
		idx = item_fill(r, idx, &x, explicit, c);
	extract_release(&x);
	/* a person as the subject: "Laura Hughes will…", "Jane will…" */
	if (idx >= 0 && r->doc->items[idx].owner_raw == NULL && bl->kind != CL_BLOCK_HEADING) {
		struct cl_pm_item *it = &r->doc->items[idx];
		int to_form;
		size_t off, len = prose_subject(bl->text, rtrim_len(bl->text, bl->len), &off,
		                                bl->kind != CL_BLOCK_PARA, &to_form);
		if (len && (it->owner_raw = doc_strndup(r->doc, bl->text + off, len)) == NULL)
			rfail(r, CL_ENOMEM, "out of memory");
		/* "Marisol to investigate…": the action is "investigate…", as for
		 * "@ana to document…" */
		else if (len && to_form && strncmp(it->action, bl->text + off, len) == 0 &&
		         strncmp(it->action + len, " to ", 4) == 0 && it->action[len + 4] != '\0')
			memmove(it->action, it->action + len + 4, strlen(it->action + len + 4) + 1);
	}
	return idx;
}

/* A detail line of an item ("Owner: @x", "Due: Dec 13") fills what the
 * item does not say yet. */
static void
detail_apply(struct rules *r, long idx, const struct cl_block *bl)
{
	struct cl_pm_item *it;
	struct extract x;
	const char *v;
	size_t vn, n = rtrim_len(bl->text, bl->len);
	int st = ST_NONE;
	enum meta m;

	if (idx < 0 || n == 0)
		return;
	extract_init(&x, r->doc, &r->spare);
	m = n <= META_MAX ? meta_part(bl->text, n, &v, &vn, &st) : M_NONE;
	/* only "Key: value" details: "5% of traffic" is not an owner */
	if (m != M_NONE && memchr(bl->text, ':', n) != NULL) {
		meta_apply(&x, m, v, vn, st);
	} else {
		/* a detail paragraph whose last line or sentence is "Owner: @x, due
		 * 2024-07-01" ("One tenant filled the buffer. Owner: @x.") */
		const char *s = bl->text, *end = bl->text + n;
		while (s < end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end, *q;
			const char *seg = s;
			for (q = s; q + 1 < e; q++)
				if (q[0] == '.' && q[1] == ' ')
					seg = q + 2;
			if ((size_t)(e - seg) <= META_MAX && memchr(seg, ':', (size_t)(e - seg)) &&
			    (meta_part(seg, (size_t)(e - seg), &v, &vn, &st) == M_OWNER ||
			     meta_part(seg, (size_t)(e - seg), &v, &vn, &st) == M_DUE))
				meta_group(&x, seg, (size_t)(e - seg), NULL);
			s = e + 1;
		}
	}
	it = &r->doc->items[idx];
	if (it->owner_raw == NULL) {
		it->owner_raw = x.owner_raw;
		x.owner_raw = NULL;
	}
	if (it->due_raw == NULL) {
		it->due_raw = x.due_raw;
		x.due_raw = NULL;
	}
	if (it->ticket == NULL) {
		size_t l;
		/* "Ticket: [REPO-210](https://…)": the link's URL */
		for (l = 0; x.ticket && l < bl->nlinks; l++)
			if (bl->links[l].href && *bl->links[l].href &&
			    bl->links[l].end - bl->links[l].start == strlen(x.ticket) &&
			    memcmp(bl->text + bl->links[l].start, x.ticket, strlen(x.ticket)) == 0) {
				char *u = doc_strdup(r->doc, bl->links[l].href);
				if (u == NULL) {
					rfail(r, CL_ENOMEM, "out of memory");
					break;
				}
				x.ticket = u;
				break;
			}
		it->ticket = x.ticket;
		x.ticket = NULL;
	}
	if (it->priority == NULL) {
		it->priority = x.priority;
		x.priority = NULL;
	}
	if (x.status != ST_NONE && it->status == NULL) {
		it->done = x.status == ST_DONE;
		set_str(r->doc, &it->status, status_name(x.status));
	}
	extract_release(&x);
}

static void list_items(struct rules *r, int list, const struct ctx *c);

/* The children of an ordinary item: details, except task-list entries,
 * which are items of their own. */
static void
item_children(struct rules *r, int li, long idx, const struct ctx *c)
{
	int l, d;

	for (l = r->first_child[li]; l >= 0; l = r->next_sibling[l]) {
		if (r->b->v[l].kind == CL_BLOCK_PARA)
			detail_apply(r, idx, &r->b->v[l]);
		if (r->b->v[l].kind != CL_BLOCK_LIST)
			continue;
		for (d = r->first_child[l]; d >= 0 && !r->failed; d = r->next_sibling[d]) {
			const struct cl_block *db = &r->b->v[d];
			if (db->kind != CL_BLOCK_ITEM)
				continue;
			if (db->flags & CL_BLOCK_TASK) {
				long sub = item_from_block(r, d, c);
				item_children(r, d, sub, c);
			} else {
				detail_apply(r, idx, db);
				item_children(r, d, idx, c);
			}
		}
	}
}

/* The state a heading or label text hands down. */
static void
label_state(struct rules *r, const struct cl_block *bl, struct ctx *out, char **due,
            char **ticket, char **owner)
{
	struct extract x;

	*due = *ticket = *owner = NULL;
	if (extract_text(&x, r->doc, &r->spare, bl->text, bl->len, bl->links, bl->nlinks,
	                 bl->flags & ~CL_BLOCK_ALL_STRUCK, 0) != 0) {
		extract_release(&x);
		rfail(r, CL_ENOMEM, "out of memory");
		return;
	}
	if (x.status == ST_NONE) {
		size_t n = rtrim_len(bl->text, bl->len);
		x.status = status_word(bl->text, n);
		/* "Planned (Q1 2025)": the words left once the due date is read */
		if (x.status == ST_NONE && x.action.len)
			x.status = status_word(x.action.data, x.action.len);
	}
	if (x.status != ST_NONE)
		out->status = x.status;
	/* "### Q3 2024", "### By end of June": the heading is the due date */
	if (x.due_raw == NULL && x.action.len && x.action.len < 40 &&
	    date_like(x.action.data, x.action.len))
		x.due_raw = doc_strndup(r->doc, x.action.data, rtrim_len(x.action.data, x.action.len));
	if (x.due_raw) {
		*due = x.due_raw;
		x.due_raw = NULL;
		out->due = *due;
	}
	if (x.ticket) {
		*ticket = x.ticket;
		x.ticket = NULL;
		out->ticket = *ticket;
	}
	if (x.owner_raw) {
		*owner = x.owner_raw;
		x.owner_raw = NULL;
		out->owner = *owner;
	}
	extract_release(&x);
}

/* The items of a list under an action heading. */
static void
list_items(struct rules *r, int list, const struct ctx *c)
{
	int li, l;

	for (li = r->first_child[list]; li >= 0 && !r->failed; li = r->next_sibling[li]) {
		const struct cl_block *bl = &r->b->v[li];
		size_t n = rtrim_len(bl->text, bl->len);
		int has_children = 0, label;

		if (bl->kind != CL_BLOCK_ITEM)
			continue;
		for (l = r->first_child[li]; l >= 0; l = r->next_sibling[l])
			has_children |= r->b->v[l].kind == CL_BLOCK_LIST;
		label = n == 0 || (n > 0 && bl->text[n - 1] == ':' && !marker_len(bl->text, n)) ||
		        (bl->flags & CL_BLOCK_ALL_STRONG);
		if (label && has_children) {
			struct ctx c2 = *c;
			char *due = NULL, *ticket = NULL, *owner = NULL;
			if (n)
				label_state(r, bl, &c2, &due, &ticket, &owner);
			for (l = r->first_child[li]; l >= 0; l = r->next_sibling[l])
				if (r->b->v[l].kind == CL_BLOCK_LIST)
					list_items(r, l, &c2);
			continue;
		}
		if (n == 0 || (bl->text[n - 1] == ':' && !marker_len(bl->text, n)))
			continue;	/* a lead-in with nothing under it */
		item_children(r, li, item_from_block(r, li, c), c);
	}
}

/* Outside action sections: list items with a marker are items (and, in a
 * document with no action heading at all, task-list entries). */
static void
list_outside(struct rules *r, int list, int tasks)
{
	static const struct ctx none = { ST_NONE, NULL, NULL, NULL };
	int li, l;

	for (li = r->first_child[list]; li >= 0 && !r->failed; li = r->next_sibling[li]) {
		const struct cl_block *bl = &r->b->v[li];
		if (bl->kind != CL_BLOCK_ITEM)
			continue;
		if (marker_len(bl->text, bl->len) || (tasks && (bl->flags & CL_BLOCK_TASK))) {
			item_children(r, li, item_from_block(r, li, &none), &none);
			continue;
		}
		for (l = r->first_child[li]; l >= 0; l = r->next_sibling[l])
			if (r->b->v[l].kind == CL_BLOCK_LIST)
				list_outside(r, l, tasks);
	}
}

/* What a table column means. */
enum col { COL_NONE, COL_ACTION, COL_OWNER, COL_DUE, COL_STATUS, COL_TICKET, COL_PRIORITY };

static enum col
column_meaning(const char *name, size_t len, int *strong_action)
{
	static const struct { const char *name; enum col col; int strong; } map[] = {
		{ "action", COL_ACTION, 1 }, { "actions", COL_ACTION, 1 }, { "task", COL_ACTION, 1 },
		{ "tasks", COL_ACTION, 1 }, { "item", COL_ACTION, 1 }, { "action item", COL_ACTION, 1 },
		{ "action items", COL_ACTION, 1 }, { "action point", COL_ACTION, 1 },
		{ "action points", COL_ACTION, 1 }, { "description", COL_ACTION, 0 },
		{ "what", COL_ACTION, 0 }, { "todo", COL_ACTION, 1 }, { "follow-up", COL_ACTION, 1 },
		{ "follow up", COL_ACTION, 1 }, { "follow-ups", COL_ACTION, 1 },
		{ "remediation", COL_ACTION, 1 }, { "fix", COL_ACTION, 1 },
		{ "corrective action", COL_ACTION, 1 }, { "next step", COL_ACTION, 1 },
		{ "next steps", COL_ACTION, 1 }, { "follow-up item", COL_ACTION, 1 },
		{ "follow-up action", COL_ACTION, 1 }, { "remediation item", COL_ACTION, 1 },
		{ "remediation items", COL_ACTION, 1 }, { "recommendation", COL_ACTION, 1 },
		{ "recommendations", COL_ACTION, 1 }, { "action description", COL_ACTION, 1 },
		{ "improvement", COL_ACTION, 1 }, { "corrective actions", COL_ACTION, 1 },
		{ "owner(s)", COL_OWNER, 0 }, { "assignee(s)", COL_OWNER, 0 }, { "lead", COL_OWNER, 0 },
		{ "tracking issue", COL_TICKET, 0 }, { "issue link", COL_TICKET, 0 },
		{ "github issue", COL_TICKET, 0 }, { "jira ticket", COL_TICKET, 0 },
		{ "issues", COL_TICKET, 0 }, { "references", COL_TICKET, 0 },
		{ "progress", COL_STATUS, 0 }, { "complete?", COL_STATUS, 0 },
		{ "completed", COL_STATUS, 0 }, { "target completion", COL_DUE, 0 },
		{ "due by date", COL_DUE, 0 }, { "completion date", COL_DUE, 0 },
		{ "owner", COL_OWNER, 0 }, { "owners", COL_OWNER, 0 }, { "assignee", COL_OWNER, 0 },
		{ "assignees", COL_OWNER, 0 }, { "assigned to", COL_OWNER, 0 }, { "who", COL_OWNER, 0 },
		{ "responsible", COL_OWNER, 0 }, { "dri", COL_OWNER, 0 },
		{ "due", COL_DUE, 0 }, { "due date", COL_DUE, 0 }, { "deadline", COL_DUE, 0 },
		{ "by", COL_DUE, 0 }, { "eta", COL_DUE, 0 }, { "target", COL_DUE, 0 },
		{ "target date", COL_DUE, 0 }, { "due by", COL_DUE, 0 }, { "when", COL_DUE, 0 },
		{ "status", COL_STATUS, 0 }, { "state", COL_STATUS, 0 }, { "done", COL_STATUS, 0 },
		{ "done?", COL_STATUS, 0 }, { "quarter", COL_DUE, 0 },
		{ "ticket", COL_TICKET, 0 }, { "tickets", COL_TICKET, 0 }, { "bug", COL_TICKET, 0 },
		{ "issue", COL_TICKET, 0 }, { "link", COL_TICKET, 0 }, { "jira", COL_TICKET, 0 },
		{ "tracking", COL_TICKET, 0 }, { "tracker", COL_TICKET, 0 }, { "pr", COL_TICKET, 0 },
		{ "priority", COL_PRIORITY, 0 }, { "prio", COL_PRIORITY, 0 }, { "type", COL_PRIORITY, 0 },
		{ "kind", COL_PRIORITY, 0 }, { "point of contact", COL_OWNER, 0 },
		{ "poc", COL_OWNER, 0 }, { "contact", COL_OWNER, 0 }, { "champion", COL_OWNER, 0 },
		{ "accountable", COL_OWNER, 0 }, { "assigned", COL_OWNER, 0 },
		{ "driver", COL_OWNER, 0 }, { "action owner", COL_OWNER, 0 },
		{ "task owner", COL_OWNER, 0 }, { "owned by", COL_OWNER, 0 },
		{ "responsible person", COL_OWNER, 0 }, { "responsible party", COL_OWNER, 0 },
		{ "person", COL_OWNER, 0 }, { "leads", COL_OWNER, 0 },
		/* a Team column is the owner only when no column names a person */
		{ "team", COL_OWNER, 2 }, { "owning team", COL_OWNER, 2 },
		{ "responsible team", COL_OWNER, 2 }, { "summary", COL_ACTION, 0 },
		{ "title", COL_ACTION, 0 }, { "issue key", COL_TICKET, 0 },
		{ "key", COL_TICKET, 0 }, { "jira key", COL_TICKET, 0 },
		{ "ticket id", COL_TICKET, 0 }, { "issue id", COL_TICKET, 0 },
		{ NULL, COL_NONE, 0 }
	};
	/* "Owner / Team", "Owner (DRI)", "Due date (UTC)", "Status as of May 2":
	 * the first word says what the column is */
	static const struct { const char *word; enum col col; } first[] = {
		{ "owner", COL_OWNER }, { "owners", COL_OWNER }, { "assignee", COL_OWNER },
		{ "assignees", COL_OWNER }, { "dri", COL_OWNER }, { "responsible", COL_OWNER },
		{ "who", COL_OWNER }, { "poc", COL_OWNER }, { "due", COL_DUE },
		{ "deadline", COL_DUE }, { "eta", COL_DUE }, { "status", COL_STATUS },
		{ "ticket", COL_TICKET }, { "jira", COL_TICKET }, { NULL, COL_NONE }
	};
	static struct cl_letter_chain chain;
	_Static_assert(sizeof map / sizeof map[0] <= CL_LETTER_CHAIN_MAX + 1,
	               "a cl_letter_chain holds 128 names");
	char low[64];
	size_t i, n;

	if (len >= sizeof low)
		len = sizeof low - 1;
	memcpy(low, name, len);
	low[len] = '\0';
	cl_str_key(low, sizeof low, low);
	n = strlen(low);
	while (n > 0 && strchr(":*", low[n - 1]))
		low[--n] = '\0';
	cl_str_trim(low);
	*strong_action = 0;
	for (i = cl_letter_chain_first(&chain, map, sizeof map[0], sizeof map / sizeof map[0] - 1,
	                      (unsigned char)low[0]); i != 0; i = cl_letter_chain_next(&chain, i))
		if (strcmp(low, map[i - 1].name) == 0) {
			*strong_action = map[i - 1].strong;
			return map[i - 1].col;
		}
	vocab_key(low, sizeof low, name, len < sizeof low - 1 ? len : sizeof low - 1);
	n = strcspn(low, " /");
	if (low[n] != '\0')
		for (i = 0; first[i].word; i++)
			if (strlen(first[i].word) == n && strncmp(low, first[i].word, n) == 0)
				return first[i].col;
	return COL_NONE;
}

/* The cells of a row, in order (up to max). */
static size_t
row_cells(const struct rules *r, int row, int *out, size_t max)
{
	size_t n = 0;
	int c;

	for (c = r->first_child[row]; c >= 0 && n < max; c = r->next_sibling[c])
		if (r->b->v[c].kind == CL_BLOCK_CELL)
			out[n++] = c;
	return n;
}

/* A timeline: the first column is a time ("Time", "Date", "14:02"). */
static int
table_is_timeline(const struct rules *r, int header, int first_row)
{
	int cells[1];
	char k[32];

	if (row_cells(r, header, cells, 1) == 1) {
		const struct cl_block *h = &r->b->v[cells[0]];
		vocab_key(k, sizeof k, h->text, h->len < 30 ? h->len : 30);
		if (cl_str_starts_with(k, "time") || cl_str_starts_with(k, "date") ||
		    strcmp(k, "when") == 0 || strcmp(k, "hour") == 0 || cl_str_starts_with(k, "utc"))
			return 1;
	}
	if (first_row >= 0 && row_cells(r, first_row, cells, 1) == 1) {
		const struct cl_block *c = &r->b->v[cells[0]];
		if (c->len >= 4 && isdigit((unsigned char)c->text[0]) &&
		    memchr(c->text, ':', c->len < 8 ? c->len : 8))
			return 1;
	}
	return 0;
}

/* Turns a table's rows into items. anywhere: the table stands outside an
 * action section (it needs an action column and an owner/due/status/ticket
 * column, and is not a timeline). */
static void
table_items(struct rules *r, int table, const struct ctx *c, int anywhere)
{
	enum col cols[64];
	int cells[64], header = -1, row, first_row = -1;
	size_t i, j, ncols;
	int have_action = 0, strong_action = 0, have_meta = 0, col_of[8], team_col = -1;

	for (row = r->first_child[table]; row >= 0; row = r->next_sibling[row])
		if (r->b->v[row].kind == CL_BLOCK_ROW) {
			if (header < 0)
				header = row;
			else if (first_row < 0)
				first_row = row;
		}
	if (header < 0)
		return;
	ncols = row_cells(r, header, cells, 64);
	for (i = 0; i < 8; i++)
		col_of[i] = -1;
	for (i = 0; i < ncols; i++) {
		const struct cl_block *h = &r->b->v[cells[i]];
		int strong;
		cols[i] = column_meaning(h->text, h->len, &strong);
		if (cols[i] == COL_OWNER && strong == 2) {	/* "Team": only as a fallback */
			if (team_col < 0)
				team_col = (int)i;
			cols[i] = COL_NONE;
		}
		for (j = 0; j < i; j++)	/* first column of a meaning wins */
			if (cols[j] == cols[i] && cols[i] != COL_NONE)
				cols[i] = COL_NONE;
		if (cols[i] == COL_ACTION)
			strong_action |= strong;
		have_action |= cols[i] == COL_ACTION;
		have_meta |= cols[i] == COL_OWNER || cols[i] == COL_DUE || cols[i] == COL_STATUS ||
		             cols[i] == COL_TICKET;
		if (cols[i] != COL_NONE)
			col_of[cols[i]] = (int)i;
	}
	if (team_col >= 0 && col_of[COL_OWNER] < 0) {
		cols[team_col] = COL_OWNER;
		col_of[COL_OWNER] = team_col;
		have_meta = 1;
	}
	if (anywhere && (!strong_action || !have_meta || table_is_timeline(r, header, first_row)))
		return;
	if (!have_action) {
		for (i = 0; i < ncols; i++)
			if (cols[i] == COL_NONE) {
				cols[i] = COL_ACTION;
				col_of[COL_ACTION] = (int)i;
				have_action = 1;
				break;
			}
	}
	/* "| Item | Description | Owner |" with item numbers: the description
	 * is the action */
	if (have_action && first_row >= 0) {
		int fc[64];
		size_t nf = row_cells(r, first_row, fc, 64), a = (size_t)col_of[COL_ACTION], k2;
		if (a < nf) {
			const struct cl_block *cb = &r->b->v[fc[a]];
			int numeric = cb->len > 0;
			for (k2 = 0; numeric && k2 < cb->len; k2++) {
				char ch = cb->text[k2];	/* as strchr("#.-) ", ch): NUL too */
				if (!isdigit((unsigned char)ch) && ch != '#' && ch != '.' && ch != '-' &&
				    ch != ')' && ch != ' ' && ch != '\0')
					numeric = 0;
			}
			for (k2 = a + 1; numeric && k2 < ncols; k2++)
				if (cols[k2] == COL_NONE) {
					cols[a] = COL_NONE;
					cols[k2] = COL_ACTION;
					col_of[COL_ACTION] = (int)k2;
					break;
				}
		}
	}
	for (row = first_row; row >= 0 && !r->failed; row = r->next_sibling[row]) {
		int rc[64], flags = 0;
		size_t nc;
		const struct cl_block *ab;
		struct extract x;
		long idx;
		int explicit = ST_NONE;

		if (r->b->v[row].kind != CL_BLOCK_ROW)
			continue;
		nc = row_cells(r, row, rc, 64);
		if (col_of[COL_ACTION] < 0 || (size_t)col_of[COL_ACTION] >= nc)
			continue;
		ab = &r->b->v[rc[col_of[COL_ACTION]]];
		if (rtrim_len(ab->text, ab->len) == 0)
			continue;
		for (j = 0; j < nc; j++)
			flags |= r->b->v[rc[j]].flags & (CL_BLOCK_STRONG_DONE | CL_BLOCK_STRONG_TODO);
		if (flags & CL_BLOCK_STRONG_DONE)
			explicit = ST_DONE;
		else if (flags & CL_BLOCK_STRONG_TODO)
			explicit = ST_OPEN;
		/* the action cell itself may say the owner, status or ticket the table
		 * has no column for */
		extract_init(&x, r->doc, &r->spare);
		if ((col_of[COL_OWNER] < 0 || col_of[COL_STATUS] < 0 || col_of[COL_TICKET] < 0 ||
		     col_of[COL_DUE] < 0) && meta_hint(ab->text, ab->len, ab->nlinks)) {
			struct extract y;
			if (extract_text(&y, r->doc, &r->spare, ab->text, ab->len, ab->links,
			                 ab->nlinks, ab->flags, 0) != 0) {
				extract_release(&y);
				extract_release(&x);	/* it holds the spare buffer */
				rfail(r, CL_ENOMEM, "out of memory");
				return;
			}
			if ((col_of[COL_OWNER] < 0 && y.owner_raw) || (col_of[COL_DUE] < 0 && y.due_raw) ||
			    (col_of[COL_STATUS] < 0 && y.status != ST_NONE) ||
			    (col_of[COL_TICKET] < 0 && y.ticket)) {
				struct cl_buf t = x.action;	/* y gives the spare back */
				x.action = y.action;
				y.action = t;
				if (col_of[COL_OWNER] < 0) { x.owner_raw = y.owner_raw; y.owner_raw = NULL; }
				if (col_of[COL_DUE] < 0) { x.due_raw = y.due_raw; y.due_raw = NULL; }
				if (col_of[COL_STATUS] < 0) x.status = y.status;
				if (col_of[COL_TICKET] < 0) { x.ticket = y.ticket; y.ticket = NULL; }
			}
			extract_release(&y);
		}
		if (x.action.len == 0)
			cl_buf_add(&x.action, ab->text, ab->len);
		for (j = 0; j < nc && j < ncols; j++) {
			const struct cl_block *cb = &r->b->v[rc[j]];
			const char *t = cb->text;
			switch (cols[j]) {
			case COL_OWNER: take(&x, &x.owner_raw, t, cb->len); break;
			case COL_DUE: take(&x, &x.due_raw, t, cb->len); break;
			case COL_STATUS:
				if (rtrim_len(t, cb->len) == 0)
					break;
				x.status = status_is_done(t) ? ST_DONE : status_word(t, cb->len);
				if (x.status == ST_NONE)
					x.status = ST_OPEN;
				break;
			case COL_TICKET:
				if (!cb->nlinks && (cl_str_ieq(t, "n/a") || cl_str_ieq(t, "none") ||
				                    strcmp(t, "-") == 0 || *t == '\0'))
					break;
				x.ticket = NULL;
				if (cb->nlinks && cb->links[0].href && *cb->links[0].href)
					x.ticket = doc_strdup(r->doc, cb->links[0].href);
				else
					take(&x, &x.ticket, t, cb->len);
				break;
			case COL_PRIORITY: take(&x, &x.priority, t, cb->len); break;
			default: break;
			}
		}
		if (x.action.oom) {
			extract_release(&x);
			rfail(r, CL_ENOMEM, "out of memory");
			return;
		}
		if ((idx = item_new(r, r->b->v[row].line)) >= 0 &&
		    (idx = item_fill(r, idx, &x, explicit, c)) >= 0) {
			/* a Status column that says nothing is not a status */
			if (col_of[COL_STATUS] >= 0 && x.status == ST_NONE && explicit == ST_NONE &&
			    c->status == ST_NONE) {
				r->doc->items[idx].status = NULL;
			}
		}
		extract_release(&x);
	}
}

/* One "Key: value" line outside lists and tables (or of front matter). */
static void
meta_line(struct rules *r, char *line, int lineno, int front)
{
	struct cl_pm_doc *d = r->doc;
	char *colon = strchr(line, ':'), key[64];
	char *value;
	int day;

	if (r->expect_date) {
		r->expect_date = 0;
		if (d->incident_date == CL_NO_DATE && find_date(line, CL_NO_DATE, &day) == 0)
			d->incident_date = day;
	}
	/* "_Published 2024-07-25 by the core team_", "Posted on March 3, 2024" */
	if (!front && d->written_date == CL_NO_DATE &&
	    (strncasecmp(line, "published ", 10) == 0 || strncasecmp(line, "posted ", 7) == 0) &&
	    (colon == NULL || colon - line > 12) &&
	    find_date(line + strcspn(line, " "), CL_NO_DATE, &day) == 0) {
		d->written_date = day;
		return;
	}
	if (colon == NULL || colon - line >= (long)sizeof key)
		return;
	memcpy(key, line, (size_t)(colon - line));
	key[colon - line] = '\0';
	cl_str_trim(key);
	cl_str_lower(key);
	value = colon + 1;
	cl_str_trim(value);
	if (front) {
		/* YAML quoting */
		size_t n = strlen(value);
		if (n >= 2 && (value[0] == '"' || value[0] == '\'') && value[n - 1] == value[0]) {
			value[n - 1] = '\0';
			value++;
		}
	}
	if (*value == '\0')
		return;
	if (strcmp(key, "date") == 0 || strcmp(key, "incident date") == 0 ||
	    strcmp(key, "date of incident") == 0 || strcmp(key, "incident") == 0 ||
	    strcmp(key, "incident_date") == 0 || strcmp(key, "incident-date") == 0) {
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
		size_t n = strcspn(value, " \t(");
		if (n >= sizeof sev)
			n = sizeof sev - 1;
		memcpy(sev, value, n);
		sev[n] = '\0';
		set_str(d, &d->severity, sev);
	} else if (strcmp(key, "authors") == 0 || strcmp(key, "author") == 0 ||
	           strcmp(key, "written by") == 0) {
		struct cl_buf b = CL_BUF_INIT;
		char *save = NULL, *part;
		if (*value == '[') {
			value++;
			value[strcspn(value, "]")] = '\0';
		}
		for (part = strtok_r(value, ",;&", &save); part; part = strtok_r(NULL, ",;&", &save)) {
			char *o;
			size_t n;
			cl_str_trim(part);
			n = strlen(part);
			if (front && n >= 2 && (part[0] == '"' || part[0] == '\'') &&
			    part[n - 1] == part[0]) {
				part[n - 1] = '\0';
				part++;
			}
			if ((o = cl_parse_owner(part)) != NULL) {
				if (b.len)
					cl_buf_puts(&b, ", ");
				cl_buf_puts(&b, o);
				free(o);
			}
		}
		if (front && d->authors && b.len)
			d->authors = NULL;
		if (d->authors == NULL || front)
			set_str(d, &d->authors, cl_buf_str(&b));
		cl_buf_release(&b);
	} else if (strcmp(key, "owner") == 0) {
		set_str(d, &d->rb_owner, value);
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
		set_str(d, &d->rb_rto_target, value);
	} else if (front && strcmp(key, "title") == 0) {
		set_str(d, &d->title, value);
		d->title_line = lineno;
		r->title_from_meta = 1;
	} else if (front && strcmp(key, "status") == 0) {
		set_str(d, &d->status, value);
	} else if (strcmp(key, "team") == 0 && *value && (front || (d->team == NULL &&
	           strlen(value) < 48))) {
		/* front matter first; else the first short "Team:" line */
		set_str(d, &d->team, value);
	}
}

/* Metadata lines of a paragraph: only lines with a colon near their start
 * (a key) are copied and read, and the first line after a "Date" heading. */
static void
para_meta(struct rules *r, const struct cl_block *bl, int front)
{
	const char *s = bl->text, *end = bl->text + bl->len;
	char small[256], *line;

	while (s < end && !r->failed) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);
		if (n > 0 && (r->expect_date || memchr(s, ':', n < 64 ? n : 64) ||
		              (n > 10 && (s[0] == 'P' || s[0] == 'p') && !front))) {
			line = n < sizeof small ? small : cl_malloc(n + 1);
			if (line == NULL) {
				rfail(r, CL_ENOMEM, "out of memory");
				return;
			}
			memcpy(line, s, n);
			line[n] = '\0';
			meta_line(r, line, bl->line, front);
			if (line != small)
				free(line);
		}
		s += n + 1;
	}
}

/* The document's title and incident date from its first heading. */
static void
heading_title(struct rules *r, const struct cl_block *bl)
{
	struct cl_pm_doc *d = r->doc;
	char *text;
	const char *q;
	int day;

	if (d->title != NULL) {
		char low[32];
		cl_str_key(low, sizeof low, bl->text);
		r->expect_date = strcmp(low, "date") == 0 || strcmp(low, "incident date") == 0;
		return;
	}
	if ((text = cl_strndup(bl->text, bl->len)) == NULL) {
		rfail(r, CL_ENOMEM, "out of memory");
		return;
	}
	cl_str_trim(text);
	set_str(d, &d->title, text);
	d->title_line = bl->line;
	/* "… — 2024-01-22" or "… - Jan 22, 2024" */
	if ((q = strstr(text, "\xe2\x80\x94")) || (q = strstr(text, " - ")) ||
	    (q = strstr(text, "\xe2\x80\x93"))) {
		const char *last = q;
		while ((q = strstr(last + 1, "\xe2\x80\x94")) != NULL)
			last = q;
		if (find_date(last + 3, CL_NO_DATE, &day) == 0)
			d->incident_date = day;
	}
	if (d->incident_date == CL_NO_DATE && find_date(text, CL_NO_DATE, &day) == 0)
		d->incident_date = day;
	if (strcasestr(text, "runbook") != NULL)
		d->is_runbook = 1;
	free(text);
}

/* Enters a heading (or a label paragraph) at level. */
static void
heading_enter(struct rules *r, int bi, int level)
{
	const struct cl_block *bl = &r->b->v[bi];
	struct hstate *h, *parent;
	enum hclass cls;
	struct ctx c = { ST_NONE, NULL, NULL, NULL };
	char *due = NULL, *ticket = NULL, *owner = NULL;

	while (r->nh > 0 && r->hs[r->nh - 1].level >= level)
		r->nh--;
	parent = r->nh > 0 ? &r->hs[r->nh - 1] : NULL;
	cls = (enum hclass)r->hclass[bi];
	/* "**Detection**", "**Response**" under a real action heading are group
	 * labels of its items; "**Lessons learned**" still ends the section */
	if (cls == H_EXCLUDED && bl->kind == CL_BLOCK_PARA && parent && parent->action &&
	    r->b->v[parent->block].kind == CL_BLOCK_HEADING) {
		char k[128];
		vocab_key(k, sizeof k, bl->text, bl->len < 120 ? bl->len : 120);
		if (!has_phrase(k, "lessons") && !has_phrase(k, "lesson") &&
		    !has_phrase(k, "went well") && !has_phrase(k, "went wrong") &&
		    !has_phrase(k, "timeline") && !has_phrase(k, "root cause") &&
		    !has_phrase(k, "appendix") && !has_phrase(k, "glossary") &&
		    !has_phrase(k, "where we got lucky"))
			cls = H_PLAIN;
	}
	if (r->nh == 8)
		return;
	h = &r->hs[r->nh];
	memset(h, 0, sizeof *h);
	h->level = level;
	h->block = bi;
	h->section = -1;
	h->status = ST_NONE;
	h->item = -1;
	h->action = cls == H_ACTION || (cls == H_PLAIN && parent && parent->action);
	if (h->action && cls == H_PLAIN && bl->kind == CL_BLOCK_HEADING &&
	    heading_number(bl->text, bl->len)) {
		/* "### 1. Improve alerting" under an action heading is an item; what
		 * stands under it is its detail */
		struct ctx pc = { parent->status, parent->due, parent->ticket, parent->owner };
		h->item = item_from_block(r, bi, &pc);
		h->status = parent->status;
		h->due = parent->due ? doc_strdup(r->doc, parent->due) : NULL;
		h->ticket = parent->ticket ? doc_strdup(r->doc, parent->ticket) : NULL;
		h->owner = parent->owner ? doc_strdup(r->doc, parent->owner) : NULL;
		r->nh++;
		r->last_prose = -1;
		return;
	}
	if (h->action) {
		struct cl_pm_doc *d = r->doc;
		if (parent && parent->action) {
			c.status = parent->status;
			c.due = parent->due;
			c.ticket = parent->ticket;
			c.owner = parent->owner;
		}
		label_state(r, bl, &c, &due, &ticket, &owner);
		h->status = c.status;
		h->due = due ? due : c.due ? doc_strdup(d, c.due) : NULL;
		h->ticket = ticket ? ticket : c.ticket ? doc_strdup(d, c.ticket) : NULL;
		h->owner = owner ? owner : c.owner ? doc_strdup(d, c.owner) : NULL;
		if (!d->has_action_section) {
			d->has_action_section = 1;
			d->action_section_line = bl->line;
		}
		/* room for 4, then it doubles at 4, 8, 16, ... */
		if (d->sections == NULL ||
		    (d->nsections >= 4 && (d->nsections & (d->nsections - 1)) == 0)) {
			struct cl_pm_section *v = cl_realloc(d->sections, (d->nsections ?
			                                     d->nsections * 2 : 4) * sizeof *v);
			if (v == NULL) {
				rfail(r, CL_ENOMEM, "out of memory");
				return;
			}
			d->sections = v;
		}
		d->sections[d->nsections].line = bl->line;
		d->sections[d->nsections].nitems = 0;
		d->sections[d->nsections].title = doc_strndup(d, bl->text, rtrim_len(bl->text, bl->len));
		h->section = (int)d->nsections++;
	}
	r->nh++;
	r->last_prose = -1;
}

/* Placeholders that say there is nothing: "None.", "N/A", "TBD". */
static int
placeholder(const char *s, size_t n)
{
	char k[64];

	vocab_key(k, sizeof k, s, n < 60 ? n : 60);
	if (n > 0 && (s[0] == '<' || s[0] == '!' || s[0] == '|'))
		return 1;	/* raw HTML, an image, a broken table */
	return *k == '\0' || strcmp(k, "none") == 0 || strcmp(k, "n/a") == 0 ||
	       strcmp(k, "na") == 0 || strcmp(k, "tbd") == 0 || strcmp(k, "nothing") == 0 ||
	       strcmp(k, "none yet") == 0 || strcmp(k, "to be determined") == 0 ||
	       cl_str_starts_with(k, "no action") || cl_str_starts_with(k, "no follow") ||
	       cl_str_starts_with(k, "no further") || cl_str_starts_with(k, "no additional") ||
	       cl_str_starts_with(k, "no other") || cl_str_starts_with(k, "no changes") ||
	       cl_str_starts_with(k, "there are no") || cl_str_starts_with(k, "nothing ") ||
	       cl_str_starts_with(k, "none ") || cl_str_starts_with(k, "see ") ||
	       cl_str_starts_with(k, "to be ") ||
	       /* the end of a public report: not something to do */
	       cl_str_starts_with(k, "we apologi") || cl_str_starts_with(k, "we are sorry") ||
	       cl_str_starts_with(k, "we're sorry") || cl_str_starts_with(k, "we re sorry") ||
	       cl_str_starts_with(k, "we sincerely") || cl_str_starts_with(k, "thank") ||
	       cl_str_starts_with(k, "if you have") || cl_str_starts_with(k, "please contact") ||
	       cl_str_starts_with(k, "please reach") || cl_str_starts_with(k, "for more information") ||
	       cl_str_starts_with(k, "for questions") || cl_str_starts_with(k, "last updated") ||
	       cl_str_starts_with(k, "update ") || cl_str_starts_with(k, "note ") ||
	       cl_str_starts_with(k, "the following") || cl_str_starts_with(k, "below ") ||
	       /* template guidance: "List follow-ups here with an owner…" */
	       ((cl_str_starts_with(k, "list ") || cl_str_starts_with(k, "add ") ||
	         cl_str_starts_with(k, "describe ") || cl_str_starts_with(k, "fill ") ||
	         cl_str_starts_with(k, "replace ") || cl_str_starts_with(k, "enter ") ||
	         cl_str_starts_with(k, "insert ") || cl_str_starts_with(k, "write ")) &&
	        has_phrase(k, "here") && n < 120);
}

/* A paragraph: metadata, a marker item, a label, or prose under an action
 * heading when the section has no list or table. */
static void
para_rule(struct rules *r, int bi)
{
	static const struct ctx none = { ST_NONE, NULL, NULL, NULL };
	const struct cl_block *bl = &r->b->v[bi];
	struct hstate *h = r->nh > 0 ? &r->hs[r->nh - 1] : NULL;
	size_t n = rtrim_len(bl->text, bl->len);
	struct ctx c = { ST_NONE, NULL, NULL, NULL };
	const char *v;
	size_t vn;
	int st;

	para_meta(r, bl, 0);
	if (n == 0)
		return;
	if (r->is_label[bi]) {
		heading_enter(r, bi, 7);
		return;
	}
	if (h && h->action) {
		c.status = h->status;
		c.due = h->due;
		c.ticket = h->ticket;
		c.owner = h->owner;
	}
	if (marker_len(bl->text, n)) {
		item_from_block(r, bi, h && h->action ? &c : &none);
		return;
	}
	if (h && h->item >= 0) {
		detail_apply(r, h->item, bl);
		return;
	}
	/* "Owners: @ana" standing under a sub-heading: the owner of the items
	 * that follow in it */
	if (h && h->action && r->last_prose < 0 && n <= META_MAX && memchr(bl->text, ':', n) &&
	    !memchr(bl->text, '\n', n) && meta_part(bl->text, n, &v, &vn, &st) == M_OWNER) {
		char *o = doc_strndup(r->doc, v, rtrim_len(v, vn));
		if (o == NULL) {
			rfail(r, CL_ENOMEM, "out of memory");
			return;
		}
		h->owner = o;
		return;
	}
	if (!h || !h->action || r->has_list[h->block])
		return;
	if (bl->text[n - 1] == ':' || n > PROSE_MAX || placeholder(bl->text, n))
		return;
	/* "Owner: @x" on its own under a prose item belongs to it */
	if (r->last_prose >= 0 && n <= META_MAX && memchr(bl->text, ':', n) &&
	    meta_part(bl->text, n, &v, &vn, &st) != M_NONE) {
		detail_apply(r, r->last_prose, bl);
		return;
	}
	r->last_prose = item_from_block(r, bi, &c);
}

/* Child and sibling links, label paragraphs, which headings have a list. */
static int
rules_index(struct rules *r)
{
	const struct cl_blocks *b = r->b;
	int *last, stack[8], levels[8], ns = 0, seen_heading = 0;
	size_t i, nb = b->n + 1;

	/* one allocation: first_child, next_sibling, last (ints), then has_list,
	 * is_label, hclass (bytes, zeroed); cl_parse_blocks frees first_child */
	if ((r->first_child = cl_malloc(nb * (3 * sizeof(int) + 3))) == NULL)
		return CL_ENOMEM;
	r->next_sibling = r->first_child + nb;
	last = r->first_child + 2 * nb;
	r->has_list = (unsigned char *)(r->first_child + 3 * nb);
	r->is_label = r->has_list + nb;
	r->hclass = r->is_label + nb;
	memset(r->has_list, 0, 3 * nb);
	for (i = 0; i < b->n; i++)
		r->first_child[i] = r->next_sibling[i] = last[i] = -1;
	for (i = 0; i < b->n; i++) {
		const struct cl_block *bl = &b->v[i];
		int p = bl->parent, lvl = 0, k;
		if (p >= 0 && (size_t)p < i) {
			if (last[p] < 0)
				r->first_child[p] = (int)i;
			else
				r->next_sibling[last[p]] = (int)i;
			last[p] = (int)i;
			continue;
		}
		if (bl->kind == CL_BLOCK_HEADING)
			lvl = bl->level > 0 ? bl->level : 1;
		else if (bl->kind == CL_BLOCK_PARA && para_is_label(r, bl))
			lvl = 7, r->is_label[i] = 1;
		if (lvl) {
			r->hclass[i] = (unsigned char)heading_class(r, bl->text, bl->len);
			/* the title ("# Follow-up on the outage of March 3") is not an
			 * action heading unless it is only the words of one */
			if (bl->kind == CL_BLOCK_HEADING && !seen_heading && r->hclass[i] == H_ACTION) {
				size_t w = 0, kk;
				for (kk = 0; kk < bl->len; kk++)
					w += bl->text[kk] == ' ';
				if (w > 2)
					r->hclass[i] = H_PLAIN;
			}
			if (bl->kind == CL_BLOCK_HEADING)
				seen_heading = 1;
		}
		if (lvl) {
			while (ns > 0 && levels[ns - 1] >= lvl)
				ns--;
			if (ns < 8) {
				levels[ns] = lvl;
				stack[ns++] = (int)i;
			}
			if (bl->kind == CL_BLOCK_HEADING && r->hclass[i] == H_ACTION)
				r->any_action = 1;
			continue;
		}
		if (bl->kind == CL_BLOCK_LIST || bl->kind == CL_BLOCK_TABLE)
			for (k = 0; k < ns; k++)
				r->has_list[stack[k]] = 1;
	}
	return 0;
}

/* Resolves owners and due dates once the document's date is known. */
static void
doc_resolve(struct cl_pm_doc *d, int ref)
{
	size_t i;

	if (d->incident_date != CL_NO_DATE)
		ref = d->incident_date;
	for (i = 0; i < d->nitems; i++) {
		struct cl_pm_item *it = &d->items[i];
		char buf[128], *b;
		int day, approx;
		size_t n;

		if (it->owner_raw) {
			const char *lt, *gt;
			char *copy = doc_strdup(d, it->owner_raw);
			it->owner = copy ? owner_in(copy) : NULL;
			it->owners_several = cl_parse_owner_several(it->owner_raw);
			if ((lt = strchr(it->owner_raw, '<')) && (gt = strchr(lt, '>')) &&
			    memchr(lt, '@', (size_t)(gt - lt)))
				it->owner_email = doc_strndup(d, lt + 1, (size_t)(gt - lt - 1));
			else if (strchr(it->owner_raw, '@') && it->owner && strchr(it->owner, '@'))
				it->owner_email = doc_strdup(d, it->owner);
		}
		if (it->due_raw == NULL)
			continue;
		n = strlen(it->due_raw);
		if (n >= sizeof buf)
			continue;
		memcpy(buf, it->due_raw, n + 1);
		b = buf;
		/* "by Mar 1", "due 2024-06-30" in a cell */
		if (strchr("bBdDuU", b[0]) != NULL && b[0] != '\0' &&
		    (strncasecmp(b, "by ", 3) == 0 || strncasecmp(b, "due ", 4) == 0 ||
		     strncasecmp(b, "before ", 7) == 0 || strncasecmp(b, "until ", 6) == 0))
			b += strcspn(b, " ") + 1;
		if (cl_date_parse_due(b, ref, &day, &approx) == 0) {
			it->due = day;
			it->due_approx = approx;
			continue;
		}
		/* "Jan 29 (moved from Jan 22)" */
		b[strcspn(b, "(")] = '\0';
		cl_str_trim(b);
		if (*b && cl_date_parse_due(b, ref, &day, &approx) == 0) {
			it->due = day;
			it->due_approx = approx;
		}
	}
}

int
cl_parse_blocks(struct cl_pm_doc **out, const struct cl_blocks *b, int ref,
                const struct cl_parse_opts *opts, struct cl_error *err)
{
	static const struct ctx none = { ST_NONE, NULL, NULL, NULL };
	struct rules r;
	size_t i;
	int rc = 0;

	*out = NULL;
	memset(&r, 0, sizeof r);
	r.b = b;
	r.err = err;
	r.opts = opts;
	r.last_prose = -1;
	if ((r.doc = cl_calloc(1, sizeof *r.doc)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	r.doc->incident_date = r.doc->written_date = r.doc->rb_last_tested = CL_NO_DATE;
	r.doc->rb_actual_rto = -1;
	if (rules_index(&r) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < b->n && !r.failed; i++) {
		const struct cl_block *bl = &b->v[i];
		struct hstate *h = r.nh > 0 ? &r.hs[r.nh - 1] : NULL;
		struct ctx c = { ST_NONE, NULL, NULL, NULL };

		if (bl->parent >= 0)
			continue;
		if (h && h->action) {
			c.status = h->status;
			c.due = h->due;
			c.ticket = h->ticket;
			c.owner = h->owner;
		}
		switch (bl->kind) {
		case CL_BLOCK_HEADING:
			heading_title(&r, bl);
			heading_enter(&r, (int)i, bl->level > 0 ? bl->level : 1);
			break;
		case CL_BLOCK_META:
			para_meta(&r, bl, 1);
			break;
		case CL_BLOCK_PARA:
			para_rule(&r, (int)i);
			break;
		case CL_BLOCK_LIST:
			r.last_prose = -1;
			if (h && h->item >= 0) {
				int d;
				for (d = r.first_child[i]; d >= 0 && !r.failed; d = r.next_sibling[d]) {
					if (b->v[d].kind != CL_BLOCK_ITEM)
						continue;
					if (b->v[d].flags & CL_BLOCK_TASK) {
						long sub = item_from_block(&r, d, &c);
						item_children(&r, d, sub, &c);
					} else {
						detail_apply(&r, h->item, &b->v[d]);
						item_children(&r, d, h->item, &c);
					}
				}
			} else if (h && h->action)
				list_items(&r, (int)i, &c);
			else
				list_outside(&r, (int)i, 0);
			break;
		case CL_BLOCK_TABLE:
			r.last_prose = -1;
			table_items(&r, (int)i, h && h->action ? &c : &none, !(h && h->action));
			break;
		default:
			break;
		}
	}
	if (r.failed) {
		rc = r.failed;
		goto done;
	}
	/* an item's own owner (its text, its details) wins over its section's */
	for (i = 0; i < r.ninherited && i < r.doc->nitems; i++)
		if (r.doc->items[i].owner_raw == NULL && r.inherited[i] != NULL) {
			r.doc->items[i].owner_raw = r.inherited[i];
			r.inherited[i] = NULL;
		}
	doc_resolve(r.doc, ref);
done:
	cl_buf_release(&r.spare);
	free(r.inherited);
	free(r.first_child);	/* and the other indexes rules_index made with it */
	if (rc != 0) {
		cl_pm_doc_free(r.doc);
		return rc;
	}
	*out = r.doc;
	return 0;
}

/* ---- the Markdown front end (md4c → blocks) ---------------------------------------- */

/* A byte range md4c does not read: lines newlines. prepare_input leaves it
 * out of the copy md4c reads and then hands the reader, per cut, where it
 * stood in that copy (start) and the lines left out up to it (lines). */
struct cut {
	size_t start, end, lines;
};

/* A block being read. */
struct open_block {
	int idx;
	enum cl_block_kind kind;
	struct cl_buf *text;
	struct cl_block_link *links;
	size_t nlinks, caplinks;
	int letters, plain, unstruck;	/* letters seen; outside bold; not struck */
	int flags;
};

struct reader {
	const char *input;
	size_t len;
	size_t *line_starts;
	size_t nlines;
	struct cut *cuts;	/* the sections left out, in order */
	size_t ncuts;
	int *line_no;		/* the source line of each line of input (with cuts) */
	struct cl_blocks *blocks;
	struct cl_error *err;
	int failed;
	int nopen, skipped, maxopen;	/* maxopen: open[] and bufs[] used so far */
	int list_depth, in_code, strong, del;
	int strong_holder;
	size_t strong_start;
	int link_holder, link_mail;
	size_t link_start;
	char *link_href;
	size_t cells, line_hint;
	int last_line;
	/* last: not zeroed with the rest, each slot only when first used */
	struct open_block open[MAX_OPEN];
	struct cl_buf bufs[MAX_OPEN];
};

static int
fail(struct reader *p, int code, const char *msg)
{
	if (!p->failed) {
		cl_error_set(p->err, code, "%s", msg);
		p->failed = code;
	}
	return -1;
}

/* 1-based line of a pointer into the input, 0 when it points elsewhere. */
static int
line_of(struct reader *p, const char *ptr)
{
	size_t off, lo = 0, hi;

	if (ptr < p->input || ptr >= p->input + p->len)
		return 0;
	off = (size_t)(ptr - p->input);
	{
		/* text comes in order: look on the line of the last answer first */
		size_t c = p->line_hint;
		if (c < p->nlines && p->line_starts[c] <= off &&
		    (c + 1 == p->nlines || off < p->line_starts[c + 1]))
			return p->line_no ? p->line_no[c] : (int)c + 1;
		if (c + 1 < p->nlines && p->line_starts[c + 1] <= off &&
		    (c + 2 == p->nlines || off < p->line_starts[c + 2])) {
			p->line_hint = c + 1;
			return p->line_no ? p->line_no[c + 1] : (int)c + 2;
		}
	}
	hi = p->nlines;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (p->line_starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	p->line_hint = lo;
	return p->line_no ? p->line_no[lo] : (int)lo + 1;
}

/* Where each line of the input starts (one pass; grown as it goes). */
static int
index_lines(struct reader *p)
{
	const char *q = p->input, *end = p->input + p->len;
	size_t k = 1, cap = 64 + p->len / 64;

	if ((p->line_starts = cl_malloc(cap * sizeof *p->line_starts)) == NULL)
		return CL_ENOMEM;
	p->line_starts[0] = 0;
	for (; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++) {
		if (k == cap) {
			size_t *v = cl_realloc(p->line_starts, 2 * cap * sizeof *v);
			if (v == NULL)
				return CL_ENOMEM;
			p->line_starts = v;
			cap *= 2;
		}
		p->line_starts[k++] = (size_t)(q - p->input) + 1;
	}
	p->nlines = k;
	if (p->ncuts) {
		/* the lines of the sections left out come before the line at
		 * each cut's place */
		size_t c = 0, shift = 0, i;
		if ((p->line_no = cl_malloc(k * sizeof *p->line_no)) == NULL)
			return CL_ENOMEM;
		for (i = 0; i < k; i++) {
			while (c < p->ncuts && p->cuts[c].start <= p->line_starts[i])
				shift = p->cuts[c++].lines;
			p->line_no[i] = (int)(i + 1 + shift);
		}
	}
	return 0;
}

/* The open block that takes text, or NULL. */
static struct open_block *
holder(struct reader *p)
{
	struct open_block *o;

	if (p->skipped || p->nopen == 0)
		return NULL;
	o = &p->open[p->nopen - 1];
	return o->kind == CL_BLOCK_HEADING || o->kind == CL_BLOCK_PARA ||
	       o->kind == CL_BLOCK_ITEM || o->kind == CL_BLOCK_CELL ? o : NULL;
}

/* Opens a block; returns 0 or -1. */
static int
push(struct reader *p, enum cl_block_kind kind, int level, int flags, int line)
{
	struct open_block *o;
	int parent = -1, k, idx;

	for (k = p->nopen - 1; k >= 0; k--)
		if (p->open[k].kind == CL_BLOCK_LIST || p->open[k].kind == CL_BLOCK_ITEM ||
		    p->open[k].kind == CL_BLOCK_TABLE || p->open[k].kind == CL_BLOCK_ROW) {
			parent = p->open[k].idx;
			break;
		}
	if ((idx = cl_blocks_add(p->blocks, kind, line, level, parent, flags, NULL, 0, NULL,
	                         0)) < 0)
		return fail(p, CL_ENOMEM, "out of memory");
	o = &p->open[p->nopen];
	if (p->nopen == p->maxopen) {
		memset(o, 0, sizeof *o);
		memset(&p->bufs[p->nopen], 0, sizeof p->bufs[p->nopen]);
	}
	o->idx = idx;
	o->kind = kind;
	o->text = &p->bufs[p->nopen];
	o->text->len = 0;
	if (o->text->data)
		o->text->data[0] = '\0';
	o->nlinks = 0;
	o->letters = o->plain = o->unstruck = 0;
	o->flags = flags;
	if (++p->nopen > p->maxopen)
		p->maxopen = p->nopen;
	return 0;
}

/* Closes the innermost block: its text and flags go to the model. */
static int
pop(struct reader *p)
{
	struct open_block *o = &p->open[--p->nopen];
	struct cl_block *bl = &p->blocks->v[o->idx];
	const char *t = o->text->data ? o->text->data : "";
	size_t n = o->text->len, a, i;

	if (o->text->oom)
		return fail(p, CL_ENOMEM, "out of memory");
	if (o->kind == CL_BLOCK_LIST || o->kind == CL_BLOCK_TABLE || o->kind == CL_BLOCK_ROW) {
		if (bl->line == 0)
			bl->line = p->last_line;
		return 0;
	}
	/* trimmed, link ranges moved along */
	a = ltrim_off(t, n);
	n = rtrim_len(t, n);
	if (n < a)
		n = a;
	for (i = 0; i < o->nlinks; i++) {
		o->links[i].start = o->links[i].start > a ? o->links[i].start - a : 0;
		o->links[i].end = o->links[i].end > a ? o->links[i].end - a : 0;
	}
	if (blocks_set_text(p->blocks, o->idx, t + a, n - a, o->links, o->nlinks) != 0)
		return fail(p, CL_ENOMEM, "out of memory");
	bl = &p->blocks->v[o->idx];
	bl->flags = o->flags;
	if (o->letters && !o->plain)
		bl->flags |= CL_BLOCK_ALL_STRONG;
	if (o->letters && !o->unstruck)
		bl->flags |= CL_BLOCK_ALL_STRUCK;
	if (bl->line == 0)
		bl->line = p->last_line;
	return 0;
}

static int
trackable(MD_BLOCKTYPE type)
{
	return type == MD_BLOCK_H || type == MD_BLOCK_P || type == MD_BLOCK_UL ||
	       type == MD_BLOCK_OL || type == MD_BLOCK_LI || type == MD_BLOCK_TABLE ||
	       type == MD_BLOCK_TR || type == MD_BLOCK_TH || type == MD_BLOCK_TD;
}

static int
on_enter_block(MD_BLOCKTYPE type, void *detail, void *user)
{
	struct reader *p = user;
	struct open_block *h;

	if (type == MD_BLOCK_CODE) {
		p->in_code = 1;
		return 0;
	}
	if (!trackable(type))
		return 0;
	if (p->skipped || p->nopen == MAX_OPEN) {
		p->skipped++;
		return 0;
	}
	switch (type) {
	case MD_BLOCK_H:
		return push(p, CL_BLOCK_HEADING, (int)((MD_BLOCK_H_DETAIL *)detail)->level, 0, 0);
	case MD_BLOCK_P:
		if ((h = holder(p)) != NULL && h->kind == CL_BLOCK_ITEM && h->text->len == 0)
			return 0;	/* a list item's first paragraph is its text */
		if (h != NULL && h->kind != CL_BLOCK_ITEM) {
			cl_buf_putc(h->text, ' ');
			return 0;
		}
		return push(p, CL_BLOCK_PARA, 0, 0, 0);
	case MD_BLOCK_UL:
	case MD_BLOCK_OL:
		p->list_depth++;
		return push(p, CL_BLOCK_LIST, p->list_depth,
		            type == MD_BLOCK_OL ? CL_BLOCK_ORDERED : 0, 0);
	case MD_BLOCK_LI: {
		MD_BLOCK_LI_DETAIL *li = detail;
		int flags = 0, line = 0;
		if (p->nopen > 0 && (p->open[p->nopen - 1].flags & CL_BLOCK_ORDERED))
			flags |= CL_BLOCK_ORDERED;
		if (li->is_task) {
			flags |= CL_BLOCK_TASK;
			if (li->task_mark == 'x' || li->task_mark == 'X')
				flags |= CL_BLOCK_CHECKED;
			line = line_of(p, p->input + li->task_mark_offset);
		}
		return push(p, CL_BLOCK_ITEM, p->list_depth, flags, line);
	}
	case MD_BLOCK_TABLE:
		return push(p, CL_BLOCK_TABLE, 0, 0, 0);
	case MD_BLOCK_TR:
		return push(p, CL_BLOCK_ROW, 0, 0, 0);
	case MD_BLOCK_TH:
	case MD_BLOCK_TD:
		if (++p->cells > CL_PARSE_MAX_CELLS)
			return fail(p, CL_EDATA, "too many table cells in one document");
		return push(p, CL_BLOCK_CELL, 0, 0, 0);
	default:
		return 0;
	}
}

static int
on_leave_block(MD_BLOCKTYPE type, void *detail, void *user)
{
	struct reader *p = user;

	if (type == MD_BLOCK_CODE) {
		p->in_code = 0;
		return 0;
	}
	if (!trackable(type))
		return p->failed ? -1 : 0;
	if (p->skipped) {
		p->skipped--;
		return 0;
	}
	if (type == MD_BLOCK_UL || type == MD_BLOCK_OL)
		p->list_depth--;
	if (type == MD_BLOCK_P && (p->nopen == 0 || p->open[p->nopen - 1].kind != CL_BLOCK_PARA))
		return 0;	/* merged into its list item */
	if (p->nopen > 0 && pop(p) != 0)
		return -1;
	/* the row's line is its first cell's */
	if (type == MD_BLOCK_TR && p->blocks->n > 0) {
		struct cl_block *row = NULL;
		size_t i = p->blocks->n;
		while (i-- > 0)
			if (p->blocks->v[i].kind == CL_BLOCK_ROW) {
				row = &p->blocks->v[i];
				break;
			}
		if (row && i + 1 < p->blocks->n && p->blocks->v[i + 1].line)
			row->line = p->blocks->v[i + 1].line;
	}
	return p->failed ? -1 : 0;
}

static int
on_enter_span(MD_SPANTYPE type, void *detail, void *user)
{
	struct reader *p = user;
	struct open_block *h = holder(p);

	if (type == MD_SPAN_STRONG) {
		if (p->strong++ == 0) {
			p->strong_holder = h ? (int)(h - p->open) : -1;
			p->strong_start = h ? h->text->len : 0;
		}
	} else if (type == MD_SPAN_DEL) {
		p->del++;
	} else if (type == MD_SPAN_A && h) {
		MD_SPAN_A_DETAIL *a = detail;
		free(p->link_href);
		p->link_href = cl_strndup(a->href.text, a->href.size);
		p->link_holder = (int)(h - p->open);
		p->link_start = h->text->len;
		p->link_mail = a->href.size > 7 && memcmp(a->href.text, "mailto:", 7) == 0;
	}
	return 0;
}

/* "**DONE**" / "**TODO**" in a row or an item: status, not text. */
static void
strong_finish(struct reader *p)
{
	struct open_block *h = holder(p);
	char word[16];
	size_t n;
	int st;

	if (h == NULL || (int)(h - p->open) != p->strong_holder || h->text->len < p->strong_start)
		return;
	n = h->text->len - p->strong_start;
	if (n == 0 || n >= sizeof word)
		return;
	memcpy(word, h->text->data + p->strong_start, n);
	word[n] = '\0';
	st = status_word(word, n);
	if (st == ST_DONE && !cl_str_ieq(word, "x")) {
		h->flags |= CL_BLOCK_STRONG_DONE;
	} else if (st == ST_OPEN && (strncasecmp(cl_str_trim(word), "todo", 4) == 0)) {
		h->flags |= CL_BLOCK_STRONG_TODO;
	} else {
		return;
	}
	h->text->len = p->strong_start;
	h->text->data[h->text->len] = '\0';
}

static int
on_leave_span(MD_SPANTYPE type, void *detail, void *user)
{
	struct reader *p = user;
	struct open_block *h = holder(p);

	if (type == MD_SPAN_STRONG && p->strong > 0 && --p->strong == 0)
		strong_finish(p);
	else if (type == MD_SPAN_DEL && p->del > 0)
		p->del--;
	else if (type == MD_SPAN_A && h && p->link_href && (int)(h - p->open) == p->link_holder) {
		if (h->nlinks == h->caplinks) {
			size_t cap = h->caplinks ? h->caplinks * 2 : 4;
			struct cl_block_link *v = cl_realloc(h->links, cap * sizeof *v);
			if (v == NULL)
				return fail(p, CL_ENOMEM, "out of memory");
			h->links = v;
			h->caplinks = cap;
		}
		/* the href lives in the blocks' arena */
		if (blocks_arena(p->blocks) != 0 ||
		    (h->links[h->nlinks].href = arena_strndup(p->blocks->arena, p->link_href,
		                                              strlen(p->link_href))) == NULL)
			return fail(p, CL_ENOMEM, "out of memory");
		if (p->link_mail == 2)
			cl_buf_putc(h->text, '>');
		p->link_mail = 0;
		h->links[h->nlinks].start = p->link_start;
		h->links[h->nlinks].end = h->text->len;
		h->nlinks++;
		free(p->link_href);
		p->link_href = NULL;
	}
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
	if (n > 3 && n < 12 && t[1] == '#') {
		char num[12];
		unsigned long cp;
		memcpy(num, t, n);
		num[n] = '\0';
		cp = (num[2] == 'x' || num[2] == 'X') ? strtoul(num + 3, NULL, 16)
		                                      : strtoul(num + 2, NULL, 10);
		if (cp > 0 && cp < 0x80) {
			buf[0] = (char)cp;
			buf[1] = '\0';
			return buf;
		}
	}
	n = n < 7 ? n : 7;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return buf;
}

static int
on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *user)
{
	struct reader *p = user;
	struct open_block *h;
	char ent[8];
	const char *s = text;
	size_t n = size, k;

	if (p->in_code || (h = holder(p)) == NULL)
		return 0;
	/* never read past the document, whatever the Markdown library reports
	 * (fuzzing found md4c 0.4.8 handing out a range that ran past it) */
	if (text >= p->input && text <= p->input + p->len &&
	    (size_t)(p->input + p->len - text) < n) {
		n = (size_t)(p->input + p->len - text);
		size = (MD_SIZE)n;
	}
	if (text >= p->input && text < p->input + p->len)
		p->last_line = line_of(p, text);
	if (p->blocks->v[h->idx].line == 0)
		p->blocks->v[h->idx].line = p->last_line;
	/* "<alice@example.com>" is an autolink: the brackets say it is an address */
	if (p->link_mail == 1) {
		p->link_mail = 0;
		if (text > p->input && text < p->input + p->len && text[-1] == '<' &&
		    !(h->text->len > 0 && h->text->data[h->text->len - 1] == '<')) {
			cl_buf_putc(h->text, '<');
			p->link_mail = 2;
		}
	}
	if (type == MD_TEXT_ENTITY) {
		s = entity_text(text, size, ent);
		n = strlen(s);
	} else if (type == MD_TEXT_BR || type == MD_TEXT_SOFTBR) {
		s = h->kind == CL_BLOCK_PARA ? "\n" : " ";
		n = 1;
	} else if (type == MD_TEXT_NULLCHAR) {
		return 0;
	}
	/* bold and struck-through letters (a label, a done item) */
	if (!(h->letters && h->plain && h->unstruck)) {
		for (k = 0; k < n; k++)
			if (is_letter((unsigned char)s[k])) {
				h->letters = 1;
				if (!p->strong)
					h->plain = 1;
				if (!p->del)
					h->unstruck = 1;
				break;
			}
	}
	if (type == MD_TEXT_CODE && h->kind == CL_BLOCK_CELL && memchr(s, '\\', n)) {
		/* GFM: "\|" in a code span inside a table is a pipe */
		for (k = 0; k < n; k++) {
			if (s[k] == '\\' && k + 1 < n && s[k + 1] == '|')
				continue;
			cl_buf_putc(h->text, s[k]);
		}
	} else {
		cl_buf_add(h->text, s, n);
	}
	return h->text->oom ? fail(p, CL_ENOMEM, "out of memory") : 0;
}

/* ---- input preparation: front matter, short table delimiters -------------------- */

/* True when line is a GFM delimiter row with a cell md4c 0.4.8 refuses
 * (it wants three characters: "---", ":--"; GitHub takes "-", ":-"). */
static int
short_delimiter_row(const char *s, size_t n)
{
	size_t i, cell = 0;
	int pipe = 0, dash = 0, is_short = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '|') {
			pipe = 1;
			if (cell > 0 && cell < 3)
				is_short = 1;
			cell = 0;
		} else if (c == '-' || c == ':') {
			dash |= c == '-';
			cell++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			continue;
		} else {
			return 0;
		}
	}
	if (cell > 0 && cell < 3)
		is_short = 1;
	return pipe && dash && is_short;
}

/* Writes the row again with every cell at least three characters wide. */
static void
widen_delimiter_row(struct cl_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	int lead = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '|') {
		lead = 1;
		i++;
	}
	if (lead)
		cl_buf_putc(b, '|');
	while (i < n) {
		size_t start = i;
		int left = 0, right = 0, dashes = 0;
		while (i < n && s[i] != '|') {
			if (s[i] == ':') {
				if (dashes == 0)
					left = 1;
				else
					right = 1;
			} else if (s[i] == '-') {
				dashes++;
			}
			i++;
		}
		if (dashes == 0 && i == n && start < n) {
			/* trailing white space after the last pipe */
			break;
		}
		if (dashes || left || right) {
			cl_buf_puts(b, left ? ":-" : "--");
			cl_buf_puts(b, right ? "-:" : "--");
		}
		if (i < n) {
			cl_buf_putc(b, '|');
			i++;
		}
	}
	if (n > 0 && s[n - 1] == '\r')
		cl_buf_putc(b, '\r');
}

/* The end of YAML front matter ("---" … "---" or "...") at the start, or 0. */
static size_t
front_matter_end(const char *s, size_t n)
{
	size_t i, lines = 0;

	if (n < 4 || memcmp(s, "---", 3) != 0 || (s[3] != '\n' && s[3] != '\r'))
		return 0;
	i = s[3] == '\r' ? 5 : 4;
	while (i < n && lines < 500) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n, len = e - i;
		if (len > 0 && s[i + len - 1] == '\r')
			len--;
		if ((len == 3 && (memcmp(s + i, "---", 3) == 0 || memcmp(s + i, "...", 3) == 0)))
			return nl ? e + 1 : e;
		i = e + 1;
		lines++;
	}
	return 0;
}

/* Front matter lines → META blocks ("key: value"; YAML lists joined). */
static int
front_matter_blocks(struct cl_blocks *b, const char *s, size_t end)
{
	struct cl_buf line = CL_BUF_INIT;
	size_t i = s[3] == '\r' ? 5 : 4;
	int lineno = 2, key_line = 0, rc = 0;

	while (i < end) {
		const char *nl = memchr(s + i, '\n', end - i);
		size_t e = nl ? (size_t)(nl - s) : end, len = e - i;
		const char *t = s + i;
		if (len > 0 && t[len - 1] == '\r')
			len--;
		if (len >= 3 && (memcmp(t, "---", 3) == 0 || memcmp(t, "...", 3) == 0) && len == 3)
			break;
		if (len > 0 && (t[0] == ' ' || t[0] == '\t' || t[0] == '-') && line.len) {
			/* "  - alice" under "authors:" */
			size_t k = ltrim_off(t, len);
			if (k < len && t[k] == '-') {
				k++;
				k += ltrim_off(t + k, len - k);
				if (line.data[line.len - 1] != ':')
					cl_buf_puts(&line, ",");
				cl_buf_putc(&line, ' ');
				cl_buf_add(&line, t + k, len - k);
			}
		} else if (len > 0 && t[0] != '#') {
			if (line.len && (rc = cl_blocks_add(b, CL_BLOCK_META, key_line, 0, -1, 0,
			                                    line.data, line.len, NULL, 0)) < 0)
				break;
			line.len = 0;
			cl_buf_add(&line, t, len);
			key_line = lineno;
		}
		i = e + 1;
		lineno++;
	}
	if (rc >= 0 && line.len)
		rc = cl_blocks_add(b, CL_BLOCK_META, key_line, 0, -1, 0, line.data, line.len, NULL, 0);
	if (line.oom)
		rc = CL_ENOMEM;
	cl_buf_release(&line);
	return rc < 0 ? rc : 0;
}

/* ---- input preparation: sections md4c need not read ----------------------------
 * The item rules read blocks outside action sections only for: the first
 * heading (title), headings (the section structure, "Date" headings),
 * paragraphs with "Key: value" lines or "Published …"/"Posted …" lines,
 * label paragraphs (bold, or ending with ':'), markers ("AI:", "TODO:"…,
 * all with a ':'), tables (a '|'), and lists under an action heading (an
 * action section with a list drops its prose items). So the body of a
 * section under a top-level ATX heading that is neither action-like nor a
 * "Date" heading is left out of what md4c reads (entirely; the reader maps
 * the copy's lines back to the source's, so line numbers stay) when none
 * of its text lines has ':', '|',
 * '&', "**" or "__", every one starts with a letter other than 'P'/'p' or a
 * digit (after list markers), its tables are tables to md4c for sure and
 * their headers name no strong action column (table_items wants one
 * outside action sections; fenced code is not read either), it has no list
 * or table when an enclosing heading may be action-like, and the next
 * heading starts with a letter or digit (a block without text takes the
 * line of the text before it). Anything the scan does not follow exactly (a
 * heading that is not a column-0 ATX heading, a possible setext underline,
 * an indented or nested fence, a heading or fence inside a table — md4c
 * 0.4.8 makes them rows —, a control character starting a line, a lone CR)
 * makes it leave out nothing. check_parse and fuzz_parse compare the result
 * with a parse of everything (cl_parse_document_read_all): a rule that
 * starts reading something outside action sections must be added here. */

struct scan {
	const struct cl_parse_opts *opts;
	struct cut *v;
	size_t n, cap;
	int bail;			/* a construct the scan does not follow */
	struct {
		const char *t;		/* the heading's text */
		size_t n;
		int level;
		signed char simple;	/* plain text: md4c gives it as it stands */
		signed char action;	/* may be action-like; -1 not known yet */
	} hs[7];			/* the headings the section stands under */
	int nh, seen_heading;
	int open, cand, dirty, listy;	/* the section being read */
	size_t body, lines;
	const char *s;
	size_t text;			/* where its text lines (not code) start, or -1 */
	size_t sec_cells, cells;	/* table cells in it; in the sections cut */
	int table, cols;		/* reading a table: 1 header, 2 rows; its columns */
	int cache;			/* the vocabulary cache may be used */
	int done, short_rows;		/* read to the end; saw a delimiter row to widen */
};

/* What the pre-scan made of heading and column words, per thread: the
 * documents of a corpus share their headings. Heading classes depend on
 * [import] headings too: the cache is emptied when they change. */
#define VOCAB_SLOTS 128
#define VOCAB_TEXT 58
struct vocab_slot {
	unsigned char kind, len;	/* kind: 0 empty, 1 heading class, 2 strong action column */
	signed char value;
	char text[VOCAB_TEXT];
};
static _Thread_local struct vocab_slot vocab_cache[VOCAB_SLOTS];
static _Thread_local char vocab_headings[128];

/* Makes the cache fit the [import] headings; 0 when it cannot be used. */
static int
vocab_ready(const struct cl_parse_opts *opts)
{
	const char *h = opts && opts->headings ? opts->headings : "";
	size_t n = strlen(h);

	if (n >= sizeof vocab_headings)
		return 0;
	if (strcmp(vocab_headings, h) != 0) {
		memset(vocab_cache, 0, sizeof vocab_cache);
		memcpy(vocab_headings, h, n + 1);
	}
	return 1;
}

/* The cache slot that holds kind and t[0..n), else the one to fill; NULL
 * when it does not fit. Two slots per hash: the common words of a corpus
 * rarely push each other out. */
static struct vocab_slot *
vocab_slot(int kind, const char *t, size_t n)
{
	uint32_t hash = 2166136261u ^ (uint32_t)kind;
	struct vocab_slot *a, *b;
	size_t k;

	if (n >= VOCAB_TEXT)
		return NULL;
	for (k = 0; k < n; k++)
		hash = (hash ^ (unsigned char)t[k]) * 16777619u;
	a = &vocab_cache[hash % VOCAB_SLOTS];
	b = &vocab_cache[(hash / VOCAB_SLOTS) % VOCAB_SLOTS];
	if (b->kind == kind && b->len == n && memcmp(b->text, t, n) == 0)
		return b;
	if (a->kind == kind && a->len == n && memcmp(a->text, t, n) == 0)
		return a;
	return a->kind == 0 ? a : b->kind == 0 ? b : (hash & 0x80000000u) ? a : b;
}

/* heading_class (kind 1) or whether a column of that name is a strong
 * action column (kind 2) of t[0..n), remembered. */
static int
scan_vocab(const struct scan *sc, int kind, const char *t, size_t n)
{
	struct vocab_slot *v = sc->cache ? vocab_slot(kind, t, n) : NULL;
	struct rules rr;
	int value, strong;

	if (v && v->kind == kind && v->len == n && memcmp(v->text, t, n) == 0)
		return v->value;
	if (kind == 1) {
		memset(&rr, 0, sizeof rr);
		rr.opts = sc->opts;
		value = (int)heading_class(&rr, t, n);
	} else {
		value = column_meaning(t, n, &strong) == COL_ACTION && strong;
	}
	if (v) {
		v->kind = (unsigned char)kind;
		v->len = (unsigned char)n;
		v->value = (signed char)value;
		memcpy(v->text, t, n);
	}
	return value;
}

/* True when s[0..n) has a byte a rule may read outside action sections
 * (see above): a few memchr passes over the section. */
static int
scan_dirty(const char *s, size_t n)
{
	static const char pairs[] = "*_";
	const char *q, *end = s + n;
	int k;

	if (memchr(s, ':', n) || memchr(s, '|', n) || memchr(s, '&', n))
		return 1;
	for (k = 0; k < 2; k++)
		for (q = s; (q = memchr(q, pairs[k], (size_t)(end - q))) != NULL && q + 1 < end; q++)
			if (q[1] == pairs[k])
				return 1;
	return 0;
}

/* Ends a stretch of text lines of the section being read at end. */
static void
scan_text(struct scan *sc, size_t end)
{
	if (sc->open && sc->cand && !sc->dirty && sc->text < end &&
	    scan_dirty(sc->s + sc->text, end - sc->text))
		sc->dirty = 1;
	sc->text = (size_t)-1;
}

/* Whether heading i of the stack may start or continue an action section
 * (as heading_enter decides; classified when first asked). */
static int
scan_action(struct scan *sc, int i)
{
	if (sc->hs[i].action < 0) {
		int cls = sc->hs[i].simple ? scan_vocab(sc, 1, sc->hs[i].t, sc->hs[i].n) : H_ACTION;
		sc->hs[i].action = (signed char)(cls == H_ACTION ||
		                                 (cls == H_PLAIN && i > 0 && scan_action(sc, i - 1)));
	}
	return sc->hs[i].action;
}

/* True when the section being read may be cut: nothing in it is read, and
 * its list or table does not tell an enclosing action heading it has one. */
static int
scan_cuttable(struct scan *sc)
{
	int i;

	if (!sc->open || !sc->cand || sc->dirty || sc->bail || scan_action(sc, sc->nh - 1))
		return 0;
	for (i = 0; sc->listy && i < sc->nh - 1; i++)
		if (scan_action(sc, i))
			return 0;
	return 1;
}

/* Ends the section being read at end (next_text: the heading that ends it
 * starts with a letter or digit). */
static void
scan_close(struct scan *sc, size_t end, int next_text)
{
	if (sc->text != (size_t)-1)
		scan_text(sc, end);
	if (sc->table == 1)
		sc->dirty = 1;
	sc->table = 0;
	if (next_text && end > sc->body && scan_cuttable(sc)) {
		if (sc->n == sc->cap) {
			size_t cap = sc->cap ? sc->cap * 2 : 16;
			struct cut *v = cl_realloc(sc->v, cap * sizeof *v);
			if (v == NULL) {
				sc->bail = 1;	/* read everything */
				return;
			}
			sc->v = v;
			sc->cap = cap;
		}
		sc->v[sc->n].start = sc->body;
		sc->v[sc->n].end = end;
		sc->v[sc->n].lines = sc->lines;
		sc->n++;
		sc->cells += sc->sec_cells;
	}
	sc->open = 0;
}

/* True when md4c gives byte c of a heading or a table cell as it stands
 * (no markup, entity or escape can start with it); '#' only in cells. */
static int
scan_plain(unsigned char c, int cell)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == ' ' || c == ',' || c == '.' || c == ':' ||
	       c == ';' || c == '\'' || c == '"' || c == '/' || c == '(' || c == ')' ||
	       c == '-' || c == '?' || c == '+' || c == '=' || c == '%' || c == '$' ||
	       c == '@' || (cell && c == '#');
}

/* An ATX heading of level with text t[0..n), on the line at start, starts a
 * section whose body begins at body. */
static void
scan_heading(struct scan *sc, const char *t, size_t n, int level, size_t start, size_t body)
{
	size_t a = 0, k;
	int simple = 1, date = 0, spaces = 0;

	while (a < n && (t[a] == ' ' || t[a] == '\t'))
		a++;
	while (n > a && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	scan_close(sc, start, a < n && (unsigned char)t[a] < 0x80 && isalnum((unsigned char)t[a]));
	/* one pass: plain bytes, spaces (read only when plain), "date" */
	for (k = a; k < n; k++) {
		unsigned char c = (unsigned char)t[k];
		if (c == ' ') {
			spaces++;
		} else if ((unsigned)((c | 0x20) - 'a') < 26) {
			if ((c | 0x20) == 'd' && !date && k + 4 <= n)
				date = (t[k + 1] | 0x20) == 'a' && (t[k + 2] | 0x20) == 't' &&
				       (t[k + 3] | 0x20) == 'e';
		} else if (simple && (unsigned)(c - '0') >= 10) {
			simple = scan_plain(c, 0);
		}
	}
	while (sc->nh > 0 && sc->hs[sc->nh - 1].level >= level)
		sc->nh--;
	sc->hs[sc->nh].t = t + a;
	sc->hs[sc->nh].n = n - a;
	sc->hs[sc->nh].level = level;
	sc->hs[sc->nh].simple = (signed char)simple;
	/* markup or entities: may be anything; the title is an action heading
	 * only when it is only the words of one (rules_index) */
	sc->hs[sc->nh].action = !simple ? 1 : !sc->seen_heading && spaces > 2 ? 0 : -1;
	sc->nh++;
	sc->seen_heading = 1;
	sc->cand = !date;
	sc->open = 1;
	sc->dirty = sc->listy = 0;
	sc->body = body;
	sc->text = body;
	sc->lines = 0;
	sc->sec_cells = 0;
}

/* The first position after the list markers and block quote markers at
 * s[i..n) (white space skipped); *marks says whether there were any. */
static size_t
scan_markers(const char *s, size_t i, size_t n, int *list, int *quote)
{
	for (;;) {
		size_t k = i;
		if (k < n && s[k] == '>') {
			*quote = 1;
			k++;
		} else if (k + 1 < n && (s[k] == '-' || s[k] == '*' || s[k] == '+') &&
		           (s[k + 1] == ' ' || s[k + 1] == '\t')) {
			*list = 1;
			k += 2;
		} else {
			while (k < n && k - i < 9 && isdigit((unsigned char)s[k]))
				k++;
			if (k == i || k + 1 >= n || (s[k] != '.' && s[k] != ')') ||
			    (s[k + 1] != ' ' && s[k + 1] != '\t'))
				return i;
			*list = 1;
			k += 2;
		}
		while (k < n && (s[k] == ' ' || s[k] == '\t'))
			k++;
		i = k;
	}
}

/* A table header row t[0..n) ("| Time | Event |") whose cells are plain text
 * and name no action column: outside action sections its table yields
 * nothing (table_items wants a strong action column there). */
static int
scan_table_header(const struct scan *sc, const char *t, size_t n)
{
	size_t i = 1, k;

	if (n < 2 || t[0] != '|')
		return 0;
	while (i < n) {
		size_t e = i, a, z;
		while (e < n && t[e] != '|')
			e++;
		for (a = i; a < e && (t[a] == ' ' || t[a] == '\t'); a++)
			;
		for (z = e; z > a && (t[z - 1] == ' ' || t[z - 1] == '\t'); z--)
			;
		for (k = a; k < z; k++)
			if (!scan_plain((unsigned char)t[k], 1))
				return 0;
		if (z > a && scan_vocab(sc, 2, t + a, z - a))
			return 0;
		i = e + 1;
	}
	return 1;
}

/* The number of columns of a delimiter row t[0..n) md4c reads as one
 * ("|---|:---:|", every cell three dashes or more), else 0. */
static int
scan_delimiter_row(const char *t, size_t n)
{
	size_t i = 1;
	int cols = 0;

	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	if (n < 2 || t[0] != '|' || t[n - 1] != '|')
		return 0;
	while (i < n) {
		int dashes = 0;
		while (i < n && t[i] == ' ')
			i++;
		if (i < n && t[i] == ':')
			i++;
		while (i < n && t[i] == '-')
			i++, dashes++;
		if (i < n && t[i] == ':')
			i++;
		while (i < n && t[i] == ' ')
			i++;
		if (dashes < 3 || i >= n || t[i] != '|')
			return 0;
		i++;
		cols++;
	}
	return cols <= 128 ? cols : 0;	/* wider ones are left to md4c */
}

/* Finds the sections md4c need not read in s[from..len). */
static void
scan_document(struct scan *sc, const char *s, size_t from, size_t len)
{
	const char *q, *pipe;
	size_t i, fence_len = 0;
	char fence = 0;
	int prev_blank = 1, prev_heading = 0, pipe_run = 0;

	/* a CR not followed by LF ends a line for md4c, not for us */
	for (q = s + from; (q = memchr(q, '\r', (size_t)(s + len - q))) != NULL; q++)
		if (q + 1 == s + len || q[1] != '\n') {
			sc->bail = 1;
			return;
		}
	sc->s = s;
	sc->text = (size_t)-1;
	sc->cache = vocab_ready(sc->opts);
	pipe = memchr(s + from, '|', len - from);
	for (i = from; i < len && !sc->bail; i = q ? (size_t)(q - s) + 1 : len) {
		const char *t = s + i;
		size_t n, ind = 0, p, k;
		int list = 0, quote = 0;
		unsigned char c;

		q = memchr(t, '\n', len - i);
		n = (size_t)((q ? q : s + len) - t);
		if (n > 0 && t[n - 1] == '\r')
			n--;
		while (ind < n && (t[ind] == ' ' || t[ind] == '\t'))
			ind++;
		if (pipe && pipe < t)
			pipe = memchr(t, '|', len - i);
		if (ind < n && (t[ind] == '|' || t[ind] == ':' || t[ind] == '-') && !sc->short_rows)
			sc->short_rows = short_delimiter_row(t, n);
		if (fence) {
			/* in a fenced code block: only its end matters */
			if (ind < n && t[ind] == fence) {
				for (k = ind; k < n && t[k] == fence; k++)
					;
				if (ind > 0 && k - ind >= 3) {
					sc->bail = 1;	/* an indented closing fence */
				} else if (k - ind >= fence_len && ltrim_off(t + k, n - k) == n - k) {
					fence = 0;
					prev_blank = 0;
					if (sc->open)
						sc->text = q ? (size_t)(q - s) + 1 : len;
				}
			}
			sc->lines += q != NULL;
			continue;
		}
		if (ind == n) {
			if (sc->table == 1)
				sc->dirty = 1;	/* a paragraph after all */
			else if (sc->table && sc->open && sc->text == (size_t)-1)
				sc->text = i;	/* after a table */
			sc->table = 0;
			prev_blank = 1;
			prev_heading = 0;
			pipe_run = 0;
			sc->lines += q != NULL;
			continue;
		}
		c = (unsigned char)t[ind];
		if (c < 0x20 || c == 0x7f) {
			sc->bail = 1;
			break;
		}
		if (ind == 0 && c == '#') {
			for (k = 0; k < n && t[k] == '#'; k++)
				;
			if (k <= 6 && (k == n || t[k] == ' ' || t[k] == '\t')) {
				if (pipe_run) {
					sc->bail = 1;	/* a table row to md4c */
					break;
				}
				scan_heading(sc, t + k, n - k, (int)k, i, q ? (size_t)(q - s) + 1 : len);
				prev_blank = 0;
				prev_heading = 1;
				continue;
			}
		}
		if ((c == '`' || c == '~') && ind + 2 < n && t[ind + 1] == c && t[ind + 2] == c) {
			for (k = ind; k < n && t[k] == c; k++)
				;
			if (ind > 0 || pipe_run) {
				sc->bail = 1;
				break;
			}
			if (c == '~' || memchr(t + k, '`', n - k) == NULL) {
				fence = (char)c;
				fence_len = k;
				if (sc->text != (size_t)-1)
					scan_text(sc, i);
				sc->lines += q != NULL;
				continue;
			}
		}
		p = scan_markers(t, ind, n, &list, &quote);
		if (p < n && (t[p] == '#' || ((t[p] == '`' || t[p] == '~') && p > ind))) {
			sc->bail = 1;	/* a heading or a fence this scan does not place */
			break;
		}
		if (!prev_blank && p < n && (t[p] == '=' || t[p] == '-')) {
			for (k = p; k < n && t[k] == t[p]; k++)
				;
			if (ltrim_off(t + k, n - k) == n - k) {
				sc->bail = 1;	/* maybe a setext heading's underline */
				break;
			}
		}
		if (pipe && pipe < t + n && !pipe_run && sc->open && sc->cand && !sc->dirty &&
		    (prev_blank || prev_heading) && !memchr(t, '`', n) && !memchr(t, '\\', n) &&
		    scan_table_header(sc, t, n)) {
			/* a table that yields nothing: its lines are not text */
			sc->table = 1;
			if (sc->text != (size_t)-1)
				scan_text(sc, i);
		} else if (sc->table == 1) {
			if ((sc->cols = scan_delimiter_row(t, n)) == 0) {
				sc->dirty = 1;
			} else {
				sc->table = 2;
				sc->sec_cells += (size_t)sc->cols;	/* the header row */
			}
		} else if (sc->table == 2) {
			if (t[0] == '|')
				sc->sec_cells += (size_t)sc->cols;
			else
				sc->dirty = 1;
		}
		if (pipe && pipe < t + n)
			pipe_run = 1;
		prev_blank = prev_heading = 0;
		sc->lines += q != NULL;
		if (sc->table)
			sc->listy = 1;
		if (!sc->open || !sc->cand || sc->dirty || sc->table)
			continue;
		if (list || isdigit(c) || c == '-' || c == '*' || c == '+')
			sc->listy = 1;
		if (quote || p >= n || (unsigned char)t[p] >= 0x80 || !isalnum((unsigned char)t[p]) ||
		    t[p] == 'P' || t[p] == 'p')
			sc->dirty = 1;
	}
	scan_close(sc, len, 1);
	sc->done = !sc->bail;
	if (sc->bail)
		sc->n = 0;
}

/* The copy md4c reads: front matter emptied (its lines kept), the sections
 * it need not read left out (*cuts says where; none when rows are widened),
 * short table delimiter rows widened, zero padding after it. */
static int
prepare_input(char **out, size_t *outlen, struct cut **cuts, size_t *ncuts, size_t *cells,
              const char *text, size_t len, struct cl_blocks *b,
              const struct cl_parse_opts *opts, int read_all)
{
	size_t fm = front_matter_end(text, len), i, need = 0, c, o, removed = 0;
	struct scan sc;
	struct cl_buf w = CL_BUF_INIT;
	const char *q;
	int rc;

	*out = NULL;
	*cuts = NULL;
	*ncuts = 0;
	if (fm && (rc = front_matter_blocks(b, text, fm)) != 0)
		return rc;
	memset(&sc, 0, sizeof sc);
	sc.opts = opts;
	if (!read_all)
		scan_document(&sc, text, fm, len);
	*cells = sc.n ? sc.cells : 0;
	/* is there a delimiter row to widen? (a first character check per line;
	 * the scan looked when it read to the end) */
	need = (size_t)sc.short_rows;
	for (i = sc.done ? len : fm, c = 0; i < len && !need;) {
		size_t k = i;
		if (c < sc.n && i >= sc.v[c].start) {
			i = sc.v[c++].end;
			continue;
		}
		while (k < len && (text[k] == ' ' || text[k] == '\t'))
			k++;
		q = memchr(text + i, '\n', len - i);
		need = k < len && (text[k] == '|' || text[k] == ':' || text[k] == '-') &&
		       short_delimiter_row(text + i, (q ? (size_t)(q - text) : len) - i);
		i = q ? (size_t)(q - text) + 1 : len;
	}
	if (!need) {
		if ((*out = cl_malloc(len + MD4C_PAD)) == NULL) {
			free(sc.v);
			return CL_ENOMEM;
		}
		/* the front matter: its newlines */
		for (i = 0, o = 0; i < fm; i++)
			if (text[i] == '\n')
				(*out)[o++] = '\n';
		for (c = 0; c <= sc.n; c++) {
			size_t end = c < sc.n ? sc.v[c].start : len;
			memcpy(*out + o, text + i, end - i);
			o += end - i;
			if (c == sc.n)
				break;
			/* left out entirely (md4c reads no empty lines for it):
			 * the reader's line numbers skip its lines there */
			i = sc.v[c].end;
			removed += sc.v[c].lines;
			sc.v[c].start = o;
			sc.v[c].lines = removed;
		}
		memset(*out + o, 0, MD4C_PAD);
		*outlen = o;
		*cuts = sc.v;
		*ncuts = sc.n;
		return 0;
	}
	for (i = 0; i < fm; i++)
		if (text[i] == '\n')
			cl_buf_putc(&w, '\n');
	for (i = fm, c = 0; i < len; i = q ? (size_t)(q - text) + 1 : len) {
		size_t e;
		if (c < sc.n && i >= sc.v[c].start) {
			for (e = 0; e < sc.v[c].lines; e++)
				cl_buf_putc(&w, '\n');
			i = sc.v[c++].end;
			q = i > 0 ? text + i - 1 : NULL;	/* a cut ends at a line start */
			continue;
		}
		q = memchr(text + i, '\n', len - i);
		e = q ? (size_t)(q - text) : len;
		if (short_delimiter_row(text + i, e - i))
			widen_delimiter_row(&w, text + i, e - i);
		else
			cl_buf_add(&w, text + i, e - i);
		if (q)
			cl_buf_putc(&w, '\n');
	}
	free(sc.v);
	for (i = 0; i < MD4C_PAD; i++)
		cl_buf_putc(&w, '\0');
	if (w.oom) {
		cl_buf_release(&w);
		return CL_ENOMEM;
	}
	*outlen = w.len - MD4C_PAD;
	*out = w.data;
	return 0;
}

/* ---- entry points ------------------------------------------------------------------ */

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
			/* ASCII runs, 64, 32, then eight bytes at a time */
			while (i + 64 <= len) {
				uint64_t w[8];
				memcpy(w, u + i, 64);
				if ((w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) &
				    0x8080808080808080ULL)
					break;
				i += 64;
			}
			while (i + 32 <= len) {
				uint64_t w[4];
				memcpy(w, u + i, 32);
				if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL)
					break;
				i += 32;
			}
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

/* Two strings alike (NULL only like NULL). */
static int
str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int
cl_pm_doc_same(const struct cl_pm_doc *a, const struct cl_pm_doc *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	if (!str_same(a->title, b->title) || a->title_line != b->title_line ||
	    a->incident_date != b->incident_date || a->written_date != b->written_date ||
	    !str_same(a->severity, b->severity) || !str_same(a->authors, b->authors) ||
	    a->is_runbook != b->is_runbook || !str_same(a->rb_owner, b->rb_owner) ||
	    a->rb_last_tested != b->rb_last_tested ||
	    !str_same(a->rb_rto_target, b->rb_rto_target) || a->rb_actual_rto != b->rb_actual_rto ||
	    a->has_action_section != b->has_action_section ||
	    a->action_section_line != b->action_section_line || a->nitems != b->nitems ||
	    !str_same(a->status, b->status) || !str_same(a->team, b->team) ||
	    a->nsections != b->nsections)
		return 0;
	for (i = 0; i < a->nitems; i++) {
		const struct cl_pm_item *x = &a->items[i], *y = &b->items[i];
		if (x->line != y->line || !str_same(x->action, y->action) ||
		    !str_same(x->owner, y->owner) || !str_same(x->owner_raw, y->owner_raw) ||
		    !str_same(x->due_raw, y->due_raw) || x->due != y->due || x->done != y->done ||
		    !str_same(x->ticket, y->ticket) || !str_same(x->priority, y->priority) ||
		    x->owners_several != y->owners_several || x->due_approx != y->due_approx ||
		    !str_same(x->owner_email, y->owner_email) || !str_same(x->status, y->status))
			return 0;
	}
	for (i = 0; i < a->nsections; i++)
		if (a->sections[i].line != b->sections[i].line ||
		    a->sections[i].nitems != b->sections[i].nitems ||
		    !str_same(a->sections[i].title, b->sections[i].title))
			return 0;
	return 1;
}

void
cl_pm_doc_free(struct cl_pm_doc *d)
{
	if (d == NULL)
		return;
	free(d->sections);
	free(d->items);
	arena_free(d->strings);
	free(d);
}

/* Parses a document; read_all: md4c reads every section. */
static int
parse_document(struct cl_pm_doc **out, const char *text, size_t len, int ref,
               const struct cl_parse_opts *opts, int read_all, struct cl_error *err)
{
	MD_PARSER parser;
	struct reader p;
	struct cl_blocks blocks;
	char *padded = NULL;
	size_t plen = 0;
	long failures = cl_alloc_failures();
	int bad, rc = 0, k;

	*out = NULL;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if ((bad = cl_utf8_check(text, len)) != 0)
		return cl_error_set(err, CL_EDATA, "line %d: not valid UTF-8", bad);
	memset(&p, 0, offsetof(struct reader, open));
	memset(&blocks, 0, sizeof blocks);
	/* md4c 0.4.8 reads a little past the size it is given on some inputs
	 * (valgrind shows it on tests/fuzz/regress/parse/md4c-range-past-end):
	 * it reads a copy followed by zero bytes that belong to us */
	if ((rc = prepare_input(&padded, &plen, &p.cuts, &p.ncuts, &p.cells, text, len, &blocks,
	                        opts, read_all)) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	p.input = padded;
	p.len = plen;
	p.err = err;
	p.blocks = &blocks;
	if (index_lines(&p) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	memset(&parser, 0, sizeof parser);
	parser.abi_version = 0;
	parser.flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
	parser.enter_block = on_enter_block;
	parser.leave_block = on_leave_block;
	parser.enter_span = on_enter_span;
	parser.leave_span = on_leave_span;
	parser.text = on_text;
	/* p.cells counts the cells of the tables left out too */
	if (md_parse(padded, (MD_SIZE)plen, &parser, &p) != 0 || p.failed ||
	    (p.cells > CL_PARSE_MAX_CELLS &&
	     fail(&p, CL_EDATA, "too many table cells in one document") != 0)) {
		if (!p.failed)
			cl_error_set(err, CL_EDATA, "unable to parse Markdown");
		rc = p.failed ? p.failed : CL_EDATA;
		goto done;
	}
	rc = cl_parse_blocks(out, &blocks, ref, opts, err);
done:
	/* some fields are filled where a failed copy cannot be reported on the
	 * spot: never hand out a document with its title or an owner missing,
	 * nor call it bad Markdown when memory ran out */
	if (cl_alloc_failures() != failures && rc != CL_ENOMEM) {
		if (rc != 0)
			cl_error_clear(err);
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		cl_pm_doc_free(*out);
		*out = NULL;
	}
	for (k = 0; k < p.maxopen; k++) {
		cl_buf_release(&p.bufs[k]);
		free(p.open[k].links);
	}
	free(p.link_href);
	free(p.line_starts);
	free(p.line_no);
	free(p.cuts);
	free(padded);
	cl_blocks_release(&blocks);
	return rc;
}

int
cl_parse_document_opts(struct cl_pm_doc **out, const char *text, size_t len, int ref,
                       const struct cl_parse_opts *opts, struct cl_error *err)
{
	return parse_document(out, text, len, ref, opts, 0, err);
}

int
cl_parse_document_read_all(struct cl_pm_doc **out, const char *text, size_t len, int ref,
                           const struct cl_parse_opts *opts, struct cl_error *err)
{
	return parse_document(out, text, len, ref, opts, 1, err);
}

int
cl_parse_document(struct cl_pm_doc **out, const char *text, size_t len, int ref,
                  struct cl_error *err)
{
	return cl_parse_document_opts(out, text, len, ref, NULL, err);
}
