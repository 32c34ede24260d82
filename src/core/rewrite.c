/*
 * core/rewrite.c - in-place field rewrites with incremental checksums.
 *
 * RFC 1624 (incremental update), RFC 768 (UDP checksum 0 = none), RFC 792
 * (the ICMP checksum covers the quoted datagram of an error), RFC 2784
 * (GRE checksum), RFC 2637 4.1 (call ID in the enhanced GRE key).  See
 * rewrite.h for which checksums each primitive touches, and csum.h for
 * CHECKSUM_PARTIAL.
 *
 * All offsets used here were bounds-checked by ph_pkt_parse(); each
 * primitive checks that the descriptor says the field is there.
 */
#include <errno.h>
#include <string.h>

#include "core/csum.h"
#include "core/cursor.h"
#include "core/rewrite.h"

#define IP_CSUM_OFF   10
#define IP_SRC_OFF    12
#define IP_DST_OFF    16
#define TCP_CSUM_OFF  16
#define UDP_CSUM_OFF  6
#define ICMP_CSUM_OFF 2
#define ICMP_ID_OFF   4
#define GRE_CSUM_OFF  4

/* Kinds of checksum field, for the rules on 0 and on partial sums. */
enum ck {
	CK_FULL,    /* IP, TCP, ICMP, GRE */
	CK_UDP,	    /* 0 = none; a computed 0 is sent as 0xffff */
	CK_PARTIAL, /* CHECKSUM_PARTIAL pseudo-header sum */
};

/* Update the checksum at f for a 32-bit field old -> new.  Returns the
 * 16-bit change (old, new) of the checksum field itself, for a checksum
 * that covers this one (the ICMP checksum covers quoted checksums). */
static void
fix32(uint8_t *f, enum ck k, uint32_t old, uint32_t new, uint16_t *o,
      uint16_t *n)
{
	uint16_t hc = ph_get_be16(f), hc2;

	if (k == CK_PARTIAL)
		hc2 = ph_csum_upd32_partial(hc, old, new);
	else if (k == CK_UDP && hc == 0)
		hc2 = 0;
	else
		hc2 = ph_csum_upd32(hc, old, new);
	if (k == CK_UDP && hc != 0 && hc2 == 0)
		hc2 = 0xffff;
	ph_put_be16(f, hc2);
	*o = hc;
	*n = hc2;
}

/* fix32() for a 16-bit field (never in a pseudo header: no partial). */
static void
fix16(uint8_t *f, enum ck k, uint16_t old, uint16_t new, uint16_t *o,
      uint16_t *n)
{
	uint16_t hc = ph_get_be16(f), hc2;

	if (k == CK_UDP && hc == 0)
		hc2 = 0;
	else
		hc2 = ph_csum_upd16(hc, old, new);
	if (k == CK_UDP && hc != 0 && hc2 == 0)
		hc2 = 0xffff;
	ph_put_be16(f, hc2);
	*o = hc;
	*n = hc2;
}

/* Checksum field of this packet's TCP/UDP header, or NULL. */
static uint8_t *
l4_csum(const struct ph_pkt *p, enum ck *k)
{
	if (!p->has_l4)
		return NULL;
	if (p->proto == PH_IPPROTO_TCP) {
		*k = CK_FULL;
		return p->ip + p->l4_off + TCP_CSUM_OFF;
	}
	if (p->proto == PH_IPPROTO_UDP) {
		*k = CK_UDP;
		return p->ip + p->l4_off + UDP_CSUM_OFF;
	}
	return NULL;
}

static void
set_addr(struct ph_pkt *p, size_t off, uint32_t addr, unsigned flags)
{
	uint8_t *f = p->ip + off, *l4;
	uint32_t old = ph_get_be32(f);
	uint16_t o, n;
	enum ck k;

	if (old == addr)
		return;
	ph_put_be32(f, addr);
	fix32(p->ip + IP_CSUM_OFF, CK_FULL, old, addr, &o, &n);
	if ((l4 = l4_csum(p, &k)) == NULL)
		return;
	if (flags & PH_RW_L4_PARTIAL)
		k = CK_PARTIAL;
	fix32(l4, k, old, addr, &o, &n);
}

int
ph_rw_ip_src(struct ph_pkt *p, uint32_t addr, unsigned flags)
{
	set_addr(p, IP_SRC_OFF, addr, flags);
	p->src = addr;
	return 0;
}

int
ph_rw_ip_dst(struct ph_pkt *p, uint32_t addr, unsigned flags)
{
	set_addr(p, IP_DST_OFF, addr, flags);
	p->dst = addr;
	return 0;
}

static int
set_port(struct ph_pkt *p, size_t off, uint16_t port, unsigned flags)
{
	uint8_t *f, *l4;
	uint16_t old, o, n;
	enum ck k;

	if ((l4 = l4_csum(p, &k)) == NULL)
		return -EINVAL;
	f = p->ip + p->l4_off + off;
	old = ph_get_be16(f);
	ph_put_be16(f, port);
	/* Ports are not in the pseudo header: a partial sum ignores them. */
	if (!(flags & PH_RW_L4_PARTIAL))
		fix16(l4, k, old, port, &o, &n);
	return 0;
}

int
ph_rw_sport(struct ph_pkt *p, uint16_t port, unsigned flags)
{
	if (set_port(p, 0, port, flags))
		return -EINVAL;
	p->sport = port;
	return 0;
}

int
ph_rw_dport(struct ph_pkt *p, uint16_t port, unsigned flags)
{
	if (set_port(p, 2, port, flags))
		return -EINVAL;
	p->dport = port;
	return 0;
}

int
ph_rw_icmp_id(struct ph_pkt *p, uint16_t id)
{
	uint8_t *l4 = p->ip + p->l4_off;
	uint16_t o, n;

	if (!p->has_l4 || p->proto != PH_IPPROTO_ICMP || !p->icmp.has_id)
		return -EINVAL;
	fix16(l4 + ICMP_CSUM_OFF, CK_FULL, p->icmp.id, id, &o, &n);
	ph_put_be16(l4 + ICMP_ID_OFF, id);
	p->icmp.id = id;
	return 0;
}

int
ph_rw_gre_key(struct ph_pkt *p, uint32_t key)
{
	uint8_t *f = p->ip + p->gre.key_off;
	uint16_t o, n;

	if (!p->has_l4 || p->proto != PH_IPPROTO_GRE || !p->gre.has_key)
		return -EINVAL;
	if (p->gre.has_csum)
		fix32(p->ip + p->l4_off + GRE_CSUM_OFF, CK_FULL, ph_get_be32(f),
		      key, &o, &n);
	ph_put_be32(f, key);
	p->gre.key = key;
	return 0;
}

int
ph_rw_gre_call_id(struct ph_pkt *p, uint16_t call_id)
{
	if (!p->has_l4 || p->proto != PH_IPPROTO_GRE || p->gre.ver != 1)
		return -EINVAL;
	return ph_rw_gre_key(p, (p->gre.key & 0xffff0000) | call_id);
}

/* The ICMP checksum of an error message, if the quote is parsed. */
static uint8_t *
icmp_err_csum(const struct ph_pkt *p)
{
	if (!p->has_l4 || p->proto != PH_IPPROTO_ICMP || !p->icmp.is_err)
		return NULL;
	return p->ip + p->l4_off + ICMP_CSUM_OFF;
}

/*
 * Checksum field of the quoted L4 header when it lies within the quote:
 * TCP's is at byte 16 (often cut off), UDP's and ICMP's within the 8 bytes
 * RFC 792 guarantees.  Quoted addresses enter only TCP/UDP sums.
 */
static uint8_t *
inner_l4_csum(const struct ph_pkt *p, enum ck *k)
{
	const struct ph_pkt_inner *in = &p->inner;

	if (!in->has_l4)
		return NULL;
	switch (in->proto) {
	case PH_IPPROTO_TCP:
		*k = CK_FULL;
		if (in->l4_len < TCP_CSUM_OFF + 2)
			return NULL;
		return p->ip + in->l4_off + TCP_CSUM_OFF;
	case PH_IPPROTO_UDP:
		*k = CK_UDP;
		return p->ip + in->l4_off + UDP_CSUM_OFF;
	case PH_IPPROTO_ICMP:
		*k = CK_FULL;
		return p->ip + in->l4_off + ICMP_CSUM_OFF;
	default:
		return NULL;
	}
}

static int
set_inner_addr(struct ph_pkt *p, size_t off, uint32_t addr)
{
	uint8_t *icmp = icmp_err_csum(p), *f, *l4;
	uint16_t o, n, u;
	uint32_t old;
	enum ck k;

	if (icmp == NULL)
		return -EINVAL;
	f = p->ip + p->inner.ip_off + off;
	old = ph_get_be32(f);
	ph_put_be32(f, addr);
	fix32(icmp, CK_FULL, old, addr, &o, &n);
	fix32(p->ip + p->inner.ip_off + IP_CSUM_OFF, CK_FULL, old, addr, &o,
	      &n);
	fix16(icmp, CK_FULL, o, n, &u, &u);
	l4 = inner_l4_csum(p, &k);
	if (l4 != NULL && p->inner.proto != PH_IPPROTO_ICMP) {
		fix32(l4, k, old, addr, &o, &n);
		fix16(icmp, CK_FULL, o, n, &u, &u);
	}
	return 0;
}

int
ph_rw_inner_src(struct ph_pkt *p, uint32_t addr)
{
	if (set_inner_addr(p, IP_SRC_OFF, addr))
		return -EINVAL;
	p->inner.src = addr;
	return 0;
}

int
ph_rw_inner_dst(struct ph_pkt *p, uint32_t addr)
{
	if (set_inner_addr(p, IP_DST_OFF, addr))
		return -EINVAL;
	p->inner.dst = addr;
	return 0;
}

/* A 16-bit quoted L4 field at off: its own sum (if quoted), then ICMP's. */
static void
set_inner16(struct ph_pkt *p, size_t off, uint16_t v)
{
	uint8_t *icmp = icmp_err_csum(p), *f = p->ip + p->inner.l4_off + off;
	uint8_t *l4;
	uint16_t old = ph_get_be16(f), o, n, u;
	enum ck k;

	ph_put_be16(f, v);
	fix16(icmp, CK_FULL, old, v, &u, &u);
	if ((l4 = inner_l4_csum(p, &k)) != NULL) {
		fix16(l4, k, old, v, &o, &n);
		fix16(icmp, CK_FULL, o, n, &u, &u);
	}
}

static bool
inner_has(const struct ph_pkt *p, uint8_t proto)
{
	return icmp_err_csum(p) != NULL && p->inner.has_l4 &&
	       p->inner.proto == proto;
}

static bool
inner_has_ports(const struct ph_pkt *p)
{
	return inner_has(p, PH_IPPROTO_TCP) || inner_has(p, PH_IPPROTO_UDP);
}

int
ph_rw_inner_sport(struct ph_pkt *p, uint16_t port)
{
	if (!inner_has_ports(p))
		return -EINVAL;
	set_inner16(p, 0, port);
	p->inner.sport = port;
	return 0;
}

int
ph_rw_inner_dport(struct ph_pkt *p, uint16_t port)
{
	if (!inner_has_ports(p))
		return -EINVAL;
	set_inner16(p, 2, port);
	p->inner.dport = port;
	return 0;
}

int
ph_rw_inner_icmp_id(struct ph_pkt *p, uint16_t id)
{
	if (!inner_has(p, PH_IPPROTO_ICMP) || !p->inner.icmp_has_id)
		return -EINVAL;
	set_inner16(p, ICMP_ID_OFF, id);
	p->inner.icmp_id = id;
	return 0;
}

int
ph_rw_inner_gre_key(struct ph_pkt *p, uint32_t key)
{
	uint8_t *icmp = icmp_err_csum(p), *f;
	uint16_t o, n, u;
	uint16_t flags;

	if (!inner_has(p, PH_IPPROTO_GRE) || !p->inner.gre_has_key)
		return -EINVAL;
	f = p->ip + p->inner.gre_key_off;
	fix32(icmp, CK_FULL, p->inner.gre_key, key, &u, &u);
	/* With C set the quoted GRE checksum is at byte 4, within 8. */
	flags = ph_get_be16(p->ip + p->inner.l4_off);
	if (flags & PH_GRE_F_CSUM) {
		fix32(p->ip + p->inner.l4_off + GRE_CSUM_OFF, CK_FULL,
		      p->inner.gre_key, key, &o, &n);
		fix16(icmp, CK_FULL, o, n, &u, &u);
	}
	ph_put_be32(f, key);
	p->inner.gre_key = key;
	return 0;
}

int
ph_rw_inner_gre_call_id(struct ph_pkt *p, uint16_t call_id)
{
	if (!inner_has(p, PH_IPPROTO_GRE) || p->inner.gre_ver != 1)
		return -EINVAL;
	return ph_rw_inner_gre_key(p,
				   (p->inner.gre_key & 0xffff0000) | call_id);
}

int
ph_rw_tcp_payload(struct ph_pkt *p, size_t off, const uint8_t *data, size_t n,
		  unsigned flags)
{
	uint8_t *dst, *f;
	uint16_t hc;

	if (!p->has_l4 || p->proto != PH_IPPROTO_TCP || n > p->payload_len ||
	    off > (size_t)p->payload_len - n)
		return -EINVAL;
	dst = p->ip + p->payload_off + off;
	/* The TCP header has an even length: payload parity = off parity. */
	if (!(flags & PH_RW_L4_PARTIAL)) {
		f = p->ip + p->l4_off + TCP_CSUM_OFF;
		hc = ph_csum_upd_bytes(ph_get_be16(f), dst, data, n,
				       (off & 1) != 0);
		ph_put_be16(f, hc);
	}
	memmove(dst, data, n);
	return 0;
}

int
ph_rw_tcp_payload16(struct ph_pkt *p, size_t off, uint16_t v, unsigned flags)
{
	uint8_t b[2];

	ph_put_be16(b, v);
	return ph_rw_tcp_payload(p, off, b, sizeof(b), flags);
}
