/*
 * test_config_nat_options.c - `nat`/`static` options pinhole keeps but
 * does not apply (`dns`, `outside`, `norandomseq`) load with one note
 * each, at the keyword; MAX_CONNS and EMB_LIMIT load into the policy
 * (the engine enforces them: test_attack_limits.c) and need no note.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

#include "test_config.h"

#define BASE                                           \
	"nameif ethernet0 outside security0\n"         \
	"nameif ethernet1 inside security100\n"        \
	"ip address outside 192.0.2.1 255.255.255.0\n" \
	"ip address inside 10.0.0.1 255.255.255.0\n"   \
	"route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"

static const struct {
	const char *line; /* line 6 of the config */
	unsigned col;	  /* of the note, 0 = no note */
	const char *msg;
	uint32_t max, emb; /* of the nat or static */
} cases[] = {
	{ "nat (inside) 1 10.0.0.0 255.255.255.0 dns 100 50", 39,
	  "'dns': no effect on this platform (DNS replies are not rewritten)",
	  100, 50 },
	{ "nat (inside) 1 10.0.0.0 255.255.255.0 outside", 39,
	  "'outside': no effect on this platform (outside NAT is not "
	  "implemented; this line translates nothing)",
	  0, 0 },
	{ "nat (inside) 1 10.0.0.0 255.255.255.0 norandomseq 7", 39,
	  "'norandomseq': no effect on this platform (TCP sequence numbers "
	  "are never randomized)",
	  7, 0 },
	{ "static (inside,outside) 192.0.2.5 10.0.0.5 netmask "
	  "255.255.255.255 norandomseq 10 5",
	  68,
	  "'norandomseq': no effect on this platform (TCP sequence numbers "
	  "are never randomized)",
	  10, 5 },
	{ "static (inside,outside) 192.0.2.5 10.0.0.5 dns", 44,
	  "'dns': no effect on this platform (DNS replies are not rewritten)",
	  0, 0 },
	{ "nat (inside) 1 10.0.0.0 255.255.255.0 30 20", 0, NULL, 30, 20 },
	{ "static (inside,outside) 192.0.2.5 10.0.0.5 netmask "
	  "255.255.255.255 0 0",
	  0, NULL, 0, 0 },
};

START_TEST(test_option_notes)
{
	char text[512];
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	const struct ph_diag *g;

	snprintf(text, sizeof(text), BASE "%s\n%s", cases[_i].line,
		 strncmp(cases[_i].line, "nat", 3) == 0
			 ? "global (outside) 1 interface\n"
			 : "");
	ck_assert_int_eq(tc_parse(text, &pol, &d), 0);
	ck_assert_ptr_null(tc_first(d, PH_DIAG_ERROR));
	ck_assert_ptr_null(tc_first(d, PH_DIAG_WARNING));
	g = tc_first(d, PH_DIAG_NOTE);
	if (cases[_i].msg == NULL) {
		ck_assert_ptr_null(g);
	} else {
		ck_assert_ptr_nonnull(g);
		ck_assert_uint_eq(g->line, 6);
		ck_assert_uint_eq(g->col, cases[_i].col);
		ck_assert_str_eq(g->msg, cases[_i].msg);
		ck_assert_uint_eq(ph_diags_count(d), 1);
	}
	if (strncmp(cases[_i].line, "nat", 3) == 0) {
		ck_assert_uint_eq(pol->n_nats, 1);
		ck_assert_uint_eq(pol->nats[0].max_conns, cases[_i].max);
		ck_assert_uint_eq(pol->nats[0].emb_limit, cases[_i].emb);
	} else {
		ck_assert_uint_eq(pol->n_statics, 1);
		ck_assert_uint_eq(pol->statics[0].max_conns, cases[_i].max);
		ck_assert_uint_eq(pol->statics[0].emb_limit, cases[_i].emb);
	}
	ph_diags_free(d);
	ph_policy_free(pol);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_nat_options");
	TCase *tc = tcase_create("notes");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_option_notes, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
