/* recur.c — the same fix proposed in several post-mortems (rule: recur.h).
 * Two passes over the items: the first counts the post-mortems using each
 * word, the second keeps only items with two rare words (few, in practice),
 * so a store of 100,000 items costs a word table, not the items. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recur.h"
#include "report.h"
#include "util.h"

#define MIN_OVERLAP_NUM 3	/* Jaccard >= 3/4 */
#define MIN_OVERLAP_DEN 4
#define MAX_WORDS 64		/* words of one action looked at */

static const char *const stop_words[] = {
	"a", "add", "all", "an", "and", "any", "are", "as", "at", "be", "by", "do", "for",
	"from", "in", "into", "is", "it", "its", "make", "new", "of", "on", "or", "our", "per",
	"set", "so", "that", "the", "their", "this", "to", "up", "use", "via", "we", "when",
	"with", NULL
};

/* The words seen, with the number of post-mortems using each. */
struct dict {
	uint32_t *slot;		/* entry index + 1, 0 = free */
	size_t cap;		/* power of two */
	struct dentry { uint32_t off, df; long long last_pm; } *e;
	size_t n, ecap;
	struct cl_buf arena;	/* the words, NUL-separated */
};

struct item {
	long long rowid, pm;
	uint32_t *ids, nids;	/* its words, ascending, no repeats */
	uint32_t k1, k2;	/* its two rarest words */
	size_t parent;
};

static int
is_stop(const char *w)
{
	size_t i;

	if (w[0] == '\0' || w[1] == '\0' || strlen(w) > 5)
		return w[0] != '\0' && w[1] == '\0' && w[0] == 'a';	/* all but "a" are 2-5 long */
	for (i = 0; stop_words[i]; i++)
		if (strcmp(stop_words[i], w) == 0)
			return 1;
	return 0;
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
dict_release(struct dict *d)
{
	free(d->slot);
	free(d->e);
	cl_buf_release(&d->arena);
}

/* The entry of word w; added when add is set (else -1 when absent). */
static long
dict_find(struct dict *d, const char *w, int add)
{
	size_t i;

	if (add && (d->n + 1) * 2 > d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 1024, k;
		uint32_t *ns = cl_calloc(nc, sizeof *ns);
		if (ns == NULL)
			return -2;
		for (k = 0; k < d->n; k++) {
			size_t j = hash(d->arena.data + d->e[k].off) & (nc - 1);
			while (ns[j])
				j = (j + 1) & (nc - 1);
			ns[j] = (uint32_t)k + 1;
		}
		free(d->slot);
		d->slot = ns;
		d->cap = nc;
	}
	if (d->cap == 0)
		return -1;
	for (i = hash(w) & (d->cap - 1); d->slot[i]; i = (i + 1) & (d->cap - 1))
		if (strcmp(d->arena.data + d->e[d->slot[i] - 1].off, w) == 0)
			return (long)d->slot[i] - 1;
	if (!add)
		return -1;
	if (cl_grow(&d->e, &d->ecap, d->n, sizeof *d->e, 1024) != 0)
		return -2;
	d->e[d->n].off = (uint32_t)d->arena.len;
	d->e[d->n].df = 0;
	d->e[d->n].last_pm = -1;
	cl_buf_add(&d->arena, w, strlen(w) + 1);
	if (d->arena.oom || d->arena.len > UINT32_MAX)
		return -2;
	d->slot[i] = (uint32_t)d->n + 1;
	return (long)d->n++;
}

/* The next word of *p (lower case, plural -s off, stop words skipped)
 * into buf; 0 at the end. */
static int
next_word(const unsigned char **p, char buf[64])
{
	for (;;) {
		size_t len = 0;
		while (**p && !(isalnum(**p) || **p >= 0x80))
			(*p)++;
		if (**p == '\0')
			return 0;
		while (**p && (isalnum(**p) || **p >= 0x80)) {
			if (len + 1 < 64)
				buf[len++] = (char)tolower(**p);
			(*p)++;
		}
		buf[len] = '\0';
		if (len > 3 && buf[len - 1] == 's' && buf[len - 2] != 's')
			buf[--len] = '\0';
		if (!is_stop(buf))
			return 1;
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static size_t
uf_find(struct item *it, size_t i)
{
	while (it[i].parent != i) {
		it[i].parent = it[it[i].parent].parent;
		i = it[i].parent;
	}
	return i;
}

/* True when a and b overlap by at least 3/4 of their union. */
static int
recur_overlap(const struct item *a, const struct item *b)
{
	uint32_t i = 0, j = 0, both = 0, uni;

	while (i < a->nids && j < b->nids) {
		if (a->ids[i] == b->ids[j]) {
			both++;
			i++;
			j++;
		} else if (a->ids[i] < b->ids[j]) {
			i++;
		} else {
			j++;
		}
	}
	uni = a->nids + b->nids - both;
	return uni > 0 && both * MIN_OVERLAP_DEN >= uni * MIN_OVERLAP_NUM;
}

static const struct item *sort_items;

/* Orders item indices by k1, k2, then store order. */
static int
cmp_by_key(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct item *x = &sort_items[i], *y = &sort_items[j];

	if (x->k1 != y->k1)
		return x->k1 < y->k1 ? -1 : 1;
	if (x->k2 != y->k2)
		return x->k2 < y->k2 ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int
cmp_recur(const void *a, const void *b)
{
	const struct cl_recur *x = a, *y = b;

	if (x->npm != y->npm)
		return x->npm > y->npm ? -1 : 1;
	return strcmp(x->action, y->action);
}

void
cl_recurs_free(struct cl_recur *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].action);
		free(v[i].items);
	}
	free(v);
}

/* One recurring action from the items order[from..to) of a cluster. */
static int
recur_one(struct cl_recur *r, struct cl_store *st, const struct item *it,
          const size_t *order, size_t from, size_t to, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	struct cl_buf b = CL_BUF_INIT;
	size_t k, m;
	int rc;

	memset(r, 0, sizeof *r);
	for (k = from; k < to; k++) {
		for (m = from; m < k && it[order[m]].pm != it[order[k]].pm; m++)
			;
		r->npm += m == k;
	}
	if (r->npm < 2)
		return 0;
	if ((rc = cl_store_prepare(st, &s, "SELECT key, status, action FROM items WHERE id = ?",
	                           err)) != 0)
		return rc;
	for (k = from; k < to; k++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, it[order[k]].rowid);
		if ((rc = sqlite3_step(s)) != SQLITE_ROW)
			break;
		cl_buf_printf(&b, "%s%s (%s)", k > from ? ", " : "",
		              (const char *)sqlite3_column_text(s, 0),
		              (const char *)sqlite3_column_text(s, 1));
		r->open += strcmp((const char *)sqlite3_column_text(s, 1), "open") == 0;
		if (k == from && (r->action = cl_column_dup(s, 2)) == NULL)
			b.oom = 1;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		cl_buf_release(&b);
		return cl_store_fail(st, rc, err, "recurring actions");
	}
	if (b.oom || (r->items = cl_buf_steal(&b)) == NULL || r->action == NULL) {
		cl_buf_release(&b);
		return cl_error_set(err, CL_ENOMEM, "out of memory");
	}
	return 0;
}

/* Pass 1: the number of post-mortems using each word. */
static int
recur_count(struct dict *d, size_t *npm, struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	long long last = -1;
	int rc;

	if ((rc = cl_store_prepare(st, &s, "SELECT postmortem_id, action FROM items "
	                           "WHERE status != 'withdrawn' ORDER BY postmortem_id", err)) != 0)
		return rc;
	cl_report_trace(s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		long long pm = sqlite3_column_int64(s, 0);
		const unsigned char *p = sqlite3_column_text(s, 1);
		char w[64];
		*npm += pm != last;
		last = pm;
		while (p && next_word(&p, w)) {
			long e = dict_find(d, w, 1);
			if (e < 0) {
				sqlite3_finalize(s);
				return cl_error_set(err, CL_ENOMEM, "out of memory");
			}
			if (d->e[e].last_pm != pm) {
				d->e[e].last_pm = pm;
				d->e[e].df++;
			}
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(st, rc, err, "recurring actions");
}

/* Pass 2: the items with two rare words, their words and key. */
static int
recur_keep(struct item **out, size_t *n, const struct dict *d, uint32_t rare,
           struct cl_store *st, struct cl_error *err)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int rc;

	if ((rc = cl_store_prepare(st, &s, "SELECT id, postmortem_id, action FROM items "
	                           "WHERE status != 'withdrawn' ORDER BY postmortem_id, id", err)) != 0)
		return rc;
	cl_report_trace(s);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_text(s, 2);
		uint32_t ids[MAX_WORDS], nids = 0, m = 0, k, a = UINT32_MAX, b = UINT32_MAX;
		struct item *x;
		char w[64];
		while (p && nids < MAX_WORDS && next_word(&p, w)) {
			long e = dict_find((struct dict *)d, w, 0);
			if (e >= 0)
				ids[nids++] = (uint32_t)e;
		}
		qsort(ids, nids, sizeof *ids, cmp_u32);
		for (k = 0; k < nids; k++)
			if (k == 0 || ids[k] != ids[k - 1])
				ids[m++] = ids[k];
		nids = m;
		/* the two rarest words: fewest post-mortems, then first seen */
		for (k = 0; k < nids; k++) {
			uint32_t id = ids[k];
			if (a == UINT32_MAX || d->e[id].df < d->e[a].df)
				b = a, a = id;
			else if (b == UINT32_MAX || d->e[id].df < d->e[b].df)
				b = id;
		}
		if (b == UINT32_MAX || d->e[a].df > rare || d->e[b].df > rare)
			continue;
		if (cl_grow(out, &cap, *n, sizeof **out, 64) != 0)
			goto oom;
		x = &(*out)[*n];
		x->rowid = sqlite3_column_int64(s, 0);
		x->pm = sqlite3_column_int64(s, 1);
		x->nids = nids;
		x->k1 = a < b ? a : b;
		x->k2 = a < b ? b : a;
		x->parent = *n;
		if ((x->ids = cl_calloc(nids, sizeof *x->ids)) == NULL)
			goto oom;
		memcpy(x->ids, ids, nids * sizeof *ids);
		(*n)++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : cl_store_fail(st, rc, err, "recurring actions");
oom:
	sqlite3_finalize(s);
	return cl_error_set(err, CL_ENOMEM, "out of memory");
}

int
cl_recur_find(struct cl_recur **out, size_t *nout, struct cl_store *st, struct cl_error *err)
{
	struct dict d;
	struct item *it = NULL;
	struct cl_recur *v = NULL;
	size_t n = 0, nv = 0, vcap = 0, npm = 0, i, j, *order = NULL;
	uint32_t rare;
	int rc;

	*out = NULL;
	*nout = 0;
	memset(&d, 0, sizeof d);
	if ((rc = recur_count(&d, &npm, st, err)) != 0)
		goto done;
	rare = (uint32_t)(npm / 20 > 5 ? npm / 20 : 5);
	if ((rc = recur_keep(&it, &n, &d, rare, st, err)) != 0)
		goto done;
	if ((order = cl_calloc(n ? n : 1, sizeof *order)) == NULL) {
		rc = cl_error_set(err, CL_ENOMEM, "out of memory");
		goto done;
	}
	/* candidates share their key; join those of different post-mortems */
	for (i = 0; i < n; i++)
		order[i] = i;
	sort_items = it;
	qsort(order, n, sizeof *order, cmp_by_key);
	for (i = 0; i < n; i = j) {
		size_t p, q;
		for (j = i; j < n && it[order[j]].k1 == it[order[i]].k1 &&
		     it[order[j]].k2 == it[order[i]].k2; j++)
			;
		for (p = i; p < j; p++)
			for (q = p + 1; q < j; q++)
				if (it[order[p]].pm != it[order[q]].pm && recur_overlap(&it[order[p]],
				                                                         &it[order[q]]))
					it[uf_find(it, order[q])].parent = uf_find(it, order[p]);
	}
	/* the clusters: by root, then store order */
	for (i = 0; i < n; i++) {
		it[i].k1 = (uint32_t)uf_find(it, i);
		it[i].k2 = 0;
		order[i] = i;
	}
	qsort(order, n, sizeof *order, cmp_by_key);
	for (i = 0; i < n; i = j) {
		struct cl_recur one;
		for (j = i; j < n && it[order[j]].k1 == it[order[i]].k1; j++)
			;
		if (j - i < 2)
			continue;
		if ((rc = recur_one(&one, st, it, order, i, j, err)) != 0)
			goto done;
		if (one.npm < 2)
			continue;
		if (cl_grow(&v, &vcap, nv, sizeof *v, 8) != 0) {
			free(one.action);
			free(one.items);
			rc = cl_error_set(err, CL_ENOMEM, "out of memory");
			goto done;
		}
		v[nv++] = one;
	}
	if (nv > 1)
		qsort(v, nv, sizeof *v, cmp_recur);
	*out = v;
	*nout = nv;
	v = NULL;
	nv = 0;
done:
	cl_recurs_free(v, nv);
	dict_release(&d);
	for (i = 0; i < n; i++)
		free(it[i].ids);
	free(it);
	free(order);
	return rc;
}
