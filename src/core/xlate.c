/*
 * core/xlate.c - the xlate table (see xlate.h): a pool of entries with a
 * free list, two keys per entry in one keyed hash, idle lists per class.
 * Allocation of global addresses and ports is in xlate_alloc.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/xlate.h"

#define NODE(idx, w) (((idx) << 1 | (uint32_t)(w)) + 1)
#define NODE_IDX(n)  (((n)-1) >> 1)
#define NODE_W(n)    (((n)-1) & 1)
#define W_LOCAL	     0
#define W_GLOBAL     1

static inline struct ph_lru_pool
lru_pool(const struct ph_xlatetab *t)
{
	struct ph_lru_pool p = { t->pool, sizeof(struct ph_xlate),
				 offsetof(struct ph_xlate, lru) };
	return p;
}

/* Key words: which == W_LOCAL: (nat id, lif, gif, laddr, lport, proto);
 * W_GLOBAL: (gif, gaddr, gport, proto).  The top bit tells them apart. */
static inline void
words(uint32_t nat_id, uint16_t lif, uint16_t gif, uint32_t addr, uint16_t port,
      uint8_t proto, unsigned which, uint64_t *w0, uint64_t *w1)
{
	*w0 = (uint64_t)addr << 32 | (uint64_t)port << 16 | proto;
	*w1 = (uint64_t)which << 63 | (uint64_t)(nat_id & 0x7fffffff) << 32 |
	      (uint64_t)lif << 16 | gif;
}

static void
entry_words(const struct ph_xlate *x, unsigned which, uint64_t *w0,
	    uint64_t *w1)
{
	if (which == W_LOCAL)
		words(x->nat_id, x->lif, x->gif, x->laddr, x->lport, x->proto,
		      which, w0, w1);
	else
		words(0, 0, x->gif, x->gaddr, x->gport, x->proto, which, w0,
		      w1);
}

static inline uint32_t
bucket(const struct ph_xlatetab *t, uint64_t w0, uint64_t w1)
{
	return (uint32_t)ph_siphash_2w(&t->key, w0, w1) & t->mask;
}

struct ph_xlatetab *
ph_xlatetab_new(uint32_t max, const struct ph_hash_key *k)
{
	struct ph_xlatetab *t;
	uint64_t nb = 16;

	if (max == 0 || max > (1u << 30)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < 2 * (uint64_t)max)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->pool = calloc(max, sizeof(*t->pool));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (t->pool == NULL || t->buckets == NULL) {
		ph_xlatetab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->max = max;
	t->mask = (uint32_t)(nb - 1);
	t->free_head = PH_IDX_NONE;
	t->key = *k;
	ph_lru_init(&t->idle[PH_XC_NAT]);
	ph_lru_init(&t->idle[PH_XC_PAT]);
	return t;
}

void
ph_xlatetab_free(struct ph_xlatetab *t)
{
	if (t == NULL)
		return;
	free(t->pool);
	free(t->buckets);
	free(t);
}

/* The entry with key (w0, w1) in bucket b. */
static uint32_t
find_in(const struct ph_xlatetab *t, uint32_t b, uint64_t w0, uint64_t w1)
{
	uint32_t n = t->buckets[b];

	while (n != 0) {
		const struct ph_xlate *x = &t->pool[NODE_IDX(n)];
		uint64_t a0, a1;

		entry_words(x, NODE_W(n), &a0, &a1);
		if (a0 == w0 && a1 == w1)
			return NODE_IDX(n);
		n = x->hnext[NODE_W(n)];
	}
	return PH_IDX_NONE;
}

static uint32_t
find(const struct ph_xlatetab *t, uint64_t w0, uint64_t w1)
{
	return find_in(t, bucket(t, w0, w1), w0, w1);
}

uint32_t
ph_xlate_find_local(const struct ph_xlatetab *t, uint32_t nat_id, uint16_t lif,
		    uint16_t gif, uint32_t laddr, uint16_t lport, uint8_t proto)
{
	uint64_t w0, w1;

	words(nat_id, lif, gif, laddr, lport, proto, W_LOCAL, &w0, &w1);
	return find(t, w0, w1);
}

uint32_t
ph_xlate_find_global(const struct ph_xlatetab *t, uint16_t gif, uint32_t gaddr,
		     uint16_t gport, uint8_t proto)
{
	uint64_t w0, w1;

	words(0, 0, gif, gaddr, gport, proto, W_GLOBAL, &w0, &w1);
	return find(t, w0, w1);
}

uint32_t
ph_xlate_add(struct ph_xlatetab *t, const struct ph_xlate *x, ph_time_t now)
{
	struct ph_xlate *e;
	uint64_t w0, w1;
	uint32_t idx, b[2];
	unsigned w;

	if (t->used >= t->max)
		return PH_IDX_NONE;
	/* each key hashed once, for the duplicate check and the insert */
	for (w = 0; w < 2; w++) {
		entry_words(x, w, &w0, &w1);
		b[w] = bucket(t, w0, w1);
		if (find_in(t, b[w], w0, w1) != PH_IDX_NONE)
			return PH_IDX_NONE;
	}
	if (t->free_head != PH_IDX_NONE) {
		idx = t->free_head;
		t->free_head = t->pool[idx].hnext[0];
	} else {
		idx = t->fresh++;
	}
	e = &t->pool[idx];
	*e = *x;
	e->live = 1;
	e->idle = 0;
	e->refs = 0;
	e->lru.prev = e->lru.next = PH_IDX_NONE;
	e->start = e->idle_since = now;
	for (w = 0; w < 2; w++) {
		e->hnext[w] = t->buckets[b[w]];
		t->buckets[b[w]] = NODE(idx, w);
	}
	if (++t->used > t->most_used)
		t->most_used = t->used;
	return idx;
}

static void
unhash(struct ph_xlatetab *t, uint32_t idx, unsigned w)
{
	struct ph_xlate *x = &t->pool[idx];
	uint32_t self = NODE(idx, w), *pp;
	uint64_t w0, w1;

	entry_words(x, w, &w0, &w1);
	pp = &t->buckets[bucket(t, w0, w1)];
	while (*pp != 0) {
		if (*pp == self) {
			*pp = x->hnext[w];
			return;
		}
		pp = &t->pool[NODE_IDX(*pp)].hnext[NODE_W(*pp)];
	}
}

static inline unsigned
class_of(const struct ph_xlate *x)
{
	return x->kind == PH_XK_PAT ? PH_XC_PAT : PH_XC_NAT;
}

void
ph_xlate_del(struct ph_xlatetab *t, uint32_t idx)
{
	struct ph_xlate *x = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	if (!x->live)
		return;
	unhash(t, idx, W_LOCAL);
	unhash(t, idx, W_GLOBAL);
	if (x->idle)
		ph_lru_unlink(&t->idle[class_of(x)], &p, idx);
	x->live = 0;
	x->idle = 0;
	x->hnext[0] = t->free_head;
	t->free_head = idx;
	t->used--;
}

void
ph_xlate_ref(struct ph_xlatetab *t, uint32_t idx)
{
	struct ph_xlate *x = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	if (x->idle) {
		ph_lru_unlink(&t->idle[class_of(x)], &p, idx);
		x->idle = 0;
	}
	x->refs++;
}

void
ph_xlate_unref(struct ph_xlatetab *t, uint32_t idx, ph_time_t now)
{
	struct ph_xlate *x = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	if (x->refs == 0 || --x->refs != 0)
		return;
	x->idle_since = now;
	x->idle = 1;
	ph_lru_push(&t->idle[class_of(x)], &p, idx);
}

uint32_t
ph_xlate_expired(const struct ph_xlatetab *t, unsigned c, uint32_t timeout_sec,
		 ph_time_t now)
{
	const struct ph_xlate *x;
	uint32_t idx;

	if (c >= PH_XC_MAX || timeout_sec == 0)
		return PH_IDX_NONE;
	idx = t->idle[c].head;
	if (idx == PH_IDX_NONE)
		return PH_IDX_NONE;
	x = &t->pool[idx];
	if (now.ns < x->idle_since.ns ||
	    now.ns - x->idle_since.ns < (uint64_t)timeout_sec * PH_NSEC_PER_SEC)
		return PH_IDX_NONE;
	return idx;
}
