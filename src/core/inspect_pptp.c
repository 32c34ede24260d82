/*
 * core/inspect_pptp.c - the PPTP inspector's glue to the engine
 * (`fixup protocol pptp`, reference s3.7; docs/pptp.md s7).
 *
 * The control connection (TCP to a `fixup protocol pptp` port) is fed to
 * the stream inspector of pptp_stream.c, which rewrites call IDs in place;
 * this file turns its results into engine actions:
 *  - edits -> incremental TCP checksum updates (core/rewrite.h), or a full
 *    recompute past PH_PPTP_MAX_EDITS;
 *  - HOLD / RELEASE / DISCARD -> the engine's held packets (engine_hold.c);
 *  - close -> the connection is torn down after the segment ("Flow closed
 *    by inspection"), with 902002;
 *  - call_up / call_down -> GRE flows keyed by call ID (302017/302018).
 * Call IDs of an inside host behind PAT are translated, from one
 * random-start allocator per (PAT address, server), so any number of
 * clients behind one address can call the same server with the same IDs.
 * Behind a 1:1 translation (static, address xlate, exemption) IDs are left
 * as they are and only the GRE flows are opened.
 *
 * A GRE flow of a call: the inside key (inside host -> server, sport = the
 * inside host's call ID, dport = the server's, which its GRE carries) and
 * the outside key (server -> mapped address, sport = the server's ID,
 * dport = the translated ID the server's GRE carries); the engine's
 * rewrite turns one into the other (conn.h).  It shares the control
 * connection's translation and ends with its call.
 *
 * GRE that matches no flow is checked against an index of the calls and
 * control connections (pptp_gidx.h): a live call's ID from the wrong
 * source, or GRE between inspected peers for no call, is refused.
 *
 * Known limits: GRE flows are not limited per call beyond max_calls; a
 * call whose GRE flow cannot be made (table full) is counted and carries
 * no GRE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "core/csum.h"
#include "core/cursor.h"
#include "core/engine_int.h"
#include "core/idalloc.h"
#include "core/pptp_gidx.h"
#include "core/pptp_stream.h"
#include "core/pptp_vis.h"
#include "core/rewrite.h"
#include "log/ratelimit.h"

/* Translated call IDs: one allocator per (PAT address, server). */
struct callmap {
	uint32_t gaddr, server;
	struct ph_idalloc *ids;
	uint32_t refs;
};

struct pptp_conn {
	struct pptp_eng *pe;
	struct ph_pptp_stream *s;
	uint32_t idx;  /* the control connection */
	int32_t map;   /* pe->maps index, -1: identity */
	ph_time_t now; /* of the segment being fed */
	bool in_gidx;  /* its peers are in pe->gidx (PH_GIDX_CTL) */
};

/* ph_conn.insp of a call's GRE flow (not a slot: no stream) */
#define GRE_FLOW 0xffffffffu

struct pptp_eng {
	struct ph_engine *eng;
	struct pptp_conn **slots; /* handle = index (ph_conn.insp) */
	uint32_t n_slots;
	struct callmap *maps;
	uint32_t n_maps;
	bool closing;	      /* engine going away: no callbacks */
	uint64_t gre_fail;    /* calls whose GRE flow could not be made */
	struct ph_gidx *gidx; /* calls and peers, for stray GRE */
	uint64_t gidx_fail;   /* index entries not made (ENOMEM) */
	uint8_t self_id;      /* our inspector number + 1 (ph_conn.insp_id) */
	/* show and debug (pptp_vis.c) */
	struct ph_pptp_vis vis;
};

/* The side (PH_DIR_*) whose packets come from the inside host. */
static int
inside_dir(const struct ph_conn *c)
{
	return (c->flags & PH_CF_INBOUND) ? PH_DIR_REPLY : PH_DIR_ORIG;
}

static struct ph_conn *
ctl_conn(const struct pptp_conn *pc)
{
	return ph_conn_at(pc->pe->eng->conns, pc->idx);
}

/* The two GRE keys of a call, placed as the control connection's. */
static void
gre_keys(const struct ph_conn *cc, const struct ph_pptp_call *call,
	 struct ph_flow_key k[2])
{
	int si = inside_dir(cc), so = !si;

	memset(k, 0, 2 * sizeof(*k));
	k[si].src = cc->k[si].src;
	k[si].dst = cc->k[si].dst;
	k[si].sport = call->in_id;
	k[si].dport = call->out_id;
	k[si].ifidx = cc->k[si].ifidx;
	k[so].src = cc->k[so].src;
	k[so].dst = cc->k[so].dst;
	k[so].sport = call->out_id;
	k[so].dport = call->xl_id;
	k[so].ifidx = cc->k[so].ifidx;
	k[0].proto = k[1].proto = PH_IPPROTO_GRE;
}

static int
op_alloc(void *arg, uint16_t *x)
{
	struct pptp_conn *pc = arg;
	struct callmap *m = &pc->pe->maps[pc->map];

	return ph_idalloc_get(m->ids, &pc->pe->eng->rng, x);
}

static void
op_free(void *arg, uint16_t x)
{
	struct pptp_conn *pc = arg;

	if (!pc->pe->closing)
		(void)ph_idalloc_put(pc->pe->maps[pc->map].ids, x);
}

/* Enter or remove both keys of connection c as `kind` in the index:
 * CALL (dst, call ID the GRE carries, ifidx), CTL (src, dst, ifidx). */
static void
gidx_conn(struct pptp_eng *pe, const struct ph_conn *c, uint8_t kind, bool add)
{
	for (int d = 0; d < 2; d++) {
		struct ph_gidx_key k = { .kind = kind, .d = c->k[d].ifidx };

		if (kind == PH_GIDX_CALL) {
			k.a = c->k[d].dst;
			k.c = c->k[d].dport;
		} else {
			k.a = c->k[d].src;
			k.b = c->k[d].dst;
		}
		if (!add)
			ph_gidx_del(pe->gidx, &k);
		else if (ph_gidx_add(pe->gidx, &k) != 0)
			pe->gidx_fail++;
	}
}

static void
op_call_up(void *arg, const struct ph_pptp_call *call)
{
	struct pptp_conn *pc = arg;
	struct ph_engine *eng = pc->pe->eng;
	struct ph_conn *cc = ctl_conn(pc), *gc;
	struct ph_flow_key k[2];
	uint32_t g;

	gre_keys(cc, call, k);
	if (ph_eng_conn_add(eng, k, PH_TC_GRE, cc->flags & PH_CF_INBOUND,
			    cc->rule, cc->rule_idx, cc->xl, pc->now,
			    &g) != PH_R_NONE) {
		pc->pe->gre_fail++;
		return;
	}
	/* ours, so its end reaches pptp_conn_destroy() and the index */
	gc = ph_conn_at(eng->conns, g);
	gc->insp_id = pc->pe->self_id;
	gc->insp = GRE_FLOW;
	gidx_conn(pc->pe, gc, PH_GIDX_CALL, true);
	ph_eng_conn_built_event(eng, g, pc->now);
}

static void
op_call_down(void *arg, const struct ph_pptp_call *call, enum ph_pptp_end why)
{
	struct pptp_conn *pc = arg;
	struct ph_engine *eng = pc->pe->eng;
	struct ph_flow_key k[2];
	uint32_t g;
	int dir;

	(void)why;
	if (pc->pe->closing || !(call->flags & PH_PPTP_CALL_HAVE_OUT))
		return;
	gre_keys(ctl_conn(pc), call, k);
	g = ph_conn_lookup(eng->conns, &k[0], &dir);
	if (g != PH_IDX_NONE && dir == PH_DIR_ORIG &&
	    !(ph_conn_at(eng->conns, g)->flags & PH_CF_ANYKEY))
		ph_eng_conn_destroy(eng, g, PH_TD_NONE, pc->now);
}

/* `debug pptp` (pptp_vis.c): only a pointer test while it is off. */
static void
op_msg(void *arg, int dir, const uint8_t *msg, size_t len)
{
	struct pptp_conn *pc = arg;

	if (pc->pe->vis.dbg != NULL)
		ph_pptp_vis_msg(&pc->pe->vis, pc->pe->eng, pc->idx, pc->s, dir,
				msg, len);
}

static const struct ph_pptp_ops ops_pat = {
	.alloc_id = op_alloc,
	.free_id = op_free,
	.call_up = op_call_up,
	.call_down = op_call_down,
	.msg = op_msg,
};

static const struct ph_pptp_ops ops_identity = {
	.call_up = op_call_up,
	.call_down = op_call_down,
	.msg = op_msg,
};

static int
map_get(struct pptp_eng *pe, uint32_t gaddr, uint32_t server)
{
	struct callmap *nm;
	uint32_t i, fresh = pe->n_maps;

	for (i = 0; i < pe->n_maps; i++) {
		if (pe->maps[i].ids == NULL && fresh == pe->n_maps)
			fresh = i;
		if (pe->maps[i].ids != NULL && pe->maps[i].gaddr == gaddr &&
		    pe->maps[i].server == server) {
			pe->maps[i].refs++;
			return (int)i;
		}
	}
	if (fresh == pe->n_maps) {
		nm = realloc(pe->maps, (pe->n_maps + 1) * sizeof(*nm));
		if (nm == NULL)
			return -1;
		pe->maps = nm;
		memset(&pe->maps[pe->n_maps++], 0, sizeof(*nm));
	}
	pe->maps[fresh].ids = ph_idalloc_new(1, 65535);
	if (pe->maps[fresh].ids == NULL)
		return -1;
	pe->maps[fresh].gaddr = gaddr;
	pe->maps[fresh].server = server;
	pe->maps[fresh].refs = 1;
	return (int)fresh;
}

static void
map_put(struct pptp_eng *pe, int32_t m)
{
	if (m < 0 || (uint32_t)m >= pe->n_maps || --pe->maps[m].refs > 0)
		return;
	ph_idalloc_free(pe->maps[m].ids);
	pe->maps[m].ids = NULL;
}

static int
pptp_engine_init(struct ph_engine *eng, void **priv)
{
	struct pptp_eng *pe = calloc(1, sizeof(*pe));

	if (pe == NULL)
		return -ENOMEM;
	struct ph_hash_key hk = { eng->opts.seed[0] ^ 0x677265,
				  eng->opts.seed[1] ^ 0x67696478 };

	pe->eng = eng;
	pe->gidx = ph_gidx_new(&hk);
	if (pe->gidx == NULL) {
		free(pe);
		return -ENOMEM;
	}
	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++)
		if (ph_inspectors[i] == &ph_inspect_pptp)
			pe->self_id = (uint8_t)(i + 1);
	*priv = pe;
	return 0;
}

static void
pptp_engine_free(struct ph_engine *eng, void *priv)
{
	struct pptp_eng *pe = priv;

	(void)eng;
	if (pe == NULL)
		return;
	pe->closing = true;
	for (uint32_t i = 0; i < pe->n_slots; i++) {
		if (pe->slots[i] == NULL)
			continue;
		ph_pptp_stream_free(pe->slots[i]->s);
		free(pe->slots[i]);
	}
	for (uint32_t i = 0; i < pe->n_maps; i++)
		ph_idalloc_free(pe->maps[i].ids);
	free(pe->slots);
	free(pe->maps);
	ph_gidx_free(pe->gidx);
	free(pe);
}

static bool
pptp_match(const struct ph_policy *pol, const struct ph_conn *c)
{
	if (!pol->inspect.pptp || c->k[0].proto != PH_IPPROTO_TCP)
		return false;
	for (unsigned i = 0; i < pol->inspect.n_pptp_ports; i++)
		if (pol->inspect.pptp_ports[i] == c->k[0].dport)
			return true;
	return false;
}

static int
slot_new(struct pptp_eng *pe, struct pptp_conn *pc, uint32_t *slot)
{
	struct pptp_conn **ns;
	uint32_t n;

	for (uint32_t i = 0; i < pe->n_slots; i++)
		if (pe->slots[i] == NULL) {
			pe->slots[i] = pc;
			*slot = i;
			return 0;
		}
	n = pe->n_slots ? 2 * pe->n_slots : 16;
	ns = realloc(pe->slots, n * sizeof(*ns));
	if (ns == NULL)
		return -ENOMEM;
	memset(ns + pe->n_slots, 0, (n - pe->n_slots) * sizeof(*ns));
	pe->slots = ns;
	*slot = pe->n_slots;
	pe->n_slots = n;
	pe->slots[*slot] = pc;
	return 0;
}

/* Is the inside host of c behind PAT (its call IDs must be translated)? */
static bool
behind_pat(const struct ph_engine *eng, const struct ph_conn *c)
{
	return c->rule == PH_RULE_XLATE && c->xl != PH_IDX_NONE &&
	       ph_xlate_at(eng->xlates, c->xl)->kind == PH_XK_PAT;
}

static int
pptp_conn_init(struct ph_engine *eng, void *priv, uint32_t idx, ph_time_t now)
{
	struct pptp_eng *pe = priv;
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	int so = !inside_dir(c);
	struct pptp_conn *pc = calloc(1, sizeof(*pc));
	uint32_t slot;

	(void)now;
	if (pc == NULL)
		return -ENOMEM;
	pc->pe = pe;
	pc->idx = idx;
	pc->map = -1;
	if (behind_pat(eng, c)) {
		pc->map = map_get(pe, c->k[so].dst, c->k[so].src);
		if (pc->map < 0)
			goto out_free;
	}
	pc->s = ph_pptp_stream_new(NULL,
				   pc->map >= 0 ? &ops_pat : &ops_identity, pc);
	if (pc->s == NULL || slot_new(pe, pc, &slot) != 0)
		goto out_free;
	c->insp = slot;
	gidx_conn(pe, c, PH_GIDX_CTL, true);
	pc->in_gidx = true;
	return 0;
out_free:
	ph_pptp_stream_free(pc->s);
	map_put(pe, pc->map);
	free(pc);
	return -ENOMEM;
}

static struct pptp_conn *
pc_of(struct pptp_eng *pe, const struct ph_conn *c)
{
	return c->insp < pe->n_slots ? pe->slots[c->insp] : NULL;
}

static void
pptp_conn_destroy(struct ph_engine *eng, void *priv, uint32_t idx,
		  ph_time_t now)
{
	struct pptp_eng *pe = priv;
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	struct pptp_conn *pc = pc_of(pe, c);

	if (c->insp == GRE_FLOW) {
		gidx_conn(pe, c, PH_GIDX_CALL, false);
		return;
	}
	if (pc == NULL)
		return;
	if (pc->in_gidx)
		gidx_conn(pe, c, PH_GIDX_CTL, false);
	pc->now = now;
	ph_pptp_vis_retire(&pe->vis, pc->s);
	ph_pptp_stream_free(pc->s); /* calls end: their GRE flows go */
	map_put(pe, pc->map);
	pe->slots[c->insp] = NULL;
	free(pc);
}

/* The whole TCP checksum, when the stream made more edits than it lists. */
static void
tcp_csum_full(struct ph_pkt *p, unsigned rwflags)
{
	uint8_t *th = p->ip + p->l4_off;
	uint32_t sum;

	if (rwflags & PH_RW_L4_PARTIAL)
		return; /* the kernel sums the payload later */
	th[16] = th[17] = 0;
	sum = ph_csum_pseudo(p->src, p->dst, PH_IPPROTO_TCP, p->l4_len);
	sum = ph_csum_add(sum, th, p->l4_len);
	ph_put_be16(th + 16, (uint16_t)~ph_csum_fold(sum));
}

/* The stream rewrote the payload in place; make the checksum follow. */
static void
apply_edits(struct ph_pkt *p, const struct ph_pptp_result *res,
	    unsigned rwflags)
{
	uint8_t *pl = p->ip + p->payload_off;

	if (res->edits_overflow) {
		tcp_csum_full(p, rwflags);
		return;
	}
	for (unsigned i = 0; i < res->nedits; i++) {
		const struct ph_pptp_edit *e = &res->edits[i];

		memcpy(pl + e->off, e->from, e->len);
		(void)ph_rw_tcp_payload(p, e->off, e->to, e->len, rwflags);
	}
}

static void
held_first(struct ph_engine *eng, uint32_t idx, int dir,
	   const struct ph_pptp_result *res)
{
	if (res->held == PH_PPTP_HELD_RELEASE) {
		for (unsigned i = 0; i < res->nheld_edits; i++) {
			const struct ph_pptp_edit *e = &res->held_edits[i];

			(void)ph_eng_held_patch(eng, idx, dir, e->off, e->from,
						e->to, e->len);
		}
		(void)ph_eng_held_release(eng, idx, dir, PH_VERDICT_ACCEPT, 0);
	} else if (res->held == PH_PPTP_HELD_DISCARD) {
		/* superseded by a retransmission that carries its bytes */
		(void)ph_eng_held_release(eng, idx, dir, PH_VERDICT_DROP,
					  PH_R_PPTP_OOO);
	}
}

/* 902001 / 902002 / 902003 / 902004 for what the stream decided. */
static void
report(struct ph_engine *eng, struct pptp_conn *pc,
       const struct ph_pptp_result *res)
{
	struct ph_event ev;
	uint32_t id = 0, skipped = 0;
	char text[64];

	if (res->uninspected) {
		id = PH_EV_PPTP_STOPPED;
		snprintf(text, sizeof(text), "protocol version 0x%04x",
			 ph_pptp_stream_version(pc->s));
	} else if (res->close) {
		id = PH_EV_PPTP_MALFORMED;
		strlcpy(text, ph_reason_text(res->reason), sizeof(text));
	} else if (res->action == PH_PPTP_DROP &&
		   res->reason == PH_R_PPTP_CALLID_EXHAUSTED) {
		id = PH_EV_PPTP_CALLID_EXHAUSTED;
		text[0] = '\0';
	} else if (res->action == PH_PPTP_DROP &&
		   res->reason == PH_R_PPTP_CALL_LIMIT) {
		id = PH_EV_PPTP_CALL_REFUSED;
		strlcpy(text, ph_reason_text(res->reason), sizeof(text));
	}
	if (id == 0 ||
	    !ph_ratelimit_allow(eng->rl, id, res->reason, pc->now, &skipped))
		return;
	eng_ev_conn_fill(eng, pc->idx, id, pc->now, &ev);
	ev.text = text;
	ev.suppressed = skipped;
	eng_emit(eng, &ev);
}

static int
pptp_payload(struct ph_engine *eng, void *priv, uint32_t idx, int dir,
	     struct ph_pkt *p, unsigned rwflags, ph_time_t now,
	     uint16_t *reason)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	struct pptp_conn *pc = pc_of(priv, c);
	int pdir = dir == inside_dir(c) ? PH_PPTP_DIR_I : PH_PPTP_DIR_O;
	struct ph_pptp_result res;

	if (pc == NULL)
		return PH_INSPECT_PASS;
	pc->now = now;
	if (ph_pptp_stream_feed(pc->s, pdir, p->tcp.seq, p->ip + p->payload_off,
				p->payload_len, &res) != 0) {
		*reason = PH_R_PPTP_MALFORMED;
		return PH_INSPECT_DROP;
	}
	ph_pptp_vis_result(&pc->pe->vis, eng, idx, pdir, p, pc->s, &res);
	held_first(eng, idx, dir, &res);
	report(eng, pc, &res);
	if (res.uninspected && pc->in_gidx) {
		/* not PPTP 1.0: no calls, its peers' GRE is not ours */
		gidx_conn(pc->pe, c, PH_GIDX_CTL, false);
		pc->in_gidx = false;
	}
	if (res.close)
		ph_eng_conn_kill(eng, idx, PH_TD_INSPECTION);
	if (res.action == PH_PPTP_DROP) {
		*reason = res.reason;
		return PH_INSPECT_DROP;
	}
	apply_edits(p, &res, rwflags);
	return res.action == PH_PPTP_HOLD ? PH_INSPECT_HOLD : PH_INSPECT_PASS;
}

static void
pptp_hold_drop(struct ph_engine *eng, void *priv, uint32_t idx, int dir,
	       ph_time_t now)
{
	struct ph_conn *c = ph_conn_at(eng->conns, idx);
	struct pptp_conn *pc = pc_of(priv, c);

	(void)now;
	if (pc != NULL)
		ph_pptp_stream_hold_drop(pc->s, dir == inside_dir(c)
							? PH_PPTP_DIR_I
							: PH_PPTP_DIR_O);
}

/*
 * GRE version 1 that matched no flow (docs/engine.md "Limits and
 * attacks"): a call ID some call expects at this destination, from
 * another source, is gre-wrong-source; GRE between the peers of an
 * inspected control connection that matches none of its calls (closed,
 * never made) is gre-no-call.  Anything else is left to the policy.
 */
static unsigned
pptp_orphan(struct ph_engine *eng, void *priv, const struct ph_pkt *p,
	    uint16_t in_if, char *text, size_t tlen)
{
	struct pptp_eng *pe = priv;
	struct ph_gidx_key k = { .kind = PH_GIDX_CALL, .d = in_if };
	uint16_t cid;

	if (p->proto != PH_IPPROTO_GRE || !p->has_l4 || p->gre.ver != 1 ||
	    !p->gre.has_key || !eng->pol->inspect.pptp)
		return PH_R_NONE;
	cid = (uint16_t)p->gre.key;
	k.a = p->dst;
	k.c = cid;
	if (ph_gidx_has(pe->gidx, &k)) {
		snprintf(text, tlen, "GRE call ID %u of another peer", cid);
		return PH_R_GRE_WRONG_SRC;
	}
	memset(&k, 0, sizeof(k));
	k.kind = PH_GIDX_CTL;
	k.a = p->src;
	k.b = p->dst;
	k.d = in_if;
	if (ph_gidx_has(pe->gidx, &k)) {
		snprintf(text, tlen, "no PPTP call with GRE call ID %u", cid);
		return PH_R_GRE_NO_CALL;
	}
	return PH_R_NONE;
}

const struct ph_inspect_ops ph_inspect_pptp = {
	.name = "pptp",
	.engine_init = pptp_engine_init,
	.engine_free = pptp_engine_free,
	.match = pptp_match,
	.conn_init = pptp_conn_init,
	.on_tcp_payload = pptp_payload,
	.on_hold_drop = pptp_hold_drop,
	.on_conn_destroy = pptp_conn_destroy,
	.orphan = pptp_orphan,
};

struct ph_pptp_vis *
ph_pptp_vis_of(const struct ph_engine *eng, ph_pptp_vis_walk_fn fn, void *arg)
{
	struct pptp_eng *pe = NULL;

	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++)
		if (ph_inspectors[i] == &ph_inspect_pptp)
			pe = eng->insp_priv[i];
	if (pe == NULL)
		return NULL;
	pe->vis.gre_fail = pe->gre_fail;
	for (uint32_t i = 0; fn != NULL && i < pe->n_slots; i++)
		if (pe->slots[i] != NULL)
			fn(arg, pe->slots[i]->s);
	return &pe->vis;
}
