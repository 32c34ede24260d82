/*
 * test_engine_pptp.c - `fixup protocol pptp` through the engine: many
 * clients behind one PAT address calling one server with the same call
 * ID, GRE flows opened per call and translated by call ID, a call-ID field
 * split across segments held and released, hold timeout, teardown.
 */
#include "engtest.h"

#include "pptpbuild.h"

/* Seed "PPTP through the PIX", 6.3: fixup plus interface PAT. */
static const char *seed63 = "nameif ethernet0 outside security0\n"
			    "nameif ethernet1 inside security100\n"
			    "ip address outside 192.168.201.1 255.255.255.0\n"
			    "ip address inside 10.48.66.47 255.255.254.0\n"
			    "fixup protocol pptp 1723\n"
			    "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			    "global (outside) 1 interface\n";

#define S A(192, 168, 201, 25)
#define G A(192, 168, 201, 1)

#include "pptpconv.h"

/* OCRQ with call id 0x4000; returns the translated id. */
static uint16_t
call_request(struct eh *h, struct client *c, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	size_t n = pptpb_ocrq(m, 0x4000, 1);

	ck_assert_int_eq(c2s(h, c, m, n, t), PH_VERDICT_ACCEPT);
	ck_assert(pb_l4_ok(h->buf));
	c->xl = pb_get16(payload(h) + 12);
	return c->xl;
}

START_TEST(test_two_clients_same_call_id)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	struct client b = { A(10, 48, 66, 107), 4644, 0, 2001, 6001, 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;
	char want[256];

	control_up(h, &a, 1);
	control_up(h, &b, 1);
	ck_assert_uint_ne(a.gport, b.gport);
	call_request(h, &a, 2);
	call_request(h, &b, 2);
	ck_assert_uint_ne(a.xl, b.xl);
	eh_skip(h);
	/* the server answers both, naming the translated ids */
	n = pptpb_ocrp(m, 0x9001, a.xl, 1);
	ck_assert_int_eq(s2c(h, &a, m, n, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), a.addr);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 0x4000);
	ck_assert(pb_l4_ok(h->buf) && pb_ip_ok(h->buf));
	snprintf(want, sizeof(want),
		 "Built outbound GRE connection 3 from "
		 "outside:192.168.201.25 (192.168.201.25) to "
		 "inside:10.48.66.106/16384 (192.168.201.1/%u)",
		 a.xl);
	eh_expect(h, want);
	n = pptpb_ocrp(m, 0x9002, b.xl, 1);
	ck_assert_int_eq(s2c(h, &b, m, n, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 0x4000);
	eh_skip(h);
	/* the server's GRE goes to the right client, its id restored */
	ck_assert_int_eq(eh_gre(h, "outside", S, G, b.xl, 4),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), b.addr);
	ck_assert_uint_eq(pb_get16(h->buf + 20 + 6), 0x4000);
	ck_assert(pb_ip_ok(h->buf));
	ck_assert_int_eq(eh_gre(h, "outside", S, G, a.xl, 4),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), a.addr);
	/* the clients' GRE carries the server's ids, untouched */
	ck_assert_int_eq(eh_gre(h, "inside", a.addr, S, 0x9001, 4),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	ck_assert_uint_eq(pb_get16(h->buf + 20 + 6), 0x9001);
	ck_assert_int_eq(eh_gre(h, "inside", b.addr, S, 0x9002, 4),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	/* a GRE id no call has, between the peers of an inspected control
	 * connection: refused (not handed to the box, G's owner) */
	ck_assert_int_eq(eh_gre(h, "outside", S, G, 0x7777, 4),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_GRE_NO_CALL);
	eh_expect(h, "Deny inbound protocol 47 src outside:192.168.201.25 "
		     "dst outside:192.168.201.1");
	eh_expect_none(h);
	/* client a resets its control connection: its call's GRE goes */
	eh_tcp_seq(h, "inside", a.addr, a.port, S, 1723, PH_TCP_RST, a.cseq, 0,
		   0, SEC(5));
	snprintf(want, sizeof(want),
		 "Teardown GRE connection 3 from outside:192.168.201.25 "
		 "(192.168.201.25) to inside:10.48.66.106/16384 "
		 "(192.168.201.1/%u) duration 0:00:02 bytes 32",
		 a.xl);
	eh_expect(h, want);
	ck_assert_int_eq(eh_gre(h, "outside", S, G, b.xl, 5),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), b.addr);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* OCRP cut right after the first byte of its Peer Call ID (offset 14):
 * the first segment is held, the second releases it patched. */
START_TEST(test_split_call_id_held_and_released)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	struct ph_pkt_released rel;
	struct ph_engine_counters c;
	size_t n;

	control_up(h, &a, 1);
	call_request(h, &a, 2);
	n = pptpb_ocrp(m, 0x9001, a.xl, 1);
	ck_assert_int_eq(s2c(h, &a, m, 15, 3), PH_VERDICT_HOLD);
	ck_assert(!ph_engine_release(h->eng, &rel));
	ck_assert_int_eq(s2c(h, &a, m + 15, n - 15, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(payload(h)[0], 0x00); /* low byte of 0x4000 */
	ck_assert(pb_l4_ok(h->buf));
	ck_assert(ph_engine_release(h->eng, &rel));
	ck_assert_uint_eq(rel.out.verdict, PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(rel.out.out_ifidx, eh_if(h, "inside"));
	ck_assert_uint_eq(rel.len, 20 + 20 + 15);
	ck_assert_uint_eq(pb_get32(rel.data + 16), a.addr);
	ck_assert_uint_eq(rel.data[40 + 14], 0x40); /* high byte of 0x4000 */
	ck_assert(pb_ip_ok(rel.data) && pb_l4_ok(rel.data));
	ck_assert(!ph_engine_release(h->eng, &rel));
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.pkts_held, 1);
	ck_assert_uint_eq(c.pkts_released, 1);
	ck_assert_uint_eq(c.pkts_release_dropped, 0);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_hold_timeout_fails_closed)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	struct ph_pkt_released rel;

	control_up(h, &a, 1);
	call_request(h, &a, 2);
	pptpb_ocrp(m, 0x9001, a.xl, 1);
	ck_assert_int_eq(s2c(h, &a, m, 15, 3), PH_VERDICT_HOLD);
	eh_skip(h);
	ph_engine_tick(h->eng, ph_time_from_ns(SEC(6) - 1));
	ck_assert(!ph_engine_release(h->eng, &rel));
	ph_engine_tick(h->eng, ph_time_from_sec(6));
	ck_assert(ph_engine_release(h->eng, &rel));
	ck_assert_uint_eq(rel.out.verdict, PH_VERDICT_DROP);
	ck_assert_uint_eq(rel.out.reason, PH_R_PPTP_HOLD_TIMEOUT);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 901003), 1);
	/* the server retransmits the whole message: parsed afresh */
	a.sseq -= 15;
	ck_assert_int_eq(s2c(h, &a, m, pptpb_size[PPTPB_OCRP], 7),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 0x4000);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* Not PPTP v1: inspection stops (902001), the connection carries on. */
START_TEST(test_other_version_uninspected)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;

	ck_assert_int_eq(eh_tcp_seq(h, "inside", a.addr, a.port, S, 1723,
				    PH_TCP_SYN, a.cseq - 1, 0, 0, SEC(1)),
			 PH_VERDICT_ACCEPT);
	a.gport = eh_sport(h);
	eh_skip(h);
	n = pptpb_sccrq(m, 0x0200, "client", "test");
	ck_assert_int_eq(c2s(h, &a, m, n, 1), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->ev_id[h->seen % EH_MAX_EV], 902001);
	eh_skip(h);
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(c2s(h, &a, m, n, 1), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 12), 0x4000);
	eh_expect_none(h);
	eh_free(h);
}
END_TEST

/* Garbage on the control port: dropped, connection closed (902002). */
START_TEST(test_malformed_closes)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;

	control_up(h, &a, 1);
	eh_skip(h);
	n = pptpb_ocrq(m, 0x4000, 1);
	pptpb_put32(m, 4, 0xdeadbeef);
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_MALFORMED);
	ck_assert_uint_eq(h->ev_id[h->seen % EH_MAX_EV], 902002);
	eh_skip(h);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 302014), 1);
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_NO_CONN);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_pptp");
	TCase *tc = tcase_create("pptp");

	tcase_add_test(tc, test_two_clients_same_call_id);
	tcase_add_test(tc, test_split_call_id_held_and_released);
	tcase_add_test(tc, test_hold_timeout_fails_closed);
	tcase_add_test(tc, test_other_version_uninspected);
	tcase_add_test(tc, test_malformed_closes);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
