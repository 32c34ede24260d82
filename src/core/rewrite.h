/*
 * core/rewrite.h - in-place NAT rewrites of a parsed packet.
 *
 * Each primitive changes one field of the packet described by a struct
 * ph_pkt (core/pkt.h), updates every checksum that covers the field
 * incrementally (RFC 1624 eq. 3, see core/csum.h) and updates the
 * descriptor, so primitives compose in any order and the descriptor keeps
 * describing the buffer.  Nothing is allocated or copied.
 *
 * Checksums touched:
 *   IP address   IP header; TCP/UDP pseudo header (when the L4 header is in
 *                this packet, i.e. not a later fragment)
 *   TCP/UDP port TCP/UDP checksum
 *   ICMP id      ICMP checksum
 *   GRE key      GRE checksum when the C bit is set (never with PPTP)
 *   TCP payload  TCP checksum (fields may start at odd offsets)
 *   ICMP error   the quoted IP header checksum, the quoted TCP/UDP/ICMP
 *   quote        checksum when it lies within the quote, and the outer ICMP
 *                checksum (which covers the quote)
 * A UDP checksum of 0 means "none" (RFC 768) and stays 0; a computed 0 is
 * sent as 0xffff.
 *
 * PH_RW_L4_PARTIAL: the packet's TCP/UDP checksum is CHECKSUM_PARTIAL (it
 * holds the folded pseudo-header sum, not complemented, as NFQUEUE hands
 * over GSO/GRO packets).  Address changes then update it without the
 * complement; port and payload changes leave it alone (see core/csum.h).
 * Quoted headers in ICMP errors are always full checksums.
 *
 * All primitives return 0, or -EINVAL when the packet has no such field
 * (e.g. a port on ICMP, a later fragment, an ICMP error without quoted
 * ports), leaving the packet untouched.
 *
 * Known limits: IPv4 only; the TCP/UDP checksum of a fragmented datagram
 * is updated only in the first fragment, so the engine must rewrite the
 * addresses of every fragment the same way.
 */
#ifndef PH_CORE_REWRITE_H
#define PH_CORE_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"

/* flags */
#define PH_RW_L4_PARTIAL 0x01 /* TCP/UDP checksum is CHECKSUM_PARTIAL */

/** Set the IPv4 source address (host order). */
int ph_rw_ip_src(struct ph_pkt *p, uint32_t addr, unsigned flags);
/** Set the IPv4 destination address (host order). */
int ph_rw_ip_dst(struct ph_pkt *p, uint32_t addr, unsigned flags);
/** Set the TCP/UDP source port (host order). */
int ph_rw_sport(struct ph_pkt *p, uint16_t port, unsigned flags);
/** Set the TCP/UDP destination port (host order). */
int ph_rw_dport(struct ph_pkt *p, uint16_t port, unsigned flags);
/** Set the identifier of an ICMP query (echo, timestamp, ...). */
int ph_rw_icmp_id(struct ph_pkt *p, uint16_t id);
/** Set the GRE key (any version; requires the K bit). */
int ph_rw_gre_key(struct ph_pkt *p, uint32_t key);
/** Set the call ID of an enhanced GRE (version 1) packet: the key's low 16
 * bits; the payload length in the high 16 bits is kept. */
int ph_rw_gre_call_id(struct ph_pkt *p, uint16_t call_id);

/** ICMP error: set the quoted source address. */
int ph_rw_inner_src(struct ph_pkt *p, uint32_t addr);
/** ICMP error: set the quoted destination address. */
int ph_rw_inner_dst(struct ph_pkt *p, uint32_t addr);
/** ICMP error: set the quoted TCP/UDP source port. */
int ph_rw_inner_sport(struct ph_pkt *p, uint16_t port);
/** ICMP error: set the quoted TCP/UDP destination port. */
int ph_rw_inner_dport(struct ph_pkt *p, uint16_t port);
/** ICMP error: set the quoted ICMP query's identifier. */
int ph_rw_inner_icmp_id(struct ph_pkt *p, uint16_t id);
/** ICMP error: set the quoted GRE key (when it lies within the quote). */
int ph_rw_inner_gre_key(struct ph_pkt *p, uint32_t key);
/** ICMP error: set the quoted enhanced GRE call ID (key low 16 bits). */
int ph_rw_inner_gre_call_id(struct ph_pkt *p, uint16_t call_id);

/**
 * Overwrite n bytes of TCP payload at payload offset off with data[0..n)
 * and update the TCP checksum (unless PH_RW_L4_PARTIAL).  off may be odd.
 * Returns -EINVAL unless the packet is TCP with its header and
 * off + n <= payload_len.
 */
int ph_rw_tcp_payload(struct ph_pkt *p, size_t off, const uint8_t *data,
		      size_t n, unsigned flags);

/** ph_rw_tcp_payload() for one big-endian 16-bit value (a PPTP call ID). */
int ph_rw_tcp_payload16(struct ph_pkt *p, size_t off, uint16_t v,
			unsigned flags);

#endif /* PH_CORE_REWRITE_H */
