/*
 * pptpconv.h - one PPTP control conversation through the engine (tests
 * only; needs pptpbuild.h): a client behind PAT talking TCP to port 1723 of a server outside,
 * with both sides' sequence numbers kept so that every segment is in the
 * window.  Shared by the PPTP engine, show/debug and attack tests.
 *
 * The including file defines S (the server) and G (the PAT address that
 * replies go to) before including this header, after engtest.h.
 *
 *	struct client c = { A(10,48,66,106), 4644, 0, 1001, 5001, 0 };
 *	c2s(h, &c, sccrq, n, 2);	client -> server, translated
 *	s2c(h, &c, sccrp, n, 2);	server -> G:c.gport, back to the client
 *	control_up(h, &c, 1);		TCP handshake, SCCRQ/SCCRP
 *
 * With PC_STRICT defined before the include, a side's sequence number
 * moves on only when the segment was accepted (attack tests, where drops
 * must not desynchronise the conversation); otherwise it always moves on
 * (a held segment is released later and counts as sent).
 */
#ifndef PH_TEST_PPTPCONV_H
#define PH_TEST_PPTPCONV_H

#if !defined(S) || !defined(G)
#error "define S (server) and G (PAT address) before including pptpconv.h"
#endif

struct client {
	uint32_t addr;
	uint16_t port, gport;
	uint32_t cseq, sseq; /* next sequence numbers: client, server */
	uint16_t xl;	     /* translated call id */
};

/* One TCP segment with ACK (and PSH when it carries data) into the engine. */
static inline int
seg(struct eh *h, const char *ifn, uint32_t src, uint16_t sp, uint32_t dst,
    uint16_t dp, uint32_t seq, uint32_t ack, const uint8_t *pl, size_t n,
    uint64_t t)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 7 };
	struct pb_tcp th = { .sport = sp,
			     .dport = dp,
			     .seq = seq,
			     .ack = ack,
			     .flags = PH_TCP_ACK | (n ? PH_TCP_PSH : 0) };

	h->len = pb_tcp(h->buf, &ip, &th, pl, n);
	return eh_run(h, ifn, SEC(t));
}

/* The TCP payload of the packet the engine last returned. */
static inline const uint8_t *
payload(const struct eh *h)
{
	return h->buf + pb_hlen(h->buf) + 20;
}

#ifdef PC_STRICT
#define PC_MOVES_ON(v) ((v) == PH_VERDICT_ACCEPT)
#else
#define PC_MOVES_ON(v) 1
#endif

/* Client -> server message (translated on the way out). */
static inline int
c2s(struct eh *h, struct client *c, const uint8_t *m, size_t n, uint64_t t)
{
	int v = seg(h, "inside", c->addr, c->port, S, 1723, c->cseq, c->sseq, m,
		    n, t);

	if (PC_MOVES_ON(v))
		c->cseq += (uint32_t)n;
	return v;
}

/* Server -> client message, addressed to the PAT address and port. */
static inline int
s2c(struct eh *h, struct client *c, const uint8_t *m, size_t n, uint64_t t)
{
	int v = seg(h, "outside", S, 1723, G, c->gport, c->sseq, c->cseq, m, n,
		    t);

	if (PC_MOVES_ON(v))
		c->sseq += (uint32_t)n;
	return v;
}

/* TCP handshake to S:1723, through PAT to G. */
static inline void
tcp_up(struct eh *h, struct client *c, uint64_t t)
{
	ck_assert_int_eq(eh_tcp_seq(h, "inside", c->addr, c->port, S, 1723,
				    PH_TCP_SYN, c->cseq - 1, 0, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	c->gport = eh_sport(h);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", S, 1723, G, c->gport,
				    PH_TCP_SYN | PH_TCP_ACK, c->sseq - 1,
				    c->cseq, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(seg(h, "inside", c->addr, c->port, S, 1723, c->cseq,
			     c->sseq, NULL, 0, t),
			 PH_VERDICT_ACCEPT);
}

/* TCP handshake and SCCRQ with version ver; the SCCRP only for 1.0 (the
 * inspector stops at any other version). */
static inline void
control_up_v(struct eh *h, struct client *c, uint16_t ver, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	size_t n;

	tcp_up(h, c, t);
	n = pptpb_sccrq(m, ver, "client", "test");
	ck_assert_int_eq(c2s(h, c, m, n, t), PH_VERDICT_ACCEPT);
	if (ver != PPTPB_VERSION)
		return;
	n = pptpb_sccrp(m, ver, 1, "server", "test");
	ck_assert_int_eq(s2c(h, c, m, n, t), PH_VERDICT_ACCEPT);
}

/* TCP handshake and SCCRQ/SCCRP, version 1.0. */
static inline void
control_up(struct eh *h, struct client *c, uint64_t t)
{
	control_up_v(h, c, PPTPB_VERSION, t);
}

#endif /* PH_TEST_PPTPCONV_H */
