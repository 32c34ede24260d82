/*
 * test_event.c - the event catalog itself: ids sorted and unique, every
 * template well formed (formats with a fully filled event, no unknown
 * placeholder), severities in range, lookups and teardown words.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/event.h>

#include "log/format.h"

START_TEST(test_catalog_sorted_unique)
{
	size_t n = ph_event_def_count();

	ck_assert_uint_gt(n, 30);
	for (size_t i = 0; i < n; i++) {
		const struct ph_event_def *d = ph_event_def_at(i);

		ck_assert_ptr_nonnull(d);
		ck_assert_uint_le(d->severity, 7);
		ck_assert_uint_ge(d->id, 100000);
		ck_assert_uint_le(d->id, 999999);
		ck_assert_ptr_nonnull(d->fmt);
		ck_assert_ptr_nonnull(d->when);
		ck_assert_ptr_nonnull(d->sym);
		if (i > 0)
			ck_assert_uint_gt(d->id, ph_event_def_at(i - 1)->id);
		ck_assert_ptr_eq(ph_event_def(d->id), d);
	}
	ck_assert_ptr_null(ph_event_def_at(n));
	ck_assert_ptr_null(ph_event_def(0));
	ck_assert_ptr_null(ph_event_def(302012));
	ck_assert_ptr_null(ph_event_def(999999));
}
END_TEST

/* Fill every field, so every placeholder of every row is present. */
static void
fill_all(struct ph_event *ev, uint32_t id, uint8_t proto)
{
	ph_event_init(ev, id, ph_time_from_sec(1));
	ev->proto = proto;
	ev->conn_id = 7;
	ev->ep[0].ifname = "outside";
	ev->ep[1].ifname = "inside";
	ev->ep[0].ip = 0x01020304;
	ev->ep[1].ip = 0x0a000001;
	ev->reason = "TCP FINs";
	ev->acl_name = "acl_in";
	ev->text = "free text";
	ev->suppressed = 3;
	ev->first_hit = true;
	ev->tcp_flags = 0x02;
}

/* Every row formats, for TCP, UDP, ICMP and GRE, and never leaves a brace
 * or bracket in the output (an unknown placeholder would fail with
 * -EINVAL). */
START_TEST(test_every_row_formats)
{
	static const uint8_t protos[] = { 6, 17, 1, 47 };
	char line[1024];

	for (size_t i = 0; i < ph_event_def_count(); i++) {
		const struct ph_event_def *d = ph_event_def_at(i);

		for (size_t p = 0; p < sizeof(protos); p++) {
			struct ph_event ev;
			int n;

			fill_all(&ev, d->id, protos[p]);
			n = ph_event_format(&ev, NULL, line, sizeof(line));
			ck_assert_msg(n > 0, "%u: %d", d->id, n);
			ck_assert_uint_lt((size_t)n, sizeof(line));
			ck_assert_uint_eq(strlen(line), (size_t)n);
			ck_assert_msg(strpbrk(line, "{}[]") == NULL, "%u: %s",
				      d->id, line);
			ck_assert_msg(strstr(line, "(null)") == NULL, "%s",
				      line);
		}
	}
}
END_TEST

START_TEST(test_unknown_id_refused)
{
	struct ph_event ev;
	char line[64];

	ph_event_init(&ev, 123456, ph_time_from_sec(0));
	ck_assert_uint_eq(ev.severity, 6);
	memset(line, 'x', sizeof(line));
	ck_assert_int_eq(ph_event_format(&ev, NULL, line, sizeof(line)),
			 -EINVAL);
	ck_assert_str_eq(line, "");
	ck_assert_int_eq(ph_event_format_text(&ev, line, sizeof(line)),
			 -EINVAL);
}
END_TEST

START_TEST(test_init_sets_defaults)
{
	struct ph_event ev;

	memset(&ev, 0xa5, sizeof(ev));
	ph_event_init(&ev, PH_EV_TCP_IN_DENIED, ph_time_from_sec(5));
	ck_assert_uint_eq(ev.id, 106001);
	ck_assert_uint_eq(ev.severity, 2);
	ck_assert_uint_eq(ev.when.ns, 5 * PH_NSEC_PER_SEC);
	ck_assert_ptr_null(ev.reason);
	ck_assert_uint_eq(ev.conn_id, 0);
	ph_event_init(&ev, PH_EV_ACL_LOG, ph_time_from_sec(0));
	ck_assert_uint_eq(ev.severity, 6);
}
END_TEST

START_TEST(test_enum_is_message_id)
{
	ck_assert_int_eq(PH_EV_TCP_BUILT, 302013);
	ck_assert_int_eq(PH_EV_GRE_TEARDOWN, 302018);
	ck_assert_int_eq(PH_EV_ACL_DENIED, 106023);
	ck_assert_int_eq(PH_EV_PAT_BUILT, 305011);
}
END_TEST

START_TEST(test_teardown_words)
{
	ck_assert_str_eq(ph_teardown_text(PH_TD_TCP_FINS), "TCP FINs");
	ck_assert_str_eq(ph_teardown_text(PH_TD_RESET_I), "TCP Reset-I");
	ck_assert_str_eq(ph_teardown_text(PH_TD_RESET_O), "TCP Reset-O");
	ck_assert_str_eq(ph_teardown_text(PH_TD_INSPECTION),
			 "Flow closed by inspection");
	ck_assert_str_eq(ph_teardown_text(PH_TD_NONE), "");
	ck_assert_str_eq(ph_teardown_text(PH_TD_MAX), "");
	ck_assert_str_eq(ph_teardown_text(~0u), "");
	for (unsigned i = 1; i < PH_TD_MAX; i++)
		ck_assert_uint_gt(strlen(ph_teardown_text(i)), 0);
}
END_TEST

/* docs/syslog.md carries the catalog, row for row. */
START_TEST(test_docs_match_catalog)
{
	const char *src = getenv("PH_SRCDIR");
	char path[512], row[1024], *doc;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/docs/syslog.md",
		 src != NULL ? src : ".");
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	doc = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(doc, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (size_t i = 0; i < ph_event_def_count(); i++) {
		const struct ph_event_def *d = ph_event_def_at(i);

		snprintf(row, sizeof(row), "| %u | %u | `%s` | `%s` | %s |\n",
			 d->id, d->severity, d->sym, d->fmt, d->when);
		ck_assert_msg(strstr(doc, row) != NULL,
			      "docs/syslog.md lacks or differs in row %u:\n%s",
			      d->id, row);
	}
	free(doc);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("catalog");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_catalog_sorted_unique);
	tcase_add_test(tc, test_every_row_formats);
	tcase_add_test(tc, test_unknown_id_refused);
	tcase_add_test(tc, test_init_sets_defaults);
	tcase_add_test(tc, test_enum_is_message_id);
	tcase_add_test(tc, test_teardown_words);
	tcase_add_test(tc, test_docs_match_catalog);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
