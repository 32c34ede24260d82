/*
 * test_clear_counters.c - the engine side of `clear access-list [NAME]
 * counters` (ph_engine_acl_hits_clear) and `clear service-policy`
 * (ph_engine_pptp_counters_clear): one ACL or all of them (and the
 * conduits), unknown ACLs refused and nothing changed, PPTP counters counted again from zero
 * while the gauges and the engine's own counters stay.
 */
#include <check.h>
#include <errno.h>

#include "engtest.h"

static const char *acl_conf =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 192.168.1.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.255.255.0\n"
	"access-list in1 deny tcp any any eq 23\n"
	"access-list in1 permit ip any any\n"
	"access-group in1 in interface inside\n"
	"access-list out1 permit tcp any host 192.168.1.10 eq 80\n"
	"access-group out1 in interface outside\n"
	"static (inside,outside) 192.168.1.10 10.0.0.10 netmask "
	"255.255.255.255 0 0\n"
	"route outside 0.0.0.0 0.0.0.0 192.168.1.254 1\n"
	"nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
	"global (outside) 1 interface\n";

/* conduits count only where no access-group is bound */
static const char *conduit_conf =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 192.168.1.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.255.255.0\n"
	"static (inside,outside) 192.168.1.10 10.0.0.10 netmask "
	"255.255.255.255 0 0\n"
	"conduit permit tcp host 192.168.1.10 eq 25 any\n";

/* a hit on each ACE of in1 and out1 */
static void
hit_all(struct eh *h, uint64_t t)
{
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1025, A(8, 8, 8, 8), 23, PH_TCP_SYN,
	       t);
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1026, A(8, 8, 8, 8), 80, PH_TCP_SYN,
	       t);
	eh_tcp(h, "outside", A(8, 8, 4, 4), 2000 + (uint16_t)t,
	       A(192, 168, 1, 10), 80, PH_TCP_SYN, t);
}

static int
acl_no(const struct eh *h, const char *name)
{
	for (size_t i = 0; i < h->pol->n_acls; i++)
		if (strcmp(h->pol->acls[i].name, name) == 0)
			return (int)i;
	ck_abort_msg("no ACL %s", name);
	return -1;
}

START_TEST(test_acl_one_then_all)
{
	struct eh *h = eh_new(acl_conf, 0);
	uint32_t in1 = h->pol->acls[acl_no(h, "in1")].hit_base;
	uint32_t out1 = h->pol->acls[acl_no(h, "out1")].hit_base;

	hit_all(h, 1);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, in1), 1);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, in1 + 1), 1);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, out1), 1);
	/* one ACL: only its slots */
	ck_assert_int_eq(ph_engine_acl_hits_clear(h->eng, acl_no(h, "in1")), 0);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, in1), 0);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, in1 + 1), 0);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, out1), 1);
	/* counting goes on from zero */
	hit_all(h, 2);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, in1), 1);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, out1), 2);
	/* all: every ACL */
	ck_assert_int_eq(ph_engine_acl_hits_clear(h->eng, -1), 0);
	for (uint32_t s = 0; s < h->pol->n_hit_slots; s++)
		ck_assert_uint_eq(ph_engine_acl_hits(h->eng, s), 0);
	/* no such ACL: nothing changes */
	hit_all(h, 3);
	ck_assert_int_eq(ph_engine_acl_hits_clear(h->eng, (int)h->pol->n_acls),
			 -ENOENT);
	ck_assert_uint_eq(ph_engine_acl_hits(h->eng, out1), 1);
	eh_free(h);
}
END_TEST

START_TEST(test_conduits)
{
	struct eh *h = eh_new(conduit_conf, 0);

	eh_tcp(h, "outside", A(8, 8, 4, 4), 3000, A(192, 168, 1, 10), 25,
	       PH_TCP_SYN, 1);
	ck_assert_uint_eq(ph_engine_conduit_hits(h->eng, 0), 1);
	/* no ACL at all: a named one does not exist */
	ck_assert_int_eq(ph_engine_acl_hits_clear(h->eng, 0), -ENOENT);
	ck_assert_uint_eq(ph_engine_conduit_hits(h->eng, 0), 1);
	ck_assert_int_eq(ph_engine_acl_hits_clear(h->eng, -1), 0);
	ck_assert_uint_eq(ph_engine_conduit_hits(h->eng, 0), 0);
	eh_free(h);
}
END_TEST

static const char *pptp_conf = "nameif ethernet0 outside security0\n"
			       "nameif ethernet1 inside security100\n"
			       "ip address outside 192.168.201.1 "
			       "255.255.255.0\n"
			       "ip address inside 10.48.66.47 255.255.254.0\n"
			       "fixup protocol pptp 1723\n"
			       "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			       "global (outside) 1 interface\n";

#define CLI A(10, 48, 66, 106)
#define SRV A(192, 168, 201, 25)

/* A control connection to the server; returns the client's next seq. */
static uint32_t
pptp_open(struct eh *h, uint16_t sport, uint64_t t)
{
	ck_assert_int_eq(eh_tcp_seq(h, "inside", CLI, sport, SRV, 1723,
				    PH_TCP_SYN, 100, 0, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
	return 101;
}

/* One segment of junk that is not PPTP: inspected, dropped malformed. */
static void
pptp_junk(struct eh *h, uint16_t sport, uint32_t seq, uint64_t t)
{
	eh_tcp_seq(h, "inside", CLI, sport, SRV, 1723, PH_TCP_ACK | PH_TCP_PSH,
		   seq, 1, 40, SEC(t));
}

START_TEST(test_pptp_clear)
{
	struct eh *h = eh_new(pptp_conf, 0);
	struct ph_pptp_counters c, z;
	struct ph_engine_counters e0, e1;
	uint32_t seq;

	seq = pptp_open(h, 40000, 1);
	pptp_junk(h, 40000, seq, 1);
	ph_engine_pptp_counters(h->eng, &c);
	ck_assert_uint_gt(c.packets, 0);
	ck_assert_uint_gt(c.ctl_total, 0);
	ph_engine_counters(h->eng, &e0);
	ph_engine_pptp_counters_clear(h->eng);
	ph_engine_pptp_counters(h->eng, &z);
	/* every cumulative counter reads zero; the gauges stay */
	ck_assert_uint_eq(z.packets, 0);
	ck_assert_uint_eq(z.drops, 0);
	ck_assert_uint_eq(z.ctl_total, 0);
	ck_assert_uint_eq(z.malformed, 0);
	ck_assert_uint_eq(z.msgs_inside, 0);
	for (unsigned r = 0; r < PH_R_MAX; r++)
		ck_assert_uint_eq(z.drop_reason[r], 0);
	ck_assert_uint_eq(z.ctl_active, c.ctl_active);
	ck_assert_uint_eq(z.calls_active, c.calls_active);
	/* the engine's own counters are `clear counters`' business */
	ph_engine_counters(h->eng, &e1);
	ck_assert_uint_eq(e1.pkts_in, e0.pkts_in);
	ck_assert_uint_eq(e1.pkts_dropped, e0.pkts_dropped);
	/* a second connection counts from zero */
	seq = pptp_open(h, 40001, 2);
	pptp_junk(h, 40001, seq, 2);
	ph_engine_pptp_counters(h->eng, &z);
	ck_assert_uint_eq(z.ctl_total, 1);
	ck_assert_uint_eq(z.packets, c.packets);
	ck_assert_uint_eq(z.malformed, c.malformed);
	/* NULL engine: no crash */
	ph_engine_pptp_counters_clear(NULL);
	eh_free(h);
}
END_TEST

static Suite *
clear_suite(void)
{
	Suite *s = suite_create("clear_counters");
	TCase *tc = tcase_create("clear");

	tcase_add_test(tc, test_acl_one_then_all);
	tcase_add_test(tc, test_conduits);
	tcase_add_test(tc, test_pptp_clear);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(clear_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
