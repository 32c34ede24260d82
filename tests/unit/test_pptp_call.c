/*
 * test_pptp_call.c - PPTP control connection and call state machines
 * (core/pptp_call.h) driven through the stream with whole messages: call-ID
 * translation per call, state transitions, teardown on CDN/CCRQ/Stop, the
 * per-connection call bound and ID exhaustion (recoverable drops), the
 * fail-closed state errors, incoming calls, an inside PAC, identity
 * translation and the version check.
 */
#include <stdarg.h>

#include "pptp_harness.h"

#define I PH_PPTP_DIR_I
#define O PH_PPTP_DIR_O

static uint8_t m[8 * PPTPB_MAX];

static int
xl(const struct th *t, uint16_t in)
{
	int x = th_xl(t, in);

	ck_assert_int_ge(x, 0);
	return x;
}

static unsigned
count(const char *hay, const char *needle)
{
	unsigned n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay++;
	}
	return n;
}

static int
send_ocrq(struct th *t, uint16_t id)
{
	return th_send(t, I, m, pptpb_ocrq(m, id, 1));
}

static int
send_ocrp(struct th *t, uint16_t id, uint16_t peer, uint8_t result)
{
	return th_send(t, O, m, pptpb_ocrp(m, id, peer, result));
}

static void
open_call(struct th *t, uint16_t in, uint16_t out)
{
	ck_assert_int_eq(send_ocrq(t, in), PH_PPTP_PASS);
	ck_assert_int_eq(send_ocrp(t, out, (uint16_t)xl(t, in), 1),
			 PH_PPTP_PASS);
}

static void
expect_state_error(struct th *t)
{
	ck_assert_uint_eq(t->last.action, PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_STATE);
	ck_assert(t->last.close);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_DEAD);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
}

/* Several outgoing calls: each its own translated ID; states step on. */
START_TEST(test_calls_get_own_ids_and_states)
{
	struct th *t = th_new(21);
	const struct ph_pptp_call *c;
	uint16_t ids[5] = { 0x4000, 0x4001, 0x0000, 0xffff, 0x1234 };
	int x[5], i, j;

	th_establish(t);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(send_ocrq(t, ids[i]), PH_PPTP_PASS);
		x[i] = xl(t, ids[i]);
		ck_assert_int_ne(x[i], 0);
		c = th_call(t, ids[i], -1);
		ck_assert_uint_eq(c->state, PH_PPTP_CALL_WAIT_REPLY);
		ck_assert_uint_eq(c->kind, PH_PPTP_CALL_OUTGOING);
		ck_assert_uint_eq(c->origin, I);
		ck_assert(c->flags & PH_PPTP_CALL_XL_OWNED);
		ck_assert(!(c->flags & PH_PPTP_CALL_HAVE_OUT));
		/* the OCRQ went out with the translated ID */
		ck_assert_uint_eq(
			pptpb_get16(t->out[I] + t->outlen[I] - 168, 12), x[i]);
		for (j = 0; j < i; j++)
			ck_assert_int_ne(x[i], x[j]);
	}
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(
			send_ocrp(t, (uint16_t)(0x100 + i), (uint16_t)x[i], 1),
			PH_PPTP_PASS);
		ck_assert_uint_eq(
			pptpb_get16(t->out[O] + t->outlen[O] - 32, 14), ids[i]);
		c = th_call(t, ids[i], -1);
		ck_assert_uint_eq(c->state, PH_PPTP_CALL_UP);
		ck_assert_uint_eq(c->out_id, 0x100 + i);
	}
	ck_assert_uint_eq(count(t->ev, "up in="), 5);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 5);
	th_free_all(t);
}
END_TEST

/* CCRQ ends GRE; CDN frees the ID; WEN/SLI restore without changes. */
START_TEST(test_clear_and_disconnect)
{
	struct th *t = th_new(22);
	const struct ph_pptp_call *c;
	uint16_t x;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	x = (uint16_t)xl(t, 0x4000);
	ck_assert_int_eq(th_send(t, O, m, pptpb_wen(m, x)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 40, 12),
			  0x4000);
	ck_assert_int_eq(th_send(t, I, m, pptpb_sli(m, 0x9a00)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 24, 12),
			  0x9a00);
	ck_assert_int_eq(th_send(t, I, m, pptpb_ccrq(m, 0x4000)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 16, 12), x);
	c = th_call(t, 0x4000, -1);
	ck_assert_uint_eq(c->state, PH_PPTP_CALL_CLEARING);
	ck_assert_uint_eq(count(t->ev, "ccrq\n"), 1);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 1); /* kept until CDN */
	/* a WEN while clearing is still restored */
	ck_assert_int_eq(th_send(t, O, m, pptpb_wen(m, x)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 40, 12),
			  0x4000);
	ck_assert_int_eq(th_send(t, O, m, pptpb_cdn(m, 0x9a00, 4)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 148, 12),
			  0x9a00); /* the PAC's own ID: not rewritten */
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	ck_assert_uint_eq(count(t->ev, "down"), 1); /* not again on CDN */
	ck_assert_uint_eq(count(t->ev, "free"), 1);
	/* the ID can be used again */
	open_call(t, 0x4000, 0x9a00);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	/* CDN without CCRQ: call_down(cdn) then free */
	ck_assert_int_eq(th_send(t, O, m, pptpb_cdn(m, 0x9a00, 1)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(count(t->ev, " cdn\n"), 1);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	th_free_all(t);
}
END_TEST

/* StopCCRQ ends and frees every call; late call messages still pass. */
START_TEST(test_stop_frees_all)
{
	struct th *t = th_new(23);
	int i;

	th_establish(t);
	for (i = 0; i < 10; i++)
		open_call(t, (uint16_t)(0x4000 + i), (uint16_t)(0x100 + i));
	ck_assert_int_eq(send_ocrq(t, 0x5000), PH_PPTP_PASS); /* pending */
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 11);
	ck_assert_int_eq(th_send(t, I, m, pptpb_stopccrq(m, 1)), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_STOPPING);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	ck_assert_uint_eq(count(t->ev, " stop\n"), 10);
	ck_assert_uint_eq(count(t->ev, "free"), 11);
	/* the server's CDN crossed our stop: passes, counted as late */
	ck_assert_int_eq(th_send(t, O, m, pptpb_cdn(m, 0x100, 3)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->late, 1);
	/* but no new call */
	ck_assert_int_eq(th_send(t, O, m, pptpb_stopccrp(m, 1)), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_CLOSED);
	ck_assert_int_eq(send_ocrq(t, 0x6000), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_STATE);
	th_free_all(t);
}
END_TEST

/*
 * The 10,000-OCRQ attack: the 65th call is refused, every retransmission
 * of it too (counted), existing calls go on, and once a call ends the
 * retransmission gets through.
 */
START_TEST(test_call_limit_bounds_ocrq_flood)
{
	struct th *t = th_new(24);
	uint8_t q[PPTPB_MAX];
	uint32_t seq;
	size_t n;
	int i;

	th_establish(t);
	for (i = 0; i < PH_PPTP_CALLS_DEFAULT; i++)
		ck_assert_int_eq(send_ocrq(t, (uint16_t)(i + 1)), PH_PPTP_PASS);
	seq = t->seq[I];
	n = pptpb_ocrq(q, 9999, 1);
	for (i = 0; i < 10000 - PH_PPTP_CALLS_DEFAULT; i++) {
		ck_assert_int_eq(th_seg(t, I, seq, q, n), PH_PPTP_DROP);
		ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALL_LIMIT);
		ck_assert(!t->last.close);
	}
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), PH_PPTP_CALLS_DEFAULT);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), PH_PPTP_CALLS_DEFAULT);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->call_limit,
			  10000 - PH_PPTP_CALLS_DEFAULT);
	/* the other direction still works: a reply for call 1 */
	ck_assert_int_eq(send_ocrp(t, 0x77, (uint16_t)xl(t, 1), 1),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 32, 14), 1);
	/* the server refuses call 2: room for the retransmission */
	ck_assert_int_eq(send_ocrp(t, 0x78, (uint16_t)xl(t, 2), 7),
			 PH_PPTP_PASS);
	ck_assert_int_eq(th_seg(t, I, seq, q, n), PH_PPTP_PASS);
	t->seq[I] = seq + (uint32_t)n;
	ck_assert_int_ge(th_xl(t, 9999), 1);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), PH_PPTP_CALLS_DEFAULT);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	th_free_all(t);
}
END_TEST

/*
 * A refusal after a complete message in the same segment rolls back to
 * the refused message only: the retransmission re-applies the first one
 * from the log and parses the second afresh.
 */
START_TEST(test_call_limit_rollback_in_segment)
{
	struct ph_pptp_config cfg = { .max_calls = 1 };
	struct th *t = th_new_cfg(25, &cfg, false);
	uint8_t seg[2 * PPTPB_MAX];
	size_t n;
	uint32_t seq;
	uint16_t xa;

	th_establish(t);
	n = pptpb_ocrq(seg, 0xaaaa, 1);
	n += pptpb_ocrq(seg + n, 0xbbbb, 2);
	seq = t->seq[I];
	ck_assert_int_eq(th_seg(t, I, seq, seg, n), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALL_LIMIT);
	xa = (uint16_t)xl(t, 0xaaaa); /* the first OCRQ was taken */
	ck_assert_int_lt(th_xl(t, 0xbbbb), 0);
	ck_assert_int_eq(th_seg(t, I, seq, seg, n), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALL_LIMIT);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	/* the server refuses the first call: its slot frees up */
	ck_assert_int_eq(send_ocrp(t, 0x10, xa, 3), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_int_eq(th_seg(t, I, seq, seg, n), PH_PPTP_PASS);
	t->seq[I] = seq + (uint32_t)n;
	/* first OCRQ re-sent with the same (logged) translation */
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - n, 12), xa);
	ck_assert_int_ge(th_xl(t, 0xbbbb), 1);
	ck_assert_int_lt(th_xl(t, 0xaaaa), 0);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->calls, 2);
	th_free_all(t);
}
END_TEST

/*
 * No translated ID left: the OCRQ is dropped, nothing changes, existing
 * calls go on; the retransmission succeeds once IDs are back.  The OCRQ
 * here began in an earlier segment (roll back to the segment start).
 */
START_TEST(test_callid_exhausted_recoverable)
{
	struct th *t = th_new(26);
	size_t n;
	uint32_t seq;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	n = pptpb_ocrq(m, 0x4001, 2);
	seq = t->seq[I];
	ck_assert_int_eq(th_seg(t, I, seq, m, 10), PH_PPTP_PASS);
	t->fail_alloc = true;
	ck_assert_int_eq(th_seg(t, I, seq + 10, m + 10, n - 10), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALLID_EXHAUSTED);
	ck_assert(!t->last.close);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->exhausted, 1);
	/* the existing call goes on: its WEN is restored */
	ck_assert_int_eq(
		th_send(t, O, m + PPTPB_MAX,
			pptpb_wen(m + PPTPB_MAX, (uint16_t)xl(t, 0x4000))),
		PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 40, 12),
			  0x4000);
	t->fail_alloc = false;
	ck_assert_int_eq(th_seg(t, I, seq + 10, m + 10, n - 10), PH_PPTP_PASS);
	t->seq[I] = seq + (uint32_t)n;
	ck_assert_int_ge(th_xl(t, 0x4001), 1);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - n + 2, 10),
			  xl(t, 0x4001));
	th_free_all(t);
}
END_TEST

/* Reusing a live call ID, a reply to no request: state errors. */
START_TEST(test_reused_call_id_fails)
{
	struct th *t = th_new(27);

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	ck_assert_int_eq(send_ocrq(t, 0x4000), PH_PPTP_DROP);
	expect_state_error(t);
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9a00 error"));
	/* everything after is dropped too */
	ck_assert_int_eq(th_send(t, O, m, pptpb_echorq(m, 1)), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_STATE);
	th_free_all(t);
}
END_TEST

START_TEST(test_reply_without_request_fails)
{
	struct th *t = th_new(28);

	th_establish(t);
	ck_assert_int_eq(send_ocrp(t, 0x10, 0x1234, 1), PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);

	t = th_new(28);
	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	/* an ICCN for a call that is outgoing and already up */
	ck_assert_int_eq(
		th_send(t, O, m, pptpb_iccn(m, (uint16_t)xl(t, 0x4000))),
		PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);

	t = th_new(28);
	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	/* a second OCRP for the same call */
	ck_assert_int_eq(send_ocrp(t, 0x9a00, (uint16_t)xl(t, 0x4000), 1),
			 PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);
}
END_TEST

/* What may come before SCCRQ/SCCRP, and control messages out of turn. */
START_TEST(test_messages_before_establishment)
{
	static const struct {
		int dir;
		unsigned type;
		bool ok;
	} cases[] = {
		{ I, PPTPB_ECHORQ, true },    { O, PPTPB_ECHORQ, true },
		{ I, PPTPB_ECHORP, true },    { I, PPTPB_OCRQ, false },
		{ O, PPTPB_ICRQ, false },     { O, PPTPB_SCCRP, false },
		{ I, PPTPB_STOPCCRQ, false }, { I, PPTPB_STOPCCRP, false },
		{ I, PPTPB_SLI, false },      { O, PPTPB_WEN, false },
		{ I, PPTPB_CCRQ, false },     { O, PPTPB_CDN, false },
	};
	unsigned k;
	size_t n;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct th *t = th_new(29);

		n = pptpb_hdr(m, cases[k].type);
		if (cases[k].type == PPTPB_SCCRP)
			pptpb_put16(m, 12, PPTPB_VERSION);
		th_send(t, cases[k].dir, m, n);
		if (cases[k].ok) {
			ck_assert_uint_eq(t->last.action, PH_PPTP_PASS);
			ck_assert_uint_eq(ph_pptp_stream_state(t->s),
					  PH_PPTP_CTL_IDLE);
		} else {
			ck_assert_msg(t->last.reason == PH_R_PPTP_STATE,
				      "case %u", k);
			ck_assert(t->last.close);
		}
		th_free_all(t);
	}
}
END_TEST

/* A refused SCCRP sends the connection back to idle; collisions work. */
START_TEST(test_sccrp_refused_and_collision)
{
	struct th *t = th_new(30);

	th_send(t, I, m, pptpb_sccrq(m, PPTPB_VERSION, "a", "b"));
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_WAIT_SCCRP);
	th_send(t, O, m, pptpb_sccrp(m, PPTPB_VERSION, 4, "s", "v"));
	ck_assert_uint_eq(t->last.action, PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_IDLE);
	ck_assert_int_eq(send_ocrq(t, 1), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_STATE);
	th_free_all(t);

	/* both send SCCRQ (RFC 2637 §3.1.3), one SCCRP settles it */
	t = th_new(30);
	th_send(t, I, m, pptpb_sccrq(m, PPTPB_VERSION, "a", "b"));
	th_send(t, O, m, pptpb_sccrq(m, PPTPB_VERSION, "s", "v"));
	ck_assert_uint_eq(t->last.action, PH_PPTP_PASS);
	th_send(t, I, m, pptpb_sccrp(m, PPTPB_VERSION, 1, "a", "b"));
	ck_assert_uint_eq(t->last.action, PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	/* a second SCCRQ from the same side is not a collision */
	th_send(t, I, m, pptpb_sccrq(m, PPTPB_VERSION, "a", "b"));
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_STATE);
	th_free_all(t);
}
END_TEST

/* A reply or ICCN that crosses the PNS's CCRQ: no error, no GRE. */
START_TEST(test_reply_crossing_ccrq)
{
	struct th *t = th_new(39);
	uint16_t x;

	th_establish(t);
	ck_assert_int_eq(send_ocrq(t, 0x4000), PH_PPTP_PASS);
	x = (uint16_t)xl(t, 0x4000);
	ck_assert_int_eq(th_send(t, I, m, pptpb_ccrq(m, 0x4000)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 16, 12), x);
	ck_assert_int_eq(send_ocrp(t, 0x9a00, x, 1), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 32, 14),
			  0x4000);
	ck_assert_uint_eq(th_call(t, 0x4000, -1)->state, PH_PPTP_CALL_CLEARING);
	ck_assert_ptr_null(strstr(t->ev, "up "));
	/* a second reply for it is still an error later; first the CDN */
	ck_assert_int_eq(th_send(t, O, m, pptpb_cdn(m, 0x9a00, 4)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	/* crossing with a refusal: the call is simply over */
	ck_assert_int_eq(send_ocrq(t, 0x4001), PH_PPTP_PASS);
	x = (uint16_t)xl(t, 0x4001);
	th_send(t, I, m, pptpb_ccrq(m, 0x4001));
	ck_assert_int_eq(send_ocrp(t, 0x9a01, x, 6), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	/* an incoming call cleared before its ICCN arrives */
	th_send(t, O, m, pptpb_icrq(m, 0x9b00, 1));
	th_send(t, I, m, pptpb_icrp(m, 0x5000, 0x9b00, 1));
	x = (uint16_t)xl(t, 0x5000);
	th_send(t, I, m, pptpb_ccrq(m, 0x5000));
	ck_assert_int_eq(th_send(t, O, m, pptpb_iccn(m, x)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 28, 12),
			  0x5000);
	ck_assert_ptr_null(strstr(t->ev, "up "));
	ck_assert_int_eq(th_send(t, O, m, pptpb_iccn(m, x)), PH_PPTP_PASS);
	ck_assert_int_eq(send_ocrp(t, 0x9b00, x, 1), PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);
}
END_TEST

/* CCRQ and CDN for no known call: harmless, pass, counted. */
START_TEST(test_unknown_call_passes)
{
	struct th *t = th_new(31);

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	ck_assert_int_eq(th_send(t, O, m, pptpb_cdn(m, 0x7777, 1)),
			 PH_PPTP_PASS);
	ck_assert_int_eq(th_send(t, I, m, pptpb_ccrq(m, 0x5555)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 16, 12),
			  0x5555);
	ck_assert_int_eq(th_send(t, O, m, pptpb_wen(m, 0x3333)), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->unknown_call, 3);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	th_free_all(t);
}
END_TEST

/* Incoming calls: ICRQ from the PAC, ICRP (translated) and ICCN. */
START_TEST(test_incoming_call)
{
	struct th *t = th_new(32);
	const struct ph_pptp_call *c;
	uint16_t x;

	th_establish(t);
	ck_assert_int_eq(th_send(t, O, m, pptpb_icrq(m, 0x9b00, 5)),
			 PH_PPTP_PASS);
	c = th_call(t, -1, 0x9b00);
	ck_assert_uint_eq(c->state, PH_PPTP_CALL_WAIT_REPLY);
	ck_assert_uint_eq(c->kind, PH_PPTP_CALL_INCOMING);
	ck_assert_uint_eq(c->origin, O);
	ck_assert_int_eq(th_send(t, I, m, pptpb_icrp(m, 0x5000, 0x9b00, 1)),
			 PH_PPTP_PASS);
	x = (uint16_t)xl(t, 0x5000);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 24, 12), x);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 24, 14),
			  0x9b00);
	ck_assert_uint_eq(th_call(t, 0x5000, -1)->state,
			  PH_PPTP_CALL_WAIT_CONNECT);
	ck_assert_ptr_null(strstr(t->ev, "up "));
	ck_assert_int_eq(th_send(t, O, m, pptpb_iccn(m, x)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 28, 12),
			  0x5000);
	ck_assert_uint_eq(th_call(t, 0x5000, -1)->state, PH_PPTP_CALL_UP);
	ck_assert_ptr_nonnull(strstr(t->ev, "up in=0x5000"));
	/* a refused incoming call is forgotten, its ID given back */
	ck_assert_int_eq(th_send(t, O, m, pptpb_icrq(m, 0x9b01, 6)),
			 PH_PPTP_PASS);
	ck_assert_int_eq(th_send(t, I, m, pptpb_icrp(m, 0x5001, 0x9b01, 3)),
			 PH_PPTP_PASS);
	ck_assert_ptr_null(th_call(t, -1, 0x9b01));
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 1);
	/* an ICRP for an ICRQ never seen */
	ck_assert_int_eq(th_send(t, I, m, pptpb_icrp(m, 0x5002, 0x9b09, 1)),
			 PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);
}
END_TEST

/* PNS messages from the PAC side (once roles are known) are refused. */
START_TEST(test_role_violation)
{
	struct th *t = th_new(33);

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	ck_assert_int_eq(th_send(t, O, m, pptpb_ocrq(m, 0x10, 1)),
			 PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);

	t = th_new(33);
	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	ck_assert_int_eq(th_send(t, I, m, pptpb_cdn(m, 0x4000, 1)),
			 PH_PPTP_DROP);
	expect_state_error(t);
	th_free_all(t);
}
END_TEST

/*
 * An inside PAC (PPTP server behind a static translation): the rule
 * "translate the IDs the inside allocated" moves to OCRP@12, ICRQ@12,
 * CDN@12 outbound and SLI@12, ICRP@14 inbound.
 */
START_TEST(test_inside_pac)
{
	struct th *t = th_new(34);
	uint16_t x, y;

	th_send(t, O, m, pptpb_sccrq(m, PPTPB_VERSION, "client", "x"));
	th_send(t, I, m, pptpb_sccrp(m, PPTPB_VERSION, 1, "server", "y"));
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	ck_assert_int_eq(th_send(t, O, m, pptpb_ocrq(m, 0x100, 1)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 168, 12),
			  0x100);
	ck_assert_int_eq(th_send(t, I, m, pptpb_ocrp(m, 0x4000, 0x100, 1)),
			 PH_PPTP_PASS);
	x = (uint16_t)xl(t, 0x4000);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 32, 12), x);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 32, 14),
			  0x100);
	ck_assert_ptr_nonnull(strstr(t->ev, "up in=0x4000"));
	ck_assert_int_eq(th_send(t, O, m, pptpb_sli(m, x)), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 24, 12),
			  0x4000);
	ck_assert_int_eq(th_send(t, O, m, pptpb_ccrq(m, 0x100)), PH_PPTP_PASS);
	ck_assert_uint_eq(th_call(t, 0x4000, -1)->state, PH_PPTP_CALL_CLEARING);
	ck_assert_int_eq(th_send(t, I, m, pptpb_cdn(m, 0x4000, 4)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 148, 12), x);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	/* an incoming call offered by the inside PAC */
	ck_assert_int_eq(th_send(t, I, m, pptpb_icrq(m, 0x4100, 9)),
			 PH_PPTP_PASS);
	y = (uint16_t)xl(t, 0x4100);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + t->outlen[I] - 220, 12), y);
	ck_assert_int_eq(th_send(t, O, m, pptpb_icrp(m, 0x200, y, 1)),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - 24, 14),
			  0x4100);
	ck_assert_int_eq(th_send(t, I, m, pptpb_iccn(m, 0x200)), PH_PPTP_PASS);
	ck_assert_ptr_nonnull(strstr(t->ev, "up in=0x4100"));
	th_free_all(t);
}
END_TEST

/* No alloc_id: calls are tracked, nothing is rewritten. */
START_TEST(test_identity_translation)
{
	struct th *t = th_new_cfg(35, NULL, true);
	size_t i;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	th_send(t, I, m, pptpb_ccrq(m, 0x4000));
	th_send(t, O, m, pptpb_cdn(m, 0x9a00, 4));
	ck_assert_ptr_nonnull(strstr(t->ev, "up in=0x4000 xl=0x4000"));
	ck_assert_ptr_nonnull(strstr(t->ev, "ccrq"));
	ck_assert_ptr_null(strstr(t->ev, "alloc"));
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->rewrites, 0);
	for (i = 0; i < 2; i++)
		ck_assert_uint_eq(t->outlen[i], t->seq[i] - t->isn[i]);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + 156, 12), 0x4000);
	th_free_all(t);
}
END_TEST

/* A version other than 1.0 stops inspection, as ASA does. */
START_TEST(test_version_stops_inspection)
{
	struct th *t = th_new(36);
	size_t n;

	n = pptpb_sccrq(m, 0x0200, "a", "b");
	pptpb_put16(m, 0, 100); /* a v2 message may have another size */
	ck_assert_int_eq(th_send(t, I, m, 100), PH_PPTP_PASS);
	ck_assert(t->last.uninspected);
	ck_assert(!t->last.close);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_UNINSPECTED);
	ck_assert_uint_eq(ph_pptp_stream_version(t->s), 0x0200);
	/* later messages pass untouched, even garbage */
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(th_send(t, I, m, n), PH_PPTP_PASS);
	ck_assert_uint_eq(t->last.nedits, 0);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + 100, 12), 0x4000);
	ck_assert_int_eq(th_send(t, O, m, 7), PH_PPTP_PASS);
	ck_assert_ptr_null(strstr(t->ev, "alloc"));
	th_free_all(t);

	/* the reply announcing another version stops it too */
	t = th_new(36);
	th_send(t, I, m, pptpb_sccrq(m, PPTPB_VERSION, "a", "b"));
	th_send(t, O, m, pptpb_sccrp(m, 0x0101, 5, "s", "v"));
	ck_assert(t->last.uninspected);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_UNINSPECTED);
	ck_assert_uint_eq(ph_pptp_stream_version(t->s), 0x0101);
	th_free_all(t);
}
END_TEST

/* Freeing the stream ends live calls (close) and gives IDs back. */
START_TEST(test_free_ends_calls)
{
	struct th *t = th_new(37);
	struct ph_idalloc *ida;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	ck_assert_int_eq(send_ocrq(t, 0x4001), PH_PPTP_PASS);
	ph_pptp_stream_free(t->s);
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9a00 close"));
	ck_assert_uint_eq(count(t->ev, "down"), 1);
	ck_assert_uint_eq(count(t->ev, "free"), 2);
	ida = t->ida;
	ck_assert_uint_eq(ph_idalloc_used(ida), 0);
	t->s = ph_pptp_stream_new(NULL, NULL, NULL);
	th_free_all(t);
}
END_TEST

/* Configuration limits and accessors. */
START_TEST(test_config_and_accessors)
{
	struct ph_pptp_config cfg = { .max_calls = PH_PPTP_CALLS_MAX + 1 };
	struct ph_pptp_ops bad = { 0 };
	struct ph_pptp_stream *s;
	struct th *t;

	errno = 0;
	ck_assert_ptr_null(ph_pptp_stream_new(&cfg, NULL, NULL));
	ck_assert_int_eq(errno, EINVAL);
	bad.alloc_id = th_alloc;
	ck_assert_ptr_null(ph_pptp_stream_new(NULL, &bad, NULL));
	cfg.max_calls = 0;
	s = ph_pptp_stream_new(&cfg, NULL, NULL);
	ck_assert_uint_eq(ph_pptp_stream_max_calls(s), PH_PPTP_CALLS_DEFAULT);
	ck_assert_ptr_null(ph_pptp_stream_call(s, 0));
	ck_assert_ptr_null(ph_pptp_stream_call(s, 100000));
	ph_pptp_stream_free(s);
	ph_pptp_stream_free(NULL);

	cfg.max_calls = 2;
	t = th_new_cfg(38, &cfg, false);
	th_establish(t);
	ck_assert_int_eq(send_ocrq(t, 1), PH_PPTP_PASS);
	ck_assert_int_eq(send_ocrq(t, 2), PH_PPTP_PASS);
	ck_assert_int_eq(th_seg(t, I, t->seq[I], m, pptpb_ocrq(m, 3, 1)),
			 PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALL_LIMIT);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 2);
	/* an incoming call is refused the same way */
	ck_assert_int_eq(th_seg(t, O, t->seq[O], m, pptpb_icrq(m, 3, 1)),
			 PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_CALL_LIMIT);
	th_free_all(t);

	ck_assert_str_eq(ph_pptp_ctl_state_name(PH_PPTP_CTL_ESTABLISHED),
			 "established");
	ck_assert_str_eq(ph_pptp_ctl_state_name(PH_PPTP_CTL_MAX), "?");
	ck_assert_str_eq(ph_pptp_call_state_name(PH_PPTP_CALL_UP), "up");
	ck_assert_str_eq(ph_pptp_call_state_name(99), "?");
	ck_assert_str_eq(ph_pptp_end_name(PH_PPTP_END_CDN), "cdn");
	ck_assert_str_eq(ph_pptp_end_name(PH_PPTP_END_MAX), "?");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pptp_call");
	TCase *tc = tcase_create("calls");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_calls_get_own_ids_and_states);
	tcase_add_test(tc, test_clear_and_disconnect);
	tcase_add_test(tc, test_stop_frees_all);
	tcase_add_test(tc, test_call_limit_bounds_ocrq_flood);
	tcase_add_test(tc, test_call_limit_rollback_in_segment);
	tcase_add_test(tc, test_callid_exhausted_recoverable);
	tcase_add_test(tc, test_reused_call_id_fails);
	tcase_add_test(tc, test_reply_without_request_fails);
	tcase_add_test(tc, test_messages_before_establishment);
	tcase_add_test(tc, test_sccrp_refused_and_collision);
	tcase_add_test(tc, test_reply_crossing_ccrq);
	tcase_add_test(tc, test_unknown_call_passes);
	tcase_add_test(tc, test_incoming_call);
	tcase_add_test(tc, test_role_violation);
	tcase_add_test(tc, test_inside_pac);
	tcase_add_test(tc, test_identity_translation);
	tcase_add_test(tc, test_version_stops_inspection);
	tcase_add_test(tc, test_free_ends_calls);
	tcase_add_test(tc, test_config_and_accessors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
