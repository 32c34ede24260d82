/*
 * core/pptp_stream.c - per-direction PPTP control stream parser/rewriter.
 *
 * Contract and behaviour: pptp_stream.h; design notes: docs/pptp.md.
 *
 * Per direction (struct rx) we keep the next expected sequence number
 * (`next`), the message being assembled (`m` and `buf`, at most one
 * message of at most 220 bytes), a ring of the last PH_PPTP_LOG_LEN
 * call-ID rewrites, and the held segment's bounds and roll-back point.
 *
 * Bytes are consumed in order.  Within a message, three points matter:
 *  - byte 11 completes the header: validate it and the state (fatal);
 *  - bytes 12..15 are the call-ID slots: reserve a call slot and/or a
 *    translated ID at byte 12 (the only place a drop is recoverable),
 *    rewrite allocated IDs byte by byte, translate looked-up IDs when both
 *    bytes are in (holding the segment if it ended between them), and for
 *    SCCRQ/SCCRP check the version at byte 13;
 *  - the last byte completes the message: body checks and state machine.
 *
 * Roll-back.  When a drop is recoverable, or a held segment is given up,
 * the direction goes back to a point before which everything is final
 * (committed messages, logged rewrites): the start of the message that
 * failed if it began in the dropped segment, else that segment's start with
 * the message state as it was then (a snapshot; the buffer only grew since,
 * so its prefix is intact).  Nothing in the call table has to be undone:
 * the only recoverable failures happen before a message touches it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/pptp_stream.h"

/* Sequence-space comparisons (RFC 793 §3.3, mod 2^32). */
#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

/* The message being assembled in one direction. */
struct msgstate {
	uint32_t start;	 /* sequence number of its first byte */
	uint16_t have;	 /* bytes in buf */
	uint16_t len;	 /* its Length, once the header is in */
	uint8_t type;	 /* its Control Message Type, once ... */
	uint8_t plan[2]; /* enum ph_pptp_plan of the fields @12, @14 */
};

/* One logged rewrite: the 2-byte field starting at `seq`. */
struct rwlog {
	uint32_t seq;
	uint8_t from[2];
	uint8_t to[2];
};

struct rx {
	bool started;
	bool held;
	bool evicted; /* some rewrites fell off the log (below `floor`) */
	uint8_t log_n;
	uint8_t log_head; /* next slot to write */
	uint32_t next;	  /* next expected sequence number */
	uint32_t floor;	  /* end of the newest evicted rewrite */
	struct msgstate m;
	uint8_t buf[PH_PPTP_MAX_MSG]; /* bytes of m as received */
	struct rwlog log[PH_PPTP_LOG_LEN];
	/* the held segment [hs, he) and where to go back if it is dropped */
	uint32_t hs, he, rb_next;
	struct msgstate rb_m;
};

struct ph_pptp_stream {
	struct ph_pptp_ctl ctl;
	struct ph_pptp_stats stats;
	unsigned flags;
	uint16_t dead_reason;
	struct rx rx[2];
	struct ph_pptp_call calls[]; /* ctl.max_calls slots */
};

/* Outcome of consuming one piece of a segment. */
enum step {
	STEP_OK = 0,
	STEP_RECOVER,	/* drop this segment, state rolled back */
	STEP_FATAL,	/* fail the control connection */
	STEP_UNINSPECT, /* version not 1.0: stop inspecting, pass */
};

/* Where parse() is in the segment. */
struct seg {
	uint8_t *p;	 /* the new part of the payload */
	size_t n;	 /* its length */
	size_t base;	 /* its offset in the payload */
	size_t i;	 /* next byte */
	uint16_t reason; /* for STEP_RECOVER / STEP_FATAL */
};

struct ph_pptp_stream *
ph_pptp_stream_new(const struct ph_pptp_config *cfg,
		   const struct ph_pptp_ops *ops, void *arg)
{
	struct ph_pptp_stream *s;
	unsigned max = cfg != NULL && cfg->max_calls ? cfg->max_calls
						     : PH_PPTP_CALLS_DEFAULT;

	if (max > PH_PPTP_CALLS_MAX ||
	    (ops != NULL && ops->alloc_id != NULL && ops->free_id == NULL)) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s) + max * sizeof(s->calls[0]));
	if (s == NULL)
		return NULL;
	s->flags = cfg != NULL ? cfg->flags : 0;
	ph_pptp_ctl_init(&s->ctl, s->calls, (uint16_t)max, ops, arg, &s->stats);
	return s;
}

void
ph_pptp_stream_free(struct ph_pptp_stream *s)
{
	if (s == NULL)
		return;
	ph_pptp_ctl_teardown(&s->ctl, PH_PPTP_END_CLOSE);
	free(s);
}

static bool
dir_ok(int dir)
{
	return dir == PH_PPTP_DIR_I || dir == PH_PPTP_DIR_O;
}

int
ph_pptp_stream_start(struct ph_pptp_stream *s, int dir, uint32_t seq)
{
	if (s == NULL || !dir_ok(dir))
		return -EINVAL;
	if (!s->rx[dir].started) {
		s->rx[dir].started = true;
		s->rx[dir].next = seq;
	}
	return 0;
}

/* --- results -------------------------------------------------------- */

static void
res_edit(struct ph_pptp_result *res, size_t off, uint8_t from, uint8_t to)
{
	struct ph_pptp_edit *e;

	if (from == to)
		return;
	if (res->nedits > 0) {
		e = &res->edits[res->nedits - 1];
		if (e->len == 1 && e->off + 1 == off) {
			e->from[1] = from;
			e->to[1] = to;
			e->len = 2;
			return;
		}
	}
	if (res->nedits == PH_PPTP_MAX_EDITS) {
		res->edits_overflow = true;
		return;
	}
	e = &res->edits[res->nedits++];
	e->off = (uint32_t)off;
	e->len = 1;
	e->from[0] = from;
	e->to[0] = to;
}

static void
res_drop(struct ph_pptp_result *res, uint16_t reason)
{
	res->action = PH_PPTP_DROP;
	res->reason = reason;
}

/* --- the rewrite log ------------------------------------------------ */

static void
log_add(struct rx *rx, uint32_t seq, uint8_t from0, uint8_t to0)
{
	struct rwlog *l = &rx->log[rx->log_head];

	if (rx->log_n == PH_PPTP_LOG_LEN) {
		if (!rx->evicted || SEQ_LT(rx->floor, l->seq + 2))
			rx->floor = l->seq + 2;
		rx->evicted = true;
	} else {
		rx->log_n++;
	}
	l->seq = seq;
	l->from[0] = from0;
	l->to[0] = to0;
	l->from[1] = l->to[1] = 0;
	rx->log_head = (uint8_t)((rx->log_head + 1) % PH_PPTP_LOG_LEN);
}

/* The second byte of the newest logged field. */
static void
log_second(struct rx *rx, uint8_t from1, uint8_t to1)
{
	struct rwlog *l;

	l = &rx->log[(rx->log_head + PH_PPTP_LOG_LEN - 1) % PH_PPTP_LOG_LEN];
	l->from[1] = from1;
	l->to[1] = to1;
}

/*
 * Retransmitted bytes [seq, seq + n), all before rx->next: they must match
 * what we saw (the logged originals, and the bytes of the message still
 * being assembled), and get the logged rewrites again.
 */
static enum ph_reason
relog(struct rx *rx, uint32_t seq, uint8_t *p, size_t n,
      struct ph_pptp_result *res)
{
	uint32_t off, k, j;
	const struct rwlog *l;

	if (rx->evicted && SEQ_LT(seq, rx->floor))
		return PH_R_PPTP_RETRANS;
	for (j = 0; j < rx->m.have; j++) {
		off = rx->m.start + j - seq;
		if (off < n && p[off] != rx->buf[j])
			return PH_R_PPTP_RETRANS;
	}
	for (j = 0; j < rx->log_n; j++) {
		l = &rx->log[j];
		for (k = 0; k < 2; k++) {
			off = l->seq + k - seq;
			if (off >= n)
				continue;
			if (p[off] != l->from[k])
				return PH_R_PPTP_RETRANS;
			p[off] = l->to[k];
			res_edit(res, off, l->from[k], l->to[k]);
		}
	}
	return PH_R_NONE;
}

/* --- holding -------------------------------------------------------- */

static void
hold_undo(struct rx *rx)
{
	rx->next = rx->rb_next;
	rx->m = rx->rb_m;
	rx->held = false;
}

void
ph_pptp_stream_hold_drop(struct ph_pptp_stream *s, int dir)
{
	if (s == NULL || !dir_ok(dir) || !s->rx[dir].held)
		return;
	hold_undo(&s->rx[dir]);
	s->stats.hold_drops++;
}

bool
ph_pptp_stream_holding(const struct ph_pptp_stream *s, int dir)
{
	return s != NULL && dir_ok(dir) && s->rx[dir].held;
}

/* --- parsing -------------------------------------------------------- */

static void
consume(struct rx *rx, struct seg *g, size_t k)
{
	memcpy(rx->buf + rx->m.have, g->p + g->i, k);
	rx->m.have = (uint16_t)(rx->m.have + k);
	rx->next += (uint32_t)k;
	g->i += k;
}

static enum step
on_header(struct ph_pptp_stream *s, int dir, struct seg *g)
{
	struct msgstate *m = &s->rx[dir].m;
	enum ph_reason r;

	r = ph_pptp_hdr_check(s->rx[dir].buf, PH_PPTP_HDR_LEN, &m->len,
			      &m->type);
	if (r == PH_R_NONE)
		r = ph_pptp_ctl_precheck(&s->ctl, dir, m->type);
	if (r != PH_R_NONE) {
		g->reason = r;
		return STEP_FATAL;
	}
	m->plan[0] = (uint8_t)ph_pptp_ctl_plan(&s->ctl, dir, m->type, 0);
	m->plan[1] = (uint8_t)ph_pptp_ctl_plan(&s->ctl, dir, m->type, 1);
	return STEP_OK;
}

/* Byte 13 of SCCRQ/SCCRP: the Protocol Version is in. */
static enum step
on_version(struct ph_pptp_stream *s, int dir, struct seg *g)
{
	struct rx *rx = &s->rx[dir];
	uint16_t v = ph_get_be16(rx->buf + PH_PPTP_OFF_VERSION);

	if (v != PH_PPTP_VERSION) {
		ph_pptp_ctl_uninspect(&s->ctl, v);
		return STEP_UNINSPECT;
	}
	if (rx->m.len != ph_pptp_msg_info(rx->m.type)->size) {
		g->reason = PH_R_PPTP_MALFORMED;
		return STEP_FATAL;
	}
	return STEP_OK;
}

/*
 * Second byte of a looked-up field, buf[o - 1..o], at g->p[at]: translate,
 * rewrite this byte and the first one (in this segment, or in the held one).
 */
static enum step
on_lookup(struct ph_pptp_stream *s, int dir, struct seg *g, size_t at,
	  unsigned o, struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	uint8_t b0 = rx->buf[o - 1], b1 = rx->buf[o];
	uint16_t v = ph_get_be16(rx->buf + o - 1), nv;
	uint8_t hi, lo;

	ph_pptp_ctl_translate(&s->ctl, dir, v, &nv);
	hi = (uint8_t)(nv >> 8);
	lo = (uint8_t)nv;
	if (at > 0) {
		g->p[at - 1] = hi;
		res_edit(res, g->base + at - 1, b0, hi);
	} else if (rx->held && g->base == 0) {
		res->held = PH_PPTP_HELD_RELEASE;
		if (hi != b0) {
			struct ph_pptp_edit *e = &res->held_edits[0];

			e->off = rx->he - 1 - rx->hs;
			e->len = 1;
			e->from[0] = b0;
			e->to[0] = hi;
			res->nheld_edits = 1;
		}
		rx->held = false;
	} else {
		g->reason = PH_R_PPTP_STATE; /* first byte went out unseen */
		return STEP_FATAL;
	}
	g->p[at] = lo;
	res_edit(res, g->base + at, b1, lo);
	log_add(rx, rx->next - 2, b0, hi);
	log_second(rx, b1, lo);
	if (nv != v)
		s->stats.rewrites++;
	return STEP_OK;
}

/* Reserve at byte 12 what the message needs; the only recoverable drop. */
static enum step
on_reserve(struct ph_pptp_stream *s, int dir, struct seg *g)
{
	struct msgstate *m = &s->rx[dir].m;
	enum ph_reason r;

	if (ph_pptp_msg_info(m->type)->op != PH_PPTP_OP_REQUEST &&
	    m->plan[0] != PH_PPTP_PLAN_ALLOC)
		return STEP_OK;
	r = ph_pptp_ctl_reserve(&s->ctl, dir, m->type);
	if (r == PH_R_NONE)
		return STEP_OK;
	g->reason = r;
	return STEP_RECOVER;
}

/* A byte of an allocated field: the new ID does not depend on the old. */
static void
on_alloc(struct ph_pptp_stream *s, int dir, struct seg *g, size_t at,
	 unsigned o, struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	uint16_t x = ph_pptp_ctl_pending_id(&s->ctl, dir);
	uint8_t orig = rx->buf[o];
	uint8_t nb = (o & 1) ? (uint8_t)x : (uint8_t)(x >> 8);

	g->p[at] = nb;
	res_edit(res, g->base + at, orig, nb);
	if (!(o & 1)) {
		log_add(rx, rx->next - 1, orig, nb);
		return;
	}
	log_second(rx, orig, nb);
	if (x != ph_get_be16(rx->buf + o - 1))
		s->stats.rewrites++;
}

/* One byte of the call-ID slots, offset o = 12..15 of the message. */
static enum step
on_idbyte(struct ph_pptp_stream *s, int dir, struct seg *g,
	  struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	struct msgstate *m = &rx->m;
	unsigned o = m->have;
	size_t at = g->i;
	enum step st = STEP_OK;

	if (o == 12 && (st = on_reserve(s, dir, g)) != STEP_OK)
		return st;
	consume(rx, g, 1);
	switch (m->plan[(o - 12) / 2]) {
	case PH_PPTP_PLAN_ALLOC:
		on_alloc(s, dir, g, at, o, res);
		break;
	case PH_PPTP_PLAN_LOOKUP:
		if (o & 1)
			st = on_lookup(s, dir, g, at, o, res);
		break;
	}
	if (st == STEP_OK && o == 13 &&
	    (m->type == PH_PPTP_SCCRQ || m->type == PH_PPTP_SCCRP))
		st = on_version(s, dir, g);
	return st;
}

static enum step
on_complete(struct ph_pptp_stream *s, int dir, struct seg *g)
{
	struct rx *rx = &s->rx[dir];
	const struct ph_pptp_ops *ops = s->ctl.ops;
	enum ph_reason r;

	if (ops != NULL && ops->msg != NULL)
		ops->msg(s->ctl.arg, dir, rx->buf, rx->m.len);
	r = ph_pptp_body_check(rx->buf, rx->m.len, s->flags);
	if (r == PH_R_NONE)
		r = ph_pptp_ctl_commit(&s->ctl, dir, rx->buf, rx->m.len);
	if (r != PH_R_NONE) {
		g->reason = r;
		return STEP_FATAL;
	}
	s->stats.msgs[dir]++;
	memset(&rx->m, 0, sizeof(rx->m));
	return STEP_OK;
}

/* Consume the next piece of the segment: up to one point of interest. */
static enum step
step(struct ph_pptp_stream *s, int dir, struct seg *g,
     struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	struct msgstate *m = &rx->m;
	size_t left = g->n - g->i, k;
	enum step st = STEP_OK;

	if (m->have == 0)
		m->start = rx->next;
	if (m->have < PH_PPTP_HDR_LEN) {
		k = PH_PPTP_HDR_LEN - m->have;
		consume(rx, g, k < left ? k : left);
		if (m->have == PH_PPTP_HDR_LEN)
			st = on_header(s, dir, g);
		return st;
	}
	if (m->have < PH_PPTP_MIN_MSG) {
		st = on_idbyte(s, dir, g, res);
	} else {
		k = m->len - m->have;
		consume(rx, g, k < left ? k : left);
	}
	if (st == STEP_OK && m->have == m->len)
		st = on_complete(s, dir, g);
	return st;
}

/*
 * After the segment: hold it if it ended inside a looked-up field.  True
 * when it must be refused instead (PPTP_HOLD_LIMIT).
 */
static bool
maybe_hold(struct ph_pptp_stream *s, int dir, uint32_t seq, size_t len,
	   uint32_t snap_next, const struct msgstate *snap,
	   struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	struct msgstate *m = &rx->m;
	unsigned o = m->have;

	if (o < 13 || o > 15 || !(o & 1) ||
	    m->plan[(o - 12) / 2] != PH_PPTP_PLAN_LOOKUP)
		return false;
	if (rx->held) {
		/*
		 * Cannot happen: the first byte after a held segment always
		 * completes the held field and releases it.  Refuse a second
		 * hold rather than lose track of the first one.
		 */
		return true;
	}
	rx->held = true;
	rx->hs = seq;
	rx->he = seq + (uint32_t)len;
	if (SEQ_GEQ(m->start, snap_next)) {
		rx->rb_next = m->start;
		memset(&rx->rb_m, 0, sizeof(rx->rb_m));
	} else {
		rx->rb_next = snap_next;
		rx->rb_m = *snap;
	}
	res->action = PH_PPTP_HOLD;
	s->stats.holds++;
	return false;
}

static void
fail(struct ph_pptp_stream *s, int dir, uint16_t reason,
     struct ph_pptp_result *res)
{
	ph_pptp_ctl_fail(&s->ctl);
	s->dead_reason = reason;
	res_drop(res, reason);
	res->close = true;
	if (s->rx[dir].held)
		res->held = PH_PPTP_HELD_DISCARD;
	s->rx[0].held = s->rx[1].held = false;
}

/* Parse the new bytes of a segment: payload[base..base+n) at rx->next. */
static void
parse(struct ph_pptp_stream *s, int dir, uint32_t seq, uint8_t *payload,
      size_t len, size_t base, struct ph_pptp_result *res)
{
	struct rx *rx = &s->rx[dir];
	struct seg g = { payload + base, len - base, base, 0, 0 };
	struct msgstate snap = rx->m;
	uint32_t snap_next = rx->next;
	enum step st = STEP_OK;

	while (st == STEP_OK && g.i < g.n)
		st = step(s, dir, &g, res);
	if (st == STEP_OK &&
	    maybe_hold(s, dir, seq, len, snap_next, &snap, res)) {
		g.reason = PH_R_PPTP_HOLD_LIMIT;
		st = STEP_RECOVER;
	}
	switch (st) {
	case STEP_OK:
		break;
	case STEP_RECOVER:
		if (SEQ_GEQ(rx->m.start, snap_next)) {
			rx->next = rx->m.start;
			memset(&rx->m, 0, sizeof(rx->m));
		} else {
			rx->next = snap_next;
			rx->m = snap;
		}
		res_drop(res, g.reason);
		break;
	case STEP_FATAL:
		fail(s, dir, g.reason, res);
		break;
	case STEP_UNINSPECT:
		res->uninspected = true;
		s->rx[0].held = s->rx[1].held = false;
		break;
	}
}

int
ph_pptp_stream_feed(struct ph_pptp_stream *s, int dir, uint32_t seq,
		    uint8_t *payload, size_t len, struct ph_pptp_result *res)
{
	struct rx *rx;
	uint32_t end;
	int32_t d;
	size_t old;
	enum ph_reason r;

	if (s == NULL || res == NULL || !dir_ok(dir) ||
	    (payload == NULL && len > 0) || len > INT32_MAX)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (len == 0 || s->ctl.state == PH_PPTP_CTL_UNINSPECTED)
		return 0;
	if (s->ctl.state == PH_PPTP_CTL_DEAD) {
		res_drop(res, s->dead_reason);
		res->close = true;
		return 0;
	}
	rx = &s->rx[dir];
	ph_pptp_stream_start(s, dir, seq);
	end = seq + (uint32_t)len;
	if (rx->held && SEQ_LEQ(seq, rx->hs) && SEQ_LT(rx->hs, end)) {
		res->held = PH_PPTP_HELD_DISCARD; /* a retransmission of it */
		hold_undo(rx);
		s->stats.hold_drops++;
	}
	d = (int32_t)(seq - rx->next);
	if (d > 0 || (rx->held && SEQ_LT(rx->hs, seq) && SEQ_LT(seq, rx->he))) {
		s->stats.ooo++;
		res_drop(res, PH_R_PPTP_OOO);
		return 0;
	}
	old = d < 0 ? (size_t) - (int64_t)d : 0;
	if (old > len)
		old = len;
	if (old > 0) {
		r = relog(rx, seq, payload, old, res);
		if (r != PH_R_NONE) {
			res->nedits = 0;
			res_drop(res, r);
			return 0;
		}
		s->stats.retransmits++;
	}
	if (old < len)
		parse(s, dir, seq, payload, len, old, res);
	return 0;
}

/* --- accessors ------------------------------------------------------ */

unsigned
ph_pptp_stream_state(const struct ph_pptp_stream *s)
{
	return s->ctl.state;
}

uint16_t
ph_pptp_stream_version(const struct ph_pptp_stream *s)
{
	return s->ctl.version;
}

const struct ph_pptp_stats *
ph_pptp_stream_stats(const struct ph_pptp_stream *s)
{
	return &s->stats;
}

unsigned
ph_pptp_stream_ncalls(const struct ph_pptp_stream *s)
{
	return s->ctl.ncalls;
}

unsigned
ph_pptp_stream_max_calls(const struct ph_pptp_stream *s)
{
	return s->ctl.max_calls;
}

const struct ph_pptp_call *
ph_pptp_stream_call(const struct ph_pptp_stream *s, unsigned i)
{
	if (i >= s->ctl.max_calls || s->calls[i].state == PH_PPTP_CALL_FREE)
		return NULL;
	return &s->calls[i];
}

bool
ph_pptp_stream_msg_xlate(const struct ph_pptp_stream *s, int dir, int field,
			 uint16_t *from, uint16_t *to)
{
	const struct rx *rx;
	unsigned o = 12 + 2 * (unsigned)field;

	if (s == NULL || !dir_ok(dir) || field < 0 || field > 1)
		return false;
	rx = &s->rx[dir];
	if (rx->m.have < o + 2)
		return false;
	*from = *to = ph_get_be16(rx->buf + o);
	switch (rx->m.plan[field]) {
	case PH_PPTP_PLAN_ALLOC:
		*to = ph_pptp_ctl_pending_id(&s->ctl, dir);
		return true;
	case PH_PPTP_PLAN_LOOKUP:
		(void)ph_pptp_ctl_translate(&s->ctl, dir, *from, to);
		return true;
	default:
		return false;
	}
}
