/*
 * tests/unit/pptp_harness.h - drive a PPTP stream the way the engine will:
 * feed segments, keep the held one, patch and release it, collect what is
 * delivered per direction, and record every callback as a line of text so
 * runs can be compared byte for byte.  Shared by the test_pptp_* suites.
 *
 * Every delivered segment is checked against the result's edit list:
 * each changed byte must be listed with its old and new value (what the
 * engine needs for RFC 1624 checksum updates), unless edits_overflow.
 */
#ifndef PH_TESTS_PPTP_HARNESS_H
#define PH_TESTS_PPTP_HARNESS_H

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/idalloc.h"
#include "core/rand.h"
#include "core/pptp_stream.h"
#include "pptpbuild.h"

#define TH_OUT	  65536
#define TH_EVENTS 65536
#define TH_SEG	  4096

struct th {
	struct ph_pptp_stream *s;
	struct ph_idalloc *ida;
	uint64_t rng;
	struct ph_pptp_ops ops;
	bool fail_alloc;	/* alloc_id returns -ENOSPC */
	bool quiet_msgs;	/* do not log msg callbacks */
	uint32_t isn[2];	/* first sequence number per direction */
	uint32_t seq[2];	/* next sequence number to send */
	uint8_t out[2][TH_OUT]; /* delivered bytes, in delivery order */
	size_t outlen[2];
	uint8_t held[2][TH_SEG];
	size_t heldlen[2];
	bool holding[2];
	char ev[TH_EVENTS]; /* callback log */
	size_t evlen;
	unsigned drops[PH_R_MAX];
	unsigned holds, releases;
	struct ph_pptp_result last;
};

static inline void th_log(struct th *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline void
th_log(struct th *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->ev + t->evlen, sizeof(t->ev) - t->evlen, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	t->evlen += (size_t)n;
	ck_assert_uint_lt(t->evlen, sizeof(t->ev));
}

static inline int
th_alloc(void *arg, uint16_t *x)
{
	struct th *t = arg;
	int r;

	if (t->fail_alloc)
		return -ENOSPC;
	r = ph_idalloc_get(t->ida, &t->rng, x);
	if (r == 0)
		th_log(t, "alloc 0x%04x\n", *x);
	return r;
}

static inline void
th_free(void *arg, uint16_t x)
{
	struct th *t = arg;

	ck_assert_int_eq(ph_idalloc_put(t->ida, x), 0);
	th_log(t, "free 0x%04x\n", x);
}

static inline void
th_up(void *arg, const struct ph_pptp_call *c)
{
	th_log(arg, "up in=0x%04x xl=0x%04x out=0x%04x\n", c->in_id, c->xl_id,
	       c->out_id);
}

static inline void
th_down(void *arg, const struct ph_pptp_call *c, enum ph_pptp_end why)
{
	th_log(arg, "down in=0x%04x xl=0x%04x out=0x%04x %s\n", c->in_id,
	       c->xl_id, c->out_id, ph_pptp_end_name(why));
}

static inline void
th_msg(void *arg, int dir, const uint8_t *m, size_t len)
{
	struct th *t = arg;

	if (!t->quiet_msgs)
		th_log(t, "msg %s %s %zu\n", dir ? "O" : "I",
		       ph_pptp_msg_abbrev(pptpb_get16(m, 8)), len);
}

/* identity: no alloc_id/free_id (static 1:1 translation). */
static inline struct th *
th_new_cfg(uint64_t seed, const struct ph_pptp_config *cfg, bool identity)
{
	struct th *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	t->ida = ph_idalloc_new(1, 65535);
	t->rng = seed;
	if (!identity) {
		t->ops.alloc_id = th_alloc;
		t->ops.free_id = th_free;
	}
	t->ops.call_up = th_up;
	t->ops.call_down = th_down;
	t->ops.msg = th_msg;
	t->s = ph_pptp_stream_new(cfg, &t->ops, t);
	ck_assert_ptr_nonnull(t->s);
	t->isn[0] = t->seq[0] = 0xffffff80u; /* wraps during the run */
	t->isn[1] = t->seq[1] = 1000;
	ck_assert_int_eq(ph_pptp_stream_start(t->s, 0, t->isn[0]), 0);
	ck_assert_int_eq(ph_pptp_stream_start(t->s, 1, t->isn[1]), 0);
	return t;
}

static inline struct th *
th_new(uint64_t seed)
{
	return th_new_cfg(seed, NULL, false);
}

static inline void
th_free_all(struct th *t)
{
	ph_pptp_stream_free(t->s);
	/* every translated ID handed out came back */
	ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
	ph_idalloc_free(t->ida);
	free(t);
}

/* Every byte that differs between in and out is covered by an edit. */
static inline void
th_check_edits(const uint8_t *in, const uint8_t *out, size_t len,
	       const struct ph_pptp_edit *e, unsigned ne, bool overflow)
{
	uint8_t covered[TH_SEG] = { 0 };
	unsigned i, k;

	for (i = 0; i < ne; i++) {
		ck_assert(e[i].len == 1 || e[i].len == 2);
		for (k = 0; k < e[i].len; k++) {
			ck_assert_uint_lt(e[i].off + k, len);
			ck_assert_uint_eq(in[e[i].off + k], e[i].from[k]);
			ck_assert_uint_eq(out[e[i].off + k], e[i].to[k]);
			covered[e[i].off + k] = 1;
		}
	}
	if (overflow)
		return;
	for (i = 0; i < len; i++)
		if (in[i] != out[i])
			ck_assert_msg(covered[i], "byte %u changed unlisted",
				      i);
}

static inline void
th_deliver(struct th *t, int dir, const uint8_t *p, size_t len)
{
	ck_assert_uint_le(t->outlen[dir] + len, TH_OUT);
	memcpy(t->out[dir] + t->outlen[dir], p, len);
	t->outlen[dir] += len;
}

/*
 * Feed one segment as the engine would; returns the action and leaves the
 * whole result in t->last.  Delivered bytes go to t->out[dir].
 */
static inline int
th_seg(struct th *t, int dir, uint32_t seq, const uint8_t *data, size_t len)
{
	uint8_t in[TH_SEG], buf[TH_SEG];
	struct ph_pptp_result *r = &t->last;
	unsigned i;

	ck_assert_uint_le(len, TH_SEG);
	memcpy(in, data, len);
	memcpy(buf, data, len);
	ck_assert_int_eq(ph_pptp_stream_feed(t->s, dir, seq, buf, len, r), 0);
	if (r->held == PH_PPTP_HELD_RELEASE) {
		ck_assert(t->holding[dir]);
		for (i = 0; i < r->nheld_edits; i++) {
			const struct ph_pptp_edit *e = &r->held_edits[i];

			ck_assert_uint_eq(e->len, 1);
			ck_assert_uint_lt(e->off, t->heldlen[dir]);
			ck_assert_uint_eq(t->held[dir][e->off], e->from[0]);
			t->held[dir][e->off] = e->to[0];
		}
		th_deliver(t, dir, t->held[dir], t->heldlen[dir]);
		t->holding[dir] = false;
		t->releases++;
	} else if (r->held == PH_PPTP_HELD_DISCARD) {
		ck_assert(t->holding[dir] || r->close);
		t->holding[dir] = false;
	} else {
		ck_assert_uint_eq(r->nheld_edits, 0);
	}
	if (r->close)
		t->holding[0] = t->holding[1] = false;
	switch (r->action) {
	case PH_PPTP_PASS:
		th_check_edits(in, buf, len, r->edits, r->nedits,
			       r->edits_overflow);
		th_deliver(t, dir, buf, len);
		break;
	case PH_PPTP_HOLD:
		th_check_edits(in, buf, len, r->edits, r->nedits,
			       r->edits_overflow);
		ck_assert(!t->holding[dir]);
		memcpy(t->held[dir], buf, len);
		t->heldlen[dir] = len;
		t->holding[dir] = true;
		t->holds++;
		break;
	case PH_PPTP_DROP:
		ck_assert_uint_lt(r->reason, PH_R_MAX);
		ck_assert_uint_ne(r->reason, PH_R_NONE);
		t->drops[r->reason]++;
		break;
	default:
		ck_abort_msg("bad action %u", r->action);
	}
	return r->action;
}

/* Send the next `len` bytes of direction dir as one segment. */
static inline int
th_send(struct th *t, int dir, const uint8_t *data, size_t len)
{
	int a = th_seg(t, dir, t->seq[dir], data, len);

	t->seq[dir] += (uint32_t)len;
	return a;
}

/* Send bytes as segments of the given sizes (0-terminated list, then 1s). */
static inline void
th_send_split(struct th *t, int dir, const uint8_t *data, size_t len,
	      const size_t *sizes)
{
	size_t off = 0, n;

	while (off < len) {
		n = sizes != NULL && *sizes ? *sizes++ : 1;
		if (n > len - off)
			n = len - off;
		ck_assert_int_ne(th_send(t, dir, data + off, n), PH_PPTP_DROP);
		off += n;
	}
}

/* The translated ID of inside call `in`, or -1. */
static inline int
th_xl(const struct th *t, uint16_t in)
{
	unsigned i;
	const struct ph_pptp_call *c;

	for (i = 0; i < ph_pptp_stream_max_calls(t->s); i++) {
		c = ph_pptp_stream_call(t->s, i);
		if (c != NULL && (c->flags & PH_PPTP_CALL_HAVE_IN) &&
		    c->in_id == in)
			return c->xl_id;
	}
	return -1;
}

/* The call whose inside ID is `in` (or outside ID, when in < 0). */
static inline const struct ph_pptp_call *
th_call(const struct th *t, int in, int out)
{
	unsigned i;
	const struct ph_pptp_call *c;

	for (i = 0; i < ph_pptp_stream_max_calls(t->s); i++) {
		c = ph_pptp_stream_call(t->s, i);
		if (c == NULL)
			continue;
		if (in >= 0 && (c->flags & PH_PPTP_CALL_HAVE_IN) &&
		    c->in_id == in)
			return c;
		if (out >= 0 && (c->flags & PH_PPTP_CALL_HAVE_OUT) &&
		    c->out_id == out)
			return c;
	}
	return NULL;
}

/* Bring the control connection up (I = PNS sends SCCRQ). */
static inline void
th_establish(struct th *t)
{
	uint8_t m[PPTPB_MAX];
	size_t n;

	n = pptpb_sccrq(m, PPTPB_VERSION, "local", "9x");
	ck_assert_int_eq(th_send(t, 0, m, n), PH_PPTP_PASS);
	n = pptpb_sccrp(m, PPTPB_VERSION, 1, "server", "pinhole test");
	ck_assert_int_eq(th_send(t, 1, m, n), PH_PPTP_PASS);
	ck_assert_uint_eq(ph_pptp_stream_state(t->s), PH_PPTP_CTL_ESTABLISHED);
}

/* Bytes delivered in dir at stream offset `off` (from the ISN). */
static inline const uint8_t *
th_out_at(const struct th *t, int dir, size_t off)
{
	ck_assert_uint_lt(off, t->outlen[dir]);
	return t->out[dir] + off;
}

#endif /* PH_TESTS_PPTP_HARNESS_H */
