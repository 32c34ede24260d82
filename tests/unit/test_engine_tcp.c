/*
 * test_engine_tcp.c - TCP tracking through the engine: the handshake,
 * FINs both ways, RST from either side, and each timeout (embryonic,
 * half-closed, idle) firing at the configured second and not before,
 * both from ph_engine_tick() and when a packet finds the stale entry;
 * the connection limit and recovery; show conn flags.
 */
#include "engtest.h"

static const char *conf = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.255.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "static (inside,outside) 192.0.2.5 10.0.0.5\n"
			  "timeout conn 1:00:00 half-closed 0:10:00\n";

#define L  A(10, 0, 0, 5)
#define GL A(192, 0, 2, 5)
#define F  A(198, 51, 100, 7)

#define TEARDOWN(why, dur)                                          \
	"Teardown TCP connection 1 for outside:198.51.100.7/80 to " \
	"inside:10.0.0.5/1025 duration " dur " bytes 0" why

/* Outbound handshake at time t (seconds): SYN, SYN-ACK, ACK. */
static void
handshake(struct eh *h, uint64_t t)
{
	ck_assert_int_eq(eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_SYN,
				    100, 0, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "outside", F, 80, GL, 1025,
				    PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0,
				    SEC(t)),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_ACK,
				    101, 501, 0, SEC(t)),
			 PH_VERDICT_ACCEPT);
	eh_expect(h, "Built outbound TCP connection 1 for "
		     "outside:198.51.100.7/80 (198.51.100.7/80) to "
		     "inside:10.0.0.5/1025 (192.0.2.5/1025)");
}

static const char *
conn_flags(struct eh *h, uint64_t t)
{
	static struct ph_conn_info ci;
	uint64_t cur = 0;

	if (!ph_engine_conn_next(h->eng, &cur, ph_time_from_sec(t), &ci))
		return "(none)";
	return ci.flags;
}

START_TEST(test_fins_both_ways)
{
	struct eh *h = eh_new(conf, 0);

	handshake(h, 1);
	ck_assert_str_eq(conn_flags(h, 1), "U");
	/* data both ways */
	eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_ACK | PH_TCP_PSH, 101,
		   501, 10, SEC(2));
	eh_tcp_seq(h, "outside", F, 80, GL, 1025, PH_TCP_ACK | PH_TCP_PSH, 501,
		   111, 20, SEC(2));
	ck_assert_str_eq(conn_flags(h, 2), "UIO");
	/* inside FIN, outside ACKs it, outside FIN, inside ACKs it */
	eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_FIN | PH_TCP_ACK, 111,
		   521, 0, SEC(3));
	ck_assert_str_eq(conn_flags(h, 3), "UfIO");
	eh_tcp_seq(h, "outside", F, 80, GL, 1025, PH_TCP_ACK, 521, 112, 0,
		   SEC(3));
	ck_assert_str_eq(conn_flags(h, 3), "UfRIO");
	eh_tcp_seq(h, "outside", F, 80, GL, 1025, PH_TCP_FIN | PH_TCP_ACK, 521,
		   112, 0, SEC(4));
	eh_expect_none(h);
	ck_assert_int_eq(eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_ACK,
				    112, 522, 0, SEC(5)),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), GL);
	eh_expect(h, "Teardown TCP connection 1 for outside:198.51.100.7/80 "
		     "to inside:10.0.0.5/1025 duration 0:00:04 bytes 30 TCP "
		     "FINs");
	ck_assert_str_eq(conn_flags(h, 5), "(none)");
	/* a late segment finds no connection */
	ck_assert_int_eq(eh_tcp(h, "outside", F, 80, GL, 1025, PH_TCP_ACK, 6),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_NO_CONN);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

static const struct {
	bool from_inside;
	const char *why;
} rst_cases[] = {
	{ true, " TCP Reset-I" },
	{ false, " TCP Reset-O" },
};

START_TEST(test_rst_either_side)
{
	struct eh *h = eh_new(conf, 0);
	char want[200];

	handshake(h, 1);
	if (rst_cases[_i].from_inside)
		eh_tcp(h, "inside", L, 1025, F, 80, PH_TCP_RST, 2);
	else
		eh_tcp(h, "outside", F, 80, GL, 1025, PH_TCP_RST, 2);
	ck_assert_uint_eq(h->out.verdict, PH_VERDICT_ACCEPT);
	snprintf(want, sizeof(want), TEARDOWN("%s", "0:00:01"),
		 rst_cases[_i].why);
	eh_expect(h, want);
	eh_free(h);
}
END_TEST

/* Which timeout, when the connection was last active, when it fires. */
static const struct {
	const char *what;
	int stage;	/* 0 SYN only, 1 SYN-ACK, 2 established, 3 FIN */
	uint64_t fires; /* seconds after the last packet */
	const char *why;
	bool by_packet; /* found stale by a packet, not by tick */
} to_cases[] = {
	{ "embryonic after SYN", 0, 30, " SYN Timeout", false },
	{ "embryonic after SYN-ACK", 1, 30, " SYN Timeout", false },
	{ "idle", 2, 3600, " Conn-timeout", false },
	{ "half-closed", 3, 600, " FIN Timeout", false },
	{ "idle, seen by a packet", 2, 3600, " Conn-timeout", true },
	{ "embryonic, seen by a packet", 0, 30, " SYN Timeout", true },
};

START_TEST(test_timeouts_fire_on_time)
{
	struct eh *h = eh_new(conf, 0);
	const uint64_t t0 = 10;
	uint64_t at;
	char want[200], dur[80];

	eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_SYN, 100, 0, 0, SEC(t0));
	if (to_cases[_i].stage >= 1)
		eh_tcp_seq(h, "outside", F, 80, GL, 1025,
			   PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0, SEC(t0));
	if (to_cases[_i].stage >= 2)
		eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_ACK, 101, 501, 0,
			   SEC(t0));
	if (to_cases[_i].stage >= 3)
		eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_FIN | PH_TCP_ACK,
			   101, 501, 0, SEC(t0));
	eh_skip(h);
	at = t0 + to_cases[_i].fires;
	snprintf(dur, sizeof(dur), "%llu:%02llu:%02llu",
		 (unsigned long long)(to_cases[_i].fires / 3600),
		 (unsigned long long)(to_cases[_i].fires / 60 % 60),
		 (unsigned long long)(to_cases[_i].fires % 60));
	snprintf(want, sizeof(want),
		 "Teardown TCP connection 1 for outside:198.51.100.7/80 to "
		 "inside:10.0.0.5/1025 duration %s bytes 0%s",
		 dur, to_cases[_i].why);
	if (to_cases[_i].by_packet) {
		/* one nanosecond early: the connection still carries it */
		ck_assert_int_eq(eh_tcp_seq(h, "outside", F, 80, GL, 1025,
					    PH_TCP_ACK, 501, 101, 0,
					    SEC(at) - 1),
				 PH_VERDICT_ACCEPT);
		eh_expect_none(h);
		at += to_cases[_i].fires;
		snprintf(dur, sizeof(dur), "%llu:%02llu:%02llu",
			 (unsigned long long)((at - t0) / 3600),
			 (unsigned long long)((at - t0) / 60 % 60),
			 (unsigned long long)((at - t0) % 60));
		snprintf(
			want, sizeof(want),
			"Teardown TCP connection 1 for outside:198.51.100.7/80 "
			"to inside:10.0.0.5/1025 duration %s bytes 0%s",
			dur, to_cases[_i].why);
		ck_assert_int_eq(eh_tcp_seq(h, "outside", F, 80, GL, 1025,
					    PH_TCP_ACK, 501, 101, 0, SEC(at)),
				 PH_VERDICT_DROP);
		eh_expect(h, want);
		ck_assert_uint_eq(h->out.reason, PH_R_TCP_NO_CONN);
		eh_free(h);
		return;
	}
	ck_assert_uint_eq(ph_engine_tick(h->eng, ph_time_from_ns(SEC(at) - 1)),
			  0);
	eh_expect_none(h);
	ck_assert_uint_eq(ph_engine_tick(h->eng, ph_time_from_sec(at)), 1);
	eh_expect(h, want);
	ck_assert_str_eq(conn_flags(h, at), "(none)");
	eh_free(h);
}
END_TEST

START_TEST(test_show_conn_flags_and_line)
{
	struct eh *h = eh_new(conf, 0);
	struct ph_conn_info ci;
	uint64_t cur = 0;
	char line[256];

	eh_tcp(h, "inside", L, 1025, F, 80, PH_TCP_SYN, 1);
	ck_assert_str_eq(conn_flags(h, 1), "saA");
	eh_tcp_seq(h, "outside", F, 80, GL, 1025, PH_TCP_SYN | PH_TCP_ACK, 500,
		   1001, 0, SEC(1));
	ck_assert_str_eq(conn_flags(h, 1), "A");
	eh_tcp_seq(h, "inside", L, 1025, F, 80, PH_TCP_ACK | PH_TCP_PSH, 1001,
		   501, 100, SEC(2));
	ck_assert(ph_engine_conn_next(h->eng, &cur, ph_time_from_sec(5), &ci));
	ph_show_conn_line(&ci, false, line, sizeof(line));
	ck_assert_str_eq(line, "TCP out 198.51.100.7:80 in 10.0.0.5:1025 "
			       "idle 0:00:03 Bytes 100 flags UO");
	ph_show_conn_line(&ci, true, line, sizeof(line));
	ck_assert_str_eq(line, "TCP outside:198.51.100.7:80 "
			       "inside:10.0.0.5:1025 (192.0.2.5:1025) flags "
			       "UO, idle 0:00:03, uptime 0:00:04, timeout "
			       "1:00:00, bytes 100, conn 1");
	ck_assert(!ph_engine_conn_next(h->eng, &cur, ph_time_from_sec(5), &ci));
	ph_show_count_line(1, 1, line, sizeof(line));
	ck_assert_str_eq(line, "1 in use, 1 most used");
	/* an inbound embryonic connection */
	{
		char c2[1024];
		struct eh *h2;

		snprintf(c2, sizeof(c2), "%sconduit permit tcp any any\n",
			 conf);
		h2 = eh_new(c2, 0);
		eh_tcp(h2, "outside", F, 4000, GL, 22, PH_TCP_SYN, 1);
		ck_assert_str_eq(conn_flags(h2, 1), "SaAB");
		eh_tcp(h2, "inside", L, 22, F, 4000, PH_TCP_SYN | PH_TCP_ACK,
		       1);
		ck_assert_str_eq(conn_flags(h2, 1), "aB");
		eh_free(h2);
	}
	eh_free(h);
}
END_TEST

/* The hard limit: new connections refused (901002, rate-limited) while
 * the existing ones go on; room comes back when one goes. */
START_TEST(test_conn_limit_and_recovery)
{
	struct eh *h = eh_new(conf, 3);
	struct ph_engine_counters c;

	for (uint16_t i = 0; i < 3; i++)
		ck_assert_int_eq(eh_udp(h, "inside", L, 2000 + i, F, 53, 4, 1),
				 PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(eh_udp(h, "inside", L, 2003, F, 53, 4, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONN_LIMIT);
	eh_expect(h, "Connection table full (3): dropped udp src "
		     "inside:10.0.0.5/2003 dst outside:198.51.100.7/53");
	ck_assert_int_eq(eh_tcp(h, "inside", L, 2004, F, 80, PH_TCP_SYN, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_CONN_LIMIT);
	eh_expect_none(h); /* rate-limited */
	/* existing flows go on */
	ck_assert_int_eq(eh_udp(h, "outside", F, 53, GL, 2001, 4, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), L);
	/* flows 2000 and 2002 idle out at 121 s, 2001 (touched at 1) too */
	ph_engine_tick(h->eng, ph_time_from_sec(121));
	ck_assert_int_eq(eh_udp(h, "inside", L, 2003, F, 53, 4, 122),
			 PH_VERDICT_ACCEPT);
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.drops[PH_R_CONN_LIMIT], 2);
	ck_assert_uint_eq(c.conns_most_used, 3);
	ck_assert_uint_eq(c.conns_in_use, 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Tick expires at most tick_budget entries per call. */
START_TEST(test_tick_budget)
{
	struct ph_engine_opts o = { .seed = { 1, 2 }, .tick_budget = 10 };
	struct eh *h = eh_new_opts(conf, &o);
	unsigned n, calls = 0, total = 0;

	for (uint16_t i = 0; i < 95; i++)
		eh_udp(h, "inside", L, (uint16_t)(3000 + i), F, 53, 1, 1);
	while ((n = ph_engine_tick(h->eng, ph_time_from_sec(200))) > 0) {
		ck_assert_uint_le(n, 10);
		total += n;
		calls++;
	}
	ck_assert_uint_eq(total, 95);
	ck_assert_uint_eq(calls, 10);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_tcp");
	TCase *tc = tcase_create("tcp");

	tcase_add_test(tc, test_fins_both_ways);
	tcase_add_loop_test(tc, test_rst_either_side, 0, 2);
	tcase_add_loop_test(tc, test_timeouts_fire_on_time, 0,
			    sizeof(to_cases) / sizeof(to_cases[0]));
	tcase_add_test(tc, test_show_conn_flags_and_line);
	tcase_add_test(tc, test_conn_limit_and_recovery);
	tcase_add_test(tc, test_tick_budget);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
