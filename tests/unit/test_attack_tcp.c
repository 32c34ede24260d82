/*
 * test_attack_tcp.c - TCP attacks against a tracked connection, each with
 * its verdict, drop counter and syslog line (docs/engine.md "Limits and
 * attacks"): segments outside the window (too far ahead, too old, ACKing
 * data never sent), invalid flag combinations on new and established
 * connections, RSTs with a wrong sequence number (dropped, the connection
 * lives on) and with a right one, a refused SYN, SYNs on an established
 * connection, a client retrying with a new ISN, window scaling (RFC 7323)
 * both when agreed and when only one side offers it, ICMP errors quoting
 * a sequence number outside the window, and the rate limit of the log.
 */
#include "engtest.h"

static const char *conf = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.255.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "static (inside,outside) 192.0.2.5 10.0.0.5\n";

#define L  A(10, 0, 0, 5)
#define GL A(192, 0, 2, 5)
#define F  A(198, 51, 100, 7)
#define R  A(203, 0, 113, 1) /* a router on the path */

/* Segment with window win (0 = 65535) and, when ws >= 0, a window-scale
 * option of shift ws; returns the verdict. */
static int
seg_ws(struct eh *h, const char *ifn, uint32_t src, uint16_t sp, uint32_t dst,
       uint16_t dp, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
       int ws, size_t plen, uint64_t t)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 9 };
	struct pb_tcp th = { .sport = sp,
			     .dport = dp,
			     .flags = flags,
			     .seq = seq,
			     .ack = ack,
			     .win = win,
			     .optlen = ws >= 0 ? 4 : 0 };
	uint8_t pl[1400], *l4 = h->buf + 20;
	size_t tl;

	memset(pl, 'd', sizeof(pl));
	h->len = pb_tcp(h->buf, &ip, &th, pl, plen);
	if (ws >= 0) {
		/* NOP, kind 3, length 3, shift; then the checksum again */
		l4[20] = 1;
		l4[21] = 3;
		l4[22] = 3;
		l4[23] = (uint8_t)ws;
		tl = h->len - 20;
		pb_put16(l4 + 16, 0);
		pb_put16(
			l4 + 16,
			(uint16_t)~pb_sum(
				l4, tl, pb_pseudo(h->buf, PH_IPPROTO_TCP, tl)));
	}
	return eh_run(h, ifn, SEC(t));
}

static int
in(struct eh *h, uint8_t flags, uint32_t seq, uint32_t ack, size_t plen,
   uint64_t t)
{
	return eh_tcp_seq(h, "inside", L, 1025, F, 80, flags, seq, ack, plen,
			  SEC(t));
}

static int
out(struct eh *h, uint8_t flags, uint32_t seq, uint32_t ack, size_t plen,
    uint64_t t)
{
	return eh_tcp_seq(h, "outside", F, 80, GL, 1025, flags, seq, ack, plen,
			  SEC(t));
}

/* L:1025 -> F:80; client ISN 100, server ISN 500, windows 65535. */
static void
handshake(struct eh *h)
{
	ck_assert_int_eq(in(h, PH_TCP_SYN, 100, 0, 0, 1), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(out(h, PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(in(h, PH_TCP_ACK, 101, 501, 0, 1), PH_VERDICT_ACCEPT);
	eh_skip(h);
}

static uint64_t
drops(const struct eh *h, unsigned r)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c.drops[r];
}

static uint32_t
conns(const struct eh *h)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c.conns_in_use;
}

#define DENY_OUT(why, fl)                                                     \
	"Deny TCP (" why ") from 198.51.100.7/80 to 192.0.2.5/1025 flags " fl \
	" on interface outside"

START_TEST(test_out_of_window_dropped_connection_lives)
{
	struct eh *h = eh_new(conf, 0);

	handshake(h);
	/* too far ahead: past the client's window (501 + 65535) */
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 + 70000, 101, 10, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	eh_expect(h, DENY_OUT("out of window", "ACK "));
	/* too old: more than one window back (suppressed: same second) */
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 - 66000, 101, 10, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	/* ACKing data the client never sent */
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501, 101 + 100000, 0, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(drops(h, PH_R_TCP_WINDOW), 3);
	eh_expect_none(h);
	/* the next second: one line, counting the two held back */
	ck_assert_int_eq(in(h, PH_TCP_ACK, 101 + 200000, 501, 10, 3),
			 PH_VERDICT_DROP);
	eh_expect(h, "Deny TCP (out of window) from 10.0.0.5/1025 to "
		     "198.51.100.7/80 flags ACK  on interface inside "
		     "(2 more suppressed)");
	/* nothing moved: in-window data both ways still passes */
	ck_assert_int_eq(out(h, PH_TCP_ACK | PH_TCP_PSH, 501, 101, 100, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), L);
	ck_assert_int_eq(in(h, PH_TCP_ACK, 101, 601, 0, 3), PH_VERDICT_ACCEPT);
	/* a retransmission (the same bytes again) passes */
	ck_assert_int_eq(out(h, PH_TCP_ACK | PH_TCP_PSH, 501, 101, 100, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(conns(h), 1);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Invalid flags: refused on a new connection and on an established one
 * (which goes on). */
static const struct {
	uint8_t flags;
	const char *words;
} bad_flags[] = {
	{ PH_TCP_SYN | PH_TCP_FIN, "FIN SYN " },
	{ PH_TCP_SYN | PH_TCP_RST, "SYN RST " },
	{ 0, "" },
	{ PH_TCP_FIN, "FIN " },
	{ PH_TCP_PSH, "PSH " },
	{ PH_TCP_FIN | PH_TCP_PSH | PH_TCP_URG, "FIN PSH URG " },
	{ PH_TCP_SYN | PH_TCP_FIN | PH_TCP_PSH | PH_TCP_URG | PH_TCP_ACK |
		  PH_TCP_RST,
	  "FIN SYN RST PSH ACK URG " },
};

START_TEST(test_bad_flags)
{
	struct eh *h = eh_new(conf, 0);
	char want[200];

	/* on connection creation: nothing is built, even outbound */
	ck_assert_int_eq(in(h, bad_flags[_i].flags, 100, 0, 0, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_FLAGS);
	snprintf(want, sizeof(want),
		 "Deny TCP (invalid flags) from 10.0.0.5/1025 to "
		 "198.51.100.7/80 flags %s on interface inside",
		 bad_flags[_i].words);
	eh_expect(h, want);
	ck_assert_uint_eq(conns(h), 0);
	/* on an established connection */
	handshake(h);
	ck_assert_int_eq(out(h, bad_flags[_i].flags, 501, 101, 0, 3),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_FLAGS);
	snprintf(want, sizeof(want), DENY_OUT("invalid flags", "%s"),
		 bad_flags[_i].words);
	eh_expect(h, want);
	ck_assert_uint_eq(drops(h, PH_R_TCP_BAD_FLAGS), 2);
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501, 101, 10, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(conns(h), 1);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_rst_wrong_seq_does_not_tear_down)
{
	struct eh *h = eh_new(conf, 0);

	handshake(h);
	ck_assert_int_eq(out(h, PH_TCP_RST, 501 + 1000000, 0, 0, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_RST);
	eh_expect(h, DENY_OUT("RST out of window", "RST "));
	ck_assert_int_eq(
		out(h, PH_TCP_RST | PH_TCP_ACK, 501 - 70000, 101, 0, 2),
		PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_RST);
	ck_assert_uint_eq(drops(h, PH_R_TCP_BAD_RST), 2);
	ck_assert_uint_eq(conns(h), 1);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 302014), 0);
	eh_expect_none(h);
	/* the connection carries on; an in-window RST ends it */
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501, 101, 10, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(out(h, PH_TCP_RST, 511 + 1000, 0, 0, 4),
			 PH_VERDICT_ACCEPT);
	eh_expect(h, "Teardown TCP connection 1 for outside:198.51.100.7/80 "
		     "to inside:10.0.0.5/1025 duration 0:00:03 bytes 10 TCP "
		     "Reset-O");
	ck_assert_uint_eq(conns(h), 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* The server refuses the SYN: its RST must ACK the SYN exactly. */
START_TEST(test_refusing_rst)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(in(h, PH_TCP_SYN, 100, 0, 0, 1), PH_VERDICT_ACCEPT);
	eh_skip(h);
	ck_assert_int_eq(out(h, PH_TCP_RST | PH_TCP_ACK, 0, 7777, 0, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_BAD_RST);
	eh_expect(h, DENY_OUT("RST out of window", "RST ACK "));
	ck_assert_int_eq(out(h, PH_TCP_RST, 0, 0, 0, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(conns(h), 1);
	ck_assert_int_eq(out(h, PH_TCP_RST | PH_TCP_ACK, 0, 101, 0, 1),
			 PH_VERDICT_ACCEPT);
	eh_expect(h, "Teardown TCP connection 1 for outside:198.51.100.7/80 "
		     "to inside:10.0.0.5/1025 duration 0:00:00 bytes 0 TCP "
		     "Reset-O");
	ck_assert_uint_eq(conns(h), 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A SYN on an established connection: judged by the window like any
 * segment (in the window the endpoint answers with a challenge ACK). */
START_TEST(test_syn_on_established)
{
	struct eh *h = eh_new(conf, 0);
	struct ph_conn_info ci;
	uint64_t cur = 0;

	handshake(h);
	ck_assert_int_eq(out(h, PH_TCP_SYN, 123456789, 0, 0, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	eh_expect(h, DENY_OUT("out of window", "SYN "));
	ck_assert_int_eq(in(h, PH_TCP_SYN, 987654321, 0, 0, 2),
			 PH_VERDICT_DROP);
	ck_assert_int_eq(out(h, PH_TCP_SYN, 500, 0, 0, 2), PH_VERDICT_ACCEPT);
	ck_assert(ph_engine_conn_next(h->eng, &cur, ph_time_from_sec(2), &ci));
	ck_assert_str_eq(ci.tclass, "tcp");
	ck_assert_int_eq(in(h, PH_TCP_ACK, 101, 501, 5, 2), PH_VERDICT_ACCEPT);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A client that retries its SYN with a new ISN restarts its side. */
START_TEST(test_syn_retry_new_isn)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(in(h, PH_TCP_SYN, 100, 0, 0, 1), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(in(h, PH_TCP_SYN, 100, 0, 0, 2), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(in(h, PH_TCP_SYN, 3000000000u, 0, 0, 3),
			 PH_VERDICT_ACCEPT);
	/* the server answers the new one; an answer to the old one is
	 * ACKing something never sent */
	ck_assert_int_eq(out(h, PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0, 3),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	ck_assert_int_eq(
		out(h, PH_TCP_SYN | PH_TCP_ACK, 500, 3000000001u, 0, 3),
		PH_VERDICT_ACCEPT);
	ck_assert_int_eq(in(h, PH_TCP_ACK, 3000000001u, 501, 0, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(conns(h), 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Window scaling: the receive window the client advertises (4096 units
 * of 2^7 = 512 KiB) admits server data far past 65535 bytes. */
START_TEST(test_window_scaling)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(seg_ws(h, "inside", L, 1025, F, 80, PH_TCP_SYN, 100, 0,
				0, 7, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(seg_ws(h, "outside", F, 80, GL, 1025,
				PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0, 7, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(seg_ws(h, "inside", L, 1025, F, 80, PH_TCP_ACK, 101,
				501, 4096, -1, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 + 400000, 101, 100, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 + 600000, 101, 100, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Only the client offers scaling: none is in effect, the same window
 * field is 4096 bytes and the data 400000 bytes on is out of window. */
START_TEST(test_window_scaling_one_sided)
{
	struct eh *h = eh_new(conf, 0);

	ck_assert_int_eq(seg_ws(h, "inside", L, 1025, F, 80, PH_TCP_SYN, 100, 0,
				0, 7, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(seg_ws(h, "outside", F, 80, GL, 1025,
				PH_TCP_SYN | PH_TCP_ACK, 500, 101, 0, -1, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(seg_ws(h, "inside", L, 1025, F, 80, PH_TCP_ACK, 101,
				501, 4096, -1, 0, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 + 400000, 101, 100, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_WINDOW);
	/* the unscaled 65535 of the SYN still bounds it */
	ck_assert_int_eq(out(h, PH_TCP_ACK, 501 + 60000, 101, 100, 2),
			 PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* An ICMP error quoting the connection: from any router on the path, but
 * the quoted sequence number must be one the client could have sent. */
static int
icmp_about(struct eh *h, uint32_t qseq, uint64_t t)
{
	struct pb_ip qip = { .src = GL, .dst = F, .id = 5 };
	struct pb_tcp qt = {
		.sport = 1025, .dport = 80, .seq = qseq, .flags = PH_TCP_ACK
	};
	struct pb_ip ip = { .src = R, .dst = GL, .id = 6 };
	uint8_t q[64];

	pb_tcp(q, &qip, &qt, NULL, 0);
	h->len = pb_icmp_err(h->buf, &ip, PH_ICMP_UNREACH, 4, q, 28);
	return eh_run(h, "outside", SEC(t));
}

START_TEST(test_icmp_error_quote_window)
{
	struct eh *h = eh_new(conf, 0);

	handshake(h);
	ck_assert_int_eq(icmp_about(h, 101, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), L);
	ck_assert(pb_l4_ok(h->buf));
	ck_assert_int_eq(icmp_about(h, 101 + 1000000, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_ICMP_NO_CONN);
	eh_expect(h, "Deny icmp (quoted TCP sequence outside the window) src "
		     "outside:203.0.113.1 dst outside:192.0.2.5 (type 3, code "
		     "4)");
	ck_assert_uint_eq(conns(h), 1);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("attack_tcp");
	TCase *tc = tcase_create("tcp");

	tcase_add_test(tc, test_out_of_window_dropped_connection_lives);
	tcase_add_loop_test(tc, test_bad_flags, 0,
			    (int)(sizeof(bad_flags) / sizeof(bad_flags[0])));
	tcase_add_test(tc, test_rst_wrong_seq_does_not_tear_down);
	tcase_add_test(tc, test_refusing_rst);
	tcase_add_test(tc, test_syn_on_established);
	tcase_add_test(tc, test_syn_retry_new_isn);
	tcase_add_test(tc, test_window_scaling);
	tcase_add_test(tc, test_window_scaling_one_sided);
	tcase_add_test(tc, test_icmp_error_quote_window);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
