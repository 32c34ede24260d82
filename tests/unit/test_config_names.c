/*
 * test_config_names.c - the PIX literal tables (config/names.c): ports,
 * ICMP types, protocols and syslog levels, both directions.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "config/names.h"

static const struct {
	const char *name;
	int port;
} port_cases[] = {
	{ "www", 80 },	   { "WWW", 80 },      { "pptp", 1723 },
	{ "https", 443 },  { "smtp", 25 },     { "domain", 53 },
	{ "ftp", 21 },	   { "ftp-data", 20 }, { "telnet", 23 },
	{ "ssh", 22 },	   { "h323", 1720 },   { "sqlnet", 1521 },
	{ "isakmp", 500 }, { "syslog", 514 },  { "rsh", 514 },
	{ "tftp", 69 },	   { "bogus", -1 },    { "", -1 },
	{ "80", -1 },
};

START_TEST(test_port_lookup)
{
	for (size_t i = 0; i < sizeof(port_cases) / sizeof(*port_cases); i++)
		ck_assert_msg(ph_names_port(port_cases[i].name) ==
				      port_cases[i].port,
			      "%s", port_cases[i].name);
}
END_TEST

static const struct {
	uint16_t port;
	int proto;
	const char *name; /* NULL: printed as a number */
} port_str_cases[] = {
	{ 80, 6, "www" },   { 80, 17, "www" },	 { 1723, 6, "pptp" },
	{ 1723, 17, NULL }, { 514, 6, "rsh" },	 { 514, 17, "syslog" },
	{ 512, 6, "exec" }, { 512, 17, "biff" }, { 513, 6, "login" },
	{ 513, 17, "who" }, { 53, 0, "domain" }, { 1723, 0, NULL },
	{ 12345, 6, NULL }, { 0, 6, NULL },
};

START_TEST(test_port_print)
{
	for (size_t i = 0; i < sizeof(port_str_cases) / sizeof(*port_str_cases);
	     i++) {
		const char *s = ph_names_port_str(port_str_cases[i].port,
						  port_str_cases[i].proto);

		if (port_str_cases[i].name == NULL)
			ck_assert_msg(s == NULL, "port %u",
				      port_str_cases[i].port);
		else
			ck_assert_str_eq(s, port_str_cases[i].name);
	}
}
END_TEST

/* Every printed literal parses back to its number. */
START_TEST(test_port_roundtrip)
{
	int seen = 0;

	for (int port = 0; port < 65536; port++) {
		for (int proto = 0; proto <= 17; proto += 17) {
			const char *s = ph_names_port_str((uint16_t)port,
							  proto ? proto : 6);

			if (s == NULL)
				continue;
			ck_assert_int_eq(ph_names_port(s), port);
			seen++;
		}
	}
	ck_assert_int_ge(seen, (int)ph_names_n_ports() - 4);
}
END_TEST

static const struct {
	const char *name;
	int type;
} icmp_cases[] = {
	{ "echo-reply", 0 },
	{ "unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo", 8 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp-request", 13 },
	{ "timestamp-reply", 14 },
	{ "mask-request", 17 },
	{ "mask-reply", 18 },
	{ "traceroute", 30 },
	{ "ping", -1 },
};

START_TEST(test_icmp)
{
	for (size_t i = 0; i < sizeof(icmp_cases) / sizeof(*icmp_cases); i++) {
		ck_assert_int_eq(ph_names_icmp(icmp_cases[i].name),
				 icmp_cases[i].type);
		if (icmp_cases[i].type >= 0)
			ck_assert_str_eq(ph_names_icmp_str(icmp_cases[i].type),
					 icmp_cases[i].name);
	}
	ck_assert_ptr_null(ph_names_icmp_str(1));
	ck_assert_ptr_null(ph_names_icmp_str(-1));
	ck_assert_ptr_null(ph_names_icmp_str(256));
	ck_assert_int_ge(ph_names_n_icmp(), 18);
}
END_TEST

static const struct {
	const char *name;
	int proto;
	const char *printed;
} proto_cases[] = {
	{ "ip", PH_PROTO_ANY, "ip" }, { "tcp", 6, "tcp" },
	{ "udp", 17, "udp" },	      { "icmp", 1, "icmp" },
	{ "gre", 47, "gre" },	      { "pptp", 47, "gre" },
	{ "esp", 50, "esp" },	      { "ipsec", 50, "esp" },
	{ "ah", 51, "ah" },	      { "ospf", 89, "ospf" },
	{ "GRE", 47, "gre" },	      { "bogus", -2, NULL },
};

START_TEST(test_protocols)
{
	for (size_t i = 0; i < sizeof(proto_cases) / sizeof(*proto_cases);
	     i++) {
		int p = ph_names_proto(proto_cases[i].name);

		ck_assert_int_eq(p, proto_cases[i].proto);
		if (proto_cases[i].printed)
			ck_assert_str_eq(ph_names_proto_str(p),
					 proto_cases[i].printed);
	}
	ck_assert_str_eq(ph_names_proto_str(0), "ip");
	ck_assert_ptr_null(ph_names_proto_str(200));
}
END_TEST

START_TEST(test_levels)
{
	static const char *const names[] = { "emergencies",   "alerts",
					     "critical",      "errors",
					     "warnings",      "notifications",
					     "informational", "debugging" };

	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(ph_names_level(names[i]), i);
		ck_assert_str_eq(ph_names_level_str(i), names[i]);
	}
	ck_assert_int_eq(ph_names_level("Debugging"), 7);
	ck_assert_int_eq(ph_names_level("debug"), -1);
	ck_assert_ptr_null(ph_names_level_str(8));
	ck_assert_ptr_null(ph_names_level_str(-1));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_names");
	TCase *tc = tcase_create("tables");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_port_lookup);
	tcase_add_test(tc, test_port_print);
	tcase_add_test(tc, test_port_roundtrip);
	tcase_add_test(tc, test_icmp);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_levels);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
