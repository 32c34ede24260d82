/*
 * core/engine_conn.c - connections and xlates over their lifetime: the
 * packet of a known connection (state, inspection, rewrite, counters),
 * building, tearing down, and expiry in bounded slices.
 */
#include <string.h>

#include "core/conn_tcp.h"
#include "core/cursor.h"
#include "core/engine_int.h"
#include "core/rand.h"
#include "core/rewrite.h"

uint32_t
eng_class_timeout(const struct ph_engine *eng, unsigned c)
{
	return eng->to[ph_tclass_timeout(c)];
}

/* Payload bytes of a packet, as PIX counts them in "bytes". */
static uint32_t
pkt_bytes(const struct ph_pkt *p)
{
	return p->has_l4 ? p->payload_len : p->l4_len;
}

/* Rewrite a packet of direction d into the other side's view. */
static bool
rw_flow(struct eng_pkt *ep, const struct ph_conn *c, int d)
{
	const struct ph_flow_key *o = &c->k[!d];
	struct ph_pkt *p = &ep->p;
	bool mod = false;

	if (p->src != o->dst)
		mod |= ph_rw_ip_src(p, o->dst, ep->rwflags) == 0;
	if (p->dst != o->src)
		mod |= ph_rw_ip_dst(p, o->src, ep->rwflags) == 0;
	if (!p->has_l4)
		return mod;
	switch (p->proto) {
	case PH_IPPROTO_TCP:
	case PH_IPPROTO_UDP:
		if (p->sport != o->dport)
			mod |= ph_rw_sport(p, o->dport, ep->rwflags) == 0;
		if (p->dport != o->sport)
			mod |= ph_rw_dport(p, o->sport, ep->rwflags) == 0;
		break;
	case PH_IPPROTO_ICMP:
		if (p->icmp.has_id && p->icmp.id != o->sport)
			mod |= ph_rw_icmp_id(p, o->sport) == 0;
		break;
	case PH_IPPROTO_GRE:
		if (!(c->flags & PH_CF_ANYKEY) && p->gre.ver == 1 &&
		    p->gre.has_key && (uint16_t)p->gre.key != o->sport)
			mod |= ph_rw_gre_call_id(p, o->sport) == 0;
		break;
	default:
		break;
	}
	return mod;
}

/* Rewrite an ICMP error about connection c that travels in direction d:
 * the outer addresses like a packet of d, the quote (a packet of the
 * other direction) back to how that side sent it. */
static bool
rw_icmp_err(struct eng_pkt *ep, const struct ph_conn *c, int d)
{
	const struct ph_flow_key *o = &c->k[!d];
	struct ph_pkt *p = &ep->p;
	const struct ph_pkt_inner *in = &p->inner;
	bool mod = false;

	if (p->dst == c->k[d].dst && p->dst != o->src)
		mod |= ph_rw_ip_dst(p, o->src, ep->rwflags) == 0;
	if (p->src == c->k[d].src && p->src != o->dst)
		mod |= ph_rw_ip_src(p, o->dst, ep->rwflags) == 0;
	if (in->src != o->src)
		mod |= ph_rw_inner_src(p, o->src) == 0;
	if (in->dst != o->dst)
		mod |= ph_rw_inner_dst(p, o->dst) == 0;
	if (!in->has_l4)
		return mod;
	if (in->proto == PH_IPPROTO_TCP || in->proto == PH_IPPROTO_UDP) {
		if (in->sport != o->sport)
			mod |= ph_rw_inner_sport(p, o->sport) == 0;
		if (in->dport != o->dport)
			mod |= ph_rw_inner_dport(p, o->dport) == 0;
	} else if (in->proto == PH_IPPROTO_ICMP && in->icmp_has_id &&
		   in->icmp_id != o->sport) {
		mod |= ph_rw_inner_icmp_id(p, o->sport) == 0;
	} else if (in->proto == PH_IPPROTO_GRE && in->gre_has_key &&
		   !(c->flags & PH_CF_ANYKEY) && in->gre_ver == 1 &&
		   (uint16_t)in->gre_key != o->dport) {
		mod |= ph_rw_inner_gre_call_id(p, o->dport) == 0;
	}
	return mod;
}

/* An ICMP error about a TCP connection must quote a sequence number
 * its sender could have sent (pf): a blind spoofer has to guess the
 * window as well as the ports.  The quote is of a packet of !dir. */
static bool
icmp_quote_ok(const struct ph_conn *c, int dir, const struct ph_pkt *p)
{
	const struct ph_pkt_inner *in = &p->inner;
	struct ph_cur cur;
	uint32_t seq;

	if (c->k[0].proto != PH_IPPROTO_TCP || in->proto != PH_IPPROTO_TCP ||
	    !in->has_l4)
		return true;
	ph_cur_init(&cur, p->ip + in->l4_off, in->l4_len);
	if (ph_cur_skip(&cur, 4) != 0 || ph_cur_u32(&cur, &seq) != 0)
		return false;
	return ph_tcp_seq_in_window(c, !dir, seq);
}

bool
eng_would_inspect(const struct ph_engine *eng, const struct ph_flow_key k[2],
		  uint16_t flags)
{
	struct ph_conn c;

	memset(&c, 0, sizeof(c));
	c.k[0] = k[0];
	c.k[1] = k[1];
	c.flags = flags;
	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++)
		if (ph_inspectors[i]->match != NULL &&
		    ph_inspectors[i]->match(eng->pol, &c))
			return true;
	return false;
}

/* Remember an accepted first fragment's datagram, keyed as received. */
void
eng_note_first_frag(struct ph_engine *eng, const struct ph_frag_key *fk,
		    ph_time_t now, uint32_t idx, int dir, ph_ifidx_t out_if,
		    uint16_t min_off)
{
	struct ph_frag *f = ph_frag_add(eng->frags, fk, now);

	if (f == NULL)
		return;
	f->conn = idx;
	f->conn_id = idx != PH_IDX_NONE ? ph_conn_at(eng->conns, idx)->id : 0;
	f->dir = (uint8_t)dir;
	f->out_if = out_if;
	f->min_off = min_off;
}

static int
inspect_segment(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx,
		int dir, uint16_t *reason)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	const struct ph_inspect_ops *ops;
	unsigned i = c->insp_id - 1u;

	if (c->insp_id == 0 || i >= PH_INSPECT_MAX || ep->p.payload_len == 0)
		return PH_INSPECT_PASS;
	ops = ph_inspectors[i];
	if (ops == NULL || ops->on_tcp_payload == NULL)
		return PH_INSPECT_PASS;
	return ops->on_tcp_payload(eng, eng->insp_priv[i], idx, dir, &ep->p,
				   ep->rwflags, ep->now, reason);
}

/* The packet was accepted and translated; the inspector wants it kept
 * back.  Turn ACCEPT into HOLD, or into a drop when it cannot be kept. */
static void
hold(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx, int dir)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	unsigned i = c->insp_id - 1u;

	eng->ctr.pkts_accepted--;
	if (ep->out->modified)
		eng->ctr.pkts_rewritten--;
	if (eng_hold(eng, ep, idx, dir)) {
		ep->out->verdict = PH_VERDICT_HOLD;
		ep->out->out_ifidx = PH_IF_NONE;
		eng->ctr.pkts_held++;
		return;
	}
	eng_drop(eng, ep, PH_R_PPTP_HOLD_LIMIT);
	if (c->insp_id != 0 && i < PH_INSPECT_MAX && ph_inspectors[i] &&
	    ph_inspectors[i]->on_hold_drop != NULL)
		ph_inspectors[i]->on_hold_drop(eng, eng->insp_priv[i], idx, dir,
					       ep->now);
}

void
ph_eng_conn_kill(struct ph_engine *eng, uint32_t idx, unsigned td)
{
	(void)td; /* one reason for now: "Flow closed by inspection" */
	if (ph_conn_live(eng->conns, idx))
		ph_conn_at(eng->conns, idx)->flags |= PH_CF_KILL;
}

void
eng_conn_packet(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx,
		int dir)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	struct ph_pkt *p = &ep->p;
	unsigned cls = c->tclass, td = PH_TD_NONE;
	bool first = ph_pkt_is_first_frag(p);
	struct ph_frag_key fk = { p->src,   p->dst, p->ip_id,
				  p->proto, 0,	    ep->in_if };
	uint16_t reason = PH_R_NONE;
	ph_ifidx_t out_if = c->k[!dir].ifidx;
	int insp = PH_INSPECT_PASS;

	if (p->proto == PH_IPPROTO_ICMP && p->icmp.is_err) {
		if (!icmp_quote_ok(c, dir, p)) {
			eng_deny_pkt(eng, ep, PH_R_ICMP_NO_CONN,
				     "quoted TCP sequence outside the window");
			return;
		}
		ep->out->modified = rw_icmp_err(ep, c, dir);
		c->pkts[dir]++;
		eng_accept(eng, ep, out_if);
		return;
	}
	if (c->insp_id != 0 && p->proto == PH_IPPROTO_TCP &&
	    ph_pkt_is_frag(p)) {
		/* an inspector must see whole segments: no way around it */
		eng_deny_frag(eng, ep, EF_INSPECTED);
		return;
	}
	if (p->proto == PH_IPPROTO_TCP && p->has_l4) {
		bool emb = ph_tcp_embryonic(c);
		unsigned r = ph_tcp_flags_bad(p->tcp.flags)
				     ? PH_R_TCP_BAD_FLAGS
				     : ph_tcp_track(c, dir, p, &cls, &td);

		if (r != PH_R_NONE) {
			eng_deny_tcp(eng, ep, r);
			return;
		}
		if (emb && !ph_tcp_embryonic(c))
			eng_limit_emb_done(eng, c);
		insp = inspect_segment(eng, ep, idx, dir, &reason);
		if (insp == PH_INSPECT_DROP) {
			eng_drop(eng, ep,
				 reason != PH_R_NONE ? reason
						     : PH_R_PPTP_MALFORMED);
			goto out_kill;
		}
	}
	ep->out->modified = rw_flow(ep, c, dir);
	if (p->proto == PH_IPPROTO_GRE && !(c->flags & PH_CF_ANYKEY)) {
		eng->ctr.gre_call_pkts++; /* a PPTP call's flow */
		eng->ctr.gre_call_rewritten += ep->out->modified;
	}
	c->pkts[dir]++;
	c->bytes[dir] += pkt_bytes(p);
	if (cls != c->tclass)
		ph_conn_set_class(eng->conns, idx, cls, ep->now);
	else
		ph_conn_touch_lazy(eng->conns, idx, ep->now,
				   eng_class_timeout(eng, cls));
	if (first)
		eng_note_first_frag(eng, &fk, ep->now, idx, dir, out_if,
				    ph_pkt_inspected_len(p));
	eng_accept(eng, ep, out_if);
	if (insp == PH_INSPECT_HOLD)
		hold(eng, ep, idx, dir);
	if (td != PH_TD_NONE)
		ph_eng_conn_destroy(eng, idx, td, ep->now);
out_kill:
	if (ph_conn_live(eng->conns, idx) && (c->flags & PH_CF_KILL))
		ph_eng_conn_destroy(eng, idx, PH_TD_INSPECTION, ep->now);
}

unsigned
ph_eng_conn_add(struct ph_engine *eng, const struct ph_flow_key k[2],
		unsigned tclass, uint16_t flags, uint8_t rule,
		uint32_t rule_idx, uint32_t xl, ph_time_t now, uint32_t *idx)
{
	uint32_t i = ph_conn_alloc(eng->conns);
	struct ph_conn *c;

	if (i == PH_IDX_NONE)
		return PH_R_CONN_LIMIT;
	c = ph_conn_at(eng->conns, i);
	c->k[0] = k[0];
	c->k[1] = k[1];
	c->k[0].pad = c->k[1].pad = 0;
	c->flags = flags;
	c->rule = rule;
	c->rule_idx = rule_idx;
	c->start = now;
	if (ph_conn_insert(eng->conns, i, tclass, now) != 0) {
		ph_conn_release(eng->conns, i);
		return PH_R_XLATE_FAIL;
	}
	c->id = eng->next_conn_id++;
	if (eng->next_conn_id == 0)
		eng->next_conn_id = 1;
	if (xl != PH_IDX_NONE) {
		c->xl = xl;
		ph_xlate_ref(eng->xlates, xl);
	}
	eng_limit_conn_add(eng, c);
	eng->ctr.conns_built++;
	*idx = i;
	return PH_R_NONE;
}

void
ph_eng_conn_built_event(struct ph_engine *eng, uint32_t idx, ph_time_t now)
{
	eng_ev_conn(eng, idx, true, PH_TD_NONE, now);
}

void
eng_conn_inspect(struct ph_engine *eng, uint32_t idx, ph_time_t now)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);

	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++) {
		const struct ph_inspect_ops *ops = ph_inspectors[i];

		if (ops->match == NULL || !ops->match(eng->pol, c))
			continue;
		c->insp_id = (uint8_t)(i + 1);
		if (ops->conn_init != NULL &&
		    ops->conn_init(eng, eng->insp_priv[i], idx, now) != 0)
			c->insp_id = 0;
		return;
	}
}

void
ph_eng_conn_destroy(struct ph_engine *eng, uint32_t idx, unsigned td,
		    ph_time_t now)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	unsigned i = c->insp_id - 1u;

	if (!ph_conn_live(eng->conns, idx))
		return;
	if (c->insp_id != 0 && i < PH_INSPECT_MAX && ph_inspectors[i] &&
	    ph_inspectors[i]->on_conn_destroy != NULL)
		ph_inspectors[i]->on_conn_destroy(eng, eng->insp_priv[i], idx,
						  now);
	eng_hold_conn_gone(eng, idx);
	eng_ev_conn(eng, idx, false, td, now);
	eng_limit_conn_gone(eng, c);
	if (c->xl != PH_IDX_NONE)
		ph_xlate_unref(eng->xlates, c->xl, now);
	ph_conn_remove(eng->conns, idx);
	eng->ctr.conns_torn_down++;
}

void
eng_xlate_destroy(struct ph_engine *eng, uint32_t idx, ph_time_t now)
{
	struct ph_xlate *x = ph_xlate_at(eng->xlates, idx);

	if (!x->live)
		return;
	eng_ev_xlate(eng, idx, false, now);
	ph_natpools_put(eng->pools, x);
	ph_xlate_del(eng->xlates, idx);
	eng->ctr.xlates_torn_down++;
}

/* Reuse the local host's xlate toward gif, dropping one found expired. */
static uint32_t
xlate_reuse(struct ph_engine *eng, uint32_t nat_id, ph_ifidx_t lif,
	    ph_ifidx_t gif, uint32_t laddr, uint16_t lport, uint8_t proto,
	    ph_time_t now)
{
	uint32_t xl = ph_xlate_find_local(eng->xlates, nat_id, lif, gif, laddr,
					  lport, proto);
	const struct ph_xlate *x;
	uint32_t to;

	if (xl == PH_IDX_NONE)
		return xl;
	x = ph_xlate_at(eng->xlates, xl);
	to = eng->to[x->kind == PH_XK_PAT ? PH_TO_PAT_XLATE : PH_TO_XLATE];
	if (x->refs == 0 && to != 0 && now.ns >= x->idle_since.ns &&
	    now.ns - x->idle_since.ns >= (uint64_t)to * PH_NSEC_PER_SEC) {
		eng_xlate_destroy(eng, xl, now);
		return PH_IDX_NONE;
	}
	return xl;
}

/* Try the globals of nat id on gif: ranges (want_pat false) or PAT. */
static uint32_t
xlate_new(struct ph_engine *eng, ph_ifidx_t lif, ph_ifidx_t gif,
	  uint32_t nat_idx, uint32_t laddr, uint16_t lport, uint8_t proto,
	  bool want_pat, ph_time_t now)
{
	const struct ph_policy *pol = eng->pol;
	uint32_t id = pol->nats[nat_idx].id;
	struct ph_xlate x;

	for (size_t g = 0; g < pol->n_globals; g++) {
		const struct ph_global *gl = &pol->globals[g];
		bool pat = gl->is_iface || gl->lo == gl->hi;
		uint32_t xl;

		if (gl->ifidx != gif || gl->id != id || pat != want_pat)
			continue;
		memset(&x, 0, sizeof(x));
		x.lif = lif;
		x.gif = gif;
		x.laddr = laddr;
		x.global_idx = (uint32_t)g;
		x.nat_idx = nat_idx;
		x.nat_id = id;
		if (!pat) {
			x.kind = PH_XK_NAT;
			if (ph_natpools_addr_get(eng->pools, (uint32_t)g,
						 &eng->rng, &x.gaddr) != 0)
				continue;
		} else {
			x.kind = PH_XK_PAT;
			x.proto = proto;
			x.lport = lport;
			x.gaddr = gl->is_iface ? pol->ifaces[gif].addr : gl->lo;
			if ((gl->is_iface && !pol->ifaces[gif].has_addr) ||
			    ph_natpools_port_get(eng->pools, x.gaddr, proto,
						 lport, &eng->rng,
						 &x.gport) != 0)
				continue;
		}
		xl = ph_xlate_add(eng->xlates, &x, now);
		if (xl == PH_IDX_NONE) {
			ph_natpools_put(eng->pools, &x);
			return PH_IDX_NONE; /* table full */
		}
		eng->ctr.xlates_built++;
		eng_ev_xlate(eng, xl, true, now);
		return xl;
	}
	return PH_IDX_NONE;
}

/* Is there a PAT global (one address or `interface`) of id on gif? */
static bool
has_pat_global(const struct ph_policy *pol, ph_ifidx_t gif, uint32_t id)
{
	for (size_t g = 0; g < pol->n_globals; g++) {
		const struct ph_global *gl = &pol->globals[g];

		if (gl->ifidx == gif && gl->id == id &&
		    (gl->is_iface || gl->lo == gl->hi))
			return true;
	}
	return false;
}

unsigned
eng_xlate_get(struct ph_engine *eng, ph_ifidx_t lif, ph_ifidx_t gif,
	      uint32_t nat_idx, uint32_t laddr, uint16_t lport, uint8_t proto,
	      ph_time_t now, uint32_t *xl, uint8_t *fail_kind)
{
	uint16_t pport = ph_pat_has_ports(proto) ? lport : 0;
	uint32_t id = eng->pol->nats[nat_idx].id;

	/* the host's address xlate, then this port's PAT xlate */
	*xl = xlate_reuse(eng, id, lif, gif, laddr, 0, 0, now);
	if (*xl == PH_IDX_NONE)
		*xl = xlate_reuse(eng, id, lif, gif, laddr, pport, proto, now);
	if (*xl == PH_IDX_NONE)
		*xl = xlate_new(eng, lif, gif, nat_idx, laddr, 0, 0, false,
				now);
	if (*xl == PH_IDX_NONE)
		*xl = xlate_new(eng, lif, gif, nat_idx, laddr, pport, proto,
				true, now);
	if (*xl != PH_IDX_NONE)
		return PH_R_NONE;
	/* PIX: "portmap" when the PAT global failed, "regular" when only
	 * an address pool (or nothing) was there to try */
	*fail_kind = has_pat_global(eng->pol, gif, id) ? PH_EV_XK_PORTMAP
						       : PH_EV_XK_DYNAMIC;
	return PH_R_XLATE_FAIL;
}

unsigned
eng_td_of_class(unsigned c)
{
	switch (c) {
	case PH_TC_EMBRYONIC:
		return PH_TD_SYN_TIMEOUT;
	case PH_TC_HALF_CLOSED:
		return PH_TD_FIN_TIMEOUT;
	default:
		return PH_TD_CONN_TIMEOUT;
	}
}

/*
 * Expire class c's connections, walking its lazy list (conn.h): up to
 * budget teardowns, stepping over up to *scan active entries.  The next
 * entry is noted before a teardown; if an inspector's teardown hook took
 * it too, the walk starts again from the head.
 */
static unsigned
expire_class(struct ph_engine *eng, unsigned c, ph_time_t now, unsigned budget,
	     unsigned *scan)
{
	struct ph_conntab *t = eng->conns;
	uint32_t to = eng_class_timeout(eng, c), idx, from = PH_IDX_NONE;
	unsigned n = 0;

	while (n < budget &&
	       (idx = ph_conn_expired_from(t, c, to, now, from, scan)) !=
		       PH_IDX_NONE) {
		uint32_t next = ph_conn_at(t, idx)->lru.next;

		ph_eng_conn_destroy(eng, idx, eng_td_of_class(c), now);
		n++;
		if (next == PH_IDX_NONE)
			break;
		from = ph_conn_live(t, next) && ph_conn_at(t, next)->tclass == c
			       ? next
			       : PH_IDX_NONE;
	}
	return n;
}

unsigned
eng_expire(struct ph_engine *eng, ph_time_t now, unsigned budget)
{
	/* active entries the lazy lists may step over, all classes */
	unsigned n = 0, k, scan = 4 * budget;

	for (k = 0; k < PH_TC_MAX && n < budget; k++)
		n += expire_class(eng, (eng->tick_next + k) % PH_TC_MAX, now,
				  budget - n, &scan);
	eng->tick_next = (eng->tick_next + 1) % PH_TC_MAX;
	for (k = 0; k < PH_XC_MAX && n < budget; k++) {
		uint32_t to = eng->to[k == PH_XC_PAT ? PH_TO_PAT_XLATE
						     : PH_TO_XLATE],
			 idx;

		while (n < budget &&
		       (idx = ph_xlate_expired(eng->xlates, k, to, now)) !=
			       PH_IDX_NONE) {
			eng_xlate_destroy(eng, idx, now);
			n++;
		}
	}
	return n;
}
