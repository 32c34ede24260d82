/*
 * core/acl_int.h - what the ACL compiler's files share: the compact rule
 * (struct acl_cand) and its match, the radix sort and binary search of
 * the build, and the host directory (acl_hostdir.c) that acl.c puts in
 * front of a list's tree.  Not for use outside src/core/acl*.c.
 */
#ifndef PH_CORE_ACL_INT_H
#define PH_CORE_ACL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/acl.h"

#define CAND_PORTS    0x01 /* tcp/udp with a port condition */
#define CAND_SNEG     0x02 /* source port: neq (outside [slo, shi]) */
#define CAND_DNEG     0x04 /* destination port: neq */
#define CAND_TYPED    0x08 /* icmp with a type */
#define CAND_ANYPROTO 0x10 /* `ip`: every protocol */

/* What a table slot holds: `kind`, the last byte of both layouts. */
enum { SLOT_EMPTY, SLOT_RULE, SLOT_SUB };

/* One compiled entry, compact (32 bytes: two per cache line). */
struct acl_cand {
	uint32_t src, smask, dst, dmask;
	int32_t idx; /* index in pol->aces / pol->conduits */
	uint16_t slo, shi, dlo, dhi;
	uint8_t proto; /* unless CAND_ANYPROTO */
	uint8_t icmp;  /* if CAND_TYPED */
	uint8_t flags;
	uint8_t kind; /* SLOT_RULE */
};

/* No match (yet): above every entry index. */
#define NO_MATCH INT32_MAX

static inline bool
in_range(uint16_t p, uint16_t lo, uint16_t hi, bool neg)
{
	return (p >= lo && p <= hi) != neg;
}

/* The layer-4 part of a match (ports or icmp type; never both). */
static inline bool
cand_match_l4(const struct acl_cand *c, const struct ph_acl_key *k)
{
	if (k->no_ports)
		return false;
	if (c->flags & CAND_TYPED)
		return k->icmp_type == c->icmp;
	return in_range(k->sport, c->slo, c->shi, c->flags & CAND_SNEG) &&
	       in_range(k->dport, c->dlo, c->dhi, c->flags & CAND_DNEG);
}

static inline bool
cand_match(const struct acl_cand *c, const struct ph_acl_key *k)
{
	if (((k->src & c->smask) ^ c->src) | ((k->dst & c->dmask) ^ c->dst))
		return false;
	if (!(c->flags & CAND_ANYPROTO) && c->proto != k->proto)
		return false;
	return !(c->flags & (CAND_PORTS | CAND_TYPED)) || cand_match_l4(c, k);
}

/* Can rule c match tcp/udp packets? */
static inline bool
cand_tcpudp(const struct acl_cand *c)
{
	return (c->flags & CAND_ANYPROTO) || c->proto == 6 || c->proto == 17;
}

/* Sort a[0..n) by the upper 32 bits, stably (LSD radix); tmp holds n. */
void ph_acl_sort_hi32(uint64_t *a, uint64_t *tmp, uint32_t n);

/* Sort a[0..n) by the upper 32 bits (the lower ones zero) and keep each
 * value once, at the front; returns how many; tmp holds n. */
uint32_t ph_acl_distinct_hi32(uint64_t *a, uint64_t *tmp, uint32_t n);

/* First of keys[0..n) (ascending) that is >= v. */
uint32_t ph_acl_lower_bound(const uint64_t *keys, uint32_t n, uint64_t v);

/*
 * The host directory of one list (acl_hostdir.c): for tcp/udp packets to
 * a destination host that the list names, every rule that can match them
 * in one table bucket.  Built and freed in pairs; its layout is in
 * core/acl_hostdir.h only for the inline lookup.
 */
struct ph_acl_dir;

/* A lookup the directory cannot answer: the tree must. */
#define PH_ACL_DIR_MISS (-2)

/**
 * The directory of a list's n kept rules in[] (list order), hashed with
 * (k0, k1).  NULL with *err 0 if the list names no host or the
 * directory would cost more than its limits allow (acl_hostdir.c: no
 * directory); NULL with *err -ENOMEM on failure.
 */
struct ph_acl_dir *ph_acl_dir_build(const struct acl_cand *in, uint32_t n,
				    uint64_t k0, uint64_t k1, int *err);

/** Free a directory; NULL is allowed. */
void ph_acl_dir_free(struct ph_acl_dir *d);

/* ph_acl_dir_lookup(): inline, in core/acl_hostdir.h. */

/** Statistics of d (NULL: none): cells, rules in cells beyond the
 * list's own, bytes. */
uint32_t ph_acl_dir_cells(const struct ph_acl_dir *d);
uint32_t ph_acl_dir_copies(const struct ph_acl_dir *d);
size_t ph_acl_dir_mem(const struct ph_acl_dir *d);

#endif /* PH_CORE_ACL_INT_H */
