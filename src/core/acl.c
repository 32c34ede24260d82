/*
 * core/acl.c - compiled first-match ACL lookup (tuple space search with
 * priority pruning) and the linear reference it must agree with.
 *
 * Every list (each ACL, and the conduits) is copied into compact rules
 * ("cands": masks, protocol, port intervals, icmp type, original index).
 * A list shorter than the linear threshold is scanned in order.  A longer
 * one is split into tuples by entry shape:
 *
 *	(source prefix length, destination prefix length, exact)
 *
 * where `exact` means "tcp/udp with `eq` on the destination port": such
 * entries also key on (protocol, destination port).  Each tuple is an
 * open-addressing hash table (keyed mix, seeded at build) from the masked
 * key to a run of cands sharing that key, in list order; the run is
 * checked rule by rule (source ports, ranges, icmp types, protocols of
 * non-exact entries), so nothing is expanded and a build is O(n).
 *
 * A lookup walks the tuples in order of their lowest entry index and stops
 * as soon as the best match so far precedes the next tuple's lowest index:
 * a packet that matches early entries touches few tables, and the cost of
 * the worst case (implicit deny) is bounded by the number of distinct
 * shapes, not the number of entries.
 *
 * Hash flooding: the tables are fixed at build from the operator's rules;
 * a sender can only choose which bucket to probe, never add to one, so a
 * seeded multiply-xorshift mix is enough (no SipHash cost per tuple).
 *
 * Known limits: entries sharing both prefixes and differing only in port
 * ranges or icmp types land in one run and are checked one by one; a list
 * holds at most PH_ACL_EXPANDED_MAX entries (-E2BIG).
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
	uint32_t s, d, pd; /* masked key; pd = proto << 16 | dport if exact */
	uint32_t first;	   /* first cand of the run */
	uint32_t n;	   /* run length; 0 = empty slot */
};

struct acl_tuple {
	uint32_t smask, dmask;
	bool exact;
	int32_t min_idx;   /* lowest entry index in the tuple */
	uint32_t slot_off; /* into list->slots */
	uint32_t mask;	   /* slots - 1 */
};

struct acl_list {
	uint32_t n; /* entries */
	bool compiled;
	struct acl_cand *cands; /* linear: list order; compiled: by run */
	struct acl_tuple *tuples;
	uint32_t n_tuples;
	struct acl_slot *slots;
	uint32_t n_slots;
	uint32_t keys; /* occupied slots */
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

int32_t
ph_acl_lookup_linear(const struct ph_policy *pol, uint32_t acl_no,
		     const struct ph_acl_key *k)
{
	const struct ph_acl *a;
	int32_t i;

	if (acl_no >= pol->n_acls)
		return -1;
	a = &pol->acls[acl_no];
	i = linear_scan(pol->aces + a->first, a->count, k);
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

static inline bool
exact_ok(const struct acl_cand *c)
{
	/* tcp/udp, destination port eq, nothing that can never match */
	return (c->proto == 6 || c->proto == 17) && c->dlo == c->dhi &&
	       !(c->flags & (CAND_DNEG | CAND_NEVER)) &&
	       (c->flags & CAND_PORTS);
}

/* ---- lookup ---- */

static int32_t
list_lookup(const struct ph_acl_index *ix, const struct acl_list *l,
	    const struct ph_acl_key *k)
{
	int32_t best = -1;
	bool exact_ok_key = !k->no_ports && (k->proto == 6 || k->proto == 17);
	uint32_t pdk = (uint32_t)k->proto << 16 | k->dport;

	if (!l->compiled) {
		for (uint32_t i = 0; i < l->n; i++) {
			if (cand_match(&l->cands[i], k))
				return l->cands[i].idx;
		}
		return -1;
	}
	for (uint32_t t = 0; t < l->n_tuples; t++) {
		const struct acl_tuple *tp = &l->tuples[t];
		const struct acl_slot *tab = l->slots + tp->slot_off;
		uint32_t s, d, pd, i;

		if (best >= 0 && tp->min_idx > best)
			break;
		if (tp->exact && !exact_ok_key)
			continue;
		s = k->src & tp->smask;
		d = k->dst & tp->dmask;
		pd = tp->exact ? pdk : 0;
		for (i = acl_hash(ix, s, d, pd) & tp->mask; tab[i].n != 0;
		     i = (i + 1) & tp->mask) {
			if (tab[i].s == s && tab[i].d == d && tab[i].pd == pd)
				break;
		}
		for (uint32_t j = 0; j < tab[i].n; j++) {
			const struct acl_cand *c = &l->cands[tab[i].first + j];

			if (best >= 0 && c->idx > best)
				break;
			if (cand_match(c, k)) {
				best = c->idx;
				break;
			}
		}
	}
	return best;
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

/* Tuple signature of a cand: (source len, destination len, exact). */
static uint32_t
cand_sig(const struct acl_cand *c)
{
	return (uint32_t)prefix_len(c->smask) << 8 |
	       (uint32_t)prefix_len(c->dmask) << 1 | (exact_ok(c) ? 1 : 0);
}

static void
slot_key(const struct acl_cand *c, const struct acl_tuple *tp, uint32_t *s,
	 uint32_t *d, uint32_t *pd)
{
	*s = c->src & tp->smask;
	*d = c->dst & tp->dmask;
	*pd = tp->exact ? ((uint32_t)c->proto << 16 | c->dlo) : 0;
}

/* Per-entry build scratch. */
struct acl_scratch {
	uint32_t *sig_tuple; /* SIG_SPACE map: signature -> tuple + 1 */
	uint32_t *tuple_of;  /* per cand */
	uint32_t *slot_of;   /* per cand: absolute slot */
	uint32_t *t_count;   /* per tuple: entries */
};

#define SIG_SPACE (33u << 8)

/* Group cands into tuples, in order of first appearance (= lowest index,
 * since cands are in list order). */
static int
build_tuples(struct acl_list *l, const struct acl_cand *in,
	     struct acl_scratch *sc)
{
	uint32_t nt = 0;

	for (uint32_t i = 0; i < l->n; i++) {
		uint32_t sig = cand_sig(&in[i]);

		if (sc->sig_tuple[sig] == 0) {
			struct acl_tuple *tp = &l->tuples[nt];

			tp->smask = in[i].smask;
			tp->dmask = in[i].dmask;
			tp->exact = sig & 1;
			tp->min_idx = in[i].idx;
			sc->t_count[nt] = 0;
			sc->sig_tuple[sig] = ++nt;
		}
		sc->tuple_of[i] = sc->sig_tuple[sig] - 1;
		sc->t_count[sc->tuple_of[i]]++;
	}
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
		}
		tab[h].n++;
		sc->slot_of[i] = tp->slot_off + h;
	}
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
}

static int
list_compile(const struct ph_acl_index *ix, struct acl_list *l,
	     struct acl_cand *in)
{
	struct acl_scratch sc = { 0 };
	int err = -ENOMEM;

	sc.sig_tuple = calloc(SIG_SPACE, sizeof(uint32_t));
	sc.tuple_of = calloc(l->n, sizeof(uint32_t));
	sc.slot_of = calloc(l->n, sizeof(uint32_t));
	sc.t_count = calloc(l->n, sizeof(uint32_t));
	l->tuples = calloc(l->n, sizeof(*l->tuples));
	l->cands = calloc(l->n, sizeof(*l->cands));
	if (sc.sig_tuple == NULL || sc.tuple_of == NULL || sc.slot_of == NULL ||
	    sc.t_count == NULL || l->tuples == NULL || l->cands == NULL)
		goto out;
	err = build_tuples(l, in, &sc);
	if (err < 0)
		goto out;
	l->slots = calloc(l->n_slots, sizeof(*l->slots));
	err = -ENOMEM;
	if (l->slots == NULL)
		goto out;
	build_slots(ix, l, in, &sc);
	build_runs(l, in, &sc);
	l->compiled = true;
	err = 0;
out:
	scratch_free(&sc);
	return err;
}

static int
list_build(const struct ph_acl_index *ix, struct acl_list *l,
	   const struct ph_ace *aces, size_t n, uint32_t base,
	   uint32_t linear_max)
{
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
	err = list_compile(ix, l, in);
out_free:
	free(in);
	return err;
}

static void
list_free(struct acl_list *l)
{
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
		e = list_build(ix, &ix->lists[i], pol->aces + a->first,
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

static void
list_stats(const struct acl_list *l, struct ph_acl_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = l->n;
	st->compiled = l->compiled;
	st->tuples = l->n_tuples;
	st->keys = l->compiled ? l->keys : l->n;
	st->mem_bytes = (size_t)l->n * sizeof(struct acl_cand) +
			(size_t)l->n_tuples * sizeof(struct acl_tuple) +
			(size_t)l->n_slots * sizeof(struct acl_slot);
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
