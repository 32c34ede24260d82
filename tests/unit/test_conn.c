/*
 * test_conn.c - the two-key connection table: lookups from both sides,
 * the hard limit and recovery, LRU order per class, expiry of the head
 * only once its timeout has passed, lazy touches with exact expiry, GRE
 * key matching.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "core/conn.h"
#include "core/pkt.h"

static const struct ph_hash_key seed = { 0x1234, 0x5678 };

static struct ph_flow_key
fk(uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto,
   uint16_t ifidx)
{
	struct ph_flow_key k = { src, dst, sp, dp, proto, 0, ifidx };
	return k;
}

/* Add a TCP flow src:sp -> dst:dp NATed to nat:np, on if 1 -> 0. */
static uint32_t
add(struct ph_conntab *t, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
    uint32_t nat, uint16_t np, unsigned tc, uint64_t sec)
{
	uint32_t idx = ph_conn_alloc(t);
	struct ph_conn *c;

	if (idx == PH_IDX_NONE)
		return idx;
	c = ph_conn_at(t, idx);
	c->k[0] = fk(src, dst, sp, dp, 6, 1);
	c->k[1] = fk(dst, nat, dp, np, 6, 0);
	ck_assert_int_eq(ph_conn_insert(t, idx, tc, ph_time_from_sec(sec)), 0);
	return idx;
}

START_TEST(test_lookup_both_keys)
{
	struct ph_conntab *t = ph_conntab_new(64, &seed);
	struct ph_flow_key k;
	uint32_t a, b;
	int dir = -1;

	a = add(t, 0x0a000001, 1000, 0x08080808, 80, 0xc0a80001, 2000,
		PH_TC_TCP, 1);
	b = add(t, 0x0a000002, 1000, 0x08080808, 80, 0xc0a80001, 2001,
		PH_TC_TCP, 1);
	ck_assert_uint_ne(a, b);
	k = fk(0x0a000001, 0x08080808, 1000, 80, 6, 1);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), a);
	ck_assert_int_eq(dir, PH_DIR_ORIG);
	k = fk(0x08080808, 0xc0a80001, 80, 2001, 6, 0);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), b);
	ck_assert_int_eq(dir, PH_DIR_REPLY);
	/* wrong interface, protocol or port: no match */
	k = fk(0x08080808, 0xc0a80001, 80, 2001, 6, 1);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), PH_IDX_NONE);
	k = fk(0x08080808, 0xc0a80001, 80, 2001, 17, 0);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), PH_IDX_NONE);
	k = fk(0x08080808, 0xc0a80001, 80, 2002, 6, 0);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), PH_IDX_NONE);
	/* a duplicate reply key is refused */
	ck_assert_uint_eq(t->used, 2);
	{
		uint32_t c = ph_conn_alloc(t);

		ph_conn_at(t, c)->k[0] =
			fk(0x0a000003, 0x08080808, 5, 80, 6, 1);
		ph_conn_at(t, c)->k[1] =
			fk(0x08080808, 0xc0a80001, 80, 2001, 6, 0);
		ck_assert_int_eq(
			ph_conn_insert(t, c, PH_TC_TCP, ph_time_from_sec(1)),
			-EEXIST);
		ph_conn_release(t, c);
	}
	ck_assert_uint_eq(t->used, 2);
	ph_conn_remove(t, a);
	k = fk(0x0a000001, 0x08080808, 1000, 80, 6, 1);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), PH_IDX_NONE);
	k = fk(0x08080808, 0xc0a80001, 80, 2001, 6, 0);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), b);
	ph_conntab_free(t);
}
END_TEST

START_TEST(test_limit_and_recovery)
{
	struct ph_conntab *t = ph_conntab_new(100, &seed);
	uint32_t idx[100];

	for (unsigned i = 0; i < 100; i++) {
		idx[i] = add(t, 0x0a000000 + i, 1024, 0x01020304, 53,
			     0xc0a80001, (uint16_t)(3000 + i), PH_TC_UDP, 1);
		ck_assert_uint_ne(idx[i], PH_IDX_NONE);
	}
	ck_assert_uint_eq(ph_conn_alloc(t), PH_IDX_NONE);
	ck_assert_uint_eq(t->used, 100);
	ck_assert_uint_eq(t->most_used, 100);
	ph_conn_remove(t, idx[42]);
	ph_conn_remove(t, idx[7]);
	ck_assert_uint_eq(t->used, 98);
	ck_assert_uint_ne(add(t, 0x0b000000, 1, 2, 3, 4, 5, PH_TC_UDP, 2),
			  PH_IDX_NONE);
	ck_assert_uint_ne(add(t, 0x0b000001, 1, 2, 3, 4, 6, PH_TC_UDP, 2),
			  PH_IDX_NONE);
	ck_assert_uint_eq(ph_conn_alloc(t), PH_IDX_NONE);
	ck_assert_uint_eq(t->most_used, 100);
	/* all remaining flows are still found */
	for (unsigned i = 0; i < 100; i++) {
		struct ph_flow_key k =
			fk(0x0a000000 + i, 0x01020304, 1024, 53, 6, 1);
		uint32_t got = ph_conn_lookup(t, &k, NULL);

		if (i == 42 || i == 7)
			ck_assert_uint_eq(got, PH_IDX_NONE);
		else
			ck_assert_uint_eq(got, idx[i]);
	}
	ph_conntab_free(t);
}
END_TEST

START_TEST(test_lru_order_and_expiry)
{
	struct ph_conntab *t = ph_conntab_new(16, &seed);
	uint32_t a, b, c;

	a = add(t, 1, 1, 9, 9, 8, 1, PH_TC_UDP, 10);
	b = add(t, 2, 1, 9, 9, 8, 2, PH_TC_UDP, 11);
	c = add(t, 3, 1, 9, 9, 8, 3, PH_TC_TCP, 12);
	ck_assert_uint_eq(t->lru[PH_TC_UDP].head, a);
	ph_conn_touch(t, a, ph_time_from_sec(13));
	ck_assert_uint_eq(t->lru[PH_TC_UDP].head, b);
	ck_assert_uint_eq(t->lru[PH_TC_UDP].tail, a);
	/* b idle 11 -> 130: not yet at 120 s after 11 (= 131) */
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120,
				ph_time_from_ns(131 * PH_NSEC_PER_SEC - 1)),
		PH_IDX_NONE);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(131)), b);
	ph_conn_remove(t, b);
	/* a was touched at 13: expires at 133, not 131 */
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(132)),
		PH_IDX_NONE);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(133)), a);
	/* timeout 0 = never */
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_TCP, 0, ph_time_from_sec(1000000)),
		PH_IDX_NONE);
	/* class change moves to the other list, as most recent */
	ph_conn_set_class(t, c, PH_TC_HALF_CLOSED, ph_time_from_sec(20));
	ck_assert_uint_eq(t->lru[PH_TC_TCP].count, 0);
	ck_assert_uint_eq(t->lru[PH_TC_HALF_CLOSED].head, c);
	ph_conntab_free(t);
}
END_TEST

/* Expiry in slices: a caller that removes at most N heads per call
 * drains 1000 expired entries in ceil(1000 / N) calls, oldest first. */
START_TEST(test_expiry_slices)
{
	struct ph_conntab *t = ph_conntab_new(2000, &seed);
	unsigned calls = 0, removed = 0;
	uint64_t last_seen = 0;

	for (unsigned i = 0; i < 1500; i++)
		add(t, 0x0a000000 + i, 1, 9, 9, 8, (uint16_t)i, PH_TC_UDP,
		    i < 1000 ? 1 + i / 100 : 500);
	for (;;) {
		unsigned n = 0;
		uint32_t idx;

		while (n < 64 &&
		       (idx = ph_conn_expired(t, PH_TC_UDP, 120,
					      ph_time_from_sec(200))) !=
			       PH_IDX_NONE) {
			ck_assert_uint_ge(ph_conn_at(t, idx)->last.ns,
					  last_seen);
			last_seen = ph_conn_at(t, idx)->last.ns;
			ph_conn_remove(t, idx);
			n++;
		}
		calls++;
		removed += n;
		if (n < 64)
			break;
	}
	ck_assert_uint_eq(removed, 1000);
	ck_assert_uint_eq(calls, 16);
	ck_assert_uint_eq(t->used, 500);
	ph_conntab_free(t);
}
END_TEST

START_TEST(test_gre_ignores_sport)
{
	struct ph_conntab *t = ph_conntab_new(8, &seed);
	uint32_t idx = ph_conn_alloc(t);
	struct ph_conn *c = ph_conn_at(t, idx);
	struct ph_flow_key k;
	int dir;

	/* client 10.0.0.1 call 0x11 (NAT'd to 0x99) to server call 0x22 */
	c->k[0] = fk(0x0a000001, 0x01010101, 0x11, 0x22, PH_IPPROTO_GRE, 1);
	c->k[1] = fk(0x01010101, 0xc0a80001, 0x22, 0x99, PH_IPPROTO_GRE, 0);
	ck_assert_int_eq(ph_conn_insert(t, idx, PH_TC_GRE, ph_time_from_sec(1)),
			 0);
	k = fk(0x01010101, 0xc0a80001, 0, 0x99, PH_IPPROTO_GRE, 0);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), idx);
	ck_assert_int_eq(dir, PH_DIR_REPLY);
	k = fk(0x0a000001, 0x01010101, 0, 0x22, PH_IPPROTO_GRE, 1);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), idx);
	k = fk(0x0a000001, 0x01010101, 0, 0x23, PH_IPPROTO_GRE, 1);
	ck_assert_uint_eq(ph_conn_lookup(t, &k, &dir), PH_IDX_NONE);
	ph_conntab_free(t);
}
END_TEST

START_TEST(test_seeds_spread_differently)
{
	struct ph_hash_key s2 = { 99, 100 };
	struct ph_conntab *a = ph_conntab_new(1024, &seed);
	struct ph_conntab *b = ph_conntab_new(1024, &s2);
	unsigned same = 0;

	for (unsigned i = 0; i < 500; i++) {
		add(a, 0x0a000000 + i, 1, 9, 9, 8, (uint16_t)i, PH_TC_UDP, 1);
		add(b, 0x0a000000 + i, 1, 9, 9, 8, (uint16_t)i, PH_TC_UDP, 1);
	}
	for (uint32_t i = 0; i <= a->mask; i++)
		same += a->buckets[i] != 0 && a->buckets[i] == b->buckets[i];
	ck_assert_uint_lt(same, 50);
	ph_conntab_free(a);
	ph_conntab_free(b);
}
END_TEST

/* Lazy touches: no relink within 1/16 of the timeout, and the expiry
 * walk steps over an entry active since it was linked, so expiry stays
 * exact; the step-over allowance bounds the walk. */
START_TEST(test_lazy_touch_exact_expiry)
{
	struct ph_conntab *t = ph_conntab_new(16, &seed);
	unsigned scan;
	uint32_t a, b, c, d;

	a = add(t, 1, 1, 9, 9, 8, 1, PH_TC_UDP, 10);
	b = add(t, 2, 1, 9, 9, 8, 2, PH_TC_UDP, 11);
	c = add(t, 3, 1, 9, 9, 8, 3, PH_TC_UDP, 12);
	/* UDP 120 s: relinks at most every 2^32 ns (7.5 s / 16 rounded) */
	ph_conn_touch_lazy(t, a, ph_time_from_sec(12), 120);
	ck_assert_uint_eq(t->lru[PH_TC_UDP].head, a);
	ck_assert_uint_eq(ph_conn_at(t, a)->last.ns, 12 * PH_NSEC_PER_SEC);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120,
				ph_time_from_ns(131 * PH_NSEC_PER_SEC - 1)),
		PH_IDX_NONE);
	/* b expires first although a is ahead of it in the list */
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(131)), b);
	scan = 0;
	ck_assert_uint_eq(ph_conn_expired_from(t, PH_TC_UDP, 120,
					       ph_time_from_sec(131),
					       PH_IDX_NONE, &scan),
			  PH_IDX_NONE);
	scan = 1;
	ck_assert_uint_eq(ph_conn_expired_from(t, PH_TC_UDP, 120,
					       ph_time_from_sec(131),
					       PH_IDX_NONE, &scan),
			  b);
	ck_assert_uint_eq(scan, 0);
	/* c touched 8 s after it was linked: moved to the tail */
	ph_conn_touch_lazy(t, c, ph_time_from_sec(20), 120);
	ck_assert_uint_eq(t->lru[PH_TC_UDP].tail, c);
	ph_conn_remove(t, b);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(131)),
		PH_IDX_NONE);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(132)), a);
	ph_conn_remove(t, a);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120,
				ph_time_from_ns(140 * PH_NSEC_PER_SEC - 1)),
		PH_IDX_NONE);
	ck_assert_uint_eq(
		ph_conn_expired(t, PH_TC_UDP, 120, ph_time_from_sec(140)), c);
	/* conn 1 h: relinks at most every 2^37 ns (about 137 s) */
	d = add(t, 4, 1, 9, 9, 8, 4, PH_TC_TCP, 0);
	add(t, 5, 1, 9, 9, 8, 5, PH_TC_TCP, 1);
	ph_conn_touch_lazy(t, d, ph_time_from_sec(100), 3600);
	ck_assert_uint_eq(t->lru[PH_TC_TCP].head, d);
	ph_conn_touch_lazy(t, d, ph_time_from_sec(150), 3600);
	ck_assert_uint_eq(t->lru[PH_TC_TCP].tail, d);
	ph_conntab_free(t);
}
END_TEST

START_TEST(test_bad_sizes)
{
	ck_assert_ptr_null(ph_conntab_new(0, &seed));
	ck_assert_ptr_null(ph_conntab_new(PH_CONN_MAX_LIMIT + 1, &seed));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conn");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lookup_both_keys);
	tcase_add_test(tc, test_limit_and_recovery);
	tcase_add_test(tc, test_lru_order_and_expiry);
	tcase_add_test(tc, test_expiry_slices);
	tcase_add_test(tc, test_lazy_touch_exact_expiry);
	tcase_add_test(tc, test_gre_ignores_sport);
	tcase_add_test(tc, test_seeds_spread_differently);
	tcase_add_test(tc, test_bad_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
