/* check_tracker.c — tracker helpers: markers, references, cursors, errors,
 * opening from the config. No network. */
#include <jansson.h>

#include "testutil.h"

START_TEST(marker_find)
{
	char *k;

	k = cl_tracker_marker_find("text\n\n<!-- closeloop:db-2024.3 -->\n");
	ck_assert_str_eq(k, "db-2024.3");
	free(k);
	k = cl_tracker_marker_find("x\r\n  <!-- closeloop:a_b.1 -->\r\n");	/* CRLF, indent */
	ck_assert_str_eq(k, "a_b.1");
	free(k);
	/* the form older versions wrote, as a whole line */
	k = cl_tracker_marker_find("x\n\nTracked by closeloop, do not remove this line: "
	                           "closeloop:pm.2\n");
	ck_assert_str_eq(k, "pm.2");
	free(k);
	/* an action text naming another item is not a marker: closeloop's own
	 * line, written after it, is */
	k = cl_tracker_marker_find("Check closeloop:conf.2 first\n\n<!-- closeloop:conf.1 -->\n");
	ck_assert_str_eq(k, "conf.1");
	free(k);
	k = cl_tracker_marker_find("<!-- closeloop:conf.2 -->\n\nPost-mortem: x\n"
	                           "<!-- closeloop:conf.1 -->\n");
	ck_assert_str_eq(k, "conf.1");
	free(k);
	/* a marker anywhere but on a line of its own */
	ck_assert_ptr_null(cl_tracker_marker_find("hi closeloop:target.1"));
	ck_assert_ptr_null(cl_tracker_marker_find("see <!-- closeloop:target.1 --> here"));
	ck_assert_ptr_null(cl_tracker_marker_find("x: Tracked by closeloop, do not remove this "
	                                          "line: closeloop:t.1"));
	ck_assert_ptr_null(cl_tracker_marker_find("<!-- closeloop:a b -->"));
	ck_assert_ptr_null(cl_tracker_marker_find("<!-- closeloop: -->"));
	ck_assert_ptr_null(cl_tracker_marker_find("no marker closeloop: here"));
	ck_assert_ptr_null(cl_tracker_marker_find(""));
	k = cl_tracker_marker_line("pm.7");
	ck_assert_str_eq(k, "<!-- closeloop:pm.7 -->");
	free(k);
}
END_TEST

/* Opens a tracker from an in-memory config. */
static int
open_tracker(struct cl_tracker **t, const char *kind, const char *url, const char *project,
             struct cl_error *err)
{
	struct cl_config *cfg = cl_config_new();
	int rc;

	setenv("CLTEST_TOKEN", "tok-123", 1);
	cl_config_set(cfg, "tracker", "kind", kind);
	if (url)
		cl_config_set(cfg, "tracker", "url", url);
	if (project)
		cl_config_set(cfg, "tracker", "project", project);
	cl_config_set(cfg, "tracker", "token_env", "CLTEST_TOKEN");
	rc = cl_tracker_open(t, cfg, 0, err);
	if (rc == 0)
		(*t)->cfg = NULL;	/* not used after open in these tests */
	cl_config_free(cfg);
	return rc;
}

START_TEST(open_and_config_errors)
{
	struct cl_tracker *t = NULL;
	struct cl_error err = { 0 };

	ck_assert_int_eq(open_tracker(&t, "github", NULL, "acme/ops", &err), 0);
	ck_assert_str_eq(t->url, "https://api.github.com");
	ck_assert_int_eq(t->min_interval_ms, 1000);	/* GitHub asks for paced writes */
	ck_assert_int_eq((int)t->nlabels, 2);
	ck_assert_str_eq(t->labels[0], "postmortem");
	ck_assert_str_eq(t->ident, "github https://api.github.com acme/ops");
	cl_tracker_free(t);
	t = NULL;
	ck_assert_int_eq(open_tracker(&t, "github", NULL, "acme", &err), CL_ECONFIG);
	cl_error_clear(&err);
	ck_assert_int_eq(open_tracker(&t, "redmine", NULL, "ops", &err), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "url"));
	cl_error_clear(&err);
	ck_assert_int_eq(open_tracker(&t, "jira-ish", "https://x", "ops", &err), CL_ECONFIG);
	cl_error_clear(&err);
	ck_assert_int_eq(open_tracker(&t, "redmine", "ftp://x", "ops", &err), CL_ECONFIG);
	cl_error_clear(&err);
	ck_assert_int_eq(open_tracker(&t, "none", NULL, NULL, &err), CL_ENOTFOUND);
	ck_assert_int_eq(open_tracker(&t, "redmine", "https://rm.example/", "ops", &err), 0);
	ck_assert_str_eq(t->url, "https://rm.example");
	ck_assert_int_eq(t->min_interval_ms, 0);
	ck_assert(t->ops->caps & CL_TRACKER_CAP_DUE_DATE);
	ck_assert(!(cl_tracker_github.caps & CL_TRACKER_CAP_DUE_DATE));
	cl_tracker_free(t);
}
END_TEST

START_TEST(parse_refs)
{
	struct cl_tracker *t = NULL;
	struct cl_error err = { 0 };
	char *id = NULL;

	ck_assert_int_eq(open_tracker(&t, "github", NULL, "Acme/Ops", &err), 0);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "#42"), 0);
	ck_assert_str_eq(id, "42");
	free(id);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "acme/ops#7"), 0);
	ck_assert_str_eq(id, "7");
	free(id);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "https://github.com/acme/ops/issues/9"), 0);
	ck_assert_str_eq(id, "9");
	free(id);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "https://github.com/other/ops/issues/9"),
	                 CL_ENOTFOUND);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "OPS-12"), CL_ENOTFOUND);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "Bug 5554823"), CL_ENOTFOUND);
	cl_tracker_free(t);
	t = NULL;
	ck_assert_int_eq(open_tracker(&t, "redmine", "https://rm.example", "ops", &err), 0);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "https://rm.example/issues/31"), 0);
	ck_assert_str_eq(id, "31");
	free(id);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "#5"), 0);
	ck_assert_str_eq(id, "5");
	free(id);
	ck_assert_int_eq(t->ops->parse_ref(t, &id, "https://elsewhere/issues/31"), CL_ENOTFOUND);
	cl_tracker_free(t);
}
END_TEST

START_TEST(cursor_next)
{
	struct cl_tracker_cursor in = { NULL, NULL }, next;

	/* first pull, answer dated long after the newest change: move past it */
	ck_assert_int_eq(cl_tracker_cursor_next(&next, &in, "2024-03-20T09:00:00Z",
	                 "Wed, 20 Mar 2024 09:05:00 GMT", strdup("W/\"a\"")), 0);
	ck_assert_str_eq(next.since, "2024-03-20T09:00:01Z");
	ck_assert_ptr_null(next.etag);	/* a different question next time */
	cl_tracker_cursor_release(&next);
	/* the newest change is in the answer's second: stay inclusive */
	in.since = "2024-03-20T09:00:00Z";
	ck_assert_int_eq(cl_tracker_cursor_next(&next, &in, "2024-03-20T09:00:00Z",
	                 "Wed, 20 Mar 2024 09:00:00 GMT", strdup("W/\"b\"")), 0);
	ck_assert_str_eq(next.since, "2024-03-20T09:00:00Z");
	ck_assert_str_eq(next.etag, "W/\"b\"");
	cl_tracker_cursor_release(&next);
	/* nothing seen: same cursor, validator kept */
	ck_assert_int_eq(cl_tracker_cursor_next(&next, &in, NULL, NULL, strdup("W/\"c\"")), 0);
	ck_assert_str_eq(next.since, "2024-03-20T09:00:00Z");
	ck_assert_str_eq(next.etag, "W/\"c\"");
	cl_tracker_cursor_release(&next);
}
END_TEST

/* The engine's dialect pieces: every vendor's error body read, JSON paths,
 * URL templates with the project's parts escaped. */
START_TEST(dialect_pieces)
{
	struct cl_tracker t;
	char msg[256], *v;
	json_t *j;

	cl_tracker_error_text("{\"message\":{\"title\":[\"is too long\"],\"due_date\":\"bad\"}}",
	                      msg, sizeof msg);
	ck_assert_ptr_nonnull(strstr(msg, "title is too long"));
	ck_assert_ptr_nonnull(strstr(msg, "due_date bad"));
	cl_tracker_error_text("{\"error\":\"invalid_token\"}", msg, sizeof msg);
	ck_assert_str_eq(msg, "invalid_token");
	cl_tracker_error_text("{\"errorMessages\":[\"Issue does not exist\"],\"errors\":"
	                      "{\"summary\":\"You must specify a summary\"}}", msg, sizeof msg);
	ck_assert_str_eq(msg, "Issue does not exist; summary: You must specify a summary");
	j = json_loads("{\"assignees\":[{\"login\":\"ann\"}],\"user\":{\"id\":7}}", 0, NULL);
	ck_assert_str_eq(v = cl_tracker_jpath(j, "assignees.0.login"), "ann");
	free(v);
	ck_assert_str_eq(v = cl_tracker_jpath(j, "user.id"), "7");
	free(v);
	ck_assert_ptr_null(cl_tracker_jpath(j, "assignees.1.login"));
	ck_assert_ptr_null(cl_tracker_jpath(j, "user"));
	json_decref(j);
	memset(&t, 0, sizeof t);
	t.url = "https://git.example";
	t.project = "ac me/o&ps";
	ck_assert_str_eq(v = cl_tracker_url(&t, "{url}/repos/{owner}/{repo}/issues/{id}", "4"),
	                 "https://git.example/repos/ac%20me/o%26ps/issues/4");
	free(v);
	ck_assert_str_eq(v = cl_tracker_url(&t, "{base}?p={project}", NULL),
	                 "https://git.example?p=ac%20me%2Fo%26ps");
	free(v);
}
END_TEST

START_TEST(http_fail_codes)
{
	struct cl_tracker t;
	struct cl_error err = { 0 };

	memset(&t, 0, sizeof t);
	t.url = "https://api.example";
	ck_assert_int_eq(cl_tracker_http_fail(&t, 401, "{\"message\":\"Bad credentials\"}", "x",
	                 &err), CL_ENOPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "Bad credentials"));
	ck_assert_int_eq(cl_exitcode(err.code), 77);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_tracker_http_fail(&t, 422, "{\"errors\":[\"Subject cannot be blank\"]}",
	                 "creating", &err), CL_EDATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "Subject cannot be blank"));
	cl_error_clear(&err);
	ck_assert_int_eq(cl_tracker_http_fail(&t, 503, "", "x", &err), CL_ETEMPFAIL);
	cl_error_clear(&err);
	ck_assert_int_eq(cl_tracker_http_fail(&t, 418, "not json", "x", &err), CL_EUNAVAIL);
}


/* The answers of cl_tracker_issue_call, through each backend, with the
 * HTTP responder seam in place of a server. */
struct canned {
	long status;
	const char *body;
};

static int
canned_answer(void *arg, const char *method, const char *url, const char *body,
              long *status, const char **head, size_t *head_len, const char **resp,
              size_t *resp_len)
{
	struct canned *c = arg;

	(void)method;
	(void)url;
	(void)body;
	*status = c->status;
	*head = "";
	*head_len = 0;
	*resp = c->body;
	*resp_len = strlen(c->body);
	return 0;
}

static int
canned_get(const char *kind, long status, const char *body, long *gone, struct cl_ticket *tk,
           struct cl_error *err)
{
	struct cl_config *cfg = cl_config_new();
	struct cl_tracker *t = NULL;
	struct canned c = { status, body };
	int rc;

	cl_config_set(cfg, "tracker", "kind", kind);
	cl_config_set(cfg, "tracker", "url", "http://127.0.0.1:9");
	cl_config_set(cfg, "tracker", "project", "acme/ops");
	cl_config_set(cfg, "tracker", "token", "t");
	cl_config_set(cfg, "tracker", "retries", "0");
	cl_config_set(cfg, "tracker", "max_wait_s", "0");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, err), 0);
	cl_http_set_responder(canned_answer, &c);
	rc = t->ops->get(t, tk, "42", gone, err);
	cl_http_set_responder(NULL, NULL);
	cl_tracker_free(t);
	cl_config_free(cfg);
	return rc;
}

START_TEST(issue_call_answers)
{
	struct cl_error err = { 0 };
	struct cl_ticket tk;
	long gone = -1;

	/* an issue */
	ck_assert_int_eq(canned_get("github", 200, "{\"number\":42,\"state\":\"open\","
	                            "\"title\":\"x\",\"body\":\"<!-- closeloop:pm.1 -->\",\"user\":"
	                            "{\"login\":\"bot\"}}", &gone, &tk,
	                            &err), 0);
	ck_assert_str_eq(tk.id, "42");
	ck_assert_str_eq(tk.marker, "pm.1");
	ck_assert_str_eq(tk.creator, "bot");
	ck_assert_int_eq(gone, 0);
	cl_ticket_release(&tk);
	/* GitHub: transferred is gone; GitLab: 301 is not */
	cl_error_clear(&err);
	ck_assert_int_eq(canned_get("github", 301, "", &gone, &tk, &err), CL_ENOTFOUND);
	ck_assert_int_eq(gone, 301);
	ck_assert_ptr_nonnull(strstr(err.msg, "transferred"));
	cl_ticket_release(&tk);
	cl_error_clear(&err);
	ck_assert_int_ne(canned_get("gitlab", 301, "", &gone, &tk, &err), CL_ENOTFOUND);
	ck_assert_int_eq(gone, 0);
	cl_ticket_release(&tk);
	/* deleted */
	cl_error_clear(&err);
	ck_assert_int_eq(canned_get("gitea", 410, "", &gone, &tk, &err), CL_ENOTFOUND);
	ck_assert_int_eq(gone, 410);
	ck_assert_ptr_nonnull(strstr(err.msg, "deleted"));
	cl_ticket_release(&tk);
	/* Gitea: a pull request under that number is not an issue of ours */
	cl_error_clear(&err);
	ck_assert_int_eq(canned_get("gitea", 200, "{\"number\":42,\"state\":\"open\","
	                            "\"pull_request\":{\"merged\":false}}", &gone, &tk, &err),
	                 CL_ENOTFOUND);
	ck_assert_int_eq(gone, 404);
	ck_assert_ptr_nonnull(strstr(err.msg, "pull request"));
	cl_ticket_release(&tk);
	/* anything else: the backend's failure mapping (401 → permission) */
	cl_error_clear(&err);
	ck_assert_int_eq(canned_get("gitlab", 401, "{\"message\":\"401 Unauthorized\"}", &gone,
	                            &tk, &err), CL_ENOPERM);
	cl_ticket_release(&tk);
}
END_TEST
END_TEST

/* A tracker that pages badly: every list answer carries one issue and a
 * next page chosen by mode; the URLs asked for are counted. */
struct pager_srv {
	const char *mode;	/* "elsewhere", "cleartext", "self", "jira-token", "endless" */
	char head[512], body[512], last[512];
	int requests, foreign;
	const char *origin;
};

static int
pager_answer(void *arg, const char *method, const char *url, const char *body,
             long *status, const char **head, size_t *head_len, const char **resp,
             size_t *resp_len)
{
	struct pager_srv *p = arg;
	const char *issue = strstr(url, "/rest/api/") ? "{\"issues\":[{\"key\":\"OPS-1\","
	                    "\"fields\":{\"summary\":\"x\",\"status\":{\"statusCategory\":"
	                    "{\"key\":\"new\"}},\"updated\":\"2024-01-01T00:00:00.000+0000\"}}],"
	                    "\"nextPageToken\":\"T\",\"isLast\":false}" :
	                    strstr(url, "/api/v4/") ? "[{\"iid\":1,\"state\":\"opened\"}]" :
	                    "[{\"number\":1,\"state\":\"open\"}]";

	(void)method;
	(void)body;
	p->requests++;
	if (strncmp(url, p->origin, strlen(p->origin)) != 0)
		p->foreign++;
	snprintf(p->last, sizeof p->last, "%s", url);
	*status = 200;
	if (strcmp(p->mode, "elsewhere") == 0)
		snprintf(p->head, sizeof p->head, "Link: <http://127.0.0.1:10/x?page=2>; rel=\"next\"\n");
	else if (strcmp(p->mode, "cleartext") == 0)
		snprintf(p->head, sizeof p->head, "Link: <http://127.0.0.1:9/x?page=2>; rel=\"next\"\n");
	else if (strcmp(p->mode, "self") == 0)
		snprintf(p->head, sizeof p->head, "Link: <%s>; rel=\"next\"\n", url);
	else if (strcmp(p->mode, "endless") == 0)
		snprintf(p->head, sizeof p->head, "Link: <%s/x?page=%d>; rel=\"next\"\n", p->origin,
		         p->requests + 1);
	else
		p->head[0] = '\0';
	snprintf(p->body, sizeof p->body, "%s", strstr(url, "/labels") ? "[]" : issue);
	*head = p->head;
	*head_len = strlen(p->head);
	*resp = p->body;
	*resp_len = strlen(p->body);
	return 0;
}

/* Pulls changes from kind at url through a pager_srv in mode. */
static int
pager_pull(const char *kind, const char *url, const char *project, const char *mode,
           struct pager_srv *p, struct cl_error *err)
{
	struct cl_config *cfg = cl_config_new();
	struct cl_tracker *t = NULL;
	struct cl_ticket_list l = { NULL, 0, 0 };
	struct cl_tracker_cursor in = { NULL, NULL }, next = { NULL, NULL };
	int rc, nm = 0;

	memset(p, 0, sizeof *p);
	p->mode = mode;
	p->origin = url;
	cl_config_set(cfg, "tracker", "kind", kind);
	cl_config_set(cfg, "tracker", "url", url);
	cl_config_set(cfg, "tracker", "project", project);
	cl_config_set(cfg, "tracker", "token", "t");
	cl_config_set(cfg, "tracker", "user", "bot@example.com");
	cl_config_set(cfg, "tracker", "timezone", "UTC");
	cl_config_set(cfg, "tracker", "retries", "0");
	cl_config_set(cfg, "tracker", "max_wait_s", "0");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, err), 0);
	cl_http_set_responder(pager_answer, p);
	rc = t->ops->changes(t, &l, &in, &next, &nm, err);
	cl_http_set_responder(NULL, NULL);
	cl_ticket_list_release(&l);
	cl_tracker_cursor_release(&next);
	cl_tracker_free(t);
	cl_config_free(cfg);
	return rc;
}

START_TEST(paging_policy)
{
	static const char *const kinds[][3] = {
		{ "github", "https://127.0.0.1:9", "acme/ops" },
		{ "gitlab", "https://127.0.0.1:9/api/v4", "acme/ops" },
		{ "gitea", "https://127.0.0.1:9/api/v1", "acme/ops" },
	};
	struct cl_error err = { 0 };
	struct pager_srv p;
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		/* another port: the token never goes there, the walk stops */
		ck_assert_int_eq(pager_pull(kinds[i][0], kinds[i][1], kinds[i][2], "elsewhere", &p,
		                            &err), CL_EDATA);
		ck_assert_msg(strstr(err.msg, "outside the tracker's origin") != NULL, "%s: %s",
		              kinds[i][0], err.msg);
		ck_assert_int_eq(p.foreign, 0);
		cl_error_clear(&err);
		/* https to http on the same host and port is another origin */
		ck_assert_int_eq(pager_pull(kinds[i][0], kinds[i][1], kinds[i][2], "cleartext", &p,
		                            &err), CL_EDATA);
		ck_assert_int_eq(p.foreign, 0);
		cl_error_clear(&err);
		/* a page that names itself as next: stopped at once */
		ck_assert_int_eq(pager_pull(kinds[i][0], kinds[i][1], kinds[i][2], "self", &p,
		                            &err), CL_EDATA);
		ck_assert_msg(strstr(err.msg, "points back") != NULL, "%s: %s", kinds[i][0], err.msg);
		ck_assert_int_le(p.requests, 2);	/* Gitea's labels, then one page */
		cl_error_clear(&err);
	}
	/* Jira Cloud: a nextPageToken that never changes */
	ck_assert_int_eq(pager_pull("jira", "https://127.0.0.1:9", "OPS", "jira-token", &p, &err),
	                 CL_EDATA);
	ck_assert_msg(strstr(err.msg, "points back") != NULL, "%s", err.msg);
	ck_assert_int_le(p.requests, 3);	/* first page, token T, then T again refused */
	cl_error_clear(&err);
	/* endless distinct pages: the one cap */
	ck_assert_int_eq(pager_pull("github", "https://127.0.0.1:9", "acme/ops", "endless", &p,
	                            &err), CL_EDATA);
	ck_assert_msg(strstr(err.msg, "more than 10000 pages") != NULL, "%s", err.msg);
	ck_assert_int_eq(p.requests, CL_TRACKER_MAX_PAGES);
	cl_error_clear(&err);
}
END_TEST

/* An http:// URL to another host needs allow_http = yes; a secret with a
 * line break is refused. */
START_TEST(cleartext_and_secrets)
{
	struct cl_config *cfg = cl_config_new();
	struct cl_tracker *t = NULL;
	struct cl_error err = { 0 };

	cl_config_set(cfg, "tracker", "kind", "github");
	cl_config_set(cfg, "tracker", "url", "http://tracker.example.com");
	cl_config_set(cfg, "tracker", "project", "acme/ops");
	cl_config_set(cfg, "tracker", "token", "t");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, &err), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "allow_http"));
	cl_error_clear(&err);
	cl_config_set(cfg, "tracker", "allow_http", "yes");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, &err), 0);
	cl_tracker_free(t);
	t = NULL;
	cl_config_set(cfg, "tracker", "url", "http://localhost:8080");
	cl_config_set(cfg, "tracker", "allow_http", "no");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, &err), 0);	/* loopback */
	cl_tracker_free(t);
	t = NULL;
	cl_config_set(cfg, "tracker", "token", "x\nX-Injected: yes");
	ck_assert_int_eq(cl_tracker_open(&t, cfg, 0, &err), CL_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "control character"));
	ck_assert_ptr_null(strstr(err.msg, "Injected"));
	cl_error_clear(&err);
	cl_config_free(cfg);
}
END_TEST

static Suite *
tracker_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc = tcase_create("tracker");

	tcase_add_test(tc, marker_find);
	tcase_add_test(tc, open_and_config_errors);
	tcase_add_test(tc, parse_refs);
	tcase_add_test(tc, cursor_next);
	tcase_add_test(tc, http_fail_codes);
	tcase_add_test(tc, dialect_pieces);
	tcase_add_test(tc, issue_call_answers);
	tcase_add_test(tc, paging_policy);
	tcase_add_test(tc, cleartext_and_secrets);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(tracker_suite());
}
