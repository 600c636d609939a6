/* redmine.c — Redmine REST backend (JSON, X-Redmine-API-Key), as a dialect
 * of the engine (lib/tracker.c).
 * url is the instance root, project the project identifier. Native due
 * dates; no labels; closing is a status with is_closed (looked up once per
 * run unless [tracker] closed_status_id names it); comments are journal
 * notes. Assignees are numeric user ids; logins are resolved through
 * /users.json (needs an administrator's key) and cached for the run. Writes
 * answer 204: the issue is fetched back when the caller wants it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../config.h"
#include "../dates.h"
#include "../http.h"
#include "../tracker.h"
#include "../util.h"

struct rm {
	long tracker_id;		/* 0: the project's default */
	long closed_status_id;		/* 0: look up */
	long rejected_status_id;	/* closed status for "not planned" */
	long open_status_id;		/* for reopening */
	int statuses_loaded;
	long *closed_ids;		/* every status with is_closed */
	size_t nclosed, closed_cap;
	struct cl_tracker_names users;	/* login → id (NULL: none) */
};

static int
rm_init(struct cl_tracker *t, struct cl_error *err)
{
	struct rm *m;
	long v;
	int rc;

	if ((m = cl_calloc(1, sizeof *m)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = m;
	if ((rc = cl_config_get_int(t->cfg, "tracker", "tracker_id", 0, 0, 1L << 30, &v, err)) != 0)
		return rc;
	m->tracker_id = v;
	if ((rc = cl_config_get_int(t->cfg, "tracker", "closed_status_id", 0, 0, 1L << 30, &v,
	                            err)) != 0)
		return rc;
	m->closed_status_id = v;
	return cl_tracker_rest_init(t, err);
}

static void
rm_release(struct cl_tracker *t)
{
	struct rm *m = t->priv;

	if (m == NULL)
		return;
	cl_tracker_names_release(&m->users);
	free(m->closed_ids);
	free(m);
	t->priv = NULL;
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
	rc = cl_tracker_get_json(t, (void **)&j, url, "listing issue statuses", err);
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

/* Closed when the issue's status says so or is one of the closed ones. */
static int
rm_read(struct cl_tracker *t, struct cl_ticket *tk, void *json, struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *st = json_object_get(json, "status");
	long id = (long)json_integer_value(json_object_get(st, "id"));
	size_t i;

	(void)err;
	for (i = 0; i < m->nclosed && tk->state == CL_TICKET_OPEN; i++)
		if (m->closed_ids[i] == id)
			tk->state = CL_TICKET_CLOSED;
	if (json_is_true(json_object_get(st, "is_closed")) || id == m->closed_status_id)
		tk->state = CL_TICKET_CLOSED;
	return 0;
}

static int
rm_canon_user(struct cl_tracker *t, char **out, const char *handle, struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *j = NULL, *users;
	const char *p, *id = NULL;
	char *url, *esc, *found = NULL;
	size_t i;
	int rc;

	*out = NULL;
	for (p = handle; *p && isdigit((unsigned char)*p); p++)
		;
	if (*handle && *p == '\0')
		return (*out = cl_strdup(handle)) ? 0 : CL_ENOMEM;
	if (cl_tracker_names_find(&m->users, handle, &id))
		return id == NULL ? CL_ENOTFOUND : (*out = cl_strdup(id)) ? 0 : CL_ENOMEM;
	if ((esc = cl_http_escape(handle)) == NULL ||
	    (url = cl_asprintf("%s/users.json?name=%s", t->url, esc)) == NULL) {
		free(esc);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(esc);
	rc = cl_tracker_get_json(t, (void **)&j, url, "looking up a Redmine user", err);
	free(url);
	if (rc != 0)
		return rc;
	users = json_object_get(j, "users");
	for (i = 0; i < json_array_size(users) && found == NULL; i++) {
		json_t *u = json_array_get(users, i);
		const char *login = json_string_value(json_object_get(u, "login"));
		if (login && strcasecmp(login, handle) == 0)
			found = cl_asprintf("%lld", (long long)json_integer_value(json_object_get(u,
			                    "id")));
	}
	json_decref(j);
	rc = cl_tracker_names_add(&m->users, handle, found);
	free(found);
	if (rc != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return rm_canon_user(t, out, handle, err);
}

/* A create's project and tracker; a past due date moves the start back. */
static int
rm_write(struct cl_tracker *t, void *obj, const struct cl_ticket_spec *s, unsigned mask,
         int create, struct cl_error *err)
{
	struct rm *m = t->priv;
	char today[11];

	(void)err;
	if (create) {
		json_object_set_new(obj, "project_id", json_string(t->project));
		if (m->tracker_id)
			json_object_set_new(obj, "tracker_id", json_integer(m->tracker_id));
	}
	/* Redmine starts issues today and refuses a due date before the
	 * start (422): a past due date moves the start back to it */
	cl_date_format(cl_today(NULL), today);
	if ((mask & CL_SPEC_DUE) && s->due && strcmp(s->due, today) < 0)
		json_object_set_new(obj, "start_date", json_string(s->due));
	return 0;
}

static int
rm_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	struct rm *m = t->priv;
	json_t *body;
	int rc;

	(void)cur_body;
	if (gone_status)
		*gone_status = 0;
	if ((rc = rm_statuses(t, err)) != 0)
		return rc;
	if ((body = json_pack("{s:{s:I}}", "issue", "status_id", (json_int_t)(!closed ? m->open_status_id
	                      : reason == CL_CLOSE_NOT_PLANNED ? m->rejected_status_id
	                      : m->closed_status_id))) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (comment && *comment)
		json_object_set_new(json_object_get(body, "issue"), "notes", json_string(comment));
	rc = cl_tracker_rest_call(t, NULL, "PUT", id, body, gone_status, closed ?
	                          "closing an issue" : "reopening an issue", err);
	json_decref(body);
	return rc;
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

static const struct cl_tracker_dialect rm_dialect = {
	.name = "Redmine",
	.auth = "X-Redmine-API-Key: ",
	.one = "issue",
	.id = "id",
	.web_fmt = "{url}/issues/{id}",
	.title = "subject",
	.body = "description",
	.assignee = { "assigned_to.id" },
	.due = "due_date",
	.updated = "updated_on",
	.closed = "closed_on",
	.closed_if_closed = 1,
	.creator = "author.id",
	.wrap = "issue",
	.w_title = "subject",
	.w_body = "description",
	.w_assignee = "assigned_to_id",
	.assignee_form = CL_FORM_INT,
	.w_due = "due_date",
	.due_null = 1,
	.create_url = "{url}/issues.json",
	.issue_url = "{url}/issues/{id}.json",
	.list_url = "{url}/issues.json?project_id={project}&status_id=*"
	            "&sort=updated_on:desc,id:desc&limit=100",
	.since_param = "&updated_on=",
	.since_prefix = ">=",
	.update_method = "PUT",
	.write_fetch = 1,
	.missing = "Redmine project",
	/* offset pages until total_count; the statuses tell closed from open */
	.list = { .what = "listing issues", .paging = CL_PAGING_OFFSET, .page_param = "offset",
	          .items = "issues", .total = "total_count", .before_items = rm_statuses },
	.pull = CL_PULL_DATE,
	.skew_s = 3600,
	.whoami_url = "{url}/users/current.json",
	.whoami = "user.id",
	.prepare = rm_statuses,
	.read = rm_read,
	.write = rm_write,
};

const struct cl_tracker_ops cl_tracker_redmine = {
	.kind = "redmine",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_ASSIGNEE | CL_TRACKER_CAP_COMMENT,
	.dialect = &rm_dialect,
	.init = rm_init,
	.release = rm_release,
	.set_state = rm_set_state,
	.parse_ref = rm_parse_ref,
	.canon_user = rm_canon_user,
};
