/*
 * log/ratelimit.h - token buckets keyed by (event id, sub-key), so a flood
 * of malformed packets is "logged once at a rate limit" instead of once per
 * packet.
 *
 * Each key (for example id 901001 with the drop reason as sub-key) has its
 * own bucket of `burst` tokens refilled at one token per `interval`.  An
 * event is logged when its bucket has a token; otherwise it is counted, and
 * the next event that is logged carries the number skipped in between
 * (ev->suppressed, printed as "(N more suppressed)").  Time is passed in;
 * nothing here reads a clock.
 *
 * Limits: at most `max_keys` distinct keys (hard, counted); events of keys
 * beyond it share one overflow bucket.  Keys are hashed with a keyed hash
 * (seed at creation) so a sender cannot aim collisions.
 */
#ifndef PH_LOG_RATELIMIT_H
#define PH_LOG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include <pinhole/time.h>

#define PH_RATELIMIT_KEYS_MAX 65536

struct ph_ratelimit;

struct ph_ratelimit_opts {
	uint64_t interval_ns; /* one token per interval; 0 = 1 s */
	uint32_t burst;	      /* bucket size in tokens; 0 = 1 */
	uint32_t max_keys;    /* distinct keys; 0 = 256, <= KEYS_MAX */
	uint64_t seed;	      /* hash key */
};

struct ph_ratelimit_stats {
	uint64_t allowed;    /* events let through */
	uint64_t suppressed; /* events held back */
	uint64_t overflowed; /* events that found no free key slot */
	uint32_t keys;	     /* keys in use */
};

/** New limiter; NULL and errno (EINVAL, ENOMEM) on failure. */
struct ph_ratelimit *ph_ratelimit_new(const struct ph_ratelimit_opts *o);

/** Free a limiter; NULL is allowed. */
void ph_ratelimit_free(struct ph_ratelimit *rl);

/**
 * May an event of key (id, sub) be logged at `now`?  On true, *suppressed
 * (if not NULL) receives the number of events of this key held back since
 * the last one allowed, and that count restarts at 0.  On false the event
 * is counted as suppressed.  `now` going backwards adds no tokens.
 */
bool ph_ratelimit_allow(struct ph_ratelimit *rl, uint32_t id, uint32_t sub,
			ph_time_t now, uint32_t *suppressed);

/** Counters. */
void ph_ratelimit_stats(const struct ph_ratelimit *rl,
			struct ph_ratelimit_stats *st);

#endif /* PH_LOG_RATELIMIT_H */
