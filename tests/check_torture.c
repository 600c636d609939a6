/* check_torture.c — allocation-failure torture, as SQLite and curl do it.
 *
 * Each operation (store open + migrations, import of a fixture tree, a
 * re-import that updates and withdraws, list, item history, a local status
 * change) runs again and again with the Nth allocation failing, N = 1, 2, …
 * until it runs through without reaching N. Two allocators are tortured in
 * turn: closeloop's own (cl_malloc & co., cl_alloc_fail_after) and SQLite's
 * (SQLITE_CONFIG_MALLOC wrapper below). After every failed run:
 *  - no crash (ASan/valgrind also see leaks on the error paths),
 *  - the result is 0 or CL_ENOMEM with a message (nothing else pretends the
 *    input or the database is bad),
 *  - PRAGMA integrity_check and foreign_key_check are clean,
 *  - the database holds exactly what it held before (nothing half-written)
 *    or, when the operation reported success, exactly what a clean run
 *    writes; a normal run afterwards gives the clean result.
 * CLOSELOOP_NO_THREADS=1: the fault counters are not atomic.
 * CL_TORTURE_STRIDE=K tries only every Kth N (valgrind runs), CL_TORTURE_TRACE=1
 * prints each N before it runs (to find the one that crashes). */
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>

#include "testutil.h"

#define MAX_ITER 200000	/* bound: no operation here allocates this much */

/* ---- SQLite's allocator with a fault countdown ---- */

static sqlite3_mem_methods sql_default;
static long sql_countdown, sql_total;

static void *
sql_malloc(int n)
{
	sql_total++;
	if (sql_countdown > 0 && --sql_countdown == 0)
		return NULL;
	return sql_default.xMalloc(n);
}

static void *
sql_realloc(void *p, int n)
{
	sql_total++;
	if (sql_countdown > 0 && --sql_countdown == 0)
		return NULL;
	return sql_default.xRealloc(p, n);
}

static void
sql_hook_install(void)
{
	static int done;
	sqlite3_mem_methods m;

	if (done)
		return;
	ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_default), SQLITE_OK);
	m = sql_default;
	m.xMalloc = sql_malloc;
	m.xRealloc = sql_realloc;
	ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	/* no lookaside: every small allocation goes through the hook too */
	ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0), SQLITE_OK);
	done = 1;
}

enum alloc_kind { ALLOC_CL, ALLOC_SQLITE };

static void
arm(enum alloc_kind k, long n)
{
	if (k == ALLOC_CL)
		cl_alloc_fail_after(n);
	else
		sql_countdown = n;
}

static long
total(enum alloc_kind k)
{
	return k == ALLOC_CL ? cl_alloc_count() : sql_total;
}

/* ---- fixture tree (our own text) ---- */

static const char pm_failover[] =
	"# Post-mortem: primary database failover stalled — 2024-02-12\n\n"
	"**Severity:** SEV-1\n**Authors:** @rosa, @tariq\n\n"
	"## Action items\n\n"
	"| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
	"| Alert when replication lag passes 30 s | @rosa | 2024-02-20 | | OPS-41 |\n"
	"| Rehearse the failover runbook monthly | @tariq | Mar 1 | done | |\n"
	"| Raise the connection pool limit | | 2024-03-10 | | |\n"
	"| Document the manual promotion steps | @rosa | soon | | |\n";

static const char pm_queue[] =
	"# Incident: job queue backlog after deploy - 2024-01-30\n\n"
	"Written: 2024-02-01\n\n"
	"## Follow-ups\n\n"
	"- [ ] Cap the retry storm with jittered backoff — @milo, due 2024-02-15\n"
	"- [x] Roll back the bad consumer build (@milo, due Jan 31)\n"
	"- [ ] Add a queue depth panel - owner: Tariq Khan - due: Feb 20\n"
	"- [ ] Review every consumer's prefetch setting\n";

static const char pm_dns[] =
	"# Post-mortem: internal DNS resolver flapped — 2023-11-08\n\n"
	"## Action items\n\n"
	"| Action | Owner | Due |\n|---|---|---|\n"
	"| Pin resolver versions in the base image | @tariq | 2023-11-30 |\n"
	"| Add a synthetic lookup probe | @rosa | 2023-12-15 |\n";

static const char runbook[] =
	"# Cache Cluster Rebuild Runbook\n\n"
	"**Severity:** P2\n**RTO target:** 30 minutes\n**Owner:** Platform on-call\n"
	"**Last tested:** 2024-01-10 by @milo — actual RTO: 41 minutes\n\n"
	"## Post-incident\n"
	"- [ ] Post the timeline in the incident channel\n";

/* v2 of the failover post-mortem: one edited, one closed, one gone, one new */
static const char pm_failover_v2[] =
	"# Post-mortem: primary database failover stalled — 2024-02-12\n\n"
	"**Severity:** SEV-1\n**Authors:** @rosa, @tariq\n\n"
	"## Action items\n\n"
	"| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
	"| Alert when replication lag passes 20 s | @rosa | 2024-02-22 | | OPS-41 |\n"
	"| Rehearse the failover runbook monthly | @tariq | Mar 1 | done | |\n"
	"| Raise the connection pool limit | @milo | 2024-03-10 | done | |\n"
	"| Load-test the new pool size | @milo | 2024-03-25 | | |\n";

static char *dir, *src, *dbpath, *tmpl;
static struct cl_config *cfg;

static void
write_file(const char *name, const char *text, int mtime)
{
	char path[1024];
	struct utimbuf ut;

	tu_write(dir, name, text);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	ut.actime = ut.modtime = mtime;
	ck_assert_int_eq(utime(path, &ut), 0);
}

static void
setup(void)
{
	char path[1024];

	setenv("CLOSELOOP_NOW", "2024-03-06T10:00:00Z", 1);
	setenv("CLOSELOOP_NO_THREADS", "1", 1);
	sql_hook_install();
	dir = tu_tmpdir();
	ck_assert_int_ne(asprintf(&src, "%s/pm", dir), -1);
	ck_assert_int_ne(asprintf(&dbpath, "%s/torture.db", dir), -1);
	ck_assert_int_ne(asprintf(&tmpl, "%s/template.db", dir), -1);
	ck_assert_int_eq(mkdir(src, 0700), 0);
	snprintf(path, sizeof path, "%s/pm/2024", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/pm/2023", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/pm/runbooks", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file("pm/2024/db-failover.md", pm_failover, 1700000000);
	write_file("pm/2024/queue-backlog.md", pm_queue, 1700000000);
	write_file("pm/2023/dns-flap.md", pm_dns, 1700000000);
	write_file("pm/runbooks/cache-rebuild.md", runbook, 1700000000);
	write_file("pm/notes.txt", "not markdown, not imported\n", 1700000000);
	cfg = cl_config_new();
	ck_assert_ptr_nonnull(cfg);
	ck_assert_int_eq(cl_config_set(cfg, "people", "rosa", "Rosa Diaz <rosa@example.com>"), 0);
	ck_assert_int_eq(cl_config_set(cfg, "people", "tariq", "Tariq Khan <tariq@example.com>"), 0);
	ck_assert_int_eq(cl_config_set(cfg, "people", "milo", "Milo Berg <milo@example.com>"), 0);
}

static void
teardown(void)
{
	arm(ALLOC_CL, 0);
	arm(ALLOC_SQLITE, 0);
	cl_config_free(cfg);
	tu_rmtree(dir);
	free(dir);
	free(src);
	free(dbpath);
	free(tmpl);
	unsetenv("CLOSELOOP_NOW");
}

/* ---- database state ---- */

static void
copy_file(const char *from, const char *to)
{
	char *data = NULL;
	size_t len = 0;
	struct cl_error err = { 0 };
	FILE *f;

	ck_assert_msg(cl_read_file(&data, &len, from, 1 << 26, &err) == 0, "%s", err.msg);
	ck_assert_ptr_nonnull(f = fopen(to, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	free(data);
}

/* A fresh database file at dbpath: a copy of tmpl, or none at all. */
static void
reset_db(int from_template)
{
	char p[1100];

	unlink(dbpath);
	snprintf(p, sizeof p, "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", dbpath);
	unlink(p);
	if (from_template)
		copy_file(tmpl, dbpath);
}

static struct cl_store *
open_db(void)
{
	struct cl_error err = { 0 };
	struct cl_store *st = NULL;
	ck_assert_msg(cl_store_open(&st, dbpath, CL_STORE_CREATE, &err) == 0, "%s", err.msg);
	return st;
}

static void
add_rows(struct cl_buf *b, sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int i, rc;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s); i++) {
			const unsigned char *t = sqlite3_column_text(s, i);
			cl_buf_printf(b, "%s%s", i ? "|" : "", t ? (const char *)t : "∅");
		}
		cl_buf_putc(b, '\n');
	}
	ck_assert_int_eq(rc, SQLITE_DONE);
	sqlite3_finalize(s);
}

/* Everything import and local changes write, as text, plus the integrity
 * checks; never under an armed fault (the caller disarms first). */
static char *
snapshot(struct cl_store *st)
{
	struct cl_buf b = CL_BUF_INIT;
	sqlite3 *db = cl_store_db(st);
	char *ic = NULL;
	sqlite3_stmt *s;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ic = cl_column_dup(s, 0);
	sqlite3_finalize(s);
	ck_assert_str_eq(ic, "ok");
	free(ic);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	cl_buf_printf(&b, "version %d\n", cl_store_version(st));
	/* drill_uid_salt is random per database */
	add_rows(&b, db, "SELECT key, value FROM meta WHERE key <> 'drill_uid_salt' ORDER BY key");
	add_rows(&b, db, "SELECT slug, source, kind, title, incident_date, written_date, "
	         "severity, authors, first_seen, last_seen, file_size, file_mtime, content_hash, "
	         "problems, rb_owner, rb_last_tested, rb_rto_target, rb_actual_rto "
	         "FROM postmortems ORDER BY source");
	add_rows(&b, db, "SELECT key, seq, position, line, norm, action, owner, owner_raw, due, "
	         "due_raw, priority, doc_status, status, doc_ticket, problems, created_at, "
	         "updated_at, closed_at FROM items ORDER BY key");
	add_rows(&b, db, "SELECT i.key, h.at, h.origin, h.field, h.old, h.new FROM history h "
	         "JOIN items i ON i.id = h.item_id ORDER BY h.id");
	ck_assert(!b.oom);
	return cl_buf_steal(&b);
}

static char *
snapshot_file(void)
{
	struct cl_store *st = open_db();
	char *snap = snapshot(st);
	cl_store_close(st);
	return snap;
}

/* ---- the operations ---- */

struct op {
	const char *name;
	int template;	/* start from tmpl (else: no database file) */
	/* Runs with faults armed; returns the CL_E* code, message in err. For
	 * read-only operations *result is a text form of what was read. */
	int (*run)(struct cl_store **stp, char **result, struct cl_error *err);
	int ok_codes;	/* extra codes accepted besides 0 and CL_ENOMEM (bit per -code) */
};

/* Fails the test when a and b differ, printing both on stderr (Check's own
 * messages are too short for a database dump). */
static void
expect_same(const char *got, const char *want, const char *what, const struct op *op,
            enum alloc_kind kind, long n, int rc)
{
	if (got != NULL && strcmp(got, want) == 0)
		return;
	{
		char a[1100], b[1100], cmd[2400];
		FILE *f;
		snprintf(a, sizeof a, "%s/expected.txt", dir);
		snprintf(b, sizeof b, "%s/got.txt", dir);
		if ((f = fopen(a, "w")) != NULL) {
			fputs(want, f);
			fclose(f);
		}
		if ((f = fopen(b, "w")) != NULL) {
			fputs(got ? got : "(null)\n", f);
			fclose(f);
		}
		fprintf(stderr, "---- %s/%s N=%ld rc=%d: %s:\n", op->name,
		        kind == ALLOC_CL ? "cl" : "sqlite", n, rc, what);
		fflush(stderr);
		snprintf(cmd, sizeof cmd, "diff -u '%s' '%s' >&2", a, b);
		if (system(cmd) == -1)
			fprintf(stderr, "(diff failed)\n");
	}
	ck_abort_msg("%s/%s N=%ld rc=%d: %s (see stderr)", op->name,
	             kind == ALLOC_CL ? "cl" : "sqlite", n, rc, what);
}

static int
op_open(struct cl_store **stp, char **result, struct cl_error *err)
{
	return cl_store_open(stp, dbpath, CL_STORE_CREATE, err);
}

static int
op_import(struct cl_store **stp, char **result, struct cl_error *err)
{
	struct cl_import_stats stats;
	char *sources[] = { src };
	return cl_import_sources(*stp, cfg, sources, 1, NULL, &stats, err);
}

static int
op_list(struct cl_store **stp, char **result, struct cl_error *err)
{
	struct cl_item_filter f = { .status = CL_ITEMS_ALL };
	struct cl_buf b = CL_BUF_INIT;
	struct cl_item *v = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cl_items_list(&v, &n, *stp, &f, err)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		cl_buf_printf(&b, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d\n", v[i].key, v[i].action,
		              v[i].owner ? v[i].owner : "∅", v[i].owner_raw ? v[i].owner_raw : "∅",
		              v[i].due ? v[i].due : "∅", v[i].status,
		              v[i].ticket ? v[i].ticket : "∅", v[i].problems,
		              v[i].pm_slug, v[i].pm_title ? v[i].pm_title : "∅",
		              v[i].created_at ? v[i].created_at : "∅", v[i].line);
	cl_items_free(v, n);
	if ((*result = cl_buf_steal(&b)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return 0;
}

static int
op_history(struct cl_store **stp, char **result, struct cl_error *err)
{
	struct cl_buf b = CL_BUF_INIT;
	struct cl_item *it = NULL;
	struct cl_history *h = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = cl_item_get(&it, *stp, "2024-db-failover.1", err)) != 0)
		return rc;
	if ((rc = cl_item_history(&h, &n, *stp, it->rowid, err)) != 0) {
		cl_item_free(it);
		return rc;
	}
	cl_buf_printf(&b, "%s %s %s\n", it->key, it->action, it->owner ? it->owner : "∅");
	for (i = 0; i < n; i++)
		cl_buf_printf(&b, "%s|%s|%s|%s|%s\n", h[i].at ? h[i].at : "∅",
		              h[i].origin ? h[i].origin : "∅", h[i].field ? h[i].field : "∅",
		              h[i].old ? h[i].old : "∅", h[i].new ? h[i].new : "∅");
	cl_history_free(h, n);
	cl_item_free(it);
	if ((*result = cl_buf_steal(&b)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return 0;
}

static int
op_done(struct cl_store **stp, char **result, struct cl_error *err)
{
	return cl_item_set_status(*stp, "2024-queue-backlog.1", "done", "local", err);
}

/* One torture run of op over one allocator: returns how many allocations
 * the operation makes (the tests check it is exercised at all). */
static long
torture(const struct op *op, enum alloc_kind kind)
{
	struct cl_store *st = NULL;
	struct cl_error err = { 0 };
	char *before, *clean_db, *clean_result = NULL, *result = NULL, *after;
	const char *trace = getenv("CL_TORTURE_TRACE");
	long n, stride = 1, used = 0, start, tried = 0;
	int rc, done = 0;

	if (getenv("CL_TORTURE_STRIDE"))
		stride = atol(getenv("CL_TORTURE_STRIDE"));
	if (stride < 1)
		stride = 1;
	/* the clean run: what success looks like */
	reset_db(op->template);
	if (op->template) {
		st = open_db();
		before = snapshot(st);
	} else {
		before = cl_strdup("");
	}
	rc = op->run(&st, &clean_result, &err);
	ck_assert_msg(rc == 0, "%s: clean run failed: %s", op->name, err.msg);
	clean_db = snapshot(st);
	cl_store_close(st);
	st = NULL;

	for (n = 1; !done && n < MAX_ITER; n += stride) {
		reset_db(op->template);
		if (op->template)
			st = open_db();
		if (trace)
			fprintf(stderr, "%s/%s: N=%ld\n", op->name,
			        kind == ALLOC_CL ? "cl" : "sqlite", n);
		cl_error_clear(&err);
		result = NULL;
		start = total(kind);
		arm(kind, n);
		rc = op->run(&st, &result, &err);
		arm(kind, 0);
		used = total(kind) - start;
		tried++;
		if (used < n)
			done = 1;	/* the fault was never reached: ran through */
		ck_assert_msg(rc == 0 || rc == CL_ENOMEM || (op->ok_codes & (1 << -rc)),
		              "%s/%s N=%ld: unexpected result %d (%s)", op->name,
		              kind == ALLOC_CL ? "cl" : "sqlite", n, rc, err.msg);
		if (rc != 0)
			ck_assert_msg(err.msg[0] != '\0', "%s N=%ld: error %d without a message",
			              op->name, n, rc);
		if (rc == 0 && clean_result != NULL)
			expect_same(result, clean_result, "succeeded with a different result", op,
			            kind, n, rc);
		free(result);
		/* the store may have been opened by the operation */
		cl_store_close(st);
		st = NULL;
		if (!op->template && rc != 0 && access(dbpath, F_OK) != 0)
			continue;	/* failed before creating anything */
		after = snapshot_file();
		if (rc == 0 || op->template == 0) {
			/* succeeded: the clean result; a failed open may have
			 * created the file, and reopening must finish the job */
			expect_same(after, clean_db, "database differs from a clean run", op, kind,
			            n, rc);
		} else {
			if (strcmp(after, before) != 0)
				fprintf(stderr, "error was: %s\n", err.msg);
			expect_same(after, before, "half-written database", op, kind, n, rc);
			/* and a normal run now gives the clean result */
			st = open_db();
			cl_error_clear(&err);
			result = NULL;
			ck_assert_msg(op->run(&st, &result, &err) == 0, "%s: rerun: %s", op->name,
			              err.msg);
			free(result);
			free(after);
			after = snapshot(st);
			cl_store_close(st);
			st = NULL;
			expect_same(after, clean_db, "a normal run afterwards differs", op, kind, n,
			            rc);
		}
		free(after);
	}
	ck_assert_msg(done, "%s: still failing after %ld allocations", op->name, n);
	fprintf(stderr, "torture %-10s %-6s: %ld runs (%ld allocations)\n", op->name,
	        kind == ALLOC_CL ? "cl" : "sqlite", tried, used);
	free(before);
	free(clean_db);
	free(clean_result);
	return used;
}

/* The template a test starts from: v1 imported (optionally v2 on disk). */
static void
make_template(int imported, int v2)
{
	struct cl_import_stats stats;
	struct cl_error err = { 0 };
	struct cl_store *st;
	char *sources[] = { src };

	reset_db(0);
	st = open_db();
	if (imported)
		ck_assert_msg(cl_import_sources(st, cfg, sources, 1, NULL, &stats, &err) == 0,
		              "%s", err.msg);
	cl_store_close(st);
	if (v2)
		write_file("pm/2024/db-failover.md", pm_failover_v2, 1700000500);
	copy_file(dbpath, tmpl);
}

static const struct op op_open_def = { "open", 0, op_open, 0 };
static const struct op op_import_def = { "import", 1, op_import, 0 };
static const struct op op_reimport_def = { "reimport", 1, op_import, 0 };
static const struct op op_list_def = { "list", 1, op_list, 0 };
static const struct op op_history_def = { "history", 1, op_history, 0 };
static const struct op op_done_def = { "done", 1, op_done, 0 };

START_TEST(test_open_cl)
{
	ck_assert_int_ge(torture(&op_open_def, ALLOC_CL), 2);
}
END_TEST

START_TEST(test_open_sqlite)
{
	ck_assert_int_ge(torture(&op_open_def, ALLOC_SQLITE), 10);
}
END_TEST

START_TEST(test_import_cl)
{
	make_template(0, 0);
	ck_assert_int_ge(torture(&op_import_def, ALLOC_CL), 100);
}
END_TEST

START_TEST(test_import_sqlite)
{
	make_template(0, 0);
	ck_assert_int_ge(torture(&op_import_def, ALLOC_SQLITE), 100);
}
END_TEST

START_TEST(test_reimport_cl)
{
	make_template(1, 1);
	ck_assert_int_ge(torture(&op_reimport_def, ALLOC_CL), 50);
}
END_TEST

START_TEST(test_reimport_sqlite)
{
	make_template(1, 1);
	ck_assert_int_ge(torture(&op_reimport_def, ALLOC_SQLITE), 50);
}
END_TEST

START_TEST(test_list_cl)
{
	make_template(1, 0);
	ck_assert_int_ge(torture(&op_list_def, ALLOC_CL), 50);
}
END_TEST

START_TEST(test_list_sqlite)
{
	make_template(1, 0);
	ck_assert_int_ge(torture(&op_list_def, ALLOC_SQLITE), 10);
}
END_TEST

START_TEST(test_history_cl)
{
	make_template(1, 1);
	{
		/* give the item some history first */
		struct cl_import_stats stats;
		struct cl_error err = { 0 };
		struct cl_store *st;
		char *sources[] = { src };
		copy_file(tmpl, dbpath);
		st = open_db();
		ck_assert_int_eq(cl_import_sources(st, cfg, sources, 1, NULL, &stats, &err), 0);
		cl_store_close(st);
		copy_file(dbpath, tmpl);
	}
	ck_assert_int_ge(torture(&op_history_def, ALLOC_CL), 5);
	ck_assert_int_ge(torture(&op_history_def, ALLOC_SQLITE), 5);
}
END_TEST

START_TEST(test_done)
{
	make_template(1, 0);
	ck_assert_int_ge(torture(&op_done_def, ALLOC_CL), 1);
	ck_assert_int_ge(torture(&op_done_def, ALLOC_SQLITE), 5);
}
END_TEST

/* One case per test, so that CK_RUN_CASE=import_sqlite runs one alone. */
static void
add(Suite *s, const char *name, const TTest *t)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

int
main(void)
{
	Suite *s = suite_create("torture");

	add(s, "open_cl", test_open_cl);
	add(s, "open_sqlite", test_open_sqlite);
	add(s, "import_cl", test_import_cl);
	add(s, "import_sqlite", test_import_sqlite);
	add(s, "reimport_cl", test_reimport_cl);
	add(s, "reimport_sqlite", test_reimport_sqlite);
	add(s, "list_cl", test_list_cl);
	add(s, "list_sqlite", test_list_sqlite);
	add(s, "history", test_history_cl);
	add(s, "done", test_done);
	return tu_run(s);
}
