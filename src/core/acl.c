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
 * ONE key:
 *
 *   dst/L    the destination masked to L bits, selecting the rules whose
 *            destination prefix is at least L long;
 *   src/L    the same on the source;
 *   proto    the protocol, selecting every rule that is not `ip`;
 *   port     tcp/udp with the destination port (`eq`), or icmp with the
 *            type, selecting the rules with that exact condition.
 *
 * The cut is an open-addressing table (seeded multiply-shift hash, at most
 * a quarter full).  For each key it holds either the key's rules
 * themselves, one 32-byte slot each (up to LEAF_MAX rules, so a hit costs
 * the line the probe reads), or the root of a sub-tree, copied into the
 * slot (more rules).  The rules the key cannot select (a shorter prefix,
 * `ip`, ranges) form the node's wildcard child, compiled the same way.
 *
 * A lookup computes the packet's four key words once.  At each node it
 * probes ONE table and walks from the hash to the first empty slot: a rule
 * met there either carries the packet's key or cannot match it (its key is
 * part of what it matches), and the rules of one key lie in list order
 * along the walk (each went into the first empty slot after the previous
 * one), so the first rule that matches is the key's first match.  Then it
 * continues into the wildcard child, unless that child's lowest entry
 * index already comes after the best match (priority pruning).  Each rule
 * sits in exactly one place: first match is exact and nothing is copied.
 *
 * Choosing the cut: every candidate (dst/L and src/L for each prefix
 * length present, proto, port) is scored by the expected number of rules
 * left to search for a packet aimed at a random rule of the node,
 * sum(bucket^2)/n + |wildcard|, a bucket too big to sit inline counting
 * its rules as half wildcard rules (bucket_score()); the lowest wins.  The
 * sub-tree it builds is then costed (COST_PROBE per table, COST_RULE per
 * rule checked, the wildcard chain paid by every lookup) against a scan
 * of the node's rules, and a cut that does not pay is undone.  Each cut
 * consumes its key (a longer prefix, or proto/port once), so depth
 * follows the key space, not the number of entries; max_probes in
 * ph_acl_stats is the bound of a built list.  What the trees look like,
 * from bench/acl_bench.c's families:
 *
 *   outside    (hosts and subnets spread over the address space, `eq`
 *              ports, some ranges): dst/16, then a port cut for the `any`
 *              destinations, up to ~10,000 entries; at 100,000 the /16s
 *              crowd and the root is dst/24, then port and dst/16: 2-3
 *              probes a lookup, 8-14 ns from 100 to 100,000 entries;
 *   blocklist  (`deny ip host any` by source): src/32 then src/24, two
 *              probes, 8-10 ns at any size;
 *   objgroups  (object-group expansion: ~25 entries per host, differing
 *              by source and port): dst/32, then per host source and port
 *              cuts, plus a wildcard chain for the `any` sources and the
 *              subnet-wide blocks: 2-6 probes, 15-33 ns.  Trees get deep
 *              where one host's entries overlap on every key; see
 *              docs/performance.md.
 *
 * Build: each node radix-sorts its rules once per dimension and scores
 * every prefix length in one pass per length, so a compile is
 * O(n * (lengths present) * depth): 100,000 entries in 11-19 ms,
 * 1,000,000 in 0.19-0.32 s on the project's machine.
 *
 * Hash flooding: the tables are fixed at build from the operator's rules;
 * a sender only chooses which slot to probe, never adds to one, so a keyed
 * multiply-shift is enough.
 *
 * Known limits: rules that share every key and differ only by port
 * ranges, source ports or neq/lt/gt stay in one leaf and are checked one
 * by one (ranges are not expanded: ph_acl_stats.max_run shows the longest
 * such run); a list holds at most PH_ACL_EXPANDED_MAX entries (-E2BIG).
 */
#include "core/acl.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"

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

/* What a node keys on: indexes into struct acl_pkt's words. */
enum { DIM_DST, DIM_SRC, DIM_PROTO, DIM_PORT, DIM_N, DIM_LEAF = DIM_N };

struct acl_node {
	uint32_t mask;	 /* key mask: a prefix, or all ones */
	uint32_t first;	 /* cut: first slot of its table; leaf: of its run */
	uint32_t count;	 /* cut: slots - 1; leaf: run length */
	uint32_t wild;	 /* node of the rules the key cannot select; 0 none */
	int32_t min_idx; /* lowest entry index under this node */
	uint8_t dim;	 /* DIM_* */
	uint8_t shift;	 /* hash: 64 - log2(table slots) */
};

/* A bucket too big to hold inline: the root of its sub-tree, copied into
 * the slot so that descending costs no extra memory access. */
struct acl_sub {
	uint32_t key;
	struct acl_node nd;
	uint8_t pad[3];
	uint8_t kind; /* SLOT_SUB */
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
_Static_assert(offsetof(struct acl_cand, kind) ==
		       offsetof(struct acl_sub, kind),
	       "kind at the same place in both layouts");

struct acl_list {
	uint32_t n;	  /* entries of the list */
	uint32_t n_cands; /* kept (entries that can match) */
	bool compiled;
	union acl_slot *slots; /* linear: the kept rules in list order;
				 * compiled: tables and leaf runs */
	uint32_t n_slots;
	struct acl_node *nodes; /* root first */
	uint32_t n_nodes;
	uint32_t keys;	  /* distinct keys over all tables */
	uint32_t max_run; /* largest inline bucket or leaf */
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

static inline bool
in_range(uint16_t p, uint16_t lo, uint16_t hi, bool neg)
{
	return (p >= lo && p <= hi) != neg;
}

/* The layer-4 part of a match (ports or icmp type; never both). */
static bool
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

/* ---- keys ---- */

/* A port key no rule has: rule keys are below 1 << 24. */
#define NO_KEY UINT32_MAX

/* The packet's key words, computed once per lookup. */
struct acl_pkt {
	uint32_t w[DIM_N];
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
	if (k->no_ports)
		return;
	if (k->proto == 6 || k->proto == 17)
		p->w[DIM_PORT] = (uint32_t)k->proto << 16 | k->dport;
	else if (k->proto == 1 && k->icmp_type >= 0)
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

/*
 * The key of rule c on a cut (dim, len), as the packet's word masked by
 * the node would be; false if the cut cannot select c (a prefix shorter
 * than len, `ip`, a port condition other than `eq`).
 */
static bool
cand_key(const struct acl_cand *c, uint8_t dim, unsigned len, uint32_t *key)
{
	switch (dim) {
	case DIM_DST:
		*key = c->dst & len_mask(len);
		return prefix_len(c->dmask) >= len;
	case DIM_SRC:
		*key = c->src & len_mask(len);
		return prefix_len(c->smask) >= len;
	case DIM_PROTO:
		*key = c->proto;
		return !(c->flags & CAND_ANYPROTO);
	default:
		if (c->flags & CAND_TYPED) {
			*key = 1u << 16 | c->icmp;
			return true;
		}
		*key = (uint32_t)c->proto << 16 | c->dlo;
		return (c->flags & (CAND_PORTS | CAND_DNEG)) == CAND_PORTS &&
		       c->dlo == c->dhi;
	}
}

static inline uint32_t
acl_hash(const struct ph_acl_index *ix, uint32_t key, unsigned shift)
{
	return (uint32_t)((((uint64_t)key ^ ix->k0) * ix->k1) >> shift);
}

/* ---- lookup ---- */

#define NO_MATCH INT32_MAX

/* Scan a run (list order) for a match before `best`. */
static inline int32_t
run_scan(const union acl_slot *s, uint32_t n, const struct ph_acl_key *k,
	 int32_t best)
{
	for (uint32_t j = 0; j < n && s[j].c.idx < best; j++) {
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
static int32_t
table_search(const struct ph_acl_index *ix, const struct acl_list *l,
	     const struct acl_node *nd, const struct acl_pkt *p, int32_t best)
{
	uint32_t key = p->w[nd->dim] & nd->mask;
	uint32_t h = acl_hash(ix, key, nd->shift);

	for (;; h = (h + 1) & nd->count) {
		const union acl_slot *sl = &l->slots[nd->first + h];

		if (sl->c.kind == SLOT_RULE) {
			if (sl->c.idx < best && cand_match(&sl->c, p->k))
				return sl->c.idx;
		} else if (sl->c.kind == SLOT_SUB) {
			if (sl->s.key == key)
				return node_search(ix, l, &sl->s.nd, p, best);
		} else {
			return best;
		}
	}
}

/*
 * First match under node nd before `best` (NO_MATCH: none yet): its
 * table, then the wildcard chain, unless the next node's lowest index
 * already comes after the best match.
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
		best = table_search(ix, l, nd, p, best);
		if (nd->wild == 0)
			return best;
		nd = &l->nodes[nd->wild];
	}
}

static int32_t
list_lookup(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct ph_acl_key *k)
{
	struct acl_pkt p;
	int32_t r;

	if (!l->compiled) {
		r = run_scan(l->slots, l->n_cands, k, NO_MATCH);
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

/* What the path to a node has keyed already. */
struct acl_state {
	uint8_t dst_len, src_len; /* prefix bits keyed */
	bool proto_done, port_done;
};

/* A candidate cut and its score. */
struct acl_cut {
	uint8_t dim; /* DIM_LEAF: no cut improves on a scan */
	uint8_t len; /* prefix length of dst/src cuts */
	uint64_t cost;
};

struct acl_bld {
	const struct ph_acl_index *ix;
	struct acl_list *l;
	const union acl_slot *in; /* the list's kept rules, list order */
	uint64_t *ev, *tmp;	  /* scratch words, one per rule */
	uint32_t nodes_cap, slots_cap;
};

/*
 * Sort a[0..n) by the upper 32 bits, stably (LSD radix, bytes that are
 * the same in every word skipped); tmp holds n words.
 */
static void
sort_hi32(uint64_t *a, uint64_t *tmp, uint32_t n)
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
cut_consider(struct acl_cut *best, uint8_t dim, unsigned len, uint64_t cost)
{
	if (cost < best->cost) {
		best->dim = dim;
		best->len = (uint8_t)len;
		best->cost = cost;
	}
}

/* Score dim/L for every prefix length L present above `done` bits. */
static void
eval_prefix(struct acl_bld *b, const uint32_t *r, uint32_t n, uint8_t dim,
	    unsigned done, struct acl_cut *best)
{
	uint64_t lens = 0;
	uint32_t m = 0;

	for (uint32_t i = 0; i < n; i++) {
		const struct acl_cand *c = &b->in[r[i]].c;
		uint32_t mask = dim == DIM_DST ? c->dmask : c->smask;
		unsigned pl = prefix_len(mask);

		if (pl <= done)
			continue;
		b->ev[m++] =
			(uint64_t)(dim == DIM_DST ? c->dst : c->src) << 32 | pl;
		lens |= 1ULL << pl;
	}
	if (m == 0)
		return;
	sort_hi32(b->ev, b->tmp, m);
	for (unsigned len = done + 1; len <= 32; len++) {
		if (lens >> len & 1)
			cut_consider(best, dim, len,
				     cut_score(b->ev, m, len, n));
	}
}

/* Score the proto or port cut. */
static void
eval_key(struct acl_bld *b, const uint32_t *r, uint32_t n, uint8_t dim,
	 struct acl_cut *best)
{
	uint32_t m = 0, key;

	for (uint32_t i = 0; i < n; i++) {
		if (cand_key(&b->in[r[i]].c, dim, 32, &key))
			b->ev[m++] = (uint64_t)key << 32 | 32;
	}
	if (m == 0)
		return;
	sort_hi32(b->ev, b->tmp, m);
	cut_consider(best, dim, 32, cut_score(b->ev, m, 32, n));
}

/* The cheapest cut of rules r[0..n); false if none beats a scan. */
static bool
cut_choose(struct acl_bld *b, const uint32_t *r, uint32_t n,
	   const struct acl_state *st, struct acl_cut *cut)
{
	cut->dim = DIM_LEAF;
	cut->len = 0;
	cut->cost = (uint64_t)n * n; /* one bucket, or all wildcard */
	eval_prefix(b, r, n, DIM_DST, st->dst_len, cut);
	eval_prefix(b, r, n, DIM_SRC, st->src_len, cut);
	if (!st->port_done)
		eval_key(b, r, n, DIM_PORT, cut);
	if (!st->proto_done)
		eval_key(b, r, n, DIM_PROTO, cut);
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

/* The first empty slot of node ni's table on the walk from key's hash. */
static union acl_slot *
slot_free(struct acl_bld *b, uint32_t ni, uint32_t key)
{
	const struct acl_node *nd = &b->l->nodes[ni];
	uint32_t h = acl_hash(b->ix, key, nd->shift);

	while (b->l->slots[nd->first + h].c.kind != SLOT_EMPTY)
		h = (h + 1) & nd->count;
	return &b->l->slots[nd->first + h];
}

/* The state below a bucket of `cut`. */
static struct acl_state
state_below(struct acl_state st, const struct acl_cut *cut)
{
	switch (cut->dim) {
	case DIM_DST:
		st.dst_len = cut->len;
		break;
	case DIM_SRC:
		st.src_len = cut->len;
		break;
	case DIM_PORT: /* the port key holds the protocol */
		st.port_done = true;
		st.proto_done = true;
		break;
	default:
		st.proto_done = true;
		break;
	}
	return st;
}

/* Put one bucket (key, rules pos[0..n)) into node ni's table: its rules
 * in list order, or the sub-tree they compile to. */
static int
bucket_put(struct acl_bld *b, uint32_t ni, uint32_t key, const uint32_t *pos,
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
	sl->s.key = key;
	sl->s.nd = b->l->nodes[ci];
	sl->s.kind = SLOT_SUB;
	return 0;
}

/* Size node ni's table for the buckets of kv[0..nk) (key << 32 | rule,
 * sorted): a slot per rule of a small bucket, one per sub-tree, at most
 * half full. */
static int
table_alloc(struct acl_bld *b, uint32_t ni, const uint64_t *kv, uint32_t nk)
{
	uint32_t used = 0, sz = 2, bits = 1, first;
	int err;

	for (uint32_t a = 0, e; a < nk; a = e) {
		for (e = a + 1; e < nk && kv[e] >> 32 == kv[a] >> 32; e++)
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
cut_buckets(struct acl_bld *b, uint32_t ni, const uint64_t *kv, uint32_t *pos,
	    uint32_t nk, struct acl_state below, double *cost)
{
	int err = table_alloc(b, ni, kv, nk);

	*cost = 0;
	for (uint32_t i = 0; i < nk; i++)
		pos[i] = (uint32_t)kv[i];
	for (uint32_t a = 0, e; a < nk && err == 0; a = e) {
		uint32_t key = (uint32_t)(kv[a] >> 32);
		double c = 0;

		for (e = a + 1; e < nk && (uint32_t)(kv[e] >> 32) == key; e++)
			;
		err = bucket_put(b, ni, key, pos + a, e - a, below, &c);
		*cost += (e - a) * c;
	}
	return err;
}

/*
 * Make node ni a cut: its table of buckets, and its wildcard child.
 * *cost: the expected cost of a lookup aimed at one of its rules, see
 * node_build().
 */
static int
cut_make(struct acl_bld *b, uint32_t ni, const uint32_t *r, uint32_t n,
	 struct acl_state st, const struct acl_cut *cut, double *cost)
{
	uint64_t *kv = malloc((size_t)n * sizeof(*kv));
	uint32_t *pos = malloc((size_t)n * sizeof(*pos));
	uint32_t nk = 0, nw = 0, key, w;
	double cb = 0, cw = 0;
	int err = -ENOMEM;

	if (kv == NULL || pos == NULL)
		goto out_free;
	for (uint32_t i = 0; i < n; i++) { /* wildcard rules: pos from n-1 */
		if (cand_key(&b->in[r[i]].c, cut->dim, cut->len, &key))
			kv[nk++] = (uint64_t)key << 32 | r[i];
		else
			pos[n - 1 - nw++] = r[i];
	}
	/* the wildcard rules back in list order, before pos is reused */
	for (uint32_t i = 0; i < nw / 2; i++) {
		uint32_t t = pos[n - 1 - i];

		pos[n - 1 - i] = pos[n - nw + i];
		pos[n - nw + i] = t;
	}
	sort_hi32(kv, b->tmp, nk);
	b->l->nodes[ni].dim = cut->dim;
	b->l->nodes[ni].mask = cut->dim == DIM_DST || cut->dim == DIM_SRC
				       ? len_mask(cut->len)
				       : UINT32_MAX;
	err = cut_buckets(b, ni, kv, pos, nk, state_below(st, cut), &cb);
	if (err == 0 && nw > 0) {
		err = node_build(b, pos + n - nw, nw, st, &w, &cw);
		b->l->nodes[ni].wild = w;
	}
	*cost = COST_PROBE + cb / n + cw;
out_free:
	free(kv);
	free(pos);
	return err;
}

/*
 * Compile rules r[0..n) (indexes into b->in, ascending) into a node, a
 * cut if one is cheaper than scanning them.  *cost estimates what a
 * lookup aimed at one of the rules pays there: COST_RULE per rule it
 * checks, COST_PROBE per table; a cut costs its probe, the bucket of the
 * rule (weighted by size) and its wildcard child, which every lookup
 * visits.  A cut no cheaper than the scan is undone: everything is
 * appended, so undoing is truncating.
 */
static int
node_build(struct acl_bld *b, const uint32_t *r, uint32_t n,
	   struct acl_state st, uint32_t *out, double *cost)
{
	struct acl_list *l = b->l;
	struct acl_list mark;
	struct acl_cut cut;
	uint32_t ni, first;
	int err;

	err = node_alloc(b, &ni);
	if (err < 0)
		return err;
	*out = ni;
	l->nodes[ni].min_idx = b->in[r[0]].c.idx;
	*cost = n * COST_RULE;
	if (n > LEAF_MAX && cut_choose(b, r, n, &st, &cut)) {
		double c = 0;

		mark = *l;
		err = cut_make(b, ni, r, n, st, &cut, &c);
		if (err < 0 || c < *cost) {
			*cost = c;
			return err;
		}
		l->n_nodes = mark.n_nodes;
		l->n_slots = mark.n_slots;
		l->keys = mark.keys;
		l->max_run = mark.max_run;
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
	struct acl_bld b = { .ix = ix, .l = l, .in = in };
	struct acl_state st = { 0 };
	uint32_t n = l->n_cands, *r = malloc((size_t)n * sizeof(*r)), root;
	double cost;
	int err = -ENOMEM;

	b.ev = malloc((size_t)n * sizeof(*b.ev));
	b.tmp = malloc((size_t)n * sizeof(*b.tmp));
	if (r == NULL || b.ev == NULL || b.tmp == NULL)
		goto out_free;
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
out_free:
	free(in);
	return err;
}

static void
list_free(struct acl_list *l)
{
	free(l->nodes);
	free(l->slots);
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
	ix->k1 = seed_next(&x) | 1;
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
	st->mem_bytes = (size_t)l->n_nodes * sizeof(struct acl_node) +
			(size_t)l->n_slots * sizeof(union acl_slot);
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
