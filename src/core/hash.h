/*
 * core/hash.h - keyed hashing for the engine's tables.
 *
 * Every table the engine keeps (connections, translations, fragments) is
 * indexed by a keyed hash so that an outsider who chooses addresses and
 * ports cannot aim many flows at one bucket (hash flooding).  The key is
 * 128 bits, taken from ph_engine_opts.seed, so two engines (or two runs
 * with different seeds) place the same flows in different buckets.
 *
 * The function is SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012): a PRF designed exactly for hash-table keys,
 * with a published reference vector we test against.  Our keys are 16
 * bytes (a flow tuple), where it costs two compression rounds and the
 * finalisation: a few tens of nanoseconds, small against the cost of one
 * NFQUEUE round trip.  A cheaper keyed mix (multiply-xorshift) would be
 * faster but has no security argument against chosen inputs.
 *
 * Known limits: none of note; output is 64 bits, tables use the low bits.
 */
#ifndef PH_CORE_HASH_H
#define PH_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A SipHash key: two 64-bit halves (k0 = bytes 0-7 little-endian). */
struct ph_hash_key {
	uint64_t k0, k1;
};

/** SipHash-2-4 of len bytes at data under key k. */
uint64_t ph_siphash(const struct ph_hash_key *k, const void *data, size_t len);

/**
 * SipHash-2-4 of exactly 16 bytes given as two 64-bit words, equal to
 * ph_siphash() of their little-endian encoding (w0 first).  This is the
 * fast path for flow tuples packed into two words.
 */
uint64_t ph_siphash_2w(const struct ph_hash_key *k, uint64_t w0, uint64_t w1);

#endif /* PH_CORE_HASH_H */
