/*
 * daemon/nfq.h - packet I/O with one NFQUEUE queue (libmnl +
 * libnetfilter_queue's nfq_nlmsg_* API).
 *
 * A handle owns one netlink socket bound to one queue, its receive and send
 * buffers and its counters; there are no globals, so one thread per queue
 * (`--queues N`) can each own a handle.  A handle is not locked: only one
 * thread may use it at a time.  ph_nfq_recv_batch() is also available in
 * three steps (ph_nfq_read(), ph_nfq_process() or ph_nfq_process_batch(),
 * ph_nfq_flush_verdicts()) so that a caller can hold a lock around the
 * callbacks only, and hand a whole read to the engine at once.
 *
 * Queue configuration: copy mode packet, copy range 65535 (the kernel caps
 * it at 65531), queue maxlen 8192 unless told, NFQA_CFG_F_GSO unless told
 * (the kernel then hands over GSO/GRO super-packets whole instead of
 * segmenting them first: about 8x the TCP throughput), fail-closed unless
 * fail_open (NFQA_CFG_F_FAIL_OPEN: the kernel accepts packets it cannot
 * queue instead of dropping them).  Socket: receive buffer 64 MiB with
 * SO_RCVBUFFORCE (SO_RCVBUF when not privileged), NETLINK_NO_ENOBUFS off so
 * overruns are reported, NETLINK_CAP_ACK so an error ack does not echo a
 * 64 KiB verdict back.
 *
 * Reading: ph_nfq_recv_batch() takes up to `batch` messages per recvmmsg()
 * and calls the packet callback for each, in kernel id order.  ENOBUFS
 * (the socket overran and the kernel dropped packets; fail-closed) is
 * counted and logged at most once a second, and reading goes on.  The
 * ENOBUFS count is NOT the number of packets lost: see ph_nfq_kstats() for
 * the kernel's own queue_dropped / user_dropped counters.
 *
 * Verdicts: unmodified accepts and drops are coalesced into one
 * NFQNL_MSG_VERDICT_BATCH per run of equal verdicts ("every packet with an
 * id up to N"); a rewritten packet gets its own NFQNL_MSG_VERDICT with the
 * new bytes (NFQA_PAYLOAD).  All verdict messages of one read go to the
 * kernel in one sendto.  A deferred (held) packet stays in the kernel until
 * ph_nfq_verdict() names its id (NFQUEUE accepts verdicts out of order);
 * while any packet is deferred, batching is suspended (a batch verdict
 * would also cover the held ids below it) and verdicts go one by one.
 *
 * Checksums (read this before rewriting): with GSO on, a packet may come
 * with CHECKSUM_PARTIAL (pkt->csum_partial): its TCP/UDP checksum field
 * holds only the folded pseudo-header sum, to be completed by the NIC or
 * the kernel.  The kernel marks every packet whose payload is replaced by a
 * verdict as CHECKSUM_NONE (nfqnl_mangle), so nobody completes it later.
 * Therefore, for a modified, csum_partial, non-GSO TCP or UDP packet, this
 * module completes the L4 checksum itself just before sending the verdict:
 * the rewriter must leave the field in partial form (update it for
 * pseudo-header changes only).  A modified GSO TCP packet needs nothing:
 * the kernel segments it in software and recomputes the pseudo-header sum
 * from the final addresses (tcp4_gso_segment).
 *
 * Kernel constraints on rewritten packets (nfqnl_mangle): the payload must
 * be the whole packet, so a truncated packet (len < wire_len, only for
 * packets over 65531 bytes) cannot be rewritten: such a verdict is turned
 * into a drop and counted.  Rewriting only works in network namespaces
 * owned by the initial user namespace (EPERM, and a silent drop,
 * otherwise).  Newer kernels also refuse changes to the IP header length,
 * IP options or fragment fields, and require tot_len == payload length.
 *
 * Known limits: IPv4 only (the packet data is handed over as is; the caller
 * checks the version).  No NFQA_CT, UID/GID or security context.
 */
#ifndef PH_DAEMON_NFQ_H
#define PH_DAEMON_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PH_NFQ_MAXLEN_DEFAULT 8192
#define PH_NFQ_RCVBUF_DEFAULT (64u << 20)
#define PH_NFQ_BATCH_DEFAULT  32
#define PH_NFQ_BATCH_MAX      1024
#define PH_NFQ_COPY_RANGE     65535

enum ph_nfq_verdict {
	PH_NFQ_ACCEPT = 0, /* reinject (rewritten when pkt->modified) */
	PH_NFQ_DROP,	   /* drop */
	PH_NFQ_DEFER,	   /* keep in the kernel; ph_nfq_verdict() later */
};

/* One queued packet, as the callback sees it. */
struct ph_nfq_pkt {
	uint32_t id;	      /* kernel packet id; names a deferred packet */
	uint8_t *data;	      /* network header; writable in the callback */
	uint32_t len;	      /* bytes at data; may be lowered if modified */
	uint32_t wire_len;    /* length in the kernel (NFQA_CAP_LEN) */
	uint32_t indev;	      /* ingress ifindex (NFQA_IFINDEX_INDEV), or 0 */
	uint32_t mark;	      /* NFQA_MARK, 0 when absent */
	uint16_t hw_protocol; /* ethertype, host order (0x0800 for IPv4) */
	uint8_t hook;	      /* NF_INET_* hook it was queued from */
	bool csum_partial;    /* NFQA_SKB_CSUMNOTREADY: L4 sum is partial */
	bool gso;	      /* NFQA_SKB_GSO: a GSO/GRO super-packet */
	bool truncated;	      /* len < wire_len: must not be modified */
	bool modified;	      /* set by the callback after rewriting data */
};

/*
 * Packet callback: decide one packet.  To rewrite, change pkt->data in
 * place (at most pkt->len bytes; pkt->len may be lowered), set
 * pkt->modified and return PH_NFQ_ACCEPT.  pkt->data is valid only during
 * the call: to defer, copy what you need and return PH_NFQ_DEFER.
 */
typedef enum ph_nfq_verdict (*ph_nfq_pkt_fn)(void *arg, struct ph_nfq_pkt *pkt);

/*
 * Batch callback: decide n packets at once (v[i] for pkts[i], in kernel id
 * order; v[] comes filled with PH_NFQ_DROP).  The rules of ph_nfq_pkt_fn
 * apply to each packet; the data stays valid until the callback returns.
 */
typedef void (*ph_nfq_batch_fn)(void *arg, struct ph_nfq_pkt *pkts,
				enum ph_nfq_verdict *v, uint32_t n);

/* Log sink: prio is a syslog LOG_* level; msg has no newline. */
typedef void (*ph_nfq_log_fn)(void *arg, int prio, const char *msg);

struct ph_nfq_opts {
	uint32_t maxlen;   /* kernel queue length; 0 = 8192 */
	uint32_t rcvbuf;   /* socket receive buffer; 0 = 64 MiB */
	uint32_t batch;	   /* messages per recvmmsg; 0 = 32, max 1024 */
	bool fail_open;	   /* NFQA_CFG_F_FAIL_OPEN */
	bool no_gso;	   /* do not set NFQA_CFG_F_GSO */
	bool per_packet;   /* never batch verdicts (baseline measurements) */
	ph_nfq_log_fn log; /* NULL = stderr */
	void *log_arg;
};

struct ph_nfq_stats {
	uint64_t received;	 /* packets handed to the callback */
	uint64_t accepted;	 /* accept verdicts sent */
	uint64_t dropped;	 /* drop verdicts sent (incl. forced) */
	uint64_t modified;	 /* accepts carrying a new payload */
	uint64_t deferred;	 /* packets the callback deferred */
	uint64_t csum_completed; /* partial checksums completed by us */
	uint64_t truncated_mod;	 /* rewrites of truncated packets, dropped */
	uint64_t malformed;	 /* messages we could not parse */
	uint64_t enobufs;	 /* ENOBUFS reports from the socket */
	uint64_t verdict_errors; /* error acks for our verdicts */
	uint64_t send_errors;	 /* failed sendto of verdicts */
	uint64_t reads;		 /* recvmmsg calls that returned data */
	uint64_t verdict_msgs;	 /* verdict messages sent (batch + single) */
};

/* The kernel's view of a queue (/proc/net/netfilter/nfnetlink_queue). */
struct ph_nfq_kstats {
	uint32_t queue_total;	/* packets waiting for a verdict */
	uint32_t queue_dropped; /* dropped: queue full (maxlen) */
	uint32_t user_dropped;	/* dropped: netlink socket full (ENOBUFS) */
	uint32_t id_sequence;	/* last packet id */
};

struct ph_nfq;

/**
 * Bind queue_num and configure it (see the top of this file).  opts may be
 * NULL for the defaults.  Returns NULL and sets errno on failure: EPERM
 * when another process holds the queue, ENOMEM, or the socket's error.
 */
struct ph_nfq *ph_nfq_open(uint16_t queue_num, const struct ph_nfq_opts *opts);

/** The socket to poll for readability (non-blocking). */
int ph_nfq_fd(const struct ph_nfq *q);

/** The queue number this handle is bound to. */
uint16_t ph_nfq_queue_num(const struct ph_nfq *q);

/**
 * Read what is waiting (one recvmmsg of up to `batch` messages), call cb
 * for each packet, then send all verdicts.  Returns the number of packets
 * handled (0 when nothing was waiting), or -errno on a socket error other
 * than EAGAIN/EINTR/ENOBUFS.
 */
int ph_nfq_recv_batch(struct ph_nfq *q, ph_nfq_pkt_fn cb, void *arg);

/**
 * Step 1 of ph_nfq_recv_batch(): one recvmmsg() of up to `batch`
 * datagrams into the handle's buffers, nothing parsed yet.  Returns the
 * number of datagrams (0 when nothing was waiting or on ENOBUFS), or
 * -errno.  While a read is not processed, it returns that read again.
 */
int ph_nfq_read(struct ph_nfq *q);

/**
 * Step 2: parse what ph_nfq_read() got, call cb for each packet and queue
 * the verdicts (they go out with ph_nfq_flush_verdicts(), step 3, or
 * earlier when the send buffer fills).  Returns the packets handled.
 */
int ph_nfq_process(struct ph_nfq *q, ph_nfq_pkt_fn cb, void *arg);

/**
 * Step 2 with one callback per batch of packets (at most
 * ph_nfq_batch_max() at a time: all the packets of one read, unless a
 * datagram carried several), so that the caller can hand the engine a
 * batch.  Verdicts are queued as with ph_nfq_process().  Returns the
 * packets handled.
 */
int ph_nfq_process_batch(struct ph_nfq *q, ph_nfq_batch_fn cb, void *arg);

/** The most packets a batch callback gets at once (the `batch` option). */
uint32_t ph_nfq_batch_max(const struct ph_nfq *q);

/**
 * Give the verdict for a packet the callback deferred.  data/len, when
 * data is not NULL, replace the packet (copied at once; the caller's
 * buffer may be reused on return).  The message is queued: it goes out
 * with the next ph_nfq_flush_verdicts() or ph_nfq_recv_batch().  Returns 0,
 * -ENOENT if id is not deferred, -EINVAL for a bad verdict or length, or
 * the error of a flush forced by a full send buffer.
 */
int ph_nfq_verdict(struct ph_nfq *q, uint32_t id, enum ph_nfq_verdict v,
		   const uint8_t *data, size_t len);

/** Send every queued verdict now.  Returns 0 or -errno. */
int ph_nfq_flush_verdicts(struct ph_nfq *q);

/** Number of packets deferred and not yet given a verdict. */
size_t ph_nfq_deferred(const struct ph_nfq *q);

/** Copy the counters. */
void ph_nfq_stats(const struct ph_nfq *q, struct ph_nfq_stats *st);

/**
 * Read the kernel's counters for queue_num from
 * /proc/net/netfilter/nfnetlink_queue (in the caller's network namespace).
 * Returns 0, -ENOENT when the queue is not bound, or -errno.
 */
int ph_nfq_kstats(uint16_t queue_num, struct ph_nfq_kstats *ks);

/**
 * Unbind and close.  Packets still in the kernel queue, deferred ones
 * included, are dropped by the kernel.  NULL is a no-op.
 */
void ph_nfq_close(struct ph_nfq *q);

#endif /* PH_DAEMON_NFQ_H */
