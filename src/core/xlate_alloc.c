/*
 * core/xlate_alloc.c - global addresses and PAT ports (see xlate.h).
 *
 * Pools are indexed like policy->globals[]; PAT maps are a small array
 * searched linearly (one entry per PAT address and protocol: a handful in
 * any PIX configuration).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "core/idalloc.h"
#include "core/nat.h"
#include "core/pkt.h"
#include "core/xlate.h"

#define PAT_CLASSES 3

struct pool {
	struct ph_global g;	/* the rule, to match on reload */
	struct ph_idalloc *ids; /* offsets from g.lo; NULL: PAT global */
};

struct patmap {
	uint32_t gaddr;
	uint8_t proto;
	struct ph_idalloc *cls[PAT_CLASSES];
};

struct ph_natpools {
	struct pool *pools;
	size_t n_pools;
	struct patmap *maps;
	size_t n_maps, cap_maps;
};

bool
ph_pat_has_ports(uint8_t proto)
{
	return proto == PH_IPPROTO_TCP || proto == PH_IPPROTO_UDP ||
	       proto == PH_IPPROTO_ICMP;
}

struct ph_natpools *
ph_natpools_new(void)
{
	return calloc(1, sizeof(struct ph_natpools));
}

static void
free_pools(struct pool *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ph_idalloc_free(p[i].ids);
	free(p);
}

static void
free_map(struct patmap *m)
{
	for (unsigned c = 0; c < PAT_CLASSES; c++)
		ph_idalloc_free(m->cls[c]);
}

void
ph_natpools_free(struct ph_natpools *np)
{
	if (np == NULL)
		return;
	free_pools(np->pools, np->n_pools);
	for (size_t i = 0; i < np->n_maps; i++)
		free_map(&np->maps[i]);
	free(np->maps);
	free(np);
}

/* A range global (dynamic NAT) rather than a PAT one. */
static bool
is_range(const struct ph_global *g)
{
	return !g->is_iface && g->hi > g->lo;
}

static struct ph_idalloc *
new_range(const struct ph_global *g)
{
	uint32_t n = g->hi - g->lo;
	struct ph_idalloc *a;

	if (n > 0xffff)
		n = 0xffff;
	a = ph_idalloc_new(0, n);
	if (a == NULL || g->mask == 0 || g->mask == 0xffffffffu)
		return a;
	/* never hand out the network or broadcast address of the mask */
	for (uint32_t off = 0; off <= n; off++) {
		uint32_t addr = g->lo + off;

		if ((addr & ~g->mask) == 0 || (addr & ~g->mask) == ~g->mask)
			(void)ph_idalloc_take(a, off);
	}
	return a;
}

static struct patmap *
find_map(struct ph_natpools *np, uint32_t gaddr, uint8_t proto, bool create)
{
	struct patmap *m;

	for (size_t i = 0; i < np->n_maps; i++)
		if (np->maps[i].gaddr == gaddr && np->maps[i].proto == proto)
			return &np->maps[i];
	if (!create)
		return NULL;
	if (np->n_maps == np->cap_maps) {
		size_t cap = np->cap_maps ? 2 * np->cap_maps : 8;
		struct patmap *nm = realloc(np->maps, cap * sizeof(*nm));

		if (nm == NULL)
			return NULL;
		np->maps = nm;
		np->cap_maps = cap;
	}
	m = &np->maps[np->n_maps];
	memset(m, 0, sizeof(*m));
	m->gaddr = gaddr;
	m->proto = proto;
	if (proto == PH_IPPROTO_ICMP) {
		m->cls[0] = ph_idalloc_new(1, 65535);
	} else if (!ph_pat_has_ports(proto)) {
		/* no ports: one host per address and protocol (PIX 6) */
		m->cls[0] = ph_idalloc_new(0, 0);
	} else {
		m->cls[0] = ph_idalloc_new(1, 511);
		m->cls[1] = ph_idalloc_new(512, 1023);
		m->cls[2] = ph_idalloc_new(1024, 65535);
		if (m->cls[1] == NULL || m->cls[2] == NULL) {
			free_map(m);
			return NULL;
		}
	}
	if (m->cls[0] == NULL) {
		free_map(m);
		return NULL;
	}
	np->n_maps++;
	return m;
}

static struct ph_idalloc *
port_class(struct patmap *m, uint16_t port)
{
	if (m->proto != PH_IPPROTO_TCP && m->proto != PH_IPPROTO_UDP)
		return m->cls[0];
	if (port < 512)
		return m->cls[0];
	return port < 1024 ? m->cls[1] : m->cls[2];
}

/* One pool per range global (re-adopting any with the same rule). */
static int
sync_pools(struct ph_natpools *np, const struct ph_policy *pol)
{
	struct pool *np_pools = calloc(pol->n_globals + 1, sizeof(*np_pools));

	if (np_pools == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < pol->n_globals; i++) {
		const struct ph_global *g = &pol->globals[i];

		np_pools[i].g = *g;
		if (!is_range(g))
			continue;
		for (size_t j = 0; j < np->n_pools; j++) {
			if (np->pools[j].ids != NULL &&
			    ph_global_same(&np->pools[j].g, g)) {
				np_pools[i].ids = np->pools[j].ids;
				np->pools[j].ids = NULL;
				break;
			}
		}
		if (np_pools[i].ids == NULL)
			np_pools[i].ids = new_range(g);
		if (np_pools[i].ids == NULL) {
			free_pools(np_pools, pol->n_globals);
			return -ENOMEM;
		}
	}
	free_pools(np->pools, np->n_pools);
	np->pools = np_pools;
	np->n_pools = pol->n_globals;
	return 0;
}

int
ph_natpools_sync(struct ph_natpools *np, const struct ph_policy *pol)
{
	int rc = sync_pools(np, pol);

	if (rc != 0)
		return rc;
	/* PAT state is rebuilt from the live xlates (ph_natpools_mark) */
	for (size_t i = 0; i < np->n_maps; i++)
		free_map(&np->maps[i]);
	np->n_maps = 0;
	for (size_t i = 0; i < pol->n_statics; i++) {
		const struct ph_static *s = &pol->statics[i];
		struct patmap *m;

		if (s->proto == 0)
			continue;
		m = find_map(np, s->mapped_addr, s->proto, true);
		if (m == NULL)
			return -ENOMEM;
		(void)ph_idalloc_take(port_class(m, s->mapped_port),
				      s->mapped_port);
	}
	return 0;
}

void
ph_natpools_mark(struct ph_natpools *np, const struct ph_xlate *x)
{
	if (x->kind == PH_XK_PAT) {
		struct patmap *m = find_map(np, x->gaddr, x->proto, true);

		if (m != NULL)
			(void)ph_idalloc_take(port_class(m, x->gport),
					      x->gport);
		return;
	}
	if (x->global_idx < np->n_pools && np->pools[x->global_idx].ids)
		(void)ph_idalloc_take(np->pools[x->global_idx].ids,
				      x->gaddr - np->pools[x->global_idx].g.lo);
}

int
ph_natpools_addr_get(struct ph_natpools *np, uint32_t gidx, uint64_t *rng,
		     uint32_t *addr)
{
	uint16_t off;
	int rc;

	if (gidx >= np->n_pools || np->pools[gidx].ids == NULL)
		return -EINVAL;
	rc = ph_idalloc_get(np->pools[gidx].ids, rng, &off);
	if (rc != 0)
		return rc;
	*addr = np->pools[gidx].g.lo + off;
	return 0;
}

int
ph_natpools_port_get(struct ph_natpools *np, uint32_t gaddr, uint8_t proto,
		     uint16_t real_port, uint64_t *rng, uint16_t *port)
{
	struct patmap *m = find_map(np, gaddr, proto, true);

	if (m == NULL)
		return -ENOMEM;
	return ph_idalloc_get(port_class(m, real_port), rng, port);
}

void
ph_natpools_put(struct ph_natpools *np, const struct ph_xlate *x)
{
	if (x->kind == PH_XK_PAT) {
		struct patmap *m = find_map(np, x->gaddr, x->proto, false);

		if (m != NULL)
			(void)ph_idalloc_put(port_class(m, x->gport), x->gport);
		return;
	}
	if (x->global_idx < np->n_pools && np->pools[x->global_idx].ids &&
	    x->gaddr >= np->pools[x->global_idx].g.lo)
		(void)ph_idalloc_put(np->pools[x->global_idx].ids,
				     x->gaddr - np->pools[x->global_idx].g.lo);
}
