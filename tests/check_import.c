/* check_import.c — store, import identity and history, lint codes. */
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>

#include "testutil.h"

static char *dir;
static struct cl_store *st;
static struct cl_config *cfg;

static void
setup(void)
{
	char sub[1024];

	dir = tu_tmpdir();
	st = tu_store(dir);
	cfg = cl_config_new();
	snprintf(sub, sizeof sub, "%s/pm", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	setenv("CLOSELOOP_NOW", "2024-03-06T10:00:00Z", 1);
}

static void
teardown(void)
{
	cl_store_close(st);
	cl_config_free(cfg);
	tu_rmtree(dir);
	free(dir);
	unsetenv("CLOSELOOP_NOW");
}

static const char doc_v1[] =
	"# Post-Mortem: Cache stampede — 2024-03-04\n\n"
	"## Action items\n\n"
	"| Action | Owner | Due | Status |\n|---|---|---|---|\n"
	"| Add request coalescing | @ines | Mar 11 | |\n"
	"| Jitter the cache TTLs | @omar | Mar 15 | |\n"
	"| Dashboard for hit ratio | @ines | Mar 20 | done |\n";

static int
do_import(struct cl_import_stats *stats)
{
	struct cl_error err = { 0 };
	char src[1024];
	char *sources[] = { src };
	int rc;

	snprintf(src, sizeof src, "%s/pm", dir);
	rc = cl_import_sources(st, cfg, sources, 1, NULL, stats, &err);
	ck_assert_msg(rc == 0 || rc == CL_EDATA, "import: %s", err.msg);
	return rc;
}

static int
count(const char *sql)
{
	sqlite3_stmt *s;
	int n = -1;
	ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static char *
item_field(const char *key, const char *col)
{
	char sql[256];
	sqlite3_stmt *s;
	char *v = NULL;
	snprintf(sql, sizeof sql, "SELECT %s FROM items WHERE key = ?", col);
	ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = cl_column_dup(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* Rewrites the document with a new mtime so the cheap check sees a change. */
static void
write_doc(const char *text, int bump)
{
	char path[1024];
	struct utimbuf ut;
	tu_write(dir, "pm/cache.md", text);
	snprintf(path, sizeof path, "%s/pm/cache.md", dir);
	ut.actime = ut.modtime = 1700000000 + bump;
	utime(path, &ut);
}

START_TEST(test_import_and_reimport)
{
	struct cl_import_stats s;
	char *v;

	write_doc(doc_v1, 0);
	do_import(&s);
	ck_assert_int_eq(s.items_new, 3);
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE status = 'open'"), 2);
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE status = 'done'"), 1);
	v = item_field("cache.1", "due");
	ck_assert_str_eq(v, "2024-03-11");
	free(v);
	int hist = count("SELECT count(*) FROM history");
	/* unchanged: nothing parsed, nothing written */
	do_import(&s);
	ck_assert_int_eq(s.files_unchanged, 1);
	ck_assert_int_eq(s.files_parsed, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM history"), hist);
	/* touched, same content: skipped by hash */
	write_doc(doc_v1, 5);
	do_import(&s);
	ck_assert_int_eq(s.files_unchanged, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM history"), hist);
}
END_TEST

START_TEST(test_edits_become_history)
{
	struct cl_import_stats s;
	char *v;

	write_doc(doc_v1, 0);
	do_import(&s);
	/* owner and due of row 2 edited; row 1's text edited in place */
	write_doc("# Post-Mortem: Cache stampede — 2024-03-04\n\n## Action items\n\n"
	          "| Action | Owner | Due | Status |\n|---|---|---|---|\n"
	          "| Add request coalescing in the proxy | @ines | Mar 11 | |\n"
	          "| Jitter the cache TTLs | @pia | Mar 22 | |\n"
	          "| Dashboard for hit ratio | @ines | Mar 20 | done |\n", 10);
	do_import(&s);
	ck_assert_int_eq(s.items_new, 0);
	ck_assert_int_eq(s.items_updated, 2);
	v = item_field("cache.2", "owner");
	ck_assert_str_eq(v, "pia");
	free(v);
	v = item_field("cache.1", "action");
	ck_assert_str_eq(v, "Add request coalescing in the proxy");
	free(v);
	ck_assert_int_eq(count("SELECT count(*) FROM history h JOIN items i ON i.id = h.item_id "
	                       "WHERE i.key = 'cache.2' AND h.field = 'owner' AND h.old = '@omar' "
	                       "AND h.new = '@pia' AND h.origin = 'import'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM history h JOIN items i ON i.id = h.item_id "
	                       "WHERE i.key = 'cache.2' AND h.field = 'due' AND h.old = 'Mar 15' "
	                       "AND h.new = 'Mar 22'"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM history WHERE field = 'action'"), 1);
}
END_TEST

START_TEST(test_withdrawn_never_deleted)
{
	struct cl_import_stats s;
	char *v;

	write_doc(doc_v1, 0);
	do_import(&s);
	/* row 2 disappears, and row 1 moves down */
	write_doc("# Post-Mortem: Cache stampede — 2024-03-04\n\n## Action items\n\n"
	          "| Action | Owner | Due | Status |\n|---|---|---|---|\n"
	          "| Dashboard for hit ratio | @ines | Mar 20 | done |\n"
	          "| Add request coalescing | @ines | Mar 11 | |\n", 10);
	do_import(&s);
	ck_assert_int_eq(s.items_withdrawn, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM items"), 3);
	v = item_field("cache.2", "status");
	ck_assert_str_eq(v, "withdrawn");
	free(v);
	v = item_field("cache.1", "status");
	ck_assert_str_eq(v, "open");
	free(v);
	/* it comes back: the same item, open again */
	write_doc(doc_v1, 20);
	do_import(&s);
	ck_assert_int_eq(s.items_new, 0);
	v = item_field("cache.2", "status");
	ck_assert_str_eq(v, "open");
	free(v);
	ck_assert_int_eq(count("SELECT count(*) FROM items"), 3);
}
END_TEST

START_TEST(test_local_state_survives_reimport)
{
	struct cl_import_stats s;
	struct cl_error err = { 0 };
	char *v;

	write_doc(doc_v1, 0);
	do_import(&s);
	ck_assert_int_eq(cl_item_set_status(st, "cache.1", "done", "local", &err), 0);
	ck_assert_int_eq(cl_item_set_status(st, "cache.3", "open", "local", &err), 0);
	ck_assert_int_eq(cl_item_set_status(st, "nope.1", "open", "local", &err), CL_ENOTFOUND);
	/* the document changes elsewhere; its status column did not change */
	write_doc("# Post-Mortem: Cache stampede — 2024-03-04\n\n## Action items\n\n"
	          "| Action | Owner | Due | Status |\n|---|---|---|---|\n"
	          "| Add request coalescing | @ines | Mar 12 | |\n"
	          "| Jitter the cache TTLs | @omar | Mar 15 | |\n"
	          "| Dashboard for hit ratio | @ines | Mar 20 | done |\n", 10);
	do_import(&s);
	v = item_field("cache.1", "status");
	ck_assert_str_eq(v, "done");
	free(v);
	v = item_field("cache.3", "status");
	ck_assert_str_eq(v, "open");
	free(v);
	ck_assert_int_eq(count("SELECT count(*) FROM history WHERE origin = 'local'"), 2);
}
END_TEST

START_TEST(test_bad_files_skipped)
{
	struct cl_import_stats s;
	int rc;

	write_doc(doc_v1, 0);
	tu_write(dir, "pm/latin1.md", "# Caf\xe9 outage\n\n## Action items\n\n- [ ] x — @a, due 2024-01-01\n");
	cl_config_set(cfg, "closeloop", "max_file_size", "600");
	{
		char big[2000];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		tu_write(dir, "pm/huge.md", big);
	}
	rc = do_import(&s);
	ck_assert_int_eq(rc, CL_EDATA);
	ck_assert_int_eq(s.files_failed, 2);
	ck_assert_int_eq(s.items_new, 3);
	ck_assert_int_eq(count("SELECT count(*) FROM postmortems"), 1);
}
END_TEST

START_TEST(test_lint_codes)
{
	struct cl_import_stats s;
	char *v;

	cl_config_set(cfg, "people", "ines", "Ines <ines@example.com>");
	write_doc("# Post-Mortem: Queue backlog — 2024-03-01\n\nWritten: 2024-03-05\n\n"
	          "## Action items\n\n"
	          "| Action | Owner | Due |\n|---|---|---|\n"
	          "| Fix the consumer | @ines | 2024-03-08 |\n"
	          "| Tune the retries | team | soon |\n"
	          "| Add alerting | | |\n"
	          "| Review quotas | @zed | TBD |\n", 0);
	do_import(&s);
	v = item_field("cache.1", "problems");
	ck_assert_str_eq(v, "");
	free(v);
	v = item_field("cache.2", "problems");
	ck_assert_str_eq(v, "owner-not-a-person due-not-a-date");
	free(v);
	v = item_field("cache.3", "problems");
	ck_assert_str_eq(v, "owner-missing due-missing");
	free(v);
	v = item_field("cache.4", "problems");
	ck_assert_str_eq(v, "owner-unknown due-not-a-date");
	free(v);
	ck_assert_int_eq(count("SELECT count(*) FROM postmortems WHERE problems = "
	                       "'postmortem-late'"), 1);
	/* [people] learns zed: the unchanged document is checked again */
	cl_config_set(cfg, "people", "zed", "Zed <zed@example.com>");
	do_import(&s);
	ck_assert_int_eq(s.files_parsed, 1);
	v = item_field("cache.4", "problems");
	ck_assert_str_eq(v, "due-not-a-date");
	free(v);
}
END_TEST

START_TEST(test_no_action_items)
{
	struct cl_problems p = { 0 };
	struct cl_pm_doc *doc = NULL;
	struct cl_error err = { 0 };
	const char text[] = "# Post-Mortem: X — 2024-03-01\n\n## Summary\n\nNothing.\n";

	ck_assert_int_eq(cl_parse_document(&doc, text, sizeof text - 1, CL_NO_DATE, &err), 0);
	ck_assert_int_eq(cl_lint_document(&p, doc, cl_days_from_civil(2024, 3, 2), cfg), 0);
	ck_assert_int_eq((int)p.n, 1);
	ck_assert_str_eq(p.v[0].code, "no-action-items");
	cl_problems_release(&p);
	/* first seen three days later: late */
	ck_assert_int_eq(cl_lint_document(&p, doc, cl_days_from_civil(2024, 3, 4), cfg), 0);
	ck_assert_int_eq((int)p.n, 2);
	ck_assert_str_eq(p.v[1].code, "postmortem-late");
	cl_problems_release(&p);
	cl_pm_doc_free(doc);
	ck_assert(cl_lint_not_a_person("The Team", cfg));
	ck_assert(cl_lint_not_a_person("db-team", cfg));
	ck_assert(cl_lint_not_a_person("N/A", cfg));
	ck_assert(!cl_lint_not_a_person("alice", cfg));
}
END_TEST

START_TEST(test_newer_database_refused)
{
	struct cl_error err = { 0 };
	struct cl_store *st2 = NULL;
	char path[1024];

	ck_assert_int_eq(cl_store_exec(st, "PRAGMA user_version = 999", &err), 0);
	snprintf(path, sizeof path, "%s/test.db", dir);
	/* a data problem (65), not "cannot write" (73): issue 16 */
	ck_assert_int_eq(cl_store_open(&st2, path, 0, &err), CL_EDATA);
	ck_assert_int_eq(cl_exitcode(err.code), 65);
	ck_assert_msg(strstr(err.msg, "newer") != NULL, "%s", err.msg);
	ck_assert_ptr_null(st2);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_store_open(&st2, path, CL_STORE_READONLY, &err), CL_EDATA);
	ck_assert_ptr_null(st2);
}
END_TEST

/* A document of n rows "<1 KB prefix> tag i". */
static char *
big_doc(const char *tag, int n)
{
	struct cl_buf b = CL_BUF_INIT;
	char prefix[1025];
	int i;

	memset(prefix, 'x', 1024);
	prefix[1024] = '\0';
	cl_buf_puts(&b, "# Post-Mortem: Big — 2024-03-04\n\n## Action items\n\n"
	            "| Action | Owner | Due |\n|---|---|---|\n");
	for (i = 0; i < n; i++)
		cl_buf_printf(&b, "| Check %s %s %d | @ann | 2024-04-01 |\n", prefix, tag, i);
	return cl_buf_steal(&b);
}

/* Withdrawn items do not weigh on later imports (issue 16 medium 3): the
 * work of a re-import (counted in allocations, which do not depend on the
 * machine's speed) stays the same while withdrawn rows pile up; before,
 * every import loaded every withdrawn row and compared it with every row. */
START_TEST(test_withdrawn_rows_cost_nothing)
{
	struct cl_import_stats s;
	long first = 0, last = 0, before;
	char tag[16], *doc;
	int cycle;

	/* "shrink to 1 item, then 300 new ones", seven times */
	for (cycle = 0; cycle < 7; cycle++) {
		snprintf(tag, sizeof tag, "s%d", cycle);
		doc = big_doc(tag, 1);
		write_doc(doc, cycle * 10);
		free(doc);
		do_import(&s);
		snprintf(tag, sizeof tag, "c%d", cycle);
		doc = big_doc(tag, 300);
		write_doc(doc, cycle * 10 + 5);
		free(doc);
		before = cl_alloc_count();
		do_import(&s);
		ck_assert_int_eq(s.items_new, 299);
		if (cycle == 1)
			first = cl_alloc_count() - before;
		last = cl_alloc_count() - before;
	}
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE status = 'withdrawn'"), 6 * 299);
	ck_assert_msg(last < first + first / 5, "cycle 1: %ld allocations, cycle 6: %ld", first,
	              last);
	/* a withdrawn row that comes back is the same item */
	doc = big_doc("c2", 300);
	write_doc(doc, 100);
	free(doc);
	do_import(&s);
	ck_assert_int_eq(s.items_new, 0);
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE status = 'open'"), 300);
}
END_TEST

/* [people] by hash: handles before names/addresses/tracker handles, case
 * does not matter, the first person wins a shared name, 8,000 people. */
START_TEST(test_people_lookup)
{
	struct cl_buf b = CL_BUF_INIT;
	struct cl_config *c = NULL;
	struct cl_error err = { 0 };
	char path[1024], who[64];
	const struct cl_person *p;
	int i;

	cl_buf_puts(&b, "[people]\n");
	for (i = 0; i < 8000; i++)
		cl_buf_printf(&b, "user%d = User %d <user%d@example.com>\nuser%d.tracker = gh-%d\n",
		              i, i, i, i, i);
	cl_buf_puts(&b, "shared = Same Name <one@example.com>\nshared2 = Same Name "
	            "<two@example.com>\nbob = user7\n");
	tu_write(dir, "people.conf", cl_buf_str(&b));
	cl_buf_release(&b);
	snprintf(path, sizeof path, "%s/people.conf", dir);
	ck_assert_msg(cl_config_load(&c, path, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(cl_config_people_count(c), 8003);
	for (i = 0; i < 8000; i += 7) {
		snprintf(who, sizeof who, "@USER%d", i);
		ck_assert_ptr_nonnull(p = cl_config_person(c, who));
		snprintf(who, sizeof who, "user%d", i);
		ck_assert_str_eq(p->handle, who);
		snprintf(who, sizeof who, "User%d@Example.com", i);
		ck_assert_ptr_eq(cl_config_person(c, who), p);
		snprintf(who, sizeof who, "gh-%d", i);
		ck_assert_ptr_eq(cl_config_person(c, who), p);
	}
	ck_assert_str_eq(cl_config_person(c, "same name")->handle, "shared");
	/* "user7" is a handle and bob's display name: the handle wins */
	ck_assert_str_eq(cl_config_person(c, "user7")->handle, "user7");
	ck_assert_str_eq(cl_config_person(c, "bob")->handle, "bob");
	ck_assert_ptr_null(cl_config_person(c, "user8000"));
	ck_assert_ptr_null(cl_config_person(c, "nobody@example.com"));
	cl_config_free(c);
}
END_TEST

/* Counts the statements SQLite starts that insert items (sqlite3_trace_v2). */
static int
count_item_inserts(unsigned type, void *arg, void *stmt, void *x)
{
	const char *sql = sqlite3_sql(stmt);

	(void)type;
	(void)x;
	if (sql != NULL && strstr(sql, "INTO items") != NULL)
		++*(int *)arg;
	return 0;
}

/* A document of rows "Step N" for each N in nums, n of them. */
static void
write_steps(const int *nums, int n, int bump)
{
	struct cl_buf b = CL_BUF_INIT;
	int i;

	cl_buf_puts(&b, "# Post-Mortem: Steps — 2024-03-04\n\n## Action items\n\n"
	            "| Action | Owner | Due |\n|---|---|---|\n");
	for (i = 0; i < n; i++)
		cl_buf_printf(&b, "| Step %d | @ann | 2024-04-%02d |\n", nums[i], 1 + nums[i] % 28);
	write_doc(cl_buf_str(&b), bump);
	cl_buf_release(&b);
}

/* New items are inserted many rows per statement (a statement's own cost
 * was half of an item's), with the numbers and ids they had one by one:
 * in document order, after the matched rows; foreign keys, off while the
 * import writes, are on again and hold. */
START_TEST(test_items_inserted_in_batches)
{
	struct cl_import_stats s;
	int nums[45], i, n = 0, inserts = 0;
	char key[32], *v;

	for (i = 0; i < 40; i++)
		nums[i] = i;
	write_steps(nums, 40, 0);
	sqlite3_trace_v2(cl_store_db(st), SQLITE_TRACE_STMT, count_item_inserts, &inserts);
	do_import(&s);
	ck_assert_int_eq(s.items_new, 40);
	ck_assert_int_eq(inserts, 3);	/* 16 + 16 + 8 rows */
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE seq = position + 1 AND "
	                       "id = seq AND key = 'cache.' || seq AND norm = 'step ' || position "
	                       "AND due = printf('2024-04-%02d', 1 + position % 28)"), 40);
	/* five new rows among the forty: numbered 41..45 in document order */
	for (i = 0; i < 40; i++) {
		if (i == 0 || i == 3 || i == 20 || i == 39)
			nums[n++] = 100 + i;
		nums[n++] = i;
	}
	nums[n++] = 200;
	inserts = 0;
	write_steps(nums, n, 10);
	do_import(&s);
	sqlite3_trace_v2(cl_store_db(st), 0, NULL, NULL);
	ck_assert_int_eq(s.items_new, 5);
	ck_assert_int_eq(inserts, 1);
	ck_assert_int_eq(count("SELECT count(*) FROM items WHERE status = 'open'"), 45);
	for (i = 0; i < n; i++) {
		int seq = nums[i] < 100 ? nums[i] + 1 : nums[i] == 100 ? 41 : nums[i] == 103 ? 42 :
		          nums[i] == 120 ? 43 : nums[i] == 139 ? 44 : 45;
		snprintf(key, sizeof key, "cache.%d", seq);
		v = item_field(key, "position || ' ' || id || ' ' || action");
		ck_assert_ptr_nonnull(v);
		snprintf(key, sizeof key, "%d %d Step %d", i, seq, nums[i]);
		ck_assert_str_eq(v, key);
		free(v);
	}
	ck_assert_int_eq(count("PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM pragma_foreign_key_check"), 0);
	/* CHECK constraints are back on after an import, and hold */
	ck_assert_int_eq(count("PRAGMA ignore_check_constraints"), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM pragma_integrity_check WHERE "
	                       "integrity_check <> 'ok'"), 0);
}
END_TEST

/* A first import (64 files into a database without post-mortems) runs with
 * its own settings and leaves the connection as cl_store_open set it. */
START_TEST(test_first_import_settings_restored)
{
	struct cl_import_stats s;
	char name[64];
	int i, secure = count("PRAGMA secure_delete");

	for (i = 0; i < 70; i++) {
		snprintf(name, sizeof name, "pm/pm-%02d.md", i);
		tu_write(dir, name, doc_v1);
	}
	do_import(&s);
	ck_assert_int_eq(s.files_parsed, 70);
	ck_assert_int_eq(count("SELECT count(*) FROM postmortems WHERE id = "
	                       "CAST(substr(slug, 4) AS INTEGER) + 1"), 70);
	ck_assert_int_eq(count("SELECT count(*) FROM items i JOIN postmortems p ON "
	                       "p.id = i.postmortem_id AND i.key = p.slug || '.' || i.seq"), 210);
	ck_assert_int_eq(count("PRAGMA secure_delete"), secure);
	ck_assert_int_eq(count("PRAGMA cache_size"), -16384);
	ck_assert_int_eq(count("PRAGMA synchronous"), 1);
	ck_assert_int_eq(count("PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(count("PRAGMA ignore_check_constraints"), 0);
	ck_assert_int_eq(count("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM pragma_integrity_check WHERE "
	                       "integrity_check <> 'ok'"), 0);
}
END_TEST

START_TEST(test_migrations_versioned)
{
	ck_assert_int_eq(cl_store_version(st), cl_migration_count);
	ck_assert_int_eq(count("SELECT count(*) FROM meta WHERE key = 'created_at'"), 1);
	ck_assert_int_eq(count("PRAGMA foreign_keys"), 1);
}
END_TEST

/* Opcodes of the program SQLite compiles for sql that are op (EXPLAIN). */
static int
opcodes(const char *sql, const char *op)
{
	char buf[1024];
	sqlite3_stmt *s;
	int n = 0;

	snprintf(buf, sizeof buf, "EXPLAIN %s", sql);
	ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), buf, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		n += strcmp((const char *)sqlite3_column_text(s, 1), op) == 0;
	sqlite3_finalize(s);
	return n;
}

/* Migration 0011: items.status and history.origin are still checked, but
 * inserting a row no longer builds a temporary b-tree for the check (3.40
 * does for "IN" of three or more constants: a third of a first import's
 * database time). */
START_TEST(test_checks_without_temporary_tables)
{
	static const char item[] = "INSERT INTO items (key, postmortem_id, seq, position, norm, "
		"action, status, created_at, updated_at) VALUES ('p.1', 1, 1, 0, 'a', 'a', ?, 'now', "
		"'now')";
	static const char hist[] = "INSERT INTO history (item_id, at, origin, field) "
		"VALUES (1, 'now', ?, 'status')";
	struct cl_error err = { 0 };

	ck_assert_int_eq(opcodes(item, "OpenEphemeral"), 0);
	ck_assert_int_eq(opcodes(hist, "OpenEphemeral"), 0);
	ck_assert_int_eq(cl_store_exec(st, "INSERT INTO postmortems (id, slug, source, first_seen, "
	                               "last_seen) VALUES (1, 'p', 'p.md', 'now', 'now')", &err), 0);
	ck_assert_int_ne(cl_store_exec(st, "INSERT INTO items (key, postmortem_id, seq, position, "
	                               "norm, action, status, created_at, updated_at) VALUES "
	                               "('p.1', 1, 1, 0, 'a', 'a', 'closed', 'now', 'now')", &err), 0);
	ck_assert_msg(strstr(err.msg, "CHECK") != NULL, "%s", err.msg);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_store_exec(st, "INSERT INTO items (key, postmortem_id, seq, position, "
	                               "norm, action, status, created_at, updated_at) VALUES "
	                               "('p.1', 1, 1, 0, 'a', 'a', 'withdrawn', 'now', 'now')", &err),
	                 0);
	ck_assert_int_ne(cl_store_exec(st, "INSERT INTO history (item_id, at, origin, field) "
	                               "VALUES (1, 'now', 'mail', 'status')", &err), 0);
	ck_assert_msg(strstr(err.msg, "CHECK") != NULL, "%s", err.msg);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_store_exec(st, "INSERT INTO history (item_id, at, origin, field) "
	                               "VALUES (1, 'now', 'sync', 'status')", &err), 0);
	{
		sqlite3_stmt *s;
		ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), "PRAGMA integrity_check", -1, &s,
		                                    NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "ok");
		sqlite3_finalize(s);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_import_and_reimport);
	tcase_add_test(tc, test_edits_become_history);
	tcase_add_test(tc, test_withdrawn_never_deleted);
	tcase_add_test(tc, test_local_state_survives_reimport);
	tcase_add_test(tc, test_bad_files_skipped);
	tcase_add_test(tc, test_lint_codes);
	tcase_add_test(tc, test_no_action_items);
	tcase_add_test(tc, test_newer_database_refused);
	tcase_add_test(tc, test_migrations_versioned);
	tcase_add_test(tc, test_checks_without_temporary_tables);
	tcase_add_test(tc, test_people_lookup);
	tcase_add_test(tc, test_withdrawn_rows_cost_nothing);
	tcase_add_test(tc, test_items_inserted_in_batches);
	tcase_add_test(tc, test_first_import_settings_restored);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
