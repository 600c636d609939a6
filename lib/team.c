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

int
cl_team_of(char *out, size_t size, const struct cl_config *cfg, const char *doc_team,
           const char *source, const char *path)
{
	const char **keys = NULL, **vals = NULL, *v;
	size_t n = 0, i;

	out[0] = '\0';
	if (doc_team && team_copy(out, size, doc_team, strlen(doc_team)))
		return 0;
	if (cl_config_keys(&keys, &vals, &n, cfg, "teams") != 0)
		return CL_ENOMEM;
	for (i = 0; i < n; i++)
		if (strcmp(keys[i], "from_directory") != 0 &&
		    team_rule_matches(vals[i], source, path) && team_copy(out, size, keys[i],
		                                                          strlen(keys[i])))
			break;
	free(keys);
	free(vals);
	if (*out)
		return 0;
	v = cl_config_get(cfg, "teams", "from_directory");
	if (v && cl_str_ieq(v, "yes") && source && strstr(source, "://") == NULL &&
	    strchr(source, '/') != NULL)
		team_copy(out, size, source, strcspn(source, "/"));
	return 0;
}

int
cl_team_assign(size_t *changed, struct cl_store *st, const struct cl_config *cfg,
               struct cl_error *err)
{
	sqlite3_stmt *s = NULL, *u = NULL;
	char team[128];
	int rc, step;

	if (changed)
		*changed = 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT id, team_doc, source, path, team "
	                           "FROM postmortems", err)) != 0 ||
	    (rc = cl_store_prepare(st, &u, "UPDATE postmortems SET team = ?2 WHERE id = ?1",
	                           err)) != 0)
		goto done;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(s, 4);
		if (cl_team_of(team, sizeof team, cfg, (const char *)sqlite3_column_text(s, 1),
		               (const char *)sqlite3_column_text(s, 2),
		               (const char *)sqlite3_column_text(s, 3)) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
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
		if (changed)
			(*changed)++;
	}
	if (step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "setting teams");
done:
	sqlite3_finalize(s);
	sqlite3_finalize(u);
	return rc;
}
