/* http.c — libcurl client: timeouts, retries, rate limits, pacing, traces. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "http.h"
#include "util.h"

#ifndef CL_VERSION
#define CL_VERSION "0"
#endif

#define HTTP_MAX_HEADERS 16
#define HTTP_MAX_RATE_RETRIES 10

struct cl_http {
	CURL *curl;
	struct cl_http_opts o;
	char *ca_file, *user_agent, *origin, *deadline_key;
	char *basic_user, *basic_password;	/* secrets: Basic authentication */
	struct timespec started;	/* for the overall deadline */
	char *hdr[HTTP_MAX_HEADERS];
	int hdr_secret[HTTP_MAX_HEADERS];
	size_t nhdr;
	long requests;
	long waited_ms;
	long rate_wait_s;	/* first wait for a hint-less 429/403 */
	struct timespec last_write;
	int wrote;
	/* per attempt */
	struct cl_buf body;
	int too_large;
	char errbuf[CURL_ERROR_SIZE];	/* curl's detail ("Avoided giant realloc…") */
	char *etag, *link, *location, *ctype, *retry_after, *rl_remaining, *rl_reset, *date;
};

static cl_http_responder_fn http_responder;
static void *http_responder_arg;

void
cl_http_set_responder(cl_http_responder_fn fn, void *arg)
{
	http_responder = fn;
	http_responder_arg = arg;
}

static size_t http_on_body(char *p, size_t size, size_t n, void *user);
static size_t http_on_header(char *p, size_t size, size_t n, void *user);

/* The test seam: the responder's answer fed through the curl callbacks. */
static CURLcode
http_respond(struct cl_http *h, const char *method, const char *url, const char *body,
             long *status)
{
	const char *head = NULL, *rbody = NULL, *p, *end, *nl;
	size_t hlen = 0, blen = 0;

	*status = 0;
	if (http_responder(http_responder_arg, method, url, body, status, &head, &hlen, &rbody,
	                   &blen) != 0)
		return CURLE_COULDNT_CONNECT;
	for (p = head, end = head ? head + hlen : NULL; p && p < end; p = nl + 1) {
		char line[8192];
		size_t n;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p) < sizeof line - 1 ? (size_t)(nl - p) : sizeof line - 1;
		memcpy(line, p, n);
		line[n] = '\0';
		http_on_header(line, 1, n, h);
	}
	if (blen > 0 && http_on_body((char *)rbody, 1, blen, h) != blen)
		return h->too_large ? CURLE_WRITE_ERROR : CURLE_OUT_OF_MEMORY;
	return CURLE_OK;
}

/* Initialises libcurl once per process. */
static int
http_global_init(void)
{
	static int done;

	if (!done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		done = 1;
	}
	return 0;
}

/* Sleeps ms milliseconds, resuming after signals. */
static void
http_sleep_ms(long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long
http_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

int
cl_http_new(struct cl_http **out, const struct cl_http_opts *opts, struct cl_error *err)
{
	struct cl_http *h;

	*out = NULL;
	if (http_global_init() != 0)
		return cl_error_set(err, CL_ERROR, "unable to initialise libcurl");
	if ((h = cl_calloc(1, sizeof *h)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	if (opts)
		h->o = *opts;
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = 10000;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = 60000;
	if (h->o.retries < 0)
		h->o.retries = 4;
	if (h->o.backoff_ms <= 0)
		h->o.backoff_ms = 500;
	if (h->o.max_wait_s < 0)
		h->o.max_wait_s = 300;
	if (h->o.max_response == 0)
		h->o.max_response = 32u << 20;
	h->user_agent = opts && opts->user_agent ? cl_strdup(opts->user_agent)
	                                         : cl_strdup("closeloop/" CL_VERSION);
	h->ca_file = opts && opts->ca_file && *opts->ca_file ? cl_strdup(opts->ca_file) : NULL;
	h->o.ca_file = h->ca_file;
	h->o.user_agent = h->user_agent;
	h->origin = opts && opts->origin ? cl_strdup(opts->origin) : NULL;
	h->deadline_key = cl_strdup(opts && opts->deadline_key ? opts->deadline_key : "deadline");
	h->o.origin = h->origin;
	h->o.deadline_key = h->deadline_key;
	clock_gettime(CLOCK_MONOTONIC, &h->started);
	if (h->user_agent == NULL || (opts && opts->ca_file && *opts->ca_file && !h->ca_file) ||
	    (opts && opts->origin && !h->origin) || h->deadline_key == NULL ||
	    (h->curl = curl_easy_init()) == NULL) {
		cl_http_free(h);
		return cl_error_set(err, CL_ENOMEM, "unable to set up an HTTP client");
	}
	*out = h;
	return 0;
}

static void
http_reset_attempt(struct cl_http *h)
{
	cl_buf_release(&h->body);
	h->too_large = 0;
	free(h->etag);
	free(h->link);
	free(h->location);
	free(h->ctype);
	free(h->retry_after);
	free(h->rl_remaining);
	free(h->rl_reset);
	free(h->date);
	h->date = NULL;
	h->etag = h->link = h->location = h->ctype = NULL;
	h->retry_after = h->rl_remaining = h->rl_reset = NULL;
}

void
cl_http_free(struct cl_http *h)
{
	size_t i;

	if (h == NULL)
		return;
	http_reset_attempt(h);
	for (i = 0; i < h->nhdr; i++)
		cl_secret_free(h->hdr[i]);
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h->user_agent);
	free(h->origin);
	free(h->deadline_key);
	cl_secret_free(h->basic_user);
	cl_secret_free(h->basic_password);
	free(h);
}

int
cl_http_add_header(struct cl_http *h, const char *header, int secret, struct cl_error *err)
{
	if (h->nhdr == HTTP_MAX_HEADERS)
		return cl_error_set(err, CL_ERROR, "too many HTTP headers");
	if ((h->hdr[h->nhdr] = cl_strdup(header)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	h->hdr_secret[h->nhdr++] = secret;
	return 0;
}

int
cl_http_set_basic_auth(struct cl_http *h, const char *user, const char *password,
                       struct cl_error *err)
{
	cl_secret_free(h->basic_user);
	cl_secret_free(h->basic_password);
	h->basic_user = cl_strdup(user);
	h->basic_password = cl_strdup(password);
	if (h->basic_user == NULL || h->basic_password == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	return 0;
}

void
cl_http_set_rate_wait(struct cl_http *h, long seconds)
{
	if (h)
		h->rate_wait_s = seconds;
}

long
cl_http_requests(const struct cl_http *h)
{
	return h ? h->requests : 0;
}

long
cl_http_waited_ms(const struct cl_http *h)
{
	return h ? h->waited_ms : 0;
}

void
cl_http_response_free(struct cl_http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r->etag);
	free(r->next_url);
	free(r->location);
	free(r->content_type);
	free(r->date);
	free(r);
}

/* Collects the body, refusing more than max_response bytes. */
static size_t
http_on_body(char *p, size_t size, size_t n, void *user)
{
	struct cl_http *h = user;
	size_t len = size * n;

	if (h->body.len + len > h->o.max_response) {
		h->too_large = 1;
		return 0;
	}
	cl_buf_add(&h->body, p, len);
	return h->body.oom ? 0 : len;
}

/* Copies a header value without surrounding white space. */
static char *
header_value(const char *p, size_t len)
{
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)p[len - 1]))
		len--;
	return cl_strndup(p, len);
}

/* Keeps the response headers sync needs; a new status line resets them. */
static size_t
http_on_header(char *p, size_t size, size_t n, void *user)
{
	static const struct { const char *name; size_t off; } want[] = {
		{ "etag", offsetof(struct cl_http, etag) },
		{ "link", offsetof(struct cl_http, link) },
		{ "location", offsetof(struct cl_http, location) },
		{ "content-type", offsetof(struct cl_http, ctype) },
		{ "retry-after", offsetof(struct cl_http, retry_after) },
		{ "x-ratelimit-remaining", offsetof(struct cl_http, rl_remaining) },
		{ "x-ratelimit-reset", offsetof(struct cl_http, rl_reset) },
		{ "date", offsetof(struct cl_http, date) },
	};
	struct cl_http *h = user;
	size_t len = size * n, i, nl;
	const char *colon = memchr(p, ':', len);

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* interim (100) or redirect answers: keep only the last set */
		struct cl_buf keep = h->body;
		memset(&h->body, 0, sizeof h->body);
		http_reset_attempt(h);
		h->body = keep;
		return len;
	}
	if (colon == NULL)
		return len;
	nl = (size_t)(colon - p);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		if (strlen(want[i].name) == nl && strncasecmp(p, want[i].name, nl) == 0) {
			char **slot = (char **)((char *)h + want[i].off);
			free(*slot);
			*slot = header_value(colon + 1, len - nl - 1);
			break;
		}
	}
	return len;
}

/* True when a header line names one of the secret headers. */
static int
http_is_secret_line(const struct cl_http *h, const char *line, size_t len)
{
	static const char *const always[] = { "authorization", "x-redmine-api-key",
	                                      "private-token", "cookie", NULL };
	size_t i, nl;
	const char *colon = memchr(line, ':', len);

	if (colon == NULL)
		return 0;
	nl = (size_t)(colon - line);
	for (i = 0; always[i]; i++)
		if (strlen(always[i]) == nl && strncasecmp(line, always[i], nl) == 0)
			return 1;
	for (i = 0; i < h->nhdr; i++) {
		const char *c = strchr(h->hdr[i], ':');
		if (h->hdr_secret[i] && c && (size_t)(c - h->hdr[i]) == nl &&
		    strncasecmp(line, h->hdr[i], nl) == 0)
			return 1;
	}
	return 0;
}

/* -vv trace: request and response headers, secrets replaced by "***". */
static int
http_on_debug(CURL *c, curl_infotype type, char *data, size_t size, void *user)
{
	struct cl_http *h = user;
	const char *prefix;
	size_t i = 0;

	(void)c;
	if (type == CURLINFO_HEADER_OUT)
		prefix = "> ";
	else if (type == CURLINFO_HEADER_IN)
		prefix = "< ";
	else if (type == CURLINFO_TEXT)
		prefix = "* ";
	else
		return 0;
	while (i < size) {
		size_t j = i, len;
		while (j < size && data[j] != '\n')
			j++;
		len = j - i;
		if (len > 0 && data[i + len - 1] == '\r')
			len--;
		if (len > 0) {
			if (http_is_secret_line(h, data + i, len)) {
				const char *colon = memchr(data + i, ':', len);
				fprintf(stderr, "%s%.*s: ***\n", prefix, (int)(colon - (data + i)),
				        data + i);
			} else {
				fprintf(stderr, "%s%.*s\n", prefix, (int)len, data + i);
			}
		}
		i = j + 1;
	}
	return 0;
}

/* Waits so that writes are at least min_interval_ms apart. */
static void
http_pace(struct cl_http *h, int write)
{
	long left;

	if (!write || h->o.min_interval_ms <= 0)
		return;
	if (h->wrote) {
		left = h->o.min_interval_ms - http_elapsed_ms(&h->last_write);
		if (left > 0) {
			http_sleep_ms(left);
			h->waited_ms += left;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &h->last_write);
	h->wrote = 1;
}

/* Backoff before retry number attempt (0-based): base * 2^attempt, half of
 * it random, capped at 30 s. */
static long
http_backoff_ms(const struct cl_http *h, int attempt)
{
	long d = h->o.backoff_ms;
	int i;

	for (i = 0; i < attempt && d < 30000; i++)
		d *= 2;
	if (d > 30000)
		d = 30000;
	return d / 2 + (long)(random() % (d / 2 + 1));
}

long
cl_http_rate_wait(const char *retry_after, const char *reset, long long now)
{
	char *end;
	long long v;

	if (retry_after && *retry_after) {
		errno = 0;
		v = strtoll(retry_after, &end, 10);
		if (errno == 0 && end != retry_after && *end == '\0' && v >= 0)
			return (long)v;
		/* an HTTP date */
		{
			struct tm tm;
			memset(&tm, 0, sizeof tm);
			if (strptime(retry_after, "%a, %d %b %Y %H:%M:%S GMT", &tm) != NULL) {
				long long t = (long long)timegm(&tm);
				return t > now ? (long)(t - now) : 0;
			}
		}
	}
	if (reset && *reset) {
		errno = 0;
		v = strtoll(reset, &end, 10);
		if (errno == 0 && end != reset && v > 0)
			return v > now ? (long)(v - now + 1) : 1;
	}
	return -1;
}

char *
cl_http_link_next(const char *link)
{
	const char *p = link;

	/* <url>; rel="next", <url>; rel="last" — a link's parameters run until
	 * the "<" that starts the next one */
	while (p != NULL && (p = strchr(p, '<')) != NULL) {
		const char *gt = strchr(p, '>'), *end, *q;

		if (gt == NULL)
			return NULL;
		end = strchr(gt, '<');
		if (end == NULL)
			end = gt + strlen(gt);
		for (q = gt; q + 4 <= end; q++) {
			if (strncasecmp(q, "rel=", 4) != 0)
				continue;
			q += 4;
			if (*q == '"')
				q++;
			/* rel may hold several space-separated values */
			while (q < end && *q != '"' && *q != ';' && *q != ',') {
				const char *w = q;
				while (q < end && *q != ' ' && *q != '"' && *q != ';' && *q != ',')
					q++;
				if (q - w == 4 && strncasecmp(w, "next", 4) == 0)
					return cl_strndup(p + 1, (size_t)(gt - p - 1));
				while (q < end && *q == ' ')
					q++;
			}
			break;
		}
		p = end;
	}
	return NULL;
}

char *
cl_http_escape(const char *s)
{
	struct cl_buf b = CL_BUF_INIT;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			cl_buf_putc(&b, (char)c);
		else
			cl_buf_printf(&b, "%%%02X", c);
	}
	return cl_buf_steal(&b);
}

/* True for schemes closeloop talks to. */
static int
http_scheme_ok(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* Splits url into scheme length, host (without userinfo) and port. */
static int
http_origin_parts(const char *url, size_t *slen, const char **host, size_t *hlen, long *port)
{
	const char *a = strstr(url, "://"), *end, *at, *colon, *p;

	if (a == NULL || !http_scheme_ok(url))
		return -1;
	*slen = (size_t)(a - url);
	a += 3;
	end = a + strcspn(a, "/?#");
	for (at = NULL, p = a; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		a = at + 1;
	if (*a == '[') {	/* [v6]:port */
		if ((p = memchr(a, ']', (size_t)(end - a))) == NULL)
			return -1;
		colon = p + 1 < end && p[1] == ':' ? p + 1 : NULL;
		*host = a;
		*hlen = (size_t)(p + 1 - a);
	} else {
		colon = memchr(a, ':', (size_t)(end - a));
		*host = a;
		*hlen = (size_t)((colon ? colon : end) - a);
	}
	if (colon && colon + 1 < end) {
		char *e;
		*port = strtol(colon + 1, &e, 10);
		if (e != end || *port <= 0 || *port > 65535)
			return -1;
	} else {
		*port = *slen == 5 ? 443 : 80;
	}
	return *hlen > 0 ? 0 : -1;
}

int
cl_http_same_origin(const char *a, const char *b)
{
	size_t sa, sb, ha, hb;
	const char *pa, *pb;
	long qa, qb;

	if (a == NULL || b == NULL || http_origin_parts(a, &sa, &pa, &ha, &qa) != 0 ||
	    http_origin_parts(b, &sb, &pb, &hb, &qb) != 0)
		return 0;
	return sa == sb && strncasecmp(a, b, sa) == 0 && ha == hb &&
	       strncasecmp(pa, pb, ha) == 0 && qa == qb;
}

/* Milliseconds left before the overall deadline (LONG_MAX: none). */
static long
http_remaining_ms(const struct cl_http *h)
{
	if (h->o.deadline_s <= 0)
		return LONG_MAX;
	return h->o.deadline_s * 1000L - http_elapsed_ms(&h->started);
}

/* The error for a request stopped by the overall deadline. */
static int
http_deadline_fail(const struct cl_http *h, const char *method, const char *msgurl,
                   struct cl_error *err)
{
	return cl_error_set(err, CL_ETEMPFAIL, "%s %s: stopped at the overall deadline (%s = "
	                    "%ld s); run again to carry on", method,
	                    msgurl, h->deadline_key, h->o.deadline_s);
}

/* A URL for messages: scheme, host and path, no query (it may carry ids). */
static void
http_url_for_msg(const char *url, char *out, size_t n)
{
	size_t len = strcspn(url, "?#");
	if (len >= n)
		len = n - 1;
	memcpy(out, url, len);
	out[len] = '\0';
}

/* curl's own detail when it gave one, else the generic text for crc. */
static const char *
http_curl_msg(const struct cl_http *h, CURLcode crc)
{
	if (h->errbuf[0])
		return h->errbuf;
	/* what libcurl 7.88 says, without detail, about a header over 100 KiB */
	if (crc == CURLE_OUT_OF_MEMORY)
		return "response headers too large, or out of memory";
	return curl_easy_strerror(crc);
}

/* Sets the options shared by API requests and plain GETs. */
static void
http_common_opts(CURL *c, const struct cl_http_opts *o)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
}

/* True for transport errors that mean the request never reached a server. */
static int
curl_not_sent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY;
}

/* True for transport errors worth another attempt. */
static int
curl_transient(CURLcode rc)
{
	return curl_not_sent(rc) || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING ||
	       rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE;
}

/* Moves what the attempt collected into a response. */
static int
http_take_response(struct cl_http *h, long status, struct cl_http_response **out)
{
	struct cl_http_response *r = cl_calloc(1, sizeof *r);

	if (r == NULL)
		return CL_ENOMEM;
	r->status = status;
	r->body_len = h->body.len;
	r->body = cl_buf_steal(&h->body);
	r->etag = h->etag;
	r->location = h->location;
	r->content_type = h->ctype;
	r->date = h->date;
	h->etag = h->location = h->ctype = h->date = NULL;
	if (h->link && (r->next_url = cl_http_link_next(h->link)) != NULL &&
	    !http_scheme_ok(r->next_url)) {
		free(r->next_url);
		r->next_url = NULL;
	}
	if (r->body == NULL) {
		cl_http_response_free(r);
		return CL_ENOMEM;
	}
	*out = r;
	return 0;
}

int
cl_http_request(struct cl_http *h, struct cl_http_response **out, const char *method,
                const char *url, const char *body, const char *if_none_match,
                struct cl_error *err)
{
	struct curl_slist *hl = NULL, *t;
	char msgurl[512], *inm = NULL;
	int write = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	int idempotent = strcmp(method, "POST") != 0;
	int attempt = 0, rate_hits = 0, rc = 0;
	size_t i;

	*out = NULL;
	http_url_for_msg(url, msgurl, sizeof msgurl);
	if (!http_scheme_ok(url))
		return cl_error_set(err, CL_EUSAGE, "'%s': only http and https URLs are allowed",
		                    msgurl);
	if (h->origin && !cl_http_same_origin(h->origin, url))
		return cl_error_set(err, CL_EDATA, "%s %s: not sent: outside the tracker's origin "
		                    "%s (scheme, host and port)", method, msgurl, h->origin);
	for (i = 0; i < h->nhdr; i++)
		if ((t = curl_slist_append(hl, h->hdr[i])) == NULL)
			goto oom;
		else
			hl = t;
	if (body) {
		if ((t = curl_slist_append(hl, "Content-Type: application/json")) == NULL)
			goto oom;
		hl = t;
	}
	if (if_none_match && *if_none_match) {
		if ((inm = cl_asprintf("If-None-Match: %s", if_none_match)) == NULL ||
		    (t = curl_slist_append(hl, inm)) == NULL)
			goto oom;
		hl = t;
	}
	/* no "Expect: 100-continue" round trip */
	if ((t = curl_slist_append(hl, "Expect:")) == NULL)
		goto oom;
	hl = t;

	for (;;) {
		CURL *c = h->curl;
		CURLcode crc;
		long status = 0, wait, left = http_remaining_ms(h);

		http_reset_attempt(h);
		if (left <= 0) {
			rc = http_deadline_fail(h, method, msgurl, err);
			goto done;
		}
		curl_easy_reset(c);
		http_common_opts(c, &h->o);
		if (left < h->o.timeout_ms)
			curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left);
		h->errbuf[0] = '\0';
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
		if (h->basic_user) {
			curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			curl_easy_setopt(c, CURLOPT_USERNAME, h->basic_user);
			curl_easy_setopt(c, CURLOPT_PASSWORD, h->basic_password);
		}
		if (strcmp(method, "GET") == 0) {
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		} else {
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
			if (body || write) {
				curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
				curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
			}
		}
		if (h->o.verbose >= 2) {
			curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
			curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, http_on_debug);
			curl_easy_setopt(c, CURLOPT_DEBUGDATA, h);
		}
		http_pace(h, write);
		h->requests++;
		if (http_responder != NULL)
			crc = http_respond(h, method, url, body, &status);
		else
			crc = curl_easy_perform(c);
		if (crc != CURLE_OK) {
			if (crc == CURLE_OPERATION_TIMEDOUT && http_remaining_ms(h) <= 0) {
				rc = http_deadline_fail(h, method, msgurl, err);
				goto done;
			}
			if (h->too_large) {
				rc = cl_error_set(err, CL_EDATA, "%s %s: response larger than %zu bytes",
				                  method, msgurl, h->o.max_response);
				goto done;
			}
			if (h->body.oom)
				goto oom;
			if (curl_transient(crc) && (idempotent || curl_not_sent(crc)) &&
			    attempt < h->o.retries) {
				wait = http_backoff_ms(h, attempt++);
				if (wait >= http_remaining_ms(h)) {
					rc = http_deadline_fail(h, method, msgurl, err);
					goto done;
				}
				http_sleep_ms(wait);
				h->waited_ms += wait;
				continue;
			}
			if (crc == CURLE_UNSUPPORTED_PROTOCOL || crc == CURLE_WEIRD_SERVER_REPLY)
				/* the URL was checked before: the server is not speaking
				 * HTTP (an HTTP/0.9 answer is reported this way) */
				rc = cl_error_set(err, CL_EUNAVAIL, "%s %s: not an HTTP answer: %s",
				                  method, msgurl, http_curl_msg(h, crc));
			else if (crc == CURLE_PEER_FAILED_VERIFICATION || crc == CURLE_SSL_CACERT_BADFILE ||
			         crc == CURLE_SSL_CONNECT_ERROR)
				rc = cl_error_set(err, CL_EUNAVAIL, "%s %s: TLS: %s", method, msgurl,
				                  http_curl_msg(h, crc));
			else
				rc = cl_error_set(err, CL_ETEMPFAIL, "%s %s: %s%s", method, msgurl,
				                  http_curl_msg(h, crc),
				                  idempotent ? "" : " (the server may have acted on it)");
			goto done;
		}
		if (http_responder == NULL)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status == 429 || (status == 403 && ((h->rl_remaining &&
		    strcmp(h->rl_remaining, "0") == 0) || h->retry_after))) {
			wait = cl_http_rate_wait(h->retry_after,
			                         h->rl_remaining && strcmp(h->rl_remaining, "0") == 0
			                         ? h->rl_reset : NULL, (long long)time(NULL));
			if (wait < 0)	/* no hint: rate_wait_s (GitHub: ≥ 60 s), doubling */
				wait = (h->rate_wait_s > 0 ? h->rate_wait_s : 60L) <<
				       (rate_hits < 4 ? rate_hits : 4);
			if (rate_hits >= HTTP_MAX_RATE_RETRIES ||
			    h->waited_ms / 1000 + wait > h->o.max_wait_s) {
				rc = cl_error_set(err, CL_ETEMPFAIL,
				        "%s %s: rate limited (HTTP %ld); retry in %ld s "
				        "(more than [tracker] max_wait_s = %ld)", method, msgurl,
				        status, wait, h->o.max_wait_s);
				goto done;
			}
			rate_hits++;
			if (wait * 1000 >= http_remaining_ms(h)) {
				rc = http_deadline_fail(h, method, msgurl, err);
				goto done;
			}
			http_sleep_ms(wait * 1000);
			h->waited_ms += wait * 1000;
			continue;
		}
		if (status >= 500 && status <= 599 && status != 501 && idempotent &&
		    attempt < h->o.retries) {
			wait = -1;
			if (status == 503 && h->retry_after)
				wait = cl_http_rate_wait(h->retry_after, NULL, (long long)time(NULL)) * 1000;
			if (wait < 0 || wait / 1000 + h->waited_ms / 1000 > h->o.max_wait_s)
				wait = http_backoff_ms(h, attempt);
			attempt++;
			if (wait >= http_remaining_ms(h)) {
				rc = http_deadline_fail(h, method, msgurl, err);
				goto done;
			}
			http_sleep_ms(wait);
			h->waited_ms += wait;
			continue;
		}
		if ((rc = http_take_response(h, status, out)) != 0)
			goto oom;
		if (h->origin && (*out)->next_url && !cl_http_same_origin(h->origin, (*out)->next_url)) {
			char nurl[512];
			http_url_for_msg((*out)->next_url, nurl, sizeof nurl);
			rc = cl_error_set(err, CL_EDATA, "%s %s: the next page (Link rel=\"next\") is "
			                  "%s, outside the tracker's origin %s (scheme, host and port): "
			                  "not followed", method, msgurl, nurl, h->origin);
			cl_http_response_free(*out);
			*out = NULL;
		}
		goto done;
	}
oom:
	rc = cl_error_set(err, CL_ENOMEM, "out of memory");
done:
	http_reset_attempt(h);
	curl_slist_free_all(hl);
	free(inm);
	return rc;
}

int
cl_http_json(struct cl_http *h, struct cl_http_response **out, void **json_out,
             const char *method, const char *url, void *json_body,
             const char *if_none_match, struct cl_error *err)
{
	struct cl_http_response *r = NULL;
	char *body = NULL, msgurl[512];
	json_t *j = NULL;
	json_error_t jerr;
	int rc;

	*out = NULL;
	*json_out = NULL;
	if (json_body && (body = json_dumps(json_body, JSON_COMPACT)) == NULL)
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	rc = cl_http_request(h, &r, method, url, body, if_none_match, err);
	free(body);
	if (rc != 0)
		return rc;
	if (r->status != 304 && r->status != 204 && r->body_len > 0) {
		j = json_loadb(r->body, r->body_len, 0, &jerr);
		if (j == NULL && r->status >= 200 && r->status < 300) {
			http_url_for_msg(url, msgurl, sizeof msgurl);
			rc = cl_error_set(err, CL_EDATA, "%s %s: HTTP %ld with a body that is not "
			                  "JSON: %s", method, msgurl, r->status, jerr.text);
			cl_http_response_free(r);
			return rc;
		}
	}
	*out = r;
	*json_out = j;
	return 0;
}

int
cl_http_get(char **out, size_t *out_len, const char *url, size_t max, const char *ca_file,
            struct cl_error *err)
{
	struct cl_http_opts o;
	struct cl_http *h = NULL;
	char msgurl[512];
	CURLcode crc;
	long status = 0;
	int rc = 0;

	*out = NULL;
	http_url_for_msg(url, msgurl, sizeof msgurl);
	if (!http_scheme_ok(url))
		return cl_error_set(err, CL_EUSAGE, "'%s': only http and https URLs are allowed",
		                    msgurl);
	memset(&o, 0, sizeof o);
	o.retries = 2;
	o.max_wait_s = 30;
	o.max_response = max;
	o.ca_file = ca_file;
	if ((rc = cl_http_new(&h, &o, err)) != 0)
		return rc;
	http_common_opts(h->curl, &h->o);
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	h->requests++;
	crc = curl_easy_perform(h->curl);
	if (crc != CURLE_OK) {
		if (h->too_large)
			rc = cl_error_set(err, CL_EDATA, "'%s' is too large (limit %zu bytes)",
			                  msgurl, max);
		else if (crc == CURLE_UNSUPPORTED_PROTOCOL || crc == CURLE_TOO_MANY_REDIRECTS)
			rc = cl_error_set(err, CL_EUSAGE, "'%s': %s", msgurl, http_curl_msg(h, crc));
		else
			rc = cl_error_set(err, CL_ETEMPFAIL, "unable to fetch '%s': %s", msgurl,
			                  http_curl_msg(h, crc));
		goto done;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		rc = cl_error_set(err, status == 404 || status == 410 ? CL_ENOINPUT :
		                  status >= 500 || status == 429 ? CL_ETEMPFAIL : CL_EUNAVAIL,
		                  "unable to fetch '%s': HTTP %ld", msgurl, status);
		goto done;
	}
	if (out_len)
		*out_len = h->body.len;
	if ((*out = cl_buf_steal(&h->body)) == NULL)
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
done:
	cl_http_free(h);
	return rc;
}

int
cl_http_opts_config(struct cl_http_opts *o, const struct cl_config *cfg, const char *section,
                    struct cl_error *err)
{
	long v;
	int rc;

	o->ca_file = cl_config_get(cfg, section, "ca_file");
	if (o->ca_file && *o->ca_file == '\0')
		o->ca_file = NULL;	/* empty: the system's */
	if ((rc = cl_config_get_int(cfg, section, "max_wait_s", 300, 0, 86400, &v, err)) != 0)
		return rc;
	o->max_wait_s = v;
	if ((rc = cl_config_get_int(cfg, section, "connect_timeout_s", 10, 1, 600, &v, err)) != 0)
		return rc;
	o->connect_timeout_ms = v * 1000;
	if ((rc = cl_config_get_int(cfg, section, "timeout_s", 60, 1, 3600, &v, err)) != 0)
		return rc;
	o->timeout_ms = v * 1000;
	if ((rc = cl_config_get_int(cfg, section, "retries", 4, 0, 20, &v, err)) != 0)
		return rc;
	o->retries = (int)v;
	return 0;
}
