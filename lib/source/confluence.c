/* confluence.c — post-mortems kept as Confluence pages.
 *  - Cloud (flavor = cloud, the default for *.atlassian.net): REST v2,
 *    Basic e-mail:API-token. The space by GET /wiki/api/v2/spaces?keys=,
 *    then its pages (/spaces/{id}/pages) or, with a label, the label's
 *    pages (/labels/{id}/pages?space-id=; the label's id from v1
 *    /wiki/rest/api/label?name=). Cursor paging through _links.next. A
 *    body: /pages/{id}?body-format=storage.
 *  - Data Center (flavor = datacenter): /rest/api/content/search?cql=… with
 *    start/limit paging, expand=version; a body: /rest/api/content/{id}?
 *    expand=body.storage,version,history. Bearer personal access token (or
 *    Basic when user is set). cql on Cloud uses the same v1 search.
 * Listings carry no bodies: a page whose version is the stored one costs
 * nothing more (import.c compares the version). Every listing is of the
 * whole space (or query), so one that ran to its end is complete: a known
 * page it lacks was deleted, moved out of the space or lost its label. An
 * unknown label lists nothing and is not complete (more likely a typo than
 * every page unlabelled). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dates.h"
#include "source/kind.h"
#include "util.h"

struct conf {
	int cloud;
	char *origin;		/* scheme://host[:port] */
	char *wiki;		/* Cloud: origin + "/wiki"; DC: url (with its context path) */
	char *space_key;
};

static struct conf *
conf_of(const struct cl_source *src)
{
	return src->priv;
}

static void
conf_release(struct cl_source *src)
{
	struct conf *c = conf_of(src);

	if (c == NULL)
		return;
	free(c->origin);
	free(c->wiki);
	free(c->space_key);
}

static int
conf_init(struct cl_source *src, struct cl_error *err)
{
	const char *flavor = cl_source_get(src, "flavor"), *user = cl_source_get(src, "user");
	const char *p, *path = cl_config_path(src->cfg) ? cl_config_path(src->cfg) : "config";
	struct conf *c;
	char *hdr = NULL;
	int rc;

	if (src->url == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] url is required (the site, "
		                    "e.g. https://acme.atlassian.net)", path, src->name);
	if (cl_source_get(src, "space") == NULL && cl_source_get(src, "cql") == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] needs space (a space key) "
		                    "or cql", path, src->name);
	if (src->token == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] needs a token: token_file "
		                    "(mode 600) or token_env", path, src->name);
	if ((c = cl_calloc(1, sizeof *c)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	src->priv = c;
	if (flavor == NULL)
		c->cloud = strstr(src->url, ".atlassian.net") != NULL;
	else if (strcmp(flavor, "cloud") == 0)
		c->cloud = 1;
	else if (strcmp(flavor, "datacenter") != 0 && strcmp(flavor, "server") != 0)
		return cl_error_set(err, CL_ECONFIG, "%s:%d: [source \"%s\"] flavor '%s' is not "
		                    "cloud or datacenter", path,
		                    cl_config_line(src->cfg, src->section, "flavor"), src->name, flavor);
	if (c->cloud && user == NULL)
		return cl_error_set(err, CL_ECONFIG, "%s: [source \"%s\"] Confluence Cloud needs user "
		                    "(the account's e-mail address) with the API token", path, src->name);
	p = strstr(src->url, "://") + 3;
	p += strcspn(p, "/");
	if ((c->origin = cl_strndup(src->url, (size_t)(p - src->url))) == NULL)
		goto oom;
	if (c->cloud)
		c->wiki = cl_asprintf("%s/wiki", c->origin);	/* url may end in /wiki or not */
	else
		c->wiki = cl_strdup(src->url);
	if (c->wiki == NULL)
		goto oom;
	if (cl_source_get(src, "space") && (c->space_key = cl_strdup(cl_source_get(src, "space"))) == NULL)
		goto oom;
	/* Basic authentication by libcurl; a bearer token as a header */
	if (user != NULL)
		rc = cl_http_set_basic_auth(src->http, user, src->token, err);
	else if ((hdr = cl_asprintf("Authorization: Bearer %s", src->token)) == NULL)
		goto oom;
	else
		rc = cl_http_add_header(src->http, hdr, 1, err);
	if (rc == 0)
		rc = cl_http_add_header(src->http, "Accept: application/json", 0, err);
	goto done;
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
done:
	cl_secret_free(hdr);
	return rc;
}

/* A next link as an absolute URL on the same site (never elsewhere: the
 * credentials go with it). rel is "/wiki/api/v2/…" or "/rest/api/…". */
static char *
next_url(const struct cl_source *src, const char *rel)
{
	const struct conf *c = conf_of(src);

	if (rel == NULL || *rel == '\0')
		return NULL;
	if (cl_str_starts_with(rel, "http://") || cl_str_starts_with(rel, "https://"))
		return cl_source_same_server(rel, c->origin) ? cl_strdup(rel) : NULL;
	if (rel[0] != '/')
		return NULL;
	return cl_asprintf("%s%s", c->origin, rel);	/* "/wiki/api/v2/…" */
}

/* Adds one listed page. */
static int
add_page(struct cl_source *src, json_t *pg)
{
	const struct conf *c = conf_of(src);
	const char *id = json_string_value(json_object_get(pg, "id"));
	const char *title = json_string_value(json_object_get(pg, "title"));
	json_t *ver = json_object_get(pg, "version");
	long long v = json_integer_value(json_object_get(ver, "number"));
	int created = cl_source_day(json_string_value(json_object_get(pg, "createdAt")));
	char *url;
	int rc;

	if (id == NULL)
		return 0;
	if (c->cloud)
		url = cl_asprintf("%s/spaces/%s/pages/%s", c->wiki, c->space_key ? c->space_key : "-",
		                  id);
	else
		url = cl_asprintf("%s/pages/viewpage.action?pageId=%s", c->wiki, id);
	if (url == NULL)
		return CL_ENOMEM;
	rc = cl_source_add(src, NULL, url, title, id, v, created);
	free(url);
	return rc;
}

/* Follows a listing from first: cursor paging through _links.next, or
 * (start_limit) &start=N on first while the answer says there is more.
 * Complete only when an answer says there is no more (a next link to
 * another site, or an empty page with a next link, leaves it cut short). */
static int
list_pages(struct cl_source *src, const char *first, int start_limit, struct cl_error *err)
{
	json_t *j = NULL;
	char *url = start_limit ? cl_asprintf("%s&start=0", first) : cl_strdup(first);
	int rc = 0, pages = 0;
	long start = 0;

	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	while (url != NULL && rc == 0) {
		json_t *res, *pg;
		const char *next;
		size_t i;

		if (++pages > 10000) {	/* a server that never ends the listing */
			rc = cl_error_set(err, CL_EDATA, "source '%s': listing does not end", src->name);
			break;
		}
		if ((rc = cl_source_get_json(src, (void **)&j, NULL, url, "listing pages", err)) != 0)
			break;
		res = json_object_get(j, "results");
		if (!json_is_array(res)) {
			rc = cl_error_set(err, CL_EDATA, "source '%s': listing pages: no results in the "
			                  "answer", src->name);
			break;
		}
		json_array_foreach(res, i, pg)
			if (add_page(src, pg) != 0) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
				break;
			}
		next = json_string_value(json_object_get(json_object_get(j, "_links"), "next"));
		free(url);
		url = NULL;
		if (rc == 0 && next == NULL)
			src->complete = 1;	/* the listing ran to its end */
		if (rc == 0 && next != NULL && json_array_size(res) > 0) {
			start += (long)json_array_size(res);
			url = start_limit ? cl_asprintf("%s&start=%ld", first, start) :
			                    next_url(src, next);
			if (url == NULL && start_limit)
				rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		}
		json_decref(j);
		j = NULL;
	}
	if (rc != 0)
		src->complete = 0;
	free(url);
	json_decref(j);
	return rc;
}

/* Cloud: the space's id from its key; 404-like answers are "not found". */
static int
cloud_space_id(struct cl_source *src, char **out, struct cl_error *err)
{
	const struct conf *c = conf_of(src);
	char *esc = cl_http_escape(c->space_key), *url;
	json_t *j = NULL, *sp;
	int rc;

	*out = NULL;
	url = esc ? cl_asprintf("%s/api/v2/spaces?keys=%s", c->wiki, esc) : NULL;
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_source_get_json(src, (void **)&j, NULL, url, "looking up the space", err);
	free(url);
	if (rc != 0)
		return rc;
	sp = json_array_get(json_object_get(j, "results"), 0);
	if (json_string_value(json_object_get(sp, "id")) == NULL)
		rc = cl_error_set(err, CL_ENOINPUT, "source '%s': space '%s' not found on %s "
		                  "(or no access)", src->name, c->space_key, src->url);
	else if ((*out = cl_strdup(json_string_value(json_object_get(sp, "id")))) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	json_decref(j);
	return rc;
}

/* Cloud: a label's id from its name (v1: v2 lists pages by label id). */
static int
cloud_label_id(struct cl_source *src, char **out, const char *label, struct cl_error *err)
{
	const struct conf *c = conf_of(src);
	struct cl_http_response *r = NULL;
	char *esc = cl_http_escape(label), *url;
	json_t *j = NULL;
	const char *id;
	int rc;

	*out = NULL;
	url = esc ? cl_asprintf("%s/rest/api/label?name=%s", c->wiki, esc) : NULL;
	free(esc);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_json(src->http, &r, (void **)&j, "GET", url, NULL, NULL, err);
	free(url);
	if (rc == 0 && r->status == 404) {
		rc = 1;	/* no such label: no pages */
	} else if (rc == 0 && (r->status < 200 || r->status > 299)) {
		rc = cl_source_http_fail(src, r->status, "looking up the label", err);
	} else if (rc == 0) {
		id = json_string_value(json_object_get(json_object_get(j, "label"), "id"));
		if (id == NULL)
			rc = 1;
		else if ((*out = cl_strdup(id)) == NULL)
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	json_decref(j);
	cl_http_response_free(r);
	return rc;
}

/* The CQL of the source: cql as written, or space and label. */
static char *
source_cql(const struct cl_source *src)
{
	const char *cql = cl_source_get(src, "cql"), *space = cl_source_get(src, "space");
	const char *label = cl_source_get(src, "label");

	if (cql != NULL)
		return cl_strdup(cql);
	if (label != NULL)
		return cl_asprintf("space = \"%s\" and type = page and label = \"%s\"", space, label);
	return cl_asprintf("space = \"%s\" and type = page", space);
}

static int
conf_list(struct cl_source *src, struct cl_error *err)
{
	struct conf *c = conf_of(src);
	const char *label = cl_source_get(src, "label");
	char *space = NULL, *lid = NULL, *url = NULL, *cql = NULL, *esc = NULL;
	int rc = 0;

	if (c->cloud && cl_source_get(src, "cql") == NULL) {
		if ((rc = cloud_space_id(src, &space, err)) != 0)
			goto done;
		if (label != NULL) {
			if ((rc = cloud_label_id(src, &lid, label, err)) != 0) {
				rc = rc == 1 ? 0 : rc;	/* an unknown label has no pages */
				goto done;
			}
			url = cl_asprintf("%s/api/v2/labels/%s/pages?space-id=%s&limit=%ld", c->wiki,
			                  lid, space, src->limit);
		} else {
			url = cl_asprintf("%s/api/v2/spaces/%s/pages?status=current&limit=%ld", c->wiki,
			                  space, src->limit);
		}
		if (url == NULL)
			goto oom;
		rc = list_pages(src, url, 0, err);
		goto done;
	}
	if (!c->cloud && c->space_key != NULL) {
		/* CQL over a space that does not exist is just empty: ask first */
		json_t *j = NULL;
		char *k = cl_http_escape(c->space_key);
		url = k ? cl_asprintf("%s/rest/api/space/%s", c->wiki, k) : NULL;
		free(k);
		if (url == NULL)
			goto oom;
		rc = cl_source_get_json(src, (void **)&j, NULL, url, "looking up the space", err);
		json_decref(j);
		free(url);
		url = NULL;
		if (rc == CL_ENOINPUT) {
			cl_error_clear(err);
			rc = cl_error_set(err, CL_ENOINPUT, "source '%s': space '%s' not found on %s "
			                  "(or no access)", src->name, c->space_key, src->url);
		}
		if (rc != 0)
			goto done;
	}
	if ((cql = source_cql(src)) == NULL || (esc = cl_http_escape(cql)) == NULL)
		goto oom;
	if ((url = cl_asprintf("%s/rest/api/content/search?cql=%s&limit=%ld&expand=version",
	                       c->wiki, esc, src->limit)) == NULL)
		goto oom;
	rc = list_pages(src, url, 1, err);
	goto done;
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
done:
	free(space);
	free(lid);
	free(url);
	free(cql);
	free(esc);
	return rc;
}

static int
conf_fetch(struct cl_source *src, struct cl_source_doc *doc, struct cl_error *err)
{
	struct conf *c = conf_of(src);
	json_t *j = NULL, *ver;
	const char *value, *title;
	char *url;
	int rc;

	if (c->cloud && cl_source_get(src, "cql") == NULL)
		url = cl_asprintf("%s/api/v2/pages/%s?body-format=storage", c->wiki, doc->ref);
	else
		url = cl_asprintf("%s/rest/api/content/%s?expand=body.storage,version,history",
		                  c->wiki, doc->ref);
	if (url == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_source_get_json(src, (void **)&j, NULL, url, "reading the page", err);
	free(url);
	if (rc != 0)
		return rc;
	value = json_string_value(json_object_get(json_object_get(json_object_get(j, "body"),
	                                                          "storage"), "value"));
	if (value == NULL) {
		rc = cl_error_set(err, CL_EDATA, "the answer holds no storage-format body");
		goto done;
	}
	/* the page as read now: it may be newer than it was when listed */
	ver = json_object_get(j, "version");
	if (json_integer_value(json_object_get(ver, "number")) > 0)
		doc->version = json_integer_value(json_object_get(ver, "number"));
	if ((title = json_string_value(json_object_get(j, "title"))) != NULL && *title) {
		char *t = cl_strdup(title);
		if (t == NULL) {
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		free(doc->title);
		doc->title = t;
	}
	if (doc->created == CL_NO_DATE)
		doc->created = cl_source_day(json_string_value(json_object_get(
		        json_object_get(j, "history"), "createdDate")));
	if (doc->created == CL_NO_DATE)
		doc->created = cl_source_day(json_string_value(json_object_get(j, "createdAt")));
	rc = cl_storage_to_markdown(&doc->body, &doc->body_len, &doc->sections, &doc->nlines,
	                            value, strlen(value), doc->title, src->cfg, err);
done:
	json_decref(j);
	return rc;
}

const struct source_kind cl_source_kind_confluence = {
	.name = "confluence",
	.init = conf_init,
	.list = conf_list,
	.fetch = conf_fetch,
	.release = conf_release,
};
