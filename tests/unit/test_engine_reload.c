/*
 * test_engine_reload.c - ph_engine_set_policy(): live connections survive
 * a reload; what a removed or changed static/nat/global built is torn
 * down with "Xlate Clear"; clear xlate / clear conn.
 */
#include "engtest.h"

static const char *base = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.255.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "nat (inside) 1 0 0\n";

#define F A(198, 51, 100, 7)

static const char *pat_line = "global (outside) 1 interface\n";
static const char *static_line = "static (inside,outside) 192.0.2.9 10.0.0.9\n";

static struct ph_policy *
parse2(const char *a, const char *b, const char *c)
{
	char conf[2048];

	snprintf(conf, sizeof(conf), "%s%s%s", a, b, c);
	return eh_parse(conf);
}

/* Two flows: PAT from 10.0.0.5, static for 10.0.0.9. */
static struct eh *
setup(uint16_t *gport)
{
	char conf[2048];
	struct eh *h;

	snprintf(conf, sizeof(conf), "%s%s%s", base, pat_line, static_line);
	h = eh_new(conf, 0);
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1025, F, 80, PH_TCP_SYN, 1);
	*gport = eh_sport(h);
	eh_tcp(h, "inside", A(10, 0, 0, 9), 1025, F, 80, PH_TCP_SYN, 1);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 9));
	eh_skip(h);
	return h;
}

static void
swap(struct eh *h, struct ph_policy *pol, uint64_t sec)
{
	ck_assert_int_eq(
		ph_engine_set_policy(h->eng, pol, ph_time_from_sec(sec)), 0);
	ph_policy_free(h->pol);
	h->pol = pol;
}

START_TEST(test_same_rules_keep_everything)
{
	uint16_t gport;
	struct eh *h = setup(&gport);

	/* rules reordered, plus an unrelated line */
	swap(h,
	     parse2(base, static_line,
		    "global (outside) 1 interface\n"
		    "access-list x permit ip any any\n"),
	     2);
	eh_expect_none(h);
	ck_assert_int_eq(eh_tcp(h, "outside", F, 80, A(192, 0, 2, 1), gport,
				PH_TCP_SYN | PH_TCP_ACK, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 5));
	ck_assert_int_eq(eh_tcp(h, "outside", F, 80, A(192, 0, 2, 9), 1025,
				PH_TCP_SYN | PH_TCP_ACK, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), A(10, 0, 0, 9));
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_removed_static_clears_its_conns)
{
	uint16_t gport;
	struct eh *h = setup(&gport);

	swap(h, parse2(base, pat_line, ""), 5);
	eh_expect(h, "Teardown TCP connection 2 for outside:198.51.100.7/80 "
		     "to inside:10.0.0.9/1025 duration 0:00:04 bytes 0 Xlate "
		     "Clear");
	eh_expect_none(h);
	/* the PAT flow goes on */
	ck_assert_int_eq(eh_tcp(h, "outside", F, 80, A(192, 0, 2, 1), gport,
				PH_TCP_SYN | PH_TCP_ACK, 6),
			 PH_VERDICT_ACCEPT);
	/* the static's global address is no longer translated */
	ck_assert_int_eq(eh_tcp(h, "outside", F, 80, A(192, 0, 2, 9), 1025,
				PH_TCP_SYN | PH_TCP_ACK, 6),
			 PH_VERDICT_DROP);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_changed_global_clears_xlates)
{
	uint16_t gport;
	struct eh *h = setup(&gport);
	char want[200];

	swap(h, parse2(base, static_line, "global (outside) 1 192.0.2.50\n"),
	     5);
	eh_expect(h, "Teardown TCP connection 1 for outside:198.51.100.7/80 "
		     "to inside:10.0.0.5/1025 duration 0:00:04 bytes 0 Xlate "
		     "Clear");
	snprintf(want, sizeof(want),
		 "Teardown dynamic TCP translation from inside:10.0.0.5/1025 "
		 "to outside:192.0.2.1/%u duration 0:00:04",
		 gport);
	eh_expect(h, want);
	eh_expect_none(h);
	/* new connections use the new global */
	eh_tcp(h, "inside", A(10, 0, 0, 5), 1025, F, 80, PH_TCP_SYN, 6);
	ck_assert_uint_eq(eh_src(h), A(192, 0, 2, 50));
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_clear_xlate_and_conn)
{
	uint16_t gport;
	struct eh *h = setup(&gport);
	struct ph_engine_counters c;

	eh_udp(h, "inside", A(10, 0, 0, 5), 53, F, 53, 4, 2);
	eh_skip(h);
	ck_assert_uint_eq(ph_engine_clear_xlate(h->eng, ph_time_from_sec(3)),
			  2);
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.conns_in_use, 0);
	ck_assert_uint_eq(c.xlates_in_use, 0);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 302014), 2);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 305012), 2);
	eh_tcp(h, "inside", A(10, 0, 0, 9), 1025, F, 80, PH_TCP_SYN, 4);
	eh_tcp(h, "inside", A(10, 0, 0, 9), 1026, F, 80, PH_TCP_SYN, 4);
	ck_assert_uint_eq(ph_engine_clear_conn(h->eng, ph_time_from_sec(5)), 2);
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.conns_in_use, 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_reload");
	TCase *tc = tcase_create("reload");

	tcase_add_test(tc, test_same_rules_keep_everything);
	tcase_add_test(tc, test_removed_static_clears_its_conns);
	tcase_add_test(tc, test_changed_global_clears_xlates);
	tcase_add_test(tc, test_clear_xlate_and_conn);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
