/* check_sync.c — the sync engine against an in-memory tracker backend:
 * creates with intents, adoption by marker, three-way pull/push, per-item
 * refusals. Items are inserted straight into a fresh database. */
#include <fcntl.h>
#include <sys/stat.h>

#include "testutil.h"

#define MOCK_MAX 64

struct mock_ticket {
	int used, closed, reason;
	char title[256], body[2048], assignee[64], due[11];
	int updated;		/* logical clock */
};

static struct mock_ticket mock[MOCK_MAX];
static int mock_n, mock_clock, mock_creates, mock_updates, mock_states;
static int mock_fail_create_on;		/* 1-based create number that gets 422 */
static int mock_lose_create;
static int mock_title_max;		/* the tracker keeps this much of a title (0: all) */		/* create succeeds, then "the answer is lost" */

static void
mock_reset(void)
{
	memset(mock, 0, sizeof mock);
	mock_n = mock_clock = mock_creates = mock_updates = mock_states = 0;
	mock_fail_create_on = mock_lose_create = 0;
}

static void
mock_fill(struct cl_ticket *out, int i)
{
	char buf[32];

	memset(out, 0, sizeof *out);
	snprintf(buf, sizeof buf, "%d", i + 1);
	out->id = strdup(buf);
	snprintf(buf, sizeof buf, "mock://%d", i + 1);
	out->url = strdup(buf);
	out->title = strdup(mock[i].title);
	out->body = strdup(mock[i].body);
	out->state = mock[i].closed ? CL_TICKET_CLOSED : CL_TICKET_OPEN;
	out->assignee = mock[i].assignee[0] ? strdup(mock[i].assignee) : NULL;
	out->due = mock[i].due[0] ? strdup(mock[i].due) : NULL;
	snprintf(buf, sizeof buf, "2024-01-01T00:00:%02dZ", mock[i].updated % 60);
	out->updated_at = strdup(buf);
	out->marker = cl_tracker_marker_find(mock[i].body);
	out->creator = strdup("mock-bot");	/* every mock issue is closeloop's */
}

static int
mock_create(struct cl_tracker *t, struct cl_ticket *out, const struct cl_ticket_spec *s,
            struct cl_error *err)
{
	int i = mock_n;

	(void)t;
	memset(out, 0, sizeof *out);
	mock_creates++;
	if (mock_fail_create_on == mock_creates)
		return cl_error_set(err, CL_EDATA, "creating an issue: refused (HTTP 422)");
	mock[i].used = 1;
	snprintf(mock[i].title, sizeof mock[i].title, "%.*s",
	         mock_title_max ? mock_title_max : (int)sizeof mock[i].title, s->title);
	snprintf(mock[i].body, sizeof mock[i].body, "%s", s->body);
	snprintf(mock[i].assignee, sizeof mock[i].assignee, "%s", s->assignee ? s->assignee : "");
	snprintf(mock[i].due, sizeof mock[i].due, "%s", s->due ? s->due : "");
	mock[i].updated = ++mock_clock;
	mock_n++;
	if (mock_lose_create)
		return cl_error_set(err, CL_ETEMPFAIL, "creating an issue: timed out");
	mock_fill(out, i);
	return 0;
}

static int
mock_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
            const struct cl_ticket_spec *s, unsigned mask, struct cl_error *err)
{
	int i = atoi(id) - 1;

	(void)t;
	(void)err;
	mock_updates++;
	if (mask & CL_SPEC_TITLE)
		snprintf(mock[i].title, sizeof mock[i].title, "%.*s",
		         mock_title_max ? mock_title_max : (int)sizeof mock[i].title, s->title);
	if (mask & CL_SPEC_BODY)
		snprintf(mock[i].body, sizeof mock[i].body, "%s", s->body);
	if (mask & CL_SPEC_DUE)
		snprintf(mock[i].due, sizeof mock[i].due, "%s", s->due ? s->due : "");
	mock[i].updated = ++mock_clock;
	if (out)
		mock_fill(out, i);
	return 0;
}

static int
mock_get(struct cl_tracker *t, struct cl_ticket *out, const char *id, long *gone,
         struct cl_error *err)
{
	int i = atoi(id) - 1;

	(void)t;
	if (i < 0 || i >= mock_n) {
		*gone = 404;
		return cl_error_set(err, CL_ENOTFOUND, "issue #%s was not found", id);
	}
	mock_fill(out, i);
	return 0;
}

static int
mock_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
               const char *comment, const char *body, long *gone, struct cl_error *err)
{
	int i = atoi(id) - 1;

	(void)t, (void)comment, (void)body, (void)gone, (void)err;
	mock_states++;
	mock[i].closed = closed;
	mock[i].reason = reason;
	mock[i].updated = ++mock_clock;
	return 0;
}

/* Every ticket updated at or after since (a logical clock in the seconds). */
static int
mock_changes(struct cl_tracker *t, struct cl_ticket_list *out,
             const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
             int *not_modified, struct cl_error *err)
{
	int since = in->since ? atoi(in->since + 17) : 0, maxu = since, i;
	char buf[32];

	(void)t, (void)err;
	*not_modified = 0;
	for (i = 0; i < mock_n; i++) {
		struct cl_ticket tk;
		if (mock[i].updated < since)
			continue;
		mock_fill(&tk, i);
		cl_ticket_list_push(out, &tk);
		if (mock[i].updated > maxu)
			maxu = mock[i].updated;
	}
	snprintf(buf, sizeof buf, "2024-01-01T00:00:%02dZ", (maxu + 1) % 60);
	next->since = strdup(buf);
	next->etag = NULL;
	return 0;
}

static int
mock_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                  struct cl_error *err)
{
	struct cl_tracker_cursor in = { NULL, NULL }, next = { NULL, NULL };
	int nm;

	(void)since;
	mock_changes(t, out, &in, &next, &nm, err);
	cl_tracker_cursor_release(&next);
	return 0;
}

static int
mock_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	(void)t;
	if (ref[0] != '#')
		return CL_ENOTFOUND;
	*out = strdup(ref + 1);
	return 0;
}

/* The account the mock's issues are filed by. */
static int
mock_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	(void)t;
	(void)err;
	*out = strdup("mock-bot");
	return 0;
}

static const struct cl_tracker_ops mock_ops = {
	.kind = "mock",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_ASSIGNEE,
	.create = mock_create,
	.update = mock_update,
	.get = mock_get,
	.set_state = mock_set_state,
	.changes = mock_changes,
	.find_markers = mock_find_markers,
	.parse_ref = mock_parse_ref,
	.whoami = mock_whoami,
};

/* The same tracker, saying that it keeps 10 bytes of a title. */
static const struct cl_tracker_ops mock_ops_short = {
	.kind = "mock",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_ASSIGNEE,
	.title_max = 10,
	.create = mock_create,
	.update = mock_update,
	.get = mock_get,
	.set_state = mock_set_state,
	.changes = mock_changes,
	.find_markers = mock_find_markers,
	.parse_ref = mock_parse_ref,
	.whoami = mock_whoami,
};

static char *dir;
static struct cl_store *st;
static struct cl_config *cfg;
static struct cl_tracker tr;
static FILE *plan;

static void
setup(void)
{
	struct cl_error err = { 0 };

	mock_reset();
	dir = tu_tmpdir();
	st = tu_store(dir);
	cfg = cl_config_new();
	cl_config_set(cfg, "people", "alice", "Alice <alice@example.com>");
	cl_config_set(cfg, "people", "alice.tracker", "alice-t");
	memset(&tr, 0, sizeof tr);
	tr.ops = &mock_ops;
	tr.cfg = cfg;
	tr.ident = "mock m p";
	tr.project = "p";
	ck_assert_int_eq(cl_store_exec(st,
	        "INSERT INTO postmortems (id, slug, source, title, incident_date, first_seen, last_seen) "
	        "VALUES (1, 'pm', 'pm.md', 'Disk full', '2024-01-02', 'x', 'x');"
	        "INSERT INTO items (key, postmortem_id, seq, position, norm, action, owner, due, "
	        "status, doc_ticket, created_at, updated_at) VALUES "
	        "('pm.1', 1, 1, 1, 'a', 'Add disk alert', 'alice', '2024-02-01', 'open', NULL, 'x', 'x'),"
	        "('pm.2', 1, 2, 2, 'b', 'Rotate logs', NULL, NULL, 'open', NULL, 'x', 'x'),"
	        "('pm.3', 1, 3, 3, 'c', 'Old cleanup', NULL, NULL, 'done', NULL, 'x', 'x'),"
	        "('pm.4', 1, 4, 4, 'd', 'Linked by hand', NULL, NULL, 'open', '#77', 'x', 'x');",
	        &err), 0);
	plan = fopen("/dev/null", "w");
}

static void
teardown(void)
{
	fclose(plan);
	free(tr.self);
	tr.self = NULL;
	cl_config_free(cfg);
	cl_store_close(st);
	tu_rmtree(dir);
	free(dir);
}

static int
run_sync(struct cl_sync_stats *stats)
{
	struct cl_sync_opts o = { 0 };
	struct cl_error err = { 0 };
	int rc;

	o.plan = plan;
	rc = cl_sync_run(st, cfg, &tr, &o, stats, &err);
	ck_assert_msg(rc == 0 || err.code != 0, "rc without message");
	return rc;
}

static char *
q1(const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v ? v : strdup("(null)");
}

#define ck_q(sql, want) do { char *v_ = q1(sql); ck_assert_str_eq(v_, want); free(v_); } while (0)

START_TEST(push_link_record)
{
	struct cl_sync_stats s;

	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created, 2);
	ck_assert_int_eq(s.recorded, 1);
	ck_assert_int_eq(s.item_errors, 1);	/* #77 does not exist */
	ck_assert_int_eq(mock_n, 2);
	ck_assert_str_eq(mock[0].assignee, "alice-t");
	ck_assert_str_eq(mock[0].due, "2024-02-01");
	ck_assert_ptr_nonnull(strstr(mock[0].body, "closeloop:pm.1"));
	ck_assert_ptr_nonnull(strstr(mock[0].body, "Post-mortem: Disk full (2024-01-02)"));
	ck_q("SELECT ticket || ' ' || url FROM items WHERE key = 'pm.1'", "1 mock://1");
	ck_q("SELECT count(*) FROM sync_items WHERE intent_at IS NOT NULL", "0");
	ck_q("SELECT ticket FROM items WHERE key = 'pm.3'", "(null)");
	ck_q("SELECT error LIKE '%#77%not found%' FROM sync_items s JOIN items i ON i.id = s.item_id "
	     "WHERE i.key = 'pm.4'", "1");
	ck_q("SELECT origin || ':' || field FROM history WHERE field = 'ticket' LIMIT 1", "sync:ticket");
	/* a second run changes nothing */
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created + s.updated + s.closed, 0);
	ck_assert_int_eq(mock_creates, 2);
}
END_TEST

START_TEST(lost_answer_adopted)
{
	struct cl_sync_stats s;

	mock_lose_create = 1;
	ck_assert_int_eq(run_sync(&s), CL_ETEMPFAIL);
	ck_assert_int_eq(mock_n, 1);
	ck_q("SELECT count(*) FROM sync_items WHERE intent_at IS NOT NULL AND ticket IS NULL", "1");
	mock_lose_create = 0;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.adopted, 1);
	ck_assert_int_eq(mock_n, 2);	/* pm.1 adopted, pm.2 created: no duplicate */
	ck_q("SELECT ticket FROM items WHERE key = 'pm.1'", "1");
	ck_q("SELECT ticket FROM items WHERE key = 'pm.2'", "2");
}
END_TEST

/* An issue whose body closeloop wrote with the marker line of older
 * versions is not rewritten for the new line alone, and its old line is
 * still a marker. */
START_TEST(legacy_marker_not_rewritten)
{
	struct cl_sync_stats s;
	char *m, old[4096], sha[65];

	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created, 2);
	/* #1 as an older version wrote it */
	m = strstr(mock[0].body, "\n<!-- closeloop:");
	ck_assert_ptr_nonnull(m);
	snprintf(old, sizeof old, "%.*s\nTracked by closeloop, do not remove this line: "
	         "closeloop:pm.1\n", (int)(m - mock[0].body), mock[0].body);
	m = cl_tracker_marker_find(old);
	ck_assert_str_eq(m, "pm.1");
	free(m);
	cl_sha256_hex(old, strlen(old), sha);
	snprintf(mock[0].body, sizeof mock[0].body, "%s", old);
	{
		sqlite3_stmt *q;
		ck_assert_int_eq(sqlite3_prepare_v2(cl_store_db(st), "UPDATE sync_items SET "
		                 "synced_body = ? WHERE item_id = (SELECT id FROM items WHERE key = "
		                 "'pm.1')", -1, &q, NULL), SQLITE_OK);
		sqlite3_bind_text(q, 1, sha, -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(q), SQLITE_DONE);
		sqlite3_finalize(q);
	}
	mock_updates = 0;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(mock_updates, 0);
	ck_assert_int_eq(s.updated, 0);
}
END_TEST

/* A tracker that keeps only part of a long title (Jira: 255 characters):
 * the title is not sent again on every run. */
START_TEST(short_titles_settle)
{
	struct cl_sync_stats s;

	mock_title_max = 10;
	tr.ops = &mock_ops_short;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created, 2);
	ck_assert_int_eq((int)strlen(mock[0].title), 10);
	mock_updates = 0;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(mock_updates, 0);
	ck_assert_int_eq(s.updated, 0);
	mock_title_max = 0;
	tr.ops = &mock_ops;
}
END_TEST

START_TEST(pull_three_way)
{
	struct cl_sync_stats s;

	ck_assert_int_eq(run_sync(&s), 0);
	/* the tracker closes #1 and moves its due date; the document changes
	 * pm.2's action text */
	mock[0].closed = 1;
	snprintf(mock[0].due, sizeof mock[0].due, "2024-03-01");
	mock[0].updated = ++mock_clock;
	ck_assert_int_eq(cl_store_exec(st, "UPDATE items SET action = 'Rotate and compress logs' "
	                               "WHERE key = 'pm.2'", NULL), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	ck_q("SELECT status || ' ' || due FROM items WHERE key = 'pm.1'", "done 2024-03-01");
	ck_q("SELECT count(*) FROM history h JOIN items i ON i.id = h.item_id WHERE i.key = 'pm.1' "
	     "AND h.origin = 'tracker'", "2");
	ck_assert_str_eq(mock[1].title, "Rotate and compress logs");
	ck_assert_int_eq(mock_states, 0);	/* nothing pushed back for pm.1 */
	/* conflict: both sides move pm.1's due date: the tracker wins */
	ck_assert_int_eq(cl_store_exec(st, "UPDATE items SET due = '2024-05-05' WHERE key = 'pm.1'",
	                               NULL), 0);
	snprintf(mock[0].due, sizeof mock[0].due, "2024-06-06");
	snprintf(mock[0].title, sizeof mock[0].title, "renamed in the tracker");
	mock[0].updated = ++mock_clock;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_q("SELECT due FROM items WHERE key = 'pm.1'", "2024-06-06");
	ck_assert_str_eq(mock[0].due, "2024-06-06");
	/* the document wins for the action text */
	ck_assert_str_eq(mock[0].title, "Add disk alert");
	/* a local-only status change is pushed: reopened here → reopened there */
	ck_assert_int_eq(cl_store_exec(st, "UPDATE items SET status = 'open', closed_at = NULL "
	                               "WHERE key = 'pm.1'", NULL), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(mock[0].closed, 0);
	ck_assert_int_eq(s.reopened, 1);
	/* a local-only change is pushed: withdrawn → closed as not planned */
	ck_assert_int_eq(cl_store_exec(st, "UPDATE items SET status = 'withdrawn' WHERE key = 'pm.2'",
	                               NULL), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(mock[1].closed, 1);
	ck_assert_int_eq(mock[1].reason, CL_CLOSE_NOT_PLANNED);
}
END_TEST

START_TEST(refusal_marks_item_and_goes_on)
{
	struct cl_sync_stats s;
	int creates;

	mock_fail_create_on = 1;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created, 1);
	ck_assert_int_eq(s.item_errors, 2);	/* the refusal and #77 */
	ck_q("SELECT error LIKE '%422%' FROM sync_items s JOIN items i ON i.id = s.item_id "
	     "WHERE i.key = 'pm.1'", "1");
	ck_q("SELECT intent_at FROM sync_items s JOIN items i ON i.id = s.item_id "
	     "WHERE i.key = 'pm.1'", "(null)");
	{
		struct cl_item *it = NULL;
		struct cl_error e2 = { 0 };
		ck_assert_int_eq(cl_item_get(&it, st, "pm.1", &e2), 0);
		ck_assert_ptr_nonnull(it->sync_error);
		cl_item_free(it);
	}
	/* unchanged: not retried; changed: retried */
	creates = mock_creates;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(mock_creates, creates);
	ck_assert_int_eq(cl_store_exec(st, "UPDATE items SET action = 'Add a disk alert' "
	                               "WHERE key = 'pm.1'", NULL), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_int_eq(s.created, 1);
	ck_q("SELECT error FROM sync_items s JOIN items i ON i.id = s.item_id WHERE i.key = 'pm.1'",
	     "(null)");
}
END_TEST

START_TEST(dry_run_writes_nothing)
{
	struct cl_sync_opts o = { 0 };
	struct cl_sync_stats s;
	struct cl_error err = { 0 };

	o.plan = plan;
	o.dry_run = 1;
	ck_assert_int_eq(cl_sync_run(st, cfg, &tr, &o, &s, &err), 0);
	ck_assert_int_eq(s.created, 2);
	ck_assert_int_eq(mock_creates, 0);
	ck_q("SELECT count(*) FROM sync_items", "0");
	ck_q("SELECT count(*) FROM sync_trackers", "0");
}
END_TEST

/* Every column change of an item, as the database sees it (a trigger), for
 * the recorded fields; owner, due and ticket each have two columns. */
static const char watch_changes[] =
	"CREATE TEMP TABLE changes (item_id, field, old_a, new_a, old_b, new_b);"
	"CREATE TEMP TRIGGER watch AFTER UPDATE ON items BEGIN "
	"INSERT INTO changes SELECT NEW.id, 'action', OLD.action, NEW.action, NULL, NULL "
	" WHERE OLD.action IS NOT NEW.action;"
	"INSERT INTO changes SELECT NEW.id, 'owner', OLD.owner_raw, NEW.owner_raw, OLD.owner, "
	" NEW.owner WHERE OLD.owner IS NOT NEW.owner OR OLD.owner_raw IS NOT NEW.owner_raw;"
	"INSERT INTO changes SELECT NEW.id, 'due', OLD.due_raw, NEW.due_raw, OLD.due, NEW.due "
	" WHERE OLD.due IS NOT NEW.due OR OLD.due_raw IS NOT NEW.due_raw;"
	"INSERT INTO changes SELECT NEW.id, 'status', OLD.status, NEW.status, NULL, NULL "
	" WHERE OLD.status IS NOT NEW.status;"
	"INSERT INTO changes SELECT NEW.id, 'ticket', OLD.doc_ticket, NEW.doc_ticket, OLD.ticket, "
	" NEW.ticket WHERE OLD.ticket IS NOT NEW.ticket OR OLD.doc_ticket IS NOT NEW.doc_ticket;"
	"END;";

/* A change and a history row that tell the same thing. */
#define SAME_CHANGE "h.item_id = c.item_id AND h.field = c.field AND " \
	"((h.old IS c.old_a AND h.new IS c.new_a) OR (h.old IS c.old_b AND h.new IS c.new_b))"

/* Writes the document pm2/net.md (mtime moved by bump) and imports pm2. */
static void
import_doc(const char *text, int bump)
{
	struct cl_import_stats is;
	struct cl_error err = { 0 };
	char src[1024], path[1024];
	char *sources[] = { src };
	struct timespec ts[2];

	snprintf(src, sizeof src, "%s/pm2", dir);
	mkdir(src, 0700);
	tu_write(dir, "pm2/net.md", text);
	snprintf(path, sizeof path, "%s/pm2/net.md", dir);
	ts[0].tv_sec = ts[1].tv_sec = 1700000000 + bump;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, ts, 0);
	ck_assert_msg(cl_import_sources(st, cfg, sources, 1, NULL, &is, &err) == 0, "%s", err.msg);
}

/* The rule "every change after creation is a history row", for every path
 * that changes an item: import (edit, status, ticket, withdraw, revive,
 * move), done/reopen/note, sync (link, pulled status, owner and due) and
 * forget. Each column change the database saw has exactly one history row
 * with its old and new value, and no history row is without its change. */
START_TEST(one_writer_history)
{
	struct cl_sync_stats s;
	struct cl_error err = { 0 };
	char from[1024], to[1024];
	int n;

	ck_assert_int_eq(cl_store_exec(st, watch_changes, &err), 0);
	import_doc("# Network outage — 2024-01-05\n\n## Action items\n\n"
	           "| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
	           "| Add a second uplink | @alice | 2024-02-01 | | |\n"
	           "| Alert on packet loss | @bob | 2024-02-10 | | |\n"
	           "| Write the runbook | | | | |\n", 0);
	import_doc("# Network outage — 2024-01-05\n\n## Action items\n\n"
	           "| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
	           "| Add a second uplink from another carrier | @bob | 2024-02-03 | done | #9 |\n"
	           "| Alert on packet loss | @bob | 2024-02-10 | | |\n", 1);
	import_doc("# Network outage — 2024-01-05\n\n## Action items\n\n"
	           "| Action | Owner | Due | Status | Ticket |\n|---|---|---|---|---|\n"
	           "| Add a second uplink from another carrier | @bob | 2024-02-03 | | |\n"
	           "| Alert on packet loss | @bob | 2024-02-10 | | |\n"
	           "| Write the runbook | | | | |\n", 2);
	snprintf(from, sizeof from, "%s/pm2/net.md", dir);
	snprintf(to, sizeof to, "%s/pm2/network.md", dir);
	ck_assert_int_eq(rename(from, to), 0);
	{
		struct cl_import_stats is;
		char src[1024];
		char *sources[] = { src };
		snprintf(src, sizeof src, "%s/pm2", dir);
		ck_assert_msg(cl_import_sources(st, cfg, sources, 1, NULL, &is, &err) == 0, "%s",
		              err.msg);
	}
	ck_assert_int_eq(cl_item_set_status(st, "pm.2", "done", "local", &err), 0);
	ck_assert_int_eq(cl_item_set_status(st, "pm.2", "open", "local", &err), 0);
	ck_assert_int_eq(cl_item_note(st, 2, "local", "why", &err), 0);
	ck_assert_int_eq(run_sync(&s), 0);
	mock[0].closed = 1;
	snprintf(mock[0].due, sizeof mock[0].due, "2024-03-01");
	snprintf(mock[0].assignee, sizeof mock[0].assignee, "carol");
	mock[0].updated = ++mock_clock;
	ck_assert_int_eq(run_sync(&s), 0);
	ck_assert_msg(cl_import_forget(&n, st, "network.md", &err) == 0, "forget: %s", err.msg);
	ck_assert_int_gt(n, 0);

	/* every kind happened */
	ck_q("SELECT group_concat(k, ' ') FROM (SELECT DISTINCT origin || ':' || field AS k "
	     "FROM history ORDER BY k)",
	     "import:action import:due import:owner import:source import:status import:ticket "
	     "local:note local:status sync:ticket tracker:due tracker:owner tracker:status");
	/* the n-th column change the database saw is the n-th history row, with
	 * the same item, field, old and new value: none without the other */
	ck_q("SELECT count(*) FROM changes", "22");
	ck_q("SELECT count(*) FROM history WHERE field NOT IN ('note', 'source')", "22");
	ck_q("WITH c AS (SELECT row_number() OVER (ORDER BY rowid) n, * FROM changes), "
	     "h AS (SELECT row_number() OVER (ORDER BY id) n, * FROM history "
	     "WHERE field NOT IN ('note', 'source')) "
	     "SELECT count(*) FROM c JOIN h USING (n) WHERE NOT (" SAME_CHANGE ")", "0");
}
END_TEST

/* Counts the statements SQLite runs. */
static int
count_stmt(unsigned type, void *arg, void *p, void *x)
{
	(void)type;
	(void)p;
	(void)x;
	(*(int *)arg)++;
	return 0;
}

/* `list` reads each item's sync error with the items (a join), not with
 * one more query per item. */
START_TEST(list_joins_sync_errors)
{
	struct cl_sync_stats s;
	struct cl_item_filter f = { .status = CL_ITEMS_ALL };
	struct cl_error err = { 0 };
	struct cl_item *v = NULL;
	size_t n = 0, i;
	int stmts = 0, errors = 0;

	ck_assert_int_eq(run_sync(&s), 0);	/* pm.4: #77 not found */
	sqlite3_trace_v2(cl_store_db(st), SQLITE_TRACE_STMT, count_stmt, &stmts);
	ck_assert_int_eq(cl_items_list(&v, &n, st, &f, &err), 0);
	sqlite3_trace_v2(cl_store_db(st), 0, NULL, NULL);
	ck_assert_int_eq((int)n, 4);
	ck_assert_int_eq(stmts, 1);
	for (i = 0; i < n; i++) {
		if (v[i].sync_error) {
			errors++;
			ck_assert_str_eq(v[i].key, "pm.4");
			ck_assert_ptr_nonnull(strstr(v[i].sync_error, "#77"));
		}
	}
	ck_assert_int_eq(errors, 1);
	cl_items_free(v, n);
}
END_TEST

static Suite *
sync_suite(void)
{
	Suite *s = suite_create("sync");
	TCase *tc = tcase_create("sync");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, push_link_record);
	tcase_add_test(tc, lost_answer_adopted);
	tcase_add_test(tc, pull_three_way);
	tcase_add_test(tc, legacy_marker_not_rewritten);
	tcase_add_test(tc, short_titles_settle);
	tcase_add_test(tc, refusal_marks_item_and_goes_on);
	tcase_add_test(tc, dry_run_writes_nothing);
	tcase_add_test(tc, one_writer_history);
	tcase_add_test(tc, list_joins_sync_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(sync_suite());
}
