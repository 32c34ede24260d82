/*
 * test_config_compile.c - what the rule files compile to (config/compile.c)
 * : interfaces, ACL flattening and object-group expansion, NAT, routes,
 * timeouts, logging and the PPTP inspection rule, on the seed rule files
 * and on small snippets.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_config.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static char *
slurp(const char *name)
{
	const char *dir = getenv("PH_SRCDIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/rules/%s", dir ? dir : ".", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s (set PH_SRCDIR)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct ph_policy *
load(const char *name)
{
	char *text = slurp(name);
	struct ph_policy *pol = tc_ok(text);

	free(text);
	return pol;
}

static int
acl_idx(const struct ph_policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_acls; i++)
		if (strcmp(pol->acls[i].name, name) == 0)
			return (int)i;
	return -1;
}

START_TEST(test_seed_to_pix)
{
	struct ph_policy *pol = load("seed-to-pix-local.conf");
	static const uint32_t want_to[][2] = {
		{ PH_TO_XLATE, 10800 },	    { PH_TO_CONN, 3600 },
		{ PH_TO_HALF_CLOSED, 600 }, { PH_TO_UDP, 120 },
		{ PH_TO_RPC, 600 },	    { PH_TO_H323, 300 },
		{ PH_TO_UAUTH, 300 },	    { PH_TO_ICMP, 2 },
		{ PH_TO_GRE, 3600 },	    { PH_TO_EMBRYONIC, 30 },
		{ PH_TO_PAT_XLATE, 30 },
	};

	ck_assert_uint_eq(pol->n_ifaces, 3);
	ck_assert_str_eq(pol->ifaces[2].name, "pix/intf2");
	ck_assert_uint_eq(pol->ifaces[2].security, 10);
	ck_assert_uint_eq(pol->ifaces[1].addr, IP(10, 1, 1, 1));
	ck_assert_uint_eq(pol->n_nats, 2);
	ck_assert_int_eq(pol->nats[0].acl, acl_idx(pol, "101"));
	ck_assert_int_ge(pol->nats[0].acl, 0);
	ck_assert_uint_eq(pol->nats[0].id, 0);
	ck_assert_uint_eq(pol->nats[0].ifidx, 1);
	ck_assert_int_eq(pol->nats[1].acl, -1);
	ck_assert_uint_eq(pol->nats[1].match.addr, IP(10, 1, 1, 0));
	ck_assert_uint_eq(pol->nats[1].match.mask, IP(255, 255, 255, 0));
	ck_assert_uint_eq(pol->n_globals, 1);
	ck_assert_uint_eq(pol->globals[0].lo, IP(172, 18, 124, 201));
	ck_assert_uint_eq(pol->globals[0].hi, IP(172, 18, 124, 202));
	ck_assert_uint_eq(pol->globals[0].ifidx, 0);
	ck_assert(!pol->globals[0].is_iface);
	for (size_t i = 0; i < sizeof(want_to) / sizeof(*want_to); i++)
		ck_assert_uint_eq(pol->timeouts[want_to[i][0]], want_to[i][1]);
	ck_assert(pol->permit_pptp);
	ck_assert(!pol->inspect.pptp);
	ck_assert_str_eq(pol->hostname, "PIX");
	ck_assert_uint_eq(pol->n_conduits, 1);
	ck_assert_int_eq(pol->conduits[0].proto, 1);
	ck_assert_uint_eq(pol->conduits[0].dst.mask, 0);
	ck_assert_int_eq(pol->conduits[0].icmp_type, PH_ICMP_ANY);
	/* 3 connected routes + the default, longest prefix first */
	ck_assert_uint_eq(pol->n_routes, 4);
	ck_assert_uint_eq(pol->routes[0].dst.mask, 0xffffffffu);
	ck_assert_uint_eq(pol->routes[3].dst.mask, 0);
	ck_assert_uint_eq(pol->routes[3].gw, IP(172, 18, 124, 1));
	ck_assert_uint_eq(pol->routes[3].metric, 1);
	ck_assert_uint_eq(pol->routes[1].gw, 0);
	ck_assert(pol->logging.on);
	ck_assert_int_eq(pol->logging.trap, 7);
	ck_assert_int_eq(pol->logging.console, -1);
	ck_assert_uint_eq(pol->logging.facility, 20);
	ck_assert_uint_eq(pol->logging.queue, 512);
	ck_assert(!pol->logging.asa_prefix);
	ck_assert(pol->acls[0].applied);
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_seed_through)
{
	struct ph_policy *pol = load("seed-through-62-client-inside.conf");
	int a = acl_idx(pol, "acl-out");

	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(pol->ifaces[0].acl_in, a);
	ck_assert_int_eq(pol->ifaces[1].acl_in, -1);
	ck_assert(pol->ifaces[2].shutdown);
	ck_assert(!pol->ifaces[0].shutdown);
	ck_assert_uint_eq(pol->n_aces, 1);
	ck_assert_int_eq(pol->aces[0].proto, 47);
	ck_assert_uint_eq(pol->aces[0].src.addr, IP(192, 168, 201, 25));
	ck_assert_uint_eq(pol->aces[0].dst.mask, 0xffffffffu);
	ck_assert_uint_eq(pol->aces[0].action, PH_ACL_PERMIT);
	ck_assert_int_eq(pol->aces[0].log_level, PH_LOG_NONE);
	ck_assert_uint_eq(pol->n_statics, 1);
	ck_assert_uint_eq(pol->statics[0].real_if, 1);
	ck_assert_uint_eq(pol->statics[0].mapped_if, 0);
	ck_assert_uint_eq(pol->statics[0].mapped_addr, IP(192, 168, 201, 5));
	ck_assert_uint_eq(pol->statics[0].real_addr, IP(10, 48, 66, 106));
	ck_assert_uint_eq(pol->statics[0].mask, 0xffffffffu);
	ck_assert_int_eq(pol->statics[0].acl, -1);
	ck_assert_uint_eq(pol->timeouts[PH_TO_SIP], 1800);
	ck_assert_uint_eq(pol->timeouts[PH_TO_SIP_MEDIA], 120);
	ck_assert_int_eq(pol->logging.console, 7);
	ck_assert_uint_eq(pol->ifaces[1].mask, IP(255, 255, 254, 0));
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_seed_snippets)
{
	struct ph_policy *pol = load("seed-63-pat.conf");

	/* no nameif: the PIX factory interfaces */
	ck_assert_uint_eq(pol->n_ifaces, 2);
	ck_assert_str_eq(pol->ifaces[0].name, "outside");
	ck_assert_str_eq(pol->ifaces[0].hwid, "ethernet0");
	ck_assert_uint_eq(pol->ifaces[0].security, 0);
	ck_assert_str_eq(pol->ifaces[1].name, "inside");
	ck_assert_uint_eq(pol->ifaces[1].security, 100);
	ck_assert(pol->inspect.pptp);
	ck_assert_uint_eq(pol->inspect.n_pptp_ports, 1);
	ck_assert_uint_eq(pol->inspect.pptp_ports[0], 1723);
	ck_assert(pol->globals[0].is_iface);
	ck_assert_uint_eq(pol->nats[0].match.mask, 0);
	ph_policy_free(pol);

	pol = load("seed-7x-inspect.conf");
	ck_assert(pol->inspect.pptp);
	ck_assert_uint_eq(pol->inspect.n_pptp_ports, 1);
	ck_assert_uint_eq(pol->inspect.pptp_ports[0], 1723);
	ph_policy_free(pol);

	pol = load("seed-7x-acl.conf");
	ck_assert(!pol->inspect.pptp);
	ck_assert_uint_eq(pol->n_aces, 2);
	ck_assert_uint_eq(pol->aces[1].dport.op, PH_PORT_EQ);
	ck_assert_uint_eq(pol->aces[1].dport.lo, 1723);
	ck_assert_uint_eq(pol->aces[1].sport.op, PH_PORT_ANY);
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_objgroup_expansion)
{
	struct ph_policy *pol = load("example-objgroups.conf");
	int a = acl_idx(pol, "outside_in");
	const struct ph_acl *acl = &pol->acls[a];
	const struct ph_ace *e = &pol->aces[acl->first];
	uint32_t n_icmp = 0;

	/* udp 1 + 3 hosts x 3 ports + 1 + 2 protocols + 3 icmp + 1 */
	ck_assert_uint_eq(acl->count, 17);
	ck_assert_uint_eq(acl->n_shown, 6);
	ck_assert_uint_eq(e[0].proto, 17);
	ck_assert_uint_eq(e[0].line_no, 2); /* line 1 is the remark */
	ck_assert_uint_eq(e[0].dport.op, PH_PORT_RANGE);
	ck_assert_uint_eq(e[0].dport.hi, 5010);
	for (uint32_t i = 1; i <= 9; i++) {
		ck_assert_uint_eq(e[i].ace_idx, acl->hit_base + 1);
		ck_assert_uint_eq(e[i].line_no, 3);
	}
	ck_assert_uint_eq(e[1].dst.addr, IP(10, 0, 3, 10));
	ck_assert_uint_eq(e[1].dport.lo, 80);
	ck_assert_uint_eq(e[2].dport.lo, 443);
	ck_assert_uint_eq(e[3].dport.op, PH_PORT_RANGE);
	ck_assert_uint_eq(e[7].dst.addr, IP(10, 0, 4, 0));
	ck_assert_uint_eq(e[10].log_level, PH_LOG_DEFAULT_LEVEL);
	ck_assert_uint_eq(e[10].log_interval, PH_LOG_DEFAULT_INTERVAL);
	ck_assert_int_eq(e[11].proto, 47);
	ck_assert_int_eq(e[12].proto, 50);
	for (uint32_t i = 13; i <= 15; i++)
		n_icmp += e[i].proto == 1;
	ck_assert_uint_eq(n_icmp, 3);
	ck_assert_int_eq(e[13].icmp_type, 8);
	ck_assert_int_eq(e[15].icmp_type, 11);
	ck_assert_uint_eq(e[16].action, PH_ACL_DENY);
	ck_assert_int_eq(e[16].log_level, 4);
	ck_assert_uint_eq(e[16].log_interval, 60);
	ck_assert_uint_eq(pol->n_hit_slots, 6 + 2 + 1 + 1);
	/* the "log disable" ACE logs nothing */
	ck_assert_int_eq(
		pol->aces[pol->acls[acl_idx(pol, "inside_in")].first + 1]
			.log_level,
		PH_LOG_NONE);
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_example_nat_logging)
{
	struct ph_policy *pol = load("example-objgroups.conf");

	ck_assert_uint_eq(pol->n_statics, 4);
	ck_assert(pol->statics[2].mapped_is_iface);
	ck_assert_uint_eq(pol->statics[2].proto, 6);
	ck_assert_uint_eq(pol->statics[2].mapped_addr, IP(209, 165, 201, 2));
	ck_assert_uint_eq(pol->statics[2].mapped_port, 8080);
	ck_assert_uint_eq(pol->statics[2].real_port, 80);
	ck_assert_uint_eq(pol->statics[1].max_conns, 500);
	ck_assert_uint_eq(pol->statics[1].emb_limit, 100);
	ck_assert_uint_eq(pol->statics[0].real_addr, IP(10, 0, 3, 10));
	ck_assert(pol->statics[3].norandomseq);
	ck_assert_uint_eq(pol->statics[3].mask, IP(255, 255, 255, 0));
	ck_assert_int_eq(pol->nats[1].acl, acl_idx(pol, "POLICY1"));
	ck_assert_uint_eq(pol->nats[1].id, 2);
	ck_assert(pol->nats[2].dns);
	ck_assert_uint_eq(pol->nats[2].max_conns, 100);
	ck_assert_uint_eq(pol->nats[2].emb_limit, 50);
	ck_assert_uint_eq(pol->globals[0].mask, IP(255, 255, 255, 224));
	ck_assert_uint_eq(pol->globals[1].lo, pol->globals[1].hi);
	ck_assert(pol->globals[2].is_iface);
	ck_assert_uint_eq(pol->globals[2].lo, IP(209, 165, 201, 2));
	ck_assert_uint_eq(pol->ifaces[2].mtu, 9000);
	ck_assert_uint_eq(pol->logging.n_hosts, 2);
	ck_assert_uint_eq(pol->logging.hosts[0].ifidx, 1);
	ck_assert_uint_eq(pol->logging.hosts[0].proto, 17);
	ck_assert_uint_eq(pol->logging.hosts[0].port, 514);
	ck_assert_uint_eq(pol->logging.hosts[1].proto, 6);
	ck_assert_uint_eq(pol->logging.hosts[1].port, 1470);
	ck_assert_uint_eq(pol->logging.devid_kind, PH_DEVID_HOSTNAME);
	ck_assert_uint_eq(pol->logging.facility, 23);
	ck_assert_uint_eq(pol->logging.queue, 1024);
	ck_assert(pol->logging.timestamp);
	ck_assert_int_eq(pol->logging.buffered, 7);
	ck_assert_uint_eq(pol->timeouts[PH_TO_CONN], 7200);
	ck_assert_uint_eq(pol->timeouts[PH_TO_GRE], 1800);
	ck_assert_uint_eq(pol->timeouts[PH_TO_EMBRYONIC], 20);
	ck_assert_uint_eq(pol->timeouts[PH_TO_UAUTH], 300);
	/* fixup pptp 1723, 5000-5001, then no 5001 */
	ck_assert(pol->inspect.pptp);
	ck_assert_uint_eq(pol->inspect.n_pptp_ports, 2);
	ck_assert_uint_eq(pol->inspect.pptp_ports[0], 1723);
	ck_assert_uint_eq(pol->inspect.pptp_ports[1], 5000);
	/* routes: 3 connected /24-/27, then 10/8, then default */
	ck_assert_uint_eq(pol->n_routes, 5);
	ck_assert_uint_eq(pol->routes[0].dst.mask, IP(255, 255, 255, 224));
	ck_assert_uint_eq(pol->routes[3].dst.addr, IP(10, 0, 0, 0));
	ck_assert_uint_eq(pol->routes[3].metric, 2);
	ph_policy_free(pol);
}
END_TEST

START_TEST(test_example_asa)
{
	struct ph_policy *pol = load("example-asa.conf");

	ck_assert(pol->logging.asa_prefix);
	ck_assert(pol->logging.on);
	ck_assert_uint_eq(pol->n_ifaces, 2); /* Ethernet0/2 has no nameif */
	ck_assert_str_eq(pol->ifaces[1].name, "inside");
	ck_assert_uint_eq(pol->ifaces[1].security, 100);
	ck_assert_str_eq(pol->ifaces[0].hwid, "Ethernet0/0");
	ck_assert_str_eq(pol->ifaces[0].linux_name, "");
	ck_assert_uint_eq(pol->ifaces[0].addr, IP(198, 51, 100, 2));
	ck_assert(pol->inspect.pptp);
	ck_assert_uint_eq(pol->inspect.n_pptp_ports, 1);
	ck_assert_uint_eq(pol->logging.hosts[0].port, 5514);
	ck_assert_str_eq(pol->hostname, "asa1");
	ph_policy_free(pol);
}
END_TEST

static const struct {
	const char *text;
	bool pptp;
	uint16_t port; /* first port when pptp */
} pptp_cases[] = {
	{ "fixup protocol pptp 1723\n", true, 1723 },
	{ "fixup protocol pptp\n", true, 1723 },
	{ "fixup protocol pptp 1723\nno fixup protocol pptp 1723\n", false, 0 },
	{ "fixup protocol pptp 1723\nno fixup protocol pptp\n", false, 0 },
	{ "fixup protocol pptp 1724\n", true, 1724 },
	/* a policy-map other than global_policy needs a service-policy */
	{ "policy-map p\n class inspection_default\n  inspect pptp\n", false,
	  0 },
	{ "policy-map p\n class inspection_default\n  inspect pptp\n"
	  "service-policy p global\n",
	  true, 1723 },
	/* another global policy replaces the factory global_policy */
	{ "policy-map global_policy\n class inspection_default\n  inspect "
	  "pptp\npolicy-map p\n class class-default\n  inspect ftp\n"
	  "service-policy p global\n",
	  false, 0 },
	{ "class-map c\n match port tcp eq 5000\npolicy-map global_policy\n"
	  " class c\n  inspect pptp\n",
	  true, 5000 },
	{ "policy-map global_policy\n class inspection_default\n  inspect "
	  "pptp\n  no inspect pptp\n",
	  false, 0 },
	{ "fixup protocol ftp 21\n", false, 0 },
};

START_TEST(test_pptp_rule)
{
	for (size_t i = 0; i < sizeof(pptp_cases) / sizeof(*pptp_cases); i++) {
		struct ph_policy *pol = tc_ok(pptp_cases[i].text);

		ck_assert_msg(pol->inspect.pptp == pptp_cases[i].pptp,
			      "case %zu", i);
		if (pptp_cases[i].pptp)
			ck_assert_uint_eq(pol->inspect.pptp_ports[0],
					  pptp_cases[i].port);
		else
			ck_assert_uint_eq(pol->inspect.n_pptp_ports, 0);
		ph_policy_free(pol);
	}
}
END_TEST

START_TEST(test_ifmap)
{
	static const char text[] = "nameif ethernet0 outside security0\n"
				   "nameif eth7 inside security100\n";
	struct ph_ifmap map[] = { { "ethernet0", "eth1" },
				  { "ethernet9", "eth9" } };
	struct ph_parse_opts o = { .filename = "t", .ifmap = map, .n_ifmap = 2 };
	struct ph_policy *pol;
	struct ph_diags *d;
	const struct ph_diag *g;

	ck_assert_int_eq(ph_policy_parse(text, strlen(text), &o, &pol, &d), 0);
	ck_assert_str_eq(pol->ifaces[0].linux_name, "eth1");
	ck_assert_str_eq(pol->ifaces[1].linux_name, "eth7");
	g = tc_first(d, PH_DIAG_WARNING);
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->line, 0);
	ck_assert_str_eq(g->msg, "-i ethernet9=eth9: no interface has hardware "
				 "id 'ethernet9'");
	ph_policy_free(pol);
	ph_diags_free(d);

	map[1].hwid = "eth7";
	map[1].linux_name = "eth1";
	ck_assert_int_eq(ph_policy_parse(text, strlen(text), &o, &pol, &d),
			 -EINVAL);
	g = tc_first(d, PH_DIAG_ERROR);
	ck_assert_str_eq(g->msg, "interfaces 'outside' and 'inside' both map "
				 "to Linux interface 'eth1'");
	ck_assert_uint_eq(g->line, 2);
	ph_diags_free(d);
}
END_TEST

/* All fields but the file line, which differs. */
static bool
ace_eq(const struct ph_ace *x, const struct ph_ace *y)
{
	return x->action == y->action && x->proto == y->proto &&
	       x->src.addr == y->src.addr && x->src.mask == y->src.mask &&
	       x->dst.addr == y->dst.addr && x->dst.mask == y->dst.mask &&
	       x->sport.op == y->sport.op && x->sport.lo == y->sport.lo &&
	       x->sport.hi == y->sport.hi && x->dport.op == y->dport.op &&
	       x->dport.lo == y->dport.lo && x->dport.hi == y->dport.hi &&
	       x->icmp_type == y->icmp_type && x->log_level == y->log_level &&
	       x->log_interval == y->log_interval && x->ace_idx == y->ace_idx &&
	       x->line_no == y->line_no;
}

/* The canonical form compiles to the same policy as the original. */
START_TEST(test_canonical_same_policy)
{
	static const char *const files[] = { "example-objgroups.conf",
					     "seed-to-pix-radius.conf",
					     "example-asa.conf" };

	for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
		struct ph_policy *a = load(files[f]), *b;
		char *text = ph_policy_print(a), *again;

		b = tc_ok(text);
		again = ph_policy_print(b);
		ck_assert_str_eq(text, again);
		ck_assert_uint_eq(a->n_aces, b->n_aces);
		for (size_t i = 0; i < a->n_aces; i++)
			ck_assert_msg(ace_eq(&a->aces[i], &b->aces[i]),
				      "%s: ace %zu", files[f], i);
		ck_assert_uint_eq(a->n_ifaces, b->n_ifaces);
		ck_assert_mem_eq(a->timeouts, b->timeouts, sizeof(a->timeouts));
		ck_assert_mem_eq(&a->inspect, &b->inspect, sizeof(a->inspect));
		ck_assert_uint_eq(a->n_statics, b->n_statics);
		ck_assert_uint_eq(a->n_routes, b->n_routes);
		free(text);
		free(again);
		ph_policy_free(a);
		ph_policy_free(b);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_compile");
	TCase *tc = tcase_create("compile");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_seed_to_pix);
	tcase_add_test(tc, test_seed_through);
	tcase_add_test(tc, test_seed_snippets);
	tcase_add_test(tc, test_objgroup_expansion);
	tcase_add_test(tc, test_example_nat_logging);
	tcase_add_test(tc, test_example_asa);
	tcase_add_test(tc, test_pptp_rule);
	tcase_add_test(tc, test_ifmap);
	tcase_add_test(tc, test_canonical_same_policy);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
