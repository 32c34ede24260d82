/*
 * core/conn.c - the two-key connection table (see conn.h).
 *
 * Hash chains are threaded through the entries: a "node" is one key of
 * one entry, named (idx << 1 | dir); buckets and hnext[] hold node + 1 so
 * that zeroed memory is an empty table.  Free entries are chained through
 * hnext[0]; entries past `fresh` have never been used, so a large pool
 * costs no memory until it fills (pool and buckets come from mmap, with
 * transparent huge pages asked for).  The lazy expiry lists are described
 * in conn.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "config/model.h"
#include "core/conn.h"
#include "core/pkt.h"

#define NODE(idx, dir) (((idx) << 1 | (uint32_t)(dir)) + 1)
#define NODE_IDX(n)    (((n)-1) >> 1)
#define NODE_DIR(n)    (((n)-1) & 1)
#define TC_FREE	       0xff

static const struct {
	unsigned to;
	const char *name;
} tclass_defs[PH_TC_MAX] = {
#define PH_TCLASS_DEF(id, to_, name_) [PH_TC_##id] = { to_, name_ },
	PH_TCLASSES(PH_TCLASS_DEF)
#undef PH_TCLASS_DEF
};

const char *
ph_tclass_name(unsigned c)
{
	return c < PH_TC_MAX ? tclass_defs[c].name : "?";
}

unsigned
ph_tclass_timeout(unsigned c)
{
	return c < PH_TC_MAX ? tclass_defs[c].to : PH_TO_CONN;
}

static inline struct ph_lru_pool
lru_pool(const struct ph_conntab *t)
{
	struct ph_lru_pool p = { t->pool, sizeof(struct ph_conn),
				 offsetof(struct ph_conn, lru) };
	return p;
}

/* The words hashed and compared: GRE ignores sport (see conn.h). */
static inline void
key_words(const struct ph_flow_key *k, uint64_t *w0, uint64_t *w1)
{
	uint16_t sport = k->proto == PH_IPPROTO_GRE ? 0 : k->sport;

	*w0 = (uint64_t)k->src << 32 | k->dst;
	*w1 = (uint64_t)sport << 48 | (uint64_t)k->dport << 32 |
	      (uint64_t)k->proto << 16 | k->ifidx;
}

uint64_t
ph_conn_hash(const struct ph_conntab *t, const struct ph_flow_key *k)
{
	uint64_t w0, w1;

	key_words(k, &w0, &w1);
	return ph_siphash_2w(&t->key, w0, w1);
}

static inline uint32_t
key_bucket(const struct ph_conntab *t, const struct ph_flow_key *k)
{
	return (uint32_t)ph_conn_hash(t, k) & t->mask;
}

static inline uint32_t
lnk_of(ph_time_t now)
{
	return (uint32_t)(now.ns >> PH_CONN_LNK_SHIFT);
}

static inline bool
key_eq(const struct ph_flow_key *a, const struct ph_flow_key *b)
{
	uint64_t a0, a1, b0, b1;

	key_words(a, &a0, &a1);
	key_words(b, &b0, &b1);
	return a0 == b0 && a1 == b1;
}

/*
 * A big zeroed array straight from mmap: page aligned, pages mapped on
 * first use, and (from 2 MB up) offered to transparent huge pages, since
 * at a million connections a random entry is also a TLB miss; size is
 * rounded up to a page.
 */
static void *
big_alloc(size_t size)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (size >= (2u << 20))
		(void)madvise(p, size, MADV_HUGEPAGE);
#endif
	return p;
}

static void
big_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

static size_t
pool_bytes(uint32_t max)
{
	return (size_t)max * sizeof(struct ph_conn);
}

struct ph_conntab *
ph_conntab_new(uint32_t max, const struct ph_hash_key *k)
{
	struct ph_conntab *t;
	uint64_t nb = 16;
	unsigned c;

	if (max == 0 || max > PH_CONN_MAX_LIMIT) {
		errno = EINVAL;
		return NULL;
	}
	/* three buckets per entry or more: each entry has two keys, so
	 * chains average 1/3 to 2/3 of a node and a lookup rarely reads a
	 * second entry (at a million entries, another cache miss) */
	while (nb < 3 * (uint64_t)max)
		nb <<= 1;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->max = max;
	t->mask = (uint32_t)(nb - 1);
	t->pool = big_alloc(pool_bytes(max));
	t->buckets = big_alloc(nb * sizeof(*t->buckets));
	if (t->pool == NULL || t->buckets == NULL) {
		ph_conntab_free(t);
		errno = ENOMEM;
		return NULL;
	}
	t->free_head = PH_IDX_NONE;
	t->key = *k;
	for (c = 0; c < PH_TC_MAX; c++)
		ph_lru_init(&t->lru[c]);
	return t;
}

void
ph_conntab_free(struct ph_conntab *t)
{
	if (t == NULL)
		return;
	big_free(t->pool, pool_bytes(t->max));
	big_free(t->buckets, ((size_t)t->mask + 1) * sizeof(*t->buckets));
	free(t);
}

uint32_t
ph_conn_alloc(struct ph_conntab *t)
{
	uint32_t idx;
	struct ph_conn *c;

	if (t->used >= t->max)
		return PH_IDX_NONE;
	if (t->free_head != PH_IDX_NONE) {
		idx = t->free_head;
		t->free_head = t->pool[idx].hnext[0];
	} else {
		idx = t->fresh++;
	}
	c = &t->pool[idx];
	memset(c, 0, sizeof(*c));
	c->lru.prev = c->lru.next = PH_IDX_NONE;
	c->xl = PH_IDX_NONE;
	c->tclass = TC_FREE;
	t->used++;
	if (t->used > t->most_used)
		t->most_used = t->used;
	return idx;
}

void
ph_conn_release(struct ph_conntab *t, uint32_t idx)
{
	struct ph_conn *c = &t->pool[idx];

	c->tclass = TC_FREE;
	c->hnext[0] = t->free_head;
	t->free_head = idx;
	t->used--;
}

static uint32_t
find_node_h(const struct ph_conntab *t, const struct ph_flow_key *k, uint64_t h)
{
	uint32_t n = t->buckets[(uint32_t)h & t->mask];

	while (n != 0) {
		const struct ph_conn *c = &t->pool[NODE_IDX(n)];
		unsigned d = NODE_DIR(n);

		if (key_eq(&c->k[d], k))
			return n;
		n = c->hnext[d];
	}
	return 0;
}

/* prefetch_entry() covers an entry with three lines from its start. */
_Static_assert(sizeof(struct ph_conn) <= 144 &&
		       sizeof(struct ph_conn) % 16 == 0,
	       "an entry at a multiple of 16 spans at most 3 cache lines");

static inline void
prefetch_entry(const struct ph_conn *c)
{
	/* 144 bytes at a multiple of 16 from a 64-byte line: 3 lines */
	__builtin_prefetch(c, 1, 3);
	__builtin_prefetch((const char *)c + 64, 1, 3);
	__builtin_prefetch((const char *)c + 128, 1, 3);
}

uint32_t
ph_conn_prefetch(const struct ph_conntab *t, const struct ph_flow_key *k,
		 uint64_t h, unsigned stage)
{
	const uint32_t *b = &t->buckets[(uint32_t)h & t->mask];
	const struct ph_conn *c;

	if (stage == 0) {
		__builtin_prefetch(b, 0, 3);
		return PH_IDX_NONE;
	}
	if (*b == 0)
		return PH_IDX_NONE;
	c = &t->pool[NODE_IDX(*b)];
	if (stage == 1) {
		prefetch_entry(c);
		return PH_IDX_NONE;
	}
	if (key_eq(&c->k[NODE_DIR(*b)], k))
		return NODE_IDX(*b);
	if (c->hnext[NODE_DIR(*b)] != 0)
		prefetch_entry(&t->pool[NODE_IDX(c->hnext[NODE_DIR(*b)])]);
	return PH_IDX_NONE;
}

int
ph_conn_insert(struct ph_conntab *t, uint32_t idx, unsigned tclass,
	       ph_time_t now)
{
	struct ph_conn *c = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);
	uint64_t h[2];
	unsigned d;

	if (tclass >= PH_TC_MAX || key_eq(&c->k[0], &c->k[1]))
		return -EEXIST;
	/* each key hashed once, for the duplicate check and the insert */
	for (d = 0; d < 2; d++) {
		h[d] = ph_conn_hash(t, &c->k[d]);
		if (find_node_h(t, &c->k[d], h[d]) != 0)
			return -EEXIST;
	}
	for (d = 0; d < 2; d++) {
		uint32_t b = (uint32_t)h[d] & t->mask;

		c->hnext[d] = t->buckets[b];
		t->buckets[b] = NODE(idx, d);
	}
	c->tclass = (uint8_t)tclass;
	c->last = now;
	c->lnk = lnk_of(now);
	ph_lru_push(&t->lru[tclass], &p, idx);
	return 0;
}

static void
unhash(struct ph_conntab *t, uint32_t idx, unsigned d)
{
	struct ph_conn *c = &t->pool[idx];
	uint32_t *pp = &t->buckets[key_bucket(t, &c->k[d])];
	uint32_t self = NODE(idx, d);

	while (*pp != 0) {
		if (*pp == self) {
			*pp = c->hnext[d];
			c->hnext[d] = 0;
			return;
		}
		pp = &t->pool[NODE_IDX(*pp)].hnext[NODE_DIR(*pp)];
	}
}

void
ph_conn_remove(struct ph_conntab *t, uint32_t idx)
{
	struct ph_conn *c = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	if (c->tclass >= PH_TC_MAX)
		return;
	unhash(t, idx, 0);
	unhash(t, idx, 1);
	ph_lru_unlink(&t->lru[c->tclass], &p, idx);
	ph_conn_release(t, idx);
}

uint32_t
ph_conn_lookup(const struct ph_conntab *t, const struct ph_flow_key *k,
	       int *dir)
{
	return ph_conn_lookup_hashed(t, k, ph_conn_hash(t, k), dir);
}

uint32_t
ph_conn_lookup_hashed(const struct ph_conntab *t, const struct ph_flow_key *k,
		      uint64_t h, int *dir)
{
	uint32_t n = find_node_h(t, k, h);

	if (n == 0)
		return PH_IDX_NONE;
	if (dir != NULL)
		*dir = (int)NODE_DIR(n);
	return NODE_IDX(n);
}

void
ph_conn_touch(struct ph_conntab *t, uint32_t idx, ph_time_t now)
{
	struct ph_conn *c = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	c->last = now;
	c->lnk = lnk_of(now);
	ph_lru_touch(&t->lru[c->tclass], &p, idx);
}

/* log2 of the relink interval in PH_CONN_LNK units: timeout / 16. */
static inline unsigned
lnk_slot_bits(uint32_t timeout_sec)
{
	uint64_t w = (uint64_t)timeout_sec * PH_NSEC_PER_SEC / 16;
	unsigned b;

	if (timeout_sec == 0)
		return 31;
	b = 63u - (unsigned)__builtin_clzll(w | 1);
	return b <= PH_CONN_LNK_SHIFT ? 0 : b - PH_CONN_LNK_SHIFT;
}

void
ph_conn_prefetch_relink(const struct ph_conntab *t, uint32_t idx, ph_time_t now,
			uint32_t timeout_sec)
{
	const struct ph_conn *c = &t->pool[idx];

	if (lnk_of(now) - c->lnk < (1u << lnk_slot_bits(timeout_sec)))
		return;
	if (c->lru.prev != PH_IDX_NONE)
		__builtin_prefetch(&t->pool[c->lru.prev].lru, 1, 3);
	if (c->lru.next != PH_IDX_NONE)
		__builtin_prefetch(&t->pool[c->lru.next].lru, 1, 3);
}

void
ph_conn_touch_lazy(struct ph_conntab *t, uint32_t idx, ph_time_t now,
		   uint32_t timeout_sec)
{
	struct ph_conn *c = &t->pool[idx];
	uint32_t q = lnk_of(now);
	struct ph_lru_pool p;

	c->last = now;
	if (q - c->lnk < (1u << lnk_slot_bits(timeout_sec)))
		return;
	p = lru_pool(t);
	c->lnk = q;
	ph_lru_touch(&t->lru[c->tclass], &p, idx);
}

void
ph_conn_set_class(struct ph_conntab *t, uint32_t idx, unsigned tclass,
		  ph_time_t now)
{
	struct ph_conn *c = &t->pool[idx];
	struct ph_lru_pool p = lru_pool(t);

	if (tclass >= PH_TC_MAX)
		return;
	ph_lru_unlink(&t->lru[c->tclass], &p, idx);
	c->tclass = (uint8_t)tclass;
	c->last = now;
	c->lnk = lnk_of(now);
	ph_lru_push(&t->lru[tclass], &p, idx);
}

bool
ph_conn_is_expired(const struct ph_conn *c, uint32_t timeout_sec, ph_time_t now)
{
	if (timeout_sec == 0)
		return false;
	return now.ns >= c->last.ns &&
	       now.ns - c->last.ns >= (uint64_t)timeout_sec * PH_NSEC_PER_SEC;
}

uint32_t
ph_conn_expired_from(const struct ph_conntab *t, unsigned c,
		     uint32_t timeout_sec, ph_time_t now, uint32_t from,
		     unsigned *scan)
{
	uint64_t to_ns = (uint64_t)timeout_sec * PH_NSEC_PER_SEC;
	uint32_t idx;

	if (c >= PH_TC_MAX || timeout_sec == 0 || now.ns < to_ns)
		return PH_IDX_NONE;
	idx = from == PH_IDX_NONE ? t->lru[c].head : from;
	while (idx != PH_IDX_NONE) {
		const struct ph_conn *e = &t->pool[idx];

		/* linked less than a timeout ago: nothing from here on */
		if (((uint64_t)e->lnk << PH_CONN_LNK_SHIFT) > now.ns - to_ns)
			return PH_IDX_NONE;
		if (ph_conn_is_expired(e, timeout_sec, now))
			return idx;
		if (scan != NULL) {
			if (*scan == 0)
				return PH_IDX_NONE;
			(*scan)--;
		}
		idx = e->lru.next;
	}
	return PH_IDX_NONE;
}

uint32_t
ph_conn_expired(const struct ph_conntab *t, unsigned c, uint32_t timeout_sec,
		ph_time_t now)
{
	return ph_conn_expired_from(t, c, timeout_sec, now, PH_IDX_NONE, NULL);
}

bool
ph_conn_live(const struct ph_conntab *t, uint32_t idx)
{
	return idx < t->fresh && t->pool[idx].tclass < PH_TC_MAX;
}
