/*
 * core/engine_flow.c - a packet that matches no connection: the PIX 6.3
 * policy decides whether it opens one (docs/engine.md, reference s3.5,
 * s3.6).
 *
 *   1. a static mapping the destination on the ingress interface makes it
 *      through traffic to the static's real interface; otherwise traffic
 *      for the gateway itself (its addresses, broadcast, multicast) passes
 *      untouched and untracked ("to the box");
 *   2. an ICMP error with no connection, a TCP segment that is not a SYN
 *      (106015), a bad TCP flag combination: dropped;
 *   3. the egress interface: the static's, or the policy's routing table;
 *   4. higher -> lower security (outbound): the ingress access-group (if
 *      any), then a translation rule in PIX order (305005 when none,
 *      305006 when allocation fails);
 *      lower -> higher (inbound): the ingress access-group (106023), a
 *      static / exemption / address xlate (106011 "No xlate"), and with no
 *      access-group a conduit (106001/106006/106014/106010);
 *      same level: dropped (PIX 6 has no same-security-traffic);
 *   5. the connection is built (302013/15/17/20, after any 305009/11)
 *      and the packet continues as its first packet.
 */
#include <string.h>

#include "core/conn_tcp.h"
#include "core/engine_int.h"
#include "core/nat.h"

bool
eng_to_box(const struct ph_policy *pol, ph_ifidx_t in_if, uint32_t dst)
{
	const struct ph_iface *in = &pol->ifaces[in_if];

	if (dst == 0xffffffffu || (dst >> 28) == 0xe)
		return true;
	if (in->has_addr && in->mask != 0xffffffffu &&
	    dst == (in->addr | ~in->mask))
		return true;
	return ph_route_local(pol, dst) != PH_IF_NONE;
}

static void
nat_key(const struct eng_pkt *ep, struct ph_nat_key *k)
{
	const struct ph_pkt *p = &ep->p;

	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->proto = p->proto;
	k->icmp_type = PH_ICMP_ANY;
	if (p->proto == PH_IPPROTO_TCP || p->proto == PH_IPPROTO_UDP) {
		k->sport = p->sport;
		k->dport = p->dport;
	} else if (p->proto == PH_IPPROTO_ICMP && p->has_l4) {
		k->icmp_type = p->icmp.type;
	}
}

static unsigned
class_of_proto(uint8_t proto)
{
	switch (proto) {
	case PH_IPPROTO_TCP:
		return PH_TC_EMBRYONIC;
	case PH_IPPROTO_UDP:
		return PH_TC_UDP;
	case PH_IPPROTO_ICMP:
		return PH_TC_ICMP;
	case PH_IPPROTO_GRE:
		return PH_TC_GRE;
	default:
		return PH_TC_OTHER;
	}
}

/* Deny with a packet event; if1 PH_IF_NONE = the ingress interface. */
static void
deny(struct ph_engine *eng, struct eng_pkt *ep, unsigned reason, uint32_t id,
     ph_ifidx_t if1)
{
	struct ph_event ev;

	if (id != 0) {
		eng_ev_pkt(eng, ep, id, if1, &ev);
		eng_emit(eng, &ev);
	}
	eng_drop(eng, ep, reason);
}

/* An xlate made for this packet and then not used must not linger. */
static void
xlate_abandon(struct ph_engine *eng, uint32_t xl, ph_time_t now)
{
	const struct ph_xlate *x;

	if (xl == PH_IDX_NONE)
		return;
	x = ph_xlate_at(eng->xlates, xl);
	if (x->live && x->refs == 0 && !x->idle)
		eng_xlate_destroy(eng, xl, now);
}

/* Build the connection and pass the packet on as its first. */
static void
commit(struct ph_engine *eng, struct eng_pkt *ep, struct ph_flow_key k[2],
       uint16_t flags, uint8_t rule, uint32_t rule_idx, uint32_t xl)
{
	struct ph_conn *c;
	uint32_t idx;
	unsigned r;

	if (ep->p.proto == PH_IPPROTO_GRE)
		flags |= PH_CF_ANYKEY;
	r = ph_eng_conn_add(eng, k, class_of_proto(ep->p.proto), flags, rule,
			    rule_idx, xl, ep->now, &idx);
	if (r != PH_R_NONE) {
		xlate_abandon(eng, xl, ep->now);
		if (r == PH_R_CONN_LIMIT)
			eng_ev_table_full(eng, ep, k[1].ifidx);
		eng_drop(eng, ep, r);
		return;
	}
	c = ph_conn_at(eng->conns, idx);
	if (ep->p.proto == PH_IPPROTO_TCP) {
		ph_tcp_open(c, &ep->p);
		eng_limit_emb_start(eng, c);
	} else if (ep->p.proto == PH_IPPROTO_ICMP)
		c->icmp_seq = ep->p.icmp.seq; /* for 302020/302021 */
	eng_conn_inspect(eng, idx, ep->now);
	ph_eng_conn_built_event(eng, idx, ep->now);
	eng_conn_packet(eng, ep, idx, PH_DIR_ORIG);
}

/* Reply key: the packet as translated, reversed, on the egress side. */
static void
reply_key(const struct eng_pkt *ep, const struct ph_flow_key *k0, uint32_t src,
	  uint16_t sport, uint32_t dst, uint16_t dport, ph_ifidx_t out_if,
	  struct ph_flow_key *k1)
{
	struct ph_flow_key t = *k0;

	t.src = src;
	t.dst = dst;
	if (ep->p.proto == PH_IPPROTO_ICMP) {
		t.sport = t.dport = sport; /* the identifier */
	} else {
		t.sport = sport;
		t.dport = dport;
	}
	ph_flow_key_reverse(k1, &t, out_if);
}

static bool
room_for_conn(struct ph_engine *eng, struct eng_pkt *ep, ph_ifidx_t out_if)
{
	if (eng->conns->used < eng->conns->max)
		return true;
	eng_ev_table_full(eng, ep, out_if);
	eng_drop(eng, ep, PH_R_CONN_LIMIT);
	return false;
}

/* The limits of the line that translates a new connection (statics[],
 * nats[]; an inbound address xlate: its nat line), engine_limit.c. */
static bool
within_limits(struct ph_engine *eng, struct eng_pkt *ep,
	      const struct ph_nat_res *r, uint32_t xl, bool inbound,
	      uint32_t real, uint16_t rport, ph_ifidx_t out_if)
{
	const struct ph_pkt *p = &ep->p;
	struct eng_limit_req q = { .is_static = r->kind == PH_NAT_STATIC,
				   .idx = r->rule,
				   .in_ip = real,
				   .in_port = rport };

	if (r->kind == PH_NAT_XLATE)
		q.idx = xl != PH_IDX_NONE
				? ph_xlate_at(eng->xlates, xl)->nat_idx
				: PH_IDX_NONE;
	q.out_ip = inbound ? p->src : p->dst;
	q.out_port = inbound ? p->sport : p->dport;
	/* the global address; a nat line has none before its xlate */
	q.gaddr = inbound ? p->dst : q.is_static ? r->maddr : p->src;
	return eng_limit_admit(eng, ep, &q, out_if);
}

/* The local port PAT translates: TCP/UDP port, ICMP identifier. */
static uint16_t
local_port(const struct ph_flow_key *k0)
{
	return k0->sport;
}

static void
flow_outbound(struct ph_engine *eng, struct eng_pkt *ep,
	      const struct ph_nat_key *nk, ph_ifidx_t out_if)
{
	const struct ph_policy *pol = eng->pol;
	int32_t acl = pol->ifaces[ep->in_if].acl_in;
	struct ph_flow_key k[2];
	struct ph_nat_res r;
	uint32_t gsrc, xl = PH_IDX_NONE;
	uint16_t gport;
	uint8_t rule, fail = PH_EV_XK_DYNAMIC;

	if (acl >= 0 && !eng_acl_check(eng, ep, acl, out_if)) {
		eng_drop(eng, ep, PH_R_ACL);
		return;
	}
	ph_nat_outbound(pol, eng->acl_ix, ep->in_if, out_if, nk, &r);
	if (r.kind == PH_NAT_NONE) {
		deny(eng, ep, PH_R_NO_NAT_RULE, PH_EV_NO_NAT_RULE, out_if);
		return;
	}
	if (!room_for_conn(eng, ep, out_if) ||
	    !within_limits(eng, ep, &r, PH_IDX_NONE, false, ep->p.src,
			   ep->p.sport, out_if))
		return;
	eng_pkt_key(ep, &k[0]);
	gsrc = ep->p.src;
	gport = local_port(&k[0]);
	rule = r.kind == PH_NAT_EXEMPT	   ? PH_RULE_EXEMPT
	       : r.kind == PH_NAT_IDENTITY ? PH_RULE_IDENTITY
	       : r.kind == PH_NAT_STATIC   ? PH_RULE_STATIC
					   : PH_RULE_XLATE;
	if (r.kind == PH_NAT_STATIC) {
		gsrc = r.maddr;
		if (r.port)
			gport = r.mport;
	} else if (r.kind == PH_NAT_DYNAMIC) {
		const struct ph_xlate *x;

		if (eng_xlate_get(eng, ep->in_if, out_if, r.rule, ep->p.src,
				  local_port(&k[0]), ep->p.proto, ep->now, &xl,
				  &fail) != PH_R_NONE) {
			struct ph_event ev;

			eng_ev_pkt(eng, ep, PH_EV_XLATE_FAILED, out_if, &ev);
			ev.xlate_kind = fail;
			eng_emit(eng, &ev);
			eng_drop(eng, ep, PH_R_XLATE_FAIL);
			return;
		}
		x = ph_xlate_at(eng->xlates, xl);
		gsrc = x->gaddr;
		if (x->kind == PH_XK_PAT)
			gport = x->gport;
	}
	reply_key(ep, &k[0], gsrc, gport, k[0].dst, k[0].dport, out_if, &k[1]);
	commit(eng, ep, k, 0, rule, r.rule, xl);
}

/* 106001 / 106006 / 106014 / 106010 for an inbound packet no conduit or
 * access-group admits. */
static uint32_t
inbound_deny_id(uint8_t proto)
{
	switch (proto) {
	case PH_IPPROTO_TCP:
		return PH_EV_TCP_IN_DENIED;
	case PH_IPPROTO_UDP:
		return PH_EV_UDP_IN_DENIED;
	case PH_IPPROTO_ICMP:
		return PH_EV_ICMP_IN_DENIED;
	default:
		return PH_EV_PROTO_IN_DENIED;
	}
}

/* The inbound translation: static, exemption, or a live address xlate. */
static bool
inbound_xlate(struct ph_engine *eng, struct eng_pkt *ep,
	      const struct ph_nat_key *nk, ph_ifidx_t *out_if,
	      struct ph_nat_res *r, uint32_t *xl)
{
	const struct ph_xlate *x;

	if (r->kind == PH_NAT_STATIC)
		return true;
	if (*out_if != ep->in_if &&
	    ph_nat_inbound_exempt(eng->pol, eng->acl_ix, *out_if, nk, r))
		return true;
	*xl = ph_xlate_find_global(eng->xlates, ep->in_if, ep->p.dst, 0, 0);
	if (*xl == PH_IDX_NONE)
		return false;
	x = ph_xlate_at(eng->xlates, *xl);
	if (x->lif >= eng->pol->n_ifaces ||
	    eng->pol->ifaces[x->lif].security <=
		    eng->pol->ifaces[ep->in_if].security) {
		*xl = PH_IDX_NONE;
		return false;
	}
	memset(r, 0, sizeof(*r));
	r->kind = PH_NAT_XLATE;
	r->maddr = x->laddr;
	r->real_if = x->lif;
	*out_if = x->lif;
	return true;
}

static void
flow_inbound(struct ph_engine *eng, struct eng_pkt *ep,
	     const struct ph_nat_key *nk, ph_ifidx_t out_if,
	     struct ph_nat_res *r)
{
	int32_t acl = eng->pol->ifaces[ep->in_if].acl_in;
	struct ph_flow_key k[2];
	uint32_t xl = PH_IDX_NONE;
	uint16_t rport;
	uint8_t rule;

	if (acl >= 0 && !eng_acl_check(eng, ep, acl, out_if)) {
		eng_drop(eng, ep, PH_R_ACL);
		return;
	}
	if (!inbound_xlate(eng, ep, nk, &out_if, r, &xl)) {
		deny(eng, ep, PH_R_NO_XLATE_IN, PH_EV_NO_XLATE_DENIED,
		     ep->in_if);
		return;
	}
	if (acl < 0 && !eng_conduit_check(eng, ep)) {
		deny(eng, ep, PH_R_CONDUIT, inbound_deny_id(ep->p.proto),
		     out_if);
		return;
	}
	rport = r->port ? r->mport : ep->p.dport;
	if (!room_for_conn(eng, ep, out_if) ||
	    !within_limits(eng, ep, r, xl, true, r->maddr, rport, out_if))
		return;
	eng_pkt_key(ep, &k[0]);
	rport = r->port ? r->mport : k[0].dport;
	rule = r->kind == PH_NAT_STATIC	  ? PH_RULE_STATIC
	       : r->kind == PH_NAT_EXEMPT ? PH_RULE_EXEMPT
					  : PH_RULE_XLATE;
	if (ep->p.proto == PH_IPPROTO_ICMP)
		rport = k[0].sport;
	/* the reply comes from the real host to the foreign one */
	reply_key(ep, &k[0], k[0].src, k[0].sport, r->maddr, rport, out_if,
		  &k[1]);
	commit(eng, ep, k, PH_CF_INBOUND, rule, r->rule, xl);
}

/*
 * Is a packet that matched no connection headed inbound: to an address
 * of the ingress side (a global, a PAT address) rather than out through a
 * lower-security interface?
 */
static bool
orphan_inbound(const struct ph_engine *eng, const struct eng_pkt *ep)
{
	const struct ph_policy *pol = eng->pol;
	ph_ifidx_t out = ph_route_lookup(pol, ep->p.dst);

	return out >= pol->n_ifaces || out == ep->in_if ||
	       pol->ifaces[out].security >= pol->ifaces[ep->in_if].security;
}

/*
 * An inspector refused an orphan packet.  Inbound, it is what PIX logs as
 * 106010 "Deny inbound protocol" (GRE of no call, or of a call from the
 * wrong source); the drop reason keeps the difference in the counters and
 * `debug pptp`.  Outbound it gets pinhole's 901006 with the inspector's
 * words.  Both are rate-limited per reason, since a flood of GRE for a
 * closed call is an expected attack.
 */
static void
orphan_deny(struct ph_engine *eng, struct eng_pkt *ep, unsigned r,
	    const char *text)
{
	if (orphan_inbound(eng, ep))
		eng_deny_pkt_as(eng, ep, r, PH_EV_PROTO_IN_DENIED);
	else
		eng_deny_pkt(eng, ep, r, text[0] ? text : NULL);
}

/*
 * With PPTP inspection off, GRE's return path is not trusted to the state
 * table, as on PIX 6.2 (issue: "GRE passes only through a static plus an
 * ACL or conduit"): a packet coming back on a GRE connection that was
 * built outbound passes only if the inside host is reachable by address
 * (a static, an exemption or an address xlate, not a PAT port) and the
 * ingress access-group, or with none a conduit, permits it.  Otherwise it
 * is PIX's 106010 (or 106023 from the access-group).  GRE flows the PPTP
 * inspector opened, and connections built inbound, are not affected.
 */
bool
eng_gre_reply_ok(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx)
{
	const struct ph_policy *pol = eng->pol;
	const struct ph_conn *c = ph_conn_at(eng->conns, idx);
	ph_ifidx_t to_if = c->k[0].ifidx;
	int32_t acl;

	if (ep->p.proto != PH_IPPROTO_GRE || pol->inspect.pptp ||
	    (c->flags & PH_CF_INBOUND) || c->insp_id != 0)
		return true;
	if (c->xl != PH_IDX_NONE &&
	    ph_xlate_at(eng->xlates, c->xl)->kind == PH_XK_PAT) {
		deny(eng, ep, PH_R_NO_XLATE_IN, PH_EV_PROTO_IN_DENIED, to_if);
		return false;
	}
	acl = pol->ifaces[ep->in_if].acl_in;
	if (acl >= 0) {
		if (eng_acl_check(eng, ep, acl, to_if))
			return true;
		eng_drop(eng, ep, PH_R_ACL);
		return false;
	}
	if (eng_conduit_check(eng, ep))
		return true;
	deny(eng, ep, PH_R_CONDUIT, PH_EV_PROTO_IN_DENIED, to_if);
	return false;
}

/* Does an inspector refuse a packet that matched no connection? */
static bool
orphan_refused(struct ph_engine *eng, struct eng_pkt *ep)
{
	char text[80];

	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++) {
		const struct ph_inspect_ops *ops = ph_inspectors[i];
		unsigned r;

		if (ops->orphan == NULL)
			continue;
		text[0] = '\0';
		r = ops->orphan(eng, eng->insp_priv[i], &ep->p, ep->in_if, text,
				sizeof(text));
		if (r != PH_R_NONE) {
			orphan_deny(eng, ep, r, text);
			return true;
		}
	}
	return false;
}

void
eng_new_flow(struct ph_engine *eng, struct eng_pkt *ep)
{
	const struct ph_policy *pol = eng->pol;
	const struct ph_pkt *p = &ep->p;
	struct ph_nat_key nk;
	struct ph_nat_res st;
	bool have_static;
	ph_ifidx_t out_if;
	uint8_t sin, sout;

	if (orphan_refused(eng, ep))
		return;
	nat_key(ep, &nk);
	have_static =
		ph_nat_inbound_static(pol, eng->acl_ix, ep->in_if, &nk, &st);
	if (!have_static && eng_to_box(pol, ep->in_if, p->dst)) {
		if (ph_pkt_is_first_frag(p)) {
			struct ph_frag_key fk = { p->src,   p->dst, p->ip_id,
						  p->proto, 0,	    ep->in_if };

			eng_note_first_frag(eng, &fk, ep->now, PH_IDX_NONE, 0,
					    PH_IF_NONE,
					    ph_pkt_inspected_len(p));
		}
		eng_accept(eng, ep, PH_IF_NONE);
		return;
	}
	if (p->proto == PH_IPPROTO_ICMP && p->icmp.is_err) {
		eng_deny_pkt(eng, ep, PH_R_ICMP_NO_CONN,
			     "no connection for the quoted packet");
		return;
	}
	if (p->proto == PH_IPPROTO_TCP && ph_tcp_flags_bad(p->tcp.flags)) {
		eng_deny_tcp(eng, ep, PH_R_TCP_BAD_FLAGS);
		return;
	}
	if (p->proto == PH_IPPROTO_TCP && !ph_tcp_opens(p->tcp.flags)) {
		deny(eng, ep, PH_R_TCP_NO_CONN, PH_EV_TCP_NO_CONN, PH_IF_NONE);
		return;
	}
	if (p->proto == PH_IPPROTO_TCP && ph_pkt_is_frag(p)) {
		/* an inspector must see whole segments: a fragmented first
		 * segment of an inspected connection opens nothing */
		struct ph_flow_key k[2];

		memset(k, 0, sizeof(k));
		eng_pkt_key(ep, &k[0]);
		if (eng_would_inspect(eng, k, 0)) {
			eng_deny_frag(eng, ep, EF_INSPECTED);
			return;
		}
	}
	out_if = have_static ? st.real_if : ph_route_lookup(pol, p->dst);
	if (out_if == PH_IF_NONE) {
		eng_drop(eng, ep, PH_R_NO_ROUTE);
		return;
	}
	sin = pol->ifaces[ep->in_if].security;
	sout = pol->ifaces[out_if].security;
	/* back out the ingress interface: only an xlate can make it
	 * through traffic, as inbound (PIX: 106011 otherwise) */
	if (out_if != ep->in_if && sin == sout)
		eng_drop(eng, ep, PH_R_SAME_SECURITY);
	else if (out_if != ep->in_if && sin > sout)
		flow_outbound(eng, ep, &nk, out_if);
	else
		flow_inbound(eng, ep, &nk, out_if,
			     have_static ? &st : memset(&st, 0, sizeof(st)));
}
