/* source.h — post-mortems that are not Markdown files: configured
 * `[source "NAME"]` sections whose documents import like files.
 *
 * A source has a kind (confluence, github, gitlab) and yields documents:
 * a URL, an identity (the URL, or a Confluence page's site + id), a title, a version (Confluence's
 * version number, or the updated time in seconds) and a Markdown
 * body. Confluence bodies are storage format (XHTML) converted to
 * CommonMark/GFM text (cl_storage_to_markdown), so the Markdown parser and
 * lint apply unchanged. Listing is cheap (no bodies where the API allows);
 * cl_source_fetch() gets a body only for a document import must read.
 *
 * Ownership: a struct cl_source owns its documents, their strings and its
 * HTTP client; cl_source_free(NULL) is a no-op. Errors: CL_ECONFIG (bad
 * section), CL_ENOPERM (401/403), CL_ENOINPUT (space or project not found),
 * CL_ETEMPFAIL (5xx, 429 beyond max_wait_s, timeouts), CL_EDATA (an answer
 * or a body that cannot be read), CL_ENOMEM. */
#ifndef CL_SOURCE_H
#define CL_SOURCE_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct cl_source;

struct cl_source_doc {
	char *id;		/* the page's or issue's URL, as shown */
	char *canon;		/* identity (postmortems.canon): the URL, or for a
				 * Confluence page the site + page id, whatever
				 * space it is in */
	char *title;
	char *ref;		/* the kind's own id (page id, issue number) */
	long long version;	/* changes whenever the document does */
	int created;		/* day of creation, or CL_NO_DATE */
	char *body;		/* Markdown, NULL until fetched */
	size_t body_len;
	char **sections;	/* heading over each line of body (index line - 1) */
	size_t nlines;
	struct cl_source *src;
};

/* True when NAME names a configured [source "NAME"] section. */
int cl_source_configured(const struct cl_config *cfg, const char *name);
/* True when the config has a [source "NAME"] section. */
int cl_source_any(const struct cl_config *cfg);
/* The names of every configured source, in file order (caller frees with
 * cl_source_names_free). */
int cl_source_names(char ***out, size_t *n, const struct cl_config *cfg,
                    struct cl_error *err);
void cl_source_names_free(char **names, size_t n);
/* Lists the documents of source NAME. st (may be NULL) holds the cursor
 * of an incremental listing (tracker issues: updated since the last
 * import) and the time of the last complete one; a cursor older than
 * full_listing_hours (default 24) is not used, the listing is complete.
 * verbose >= 2 traces HTTP. */
int cl_source_open(struct cl_source **out, const struct cl_config *cfg, const char *name,
                   struct cl_store *st, int verbose, struct cl_error *err);
size_t cl_source_count(const struct cl_source *src);
struct cl_source_doc *cl_source_doc_at(struct cl_source *src, size_t i);
const char *cl_source_name(const struct cl_source *src);
/* Fills doc->body (and the version the fetched body has) when not yet. */
int cl_source_fetch(struct cl_source_doc *doc, struct cl_error *err);
/* "TITLE (URL) › SECTION" for line (0: no section), for messages; caller
 * frees. */
char *cl_source_where(const struct cl_source_doc *doc, int line);
/* Records the listing cursor in st, and the time of a complete listing
 * (inside the import's transaction). */
int cl_source_save(struct cl_source *src, struct cl_store *st, struct cl_error *err);
/* True when the listing holds every document the source has (a
 * Confluence listing that ran to its end; a tracker-issue listing without
 * `since`, which the source makes every full_listing_hours), so a known
 * document it lacks has vanished; false for an incremental listing or one
 * cut short. */
int cl_source_complete(const struct cl_source *src);
/* HTTP requests this source has made (listings and bodies). */
long cl_source_requests(const struct cl_source *src);
void cl_source_free(struct cl_source *src);

/* Confluence storage format → Markdown. title becomes the "# " heading
 * and page headings move one level down; user references become "@handle"
 * through [people] NAME.confluence = ID (or the ID itself when unknown);
 * task lists become an action table (Action, Owner, Due, Status, Ticket).
 * *sections (may be NULL) receives the heading text over each output line
 * (*nlines entries, strings owned by the array: cl_source_sections_free).
 * A body that is not well-formed is CL_EDATA naming its line. */
int cl_storage_to_markdown(char **out, size_t *out_len, char ***sections, size_t *nlines,
                           const char *xhtml, size_t len, const char *title,
                           const struct cl_config *cfg, struct cl_error *err);
void cl_source_sections_free(char **sections, size_t n);

#endif
