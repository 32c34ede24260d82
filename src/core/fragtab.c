/*
 * core/fragtab.c - the bounded fragment table of fragtab.h: chained hash
 * by index, one LRU list (all entries share one timeout).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/fragtab.h"

static inline struct ph_lru_pool
lru_pool(const struct ph_fragtab *t)
{
	struct ph_lru_pool p = { t->pool, sizeof(struct ph_frag),
				 offsetof(struct ph_frag, lru) };
	return p;
}

static inline void
kwords(const struct ph_frag_key *k, uint64_t *w0, uint64_t *w1)
{
	*w0 = (uint64_t)k->src << 32 | k->dst;
	*w1 = (uint64_t)k->ip_id << 32 | (uint64_t)k->proto << 16 | k->ifidx;
}

static inline uint32_t
bucket(const struct ph_fragtab *t, const struct ph_frag_key *k)
{
	uint64_t w0, w1;

	kwords(k, &w0, &w1);
	return (uint32_t)ph_siphash_2w(&t->key, w0, w1) & t->mask;
}

static inline bool
keq(const struct ph_frag_key *a, const struct ph_frag_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->ip_id == b->ip_id &&
	       a->proto == b->proto && a->ifidx == b->ifidx;
}

static inline bool
expired(const struct ph_frag *f, ph_time_t now)
{
	return now.ns >= f->last.ns &&
	       now.ns - f->last.ns >=
		       (uint64_t)PH_FRAG_TIMEOUT_SEC * PH_NSEC_PER_SEC;
}

struct ph_fragtab *
ph_fragtab_new(uint32_t max, const struct ph_hash_key *k)
{
	struct ph_fragtab *t;
	uint32_t nb = 16;

	if (max == 0 || max > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	while (nb < max)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->pool = calloc(max, sizeof(*t->pool));
	t->buckets = calloc(nb, sizeof(*t->buckets));
	if (t->pool == NULL || t->buckets == NULL) {
		ph_fragtab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->max = max;
	t->mask = nb - 1;
	t->free_head = PH_IDX_NONE;
	t->key = *k;
	ph_lru_init(&t->lru);
	return t;
}

void
ph_fragtab_free(struct ph_fragtab *t)
{
	if (t == NULL)
		return;
	free(t->pool);
	free(t->buckets);
	free(t);
}

static void
del(struct ph_fragtab *t, uint32_t idx)
{
	struct ph_frag *f = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);
	uint32_t *pp = &t->buckets[bucket(t, &f->k)];

	while (*pp != 0) {
		if (*pp == idx + 1) {
			*pp = f->hnext;
			break;
		}
		pp = &t->pool[*pp - 1].hnext;
	}
	ph_lru_unlink(&t->lru, &p, idx);
	f->live = 0;
	f->hnext = t->free_head;
	t->free_head = idx;
	t->used--;
}

static struct ph_frag *
lookup(struct ph_fragtab *t, const struct ph_frag_key *k)
{
	uint32_t n = t->buckets[bucket(t, k)];

	while (n != 0) {
		struct ph_frag *f = &t->pool[n - 1];

		if (keq(&f->k, k))
			return f;
		n = f->hnext;
	}
	return NULL;
}

struct ph_frag *
ph_frag_find(struct ph_fragtab *t, const struct ph_frag_key *k, ph_time_t now)
{
	struct ph_frag *f = lookup(t, k);

	if (f != NULL && expired(f, now)) {
		del(t, (uint32_t)(f - t->pool));
		return NULL;
	}
	return f;
}

struct ph_frag *
ph_frag_add(struct ph_fragtab *t, const struct ph_frag_key *k, ph_time_t now)
{
	struct ph_lru_pool p = lru_pool(t);
	struct ph_frag *f = ph_frag_find(t, k, now);
	uint32_t idx, b;

	if (f != NULL) {
		ph_frag_touch(t, f, now);
		return f;
	}
	if (t->used >= t->max) {
		if (t->lru.head == PH_IDX_NONE ||
		    !expired(&t->pool[t->lru.head], now)) {
			t->full++;
			return NULL;
		}
		del(t, t->lru.head);
	}
	if (t->free_head != PH_IDX_NONE) {
		idx = t->free_head;
		t->free_head = t->pool[idx].hnext;
	} else {
		idx = t->fresh++;
	}
	f = &t->pool[idx];
	memset(f, 0, sizeof(*f));
	f->k = *k;
	f->k.pad = 0;
	f->live = 1;
	f->last = now;
	b = bucket(t, k);
	f->hnext = t->buckets[b];
	t->buckets[b] = idx + 1;
	ph_lru_push(&t->lru, &p, idx);
	t->used++;
	return f;
}

void
ph_frag_touch(struct ph_fragtab *t, struct ph_frag *f, ph_time_t now)
{
	struct ph_lru_pool p = lru_pool(t);

	f->last = now;
	ph_lru_touch(&t->lru, &p, (uint32_t)(f - t->pool));
}

unsigned
ph_frag_expire(struct ph_fragtab *t, ph_time_t now, unsigned budget)
{
	unsigned n = 0;

	while (n < budget && t->lru.head != PH_IDX_NONE &&
	       expired(&t->pool[t->lru.head], now)) {
		del(t, t->lru.head);
		n++;
	}
	return n;
}
