/*
 * test_regress_config.c - config inputs the fuzzer (tools/fuzz/fuzz_config.c)
 * found to break the compiler, one row each, checked the way the fuzzer
 * checks: the text loads, its canonical print loads again with no error,
 * and prints identically; plus what the fix must have kept true.
 *
 * The inputs themselves are also in tools/fuzz/regress/config/, which
 * tools/fuzz/run.sh replays under ASan and UBSan.
 */
#include "test_config.h"

struct row {
	const char *name;
	const char *text;
	const char *must;     /* in the canonical text; NULL = no check */
	const char *must_not; /* not in the canonical text */
};

static const struct row rows[] = {
	/* An ASA `interface ethernet1` block with no nameif, and no
	 * interface named: the factory default `nameif ethernet1 inside`
	 * was added for the same hardware id, printed next to the block,
	 * and the print did not load ("hardware id 'ethernet1' already
	 * named by nameif").  The declared interface stays unnamed. */
	{ "asa-block-default-hwid", "interface ethernet1\n",
	  "nameif ethernet0 outside security0\n", "nameif ethernet1" },
	{ "asa-block-default-hwid-case", "interface Ethernet1\n",
	  "nameif ethernet0 outside security0\n", "inside" },
	{ "asa-blocks-both-defaults",
	  "interface ethernet0\ninterface ethernet1\n", "interface ethernet0",
	  "nameif ethernet" },
	/* the fuzzer's own input (minimised by hand above) */
	{ "fuzz-crash-1361b86e",
	  "! Seech portatch default-inspectioneud 512\n"
	  "interface ethernet0 10baset\ninterface ethernet1 ",
	  "interface ethernet0 10baset\n", "nameif ethernet1" },
	/* other hardware ids keep the defaults */
	{ "asa-block-other-hwid", "interface ethernet5\n",
	  "nameif ethernet1 inside security100\n", NULL },
	/* an ACL with only a remark, applied: NULL + 0 in the ACL index
	 * build (UBSan, clang: pointer-overflow); fixed in core/acl.c */
	{ "acl-remark-only",
	  "access-list a remark xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "-group a in interface outside\n"
	  "access-list b remark only\naccess-group b in interface outside\n",
	  NULL, NULL },
};

static char *
print_loaded(const char *text, const char *what)
{
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	const struct ph_diag *g;
	char *out;
	int rc = tc_parse(text, &pol, &d);

	g = tc_first(d, PH_DIAG_ERROR);
	ck_assert_msg(rc == 0, "%s does not load: %u:%u: %s\n--\n%s", what,
		      g ? g->line : 0, g ? g->col : 0, g ? g->msg : "?", text);
	out = ph_policy_print(pol);
	ck_assert_ptr_nonnull(out);
	ph_policy_free(pol);
	ph_diags_free(d);
	return out;
}

START_TEST(test_canonical_fixed_point)
{
	const struct row *r = &rows[_i];
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	char *a, *b;

	/* rows that are errors by design only need to fail cleanly */
	if (tc_parse(r->text, &pol, &d) != 0) {
		ck_assert_ptr_null(pol);
		ck_assert_uint_gt(ph_diags_errors(d), 0);
		ck_assert_ptr_null(r->must);
		ph_diags_free(d);
		return;
	}
	ph_policy_free(pol);
	ph_diags_free(d);
	a = print_loaded(r->text, r->name);
	b = print_loaded(a, "the canonical print");
	ck_assert_msg(strcmp(a, b) == 0,
		      "%s: print is not a fixed point:\n%s--\n%s", r->name, a,
		      b);
	if (r->must != NULL)
		ck_assert_msg(strstr(a, r->must) != NULL, "%s: no '%s' in\n%s",
			      r->name, r->must, a);
	if (r->must_not != NULL)
		ck_assert_msg(strstr(a, r->must_not) == NULL, "%s: '%s' in\n%s",
			      r->name, r->must_not, a);
	free(a);
	free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("regress_config");
	TCase *tc = tcase_create("fuzz");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_canonical_fixed_point, 0,
			    (int)(sizeof(rows) / sizeof(rows[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
