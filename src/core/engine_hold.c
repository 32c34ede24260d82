/*
 * core/engine_hold.c - held packets (engine.h "Holding").
 *
 * An inspector may ask to keep a segment back (PPTP: a call-ID field split
 * across two segments).  The engine then finishes the packet as usual
 * (state, counters, NAT rewrite), keeps a copy and answers HOLD; the caller
 * must not deliver the original.  Later the inspector patches the copy and
 * releases it (or discards it), and the caller collects it with
 * ph_engine_release(), with its own token and verdict.  A copy held longer
 * than PH_HOLD_TIMEOUT_SEC is released as a drop by ph_engine_tick()
 * (fail-closed, 901003, `pptp-hold-timeout`), and so is everything a
 * connection holds when it goes away.
 *
 * Limits (hard, counted as `pptp-hold-limit` drops): one held packet per
 * connection direction, PH_HOLD_MAX at once, PH_HOLD_BYTES_MAX bytes.
 * A released buffer stays valid until the next engine call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine_int.h"
#include "core/rewrite.h"

static struct eng_held *
find(struct ph_engine *eng, uint32_t idx, int dir)
{
	uint32_t id;

	if (eng->n_holding == 0)
		return NULL;
	id = ph_conn_at(eng->conns, idx)->id;
	for (unsigned i = 0; i < PH_HOLD_MAX; i++) {
		struct eng_held *h = &eng->holds[i];

		if (h->state == 1 && h->conn == idx && h->conn_id == id &&
		    h->dir == dir)
			return h;
	}
	return NULL;
}

bool
ph_eng_holding(const struct ph_engine *eng, uint32_t idx, int dir)
{
	return find((struct ph_engine *)eng, idx, dir) != NULL;
}

bool
eng_hold(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx, int dir)
{
	struct eng_held *h = NULL;

	if (find(eng, idx, dir) != NULL ||
	    eng->held_bytes + ep->p.len > PH_HOLD_BYTES_MAX)
		return false;
	for (unsigned i = 0; i < PH_HOLD_MAX && h == NULL; i++)
		if (eng->holds[i].state == 0)
			h = &eng->holds[i];
	if (h == NULL)
		return false;
	h->data = malloc(ep->p.len);
	if (h->data == NULL)
		return false;
	memcpy(h->data, ep->p.ip, ep->p.len);
	h->len = ep->p.len;
	h->token = ep->token;
	h->conn = idx;
	h->conn_id = ph_conn_at(eng->conns, idx)->id;
	h->since = ep->now;
	h->out_if = ep->out->out_ifidx;
	h->dir = (uint8_t)dir;
	h->rwflags = (uint8_t)ep->rwflags;
	h->modified = ep->out->modified;
	h->state = 1;
	eng->n_holding++;
	eng->held_bytes += (uint32_t)h->len;
	return true;
}

int
ph_eng_held_patch(struct ph_engine *eng, uint32_t idx, int dir, size_t off,
		  const uint8_t *from, const uint8_t *to, size_t n)
{
	struct eng_held *h = find(eng, idx, dir);
	struct ph_pkt p;

	if (h == NULL)
		return -ENOENT;
	if (ph_pkt_parse(&p, h->data, h->len) != PH_R_NONE ||
	    off + n > p.payload_len)
		return -EINVAL;
	/* the copy must still hold the old bytes the patch starts from */
	memcpy(h->data + p.payload_off + off, from, n);
	h->modified = true;
	return ph_rw_tcp_payload(&p, off, to, n, h->rwflags);
}

static void
queue(struct ph_engine *eng, struct eng_held *h, unsigned verdict,
      unsigned reason)
{
	h->verdict = (uint8_t)verdict;
	h->reason = (uint16_t)reason;
	h->state = 2; /* from 1: every caller found it held */
	eng->n_holding--;
	eng->relq[(eng->relq_head + eng->relq_n) % PH_HOLD_MAX] =
		(uint32_t)(h - eng->holds);
	eng->relq_n++;
}

int
ph_eng_held_release(struct ph_engine *eng, uint32_t idx, int dir,
		    unsigned verdict, unsigned reason)
{
	struct eng_held *h = find(eng, idx, dir);

	if (h == NULL)
		return -ENOENT;
	queue(eng, h,
	      verdict == PH_VERDICT_ACCEPT ? PH_VERDICT_ACCEPT
					   : PH_VERDICT_DROP,
	      reason);
	return 0;
}

/* The engine drops a hold itself: tell the owning inspector. */
static void
drop_held(struct ph_engine *eng, struct eng_held *h, unsigned reason,
	  ph_time_t now, bool tell)
{
	struct ph_conn *c = ph_conn_at(eng->conns, h->conn);
	unsigned i = c->insp_id - 1u;

	queue(eng, h, PH_VERDICT_DROP, reason);
	if (tell && c->insp_id != 0 && i < PH_INSPECT_MAX &&
	    ph_inspectors[i] != NULL && ph_inspectors[i]->on_hold_drop)
		ph_inspectors[i]->on_hold_drop(eng, eng->insp_priv[i], h->conn,
					       h->dir, now);
}

void
eng_hold_conn_gone(struct ph_engine *eng, uint32_t idx)
{
	uint32_t id;

	/* every connection that goes away comes here: without holds, no
	 * walk over the PH_HOLD_MAX slots (1,300 instructions) */
	if (eng->n_holding == 0)
		return;
	id = ph_conn_at(eng->conns, idx)->id;
	for (unsigned i = 0; i < PH_HOLD_MAX; i++) {
		struct eng_held *h = &eng->holds[i];

		if (h->state == 1 && h->conn == idx && h->conn_id == id)
			queue(eng, h, PH_VERDICT_DROP, PH_R_TCP_NO_CONN);
	}
}

unsigned
eng_hold_tick(struct ph_engine *eng, ph_time_t now, unsigned budget)
{
	unsigned n = 0;

	for (unsigned i = 0; i < PH_HOLD_MAX && n < budget; i++) {
		struct eng_held *h = &eng->holds[i];
		struct ph_event ev;

		if (h->state != 1 || now.ns < h->since.ns ||
		    now.ns - h->since.ns <
			    (uint64_t)PH_HOLD_TIMEOUT_SEC * PH_NSEC_PER_SEC)
			continue;
		if (ph_conn_live(eng->conns, h->conn)) {
			eng_ev_conn_fill(eng, h->conn, PH_EV_HOLD_TIMEOUT, now,
					 &ev);
			ev.text = ph_reason_text(PH_R_PPTP_HOLD_TIMEOUT);
			eng_emit(eng, &ev);
		}
		drop_held(eng, h, PH_R_PPTP_HOLD_TIMEOUT, now, true);
		n++;
	}
	return n;
}

void
eng_hold_reap(struct ph_engine *eng)
{
	struct eng_held *h;

	/* at most one buffer is handed out at a time: O(1) per packet */
	if (eng->hold_out == 0)
		return;
	h = &eng->holds[eng->hold_out - 1];
	eng->hold_out = 0;
	if (h->state != 3)
		return;
	eng->held_bytes -= (uint32_t)h->len;
	free(h->data);
	memset(h, 0, sizeof(*h));
}

bool
ph_engine_release(struct ph_engine *eng, struct ph_pkt_released *rel)
{
	struct eng_held *h;

	if (eng == NULL || rel == NULL)
		return false;
	eng_hold_reap(eng);
	if (eng->relq_n == 0)
		return false;
	h = &eng->holds[eng->relq[eng->relq_head]];
	eng->hold_out = eng->relq[eng->relq_head] + 1;
	eng->relq_head = (eng->relq_head + 1) % PH_HOLD_MAX;
	eng->relq_n--;
	h->state = 3;
	memset(rel, 0, sizeof(*rel));
	rel->token = h->token;
	rel->data = h->data;
	rel->len = h->len;
	rel->out.verdict = h->verdict;
	rel->out.reason = h->verdict == PH_VERDICT_DROP ? h->reason : 0;
	rel->out.out_ifidx =
		h->verdict == PH_VERDICT_DROP ? PH_IF_NONE : h->out_if;
	rel->out.modified = h->modified;
	eng->ctr.pkts_released++;
	if (h->verdict == PH_VERDICT_DROP)
		eng->ctr.pkts_release_dropped++;
	return true;
}
