/*
 * test_format_ring.c - the `logging buffered` ring (wraparound, counters,
 * truncation, clear) and the rate limiter (burst, refill with passed-in
 * time, per-key buckets, suppressed counts, key limit).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/ratelimit.h"
#include "log/ring.h"

START_TEST(test_ring_wraparound)
{
	struct ph_log_ring *r = ph_log_ring_new(3);
	struct ph_log_ring_stats st;
	char line[32];

	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ph_log_ring_count(r), 0);
	ck_assert_ptr_null(ph_log_ring_get(r, 0));
	for (int i = 0; i < 7; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		ph_log_ring_push(r, line);
	}
	ck_assert_uint_eq(ph_log_ring_count(r), 3);
	ck_assert_str_eq(ph_log_ring_get(r, 0), "line 4");
	ck_assert_str_eq(ph_log_ring_get(r, 1), "line 5");
	ck_assert_str_eq(ph_log_ring_get(r, 2), "line 6");
	ck_assert_ptr_null(ph_log_ring_get(r, 3));
	ph_log_ring_stats(r, &st);
	ck_assert_uint_eq(st.pushed, 7);
	ck_assert_uint_eq(st.dropped, 4);
	ck_assert_uint_eq(st.held, 3);
	ck_assert_uint_eq(st.capacity, 3);
	ck_assert_uint_eq(st.truncated, 0);

	ph_log_ring_clear(r);
	ck_assert_uint_eq(ph_log_ring_count(r), 0);
	ph_log_ring_push(r, "after clear");
	ck_assert_str_eq(ph_log_ring_get(r, 0), "after clear");
	ph_log_ring_stats(r, &st);
	ck_assert_uint_eq(st.pushed, 8);
	ck_assert_uint_eq(st.dropped, 4);
	ph_log_ring_free(r);
}
END_TEST

START_TEST(test_ring_partial_and_one)
{
	struct ph_log_ring *r = ph_log_ring_new(5);
	struct ph_log_ring *one = ph_log_ring_new(1);

	ph_log_ring_push(r, "a");
	ph_log_ring_push(r, "b");
	ck_assert_uint_eq(ph_log_ring_count(r), 2);
	ck_assert_str_eq(ph_log_ring_get(r, 0), "a");
	ck_assert_str_eq(ph_log_ring_get(r, 1), "b");
	ph_log_ring_push(one, "x");
	ph_log_ring_push(one, "y");
	ck_assert_uint_eq(ph_log_ring_count(one), 1);
	ck_assert_str_eq(ph_log_ring_get(one, 0), "y");
	ph_log_ring_free(r);
	ph_log_ring_free(one);
	ph_log_ring_free(NULL);
}
END_TEST

START_TEST(test_ring_limits)
{
	struct ph_log_ring *r;
	struct ph_log_ring_stats st;
	char big[PH_LOG_RING_LINE_MAX + 100];

	errno = 0;
	ck_assert_ptr_null(ph_log_ring_new(0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(ph_log_ring_new(PH_LOG_RING_CAP_MAX + 1));
	r = ph_log_ring_new(2);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ph_log_ring_push(r, big);
	ck_assert_uint_eq(strlen(ph_log_ring_get(r, 0)),
			  PH_LOG_RING_LINE_MAX - 1);
	ph_log_ring_stats(r, &st);
	ck_assert_uint_eq(st.truncated, 1);
	ph_log_ring_free(r);
}
END_TEST

#define SEC(s) ph_time_from_ns((uint64_t)(s)*PH_NSEC_PER_SEC)
#define MS(m)  ph_time_from_ns((uint64_t)(m)*1000000ULL)

/* burst 3, one token per 10 s. */
START_TEST(test_rl_burst_refill)
{
	struct ph_ratelimit_opts o = { .interval_ns = 10 * PH_NSEC_PER_SEC,
				       .burst = 3,
				       .max_keys = 8,
				       .seed = 0x1234 };
	struct ph_ratelimit *rl = ph_ratelimit_new(&o);
	struct ph_ratelimit_stats st;
	uint32_t sup = 77;

	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < 3; i++) {
		ck_assert(ph_ratelimit_allow(rl, 901001, 5, SEC(100), &sup));
		ck_assert_uint_eq(sup, 0);
	}
	for (int i = 0; i < 5; i++)
		ck_assert(!ph_ratelimit_allow(rl, 901001, 5, SEC(100), &sup));
	/* 9.999 s later: still no full token */
	ck_assert(!ph_ratelimit_allow(rl, 901001, 5, MS(109999), &sup));
	ck_assert(ph_ratelimit_allow(rl, 901001, 5, SEC(110), &sup));
	ck_assert_uint_eq(sup, 6);
	ck_assert(!ph_ratelimit_allow(rl, 901001, 5, SEC(110), &sup));
	/* a long pause refills to the burst, not beyond */
	for (int i = 0; i < 3; i++)
		ck_assert(ph_ratelimit_allow(rl, 901001, 5, SEC(1000), &sup));
	ck_assert_uint_eq(sup, 0);
	ck_assert(!ph_ratelimit_allow(rl, 901001, 5, SEC(1000), NULL));
	/* time going backwards earns nothing */
	ck_assert(!ph_ratelimit_allow(rl, 901001, 5, SEC(500), NULL));
	ck_assert(!ph_ratelimit_allow(rl, 901001, 5, SEC(1000), NULL));
	ph_ratelimit_stats(rl, &st);
	ck_assert_uint_eq(st.allowed, 7);
	ck_assert_uint_eq(st.suppressed, 10);
	ck_assert_uint_eq(st.keys, 1);
	ph_ratelimit_free(rl);
}
END_TEST

/* Keys are independent; past max_keys they share an overflow bucket. */
START_TEST(test_rl_keys)
{
	struct ph_ratelimit_opts o = { .interval_ns = PH_NSEC_PER_SEC,
				       .burst = 1,
				       .max_keys = 4,
				       .seed = 99 };
	struct ph_ratelimit *rl = ph_ratelimit_new(&o);
	struct ph_ratelimit_stats st;

	for (uint32_t k = 0; k < 4; k++) {
		ck_assert(ph_ratelimit_allow(rl, 901001, k, SEC(1), NULL));
		ck_assert(!ph_ratelimit_allow(rl, 901001, k, SEC(1), NULL));
	}
	ck_assert(ph_ratelimit_allow(rl, 902002, 0, SEC(1), NULL));
	ck_assert(!ph_ratelimit_allow(rl, 902002, 1, SEC(1), NULL));
	ph_ratelimit_stats(rl, &st);
	ck_assert_uint_eq(st.keys, 4);
	ck_assert_uint_eq(st.overflowed, 2);
	ck_assert(ph_ratelimit_allow(rl, 901001, 2, SEC(2), NULL));
	ck_assert(ph_ratelimit_allow(rl, UINT32_MAX, UINT32_MAX, SEC(2), NULL));
	ph_ratelimit_free(rl);
	o.max_keys = PH_RATELIMIT_KEYS_MAX + 1;
	errno = 0;
	ck_assert_ptr_null(ph_ratelimit_new(&o));
	ck_assert_int_eq(errno, EINVAL);
	ph_ratelimit_free(NULL);
}
END_TEST

/* Defaults: one per second, burst 1. */
START_TEST(test_rl_defaults)
{
	struct ph_ratelimit_opts o = { 0 };
	struct ph_ratelimit *rl = ph_ratelimit_new(&o);
	uint32_t sup = 0;

	ck_assert(ph_ratelimit_allow(rl, 1, 1, MS(0), &sup));
	ck_assert(!ph_ratelimit_allow(rl, 1, 1, MS(999), &sup));
	ck_assert(!ph_ratelimit_allow(rl, 1, 1, MS(999), &sup));
	ck_assert(ph_ratelimit_allow(rl, 1, 1, MS(1000), &sup));
	ck_assert_uint_eq(sup, 2);
	ph_ratelimit_free(rl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ring+ratelimit");
	TCase *tr = tcase_create("ring");
	TCase *tl = tcase_create("ratelimit");
	SRunner *sr;
	int failed;

	tcase_add_test(tr, test_ring_wraparound);
	tcase_add_test(tr, test_ring_partial_and_one);
	tcase_add_test(tr, test_ring_limits);
	tcase_add_test(tl, test_rl_burst_refill);
	tcase_add_test(tl, test_rl_keys);
	tcase_add_test(tl, test_rl_defaults);
	suite_add_tcase(s, tr);
	suite_add_tcase(s, tl);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
