/*
 * nfq-null/snat.c - stateless 1:1 rewrite for data-plane tests (snat.h).
 *
 * Checksum arithmetic: RFC 1624 equation 3, HC' = ~(~HC + ~m + m'), for
 * complete checksums; for a partial one (the field holds the folded,
 * uncomplemented pseudo-header sum) the change is added without the
 * complements: HP' = HP + ~m + m'.
 */
#include <string.h>

#include "snat.h"

static uint16_t
ph_snat_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Sum of ~old + new over the two 16-bit halves of a 32-bit field. */
static uint32_t
ph_snat_delta(uint32_t old, uint32_t new)
{
	return (uint16_t) ~(old >> 16) + (uint16_t)~old + (new >> 16) +
	       (new & 0xffff);
}

static uint16_t
ph_snat_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
ph_snat_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Update the checksum at c for a 32-bit field change old -> new. */
static void
ph_snat_fix(uint8_t *c, uint32_t old, uint32_t new, bool partial, bool udp)
{
	uint16_t hc = ph_snat_get16(c);
	uint16_t out;

	if (udp && hc == 0 && !partial)
		return; /* UDP without checksum stays without (RFC 768) */
	if (partial) {
		out = ph_snat_fold(hc + ph_snat_delta(old, new));
	} else {
		out = (uint16_t)~ph_snat_fold((uint16_t)~hc +
					      ph_snat_delta(old, new));
		if (udp && out == 0)
			out = 0xffff;
	}
	ph_snat_put16(c, out);
}

/* Replace the 32-bit address at off (12 = source, 16 = destination). */
static void
ph_snat_set_addr(uint8_t *p, size_t len, size_t off, uint32_t new_be,
		 bool partial)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	uint32_t old, new;
	uint8_t *l4 = p + ihl;
	uint8_t be[4];

	memcpy(be, p + off, 4);
	old = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 |
	      (uint32_t)be[2] << 8 | be[3];
	memcpy(p + off, &new_be, 4);
	memcpy(be, p + off, 4);
	new = (uint32_t)be[0] << 24 | (uint32_t)be[1] << 16 |
	      (uint32_t)be[2] << 8 | be[3];
	ph_snat_fix(p + 10, old, new, false, false);
	if ((ph_snat_get16(p + 6) & 0x1fff) != 0)
		return; /* not the first fragment: no L4 header here */
	if (p[9] == 6 && len >= ihl + 18)
		ph_snat_fix(l4 + 16, old, new, partial, false);
	else if (p[9] == 17 && len >= ihl + 8)
		ph_snat_fix(l4 + 6, old, new, partial, true);
}

bool
ph_snat_rewrite(const struct ph_snat *s, uint8_t *p, size_t len, bool partial)
{
	uint32_t src, dst;
	bool changed = false;

	if (len < 20 || p[0] >> 4 != 4 || (size_t)(p[0] & 0x0f) * 4 > len ||
	    (p[0] & 0x0f) < 5)
		return false;
	memcpy(&src, p + 12, 4);
	memcpy(&dst, p + 16, 4);
	if (src == s->local) {
		ph_snat_set_addr(p, len, 12, s->global, partial);
		changed = true;
	}
	if (dst == s->global) {
		ph_snat_set_addr(p, len, 16, s->local, partial);
		changed = true;
	}
	return changed;
}
