/*
 * daemon/nfq.c - NFQUEUE packet I/O (see nfq.h for the contract).
 *
 * Receive path: recvmmsg() into `batch` buffers of PH_NFQ_BUFSZ bytes; each
 * datagram from nfnetlink_queue carries one NFQNL_MSG_PACKET (or an error
 * ack for one of our verdicts).  Attributes are parsed by
 * ph_nfq_parse_attrs(), with nfq_nlmsg_parse()'s checks of their types and
 * lengths.
 *
 * Send path: verdicts are built back to back in one send buffer and sent
 * with a single sendto at the end of a read; nfnetlink handles every
 * message of a datagram in order and acks only failures.  A run of equal
 * unmodified verdicts becomes one NFQNL_MSG_VERDICT_BATCH for the highest
 * id of the run: the kernel applies it to every queued packet with an id up
 * to that one, which are exactly the packets of the run, because packets
 * are handed over in id order and every earlier packet already has its
 * verdict in the buffer ahead of the batch message.  A deferred packet
 * breaks that reasoning (it is still queued below later ids), so while one
 * is outstanding every verdict is sent singly.
 *
 * Known limits: a datagram truncated by the receive buffer cannot be
 * parsed, and its packet stays queued until the handle closes (cannot
 * happen with the copy range capped at 65531 and PH_NFQ_BUFSZ above it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "daemon/nfq.h"

/* Largest packet message: headers and metadata plus a 65531-byte payload */
#define PH_NFQ_BUFSZ	   (65536 + 4096)
#define PH_NFQ_SBUF_MAX	   (512u << 10)
#define PH_NFQ_SNDBUF	   (2u << 20)
#define PH_NFQ_PAYLOAD_MAX 65531 /* u16 nla_len minus the 4-byte header */
#define PH_NFQ_VMSG_MAX	   (PH_NFQ_PAYLOAD_MAX + 256)
#define PH_NFQ_LOG_GAP_NS  1000000000ull
#define PH_NFQ_PROC	   "/proc/net/netfilter/nfnetlink_queue"

/* A deferred packet: its id and what its checksum state was. */
struct ph_nfq_def {
	uint32_t id;
	bool csum_partial;
	bool gso;
};

/* Rate limiter for one kind of log line. */
struct ph_nfq_rl {
	uint64_t last_ns;
	uint64_t suppressed;
};

struct ph_nfq {
	struct mnl_socket *nl;
	int fd;
	uint16_t qnum;
	bool bound; /* the kernel accepted our bind */
	struct ph_nfq_opts o;
	/* receive */
	uint8_t *rbuf;
	struct mmsghdr *msgs;
	struct iovec *iov;
	int nread; /* datagrams read by ph_nfq_read(), not yet processed */
	/* packets parsed from the read, waiting for the batch callback */
	struct ph_nfq_pkt *bpkt;
	uint32_t *borig; /* each packet's length before the callback */
	enum ph_nfq_verdict *bv;
	uint32_t bn;
	/* send */
	uint8_t *sbuf;
	size_t scap, slen;
	bool run_active; /* a batch verdict is being accumulated */
	uint32_t run_id;
	int run_verdict;
	/* deferred */
	struct ph_nfq_def *def;
	size_t ndef, cdef;
	/* counters */
	struct ph_nfq_stats st;
	struct ph_nfq_rl rl_enobufs, rl_verr, rl_send;
};

/* ---- logging -------------------------------------------------------------- */

static uint64_t
ph_nfq_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ph_nfq_log(const struct ph_nfq *q, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
ph_nfq_log(const struct ph_nfq *q, int prio, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (q->o.log != NULL)
		q->o.log(q->o.log_arg, prio, msg);
	else
		fprintf(stderr, "nfq: %s\n", msg);
}

/* True when a line of this kind may be logged now (one a second). */
static bool
ph_nfq_rl_ok(struct ph_nfq_rl *rl)
{
	uint64_t now = ph_nfq_now_ns();

	if (rl->last_ns != 0 && now - rl->last_ns < PH_NFQ_LOG_GAP_NS) {
		rl->suppressed++;
		return false;
	}
	rl->last_ns = now;
	return true;
}

/* ---- checksum completion ------------------------------------------------ */

static uint16_t
ph_nfq_load16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Complete a CHECKSUM_PARTIAL TCP/UDP checksum in an IPv4 packet: the
 * field holds the folded pseudo-header sum; the final checksum is the
 * complement of the sum over the whole L4 segment, field included, which is
 * what a NIC does with csum_start/csum_offset.  Returns true if done.
 */
static bool
ph_nfq_csum_complete(uint8_t *p, size_t len)
{
	size_t ihl, tot, l4len, off, i;
	uint32_t sum = 0;
	uint16_t c;

	if (len < 20 || p[0] >> 4 != 4)
		return false;
	ihl = (size_t)(p[0] & 0x0f) * 4;
	tot = ph_nfq_load16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		return false;
	if ((ph_nfq_load16(p + 6) & 0x3fff) != 0) /* MF or offset */
		return false;
	if (p[9] == IPPROTO_TCP)
		off = 16;
	else if (p[9] == IPPROTO_UDP)
		off = 6;
	else
		return false;
	l4len = tot - ihl;
	if (l4len < off + 2)
		return false;
	p += ihl;
	for (i = 0; i + 1 < l4len; i += 2)
		sum += ph_nfq_load16(p + i);
	if (i < l4len)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	if (c == 0 && off == 6)
		c = 0xffff; /* UDP: 0 means "no checksum" (RFC 768) */
	p[off] = (uint8_t)(c >> 8);
	p[off + 1] = (uint8_t)c;
	return true;
}

/* ---- send buffer ---------------------------------------------------------- */

static int
ph_nfq_send(struct ph_nfq *q)
{
	int err = 0;

	if (q->slen == 0)
		return 0;
	if (mnl_socket_sendto(q->nl, q->sbuf, q->slen) < 0) {
		err = -errno;
		q->st.send_errors++;
		if (ph_nfq_rl_ok(&q->rl_send))
			ph_nfq_log(q, LOG_ERR, "queue %u: sending verdicts: %s",
				   q->qnum, strerror(-err));
	}
	q->slen = 0;
	return err;
}

/* Make room for a message of up to need bytes; may send what is queued. */
static struct nlmsghdr *
ph_nfq_msg_start(struct ph_nfq *q, size_t need, int type, int *err)
{
	*err = 0;
	if (q->slen + need > q->scap)
		*err = ph_nfq_send(q);
	return nfq_nlmsg_put((char *)q->sbuf + q->slen, type, q->qnum);
}

static void
ph_nfq_msg_end(struct ph_nfq *q, const struct nlmsghdr *nlh)
{
	q->slen += NLMSG_ALIGN(nlh->nlmsg_len);
	q->st.verdict_msgs++;
}

static int
ph_nfq_kverdict(enum ph_nfq_verdict v)
{
	return v == PH_NFQ_ACCEPT ? NF_ACCEPT : NF_DROP;
}

/* Queue the pending batch verdict, if any. */
static int
ph_nfq_flush_run(struct ph_nfq *q)
{
	struct nlmsghdr *nlh;
	int err;

	if (!q->run_active)
		return 0;
	nlh = ph_nfq_msg_start(q, 64, NFQNL_MSG_VERDICT_BATCH, &err);
	nfq_nlmsg_verdict_put(nlh, (int)q->run_id, q->run_verdict);
	ph_nfq_msg_end(q, nlh);
	q->run_active = false;
	return err;
}

/*
 * Queue a single verdict; with data, the packet's new bytes (completing a
 * partial checksum in our copy when the kernel would not).
 */
static int
ph_nfq_put_single(struct ph_nfq *q, uint32_t id, int kv, const uint8_t *data,
		  size_t len, bool csum_partial, bool gso)
{
	struct nlmsghdr *nlh;
	struct nlattr *a;
	int err, err2;

	err = ph_nfq_flush_run(q);
	nlh = ph_nfq_msg_start(q, 64 + len, NFQNL_MSG_VERDICT, &err2);
	if (err == 0)
		err = err2;
	nfq_nlmsg_verdict_put(nlh, (int)id, kv);
	if (data != NULL) {
		a = mnl_nlmsg_get_payload_tail(nlh);
		nfq_nlmsg_verdict_put_pkt(nlh, data, (uint32_t)len);
		if (csum_partial && !gso &&
		    ph_nfq_csum_complete(mnl_attr_get_payload(a), len))
			q->st.csum_completed++;
	}
	ph_nfq_msg_end(q, nlh);
	return err;
}

/* Queue an unmodified accept or drop, extending the batch run if we can. */
static int
ph_nfq_put_simple(struct ph_nfq *q, uint32_t id, enum ph_nfq_verdict v)
{
	int kv = ph_nfq_kverdict(v);
	int err = 0;

	if (v == PH_NFQ_ACCEPT)
		q->st.accepted++;
	else
		q->st.dropped++;
	if (q->o.per_packet || q->ndef > 0)
		return ph_nfq_put_single(q, id, kv, NULL, 0, false, false);
	if (q->run_active && q->run_verdict != kv)
		err = ph_nfq_flush_run(q);
	q->run_active = true;
	q->run_verdict = kv;
	q->run_id = id;
	return err;
}

int
ph_nfq_flush_verdicts(struct ph_nfq *q)
{
	int err = ph_nfq_flush_run(q);
	int err2 = ph_nfq_send(q);

	return err != 0 ? err : err2;
}

/* ---- deferred packets ------------------------------------------------- */

static int
ph_nfq_def_add(struct ph_nfq *q, const struct ph_nfq_pkt *pkt)
{
	struct ph_nfq_def *d;
	size_t ncap;

	if (q->ndef == q->cdef) {
		ncap = q->cdef ? q->cdef * 2 : 64;
		d = reallocarray(q->def, ncap, sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		q->def = d;
		q->cdef = ncap;
	}
	d = &q->def[q->ndef++];
	d->id = pkt->id;
	d->csum_partial = pkt->csum_partial;
	d->gso = pkt->gso;
	return 0;
}

size_t
ph_nfq_deferred(const struct ph_nfq *q)
{
	return q->ndef;
}

int
ph_nfq_verdict(struct ph_nfq *q, uint32_t id, enum ph_nfq_verdict v,
	       const uint8_t *data, size_t len)
{
	struct ph_nfq_def d;
	size_t i;

	if (v != PH_NFQ_ACCEPT && v != PH_NFQ_DROP)
		return -EINVAL;
	if (data != NULL && (len < 20 || len > PH_NFQ_PAYLOAD_MAX))
		return -EINVAL;
	for (i = 0; i < q->ndef && q->def[i].id != id; i++)
		;
	if (i == q->ndef)
		return -ENOENT;
	d = q->def[i];
	q->def[i] = q->def[--q->ndef];
	if (v == PH_NFQ_DROP) {
		q->st.dropped++;
		data = NULL;
	} else {
		q->st.accepted++;
		if (data != NULL)
			q->st.modified++;
	}
	return ph_nfq_put_single(q, id, ph_nfq_kverdict(v), data, len,
				 d.csum_partial, d.gso);
}

/* ---- receive path --------------------------------------------------------- */

/*
 * Exact payload length of the fixed-size attributes of a packet message,
 * as nfq_nlmsg_parse() checks them (0: any length).
 */
static const uint8_t ph_nfq_attr_len[NFQA_MAX + 1] = {
	[NFQA_PACKET_HDR] = sizeof(struct nfqnl_msg_packet_hdr),
	[NFQA_MARK] = 4,
	[NFQA_TIMESTAMP] = sizeof(struct nfqnl_msg_packet_timestamp),
	[NFQA_IFINDEX_INDEV] = 4,
	[NFQA_IFINDEX_OUTDEV] = 4,
	[NFQA_IFINDEX_PHYSINDEV] = 4,
	[NFQA_IFINDEX_PHYSOUTDEV] = 4,
	[NFQA_HWADDR] = sizeof(struct nfqnl_msg_packet_hw),
	[NFQA_CT_INFO] = 4,
	[NFQA_CAP_LEN] = 4,
	[NFQA_SKB_INFO] = 4,
	[NFQA_UID] = 4,
	[NFQA_GID] = 4,
};

/*
 * The attributes of a packet message into attr[], with the checks of
 * nfq_nlmsg_parse() (a walk that stops at the first attribute that does
 * not fit, types above NFQA_MAX skipped, fixed sizes exact) but without
 * its callback and per-attribute library calls: about 600 instructions
 * a packet less, a seventh of the daemon's user time per connection.
 * Returns 0, or -1 when a fixed-size attribute has the wrong length.
 */
static int
ph_nfq_parse_attrs(const struct nlmsghdr *nlh, struct nlattr **attr)
{
	const uint8_t *p =
		mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg));
	const uint8_t *end = mnl_nlmsg_get_payload_tail(nlh);

	while (end - p >= (ptrdiff_t)sizeof(struct nlattr)) {
		struct nlattr *a = (struct nlattr *)p;
		uint16_t type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < sizeof(struct nlattr) || a->nla_len > end - p)
			break;
		if (type <= NFQA_MAX) {
			if (ph_nfq_attr_len[type] != 0 &&
			    a->nla_len - sizeof(struct nlattr) !=
				    ph_nfq_attr_len[type])
				return -1;
			attr[type] = a;
		}
		p += MNL_ALIGN(a->nla_len);
	}
	return 0;
}

/* Fill pkt from a parsed message; false if it is unusable. */
static bool
ph_nfq_fill(struct nlattr **attr, struct ph_nfq_pkt *pkt)
{
	const uint8_t *ph;
	uint32_t v;

	memset(pkt, 0, sizeof(*pkt));
	if (attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < 7)
		return false;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	memcpy(&v, ph, 4); /* struct nfqnl_msg_packet_hdr, packed */
	pkt->id = ntohl(v);
	pkt->hw_protocol = ph_nfq_load16(ph + 4);
	pkt->hook = ph[6];
	if (attr[NFQA_IFINDEX_INDEV] != NULL)
		pkt->indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_MARK] != NULL)
		pkt->mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	if (attr[NFQA_SKB_INFO] != NULL) {
		v = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
		pkt->csum_partial = (v & NFQA_SKB_CSUMNOTREADY) != 0;
		pkt->gso = (v & NFQA_SKB_GSO) != 0;
	}
	if (attr[NFQA_PAYLOAD] == NULL)
		return true; /* id is good; caller drops it */
	pkt->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
	pkt->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	pkt->wire_len = pkt->len;
	if (attr[NFQA_CAP_LEN] != NULL)
		pkt->wire_len = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	pkt->truncated = pkt->wire_len > pkt->len;
	return true;
}

/* Act on the callback's verdict for pkt. */
static void
ph_nfq_apply(struct ph_nfq *q, struct ph_nfq_pkt *pkt, enum ph_nfq_verdict v,
	     uint32_t orig_len)
{
	if (v == PH_NFQ_DEFER) {
		if (ph_nfq_flush_run(q) == 0 && ph_nfq_def_add(q, pkt) == 0) {
			q->st.deferred++;
			return;
		}
		v = PH_NFQ_DROP; /* cannot track it: fail closed */
	}
	if (v != PH_NFQ_ACCEPT || !pkt->modified) {
		ph_nfq_put_simple(q, pkt->id,
				  v == PH_NFQ_ACCEPT ? v : PH_NFQ_DROP);
		return;
	}
	if (pkt->truncated || pkt->len > orig_len || pkt->len < 20) {
		q->st.truncated_mod++;
		ph_nfq_put_simple(q, pkt->id, PH_NFQ_DROP);
		return;
	}
	q->st.accepted++;
	q->st.modified++;
	ph_nfq_put_single(q, pkt->id, NF_ACCEPT, pkt->data, pkt->len,
			  pkt->csum_partial, pkt->gso);
}

/* Parse one packet message; false when there is nothing left to decide. */
static bool
ph_nfq_take_packet(struct ph_nfq *q, const struct nlmsghdr *nlh,
		   struct ph_nfq_pkt *pkt)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };

	if (ph_nfq_parse_attrs(nlh, attr) < 0 || !ph_nfq_fill(attr, pkt)) {
		q->st.malformed++;
		return false;
	}
	if (pkt->data == NULL) {
		q->st.malformed++;
		ph_nfq_put_simple(q, pkt->id, PH_NFQ_DROP);
		return false;
	}
	q->st.received++;
	return true;
}

/* Decide the packets parsed so far with one callback, then queue their
 * verdicts in kernel id order. */
static int
ph_nfq_run_batch(struct ph_nfq *q, ph_nfq_batch_fn cb, void *arg)
{
	uint32_t i, n = q->bn;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		q->bv[i] = PH_NFQ_DROP;
	cb(arg, q->bpkt, q->bv, n);
	for (i = 0; i < n; i++)
		ph_nfq_apply(q, &q->bpkt[i], q->bv[i], q->borig[i]);
	q->bn = 0;
	return (int)n;
}

static void
ph_nfq_handle_error(struct ph_nfq *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || e->error == 0)
		return;
	q->st.verdict_errors++;
	if (ph_nfq_rl_ok(&q->rl_verr)) {
		ph_nfq_log(q, LOG_WARNING,
			   "queue %u: verdict refused: %s (%llu similar "
			   "suppressed)",
			   q->qnum, strerror(-e->error),
			   (unsigned long long)q->rl_verr.suppressed);
		q->rl_verr.suppressed = 0;
	}
}

/* One datagram: packet messages (parsed into the batch, decided when it
 * is full) and error acks. */
static int
ph_nfq_handle_dgram(struct ph_nfq *q, const uint8_t *buf, size_t len,
		    ph_nfq_batch_fn cb, void *arg)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int rem = (int)len, n = 0;

	/* the last message may end unaligned: mnl_nlmsg_next() then leaves
	 * rem negative, which is fine */
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			ph_nfq_handle_error(q, nlh);
			continue;
		}
		if (nlh->nlmsg_type !=
			    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET) ||
		    !ph_nfq_take_packet(q, nlh, &q->bpkt[q->bn]))
			continue;
		q->borig[q->bn] = q->bpkt[q->bn].len;
		if (++q->bn == q->o.batch)
			n += ph_nfq_run_batch(q, cb, arg);
	}
	return n;
}

static void
ph_nfq_note_enobufs(struct ph_nfq *q)
{
	q->st.enobufs++;
	if (!ph_nfq_rl_ok(&q->rl_enobufs))
		return;
	ph_nfq_log(q, LOG_WARNING,
		   "queue %u: receive buffer overrun (ENOBUFS), packets "
		   "dropped by the kernel; %llu more reports suppressed",
		   q->qnum, (unsigned long long)q->rl_enobufs.suppressed);
	q->rl_enobufs.suppressed = 0;
}

int
ph_nfq_read(struct ph_nfq *q)
{
	int n;

	if (q->nread > 0)
		return q->nread; /* not processed yet: keep it */
	n = recvmmsg(q->fd, q->msgs, q->o.batch, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS) {
			ph_nfq_note_enobufs(q);
			return 0;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		return -errno;
	}
	q->st.reads++;
	q->nread = n;
	return n;
}

int
ph_nfq_process_batch(struct ph_nfq *q, ph_nfq_batch_fn cb, void *arg)
{
	int i, handled = 0;

	for (i = 0; i < q->nread; i++) {
		if (q->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			q->st.malformed++;
		handled += ph_nfq_handle_dgram(q, q->iov[i].iov_base,
					       q->msgs[i].msg_len, cb, arg);
	}
	handled += ph_nfq_run_batch(q, cb, arg);
	q->nread = 0;
	return handled;
}

/* ph_nfq_process() on top of the batch path: one callback per packet. */
struct ph_nfq_each {
	ph_nfq_pkt_fn cb;
	void *arg;
};

static void
ph_nfq_each_pkt(void *arg, struct ph_nfq_pkt *pkts, enum ph_nfq_verdict *v,
		uint32_t n)
{
	struct ph_nfq_each *e = arg;

	for (uint32_t i = 0; i < n; i++)
		v[i] = e->cb(e->arg, &pkts[i]);
}

int
ph_nfq_process(struct ph_nfq *q, ph_nfq_pkt_fn cb, void *arg)
{
	struct ph_nfq_each e = { cb, arg };

	return ph_nfq_process_batch(q, ph_nfq_each_pkt, &e);
}

uint32_t
ph_nfq_batch_max(const struct ph_nfq *q)
{
	return q->o.batch;
}

int
ph_nfq_recv_batch(struct ph_nfq *q, ph_nfq_pkt_fn cb, void *arg)
{
	int n, handled, err;

	n = ph_nfq_read(q);
	if (n <= 0)
		return n;
	handled = ph_nfq_process(q, cb, arg);
	err = ph_nfq_flush_verdicts(q);
	(void)err; /* counted and logged by ph_nfq_send() */
	return handled;
}

/* ---- set-up ------------------------------------------------------------------ */

/* Big receive buffer: FORCE needs CAP_NET_ADMIN, else capped by rmem_max */
static void
ph_nfq_set_bufs(struct ph_nfq *q)
{
	int rcv = (int)q->o.rcvbuf, snd = PH_NFQ_SNDBUF, got = 0;
	socklen_t sl = sizeof(got);

	if (setsockopt(q->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) <
	    0) {
		setsockopt(q->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		ph_nfq_log(q, LOG_NOTICE,
			   "queue %u: SO_RCVBUFFORCE refused (%s), using "
			   "SO_RCVBUF",
			   q->qnum, strerror(errno));
	}
	if (setsockopt(q->fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) <
	    0)
		setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	/* netlink refuses a datagram larger than sk_sndbuf - 32 */
	if (getsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &got, &sl) == 0 &&
	    got > PH_NFQ_VMSG_MAX * 2)
		q->scap = (size_t)got - 1024;
	else
		q->scap = PH_NFQ_VMSG_MAX * 2;
	if (q->scap > PH_NFQ_SBUF_MAX)
		q->scap = PH_NFQ_SBUF_MAX;
}

static int
ph_nfq_set_sockopts(struct ph_nfq *q)
{
	int off = 0, on = 1;

	ph_nfq_set_bufs(q);
	if (mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &off,
				  sizeof(off)) < 0)
		return -errno;
	/* error acks without a copy of our (possibly 64 KiB) verdict */
	mnl_socket_setsockopt(q->nl, NETLINK_CAP_ACK, &on, sizeof(on));
	return 0;
}

/* The one config message: bind, copy mode, queue length and flags. */
static size_t
ph_nfq_build_config(const struct ph_nfq *q, char *buf)
{
	uint32_t flags = 0, mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO;
	struct nlmsghdr *nlh;

	if (q->o.fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (!q->o.no_gso)
		flags |= NFQA_CFG_F_GSO;
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->qnum);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, PH_NFQ_COPY_RANGE);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->o.maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return nlh->nlmsg_len;
}

/*
 * Drop packets that arrive before the config ack: they are queued to us
 * already and would otherwise wait forever.  Returns the ack's error, 1 if
 * this datagram had no ack.
 */
static int
ph_nfq_config_reply(struct ph_nfq *q, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	struct nlattr *attr[NFQA_MAX + 1];
	struct ph_nfq_pkt pkt;
	int rem = (int)len, ret = 1;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			ret = e->error;
			continue;
		}
		memset(attr, 0, sizeof(attr));
		if (ph_nfq_parse_attrs(nlh, attr) >= 0 &&
		    ph_nfq_fill(attr, &pkt))
			ph_nfq_put_simple(q, pkt.id, PH_NFQ_DROP);
	}
	return ret;
}

static int
ph_nfq_configure(struct ph_nfq *q)
{
	size_t len = ph_nfq_build_config(q, (char *)q->sbuf);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(q->nl, q->sbuf, len) < 0)
		return -errno;
	do {
		n = recv(q->fd, q->rbuf, PH_NFQ_BUFSZ, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		ret = n < 0 ? 1 : ph_nfq_config_reply(q, q->rbuf, (size_t)n);
	} while (ret == 1);
	if (ret == 0)
		q->bound = true;
	ph_nfq_flush_verdicts(q);
	return ret;
}

static int
ph_nfq_alloc_bufs(struct ph_nfq *q)
{
	uint32_t i;

	q->rbuf = malloc((size_t)q->o.batch * PH_NFQ_BUFSZ);
	q->msgs = calloc(q->o.batch, sizeof(*q->msgs));
	q->iov = calloc(q->o.batch, sizeof(*q->iov));
	q->sbuf = malloc(PH_NFQ_SBUF_MAX);
	q->bpkt = calloc(q->o.batch, sizeof(*q->bpkt));
	q->borig = calloc(q->o.batch, sizeof(*q->borig));
	q->bv = calloc(q->o.batch, sizeof(*q->bv));
	if (!q->rbuf || !q->msgs || !q->iov || !q->sbuf || !q->bpkt ||
	    !q->borig || !q->bv)
		return -ENOMEM;
	for (i = 0; i < q->o.batch; i++) {
		q->iov[i].iov_base = q->rbuf + (size_t)i * PH_NFQ_BUFSZ;
		q->iov[i].iov_len = PH_NFQ_BUFSZ;
		q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
		q->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void
ph_nfq_opts_defaults(struct ph_nfq *q, const struct ph_nfq_opts *opts)
{
	if (opts != NULL)
		q->o = *opts;
	if (q->o.maxlen == 0)
		q->o.maxlen = PH_NFQ_MAXLEN_DEFAULT;
	if (q->o.rcvbuf == 0)
		q->o.rcvbuf = PH_NFQ_RCVBUF_DEFAULT;
	if (q->o.rcvbuf > INT32_MAX)
		q->o.rcvbuf = INT32_MAX;
	if (q->o.batch == 0)
		q->o.batch = PH_NFQ_BATCH_DEFAULT;
	if (q->o.batch > PH_NFQ_BATCH_MAX)
		q->o.batch = PH_NFQ_BATCH_MAX;
}

struct ph_nfq *
ph_nfq_open(uint16_t queue_num, const struct ph_nfq_opts *opts)
{
	struct ph_nfq *q = calloc(1, sizeof(*q));
	int err;

	if (q == NULL)
		return NULL;
	q->qnum = queue_num;
	ph_nfq_opts_defaults(q, opts);
	err = ph_nfq_alloc_bufs(q);
	if (err != 0)
		goto out_free;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (q->nl == NULL) {
		err = -errno;
		goto out_free;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_free;
	}
	err = ph_nfq_set_sockopts(q);
	if (err == 0)
		err = ph_nfq_configure(q);
	if (err == 0 && fcntl(q->fd, F_SETFL, O_NONBLOCK) < 0)
		err = -errno;
	if (err != 0)
		goto out_free;
	return q;

out_free:
	ph_nfq_close(q);
	errno = -err;
	return NULL;
}

int
ph_nfq_fd(const struct ph_nfq *q)
{
	return q->fd;
}

uint16_t
ph_nfq_queue_num(const struct ph_nfq *q)
{
	return q->qnum;
}

void
ph_nfq_stats(const struct ph_nfq *q, struct ph_nfq_stats *st)
{
	*st = q->st;
}

/* Parse up to n unsigned decimal fields separated by blanks. */
static size_t
ph_nfq_parse_u32s(const char *s, uint32_t *v, size_t n)
{
	size_t i;
	char *end;
	unsigned long x;

	for (i = 0; i < n; i++) {
		errno = 0;
		x = strtoul(s, &end, 10);
		if (end == s || errno != 0 || x > UINT32_MAX)
			break;
		v[i] = (uint32_t)x;
		s = end;
	}
	return i;
}

int
ph_nfq_kstats(uint16_t queue_num, struct ph_nfq_kstats *ks)
{
	char line[256];
	uint32_t v[8];
	FILE *f = fopen(PH_NFQ_PROC, "re");
	int ret = -ENOENT;

	if (f == NULL)
		return -errno;
	/* queue portid total copy_mode copy_range dropped user_dropped id */
	while (fgets(line, sizeof(line), f) != NULL) {
		if (ph_nfq_parse_u32s(line, v, 8) != 8 || v[0] != queue_num)
			continue;
		ks->queue_total = v[2];
		ks->queue_dropped = v[5];
		ks->user_dropped = v[6];
		ks->id_sequence = v[7];
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

void
ph_nfq_close(struct ph_nfq *q)
{
	char buf[128];
	struct nlmsghdr *nlh;

	if (q == NULL)
		return;
	if (q->nl != NULL) {
		if (q->bound)
			ph_nfq_flush_verdicts(q);
		if (q->bound) {
			nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->qnum);
			nfq_nlmsg_cfg_put_cmd(nlh, AF_INET,
					      NFQNL_CFG_CMD_UNBIND);
			mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len);
		}
		mnl_socket_close(q->nl);
	}
	free(q->def);
	free(q->bv);
	free(q->borig);
	free(q->bpkt);
	free(q->sbuf);
	free(q->iov);
	free(q->msgs);
	free(q->rbuf);
	free(q);
}
