/*
 * log/ratelimit.c - keyed token buckets for rate-limited log events.
 *
 * Buckets keep credit in nanoseconds: a token costs `interval_ns`, the
 * bucket holds at most burst x interval_ns, and elapsed time adds credit.
 * Integer arithmetic only, so tests with passed-in time are exact.  The
 * key table is open addressing (linear probing) over a power-of-two array
 * at least twice max_keys, keyed by a seeded 64-bit mix; keys are never
 * removed (the set of event ids x reasons is small and fixed), and once
 * max_keys are in use further keys share the overflow bucket.
 */
#include "log/ratelimit.h"

#include <errno.h>
#include <stdlib.h>

struct rl_bucket {
	uint64_t key; /* (id << 32 | sub) + 1; 0 = empty slot */
	uint64_t credit_ns;
	uint64_t last_ns;
	uint32_t skipped;
	bool started;
};

struct ph_ratelimit {
	struct rl_bucket *slots;
	uint32_t mask; /* slots - 1 */
	uint32_t max_keys;
	uint32_t keys;
	uint64_t interval_ns;
	uint64_t cap_ns;
	uint64_t seed;
	struct rl_bucket overflow;
	uint64_t allowed, suppressed, overflowed;
};

/* A keyed 64-bit mix (splitmix64 finaliser over key ^ seed). */
static uint64_t
rl_hash(uint64_t key, uint64_t seed)
{
	uint64_t z = key ^ seed;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct ph_ratelimit *
ph_ratelimit_new(const struct ph_ratelimit_opts *o)
{
	struct ph_ratelimit *rl;
	uint32_t want = o->max_keys != 0 ? o->max_keys : 256;
	uint32_t n = 16;
	uint32_t burst = o->burst != 0 ? o->burst : 1;

	if (want > PH_RATELIMIT_KEYS_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (n < 2 * want)
		n *= 2;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->slots = calloc(n, sizeof(*rl->slots));
	if (rl->slots == NULL) {
		free(rl);
		errno = ENOMEM;
		return NULL;
	}
	rl->mask = n - 1;
	rl->max_keys = want;
	rl->interval_ns =
		o->interval_ns != 0 ? o->interval_ns : PH_NSEC_PER_SEC;
	rl->cap_ns = rl->interval_ns * burst;
	rl->seed = o->seed;
	return rl;
}

void
ph_ratelimit_free(struct ph_ratelimit *rl)
{
	if (rl == NULL)
		return;
	free(rl->slots);
	free(rl);
}

static struct rl_bucket *
rl_find(struct ph_ratelimit *rl, uint64_t key)
{
	uint32_t i = (uint32_t)rl_hash(key, rl->seed) & rl->mask;

	for (;;) {
		struct rl_bucket *b = &rl->slots[i];

		if (b->key == key)
			return b;
		if (b->key == 0) {
			if (rl->keys >= rl->max_keys) {
				rl->overflowed++;
				return &rl->overflow;
			}
			b->key = key;
			rl->keys++;
			return b;
		}
		i = (i + 1) & rl->mask;
	}
}

/* Add the credit earned since the bucket last looked at the clock. */
static void
rl_refill(struct ph_ratelimit *rl, struct rl_bucket *b, uint64_t now_ns)
{
	if (!b->started) {
		b->started = true;
		b->credit_ns = rl->cap_ns;
		b->last_ns = now_ns;
		return;
	}
	if (now_ns > b->last_ns) {
		uint64_t gain = now_ns - b->last_ns;

		b->credit_ns = gain >= rl->cap_ns - b->credit_ns
				       ? rl->cap_ns
				       : b->credit_ns + gain;
		b->last_ns = now_ns;
	}
}

bool
ph_ratelimit_allow(struct ph_ratelimit *rl, uint32_t id, uint32_t sub,
		   ph_time_t now, uint32_t *suppressed)
{
	uint64_t key = (((uint64_t)id << 32) | sub) + 1;
	struct rl_bucket *b;

	if (key == 0) /* id and sub all ones: fold onto a valid key */
		key = 1;
	b = rl_find(rl, key);
	rl_refill(rl, b, now.ns);
	if (b->credit_ns < rl->interval_ns) {
		if (b->skipped < UINT32_MAX)
			b->skipped++;
		rl->suppressed++;
		return false;
	}
	b->credit_ns -= rl->interval_ns;
	if (suppressed != NULL)
		*suppressed = b->skipped;
	b->skipped = 0;
	rl->allowed++;
	return true;
}

void
ph_ratelimit_stats(const struct ph_ratelimit *rl, struct ph_ratelimit_stats *st)
{
	st->allowed = rl->allowed;
	st->suppressed = rl->suppressed;
	st->overflowed = rl->overflowed;
	st->keys = rl->keys;
}
