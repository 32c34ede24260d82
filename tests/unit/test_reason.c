/*
 * test_reason.c - the drop-reason table: every reason has a distinct name.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/reason.h>

START_TEST(test_names_unique_and_bounded)
{
	for (unsigned i = 0; i < PH_R_MAX; i++) {
		ck_assert_ptr_nonnull(ph_reason_name(i));
		ck_assert_str_ne(ph_reason_name(i), "?");
		ck_assert_str_ne(ph_reason_text(i), "?");
		for (unsigned j = i + 1; j < PH_R_MAX; j++)
			ck_assert_str_ne(ph_reason_name(i), ph_reason_name(j));
	}
	ck_assert_str_eq(ph_reason_name(PH_R_MAX), "?");
	ck_assert_str_eq(ph_reason_name(~0u), "?");
	ck_assert_str_eq(ph_reason_name(PH_R_ACL), "acl");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("reason");
	TCase *tc = tcase_create("table");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names_unique_and_bounded);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
