/*
 * test_engine.c - the packet path against PIX 6.3 semantics: the seed
 * scenarios (every syslog line checked as text), security levels,
 * access-groups and conduits, to-the-box traffic, counters.
 */
#include "engtest.h"

/* Seed "PPTP through the PIX", 6.2, client inside, no ACL for GRE. */
static const char *seed62 =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 209.165.201.1 255.255.255.224\n"
	"ip address inside 10.48.66.47 255.255.254.0\n"
	"static (inside,outside) 192.168.201.5 10.48.66.106 netmask "
	"255.255.255.255 0 0\n"
	"route outside 0.0.0.0 0.0.0.0 209.165.201.2 1\n";

#define CLIENT A(10, 48, 66, 106)
#define MAPPED A(192, 168, 201, 5)
#define SERVER A(192, 168, 201, 25)

/* Three DNS lookups first, so the PPTP control connection gets id 4 as
 * in the seed's log. */
static void
three_lookups(struct eh *h)
{
	for (uint16_t i = 0; i < 3; i++) {
		ck_assert_int_eq(eh_udp(h, "inside", CLIENT, 3000 + i, SERVER,
					53, 30, 1),
				 PH_VERDICT_ACCEPT);
	}
	eh_expect(h, "Built outbound UDP connection 1 for "
		     "outside:192.168.201.25/53 (192.168.201.25/53) to "
		     "inside:10.48.66.106/3000 (192.168.201.5/3000)");
	eh_skip(h);
}

START_TEST(test_seed62_gre_denied)
{
	struct eh *h = eh_new(seed62, 0);

	three_lookups(h);
	ck_assert_int_eq(
		eh_tcp(h, "inside", CLIENT, 4644, SERVER, 1723, PH_TCP_SYN, 2),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "outside"));
	ck_assert(h->out.modified);
	ck_assert_uint_eq(eh_src(h), MAPPED);
	ck_assert(pb_ip_ok(h->buf) && pb_l4_ok(h->buf));
	eh_expect(h, "Built outbound TCP connection 4 for "
		     "outside:192.168.201.25/1723 (192.168.201.25/1723) to "
		     "inside:10.48.66.106/4644 (192.168.201.5/4644)");
	ck_assert_int_eq(eh_tcp(h, "outside", SERVER, 1723, MAPPED, 4644,
				PH_TCP_SYN | PH_TCP_ACK, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), CLIENT);
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
	/* the server's GRE: static, but nothing permits GRE inbound */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(
			eh_gre(h, "outside", SERVER, MAPPED, 0x4000, 3),
			PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_CONDUIT);
		eh_expect(h, "Deny inbound protocol 47 src "
			     "outside:192.168.201.25 dst inside:192.168.201.5");
	}
	ck_assert_uint_eq(h->ev_sev[(h->seen - 1) % EH_MAX_EV], 3);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* The fix of the seed: an access-group permitting GRE from the server. */
START_TEST(test_seed62_gre_permitted)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%saccess-list acl-out permit gre host 192.168.201.25 "
		 "host 192.168.201.5\n"
		 "access-group acl-out in interface outside\n",
		 seed62);
	h = eh_new(conf, 0);
	ck_assert_int_eq(eh_gre(h, "outside", SERVER, MAPPED, 0x4000, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), CLIENT);
	ck_assert(pb_ip_ok(h->buf));
	eh_expect(h, "Built inbound GRE connection 1 from "
		     "outside:192.168.201.25 (192.168.201.25) to "
		     "inside:10.48.66.106/0 (192.168.201.5/0)");
	/* the client's GRE back, any call id: same address-pair flow */
	ck_assert_int_eq(eh_gre(h, "inside", CLIENT, SERVER, 0x1234, 4),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), MAPPED);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, 0), 1);
	/* TCP is not in the ACL: 106023 with the ACL name */
	ck_assert_int_eq(
		eh_tcp(h, "outside", SERVER, 1723, MAPPED, 4644, PH_TCP_SYN, 5),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ACL);
	eh_expect(h, "Deny tcp src outside:192.168.201.25/1723 dst "
		     "inside:192.168.201.5/4644 by access-group \"acl-out\"");
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Seed "PPTP to the PIX": a ping from outside to a global pool address
 * with no xlate is 106011, word for word; once an inside host holds that
 * address, the conduit admits the ping to it. */
static const char *seed_to_pix =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 172.18.124.152 255.255.255.0\n"
	"ip address inside 10.1.1.1 255.255.255.0\n"
	"access-list 101 permit ip 10.1.1.0 255.255.255.0 192.168.1.0 "
	"255.255.255.0\n"
	"global (outside) 1 172.18.124.201-172.18.124.202\n"
	"nat (inside) 0 access-list 101\n"
	"nat (inside) 1 10.1.1.0 255.255.255.0 0 0\n"
	"conduit permit icmp any any\n"
	"route outside 0.0.0.0 0.0.0.0 172.18.124.1 1\n";

START_TEST(test_seed_to_pix_no_xlate)
{
	struct eh *h = eh_new(seed_to_pix, 0);
	uint32_t g;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(eh_icmp(h, "outside", A(172, 17, 194, 164),
					 A(172, 18, 124, 201), PH_ICMP_ECHO,
					 512, (uint16_t)(1 + i), 1),
				 PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_NO_XLATE_IN);
		eh_expect(h, "Deny inbound (No xlate) icmp src "
			     "outside:172.17.194.164 dst "
			     "outside:172.18.124.201 (type 8, code 0)");
	}
	ck_assert_uint_eq(h->ev_sev[0], 3);
	/* the exempt network is not translated */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 1, 1, 7), 1025,
				A(192, 168, 1, 9), 80, PH_TCP_SYN, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(10, 1, 1, 7));
	eh_expect(h, "Built outbound TCP connection 1 for "
		     "outside:192.168.1.9/80 (192.168.1.9/80) to "
		     "inside:10.1.1.7/1025 (10.1.1.7/1025)");
	/* an inside host going elsewhere takes a pool address */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 1, 1, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 2),
			 PH_VERDICT_ACCEPT);
	g = eh_src(h);
	ck_assert(g == A(172, 18, 124, 201) || g == A(172, 18, 124, 202));
	eh_skip(h);
	/* while it holds it, the conduit admits a ping to it */
	ck_assert_int_eq(eh_icmp(h, "outside", A(172, 17, 194, 164), g,
				 PH_ICMP_ECHO, 512, 3, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 1, 1, 5));
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

static const char *three_if = "nameif ethernet0 outside security0\n"
			      "nameif ethernet1 inside security100\n"
			      "nameif ethernet2 dmz security50\n"
			      "nameif ethernet3 dmz2 security50\n"
			      "ip address outside 192.0.2.1 255.255.255.0\n"
			      "ip address inside 10.0.0.1 255.255.255.0\n"
			      "ip address dmz 172.16.0.1 255.255.255.0\n"
			      "ip address dmz2 172.17.0.1 255.255.255.0\n"
			      "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n";

START_TEST(test_outbound_needs_translation)
{
	struct eh *h = eh_new(three_if, 0);

	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_NO_NAT_RULE);
	eh_expect(h, "No translation group found for tcp src "
		     "inside:10.0.0.5/1025 dst outside:8.8.8.8/80");
	ck_assert_uint_eq(h->ev_sev[0], 3);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_same_security_denied)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%snat (dmz) 1 0 0\nglobal (dmz2) 1 interface\n"
		 "static (dmz,dmz2) 172.17.0.50 172.16.0.50\n",
		 three_if);
	h = eh_new(conf, 0);
	ck_assert_int_eq(eh_tcp(h, "dmz", A(172, 16, 0, 5), 1025,
				A(172, 17, 0, 9), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_SAME_SECURITY);
	ck_assert_int_eq(eh_udp(h, "dmz2", A(172, 17, 0, 9), 53,
				A(172, 16, 0, 5), 53, 10, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_SAME_SECURITY);
	ck_assert_uint_eq(h->nev, 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Inbound: a static alone is not enough; 106011 without one. */
START_TEST(test_inbound_needs_static_and_acl)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%sstatic (dmz,outside) 192.0.2.80 172.16.0.80\n"
		 "nat (inside) 1 0 0\nglobal (outside) 1 192.0.2.100\n",
		 three_if);
	h = eh_new(conf, 0);
	/* static, no access-group, no conduit: 106001 */
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40000,
				A(192, 0, 2, 80), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONDUIT);
	eh_expect(h, "Inbound TCP connection denied from "
		     "198.51.100.7/40000 to 192.0.2.80/80 flags SYN  on "
		     "interface outside");
	/* UDP: 106006; ICMP: 106014 */
	eh_udp(h, "outside", A(198, 51, 100, 7), 5000, A(192, 0, 2, 80), 53, 8,
	       1);
	eh_expect(h, "Deny inbound UDP from 198.51.100.7/5000 to "
		     "192.0.2.80/53 on interface outside");
	eh_icmp(h, "outside", A(198, 51, 100, 7), A(192, 0, 2, 80),
		PH_ICMP_ECHO, 7, 1, 1);
	eh_expect(h, "Deny inbound icmp src outside:198.51.100.7 dst "
		     "dmz:192.0.2.80 (type 8, code 0)");
	/* no static: 106011, to the PAT address or any other */
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40000,
				A(192, 0, 2, 77), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_NO_XLATE_IN);
	eh_expect(h, "Deny inbound (No xlate) tcp src "
		     "outside:198.51.100.7/40000 dst outside:192.0.2.77/80");
	eh_icmp(h, "outside", A(198, 51, 100, 7), A(192, 0, 2, 100),
		PH_ICMP_ECHO, 7, 1, 1);
	eh_expect(h, "Deny inbound (No xlate) icmp src "
		     "outside:198.51.100.7 dst outside:192.0.2.100 (type 8, "
		     "code 0)");
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_inbound_static_acl_and_conduit)
{
	char conf[2048];
	struct eh *h;

	/* conduit: global, used because outside has no access-group */
	snprintf(conf, sizeof(conf),
		 "%sstatic (dmz,outside) 192.0.2.80 172.16.0.80\n"
		 "conduit permit tcp host 192.0.2.80 eq www any\n",
		 three_if);
	h = eh_new(conf, 0);
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40000,
				A(192, 0, 2, 80), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(172, 16, 0, 80));
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "dmz"));
	eh_expect(h, "Built inbound TCP connection 1 for "
		     "outside:198.51.100.7/40000 (198.51.100.7/40000) to "
		     "dmz:172.16.0.80/80 (192.0.2.80/80)");
	ck_assert_uint_eq(ph_engine_conduit_hits(h->eng, 0), 1);
	/* the server answers: translated back */
	ck_assert_int_eq(eh_tcp(h, "dmz", A(172, 16, 0, 80), 80,
				A(198, 51, 100, 7), 40000,
				PH_TCP_SYN | PH_TCP_ACK, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 80));
	ck_assert(pb_l4_ok(h->buf));
	/* port 81 is not in the conduit */
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40001,
				A(192, 0, 2, 80), 81, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONDUIT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_tcp_no_conn_106015)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%snat (inside) 1 0 0\n"
		 "global (outside) 1 interface\n",
		 three_if);
	h = eh_new(conf, 0);
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_ACK, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_NO_CONN);
	eh_expect(h, "Deny TCP (no connection) from 10.0.0.5/1025 to "
		     "8.8.8.8/80 flags ACK  on interface inside");
	ck_assert_uint_eq(h->ev_sev[0], 6);
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_RST, 1),
			 PH_VERDICT_DROP);
	eh_expect(h, "Deny TCP (no connection) from 10.0.0.5/1025 to "
		     "8.8.8.8/80 flags RST  on interface inside");
	/* SYN+FIN is never valid */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN | PH_TCP_FIN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_FLAGS);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* ACL on the inside decides for outbound traffic too. */
START_TEST(test_acl_outbound_first_match_and_log)
{
	char conf[4096];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%snat (inside) 1 0 0\nglobal (outside) 1 interface\n"
		 "access-list in_acl permit tcp any any eq www\n"
		 "access-list in_acl deny tcp any any eq 23 log 4 interval 10\n"
		 "access-list in_acl permit udp any any eq 53 log\n"
		 "access-list in_acl deny icmp any any log\n"
		 "access-group in_acl in interface inside\n",
		 three_if);
	h = eh_new(conf, 0);
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	eh_skip(h);
	/* deny with log: 106100 at level 4, no 106023 */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1026,
				A(8, 8, 8, 8), 23, PH_TCP_SYN, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ACL);
	eh_expect(h, "access-list in_acl denied tcp "
		     "inside/10.0.0.5(1026) -> outside/8.8.8.8(23) hit-cnt 1 "
		     "(first hit)");
	ck_assert_uint_eq(h->ev_sev[(h->seen - 1) % EH_MAX_EV], 4);
	/* same flow again: counted, not logged, until the interval ends */
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1026, A(8, 8, 8, 8), 23, PH_TCP_SYN,
	       3);
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1026, A(8, 8, 8, 8), 23, PH_TCP_SYN,
	       4);
	eh_expect_none(h);
	ph_engine_tick(h->eng, ph_time_from_sec(11));
	eh_expect_none(h);
	ph_engine_tick(h->eng, ph_time_from_sec(12));
	eh_expect(h, "access-list in_acl denied tcp "
		     "inside/10.0.0.5(1026) -> outside/8.8.8.8(23) hit-cnt 2 "
		     "(10-second interval)");
	/* an idle interval forgets the flow: next hit is "first" again */
	ph_engine_tick(h->eng, ph_time_from_sec(22));
	eh_expect_none(h);
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1026, A(8, 8, 8, 8), 23, PH_TCP_SYN,
	       30);
	eh_expect(h, "access-list in_acl denied tcp "
		     "inside/10.0.0.5(1026) -> outside/8.8.8.8(23) hit-cnt 1 "
		     "(first hit)");
	/* implicit deny: 106023 */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1027,
				A(8, 8, 8, 8), 25, PH_TCP_SYN, 31),
			 PH_VERDICT_DROP);
	eh_expect(h, "Deny tcp src inside:10.0.0.5/1027 dst "
		     "outside:8.8.8.8/25 by access-group \"in_acl\"");
	/* permit with log: 106100 permitted, at the default level 6 */
	ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 0, 5), 5353,
				A(8, 8, 8, 8), 53, 20, 32),
			 PH_VERDICT_ACCEPT);
	eh_expect(h, "access-list in_acl permitted udp "
		     "inside/10.0.0.5(5353) -> outside/8.8.8.8(53) hit-cnt 1 "
		     "(first hit)");
	ck_assert_uint_eq(h->ev_sev[(h->seen - 1) % EH_MAX_EV], 6);
	/* ICMP with log: PIX prints source port 0 and the type */
	eh_skip(h);
	ck_assert_int_eq(eh_icmp(h, "inside", A(10, 0, 0, 5), A(8, 8, 8, 8),
				 PH_ICMP_ECHO, 9, 1, 33),
			 PH_VERDICT_DROP);
	eh_expect(h, "access-list in_acl denied icmp "
		     "inside/10.0.0.5(0) -> outside/8.8.8.8(8) hit-cnt 1 "
		     "(first hit)");
	/* hit counts per ACE as written */
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, 0), 1);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, 1), 4);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, 2), 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_to_the_box)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf),
		 "%snat (inside) 1 0 0\n"
		 "global (outside) 1 interface\n",
		 three_if);
	h = eh_new(conf, 0);
	/* ssh to the outside address: passes untouched, to the box */
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40000,
				A(192, 0, 2, 1), 22, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	ck_assert(!h->out.modified);
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 7), 40000,
				A(192, 0, 2, 1), 22, PH_TCP_ACK, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	ck_assert_int_eq(eh_icmp(h, "inside", A(10, 0, 0, 5), A(10, 0, 0, 1),
				 PH_ICMP_ECHO, 1, 1, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	/* interface PAT: the reply to the interface address is forwarded */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 0, 5), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 1));
	{
		uint16_t gport = eh_sport(h);

		ck_assert_int_eq(eh_tcp(h, "outside", A(8, 8, 8, 8), 80,
					A(192, 0, 2, 1), gport,
					PH_TCP_SYN | PH_TCP_ACK, 2),
				 PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
		ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
		ck_assert_uint_eq(eh_dport(h), 1025);
	}
	eh_check_counters(h);
	{
		struct ph_engine_counters c;

		ph_engine_counters(h->eng, &c);
		ck_assert_uint_eq(c.pkts_to_box, 3);
		ck_assert_uint_eq(c.pkts_rewritten, 2);
	}
	eh_free(h);
}
END_TEST

/* Malformed packets: dropped by reason, 901001 rate-limited per reason. */
START_TEST(test_malformed_counted_and_rate_limited)
{
	struct eh *h = eh_new(three_if, 0);
	struct ph_engine_counters c;

	for (int i = 0; i < 5; i++) {
		memset(h->buf, 0x45, 10);
		h->len = 10;
		ck_assert_int_eq(eh_run(h, "inside", SEC(1)), PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_SHORT_IP);
	}
	ck_assert_uint_eq(h->nev, 1);
	eh_expect(h, "Dropped malformed packet on interface inside: short-ip");
	h->len = 10;
	eh_run(h, "inside", SEC(3));
	eh_expect(h, "Dropped malformed packet on interface inside: short-ip "
		     "(4 more suppressed)");
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.drops[PH_R_SHORT_IP], 6);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 901001), 2);
	/* an unknown interface */
	{
		struct ph_pkt_in in = { .data = h->buf,
					.len = h->len,
					.ifidx = 77 };

		ph_engine_process(h->eng, &in, ph_time_from_sec(4), &h->out);
		ck_assert_uint_eq(h->out.reason, PH_R_UNKNOWN_IF);
	}
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Every input packet ends accepted or dropped with a reason. */
START_TEST(test_counters_add_up)
{
	char conf[2048];
	struct eh *h;
	struct ph_engine_counters c;

	snprintf(conf, sizeof(conf),
		 "%snat (inside) 1 0 0\n"
		 "global (outside) 1 interface\n",
		 three_if);
	h = eh_new(conf, 0);
	for (uint32_t i = 0; i < 200; i++) {
		uint8_t fl = (i % 3) ? PH_TCP_SYN : PH_TCP_ACK;
		const char *ifn = (i % 2) ? "inside" : "outside";

		eh_tcp(h, ifn, A(10, 0, 0, (uint8_t)(i % 7)),
		       (uint16_t)(1024 + i), A(8, 8, 8, (uint8_t)i),
		       (uint16_t)(i % 5), fl, 1 + i / 50);
		eh_udp(h, ifn, A(10, 0, 0, 5), (uint16_t)i, A(8, 8, 4, 4), 53,
		       i % 40, 1 + i / 50);
		eh_check_counters(h);
	}
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.pkts_in, 400);
	ck_assert_uint_gt(c.pkts_accepted, 0);
	ck_assert_uint_gt(c.pkts_dropped, 0);
	ck_assert_uint_eq(c.conns_in_use, c.conns_built - c.conns_torn_down);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("path");

	tcase_add_test(tc, test_seed62_gre_denied);
	tcase_add_test(tc, test_seed62_gre_permitted);
	tcase_add_test(tc, test_seed_to_pix_no_xlate);
	tcase_add_test(tc, test_outbound_needs_translation);
	tcase_add_test(tc, test_same_security_denied);
	tcase_add_test(tc, test_inbound_needs_static_and_acl);
	tcase_add_test(tc, test_inbound_static_acl_and_conduit);
	tcase_add_test(tc, test_tcp_no_conn_106015);
	tcase_add_test(tc, test_acl_outbound_first_match_and_log);
	tcase_add_test(tc, test_to_the_box);
	tcase_add_test(tc, test_malformed_counted_and_rate_limited);
	tcase_add_test(tc, test_counters_add_up);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
