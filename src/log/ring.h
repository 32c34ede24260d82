/*
 * log/ring.h - the `logging buffered` ring: the last N formatted lines.
 *
 * Bounded: a ring holds at most `capacity` lines of at most
 * PH_LOG_RING_LINE_MAX - 1 bytes each (longer lines are cut and counted);
 * when full, the oldest line is overwritten and counted as dropped, as
 * PIX's internal log buffer does (`show logging` shows the newest lines).
 * Memory is allocated once, at creation.  Not thread-safe.
 */
#ifndef PH_LOG_RING_H
#define PH_LOG_RING_H

#include <stddef.h>
#include <stdint.h>

#define PH_LOG_RING_LINE_MAX 512   /* bytes per line, NUL included */
#define PH_LOG_RING_CAP_MAX  65536 /* hard limit on lines */

struct ph_log_ring;

struct ph_log_ring_stats {
	uint64_t pushed;    /* lines ever pushed */
	uint64_t dropped;   /* oldest lines overwritten when full */
	uint64_t truncated; /* lines cut to PH_LOG_RING_LINE_MAX - 1 */
	uint32_t held;	    /* lines in the ring now */
	uint32_t capacity;
};

/**
 * New ring of `capacity` lines (1..PH_LOG_RING_CAP_MAX).  Returns NULL and
 * sets errno (EINVAL for a bad capacity, ENOMEM).
 */
struct ph_log_ring *ph_log_ring_new(uint32_t capacity);

/** Free a ring; NULL is allowed. */
void ph_log_ring_free(struct ph_log_ring *r);

/** Append a copy of `line` (a trailing newline is not expected). */
void ph_log_ring_push(struct ph_log_ring *r, const char *line);

/** Number of lines held (<= capacity). */
uint32_t ph_log_ring_count(const struct ph_log_ring *r);

/**
 * Line number i, 0 = oldest held, count - 1 = newest; NULL past the end.
 * Valid until the next push or clear.
 */
const char *ph_log_ring_get(const struct ph_log_ring *r, uint32_t i);

/** Forget every line (`clear logging`); counters are kept. */
void ph_log_ring_clear(struct ph_log_ring *r);

/** Counters and fill. */
void ph_log_ring_stats(const struct ph_log_ring *r,
		       struct ph_log_ring_stats *st);

#endif /* PH_LOG_RING_H */
