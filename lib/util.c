/* util.c — allocation wrappers, cl_buf and string helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "error.h"
#include "util.h"

static long alloc_countdown;	/* 0: never fail */
/* per thread: one counter written by every allocation of every parser
 * thread kept its cache line moving between the cores */
static _Thread_local long alloc_total;
static _Thread_local long alloc_failures;

/* Decides whether this allocation is the one the torture run fails. */
static int
alloc_should_fail(void)
{
	alloc_total++;
	if (alloc_countdown > 0 && --alloc_countdown == 0) {
		alloc_failures++;
		return 1;
	}
	return 0;
}

/* Counts a real allocation failure (p NULL for a non-zero size). */
static void *
alloc_result(void *p)
{
	if (p == NULL)
		alloc_failures++;
	return p;
}

/* Arms the allocation fault: the countdown-th allocation fails. */
void
cl_alloc_fail_after(long countdown)
{
	alloc_countdown = countdown;
}

/* How many library allocations happened so far on this thread. */
long
cl_alloc_count(void)
{
	return alloc_total;
}

/* How many allocations failed on this thread so far. */
long
cl_alloc_failures(void)
{
	return alloc_failures;
}

void *
cl_malloc(size_t n)
{
	return alloc_should_fail() ? NULL : alloc_result(malloc(n ? n : 1));
}

void *
cl_calloc(size_t n, size_t size)
{
	return alloc_should_fail() ? NULL : alloc_result(calloc(n ? n : 1, size ? size : 1));
}

void *
cl_realloc(void *p, size_t n)
{
	return alloc_should_fail() ? NULL : alloc_result(realloc(p, n ? n : 1));
}

struct json_t *
cl_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
cl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	void **pv = v, *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : (first ? first : 8);
	if (ncap < *cap || ncap > SIZE_MAX / size || (nv = cl_realloc(*pv, ncap * size)) == NULL)
		return CL_ENOMEM;
	*pv = nv;
	*cap = ncap;
	return 0;
}

char *
cl_strndup(const char *s, size_t n)
{
	char *d;
	size_t len;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	if ((d = cl_malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
cl_strdup(const char *s)
{
	return s == NULL ? NULL : cl_strndup(s, strlen(s));
}

char *
cl_asprintf(const char *fmt, ...)
{
	struct cl_buf b = CL_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	cl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (b.data == NULL && !b.oom)
		cl_buf_add(&b, "", 0);
	return cl_buf_steal(&b);
}

/* Makes room for n more bytes plus the terminating NUL. */
static int
buf_grow(struct cl_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return -1;
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if ((p = cl_realloc(b->data, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void
cl_buf_add(struct cl_buf *b, const char *s, size_t n)
{
	if (buf_grow(b, n) < 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
cl_buf_puts(struct cl_buf *b, const char *s)
{
	cl_buf_add(b, s, strlen(s));
}

void
cl_buf_putc(struct cl_buf *b, char c)
{
	cl_buf_add(b, &c, 1);
}

void
cl_buf_vprintf(struct cl_buf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
cl_buf_printf(struct cl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
cl_buf_html_n(struct cl_buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n && s[i]; i++) {
		switch (s[i]) {
		case '&': cl_buf_puts(b, "&amp;"); break;
		case '<': cl_buf_puts(b, "&lt;"); break;
		case '>': cl_buf_puts(b, "&gt;"); break;
		case '"': cl_buf_puts(b, "&quot;"); break;
		case '\'': cl_buf_puts(b, "&#39;"); break;
		default: cl_buf_putc(b, s[i]);
		}
	}
}

void
cl_buf_html(struct cl_buf *b, const char *s)
{
	cl_buf_html_n(b, s, (size_t)-1);
}

char *
cl_buf_steal(struct cl_buf *b)
{
	char *s;

	if (b->oom) {
		cl_buf_release(b);
		return NULL;
	}
	if (b->data == NULL && buf_grow(b, 0) == 0)
		b->data[0] = '\0';
	s = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

void
cl_buf_release(struct cl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

const char *
cl_buf_str(const struct cl_buf *b)
{
	return b->data ? b->data : "";
}

/* True for the bytes of U+00A0 and U+FEFF that editors leave around cells. */
static size_t
unicode_space_len(const unsigned char *p)
{
	if (p[0] == 0xc2 && p[1] == 0xa0)
		return 2;
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3;
	return 0;
}

char *
cl_str_trim(char *s)
{
	unsigned char *p = (unsigned char *)s, *end;
	size_t n, len;

	for (;;) {
		if (*p && isspace(*p))
			p++;
		else if ((n = unicode_space_len(p)) > 0)
			p += n;
		else
			break;
	}
	len = strlen((char *)p);
	memmove(s, p, len + 1);
	end = (unsigned char *)s + len;
	for (;;) {
		if (end > (unsigned char *)s && isspace(end[-1]))
			end--;
		else if (end - (unsigned char *)s >= 2 && end[-2] == 0xc2 && end[-1] == 0xa0)
			end -= 2;
		else
			break;
	}
	*end = '\0';
	return s;
}

void
cl_str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

char *
cl_str_key(char *out, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return out;
	while (s && s[n] && n < size - 1) {
		out[n] = (char)tolower((unsigned char)s[n]);
		n++;
	}
	out[n] = '\0';
	return cl_str_trim(out);
}

int
cl_str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *
cl_str_title_bare(const char *title)
{
	static const char *const prefixes[] = { "post-mortem", "postmortem", "post mortem", NULL };
	const char *p;
	size_t i, n;

	if (title == NULL)
		return NULL;
	for (i = 0; prefixes[i]; i++) {
		n = strlen(prefixes[i]);
		if (strncasecmp(title, prefixes[i], n) != 0)
			continue;
		p = title + n;
		while (*p == ' ')
			p++;
		if (*p != ':')
			continue;
		p++;
		while (*p == ' ')
			p++;
		return *p ? p : title;
	}
	return title;
}

size_t
cl_str_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), i, j, v, best, *r0, *r1, *r2, *t, *rows;

	if (la > 256 || lb > 256 || (la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	if ((rows = cl_malloc(3 * (lb + 1) * sizeof *rows)) == NULL)
		return cap + 1;
	r2 = rows;		/* row i - 2 */
	r1 = rows + lb + 1;	/* row i - 1 */
	r0 = rows + 2 * (lb + 1);	/* row i */
	for (j = 0; j <= lb; j++)
		r1[j] = j;
	for (i = 1; i <= la; i++) {
		int ca = tolower((unsigned char)a[i - 1]);
		r0[0] = best = i;
		for (j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			v = r1[j - 1] + (ca != cb);
			if (r1[j] + 1 < v)
				v = r1[j] + 1;
			if (r0[j - 1] + 1 < v)
				v = r0[j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && r2[j - 2] + 1 < v)
				v = r2[j - 2] + 1;
			r0[j] = v;
			if (v < best)
				best = v;
		}
		if (best > cap) {
			free(rows);
			return cap + 1;
		}
		t = r2;
		r2 = r1;
		r1 = r0;
		r0 = t;
	}
	v = r1[lb];
	free(rows);
	return v > cap ? cap + 1 : v;
}

const char *
cl_str_nearest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = 99, wl = word ? strlen(word) : 0, max = (wl + 2) / 4 ? (wl + 2) / 4 : 1;

	if (wl == 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (cands[i] == NULL || *cands[i] == '\0')
			continue;
		d = cl_str_distance(word, cands[i], 98);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	if (best != NULL && bestd <= max)
		return best;
	/* "2024-02-12-payments-pool.2" for "payments-pool.2", or the reverse */
	for (i = 0; i < n; i++) {
		size_t cl = cands[i] ? strlen(cands[i]) : 0;
		if (cl >= 3 && ((cl < wl && strcmp(word + wl - cl, cands[i]) == 0) ||
		                (wl >= 3 && wl < cl && strstr(cands[i], word) != NULL)))
			return cands[i];
	}
	/* a mistyped tail of a longer id: "dns-resolvr" for "…-dns-resolver" */
	best = NULL;
	bestd = 99;
	for (i = 0; wl >= 6 && i < n; i++) {
		size_t cl = cands[i] ? strlen(cands[i]) : 0, k;
		for (k = wl - 1; k <= wl + 1 && k < cl; k++) {
			d = cl_str_distance(word, cands[i] + cl - k, 98);
			if (d < bestd) {
				bestd = d;
				best = cands[i];
			}
		}
	}
	return best != NULL && bestd <= max ? best : NULL;
}

int
cl_str_ieq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

int
cl_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* A digest as lower-case hex (by hand: 32 snprintf calls a document
 * showed in the import profile). */
static void
hex_digest(char out[65], const unsigned char *md, unsigned int mdlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}

void
cl_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	hex_digest(out, md, mdlen);
}

/* EVP_Digest fetches SHA-256 from the provider and makes a context on every
 * call: 9,000 instructions per document of an import, as many as hashing 4
 * KiB. One fetched digest and one context serve a thread's documents. */
struct cl_sha256 {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

/* A reusable SHA-256 context (cl_sha256_free frees it). */
int
cl_sha256_new(struct cl_sha256 **out)
{
	struct cl_sha256 *h = cl_calloc(1, sizeof *h);

	*out = NULL;
	if (h == NULL)
		return CL_ENOMEM;
	if ((h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->ctx = EVP_MD_CTX_new()) == NULL) {
		cl_sha256_free(h);
		return CL_ENOMEM;
	}
	*out = h;
	return 0;
}

void
cl_sha256_free(struct cl_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	free(h);
}

/* Hex SHA-256 of data through h's context; without h, or should the
 * context fail, as cl_sha256_hex does. */
void
cl_sha256_hex_with(struct cl_sha256 *h, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (h == NULL || EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->ctx, data, len) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1) {
		cl_sha256_hex(data, len, out);
		return;
	}
	hex_digest(out, md, mdlen);
}

/* 64-bit FNV-1a of a string: the key items are looked up by. */
int64_t
cl_text_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (int64_t)h;
}

/* Reads path into a NUL-terminated buffer; refuses files over max bytes. */
int
cl_read_file(char **out, size_t *out_len, const char *path, size_t max,
             struct cl_error *err)
{
	return cl_read_regular(out, out_len, NULL, path, 0, max, err);
}

/* Same file state: size, modification and change times to the nanosecond. */
static int
same_state(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec && a->st_ino == b->st_ino;
}

/* Reads a regular file (never a FIFO or device) into a NUL-terminated buffer. */
int
cl_read_regular(char **out, size_t *out_len, struct cl_read_info *info, const char *path,
                int flags, size_t max, struct cl_error *err)
{
	return cl_read_regular_at(out, out_len, info, AT_FDCWD, path, path, flags, max, err);
}

/* The same, name opened in directory dir (an import opens a walked file in
 * the directory the walk has open: one name looked up, not every component
 * of its path); path is the name as messages show it. */
int
cl_read_regular_at(char **out, size_t *out_len, struct cl_read_info *info, int dir,
                   const char *name, const char *path, int flags, size_t max,
                   struct cl_error *err)
{
	struct stat st, after;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd, rc = 0, fl, have_after = 0, blocking = 0;

	*out = NULL;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; the descriptor
	 * is checked to be a regular file before anything is read from it */
	if ((fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	               ((flags & CL_READ_NOFOLLOW) ? O_NOFOLLOW : 0))) < 0)
		return cl_error_set(err, CL_ENOINPUT, "unable to open '%s': %s",
		                    path, errno == ELOOP && (flags & CL_READ_NOFOLLOW) ?
		                    "it became a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = cl_error_set(err, CL_ENOINPUT, "unable to read '%s': %s", path, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = cl_error_set(err, CL_ENOINPUT, "'%s' is a directory", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = cl_error_set(err, CL_ENOINPUT, "'%s' is not a regular file", path);
		goto done;
	}
	/* O_NONBLOCK stays: a regular file's reads never wait for it (two
	 * fcntl calls per file were 20,000 system calls per 10,000 files); a
	 * file system that answers EAGAIN anyway has it cleared below */
	if ((size_t)st.st_size > max) {
		rc = cl_error_set(err, CL_EDATA, "'%s' is too large (%lld bytes, limit %zu)",
		                  path, (long long)st.st_size, max);
		goto done;
	}
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if ((buf = cl_malloc(cap)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory reading '%s'", path);
		goto done;
	}
	for (;;) {
		/* all the bytes fstat announced, and the file still as it was: no
		 * read to meet the end, no doubled buffer for it */
		if (info != NULL && st.st_size > 0 && len == (size_t)st.st_size && !have_after &&
		    fstat(fd, &after) == 0) {
			have_after = 1;
			if (same_state(&st, &after))
				break;
		}
		if (len + 1 >= cap) {
			char *p;
			if (cap > max + 1) {
				rc = cl_error_set(err, CL_EDATA, "'%s' is too large (limit %zu bytes)",
				                  path, max);
				goto done;
			}
			if ((p = cl_realloc(buf, cap * 2)) == NULL) {
				rc = cl_error_set(err, CL_ENOMEM, "out of memory reading '%s'", path);
				goto done;
			}
			buf = p;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && !blocking &&
			    (fl = fcntl(fd, F_GETFL)) >= 0 && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == 0) {
				blocking = 1;
				continue;
			}
			rc = cl_error_set(err, CL_ENOINPUT, "unable to read '%s': %s",
			                  path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		rc = cl_error_set(err, CL_EDATA, "'%s' is too large (limit %zu bytes)", path, max);
		goto done;
	}
	buf[len] = '\0';
	if (info != NULL) {
		info->sb = st;
		info->changed = (!have_after && fstat(fd, &after) != 0) ||
		                !same_state(&st, &after) || (size_t)st.st_size != len;
	}
	*out = buf;
	if (out_len)
		*out_len = len;
	buf = NULL;
done:
	free(buf);
	close(fd);
	return rc;
}

void
cl_secret_wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

void
cl_secret_free(char *s)
{
	if (s == NULL)
		return;
	cl_secret_wipe(s);
	free(s);
}

/* The first entry of a vocabulary starting with byte c (see util.h). */
size_t
cl_letter_chain_first(struct cl_letter_chain *lc, const void *base, size_t stride, size_t n,
                      unsigned char c)
{
	if (!atomic_load_explicit(&lc->ready, memory_order_acquire)) {
		unsigned char h[256] = { 0 }, nx[CL_LETTER_CHAIN_MAX];
		size_t i;
		for (i = n; i-- > 0;) {
			unsigned char f = (unsigned char)(*(const char *const *)(const void *)
			                                   ((const char *)base + i * stride))[0];
			nx[i] = h[f];
			h[f] = (unsigned char)(i + 1);
		}
		for (i = 0; i < 256; i++)
			atomic_store_explicit(&lc->head[i], h[i], memory_order_relaxed);
		for (i = 0; i < n; i++)
			atomic_store_explicit(&lc->next[i], nx[i], memory_order_relaxed);
		atomic_store_explicit(&lc->ready, 1, memory_order_release);
	}
	return atomic_load_explicit(&lc->head[c], memory_order_relaxed);
}
