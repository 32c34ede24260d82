/*
 * test_attack_limits.c - limits hit on purpose, each with its verdict,
 * drop counter and syslog line, and nothing else disturbed
 * (docs/engine.md "Limits and attacks"): a SYN flood at a static with an
 * embryonic limit (established connections carry on, slots come back
 * when a handshake completes or times out), max_conns of a static (TCP
 * and UDP) and of a nat line (no xlate is built for a refused
 * connection), the engine's global embryonic limit, the connection table
 * full and recovering after expiry, PAT ports exhausted (305006), a
 * global pool exhausted (pool, then PAT, then 305006 "portmap"; a pool
 * with no PAT behind it: 305006 "regular"), and limits kept
 * across a reload (counts recounted, new limits applied at once).
 */
#include "engtest.h"

static const char *conf =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 192.0.2.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.0.0.0\n"
	"route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
	"static (inside,outside) 192.0.2.5 10.0.0.5 netmask 255.255.255.255 "
	"100 10\n"
	"static (inside,outside) 192.0.2.6 10.0.0.6 netmask 255.255.255.255 "
	"3 0\n"
	"static (inside,outside) 192.0.2.7 10.0.0.7 netmask 255.255.255.255 "
	"2\n"
	"static (inside,outside) 192.0.2.8 10.0.0.8\n"
	"conduit permit tcp 192.0.2.0 255.255.255.0 eq 80 any\n"
	"conduit permit udp 192.0.2.0 255.255.255.0 eq 53 any\n"
	"conduit permit icmp 192.0.2.0 255.255.255.0 any\n"
	"nat (inside) 1 10.0.1.0 255.255.255.0 3 2\n"
	"global (outside) 1 interface\n"
	"nat (inside) 2 10.0.2.0 255.255.255.0\n"
	"global (outside) 2 192.0.2.20\n"
	"nat (inside) 3 10.0.3.0 255.255.255.0\n"
	"global (outside) 3 192.0.2.30-192.0.2.31\n"
	"global (outside) 3 192.0.2.32\n"
	"nat (inside) 4 10.0.4.0 255.255.255.0\n"
	"global (outside) 4 192.0.2.40-192.0.2.41\n";

#define F A(198, 51, 100, 7)

static struct ph_engine_counters
ctr(const struct eh *h)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c;
}

/* A SYN from the outside host F+i (port 1000 + i) to dst:80. */
static int
syn_in(struct eh *h, unsigned i, uint32_t dst, uint64_t t)
{
	return eh_tcp_seq(h, "outside", F + i, (uint16_t)(1000 + i), dst, 80,
			  PH_TCP_SYN, 7000, 0, 0, SEC(t));
}

START_TEST(test_syn_flood_at_static)
{
	struct eh *h = eh_new(conf, 0);
	uint32_t gl = A(192, 0, 2, 5), l = A(10, 0, 0, 5);

	/* an established connection from before the flood */
	ck_assert_int_eq(syn_in(h, 200, gl, 1), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", l, 80, F + 200, 1200,
				    PH_TCP_SYN | PH_TCP_ACK, 100, 7001, 0,
				    SEC(1)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F + 200, 1200, gl, 80,
				    PH_TCP_ACK, 7001, 101, 0, SEC(1)),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	/* the flood: 10 embryonic connections fit, the rest are refused */
	for (unsigned i = 0; i < 10; i++)
		ck_assert_int_eq(syn_in(h, i, gl, 2), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(syn_in(h, 10, gl, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_EMB_LIMIT);
	eh_expect(h, "Embryonic limit exceeded 10/10 for 198.51.100.17/1010 "
		     "(192.0.2.5) 10.0.0.5/80 on interface outside");
	for (unsigned i = 11; i < 111; i++)
		ck_assert_int_eq(syn_in(h, i, gl, 2), PH_VERDICT_DROP);
	eh_expect_none(h); /* one line a second */
	ck_assert_uint_eq(ctr(h).drops[PH_R_EMB_LIMIT], 101);
	ck_assert_uint_eq(ctr(h).conns_in_use, 11);
	ck_assert_uint_eq(ctr(h).emb_in_use, 10);
	/* established traffic is untouched */
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F + 200, 1200, gl, 80,
				    PH_TCP_ACK | PH_TCP_PSH, 7001, 101, 50,
				    SEC(2)),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), l);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", l, 80, F + 200, 1200,
				    PH_TCP_ACK | PH_TCP_PSH, 101, 7051, 50,
				    SEC(2)),
			 PH_VERDICT_ACCEPT);
	/* a handshake that completes gives its slot back */
	ck_assert_int_eq(eh_tcp_seq(h, "inside", l, 80, F + 3, 1003,
				    PH_TCP_SYN | PH_TCP_ACK, 100, 7001, 0,
				    SEC(3)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F + 3, 1003, gl, 80,
				    PH_TCP_ACK, 7001, 101, 0, SEC(3)),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ctr(h).emb_in_use, 9);
	ck_assert_int_eq(syn_in(h, 300, gl, 3), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(syn_in(h, 301, gl, 3), PH_VERDICT_DROP);
	eh_expect(h, "Embryonic limit exceeded 10/10 for 198.51.101.52/1301 "
		     "(192.0.2.5) 10.0.0.5/80 on interface outside (100 more "
		     "suppressed)");
	/* the embryonic timeout (0:00:30) frees the flood's slots */
	ph_engine_tick(h->eng, ph_time_from_sec(40));
	eh_skip(h);
	ck_assert_uint_eq(ctr(h).emb_in_use, 0);
	ck_assert_uint_eq(ctr(h).conns_in_use, 2);
	ck_assert_int_eq(syn_in(h, 400, gl, 40), PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Complete an inbound handshake from F+i to dst:80. */
static void
conn_in(struct eh *h, unsigned i, uint32_t dst, uint32_t real, uint64_t t)
{
	ck_assert_int_eq(syn_in(h, i, dst, t), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(
		eh_tcp_seq(h, "inside", real, 80, F + i, (uint16_t)(1000 + i),
			   PH_TCP_SYN | PH_TCP_ACK, 100, 7001, 0, SEC(t)),
		PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F + i, (uint16_t)(1000 + i),
				    dst, 80, PH_TCP_ACK, 7001, 101, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
}

START_TEST(test_static_max_conns)
{
	struct eh *h = eh_new(conf, 0);
	uint32_t g6 = A(192, 0, 2, 6), g7 = A(192, 0, 2, 7);

	for (unsigned i = 0; i < 3; i++)
		conn_in(h, i, g6, A(10, 0, 0, 6), 1);
	eh_skip(h);
	ck_assert_int_eq(syn_in(h, 3, g6, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_MAX_CONNS);
	eh_expect(h, "Too many TCP connections on static 192.0.2.6! 0 3");
	/* ICMP is not counted */
	ck_assert_int_eq(eh_icmp(h, "outside", F, g6, PH_ICMP_ECHO, 9, 1, 1),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	/* UDP: two flows, the third refused */
	ck_assert_int_eq(eh_udp(h, "outside", F, 5000, g7, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_udp(h, "outside", F, 5001, g7, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(eh_udp(h, "outside", F, 5002, g7, 53, 10, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_MAX_CONNS);
	eh_expect(h, "Too many UDP connections on static 192.0.2.7! 2");
	/* existing flows go on */
	ck_assert_int_eq(eh_udp(h, "outside", F, 5000, g7, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	/* a connection that ends frees its place */
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F, 1000, g6, 80, PH_TCP_RST,
				    7001, 0, 0, SEC(2)),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(syn_in(h, 3, g6, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ctr(h).drops[PH_R_MAX_CONNS], 2);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* nat (inside) 1 10.0.1.0/24 max 3 embryonic 2, PAT on the interface:
 * a refused connection builds no translation. */
START_TEST(test_nat_limits)
{
	struct eh *h = eh_new(conf, 0);
	uint32_t l = A(10, 0, 1, 5);
	struct ph_engine_counters c;

	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(eh_tcp_seq(h, "inside", l,
					    (uint16_t)(3000 + i), F, 80,
					    PH_TCP_SYN, 100, 0, 0, SEC(1)),
				 PH_VERDICT_ACCEPT);
	eh_skip(h);
	c = ctr(h);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", l, 3002, F, 80, PH_TCP_SYN,
				    100, 0, 0, SEC(1)),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_EMB_LIMIT);
	eh_expect(h, "Embryonic limit exceeded 2/2 for 198.51.100.7/80 "
		     "(10.0.1.5) 10.0.1.5/3002 on interface inside");
	eh_expect_none(h); /* no 305011 */
	ck_assert_uint_eq(ctr(h).xlates_in_use, c.xlates_in_use);
	/* UDP counts toward max_conns (3) but is never embryonic */
	ck_assert_int_eq(eh_udp(h, "inside", l, 3003, F, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	c = ctr(h);
	ck_assert_int_eq(eh_udp(h, "inside", l, 3004, F, 53, 10, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_MAX_CONNS);
	eh_expect(h, "Too many UDP connections on xlate 10.0.1.5! 3");
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).xlates_in_use, c.xlates_in_use);
	/* other lines are not affected */
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 2, 9), 3004, F, 53, 10, 1),
		PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_global_embryonic_limit)
{
	struct ph_engine_opts o = { .seed = { 7, 8 }, .max_embryonic = 3 };
	struct eh *h = eh_new_opts(conf, &o);
	uint32_t g8 = A(192, 0, 2, 8);

	ck_assert_uint_eq(ctr(h).emb_max, 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_int_eq(syn_in(h, i, g8, 1), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(syn_in(h, 3, g8, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_EMB_LIMIT);
	eh_expect(h, "Embryonic connection limit (3) reached: dropped tcp src "
		     "outside:198.51.100.10/1003 dst inside:192.0.2.8/80");
	/* outbound SYNs too; UDP is not embryonic */
	ck_assert_int_eq(eh_tcp_seq(h, "inside", A(10, 0, 0, 8), 4000, F, 80,
				    PH_TCP_SYN, 1, 0, 0, SEC(1)),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_EMB_LIMIT);
	ck_assert_int_eq(eh_udp(h, "outside", F, 5000, g8, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ctr(h).emb_in_use, 3);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_table_full_then_recovers)
{
	struct eh *h = eh_new(conf, 4);

	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 0, 8),
					(uint16_t)(5000 + i), F, 53, 10, 1),
				 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 0, 8), 5004, F, 53, 10, 1),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONN_LIMIT);
	eh_expect(h, "Connection table full (4): dropped udp src "
		     "inside:10.0.0.8/5004 dst outside:198.51.100.7/53");
	for (unsigned i = 0; i < 50; i++)
		ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 2, 9),
					(uint16_t)(6000 + i), F, 53, 10, 1),
				 PH_VERDICT_DROP);
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).drops[PH_R_CONN_LIMIT], 51);
	/* existing flows go on, both ways */
	ck_assert_int_eq(
		eh_udp(h, "outside", F, 53, A(192, 0, 2, 8), 5002, 10, 60),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 8));
	/* expiry (udp 0:02:00) makes room: new flows work again */
	ph_engine_tick(h->eng, ph_time_from_sec(125));
	eh_skip(h);
	ck_assert_uint_eq(ctr(h).conns_in_use, 1);
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 0, 8), 5004, F, 53, 10, 125),
		PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* UDP from 10.0.2.0/24 with source ports in the 1-511 class: 511 PAT
 * ports on 192.0.2.20, then 305006. */
static int
udp_low(struct eh *h, unsigned n, uint8_t net, uint64_t t)
{
	return eh_udp(h, "inside", A(10, 0, net, 1 + n / 3),
		      (uint16_t)(100 + n % 3), F, 53, 10, t);
}

START_TEST(test_pat_ports_exhausted)
{
	struct eh *h = eh_new(conf, 0);
	char want[200];

	for (unsigned n = 0; n < 511; n++)
		ck_assert_int_eq(udp_low(h, n, 2, 1), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 305011), 511);
	eh_skip(h);
	ck_assert_int_eq(udp_low(h, 511, 2, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_XLATE_FAIL);
	snprintf(want, sizeof(want),
		 "portmap translation creation failed for udp src "
		 "inside:10.0.2.171/101 dst outside:198.51.100.7/53");
	eh_expect(h, want);
	/* nothing else disturbed: an existing flow, TCP's own ports, and
	 * ports of another class */
	ck_assert_int_eq(udp_low(h, 5, 2, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 20));
	ck_assert_int_eq(eh_tcp_seq(h, "inside", A(10, 0, 2, 200), 100, F, 80,
				    PH_TCP_SYN, 1, 0, 0, SEC(2)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 2, 200), 2000, F, 53, 10, 2),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ctr(h).drops[PH_R_XLATE_FAIL], 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* nat 3: a pool of two addresses first, then the PAT address, then
 * 305006 when the PAT ports of the class run out too. */
START_TEST(test_pool_then_pat_then_fail)
{
	struct eh *h = eh_new(conf, 0);
	uint32_t got[2];

	for (unsigned i = 0; i < 2; i++) {
		ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 3, 1 + i), 100, F,
					53, 10, 1),
				 PH_VERDICT_ACCEPT);
		got[i] = eh_src(h);
		ck_assert_uint_eq(eh_sport(h), 100); /* address xlate */
	}
	ck_assert(got[0] != got[1]);
	ck_assert(got[0] == A(192, 0, 2, 30) || got[0] == A(192, 0, 2, 31));
	ck_assert(got[1] == A(192, 0, 2, 30) || got[1] == A(192, 0, 2, 31));
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 305009), 2);
	/* the pool is empty: PAT on 192.0.2.32 */
	for (unsigned n = 6; n < 6 + 511; n++) {
		ck_assert_int_eq(udp_low(h, n, 3, 1), PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 32));
	}
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 305011), 511);
	eh_skip(h);
	ck_assert_int_eq(udp_low(h, 6 + 511, 3, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_XLATE_FAIL);
	eh_expect(h, "portmap translation creation failed for udp src "
		     "inside:10.0.3.173/101 dst outside:198.51.100.7/53");
	/* the pool hosts carry on, with any port */
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 3, 1), 40000, F, 53, 10, 2),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), got[0]);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* nat 4: a pool of two addresses and no PAT global: the third host is
 * refused with PIX's "regular" (not "portmap"). */
START_TEST(test_pool_only_exhausted)
{
	struct eh *h = eh_new(conf, 0);

	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 4, 1 + i), 100, F,
					53, 10, 1),
				 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 4, 3), 100, F, 53, 10, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_XLATE_FAIL);
	eh_expect(h, "regular translation creation failed for udp src "
		     "inside:10.0.4.3/100 dst outside:198.51.100.7/53");
	ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 4, 1), 101, F, 53, 10, 1),
			 PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A reload keeps the counts (recounted from the table) and applies new
 * limits at once. */
START_TEST(test_limits_across_reload)
{
	struct eh *h = eh_new(conf, 0);
	uint32_t g6 = A(192, 0, 2, 6);
	struct ph_policy *p2, *p3;
	char *c3;
	const char *from = "192.0.2.6 10.0.0.6 netmask 255.255.255.255 3 0";
	const char *at;
	size_t n;

	for (unsigned i = 0; i < 3; i++)
		conn_in(h, i, g6, A(10, 0, 0, 6), 1);
	p2 = eh_parse(conf);
	ck_assert_int_eq(ph_engine_set_policy(h->eng, p2, ph_time_from_sec(2)),
			 0);
	ck_assert_int_eq(syn_in(h, 3, g6, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_MAX_CONNS);
	/* the same line with max 4: the same rule (its connections stay),
	 * the new limit applies at once */
	at = strstr(conf, from);
	ck_assert_ptr_nonnull(at);
	n = strlen(conf);
	c3 = calloc(1, n + 1);
	memcpy(c3, conf, n);
	c3[(at - conf) + strlen(from) - 3] = '4';
	p3 = eh_parse(c3);
	ck_assert_int_eq(ph_engine_set_policy(h->eng, p3, ph_time_from_sec(3)),
			 0);
	ck_assert_uint_eq(ctr(h).conns_in_use, 3);
	ck_assert_int_eq(syn_in(h, 10, g6, 3), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(syn_in(h, 11, g6, 3), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_MAX_CONNS);
	eh_check_counters(h);
	ph_policy_free(h->pol);
	ph_policy_free(p2);
	h->pol = p3;
	free(c3);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("attack_limits");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, test_syn_flood_at_static);
	tcase_add_test(tc, test_static_max_conns);
	tcase_add_test(tc, test_nat_limits);
	tcase_add_test(tc, test_global_embryonic_limit);
	tcase_add_test(tc, test_table_full_then_recovers);
	tcase_add_test(tc, test_pat_ports_exhausted);
	tcase_add_test(tc, test_pool_then_pat_then_fail);
	tcase_add_test(tc, test_pool_only_exhausted);
	tcase_add_test(tc, test_limits_across_reload);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
