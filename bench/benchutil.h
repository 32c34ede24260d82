/*
 * bench/benchutil.h - small helpers shared by the bench traffic tools
 * (ph-udpgen, ph-udpsink, ph-tcpcps) and engine_bench: checked number
 * parsing, monotonic time, the payload header the UDP tools agree on.
 *
 * Header-only: each tool is one .c file built by bench/make.sh.  Nothing
 * here is used by the firewall itself.
 */
#ifndef PH_BENCHUTIL_H
#define PH_BENCHUTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Payload of every ph-udpgen datagram (network byte order on the wire). */
#define BU_MAGIC       0x50484231u /* "PHB1" */
#define BU_HDR_LEN     16	   /* magic, flow, seq (64 bits) */
#define BU_MAX_PAYLOAD 1472

/* Checked strtoull into [min, max]; false on junk, sign or overflow. */
static inline bool
bu_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Checked strtod into [min, max]. */
static inline bool
bu_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min) ||
	    !(v <= max))
		return false;
	*out = v;
	return true;
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t
bu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void
bu_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint32_t
bu_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
bu_put64(uint8_t *p, uint64_t v)
{
	bu_put32(p, (uint32_t)(v >> 32));
	bu_put32(p + 4, (uint32_t)v);
}

static inline uint64_t
bu_get64(const uint8_t *p)
{
	return (uint64_t)bu_get32(p) << 32 | bu_get32(p + 4);
}

#endif /* PH_BENCHUTIL_H */
