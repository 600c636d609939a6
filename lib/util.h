/* util.h — allocation, growable strings and small string helpers.
 *
 * Library code allocates through cl_malloc() & co. so that the torture test
 * (cl_alloc_fail_after) can fail the Nth allocation; they return NULL on
 * failure like malloc. Everything returned belongs to the caller (free()). */
#ifndef CL_UTIL_H
#define CL_UTIL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

void *cl_malloc(size_t n);
void *cl_calloc(size_t n, size_t size);
void *cl_realloc(void *p, size_t n);
/* A jansson string of s, or JSON null for NULL (json_t *, caller decrefs). */
struct json_t *cl_json_str(const char *s);
/* Makes room for one more element in the array *v of *cap elements of
 * size bytes holding n: the capacity doubles (from first). 0, or CL_ENOMEM
 * with *v and *cap untouched. */
int cl_grow(void *v, size_t *cap, size_t n, size_t size, size_t first);
char *cl_strdup(const char *s);
char *cl_strndup(const char *s, size_t n);
char *cl_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Torture hook: the countdown-th allocation from now on fails (0 = never). */
void cl_alloc_fail_after(long countdown);
/* Allocations made on this thread so far (the torture test counts them). */
long cl_alloc_count(void);
/* Allocations that failed on this thread so far. Sticky, like an error
 * flag: code that cannot report every NULL on the spot (a parser filling
 * optional fields) compares it before and after a unit of work, and fails
 * the whole unit with CL_ENOMEM rather than return a silently partial
 * result. */
long cl_alloc_failures(void);

/* A growable NUL-terminated buffer; on allocation failure it sets oom and
 * stops growing, so callers check once at the end. */
struct cl_buf {
	char *data;
	size_t len, cap;
	int oom;
};
#define CL_BUF_INIT { NULL, 0, 0, 0 }
void cl_buf_add(struct cl_buf *b, const char *s, size_t n);
void cl_buf_puts(struct cl_buf *b, const char *s);
void cl_buf_putc(struct cl_buf *b, char c);
void cl_buf_printf(struct cl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cl_buf_vprintf(struct cl_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends s (or its first n bytes: cl_buf_html_n) with & < > " ' escaped,
 * safe in HTML text and attribute values. */
void cl_buf_html(struct cl_buf *b, const char *s);
void cl_buf_html_n(struct cl_buf *b, const char *s, size_t n);
/* Takes the string out (caller frees); the buffer is reset. NULL on oom. */
char *cl_buf_steal(struct cl_buf *b);
void cl_buf_release(struct cl_buf *b);
/* Returns data or "" for an empty buffer. */
const char *cl_buf_str(const struct cl_buf *b);

/* Trims ASCII and Unicode no-break white space in place; returns s. */
char *cl_str_trim(char *s);
void cl_str_lower(char *s);
/* Copies at most size - 1 bytes of s into out, lower-cased (ASCII) and
 * trimmed: the key for comparing a word people typed. Returns out. */
char *cl_str_key(char *out, size_t size, const char *s);
int cl_str_starts_with(const char *s, const char *prefix);
int cl_str_ieq(const char *a, const char *b);
/* Same text; NULL equals only NULL. */
int cl_str_eq(const char *a, const char *b);
/* A post-mortem title without its leading "Post-mortem:" (any case, with or
 * without the hyphen), for where it is quoted after "post-mortem" or "DR
 * drill re-run:". Points into title. */
const char *cl_str_title_bare(const char *title);
/* For "did you mean": the candidate closest to word (edit distance, case
 * ignored, at most about a quarter of its length, at least 1), or one that word
 * contains or that contains word; NULL when none is close. */
const char *cl_str_nearest(const char *word, const char *const *cands, size_t n);
/* Edit distance of a and b, case ignored, a swap of two neighbours counting
 * one; cap + 1 when more than cap (or either is over 256 bytes). */
size_t cl_str_distance(const char *a, const char *b, size_t cap);
/* 64-bit FNV-1a hash of a string (not for security: look-ups). */
int64_t cl_text_hash(const char *s);
/* Hex SHA-256 of data into out[65]. */
void cl_sha256_hex(const void *data, size_t len, char out[65]);
/* A SHA-256 context kept for many digests on one thread (an import's
 * parser thread): the digest is fetched once, not per call. */
struct cl_sha256;
int cl_sha256_new(struct cl_sha256 **out);
void cl_sha256_free(struct cl_sha256 *h);
/* cl_sha256_hex through h (NULL: without one). */
void cl_sha256_hex_with(struct cl_sha256 *h, const void *data, size_t len, char out[65]);
/* Reads a whole file up to max bytes; CL_EDATA when larger. */
struct cl_error;
int cl_read_file(char **out, size_t *out_len, const char *path, size_t max,
                 struct cl_error *err);
/* The same for regular files only: opened without blocking (a FIFO never
 * hangs), checked on the open descriptor; CL_READ_NOFOLLOW refuses a
 * symbolic link as the last component. info (may be NULL) gets the state
 * before the read and whether the file changed while it was read. */

struct cl_read_info {
	struct stat sb;
	int changed;
};
enum { CL_READ_NOFOLLOW = 1 };
int cl_read_regular(char **out, size_t *out_len, struct cl_read_info *info, const char *path,
                    int flags, size_t max, struct cl_error *err);
/* cl_read_regular of name in the directory open as dir (AT_FDCWD: the
 * working directory); messages name the file path. */
int cl_read_regular_at(char **out, size_t *out_len, struct cl_read_info *info, int dir,
                       const char *name, const char *path, int flags, size_t max,
                       struct cl_error *err);
/* Overwrites a secret with zero bytes (explicit_bzero: not optimised
 * away), in place; cl_secret_free wipes and frees. */
void cl_secret_wipe(char *s);
void cl_secret_free(char *s);

/* The entries of a vocabulary (an array of structs whose first member is
 * the name, or of names) chained by first byte, in array order: head[c] is
 * the first entry starting with c and next[i] the one after entry i (index
 * + 1, 0 ends the chain). A static one starts zeroed and is worked out at
 * its first use; threads may race to it, each storing the same values. */
#define CL_LETTER_CHAIN_MAX 128
struct cl_letter_chain {
	atomic_int ready;
	atomic_uchar head[256];
	atomic_uchar next[CL_LETTER_CHAIN_MAX];
};
/* The first entry of base[0..n) (stride bytes apart, n <= 128) whose name
 * starts with c, as index + 1, or 0; the next with cl_letter_chain_next(). */
size_t cl_letter_chain_first(struct cl_letter_chain *lc, const void *base, size_t stride,
                             size_t n, unsigned char c);
/* The entry after entry i - 1 in its chain (index + 1), or 0. */
static inline size_t
cl_letter_chain_next(struct cl_letter_chain *lc, size_t i)
{
	return atomic_load_explicit(&lc->next[i - 1], memory_order_relaxed);
}

#endif
