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
	t->ops = ops;
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
	if ((rc = ops->init(t, err)) != 0)
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

int
cl_tracker_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                  const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err)
{
	return t->ops->update(t, out, id, spec, mask, err);
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

int
cl_tracker_get_value(struct cl_tracker *t, char **out, const char *url,
                     const char *const *keys, const char *what, struct cl_error *err)
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
		for (v = ans; v && *keys; keys++)
			v = json_object_get(v, *keys);
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
		if (d->ticket == NULL) {
			rc = d->item(t, json_array_get(arr, i), err);
			continue;
		}
		memset(&tk, 0, sizeof tk);
		if ((rc = d->ticket(t, &tk, json_array_get(arr, i), err)) == 1) {
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
			rc = d->fail ? d->fail(t, r, d->what, err) :
			     cl_tracker_http_fail(t, r->status, r->body, d->what, err);
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

/* The tracker's own message out of an error body, for the user. */
static void
tracker_error_text(const char *body, char *out, size_t n)
{
	json_t *j, *m, *errs;
	json_error_t je;
	struct cl_buf b = CL_BUF_INIT;
	size_t i;

	out[0] = '\0';
	if (body == NULL || *body == '\0')
		return;
	if ((j = json_loads(body, 0, &je)) == NULL) {
		snprintf(out, n, "%.200s", body);
		return;
	}
	if ((m = json_object_get(j, "message")) && json_is_string(m))
		cl_buf_puts(&b, json_string_value(m));
	if ((errs = json_object_get(j, "errors")) && json_is_array(errs)) {
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
	if (r->status == 200 || (c->accept_201 && r->status == 201)) {
		if (out && (rc = c->parse(c->ctx, out, ans, err)) == CL_ENOTFOUND && gone_status)
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
cl_tracker_comment(struct cl_tracker *t, const char *url, const char *id, const char *text,
                   int (*fail)(struct cl_tracker *, const struct cl_http_response *,
                               const char *, struct cl_error *),
                   long *gone_status, struct cl_error *err)
{
	struct cl_issue_call c = { 0 };
	json_t *body = json_pack("{s:s}", "body", text);
	int rc;

	if (body == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	c.method = "POST";
	c.url = url;
	c.id = id;
	c.what = "commenting on an issue";
	c.body = body;
	c.accept_201 = 1;
	c.fail = fail;
	rc = cl_tracker_issue_call(t, NULL, &c, gone_status, err);
	json_decref(body);
	return rc;
}

int
cl_tracker_get_valuef(struct cl_tracker *t, char **out, const char *const *keys,
                      const char *what, struct cl_error *err, const char *fmt, ...)
{
	va_list ap;
	char *url = NULL;
	int rc, n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	*out = NULL;
	if (n >= 0 && (url = cl_malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(url, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_tracker_get_value(t, out, url, keys, what, err);
	free(url);
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

	tracker_error_text(body, msg, sizeof msg);
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
