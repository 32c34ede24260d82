/*
 * test_idalloc.c - the random-start bitmap ID allocator (core/idalloc.h)
 * and the splitmix64 generator it draws from (core/rand.h).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/idalloc.h"
#include "core/rand.h"

static uint8_t seen[65536];

START_TEST(test_new_rejects_bad_ranges)
{
	struct ph_idalloc *a;

	errno = 0;
	ck_assert_ptr_null(ph_idalloc_new(10, 9));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_ptr_null(ph_idalloc_new(1, 65536));
	ck_assert_int_eq(errno, EINVAL);
	a = ph_idalloc_new(7, 7);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(ph_idalloc_size(a), 1);
	ph_idalloc_free(a);
	ph_idalloc_free(NULL);
}
END_TEST

/* Every ID of 1..65535 exactly once, never 0, then -ENOSPC. */
START_TEST(test_unique_until_full)
{
	struct ph_idalloc *a = ph_idalloc_new(1, 65535);
	uint64_t rng = 42;
	uint16_t id;
	uint32_t i;

	ck_assert_ptr_nonnull(a);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 65535; i++) {
		ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
		ck_assert_uint_ne(id, 0);
		ck_assert_uint_eq(seen[id], 0);
		seen[id] = 1;
	}
	ck_assert_uint_eq(ph_idalloc_used(a), 65535);
	ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), -ENOSPC);
	ck_assert_int_eq(ph_idalloc_get(a, NULL, &id), -ENOSPC);
	ck_assert_uint_eq(seen[0], 0);
	ph_idalloc_free(a);
}
END_TEST

/* Released IDs come back; when one ID is free, get finds it. */
START_TEST(test_reuse_after_release)
{
	struct ph_idalloc *a = ph_idalloc_new(1, 65535);
	uint64_t rng = 7;
	uint16_t id;
	uint32_t i, k;
	static const uint32_t holes[] = { 1, 64, 65, 4096, 40000, 65535 };

	for (i = 0; i < 65535; i++)
		ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
	for (k = 0; k < sizeof(holes) / sizeof(holes[0]); k++) {
		ck_assert_int_eq(ph_idalloc_put(a, holes[k]), 0);
		ck_assert(!ph_idalloc_in_use(a, holes[k]));
		/* many random starts all land on the one hole */
		ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
		ck_assert_uint_eq(id, holes[k]);
		ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), -ENOSPC);
	}
	ck_assert_int_eq(ph_idalloc_put(a, 300), 0);
	ck_assert_int_eq(ph_idalloc_put(a, 300), -ENOENT);
	ck_assert_uint_eq(ph_idalloc_used(a), 65534);
	ph_idalloc_free(a);
}
END_TEST

START_TEST(test_take_put_errors)
{
	struct ph_idalloc *a = ph_idalloc_new(1024, 65535);
	uint16_t id;

	ck_assert_int_eq(ph_idalloc_take(a, 1023), -ERANGE);
	ck_assert_int_eq(ph_idalloc_take(a, 65536), -ERANGE);
	ck_assert_int_eq(ph_idalloc_put(a, 0), -ERANGE);
	ck_assert_int_eq(ph_idalloc_take(a, 1024), 0);
	ck_assert_int_eq(ph_idalloc_take(a, 1024), -EEXIST);
	ck_assert_int_eq(ph_idalloc_take(a, 65535), 0);
	ck_assert(ph_idalloc_in_use(a, 65535));
	ck_assert(!ph_idalloc_in_use(a, 0));
	/* lowest-first mode skips the taken ID */
	ck_assert_int_eq(ph_idalloc_get(a, NULL, &id), 0);
	ck_assert_uint_eq(id, 1025);
	ck_assert_uint_eq(ph_idalloc_used(a), 3);
	ck_assert_int_eq(ph_idalloc_put(a, 1024), 0);
	ck_assert_int_eq(ph_idalloc_get(a, NULL, &id), 0);
	ck_assert_uint_eq(id, 1024);
	ph_idalloc_free(a);
}
END_TEST

/* Small, odd-sized ranges: never below lo or above hi, all handed out. */
START_TEST(test_bounds_never_exceeded)
{
	static const uint32_t ranges[][2] = {
		{ 1, 1 },     { 0, 0 },		{ 65535, 65535 },
		{ 1, 63 },    { 1, 64 },	{ 1, 65 },
		{ 100, 227 }, { 65000, 65535 }, { 0, 65535 },
	};
	uint32_t r, i, n;
	uint64_t rng = 99;
	uint16_t id;

	for (r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		struct ph_idalloc *a =
			ph_idalloc_new(ranges[r][0], ranges[r][1]);

		ck_assert_ptr_nonnull(a);
		n = ranges[r][1] - ranges[r][0] + 1;
		ck_assert_uint_eq(ph_idalloc_size(a), n);
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < n; i++) {
			ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
			ck_assert_uint_ge(id, ranges[r][0]);
			ck_assert_uint_le(id, ranges[r][1]);
			ck_assert_uint_eq(seen[id], 0);
			seen[id] = 1;
		}
		ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), -ENOSPC);
		ph_idalloc_free(a);
	}
}
END_TEST

/* Same seed, same sequence; different seeds start at different IDs. */
START_TEST(test_random_start_is_seeded)
{
	uint16_t first[16], seq_a[200], seq_b[200];
	uint32_t s, i, distinct = 0;

	for (s = 0; s < 16; s++) {
		struct ph_idalloc *a = ph_idalloc_new(1, 65535);
		uint64_t rng = s * 1000003ULL;

		ck_assert_int_eq(ph_idalloc_get(a, &rng, &first[s]), 0);
		ph_idalloc_free(a);
	}
	for (s = 0; s < 16; s++) {
		for (i = 0; i < s; i++)
			if (first[i] == first[s])
				break;
		distinct += i == s;
	}
	ck_assert_uint_ge(distinct, 15);

	for (s = 0; s < 2; s++) {
		struct ph_idalloc *a = ph_idalloc_new(1, 65535);
		uint64_t rng = 0xfeedULL;
		uint16_t *out = s ? seq_b : seq_a;

		for (i = 0; i < 200; i++)
			ck_assert_int_eq(ph_idalloc_get(a, &rng, &out[i]), 0);
		ph_idalloc_free(a);
	}
	ck_assert_mem_eq(seq_a, seq_b, sizeof(seq_a));
	/* not sequential: a random start is drawn for every get */
	for (i = 1, distinct = 0; i < 200; i++)
		distinct += seq_a[i] != (uint16_t)(seq_a[i - 1] + 1);
	ck_assert_uint_ge(distinct, 190);
}
END_TEST

/* A nearly full map still finds the last free IDs (the summary level). */
START_TEST(test_nearly_full_scan)
{
	struct ph_idalloc *a = ph_idalloc_new(1, 65535);
	uint64_t rng = 5;
	uint16_t id;
	uint32_t i;

	for (i = 1; i <= 65535; i++)
		if (i != 3 && i != 65000)
			ck_assert_int_eq(ph_idalloc_take(a, i), 0);
	ck_assert_uint_eq(ph_idalloc_used(a), 65533);
	ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
	ck_assert(id == 3 || id == 65000);
	ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), 0);
	ck_assert(id == 3 || id == 65000);
	ck_assert_int_eq(ph_idalloc_get(a, &rng, &id), -ENOSPC);
	ph_idalloc_free(a);
}
END_TEST

START_TEST(test_rand_below_in_range)
{
	uint64_t st = 0;
	uint32_t i, hist[8] = { 0 };

	for (i = 0; i < 8000; i++) {
		uint32_t v = ph_rand_below(&st, 8);

		ck_assert_uint_lt(v, 8);
		hist[v]++;
	}
	for (i = 0; i < 8; i++)
		ck_assert_uint_gt(hist[i], 800);
	ck_assert_uint_eq(ph_rand_below(&st, 0), 0);
	ck_assert_uint_eq(ph_rand_below(&st, 1), 0);
	/* splitmix64 reference value for seed 0 */
	st = 0;
	ck_assert_uint_eq(ph_rand_next(&st), 0xe220a8397b1dcdafULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("idalloc");
	TCase *tc = tcase_create("alloc");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_new_rejects_bad_ranges);
	tcase_add_test(tc, test_unique_until_full);
	tcase_add_test(tc, test_reuse_after_release);
	tcase_add_test(tc, test_take_put_errors);
	tcase_add_test(tc, test_bounds_never_exceeded);
	tcase_add_test(tc, test_random_start_is_seeded);
	tcase_add_test(tc, test_nearly_full_scan);
	tcase_add_test(tc, test_rand_below_in_range);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
