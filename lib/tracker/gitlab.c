/* gitlab.c — GitLab REST v4 issues backend (gitlab.com and self-managed).
 * url is the instance root (https://gitlab.example.com; a trailing /api/v4
 * is accepted), project the numeric id or the group/name path (sent
 * URL-encoded). PRIVATE-TOKEN auth. Issues are addressed by iid (the number
 * people see), never by the global id. Native due dates; labels as a comma
 * string; assignees by numeric id, looked up from the username through
 * /users?username= and cached for the run (tickets carry usernames); close
 * and reopen with state_event; comments are notes. No close reason: a
 * withdrawn item's issue is closed with a note. */
#include <ctype.h>
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

struct gl_user {
	char *username;
	long long id;		/* 0: no such user */
};

struct gl {
	char *api;		/* <url>/api/v4 */
	char *proj_url;		/* <api>/projects/<id or escaped path> */
	int numeric;		/* project given by id */
	struct gl_user *users;
	size_t nusers, users_cap;
};

static int
gl_init(struct cl_tracker *t, struct cl_error *err)
{
	struct gl *g;
	char *esc, *hdr;
	const char *p;
	size_t n;
	int rc;

	if ((g = cl_calloc(1, sizeof *g)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = g;
	n = strlen(t->url);
	if (n >= 7 && strcmp(t->url + n - 7, "/api/v4") == 0)
		t->url[n - 7] = '\0';
	/* the project path as people copy it: no slashes around it */
	while (*t->project == '/')
		memmove(t->project, t->project + 1, strlen(t->project));
	while ((n = strlen(t->project)) > 0 && t->project[n - 1] == '/')
		t->project[n - 1] = '\0';
	if (*t->project == '\0')
		return cl_error_set(err, CL_ECONFIG, "[tracker] project must be a GitLab project "
		                    "id or group/name path");
	for (p = t->project; isdigit((unsigned char)*p); p++)
		;
	g->numeric = *p == '\0';
	if (!g->numeric && strchr(t->project, '/') == NULL)
		return cl_error_set(err, CL_ECONFIG, "[tracker] project '%s' is neither a GitLab "
		                    "project id nor a group/name path", t->project);
	if ((esc = cl_http_escape(t->project)) == NULL ||
	    (g->api = cl_asprintf("%s/api/v4", t->url)) == NULL ||
	    (g->proj_url = cl_asprintf("%s/projects/%s", g->api, esc)) == NULL) {
		free(esc);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(esc);
	if ((hdr = cl_asprintf("PRIVATE-TOKEN: %s", t->token)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_add_header(t->http, hdr, 1, err);
	cl_secret_free(hdr);
	if (rc == 0)
		rc = cl_http_add_header(t->http, "Accept: application/json", 0, err);
	/* GitLab's 429 may come without Retry-After: back off from 2 s */
	cl_http_set_rate_wait(t->http, 2);
	return rc;
}

static void
gl_release(struct cl_tracker *t)
{
	struct gl *g = t->priv;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nusers; i++)
		free(g->users[i].username);
	free(g->users);
	free(g->api);
	free(g->proj_url);
	free(g);
	t->priv = NULL;
}

/* GitLab's 400 carries {"message": {"field": ["problem"]}} or {"error": "…"}:
 * turns it into the {"message": "…"} form cl_tracker_http_fail reads. */
static int
gl_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
        struct cl_error *err)
{
	json_t *j = r->body && *r->body ? json_loads(r->body, 0, NULL) : NULL;
	json_t *m = json_object_get(j, "message"), *out;
	struct cl_buf b = CL_BUF_INIT;
	char *txt = NULL;
	int rc;

	if (json_is_object(m)) {
		const char *k;
		json_t *v;
		json_object_foreach(m, k, v) {
			size_t i;
			if (json_is_array(v)) {
				for (i = 0; i < json_array_size(v); i++)
					cl_buf_printf(&b, "%s%s %s", b.len ? "; " : "", k,
					              json_string_value(json_array_get(v, i)) ?
					              json_string_value(json_array_get(v, i)) : "");
			} else if (json_is_string(v)) {
				cl_buf_printf(&b, "%s%s %s", b.len ? "; " : "", k, json_string_value(v));
			}
		}
	} else if (json_is_array(m)) {
		size_t i;
		for (i = 0; i < json_array_size(m); i++)
			if (json_is_string(json_array_get(m, i)))
				cl_buf_printf(&b, "%s%s", b.len ? "; " : "",
				              json_string_value(json_array_get(m, i)));
	} else if (!json_is_string(m) && json_is_string(json_object_get(j, "error"))) {
		cl_buf_puts(&b, json_string_value(json_object_get(j, "error")));
	}
	if (b.len && (out = json_pack("{s:s}", "message", cl_buf_str(&b))) != NULL) {
		txt = json_dumps(out, 0);
		json_decref(out);
	}
	rc = cl_tracker_http_fail(t, r->status, txt ? txt : r->body, what, err);
	free(txt);
	cl_buf_release(&b);
	json_decref(j);
	return rc;
}

/* Fills a ticket from GitLab's issue object. */
static int
gl_ticket(struct cl_ticket *tk, json_t *j, struct cl_error *err)
{
	json_t *iid = json_object_get(j, "iid"), *as;
	const char *state = json_string_value(json_object_get(j, "state"));

	memset(tk, 0, sizeof *tk);
	if (!json_is_integer(iid) || state == NULL)
		return cl_error_set(err, CL_EDATA, "GitLab answered an issue without iid/state");
	tk->id = cl_asprintf("%lld", (long long)json_integer_value(iid));
	tk->url = cl_tracker_jstr(j, "web_url");
	tk->title = cl_tracker_jstr(j, "title");
	tk->body = cl_tracker_jstr(j, "description");
	tk->state = strcmp(state, "closed") == 0 ? CL_TICKET_CLOSED : CL_TICKET_OPEN;
	if ((as = json_array_get(json_object_get(j, "assignees"), 0)) != NULL)
		tk->assignee = cl_tracker_jstr(as, "username");
	else if (json_is_object(as = json_object_get(j, "assignee")))
		tk->assignee = cl_tracker_jstr(as, "username");
	tk->due = cl_tracker_jstr(j, "due_date");
	tk->updated_at = cl_tracker_jstr(j, "updated_at");
	tk->closed_at = cl_tracker_jstr(j, "closed_at");
	if (tk->body)
		tk->marker = cl_tracker_marker_find(tk->body);
	if (json_is_object(as = json_object_get(j, "author")))
		tk->creator = cl_tracker_jstr(as, "username");
	if (tk->id == NULL) {
		cl_ticket_release(tk);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}


/* The numeric id of a username (cached); *id = 0 when there is none. */
static int
gl_user_id(struct cl_tracker *t, long long *id, const char *username, struct cl_error *err)
{
	struct gl *g = t->priv;
	struct cl_http_response *r = NULL;
	struct gl_user *nu;
	json_t *ans = NULL;
	char *url, *esc;
	size_t i;
	int rc;

	*id = 0;
	for (i = 0; i < g->nusers; i++)
		if (strcasecmp(g->users[i].username, username) == 0) {
			*id = g->users[i].id;
			return 0;
		}
	if ((esc = cl_http_escape(username)) == NULL ||
	    (url = cl_asprintf("%s/users?username=%s", g->api, esc)) == NULL) {
		free(esc);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(esc);
	rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL, NULL, err);
	free(url);
	if (rc != 0)
		return rc;
	if (r->status != 200 || !json_is_array(ans)) {
		rc = r->status == 200 ? cl_error_set(err, CL_EDATA, "looking up GitLab user '%s': "
		                                     "no array in the answer", username)
		                      : gl_fail(t, r, "looking up a GitLab user", err);
		goto done;
	}
	for (i = 0; i < json_array_size(ans); i++) {
		json_t *u = json_array_get(ans, i);
		const char *un = json_string_value(json_object_get(u, "username"));
		if (un && strcasecmp(un, username) == 0 && json_is_integer(json_object_get(u, "id"))) {
			*id = (long long)json_integer_value(json_object_get(u, "id"));
			break;
		}
	}
	if (cl_grow(&g->users, &g->users_cap, g->nusers, sizeof *g->users, 8) != 0 ||
	    (nu = g->users, (nu[g->nusers].username = cl_strdup(username)) == NULL)) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	nu[g->nusers++].id = *id;
done:
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* The JSON body of a create or an update. */
static int
gl_spec_json(struct cl_tracker *t, json_t **out, const struct cl_ticket_spec *s,
             unsigned mask, struct cl_error *err)
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
		json_object_set_new(j, "description", json_string(s->body));
	if (mask & CL_SPEC_LABELS) {
		struct cl_buf b = CL_BUF_INIT;
		for (i = 0; i < s->nlabels; i++)
			cl_buf_printf(&b, "%s%s", i ? "," : "", s->labels[i]);
		json_object_set_new(j, "labels", json_string(cl_buf_str(&b)));
		cl_buf_release(&b);
	}
	if (mask & CL_SPEC_DUE)
		json_object_set_new(j, "due_date", s->due ? json_string(s->due) : json_null());
	if ((mask & CL_SPEC_ASSIGNEE) && s->assignee) {
		long long id;
		if ((rc = gl_user_id(t, &id, s->assignee, err)) != 0) {
			json_decref(j);
			return rc;
		}
		/* an unknown username is left out: the issue is still made */
		if (id > 0)
			json_object_set_new(j, "assignee_ids", json_pack("[I]", (json_int_t)id));
	}
	*out = j;
	return 0;
}

static int
gl_parse(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err)
{
	(void)ctx;
	return gl_ticket(out, json, err);
}

static int
gl_create(struct cl_tracker *t, struct cl_ticket *out, const struct cl_ticket_spec *spec,
          struct cl_error *err)
{
	struct gl *g = t->priv;
	struct cl_issue_call c = { 0 };
	json_t *body = NULL;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = gl_spec_json(t, &body, spec, CL_SPEC_TITLE | CL_SPEC_BODY | CL_SPEC_ASSIGNEE |
	                       (spec->due ? CL_SPEC_DUE : 0) | (spec->nlabels ? CL_SPEC_LABELS : 0),
	                       err)) != 0)
		return rc;
	if ((url = cl_asprintf("%s/issues", g->proj_url)) == NULL) {
		json_decref(body);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	c.method = "POST";
	c.url = url;
	c.what = "creating an issue";
	c.body = body;
	c.accept_201 = 1;
	c.missing = "GitLab project";
	c.parse = gl_parse;
	c.fail = gl_fail;
	rc = cl_tracker_issue_call(t, out, &c, NULL, err);
	json_decref(body);
	free(url);
	return rc;
}

/* One request on issue iid id; out may be NULL. */
static int
gl_call(struct cl_tracker *t, struct cl_ticket *out, const char *method, const char *id,
        json_t *body, long *gone_status, const char *what, struct cl_error *err)
{
	struct gl *g = t->priv;
	struct cl_issue_call c = { 0 };
	char *url;
	int rc;

	if ((c.url = url = cl_asprintf("%s/issues/%s", g->proj_url, id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = method;
	c.id = id;
	c.what = what;
	c.body = body;
	c.parse = gl_parse;
	c.fail = gl_fail;
	rc = cl_tracker_issue_call(t, out, &c, gone_status, err);
	free(url);
	return rc;
}

/* PUT of one issue; out may be NULL. */
static int
gl_put(struct cl_tracker *t, struct cl_ticket *out, const char *id, json_t *body,
       long *gone_status, const char *what, struct cl_error *err)
{
	return gl_call(t, out, "PUT", id, body, gone_status, what, err);
}

static int
gl_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
          const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	json_t *body = NULL;
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if ((rc = gl_spec_json(t, &body, spec, mask, err)) != 0)
		return rc;
	rc = gl_put(t, out, id, body, NULL, "updating an issue", err);
	json_decref(body);
	return rc;
}

/* Adds a note (comment) to an issue. */
static int
gl_note(struct cl_tracker *t, const char *id, const char *text, long *gone_status,
        struct cl_error *err)
{
	struct gl *g = t->priv;
	char *url = cl_asprintf("%s/issues/%s/notes", g->proj_url, id);
	int rc;

	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_tracker_comment(t, url, id, text, gl_fail, gone_status, err);
	free(url);
	return rc;
}

static int
gl_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	json_t *body;
	int rc;

	(void)reason;
	(void)cur_body;
	if (gone_status)
		*gone_status = 0;
	if (comment && *comment && (rc = gl_note(t, id, comment, gone_status, err)) != 0)
		return rc;
	if ((body = json_pack("{s:s}", "state_event", closed ? "close" : "reopen")) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = gl_put(t, NULL, id, body, gone_status, closed ? "closing an issue" :
	            "reopening an issue", err);
	json_decref(body);
	return rc;
}

static int
gl_get(struct cl_tracker *t, struct cl_ticket *out, const char *id, long *gone_status,
       struct cl_error *err)
{
	memset(out, 0, sizeof *out);
	return gl_call(t, out, "GET", id, NULL, gone_status, "fetching an issue", err);
}

/* A listed issue. */
static int
gl_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item, struct cl_error *err)
{
	(void)t;
	return gl_ticket(out, item, err);
}

/* A failed list: an unknown project is a configuration error. */
static int
gl_list_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
             struct cl_error *err)
{
	if (r->status == 404)
		return cl_error_set(err, CL_ECONFIG, "GitLab project '%s' not found at %s (or the "
		                    "token cannot see it)", t->project, t->url);
	return gl_fail(t, r, what, err);
}

/* Link rel="next"; without it, a full page asks for the next page number,
 * as x-next-page would. */
static const struct cl_tracker_list gl_issues = {
	.what = "listing issues",
	.paging = CL_PAGING_LINK_OR_FULL,
	.page_param = "page",
	.per_page = 100,
	.ticket = gl_list_ticket,
	.fail = gl_list_fail,
};

/* Walks the issues updated at or after since (NULL: all), oldest first. */
static int
gl_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
        struct cl_tracker_walk *w, struct cl_error *err)
{
	struct gl *g = t->priv;
	/* cl_http_escape encodes '+' (time zone offsets) as %2B */
	char *url, *esc = since && *since ? cl_http_escape(since) : NULL;
	int rc;

	url = cl_asprintf("%s/issues?scope=all&order_by=updated_at&sort=asc&per_page=100%s%s",
	                  g->proj_url, esc ? "&updated_after=" : "", esc ? esc : "");
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, &gl_issues, w, err);
	free(url);
	return rc;
}

static int
gl_changes(struct cl_tracker *t, struct cl_ticket_list *out,
           const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
           int *not_modified, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	int rc;

	memset(next, 0, sizeof *next);
	w.etag_in = in->etag;
	rc = gl_list(t, out, in->since, &w, err);
	*not_modified = w.not_modified;
	if (rc == 0 && w.not_modified) {
		next->since = in->since ? cl_strdup(in->since) : NULL;
		next->etag = in->etag ? cl_strdup(in->etag) : NULL;
	} else if (rc == 0 && (w.max_updated == NULL ||
	                       (in->since && strcmp(w.max_updated, in->since) == 0))) {
		/* the validator belongs to the URL with the old since */
		next->since = in->since ? cl_strdup(in->since) : NULL;
		next->etag = w.etag;
		w.etag = NULL;
	} else if (rc == 0) {
		next->since = w.max_updated;
		w.max_updated = NULL;
	}
	cl_tracker_walk_release(&w);
	return rc;
}

static int
gl_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                struct cl_error *err)
{
	return cl_tracker_find_walk(t, out, since, 3600, gl_list, err);
}

/* "#42", "42", "group/name#42", "<url>/group/name/-/issues/42". */
static int
gl_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	struct gl *g = t->priv;
	const char *p = ref, *num;
	size_t plen = strlen(t->project), ulen = strlen(t->url);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p == '#') {
		p++;
	} else if (!g->numeric && strncasecmp(p, t->project, plen) == 0 && p[plen] == '#') {
		p += plen + 1;
	} else if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		const char *q;
		if (strncasecmp(p, t->url, ulen) != 0 || p[ulen] != '/')
			return CL_ENOTFOUND;
		q = p + ulen + 1;
		if (!g->numeric) {
			if (strncasecmp(q, t->project, plen) != 0 || q[plen] != '/')
				return CL_ENOTFOUND;
			q += plen;
		} else if ((q = strstr(q, "/-/issues/")) == NULL) {
			return CL_ENOTFOUND;
		}
		if (strncmp(q, "/-/issues/", 10) == 0)
			p = q + 10;
		else if (strncmp(q, "/issues/", 8) == 0)
			p = q + 8;
		else
			return CL_ENOTFOUND;
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

/* The username the token acts as (GET /user). */
static int
gl_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	static const char *const keys[] = { "username", NULL };
	struct gl *g = t->priv;

	return cl_tracker_get_valuef(t, out, keys, "asking GitLab who the token is", err,
	                             "%s/user", g->api);
}

const struct cl_tracker_ops cl_tracker_gitlab = {
	.kind = "gitlab",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE |
	        CL_TRACKER_CAP_COMMENT,
	.init = gl_init,
	.release = gl_release,
	.create = gl_create,
	.update = gl_update,
	.get = gl_get,
	.set_state = gl_set_state,
	.changes = gl_changes,
	.find_markers = gl_find_markers,
	.parse_ref = gl_parse_ref,
	.whoami = gl_whoami,
};
