/*
 * core/idalloc.h - random-start bitmap allocator for 16-bit identifiers.
 *
 * One allocator hands out unique IDs from a range [lo, hi] of 0..65535:
 * translated PPTP call IDs (1..65535, one allocator per (PAT address, PPTP
 * server) as in NetBSD NPF's per-server portmap), PAT ports (1024..65535
 * per global address and protocol) and ICMP query IDs.
 *
 * ph_idalloc_get() starts at a random point of the range and takes the
 * first free ID at or after it, wrapping around (NPF npf_portmap_get() does
 * the same with linear probing).  The map is two-level: one bit per ID in
 * 64-bit words, and a summary bit per word that is set when the word is
 * full, so even a nearly full 65535-ID map is searched in at most 16 + 2
 * word reads, each resolved with a count-trailing-zeros.
 *
 * Randomness is passed in as a ph_rand state (core/rand.h): the allocator
 * reads no clock and no entropy source, so a replay with the same seed
 * allocates the same IDs.
 *
 * Memory: 8 bytes per 64 IDs plus a fixed header (8.3 KiB for 65535 IDs).
 * Not thread-safe: one owner at a time (the engine runs one thread per
 * queue and each allocator belongs to one engine).
 */
#ifndef PH_CORE_IDALLOC_H
#define PH_CORE_IDALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct ph_idalloc;

/**
 * Allocate an empty allocator for IDs lo..hi inclusive (lo <= hi <= 65535).
 * Returns NULL with errno = EINVAL for an empty or inverted range, or
 * ENOMEM.
 */
struct ph_idalloc *ph_idalloc_new(uint32_t lo, uint32_t hi);

/** Free an allocator (NULL is allowed). */
void ph_idalloc_free(struct ph_idalloc *a);

/**
 * Take a free ID: search from a random point (drawn from *rng, which is
 * advanced), or from lo when rng is NULL (lowest free ID first).
 * Returns 0 and stores the ID in *out, or -ENOSPC when every ID is used.
 */
int ph_idalloc_get(struct ph_idalloc *a, uint64_t *rng, uint16_t *out);

/**
 * Reserve one specific ID.  Returns 0, -ERANGE when id is outside [lo, hi],
 * or -EEXIST when it is already used.
 */
int ph_idalloc_take(struct ph_idalloc *a, uint32_t id);

/**
 * Give an ID back.  Returns 0, -ERANGE when id is outside [lo, hi], or
 * -ENOENT when it was not in use (a double free; nothing changes).
 */
int ph_idalloc_put(struct ph_idalloc *a, uint32_t id);

/** True when id is inside the range and in use. */
bool ph_idalloc_in_use(const struct ph_idalloc *a, uint32_t id);

/** Number of IDs in use. */
uint32_t ph_idalloc_used(const struct ph_idalloc *a);

/** Number of IDs in the range (hi - lo + 1). */
uint32_t ph_idalloc_size(const struct ph_idalloc *a);

#endif /* PH_CORE_IDALLOC_H */
