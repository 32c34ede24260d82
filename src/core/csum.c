/*
 * core/csum.c - Internet checksum sums (RFC 1071) and byte-range updates
 * (RFC 1624).  See csum.h for the conventions, including CHECKSUM_PARTIAL.
 */
#include "core/csum.h"

uint32_t
ph_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i;

	/* 64-bit accumulator: no carry can be lost even for 64 KiB. */
	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	/* 2^32 = 1 (mod 0xffff): folding at 32 bits keeps the value. */
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t
ph_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~ph_csum_fold(ph_csum_add(0, p, len));
}

uint32_t
ph_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
	       proto + l4len;
}

/* Sum of n bytes whose first byte is the low half of a word when odd. */
static uint32_t
sum_bytes(const uint8_t *b, size_t n, bool odd)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		bool low = ((i & 1) != 0) != odd;

		s += low ? b[i] : (uint32_t)b[i] << 8;
	}
	return s;
}

uint16_t
ph_csum_upd_bytes(uint16_t hc, const uint8_t *old, const uint8_t *new, size_t n,
		  bool odd)
{
	uint16_t m = ph_csum_fold(sum_bytes(old, n, odd));
	uint16_t m2 = ph_csum_fold(sum_bytes(new, n, odd));

	return ph_csum_upd16(hc, m, m2);
}
