/*
 * test_rewrite.c - every rewrite primitive, checked by recomputing all
 * checksums from scratch (pktbuild.h's oracle) on the rewritten packet and
 * by re-parsing it: full and CHECKSUM_PARTIAL modes, UDP checksum 0, GRE
 * checksums, first and later fragments, ICMP error quotes, TCP payload at
 * odd offsets, and random compositions.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/rewrite.h"
#include "pktbuild.h"

#define A_IN  PB_A(10, 0, 0, 5)
#define A_OUT PB_A(198, 51, 100, 7)
#define A_PAT PB_A(192, 0, 2, 100)
#define A_RTR PB_A(203, 0, 113, 1)

static uint8_t payload[600];

static uint32_t rng_state = 0x2545f491;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
setup(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
}

enum kind {
	K_TCP,
	K_TCP_OPTS, /* IP and TCP options */
	K_UDP,
	K_UDP_NOCSUM,
	K_ICMP_ECHO,
	K_GRE1,
	K_GRE0_CSUM,
	K_ESP,
	K_NKINDS
};

static const char *const kind_names[] = { "tcp",	"tcp-opts",  "udp",
					  "udp-nocsum", "icmp-echo", "gre1",
					  "gre0-csum",	"esp" };

static size_t
mk(uint8_t *b, enum kind k, size_t plen)
{
	struct pb_ip ip = { .src = A_IN, .dst = A_OUT, .id = 77 };
	size_t len, hl;

	switch (k) {
	case K_TCP:
		return pb_tcp(b, &ip,
			      &(struct pb_tcp){ .sport = 40001,
						.dport = 1723,
						.flags = PH_TCP_ACK,
						.seq = 5 },
			      payload, plen);
	case K_TCP_OPTS:
		ip.optlen = 12;
		return pb_tcp(b, &ip,
			      &(struct pb_tcp){ .sport = 40001,
						.dport = 1723,
						.flags = PH_TCP_ACK,
						.optlen = 8 },
			      payload, plen);
	case K_UDP:
		return pb_udp(b, &ip, 1194, 53, payload, plen);
	case K_UDP_NOCSUM:
		len = pb_udp(b, &ip, 1194, 53, payload, plen);
		pb_put16(b + 26, 0);
		return len;
	case K_ICMP_ECHO:
		return pb_icmp(b, &ip, PH_ICMP_ECHO, 0, 0x11110001, payload,
			       plen);
	case K_GRE1:
		return pb_gre(
			b, &ip,
			&(struct pb_gre){ .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ |
						   PH_GRE_F_ACK | 1,
					  .proto = PH_GRE_PROTO_PPP,
					  .key = (uint32_t)plen << 16 | 0x0102,
					  .seq = 1,
					  .ack = 2 },
			payload, plen);
	case K_GRE0_CSUM:
		return pb_gre(b, &ip,
			      &(struct pb_gre){ .flags = PH_GRE_F_CSUM |
							 PH_GRE_F_KEY |
							 PH_GRE_F_SEQ,
						.proto = 0x6558,
						.key = 0x01020304,
						.seq = 9 },
			      payload, plen);
	default:
		hl = pb_raw(b, &ip, 50, payload, plen);
		return hl;
	}
}

static void
parse_ok(struct ph_pkt *p, uint8_t *b, size_t len)
{
	ck_assert_int_eq(ph_pkt_parse(p, b, len), PH_R_NONE);
}

/* All checksums of a whole packet verify from scratch. */
static void
all_ok(const uint8_t *b, const char *what)
{
	ck_assert_msg(pb_ip_ok(b), "%s: IP checksum", what);
	ck_assert_msg(pb_l4_ok(b), "%s: L4 checksum", what);
}

/* --- addresses -------------------------------------------------------- */

START_TEST(test_addr_full)
{
	enum kind k = (enum kind)_i;
	uint8_t b[1024];
	struct ph_pkt p, q;

	for (size_t plen = 0; plen < 6; plen++) {
		size_t len = mk(b, k, plen);

		parse_ok(&p, b, len);
		ck_assert_int_eq(ph_rw_ip_src(&p, A_PAT, 0), 0);
		all_ok(b, kind_names[k]);
		ck_assert_int_eq(ph_rw_ip_dst(&p, A_RTR, 0), 0);
		all_ok(b, kind_names[k]);
		ck_assert_uint_eq(p.src, A_PAT);
		ck_assert_uint_eq(p.dst, A_RTR);
		parse_ok(&q, b, len);
		ck_assert_uint_eq(q.src, A_PAT);
		ck_assert_uint_eq(q.dst, A_RTR);
		if (k == K_UDP_NOCSUM)
			ck_assert_uint_eq(pb_get16(b + 26), 0);
		/* Setting the same address changes nothing. */
		ck_assert_int_eq(ph_rw_ip_src(&p, A_PAT, 0), 0);
		all_ok(b, kind_names[k]);
	}
}
END_TEST

/* CHECKSUM_PARTIAL: addresses update the pseudo sum without complement,
 * ports and payload leave it alone. */
START_TEST(test_addr_ports_partial)
{
	static const enum kind kinds[] = { K_TCP, K_TCP_OPTS, K_UDP };
	enum kind k = kinds[_i];
	uint8_t b[1024];
	struct ph_pkt p;
	size_t len = mk(b, k, 33), coff;
	uint16_t field;

	pb_make_partial(b);
	ck_assert(pb_partial_ok(b));
	parse_ok(&p, b, len);
	coff = p.l4_off + (k == K_UDP ? 6 : 16);

	ck_assert_int_eq(ph_rw_ip_src(&p, A_PAT, PH_RW_L4_PARTIAL), 0);
	ck_assert(pb_ip_ok(b));
	ck_assert(pb_partial_ok(b));
	ck_assert_int_eq(ph_rw_ip_dst(&p, A_RTR, PH_RW_L4_PARTIAL), 0);
	ck_assert(pb_ip_ok(b));
	ck_assert(pb_partial_ok(b));

	field = pb_get16(b + coff);
	ck_assert_int_eq(ph_rw_sport(&p, 1024, PH_RW_L4_PARTIAL), 0);
	ck_assert_int_eq(ph_rw_dport(&p, 4500, PH_RW_L4_PARTIAL), 0);
	ck_assert_uint_eq(pb_get16(b + coff), field);
	ck_assert_uint_eq(pb_get16(b + p.l4_off), 1024);
	ck_assert_uint_eq(pb_get16(b + p.l4_off + 2), 4500);
	if (k != K_UDP) {
		ck_assert_int_eq(
			ph_rw_tcp_payload16(&p, 3, 0xbeef, PH_RW_L4_PARTIAL),
			0);
		ck_assert_uint_eq(pb_get16(b + coff), field);
	}

	/* The full-mode update is wrong for a partial field (and vice
	 * versa): the oracle tells them apart. */
	ck_assert_int_eq(ph_rw_ip_src(&p, A_IN, 0), 0);
	ck_assert(!pb_partial_ok(b));
}
END_TEST

/* A UDP checksum that comes out as 0 is sent as 0xffff (RFC 768). */
START_TEST(test_udp_zero_result)
{
	uint8_t b[256];
	struct ph_pkt p;
	size_t len = mk(b, K_UDP, 10);
	uint16_t s, old = 1194, port;

	/* Search the source port whose from-scratch UDP sum, with the
	 * checksum field 0, is 0xffff: its checksum computes to 0. */
	s = pb_sum(b + 20, len - 20, pb_pseudo(b, PH_IPPROTO_UDP, len - 20));
	ck_assert_uint_eq(s, 0xffff);
	for (port = 0;; port++) {
		uint8_t t[256];

		memcpy(t, b, len);
		pb_put16(t + 20, port);
		pb_put16(t + 26, 0);
		if (pb_sum(t + 20, len - 20,
			   pb_pseudo(t, PH_IPPROTO_UDP, len - 20)) == 0xffff)
			break;
		ck_assert_uint_ne(port, 0xffff);
	}
	parse_ok(&p, b, len);
	ck_assert_uint_ne(port, old);
	ck_assert_int_eq(ph_rw_sport(&p, port, 0), 0);
	ck_assert_uint_eq(pb_get16(b + 26), 0xffff);
	all_ok(b, "udp zero");
}
END_TEST

START_TEST(test_ports_full)
{
	static const enum kind kinds[] = { K_TCP, K_TCP_OPTS, K_UDP,
					   K_UDP_NOCSUM };
	enum kind k = kinds[_i];
	uint8_t b[1024];
	struct ph_pkt p, q;

	for (size_t plen = 0; plen < 5; plen++) {
		size_t len = mk(b, k, plen);

		parse_ok(&p, b, len);
		for (int i = 0; i < 200; i++) {
			uint16_t s = (uint16_t)rng(), d = (uint16_t)rng();

			ck_assert_int_eq(ph_rw_sport(&p, s, 0), 0);
			ck_assert_int_eq(ph_rw_dport(&p, d, 0), 0);
			all_ok(b, kind_names[k]);
			parse_ok(&q, b, len);
			ck_assert_uint_eq(q.sport, s);
			ck_assert_uint_eq(q.dport, d);
			ck_assert_uint_eq(p.sport, s);
			ck_assert_uint_eq(p.dport, d);
		}
		if (k == K_UDP_NOCSUM)
			ck_assert_uint_eq(pb_get16(b + 26), 0);
	}
}
END_TEST

START_TEST(test_wrong_field_einval)
{
	uint8_t b[256], c[256];
	struct ph_pkt p;
	size_t len;

	for (int k = 0; k < K_NKINDS; k++) {
		len = mk(b, (enum kind)k, 8);
		memcpy(c, b, len);
		parse_ok(&p, b, len);
		if (p.proto != PH_IPPROTO_TCP && p.proto != PH_IPPROTO_UDP) {
			ck_assert_int_eq(ph_rw_sport(&p, 1, 0), -EINVAL);
			ck_assert_int_eq(ph_rw_dport(&p, 1, 0), -EINVAL);
		}
		if (p.proto != PH_IPPROTO_ICMP)
			ck_assert_int_eq(ph_rw_icmp_id(&p, 1), -EINVAL);
		if (p.proto != PH_IPPROTO_GRE)
			ck_assert_int_eq(ph_rw_gre_key(&p, 1), -EINVAL);
		if (p.proto != PH_IPPROTO_GRE || p.gre.ver != 1)
			ck_assert_int_eq(ph_rw_gre_call_id(&p, 1), -EINVAL);
		if (p.proto != PH_IPPROTO_TCP)
			ck_assert_int_eq(ph_rw_tcp_payload16(&p, 0, 1, 0),
					 -EINVAL);
		ck_assert_int_eq(ph_rw_inner_src(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_dst(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_sport(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_dport(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_icmp_id(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_gre_key(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_gre_call_id(&p, 1), -EINVAL);
		ck_assert_msg(memcmp(b, c, len) == 0, "%s changed",
			      kind_names[k]);
	}
	/* ICMP types without an id. */
	struct pb_ip ip = { .src = A_IN, .dst = A_OUT };
	len = pb_icmp(b, &ip, 9, 0, 0x01020304, NULL, 0);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_icmp_id(&p, 1), -EINVAL);
	/* GRE v0 without a key. */
	len = pb_gre(b, &ip, &(struct pb_gre){ .proto = 0x0800 }, payload, 4);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_gre_key(&p, 1), -EINVAL);
}
END_TEST

START_TEST(test_icmp_id)
{
	uint8_t b[1024];
	struct ph_pkt p, q;

	for (size_t plen = 0; plen < 7; plen++) {
		size_t len = mk(b, K_ICMP_ECHO, plen);

		parse_ok(&p, b, len);
		for (int i = 0; i < 100; i++) {
			uint16_t id = (uint16_t)rng();

			ck_assert_int_eq(ph_rw_icmp_id(&p, id), 0);
			all_ok(b, "icmp id");
			parse_ok(&q, b, len);
			ck_assert_uint_eq(q.icmp.id, id);
			ck_assert_uint_eq(q.icmp.seq, 1);
		}
	}
}
END_TEST

START_TEST(test_gre_key)
{
	uint8_t b[1024];
	struct ph_pkt p, q;
	size_t len;

	/* Enhanced GRE: the call ID is the low half; the payload length in
	 * the high half stays. */
	len = mk(b, K_GRE1, 21);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_gre_call_id(&p, 0xfedc), 0);
	all_ok(b, "gre1");
	parse_ok(&q, b, len);
	ck_assert_uint_eq(q.gre.key, 21u << 16 | 0xfedc);
	ck_assert_uint_eq(p.gre.key, q.gre.key);
	ck_assert_uint_eq(q.gre.seq, 1);
	ck_assert_uint_eq(q.gre.ack, 2);

	/* GRE v0 with C: the GRE checksum follows the key. */
	for (size_t plen = 0; plen < 6; plen++) {
		len = mk(b, K_GRE0_CSUM, plen);
		parse_ok(&p, b, len);
		for (int i = 0; i < 50; i++) {
			uint32_t key = rng();

			ck_assert_int_eq(ph_rw_gre_key(&p, key), 0);
			ck_assert_msg(pb_l4_ok(b), "gre0 csum plen %zu", plen);
			parse_ok(&q, b, len);
			ck_assert_uint_eq(q.gre.key, key);
		}
		ck_assert_int_eq(ph_rw_gre_call_id(&p, 1), -EINVAL);
	}
}
END_TEST

/* --- fragments -------------------------------------------------------- */

/* The first fragment carries the whole datagram's L4 checksum: after an
 * address rewrite it must verify against the reassembled datagram. */
START_TEST(test_first_fragment)
{
	static const enum kind kinds[] = { K_TCP, K_UDP };
	enum kind k = kinds[_i];
	uint8_t whole[1024], frag[1024];
	struct ph_pkt p;
	size_t len = mk(whole, k, 100), flen = 20 + 48;

	memcpy(frag, whole, flen);
	pb_put16(frag + 2, (uint16_t)flen);
	pb_put16(frag + 6, PB_MF);
	pb_fix_ip(frag);
	parse_ok(&p, frag, flen);
	ck_assert(ph_pkt_is_first_frag(&p));
	ck_assert_int_eq(ph_rw_ip_src(&p, A_PAT, 0), 0);
	ck_assert_int_eq(ph_rw_sport(&p, 2000, 0), 0);
	ck_assert(pb_ip_ok(frag));
	/* Reassemble: rewritten header + first 48 bytes, original rest. */
	memcpy(whole + 12, frag + 12, 4);
	memcpy(whole + 20, frag + 20, 48);
	pb_fix_ip(whole);
	all_ok(whole, kind_names[k]);
	(void)len;
}
END_TEST

START_TEST(test_later_fragment)
{
	struct pb_ip ip = { .src = A_IN, .dst = A_OUT, .frag = PB_MF | 6 };
	uint8_t b[256], c[256];
	struct ph_pkt p;
	size_t len = pb_raw(b, &ip, PH_IPPROTO_TCP, payload, 24);

	memcpy(c, b, len);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_ip_dst(&p, A_PAT, 0), 0);
	ck_assert(pb_ip_ok(b));
	ck_assert_uint_eq(pb_get32(b + 16), A_PAT);
	/* The data after the IP header is untouched. */
	ck_assert(memcmp(b + 20, c + 20, 24) == 0);
	ck_assert_int_eq(ph_rw_dport(&p, 1, 0), -EINVAL);
	ck_assert_int_eq(ph_rw_tcp_payload16(&p, 0, 1, 0), -EINVAL);
}
END_TEST

/* --- ICMP errors ------------------------------------------------------ */

enum inner_kind {
	I_TCP8,	   /* TCP, 8 bytes quoted */
	I_TCP,	   /* TCP, whole datagram quoted */
	I_UDP,	   /* UDP, whole */
	I_UDP0,	   /* UDP without checksum, whole */
	I_ICMP,	   /* echo, whole */
	I_GRE1,	   /* enhanced GRE, 8 bytes */
	I_TCP_OPT, /* TCP, IP options in the quote, whole */
	I_NKINDS
};

static const char *const inner_names[] = { "tcp8", "tcp",  "udp",    "udp0",
					   "icmp", "gre1", "tcp-opt" };

/* An error from A_RTR to A_PAT about a packet A_PAT -> A_OUT (as seen on
 * the outside before un-NAT).  Returns the length; *olen the quote's. */
static size_t
mk_err(uint8_t *b, enum inner_kind k, size_t *olen)
{
	struct pb_ip ip = { .src = A_RTR, .dst = A_PAT, .id = 1 };
	struct pb_ip oip = { .src = A_PAT, .dst = A_OUT, .id = 2 };
	uint8_t o[256];
	size_t n, quote;

	if (k == I_TCP_OPT)
		oip.optlen = 8;
	switch (k) {
	case I_TCP8:
	case I_TCP:
	case I_TCP_OPT:
		n = pb_tcp(o, &oip,
			   &(struct pb_tcp){ .sport = 1025,
					     .dport = 80,
					     .flags = PH_TCP_SYN },
			   payload, 13);
		break;
	case I_UDP:
	case I_UDP0:
		n = pb_udp(o, &oip, 1025, 53, payload, 17);
		if (k == I_UDP0)
			pb_put16(o + 26, 0);
		break;
	case I_ICMP:
		n = pb_icmp(o, &oip, PH_ICMP_ECHO, 0, 0x03330001, payload, 9);
		break;
	default:
		n = pb_gre(o, &oip,
			   &(struct pb_gre){ .flags = PH_GRE_F_KEY |
						      PH_GRE_F_SEQ | 1,
					     .proto = PH_GRE_PROTO_PPP,
					     .key = 40u << 16 | 0x0777 },
			   payload, 40);
		break;
	}
	quote = (k == I_TCP8 || k == I_GRE1) ? 28 : n;
	*olen = quote;
	return pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 3, o, quote);
}

static void
inner_all_ok(const uint8_t *b, const struct ph_pkt *p, enum inner_kind k)
{
	const uint8_t *in = b + p->inner.ip_off;

	all_ok(b, inner_names[k]);
	ck_assert_msg(pb_ip_ok(in), "%s: quoted IP checksum", inner_names[k]);
	if (k != I_TCP8 && k != I_GRE1)
		ck_assert_msg(pb_l4_ok(in), "%s: quoted L4 checksum",
			      inner_names[k]);
}

/* Un-NAT an inbound error: outer dst and quoted src back to the inside
 * host, quoted port/id/call ID back to the inside one. */
START_TEST(test_icmp_error_translate)
{
	enum inner_kind k = (enum inner_kind)_i;
	uint8_t b[1024];
	struct ph_pkt p, q;
	size_t olen, len = mk_err(b, k, &olen);

	parse_ok(&p, b, len);
	ck_assert(p.icmp.is_err);
	ck_assert_int_eq(ph_rw_ip_dst(&p, A_IN, 0), 0);
	inner_all_ok(b, &p, k);
	ck_assert_int_eq(ph_rw_inner_src(&p, A_IN), 0);
	inner_all_ok(b, &p, k);
	ck_assert_int_eq(ph_rw_inner_dst(&p, A_RTR), 0);
	inner_all_ok(b, &p, k);
	switch (k) {
	case I_ICMP:
		ck_assert_int_eq(ph_rw_inner_icmp_id(&p, 0x0444), 0);
		ck_assert_int_eq(ph_rw_inner_sport(&p, 1), -EINVAL);
		break;
	case I_GRE1:
		ck_assert_int_eq(ph_rw_inner_gre_call_id(&p, 0x0999), 0);
		ck_assert_int_eq(ph_rw_inner_icmp_id(&p, 1), -EINVAL);
		break;
	default:
		ck_assert_int_eq(ph_rw_inner_sport(&p, 33000), 0);
		inner_all_ok(b, &p, k);
		ck_assert_int_eq(ph_rw_inner_dport(&p, 8080), 0);
		ck_assert_int_eq(ph_rw_inner_icmp_id(&p, 1), -EINVAL);
		ck_assert_int_eq(ph_rw_inner_gre_key(&p, 1), -EINVAL);
		break;
	}
	inner_all_ok(b, &p, k);
	if (k == I_UDP0)
		ck_assert_uint_eq(pb_get16(b + p.inner.l4_off + 6), 0);

	parse_ok(&q, b, len);
	ck_assert_uint_eq(q.dst, A_IN);
	ck_assert_uint_eq(q.inner.src, A_IN);
	ck_assert_uint_eq(q.inner.dst, A_RTR);
	ck_assert_uint_eq(p.inner.src, A_IN);
	ck_assert_uint_eq(p.inner.dst, A_RTR);
	if (k == I_ICMP) {
		ck_assert_uint_eq(q.inner.icmp_id, 0x0444);
	} else if (k == I_GRE1) {
		ck_assert_uint_eq(q.inner.gre_key, 40u << 16 | 0x0999);
		ck_assert_uint_eq(p.inner.gre_key, q.inner.gre_key);
	} else {
		ck_assert_uint_eq(q.inner.sport, 33000);
		ck_assert_uint_eq(q.inner.dport, 8080);
		ck_assert_uint_eq(p.inner.sport, 33000);
	}
	(void)olen;
}
END_TEST

/* A quoted GRE v0 with C and K (key at byte 8, past 8 bytes) cannot be
 * rewritten unless the quote holds it; with C, its checksum is fixed. */
START_TEST(test_icmp_error_gre0)
{
	struct pb_ip ip = { .src = A_RTR, .dst = A_PAT };
	struct pb_ip oip = { .src = A_PAT, .dst = A_OUT };
	uint8_t o[256], b[512];
	struct ph_pkt p;
	size_t n, len;

	n = pb_gre(o, &oip,
		   &(struct pb_gre){ .flags = PH_GRE_F_CSUM | PH_GRE_F_KEY,
				     .proto = 0x0800,
				     .key = 5 },
		   payload, 30);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, 28);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_inner_gre_key(&p, 6), -EINVAL);
	len = pb_icmp_err(b, &ip, PH_ICMP_UNREACH, 1, o, n);
	parse_ok(&p, b, len);
	ck_assert_int_eq(ph_rw_inner_gre_key(&p, 6), 0);
	ck_assert_int_eq(ph_rw_inner_gre_call_id(&p, 6), -EINVAL); /* v0 */
	all_ok(b, "gre0 quote");
	ck_assert(pb_l4_ok(b + p.inner.ip_off)); /* the GRE checksum */
	ck_assert_uint_eq(pb_get32(b + p.inner.gre_key_off), 6);
}
END_TEST

/* --- TCP payload ------------------------------------------------------ */

START_TEST(test_tcp_payload_offsets)
{
	static const enum kind kinds[] = { K_TCP, K_TCP_OPTS };
	uint8_t b[1024], nv[5] = { 0xde, 0xad, 0xbe, 0xef, 0x42 };

	for (size_t ki = 0; ki < 2; ki++) {
		for (size_t off = 0; off < 12; off++) {
			for (size_t n = 1; n <= sizeof(nv); n++) {
				size_t len = mk(b, kinds[ki], 17);
				struct ph_pkt p;

				parse_ok(&p, b, len);
				ck_assert_int_eq(
					ph_rw_tcp_payload(&p, off, nv, n, 0),
					0);
				ck_assert_msg(pb_l4_ok(b), "off %zu n %zu", off,
					      n);
				ck_assert(memcmp(b + p.payload_off + off, nv,
						 n) == 0);
			}
		}
	}
}
END_TEST

/* A PPTP call ID at an odd payload offset straddles two checksum words. */
START_TEST(test_tcp_payload16_odd)
{
	uint8_t b[1024], c[1024];
	struct ph_pkt p;
	size_t len = mk(b, K_TCP, 156);

	parse_ok(&p, b, len);
	for (size_t off = 0; off + 2 <= 156; off++) {
		ck_assert_int_eq(ph_rw_tcp_payload16(
					 &p, off, (uint16_t)(0x1234 + off), 0),
				 0);
		ck_assert_msg(pb_l4_ok(b), "offset %zu", off);
		ck_assert_uint_eq(pb_get16(b + p.payload_off + off),
				  0x1234 + off);
	}
	/* Out of range: refused, nothing written. */
	memcpy(c, b, len);
	ck_assert_int_eq(ph_rw_tcp_payload16(&p, 155, 1, 0), -EINVAL);
	ck_assert_int_eq(ph_rw_tcp_payload16(&p, 156, 1, 0), -EINVAL);
	ck_assert_int_eq(ph_rw_tcp_payload16(&p, (size_t)-1, 1, 0), -EINVAL);
	ck_assert_int_eq(ph_rw_tcp_payload(&p, 0, payload, 157, 0), -EINVAL);
	ck_assert(memcmp(b, c, len) == 0);
	/* Zero bytes at the end is a no-op that succeeds. */
	ck_assert_int_eq(ph_rw_tcp_payload(&p, 156, payload, 0, 0), 0);
}
END_TEST

/* --- random compositions --------------------------------------------- */

START_TEST(test_random_compositions)
{
	uint8_t b[1024];

	for (int it = 0; it < 3000; it++) {
		enum kind k = (enum kind)(rng() % K_NKINDS);
		size_t len = mk(b, k, rng() % 300);
		struct ph_pkt p;

		parse_ok(&p, b, len);
		for (int step = 0; step < 8; step++) {
			switch (rng() % 7) {
			case 0:
				ph_rw_ip_src(
					&p, rng() % 0xdf000000 + 0x01000000, 0);
				break;
			case 1:
				ph_rw_ip_dst(
					&p, rng() % 0xdf000000 + 0x01000000, 0);
				break;
			case 2:
				ph_rw_sport(&p, (uint16_t)rng(), 0);
				break;
			case 3:
				ph_rw_dport(&p, (uint16_t)rng(), 0);
				break;
			case 4:
				ph_rw_icmp_id(&p, (uint16_t)rng());
				break;
			case 5:
				ph_rw_gre_key(&p, rng());
				break;
			default:
				if (p.payload_len >= 2)
					ph_rw_tcp_payload16(
						&p, rng() % (p.payload_len - 1),
						(uint16_t)rng(), 0);
				break;
			}
			ck_assert_msg(pb_ip_ok(b) && pb_l4_ok(b),
				      "iteration %d step %d kind %s", it, step,
				      kind_names[k]);
		}
	}
}
END_TEST

START_TEST(test_random_icmp_errors)
{
	uint8_t b[1024];

	for (int it = 0; it < 3000; it++) {
		enum inner_kind k = (enum inner_kind)(rng() % I_NKINDS);
		size_t olen, len = mk_err(b, k, &olen);
		struct ph_pkt p;

		parse_ok(&p, b, len);
		for (int step = 0; step < 6; step++) {
			uint32_t v = rng();

			switch (v % 6) {
			case 0:
				ph_rw_inner_src(&p, v);
				break;
			case 1:
				ph_rw_inner_dst(&p, v);
				break;
			case 2:
				ph_rw_inner_sport(&p, (uint16_t)(v >> 8));
				break;
			case 3:
				ph_rw_inner_dport(&p, (uint16_t)(v >> 8));
				break;
			case 4:
				ph_rw_inner_icmp_id(&p, (uint16_t)(v >> 8));
				break;
			default:
				ph_rw_inner_gre_call_id(&p, (uint16_t)(v >> 8));
				break;
			}
			inner_all_ok(b, &p, k);
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("rewrite");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_loop_test(tc, test_addr_full, 0, K_NKINDS);
	tcase_add_loop_test(tc, test_addr_ports_partial, 0, 3);
	tcase_add_test(tc, test_udp_zero_result);
	tcase_add_loop_test(tc, test_ports_full, 0, 4);
	tcase_add_test(tc, test_wrong_field_einval);
	tcase_add_test(tc, test_icmp_id);
	tcase_add_test(tc, test_gre_key);
	tcase_add_loop_test(tc, test_first_fragment, 0, 2);
	tcase_add_test(tc, test_later_fragment);
	tcase_add_loop_test(tc, test_icmp_error_translate, 0, I_NKINDS);
	tcase_add_test(tc, test_icmp_error_gre0);
	tcase_add_test(tc, test_tcp_payload_offsets);
	tcase_add_test(tc, test_tcp_payload16_odd);
	tcase_add_test(tc, test_random_compositions);
	tcase_add_test(tc, test_random_icmp_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
