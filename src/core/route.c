/*
 * core/route.c - the policy's own routing table (PIX semantics).
 *
 * PIX forwards by its own table: one connected route per `ip address`
 * plus the `route` lines.  The longest matching prefix wins, then the
 * lowest metric, then the first in the table (the compiler already sorts
 * it so, but the lookup does not depend on that).  A route on a
 * `shutdown` interface is skipped.
 *
 * Known limits: a linear scan (PIX configs have few routes); no ECMP.
 */
#include "core/nat.h"

ph_ifidx_t
ph_route_lookup(const struct ph_policy *pol, uint32_t dst)
{
	const struct ph_route *best = NULL;

	for (size_t i = 0; i < pol->n_routes; i++) {
		const struct ph_route *r = &pol->routes[i];

		if ((dst & r->dst.mask) != r->dst.addr ||
		    r->ifidx >= pol->n_ifaces || pol->ifaces[r->ifidx].shutdown)
			continue;
		/* contiguous masks: longer prefix = larger mask */
		if (best == NULL || r->dst.mask > best->dst.mask ||
		    (r->dst.mask == best->dst.mask && r->metric < best->metric))
			best = r;
	}
	return best != NULL ? best->ifidx : PH_IF_NONE;
}

ph_ifidx_t
ph_route_local(const struct ph_policy *pol, uint32_t addr)
{
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (pol->ifaces[i].has_addr && pol->ifaces[i].addr == addr)
			return (ph_ifidx_t)i;
	return PH_IF_NONE;
}
