/*
 * core/csum.h - the Internet checksum: RFC 1071 sums, RFC 1624 updates.
 *
 * Sums are ones' complement sums of big-endian 16-bit words.  A "sum"
 * (uint32_t) is an unfolded accumulator; ph_csum_fold() reduces it to 16
 * bits without complementing; a "checksum" is the complement of the folded
 * sum, as stored in IP, TCP, UDP, ICMP and GRE headers.
 *
 * Incremental updates follow RFC 1624 equation 3, HC' = ~(~HC + ~m + m'),
 * which never produces the -0 that equation 2 of RFC 1141 could.
 *
 * CHECKSUM_PARTIAL: when Linux hands a packet over with the L4 checksum
 * still to be computed (NFQUEUE with GSO/GRO, or checksum offload), the
 * TCP/UDP checksum field holds the folded pseudo-header sum, NOT
 * complemented (the kernel stores ~csum_tcpudp_magic(...)).  Changing an
 * address of the pseudo header then adds ~m + m' to the field without any
 * complement: HP' = fold(HP + ~m + m').  Data that is not in the pseudo
 * header (ports, payload) must not touch a partial checksum: the device or
 * the kernel will sum it later.  The *_partial variants do this.
 *
 * Known limits: the full sum is a simple word loop (it is only used on
 * the 20-60 byte IP header on the hot path).
 */
#ifndef PH_CORE_CSUM_H
#define PH_CORE_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Add len bytes at p, read as big-endian 16-bit words, to sum.  An odd
 * last byte counts as the high half of a word (RFC 1071 padding), so a
 * buffer may be summed in pieces only when every piece but the last has an
 * even length.  Returns the new, unfolded sum.
 */
uint32_t ph_csum_add(uint32_t sum, const uint8_t *p, size_t len);

/** Fold a sum to 16 bits with end-around carry (not complemented). */
static inline uint16_t
ph_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/** The RFC 1071 checksum of len bytes: the complement of their sum. */
uint16_t ph_csum(const uint8_t *p, size_t len);

/** The unfolded sum of the IPv4 pseudo header (RFC 9293 3.1, RFC 768). */
uint32_t ph_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
			uint16_t l4len);

/** RFC 1624 eq. 3: checksum hc after a 16-bit word changes old -> new. */
static inline uint16_t
ph_csum_upd16(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t)~old + new;

	return (uint16_t)~ph_csum_fold(s);
}

/** RFC 1624 eq. 3 for a 32-bit field (two aligned 16-bit words). */
static inline uint16_t
ph_csum_upd32(uint16_t hc, uint32_t old, uint32_t new)
{
	uint32_t s = (uint32_t)(uint16_t)~hc + (uint16_t) ~(old >> 16) +
		     (uint16_t)~old + (new >> 16) + (new & 0xffff);

	return (uint16_t)~ph_csum_fold(s);
}

/** CHECKSUM_PARTIAL: pseudo-header sum field hp after a 32-bit address
 * in the pseudo header changes old -> new (no complement). */
static inline uint16_t
ph_csum_upd32_partial(uint16_t hp, uint32_t old, uint32_t new)
{
	uint32_t s = (uint32_t)hp + (uint16_t) ~(old >> 16) + (uint16_t)~old +
		     (new >> 16) + (new & 0xffff);

	return ph_csum_fold(s);
}

/**
 * RFC 1624 eq. 3 for n bytes changing from old[] to new[] inside the
 * checksummed data.  odd says the first byte sits at an odd offset from
 * the start of the checksummed data (it is the low half of its word), so a
 * field may straddle words.
 */
uint16_t ph_csum_upd_bytes(uint16_t hc, const uint8_t *old, const uint8_t *new,
			   size_t n, bool odd);

#endif /* PH_CORE_CSUM_H */
