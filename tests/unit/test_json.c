/*
 * test_json.c - the JSON writer: string escaping (table of inputs:
 * quotes, backslash, control bytes, DEL, valid and invalid UTF-8), commas
 * and nesting, pretty printing, misuse errors, and a put-callback failure.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

struct esc_case {
	const char *in;
	size_t len; /* 0: strlen */
	const char *out;
};

static const struct esc_case esc_cases[] = {
	{ "plain", 0, "plain" },
	{ "", 0, "" },
	{ "a\"b", 0, "a\\\"b" },
	{ "back\\slash", 0, "back\\\\slash" },
	{ "l1\nl2\r\t", 0, "l1\\nl2\\r\\t" },
	{ "\b\f", 0, "\\b\\f" },
	{ "\x01\x1f", 0, "\\u0001\\u001f" },
	{ "nul\0x", 5, "nul\\u0000x" },
	{ "del\x7f", 0, "del\\u007f" },
	{ "/slash stays", 0, "/slash stays" },
	{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },		/* U+00E9 */
	{ "\xe2\x82\xac", 0, "\xe2\x82\xac" },		/* U+20AC */
	{ "\xf0\x9f\x94\x92", 0, "\xf0\x9f\x94\x92" },	/* U+1F512 */
	{ "\xff", 0, "\\ufffd" },			/* never valid */
	{ "\xc3", 0, "\\ufffd" },			/* truncated */
	{ "\xc3(", 0, "\\ufffd(" },			/* bad continuation */
	{ "\xc0\xaf", 0, "\\ufffd\\ufffd" },		/* overlong '/' */
	{ "\xe0\x80\xaf", 0, "\\ufffd\\ufffd\\ufffd" }, /* overlong */
	{ "\xed\xa0\x80", 0, "\\ufffd\\ufffd\\ufffd" }, /* surrogate */
	{ "\xf4\x90\x80\x80", 0, "\\ufffd\\ufffd\\ufffd\\ufffd" }, /* >10ffff */
	{ "\x80x", 0, "\\ufffdx" }, /* lone continuation */
};

START_TEST(test_escape_table)
{
	const struct esc_case *ec = &esc_cases[_i];
	size_t len = ec->len ? ec->len : strlen(ec->in);
	char buf[128];
	size_t n;

	n = ph_json_escape(buf, sizeof(buf), ec->in, len);
	ck_assert_str_eq(buf, ec->out);
	ck_assert_uint_eq(n, strlen(ec->out));
}
END_TEST

START_TEST(test_escape_truncates)
{
	char buf[6];

	memset(buf, 'Z', sizeof(buf));
	ck_assert_uint_eq(ph_json_escape(buf, 4, "a\"bc", 4), 5);
	ck_assert_str_eq(buf, "a\\\"");
	ck_assert_int_eq(buf[4], 'Z');
	ck_assert_uint_eq(ph_json_escape(NULL, 0, "\n", 1), 2);
}
END_TEST

struct sink {
	char buf[2048];
	size_t len;
	size_t fail_after; /* 0: never fail */
};

static int
sink_put(void *arg, const char *s, size_t n)
{
	struct sink *k = arg;

	if (k->fail_after && k->len + n > k->fail_after)
		return -ENOSPC;
	if (k->len + n >= sizeof(k->buf))
		return -ENOSPC;
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

START_TEST(test_writer_compact)
{
	struct sink k = { .len = 0 };
	struct ph_json j;

	ph_json_init(&j, sink_put, &k, false);
	ph_json_obj_begin(&j, NULL);
	ph_json_str(&j, "name", "out\"side");
	ph_json_u64(&j, "hits", 18446744073709551615ULL);
	ph_json_i64(&j, "delta", -5);
	ph_json_bool(&j, "up", true);
	ph_json_null(&j, "none");
	ph_json_str(&j, "nullstr", NULL);
	ph_json_ipv4(&j, "addr", 0xc0a80a0bu);
	ph_json_arr_begin(&j, "list");
	ph_json_u64(&j, NULL, 1);
	ph_json_obj_begin(&j, NULL);
	ph_json_obj_end(&j);
	ph_json_arr_begin(&j, NULL);
	ph_json_arr_end(&j);
	ph_json_strn(&j, NULL, "abc", 2);
	ph_json_arr_end(&j);
	ph_json_obj_end(&j);
	ck_assert(!ph_json_open(&j));
	ck_assert_int_eq(ph_json_finish(&j), 0);
	ck_assert_str_eq(
		k.buf,
		"{\"name\":\"out\\\"side\",\"hits\":18446744073709551615,"
		"\"delta\":-5,\"up\":true,\"none\":null,\"nullstr\":null,"
		"\"addr\":\"192.168.10.11\",\"list\":[1,{},[],\"ab\"]}\n");
}
END_TEST

START_TEST(test_writer_pretty)
{
	struct sink k = { .len = 0 };
	struct ph_json j;

	ph_json_init(&j, sink_put, &k, true);
	ph_json_obj_begin(&j, NULL);
	ph_json_arr_begin(&j, "conns");
	ph_json_obj_begin(&j, NULL);
	ph_json_u64(&j, "id", 7);
	ph_json_obj_end(&j);
	ph_json_arr_end(&j);
	ph_json_arr_begin(&j, "empty");
	ph_json_arr_end(&j);
	ph_json_obj_end(&j);
	ck_assert_int_eq(ph_json_finish(&j), 0);
	ck_assert_str_eq(k.buf, "{\n"
				"\t\"conns\": [\n"
				"\t\t{\n"
				"\t\t\t\"id\": 7\n"
				"\t\t}\n"
				"\t],\n"
				"\t\"empty\": []\n"
				"}\n");
}
END_TEST

/* A key that needs escaping is escaped too. */
START_TEST(test_writer_key_escape)
{
	struct sink k = { .len = 0 };
	struct ph_json j;

	ph_json_init(&j, sink_put, &k, false);
	ph_json_obj_begin(&j, NULL);
	ph_json_u64(&j, "a\"\n", 1);
	ph_json_obj_end(&j);
	ck_assert_int_eq(ph_json_finish(&j), 0);
	ck_assert_str_eq(k.buf, "{\"a\\\"\\n\":1}\n");
}
END_TEST

/* Long strings are escaped in slices without splitting a character. */
START_TEST(test_writer_long_utf8)
{
	struct sink k = { .len = 0 };
	struct ph_json j;
	char in[301], want[400];

	for (int i = 0; i < 100; i++)
		memcpy(in + 3 * i, "\xe2\x82\xac", 3);
	in[300] = '\0';
	snprintf(want, sizeof(want), "\"%s\"\n", in);
	ph_json_init(&j, sink_put, &k, false);
	ph_json_str(&j, NULL, in);
	ck_assert_int_eq(ph_json_finish(&j), 0);
	ck_assert_str_eq(k.buf, want);
}
END_TEST

enum misuse {
	M_KEY_IN_ARRAY,
	M_NO_KEY_IN_OBJECT,
	M_KEY_AT_TOP,
	M_TWO_TOP_VALUES,
	M_UNCLOSED,
	M_WRONG_CLOSE,
	M_CLOSE_AT_TOP,
	M_TOO_DEEP,
	M_NOTHING,
	M_MAX
};

START_TEST(test_writer_misuse)
{
	struct sink k = { .len = 0 };
	struct ph_json j;

	ph_json_init(&j, sink_put, &k, false);
	switch (_i) {
	case M_KEY_IN_ARRAY:
		ph_json_arr_begin(&j, NULL);
		ph_json_u64(&j, "k", 1);
		ph_json_arr_end(&j);
		break;
	case M_NO_KEY_IN_OBJECT:
		ph_json_obj_begin(&j, NULL);
		ph_json_u64(&j, NULL, 1);
		ph_json_obj_end(&j);
		break;
	case M_KEY_AT_TOP:
		ph_json_u64(&j, "k", 1);
		break;
	case M_TWO_TOP_VALUES:
		ph_json_u64(&j, NULL, 1);
		ph_json_u64(&j, NULL, 2);
		break;
	case M_UNCLOSED:
		ph_json_obj_begin(&j, NULL);
		break;
	case M_WRONG_CLOSE:
		ph_json_obj_begin(&j, NULL);
		ph_json_arr_end(&j);
		break;
	case M_CLOSE_AT_TOP:
		ph_json_obj_end(&j);
		break;
	case M_TOO_DEEP:
		for (int d = 0; d <= PH_JSON_DEPTH_MAX; d++)
			ph_json_arr_begin(&j, NULL);
		for (int d = 0; d <= PH_JSON_DEPTH_MAX; d++)
			ph_json_arr_end(&j);
		break;
	case M_NOTHING:
		break;
	}
	ck_assert_int_eq(ph_json_finish(&j), -EINVAL);
}
END_TEST

/* The put callback's error is sticky and returned. */
START_TEST(test_writer_put_error)
{
	struct sink k = { .len = 0, .fail_after = 10 };
	struct ph_json j;

	ph_json_init(&j, sink_put, &k, false);
	ph_json_obj_begin(&j, NULL);
	ph_json_str(&j, "key", "a value that does not fit");
	ph_json_u64(&j, "n", 1);
	ph_json_obj_end(&j);
	ck_assert_int_eq(ph_json_finish(&j), -ENOSPC);
	ck_assert_uint_le(k.len, 10);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *te = tcase_create("escape");
	TCase *tw = tcase_create("writer");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(te, test_escape_table, 0,
			    sizeof(esc_cases) / sizeof(esc_cases[0]));
	tcase_add_test(te, test_escape_truncates);
	tcase_add_test(tw, test_writer_compact);
	tcase_add_test(tw, test_writer_pretty);
	tcase_add_test(tw, test_writer_key_escape);
	tcase_add_test(tw, test_writer_long_utf8);
	tcase_add_loop_test(tw, test_writer_misuse, 0, M_MAX);
	tcase_add_test(tw, test_writer_put_error);
	suite_add_tcase(s, te);
	suite_add_tcase(s, tw);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
