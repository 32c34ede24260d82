/*
 * daemon/nft.h - pinholed's own nftables table (libnftnl + libmnl).
 *
 * pinholed steers the packets it filters into NFQUEUE with a table of its
 * own, by default:
 *
 *	table ip pinhole {
 *		chain prerouting {
 *			type filter hook prerouting priority raw; policy accept;
 *			iifname "inside"  counter notrack queue num 0
 *			iifname "outside" counter notrack queue num 0
 *		}
 *	}
 *
 * One rule per managed interface (iifname match, so an interface that is
 * re-created keeps matching).
 *
 * With shedding (opts.shed_rate, pinholed --shed), each queue rule is
 * preceded by `iifname "X" jump shed`, and the table has
 *
 *		counter shed { }
 *		chain shed {
 *			limit rate over RATE/second burst B packets
 *				counter name "shed" drop
 *		}
 *
 * so packets past RATE (one bucket for all interfaces, B = 10 ms of RATE
 * within 32-4096) are dropped for the cost of one rule evaluation, before
 * the queue builds a netlink message for them (receive livelock:
 * docs/performance.md).  ph_nft_shed_set() changes RATE with one batch
 * "flush chain shed; add rule": atomic, no rule handle to track, and the
 * named counter keeps counting across changes.  A named limit object
 * would be simpler still, but the kernel has no update operation for
 * limit objects: re-adding one with a new rate returns success and keeps
 * the old rate (checked on 6.18: `nft add limit` twice, `nft list`).  A
 * kernel that refuses the shedding part gets the table without it
 * (ph_nft_shed_error()).  `notrack` keeps kernel conntrack and NAT
 * away from these packets: all translation happens in user space.  The
 * queue has no bypass flag by default, so while the table exists and no
 * program listens on the queue, the kernel drops the packets (fail-closed).
 *
 * The queue action is the native `queue` expression (nft_queue) when the
 * kernel has it; kernels built without CONFIG_NFT_QUEUE (this project's
 * CI kernel) refuse that rule with ENOENT at batch commit, and the table is
 * then built with the xtables NFQUEUE target (revision 3) through
 * nft_compat, as iptables-nft does.  PH_NFT_QUEUE_AUTO tries native first
 * and remembers which one worked.
 *
 * Every change is ONE netlink batch (nftnl_batch_begin ... end, one
 * sendto, then the acks): build is "add table; delete table; add table;
 * add chain; add rules", which also removes a stale table left by a
 * crashed run, atomically.  Teardown is "add table; delete table", so it
 * succeeds whether or not the table exists.
 *
 * The table is deliberately NOT created with NFT_TABLE_F_OWNER: an owned
 * table vanishes when its socket closes, which would turn a crash of the
 * daemon into unfiltered forwarding.  Without it, a crash leaves the table
 * and the queue drops everything until the next start cleans up.
 *
 * Known limits: IPv4 only (family ip).  The handle is not thread-safe; use
 * one per thread or serialise.
 */
#ifndef PH_DAEMON_NFT_H
#define PH_DAEMON_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How packets are handed to the queue. */
enum ph_nft_method {
	PH_NFT_QUEUE_AUTO = 0, /* native, then compat if the kernel lacks it */
	PH_NFT_QUEUE_NATIVE,   /* nft expression "queue" (nft_queue) */
	PH_NFT_QUEUE_COMPAT,   /* xt target NFQUEUE rev 3 via nft_compat */
};

#define PH_NFT_TABLE_DEFAULT "pinhole"
#define PH_NFT_CHAIN_NAME    "prerouting"
#define PH_NFT_PRIO_RAW	     (-300) /* NF_IP_PRI_RAW: before conntrack */
#define PH_NFT_SHED_CHAIN    "shed"
#define PH_NFT_SHED_COUNTER  "shed"
#define PH_NFT_SHED_MAX	     100000000u /* pps; past it the bucket rounds */

struct ph_nft_opts {
	const char *table;	   /* table name; NULL = "pinhole" */
	uint16_t queue_num;	   /* first queue */
	uint16_t queue_total;	   /* queues to balance over; 0 or 1 = one */
	bool bypass;		   /* accept when no listener (fail-open) */
	bool cpu_fanout;	   /* pick the queue by CPU, not flow hash */
	enum ph_nft_method method; /* PH_NFT_QUEUE_AUTO by default */
	int priority;		   /* chain priority; 0 means raw (-300) */
	uint32_t shed_rate;	   /* pps: shedding rule; 0 = none */
};

struct ph_nft;

/**
 * Open a netfilter netlink socket for table management.  Nothing is
 * changed in the kernel yet.  Returns NULL and sets errno on failure.
 */
struct ph_nft *ph_nft_new(const struct ph_nft_opts *opts);

/**
 * (Re)build the table so that packets arriving on the n interfaces named
 * in ifnames are untracked and queued; any previous pinhole table (ours,
 * or a stale one from a crashed run) is replaced in the same atomic batch.
 * With PH_NFT_QUEUE_AUTO the first call finds out which queue method the
 * kernel accepts.  Returns 0, or -errno (the kernel's error for the batch;
 * -EINVAL for a bad interface name, -ENAMETOOLONG for one of 16+ bytes).
 * On error the kernel state is unchanged.
 */
int ph_nft_apply(struct ph_nft *nft, const char *const *ifnames, size_t n);

/**
 * Delete the table if it exists.  Idempotent.  Uses a batch prepared by
 * ph_nft_new() and no allocation, only sendto/recvfrom, so it may be
 * called from a signal handler.  Returns 0 or -errno.
 */
int ph_nft_teardown(struct ph_nft *nft);

/**
 * Whether the table exists in the kernel: 1 yes, 0 no, -errno on error.
 */
int ph_nft_table_exists(struct ph_nft *nft);

/** The method in use after a successful ph_nft_apply(); AUTO before. */
enum ph_nft_method ph_nft_method(const struct ph_nft *nft);

/**
 * After AUTO fell back to compat: the -errno with which the kernel refused
 * the native queue rule (-ENOENT on kernels without nft_queue); else 0.
 */
int ph_nft_native_error(const struct ph_nft *nft);

/** "native", "compat" or "auto". */
const char *ph_nft_method_name(enum ph_nft_method m);

/**
 * Set the shedding rule's rate (pps, 1..PH_NFT_SHED_MAX).  When the table
 * is in the kernel with the rule: one batch that replaces it (its counter
 * continues); before the first apply: the rate it will be built with.
 * Returns 0, -EINVAL, -EOPNOTSUPP (the kernel refused the rule), or the
 * kernel's -errno (the old rule stays).
 */
int ph_nft_shed_set(struct ph_nft *nft, uint32_t rate);

/** The rate of the shedding rule in the kernel; 0 when there is none. */
uint32_t ph_nft_shed_rate(const struct ph_nft *nft);

/**
 * Packets dropped by the shedding rule since the table was last built
 * (the named counter).  Returns 0, -ENOENT without the rule, or -errno.
 */
int ph_nft_shed_count(struct ph_nft *nft, uint64_t *pkts);

/** How the kernel refused the shedding rule (-errno), or 0. */
int ph_nft_shed_error(const struct ph_nft *nft);

/** Close the socket.  Does NOT delete the table: call teardown first. */
void ph_nft_free(struct ph_nft *nft);

#endif /* PH_DAEMON_NFT_H */
