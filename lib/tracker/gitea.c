/* gitea.c — Gitea and Forgejo REST issues backend (/api/v1).
 * url is the instance root (https://gitea.example.com; a trailing /api/v1 is
 * accepted), project owner/repo. GitHub-like, with `Authorization: token`,
 * a native due date and labels given to create by numeric id: the ids are
 * looked up by name once per run (created when missing). Comments are issue
 * comments. No close reason: a withdrawn item is closed with a comment.
 *
 * Due dates are instants shown as a date in the server's zone: Gitea keeps
 * a create's as sent and moves an edit's to 23:59:59 of its date in the zone
 * sent (the web UI uses 23:59:59 in the server's zone). closeloop learns the
 * server's UTC offset from the times in its answers and sends
 * YYYY-MM-DDT23:59:59<offset>, as the web UI would (noon UTC before any
 * answer was seen, then corrects the date once if the answer shows another
 * day), and reads back the date part as written, i.e. the day people see.
 */
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

struct gt_label {
	char *name;
	long long id;
};

struct gt {
	char *repo_url;		/* <url>/api/v1/repos/<owner>/<repo> */
	char *owner, *repo;
	struct gt_label *labels;
	size_t nlabels, labels_cap;
	int labels_loaded;
	char tz[8];		/* the server's offset ("+02:00", "Z"); "" unknown */
};

/* Learns the server's UTC offset from a time it wrote. */
static void
gt_learn_tz(struct gt *g, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 20 || s[10] != 'T')
		return;
	if (s[n - 1] == 'Z')
		snprintf(g->tz, sizeof g->tz, "Z");
	else if (n >= 25 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':')
		snprintf(g->tz, sizeof g->tz, "%s", s + n - 6);
}

/* The due_date value for a day. */
static char *
gt_due_value(struct gt *g, const char *day)
{
	if (g->tz[0])
		return cl_asprintf("%sT23:59:59%s", day, g->tz);
	return cl_asprintf("%sT12:00:00Z", day);
}

static int
gt_init(struct cl_tracker *t, struct cl_error *err)
{
	struct gt *g;
	const char *slash = strchr(t->project, '/');
	char *auth, *eo, *er;
	size_t n = strlen(t->url);
	int rc;

	if (slash == NULL || slash == t->project || slash[1] == '\0' || strchr(slash + 1, '/'))
		return cl_error_set(err, CL_ECONFIG, "[tracker] project '%s' is not owner/repo",
		                    t->project);
	if ((g = cl_calloc(1, sizeof *g)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = g;
	if (n >= 7 && strcmp(t->url + n - 7, "/api/v1") == 0)
		t->url[n - 7] = '\0';
	g->owner = cl_strndup(t->project, (size_t)(slash - t->project));
	g->repo = cl_strdup(slash + 1);
	if (g->owner == NULL || g->repo == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	eo = cl_http_escape(g->owner);
	er = cl_http_escape(g->repo);
	g->repo_url = eo && er ? cl_asprintf("%s/api/v1/repos/%s/%s", t->url, eo, er) : NULL;
	free(eo);
	free(er);
	if (g->repo_url == NULL || (auth = cl_asprintf("Authorization: token %s", t->token)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_add_header(t->http, auth, 1, err);
	cl_secret_free(auth);
	if (rc == 0)
		rc = cl_http_add_header(t->http, "Accept: application/json", 0, err);
	cl_http_set_rate_wait(t->http, 2);
	return rc;
}

static void
gt_release(struct cl_tracker *t)
{
	struct gt *g = t->priv;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nlabels; i++)
		free(g->labels[i].name);
	free(g->labels);
	free(g->repo_url);
	free(g->owner);
	free(g->repo);
	free(g);
	t->priv = NULL;
}

/* An RFC 3339 time as UTC "…Z" (the cursor compares them as text). */
static char *
utc_dup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	char out[21];
	time_t ts;

	if (s == NULL)
		return NULL;
	if (cl_time_parse(s, &ts) != 0)
		return cl_strdup(s);
	cl_time_format_utc(ts, out);
	return cl_strdup(out);
}

/* The day of an answer's due_date, as the server shows it. */
static char *
gt_due(const char *s)
{
	time_t ts;

	if (s == NULL || strlen(s) < 10 || cl_time_parse(s, &ts) != 0)
		return NULL;
	return cl_strndup(s, 10);
}

static int
gt_ticket(struct gt *g, struct cl_ticket *tk, json_t *j, struct cl_error *err)
{
	json_t *num = json_object_get(j, "number"), *as;
	const char *state = json_string_value(json_object_get(j, "state"));

	memset(tk, 0, sizeof *tk);
	if (!json_is_integer(num) || state == NULL)
		return cl_error_set(err, CL_EDATA, "Gitea answered an issue without number/state");
	tk->id = cl_asprintf("%lld", (long long)json_integer_value(num));
	tk->url = cl_tracker_jstr(j, "html_url");
	tk->title = cl_tracker_jstr(j, "title");
	tk->body = cl_tracker_jstr(j, "body");
	tk->state = strcmp(state, "closed") == 0 ? CL_TICKET_CLOSED : CL_TICKET_OPEN;
	if ((as = json_array_get(json_object_get(j, "assignees"), 0)) != NULL)
		tk->assignee = cl_tracker_jstr(as, "login");
	else if (json_is_object(as = json_object_get(j, "assignee")))
		tk->assignee = cl_tracker_jstr(as, "login");
	tk->due = gt_due(json_string_value(json_object_get(j, "due_date")));
	gt_learn_tz(g, json_string_value(json_object_get(j, "updated_at")));
	tk->updated_at = utc_dup(j, "updated_at");
	tk->closed_at = utc_dup(j, "closed_at");
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


static int
gt_repo_missing(struct cl_tracker *t, struct cl_error *err)
{
	return cl_error_set(err, CL_ECONFIG, "repository '%s' not found at %s (or the token "
	                    "cannot see it)", t->project, t->url);
}

/* A failed list: an unknown repository is a configuration error. */
static int
gt_list_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
             struct cl_error *err)
{
	if (r->status == 404)
		return gt_repo_missing(t, err);
	return cl_tracker_http_fail(t, r->status, r->body, what, err);
}

/* One listed label into the cache (entries without a name and id skipped). */
static int
gt_label_item(struct cl_tracker *t, void *item, struct cl_error *err)
{
	struct gt *g = t->priv;
	struct gt_label *nl;
	json_t *l = item;

	if (!json_is_string(json_object_get(l, "name")) ||
	    !json_is_integer(json_object_get(l, "id")))
		return 0;
	if (cl_grow(&g->labels, &g->labels_cap, g->nlabels, sizeof *g->labels, 16) != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	nl = g->labels;
	if ((nl[g->nlabels].name = cl_tracker_jstr(l, "name")) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	nl[g->nlabels++].id = (long long)json_integer_value(json_object_get(l, "id"));
	return 0;
}

static const struct cl_tracker_list gt_labels = {
	.what = "listing labels",
	.paging = CL_PAGING_LINK,
	.item = gt_label_item,
	.fail = gt_list_fail,
};

/* Loads the repository's labels (all pages) once per run. */
static int
gt_load_labels(struct cl_tracker *t, struct cl_error *err)
{
	struct gt *g = t->priv;
	struct cl_tracker_walk w = { 0 };
	char *url;
	int rc;

	if (g->labels_loaded)
		return 0;
	if ((url = cl_asprintf("%s/labels?limit=50", g->repo_url)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w.url = url;
	rc = cl_tracker_walk(t, NULL, &gt_labels, &w, err);
	cl_tracker_walk_release(&w);
	free(url);
	if (rc == 0)
		g->labels_loaded = 1;
	return rc;
}

/* The id of a label by name, created when the repository lacks it. */
static int
gt_label_id(struct cl_tracker *t, long long *id, const char *name, struct cl_error *err)
{
	struct gt *g = t->priv;
	struct cl_http_response *r = NULL;
	struct gt_label *nl;
	json_t *body, *ans = NULL;
	char *url;
	size_t i;
	int rc;

	if ((rc = gt_load_labels(t, err)) != 0)
		return rc;
	for (i = 0; i < g->nlabels; i++)
		if (strcasecmp(g->labels[i].name, name) == 0) {
			*id = g->labels[i].id;
			return 0;
		}
	if ((url = cl_asprintf("%s/labels", g->repo_url)) == NULL ||
	    (body = json_pack("{s:s,s:s,s:s}", "name", name, "color", "#ededed",
	                      "description", "closeloop")) == NULL) {
		free(url);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	rc = cl_http_json(t->http, &r, (void **)&ans, "POST", url, body, NULL, err);
	json_decref(body);
	free(url);
	if (rc != 0)
		return rc;
	if ((r->status == 201 || r->status == 200) && json_is_integer(json_object_get(ans, "id"))) {
		*id = (long long)json_integer_value(json_object_get(ans, "id"));
		if (cl_grow(&g->labels, &g->labels_cap, g->nlabels, sizeof *g->labels, 16) != 0 ||
		    (nl = g->labels, (nl[g->nlabels].name = cl_strdup(name)) == NULL))
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		else
			nl[g->nlabels++].id = *id;
	} else if (r->status == 404) {
		rc = gt_repo_missing(t, err);
	} else {
		rc = cl_tracker_http_fail(t, r->status, r->body, "creating a label", err);
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* Builds the JSON body of a create or an update (labels: create only). */
static int
gt_spec_json(struct cl_tracker *t, json_t **out, const struct cl_ticket_spec *s,
             unsigned mask, int create, struct cl_error *err)
{
	json_t *j = json_object();
	size_t i;
	int rc;

	*out = NULL;
	if (j == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if ((mask & CL_SPEC_TITLE) && s->title)
		json_object_set_new(j, "title", json_string(s->title));
	if ((mask & CL_SPEC_BODY) && s->body)
		json_object_set_new(j, "body", json_string(s->body));
	if ((mask & CL_SPEC_LABELS) && create) {
		json_t *a = json_array();
		for (i = 0; i < s->nlabels; i++) {
			long long id = 0;
			if ((rc = gt_label_id(t, &id, s->labels[i], err)) != 0) {
				json_decref(a);
				json_decref(j);
				return rc;
			}
			json_array_append_new(a, json_integer((json_int_t)id));
		}
		json_object_set_new(j, "labels", a);
	}
	if ((mask & CL_SPEC_ASSIGNEE) && s->assignee)
		json_object_set_new(j, "assignees", json_pack("[s]", s->assignee));
	if (mask & CL_SPEC_DUE) {
		if (s->due) {
			char *d = gt_due_value(t->priv, s->due);
			if (d == NULL) {
				json_decref(j);
				return cl_error_set(err, CL_ENOMEM, "out of memory");
			}
			json_object_set_new(j, "due_date", json_string(d));
			free(d);
		} else if (!create) {
			json_object_set_new(j, "unset_due_date", json_true());
		}
	}
	*out = j;
	return 0;
}

static int gt_patch(struct cl_tracker *t, struct cl_ticket *out, const char *id, json_t *body,
                    long *gone_status, const char *what, struct cl_error *err);

/* Sends the due date again when the answer shows another day (the server's
 * zone was not known yet); tk is replaced by the new answer. */
static int
gt_fix_due(struct cl_tracker *t, struct cl_ticket *tk, const char *day, struct cl_error *err)
{
	struct cl_ticket fixed;
	json_t *body;
	char *v;
	int rc;

	if (day == NULL || (tk->due && strcmp(tk->due, day) == 0))
		return 0;
	if ((v = gt_due_value(t->priv, day)) == NULL ||
	    (body = json_pack("{s:s}", "due_date", v)) == NULL) {
		free(v);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(v);
	memset(&fixed, 0, sizeof fixed);
	rc = gt_patch(t, &fixed, tk->id, body, NULL, "setting a due date", err);
	json_decref(body);
	if (rc == 0) {
		cl_ticket_release(tk);
		*tk = fixed;
	}
	return rc;
}

static int
gt_create(struct cl_tracker *t, struct cl_ticket *out, const struct cl_ticket_spec *spec,
          struct cl_error *err)
{
	struct gt *g = t->priv;
	struct cl_http_response *r = NULL;
	json_t *body = NULL, *ans = NULL;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = gt_spec_json(t, &body, spec, CL_SPEC_TITLE | CL_SPEC_BODY | CL_SPEC_ASSIGNEE |
	                       (spec->due ? CL_SPEC_DUE : 0) | (spec->nlabels ? CL_SPEC_LABELS : 0),
	                       1, err)) != 0)
		return rc;
	if ((url = cl_asprintf("%s/issues", g->repo_url)) == NULL) {
		json_decref(body);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	rc = cl_http_json(t->http, &r, (void **)&ans, "POST", url, body, NULL, err);
	json_decref(body);
	free(url);
	if (rc != 0)
		return rc;
	if (r->status == 201 || r->status == 200)
		rc = gt_ticket(g, out, ans, err);
	else if (r->status == 404)
		rc = gt_repo_missing(t, err);
	else
		rc = cl_tracker_http_fail(t, r->status, r->body, "creating an issue", err);
	json_decref(ans);
	cl_http_response_free(r);
	/* the issue exists now: a failed correction is this item's problem */
	if (rc == 0 && gt_fix_due(t, out, spec->due, err) != 0)
		cl_error_clear(err);
	return rc;
}

struct gt_call_ctx {
	struct cl_tracker *t;
	const char *id;
	int is_get;
};

/* An issue's JSON; a GET of a pull request (same numbers) is not one of ours. */
static int
gt_parse(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err)
{
	struct gt_call_ctx *x = ctx;
	json_t *pr = json_object_get(json, "pull_request");

	if (x->is_get && pr != NULL && !json_is_null(pr))
		return cl_error_set(err, CL_ENOTFOUND, "#%s of %s is a pull request, not an issue",
		                    x->id, x->t->project);
	return gt_ticket(x->t->priv, out, json, err);
}

/* One request on issue id (Gitea answers a PATCH with 201); out may be NULL. */
static int
gt_call(struct cl_tracker *t, struct cl_ticket *out, const char *method, const char *id,
        json_t *body, long *gone_status, const char *what, struct cl_error *err)
{
	struct gt *g = t->priv;
	struct gt_call_ctx x = { t, id, strcmp(method, "GET") == 0 };
	struct cl_issue_call c = { 0 };
	char *url;
	int rc;

	if ((c.url = url = cl_asprintf("%s/issues/%s", g->repo_url, id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = method;
	c.id = id;
	c.what = what;
	c.body = body;
	c.accept_201 = !x.is_get;
	c.parse = gt_parse;
	c.ctx = &x;
	rc = cl_tracker_issue_call(t, out, &c, gone_status, err);
	free(url);
	return rc;
}

/* PATCH of one issue (Gitea answers 201); out may be NULL. */
static int
gt_patch(struct cl_tracker *t, struct cl_ticket *out, const char *id, json_t *body,
         long *gone_status, const char *what, struct cl_error *err)
{
	return gt_call(t, out, "PATCH", id, body, gone_status, what, err);
}

static int
gt_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
          const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	json_t *body = NULL;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	struct cl_ticket tk;

	if ((rc = gt_spec_json(t, &body, spec, mask, 0, err)) != 0)
		return rc;
	memset(&tk, 0, sizeof tk);
	rc = gt_patch(t, &tk, id, body, NULL, "updating an issue", err);
	json_decref(body);
	if (rc == 0 && (mask & CL_SPEC_DUE))
		rc = gt_fix_due(t, &tk, spec->due, err);
	if (rc == 0 && out)
		*out = tk;
	else
		cl_ticket_release(&tk);
	return rc;
}

static int
gt_comment(struct cl_tracker *t, const char *id, const char *text, long *gone_status,
           struct cl_error *err)
{
	struct gt *g = t->priv;
	char *url = cl_asprintf("%s/issues/%s/comments", g->repo_url, id);
	int rc;

	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_tracker_comment(t, url, id, text, NULL, gone_status, err);
	free(url);
	return rc;
}

static int
gt_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	json_t *body;
	int rc;

	(void)reason;
	(void)cur_body;
	if (gone_status)
		*gone_status = 0;
	if (comment && *comment && (rc = gt_comment(t, id, comment, gone_status, err)) != 0)
		return rc;
	if ((body = json_pack("{s:s}", "state", closed ? "closed" : "open")) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = gt_patch(t, NULL, id, body, gone_status, closed ? "closing an issue" :
	              "reopening an issue", err);
	json_decref(body);
	return rc;
}

static int
gt_get(struct cl_tracker *t, struct cl_ticket *out, const char *id, long *gone_status,
       struct cl_error *err)
{
	memset(out, 0, sizeof *out);
	return gt_call(t, out, "GET", id, NULL, gone_status, "fetching an issue", err);
}

/* A listed issue; pull requests are skipped. */
static int
gt_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item, struct cl_error *err)
{
	json_t *pr = json_object_get(item, "pull_request");

	if (pr && !json_is_null(pr))
		return 1;
	return gt_ticket(t->priv, out, item, err);
}

static const struct cl_tracker_list gt_issues = {
	.what = "listing issues",
	.paging = CL_PAGING_LINK,
	.empty_ends = 1,
	.ticket = gt_list_ticket,
	.fail = gt_list_fail,
};

/* Walks the issues (no pull requests) updated at or after since (NULL:
 * all). Gitea keeps whole seconds: the cursor's second is listed again. */
static int
gt_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
        struct cl_tracker_walk *w, struct cl_error *err)
{
	struct gt *g = t->priv;
	char *url, *esc = since && *since ? cl_http_escape(since) : NULL;
	int rc;

	url = cl_asprintf("%s/issues?state=all&type=issues&limit=50%s%s", g->repo_url,
	                  esc ? "&since=" : "", esc ? esc : "");
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, &gt_issues, w, err);
	free(url);
	return rc;
}

static int
gt_changes(struct cl_tracker *t, struct cl_ticket_list *out,
           const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
           int *not_modified, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	int rc;

	memset(next, 0, sizeof *next);
	*not_modified = 0;	/* Gitea sends no validators for lists */
	if ((rc = gt_list(t, out, in->since, &w, err)) == 0) {
		next->since = w.max_updated ? w.max_updated : in->since ? cl_strdup(in->since) : NULL;
		w.max_updated = NULL;
	}
	cl_tracker_walk_release(&w);
	return rc;
}

static int
gt_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                struct cl_error *err)
{
	return cl_tracker_find_walk(t, out, since, 3600, gt_list, err);
}

/* "#42", "42", "owner/repo#42", "<url>/owner/repo/issues/42". */
static int
gt_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	struct gt *g = t->priv;
	const char *p = ref, *num;
	size_t olen = strlen(g->owner), rlen = strlen(g->repo), ulen = strlen(t->url);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p == '#') {
		p++;
	} else if (strncasecmp(p, g->owner, olen) == 0 && p[olen] == '/' &&
	           strncasecmp(p + olen + 1, g->repo, rlen) == 0 && p[olen + 1 + rlen] == '#') {
		p += olen + rlen + 2;
	} else if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		const char *s;
		if (strncasecmp(p, t->url, ulen) != 0 || p[ulen] != '/')
			return CL_ENOTFOUND;
		s = p + ulen;
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

/* The login the token acts as (GET /api/v1/user). */
static int
gt_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	static const char *const keys[] = { "login", NULL };

	return cl_tracker_get_valuef(t, out, keys, "asking Gitea who the token is", err,
	                             "%s/api/v1/user", t->url);
}

const struct cl_tracker_ops cl_tracker_gitea = {
	.kind = "gitea",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE |
	        CL_TRACKER_CAP_COMMENT,
	.init = gt_init,
	.release = gt_release,
	.create = gt_create,
	.update = gt_update,
	.get = gt_get,
	.set_state = gt_set_state,
	.changes = gt_changes,
	.find_markers = gt_find_markers,
	.parse_ref = gt_parse_ref,
	.whoami = gt_whoami,
};

/* Forgejo speaks the same API. */
const struct cl_tracker_ops cl_tracker_forgejo = {
	.kind = "forgejo",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE |
	        CL_TRACKER_CAP_COMMENT,
	.init = gt_init,
	.release = gt_release,
	.create = gt_create,
	.update = gt_update,
	.get = gt_get,
	.set_state = gt_set_state,
	.changes = gt_changes,
	.find_markers = gt_find_markers,
	.parse_ref = gt_parse_ref,
	.whoami = gt_whoami,
};
