/*
 * core/conn_tcp.c - the TCP state machine of conn_tcp.h.
 */
#include <string.h>

#include <pinhole/event.h>

#include "core/conn_tcp.h"

bool
ph_tcp_flags_bad(uint8_t flags)
{
	if ((flags & (PH_TCP_SYN | PH_TCP_FIN | PH_TCP_RST | PH_TCP_ACK)) == 0)
		return true;
	if ((flags & PH_TCP_SYN) && (flags & (PH_TCP_FIN | PH_TCP_RST)))
		return true;
	return false;
}

bool
ph_tcp_opens(uint8_t flags)
{
	return (flags & (PH_TCP_SYN | PH_TCP_ACK | PH_TCP_FIN | PH_TCP_RST)) ==
	       PH_TCP_SYN;
}

void
ph_tcp_open(struct ph_conn *c, const struct ph_pkt *p)
{
	(void)p;
	c->state = PH_TCPS_SYN_SENT;
}

/* Is a at or after b in sequence space? */
static inline bool
seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* The side (direction) whose packets come from the inside host. */
static inline int
inside_dir(const struct ph_conn *c)
{
	return (c->flags & PH_CF_INBOUND) ? PH_DIR_REPLY : PH_DIR_ORIG;
}

static void
track_fin(struct ph_conn *c, int dir, const struct ph_pkt *p)
{
	uint16_t fin = dir == PH_DIR_ORIG ? PH_CF_FIN0 : PH_CF_FIN1;
	uint16_t ack_other = dir == PH_DIR_ORIG ? PH_CF_FINACK1 : PH_CF_FINACK0;
	uint16_t fin_other = dir == PH_DIR_ORIG ? PH_CF_FIN1 : PH_CF_FIN0;

	if ((p->tcp.flags & PH_TCP_FIN) && !(c->flags & fin)) {
		c->flags |= fin;
		c->fin_seq[dir] = p->tcp.seq + p->payload_len;
		c->state = PH_TCPS_CLOSING;
	}
	/* this segment acknowledges the other side's FIN? */
	if ((p->tcp.flags & PH_TCP_ACK) && (c->flags & fin_other) &&
	    seq_geq(p->tcp.ack, c->fin_seq[!dir] + 1))
		c->flags |= ack_other;
}

unsigned
ph_tcp_track(struct ph_conn *c, int dir, const struct ph_pkt *p,
	     unsigned *teardown)
{
	uint8_t f = p->tcp.flags;

	*teardown = PH_TD_NONE;
	if (p->payload_len > 0)
		c->flags |= dir == inside_dir(c) ? PH_CF_DATA_O : PH_CF_DATA_I;
	if (f & PH_TCP_RST) {
		c->state = PH_TCPS_CLOSED;
		*teardown =
			dir == inside_dir(c) ? PH_TD_RESET_I : PH_TD_RESET_O;
		return c->tclass;
	}
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
