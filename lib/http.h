/* http.h — HTTP(S) client over libcurl for the tracker APIs and for
 * importing post-mortems from http(s) URLs.
 *
 * A struct cl_http holds one curl handle (connections are reused), the
 * options, the secret headers (redacted in -v traces) and counters. Policy:
 *  - TLS peer and host verification is always on; opts.ca_file may name the
 *    CA bundle, verification cannot be turned off;
 *  - only http and https URLs, API requests never follow redirects (a 301
 *    is the caller's business), cl_http_get follows up to 5;
 *  - connect and total timeouts; idempotent requests (GET, PUT, PATCH,
 *    DELETE) are retried on 5xx and transport errors with exponential
 *    backoff and jitter, at most opts.retries times; a POST is retried only
 *    when it surely did not reach the server (connection refused) or the
 *    server said so (429/rate limit), never blindly, so that a create is not
 *    made twice;
 *  - 429, or 403 with x-ratelimit-remaining: 0 or Retry-After, waits for
 *    Retry-After / x-ratelimit-reset when the total wait stays within
 *    opts.max_wait_s, else fails with CL_ETEMPFAIL;
 *  - writes (every method but GET/HEAD) are paced opts.min_interval_ms apart;
 *  - responses over opts.max_response bytes fail with CL_EDATA.
 * Status codes are not errors here: cl_http_request returns 0 with
 * out->status for any HTTP answer except the ones above (retries exhausted
 * on 5xx return 0 with that status too). Everything returned belongs to the
 * caller: cl_http_response_free(). */
#ifndef CL_HTTP_H
#define CL_HTTP_H

#include <stddef.h>

#include "error.h"

struct cl_http;

struct cl_http_opts {
	long connect_timeout_ms;	/* 0: 10 s */
	long timeout_ms;		/* total per attempt; 0: 60 s */
	int retries;			/* extra attempts on 5xx/timeouts; <0: 4 */
	long backoff_ms;		/* first backoff; 0: 500 ms (doubles, +jitter) */
	long max_wait_s;		/* total rate-limit wait allowed; <0: 300 */
	long min_interval_ms;		/* pacing between writes */
	size_t max_response;		/* 0: 32 MiB */
	const char *ca_file;		/* CA bundle, NULL: system default */
	const char *user_agent;		/* NULL: closeloop/VERSION */
	int verbose;			/* >= 2: trace requests on stderr */
	/* When set, every request must stay within this URL's origin (scheme,
	 * host, port): a request outside it is not sent, and an answer whose
	 * Link rel="next" leaves it fails with CL_EDATA (the token headers go
	 * to the origin only). */
	const char *origin;
	/* Overall deadline in seconds from cl_http_new (0: none): no request
	 * starts, waits or runs past it (CL_ETEMPFAIL naming deadline_key). */
	long deadline_s;
	const char *deadline_key;	/* the setting to name, e.g. "[tracker] max_sync_s" */
};

struct cl_http_response {
	long status;		/* HTTP status */
	char *body;		/* NUL-terminated, may be "" */
	size_t body_len;
	char *etag;		/* ETag header or NULL */
	char *next_url;		/* Link rel="next" or NULL */
	char *location;		/* Location header or NULL */
	char *content_type;
	char *date;		/* Date header (the server's clock) or NULL */
};

/* Makes a client. The options' strings are copied. */
int cl_http_new(struct cl_http **out, const struct cl_http_opts *opts, struct cl_error *err);
struct cl_config;
/* Reads the HTTP keys every client section shares (ca_file, max_wait_s,
 * connect_timeout_s, timeout_s, retries) of section into o; the strings
 * stay the config's. CL_ECONFIG naming the key for a bad value. */
int cl_http_opts_config(struct cl_http_opts *o, const struct cl_config *cfg,
                        const char *section, struct cl_error *err);
void cl_http_free(struct cl_http *h);
/* Adds a header sent with every request ("Name: value"). secret = 1 hides
 * the value in traces (Authorization, API keys). */
int cl_http_add_header(struct cl_http *h, const char *header, int secret,
                       struct cl_error *err);
/* HTTP Basic authentication on every request, done by libcurl
 * (CURLOPT_USERNAME/PASSWORD, CURLAUTH_BASIC); the copies are wiped on
 * free and the header is redacted in traces. */
int cl_http_set_basic_auth(struct cl_http *h, const char *user, const char *password,
                           struct cl_error *err);
/* Sends one request; body (may be NULL) is sent as application/json when
 * it is not NULL. if_none_match: an ETag to send, or NULL. */
int cl_http_request(struct cl_http *h, struct cl_http_response **out, const char *method,
                    const char *url, const char *body, const char *if_none_match,
                    struct cl_error *err);
/* Like cl_http_request with a jansson body (json_t *, not stolen) and the
 * answer parsed into *json_out (json_t *, caller decrefs; NULL for an empty
 * body or 304). Bodies that are not JSON fail with CL_EDATA. */
int cl_http_json(struct cl_http *h, struct cl_http_response **out, void **json_out,
                 const char *method, const char *url, void *json_body,
                 const char *if_none_match, struct cl_error *err);
void cl_http_response_free(struct cl_http_response *r);

/* The first wait (then doubling) for a 429, or a rate-limit 403, that
 * carries neither Retry-After nor a reset time: 60 s unless set (GitHub's
 * secondary limits ask for ≥ 60 s; GitLab, Gitea and Jira back off from a
 * few seconds). Still bounded by max_wait_s. */
void cl_http_set_rate_wait(struct cl_http *h, long seconds);
/* Requests sent so far (every attempt counts, including retries). */
long cl_http_requests(const struct cl_http *h);
/* Total time slept for rate limits and backoff, in ms. */
long cl_http_waited_ms(const struct cl_http *h);

/* Plain GET of an http(s) URL (redirects followed, TLS verified) for
 * importing documents: *out is the body (NUL-terminated, caller frees), at
 * most max bytes. Non-2xx answers are CL_ENOINPUT (404/410) or CL_EUNAVAIL;
 * other schemes are CL_EUSAGE. ca_file may be NULL. */
int cl_http_get(char **out, size_t *out_len, const char *url, size_t max,
                const char *ca_file, struct cl_error *err);

/* Test seam (fuzzing, unit tests): when set, every cl_http_request is
 * answered by fn instead of the network. fn sets *status and points *head
 * at raw header lines ("Name: value\n" …) and *body at the body; both stay
 * valid until the next call. The answer then goes through the same header,
 * body, rate-limit and status handling as a real one. NULL restores the
 * network. Not for production use. */
typedef int (*cl_http_responder_fn)(void *arg, const char *method, const char *url,
                                    const char *body, long *status, const char **head,
                                    size_t *head_len, const char **resp_body,
                                    size_t *resp_len);
void cl_http_set_responder(cl_http_responder_fn fn, void *arg);

/* Helpers exposed for tests. */
/* The URL of rel="next" in a Link header value, or NULL (caller frees). */
char *cl_http_link_next(const char *link);
/* 1 when URLs a and b have the same origin: scheme, host (case-insensitive)
 * and port (default 80/443), else 0. */
int cl_http_same_origin(const char *a, const char *b);
/* Seconds to wait for a rate-limited answer from its Retry-After and
 * x-ratelimit-reset (epoch) headers at time now; -1 when neither says. */
long cl_http_rate_wait(const char *retry_after, const char *reset, long long now);
/* URL-encodes s for a query component (caller frees). */
char *cl_http_escape(const char *s);

#endif
