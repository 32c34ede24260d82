/*
 * core/conn_tcp.h - TCP connection tracking: flags, sequence windows,
 * SYN, established, FIN, RST.
 *
 * States (RFC 9293 3.3.2, seen from the middle):
 *   SYN_SENT     the originator's SYN passed          (embryonic timeout)
 *   SYN_RCVD     the responder's SYN-ACK passed       (embryonic timeout)
 *   ESTABLISHED  the originator ACKed the SYN-ACK     (conn timeout)
 *   CLOSING      a FIN passed in one direction or both (half-closed)
 *   CLOSED       both FINs were acknowledged, or a RST passed: the
 *                connection is removed at once ("TCP FINs", "TCP
 *                Reset-I"/"TCP Reset-O" by the side that sent the RST).
 * A FIN is acknowledged when the other side ACKs its end (seq + payload
 * + 1, modulo 2^32).
 *
 * Flags: the valid combinations are Linux conntrack's (tcp_valid_flags),
 * ignoring PSH, ECE and CWR: SYN, SYN|URG, SYN|ACK, RST, RST|ACK, FIN|ACK,
 * FIN|ACK|URG, ACK, ACK|URG.  Anything else (no flags, SYN|FIN, SYN|RST,
 * FIN or data without ACK, ...) is refused on any segment.
 *
 * Sequence windows (pf's pf_tcp_track_full(), after G. van Rooij, "Real
 * Stateful TCP Packet Filtering in IP Filter"): per side, seqlo is the
 * end of the highest segment it sent and seqhi the highest end the other
 * side's advertised window allows (ack + window, window scaling from the
 * SYN options, RFC 7323).  A segment passes when
 *   - its data ends at or before seqhi              (not past the window),
 *   - it starts at or after seqlo - the other side's largest window
 *                                                   (retransmissions),
 *   - its ACK is within 65535 + 1500 bytes (scaled) of what the other
 *     side sent,
 *   - and a RST's own sequence number is within [seqlo - window, seqhi]
 *     (RFC 5961 3: only an in-window RST is believed; pf without scrub
 *     does not check it).
 * Until the responder has answered, and once both sides sent FINs, pf's
 * looser bounds apply (one 65535 + 1500 byte window either way) to all
 * but RSTs.  A new SYN from the originator while the connection is still
 * SYN_SENT restarts its side (a client retrying with a new ISN).  A SYN on
 * an established connection is judged like any segment: in the window it
 * passes (the endpoint answers with a challenge ACK, RFC 5961 4), outside
 * it is dropped.  A segment that fails changes nothing.
 *
 * Known limits: no simultaneous open; SACK blocks are not checked; the
 * first fragment of a fragmented segment counts only its own payload.
 */
#ifndef PH_CORE_CONN_TCP_H
#define PH_CORE_CONN_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "core/pkt.h"

/** Flag combinations no TCP sends (see above).  True = refuse. */
bool ph_tcp_flags_bad(uint8_t flags);

/** May this segment open a connection?  A SYN without ACK/FIN/RST. */
bool ph_tcp_opens(uint8_t flags);

/** Start tracking a connection whose first segment (a SYN) is p: state
 * SYN_SENT, no side seen yet; ph_tcp_track() then takes p itself. */
void ph_tcp_open(struct ph_conn *c, const struct ph_pkt *p);

/**
 * Track segment p of connection c in direction dir.  Returns PH_R_NONE
 * and updates the windows, state and flags, setting *cls to the class the
 * connection belongs to now (enum ph_tclass) and *teardown to a PH_TD_*
 * reason when the connection is finished (CLOSED), else PH_TD_NONE.  Or
 * returns PH_R_TCP_WINDOW / PH_R_TCP_BAD_RST and changes nothing.
 * The flags must have passed ph_tcp_flags_bad().
 */
unsigned ph_tcp_track(struct ph_conn *c, int dir, const struct ph_pkt *p,
		      unsigned *cls, unsigned *teardown);

/** Is c a TCP connection still in its handshake (SYN_SENT/SYN_RCVD)? */
static inline bool
ph_tcp_embryonic(const struct ph_conn *c)
{
	return c->state == PH_TCPS_SYN_SENT || c->state == PH_TCPS_SYN_RCVD;
}

/**
 * May a packet with sequence number seq, sent in direction dir of c, be
 * quoted by an ICMP error?  True when seq lies in that side's window
 * (pf's check of ICMP errors about TCP).
 */
bool ph_tcp_seq_in_window(const struct ph_conn *c, int dir, uint32_t seq);

/** The window-scale option of a SYN's options (RFC 7323 2.2): the shift
 * (capped at 14) | PH_TCP_WS_OPT, or 0 when absent or malformed. */
uint8_t ph_tcp_wscale_opt(const struct ph_pkt *p);

/**
 * The PIX `show conn` flags of a TCP connection ("saA", "UIO", ...)
 * into buf (NUL-terminated, at most len bytes).
 */
void ph_tcp_flags_str(const struct ph_conn *c, char *buf, size_t len);

#endif /* PH_CORE_CONN_TCP_H */
