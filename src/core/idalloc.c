/*
 * core/idalloc.c - random-start bitmap allocator for 16-bit identifiers.
 *
 * Layout: map[] has one bit per ID (bit set = in use), bit i of word w is
 * ID lo + 64 * w + i.  The bits past the end of the range in the last word
 * are set once at creation and never cleared, so they look used and are
 * never handed out (they are not counted in `used`).  full[] has one bit per
 * map word, set while that word is all ones; its bits past the last word
 * are set too.  A search therefore never needs a range check.
 *
 * See idalloc.h for the contract; peers.md §3.3 for NPF's portmap, which
 * this follows (random start, linear probe, IDs returned on release).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/idalloc.h"
#include "core/rand.h"

#define IDA_WORDS_MAX  1024 /* 65536 IDs / 64 */
#define IDA_FULL_WORDS (IDA_WORDS_MAX / 64)

struct ph_idalloc {
	uint32_t lo;	/* first ID */
	uint32_t n;	/* IDs in the range */
	uint32_t used;	/* IDs in use */
	uint32_t words; /* map words in use */
	uint64_t full[IDA_FULL_WORDS];
	uint64_t map[]; /* `words` words */
};

struct ph_idalloc *
ph_idalloc_new(uint32_t lo, uint32_t hi)
{
	struct ph_idalloc *a;
	uint32_t n, words, w;

	if (lo > hi || hi > 0xffff) {
		errno = EINVAL;
		return NULL;
	}
	n = hi - lo + 1;
	words = (n + 63) / 64;
	a = calloc(1, sizeof(*a) + (size_t)words * sizeof(a->map[0]));
	if (a == NULL)
		return NULL;
	a->lo = lo;
	a->n = n;
	a->words = words;
	if (n % 64)
		a->map[words - 1] = ~0ULL << (n % 64);
	for (w = words; w < IDA_WORDS_MAX; w++)
		a->full[w / 64] |= 1ULL << (w % 64);
	return a;
}

void
ph_idalloc_free(struct ph_idalloc *a)
{
	free(a);
}

static void
ida_set(struct ph_idalloc *a, uint32_t bit)
{
	uint32_t w = bit / 64;

	a->map[w] |= 1ULL << (bit % 64);
	if (a->map[w] == ~0ULL)
		a->full[w / 64] |= 1ULL << (w % 64);
	a->used++;
}

/* First map word at or after `start` with a free bit, or -1. */
static int32_t
ida_next_free_word(const struct ph_idalloc *a, uint32_t start)
{
	uint32_t fw;
	uint64_t m;

	if (start >= a->words)
		return -1;
	fw = start / 64;
	m = ~a->full[fw] & (~0ULL << (start % 64));
	for (;;) {
		if (m)
			return (int32_t)(fw * 64 +
					 (uint32_t)__builtin_ctzll(m));
		if (++fw == IDA_FULL_WORDS)
			return -1;
		m = ~a->full[fw];
	}
}

int
ph_idalloc_get(struct ph_idalloc *a, uint64_t *rng, uint16_t *out)
{
	uint32_t start, w;
	uint64_t m;
	int32_t fw;

	if (a->used == a->n)
		return -ENOSPC;
	start = rng != NULL ? ph_rand_below(rng, a->n) : 0;
	w = start / 64;
	m = ~a->map[w] & (~0ULL << (start % 64));
	if (m == 0) {
		fw = ida_next_free_word(a, w + 1);
		if (fw < 0)
			fw = ida_next_free_word(a, 0); /* wrap; may be w */
		if (fw < 0)
			return -ENOSPC; /* unreachable while used < n */
		w = (uint32_t)fw;
		m = ~a->map[w];
	}
	start = w * 64 + (uint32_t)__builtin_ctzll(m);
	ida_set(a, start);
	*out = (uint16_t)(a->lo + start);
	return 0;
}

int
ph_idalloc_take(struct ph_idalloc *a, uint32_t id)
{
	uint32_t bit;

	if (id < a->lo || id - a->lo >= a->n)
		return -ERANGE;
	bit = id - a->lo;
	if (a->map[bit / 64] & (1ULL << (bit % 64)))
		return -EEXIST;
	ida_set(a, bit);
	return 0;
}

int
ph_idalloc_put(struct ph_idalloc *a, uint32_t id)
{
	uint32_t bit, w;

	if (id < a->lo || id - a->lo >= a->n)
		return -ERANGE;
	bit = id - a->lo;
	w = bit / 64;
	if (!(a->map[w] & (1ULL << (bit % 64))))
		return -ENOENT;
	a->map[w] &= ~(1ULL << (bit % 64));
	a->full[w / 64] &= ~(1ULL << (w % 64));
	a->used--;
	return 0;
}

bool
ph_idalloc_in_use(const struct ph_idalloc *a, uint32_t id)
{
	uint32_t bit;

	if (id < a->lo || id - a->lo >= a->n)
		return false;
	bit = id - a->lo;
	return (a->map[bit / 64] >> (bit % 64)) & 1;
}

uint32_t
ph_idalloc_used(const struct ph_idalloc *a)
{
	return a->used;
}

uint32_t
ph_idalloc_size(const struct ph_idalloc *a)
{
	return a->n;
}
