/*
 * test_attack_pptp.c - attacks on the PPTP inspector through the engine,
 * each with its verdict, drop counter and syslog line (docs/engine.md
 * "Limits and attacks"): Length fields that lie (shorter and longer), an
 * unknown message type, a wrong magic cookie, a version other than 1.0, a
 * call ID reused while its call is alive, a CDN for an unknown call, an
 * OCRP answering no OCRQ, 10,000 OCRQs on one control connection (state
 * and memory stay bounded, the existing calls go on), every translated
 * call ID of one (PAT address, server) in use (65,535 calls: the next
 * OCRQ is refused, the calls go on, a freed ID is reused), GRE with a
 * live call ID from the wrong source, and GRE flooding a closed call.
 */
#include <malloc.h>

#include "engtest.h"

#include "pptpbuild.h"

/* Seed "PPTP through the PIX", 6.3: fixup plus interface PAT. */
static const char *seed63 = "nameif ethernet0 outside security0\n"
			    "nameif ethernet1 inside security100\n"
			    "ip address outside 192.168.201.1 255.255.255.0\n"
			    "ip address inside 10.48.66.47 255.255.0.0\n"
			    "fixup protocol pptp 1723\n"
			    "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			    "global (outside) 1 interface\n";

#define S A(192, 168, 201, 25)
#define G A(192, 168, 201, 1)
#define PC_STRICT
#include "pptpconv.h"

#define M A(203, 0, 113, 66) /* an attacker outside */

/* OCRQ with call id cid: the verdict; *xl gets the translated id. */
static int
ocrq(struct eh *h, struct client *c, uint16_t cid, uint16_t *xl, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	size_t n = pptpb_ocrq(m, cid, 1);
	int v = c2s(h, c, m, n, t);

	if (v == PH_VERDICT_ACCEPT && xl != NULL)
		*xl = pb_get16(payload(h) + 12);
	return v;
}

static struct ph_engine_counters
ctr(const struct eh *h)
{
	struct ph_engine_counters c;

	ph_engine_counters(h->eng, &c);
	return c;
}

#define CONN1 "TCP connection 1 for outside:192.168.201.25/1723 to "

/* Messages that fail the control connection: malformed or out of
 * state.  `edit` turns a good OCRQ into the bad one. */
static const struct {
	const char *name;
	size_t off; /* 16-bit field to overwrite, or ~0: none */
	uint16_t val;
	unsigned reason;
	const char *text;
} fatal[] = {
	{ "length shorter", 0, 100, PH_R_PPTP_MALFORMED,
	  "malformed PPTP message" },
	{ "length longer", 0, 200, PH_R_PPTP_MALFORMED,
	  "malformed PPTP message" },
	{ "unknown type 16", 8, 16, PH_R_PPTP_MALFORMED,
	  "malformed PPTP message" },
	{ "wrong cookie", 4, 0xdead, PH_R_PPTP_MALFORMED,
	  "malformed PPTP message" },
	{ "type 2 (management)", 2, 2, PH_R_PPTP_MALFORMED,
	  "malformed PPTP message" },
};

START_TEST(test_fatal_messages)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;
	char want[300];

	control_up(h, &a, 1);
	eh_skip(h);
	n = pptpb_ocrq(m, 0x4000, 1);
	pptpb_put16(m, fatal[_i].off, fatal[_i].val);
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, fatal[_i].reason);
	ck_assert_uint_eq(ctr(h).drops[fatal[_i].reason], 1);
	snprintf(want, sizeof(want),
		 "Dropped malformed PPTP message on " CONN1
		 "inside:10.48.66.106/4644: %s",
		 fatal[_i].text);
	eh_expect(h, want);
	eh_expect(h, "Teardown TCP connection 1 for "
		     "outside:192.168.201.25/1723 to inside:10.48.66.106/4644 "
		     "duration 0:00:01 bytes 312 Flow closed by inspection");
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).conns_in_use, 0);
	/* what follows is no connection at all */
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_TCP_NO_CONN);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A call ID reused while its call is alive, and an OCRP answering no
 * OCRQ: out of state, the connection fails. */
START_TEST(test_state_violations)
{
	for (int which = 0; which < 2; which++) {
		struct eh *h = eh_new(seed63, 0);
		struct client a = {
			A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0
		};
		uint8_t m[PPTPB_MAX];
		size_t n;
		int v;

		control_up(h, &a, 1);
		if (which == 0) {
			ck_assert_int_eq(ocrq(h, &a, 0x4000, NULL, 2),
					 PH_VERDICT_ACCEPT);
			eh_skip(h);
			v = ocrq(h, &a, 0x4000, NULL, 2);
		} else {
			eh_skip(h);
			n = pptpb_ocrp(m, 0x9001, 0x1234, 1);
			v = s2c(h, &a, m, n, 2);
		}
		ck_assert_int_eq(v, PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_PPTP_STATE);
		eh_expect(h, "Dropped malformed PPTP message on " CONN1
			     "inside:10.48.66.106/4644: PPTP message invalid "
			     "in this state");
		ck_assert_uint_eq(ctr(h).conns_in_use, 0);
		ck_assert_uint_eq(ph_engine_event_count(h->eng, 302014), 1);
		eh_check_counters(h);
		eh_free(h);
	}
}
END_TEST

/* Not version 1.0: inspection stops (902001), the connection goes on,
 * and GRE between its peers is not PPTP's business any more. */
START_TEST(test_other_version)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };

	control_up_v(h, &a, 0x0200, 1);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 902001), 1);
	eh_skip(h);
	ck_assert_int_eq(ocrq(h, &a, 0x4000, NULL, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 12), 0x4000);
	/* GRE to G (the box) is handed to the box: no call to match */
	ck_assert_int_eq(eh_gre(h, "outside", S, G, 0x4000, 2),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A CDN naming no call: passes untouched, nothing logged or opened. */
START_TEST(test_cdn_unknown_call)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;

	control_up(h, &a, 1);
	eh_skip(h);
	n = pptpb_cdn(m, 0x7777, 1);
	ck_assert_int_eq(s2c(h, &a, m, n, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 12), 0x7777);
	ck_assert(pb_l4_ok(h->buf));
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).conns_in_use, 1);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

static size_t
heap_in_use(void)
{
	return mallinfo2().uordblks;
}

/* 10,000 OCRQs on one control connection: 64 calls (max_calls) and the
 * rest refused, one 902004 line a second, no memory grows, and the
 * calls already made go on. */
START_TEST(test_ocrq_flood)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint16_t xl[64];
	uint8_t m[PPTPB_MAX];
	size_t before, n;

	control_up(h, &a, 1);
	for (unsigned i = 0; i < 64; i++)
		ck_assert_int_eq(ocrq(h, &a, (uint16_t)(0x100 + i), &xl[i], 2),
				 PH_VERDICT_ACCEPT);
	eh_skip(h);
	before = heap_in_use();
	for (unsigned i = 64; i < 10000; i++) {
		ck_assert_int_eq(ocrq(h, &a, (uint16_t)(0x100 + i), NULL, 2),
				 PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_PPTP_CALL_LIMIT);
	}
	ck_assert_uint_le(heap_in_use(), before);
	eh_expect(h, "PPTP call refused on " CONN1
		     "inside:10.48.66.106/4644: too many PPTP calls on one "
		     "control connection");
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).drops[PH_R_PPTP_CALL_LIMIT], 10000 - 64);
	/* the first call is answered: its GRE flow opens and carries */
	n = pptpb_ocrp(m, 0x9001, xl[0], 1);
	ck_assert_int_eq(s2c(h, &a, m, n, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 0x100);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 302017), 1);
	ck_assert_int_eq(eh_gre(h, "outside", S, G, xl[0], 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), a.addr);
	/* the refused one, retransmitted when a slot frees, gets through:
	 * the client clears call 0x100 (CCRQ), the server says CDN */
	n = pptpb_ccrq(m, 0x100);
	ck_assert_int_eq(c2s(h, &a, m, n, 4), PH_VERDICT_ACCEPT);
	n = pptpb_cdn(m, 0x9001, 3);
	ck_assert_int_eq(s2c(h, &a, m, n, 4), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(ocrq(h, &a, 0x100 + 64, NULL, 4), PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* 65,535 translated call IDs for (192.168.201.1, server) in use: 1,023
 * control connections with 64 calls and one with 63.  The next OCRQ is
 * refused (902003), the calls go on, and an ID freed by a CDN is used
 * again. */
START_TEST(test_call_ids_exhausted)
{
	struct eh *h = eh_new(seed63, 0);
	struct client *cl = calloc(1024, sizeof(*cl));
	uint16_t first_xl = 0, xl;
	uint8_t m[PPTPB_MAX];
	char want[300];
	size_t n;

	ck_assert_ptr_nonnull(cl);
	for (unsigned k = 0; k < 1024; k++) {
		cl[k] = (struct client){ A(10, 48, 100 + k / 200, 1 + k % 200),
					 4000,
					 0,
					 1001,
					 5001,
					 0 };
		control_up(h, &cl[k], 1);
		for (unsigned i = 0; i < (k < 1023 ? 64u : 63u); i++) {
			ck_assert_int_eq(
				ocrq(h, &cl[k], (uint16_t)(1 + i), &xl, 1),
				PH_VERDICT_ACCEPT);
			if (k == 0 && i == 0)
				first_xl = xl;
		}
	}
	eh_skip(h);
	ck_assert_int_eq(ocrq(h, &cl[1023], 64, NULL, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_CALLID_EXHAUSTED);
	snprintf(want, sizeof(want),
		 "No free PPTP call ID on inside:192.168.201.1 for TCP "
		 "connection %u for outside:192.168.201.25/1723 to "
		 "inside:10.48.105.24/4000",
		 1024u);
	eh_expect(h, want);
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).drops[PH_R_PPTP_CALLID_EXHAUSTED], 1);
	/* the first client's first call goes on: answered, GRE flows */
	n = pptpb_ocrp(m, 0x9001, first_xl, 1);
	ck_assert_int_eq(s2c(h, &cl[0], m, n, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 1);
	ck_assert_int_eq(eh_gre(h, "outside", S, G, first_xl, 3),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), cl[0].addr);
	/* it ends: its ID is free, the refused OCRQ gets through, with it */
	n = pptpb_ccrq(m, 1);
	ck_assert_int_eq(c2s(h, &cl[0], m, n, 4), PH_VERDICT_ACCEPT);
	n = pptpb_cdn(m, 0x9001, 3);
	ck_assert_int_eq(s2c(h, &cl[0], m, n, 4), PH_VERDICT_ACCEPT);
	ck_assert_int_eq(ocrq(h, &cl[1023], 64, &xl, 4), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(xl, first_xl);
	eh_check_counters(h);
	free(cl);
	eh_free(h);
}
END_TEST

/* A call that is up, with its translated id on 192.168.201.1. */
static uint16_t
call_up(struct eh *h, struct client *a, uint16_t server_cid, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	uint16_t xl = 0;
	size_t n;

	control_up(h, a, t);
	ck_assert_int_eq(ocrq(h, a, 0x4000, &xl, t), PH_VERDICT_ACCEPT);
	n = pptpb_ocrp(m, server_cid, xl, 1);
	ck_assert_int_eq(s2c(h, a, m, n, t), PH_VERDICT_ACCEPT);
	eh_skip(h);
	return xl;
}

START_TEST(test_gre_wrong_source)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint16_t xl = call_up(h, &a, 0x9001, 1);
	uint32_t before = ctr(h).conns_in_use;

	ck_assert_int_eq(eh_gre(h, "outside", M, G, xl, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_GRE_WRONG_SRC);
	/* inbound: PIX's 106010; the reason counter tells which check */
	eh_expect(h, "Deny inbound protocol 47 src outside:203.0.113.66 dst "
		     "outside:192.168.201.1");
	/* from another inside host, with the server's call ID */
	ck_assert_int_eq(eh_gre(h, "inside", A(10, 48, 66, 107), S, 0x9001, 3),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_GRE_WRONG_SRC);
	eh_expect(h, "Deny protocol 47 (GRE call ID 36865 of another peer) "
		     "src inside:10.48.66.107 dst inside:192.168.201.25");
	ck_assert_uint_eq(ctr(h).drops[PH_R_GRE_WRONG_SRC], 2);
	ck_assert_uint_eq(ctr(h).conns_in_use, before);
	/* the call's own GRE still flows */
	ck_assert_int_eq(eh_gre(h, "outside", S, G, xl, 3), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_dst(h), a.addr);
	eh_expect_none(h);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_gre_flood_closed_call)
{
	struct eh *h = eh_new(seed63, 0);
	struct client a = { A(10, 48, 66, 106), 4644, 0, 1001, 5001, 0 };
	uint16_t xl = call_up(h, &a, 0x9001, 1);
	uint8_t m[PPTPB_MAX];
	uint32_t before;
	size_t n;

	n = pptpb_ccrq(m, 0x4000);
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_ACCEPT);
	n = pptpb_cdn(m, 0x9001, 3);
	ck_assert_int_eq(s2c(h, &a, m, n, 2), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(ph_engine_event_count(h->eng, 302018), 1);
	eh_skip(h);
	before = ctr(h).conns_in_use;
	for (unsigned i = 0; i < 1000; i++) {
		ck_assert_int_eq(eh_gre(h, "outside", S, G, xl, 3),
				 PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_GRE_NO_CALL);
	}
	eh_expect(h, "Deny inbound protocol 47 src outside:192.168.201.25 dst "
		     "outside:192.168.201.1");
	eh_expect_none(h);
	ck_assert_uint_eq(ctr(h).drops[PH_R_GRE_NO_CALL], 1000);
	ck_assert_uint_eq(ctr(h).conns_in_use, before);
	ck_assert_int_eq(eh_gre(h, "outside", S, G, xl, 4), PH_VERDICT_DROP);
	eh_expect(h, "Deny inbound protocol 47 src outside:192.168.201.25 dst "
		     "outside:192.168.201.1 (999 more suppressed)");
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("attack_pptp");
	TCase *tc = tcase_create("pptp");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fatal_messages, 0,
			    (int)(sizeof(fatal) / sizeof(fatal[0])));
	tcase_add_test(tc, test_state_violations);
	tcase_add_test(tc, test_other_version);
	tcase_add_test(tc, test_cdn_unknown_call);
	tcase_add_test(tc, test_ocrq_flood);
	tcase_add_test(tc, test_call_ids_exhausted);
	tcase_add_test(tc, test_gre_wrong_source);
	tcase_add_test(tc, test_gre_flood_closed_call);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
