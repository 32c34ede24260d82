/*
 * core/engine.c - ph_engine_process(): one packet's path.
 *
 *   1. parse (core/pkt.c); malformed -> drop, counted per reason, 901001
 *      rate-limited;
 *   2. later fragments -> the fragment table (fragtab.h);
 *   3. find the connection: the packet's own tuple (GRE: exact call ID,
 *      then any key), or for an ICMP error the tuple it quotes; an entry
 *      found idle past its timeout is torn down first (expiry does not
 *      depend on ph_engine_tick() having run);
 *   4. a connection -> eng_conn_packet(): TCP state, inspection, rewrite;
 *      none -> eng_new_flow() (engine_flow.c): PIX policy.
 * Every path ends in eng_accept() or eng_drop(), which keep the counters
 * adding up (engine.h).  See docs/engine.md for the semantics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/acl.h"
#include "core/conn_tcp.h"
#include "core/engine_int.h"
#include "core/rewrite.h"
#include "log/ratelimit.h"

static struct ph_hash_key
subkey(const struct ph_engine_opts *o, uint64_t salt)
{
	struct ph_hash_key k = { o->seed[0] ^ salt,
				 o->seed[1] ^ (salt * 0x9e3779b97f4a7c15ULL) };
	return k;
}

static int
engine_tables(struct ph_engine *eng)
{
	const struct ph_engine_opts *o = &eng->opts;
	struct ph_hash_key kc = subkey(o, 0x636f6e6e), kx = subkey(o, 0x786c74),
			   kf = subkey(o, 0x66726167);
	struct ph_ratelimit_opts rlo = { .interval_ns = PH_NSEC_PER_SEC,
					 .burst = 1,
					 .max_keys = 256,
					 .seed = o->seed[0] ^ o->seed[1] };

	eng->conns = ph_conntab_new(o->max_conns, &kc);
	eng->xlates = ph_xlatetab_new(o->max_xlates, &kx);
	eng->frags = ph_fragtab_new(o->max_frags, &kf);
	eng->pools = ph_natpools_new();
	eng->acllog = eng_acllog_new(o->seed[1]);
	eng->rl = ph_ratelimit_new(&rlo);
	eng->ev_counts = calloc(ph_event_def_count() + 1, sizeof(uint64_t));
	if (eng->conns == NULL || eng->xlates == NULL || eng->frags == NULL ||
	    eng->pools == NULL || eng->acllog == NULL || eng->rl == NULL ||
	    eng->ev_counts == NULL)
		return -ENOMEM;
	return 0;
}

static int
engine_inspectors(struct ph_engine *eng)
{
	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++) {
		const struct ph_inspect_ops *ops = ph_inspectors[i];

		if (ops->engine_init != NULL &&
		    ops->engine_init(eng, &eng->insp_priv[i]) != 0)
			return -ENOMEM;
	}
	return 0;
}

struct ph_engine *
ph_engine_new(const struct ph_engine_opts *opts)
{
	struct ph_engine *eng;
	int rc;

	if (opts == NULL) {
		errno = EINVAL;
		return NULL;
	}
	eng = calloc(1, sizeof(*eng));
	if (eng == NULL)
		return NULL;
	eng->opts = *opts;
	if (eng->opts.max_conns == 0)
		eng->opts.max_conns = PH_ENGINE_DEFAULT_CONNS;
	if (eng->opts.max_xlates == 0)
		eng->opts.max_xlates = PH_ENGINE_DEFAULT_XLATES;
	if (eng->opts.max_frags == 0)
		eng->opts.max_frags = PH_ENGINE_DEFAULT_FRAGS;
	if (eng->opts.tick_budget == 0)
		eng->opts.tick_budget = PH_ENGINE_DEFAULT_TICK_BUDGET;
	if (eng->opts.max_embryonic == 0)
		eng->opts.max_embryonic = (eng->opts.max_conns + 1) / 2;
	if (eng->opts.max_conns > PH_CONN_MAX_LIMIT ||
	    eng->opts.max_xlates > PH_CONN_MAX_LIMIT) {
		free(eng);
		errno = EINVAL;
		return NULL;
	}
	eng->rng = opts->seed[0] ^ (opts->seed[1] << 1) ^ 0x5eed;
	eng->next_conn_id = 1;
	rc = engine_tables(eng);
	if (rc == 0)
		rc = engine_inspectors(eng);
	if (rc != 0) {
		ph_engine_free(eng);
		errno = -rc;
		return NULL;
	}
	return eng;
}

void
ph_engine_free(struct ph_engine *eng)
{
	if (eng == NULL)
		return;
	for (unsigned i = 0; i < PH_HOLD_MAX; i++)
		free(eng->holds[i].data);
	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++)
		if (ph_inspectors[i]->engine_free != NULL)
			ph_inspectors[i]->engine_free(eng, eng->insp_priv[i]);
	ph_conntab_free(eng->conns);
	ph_xlatetab_free(eng->xlates);
	ph_fragtab_free(eng->frags);
	ph_natpools_free(eng->pools);
	eng_acllog_free(eng->acllog);
	ph_ratelimit_free(eng->rl);
	ph_acl_index_free(eng->own_ix);
	free(eng->acl_hits);
	free(eng->conduit_hits);
	free(eng->ev_counts);
	free(eng->st_ctr);
	free(eng->nat_ctr);
	free(eng);
}

int
ph_engine_set_policy(struct ph_engine *eng, const struct ph_policy *pol,
		     ph_time_t now)
{
	if (eng == NULL || pol == NULL)
		return -EINVAL;
	return eng_policy_swap(eng, pol, now);
}

void
eng_drop(struct ph_engine *eng, struct eng_pkt *ep, unsigned reason)
{
	if (reason >= PH_R_MAX || reason == PH_R_NONE)
		reason = PH_R_NONE; /* a bug, but still counted */
	ep->out->verdict = PH_VERDICT_DROP;
	ep->out->reason = (uint16_t)reason;
	ep->out->out_ifidx = PH_IF_NONE;
	eng->ctr.pkts_dropped++;
	eng->ctr.drops[reason]++;
}

void
eng_accept(struct ph_engine *eng, struct eng_pkt *ep, ph_ifidx_t out_if)
{
	ep->out->verdict = PH_VERDICT_ACCEPT;
	ep->out->reason = PH_R_NONE;
	ep->out->out_ifidx = out_if;
	eng->ctr.pkts_accepted++;
	if (out_if == PH_IF_NONE)
		eng->ctr.pkts_to_box++;
	if (ep->out->modified)
		eng->ctr.pkts_rewritten++;
}

void
eng_pkt_key(const struct eng_pkt *ep, struct ph_flow_key *k)
{
	const struct ph_pkt *p = &ep->p;

	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->proto = p->proto;
	k->ifidx = ep->in_if;
	switch (p->proto) {
	case PH_IPPROTO_TCP:
	case PH_IPPROTO_UDP:
		k->sport = p->sport;
		k->dport = p->dport;
		break;
	case PH_IPPROTO_ICMP:
		if (p->icmp.has_id)
			k->sport = k->dport = p->icmp.id;
		break;
	default:
		break;
	}
}

/* Lookup that tears down an entry found idle past its timeout.  A batch
 * (engine_batch.c) has hashed the packet's key ahead: reuse it. */
static uint32_t
lookup_live(struct ph_engine *eng, const struct ph_flow_key *k, int *dir,
	    ph_time_t now)
{
	uint32_t idx =
		eng->hint_ok && memcmp(k, &eng->hint_key, sizeof(*k)) == 0
			? ph_conn_lookup_hashed(eng->conns, k, eng->hint_hash,
						dir)
			: ph_conn_lookup(eng->conns, k, dir);
	struct ph_conn *c;

	if (idx == PH_IDX_NONE)
		return idx;
	c = ph_conn_at(eng->conns, idx);
	if (!ph_conn_is_expired(c, eng_class_timeout(eng, c->tclass), now))
		return idx;
	ph_eng_conn_destroy(eng, idx, eng_td_of_class(c->tclass), now);
	return PH_IDX_NONE;
}

/* The connection an ICMP error is about: its quote reversed is what the
 * connection expects from the error's sender side. */
static uint32_t
lookup_icmp_err(struct ph_engine *eng, struct eng_pkt *ep, int *dir)
{
	const struct ph_pkt_inner *in = &ep->p.inner;
	struct ph_flow_key k;

	memset(&k, 0, sizeof(k));
	k.src = in->dst;
	k.dst = in->src;
	k.proto = in->proto;
	k.ifidx = ep->in_if;
	if (in->has_l4 &&
	    (in->proto == PH_IPPROTO_TCP || in->proto == PH_IPPROTO_UDP)) {
		k.sport = in->dport;
		k.dport = in->sport;
	} else if (in->has_l4 && in->proto == PH_IPPROTO_ICMP &&
		   in->icmp_has_id) {
		k.sport = k.dport = in->icmp_id;
	} else if (in->proto == PH_IPPROTO_TCP || in->proto == PH_IPPROTO_UDP ||
		   (in->proto == PH_IPPROTO_ICMP && in->icmp_has_id)) {
		return PH_IDX_NONE; /* ports needed but not quoted */
	}
	return lookup_live(eng, &k, dir, ep->now);
}

static uint32_t
lookup_flow(struct ph_engine *eng, struct eng_pkt *ep, int *dir)
{
	struct ph_flow_key k;
	uint32_t idx;

	if (ep->p.proto == PH_IPPROTO_ICMP && ep->p.icmp.is_err)
		return lookup_icmp_err(eng, ep, dir);
	eng_pkt_key(ep, &k);
	if (ep->p.proto == PH_IPPROTO_GRE && ep->p.has_l4 &&
	    ep->p.gre.ver == 1 && ep->p.gre.has_key) {
		/* an inspector's call first, then the address-pair flow */
		k.dport = (uint16_t)ep->p.gre.key;
		idx = lookup_live(eng, &k, dir, ep->now);
		if (idx != PH_IDX_NONE)
			return idx;
		k.dport = 0;
	}
	return lookup_live(eng, &k, dir, ep->now);
}

/* Non-first fragment: only if its datagram's first fragment passed. */
static void
later_fragment(struct ph_engine *eng, struct eng_pkt *ep)
{
	struct ph_frag_key fk = { ep->p.src,   ep->p.dst, ep->p.ip_id,
				  ep->p.proto, 0,	  ep->in_if };
	struct ph_frag *f = ph_frag_find(eng->frags, &fk, ep->now);
	const struct ph_conn *c;
	int od;

	if (f == NULL) {
		eng_deny_frag(eng, ep, EF_NO_FIRST);
		return;
	}
	if (ep->p.frag_off < f->min_off) {
		eng_deny_frag(eng, ep, EF_OVERLAP);
		return;
	}
	if (f->conn == PH_IDX_NONE) {
		ph_frag_touch(eng->frags, f, ep->now);
		eng_accept(eng, ep, PH_IF_NONE);
		return;
	}
	if (!ph_conn_live(eng->conns, f->conn) ||
	    ph_conn_at(eng->conns, f->conn)->id != f->conn_id) {
		eng_deny_frag(eng, ep, EF_CONN_GONE);
		return;
	}
	c = ph_conn_at(eng->conns, f->conn);
	od = !f->dir;
	if (ep->p.src != c->k[od].dst)
		ph_rw_ip_src(&ep->p, c->k[od].dst, ep->rwflags);
	if (ep->p.dst != c->k[od].src)
		ph_rw_ip_dst(&ep->p, c->k[od].src, ep->rwflags);
	ep->out->modified = c->k[od].dst != fk.src || c->k[od].src != fk.dst;
	ph_frag_touch(eng->frags, f, ep->now);
	eng_accept(eng, ep, f->out_if);
}

int
ph_engine_process(struct ph_engine *eng, struct ph_pkt_in *pkt, ph_time_t now,
		  struct ph_pkt_out *out)
{
	struct eng_pkt ep;
	unsigned r;
	uint32_t idx;
	int dir = 0;

	if (eng == NULL || pkt == NULL || out == NULL ||
	    (pkt->data == NULL && pkt->len != 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&ep, 0, sizeof(ep));
	ep.out = out;
	ep.now = now;
	ep.in_if = pkt->ifidx;
	ep.rwflags =
		(pkt->flags & PH_PKT_F_CSUM_PARTIAL) ? PH_RW_L4_PARTIAL : 0;
	ep.token = pkt->token;
	eng_hold_reap(eng);
	eng->ctr.pkts_in++;
	eng->ctr.bytes_in += pkt->len;
	if (eng->pol == NULL || pkt->ifidx >= eng->pol->n_ifaces) {
		eng_drop(eng, &ep, PH_R_UNKNOWN_IF);
		return 0;
	}
	r = ph_pkt_parse(&ep.p, pkt->data, pkt->len);
	if (r != PH_R_NONE) {
		eng_drop(eng, &ep, r);
		eng_ev_malformed(eng, pkt, r, now);
		return 0;
	}
	if (ph_pkt_is_later_frag(&ep.p)) {
		later_fragment(eng, &ep);
		return 0;
	}
	idx = lookup_flow(eng, &ep, &dir);
	if (idx != PH_IDX_NONE && dir == 1 && !eng_gre_reply_ok(eng, &ep, idx))
		return 0;
	if (idx != PH_IDX_NONE)
		eng_conn_packet(eng, &ep, idx, dir);
	else
		eng_new_flow(eng, &ep);
	return 0;
}

unsigned
ph_engine_tick(struct ph_engine *eng, ph_time_t now)
{
	unsigned budget, used = 0;

	if (eng == NULL)
		return 0;
	budget = eng->opts.tick_budget;
	eng_hold_reap(eng);
	used += eng_hold_tick(eng, now, budget);
	if (used < budget)
		used += eng_expire(eng, now, budget - used);
	if (used < budget)
		used += ph_frag_expire(eng->frags, now, budget - used);
	if (used < budget)
		used += eng_acllog_tick(eng, now, budget - used);
	for (unsigned i = 0;
	     ph_inspectors[i] != NULL && i < PH_INSPECT_MAX && used < budget;
	     i++)
		if (ph_inspectors[i]->tick != NULL)
			used += ph_inspectors[i]->tick(eng, eng->insp_priv[i],
						       now, budget - used);
	return used;
}

void
ph_engine_counters(const struct ph_engine *eng, struct ph_engine_counters *c)
{
	*c = eng->ctr;
	c->conns_in_use = eng->conns->used;
	c->conns_most_used = eng->conns->most_used;
	c->conns_max = eng->conns->max;
	c->xlates_in_use = eng->xlates->used;
	c->xlates_most_used = eng->xlates->most_used;
	c->xlates_max = eng->xlates->max;
	c->statics = eng->pol != NULL ? (uint32_t)eng->pol->n_statics : 0;
	c->frags_in_use = eng->frags->used;
	c->frags_full = eng->frags->full;
	c->emb_in_use = eng->emb_in_use;
	c->emb_max = eng->opts.max_embryonic;
}

uint64_t
ph_engine_event_count(const struct ph_engine *eng, uint32_t id)
{
	int row = eng_ev_row(id);

	return row < 0 ? 0 : eng->ev_counts[row];
}

size_t
ph_engine_conn_mem(void)
{
	/* the entry and its bucket words: the bucket count is the power of
	 * two at or above 3 x max_conns, so 3 to 6 words; the upper bound */
	return sizeof(struct ph_conn) + 6 * sizeof(uint32_t);
}
