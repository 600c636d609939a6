/* team.c — a post-mortem's team: its own word, else [teams] rules, else
 * (optionally) its source directory. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "team.h"
#include "util.h"

/* Copies s (n bytes) trimmed and in lower case into out; 1 when not empty. */
static int
team_copy(char *out, size_t size, const char *s, size_t n)
{
	size_t i, k = 0;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	for (i = 0; i < n && k + 1 < size; i++)
		out[k++] = (char)tolower((unsigned char)s[i]);
	out[k] = '\0';
	return k > 0;
}

/* True when one glob of the comma-separated list matches source or path. */
static int
team_rule_matches(const char *globs, const char *source, const char *path)
{
	char glob[512];
	const char *p = globs;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && isspace((unsigned char)*p))
			p++, n--;
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n > 0 && n < sizeof glob) {
			memcpy(glob, p, n);
			glob[n] = '\0';
			if ((source && fnmatch(glob, source, 0) == 0) ||
			    (path && fnmatch(glob, path, 0) == 0))
				return 1;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

/* The [teams] section read once: its rules and from_directory. */
struct cl_team_rules {
	const char **keys, **vals;
	size_t n;
	int from_dir;
};

/* Reads cfg's [teams] into t; CL_ENOMEM when it cannot. */
static int
rules_load(struct cl_team_rules *t, const struct cl_config *cfg)
{
	const char *v = cl_config_get(cfg, "teams", "from_directory");

	memset(t, 0, sizeof *t);
	t->from_dir = v && cl_str_ieq(v, "yes");
	return cl_config_keys(&t->keys, &t->vals, &t->n, cfg, "teams") != 0 ? CL_ENOMEM : 0;
}

/* A post-mortem's team by the rules t (see cl_team_of). */
static void
team_by_rules(char *out, size_t size, const struct cl_team_rules *t, const char *doc_team,
              const char *source, const char *path)
{
	size_t i;

	out[0] = '\0';
	if (doc_team && team_copy(out, size, doc_team, strlen(doc_team)))
		return;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->keys[i], "from_directory") != 0 &&
		    team_rule_matches(t->vals[i], source, path) &&
		    team_copy(out, size, t->keys[i], strlen(t->keys[i])))
			return;
	if (t->from_dir && source && strstr(source, "://") == NULL && strchr(source, '/') != NULL)
		team_copy(out, size, source, strcspn(source, "/"));
}

int
cl_team_rules_load(struct cl_team_rules **out, const struct cl_config *cfg)
{
	struct cl_team_rules *t = cl_malloc(sizeof *t);

	*out = NULL;
	if (t == NULL)
		return CL_ENOMEM;
	if (rules_load(t, cfg) != 0) {
		cl_team_rules_free(t);
		return CL_ENOMEM;
	}
	*out = t;
	return 0;
}

void
cl_team_rules_of(char *out, size_t size, const struct cl_team_rules *t, const char *doc_team,
                 const char *source, const char *path)
{
	team_by_rules(out, size, t, doc_team, source, path);
}

void
cl_team_rules_free(struct cl_team_rules *t)
{
	if (t == NULL)
		return;
	free(t->keys);
	free(t->vals);
	free(t);
}

int
cl_team_of(char *out, size_t size, const struct cl_config *cfg, const char *doc_team,
           const char *source, const char *path)
{
	struct cl_team_rules t;
	int rc = rules_load(&t, cfg);

	out[0] = '\0';
	if (rc == 0)
		team_by_rules(out, size, &t, doc_team, source, path);
	free(t.keys);
	free(t.vals);
	return rc;
}

/* Sets postmortems.team of every post-mortem whose team the rules t give
 * differently (inside the caller's transaction, if any). */
static int
assign_all(struct cl_store *st, const struct cl_team_rules *t, struct cl_error *err)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	char team[128];
	int rc, step;

	if ((rc = cl_store_prepare(st, &s, "SELECT id, team_doc, source, path, team "
	                           "FROM postmortems", err)) != 0 ||
	    (rc = cl_store_prepare(st, &u, "UPDATE postmortems SET team = ?2 WHERE id = ?1",
	                           err)) != 0)
		goto done;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(s, 4);
		team_by_rules(team, sizeof team, t, (const char *)sqlite3_column_text(s, 1),
		              (const char *)sqlite3_column_text(s, 2),
		              (const char *)sqlite3_column_text(s, 3));
		if (strcmp(old ? old : "", team) == 0)
			continue;
		sqlite3_reset(u);
		sqlite3_bind_int64(u, 1, sqlite3_column_int64(s, 0));
		if (*team)
			sqlite3_bind_text(u, 2, team, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(u, 2);
		if ((step = sqlite3_step(u)) != SQLITE_DONE) {
			rc = cl_store_fail(st, step, err, "setting teams");
			goto done;
		}
	}
	if (step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "setting teams");
done:
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	return rc;
}

/* The SHA-256 of [teams] (its rules in order and from_directory). */
static int
rules_fingerprint(const struct cl_team_rules *t, char out[65])
{
	struct cl_buf b = { 0 };
	size_t i;

	cl_buf_putc(&b, t->from_dir ? 'y' : 'n');
	for (i = 0; i < t->n; i++) {
		cl_buf_add(&b, t->keys[i], strlen(t->keys[i]) + 1);
		cl_buf_add(&b, t->vals[i], strlen(t->vals[i]) + 1);
	}
	if (b.oom) {
		free(b.data);
		return CL_ENOMEM;
	}
	cl_sha256_hex(b.data, b.len, out);
	free(b.data);
	return 0;
}

int
cl_team_assign_done(struct cl_store *st, const struct cl_config *cfg, struct cl_error *err)
{
	struct cl_team_rules t;
	char fp[65];
	int rc;

	if ((rc = rules_load(&t, cfg)) != 0 || (rc = rules_fingerprint(&t, fp)) != 0)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	else
		rc = cl_store_meta_set(st, "teams_fingerprint", fp, err);
	free(t.keys);
	free(t.vals);
	return rc;
}

int
cl_team_assign_changed(struct cl_store *st, const struct cl_config *cfg, int rows_changed,
                       struct cl_error *err)
{
	struct cl_team_rules t;
	char fp[65], **old = NULL;
	size_t nold = 0;
	int rc;

	if ((rc = rules_load(&t, cfg)) != 0 || (rc = rules_fingerprint(&t, fp)) != 0) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	/* a failed read is an error, not "no fingerprint": SQLite may have
	 * rolled the caller's transaction back */
	if ((rc = cl_store_strings(&old, &nold, st, "SELECT value FROM meta WHERE key = ?1",
	                           "teams_fingerprint", "reading meta", err)) != 0)
		goto done;
	if (!rows_changed && nold == 1 && strcmp(old[0], fp) == 0)
		goto done;
	if ((rc = assign_all(st, &t, err)) == 0)
		rc = cl_store_meta_set(st, "teams_fingerprint", fp, err);
done:
	cl_store_strings_free(old, nold);
	free(t.keys);
	free(t.vals);
	return rc;
}
