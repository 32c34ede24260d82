/*
 * core/conn_tcp.h - TCP connection tracking: SYN, established, FIN, RST.
 *
 * States (RFC 9293 3.3.2, seen from the middle):
 *   SYN_SENT     the originator's SYN passed          (embryonic timeout)
 *   SYN_RCVD     the responder's SYN-ACK passed       (embryonic timeout)
 *   ESTABLISHED  the originator ACKed the SYN-ACK     (conn timeout)
 *   CLOSING      a FIN passed in one direction or both (half-closed)
 *   CLOSED       both FINs were acknowledged, or a RST passed: the
 *                connection is removed at once ("TCP FINs", "TCP
 *                Reset-I"/"TCP Reset-O" by the side that sent the RST).
 * A FIN is acknowledged when the other side ACKs past its sequence
 * number (seq + payload + 1, modulo 2^32).
 *
 * Known limits: no sequence-window checks (a RST is believed whatever its
 * sequence number; PIX 6 did not check either); no simultaneous open.
 */
#ifndef PH_CORE_CONN_TCP_H
#define PH_CORE_CONN_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/conn.h"
#include "core/pkt.h"

/** Flag combinations no TCP sends: SYN+FIN, SYN+RST, none at all. */
bool ph_tcp_flags_bad(uint8_t flags);

/** May this segment open a connection?  A SYN without ACK/FIN/RST. */
bool ph_tcp_opens(uint8_t flags);

/** Start tracking a connection opened by segment p (state SYN_SENT). */
void ph_tcp_open(struct ph_conn *c, const struct ph_pkt *p);

/**
 * Track segment p of connection c in direction dir.  Updates the state and
 * flags; returns the class the connection belongs to now (enum
 * ph_tclass), and sets *teardown to a PH_TD_* reason when the connection
 * is finished (CLOSED), else PH_TD_NONE.
 */
unsigned ph_tcp_track(struct ph_conn *c, int dir, const struct ph_pkt *p,
		      unsigned *teardown);

/**
 * The PIX `show conn` flags of a TCP connection ("saA", "UIO", ...)
 * into buf (NUL-terminated, at most len bytes).
 */
void ph_tcp_flags_str(const struct ph_conn *c, char *buf, size_t len);

#endif /* PH_CORE_CONN_TCP_H */
