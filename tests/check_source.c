/* check_source.c — the [source] module: Confluence storage format to
 * Markdown on fixture pages (tests/fixtures/storage/NAME.xml compared with
 * NAME.md; CL_FIXTURE_REGEN=1 rewrites the .md files: review the diff!),
 * the items the Markdown parser then finds, bodies that are not XML, the
 * sections messages name, and the [source "NAME"] config. */
#include <dirent.h>

#include "testutil.h"
#include "source/kind.h"

#define FIXDIR "tests/fixtures/storage"

/* [people] as the fixtures expect them. */
static struct cl_config *
people(void)
{
	struct cl_config *cfg = cl_config_new();

	ck_assert_ptr_nonnull(cfg);
	cl_config_set(cfg, "people", "alice", "Alice Doe <alice@example.com>");
	cl_config_set(cfg, "people", "alice.confluence", "557058:aaaa-1111");
	cl_config_set(cfg, "people", "bob", "Bob Roe <bob@example.com>");
	cl_config_set(cfg, "people", "bob.confluence", "bob.roe");
	cl_config_set(cfg, "people", "dana", "Dana <dana@example.com>");
	cl_config_set(cfg, "people", "dana.confluence", "8a7f808a8f2b5c6d018f2b5c7e1a0001");
	return cfg;
}

START_TEST(test_fixtures)
{
	struct cl_config *cfg = people();
	DIR *d = opendir(FIXDIR);
	struct dirent *de;
	int count = 0, failures = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		char xml[512], md[512], title[256], *text = NULL, *want = NULL, *got = NULL;
		size_t len = 0, wlen = 0, glen = 0, n = strlen(de->d_name), nl = 0;
		struct cl_error err = { 0 };
		char **sec = NULL;

		if (n < 5 || strcmp(de->d_name + n - 4, ".xml") != 0)
			continue;
		snprintf(xml, sizeof xml, FIXDIR "/%s", de->d_name);
		snprintf(md, sizeof md, FIXDIR "/%.*s.md", (int)(n - 4), de->d_name);
		snprintf(title, sizeof title, "Fixture %.*s", (int)(n - 4), de->d_name);
		ck_assert_int_eq(cl_read_file(&text, &len, xml, 1 << 20, &err), 0);
		ck_assert_msg(cl_storage_to_markdown(&got, &glen, &sec, &nl, text, len, title, cfg,
		                                     &err) == 0, "%s: %s", xml, err.msg);
		ck_assert_uint_eq(strlen(got), glen);
		if (getenv("CL_FIXTURE_REGEN")) {
			FILE *f = fopen(md, "w");
			ck_assert_ptr_nonnull(f);
			fputs(got, f);
			fclose(f);
		} else {
			ck_assert_msg(cl_read_file(&want, &wlen, md, 1 << 20, &err) == 0, "%s", err.msg);
			if (strcmp(want, got) != 0) {
				fprintf(stderr, "%s: Markdown differs from %s:\n%s\n", xml, md, got);
				failures++;
			}
		}
		cl_source_sections_free(sec, nl);
		free(text);
		free(want);
		free(got);
		count++;
	}
	closedir(d);
	cl_config_free(cfg);
	ck_assert_int_ge(count, 5);
	ck_assert_int_eq(failures, 0);
}
END_TEST

/* Converts a fixture and parses the result as the import does. */
static struct cl_pm_doc *
fixture_doc(const char *name, const struct cl_config *cfg, char ***sec, size_t *nl)
{
	char path[256], *text = NULL, *md = NULL;
	size_t len = 0, mlen = 0;
	struct cl_error err = { 0 };
	struct cl_pm_doc *doc = NULL;

	snprintf(path, sizeof path, FIXDIR "/%s.xml", name);
	ck_assert_int_eq(cl_read_file(&text, &len, path, 1 << 20, &err), 0);
	ck_assert_msg(cl_storage_to_markdown(&md, &mlen, sec, nl, text, len, "A page", cfg,
	                                     &err) == 0, "%s", err.msg);
	ck_assert_msg(cl_parse_document(&doc, md, mlen, CL_NO_DATE, &err) == 0, "%s", err.msg);
	free(text);
	free(md);
	return doc;
}

static const struct cl_pm_item *
item(const struct cl_pm_doc *doc, const char *action)
{
	size_t i;

	for (i = 0; i < doc->nitems; i++)
		if (strcmp(doc->items[i].action, action) == 0)
			return &doc->items[i];
	ck_abort_msg("no item '%s'", action);
	return NULL;
}

START_TEST(test_items)
{
	struct cl_config *cfg = people();
	char **sec = NULL;
	size_t nl = 0;
	struct cl_pm_doc *doc = fixture_doc("cloud-tasks", cfg, &sec, &nl);
	const struct cl_pm_item *it;
	struct cl_source_doc sd;
	char *where;

	ck_assert_int_eq(doc->incident_date, cl_days_from_civil(2024, 5, 1));
	ck_assert_str_eq(doc->severity, "SEV2");
	ck_assert_str_eq(doc->authors, "alice");
	ck_assert_uint_eq(doc->nitems, 5);
	it = item(doc, "Add an alert on 5xx rate");
	ck_assert_str_eq(it->owner, "alice");
	ck_assert_int_eq(it->due, cl_days_from_civil(2024, 5, 20));
	ck_assert_int_eq(it->done, 0);
	it = item(doc, "Roll back the | pipe config");
	ck_assert_str_eq(it->owner, "557058:ffff-9999");	/* unknown: the ID shown */
	ck_assert_str_eq(it->ticket, "OPS-12");
	ck_assert_int_eq(it->done, 1);
	it = item(doc, "Write the *runbook*");
	ck_assert_int_eq(it->done, 1);			/* status macro DONE */
	ck_assert_ptr_null(it->owner);
	it = item(doc, "Load-test the [cart] service");
	ck_assert_str_eq(it->ticket, "OPS-13");
	ck_assert_int_eq(it->done, 1);			/* status macro Complete */
	/* messages name the section, not a line */
	memset(&sd, 0, sizeof sd);
	sd.id = "https://wiki.example.invalid/wiki/spaces/SRE/pages/1";
	sd.title = "A page";
	sd.sections = sec;
	sd.nlines = nl;
	where = cl_source_where(&sd, item(doc, "Roll back the | pipe config")->line);
	ck_assert_str_eq(where, "A page (https://wiki.example.invalid/wiki/spaces/SRE/pages/1) "
	                        "\xe2\x80\xba Action items");
	free(where);
	where = cl_source_where(&sd, item(doc, "Load-test the [cart] service")->line);
	ck_assert_ptr_nonnull(strstr(where, "\xe2\x80\xba Follow-ups"));
	free(where);
	where = cl_source_where(&sd, 0);
	ck_assert_str_eq(where, "A page (https://wiki.example.invalid/wiki/spaces/SRE/pages/1)");
	free(where);
	cl_source_sections_free(sec, nl);
	cl_pm_doc_free(doc);

	/* Data Center: user keys and user names through NAME.confluence */
	doc = fixture_doc("dc-users", cfg, NULL, NULL);
	ck_assert_str_eq(item(doc, "to move the backups off the shared volume")->owner, "dana");
	ck_assert_str_eq(item(doc, "Test the restore path")->owner, "bob");
	ck_assert_str_eq(item(doc, "Nobody we know")->owner, "carol.x");
	ck_assert_int_eq(item(doc, "Parent task")->done, 1);
	ck_assert_str_eq(item(doc, "Child task")->owner, "bob");
	cl_pm_doc_free(doc);

	/* only the action section's tables, sub-sections and macros included */
	doc = fixture_doc("nested-sections", cfg, NULL, NULL);
	ck_assert_uint_eq(doc->nitems, 2);
	ck_assert_str_eq(item(doc, "Move to a pooler")->owner, "bob");
	ck_assert_str_eq(doc->severity, "SEV1");
	cl_pm_doc_free(doc);

	/* entities and CDATA come through as text, never as Markdown */
	doc = fixture_doc("entities-cdata", cfg, NULL, NULL);
	ck_assert_uint_eq(doc->nitems, 3);
	item(doc, "Fix the \xe2\x80\x98retry\xe2\x80\x99 loop \xe2\x80\x94 it spins\xe2\x80\xa6 "
	          "\xe2\x9c\x93 \xc2\xa9 <tag> &amp; a_b *c* `d` [e](f) #g ~h~ \\i");
	item(doc, "the <retry> policy & more update");
	cl_pm_doc_free(doc);
	cl_config_free(cfg);
}
END_TEST

START_TEST(test_not_xml)
{
	static const char *const bad[] = {
		"<p>unclosed",
		"<p>an &unknown; entity</p>",
		"<p>a</p></p>",
		"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><p>&e;</p>",
		"<p>\n\n<b></p>",
		NULL
	};
	struct cl_config *cfg = people();
	size_t i;

	for (i = 0; bad[i]; i++) {
		struct cl_error err = { 0 };
		char *md = (char *)"untouched";
		ck_assert_int_eq(cl_storage_to_markdown(&md, NULL, NULL, NULL, bad[i], strlen(bad[i]),
		                                        "T", cfg, &err), CL_EDATA);
		ck_assert_ptr_null(md);
		ck_assert_msg(strstr(err.msg, "storage format line") != NULL, "%s", err.msg);
	}
	{	/* the line named is the body's */
		struct cl_error err = { 0 };
		char *md = NULL;
		ck_assert_int_eq(cl_storage_to_markdown(&md, NULL, NULL, NULL, bad[4], strlen(bad[4]),
		                                        "T", cfg, &err), CL_EDATA);
		ck_assert_msg(strstr(err.msg, "line 3") != NULL, "%s", err.msg);
	}
	cl_config_free(cfg);
}
END_TEST

START_TEST(test_md_sections)
{
	struct cl_source_doc d;
	const char *body = "# Title\n\nintro\n## Action items\n| a |\n```\n# not\n```\n### Later ##\nx";

	memset(&d, 0, sizeof d);
	d.body = (char *)body;
	d.body_len = strlen(body);
	ck_assert_int_eq(cl_source_md_sections(&d), 0);
	ck_assert_uint_eq(d.nlines, 10);
	ck_assert_ptr_null(d.sections[0]);
	ck_assert_ptr_null(d.sections[2]);
	ck_assert_str_eq(d.sections[4], "Action items");
	ck_assert_str_eq(d.sections[6], "Action items");	/* in a code block */
	ck_assert_str_eq(d.sections[9], "Later");
	cl_source_sections_free(d.sections, d.nlines);
}
END_TEST

START_TEST(test_config)
{
	char *dir = tu_tmpdir(), path[512];
	struct cl_config *cfg = NULL;
	struct cl_source *src = NULL;
	struct cl_error err = { 0 };
	char **names = NULL;
	size_t n = 0;

	tu_write(dir, "ok.conf", "[source \"SRE-Wiki\"]\nkind = confluence\nurl = "
	         "https://acme.atlassian.net\nspace = SRE\nlabel = postmortem\nuser = a@b.c\n"
	         "token_env = CL_CHECK_SOURCE_NOT_SET\n\n[source \"gh\"]\nkind = github\n"
	         "project = acme/ops\n");
	snprintf(path, sizeof path, "%s/ok.conf", dir);
	ck_assert_msg(cl_config_load(&cfg, path, &err) == 0, "%s", err.msg);
	ck_assert(cl_source_configured(cfg, "sre-wiki"));
	ck_assert(cl_source_configured(cfg, "SRE-Wiki"));
	ck_assert(!cl_source_configured(cfg, "nope"));
	ck_assert(!cl_source_configured(cfg, "postmortems/"));
	ck_assert(cl_source_any(cfg));
	ck_assert_int_eq(cl_source_names(&names, &n, cfg, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(names[0], "sre-wiki");
	ck_assert_str_eq(names[1], "gh");
	cl_source_names_free(names, n);
	/* a token named but not there: a config error, before any request */
	ck_assert_int_eq(cl_source_open(&src, cfg, "sre-wiki", NULL, 0, &err), CL_ECONFIG);
	ck_assert_ptr_null(src);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_source_open(&src, cfg, "gh", NULL, 0, &err), CL_ECONFIG);
	ck_assert_msg(strstr(err.msg, "needs a token") != NULL, "%s", err.msg);
	cl_error_clear(&err);
	cl_config_free(cfg);
	cfg = NULL;
	/* an unknown kind is refused when the file is read, with file and line */
	tu_write(dir, "odd.conf", "[source \"odd\"]\nkind = wiki\n");
	snprintf(path, sizeof path, "%s/odd.conf", dir);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_config_load(&cfg, path, &err), CL_ECONFIG);
	ck_assert_msg(strstr(err.msg, "odd.conf:2: [source \"odd\"] kind: 'wiki' is not one of") !=
	              NULL, "%s", err.msg);
	cl_error_clear(&err);

	/* an unknown key in a source section is a warning naming file, line and
	 * the key meant */
	tu_write(dir, "bad.conf", "[source \"w\"]\nkind = confluence\nspaces = SRE\n");
	snprintf(path, sizeof path, "%s/bad.conf", dir);
	cl_error_clear(&err);
	ck_assert_msg(cl_config_load(&cfg, path, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(cl_config_warning_count(cfg), 1);
	ck_assert_msg(strstr(cl_config_warning(cfg, 0), ":3:") != NULL &&
	              strstr(cl_config_warning(cfg, 0), "spaces") != NULL &&
	              strstr(cl_config_warning(cfg, 0), "space") != NULL, "%s",
	              cl_config_warning(cfg, 0));
	cl_config_free(cfg);
	cfg = NULL;
	/* a [source] without a name is no source */
	tu_write(dir, "bare.conf", "[source]\nkind = confluence\n");
	snprintf(path, sizeof path, "%s/bare.conf", dir);
	ck_assert_msg(cl_config_load(&cfg, path, &err) == 0, "%s", err.msg);
	ck_assert(!cl_source_any(cfg));
	cl_config_free(cfg);

	ck_assert(cl_source_time_ms("2024-05-01T10:00:00.123Z") == 1714557600123LL);
	ck_assert(cl_source_time_ms("2024-05-01T10:00:00Z") == 1714557600000LL);
	ck_assert(cl_source_time_ms("soon") == -1);
	/* next links: credentials stay on the configured server */
	ck_assert(cl_source_same_server("https://h.example:8443/wiki/api/v2/x", "https://h.example:8443"));
	ck_assert(cl_source_same_server("https://api.github.com?page=2", "https://api.github.com"));
	ck_assert(!cl_source_same_server("https://h.example:84430/x", "https://h.example:8443"));
	ck_assert(!cl_source_same_server("https://api.github.com.evil.example/x", "https://api.github.com"));
	ck_assert(!cl_source_same_server("http://gl.example/api2", "http://gl.example/api"));
	ck_assert(!cl_source_same_server(NULL, "http://gl.example"));
	tu_rmtree(dir);
	free(dir);
}
END_TEST

/* Every allocation of a conversion failing in turn: CL_ENOMEM or the
 * clean result, never a partial text passed off as the page. */
START_TEST(test_torture)
{
	struct cl_config *cfg = people();
	char *text = NULL, *clean = NULL;
	size_t len = 0, clen = 0, nl = 0;
	struct cl_error err = { 0 };
	char **sec = NULL;
	long n;
	int done = 0;

	ck_assert_int_eq(cl_read_file(&text, &len, FIXDIR "/cloud-tasks.xml", 1 << 20, &err), 0);
	ck_assert_int_eq(cl_storage_to_markdown(&clean, &clen, &sec, &nl, text, len, "T", cfg,
	                                        &err), 0);
	cl_source_sections_free(sec, nl);
	for (n = 1; !done && n < 100000; n++) {
		char *md = NULL;
		long before = cl_alloc_failures();
		int rc;
		cl_error_clear(&err);
		sec = NULL;
		nl = 0;
		cl_alloc_fail_after(n);
		rc = cl_storage_to_markdown(&md, NULL, &sec, &nl, text, len, "T", cfg, &err);
		cl_alloc_fail_after(0);
		if (rc == 0) {
			ck_assert_str_eq(md, clean);
			done = cl_alloc_failures() == before;	/* the Nth was never reached */
		} else {
			ck_assert_msg(rc == CL_ENOMEM, "n=%ld: %d %s", n, rc, err.msg);
			ck_assert_ptr_null(md);
			ck_assert_ptr_null(sec);
		}
		cl_source_sections_free(sec, nl);
		free(md);
	}
	ck_assert(done);
	free(text);
	free(clean);
	cl_config_free(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("source");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_items);
	tcase_add_test(tc, test_not_xml);
	tcase_add_test(tc, test_md_sections);
	tcase_add_test(tc, test_config);
	tcase_add_test(tc, test_torture);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
