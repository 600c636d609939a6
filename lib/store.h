/* store.h — the SQLite database: opening, migrations, transactions.
 *
 * One file, WAL, foreign keys, busy timeout. Migrations are the sql/NNNN_*.sql
 * files compiled in (tools/embed-sql.sh); PRAGMA user_version is the number
 * applied; each runs in its own transaction. A database newer than the binary
 * is refused. Modules keep their own SQL next to their code and use
 * cl_store_db() for the handle; the store owns it. */
#ifndef CL_STORE_H
#define CL_STORE_H

#include <stddef.h>

#include <sqlite3.h>

#include "error.h"

extern const char *const cl_migrations[];
extern const int cl_migration_count;

struct cl_store;

enum {
	CL_STORE_CREATE = 1,	/* create the file (and its directory) if missing */
	CL_STORE_READONLY = 2,	/* open read-only, no migration */
};

/* Creates the directories that will hold the file at path (mkdir -p). */
int cl_store_make_dirs(const char *path, struct cl_error *err);
int cl_store_open(struct cl_store **out, const char *path, int flags,
                  struct cl_error *err);
void cl_store_close(struct cl_store *st);
sqlite3 *cl_store_db(struct cl_store *st);
const char *cl_store_path(const struct cl_store *st);
int cl_store_version(struct cl_store *st);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int cl_store_begin(struct cl_store *st, struct cl_error *err);
int cl_store_commit(struct cl_store *st, struct cl_error *err);
void cl_store_rollback(struct cl_store *st);
int cl_store_exec(struct cl_store *st, const char *sql, struct cl_error *err);
int cl_store_prepare(struct cl_store *st, sqlite3_stmt **out, const char *sql,
                     struct cl_error *err);
/* The one statement cache: a prepared statement kept for the life of the
 * store, looked up by the address of sql (pass a string literal or a static
 * array, never built text). It comes back reset with its bindings cleared;
 * do not finalize it. Every statement a module runs often goes through it. */
int cl_store_cached(struct cl_store *st, sqlite3_stmt **out, const char *sql,
                    struct cl_error *err);
/* Sets PRAGMA journal_mode to mode ("delete" or "wal"): 0 when the database
 * is in that mode afterwards, 1 when SQLite kept the old one (leaving WAL
 * needs the only connection to the file, and no transaction open). */
int cl_store_journal(struct cl_store *st, const char *mode);
/* Maps a SQLite result code to a CL_E* code with a message (disk full and
 * busy are temporary, read-only and cannot-open are CL_ECANTCREAT). */
int cl_store_fail(struct cl_store *st, int sqlite_rc, struct cl_error *err,
                  const char *what);

/* meta table: small key/value facts (created_at, last report week, …).
 * cl_store_meta_get returns a copy (caller frees) or NULL. */
char *cl_store_meta_get(struct cl_store *st, const char *key);
int cl_store_meta_set(struct cl_store *st, const char *key, const char *value,
                      struct cl_error *err);

/* Binds a copy of text, or NULL. Use it for every value SQLite must copy:
 * when the copy fails, the next step fails too (CL_ENOMEM through
 * cl_store_fail) instead of writing NULL. */
int cl_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds text (or NULL) that stays unchanged until the statement is stepped:
 * SQLite reads it in place instead of copying it (import binds each value
 * of each row this way). */
void cl_bind_kept(sqlite3_stmt *s, int i, const char *v);
/* Copies column i (NULL stays NULL); caller frees. */
char *cl_column_dup(sqlite3_stmt *s, int i);
/* The same, setting *oom when the column held a value that could not be
 * copied: a NULL from cl_column_dup cannot tell "no value" from "no memory",
 * and taking one for the other writes wrong data back. */
char *cl_column_dup_oom(sqlite3_stmt *s, int i, int *oom);
/* The text of column 0 of each row of sql (?1 bound to arg unless NULL), in
 * row order, NULL values left out; what names the read in an error. *out
 * belongs to the caller: cl_store_strings_free(). */
int cl_store_strings(char ***out, size_t *n, struct cl_store *st, const char *sql,
                     const char *arg, const char *what, struct cl_error *err);
void cl_store_strings_free(char **v, size_t n);

/* Row structs are loaded through one column table each: the expression
 * selected, its type and the field it fills, so that the SELECT list and
 * the struct cannot drift apart (cl_store_select writes the list). */
enum cl_row_type {
	CL_ROW_TEXT,		/* char *, a copy (caller frees; NULL stays NULL) */
	CL_ROW_INT,		/* int */
	CL_ROW_INT64,		/* long long */
	CL_ROW_INT_OR_NEG,	/* int, -1 for NULL */
	CL_ROW_TIME,		/* time_t from UTC text (cl_time_parse), 0 for NULL */
};

struct cl_column {
	const char *expr;	/* as selected: "i.key", "coalesce(a, b)" */
	enum cl_row_type type;
	size_t offset;		/* offsetof the field */
	int notnull;		/* text that must be there: NULL means out of memory */
};

#define CL_COLUMN(type, st, field, expr) { expr, type, offsetof(st, field), 0 }
#define CL_COLUMN_NOTNULL(st, field, expr) { expr, CL_ROW_TEXT, offsetof(st, field), 1 }

/* Writes "SELECT <the table's expressions> <rest>" into buf (a static
 * buffer, so that the text can be a cl_store_cached key) once: an already
 * written buf is returned as it is. NULL when it does not fit. */
const char *cl_store_select(char *buf, size_t size, const struct cl_column *cols, size_t n,
                            const char *rest);
/* Fills row from the current row of s, column i by cols[i]; CL_ENOMEM
 * when a copy failed (the fields copied so far stay, for clear). */
int cl_store_row_load(void *row, sqlite3_stmt *s, const struct cl_column *cols, size_t n);
/* Frees the text fields of a row loaded by cl_store_row_load. */
void cl_store_row_clear(void *row, const struct cl_column *cols, size_t n);

#endif
