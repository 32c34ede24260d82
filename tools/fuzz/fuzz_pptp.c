/*
 * tools/fuzz/fuzz_pptp.c - libFuzzer target for the PPTP control stream
 * inspector (src/core/pptp_stream.h), driven as the engine drives it and
 * as tests/unit/pptp_harness.h does: segments in both directions, the held
 * segment kept, patched and released, translated IDs from a real
 * ph_idalloc.
 *
 * Input layout:
 *
 *	0   config: bits 0-2 max_calls - 1 (1..8), bit 3 LAX_RESERVED,
 *	    bit 4 identity translation (no alloc_id), bits 5-7 ID range
 *	    (1..2^n+1: small ranges reach exhaustion)
 *	then records, each
 *	0   op: bit 0 direction (0 = I, 1 = O); bit 1 hold_drop(dir) instead
 *	    of a segment; bit 2 alloc_id fails from now on, bit 3 it works
 *	    again
 *	1-2 sequence delta (signed, big-endian) from the next expected
 *	    sequence number of the direction: 0 in order, < 0 a
 *	    retransmission, > 0 a gap
 *	3   payload length (0..255), then the payload bytes (cut at the end)
 *
 * Invariants checked (abort() when broken): every changed byte of a
 * delivered or held segment is listed in the edits (unless overflow),
 * with the right old and new value, and every edit lies inside its
 * segment; release edits lie inside the held segment; at most one held
 * segment per direction and ph_pptp_stream_holding() agrees; a drop has a
 * reason; free_id only gives back IDs alloc_id handed out; call_up's
 * translated ID is allocated; after ph_pptp_stream_free() every ID is
 * back.  Every message the msg op sees goes through the debug decoder.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <pinhole/reason.h>

#include "core/idalloc.h"
#include "core/pptp_msg.h"
#include "core/pptp_stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEG_MAX 256

struct fz {
	struct ph_pptp_stream *s;
	struct ph_idalloc *ida;
	uint64_t rng;
	bool fail_alloc;
	uint32_t seq[2]; /* next expected sequence number */
	uint8_t held[2][SEG_MAX];
	size_t heldlen[2];
	bool holding[2];
};

static int
fz_alloc(void *arg, uint16_t *x)
{
	struct fz *f = arg;

	if (f->fail_alloc)
		return -ENOSPC;
	return ph_idalloc_get(f->ida, &f->rng, x);
}

static void
fz_free(void *arg, uint16_t x)
{
	struct fz *f = arg;

	if (ph_idalloc_put(f->ida, x) != 0) {
		fprintf(stderr, "free_id 0x%04x: not allocated\n", x);
		abort();
	}
}

static void
fz_up(void *arg, const struct ph_pptp_call *c)
{
	struct fz *f = arg;

	if ((c->flags & PH_PPTP_CALL_XL_OWNED) &&
	    !ph_idalloc_in_use(f->ida, c->xl_id))
		abort(); /* call up with an ID nobody allocated */
}

static void
fz_down(void *arg, const struct ph_pptp_call *c, enum ph_pptp_end why)
{
	fz_up(arg, c); /* still allocated while it goes down */
	if (why >= PH_PPTP_END_MAX)
		abort();
}

static void
fz_msg(void *arg, int dir, const uint8_t *m, size_t len)
{
	char buf[2048];
	size_t n;

	n = ph_pptp_debug_format(buf, sizeof(buf), dir, m, len);
	if (n < sizeof(buf) && strlen(buf) != n)
		abort();
	(void)ph_pptp_msg_abbrev(len >= 10 ? (unsigned)(m[8] << 8 | m[9]) : 0);
}

static const struct ph_pptp_ops fz_ops = {
	.alloc_id = fz_alloc,
	.free_id = fz_free,
	.call_up = fz_up,
	.call_down = fz_down,
	.msg = fz_msg,
};

static const struct ph_pptp_ops fz_ops_identity = {
	.call_up = fz_up,
	.call_down = fz_down,
	.msg = fz_msg,
};

static void
check_edits(const uint8_t *in, const uint8_t *out, size_t len,
	    const struct ph_pptp_edit *e, unsigned ne, bool overflow)
{
	uint8_t covered[SEG_MAX] = { 0 };
	unsigned i, k;

	if (ne > PH_PPTP_MAX_EDITS)
		abort();
	for (i = 0; i < ne; i++) {
		if (e[i].len != 1 && e[i].len != 2)
			abort();
		for (k = 0; k < e[i].len; k++) {
			if (e[i].off + k >= len)
				abort(); /* edit outside the segment */
			if (in[e[i].off + k] != e[i].from[k] ||
			    out[e[i].off + k] != e[i].to[k])
				abort(); /* edit does not describe the change */
			covered[e[i].off + k] = 1;
		}
	}
	if (overflow)
		return;
	for (i = 0; i < len; i++)
		if (in[i] != out[i] && !covered[i])
			abort(); /* byte changed, not listed */
}

static void
on_held(struct fz *f, int dir, const struct ph_pptp_result *r)
{
	unsigned i;

	if (r->nheld_edits > 2)
		abort();
	if (r->held == PH_PPTP_HELD_RELEASE) {
		if (!f->holding[dir])
			abort();
		for (i = 0; i < r->nheld_edits; i++) {
			const struct ph_pptp_edit *e = &r->held_edits[i];

			if (e->len != 1 || e->off >= f->heldlen[dir] ||
			    f->held[dir][e->off] != e->from[0])
				abort();
			f->held[dir][e->off] = e->to[0];
		}
		f->holding[dir] = false;
	} else if (r->held == PH_PPTP_HELD_DISCARD) {
		if (!f->holding[dir] && !r->close)
			abort();
		f->holding[dir] = false;
	} else if (r->held != PH_PPTP_HELD_NONE || r->nheld_edits != 0) {
		abort();
	}
	if (r->close)
		f->holding[0] = f->holding[1] = false;
}

static void
feed(struct fz *f, int dir, uint32_t seq, const uint8_t *data, size_t len)
{
	uint8_t in[SEG_MAX], *buf;
	struct ph_pptp_result r;

	memcpy(in, data, len);
	buf = malloc(len ? len : 1); /* exact size: ASan sees overruns */
	if (buf == NULL)
		return;
	memcpy(buf, data, len);
	if (ph_pptp_stream_feed(f->s, dir, seq, buf, len, &r) != 0)
		abort();
	on_held(f, dir, &r);
	switch (r.action) {
	case PH_PPTP_PASS:
		check_edits(in, buf, len, r.edits, r.nedits, r.edits_overflow);
		break;
	case PH_PPTP_HOLD:
		check_edits(in, buf, len, r.edits, r.nedits, r.edits_overflow);
		if (f->holding[dir] || len == 0)
			abort(); /* two held in one direction */
		memcpy(f->held[dir], buf, len);
		f->heldlen[dir] = len;
		f->holding[dir] = true;
		break;
	case PH_PPTP_DROP:
		if (r.reason == PH_R_NONE || r.reason >= PH_R_MAX)
			abort();
		break;
	default:
		abort();
	}
	free(buf);
	/* track the stream's next expected number, for the deltas */
	if (r.action != PH_PPTP_DROP && (int32_t)(seq - f->seq[dir]) <= 0 &&
	    (int32_t)(seq + (uint32_t)len - f->seq[dir]) > 0)
		f->seq[dir] = seq + (uint32_t)len;
}

/* Every live call slot is consistent, and they add up to ncalls. */
static void
check_calls(struct fz *f)
{
	const struct ph_pptp_call *c;
	unsigned i, n = 0, max = ph_pptp_stream_max_calls(f->s);

	for (i = 0; i <= max; i++) {
		c = ph_pptp_stream_call(f->s, i);
		if (c == NULL)
			continue;
		if (i == max || c->state == PH_PPTP_CALL_FREE ||
		    c->state >= PH_PPTP_CALL_STATE_MAX ||
		    c->origin > PH_PPTP_DIR_O)
			abort();
		if ((c->flags & PH_PPTP_CALL_XL_OWNED) &&
		    !ph_idalloc_in_use(f->ida, c->xl_id))
			abort(); /* translated ID not held */
		(void)ph_pptp_call_state_name(c->state);
		n++;
	}
	if (n != ph_pptp_stream_ncalls(f->s))
		abort();
}

static void
check_state(struct fz *f)
{
	const struct ph_pptp_stats *st;
	int d;

	for (d = 0; d < 2; d++)
		if (ph_pptp_stream_holding(f->s, d) != f->holding[d])
			abort();
	if (ph_pptp_stream_ncalls(f->s) > ph_pptp_stream_max_calls(f->s))
		abort();
	if (ph_pptp_stream_state(f->s) >= PH_PPTP_CTL_MAX)
		abort();
	(void)ph_pptp_ctl_state_name(ph_pptp_stream_state(f->s));
	(void)ph_pptp_stream_version(f->s);
	st = ph_pptp_stream_stats(f->s);
	if (st == NULL || st->calls_up > st->calls)
		abort();
	check_calls(f);
}

static void
run(struct fz *f, const uint8_t *p, size_t n)
{
	while (n >= 4) {
		uint8_t op = p[0];
		int dir = op & 1;
		int16_t delta = (int16_t)(p[1] << 8 | p[2]);
		size_t len = p[3];

		p += 4;
		n -= 4;
		if (len > n)
			len = n;
		if (op & 4)
			f->fail_alloc = true;
		if (op & 8)
			f->fail_alloc = false;
		if (op & 2) {
			ph_pptp_stream_hold_drop(f->s, dir);
			f->holding[dir] = false;
		} else {
			feed(f, dir, f->seq[dir] + (uint32_t)(int32_t)delta, p,
			     len);
		}
		check_state(f);
		p += len;
		n -= len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_pptp_config cfg = { 0 };
	struct fz f = { .rng = 0x5eed };
	uint8_t c;

	if (size < 1)
		return 0;
	c = data[0];
	cfg.max_calls = (uint16_t)((c & 7) + 1);
	cfg.flags = (c & 8) ? PH_PPTP_F_LAX_RESERVED : 0;
	f.ida = ph_idalloc_new(1, 1 + (1u << (c >> 5)));
	if (f.ida == NULL)
		return 0;
	f.s = ph_pptp_stream_new(&cfg, (c & 16) ? &fz_ops_identity : &fz_ops,
				 &f);
	if (f.s == NULL)
		abort();
	/* direction I's numbers wrap during a run, as in the harness */
	f.seq[0] = 0xffffff80u;
	f.seq[1] = 1000;
	if (ph_pptp_stream_start(f.s, 0, f.seq[0]) != 0 ||
	    ph_pptp_stream_start(f.s, 1, f.seq[1]) != 0)
		abort();
	run(&f, data + 1, size - 1);
	ph_pptp_stream_free(f.s);
	if (ph_idalloc_used(f.ida) != 0) {
		fprintf(stderr, "%u translated IDs never given back\n",
			ph_idalloc_used(f.ida));
		abort();
	}
	ph_idalloc_free(f.ida);
	return 0;
}
