/* kind.h — what a source kind implements, and the helpers lib/source.c
 * gives the kinds (internal to libcloseloop). */
#ifndef CL_SOURCE_KIND_H
#define CL_SOURCE_KIND_H

#include "http.h"
#include "source.h"

struct source_kind {
	const char *name;
	/* Checks the section's keys and sets up authentication. */
	int (*init)(struct cl_source *src, struct cl_error *err);
	/* Lists the documents (cl_source_add); bodies only when free. */
	int (*list)(struct cl_source *src, struct cl_error *err);
	/* Fills doc->body (Markdown) and doc->sections. */
	int (*fetch)(struct cl_source *src, struct cl_source_doc *doc, struct cl_error *err);
	/* Frees what priv points to (priv itself is freed after); may be NULL. */
	void (*release)(struct cl_source *src);
};

extern const struct source_kind cl_source_kind_confluence;
extern const struct source_kind cl_source_kind_github;
extern const struct source_kind cl_source_kind_gitlab;

struct cl_source {
	char *name;			/* as configured, lower case */
	char *section;			/* "source \"NAME\"" */
	const struct source_kind *kind;
	const struct cl_config *cfg;
	struct cl_http *http;
	char *url;			/* no trailing slash */
	char *token;			/* secret: wiped on free */
	char *since;			/* cursor of the last import, or NULL */
	char *since_new;		/* cursor to save after this one */
	int complete;			/* the listing holds every document: not
					 * incremental, not cut short (kinds set it) */
	long limit;			/* page size of listings */
	struct cl_source_doc **docs;
	size_t ndocs, capdocs;
	void *priv;			/* the kind's own state, freed with free() */
};

/* The section's value for key, or NULL. */
const char *cl_source_get(const struct cl_source *src, const char *key);
/* Adds a listed document, or updates the one with the same id when this
 * listing saw a newer version of it (a page edited while it was listed).
 * *out (may be NULL) is the document. */
int cl_source_add(struct cl_source *src, struct cl_source_doc **out, const char *id,
                  const char *title, const char *ref, long long version, int created);
/* An HTTP answer that is not a success as a CL_E* error naming the source. */
int cl_source_http_fail(const struct cl_source *src, long status, const char *what,
                        struct cl_error *err);
/* GETs url (JSON) with the source's client: *json on 2xx (json_t *). */
int cl_source_get_json(struct cl_source *src, void **json, struct cl_http_response **resp,
                       const char *url, const char *what, struct cl_error *err);
/* "2024-05-01T10:00:00.123Z" → milliseconds since the epoch; -1 if not. */
long long cl_source_time_ms(const char *iso);
/* The day of an ISO time or date, or CL_NO_DATE. */
int cl_source_day(const char *iso);
/* True when url is on the server base names (scheme, host and port, and
 * base's path as a whole segment): where the credentials may go. */
int cl_source_same_server(const char *url, const char *base);
/* The section of each line of a Markdown body, from its ATX headings. */
int cl_source_md_sections(struct cl_source_doc *doc);

#endif
