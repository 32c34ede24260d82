/*
 * test_config_families.c - each command family, good and bad lines,
 * table-driven: a snippet either loads, or fails with the given message
 * at the given line:col.  Warnings are checked the same way.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test_config.h"

struct fam_case {
	const char *text;
	uint8_t sev; /* PH_DIAG_ERROR / WARNING; 0xff = loads clean */
	uint32_t line, col;
	const char *msg;
};

#define OK 0xff
#define E  PH_DIAG_ERROR
#define W  PH_DIAG_WARNING

/* Two ACL lines bound, so that "never applied" does not interfere. */
#define AG "access-group a in interface outside\n"

static const struct fam_case iface_cases[] = {
	{ "nameif ethernet0 outside security0\nnameif ethernet1 inside "
	  "security100\nnameif eth2 dmz security50\n",
	  OK, 0, 0, NULL },
	{ "nameif ethernet0 outside sec0\n", E, 1, 26,
	  "bad security level 'sec0': expected securityN" },
	{ "nameif ethernet0 outside security-1\n", E, 1, 26,
	  "bad security level 'security-1': expected securityN" },
	{ "nameif ethernet0 outside\n", E, 1, 25, "missing security level" },
	{ "nameif ethernet0 out(side security0\n", E, 1, 18,
	  "bad character '(' in interface name 'out(side'" },
	{ "ip address outside 10.0.0.1 255.255.255.0\nip address inside "
	  "10.1.0.1 255.255.0.0\n",
	  OK, 0, 0, NULL },
	{ "ip address outside 10.0.0.1\n", E, 1, 28, "missing netmask" },
	{ "ip address outside dhcp setroute\n", E, 1, 20,
	  "address from DHCP is not supported" },
	{ "ip address outside 10.0.0.256 255.0.0.0\n", E, 1, 20,
	  "bad IP address '10.0.0.256'" },
	{ "ip address outside 10.0.0 255.0.0.0\n", E, 1, 20,
	  "bad IP address '10.0.0'" },
	{ "mtu inside 1500 9\n", E, 1, 17, "unexpected '9'" },
	{ "interface ethernet0 auto\ninterface ethernet1 100full shutdown\n",
	  OK, 0, 0, NULL },
	{ "interface ethernet0 auto now\n", E, 1, 26,
	  "expected 'shutdown', found 'now'" },
	{ "interface GigabitEthernet0/0\n nameif outside\n security-level 0\n"
	  " ip address 1.2.3.4 255.255.255.0\ninterface "
	  "GigabitEthernet0/1\n nameif inside\n",
	  OK, 0, 0, NULL },
	{ "interface g0\n nameif outside\n security-level 101\n", E, 3, 17,
	  "security level 101 out of range (0-100)" },
	{ "interface g0\n nameif outside\ninterface g1\n nameif outside\n", E,
	  4, 9, "duplicate interface name 'outside' (line 2)" },
	{ "nameif ethernet0 outside security0\ninterface ethernet0\n", E, 2, 11,
	  "hardware id 'ethernet0' already named by nameif (line 1)" },
	{ "route outside 0.0.0.0 0.0.0.0 10.0.0.1\n", OK, 0, 0, NULL },
	{ "route outside 10.0.0.1 255.0.0.0 10.0.0.1 1\n", E, 1, 15,
	  "address 10.0.0.1 has bits outside netmask 255.0.0.0" },
	{ "names\nname 10.0.0.1 gw\nroute outside 0 0 gw 1\n", OK, 0, 0, NULL },
	{ "name 10.0.0.1 1abc\n", E, 1, 15,
	  "name '1abc' must start with a letter" },
	{ "name 10.0.0.1\n", E, 1, 14, "missing name" },
};

static const struct fam_case acl_cases[] = {
	{ "access-list a permit ip any any\n" AG, OK, 0, 0, NULL },
	{ "access-list a extended permit tcp any host 1.2.3.4 eq www log 7 "
	  "interval 60\n" AG,
	  OK, 0, 0, NULL },
	{ "access-list a line 1 permit udp any range 1 10 any gt 1023\n" AG, OK,
	  0, 0, NULL },
	{ "access-list a permit 47 any any\naccess-list a deny 255 any "
	  "any\n" AG,
	  OK, 0, 0, NULL },
	{ "access-list a permit 256 any any\n" AG, E, 1, 22,
	  "protocol 256 out of range (0-255)" },
	{ "access-list a permit icmp any any 8\naccess-list a permit icmp "
	  "any any echo-reply log disable\n" AG,
	  OK, 0, 0, NULL },
	{ "access-list a permit icmp any any 300\n" AG, E, 1, 35,
	  "ICMP type 300 out of range (0-255)" },
	{ "access-list a allow ip any any\n" AG, E, 1, 15,
	  "expected 'permit' or 'deny', found 'allow'" },
	{ "access-list a permit\n" AG, E, 1, 21, "missing protocol" },
	{ "access-list a permit tcp any any neq\n" AG, E, 1, 37,
	  "missing port" },
	{ "access-list a permit tcp any any eq 80 time-range t\n" AG, E, 1, 40,
	  "'time-range' is not supported" },
	{ "access-list a permit ip interface outside any\n" AG, E, 1, 25,
	  "'interface' as an ACL address is not supported" },
	{ "access-list a permit ip any any log 5 interval 601\n" AG, E, 1, 48,
	  "log interval 601 out of range (1-600)" },
	{ "access-list a remark hello world\naccess-list a permit ip any "
	  "any\n" AG,
	  OK, 0, 0, NULL },
	{ "access-list a permit ip any any\n", W, 1, 13,
	  "access-list 'a' is never applied" },
	{ "access-list compiled\naccess-list a deny-flow-max 10\n", E, 2, 15,
	  "expected 'permit' or 'deny', found 'deny-flow-max'" },
	{ "object-group network N\n network-object host 1.1.1.1\n"
	  " network-object 10.0.0.0 255.0.0.0\nobject-group service S tcp\n"
	  " port-object eq 80\nobject-group service U udp\n port-object range "
	  "53 54\naccess-list a permit tcp object-group N object-group S any "
	  "object-group S\naccess-list a permit udp any object-group N "
	  "object-group U\n" AG,
	  OK, 0, 0, NULL },
	{ "object-group service S tcp\n port-object lt 80\n", E, 2, 14,
	  "port-object needs 'eq' or 'range'" },
	{ "object-group service S\n", E, 1, 23,
	  "service object-group needs tcp, udp or tcp-udp" },
	{ "object-group widget W\n", E, 1, 14,
	  "unknown object-group type 'widget'" },
	{ "object-group network N\n network-object any\n", E, 2, 17,
	  "use 0.0.0.0 0.0.0.0 for any in a network object" },
	{ "object-group network N\n network-object host 1.1.1.1\n"
	  "object-group protocol N\n",
	  E, 3, 23,
	  "object-group 'N' already defined with another type (line 1)" },
	{ "object-group service S tcp\n port-object eq 80\naccess-list a "
	  "permit icmp any any object-group S\n" AG,
	  E, 3, 35, "service object-group needs protocol tcp or udp" },
	{ "object-group service S tcp\n port-object eq 80\naccess-list a "
	  "permit ip any object-group S any\n" AG,
	  E, 3, 29, "service object-group needs protocol tcp or udp" },
	{ "conduit permit tcp host 1.2.3.4 eq www any\nconduit deny icmp any "
	  "any echo\nconduit permit gre host 1.2.3.4 any\n",
	  OK, 0, 0, NULL },
	{ "conduit permit tcp host 1.2.3.4 eq http any\n", E, 1, 36,
	  "unknown port name 'http'" },
	{ "access-group a in interface dmz\naccess-list a permit ip any any\n",
	  W, 1, 29,
	  "interface 'dmz' has no nameif: access-group has no "
	  "effect" },
	{ "access-group a in interface\n", E, 1, 28, "missing interface name" },
	{ "access-group a in outside\n", E, 1, 19,
	  "expected 'interface', found 'outside'" },
};

static const struct fam_case nat_cases[] = {
	{ "nat (inside) 1 10.0.0.0 255.0.0.0 dns outside norandomseq 10 5\n"
	  "global (outside) 1 1.2.3.4\n",
	  OK, 0, 0, NULL },
	{ "nat (inside) 0 10.0.0.0 255.0.0.0\n", OK, 0, 0, NULL },
	{ "nat (inside) 1 10.0.0.0 255.0.0.0 70000\nglobal (outside) 1 "
	  "interface\n",
	  E, 1, 35,
	  "max connections 70000 out of range "
	  "(0-65535)" },
	{ "nat (inside) 1 10.0.0.0 255.0.0.0 1 2 3\nglobal (outside) 1 "
	  "interface\n",
	  E, 1, 39, "unexpected '3'" },
	{ "nat (inside) x 10.0.0.0\n", E, 1, 14,
	  "bad nat id 'x': expected a number" },
	{ "nat (inside) 1 10.0.0.0 255.0.0.0\n", W, 1, 14,
	  "nat id 1 has no global: it translates nothing" },
	{ "global (outside) 0 interface\n", E, 1, 18,
	  "global id 0 out of range (1-2147483647)" },
	{ "global (outside) 1 1.1.1.1-1.1.1\n", E, 1, 20,
	  "bad address range '1.1.1.1-1.1.1'" },
	{ "global (inside,outside) 1 interface\n", E, 1, 8,
	  "expected one interface in '(inside,outside)'" },
	{ "static (inside,outside) 1.2.3.4 10.0.0.4\n", OK, 0, 0, NULL },
	{ "static (inside) 1.2.3.4 10.0.0.4\n", E, 1, 8,
	  "expected two interfaces in '(inside)'" },
	{ "static (inside,outside) 1.2.3.0 10.0.0.4 netmask 255.255.255.0\n", E,
	  1, 50,
	  "netmask 255.255.255.0 leaves host bits in the "
	  "addresses" },
	{ "static (inside,outside) tcp interface www 10.0.0.4 www\nstatic "
	  "(inside,outside) udp interface 53 10.0.0.5 53\n",
	  OK, 0, 0, NULL },
	{ "static (inside,outside) tcp 1.2.3.4 10.0.0.4\n", E, 1, 37,
	  "unknown port name '10.0.0.4'" },
	{ "static (inside,outside) 1.2.3.4 access-list p\naccess-list p "
	  "permit ip host 10.0.0.4 any\n",
	  OK, 0, 0, NULL },
	{ "static (inside,outside) 1.2.3.4 access-list p\n", E, 1, 45,
	  "access-list 'p' does not exist" },
	{ "static (inside,outside) 1.2.3.4 10.0.0.4 netmask 255.255.255.255 "
	  "0 0\nstatic (inside,outside) 1.2.3.5 10.0.0.5 netmask "
	  "255.255.255.255 0 0\n",
	  OK, 0, 0, NULL },
};

static const struct fam_case misc_cases[] = {
	{ "timeout xlate 3:00:00 conn 1:00:00 half-closed 0:10:00 udp "
	  "0:02:00 rpc 0:10:00 h323 0:05:00 sip 0:30:00 sip_media 0:02:00\n",
	  OK, 0, 0, NULL },
	{ "timeout uauth 0:05:00 absolute uauth 0:04:00 inactivity\n", OK, 0, 0,
	  NULL },
	{ "timeout conn 0:00:00\n", OK, 0, 0, NULL },
	{ "timeout xlate 0:00:00\n", E, 1, 15,
	  "timeout xlate 0:00:00 is below the minimum 0:01:00" },
	{ "timeout conn 1:60:00\n", E, 1, 14,
	  "bad timeout value '1:60:00': expected H:MM:SS" },
	{ "timeout conn 1194:00:00\n", E, 1, 14,
	  "timeout conn 1194:00:00 is above the maximum 1193:00:00" },
	{ "timeout conn\n", E, 1, 13, "missing timeout value" },
	{ "timeout\n", E, 1, 8, "missing timeout keyword" },
	{ "timeout gre 0:10:00 embryonic 0:00:05 pat-xlate 0:00:30\n", OK, 0, 0,
	  NULL },
	{ "fixup protocol pptp\nno fixup protocol pptp 1723\nfixup protocol "
	  "sip udp 5060\nfixup protocol dns maximum-length 512\n",
	  OK, 0, 0, NULL },
	{ "fixup protocol pptp 1723-\n", E, 1, 21,
	  "bad port '1723-' (1-65535 or LO-HI)" },
	{ "fixup pptp 1723\n", E, 1, 7, "expected 'protocol', found 'pptp'" },
	{ "sysopt connection permit-pptp\nno sysopt connection permit-pptp\n"
	  "sysopt route dnat\n",
	  OK, 0, 0, NULL },
	{ "sysopt\n", E, 1, 7, "missing sysopt option" },
	{ "vpdn group 1 accept dialin pptp\nvpdn enable outside\n", OK, 0, 0,
	  NULL },
	{ "vpdn group x accept dialin pptp\n", E, 1, 12,
	  "bad vpdn group 'x': expected a number" },
	{ "vpdn group 1 dance\n", E, 1, 14, "bad vpdn group option 'dance'" },
	{ "vpdn username u\n", E, 1, 16, "missing 'password'" },
	{ "ip local pool p 10.0.0.1-10.0.0.9 mask 255.255.255.0\n", OK, 0, 0,
	  NULL },
	{ "PIX Version 6.3(1)\nASA Version 8.0(4)\n", OK, 0, 0, NULL },
	{ "PIX 6.3(1)\n", E, 1, 5, "expected 'Version', found '6.3(1)'" },
	{ "hostname\n", E, 1, 9, "missing hostname" },
	{ "pager lines 24\nno pager\nterminal width 80\nenable password x "
	  "encrypted\nsnmp-server host inside 1.2.3.4\n",
	  OK, 0, 0, NULL },
	{ "enable secret x\n", E, 1, 8, "unexpected 'secret' after 'enable'" },
	{ "aaa-server\n", E, 1, 11, "'aaa-server' needs at least 2 arguments" },
	{ "terminal\n", E, 1, 9, "'terminal' needs at least 1 argument" },
	{ "no nat (inside) 1 0 0\n", E, 1, 1,
	  "'no nat' is not supported in a rule file" },
};

static const struct fam_case logging_cases[] = {
	{ "logging on\nlogging trap 5\nlogging console debugging\nlogging "
	  "buffered warnings\nlogging monitor 0\nlogging history errors\n"
	  "logging facility 23\nlogging queue 0\nlogging timestamp\n"
	  "logging standby\nlogging device-id hostname\n",
	  OK, 0, 0, NULL },
	{ "no logging on\nno logging trap\nno logging console 7\nno logging "
	  "timestamp\nno logging facility\nno logging queue\n",
	  OK, 0, 0, NULL },
	{ "logging host inside 10.0.0.5\nlogging host 10.0.0.6 tcp/1470\n"
	  "logging host outside 1.2.3.4 udp/5514\nno logging host inside "
	  "10.0.0.5\n",
	  OK, 0, 0, NULL },
	{ "logging host inside 10.0.0.5 icmp/1\n", E, 1, 30,
	  "bad protocol in 'icmp/1': expected udp/PORT or tcp/PORT" },
	{ "logging host inside 10.0.0.5 udp/0\n", E, 1, 30,
	  "bad port in 'udp/0' (1-65535)" },
	{ "logging facility 15\n", E, 1, 18,
	  "facility 15 out of range (16-23)" },
	{ "logging queue 9000\n", E, 1, 15,
	  "queue size 9000 out of range (0-8192)" },
	{ "logging device-id ipaddress inside\nlogging device-id string fw-1"
	  "\n",
	  OK, 0, 0, NULL },
	{ "logging device-id ipaddress dmz\n", E, 1, 29,
	  "logging device-id on unknown interface 'dmz'" },
	{ "logging device-id string two words\n", E, 1, 26,
	  "device-id string must be one word of at most 63 characters" },
	{ "logging device-id serial\n", E, 1, 19,
	  "expected hostname, ipaddress IF or string TEXT" },
	{ "logging colour on\n", E, 1, 9, "unknown logging option 'colour'" },
	{ "logging message 106023 level 5\nno logging message 302013\n", OK, 0,
	  0, NULL },
};

static const struct fam_case mpf_cases[] = {
	{ "policy-map global_policy\nclass inspection_default\ninspect "
	  "pptp\n",
	  OK, 0, 0, NULL },
	{ "class-map c\n match port tcp range 1723 1724\npolicy-map p\n class "
	  "c\n  inspect pptp\nservice-policy p interface outside\n",
	  OK, 0, 0, NULL },
	{ "class-map c\n match port icmp eq 1\n", E, 2, 13,
	  "expected tcp or udp" },
	{ "class-map c\n match any\n match default-inspection-traffic\n", E, 3,
	  2, "class-map 'c' already has a match" },
	{ "class-map c\n match flow ip destination-address\n", E, 2, 8,
	  "unsupported match 'flow'" },
	{ "class-map type inspect c\n", E, 1, 11,
	  "'type' maps are not supported" },
	{ "policy-map p\n class class-default\n  inspect pptp\n", W, 1, 12,
	  "policy-map 'p' is not applied by any service-policy" },
	{ "policy-map p\nservice-policy p global\nservice-policy p global\n", E,
	  3, 16, "only one service-policy may be global" },
	{ "policy-map p\nservice-policy p everywhere\n", E, 2, 18,
	  "expected 'global' or 'interface IF'" },
	{ "class-map c\n match access-list x\n", E, 2, 20,
	  "access-list 'x' does not exist" },
};

static void
run_cases(const struct fam_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ph_policy *pol = NULL;
		struct ph_diags *d = NULL;
		int rc = tc_parse(c[i].text, &pol, &d);
		const struct ph_diag *err = tc_first(d, PH_DIAG_ERROR);
		const struct ph_diag *g;

		if (c[i].sev == OK) {
			ck_assert_msg(rc == 0 && tc_first(d, W) == NULL,
				      "case %zu should load clean: %s\n%s", i,
				      err	       ? err->msg
				      : tc_first(d, W) ? tc_first(d, W)->msg
						       : "?",
				      c[i].text);
			goto next;
		}
		if (c[i].sev == E)
			ck_assert_msg(rc == -EINVAL && pol == NULL,
				      "case %zu loaded:\n%s", i, c[i].text);
		else
			ck_assert_msg(rc == 0, "case %zu: %s", i,
				      err ? err->msg : "?");
		g = tc_first(d, c[i].sev);
		ck_assert_msg(g != NULL, "case %zu: no diagnostic", i);
		ck_assert_msg(
			strcmp(g->msg, c[i].msg) == 0 && g->line == c[i].line &&
				g->col == c[i].col,
			"case %zu: got %u:%u '%s', want %u:%u '%s'", i, g->line,
			g->col, g->msg, c[i].line, c[i].col, c[i].msg);
	next:
		ph_policy_free(pol);
		ph_diags_free(d);
	}
}

#define RUN(t) run_cases(t, sizeof(t) / sizeof(t[0]))

START_TEST(test_iface)
{
	RUN(iface_cases);
}
END_TEST
START_TEST(test_acl)
{
	RUN(acl_cases);
}
END_TEST
START_TEST(test_nat)
{
	RUN(nat_cases);
}
END_TEST
START_TEST(test_misc)
{
	RUN(misc_cases);
}
END_TEST
START_TEST(test_logging)
{
	RUN(logging_cases);
}
END_TEST
START_TEST(test_mpf)
{
	RUN(mpf_cases);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_families");
	TCase *tc = tcase_create("families");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_iface);
	tcase_add_test(tc, test_acl);
	tcase_add_test(tc, test_nat);
	tcase_add_test(tc, test_misc);
	tcase_add_test(tc, test_logging);
	tcase_add_test(tc, test_mpf);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
