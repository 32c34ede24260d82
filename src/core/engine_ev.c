/*
 * core/engine_ev.c - filling struct ph_event for the engine's messages
 * (pinhole/event.h says which endpoint is which), counting them, and the
 * rate limits of 901001 (malformed, per reason) and 901002 (table full).
 */
#include <stdio.h>
#include <string.h>

#include "core/engine_int.h"
#include "log/ratelimit.h"

int
eng_ev_row(uint32_t id)
{
	const struct ph_event_def *d = ph_event_def(id);

	return d == NULL ? -1 : (int)(d - ph_event_def_at(0));
}

void
eng_emit(struct ph_engine *eng, struct ph_event *ev)
{
	int row = eng_ev_row(ev->id);

	if (row >= 0)
		eng->ev_counts[row]++;
	eng->ctr.events++;
	if (eng->opts.emit != NULL)
		eng->opts.emit(eng->opts.emit_arg, ev);
}

const char *
eng_ifname(const struct ph_engine *eng, ph_ifidx_t ifidx)
{
	if (eng->pol == NULL || ifidx >= eng->pol->n_ifaces)
		return "?";
	return eng->pol->ifaces[ifidx].name;
}

void
eng_ev_pkt(struct ph_engine *eng, const struct eng_pkt *ep, uint32_t id,
	   ph_ifidx_t if1, struct ph_event *ev)
{
	const struct ph_pkt *p = &ep->p;

	ph_event_init(ev, id, ep->now);
	ev->proto = p->proto;
	ev->ep[0].ifname = eng_ifname(eng, ep->in_if);
	ev->ep[0].ip = ev->ep[0].mip = p->src;
	ev->ep[1].ifname = eng_ifname(eng, if1 == PH_IF_NONE ? ep->in_if : if1);
	ev->ep[1].ip = ev->ep[1].mip = p->dst;
	if (p->proto == PH_IPPROTO_TCP || p->proto == PH_IPPROTO_UDP) {
		ev->ep[0].port = ev->ep[0].mport = p->sport;
		ev->ep[1].port = ev->ep[1].mport = p->dport;
	}
	if (p->proto == PH_IPPROTO_TCP)
		ev->tcp_flags = p->tcp.flags;
	if (p->proto == PH_IPPROTO_ICMP && p->has_l4) {
		ev->icmp_type = p->icmp.type;
		ev->icmp_code = p->icmp.code;
	}
}

/* Which key's packets come from the outside (lower-security) host. */
static inline int
outside_dir(const struct ph_conn *c)
{
	return (c->flags & PH_CF_INBOUND) ? PH_DIR_ORIG : PH_DIR_REPLY;
}

static uint32_t
conn_event_id(uint8_t proto, bool built)
{
	switch (proto) {
	case PH_IPPROTO_TCP:
		return built ? PH_EV_TCP_BUILT : PH_EV_TCP_TEARDOWN;
	case PH_IPPROTO_UDP:
		return built ? PH_EV_UDP_BUILT : PH_EV_UDP_TEARDOWN;
	case PH_IPPROTO_ICMP:
		return built ? PH_EV_ICMP_BUILT : PH_EV_ICMP_TEARDOWN;
	case PH_IPPROTO_GRE:
		return built ? PH_EV_GRE_BUILT : PH_EV_GRE_TEARDOWN;
	default:
		return 0; /* PIX has no conn message for other protocols */
	}
}

void
eng_ev_conn_fill(struct ph_engine *eng, uint32_t idx, uint32_t id,
		 ph_time_t now, struct ph_event *ev)
{
	const struct ph_conn *c = ph_conn_at(eng->conns, idx);
	int so = outside_dir(c), si = !so;

	ph_event_init(ev, id, now);
	ev->conn_id = c->id;
	ev->proto = c->k[0].proto;
	ev->inbound = (c->flags & PH_CF_INBOUND) != 0;
	ev->ep[0].ifname = eng_ifname(eng, c->k[so].ifidx);
	ev->ep[0].ip = c->k[so].src;
	ev->ep[0].port = c->k[so].sport;
	ev->ep[0].mip = c->k[si].dst;
	ev->ep[0].mport = c->k[si].dport;
	ev->ep[1].ifname = eng_ifname(eng, c->k[si].ifidx);
	ev->ep[1].ip = c->k[si].src;
	ev->ep[1].port = c->k[si].sport;
	ev->ep[1].mip = c->k[so].dst;
	ev->ep[1].mport = c->k[so].dport;
}

void
eng_ev_conn(struct ph_engine *eng, uint32_t idx, bool built, unsigned td,
	    ph_time_t now)
{
	const struct ph_conn *c = ph_conn_at(eng->conns, idx);
	uint32_t id = conn_event_id(c->k[0].proto, built);
	int so = outside_dir(c), si = !so;
	struct ph_event ev;

	if (id == 0)
		return;
	eng_ev_conn_fill(eng, idx, id, now, &ev);
	if (c->k[0].proto == PH_IPPROTO_ICMP)
		ev.icmp_seq = c->icmp_seq;
	if (c->k[0].proto == PH_IPPROTO_GRE) {
		/* the inside peer's call id, real and translated */
		ev.gre_cid = c->k[si].sport;
		ev.gre_mcid = c->k[so].dport;
	}
	ev.bytes = c->bytes[0] + c->bytes[1];
	ev.duration_sec = ph_time_sec_between(c->start, now);
	ev.reason = ph_teardown_text(td);
	eng_emit(eng, &ev);
}

void
eng_ev_xlate(struct ph_engine *eng, uint32_t idx, bool built, ph_time_t now)
{
	const struct ph_xlate *x = ph_xlate_at(eng->xlates, idx);
	/* port-less PAT (GRE: one host per address) reads as an address
	 * xlate: 305011 only knows TCP, UDP and ICMP */
	bool pat = x->kind == PH_XK_PAT && ph_pat_has_ports(x->proto);
	struct ph_event ev;

	ph_event_init(&ev,
		      pat ? (built ? PH_EV_PAT_BUILT : PH_EV_PAT_TEARDOWN)
			  : (built ? PH_EV_XLATE_BUILT : PH_EV_XLATE_TEARDOWN),
		      now);
	ev.xlate_kind = PH_EV_XK_DYNAMIC;
	ev.proto = pat ? x->proto : 0;
	ev.ep[0].ifname = eng_ifname(eng, x->lif);
	ev.ep[0].ip = ev.ep[0].mip = x->laddr;
	ev.ep[0].port = ev.ep[0].mport = x->lport;
	ev.ep[1].ifname = eng_ifname(eng, x->gif);
	ev.ep[1].ip = ev.ep[1].mip = x->gaddr;
	ev.ep[1].port = ev.ep[1].mport = x->gport;
	ev.duration_sec = ph_time_sec_between(x->start, now);
	eng_emit(eng, &ev);
}

void
eng_ev_malformed(struct ph_engine *eng, const struct ph_pkt_in *in,
		 unsigned reason, ph_time_t now)
{
	uint32_t skipped = 0;
	struct ph_event ev;

	if (!ph_ratelimit_allow(eng->rl, PH_EV_MALFORMED, reason, now,
				&skipped))
		return;
	ph_event_init(&ev, PH_EV_MALFORMED, now);
	ev.ep[0].ifname = eng_ifname(eng, in->ifidx);
	ev.text = ph_reason_name(reason);
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

void
eng_ev_table_full(struct ph_engine *eng, const struct eng_pkt *ep,
		  ph_ifidx_t out_if)
{
	uint32_t skipped = 0;
	struct ph_event ev;

	if (!ph_ratelimit_allow(eng->rl, PH_EV_CONN_TABLE_FULL, 0, ep->now,
				&skipped))
		return;
	eng_ev_pkt(eng, ep, PH_EV_CONN_TABLE_FULL, out_if, &ev);
	ev.limit = eng->conns->max;
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

/* Rate-limited deny event `id` for ep, reason r: false when held back. */
static bool
deny_event(struct ph_engine *eng, const struct eng_pkt *ep, uint32_t id,
	   unsigned r, struct ph_event *ev)
{
	uint32_t skipped = 0;

	if (!ph_ratelimit_allow(eng->rl, id, r, ep->now, &skipped))
		return false;
	eng_ev_pkt(eng, ep, id, PH_IF_NONE, ev);
	ev->suppressed = skipped;
	return true;
}

/* The words of 901005/901006 for a reason. */
static const char *
deny_text(unsigned r)
{
	switch (r) {
	case PH_R_TCP_BAD_FLAGS:
		return "invalid flags";
	case PH_R_TCP_WINDOW:
		return "out of window";
	case PH_R_TCP_BAD_RST:
		return "RST out of window";
	default:
		return ph_reason_text(r);
	}
}

void
eng_deny_tcp(struct ph_engine *eng, struct eng_pkt *ep, unsigned r)
{
	struct ph_event ev;

	eng_drop(eng, ep, r);
	if (!deny_event(eng, ep, PH_EV_TCP_DENIED, r, &ev))
		return;
	ev.text = deny_text(r);
	eng_emit(eng, &ev);
}

void
eng_deny_pkt(struct ph_engine *eng, struct eng_pkt *ep, unsigned r,
	     const char *text)
{
	struct ph_event ev;

	eng_drop(eng, ep, r);
	if (!deny_event(eng, ep, PH_EV_PKT_DENIED, r, &ev))
		return;
	ev.text = text != NULL ? text : deny_text(r);
	eng_emit(eng, &ev);
}

/* A rate-limited deny logged with catalog event `id` (e.g. 106010). */
void
eng_deny_pkt_as(struct ph_engine *eng, struct eng_pkt *ep, unsigned r,
		uint32_t id)
{
	struct ph_event ev;

	eng_drop(eng, ep, r);
	if (!deny_event(eng, ep, id, r, &ev))
		return;
	eng_emit(eng, &ev);
}

static const char *const frag_why[EF_MAX] = {
	[EF_NO_FIRST] = "no admitted first fragment",
	[EF_OVERLAP] = "overlaps the inspected header",
	[EF_CONN_GONE] = "its connection is gone",
	[EF_INSPECTED] = "fragment of an inspected connection",
};

void
eng_deny_frag(struct ph_engine *eng, struct eng_pkt *ep, unsigned why)
{
	struct ph_event ev;
	char text[96];

	eng_drop(eng, ep, PH_R_FRAG);
	if (why >= EF_MAX || frag_why[why] == NULL ||
	    !deny_event(eng, ep, PH_EV_FRAG_DENIED, why, &ev))
		return;
	snprintf(text, sizeof(text), "id %u offset %u: %s", ep->p.ip_id,
		 ep->p.frag_off, frag_why[why]);
	ev.text = text;
	eng_emit(eng, &ev);
}
