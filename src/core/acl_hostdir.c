/*
 * core/acl_hostdir.c - the host directory: a list's tcp/udp rules by
 * destination host, protocol and port, so that a packet to a host the
 * list names finds every rule that can match it in one table bucket.
 *
 * Why.  An object-group expansion (sources x servers x services) names
 * each server in ~25 entries that overlap on every single key, plus
 * subnet-wide blocks, ranges and portless services.  The decision tree
 * of acl.c resolves those in 1-4 dependent table probes and the walks
 * between them; at 100,000 entries that was 2.7x (matching) and 3.0x
 * (denied) the cost of a 10-entry list, against a target of 1.5x.  Past
 * a few thousand entries each dependent probe is a cache miss, so the
 * cost follows the probes, not the instructions.  The directory answers
 * a packet that matches an `eq` rule with one probe and most others with
 * two.
 *
 * Cells.  For each host H that some tcp/udp rule names as a /32
 * destination, and each protocol P of tcp and udp, the rules that can
 * match a packet to H with protocol P (H's own, and copies of every rule
 * whose destination prefix covers H: /24 blocks, `any`) are split by
 * the destination port D they can match:
 *
 *   (H, P, D)        for each port D of an `eq` rule among them: the `eq
 *                    D` rules and every other rule that covers D;
 *   (H, P, block B)  for each block of 4096 ports that a narrow rule (an
 *                    interval over at most HD_NARROW blocks) touches: the
 *                    rules that are not `eq` and can match a port in B;
 *   (H, P, other)    the wide rules that are not `eq` (portless, `ip`,
 *                    `neq`, long ranges): every port of the other blocks.
 *                    Its key carries, in the port's place, the set of
 *                    blocks that have cells.
 *
 * Each cell keeps its rules in list order, so its first matching rule is
 * the list's first match for every packet the cell answers.  A lookup
 * probes (H, P, D); if that misses, (H, P, other), and (H, P, B) only if
 * the other cell says B has a cell.  A packet to a destination that is
 * not a directory host, a non-first fragment or another protocol goes to
 * the tree (PH_ACL_DIR_MISS).
 *
 * A bucket is one cache line: the cell's key and its first HD_INLINE
 * rules, 16 bytes each (source prefix, destination port interval, entry
 * index: within the cell that is the whole match), so a cell of up to
 * three rules costs one line.  Rules with more to check (source ports,
 * `neq`) are checked in full once source and port pass.  The lookup is
 * inline in acl_hostdir.h.
 *
 * The table is cuckoo hashing on the index's keyed multiply-shift: each
 * key has two places, a lookup reads both, and the build evicts residents
 * to their other place (at most HD_KICKS times, else it doubles the
 * table, at most half full to begin with).  Measured against linear
 * probing: a probe that ends at an empty bucket after a varying walk cost
 * a branch misprediction on about a third of the lookups, and denied
 * packets (which miss the port's cell) walked the longest.  Picking the
 * bucket without a branch was slower still: the loads of both places then
 * had to finish before the rules could be read.
 *
 * Limits.  A list whose cells would hold more than PH_ACL_DIR_COPY
 * times its rules (`any` or /16 destinations copied into many hosts, as
 * in a typical outside list or a shun list), or whose table would take
 * more than HD_TABLE_MAX bytes per rule, gets no directory; the build
 * also stops after HD_WORK times that many rule visits.  A host gets
 * cells only for the protocols it has rules for (its packets of the
 * other go to the tree).  Only /32 destinations make hosts: a list of
 * /24 servers gains nothing.  The directory costs memory next to the
 * tree (docs/performance.md).  A rule that an earlier rule of its cell
 * shadows (hd_shadowed(): no more conditions, a source and port interval
 * holding it) is left out of that cell; shadowing further back than
 * HD_SHADOW rules is not looked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/acl_hostdir.h"
#include "core/acl_int.h"

/* Cells hold at most PH_ACL_DIR_COPY times the list's rules, the build
 * looks at most HD_WORK times that many, and the table takes at most
 * HD_TABLE_MAX bytes per rule of the list. */
#define PH_ACL_DIR_COPY 4
#define HD_WORK		16
#define HD_TABLE_MAX	1024

/* ---- build ---- */

/* A cell being built: its key and its rules, b->rules[off .. off + cnt). */
struct hd_cell {
	uint64_t key;
	uint32_t off, cnt;
};

struct hd_bld {
	const struct acl_cand *in;
	uint64_t *hosts; /* distinct host destinations << 32, ascending */
	uint32_t nh;
	struct hd_cell *cells;
	uint32_t nc, cap_c;
	struct hd_rule *rules;
	uint32_t nr, cap_r;
	struct acl_cand *full;
	uint32_t nf, cap_f;
	uint64_t budget, work;
	uint32_t *eq, *wild; /* one host and protocol's rules, by kind */
	uint32_t cell_off;   /* the cell being built: its first rule */
	int32_t cell_port;   /* its port, or -1 for a block or "other" */
};

/* Does rule c match tcp/udp packets of protocol pr? */
static bool
hd_proto(const struct acl_cand *c, uint8_t pr)
{
	return (c->flags & CAND_ANYPROTO) || c->proto == pr;
}

/* Is c's destination port condition one port (an `eq`)? */
static bool
hd_exact(const struct acl_cand *c)
{
	return (c->flags & CAND_PORTS) && !(c->flags & CAND_DNEG) &&
	       c->dlo == c->dhi;
}

/* Can rule c match a packet to its cell's host and protocol with
 * destination port d? */
static bool
hd_covers(const struct acl_cand *c, uint16_t d)
{
	return !(c->flags & CAND_PORTS) ||
	       in_range(d, c->dlo, c->dhi, c->flags & CAND_DNEG);
}

/* Is c's port condition an interval over at most HD_NARROW blocks?  Such
 * a rule goes into its blocks' cells only. */
static bool
hd_narrow(const struct acl_cand *c)
{
	return (c->flags & CAND_PORTS) && !(c->flags & CAND_DNEG) &&
	       (c->dhi >> HD_BLOCK_BITS) - (c->dlo >> HD_BLOCK_BITS) <
		       HD_NARROW;
}

static bool
hd_in_block(const struct acl_cand *c, uint32_t blk)
{
	return !hd_narrow(c) || ((uint32_t)(c->dlo >> HD_BLOCK_BITS) <= blk &&
				 blk <= (uint32_t)(c->dhi >> HD_BLOCK_BITS));
}

/* Does c need more than source and destination port checked, once its
 * cell holds the packet? */
static bool
hd_needs_full(const struct acl_cand *c)
{
	return (c->flags & (CAND_SNEG | CAND_DNEG)) || c->slo != 0 ||
	       c->shi != 0xffff;
}

/* Hosts c's destination covers: [*lo, *hi) in b->hosts. */
static void
hd_span(const struct hd_bld *b, const struct acl_cand *c, uint32_t *lo,
	uint32_t *hi)
{
	uint64_t last = c->dst | ~c->dmask;

	*lo = ph_acl_lower_bound(b->hosts, b->nh, (uint64_t)c->dst << 32);
	*hi = ph_acl_lower_bound(b->hosts, b->nh, (last << 32) + 1);
}

/* The distinct /32 destinations of the tcp/udp rules. */
static int
hd_hosts(struct hd_bld *b, uint32_t n)
{
	uint32_t k = 0;

	b->hosts = malloc(2 * (size_t)n * sizeof(*b->hosts));
	if (b->hosts == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (b->in[i].dmask == UINT32_MAX && cand_tcpudp(&b->in[i]))
			b->hosts[k++] = (uint64_t)b->in[i].dst << 32;
	}
	b->nh = ph_acl_distinct_hi32(b->hosts, b->hosts + n, k);
	return 0;
}

/* (host, rule) pairs, by host then list order; *np 0 if there would be
 * more than the budget. */
static int
hd_pairs(struct hd_bld *b, uint32_t n, uint64_t **out, uint32_t *np)
{
	uint64_t total = 0, *p;
	uint32_t lo, hi, k = 0;

	*out = NULL;
	*np = 0;
	for (uint32_t i = 0; i < n && total <= b->budget; i++) {
		if (!cand_tcpudp(&b->in[i]))
			continue;
		hd_span(b, &b->in[i], &lo, &hi);
		total += hi - lo;
	}
	if (total > b->budget || total == 0)
		return 0;
	p = malloc(2 * (size_t)total * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		if (!cand_tcpudp(&b->in[i]))
			continue;
		hd_span(b, &b->in[i], &lo, &hi);
		for (uint32_t h = lo; h < hi; h++)
			p[k++] = (uint64_t)h << 32 | i;
	}
	ph_acl_sort_hi32(p, p + total, k);
	*out = p;
	*np = k;
	return 0;
}

static int
hd_grow(void **p, uint32_t *cap, size_t size)
{
	uint32_t n = *cap ? 2 * *cap : 1024;
	void *q = realloc(*p, n * size);

	if (q == NULL)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

/* Start a cell (rules from b->rules[b->nr] on): for port `port` (an `eq`
 * port's cell), or -1. */
static void
hd_cell_begin(struct hd_bld *b, int32_t port)
{
	b->cell_off = b->nr;
	b->cell_port = port;
}

/* Does a rule among the last HD_SHADOW of the cell being built match
 * every packet of the cell that c matches (so c is never a first match
 * there)?  Such a rule has no more conditions than source and port, a
 * source prefix that holds c's and a port interval that holds c's
 * (within an `eq` port's cell, every rule holds the port). */
#define HD_SHADOW 32

static bool
hd_shadowed(const struct hd_bld *b, const struct acl_cand *c)
{
	uint32_t j = b->nr > b->cell_off + HD_SHADOW ? b->nr - HD_SHADOW
						     : b->cell_off;
	uint16_t lo = 0, hi = 0xffff;

	if (b->cell_port >= 0)
		lo = hi = (uint16_t)b->cell_port;
	else if ((c->flags & CAND_PORTS) && !(c->flags & CAND_DNEG)) {
		lo = c->dlo;
		hi = c->dhi;
	}
	for (; j < b->nr; j++) {
		const struct hd_rule *r = &b->rules[j];

		if (r->idx >= 0 && (r->smask & ~c->smask) == 0 &&
		    (c->src & r->smask) == r->src && r->dlo <= lo &&
		    hi <= r->dhi)
			return true;
	}
	return false;
}

/* Append rule in[i] to the cell being built, unless shadowed there. */
static int
hd_rule(struct hd_bld *b, uint32_t i)
{
	const struct acl_cand *c = &b->in[i];
	struct hd_rule *r;
	int err;

	if (hd_shadowed(b, c))
		return 0;
	if (b->nr == b->cap_r &&
	    (err = hd_grow((void **)&b->rules, &b->cap_r, sizeof(*r))) < 0)
		return err;
	r = &b->rules[b->nr++];
	r->src = c->src;
	r->smask = c->smask;
	r->dlo = c->dlo;
	r->dhi = c->dhi;
	r->idx = c->idx;
	if (!hd_needs_full(c))
		return 0;
	if (c->flags & CAND_DNEG) {
		r->dlo = 0;
		r->dhi = 0xffff;
	}
	if (b->nf == b->cap_f &&
	    (err = hd_grow((void **)&b->full, &b->cap_f, sizeof(*c))) < 0)
		return err;
	b->full[b->nf] = *c;
	r->idx = -1 - (int32_t)b->nf++;
	return 0;
}

/* Close the cell begun by hd_cell_begin(); 1 if the budget is spent. */
static int
hd_cell(struct hd_bld *b, uint64_t key)
{
	uint32_t off = b->cell_off;
	int err;

	if (b->nc == b->cap_c && (err = hd_grow((void **)&b->cells, &b->cap_c,
						sizeof(*b->cells))) < 0)
		return err;
	b->cells[b->nc++] = (struct hd_cell){ key, off, b->nr - off };
	return b->nr > b->budget || b->work > HD_WORK * b->budget;
}

static int
cmp_eq(const void *a, const void *b, void *arg)
{
	const struct acl_cand *in = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (in[x].dlo != in[y].dlo)
		return in[x].dlo < in[y].dlo ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* A cell for each `eq` port d of b->eq[0..ne) (sorted by port): its
 * rules, and the rules of b->wild[0..nw) that cover d, in list order. */
static int
hd_port_cells(struct hd_bld *b, uint32_t host, uint8_t pr, uint32_t ne,
	      uint32_t nw)
{
	int err = 0;

	for (uint32_t e = 0; e < ne && err == 0;) {
		uint16_t d = b->in[b->eq[e]].dlo;
		uint32_t w = 0;

		hd_cell_begin(b, d);
		b->work += nw;
		for (; e < ne && b->in[b->eq[e]].dlo == d; e++) {
			for (; w < nw && b->wild[w] < b->eq[e]; w++) {
				if (hd_covers(&b->in[b->wild[w]], d) &&
				    (err = hd_rule(b, b->wild[w])) < 0)
					return err;
			}
			if ((err = hd_rule(b, b->eq[e])) < 0)
				return err;
		}
		for (; w < nw; w++) {
			if (hd_covers(&b->in[b->wild[w]], d) &&
			    (err = hd_rule(b, b->wild[w])) < 0)
				return err;
		}
		err = hd_cell(b, hd_key(host, pr, d));
	}
	return err;
}

/* A cell for each block that a narrow rule of b->wild[0..nw) touches,
 * with every rule of wild[] that can match a port in it; and the "other"
 * cell, with the wide rules. */
static int
hd_block_cells(struct hd_bld *b, uint32_t host, uint8_t pr, uint32_t nw)
{
	uint32_t blocks = 0;
	int err = 0;

	for (uint32_t w = 0; w < nw; w++) {
		const struct acl_cand *c = &b->in[b->wild[w]];

		if (!hd_narrow(c))
			continue;
		for (uint32_t k = c->dlo >> HD_BLOCK_BITS;
		     k <= (uint32_t)(c->dhi >> HD_BLOCK_BITS); k++)
			blocks |= 1u << k;
	}
	for (uint32_t left = blocks; left != 0 && err == 0; left &= left - 1) {
		uint32_t blk = (uint32_t)__builtin_ctz(left);

		hd_cell_begin(b, -1);
		b->work += nw;
		for (uint32_t w = 0; w < nw; w++) {
			if (hd_in_block(&b->in[b->wild[w]], blk) &&
			    (err = hd_rule(b, b->wild[w])) < 0)
				return err;
		}
		err = hd_cell(b, hd_key(host, pr, HD_BLOCK | blk));
	}
	if (err != 0)
		return err;
	hd_cell_begin(b, -1);
	for (uint32_t w = 0; w < nw; w++) {
		if (!hd_narrow(&b->in[b->wild[w]]) &&
		    (err = hd_rule(b, b->wild[w])) < 0)
			return err;
	}
	return hd_cell(b, hd_key(host, pr, HD_OTHER | blocks));
}

/* The cells of host h and protocol pr from its rules r[0..n) (low words:
 * indexes in list order).  1 if the budget is spent. */
static int
hd_host(struct hd_bld *b, uint32_t h, uint8_t pr, const uint64_t *r, uint32_t n)
{
	uint32_t ne = 0, nw = 0, host = (uint32_t)(b->hosts[h] >> 32);
	int err;

	for (uint32_t j = 0; j < n; j++) {
		uint32_t i = (uint32_t)r[j];

		if (!hd_proto(&b->in[i], pr))
			continue;
		if (hd_exact(&b->in[i]))
			b->eq[ne++] = i;
		else
			b->wild[nw++] = i;
	}
	if (ne + nw == 0)
		return 0; /* no rule for pr: its packets to host go to the tree */
	qsort_r(b->eq, ne, sizeof(*b->eq), cmp_eq, (void *)b->in);
	err = hd_port_cells(b, host, pr, ne, nw);
	if (err == 0)
		err = hd_block_cells(b, host, pr, nw);
	return err;
}

/* Every host's cells, from the pairs of hd_pairs(). */
static int
hd_cells(struct hd_bld *b, uint32_t n, const uint64_t *pairs, uint32_t np)
{
	int err = 0;

	b->eq = malloc(2 * (size_t)n * sizeof(*b->eq));
	if (b->eq == NULL)
		return -ENOMEM;
	b->wild = b->eq + n;
	for (uint32_t j = 0; j < np && err == 0;) {
		uint32_t h = (uint32_t)(pairs[j] >> 32), e = j;

		while (e < np && pairs[e] >> 32 == h)
			e++;
		err = hd_host(b, h, 6, pairs + j, e - j);
		if (err == 0)
			err = hd_host(b, h, 17, pairs + j, e - j);
		j = e;
	}
	return err;
}

/* The key a cell is hashed by: an "other" cell's without its blocks
 * (hd_find_other() looks it up so). */
static uint64_t
hd_home(uint64_t key)
{
	return key & HD_OTHER ? key & ~0xffffULL : key;
}

/* Cuckoo placement: evictions before the table is grown. */
#define HD_KICKS 500

/* Place bucket v into d's table, evicting into the other place of each
 * resident it displaces; false if HD_KICKS evictions did not settle. */
static bool
hd_place(struct ph_acl_dir *d, struct hd_bucket v)
{
	uint32_t g = hd_hash1(d, hd_home(v.key));

	if (d->tab[g].key != 0) {
		uint32_t g2 = hd_hash2(d, hd_home(v.key));

		if (d->tab[g2].key == 0)
			g = g2;
	}
	for (int kick = 0; kick < HD_KICKS; kick++) {
		struct hd_bucket t = d->tab[g];

		d->tab[g] = v;
		if (t.key == 0)
			return true;
		v = t; /* to its other place */
		g = g == hd_hash1(d, hd_home(v.key))
			    ? hd_hash2(d, hd_home(v.key))
			    : hd_hash1(d, hd_home(v.key));
	}
	return false;
}

/* The buckets: each cell's key and first rules, d->rules the rest. */
static int
hd_buckets(struct ph_acl_dir *d, const struct hd_bld *b, struct hd_bucket **out)
{
	size_t vsz = (b->nc ? b->nc : 1) * sizeof(struct hd_bucket);
	struct hd_bucket *v = aligned_alloc(64, vsz); /* its alignment */
	uint32_t nx = 0;

	for (uint32_t c = 0; c < b->nc; c++)
		nx += b->cells[c].cnt > HD_INLINE ? b->cells[c].cnt - HD_INLINE
						  : 0;
	d->rules = malloc(((size_t)nx + 1) * sizeof(*d->rules));
	if (v == NULL || d->rules == NULL) {
		free(v);
		return -ENOMEM;
	}
	memset(v, 0, vsz);
	for (uint32_t c = 0; c < b->nc; c++) {
		const struct hd_cell *cl = &b->cells[c];

		v[c].key = cl->key;
		v[c].cnt = cl->cnt;
		v[c].off = d->n_rules;
		for (uint32_t j = 0; j < cl->cnt; j++) {
			if (j < HD_INLINE)
				v[c].r[j] = b->rules[cl->off + j];
			else
				d->rules[d->n_rules++] = b->rules[cl->off + j];
		}
	}
	*out = v;
	return 0;
}

/* Put the cells into d's table, at most half full; a table in which the
 * cuckoo placement does not settle is doubled (at most 4 times). */
static int
hd_table(struct ph_acl_dir *d, const struct hd_bld *b)
{
	struct hd_bucket *v;
	unsigned bits = 1;
	int err = hd_buckets(d, b, &v);

	if (err < 0)
		return err;
	while ((1ULL << bits) < 2 * (uint64_t)b->nc)
		bits++;
	for (unsigned tries = 0; tries < 5; tries++, bits++) {
		size_t sz = ((size_t)1 << bits) * sizeof(*d->tab);

		if (sz > HD_TABLE_MAX * (b->budget / PH_ACL_DIR_COPY)) {
			err = 1; /* more memory than the list is worth */
			break;
		}
		uint32_t c = 0;

		free(d->tab);
		d->tab = aligned_alloc(64, sz);
		if (d->tab == NULL) {
			err = -ENOMEM;
			break;
		}
		memset(d->tab, 0, sz);
		d->mask = (1u << bits) - 1;
		d->shift = (uint8_t)(64 - bits);
		while (c < b->nc && hd_place(d, v[c]))
			c++;
		if (c == b->nc) {
			d->cells = b->nc;
			free(v);
			return 0;
		}
		err = 1; /* did not settle: no directory, unless a retry does */
	}
	free(v);
	return err;
}

struct ph_acl_dir *
ph_acl_dir_build(const struct acl_cand *in, uint32_t n, uint64_t k0,
		 uint64_t k1, int *err)
{
	struct hd_bld b = { .in = in, .budget = (uint64_t)PH_ACL_DIR_COPY * n };
	struct ph_acl_dir *d = calloc(1, sizeof(*d));
	uint64_t *pairs = NULL;
	uint32_t np = 0;
	int e = -ENOMEM;

	if (d == NULL)
		goto out_free;
	d->k0 = k0;
	d->k1 = k1;
	e = hd_hosts(&b, n);
	if (e == 0 && b.nh > 0)
		e = hd_pairs(&b, n, &pairs, &np);
	if (e == 0 && np > 0)
		e = hd_cells(&b, n, pairs, np);
	if (e == 0 && np > 0)
		e = hd_table(d, &b);
	if (e == 0 && np > 0) {
		d->full = b.full;
		d->n_full = b.nf;
		d->copies = b.nr > n ? b.nr - n : 0;
		b.full = NULL;
	} else {
		ph_acl_dir_free(d); /* none, over budget (1) or failed */
		d = NULL;
	}
out_free:
	free(b.eq);
	free(pairs);
	free(b.hosts);
	free(b.cells);
	free(b.rules);
	free(b.full);
	*err = e < 0 ? e : 0;
	return d;
}

void
ph_acl_dir_free(struct ph_acl_dir *d)
{
	if (d == NULL)
		return;
	free(d->tab);
	free(d->rules);
	free(d->full);
	free(d);
}

uint32_t
ph_acl_dir_cells(const struct ph_acl_dir *d)
{
	return d != NULL ? d->cells : 0;
}

uint32_t
ph_acl_dir_copies(const struct ph_acl_dir *d)
{
	return d != NULL ? d->copies : 0;
}

size_t
ph_acl_dir_mem(const struct ph_acl_dir *d)
{
	if (d == NULL)
		return 0;
	return sizeof(*d) + ((size_t)d->mask + 1) * sizeof(*d->tab) +
	       (size_t)d->n_rules * sizeof(*d->rules) +
	       (size_t)d->n_full * sizeof(*d->full);
}
