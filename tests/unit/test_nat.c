/*
 * test_nat.c - translation rule order (PIX 6.3, reference s3.6): NAT
 * exemption before static before policy NAT before regular NAT, config
 * order within the first three, best match (longest prefix) within the
 * last; and the same decisions seen through the engine.
 */
#include "engtest.h"

#include "core/nat.h"

static const char *base = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.0.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "access-list NONAT permit ip 10.0.1.0 255.255.255.0 "
			  "198.51.100.0 255.255.255.0\n"
			  "access-list POL permit ip 10.0.2.0 255.255.255.0 "
			  "203.0.113.0 255.255.255.0\n"
			  "nat (inside) 0 access-list NONAT\n"
			  "nat (inside) 3 access-list POL\n"
			  "nat (inside) 1 10.0.0.0 255.255.0.0\n"
			  "nat (inside) 2 10.0.2.0 255.255.255.0\n"
			  "nat (inside) 0 10.0.9.0 255.255.255.0\n"
			  "nat (inside) 4 10.0.8.0 255.255.255.0\n"
			  "global (outside) 1 192.0.2.10\n"
			  "global (outside) 2 192.0.2.20\n"
			  "global (outside) 3 192.0.2.30\n"
			  "static (inside,outside) 192.0.2.50 10.0.1.50\n"
			  "static (inside,outside) 192.0.2.60 10.0.2.60\n";

struct nat_case {
	const char *what;
	uint32_t src, dst;
	uint8_t kind;	/* enum ph_nat_kind */
	int rule_line;	/* nats[]/statics[] index expected */
	uint32_t maddr; /* STATIC only */
};

static const struct nat_case cases[] = {
	/* exemption wins over the static of 10.0.1.50 */
	{ "exempt over static", A(10, 0, 1, 50), A(198, 51, 100, 9),
	  PH_NAT_EXEMPT, 0, 0 },
	/* same host elsewhere: the static */
	{ "static", A(10, 0, 1, 50), A(8, 8, 8, 8), PH_NAT_STATIC, 0,
	  A(192, 0, 2, 50) },
	/* static wins over policy NAT */
	{ "static over policy nat", A(10, 0, 2, 60), A(203, 0, 113, 5),
	  PH_NAT_STATIC, 1, A(192, 0, 2, 60) },
	/* policy NAT wins over the better regular match */
	{ "policy nat", A(10, 0, 2, 61), A(203, 0, 113, 5), PH_NAT_DYNAMIC, 1,
	  0 },
	/* regular: best match (/24 of nat 2) over the /16 of nat 1 */
	{ "best match", A(10, 0, 2, 61), A(8, 8, 8, 8), PH_NAT_DYNAMIC, 3, 0 },
	{ "wider match", A(10, 0, 3, 1), A(8, 8, 8, 8), PH_NAT_DYNAMIC, 2, 0 },
	/* identity nat 0 addr mask */
	{ "identity", A(10, 0, 9, 4), A(8, 8, 8, 8), PH_NAT_IDENTITY, 4, 0 },
	/* nat 4 has no global on outside: the /16 nat 1 is used */
	{ "no global for id", A(10, 0, 8, 4), A(8, 8, 8, 8), PH_NAT_DYNAMIC, 2,
	  0 },
	/* outside every nat */
	{ "none", A(10, 1, 0, 1), A(8, 8, 8, 8), PH_NAT_NONE, 0, 0 },
};

START_TEST(test_outbound_order)
{
	const struct nat_case *c = &cases[_i];
	struct ph_policy *pol = eh_parse(base);
	struct ph_nat_key k = { .src = c->src,
				.dst = c->dst,
				.sport = 1025,
				.dport = 80,
				.proto = 6,
				.icmp_type = PH_ICMP_ANY };
	struct ph_nat_res r;

	ph_nat_outbound(pol, NULL, 1, 0, &k, &r);
	ck_assert_msg(r.kind == c->kind, "%s: kind %u want %u", c->what, r.kind,
		      c->kind);
	if (c->kind != PH_NAT_NONE)
		ck_assert_msg(r.rule == (uint32_t)c->rule_line,
			      "%s: rule %u want %d", c->what, r.rule,
			      c->rule_line);
	if (c->kind == PH_NAT_STATIC)
		ck_assert_uint_eq(r.maddr, c->maddr);
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_inbound_static_and_exempt)
{
	struct ph_policy *pol = eh_parse(base);
	struct ph_nat_key k = { .src = A(198, 51, 100, 9),
				.dst = A(192, 0, 2, 50),
				.sport = 999,
				.dport = 80,
				.proto = 6,
				.icmp_type = PH_ICMP_ANY };
	struct ph_nat_res r;

	ck_assert(ph_nat_inbound_static(pol, NULL, 0, &k, &r));
	ck_assert_uint_eq(r.maddr, A(10, 0, 1, 50));
	ck_assert_uint_eq(r.real_if, 1);
	/* not on the mapped interface */
	ck_assert(!ph_nat_inbound_static(pol, NULL, 1, &k, &r));
	/* exemption read with source and destination swapped */
	k.dst = A(10, 0, 1, 7);
	ck_assert(ph_nat_inbound_exempt(pol, NULL, 1, &k, &r));
	ck_assert_uint_eq(r.kind, PH_NAT_EXEMPT);
	k.src = A(8, 8, 8, 8);
	ck_assert(!ph_nat_inbound_exempt(pol, NULL, 1, &k, &r));
	/* identity nat 0 (no ACL) never admits inbound */
	k.src = A(198, 51, 100, 9);
	k.dst = A(10, 0, 9, 4);
	ck_assert(!ph_nat_inbound_exempt(pol, NULL, 1, &k, &r));
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_static_pat_and_network)
{
	struct ph_policy *pol = eh_parse(
		"nameif ethernet0 outside security0\n"
		"nameif ethernet1 inside security100\n"
		"ip address outside 192.0.2.1 255.255.255.0\n"
		"ip address inside 10.0.0.1 255.255.0.0\n"
		"static (inside,outside) tcp interface www 10.0.0.80 8080\n"
		"static (inside,outside) 192.0.2.128 10.0.5.128 netmask "
		"255.255.255.128\n");
	struct ph_nat_key k = { .src = A(8, 8, 8, 8),
				.dst = A(192, 0, 2, 1),
				.sport = 999,
				.dport = 80,
				.proto = 6,
				.icmp_type = PH_ICMP_ANY };
	struct ph_nat_res r;

	ck_assert(ph_nat_inbound_static(pol, NULL, 0, &k, &r));
	ck_assert_uint_eq(r.maddr, A(10, 0, 0, 80));
	ck_assert(r.port);
	ck_assert_uint_eq(r.mport, 8080);
	k.dport = 81;
	ck_assert(!ph_nat_inbound_static(pol, NULL, 0, &k, &r));
	k.proto = 17;
	k.dport = 80;
	ck_assert(!ph_nat_inbound_static(pol, NULL, 0, &k, &r));
	/* network static keeps the host part */
	k.proto = 6;
	k.dst = A(192, 0, 2, 200);
	ck_assert(ph_nat_inbound_static(pol, NULL, 0, &k, &r));
	ck_assert_uint_eq(r.maddr, A(10, 0, 5, 200));
	/* outbound from the static PAT server's port: the static */
	k.src = A(10, 0, 0, 80);
	k.sport = 8080;
	k.dst = A(8, 8, 8, 8);
	ph_nat_outbound(pol, NULL, 1, 0, &k, &r);
	ck_assert_uint_eq(r.kind, PH_NAT_STATIC);
	ck_assert_uint_eq(r.maddr, A(192, 0, 2, 1));
	ck_assert_uint_eq(r.mport, 80);
	/* from another port of that host: nothing (no nat line) */
	k.sport = 5000;
	ph_nat_outbound(pol, NULL, 1, 0, &k, &r);
	ck_assert_uint_eq(r.kind, PH_NAT_NONE);
	ph_policy_free(pol);
}
END_TEST

/* Through the engine: the same host translated three ways by rule. */
START_TEST(test_engine_applies_order)
{
	struct eh *h = eh_new(base, 0);

	/* exempt: untranslated, both ways */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 1, 50), 1025,
				A(198, 51, 100, 9), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(10, 0, 1, 50));
	ck_assert(!h->out.modified);
	/* static */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 1, 50), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 50));
	ck_assert_uint_eq(eh_sport(h), 1025);
	/* PAT on nat 2's global (best match) */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 2, 61), 1025,
				A(8, 8, 8, 8), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 20));
	/* policy NAT */
	ck_assert_int_eq(eh_tcp(h, "inside", A(10, 0, 2, 61), 1025,
				A(203, 0, 113, 5), 80, PH_TCP_SYN, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 30));
	/* an outside host may open to an exempt inside host, with a
	 * conduit or ACL */
	eh_skip(h);
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 9), 2000,
				A(10, 0, 1, 7), 22, PH_TCP_SYN, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONDUIT);
	/* identity nat: outbound only: 106011 inbound */
	ck_assert_int_eq(eh_tcp(h, "outside", A(198, 51, 100, 9), 2000,
				A(10, 0, 9, 4), 22, PH_TCP_SYN, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_NO_XLATE_IN);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nat");
	TCase *tc = tcase_create("order");

	tcase_add_loop_test(tc, test_outbound_order, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_inbound_static_and_exempt);
	tcase_add_test(tc, test_static_pat_and_network);
	tcase_add_test(tc, test_engine_applies_order);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
