/*
 * daemon/shed.h - overload shedding in pinholed (`--shed`): the kernel
 * drops what the daemon cannot verdict before the queue builds a message
 * for it, so that under overload the daemon keeps delivering instead of
 * collapsing (docs/performance.md, "NFQUEUE livelock").  Measured: 82-105%
 * of the peak under an unlimited flood with the BPF program dropping on
 * another CPU than pinholed's, 85-88% at tcx on its own CPU, 43.6% with
 * the nft rule alone, 5% without (docs/performance.md, "(3) Overload").
 *
 *   auto   (default) the nft table has a `limit rate over` rule in front
 *          of the queue rules (daemon/nft.h), at 10,000,000 pps while
 *          nothing is wrong; every 250 ms the daemon reads the kernel's
 *          counters of its queues (/proc/net/netfilter/nfnetlink_queue)
 *          and the rule's counter, and the controller (core/shed.h) sets
 *          the rate: to 90% of its capacity when the kernel drops at the
 *          queue, then up 10% per clean interval, back to the ceiling
 *          when nothing was shed for 2 s.
 *   PPS    a fixed rate; no controller.
 *   off    no rule (the kernel drops at the full queue, after the copy).
 *
 * Where the limit drops (`--shed-hook`, daemon/shed_place.c): the nft
 * rule while nothing is shed; while the limit drops packets, a BPF
 * program on the managed interfaces (XDP or tcx, daemon/shedprog.h)
 * holds it instead, and drops before the kernel's IP receive path.
 *
 * Logs "overload: shedding started/stopped" (daemon messages, at most one
 * start per 10 s; suppressed starts are counted in the next line).
 *
 * Known limits: the nft rule has one rate for all flows (only the BPF
 * program favours flows accepted before); IPv4 only, like the table.
 */
#ifndef PH_DAEMON_SHED_H
#define PH_DAEMON_SHED_H

#include <stdbool.h>
#include <stdint.h>

#define PD_SHED_INTERVAL_MS 250
#define PD_SHED_LOG_SEC	    10

enum pd_shed_mode {
	PD_SHED_AUTO = 0,
	PD_SHED_OFF,
	PD_SHED_FIXED,
};

/* Where the limit drops (--shed-hook): a BPF program (daemon/shedprog.h)
 * or the nft rule (daemon/nft.h). */
enum pd_shed_hook {
	PD_SHED_HOOK_AUTO = 0, /* xdp, then tc, then nft */
	PD_SHED_HOOK_XDP,
	PD_SHED_HOOK_XDP_GENERIC,
	PD_SHED_HOOK_TC,
	PD_SHED_HOOK_NFT,
};

struct ph_daemon;
struct ph_daemon_cfg;

/* For `show counters`. */
struct pd_shed_info {
	enum pd_shed_mode mode;
	const char *hook;	  /* where the limit is now: "nft", "xdp"... */
	const char *prog;	  /* the BPF program's hook; NULL: none */
	uint64_t prog_shed;	  /* of shed: dropped by the BPF program */
	uint64_t prog_attaches;	  /* times it was attached */
	uint64_t prog_shed_known; /* of prog_shed: of flows known */
	uint32_t rate;		  /* of the rule in the kernel; 0: no rule */
	bool active;		  /* auto: shedding now */
	uint32_t capacity;	  /* auto: estimated verdicts/s */
	uint32_t last_passed; /* auto: handed to the daemon/s, last interval */
	uint64_t starts;      /* auto: times shedding started */
	uint64_t changes;     /* rate changes pushed to the kernel */
	uint64_t errors;      /* failed pushes or counter reads */
	uint64_t shed;	      /* packets dropped by the rule (kernel) */
	int kernel_err;	      /* the kernel refused the rule: -errno */
};

/**
 * Parse a --shed argument: "auto", "off" or a rate in packets/s
 * (1-100000000).  Returns 0, or -EINVAL.
 */
int pd_shed_parse(const char *arg, enum pd_shed_mode *mode, uint32_t *rate);

/**
 * Parse a --shed-hook argument: "auto", "xdp", "xdpgeneric", "tc" or
 * "nft".  Returns 0, or -EINVAL.
 */
int pd_shed_parse_hook(const char *arg, enum pd_shed_hook *hook);

/**
 * The managed interfaces changed (reload, re-created interface): attach
 * the BPF program where it is missing, detach it where it is no longer
 * needed; when an interface cannot have it, shed with the nft rule
 * instead (logged).
 */
void pd_shed_ifaces(struct ph_daemon *d);

/**
 * The BPF shedding program (loaded, attached or not), or NULL: the queue
 * threads mark the flows of the packets they accept in it (it favours
 * them while shedding).  Under d->lock: the main thread frees it under
 * the lock.
 */
struct pd_shedprog *pd_shed_prog(struct ph_daemon *d);

/** The rate the nft table is first built with (0: no shedding rule). */
uint32_t pd_shed_initial_rate(const struct ph_daemon_cfg *cfg);

/**
 * After the table is in the kernel: the controller (auto), the BPF
 * program (standing by) and the 250 ms timer.  Logs when the kernel
 * refused the rule.  0 or -errno.
 */
int pd_shed_init(struct ph_daemon *d);

/**
 * Start the thread that runs the ticks (after privileges are dropped:
 * capabilities are per thread).  Its own thread, so that a flood that
 * keeps the queue threads busy cannot delay the cut: it sleeps between
 * ticks, so the scheduler runs it as soon as its timer fires, and each
 * tick takes d->lock for the ~100 us it needs.  0 or -errno.
 */
int pd_shed_start(struct ph_daemon *d);

/** Stop and join the thread (d->lock NOT held); before the nft table
 * is torn down.  Idempotent. */
void pd_shed_stop(struct ph_daemon *d);

/** The state for `show counters` (main thread). */
void pd_shed_info(struct ph_daemon *d, struct pd_shed_info *info);

/** "auto", "off" or "fixed". */
const char *pd_shed_mode_name(enum pd_shed_mode m);

/** Stop the thread, close the timer, free the controller and the
 * program.  NULL-safe on d->shed. */
void pd_shed_free(struct ph_daemon *d);

#endif /* PH_DAEMON_SHED_H */
