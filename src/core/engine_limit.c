/*
 * core/engine_limit.c - connection limits of static and nat lines (PIX
 * 6.3 `static ... MAX_CONNS EMB_LIMIT`, `nat (if) id ... MAX_CONNS
 * EMB_LIMIT`) and the engine's global embryonic limit.
 *
 * Counted per rule: TCP and UDP connections (PIX: "simultaneous TCP and
 * UDP connections for the entire subnet"), and TCP connections still in
 * their handshake (embryonic: SYN_SENT, SYN_RCVD).  A connection belongs
 * to the static or nat line that translated it: its static, its exemption
 * or identity line, or the nat line of its dynamic xlate.  Globally the
 * engine counts every embryonic TCP connection against
 * opts.max_embryonic.
 *
 * A new connection beyond a limit is refused before anything is built
 * (no xlate, no state): max-conns (201002 TCP / 201004 UDP), embryonic-
 * limit (201003 for a line's limit, 901004 for the global one), each
 * rate-limited to one line a second.  Established connections are never
 * touched.  PIX 6.3 answers SYNs past a static's embryonic limit itself
 * (TCP intercept, SYN cookies since 6.2) and lets the handshake through
 * once the client completes it; pinhole refuses them: a client retries,
 * and the embryonic timeout (default 0:00:30) frees the slots a flood
 * took.  docs/engine.md "Limits and attacks".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/conn_tcp.h"
#include "core/engine_int.h"
#include "log/ratelimit.h"

/* The counters of the rule that translated connection c, or NULL. */
static struct eng_rule_ctr *
slot_of(const struct ph_engine *eng, const struct ph_conn *c)
{
	const struct ph_policy *pol = eng->pol;
	uint32_t i = c->rule_idx;

	switch (c->rule) {
	case PH_RULE_STATIC:
		return i < eng->n_st_ctr ? &eng->st_ctr[i] : NULL;
	case PH_RULE_EXEMPT:
	case PH_RULE_IDENTITY:
		return i < eng->n_nat_ctr ? &eng->nat_ctr[i] : NULL;
	case PH_RULE_XLATE:
		if (c->xl == PH_IDX_NONE || pol == NULL)
			return NULL;
		i = ph_xlate_at(eng->xlates, c->xl)->nat_idx;
		return i < eng->n_nat_ctr ? &eng->nat_ctr[i] : NULL;
	default:
		return NULL;
	}
}

static bool
counted(const struct ph_conn *c)
{
	return c->k[0].proto == PH_IPPROTO_TCP ||
	       c->k[0].proto == PH_IPPROTO_UDP;
}

void
eng_limit_conn_add(struct ph_engine *eng, const struct ph_conn *c)
{
	struct eng_rule_ctr *s = counted(c) ? slot_of(eng, c) : NULL;

	if (s != NULL)
		s->conns++;
}

void
eng_limit_emb_start(struct ph_engine *eng, const struct ph_conn *c)
{
	struct eng_rule_ctr *s = slot_of(eng, c);

	if (s != NULL)
		s->emb++;
	eng->emb_in_use++;
}

void
eng_limit_emb_done(struct ph_engine *eng, const struct ph_conn *c)
{
	struct eng_rule_ctr *s = slot_of(eng, c);

	if (s != NULL && s->emb > 0)
		s->emb--;
	if (eng->emb_in_use > 0)
		eng->emb_in_use--;
}

void
eng_limit_conn_gone(struct ph_engine *eng, const struct ph_conn *c)
{
	struct eng_rule_ctr *s = counted(c) ? slot_of(eng, c) : NULL;

	if (c->k[0].proto == PH_IPPROTO_TCP && ph_tcp_embryonic(c))
		eng_limit_emb_done(eng, c);
	if (s != NULL && s->conns > 0)
		s->conns--;
}

int
eng_limit_prepare(const struct ph_policy *pol, struct eng_limit_arrays *a)
{
	a->st = calloc(pol->n_statics + 1, sizeof(*a->st));
	a->nat = calloc(pol->n_nats + 1, sizeof(*a->nat));
	if (a->st == NULL || a->nat == NULL) {
		free(a->st);
		free(a->nat);
		return -ENOMEM;
	}
	a->n_st = (uint32_t)pol->n_statics;
	a->n_nat = (uint32_t)pol->n_nats;
	return 0;
}

void
eng_limit_install(struct ph_engine *eng, struct eng_limit_arrays *a)
{
	free(eng->st_ctr);
	free(eng->nat_ctr);
	eng->st_ctr = a->st;
	eng->nat_ctr = a->nat;
	eng->n_st_ctr = a->n_st;
	eng->n_nat_ctr = a->n_nat;
	eng->emb_in_use = 0;
	for (uint32_t i = 0; i < eng->conns->fresh; i++) {
		const struct ph_conn *c;

		if (!ph_conn_live(eng->conns, i))
			continue;
		c = ph_conn_at(eng->conns, i);
		eng_limit_conn_add(eng, c);
		if (c->k[0].proto == PH_IPPROTO_TCP && ph_tcp_embryonic(c))
			eng_limit_emb_start(eng, c);
	}
}

/* 201002 / 201004: a line's max_conns. */
static void
ev_max_conns(struct ph_engine *eng, const struct eng_pkt *ep,
	     const struct eng_limit_req *q, uint32_t max, uint32_t emb)
{
	uint32_t id = ep->p.proto == PH_IPPROTO_TCP ? PH_EV_CONN_LIMIT_TCP
						    : PH_EV_CONN_LIMIT_UDP;
	uint32_t skipped = 0;
	struct ph_event ev;

	if (!ph_ratelimit_allow(eng->rl, id, 0, ep->now, &skipped))
		return;
	ph_event_init(&ev, id, ep->now);
	ev.proto = ep->p.proto;
	ev.text = q->is_static ? "static" : "xlate";
	ev.ep[1].ip = q->in_ip;
	ev.ep[1].mip = q->gaddr;
	ev.most_used = emb;
	ev.limit = max;
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

/* 201003: a line's embryonic limit. */
static void
ev_emb(struct ph_engine *eng, const struct eng_pkt *ep,
       const struct eng_limit_req *q, uint32_t in_use, uint32_t limit)
{
	uint32_t skipped = 0;
	struct ph_event ev;

	if (!ph_ratelimit_allow(eng->rl, PH_EV_EMB_LIMIT, 0, ep->now, &skipped))
		return;
	ph_event_init(&ev, PH_EV_EMB_LIMIT, ep->now);
	ev.proto = PH_IPPROTO_TCP;
	ev.ep[0].ifname = eng_ifname(eng, ep->in_if);
	ev.ep[0].ip = ev.ep[0].mip = q->out_ip;
	ev.ep[0].port = ev.ep[0].mport = q->out_port;
	ev.ep[1].ip = q->in_ip;
	ev.ep[1].port = ev.ep[1].mport = q->in_port;
	ev.ep[1].mip = q->gaddr;
	ev.in_use = in_use;
	ev.limit = limit;
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

/* 901004: the engine's embryonic limit. */
static void
ev_emb_global(struct ph_engine *eng, const struct eng_pkt *ep,
	      ph_ifidx_t out_if)
{
	uint32_t skipped = 0;
	struct ph_event ev;

	if (!ph_ratelimit_allow(eng->rl, PH_EV_EMB_TABLE_FULL, 0, ep->now,
				&skipped))
		return;
	eng_ev_pkt(eng, ep, PH_EV_EMB_TABLE_FULL, out_if, &ev);
	ev.limit = eng->opts.max_embryonic;
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

bool
eng_limit_admit(struct ph_engine *eng, struct eng_pkt *ep,
		const struct eng_limit_req *q, ph_ifidx_t out_if)
{
	const struct ph_policy *pol = eng->pol;
	const struct eng_rule_ctr *s = NULL;
	uint32_t max = 0, emb = 0;
	bool tcp = ep->p.proto == PH_IPPROTO_TCP;

	if (!tcp && ep->p.proto != PH_IPPROTO_UDP)
		return true;
	if (q->is_static && q->idx < eng->n_st_ctr) {
		s = &eng->st_ctr[q->idx];
		max = pol->statics[q->idx].max_conns;
		emb = pol->statics[q->idx].emb_limit;
	} else if (!q->is_static && q->idx < eng->n_nat_ctr) {
		s = &eng->nat_ctr[q->idx];
		max = pol->nats[q->idx].max_conns;
		emb = pol->nats[q->idx].emb_limit;
	}
	if (s != NULL && max != 0 && s->conns >= max) {
		ev_max_conns(eng, ep, q, max, emb);
		eng_drop(eng, ep, PH_R_MAX_CONNS);
		return false;
	}
	if (tcp && s != NULL && emb != 0 && s->emb >= emb) {
		ev_emb(eng, ep, q, s->emb, emb);
		eng_drop(eng, ep, PH_R_EMB_LIMIT);
		return false;
	}
	if (tcp && eng->emb_in_use >= eng->opts.max_embryonic) {
		ev_emb_global(eng, ep, out_if);
		eng_drop(eng, ep, PH_R_EMB_LIMIT);
		return false;
	}
	return true;
}
