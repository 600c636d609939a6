/* gitea.c — Gitea and Forgejo REST issues backend (/api/v1), as a dialect
 * of the engine (lib/tracker.c).
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

#include <jansson.h>

#include "../dates.h"
#include "../http.h"
#include "../tracker.h"
#include "../util.h"

struct gt {
	struct cl_tracker_names labels;	/* name → id */
	int labels_loaded;
	char tz[8];		/* the server's offset ("+02:00", "Z"); "" unknown */
};

static int
gt_init(struct cl_tracker *t, struct cl_error *err)
{
	if ((t->priv = cl_calloc(1, sizeof(struct gt))) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return cl_tracker_rest_init(t, err);
}

static void
gt_release(struct cl_tracker *t)
{
	struct gt *g = t->priv;

	if (g != NULL)
		cl_tracker_names_release(&g->labels);
	free(g);
	t->priv = NULL;
}

/* The due_date value for a day. */
static char *
gt_due_value(struct gt *g, const char *day)
{
	if (g->tz[0])
		return cl_asprintf("%sT23:59:59%s", day, g->tz);
	return cl_asprintf("%sT12:00:00Z", day);
}

/* The day of the due date as the server shows it; learns the server's UTC
 * offset from a time it wrote. */
static int
gt_read(struct cl_tracker *t, struct cl_ticket *tk, void *json, struct cl_error *err)
{
	struct gt *g = t->priv;
	const char *s = json_string_value(json_object_get(json, "due_date"));
	const char *u = json_string_value(json_object_get(json, "updated_at"));
	size_t n = u ? strlen(u) : 0;
	time_t ts;

	(void)err;
	if (s && strlen(s) >= 10 && cl_time_parse(s, &ts) == 0)
		tk->due = cl_strndup(s, 10);
	if (n < 20 || u[10] != 'T')
		return 0;
	if (u[n - 1] == 'Z')
		snprintf(g->tz, sizeof g->tz, "Z");
	else if (n >= 25 && (u[n - 6] == '+' || u[n - 6] == '-') && u[n - 3] == ':')
		snprintf(g->tz, sizeof g->tz, "%s", u + n - 6);
	return 0;
}

/* One listed label into the cache (entries without a name and id skipped). */
static int
gt_label_item(struct cl_tracker *t, void *item, struct cl_error *err)
{
	struct gt *g = t->priv;
	const char *name = json_string_value(json_object_get(item, "name"));
	char *id;
	int rc = 0;

	if (name == NULL || !json_is_integer(json_object_get(item, "id")))
		return 0;
	if ((id = cl_tracker_jpath(item, "id")) == NULL ||
	    cl_tracker_names_add(&g->labels, name, id) != 0)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	free(id);
	return rc;
}

static const struct cl_tracker_list gt_labels = {
	.what = "listing labels",
	.paging = CL_PAGING_LINK,
	.item = gt_label_item,
};

/* The id of a label by name (the labels listed once per run), created when
 * the repository lacks it. */
static int
gt_label_id(struct cl_tracker *t, long long *id, const char *name, struct cl_error *err)
{
	struct gt *g = t->priv;
	struct cl_tracker_walk w = { 0 };
	struct cl_http_response *r = NULL;
	json_t *body, *ans = NULL;
	const char *have;
	char *url, *v;
	int rc = 0;

	if (!g->labels_loaded) {
		if ((w.url = url = cl_tracker_url(t, "{base}/labels?limit=50", NULL)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		rc = cl_tracker_walk(t, NULL, &gt_labels, &w, err);
		cl_tracker_walk_release(&w);
		free(url);
		if (rc != 0)
			return rc;
		g->labels_loaded = 1;
	}
	if (cl_tracker_names_find(&g->labels, name, &have) && have) {
		*id = strtoll(have, NULL, 10);
		return 0;
	}
	if ((url = cl_tracker_url(t, "{base}/labels", NULL)) == NULL ||
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
		v = cl_tracker_jpath(ans, "id");
		if (v == NULL || cl_tracker_names_add(&g->labels, name, v) != 0)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		free(v);
	} else if (r->status == 404) {
		rc = cl_error_set(err, CL_ECONFIG, "creating a label: repository '%s' not found at "
		                  "%s (or the token cannot see it)", t->project, t->url);
	} else {
		rc = cl_tracker_http_fail(t, r->status, r->body, "creating a label", err);
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* Labels by id (a create's only) and the due date in the server's zone. */
static int
gt_write(struct cl_tracker *t, void *obj, const struct cl_ticket_spec *s, unsigned mask,
         int create, struct cl_error *err)
{
	json_t *a;
	size_t i;
	char *d;
	int rc;

	if ((mask & CL_SPEC_LABELS) && create) {
		json_object_set_new(obj, "labels", a = json_array());
		for (i = 0; i < s->nlabels; i++) {
			long long id = 0;
			if ((rc = gt_label_id(t, &id, s->labels[i], err)) != 0)
				return rc;
			json_array_append_new(a, json_integer((json_int_t)id));
		}
	}
	if ((mask & CL_SPEC_DUE) && s->due) {
		if ((d = gt_due_value(t->priv, s->due)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		json_object_set_new(obj, "due_date", json_string(d));
		free(d);
	} else if ((mask & CL_SPEC_DUE) && !create) {
		json_object_set_new(obj, "unset_due_date", json_true());
	}
	return 0;
}

/* Sends the due date again when the answer shows another day (the server's
 * zone was not known yet); tk is replaced by the new answer. */
static int
gt_after(struct cl_tracker *t, struct cl_ticket *tk, const struct cl_ticket_spec *s,
         struct cl_error *err)
{
	struct cl_ticket fixed;
	json_t *body;
	char *v;
	int rc;

	if (s->due == NULL || tk->id == NULL || (tk->due && strcmp(tk->due, s->due) == 0))
		return 0;
	if ((v = gt_due_value(t->priv, s->due)) == NULL ||
	    (body = json_pack("{s:s}", "due_date", v)) == NULL) {
		free(v);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(v);
	rc = cl_tracker_rest_call(t, &fixed, "PATCH", tk->id, body, NULL, "setting a due date",
	                          err);
	json_decref(body);
	if (rc == 0) {
		cl_ticket_release(tk);
		*tk = fixed;
	}
	return rc;
}

static const struct cl_tracker_dialect gt_dialect = {
	.name = "Gitea",
	.auth = "Authorization: token ",
	.api_suffix = "/api/v1",
	.base = "{url}/api/v1/repos/{owner}/{repo}",
	.owner_repo = 1,
	.rate_wait = 2,
	.need = "state",
	.id = "number",
	.web = "html_url",
	.title = "title",
	.body = "body",
	.state = "state",
	.closed_word = "closed",
	.assignee = { "assignees.0.login", "assignee.login" },
	.updated = "updated_at",
	.closed = "closed_at",
	.creator = "user.login",
	.utc = 1,		/* the cursor compares times as text */
	.skip = "pull_request",
	.w_title = "title",
	.w_body = "body",
	.w_assignee = "assignees",
	.assignee_form = CL_FORM_ARRAY,
	.create_url = "{base}/issues",
	.issue_url = "{base}/issues/{id}",
	.comment_url = "{base}/issues/{id}/comments",
	/* Gitea keeps whole seconds: the cursor's second is listed again */
	.list_url = "{base}/issues?state=all&type=issues&limit=50",
	.since_param = "&since=",
	.update_method = "PATCH",
	.writes_201 = 1,
	.missing = "repository",
	.state_key = "state",
	.close_word = "closed",
	.open_word = "open",
	.list = { .what = "listing issues", .paging = CL_PAGING_LINK, .empty_ends = 1 },
	.pull = CL_PULL_PLAIN,	/* Gitea sends no validators for lists */
	.skew_s = 3600,
	.whoami_url = "{url}/api/v1/user",
	.whoami = "login",
	.read = gt_read,
	.write = gt_write,
	.after = gt_after,
};

/* Forgejo speaks the same API. */
#define GT_OPS(k) { \
	.kind = k, \
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE | \
	        CL_TRACKER_CAP_COMMENT, \
	.dialect = &gt_dialect, \
	.init = gt_init, \
	.release = gt_release, \
}
const struct cl_tracker_ops cl_tracker_gitea = GT_OPS("gitea");
const struct cl_tracker_ops cl_tracker_forgejo = GT_OPS("forgejo");
