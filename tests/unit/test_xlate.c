/*
 * test_xlate.c - translations: the xlate table itself, PAT port
 * allocation (random, unique, reused only after the xlate expires,
 * exhaustion -> 305006), address pools before PAT, ICMP echo through PAT
 * (identifier translation) and ICMP errors translated back to the inside
 * host, show xlate.
 */
#include "engtest.h"

#include "core/timer.h"
#include "core/xlate.h"

static const struct ph_hash_key seed = { 7, 8 };

START_TEST(test_table_keys_refs_idle)
{
	struct ph_xlatetab *t = ph_xlatetab_new(4, &seed);
	struct ph_xlate x = { .laddr = 1,
			      .gaddr = 2,
			      .lport = 10,
			      .gport = 20,
			      .lif = 1,
			      .gif = 0,
			      .proto = 6,
			      .kind = PH_XK_PAT,
			      .nat_id = 1 };
	uint32_t a, b;

	a = ph_xlate_add(t, &x, ph_time_from_sec(1));
	ck_assert_uint_ne(a, PH_IDX_NONE);
	/* same local key or same global key: refused */
	ck_assert_uint_eq(ph_xlate_add(t, &x, ph_time_from_sec(1)),
			  PH_IDX_NONE);
	x.lport = 11;
	ck_assert_uint_eq(ph_xlate_add(t, &x, ph_time_from_sec(1)),
			  PH_IDX_NONE);
	x.gport = 21;
	b = ph_xlate_add(t, &x, ph_time_from_sec(1));
	ck_assert_uint_ne(b, PH_IDX_NONE);
	ck_assert_uint_eq(ph_xlate_find_local(t, 1, 1, 0, 1, 10, 6), a);
	ck_assert_uint_eq(ph_xlate_find_local(t, 2, 1, 0, 1, 10, 6),
			  PH_IDX_NONE);
	ck_assert_uint_eq(ph_xlate_find_global(t, 0, 2, 21, 6), b);
	ck_assert_uint_eq(ph_xlate_find_global(t, 0, 2, 21, 17), PH_IDX_NONE);
	/* idle only once the last reference goes */
	ph_xlate_ref(t, a);
	ph_xlate_ref(t, a);
	ph_xlate_unref(t, a, ph_time_from_sec(5));
	ck_assert_uint_eq(t->idle[PH_XC_PAT].count, 0);
	ph_xlate_unref(t, a, ph_time_from_sec(6));
	ck_assert_uint_eq(t->idle[PH_XC_PAT].count, 1);
	ck_assert_uint_eq(
		ph_xlate_expired(t, PH_XC_PAT, 30, ph_time_from_sec(35)),
		PH_IDX_NONE);
	ck_assert_uint_eq(
		ph_xlate_expired(t, PH_XC_PAT, 30, ph_time_from_sec(36)), a);
	/* a new reference takes it off the idle list */
	ph_xlate_ref(t, a);
	ck_assert_uint_eq(
		ph_xlate_expired(t, PH_XC_PAT, 30, ph_time_from_sec(100)),
		PH_IDX_NONE);
	ph_xlate_del(t, a);
	ck_assert_uint_eq(ph_xlate_find_local(t, 1, 1, 0, 1, 10, 6),
			  PH_IDX_NONE);
	ck_assert_uint_eq(t->used, 1);
	ph_xlatetab_free(t);
}
END_TEST

static const char *pat_conf = "nameif ethernet0 outside security0\n"
			      "nameif ethernet1 inside security100\n"
			      "ip address outside 192.0.2.1 255.255.255.0\n"
			      "ip address inside 10.0.0.1 255.255.0.0\n"
			      "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			      "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			      "global (outside) 1 interface\n";

#define G A(192, 0, 2, 1)
#define F A(198, 51, 100, 7)

START_TEST(test_pat_random_unique)
{
	struct eh *h = eh_new(pat_conf, 0);
	uint16_t ports[64];
	unsigned sequential = 0;

	for (unsigned i = 0; i < 64; i++) {
		ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 1, 1 + i % 4),
					(uint16_t)(40000 + i / 4), F, 53, 10,
					1),
				 PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(eh_src(h), G);
		ports[i] = eh_sport(h);
		/* the class of the real port (1024-65535) is kept */
		ck_assert_uint_ge(ports[i], 1024);
		for (unsigned j = 0; j < i; j++)
			ck_assert_uint_ne(ports[i], ports[j]);
		if (i > 0 && ports[i] == ports[i - 1] + 1)
			sequential++;
	}
	ck_assert_uint_lt(sequential, 8);
	/* the first line: 305011 then 302015 */
	ck_assert_uint_eq(h->ev_id[0], 305011);
	ck_assert_uint_eq(h->ev_id[1], 302015);
	{
		char want[200];

		snprintf(want, sizeof(want),
			 "Built dynamic UDP translation from "
			 "inside:10.0.1.1/40000 to outside:192.0.2.1/%u",
			 ports[0]);
		eh_expect(h, want);
		snprintf(want, sizeof(want),
			 "Built outbound UDP connection 1 for "
			 "outside:198.51.100.7/53 (198.51.100.7/53) to "
			 "inside:10.0.1.1/40000 (192.0.2.1/%u)",
			 ports[0]);
		eh_expect(h, want);
	}
	/* a second flow from the same local port reuses its xlate */
	eh_skip(h);
	ck_assert_int_eq(eh_udp(h, "inside", A(10, 0, 1, 1), 40000,
				A(198, 51, 100, 8), 53, 10, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_sport(h), ports[0]);
	ck_assert_uint_eq(h->ev_id[h->seen % EH_MAX_EV], 302015);
	/* another seed, another first port */
	{
		struct ph_engine_opts o = { .seed = { 99, 98 } };
		struct eh *h2 = eh_new_opts(pat_conf, &o);

		eh_udp(h2, "inside", A(10, 0, 1, 1), 40000, F, 53, 10, 1);
		ck_assert_uint_ne(eh_sport(h2), ports[0]);
		eh_free(h2);
	}
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/*
 * Ports below 512 stay below 512: 511 of them.  Fill them all, check
 * exhaustion gives 305006, then free one flow and check its port comes
 * back only after its PAT xlate has been idle for `timeout pat-xlate`.
 */
START_TEST(test_pat_exhaustion_and_reuse_after_expiry)
{
	char conf[1024];
	struct eh *h;
	uint16_t first_port = 0;

	snprintf(conf, sizeof(conf), "%stimeout udp 0:02:00\n", pat_conf);
	h = eh_new(conf, 0);
	for (unsigned i = 0; i < 511; i++) {
		/* host 10.0.(i/200).x, source port 1..511: all class 0 */
		ck_assert_int_eq(
			eh_udp(h, "inside", A(10, 0, 2 + i / 200, 1 + i % 200),
			       (uint16_t)(1 + i), F, 53, 1, i == 0 ? 1 : 100),
			PH_VERDICT_ACCEPT);
		ck_assert_uint_lt(eh_sport(h), 512);
		if (i == 0)
			first_port = eh_sport(h);
	}
	eh_skip(h);
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 9, 9), 100, F, 53, 1, 100),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_XLATE_FAIL);
	eh_expect(h, "portmap translation creation failed for udp src "
		     "inside:10.0.9.9/100 dst outside:198.51.100.7/53");
	/* a high port still works: another class */
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 9, 9), 5000, F, 53, 1, 100),
		PH_VERDICT_ACCEPT);
	eh_skip(h);
	/* flow 0 (last seen at 1 s) times out at 121 s; its PAT xlate
	 * lingers 30 s more: still no port at 150 s */
	ph_engine_tick(h->eng, ph_time_from_sec(121));
	eh_expect(h, "Teardown UDP connection 1 for outside:198.51.100.7/53 "
		     "to inside:10.0.2.1/1 duration 0:02:00 bytes 1");
	eh_expect_none(h);
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 9, 9), 100, F, 53, 1, 150),
		PH_VERDICT_DROP);
	eh_skip(h);
	ph_engine_tick(h->eng, ph_time_from_sec(150));
	eh_expect_none(h);
	ph_engine_tick(h->eng, ph_time_from_sec(151));
	{
		char want[200];

		snprintf(want, sizeof(want),
			 "Teardown dynamic UDP translation from "
			 "inside:10.0.2.1/1 to outside:192.0.2.1/%u duration "
			 "0:02:30",
			 first_port);
		eh_expect(h, want);
	}
	/* now the port is free again, and the only one */
	ck_assert_int_eq(
		eh_udp(h, "inside", A(10, 0, 9, 9), 100, F, 53, 1, 152),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_sport(h), first_port);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* GRE has no ports: PIX 6 PAT maps "port 0" to one host at a time. */
START_TEST(test_pat_gre_one_host)
{
	struct eh *h = eh_new(pat_conf, 0);

	ck_assert_int_eq(eh_gre(h, "inside", A(10, 0, 0, 5), F, 7, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	eh_expect(h, "Built dynamic translation from inside:10.0.0.5 to "
		     "outside:192.0.2.1");
	eh_expect(h, "Built outbound GRE connection 1 from "
		     "outside:198.51.100.7 (198.51.100.7) to "
		     "inside:10.0.0.5/0 (192.0.2.1/0)");
	/* without PPTP inspection GRE coming back is not return traffic
	 * (PIX 6.2, which could not pass PPTP through PAT at all): the
	 * host is reachable only through a PAT port, so 106010 */
	ck_assert_int_eq(eh_gre(h, "outside", F, G, 9, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_NO_XLATE_IN);
	eh_expect(h, "Deny inbound protocol 47 src outside:198.51.100.7 dst "
		     "inside:192.0.2.1");
	ck_assert_int_eq(eh_gre(h, "inside", A(10, 0, 0, 6), F, 7, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_XLATE_FAIL);
	eh_expect(h, "portmap translation creation failed for protocol 47 "
		     "src inside:10.0.0.6 dst outside:198.51.100.7");
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A global range is used before the PAT global of the same id. */
START_TEST(test_pool_then_pat)
{
	struct eh *h = eh_new("nameif ethernet0 outside security0\n"
			      "nameif ethernet1 inside security100\n"
			      "ip address outside 192.0.2.1 255.255.255.0\n"
			      "ip address inside 10.0.0.1 255.255.0.0\n"
			      "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			      "nat (inside) 1 0 0\n"
			      "global (outside) 1 192.0.2.10-192.0.2.11\n"
			      "global (outside) 1 192.0.2.20\n",
			      0);
	uint32_t seen[2];

	for (unsigned i = 0; i < 2; i++) {
		eh_tcp(h, "inside", A(10, 0, 0, 10 + i), 1025, F, 80,
		       PH_TCP_SYN, 1);
		seen[i] = eh_src(h);
		ck_assert(seen[i] == A(192, 0, 2, 10) ||
			  seen[i] == A(192, 0, 2, 11));
		/* the address xlate keeps the port */
		ck_assert_uint_eq(eh_sport(h), 1025);
	}
	ck_assert_uint_ne(seen[0], seen[1]);
	{
		char want[160];

		snprintf(want, sizeof(want),
			 "Built dynamic translation from inside:10.0.0.10 to "
			 "outside:192.0.2.%u",
			 seen[0] & 0xff);
		eh_expect(h, want);
	}
	/* the same host again: same address xlate, new connection */
	eh_tcp(h, "inside", A(10, 0, 0, 10), 1026, F, 80, PH_TCP_SYN, 1);
	ck_assert_uint_eq(eh_src(h), seen[0]);
	/* the pool is used up: PAT on the single address */
	eh_tcp(h, "inside", A(10, 0, 0, 12), 1025, F, 80, PH_TCP_SYN, 1);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 20));
	ck_assert_uint_ge(eh_sport(h), 1024);
	/* inbound to a pool address with a live xlate, no ACL: the xlate
	 * translates, and no conduit admits it */
	eh_skip(h);
	ck_assert_int_eq(
		eh_tcp(h, "outside", F, 5000, seen[0], 22, PH_TCP_SYN, 2),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONDUIT);
	/* show xlate */
	{
		uint64_t cur = 0;
		struct ph_xlate_info xi;
		char line[160];
		unsigned n = 0, pat = 0;

		while (ph_engine_xlate_next(h->eng, &cur, ph_time_from_sec(2),
					    &xi)) {
			ph_show_xlate_line(&xi, false, line, sizeof(line));
			if (xi.kind == PH_XI_PAT) {
				ck_assert(strncmp(line,
						  "PAT Global 192.0.2.20(",
						  22) == 0);
				ck_assert(strstr(line, ") Local "
						       "10.0.0.12(1025)"));
				pat++;
			} else if (xi.laddr == A(10, 0, 0, 10)) {
				char want[80];

				snprintf(want, sizeof(want),
					 "Global 192.0.2.%u Local 10.0.0.10",
					 seen[0] & 0xff);
				ck_assert_str_eq(line, want);
				ck_assert_uint_eq(xi.nconns, 2);
			}
			n++;
		}
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(pat, 1);
	}
	eh_free(h);
}
END_TEST

/* Echo through PAT: the identifier is translated both ways. */
START_TEST(test_icmp_echo_through_pat)
{
	struct eh *h = eh_new(pat_conf, 0);
	uint16_t gid;
	char want[200];

	ck_assert_int_eq(eh_icmp(h, "inside", A(10, 0, 0, 5), F, PH_ICMP_ECHO,
				 0x1234, 1, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	gid = pb_get16(h->buf + 20 + 4);
	ck_assert(pb_l4_ok(h->buf) && pb_ip_ok(h->buf));
	snprintf(want, sizeof(want),
		 "Built dynamic ICMP translation from inside:10.0.0.5/4660 "
		 "to outside:192.0.2.1/%u",
		 gid);
	eh_expect(h, want);
	snprintf(want, sizeof(want),
		 "Built outbound ICMP connection for faddr 198.51.100.7/1 "
		 "gaddr 192.0.2.1/%u laddr 10.0.0.5/4660",
		 gid);
	eh_expect(h, want);
	ck_assert_int_eq(
		eh_icmp(h, "outside", F, G, PH_ICMP_ECHOREPLY, gid, 1, 1),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
	ck_assert_uint_eq(pb_get16(h->buf + 20 + 4), 0x1234);
	ck_assert(pb_l4_ok(h->buf) && pb_ip_ok(h->buf));
	/* a reply with another id: no connection, inbound: denied */
	ck_assert_int_eq(
		eh_icmp(h, "outside", F, G, PH_ICMP_ECHOREPLY, gid + 1, 1, 1),
		PH_VERDICT_ACCEPT); /* to the box: G is ours */
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	/* timeout icmp 2 s */
	eh_skip(h);
	ph_engine_tick(h->eng, ph_time_from_sec(2));
	eh_expect_none(h);
	ph_engine_tick(h->eng, ph_time_from_sec(3));
	snprintf(want, sizeof(want),
		 "Teardown ICMP connection for faddr 198.51.100.7/1 gaddr "
		 "192.0.2.1/%u laddr 10.0.0.5/4660",
		 gid);
	eh_expect(h, want);
	eh_free(h);
}
END_TEST

/* An ICMP error from a router about a PAT'd TCP segment reaches the
 * inside host with the quote translated back. */
START_TEST(test_icmp_error_translated_back)
{
	struct eh *h = eh_new(pat_conf, 0);
	uint8_t sent[128], err[256];
	size_t n;
	uint16_t gport;
	const uint8_t *q;

	eh_tcp(h, "inside", A(10, 0, 0, 5), 1025, F, 80, PH_TCP_SYN, 1);
	gport = eh_sport(h);
	memcpy(sent, h->buf, 40);
	{
		struct pb_ip ip = { .src = A(192, 0, 2, 254),
				    .dst = G,
				    .id = 9 };

		n = pb_icmp_err(err, &ip, PH_ICMP_UNREACH, 3, sent, 28);
	}
	memcpy(h->buf, err, n);
	h->len = n;
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 254));
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
	q = h->buf + 28;
	ck_assert_uint_eq(pb_get32(q + 12), A(10, 0, 0, 5));
	ck_assert_uint_eq(pb_get32(q + 16), F);
	ck_assert_uint_eq(pb_get16(q + 20), 1025);
	ck_assert_uint_eq(pb_get16(q + 22), 80);
	ck_assert(pb_ip_ok(h->buf) && pb_l4_ok(h->buf) && pb_ip_ok(q));
	/* an error quoting a flow we do not have: to the box when it is
	 * addressed to us, else dropped */
	pb_put16(err + 28 + 20, (uint16_t)(gport + 1));
	pb_put16(err + 22, 0);
	pb_put16(err + 22, (uint16_t)~pb_sum(err + 20, n - 20, 0));
	memcpy(h->buf, err, n);
	h->len = n;
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	pb_put32(err + 16, A(192, 0, 2, 99));
	pb_fix_ip(err);
	memcpy(h->buf, err, n);
	ck_assert_int_eq(eh_run(h, "outside", SEC(1)), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ICMP_NO_CONN);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("xlate");
	TCase *tc = tcase_create("xlate");

	tcase_add_test(tc, test_table_keys_refs_idle);
	tcase_add_test(tc, test_pat_random_unique);
	tcase_add_test(tc, test_pat_exhaustion_and_reuse_after_expiry);
	tcase_add_test(tc, test_pat_gre_one_host);
	tcase_add_test(tc, test_pool_then_pat);
	tcase_add_test(tc, test_icmp_echo_through_pat);
	tcase_add_test(tc, test_icmp_error_translated_back);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
