/*
 * replay/output.c - output captures: what leaves each interface.
 *
 * One pcap file per interface given with --out.  Its link type is the one
 * of the first input on the same interface, so a capture written for
 * "outside" looks like the one recorded there; an interface with no input
 * gets raw IPv4 (LINKTYPE_RAW).  Timestamps keep the input's precision
 * (nanoseconds if that input has them; for an interface with no input,
 * nanoseconds if any input has them).
 *
 * Framing of each packet for the output's link type:
 *   EN10MB      the Ethernet header (VLAN tags included) the packet arrived
 *               with, unchanged, so a frame can be followed across
 *               interfaces.  A packet that arrived with another link type
 *               gets the header of the first frame recorded on the egress
 *               interface with its two MAC addresses swapped (so it goes
 *               from the gateway to that peer, on the same VLAN), type
 *               IPv4; with no such frame, 02:00:00:00:ff:NN ->
 *               02:00:00:00:00:00 (NN = egress interface index);
 *   LINUX_SLL   packet type 4 (outgoing), ARPHRD_ETHER, the gateway
 *               address 02:00:00:00:ff:NN;
 *   LINUX_SLL2  the same, with the ifindex of the interface's first frame;
 *   RAW, IPV4   the packet alone; NULL, LOOP: address family AF_INET.
 * The IPv4 packet is cut to its total length (link padding dropped).
 *
 * Known limits: output files are always pcap, never pcapng.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "core/cursor.h"
#include "replay.h"

#define RP_SNAPLEN	    262144
#define RP_AF_INET	    2
#define RP_PKTTYPE_OUTGOING 4
#define RP_ARPHRD_ETHER	    1

struct rp_output {
	pcap_t *dead;
	pcap_dumper_t *dump;
	char *path;
	int dlt;
	struct rp_l2 tmpl; /* first frame's header on this interface */
};

struct rp_outputs {
	struct rp_output o[PH_IF_MAX];
	uint8_t buf[RP_L2_MAX + 65536]; /* one framed packet */
};

struct rp_outputs *
rp_outputs_new(void)
{
	return calloc(1, sizeof(struct rp_outputs));
}

int
rp_outputs_add(struct rp_outputs *s, uint16_t ifidx, const char *path,
	       const struct rp_l2 *tmpl, bool nano, char *err, size_t errlen)
{
	struct rp_output *o = &s->o[ifidx];
	int dlt = tmpl != NULL ? tmpl->dlt : DLT_RAW;

	if (tmpl != NULL)
		o->tmpl = *tmpl;
	o->dead = pcap_open_dead_with_tstamp_precision(
		dlt, RP_SNAPLEN,
		nano ? PCAP_TSTAMP_PRECISION_NANO
		     : PCAP_TSTAMP_PRECISION_MICRO);
	if (o->dead == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	o->dump = pcap_dump_open(o->dead, path);
	if (o->dump == NULL) {
		snprintf(err, errlen, "%s", pcap_geterr(o->dead));
		pcap_close(o->dead);
		o->dead = NULL;
		return -1;
	}
	o->path = strdup(path);
	o->dlt = dlt;
	return 0;
}

bool
rp_outputs_has(const struct rp_outputs *s, uint16_t ifidx)
{
	return ifidx < PH_IF_MAX && s->o[ifidx].dump != NULL;
}

static void
rp_gw_mac(uint8_t *mac, uint16_t ifidx)
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0xff, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)ifidx;
}

static size_t
rp_frame_ether(uint8_t *h, const struct rp_output *o, const struct rp_l2 *l2,
	       uint16_t ifidx)
{
	const struct rp_l2 *t = &o->tmpl;

	if (l2->dlt == DLT_EN10MB && l2->len >= 14) {
		memcpy(h, l2->hdr, l2->len);
		return l2->len;
	}
	if (t->dlt == DLT_EN10MB && t->len >= 14) {
		/* as recorded on this interface, in the other direction */
		memcpy(h, t->hdr + 6, 6);
		memcpy(h + 6, t->hdr, 6);
		memcpy(h + 12, t->hdr + 12, t->len - 12u);
		ph_put_be16(h + t->len - 2, 0x0800);
		return t->len;
	}
	memset(h, 0, 6);
	h[0] = 0x02;
	rp_gw_mac(h + 6, ifidx);
	ph_put_be16(h + 12, 0x0800);
	return 14;
}

static size_t
rp_frame_sll(uint8_t *h, uint16_t ifidx)
{
	ph_put_be16(h, RP_PKTTYPE_OUTGOING);
	ph_put_be16(h + 2, RP_ARPHRD_ETHER);
	ph_put_be16(h + 4, 6);
	memset(h + 6, 0, 8);
	rp_gw_mac(h + 6, ifidx);
	ph_put_be16(h + 14, 0x0800);
	return 16;
}

static size_t
rp_frame_sll2(uint8_t *h, const struct rp_output *o, uint16_t ifidx)
{
	uint32_t ifindex = 0;

	if (o->tmpl.dlt == DLT_LINUX_SLL2 && o->tmpl.len >= 8)
		ifindex = ph_get_be32(o->tmpl.hdr + 4);
	ph_put_be16(h, 0x0800);
	ph_put_be16(h + 2, 0);
	ph_put_be32(h + 4, ifindex);
	ph_put_be16(h + 8, RP_ARPHRD_ETHER);
	h[10] = RP_PKTTYPE_OUTGOING;
	h[11] = 6;
	memset(h + 12, 0, 8);
	rp_gw_mac(h + 12, ifidx);
	return 20;
}

/* Build the link header for output o into h; returns its length. */
static size_t
rp_frame_build(uint8_t *h, const struct rp_output *o, const struct rp_l2 *l2,
	       uint16_t ifidx)
{
	uint32_t af = RP_AF_INET;

	switch (o->dlt) {
	case DLT_EN10MB:
		return rp_frame_ether(h, o, l2, ifidx);
	case DLT_LINUX_SLL:
		return rp_frame_sll(h, ifidx);
	case DLT_LINUX_SLL2:
		return rp_frame_sll2(h, o, ifidx);
	case DLT_NULL:
		memcpy(h, &af, 4); /* host byte order, by definition */
		return 4;
	case DLT_LOOP:
		ph_put_be32(h, af);
		return 4;
	default:
		return 0;
	}
}

/* Bytes of the IPv4 packet proper: its total length when plausible. */
static size_t
rp_ip_len(const uint8_t *ip, size_t len)
{
	uint16_t tot;

	if (len < 20)
		return len;
	tot = ph_get_be16(ip + 2);
	return tot >= 20 && tot < len ? tot : len;
}

int
rp_outputs_write(struct rp_outputs *s, uint16_t ifidx, const struct rp_l2 *l2,
		 const uint8_t *ip, size_t len, ph_time_t ts, char *err,
		 size_t errlen)
{
	uint8_t *buf = s->buf;
	struct rp_output *o;
	struct pcap_pkthdr h;
	size_t hl;

	if (!rp_outputs_has(s, ifidx))
		return 0;
	o = &s->o[ifidx];
	len = rp_ip_len(ip, len);
	if (len > 65535) {
		snprintf(err, errlen, "%s: packet of %zu bytes", o->path, len);
		return -1;
	}
	hl = rp_frame_build(buf, o, l2, ifidx);
	memcpy(buf + hl, ip, len);
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(ts.ns / PH_NSEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(ts.ns % PH_NSEC_PER_SEC);
	if (pcap_get_tstamp_precision(o->dead) == PCAP_TSTAMP_PRECISION_MICRO)
		h.ts.tv_usec /= 1000;
	h.caplen = h.len = (bpf_u_int32)(hl + len);
	pcap_dump((u_char *)o->dump, &h, buf);
	return 1;
}

int
rp_outputs_close(struct rp_outputs *s, char *err, size_t errlen)
{
	int rc = 0;

	if (s == NULL)
		return 0;
	for (unsigned i = 0; i < PH_IF_MAX; i++) {
		struct rp_output *o = &s->o[i];

		if (o->dump == NULL)
			continue;
		if ((pcap_dump_flush(o->dump) != 0 ||
		     ferror(pcap_dump_file(o->dump))) &&
		    rc == 0) {
			snprintf(err, errlen, "%s: write error", o->path);
			rc = -1;
		}
		pcap_dump_close(o->dump);
		pcap_close(o->dead);
		free(o->path);
	}
	free(s);
	return rc;
}
