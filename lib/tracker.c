/* tracker.c — backend selection, [tracker] keys, tickets and helpers. */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "dates.h"
#include "http.h"
#include "tracker.h"
#include "util.h"

static const struct cl_tracker_ops *const backends[] = {
	&cl_tracker_github,
	&cl_tracker_redmine,
	&cl_tracker_gitlab,
	&cl_tracker_gitea,
	&cl_tracker_forgejo,
	&cl_tracker_jira,
	NULL
};

const struct cl_tracker_ops *
cl_tracker_find(const char *kind)
{
	size_t i;

	for (i = 0; kind && backends[i]; i++)
		if (strcmp(backends[i]->kind, kind) == 0)
			return backends[i];
	return NULL;
}

/* Splits the comma separated labels key (default: postmortem, action-item). */
static int
tracker_labels(struct cl_tracker *t, struct cl_error *err)
{
	const char *v = cl_config_get(t->cfg, "tracker", "labels");
	char *copy, *tok, *save = NULL;

	if (v == NULL)
		v = "postmortem, action-item";
	if ((copy = cl_strdup(v)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		cl_str_trim(tok);
		if (*tok == '\0')
			continue;
		if (cl_grow(&t->labels, &t->labels_cap, t->nlabels, sizeof *t->labels, 4) != 0 ||
		    (t->labels[t->nlabels] = cl_strdup(tok)) == NULL) {
			free(copy);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		t->nlabels++;
	}
	free(copy);
	return 0;
}

/* A yes/no key of [tracker] (default no). */
static int
tracker_bool(const struct cl_config *cfg, const char *key, int *out, struct cl_error *err)
{
	const char *v = cl_config_get(cfg, "tracker", key);

	*out = 0;
	if (v == NULL || strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcmp(v, "0") == 0)
		return 0;
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = 1;
		return 0;
	}
	return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] %s = '%s' is not yes or no",
	                    cl_config_path(cfg) ? cl_config_path(cfg) : "config",
	                    cl_config_line(cfg, "tracker", key), key, v);
}

/* True for a loopback host in url (127.0.0.0/8, ::1, localhost). */
static int
tracker_loopback(const char *url)
{
	const char *h = strstr(url, "://") + 3;
	size_t n = strcspn(h, ":/?#");

	if (*h == '[')
		return strncmp(h, "[::1]", 5) == 0;
	return (n == 9 && strncasecmp(h, "localhost", 9) == 0) || strncmp(h, "127.", 4) == 0;
}

/* Refuses a cleartext http:// URL to another host unless allow_http = yes. */
static int
tracker_check_http(const struct cl_config *cfg, const char *url, struct cl_error *err)
{
	int allow = 0, rc;

	if ((rc = tracker_bool(cfg, "allow_http", &allow, err)) != 0)
		return rc;
	if (allow || !cl_str_starts_with(url, "http://") || tracker_loopback(url))
		return 0;
	return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] url '%s' is cleartext http to "
	                    "another host: the token would travel unencrypted; use https, or "
	                    "set allow_http = yes", cl_config_path(cfg) ? cl_config_path(cfg) :
	                    "config", cl_config_line(cfg, "tracker", "url"), url);
}

/* The backend's operations, the engine's where a dialect backend leaves one out. */
static void
tracker_fill_ops(struct cl_tracker_ops *o, const struct cl_tracker_ops *ops)
{
	*o = *ops;
	if (ops->dialect == NULL)
		return;
	o->init = o->init ? o->init : cl_tracker_rest_init;
	o->create = o->create ? o->create : cl_tracker_rest_create;
	o->update = o->update ? o->update : cl_tracker_rest_update;
	o->get = o->get ? o->get : cl_tracker_rest_get;
	o->set_state = o->set_state ? o->set_state : cl_tracker_rest_set_state;
	o->changes = o->changes ? o->changes : cl_tracker_rest_changes;
	o->find_markers = o->find_markers ? o->find_markers : cl_tracker_rest_find_markers;
	o->parse_ref = o->parse_ref ? o->parse_ref : cl_tracker_rest_parse_ref;
	o->whoami = o->whoami ? o->whoami : cl_tracker_rest_whoami;
}

int
cl_tracker_open(struct cl_tracker **out, const struct cl_config *cfg, int verbose,
                struct cl_error *err)
{
	const struct cl_tracker_ops *ops;
	const char *kind = cl_config_get(cfg, "tracker", "kind"), *url;
	struct cl_http_opts o;
	struct cl_tracker *t;
	long v;
	int rc;

	*out = NULL;
	if (kind == NULL || *kind == '\0' || strcmp(kind, "none") == 0)
		return cl_error_set(err, CL_ENOTFOUND, "no tracker configured ([tracker] kind)");
	if ((ops = cl_tracker_find(kind)) == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s:%d: [tracker] kind '%s' is not supported "
		                    "(github, redmine, gitlab, gitea, forgejo, jira, none)", cl_config_path(cfg) ?
		                    cl_config_path(cfg) : "config",
		                    cl_config_line(cfg, "tracker", "kind"), kind);
	if ((t = cl_calloc(1, sizeof *t)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	tracker_fill_ops(&t->ops_filled, ops);
	t->ops = &t->ops_filled;
	t->d = ops->dialect;
	t->cfg = cfg;
	memset(&o, 0, sizeof o);
	o.verbose = verbose;
	url = cl_config_get(cfg, "tracker", "url");
	if (url == NULL || *url == '\0') {
		if (strcmp(kind, "github") == 0) {
			url = "https://api.github.com";
		} else {
			rc = cl_error_set(err, CL_ECONFIG, "[tracker] url is required for %s", kind);
			goto fail;
		}
	}
	if (!cl_str_starts_with(url, "http://") && !cl_str_starts_with(url, "https://")) {
		rc = cl_error_set(err, CL_ECONFIG, "[tracker] url '%s' is not an http(s) URL", url);
		goto fail;
	}
	if ((rc = tracker_check_http(cfg, url, err)) != 0)
		goto fail;
	if ((t->url = cl_strdup(url)) == NULL)
		goto oom;
	while (*t->url && t->url[strlen(t->url) - 1] == '/')
		t->url[strlen(t->url) - 1] = '\0';
	if ((t->project = cl_strdup(cl_config_get_default(cfg, "tracker", "project", ""))) == NULL)
		goto oom;
	if (*t->project == '\0') {
		rc = cl_error_set(err, CL_ECONFIG, "[tracker] project is required");
		goto fail;
	}
	if ((rc = cl_config_get_int(cfg, "tracker", "min_interval_ms",
	                            strcmp(kind, "github") == 0 ? 1000 : 0, 0, 600000, &v, err)) != 0)
		goto fail;
	o.min_interval_ms = t->min_interval_ms = v;
	if ((rc = cl_http_opts_config(&o, cfg, "tracker", err)) != 0)
		goto fail;
	if ((rc = cl_config_get_int(cfg, "tracker", "max_sync_s", 600, 1, 86400, &v, err)) != 0)
		goto fail;
	o.deadline_s = v;
	o.deadline_key = "[tracker] max_sync_s";
	if ((rc = tracker_bool(cfg, "manage_linked", &t->manage_linked, err)) != 0)
		goto fail;
	if ((rc = cl_config_secret(&t->token, cfg, "tracker", "token", err)) != 0)
		goto fail;
	if (t->token == NULL) {
		rc = cl_error_set(err, CL_ECONFIG, "[tracker] needs a token: token_file (mode 600), token_env, or token in a config of mode 600");
		goto fail;
	}
	if ((rc = tracker_labels(t, err)) != 0)
		goto fail;
	if ((t->ident = cl_asprintf("%s %s %s", kind, t->url, t->project)) == NULL)
		goto oom;
	o.origin = t->url;	/* the token goes nowhere else, pages included */
	if ((rc = cl_http_new(&t->http, &o, err)) != 0)
		goto fail;
	if ((rc = t->ops->init(t, err)) != 0)
		goto fail;
	*out = t;
	return 0;
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
fail:
	cl_tracker_free(t);
	return rc;
}

void
cl_tracker_free(struct cl_tracker *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->ops && t->ops->release)
		t->ops->release(t);
	cl_http_free(t->http);
	for (i = 0; i < t->nlabels; i++)
		free(t->labels[i]);
	free(t->labels);
	free(t->url);
	free(t->project);
	free(t->ident);
	free(t->self);
	free(t->base);
	cl_secret_free(t->token);
	free(t);
}

long
cl_tracker_requests(const struct cl_tracker *t)
{
	return t ? cl_http_requests(t->http) : 0;
}

int
cl_tracker_create(struct cl_tracker *t, struct cl_ticket *out,
                  const struct cl_ticket_spec *spec, struct cl_error *err)
{
	return t->ops->create(t, out, spec, err);
}

void
cl_ticket_release(struct cl_ticket *tk)
{
	if (tk == NULL)
		return;
	free(tk->id);
	free(tk->url);
	free(tk->title);
	free(tk->body);
	free(tk->assignee);
	free(tk->due);
	free(tk->updated_at);
	free(tk->closed_at);
	free(tk->marker);
	free(tk->creator);
	memset(tk, 0, sizeof *tk);
}

int
cl_ticket_list_push(struct cl_ticket_list *l, struct cl_ticket *tk)
{
	if (cl_grow(&l->v, &l->cap, l->n, sizeof *l->v, 64) != 0)
		return CL_ENOMEM;
	l->v[l->n++] = *tk;
	memset(tk, 0, sizeof *tk);
	return 0;
}

void
cl_ticket_list_release(struct cl_ticket_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		cl_ticket_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void
cl_tracker_cursor_release(struct cl_tracker_cursor *c)
{
	if (c == NULL)
		return;
	free(c->since);
	free(c->etag);
	c->since = c->etag = NULL;
}

char *
cl_tracker_marker_line(const char *key)
{
	return cl_asprintf("<!-- closeloop:%s -->", key);
}

/* The key of one line when it is a marker line, or NULL. */
static char *
tracker_marker_of_line(const char *p, size_t n)
{
	static const char legacy[] = "Tracked by closeloop, do not remove this line: closeloop:";
	const char *k, *e;

	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n > 18 && strncmp(p, "<!-- closeloop:", 15) == 0 && strncmp(p + n - 4, " -->", 4) == 0) {
		k = p + 15;
		e = p + n - 4;
	} else if (n > sizeof legacy - 1 && strncmp(p, legacy, sizeof legacy - 1) == 0) {
		k = p + sizeof legacy - 1;
		e = p + n;
	} else {
		return NULL;
	}
	if (e == k)
		return NULL;
	for (p = k; p < e; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return NULL;
	return cl_strndup(k, (size_t)(e - k));
}

char *
cl_tracker_marker_find(const char *text)
{
	const char *p = text, *nl;
	char *key = NULL, *k;

	/* the last one: closeloop writes its line after the action text */
	for (; p && *p; p = nl ? nl + 1 : NULL) {
		size_t n;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (memmem(p, n, "closeloop:", 10) == NULL)
			continue;
		if ((k = tracker_marker_of_line(p, n)) != NULL) {
			free(key);
			key = k;
		}
	}
	return key;
}

static json_t *jget(json_t *j, const char *path);

int
cl_tracker_get_value(struct cl_tracker *t, char **out, const char *url, const char *path,
                     const char *what, struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *ans = NULL, *v;
	int rc;

	*out = NULL;
	if ((rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL, NULL, err)) != 0)
		return rc;
	if (r->status != 200) {
		rc = cl_tracker_http_fail(t, r->status, r->body, what, err);
	} else {
		v = jget(ans, path);
		if (json_is_string(v))
			*out = cl_strdup(json_string_value(v));
		else if (json_is_integer(v))
			*out = cl_asprintf("%lld", (long long)json_integer_value(v));
		else
			rc = cl_error_set(err, CL_EDATA, "%s: the tracker's answer has no such field",
			                  what);
		if (rc == 0 && *out == NULL)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

int
cl_tracker_ours(struct cl_tracker *t, int *ours, const struct cl_ticket *tk,
                struct cl_error *err)
{
	int rc;

	*ours = 0;
	if (tk->creator == NULL || t->ops->whoami == NULL)
		return 0;
	if (t->self == NULL && (rc = t->ops->whoami(t, &t->self, err)) != 0)
		return rc;
	*ours = strcasecmp(tk->creator, t->self) == 0;
	return 0;
}

int
cl_tracker_cursor_next(struct cl_tracker_cursor *next, const struct cl_tracker_cursor *in,
                       const char *maxu, const char *date, char *etag)
{
	struct tm tm;
	time_t t, d = 0;
	char buf[21];

	memset(next, 0, sizeof *next);
	if (date) {
		memset(&tm, 0, sizeof tm);
		if (strptime(date, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL)
			d = timegm(&tm);
	}
	if (maxu == NULL) {
		next->since = in->since ? cl_strdup(in->since) : NULL;
	} else if (d > 0 && cl_time_parse(maxu, &t) == 0 && t < d - 1) {
		cl_time_format_utc(t + 1, buf);
		next->since = cl_strdup(buf);
	} else {
		next->since = cl_strdup(maxu);
	}
	if ((next->since == NULL) != ((maxu ? maxu : in->since) == NULL)) {
		free(etag);
		return CL_ENOMEM;
	}
	if (next->since && in->since && strcmp(next->since, in->since) == 0)
		next->etag = etag;
	else
		free(etag);
	return 0;
}

int
cl_tracker_pager_next(struct cl_tracker_pager *p, const char *url, const char *what,
                      struct cl_error *err)
{
	unsigned long long h = 1469598103934665603ULL;
	const unsigned char *c;
	size_t i;

	for (c = (const unsigned char *)url; *c; c++)
		h = (h ^ *c) * 1099511628211ULL;
	for (i = 0; i < p->n; i++)
		if (p->seen[i] == h)
			return cl_error_set(err, CL_EDATA, "%s: page %zu is page %zu again (the "
			                    "tracker's next page points back): stopped", what,
			                    p->n + 1, i + 1);
	if (p->n >= CL_TRACKER_MAX_PAGES)
		return cl_error_set(err, CL_EDATA, "%s: more than %d pages: stopped", what,
		                    CL_TRACKER_MAX_PAGES);
	if (cl_grow(&p->seen, &p->cap, p->n, sizeof *p->seen, 16) != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	p->seen[p->n++] = h;
	return 0;
}

void
cl_tracker_pager_release(struct cl_tracker_pager *p)
{
	if (p == NULL)
		return;
	free(p->seen);
	memset(p, 0, sizeof *p);
}

char *
cl_tracker_jstr(void *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? cl_strdup(json_string_value(v)) : NULL;
}

int
cl_tracker_find_walk(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                     long skew_s, cl_tracker_list_fn list, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	char from[21];
	int rc;

	cl_tracker_widen(from, since, skew_s);
	w.markers_only = 1;
	rc = list(t, out, from, &w, err);
	cl_tracker_walk_release(&w);
	return rc;
}

int
cl_tracker_pull_walk(struct cl_tracker *t, struct cl_ticket_list *out,
                     const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
                     int *not_modified, cl_tracker_list_fn list, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	char *etag;
	int rc;

	memset(next, 0, sizeof *next);
	w.etag_in = in->etag;
	rc = list(t, out, in->since, &w, err);
	*not_modified = w.not_modified;
	if (rc == 0 && w.not_modified) {
		free(w.etag);
		w.etag = in->etag ? cl_strdup(in->etag) : NULL;
		free(w.max_updated);
		w.max_updated = in->since ? cl_strdup(in->since) : NULL;
	}
	if (rc == 0) {
		etag = w.etag;	/* the cursor takes it over */
		w.etag = NULL;
		if (cl_tracker_cursor_next(next, in, w.max_updated, w.date, etag) != 0)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	cl_tracker_walk_release(&w);
	return rc;
}

void
cl_tracker_widen(char out[21], const char *since, long skew_s)
{
	time_t ts;

	out[0] = '\0';
	if (since != NULL && cl_time_parse(since, &ts) == 0)
		cl_time_format_utc(ts - skew_s, out);
}

void
cl_tracker_walk_release(struct cl_tracker_walk *w)
{
	if (w == NULL)
		return;
	free(w->etag);
	free(w->date);
	free(w->max_updated);
	w->etag = w->date = w->max_updated = NULL;
}

/* A failed list: an unknown repository or project is a configuration error. */
static int
walk_fail(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
          struct cl_error *err)
{
	if ((r->status == 404 || r->status == 410) && t->d && t->d->missing)
		return cl_error_set(err, CL_ECONFIG, "%s: %s '%s' not found at %s (or the token "
		                    "cannot see it; HTTP %ld)", what, t->d->missing, t->project,
		                    t->url, r->status);
	return cl_tracker_http_fail(t, r->status, r->body, what, err);
}

static int rest_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item,
                            struct cl_error *err);

/* Keeps the first page's validator and date, once. */
static int
walk_first_page(struct cl_tracker_walk *w, const struct cl_http_response *r)
{
	if (r->etag && (w->etag = cl_strdup(r->etag)) == NULL)
		return CL_ENOMEM;
	if (r->date && (w->date = cl_strdup(r->date)) == NULL)
		return CL_ENOMEM;
	return 0;
}

/* Reads one page's items into out. */
static int
walk_items(struct cl_tracker *t, struct cl_ticket_list *out, const struct cl_tracker_list *d,
           struct cl_tracker_walk *w, json_t *arr, struct cl_error *err)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < json_array_size(arr); i++) {
		struct cl_ticket tk;
		if (d->item) {
			rc = d->item(t, json_array_get(arr, i), err);
			continue;
		}
		memset(&tk, 0, sizeof tk);
		if ((rc = (d->ticket ? d->ticket : rest_list_ticket)(t, &tk, json_array_get(arr, i),
		                                                     err)) == 1) {
			rc = 0;	/* not an issue */
			continue;
		}
		if (rc != 0)
			break;
		if (tk.updated_at && (w->max_updated == NULL ||
		                      strcmp(tk.updated_at, w->max_updated) > 0)) {
			free(w->max_updated);
			if ((w->max_updated = cl_strdup(tk.updated_at)) == NULL)
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		if (rc == 0 && w->markers_only && tk.marker == NULL) {
			cl_ticket_release(&tk);
			continue;
		}
		if (rc == 0 && cl_ticket_list_push(out, &tk) != 0)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		cl_ticket_release(&tk);
	}
	return rc;
}

/* The next page's URL after an answer, or NULL at the end (*rc on error). */
static char *
walk_next(const struct cl_tracker_list *d, const struct cl_tracker_walk *w,
          const struct cl_http_response *r, json_t *ans, json_t *arr, long *seen, int page,
          int *rc)
{
	size_t n = json_array_size(arr);
	char *url = NULL, *esc;
	json_t *v;

	*seen += (long)n;
	*rc = 0;
	if (d->empty_ends && n == 0)
		return NULL;
	switch (d->paging) {
	case CL_PAGING_LINK:
	case CL_PAGING_LINK_OR_FULL:
		if (r->next_url)
			url = cl_strdup(r->next_url);
		else if (d->paging == CL_PAGING_LINK_OR_FULL && (long)n >= d->per_page)
			url = cl_asprintf("%s&%s=%d", w->url, d->page_param, page + 2);
		else
			return NULL;
		break;
	case CL_PAGING_OFFSET:
		v = json_object_get(ans, d->total);
		if (n == 0 || !json_is_integer(v) || *seen >= (long)json_integer_value(v))
			return NULL;
		url = cl_asprintf("%s&%s=%ld", w->url, d->page_param, *seen);
		break;
	case CL_PAGING_TOKEN:
		v = json_object_get(ans, d->token);
		if (n == 0 || json_is_true(json_object_get(ans, d->last)) || !json_is_string(v))
			return NULL;
		if ((esc = cl_http_escape(json_string_value(v))) == NULL)
			break;
		url = cl_asprintf("%s&%s=%s", w->url, d->page_param, esc);
		free(esc);
		break;
	default:
		return NULL;
	}
	if (url == NULL)
		*rc = CL_ENOMEM;
	return url;
}

int
cl_tracker_walk(struct cl_tracker *t, struct cl_ticket_list *out,
                const struct cl_tracker_list *d, struct cl_tracker_walk *w,
                struct cl_error *err)
{
	struct cl_tracker_pager pg = { NULL, 0, 0 };
	char *url;
	long seen = 0;
	int rc = 0, page = 0;

	w->not_modified = 0;
	if ((url = cl_strdup(w->url)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	while (url != NULL && rc == 0) {
		struct cl_http_response *r = NULL;
		json_t *ans = NULL, *arr = NULL;

		if ((rc = cl_tracker_pager_next(&pg, url, d->what, err)) == 0)
			rc = cl_http_json(t->http, &r, (void **)&ans, "GET", url, NULL,
			                  page == 0 ? w->etag_in : NULL, err);
		free(url);
		url = NULL;
		if (rc != 0)
			break;
		if (page == 0 && r->status == 304) {
			w->not_modified = 1;
		} else if (r->status != 200) {
			rc = d->fail ? d->fail(t, r, d->what, err) : walk_fail(t, r, d->what, err);
		} else if (!json_is_array(arr = d->items ? json_object_get(ans, d->items) : ans)) {
			rc = cl_error_set(err, CL_EDATA, "%s: %s answered no %s array", d->what,
			                  t->url, d->items ? d->items : "JSON");
		} else if (page == 0 && walk_first_page(w, r) != 0) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		} else if (json_array_size(arr) > 0 && d->before_items &&
		           (rc = d->before_items(t, err)) != 0) {
			;
		} else if ((rc = walk_items(t, out, d, w, arr, err)) == 0) {
			url = walk_next(d, w, r, ans, arr, &seen, page, &rc);
			if (rc != 0)
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		json_decref(ans);
		cl_http_response_free(r);
		page++;
	}
	free(url);
	cl_tracker_pager_release(&pg);
	return rc;
}

/* Appends the strings of a JSON array (or the string) v, prefixed by k. */
static void
error_strings(struct cl_buf *b, const char *k, json_t *v)
{
	size_t i;

	if (json_is_string(v))
		cl_buf_printf(b, "%s%s%s%s", b->len ? "; " : "", k ? k : "", k ? " " : "",
		              json_string_value(v));
	for (i = 0; i < json_array_size(v); i++)
		if (json_is_string(json_array_get(v, i)) || k)
			cl_buf_printf(b, "%s%s%s%s", b->len ? "; " : "", k ? k : "", k ? " " : "",
			              json_string_value(json_array_get(v, i)) ?
			              json_string_value(json_array_get(v, i)) : "");
}

void
cl_tracker_error_text(const char *body, char *out, size_t n)
{
	json_t *j, *m, *errs, *v;
	json_error_t je;
	struct cl_buf b = CL_BUF_INIT;
	const char *k;
	size_t i;

	out[0] = '\0';
	if (body == NULL || *body == '\0')
		return;
	if ((j = json_loads(body, 0, &je)) == NULL) {
		snprintf(out, n, "%.200s", body);
		return;
	}
	/* GitHub, Gitea: "message"; GitLab: "message" as an object of field
	 * problems, or "error"; Jira: "errorMessages" and "errors" by field;
	 * Redmine, GitHub: "errors" as a list */
	m = json_object_get(j, "message");
	if (json_is_object(m)) {
		json_object_foreach(m, k, v)
			error_strings(&b, k, v);
	} else {
		error_strings(&b, NULL, json_is_string(m) || json_is_array(m) ? m :
		              json_object_get(j, "error"));
	}
	error_strings(&b, NULL, json_object_get(j, "errorMessages"));
	errs = json_object_get(j, "errors");
	json_object_foreach(errs, k, v)
		if (json_is_string(v))
			cl_buf_printf(&b, "%s%s: %s", b.len ? "; " : "", k, json_string_value(v));
	for (i = 0; i < json_array_size(errs); i++) {
		json_t *e = json_array_get(errs, i);
		cl_buf_puts(&b, b.len ? "; " : "");
		if (json_is_string(e)) {
			cl_buf_puts(&b, json_string_value(e));
		} else if (json_is_object(e)) {
			const char *f = json_string_value(json_object_get(e, "field"));
			const char *c = json_string_value(json_object_get(e, "code"));
			const char *msg = json_string_value(json_object_get(e, "message"));
			cl_buf_printf(&b, "%s%s%s", f ? f : "", f && (c || msg) ? " " : "",
			              msg ? msg : c ? c : "");
		}
	}
	snprintf(out, n, "%s", cl_buf_str(&b));
	cl_buf_release(&b);
	json_decref(j);
}

int
cl_tracker_issue_call(struct cl_tracker *t, struct cl_ticket *out,
                      const struct cl_issue_call *c, long *gone_status, struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	json_t *ans = NULL;
	int rc;

	if (gone_status)
		*gone_status = 0;
	if ((rc = cl_http_json(t->http, &r, (void **)&ans, c->method, c->url, c->body, NULL,
	                       err)) != 0)
		return rc;
	if (r->status == 200 || (c->accept_201 && r->status == 201) ||
	    (c->no_body && r->status == 204)) {
		if (out && !c->no_body && (rc = c->parse(c->ctx, out, ans, err)) == CL_ENOTFOUND && gone_status)
			*gone_status = 404;
	} else if (c->missing && (r->status == 404 || r->status == 410)) {
		rc = cl_error_set(err, CL_ECONFIG, "%s: %s '%s' not found at %s (or the token "
		                  "cannot see it, or its issues are off; HTTP %ld)", c->what,
		                  c->missing, t->project, t->url, r->status);
	} else if (r->status == 404 || r->status == 410 ||
	           (c->moved_is_gone && r->status == 301)) {
		if (gone_status)
			*gone_status = r->status;
		rc = cl_tracker_gone(t, r->status, c->id, c->what, err);
	} else if (c->fail) {
		rc = c->fail(t, r, c->what, err);
	} else {
		rc = cl_tracker_http_fail(t, r->status, r->body, c->what, err);
	}
	json_decref(ans);
	cl_http_response_free(r);
	return rc;
}

int
cl_tracker_gone(const struct cl_tracker *t, long status, const char *id, const char *what,
                struct cl_error *err)
{
	return cl_error_set(err, CL_ENOTFOUND, "%s: issue %s%s of %s %s (HTTP %ld)", what,
	                    isdigit((unsigned char)id[0]) ? "#" : "", id, t->project,
	                    status == 301 ? "was transferred to another project" :
	                    status == 410 ? "was deleted" :
	                    "was not found (deleted, moved or no access)", status);
}

int
cl_tracker_http_fail(struct cl_tracker *t, long status, const char *body, const char *what,
                     struct cl_error *err)
{
	char msg[512];

	cl_tracker_error_text(body, msg, sizeof msg);
	switch (status) {
	case 401:
		return cl_error_set(err, CL_ENOPERM, "%s: %s rejected the token (HTTP 401%s%s); "
		                    "check [tracker] token_file/token_env", what, t->url,
		                    *msg ? ": " : "", msg);
	case 403:
		return cl_error_set(err, CL_ENOPERM, "%s: access denied by %s (HTTP 403%s%s)",
		                    what, t->url, *msg ? ": " : "", msg);
	case 422:
	case 400:
		return cl_error_set(err, CL_EDATA, "%s: refused by the tracker (HTTP %ld%s%s)",
		                    what, status, *msg ? ": " : "", msg);
	default:
		if (status >= 500 || status == 429)
			return cl_error_set(err, CL_ETEMPFAIL, "%s: %s answered HTTP %ld%s%s", what,
			                    t->url, status, *msg ? ": " : "", msg);
		return cl_error_set(err, CL_EUNAVAIL, "%s: %s answered HTTP %ld%s%s", what, t->url,
		                    status, *msg ? ": " : "", msg);
	}
}

/* --- the REST engine: the operations every dialect shares ------------------ */

/* The value of one template variable at e ("{owner}"), or NULL for an unknown one. */
static char *
url_var(const struct cl_tracker *t, const char *e, const char *id)
{
	const char *slash = strchr(t->project, '/');
	char *v, *esc;

	if (strncmp(e, "{url}", 5) == 0)
		return cl_strdup(t->url);
	if (strncmp(e, "{base}", 6) == 0)
		return cl_strdup(t->base ? t->base : t->url);
	if (strncmp(e, "{id}", 4) == 0)
		return cl_strdup(id ? id : "");
	if (strncmp(e, "{project}", 9) == 0)
		return cl_http_escape(t->project);
	if (slash == NULL)
		return NULL;
	if (strncmp(e, "{owner}", 7) == 0)
		v = cl_strndup(t->project, (size_t)(slash - t->project));
	else if (strncmp(e, "{repo}", 6) == 0)
		v = cl_strdup(slash + 1);
	else
		return NULL;
	esc = v ? cl_http_escape(v) : NULL;
	free(v);
	return esc;
}

char *
cl_tracker_url(const struct cl_tracker *t, const char *tmpl, const char *id)
{
	struct cl_buf b = CL_BUF_INIT;
	const char *p = tmpl, *e;
	char *v;

	while ((e = strchr(p, '{')) != NULL) {
		size_t n = strcspn(e, "}");
		cl_buf_add(&b, p, (size_t)(e - p));
		if ((v = url_var(t, e, id)) == NULL)
			b.oom = 1;
		else
			cl_buf_puts(&b, v);
		free(v);
		p = e + n + (e[n] == '}');
	}
	cl_buf_puts(&b, p);
	return cl_buf_steal(&b);
}

/* The value at path of j, NULL when path is. */
static json_t *
jget(json_t *j, const char *path)
{
	const char *p = path;
	char key[64];

	while (j && p && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof key)
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		j = isdigit((unsigned char)key[0]) ? json_array_get(j, (size_t)atoi(key))
		                                    : json_object_get(j, key);
		p += n + (p[n] == '.');
	}
	return path ? j : NULL;
}

char *
cl_tracker_jpath(void *json, const char *path)
{
	json_t *v = jget(json, path);

	if (json_is_string(v))
		return cl_strdup(json_string_value(v));
	if (json_is_integer(v))
		return cl_asprintf("%lld", (long long)json_integer_value(v));
	return NULL;
}

/* A time at path, as the dialect keeps times. */
static char *
rest_time(const struct cl_tracker_dialect *d, json_t *j, const char *path)
{
	char *s = path ? cl_tracker_jpath(j, path) : NULL, out[21];
	time_t ts;

	if (s == NULL || d->utc == 0)
		return s;
	if (cl_time_parse(s, &ts) != 0) {
		if (d->utc == 2) {
			free(s);
			return NULL;
		}
		return s;
	}
	free(s);
	cl_time_format_utc(ts, out);
	return cl_strdup(out);
}

int
cl_tracker_rest_ticket(struct cl_tracker *t, struct cl_ticket *tk, void *json,
                       struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	json_t *j = json;
	char *state;
	int rc, i;

	memset(tk, 0, sizeof *tk);
	if ((tk->id = cl_tracker_jpath(j, d->id)) == NULL || (d->need && !jget(j, d->need))) {
		cl_ticket_release(tk);
		return cl_error_set(err, CL_EDATA, "%s answered an issue without %s%s%s", d->name,
		                    d->id, d->need ? "/" : "", d->need ? d->need : "");
	}
	tk->url = d->web ? cl_tracker_jpath(j, d->web) : cl_tracker_url(t, d->web_fmt, tk->id);
	tk->title = cl_tracker_jpath(j, d->title);
	tk->body = d->body ? cl_tracker_jpath(j, d->body) : NULL;
	state = d->state ? cl_tracker_jpath(j, d->state) : NULL;
	tk->state = state && strcmp(state, d->closed_word) == 0 ? CL_TICKET_CLOSED : CL_TICKET_OPEN;
	free(state);
	for (i = 0; i < 2 && d->assignee[i] && tk->assignee == NULL; i++)
		tk->assignee = cl_tracker_jpath(j, d->assignee[i]);
	tk->due = d->due ? cl_tracker_jpath(j, d->due) : NULL;
	tk->updated_at = rest_time(d, j, d->updated);
	tk->creator = d->creator ? cl_tracker_jpath(j, d->creator) : NULL;
	if (d->read && (rc = d->read(t, tk, j, err)) != 0) {
		cl_ticket_release(tk);
		return rc;
	}
	if (!d->closed_if_closed || tk->state == CL_TICKET_CLOSED)
		tk->closed_at = rest_time(d, j, d->closed);
	if (tk->body)
		tk->marker = cl_tracker_marker_find(tk->body);
	if (tk->url == NULL && d->web == NULL) {
		cl_ticket_release(tk);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

/* The body or comment text as the dialect sends it. */
static json_t *
rest_text(struct cl_tracker *t, const char *text)
{
	return t->d->text ? t->d->text(t, text) : json_string(text);
}

/* The JSON body of a create or an update (the fields in mask). */
static int
rest_spec(struct cl_tracker *t, json_t **out, const struct cl_ticket_spec *s, unsigned mask,
          int create, struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	json_t *root = json_object(), *j = d->wrap ? json_object() : root, *a;
	struct cl_buf b = CL_BUF_INIT;
	size_t i, n;
	int rc = 0;

	*out = NULL;
	if (root == NULL || j == NULL) {
		json_decref(root);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	if (d->wrap)
		json_object_set_new(root, d->wrap, j);
	if ((mask & CL_SPEC_TITLE) && s->title) {
		/* what the tracker keeps: one line, at most title_max bytes */
		n = t->ops->title_max ? strcspn(s->title, "\r\n") : strlen(s->title);
		if (t->ops->title_max && n > t->ops->title_max)
			n = t->ops->title_max;
		while (n > 0 && n < strlen(s->title) && ((unsigned char)s->title[n] & 0xC0) == 0x80)
			n--;
		json_object_set_new(j, d->w_title, json_stringn(s->title, n));
	}
	if ((mask & CL_SPEC_BODY) && s->body)
		json_object_set_new(j, d->w_body, rest_text(t, s->body));
	if ((mask & CL_SPEC_LABELS) && d->labels_form == CL_FORM_ARRAY) {
		a = json_array();
		for (i = 0; i < s->nlabels; i++) {
			json_t *l = json_string(s->labels[i]);
			char *p = (char *)json_string_value(l);
			for (; d->labels_dash && p && *p; p++)
				if (isspace((unsigned char)*p))
					*p = '-';
			json_array_append_new(a, l);
		}
		json_object_set_new(j, d->w_labels, a);
	} else if ((mask & CL_SPEC_LABELS) && d->labels_form == CL_FORM_CSV) {
		for (i = 0; i < s->nlabels; i++)
			cl_buf_printf(&b, "%s%s", i ? "," : "", s->labels[i]);
		json_object_set_new(j, d->w_labels, json_string(cl_buf_str(&b)));
		cl_buf_release(&b);
	}
	if ((mask & CL_SPEC_ASSIGNEE) && s->assignee) {
		char *end;
		long long id = strtoll(s->assignee, &end, 10);
		if (d->assignee_form == CL_FORM_ARRAY)
			json_object_set_new(j, d->w_assignee, json_pack("[s]", s->assignee));
		else if (d->assignee_form == CL_FORM_OBJECT)
			json_object_set_new(j, d->w_assignee, json_pack("{s:s}", d->assignee_key,
			                                                s->assignee));
		else if (d->assignee_form == CL_FORM_INT && *end == '\0' && end != s->assignee)
			json_object_set_new(j, d->w_assignee, json_integer(id));
	}
	if ((mask & CL_SPEC_DUE) && d->w_due && (s->due || d->due_null))
		json_object_set_new(j, d->w_due, s->due ? json_string(s->due) : json_null());
	if (d->write && (rc = d->write(t, j, s, mask, create, err)) != 0) {
		json_decref(root);
		return rc;
	}
	*out = root;
	return 0;
}

/* The mask of a create: what the spec holds. */
static unsigned
rest_create_mask(const struct cl_ticket_spec *s)
{
	return CL_SPEC_TITLE | CL_SPEC_BODY | CL_SPEC_ASSIGNEE | (s->due ? CL_SPEC_DUE : 0) |
	       (s->nlabels ? CL_SPEC_LABELS : 0);
}

struct rest_ctx {
	struct cl_tracker *t;
	const char *id;
	int is_get;
	const struct cl_ticket_spec *spec;	/* a create's */
};

/* An answered issue: unwrapped, not a pull request on a GET, read. */
static int
rest_parse(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err)
{
	struct rest_ctx *x = ctx;
	const struct cl_tracker_dialect *d = x->t->d;
	json_t *j = d->one ? json_object_get(json, d->one) : json, *pr;

	if (x->spec && d->created)
		return d->created(x->t, out, json, x->spec, err);
	if (!json_is_object(j))
		return cl_error_set(err, CL_EDATA, "%s answered no issue object", d->name);
	pr = d->skip ? json_object_get(j, d->skip) : NULL;
	if (x->is_get && pr != NULL && !json_is_null(pr))
		return cl_error_set(err, CL_ENOTFOUND, "#%s of %s is a pull request, not an issue",
		                    x->id, x->t->project);
	return cl_tracker_rest_ticket(x->t, out, j, err);
}

int
cl_tracker_rest_call(struct cl_tracker *t, struct cl_ticket *out, const char *method,
                     const char *id, void *body, long *gone_status, const char *what,
                     struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	struct rest_ctx x = { t, id, strcmp(method, "GET") == 0, NULL };
	struct cl_issue_call c = { 0 };
	char *url;
	int rc;

	if (x.is_get && d->prepare && (rc = d->prepare(t, err)) != 0)
		return rc;
	url = cl_tracker_url(t, x.is_get && d->get_url ? d->get_url : d->issue_url, id);
	if ((c.url = url) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = method;
	c.id = id;
	c.what = what;
	c.body = body;
	c.accept_201 = !x.is_get && d->writes_201;
	c.moved_is_gone = d->moved_is_gone;
	c.no_body = !x.is_get && d->write_fetch;
	c.parse = rest_parse;
	c.ctx = &x;
	rc = cl_tracker_issue_call(t, c.no_body ? NULL : out, &c, gone_status, err);
	free(url);
	if (rc == 0 && out && c.no_body)
		rc = cl_tracker_rest_get(t, out, id, NULL, err);
	return rc;
}

int
cl_tracker_rest_create(struct cl_tracker *t, struct cl_ticket *out,
                       const struct cl_ticket_spec *spec, struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	struct rest_ctx x = { t, NULL, 0, spec };
	struct cl_issue_call c = { 0 };
	json_t *body = NULL;
	char *url;
	int rc;

	memset(out, 0, sizeof *out);
	if (d->prepare && (rc = d->prepare(t, err)) != 0)
		return rc;
	if ((rc = rest_spec(t, &body, spec, rest_create_mask(spec), 1, err)) != 0)
		return rc;
	if ((c.url = url = cl_tracker_url(t, d->create_url, NULL)) == NULL) {
		json_decref(body);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	c.method = "POST";
	c.what = "creating an issue";
	c.body = body;
	c.accept_201 = 1;
	c.missing = d->missing;
	c.parse = rest_parse;
	c.ctx = &x;
	rc = cl_tracker_issue_call(t, out, &c, NULL, err);
	json_decref(body);
	free(url);
	/* the issue exists now: a failed correction is this item's problem */
	if (rc == 0 && d->after && d->after(t, out, spec, err) != 0)
		cl_error_clear(err);
	return rc;
}

int
cl_tracker_rest_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                       const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	struct cl_ticket tk;
	json_t *body = NULL;
	int rc, want = out != NULL || (d->after && (mask & CL_SPEC_DUE));

	if (out)
		memset(out, 0, sizeof *out);
	memset(&tk, 0, sizeof tk);
	if ((rc = rest_spec(t, &body, spec, mask, 0, err)) != 0)
		return rc;
	rc = cl_tracker_rest_call(t, want ? &tk : NULL, d->update_method, id, body, NULL,
	                          "updating an issue", err);
	json_decref(body);
	if (rc == 0 && d->after && (mask & CL_SPEC_DUE))
		rc = d->after(t, &tk, spec, err);
	if (rc == 0 && out)
		*out = tk;
	else
		cl_ticket_release(&tk);
	return rc;
}

int
cl_tracker_rest_get(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                    long *gone_status, struct cl_error *err)
{
	memset(out, 0, sizeof *out);
	return cl_tracker_rest_call(t, out, "GET", id, NULL, gone_status, "fetching an issue",
	                            err);
}

int
cl_tracker_rest_comment(struct cl_tracker *t, const char *id, const char *text,
                        long *gone_status, struct cl_error *err)
{
	struct cl_issue_call c = { 0 };
	json_t *body = json_object();
	char *url = cl_tracker_url(t, t->d->comment_url, id);
	int rc;

	if (body == NULL || url == NULL) {
		json_decref(body);
		free(url);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	json_object_set_new(body, "body", rest_text(t, text));
	c.method = "POST";
	c.url = url;
	c.id = id;
	c.what = "commenting on an issue";
	c.body = body;
	c.accept_201 = 1;
	rc = cl_tracker_issue_call(t, NULL, &c, gone_status, err);
	json_decref(body);
	free(url);
	return rc;
}

int
cl_tracker_rest_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
                          const char *comment, const char *cur_body, long *gone_status,
                          struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	json_t *body;
	char *nb = NULL;
	int rc;

	if (gone_status)
		*gone_status = 0;
	if (comment && *comment && d->comment_url &&
	    (rc = cl_tracker_rest_comment(t, id, comment, gone_status, err)) != 0)
		return rc;
	if ((body = json_pack("{s:s}", d->state_key, closed ? d->close_word : d->open_word)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (d->reason_key)
		json_object_set_new(body, d->reason_key, json_string(d->reason_words[!closed ? 2 :
		                    reason == CL_CLOSE_NOT_PLANNED ? 1 : 0]));
	if (comment && *comment && d->comment_url == NULL) {
		if ((nb = cl_asprintf("%s\n\n---\n%s", cur_body ? cur_body : "", comment)) == NULL) {
			json_decref(body);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		json_object_set_new(body, d->w_body, json_string(nb));
		free(nb);
	}
	rc = cl_tracker_rest_call(t, NULL, d->update_method, id, body, gone_status,
	                          closed ? "closing an issue" : "reopening an issue", err);
	json_decref(body);
	return rc;
}

/* A listed item the dialect's way; 1 for one that is no issue. */
static int
rest_list_ticket(struct cl_tracker *t, struct cl_ticket *out, void *item, struct cl_error *err)
{
	json_t *pr = t->d->skip ? json_object_get(item, t->d->skip) : NULL;

	if (pr && !json_is_null(pr))
		return 1;
	return cl_tracker_rest_ticket(t, out, item, err);
}

int
cl_tracker_rest_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                     struct cl_tracker_walk *w, struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	char *v = since && *since ? cl_asprintf("%s%s", d->since_prefix ? d->since_prefix : "",
	                                        since) : NULL;
	char *esc = v ? cl_http_escape(v) : NULL, *base = cl_tracker_url(t, d->list_url, NULL);
	char *url = base && (esc || !v) ? cl_asprintf("%s%s%s", base, esc ? d->since_param : "",
	                                              esc ? esc : "") : NULL;
	int rc;

	free(v);
	free(esc);
	free(base);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	w->url = url;
	rc = cl_tracker_walk(t, out, &d->list, w, err);
	free(url);
	return rc;
}

int
cl_tracker_rest_changes(struct cl_tracker *t, struct cl_ticket_list *out,
                        const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
                        int *not_modified, struct cl_error *err)
{
	struct cl_tracker_walk w = { 0 };
	int rc;

	if (t->d->pull == CL_PULL_DATE)
		return cl_tracker_pull_walk(t, out, in, next, not_modified, cl_tracker_rest_list,
		                            err);
	memset(next, 0, sizeof *next);
	if (t->d->pull == CL_PULL_ETAG)
		w.etag_in = in->etag;
	rc = cl_tracker_rest_list(t, out, in->since, &w, err);
	*not_modified = w.not_modified;
	if (rc == 0 && w.not_modified) {
		next->since = in->since ? cl_strdup(in->since) : NULL;
		next->etag = in->etag ? cl_strdup(in->etag) : NULL;
	} else if (rc == 0 && t->d->pull == CL_PULL_ETAG && (w.max_updated == NULL ||
	           (in->since && strcmp(w.max_updated, in->since) == 0))) {
		/* the validator belongs to the URL with the old since */
		next->since = in->since ? cl_strdup(in->since) : NULL;
		next->etag = w.etag;
		w.etag = NULL;
	} else if (rc == 0) {
		next->since = w.max_updated ? w.max_updated : in->since ? cl_strdup(in->since) : NULL;
		w.max_updated = NULL;
	}
	cl_tracker_walk_release(&w);
	return rc;
}

int
cl_tracker_rest_find_markers(struct cl_tracker *t, struct cl_ticket_list *out,
                             const char *since, struct cl_error *err)
{
	return cl_tracker_find_walk(t, out, since, t->d->skew_s, cl_tracker_rest_list, err);
}

/* Length of prefix pre at p, case blind (0: not there). */
static size_t
ref_skip(const char *p, const char *pre, size_t n)
{
	return strncasecmp(p, pre, n) == 0 ? n : 0;
}

int
cl_tracker_rest_parse_ref(struct cl_tracker *t, char **out, const char *ref)
{
	const char *p = ref, *num, *s;
	size_t plen = strlen(t->project), ulen = strlen(t->url);

	*out = NULL;
	while (*p == ' ')
		p++;
	if (*p == '#') {
		p++;
	} else if (ref_skip(p, t->project, plen) && p[plen] == '#') {
		p += plen + 1;
	} else if (ref_skip(p, "http://", 7) || ref_skip(p, "https://", 8)) {
		/* <web root>/owner/repo/issues/N */
		if (t->d->ref_any_host)
			s = strchr(strstr(p, "://") + 3, '/');
		else
			s = ref_skip(p, t->url, ulen) && p[ulen] == '/' ? p + ulen : NULL;
		if (s == NULL || !ref_skip(s + 1, t->project, plen) ||
		    strncmp(s + 1 + plen, "/issues/", 8) != 0)
			return CL_ENOTFOUND;
		p = s + 1 + plen + 8;
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

int
cl_tracker_rest_whoami(struct cl_tracker *t, char **out, struct cl_error *err)
{
	char *url = cl_tracker_url(t, t->d->whoami_url, NULL), what[64];
	int rc;

	*out = NULL;
	snprintf(what, sizeof what, "asking %s who the token is", t->d->name);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_tracker_get_value(t, out, url, t->d->whoami, what, err);
	free(url);
	return rc;
}

int
cl_tracker_rest_init(struct cl_tracker *t, struct cl_error *err)
{
	const struct cl_tracker_dialect *d = t->d;
	const char *slash = strchr(t->project, '/');
	size_t n = strlen(t->url), k = d->api_suffix ? strlen(d->api_suffix) : 0;
	char *hdr;
	int rc = 0;

	if (d->owner_repo && (slash == NULL || slash == t->project || slash[1] == '\0' ||
	                      strchr(slash + 1, '/')))
		return cl_error_set(err, CL_ECONFIG, "[tracker] project '%s' is not owner/repo",
		                    t->project);
	if (k && n >= k && strcmp(t->url + n - k, d->api_suffix) == 0)
		t->url[n - k] = '\0';
	if (d->base && (t->base = cl_tracker_url(t, d->base, NULL)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (d->auth) {
		if ((hdr = cl_asprintf("%s%s", d->auth, t->token)) == NULL)
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		rc = cl_http_add_header(t->http, hdr, 1, err);
		cl_secret_free(hdr);
	}
	if (rc == 0)
		rc = cl_http_add_header(t->http, d->accept ? d->accept : "Accept: application/json",
		                        0, err);
	if (rc == 0 && d->header)
		rc = cl_http_add_header(t->http, d->header, 0, err);
	if (d->rate_wait)
		cl_http_set_rate_wait(t->http, d->rate_wait);
	return rc;
}

int
cl_tracker_get_json(struct cl_tracker *t, void **out, const char *url, const char *what,
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

int
cl_tracker_names_find(const struct cl_tracker_names *c, const char *name, const char **id)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcasecmp(c->v[i].name, name) == 0) {
			*id = c->v[i].id;
			return 1;
		}
	return 0;
}

int
cl_tracker_names_add(struct cl_tracker_names *c, const char *name, const char *id)
{
	if (cl_grow(&c->v, &c->cap, c->n, sizeof *c->v, 8) != 0 ||
	    (c->v[c->n].name = cl_strdup(name)) == NULL)
		return CL_ENOMEM;
	if ((c->v[c->n].id = id ? cl_strdup(id) : NULL) == NULL && id) {
		free(c->v[c->n].name);
		return CL_ENOMEM;
	}
	c->n++;
	return 0;
}

void
cl_tracker_names_release(struct cl_tracker_names *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].id);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}
