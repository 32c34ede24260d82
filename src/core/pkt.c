/*
 * core/pkt.c - single-pass IPv4 parser filling struct ph_pkt.
 *
 * RFC 791 (IPv4), RFC 9293 3.1 (TCP header), RFC 768 (UDP), RFC 792 (ICMP,
 * including the quote in error messages), RFC 2784 + 2890 (GRE version 0),
 * RFC 2637 4.1 (enhanced GRE, version 1), RFC 1858 (tiny and overlapping
 * fragments).
 *
 * Every byte is read through core/cursor.h; the L4 cursor is bounded by the
 * IP total length, and the ICMP quote by the end of the ICMP message, so a
 * lying length can never carry a read past the buffer.  The fragment policy
 * and the drop reasons are described in docs/engine.md, "Packets".
 *
 * Known limits: IP options are skipped without being interpreted (source
 * routes are not refused here); L4 checksums are not verified; the quoted
 * header of an ICMP error is not checksum-verified.
 */
#include <string.h>

#include "core/csum.h"
#include "core/cursor.h"
#include "core/pkt.h"

#define IP_MINHLEN 20
#define IP_DF	   0x4000
#define IP_MF	   0x2000
#define IP_OFFMASK 0x1fff

/* Per-packet parse context: reasons to return for a short L4 header. */
struct parse_ctx {
	enum ph_reason short_l4; /* SHORT_L4, or FRAG in a first fragment */
	enum ph_reason tcp_off;	 /* BAD_TCP_OFF, or FRAG in a first fragment */
};

uint16_t
ph_pkt_l4_min_hlen(uint8_t proto)
{
	switch (proto) {
	case PH_IPPROTO_TCP:
		return 20;
	case PH_IPPROTO_UDP:
	case PH_IPPROTO_ICMP:
		return 8;
	case PH_IPPROTO_GRE:
		return 4;
	default:
		return 0;
	}
}

uint16_t
ph_pkt_inspected_len(const struct ph_pkt *p)
{
	if (!p->has_l4)
		return 0;
	if (p->proto == PH_IPPROTO_ICMP && p->icmp.is_err)
		return (uint16_t)(p->inner.l4_off + p->inner.l4_len -
				  p->l4_off);
	return p->l4_hlen;
}

/* Martians (RFC 1122 3.2.1.3, RFC 5735): never valid on a forwarded
 * packet.  Limited broadcast is left to the engine. */
static bool
addr_martian(uint32_t src, uint32_t dst)
{
	uint8_t s = (uint8_t)(src >> 24), d = (uint8_t)(dst >> 24);

	return s == 0 || s == 127 || s >= 224 || d == 0 || d == 127;
}

static bool
icmp_is_error(uint8_t type)
{
	switch (type) {
	case PH_ICMP_UNREACH:
	case PH_ICMP_SOURCEQUENCH:
	case PH_ICMP_REDIRECT:
	case PH_ICMP_TIMXCEED:
	case PH_ICMP_PARAMPROB:
		return true;
	default:
		return false;
	}
}

static bool
icmp_has_id(uint8_t type)
{
	switch (type) {
	case PH_ICMP_ECHOREPLY:
	case PH_ICMP_ECHO:
	case PH_ICMP_TSTAMP:
	case PH_ICMP_TSTAMPREPLY:
	case PH_ICMP_IREQ:
	case PH_ICMP_IREQREPLY:
	case PH_ICMP_MASKREQ:
	case PH_ICMP_MASKREPLY:
		return true;
	default:
		return false;
	}
}

/*
 * The IPv4 header: version, IHL, total length (buffer bytes past it are
 * trimmed), header checksum, fragment fields, addresses.  On success l4 is
 * the window [IHL*4, total length).
 */
static enum ph_reason
parse_ip(struct ph_pkt *p, struct ph_cur *c, struct ph_cur *l4)
{
	uint8_t vhl;
	uint16_t totlen, off, dummy16;
	size_t hlen, buflen = ph_cur_left(c);

	if (ph_cur_u8(c, &vhl))
		return PH_R_SHORT_IP;
	if ((vhl >> 4) != 4)
		return PH_R_BAD_VERSION;
	if (buflen < IP_MINHLEN)
		return PH_R_SHORT_IP;
	hlen = (size_t)(vhl & 0x0f) * 4;
	if (hlen < IP_MINHLEN || hlen > buflen)
		return PH_R_BAD_IHL;
	if (ph_cur_u8(c, &p->tos) || ph_cur_u16(c, &totlen) ||
	    ph_cur_u16(c, &p->ip_id) || ph_cur_u16(c, &off) ||
	    ph_cur_u8(c, &p->ttl) || ph_cur_u8(c, &p->proto) ||
	    ph_cur_u16(c, &dummy16) || ph_cur_u32(c, &p->src) ||
	    ph_cur_u32(c, &p->dst))
		return PH_R_SHORT_IP;
	if (totlen > buflen || totlen < hlen)
		return PH_R_BAD_TOTLEN;
	if (ph_csum(p->ip, hlen) != 0)
		return PH_R_BAD_IP_CSUM;

	p->len = totlen;
	p->ip_hlen = (uint16_t)hlen;
	p->l4_off = (uint16_t)hlen;
	p->l4_len = (uint16_t)(totlen - hlen);
	p->payload_off = p->l4_off;
	p->payload_len = p->l4_len;
	p->df = (off & IP_DF) != 0;
	p->mf = (off & IP_MF) != 0;
	p->frag_off = (uint16_t)((off & IP_OFFMASK) * 8);

	/*
	 * The L4 window ends at the total length; its base stays at the IP
	 * header so that every offset taken from it is a packet offset.
	 */
	ph_cur_init(l4, p->ip, totlen);
	if (ph_cur_skip(l4, hlen))
		return PH_R_BAD_TOTLEN;
	if (addr_martian(p->src, p->dst))
		return PH_R_BAD_ADDR;
	return PH_R_NONE;
}

/*
 * Fragment checks that need no state (RFC 791, RFC 1858): a datagram may
 * not end past 65535, a fragment with MF set carries a multiple of 8
 * bytes, and a later fragment may not start inside the minimal L4 header.
 */
static enum ph_reason
check_frag(const struct ph_pkt *p)
{
	if (!ph_pkt_is_frag(p))
		return PH_R_NONE;
	if ((size_t)p->frag_off + p->l4_len > 65535)
		return PH_R_FRAG;
	if (p->mf && (p->l4_len % 8) != 0)
		return PH_R_FRAG;
	if (p->frag_off != 0 && p->frag_off < ph_pkt_l4_min_hlen(p->proto))
		return PH_R_FRAG;
	return PH_R_NONE;
}

static enum ph_reason
parse_tcp(struct ph_pkt *p, struct ph_cur *c, const struct parse_ctx *x)
{
	uint8_t offx2;
	size_t hlen;

	if (ph_cur_left(c) < 20)
		return x->short_l4;
	if (ph_cur_u16(c, &p->sport) || ph_cur_u16(c, &p->dport) ||
	    ph_cur_u32(c, &p->tcp.seq) || ph_cur_u32(c, &p->tcp.ack) ||
	    ph_cur_u8(c, &offx2) || ph_cur_u8(c, &p->tcp.flags) ||
	    ph_cur_u16(c, &p->tcp.win))
		return x->short_l4;
	hlen = (size_t)(offx2 >> 4) * 4;
	if (hlen < 20)
		return PH_R_BAD_TCP_OFF;
	if (hlen > p->l4_len)
		return x->tcp_off;
	p->tcp.hlen = (uint8_t)hlen;
	p->l4_hlen = (uint16_t)hlen;
	return PH_R_NONE;
}

static enum ph_reason
parse_udp(struct ph_pkt *p, struct ph_cur *c, const struct parse_ctx *x)
{
	uint16_t ulen;

	if (ph_cur_u16(c, &p->sport) || ph_cur_u16(c, &p->dport) ||
	    ph_cur_u16(c, &ulen) || ph_cur_skip(c, 2))
		return x->short_l4;
	if (ulen < 8)
		return PH_R_BAD_UDP_LEN;
	p->l4_hlen = 8;
	if (ph_pkt_is_frag(p))
		return PH_R_NONE; /* ulen covers the whole datagram */
	if (ulen > p->l4_len)
		return PH_R_BAD_UDP_LEN;
	p->l4_len = ulen; /* bytes past the UDP length are ignored */
	return PH_R_NONE;
}

/* The first 8 bytes of the L4 header quoted in an ICMP error. */
static enum ph_reason
parse_inner_l4(struct ph_pkt_inner *in, struct ph_cur *c)
{
	uint16_t w0, w1;
	uint8_t *key;

	if (ph_pkt_l4_min_hlen(in->proto) == 0)
		return PH_R_NONE; /* other protocols: nothing to read */
	if (ph_cur_left(c) < 8)
		return PH_R_BAD_ICMP_INNER;
	if (ph_cur_u16(c, &w0) || ph_cur_u16(c, &w1))
		return PH_R_BAD_ICMP_INNER;
	switch (in->proto) {
	case PH_IPPROTO_TCP:
	case PH_IPPROTO_UDP:
		in->sport = w0;
		in->dport = w1;
		break;
	case PH_IPPROTO_ICMP:
		in->icmp_type = (uint8_t)(w0 >> 8);
		in->icmp_code = (uint8_t)w0;
		/* RFC 1122 3.2.2: no error about an error. */
		if (icmp_is_error(in->icmp_type))
			return PH_R_BAD_ICMP_INNER;
		in->icmp_has_id = icmp_has_id(in->icmp_type);
		if (in->icmp_has_id && ph_cur_u16(c, &in->icmp_id))
			return PH_R_BAD_ICMP_INNER;
		break;
	case PH_IPPROTO_GRE:
		in->gre_ver = (uint8_t)(w0 & PH_GRE_F_VER);
		if (!(w0 & PH_GRE_F_KEY))
			break;
		if ((w0 & PH_GRE_F_CSUM) && ph_cur_skip(c, 4))
			break;
		in->gre_key_off = (uint16_t)ph_cur_off(c);
		if (ph_cur_ptr(c, 4, &key)) {
			in->gre_key_off = 0;
			break;
		}
		in->gre_key = ph_get_be32(key);
		in->gre_has_key = true;
		break;
	}
	in->has_l4 = true;
	return PH_R_NONE;
}

/*
 * The quote of an ICMP error: an IPv4 header (not checksum-verified, its
 * total length not checked since the quote is cut short) and, unless it is
 * a later fragment, the first 8 bytes of its L4 header.  The cursor's base
 * is the IPv4 header of the outer packet, so offsets come out right.
 */
static enum ph_reason
parse_inner(struct ph_pkt_inner *in, struct ph_cur *c)
{
	uint8_t vhl, tos, ttl;
	uint16_t off, sum;
	size_t hlen;

	in->ip_off = (uint16_t)ph_cur_off(c);
	if (ph_cur_u8(c, &vhl) || ph_cur_left(c) < IP_MINHLEN - 1)
		return PH_R_BAD_ICMP_INNER;
	hlen = (size_t)(vhl & 0x0f) * 4;
	if ((vhl >> 4) != 4 || hlen < IP_MINHLEN || hlen > ph_cur_left(c) + 1)
		return PH_R_BAD_ICMP_INNER;
	if (ph_cur_u8(c, &tos) || ph_cur_u16(c, &in->tot_len) ||
	    ph_cur_u16(c, &in->ip_id) || ph_cur_u16(c, &off) ||
	    ph_cur_u8(c, &ttl) || ph_cur_u8(c, &in->proto) ||
	    ph_cur_u16(c, &sum) || ph_cur_u32(c, &in->src) ||
	    ph_cur_u32(c, &in->dst) || ph_cur_skip(c, hlen - IP_MINHLEN))
		return PH_R_BAD_ICMP_INNER;
	in->ip_hlen = (uint16_t)hlen;
	in->mf = (off & IP_MF) != 0;
	in->frag_off = (uint16_t)((off & IP_OFFMASK) * 8);
	in->l4_off = (uint16_t)ph_cur_off(c);
	in->l4_len = (uint16_t)ph_cur_left(c);
	if (in->frag_off != 0)
		return PH_R_NONE; /* a later fragment quotes no L4 header */
	return parse_inner_l4(in, c);
}

static enum ph_reason
parse_icmp(struct ph_pkt *p, struct ph_cur *c, const struct parse_ctx *x)
{
	uint16_t sum;

	if (ph_cur_u8(c, &p->icmp.type) || ph_cur_u8(c, &p->icmp.code) ||
	    ph_cur_u16(c, &sum) || ph_cur_left(c) < 4)
		return x->short_l4;
	p->l4_hlen = 8;
	if (icmp_has_id(p->icmp.type)) {
		p->icmp.has_id = true;
		if (ph_cur_u16(c, &p->icmp.id) || ph_cur_u16(c, &p->icmp.seq))
			return x->short_l4;
		return PH_R_NONE;
	}
	if (ph_cur_skip(c, 4))
		return x->short_l4;
	if (!icmp_is_error(p->icmp.type))
		return PH_R_NONE;
	p->icmp.is_err = true;
	return parse_inner(&p->inner, c);
}

/* GRE version 0 (RFC 2784, 2890): optional checksum, key, sequence. */
static enum ph_reason
gre_v0_layout(struct ph_pkt_gre *g)
{
	if (g->flags & (PH_GRE_F_ROUTING | PH_GRE_F_SSR | PH_GRE_F_RECUR))
		return PH_R_BAD_GRE; /* RFC 1701 source routing: refused */
	g->has_csum = (g->flags & PH_GRE_F_CSUM) != 0;
	g->has_key = (g->flags & PH_GRE_F_KEY) != 0;
	g->has_seq = (g->flags & PH_GRE_F_SEQ) != 0;
	return PH_R_NONE;
}

/* Enhanced GRE (RFC 2637 4.1): C=0 R=0 K=1 s=0 recur=0, PPP payload. */
static enum ph_reason
gre_v1_layout(struct ph_pkt_gre *g)
{
	if ((g->flags & (PH_GRE_F_CSUM | PH_GRE_F_ROUTING | PH_GRE_F_SSR |
			 PH_GRE_F_RECUR)) ||
	    !(g->flags & PH_GRE_F_KEY) || g->proto != PH_GRE_PROTO_PPP)
		return PH_R_BAD_GRE;
	g->has_key = true;
	g->has_seq = (g->flags & PH_GRE_F_SEQ) != 0;
	g->has_ack = (g->flags & PH_GRE_F_ACK) != 0;
	return PH_R_NONE;
}

static enum ph_reason
parse_gre(struct ph_pkt *p, struct ph_cur *c, const struct parse_ctx *x)
{
	struct ph_pkt_gre *g = &p->gre;
	enum ph_reason r;
	uint16_t sum;

	if (ph_cur_u16(c, &g->flags) || ph_cur_u16(c, &g->proto))
		return x->short_l4;
	g->ver = (uint8_t)(g->flags & PH_GRE_F_VER);
	if (g->ver == 0)
		r = gre_v0_layout(g);
	else if (g->ver == 1)
		r = gre_v1_layout(g);
	else
		r = PH_R_BAD_GRE;
	if (r != PH_R_NONE)
		return r;
	if (g->has_csum && (ph_cur_u16(c, &sum) || ph_cur_skip(c, 2)))
		return x->short_l4;
	if (g->has_key) {
		g->key_off = (uint16_t)ph_cur_off(c);
		if (ph_cur_u32(c, &g->key))
			return x->short_l4;
	}
	if ((g->has_seq && ph_cur_u32(c, &g->seq)) ||
	    (g->has_ack && ph_cur_u32(c, &g->ack)))
		return x->short_l4;
	g->hlen = (uint8_t)(ph_cur_off(c) - p->l4_off);
	p->l4_hlen = g->hlen;
	return PH_R_NONE;
}

static enum ph_reason
parse_l4(struct ph_pkt *p, struct ph_cur *l4)
{
	struct parse_ctx x = { PH_R_SHORT_L4, PH_R_BAD_TCP_OFF };
	enum ph_reason r;

	/* RFC 1858: a first fragment must hold the whole L4 header. */
	if (ph_pkt_is_first_frag(p))
		x.short_l4 = x.tcp_off = PH_R_FRAG;
	switch (p->proto) {
	case PH_IPPROTO_TCP:
		r = parse_tcp(p, l4, &x);
		break;
	case PH_IPPROTO_UDP:
		r = parse_udp(p, l4, &x);
		break;
	case PH_IPPROTO_ICMP:
		r = parse_icmp(p, l4, &x);
		break;
	case PH_IPPROTO_GRE:
		r = parse_gre(p, l4, &x);
		break;
	default:
		return PH_R_NONE; /* any other protocol: by number only */
	}
	if (r != PH_R_NONE)
		return r;
	p->has_l4 = true;
	p->payload_off = (uint16_t)(p->l4_off + p->l4_hlen);
	p->payload_len = (uint16_t)(p->l4_len - p->l4_hlen);
	return PH_R_NONE;
}

enum ph_reason
ph_pkt_parse(struct ph_pkt *p, uint8_t *buf, size_t len)
{
	struct ph_cur c, l4;
	enum ph_reason r;

	memset(p, 0, sizeof(*p));
	p->ip = buf;
	if (buf == NULL)
		return PH_R_SHORT_IP;
	ph_cur_init(&c, buf, len);
	r = parse_ip(p, &c, &l4);
	if (r == PH_R_NONE)
		r = check_frag(p);
	if (r != PH_R_NONE || p->frag_off != 0)
		return r; /* later fragments carry no L4 header */
	return parse_l4(p, &l4);
}
