/*
 * core/acl.c - compiled first-match ACL lookup (a decision tree of keyed
 * hash cuts) and the linear reference it must agree with.
 *
 * Every list (each ACL, and the conduits) is copied into compact rules
 * ("cands", 32 bytes: masks, protocol, port intervals, icmp type, original
 * index).  Entries that can match nothing (`lt 0`, ports on `ip`) or that
 * repeat an earlier entry exactly (never a first match) are dropped.  A
 * list shorter than the linear threshold is scanned in order.  A longer
 * one becomes a tree.  A node holding few rules is a leaf: its run of
 * rules, in list order, checked one by one.  Any other node is a cut on
 * one key word of the packet, masked to its first L bits:
 *
 *   dst/L    the destination, selecting the rules whose destination prefix
 *            is at least L long;
 *   src/L    the same on the source;
 *   proto    the protocol, selecting every rule that is not `ip`;
 *   port/L   the port word, protocol << 16 | destination port (icmp: 1 <<
 *            16 | type), selecting the rules whose port condition lies in
 *            one block of 2^(32-L) ports: `eq` at 32, a range at the bits
 *            its ends share;
 *   dp/L     a tuple: host destination and port word in one 56-bit key
 *            (dst << 24 | port word/L), selecting host rules whose port
 *            condition lies in one block.
 *
 * The cut is an open-addressing table (seeded multiply-shift hash, at most
 * a quarter full).  For each key it holds either the key's rules
 * themselves, one 32-byte slot each (up to LEAF_MAX rules, so a hit costs
 * the line the probe reads), or the root of a sub-tree, copied into the
 * slot (more rules).  The rules the key cannot select (a shorter prefix,
 * `ip`, wider ranges, other hosts) form the node's wildcard child,
 * compiled the same way.
 *
 * Complete cuts.  A cut may also copy each wildcard rule into every bucket
 * whose block it shares packets with, narrowed to that block (a /24 entry
 * copied into a host's bucket becomes that host; a portless or range entry
 * copied into a port block keeps the ports inside it; `ip` becomes the
 * bucket's protocol: cand_restrict()).  The copy keeps the entry's index,
 * so first match is unchanged, and it matches exactly the packets of that
 * key that the entry matches.  A lookup that finds its key's bucket in a
 * complete cut then has every rule that can match it and skips the
 * wildcard chain; one that finds no bucket searches the wildcard child
 * (which keeps the originals) as before.  Copies are bounded: COPY_NODE
 * times a node's rules, COPY_LIST times the list's.  A copy that cannot
 * be one rule (a `neq` port inside a block of ports, an untyped icmp
 * entry over a block of types) keeps the cut plain.
 *
 * A lookup computes the packet's key words once.  At each node it probes
 * ONE table and walks from the hash to the first empty slot: a rule met
 * there either carries the packet's key or cannot match it (its key, or
 * the block it was narrowed to, is part of what it matches), and the rules
 * of one key lie in list order along the walk (each went into the first
 * empty slot after the previous one), so the first rule that matches is
 * the key's first match.  Then it continues into the wildcard child,
 * unless the cut was complete and had the key, or the child's lowest
 * entry index already comes after the best match (priority pruning).
 *
 * Choosing the cut: every candidate (each dimension at each length
 * present) is scored by the expected number of rules left to search for a
 * packet aimed at a random rule of the node, sum(bucket^2)/n + |wildcard|,
 * a bucket too big to sit inline counting its rules as half wildcard rules
 * (bucket_score()); the lowest wins.  Whether it is made complete is
 * decided on an estimate of what a lookup then pays (node_estimate(): a
 * scan of a small bucket, a probe per level of a tree otherwise) against
 * the plain cut, where every lookup pays the wildcard chain
 * (complete_pays()).  The sub-tree it builds is then costed (COST_PROBE
 * per table, COST_RULE per rule checked) against a scan of the node's
 * rules, and a cut that does not pay is undone.  Each cut consumes its key
 * (a longer prefix, proto or port once), so depth follows the key space,
 * not the number of entries; max_probes in ph_acl_stats bounds a built
 * list.
 *
 * Why this design for object-group expansions.  Such a list is a union of
 * cross products (sources x servers x services): ~25 entries per server
 * that overlap on every single key, plus subnet-wide blocks.  Cut on one
 * key at a time, each server needed its own source and port cuts, and the
 * /24 blocks, ranges and portless services a wildcard chain that every
 * lookup walked: 4-6 tables per lookup at 100,000 entries.  The tuple cut
 * resolves server and service in one probe, and complete cuts remove the
 * chain for every lookup that finds its bucket.  Kept out, with reasons:
 * per-field equivalence classes combined by bitmap AND (bit-vector, ABV,
 * TurboACL's per-field tables) make a lookup a handful of dependent table
 * reads plus an AND over n/64 words (1,600 at 100,000 entries, or its
 * aggregate and the words it points to), and the cross-producted tables
 * of four fields grow with the product of their class counts; equal
 * sub-trees are not merged (the copies narrowed to different blocks are
 * not equal).  Replication with a budget keeps the one-probe-per-level
 * lookup, and first match exact by construction.
 *
 * What the trees look like, from bench/acl_bench.c's families (figures:
 * docs/performance.md, "ACL lookup"):
 *
 *   outside    hosts and subnets spread over the address space, `eq`
 *              ports, some ranges: dst/16 then a port cut for the `any`
 *              destinations up to ~10,000 entries; at 100,000 dst/24,
 *              then port and dst/16: 2-3 probes a lookup; few copies;
 *   blocklist  `deny ip host any` by source: src/32 then src/24, two
 *              probes at any size, no copies;
 *   objgroups  a complete dp cut (server and service block), its buckets
 *              holding the copies of the portless and /24 entries; its
 *              wildcard a complete dst/32 cut, then port blocks: 1-2
 *              probes for a lookup that matches, 2-4 for one that does
 *              not (it must reach the portless entries of its server).
 *              Its tcp/udp packets to servers are answered by the host
 *              directory instead: one probe, two for a denied one.
 *
 * Host directory.  A compiled list that names destination hosts also gets
 * the directory of src/core/acl_hostdir.c: for a tcp/udp packet to one of
 * those hosts, one bucket holds every rule that can match it (by host,
 * protocol and port), so the lookup answers there and never reaches the
 * tree.  Lists whose `any` or short destinations would be copied into
 * too many hosts (outside, blocklist) get none; packets to other
 * destinations, icmp and fragments take the tree.  It brought the
 * objgroups lists from 2.7x / 3.0x to about 1.5x (docs/performance.md).
 *
 * Deny filter.  A list whose root is a complete cut with a wildcard child
 * and whose tcp/udp entries all have destinations of /24 or longer gets
 * a bitmap of 512-bit lines per (destination host or /24, protocol):
 * port blocks of narrow entries, source /24s of wide ones (filt_maybe()).
 * A packet that misses the root and the filter matches nothing: it
 * returns after one probe instead of walking the wildcard chain.  In
 * front of the tree it cost matching lookups 5-20 ns on the project's
 * machine, so it sits behind the root (docs/performance.md).
 *
 * The hash multiplier is drawn from the seed until it spreads neighbouring
 * keys (mult_ok()); a sender only chooses which slot to probe, never adds
 * to one, so a keyed multiply-shift is enough against flooding.
 *
 * Build: each node radix-sorts its rules once per dimension and scores
 * every prefix length in one pass per length; copies cost a binary search
 * per wildcard rule and a step per bucket it covers.  100,000 entries
 * compile in 17-80 ms, 1,000,000 in 0.25-0.95 s on the project's machine.
 *
 * Known limits: a lookup that misses a complete cut still walks the
 * wildcard child, so a packet no entry matches (a denied one) probes at
 * least two tables in an objgroups-shaped list that has no host
 * directory (servers named by /24 only); entries that share every
 * key and differ only by source ports or neq/lt/gt stay in one leaf
 * (ph_acl_stats.max_run); copies cost memory (ph_acl_stats.replicas, up to
 * COPY_LIST times the entries); a list holds at most PH_ACL_EXPANDED_MAX
 * entries (-E2BIG).
 */
#include "core/acl.h"
#include "core/acl_hostdir.h"
#include "core/acl_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"

/* What a node keys on: indexes into struct acl_pkt's words. */
enum {
	DIM_DST,
	DIM_SRC,
	DIM_PROTO,
	DIM_PORT,
	DIM_DP, /* destination host and port word: dst << 24 | port word */
	DIM_N,
	DIM_LEAF = DIM_N
};

struct acl_node {
	uint32_t mask;	 /* key mask: a prefix, or all ones */
	uint32_t first;	 /* cut: first slot of its table; leaf: of its run */
	uint32_t count;	 /* cut: slots - 1; leaf: run length */
	uint32_t wild;	 /* node of the rules the key cannot select; 0 none */
	int32_t min_idx; /* lowest entry index under this node */
	uint8_t dim;	 /* DIM_* */
	uint8_t shift;	 /* hash: 64 - log2(table slots) */
	bool complete;	 /* a key's bucket holds every rule that can match
			  * it: a hit skips the wildcard child */
};

/* A bucket too big to hold inline: the root of its sub-tree, copied into
 * the slot so that descending costs no extra memory access. */
struct acl_sub {
	struct acl_node nd;
	uint32_t key;	/* bits 0-31 of the key */
	uint8_t khi[3]; /* bits 32-55 (DIM_DP) */
	uint8_t kind;	/* SLOT_SUB */
};

/*
 * A table slot, or an entry of a run: a rule (each rule of a small bucket
 * has its own slot, so a hit reads one cache line), or a sub-tree.
 */
union acl_slot {
	struct acl_cand c;
	struct acl_sub s;
};

_Static_assert(sizeof(union acl_slot) == 32, "two slots per cache line");
_Static_assert(sizeof(union acl_slot) == sizeof(struct acl_cand),
	       "the kept rules, as slots, are an array of rules");
_Static_assert(offsetof(struct acl_cand, kind) ==
		       offsetof(struct acl_sub, kind),
	       "kind at the same place in both layouts");
_Static_assert(offsetof(struct acl_sub, khi) ==
			       offsetof(struct acl_sub, key) + 4 &&
		       offsetof(struct acl_sub, kind) ==
			       offsetof(struct acl_sub, key) + 7,
	       "a sub-tree's key: 7 bytes in a row, then kind");

struct acl_list {
	uint32_t n;	  /* entries of the list */
	uint32_t n_cands; /* kept (entries that can match) */
	bool compiled;
	struct ph_acl_dir *dir; /* host directory (acl_hostdir.c); NULL none */
	union acl_slot *slots;	/* linear: the kept rules in list order;
				 * compiled: tables and leaf runs */
	uint32_t n_slots;
	struct acl_node *nodes; /* root first */
	uint32_t n_nodes;
	uint32_t keys;	     /* distinct keys over all tables */
	uint32_t max_run;    /* largest inline bucket or leaf */
	uint32_t copies;     /* rules replicated into complete cuts' buckets */
	uint64_t *filt;	     /* deny filter: host lines, then /24 lines; NULL
			   * if the list has none (filt_build()) */
	uint32_t filt_hosts; /* host lines (a power of two) */
	uint32_t filt_nets;  /* /24 lines (a power of two), 0 if none */
	uint8_t filt_hshift; /* hash shifts of the two kinds of line */
	uint8_t filt_nshift;
};

struct ph_acl_index {
	uint64_t k0, k1;	/* hash key; k1 odd */
	struct acl_list *lists; /* n_acls lists, then the conduits */
	uint32_t n_acls;
};

/* ---- reference semantics on struct ph_ace ---- */

static bool
port_op_match(const struct ph_portspec *ps, uint16_t port)
{
	switch (ps->op) {
	case PH_PORT_ANY:
		return true;
	case PH_PORT_EQ:
		return port == ps->lo;
	case PH_PORT_NEQ:
		return port != ps->lo;
	case PH_PORT_LT:
		return port < ps->lo;
	case PH_PORT_GT:
		return port > ps->lo;
	case PH_PORT_RANGE:
		return port >= ps->lo && port <= ps->hi;
	default:
		return false;
	}
}

bool
ph_ace_match(const struct ph_ace *e, const struct ph_acl_key *k)
{
	bool ports = e->sport.op != PH_PORT_ANY || e->dport.op != PH_PORT_ANY;

	if ((k->src & e->src.mask) != (e->src.addr & e->src.mask) ||
	    (k->dst & e->dst.mask) != (e->dst.addr & e->dst.mask))
		return false;
	if (e->proto != PH_PROTO_ANY && e->proto != k->proto)
		return false;
	if (ports) {
		if (k->no_ports || (e->proto != 6 && e->proto != 17))
			return false;
		if (!port_op_match(&e->sport, k->sport) ||
		    !port_op_match(&e->dport, k->dport))
			return false;
	}
	if (e->icmp_type != PH_ICMP_ANY) {
		if (e->proto != 1 || k->no_ports ||
		    k->icmp_type != e->icmp_type)
			return false;
	}
	return true;
}

static int32_t
linear_scan(const struct ph_ace *aces, size_t n, const struct ph_acl_key *k)
{
	for (size_t i = 0; i < n; i++) {
		if (ph_ace_match(&aces[i], k))
			return (int32_t)i;
	}
	return -1;
}

/*
 * The compiled entries of one ACL.  An ACL of remarks only has no entries,
 * and a policy with no entries at all has aces == NULL: never form
 * NULL + 0, which C leaves undefined.
 */
static const struct ph_ace *
acl_entries(const struct ph_policy *pol, const struct ph_acl *a)
{
	return a->count > 0 ? pol->aces + a->first : NULL;
}

int32_t
ph_acl_lookup_linear(const struct ph_policy *pol, uint32_t acl_no,
		     const struct ph_acl_key *k)
{
	const struct ph_acl *a;
	int32_t i;

	if (acl_no >= pol->n_acls)
		return -1;
	a = &pol->acls[acl_no];
	i = linear_scan(acl_entries(pol, a), a->count, k);
	return i < 0 ? -1 : (int32_t)a->first + i;
}

int32_t
ph_acl_lookup_conduit_linear(const struct ph_policy *pol,
			     const struct ph_acl_key *k)
{
	return linear_scan(pol->conduits, pol->n_conduits, k);
}

/* ---- compact rules ---- */

/* Port condition as an interval [lo, hi], negated for neq; false if it
 * can match no port. */
static bool
cand_ports(const struct ph_portspec *ps, uint16_t *lo, uint16_t *hi,
	   uint8_t *flags, uint8_t neg)
{
	*lo = 0;
	*hi = 0xffff;
	switch (ps->op) {
	case PH_PORT_EQ:
		*lo = *hi = ps->lo;
		break;
	case PH_PORT_NEQ:
		*lo = *hi = ps->lo;
		*flags |= neg;
		break;
	case PH_PORT_LT:
		*hi = ps->lo - 1;
		return ps->lo != 0;
	case PH_PORT_GT:
		*lo = ps->lo + 1;
		return ps->lo != 0xffff;
	case PH_PORT_RANGE:
		*lo = ps->lo;
		*hi = ps->hi;
		return ps->lo <= ps->hi;
	}
	return true;
}

static bool
mask_ok(uint32_t m)
{
	return (m & (~m >> 1)) == 0 || m == 0; /* contiguous from the top */
}

/*
 * Compact form of entry e: 0, 1 if it can match nothing (dropped), or
 * -EINVAL on an entry the model forbids.
 */
static int
cand_make(struct acl_cand *c, const struct ph_ace *e, int32_t idx)
{
	bool ok = true;

	if (e->proto < PH_PROTO_ANY || e->proto > 255 ||
	    e->icmp_type < PH_ICMP_ANY || e->icmp_type > 255 ||
	    e->sport.op > PH_PORT_RANGE || e->dport.op > PH_PORT_RANGE ||
	    !mask_ok(e->src.mask) || !mask_ok(e->dst.mask))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->smask = e->src.mask;
	c->src = e->src.addr & e->src.mask;
	c->dmask = e->dst.mask;
	c->dst = e->dst.addr & e->dst.mask;
	c->idx = idx;
	c->kind = SLOT_RULE;
	if (e->proto == PH_PROTO_ANY)
		c->flags |= CAND_ANYPROTO;
	else
		c->proto = (uint8_t)e->proto;
	ok &= cand_ports(&e->sport, &c->slo, &c->shi, &c->flags, CAND_SNEG);
	ok &= cand_ports(&e->dport, &c->dlo, &c->dhi, &c->flags, CAND_DNEG);
	if (e->sport.op != PH_PORT_ANY || e->dport.op != PH_PORT_ANY) {
		c->flags |= CAND_PORTS;
		ok &= e->proto == 6 || e->proto == 17;
	}
	if (e->icmp_type != PH_ICMP_ANY) {
		c->flags |= CAND_TYPED;
		c->icmp = (uint8_t)e->icmp_type;
		ok &= e->proto == 1;
	}
	return ok ? 0 : 1;
}

/* ---- keys ---- */

/* A port key no rule has: rule keys are below 1 << 24. */
#define NO_KEY UINT32_MAX

/* The packet's key words, computed once per lookup. */
struct acl_pkt {
	uint32_t w[DIM_DP]; /* the DIM_DP word is made from two: pkt_key() */
	const struct ph_acl_key *k;
};

static inline void
pkt_make(struct acl_pkt *p, const struct ph_acl_key *k)
{
	p->k = k;
	p->w[DIM_DST] = k->dst;
	p->w[DIM_SRC] = k->src;
	p->w[DIM_PROTO] = k->proto;
	p->w[DIM_PORT] = NO_KEY;
	if (!k->no_ports && (k->proto == 6 || k->proto == 17))
		p->w[DIM_PORT] = (uint32_t)k->proto << 16 | k->dport;
	else if (!k->no_ports && k->proto == 1 && k->icmp_type >= 0)
		p->w[DIM_PORT] = 1u << 16 | (uint16_t)k->icmp_type;
}

static inline uint32_t
len_mask(unsigned len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static unsigned
prefix_len(uint32_t mask)
{
	return mask == 0 ? 0 : 32 - (unsigned)__builtin_ctz(mask);
}

/* Keyed multiply-shift; the multiplier is chosen at build (mult_ok()). */
static inline uint32_t
acl_hash(const struct ph_acl_index *ix, uint64_t key, unsigned shift)
{
	return (uint32_t)(((key ^ ix->k0) * ix->k1) >> shift);
}

/* The key of a sub-tree slot: key and khi[] are 7 bytes in a row, the
 * kind byte after them. */
static inline uint64_t
sub_key(const struct acl_sub *s)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, &s->key, sizeof(v));
	return v & 0x00ffffffffffffffULL;
#else
	return (uint64_t)s->khi[0] << 32 | (uint64_t)s->khi[1] << 40 |
	       (uint64_t)s->khi[2] << 48 | s->key;
#endif
}

/* A node's key mask over the 64-bit key words: the upper half of a word
 * is only set in DIM_DP words, which key all of it. */
static inline uint64_t
node_mask(const struct acl_node *nd)
{
	return (uint64_t)nd->mask | 0xffffffff00000000ULL;
}

/* The packet's key on node nd's cut. */
static inline uint64_t
pkt_key(const struct acl_pkt *p, const struct acl_node *nd)
{
	if (nd->dim == DIM_DP)
		return ((uint64_t)p->w[DIM_DST] << 24 |
			(p->w[DIM_PORT] & 0xffffff)) &
		       node_mask(nd);
	return p->w[nd->dim] & nd->mask;
}

/* Build with -DACL_PROFILE to count, per lookup, tables probed (0), slots
 * walked (1), rules checked in tables (2) and in runs (3). */
#ifdef ACL_PROFILE
unsigned long acl_prof[4];
#define PROF(i) (acl_prof[i]++)
#else
#define PROF(i) ((void)0)
#endif

/*
 * Rule c's key on node nd's cut.  Every rule in a table carries the key
 * of its bucket: a keyed rule lies inside its key's block, and a copy in
 * a complete cut was narrowed to its bucket's block.
 */
static inline uint64_t
slot_key(const struct acl_cand *c, const struct acl_node *nd)
{
	uint32_t pw = c->flags & CAND_TYPED ? 1u << 16 | c->icmp
					    : (uint32_t)c->proto << 16 | c->dlo;

	switch (nd->dim) {
	case DIM_DST:
		return c->dst & nd->mask;
	case DIM_SRC:
		return c->src & nd->mask;
	case DIM_PROTO:
		return c->proto;
	case DIM_DP:
		return ((uint64_t)c->dst << 24 | pw) & node_mask(nd);
	default:
		return pw & nd->mask;
	}
}

/* Scan a run (list order) for a match before `best`. */
static inline int32_t
run_scan(const union acl_slot *s, uint32_t n, const struct ph_acl_key *k,
	 int32_t best)
{
	for (uint32_t j = 0; j < n && s[j].c.idx < best; j++) {
		PROF(3);
		if (cand_match(&s[j].c, k))
			return s[j].c.idx;
	}
	return best;
}

static int32_t node_search(const struct ph_acl_index *ix,
			   const struct acl_list *l, const struct acl_node *nd,
			   const struct acl_pkt *p, int32_t best);

/*
 * First match in a cut's table before `best`.  The probe walks the slots
 * from the key's hash to the first empty one.  A rule slot there either
 * belongs to the packet's key or cannot match it (its key is part of what
 * it matches), and the rules of one key sit in list order along the walk
 * (each was put in the first empty slot after the previous one), so the
 * first rule that matches is the first match.  A sub-tree slot is the
 * key's only slot.
 */
static inline __attribute__((always_inline)) int32_t
table_search(const struct ph_acl_index *ix, const struct acl_list *l,
	     const struct acl_node *nd, const struct acl_pkt *p, int32_t best)
{
	uint64_t key = pkt_key(p, nd);
	uint32_t h = acl_hash(ix, key, nd->shift);

	PROF(0);
	for (;; h = (h + 1) & nd->count) {
		const union acl_slot *sl = &l->slots[nd->first + h];

		PROF(1);
		if (sl->c.kind == SLOT_RULE) {
			PROF(2);
			if (sl->c.idx < best && cand_match(&sl->c, p->k))
				return sl->c.idx;
		} else if (sl->c.kind == SLOT_SUB) {
			if (sub_key(&sl->s) == key)
				return node_search(ix, l, &sl->s.nd, p, best);
		} else {
			return best;
		}
	}
}

/*
 * The same in a complete cut, with HIT set in the result if the key has
 * a bucket: then the bucket holds every rule that can match the packet.
 */
#define HIT (1LL << 32)

static inline __attribute__((always_inline)) int64_t
complete_search(const struct ph_acl_index *ix, const struct acl_list *l,
		const struct acl_node *nd, const struct acl_pkt *p,
		int32_t best)
{
	int64_t hit = 0;

	uint64_t key = pkt_key(p, nd);
	uint32_t h = acl_hash(ix, key, nd->shift);

	PROF(0);
	for (;; h = (h + 1) & nd->count) {
		const union acl_slot *sl = &l->slots[nd->first + h];

		PROF(1);
		if (sl->c.kind == SLOT_RULE) {
			if (slot_key(&sl->c, nd) != key)
				continue;
			hit = HIT;
			PROF(2);
			if (sl->c.idx < best && cand_match(&sl->c, p->k))
				return HIT | sl->c.idx;
		} else if (sl->c.kind == SLOT_SUB) {
			if (sub_key(&sl->s) != key)
				continue;
			return HIT | node_search(ix, l, &sl->s.nd, p, best);
		} else {
			return hit | best;
		}
	}
}

/*
 * The deny filter.  A line is 512 bits: one per (destination, protocol)
 * cell, host lines keyed by the destination, /24 lines by its /24.  Every
 * rule that can match a tcp/udp packet sets, in the line of each cell it
 * covers, one bit per block of FILT_PORT_BITS ports its destination port
 * condition covers, or if that condition is wide (none, neq, lt, gt, a
 * range over more than FILT_BLOCKS_MAX blocks) the bit of its source /24,
 * or if its source is shorter than /24 the cell's own bit (filt_any()).
 * A tcp/udp packet that finds none of its three bits (the cell's, its
 * port block's, its source /24's) set in either of its lines matches no
 * rule.  Other packets skip the filter.  A list with a host directory
 * has no host lines (filt_hosts 0): the directory answers every tcp/udp
 * packet to a host a rule names, so none reaches the filter.
 */
#define FILT_PORT_BITS	6
#define FILT_BLOCKS_MAX 4
#define FILT_LINE_WORDS 8
#define FILT_TAG_PORT	(1ULL << 56)
#define FILT_TAG_SRC	(2ULL << 56)
#define FILT_TAG_NET	(3ULL << 56)

/* Bit of key word x (tagged) in a line: 9 bits. */
static inline uint32_t
filt_bit(const struct ph_acl_index *ix, uint64_t x)
{
	return (uint32_t)(((x ^ ix->k0) * ix->k1) >> 55);
}

/* Hash of cell (word, proto): its line among 2^(64 - shift) is the top
 * bits, its own "any" bit the 9 bits below them (filt_any()). */
static inline uint64_t
filt_cell(const struct ph_acl_index *ix, uint64_t cell)
{
	return (cell ^ ix->k0) * ix->k1;
}

static inline uint32_t
filt_any(uint64_t h, unsigned shift)
{
	return (uint32_t)(h >> (shift - 9)) & 511;
}

/* Is any of bits a, bp, bs set in the line of cell hash h? */
static inline uint64_t
filt_test(const uint64_t *filt, uint64_t h, unsigned shift, uint32_t bp,
	  uint32_t bs)
{
	const uint64_t *line = filt + FILT_LINE_WORDS * (size_t)(h >> shift);
	uint32_t a = filt_any(h, shift);

	return (line[a >> 6] >> (a & 63) | line[bp >> 6] >> (bp & 63) |
		line[bs >> 6] >> (bs & 63)) &
	       1;
}

/* false if no rule of l can match k (tcp/udp with ports only).  Out of
 * line: it runs only when the root misses (complete_chain()). */
static __attribute__((noinline)) bool
filt_maybe(const struct ph_acl_index *ix, const struct acl_list *l,
	   const struct ph_acl_key *k)
{
	uint64_t cell = (uint64_t)k->dst << 8 | k->proto, hit;
	uint32_t bp, bs;

	if (k->no_ports || (k->proto != 6 && k->proto != 17))
		return true;
	bp = filt_bit(ix,
		      FILT_TAG_PORT | ((uint32_t)k->proto << 16 | k->dport) >>
					      FILT_PORT_BITS);
	bs = filt_bit(ix, FILT_TAG_SRC | k->src >> 8);
	hit = 0;
	if (l->filt_hosts != 0)
		hit = filt_test(l->filt, filt_cell(ix, cell), l->filt_hshift,
				bp, bs);
	if (l->filt_nets != 0)
		hit |= filt_test(
			l->filt + FILT_LINE_WORDS * (size_t)l->filt_hosts,
			filt_cell(ix, FILT_TAG_NET | (cell & ~0xff00ULL)),
			l->filt_nshift, bp, bs);
	return hit != 0;
}

/*
 * node_search() from a complete cut on: the same walk down the chain,
 * both kinds of cut inlined.  Kept out of node_search(), so that its loop
 * of plain cuts stays as small as before (with complete cuts inlined
 * there, the blocklist lists, which have none, lost ~1 ns a lookup); one
 * call per chain, not per cut.
 */
static __attribute__((noinline)) int32_t
complete_chain(const struct ph_acl_index *ix, const struct acl_list *l,
	       const struct acl_node *nd, const struct acl_pkt *p, int32_t best)
{
	int64_t r;

	for (;;) {
		if (nd->min_idx >= best)
			return best;
		if (nd->dim == DIM_LEAF)
			return run_scan(l->slots + nd->first, nd->count, p->k,
					best);
		if (nd->complete) {
			r = complete_search(ix, l, nd, p, best);
			best = (int32_t)(r & 0x7fffffff);
			if (r & HIT)
				return best;
			if (nd == l->nodes && l->filt != NULL &&
			    !filt_maybe(ix, l, p->k))
				return best; /* no rule matches */
		} else {
			best = table_search(ix, l, nd, p, best);
		}
		if (nd->wild == 0)
			return best;
		nd = &l->nodes[nd->wild];
	}
}

/*
 * First match under node nd before `best` (NO_MATCH: none yet): its
 * table, then the wildcard chain, unless the next node's lowest index
 * already comes after the best match, or a complete cut had the key.
 */
static int32_t
node_search(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct acl_node *nd, const struct acl_pkt *p, int32_t best)
{
	for (;;) {
		if (nd->min_idx >= best)
			return best;
		if (nd->dim == DIM_LEAF)
			return run_scan(l->slots + nd->first, nd->count, p->k,
					best);
		if (nd->complete)
			return complete_chain(ix, l, nd, p, best);
		best = table_search(ix, l, nd, p, best);
		if (nd->wild == 0)
			return best;
		nd = &l->nodes[nd->wild];
	}
}

/* A compiled list with a host directory: the directory first, the tree
 * for what it cannot answer.  Out of line, so that the lists without one
 * (list_lookup()'s other paths) keep their frameless code. */
static __attribute__((noinline)) int32_t
dir_lookup(const struct ph_acl_index *ix, const struct acl_list *l,
	   const struct ph_acl_key *k)
{
	struct acl_pkt p;
	int32_t r = ph_acl_dir_lookup(l->dir, k);

	if (r == PH_ACL_DIR_MISS) {
		pkt_make(&p, k);
		r = node_search(ix, l, &l->nodes[0], &p, NO_MATCH);
	}
	return r == NO_MATCH ? -1 : r;
}

static int32_t
list_lookup(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct ph_acl_key *k)
{
	struct acl_pkt p;
	int32_t r;

	if (!l->compiled) {
		r = run_scan(l->slots, l->n_cands, k, NO_MATCH);
	} else if (l->dir != NULL) {
		return dir_lookup(ix, l, k);
	} else {
		pkt_make(&p, k);
		r = node_search(ix, l, &l->nodes[0], &p, NO_MATCH);
	}
	return r == NO_MATCH ? -1 : r;
}

int32_t
ph_acl_lookup(const struct ph_acl_index *ix, uint32_t acl_no,
	      const struct ph_acl_key *k)
{
	if (ix == NULL || acl_no >= ix->n_acls)
		return -1;
	return list_lookup(ix, &ix->lists[acl_no], k);
}

int32_t
ph_acl_lookup_conduit(const struct ph_acl_index *ix, const struct ph_acl_key *k)
{
	if (ix == NULL)
		return -1;
	return list_lookup(ix, &ix->lists[ix->n_acls], k);
}

/* ---- build ---- */

/* Nodes (and buckets) of at most this many rules are scanned in order. */
#define LEAF_MAX 4
/* Tables are at most a quarter full: short walks from the hash. */
#define LOADF 4
/* The build's cost model, in about ns on the project's machine. */
#define COST_PROBE 3.0
#define COST_RULE  1.0
/* Copies a complete cut may make: at most COPY_NODE times the rules of its
 * node, and at most COPY_LIST times the list's rules over the whole tree
 * (memory: at most 1 + COPY_LIST times the rules sit in tables). */
#define COPY_NODE 4
#define COPY_LIST 2

/* What the path to a node has keyed already: bits of each key word (the
 * port word starts at 16, its protocol half; proto is 0 or 32). */
struct acl_state {
	uint8_t done[DIM_N];
};

/* A candidate cut and its score. */
struct acl_cut {
	uint8_t dim;	 /* DIM_LEAF: no cut improves on a scan */
	uint8_t len;	 /* bits of the key word keyed */
	bool complete;	 /* copy the wildcard rules into the buckets */
	uint32_t copies; /* complete: how many copies */
	double fmiss;	 /* complete: share of lookups that find no bucket */
	double cost;
};

struct acl_bld {
	const struct ph_acl_index *ix;
	struct acl_list *l;
	union acl_slot *in; /* the list's kept rules (list order), then the
			     * copies made by complete cuts */
	uint32_t n_in, in_cap;
	uint64_t copy_left; /* copies the list may still make */
	uint64_t *ev, *tmp; /* scratch words */
	uint32_t ev_cap;
	uint32_t nodes_cap, slots_cap;
};

/*
 * Rule c's word on dimension dim and how many of its leading bits the rule
 * fixes: it lies inside one block of every cut of that many bits or fewer
 * (0: no cut on dim selects it).  The port word is protocol << 16 | port
 * (icmp: 1 << 16 | type); a port range fixes the bits its ends share.
 */
static unsigned
cand_word(const struct acl_cand *c, uint8_t dim, uint32_t *w)
{
	switch (dim) {
	case DIM_DST:
		*w = c->dst;
		return prefix_len(c->dmask);
	case DIM_SRC:
		*w = c->src;
		return prefix_len(c->smask);
	case DIM_PROTO:
		*w = c->proto;
		return c->flags & CAND_ANYPROTO ? 0 : 32;
	default:
		if (c->flags & CAND_TYPED) {
			*w = 1u << 16 | c->icmp;
			return 32;
		}
		*w = (uint32_t)c->proto << 16 | c->dlo;
		if ((c->flags & (CAND_PORTS | CAND_DNEG)) != CAND_PORTS)
			return 0;
		return c->dlo == c->dhi ? 32
					: (unsigned)__builtin_clz(
						  (uint32_t)c->dlo ^ c->dhi);
	}
}

/* The mask of the low word of a DIM_DP key keying `len` bits of the port
 * word: the host's low byte, then the port word's top bits. */
static inline uint32_t
dp_mask(unsigned len)
{
	return 0xff000000u | (len_mask(len) & 0x00ffffffu);
}

/* The key of rule c on cut (dim, len); false if the cut cannot select c.
 * DIM_DP selects host destinations with `len` bits of the port word. */
static bool
cand_key(const struct acl_cand *c, uint8_t dim, unsigned len, uint64_t *key)
{
	uint32_t w, pw;
	unsigned pl;

	if (dim == DIM_DP) {
		pl = cand_word(c, DIM_PORT, &pw);
		*key = ((uint64_t)c->dst << 24 | pw) &
		       (0xffffffff00000000ULL | dp_mask(len));
		return pl >= len && c->dmask == UINT32_MAX;
	}
	pl = cand_word(c, dim, &w);
	*key = w & len_mask(len);
	return pl >= len;
}

/*
 * The keys a rule that cut (dim, len) cannot select may share packets
 * with: [*lo, *hi] of the key space; false if none.
 */
static bool
cand_span(const struct acl_cand *c, uint8_t dim, unsigned len, uint64_t *lo,
	  uint64_t *hi)
{
	uint32_t m = len_mask(len), p = (uint32_t)c->proto << 16;

	switch (dim) {
	case DIM_DP: /* every key of its destinations; ports checked later */
		if (!cand_span(c, DIM_PORT, 32, lo, hi))
			return false;
		*lo = (uint64_t)c->dst << 24;
		*hi = (uint64_t)(c->dst | ~c->dmask) << 24 | 0xffffff;
		return true;
	case DIM_DST:
		*lo = c->dst & m;
		*hi = (c->dst | ~c->dmask) & m;
		return true;
	case DIM_SRC:
		*lo = c->src & m;
		*hi = (c->src | ~c->smask) & m;
		return true;
	case DIM_PROTO: /* only `ip` rules are left to the wildcard */
		*lo = 0;
		*hi = 255;
		return true;
	default:
		break;
	}
	*lo = p;
	*hi = (p | 0xffff) & m;
	if (c->flags & CAND_ANYPROTO) {
		*lo = 0;
		*hi = UINT32_MAX & m;
		return true;
	}
	if (c->proto == 1)
		return true; /* untyped: every type */
	if (c->proto != 6 && c->proto != 17)
		return false; /* no port word: never keyed */
	if ((c->flags & (CAND_PORTS | CAND_DNEG)) == CAND_PORTS) {
		*lo = (p | c->dlo) & m;
		*hi = (p | c->dhi) & m;
	}
	return true;
}

/* Narrow c's destination port to [lo, hi] (a tcp/udp bucket): 1, or 0 if
 * no port of it is left, -1 if the result is not an interval. */
static int
port_restrict(struct acl_cand *c, uint16_t lo, uint16_t hi)
{
	if (!(c->flags & CAND_PORTS)) {
		c->dlo = 0;
		c->dhi = 0xffff;
	}
	c->flags |= CAND_PORTS;
	if (c->flags & CAND_DNEG) {
		if (c->dlo >= lo && c->dlo <= hi)
			return lo == hi ? 0 : -1; /* a hole in the block */
		c->flags &= (uint8_t)~CAND_DNEG;
		c->dlo = lo;
		c->dhi = hi;
		return 1;
	}
	c->dlo = c->dlo > lo ? c->dlo : lo;
	c->dhi = c->dhi < hi ? c->dhi : hi;
	return c->dlo <= c->dhi;
}

/*
 * Narrow c (a rule cut (dim, len) cannot select) to the block of bucket
 * `key`: the copy matches exactly the packets of that key that c matches,
 * and carries the key.  1: done; 0: the copy would match nothing; -1: the
 * copy cannot be written as one rule (a neq port inside a block of
 * ports, an untyped icmp rule over a block of several types).
 */
static int
cand_restrict(struct acl_cand *c, uint8_t dim, unsigned len, uint64_t key)
{
	uint32_t m = len_mask(len);
	uint8_t bp = (uint8_t)(key >> 16);

	switch (dim) {
	case DIM_DP:
		c->dst = (uint32_t)(key >> 24);
		c->dmask = UINT32_MAX;
		return cand_restrict(c, DIM_PORT, len, key & 0xffffff);
	case DIM_DST:
		c->dst = key;
		c->dmask = m;
		return 1;
	case DIM_SRC:
		c->src = key;
		c->smask = m;
		return 1;
	case DIM_PROTO:
		c->proto = (uint8_t)key;
		c->flags &= (uint8_t)~CAND_ANYPROTO;
		return 1;
	default:
		break;
	}
	if (!(c->flags & CAND_ANYPROTO) && c->proto != bp)
		return 0;	   /* DIM_DP: a bucket of another protocol */
	if (c->flags & CAND_TYPED) /* DIM_DP: inside the block, or no packet */
		return ((1u << 16 | c->icmp) & m) == ((uint32_t)key & m);
	c->flags &= (uint8_t)~CAND_ANYPROTO;
	c->proto = bp;
	if (bp == 1) { /* typed icmp buckets */
		if (len != 32)
			return -1;
		c->flags |= CAND_TYPED;
		c->icmp = (uint8_t)key;
		return 1;
	}
	return port_restrict(c, (uint16_t)key, (uint16_t)(key | ~(uint64_t)m));
}

static int
scratch_reserve(struct acl_bld *b, uint32_t n)
{
	uint32_t cap = b->ev_cap ? b->ev_cap : 64;
	uint64_t *p;

	if (n <= b->ev_cap)
		return 0;
	while (cap < n)
		cap = cap > UINT32_MAX / 2 ? n : 2 * cap;
	p = realloc(b->ev, (size_t)cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	b->ev = p;
	p = realloc(b->tmp, (size_t)cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	b->tmp = p;
	b->ev_cap = cap;
	return 0;
}

/* Append rule c to b->in; *x is its number. */
static int
in_append(struct acl_bld *b, const struct acl_cand *c, uint32_t *x)
{
	if (b->n_in == b->in_cap) {
		size_t cap = 2 * (size_t)b->in_cap;
		union acl_slot *p;

		if (cap > UINT32_MAX)
			return -E2BIG;
		p = realloc(b->in, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		b->in = p;
		b->in_cap = (uint32_t)cap;
	}
	b->in[b->n_in].c = *c;
	*x = b->n_in++;
	return 0;
}

/*
 * Sort a[0..n) by the upper 32 bits, stably (LSD radix, bytes that are
 * the same in every word skipped); tmp holds n words.
 */
void
ph_acl_sort_hi32(uint64_t *a, uint64_t *tmp, uint32_t n)
{
	uint64_t *src = a, *dst = tmp, *t;
	uint32_t cnt[256];

	if (n < 32) {
		for (uint32_t i = 1; i < n; i++) {
			uint64_t v = a[i];
			uint32_t j = i;

			for (; j > 0 && a[j - 1] >> 32 > v >> 32; j--)
				a[j] = a[j - 1];
			a[j] = v;
		}
		return;
	}
	for (unsigned sh = 32; sh < 64; sh += 8) {
		uint32_t sum = 0;

		memset(cnt, 0, sizeof(cnt));
		for (uint32_t i = 0; i < n; i++)
			cnt[src[i] >> sh & 0xff]++;
		if (cnt[src[0] >> sh & 0xff] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			uint32_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[cnt[src[i] >> sh & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/*
 * n times what a bucket of `run` rules leaves to search, for a node of n
 * rules: a small bucket is scanned (run rules, for each of its run rules);
 * a bigger one becomes a sub-tree, a dependent probe for every lookup
 * aimed at it, and each of its rules counts half a wildcard rule (n / 2).
 * The half is calibrated on bench/acl_bench.c: by squares alone, the
 * outside family at 100,000 entries picks dst/16 at the root, whose crowded
 * /16s make 8,000 sub-trees; this picks dst/24, then dst/16 and the port
 * in its wildcard chain (independent probes), 10-15% faster there and the
 * same below 10,000.
 */
static uint64_t
bucket_score(uint64_t run, uint32_t n)
{
	return run <= LEAF_MAX ? run * run : run * n / 2;
}

/*
 * Score of keying ev[0..m) (key << 32 | prefix length, sorted by key) on
 * `len` bits, for a node of n rules: the buckets' scores plus n per rule
 * left to the wildcard, i.e. n times the expected number of rules still
 * to search for a packet aimed at a random rule.
 */
static uint64_t
cut_score(const uint64_t *ev, uint32_t m, unsigned len, uint32_t n)
{
	uint32_t mask = len_mask(len), keyed = 0, run = 0, prev = 0;
	uint64_t sq = 0;

	for (uint32_t i = 0; i < m; i++) {
		uint32_t key = (uint32_t)(ev[i] >> 32) & mask;

		if ((ev[i] & 0xff) < len)
			continue;
		keyed++;
		if (run != 0 && key == prev) {
			run++;
			continue;
		}
		sq += bucket_score(run, n);
		run = 1;
		prev = key;
	}
	sq += bucket_score(run, n);
	return sq + (uint64_t)(n - keyed) * n;
}

static void
cut_consider(struct acl_cut *best, const struct acl_cut *c)
{
	if (c->cost < best->cost)
		*best = *c;
}

/* The size of w's space on the port word (packets of tcp, udp, icmp). */
static double
port_volume(const struct acl_cand *w)
{
	if (w->flags & CAND_ANYPROTO)
		return 3 * 65536.0;
	if (w->flags & CAND_TYPED)
		return 1;
	if (w->proto == 1)
		return 256;
	if ((w->flags & (CAND_PORTS | CAND_DNEG)) == CAND_PORTS)
		return (double)w->dhi - w->dlo + 1;
	return 65536;
}

/* How much of w's space on dim the blocks of `cov` buckets of a cut of
 * `len` bits cover: the chance that a packet aimed at w finds a bucket. */
static double
cover_share(const struct acl_cand *w, uint8_t dim, unsigned len, uint32_t cov)
{
	double vol, block = (double)(1ULL << (32 - len)), s;

	switch (dim) {
	case DIM_DST:
		vol = (double)(1ULL << (32 - prefix_len(w->dmask)));
		break;
	case DIM_SRC:
		vol = (double)(1ULL << (32 - prefix_len(w->smask)));
		break;
	case DIM_PROTO:
		vol = 3; /* tcp, udp, icmp */
		break;
	case DIM_DP: /* a bucket is one host and a block of ports */
		vol = (double)(1ULL << (32 - prefix_len(w->dmask))) *
		      port_volume(w);
		break;
	default:
		vol = port_volume(w);
		break;
	}
	s = cov * block / vol;
	return s < 1 ? s : 1;
}

/* A cut's buckets, and scratch of complete_consider(). */
struct acl_cscr {
	uint64_t *keys;	    /* distinct keys, ascending */
	uint32_t *sz, *cnt; /* rules, copies per bucket */
	uint32_t *span;	    /* per wildcard rule: a, e, copies */
	double *pre;	    /* prefix sums of bucket costs */
	uint32_t nb, keyed; /* buckets; rules in them */
};

static int
cscr_alloc(struct acl_cscr *s, uint32_t m, uint32_t n)
{
	char *mem =
		malloc((size_t)m * (sizeof(uint64_t) + 2 * sizeof(uint32_t)) +
		       (size_t)n * 3 * sizeof(uint32_t) +
		       (size_t)(m + 1) * sizeof(double));

	if (mem == NULL)
		return -ENOMEM;
	s->keys = (uint64_t *)mem;
	s->pre = (double *)(s->keys + m);
	s->sz = (uint32_t *)(s->pre + m + 1);
	s->cnt = s->sz + m;
	s->span = s->cnt + m;
	return 0;
}

/*
 * The buckets of cut (dim, len) over ev[0..m) (sorted words << 32 |
 * bits): distinct keys and sizes into s.
 */
static void
cut_bucketize(const uint64_t *ev, uint32_t m, unsigned len, struct acl_cscr *s)
{
	uint32_t mask = len_mask(len);

	s->nb = s->keyed = 0;
	for (uint32_t i = 0; i < m; i++) {
		uint32_t key = (uint32_t)(ev[i] >> 32) & mask;

		if ((ev[i] & 0xff) < len)
			continue;
		s->keyed++;
		if (s->nb == 0 || s->keys[s->nb - 1] != key) {
			s->keys[s->nb] = key;
			s->sz[s->nb++] = 0;
		}
		s->sz[s->nb - 1]++;
	}
}

uint32_t
ph_acl_distinct_hi32(uint64_t *a, uint64_t *tmp, uint32_t n)
{
	uint32_t d = 0;

	ph_acl_sort_hi32(a, tmp, n);
	for (uint32_t i = 0; i < n; i++) {
		if (d == 0 || a[d - 1] != a[i])
			a[d++] = a[i];
	}
	return d;
}

/* First of keys[0..n) (ascending) that is >= v. */
uint32_t
ph_acl_lower_bound(const uint64_t *keys, uint32_t n, uint64_t v)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (keys[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Count the copies of the wildcard rules of r[0..n) into the buckets of
 * cut c (a copy per bucket a rule shares packets with): per rule its
 * bucket range and copies into s->span, per bucket into s->cnt; false if
 * a copy cannot be written, or there would be more than `limit` (or the
 * search would look at more than 8 n + limit buckets).
 */
static bool
cut_copies(const struct acl_bld *b, const uint32_t *r, uint32_t n,
	   struct acl_cut *c, struct acl_cscr *s, uint64_t limit)
{
	uint64_t copies = 0, seen = 0, lo, hi, key;
	uint32_t nw = 0;

	memset(s->cnt, 0, (size_t)s->nb * sizeof(*s->cnt));
	for (uint32_t i = 0; i < n; i++) {
		const struct acl_cand *wc = &b->in[r[i]].c;
		uint32_t a = 0, e = 0, cov = 0;

		if (cand_key(wc, c->dim, c->len, &key))
			continue;
		if (cand_span(wc, c->dim, c->len, &lo, &hi)) {
			a = ph_acl_lower_bound(s->keys, s->nb, lo);
			for (e = a; e < s->nb && s->keys[e] <= hi; e++) {
				struct acl_cand t = *wc;
				int rr = cand_restrict(&t, c->dim, c->len,
						       s->keys[e]);

				if (rr < 0 || ++seen > 8 * (uint64_t)n + limit)
					return false;
				if (rr == 0)
					continue;
				if (++copies > limit)
					return false;
				s->cnt[e]++;
				cov++;
			}
		}
		s->span[3 * nw] = a;
		s->span[3 * nw + 1] = e;
		s->span[3 * nw + 2] = cov;
		nw++;
	}
	c->copies = (uint32_t)copies;
	return true;
}

/*
 * What a lookup pays in a node of m rules, roughly: a scan of a small one,
 * else a probe per level of a tree of fan-out ~64 (COST_* units).
 */
static double
node_estimate(uint64_t m)
{
	if (m <= LEAF_MAX)
		return (double)m * COST_RULE;
	return COST_PROBE * (1 + (64 - __builtin_clzll(m)) / 6.0);
}

/*
 * Should cut c (its buckets in s) be complete?  A lookup that finds its
 * key's bucket then searches that bucket only (its rules and the copies)
 * instead of the bucket and the wildcard child; one that finds none
 * searches the wildcard child either way.  A packet aimed at a wildcard
 * rule finds a bucket as often as the buckets cover the rule's space
 * (cover_share()).  Compares both expected costs (node_estimate()) for a
 * packet aimed at a random rule of the node; on true, c holds the
 * copies and the share of lookups that find no bucket.
 */
static bool
complete_pays(const struct acl_bld *b, const uint32_t *r, uint32_t n,
	      struct acl_cut *c, struct acl_cscr *s)
{
	uint64_t limit = b->copy_left < (uint64_t)COPY_NODE * n
				 ? b->copy_left
				 : (uint64_t)COPY_NODE * n;
	uint32_t nw = n - s->keyed, j = 0;
	double plain = 0, full = 0, miss = 0, wild = node_estimate(nw);
	uint64_t key;

	if (nw == 0 || !cut_copies(b, r, n, c, s, limit))
		return false;
	s->pre[0] = 0;
	for (uint32_t k = 0; k < s->nb; k++) {
		double u = node_estimate((uint64_t)s->sz[k] + s->cnt[k]);

		plain += s->sz[k] * (node_estimate(s->sz[k]) + wild);
		full += s->sz[k] * u;
		s->pre[k + 1] = s->pre[k] + u;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct acl_cand *wc = &b->in[r[i]].c;
		uint32_t a, e, cov;
		double p;

		if (cand_key(wc, c->dim, c->len, &key))
			continue;
		a = s->span[3 * j];
		e = s->span[3 * j + 1];
		cov = s->span[3 * j++ + 2];
		p = cov > 0 ? cover_share(wc, c->dim, c->len, cov) : 0;
		plain += wild;
		full += p * (cov > 0 ? (s->pre[e] - s->pre[a]) / (e - a) : 0) +
			(1 - p) * wild;
		miss += 1 - p;
	}
	c->fmiss = miss / n;
	return full < plain;
}

/* Score dim/L for every L present above `done` (and whether to make it
 * complete, if it is the best so far). */
static void
eval_dim(struct acl_bld *b, const uint32_t *r, uint32_t n, uint8_t dim,
	 unsigned done, struct acl_cut *best)
{
	struct acl_cscr s;
	uint64_t lens = 0;
	uint32_t m = 0, w;

	for (uint32_t i = 0; i < n; i++) {
		unsigned pl = cand_word(&b->in[r[i]].c, dim, &w);

		if (pl <= done)
			continue;
		b->ev[m++] = (uint64_t)w << 32 | pl;
		lens |= 1ULL << pl;
	}
	if (m == 0)
		return;
	ph_acl_sort_hi32(b->ev, b->tmp, m);
	if (cscr_alloc(&s, m, n) < 0)
		return;
	for (unsigned len = done + 1; len <= 32; len++) {
		struct acl_cut c = { .dim = dim, .len = (uint8_t)len };

		if (!(lens >> len & 1))
			continue;
		c.cost = (double)cut_score(b->ev, m, len, n);
		if (c.cost < best->cost) {
			cut_bucketize(b->ev, m, len, &s);
			c.complete = complete_pays(b, r, n, &c, &s);
		}
		cut_consider(best, &c);
	}
	free(s.keys);
}

/*
 * Score the tuple cut dp/L: host destination and the top L bits of the
 * port word (an `eq` port or an icmp type at 32) in one key, for one L.
 * Its keys have 56 bits: sorted in two stable passes, port word then
 * host.
 */
static void
eval_dp_len(struct acl_bld *b, const uint32_t *r, uint32_t n, unsigned len,
	    struct acl_cut *best)
{
	struct acl_cut c = { .dim = DIM_DP, .len = (uint8_t)len };
	struct acl_cscr s;
	uint32_t m = 0;
	uint64_t key, sq = 0;

	for (uint32_t i = 0; i < n; i++) {
		if (cand_key(&b->in[r[i]].c, DIM_DP, len, &key))
			b->ev[m++] = (key & 0xffffff) << 32 | (key >> 24);
	}
	if (m == 0)
		return;
	ph_acl_sort_hi32(b->ev, b->tmp, m); /* port word */
	for (uint32_t i = 0; i < m; i++)
		b->ev[i] = b->ev[i] << 32 | b->ev[i] >> 32;
	ph_acl_sort_hi32(b->ev, b->tmp, m); /* host, port word within */
	if (cscr_alloc(&s, m, n) < 0)
		return;
	s.nb = 0;
	s.keyed = m;
	for (uint32_t i = 0; i < m; i++) {
		key = (b->ev[i] >> 32) << 24 | (b->ev[i] & 0xffffff);
		if (s.nb == 0 || s.keys[s.nb - 1] != key) {
			if (s.nb > 0)
				sq += bucket_score(s.sz[s.nb - 1], n);
			s.keys[s.nb] = key;
			s.sz[s.nb++] = 0;
		}
		s.sz[s.nb - 1]++;
	}
	sq += bucket_score(s.sz[s.nb - 1], n);
	c.cost = (double)sq + (double)(n - m) * n;
	if (m < n && c.cost < best->cost)
		c.complete = complete_pays(b, r, n, &c, &s);
	cut_consider(best, &c);
	free(s.keys);
}

/* Score dp/L for every L of the host entries' port words above `done`. */
static void
eval_dp(struct acl_bld *b, const uint32_t *r, uint32_t n, unsigned done,
	struct acl_cut *best)
{
	uint64_t lens = 0;
	uint32_t w;

	for (uint32_t i = 0; i < n; i++) {
		const struct acl_cand *c = &b->in[r[i]].c;

		if (c->dmask == UINT32_MAX)
			lens |= 1ULL << cand_word(c, DIM_PORT, &w);
	}
	for (unsigned len = done + 1; len <= 32; len++) {
		if (lens >> len & 1)
			eval_dp_len(b, r, n, len, best);
	}
}

/* The cheapest cut of rules r[0..n); false if none beats a scan. */
static bool
cut_choose(struct acl_bld *b, const uint32_t *r, uint32_t n,
	   const struct acl_state *st, struct acl_cut *cut)
{
	static const uint8_t order[] = { DIM_DST, DIM_SRC, DIM_PORT,
					 DIM_PROTO };

	memset(cut, 0, sizeof(*cut));
	cut->dim = DIM_LEAF;
	cut->cost = (double)n * n; /* one bucket, or all wildcard */
	for (unsigned i = 0; i < sizeof(order); i++)
		eval_dim(b, r, n, order[i], st->done[order[i]], cut);
	if (st->done[DIM_DST] < 32 && st->done[DIM_PORT] < 32)
		eval_dp(b, r, n, st->done[DIM_PORT], cut);
	return cut->dim != DIM_LEAF;
}

static int
node_alloc(struct acl_bld *b, uint32_t *ni)
{
	struct acl_list *l = b->l;

	if (l->n_nodes == b->nodes_cap) {
		uint32_t cap = b->nodes_cap ? 2 * b->nodes_cap : 16;
		struct acl_node *nn;

		if (cap <= b->nodes_cap)
			return -E2BIG;
		nn = realloc(l->nodes, (size_t)cap * sizeof(*nn));
		if (nn == NULL)
			return -ENOMEM;
		l->nodes = nn;
		b->nodes_cap = cap;
	}
	*ni = l->n_nodes++;
	memset(&l->nodes[*ni], 0, sizeof(l->nodes[*ni]));
	return 0;
}

/* Reserve sz empty slots; *first is the first. */
static int
slots_alloc(struct acl_bld *b, uint32_t sz, uint32_t *first)
{
	struct acl_list *l = b->l;

	if (l->n_slots > UINT32_MAX - sz)
		return -E2BIG;
	if (l->n_slots + sz > b->slots_cap) {
		size_t cap = b->slots_cap ? 2 * (size_t)b->slots_cap : 64;
		union acl_slot *ns;

		while (cap < (size_t)l->n_slots + sz)
			cap *= 2;
		if (cap > UINT32_MAX)
			cap = UINT32_MAX;
		ns = realloc(l->slots, cap * sizeof(*ns));
		if (ns == NULL)
			return -ENOMEM;
		l->slots = ns;
		b->slots_cap = (uint32_t)cap;
	}
	*first = l->n_slots;
	memset(&l->slots[*first], 0, (size_t)sz * sizeof(union acl_slot));
	l->n_slots += sz;
	return 0;
}

static int node_build(struct acl_bld *b, const uint32_t *r, uint32_t n,
		      struct acl_state st, uint32_t *out, double *cost);

/* A rule of a cut and its key. */
struct acl_kv {
	uint64_t key;
	uint32_t rule;
};

/* Sort kv[0..n) by key, stably (LSD radix over the bytes that differ). */
static int
sort_kv(struct acl_kv *kv, uint32_t n)
{
	struct acl_kv *tmp, *src = kv, *dst, *t;
	uint32_t cnt[256];

	if (n < 2)
		return 0;
	tmp = malloc((size_t)n * sizeof(*tmp));
	if (tmp == NULL)
		return -ENOMEM;
	dst = tmp;
	for (unsigned sh = 0; sh < 64; sh += 8) {
		uint32_t sum = 0;

		memset(cnt, 0, sizeof(cnt));
		for (uint32_t i = 0; i < n; i++)
			cnt[src[i].key >> sh & 0xff]++;
		if (cnt[src[0].key >> sh & 0xff] == n)
			continue;
		for (unsigned d = 0; d < 256; d++) {
			uint32_t c = cnt[d];

			cnt[d] = sum;
			sum += c;
		}
		for (uint32_t i = 0; i < n; i++)
			dst[cnt[src[i].key >> sh & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != kv)
		memcpy(kv, src, (size_t)n * sizeof(*kv));
	free(tmp);
	return 0;
}

/* The first empty slot of node ni's table on the walk from key's hash. */
static union acl_slot *
slot_free(struct acl_bld *b, uint32_t ni, uint64_t key)
{
	const struct acl_node *nd = &b->l->nodes[ni];
	uint32_t h = acl_hash(b->ix, key, nd->shift);

	while (b->l->slots[nd->first + h].c.kind != SLOT_EMPTY)
		h = (h + 1) & nd->count;
	return &b->l->slots[nd->first + h];
}

static struct acl_state
state_below(struct acl_state st, const struct acl_cut *cut)
{
	if (cut->dim == DIM_DP) {
		st.done[DIM_DST] = 32;
		st.done[DIM_PORT] = cut->len;
	} else {
		st.done[cut->dim] = cut->len;
	}
	if (cut->dim == DIM_PORT || cut->dim == DIM_DP)
		st.done[DIM_PROTO] = 32; /* the port word holds the protocol */
	return st;
}

/* Put one bucket (key, rules pos[0..n)) into node ni's table: its rules
 * in list order, or the sub-tree they compile to. */
static int
bucket_put(struct acl_bld *b, uint32_t ni, uint64_t key, const uint32_t *pos,
	   uint32_t n, struct acl_state below, double *cost)
{
	union acl_slot *sl;
	uint32_t ci;
	int err;

	b->l->keys++;
	if (n <= LEAF_MAX) {
		for (uint32_t i = 0; i < n; i++)
			*slot_free(b, ni, key) = b->in[pos[i]];
		if (n > b->l->max_run)
			b->l->max_run = n;
		*cost = n * COST_RULE;
		return 0;
	}
	err = node_build(b, pos, n, below, &ci, cost);
	if (err < 0)
		return err;
	sl = slot_free(b, ni, key);
	sl->s.key = (uint32_t)key;
	sl->s.khi[0] = (uint8_t)(key >> 32);
	sl->s.khi[1] = (uint8_t)(key >> 40);
	sl->s.khi[2] = (uint8_t)(key >> 48);
	sl->s.nd = b->l->nodes[ci];
	sl->s.kind = SLOT_SUB;
	return 0;
}

/* Size node ni's table for the buckets of kv[0..nk) (sorted): a slot per
 * rule of a small bucket, one per sub-tree, at most 1 / LOADF full. */
static int
table_alloc(struct acl_bld *b, uint32_t ni, const struct acl_kv *kv,
	    uint32_t nk)
{
	uint32_t used = 0, sz = 2, bits = 1, first;
	int err;

	for (uint32_t a = 0, e; a < nk; a = e) {
		for (e = a + 1; e < nk && kv[e].key == kv[a].key; e++)
			;
		used += e - a <= LEAF_MAX ? e - a : 1;
	}
	for (; sz < LOADF * used; sz *= 2)
		bits++;
	err = slots_alloc(b, sz, &first);
	if (err < 0)
		return err;
	b->l->nodes[ni].shift = (uint8_t)(64 - bits);
	b->l->nodes[ni].first = first;
	b->l->nodes[ni].count = sz - 1;
	return 0;
}

/* Fill node ni's table from kv[0..nk); pos receives the rule numbers.
 * *cost: the sum over buckets of their size times their cost. */
static int
cut_buckets(struct acl_bld *b, uint32_t ni, const struct acl_kv *kv,
	    uint32_t *pos, uint32_t nk, struct acl_state below, double *cost)
{
	int err = table_alloc(b, ni, kv, nk);

	*cost = 0;
	for (uint32_t i = 0; i < nk; i++)
		pos[i] = kv[i].rule;
	for (uint32_t a = 0, e; a < nk && err == 0; a = e) {
		double c = 0;

		for (e = a + 1; e < nk && kv[e].key == kv[a].key; e++)
			;
		err = bucket_put(b, ni, kv[a].key, pos + a, e - a, below, &c);
		*cost += (e - a) * c;
	}
	return err;
}

/*
 * Make cut c complete: copy every wildcard rule wl[0..nw) into each bucket
 * of kv[0..*nk) (sorted) whose block it shares packets with, narrowed to
 * that block (cand_restrict()), and merge the copies into their buckets
 * in list order.  *kv and *nk are replaced.
 */
static int
replicate(struct acl_bld *b, const struct acl_cut *c, struct acl_kv **kv,
	  uint32_t *nk, const uint32_t *wl, uint32_t nw)
{
	uint64_t lo, hi, *keys = malloc((*nk + 1) * sizeof(*keys));
	struct acl_kv *cp = malloc(((size_t)c->copies + 1) * sizeof(*cp));
	struct acl_kv *out = malloc(((size_t)*nk + c->copies) * sizeof(*out));
	uint32_t nb = 0, np = 0, x;
	int err = -ENOMEM;

	if (keys == NULL || cp == NULL || out == NULL)
		goto out_free;
	for (uint32_t i = 0; i < *nk; i++) {
		if (nb == 0 || keys[nb - 1] != (*kv)[i].key)
			keys[nb++] = (*kv)[i].key;
	}
	for (uint32_t j = 0; j < nw; j++) {
		if (!cand_span(&b->in[wl[j]].c, c->dim, c->len, &lo, &hi))
			continue;
		for (uint32_t k = ph_acl_lower_bound(keys, nb, lo);
		     k < nb && keys[k] <= hi; k++) {
			struct acl_cand t = b->in[wl[j]].c;
			int rr = cand_restrict(&t, c->dim, c->len, keys[k]);

			err = rr < 0 || (rr > 0 && np == c->copies) ? -EINVAL
								    : 0;
			if (err == 0 && rr > 0)
				err = in_append(b, &t, &x);
			if (err < 0)
				goto out_free;
			if (rr > 0)
				cp[np++] = (struct acl_kv){ k, x };
		}
	}
	err = sort_kv(cp, np); /* by bucket, list order within */
	if (err < 0)
		goto out_free;
	for (uint32_t i = 0, p = 0, o = 0, k = 0; k < nb; k++) {
		for (;;) { /* merge bucket k's rules and copies by index */
			bool ri = i < *nk && (*kv)[i].key == keys[k];
			bool pi = p < np && cp[p].key == k;

			if (ri && (!pi || b->in[(*kv)[i].rule].c.idx <
						  b->in[cp[p].rule].c.idx))
				out[o++] = (*kv)[i++];
			else if (pi)
				out[o++] = (struct acl_kv){ keys[k],
							    cp[p++].rule };
			else
				break;
		}
	}
	free(*kv);
	*kv = out;
	out = NULL;
	*nk += np;
	b->copy_left -= np;
	b->l->copies += np;
out_free:
	free(keys);
	free(cp);
	free(out);
	return err;
}

/*
 * Make node ni a cut: its table of buckets, and its wildcard child.
 * *cost: the expected cost of a lookup aimed at one of its rules, see
 * node_build().  A complete cut's lookups that find their bucket skip the
 * wildcard child.
 */
static int
cut_make(struct acl_bld *b, uint32_t ni, const uint32_t *r, uint32_t n,
	 struct acl_state st, const struct acl_cut *cut, double *cost)
{
	struct acl_kv *kv = malloc((size_t)n * sizeof(*kv));
	uint32_t *wl = malloc((size_t)n * sizeof(*wl)), *pos = NULL;
	uint32_t nk = 0, nw = 0, w;
	double cb = 0, cw = 0;
	uint64_t key;
	int err = -ENOMEM;

	if (kv == NULL || wl == NULL)
		goto out_free;
	for (uint32_t i = 0; i < n; i++) {
		if (cand_key(&b->in[r[i]].c, cut->dim, cut->len, &key))
			kv[nk++] = (struct acl_kv){ key, r[i] };
		else
			wl[nw++] = r[i];
	}
	err = sort_kv(kv, nk);
	if (err == 0 && cut->complete && nw > 0)
		err = replicate(b, cut, &kv, &nk, wl, nw);
	if (err < 0)
		goto out_free;
	pos = malloc((size_t)nk * sizeof(*pos));
	err = -ENOMEM;
	if (pos == NULL)
		goto out_free;
	b->l->nodes[ni].dim = cut->dim;
	b->l->nodes[ni].mask =
		cut->dim == DIM_DP ? dp_mask(cut->len) : len_mask(cut->len);
	b->l->nodes[ni].complete = cut->complete;
	err = cut_buckets(b, ni, kv, pos, nk, state_below(st, cut), &cb);
	if (err == 0 && nw > 0) {
		err = node_build(b, wl, nw, st, &w, &cw);
		b->l->nodes[ni].wild = w;
	}
	if (cut->complete)
		*cost = COST_PROBE + (1 - cut->fmiss) * cb / nk +
			cut->fmiss * cw;
	else
		*cost = COST_PROBE + cb / n + cw;
out_free:
	free(kv);
	free(wl);
	free(pos);
	return err;
}

/*
 * Compile rules r[0..n) (indexes into b->in, in list order) into a node,
 * a cut if one is cheaper than scanning them.  *cost estimates what a
 * lookup aimed at one of the rules pays there: COST_RULE per rule it
 * checks, COST_PROBE per table; a cut costs its probe, the bucket of the
 * rule (weighted by size) and its wildcard child, which every lookup
 * visits (a complete cut: the lookups that find no bucket).  A cut no
 * cheaper than the scan is undone: everything is appended, so undoing is
 * truncating.
 */
static int
node_build(struct acl_bld *b, const uint32_t *r, uint32_t n,
	   struct acl_state st, uint32_t *out, double *cost)
{
	struct acl_list *l = b->l;
	struct acl_bld bmark;
	struct acl_list mark;
	struct acl_cut cut;
	uint32_t ni, first;
	int err;

	err = node_alloc(b, &ni);
	if (err == 0)
		err = scratch_reserve(b, n);
	if (err < 0)
		return err;
	*out = ni;
	l->nodes[ni].min_idx = b->in[r[0]].c.idx;
	*cost = n * COST_RULE;
	if (n > LEAF_MAX && cut_choose(b, r, n, &st, &cut)) {
		double c = 0;

		mark = *l;
		bmark = *b;
		err = cut_make(b, ni, r, n, st, &cut, &c);
		if (err < 0 || c < *cost) {
			*cost = c;
			return err;
		}
		l->n_nodes = mark.n_nodes;
		l->n_slots = mark.n_slots;
		l->keys = mark.keys;
		l->max_run = mark.max_run;
		l->copies = mark.copies;
		b->n_in = bmark.n_in;
		b->copy_left = bmark.copy_left;
		memset(&l->nodes[ni], 0, sizeof(l->nodes[ni]));
		l->nodes[ni].min_idx = b->in[r[0]].c.idx;
	}
	err = slots_alloc(b, n, &first);
	if (err < 0)
		return err;
	for (uint32_t i = 0; i < n; i++)
		b->l->slots[first + i] = b->in[r[i]];
	b->l->nodes[ni].dim = DIM_LEAF;
	b->l->nodes[ni].first = first;
	b->l->nodes[ni].count = n;
	if (n > b->l->max_run)
		b->l->max_run = n;
	return 0;
}

/* Compile l->n_cands rules `in` (list order) into l's tree. */
static int
tree_build(const struct ph_acl_index *ix, struct acl_list *l,
	   const union acl_slot *in)
{
	struct acl_bld b = { .ix = ix, .l = l };
	struct acl_state st = { .done = { [DIM_PORT] = 16 } };
	uint32_t n = l->n_cands, *r = malloc((size_t)n * sizeof(*r)), root;
	double cost;
	int err = -ENOMEM;

	b.in_cap = n < UINT32_MAX / 2 ? 2 * n : n;
	b.in = malloc((size_t)b.in_cap * sizeof(*b.in));
	if (r == NULL || b.in == NULL)
		goto out_free;
	memcpy(b.in, in, (size_t)n * sizeof(*in));
	b.n_in = n;
	b.copy_left = (uint64_t)COPY_LIST * n;
	for (uint32_t i = 0; i < n; i++)
		r[i] = i;
	err = node_build(&b, r, n, st, &root, &cost);
	l->compiled = err == 0;
	if (err == 0) { /* give back the growth margin */
		union acl_slot *ns =
			realloc(l->slots, l->n_slots * sizeof(*l->slots));
		struct acl_node *nn =
			realloc(l->nodes, l->n_nodes * sizeof(*l->nodes));

		l->slots = ns != NULL ? ns : l->slots;
		l->nodes = nn != NULL ? nn : l->nodes;
	}
out_free:
	free(r);
	free(b.in);
	free(b.ev);
	free(b.tmp);
	return err;
}
/* Do a and b match the same packets by the same conditions? */
static bool
cand_same(const struct acl_cand *a, const struct acl_cand *b)
{
	return a->src == b->src && a->smask == b->smask && a->dst == b->dst &&
	       a->dmask == b->dmask && a->slo == b->slo && a->shi == b->shi &&
	       a->dlo == b->dlo && a->dhi == b->dhi && a->proto == b->proto &&
	       a->icmp == b->icmp && a->flags == b->flags;
}

static uint32_t
cand_hash(const struct ph_acl_index *ix, const struct acl_cand *c)
{
	uint64_t w[4] = { (uint64_t)c->src << 32 | c->dst,
			  (uint64_t)c->smask << 32 | c->dmask,
			  (uint64_t)c->slo << 48 | (uint64_t)c->shi << 32 |
				  (uint64_t)c->dlo << 16 | c->dhi,
			  (uint64_t)c->proto | (uint64_t)c->icmp << 8 |
				  (uint64_t)c->flags << 16 },
		 h = ix->k1;

	for (unsigned i = 0; i < 4; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return (uint32_t)(h >> 32);
}

/*
 * Drop the rules identical to an earlier one of the list (they can never
 * be its first match), keeping the order: in[0..*m) shrinks in place.
 */
static int
dedup(const struct ph_acl_index *ix, union acl_slot *in, uint32_t *m)
{
	uint32_t sz = 16, k = 0, *tab;

	while (sz < 2 * *m)
		sz *= 2;
	tab = malloc((size_t)sz * sizeof(*tab));
	if (tab == NULL)
		return -ENOMEM;
	memset(tab, 0xff, (size_t)sz * sizeof(*tab));
	for (uint32_t i = 0; i < *m; i++) {
		uint32_t h = cand_hash(ix, &in[i].c) & (sz - 1);

		while (tab[h] != UINT32_MAX &&
		       !cand_same(&in[tab[h]].c, &in[i].c))
			h = (h + 1) & (sz - 1);
		if (tab[h] != UINT32_MAX)
			continue; /* a copy of rule tab[h] */
		in[k] = in[i];
		tab[h] = k++;
	}
	free(tab);
	*m = k;
	return 0;
}

/* Distinct destinations (masked by m) among the rules that cover tcp/udp
 * with a prefix of at least lo and below hi bits; tmp holds 2 n words. */
static uint32_t
filt_count(const union acl_slot *in, uint32_t n, unsigned lo, unsigned hi,
	   uint64_t *tmp)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++) {
		unsigned pl = prefix_len(in[i].c.dmask);

		if (cand_tcpudp(&in[i].c) && pl >= lo && pl < hi)
			tmp[k++] = (uint64_t)(in[i].c.dst & len_mask(lo)) << 32;
	}
	return ph_acl_distinct_hi32(tmp, tmp + n, k);
}

/* Lines for d cells of two protocols at most half full: 2^bits, at
 * least two. */
static unsigned
filt_bits(uint32_t d)
{
	unsigned bits = 1; /* a shift of 64 would be undefined */

	while ((1ULL << bits) < 4 * (uint64_t)d)
		bits++;
	return bits;
}

static void
filt_set(uint64_t *line, uint32_t bit)
{
	line[bit >> 6] |= 1ULL << (bit & 63);
}

/* Set rule c's bits for protocol pr (see filt_maybe()). */
static void
filt_add(const struct ph_acl_index *ix, struct acl_list *l,
	 const struct acl_cand *c, uint8_t pr)
{
	uint64_t cell = (uint64_t)c->dst << 8 | pr, h, *line;
	unsigned b = FILT_PORT_BITS, shift = l->filt_hshift;

	line = l->filt;
	if (c->dmask == UINT32_MAX && l->filt_hosts == 0)
		return; /* the host directory answers its packets */
	if (c->dmask != UINT32_MAX) {
		line += FILT_LINE_WORDS * (size_t)l->filt_hosts;
		cell = FILT_TAG_NET | (cell & ~0xff00ULL);
		shift = l->filt_nshift;
	}
	h = filt_cell(ix, cell);
	line += FILT_LINE_WORDS * (size_t)(h >> shift);
	if ((c->flags & (CAND_PORTS | CAND_DNEG)) == CAND_PORTS &&
	    (c->dhi >> b) - (c->dlo >> b) < FILT_BLOCKS_MAX) {
		for (uint32_t x = c->dlo >> b; x <= (uint32_t)c->dhi >> b; x++)
			filt_set(line,
				 filt_bit(ix, FILT_TAG_PORT |
						      (uint32_t)pr << (16 - b) |
						      x));
	} else if (prefix_len(c->smask) >= 24) {
		filt_set(line, filt_bit(ix, FILT_TAG_SRC | c->src >> 8));
	} else {
		filt_set(line, filt_any(h, shift));
	}
}

/* Share of bits set in the lines that have any: a filter that passes
 * most packets is not worth its probe. */
static bool
filt_sparse(const struct acl_list *l)
{
	uint64_t set = 0, used = 0;
	uint32_t lines = l->filt_hosts + l->filt_nets;

	for (uint32_t i = 0; i < lines; i++) {
		unsigned pc = 0;

		for (unsigned j = 0; j < FILT_LINE_WORDS; j++)
			pc += (unsigned)__builtin_popcountll(
				l->filt[FILT_LINE_WORDS * (size_t)i + j]);
		set += pc;
		used += pc != 0;
	}
	return set * 8 <= used * FILT_LINE_WORDS * 64;
}

/*
 * Build l's deny filter over its n kept rules `in`, if its root is a
 * complete cut with a wildcard child (where a miss would search on),
 * every rule that can match a tcp/udp packet has a destination of /24 or
 * longer, and the filter comes out sparse; otherwise leave l->filt NULL.
 */
static int
filt_build(const struct ph_acl_index *ix, struct acl_list *l,
	   const union acl_slot *in, uint32_t n)
{
	uint64_t *tmp;
	uint32_t dh, dn;
	unsigned hb, nb;

	if (!l->nodes[0].complete || l->nodes[0].wild == 0)
		return 0; /* consulted only when a complete root misses */
	for (uint32_t i = 0; i < n; i++) {
		if (cand_tcpudp(&in[i].c) && prefix_len(in[i].c.dmask) < 24)
			return 0;
	}
	tmp = malloc(2 * (size_t)n * sizeof(*tmp));
	if (tmp == NULL)
		return -ENOMEM;
	dh = l->dir == NULL ? filt_count(in, n, 32, 33, tmp) : 0;
	dn = filt_count(in, n, 24, 32, tmp);
	free(tmp);
	if (dh == 0 && dn == 0)
		return 0; /* nothing left to filter */
	hb = dh > 0 ? filt_bits(dh) : 0;
	nb = dn > 0 ? filt_bits(dn) : 0;
	l->filt_hosts = dh > 0 ? 1u << hb : 0;
	l->filt_nets = dn > 0 ? 1u << nb : 0;
	l->filt_hshift = (uint8_t)(64 - hb);
	l->filt_nshift = (uint8_t)(64 - nb);
	l->filt =
		calloc((size_t)(l->filt_hosts + l->filt_nets) * FILT_LINE_WORDS,
		       sizeof(*l->filt));
	if (l->filt == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct acl_cand *c = &in[i].c;

		if (!cand_tcpudp(c))
			continue;
		if ((c->flags & CAND_ANYPROTO) || c->proto == 6)
			filt_add(ix, l, c, 6);
		if ((c->flags & CAND_ANYPROTO) || c->proto == 17)
			filt_add(ix, l, c, 17);
	}
	if (!filt_sparse(l)) {
		free(l->filt);
		l->filt = NULL;
	}
	return 0;
}

static int
list_build(const struct ph_acl_index *ix, struct acl_list *l,
	   const struct ph_ace *aces, size_t n, uint32_t base,
	   uint32_t linear_max)
{
	union acl_slot *in;
	uint32_t m = 0;
	int err = 0;

	if (n > PH_ACL_EXPANDED_MAX)
		return -E2BIG;
	l->n = (uint32_t)n;
	if (n == 0)
		return 0;
	in = calloc(n, sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = cand_make(&in[m].c, &aces[i], (int32_t)(base + i));
		if (err < 0)
			goto out_free;
		m += err == 0; /* 1: can match nothing, dropped */
	}
	err = dedup(ix, in, &m);
	if (err < 0)
		goto out_free;
	l->n_cands = m;
	if (n < linear_max || m == 0) {
		l->slots = in;
		l->n_slots = m;
		return 0;
	}
	err = tree_build(ix, l, in);
	if (err == 0) /* before the filter, which leaves it the hosts */
		l->dir = ph_acl_dir_build(&in[0].c, m, ix->k0, ix->k1, &err);
	if (err == 0)
		err = filt_build(ix, l, in, m);
out_free:
	free(in);
	return err;
}

static void
list_free(struct acl_list *l)
{
	free(l->nodes);
	free(l->slots);
	free(l->filt);
	ph_acl_dir_free(l->dir);
}

void
ph_acl_index_free(struct ph_acl_index *ix)
{
	if (ix == NULL)
		return;
	for (uint32_t i = 0; i <= ix->n_acls; i++)
		list_free(&ix->lists[i]);
	free(ix->lists);
	free(ix);
}

/* Mix the caller's seed into two hash words (splitmix64 steps). */
static uint64_t
seed_next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/*
 * Does multiplier k spread neighbouring keys?  Multiply-shift sends keys
 * x, x + d, x + 2d, ... to the top bits of k * d * i: points on a circle
 * that cluster when k / 2^64 is close to a fraction of small denominator
 * (k1 near 2^64 / 3 put 32 neighbouring hosts into 3 clusters of a
 * 256-slot table: walks of 11-24 slots).  Require the 64 first points to
 * keep a quarter of the even gap for steps d of 1 (hosts, ports), 256
 * (/24s), 65536 (/16s) and 2^24 (hosts in a DIM_DP key); about one
 * random multiplier in five passes.
 */
static bool
mult_ok(uint64_t k)
{
	static const unsigned steps[] = { 0, 8, 16, 24 };
	uint16_t pt[65];

	for (unsigned s = 0; s < 4; s++) {
		pt[0] = 0;
		for (uint64_t i = 1; i <= 64; i++)
			pt[i] = (uint16_t)((k * (i << steps[s])) >> 48);
		qsort(pt, 65, sizeof(pt[0]), cmp_u16);
		for (unsigned i = 1; i <= 64; i++) {
			if (pt[i] - pt[i - 1] < 65536 / 65 / 4)
				return false;
		}
		if (65536 - pt[64] + pt[0] < 65536 / 65 / 4)
			return false;
	}
	return true;
}

struct ph_acl_index *
ph_acl_index_build_opts(const struct ph_policy *pol,
			const struct ph_acl_build_opts *o, int *err)
{
	struct ph_acl_index *ix;
	uint64_t x = o->seed;
	int e = -ENOMEM;

	if (pol->n_acls >= UINT32_MAX) {
		e = -E2BIG;
		goto out_err;
	}
	ix = calloc(1, sizeof(*ix));
	if (ix == NULL)
		goto out_err;
	ix->k0 = seed_next(&x);
	for (int i = 0; i < 1000; i++) { /* k1 stays odd if none passes */
		ix->k1 = seed_next(&x) | 1;
		if (mult_ok(ix->k1))
			break;
	}
	ix->n_acls = (uint32_t)pol->n_acls;
	ix->lists = calloc(pol->n_acls + 1, sizeof(*ix->lists));
	if (ix->lists == NULL)
		goto out_free;
	for (uint32_t i = 0; i < ix->n_acls; i++) {
		const struct ph_acl *a = &pol->acls[i];

		if ((size_t)a->first + a->count > pol->n_aces) {
			e = -EINVAL;
			goto out_free;
		}
		e = list_build(ix, &ix->lists[i], acl_entries(pol, a), a->count,
			       a->first, o->linear_max);
		if (e < 0)
			goto out_free;
	}
	e = list_build(ix, &ix->lists[ix->n_acls], pol->conduits,
		       pol->n_conduits, 0, o->linear_max);
	if (e < 0)
		goto out_free;
	return ix;

out_free:
	ph_acl_index_free(ix);
out_err:
	if (err != NULL)
		*err = e;
	return NULL;
}

struct ph_acl_index *
ph_acl_index_build(const struct ph_policy *pol, uint64_t seed, int *err)
{
	struct ph_acl_build_opts o = { .seed = seed,
				       .linear_max = PH_ACL_LINEAR_MAX };

	return ph_acl_index_build_opts(pol, &o, err);
}

/* ---- statistics ---- */

/* Most tables a lookup can probe from node nd down (its wildcard chain
 * and the deepest sub-tree of each cut on it). */
static uint32_t
node_probes(const struct acl_list *l, const struct acl_node *nd)
{
	uint32_t total = 0;

	for (;;) {
		uint32_t deepest = 0;

		if (nd->dim == DIM_LEAF)
			break;
		for (uint32_t i = 0; i <= nd->count; i++) {
			const union acl_slot *sl = &l->slots[nd->first + i];
			uint32_t p;

			if (sl->c.kind != SLOT_SUB)
				continue;
			p = node_probes(l, &sl->s.nd);
			if (p > deepest)
				deepest = p;
		}
		if (nd->complete && nd->wild != 0) { /* a bucket, or else */
			uint32_t w = node_probes(l, &l->nodes[nd->wild]);

			return total + 1 + (w > deepest ? w : deepest);
		}
		total += 1 + deepest;
		if (nd->wild == 0)
			break;
		nd = &l->nodes[nd->wild];
	}
	return total;
}

static void
tree_stats(const struct acl_list *l, struct ph_acl_stats *st)
{
	uint32_t cuts = 0;

	for (uint32_t ni = 0; ni < l->n_nodes; ni++) {
		const struct acl_node *nd = &l->nodes[ni];

		if (nd->dim == DIM_LEAF)
			continue;
		cuts++;
		for (uint32_t i = 0; i <= nd->count; i++)
			st->subs += l->slots[nd->first + i].c.kind == SLOT_SUB;
	}
	for (uint32_t ni = 0;; ni = l->nodes[ni].wild) {
		st->tuples += l->nodes[ni].dim != DIM_LEAF;
		if (l->nodes[ni].wild == 0)
			break;
	}
	st->sub_tuples = cuts - st->tuples;
	st->nodes = l->n_nodes;
	st->max_probes = node_probes(l, &l->nodes[0]);
}

static void
list_stats(const struct acl_list *l, struct ph_acl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = l->n;
	st->dropped = l->n - l->n_cands;
	st->compiled = l->compiled;
	if (!l->compiled) {
		st->keys = l->n_cands;
		st->max_run = l->n_cands;
		st->mem_bytes = (size_t)l->n_cands * sizeof(union acl_slot);
		return;
	}
	st->keys = l->keys;
	st->max_run = l->max_run;
	st->replicas = l->copies;
	st->mem_bytes = (size_t)l->n_nodes * sizeof(struct acl_node) +
			(size_t)l->n_slots * sizeof(union acl_slot);
	if (l->filt != NULL) {
		st->filter_lines = l->filt_hosts + l->filt_nets;
		st->mem_bytes += (size_t)st->filter_lines * FILT_LINE_WORDS *
				 sizeof(*l->filt);
	}
	st->mem_bytes += ph_acl_dir_mem(l->dir);
	st->dir_cells = ph_acl_dir_cells(l->dir);
	st->dir_copies = ph_acl_dir_copies(l->dir);
	tree_stats(l, st);
}

int
ph_acl_index_stats(const struct ph_acl_index *ix, uint32_t acl_no,
		   struct ph_acl_stats *st)
{
	if (ix == NULL || acl_no >= ix->n_acls)
		return -ENOENT;
	list_stats(&ix->lists[acl_no], st);
	return 0;
}

void
ph_acl_index_conduit_stats(const struct ph_acl_index *ix,
			   struct ph_acl_stats *st)
{
	list_stats(&ix->lists[ix->n_acls], st);
}
