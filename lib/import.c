/* import.c — sources → post-mortems and items in the store, keeping
 * history; lint over the same sources. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dates.h"
#include "http.h"
#include "import.h"
#include "items.h"
#include "parse.h"
#include "source.h"
#include "util.h"

#define DEFAULT_MAX_SIZE (16u * 1024 * 1024)
#define COMMIT_EVERY 500	/* files per transaction on a big import */

/* One file found under a source. */
struct found {
	char *path;		/* to open */
	char *source;		/* identity: relative path or URL */
	struct cl_source_doc *doc;	/* a configured source's document, or NULL */
};

struct found_list {
	struct found *v;
	size_t n, cap;
};

/* State of one import or lint run. */
struct run {
	struct cl_store *st;
	const struct cl_config *cfg;
	const struct cl_import_opts *opts;
	struct cl_import_stats *stats;
	struct cl_error *err;
	const char *tz;
	size_t max_size;
	int lint_only;
	int force;
	char now[21];
	int today;
	int in_tx, files_in_tx;
	int sources_missing;	/* sources named that do not exist: exit 66 */
	int opts_dry_run;
	long alloc_failures;	/* cl_alloc_failures() when the run started */
	struct cl_source **srcs;	/* configured sources listed by this run */
	size_t nsrcs;
	int source_rc;		/* the worst error of a source that could not be listed */
	char **src_names;	/* cl_source_names() of the config */
	size_t nsrc_names;
	sqlite3_stmt *q_pm, *q_items, *ins_pm, *upd_pm_seen, *upd_pm, *ins_item,
	             *upd_item, *slug_taken;
};

static void
report(struct run *r, const char *path, const struct cl_problem *p, const char *msg)
{
	if (r->opts && r->opts->report)
		r->opts->report(r->opts->report_arg, path, p, msg);
}

static void
found_release(struct found_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].source);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
found_add(struct found_list *l, const char *path, const char *source)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct found *v = cl_realloc(l->v, cap * sizeof *v);
		if (v == NULL)
			return CL_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].path = cl_strdup(path);
	l->v[l->n].source = cl_strdup(source);
	l->v[l->n].doc = NULL;
	if (l->v[l->n].path == NULL || l->v[l->n].source == NULL) {
		free(l->v[l->n].path);
		free(l->v[l->n].source);
		return CL_ENOMEM;
	}
	l->n++;
	return 0;
}

static int
is_markdown(const char *name)
{
	size_t n = strlen(name);
	return (n > 3 && strcasecmp(name + n - 3, ".md") == 0) ||
	       (n > 9 && strcasecmp(name + n - 9, ".markdown") == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects *.md below dir (sorted, hidden entries skipped). rel is the path
 * relative to the source root ("" at the top). */
static int
walk_dir(struct found_list *l, const char *dir, const char *rel, int depth,
         struct run *r)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (depth > 32)
		return 0;
	if ((d = opendir(dir)) == NULL) {
		char msg[600];
		snprintf(msg, sizeof msg, "unable to read directory: %s", strerror(errno));
		report(r, dir, NULL, msg);
		r->stats->files_failed++;
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = cl_realloc(names, ncap * sizeof *nv);
			if (nv == NULL) {
				rc = CL_ENOMEM;
				goto done;
			}
			names = nv;
			cap = ncap;
		}
		if ((names[n] = cl_strdup(de->d_name)) == NULL) {
			rc = CL_ENOMEM;
			goto done;
		}
		n++;
	}
	qsort(names, n, sizeof *names, cmp_str);
	for (i = 0; i < n && rc == 0; i++) {
		char *path = cl_asprintf("%s/%s", dir, names[i]);
		char *srel = *rel ? cl_asprintf("%s/%s", rel, names[i]) : cl_strdup(names[i]);
		struct stat sb;

		if (path == NULL || srel == NULL)
			rc = CL_ENOMEM;
		else if (stat(path, &sb) != 0)
			;	/* vanished or dangling link: nothing to import */
		else if (S_ISDIR(sb.st_mode))
			rc = walk_dir(l, path, srel, depth + 1, r);
		else if (S_ISREG(sb.st_mode) && is_markdown(names[i]))
			rc = found_add(l, path, srel);
		free(path);
		free(srel);
	}
done:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

static int
is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* Lists a configured [source "NAME"] (lib/source.c) into documents. A
 * source that cannot be listed is reported; the others go on. */
static int
collect_source(struct found_list *l, const char *name, struct run *r)
{
	struct cl_source *src = NULL, **nv;
	struct cl_error e = { 0 };
	size_t i;
	int rc;

	if ((rc = cl_source_open(&src, r->cfg, name, r->st, r->opts ? r->opts->verbose : 0,
	                         &e)) != 0) {
		char where[200];
		if (rc == CL_ENOMEM)
			return rc;
		snprintf(where, sizeof where, "source '%s'", name);
		report(r, where, NULL, e.msg);
		r->stats->files_failed++;
		r->source_rc = cl_error_worse(r->source_rc, rc);
		return 0;
	}
	if ((nv = cl_realloc(r->srcs, (r->nsrcs + 1) * sizeof *nv)) == NULL) {
		cl_source_free(src);
		return CL_ENOMEM;
	}
	r->srcs = nv;
	r->srcs[r->nsrcs++] = src;
	for (i = 0; i < cl_source_count(src); i++) {
		struct cl_source_doc *d = cl_source_doc_at(src, i);
		if ((rc = found_add(l, d->id, d->id)) != 0)
			return rc;
		l->v[l->n - 1].doc = d;
	}
	return 0;
}

/* Expands the sources into files. Missing sources are reported. */
static int
collect(struct found_list *l, char *const *sources, int nsources, struct run *r)
{
	int i, rc;

	for (i = 0; i < nsources; i++) {
		const char *src = sources[i];
		struct stat sb;
		char *trimmed;

		if (cl_source_configured(r->cfg, src)) {
			if ((rc = collect_source(l, src, r)) != 0)
				return rc;
			continue;
		}
		if (is_url(src)) {
			if ((rc = found_add(l, src, src)) != 0)
				return rc;
			continue;
		}
		if (strstr(src, "://") != NULL) {
			report(r, src, NULL, "only http and https URLs can be imported");
			r->stats->files_failed++;
			continue;
		}
		if (stat(src, &sb) != 0) {
			char msg[300];
			snprintf(msg, sizeof msg, "unable to open: %s", strerror(errno));
			report(r, src, NULL, msg);
			r->stats->files_failed++;
			r->sources_missing++;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if ((trimmed = cl_strdup(src)) == NULL)
				return CL_ENOMEM;
			while (strlen(trimmed) > 1 && trimmed[strlen(trimmed) - 1] == '/')
				trimmed[strlen(trimmed) - 1] = '\0';
			rc = walk_dir(l, trimmed, "", 0, r);
			free(trimmed);
			if (rc != 0)
				return rc;
		} else {
			const char *base = strrchr(src, '/');
			if ((rc = found_add(l, src, base ? base + 1 : src)) != 0)
				return rc;
		}
	}
	return 0;
}

/* "2024/db-outage.md" → "2024-db-outage"; URLs lose their scheme. */
static char *
make_slug(const char *source)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *s = source, *end;
	size_t n;

	if (strncasecmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		s += 7;
	end = s + strlen(s);
	n = (size_t)(end - s);
	if (n > 3 && strcasecmp(end - 3, ".md") == 0)
		end -= 3;
	else if (n > 9 && strcasecmp(end - 9, ".markdown") == 0)
		end -= 9;
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '_' || c == '.')
			cl_buf_putc(&b, (char)tolower(c));
		else if (b.len && b.data[b.len - 1] != '-')
			cl_buf_putc(&b, '-');
	}
	while (b.len && (b.data[b.len - 1] == '-' || b.data[b.len - 1] == '.'))
		b.data[--b.len] = '\0';
	if (b.len == 0)
		cl_buf_puts(&b, "postmortem");
	return cl_buf_steal(&b);
}

static int
prep(struct run *r, sqlite3_stmt **s, const char *sql)
{
	if (*s != NULL) {
		sqlite3_reset(*s);
		sqlite3_clear_bindings(*s);
		return 0;
	}
	return cl_store_prepare(r->st, s, sql, r->err);
}

static void
run_finalize(struct run *r)
{
	sqlite3_finalize(r->q_pm);
	sqlite3_finalize(r->q_items);
	sqlite3_finalize(r->ins_pm);
	sqlite3_finalize(r->upd_pm_seen);
	sqlite3_finalize(r->upd_pm);
	sqlite3_finalize(r->ins_item);
	sqlite3_finalize(r->upd_item);
	sqlite3_finalize(r->slug_taken);
}

static int
step_done(struct run *r, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : cl_store_fail(r->st, rc, r->err, what);
}

/* An item as stored, for matching against the parsed document. */
struct old_item {
	long long id;
	int seq, position, matched;
	char *norm, *action, *owner, *owner_raw, *due, *due_raw, *doc_status, *status,
	     *doc_ticket, *priority, *problems;
	int line;
};

static void
old_items_free(struct old_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].norm);
		free(v[i].action);
		free(v[i].owner);
		free(v[i].owner_raw);
		free(v[i].due);
		free(v[i].due_raw);
		free(v[i].doc_status);
		free(v[i].status);
		free(v[i].doc_ticket);
		free(v[i].priority);
		free(v[i].problems);
	}
	free(v);
}

static int
load_old_items(struct run *r, long long pm, struct old_item **out, size_t *n)
{
	struct old_item *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc, oom = 0;

	*out = NULL;
	*n = 0;
	if ((rc = prep(r, &r->q_items, "SELECT id, seq, position, norm, action, owner, "
	               "owner_raw, due, due_raw, doc_status, status, doc_ticket, priority, "
	               "problems, line FROM items WHERE postmortem_id = ? ORDER BY position, seq")) != 0)
		return rc;
	sqlite3_bind_int64(r->q_items, 1, pm);
	while ((rc = sqlite3_step(r->q_items)) == SQLITE_ROW) {
		sqlite3_stmt *s = r->q_items;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct old_item *nv = cl_realloc(v, ncap * sizeof *nv);
			if (nv == NULL) {
				old_items_free(v, cnt);
				return cl_error_set(r->err, CL_ENOMEM, "out of memory");
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[cnt], 0, sizeof v[cnt]);
		v[cnt].id = sqlite3_column_int64(s, 0);
		v[cnt].seq = sqlite3_column_int(s, 1);
		v[cnt].position = sqlite3_column_int(s, 2);
		v[cnt].norm = cl_column_dup_oom(s, 3, &oom);
		v[cnt].action = cl_column_dup_oom(s, 4, &oom);
		v[cnt].owner = cl_column_dup_oom(s, 5, &oom);
		v[cnt].owner_raw = cl_column_dup_oom(s, 6, &oom);
		v[cnt].due = cl_column_dup_oom(s, 7, &oom);
		v[cnt].due_raw = cl_column_dup_oom(s, 8, &oom);
		v[cnt].doc_status = cl_column_dup_oom(s, 9, &oom);
		v[cnt].status = cl_column_dup_oom(s, 10, &oom);
		v[cnt].doc_ticket = cl_column_dup_oom(s, 11, &oom);
		v[cnt].priority = cl_column_dup_oom(s, 12, &oom);
		v[cnt].problems = cl_column_dup_oom(s, 13, &oom);
		v[cnt].line = sqlite3_column_int(s, 14);
		cnt++;
		if (oom || v[cnt - 1].norm == NULL || v[cnt - 1].status == NULL) {
			old_items_free(v, cnt);
			return cl_error_set(r->err, CL_ENOMEM, "out of memory");
		}
	}
	if (rc != SQLITE_DONE) {
		old_items_free(v, cnt);
		return cl_store_fail(r->st, rc, r->err, "reading items");
	}
	*out = v;
	*n = cnt;
	return 0;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Records field old → new in history when they differ; returns 1 if so. */
static int
note_change(struct run *r, long long id, const char *field, const char *old,
            const char *nv, int *changed)
{
	if (str_eq(old, nv))
		return 0;
	*changed = 1;
	return cl_history_add(r->st, id, "import", field, old, nv, r->err);
}

/* Inserts or updates the items of one document. */
static int
store_items(struct run *r, long long pm, int is_new, const char *slug,
            const struct cl_pm_doc *doc, char **norms, char **codes)
{
	struct old_item *old = NULL;
	size_t nold = 0, i, j;
	int *match = NULL, rc, maxseq = 0;

	if (!is_new && (rc = load_old_items(r, pm, &old, &nold)) != 0)
		return rc;
	if (doc->nitems && (match = cl_calloc(doc->nitems, sizeof *match)) == NULL) {
		rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
		goto done;
	}
	for (j = 0; j < nold; j++)
		if (old[j].seq > maxseq)
			maxseq = old[j].seq;
	/* 1: same text (live items first, then withdrawn ones coming back) */
	for (i = 0; i < doc->nitems; i++) {
		match[i] = -1;
		for (j = 0; j < nold; j++)
			if (!old[j].matched && strcmp(old[j].status, "withdrawn") != 0 &&
			    strcmp(old[j].norm, norms[i]) == 0)
				break;
		if (j == nold)
			for (j = 0; j < nold; j++)
				if (!old[j].matched && strcmp(old[j].norm, norms[i]) == 0)
					break;
		if (j < nold) {
			old[j].matched = 1;
			match[i] = (int)j;
		}
	}
	/* 2: an edited row in the same position is the same item */
	for (i = 0; i < doc->nitems; i++) {
		if (match[i] >= 0)
			continue;
		for (j = 0; j < nold; j++)
			if (!old[j].matched && old[j].position == (int)i &&
			    strcmp(old[j].status, "withdrawn") != 0)
				break;
		if (j < nold) {
			old[j].matched = 1;
			match[i] = (int)j;
		}
	}
	for (i = 0; i < doc->nitems && rc == 0; i++) {
		const struct cl_pm_item *it = &doc->items[i];
		const char *doc_status = it->done ? "done" : "open";
		char due[11], *key;
		const char *duep = NULL;

		if (it->due != CL_NO_DATE) {
			cl_date_format(it->due, due);
			duep = due;
		}
		if (match[i] < 0) {
			if ((key = cl_asprintf("%s.%d", slug, ++maxseq)) == NULL) {
				rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
				break;
			}
			if ((rc = prep(r, &r->ins_item, "INSERT INTO items (key, postmortem_id, seq, "
			               "position, line, norm, action, owner, owner_raw, due, due_raw, "
			               "priority, doc_status, status, doc_ticket, problems, created_at, "
			               "updated_at, closed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
			               "?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?16, ?17)")) != 0) {
				free(key);
				break;
			}
			cl_bind_text(r->ins_item, 1, key);
			sqlite3_bind_int64(r->ins_item, 2, pm);
			sqlite3_bind_int(r->ins_item, 3, maxseq);
			sqlite3_bind_int(r->ins_item, 4, (int)i);
			sqlite3_bind_int(r->ins_item, 5, it->line);
			cl_bind_text(r->ins_item, 6, norms[i]);
			cl_bind_text(r->ins_item, 7, it->action);
			cl_bind_text(r->ins_item, 8, it->owner);
			cl_bind_text(r->ins_item, 9, it->owner_raw);
			cl_bind_text(r->ins_item, 10, duep);
			cl_bind_text(r->ins_item, 11, it->due_raw);
			cl_bind_text(r->ins_item, 12, it->priority);
			cl_bind_text(r->ins_item, 13, doc_status);
			cl_bind_text(r->ins_item, 14, it->ticket);
			cl_bind_text(r->ins_item, 15, codes[i]);
			cl_bind_text(r->ins_item, 16, r->now);
			cl_bind_text(r->ins_item, 17, it->done ? r->now : NULL);
			free(key);
			if ((rc = step_done(r, r->ins_item, "inserting item")) != 0)
				break;
			/* creation is items.created_at: no history row (60,000 fewer
			 * writes on a large first import); cl_item_history shows it */
			r->stats->items_new++;
		} else {
			struct old_item *o = &old[match[i]];
			const char *status = o->status;
			int changed = 0, moved;

			/* the document's status counts when the document changed it, or
			 * when a withdrawn row comes back */
			if (!str_eq(o->doc_status, doc_status) || strcmp(o->status, "withdrawn") == 0)
				status = doc_status;
			moved = o->position != (int)i || o->line != it->line ||
			        !str_eq(o->problems, codes[i]) || !str_eq(o->norm, norms[i]);
			rc = note_change(r, o->id, "action", o->action, it->action, &changed);
			if (rc == 0)
				rc = note_change(r, o->id, "owner", o->owner_raw, it->owner_raw, &changed);
			if (rc == 0)
				rc = note_change(r, o->id, "due", o->due_raw, it->due_raw, &changed);
			if (rc == 0)
				rc = note_change(r, o->id, "status", o->status, status, &changed);
			if (rc == 0)
				rc = note_change(r, o->id, "ticket", o->doc_ticket, it->ticket, &changed);
			if (rc == 0 && !str_eq(o->priority, it->priority))
				changed = 1;
			if (rc != 0 || (!changed && !moved))
				continue;
			if ((rc = prep(r, &r->upd_item, "UPDATE items SET position = ?2, line = ?3, "
			               "norm = ?4, action = ?5, owner = ?6, owner_raw = ?7, due = ?8, "
			               "due_raw = ?9, priority = ?10, doc_status = ?11, status = ?12, "
			               "doc_ticket = ?13, problems = ?14, "
			               "updated_at = CASE WHEN ?16 THEN ?15 ELSE updated_at END, "
			               "closed_at = CASE WHEN ?12 = 'done' THEN coalesce(closed_at, ?15) "
			               "ELSE NULL END WHERE id = ?1")) != 0)
				break;
			sqlite3_bind_int64(r->upd_item, 1, o->id);
			sqlite3_bind_int(r->upd_item, 2, (int)i);
			sqlite3_bind_int(r->upd_item, 3, it->line);
			cl_bind_text(r->upd_item, 4, norms[i]);
			cl_bind_text(r->upd_item, 5, it->action);
			cl_bind_text(r->upd_item, 6, it->owner);
			cl_bind_text(r->upd_item, 7, it->owner_raw);
			cl_bind_text(r->upd_item, 8, duep);
			cl_bind_text(r->upd_item, 9, it->due_raw);
			cl_bind_text(r->upd_item, 10, it->priority);
			cl_bind_text(r->upd_item, 11, doc_status);
			cl_bind_text(r->upd_item, 12, status);
			cl_bind_text(r->upd_item, 13, it->ticket);
			cl_bind_text(r->upd_item, 14, codes[i]);
			cl_bind_text(r->upd_item, 15, r->now);
			sqlite3_bind_int(r->upd_item, 16, changed);
			if ((rc = step_done(r, r->upd_item, "updating item")) != 0)
				break;
			if (changed)
				r->stats->items_updated++;
		}
	}
	/* rows that disappeared: withdrawn, never deleted */
	for (j = 0; j < nold && rc == 0; j++) {
		sqlite3_stmt *s = NULL;
		if (old[j].matched || strcmp(old[j].status, "withdrawn") == 0)
			continue;
		if ((rc = cl_store_prepare(r->st, &s, "UPDATE items SET status = 'withdrawn', "
		                           "updated_at = ? WHERE id = ?", r->err)) != 0)
			break;
		sqlite3_bind_text(s, 1, r->now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, old[j].id);
		rc = step_done(r, s, "withdrawing item");
		sqlite3_finalize(s);
		if (rc == 0)
			rc = cl_history_add(r->st, old[j].id, "import", "status", old[j].status,
			                    "withdrawn", r->err);
		r->stats->items_withdrawn++;
	}
done:
	free(match);
	old_items_free(old, nold);
	return rc;
}

/* Picks a slug no other source uses. A failed lookup is an error, not a
 * free slug (the insert would then fail on the unique constraint). */
static int
unique_slug(struct run *r, const char *source, char **out)
{
	char *base = make_slug(source), *slug;
	int n, rc = 0, step;

	*out = NULL;
	if (base == NULL)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	slug = cl_strdup(base);
	for (n = 2;; n++) {
		if (slug == NULL) {
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			break;
		}
		if ((rc = prep(r, &r->slug_taken, "SELECT 1 FROM postmortems WHERE slug = ?")) != 0)
			break;
		sqlite3_bind_text(r->slug_taken, 1, slug, -1, SQLITE_STATIC);
		step = sqlite3_step(r->slug_taken);
		sqlite3_reset(r->slug_taken);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = cl_store_fail(r->st, step, r->err, "choosing a post-mortem id");
			break;
		}
		if (n >= 1000) {
			rc = cl_error_set(r->err, CL_ERROR, "no free post-mortem id for '%s'", source);
			break;
		}
		free(slug);
		slug = cl_asprintf("%s-%d", base, n);
	}
	free(base);
	if (rc != 0) {
		free(slug);
		return rc;
	}
	*out = slug;
	return 0;
}

static void
bind_date(sqlite3_stmt *s, int i, int day)
{
	char buf[11];

	if (day == CL_NO_DATE) {
		sqlite3_bind_null(s, i);
		return;
	}
	cl_date_format(day, buf);
	cl_bind_text(s, i, buf);
}

/* Writes the post-mortem row (insert or update); returns its id and slug.
 * Both statements use the same parameter numbers. */
static int
store_postmortem(struct run *r, long long existing, const struct found *f,
                 const struct cl_pm_doc *doc, const struct stat *sb, const char *hash,
                 const char *codes, long long *id, char **slug)
{
	static const char ins[] = "INSERT INTO postmortems (slug, source, first_seen, path, kind, "
		"title, incident_date, written_date, severity, authors, last_seen, file_size, "
		"file_mtime, content_hash, problems, rb_owner, rb_last_tested, rb_rto_target, "
		"rb_actual_rto) VALUES (?18, ?19, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
		"?12, ?13, ?14, ?15, ?16, ?17)";
	static const char upd[] = "UPDATE postmortems SET path = ?2, kind = ?3, "
		"title = ?4, incident_date = ?5, written_date = ?6, severity = ?7, "
		"authors = ?8, last_seen = ?9, file_size = ?10, file_mtime = ?11, "
		"content_hash = ?12, problems = ?13, rb_owner = ?14, rb_last_tested = ?15, "
		"rb_rto_target = ?16, rb_actual_rto = ?17 WHERE id = ?1 AND ?18 IS NULL "
		"AND ?19 IS NULL";
	sqlite3_stmt *s;
	int rc;

	/* a page or an issue: its title says more than its URL */
	if (existing == 0 && (rc = unique_slug(r, f->doc && *f->doc->title ? f->doc->title :
	                                       f->source, slug)) != 0)
		return rc;
	if ((rc = prep(r, existing ? &r->upd_pm : &r->ins_pm, existing ? upd : ins)) != 0)
		return rc;
	s = existing ? r->upd_pm : r->ins_pm;
	sqlite3_bind_int64(s, 1, existing);
	cl_bind_text(s, 2, f->path);
	sqlite3_bind_text(s, 3, doc->is_runbook ? "runbook" : "postmortem", -1, SQLITE_STATIC);
	cl_bind_text(s, 4, doc->title);
	bind_date(s, 5, doc->incident_date);
	bind_date(s, 6, doc->written_date);
	cl_bind_text(s, 7, doc->severity);
	cl_bind_text(s, 8, doc->authors);
	sqlite3_bind_text(s, 9, r->now, -1, SQLITE_STATIC);
	if (sb) {
		sqlite3_bind_int64(s, 10, (sqlite3_int64)sb->st_size);
		sqlite3_bind_int64(s, 11, (sqlite3_int64)sb->st_mtime);
	}
	cl_bind_text(s, 12, hash);
	cl_bind_text(s, 13, codes);
	cl_bind_text(s, 14, doc->rb_owner);
	bind_date(s, 15, doc->rb_last_tested);
	cl_bind_text(s, 16, doc->rb_rto_target);
	if (doc->rb_actual_rto >= 0)
		sqlite3_bind_int(s, 17, doc->rb_actual_rto);
	if (existing == 0) {
		sqlite3_bind_text(s, 18, *slug, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 19, f->source, -1, SQLITE_STATIC);
	}
	if ((rc = step_done(r, s, existing ? "updating post-mortem" : "inserting post-mortem")) != 0)
		return rc;
	*id = existing ? existing : sqlite3_last_insert_rowid(cl_store_db(r->st));
	return 0;
}

/* One document on its way through the pipeline: prepared on the main
 * thread (database lookups), worked on by the parser thread (read, hash,
 * parse, lint: no database), finished on the main thread (writes). */
struct job {
	const struct found *f;
	/* prepared */
	long long pm;
	char *slug;
	char old_hash[65];
	int first_seen, ref, check_hash;
	struct stat sb;
	int have_sb;
	/* worked */
	int rc;			/* 0, or a file-level error in err */
	int touched;		/* same content as stored: nothing to parse */
	struct cl_error err;
	char hash[65];
	struct cl_pm_doc *doc;
	struct cl_problems probs;
	char *doc_codes, **norms, **codes;
};

static void
job_release(struct job *j)
{
	size_t i;

	for (i = 0; j->doc && i < j->doc->nitems; i++) {
		free(j->norms ? j->norms[i] : NULL);
		free(j->codes ? j->codes[i] : NULL);
	}
	free(j->norms);
	free(j->codes);
	free(j->doc_codes);
	cl_problems_release(&j->probs);
	cl_pm_doc_free(j->doc);
	free(j->slug);
	memset(j, 0, sizeof *j);
}

/* Main thread: looks the document up. Returns 1 when it is unchanged (by
 * size and mtime) and needs no work, 0 when the job must run, or an error. */
static int
job_prepare(struct run *r, const struct found *f, struct job *j)
{
	int rc;

	memset(j, 0, sizeof *j);
	j->f = f;
	j->first_seen = CL_NO_DATE;
	r->stats->files_seen++;
	if (!is_url(f->path) && stat(f->path, &j->sb) == 0)
		j->have_sb = 1;
	if (r->st != NULL) {
		if ((rc = prep(r, &r->q_pm, "SELECT id, file_size, file_mtime, content_hash, "
		               "first_seen, slug FROM postmortems WHERE source = ?")) != 0)
			return rc;
		sqlite3_bind_text(r->q_pm, 1, f->source, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(r->q_pm)) == SQLITE_ROW) {
			sqlite3_stmt *s = r->q_pm;
			time_t t;
			j->pm = sqlite3_column_int64(s, 0);
			/* a source's document: unchanged when its version is the
			 * stored one (file_mtime holds it), without reading it */
			if (!r->lint_only && !r->force && f->doc != NULL &&
			    sqlite3_column_type(s, 2) != SQLITE_NULL &&
			    sqlite3_column_int64(s, 2) == (sqlite3_int64)f->doc->version) {
				sqlite3_reset(s);
				r->stats->files_unchanged++;
				return 1;
			}
			if (!r->lint_only && !r->force && j->have_sb &&
			    sqlite3_column_int64(s, 1) == (sqlite3_int64)j->sb.st_size &&
			    sqlite3_column_int64(s, 2) == (sqlite3_int64)j->sb.st_mtime) {
				sqlite3_reset(s);
				r->stats->files_unchanged++;
				return 1;
			}
			snprintf(j->old_hash, sizeof j->old_hash, "%s", sqlite3_column_text(s, 3) ?
			         (const char *)sqlite3_column_text(s, 3) : "");
			if (sqlite3_column_text(s, 4) &&
			    cl_time_parse((const char *)sqlite3_column_text(s, 4), &t) == 0) {
				struct tm tm;
				cl_localtime(t, r->tz, &tm);
				j->first_seen = cl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1,
				                                   tm.tm_mday);
			}
			if ((j->slug = cl_column_dup(s, 5)) == NULL) {
				sqlite3_reset(s);
				return cl_error_set(r->err, CL_ENOMEM, "out of memory");
			}
		} else if (rc != SQLITE_DONE) {
			return cl_store_fail(r->st, rc, r->err, "reading post-mortem");
		}
		sqlite3_reset(r->q_pm);
	}
	if (j->pm == 0 && !r->lint_only)
		j->first_seen = r->today;
	if (f->doc != NULL && j->pm == 0 && f->doc->created != CL_NO_DATE)
		j->first_seen = f->doc->created;	/* written when the page was */
	j->ref = j->first_seen != CL_NO_DATE ? j->first_seen : r->today;
	j->check_hash = j->pm != 0 && !r->lint_only && !r->force;
	return 0;
}

/* Reads a source into memory: a file, an http(s) URL, or a configured
 * source's document (its body fetched now, as Markdown). */
static int
read_source(const struct run *r, const struct found *f, char **buf, size_t *len,
            struct cl_error *err)
{
	if (f->doc != NULL) {
		int rc = cl_source_fetch(f->doc, err);
		if (rc != 0)
			return rc;
		if (f->doc->body_len > r->max_size)
			return cl_error_set(err, CL_EDATA, "larger than %zu bytes", r->max_size);
		*len = f->doc->body_len;
		return (*buf = cl_strndup(f->doc->body, f->doc->body_len)) ? 0 :
		       cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	if (is_url(f->path))
		return cl_http_get(buf, len, f->path, r->max_size, NULL, err);
	return cl_read_file(buf, len, f->path, r->max_size, err);
}

/* Parser thread (or main thread without one): read, hash, parse, lint. Uses
 * no database and writes only to the job. */
static void
job_work(const struct run *r, struct job *j)
{
	char *buf = NULL;
	size_t len = 0, i;
	long failures = cl_alloc_failures();

	if ((j->rc = read_source(r, j->f, &buf, &len, &j->err)) != 0)
		goto done;
	if (j->f->doc != NULL) {
		/* stored as file_size/file_mtime: the version read, for the next run */
		j->sb.st_size = (off_t)len;
		j->sb.st_mtime = (time_t)j->f->doc->version;
		j->have_sb = 1;
	}
	cl_sha256_hex(buf, len, j->hash);
	if (j->check_hash && strcmp(j->hash, j->old_hash) == 0) {
		j->touched = 1;
		goto done;
	}
	if ((j->rc = cl_parse_document(&j->doc, buf, len, j->ref, &j->err)) != 0)
		goto done;
	if (j->f->doc != NULL && j->doc->incident_date == CL_NO_DATE)
		j->doc->incident_date = j->f->doc->created;	/* the body does not say */
	if (cl_lint_document(&j->probs, j->doc, j->first_seen, r->cfg) != 0 ||
	    (j->doc_codes = cl_lint_codes(&j->probs, 0)) == NULL)
		goto oom;
	if (j->doc->nitems && ((j->norms = cl_calloc(j->doc->nitems, sizeof *j->norms)) == NULL ||
	                       (j->codes = cl_calloc(j->doc->nitems, sizeof *j->codes)) == NULL))
		goto oom;
	for (i = 0; i < j->doc->nitems; i++) {
		size_t before = j->probs.n;
		if (cl_lint_item(&j->probs, &j->doc->items[i], r->cfg) != 0 ||
		    (j->norms[i] = cl_parse_normalise(j->doc->items[i].action)) == NULL ||
		    (j->codes[i] = cl_lint_codes(&j->probs, before)) == NULL)
			goto oom;
	}
	goto done;
oom:
	j->rc = cl_error_set(&j->err, CL_ENOMEM, "out of memory");
done:
	free(buf);
	/* lint and the parser fill some fields without reporting a failed copy:
	 * a document worked on short of memory is not stored, whatever it says */
	if (cl_alloc_failures() != failures && j->rc != CL_ENOMEM) {
		cl_error_clear(&j->err);
		j->rc = cl_error_set(&j->err, CL_ENOMEM, "out of memory");
	}
}

/* Main thread: reports and writes one worked document. File-level problems
 * are reported and counted, not returned: only database and memory errors
 * stop the run. */
static int
job_finish(struct run *r, struct job *j)
{
	const struct found *f = j->f;
	long long id = 0;
	size_t i;
	int rc;

	if (j->rc == CL_ENOMEM)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory importing '%s'", f->path);
	if (j->rc != 0) {
		char *where = f->doc ? cl_source_where(f->doc, 0) : NULL;
		report(r, where ? where : f->path, NULL, j->err.msg);
		free(where);
		r->stats->files_failed++;
		return 0;
	}
	if (j->touched) {
		/* touched, not changed: remember the new mtime, skip the parse */
		sqlite3_stmt *s = NULL;
		r->stats->files_unchanged++;
		if (!j->have_sb || r->opts_dry_run)
			return 0;
		if ((rc = cl_store_prepare(r->st, &s, "UPDATE postmortems SET file_size = ?, "
		                           "file_mtime = ? WHERE id = ?", r->err)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)j->sb.st_size);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)j->sb.st_mtime);
		sqlite3_bind_int64(s, 3, j->pm);
		rc = step_done(r, s, "updating post-mortem");
		sqlite3_finalize(s);
		return rc;
	}
	r->stats->files_parsed++;
	for (i = 0; i < j->probs.n; i++) {
		/* a page has no lines: "TITLE (URL) › SECTION: code: message" */
		struct cl_problem p = j->probs.v[i];
		char *where = f->doc ? cl_source_where(f->doc, p.line) : NULL;
		if (f->doc != NULL)
			p.line = 0;
		report(r, where ? where : f->path, &p, NULL);
		free(where);
	}
	r->stats->problems += (int)j->probs.n;
	if (r->lint_only)
		return 0;
	if ((rc = store_postmortem(r, j->pm, f, j->doc, j->have_sb ? &j->sb : NULL, j->hash,
	                           j->doc_codes, &id, &j->slug)) != 0)
		return rc;
	return store_items(r, id, j->pm == 0, j->slug, j->doc, j->norms, j->codes);
}

/* Before a commit: an allocation that failed on this thread since the run
 * started and was not reported where it happened fails the transaction
 * rather than commit a row written short of a value. */
static int
check_failures(struct run *r)
{
	if (cl_alloc_failures() == r->alloc_failures)
		return 0;
	return cl_error_set(r->err, CL_ENOMEM, "out of memory");
}

/* The parser thread and the queue between it and the main thread. Jobs are
 * worked in order; the main thread finishes them in the same order. */
#define PIPE_DEPTH 32

struct pipe {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct run *r;
	struct job jobs[PIPE_DEPTH];
	size_t head, worked, tail;	/* head ≤ worked ≤ tail, modulo counters */
	int stop;
	int main_waits, worker_waits;	/* signal only a thread that sleeps */
};

static void *
pipe_main(void *arg)
{
	struct pipe *p = arg;
	struct job *j;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->worked == p->tail && !p->stop) {
			p->worker_waits = 1;
			pthread_cond_wait(&p->cv, &p->mu);
			p->worker_waits = 0;
		}
		if (p->worked == p->tail && p->stop)
			break;
		j = &p->jobs[p->worked % PIPE_DEPTH];
		pthread_mutex_unlock(&p->mu);
		job_work(p->r, j);
		pthread_mutex_lock(&p->mu);
		p->worked++;
		if (p->main_waits)
			pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Runs every file through prepare → work → finish, with the work on a second
 * thread when there is more than a handful of files. */
static int
run_files(struct run *r, const struct found_list *files)
{
	struct pipe *p = NULL;
	size_t next = 0;
	int rc = 0, threaded = files->n > 4 && getenv("CLOSELOOP_NO_THREADS") == NULL;

	if (threaded) {
		if ((p = cl_calloc(1, sizeof *p)) == NULL)
			return cl_error_set(r->err, CL_ENOMEM, "out of memory");
		p->r = r;
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->cv, NULL);
		if (pthread_create(&p->thread, NULL, pipe_main, p) != 0) {
			pthread_mutex_destroy(&p->mu);
			pthread_cond_destroy(&p->cv);
			free(p);
			p = NULL;
			threaded = 0;
		}
	}
	while (rc == 0 && (next < files->n || (p && p->head != p->tail))) {
		if (r->st && !r->lint_only && !r->in_tx) {
			if ((rc = cl_store_begin(r->st, r->err)) != 0)
				break;
			r->in_tx = 1;
			r->files_in_tx = 0;
		}
		if (!threaded) {
			struct job j;
			rc = job_prepare(r, &files->v[next++], &j);
			if (rc == 0) {
				job_work(r, &j);
				rc = job_finish(r, &j);
			} else if (rc == 1) {
				rc = 0;
			}
			job_release(&j);
		} else if (next < files->n && p->tail - p->head < PIPE_DEPTH) {
			struct job *j = &p->jobs[p->tail % PIPE_DEPTH];
			rc = job_prepare(r, &files->v[next++], j);
			if (rc != 0) {
				job_release(j);
				rc = rc == 1 ? 0 : rc;
			} else {
				pthread_mutex_lock(&p->mu);
				p->tail++;
				if (p->worker_waits)
					pthread_cond_broadcast(&p->cv);
				pthread_mutex_unlock(&p->mu);
			}
			continue;	/* keep the queue full before finishing */
		} else {
			struct job *j = &p->jobs[p->head % PIPE_DEPTH];
			pthread_mutex_lock(&p->mu);
			while (p->worked == p->head) {
				p->main_waits = 1;
				pthread_cond_wait(&p->cv, &p->mu);
				p->main_waits = 0;
			}
			pthread_mutex_unlock(&p->mu);
			rc = job_finish(r, j);
			job_release(j);
			p->head++;
		}
		if (rc == 0 && r->in_tx && ++r->files_in_tx >= COMMIT_EVERY && !r->opts_dry_run) {
			if ((rc = check_failures(r)) == 0)
				rc = cl_store_commit(r->st, r->err);
			else
				cl_store_rollback(r->st);
			r->in_tx = 0;
		}
	}
	if (p != NULL) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->thread, NULL);
		for (; p->head != p->tail; p->head++)	/* after an error: drop the rest */
			job_release(&p->jobs[p->head % PIPE_DEPTH]);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
	}
	return rc;
}

static int
run_sources(struct run *r, char *const *sources, int nsources)
{
	struct found_list files = { 0 };
	char *list = NULL, *save = NULL, *tok, **cfg_sources = NULL, fp[65];
	int ncfg = 0, rc = 0;
	long max = DEFAULT_MAX_SIZE;
	time_t now = cl_now();

	r->alloc_failures = cl_alloc_failures();
	r->tz = cl_config_timezone(r->cfg);
	cl_time_format_utc(now, r->now);
	r->today = cl_today(r->tz);
	if (r->opts && r->opts->max_size)
		r->max_size = r->opts->max_size;
	else if ((rc = cl_config_get_int(r->cfg, "closeloop", "max_file_size", DEFAULT_MAX_SIZE,
	                                 1, 1L << 30, &max, r->err)) != 0)
		return rc;
	else
		r->max_size = (size_t)max;
	r->force = r->opts && r->opts->force;
	{
		/* lint reads it per document; a bad value is an error once, here */
		long hours;
		if ((rc = cl_config_get_int(r->cfg, "lint", "late_hours", 48, 0, 24 * 365, &hours,
		                            r->err)) != 0)
			return rc;
	}
	if (nsources == 0) {
		const char *v = cl_config_get(r->cfg, "closeloop", "sources");
		char **names = NULL;
		size_t nnames = 0, k;
		int m;
		if (cl_source_names(&names, &nnames, r->cfg, r->err) != 0)
			return CL_ENOMEM;
		if ((v == NULL || *v == '\0') && nnames == 0) {
			cl_source_names_free(names, nnames);
			return cl_error_set(r->err, CL_EUSAGE, "no sources given and none configured "
			                    "([closeloop] sources or [source \"NAME\"] sections)");
		}
		if ((list = cl_strdup(v ? v : "")) == NULL) {
			cl_source_names_free(names, nnames);
			return cl_error_set(r->err, CL_ENOMEM, "out of memory");
		}
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			char **nv = cl_realloc(cfg_sources, (size_t)(ncfg + 1 + nnames) * sizeof *nv);
			if (nv == NULL) {
				cl_source_names_free(names, nnames);
				rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
				goto done;
			}
			cfg_sources = nv;
			cfg_sources[ncfg++] = cl_str_trim(tok);
		}
		/* every [source "NAME"] section not named in sources is imported too */
		for (k = 0; k < nnames; k++) {
			char **nv;
			for (m = 0; m < ncfg && !cl_str_ieq(cfg_sources[m], names[k]); m++)
				;
			if (m < ncfg)
				continue;
			if ((nv = cl_realloc(cfg_sources, (size_t)(ncfg + 1) * sizeof *nv)) == NULL) {
				cl_source_names_free(names, nnames);
				rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
				goto done;
			}
			cfg_sources = nv;
			cfg_sources[ncfg++] = names[k];
		}
		sources = cfg_sources;
		nsources = ncfg;
		r->src_names = names;
		r->nsrc_names = nnames;
	}
	if ((rc = collect(&files, sources, nsources, r)) != 0) {
		rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if (r->st && !r->lint_only) {
		/* lint results depend on [people]/[lint]: re-check all when they change */
		char *old = cl_store_meta_get(r->st, "lint_fingerprint");
		if (cl_config_lint_fingerprint(r->cfg, fp) != 0) {
			free(old);
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (old == NULL || strcmp(old, fp) != 0)
			r->force = 1;
		free(old);
	}
	r->opts_dry_run = r->opts && r->opts->dry_run;
	rc = run_files(r, &files);
	if (rc == 0 && r->st && !r->lint_only && !(r->opts && r->opts->dry_run)) {
		if (!r->in_tx && (rc = cl_store_begin(r->st, r->err)) == 0)
			r->in_tx = 1;
		if (rc == 0)
			rc = cl_store_meta_set(r->st, "lint_fingerprint", fp, r->err);
		if (rc == 0)
			rc = cl_store_meta_set(r->st, "last_import", r->now, r->err);
		for (size_t k = 0; rc == 0 && k < r->nsrcs; k++)
			rc = cl_source_save(r->srcs[k], r->st, r->err);
	}
	if (r->in_tx) {
		if (rc == 0)
			rc = check_failures(r);
		if (rc == 0 && !(r->opts && r->opts->dry_run))
			rc = cl_store_commit(r->st, r->err);
		else
			cl_store_rollback(r->st);
		r->in_tx = 0;
	}
	if (rc == 0 && r->source_rc != 0)
		rc = cl_error_set(r->err, r->source_rc, "a configured source could not be read");
	else if (rc == 0 && r->sources_missing > 0)
		rc = cl_error_set(r->err, CL_ENOINPUT, "%d source%s not found", r->sources_missing,
		                  r->sources_missing == 1 ? "" : "s");
	else if (rc == 0 && r->stats->files_failed > 0)
		rc = cl_error_set(r->err, CL_EDATA, "%d source%s could not be imported",
		                  r->stats->files_failed, r->stats->files_failed == 1 ? "" : "s");
done:
	run_finalize(r);
	found_release(&files);
	for (size_t k = 0; k < r->nsrcs; k++)
		cl_source_free(r->srcs[k]);
	free(r->srcs);
	cl_source_names_free(r->src_names, r->nsrc_names);
	free(cfg_sources);
	free(list);
	return rc;
}

int
cl_import_sources(struct cl_store *st, const struct cl_config *cfg,
                  char *const *sources, int nsources, const struct cl_import_opts *opts,
                  struct cl_import_stats *stats, struct cl_error *err)
{
	struct run r;

	memset(&r, 0, sizeof r);
	memset(stats, 0, sizeof *stats);
	r.st = st;
	r.cfg = cfg;
	r.opts = opts;
	r.stats = stats;
	r.err = err;
	return run_sources(&r, sources, nsources);
}

int
cl_lint_sources(struct cl_store *st, const struct cl_config *cfg,
                char *const *sources, int nsources, const struct cl_import_opts *opts,
                struct cl_import_stats *stats, struct cl_error *err)
{
	struct run r;
	int rc;

	memset(&r, 0, sizeof r);
	memset(stats, 0, sizeof *stats);
	r.st = st;
	r.cfg = cfg;
	r.opts = opts;
	r.stats = stats;
	r.err = err;
	r.lint_only = 1;
	rc = run_sources(&r, sources, nsources);
	if (rc == 0 && stats->problems > 0)
		rc = CL_EPROBLEMS;
	return rc;
}
