/*
 * core/acl_hostdir.h - the host directory's table and its lookup, inline
 * for acl.c's lookup path; how it is built and why it looks like this:
 * src/core/acl_hostdir.c.  Not for use outside src/core/acl*.c.
 */
#ifndef PH_CORE_ACL_HOSTDIR_H
#define PH_CORE_ACL_HOSTDIR_H

#include <stdint.h>

#include "core/acl_int.h"

/* Cell keys: host << 32 | protocol << 16 | port, or a block or "other"
 * in place of the port.  Never 0 (the protocol is 6 or 17). */
#define HD_OTHER      (1ULL << 24)
#define HD_BLOCK      (2ULL << 24)
#define HD_BLOCK_BITS 12 /* 16 blocks of 4096 ports */
#define HD_NARROW     4	 /* blocks a narrow rule may touch */

/* A list's directory (src/core/acl_hostdir.c). */
struct ph_acl_dir {
	struct hd_bucket *tab; /* a bucket per cell */
	struct hd_rule *rules; /* rules past a bucket's inline ones */
	struct acl_cand *full; /* rules checked in full */
	uint64_t k0, k1;       /* the index's hash key */
	uint32_t mask;	       /* buckets - 1 */
	uint32_t cells;
	uint32_t n_rules, n_full;
	uint32_t copies; /* rules in cells beyond the list's own */
	uint8_t shift;	 /* hash shift: 64 - log2(buckets) */
};

/* A rule of a cell, 16 bytes: within its cell it matches a packet whose
 * source is under src/smask and whose destination port is in [dlo, dhi];
 * idx < 0 marks a rule with more conditions (source port, neq), checked
 * in full in d->full[-1 - idx] after those two. */
struct hd_rule {
	uint32_t src, smask;
	uint16_t dlo, dhi;
	int32_t idx;
};

/* A bucket, one cache line: a cell's key, its first HD_INLINE rules, the
 * others at d->rules[off ..]. */
#define HD_INLINE 3
struct hd_bucket {
	uint64_t key; /* 0: empty */
	uint32_t off, cnt;
	struct hd_rule r[HD_INLINE];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct hd_bucket) == 64, "a bucket is a cache line");

static inline uint64_t
hd_key(uint32_t host, uint8_t proto, uint64_t port)
{
	return (uint64_t)host << 32 | (uint64_t)proto << 16 | port;
}

/* The two buckets a key may sit in (cuckoo hashing): keyed multiply-shift
 * with the two halves of the index's key swapped. */
static inline uint32_t
hd_hash1(const struct ph_acl_dir *d, uint64_t key)
{
	return (uint32_t)(((key ^ d->k0) * d->k1) >> d->shift);
}

static inline uint32_t
hd_hash2(const struct ph_acl_dir *d, uint64_t key)
{
	return (uint32_t)(((key ^ d->k1) * (d->k0 | 1)) >> d->shift);
}

/* ---- lookup ---- */

/* The bucket of key, of the two it may sit in; both are read, so the
 * lookup has no walk whose length a branch must guess. */
static inline const struct hd_bucket *
hd_find(const struct ph_acl_dir *d, uint64_t key)
{
	const struct hd_bucket *a = &d->tab[hd_hash1(d, key)];
	const struct hd_bucket *b = &d->tab[hd_hash2(d, key)];

	if (a->key == key)
		return a;
	return b->key == key ? b : NULL;
}

/* The "other" cell of key ko: its key carries, in the port's place, the
 * blocks that have cells. */
static inline const struct hd_bucket *
hd_find_other(const struct ph_acl_dir *d, uint64_t ko)
{
	const struct hd_bucket *a = &d->tab[hd_hash1(d, ko)];
	const struct hd_bucket *b = &d->tab[hd_hash2(d, ko)];

	if ((a->key & ~0xffffULL) == ko)
		return a;
	return (b->key & ~0xffffULL) == ko ? b : NULL;
}

/* r's entry index if it matches k (in its cell), else NO_MATCH. */
static inline int32_t
hd_check(const struct ph_acl_dir *d, const struct hd_rule *r,
	 const struct ph_acl_key *k)
{
	if (!(((k->src & r->smask) == r->src) & (k->dport >= r->dlo) &
	      (k->dport <= r->dhi)))
		return NO_MATCH;
	if (r->idx >= 0)
		return r->idx;
	if (cand_match(&d->full[-1 - r->idx], k))
		return d->full[-1 - r->idx].idx;
	return NO_MATCH;
}

/*
 * First match for k, NO_MATCH if no entry matches, or PH_ACL_DIR_MISS if
 * k is not a tcp/udp packet (with ports) to one of d's hosts.  Inline: it
 * is the whole lookup of a list with a directory (acl.c dir_lookup()).
 */
static inline int32_t
ph_acl_dir_lookup(const struct ph_acl_dir *d, const struct ph_acl_key *k)
{
	const struct hd_bucket *s;
	uint32_t n;
	int32_t m;

	if (k->no_ports || (k->proto != 6 && k->proto != 17))
		return PH_ACL_DIR_MISS;
	s = hd_find(d, hd_key(k->dst, k->proto, k->dport));
	if (s == NULL) {
		uint32_t blk = k->dport >> HD_BLOCK_BITS;

		s = hd_find_other(d, hd_key(k->dst, k->proto, HD_OTHER));
		if (s == NULL)
			return PH_ACL_DIR_MISS;
		if (s->key >> blk & 1) /* built with the "other" cell */
			s = hd_find(d,
				    hd_key(k->dst, k->proto, HD_BLOCK | blk));
	}
	n = s->cnt < HD_INLINE ? s->cnt : HD_INLINE;
	for (uint32_t j = 0; j < n; j++) {
		if ((m = hd_check(d, &s->r[j], k)) != NO_MATCH)
			return m;
	}
	for (uint32_t j = HD_INLINE; j < s->cnt; j++) {
		m = hd_check(d, &d->rules[s->off + j - HD_INLINE], k);
		if (m != NO_MATCH)
			return m;
	}
	return NO_MATCH;
}

#endif /* PH_CORE_ACL_HOSTDIR_H */
