/*
 * test_csum.c - RFC 1071 sums and RFC 1624 incremental updates, checked
 * against the naive oracle of pktbuild.h and the RFCs' own examples.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/csum.h"
#include "pktbuild.h"

/* Deterministic PRNG (xorshift32): failures reproduce. */
static uint32_t rng_state = 0x12345678;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void
fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
}

/* Two checksums are the same ones' complement number (0 == 0xffff). */
static int
same(uint16_t a, uint16_t b)
{
	return a % 0xffff == b % 0xffff;
}

START_TEST(test_rfc1071_example)
{
	/* RFC 1071 section 3: sum of these bytes is ddf2, checksum 220d. */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	ck_assert_uint_eq(ph_csum_fold(ph_csum_add(0, b, sizeof(b))), 0xddf2);
	ck_assert_uint_eq(ph_csum(b, sizeof(b)), 0x220d);
}
END_TEST

static const struct {
	const char *name;
	size_t len;
} sum_cases[] = {
	{ "empty", 0 },	     { "one", 1 },    { "odd", 7 },
	{ "ip header", 20 }, { "mtu", 1500 }, { "max", 65535 },
};

START_TEST(test_sum_matches_oracle)
{
	size_t len = sum_cases[_i].len;
	uint8_t *b = malloc(len + 1);

	ck_assert_ptr_nonnull(b);
	for (int round = 0; round < 4; round++) {
		fill(b, len);
		if (round == 3)
			memset(b, 0xff, len); /* carries everywhere */
		ck_assert_msg(ph_csum_fold(ph_csum_add(0, b, len)) ==
				      pb_sum(b, len, 0),
			      "%s round %d", sum_cases[_i].name, round);
	}
	free(b);
}
END_TEST

START_TEST(test_sum_in_pieces)
{
	uint8_t b[301];

	fill(b, sizeof(b));
	/* Pieces of even length chain; the odd tail is padded. */
	uint32_t s = ph_csum_add(0, b, 100);
	s = ph_csum_add(s, b + 100, 200);
	s = ph_csum_add(s, b + 300, 1);
	ck_assert_uint_eq(ph_csum_fold(s), pb_sum(b, sizeof(b), 0));
	/* A zero-padded odd tail sums like the padded buffer. */
	uint8_t c[4] = { b[0], b[1], b[2], 0 };
	ck_assert_uint_eq(ph_csum_fold(ph_csum_add(0, b, 3)),
			  ph_csum_fold(ph_csum_add(0, c, 4)));
}
END_TEST

START_TEST(test_pseudo)
{
	uint8_t ip[20] = { 0 };

	pb_put32(ip + 12, PB_A(192, 168, 1, 1));
	pb_put32(ip + 16, PB_A(10, 255, 255, 254));
	ck_assert_uint_eq(
		ph_csum_fold(ph_csum_pseudo(PB_A(192, 168, 1, 1),
					    PB_A(10, 255, 255, 254), 6, 1480)),
		pb_sum(NULL, 0, pb_pseudo(ip, 6, 1480)));
}
END_TEST

START_TEST(test_rfc1624_example)
{
	/* RFC 1624 section 5: eq. 3 gives 0x0000 where eq. 2 gave -0. */
	ck_assert_uint_eq(ph_csum_upd16(0xdd2f, 0x5555, 0x3285), 0x0000);
}
END_TEST

/* Update one aligned word or dword of random data; compare with a
 * recomputed checksum. */
START_TEST(test_update_random)
{
	uint8_t b[64];

	for (int i = 0; i < 20000; i++) {
		fill(b, sizeof(b));
		if (i % 7 == 0)
			memset(b, 0, sizeof(b));
		uint16_t hc = (uint16_t)~pb_sum(b, sizeof(b), 0);
		size_t off = (rng() % 30) * 2;
		uint32_t old = pb_get32(b + off), nv = rng();

		if (i % 5 == 0)
			nv = old;
		if (i % 2) {
			pb_put32(b + off, nv);
			hc = ph_csum_upd32(hc, old, nv);
		} else {
			pb_put16(b + off, (uint16_t)nv);
			hc = ph_csum_upd16(hc, (uint16_t)(old >> 16),
					   (uint16_t)nv);
		}
		ck_assert_msg(same(hc, (uint16_t)~pb_sum(b, sizeof(b), 0)),
			      "iteration %d", i);
	}
}
END_TEST

/* CHECKSUM_PARTIAL: the field is the folded pseudo sum, not complemented;
 * an address change keeps it equal to the recomputed pseudo sum. */
START_TEST(test_update_partial)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t src = rng(), dst = rng(), nsrc = rng();
		uint16_t len = (uint16_t)rng();
		uint16_t hp = ph_csum_fold(ph_csum_pseudo(src, dst, 6, len));

		if (i % 9 == 0)
			nsrc = src;
		hp = ph_csum_upd32_partial(hp, src, nsrc);
		ck_assert(same(
			hp, ph_csum_fold(ph_csum_pseudo(nsrc, dst, 6, len))));
	}
}
END_TEST

/* Byte ranges at any offset, odd or even, straddling words. */
START_TEST(test_update_bytes_any_offset)
{
	uint8_t b[41], nv[8];

	for (int i = 0; i < 20000; i++) {
		fill(b, sizeof(b));
		size_t n = 1 + rng() % 8, off = rng() % (sizeof(b) - n + 1);
		uint16_t hc = (uint16_t)~pb_sum(b, sizeof(b), 0);

		fill(nv, n);
		hc = ph_csum_upd_bytes(hc, b + off, nv, n, off & 1);
		memcpy(b + off, nv, n);
		ck_assert_msg(same(hc, (uint16_t)~pb_sum(b, sizeof(b), 0)),
			      "iteration %d off %zu n %zu", i, off, n);
	}
}
END_TEST

START_TEST(test_update_bytes_odd_explicit)
{
	/* A 16-bit value at offset 3 straddles words 1 and 2. */
	uint8_t b[8] = { 0x45, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };
	uint8_t nv[2] = { 0xab, 0xcd };
	uint16_t hc = (uint16_t)~pb_sum(b, 8, 0);

	hc = ph_csum_upd_bytes(hc, b + 3, nv, 2, true);
	memcpy(b + 3, nv, 2);
	ck_assert(same(hc, (uint16_t)~pb_sum(b, 8, 0)));
	/* Treating it as even gives a wrong sum: the test can fail. */
	uint16_t wrong = (uint16_t)~pb_sum(b, 8, 0);
	wrong = ph_csum_upd_bytes(wrong, nv, (const uint8_t[]){ 1, 2 }, 2,
				  false);
	b[3] = 1;
	b[4] = 2;
	ck_assert(!same(wrong, (uint16_t)~pb_sum(b, 8, 0)));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("csum");
	TCase *tc = tcase_create("csum");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_rfc1071_example);
	tcase_add_loop_test(tc, test_sum_matches_oracle, 0,
			    sizeof(sum_cases) / sizeof(sum_cases[0]));
	tcase_add_test(tc, test_sum_in_pieces);
	tcase_add_test(tc, test_pseudo);
	tcase_add_test(tc, test_rfc1624_example);
	tcase_add_test(tc, test_update_random);
	tcase_add_test(tc, test_update_partial);
	tcase_add_test(tc, test_update_bytes_any_offset);
	tcase_add_test(tc, test_update_bytes_odd_explicit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
