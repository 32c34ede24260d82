/*
 * test_pkt.c - the IPv4 parser: every protocol's descriptor, every
 * malformed case with its reason, the fragment policy, and a randomized
 * robustness run (mutations and truncations: no crash, a valid reason,
 * consistent offsets; meant to run under the ASan build too).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/rewrite.h"
#include "pktbuild.h"

#define A_IN  PB_A(10, 0, 0, 5)
#define A_OUT PB_A(198, 51, 100, 7)
#define A_RTR PB_A(203, 0, 113, 1)

static const uint8_t payload[64] = "0123456789abcdef0123456789abcdef"
				   "0123456789abcdef0123456789abcdef";

static struct pb_ip
ipv4(uint32_t src, uint32_t dst)
{
	return (struct pb_ip){ .src = src, .dst = dst, .id = 0x1234 };
}

static size_t
mk_tcp(uint8_t *b, size_t plen)
{
	struct pb_ip ip = ipv4(A_IN, A_OUT);

	return pb_tcp(b, &ip,
		      &(struct pb_tcp){ .sport = 40000,
					.dport = 1723,
					.seq = 0x01020304,
					.ack = 0xa0b0c0d0,
					.flags = PH_TCP_ACK | PH_TCP_PSH,
					.win = 8192 },
		      payload, plen);
}

static size_t
mk_udp(uint8_t *b, size_t plen)
{
	struct pb_ip ip = ipv4(A_IN, A_OUT);

	return pb_udp(b, &ip, 5353, 53, payload, plen);
}

/* --- valid packets ---------------------------------------------------- */

START_TEST(test_tcp)
{
	uint8_t b[256];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len;

	ip.optlen = 8;
	ip.tos = 0x10;
	len = pb_tcp(b, &ip,
		     &(struct pb_tcp){ .sport = 1025,
				       .dport = 80,
				       .seq = 7,
				       .ack = 9,
				       .flags = PH_TCP_SYN,
				       .win = 1000,
				       .optlen = 12 },
		     payload, 10);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_ptr_eq(p.ip, b);
	ck_assert_uint_eq(p.len, len);
	ck_assert_uint_eq(p.ip_hlen, 28);
	ck_assert_uint_eq(p.l4_off, 28);
	ck_assert_uint_eq(p.l4_hlen, 32);
	ck_assert_uint_eq(p.tcp.hlen, 32);
	ck_assert_uint_eq(p.payload_off, 60);
	ck_assert_uint_eq(p.payload_len, 10);
	ck_assert_uint_eq(p.proto, PH_IPPROTO_TCP);
	ck_assert_uint_eq(p.tos, 0x10);
	ck_assert_uint_eq(p.ttl, 64);
	ck_assert_uint_eq(p.ip_id, 0x1234);
	ck_assert_uint_eq(p.src, A_IN);
	ck_assert_uint_eq(p.dst, A_OUT);
	ck_assert_uint_eq(p.sport, 1025);
	ck_assert_uint_eq(p.dport, 80);
	ck_assert_uint_eq(p.tcp.seq, 7);
	ck_assert_uint_eq(p.tcp.ack, 9);
	ck_assert_uint_eq(p.tcp.win, 1000);
	ck_assert_uint_eq(p.tcp.flags, PH_TCP_SYN);
	ck_assert(p.has_l4);
	ck_assert(!ph_pkt_is_frag(&p));
	ck_assert(!p.df);
	ck_assert_uint_eq(ph_pkt_inspected_len(&p), 32);
}
END_TEST

START_TEST(test_udp)
{
	uint8_t b[256];
	struct ph_pkt p;
	size_t len = mk_udp(b, 13);

	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.proto, PH_IPPROTO_UDP);
	ck_assert_uint_eq(p.sport, 5353);
	ck_assert_uint_eq(p.dport, 53);
	ck_assert_uint_eq(p.l4_hlen, 8);
	ck_assert_uint_eq(p.payload_off, 28);
	ck_assert_uint_eq(p.payload_len, 13);
	ck_assert(p.has_l4);
}
END_TEST

/* A UDP length shorter than the IP payload: the rest is ignored. */
START_TEST(test_udp_short_length_trims)
{
	uint8_t b[256];
	struct ph_pkt p;
	size_t len = mk_udp(b, 20);

	pb_put16(b + 24, 8 + 5);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.len, len);
	ck_assert_uint_eq(p.l4_len, 13);
	ck_assert_uint_eq(p.payload_len, 5);
}
END_TEST

/* Buffer bytes past the total length (link padding) are ignored. */
START_TEST(test_trailing_bytes_trimmed)
{
	uint8_t b[256];
	struct ph_pkt p;
	size_t len = mk_tcp(b, 0);

	memset(b + len, 0xee, 30);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len + 30), PH_R_NONE);
	ck_assert_uint_eq(p.len, len);
	ck_assert_uint_eq(p.payload_len, 0);
}
END_TEST

static const struct {
	uint8_t type;
	bool has_id;
} icmp_queries[] = {
	{ PH_ICMP_ECHO, true },
	{ PH_ICMP_ECHOREPLY, true },
	{ PH_ICMP_TSTAMP, true },
	{ PH_ICMP_TSTAMPREPLY, true },
	{ PH_ICMP_IREQ, true },
	{ PH_ICMP_IREQREPLY, true },
	{ PH_ICMP_MASKREQ, true },
	{ PH_ICMP_MASKREPLY, true },
	{ 9, false },  /* router advertisement */
	{ 10, false }, /* router solicitation */
	{ 42, false }, /* extended echo: not treated as a query */
};

START_TEST(test_icmp_query)
{
	uint8_t b[256];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len;

	len = pb_icmp(b, &ip, icmp_queries[_i].type, 0, 0xbeef0007, payload,
		      12);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert(p.has_l4);
	ck_assert_uint_eq(p.icmp.type, icmp_queries[_i].type);
	ck_assert_uint_eq(p.icmp.has_id, icmp_queries[_i].has_id);
	ck_assert(!p.icmp.is_err);
	if (icmp_queries[_i].has_id) {
		ck_assert_uint_eq(p.icmp.id, 0xbeef);
		ck_assert_uint_eq(p.icmp.seq, 7);
	}
	ck_assert_uint_eq(p.sport, 0);
	ck_assert_uint_eq(p.payload_off, 28);
	ck_assert_uint_eq(p.payload_len, 12);
}
END_TEST

static const uint8_t icmp_errors[] = { PH_ICMP_UNREACH, PH_ICMP_SOURCEQUENCH,
				       PH_ICMP_REDIRECT, PH_ICMP_TIMXCEED,
				       PH_ICMP_PARAMPROB };

/* Every error type quoting a TCP header (8 bytes): inner is parsed. */
START_TEST(test_icmp_error_tcp)
{
	uint8_t o[256], b[256];
	struct pb_ip ip = ipv4(A_RTR, A_IN);
	struct ph_pkt p;
	size_t olen = mk_tcp(o, 20), len;

	len = pb_icmp_err(b, &ip, icmp_errors[_i], 1, o, 28);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert(p.icmp.is_err);
	ck_assert(!p.icmp.has_id);
	ck_assert_uint_eq(p.icmp.type, icmp_errors[_i]);
	ck_assert_uint_eq(p.icmp.code, 1);
	ck_assert_uint_eq(p.inner.ip_off, 28);
	ck_assert_uint_eq(p.inner.ip_hlen, 20);
	ck_assert_uint_eq(p.inner.l4_off, 48);
	ck_assert_uint_eq(p.inner.l4_len, 8);
	ck_assert_uint_eq(p.inner.tot_len, olen);
	ck_assert_uint_eq(p.inner.proto, PH_IPPROTO_TCP);
	ck_assert_uint_eq(p.inner.src, A_IN);
	ck_assert_uint_eq(p.inner.dst, A_OUT);
	ck_assert_uint_eq(p.inner.ip_id, 0x1234);
	ck_assert(p.inner.has_l4);
	ck_assert_uint_eq(p.inner.sport, 40000);
	ck_assert_uint_eq(p.inner.dport, 1723);
	ck_assert_uint_eq(ph_pkt_inspected_len(&p), 8 + 28);
}
END_TEST

START_TEST(test_icmp_error_inner_kinds)
{
	uint8_t o[256], b[256];
	struct pb_ip ip = ipv4(A_RTR, A_IN), oip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len, olen;

	/* UDP, whole datagram quoted, IP options in the quote. */
	oip.optlen = 4;
	olen = pb_udp(o, &oip, 1, 2, payload, 4);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 3, o, olen);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.inner.ip_hlen, 24);
	ck_assert_uint_eq(p.inner.l4_off, 28 + 24);
	ck_assert_uint_eq(p.inner.l4_len, 12);
	ck_assert_uint_eq(p.inner.sport, 1);
	ck_assert_uint_eq(p.inner.dport, 2);

	/* ICMP echo quoted by a time-exceeded. */
	oip.optlen = 0;
	olen = pb_icmp(o, &oip, PH_ICMP_ECHO, 0, 0x4242000a, payload, 8);
	len = pb_icmp_err(b, &ip, PH_ICMP_TIMXCEED, 0, o, olen);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.inner.proto, PH_IPPROTO_ICMP);
	ck_assert_uint_eq(p.inner.icmp_type, PH_ICMP_ECHO);
	ck_assert(p.inner.icmp_has_id);
	ck_assert_uint_eq(p.inner.icmp_id, 0x4242);

	/* Enhanced GRE quoted: the key (call ID) is in the first 8 bytes. */
	olen = pb_gre(
		o, &oip,
		&(struct pb_gre){ .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ | 1,
				  .proto = PH_GRE_PROTO_PPP,
				  .key = 0x00100abc,
				  .seq = 1 },
		payload, 16);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, 28);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.inner.proto, PH_IPPROTO_GRE);
	ck_assert_uint_eq(p.inner.gre_ver, 1);
	ck_assert(p.inner.gre_has_key);
	ck_assert_uint_eq(p.inner.gre_key, 0x00100abc);
	ck_assert_uint_eq(p.inner.gre_key_off, 28 + 20 + 4);

	/* GRE v0 with C and K: the key is past the 8 quoted bytes. */
	olen = pb_gre(o, &oip,
		      &(struct pb_gre){ .flags = PH_GRE_F_CSUM | PH_GRE_F_KEY,
					.proto = 0x0800,
					.key = 77 },
		      payload, 16);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, 28);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert(p.inner.has_l4);
	ck_assert(!p.inner.gre_has_key);

	/* Other protocol (ESP): no L4 needed. */
	olen = pb_raw(o, &oip, 50, payload, 4);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, 24);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.inner.proto, 50);
	ck_assert(!p.inner.has_l4);

	/* A quoted later fragment: no L4 in the quote. */
	oip.frag = 100;
	olen = pb_raw(o, &oip, PH_IPPROTO_TCP, payload, 8);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, olen);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.inner.frag_off, 800);
	ck_assert(!p.inner.has_l4);
	ck_assert_uint_eq(p.inner.sport, 0);
	(void)olen;
}
END_TEST

START_TEST(test_gre_v0)
{
	uint8_t b[256];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len;

	len = pb_gre(b, &ip, &(struct pb_gre){ .proto = 0x0800 }, payload, 20);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.gre.ver, 0);
	ck_assert_uint_eq(p.gre.hlen, 4);
	ck_assert(!p.gre.has_key);
	ck_assert_uint_eq(p.gre.key_off, 0);
	ck_assert_uint_eq(p.payload_len, 20);

	len = pb_gre(b, &ip,
		     &(struct pb_gre){ .flags = PH_GRE_F_CSUM | PH_GRE_F_KEY |
						PH_GRE_F_SEQ,
				       .proto = 0x6558,
				       .key = 0xdeadbeef,
				       .seq = 5 },
		     payload, 20);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert(p.gre.has_csum && p.gre.has_key && p.gre.has_seq);
	ck_assert(!p.gre.has_ack);
	ck_assert_uint_eq(p.gre.hlen, 16);
	ck_assert_uint_eq(p.gre.key_off, 28);
	ck_assert_uint_eq(p.gre.key, 0xdeadbeef);
	ck_assert_uint_eq(p.gre.seq, 5);
	ck_assert_uint_eq(p.gre.proto, 0x6558);
	ck_assert_uint_eq(p.payload_off, 36);
	ck_assert_uint_eq(p.payload_len, 20);
}
END_TEST

static const struct {
	const char *name;
	uint16_t flags;
	size_t plen;
	uint8_t hlen;
} gre_v1_cases[] = {
	{ "data", PH_GRE_F_KEY | PH_GRE_F_SEQ | 1, 30, 12 },
	{ "data+ack", PH_GRE_F_KEY | PH_GRE_F_SEQ | PH_GRE_F_ACK | 1, 30, 16 },
	{ "ack-only", PH_GRE_F_KEY | PH_GRE_F_ACK | 1, 0, 12 },
	{ "bare", PH_GRE_F_KEY | 1, 0, 8 },
};

START_TEST(test_gre_v1)
{
	uint8_t b[256];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len, plen = gre_v1_cases[_i].plen;
	uint16_t flags = gre_v1_cases[_i].flags;

	len = pb_gre(b, &ip,
		     &(struct pb_gre){ .flags = flags,
				       .proto = PH_GRE_PROTO_PPP,
				       .key = (uint32_t)plen << 16 | 0x4321,
				       .seq = 11,
				       .ack = 10 },
		     payload, plen);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.gre.ver, 1);
	ck_assert_uint_eq(p.gre.flags, flags);
	ck_assert(p.gre.has_key);
	ck_assert_uint_eq(p.gre.has_seq, (flags & PH_GRE_F_SEQ) != 0);
	ck_assert_uint_eq(p.gre.has_ack, (flags & PH_GRE_F_ACK) != 0);
	ck_assert_uint_eq(p.gre.key & 0xffff, 0x4321);
	ck_assert_uint_eq(p.gre.key >> 16, plen);
	ck_assert_uint_eq(p.gre.key_off, 24);
	ck_assert_uint_eq(p.gre.hlen, gre_v1_cases[_i].hlen);
	if (p.gre.has_seq)
		ck_assert_uint_eq(p.gre.seq, 11);
	if (p.gre.has_ack)
		ck_assert_uint_eq(p.gre.ack, 10);
	ck_assert_uint_eq(p.payload_len, plen);
}
END_TEST

START_TEST(test_other_proto)
{
	uint8_t b[256];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	struct ph_pkt p;
	size_t len = pb_raw(b, &ip, 50, payload, 3);

	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.proto, 50);
	ck_assert(!p.has_l4);
	ck_assert_uint_eq(p.payload_off, 20);
	ck_assert_uint_eq(p.payload_len, 3);
	ck_assert_uint_eq(ph_pkt_inspected_len(&p), 0);
	/* Zero bytes of payload is fine too. */
	len = pb_raw(b, &ip, 89, NULL, 0);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_NONE);
	ck_assert_uint_eq(p.l4_len, 0);
}
END_TEST

/* --- malformed packets ------------------------------------------------ */

enum base { B_TCP, B_UDP, B_ICMP_ERR, B_ICMP_ECHO, B_GRE0, B_GRE1 };

/* A mutation: build base, apply edit (offset, value, width), optionally fix
 * the IP checksum, parse len + dlen bytes. */
struct bad_case {
	const char *name;
	enum base base;
	int off;      /* byte to set, -1 for none */
	unsigned val; /* value written (width 1 or 2) */
	int width;
	bool fix_ip; /* recompute the outer IP checksum after the edit */
	int dlen;    /* change to the buffer length handed to the parser */
	enum ph_reason want;
};

static size_t
mk_base(uint8_t *b, enum base base)
{
	struct pb_ip ip = ipv4(A_RTR, A_IN);
	uint8_t o[128];

	switch (base) {
	case B_TCP:
		return mk_tcp(b, 16);
	case B_UDP:
		return mk_udp(b, 16);
	case B_ICMP_ERR:
		mk_tcp(o, 16);
		return pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 3, o, 28);
	case B_ICMP_ECHO:
		return pb_icmp(b, &ip, PH_ICMP_ECHO, 0, 0x00010002, payload, 4);
	case B_GRE0:
		return pb_gre(b, &ip,
			      &(struct pb_gre){ .flags = PH_GRE_F_KEY,
						.proto = 0x0800,
						.key = 1 },
			      payload, 16);
	case B_GRE1:
		return pb_gre(b, &ip,
			      &(struct pb_gre){ .flags = PH_GRE_F_KEY |
							 PH_GRE_F_SEQ | 1,
						.proto = PH_GRE_PROTO_PPP,
						.key = 16 << 16 | 9 },
			      payload, 16);
	}
	return 0;
}

/* Offsets: IP header at 0, L4 at 20, ICMP quote's IP header at 28. */
static const struct bad_case bad_cases[] = {
	{ "empty", B_TCP, -1, 0, 0, false, -1000, PH_R_SHORT_IP },
	{ "1 byte", B_TCP, -1, 0, 0, false, -1000 + 1, PH_R_SHORT_IP },
	{ "19 bytes", B_TCP, -1, 0, 0, false, -1000 + 19, PH_R_SHORT_IP },
	{ "version 6", B_TCP, 0, 0x65, 1, true, 0, PH_R_BAD_VERSION },
	{ "version 0", B_TCP, 0, 0x05, 1, true, 0, PH_R_BAD_VERSION },
	{ "version 6 short", B_TCP, 0, 0x60, 1, false, -1000 + 1,
	  PH_R_BAD_VERSION },
	{ "ihl 4", B_TCP, 0, 0x44, 1, true, 0, PH_R_BAD_IHL },
	{ "ihl 0", B_TCP, 0, 0x40, 1, true, 0, PH_R_BAD_IHL },
	{ "ihl past buffer", B_TCP, 0, 0x4f, 1, false, -1000 + 40,
	  PH_R_BAD_IHL },
	{ "totlen > buffer", B_TCP, -1, 0, 0, false, -1, PH_R_BAD_TOTLEN },
	{ "totlen huge", B_TCP, 2, 0xffff, 2, true, 0, PH_R_BAD_TOTLEN },
	{ "totlen < ihl", B_TCP, 2, 19, 2, true, 0, PH_R_BAD_TOTLEN },
	{ "totlen 0 (TSO)", B_TCP, 2, 0, 2, true, 0, PH_R_BAD_TOTLEN },
	{ "ip checksum", B_TCP, 10, 0x1111, 2, false, 0, PH_R_BAD_IP_CSUM },
	{ "ip checksum ttl", B_TCP, 8, 63, 1, false, 0, PH_R_BAD_IP_CSUM },
	{ "src loopback", B_TCP, 12, 127, 1, true, 0, PH_R_BAD_ADDR },
	{ "src zero net", B_TCP, 12, 0, 1, true, 0, PH_R_BAD_ADDR },
	{ "src multicast", B_TCP, 12, 224, 1, true, 0, PH_R_BAD_ADDR },
	{ "src broadcast", B_TCP, 12, 255, 1, true, 0, PH_R_BAD_ADDR },
	{ "dst loopback", B_TCP, 16, 127, 1, true, 0, PH_R_BAD_ADDR },
	{ "dst zero net", B_TCP, 16, 0, 1, true, 0, PH_R_BAD_ADDR },
	{ "tcp truncated", B_TCP, 3, 20 + 19, 1, true, 0, PH_R_SHORT_L4 },
	{ "tcp no header", B_TCP, 3, 20, 1, true, 0, PH_R_SHORT_L4 },
	{ "tcp doff 4", B_TCP, 32, 0x40, 1, true, 0, PH_R_BAD_TCP_OFF },
	{ "tcp doff 0", B_TCP, 32, 0x00, 1, true, 0, PH_R_BAD_TCP_OFF },
	{ "tcp doff past end", B_TCP, 32, 0xf0, 1, true, 0, PH_R_BAD_TCP_OFF },
	{ "udp truncated", B_UDP, 3, 20 + 7, 1, true, 0, PH_R_SHORT_L4 },
	{ "udp len 7", B_UDP, 24, 7, 2, true, 0, PH_R_BAD_UDP_LEN },
	{ "udp len 0", B_UDP, 24, 0, 2, true, 0, PH_R_BAD_UDP_LEN },
	{ "udp len long", B_UDP, 24, 8 + 17, 2, true, 0, PH_R_BAD_UDP_LEN },
	{ "icmp truncated", B_ICMP_ECHO, 3, 20 + 7, 1, true, 0, PH_R_SHORT_L4 },
	{ "icmp err short quote", B_ICMP_ERR, 3, 28 + 19, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "icmp err no quote", B_ICMP_ERR, 3, 28, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "icmp err inner version", B_ICMP_ERR, 28, 0x65, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "icmp err inner ihl 4", B_ICMP_ERR, 28, 0x44, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "icmp err inner ihl long", B_ICMP_ERR, 28, 0x47, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "icmp err 7 bytes of l4", B_ICMP_ERR, 3, 28 + 20 + 7, 1, true, 0,
	  PH_R_BAD_ICMP_INNER },
	{ "gre truncated", B_GRE0, 3, 20 + 3, 1, true, 0, PH_R_SHORT_L4 },
	{ "gre key truncated", B_GRE0, 3, 20 + 7, 1, true, 0, PH_R_SHORT_L4 },
	{ "gre version 2", B_GRE0, 21, 0x02, 1, true, 0, PH_R_BAD_GRE },
	{ "gre version 7", B_GRE0, 21, 0x07, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v0 routing", B_GRE0, 20, 0x60, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v0 ssr", B_GRE0, 20, 0x28, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v0 recursion", B_GRE0, 20, 0x21, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v1 no key", B_GRE1, 20, 0x10, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v1 csum", B_GRE1, 20, 0xb0, 1, true, 0, PH_R_BAD_GRE },
	{ "gre v1 proto", B_GRE1, 22, 0x0800, 2, true, 0, PH_R_BAD_GRE },
	{ "gre v1 seq truncated", B_GRE1, 3, 20 + 11, 1, true, 0,
	  PH_R_SHORT_L4 },
};

START_TEST(test_malformed)
{
	const struct bad_case *t = &bad_cases[_i];
	uint8_t b[256], *heap;
	struct ph_pkt p;
	size_t len = mk_base(b, t->base);
	long n;

	if (t->off >= 0 && t->width == 1)
		b[t->off] = (uint8_t)t->val;
	if (t->off >= 0 && t->width == 2)
		pb_put16(b + t->off, (uint16_t)t->val);
	if (t->fix_ip)
		pb_fix_ip(b);
	n = t->dlen <= -500 ? t->dlen + 1000 : (long)len + t->dlen;
	/* An exact-size heap copy: ASan sees any read past the end. */
	heap = malloc(n ? (size_t)n : 1);
	ck_assert_ptr_nonnull(heap);
	memcpy(heap, b, (size_t)n);
	ck_assert_msg(ph_pkt_parse(&p, heap, (size_t)n) == t->want,
		      "%s: got %s want %s", t->name,
		      ph_reason_name(ph_pkt_parse(&p, heap, (size_t)n)),
		      ph_reason_name(t->want));
	free(heap);
}
END_TEST

START_TEST(test_null_buffer)
{
	struct ph_pkt p;

	ck_assert_int_eq(ph_pkt_parse(&p, NULL, 0), PH_R_SHORT_IP);
}
END_TEST

/* An ICMP error quoting an ICMP error is refused (RFC 1122 3.2.2). */
START_TEST(test_icmp_error_about_error)
{
	uint8_t o[256], e[256], b[256];
	struct pb_ip ip = ipv4(A_RTR, A_IN);
	struct ph_pkt p;
	size_t len;

	mk_tcp(o, 0);
	len = pb_icmp_err(e, &ip, PH_ICMP_UNREACH, 3, o, 28);
	len = pb_icmp_err(b, &ip, PH_ICMP_TIMXCEED, 0, e, len);
	ck_assert_int_eq(ph_pkt_parse(&p, b, len), PH_R_BAD_ICMP_INNER);
}
END_TEST

/* --- fragments -------------------------------------------------------- */

struct frag_case {
	const char *name;
	uint8_t proto;
	uint16_t frag; /* raw flags | offset / 8 */
	size_t l4len;  /* bytes after the IP header */
	uint8_t tcp_doff;
	enum ph_reason want;
	bool has_l4;
};

static const struct frag_case frag_cases[] = {
	{ "tcp first", PH_IPPROTO_TCP, PB_MF, 24, 5, PH_R_NONE, true },
	{ "tcp first exact", PH_IPPROTO_TCP, PB_MF, 32, 8, PH_R_NONE, true },
	{ "tcp tiny first", PH_IPPROTO_TCP, PB_MF, 16, 5, PH_R_FRAG, false },
	{ "tcp tiny first opts", PH_IPPROTO_TCP, PB_MF, 24, 10, PH_R_FRAG,
	  false },
	{ "tcp empty first", PH_IPPROTO_TCP, PB_MF, 0, 5, PH_R_FRAG, false },
	{ "tcp first bad doff", PH_IPPROTO_TCP, PB_MF, 24, 2, PH_R_BAD_TCP_OFF,
	  false },
	{ "udp first", PH_IPPROTO_UDP, PB_MF, 8, 0, PH_R_NONE, true },
	{ "udp empty first", PH_IPPROTO_UDP, PB_MF, 0, 0, PH_R_FRAG, false },
	{ "icmp first", PH_IPPROTO_ICMP, PB_MF, 16, 0, PH_R_NONE, true },
	{ "icmp empty first", PH_IPPROTO_ICMP, PB_MF, 0, 0, PH_R_FRAG, false },
	{ "gre empty first", PH_IPPROTO_GRE, PB_MF, 0, 0, PH_R_FRAG, false },
	{ "tcp later", PH_IPPROTO_TCP, PB_MF | 3, 16, 0, PH_R_NONE, false },
	{ "tcp last", PH_IPPROTO_TCP, 3, 5, 0, PH_R_NONE, false },
	{ "tcp last df", PH_IPPROTO_TCP, PB_DF | 185, 5, 0, PH_R_NONE, false },
	{ "tcp overlap 8", PH_IPPROTO_TCP, 1, 16, 0, PH_R_FRAG, false },
	{ "tcp overlap 16", PH_IPPROTO_TCP, PB_MF | 2, 16, 0, PH_R_FRAG,
	  false },
	{ "udp later 8", PH_IPPROTO_UDP, 1, 16, 0, PH_R_NONE, false },
	{ "gre later 8", PH_IPPROTO_GRE, 1, 16, 0, PH_R_NONE, false },
	{ "other later 8", 50, 1, 16, 0, PH_R_NONE, false },
	{ "mf not multiple of 8", PH_IPPROTO_UDP, PB_MF, 12, 0, PH_R_FRAG,
	  false },
	{ "later mf odd", PH_IPPROTO_UDP, PB_MF | 8, 15, 0, PH_R_FRAG, false },
	{ "past 65535", PH_IPPROTO_UDP, 8189, 24, 0, PH_R_FRAG, false },
	{ "ends at 65535", PH_IPPROTO_UDP, 8189, 23, 0, PH_R_NONE, false },
};

START_TEST(test_fragments)
{
	const struct frag_case *t = &frag_cases[_i];
	struct pb_ip ip = ipv4(A_IN, A_OUT);
	uint8_t l4[128], b[256];
	struct ph_pkt p;
	size_t len;

	memset(l4, 0, sizeof(l4));
	pb_put16(l4, 1111);
	pb_put16(l4 + 2, 2222);
	if (t->proto == PH_IPPROTO_TCP)
		l4[12] = (uint8_t)(t->tcp_doff << 4);
	if (t->proto == PH_IPPROTO_UDP)
		pb_put16(l4 + 4, 1000); /* whole datagram, longer */
	if (t->proto == PH_IPPROTO_ICMP)
		l4[0] = PH_ICMP_ECHO;
	if (t->proto == PH_IPPROTO_GRE)
		memset(l4, 0, 4);
	ip.frag = t->frag;
	len = pb_raw(b, &ip, t->proto, l4, t->l4len);
	ck_assert_msg(ph_pkt_parse(&p, b, len) == t->want, "%s: got %s",
		      t->name, ph_reason_name(ph_pkt_parse(&p, b, len)));
	if (t->want != PH_R_NONE)
		return;
	ck_assert(ph_pkt_is_frag(&p));
	ck_assert_uint_eq(ph_pkt_frag_off(&p), (t->frag & 0x1fff) * 8);
	ck_assert_uint_eq(ph_pkt_ip_id(&p), 0x1234);
	ck_assert_uint_eq(ph_pkt_is_first_frag(&p), (t->frag & 0x1fff) == 0);
	ck_assert_uint_eq(ph_pkt_is_later_frag(&p), (t->frag & 0x1fff) != 0);
	ck_assert_uint_eq(p.has_l4, t->has_l4);
	ck_assert_uint_eq(p.df, (t->frag & PB_DF) != 0);
	ck_assert_uint_eq(p.mf, (t->frag & PB_MF) != 0);
	if (t->has_l4) {
		ck_assert_uint_eq(p.l4_len, t->l4len);
		if (t->proto != PH_IPPROTO_ICMP) {
			ck_assert_uint_eq(p.sport, 1111);
			ck_assert_uint_eq(p.dport, 2222);
		}
		ck_assert_uint_eq(ph_pkt_inspected_len(&p), p.l4_hlen);
	} else {
		/* A later fragment: no L4 header, all of it is payload. */
		ck_assert_uint_eq(p.sport, 0);
		ck_assert_uint_eq(p.payload_off, p.l4_off);
		ck_assert_uint_eq(p.payload_len, t->l4len);
		ck_assert_uint_eq(ph_pkt_inspected_len(&p), 0);
	}
}
END_TEST

/* --- robustness ------------------------------------------------------- */

static uint32_t rng_state = 0x9e3779b9;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Offsets in a parsed descriptor never point past the packet. */
static void
check_invariants(const struct ph_pkt *p, const uint8_t *buf, size_t n)
{
	ck_assert_ptr_eq(p->ip, buf);
	ck_assert_uint_le(p->len, n);
	ck_assert_uint_ge(p->ip_hlen, 20);
	ck_assert_uint_le(p->ip_hlen, p->len);
	ck_assert_uint_le((size_t)p->l4_off + p->l4_len, p->len);
	ck_assert_uint_le((size_t)p->payload_off + p->payload_len, p->len);
	ck_assert_uint_le(p->payload_off, p->len);
	if (p->gre.has_key)
		ck_assert_uint_le((size_t)p->gre.key_off + 4, p->len);
	if (p->icmp.is_err) {
		ck_assert_uint_le((size_t)p->inner.l4_off + p->inner.l4_len,
				  p->len);
		ck_assert_uint_ge(p->inner.l4_off,
				  p->inner.ip_off + p->inner.ip_hlen);
		if (p->inner.gre_has_key)
			ck_assert_uint_le((size_t)p->inner.gre_key_off + 4,
					  p->len);
	}
}

/* Every rewrite on whatever parsed: must stay in bounds (ASan). */
static void
rewrite_all(struct ph_pkt *p)
{
	ph_rw_ip_src(p, A_OUT, 0);
	ph_rw_ip_dst(p, A_IN, PH_RW_L4_PARTIAL);
	ph_rw_sport(p, 1, 0);
	ph_rw_dport(p, 2, PH_RW_L4_PARTIAL);
	ph_rw_icmp_id(p, 3);
	ph_rw_gre_key(p, 4);
	ph_rw_gre_call_id(p, 5);
	ph_rw_inner_src(p, A_RTR);
	ph_rw_inner_dst(p, A_RTR);
	ph_rw_inner_sport(p, 6);
	ph_rw_inner_dport(p, 7);
	ph_rw_inner_icmp_id(p, 8);
	ph_rw_inner_gre_key(p, 9);
	ph_rw_inner_gre_call_id(p, 10);
	ph_rw_tcp_payload16(p, p->payload_len > 2 ? 1 : 0, 0xabcd, 0);
}

static size_t
mk_seed(uint8_t *b, unsigned k)
{
	struct pb_ip ip = ipv4(A_RTR, A_IN);
	uint8_t o[128];
	size_t olen;

	switch (k % 8) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		return mk_base(b, (enum base)(k % 8));
	case 6:
		olen = pb_udp(o, &ip, 7, 9, payload, 30);
		return pb_icmp_err(b, &ip, PH_ICMP_TIMXCEED, 0, o, olen);
	default:
		olen = pb_gre(o, &ip,
			      &(struct pb_gre){ .flags = PH_GRE_F_KEY | 1,
						.proto = PH_GRE_PROTO_PPP },
			      NULL, 0);
		return pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 3, o, olen);
	}
}

START_TEST(test_random_robustness)
{
	uint8_t b[512];
	unsigned counts[PH_R_MAX] = { 0 };

	for (unsigned it = 0; it < 200000; it++) {
		size_t len = mk_seed(b, it), n;
		struct ph_pkt p;
		enum ph_reason r;
		uint8_t *heap;

		if (it % 16 == 15) {
			len = rng() % 200;
			for (size_t i = 0; i < len; i++)
				b[i] = (uint8_t)rng();
			if (len)
				b[0] = (uint8_t)(0x40 | (b[0] & 0x0f));
		} else {
			for (unsigned m = rng() % 6; m > 0; m--)
				b[rng() % len] = (uint8_t)rng();
		}
		/* Mostly keep the IP checksum right so parsing goes deep. */
		if (len >= 20 && (b[0] & 0x0f) >= 5 &&
		    (size_t)(b[0] & 0x0f) * 4 <= len && rng() % 4)
			pb_fix_ip(b);
		n = (rng() % 3 == 0) ? rng() % (len + 1) : len;
		heap = malloc(n ? n : 1);
		ck_assert_ptr_nonnull(heap);
		memcpy(heap, b, n);
		r = ph_pkt_parse(&p, heap, n);
		ck_assert_int_lt(r, PH_R_MAX);
		counts[r]++;
		if (r == PH_R_NONE) {
			check_invariants(&p, heap, n);
			rewrite_all(&p);
		}
		free(heap);
	}
	/* The run must reach deep parsing and the malformed paths. */
	ck_assert_uint_gt(counts[PH_R_NONE], 1000);
	ck_assert_uint_gt(counts[PH_R_BAD_IP_CSUM], 100);
	ck_assert_uint_gt(counts[PH_R_BAD_TOTLEN], 100);
	ck_assert_uint_gt(counts[PH_R_BAD_ICMP_INNER], 100);
	ck_assert_uint_gt(counts[PH_R_BAD_GRE], 100);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("parse");
	TCase *tb = tcase_create("malformed");
	TCase *tf = tcase_create("fragments");
	TCase *tr = tcase_create("robustness");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_udp_short_length_trims);
	tcase_add_test(tc, test_trailing_bytes_trimmed);
	tcase_add_loop_test(tc, test_icmp_query, 0,
			    sizeof(icmp_queries) / sizeof(icmp_queries[0]));
	tcase_add_loop_test(tc, test_icmp_error_tcp, 0, sizeof(icmp_errors));
	tcase_add_test(tc, test_icmp_error_inner_kinds);
	tcase_add_test(tc, test_gre_v0);
	tcase_add_loop_test(tc, test_gre_v1, 0,
			    sizeof(gre_v1_cases) / sizeof(gre_v1_cases[0]));
	tcase_add_test(tc, test_other_proto);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tb, test_malformed, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tb, test_null_buffer);
	tcase_add_test(tb, test_icmp_error_about_error);
	suite_add_tcase(s, tb);

	tcase_add_loop_test(tf, test_fragments, 0,
			    sizeof(frag_cases) / sizeof(frag_cases[0]));
	suite_add_tcase(s, tf);

	tcase_add_test(tr, test_random_robustness);
	suite_add_tcase(s, tr);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
