/*
 * core/acl.c - compiled first-match ACL lookup (tuple space search with
 * priority pruning) and the linear reference it must agree with.
 *
 * Every list (each ACL, and the conduits) is copied into compact rules
 * ("cands": masks, protocol, port intervals, icmp type, original index).
 * A list shorter than the linear threshold is scanned in order.  A longer
 * one becomes a small hierarchy of tuple spaces:
 *
 *   level 1  tuples by destination prefix length, keyed on the masked
 *            destination: one run of cands per destination prefix;
 *   level 2  (a run longer than RUN_LINEAR) tuples by source prefix length,
 *            keyed on the masked source;
 *   level 3  (again, a long run) tuples by key kind: `ip`, a protocol,
 *            tcp/udp with `eq` on the destination port (keyed on protocol
 *            and port), icmp with a type (keyed on the type).
 *
 * Each tuple is an open-addressing hash table (keyed mix, seeded at build)
 * from the masked key to a run of cands sharing it, in list order; a run
 * is checked rule by rule (source ports, ranges, neq/lt/gt), so nothing is
 * expanded and a build is O(n) per level.
 *
 * A lookup walks each level's tuples in order of their lowest entry index
 * and stops as soon as the best match so far precedes the next tuple's
 * lowest index (priority pruning).  An implicit deny probes, per level
 * reached, one table per distinct prefix length or kind present: the cost
 * follows the variety of entry shapes, not the number of entries.
 *
 * Hash flooding: the tables are fixed at build from the operator's rules;
 * a sender can only choose which bucket to probe, never add to one, so a
 * seeded multiply-xorshift mix is enough (no SipHash cost per tuple).
 *
 * Known limits: entries sharing both prefixes and the key kind, differing
 * only in port ranges (or source ports), share one run and are checked one
 * by one; a list holds at most PH_ACL_EXPANDED_MAX entries (-E2BIG).
 */
#include "core/acl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"

#define CAND_PORTS 0x01 /* has a port condition */
#define CAND_SNEG  0x02 /* source port: neq (outside [slo, shi]) */
#define CAND_DNEG  0x04 /* destination port: neq */
#define CAND_NEVER 0x08 /* can match nothing (e.g. `lt 0`) */

/* One compiled entry, compact. */
struct acl_cand {
	uint32_t src, smask, dst, dmask;
	int32_t idx;   /* index in pol->aces / pol->conduits */
	int16_t proto; /* PH_PROTO_ANY or 0..255 */
	int16_t icmp;  /* PH_ICMP_ANY or 0..255 */
	uint16_t slo, shi, dlo, dhi;
	uint8_t flags;
};

struct acl_slot {
	uint32_t s, d, pd; /* masked key; pd per key kind (level 3) */
	uint32_t first;	   /* first cand of the run */
	uint32_t n;	   /* run length; 0 = empty slot */
	uint32_t sub;	   /* sub-index of a long run + 1, 0 = none */
};

struct acl_tuple {
	uint32_t smask, dmask;
	uint8_t kind;	   /* KIND_*: what pd holds */
	int32_t min_idx;   /* lowest entry index in the tuple */
	uint32_t slot_off; /* into list->slots */
	uint32_t mask;	   /* slots - 1 */
	uint32_t one;	   /* the only occupied slot (absolute), or NO_ONE */
};

#define NO_ONE UINT32_MAX

struct acl_list {
	uint32_t n; /* entries */
	bool compiled;
	uint8_t level;		/* 1: destination, 2: source, 3: key kind */
	struct acl_cand *cands; /* linear: list order; compiled: by run */
	struct acl_tuple *tuples;
	uint32_t n_tuples;
	struct acl_slot *slots;
	uint32_t n_slots;
	uint32_t keys;	       /* occupied slots */
	struct acl_list *subs; /* level 1: sub-indexes of long runs */
	uint32_t n_subs;
};

struct ph_acl_index {
	uint64_t k0, k1;	/* hash key */
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

/* Port condition as an interval [lo, hi], negated for neq. */
static void
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
		if (ps->lo == 0)
			*flags |= CAND_NEVER;
		else
			*hi = ps->lo - 1;
		break;
	case PH_PORT_GT:
		if (ps->lo == 0xffff)
			*flags |= CAND_NEVER;
		else
			*lo = ps->lo + 1;
		break;
	case PH_PORT_RANGE:
		*lo = ps->lo;
		*hi = ps->hi;
		if (ps->lo > ps->hi)
			*flags |= CAND_NEVER;
		break;
	}
}

static bool
mask_ok(uint32_t m)
{
	return (m & (~m >> 1)) == 0 || m == 0; /* contiguous from the top */
}

static int
cand_make(struct acl_cand *c, const struct ph_ace *e, int32_t idx)
{
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
	c->proto = e->proto;
	c->icmp = e->icmp_type;
	cand_ports(&e->sport, &c->slo, &c->shi, &c->flags, CAND_SNEG);
	cand_ports(&e->dport, &c->dlo, &c->dhi, &c->flags, CAND_DNEG);
	if (e->sport.op != PH_PORT_ANY || e->dport.op != PH_PORT_ANY) {
		c->flags |= CAND_PORTS;
		if (e->proto != 6 && e->proto != 17)
			c->flags |= CAND_NEVER;
	}
	if (e->icmp_type != PH_ICMP_ANY && e->proto != 1)
		c->flags |= CAND_NEVER;
	return 0;
}

static inline bool
in_range(uint16_t p, uint16_t lo, uint16_t hi, bool neg)
{
	return (p >= lo && p <= hi) != neg;
}

static inline bool
cand_match(const struct acl_cand *c, const struct ph_acl_key *k)
{
	if ((k->src & c->smask) != c->src || (k->dst & c->dmask) != c->dst)
		return false;
	if (c->proto != PH_PROTO_ANY && c->proto != k->proto)
		return false;
	if (c->flags != 0) {
		if (c->flags & CAND_NEVER || k->no_ports)
			return false;
		if (!in_range(k->sport, c->slo, c->shi, c->flags & CAND_SNEG) ||
		    !in_range(k->dport, c->dlo, c->dhi, c->flags & CAND_DNEG))
			return false;
	}
	if (c->icmp != PH_ICMP_ANY)
		return !k->no_ports && k->icmp_type == c->icmp;
	return true;
}

/* ---- hashing ---- */

static inline uint32_t
acl_hash(const struct ph_acl_index *ix, uint32_t s, uint32_t d, uint32_t pd)
{
	uint64_t h = (((uint64_t)s << 32) | d) ^ ix->k0;

	h *= 0x9e3779b97f4a7c15ULL;
	h ^= (h >> 29) ^ ((uint64_t)pd ^ ix->k1);
	h *= 0xbf58476d1ce4e5b9ULL;
	return (uint32_t)(h >> 32);
}

/* Key kinds of level 3: what the third key word holds. */
enum {
	KIND_NONE = 0, /* `ip` (or an entry that never matches): 0 */
	KIND_PROTO,    /* protocol << 16 */
	KIND_PORT,     /* protocol << 16 | destination port (tcp/udp eq) */
	KIND_ICMP,     /* 1 << 16 | icmp type */
};

static uint8_t
cand_kind(const struct acl_cand *c)
{
	if (c->proto == PH_PROTO_ANY || (c->flags & CAND_NEVER))
		return KIND_NONE;
	if ((c->proto == 6 || c->proto == 17) && (c->flags & CAND_PORTS) &&
	    c->dlo == c->dhi && !(c->flags & CAND_DNEG))
		return KIND_PORT;
	if (c->proto == 1 && c->icmp != PH_ICMP_ANY)
		return KIND_ICMP;
	return KIND_PROTO;
}

/* The third key word of a cand for its kind. */
static uint32_t
cand_pd(const struct acl_cand *c, uint8_t kind)
{
	switch (kind) {
	case KIND_PROTO:
		return (uint32_t)c->proto << 16;
	case KIND_PORT:
		return (uint32_t)c->proto << 16 | c->dlo;
	case KIND_ICMP:
		return 1u << 16 | (uint16_t)c->icmp;
	default:
		return 0;
	}
}

/* The third key word of a packet for a kind; false if it has none. */
static inline bool
key_pd(const struct ph_acl_key *k, uint8_t kind, uint32_t *pd)
{
	switch (kind) {
	case KIND_PROTO:
		*pd = (uint32_t)k->proto << 16;
		return true;
	case KIND_PORT:
		*pd = (uint32_t)k->proto << 16 | k->dport;
		return !k->no_ports && (k->proto == 6 || k->proto == 17);
	case KIND_ICMP:
		*pd = 1u << 16 | (uint16_t)k->icmp_type;
		return !k->no_ports && k->proto == 1 && k->icmp_type >= 0;
	default:
		*pd = 0;
		return true;
	}
}

/* ---- lookup ---- */

#define NO_MATCH INT32_MAX

/* Scan a run (list order) for a match before `best`. */
static inline int32_t
run_scan(const struct acl_cand *c, uint32_t n, const struct ph_acl_key *k,
	 int32_t best)
{
	for (uint32_t j = 0; j < n && c[j].idx < best; j++) {
		if (cand_match(&c[j], k))
			return c[j].idx;
	}
	return best;
}

/* Where the probe for key (s, d, pd) starts in l->slots. */
static inline uint32_t
slot_start(const struct ph_acl_index *ix, const struct acl_tuple *tp,
	   uint32_t s, uint32_t d, uint32_t pd)
{
	if (tp->one != NO_ONE) /* one key: compare, no hash */
		return tp->one;
	return tp->slot_off + (acl_hash(ix, s, d, pd) & tp->mask);
}

static inline const struct acl_slot *
slot_find(const struct acl_list *l, const struct acl_tuple *tp, uint32_t i,
	  uint32_t s, uint32_t d, uint32_t pd)
{
	for (;;) {
		const struct acl_slot *sl = &l->slots[i];

		if (sl->n == 0)
			return NULL;
		if (sl->s == s && sl->d == d && sl->pd == pd)
			return sl;
		if (tp->one != NO_ONE)
			return NULL;
		i = tp->slot_off + ((i - tp->slot_off + 1) & tp->mask);
	}
}

/* At most this many tuples per list: 33 prefix lengths, or 4 kinds. */
#define TUPLES_MAX 33

/*
 * First match in `l` before `best` (NO_MATCH: none yet).  Tuples are in
 * order of their lowest index, so the walk stops once that passes best.
 * The first pass computes every probe position and prefetches it, so the
 * cache misses of the big tables overlap instead of adding up.
 */
static int32_t
list_search(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct ph_acl_key *k, int32_t best)
{
	uint32_t start[TUPLES_MAX], pd[TUPLES_MAX];
	uint64_t skip = 0; /* tuples the key has no field for */

	if (!l->compiled)
		return run_scan(l->cands, l->n, k, best);
	for (uint32_t t = 0; t < l->n_tuples; t++) {
		const struct acl_tuple *tp = &l->tuples[t];

		if (!key_pd(k, tp->kind, &pd[t])) {
			skip |= 1ULL << t;
			continue;
		}
		start[t] = slot_start(ix, tp, k->src & tp->smask,
				      k->dst & tp->dmask, pd[t]);
		__builtin_prefetch(&l->slots[start[t]]);
	}
	for (uint32_t t = 0; t < l->n_tuples; t++) {
		const struct acl_tuple *tp = &l->tuples[t];
		const struct acl_slot *sl;

		if (tp->min_idx > best)
			break;
		if (skip & (1ULL << t))
			continue;
		sl = slot_find(l, tp, start[t], k->src & tp->smask,
			       k->dst & tp->dmask, pd[t]);
		if (sl == NULL)
			continue;
		if (sl->sub != 0)
			best = list_search(ix, &l->subs[sl->sub - 1], k, best);
		else
			best = run_scan(l->cands + sl->first, sl->n, k, best);
	}
	return best;
}

static int32_t
list_lookup(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct ph_acl_key *k)
{
	int32_t r = list_search(ix, l, k, NO_MATCH);

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

static int
prefix_len(uint32_t mask)
{
	return mask == 0 ? 0 : 32 - __builtin_ctz(mask);
}

/* Runs longer than this get a sub-index at the next level. */
#define RUN_LINEAR 8

/* Tuple signature of a cand at a level (< SIG_SPACE). */
static uint32_t
cand_sig(const struct acl_cand *c, uint8_t level)
{
	switch (level) {
	case 1:
		return (uint32_t)prefix_len(c->dmask);
	case 2:
		return (uint32_t)prefix_len(c->smask);
	default:
		return cand_kind(c);
	}
}

static void
slot_key(const struct acl_cand *c, const struct acl_tuple *tp, uint32_t *s,
	 uint32_t *d, uint32_t *pd)
{
	*s = c->src & tp->smask;
	*d = c->dst & tp->dmask;
	*pd = cand_pd(c, tp->kind);
}

/* Per-entry build scratch. */
struct acl_scratch {
	uint32_t *sig_tuple; /* SIG_SPACE map: signature -> tuple + 1 */
	uint32_t *tuple_of;  /* per cand */
	uint32_t *slot_of;   /* per cand: absolute slot */
	uint32_t *t_count;   /* per tuple: entries */
	uint32_t *t_keys;    /* per tuple: distinct keys (kept zeroed) */
};

#define SIG_SPACE 64u

/* Group cands into tuples, in order of first appearance (= lowest index,
 * since cands are in list order). */
static int
build_tuples(struct acl_list *l, const struct acl_cand *in,
	     struct acl_scratch *sc)
{
	uint32_t nt = 0;

	for (uint32_t i = 0; i < l->n; i++) {
		uint32_t sig = cand_sig(&in[i], l->level);

		if (sc->sig_tuple[sig] == 0) {
			struct acl_tuple *tp = &l->tuples[nt];

			/* within a level-2/3 run all cands share the
			 * masks of the levels above */
			tp->smask = l->level == 1 ? 0 : in[i].smask;
			tp->dmask = in[i].dmask;
			tp->kind = l->level == 3 ? (uint8_t)sig : KIND_NONE;
			tp->min_idx = in[i].idx;
			sc->t_count[nt] = 0;
			sc->sig_tuple[sig] = ++nt;
		}
		sc->tuple_of[i] = sc->sig_tuple[sig] - 1;
		sc->t_count[sc->tuple_of[i]]++;
	}
	for (uint32_t i = 0; i < l->n; i++) /* leave the map clean */
		sc->sig_tuple[cand_sig(&in[i], l->level)] = 0;
	l->n_tuples = nt;
	/* table sizes: power of two, at least twice the entries */
	for (uint32_t t = 0; t < nt; t++) {
		uint32_t sz = 4;

		while (sz < 2 * sc->t_count[t])
			sz *= 2;
		l->tuples[t].slot_off = l->n_slots;
		l->tuples[t].mask = sz - 1;
		if (l->n_slots > UINT32_MAX - sz)
			return -E2BIG;
		l->n_slots += sz;
	}
	return 0;
}

/* Put each cand's key in its tuple's table; count run lengths. */
static void
build_slots(const struct ph_acl_index *ix, struct acl_list *l,
	    const struct acl_cand *in, struct acl_scratch *sc)
{
	for (uint32_t i = 0; i < l->n; i++) {
		const struct acl_tuple *tp = &l->tuples[sc->tuple_of[i]];
		struct acl_slot *tab = l->slots + tp->slot_off;
		uint32_t s, d, pd, h;

		slot_key(&in[i], tp, &s, &d, &pd);
		for (h = acl_hash(ix, s, d, pd) & tp->mask; tab[h].n != 0;
		     h = (h + 1) & tp->mask) {
			if (tab[h].s == s && tab[h].d == d && tab[h].pd == pd)
				break;
		}
		if (tab[h].n == 0) {
			tab[h].s = s;
			tab[h].d = d;
			tab[h].pd = pd;
			l->keys++;
			sc->t_keys[sc->tuple_of[i]]++;
		}
		tab[h].n++;
		sc->slot_of[i] = tp->slot_off + h;
	}
	/* tuples with a single key are probed by comparison alone */
	for (uint32_t t = 0; t < l->n_tuples; t++)
		l->tuples[t].one = NO_ONE;
	for (uint32_t i = 0; i < l->n; i++) {
		if (sc->t_keys[sc->tuple_of[i]] == 1)
			l->tuples[sc->tuple_of[i]].one = sc->slot_of[i];
	}
	for (uint32_t t = 0; t < l->n_tuples; t++)
		sc->t_keys[t] = 0; /* leave the scratch clean */
}

/* Lay the cands out run by run (counting sort; list order kept). */
static void
build_runs(struct acl_list *l, const struct acl_cand *in,
	   struct acl_scratch *sc)
{
	uint32_t pos = 0;

	for (uint32_t i = 0; i < l->n_slots; i++) {
		l->slots[i].first = pos;
		pos += l->slots[i].n;
		l->slots[i].n = 0;
	}
	for (uint32_t i = 0; i < l->n; i++) {
		struct acl_slot *sl = &l->slots[sc->slot_of[i]];

		l->cands[sl->first + sl->n++] = in[i];
	}
}

static void
scratch_free(struct acl_scratch *sc)
{
	free(sc->sig_tuple);
	free(sc->tuple_of);
	free(sc->slot_of);
	free(sc->t_count);
	free(sc->t_keys);
}

static int scratch_alloc(struct acl_scratch *sc, uint32_t n);
static int list_compile(const struct ph_acl_index *ix, struct acl_list *l,
			const struct acl_cand *in, struct acl_scratch *sc);

static int
scratch_alloc(struct acl_scratch *sc, uint32_t n)
{
	sc->sig_tuple = calloc(SIG_SPACE, sizeof(uint32_t));
	sc->tuple_of = calloc(n, sizeof(uint32_t));
	sc->slot_of = calloc(n, sizeof(uint32_t));
	sc->t_count = calloc(n, sizeof(uint32_t));
	sc->t_keys = calloc(n, sizeof(uint32_t));
	if (sc->sig_tuple == NULL || sc->tuple_of == NULL ||
	    sc->slot_of == NULL || sc->t_count == NULL || sc->t_keys == NULL)
		return -ENOMEM;
	return 0;
}

/* Give every long run a sub-index at the next level (up to level 3). */
static int
build_subs(const struct ph_acl_index *ix, struct acl_list *l,
	   struct acl_scratch *sc)
{
	uint32_t ns = 0;
	int err;

	if (l->level >= 3)
		return 0;
	for (uint32_t i = 0; i < l->n_slots; i++)
		ns += l->slots[i].n > RUN_LINEAR;
	if (ns == 0)
		return 0;
	l->subs = calloc(ns, sizeof(*l->subs));
	if (l->subs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < l->n_slots; i++) {
		struct acl_slot *sl = &l->slots[i];
		struct acl_list *sub;

		if (sl->n <= RUN_LINEAR)
			continue;
		sub = &l->subs[l->n_subs++];
		sub->n = sl->n;
		sub->level = l->level + 1;
		err = list_compile(ix, sub, l->cands + sl->first, sc);
		if (err < 0)
			return err;
		sl->sub = l->n_subs;
	}
	return 0;
}

/* Compile `in` (l->n cands in list order) at level l->level. */
static int
list_compile(const struct ph_acl_index *ix, struct acl_list *l,
	     const struct acl_cand *in, struct acl_scratch *sc)
{
	struct acl_tuple *shrink;
	int err;

	l->tuples = calloc(l->n, sizeof(*l->tuples));
	l->cands = calloc(l->n, sizeof(*l->cands));
	if (l->tuples == NULL || l->cands == NULL)
		return -ENOMEM;
	err = build_tuples(l, in, sc);
	if (err < 0)
		return err;
	shrink = realloc(l->tuples, l->n_tuples * sizeof(*l->tuples));
	if (shrink != NULL)
		l->tuples = shrink;
	l->slots = calloc(l->n_slots, sizeof(*l->slots));
	if (l->slots == NULL)
		return -ENOMEM;
	build_slots(ix, l, in, sc);
	build_runs(l, in, sc);
	l->compiled = true;
	return build_subs(ix, l, sc);
}

static int
list_build(const struct ph_acl_index *ix, struct acl_list *l,
	   const struct ph_ace *aces, size_t n, uint32_t base,
	   uint32_t linear_max)
{
	struct acl_scratch sc = { 0 };
	struct acl_cand *in;
	int err;

	if (n > PH_ACL_EXPANDED_MAX)
		return -E2BIG;
	l->n = (uint32_t)n;
	if (n == 0)
		return 0;
	in = calloc(n, sizeof(*in));
	if (in == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		err = cand_make(&in[i], &aces[i], (int32_t)(base + i));
		if (err < 0)
			goto out_free;
	}
	if (n < linear_max) {
		l->cands = in;
		return 0;
	}
	l->level = 1;
	err = scratch_alloc(&sc, l->n);
	if (err == 0)
		err = list_compile(ix, l, in, &sc);
	scratch_free(&sc);
out_free:
	free(in);
	return err;
}

static void
list_free(struct acl_list *l)
{
	for (uint32_t i = 0; i < l->n_subs; i++)
		list_free(&l->subs[i]);
	free(l->subs);
	free(l->cands);
	free(l->tuples);
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
	ix->k1 = seed_next(&x);
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
		e = list_build(ix, &ix->lists[i], acl_entries(pol, a),
			       a->count, a->first, o->linear_max);
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

static size_t
list_mem(const struct acl_list *l)
{
	size_t m = (size_t)l->n * sizeof(struct acl_cand) +
		   (size_t)l->n_tuples * sizeof(struct acl_tuple) +
		   (size_t)l->n_slots * sizeof(struct acl_slot) +
		   (size_t)l->n_subs * sizeof(struct acl_list);

	for (uint32_t i = 0; i < l->n_subs; i++)
		m += list_mem(&l->subs[i]);
	return m;
}

/* Sub-indexes and their tables, at every level below l. */
static void
list_count_subs(const struct acl_list *l, struct ph_acl_stats *st)
{
	st->subs += l->n_subs;
	for (uint32_t i = 0; i < l->n_subs; i++) {
		st->sub_tuples += l->subs[i].n_tuples;
		list_count_subs(&l->subs[i], st);
	}
}

static void
list_stats(const struct acl_list *l, struct ph_acl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = l->n;
	st->compiled = l->compiled;
	st->tuples = l->n_tuples;
	st->keys = l->compiled ? l->keys : l->n;
	list_count_subs(l, st);
	st->mem_bytes = l->compiled ? list_mem(l)
				    : (size_t)l->n * sizeof(struct acl_cand);
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
