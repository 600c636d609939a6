/* store.c — SQLite database: open, migrate, transactions, meta. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dates.h"
#include "store.h"
#include "util.h"

/* A bind that fails (SQLite out of memory copying the value) leaves the
 * parameter NULL, and the statement would then write NULL in its place with
 * nobody the wiser: ignored bind results are the norm in C code. So a failed
 * bind poisons the connection instead: a one-shot progress handler
 * interrupts the next statement stepped (the one being bound), SQLite rolls
 * the transaction back, and cl_store_fail reports it as out of memory. */
static _Thread_local int bind_failed;

struct cl_store {
	sqlite3 *db;
	char *path;
	/* cl_store_cached: one entry per static SQL text, none evicted (the
	 * program has a fixed number of them), so a statement handed out stays
	 * valid however many others are asked for meanwhile */
	struct { const char *sql; sqlite3_stmt *stmt; } *cache;
	size_t ncache, capcache;
};

int
cl_store_cached(struct cl_store *st, sqlite3_stmt **out, const char *sql,
                struct cl_error *err)
{
	size_t i;
	int rc;

	for (i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			*out = st->cache[i].stmt;
			return 0;
		}
	}
	*out = NULL;
	if (cl_grow(&st->cache, &st->capcache, st->ncache, sizeof *st->cache, 32) != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	if (rc != SQLITE_OK)
		return cl_store_fail(st, rc, err, "prepare");
	st->cache[st->ncache].sql = sql;
	st->cache[st->ncache++].stmt = *out;
	return 0;
}

sqlite3 *
cl_store_db(struct cl_store *st)
{
	return st->db;
}

const char *
cl_store_path(const struct cl_store *st)
{
	return st->path;
}

int
cl_store_fail(struct cl_store *st, int src, struct cl_error *err, const char *what)
{
	const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(src);
	const char *path = st && st->path ? st->path : "database";

	if ((src & 0xff) == SQLITE_INTERRUPT && bind_failed) {
		/* see cl_bind_text */
		src = bind_failed;
		bind_failed = 0;
		if ((src & 0xff) == SQLITE_NOMEM)
			return cl_error_set(err, CL_ENOMEM, "out of memory (%s)", what);
		return cl_error_set(err, CL_ERROR, "database '%s' (%s): cannot bind a value: %s",
		                    path, what, sqlite3_errstr(src));
	}
	/* what the system said: an "I/O error" from a full or read-only disk
	 * is better told as such (and read-only is not worth a retry) */
	if (st && st->db && ((src & 0xff) == SQLITE_IOERR || (src & 0xff) == SQLITE_CANTOPEN)) {
		switch (sqlite3_system_errno(st->db)) {
		case ENOSPC:
		case EDQUOT:
			src = SQLITE_FULL;
			break;
		case EROFS:
		case EACCES:
		case EPERM:
			return cl_error_set(err, CL_ECANTCREAT, "database '%s' cannot be written "
			                    "(%s): %s", path, what,
			                    strerror(sqlite3_system_errno(st->db)));
		}
	}
	switch (src & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return cl_error_set(err, CL_ETEMPFAIL, "database '%s' is busy (%s): %s",
		                    path, what, msg);
	case SQLITE_FULL:
		return cl_error_set(err, CL_ETEMPFAIL, "database '%s': disk full (%s): free "
		                    "some space and run again", path, what);
	case SQLITE_IOERR:
		return cl_error_set(err, CL_ETEMPFAIL, "database '%s': I/O error (%s): %s",
		                    path, what, msg);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return cl_error_set(err, CL_ECANTCREAT, "database '%s' cannot be written (%s): %s",
		                    path, what, msg);
	case SQLITE_NOMEM:
		return cl_error_set(err, CL_ENOMEM, "out of memory (%s)", what);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return cl_error_set(err, CL_EDATA, "database '%s' is damaged or not a closeloop "
		                    "database: %s", path, msg);
	default:
		return cl_error_set(err, CL_ERROR, "database '%s' (%s): %s", path, what, msg);
	}
}

int
cl_store_exec(struct cl_store *st, const char *sql, struct cl_error *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : cl_store_fail(st, rc, err, "exec");
}

int
cl_store_prepare(struct cl_store *st, sqlite3_stmt **out, const char *sql,
                 struct cl_error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
	return rc == SQLITE_OK ? 0 : cl_store_fail(st, rc, err, "prepare");
}

int
cl_store_journal(struct cl_store *st, const char *mode)
{
	static const char *const sql[] = { "PRAGMA journal_mode = delete",
	                                   "PRAGMA journal_mode = wal" };
	sqlite3_stmt *s;
	int rc = 1, wal = strcmp(mode, "wal") == 0;

	if (!wal && strcmp(mode, "delete") != 0)
		return 1;
	if (sqlite3_prepare_v2(st->db, sql[wal], -1, &s, NULL) != SQLITE_OK)
		return 1;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL &&
	    cl_str_ieq((const char *)sqlite3_column_text(s, 0), mode))
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

int
cl_store_begin(struct cl_store *st, struct cl_error *err)
{
	return cl_store_exec(st, "BEGIN IMMEDIATE", err);
}

int
cl_store_commit(struct cl_store *st, struct cl_error *err)
{
	int rc = cl_store_exec(st, "COMMIT", err);
	if (rc != 0)
		cl_store_rollback(st);
	return rc;
}

void
cl_store_rollback(struct cl_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int
cl_store_version(struct cl_store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* cl_text_hash(text) in SQL, for migrations that index stored text. */
static void
sql_text_hash(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	const unsigned char *t = sqlite3_value_text(argv[0]);

	if (t == NULL)
		sqlite3_result_null(c);
	else
		sqlite3_result_int64(c, cl_text_hash((const char *)t));
}

/* Applies the migrations the file lacks, each in one transaction. */
static int
store_migrate(struct cl_store *st, struct cl_error *err)
{
	char sql[64], now[21];
	int v = cl_store_version(st), rc;

	if (v < 0)
		return cl_store_fail(st, sqlite3_errcode(st->db), err, "reading schema version");
	if (v > cl_migration_count)
		return cl_error_set(err, CL_EDATA,
		        "database '%s' has schema version %d, newer than this closeloop "
		        "understands (%d): upgrade closeloop", st->path, v, cl_migration_count);
	for (; v < cl_migration_count; v++) {
		if ((rc = cl_store_begin(st, err)) != 0)
			return rc;
		if ((rc = cl_store_exec(st, cl_migrations[v], err)) != 0) {
			cl_store_rollback(st);
			cl_error_prefix(err, "migration %04d", v + 1);
			return rc;
		}
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
		if ((rc = cl_store_exec(st, sql, err)) != 0) {
			cl_store_rollback(st);
			return rc;
		}
		if (v == 0) {
			cl_time_format_utc(cl_now(), now);
			if ((rc = cl_store_meta_set(st, "created_at", now, err)) != 0) {
				cl_store_rollback(st);
				return rc;
			}
		}
		if ((rc = cl_store_commit(st, err)) != 0)
			return rc;
	}
	return 0;
}

/* mkdir -p of the directory that will hold path. */
int
cl_store_make_dirs(const char *path, struct cl_error *err)
{
	char *dir = cl_strdup(path), *p;

	if (dir == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			int e = errno;
			cl_error_set(err, CL_ECANTCREAT, "unable to create directory '%s': %s",
			             dir, strerror(e));
			free(dir);
			return CL_ECANTCREAT;
		}
		*p = '/';
	}
	free(dir);
	return 0;
}

/* How long a command waits for another connection's lock (ms). */
#define BUSY_MS 10000

/* Sets a new database's page size and WAL mode. While a first import
 * writes in rollback mode (lib/import.c first_import), SQLite answers the
 * switch to WAL with SQLITE_BUSY at once, without its busy handler: wait
 * for the writer here as the busy timeout would (10 s), so that a reader
 * started meanwhile waits instead of failing. Each try answers at once
 * (no busy handler inside the loop): a writer that holds its EXCLUSIVE
 * lock, as a first import does once its cache spills, would otherwise make
 * every try wait the whole busy timeout, 200 x 10 s in all. */
static int
wal_on(sqlite3 *db)
{
	int rc, tries;

	sqlite3_busy_timeout(db, 0);
	for (tries = 0; tries < BUSY_MS / 50; tries++) {
		rc = sqlite3_exec(db, "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL", NULL,
		                  NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY)
			break;
		sqlite3_sleep(50);
	}
	sqlite3_busy_timeout(db, BUSY_MS);
	return rc;
}

int
cl_store_open(struct cl_store **out, const char *path, int flags, struct cl_error *err)
{
	struct cl_store *st;
	int oflags, rc;

	*out = NULL;
	{
		/* before SQLite's first use: no global allocation statistics (a
		 * mutex on every malloc) */
		static int configured;
		if (!configured) {
			sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
			configured = 1;
		}
	}
	if (!(flags & CL_STORE_CREATE) && access(path, F_OK) != 0)
		return cl_error_set(err, CL_ENOINPUT,
		                    "no database at '%s': run 'closeloop init' first", path);
	if ((flags & CL_STORE_CREATE) && (rc = cl_store_make_dirs(path, err)) != 0)
		return rc;
	if ((st = cl_calloc(1, sizeof *st)) == NULL || (st->path = cl_strdup(path)) == NULL) {
		free(st);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	oflags = (flags & CL_STORE_READONLY) ? SQLITE_OPEN_READONLY
	                                     : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = cl_store_fail(st, rc, err, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 0);
	sqlite3_busy_timeout(st->db, BUSY_MS);
	if ((rc = sqlite3_create_function(st->db, "cl_text_hash", 1, SQLITE_UTF8 |
	                                  SQLITE_DETERMINISTIC, NULL, sql_text_hash, NULL,
	                                  NULL)) != SQLITE_OK) {
		rc = cl_store_fail(st, rc, err, "opening");
		goto fail;
	}
	/* a new database gets 8 KiB pages (an existing one keeps its own): a
	 * first import of 10,000 documents writes half the WAL frames and
	 * checkpoint copies on the main thread (17,100 → 9,000 pwrite calls).
	 * 16 KiB halves them again but no longer fits t80's 2 MiB disk */
	if (!(flags & CL_STORE_READONLY) && (rc = wal_on(st->db)) != SQLITE_OK) {
		/* the first write: where a read-only file or directory shows */
		rc = cl_store_fail(st, rc, err, "opening");
		goto fail;
	}
	if ((rc = cl_store_exec(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
	                          "PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY", err)) != 0)
		goto fail;
	if (flags & CL_STORE_READONLY) {
		int v = cl_store_version(st);
		if (v > cl_migration_count) {
			rc = cl_error_set(err, CL_EDATA,
			        "database '%s' has schema version %d, newer than this closeloop "
			        "understands (%d): upgrade closeloop", path, v, cl_migration_count);
			goto fail;
		}
	} else if ((rc = store_migrate(st, err)) != 0) {
		goto fail;
	}
	*out = st;
	return 0;
fail:
	cl_store_close(st);
	return rc;
}

void
cl_store_close(struct cl_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	free(st->cache);
	sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

char *
cl_store_meta_get(struct cl_store *st, const char *key)
{
	sqlite3_stmt *s;
	char *v = NULL;

	if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1, &s,
	                       NULL) != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = cl_column_dup(s, 0);
	sqlite3_finalize(s);
	return v;
}

int
cl_store_meta_set(struct cl_store *st, const char *key, const char *value,
                  struct cl_error *err)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cl_store_prepare(st, &s, "INSERT INTO meta (key, value) VALUES (?, ?) "
	                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	                           err)) != 0)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	cl_bind_text(s, 2, value);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(st, rc, err, "meta");
}

static int
bind_poison(void *db)
{
	sqlite3_progress_handler(db, 0, NULL, NULL);
	return 1;
}

int
cl_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	int rc = v ? sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(s, i);

	/* only a value that could not be stored: binding a number a statement
	 * does not use (SQLITE_RANGE) is harmless, and done on purpose where two
	 * statements share one bind sequence */
	if (rc == SQLITE_NOMEM || rc == SQLITE_TOOBIG) {
		sqlite3 *db = sqlite3_db_handle(s);
		bind_failed = rc;
		sqlite3_progress_handler(db, 1, bind_poison, db);
	}
	return rc;
}

void
cl_bind_kept(sqlite3_stmt *s, int i, const char *v)
{
	/* with its length: SQLite would count it a byte at a time */
	if (v != NULL)
		sqlite3_bind_text(s, i, v, (int)strlen(v), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

char *
cl_column_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? cl_strdup((const char *)t) : NULL;
}

int
cl_store_strings(char ***out, size_t *n, struct cl_store *st, const char *sql,
                 const char *arg, const char *what, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	char **v = NULL, *x;
	size_t cnt = 0, cap = 0;
	int rc, step, oom = 0;

	*out = NULL;
	*n = 0;
	if ((rc = cl_store_prepare(st, &s, sql, err)) != 0)
		return rc;
	if (arg != NULL)
		cl_bind_text(s, 1, arg);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if ((x = cl_column_dup_oom(s, 0, &oom)) == NULL && !oom)
			continue;
		if (x == NULL || cl_grow(&v, &cap, cnt, sizeof *v, 64) != 0) {
			free(x);
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		v[cnt++] = x;
	}
	if (step != SQLITE_DONE)
		rc = cl_store_fail(st, step, err, what);
done:
	sqlite3_finalize(s);
	if (rc != 0) {
		cl_store_strings_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
cl_store_strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

char *
cl_column_dup_oom(sqlite3_stmt *s, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	char *v;

	if (t == NULL) {
		/* NULL text from a non-NULL column: SQLite ran out converting it */
		if (sqlite3_column_type(s, i) != SQLITE_NULL)
			*oom = 1;
		return NULL;
	}
	if ((v = cl_strdup((const char *)t)) == NULL)
		*oom = 1;
	return v;
}

const char *
cl_store_select(char *buf, size_t size, const struct cl_column *cols, size_t n,
                const char *rest)
{
	size_t len, i;
	int w;

	if (buf[0] != '\0')
		return buf;
	len = (size_t)snprintf(buf, size, "SELECT ");
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", cols[i].expr);
	w = len < size ? snprintf(buf + len, size - len, " %s", rest) : -1;
	if (w < 0 || (size_t)w >= size - len) {
		buf[0] = '\0';
		return NULL;
	}
	return buf;
}

int
cl_store_row_load(void *row, sqlite3_stmt *s, const struct cl_column *cols, size_t n)
{
	char *base = row;
	size_t i;
	int oom = 0;

	for (i = 0; i < n; i++) {
		void *f = base + cols[i].offset;
		switch (cols[i].type) {
		case CL_ROW_TEXT:
			*(char **)f = cl_column_dup_oom(s, (int)i, &oom);
			if (cols[i].notnull && *(char **)f == NULL)
				oom = 1;
			break;
		case CL_ROW_INT:
			*(int *)f = sqlite3_column_int(s, (int)i);
			break;
		case CL_ROW_INT64:
			*(long long *)f = sqlite3_column_int64(s, (int)i);
			break;
		case CL_ROW_INT_OR_NEG:
			*(int *)f = sqlite3_column_type(s, (int)i) == SQLITE_NULL ? -1
			            : sqlite3_column_int(s, (int)i);
			break;
		case CL_ROW_TIME: {
			const char *t = (const char *)sqlite3_column_text(s, (int)i);
			if (t == NULL || cl_time_parse(t, (time_t *)f) != 0)
				*(time_t *)f = 0;
			break;
		}
		}
	}
	return oom ? CL_ENOMEM : 0;
}

void
cl_store_row_clear(void *row, const struct cl_column *cols, size_t n)
{
	char *base = row;
	size_t i;

	for (i = 0; i < n; i++) {
		if (cols[i].type == CL_ROW_TEXT) {
			free(*(char **)(base + cols[i].offset));
			*(char **)(base + cols[i].offset) = NULL;
		}
	}
}
