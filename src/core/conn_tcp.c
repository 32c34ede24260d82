/*
 * core/conn_tcp.c - the TCP tracking of conn_tcp.h: valid flags, pf's
 * sequence windows (with window scaling, RFC 7323), RFC 5961-style RST
 * checks, the state machine and PIX's show conn flags.
 */
#include <string.h>

#include <pinhole/event.h>

#include "core/conn_tcp.h"
#include "core/cursor.h"

#define MAXACKWINDOW (0xffff + 1500) /* pf: 1500 is a fudge factor */
#define WS_MAX	     14		     /* RFC 7323 2.3 */

bool
ph_tcp_flags_bad(uint8_t flags)
{
	switch (flags & (PH_TCP_FIN | PH_TCP_SYN | PH_TCP_RST | PH_TCP_ACK |
			 PH_TCP_URG)) {
	case PH_TCP_SYN:
	case PH_TCP_SYN | PH_TCP_URG:
	case PH_TCP_SYN | PH_TCP_ACK:
	case PH_TCP_RST:
	case PH_TCP_RST | PH_TCP_ACK:
	case PH_TCP_FIN | PH_TCP_ACK:
	case PH_TCP_FIN | PH_TCP_ACK | PH_TCP_URG:
	case PH_TCP_ACK:
	case PH_TCP_ACK | PH_TCP_URG:
		return false;
	default:
		return true;
	}
}

bool
ph_tcp_opens(uint8_t flags)
{
	return (flags & (PH_TCP_SYN | PH_TCP_ACK | PH_TCP_FIN | PH_TCP_RST)) ==
	       PH_TCP_SYN;
}

static void
peer_reset(struct ph_tcp_peer *t)
{
	memset(t, 0, sizeof(*t));
	t->max_win = 1; /* pf: an unseen side's window is 1 */
}

void
ph_tcp_open(struct ph_conn *c, const struct ph_pkt *p)
{
	(void)p;
	c->state = PH_TCPS_SYN_SENT;
	peer_reset(&c->tcp[PH_DIR_ORIG]);
	peer_reset(&c->tcp[PH_DIR_REPLY]);
}

/* Is a at or after b in sequence space? */
static inline bool
seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

static inline bool
seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

uint8_t
ph_tcp_wscale_opt(const struct ph_pkt *p)
{
	struct ph_cur cur;
	uint8_t kind, len, shift;

	if (!p->has_l4 || p->tcp.hlen <= 20)
		return 0;
	ph_cur_init(&cur, p->ip + p->l4_off + 20, (size_t)p->tcp.hlen - 20);
	while (ph_cur_u8(&cur, &kind) == 0 && kind != 0) {
		if (kind == 1) /* NOP */
			continue;
		if (ph_cur_u8(&cur, &len) != 0 || len < 2 ||
		    ph_cur_left(&cur) < (size_t)len - 2)
			return 0;
		if (kind == 3) {
			if (len != 3 || ph_cur_u8(&cur, &shift) != 0)
				return 0;
			return (uint8_t)(PH_TCP_WS_OPT |
					 (shift > WS_MAX ? WS_MAX : shift));
		}
		(void)ph_cur_skip(&cur, (size_t)len - 2);
	}
	return 0;
}

/* The side (direction) whose packets come from the inside host. */
static inline int
inside_dir(const struct ph_conn *c)
{
	return (c->flags & PH_CF_INBOUND) ? PH_DIR_REPLY : PH_DIR_ORIG;
}

/* One segment as the window checks see it (pf's names). */
struct seg {
	uint32_t seq;	   /* eased to seqlo for segments with no data */
	uint32_t oseq;	   /* as sent (RST checks) */
	uint32_t ack;	   /* fudged to the other side's seqlo if absent */
	uint32_t end;	   /* seq + data + SYN + FIN */
	uint32_t data_end; /* seq + data + SYN */
	uint32_t win;	   /* advertised window, in scaled units */
	unsigned sws, dws; /* window shifts of sender and receiver */
	uint8_t f;
};

static inline bool
scaling(const struct ph_tcp_peer *a, const struct ph_tcp_peer *b)
{
	return (a->wscale & PH_TCP_WS_OPT) && (b->wscale & PH_TCP_WS_OPT);
}

/* The first segment from side src (pf's "src->seqlo == 0" case). */
static void
first_segment(struct ph_tcp_peer *src, struct ph_tcp_peer *dst, int dir,
	      const struct ph_pkt *p, struct seg *s)
{
	if (s->f & PH_TCP_SYN) {
		uint8_t ws = ph_tcp_wscale_opt(p);

		if (dir == PH_DIR_ORIG) {
			src->wscale = ws; /* provisional: the SYN-ACK decides */
		} else if (dst->wscale & PH_TCP_WS_OPT) {
			src->wscale = ws;
			if (!(ws & PH_TCP_WS_OPT)) {
				/* no scaling after all: undo the SYN's */
				uint32_t w = (uint32_t)dst->max_win
					     << (dst->wscale & PH_TCP_WS_SHIFT);

				dst->max_win =
					(uint16_t)(w > 0xffff ? 0xffff : w);
				dst->wscale &= (uint8_t) ~(PH_TCP_WS_OPT |
							   PH_TCP_WS_SHIFT);
			}
		}
		if (src->wscale & PH_TCP_WS_OPT) {
			/* a SYN's window is never scaled: express it in
			 * scaled units */
			unsigned sh = src->wscale & PH_TCP_WS_SHIFT;

			s->win = (s->win + (1u << sh) - 1) >> sh;
		}
	}
	s->sws = scaling(src, dst) ? src->wscale & PH_TCP_WS_SHIFT : 0;
	s->dws = scaling(src, dst) ? dst->wscale & PH_TCP_WS_SHIFT : 0;
	src->seqlo = s->seq;
	src->seqhi = s->end + ((uint32_t)dst->max_win << s->dws > 1
				       ? (uint32_t)dst->max_win << s->dws
				       : 1);
	src->wscale |= PH_TCP_SEEN;
}

/* Fill s from p; initialise src when this is its first segment. */
static void
seg_of(struct ph_tcp_peer *src, struct ph_tcp_peer *dst, int dir,
       const struct ph_pkt *p, struct seg *s)
{
	s->sws = s->dws = 0;
	s->f = p->tcp.flags;
	s->seq = s->oseq = p->tcp.seq;
	s->ack = p->tcp.ack;
	s->win = p->tcp.win;
	s->data_end = s->seq + p->payload_len + ((s->f & PH_TCP_SYN) ? 1 : 0);
	s->end = s->data_end + ((s->f & PH_TCP_FIN) ? 1 : 0);
	if (!(src->wscale & PH_TCP_SEEN)) {
		first_segment(src, dst, dir, p, s);
	} else if (scaling(src, dst)) {
		s->sws = src->wscale & PH_TCP_WS_SHIFT;
		s->dws = dst->wscale & PH_TCP_WS_SHIFT;
		if (s->f & PH_TCP_SYN) /* a retransmitted SYN: unscaled */
			s->win = (s->win + (1u << s->sws) - 1) >> s->sws;
	}
	if (!(s->f & PH_TCP_ACK) || (s->ack == 0 && (s->f & PH_TCP_RST)) ||
	    !(dst->wscale & PH_TCP_SEEN))
		s->ack = dst->seqlo; /* let it through the ack checks */
	if (s->seq == s->end) {
		/* no data: ease the sequence checks (pf) */
		s->seq = src->seqlo;
		s->data_end = s->end = s->seq;
	}
}

/* pf's window test: inside the receiver's window, not more than one
 * window back, ACK not too far either way; a RST's own number inside. */
static bool
in_window(const struct ph_tcp_peer *src, const struct ph_tcp_peer *dst,
	  const struct seg *s)
{
	int64_t ackskew = (int32_t)(dst->seqlo - s->ack);
	uint32_t back = src->seqlo - ((uint32_t)dst->max_win << s->dws);

	if (!seq_geq(src->seqhi, s->data_end) || !seq_geq(s->seq, back))
		return false;
	if (ackskew < -(int64_t)MAXACKWINDOW ||
	    ackskew > ((int64_t)MAXACKWINDOW << s->sws))
		return false;
	if (s->f & PH_TCP_RST)
		return seq_geq(s->oseq, back) && seq_geq(src->seqhi, s->oseq);
	return true;
}

/* pf's loose bounds while the responder is silent or after the FINs. */
static bool
in_loose_window(const struct ph_conn *c, const struct ph_tcp_peer *src,
		const struct ph_tcp_peer *dst, const struct seg *s)
{
	if (s->f & PH_TCP_RST)
		return false;
	if ((dst->wscale & PH_TCP_SEEN) &&
	    !(c->flags & (PH_CF_FINACK0 | PH_CF_FINACK1)))
		return false;
	return seq_geq(src->seqhi + MAXACKWINDOW, s->data_end) &&
	       seq_geq(s->seq, src->seqlo - MAXACKWINDOW);
}

/* A RST answering the originator's SYN: acceptable only if it ACKs the
 * SYN exactly (RFC 9293 3.10.7.3, SYN-SENT). */
static bool
refusal_ok(const struct ph_conn *c, const struct ph_pkt *p)
{
	return (p->tcp.flags & PH_TCP_ACK) &&
	       p->tcp.ack == c->tcp[PH_DIR_ORIG].seqlo;
}

/* Check segment p against the windows; on success store the new ones. */
static unsigned
track_window(struct ph_conn *c, int dir, const struct ph_pkt *p)
{
	struct ph_tcp_peer src = c->tcp[dir], dst = c->tcp[!dir];
	uint8_t f = p->tcp.flags;
	struct seg s;
	uint32_t w;

	if (dir == PH_DIR_ORIG && c->state == PH_TCPS_SYN_SENT &&
	    ph_tcp_opens(f))
		peer_reset(&src); /* the client retries, maybe a new ISN */
	if ((f & PH_TCP_RST) && !(src.wscale & PH_TCP_SEEN))
		return refusal_ok(c, p) ? PH_R_NONE : PH_R_TCP_BAD_RST;
	seg_of(&src, &dst, dir, p, &s);
	if (!in_window(&src, &dst, &s) && !in_loose_window(c, &src, &dst, &s))
		return (f & PH_TCP_RST) ? PH_R_TCP_BAD_RST : PH_R_TCP_WINDOW;
	if (src.max_win < s.win)
		src.max_win = (uint16_t)s.win;
	if (seq_gt(s.end, src.seqlo))
		src.seqlo = s.end;
	w = s.win << s.sws;
	if ((f & PH_TCP_ACK) && seq_geq(s.ack + w, dst.seqhi))
		dst.seqhi = s.ack + (w > 1 ? w : 1);
	c->tcp[dir] = src;
	c->tcp[!dir] = dst;
	return PH_R_NONE;
}

bool
ph_tcp_seq_in_window(const struct ph_conn *c, int dir, uint32_t seq)
{
	const struct ph_tcp_peer *src = &c->tcp[dir], *dst = &c->tcp[!dir];
	unsigned dws = scaling(src, dst) ? dst->wscale & PH_TCP_WS_SHIFT : 0;

	if (!(src->wscale & PH_TCP_SEEN))
		return false;
	return seq_geq(src->seqhi, seq) &&
	       seq_geq(seq, src->seqlo - ((uint32_t)dst->max_win << dws));
}

static void
track_fin(struct ph_conn *c, int dir, const struct ph_pkt *p)
{
	uint16_t fin = dir == PH_DIR_ORIG ? PH_CF_FIN0 : PH_CF_FIN1;
	uint16_t ack_other = dir == PH_DIR_ORIG ? PH_CF_FINACK1 : PH_CF_FINACK0;
	uint16_t fin_other = dir == PH_DIR_ORIG ? PH_CF_FIN1 : PH_CF_FIN0;

	if ((p->tcp.flags & PH_TCP_FIN) && !(c->flags & fin)) {
		c->flags |= fin;
		c->state = PH_TCPS_CLOSING;
	}
	/* this segment acknowledges the other side's FIN (whose end is
	 * that side's seqlo: nothing follows a FIN)? */
	if ((p->tcp.flags & PH_TCP_ACK) && (c->flags & fin_other) &&
	    seq_geq(p->tcp.ack, c->tcp[!dir].seqlo))
		c->flags |= ack_other;
}

/* The state machine proper, for a segment that passed the windows. */
static unsigned
track_state(struct ph_conn *c, int dir, const struct ph_pkt *p,
	    unsigned *teardown)
{
	uint8_t f = p->tcp.flags;

	switch (c->state) {
	case PH_TCPS_SYN_SENT:
		if (dir == PH_DIR_REPLY && (f & PH_TCP_SYN) && (f & PH_TCP_ACK))
			c->state = PH_TCPS_SYN_RCVD;
		return PH_TC_EMBRYONIC;
	case PH_TCPS_SYN_RCVD:
		if (dir == PH_DIR_ORIG && (f & PH_TCP_ACK) &&
		    !(f & PH_TCP_SYN)) {
			c->state = PH_TCPS_ESTABLISHED;
			track_fin(c, dir, p);
			break;
		}
		return PH_TC_EMBRYONIC;
	default:
		track_fin(c, dir, p);
		break;
	}
	if ((c->flags & (PH_CF_FINACK0 | PH_CF_FINACK1)) ==
	    (PH_CF_FINACK0 | PH_CF_FINACK1)) {
		c->state = PH_TCPS_CLOSED;
		*teardown = PH_TD_TCP_FINS;
	}
	return c->state == PH_TCPS_CLOSING ? PH_TC_HALF_CLOSED : PH_TC_TCP;
}

unsigned
ph_tcp_track(struct ph_conn *c, int dir, const struct ph_pkt *p, unsigned *cls,
	     unsigned *teardown)
{
	uint8_t f = p->tcp.flags;
	unsigned r;

	*teardown = PH_TD_NONE;
	*cls = c->tclass;
	r = track_window(c, dir, p);
	if (r != PH_R_NONE)
		return r;
	if (p->payload_len > 0)
		c->flags |= dir == inside_dir(c) ? PH_CF_DATA_O : PH_CF_DATA_I;
	if (f & PH_TCP_RST) {
		c->state = PH_TCPS_CLOSED;
		*teardown =
			dir == inside_dir(c) ? PH_TD_RESET_I : PH_TD_RESET_O;
		return PH_R_NONE;
	}
	*cls = track_state(c, dir, p, teardown);
	return PH_R_NONE;
}

static void
put(char *buf, size_t len, size_t *n, char ch)
{
	if (*n + 1 < len)
		buf[(*n)++] = ch;
}

void
ph_tcp_flags_str(const struct ph_conn *c, char *buf, size_t len)
{
	bool inb = c->flags & PH_CF_INBOUND;
	int in = inside_dir(c);
	size_t n = 0;

	if (len == 0)
		return;
	switch (c->state) {
	case PH_TCPS_SYN_SENT:
		/* originator's SYN seen; nothing back yet */
		put(buf, len, &n, inb ? 'S' : 's');
		put(buf, len, &n, 'a');
		put(buf, len, &n, 'A');
		if (inb)
			put(buf, len, &n, 'B');
		break;
	case PH_TCPS_SYN_RCVD:
		/* waiting for the originator's ACK of the SYN-ACK */
		put(buf, len, &n, inb ? 'a' : 'A');
		if (inb)
			put(buf, len, &n, 'B');
		break;
	default:
		put(buf, len, &n, 'U');
		if (c->flags & (in == PH_DIR_ORIG ? PH_CF_FIN0 : PH_CF_FIN1))
			put(buf, len, &n, 'f');
		if (c->flags & (in == PH_DIR_ORIG ? PH_CF_FIN1 : PH_CF_FIN0))
			put(buf, len, &n, 'F');
		/* r: inside acknowledged (the outside's) FIN */
		if (c->flags &
		    (in == PH_DIR_ORIG ? PH_CF_FINACK1 : PH_CF_FINACK0))
			put(buf, len, &n, 'r');
		if (c->flags &
		    (in == PH_DIR_ORIG ? PH_CF_FINACK0 : PH_CF_FINACK1))
			put(buf, len, &n, 'R');
		if (c->flags & PH_CF_DATA_I)
			put(buf, len, &n, 'I');
		if (c->flags & PH_CF_DATA_O)
			put(buf, len, &n, 'O');
		break;
	}
	buf[n] = '\0';
}
