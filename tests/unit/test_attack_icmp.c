/*
 * test_attack_icmp.c - ICMP errors as an attack, each with its verdict,
 * drop counter and syslog line (docs/engine.md "Limits and attacks"): an
 * error quoting a connection that does not exist creates nothing and does
 * not pass (a flood of them is counted and logged once a second); one
 * addressed to the gateway itself is the host's to judge; one quoting a
 * real connection from an unrelated source (a router on the path) is
 * forwarded, translated; one quoting it but arriving on the wrong
 * interface is not.  (TCP quotes must also be in the window:
 * test_attack_tcp.c.)
 */
#include "engtest.h"

static const char *conf = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.255.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "static (inside,outside) 192.0.2.5 10.0.0.5\n"
			  "conduit permit icmp any any\n";

#define L  A(10, 0, 0, 5)
#define GL A(192, 0, 2, 5)
#define G  A(192, 0, 2, 1)
#define F  A(198, 51, 100, 7)
#define R  A(203, 0, 113, 1)

static uint32_t
conns(const struct eh *h)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c.conns_in_use;
}

/* Port unreachable from src to dst on ifn, quoting UDP qs:qsp -> qd:qdp. */
static int
unreach(struct eh *h, const char *ifn, uint32_t src, uint32_t dst, uint32_t qs,
	uint16_t qsp, uint32_t qd, uint16_t qdp, uint64_t t)
{
	struct pb_ip qip = { .src = qs, .dst = qd, .id = 5 };
	struct pb_ip ip = { .src = src, .dst = dst, .id = 6 };
	uint8_t q[64], pl[8] = { 0 };

	pb_udp(q, &qip, qsp, qdp, pl, sizeof(pl));
	h->len = pb_icmp_err(h->buf, &ip, PH_ICMP_UNREACH, 3, q, 28);
	return eh_run(h, ifn, SEC(t));
}

START_TEST(test_error_quoting_nothing)
{
	struct eh *h = eh_new(conf, 0);
	struct ph_engine_counters c;

	ck_assert_int_eq(unreach(h, "outside", F, GL, GL, 53, F, 5000, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ICMP_NO_CONN);
	eh_expect(h, "Deny icmp (no connection for the quoted packet) src "
		     "outside:198.51.100.7 dst outside:192.0.2.5 (type 3, "
		     "code 3)");
	for (unsigned i = 0; i < 1000; i++)
		ck_assert_int_eq(unreach(h, "outside", F, GL, GL,
					 (uint16_t)(1000 + i), F, 5000, 1),
				 PH_VERDICT_DROP);
	eh_expect_none(h);
	ck_assert_int_eq(unreach(h, "outside", F, GL, GL, 53, F, 5000, 2),
			 PH_VERDICT_DROP);
	eh_expect(h, "Deny icmp (no connection for the quoted packet) src "
		     "outside:198.51.100.7 dst outside:192.0.2.5 (type 3, "
		     "code 3) (1000 more suppressed)");
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.drops[PH_R_ICMP_NO_CONN], 1002);
	ck_assert_uint_eq(c.conns_in_use, 0);
	ck_assert_uint_eq(c.conns_built, 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* To the gateway's own address: the host's stack matches it against its
 * own sockets; pinhole passes it untracked. */
START_TEST(test_error_to_the_box)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(unreach(h, "outside", F, G, G, 53, F, 5000, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	ck_assert_uint_eq(conns(h), 0);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A router on the path reports about a real flow: forwarded, with the
 * outer destination and the quote translated back. */
START_TEST(test_error_from_router_about_real_flow)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(eh_udp(h, "inside", L, 5000, F, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(unreach(h, "outside", R, GL, GL, 5000, F, 53, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), R);
	ck_assert_uint_eq(eh_dst(h), L);
	ck_assert_uint_eq(pb_get32(h->buf + 28 + 12), L); /* quoted src */
	ck_assert(pb_ip_ok(h->buf) && pb_l4_ok(h->buf));
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
	/* the same error entering on the wrong interface matches nothing */
	ck_assert_int_eq(unreach(h, "inside", R, GL, GL, 5000, F, 53, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ICMP_NO_CONN);
	eh_expect(h, "Deny icmp (no connection for the quoted packet) src "
		     "inside:203.0.113.1 dst inside:192.0.2.5 (type 3, code "
		     "3)");
	ck_assert_uint_eq(conns(h), 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("attack_icmp");
	TCase *tc = tcase_create("icmp");

	tcase_add_test(tc, test_error_quoting_nothing);
	tcase_add_test(tc, test_error_to_the_box);
	tcase_add_test(tc, test_error_from_router_about_real_flow);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
