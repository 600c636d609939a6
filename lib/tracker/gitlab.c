/* gitlab.c — GitLab REST v4 issues backend (gitlab.com and self-managed),
 * as a dialect of the engine (lib/tracker.c).
 * url is the instance root (https://gitlab.example.com; a trailing /api/v4
 * is accepted), project the numeric id or the group/name path (sent
 * URL-encoded). PRIVATE-TOKEN auth. Issues are addressed by iid (the number
 * people see), never by the global id. Native due dates; labels as a comma
 * string; assignees by numeric id, looked up from the username through
 * /users?username= and cached for the run (tickets carry usernames); close
 * and reopen with state_event; comments are notes. No close reason: a
 * withdrawn item's issue is closed with a note. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../http.h"
#include "../tracker.h"
#include "../util.h"

struct gl {
	struct cl_tracker_names users;	/* username → id (NULL: none) */
	int numeric;		/* project given by id */
};

static int
gl_init(struct cl_tracker *t, struct cl_error *err)
{
	struct gl *g;
	const char *p;
	size_t n;

	if ((g = cl_calloc(1, sizeof *g)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = g;
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
	return cl_tracker_rest_init(t, err);
}

static void
gl_release(struct cl_tracker *t)
{
	struct gl *g = t->priv;

	if (g != NULL)
		cl_tracker_names_release(&g->users);
	free(g);
	t->priv = NULL;
}

/* The numeric id of a username (cached), NULL in *id when there is none. */
static int
gl_user_id(struct cl_tracker *t, const char **id, const char *username, struct cl_error *err)
{
	struct gl *g = t->priv;
	json_t *ans = NULL;
	char *url, *esc, *found = NULL;
	size_t i;
	int rc;

	if (cl_tracker_names_find(&g->users, username, id))
		return 0;
	if ((esc = cl_http_escape(username)) == NULL ||
	    (url = cl_asprintf("%s/api/v4/users?username=%s", t->url, esc)) == NULL) {
		free(esc);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	free(esc);
	rc = cl_tracker_get_json(t, (void **)&ans, url, "looking up a GitLab user", err);
	free(url);
	if (rc != 0)
		return rc;
	if (!json_is_array(ans)) {
		json_decref(ans);
		return cl_error_set(err, CL_EDATA, "looking up GitLab user '%s': no array in the "
		                    "answer", username);
	}
	for (i = 0; i < json_array_size(ans) && found == NULL; i++) {
		json_t *u = json_array_get(ans, i);
		const char *un = json_string_value(json_object_get(u, "username"));
		if (un && strcasecmp(un, username) == 0 && json_is_integer(json_object_get(u, "id")))
			found = cl_tracker_jpath(u, "id");
	}
	json_decref(ans);
	rc = cl_tracker_names_add(&g->users, username, found);
	free(found);
	if (rc != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_tracker_names_find(&g->users, username, id);
	return 0;
}

/* The assignee by numeric id; an unknown username is left out (the issue
 * is still made). */
static int
gl_write(struct cl_tracker *t, void *obj, const struct cl_ticket_spec *s, unsigned mask,
         int create, struct cl_error *err)
{
	const char *id = NULL;
	int rc;

	(void)create;
	if (!(mask & CL_SPEC_ASSIGNEE) || s->assignee == NULL)
		return 0;
	if ((rc = gl_user_id(t, &id, s->assignee, err)) != 0)
		return rc;
	if (id && strtoll(id, NULL, 10) > 0)
		json_object_set_new(obj, "assignee_ids", json_pack("[I]",
		                    (json_int_t)strtoll(id, NULL, 10)));
	return 0;
}

/* "#42", "42", "group/name#42", "<url>/group/name/-/issues/42". */
static int
gl_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	struct gl *g = t->priv;
	const char *p = ref, *q;
	size_t plen = strlen(t->project), ulen = strlen(t->url);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "http://", 7) != 0 && strncasecmp(p, "https://", 8) != 0)
		return g->numeric && strchr(p + (*p == '#'), '#') ? CL_ENOTFOUND :
		       cl_tracker_rest_parse_ref(t, out, ref);
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
		q += 10;
	else if (strncmp(q, "/issues/", 8) == 0)
		q += 8;
	else
		return CL_ENOTFOUND;
	p = q + strspn(q, "0123456789");
	if (p == q || *q == '0' || p[strspn(p, " /")] != '\0')
		return CL_ENOTFOUND;
	*out = cl_strndup(q, (size_t)(p - q));
	return *out ? 0 : CL_ENOMEM;
}

static const struct cl_tracker_dialect gl_dialect = {
	.name = "GitLab",
	.auth = "PRIVATE-TOKEN: ",
	.api_suffix = "/api/v4",
	.base = "{url}/api/v4/projects/{project}",
	.rate_wait = 2,		/* GitLab's 429 may come without Retry-After */
	.need = "state",
	.id = "iid",
	.web = "web_url",
	.title = "title",
	.body = "description",
	.state = "state",
	.closed_word = "closed",
	.assignee = { "assignees.0.username", "assignee.username" },
	.due = "due_date",
	.updated = "updated_at",
	.closed = "closed_at",
	.creator = "author.username",
	.w_title = "title",
	.w_body = "description",
	.w_labels = "labels",
	.labels_form = CL_FORM_CSV,
	.w_due = "due_date",
	.due_null = 1,
	.create_url = "{base}/issues",
	.issue_url = "{base}/issues/{id}",
	.comment_url = "{base}/issues/{id}/notes",
	/* cl_http_escape encodes '+' (time zone offsets) as %2B */
	.list_url = "{base}/issues?scope=all&order_by=updated_at&sort=asc&per_page=100",
	.since_param = "&updated_after=",
	.update_method = "PUT",
	.missing = "GitLab project",
	.state_key = "state_event",
	.close_word = "close",
	.open_word = "reopen",
	/* Link rel="next"; without it, a full page asks for the next page
	 * number, as x-next-page would */
	.list = { .what = "listing issues", .paging = CL_PAGING_LINK_OR_FULL,
	          .page_param = "page", .per_page = 100 },
	.pull = CL_PULL_ETAG,
	.skew_s = 3600,
	.whoami_url = "{url}/api/v4/user",
	.whoami = "username",
	.write = gl_write,
};

const struct cl_tracker_ops cl_tracker_gitlab = {
	.kind = "gitlab",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE |
	        CL_TRACKER_CAP_COMMENT,
	.dialect = &gl_dialect,
	.init = gl_init,
	.release = gl_release,
	.parse_ref = gl_parse_ref,
};
