/*
 * core/hash.c - SipHash-2-4 (Aumasson, Bernstein 2012), written from the
 * paper's description: four 64-bit state words, two SipRounds per 8-byte
 * message block, four in the finalisation, the message length in the top
 * byte of the last block.  See hash.h for why this function.
 */
#include "core/hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sip {
	uint64_t v0, v1, v2, v3;
};

static inline void
sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static inline void
sip_init(struct sip *s, const struct ph_hash_key *k)
{
	/* "somepseudorandomlygeneratedbytes" */
	s->v0 = k->k0 ^ 0x736f6d6570736575ULL;
	s->v1 = k->k1 ^ 0x646f72616e646f6dULL;
	s->v2 = k->k0 ^ 0x6c7967656e657261ULL;
	s->v3 = k->k1 ^ 0x7465646279746573ULL;
}

static inline void
sip_block(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

static inline uint64_t
sip_final(struct sip *s)
{
	s->v2 ^= 0xff;
	sip_round(s);
	sip_round(s);
	sip_round(s);
	sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

static inline uint64_t
load_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

uint64_t
ph_siphash(const struct ph_hash_key *k, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t full = len & ~(size_t)7;
	struct sip s;
	size_t i;

	sip_init(&s, k);
	for (i = 0; i < full; i += 8)
		sip_block(&s, load_le64(p + i, 8));
	sip_block(&s, load_le64(p + full, len - full) | (uint64_t)len << 56);
	return sip_final(&s);
}

uint64_t
ph_siphash_2w(const struct ph_hash_key *k, uint64_t w0, uint64_t w1)
{
	struct sip s;

	sip_init(&s, k);
	sip_block(&s, w0);
	sip_block(&s, w1);
	sip_block(&s, (uint64_t)16 << 56);
	return sip_final(&s);
}
