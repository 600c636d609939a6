/* jira.c — Jira backend: Cloud (REST v3) and Data Center (REST v2).
 * url is the instance root (https://acme.atlassian.net, https://jira.corp);
 * project the project key; [tracker] flavor = cloud (default) | datacenter.
 *  - Cloud: /rest/api/3, Basic base64(user:token) with user the account
 *    e-mail, descriptions and comments in Atlassian Document Format,
 *    assignee {"accountId"}, search via /search/jql with nextPageToken.
 *  - Data Center: /rest/api/2, Bearer personal access token, descriptions
 *    in wiki markup (markup characters escaped, the marker left as it is),
 *    assignee {"name"}, search via /search with startAt.
 * issue_type (default Task); extra_fields is a JSON object merged into the
 * create's fields (required custom fields). Closing and reopening are
 * workflow transitions: the one whose target status category is done (a
 * "Won't Do"-like one for withdrawn items when there is one) or new (else
 * indeterminate). Incremental pulls ask `updated >= "yyyy-MM-dd HH:mm"` in
 * the account's time zone (/myself, else [tracker] timezone, else
 * [closeloop] timezone), minutes resolution, from a few minutes before the
 * newest change seen. Search is eventually consistent: looking for the
 * markers of interrupted creates searches twice, search_wait_ms apart. */
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

#define JR_OVERLAP_S (5 * 60)	/* re-scan window before the cursor */
#define JR_FIELDS "summary,description,status,assignee,duedate,updated,resolutiondate,labels," \
	"creator"

struct jr {
	int dc;			/* Data Center (v2) */
	char *issue_type;
	json_t *extra;		/* extra_fields or NULL */
	char *tz;		/* the account's zone, once known */
	char *self;		/* the account (Cloud accountId, DC name), from /myself */
	int tz_loaded;
	long search_wait_ms;
};

/* --- text forms ------------------------------------------------------- */

/* Plain text as an ADF document: paragraphs at blank lines, hard breaks at
 * line ends. */
static json_t *
adf_from_text(const char *text)
{
	json_t *doc = json_pack("{s:s,s:i,s:[]}", "type", "doc", "version", 1, "content");
	json_t *content = json_object_get(doc, "content"), *para = NULL, *inl = NULL;
	const char *p = text ? text : "";

	if (doc == NULL)
		return NULL;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len == 0) {
			para = NULL;	/* a blank line ends the paragraph */
		} else {
			if (para == NULL) {
				para = json_pack("{s:s,s:[]}", "type", "paragraph", "content");
				inl = json_object_get(para, "content");
				json_array_append_new(content, para);
			} else {
				json_array_append_new(inl, json_pack("{s:s}", "type", "hardBreak"));
			}
			json_array_append_new(inl, json_pack("{s:s,s:s%}", "type", "text", "text", p,
			                                     len));
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (json_array_size(content) == 0)
		json_array_append_new(content, json_pack("{s:s,s:[]}", "type", "paragraph",
		                                         "content"));
	return doc;
}

/* The text of an ADF node: blocks separated by blank lines, list items and
 * table cells by line ends. */
static void
adf_text(struct cl_buf *b, json_t *node, int depth)
{
	const char *type = json_string_value(json_object_get(node, "type"));
	json_t *kids = json_object_get(node, "content"), *attrs = json_object_get(node, "attrs");
	size_t i;

	if (type == NULL || depth > 64)
		return;
	if (strcmp(type, "text") == 0) {
		cl_buf_puts(b, json_string_value(json_object_get(node, "text")) ?
		            json_string_value(json_object_get(node, "text")) : "");
		return;
	}
	if (strcmp(type, "hardBreak") == 0) {
		cl_buf_putc(b, '\n');
		return;
	}
	if (strcmp(type, "mention") == 0 || strcmp(type, "emoji") == 0) {
		const char *s = json_string_value(json_object_get(attrs, "text"));
		cl_buf_puts(b, s ? s : "");
		return;
	}
	if (strcmp(type, "inlineCard") == 0) {
		const char *s = json_string_value(json_object_get(attrs, "url"));
		cl_buf_puts(b, s ? s : "");
		return;
	}
	for (i = 0; i < json_array_size(kids); i++) {
		json_t *k = json_array_get(kids, i);
		const char *kt = json_string_value(json_object_get(k, "type"));
		int inline_kid = kt && (strcmp(kt, "text") == 0 || strcmp(kt, "hardBreak") == 0 ||
		                        strcmp(kt, "mention") == 0 || strcmp(kt, "emoji") == 0 ||
		                        strcmp(kt, "inlineCard") == 0);
		if (i > 0 && !inline_kid)
			cl_buf_puts(b, strcmp(type, "doc") == 0 ? "\n\n" : "\n");
		adf_text(b, k, depth + 1);
	}
}

/* Characters of Jira wiki markup that closeloop's text escapes. */
static const char wiki_special[] = "{}[]|*_+^~!#\\";

/* Text as wiki markup: markup characters escaped, except inside the marker
 * ("closeloop:<key>", which must stay findable in the raw text). */
static char *
wiki_escape(const char *text)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *p = text ? text : "";
	int bol = 1;

	while (*p) {
		if (strncmp(p, "closeloop:", 10) == 0) {
			const char *e = p + 10;
			while (isalnum((unsigned char)*e) || *e == '-' || *e == '_' || *e == '.')
				e++;
			cl_buf_add(&b, p, (size_t)(e - p));
			p = e;
			bol = 0;
			continue;
		}
		if (strchr(wiki_special, *p) || (bol && *p == '-' && p[1] == ' '))
			cl_buf_putc(&b, '\\');
		bol = *p == '\n';
		cl_buf_putc(&b, *p++);
	}
	return cl_buf_steal(&b);
}

static char *
wiki_unescape(const char *s)
{
	struct cl_buf b = CL_BUF_INIT;

	for (; *s; s++) {
		if (*s == '\\' && s[1] && (strchr(wiki_special, s[1]) || s[1] == '-'))
			s++;
		if (*s != '\r')
			cl_buf_putc(&b, *s);
	}
	return cl_buf_steal(&b);
}

/* --- the dialect -------------------------------------------------------- */

/* The description: ADF (Cloud) or wiki markup (Data Center). */
static int
jr_read(struct cl_tracker *t, struct cl_ticket *tk, void *json, struct cl_error *err)
{
	json_t *d = json_object_get(json_object_get(json, "fields"), "description");
	struct cl_buf b = CL_BUF_INIT;

	(void)t;
	(void)err;
	if (json_is_object(d)) {
		adf_text(&b, d, 0);
		tk->body = cl_buf_steal(&b);
	} else if (json_is_string(d)) {
		tk->body = wiki_unescape(json_string_value(d));
	}
	return 0;
}

/* Text as the flavor writes it: ADF or escaped wiki markup. */
static void *
jr_text(struct cl_tracker *t, const char *text)
{
	struct jr *j = t->priv;
	char *w;
	json_t *s;

	if (!j->dc)
		return adf_from_text(text);
	w = wiki_escape(text);
	s = w ? json_string(w) : NULL;
	free(w);
	return s;
}

/* A create's project and issue type; the user's extra fields fill in what
 * closeloop does not set. */
static int
jr_write(struct cl_tracker *t, void *obj, const struct cl_ticket_spec *s, unsigned mask,
         int create, struct cl_error *err)
{
	struct jr *j = t->priv;

	(void)s;
	(void)mask;
	(void)err;
	if (!create)
		return 0;
	json_object_set_new(obj, "project", json_pack("{s:s}", "key", t->project));
	json_object_set_new(obj, "issuetype", json_pack("{s:s}", "name", j->issue_type));
	if (j->extra)
		json_object_update_missing(obj, j->extra);
	return 0;
}

/* A create answers {id, key, self}: the rest is what was asked. */
static int
jr_created(struct cl_tracker *t, struct cl_ticket *out, void *json,
           const struct cl_ticket_spec *spec, struct cl_error *err)
{
	const char *key = json_string_value(json_object_get(json, "key"));

	if (key == NULL)
		return cl_error_set(err, CL_EDATA, "creating an issue: Jira answered no key");
	out->id = cl_strdup(key);
	out->url = cl_tracker_url(t, "{url}/browse/{id}", key);
	out->title = spec->title ? cl_strdup(spec->title) : NULL;
	out->body = spec->body ? cl_strdup(spec->body) : NULL;
	out->state = CL_TICKET_OPEN;
	out->assignee = spec->assignee ? cl_strdup(spec->assignee) : NULL;
	out->due = spec->due ? cl_strdup(spec->due) : NULL;
	out->marker = spec->body ? cl_tracker_marker_find(spec->body) : NULL;
	if (out->id == NULL || out->url == NULL) {
		cl_ticket_release(out);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

/* Cloud and Data Center differ in the API version and how people are named. */
#define JR_DIALECT(ver, who) \
	.name = "Jira", \
	.base = "{url}/rest/api/" ver, \
	.rate_wait = 2, \
	.need = "fields", \
	.id = "key", \
	.web_fmt = "{url}/browse/{id}", \
	.title = "fields.summary", \
	.state = "fields.status.statusCategory.key", \
	.closed_word = "done", \
	.assignee = { "fields.assignee." who }, \
	.due = "fields.duedate", \
	.updated = "fields.updated", \
	.closed = "fields.resolutiondate", \
	.closed_if_closed = 1, \
	.creator = "fields.creator." who, \
	.utc = 2, \
	.wrap = "fields", \
	.w_title = "summary", \
	.w_body = "description", \
	.w_labels = "labels", \
	.labels_form = CL_FORM_ARRAY, \
	.labels_dash = 1,	/* Jira labels cannot hold spaces */ \
	.w_assignee = "assignee", \
	.assignee_form = CL_FORM_OBJECT, \
	.assignee_key = who, \
	.w_due = "duedate", \
	.due_null = 1, \
	.create_url = "{base}/issue", \
	.issue_url = "{base}/issue/{id}", \
	.get_url = "{base}/issue/{id}?fields=" JR_FIELDS, \
	.comment_url = "{base}/issue/{id}/comment", \
	.update_method = "PUT", \
	.write_fetch = 1, \
	.missing = "Jira project", \
	.read = jr_read, \
	.write = jr_write, \
	.text = jr_text, \
	.created = jr_created

static const struct cl_tracker_dialect jr_cloud = { JR_DIALECT("3", "accountId") };
static const struct cl_tracker_dialect jr_dc = { JR_DIALECT("2", "name") };

static int
jr_init(struct cl_tracker *t, struct cl_error *err)
{
	const char *flavor = cl_config_get(t->cfg, "tracker", "flavor");
	const char *extra = cl_config_get(t->cfg, "tracker", "extra_fields");
	const char *tz = cl_config_get(t->cfg, "tracker", "timezone");
	const char *path = cl_config_path(t->cfg) ? cl_config_path(t->cfg) : "config";
	struct jr *j;
	char *hdr = NULL, *p;
	long v;
	int rc;

	if ((j = cl_calloc(1, sizeof *j)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	t->priv = j;
	if (flavor == NULL || strcmp(flavor, "cloud") == 0)
		j->dc = 0;
	else if (strcmp(flavor, "datacenter") == 0 || strcmp(flavor, "server") == 0)
		j->dc = 1;
	else
		return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] flavor '%s' is not cloud or "
		                    "datacenter", path, cl_config_line(t->cfg, "tracker", "flavor"),
		                    flavor);
	/* the instance root; an API root pasted by habit is taken back */
	if ((p = strstr(t->url, "/rest/api/")) != NULL)
		*p = '\0';
	for (p = t->project; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return cl_error_set(err, CL_ECONFIG, "[tracker] project '%s' is not a Jira "
			                    "project key", t->project);
	for (p = t->project; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if ((j->issue_type = cl_strdup(cl_config_get_default(t->cfg, "tracker", "issue_type",
	                                                     "Task"))) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (extra && *extra) {
		json_error_t je;
		if ((j->extra = json_loads(extra, JSON_REJECT_DUPLICATES, &je)) == NULL)
			return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] extra_fields is not "
			                    "valid JSON: %s (column %d)", path,
			                    cl_config_line(t->cfg, "tracker", "extra_fields"), je.text,
			                    je.column);
		if (!json_is_object(j->extra))
			return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] extra_fields must be a "
			                    "JSON object of issue fields, e.g. {\"customfield_10010\": "
			                    "{\"value\": \"Ops\"}}", path,
			                    cl_config_line(t->cfg, "tracker", "extra_fields"));
	}
	if (tz && *tz && !cl_tz_valid(tz))
		return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] timezone '%s' is not a known "
		                    "time zone", path, cl_config_line(t->cfg, "tracker", "timezone"), tz);
	if ((rc = cl_config_get_int(t->cfg, "tracker", "search_wait_ms", 2000, 0, 60000, &v,
	                            err)) != 0)
		return rc;
	j->search_wait_ms = v;
	if (j->dc) {
		if ((hdr = cl_asprintf("Authorization: Bearer %s", t->token)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		rc = cl_http_add_header(t->http, hdr, 1, err);
		cl_secret_free(hdr);
	} else {
		/* Basic e-mail:API token, encoded by libcurl */
		const char *user = cl_config_get(t->cfg, "tracker", "user");
		if (user == NULL || *user == '\0')
			return cl_error_set(err, CL_ECONFIG, "[tracker] user (the Atlassian account "
			                    "e-mail) is required for Jira Cloud");
		rc = cl_http_set_basic_auth(t->http, user, t->token, err);
	}
	t->d = j->dc ? &jr_dc : &jr_cloud;
	return rc != 0 ? rc : cl_tracker_rest_init(t, err);
}

static void
jr_release(struct cl_tracker *t)
{
	struct jr *j = t->priv;

	if (j == NULL)
		return;
	free(j->issue_type);
	free(j->tz);
	free(j->self);
	json_decref(j->extra);
	free(j);
	t->priv = NULL;
}

/* --- state ------------------------------------------------------------------ */

/* True when a transition's name says the work will not be done. */
static int
not_planned_name(const char *name)
{
	static const char *const words[] = { "won't", "wont", "won’t", "reject", "cancel",
	                                     "declin", "not planned", "obsolete", NULL };
	size_t i;
	char *low = name ? cl_strdup(name) : NULL;
	int hit = 0;

	if (low == NULL)
		return 0;
	cl_str_lower(low);
	for (i = 0; words[i] && !hit; i++)
		hit = strstr(low, words[i]) != NULL;
	free(low);
	return hit;
}

/* The transition asked for: to a status in the wanted category. */
struct jr_pick {
	int closed, reason;
	char *id;
};

/* Picks the transition from the list answered (a "Won't Do"-like one for
 * withdrawn items when offered; else indeterminate for a reopen). */
static int
jr_pick_transition(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err)
{
	struct jr_pick *x = ctx;
	json_t *arr = json_object_get(json, "transitions");
	const char *pick = NULL, *fallback = NULL, *want = x->closed ? "done" : "new";
	size_t i;
	int pick_np = 0;

	(void)out;
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *tr = json_array_get(arr, i), *to = json_object_get(tr, "to");
		const char *cat = json_string_value(json_object_get(json_object_get(to,
		                                    "statusCategory"), "key"));
		const char *id = json_string_value(json_object_get(tr, "id"));
		int np = not_planned_name(json_string_value(json_object_get(tr, "name"))) ||
		         not_planned_name(json_string_value(json_object_get(to, "name")));
		if (cat == NULL || id == NULL)
			continue;
		if (strcmp(cat, want) == 0 && (pick == NULL || (x->closed &&
		    (x->reason == CL_CLOSE_NOT_PLANNED ? np && !pick_np : !np && pick_np)))) {
			pick = id;
			pick_np = np;
		} else if (!x->closed && strcmp(cat, "indeterminate") == 0 && fallback == NULL) {
			fallback = id;
		}
	}
	if ((pick || fallback) && (x->id = cl_strdup(pick ? pick : fallback)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return 0;
}

static int
jr_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
             const char *comment, const char *cur_body, long *gone_status,
             struct cl_error *err)
{
	struct jr_pick x = { closed, reason, NULL };
	struct cl_issue_call c = { 0 };
	struct cl_ticket tk;
	const char *what = closed ? "closing an issue" : "reopening an issue";
	json_t *body = NULL;
	int rc;

	(void)cur_body;
	memset(&tk, 0, sizeof tk);
	if ((c.url = cl_tracker_url(t, "{base}/issue/{id}/transitions", id)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = "GET";
	c.id = id;
	c.what = what;
	c.parse = jr_pick_transition;
	c.ctx = &x;
	if ((rc = cl_tracker_issue_call(t, &tk, &c, gone_status, err)) != 0)
		goto done;
	if (x.id == NULL) {
		/* none offered: fine when the issue is there already */
		if ((rc = cl_tracker_rest_get(t, &tk, id, gone_status, err)) == 0 &&
		    (tk.state == CL_TICKET_CLOSED) != (closed != 0))
			rc = cl_error_set(err, CL_EDATA, "%s: the workflow of %s offers no transition "
			                  "to a status in the '%s' category", what, id,
			                  closed ? "done" : "new");
		if (rc != 0)
			goto done;
	}
	/* the comment first, so that it shows before the status change */
	if (comment && *comment && (rc = cl_tracker_rest_comment(t, id, comment, gone_status,
	                                                         err)) != 0)
		goto done;
	if (x.id == NULL)
		goto done;
	if ((c.body = body = json_pack("{s:{s:s}}", "transition", "id", x.id)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	c.method = "POST";
	c.what = "moving an issue through its workflow";
	c.no_body = 1;
	rc = cl_tracker_issue_call(t, NULL, &c, gone_status, err);
done:
	json_decref(body);
	cl_ticket_release(&tk);
	free((char *)c.url);
	free(x.id);
	return rc;
}

/* --- search ------------------------------------------------------------------- */

/* The account's time zone: /myself, else [tracker] timezone, else
 * [closeloop] timezone, else UTC. Asked once per run. */
static int
jr_zone(struct cl_tracker *t, struct cl_error *err)
{
	struct jr *j = t->priv;
	struct cl_http_response *r = NULL;
	json_t *ans = NULL;
	const char *tz = NULL;
	char *url;
	int rc;

	if (j->tz_loaded)
		return 0;
	if ((url = cl_tracker_url(t, "{base}/myself", NULL)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL, NULL, err);
	free(url);
	if (rc != 0)
		return rc;
	if (r->status == 401 || r->status == 403) {
		rc = cl_tracker_http_fail(t, r->status, r->body, "checking the Jira account", err);
	} else {
		if (r->status == 200) {
			tz = json_string_value(json_object_get(ans, "timeZone"));
			if (json_is_string(json_object_get(ans, j->dc ? "name" : "accountId")) &&
			    (j->self = cl_tracker_jstr(ans, j->dc ? "name" : "accountId")) == NULL)
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		if (tz == NULL || !cl_tz_valid(tz))
			tz = cl_config_get(t->cfg, "tracker", "timezone");
		if (tz == NULL || !*tz)
			tz = cl_config_timezone(t->cfg);
		if (tz == NULL || !*tz)
			tz = "UTC";
		if ((j->tz = cl_strdup(tz)) == NULL)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		else
			j->tz_loaded = 1;
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

/* A refused search: our JQL names only the project (400), a 404 is the url
 * or the flavor. */
static int
jr_search_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
               struct cl_error *err)
{
	char msg[512];

	if (r->status != 400 && r->status != 404 && r->status != 410)
		return cl_tracker_http_fail(t, r->status, r->body, what, err);
	cl_tracker_error_text(r->body, msg, sizeof msg);
	return cl_error_set(err, CL_ECONFIG, "%s: %s answered HTTP %ld%s%s", r->status == 400 ?
	                    "searching the project's issues (check [tracker] project)" :
	                    "searching issues (check [tracker] url and flavor)", t->url,
	                    r->status, *msg ? ": " : "", msg);
}

/* Cloud: /search/jql with nextPageToken until isLast. */
static const struct cl_tracker_list jr_search_cloud = {
	.what = "searching issues",
	.paging = CL_PAGING_TOKEN,
	.page_param = "nextPageToken",
	.items = "issues",
	.token = "nextPageToken",
	.last = "isLast",
	.fail = jr_search_fail,
};

/* Data Center: /search with startAt until total. */
static const struct cl_tracker_list jr_search_dc = {
	.what = "searching issues",
	.paging = CL_PAGING_OFFSET,
	.page_param = "startAt",
	.items = "issues",
	.total = "total",
	.fail = jr_search_fail,
};

/* Searches the project's issues updated at or after from (0: all), oldest
 * first, all pages. */
static int
jr_search(struct cl_tracker *t, struct cl_ticket_list *out, time_t from,
          struct cl_tracker_walk *w, struct cl_error *err)
{
	struct jr *j = t->priv;
	char *jql = NULL, *ejql = NULL, *url;
	int rc;

	if ((rc = jr_zone(t, err)) != 0)
		return rc;
	if (from > 0) {
		struct tm tm;
		char when[32];
		if (cl_localtime(from, j->tz, &tm) != 0)
			return cl_error_set(err, CL_ECONFIG, "cannot convert times to the Jira account's "
			                    "time zone '%s'", j->tz);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
		jql = cl_asprintf("project = \"%s\" AND updated >= \"%s\" ORDER BY updated ASC",
		                  t->project, when);
	} else {
		jql = cl_asprintf("project = \"%s\" ORDER BY updated ASC", t->project);
	}
	ejql = jql ? cl_http_escape(jql) : NULL;
	free(jql);
	url = ejql ? cl_asprintf("%s/%s?jql=%s&fields=" JR_FIELDS "&maxResults=100", t->base,
	                         j->dc ? "search" : "search/jql", ejql) : NULL;
	free(ejql);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, j->dc ? &jr_search_dc : &jr_search_cloud, w, err);
	free(url);
	return rc;
}

static int
jr_changes(struct cl_tracker *t, struct cl_ticket_list *out,
           const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
           int *not_modified, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	char *maxu = NULL;
	time_t from = 0;
	int rc;

	memset(next, 0, sizeof *next);
	*not_modified = 0;	/* Jira's search has no validators */
	/* minute resolution and a search index that lags: a few minutes back */
	if (in->since && cl_time_parse(in->since, &from) == 0)
		from -= JR_OVERLAP_S;
	else
		from = 0;
	rc = jr_search(t, out, from, &w, err);
	maxu = w.max_updated;
	w.max_updated = NULL;
	cl_tracker_walk_release(&w);
	if (rc != 0) {
		free(maxu);
		return rc;
	}
	if (maxu && in->since && strcmp(maxu, in->since) < 0) {
		free(maxu);
		maxu = NULL;
	}
	next->since = maxu ? maxu : in->since ? cl_strdup(in->since) : NULL;
	return 0;
}

/* Looks for markers twice, search_wait_ms apart: an issue created just
 * before an interruption may not be searchable yet. */
static int
jr_find_markers(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                struct cl_error *err)
{
	struct jr *j = t->priv;
	struct cl_ticket_list again = { NULL, 0, 0 };
	struct cl_tracker_walk w = { 0 };
	struct timespec ts;
	time_t from = 0;
	size_t i, k;
	int rc;

	if (since && cl_time_parse(since, &from) == 0)
		from -= 3600;	/* our clock against Jira's */
	else
		from = 0;
	w.markers_only = 1;
	rc = jr_search(t, out, from, &w, err);
	cl_tracker_walk_release(&w);
	if (rc != 0)
		return rc;
	ts.tv_sec = j->search_wait_ms / 1000;
	ts.tv_nsec = (j->search_wait_ms % 1000) * 1000000L;
	if (j->search_wait_ms > 0)
		nanosleep(&ts, NULL);
	rc = jr_search(t, &again, from, &w, err);
	cl_tracker_walk_release(&w);
	if (rc != 0)
		goto done;
	for (i = 0; i < again.n; i++) {
		int seen = 0;
		for (k = 0; k < out->n && !seen; k++)
			seen = strcmp(out->v[k].id, again.v[i].id) == 0;
		if (!seen && cl_ticket_list_push(out, &again.v[i]) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			break;
		}
	}
done:
	cl_ticket_list_release(&again);
	return rc;
}

/* "OPS-42" (this project's key), "<url>/browse/OPS-42". */
static int
jr_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	const char *p = ref, *num;
	size_t plen = strlen(t->project), ulen = strlen(t->url);
	char *r;

	*out = NULL;
	while (*p == ' ')
		p++;
	if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
		if (strncasecmp(p, t->url, ulen) != 0 || strncmp(p + ulen, "/browse/", 8) != 0)
			return CL_ENOTFOUND;
		p += ulen + 8;
	}
	if (strncasecmp(p, t->project, plen) != 0 || p[plen] != '-')
		return CL_ENOTFOUND;
	num = p + plen + 1;
	for (p = num; *p >= '0' && *p <= '9'; p++)
		;
	if (p == num || *num == '0')
		return CL_ENOTFOUND;
	while (*p == ' ' || *p == '/')
		p++;
	if (*p != '\0')
		return CL_ENOTFOUND;
	if ((r = cl_asprintf("%s-%.*s", t->project, (int)strspn(num, "0123456789"), num)) == NULL)
		return CL_ENOMEM;
	*out = r;
	return 0;
}

/* The account the token acts as, as /myself said (asked once a run). */
static int
jr_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	struct jr *j = t->priv;
	int rc;

	*out = NULL;
	if ((rc = jr_zone(t, err)) != 0)
		return rc;
	if (j->self == NULL)
		return cl_error_set(err, CL_EDATA, "Jira's /myself did not name the account");
	return (*out = cl_strdup(j->self)) ? 0 : cl_error_set(err, CL_ENOMEM, "out of memory");
}

const struct cl_tracker_ops cl_tracker_jira = {
	.title_max = 255,	/* summary: one line, 255 characters (jr_fields) */
	.kind = "jira",
	.caps = CL_TRACKER_CAP_DUE_DATE | CL_TRACKER_CAP_LABELS | CL_TRACKER_CAP_ASSIGNEE |
	        CL_TRACKER_CAP_COMMENT | CL_TRACKER_CAP_CLOSE_REASON,
	.init = jr_init,
	.release = jr_release,
	.dialect = &jr_cloud,
	.set_state = jr_set_state,
	.changes = jr_changes,
	.find_markers = jr_find_markers,
	.parse_ref = jr_parse_ref,
	.whoami = jr_whoami,
};
