/*
 * core/pptp_call.h - one PPTP control connection's state and its calls
 * (RFC 2637 §3: control connection and call state machines).
 *
 * This is the message-level half of the PPTP inspector; pptp_stream.c is
 * the byte-level half that cuts the TCP stream into messages and calls in
 * here.  Nothing here reads packets: it gets whole messages (and, for the
 * rewrite decisions that must be taken before a message is complete, single
 * call-ID values).
 *
 * Orientation.  The two endpoints are named by the side of the firewall
 * they are on, not by their PPTP role: "I" is the endpoint whose call IDs
 * are translated (the inside host behind PAT), "O" the other one.  A call
 * ID field is translated when it holds an ID that I allocated: in a message
 * from I that is the sender's OWN ID, in a message from O the PEER's.  With
 * the usual inside client (PNS) and outside server (PAC) this gives exactly
 * the rewrites of reference §1.5: out OCRQ@12, ICRP@12, CCRQ@12; in
 * OCRP@14, ICCN@12, WEN@12, SLI@12; CDN@12 (the PAC's own ID) untouched.
 * The same rule also covers an inside PAC (a PPTP server behind a static
 * translation): then I's IDs go out in OCRP@12, ICRQ@12 and CDN@12 and
 * come back in ICRP@14 and SLI@12 (table in docs/pptp.md).
 *
 * Roles are learnt from the first call message: the side that sends a PNS
 * message (OCRQ, ICRP, CCRQ) is the PNS from then on, and a PNS-only
 * message from the other side is a state error.
 *
 * Each call has the inside endpoint's ID as it sent it (in_id), its
 * translation (xl_id, which the outside endpoint sees and which its GRE
 * carries), and the outside endpoint's ID (out_id).  The translated ID is
 * asked of the caller's alloc_id op (uniqueness is per (PAT address,
 * server), across control connections); with no alloc_id op the
 * translation is the identity.  Calls per control connection are bounded
 * (max_calls); refusing one is counted and the message is dropped until a
 * retransmission finds room.
 *
 * Known limits: one PPTP version (1.0); PPTP Message Type 2 (management)
 * is refused as malformed (RFC 2637 defines no such message).
 */
#ifndef PH_CORE_PPTP_CALL_H
#define PH_CORE_PPTP_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/reason.h>

#include "core/pptp_msg.h"

/* Stream directions: from the inside (translated) endpoint, or not. */
enum ph_pptp_dir {
	PH_PPTP_DIR_I = 0,
	PH_PPTP_DIR_O = 1,
};

#define PH_PPTP_CALLS_DEFAULT 64   /* calls per control connection */
#define PH_PPTP_CALLS_MAX     1024 /* largest configurable bound */

/* Control connection states (RFC 2637 §3.1, plus inspector states). */
#define PH_PPTP_CTL_STATES(X)                                             \
	X(IDLE, "idle")		      /* no SCCRQ yet */                  \
	X(WAIT_SCCRP, "wait-sccrp")   /* SCCRQ seen, SCCRP pending */     \
	X(ESTABLISHED, "established") /* calls allowed */                 \
	X(STOPPING, "stopping")	      /* StopCCRQ seen, all calls gone */ \
	X(CLOSED, "closed")	      /* StopCCRP seen */                 \
	X(UNINSPECTED, "uninspected") /* version not 1.0: passed as is */ \
	X(DEAD, "dead")		      /* inspection failed: drop all */

/* clang-format off */
enum ph_pptp_ctl_state {
#define PH_PPTP_CTL_ENUM(id, name) PH_PPTP_CTL_##id,
	PH_PPTP_CTL_STATES(PH_PPTP_CTL_ENUM)
#undef PH_PPTP_CTL_ENUM
	PH_PPTP_CTL_MAX
};
/* clang-format on */

/* Call states (RFC 2637 §3.2). */
#define PH_PPTP_CALL_STATES(X)                                            \
	X(FREE, "free")			/* slot unused */                 \
	X(WAIT_REPLY, "wait-reply")	/* OCRQ/ICRQ seen */              \
	X(WAIT_CONNECT, "wait-connect") /* ICRP accepted, ICCN pending */ \
	X(UP, "up")			/* OCRP Connected / ICCN: GRE */  \
	X(CLEARING, "clearing")		/* CCRQ seen, CDN pending */

/* clang-format off */
enum ph_pptp_call_state {
#define PH_PPTP_CALL_ENUM(id, name) PH_PPTP_CALL_##id,
	PH_PPTP_CALL_STATES(PH_PPTP_CALL_ENUM)
#undef PH_PPTP_CALL_ENUM
	PH_PPTP_CALL_STATE_MAX
};
/* clang-format on */

/* Why a call that was up went down (call_down op). */
#define PH_PPTP_ENDS(X)                                                    \
	X(CCRQ, "ccrq")	  /* Call-Clear-Request */                         \
	X(CDN, "cdn")	  /* Call-Disconnect-Notify */                     \
	X(STOP, "stop")	  /* Stop-Control-Connection-Request */            \
	X(CLOSE, "close") /* control connection destroyed by the caller */ \
	X(ERROR, "error") /* inspection failed on the control connection */

/* clang-format off */
enum ph_pptp_end {
#define PH_PPTP_END_ENUM(id, name) PH_PPTP_END_##id,
	PH_PPTP_ENDS(PH_PPTP_END_ENUM)
#undef PH_PPTP_END_ENUM
	PH_PPTP_END_MAX
};
/* clang-format on */

enum ph_pptp_call_kind {
	PH_PPTP_CALL_OUTGOING = 0, /* OCRQ / OCRP */
	PH_PPTP_CALL_INCOMING,	   /* ICRQ / ICRP / ICCN */
};

/* ph_pptp_call.flags */
#define PH_PPTP_CALL_HAVE_IN  0x1 /* in_id and xl_id are known */
#define PH_PPTP_CALL_HAVE_OUT 0x2 /* out_id is known */
#define PH_PPTP_CALL_XL_OWNED 0x4 /* xl_id came from alloc_id */

/* One call.  Read-only for the caller. */
struct ph_pptp_call {
	uint16_t in_id;	 /* inside endpoint's Call ID as it sent it */
	uint16_t xl_id;	 /* in_id as the outside endpoint sees it */
	uint16_t out_id; /* outside endpoint's Call ID */
	uint8_t state;	 /* enum ph_pptp_call_state */
	uint8_t kind;	 /* enum ph_pptp_call_kind */
	uint8_t origin;	 /* enum ph_pptp_dir that sent OCRQ/ICRQ */
	uint8_t flags;	 /* PH_PPTP_CALL_* */
};

/*
 * What the inspector needs from its owner (the engine).  Every op is
 * optional except that free_id must be given with alloc_id.
 *
 * alloc_id: reserve a translated call ID for a new inside call; 0 or
 *	-ENOSPC.  NULL means identity translation (static 1:1 NAT, no NAT).
 *	The ID must be unique among the calls this owner has to tell apart
 *	(per PAT address and server); the inspector also refuses one that
 *	clashes with a live call of this control connection.
 * free_id: give back an ID from alloc_id (when its call ends).
 * call_up: a call may now carry GRE (OCRP Connected, or ICCN).  GRE from
 *	O to I carries c->xl_id, to be restored to c->in_id; GRE from I to O
 *	carries c->out_id.
 * call_down: a call that was up ends (why: enum ph_pptp_end).  Called
 *	before free_id, with the call still filled in.
 * msg: each complete message that passed the header checks, with its
 *	bytes as received (before rewriting), for debug output and logs.
 */
struct ph_pptp_ops {
	int (*alloc_id)(void *arg, uint16_t *xlated);
	void (*free_id)(void *arg, uint16_t xlated);
	void (*call_up)(void *arg, const struct ph_pptp_call *c);
	void (*call_down)(void *arg, const struct ph_pptp_call *c,
			  enum ph_pptp_end why);
	void (*msg)(void *arg, int dir, const uint8_t *msg, size_t len);
};

/* Counters of one control connection (the engine adds them up). */
struct ph_pptp_stats {
	uint64_t msgs[2];      /* complete messages per direction */
	uint64_t calls;	       /* calls created */
	uint64_t calls_up;     /* call_up events */
	uint64_t unknown_call; /* CCRQ/CDN/WEN/SLI for no call: passed */
	uint64_t late;	       /* call messages after StopCCRQ: passed */
	uint64_t call_limit;   /* requests refused by max_calls */
	uint64_t exhausted;    /* requests refused: no translated ID */
	uint64_t rewrites;     /* call-ID fields translated */
	uint64_t retransmits;  /* segments rewritten from the rewrite log */
	uint64_t holds;	       /* segments held (split call-ID field) */
	uint64_t hold_drops;   /* held segments superseded or timed out */
	uint64_t ooo;	       /* out-of-order segments dropped */
};

/* How one call-ID field of a message is rewritten. */
enum ph_pptp_plan {
	PH_PPTP_PLAN_NONE = 0, /* left alone */
	PH_PPTP_PLAN_ALLOC,    /* I announces a new own ID: a fresh xl_id */
	PH_PPTP_PLAN_LOOKUP,   /* an existing I call: in_id <-> xl_id */
};

/* The per-control-connection state (embedded in the stream). */
struct ph_pptp_ctl {
	const struct ph_pptp_ops *ops;
	void *arg;
	struct ph_pptp_call *calls; /* max_calls slots */
	struct ph_pptp_stats *stats;
	uint16_t max_calls;
	uint16_t ncalls;
	uint16_t version; /* Protocol Version announced (0 = none yet) */
	uint8_t state;	  /* enum ph_pptp_ctl_state */
	int8_t pns_dir;	  /* direction of the PNS, -1 until known */
	uint8_t sccrq;	  /* bit per direction: sent SCCRQ */
	uint8_t stopped;  /* bit per direction: sent StopCCRQ */
	struct {
		bool slot;   /* a call slot is reserved */
		bool have_x; /* x came from alloc_id */
		uint16_t x;
	} pend[2]; /* reservations of the message being received */
};

/** Name of a control state ("established"); "?" when out of range. */
const char *ph_pptp_ctl_state_name(unsigned st);
/** Name of a call state ("up"); "?" when out of range. */
const char *ph_pptp_call_state_name(unsigned st);
/** Name of a call end reason ("cdn"); "?" when out of range. */
const char *ph_pptp_end_name(unsigned why);

/** Set up ctl over `calls` (max_calls zeroed slots). */
void ph_pptp_ctl_init(struct ph_pptp_ctl *ctl, struct ph_pptp_call *calls,
		      uint16_t max_calls, const struct ph_pptp_ops *ops,
		      void *arg, struct ph_pptp_stats *stats);

/**
 * May a message of `type` from `dir` come now?  Checked when its header is
 * complete and again when it is complete.  PH_R_NONE or PH_R_PPTP_STATE.
 */
enum ph_reason ph_pptp_ctl_precheck(const struct ph_pptp_ctl *ctl, int dir,
				    unsigned type);

/** How the field @12 (field 0) or @14 (field 1) of `type` from `dir` is
 * rewritten. */
enum ph_pptp_plan ph_pptp_ctl_plan(const struct ph_pptp_ctl *ctl, int dir,
				   unsigned type, int field);

/**
 * Reserve what a message of `type` from `dir` will need, when its first
 * call-ID byte arrives: a call slot for OCRQ/ICRQ, and a translated ID when
 * its field @12 is PH_PPTP_PLAN_ALLOC.  Returns PH_R_NONE,
 * PH_R_PPTP_CALL_LIMIT or PH_R_PPTP_CALLID_EXHAUSTED (nothing reserved; a
 * retransmission may try again).
 */
enum ph_reason ph_pptp_ctl_reserve(struct ph_pptp_ctl *ctl, int dir,
				   unsigned type);

/** The translated ID reserved for the message being received from dir. */
uint16_t ph_pptp_ctl_pending_id(const struct ph_pptp_ctl *ctl, int dir);

/**
 * Translate an I-allocated call ID seen in a message from `dir`: from I,
 * in_id -> xl_id; from O, xl_id -> in_id.  False (and *out = v) when no
 * call has it.
 */
bool ph_pptp_ctl_translate(const struct ph_pptp_ctl *ctl, int dir, uint16_t v,
			   uint16_t *out);

/**
 * Apply one complete, structurally valid message (original bytes) from dir:
 * state checks and transitions, call creation, call_up/call_down/free_id.
 * Returns PH_R_NONE or PH_R_PPTP_STATE (the caller then fails the control
 * connection with ph_pptp_ctl_fail()).
 */
enum ph_reason ph_pptp_ctl_commit(struct ph_pptp_ctl *ctl, int dir,
				  const uint8_t *msg, size_t len);

/** Stop inspecting (version not 1.0): calls ended, state UNINSPECTED. */
void ph_pptp_ctl_uninspect(struct ph_pptp_ctl *ctl, uint16_t version);

/** Inspection failed: every call ends (PH_PPTP_END_ERROR), state DEAD. */
void ph_pptp_ctl_fail(struct ph_pptp_ctl *ctl);

/** End every call and give back every reserved ID (why: call_down). */
void ph_pptp_ctl_teardown(struct ph_pptp_ctl *ctl, enum ph_pptp_end why);

#endif /* PH_CORE_PPTP_CALL_H */
