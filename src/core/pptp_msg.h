/*
 * core/pptp_msg.h - PPTP control messages (RFC 2637 §1.4, §2): the message
 * table, header and body validation, and the debug decoder.
 *
 * Every control message starts with a 12-byte header:
 *
 *	off 0  Length (2)            whole message, header included
 *	off 2  PPTP Message Type (2) 1 = control (the only one defined)
 *	off 4  Magic Cookie (4)      0x1A2B3C4D
 *	off 8  Control Message Type (2)  1..15, PH_PPTP_MSGS below
 *	off 10 Reserved0 (2)         must be 0
 *
 * Each of the 15 types has one fixed size.  The table also says who may
 * send each type (PNS, PAC or either) and what the two call-ID slots at
 * offsets 12 and 14 hold: the sender's OWN call ID or the PEER's (the
 * receiver's).  From that one fact the inspector derives every rewrite
 * (see pptp_call.h and docs/pptp.md): a field that holds an ID allocated
 * by the translated (inside) endpoint is translated, whatever the message.
 *
 * Validation is strict (docs/pptp.md "Validation"): the Length must equal
 * the type's size exactly (Linux accepts longer messages; we do not), the
 * header fields must be as above, and the Reserved fields the RFC says MUST
 * be 0 are checked unless PH_PPTP_F_LAX_RESERVED is set.  SCCRQ and SCCRP
 * are special: their length is only checked once their Protocol Version is
 * known to be 0x0100, because a different version means "stop inspecting",
 * not "malformed" (ASA behaviour, reference §3.7).
 */
#ifndef PH_CORE_PPTP_MSG_H
#define PH_CORE_PPTP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/reason.h>

#define PH_PPTP_PORT	    1723
#define PH_PPTP_HDR_LEN	    12
#define PH_PPTP_MIN_MSG	    16	/* smallest type (StopCCRQ, Echo, CCRQ) */
#define PH_PPTP_MAX_MSG	    220 /* largest type (ICRQ) */
#define PH_PPTP_MAGIC	    0x1A2B3C4DU
#define PH_PPTP_CONTROL	    1 /* PPTP Message Type of control messages */
#define PH_PPTP_VERSION	    0x0100
#define PH_PPTP_OFF_VERSION 12 /* SCCRQ/SCCRP Protocol Version */

/* Validation flags (ph_pptp_msg_check, struct ph_pptp_config). */
#define PH_PPTP_F_LAX_RESERVED 0x1u /* do not check body Reserved fields */

/* Who may send a message type (RFC 2637 §2). */
enum ph_pptp_sender {
	PH_PPTP_BY_EITHER = 0,
	PH_PPTP_BY_PNS,
	PH_PPTP_BY_PAC,
};

/* What a call-ID slot (offset 12 or 14) holds. */
enum ph_pptp_idrole {
	PH_PPTP_ID_NONE = 0,
	PH_PPTP_ID_OWN,	 /* the sender's own Call ID */
	PH_PPTP_ID_PEER, /* the receiver's Call ID ("Peer's Call ID") */
};

/* What a message does to calls (drives pptp_call.c). */
enum ph_pptp_op {
	PH_PPTP_OP_CTL = 0, /* control connection set-up and stop */
	PH_PPTP_OP_ECHO,    /* keep-alive */
	PH_PPTP_OP_REQUEST, /* OCRQ, ICRQ: a new call, sender's ID @12 */
	PH_PPTP_OP_REPLY,   /* OCRP, ICRP: own ID @12, requester's @14 */
	PH_PPTP_OP_CONNECT, /* ICCN: incoming call up, PNS's ID @12 */
	PH_PPTP_OP_CLEAR,   /* CCRQ: PNS asks to clear, own ID @12 */
	PH_PPTP_OP_DISC,    /* CDN: PAC reports the call gone, own ID @12 */
	PH_PPTP_OP_INFO,    /* WEN, SLI: about a call, receiver's ID @12 */
};

/*
 * The 15 control message types (RFC 2637 §1.3, sizes from the §2 field
 * tables; reference pptp-pix-linux.md §1.3-§1.5).  Columns: enum suffix,
 * code, abbreviation (as in PIX debug output), RFC name, total size,
 * sender, role of the ID @12, role of the ID @14, call operation, and the
 * body Reserved field that MUST be 0 (offset, length; 0,0 = none).
 */
#define PH_PPTP_MSGS(X)                                                        \
	X(SCCRQ, 1, "SCCRQ", "Start-Control-Connection-Request", 156, EITHER,  \
	  NONE, NONE, CTL, 14, 2)                                              \
	X(SCCRP, 2, "SCCRP", "Start-Control-Connection-Reply", 156, EITHER,    \
	  NONE, NONE, CTL, 0, 0)                                               \
	X(STOPCCRQ, 3, "StopCCRQ", "Stop-Control-Connection-Request", 16,      \
	  EITHER, NONE, NONE, CTL, 13, 3)                                      \
	X(STOPCCRP, 4, "StopCCRP", "Stop-Control-Connection-Reply", 16,        \
	  EITHER, NONE, NONE, CTL, 14, 2)                                      \
	X(ECHORQ, 5, "EchoRQ", "Echo-Request", 16, EITHER, NONE, NONE, ECHO,   \
	  0, 0)                                                                \
	X(ECHORP, 6, "EchoRP", "Echo-Reply", 20, EITHER, NONE, NONE, ECHO, 18, \
	  2)                                                                   \
	X(OCRQ, 7, "OCRQ", "Outgoing-Call-Request", 168, PNS, OWN, NONE,       \
	  REQUEST, 38, 2)                                                      \
	X(OCRP, 8, "OCRP", "Outgoing-Call-Reply", 32, PAC, OWN, PEER, REPLY,   \
	  0, 0)                                                                \
	X(ICRQ, 9, "ICRQ", "Incoming-Call-Request", 220, PAC, OWN, NONE,       \
	  REQUEST, 0, 0)                                                       \
	X(ICRP, 10, "ICRP", "Incoming-Call-Reply", 24, PNS, OWN, PEER, REPLY,  \
	  22, 2)                                                               \
	X(ICCN, 11, "ICCN", "Incoming-Call-Connected", 28, PAC, PEER, NONE,    \
	  CONNECT, 14, 2)                                                      \
	X(CCRQ, 12, "CCRQ", "Call-Clear-Request", 16, PNS, OWN, NONE, CLEAR,   \
	  14, 2)                                                               \
	X(CDN, 13, "CDN", "Call-Disconnect-Notify", 148, PAC, OWN, NONE, DISC, \
	  18, 2)                                                               \
	X(WEN, 14, "WEN", "WAN-Error-Notify", 40, PAC, PEER, NONE, INFO, 14,   \
	  2)                                                                   \
	X(SLI, 15, "SLI", "Set-Link-Info", 24, EITHER, PEER, NONE, INFO, 14, 2)

/* clang-format off */
enum ph_pptp_type {
#define PH_PPTP_TYPE_ENUM(id, code, abbr, name, size, by, id12, id14, op, \
			  roff, rlen)                                     \
	PH_PPTP_##id = code,
	PH_PPTP_MSGS(PH_PPTP_TYPE_ENUM)
#undef PH_PPTP_TYPE_ENUM
	PH_PPTP_TYPE_MAX /* one past the last code */
};
/* clang-format on */

/* One row of the table. */
struct ph_pptp_msg_info {
	const char *abbrev; /* "OCRQ" */
	const char *name;   /* "Outgoing-Call-Request" */
	uint16_t size;	    /* exact total length */
	uint8_t type;	    /* enum ph_pptp_type */
	uint8_t sender;	    /* enum ph_pptp_sender */
	uint8_t id12;	    /* enum ph_pptp_idrole of the field @12 */
	uint8_t id14;	    /* enum ph_pptp_idrole of the field @14 */
	uint8_t op;	    /* enum ph_pptp_op */
	uint8_t res_off;    /* body Reserved field (0 = none) */
	uint8_t res_len;
};

/** Table row for a control message type, or NULL when not 1..15. */
const struct ph_pptp_msg_info *ph_pptp_msg_info(unsigned type);

/** Abbreviation ("OCRQ") of a type; "?" when not 1..15 (bounds-checked). */
const char *ph_pptp_msg_abbrev(unsigned type);

/** RFC name ("Outgoing-Call-Request"); "?" when not 1..15. */
const char *ph_pptp_msg_name(unsigned type);

/**
 * Validate a 12-byte header (hdr must hold at least `len` >= 12 bytes):
 * PPTP Message Type 1, Magic Cookie, Control Message Type 1..15,
 * Reserved0 0, and Length equal to the type's size (for SCCRQ and SCCRP
 * only Length >= 14 here; see ph_pptp_msg_version_ok()).  Stores the Length
 * and the type.  Returns PH_R_NONE or PH_R_PPTP_MALFORMED.
 */
enum ph_reason ph_pptp_hdr_check(const uint8_t *hdr, size_t len,
				 uint16_t *msglen, uint8_t *type);

/**
 * Validate one whole message of `len` bytes: the header as above, Length
 * equal to len and to the type's size (for every type, including SCCRQ and
 * SCCRP, whose Protocol Version must also be 0x0100), and the body Reserved
 * field unless flags has PH_PPTP_F_LAX_RESERVED.  PH_R_NONE or
 * PH_R_PPTP_MALFORMED.
 */
enum ph_reason ph_pptp_msg_check(const uint8_t *msg, size_t len,
				 unsigned flags);

/**
 * The body checks alone, for a message whose header already passed
 * ph_pptp_hdr_check() and whose `len` bytes are all present: the body
 * Reserved field (unless PH_PPTP_F_LAX_RESERVED).  PH_R_NONE or
 * PH_R_PPTP_MALFORMED.
 */
enum ph_reason ph_pptp_body_check(const uint8_t *msg, size_t len,
				  unsigned flags);

/**
 * Format one message as PIX-style debug lines ("PPTP: CC I OCRQ",
 * "PPTP: call id 0x4000", ...), each ending in '\n', into buf (always
 * NUL-terminated when size > 0).  dir is 0 for a message from the inside
 * endpoint ("I") and 1 for one from the outside ("O").  Fixed-width text
 * fields (host name, vendor, numbers: 64 bytes, statistics: 128) are read
 * up to their first NUL or their width, whichever comes first, and
 * non-printable bytes are escaped.  A message too short for its type shows
 * only the fields present.  Returns the length the full text needs (like
 * snprintf), so a return >= size means it was truncated.
 */
size_t ph_pptp_debug_format(char *buf, size_t size, int dir, const uint8_t *msg,
			    size_t len);

#endif /* PH_CORE_PPTP_MSG_H */
