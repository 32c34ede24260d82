/*
 * test_pptp_stream.c - the PPTP stream parser/rewriter (core/pptp_stream.h)
 * under every segmentation: one conversation fed whole, split at every
 * byte of every flight, in 1-byte segments and in random segments must
 * deliver the same bytes and produce the same callbacks; plus split call-ID
 * fields (hold and release), retransmissions, out-of-order segments, the
 * rewrite log's bound and the dead state.
 */
#include <stdarg.h>

#include "pptp_harness.h"

#define I PH_PPTP_DIR_I
#define O PH_PPTP_DIR_O

/* ---- the conversation ---------------------------------------------- */

#define NFLIGHTS 19

static bool lenient; /* mutated runs: a missing call is not a failure */

static int
xl(const struct th *t, uint16_t in)
{
	int x = th_xl(t, in);

	if (lenient && x < 0)
		return 0x1234;
	ck_assert_int_ge(x, 0);
	return x;
}

/*
 * Flight f of the conversation, built against the stream's state (the
 * server answers with the translated IDs it was sent).  Returns the
 * direction; *len is the flight's byte count.
 */
static int
flight(struct th *t, int f, uint8_t *b, size_t *len)
{
	size_t n = 0;
	int dir = I;

	switch (f) {
	case 0:
		n = pptpb_sccrq(b, PPTPB_VERSION, "local", "9x");
		break;
	case 1:
		dir = O;
		n = pptpb_sccrp(b, PPTPB_VERSION, 1, "srv", "pinhole");
		break;
	case 2:
		n = pptpb_echorq(b, 1);
		break;
	case 3:
		dir = O;
		n = pptpb_echorp(b, 1, 1);
		break;
	case 4:
		n = pptpb_ocrq(b, 0x4000, 1);
		break;
	case 5:
		dir = O;
		n = pptpb_ocrp(b, 0x9a00, (uint16_t)xl(t, 0x4000), 1);
		break;
	case 6: /* two messages in one flight */
		n = pptpb_ocrq(b, 0x4001, 2);
		n += pptpb_ocrq(b + n, 0x0000, 3);
		break;
	case 7:
		dir = O;
		n = pptpb_ocrp(b, 0x9a01, (uint16_t)xl(t, 0x4001), 1);
		n += pptpb_ocrp(b + n, 0x9a02, (uint16_t)xl(t, 0x0000), 4);
		break;
	case 8:
		n = pptpb_sli(b, 0x9a00);
		n += pptpb_sli(b + n, 0x9a01);
		break;
	case 9:
		dir = O;
		n = pptpb_wen(b, (uint16_t)xl(t, 0x4000));
		n += pptpb_sli(b + n, (uint16_t)xl(t, 0x4001));
		break;
	case 10:
		dir = O;
		n = pptpb_icrq(b, 0x9b00, 7);
		break;
	case 11:
		n = pptpb_icrp(b, 0x5000, 0x9b00, 1);
		break;
	case 12:
		dir = O;
		n = pptpb_iccn(b, (uint16_t)xl(t, 0x5000));
		break;
	case 13:
		n = pptpb_ccrq(b, 0x4001);
		break;
	case 14:
		dir = O;
		n = pptpb_cdn(b, 0x9a01, 4);
		n += pptpb_cdn(b + n, 0x7777, 4); /* unknown: passes */
		break;
	case 15:
		n = pptpb_echorq(b, 2);
		n += pptpb_ccrq(b + n, 0x5000);
		break;
	case 16:
		dir = O;
		n = pptpb_echorp(b, 2, 1);
		n += pptpb_cdn(b + n, 0x9b00, 3);
		break;
	case 17:
		dir = O;
		n = pptpb_stopccrq(b, 1);
		break;
	case 18:
		n = pptpb_stopccrp(b, 1);
		break;
	default:
		ck_abort();
	}
	*len = n;
	return dir;
}

static size_t flen[NFLIGHTS]; /* flight sizes, recorded by run() */

/* How to cut a flight. */
struct cut {
	int flight;   /* the flight cut at `at` (-1: none) */
	size_t at;    /* one split point */
	bool ones;    /* every flight in 1-byte segments */
	uint64_t rnd; /* nonzero: random segments of 1..40 bytes */
};

static struct th *
run(const struct cut *c)
{
	struct th *t = th_new(1234);
	uint8_t b[4 * PPTPB_MAX];
	size_t n, sizes[3] = { 0 };
	uint64_t rs = c->rnd;
	int f, dir;

	for (f = 0; f < NFLIGHTS; f++) {
		dir = flight(t, f, b, &n);
		flen[f] = n;
		if (c->ones) {
			th_send_split(t, dir, b, n, NULL);
		} else if (c->rnd) {
			size_t off = 0, k;

			while (off < n) {
				k = 1 + ph_rand_below(&rs, 40);
				k = k < n - off ? k : n - off;
				ck_assert_int_ne(th_send(t, dir, b + off, k),
						 PH_PPTP_DROP);
				off += k;
			}
		} else if (f == c->flight) {
			sizes[0] = c->at;
			sizes[1] = n - c->at;
			th_send_split(t, dir, b, n, sizes);
		} else {
			ck_assert_int_eq(th_send(t, dir, b, n), PH_PPTP_PASS);
		}
		ck_assert(!t->holding[dir]); /* flights end on a message */
	}
	return t;
}

static void
same_as(const struct th *ref, const struct th *t, const char *what)
{
	int d;

	for (d = 0; d < 2; d++) {
		ck_assert_msg(t->outlen[d] == ref->outlen[d], "%s: dir %d len",
			      what, d);
		ck_assert_msg(memcmp(t->out[d], ref->out[d], ref->outlen[d]) ==
				      0,
			      "%s: dir %d bytes differ", what, d);
	}
	ck_assert_msg(strcmp(t->ev, ref->ev) == 0,
		      "%s: events differ:\n%s\n--\n%s", what, ref->ev, t->ev);
	for (d = 0; d < PH_R_MAX; d++)
		ck_assert_msg(t->drops[d] == 0, "%s: drop %s", what,
			      ph_reason_name((unsigned)d));
}

/* The reference run rewrites exactly what reference §1.5 says. */
START_TEST(test_conversation_reference)
{
	struct cut c = { -1, 0, false, 0 };
	struct th *t = run(&c);
	const struct ph_pptp_stats *st = ph_pptp_stream_stats(t->s);
	size_t off;

	/* I's stream: SCCRQ 156, EchoRQ 16, then the OCRQ at 172 */
	off = 172;
	ck_assert_uint_eq(pptpb_get16(th_out_at(t, I, off), 8), PPTPB_OCRQ);
	ck_assert_uint_ne(pptpb_get16(th_out_at(t, I, off), 12), 0x4000);
	/* O's OCRP (after SCCRP 156 + EchoRP 20) restores the peer ID */
	off = 176;
	ck_assert_uint_eq(pptpb_get16(th_out_at(t, O, off), 8), PPTPB_OCRP);
	ck_assert_uint_eq(pptpb_get16(th_out_at(t, O, off), 12), 0x9a00);
	ck_assert_uint_eq(pptpb_get16(th_out_at(t, O, off), 14), 0x4000);
	/* everything else is untouched: compare with the input, masked */
	ck_assert_uint_eq(t->outlen[I], t->seq[I] - t->isn[I]);
	ck_assert_uint_eq(t->outlen[O], t->seq[O] - t->isn[O]);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_CLOSED);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 0);
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	ck_assert_uint_eq(st->calls, 4);
	ck_assert_uint_eq(st->calls_up, 3);
	ck_assert_uint_eq(st->unknown_call, 1);
	ck_assert_uint_eq(st->holds, 0);
	ck_assert_uint_eq(st->msgs[I] + st->msgs[O], 26);
	/* three calls went up and came down, for the right reasons */
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9a01 ccrq"));
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9b00 ccrq"));
	ck_assert_ptr_nonnull(strstr(t->ev, "in=0x4000"));
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9a00 stop"));
	/* a busy OCRP ends its call without call_up */
	ck_assert_ptr_null(strstr(t->ev, "up in=0x0000"));
	th_free_all(t);
}
END_TEST

/* Every split point of every flight gives the same bytes and events. */
START_TEST(test_conversation_every_split)
{
	struct cut c = { -1, 0, false, 0 };
	struct th *ref = run(&c), *t;
	size_t runs = 0, holds = 0;
	char what[64];

	for (c.flight = 0; c.flight < NFLIGHTS; c.flight++) {
		for (c.at = 1; c.at < flen[c.flight]; c.at++) {
			t = run(&c);
			snprintf(what, sizeof(what), "flight %d at %zu",
				 c.flight, c.at);
			same_as(ref, t, what);
			holds += t->holds;
			runs++;
			th_free_all(t);
		}
	}
	ck_assert_uint_gt(runs, 1500);
	ck_assert_uint_eq(holds, 8); /* once per looked-up field */
	th_free_all(ref);
}
END_TEST

START_TEST(test_conversation_one_byte_segments)
{
	struct cut c = { -1, 0, false, 0 }, ones = { -1, 0, true, 0 };
	struct th *ref = run(&c), *t = run(&ones);

	same_as(ref, t, "1-byte segments");
	/* OCRP@14, WEN/SLI/ICCN@12 from O and CCRQ@12 from I were held */
	ck_assert_uint_eq(t->holds, 8);
	ck_assert_uint_eq(t->releases, 8);
	th_free_all(t);
	th_free_all(ref);
}
END_TEST

START_TEST(test_conversation_random_segments)
{
	struct cut c = { -1, 0, false, 0 };
	struct th *ref = run(&c), *t;
	uint64_t seed;
	char what[64];

	for (seed = 1; seed <= 200; seed++) {
		c.rnd = seed;
		t = run(&c);
		snprintf(what, sizeof(what), "random seed %llu",
			 (unsigned long long)seed);
		same_as(ref, t, what);
		th_free_all(t);
	}
	th_free_all(ref);
}
END_TEST

/* ---- focused cases -------------------------------------------------- */

static void
open_call(struct th *t, uint16_t in, uint16_t out)
{
	uint8_t m[PPTPB_MAX];
	size_t n;

	n = pptpb_ocrq(m, in, 1);
	ck_assert_int_eq(th_send(t, I, m, n), PH_PPTP_PASS);
	n = pptpb_ocrp(m, out, (uint16_t)xl(t, in), 1);
	ck_assert_int_eq(th_send(t, O, m, n), PH_PPTP_PASS);
}

/* A whole conversation direction packed into one segment each way. */
START_TEST(test_many_messages_per_segment)
{
	struct th *t = th_new(5);
	uint8_t b[8 * PPTPB_MAX];
	size_t n = 0;

	n += pptpb_sccrq(b + n, PPTPB_VERSION, "a", "b");
	n += pptpb_echorq(b + n, 9);
	ck_assert_int_eq(th_send(t, I, b, n), PH_PPTP_PASS);
	n = pptpb_sccrp(b, PPTPB_VERSION, 1, "c", "d");
	ck_assert_int_eq(th_send(t, O, b, n), PH_PPTP_PASS);
	n = 0;
	n += pptpb_ocrq(b + n, 1, 1);
	n += pptpb_ocrq(b + n, 2, 2);
	n += pptpb_ocrq(b + n, 3, 3);
	ck_assert_int_eq(th_send(t, I, b, n), PH_PPTP_PASS);
	ck_assert_uint_eq(t->last.nedits, 3);
	ck_assert_uint_eq(t->last.edits[1].off, 168 + 12);
	ck_assert_uint_eq(t->last.edits[2].off, 336 + 12);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 3);
	ck_assert_int_ne(th_xl(t, 1), th_xl(t, 2));
	ck_assert_int_ne(th_xl(t, 2), th_xl(t, 3));
	ck_assert_int_ne(th_xl(t, 1), th_xl(t, 3));
	n = 0;
	n += pptpb_ocrp(b + n, 11, (uint16_t)xl(t, 1), 1);
	n += pptpb_ocrp(b + n, 12, (uint16_t)xl(t, 2), 1);
	n += pptpb_ocrp(b + n, 13, (uint16_t)xl(t, 3), 1);
	ck_assert_int_eq(th_send(t, O, b, n), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + 156, 14), 1);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + 188, 14), 2);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + 220, 14), 3);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->calls_up, 3);
	th_free_all(t);
}
END_TEST

/* O -> I: OCRP's @14 split after its first byte: hold, then patch. */
START_TEST(test_split_lookup_field_holds)
{
	struct th *t = th_new(6);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint16_t x;

	th_establish(t);
	n = pptpb_ocrq(m, 0x4000, 1);
	th_send(t, I, m, n);
	x = (uint16_t)xl(t, 0x4000);
	n = pptpb_ocrp(m, 0x9a00, x, 1);
	ck_assert_int_eq(th_send(t, O, m, 15), PH_PPTP_HOLD);
	ck_assert(ph_pptp_stream_holding(t->s, O));
	ck_assert_int_eq(th_send(t, O, m + 15, 1), PH_PPTP_PASS);
	ck_assert_uint_eq(t->last.held, PH_PPTP_HELD_RELEASE);
	ck_assert_uint_eq(t->last.nheld_edits, (x >> 8) != 0x40);
	ck_assert_uint_eq(t->last.nedits, (x & 0xff) != 0x00);
	ck_assert_int_eq(th_send(t, O, m + 16, n - 16), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + 156, 14), 0x4000);
	ck_assert_ptr_nonnull(strstr(t->ev, "up in=0x4000"));
	th_free_all(t);
}
END_TEST

/* I -> O: CCRQ's @12 is looked up (in_id -> xl_id): held the same way. */
START_TEST(test_split_lookup_from_inside)
{
	struct th *t = th_new(7);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint16_t x;

	th_establish(t);
	open_call(t, 0x1234, 0x77);
	x = (uint16_t)xl(t, 0x1234);
	n = pptpb_ccrq(m, 0x1234);
	ck_assert_int_eq(th_send(t, I, m, 13), PH_PPTP_HOLD);
	ck_assert_int_eq(th_send(t, I, m + 13, n - 13), PH_PPTP_PASS);
	ck_assert_uint_eq(t->last.held, PH_PPTP_HELD_RELEASE);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + 156 + 168, 12), x);
	th_free_all(t);
}
END_TEST

/* I -> O: an allocated ID never needs a hold, even split byte by byte. */
START_TEST(test_split_alloc_field_no_hold)
{
	struct th *t = th_new(8);
	uint8_t m[PPTPB_MAX];
	size_t n, at;
	uint16_t x;

	th_establish(t);
	n = pptpb_ocrq(m, 0x4000, 1);
	for (at = 0; at < n; at++)
		ck_assert_int_eq(th_send(t, I, m + at, 1), PH_PPTP_PASS);
	x = (uint16_t)xl(t, 0x4000);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + 156, 12), x);
	ck_assert_uint_eq(t->holds, 0);
	th_free_all(t);
}
END_TEST

/* Retransmissions get the same rewrite: whole, partial, and overlapping. */
START_TEST(test_retransmission_rewritten_identically)
{
	struct th *t = th_new(9);
	uint8_t m[2 * PPTPB_MAX], first[2 * PPTPB_MAX];
	size_t n, base;
	uint32_t seq;

	th_establish(t);
	seq = t->seq[I];
	base = t->outlen[I];
	n = pptpb_ocrq(m, 0x4000, 1);
	n += pptpb_ocrq(m + n, 0x4001, 2);
	ck_assert_int_eq(th_send(t, I, m, 200), PH_PPTP_PASS);
	memcpy(first, t->out[I] + base, 200);
	/* the whole segment again */
	ck_assert_int_eq(th_seg(t, I, seq, m, 200), PH_PPTP_PASS);
	ck_assert_mem_eq(t->out[I] + base + 200, first, 200);
	ck_assert_uint_eq(t->last.nedits, 2);
	/* part of it, cutting the rewritten field */
	ck_assert_int_eq(th_seg(t, I, seq + 13, m + 13, 10), PH_PPTP_PASS);
	ck_assert_mem_eq(t->out[I] + base + 400, first + 13, 10);
	/* overlapping old and new bytes: old from the log, new parsed */
	ck_assert_int_eq(th_seg(t, I, seq + 150, m + 150, n - 150),
			 PH_PPTP_PASS);
	t->seq[I] = seq + (uint32_t)n;
	ck_assert_mem_eq(t->out[I] + base + 410, first + 150, 50);
	ck_assert_uint_eq(pptpb_get16(t->out[I] + base + 410 + 18, 12),
			  (uint16_t)xl(t, 0x4001));
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 2);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->retransmits, 3);
	/* a retransmission whose call-ID bytes changed is refused */
	m[12] ^= 0xff;
	ck_assert_int_eq(th_seg(t, I, seq, m, 20), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_RETRANS);
	/* so is one whose message-in-progress bytes changed: none pending */
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	th_free_all(t);
}
END_TEST

/* A retransmission of the message being assembled must match it. */
START_TEST(test_retransmission_of_partial_message)
{
	struct th *t = th_new(10);
	uint8_t m[PPTPB_MAX], bad[PPTPB_MAX];
	size_t n;
	uint32_t seq;

	th_establish(t);
	seq = t->seq[I];
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(th_send(t, I, m, 100), PH_PPTP_PASS);
	ck_assert_int_eq(th_seg(t, I, seq, m, 100), PH_PPTP_PASS);
	memcpy(bad, m, n);
	bad[50] ^= 1;
	ck_assert_int_eq(th_seg(t, I, seq, bad, 100), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_RETRANS);
	ck_assert_int_eq(th_send(t, I, m + 100, n - 100), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	th_free_all(t);
}
END_TEST

/* A gap: the segment after it is dropped; in order, all goes through. */
START_TEST(test_out_of_order_dropped)
{
	struct th *t = th_new(11);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint32_t seq;

	th_establish(t);
	seq = t->seq[I];
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(th_seg(t, I, seq + 100, m + 100, n - 100),
			 PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_OOO);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->ooo, 1);
	ck_assert_int_eq(th_seg(t, I, seq, m, 100), PH_PPTP_PASS);
	ck_assert_int_eq(th_seg(t, I, seq + 100, m + 100, n - 100),
			 PH_PPTP_PASS);
	t->seq[I] = seq + (uint32_t)n;
	ck_assert_uint_eq(ph_pptp_stream_ncalls(t->s), 1);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	th_free_all(t);
}
END_TEST

/*
 * A held segment superseded by its retransmission.  The held segment
 * completed an OCRP before the cut: that must not be applied twice.
 */
START_TEST(test_hold_superseded)
{
	struct th *t = th_new(12);
	uint8_t m[2 * PPTPB_MAX];
	size_t n, n2, base;
	uint32_t seq;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	n = pptpb_ocrq(m, 0x4001, 2);
	ck_assert_int_eq(th_send(t, I, m, n), PH_PPTP_PASS);
	seq = t->seq[O];
	base = t->outlen[O];
	n = pptpb_ocrp(m, 0x9a01, (uint16_t)xl(t, 0x4001), 1);
	n2 = n + pptpb_sli(m + n, (uint16_t)xl(t, 0x4000));
	/* hold: the OCRP complete, the SLI cut inside its @12 */
	ck_assert_int_eq(th_seg(t, O, seq, m, n + 13), PH_PPTP_HOLD);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->calls_up, 2);
	/* a segment starting inside the held bytes: out of order */
	ck_assert_int_eq(th_seg(t, O, seq + 5, m + 5, 20), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_OOO);
	/* the sender retransmits from the start, longer: supersedes */
	ck_assert_int_eq(th_seg(t, O, seq, m, n2), PH_PPTP_PASS);
	ck_assert_uint_eq(t->last.held, PH_PPTP_HELD_DISCARD);
	ck_assert_uint_eq(t->outlen[O] - base, n2);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + base, 14), 0x4001);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + base + n, 12), 0x4000);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->calls_up, 2);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->hold_drops, 1);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	th_free_all(t);
}
END_TEST

/* The engine times a hold out: the retransmission is parsed afresh. */
START_TEST(test_hold_timeout_rolls_back)
{
	struct th *t = th_new(13);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint32_t seq;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	seq = t->seq[O];
	n = pptpb_sli(m, (uint16_t)xl(t, 0x4000));
	ck_assert_int_eq(th_seg(t, O, seq, m, 13), PH_PPTP_HOLD);
	ph_pptp_stream_hold_drop(t->s, O);
	t->holding[O] = false;
	ck_assert(!ph_pptp_stream_holding(t->s, O));
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->hold_drops, 1);
	/* the next byte alone is now out of order */
	ck_assert_int_eq(th_seg(t, O, seq + 13, m + 13, 1), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_OOO);
	/* the retransmission is parsed afresh */
	ck_assert_int_eq(th_seg(t, O, seq, m, n), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - n, 12),
			  0x4000);
	/* a message begun before the held segment: back to that segment */
	seq += (uint32_t)n;
	ck_assert_int_eq(th_seg(t, O, seq, m, 5), PH_PPTP_PASS);
	ck_assert_int_eq(th_seg(t, O, seq + 5, m + 5, 8), PH_PPTP_HOLD);
	ph_pptp_stream_hold_drop(t->s, O);
	t->holding[O] = false;
	ck_assert_int_eq(th_seg(t, O, seq + 5, m + 5, n - 5), PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - n + 5, 7),
			  0x4000);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
	ck_assert_uint_eq(ph_pptp_stream_stats(t->s)->msgs[O], 4);
	th_free_all(t);
}
END_TEST

/* More rewrites than the log keeps: old retransmissions are refused. */
START_TEST(test_rewrite_log_bound)
{
	struct th *t = th_new(14);
	uint8_t m[PPTPB_MAX];
	size_t n;
	uint32_t seq0 = 0, i;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	for (i = 0; i < PH_PPTP_LOG_LEN + 4; i++) {
		n = pptpb_wen(m, (uint16_t)xl(t, 0x4000));
		if (i == 0)
			seq0 = t->seq[O];
		ck_assert_int_eq(th_send(t, O, m, n), PH_PPTP_PASS);
	}
	n = pptpb_wen(m, (uint16_t)xl(t, 0x4000));
	ck_assert_int_eq(th_seg(t, O, seq0, m, n), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_RETRANS);
	/* a recent one is still rewritten */
	ck_assert_int_eq(th_seg(t, O, t->seq[O] - (uint32_t)n, m, n),
			 PH_PPTP_PASS);
	ck_assert_uint_eq(pptpb_get16(t->out[O] + t->outlen[O] - n, 12),
			  0x4000);
	th_free_all(t);
}
END_TEST

/* Many rewrites in one segment: listed up to the bound, then overflow. */
START_TEST(test_edit_overflow)
{
	struct th *t = th_new(15);
	uint8_t b[4096];
	size_t n = 0;
	unsigned i;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	for (i = 0; i < PH_PPTP_MAX_EDITS + 4; i++)
		n += pptpb_sli(b + n, (uint16_t)xl(t, 0x4000));
	ck_assert_int_eq(th_send(t, O, b, n), PH_PPTP_PASS);
	ck_assert(t->last.edits_overflow);
	ck_assert_uint_eq(t->last.nedits, PH_PPTP_MAX_EDITS);
	for (i = 0; i < PH_PPTP_MAX_EDITS + 4; i++)
		ck_assert_uint_eq(
			pptpb_get16(t->out[O] + t->outlen[O] - n + i * 24, 12),
			0x4000);
	th_free_all(t);
}
END_TEST

/* After a failure everything with payload is dropped; ACKs pass. */
START_TEST(test_dead_drops_everything)
{
	struct th *t = th_new(16);
	uint8_t m[PPTPB_MAX];
	size_t n;
	struct ph_pptp_result r;

	th_establish(t);
	open_call(t, 0x4000, 0x9a00);
	n = pptpb_echorq(m, 1);
	m[5] = 0; /* bad magic */
	ck_assert_int_eq(th_send(t, I, m, n), PH_PPTP_DROP);
	ck_assert(t->last.close);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_MALFORMED);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_DEAD);
	ck_assert_ptr_nonnull(strstr(t->ev, "out=0x9a00 error"));
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	n = pptpb_echorp(m, 1, 1);
	ck_assert_int_eq(th_send(t, O, m, n), PH_PPTP_DROP);
	ck_assert(t->last.close);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, O, t->seq[O], m, 0, &r), 0);
	ck_assert_uint_eq(r.action, PH_PPTP_PASS);
	th_free_all(t);
}
END_TEST

/* Translated IDs in use match the calls that own one. */
static void
check_id_accounting(const struct th *t)
{
	unsigned i, owned = 0, n = 0;
	const struct ph_pptp_call *c;

	for (i = 0; i < ph_pptp_stream_max_calls(t->s); i++) {
		c = ph_pptp_stream_call(t->s, i);
		if (c == NULL)
			continue;
		n++;
		owned += (c->flags & PH_PPTP_CALL_XL_OWNED) != 0;
	}
	ck_assert_uint_eq(n, ph_pptp_stream_ncalls(t->s));
	ck_assert_uint_le(owned, ph_idalloc_used(t->ida));
	ck_assert_uint_le(ph_idalloc_used(t->ida), owned + 2); /* pending */
}

/*
 * Robustness: the conversation with random bit flips, random segments,
 * retransmissions of random earlier ranges, reordering and hold
 * timeouts.  The harness checks every result (edits, hold/release
 * pairing); IDs must balance; ASan/UBSan builds check memory.
 */
START_TEST(test_robust_mutated_conversations)
{
	static uint8_t hist[2][TH_OUT];
	uint8_t b[4 * PPTPB_MAX];
	uint64_t seed, rs;
	size_t n, off, k, sent, a;
	int f, dir;

	lenient = true;
	for (seed = 1; seed <= 400; seed++) {
		struct th *t = th_new(seed);

		rs = seed * 7919;
		t->quiet_msgs = true;
		for (f = 0; f < NFLIGHTS; f++) {
			dir = flight(t, f, b, &n);
			if (ph_rand_below(&rs, 40) == 0)
				b[ph_rand_below(&rs, (uint32_t)n)] ^=
					(uint8_t)(1u << ph_rand_below(&rs, 8));
			for (off = 0; off < n; off += k) {
				k = 1 + ph_rand_below(&rs, seed & 1 ? 6 : 60);
				k = k < n - off ? k : n - off;
				sent = t->seq[dir] - t->isn[dir];
				memcpy(hist[dir] + sent, b + off, k);
				switch (ph_rand_below(&rs, 12)) {
				case 0: /* an earlier range again */
					a = sent -
					    ph_rand_below(&rs,
							  (uint32_t)sent + 1);
					th_seg(t, dir,
					       t->isn[dir] + (uint32_t)a,
					       hist[dir] + a,
					       sent + k - a < TH_SEG
						       ? sent + k - a
						       : TH_SEG);
					break;
				case 1: /* the next piece first */
					if (off + k < n)
						th_seg(t, dir,
						       t->seq[dir] +
							       (uint32_t)k,
						       b + off + k,
						       n - off - k < 30
							       ? n - off - k
							       : 30);
					break;
				case 2: /* the engine gives up a hold */
					if (!t->holding[dir])
						break;
					ph_pptp_stream_hold_drop(t->s, dir);
					t->holding[dir] = false;
					a = sent > 250 ? sent - 250 : 0;
					th_seg(t, dir,
					       t->isn[dir] + (uint32_t)a,
					       hist[dir] + a, sent - a);
					break;
				}
				th_send(t, dir, b + off, k);
			}
			check_id_accounting(t);
		}
		th_free_all(t);
	}
	lenient = false;
}
END_TEST

/* Random bytes: never a crash, always a verdict. */
START_TEST(test_robust_garbage)
{
	uint8_t b[TH_SEG];
	uint64_t seed, rs;
	size_t n, i;
	int k;

	for (seed = 1; seed <= 300; seed++) {
		struct th *t = th_new(seed);

		rs = seed;
		if (seed & 1)
			th_establish(t);
		for (k = 0; k < 20; k++) {
			n = 1 + ph_rand_below(&rs, 300);
			for (i = 0; i < n; i++)
				b[i] = (uint8_t)ph_rand_next(&rs);
			if (k == 0 && (seed & 2)) { /* a plausible header */
				pptpb_hdr(b, 1 + ph_rand_below(&rs, 15));
				b[ph_rand_below(&rs, 16)] ^= 0x10;
			}
			th_send(t, (int)ph_rand_below(&rs, 2), b, n);
		}
		th_free_all(t);
	}
}
END_TEST

START_TEST(test_feed_rejects_bad_arguments)
{
	struct th *t = th_new(17);
	struct ph_pptp_result r;
	uint8_t b[4] = { 0 };

	ck_assert_int_eq(ph_pptp_stream_feed(NULL, 0, 0, b, 4, &r), -EINVAL);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, 2, 0, b, 4, &r), -EINVAL);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, -1, 0, b, 4, &r), -EINVAL);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, 0, 0, NULL, 4, &r), -EINVAL);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, 0, 0, b, 4, NULL), -EINVAL);
	ck_assert_int_eq(ph_pptp_stream_start(t->s, 3, 0), -EINVAL);
	ph_pptp_stream_hold_drop(t->s, 5);
	ph_pptp_stream_hold_drop(NULL, 0);
	ck_assert(!ph_pptp_stream_holding(t->s, 7));
	th_free_all(t);
}
END_TEST

/* Without ph_pptp_stream_start(), the first payload sets the sequence. */
START_TEST(test_implicit_start)
{
	struct ph_pptp_stream *s = ph_pptp_stream_new(NULL, NULL, NULL);
	struct ph_pptp_result r;
	uint8_t m[PPTPB_MAX];
	size_t n = pptpb_sccrq(m, PPTPB_VERSION, "x", "y");

	ck_assert_int_eq(ph_pptp_stream_feed(s, 0, 77, m, 100, &r), 0);
	ck_assert_uint_eq(r.action, PH_PPTP_PASS);
	ck_assert_int_eq(ph_pptp_stream_feed(s, 0, 177, m + 100, n - 100, &r),
			 0);
	ck_assert_uint_eq(r.action, PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(s), PH_PPTP_CTL_WAIT_SCCRP);
	ph_pptp_stream_free(s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pptp_stream");
	TCase *tc = tcase_create("segmentation");
	TCase *tf = tcase_create("focused");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_conversation_reference);
	tcase_add_test(tc, test_conversation_every_split);
	tcase_add_test(tc, test_conversation_one_byte_segments);
	tcase_add_test(tc, test_conversation_random_segments);
	tcase_add_test(tf, test_many_messages_per_segment);
	tcase_add_test(tf, test_split_lookup_field_holds);
	tcase_add_test(tf, test_split_lookup_from_inside);
	tcase_add_test(tf, test_split_alloc_field_no_hold);
	tcase_add_test(tf, test_retransmission_rewritten_identically);
	tcase_add_test(tf, test_retransmission_of_partial_message);
	tcase_add_test(tf, test_out_of_order_dropped);
	tcase_add_test(tf, test_hold_superseded);
	tcase_add_test(tf, test_hold_timeout_rolls_back);
	tcase_add_test(tf, test_rewrite_log_bound);
	tcase_add_test(tf, test_edit_overflow);
	tcase_add_test(tf, test_dead_drops_everything);
	tcase_add_test(tf, test_feed_rejects_bad_arguments);
	tcase_add_test(tc, test_robust_mutated_conversations);
	tcase_add_test(tc, test_robust_garbage);
	tcase_add_test(tf, test_implicit_start);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
