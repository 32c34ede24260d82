/*
 * core/nat.c - translation rule resolution in PIX order (see nat.h).
 */
#include <string.h>

#include "core/acl.h"
#include "core/nat.h"
#include "core/pkt.h"

static struct ph_acl_key
acl_key(const struct ph_nat_key *k, bool swap)
{
	struct ph_acl_key a;

	memset(&a, 0, sizeof(a));
	a.proto = k->proto;
	a.icmp_type = k->icmp_type;
	a.src = swap ? k->dst : k->src;
	a.dst = swap ? k->src : k->dst;
	a.sport = swap ? k->dport : k->sport;
	a.dport = swap ? k->sport : k->dport;
	return a;
}

/* Does ACL acl_no permit k (first match is a permit)? */
static bool
acl_permits(const struct ph_policy *pol, const struct ph_acl_index *ix,
	    int32_t acl_no, const struct ph_acl_key *k)
{
	int32_t e;

	if (acl_no < 0 || (size_t)acl_no >= pol->n_acls)
		return false;
	e = ix != NULL ? ph_acl_lookup(ix, (uint32_t)acl_no, k)
		       : ph_acl_lookup_linear(pol, (uint32_t)acl_no, k);
	return e >= 0 && pol->aces[e].action == PH_ACL_PERMIT;
}

bool
ph_nat_has_global(const struct ph_policy *pol, ph_ifidx_t ifidx, uint32_t id)
{
	for (size_t i = 0; i < pol->n_globals; i++)
		if (pol->globals[i].ifidx == ifidx && pol->globals[i].id == id)
			return true;
	return false;
}

uint32_t
ph_static_mapped(const struct ph_static *s, uint32_t real)
{
	return (s->mapped_addr & s->mask) | (real & ~s->mask);
}

uint32_t
ph_static_real(const struct ph_static *s, uint32_t mapped)
{
	return (s->real_addr & s->mask) | (mapped & ~s->mask);
}

static bool
static_port_ok(const struct ph_static *s, uint8_t proto, uint16_t port)
{
	return s->proto == 0 || (s->proto == proto && s->real_port == port);
}

/* Step 2 outbound: a static covering the source. */
static bool
out_static(const struct ph_policy *pol, const struct ph_acl_index *ix,
	   ph_ifidx_t in_if, ph_ifidx_t out_if, const struct ph_nat_key *k,
	   struct ph_nat_res *r)
{
	struct ph_acl_key ak = acl_key(k, false);

	for (size_t i = 0; i < pol->n_statics; i++) {
		const struct ph_static *s = &pol->statics[i];

		if (s->real_if != in_if || s->mapped_if != out_if ||
		    (k->src & s->mask) != (s->real_addr & s->mask) ||
		    !static_port_ok(s, k->proto, k->sport))
			continue;
		if (s->acl >= 0 && !acl_permits(pol, ix, s->acl, &ak))
			continue;
		r->kind = PH_NAT_STATIC;
		r->rule = (uint32_t)i;
		r->maddr = ph_static_mapped(s, k->src);
		r->port = s->proto != 0;
		r->mport = s->mapped_port;
		return true;
	}
	return false;
}

/* Steps 1 and 3 outbound: ACL-selected nat lines in config order. */
static bool
out_acl_nat(const struct ph_policy *pol, const struct ph_acl_index *ix,
	    ph_ifidx_t in_if, ph_ifidx_t out_if, const struct ph_nat_key *k,
	    bool exempt, struct ph_nat_res *r)
{
	struct ph_acl_key ak = acl_key(k, false);

	for (size_t i = 0; i < pol->n_nats; i++) {
		const struct ph_nat *n = &pol->nats[i];

		if (n->ifidx != in_if || n->acl < 0 || n->outside ||
		    (n->id == 0) != exempt)
			continue;
		if (!exempt && !ph_nat_has_global(pol, out_if, n->id))
			continue;
		if (!acl_permits(pol, ix, n->acl, &ak))
			continue;
		r->kind = exempt ? PH_NAT_EXEMPT : PH_NAT_DYNAMIC;
		r->rule = (uint32_t)i;
		return true;
	}
	return false;
}

/* Step 4 outbound: longest prefix among `nat (if) N addr mask`. */
static bool
out_best_nat(const struct ph_policy *pol, ph_ifidx_t in_if, ph_ifidx_t out_if,
	     const struct ph_nat_key *k, struct ph_nat_res *r)
{
	int64_t best = -1;
	uint32_t best_mask = 0;

	for (size_t i = 0; i < pol->n_nats; i++) {
		const struct ph_nat *n = &pol->nats[i];

		if (n->ifidx != in_if || n->acl >= 0 || n->outside ||
		    (k->src & n->match.mask) != n->match.addr)
			continue;
		if (n->id != 0 && !ph_nat_has_global(pol, out_if, n->id))
			continue;
		/* contiguous masks: a longer prefix is a larger value */
		if (best < 0 || n->match.mask > best_mask) {
			best = (int64_t)i;
			best_mask = n->match.mask;
		}
	}
	if (best < 0)
		return false;
	r->rule = (uint32_t)best;
	r->kind = pol->nats[best].id == 0 ? PH_NAT_IDENTITY : PH_NAT_DYNAMIC;
	return true;
}

void
ph_nat_outbound(const struct ph_policy *pol, const struct ph_acl_index *ix,
		ph_ifidx_t in_if, ph_ifidx_t out_if, const struct ph_nat_key *k,
		struct ph_nat_res *r)
{
	memset(r, 0, sizeof(*r));
	r->real_if = in_if;
	if (out_acl_nat(pol, ix, in_if, out_if, k, true, r) ||
	    out_static(pol, ix, in_if, out_if, k, r) ||
	    out_acl_nat(pol, ix, in_if, out_if, k, false, r) ||
	    out_best_nat(pol, in_if, out_if, k, r))
		return;
	r->kind = PH_NAT_NONE;
}

bool
ph_nat_inbound_static(const struct ph_policy *pol,
		      const struct ph_acl_index *ix, ph_ifidx_t in_if,
		      const struct ph_nat_key *k, struct ph_nat_res *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < pol->n_statics; i++) {
		const struct ph_static *s = &pol->statics[i];
		struct ph_acl_key ak;

		if (s->mapped_if != in_if || s->real_if >= pol->n_ifaces ||
		    (k->dst & s->mask) != (s->mapped_addr & s->mask))
			continue;
		if (s->proto != 0 &&
		    (s->proto != k->proto || s->mapped_port != k->dport))
			continue;
		if (pol->ifaces[s->real_if].security <=
		    pol->ifaces[in_if].security)
			continue;
		if (s->acl >= 0) {
			/* policy static: the ACL names real host -> peer */
			ak = acl_key(k, true);
			ak.src = ph_static_real(s, k->dst);
			if (!acl_permits(pol, ix, s->acl, &ak))
				continue;
		}
		r->kind = PH_NAT_STATIC;
		r->rule = (uint32_t)i;
		r->maddr = ph_static_real(s, k->dst);
		r->port = s->proto != 0;
		r->mport = s->real_port;
		r->real_if = s->real_if;
		return true;
	}
	return false;
}

bool
ph_nat_inbound_exempt(const struct ph_policy *pol,
		      const struct ph_acl_index *ix, ph_ifidx_t real_if,
		      const struct ph_nat_key *k, struct ph_nat_res *r)
{
	struct ph_acl_key ak = acl_key(k, true);

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < pol->n_nats; i++) {
		const struct ph_nat *n = &pol->nats[i];

		if (n->ifidx != real_if || n->id != 0 || n->acl < 0 ||
		    n->outside)
			continue;
		if (!acl_permits(pol, ix, n->acl, &ak))
			continue;
		r->kind = PH_NAT_EXEMPT;
		r->rule = (uint32_t)i;
		r->maddr = k->dst;
		r->real_if = real_if;
		return true;
	}
	return false;
}

bool
ph_static_same(const struct ph_static *a, const struct ph_static *b)
{
	return a->real_if == b->real_if && a->mapped_if == b->mapped_if &&
	       a->proto == b->proto && a->mapped_addr == b->mapped_addr &&
	       a->real_addr == b->real_addr && a->mask == b->mask &&
	       a->mapped_port == b->mapped_port &&
	       a->real_port == b->real_port &&
	       a->mapped_is_iface == b->mapped_is_iface &&
	       (a->acl < 0) == (b->acl < 0);
}

bool
ph_nat_same(const struct ph_nat *a, const struct ph_nat *b)
{
	return a->ifidx == b->ifidx && a->id == b->id &&
	       (a->acl < 0) == (b->acl < 0) && a->match.addr == b->match.addr &&
	       a->match.mask == b->match.mask && a->outside == b->outside;
}

bool
ph_global_same(const struct ph_global *a, const struct ph_global *b)
{
	return a->ifidx == b->ifidx && a->id == b->id &&
	       a->is_iface == b->is_iface && a->lo == b->lo && a->hi == b->hi;
}
