/*
 * core/pptp_stream.h - the PPTP control-connection inspector: parses and
 * rewrites the TCP byte stream of one control connection, in both
 * directions, however it is segmented.
 *
 * The engine feeds every TCP segment of a PPTP control connection (payload
 * only, with its sequence number) to ph_pptp_stream_feed() before it
 * forwards it.  The stream cuts the bytes into messages (RFC 2637 §1.4),
 * checks them (pptp_msg.h), runs the state machines (pptp_call.h) and
 * rewrites call-ID fields in place.  It copes with:
 *
 *  - several messages in one segment, and one message over many segments:
 *    per direction it keeps the expected sequence number and at most one
 *    partial message (<= 220 bytes);
 *  - a call-ID field split between two segments: when the rewrite needs
 *    the whole original value (a lookup), the segment holding the first
 *    byte is HELD; the next segment completes the field, and its result
 *    says how to patch and RELEASE the held one first.  A field whose new
 *    value does not depend on the old one (a freshly allocated translated
 *    ID) is rewritten byte by byte and never held.  At most one segment per
 *    direction is ever held, because the byte after a held one always
 *    completes its field (docs/pptp.md "Holding");
 *  - retransmissions: bytes before the expected sequence number are
 *    rewritten again from a bounded log of the last PH_PPTP_LOG_LEN
 *    rewrites (original and new bytes); a retransmission whose rewritten
 *    bytes differ from the originals, or that reaches back past the log,
 *    is dropped (PPTP_RETRANS);
 *  - out-of-order segments (a gap before them) are dropped (PPTP_OOO): the
 *    sender retransmits in order.  A control channel carries a few hundred
 *    bytes per call, so this costs one retransmission, rarely.
 *
 * Verdicts.  A malformed message or one not allowed in the current state
 * fails the control connection: the segment is dropped, every call ends
 * (call_down ERROR, IDs given back), every later segment with payload is
 * dropped, and the result says `close` so the engine can tear the
 * connection down.  A call refused for lack of room (PPTP_CALL_LIMIT) or
 * of translated IDs (PPTP_CALLID_EXHAUSTED) only drops the segment, with no
 * state changed: its retransmission is evaluated afresh.  A Protocol
 * Version other than 1.0 in SCCRQ/SCCRP stops inspection (`uninspected`):
 * that segment and all later ones pass untouched, as ASA does.
 *
 * Memory per control connection is fixed at creation: about 1.2 KiB plus
 * 10 bytes per call slot.
 */
#ifndef PH_CORE_PPTP_STREAM_H
#define PH_CORE_PPTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pptp_call.h"

#define PH_PPTP_LOG_LEN	  32 /* rewrites remembered per direction */
#define PH_PPTP_MAX_EDITS 16 /* edits listed per result */

struct ph_pptp_stream;

struct ph_pptp_config {
	uint16_t max_calls; /* calls per control connection; 0 = 64 */
	unsigned flags;	    /* PH_PPTP_F_* (pptp_msg.h) */
};

/* What to do with the segment just fed. */
enum ph_pptp_action {
	PH_PPTP_PASS = 0, /* forward (rewritten in place per `edits`) */
	PH_PPTP_DROP,	  /* drop; `reason` says why */
	PH_PPTP_HOLD,	  /* keep a copy, forward later (see `held`) */
};

/* What to do, first, with the segment held earlier in this direction. */
enum ph_pptp_held {
	PH_PPTP_HELD_NONE = 0, /* nothing held, or keep holding it */
	PH_PPTP_HELD_RELEASE,  /* apply held_edits, forward it now */
	PH_PPTP_HELD_DISCARD,  /* drop it (superseded by a retransmission) */
};

/*
 * One in-place change, for incremental checksum updates (RFC 1624): bytes
 * [off, off + len) of the payload went from `from` to `to`.
 */
struct ph_pptp_edit {
	uint32_t off;
	uint8_t len; /* 1 or 2 */
	uint8_t from[2];
	uint8_t to[2];
};

struct ph_pptp_result {
	uint8_t action;	     /* enum ph_pptp_action */
	uint8_t held;	     /* enum ph_pptp_held, acted on before `action` */
	uint16_t reason;     /* enum ph_reason when action is DROP */
	bool close;	     /* inspection failed: tear the connection down
			       (and drop anything held for it) */
	bool uninspected;    /* version not 1.0: inspection stopped here */
	bool edits_overflow; /* more edits than fit: recompute the checksum */
	uint8_t nedits;
	uint8_t nheld_edits;
	struct ph_pptp_edit edits[PH_PPTP_MAX_EDITS]; /* this payload */
	struct ph_pptp_edit held_edits[2]; /* the held payload, on RELEASE */
};

/**
 * New inspector for one control connection.  cfg may be NULL (defaults);
 * ops may be NULL (identity translation, no callbacks).  Returns NULL with
 * errno EINVAL (max_calls above PH_PPTP_CALLS_MAX, or alloc_id without
 * free_id) or ENOMEM.
 */
struct ph_pptp_stream *ph_pptp_stream_new(const struct ph_pptp_config *cfg,
					  const struct ph_pptp_ops *ops,
					  void *arg);

/**
 * Free the inspector.  Calls still up end with call_down(CLOSE) and their
 * translated IDs are given back (free_id).  NULL is allowed.
 */
void ph_pptp_stream_free(struct ph_pptp_stream *s);

/**
 * Tell the sequence number of the first payload byte of direction dir
 * (the SYN's sequence number + 1).  Optional: without it the first segment
 * with payload sets it.  Ignored once set.  0 or -EINVAL.
 */
int ph_pptp_stream_start(struct ph_pptp_stream *s, int dir, uint32_t seq);

/**
 * Inspect one TCP segment's payload (len bytes at `payload`, first byte at
 * sequence number `seq`) sent in direction dir (enum ph_pptp_dir).  The
 * payload may be rewritten in place; *res says what to do.  A segment with
 * no payload always passes.  Returns 0, or -EINVAL on caller error (res is
 * then not filled in).
 */
int ph_pptp_stream_feed(struct ph_pptp_stream *s, int dir, uint32_t seq,
			uint8_t *payload, size_t len,
			struct ph_pptp_result *res);

/**
 * The engine dropped the segment held in direction dir (hold timeout, or
 * it could not keep a copy): forget what it carried, so the sender's
 * retransmission is parsed afresh.  No-op when nothing is held.
 */
void ph_pptp_stream_hold_drop(struct ph_pptp_stream *s, int dir);

/** True while a segment of direction dir is held. */
bool ph_pptp_stream_holding(const struct ph_pptp_stream *s, int dir);

/** Control connection state (enum ph_pptp_ctl_state). */
unsigned ph_pptp_stream_state(const struct ph_pptp_stream *s);

/** The Protocol Version announced by SCCRQ (0 before one was seen). */
uint16_t ph_pptp_stream_version(const struct ph_pptp_stream *s);

/** Counters of this control connection. */
const struct ph_pptp_stats *
ph_pptp_stream_stats(const struct ph_pptp_stream *s);

/** Number of live calls, and the number of call slots. */
unsigned ph_pptp_stream_ncalls(const struct ph_pptp_stream *s);
unsigned ph_pptp_stream_max_calls(const struct ph_pptp_stream *s);

/** Call slot i (0 <= i < max_calls), or NULL when free or out of range. */
const struct ph_pptp_call *ph_pptp_stream_call(const struct ph_pptp_stream *s,
					       unsigned i);

/**
 * For the msg op (debug output): how call-ID field `field` (0: @12, 1: @14)
 * of the message being reported from dir is rewritten.  Valid only while
 * the msg op runs.  True when the field is one the inspector translates,
 * with its value as received in *from and as forwarded in *to (equal when
 * the translation maps it to itself, or no call has it); false for a field
 * that is never rewritten (and with identity translation).
 */
bool ph_pptp_stream_msg_xlate(const struct ph_pptp_stream *s, int dir,
			      int field, uint16_t *from, uint16_t *to);

#endif /* PH_CORE_PPTP_STREAM_H */
