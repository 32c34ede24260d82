/*
 * pinhole/time.h - monotonic time as passed into the core.
 *
 * The core library never reads a clock.  Every call that needs "now" takes a
 * ph_time_t from its caller: the daemon reads CLOCK_MONOTONIC, the replay
 * tool uses the capture's timestamps, tests use whatever they like.
 */
#ifndef PINHOLE_TIME_H
#define PINHOLE_TIME_H

#include <stdint.h>

/* Nanoseconds on a monotonic clock.  A small value type, so a typedef. */
typedef struct ph_time {
	uint64_t ns;
} ph_time_t;

#define PH_NSEC_PER_SEC 1000000000ULL

static inline ph_time_t
ph_time_from_sec(uint64_t s)
{
	ph_time_t t = { s * PH_NSEC_PER_SEC };
	return t;
}

static inline ph_time_t
ph_time_from_ns(uint64_t ns)
{
	ph_time_t t = { ns };
	return t;
}

static inline ph_time_t
ph_time_add_sec(ph_time_t t, uint64_t s)
{
	t.ns += s * PH_NSEC_PER_SEC;
	return t;
}

/* Whole seconds from a to b (0 if b is before a). */
static inline uint64_t
ph_time_sec_between(ph_time_t a, ph_time_t b)
{
	return b.ns > a.ns ? (b.ns - a.ns) / PH_NSEC_PER_SEC : 0;
}

static inline int
ph_time_before(ph_time_t a, ph_time_t b)
{
	return a.ns < b.ns;
}

#endif /* PINHOLE_TIME_H */
