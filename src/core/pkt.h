/*
 * core/pkt.h - the packet descriptor: one IPv4 packet, parsed once.
 *
 * ph_pkt_parse() reads an IPv4 packet through the bounds-checked cursor
 * (core/cursor.h) in a single pass and fills a struct ph_pkt, which is then
 * passed everywhere (like pf's pf_pdesc).  The descriptor points into the
 * caller's buffer; nothing is copied or allocated.  Rewrites go through
 * core/rewrite.h, which keeps the buffer, its checksums and this descriptor
 * consistent.
 *
 * Parsed: IPv4 (RFC 791; options skipped, not interpreted), TCP (RFC 9293),
 * UDP (RFC 768), ICMP (RFC 792: queries with an identifier, and errors whose
 * quoted IP header and first 8 bytes of L4 are parsed into `inner`), GRE
 * version 0 (RFC 2784/2890) and version 1 (enhanced GRE, RFC 2637 4.1).
 * Any other protocol is accepted by number with no L4 parsing.
 *
 * Malformed input returns a drop reason (pinhole/reason.h); see the
 * "Packets" section of docs/engine.md for the complete list, the fragment
 * policy and the checksum rules (including CHECKSUM_PARTIAL).
 *
 * All addresses, ports, ids and keys in the descriptor are in HOST order.
 * Offsets are from the start of the IPv4 header (the `ip` pointer).
 *
 * Known limits: IPv4 only; IP options are skipped, not validated; TCP/UDP
 * checksums are not verified (the endpoint does it, and with NFQUEUE GSO
 * they may be partial); packets over 65535 bytes (BIG TCP) are refused.
 */
#ifndef PH_CORE_PKT_H
#define PH_CORE_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/reason.h>

/* IP protocol numbers the parser knows. */
#define PH_IPPROTO_ICMP 1
#define PH_IPPROTO_TCP	6
#define PH_IPPROTO_UDP	17
#define PH_IPPROTO_GRE	47

/* TCP flags (ph_pkt_tcp.flags). */
#define PH_TCP_FIN 0x01
#define PH_TCP_SYN 0x02
#define PH_TCP_RST 0x04
#define PH_TCP_PSH 0x08
#define PH_TCP_ACK 0x10
#define PH_TCP_URG 0x20
#define PH_TCP_ECE 0x40
#define PH_TCP_CWR 0x80

/* ICMP types (RFC 792, 950). */
#define PH_ICMP_ECHOREPLY    0
#define PH_ICMP_UNREACH	     3
#define PH_ICMP_SOURCEQUENCH 4
#define PH_ICMP_REDIRECT     5
#define PH_ICMP_ECHO	     8
#define PH_ICMP_TIMXCEED     11
#define PH_ICMP_PARAMPROB    12
#define PH_ICMP_TSTAMP	     13
#define PH_ICMP_TSTAMPREPLY  14
#define PH_ICMP_IREQ	     15
#define PH_ICMP_IREQREPLY    16
#define PH_ICMP_MASKREQ	     17
#define PH_ICMP_MASKREPLY    18

/* GRE first 16 bits (RFC 2784, 2890, 2637 4.1). */
#define PH_GRE_F_CSUM	 0x8000 /* C: checksum + reserved1 present */
#define PH_GRE_F_ROUTING 0x4000 /* R: RFC 1701 routing, refused */
#define PH_GRE_F_KEY	 0x2000 /* K: key present */
#define PH_GRE_F_SEQ	 0x1000 /* S: sequence number present */
#define PH_GRE_F_SSR	 0x0800 /* s: strict source route, refused */
#define PH_GRE_F_RECUR	 0x0700 /* recursion control, must be 0 */
#define PH_GRE_F_ACK	 0x0080 /* A: ack number present (version 1) */
#define PH_GRE_F_VER	 0x0007 /* version */
#define PH_GRE_PROTO_PPP 0x880b /* protocol type of PPTP GRE */

/* A header quoted inside an ICMP error (RFC 792: IP header + 8 bytes). */
struct ph_pkt_inner {
	uint16_t ip_off;  /* offset of the quoted IPv4 header */
	uint16_t ip_hlen; /* its IHL * 4 */
	uint16_t l4_off;  /* offset of the quoted L4 header */
	uint16_t l4_len;  /* bytes of quoted L4 data present (>= 8 if has_l4) */
	uint16_t tot_len; /* the quoted header's total length (not checked) */
	uint16_t ip_id;
	uint16_t frag_off; /* quoted fragment offset, in bytes */
	uint8_t proto;
	bool mf; /* quoted MF bit */
	/* ports/id/key below are valid: 8 bytes of L4 are quoted and the
	 * quoted packet is not a non-first fragment */
	bool has_l4;
	uint32_t src, dst;
	uint16_t sport, dport; /* TCP, UDP */
	uint8_t icmp_type;     /* ICMP */
	uint8_t icmp_code;
	bool icmp_has_id; /* quoted ICMP is a query: icmp_id valid */
	uint16_t icmp_id;
	uint8_t gre_ver;      /* GRE */
	bool gre_has_key;     /* key within the quote: gre_key valid */
	uint16_t gre_key_off; /* offset of the quoted key, 0 if none */
	uint32_t gre_key;
};

struct ph_pkt_tcp {
	uint32_t seq;
	uint32_t ack;
	uint16_t win;
	uint8_t flags; /* PH_TCP_* */
	uint8_t hlen;  /* data offset * 4, 20..60 */
};

struct ph_pkt_icmp {
	uint8_t type;
	uint8_t code;
	bool has_id; /* query (echo, timestamp, info, mask): id valid */
	bool is_err; /* error (3, 4, 5, 11, 12): `inner` valid */
	uint16_t id;
	uint16_t seq;
};

struct ph_pkt_gre {
	uint16_t flags;	  /* first 16 bits, PH_GRE_F_* (incl. version) */
	uint16_t proto;	  /* protocol type, PH_GRE_PROTO_PPP for PPTP */
	uint8_t ver;	  /* 0 or 1 */
	uint8_t hlen;	  /* GRE header length, 4..16 */
	bool has_csum;	  /* C */
	bool has_key;	  /* K */
	bool has_seq;	  /* S */
	bool has_ack;	  /* A (version 1 only) */
	uint16_t key_off; /* offset of the key field, 0 if none */
	uint32_t key;	  /* v1: high 16 = payload length, low 16 = call ID */
	uint32_t seq;
	uint32_t ack;
};

struct ph_pkt {
	uint8_t *ip; /* the IPv4 header = the buffer parsed */
	/* packet length = IP total length; buffer bytes past it are ignored */
	uint16_t len;
	uint16_t ip_hlen; /* IHL * 4 */
	uint16_t l4_off;  /* = ip_hlen */
	/* bytes from l4_off to the end (len - ip_hlen); for UDP not
	 * fragmented, the UDP length (bytes past it are ignored) */
	uint16_t l4_len;
	uint16_t l4_hlen; /* L4 header length when has_l4, else 0 */
	/* first byte after the L4 header (= l4_off when there is none) */
	uint16_t payload_off;
	uint16_t payload_len; /* UDP: from the UDP length field */
	uint8_t proto;
	uint8_t tos;
	uint8_t ttl;
	bool df;
	bool mf;
	/* L4 header parsed: sport/dport, tcp, icmp or gre are valid.  False
	 * for non-first fragments and protocols other than TCP/UDP/ICMP/GRE. */
	bool has_l4;
	uint16_t ip_id;
	uint16_t frag_off; /* fragment offset, in bytes (field * 8) */
	uint32_t src, dst;
	uint16_t sport, dport; /* TCP and UDP only; 0 otherwise */
	struct ph_pkt_tcp tcp;
	struct ph_pkt_icmp icmp;
	struct ph_pkt_gre gre;
	struct ph_pkt_inner inner; /* valid when icmp.is_err */
};

/**
 * Parse the IPv4 packet in buf[0..len) into *p.  The buffer must stay valid
 * (and is rewritten in place by core/rewrite.h) while p is used.  Returns
 * PH_R_NONE on success, else the drop reason; *p is then only partly
 * filled and must not be used.  Never reads outside buf[0..len).
 */
enum ph_reason ph_pkt_parse(struct ph_pkt *p, uint8_t *buf, size_t len);

/** True for any fragment: MF set or a non-zero offset. */
static inline bool
ph_pkt_is_frag(const struct ph_pkt *p)
{
	return p->mf || p->frag_off != 0;
}

/** True for the first fragment (offset 0, MF set): L4 header present. */
static inline bool
ph_pkt_is_first_frag(const struct ph_pkt *p)
{
	return p->mf && p->frag_off == 0;
}

/** True for a fragment that carries no L4 header (offset != 0). */
static inline bool
ph_pkt_is_later_frag(const struct ph_pkt *p)
{
	return p->frag_off != 0;
}

/** Fragment offset in bytes. */
static inline uint16_t
ph_pkt_frag_off(const struct ph_pkt *p)
{
	return p->frag_off;
}

/** IP identification (host order): with src, dst, proto it names the
 * datagram a fragment belongs to. */
static inline uint16_t
ph_pkt_ip_id(const struct ph_pkt *p)
{
	return p->ip_id;
}

/**
 * Bytes from l4_off that the engine's decision on a first fragment rests
 * on: the L4 header, or for an ICMP error the whole ICMP message present
 * (header and quote).  The engine keeps it with the fragment state of the
 * datagram and refuses later fragments whose offset is below it (they
 * would overwrite what was inspected).  0 when has_l4 is false.
 */
uint16_t ph_pkt_inspected_len(const struct ph_pkt *p);

/** Minimum L4 header length of a protocol (TCP 20, UDP 8, ICMP 8, GRE 4,
 * others 0): a non-first fragment starting below it is refused. */
uint16_t ph_pkt_l4_min_hlen(uint8_t proto);

#endif /* PH_CORE_PKT_H */
