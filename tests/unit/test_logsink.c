/*
 * test_logsink.c - what the log sinks compute without I/O
 * (src/log/bsdsyslog.c): PRI from the PIX facility and severity, the
 * syslog(3) facility mapping, RFC 3164 header framing (space-padded day,
 * host sanitising, PIX timestamp form), whole datagrams for a catalog
 * event, truncation like snprintf, and the level filter that routes a
 * message to trap and buffered destinations.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <pinhole/event.h>

#include "config/model.h"
#include "log/bsdsyslog.h"
#include "log/format.h"

struct pri_case {
	unsigned facility, severity;
	const char *want; /* header with pix_timestamp (just the PRI) */
};

static const struct pri_case pri_cases[] = {
	{ 20, 6, "<166>" }, /* PIX default local4, informational */
	{ 23, 6, "<190>" }, /* local7: the syslog-ng sample */
	{ 16, 0, "<128>" }, /* local0, emergencies */
	{ 23, 7, "<191>" }, { 20, 2, "<162>" },
	{ 7, 6, "<166>" },  /* not a PIX facility: the default */
	{ 24, 3, "<163>" }, /* likewise */
	{ 16, 9, "<135>" }, /* severity clamped to 7 */
};

START_TEST(test_pri)
{
	const struct pri_case *pc = &pri_cases[_i];
	struct ph_syslog_frame f = { pc->facility, true, NULL, "gw" };
	char buf[32];

	ck_assert_int_eq(ph_syslog_header(&f, pc->severity, buf, sizeof(buf)),
			 (int)strlen(pc->want));
	ck_assert_str_eq(buf, pc->want);
}
END_TEST

START_TEST(test_facility_map)
{
	ck_assert_int_eq(ph_syslog_facility(16), LOG_LOCAL0);
	ck_assert_int_eq(ph_syslog_facility(17), LOG_LOCAL1);
	ck_assert_int_eq(ph_syslog_facility(20), LOG_LOCAL4);
	ck_assert_int_eq(ph_syslog_facility(23), LOG_LOCAL7);
	ck_assert_int_eq(ph_syslog_facility(0), LOG_LOCAL4);
	ck_assert_int_eq(ph_syslog_facility(15), LOG_LOCAL4);
	ck_assert_int_eq(ph_syslog_facility(24), LOG_LOCAL4);
	ck_assert_uint_eq(ph_syslog_pix_facility(21), 21);
	ck_assert_uint_eq(ph_syslog_pix_facility(99), 20);
}
END_TEST

struct hdr_case {
	int mon, mday, hour, min, sec;
	const char *host;
	const char *want;
};

static const struct hdr_case hdr_cases[] = {
	{ 3, 5, 21, 28, 13, "gw1", "<166>Apr  5 21:28:13 gw1 " },
	{ 3, 15, 1, 2, 3, "gw1", "<166>Apr 15 01:02:03 gw1 " },
	{ 0, 1, 0, 0, 0, "a", "<166>Jan  1 00:00:00 a " },
	{ 11, 31, 23, 59, 59, "pix", "<166>Dec 31 23:59:59 pix " },
	{ 3, 5, 21, 28, 13, NULL, "<166>Apr  5 21:28:13 " },
	{ 3, 5, 21, 28, 13, "", "<166>Apr  5 21:28:13 " },
	{ 3, 5, 21, 28, 13, "gw 1", "<166>Apr  5 21:28:13 gw " },
	{ 3, 5, 21, 28, 13, " lead", "<166>Apr  5 21:28:13 " },
	{ 3, 5, 21, 28, 13, "a\tb", "<166>Apr  5 21:28:13 a " },
	{ 3, 5, 21, 28, 13, "h\xc3\xa9", "<166>Apr  5 21:28:13 h " },
};

START_TEST(test_header)
{
	const struct hdr_case *hc = &hdr_cases[_i];
	struct tm tm = { .tm_mon = hc->mon,
			 .tm_mday = hc->mday,
			 .tm_hour = hc->hour,
			 .tm_min = hc->min,
			 .tm_sec = hc->sec,
			 .tm_year = 107 };
	struct ph_syslog_frame f = { 20, false, &tm, hc->host };
	char buf[64];

	ck_assert_int_eq(ph_syslog_header(&f, 6, buf, sizeof(buf)),
			 (int)strlen(hc->want));
	ck_assert_str_eq(buf, hc->want);
}
END_TEST

static void
built_event(struct ph_event *ev)
{
	ph_event_init(ev, PH_EV_TCP_BUILT, ph_time_from_sec(1));
	ev->conn_id = 1688438;
	ev->proto = 6;
	ev->inbound = false;
	ev->ep[0] = (struct ph_event_ep){ "outside", 0x01020304, 0x01020304, 80,
					  80 };
	ev->ep[1] = (struct ph_event_ep){ "inside", 0x0a00000b, 0xac127cc9,
					  2824, 1024 };
}

START_TEST(test_datagram_rfc3164)
{
	struct tm tm = { .tm_mon = 3,
			 .tm_mday = 5,
			 .tm_hour = 21,
			 .tm_min = 28,
			 .tm_sec = 13,
			 .tm_year = 107 };
	struct ph_syslog_frame f = { 20, false, &tm, "gw1" };
	struct ph_log_fmt fmt = { .asa_prefix = false };
	struct ph_event ev;
	char buf[512];
	const char *want = "<166>Apr  5 21:28:13 gw1 %PIX-6-302013: Built "
			   "outbound TCP connection 1688438 for "
			   "outside:1.2.3.4/80 (1.2.3.4/80) to "
			   "inside:10.0.0.11/2824 (172.18.124.201/1024)";

	built_event(&ev);
	ck_assert_int_eq(ph_syslog_datagram(&ev, &fmt, &f, buf, sizeof(buf)),
			 (int)strlen(want));
	ck_assert_str_eq(buf, want);
	/* snprintf convention: a short buffer gets a prefix, full length */
	memset(buf, 'Z', sizeof(buf));
	ck_assert_int_eq(ph_syslog_datagram(&ev, &fmt, &f, buf, 30),
			 (int)strlen(want));
	ck_assert_uint_eq(strlen(buf), 29);
	ck_assert_int_eq(strncmp(buf, want, 29), 0);
	ck_assert_int_eq(buf[30], 'Z');
	/* shorter than the header alone */
	ck_assert_int_eq(ph_syslog_datagram(&ev, &fmt, &f, buf, 5),
			 (int)strlen(want));
	ck_assert_str_eq(buf, "<166");
}
END_TEST

/* `logging timestamp`: PIX's own form, no RFC 3164 header. */
START_TEST(test_datagram_pix_timestamp)
{
	struct tm tm = { .tm_mon = 3,
			 .tm_mday = 15,
			 .tm_hour = 21,
			 .tm_min = 28,
			 .tm_sec = 13,
			 .tm_year = 107 };
	struct ph_syslog_frame f = { 23, true, &tm, "gw1" };
	struct ph_log_fmt fmt = { .asa_prefix = true, .device_id = "pix1" };
	struct ph_event ev;
	char buf[512];

	built_event(&ev);
	ck_assert_int_gt(ph_syslog_datagram(&ev, &fmt, &f, buf, sizeof(buf)),
			 0);
	ck_assert_msg(strncmp(buf,
			      "<190>Apr 15 2007 21:28:13 pix1 : "
			      "%ASA-6-302013: Built outbound",
			      strlen("<190>Apr 15 2007 21:28:13 pix1 : "
				     "%ASA-6-302013: Built outbound")) == 0,
		      "%s", buf);
	fmt.device_id = NULL;
	ph_syslog_datagram(&ev, &fmt, &f, buf, sizeof(buf));
	ck_assert_msg(strncmp(buf, "<190>Apr 15 2007 21:28:13: %ASA-6-", 33) ==
			      0,
		      "%s", buf);
}
END_TEST

START_TEST(test_datagram_bad_event)
{
	struct ph_syslog_frame f = { 20, true, NULL, NULL };
	struct ph_log_fmt fmt = { .asa_prefix = false };
	struct ph_event ev;
	char buf[64];

	ph_event_init(&ev, 999999, ph_time_from_sec(0));
	ck_assert_int_eq(ph_syslog_datagram(&ev, &fmt, &f, buf, sizeof(buf)),
			 -EINVAL);
	ck_assert_str_eq(buf, "");
}
END_TEST

struct dest_case {
	bool on;
	int trap, buffered;
	unsigned sev;
	unsigned want;
};

static const struct dest_case dest_cases[] = {
	{ true, 6, 7, 6, PH_LOGDEST_TRAP | PH_LOGDEST_BUFFER },
	{ true, 6, 7, 7, PH_LOGDEST_BUFFER },
	{ true, 6, -1, 7, 0 },
	{ true, 3, 3, 4, 0 },
	{ true, 3, 5, 4, PH_LOGDEST_BUFFER },
	{ true, 0, -1, 0, PH_LOGDEST_TRAP },
	{ true, -1, -1, 0, 0 },
	{ false, 7, 7, 0, 0 }, /* no `logging on`: nothing */
	{ true, 7, 0, 2, PH_LOGDEST_TRAP },
};

START_TEST(test_dests)
{
	const struct dest_case *dc = &dest_cases[_i];
	struct ph_logging lg;
	struct ph_event ev;

	memset(&lg, 0, sizeof(lg));
	lg.on = dc->on;
	lg.trap = (int8_t)dc->trap;
	lg.buffered = (int8_t)dc->buffered;
	ck_assert_uint_eq(ph_syslog_dests(&lg, dc->sev), dc->want);
	/* agrees with the formatter's per-destination filter */
	ph_event_init(&ev, PH_EV_TCP_BUILT, ph_time_from_sec(0));
	ev.severity = (uint8_t)dc->sev;
	if (dc->on)
		ck_assert(ph_event_level_filter(&ev, dc->trap) ==
			  ((dc->want & PH_LOGDEST_TRAP) != 0));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("logsink");
	TCase *tc = tcase_create("framing");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_pri, 0,
			    sizeof(pri_cases) / sizeof(pri_cases[0]));
	tcase_add_test(tc, test_facility_map);
	tcase_add_loop_test(tc, test_header, 0,
			    sizeof(hdr_cases) / sizeof(hdr_cases[0]));
	tcase_add_test(tc, test_datagram_rfc3164);
	tcase_add_test(tc, test_datagram_pix_timestamp);
	tcase_add_test(tc, test_datagram_bad_event);
	tcase_add_loop_test(tc, test_dests, 0,
			    sizeof(dest_cases) / sizeof(dest_cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
