/*
 * test_attack_frag.c - fragment attacks, each with its verdict, drop
 * counter and syslog line (docs/engine.md "Limits and attacks"): tiny
 * first fragments and fragments overlapping the transport header
 * (RFC 1858), a later fragment overlapping the header the decision was
 * taken on, a later fragment whose first fragment was denied by the ACL,
 * a later fragment arriving before its first, and fragments of the PPTP
 * control channel (TCP 1723, inspected): refused, first and later, on a
 * new connection and on an established one, which goes on untouched.
 */
#include "engtest.h"

#include "pptpbuild.h"

static const char *conf =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 192.0.2.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.255.255.0\n"
	"route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
	"fixup protocol pptp 1723\n"
	"static (inside,outside) 192.0.2.5 10.0.0.5\n"
	"access-list out_in permit tcp any host 192.0.2.5 eq 80\n"
	"access-list out_in permit udp any host 192.0.2.5 eq 53\n"
	"access-group out_in in interface outside\n"
	"nat (inside) 1 0 0\n"
	"global (outside) 1 interface\n";

#define GL A(192, 0, 2, 5)
#define G  A(192, 0, 2, 1)
#define F  A(198, 51, 100, 7)
#define C  A(10, 0, 0, 7) /* PPTP client */

static uint64_t
drops(const struct eh *h, unsigned r)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c.drops[r];
}

static uint32_t
conns(const struct eh *h)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c.conns_in_use;
}

/* Raw fragment: proto, IP id, byte offset, MF, n bytes of data. */
static int
frag(struct eh *h, const char *ifn, uint32_t src, uint32_t dst, uint8_t proto,
     uint16_t id, uint16_t off, bool mf, size_t n, uint64_t t)
{
	struct pb_ip ip = { .src = src,
			    .dst = dst,
			    .id = id,
			    .frag = (uint16_t)((mf ? PB_MF : 0) | off / 8) };
	uint8_t pl[64];

	memset(pl, 'z', sizeof(pl));
	h->len = pb_raw(h->buf, &ip, proto, pl, n);
	return eh_run(h, ifn, SEC(t));
}

START_TEST(test_tiny_and_overlapping_fragments)
{
	struct eh *h = eh_new(conf, 0);

	/* a first fragment with 8 bytes of TCP header (RFC 1858 tiny) */
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_TCP, 1, 0, true, 8, 1),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Dropped malformed packet on interface outside: "
		     "fragment");
	/* a later fragment at offset 8, inside where the TCP header is */
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_TCP, 2, 8, false, 16, 2),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Dropped malformed packet on interface outside: "
		     "fragment");
	ck_assert_uint_eq(conns(h), 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* The first fragment carries 20 bytes of TCP options (40 inspected): a
 * later fragment at 24 would rewrite them. */
START_TEST(test_overlap_inspected_header)
{
	struct eh *h = eh_new(conf, 0);
	struct pb_ip ip = { .src = F, .dst = GL, .id = 55, .frag = PB_MF };
	struct pb_tcp t = {
		.sport = 1111, .dport = 80, .flags = PH_TCP_SYN, .optlen = 20
	};

	h->len = pb_tcp(h->buf, &ip, &t, NULL, 0);
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_TCP, 55, 24, true, 16, 1),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny tcp fragment src outside:198.51.100.7 dst "
		     "192.0.2.5 (id 55 offset 24: overlaps the inspected "
		     "header)");
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_TCP, 55, 40, false, 16, 1),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* First fragment denied by the ACL: its later fragments are denied. */
START_TEST(test_later_fragment_of_denied_first)
{
	struct eh *h = eh_new(conf, 0);
	struct pb_ip ip = { .src = F, .dst = GL, .id = 66, .frag = PB_MF };
	uint8_t pl[32] = { 0 };

	h->len = pb_udp(h->buf, &ip, 5000, 54, pl, sizeof(pl));
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ACL);
	eh_expect(h, "Deny udp src outside:198.51.100.7/5000 dst "
		     "inside:192.0.2.5/54 by access-group \"out_in\"");
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_UDP, 66, 40, false, 16, 1),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny udp fragment src outside:198.51.100.7 dst "
		     "192.0.2.5 (id 66 offset 40: no admitted first "
		     "fragment)");
	ck_assert_uint_eq(conns(h), 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Out of order: the later fragment first is dropped (no reordering
 * buffer, fail closed); once the first passed, later ones follow it. */
START_TEST(test_later_fragment_before_first)
{
	struct eh *h = eh_new(conf, 0);
	struct pb_ip ip = { .src = F, .dst = GL, .id = 77, .frag = PB_MF };
	uint8_t pl[32] = { 0 };

	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_UDP, 77, 40, false, 16, 1),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny udp fragment src outside:198.51.100.7 dst "
		     "192.0.2.5 (id 77 offset 40: no admitted first "
		     "fragment)");
	h->len = pb_udp(h->buf, &ip, 5000, 53, pl, sizeof(pl));
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(
		frag(h, "outside", F, GL, PH_IPPROTO_UDP, 77, 40, false, 16, 2),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
	ck_assert_uint_eq(drops(h, PH_R_FRAG), 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A TCP segment to/from 1723 as an IP first fragment (MF set). */
static int
tcp_frag(struct eh *h, const char *ifn, uint32_t src, uint16_t sp, uint32_t dst,
	 uint16_t dp, uint8_t flags, uint32_t seq, uint32_t ack,
	 const uint8_t *pl, size_t n, uint16_t id, uint64_t t)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = id, .frag = PB_MF };
	struct pb_tcp th = {
		.sport = sp, .dport = dp, .flags = flags, .seq = seq, .ack = ack
	};

	h->len = pb_tcp(h->buf, &ip, &th, pl, n);
	return eh_run(h, ifn, SEC(t));
}

START_TEST(test_pptp_control_fragments)
{
	struct eh *h = eh_new(conf, 0);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint16_t gp;

	/* a fragmented SYN to 1723 (with 4 bytes of data, so its first
	 * fragment is a multiple of 8) opens nothing */
	ck_assert_int_eq(tcp_frag(h, "inside", C, 4000, F, 1723, PH_TCP_SYN,
				  999, 0, (const uint8_t *)"abcd", 4, 10, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny tcp fragment src inside:10.0.0.7 dst "
		     "198.51.100.7 (id 10 offset 0: fragment of an inspected "
		     "connection)");
	ck_assert_uint_eq(conns(h), 0);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 305011), 0);
	/* the control connection comes up whole */
	ck_assert_int_eq(eh_tcp_seq(h, "inside", C, 4000, F, 1723, PH_TCP_SYN,
				    999, 0, 0, SEC(2)),
			 PH_VERDICT_ACCEPT);
	gp = eh_sport(h);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F, 1723, G, gp,
				    PH_TCP_SYN | PH_TCP_ACK, 4999, 1000, 0,
				    SEC(2)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", C, 4000, F, 1723, PH_TCP_ACK,
				    1000, 5000, 0, SEC(2)),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	/* SCCRQ as a first fragment (60 of its 156 bytes), then the rest */
	n = pptpb_sccrq(m, PPTPB_VERSION, "client", "test");
	ck_assert_int_eq(tcp_frag(h, "inside", C, 4000, F, 1723,
				  PH_TCP_ACK | PH_TCP_PSH, 1000, 5000, m, 60,
				  11, 3),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny tcp fragment src inside:10.0.0.7 dst "
		     "198.51.100.7 (id 11 offset 0: fragment of an inspected "
		     "connection)");
	ck_assert_int_eq(
		frag(h, "inside", C, F, PH_IPPROTO_TCP, 11, 80, false, 40, 3),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	eh_expect(h, "Deny tcp fragment src inside:10.0.0.7 dst "
		     "198.51.100.7 (id 11 offset 80: no admitted first "
		     "fragment)");
	ck_assert_uint_eq(drops(h, PH_R_FRAG), 3);
	/* the sender retransmits unfragmented: inspected as if nothing
	 * happened (the stream did not move) */
	ck_assert_int_eq(eh_tcp_seq(h, "inside", C, 4000, F, 1723,
				    PH_TCP_ACK | PH_TCP_PSH, 1000, 5000, 0,
				    SEC(4)),
			 PH_VERDICT_ACCEPT);
	{
		struct pb_ip ip = { .src = C, .dst = F, .id = 12 };
		struct pb_tcp th = { .sport = 4000,
				     .dport = 1723,
				     .flags = PH_TCP_ACK | PH_TCP_PSH,
				     .seq = 1000,
				     .ack = 5000 };

		h->len = pb_tcp(h->buf, &ip, &th, m, n);
		ck_assert_int_eq(eh_run(h, "inside", SEC(4)),
				 PH_VERDICT_ACCEPT);
	}
	eh_expect_none(h);
	ck_assert_uint_eq(conns(h), 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("attack_frag");
	TCase *tc = tcase_create("frag");

	tcase_add_test(tc, test_tiny_and_overlapping_fragments);
	tcase_add_test(tc, test_overlap_inspected_header);
	tcase_add_test(tc, test_later_fragment_of_denied_first);
	tcase_add_test(tc, test_later_fragment_before_first);
	tcase_add_test(tc, test_pptp_control_fragments);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
