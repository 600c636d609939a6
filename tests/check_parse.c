/* check_parse.c — the post-mortem parser on fixture documents: each
 * tests/fixtures/parse/NAME.md is parsed and compared with NAME.json.
 * CL_FIXTURE_REGEN=1 rewrites the .json files (review the diff!). */
#include <dirent.h>
#include <jansson.h>

#include "testutil.h"

#define FIXDIR "tests/fixtures/parse"

static json_t *
date_json(int day)
{
	char buf[11];
	if (day == CL_NO_DATE)
		return json_null();
	cl_date_format(day, buf);
	return json_string(buf);
}

static json_t *
str_json(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The parse result in a stable JSON form. */
static json_t *
doc_json(const struct cl_pm_doc *d)
{
	json_t *o = json_object(), *items = json_array();
	size_t i;

	json_object_set_new(o, "title", str_json(d->title));
	json_object_set_new(o, "incident_date", date_json(d->incident_date));
	json_object_set_new(o, "written_date", date_json(d->written_date));
	json_object_set_new(o, "severity", str_json(d->severity));
	json_object_set_new(o, "authors", str_json(d->authors));
	json_object_set_new(o, "is_runbook", json_boolean(d->is_runbook));
	if (d->is_runbook) {
		json_object_set_new(o, "rb_owner", str_json(d->rb_owner));
		json_object_set_new(o, "rb_last_tested", date_json(d->rb_last_tested));
		json_object_set_new(o, "rb_rto_target", str_json(d->rb_rto_target));
		json_object_set_new(o, "rb_actual_rto", json_integer(d->rb_actual_rto));
	}
	json_object_set_new(o, "has_action_section", json_boolean(d->has_action_section));
	for (i = 0; i < d->nitems; i++) {
		const struct cl_pm_item *it = &d->items[i];
		json_array_append_new(items, json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o}",
		        "line", it->line, "action", str_json(it->action), "owner", str_json(it->owner),
		        "owner_raw", str_json(it->owner_raw), "due", date_json(it->due),
		        "due_raw", str_json(it->due_raw), "done", it->done,
		        "ticket", str_json(it->ticket), "priority", str_json(it->priority)));
	}
	json_object_set_new(o, "items", items);
	return o;
}

START_TEST(test_fixtures)
{
	DIR *d = opendir(FIXDIR);
	struct dirent *de;
	int count = 0, failures = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char md[512], js[512], *text = NULL;
		size_t len = 0, n = strlen(de->d_name);
		struct cl_error err = { 0 };
		struct cl_pm_doc *doc = NULL;
		json_t *got, *want;
		json_error_t jerr;

		if (n < 4 || strcmp(de->d_name + n - 3, ".md") != 0)
			continue;
		snprintf(md, sizeof md, FIXDIR "/%s", de->d_name);
		snprintf(js, sizeof js, FIXDIR "/%.*s.json", (int)(n - 3), de->d_name);
		ck_assert_int_eq(cl_read_file(&text, &len, md, 1 << 20, &err), 0);
		/* year-less dates with no incident date resolve after 2024-01-01 */
		ck_assert_msg(cl_parse_document(&doc, text, len, cl_days_from_civil(2024, 1, 1),
		                                &err) == 0, "%s: %s", md, err.msg);
		got = doc_json(doc);
		if (getenv("CL_FIXTURE_REGEN")) {
			json_dump_file(got, js, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		} else {
			want = json_load_file(js, 0, &jerr);
			ck_assert_msg(want != NULL, "%s: %s", js, jerr.text);
			if (!json_equal(got, want)) {
				char *s = json_dumps(got, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
				fprintf(stderr, "%s: parse result differs from %s:\n%s\n", md, js, s);
				free(s);
				failures++;
			}
			json_decref(want);
		}
		json_decref(got);
		cl_pm_doc_free(doc);
		free(text);
		count++;
	}
	closedir(d);
	ck_assert_int_ge(count, 10);
	ck_assert_int_eq(failures, 0);
}
END_TEST

START_TEST(test_owner)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "@alice", "alice" }, { "Alice Doe (@adoe)", "adoe" }, { "  Bob  ", "Bob" },
		{ "@alice, @bob", "alice" }, { "alice@example.com", "alice@example.com" },
		{ "-", NULL }, { "", NULL }, { "Carla Diaz / Dev Team", "Carla Diaz" },
		{ "@jörg", "jörg" }, { "@li.wei.", "li.wei" },
		{ "Alice Doe <alice@example.com>", "Alice Doe" }, { "@org/team", "org/team" },
		{ "@hamid and @chloe", "hamid" }, { "Ana and Bruno", "Ana" }, { "n/a", "n/a" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *o = cl_parse_owner(cases[i].in);
		if (cases[i].out == NULL)
			ck_assert_msg(o == NULL, "'%s' → '%s', want NULL", cases[i].in, o);
		else
			ck_assert_msg(o && strcmp(o, cases[i].out) == 0, "'%s' → '%s', want '%s'",
			              cases[i].in, o ? o : "(null)", cases[i].out);
		free(o);
	}
}
END_TEST

START_TEST(test_owner_several)
{
	static const struct { const char *in; int several; } cases[] = {
		{ "@a and @b", 1 }, { "A/B", 1 }, { "A & B", 1 }, { "A, B", 1 },
		{ "Alice Doe (@adoe)", 0 }, { "@org/team", 0 }, { "Alice Doe <a@example.com>", 0 },
		{ "n/a", 0 }, { "@alice", 0 }, { "Priya", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(cl_parse_owner_several(cases[i].in) == cases[i].several, "%s",
		              cases[i].in);
}
END_TEST

/* The rules read the block model only: blocks made by hand, as another
 * front end (a Confluence reader) would make them, give the same items. */
START_TEST(test_block_model)
{
	struct cl_blocks b = { 0 };
	struct cl_pm_doc *doc = NULL;
	struct cl_error err = { 0 };
	static const char item1[] = "Rotate the keys (#412) (Priya)";
	struct cl_block_link link = { 16, 20, "https://github.com/acme/ops/issues/412" };
	int list, row, table;

	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_HEADING, 1, 1, -1, 0, "Outage", 6, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_HEADING, 3, 2, -1, 0, "Follow-ups", 10, NULL,
	                               0), 0);
	ck_assert_int_ge(list = cl_blocks_add(&b, CL_BLOCK_LIST, 5, 1, -1, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_ITEM, 5, 1, list, 0, item1, strlen(item1),
	                               &link, 1), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_ITEM, 6, 1, list, CL_BLOCK_TASK | CL_BLOCK_CHECKED,
	                               "Add an alert", 12, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_HEADING, 8, 2, -1, 0, "Timeline", 8, NULL, 0), 0);
	ck_assert_int_ge(table = cl_blocks_add(&b, CL_BLOCK_TABLE, 10, 0, -1, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_ge(row = cl_blocks_add(&b, CL_BLOCK_ROW, 10, 0, table, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_CELL, 10, 0, row, 0, "Action", 6, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_CELL, 10, 0, row, 0, "Owner", 5, NULL, 0), 0);
	ck_assert_int_ge(row = cl_blocks_add(&b, CL_BLOCK_ROW, 12, 0, table, 0, NULL, 0, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_CELL, 12, 0, row, 0, "Page the DBA", 12, NULL, 0), 0);
	ck_assert_int_ge(cl_blocks_add(&b, CL_BLOCK_CELL, 12, 0, row, 0, "@kim", 4, NULL, 0), 0);
	ck_assert_int_eq(cl_parse_blocks(&doc, &b, cl_days_from_civil(2024, 1, 1), NULL, &err), 0);
	ck_assert_str_eq(doc->title, "Outage");
	ck_assert_int_eq(doc->nitems, 3);
	ck_assert_str_eq(doc->items[0].action, "Rotate the keys");
	ck_assert_str_eq(doc->items[0].owner, "Priya");
	ck_assert_str_eq(doc->items[0].ticket, "https://github.com/acme/ops/issues/412");
	ck_assert_int_eq(doc->items[0].line, 5);
	ck_assert(doc->items[1].done);
	/* an item table outside an action section */
	ck_assert_str_eq(doc->items[2].action, "Page the DBA");
	ck_assert_str_eq(doc->items[2].owner, "kim");
	ck_assert_int_eq(doc->items[2].line, 12);
	ck_assert_int_eq(doc->nsections, 1);
	ck_assert_int_eq(doc->sections[0].nitems, 2);
	cl_pm_doc_free(doc);
	cl_blocks_release(&b);
}
END_TEST

/* Every allocation of the parser failing in turn: CL_ENOMEM and no
 * document, never a crash or a partial document (valgrind: no leak). */
START_TEST(test_alloc_failures)
{
	static const char *const files[] = { "tests/fixtures/layouts/mix-sre-table-bullets-markers.md",
		"tests/fixtures/layouts/hugo-front-matter.md", "tests/fixtures/layouts/gfm-delimiter-short.md" };
	size_t f;

	for (f = 0; f < sizeof files / sizeof files[0]; f++) {
		char *text = NULL;
		size_t len = 0;
		struct cl_error err = { 0 };
		long n, want = -1, failed = 0;
		struct cl_pm_doc *doc = NULL;

		ck_assert_int_eq(cl_read_file(&text, &len, files[f], 1 << 20, &err), 0);
		ck_assert_int_eq(cl_parse_document(&doc, text, len, CL_NO_DATE, &err), 0);
		want = (long)doc->nitems;
		cl_pm_doc_free(doc);
		for (n = 1; n < 100000; n++) {
			int rc;
			doc = NULL;
			memset(&err, 0, sizeof err);
			cl_alloc_fail_after(n);
			rc = cl_parse_document(&doc, text, len, CL_NO_DATE, &err);
			cl_alloc_fail_after(0);
			if (rc == 0) {
				ck_assert_int_eq((long)doc->nitems, want);
				cl_pm_doc_free(doc);
				break;
			}
			failed++;
			ck_assert_msg(rc == CL_ENOMEM, "%s: allocation %ld: %d %s", files[f], n, rc, err.msg);
			ck_assert_ptr_null(doc);
		}
		ck_assert_int_lt(n, 100000);
		ck_assert_int_gt(failed, 20);	/* the countdown did reach the parser */
		free(text);
	}
}
END_TEST

START_TEST(test_normalise)
{
	char *a = cl_parse_normalise("  Alert on **WAL** sender\tcount.  ");
	char *b = cl_parse_normalise("alert on wal   sender count");
	ck_assert_str_eq(a, "alert on wal sender count");
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_invalid_utf8)
{
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;
	const char bad[] = "# Title\n\nline two\n\xff\xfe broken\n";
	const char overlong[] = "# T\n\xc0\xaf\n";
	const char surrogate[] = "# T\n\xed\xa0\x80\n";

	ck_assert_int_eq(cl_parse_document(&doc, bad, sizeof bad - 1, CL_NO_DATE, &err), CL_EDATA);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(err.msg, "line 4") != NULL, "%s", err.msg);
	ck_assert_int_eq(cl_utf8_check(overlong, sizeof overlong - 1), 2);
	ck_assert_int_eq(cl_utf8_check(surrogate, sizeof surrogate - 1), 2);
	ck_assert_int_eq(cl_utf8_check("ok \xc3\xa9 \xf0\x9f\x98\x80", 10), 0);
	ck_assert_int_eq(cl_utf8_check("cut \xc3", 5), 1);
}
END_TEST

START_TEST(test_item_limit)
{
	struct cl_buf b = CL_BUF_INIT;
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;
	int i;

	cl_buf_puts(&b, "# T\n\n## Action items\n\n");
	for (i = 0; i < CL_PARSE_MAX_ITEMS + 1; i++)
		cl_buf_printf(&b, "- [ ] task %d — @a, due 2024-01-01\n", i);
	ck_assert_int_eq(cl_parse_document(&doc, b.data, b.len, CL_NO_DATE, &err), CL_EDATA);
	ck_assert_msg(strstr(err.msg, "more than") != NULL, "%s", err.msg);
	cl_buf_release(&b);
}
END_TEST

/* An action made only of U+00A0 (a bullet, a task, a table cell) is no
 * item: the first CI fuzz run found it left an item without an action. */
START_TEST(test_blank_action)
{
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;
	const char text[] = "# T\n\n## Action items\n\n- \xc2\xa0\n- [ ] \xc2\xa0\xc2\xa0\n"
	                    "- Fix it (alice)\n\n| Action | Owner |\n|---|---|\n"
	                    "| \xc2\xa0 | bob |\n| Add the alert | bob |\n";
	size_t i, total = 0;

	ck_assert_int_eq(cl_parse_document(&doc, text, sizeof text - 1, CL_NO_DATE, &err), 0);
	ck_assert_uint_eq(doc->nitems, 2);
	for (i = 0; i < doc->nitems; i++)
		ck_assert_ptr_nonnull(doc->items[i].action);
	ck_assert_str_eq(doc->items[0].action, "Fix it");
	ck_assert_str_eq(doc->items[1].action, "Add the alert");
	for (i = 0; i < doc->nsections; i++)
		total += doc->sections[i].nitems;
	ck_assert_uint_eq(total, 2);
	cl_pm_doc_free(doc);
}
END_TEST

/* The pre-scan that leaves sections out of what md4c reads changes
 * nothing: cl_parse_document_opts and cl_parse_document_read_all agree on
 * one document (result code, error and every field). */
static int
same_both_ways(const char *text, size_t len, const struct cl_parse_opts *opts)
{
	struct cl_error e1 = { 0 }, e2 = { 0 };
	struct cl_pm_doc *a = NULL, *b = NULL;
	int r1 = cl_parse_document_read_all(&a, text, len, cl_days_from_civil(2024, 1, 1), opts, &e1);
	int r2 = cl_parse_document_opts(&b, text, len, cl_days_from_civil(2024, 1, 1), opts, &e2);
	int same = r1 == r2 && strcmp(e1.msg, e2.msg) == 0 && cl_pm_doc_same(a, b);

	cl_pm_doc_free(a);
	cl_pm_doc_free(b);
	return same;
}

/* Every fixture and fuzz input, read with and without the skipping. */
START_TEST(test_skip_same_files)
{
	static const char *const dirs[] = { FIXDIR, "tests/fixtures/layouts", "tests/fuzz/corpus/parse",
		"tests/fuzz/regress/parse", "tests/fixtures/storage", "bench/corpus-1000/2024/01" };
	size_t k;
	int count = 0, failures = 0;

	for (k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
		DIR *d = opendir(dirs[k]);
		struct dirent *de;
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char path[512], *text = NULL;
			size_t len = 0;
			struct cl_error err = { 0 };
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", dirs[k], de->d_name);
			if (cl_read_file(&text, &len, path, 1 << 22, &err) != 0)
				continue;
			if (!same_both_ways(text, len, NULL) ||
			    !same_both_ways(text, len, &(struct cl_parse_opts){ "lessons, root cause" })) {
				fprintf(stderr, "%s: skipping sections changes the result\n", path);
				failures++;
			}
			free(text);
			count++;
		}
		closedir(d);
	}
	ck_assert_int_gt(count, 300);
	ck_assert_int_eq(failures, 0);
}
END_TEST

/* Documents put together from pieces the pre-scan must get right: headings
 * that are not where they seem, tables that swallow headings, fields and
 * markers outside action sections, lists under action headings... */
START_TEST(test_skip_same_pieces)
{
	static const char *const pieces[] = {
		"# Outage of the queue — 2024-03-02", "## Summary", "## Root cause", "## What went well",
		"## Timeline", "## Action items", "### Short term", "### Lessons learned", "## Date",
		"## Follow-ups", "### 1. Improve alerting", "#### Details", "## *Notes*", "##", "## #",
		"## 2. Next", "Title line\n=====", "Another\n-----", "   ## Indented heading",
		"> ## Quoted heading", "- ## Listed heading", "The queue grew until the consumers fell behind.",
		"Retries amplified the load\nand the queue grew.", "Published 2024-03-05 by the team",
		"posted on March 3, 2024", "Owner: @ana", "Team: storage", "Severity: P1",
		"Last tested: 2024-01-02, actual RTO 40 min", "2024-03-01", "March 3, 2024",
		"AI: page the on-call — @kim", "TODO: fix the retry budget", "Action item&#58; drain the pool",
		"**Action items**", "Follow-ups:", "Done:", "**DONE**", "- The service degraded.",
		"- [ ] Add a dashboard — @ana, due 2024-04-01", "- [x] Cap the retries", "1. Fix it",
		"* star item", "- nested\n  - deeper item", "  continuation line", "    indented code",
		"```\n# not a heading\n| a | b |\n```", "~~~\n## also code\n~~~", "```sh\ncode: yes", "   ```\nx\n   ```",
		"| Time | Event | Owner |\n|------|-------|-------|\n| 09:00 | noticed | @ben |\n| 09:07 | fixed | @gus |",
		"| Task | Assignee | Deadline |\n|------|----------|----------|\n| Automate the backup | @fay | 2024-12-26 |",
		"| Time | Event |\n|---|---|\n# heading in a table\n| 10:00 | x |",
		"| Action | Owner |\n|-|-|\n| Short delimiter | @a |", "| just | pipes |", "a | b\n--- | ---\nc | d",
		"| Time | Event |\n|------|-------|\n```\n## code or row\n```",
		"| Item | Description | Owner |\n| --- | --- | --- |\n| 1 | Rotate keys | @ana |",
		"[ref]: https://example.com/ticket/1", "See [the ticket][ref] for more.", "---", "***",
		"<https://example.com>", "Mail <ana@example.com>", "__bold label__", "~~struck~~ text",
		"A line with a\\\nhard break", "Tab\tinside", "\xc3\x89t\xc3\xa9 unicode start", "\r",
		"mid\rline", "\t# tab heading", "#hashtag", "####### seven", "## Heading ##",
		"## Heading with `code`", "## Action items (owner: @ana)", "## Mitigation and prevention",
		"## What you need to do", "## Remediation\n\nNone.", "Paragraph ending with a colon:",
		"    - indented bullet", "+ plus item", "2) paren item", "| a |\n|---|", "\x0b# vt",
		"**Severity:** P2", "Authors: @oli, @gus", "## Incident date", "Posted", "plain ~~~ text",
		/* a list in a section under an action heading: the action section
		 * "has a list" and drops its prose items */
		"## Action items\n\nRotate the keys every month.\n\n### Lessons learned\n\n- The keys aged.",
		/* an empty heading takes the line of the text before it */
		"# Action items\n\n## Summary\n\nThe queue grew.\n\n##\n\n- Fix it",
		/* md4c ends a table at a list item */
		"| Time | Event |\n|------|-------|\n| 09:00 | x |\n- AI: page the on-call",
		/* a heading in a fenced code block is none */
		"## Action items\n\n```\n## Summary\n```\n\n### Sub\n\nRotate the keys every month.",
		"## Action items\n\n~~~~\n~~~\n## Summary\n~~~~\n\n### Sub\n\nRotate the keys.",
	};
	const size_t np = sizeof pieces / sizeof pieces[0];
	unsigned long seed = 12345;
	int i, failures = 0;

	for (i = 0; i < 4000; i++) {
		struct cl_buf b = CL_BUF_INIT;
		int n, k;
		seed = seed * 6364136223846793005UL + 1442695040888963407UL;
		n = 2 + (int)((seed >> 33) % 14);
		for (k = 0; k < n; k++) {
			seed = seed * 6364136223846793005UL + 1442695040888963407UL;
			cl_buf_puts(&b, pieces[(seed >> 33) % np]);
			cl_buf_puts(&b, (seed >> 20) % 3 ? "\n\n" : (seed >> 22) % 2 ? "\n" : "\r\n");
		}
		if (!same_both_ways(b.data, b.len, NULL)) {
			fprintf(stderr, "skipping sections changes the result of:\n%s\n---\n", b.data);
			failures++;
		}
		cl_buf_release(&b);
	}
	ck_assert_int_eq(failures, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("parse");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_owner);
	tcase_add_test(tc, test_owner_several);
	tcase_add_test(tc, test_block_model);
	tcase_add_test(tc, test_alloc_failures);
	tcase_add_test(tc, test_normalise);
	tcase_add_test(tc, test_invalid_utf8);
	tcase_add_test(tc, test_item_limit);
	tcase_add_test(tc, test_blank_action);
	tcase_add_test(tc, test_skip_same_files);
	tcase_add_test(tc, test_skip_same_pieces);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
