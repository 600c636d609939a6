/* redmine.c — Redmine REST backend (JSON, X-Redmine-API-Key).
 * url is the instance root, project the project identifier. Native due
 * dates; no labels; closing is a status with is_closed (looked up once per
 * run unless [tracker] closed_status_id names it); comments are journal
 * notes. Assignees are numeric user ids; logins are resolved through
 * /users.json (needs an administrator's key) and cached for the run. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "../config.h"
#include "../dates.h"
#include "../http.h"
#include "../tracker.h"
#include "../util.h"

struct rm_user {
	char *login, *id;
};

struct rm {
	char *project_esc;
	long tracker_id;		/* 0: the project's default */
	long closed_status_id;		/* 0: look up */
	long rejected_status_id;	/* closed status for "not planned" */
	long open_status_id;		/* for reopening */
	int statuses_loaded;
	long *closed_ids;		/* every status with is_closed */
	size_t nclosed, closed_cap;
	struct rm_user *users;
	size_t nusers, users_cap;
};

static int
rm_init(struct cl_tracker *t, struct cl_error *err)
{
	struct rm *m;
	char *key;
	long v;
	int rc;

	if ((m = cl_calloc(1, sizeof *m)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = m;
	if ((m->project_esc = cl_http_escape(t->project)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if ((rc = cl_config_get_int(t->cfg, "tracker", "tracker_id", 0, 0, 1L << 30, &v, err)) != 0)
		return rc;
	m->tracker_id = v;
	if ((rc = cl_config_get_int(t->cfg, "tracker", "closed_status_id", 0, 0, 1L << 30, &v,
	                            err)) != 0)
		return rc;
	m->closed_status_id = v;
	if ((key = cl_asprintf("X-Redmine-API-Key: %s", t->token)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_add_header(t->http, key, 1, err);
	cl_secret_free(key);
	if (rc == 0)
		rc = cl_http_add_header(t->http, "Accept: application/json", 0, err);
	return rc;
}

static void
rm_release(struct cl_tracker *t)
{
	struct rm *m = t->priv;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nusers; i++) {
		free(m->users[i].login);
		free(m->users[i].id);
	}
	free(m->users);
	free(m->closed_ids);
	free(m->project_esc);
	free(m);
	t->priv = NULL;
}

/* GET of a JSON document; 200 required. */
static int
rm_get_json(struct cl_tracker *t, json_t **out, const char *url, const char *what,
            struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *ans = NULL;
	int rc;

	*out = NULL;
	if ((rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL, NULL, err)) != 0)
		return rc;
	if (r->status == 200 && ans != NULL) {
		*out = ans;
	} else {
		rc = cl_tracker_http_fail(t, r->status, r->body, what, err);
		json_decref(ans);
	}
	cl_http_response_free(r);
	return rc;
}

/* Loads the issue statuses: which are closed, which to use to close/reopen. */
static int
rm_statuses(struct cl_tracker *t, struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *j = NULL, *arr;
	char *url;
	size_t i;
	int rc;

	if (m->statuses_loaded)
		return 0;
	if ((url = cl_asprintf("%s/issue_statuses.json", t->url)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = rm_get_json(t, &j, url, "listing issue statuses", err);
	free(url);
	if (rc != 0)
		return rc;
	arr = json_object_get(j, "issue_statuses");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *s = json_array_get(arr, i);
		long id = (long)json_integer_value(json_object_get(s, "id"));
		const char *name = json_string_value(json_object_get(s, "name"));
		if (json_is_true(json_object_get(s, "is_closed"))) {
			if (cl_grow(&m->closed_ids, &m->closed_cap, m->nclosed, sizeof *m->closed_ids,
			            4) != 0) {
				json_decref(j);
				return cl_error_set(err, CL_ENOMEM, "out of memory");
			}
			m->closed_ids[m->nclosed++] = id;
			if (m->closed_status_id == 0)
				m->closed_status_id = id;
			if (name && strcasecmp(name, "Rejected") == 0)
				m->rejected_status_id = id;
		} else if (m->open_status_id == 0) {
			m->open_status_id = id;
		}
	}
	json_decref(j);
	if (m->closed_status_id == 0)
		return cl_error_set(err, CL_ECONFIG, "Redmine at %s has no closed issue status; "
		                    "set [tracker] closed_status_id", t->url);
	if (m->rejected_status_id == 0)
		m->rejected_status_id = m->closed_status_id;
	m->statuses_loaded = 1;
	return 0;
}

static int
rm_status_closed(struct rm *m, long id)
{
	size_t i;

	for (i = 0; i < m->nclosed; i++)
		if (m->closed_ids[i] == id)
			return 1;
	return id == m->closed_status_id;
}

/* Fills a ticket from Redmine's issue object (statuses must be loaded). */
static int
rm_ticket(struct cl_tracker *t, struct cl_ticket *tk, json_t *j, struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *id = json_object_get(j, "id"), *st = json_object_get(j, "status"), *as;

	memset(tk, 0, sizeof *tk);
	if (!json_is_integer(id))
		return cl_error_set(err, CL_EDATA, "Redmine answered an issue without id");
	tk->id = cl_asprintf("%lld", (long long)json_integer_value(id));
	tk->url = cl_asprintf("%s/issues/%lld", t->url, (long long)json_integer_value(id));
	tk->title = cl_tracker_jstr(j, "subject");
	tk->body = cl_tracker_jstr(j, "description");
	if (json_is_true(json_object_get(st, "is_closed")) ||
	    rm_status_closed(m, (long)json_integer_value(json_object_get(st, "id"))))
		tk->state = CL_TICKET_CLOSED;
	as = json_object_get(j, "assigned_to");
	if (json_is_object(as) && json_is_integer(json_object_get(as, "id")))
		tk->assignee = cl_asprintf("%lld",
		                           (long long)json_integer_value(json_object_get(as, "id")));
	tk->due = cl_tracker_jstr(j, "due_date");
	tk->updated_at = cl_tracker_jstr(j, "updated_on");
	if (tk->state == CL_TICKET_CLOSED)
		tk->closed_at = cl_tracker_jstr(j, "closed_on");
	if (tk->body)
		tk->marker = cl_tracker_marker_find(tk->body);
	as = json_object_get(j, "author");
	if (json_is_object(as) && json_is_integer(json_object_get(as, "id")))
		tk->creator = cl_asprintf("%lld",
		                          (long long)json_integer_value(json_object_get(as, "id")));
	if (tk->id == NULL || tk->url == NULL) {
		cl_ticket_release(tk);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

static int
rm_canon_user(struct cl_tracker *t, char **out, const char *handle, struct cl_error *err)
{
	struct rm *m = t->priv;
	struct rm_user *nu;
	json_t *j = NULL, *users;
	char *url, *esc;
	const char *p;
	size_t i;
	int rc;

	*out = NULL;
	for (p = handle; *p && isdigit((unsigned char)*p); p++)
		;
	if (*handle && *p == '\0')
		return (*out = cl_strdup(handle)) ? 0 : CL_ENOMEM;
	for (i = 0; i < m->nusers; i++)
		if (strcasecmp(m->users[i].login, handle) == 0)
			return m->users[i].id ? ((*out = cl_strdup(m->users[i].id)) ? 0 : CL_ENOMEM)
			                      : CL_ENOTFOUND;
	if ((esc = cl_http_escape(handle)) == NULL ||
	    (url = cl_asprintf("%s/users.json?name=%s", t->url, esc)) == NULL) {
		free(esc);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(esc);
	rc = rm_get_json(t, &j, url, "looking up a Redmine user", err);
	free(url);
	if (rc != 0)
		return rc;
	if (cl_grow(&m->users, &m->users_cap, m->nusers, sizeof *m->users, 8) != 0) {
		json_decref(j);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	nu = &m->users[m->nusers];
	nu->login = cl_strdup(handle);
	nu->id = NULL;
	users = json_object_get(j, "users");
	for (i = 0; i < json_array_size(users); i++) {
		json_t *u = json_array_get(users, i);
		const char *login = json_string_value(json_object_get(u, "login"));
		if (login && strcasecmp(login, handle) == 0) {
			nu->id = cl_asprintf("%lld", (long long)json_integer_value(json_object_get(u, "id")));
			break;
		}
	}
	json_decref(j);
	if (nu->login == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	m->nusers++;
	if (nu->id == NULL)
		return CL_ENOTFOUND;
	return (*out = cl_strdup(nu->id)) ? 0 : CL_ENOMEM;
}

/* The {"issue": {...}} body of a create or update. */
static json_t *
rm_spec_json(struct cl_tracker *t, const struct cl_ticket_spec *s, unsigned mask, int create)
{
	struct rm *m = t->priv;
	json_t *root = json_object(), *j = json_object();

	if (root == NULL || j == NULL) {
		json_decref(root);
		json_decref(j);
		return NULL;
	}
	json_object_set_new(root, "issue", j);
	if (create) {
		json_object_set_new(j, "project_id", json_string(t->project));
		if (m->tracker_id)
			json_object_set_new(j, "tracker_id", json_integer(m->tracker_id));
	}
	if ((mask & CL_SPEC_TITLE) && s->title)
		json_object_set_new(j, "subject", json_string(s->title));
	if ((mask & CL_SPEC_BODY) && s->body)
		json_object_set_new(j, "description", json_string(s->body));
	if (mask & CL_SPEC_DUE) {
		char today[11];
		json_object_set_new(j, "due_date", s->due ? json_string(s->due) : json_null());
		/* Redmine starts issues today and refuses a due date before the
		 * start (422): a past due date moves the start back to it */
		cl_date_format(cl_today(NULL), today);
		if (s->due && strcmp(s->due, today) < 0)
			json_object_set_new(j, "start_date", json_string(s->due));
	}
	if ((mask & CL_SPEC_ASSIGNEE) && s->assignee) {
		char *end;
		long long id = strtoll(s->assignee, &end, 10);
		if (*end == '\0')
			json_object_set_new(j, "assigned_to_id", json_integer(id));
	}
	return root;
}

/* Fills a ticket by id after a write that answered no body. */
static int rm_get(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                  long *gone_status, struct cl_error *err);

static int
rm_create(struct cl_tracker *t, struct cl_ticket *out, const struct cl_ticket_spec *spec,
          struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *body, *ans = NULL;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = rm_statuses(t, err)) != 0)
		return rc;
	if ((url = cl_asprintf("%s/issues.json", t->url)) == NULL ||
	    (body = rm_spec_json(t, spec, CL_SPEC_TITLE | CL_SPEC_BODY | CL_SPEC_ASSIGNEE |
	                         (spec->due ? CL_SPEC_DUE : 0), 1)) == NULL) {
		free(url);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	rc = cl_http_json(t->http, &r, (void **)&ans, "POST", url, body, NULL, err);
	json_decref(body);
	free(url);
	if (rc != 0)
		return rc;
	if ((r->status == 201 || r->status == 200) && json_is_object(json_object_get(ans, "issue")))
		rc = rm_ticket(t, out, json_object_get(ans, "issue"), err);
	else if (r->status == 404)
		rc = cl_error_set(err, CL_ECONFIG, "Redmine project '%s' not found at %s",
		                  t->project, t->url);
	else
		rc = cl_tracker_http_fail(t, r->status, r->body, "creating an issue", err);
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* PUT /issues/ID.json. */
static int
rm_put(struct cl_tracker *t, const char *id, json_t *body, long *gone_status,
       const char *what, struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *ans = NULL;
	char *url;
	int rc;

	if (gone_status)
		*gone_status = 0;
	if ((url = cl_asprintf("%s/issues/%s.json", t->url, id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_json(t->http, &r, (void **)&ans, "PUT", url, body, NULL, err);
	free(url);
	if (rc != 0)
		return rc;
	if (r->status == 404 || r->status == 410) {
		if (gone_status)
			*gone_status = r->status;
		rc = cl_tracker_gone(t, r->status, id, what, err);
	} else if (r->status != 204 && r->status != 200) {
		rc = cl_tracker_http_fail(t, r->status, r->body, what, err);
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

static int
rm_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
          const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	json_t *body = rm_spec_json(t, spec, mask, 0);
	int rc;

	if (out)
		memset(out, 0, sizeof *out);
	if (body == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = rm_put(t, id, body, NULL, "updating an issue", err);
	json_decref(body);
	if (rc == 0 && out)
		rc = rm_get(t, out, id, NULL, err);
	return rc;
}

static int
rm_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *root, *j;
	long status;
	int rc;

	(void)cur_body;
	if ((rc = rm_statuses(t, err)) != 0)
		return rc;
	status = !closed ? m->open_status_id : reason == CL_CLOSE_NOT_PLANNED
	         ? m->rejected_status_id : m->closed_status_id;
	if ((root = json_object()) == NULL || (j = json_object()) == NULL) {
		json_decref(root);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	json_object_set_new(root, "issue", j);
	json_object_set_new(j, "status_id", json_integer(status));
	if (comment && *comment)
		json_object_set_new(j, "notes", json_string(comment));
	rc = rm_put(t, id, root, gone_status, closed ? "closing an issue" : "reopening an issue",
	            err);
	json_decref(root);
	return rc;
}

static int
rm_get(struct cl_tracker *t, struct cl_ticket *out, const char *id, long *gone_status,
       struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *ans = NULL;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if (gone_status)
		*gone_status = 0;
	if ((rc = rm_statuses(t, err)) != 0)
		return rc;
	if ((url = cl_asprintf("%s/issues/%s.json", t->url, id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL, NULL, err);
	free(url);
	if (rc != 0)
		return rc;
	if (r->status == 200 && json_is_object(json_object_get(ans, "issue"))) {
		rc = rm_ticket(t, out, json_object_get(ans, "issue"), err);
	} else if (r->status == 404 || r->status == 410) {
		if (gone_status)
			*gone_status = r->status;
		rc = cl_tracker_gone(t, r->status, id, "fetching an issue", err);
	} else {
		rc = cl_tracker_http_fail(t, r->status, r->body, "fetching an issue", err);
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* A listed issue. */
static int
rm_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item, struct cl_error *err)
{
	return rm_ticket(t, out, item, err);
}

/* A failed list: an unknown project is a configuration error. */
static int
rm_list_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
             struct cl_error *err)
{
	if (r->status == 404)
		return cl_error_set(err, CL_ECONFIG, "Redmine project '%s' not found at %s",
		                    t->project, t->url);
	return cl_tracker_http_fail(t, r->status, r->body, what, err);
}

/* Offset pages until total_count; the statuses tell closed from open. */
static const struct cl_tracker_list rm_issues = {
	.what = "listing issues",
	.paging = CL_PAGING_OFFSET,
	.page_param = "offset",
	.items = "issues",
	.total = "total_count",
	.ticket = rm_list_ticket,
	.fail = rm_list_fail,
	.before_items = rm_statuses,
};

/* Walks the project's issues updated at or after since (NULL: all). */
static int
rm_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
        struct cl_tracker_walk *w, struct cl_error *err)
{
	struct rm *m = t->priv;
	char *v = since && *since ? cl_asprintf(">=%s", since) : NULL;
	char *esc = v ? cl_http_escape(v) : NULL, *url;
	int rc;

	free(v);
	if (since && *since && esc == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	url = cl_asprintf("%s/issues.json?project_id=%s&status_id=*&sort=updated_on:desc,id:desc"
	                  "&limit=100%s%s", t->url, m->project_esc, esc ? "&updated_on=" : "",
	                  esc ? esc : "");
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, &rm_issues, w, err);
	free(url);
	return rc;
}

static int
rm_changes(struct cl_tracker *t, struct cl_ticket_list *out,
           const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
           int *not_modified, struct cl_error *err)
{
	return cl_tracker_pull_walk(t, out, in, next, not_modified, rm_list, err);
}

static int
rm_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                struct cl_error *err)
{
	return cl_tracker_find_walk(t, out, since, 3600, rm_list, err);
}

/* "#42", "42", "<url>/issues/42". */
static int
rm_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	const char *p = ref, *num;
	size_t ulen = strlen(t->url);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p == '#')
		p++;
	else if (strncasecmp(p, t->url, ulen) == 0 && strncmp(p + ulen, "/issues/", 8) == 0)
		p += ulen + 8;
	else if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0)
		return CL_ENOTFOUND;
	num = p;
	while (*p >= '0' && *p <= '9')
		p++;
	if (p == num || *num == '0' || (*p != '\0' && strcmp(p, ".json") != 0))
		return CL_ENOTFOUND;
	*out = cl_strndup(num, (size_t)(p - num));
	return *out ? 0 : CL_ENOMEM;
}

/* The numeric id of the user the API key belongs to (/users/current.json). */
static int
rm_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	static const char *const keys[] = { "user", "id", NULL };

	return cl_tracker_get_valuef(t, out, keys, "asking Redmine who the key is", err,
	                             "%s/users/current.json", t->url);
}

const struct cl_tracker_ops cl_tracker_redmine = {
	.kind = "redmine",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_ASSIGNEE | CL_TRACKER_CAP_COMMENT,
	.init = rm_init,
	.release = rm_release,
	.create = rm_create,
	.update = rm_update,
	.get = rm_get,
	.set_state = rm_set_state,
	.changes = rm_changes,
	.find_markers = rm_find_markers,
	.parse_ref = rm_parse_ref,
	.canon_user = rm_canon_user,
	.whoami = rm_whoami,
};
