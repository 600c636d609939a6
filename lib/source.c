/* source.c — configured [source "NAME"] sections: the kinds' common part
 * (config, HTTP client, document list, cursor, messages). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "dates.h"
#include "source.h"
#include "source/kind.h"
#include "util.h"

static const struct source_kind *const kinds[] = {
	&cl_source_kind_confluence, &cl_source_kind_github, &cl_source_kind_gitlab, NULL
};

/* "source \"name\"" for a name (lower case, as config.c stores it). */
static char *
section_of(const char *name)
{
	char *s = cl_asprintf("source \"%s\"", name);

	if (s != NULL)
		cl_str_lower(s);
	return s;
}

int
cl_source_configured(const struct cl_config *cfg, const char *name)
{
	char *sec;
	int yes;

	if (name == NULL || *name == '\0' || strchr(name, '"') || strchr(name, '/'))
		return 0;
	if ((sec = section_of(name)) == NULL)
		return 0;
	yes = cl_config_get(cfg, sec, "kind") != NULL;
	free(sec);
	return yes;
}

int
cl_source_any(const struct cl_config *cfg)
{
	const char **v = NULL;
	size_t n = 0;

	if (cl_config_sections(&v, &n, cfg, "source \"") != 0)
		return 1;	/* short of memory: let the import say so */
	free(v);
	return n > 0;
}

int
cl_source_names(char ***out, size_t *n, const struct cl_config *cfg, struct cl_error *err)
{
	const char **v;
	char **names;
	size_t i, cnt;

	*out = NULL;
	*n = 0;
	if (cl_config_sections(&v, &cnt, cfg, "source \"") != 0)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if ((names = cl_calloc(cnt + 1, sizeof *names)) == NULL) {
		free(v);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	for (i = 0; i < cnt; i++) {	/* "source \"x\"" → "x" */
		const char *s = v[i] + strlen("source \"");
		size_t len = strlen(s);
		if ((names[i] = cl_strndup(s, len && s[len - 1] == '"' ? len - 1 : len)) == NULL) {
			cl_source_names_free(names, i);
			free(v);
			return cl_error_set(err, CL_ENOMEM, "out of memory");
		}
	}
	free(v);
	*out = names;
	*n = cnt;
	return 0;
}

void
cl_source_names_free(char **names, size_t n)
{
	cl_source_sections_free(names, n);
}

const char *
cl_source_get(const struct cl_source *src, const char *key)
{
	const char *v = cl_config_get(src->cfg, src->section, key);
	return v && *v ? v : NULL;
}

const char *
cl_source_name(const struct cl_source *src)
{
	return src ? src->name : NULL;
}

size_t
cl_source_count(const struct cl_source *src)
{
	return src ? src->ndocs : 0;
}

struct cl_source_doc *
cl_source_doc_at(struct cl_source *src, size_t i)
{
	return src && i < src->ndocs ? src->docs[i] : NULL;
}

int
cl_source_complete(const struct cl_source *src)
{
	return src ? src->complete : 0;
}

long
cl_source_requests(const struct cl_source *src)
{
	return src && src->http ? cl_http_requests(src->http) : 0;
}

static void
doc_free(struct cl_source_doc *d)
{
	if (d == NULL)
		return;
	free(d->id);
	free(d->title);
	free(d->ref);
	free(d->body);
	cl_source_sections_free(d->sections, d->nlines);
	free(d);
}

void
cl_source_free(struct cl_source *src)
{
	size_t i;

	if (src == NULL)
		return;
	for (i = 0; i < src->ndocs; i++)
		doc_free(src->docs[i]);
	free(src->docs);
	if (src->kind && src->kind->release)
		src->kind->release(src);
	cl_http_free(src->http);
	cl_secret_free(src->token);
	free(src->name);
	free(src->section);
	free(src->url);
	free(src->since);
	free(src->since_new);
	free(src->priv);
	free(src);
}

int
cl_source_add(struct cl_source *src, struct cl_source_doc **out, const char *id,
              const char *title, const char *ref, long long version, int created)
{
	struct cl_source_doc *d;
	size_t i;

	if (out)
		*out = NULL;
	for (i = 0; i < src->ndocs; i++) {
		d = src->docs[i];
		if (strcmp(d->id, id) != 0)
			continue;
		/* listed twice (edited between two pages of the listing): once,
		 * at the newer version */
		if (version > d->version) {
			char *t = cl_strdup(title ? title : "");
			if (t == NULL)
				return CL_ENOMEM;
			free(d->title);
			d->title = t;
			d->version = version;
		}
		if (out)
			*out = d;
		return 0;
	}
	if (src->ndocs == src->capdocs) {
		size_t cap = src->capdocs ? src->capdocs * 2 : 32;
		struct cl_source_doc **nv = cl_realloc(src->docs, cap * sizeof *nv);
		if (nv == NULL)
			return CL_ENOMEM;
		src->docs = nv;
		src->capdocs = cap;
	}
	if ((d = cl_calloc(1, sizeof *d)) == NULL)
		return CL_ENOMEM;
	d->id = cl_strdup(id);
	d->title = cl_strdup(title ? title : "");
	d->ref = cl_strdup(ref ? ref : "");
	d->version = version;
	d->created = created;
	d->src = src;
	if (d->id == NULL || d->title == NULL || d->ref == NULL) {
		doc_free(d);
		return CL_ENOMEM;
	}
	src->docs[src->ndocs++] = d;
	if (out)
		*out = d;
	return 0;
}

int
cl_source_http_fail(const struct cl_source *src, long status, const char *what,
                    struct cl_error *err)
{
	switch (status) {
	case 401:
		return cl_error_set(err, CL_ENOPERM, "source '%s': %s: %s rejected the credentials "
		                    "(HTTP 401); check [source \"%s\"] user and token_file/token_env",
		                    src->name, what, src->url, src->name);
	case 403:
		return cl_error_set(err, CL_ENOPERM, "source '%s': %s: access denied by %s (HTTP 403)",
		                    src->name, what, src->url);
	case 404:
	case 410:
		return cl_error_set(err, CL_ENOINPUT, "source '%s': %s: not found (HTTP %ld)",
		                    src->name, what, status);
	default:
		return cl_error_set(err, status >= 500 || status == 429 ? CL_ETEMPFAIL : CL_EUNAVAIL,
		                    "source '%s': %s: %s answered HTTP %ld", src->name, what,
		                    src->url, status);
	}
}

int
cl_source_get_json(struct cl_source *src, void **json, struct cl_http_response **resp,
                   const char *url, const char *what, struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	void *j = NULL;
	int rc;

	*json = NULL;
	if (resp)
		*resp = NULL;
	if ((rc = cl_http_json(src->http, &r, &j, "GET", url, NULL, NULL, err)) != 0) {
		cl_error_prefix(err, "source '%s': %s", src->name, what);
		goto done;
	}
	if (r->status < 200 || r->status > 299) {
		rc = cl_source_http_fail(src, r->status, what, err);
		goto done;
	}
	if (j == NULL) {
		rc = cl_error_set(err, CL_EDATA, "source '%s': %s: empty answer", src->name, what);
		goto done;
	}
	*json = j;
	j = NULL;
	if (resp) {
		*resp = r;
		r = NULL;
	}
done:
	json_decref(j);
	cl_http_response_free(r);
	return rc;
}

long long
cl_source_time_ms(const char *iso)
{
	time_t t;
	const char *dot;
	long long ms = 0;
	int k;

	if (iso == NULL || cl_time_parse(iso, &t) != 0)
		return -1;
	if ((dot = strchr(iso, '.')) != NULL && dot - iso < 25)
		for (k = 0, dot++; k < 3; k++)
			ms = ms * 10 + (isdigit((unsigned char)*dot) ? *dot++ - '0' : 0);
	return (long long)t * 1000 + ms;
}

int
cl_source_day(const char *iso)
{
	char buf[11];
	int day;

	if (iso == NULL || strlen(iso) < 10)
		return CL_NO_DATE;
	snprintf(buf, sizeof buf, "%.10s", iso);
	return cl_date_parse_iso(buf, &day) == 0 ? day : CL_NO_DATE;
}

int
cl_source_same_server(const char *url, const char *base)
{
	size_t n = strlen(base);

	if (url == NULL || strncmp(url, base, n) != 0)
		return 0;
	/* "https://h:1" is not a prefix of "https://h:12/", nor of "https://h.evil" */
	return url[n] == '\0' || url[n] == '/' || url[n] == '?';
}

int
cl_source_md_sections(struct cl_source_doc *doc)
{
	const char *s = doc->body, *eol;
	char *cur = NULL;
	size_t n = 1, i, line = 0;
	int fence = 0;

	for (i = 0; i < doc->body_len; i++)
		if (s[i] == '\n')
			n++;
	if ((doc->sections = cl_calloc(n, sizeof *doc->sections)) == NULL)
		return CL_ENOMEM;
	doc->nlines = n;
	for (; line < n && s; line++, s = eol ? eol + 1 : NULL) {
		const char *p = s;
		size_t len;
		eol = strchr(s, '\n');
		len = eol ? (size_t)(eol - s) : strlen(s);
		while (p < s + len && *p == ' ')
			p++;
		if (p + 3 <= s + len && (strncmp(p, "```", 3) == 0 || strncmp(p, "~~~", 3) == 0))
			fence = !fence;
		if (!fence && line > 0 && *p == '#') {	/* line 1 is the title */
			const char *q = p;
			while (q < s + len && *q == '#')
				q++;
			if (q - p <= 6 && (q == s + len || *q == ' ' || *q == '\t')) {
				char *t = cl_strndup(q, (size_t)(s + len - q));
				if (t == NULL)
					return CL_ENOMEM;
				cl_str_trim(t);
				while (*t && t[strlen(t) - 1] == '#')	/* closing sequence */
					t[strlen(t) - 1] = '\0';
				cl_str_trim(t);
				cur = t;
				if ((doc->sections[line] = cl_strdup(cur)) == NULL) {
					free(t);
					return CL_ENOMEM;
				}
				free(t);
				continue;
			}
		}
		if (line > 0 && doc->sections[line - 1] != NULL &&
		    (doc->sections[line] = cl_strdup(doc->sections[line - 1])) == NULL)
			return CL_ENOMEM;
	}
	(void)cur;
	return 0;
}

int
cl_source_open(struct cl_source **out, const struct cl_config *cfg, const char *name,
               struct cl_store *st, int verbose, struct cl_error *err)
{
	struct cl_source *src;
	struct cl_http_opts o;
	const char *kind, *path = cl_config_path(cfg) ? cl_config_path(cfg) : "config";
	char *key;
	long v;
	size_t i;
	int rc;

	*out = NULL;
	xmlInitParser();	/* once, on the main thread: bodies parse on another */
	if ((src = cl_calloc(1, sizeof *src)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	src->cfg = cfg;
	if ((src->name = cl_strdup(name)) == NULL || (src->section = section_of(name)) == NULL)
		goto oom;
	cl_str_lower(src->name);
	kind = cl_source_get(src, "kind");
	for (i = 0; kind && kinds[i]; i++)
		if (strcmp(kinds[i]->name, kind) == 0)
			src->kind = kinds[i];
	if (src->kind == NULL) {
		rc = cl_error_set(err, CL_ECONFIG, "%s:%d: [source \"%s\"] kind '%s' is not supported "
		                  "(confluence, github, gitlab)", path,
		                  cl_config_line(cfg, src->section, "kind"), src->name,
		                  kind ? kind : "");
		goto fail;
	}
	memset(&o, 0, sizeof o);
	o.verbose = verbose;
	if ((rc = cl_http_opts_config(&o, cfg, src->section, err)) != 0)
		goto fail;
	if ((rc = cl_config_get_int(cfg, src->section, "limit", 50, 1, 250, &src->limit,
	                            err)) != 0)
		goto fail;
	if ((rc = cl_config_secret(&src->token, cfg, src->section, "token", err)) != 0)
		goto fail;
	if (cl_source_get(src, "url") != NULL) {
		const char *u = cl_source_get(src, "url");
		if (!cl_str_starts_with(u, "http://") && !cl_str_starts_with(u, "https://")) {
			rc = cl_error_set(err, CL_ECONFIG, "%s:%d: [source \"%s\"] url '%s' is not an "
			                  "http(s) URL", path, cl_config_line(cfg, src->section, "url"),
			                  src->name, u);
			goto fail;
		}
		if ((src->url = cl_strdup(u)) == NULL)
			goto oom;
		while (*src->url && src->url[strlen(src->url) - 1] == '/')
			src->url[strlen(src->url) - 1] = '\0';
	}
	if ((rc = cl_http_new(&src->http, &o, err)) != 0)
		goto fail;
	if ((rc = cl_config_get_int(cfg, src->section, "full_listing_hours", 24, 0, 24 * 366, &v,
	                            err)) != 0)
		goto fail;
	if (st != NULL) {
		char *full;
		time_t t;
		if ((key = cl_asprintf("source:%s:since", src->name)) == NULL)
			goto oom;
		src->since = cl_store_meta_get(st, key);
		free(key);
		if ((key = cl_asprintf("source:%s:full", src->name)) == NULL)
			goto oom;
		full = cl_store_meta_get(st, key);
		free(key);
		/* an incremental listing never shows what vanished: every
		 * full_listing_hours the listing is complete instead */
		if (src->since && (full == NULL || cl_time_parse(full, &t) != 0 ||
		                   cl_now() - t >= (time_t)v * 3600)) {
			free(src->since);
			src->since = NULL;
		}
		free(full);
	}
	if ((rc = src->kind->init(src, err)) != 0)
		goto fail;
	if ((rc = src->kind->list(src, err)) != 0)
		goto fail;
	*out = src;
	return 0;
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
fail:
	cl_source_free(src);
	return rc;
}

int
cl_source_fetch(struct cl_source_doc *doc, struct cl_error *err)
{
	if (doc->body != NULL)
		return 0;
	return doc->src->kind->fetch(doc->src, doc, err);
}

char *
cl_source_where(const struct cl_source_doc *doc, int line)
{
	const char *sec = line > 0 && (size_t)line <= doc->nlines ? doc->sections[line - 1] : NULL;

	if (sec != NULL && *sec)
		return cl_asprintf("%s (%s) \xe2\x80\xba %s", doc->title, doc->id, sec);
	return cl_asprintf("%s (%s)", doc->title, doc->id);
}

int
cl_source_save(struct cl_source *src, struct cl_store *st, struct cl_error *err)
{
	char *key, now[21];
	int rc;

	if (src == NULL || st == NULL || src->since_new == NULL)
		return 0;
	if ((key = cl_asprintf("source:%s:since", src->name)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_store_meta_set(st, key, src->since_new, err);
	free(key);
	if (rc != 0 || !src->complete)
		return rc;
	/* an incremental source: when its listing was last complete */
	if ((key = cl_asprintf("source:%s:full", src->name)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	cl_time_format_utc(cl_now(), now);
	rc = cl_store_meta_set(st, key, now, err);
	free(key);
	return rc;
}
