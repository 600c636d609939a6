/* github.c — GitHub (and GitHub Enterprise) REST issues backend.
 * url is the API root (https://api.github.com, https://host/api/v3),
 * project is owner/repo. No due-date field: sync keeps the date in the body.
 * The spec closeloop is validated against (Prism) has no comments endpoint,
 * so a closing comment goes into the body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "../dates.h"
#include "../http.h"
#include "../tracker.h"
#include "../util.h"

struct gh {
	char *repo_url;		/* <api>/repos/<owner>/<repo> */
	char *owner, *repo;
};

/* Sets up the headers GitHub asks for and the repository URL. */
static int
gh_init(struct cl_tracker *t, struct cl_error *err)
{
	struct gh *g;
	const char *slash = strchr(t->project, '/');
	char *auth, *eo, *er;
	int rc;

	if (slash == NULL || slash == t->project || slash[1] == '\0' || strchr(slash + 1, '/'))
		return cl_error_set(err, CL_ECONFIG, "[tracker] project '%s' is not owner/repo",
		                    t->project);
	if ((g = cl_calloc(1, sizeof *g)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = g;
	g->owner = cl_strndup(t->project, (size_t)(slash - t->project));
	g->repo = cl_strdup(slash + 1);
	if (g->owner == NULL || g->repo == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	eo = cl_http_escape(g->owner);
	er = cl_http_escape(g->repo);
	g->repo_url = eo && er ? cl_asprintf("%s/repos/%s/%s", t->url, eo, er) : NULL;
	free(eo);
	free(er);
	if (g->repo_url == NULL || (auth = cl_asprintf("Authorization: Bearer %s", t->token)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_add_header(t->http, auth, 1, err);
	cl_secret_free(auth);
	if (rc == 0)
		rc = cl_http_add_header(t->http, "Accept: application/vnd.github+json, "
		                        "application/json", 0, err);
	if (rc == 0)
		rc = cl_http_add_header(t->http, "X-GitHub-Api-Version: 2022-11-28", 0, err);
	return rc;
}

static void
gh_release(struct cl_tracker *t)
{
	struct gh *g = t->priv;

	if (g == NULL)
		return;
	free(g->repo_url);
	free(g->owner);
	free(g->repo);
	free(g);
	t->priv = NULL;
}

/* Fills a ticket from GitHub's issue object. */
static int
gh_ticket(struct cl_ticket *tk, json_t *j, struct cl_error *err)
{
	json_t *num = json_object_get(j, "number"), *as;
	const char *state = json_string_value(json_object_get(j, "state"));

	memset(tk, 0, sizeof *tk);
	if (!json_is_integer(num) || state == NULL)
		return cl_error_set(err, CL_EDATA, "GitHub answered an issue without number/state");
	tk->id = cl_asprintf("%lld", (long long)json_integer_value(num));
	tk->url = cl_tracker_jstr(j, "html_url");
	tk->title = cl_tracker_jstr(j, "title");
	tk->body = cl_tracker_jstr(j, "body");
	tk->state = strcmp(state, "closed") == 0 ? CL_TICKET_CLOSED : CL_TICKET_OPEN;
	as = json_object_get(j, "assignee");
	if (json_is_object(as))
		tk->assignee = cl_tracker_jstr(as, "login");
	else if ((as = json_array_get(json_object_get(j, "assignees"), 0)) != NULL)
		tk->assignee = cl_tracker_jstr(as, "login");
	tk->updated_at = cl_tracker_jstr(j, "updated_at");
	tk->closed_at = cl_tracker_jstr(j, "closed_at");
	if (tk->body)
		tk->marker = cl_tracker_marker_find(tk->body);
	if (json_is_object(as = json_object_get(j, "user")))
		tk->creator = cl_tracker_jstr(as, "login");
	if (tk->id == NULL) {
		cl_ticket_release(tk);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}


/* Builds the JSON body of a create or an update. */
static json_t *
gh_spec_json(struct cl_tracker *t, const struct cl_ticket_spec *s, unsigned mask)
{
	json_t *j = json_object(), *a;
	size_t i;

	if (j == NULL)
		return NULL;
	if ((mask & CL_SPEC_TITLE) && s->title)
		json_object_set_new(j, "title", json_string(s->title));
	if ((mask & CL_SPEC_BODY) && s->body)
		json_object_set_new(j, "body", json_string(s->body));
	if (mask & CL_SPEC_LABELS) {
		a = json_array();
		for (i = 0; i < s->nlabels; i++)
			json_array_append_new(a, json_string(s->labels[i]));
		json_object_set_new(j, "labels", a);
	}
	if ((mask & CL_SPEC_ASSIGNEE) && s->assignee) {
		a = json_array();
		json_array_append_new(a, json_string(s->assignee));
		json_object_set_new(j, "assignees", a);
	}
	(void)t;
	return j;
}

static int
gh_parse(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err)
{
	(void)ctx;
	return gh_ticket(out, json, err);
}

static int
gh_create(struct cl_tracker *t, struct cl_ticket *out, const struct cl_ticket_spec *spec,
          struct cl_error *err)
{
	struct gh *g = t->priv;
	struct cl_issue_call c = { 0 };
	json_t *body;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if ((url = cl_asprintf("%s/issues", g->repo_url)) == NULL ||
	    (body = gh_spec_json(t, spec, CL_SPEC_TITLE | CL_SPEC_BODY | CL_SPEC_ASSIGNEE |
	                         (spec->nlabels ? CL_SPEC_LABELS : 0))) == NULL) {
		free(url);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	c.method = "POST";
	c.url = url;
	c.what = "creating an issue";
	c.body = body;
	c.accept_201 = 1;
	c.missing = "repository";
	c.parse = gh_parse;
	rc = cl_tracker_issue_call(t, out, &c, NULL, err);
	json_decref(body);
	free(url);
	return rc;
}

/* One request on issue id (301: transferred, counts as gone); out may be NULL. */
static int
gh_call(struct cl_tracker *t, struct cl_ticket *out, const char *method, const char *id,
        json_t *body, long *gone_status, const char *what, struct cl_error *err)
{
	struct gh *g = t->priv;
	struct cl_issue_call c = { 0 };
	char *url;
	int rc;

	if ((c.url = url = cl_asprintf("%s/issues/%s", g->repo_url, id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = method;
	c.id = id;
	c.what = what;
	c.body = body;
	c.moved_is_gone = 1;
	c.parse = gh_parse;
	rc = cl_tracker_issue_call(t, out, &c, gone_status, err);
	free(url);
	return rc;
}

/* PATCH of one issue; out may be NULL. */
static int
gh_patch(struct cl_tracker *t, struct cl_ticket *out, const char *id, json_t *body,
         long *gone_status, const char *what, struct cl_error *err)
{
	return gh_call(t, out, "PATCH", id, body, gone_status, what, err);
}

static int
gh_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
          const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	json_t *body = gh_spec_json(t, spec, mask);
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (body == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = gh_patch(t, out, id, body, NULL, "updating an issue", err);
	json_decref(body);
	return rc;
}

static int
gh_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	json_t *body = json_object();
	int rc;

	if (body == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	json_object_set_new(body, "state", json_string(closed ? "closed" : "open"));
	json_object_set_new(body, "state_reason", json_string(!closed ? "reopened" :
	                    reason == CL_CLOSE_NOT_PLANNED ? "not_planned" : "completed"));
	if (comment && *comment) {
		char *nb = cl_asprintf("%s\n\n---\n%s", cur_body ? cur_body : "", comment);
		if (nb == NULL) {
			json_decref(body);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		json_object_set_new(body, "body", json_string(nb));
		free(nb);
	}
	rc = gh_patch(t, NULL, id, body, gone_status, closed ? "closing an issue" :
	              "reopening an issue", err);
	json_decref(body);
	return rc;
}

static int
gh_get(struct cl_tracker *t, struct cl_ticket *out, const char *id, long *gone_status,
       struct cl_error *err)
{
	memset(out, 0, sizeof *out);
	return gh_call(t, out, "GET", id, NULL, gone_status, "fetching an issue", err);
}

/* A listed issue; pull requests (listed with the issues) are skipped. */
static int
gh_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item, struct cl_error *err)
{
	(void)t;
	if (json_object_get(item, "pull_request"))
		return 1;
	return gh_ticket(out, item, err);
}

/* A failed list: an unknown repository is a configuration error. */
static int
gh_list_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
             struct cl_error *err)
{
	if (r->status == 404 || r->status == 410)
		return cl_error_set(err, CL_ECONFIG, "repository '%s' not found at %s (or the token "
		                    "cannot see it; HTTP %ld)", t->project, t->url, r->status);
	return cl_tracker_http_fail(t, r->status, r->body, what, err);
}

static const struct cl_tracker_list gh_issues = {
	.what = "listing issues",
	.paging = CL_PAGING_LINK,
	.ticket = gh_list_ticket,
	.fail = gh_list_fail,
};

/* Walks the issues updated at or after since (NULL: all), newest first. */
static int
gh_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
        struct cl_tracker_walk *w, struct cl_error *err)
{
	struct gh *g = t->priv;
	char *url, *esc = since && *since ? cl_http_escape(since) : NULL;
	int rc;

	url = cl_asprintf("%s/issues?state=all&sort=updated&direction=desc&per_page=100%s%s",
	                  g->repo_url, esc ? "&since=" : "", esc ? esc : "");
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, &gh_issues, w, err);
	free(url);
	return rc;
}

static int
gh_changes(struct cl_tracker *t, struct cl_ticket_list *out,
           const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
           int *not_modified, struct cl_error *err)
{
	return cl_tracker_pull_walk(t, out, in, next, not_modified, gh_list, err);
}

static int
gh_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                struct cl_error *err)
{
	return cl_tracker_find_walk(t, out, since, 3600, gh_list, err);
}

/* "#42", "42", "owner/repo#42", ".../owner/repo/issues/42". */
static int
gh_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	struct gh *g = t->priv;
	const char *p = ref, *num;
	size_t olen = strlen(g->owner), rlen = strlen(g->repo);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p == '#')
		p++;
	else if (strncasecmp(p, g->owner, olen) == 0 && p[olen] == '/' &&
	         strncasecmp(p + olen + 1, g->repo, rlen) == 0 && p[olen + 1 + rlen] == '#')
		p += olen + rlen + 2;
	else if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		const char *q = strstr(p, "://") + 3, *s;
		/* host, then /owner/repo/issues/N (Enterprise web URLs too) */
		if ((s = strchr(q, '/')) == NULL)
			return CL_ENOTFOUND;
		if (strncasecmp(s + 1, g->owner, olen) != 0 || s[1 + olen] != '/' ||
		    strncasecmp(s + 2 + olen, g->repo, rlen) != 0 ||
		    strncmp(s + 2 + olen + rlen, "/issues/", 8) != 0)
			return CL_ENOTFOUND;
		p = s + 2 + olen + rlen + 8;
	}
	num = p;
	while (*p >= '0' && *p <= '9')
		p++;
	while (*p == ' ' || *p == '/')
		p++;
	if (p == num || *p != '\0' || *num == '0')
		return CL_ENOTFOUND;
	*out = cl_strndup(num, strspn(num, "0123456789"));
	return *out ? 0 : CL_ENOMEM;
}

/* The login the token acts as (GET /user). */
static int
gh_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	static const char *const keys[] = { "login", NULL };

	return cl_tracker_get_valuef(t, out, keys, "asking GitHub who the token is", err,
	                             "%s/user", t->url);
}

const struct cl_tracker_ops cl_tracker_github = {
	.kind = "github",
	.caps = CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE | CL_TRACKER_CAP_CLOSE_REASON,
	.init = gh_init,
	.release = gh_release,
	.create = gh_create,
	.update = gh_update,
	.get = gh_get,
	.set_state = gh_set_state,
	.changes = gh_changes,
	.find_markers = gh_find_markers,
	.parse_ref = gh_parse_ref,
	.whoami = gh_whoami,
};
