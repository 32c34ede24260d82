/*
 * test_config_robust.c - ph_policy_parse() as a fuzz target: any bytes in,
 * a policy or errors out.  Big files, limits, and deterministic random
 * inputs built from PIX words; whatever loads must print canonically
 * (print(parse(print(x))) == print(x)).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "test_config.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Loads or not; if it loads, the canonical form is a fixed point. */
static void
check_any(const char *text, size_t len)
{
	struct ph_policy *pol = NULL, *pol2 = NULL;
	struct ph_diags *d = NULL;
	char *a, *b;
	int rc = ph_policy_parse(text, len, NULL, &pol, &d);

	ck_assert_msg(rc == 0 || rc == -EINVAL, "rc %d", rc);
	ck_assert_ptr_nonnull(d);
	if (rc != 0) {
		ck_assert_ptr_null(pol);
		ck_assert_uint_gt(ph_diags_errors(d), 0);
		ph_diags_free(d);
		return;
	}
	ck_assert_uint_eq(ph_diags_errors(d), 0);
	ph_diags_free(d);
	a = ph_policy_print(pol);
	ck_assert_ptr_nonnull(a);
	rc = ph_policy_parse(a, strlen(a), NULL, &pol2, &d);
	ck_assert_msg(rc == 0, "canonical form rejected: %s\n%s",
		      tc_first(d, PH_DIAG_ERROR)->msg, a);
	b = ph_policy_print(pol2);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	ph_diags_free(d);
	ph_policy_free(pol);
	ph_policy_free(pol2);
}

START_TEST(test_empty_and_null)
{
	struct ph_policy *pol;
	struct ph_diags *d;

	ck_assert_int_eq(ph_policy_parse(NULL, 0, NULL, &pol, &d), 0);
	ck_assert_uint_eq(pol->n_ifaces, 2);
	ck_assert_uint_eq(ph_diags_count(d), 0);
	ph_policy_free(pol);
	ph_diags_free(d);
	/* diags may be omitted */
	ck_assert_int_eq(ph_policy_parse("bogus\n", 6, NULL, &pol, NULL),
			 -EINVAL);
	ck_assert_ptr_null(pol);
	ph_policy_free(NULL);
	ph_diags_free(NULL);
	ck_assert_ptr_null(ph_policy_print(NULL));
	ck_assert_uint_eq(ph_diags_count(NULL), 0);
	ck_assert_ptr_null(ph_diags_get(NULL, 0));
}
END_TEST

START_TEST(test_ten_thousand_lines)
{
	size_t n = 10000, cap = n * 64 + 128, len = 0;
	char *buf = malloc(cap);
	struct ph_policy *pol;

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"access-list big permit tcp any host "
					"10.%zu.%zu.1 eq %zu\n",
					i / 256, i % 256, 1 + i % 65000);
	len += (size_t)snprintf(buf + len, cap - len,
				"access-group big in interface outside\n");
	pol = tc_ok(buf);
	ck_assert_uint_eq(pol->n_aces, n);
	ck_assert_uint_eq(pol->acls[0].n_shown, n);
	ck_assert_uint_eq(pol->aces[n - 1].ace_idx, n - 1);
	check_any(buf, len);
	ph_policy_free(pol);
	free(buf);
}
END_TEST

START_TEST(test_limits)
{
	size_t big = PH_CFG_MAX_INPUT + 1;
	char *buf = malloc(big);
	struct ph_policy *pol;
	struct ph_diags *d;
	const struct ph_diag *g;

	/* one huge line */
	memset(buf, 'a', 1 << 20);
	ck_assert_int_eq(ph_policy_parse(buf, 1 << 20, NULL, &pol, &d),
			 -EINVAL);
	g = tc_first(d, PH_DIAG_ERROR);
	ck_assert_str_eq(g->msg, "line too long (limit 1024 bytes)");
	ck_assert_uint_eq(ph_diags_count(d), 1);
	ph_diags_free(d);
	/* too much text */
	memset(buf, '\n', big);
	ck_assert_int_eq(ph_policy_parse(buf, big, NULL, &pol, &d), -EINVAL);
	ck_assert_str_eq(tc_first(d, PH_DIAG_ERROR)->msg,
			 "rule text too large (limit 16777216 bytes)");
	ph_diags_free(d);
	/* thousands of bad lines: diagnostics are capped, errors counted */
	for (size_t i = 0; i < 3000; i++)
		memcpy(buf + i * 4, "zz!\n", 4);
	ck_assert_int_eq(ph_policy_parse(buf, 3000 * 4, NULL, &pol, &d),
			 -EINVAL);
	ck_assert_uint_eq(ph_diags_count(d), PH_CFG_MAX_DIAGS + 1);
	ck_assert_str_eq(ph_diags_get(d, PH_CFG_MAX_DIAGS)->msg,
			 "too many diagnostics; the rest are not shown");
	ph_diags_free(d);
	free(buf);
}
END_TEST

START_TEST(test_ace_limit)
{
	size_t n = PH_CFG_MAX_ACES + 1, len = 0;
	char *buf = malloc(n * 32);
	struct ph_policy *pol;
	struct ph_diags *d;
	const struct ph_diag *g;

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, 32,
					"access-list a deny ip "
					"any any\n");
	ck_assert_int_eq(ph_policy_parse(buf, len, NULL, &pol, &d), -EINVAL);
	g = tc_first(d, PH_DIAG_ERROR);
	ck_assert_str_eq(g->msg, "too many access-list entries (limit 65536)");
	ck_assert_uint_eq(g->line, n);
	ph_diags_free(d);
	free(buf);
}
END_TEST

START_TEST(test_expansion_limit)
{
	struct strbuf sb;
	struct ph_policy *pol;
	struct ph_diags *d;

	/* 600 x 600 hosts > PH_CFG_MAX_EXPAND entries */
	sb_init(&sb);
	sb_puts(&sb, "object-group network G\n");
	for (int i = 0; i < 600; i++)
		sb_printf(&sb, " network-object host 10.0.%d.%d\n", i / 250,
			  i % 250);
	sb_puts(&sb, "access-list a permit ip object-group G object-group G\n"
		     "access-group a in interface outside\n");
	ck_assert_int_eq(ph_policy_parse(sb.buf, sb.len, NULL, &pol, &d),
			 -EINVAL);
	ck_assert_str_eq(tc_first(d, PH_DIAG_ERROR)->msg,
			 "access lists expand to more than 262144 entries");
	ph_diags_free(d);
	sb_free(&sb);
}
END_TEST

static const char *const words[] = {
	"access-list",
	"a",
	"permit",
	"deny",
	"tcp",
	"udp",
	"ip",
	"icmp",
	"gre",
	"any",
	"host",
	"10.0.0.1",
	"255.255.255.0",
	"10.0.0.0",
	"eq",
	"www",
	"range",
	"1",
	"80",
	"log",
	"static",
	"(inside,outside)",
	"nat",
	"(inside)",
	"global",
	"(outside)",
	"interface",
	"0",
	"netmask",
	"255.255.255.255",
	"access-group",
	"in",
	"outside",
	"inside",
	"timeout",
	"conn",
	"1:00:00",
	"xlate",
	"0:05:00",
	"fixup",
	"protocol",
	"pptp",
	"1723",
	"no",
	"logging",
	"on",
	"trap",
	"debugging",
	"host",
	"nameif",
	"ethernet2",
	"dmz",
	"security50",
	"object-group",
	"network",
	"G",
	" network-object",
	"group-object",
	"policy-map",
	"global_policy",
	"class",
	"inspection_default",
	"inspect",
	"route",
	"1.2.3.4",
	"name",
	"names",
	"conduit",
	"mtu",
	"1500",
	"ip",
	"address",
	"\n",
	"\n",
	"\n",
	"\r\n",
	"!",
	"pixfirewall(config)#",
	"\t",
	"\x01",
	"\0",
	"-",
	"(",
	"object-group",
	"service",
	"S",
	"port-object",
	"class-map",
	"match",
	"port",
	"vpdn",
	"group",
	"sysopt",
	"connection",
	"permit-pptp",
};

START_TEST(test_random_words)
{
	char buf[4096];

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = 0, n = 1 + rng() % 80;

		for (size_t i = 0; i < n; i++) {
			const char *w =
				words[rng() % (sizeof(words) / sizeof(*words))];
			size_t wl = w[0] ? strlen(w) : 1;

			if (len + wl + 1 >= sizeof(buf))
				break;
			memcpy(buf + len, w, wl);
			len += wl;
			if (rng() % 3)
				buf[len++] = ' ';
		}
		check_any(buf, len);
	}
}
END_TEST

START_TEST(test_mutated_seeds)
{
	static const char *const files[] = {
		"seed-to-pix-radius.conf", "example-objgroups.conf",
		"example-asa.conf", "seed-through-62-client-inside.conf"
	};
	const char *dir = getenv("PH_SRCDIR");

	for (size_t f = 0; f < sizeof(files) / sizeof(*files); f++) {
		char path[1024], *orig, *buf;
		size_t n;
		FILE *fp;

		snprintf(path, sizeof(path), "%s/rules/%s", dir ? dir : ".",
			 files[f]);
		fp = fopen(path, "rb");
		ck_assert_msg(fp != NULL, "%s (set PH_SRCDIR)", path);
		orig = malloc(1 << 16);
		buf = malloc(1 << 17);
		n = fread(orig, 1, 1 << 16, fp);
		fclose(fp);
		for (int iter = 0; iter < 300; iter++) {
			size_t len = n;

			memcpy(buf, orig, n);
			for (int m = 0; m < 1 + (int)(rng() % 4); m++) {
				size_t at = rng() % len;

				switch (rng() % 3) {
				case 0: /* flip a byte */
					buf[at] = (char)rng();
					break;
				case 1: /* delete a span */
					len -= (len - at) / 4;
					break;
				default: /* duplicate a span */
					if (len + 64 < (1u << 17)) {
						memmove(buf + at + 64, buf + at,
							len - at);
						len += 64;
					}
				}
			}
			check_any(buf, len);
		}
		free(orig);
		free(buf);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_robust");
	TCase *tc = tcase_create("robust");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_empty_and_null);
	tcase_add_test(tc, test_ten_thousand_lines);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_ace_limit);
	tcase_add_test(tc, test_expansion_limit);
	tcase_add_test(tc, test_random_words);
	tcase_add_test(tc, test_mutated_seeds);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
