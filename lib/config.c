/* config.c — INI configuration read with inih, [people], secrets. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "dates.h"
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
	size_t npeople;
	int holds_inline_secret;
};

/* Every key closeloop knows, by section; [people] takes any handle. */
static const char *const known_keys[] = {
	"closeloop", "database timezone sources today max_file_size",
	"tracker", "kind url project token token_file token_env labels min_interval_ms "
	           "max_wait_s ca_file flavor user issue_type tracker_id closed_status_id "
	           "extra_fields connect_timeout_s timeout_s retries timezone search_wait_ms "
	           "manage_linked max_sync_s allow_http",
	"mail", "transport host port tls user password password_file password_env from "
	        "outbox ca_file timeout_s connect_timeout_s helo",
	"report", "to weekday hour",
	"nag", "due_soon_days every_days escalate_after_days escalate_to",
	"drill", "organizer after_close_days duration_minutes timezone max_age_days "
	         "work_start_hour work_end_hour",
	"lint", "late_hours not_owners",
	/* [source "NAME"] (lib/source.c) */
	"source \"NAME\"", "kind url flavor space label cql project user token token_file token_env "
	          "ca_file connect_timeout_s timeout_s retries max_wait_s limit",
	NULL
};

/* True when key is listed for section. */
static int
key_known(const char *section, const char *key)
{
	size_t i, klen = strlen(key);

	const char *p;

	if (strncmp(section, "source \"", 8) == 0 && strlen(section) > 9 &&
	    section[strlen(section) - 1] == '"')
		section = "source \"NAME\"";	/* one entry for every name */
	if (klen == 0)	/* "= value": never a known key (and strstr would not move) */
		return 0;

	for (i = 0; known_keys[i]; i += 2) {
		if (strcmp(known_keys[i], section) != 0)
			continue;
		for (p = known_keys[i + 1]; (p = strstr(p, key)) != NULL; p += klen) {
			if ((p == known_keys[i + 1] || p[-1] == ' ') &&
			    (p[klen] == ' ' || p[klen] == '\0'))
				return 1;
		}
		return 0;
	}
	return strcmp(section, "people") == 0 ? -1 : -2;
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
	free(cfg->people);
	free(cfg->v);
	free(cfg->path);
	free(cfg);
}

const char *
cl_config_path(const struct cl_config *cfg)
{
	return cfg ? cfg->path : NULL;
}

static struct entry *
find_entry(const struct cl_config *cfg, const char *section, const char *key)
{
	size_t i;

	if (cfg == NULL)
		return NULL;
	for (i = cfg->n; i-- > 0;)
		if (strcmp(cfg->v[i].section, section) == 0 && strcmp(cfg->v[i].key, key) == 0)
			return &cfg->v[i];
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
	if (cfg->n == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 32;
		struct entry *nv = cl_realloc(cfg->v, cap * sizeof *nv);
		if (nv == NULL) {
			free(v);
			return CL_ENOMEM;
		}
		cfg->v = nv;
		cfg->cap = cap;
	}
	e = &cfg->v[cfg->n];
	e->section = cl_strdup(section);
	e->key = cl_strdup(key);
	e->value = v;
	e->line = line;
	if (e->section == NULL || e->key == NULL) {
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

struct parse_state {
	struct cl_config *cfg;
	char msg[512];
	int line;
	int code;
};

/* inih callback: validates and stores one key. */
static int
config_on_key(void *user, const char *section, const char *name, const char *value,
            int lineno)
{
	struct parse_state *st = user;
	char sec[64], key[128];
	int known;

	snprintf(sec, sizeof sec, "%s", section);
	snprintf(key, sizeof key, "%s", name ? name : "");
	cl_str_lower(sec);
	if (name == NULL)	/* a section header alone */
		return key_known(sec, "") == -2 ? (snprintf(st->msg, sizeof st->msg,
		        "unknown section [%s]", sec), st->line = lineno, 0) : 1;
	if (*sec == '\0') {
		snprintf(st->msg, sizeof st->msg, "key '%s' outside any section", key);
		st->line = lineno;
		return 0;
	}
	known = key_known(sec, key);
	if (known == -2) {
		snprintf(st->msg, sizeof st->msg, "unknown section [%s]", sec);
		st->line = lineno;
		return 0;
	}
	if (known == 0) {
		snprintf(st->msg, sizeof st->msg, "unknown key '%s' in [%s]", key, sec);
		st->line = lineno;
		return 0;
	}
	if (known == -1)
		cl_str_lower(key);
	if (config_put(st->cfg, sec, key, value, lineno) != 0) {
		snprintf(st->msg, sizeof st->msg, "out of memory");
		st->code = CL_ENOMEM;
		st->line = lineno;
		return 0;
	}
	if (strcmp(key, "token") == 0 || strcmp(key, "password") == 0)
		st->cfg->holds_inline_secret = 1;
	return 1;
}

/* inih without INI_HANDLER_LINENO: count lines ourselves through a reader. */
struct reader {
	FILE *f;
	int line;
	struct parse_state *st;
};

static char *
config_read_line(char *str, int num, void *stream)
{
	struct reader *r = stream;
	char *s = fgets(str, num, r->f);
	if (s != NULL)
		r->line++;
	return s;
}

static int
ini_handler_noline(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	return config_on_key(r->st, section, name, value, r->line);
}

/* "Alice Doe <alice@example.com>" or "alice@example.com" or "Alice Doe". */
static int
person_parse_address(struct cl_person *p, const char *value)
{
	const char *lt = strchr(value, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *name;

	if (lt && gt) {
		if ((p->email = cl_strndup(lt + 1, (size_t)(gt - lt - 1))) == NULL)
			return CL_ENOMEM;
		cl_str_trim(p->email);
		if ((name = cl_strndup(value, (size_t)(lt - value))) == NULL)
			return CL_ENOMEM;
		cl_str_trim(name);
		if (name[0] == '"' && strlen(name) > 1 && name[strlen(name) - 1] == '"') {
			memmove(name, name + 1, strlen(name));
			name[strlen(name) - 1] = '\0';
		}
		if (*name)
			p->name = name;
		else
			free(name);
		return 0;
	}
	if (strchr(value, '@') && !strchr(value, ' '))
		return (p->email = cl_strdup(value)) ? 0 : CL_ENOMEM;
	return (p->name = cl_strdup(value)) ? 0 : CL_ENOMEM;
}

static struct cl_person *
person_get(struct cl_config *cfg, const char *handle)
{
	struct cl_person *np;
	size_t i;

	for (i = 0; i < cfg->npeople; i++)
		if (strcmp(cfg->people[i].handle, handle) == 0)
			return &cfg->people[i];
	np = cl_realloc(cfg->people, (cfg->npeople + 1) * sizeof *np);
	if (np == NULL)
		return NULL;
	cfg->people = np;
	memset(&np[cfg->npeople], 0, sizeof *np);
	if ((np[cfg->npeople].handle = cl_strdup(handle)) == NULL)
		return NULL;
	return &np[cfg->npeople++];
}

/* Builds the people table from [people] entries. */
static int
people_build(struct cl_config *cfg, struct cl_error *err)
{
	size_t i;

	for (i = 0; i < cfg->npeople; i++)
		person_clear(&cfg->people[i]);
	free(cfg->people);
	cfg->people = NULL;
	cfg->npeople = 0;
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
			if (person_parse_address(p, e->value) != 0)
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
	return 0;
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

int
cl_config_load(struct cl_config **out, const char *path, struct cl_error *err)
{
	struct cl_config *cfg;
	struct parse_state st;
	struct reader rd;
	char *found = NULL;
	int rc = 0, line;

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
	rd.line = 0;
	rd.st = &st;
	if ((rd.f = fopen(path, "r")) == NULL) {
		rc = cl_error_set(err, CL_ECONFIG, "unable to open config '%s': %s", path,
		                  strerror(errno));
		goto done;
	}
	line = ini_parse_stream(config_read_line, &rd, ini_handler_noline, &rd);
	fclose(rd.f);
	if (line != 0) {
		if (st.msg[0] == '\0')
			snprintf(st.msg, sizeof st.msg, "syntax error");
		rc = cl_error_set(err, st.code ? st.code : CL_ECONFIG, "%s:%d: %s", path,
		                  st.line ? st.line : line, st.msg);
		goto done;
	}
	if ((rc = people_build(cfg, err)) != 0)
		goto done;
	if (cfg->holds_inline_secret && (rc = check_secret_mode(path, "config", err)) != 0)
		goto done;
	{
		const char *tz = cl_config_get(cfg, "closeloop", "timezone");
		if (tz && !cl_tz_valid(tz)) {
			rc = cl_error_set(err, CL_ECONFIG, "%s:%d: unknown time zone '%s'", path,
			                  cl_config_line(cfg, "closeloop", "timezone"), tz);
			goto done;
		}
	}
done:
	free(found);
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
	size_t i, j, cnt = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; cfg && i < cfg->n; i++) {
		if (!cl_str_starts_with(cfg->v[i].section, prefix))
			continue;
		for (j = 0; j < cnt && strcmp(v[j], cfg->v[i].section) != 0; j++)
			;
		if (j < cnt)
			continue;
		const char **nv = cl_realloc(v, (cnt + 1) * sizeof *nv);
		if (nv == NULL) {
			free(v);
			return CL_ENOMEM;
		}
		v = nv;
		v[cnt++] = cfg->v[i].section;
	}
	*out = v;
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
	size_t i;

	if (cfg == NULL || who == NULL || *who == '\0')
		return NULL;
	if (who[0] == '@')
		who++;
	for (i = 0; i < cfg->npeople; i++)
		if (cl_str_ieq(cfg->people[i].handle, who))
			return &cfg->people[i];
	for (i = 0; i < cfg->npeople; i++)
		if (cl_str_ieq(cfg->people[i].name, who) || cl_str_ieq(cfg->people[i].email, who) ||
		    cl_str_ieq(cfg->people[i].tracker, who))
			return &cfg->people[i];
	return NULL;
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
