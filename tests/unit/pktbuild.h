/*
 * pktbuild.h - build IPv4 test packets with correct checksums (tests only).
 *
 * Header-only so any test can include it.  Builders write a whole IPv4
 * packet into b (the caller provides room: 60 bytes of IP header + 60 of
 * L4 header + the payload) and return its length.  Checksums are computed
 * from scratch with a deliberately naive RFC 1071 sum that shares no code
 * with src/core/csum.c, so tests can use it as an independent oracle.
 *
 *	struct pb_ip ip = { .src = PB_A(10, 0, 0, 1), .dst = PB_A(...) };
 *	len = pb_tcp(buf, &ip, &(struct pb_tcp){ .sport = 1025,
 *	    .dport = 80, .flags = PH_TCP_SYN }, NULL, 0);
 *
 * Fields left 0 get defaults: ttl 64, TCP window 65535.  ip.frag is the raw
 * flags+offset field (PB_MF | offset / 8).  Set ip.optlen (multiple of 4)
 * for IP options (NOPs), pb_tcp.optlen for TCP options (NOPs).
 */
#ifndef PH_TEST_PKTBUILD_H
#define PH_TEST_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/pkt.h"

#define PB_A(a, b, c, d)                                                  \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | \
	 (uint32_t)(d))
#define PB_DF 0x4000
#define PB_MF 0x2000

struct pb_ip {
	uint32_t src, dst;
	uint16_t id;
	uint16_t frag; /* flags | fragment offset in 8-byte units */
	uint8_t ttl;   /* 0 = 64 */
	uint8_t tos;
	uint8_t optlen; /* bytes of IP options, multiple of 4, <= 40 */
};

struct pb_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;	/* 0 = 65535 */
	uint8_t optlen; /* bytes of TCP options, multiple of 4, <= 40 */
};

struct pb_gre {
	uint16_t flags; /* PH_GRE_F_* including the version */
	uint16_t proto;
	uint32_t key, seq, ack;
};

static inline void
pb_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
pb_put32(uint8_t *p, uint32_t v)
{
	pb_put16(p, (uint16_t)(v >> 16));
	pb_put16(p + 2, (uint16_t)v);
}

static inline uint16_t
pb_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
pb_get32(const uint8_t *p)
{
	return (uint32_t)pb_get16(p) << 16 | pb_get16(p + 2);
}

/* Naive ones' complement sum, folded (not complemented). */
static inline uint16_t
pb_sum(const uint8_t *p, size_t len, uint32_t acc)
{
	uint64_t s = acc;

	for (size_t i = 0; i < len; i++)
		s += (i % 2 == 0) ? (uint64_t)p[i] * 256 : p[i];
	while (s > 0xffff)
		s = (s % 65536) + (s / 65536);
	return (uint16_t)s;
}

static inline uint32_t
pb_pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	return (uint32_t)pb_get16(ip + 12) + pb_get16(ip + 14) +
	       pb_get16(ip + 16) + pb_get16(ip + 18) + proto + (uint32_t)l4len;
}

static inline size_t
pb_hlen(const uint8_t *ip)
{
	return (size_t)(ip[0] & 0x0f) * 4;
}

/* Write the IP header for an L4 part of l4len bytes at b + hlen. */
static inline size_t
pb_ip_hdr(uint8_t *b, const struct pb_ip *ip, uint8_t proto, size_t l4len)
{
	size_t hlen = 20 + ip->optlen;

	b[0] = (uint8_t)(0x40 | hlen / 4);
	b[1] = ip->tos;
	pb_put16(b + 2, (uint16_t)(hlen + l4len));
	pb_put16(b + 4, ip->id);
	pb_put16(b + 6, ip->frag);
	b[8] = ip->ttl ? ip->ttl : 64;
	b[9] = proto;
	pb_put16(b + 10, 0);
	pb_put32(b + 12, ip->src);
	pb_put32(b + 16, ip->dst);
	memset(b + 20, 1, ip->optlen); /* NOP options */
	pb_put16(b + 10, (uint16_t)~pb_sum(b, hlen, 0));
	return hlen;
}

/* Recompute the IP header checksum (after a test edits the header). */
static inline void
pb_fix_ip(uint8_t *b)
{
	pb_put16(b + 10, 0);
	pb_put16(b + 10, (uint16_t)~pb_sum(b, pb_hlen(b), 0));
}

static inline size_t
pb_tcp(uint8_t *b, const struct pb_ip *ip, const struct pb_tcp *t,
       const uint8_t *pl, size_t plen)
{
	size_t th = 20 + t->optlen, hl = 20 + ip->optlen;
	uint8_t *l4 = b + hl;

	pb_ip_hdr(b, ip, PH_IPPROTO_TCP, th + plen);
	pb_put16(l4, t->sport);
	pb_put16(l4 + 2, t->dport);
	pb_put32(l4 + 4, t->seq);
	pb_put32(l4 + 8, t->ack);
	l4[12] = (uint8_t)(th / 4 << 4);
	l4[13] = t->flags;
	pb_put16(l4 + 14, t->win ? t->win : 65535);
	pb_put32(l4 + 16, 0);
	memset(l4 + 20, 1, t->optlen);
	if (plen)
		memcpy(l4 + th, pl, plen);
	pb_put16(l4 + 16,
		 (uint16_t)~pb_sum(l4, th + plen,
				   pb_pseudo(b, PH_IPPROTO_TCP, th + plen)));
	return hl + th + plen;
}

static inline size_t
pb_udp(uint8_t *b, const struct pb_ip *ip, uint16_t sport, uint16_t dport,
       const uint8_t *pl, size_t plen)
{
	size_t hl = 20 + ip->optlen;
	uint8_t *l4 = b + hl;
	uint16_t c;

	pb_ip_hdr(b, ip, PH_IPPROTO_UDP, 8 + plen);
	pb_put16(l4, sport);
	pb_put16(l4 + 2, dport);
	pb_put16(l4 + 4, (uint16_t)(8 + plen));
	pb_put16(l4 + 6, 0);
	if (plen)
		memcpy(l4 + 8, pl, plen);
	c = (uint16_t)~pb_sum(l4, 8 + plen,
			      pb_pseudo(b, PH_IPPROTO_UDP, 8 + plen));
	pb_put16(l4 + 6, c ? c : 0xffff);
	return hl + 8 + plen;
}

/* ICMP with 4 bytes of "rest of header" (id << 16 | seq for queries). */
static inline size_t
pb_icmp(uint8_t *b, const struct pb_ip *ip, uint8_t type, uint8_t code,
	uint32_t rest, const uint8_t *pl, size_t plen)
{
	size_t hl = 20 + ip->optlen;
	uint8_t *l4 = b + hl;

	pb_ip_hdr(b, ip, PH_IPPROTO_ICMP, 8 + plen);
	l4[0] = type;
	l4[1] = code;
	pb_put16(l4 + 2, 0);
	pb_put32(l4 + 4, rest);
	if (plen)
		memcpy(l4 + 8, pl, plen);
	pb_put16(l4 + 2, (uint16_t)~pb_sum(l4, 8 + plen, 0));
	return hl + 8 + plen;
}

/* An ICMP error quoting the first quote bytes of the packet orig. */
static inline size_t
pb_icmp_err(uint8_t *b, const struct pb_ip *ip, uint8_t type, uint8_t code,
	    const uint8_t *orig, size_t quote)
{
	return pb_icmp(b, ip, type, code, 0, orig, quote);
}

static inline size_t
pb_gre(uint8_t *b, const struct pb_ip *ip, const struct pb_gre *g,
       const uint8_t *pl, size_t plen)
{
	size_t hl = 20 + ip->optlen, gl = 4;
	uint8_t *l4 = b + hl;

	pb_put16(l4, g->flags);
	pb_put16(l4 + 2, g->proto);
	if (g->flags & PH_GRE_F_CSUM) {
		pb_put32(l4 + gl, 0);
		gl += 4;
	}
	if (g->flags & PH_GRE_F_KEY) {
		pb_put32(l4 + gl, g->key);
		gl += 4;
	}
	if (g->flags & PH_GRE_F_SEQ) {
		pb_put32(l4 + gl, g->seq);
		gl += 4;
	}
	if ((g->flags & PH_GRE_F_VER) == 1 && (g->flags & PH_GRE_F_ACK)) {
		pb_put32(l4 + gl, g->ack);
		gl += 4;
	}
	if (plen)
		memcpy(l4 + gl, pl, plen);
	if (g->flags & PH_GRE_F_CSUM)
		pb_put16(l4 + 4, (uint16_t)~pb_sum(l4, gl + plen, 0));
	pb_ip_hdr(b, ip, PH_IPPROTO_GRE, gl + plen);
	return hl + gl + plen;
}

/* Any protocol: the IP header followed by pl. */
static inline size_t
pb_raw(uint8_t *b, const struct pb_ip *ip, uint8_t proto, const uint8_t *pl,
       size_t plen)
{
	size_t hl = pb_ip_hdr(b, ip, proto, plen);

	if (plen)
		memcpy(b + hl, pl, plen);
	return hl + plen;
}

/* --- oracles: verify checksums from scratch ------------------------- */

static inline bool
pb_ip_ok(const uint8_t *ip)
{
	return pb_sum(ip, pb_hlen(ip), 0) == 0xffff;
}

/*
 * Verify the L4 checksum of a whole (unfragmented) packet from scratch:
 * TCP/UDP with the pseudo header (UDP 0 = none is valid), ICMP over the
 * message, GRE over the GRE packet when C is set.
 */
static inline bool
pb_l4_ok(const uint8_t *ip)
{
	size_t hl = pb_hlen(ip), l4len = pb_get16(ip + 2) - hl;
	const uint8_t *l4 = ip + hl;

	switch (ip[9]) {
	case PH_IPPROTO_TCP:
		return pb_sum(l4, l4len, pb_pseudo(ip, ip[9], l4len)) == 0xffff;
	case PH_IPPROTO_UDP:
		l4len = pb_get16(l4 + 4);
		return pb_get16(l4 + 6) == 0 ||
		       pb_sum(l4, l4len, pb_pseudo(ip, ip[9], l4len)) == 0xffff;
	case PH_IPPROTO_ICMP:
		return pb_sum(l4, l4len, 0) == 0xffff;
	case PH_IPPROTO_GRE:
		return !(pb_get16(l4) & PH_GRE_F_CSUM) ||
		       pb_sum(l4, l4len, 0) == 0xffff;
	default:
		return true;
	}
}

/* Offset of the TCP/UDP checksum field from the L4 header. */
static inline size_t
pb_l4_csum_off(uint8_t proto)
{
	return proto == PH_IPPROTO_TCP ? 16 : 6;
}

/* CHECKSUM_PARTIAL: store the folded pseudo-header sum (not complemented)
 * in the TCP/UDP checksum field, as Linux does before offload. */
static inline void
pb_make_partial(uint8_t *ip)
{
	size_t hl = pb_hlen(ip), l4len = pb_get16(ip + 2) - hl;

	pb_put16(ip + hl + pb_l4_csum_off(ip[9]),
		 pb_sum(NULL, 0, pb_pseudo(ip, ip[9], l4len)));
}

/* The partial field matches the pseudo header (0 and 0xffff are the same
 * ones' complement number). */
static inline bool
pb_partial_ok(const uint8_t *ip)
{
	size_t hl = pb_hlen(ip), l4len = pb_get16(ip + 2) - hl;
	uint16_t want = pb_sum(NULL, 0, pb_pseudo(ip, ip[9], l4len));
	uint16_t got = pb_get16(ip + hl + pb_l4_csum_off(ip[9]));

	return got == want || (got % 0xffff) == (want % 0xffff);
}

#endif /* PH_TEST_PKTBUILD_H */
