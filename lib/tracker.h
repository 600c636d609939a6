/* tracker.h — the issue-tracker interface that `closeloop sync` drives.
 *
 * One backend per file in lib/tracker/ (github.c, redmine.c; gitlab.c,
 * jira.c, gitea.c follow the same shape). A backend is a const struct
 * cl_tracker_ops; cl_tracker_open() picks it from [tracker] kind, reads the
 * common keys and the token, and makes the HTTP client. Backends never touch
 * the database: sync.c owns the state (links, intents, cursors).
 *
 * Tickets are plain C records (struct cl_ticket) in the closeloop model:
 *   id      the tracker's key or number as text ("42", "OPS-7")
 *   state   CL_TICKET_OPEN or CL_TICKET_CLOSED
 *   assignee the tracker handle (login, or numeric id where the tracker has
 *           no handles), NULL when unassigned
 *   due     YYYY-MM-DD, only when the backend has CL_TRACKER_CAP_DUE_DATE
 *   marker  the item key of the marker line closeloop writes in the body
 *           (cl_tracker_marker_find), or NULL
 *   creator the account that filed the ticket, in the form whoami gives.
 * What a backend returns through out belongs to the caller
 * (cl_ticket_free / cl_ticket_list_release).
 *
 * Errors: 0 or a negative CL_E* code with err filled:
 *   CL_ENOPERM   401/403 (bad token, no access)               → exit 77
 *   CL_ECONFIG   unknown project/repository, bad [tracker] keys → exit 78
 *   CL_ETEMPFAIL rate limit beyond max_wait_s, 5xx after retries, timeouts
 *   CL_ENOTFOUND the one ticket asked for is gone (404/410) or moved (301);
 *                *gone_status tells which (sync reports it on the item)
 *   CL_EDATA     the tracker refused this ticket's data (422) or answered
 *                something that is not the documented form; sync marks the
 *                item and carries on. */
#ifndef CL_TRACKER_H
#define CL_TRACKER_H

#include <stddef.h>

#include "config.h"
#include "error.h"

struct cl_http;

enum {
	CL_TICKET_OPEN = 0,
	CL_TICKET_CLOSED = 1,
};

/* What a backend can represent natively; sync adapts to the rest. */
enum {
	CL_TRACKER_CAP_DUE_DATE = 1,	/* a due-date field (else: in the body) */
	CL_TRACKER_CAP_LABELS = 2,	/* labels/tags on issues */
	CL_TRACKER_CAP_ASSIGNEE = 4,	/* an assignee settable by handle */
	CL_TRACKER_CAP_CLOSE_REASON = 8,/* closed as completed vs not planned */
	CL_TRACKER_CAP_COMMENT = 16,	/* a comment with a state change */
};

struct cl_ticket {
	char *id;
	char *url;		/* web address for people */
	char *title;
	char *body;
	int state;		/* CL_TICKET_* */
	char *assignee;
	char *due;
	char *updated_at;	/* RFC 3339 as the tracker wrote it */
	char *closed_at;	/* RFC 3339 or NULL */
	char *marker;		/* item key of closeloop's marker line in the body */
	char *creator;		/* the account that filed it, in whoami's form, or NULL */
};

struct cl_ticket_list {
	struct cl_ticket *v;
	size_t n, cap;
};

/* What closeloop wants an issue to hold. NULL fields are left alone by
 * update (create sends what is there). */
struct cl_ticket_spec {
	const char *title;
	const char *body;	/* includes the marker line */
	const char *assignee;	/* tracker handle or NULL */
	const char *due;	/* YYYY-MM-DD or NULL (only sent with CAP_DUE_DATE) */
	const char *const *labels;
	size_t nlabels;
};

/* Bits of struct cl_ticket_spec that an update sends. */
enum {
	CL_SPEC_TITLE = 1,
	CL_SPEC_BODY = 2,
	CL_SPEC_ASSIGNEE = 4,
	CL_SPEC_DUE = 8,
	CL_SPEC_LABELS = 16,
};

/* The close reasons closeloop uses. */
enum {
	CL_CLOSE_COMPLETED = 0,
	CL_CLOSE_NOT_PLANNED = 1,
};

/* Incremental pull position. since is the tracker's own updated-at of the
 * newest change seen (its clock, not ours); etag is the validator of the
 * first page fetched with that since. Both NULL: everything. */
struct cl_tracker_cursor {
	char *since;
	char *etag;
};

struct cl_tracker;
struct cl_tracker_dialect;

struct cl_tracker_ops {
	const char *kind;	/* [tracker] kind */
	int caps;		/* CL_TRACKER_CAP_* */
	/* Titles the tracker keeps: the first line, at most title_max bytes
	 * (0: as sent). Sync compares what the tracker can hold, so a long
	 * action text is not sent again on every run. */
	size_t title_max;
	/* The REST dialect the engine's cl_tracker_rest_* functions speak
	 * (NULL: the backend does everything itself). With a dialect, every
	 * operation left NULL below (init included) is the engine's. */
	const struct cl_tracker_dialect *dialect;
	/* Reads backend keys, adds auth headers; no network. */
	int (*init)(struct cl_tracker *t, struct cl_error *err);
	void (*release)(struct cl_tracker *t);
	int (*create)(struct cl_tracker *t, struct cl_ticket *out,
	              const struct cl_ticket_spec *spec, struct cl_error *err);
	/* Sends the fields in mask; out (may be NULL) gets the new ticket. */
	int (*update)(struct cl_tracker *t, struct cl_ticket *out, const char *id,
	              const struct cl_ticket_spec *spec, unsigned mask, struct cl_error *err);
	int (*get)(struct cl_tracker *t, struct cl_ticket *out, const char *id,
	           long *gone_status, struct cl_error *err);
	/* Closes (closed = 1, with a CL_CLOSE_* reason) or reopens. comment
	 * (may be NULL) is attached the tracker's way: a journal note or a
	 * comment with CAP_COMMENT, else appended to body (the body closeloop
	 * last wrote, may be NULL) which is then sent with the state change. */
	int (*set_state)(struct cl_tracker *t, const char *id, int closed, int reason,
	                 const char *comment, const char *body, long *gone_status,
	                 struct cl_error *err);
	/* Appends every ticket changed at or after in->since (all when NULL),
	 * following pages, newest first (so that any change alters the first
	 * page and its validator); *not_modified = 1 when the tracker answered
	 * 304 to in->etag. next gets the new cursor (cl_tracker_cursor_next). */
	int (*changes)(struct cl_tracker *t, struct cl_ticket_list *out,
	               const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
	               int *not_modified, struct cl_error *err);
	/* Appends tickets updated at or after since (RFC 3339 UTC, our clock,
	 * the backend widens it for clock skew) whose body carries a closeloop
	 * marker; matched locally, no search API. */
	int (*find_markers)(struct cl_tracker *t, struct cl_ticket_list *out,
	                    const char *since, struct cl_error *err);
	/* Maps a ticket reference written in a document ("#42", "42", a web
	 * URL, "OPS-7") to this tracker's id; CL_ENOTFOUND when it names
	 * another tracker. *out is the id (caller frees). */
	int (*parse_ref)(struct cl_tracker *t, char **out, const char *ref);
	/* Optional: the form of a user handle from [people] X.tracker that
	 * tickets carry in assignee (e.g. Redmine: login → numeric id). NULL
	 * means handles are used as they are. CL_ENOTFOUND for no such user. */
	int (*canon_user)(struct cl_tracker *t, char **out, const char *handle,
	                  struct cl_error *err);
	/* The account the token acts as, in the form tickets carry in creator
	 * (login, account id, numeric id); *out caller frees. */
	int (*whoami)(struct cl_tracker *t, char **out, struct cl_error *err);
};

/* Common state; backends keep their own in priv. */
struct cl_tracker {
	const struct cl_tracker_ops *ops;	/* &ops_filled */
	struct cl_tracker_ops ops_filled;	/* the backend's, the engine's in the gaps */
	const struct cl_config *cfg;
	struct cl_http *http;
	char *url;		/* API root / instance root, no trailing slash */
	char *project;		/* owner/repo, project identifier, key … */
	char *token;		/* secret: never printed */
	char *ident;		/* "kind url project": whose links these are */
	char **labels;
	size_t nlabels, labels_cap;
	long min_interval_ms;
	int manage_linked;	/* [tracker] manage_linked: write state of linked tickets */
	char *self;		/* whoami, asked once when needed */
	const struct cl_tracker_dialect *d;	/* ops->dialect unless init picks another */
	char *base;		/* the dialect's {base}: repository/project API root */
	void *priv;
};

/* Opens the tracker named by [tracker] kind (CL_ENOTFOUND when kind is none
 * or missing). verbose >= 2 traces HTTP (secrets redacted). */
int cl_tracker_open(struct cl_tracker **out, const struct cl_config *cfg, int verbose,
                    struct cl_error *err);
void cl_tracker_free(struct cl_tracker *t);
/* The backend for a kind, or NULL. */
const struct cl_tracker_ops *cl_tracker_find(const char *kind);
/* Requests sent so far. */
long cl_tracker_requests(const struct cl_tracker *t);

/* The convenience wrapper sync uses (it only forwards to ops). */
int cl_tracker_create(struct cl_tracker *t, struct cl_ticket *out,
                      const struct cl_ticket_spec *spec, struct cl_error *err);

/* Tickets. */
void cl_ticket_release(struct cl_ticket *tk);
/* Moves *tk into the list (tk is left empty). */
int cl_ticket_list_push(struct cl_ticket_list *l, struct cl_ticket *tk);
void cl_ticket_list_release(struct cl_ticket_list *l);
void cl_tracker_cursor_release(struct cl_tracker_cursor *c);
/* The marker line closeloop writes into a body for item key (caller frees). */
char *cl_tracker_marker_line(const char *key);
/* The item key of the last marker line in text, or NULL (caller frees). A
 * marker line is a whole line (blanks around it aside) that is exactly
 * "<!-- closeloop:KEY -->", or the form older versions wrote, "Tracked by
 * closeloop, do not remove this line: closeloop:KEY"; "closeloop:KEY"
 * anywhere else (an action text, a comment) is not a marker. */
char *cl_tracker_marker_find(const char *text);
/* *ours = 1 when tk was filed by the account closeloop uses (creator equal
 * to whoami, asked once per run); 0 when not, or when the tracker does not
 * say. */
int cl_tracker_ours(struct cl_tracker *t, int *ours, const struct cl_ticket *tk,
                    struct cl_error *err);
/* GET url and the string or integer at path ("user.login", as the
 * dialect's JSON paths) of the JSON answered, as text in *out; what names
 * the request. */
int cl_tracker_get_value(struct cl_tracker *t, char **out, const char *url, const char *path,
                         const char *what, struct cl_error *err);

/* Helpers for backends. */
/* The cursor after a pull that asked with in and saw tickets up to maxu
 * (newest updated-at, NULL: none) in an answer dated date (HTTP Date
 * header, may be NULL) with validator etag (taken over, may be NULL).
 * since advances past maxu only when the server's clock shows that second
 * is over (no later change can carry it), else it stays inclusive; the
 * validator is kept only when the next pull asks the same question. */
int cl_tracker_cursor_next(struct cl_tracker_cursor *next,
                           const struct cl_tracker_cursor *in, const char *maxu,
                           const char *date, char *etag);
struct cl_http_response;

/* Paging, one policy for every list of every backend: a page whose URL
 * (with its query: page number, offset or token) was fetched before in the
 * same walk stops it at once (a tracker that loops), and so does a walk
 * past CL_TRACKER_MAX_PAGES pages; both are CL_EDATA naming what. */
#define CL_TRACKER_MAX_PAGES 10000
struct cl_tracker_pager {
	unsigned long long *seen;	/* hashes of the URLs fetched */
	size_t n, cap;
};
/* Called before fetching url; 0 when it may be fetched. */
int cl_tracker_pager_next(struct cl_tracker_pager *p, const char *url, const char *what,
                          struct cl_error *err);
void cl_tracker_pager_release(struct cl_tracker_pager *p);

/* The engine's list walk, which every backend's pull, marker search and
 * label listing go through: fetch a page (the first with an ETag), 304,
 * the answer's Date and validator, the page's items read by the dialect,
 * the newest updated-at, the marker filter, the next page, the paging
 * policy above. A backend describes only its dialect: */
enum {
	CL_PAGING_LINK,		/* Link rel="next" (GitHub, Gitea) */
	CL_PAGING_LINK_OR_FULL,	/* Link, else a full page asks for page N+1 (GitLab) */
	CL_PAGING_OFFSET,	/* page_param = items seen so far, until total (Redmine, Jira DC) */
	CL_PAGING_TOKEN,	/* page_param = the answer's token until last (Jira Cloud) */
};
struct cl_tracker_list {
	const char *what;		/* "listing issues": named in errors */
	int paging;			/* CL_PAGING_* */
	const char *page_param;		/* "page", "offset", "startAt", "nextPageToken" */
	int per_page;			/* LINK_OR_FULL: a full page */
	const char *items;		/* key of the items' array; NULL: the answer is one */
	const char *total;		/* OFFSET: key of the total count */
	const char *token, *last;	/* TOKEN: keys of the next token and of "last page" */
	int empty_ends;			/* an empty page ends the walk whatever Link says */
	/* One item as a ticket; 1 skips it (a pull request), else 0 or CL_E*.
	 * NULL: items are not tickets (see item). */
	int (*ticket)(struct cl_tracker *t, struct cl_ticket *out, void *item,
	              struct cl_error *err);
	/* Items that are not tickets (labels): each goes here. */
	int (*item)(struct cl_tracker *t, void *item, struct cl_error *err);
	/* A non-200 answer; NULL: cl_tracker_http_fail. 200 with no items
	 * array is CL_EDATA. */
	int (*fail)(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
	            struct cl_error *err);
	/* Before the items of a non-empty page (Redmine: the statuses). */
	int (*before_items)(struct cl_tracker *t, struct cl_error *err);
};
/* One walk: the first page's URL and validator in, what it saw out. */
struct cl_tracker_walk {
	const char *url;		/* first page */
	const char *etag_in;		/* If-None-Match for the first page, or NULL */
	int markers_only;		/* keep only tickets with a marker */
	int not_modified;		/* out: the first page was 304 */
	char *etag, *date;		/* out: the first page's validator and Date */
	char *max_updated;		/* out: the newest updated-at seen */
};
/* The list a backend walks: its URL for issues changed at or after since
 * (""/NULL: all) into w->url, then cl_tracker_walk. */
typedef int (*cl_tracker_list_fn)(struct cl_tracker *t, struct cl_ticket_list *out,
                                  const char *since, struct cl_tracker_walk *w,
                                  struct cl_error *err);
/* The marker search of most backends: list from since widened by skew_s
 * (our clock against the tracker's), keeping tickets with a marker. */
int cl_tracker_find_walk(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                         long skew_s, cl_tracker_list_fn list, struct cl_error *err);
/* The incremental pull of a tracker with validators and a Date header
 * (GitHub, Redmine): list from in->since with in->etag, then the cursor by
 * cl_tracker_cursor_next (a 304 asks the same question again unless its
 * second is over). */
int cl_tracker_pull_walk(struct cl_tracker *t, struct cl_ticket_list *out,
                         const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
                         int *not_modified, cl_tracker_list_fn list, struct cl_error *err);
/* The string at key of a JSON object (json_t *) as a copy, or NULL. */
char *cl_tracker_jstr(void *obj, const char *key);
/* Walks every page into out (tickets pushed in answer order). */
int cl_tracker_walk(struct cl_tracker *t, struct cl_ticket_list *out,
                    const struct cl_tracker_list *d, struct cl_tracker_walk *w,
                    struct cl_error *err);
void cl_tracker_walk_release(struct cl_tracker_walk *w);
/* Our clock against the tracker's: since moved back by skew_s seconds into
 * out (""/NULL since: out is "", everything). */
void cl_tracker_widen(char out[21], const char *since, long skew_s);

/* One request about one issue, as the REST backends make them: METHOD url
 * with an optional JSON body (json_t *). A 200 answer (and 201 with
 * accept_201) is handed to parse when out is non-NULL; 404 and 410 (and
 * 301 with moved_is_gone) are CL_ENOTFOUND with *gone_status set, as is a
 * parse that returns CL_ENOTFOUND (404); any other answer goes to fail
 * (NULL: cl_tracker_http_fail). */
struct cl_issue_call {
	const char *method, *url, *id, *what;
	void *body;
	int accept_201, moved_is_gone;
	int no_body;		/* 204 (or 200) with no issue is success; out is left alone */
	/* Not about one issue (a create): a 404 or 410 means the project is
	 * missing, CL_ECONFIG naming it as this ("repository", "project"). */
	const char *missing;
	int (*parse)(void *ctx, struct cl_ticket *out, void *json, struct cl_error *err);
	void *ctx;
	int (*fail)(struct cl_tracker *t, const struct cl_http_response *r, const char *what,
	            struct cl_error *err);
};
int cl_tracker_issue_call(struct cl_tracker *t, struct cl_ticket *out,
                          const struct cl_issue_call *c, long *gone_status,
                          struct cl_error *err);

/* CL_ENOTFOUND for a ticket that is gone: 301 (transferred), 410 (deleted),
 * 404 (deleted, moved or no access), naming what was being done. */
int cl_tracker_gone(const struct cl_tracker *t, long status, const char *id,
                    const char *what, struct cl_error *err);
/* Maps a non-2xx answer to a CL_E* code with a message naming what. */
int cl_tracker_http_fail(struct cl_tracker *t, long status, const char *body,
                         const char *what, struct cl_error *err);

/* A REST dialect: what one tracker's API looks like, as data, for the
 * engine's generic operations (cl_tracker_rest_*). Paths are JSON paths
 * into an answer: keys joined by '.', a number indexes an array
 * ("assignees.0.login"); a value read is a string or an integer as text.
 * URL templates expand {url} (instance root), {base} (t->base), {owner},
 * {repo}, {project} (URL-encoded) and {id} (the issue). Hooks are only for
 * what data cannot say; NULL hooks do nothing. */
enum {
	CL_FORM_NONE = 0,	/* the field is not sent (or a hook sends it) */
	CL_FORM_STRING,		/* "key": "value" */
	CL_FORM_ARRAY,		/* "key": ["value", ...] */
	CL_FORM_CSV,		/* "key": "a,b" */
	CL_FORM_INT,		/* "key": 42 (numeric handles only) */
	CL_FORM_OBJECT,		/* "key": {"obj_key": "value"} */
};
enum {
	CL_PULL_DATE,		/* validators and the Date header (cl_tracker_pull_walk) */
	CL_PULL_ETAG,		/* validators kept while since stays put (GitLab) */
	CL_PULL_PLAIN,		/* no validators: since = newest seen (Gitea) */
};
struct cl_tracker_dialect {
	const char *name;		/* "GitHub": named in messages */
	/* setup (after [tracker] keys; no network) */
	const char *auth;		/* header the token follows ("PRIVATE-TOKEN: ") */
	const char *accept;		/* Accept header; NULL: application/json */
	const char *header;		/* one more header, or NULL */
	const char *api_suffix;		/* stripped from url when pasted ("/api/v1") */
	const char *base;		/* template of t->base */
	int owner_repo;			/* project must be owner/repo */
	int rate_wait;			/* first 429 back-off without Retry-After (s) */
	/* reading an issue */
	const char *one;		/* key wrapping a single issue ("issue") or NULL */
	const char *need;		/* path an issue must have besides id ("state") */
	const char *id, *web, *web_fmt;	/* id path; web URL path, else template */
	const char *title, *body;
	const char *state, *closed_word;/* closed when state's value is closed_word */
	const char *assignee[2];	/* paths, first found wins */
	const char *due, *updated, *closed, *creator;
	int utc;			/* times as UTC: 1 kept as written when unreadable, 2 dropped */
	int closed_if_closed;		/* closed only read for a closed issue */
	const char *skip;		/* a listed item with this non-null key is no issue */
	/* writing an issue (create and update bodies) */
	const char *wrap;		/* key of the object holding the fields, or NULL */
	const char *w_title, *w_body, *w_labels, *w_assignee, *w_due;
	int labels_form, assignee_form;	/* CL_FORM_* */
	const char *assignee_key;	/* OBJECT: the object's key */
	int labels_dash;		/* spaces in labels become '-' */
	int due_null;			/* a cleared due date is sent as null */
	/* requests */
	const char *create_url, *issue_url, *get_url, *comment_url, *list_url;
	const char *update_method;	/* "PATCH", "PUT" */
	const char *since_param;	/* "&since=" and an optional prefix of the value */
	const char *since_prefix;
	int writes_201;			/* writes answer 201 */
	int moved_is_gone;		/* 301 on an issue: transferred, gone */
	int write_fetch;		/* writes answer no issue: fetched back when wanted */
	const char *missing;		/* what a create's or list's 404 names ("repository") */
	/* state: {state_key: closed_word|open_word}, reason words for
	 * completed, not planned, reopened; a comment goes to comment_url,
	 * else it is appended to the body sent with the state. */
	const char *state_key, *close_word, *open_word, *reason_key;
	const char *reason_words[3];
	struct cl_tracker_list list;	/* ticket NULL: read by this dialect */
	int pull;			/* CL_PULL_* */
	long skew_s;			/* the marker search widens since by this */
	const char *whoami_url, *whoami;	/* template and path of the account */
	int ref_any_host;		/* owner/repo refs: web URLs of any host */
	/* hooks */
	int (*prepare)(struct cl_tracker *t, struct cl_error *err);	/* before reading issues */
	int (*read)(struct cl_tracker *t, struct cl_ticket *tk, void *json, struct cl_error *err);
	int (*write)(struct cl_tracker *t, void *obj, const struct cl_ticket_spec *s,
	             unsigned mask, int create, struct cl_error *err);
	void *(*text)(struct cl_tracker *t, const char *text);	/* body/comment JSON */
	/* a create's answer when it is not the issue (Jira: {id, key}) */
	int (*created)(struct cl_tracker *t, struct cl_ticket *out, void *json,
	               const struct cl_ticket_spec *s, struct cl_error *err);
	/* after a create or update answered tk (Gitea: the due day) */
	int (*after)(struct cl_tracker *t, struct cl_ticket *tk, const struct cl_ticket_spec *s,
	             struct cl_error *err);
};
/* The operations of a dialect, for a backend's struct cl_tracker_ops. */
int cl_tracker_rest_init(struct cl_tracker *t, struct cl_error *err);
int cl_tracker_rest_create(struct cl_tracker *t, struct cl_ticket *out,
                           const struct cl_ticket_spec *spec, struct cl_error *err);
int cl_tracker_rest_update(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                           const struct cl_ticket_spec *spec, unsigned mask,
                           struct cl_error *err);
int cl_tracker_rest_get(struct cl_tracker *t, struct cl_ticket *out, const char *id,
                        long *gone_status, struct cl_error *err);
int cl_tracker_rest_set_state(struct cl_tracker *t, const char *id, int closed, int reason,
                              const char *comment, const char *body, long *gone_status,
                              struct cl_error *err);
int cl_tracker_rest_changes(struct cl_tracker *t, struct cl_ticket_list *out,
                            const struct cl_tracker_cursor *in, struct cl_tracker_cursor *next,
                            int *not_modified, struct cl_error *err);
int cl_tracker_rest_find_markers(struct cl_tracker *t, struct cl_ticket_list *out,
                                 const char *since, struct cl_error *err);
int cl_tracker_rest_parse_ref(struct cl_tracker *t, char **out, const char *ref);
int cl_tracker_rest_whoami(struct cl_tracker *t, char **out, struct cl_error *err);
/* The dialect's list from since (""/NULL: all), as a cl_tracker_list_fn. */
int cl_tracker_rest_list(struct cl_tracker *t, struct cl_ticket_list *out, const char *since,
                         struct cl_tracker_walk *w, struct cl_error *err);
/* One request on issue id with body (json_t *, may be NULL) the dialect's
 * way; out (may be NULL) gets the issue answered. */
int cl_tracker_rest_call(struct cl_tracker *t, struct cl_ticket *out, const char *method,
                         const char *id, void *body, long *gone_status, const char *what,
                         struct cl_error *err);
/* Posts text as a comment on issue id (the dialect's comment_url). */
int cl_tracker_rest_comment(struct cl_tracker *t, const char *id, const char *text,
                            long *gone_status, struct cl_error *err);
/* An issue object read the dialect's way. */
int cl_tracker_rest_ticket(struct cl_tracker *t, struct cl_ticket *tk, void *json,
                           struct cl_error *err);
/* A template expanded (see struct cl_tracker_dialect); caller frees. */
char *cl_tracker_url(const struct cl_tracker *t, const char *tmpl, const char *id);
/* The string or integer at path of json as text, or NULL. */
char *cl_tracker_jpath(void *json, const char *path);
/* GET url, 200 required: the JSON answer in *out (caller json_decrefs). */
int cl_tracker_get_json(struct cl_tracker *t, void **out, const char *url, const char *what,
                        struct cl_error *err);
/* The tracker's own message in an error body (every vendor's form), for
 * the user; "" when there is none. */
void cl_tracker_error_text(const char *body, char *out, size_t n);
/* A name → id cache (users, labels) kept for the run. */
struct cl_tracker_names {
	struct cl_tracker_name { char *name, *id; } *v;	/* id NULL: no such name */
	size_t n, cap;
};
/* 1 and *id (may be NULL: known missing) when name is cached, else 0. */
int cl_tracker_names_find(const struct cl_tracker_names *c, const char *name, const char **id);
int cl_tracker_names_add(struct cl_tracker_names *c, const char *name, const char *id);
void cl_tracker_names_release(struct cl_tracker_names *c);

extern const struct cl_tracker_ops cl_tracker_github;
extern const struct cl_tracker_ops cl_tracker_redmine;
extern const struct cl_tracker_ops cl_tracker_gitlab;
extern const struct cl_tracker_ops cl_tracker_gitea;
extern const struct cl_tracker_ops cl_tracker_forgejo;
extern const struct cl_tracker_ops cl_tracker_jira;

#endif
