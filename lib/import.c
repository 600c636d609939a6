/* import.c — sources → post-mortems and items in the store, keeping
 * history; lint over the same sources. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dates.h"
#include "http.h"
#include "import.h"
#include "item-store.h"
#include "items.h"
#include "parse.h"
#include "source.h"
#include "team.h"
#include "util.h"

#define DEFAULT_MAX_SIZE (16u * 1024 * 1024)
#define COMMIT_EVERY 500	/* files per transaction on a big import */
#define INS_ROWS 16	/* new items per INSERT statement (insert_items) */
#define PM_ROWS 16	/* a first import's post-mortems per INSERT (pm_flush) */
#define PM_PARAMS 23	/* store_postmortem's parameters */
/* WAL pages an import lets pile up before SQLite checkpoints (64 MiB), and
 * SQLite's default (4 MiB) put back after it. With synchronous = NORMAL a
 * commit is made durable by the next checkpoint, which syncs the WAL and
 * then the database: at the default a 10,000-document import paid five
 * such pairs of syncs and copied many pages twice; now it pays one pair,
 * right after the run (a run cut short by a power loss is redone by the
 * next import, the database stays whole either way). */
#define IMPORT_WAL_PAGES 16384
#define SQLITE_WAL_PAGES 1000

/* One file found under a source. */
struct found {
	char *path;		/* as the user sees it: the source given, joined with names */
	char *open;		/* what to open (a checked link's target), NULL: path */
	char *source;		/* display name: path relative to the root, a file's name, URL */
	char *canon;		/* identity: the file's real path, or the URL */
	int nofollow;		/* found as a file, not a link: refuse a link swapped in */
	struct cl_source_doc *doc;	/* a configured source's document, or NULL */
	struct stat sb;		/* what the walk saw (have_sb): no second stat */
	int have_sb;
	int dir;		/* walked: its directory, still open (or -1) */
	const char *name;	/* and its name there (in path) */
};

struct found_list {
	struct found *v;
	size_t n, cap;
};

/* A set of pairs of numbers (device and inode, or a row id): open
 * addressing, grows at three quarters full. A slot holding (0, 0) is
 * empty; the pair (0, 0) itself is a flag. 16 bytes a slot: the sets of a
 * 10,000-file walk were a quarter of a re-import's page faults. */
struct keyset {
	struct key {
		uint64_t a, b;
	} *v;
	size_t n, cap;
	int has_zero;
};

/* A set of strings, their bytes kept in text: open addressing by
 * cl_text_hash, slots hold an offset + 1 into text, grows at three
 * quarters full. */
struct textset {
	struct cl_buf text;
	size_t *slots, nslots, n;
};

enum { FOLLOW_WITHIN, FOLLOW_NO, FOLLOW_YES };

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
	time_t now_t;
	int today;
	int in_tx, files_in_tx;
	int first;		/* into an empty database: one transaction (first_import) */
	int secure_delete;	/* the connection's secure_delete before a first import */
	int sources_missing;	/* sources named that do not exist: exit 66 */
	int sources_later;	/* URLs that could not be fetched now: exit 75 */
	int opts_dry_run;
	long alloc_failures;	/* cl_alloc_failures() when the run started */
	/* the walk */
	int follow;		/* [import] follow_symlinks */
	char **include, **exclude;
	size_t ninclude, nexclude;
	struct keyset dirs, files;	/* device and inode of what was walked */
	struct keyset claimed;		/* post-mortems taken by a file this run */
	int *dirs_open;		/* descriptors of walked directories, kept for the reads */
	size_t ndirs_open, dirs_open_cap;
	char **roots;		/* real paths of the directories walked */
	int *root_failed;	/* a directory below could not be read */
	size_t nroots, roots_cap, failed_cap;	/* the two grow in step */
	char **seen;		/* canonical names found, sorted */
	size_t nseen;
	struct gone {		/* post-mortems whose file is gone: a new document may be one */
		long long id;
		char *canon, *hash, *title, *date;
		int taken;
	} *gone;
	size_t ngone;
	int gone_loaded;
	long missing_days;
	/* configured [source "NAME"] sections listed by this run */
	struct cl_source **srcs;
	size_t nsrcs, srcs_cap;
	int source_rc;		/* the worst error of a source that could not be listed */
	char **src_names;	/* cl_source_names() of the config */
	size_t nsrc_names;
	sqlite3_stmt *q_pm, *q_legacy, *q_items, *q_withdrawn, *ins_pm, *upd_pm_seen, *upd_pm,
	             *slug_taken;
	sqlite3_stmt *ins_items[INS_ROWS];	/* insert_items' statements, by rows - 1 */
	/* a first import's new post-mortem rows, inserted PM_ROWS at a time
	 * (pm_flush) with the ids SQLite gives them one by one: 1, 2, ... */
	struct pm_batch {
		struct pm_vals_row {
			unsigned char type[PM_PARAMS];	/* 0 NULL, 1 number, 2 text */
			sqlite3_int64 num[PM_PARAMS];
			size_t at[PM_PARAMS];		/* text: offset + 1 */
		} v[PM_ROWS];
		size_t n;
		struct cl_buf text;
		long long next_id;
	} batch;
	sqlite3_stmt *ins_pms[PM_ROWS];	/* pm_flush's statements, by rows - 1 */
	/* a first import's slugs and display names: the rows it inserted are
	 * all the table has, so these answer what unique_slug and
	 * unique_source would ask SQLite */
	struct textset slugs, sources;
	struct cl_team_rules *teams;	/* a first import sets teams as it inserts */
	/* the post-mortems table read in one scan for a large run (pm_cache_load) */
	struct pm_cache {
		struct pm_row *v;
		size_t n, cap, *slots, nslots;	/* slots: index + 1, by canon */
		struct cl_buf text;	/* the rows' strings (offsets into it) */
		int on, legacy;		/* loaded; some row has no canon yet */
	} cache;
};

/* What job_prepare needs of a stored post-mortem (columns of pm_cols). */
struct pm_row {
	long long id;
	sqlite3_int64 size, mtime, ctime;
	int has_mtime, forgotten, retired;
	/* in the cache: missing_since is set; a file of this run has the name
	 * (pm_cache_find found it) */
	int missing, found;
	const char *hash, *first_seen, *slug;	/* NULL when NULL */
	size_t canon_at, hash_at, first_seen_at, slug_at;	/* in the cache: offsets + 1 */
};

static void
report(struct run *r, const char *path, const struct cl_problem *p, const char *msg)
{
	if (r->opts && r->opts->report)
		r->opts->report(r->opts->report_arg, path, p, msg);
}

static void
keyset_release(struct keyset *ks)
{
	free(ks->v);
	memset(ks, 0, sizeof *ks);
}

static size_t
key_slot(uint64_t a, uint64_t b, size_t cap)
{
	uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* True when (a, b) is in the set. */
static int
keyset_has(const struct keyset *ks, uint64_t a, uint64_t b)
{
	size_t i;

	if (a == 0 && b == 0)
		return ks->has_zero;
	for (i = key_slot(a, b, ks->cap); ks->cap && (ks->v[i].a || ks->v[i].b);
	     i = (i + 1) & (ks->cap - 1))
		if (ks->v[i].a == a && ks->v[i].b == b)
			return 1;
	return 0;
}

/* Adds (a, b): 1 when it was new, 0 when it was there, CL_ENOMEM. */
static int
keyset_add(struct keyset *ks, uint64_t a, uint64_t b)
{
	size_t i;

	if (a == 0 && b == 0) {
		if (ks->has_zero)
			return 0;
		ks->has_zero = 1;
		return 1;
	}
	if ((ks->n + 1) * 4 > ks->cap * 3) {
		size_t cap = ks->cap ? ks->cap * 2 : 64, k;
		struct key *v = cl_calloc(cap, sizeof *v);
		if (v == NULL)
			return CL_ENOMEM;
		for (k = 0; k < ks->cap; k++) {
			if (ks->v[k].a == 0 && ks->v[k].b == 0)
				continue;
			for (i = key_slot(ks->v[k].a, ks->v[k].b, cap); v[i].a || v[i].b;
			     i = (i + 1) & (cap - 1))
				;
			v[i] = ks->v[k];
		}
		free(ks->v);
		ks->v = v;
		ks->cap = cap;
	}
	for (i = key_slot(a, b, ks->cap); ks->v[i].a || ks->v[i].b; i = (i + 1) & (ks->cap - 1))
		if (ks->v[i].a == a && ks->v[i].b == b)
			return 0;
	ks->v[i].a = a;
	ks->v[i].b = b;
	ks->n++;
	return 1;
}

static void
textset_release(struct textset *t)
{
	cl_buf_release(&t->text);
	free(t->slots);
	memset(t, 0, sizeof *t);
}

/* The slot of s in t: where it is, or the empty slot where it would go. */
static size_t
textset_slot(const size_t *slots, size_t nslots, const char *text, const char *s)
{
	size_t k;

	for (k = (size_t)cl_text_hash(s) & (nslots - 1); slots[k]; k = (k + 1) & (nslots - 1))
		if (strcmp(text + slots[k] - 1, s) == 0)
			break;
	return k;
}

/* True when s is in t. */
static int
textset_has(const struct textset *t, const char *s)
{
	return t->nslots && t->slots[textset_slot(t->slots, t->nslots, t->text.data, s)];
}

/* Adds s to t (once); 0 or CL_ENOMEM. */
static int
textset_add(struct textset *t, const char *s)
{
	size_t k, i;

	if ((t->n + 1) * 4 > t->nslots * 3) {
		size_t nslots = t->nslots ? t->nslots * 2 : 256, *v = cl_calloc(nslots, sizeof *v);
		if (v == NULL)
			return CL_ENOMEM;
		for (i = 0; i < t->nslots; i++)
			if (t->slots[i])
				v[textset_slot(v, nslots, t->text.data,
				               t->text.data + t->slots[i] - 1)] = t->slots[i];
		free(t->slots);
		t->slots = v;
		t->nslots = nslots;
	}
	k = textset_slot(t->slots, t->nslots, t->text.data, s);
	if (t->slots[k])
		return 0;
	cl_buf_add(&t->text, s, strlen(s) + 1);
	if (t->text.oom)
		return CL_ENOMEM;
	t->slots[k] = t->text.len - strlen(s);
	t->n++;
	return 0;
}

static void
found_release(struct found_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].open);
		free(l->v[i].source);
		free(l->v[i].canon);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Appends a found file, taking the strings (open may be NULL); on failure
 * frees them and returns CL_ENOMEM. */
static int
found_put(struct found_list *l, char *path, char *open, char *source, char *canon,
          int nofollow, const struct stat *sb)
{
	struct found *f;

	if (path == NULL || source == NULL || canon == NULL ||
	    cl_grow(&l->v, &l->cap, l->n, sizeof *l->v, 64) != 0) {
		free(path);
		free(open);
		free(source);
		free(canon);
		return CL_ENOMEM;
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof *f);
	f->path = path;
	f->open = open;
	f->source = source;
	f->canon = canon;
	f->nofollow = nofollow;
	f->dir = -1;
	if (sb != NULL) {
		f->sb = *sb;
		f->have_sb = 1;
	}
	return 0;
}

static int
found_add(struct found_list *l, const char *path, const char *open, const char *source,
          const char *canon, int nofollow, const struct stat *sb)
{
	char *o = open ? cl_strdup(open) : NULL;

	if (open && o == NULL)
		return CL_ENOMEM;
	return found_put(l, cl_strdup(path), o, cl_strdup(source), cl_strdup(canon), nofollow, sb);
}

/* "dir/name" (caller frees), without a printf per directory entry. */
static char *
path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = cl_malloc(a + b + 2);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

/* Splits a comma-separated list of patterns into *out (caller frees each
 * and the array). */
static int
split_patterns(char ***out, size_t *n, const char *list)
{
	char *copy = cl_strdup(list), *save = NULL, *tok;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (copy == NULL)
		return CL_ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		tok = cl_str_trim(tok);
		if (*tok == '\0')
			continue;
		if (cl_grow(&v, &cap, cnt, sizeof *v, 8) != 0 || (v[cnt] = cl_strdup(tok)) == NULL) {
			rc = CL_ENOMEM;
			break;
		}
		cnt++;
	}
	free(copy);
	*out = v;
	*n = cnt;
	return rc;
}

static void
patterns_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* For a pattern "*SUFFIX" whose SUFFIX has no wildcard, bracket, escape
 * or '/': whether name ends with SUFFIX, case ignored (fnmatch's answer
 * with FNM_CASEFOLD in the C locale the program runs in, without its cost:
 * a quarter of an unchanged re-import's walk). -1 for any other pattern. */
static int
suffix_match(const char *pat, const char *name)
{
	size_t np, nn;

	if (pat[0] != '*' || pat[1 + strcspn(pat + 1, "*?[\\/")] != '\0')
		return -1;
	np = strlen(pat + 1);
	nn = strlen(name);
	return nn >= np && strcasecmp(name + nn - np, pat + 1) == 0;
}

/* True when a pattern matches: one with a '/' against the path relative to
 * the root, one without against the name alone; case does not matter. */
static int
pattern_match(char *const *pats, size_t n, const char *name, const char *rel)
{
	size_t i;
	int m;

	for (i = 0; i < n; i++) {
		if ((m = suffix_match(pats[i], name)) >= 0) {
			if (m)
				return 1;
		} else if (strchr(pats[i], '/') != NULL ?
		    fnmatch(pats[i], rel, FNM_PATHNAME | FNM_CASEFOLD) == 0 :
		    fnmatch(pats[i], name, FNM_CASEFOLD) == 0)
			return 1;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True when path is root or below it (both real paths). */
static int
path_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

#define MAX_DEPTH 64
/* Walked directories kept open until the run ends, so that their files are
 * opened by name in them (openat): opening by the whole path looked every
 * component up again (openat was 3.8% of a first import's CPU samples
 * through the link bench/corpus-10000, 2.9% by name). Past this many, by
 * path. */
#define MAX_DIRS_OPEN 128

/* One directory walk: the root's real path and where it is in r->roots. */
struct walk {
	const char *root;
	size_t idx;
};

/* Collects the files below dir (sorted, hidden entries skipped) that the
 * include/exclude patterns select. dir is the path as given, real its real
 * path, rel the path relative to the root ("" at the top). Every directory
 * and every file is taken once, by device and inode: a symbolic link loop
 * or a second path to a file adds nothing. */
static int
walk_dir(struct run *r, const struct walk *w, struct found_list *l, const char *dir,
         const char *real, const char *rel, int depth)
{
	struct cl_import_stats *st = r->stats;
	DIR *d;
	int kept = -1;		/* d's descriptor, kept for the reads */
	struct dirent *de;
	struct cl_buf text = CL_BUF_INIT;	/* the names, one after another */
	char **names = NULL;
	size_t *at = NULL, n = 0, cap = 0, i;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		char msg[600];
		snprintf(msg, sizeof msg, "unable to read directory: %s", strerror(errno));
		report(r, dir, NULL, msg);
		r->stats->files_failed++;
		r->root_failed[w->idx] = 1;
		return 0;
	}
	/* one buffer for the names rather than a string each */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (cl_grow(&at, &cap, n, sizeof *at, 64) != 0) {
			rc = CL_ENOMEM;
			goto done;
		}
		at[n++] = text.len;
		cl_buf_add(&text, de->d_name, strlen(de->d_name) + 1);
	}
	if (text.oom || (n > 0 && (names = cl_malloc(n * sizeof *names)) == NULL)) {
		rc = CL_ENOMEM;
		goto done;
	}
	for (i = 0; i < n; i++)
		names[i] = text.data + at[i];
	qsort(names, n, sizeof *names, cmp_str);
	if (n > 0 && r->ndirs_open < MAX_DIRS_OPEN) {
		if (cl_grow(&r->dirs_open, &r->dirs_open_cap, r->ndirs_open, sizeof *r->dirs_open,
		            8) != 0) {
			rc = CL_ENOMEM;
			goto done;
		}
		if ((kept = fcntl(dirfd(d), F_DUPFD_CLOEXEC, 0)) >= 0)
			r->dirs_open[r->ndirs_open++] = kept;
	}
	for (i = 0; i < n && rc == 0; i++) {
		char *path = path_join(dir, names[i]);
		char *srel = *rel ? path_join(rel, names[i]) : cl_strdup(names[i]);
		char *target = path_join(strcmp(real, "/") == 0 ? "" : real, names[i]);
		char *linked = NULL;
		struct stat lb, sb;

		if (path == NULL || srel == NULL || target == NULL) {
			rc = CL_ENOMEM;
			goto next;
		}
		/* the name in the directory opened: no path looked up again */
		if (fstatat(dirfd(d), names[i], &lb, AT_SYMLINK_NOFOLLOW) != 0)
			goto next;	/* vanished meanwhile */
		sb = lb;
		if (S_ISLNK(lb.st_mode)) {
			if (r->follow == FOLLOW_NO) {
				st->left_out_link++;
				goto next;
			}
			if ((linked = realpath(path, NULL)) == NULL || stat(linked, &sb) != 0) {
				st->left_out_link++;	/* dangling */
				goto next;
			}
			if (r->follow == FOLLOW_WITHIN && !path_within(linked, w->root)) {
				st->left_out_outside++;
				goto next;
			}
			free(target);
			target = linked;
			linked = NULL;
		}
		if (pattern_match(r->exclude, r->nexclude, names[i], srel)) {
			st->left_out_excluded++;
		} else if (S_ISDIR(sb.st_mode)) {
			if (depth >= MAX_DEPTH)
				st->left_out_loop++;
			else if ((rc = keyset_add(&r->dirs, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino)) == 0)
				st->left_out_loop++;
			else if (rc == 1)
				rc = walk_dir(r, w, l, path, target, srel, depth + 1);
		} else if (!S_ISREG(sb.st_mode)) {
			st->left_out_special++;
		} else if (!pattern_match(r->include, r->ninclude, names[i], srel)) {
			st->left_out_name++;
		} else if ((rc = keyset_add(&r->files, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino)) == 0) {
			st->left_out_dup++;
		} else if (rc == 1) {
			/* a link is opened through its checked target; the list
			 * takes the strings made here, no copies */
			char *open = S_ISLNK(lb.st_mode) ? cl_strdup(target) : NULL;
			if (S_ISLNK(lb.st_mode) && open == NULL) {
				rc = CL_ENOMEM;
			} else {
				size_t at_name = strlen(path) - strlen(names[i]);
				if ((rc = found_put(l, path, open, srel, target, 1, &sb)) == 0 &&
				    open == NULL && kept >= 0) {
					/* a file found as a file: by name in d */
					l->v[l->n - 1].dir = kept;
					l->v[l->n - 1].name = path + at_name;
				}
				path = srel = target = NULL;
			}
		}
next:
		free(linked);
		free(path);
		free(srel);
		free(target);
	}
done:
	free(names);
	free(at);
	cl_buf_release(&text);
	closedir(d);
	return rc;
}

static int
is_url(const char *s)
{
	return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

/* Walks one directory source: its real path becomes one of the run's roots. */
static int
walk_root(struct found_list *l, const char *src, const struct stat *sb, struct run *r)
{
	char *trimmed, *real;
	int rc;
	struct walk w;

	if ((real = realpath(src, NULL)) == NULL) {
		char msg[300];
		snprintf(msg, sizeof msg, "unable to open: %s", strerror(errno));
		report(r, src, NULL, msg);
		r->stats->files_failed++;
		return 0;
	}
	if (cl_grow(&r->roots, &r->roots_cap, r->nroots, sizeof *r->roots, 4) != 0 ||
	    cl_grow(&r->root_failed, &r->failed_cap, r->nroots, sizeof *r->root_failed, 4) != 0) {
		free(real);
		return CL_ENOMEM;
	}
	w.idx = r->nroots++;
	w.root = r->roots[w.idx] = real;
	r->root_failed[w.idx] = 0;
	if ((rc = keyset_add(&r->dirs, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino)) <= 0)
		return rc;	/* walked already (named twice, or below another source) */
	if ((trimmed = cl_strdup(src)) == NULL)
		return CL_ENOMEM;
	while (strlen(trimmed) > 1 && trimmed[strlen(trimmed) - 1] == '/')
		trimmed[strlen(trimmed) - 1] = '\0';
	rc = walk_dir(r, &w, l, trimmed, real, "", 0);
	free(trimmed);
	return rc;
}

/* Lists a configured [source "NAME"] (lib/source.c) into documents. A
 * source that cannot be listed is reported; the others go on. */
static int
collect_source(struct found_list *l, const char *name, struct run *r)
{
	struct cl_source *src = NULL;
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
	if (cl_grow(&r->srcs, &r->srcs_cap, r->nsrcs, sizeof *r->srcs, 4) != 0) {
		cl_source_free(src);
		return CL_ENOMEM;
	}
	r->srcs[r->nsrcs++] = src;
	for (i = 0; i < cl_source_count(src); i++) {
		struct cl_source_doc *d = cl_source_doc_at(src, i);
		if ((rc = found_add(l, d->id, NULL, d->id, d->canon, 0, NULL)) != 0)
			return rc;
		l->v[l->n - 1].doc = d;
	}
	return 0;
}

/* Expands the sources into files. Missing sources are reported. A file
 * named on its own is read whatever its name. */
/* Whether sources[i] was named before it, as the same string. */
static int
named_before(char *const *sources, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (strcmp(sources[j], sources[i]) == 0)
			return 1;
	return 0;
}

static int
collect(struct found_list *l, char *const *sources, int nsources, struct run *r)
{
	int i, rc;

	for (i = 0; i < nsources; i++) {
		const char *src = sources[i];
		struct stat sb;

		if (cl_source_configured(r->cfg, src)) {
			if ((rc = collect_source(l, src, r)) != 0)
				return rc;
			continue;
		}
		if (is_url(src)) {
			if (named_before(sources, i))
				r->stats->left_out_dup++;	/* one document, as a file */
			else if ((rc = found_add(l, src, NULL, src, src, 0, NULL)) != 0)
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
			if ((rc = walk_root(l, src, &sb, r)) != 0)
				return rc;
		} else {
			const char *base = strrchr(src, '/');
			char *real = realpath(src, NULL);
			if ((rc = keyset_add(&r->files, (uint64_t)sb.st_dev, (uint64_t)sb.st_ino)) == 1)
				rc = found_add(l, src, NULL, base ? base + 1 : src, real ? real : src, 0, NULL);
			else if (rc == 0)
				r->stats->left_out_dup++;
			free(real);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* "2024/db-outage.md" → "2024-db-outage"; URLs lose their scheme. */
static char *
make_slug(const char *source)
{
	const char *s = source, *end;
	char *out;
	size_t n, len = 0;

	if (strncasecmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		s += 7;
	/* a URL's id is its path: host and port say where it is served from
	 * today, not what it is (the source keeps the whole URL) */
	if (s != source && strchr(s, '/') != NULL && strchr(s, '/')[1] != '\0')
		s = strchr(s, '/') + 1;
	end = s + strcspn(s, "?#");
	n = (size_t)(end - s);
	if (n > 3 && strcasecmp(end - 3, ".md") == 0)
		end -= 3;
	else if (n > 9 && strcasecmp(end - 9, ".markdown") == 0)
		end -= 9;
	/* written in place: no more bytes than the name has, or the default */
	if ((out = cl_malloc((size_t)(end - s) + sizeof "postmortem")) == NULL)
		return NULL;
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '_' || c == '.')
			out[len++] = (char)tolower(c);
		else if (len && out[len - 1] != '-')
			out[len++] = '-';
	}
	while (len && (out[len - 1] == '-' || out[len - 1] == '.'))
		len--;
	if (len == 0)
		memcpy(out, "postmortem", sizeof "postmortem");
	else
		out[len] = '\0';
	return out;
}

/* The run's statement for sql, from the store's one cache (sql is static). */
static int
prep(struct run *r, sqlite3_stmt **s, const char *sql)
{
	return cl_store_cached(r->st, s, sql, r->err);
}

/* Leaves the run's statements reset: the store's cache keeps them. */
static void
run_finalize(struct run *r)
{
	sqlite3_reset(r->q_pm);
	sqlite3_reset(r->q_legacy);
	sqlite3_reset(r->q_withdrawn);
	sqlite3_reset(r->q_items);
	sqlite3_reset(r->ins_pm);
	sqlite3_reset(r->upd_pm_seen);
	sqlite3_reset(r->upd_pm);
	sqlite3_reset(r->slug_taken);
}

/* Runs a writing statement, then resets it and clears its bindings, so that
 * no value bound with cl_bind_kept() is referred to once the step is over. */
static int
step_done(struct run *r, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : cl_store_fail(r->st, rc, r->err, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* Writes "SLUG.SEQ" into key, which holds the slug and 12 bytes more. */
static void
item_key(char *key, size_t slug_len, int seq)
{
	char digits[12];
	size_t n = 0;
	unsigned v = seq > 0 ? (unsigned)seq : 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	key[slug_len] = '.';
	for (key += slug_len + 1; n > 0;)
		*key++ = digits[--n];
	*key = '\0';
}

/* The live (open or done) items of post-mortem ?1. Its withdrawn rows are
 * skipped by their row id, from the partial index items_withdrawn
 * (sql/0013), before SQLite reads their rows: however many pile up, they
 * are never loaded. */
#define LIVE_ITEMS(status) "postmortem_id = ?1 AND " status " AND id NOT IN " \
	"(SELECT id FROM items WHERE postmortem_id = ?1 AND status = 'withdrawn')"

/* An item as stored, for matching against the parsed document. */
struct old_item {
	long long id;
	int seq, position, matched;
	char *norm, *action, *owner, *owner_raw, *due, *due_raw, *doc_status, *status,
	     *doc_ticket, *priority, *problems;
	int line;
};

#define OI(type, field, expr) CL_COLUMN(type, struct old_item, field, expr)
/* What an old item is loaded from (FROM items). */
static const struct cl_column old_cols[] = {
	OI(CL_ROW_INT64, id, "id"),
	OI(CL_ROW_INT, seq, "seq"),
	OI(CL_ROW_INT, position, "position"),
	CL_COLUMN_NOTNULL(struct old_item, norm, "norm"),
	OI(CL_ROW_TEXT, action, "action"),
	OI(CL_ROW_TEXT, owner, "owner"),
	OI(CL_ROW_TEXT, owner_raw, "owner_raw"),
	OI(CL_ROW_TEXT, due, "due"),
	OI(CL_ROW_TEXT, due_raw, "due_raw"),
	OI(CL_ROW_TEXT, doc_status, "doc_status"),
	CL_COLUMN_NOTNULL(struct old_item, status, "status"),
	OI(CL_ROW_TEXT, doc_ticket, "doc_ticket"),
	OI(CL_ROW_TEXT, priority, "priority"),
	OI(CL_ROW_TEXT, problems, "problems"),
	OI(CL_ROW_INT, line, "line"),
};
#define NOLD_COLS (sizeof old_cols / sizeof old_cols[0])
/* the columns find_withdrawn reads before loading a row */
#define OLD_COL_ID 0
#define OLD_COL_NORM 3

static void
old_items_free(struct old_item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cl_store_row_clear(&v[i], old_cols, NOLD_COLS);
	free(v);
}

/* Appends the row s points at to *v; 0 or CL_ENOMEM (reported in err). */
static int
old_item_add(struct run *r, sqlite3_stmt *s, struct old_item **v, size_t *cnt, size_t *cap)
{
	struct old_item *o;

	if (cl_grow(v, cap, *cnt, sizeof **v, 16) != 0)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	o = &(*v)[(*cnt)++];
	memset(o, 0, sizeof *o);
	if (cl_store_row_load(o, s, old_cols, NOLD_COLS) != 0)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	return 0;
}

/* Loads the live (open and done) items of a post-mortem; withdrawn ones are
 * looked up by text only when a row needs them (find_withdrawn), so they
 * cost nothing on later imports however many pile up. */
static int
load_old_items(struct run *r, long long pm, struct old_item **out, size_t *n, size_t *cap)
{
	static char sql[512];
	int rc;

	*out = NULL;
	*n = *cap = 0;
	if ((rc = prep(r, &r->q_items, cl_store_select(sql, sizeof sql, old_cols, NOLD_COLS,
	               "FROM items WHERE " LIVE_ITEMS("status IN ('open', 'done')")
	               " ORDER BY position, seq"))) != 0)
		return rc;
	sqlite3_bind_int64(r->q_items, 1, pm);
	while ((rc = sqlite3_step(r->q_items)) == SQLITE_ROW)
		if ((rc = old_item_add(r, r->q_items, out, n, cap)) != 0)
			goto fail;
	if (rc == SQLITE_DONE)
		return 0;
	rc = cl_store_fail(r->st, rc, r->err, "reading items");
fail:
	sqlite3_reset(r->q_items);
	old_items_free(*out, *n);
	*out = NULL;
	*n = 0;
	return rc;
}

/* A withdrawn item of pm with this text that no row took yet: appended to
 * old (matched) and its index returned in *at, or *at = -1. */
static int
find_withdrawn(struct run *r, long long pm, const char *norm, struct keyset *taken,
               struct old_item **old, size_t *nold, size_t *cap, int *at)
{
	static char sql[512];
	int rc;

	*at = -1;
	if ((rc = prep(r, &r->q_withdrawn, cl_store_select(sql, sizeof sql, old_cols, NOLD_COLS,
	               "FROM items WHERE postmortem_id = ? AND status = 'withdrawn' "
	               "AND norm_hash = ? ORDER BY position, seq"))) != 0)
		return rc;
	sqlite3_bind_int64(r->q_withdrawn, 1, pm);
	sqlite3_bind_int64(r->q_withdrawn, 2, cl_text_hash(norm));
	while ((rc = sqlite3_step(r->q_withdrawn)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(r->q_withdrawn, OLD_COL_NORM);
		long long id = sqlite3_column_int64(r->q_withdrawn, OLD_COL_ID);
		if (t == NULL || strcmp(t, norm) != 0)
			continue;
		if ((rc = keyset_add(taken, (uint64_t)id, 0)) == 0)
			continue;
		if (rc < 0 || (rc = old_item_add(r, r->q_withdrawn, old, nold, cap)) != 0)
			break;
		(*old)[*nold - 1].matched = 1;
		*at = (int)(*nold - 1);
		rc = SQLITE_DONE;
		break;
	}
	sqlite3_reset(r->q_withdrawn);
	if (rc == CL_ENOMEM)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	if (rc < 0)
		return rc;
	return rc == SQLITE_DONE ? 0 : cl_store_fail(r->st, rc, r->err, "reading items");
}

/* Matches the document's rows to the live items: same text (a hash table,
 * first in document order), then a withdrawn item with the same text coming
 * back, then an edited row in the same position. match[i] is the index in
 * old or -1. Linear in rows + items. */
static int
match_items(struct run *r, long long pm, const struct cl_pm_doc *doc, char **norms,
            struct old_item **old, size_t *nold, size_t *cap, int *match)
{
	size_t nlive = *nold, tcap = 16, i, k;
	size_t *slots = NULL;
	int *bypos = NULL, maxpos = -1, rc = 0;
	struct keyset taken = { 0 };

	while (tcap < nlive * 2)
		tcap *= 2;
	if ((slots = cl_calloc(tcap, sizeof *slots)) == NULL)
		goto oom;
	for (i = 0; i < nlive; i++) {
		for (k = (size_t)cl_text_hash((*old)[i].norm) & (tcap - 1); slots[k];
		     k = (k + 1) & (tcap - 1))
			;
		slots[k] = i + 1;
		if ((*old)[i].position > maxpos)
			maxpos = (*old)[i].position;
	}
	for (i = 0; i < doc->nitems; i++) {
		match[i] = -1;
		for (k = (size_t)cl_text_hash(norms[i]) & (tcap - 1); slots[k]; k = (k + 1) & (tcap - 1)) {
			struct old_item *o = &(*old)[slots[k] - 1];
			if (!o->matched && strcmp(o->norm, norms[i]) == 0) {
				o->matched = 1;
				match[i] = (int)(slots[k] - 1);
				break;
			}
		}
		if (match[i] < 0 &&
		    (rc = find_withdrawn(r, pm, norms[i], &taken, old, nold, cap, &match[i])) != 0)
			goto done;
	}
	/* an edited row in the same position is the same item */
	if (maxpos >= 0 && (bypos = cl_malloc(((size_t)maxpos + 1) * sizeof *bypos)) == NULL)
		goto oom;
	for (k = 0; maxpos >= 0 && k <= (size_t)maxpos; k++)
		bypos[k] = -1;
	for (i = nlive; i-- > 0;)
		if ((*old)[i].position >= 0)
			bypos[(*old)[i].position] = (int)i;
	for (i = 0; i < doc->nitems && (int)i <= maxpos; i++) {
		int j = bypos[i];
		if (match[i] < 0 && j >= 0 && !(*old)[j].matched) {
			(*old)[j].matched = 1;
			match[i] = j;
		}
	}
	goto done;
oom:
	rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
done:
	keyset_release(&taken);
	free(slots);
	free(bypos);
	return rc;
}

/* Makes one item withdrawn, with its history row (old status → withdrawn). */
static int
withdraw_item(struct cl_store *st, long long id, const char *old, const char *origin,
              const char *now, struct cl_error *err)
{
	struct cl_item_change c;

	cl_item_change_init(&c, id, origin, now);
	cl_item_change_set(&c, CL_ICOL_STATUS, old, "withdrawn");
	return cl_item_change_write(st, &c, err);
}

/* One number about post-mortem pm: sql takes its id as the only parameter
 * and returns one row (max_seq_sql, count_live_sql). */
static int
pm_int(struct run *r, const char *sql, long long pm, int *out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, pm);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		return cl_store_fail(r->st, rc, r->err, "reading items");
	*out = sqlite3_column_int(s, 0);
	sqlite3_reset(s);
	return 0;
}

/* The highest item number a post-mortem gave (withdrawn items included). */
static const char max_seq_sql[] = "SELECT coalesce(max(seq), 0) FROM items WHERE "
	"postmortem_id = ?";
/* Its open and done items. */
static const char count_live_sql[] = "SELECT count(*) FROM items WHERE "
	LIVE_ITEMS("status IN ('open', 'done')");

/* New items go in statements of up to INS_ROWS rows: a statement's fixed
 * cost (program start, cursors, halt) was half of an item's insert. ?1 is
 * the post-mortem and ?2 the time, for every row; then INS_COLS per row. */
#define INS_COLS 16

/* The INSERT of n new items (1 ≤ n ≤ INS_ROWS), built once per n into a
 * static buffer (a cl_store_cached key). OR ROLLBACK: a failed constraint
 * ends the transaction, as any store error ends the run anyway, and so a
 * statement of many rows needs no statement journal (with foreign keys
 * off during an import, see run_sources). */
static const char *
insert_sql(size_t n)
{
	static char sql[INS_ROWS][INS_ROWS * 96 + 256];
	char *q = sql[n - 1];
	size_t len, i;
	int p;

	if (q[0] != '\0')
		return q;
	len = (size_t)snprintf(q, sizeof sql[0], "INSERT OR ROLLBACK INTO items (key, "
	                       "postmortem_id, seq, position, line, norm, action, owner, "
	                       "owner_raw, due, due_raw, priority, doc_status, status, doc_ticket, "
	                       "problems, created_at, updated_at, closed_at, norm_hash) VALUES ");
	for (i = 0; i < n; i++) {
		p = 2 + (int)i * INS_COLS;
		len += (size_t)snprintf(q + len, sizeof sql[0] - len, "%s(?%d,?1,?%d,?%d,?%d,?%d,?%d,"
		                        "?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d,?2,?2,?%d,?%d)",
		                        i ? "," : "", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6, p + 7,
		                        p + 8, p + 9, p + 10, p + 11, p + 12, p + 12, p + 13, p + 14,
		                        p + 15, p + 16);
	}
	return q;
}

/* Inserts the document's rows that matched no item (match[i] < 0), in
 * document order, numbering them from *maxseq + 1. */
static int
insert_items(struct run *r, long long pm, const char *slug, const struct cl_pm_doc *doc,
             char **norms, char **codes, const int *match, int *maxseq)
{
	size_t slug_len = strlen(slug), i = 0, n, k, at[INS_ROWS];
	char *keys = NULL, (*dues)[11] = NULL;
	int rc = 0;

	if ((keys = cl_malloc(INS_ROWS * (slug_len + 12))) == NULL ||
	    (dues = cl_malloc(INS_ROWS * sizeof *dues)) == NULL) {
		free(keys);
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	}
	while (rc == 0) {
		sqlite3_stmt *s;
		for (n = 0; i < doc->nitems && n < INS_ROWS; i++)
			if (match[i] < 0)
				at[n++] = i;
		if (n == 0)
			break;
		/* held by the run: fetched from the cache (reset, cleared) once */
		if (r->ins_items[n - 1] == NULL &&
		    (rc = prep(r, &r->ins_items[n - 1], insert_sql(n))) != 0)
			break;
		s = r->ins_items[n - 1];
		sqlite3_bind_int64(s, 1, pm);
		cl_bind_kept(s, 2, r->now);
		for (k = 0; k < n; k++) {
			const struct cl_pm_item *it = &doc->items[at[k]];
			char *key = keys + k * (slug_len + 12);
			int p = 2 + (int)k * INS_COLS;
			memcpy(key, slug, slug_len);
			item_key(key, slug_len, ++*maxseq);
			cl_bind_kept(s, p + 1, key);
			sqlite3_bind_int(s, p + 2, *maxseq);
			sqlite3_bind_int(s, p + 3, (int)at[k]);
			sqlite3_bind_int(s, p + 4, it->line);
			cl_bind_kept(s, p + 5, norms[at[k]]);
			cl_bind_kept(s, p + 6, it->action);
			/* a NULL is bound already: step_done cleared the last rows */
			if (it->owner != NULL)
				cl_bind_kept(s, p + 7, it->owner);
			if (it->owner_raw != NULL)
				cl_bind_kept(s, p + 8, it->owner_raw);
			if (it->due != CL_NO_DATE) {
				cl_date_format(it->due, dues[k]);
				cl_bind_kept(s, p + 9, dues[k]);
			}
			if (it->due_raw != NULL)
				cl_bind_kept(s, p + 10, it->due_raw);
			if (it->priority != NULL)
				cl_bind_kept(s, p + 11, it->priority);
			sqlite3_bind_text(s, p + 12, it->done ? "done" : "open", 4, SQLITE_STATIC);
			if (it->ticket != NULL)
				cl_bind_kept(s, p + 13, it->ticket);
			cl_bind_kept(s, p + 14, codes[at[k]]);
			if (it->done)
				cl_bind_kept(s, p + 15, r->now);
			sqlite3_bind_int64(s, p + 16, cl_text_hash(norms[at[k]]));
		}
		if ((rc = step_done(r, s, "inserting item")) != 0)
			break;
		/* creation is items.created_at: no history row (60,000 fewer
		 * writes on a large first import); cl_item_history shows it */
		r->stats->items_new += (int)n;
	}
	free(keys);
	free(dues);
	return rc;
}

/* Inserts or updates the items of one document: the rows that match an
 * item update it (in document order), then the others are inserted (in
 * document order too: the same ids and numbers as one by one). */
static int
store_items(struct run *r, long long pm, int is_new, const char *slug,
            const struct cl_pm_doc *doc, char **norms, char **codes)
{
	struct old_item *old = NULL;
	size_t nold = 0, oldcap = 0, i, j;
	int *match = NULL, rc, maxseq = 0;

	if (!is_new && (rc = load_old_items(r, pm, &old, &nold, &oldcap)) != 0)
		return rc;
	if (doc->nitems && (match = cl_calloc(doc->nitems, sizeof *match)) == NULL) {
		rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if (is_new)
		for (i = 0; i < doc->nitems; i++)
			match[i] = -1;
	else if ((rc = match_items(r, pm, doc, norms, &old, &nold, &oldcap, match)) != 0)
		goto done;
	if (!is_new && (rc = pm_int(r, max_seq_sql, pm, &maxseq)) != 0)
		goto done;
	for (i = 0; i < doc->nitems && rc == 0; i++) {
		const struct cl_pm_item *it = &doc->items[i];
		const char *doc_status = it->done ? "done" : "open";
		struct old_item *o;
		struct cl_item_change c;
		const char *status, *duep = NULL;
		char due[11];
		int changed, moved;

		if (match[i] < 0)
			continue;
		o = &old[match[i]];
		status = o->status;
		if (it->due != CL_NO_DATE) {
			cl_date_format(it->due, due);
			duep = due;
		}
		/* the document's status counts when the document changed it, or
		 * when a withdrawn row comes back */
		if (!cl_str_eq(o->doc_status, doc_status) || strcmp(o->status, "withdrawn") == 0)
			status = doc_status;
		moved = o->position != (int)i || o->line != it->line ||
		        !cl_str_eq(o->problems, codes[i]) || !cl_str_eq(o->norm, norms[i]);
		cl_item_change_init(&c, o->id, "import", r->now);
		cl_item_change_set(&c, CL_ICOL_ACTION, o->action, it->action);
		cl_item_change_set(&c, CL_ICOL_OWNER_RAW, o->owner_raw, it->owner_raw);
		cl_item_change_put(&c, CL_ICOL_OWNER, it->owner);
		cl_item_change_set(&c, CL_ICOL_DUE_RAW, o->due_raw, it->due_raw);
		cl_item_change_put(&c, CL_ICOL_DUE, duep);
		cl_item_change_set(&c, CL_ICOL_STATUS, o->status, status);
		cl_item_change_set(&c, CL_ICOL_DOC_TICKET, o->doc_ticket, it->ticket);
		cl_item_change_put(&c, CL_ICOL_DOC_STATUS, doc_status);
		cl_item_change_put(&c, CL_ICOL_PRIORITY, it->priority);
		cl_item_change_put(&c, CL_ICOL_PROBLEMS, codes[i]);
		cl_item_change_put(&c, CL_ICOL_NORM, norms[i]);
		cl_item_change_num(&c, CL_ICOL_NORM_HASH, cl_text_hash(norms[i]));
		cl_item_change_num(&c, CL_ICOL_POSITION, (long long)i);
		cl_item_change_num(&c, CL_ICOL_LINE, it->line);
		/* a new priority is a change, though not one history records */
		c.touch = !cl_str_eq(o->priority, it->priority);
		changed = c.touch || cl_item_change_pending(&c);
		if (!changed && !moved)
			continue;
		if ((rc = cl_item_change_write(r->st, &c, r->err)) != 0)
			break;
		if (changed)
			r->stats->items_updated++;
	}
	if (rc == 0)
		rc = insert_items(r, pm, slug, doc, norms, codes, match, &maxseq);
	/* rows that disappeared: withdrawn, never deleted */
	for (j = 0; j < nold && rc == 0; j++) {
		if (old[j].matched || strcmp(old[j].status, "withdrawn") == 0)
			continue;
		rc = withdraw_item(r->st, old[j].id, old[j].status, "import", r->now, r->err);
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
		if (r->first) {
			if (!textset_has(&r->slugs, slug))
				break;
		} else {
			if ((rc = prep(r, &r->slug_taken,
			               "SELECT 1 FROM postmortems WHERE slug = ?")) != 0)
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

/* Nanoseconds since the epoch of a file time. */
static sqlite3_int64
ns(const struct timespec *t)
{
	return (sqlite3_int64)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* A display name no other post-mortem uses: the path relative to the root,
 * or more of the real path when another file has that name already (two
 * roots each with a pm.md: "pm.md" and "team-b/pm.md"). self: the row it
 * is for (0: a new one). */
static int
unique_source(struct run *r, const struct found *f, long long self, char **out)
{
	static const char sql[] = "SELECT 1 FROM postmortems WHERE source = ? AND id <> ?";
	const char *cand = f->source, *p;
	sqlite3_stmt *s;
	size_t want = strlen(f->source);
	int rc, step;

	*out = NULL;
	for (;;) {
		if (r->first && self == 0) {
			step = textset_has(&r->sources, cand) ? SQLITE_ROW : SQLITE_DONE;
		} else {
			if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
				return rc;
			sqlite3_bind_text(s, 1, cand, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, self);
			step = sqlite3_step(s);
			sqlite3_reset(s);
		}
		if (step != SQLITE_DONE && step != SQLITE_ROW)
			return cl_store_fail(r->st, step, r->err, "choosing a post-mortem name");
		if (step == SQLITE_DONE || cand == f->canon)
			break;
		/* one more directory of the real path */
		for (p = f->canon + strlen(f->canon); p > f->canon; p--)
			if (p[-1] == '/' && strlen(p) > want)
				break;
		cand = p > f->canon + 1 ? p : f->canon;
		want = strlen(cand);
	}
	return (*out = cl_strdup(cand)) ? 0 : cl_error_set(r->err, CL_ENOMEM, "out of memory");
}

/* Where store_postmortem's values go: bound to s, or kept as a row of a
 * first import's batch (row, its text in text). */
struct pm_vals {
	sqlite3_stmt *s;
	struct pm_vals_row *row;
	struct cl_buf *text;
};

/* Value i (from 1): text t, NULL for NULL; kept by the caller until the
 * statement runs. */
static void
pm_text(struct pm_vals *v, int i, const char *t)
{
	if (v->s != NULL) {
		cl_bind_kept(v->s, i, t);
	} else if (t != NULL) {
		v->row->type[i - 1] = 2;
		v->row->at[i - 1] = v->text->len + 1;
		cl_buf_add(v->text, t, strlen(t) + 1);
	}
}

/* Value i (from 1): the number n. */
static void
pm_num(struct pm_vals *v, int i, sqlite3_int64 n)
{
	if (v->s != NULL) {
		sqlite3_bind_int64(v->s, i, n);
	} else {
		v->row->type[i - 1] = 1;
		v->row->num[i - 1] = n;
	}
}

/* Value i (from 1): a day as YYYY-MM-DD in buf, or NULL. */
static void
pm_date(struct pm_vals *v, int i, int day, char buf[11])
{
	if (day == CL_NO_DATE) {
		pm_text(v, i, NULL);
		return;
	}
	cl_date_format(day, buf);
	pm_text(v, i, buf);
}

/* The INSERT of n kept rows (1 ≤ n ≤ PM_ROWS), built once per n into a
 * static buffer: store_postmortem's values, PM_PARAMS a row, ?1 the id.
 * OR ROLLBACK, as insert_sql's. */
static const char *
pm_insert_sql(size_t n)
{
	static const int order[] = { 1, 18, 19, 9, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	                             16, 17, 20, 21, 22, 23 };
	static char sql[PM_ROWS][PM_ROWS * 24 * 6 + 512];
	char *q = sql[n - 1];
	size_t len, i, k;

	if (q[0] != '\0')
		return q;
	len = (size_t)snprintf(q, sizeof sql[0], "INSERT OR ROLLBACK INTO postmortems (id, slug, "
	                       "source, first_seen, path, kind, title, incident_date, written_date, "
	                       "severity, authors, last_seen, file_size, file_mtime, content_hash, "
	                       "problems, rb_owner, rb_last_tested, rb_rto_target, rb_actual_rto, "
	                       "canon, file_ctime, team_doc, team) VALUES ");
	for (i = 0; i < n; i++)
		for (k = 0; k < sizeof order / sizeof order[0]; k++)
			len += (size_t)snprintf(q + len, sizeof sql[0] - len, "%s?%d%s",
			                        k ? "," : i ? ",(" : "(",
			                        order[k] + (int)i * PM_PARAMS,
			                        k + 1 < sizeof order / sizeof order[0] ? "" : ")");
	return q;
}

/* Inserts the kept post-mortem rows: one statement for all of them (a
 * statement's own cost, six cursors opened and closed, was a third of a
 * one-row insert). */
static int
pm_flush(struct run *r)
{
	struct pm_batch *b = &r->batch;
	sqlite3_stmt *s;
	size_t k, i;
	int rc;

	if (b->n == 0)
		return 0;
	if (b->text.oom)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	/* held by the run: fetched from the cache (reset, cleared) once */
	if (r->ins_pms[b->n - 1] == NULL &&
	    (rc = prep(r, &r->ins_pms[b->n - 1], pm_insert_sql(b->n))) != 0)
		return rc;
	s = r->ins_pms[b->n - 1];
	for (k = 0; k < b->n; k++) {
		const struct pm_vals_row *v = &b->v[k];
		for (i = 0; i < PM_PARAMS; i++) {
			int p = (int)(k * PM_PARAMS + i + 1);
			if (v->type[i] == 1)
				sqlite3_bind_int64(s, p, v->num[i]);
			else if (v->type[i] == 2)
				cl_bind_kept(s, p, b->text.data + v->at[i] - 1);
		}
	}
	rc = step_done(r, s, "inserting post-mortem");
	b->n = 0;
	b->text.len = 0;
	return rc;
}

/* Writes the post-mortem row (insert or update); returns its id and slug.
 * Both statements use the same parameter numbers. source: a new display
 * name (NULL: keep it; required for an insert). A first import keeps its
 * new rows for pm_flush, which inserts them with the ids given here. */
static int
store_postmortem(struct run *r, long long existing, const struct found *f, const char *source,
                 const struct cl_pm_doc *doc, const struct stat *sb, const char *hash,
                 const char *codes, long long *id, char **slug)
{
	static const char ins[] = "INSERT INTO postmortems (slug, source, first_seen, path, kind, "
		"title, incident_date, written_date, severity, authors, last_seen, file_size, "
		"file_mtime, content_hash, problems, rb_owner, rb_last_tested, rb_rto_target, "
		"rb_actual_rto, canon, file_ctime, team_doc, team) VALUES (?18, ?19, ?9, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?20, ?21, ?22, ?23)";
	static const char upd[] = "UPDATE postmortems SET path = ?2, kind = ?3, "
		"title = ?4, incident_date = ?5, written_date = ?6, severity = ?7, "
		"authors = ?8, last_seen = ?9, file_size = ?10, file_mtime = ?11, "
		"content_hash = ?12, problems = ?13, rb_owner = ?14, rb_last_tested = ?15, "
		"rb_rto_target = ?16, rb_actual_rto = ?17, source = coalesce(?19, source), "
		"canon = ?20, file_ctime = ?21, team_doc = ?22, missing_since = NULL, retired_at = NULL "
		"WHERE id = ?1 AND ?18 IS NULL";
	struct pm_vals v = { 0 };
	char team[128], dates[3][11];
	int rc, kept = r->first && existing == 0;

	/* a page or an issue: its title says more than its URL */
	if (existing == 0 && (rc = unique_slug(r, f->doc && *f->doc->title ? f->doc->title :
	                                       source, slug)) != 0)
		return rc;
	if (kept) {
		v.row = &r->batch.v[r->batch.n];
		v.text = &r->batch.text;
		memset(v.row, 0, sizeof *v.row);
	} else if ((rc = prep(r, existing ? &r->upd_pm : &r->ins_pm, existing ? upd : ins)) != 0) {
		return rc;
	} else {
		v.s = existing ? r->upd_pm : r->ins_pm;
	}
	pm_num(&v, 1, kept ? r->batch.next_id : existing);
	pm_text(&v, 2, f->path);
	pm_text(&v, 3, doc->is_runbook ? "runbook" : "postmortem");
	pm_text(&v, 4, doc->title);
	pm_date(&v, 5, doc->incident_date, dates[0]);
	pm_date(&v, 6, doc->written_date, dates[1]);
	pm_text(&v, 7, doc->severity);
	pm_text(&v, 8, doc->authors);
	pm_text(&v, 9, r->now);
	if (sb) {
		pm_num(&v, 10, (sqlite3_int64)sb->st_size);
		pm_num(&v, 11, ns(&sb->st_mtim));
		pm_num(&v, 21, ns(&sb->st_ctim));
	}
	pm_text(&v, 12, hash);
	pm_text(&v, 13, codes);
	pm_text(&v, 14, doc->rb_owner);
	pm_date(&v, 15, doc->rb_last_tested, dates[2]);
	pm_text(&v, 16, doc->rb_rto_target);
	if (doc->rb_actual_rto >= 0)
		pm_num(&v, 17, doc->rb_actual_rto);
	if (existing == 0)
		pm_text(&v, 18, *slug);
	if (source)
		pm_text(&v, 19, source);
	pm_text(&v, 20, f->canon);
	pm_text(&v, 22, doc->team);
	if (existing == 0 && r->teams != NULL) {
		/* what cl_team_assign_changed would give it (NULL for none) */
		cl_team_rules_of(team, sizeof team, r->teams, doc->team, source, f->path);
		if (*team)
			pm_text(&v, 23, team);
	}
	if (kept) {
		*id = r->batch.next_id++;
		if (++r->batch.n == PM_ROWS && (rc = pm_flush(r)) != 0)
			return rc;
	} else if ((rc = step_done(r, v.s, existing ? "updating post-mortem" :
	                           "inserting post-mortem")) != 0) {
		return rc;
	} else {
		*id = existing ? existing : sqlite3_last_insert_rowid(cl_store_db(r->st));
	}
	if (r->first && existing == 0 &&
	    (textset_add(&r->slugs, *slug) != 0 || textset_add(&r->sources, source) != 0))
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
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
	int adopt;		/* found by its old-style name: record its real path */
	int old_live;		/* open and done items stored for it */
	/* worked */
	int rc;			/* 0, or a file-level error in err */
	int touched;		/* same content as stored: nothing to parse */
	int unsettled;		/* changing while read: skipped this time */
	struct cl_error err;
	char hash[65];
	struct stat sb;		/* the file as it was opened */
	int have_sb;
	struct cl_pm_doc *doc;
	struct cl_problems probs;
	char *doc_codes, **norms, **codes;	/* codes[i]: into codes_text */
	struct cl_buf codes_text;	/* every item's codes, NUL after each */
};

static void
job_release(struct job *j)
{
	size_t i;

	for (i = 0; j->doc && i < j->doc->nitems; i++) {
		free(j->norms ? j->norms[i] : NULL);
	}
	free(j->norms);
	free(j->codes);
	cl_buf_release(&j->codes_text);
	free(j->doc_codes);
	cl_problems_release(&j->probs);
	cl_pm_doc_free(j->doc);
	free(j->slug);
	memset(j, 0, sizeof *j);
}

/* A file modified this recently may be half written: its size and
 * modification time do not prove it unchanged (nor a big loss real). */
#define SETTLE_NS 2000000000LL

/* True when the file was modified in the last SETTLE_NS by the wall clock
 * (not cl_now(), which tests move). */
static int
recent(const struct stat *sb)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ns(&now) - ns(&sb->st_mtim) <= SETTLE_NS;
}

static const char pm_cols[] = "SELECT id, file_size, file_mtime, content_hash, first_seen, "
	"slug, file_ctime, forgotten_at, retired_at, canon FROM postmortems ";

/* The row s points at (pm_cols), its strings valid until s is reset. */
static void
pm_row_read(struct pm_row *o, sqlite3_stmt *s)
{
	memset(o, 0, sizeof *o);
	o->id = sqlite3_column_int64(s, 0);
	o->size = sqlite3_column_int64(s, 1);
	o->has_mtime = sqlite3_column_type(s, 2) != SQLITE_NULL;
	o->mtime = sqlite3_column_int64(s, 2);
	o->hash = (const char *)sqlite3_column_text(s, 3);
	o->first_seen = (const char *)sqlite3_column_text(s, 4);
	o->slug = (const char *)sqlite3_column_text(s, 5);
	o->ctime = sqlite3_column_int64(s, 6);
	o->forgotten = sqlite3_column_type(s, 7) != SQLITE_NULL;
	o->retired = sqlite3_column_type(s, 8) != SQLITE_NULL;
}

/* Appends a string column to the cache's text; its offset + 1, or 0 for NULL. */
static size_t
pm_cache_text(struct pm_cache *c, sqlite3_stmt *s, int col)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	size_t at = c->text.len + 1;

	if (t == NULL)
		return 0;
	cl_buf_add(&c->text, t, strlen(t) + 1);
	return at;
}

/* Frees the cache and turns it off. */
static void
pm_cache_release(struct pm_cache *c)
{
	free(c->v);
	free(c->slots);
	cl_buf_release(&c->text);
	memset(c, 0, sizeof *c);
}

/* Whether a run of these files uses the cache: many files, and no
 * canonical name found twice (a row this run inserts is then never looked
 * up again). */
static int
pm_cache_wanted(const struct run *r, const struct found_list *files)
{
	size_t i;

	if (r->st == NULL || files->n < 64)
		return 0;
	for (i = 1; i < r->nseen; i++)
		if (strcmp(r->seen[i - 1], r->seen[i]) == 0)
			return 0;
	return 1;
}

/* Reads the post-mortems table into r->cache, errors into err; stops (the
 * cache off) once *cancel is set, when cancel is not NULL. */
static int
pm_cache_scan(struct run *r, struct cl_error *err, const atomic_int *cancel)
{
	static const char sql[] = "SELECT id, file_size, file_mtime, content_hash, first_seen, "
		"slug, file_ctime, forgotten_at, retired_at, canon, missing_since FROM postmortems";
	struct pm_cache *c = &r->cache;
	sqlite3_stmt *st;
	size_t i, k;
	int rc, step;

	if ((rc = cl_store_cached(r->st, &st, sql, err)) != 0)
		return rc;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct pm_row *o;
		if (cancel != NULL && atomic_load_explicit(cancel, memory_order_relaxed)) {
			sqlite3_reset(st);
			return 0;
		}
		if (sqlite3_column_type(st, 9) == SQLITE_NULL) {
			c->legacy = 1;	/* found by its old name: asked for by query */
			continue;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 256;
			struct pm_row *nv = cl_realloc(c->v, cap * sizeof *nv);
			if (nv == NULL)
				break;
			c->v = nv;
			c->cap = cap;
		}
		o = &c->v[c->n++];
		pm_row_read(o, st);
		o->hash = o->first_seen = o->slug = NULL;
		o->canon_at = pm_cache_text(c, st, 9);
		o->hash_at = pm_cache_text(c, st, 3);
		o->first_seen_at = pm_cache_text(c, st, 4);
		o->slug_at = pm_cache_text(c, st, 5);
		o->missing = sqlite3_column_type(st, 10) != SQLITE_NULL;
	}
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return cl_store_fail(r->st, step, err, "reading post-mortems");
	for (c->nslots = 64; c->nslots < c->n * 2; c->nslots *= 2)
		;
	if (step == SQLITE_ROW || c->text.oom ||
	    (c->slots = cl_calloc(c->nslots, sizeof *c->slots)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (i = 0; i < c->n; i++) {
		for (k = (size_t)cl_text_hash(c->text.data + c->v[i].canon_at - 1) & (c->nslots - 1);
		     c->slots[k]; k = (k + 1) & (c->nslots - 1))
			;
		c->slots[k] = i + 1;
	}
	c->on = 1;
	return 0;
}

/* A run of many files reads the post-mortems table in one scan instead of
 * one look-up per file (10,000 look-ups were a third of an unchanged
 * re-import): see pm_cache_wanted. */
static int
pm_cache_load(struct run *r, const struct found_list *files)
{
	if (!pm_cache_wanted(r, files))
		return 0;
	return pm_cache_scan(r, r->err, NULL);
}

/* The cache's table scan on a thread of its own while the main thread walks
 * the directories (an unchanged re-import of the bench corpus: the walk
 * ~30 ms, the scan ~14 ms, one after the other before). It reads the whole
 * table before the walk has said whether the run wants it; pm_loader_end
 * keeps it only when pm_cache_wanted says so, so the run decides as before. */
struct pm_loader {
	struct run *r;
	pthread_t thread;
	atomic_int cancel;	/* the run does not want it: stop */
	struct cl_error err;
	int rc, started;
};

static void *
pm_loader_main(void *arg)
{
	struct pm_loader *l = arg;

	l->rc = pm_cache_scan(l->r, &l->err, &l->cancel);
	return NULL;
}

/* Starts the scan beside the walk when the sources are local paths only
 * (listing a configured source uses the database on the main thread) and
 * SQLite may be used from another thread. Not started: pm_cache_load after
 * the walk, as before. */
static void
pm_loader_start(struct pm_loader *l, struct run *r, char *const *sources, int nsources)
{
	int i;

	memset(l, 0, sizeof *l);
	l->r = r;
	atomic_init(&l->cancel, 0);
	if (r->st == NULL || !sqlite3_threadsafe() || getenv("CLOSELOOP_NO_THREADS") != NULL)
		return;
	for (i = 0; i < nsources; i++)
		if (cl_source_configured(r->cfg, sources[i]) || strstr(sources[i], "://") != NULL)
			return;
	l->started = pthread_create(&l->thread, NULL, pm_loader_main, l) == 0;
}

/* After the walk (files complete, r->seen built; files NULL when the walk
 * failed): waits for the scan, keeps the cache when the run wants it, and
 * returns the scan's error then, 0 otherwise. */
static int
pm_loader_end(struct pm_loader *l, const struct found_list *files)
{
	int want;

	if (!l->started)
		return 0;
	want = files != NULL && pm_cache_wanted(l->r, files);
	if (!want)
		atomic_store(&l->cancel, 1);
	pthread_join(l->thread, NULL);
	l->started = 0;
	if (!want) {
		pm_cache_release(&l->r->cache);
		return 0;
	}
	if (l->rc != 0) {
		pm_cache_release(&l->r->cache);
		if (l->r->err != NULL && l->r->err->code == 0)
			*l->r->err = l->err;
	}
	return l->rc;
}

/* The cached row of a canonical name, its strings pointed at, marked
 * found; 0 or 1. */
static int
pm_cache_find(struct pm_cache *c, const char *canon, struct pm_row *out)
{
	size_t k;

	for (k = (size_t)cl_text_hash(canon) & (c->nslots - 1); c->slots[k];
	     k = (k + 1) & (c->nslots - 1)) {
		struct pm_row *o = &c->v[c->slots[k] - 1];
		if (strcmp(c->text.data + o->canon_at - 1, canon) == 0) {
			o->found = 1;
			*out = *o;
			out->hash = o->hash_at ? c->text.data + o->hash_at - 1 : NULL;
			out->first_seen = o->first_seen_at ? c->text.data + o->first_seen_at - 1 : NULL;
			out->slug = o->slug_at ? c->text.data + o->slug_at - 1 : NULL;
			return 1;
		}
	}
	return 0;
}


/* Runs the look-up *q (sql, one text parameter): *s is it when a row came,
 * else untouched; 0 or an error. */
static int
pm_query(struct run *r, sqlite3_stmt **q, const char *sql, const char *key, sqlite3_stmt **s)
{
	int rc;

	if ((rc = prep(r, q, sql)) != 0)
		return rc;
	sqlite3_bind_text(*q, 1, key, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(*q)) == SQLITE_ROW)
		*s = *q;
	else if (rc != SQLITE_DONE)
		return cl_store_fail(r->st, rc, r->err, "reading post-mortem");
	return 0;
}

/* Main thread: looks the document up, by its real path, else (a database
 * from before real paths were kept) by its old-style name. Returns 1 when it
 * is unchanged (size, mtime and ctime to the nanosecond, not modified in the
 * last seconds) or forgotten and needs no work, 0 when the job must run, or
 * an error. */
static int
job_prepare(struct run *r, const struct found *f, struct job *j)
{
	static char by_canon[sizeof pm_cols + 32], by_legacy[sizeof pm_cols + 48];
	sqlite3_stmt *s = NULL;
	struct pm_row row;
	struct stat sb;
	int rc, have_sb, retired = 0, found = 0;

	memset(j, 0, sizeof *j);
	j->f = f;
	j->first_seen = CL_NO_DATE;
	r->stats->files_seen++;
	/* a walked file: as the walk saw it (the read checks it again) */
	if (f->have_sb) {
		sb = f->sb;
		have_sb = 1;
	} else {
		have_sb = !is_url(f->path) && stat(f->open ? f->open : f->path, &sb) == 0;
	}
	if (by_canon[0] == '\0') {
		snprintf(by_canon, sizeof by_canon, "%sWHERE canon = ?", pm_cols);
		snprintf(by_legacy, sizeof by_legacy, "%sWHERE source = ? AND canon IS NULL", pm_cols);
	}
	if (r->st != NULL && r->cache.on) {
		found = pm_cache_find(&r->cache, f->canon, &row);
	} else if (r->st != NULL && (rc = pm_query(r, &r->q_pm, by_canon, f->canon, &s)) != 0) {
		return rc;
	}
	if (r->st != NULL && !found && s == NULL && (!r->cache.on || r->cache.legacy)) {
		if ((rc = pm_query(r, &r->q_legacy, by_legacy, f->source, &s)) != 0)
			return rc;
		/* two files with the old name (two roots): the first takes it */
		if (s && (rc = keyset_add(&r->claimed, (uint64_t)sqlite3_column_int64(s, 0), 0)) <= 0) {
			sqlite3_reset(s);
			if (rc < 0)
				return cl_error_set(r->err, CL_ENOMEM, "out of memory");
			s = NULL;
		}
		j->adopt = s != NULL;
	}
	if (s != NULL) {
		pm_row_read(&row, s);
		found = 1;
	}
	rc = 0;
	if (found) {
		time_t t;
		j->pm = row.id;
		if (keyset_add(&r->claimed, (uint64_t)j->pm, 0) < 0) {
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (row.forgotten) {
			r->stats->left_out_forgotten++;
			rc = 1;
			goto done;
		}
		/* a retired one coming back is parsed whatever its times say */
		retired = row.retired;
		/* a source's document: unchanged when its version is the stored
		 * one (file_mtime holds it), without reading it; a body the
		 * listing brought (tracker issues, whose update time has whole
		 * seconds: two edits in one second share it) is judged by its
		 * hash instead, which costs no request */
		if (!r->lint_only && !r->force && !retired && f->doc != NULL &&
		    f->doc->body == NULL && row.has_mtime &&
		    row.mtime == (sqlite3_int64)f->doc->version) {
			r->stats->files_unchanged++;
			rc = 1;
			goto done;
		}
		if (!r->lint_only && !r->force && !j->adopt && !retired && have_sb &&
		    row.size == (sqlite3_int64)sb.st_size && row.mtime == ns(&sb.st_mtim) &&
		    row.ctime == ns(&sb.st_ctim) && !recent(&sb)) {
			r->stats->files_unchanged++;
			rc = 1;
			goto done;
		}
		snprintf(j->old_hash, sizeof j->old_hash, "%s", row.hash ? row.hash : "");
		if (row.first_seen && cl_time_parse(row.first_seen, &t) == 0)
			j->first_seen = cl_day_of(t, r->tz);
		if (row.slug == NULL || (j->slug = cl_strdup(row.slug)) == NULL) {
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			goto done;
		}
		if (s != NULL)
			sqlite3_reset(s);
		s = NULL;
		if (!r->lint_only && (rc = pm_int(r, count_live_sql, j->pm, &j->old_live)) != 0)
			return rc;
	}
	if (j->pm == 0 && !r->lint_only)
		j->first_seen = r->today;
	if (f->doc != NULL && j->pm == 0 && f->doc->created != CL_NO_DATE)
		j->first_seen = f->doc->created;	/* written when the page was */
	j->ref = j->first_seen != CL_NO_DATE ? j->first_seen : r->today;
	j->check_hash = j->pm != 0 && !r->lint_only && !r->force && !retired;
done:
	if (s != NULL)
		sqlite3_reset(s);
	return rc;
}

/* Reads a source into memory: a file (regular files only, never blocking
 * on a FIFO), or an http(s) URL. */
static int
read_source(const struct run *r, const struct found *f, struct job *j, char **buf,
            size_t *len, int *changed)
{
	struct cl_read_info info;
	int rc;

	*changed = 0;
	if (f->doc != NULL) {
		/* a configured source's document: its body fetched now, as Markdown;
		 * its version kept as file_mtime (and size) for the next run */
		if ((rc = cl_source_fetch(f->doc, &j->err)) != 0)
			return rc;
		if (f->doc->body_len > r->max_size)
			return cl_error_set(&j->err, CL_EDATA, "larger than %zu bytes", r->max_size);
		if ((*buf = cl_strndup(f->doc->body, f->doc->body_len)) == NULL)
			return cl_error_set(&j->err, CL_ENOMEM, "out of memory");
		*len = f->doc->body_len;
		memset(&j->sb, 0, sizeof j->sb);
		j->sb.st_size = (off_t)*len;
		j->sb.st_mtim.tv_nsec = (long)f->doc->version;	/* ns() gives it back */
		j->sb.st_ctim.tv_nsec = (long)f->doc->version;
		j->have_sb = 1;
		return 0;
	}
	if (is_url(f->path))
		return cl_http_get(buf, len, f->path, r->max_size, NULL, &j->err);
	if (f->dir >= 0)	/* walked: by name in its directory, still open */
		rc = cl_read_regular_at(buf, len, &info, f->dir, f->name, f->path, CL_READ_NOFOLLOW,
		                        r->max_size, &j->err);
	else
		rc = cl_read_regular(buf, len, &info, f->open ? f->open : f->path,
		                     f->nofollow ? CL_READ_NOFOLLOW : 0, r->max_size, &j->err);
	if (rc == 0) {
		j->sb = info.sb;
		j->have_sb = 1;
		*changed = info.changed;
	}
	return rc;
}

/* A read that may have caught the file half written: it changed while it
 * was read, or it lost more than half of its items. */
static int
suspicious(const struct job *j, int changed, size_t nitems)
{
	return changed || (j->old_live >= 4 && nitems * 2 < (size_t)j->old_live);
}

/* Parser thread (or main thread without one): read, hash (through the
 * thread's sha, or NULL), parse, lint. Uses no database and writes only to
 * the job. A suspicious read is repeated
 * once after a pause; when the second read is suspicious too and the file is
 * not settled (it changed between the reads or was modified in the last
 * seconds), the document is skipped this time rather than have its items
 * withdrawn. */
static void
job_work(const struct run *r, struct job *j, struct cl_sha256 *sha)
{
	char *buf = NULL, first[65] = "";
	size_t len = 0, i, *at = NULL;
	long failures = cl_alloc_failures(), slo;
	int attempt, changed = 0;

	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0) {
			struct timespec pause = { 0, 200 * 1000 * 1000 };
			snprintf(first, sizeof first, "%s", j->hash);
			free(buf);
			buf = NULL;
			cl_pm_doc_free(j->doc);
			j->doc = NULL;
			nanosleep(&pause, NULL);
		}
		if ((j->rc = read_source(r, j->f, j, &buf, &len, &changed)) != 0)
			goto done;
		cl_sha256_hex_with(sha, buf, len, j->hash);
		if (!changed && j->check_hash && strcmp(j->hash, j->old_hash) == 0) {
			j->touched = 1;
			goto done;
		}
		if (r->lint_only)
			changed = 0;
		if (!changed && (j->rc = cl_parse_document_opts(&j->doc, buf, len, j->ref,
		                 &(struct cl_parse_opts){ cl_config_get(r->cfg, "import", "headings") },
		                 &j->err)) != 0)
			goto done;
		if (j->doc && j->f->doc != NULL && j->doc->incident_date == CL_NO_DATE)
			j->doc->incident_date = j->f->doc->created;	/* the body does not say */
		if (!suspicious(j, changed, j->doc ? j->doc->nitems : 0))
			break;
		if (attempt == 1 && !changed && strcmp(first, j->hash) == 0 && !recent(&j->sb))
			break;	/* read twice the same, and settled: a real edit */
		if (attempt == 1) {
			j->unsettled = 1;
			goto done;
		}
	}
	if (cl_lint_document(&j->probs, j->doc, j->first_seen, r->cfg) != 0 ||
	    (j->doc_codes = cl_lint_codes(&j->probs, 0)) == NULL)
		goto oom;
	if (j->doc->nitems && ((j->norms = cl_calloc(j->doc->nitems, sizeof *j->norms)) == NULL ||
	                       (j->codes = cl_calloc(j->doc->nitems, sizeof *j->codes)) == NULL ||
	                       (at = cl_malloc(j->doc->nitems * sizeof *at)) == NULL))
		goto oom;
	/* the deadline depends on the document's severity only: one look-up */
	if (!cl_slo_days(r->cfg, j->doc->severity, &slo))
		slo = 0;
	/* the items' codes go into one buffer (most are empty): pointed at
	 * once it has stopped moving */
	for (i = 0; i < j->doc->nitems; i++) {
		size_t before = j->probs.n;
		if (cl_lint_item(&j->probs, &j->doc->items[i], r->cfg) != 0 ||
		    cl_lint_item_slo(&j->probs, &j->doc->items[i], j->doc, slo) != 0 ||
		    (j->norms[i] = cl_parse_normalise(j->doc->items[i].action)) == NULL)
			goto oom;
		at[i] = j->codes_text.len;
		cl_lint_codes_add(&j->codes_text, &j->probs, before);
	}
	if (j->codes_text.oom)
		goto oom;
	for (i = 0; i < j->doc->nitems; i++)
		j->codes[i] = j->codes_text.data + at[i];
	goto done;
oom:
	j->rc = cl_error_set(&j->err, CL_ENOMEM, "out of memory");
done:
	free(buf);
	free(at);
	/* lint and the parser fill some fields without reporting a failed copy:
	 * a document worked on short of memory is not stored, whatever it says */
	if (cl_alloc_failures() != failures && j->rc != CL_ENOMEM) {
		cl_error_clear(&j->err);
		j->rc = cl_error_set(&j->err, CL_ENOMEM, "out of memory");
	}
}

/* True when name is one of the canonical names this run found. */
static int
seen(const struct run *r, const char *canon)
{
	return r->seen && bsearch(&canon, r->seen, r->nseen, sizeof *r->seen, cmp_str) != NULL;
}

/* seen() for names asked in ascending order: *at is where the last one
 * stood (start it with seen_lower), so a sorted listing is one merge pass
 * instead of a binary search per row. */
static int
seen_next(const struct run *r, const char *canon, size_t *at)
{
	int c = 1;

	while (*at < r->nseen && (c = strcmp(r->seen[*at], canon)) < 0)
		(*at)++;
	return *at < r->nseen && c == 0;
}

/* The index of the first name found that is not below s. */
static size_t
seen_lower(const struct run *r, const char *s)
{
	size_t lo = 0, hi = r->nseen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(r->seen[mid], s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* True when most of post-mortem pm's live items have a row in the new
 * document (norms), compared by text hash: a moved document that was
 * edited a little. */
static int
items_overlap(struct run *r, long long pm, char **norms, size_t n, int *out)
{
	static const char sql[] = "SELECT norm_hash FROM items WHERE "
		LIVE_ITEMS("status IN ('open', 'done')");
	struct keyset ks = { 0 };
	sqlite3_stmt *s;
	size_t i;
	int rc = 0, step, total = 0, common = 0;

	*out = 0;
	for (i = 0; i < n && rc >= 0; i++)
		rc = keyset_add(&ks, (uint64_t)cl_text_hash(norms[i]), 0);
	if (rc < 0) {
		keyset_release(&ks);
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	}
	if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0) {
		keyset_release(&ks);
		return rc;
	}
	sqlite3_bind_int64(s, 1, pm);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t h = (uint64_t)sqlite3_column_int64(s, 0);
		total++;
		common += keyset_has(&ks, h, 0);
	}
	sqlite3_reset(s);
	keyset_release(&ks);
	if (step != SQLITE_DONE)
		return cl_store_fail(r->st, step, r->err, "reading items");
	*out = total == 0 ? n == 0 : common * 2 > total;
	return 0;
}

/* Loads, once a run needs them, the post-mortems whose file is gone: this
 * run did not find it, and it is missing from its directory or no longer
 * on disk. Few, so the move look-up is a scan of them and needs no index. */
static int
load_gone(struct run *r)
{
	static const char sql[] = "SELECT id, canon, content_hash, title, incident_date, "
		"missing_since FROM postmortems WHERE canon IS NOT NULL AND forgotten_at IS NULL";
	sqlite3_stmt *s;
	size_t cap = 0;
	int rc, step, oom = 0;

	r->gone_loaded = 1;
	if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *canon = (const char *)sqlite3_column_text(s, 1);
		struct stat sb;
		struct gone *g;
		if (canon == NULL || canon[0] != '/' || seen(r, canon) ||
		    (sqlite3_column_type(s, 5) == SQLITE_NULL && stat(canon, &sb) == 0))
			continue;
		if (cl_grow(&r->gone, &cap, r->ngone, sizeof *r->gone, 16) != 0) {
			oom = 1;
			break;
		}
		g = &r->gone[r->ngone++];
		memset(g, 0, sizeof *g);
		g->id = sqlite3_column_int64(s, 0);
		g->canon = cl_column_dup_oom(s, 1, &oom);
		g->hash = cl_column_dup_oom(s, 2, &oom);
		g->title = cl_column_dup_oom(s, 3, &oom);
		g->date = cl_column_dup_oom(s, 4, &oom);
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	return step == SQLITE_DONE ? 0 : cl_store_fail(r->st, step, r->err, "reading post-mortems");
}

/* Looks for the post-mortem a new document was before it moved: one whose
 * file is gone (missing from its directory, or no longer there) and that
 * has the same content, or the same title and incident date and most of
 * the same items. *out = 0 when there is none. */
static int
find_moved(struct run *r, struct job *j, long long *out, char **old_canon)
{
	char date[11] = "";
	size_t k;
	int pass, rc, alike;

	*out = 0;
	*old_canon = NULL;
	if (is_url(j->f->canon))
		return 0;
	if (!r->gone_loaded && (rc = load_gone(r)) != 0)
		return rc;
	if (j->doc->incident_date != CL_NO_DATE)
		cl_date_format(j->doc->incident_date, date);
	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < r->ngone; k++) {
			struct gone *g = &r->gone[k];
			if (g->taken)
				continue;
			if (pass == 0) {
				alike = g->hash && strcmp(g->hash, j->hash) == 0;
			} else {
				if (!j->doc->title || !g->title || strcmp(g->title, j->doc->title) != 0 ||
				    strcmp(g->date ? g->date : "", date) != 0)
					continue;
				if ((rc = items_overlap(r, g->id, j->norms, j->doc->nitems, &alike)) != 0)
					return rc;
			}
			if (!alike)
				continue;
			if ((*old_canon = cl_strdup(g->canon)) == NULL)
				return cl_error_set(r->err, CL_ENOMEM, "out of memory");
			g->taken = 1;
			*out = g->id;
			return keyset_add(&r->claimed, (uint64_t)g->id, 0) < 0 ?
			       cl_error_set(r->err, CL_ENOMEM, "out of memory") : 0;
		}
	}
	return 0;
}

/* The public id of post-mortem pm (caller frees). */
static int
post_mortem_slug(struct run *r, long long pm, char **out)
{
	static const char sql[] = "SELECT slug FROM postmortems WHERE id = ?";
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, pm);
	if ((rc = sqlite3_step(s)) != SQLITE_ROW)
		return cl_store_fail(r->st, rc, r->err, "reading post-mortem");
	*out = cl_column_dup(s, 0);
	sqlite3_reset(s);
	return *out ? 0 : cl_error_set(r->err, CL_ENOMEM, "out of memory");
}

/* The ids of post-mortem pm's items that sql (the post-mortem's id its
 * only parameter) selects; caller frees *out. */
static int
item_ids(long long **out, size_t *n, struct cl_store *st, const char *sql, long long pm,
         struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	long long *ids = NULL;
	size_t cnt = 0, cap = 0;
	int rc, step;

	*out = NULL;
	*n = 0;
	if ((rc = cl_store_prepare(st, &s, sql, err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, pm);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cl_grow(&ids, &cap, cnt, sizeof *ids, 16) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
		ids[cnt++] = sqlite3_column_int64(s, 0);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "reading items");
	sqlite3_finalize(s);
	if (rc != 0) {
		free(ids);
		return rc;
	}
	*out = ids;
	*n = cnt;
	return 0;
}

/* Records a move in the history of each of the post-mortem's items. */
static int
note_move(struct run *r, long long pm, const char *from, const char *to)
{
	long long *ids;
	size_t n, i;
	int rc;

	if ((rc = item_ids(&ids, &n, r->st, "SELECT id FROM items WHERE postmortem_id = ? "
	                   "ORDER BY seq", pm, r->err)) != 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++) {
		struct cl_item_change c;
		cl_item_change_init(&c, ids[i], "import", r->now);
		cl_item_change_set(&c, CL_ICOL_SOURCE, from, to);
		rc = cl_item_change_write(r->st, &c, r->err);
	}
	free(ids);
	return rc;
}

/* A source's document whose URL is not the one shown for its post-mortem
 * (a Confluence page moved to another space, same identity): shows the new
 * URL and records the move in the items' history. */
static int
url_moved(struct run *r, long long pm, const struct found *f)
{
	static const char get[] = "SELECT source FROM postmortems WHERE id = ? AND source <> ?";
	static const char set[] = "UPDATE postmortems SET source = ?1 WHERE id = ?2";
	sqlite3_stmt *s;
	char *old = NULL, *source = NULL;
	int rc, step, oom = 0;

	if (f->doc == NULL)
		return 0;
	if ((rc = cl_store_cached(r->st, &s, get, r->err)) != 0)
		return rc;
	sqlite3_bind_int64(s, 1, pm);
	sqlite3_bind_text(s, 2, f->source, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		old = cl_column_dup_oom(s, 0, &oom);
	else if (step != SQLITE_DONE)
		rc = cl_store_fail(r->st, step, r->err, "reading a post-mortem's name");
	sqlite3_reset(s);
	if (rc != 0 || old == NULL) {
		if (rc == 0 && oom)
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = unique_source(r, f, pm, &source)) != 0 ||
	    (rc = cl_store_cached(r->st, &s, set, r->err)) != 0)
		goto done;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pm);
	if ((rc = step_done(r, s, "renaming a post-mortem")) != 0)
		goto done;
	r->stats->pm_moved++;
	rc = note_move(r, pm, old, source);
done:
	free(old);
	free(source);
	return rc;
}

/* Main thread: reports and writes one worked document. File-level problems
 * are reported and counted, not returned: only database and memory errors
 * stop the run. */
static int
job_finish(struct run *r, struct job *j)
{
	const struct found *f = j->f;
	long long id = 0;
	char *source = NULL, *moved_from = NULL;
	size_t i;
	int rc;

	if (j->rc == CL_ENOMEM)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory importing '%s'", f->path);
	if (j->rc != 0) {
		char *where = f->doc ? cl_source_where(f->doc, 0) : NULL;
		report(r, where ? where : f->path, NULL, j->err.msg);
		free(where);
		r->stats->files_failed++;
		/* a URL that answers 404 is missing (66); one that cannot be
		 * reached now is for a later run (75) */
		if (is_url(f->path) && j->rc == CL_ENOINPUT)
			r->sources_missing++;
		else if (is_url(f->path) && j->rc == CL_ETEMPFAIL)
			r->sources_later++;
		return 0;
	}
	if (j->unsettled) {
		report(r, f->path, NULL, "changed while it was read (or lost most of its items "
		       "moments ago): skipped this time, its items stay as they were");
		r->stats->files_unsettled++;
		return 0;
	}
	if (j->touched) {
		/* touched, not changed: remember the new times, skip the parse */
		static const char sql[] = "UPDATE postmortems SET file_size = ?1, file_mtime = ?2, "
			"file_ctime = ?3, canon = ?4, path = ?5 WHERE id = ?6";
		sqlite3_stmt *s;
		r->stats->files_unchanged++;
		if (!j->have_sb || r->opts_dry_run)
			return 0;
		if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
			return rc;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)j->sb.st_size);
		sqlite3_bind_int64(s, 2, ns(&j->sb.st_mtim));
		sqlite3_bind_int64(s, 3, ns(&j->sb.st_ctim));
		sqlite3_bind_text(s, 4, f->canon, -1, SQLITE_STATIC);
		cl_bind_text(s, 5, f->path);
		sqlite3_bind_int64(s, 6, j->pm);
		if ((rc = step_done(r, s, "updating post-mortem")) != 0)
			return rc;
		return url_moved(r, j->pm, f);
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
	if (r->lint_only) {
		if (r->opts && r->opts->doc)
			r->opts->doc(r->opts->report_arg, f->path, j->doc);
		return 0;
	}
	if (j->pm == 0) {
		if ((rc = find_moved(r, j, &j->pm, &moved_from)) != 0)
			return rc;
		if (j->pm != 0 && (rc = post_mortem_slug(r, j->pm, &j->slug)) != 0)
			goto done;
	}
	if ((j->pm == 0 || moved_from) && (rc = unique_source(r, f, j->pm, &source)) != 0)
		goto done;
	if ((rc = store_postmortem(r, j->pm, f, source, j->doc, j->have_sb ? &j->sb : NULL,
	                           j->hash, j->doc_codes, &id, &j->slug)) != 0)
		goto done;
	if (moved_from) {
		r->stats->pm_moved++;
		if ((rc = note_move(r, id, moved_from, f->canon)) != 0)
			goto done;
	}
	if ((rc = store_items(r, id, j->pm == 0, j->slug, j->doc, j->norms, j->codes)) == 0 &&
	    j->pm != 0)
		rc = url_moved(r, j->pm, f);
done:
	free(source);
	free(moved_from);
	return rc;
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

/* The parser threads and the queue between them and the main thread. Jobs
 * are claimed in order, worked side by side, and finished by the main
 * thread in the same order. */
#define PIPE_DEPTH 32
#define PIPE_WORKERS 4

struct pipe {
	pthread_t threads[PIPE_WORKERS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct run *r;
	struct job jobs[PIPE_DEPTH];
	/* each slot's last finished job: the parser thread that takes the slot
	 * next frees it (the main thread spent 5% of its time in free) */
	struct job spent[PIPE_DEPTH];
	unsigned char worked[PIPE_DEPTH];	/* worked, not finished yet */
	size_t head, claimed, tail;	/* head ≤ claimed ≤ tail, modulo counters */
	size_t nworked;		/* how many are worked and not finished */
	size_t wake_main;	/* the sleeping main thread wants this many */
	int stop;
	int main_waits, worker_waits;	/* signal only threads that sleep */
	int main_works;		/* the main thread works a job rather than wait */
	int want, started;	/* parser threads wanted; started (at the first job) */
};

/* A sleeping thread is woken for a batch of documents, not for each one:
 * a wake-up per document cost two context switches per document. */
#define PIPE_BATCH (PIPE_DEPTH / 4)

static void *
pipe_main(void *arg)
{
	struct pipe *p = arg;
	struct cl_sha256 *sha = NULL;
	size_t k;

	cl_sha256_new(&sha);	/* NULL on failure: hashed without it */
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->claimed == p->tail && !p->stop) {
			p->worker_waits++;
			pthread_cond_wait(&p->cv, &p->mu);
			p->worker_waits--;
		}
		if (p->claimed == p->tail && p->stop)
			break;
		k = p->claimed++ % PIPE_DEPTH;
		pthread_mutex_unlock(&p->mu);
		job_release(&p->spent[k]);
		job_work(p->r, &p->jobs[k], sha);
		pthread_mutex_lock(&p->mu);
		p->worked[k] = 1;
		p->nworked++;
		if (p->main_waits && (p->nworked >= p->wake_main || p->claimed == p->tail))
			pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	cl_sha256_free(sha);
	return NULL;
}

/* True when every file is a local one: no HTTP client is used, and the
 * main thread may work documents too. */
static int
pipe_local(const struct found_list *files)
{
	size_t i;

	for (i = 0; i < files->n; i++)
		if (files->v[i].doc != NULL || is_url(files->v[i].path))
			return 0;
	return 1;
}

/* How many parser threads a run gets: one per processor but the one the
 * main thread works on (at least one, at most PIPE_WORKERS;
 * CLOSELOOP_THREADS=N sets it), or one when a document comes from a URL or
 * a configured source: their HTTP clients are not shared between threads. */
static int
pipe_workers(const struct found_list *files)
{
	const char *env = getenv("CLOSELOOP_THREADS");
	long cpus = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN) - 1;

	if (!pipe_local(files))
		return 1;
	return cpus < 1 ? 1 : cpus > PIPE_WORKERS ? PIPE_WORKERS : (int)cpus;
}

/* Starts the parser threads, when the first document needs work (an
 * unchanged corpus starts none). Without any, the main thread works all. */
static void
pipe_start(struct pipe *p)
{
	int k;

	p->started = 1;
	for (k = 0; k < p->want; k++)
		if (pthread_create(&p->threads[k], NULL, pipe_main, p) == 0)
			p->nthreads++;
	if (p->nthreads == 0)
		p->main_works = 1;
}

/* Stops the parser threads once they have worked what they claimed. */
static void
pipe_stop(struct pipe *p)
{
	int k;

	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->nthreads; k++)
		pthread_join(p->threads[k], NULL);
}

/* Runs every file through prepare → work → finish, with the work on parser
 * threads when there is more than a handful of files. */
static int
run_files(struct run *r, const struct found_list *files)
{
	struct pipe *p = NULL;
	struct cl_sha256 *sha = NULL;	/* the main thread's, at its first document */
	size_t next = 0, k;
	int rc = 0, threaded = files->n > 4 && getenv("CLOSELOOP_NO_THREADS") == NULL;

	if (threaded) {
		if ((p = cl_calloc(1, sizeof *p)) == NULL)
			return cl_error_set(r->err, CL_ENOMEM, "out of memory");
		p->r = r;
		p->main_works = pipe_local(files);
		p->want = pipe_workers(files);
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->cv, NULL);
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
				if (sha == NULL)
					cl_sha256_new(&sha);
				job_work(r, &j, sha);
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
				if (!p->started)
					pipe_start(p);
				pthread_mutex_lock(&p->mu);
				p->tail++;
				if (p->worker_waits && (p->tail - p->claimed >= PIPE_BATCH || next == files->n))
					pthread_cond_broadcast(&p->cv);
				pthread_mutex_unlock(&p->mu);
			}
			continue;	/* keep the queue full before finishing */
		} else {
			struct job *j = &p->jobs[p->head % PIPE_DEPTH];
			pthread_mutex_lock(&p->mu);
			while (!p->worked[p->head % PIPE_DEPTH]) {
				if (p->main_works && p->claimed != p->tail && p->worker_waits == 0) {
					/* every parser thread busy: the next unclaimed
					 * job here rather than wait (a sleeping one is
					 * woken instead, below) */
					size_t c = p->claimed++ % PIPE_DEPTH;
					pthread_mutex_unlock(&p->mu);
					job_release(&p->spent[c]);	/* the claimer frees it */
					if (sha == NULL)
						cl_sha256_new(&sha);
					job_work(r, &p->jobs[c], sha);
					pthread_mutex_lock(&p->mu);
					p->worked[c] = 1;
					p->nworked++;
					continue;
				}
				if (p->worker_waits && p->claimed != p->tail)
					pthread_cond_broadcast(&p->cv);
				p->wake_main = p->tail - p->head < PIPE_BATCH ? p->tail - p->head :
				               PIPE_BATCH;
				p->main_waits = 1;
				pthread_cond_wait(&p->cv, &p->mu);
				p->main_waits = 0;
			}
			p->worked[p->head % PIPE_DEPTH] = 0;
			p->nworked--;
			pthread_mutex_unlock(&p->mu);
			rc = job_finish(r, j);
			p->spent[p->head % PIPE_DEPTH] = *j;	/* freed by a parser thread */
			memset(j, 0, sizeof *j);
			p->head++;
		}
		if (rc == 0 && r->in_tx && ++r->files_in_tx >= COMMIT_EVERY && !r->opts_dry_run &&
		    !r->first) {
			if ((rc = check_failures(r)) == 0)
				rc = cl_store_commit(r->st, r->err);
			else
				cl_store_rollback(r->st);
			r->in_tx = 0;
		}
	}
	if (p != NULL) {
		pipe_stop(p);
		for (; p->head != p->tail; p->head++)	/* after an error: drop the rest */
			job_release(&p->jobs[p->head % PIPE_DEPTH]);
		for (k = 0; k < PIPE_DEPTH; k++)
			job_release(&p->spent[k]);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p);
	}
	cl_sha256_free(sha);
	return rc;
}

/* Withdraws the open items of post-mortem pm (history: origin, "status"
 * open → withdrawn); *n gets how many. */
static int
withdraw_open(struct cl_store *st, long long pm, const char *origin, const char *now, int *n,
              struct cl_error *err)
{
	long long *ids;
	size_t cnt, i;
	int rc;

	*n = 0;
	if ((rc = item_ids(&ids, &cnt, st, "SELECT id FROM items WHERE "
	                   LIVE_ITEMS("status = 'open'") " ORDER BY seq", pm, err)) != 0)
		return rc;
	for (i = 0; i < cnt && rc == 0; i++)
		rc = withdraw_item(st, ids[i], "open", origin, now, err);
	free(ids);
	if (rc == 0)
		*n = (int)cnt;
	return rc;
}

/* The post-mortems mark_missing may change. */
struct missing_rows {
	struct missing_row {
		long long id;
		int state;	/* 0 back, 1 newly missing, 2 still missing, 3 to retire */
	} *v;
	size_t n, cap;
};

/* Steps s (id, canon, missing_since, retired_at of the post-mortems one
 * listing covers) and adds to rows what changes. complete: the listing is
 * the whole set, so one it lacks is missing; otherwise only those found
 * again are back. at: NULL, or the listing is in canon order from the
 * names found at *at on (seen_next). */
static int
missing_rows(struct run *r, sqlite3_stmt *s, int complete, size_t *at,
             struct missing_rows *rows)
{
	int rc = 0, step;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *canon = (const char *)sqlite3_column_text(s, 1);
		const char *since = (const char *)sqlite3_column_text(s, 2);
		int state;
		time_t t;
		if (canon && (at ? seen_next(r, canon, at) : seen(r, canon)))
			state = since ? 0 : -1;
		else if (!complete)
			state = -1;
		else if (since == NULL)
			state = 1;
		else if (sqlite3_column_type(s, 3) == SQLITE_NULL &&
		         strcmp(since, r->now) < 0 && cl_time_parse(since, &t) == 0 &&
		         r->now_t - t >= r->missing_days * 86400)
			state = 3;
		else
			state = 2;
		if (state < 0)
			continue;
		if (cl_grow(&rows->v, &rows->cap, rows->n, sizeof *rows->v, 16) != 0) {
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			break;
		}
		rows->v[rows->n].id = sqlite3_column_int64(s, 0);
		rows->v[rows->n++].state = state;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = cl_store_fail(r->st, step, r->err, "reading post-mortems");
	sqlite3_reset(s);
	return rc;
}

/* Records which configured source lists each of its documents (listed_by),
 * then adds to rows the changes its listing shows. */
static int
missing_in_source(struct run *r, struct cl_source *src, struct missing_rows *rows)
{
	static const char mine[] = "UPDATE postmortems SET listed_by = ?1 WHERE canon = ?2 AND "
		"listed_by IS NOT ?1";
	static const char q[] = "SELECT id, canon, missing_since, retired_at FROM postmortems "
		"WHERE listed_by = ?1 AND forgotten_at IS NULL";
	sqlite3_stmt *s;
	size_t i;
	int rc = 0;

	for (i = 0; i < cl_source_count(src) && rc == 0; i++) {
		if ((rc = cl_store_cached(r->st, &s, mine, r->err)) != 0)
			break;
		sqlite3_bind_text(s, 1, cl_source_name(src), -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, cl_source_doc_at(src, i)->canon, -1, SQLITE_STATIC);
		rc = step_done(r, s, "recording a post-mortem's source");
	}
	if (rc == 0 && (rc = cl_store_cached(r->st, &s, q, r->err)) == 0) {
		sqlite3_bind_text(s, 1, cl_source_name(src), -1, SQLITE_STATIC);
		rc = missing_rows(r, s, cl_source_complete(src), NULL, rows);
	}
	return rc;
}

/* The canonical names of the cached rows that keep a walked root from
 * being unchanged (live, and not found again or missing), sorted, into
 * *out (NULL without a cache: every root is then queried). */
static int
blocking_rows(const struct run *r, const char ***out, size_t *n)
{
	const struct pm_cache *c = &r->cache;
	const char **v;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	if (!c->on || c->legacy)
		return 0;
	if ((v = cl_malloc((c->n + 1) * sizeof *v)) == NULL)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	for (i = 0; i < c->n; i++) {
		const struct pm_row *o = &c->v[i];
		if (!o->forgotten && (!o->found || o->missing))
			v[k++] = c->text.data + o->canon_at - 1;
	}
	qsort(v, k, sizeof *v, cmp_str);
	*out = v;
	*n = k;
	return 0;
}

/* True when mark_missing has nothing to change below the walked root whose
 * names start with lo: the cache (the whole table before the run) shows
 * every live post-mortem there found again and none missing, i.e. no
 * blocking row (blocking_rows) starts with lo; one binary search (a loop
 * over every cached row per root was roots x rows: 3,000 roots beside
 * 10,000 rows not walked took 0.5 s). The run cannot have added any other:
 * what it inserts, or gives a new canon (store_postmortem, which clears
 * missing_since, or a touched file's row, found here by that canon), has
 * the name of a file it found. */
static int
root_unchanged(const char *const *block, size_t n, const char *lo)
{
	size_t a = 0, b = n;

	if (block == NULL)
		return 0;
	while (a < b) {
		size_t m = a + (b - a) / 2;
		if (strcmp(block[m], lo) < 0)
			a = m + 1;
		else
			b = m;
	}
	return a == n || strncmp(block[a], lo, strlen(lo)) != 0;
}

/* After the files: a post-mortem below a walked directory that the walk did
 * not find, or listed by a configured source whose complete listing lacks
 * it, is missing (missing_since, from the first run it is not there);
 * once it has been missing for [import] missing_days, never on the first run,
 * its open items are withdrawn (the next sync closes their tickets as not
 * planned). One that is back is no longer missing. A root whose walk could
 * not read a directory is left alone, and so is everything an incremental
 * or cut-short listing does not show. */
static int
mark_missing(struct run *r)
{
	static const char q[] = "SELECT id, canon, missing_since, retired_at FROM postmortems "
		"WHERE canon >= ?1 AND canon < ?2 AND forgotten_at IS NULL ORDER BY canon";
	struct missing_rows rows = { 0 };
	const char **block = NULL;
	size_t k, i, nblock = 0;
	int rc = 0;

	/* a first import's rows are all its own, found this run and not
	 * missing: under its roots nothing can change */
	if (!r->first && r->nroots > 0)
		rc = blocking_rows(r, &block, &nblock);
	for (k = 0; k < r->nroots && rc == 0 && !r->first; k++) {
		char *lo, *hi;
		sqlite3_stmt *s;
		size_t at;
		if (r->root_failed[k])
			continue;
		lo = cl_asprintf("%s/", strcmp(r->roots[k], "/") == 0 ? "" : r->roots[k]);
		hi = cl_asprintf("%s0", strcmp(r->roots[k], "/") == 0 ? "" : r->roots[k]);
		if (lo == NULL || hi == NULL) {
			free(lo);
			free(hi);
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			break;
		}
		if (root_unchanged(block, nblock, lo))
			;
		else if ((rc = cl_store_cached(r->st, &s, q, r->err)) == 0) {
			sqlite3_bind_text(s, 1, lo, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, hi, -1, SQLITE_STATIC);
			at = seen_lower(r, lo);
			rc = missing_rows(r, s, 1, &at, &rows);
		}
		free(lo);
		free(hi);
	}
	free(block);
	for (k = 0; k < r->nsrcs && rc == 0; k++)
		rc = missing_in_source(r, r->srcs[k], &rows);
	for (i = 0; i < rows.n && rc == 0; i++) {
		static const char back[] = "UPDATE postmortems SET missing_since = NULL, "
			"retired_at = NULL WHERE id = ?1";
		static const char gone[] = "UPDATE postmortems SET missing_since = "
			"coalesce(missing_since, ?2) WHERE id = ?1";
		static const char retire[] = "UPDATE postmortems SET retired_at = ?2 WHERE id = ?1";
		const char *sql = rows.v[i].state == 0 ? back : rows.v[i].state == 3 ? retire : gone;
		sqlite3_stmt *s;
		int n;
		if (rows.v[i].state > 0)
			r->stats->pm_missing++;
		if (rows.v[i].state == 2)
			continue;
		if ((rc = cl_store_cached(r->st, &s, sql, r->err)) != 0)
			break;
		sqlite3_bind_int64(s, 1, rows.v[i].id);
		if (rows.v[i].state != 0)
			sqlite3_bind_text(s, 2, r->now, -1, SQLITE_STATIC);
		if ((rc = step_done(r, s, "marking a missing post-mortem")) != 0)
			break;
		if (rows.v[i].state == 3) {
			if ((rc = withdraw_open(r->st, rows.v[i].id, "import", r->now, &n, r->err)) != 0)
				break;
			r->stats->items_withdrawn += n;
			r->stats->pm_retired++;
		}
	}
	free(rows.v);
	return rc;
}

/* Builds the sorted list of canonical names found (pointers into files). */
static int
build_seen(struct run *r, const struct found_list *files)
{
	size_t i;

	if (files->n == 0)
		return 0;
	if ((r->seen = cl_malloc(files->n * sizeof *r->seen)) == NULL)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	for (i = 0; i < files->n; i++)
		r->seen[i] = files->v[i].canon;
	r->nseen = files->n;
	/* a walk lists them sorted already, as a rule: a check is n compares */
	for (i = 1; i < r->nseen && strcmp(r->seen[i - 1], r->seen[i]) <= 0; i++)
		;
	if (i < r->nseen)
		qsort(r->seen, r->nseen, sizeof *r->seen, cmp_str);
	return 0;
}

/* [import] keys: follow_symlinks, include, exclude, missing_days. */
static int
walk_config(struct run *r)
{
	const char *v = cl_config_get_default(r->cfg, "import", "follow_symlinks", "within-root");
	int rc;

	if (strcmp(v, "within-root") == 0)
		r->follow = FOLLOW_WITHIN;
	else if (strcmp(v, "no") == 0)
		r->follow = FOLLOW_NO;
	else if (strcmp(v, "yes") == 0)
		r->follow = FOLLOW_YES;
	else
		return cl_error_set(r->err, CL_ECONFIG, "%s:%d: [import] follow_symlinks '%s': "
		                    "within-root, no or yes", cl_config_path(r->cfg) ?
		                    cl_config_path(r->cfg) : "config",
		                    cl_config_line(r->cfg, "import", "follow_symlinks"), v);
	if (split_patterns(&r->include, &r->ninclude,
	                   cl_config_get_default(r->cfg, "import", "include",
	                                         "*.md, *.markdown, *.mdown, *.mdx, *.md.*")) != 0 ||
	    split_patterns(&r->exclude, &r->nexclude,
	                   cl_config_get_default(r->cfg, "import", "exclude", "")) != 0)
		return cl_error_set(r->err, CL_ENOMEM, "out of memory");
	if ((rc = cl_config_get_int(r->cfg, "import", "missing_days", 14, 0, 3650,
	                            &r->missing_days, r->err)) != 0)
		return rc;
	return 0;
}

/* Frees what the walk kept. */
static void
walk_release(struct run *r)
{
	size_t i;

	patterns_free(r->include, r->ninclude);
	patterns_free(r->exclude, r->nexclude);
	keyset_release(&r->dirs);
	keyset_release(&r->files);
	keyset_release(&r->claimed);
	for (i = 0; i < r->ndirs_open; i++)
		close(r->dirs_open[i]);
	free(r->dirs_open);
	for (i = 0; i < r->nroots; i++)
		free(r->roots[i]);
	free(r->roots);
	free(r->root_failed);
	free(r->seen);
	for (i = 0; i < r->ngone; i++) {
		free(r->gone[i].canon);
		free(r->gone[i].hash);
		free(r->gone[i].title);
		free(r->gone[i].date);
	}
	free(r->gone);
}

/* The connection's PRAGMA secure_delete: 1 on (SQLite's default where it
 * was built so, as Debian's is), 0 off. */
static int
secure_delete_on(sqlite3 *db)
{
	sqlite3_stmt *s;
	int on = 1;

	if (sqlite3_prepare_v2(db, "PRAGMA secure_delete", -1, &s, NULL) != SQLITE_OK)
		return on;
	if (sqlite3_step(s) == SQLITE_ROW)
		on = sqlite3_column_int(s, 0) != 0;
	sqlite3_finalize(s);
	return on;
}

/* A first import (64 files or more into a database without post-mortems)
 * writes through a rollback journal, in one transaction. A page the
 * database did not have before the transaction is not journaled, so each
 * page is written once, where WAL writes it to the log at a commit and
 * copies it at the checkpoint: 5 to 10% of the main thread's time on the
 * bench corpus. It is as crash safe: synchronous = FULL, the level at
 * which a rollback journal survives a power loss, and a crash leaves the
 * empty database (its hot journal rolls back at the next open, which also
 * turns WAL back on). SQLite leaves WAL only when no other connection has
 * the file open, else the import runs as any other. Readers wait (their
 * busy timeout) while the transaction writes. on = 0: back to WAL; should
 * a reader hold the file now, the next cl_store_open does it. */
static void
first_import(struct run *r, int on)
{
	sqlite3 *db = cl_store_db(r->st);

	if (on && cl_store_journal(r->st, "delete") == 0) {
		r->first = 1;
		r->batch.next_id = 1;	/* SQLite's first rowid in an empty table */
		/* a 2 MiB page cache: every page is new and written once, so
		 * SQLite writes the full ones out as the run goes, not all at
		 * the final commit, after the parser threads are done (main
		 * thread after the last document, corpus-10000: 10.5 -> 4.7 ms;
		 * peak memory 47 -> 31 MiB) */
		sqlite3_exec(db, "PRAGMA synchronous = FULL; PRAGMA cache_size = -2048", NULL, NULL,
		             NULL);
		/* nothing is deleted, so nothing is there to overwrite: the
		 * free space a page split leaves holds copies of rows that
		 * still exist (Debian's SQLite zeroes it by default) */
		r->secure_delete = secure_delete_on(db);
		sqlite3_exec(db, "PRAGMA secure_delete = OFF", NULL, NULL, NULL);
	} else if (!on && r->first) {
		r->first = 0;
		/* cl_store_open's settings */
		sqlite3_exec(db, r->secure_delete ? "PRAGMA synchronous = NORMAL; "
		             "PRAGMA cache_size = -16384; PRAGMA secure_delete = ON" :
		             "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16384", NULL, NULL,
		             NULL);
		cl_store_journal(r->st, "wal");
	}
}

static int
run_sources(struct run *r, char *const *sources, int nsources)
{
	struct found_list files = { 0 };
	struct pm_loader loader;
	char *list = NULL, *save = NULL, *tok, **cfg_sources = NULL, fp[65];
	int ncfg = 0, rc = 0, writes = 0, fk_off = 0;
	long max = DEFAULT_MAX_SIZE;
	time_t now = cl_now();
	/* rows written before this run: a run that writes none need not set teams */
	sqlite3_int64 changes0 = r->st ? sqlite3_total_changes64(cl_store_db(r->st)) : 0;

	r->alloc_failures = cl_alloc_failures();
	r->tz = cl_config_timezone(r->cfg);
	r->now_t = now;
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
		size_t nnames = 0, k, cfg_cap = 0;
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
			if (cl_grow(&cfg_sources, &cfg_cap, (size_t)ncfg, sizeof *cfg_sources, 8) != 0) {
				cl_source_names_free(names, nnames);
				rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
				goto done;
			}
			cfg_sources[ncfg++] = cl_str_trim(tok);
		}
		/* every [source "NAME"] section not named in sources is imported too */
		for (k = 0; k < nnames; k++) {
			for (m = 0; m < ncfg && !cl_str_ieq(cfg_sources[m], names[k]); m++)
				;
			if (m < ncfg)
				continue;
			if (cl_grow(&cfg_sources, &cfg_cap, (size_t)ncfg, sizeof *cfg_sources, 8) != 0) {
				cl_source_names_free(names, nnames);
				rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
				goto done;
			}
			cfg_sources[ncfg++] = names[k];
		}
		sources = cfg_sources;
		nsources = ncfg;
		r->src_names = names;
		r->nsrc_names = nnames;
	}
	if ((rc = walk_config(r)) != 0)
		goto done;
	pm_loader_start(&loader, r, sources, nsources);
	if ((rc = collect(&files, sources, nsources, r)) != 0) {
		pm_loader_end(&loader, NULL);
		rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = build_seen(r, &files)) != 0) {
		pm_loader_end(&loader, NULL);
		goto done;
	}
	if ((rc = loader.started ? pm_loader_end(&loader, &files) : pm_cache_load(r, &files)) != 0)
		goto done;
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
	writes = r->st && !r->lint_only && !r->opts_dry_run;
	/* one checkpoint after the run instead of one per 4 MB of WAL: see
	 * IMPORT_WAL_PAGES */
	if (writes)
		sqlite3_wal_autocheckpoint(cl_store_db(r->st), IMPORT_WAL_PAGES);
	/* no foreign key checks while the run writes: every item it inserts
	 * belongs to a post-mortem row of the same transaction, every history
	 * row to an item loaded in it (check_import checks_foreign_keys), and
	 * a check per row cost a look-up and, with rows inserted several at a
	 * time, a statement journal. Nor CHECK constraints: the kind, statuses
	 * and origin it writes are literals or values read back from the
	 * table (PRAGMA integrity_check checks them after, t18); they were 7%
	 * of an item's insert */
	if (r->st && !r->lint_only &&
	    (rc = cl_store_exec(r->st, "PRAGMA foreign_keys = OFF; "
	                        "PRAGMA ignore_check_constraints = ON", r->err)) != 0)
		goto done;
	fk_off = r->st && !r->lint_only;
	if (writes && r->cache.on && r->cache.n == 0 && !r->cache.legacy) {
		if (cl_team_rules_load(&r->teams, r->cfg) != 0) {
			rc = cl_error_set(r->err, CL_ENOMEM, "out of memory");
			goto done;
		}
		first_import(r, 1);
		if (!r->first) {
			cl_team_rules_free(r->teams);
			r->teams = NULL;
		}
	}
	rc = run_files(r, &files);
	if (rc == 0)
		rc = pm_flush(r);
	if (rc == 0 && r->st && !r->lint_only && !(r->opts && r->opts->dry_run)) {
		if (!r->in_tx && (rc = cl_store_begin(r->st, r->err)) == 0)
			r->in_tx = 1;
		if (rc == 0)
			rc = mark_missing(r);
		/* every post-mortem's team, when [teams] changed or rows were
		 * written; a first import gave each its team as it inserted it */
		if (rc == 0 && r->teams != NULL)
			rc = cl_team_assign_done(r->st, r->cfg, r->err);
		else if (rc == 0)
			rc = cl_team_assign_changed(r->st, r->cfg,
			                            sqlite3_total_changes64(cl_store_db(r->st)) !=
			                            changes0, r->err);
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
	if (writes) {
		sqlite3_wal_autocheckpoint(cl_store_db(r->st), SQLITE_WAL_PAGES);
		first_import(r, 0);
		if (rc == 0)
			sqlite3_wal_checkpoint_v2(cl_store_db(r->st), NULL, SQLITE_CHECKPOINT_PASSIVE,
			                          NULL, NULL);
	}
	if (rc == 0 && r->sources_later > 0)
		rc = cl_error_set(r->err, CL_ETEMPFAIL, "%d source%s could not be fetched now; "
		                  "the next run tries again", r->sources_later,
		                  r->sources_later == 1 ? "" : "s");
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
	if (fk_off)
		sqlite3_exec(cl_store_db(r->st), "PRAGMA foreign_keys = ON; "
		             "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
	pm_cache_release(&r->cache);
	textset_release(&r->slugs);
	textset_release(&r->sources);
	cl_buf_release(&r->batch.text);
	cl_team_rules_free(r->teams);
	walk_release(r);
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

void
cl_pm_missing_free(struct cl_pm_missing *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++) {
		free(v[i].slug);
		free(v[i].source);
		free(v[i].missing_since);
		free(v[i].retired_at);
	}
	free(v);
}

int
cl_import_missing(struct cl_pm_missing **out, size_t *n, struct cl_store *st,
                  struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	struct cl_pm_missing *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc, step, oom = 0;

	*out = NULL;
	*n = 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT slug, source, missing_since, retired_at FROM "
	                           "postmortems WHERE missing_since IS NOT NULL AND forgotten_at "
	                           "IS NULL ORDER BY missing_since, slug", err)) != 0)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (cl_grow(&v, &cap, cnt, sizeof *v, 8) != 0) {
			oom = 1;
			break;
		}
		v[cnt].slug = cl_column_dup_oom(s, 0, &oom);
		v[cnt].source = cl_column_dup_oom(s, 1, &oom);
		v[cnt].missing_since = cl_column_dup_oom(s, 2, &oom);
		v[cnt].retired_at = cl_column_dup_oom(s, 3, &oom);
		cnt++;
		if (oom)
			break;
	}
	sqlite3_finalize(s);
	if (oom)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	else if (step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, "reading post-mortems");
	if (rc != 0) {
		cl_pm_missing_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
cl_postmortem_find(long long *out, struct cl_store *st, const char *name,
                   struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char *best = NULL;
	int rc, step;

	*out = 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT id FROM postmortems WHERE slug = ?1 OR "
	                           "source = ?1 OR canon = ?1 ORDER BY slug <> ?1 LIMIT 1", err)) != 0)
		return rc;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((step = sqlite3_step(s)) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (step == SQLITE_ROW)
		return 0;
	if (step != SQLITE_DONE)
		return cl_store_fail(st, step, err, "reading post-mortems");
	if ((rc = cl_postmortem_nearest(&best, st, name, err)) != 0)
		return rc;
	if (best)
		rc = cl_error_set(err, CL_ENOINPUT, "no post-mortem '%s' (did you mean '%s'?)", name,
		                  best);
	else
		rc = cl_error_set(err, CL_ENOINPUT, "no post-mortem '%s' (see 'closeloop list "
		                  "--all' for ids)", name);
	free(best);
	return rc;
}

void
cl_postmortem_ids_free(char **slugs, char **sources, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(slugs ? slugs[i] : NULL);
		free(sources ? sources[i] : NULL);
	}
	free(slugs);
	free(sources);
}

int
cl_postmortem_ids(char ***slugs, char ***sources, size_t *n, struct cl_store *st,
                  struct cl_error *err)
{
	/* slug is unique and both columns are NOT NULL: the two lists line up */
	size_t nsl = 0, nso = 0;
	int rc;

	*slugs = *sources = NULL;
	*n = 0;
	if ((rc = cl_store_strings(slugs, &nsl, st, "SELECT slug FROM postmortems ORDER BY slug",
	                           NULL, "reading post-mortems", err)) != 0 ||
	    (rc = cl_store_strings(sources, &nso, st,
	                           "SELECT source FROM postmortems ORDER BY slug", NULL,
	                           "reading post-mortems", err)) != 0) {
		cl_store_strings_free(*slugs, nsl);
		*slugs = NULL;
		return rc;
	}
	*n = nsl < nso ? nsl : nso;
	return 0;
}

int
cl_postmortem_nearest(char **out, struct cl_store *st, const char *name, struct cl_error *err)
{
	char **slugs = NULL, **sources = NULL;
	const char *near;
	size_t n = 0, i;
	int rc;

	*out = NULL;
	if ((rc = cl_postmortem_ids(&slugs, &sources, &n, st, err)) != 0)
		return rc;
	/* the closest id, else the closest source (its id is named) */
	if ((near = cl_str_nearest(name, (const char *const *)slugs, n)) == NULL &&
	    (near = cl_str_nearest(name, (const char *const *)sources, n)) != NULL) {
		for (i = 0; i < n && sources[i] != near; i++)
			;
		near = slugs[i];
	}
	if (near != NULL && (*out = cl_strdup(near)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_postmortem_ids_free(slugs, sources, n);
	return rc;
}

int
cl_import_forget(int *withdrawn, struct cl_store *st, const char *name, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	long long id;
	char now[21];
	int rc, step;

	*withdrawn = 0;
	if ((rc = cl_postmortem_find(&id, st, name, err)) != 0)
		return rc;
	cl_time_format_utc(cl_now(), now);
	if ((rc = cl_store_begin(st, err)) != 0)
		return rc;
	if ((rc = cl_store_prepare(st, &s, "UPDATE postmortems SET forgotten_at = "
	                           "coalesce(forgotten_at, ?1), retired_at = coalesce(retired_at, ?1) "
	                           "WHERE id = ?2", err)) == 0) {
		sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, id);
		if ((step = sqlite3_step(s)) != SQLITE_DONE)
			rc = cl_store_fail(st, step, err, "forgetting post-mortem");
		sqlite3_finalize(s);
	}
	if (rc == 0)
		rc = withdraw_open(st, id, "local", now, withdrawn, err);
	if (rc == 0)
		rc = cl_store_commit(st, err);
	else
		cl_store_rollback(st);
	return rc;
}
