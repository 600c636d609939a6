/* config.c — INI configuration read with inih, [people], secrets. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "dates.h"
#include "mail.h"
#include "tracker.h"
#include "util.h"

struct entry {
	char *section, *key, *value;
	int line;
};

struct cl_config {
	char *path;
	struct entry *v;
	size_t n, cap;
	struct cl_person *people;
	size_t npeople, people_cap;
	/* [people] looked up by hash (8,000 people made import 5x slower):
	 * slots hold index + 1, open addressing; by_other holds every name,
	 * address and tracker handle, in people order */
	size_t *by_handle, *by_other;
	size_t handle_cap, other_cap;
	/* entries by section and key (the same table form): a lookup of a
	 * [lint] key per item scanned every [people] entry before */
	size_t *by_key;
	size_t key_cap;
	int holds_inline_secret;
	char **warnings;	/* "FILE:LINE: [section] key: ..." */
	size_t nwarnings, warnings_cap;
};

/* The keys of an HTTP peer, [tracker] and [source "NAME"] alike (checked by
 * HTTP_CHECKS below). */
#define HTTP_KEYS "kind url flavor project user token token_file token_env ca_file " \
	"connect_timeout_s timeout_s retries max_wait_s "

/* Every key closeloop knows, by section; [people] takes any handle. */
static const char *const known_keys[] = {
	"closeloop", "database timezone sources today max_file_size",
	"tracker", HTTP_KEYS "labels min_interval_ms issue_type tracker_id closed_status_id "
	           "extra_fields timezone search_wait_ms manage_linked max_sync_s allow_http",
	"mail", "transport host port tls user password password_file password_env from "
	        "outbox ca_file timeout_s connect_timeout_s helo",
	"report", "to weekday hour per_owner owners rows team",
	"nag", "due_soon_days every_days escalate_after_days escalate_to",
	"drill", "organizer after_close_days duration_minutes timezone max_age_days "
	         "work_start_hour work_end_hour",
	"lint", "late_hours not_owners",
	"import", "headings include exclude follow_symlinks missing_days",
	/* [source "NAME"] (lib/source.c): every kind's keys, so typos are caught */
	"source", HTTP_KEYS "space label cql limit full_listing_hours",
	NULL
};

/* Sections whose keys are names (any key): [people], [teams], [slo]. */
static const char *const free_sections[] = { "people", "teams", "slo", NULL };

/* Keys that elsewhere turn TLS verification off: closeloop has none, and
 * refuses them rather than warn, so that nobody believes one worked. */
static const char *const refused_keys[] = {
	"insecure", "verify", "ssl_verify", "tls_verify", "verify_peer", "ssl_verify_peer",
	"no_verify", "skip_verify", "insecure_skip_verify", NULL
};

/* 1 when key is listed for section, 0 when not, -1 for a section of
 * free keys, -2 for an unknown section. A named section ([report "ops"])
 * takes its base section's keys. */
static int
key_known(const char *section, const char *key)
{
	size_t i, klen = strlen(key), slen = strcspn(section, " \"");
	const char *p;

	for (i = 0; free_sections[i]; i++)
		if (strlen(free_sections[i]) == slen && strncmp(free_sections[i], section, slen) == 0)
			return -1;
	for (i = 0; known_keys[i]; i += 2) {
		if (strlen(known_keys[i]) != slen || strncmp(known_keys[i], section, slen) != 0)
			continue;
		if (klen == 0)	/* "= value" or a header: never a known key */
			return 0;
		for (p = known_keys[i + 1]; (p = strstr(p, key)) != NULL; p += klen) {
			if ((p == known_keys[i + 1] || p[-1] == ' ') &&
			    (p[klen] == ' ' || p[klen] == '\0'))
				return 1;
		}
		return 0;
	}
	return -2;
}

/* The nearest known key of section (for "did you mean"), or NULL. */
static const char *
key_nearest(const char *section, const char *key, char *buf, size_t size)
{
	const char *words[64], *near;
	char list[1024], *w, *save = NULL;
	size_t i, n = 0, slen = strcspn(section, " \"");

	for (i = 0; known_keys[i]; i += 2)
		if (strlen(known_keys[i]) == slen && strncmp(known_keys[i], section, slen) == 0)
			break;
	if (known_keys[i] == NULL)
		return NULL;
	snprintf(list, sizeof list, "%s", known_keys[i + 1]);
	for (w = strtok_r(list, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	if ((near = cl_str_nearest(key, words, n)) == NULL)
		return NULL;
	snprintf(buf, size, "%s", near);
	return buf;
}

/* The nearest known section, or NULL. */
static const char *
section_nearest(const char *section)
{
	const char *names[32];
	size_t i, n = 0;

	for (i = 0; known_keys[i] && n < 24; i += 2)
		names[n++] = known_keys[i];
	for (i = 0; free_sections[i] && n < 32; i++)
		names[n++] = free_sections[i];
	return cl_str_nearest(section, names, n);
}

struct cl_config *
cl_config_new(void)
{
	return cl_calloc(1, sizeof(struct cl_config));
}

static void
person_clear(struct cl_person *p)
{
	free(p->handle);
	free(p->name);
	free(p->email);
	free(p->tracker);
	free(p->lead);
	free(p->confluence);
}

void
cl_config_free(struct cl_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n; i++) {
		free(cfg->v[i].section);
		free(cfg->v[i].key);
		if (cfg->v[i].value)
			explicit_bzero(cfg->v[i].value, strlen(cfg->v[i].value));
		free(cfg->v[i].value);
	}
	for (i = 0; i < cfg->npeople; i++)
		person_clear(&cfg->people[i]);
	for (i = 0; i < cfg->nwarnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	free(cfg->people);
	free(cfg->by_handle);
	free(cfg->by_other);
	free(cfg->by_key);
	free(cfg->v);
	free(cfg->path);
	free(cfg);
}

const char *
cl_config_path(const struct cl_config *cfg)
{
	return cfg ? cfg->path : NULL;
}

/* FNV-1a over section, a NUL and key: the slot an entry starts probing at. */
static size_t
entry_slot(const char *section, const char *key, size_t cap)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *section; section++)
		h = (h ^ (unsigned char)*section) * 0x100000001b3ull;
	h *= 0x100000001b3ull;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 31)) & (cap - 1);
}

/* Files entry i in the key table, growing it at half full. */
static int
entry_index(struct cl_config *cfg, size_t i)
{
	size_t k;

	if ((i + 1) * 2 > cfg->key_cap) {
		size_t cap = cfg->key_cap ? cfg->key_cap * 2 : 64, j;
		size_t *t = cl_calloc(cap, sizeof *t);
		if (t == NULL)
			return CL_ENOMEM;
		free(cfg->by_key);
		cfg->by_key = t;
		cfg->key_cap = cap;
		for (j = 0; j < i; j++)
			entry_index(cfg, j);
	}
	for (k = entry_slot(cfg->v[i].section, cfg->v[i].key, cfg->key_cap); cfg->by_key[k];
	     k = (k + 1) & (cfg->key_cap - 1))
		;
	cfg->by_key[k] = i + 1;
	return 0;
}

static struct entry *
find_entry(const struct cl_config *cfg, const char *section, const char *key)
{
	size_t k;

	if (cfg == NULL || cfg->key_cap == 0)
		return NULL;
	for (k = entry_slot(section, key, cfg->key_cap); cfg->by_key[k];
	     k = (k + 1) & (cfg->key_cap - 1)) {
		struct entry *e = &cfg->v[cfg->by_key[k] - 1];
		if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* Appends or replaces section.key. */
static int
config_put(struct cl_config *cfg, const char *section, const char *key,
           const char *value, int line)
{
	struct entry *e = find_entry(cfg, section, key);
	char *v;

	if ((v = cl_strdup(value)) == NULL)
		return CL_ENOMEM;
	if (e != NULL) {
		free(e->value);
		e->value = v;
		e->line = line;
		return 0;
	}
	if (cl_grow(&cfg->v, &cfg->cap, cfg->n, sizeof *cfg->v, 32) != 0) {
		free(v);
		return CL_ENOMEM;
	}
	e = &cfg->v[cfg->n];
	e->section = cl_strdup(section);
	e->key = cl_strdup(key);
	e->value = v;
	e->line = line;
	if (e->section == NULL || e->key == NULL || entry_index(cfg, cfg->n) != 0) {
		free(e->section);
		free(e->key);
		free(v);
		return CL_ENOMEM;
	}
	cfg->n++;
	return 0;
}

static int people_build(struct cl_config *cfg, struct cl_error *err);

int
cl_config_set(struct cl_config *cfg, const char *section, const char *key,
              const char *value)
{
	int rc = config_put(cfg, section, key, value, 0);

	if (rc == 0 && strcmp(section, "people") == 0)
		rc = people_build(cfg, NULL) == 0 ? 0 : CL_ENOMEM;
	return rc;
}

/* Keeps a warning about the file (unknown key or section). */
static int config_warn(struct cl_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int
config_warn(struct cl_config *cfg, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (cl_grow(&cfg->warnings, &cfg->warnings_cap, cfg->nwarnings, sizeof *cfg->warnings, 8) != 0)
		return CL_ENOMEM;
	if ((cfg->warnings[cfg->nwarnings] = cl_strdup(msg)) == NULL)
		return CL_ENOMEM;
	cfg->nwarnings++;
	return 0;
}

size_t
cl_config_warning_count(const struct cl_config *cfg)
{
	return cfg ? cfg->nwarnings : 0;
}

const char *
cl_config_warning(const struct cl_config *cfg, size_t i)
{
	return cfg && i < cfg->nwarnings ? cfg->warnings[i] : NULL;
}

struct parse_state {
	struct cl_config *cfg;
	const char *path;
	char msg[512];
	int line;
	int code;
	char **long_values;	/* values too long for inih's line, by index */
	size_t nlong, long_cap;
	char last_section[64];	/* the last unknown section warned about */
};

/* inih callback: stores one key; unknown keys and sections are warnings. */
static int
config_on_key(void *user, const char *section, const char *name, const char *value,
            int lineno)
{
	struct parse_state *st = user;
	char sec[64], key[128], near[64];
	const char *hint;
	size_t i;
	int known;

	snprintf(sec, sizeof sec, "%s", section);
	snprintf(key, sizeof key, "%s", name ? name : "");
	cl_str_lower(sec);
	if (value && value[0] == '\x01') {	/* a long value, kept aside by the reader */
		i = (size_t)strtoul(value + 1, NULL, 10);
		value = i < st->nlong ? st->long_values[i] : "";
	}
	if (*sec == '\0') {
		snprintf(st->msg, sizeof st->msg, "key '%s' outside any section", key);
		st->line = lineno;
		return 0;
	}
	for (i = 0; refused_keys[i]; i++) {
		if (strcmp(key, refused_keys[i]) == 0) {
			snprintf(st->msg, sizeof st->msg, "[%s] %s: unknown key; TLS verification "
			         "cannot be turned off (use ca_file for a private CA)", sec, key);
			st->line = lineno;
			return 0;
		}
	}
	known = key_known(sec, key);
	if (known == -2) {
		if (strcmp(st->last_section, sec) != 0) {
			snprintf(st->last_section, sizeof st->last_section, "%s", sec);
			hint = section_nearest(sec);
			if (config_warn(st->cfg, "%s:%d: [%s]: unknown section, ignored%s%s%s", st->path,
			                lineno, sec, hint ? " (did you mean [" : "", hint ? hint : "",
			                hint ? "]?)" : "") != 0)
				goto oom;
		}
		return 1;
	}
	if (known == 0) {
		hint = key_nearest(sec, key, near, sizeof near);
		if (config_warn(st->cfg, "%s:%d: [%s] %s: unknown key, ignored%s%s%s", st->path,
		                lineno, sec, key, hint ? " (did you mean '" : "", hint ? hint : "",
		                hint ? "'?)" : "") != 0)
			goto oom;
		return 1;
	}
	if (known == -1 && strcmp(sec, "people") == 0)
		cl_str_lower(key);
	if (config_put(st->cfg, sec, key, value, lineno) != 0)
		goto oom;
	if (strcmp(key, "token") == 0 || strcmp(key, "password") == 0)
		st->cfg->holds_inline_secret = 1;
	return 1;
oom:
	snprintf(st->msg, sizeof st->msg, "out of memory");
	st->code = CL_ENOMEM;
	st->line = lineno;
	return 0;
}

/* The longest line closeloop reads (after joining continuation lines). */
#define CONFIG_MAX_LINE 4096

/* The config file cut into logical lines for inih: an indented line after a
 * key continues that key's value (joined with a blank); each line keeps the
 * number of the line it starts on. */
struct reader {
	char *text;		/* the whole file, cut in place */
	char *pos;
	int next_line;		/* number of the line at pos */
	int line;		/* number of the line last handed to inih */
	int prev_is_key;	/* the last line handed over was a key line */
	struct parse_state *st;
	char joined[CONFIG_MAX_LINE + 2];
};

/* Takes the next physical line (without its newline); NULL at the end. */
static char *
reader_physical(struct reader *r)
{
	char *line = r->pos, *nl;

	if (*line == '\0')
		return NULL;
	if ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		r->pos = nl + 1;
	} else {
		r->pos = line + strlen(line);
	}
	if (*line && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	r->next_line++;
	return line;
}

/* True for a line that only holds a comment or nothing. */
static int
line_blank(const char *s)
{
	s += strspn(s, " \t");
	return *s == '\0' || *s == ';' || *s == '#';
}

/* Fails the parse at the reader's line with msg. */
static char *
reader_fail(struct reader *r, int line, const char *msg)
{
	snprintf(r->st->msg, sizeof r->st->msg, "%s", msg);
	r->st->line = line;
	r->st->code = CL_ECONFIG;
	return NULL;
}

/* inih's reader: one logical line into str (at most num bytes). */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *line, *peek_pos, *eq;
	int start, peek_line;
	size_t len;

	if (r->st->code)
		return NULL;
	if ((line = reader_physical(r)) == NULL)
		return NULL;
	start = r->next_line;
	len = strlen(line);
	if (len > CONFIG_MAX_LINE)
		return reader_fail(r, start, "line too long (at most 4096 characters)");
	memcpy(r->joined, line, len + 1);
	/* an indented line right after a key line continues its value */
	if (!line_blank(line) && line[0] != ' ' && line[0] != '\t' && line[0] != '[') {
		for (;;) {
			/* look at the next line without taking it */
			peek_pos = r->pos;
			if (*peek_pos != ' ' && *peek_pos != '\t')
				break;
			eq = peek_pos + strcspn(peek_pos, "\n");
			{
				char save = *eq;
				*eq = '\0';
				peek_line = line_blank(peek_pos);
				*eq = save;
			}
			if (peek_line)
				break;
			line = reader_physical(r);
			line += strspn(line, " \t");
			if (len + 1 + strlen(line) > CONFIG_MAX_LINE)
				return reader_fail(r, start, "line too long (at most 4096 characters "
				                   "with its continuation lines)");
			r->joined[len++] = ' ';
			memcpy(r->joined + len, line, strlen(line) + 1);
			len += strlen(line);
		}
	} else if (line[0] == ' ' || line[0] == '\t') {
		/* indented, but no key before it: an ordinary line */
		memmove(r->joined, r->joined + strspn(r->joined, " \t"),
		        strlen(r->joined + strspn(r->joined, " \t")) + 1);
		len = strlen(r->joined);
	}
	if (r->joined[0] == '[' && strchr(r->joined, ']') == NULL) {
		char msg[160];
		snprintf(msg, sizeof msg, "section header '%.60s' is not closed with ']'",
		         r->joined);
		return reader_fail(r, start, msg);
	}
	r->line = start;
	/* a line longer than inih's buffer: its value waits aside */
	if ((int)len + 3 > num && (eq = strpbrk(r->joined, "=:")) != NULL) {
		char *v = eq + 1, *cut;
		v += strspn(v, " \t");
		if ((cut = strstr(v, " ;")) != NULL)
			*cut = '\0';
		cl_str_trim(v);
		if (cl_grow(&r->st->long_values, &r->st->long_cap, r->st->nlong,
		            sizeof *r->st->long_values, 4) != 0)
			return reader_fail(r, start, "out of memory");
		if ((r->st->long_values[r->st->nlong] = cl_strdup(v)) == NULL)
			return reader_fail(r, start, "out of memory");
		snprintf(eq + 1, 24, " \x01%zu", r->st->nlong++);
		len = strlen(r->joined);
	}
	if ((int)len + 3 > num)
		return reader_fail(r, start, "line too long");
	memcpy(str, r->joined, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int
ini_handler_noline(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	return config_on_key(r->st, section, name, value, r->line);
}

/* "Alice Doe <alice@example.com>" or "alice@example.com" (through the one
 * address parser, cl_mailbox_parse_list) or "Alice Doe" (a name only). A
 * value with an '@' that is not one valid address: CL_EDATA. */
static int
person_parse_address(struct cl_person *p, const char *value)
{
	struct cl_mailbox *mb = NULL;
	size_t n = 0;
	int rc;

	/* a name alone, unless it meant to give an address ("Ana <ana.example.com>") */
	if (strchr(value, '@') == NULL && strchr(value, '<') == NULL)
		return (p->name = cl_strdup(value)) ? 0 : CL_ENOMEM;
	if ((rc = cl_mailbox_parse_list(&mb, &n, value, NULL)) != 0 || n != 1) {
		cl_mailboxes_free(mb, n);
		return rc == CL_ENOMEM ? CL_ENOMEM : CL_EDATA;
	}
	p->name = mb[0].name;
	p->email = mb[0].email;
	mb[0].name = mb[0].email = NULL;
	cl_mailboxes_free(mb, n);
	return 0;
}

/* Case-insensitive FNV-1a: the slot a name starts probing at. */
static size_t
name_slot(const char *s, size_t cap)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)tolower((unsigned char)*s)) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 31)) & (cap - 1);
}

/* Puts person idx under key in a table of cap slots (cap > entries). */
static void
slot_put(size_t *tab, size_t cap, const char *key, size_t idx)
{
	size_t k;

	for (k = name_slot(key, cap); tab[k]; k = (k + 1) & (cap - 1))
		;
	tab[k] = idx + 1;
}

/* Rebuilds the handle table for n people (grows it when needed). */
static int
handles_index(struct cl_config *cfg, size_t n)
{
	size_t cap = cfg->handle_cap, i;

	if (n * 2 < cap)
		return 0;
	cap = cap ? cap : 64;
	while (n * 2 >= cap)
		cap *= 2;
	free(cfg->by_handle);
	if ((cfg->by_handle = cl_calloc(cap, sizeof *cfg->by_handle)) == NULL) {
		cfg->handle_cap = 0;
		return CL_ENOMEM;
	}
	cfg->handle_cap = cap;
	for (i = 0; i < cfg->npeople; i++)
		slot_put(cfg->by_handle, cap, cfg->people[i].handle, i);
	return 0;
}

/* Builds the table of names, addresses and tracker handles. */
static int
others_index(struct cl_config *cfg)
{
	size_t cap = 64, i;

	while (cfg->npeople * 6 >= cap)
		cap *= 2;
	free(cfg->by_other);
	if ((cfg->by_other = cl_calloc(cap, sizeof *cfg->by_other)) == NULL) {
		cfg->other_cap = 0;
		return CL_ENOMEM;
	}
	cfg->other_cap = cap;
	for (i = 0; i < cfg->npeople; i++) {
		const struct cl_person *p = &cfg->people[i];
		if (p->name)
			slot_put(cfg->by_other, cap, p->name, i);
		if (p->email)
			slot_put(cfg->by_other, cap, p->email, i);
		if (p->tracker)
			slot_put(cfg->by_other, cap, p->tracker, i);
	}
	return 0;
}

static struct cl_person *
person_get(struct cl_config *cfg, const char *handle)
{
	struct cl_person *np;
	size_t k;

	if (cfg->handle_cap)
		for (k = name_slot(handle, cfg->handle_cap); cfg->by_handle[k];
		     k = (k + 1) & (cfg->handle_cap - 1))
			if (strcmp(cfg->people[cfg->by_handle[k] - 1].handle, handle) == 0)
				return &cfg->people[cfg->by_handle[k] - 1];
	if (handles_index(cfg, cfg->npeople + 1) != 0)
		return NULL;
	if (cl_grow(&cfg->people, &cfg->people_cap, cfg->npeople, sizeof *cfg->people, 16) != 0)
		return NULL;
	np = cfg->people;
	memset(&np[cfg->npeople], 0, sizeof *np);
	if ((np[cfg->npeople].handle = cl_strdup(handle)) == NULL)
		return NULL;
	slot_put(cfg->by_handle, cfg->handle_cap, handle, cfg->npeople);
	return &np[cfg->npeople++];
}

/* Builds the people table from [people] entries. */
static int
people_build(struct cl_config *cfg, struct cl_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < cfg->npeople; i++)
		person_clear(&cfg->people[i]);
	free(cfg->people);
	cfg->people = NULL;
	cfg->npeople = cfg->people_cap = 0;
	if (cfg->handle_cap)
		memset(cfg->by_handle, 0, cfg->handle_cap * sizeof *cfg->by_handle);
	for (i = 0; i < cfg->n; i++) {
		struct entry *e = &cfg->v[i];
		struct cl_person *p;
		char handle[128], *dot;
		char **slot = NULL;

		if (strcmp(e->section, "people") != 0)
			continue;
		snprintf(handle, sizeof handle, "%s", e->key);
		if (handle[0] == '@')
			memmove(handle, handle + 1, strlen(handle));
		/* "li.wei" is a handle; "li.wei.lead" its lead: only a known
		 * attribute after the last dot splits the key */
		dot = strrchr(handle, '.');
		if (dot != NULL && (strcmp(dot + 1, "tracker") == 0 || strcmp(dot + 1, "lead") == 0 ||
		                    strcmp(dot + 1, "email") == 0 || strcmp(dot + 1, "name") == 0 ||
		                    strcmp(dot + 1, "confluence") == 0))
			*dot++ = '\0';
		else
			dot = NULL;
		if ((p = person_get(cfg, handle)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		if (dot == NULL) {
			free(p->name);
			free(p->email);
			p->name = p->email = NULL;
			if ((rc = person_parse_address(p, e->value)) == CL_EDATA)
				return cl_error_set(err, CL_ECONFIG, "%s:%d: [people] %s = '%s': not one "
				                    "valid e-mail address", cfg->path ? cfg->path :
				                    "config", e->line, e->key, e->value);
			if (rc != 0)
				return cl_error_set(err, CL_ENOMEM, "out of memory");
			continue;
		}
		if (strcmp(dot, "tracker") == 0)
			slot = &p->tracker;
		else if (strcmp(dot, "lead") == 0)
			slot = &p->lead;
		else if (strcmp(dot, "email") == 0)
			slot = &p->email;
		else if (strcmp(dot, "name") == 0)
			slot = &p->name;
		else if (strcmp(dot, "confluence") == 0)
			slot = &p->confluence;
		else
			return cl_error_set(err, CL_ERROR, "[people] attribute '%s'", dot);
		free(*slot);
		if ((*slot = cl_strdup(e->value)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		if (slot == &p->lead) {
			char *l = *slot;
			if (l[0] == '@')
				memmove(l, l + 1, strlen(l));
			cl_str_lower(l);
		}
	}
	return others_index(cfg) == 0 ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
}

/* Picks the file to read when none was named. */
static char *
config_default_path(void)
{
	const char *env = getenv("CLOSELOOP_CONFIG"), *xdg, *home;
	char *p;

	if (env != NULL && *env)
		return cl_strdup(env);
	xdg = getenv("XDG_CONFIG_HOME");
	home = getenv("HOME");
	if (xdg != NULL && *xdg)
		p = cl_asprintf("%s/closeloop/config", xdg);
	else if (home != NULL && *home)
		p = cl_asprintf("%s/.config/closeloop/config", home);
	else
		p = NULL;
	if (p != NULL && access(p, F_OK) == 0)
		return p;
	free(p);
	if (access("/etc/closeloop/config", F_OK) == 0)
		return cl_strdup("/etc/closeloop/config");
	return NULL;
}

/* A file holding a secret must not be readable by group or others. */
static int
check_secret_mode(const char *path, const char *what, struct cl_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return cl_error_set(err, CL_ECONFIG, "unable to stat %s '%s': %s", what, path,
		                    strerror(errno));
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return cl_error_set(err, CL_ECONFIG,
		        "%s '%s' holds a secret and is readable by others (mode %03o); "
		        "run: chmod 600 '%s'", what, path, (unsigned)(st.st_mode & 0777), path);
	return 0;
}

/* One key's value check; 0, or -1 with why in msg (CL_ENOMEM as such). */
struct key_check;
typedef int (*key_check_fn)(struct entry *e, const struct key_check *k, char *msg,
                            size_t size);

/* The values closeloop checks when it loads the file: every key it reads,
 * by section (a named section [report "x"] is checked as its base).
 * A key not listed here takes any text. To add a key: list it in
 * known_keys above and, when its value has a form, here. */
struct key_check {
	const char *section, *key;
	key_check_fn check;
	long min, max;		/* check_int */
	const char *choices;	/* check_choice: words separated by blanks */
};

/* A decimal integer in [min, max]. */
static int
check_int(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(e->value, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || end == e->value || *end != '\0' || n < k->min || n > k->max) {
		snprintf(msg, size, "'%s' is not a number from %ld to %ld", e->value, k->min, k->max);
		return -1;
	}
	return 0;
}

/* One of the words of k->choices. */
static int
check_choice(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	const char *p = k->choices, *words[16];
	char list[256], *w, *save = NULL;
	size_t len = strlen(e->value), n = 0;

	for (; (p = strstr(p, e->value)) != NULL; p += len ? len : 1)
		if (len && (p == k->choices || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
			return 0;
	snprintf(list, sizeof list, "%s", k->choices);
	for (w = strtok_r(list, " ", &save); w && n < 16; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	p = cl_str_nearest(e->value, words, n);
	snprintf(msg, size, "'%s' is not one of: %s%s%s%s", e->value, k->choices,
	         p ? " (did you mean '" : "", p ? p : "", p ? "'?)" : "");
	return -1;
}

/* yes/no (true/false, on/off, 1/0). */
static int
check_bool(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	static const struct key_check b = { .choices = "yes no true false on off 1 0" };

	if (check_choice(e, &b, msg, size) == 0)
		return 0;
	snprintf(msg, size, "'%s' is not yes or no", e->value);
	return -1;
}

/* A time zone libical knows (Europe/Berlin, UTC). */
static int
check_tz(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	if (cl_tz_valid(e->value))
		return 0;
	snprintf(msg, size, "unknown time zone '%s' (a name like Europe/Berlin or UTC)", e->value);
	return -1;
}

/* One or more mail addresses ("Name <a@example.com>, b@example.com"). */
static int
check_addresses(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	struct cl_mailbox *v = NULL;
	struct cl_error err = { 0 };
	size_t n = 0, i;
	int rc;

	rc = cl_mailbox_parse_list(&v, &n, e->value, &err);
	for (i = 0; rc == 0 && i < n; i++)
		if ((rc = cl_mail_check_address(v[i].email, &err)) != 0)
			break;
	cl_mailboxes_free(v, n);
	if (rc == CL_ENOMEM)
		return rc;
	if (rc == 0 && n > 0)
		return 0;
	snprintf(msg, size, "%s", err.msg[0] ? err.msg : "no e-mail address");
	return -1;
}

/* A [report] weekday: a day name (at least 3 letters) or 1..7. */
static int
check_weekday(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	static const char *const days[] = { "monday", "tuesday", "wednesday", "thursday",
		"friday", "saturday", "sunday" };
	size_t i, len = strlen(e->value);
	const char *near;

	if (len == 1 && e->value[0] >= '1' && e->value[0] <= '7')
		return 0;
	for (i = 0; i < 7; i++)
		if (len >= 3 && strncasecmp(e->value, days[i], len) == 0)
			return 0;
	near = cl_str_nearest(e->value, days, 7);
	snprintf(msg, size, "'%s' is not a day (monday..sunday or 1..7)%s%s%s", e->value,
	         near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	return -1;
}

/* An http(s) URL. */
static int
check_url(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	if (cl_str_starts_with(e->value, "https://") || cl_str_starts_with(e->value, "http://"))
		return 0;
	snprintf(msg, size, "'%s' is not an http(s) URL", e->value);
	return -1;
}

/* A date (2024-03-20) or a time (2024-03-20T09:00:00Z). */
static int
check_date(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	char buf[64];
	time_t t;

	snprintf(buf, sizeof buf, strlen(e->value) == 10 ? "%sT12:00:00Z" : "%s", e->value);
	if (cl_time_parse(buf, &t) == 0)
		return 0;
	snprintf(msg, size, "'%s' is not a date like 2024-03-20", e->value);
	return -1;
}

/* Expands a leading ~ and $VAR / ${VAR} in a path; NULL with msg set
 * when a variable is not set, or on no memory (msg empty). */
static char *
expand_path(const char *v, char *msg, size_t size)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *p = v, *home;
	char name[128];
	char *out;

	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if ((home = getenv("HOME")) == NULL || *home == '\0') {
			snprintf(msg, size, "'%s' starts with ~ but $HOME is not set", v);
			return NULL;
		}
		cl_buf_puts(&b, home);
		p++;
	}
	while (*p) {
		size_t n;
		const char *val;
		if (*p != '$') {
			cl_buf_putc(&b, *p++);
			continue;
		}
		if (p[1] == '{' && strchr(p, '}')) {
			n = (size_t)(strchr(p, '}') - p - 2);
			snprintf(name, sizeof name, "%.*s", (int)n, p + 2);
			p += n + 3;
		} else {
			n = strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
			if (n == 0) {
				cl_buf_putc(&b, *p++);
				continue;
			}
			snprintf(name, sizeof name, "%.*s", (int)n, p + 1);
			p += n + 1;
		}
		if ((val = getenv(name)) == NULL || *val == '\0') {
			snprintf(msg, size, "'%s' names $%s, which is not set", v, name);
			cl_buf_release(&b);
			return NULL;
		}
		cl_buf_puts(&b, val);
	}
	if (b.oom) {
		cl_buf_release(&b);
		msg[0] = '\0';
		return NULL;
	}
	out = cl_strdup(cl_buf_str(&b));
	cl_buf_release(&b);
	if (out == NULL)
		msg[0] = '\0';
	return out;
}

/* A path: ~, $HOME, ${XDG_DATA_HOME}... are expanded in place. */
static int
check_path(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	char *x;

	if (strchr(e->value, '$') == NULL && e->value[0] != '~')
		return 0;
	if ((x = expand_path(e->value, msg, size)) == NULL)
		return msg[0] ? -1 : CL_ENOMEM;
	free(e->value);
	e->value = x;
	return 0;
}

/* A comma-separated list of paths or URLs: each path is expanded. */
static int
check_sources(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	struct cl_buf b = CL_BUF_INIT;
	char *copy, *item, *save = NULL, *x;
	int rc = 0;

	if (strchr(e->value, '$') == NULL && strchr(e->value, '~') == NULL)
		return 0;
	if ((copy = cl_strdup(e->value)) == NULL)
		return CL_ENOMEM;
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		cl_str_trim(item);
		if (*item == '\0')
			continue;
		if (b.len)
			cl_buf_puts(&b, ", ");
		if (strstr(item, "://") != NULL) {
			cl_buf_puts(&b, item);
			continue;
		}
		if ((x = expand_path(item, msg, size)) == NULL) {
			rc = msg[0] ? -1 : CL_ENOMEM;
			break;
		}
		cl_buf_puts(&b, x);
		free(x);
	}
	free(copy);
	if (rc == 0 && b.oom)
		rc = CL_ENOMEM;
	if (rc == 0 && (x = cl_strdup(cl_buf_str(&b))) == NULL)
		rc = CL_ENOMEM;
	if (rc == 0) {
		free(e->value);
		e->value = x;
	}
	cl_buf_release(&b);
	return rc;
}

/* The tracker kinds the backends offer, and none. */
static int
check_tracker_kind(struct entry *e, const struct key_check *k, char *msg, size_t size)
{
	static const struct key_check kinds = {
		.choices = "github gitlab gitea forgejo redmine jira none"
	};
	if (strcmp(e->value, "none") == 0 || cl_tracker_find(e->value) != NULL)
		return 0;
	return check_choice(e, &kinds, msg, size);
}

#define INT(s, k, lo, hi) { s, k, check_int, lo, hi, NULL }
#define ONE_OF(s, k, words) { s, k, check_choice, 0, 0, words }
/* The values of HTTP_KEYS that have a form (lib/http.c's bounds). */
#define HTTP_CHECKS(s) \
	{ s, "url", check_url, 0, 0, NULL }, \
	ONE_OF(s, "flavor", "cloud datacenter server"), \
	{ s, "token_file", check_path, 0, 0, NULL }, \
	{ s, "ca_file", check_path, 0, 0, NULL }, \
	INT(s, "connect_timeout_s", 1, 600), \
	INT(s, "timeout_s", 1, 3600), \
	INT(s, "retries", 0, 20), \
	INT(s, "max_wait_s", 0, 86400)
static const struct key_check key_checks[] = {
	{ "closeloop", "database", check_path, 0, 0, NULL },
	{ "closeloop", "timezone", check_tz, 0, 0, NULL },
	{ "closeloop", "sources", check_sources, 0, 0, NULL },
	{ "closeloop", "today", check_date, 0, 0, NULL },
	INT("closeloop", "max_file_size", 1, 1L << 30),
	{ "tracker", "kind", check_tracker_kind, 0, 0, NULL },
	HTTP_CHECKS("tracker"),
	INT("tracker", "min_interval_ms", 0, 600000),
	INT("tracker", "search_wait_ms", 0, 60000),
	INT("tracker", "tracker_id", 0, 1L << 30),
	INT("tracker", "closed_status_id", 0, 1L << 30),
	{ "tracker", "timezone", check_tz, 0, 0, NULL },
	{ "tracker", "manage_linked", check_bool, 0, 0, NULL },
	{ "tracker", "allow_http", check_bool, 0, 0, NULL },
	INT("tracker", "max_sync_s", 1, 86400),
	ONE_OF("mail", "transport", "smtp file"),
	ONE_OF("mail", "tls", "starttls none"),
	INT("mail", "port", 1, 65535),
	INT("mail", "timeout_s", 1, 3600),
	INT("mail", "connect_timeout_s", 1, 600),
	{ "mail", "from", check_addresses, 0, 0, NULL },
	{ "mail", "outbox", check_path, 0, 0, NULL },
	{ "mail", "password_file", check_path, 0, 0, NULL },
	{ "mail", "ca_file", check_path, 0, 0, NULL },
	{ "report", "to", check_addresses, 0, 0, NULL },
	{ "report", "weekday", check_weekday, 0, 0, NULL },
	INT("report", "hour", 0, 23),
	INT("report", "per_owner", 0, 1000000),
	INT("report", "owners", 0, 1000000),
	INT("report", "rows", 0, 1000000),
	INT("nag", "due_soon_days", 0, 365),
	INT("nag", "every_days", 1, 365),
	INT("nag", "escalate_after_days", 1, 3650),
	{ "drill", "organizer", check_addresses, 0, 0, NULL },
	{ "drill", "timezone", check_tz, 0, 0, NULL },
	INT("drill", "after_close_days", 0, 365),
	INT("drill", "duration_minutes", 5, 24 * 60),
	INT("drill", "max_age_days", 1, 3650),
	INT("drill", "work_start_hour", 0, 23),
	INT("drill", "work_end_hour", 1, 24),
	INT("lint", "late_hours", 0, 24 * 365),
	ONE_OF("import", "follow_symlinks", "within-root no yes"),
	INT("import", "missing_days", 0, 3650),
	/* [slo] SEVERITY = DAYS (lib/lint.c): any key */
	INT("slo", "*", 1, 3650),
	/* [source "NAME"] (lib/source.c reads them with the same bounds) */
	ONE_OF("source", "kind", "confluence github gitlab"),
	HTTP_CHECKS("source"),
	INT("source", "limit", 1, 250),
	INT("source", "full_listing_hours", 0, 24 * 366),
	{ NULL, NULL, NULL, 0, 0, NULL }
};
#undef HTTP_CHECKS
#undef INT
#undef ONE_OF

/* Checks every value the file set; the first bad one is the error. */
static int
config_validate(struct cl_config *cfg, struct cl_error *err)
{
	char msg[512];
	size_t i, j, slen;
	int rc;

	for (i = 0; i < cfg->n; i++) {
		struct entry *e = &cfg->v[i];
		slen = strcspn(e->section, " \"");
		for (j = 0; key_checks[j].section; j++) {
			const struct key_check *k = &key_checks[j];
			if (strlen(k->section) != slen || strncmp(k->section, e->section, slen) != 0 ||
			    (strcmp(k->key, "*") != 0 && strcmp(k->key, e->key) != 0))
				continue;
			msg[0] = '\0';
			/* an empty value means the default, as everywhere it is read */
			rc = *e->value == '\0' ? 0 : k->check(e, k, msg, sizeof msg);
			if (rc == CL_ENOMEM)
				return cl_error_set(err, CL_ENOMEM, "out of memory");
			if (rc != 0)
				return cl_error_set(err, CL_ECONFIG, "%s:%d: [%s] %s: %s", cfg->path,
				                    e->line, e->section, e->key, msg);
			break;
		}
	}
	return 0;
}

/* The whole file (at most 1 MiB) in memory; a pipe or /dev/null too. */
static int
config_read_all(char **out, const char *path, struct cl_error *err)
{
	struct cl_buf b = CL_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL)
		return cl_error_set(err, CL_ECONFIG, "unable to open config '%s': %s", path,
		                    strerror(errno));
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= 1024 * 1024)
		cl_buf_add(&b, chunk, n);
	explicit_bzero(chunk, sizeof chunk);
	if (ferror(f) || b.len > 1024 * 1024) {
		int e = errno, big = b.len > 1024 * 1024;
		fclose(f);
		if (b.data)
			explicit_bzero(b.data, b.len);
		cl_buf_release(&b);
		return cl_error_set(err, CL_ECONFIG, "config '%s': %s", path,
		                    big ? "larger than 1 MiB" : strerror(e));
	}
	fclose(f);
	if (b.oom || (*out = cl_buf_steal(&b)) == NULL) {
		cl_buf_release(&b);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

int
cl_config_load(struct cl_config **out, const char *path, struct cl_error *err)
{
	struct cl_config *cfg;
	struct parse_state st;
	struct reader *rd = NULL;
	char *found = NULL;
	int rc = 0, line;
	size_t i;

	*out = NULL;
	if ((cfg = cl_config_new()) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	memset(&st, 0, sizeof st);
	st.cfg = cfg;
	if (path == NULL) {
		const char *env = getenv("CLOSELOOP_CONFIG");
		found = config_default_path();
		if (found == NULL) {
			*out = cfg;
			return 0;
		}
		/* a file named by $CLOSELOOP_CONFIG must exist, like -c */
		if (!(env != NULL && *env) && access(found, F_OK) != 0) {
			free(found);
			*out = cfg;
			return 0;
		}
		path = found;
	}
	if ((cfg->path = cl_strdup(path)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	{
		struct stat sb;
		if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			rc = cl_error_set(err, CL_ECONFIG, "config '%s' is a directory: name the "
			                  "file (for instance '%s/config')", path, path);
			goto done;
		}
	}
	if ((rd = cl_calloc(1, sizeof *rd)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	rd->st = &st;
	st.path = path;
	if ((rc = config_read_all(&rd->text, path, err)) != 0)
		goto done;
	rd->pos = rd->text;
	line = ini_parse_stream(config_read_line, rd, ini_handler_noline, rd);
	if (line != 0 || st.code) {
		if (st.msg[0] == '\0')
			snprintf(st.msg, sizeof st.msg, "syntax error (not a section, a key = value "
			         "or a comment)");
		rc = cl_error_set(err, st.code ? st.code : CL_ECONFIG, "%s:%d: %s", path,
		                  st.line ? st.line : line, st.msg);
		goto done;
	}
	if ((rc = config_validate(cfg, err)) != 0)
		goto done;
	if ((rc = people_build(cfg, err)) != 0)
		goto done;
	if (cfg->holds_inline_secret && (rc = check_secret_mode(path, "config", err)) != 0)
		goto done;
done:
	free(found);
	if (rd != NULL)
		cl_secret_free(rd->text);
	free(rd);
	for (i = 0; i < st.nlong; i++)
		cl_secret_free(st.long_values[i]);
	free(st.long_values);
	if (rc != 0) {
		cl_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

const char *
cl_config_get(const struct cl_config *cfg, const char *section, const char *key)
{
	struct entry *e = find_entry(cfg, section, key);
	return e ? e->value : NULL;
}

const char *
cl_config_get_default(const struct cl_config *cfg, const char *section,
                      const char *key, const char *def)
{
	const char *v = cl_config_get(cfg, section, key);
	return v && *v ? v : def;
}

int
cl_config_line(const struct cl_config *cfg, const char *section, const char *key)
{
	struct entry *e = find_entry(cfg, section, key);
	return e ? e->line : 0;
}

int
cl_config_get_int(const struct cl_config *cfg, const char *section, const char *key,
                  long def, long min, long max, long *out, struct cl_error *err)
{
	const char *v = cl_config_get(cfg, section, key);
	char *end;
	long n;

	if (v == NULL || *v == '\0') {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	while (end && isspace((unsigned char)*end))
		end++;
	if (errno || end == v || *end != '\0' || n < min || n > max)
		return cl_error_set(err, CL_ECONFIG,
		        "%s:%d: [%s] %s = '%s' is not a number from %ld to %ld",
		        cfg->path ? cfg->path : "config", cl_config_line(cfg, section, key),
		        section, key, v, min, max);
	*out = n;
	return 0;
}

int
cl_config_sections(const char ***out, size_t *n, const struct cl_config *cfg,
                   const char *prefix)
{
	const char **v = NULL;
	size_t i, j, cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; cfg && i < cfg->n; i++) {
		if (!cl_str_starts_with(cfg->v[i].section, prefix))
			continue;
		for (j = 0; j < cnt && strcmp(v[j], cfg->v[i].section) != 0; j++)
			;
		if (j < cnt)
			continue;
		if (cl_grow(&v, &cap, cnt, sizeof *v, 8) != 0) {
			free(v);
			return CL_ENOMEM;
		}
		v[cnt++] = cfg->v[i].section;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
cl_config_keys(const char ***out, const char ***values, size_t *n, const struct cl_config *cfg,
               const char *section)
{
	const char **k = NULL, **v = NULL;
	size_t i, cnt = 0, kcap = 0, vcap = 0;

	*out = NULL;
	*values = NULL;
	*n = 0;
	for (i = 0; cfg && i < cfg->n; i++) {
		if (strcmp(cfg->v[i].section, section) != 0 || *cfg->v[i].key == '\0')
			continue;
		if (cl_grow(&k, &kcap, cnt, sizeof *k, 8) != 0 ||
		    cl_grow(&v, &vcap, cnt, sizeof *v, 8) != 0) {
			free(k);
			free(v);
			return CL_ENOMEM;
		}
		k[cnt] = cfg->v[i].key;
		v[cnt++] = cfg->v[i].value;
	}
	*out = k;
	*values = v;
	*n = cnt;
	return 0;
}

/* Reads a secret from key, key_file or key_env (*out NULL when none is set). */
static int
config_secret_read(char **out, const struct cl_config *cfg, const char *section,
                   const char *key, struct cl_error *err)
{
	char fkey[64], ekey[64];
	const char *v, *file, *env;
	char *buf = NULL;
	int rc;

	*out = NULL;
	snprintf(fkey, sizeof fkey, "%s_file", key);
	snprintf(ekey, sizeof ekey, "%s_env", key);
	if ((v = cl_config_get(cfg, section, key)) != NULL && *v) {
		return (*out = cl_strdup(v)) ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	if ((file = cl_config_get(cfg, section, fkey)) != NULL && *file) {
		if ((rc = check_secret_mode(file, "secret file", err)) != 0)
			return rc;
		if ((rc = cl_read_file(&buf, NULL, file, 64 * 1024, err)) != 0) {
			cl_error_prefix(err, "[%s] %s", section, fkey);
			return rc == CL_ENOMEM ? rc : CL_ECONFIG;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		if (*buf == '\0') {
			cl_secret_free(buf);
			return cl_error_set(err, CL_ECONFIG, "secret file '%s' is empty", file);
		}
		*out = buf;
		return 0;
	}
	if ((env = cl_config_get(cfg, section, ekey)) != NULL && *env) {
		const char *val = getenv(env);
		if (val == NULL || *val == '\0')
			return cl_error_set(err, CL_ECONFIG,
			        "[%s] %s names $%s, which is not set", section, ekey, env);
		return (*out = cl_strdup(val)) ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

/* A secret as config_secret_read gives it, refused when it holds control characters. */
int
cl_config_secret(char **out, const struct cl_config *cfg, const char *section,
                 const char *key, struct cl_error *err)
{
	const unsigned char *p;
	int rc = config_secret_read(out, cfg, section, key, err);

	/* a line break in a secret would become a header line of its own */
	for (p = (const unsigned char *)*out; rc == 0 && p && *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			cl_secret_free(*out);
			*out = NULL;
			rc = cl_error_set(err, CL_ECONFIG, "[%s] %s: the secret contains a control "
			                  "character (a line break?): refused", section, key);
		}
	return rc;
}

const struct cl_person *
cl_config_person(const struct cl_config *cfg, const char *who)
{
	const struct cl_person *best = NULL;
	size_t k;

	if (cfg == NULL || who == NULL || *who == '\0')
		return NULL;
	if (who[0] == '@')
		who++;
	/* a handle first, then the first person with that name, address or
	 * tracker handle (the table holds them in people order) */
	if (cfg->handle_cap)
		for (k = name_slot(who, cfg->handle_cap); cfg->by_handle[k];
		     k = (k + 1) & (cfg->handle_cap - 1))
			if (cl_str_ieq(cfg->people[cfg->by_handle[k] - 1].handle, who))
				return &cfg->people[cfg->by_handle[k] - 1];
	for (k = cfg->other_cap ? name_slot(who, cfg->other_cap) : 0; cfg->other_cap &&
	     cfg->by_other[k]; k = (k + 1) & (cfg->other_cap - 1)) {
		const struct cl_person *p = &cfg->people[cfg->by_other[k] - 1];
		if ((best == NULL || p < best) && (cl_str_ieq(p->name, who) ||
		    cl_str_ieq(p->email, who) || cl_str_ieq(p->tracker, who)))
			best = p;
	}
	return best;
}

size_t
cl_config_people_count(const struct cl_config *cfg)
{
	return cfg ? cfg->npeople : 0;
}

const struct cl_person *
cl_config_person_at(const struct cl_config *cfg, size_t i)
{
	return cfg && i < cfg->npeople ? &cfg->people[i] : NULL;
}

char *
cl_config_database_path(const struct cl_config *cfg)
{
	const char *v = cl_config_get(cfg, "closeloop", "database"), *xdg, *home;

	if (v != NULL && *v)
		return cl_strdup(v);
	xdg = getenv("XDG_DATA_HOME");
	if (xdg != NULL && *xdg)
		return cl_asprintf("%s/closeloop/closeloop.db", xdg);
	home = getenv("HOME");
	return cl_asprintf("%s/.local/share/closeloop/closeloop.db", home && *home ? home : ".");
}

const char *
cl_config_timezone(const struct cl_config *cfg)
{
	const char *tz = cl_config_get(cfg, "closeloop", "timezone");
	return tz && *tz ? tz : NULL;
}

int
cl_config_lint_fingerprint(const struct cl_config *cfg, char out[65])
{
	struct cl_buf b = CL_BUF_INIT;
	size_t i;

	for (i = 0; cfg && i < cfg->n; i++) {
		const struct entry *e = &cfg->v[i];
		if (strcmp(e->section, "people") == 0 || strcmp(e->section, "lint") == 0 ||
		    strcmp(e->section, "slo") == 0 ||
		    (strcmp(e->section, "import") == 0 && strcmp(e->key, "headings") == 0) ||
		    (strcmp(e->section, "closeloop") == 0 && strcmp(e->key, "timezone") == 0))
			cl_buf_printf(&b, "%s.%s=%s\n", e->section, e->key, e->value);
	}
	if (b.oom) {
		/* not the hash of a truncated text: that would pass for a real one */
		cl_buf_release(&b);
		out[0] = '\0';
		return CL_ENOMEM;
	}
	cl_sha256_hex(cl_buf_str(&b), b.len, out);
	cl_buf_release(&b);
	return 0;
}
