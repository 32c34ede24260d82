/*
 * replay/capture.c - input captures: open, strip the link layer, merge.
 *
 * Each input is a pcap or pcapng file (libpcap reads both) recorded on one
 * gateway interface.  Frames are read with nanosecond timestamps whatever
 * the file stores; the file's own precision is read from its header
 * (pcap magic, or the pcapng if_tsresol option of its first interface) so
 * the output capture of that interface can keep it.
 *
 * Link layers (read through core/cursor.h, nothing is cast):
 *   EN10MB      Ethernet II, any number of 802.1Q / 802.1ad tags;
 *   RAW, IPV4   the IP header first (the version nibble decides);
 *   LINUX_SLL   16-byte cooked header (protocol at offset 14);
 *   LINUX_SLL2  20-byte cooked header (protocol at offset 0);
 *   NULL, LOOP  4-byte address family (host order / network order).
 * A frame that is not IPv4 (ARP, IPv6, LLDP...) is returned as skipped,
 * as is an IPv4 packet that the capture's snap length cut short; a frame
 * captured whole but malformed goes to the engine, which names the drop.
 *
 * The inputs are merged by timestamp with a binary heap keyed by (time,
 * input index): ties go to the input given first on the command line, and
 * each file's own order is kept.
 *
 * Known limits: at most RP_INPUTS_MAX inputs; a link header longer than
 * RP_L2_MAX bytes is not kept (the output then gets a synthetic one).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <byteswap.h>
#include <pcap/pcap.h>

#include <bsd/string.h>

#include "core/cursor.h"
#include "replay.h"

#define RP_ETH_IPV4	0x0800
#define RP_ETH_IPV6	0x86dd
#define RP_ETH_VLAN	0x8100
#define RP_ETH_QINQ	0x88a8
#define RP_ETH_QINQ_OLD 0x9100
#define RP_AF_INET	2
#define RP_HDR_READ	4096 /* bytes of a pcapng IDB we look at */

struct rp_input {
	pcap_t *pcap;
	char *path;
	uint16_t ifidx;
	int dlt;
	bool nano;	    /* the file stores nanoseconds */
	struct rp_l2 first; /* link header of its first frame */
	uint64_t frameno;   /* frames read so far */
	bool have;	    /* hdr/buf hold the next frame */
	struct pcap_pkthdr hdr;
	uint8_t *buf;
	size_t cap;
};

struct rp_inputs {
	struct rp_input in[RP_INPUTS_MAX];
	unsigned n;
	unsigned heap[RP_INPUTS_MAX];
	unsigned n_heap;
	int last; /* input whose frame was returned last, -1 none */
};

/* Link layers: DLT value, name, and how to find the network protocol. */
typedef int (*rp_decap_fn)(struct ph_cur *c, uint16_t *etype);

static int rp_decap_ether(struct ph_cur *c, uint16_t *etype);
static int rp_decap_raw(struct ph_cur *c, uint16_t *etype);
static int rp_decap_sll(struct ph_cur *c, uint16_t *etype);
static int rp_decap_sll2(struct ph_cur *c, uint16_t *etype);
static int rp_decap_null(struct ph_cur *c, uint16_t *etype);
static int rp_decap_loop(struct ph_cur *c, uint16_t *etype);

static const struct rp_linktype {
	int dlt;
	const char *name;
	rp_decap_fn decap;
} rp_linktypes[] = {
	{ DLT_EN10MB, "EN10MB", rp_decap_ether },
	{ DLT_RAW, "RAW", rp_decap_raw },
	{ DLT_IPV4, "IPV4", rp_decap_raw },
	{ DLT_LINUX_SLL, "LINUX_SLL", rp_decap_sll },
	{ DLT_LINUX_SLL2, "LINUX_SLL2", rp_decap_sll2 },
	{ DLT_NULL, "NULL", rp_decap_null },
	{ DLT_LOOP, "LOOP", rp_decap_loop },
};

static const char *const rp_skip_names[RP_SKIP_MAX] = { [RP_SKIP_NONE] = "none",
#define RP_SKIP_NAME(sym, name) [RP_SKIP_##sym] = name,
							RP_SKIPS(RP_SKIP_NAME)
#undef RP_SKIP_NAME
};

const char *
rp_skip_name(unsigned s)
{
	return s < RP_SKIP_MAX ? rp_skip_names[s] : "?";
}

static const struct rp_linktype *
rp_linktype(int dlt)
{
	for (size_t i = 0; i < sizeof(rp_linktypes) / sizeof(rp_linktypes[0]);
	     i++)
		if (rp_linktypes[i].dlt == dlt)
			return &rp_linktypes[i];
	return NULL;
}

const char *
rp_dlt_name(int dlt)
{
	const struct rp_linktype *lt = rp_linktype(dlt);

	return lt ? lt->name : "?";
}

/* --- link layers ----------------------------------------------------------- */

static int
rp_decap_ether(struct ph_cur *c, uint16_t *etype)
{
	if (ph_cur_skip(c, 12) || ph_cur_u16(c, etype))
		return -1;
	while (*etype == RP_ETH_VLAN || *etype == RP_ETH_QINQ ||
	       *etype == RP_ETH_QINQ_OLD) {
		if (ph_cur_skip(c, 2) || ph_cur_u16(c, etype))
			return -1;
	}
	return 0;
}

static int
rp_decap_raw(struct ph_cur *c, uint16_t *etype)
{
	if (ph_cur_left(c) < 1)
		return -1;
	switch (c->p[0] >> 4) {
	case 4:
		*etype = RP_ETH_IPV4;
		break;
	case 6:
		*etype = RP_ETH_IPV6;
		break;
	default:
		*etype = 0;
	}
	return 0;
}

static int
rp_decap_sll(struct ph_cur *c, uint16_t *etype)
{
	/* packet type, ARPHRD, address length, 8 address bytes, protocol */
	return ph_cur_skip(c, 14) || ph_cur_u16(c, etype) ? -1 : 0;
}

static int
rp_decap_sll2(struct ph_cur *c, uint16_t *etype)
{
	/* protocol, reserved, ifindex, ARPHRD, type, addr len, 8 addr */
	return ph_cur_u16(c, etype) || ph_cur_skip(c, 18) ? -1 : 0;
}

static int
rp_decap_family(struct ph_cur *c, uint16_t *etype, bool any_order)
{
	uint32_t af;

	if (ph_cur_u32(c, &af))
		return -1;
	if (any_order && af != RP_AF_INET)
		af = bswap_32(af);
	*etype = af == RP_AF_INET ? RP_ETH_IPV4 : 0;
	return 0;
}

static int
rp_decap_null(struct ph_cur *c, uint16_t *etype)
{
	/* the capturing host's byte order, which we do not know */
	return rp_decap_family(c, etype, true);
}

static int
rp_decap_loop(struct ph_cur *c, uint16_t *etype)
{
	return rp_decap_family(c, etype, false);
}

/* --- file precision ---------------------------------------------------------- */

static int
rp_cur_u32e(struct ph_cur *c, bool le, uint32_t *v)
{
	if (ph_cur_u32(c, v))
		return -1;
	if (le)
		*v = bswap_32(*v);
	return 0;
}

static int
rp_cur_u16e(struct ph_cur *c, bool le, uint16_t *v)
{
	if (ph_cur_u16(c, v))
		return -1;
	if (le)
		*v = bswap_16(*v);
	return 0;
}

/* if_tsresol (option 9) of a pcapng IDB body after its fixed 8 bytes. */
static bool
rp_pcapng_idb_nano(struct ph_cur *c, bool le)
{
	uint16_t code, olen;
	uint8_t res;

	while (!rp_cur_u16e(c, le, &code) && !rp_cur_u16e(c, le, &olen)) {
		if (code == 0)
			break;
		if (code == 9 && olen >= 1 && !ph_cur_u8(c, &res))
			return !(res & 0x80) && res > 6;
		if (ph_cur_skip(c, (size_t)(olen + 3) & ~(size_t)3))
			break;
	}
	return false;
}

/* pcapng: skip the section header block, look at the first IDB. */
static bool
rp_pcapng_nano(FILE *fp, const uint8_t *head, size_t n)
{
	uint8_t buf[RP_HDR_READ];
	struct ph_cur c;
	uint32_t shb_len, type, len;
	bool le = n >= 12 && ph_get_be32(head + 8) == 0x4d3c2b1a;

	ph_cur_init(&c, (uint8_t *)(uintptr_t)head, n);
	if (ph_cur_skip(&c, 4) || rp_cur_u32e(&c, le, &shb_len))
		return false;
	if (fseek(fp, (long)shb_len, SEEK_SET) != 0)
		return false;
	n = fread(buf, 1, sizeof(buf), fp);
	ph_cur_init(&c, buf, n);
	if (rp_cur_u32e(&c, le, &type) || rp_cur_u32e(&c, le, &len) ||
	    type != 1 || ph_cur_skip(&c, 8))
		return false;
	if (len >= 20 && len - 4 <= n)
		c.end = buf + len - 4; /* stop before the trailing length */
	return rp_pcapng_idb_nano(&c, le);
}

/* Does the file store nanoseconds?  Reads its header, then rewinds. */
static bool
rp_file_nano(FILE *fp)
{
	uint8_t head[16];
	size_t n = fread(head, 1, sizeof(head), fp);
	bool nano = false;

	if (n >= 4) {
		uint32_t m = ph_get_be32(head);

		if (m == 0xa1b23c4d || m == 0x4d3cb2a1)
			nano = true;
		else if (m == 0x0a0d0d0a)
			nano = rp_pcapng_nano(fp, head, n);
	}
	rewind(fp);
	return nano;
}

/* --- reading ------------------------------------------------------------------ */

/* Read the next frame of input i into its buffer; sets have. */
static int
rp_input_read(struct rp_input *in, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(in->pcap, &h, &data);

	in->have = false;
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "%s: %s", in->path,
			 pcap_geterr(in->pcap));
		return -1;
	}
	if (h->caplen > in->cap) {
		uint8_t *nb = realloc(in->buf, h->caplen);

		if (nb == NULL) {
			snprintf(err, errlen, "%s: %s", in->path,
				 strerror(errno));
			return -1;
		}
		in->buf = nb;
		in->cap = h->caplen;
	}
	memcpy(in->buf, data, h->caplen);
	in->hdr = *h;
	in->frameno++;
	in->have = true;
	return 0;
}

static ph_time_t
rp_input_time(const struct rp_input *in)
{
	/* opened with nanosecond precision: tv_usec holds nanoseconds */
	return ph_time_from_ns((uint64_t)in->hdr.ts.tv_sec * PH_NSEC_PER_SEC +
			       (uint64_t)in->hdr.ts.tv_usec);
}

static bool
rp_heap_less(const struct rp_inputs *s, unsigned a, unsigned b)
{
	ph_time_t ta = rp_input_time(&s->in[a]);
	ph_time_t tb = rp_input_time(&s->in[b]);

	if (ta.ns != tb.ns)
		return ta.ns < tb.ns;
	return a < b;
}

static void
rp_heap_swap(struct rp_inputs *s, unsigned i, unsigned j)
{
	unsigned t = s->heap[i];

	s->heap[i] = s->heap[j];
	s->heap[j] = t;
}

static void
rp_heap_push(struct rp_inputs *s, unsigned idx)
{
	unsigned i = s->n_heap++;

	s->heap[i] = idx;
	while (i > 0 && rp_heap_less(s, s->heap[i], s->heap[(i - 1) / 2])) {
		rp_heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static unsigned
rp_heap_pop(struct rp_inputs *s)
{
	unsigned top = s->heap[0], i = 0;

	s->heap[0] = s->heap[--s->n_heap];
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->n_heap && rp_heap_less(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->n_heap && rp_heap_less(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			break;
		rp_heap_swap(s, i, m);
		i = m;
	}
	return top;
}

/* --- public ------------------------------------------------------------------ */

struct rp_inputs *
rp_inputs_new(void)
{
	struct rp_inputs *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->last = -1;
	return s;
}

void
rp_inputs_free(struct rp_inputs *s)
{
	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		pcap_close(s->in[i].pcap);
		free(s->in[i].path);
		free(s->in[i].buf);
	}
	free(s);
}

static pcap_t *
rp_open(const char *path, bool *nano, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	FILE *fp;

	*nano = false;
	if (strcmp(path, "-") == 0) {
		p = pcap_open_offline_with_tstamp_precision(
			path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	} else {
		fp = fopen(path, "rb");
		if (fp == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return NULL;
		}
		*nano = rp_file_nano(fp);
		p = pcap_fopen_offline_with_tstamp_precision(
			fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
		if (p == NULL)
			fclose(fp);
	}
	if (p == NULL)
		snprintf(err, errlen, "%s: %s", path, ebuf);
	return p;
}

/* Keep the link header of the first frame (whatever it carries): the
 * output of this interface frames packets after it. */
static void
rp_input_note_first(struct rp_input *in)
{
	struct ph_cur c;
	uint16_t etype;
	size_t hlen;

	ph_cur_init(&c, in->buf, in->hdr.caplen);
	in->first.dlt = in->dlt;
	if (rp_linktype(in->dlt)->decap(&c, &etype) != 0)
		return;
	hlen = ph_cur_off(&c);
	if (hlen > RP_L2_MAX)
		return;
	memcpy(in->first.hdr, in->buf, hlen);
	in->first.len = (uint8_t)hlen;
}

int
rp_inputs_add(struct rp_inputs *s, const char *path, uint16_t ifidx, char *err,
	      size_t errlen)
{
	struct rp_input *in;

	if (s->n == RP_INPUTS_MAX) {
		snprintf(err, errlen, "%s: more than %d input captures", path,
			 RP_INPUTS_MAX);
		return -1;
	}
	in = &s->in[s->n];
	memset(in, 0, sizeof(*in));
	in->pcap = rp_open(path, &in->nano, err, errlen);
	if (in->pcap == NULL)
		return -1;
	in->path = strdup(path);
	in->ifidx = ifidx;
	in->dlt = pcap_datalink(in->pcap);
	in->first.dlt = in->dlt; /* even when the file has no frame */
	s->n++;
	if (in->path == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -1;
	}
	if (rp_linktype(in->dlt) == NULL) {
		snprintf(err, errlen, "%s: unsupported link type %s (%d)", path,
			 pcap_datalink_val_to_name(in->dlt), in->dlt);
		return -1;
	}
	if (rp_input_read(in, err, errlen) != 0)
		return -1;
	if (in->have) {
		rp_input_note_first(in);
		rp_heap_push(s, s->n - 1);
	}
	return 0;
}

/* Strip the link header of the frame in `in` into f. */
static void
rp_frame_fill(struct rp_input *in, struct rp_frame *f)
{
	const struct rp_linktype *lt = rp_linktype(in->dlt);
	struct ph_cur c;
	uint16_t etype = 0;
	size_t hlen;

	ph_cur_init(&c, in->buf, in->hdr.caplen);
	f->ip = NULL;
	f->ip_len = 0;
	f->l2.dlt = in->dlt;
	f->l2.len = 0;
	if (lt->decap(&c, &etype) != 0) {
		f->skip = RP_SKIP_SHORT_LINK;
		return;
	}
	if (etype != RP_ETH_IPV4) {
		f->skip = RP_SKIP_NON_IPV4;
		return;
	}
	hlen = ph_cur_off(&c);
	if (hlen <= RP_L2_MAX) {
		memcpy(f->l2.hdr, in->buf, hlen);
		f->l2.len = (uint8_t)hlen;
	}
	f->ip = c.p;
	f->ip_len = ph_cur_left(&c);
	f->skip = RP_SKIP_NONE;
	/* cut short by the snap length: not what was on the wire */
	if (in->hdr.caplen < in->hdr.len &&
	    (f->ip_len < 4 || ph_get_be16(f->ip + 2) > f->ip_len)) {
		f->skip = RP_SKIP_TRUNCATED;
		f->ip = NULL;
		f->ip_len = 0;
	}
}

int
rp_inputs_next(struct rp_inputs *s, struct rp_frame *f, char *err,
	       size_t errlen)
{
	struct rp_input *in;
	unsigned idx;

	if (s->last >= 0) {
		in = &s->in[s->last];
		s->last = -1;
		if (rp_input_read(in, err, errlen) != 0)
			return -1;
		if (in->have)
			rp_heap_push(s, (unsigned)(in - s->in));
	}
	if (s->n_heap == 0)
		return 0;
	idx = rp_heap_pop(s);
	s->last = (int)idx;
	in = &s->in[idx];
	f->ts = rp_input_time(in);
	f->ifidx = in->ifidx;
	f->input = idx;
	f->frameno = in->frameno;
	rp_frame_fill(in, f);
	return 1;
}

bool
rp_inputs_peek(const struct rp_inputs *s, ph_time_t *ts)
{
	if (s->n_heap == 0)
		return false;
	*ts = rp_input_time(&s->in[s->heap[0]]);
	return true;
}

const struct rp_l2 *
rp_inputs_iface(const struct rp_inputs *s, uint16_t ifidx, bool *nano)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (s->in[i].ifidx != ifidx)
			continue;
		*nano = s->in[i].nano;
		return &s->in[i].first;
	}
	return NULL;
}

unsigned
rp_inputs_count(const struct rp_inputs *s, uint16_t ifidx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n; i++)
		n += s->in[i].ifidx == ifidx;
	return n;
}

bool
rp_inputs_any_nano(const struct rp_inputs *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->in[i].nano)
			return true;
	return false;
}

const char *
rp_inputs_path(const struct rp_inputs *s, unsigned i)
{
	return i < s->n ? s->in[i].path : "?";
}
