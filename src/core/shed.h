/*
 * core/shed.h - the overload shedding controller: how fast the kernel may
 * hand packets to the queue (the rate of the `limit rate over` rule that
 * pinholed puts in front of its queue rule, daemon/nft.h).
 *
 * Why: under offered load past what the daemon can verdict, the kernel
 * still builds a netlink message for every packet before it finds the
 * queue full, and that softirq work starves the daemon (receive livelock,
 * docs/performance.md "NFQUEUE livelock").  A token bucket in front of
 * the queue drops the excess for the cost of one rule evaluation; this
 * controller sets its rate from the queue's own counters.
 *
 * Policy, once per interval (the caller samples every 100-500 ms):
 *  - the kernel dropped packets at the queue (queue full or socket full):
 *    the daemon is saturated.  The capacity estimate becomes the larger
 *    of this interval's rate of packets handed to the daemon and the old
 *    estimate less 2% (a livelocked interval delivers little, so one bad
 *    interval must not erase what was measured).  After a clean
 *    interval the rate is cut to decrease% of the larger of the estimate
 *    and this interval's rate.  When the previous interval dropped too
 *    and the drops are heavy (more than 1/8 of what was handed over: the
 *    cut did not help, the estimate is stale) it is cut to decrease% of
 *    what this interval delivered, but at most halved per interval (a
 *    daemon stalled by another job on its CPU delivers little for a
 *    moment, and climbing back 10% per interval is slow); light drops then are the full queue
 *    draining after the cut, and the rate is held.  Never raised on a
 *    drop, never below the floor.  Shedding is now active.
 *  - no queue drops and the rule shed packets: probe upwards, rate +
 *    increase% (at least +1), up to the ceiling.
 *  - no queue drops and nothing shed for idle_ns: the overload is over;
 *    the rate returns to the ceiling (shedding stops).
 * The capacity estimate also grows with any clean interval's rate.
 *
 * Counters are cumulative (the caller sums the kernel's per-queue 32-bit
 * counters into 64 bits).  When any of them goes backwards (the queue
 * was re-bound, the table rebuilt, a 32-bit counter wrapped) the interval
 * is ignored and the counters re-read as the new base.
 *
 * No I/O, no clock: time is passed in.  Not thread-safe: one owner.
 */
#ifndef PH_CORE_SHED_H
#define PH_CORE_SHED_H

#include <stdbool.h>
#include <stdint.h>

#include <pinhole/time.h>

#define PH_SHED_DEFAULT_FLOOR	     1000u     /* pps */
#define PH_SHED_DEFAULT_CEILING	     10000000u /* pps: "not shedding" */
#define PH_SHED_DEFAULT_DECREASE_PCT 90u
#define PH_SHED_DEFAULT_INCREASE_PCT 10u
#define PH_SHED_DEFAULT_MIN_INTERVAL (50ull * 1000 * 1000)	 /* 50 ms */
#define PH_SHED_DEFAULT_IDLE	     (2ull * 1000 * 1000 * 1000) /* 2 s */
#define PH_SHED_CAP_DECAY_PCT	     2u
#define PH_SHED_HEAVY_DIV	     8u /* drops > passed/8: "heavy" */

/* Tuning; a zero field takes its default. */
struct ph_shed_cfg {
	uint32_t floor;	       /* lowest rate ever set (pps) */
	uint32_t ceiling;      /* rate while not shedding (pps) */
	uint32_t decrease_pct; /* cut to this % of the capacity (1-99) */
	uint32_t increase_pct; /* raise by this % per clean interval */
	uint64_t min_interval; /* ns; shorter samples are accumulated */
	uint64_t idle;	       /* ns clean and unused before stopping */
};

/* Cumulative counters at one instant (summed over the daemon's queues). */
struct ph_shed_sample {
	uint64_t queued;	/* ids the kernel gave out (id_sequence) */
	uint64_t queue_dropped; /* dropped: queue full */
	uint64_t user_dropped;	/* dropped: socket full (also in queued) */
	uint64_t shed;		/* dropped by the shedding rule */
};

enum ph_shed_action {
	PH_SHED_NONE = 0, /* rate unchanged */
	PH_SHED_SET,	  /* new rate while shedding */
	PH_SHED_START,	  /* shedding started: new (lower) rate */
	PH_SHED_STOP,	  /* shedding stopped: rate back at the ceiling */
};

/* What the controller knows, for `show` output. */
struct ph_shed_stats {
	uint32_t rate;	      /* current rate (pps) */
	uint32_t capacity;    /* estimated packets/s the daemon verdicts */
	uint32_t last_passed; /* packets/s handed over, last interval */
	bool active;	      /* shedding (rate below the ceiling) */
	uint64_t starts;      /* times shedding started */
	uint64_t cuts;	      /* rate decreases */
	uint64_t raises;      /* rate increases */
	uint64_t resets;      /* intervals ignored: counters went back */
	uint64_t intervals;   /* intervals evaluated */
};

struct ph_shed;

/**
 * New controller; cfg may be NULL for the defaults.  It starts inactive,
 * at the ceiling.  Returns NULL with errno EINVAL (floor above ceiling, a
 * percentage out of range) or ENOMEM.
 */
struct ph_shed *ph_shed_new(const struct ph_shed_cfg *cfg);

/** Free (NULL is allowed). */
void ph_shed_free(struct ph_shed *s);

/**
 * Feed the counters read at now.  The first call only sets the base.  A
 * call less than min_interval after the last evaluated one returns
 * PH_SHED_NONE and is not used (the next one covers the whole span).
 * Returns what to do with the rule; ph_shed_rate() is the new rate.
 */
enum ph_shed_action ph_shed_update(struct ph_shed *s,
				   const struct ph_shed_sample *smp,
				   ph_time_t now);

/** The rate the rule should have now (pps). */
uint32_t ph_shed_rate(const struct ph_shed *s);

/** Copy the controller's state and counters. */
void ph_shed_stats(const struct ph_shed *s, struct ph_shed_stats *st);

#endif /* PH_CORE_SHED_H */
