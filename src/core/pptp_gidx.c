/*
 * core/pptp_gidx.c - the counted key index of pptp_gidx.h: nodes in one
 * growable pool linked by index, buckets doubled when the nodes outgrow
 * them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/pptp_gidx.h"

#define NIL 0xffffffffu

struct gnode {
	struct ph_gidx_key k;
	uint32_t count; /* 0: free */
	uint32_t next;	/* chain, or free list */
};

struct ph_gidx {
	struct ph_hash_key key;
	struct gnode *nodes;
	uint32_t cap, used, free_head, fresh;
	uint32_t *buckets;
	uint32_t mask;
};

static uint32_t
bucket_of(const struct ph_gidx *g, const struct ph_gidx_key *k, uint32_t mask)
{
	uint64_t w0 = (uint64_t)k->a << 32 | k->b;
	uint64_t w1 = (uint64_t)k->kind << 32 | (uint64_t)k->c << 16 | k->d;

	return (uint32_t)ph_siphash_2w(&g->key, w0, w1) & mask;
}

static bool
key_eq(const struct ph_gidx_key *x, const struct ph_gidx_key *y)
{
	return x->a == y->a && x->b == y->b && x->c == y->c && x->d == y->d &&
	       x->kind == y->kind;
}

struct ph_gidx *
ph_gidx_new(const struct ph_hash_key *k)
{
	struct ph_gidx *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->key = *k;
	g->mask = 15;
	g->buckets = malloc((g->mask + 1) * sizeof(*g->buckets));
	if (g->buckets == NULL) {
		free(g);
		return NULL;
	}
	memset(g->buckets, 0xff, (g->mask + 1) * sizeof(*g->buckets));
	g->free_head = NIL;
	return g;
}

void
ph_gidx_free(struct ph_gidx *g)
{
	if (g == NULL)
		return;
	free(g->nodes);
	free(g->buckets);
	free(g);
}

static uint32_t
find(const struct ph_gidx *g, const struct ph_gidx_key *k)
{
	uint32_t n = g->buckets[bucket_of(g, k, g->mask)];

	while (n != NIL && !key_eq(&g->nodes[n].k, k))
		n = g->nodes[n].next;
	return n;
}

/* Double the buckets and rehash every live node. */
static int
grow_buckets(struct ph_gidx *g)
{
	uint32_t mask = g->mask * 2 + 1, *nb;

	nb = malloc(((size_t)mask + 1) * sizeof(*nb));
	if (nb == NULL)
		return -ENOMEM;
	memset(nb, 0xff, ((size_t)mask + 1) * sizeof(*nb));
	for (uint32_t i = 0; i < g->fresh; i++) {
		uint32_t b;

		if (g->nodes[i].count == 0)
			continue;
		b = bucket_of(g, &g->nodes[i].k, mask);
		g->nodes[i].next = nb[b];
		nb[b] = i;
	}
	free(g->buckets);
	g->buckets = nb;
	g->mask = mask;
	return 0;
}

/* A free node index, growing the pool when needed; NIL on ENOMEM. */
static uint32_t
node_alloc(struct ph_gidx *g)
{
	uint32_t n;

	if (g->free_head != NIL) {
		n = g->free_head;
		g->free_head = g->nodes[n].next;
		return n;
	}
	if (g->fresh == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 16;
		struct gnode *nn;

		if (cap < g->cap)
			return NIL;
		nn = realloc(g->nodes, (size_t)cap * sizeof(*nn));
		if (nn == NULL)
			return NIL;
		g->nodes = nn;
		g->cap = cap;
	}
	return g->fresh++;
}

int
ph_gidx_add(struct ph_gidx *g, const struct ph_gidx_key *k)
{
	uint32_t n = find(g, k), b;

	if (n != NIL) {
		g->nodes[n].count++;
		return 0;
	}
	if (g->used >= g->mask + 1 && grow_buckets(g) != 0)
		return -ENOMEM;
	n = node_alloc(g);
	if (n == NIL)
		return -ENOMEM;
	memset(&g->nodes[n], 0, sizeof(g->nodes[n]));
	g->nodes[n].k = *k;
	g->nodes[n].count = 1;
	b = bucket_of(g, k, g->mask);
	g->nodes[n].next = g->buckets[b];
	g->buckets[b] = n;
	g->used++;
	return 0;
}

void
ph_gidx_del(struct ph_gidx *g, const struct ph_gidx_key *k)
{
	uint32_t *pp = &g->buckets[bucket_of(g, k, g->mask)];

	while (*pp != NIL) {
		struct gnode *nd = &g->nodes[*pp];
		uint32_t n = *pp;

		if (!key_eq(&nd->k, k)) {
			pp = &nd->next;
			continue;
		}
		if (--nd->count > 0)
			return;
		*pp = nd->next;
		nd->next = g->free_head;
		g->free_head = n;
		g->used--;
		return;
	}
}

bool
ph_gidx_has(const struct ph_gidx *g, const struct ph_gidx_key *k)
{
	return find(g, k) != NIL;
}

size_t
ph_gidx_size(const struct ph_gidx *g)
{
	return g->used;
}
