/*
 * core/nat.h - which translation rule covers a new connection, in PIX
 * order (reference s3.6, PIX 6.3):
 *
 * Outbound (higher -> lower security), translating the source:
 *   1. NAT exemption `nat (if) 0 access-list ACL`: first permit in config
 *      order; no translation, and it works both ways;
 *   2. `static` (1:1, network, static PAT, policy static): first match in
 *      config order;
 *   3. policy dynamic NAT `nat (if) N access-list ACL`: first match in
 *      config order whose id has a `global` on the egress interface;
 *   4. regular `nat (if) N addr mask`, including identity `nat 0 addr
 *      mask`: the BEST (longest prefix) match whose id has a `global` on
 *      the egress interface (or is 0); ties go to config order.
 * Inbound (lower -> higher), translating the destination:
 *   1. `static` whose mapped side is the ingress interface and covers the
 *      destination (static PAT: protocol and port too), first in config
 *      order, real interface of higher security;
 *   2. NAT exemption on the destination's interface (its ACL read with
 *      source and destination swapped);
 *   3. an address (not PAT) xlate of the destination, while it exists.
 * Anything else has no translation: 305005 outbound, 106011 inbound.
 *
 * The ACLs here are read through the compiled index (core/acl.h).
 *
 * Known limits: `nat ... outside` (translating the lower-security side),
 * `dns`, and max_conns/emb_limit are not applied; statics translate the
 * real (higher-security) side only.
 */
#ifndef PH_CORE_NAT_H
#define PH_CORE_NAT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/model.h"

struct ph_acl_index;

/* What covers a connection. */
enum ph_nat_kind {
	PH_NAT_NONE = 0, /* nothing: deny (305005 / 106011) */
	PH_NAT_EXEMPT,	 /* nat 0 access-list: untranslated, both ways */
	PH_NAT_IDENTITY, /* nat 0 addr mask: untranslated, outbound only */
	PH_NAT_STATIC,	 /* a static: mapped address/port below */
	PH_NAT_DYNAMIC,	 /* nat N + global N: allocate (xlate_alloc.c) */
	PH_NAT_XLATE,	 /* inbound to an existing address xlate */
};

/* The packet fields rules look at (host order). */
struct ph_nat_key {
	uint32_t src, dst;
	uint16_t sport, dport; /* tcp/udp */
	uint8_t proto;
	int16_t icmp_type; /* icmp, else PH_ICMP_ANY */
};

struct ph_nat_res {
	uint8_t kind;	    /* enum ph_nat_kind */
	uint32_t rule;	    /* statics[] or nats[] index */
	uint32_t maddr;	    /* STATIC outbound: mapped source;
				* STATIC inbound: real destination */
	uint16_t mport;	    /* static PAT: the other side's port */
	bool port;	    /* static PAT: mport applies */
	ph_ifidx_t real_if; /* inbound: the destination's interface */
};

/**
 * Resolve the translation of a new outbound connection from in_if to
 * out_if (source translation).  Fills *r; r->kind NONE means 305005.
 */
void ph_nat_outbound(const struct ph_policy *pol, const struct ph_acl_index *ix,
		     ph_ifidx_t in_if, ph_ifidx_t out_if,
		     const struct ph_nat_key *k, struct ph_nat_res *r);

/**
 * Find the static that maps destination k->dst (and dport) on in_if to a
 * real host on a higher-security interface.  Returns true and fills *r
 * (kind STATIC, maddr = real destination, real_if).
 */
bool ph_nat_inbound_static(const struct ph_policy *pol,
			   const struct ph_acl_index *ix, ph_ifidx_t in_if,
			   const struct ph_nat_key *k, struct ph_nat_res *r);

/**
 * Is the inbound packet k, headed for a host on real_if, covered by a
 * NAT exemption on real_if?  Fills *r (kind EXEMPT) when it is.
 */
bool ph_nat_inbound_exempt(const struct ph_policy *pol,
			   const struct ph_acl_index *ix, ph_ifidx_t real_if,
			   const struct ph_nat_key *k, struct ph_nat_res *r);

/** Is there a `global` with this id on interface ifidx? */
bool ph_nat_has_global(const struct ph_policy *pol, ph_ifidx_t ifidx,
		       uint32_t id);

/** The address a static maps real address `real` to (network statics
 * keep the host part). */
uint32_t ph_static_mapped(const struct ph_static *s, uint32_t real);

/** The real address a static maps `mapped` back to. */
uint32_t ph_static_real(const struct ph_static *s, uint32_t mapped);

/** Same rule? (reload: does a connection's rule survive) */
bool ph_static_same(const struct ph_static *a, const struct ph_static *b);
bool ph_nat_same(const struct ph_nat *a, const struct ph_nat *b);
bool ph_global_same(const struct ph_global *a, const struct ph_global *b);

/* Routing (route.c). */

/** Egress interface for dst by longest prefix over pol->routes, or
 * PH_IF_NONE. */
ph_ifidx_t ph_route_lookup(const struct ph_policy *pol, uint32_t dst);

/** Interface whose own address is addr, or PH_IF_NONE. */
ph_ifidx_t ph_route_local(const struct ph_policy *pol, uint32_t addr);

#endif /* PH_CORE_NAT_H */
