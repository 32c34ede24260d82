/*
 * core/rand.h - a tiny deterministic PRNG for the core's random choices.
 *
 * The core reads no clock and no /dev/urandom: randomness comes from a
 * 64-bit state the caller seeds (the engine from ph_engine_opts.seed, the
 * daemon from getrandom(2), tests and pinhole-replay --seed from a fixed
 * number), so a replay with the same seed makes the same choices.
 *
 * The generator is splitmix64 (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): one add and two
 * multiply-xorshift rounds per output, full 2^64 period, and every seed,
 * including 0, is a good seed.  It is NOT cryptographic: it spreads
 * translated IDs and ports so they are hard to guess by accident, which is
 * all NPF's and libalias's allocators ask of their generators too.
 */
#ifndef PH_CORE_RAND_H
#define PH_CORE_RAND_H

#include <stdint.h>

/* Next 64 random bits; advances *state. */
static inline uint64_t
ph_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * A value in [0, n) (0 when n is 0).  Multiply-shift (Lemire 2019) on the
 * high 32 bits: the bias is below n / 2^32, far below what matters for
 * picking a start point in a 65536-wide bitmap.
 */
static inline uint32_t
ph_rand_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(((ph_rand_next(state) >> 32) * (uint64_t)n) >> 32);
}

#endif /* PH_CORE_RAND_H */
