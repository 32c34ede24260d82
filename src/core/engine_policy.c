/*
 * core/engine_policy.c - installing a policy (reload), `clear xlate` and
 * `clear conn`.
 *
 * A reload swaps the policy pointer; connections and xlates survive, with
 * one rule: whatever was built by a rule (static, nat, global) that the
 * new policy no longer has -- same fields, any position -- is torn down as
 * `clear xlate` would, with teardown reason "Xlate Clear".  So is a
 * connection whose interfaces were renamed, removed or re-numbered.
 * Access-list changes do not touch existing connections (PIX keeps them
 * too, until `clear xlate` / `clear conn`).
 *
 * Cost: one pass over the xlates and two over the connection slots (the
 * reload, then recounting the per-line limits), O(xlates + connections)
 * with no allocation per entry (docs/engine.md "Reload").
 *
 * Known limits: the pass is not sliced: packets wait while it runs; a
 * renumbered interface kills its connections rather than re-keying them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/acl.h"
#include "core/engine_int.h"

/* Index of rule `old` (position hint i) in the new policy, or -1. */
#define REMAP(type, same, oldp, n_old, newp, n_new, i, out)          \
	do {                                                         \
		(out) = -1;                                          \
		if ((i) < (n_new) && same(&(oldp)[i], &(newp)[i])) { \
			(out) = (int64_t)(i);                        \
			break;                                       \
		}                                                    \
		for (size_t j_ = 0; j_ < (n_new); j_++)              \
			if (same(&(oldp)[i], &(newp)[j_])) {         \
				(out) = (int64_t)j_;                 \
				break;                               \
			}                                            \
	} while (0)

static bool
iface_same(const struct ph_policy *a, const struct ph_policy *b, ph_ifidx_t i)
{
	return i < a->n_ifaces && i < b->n_ifaces &&
	       strcmp(a->ifaces[i].name, b->ifaces[i].name) == 0;
}

static int64_t
remap_static(const struct ph_policy *o, const struct ph_policy *n, size_t i)
{
	int64_t out;

	if (i >= o->n_statics)
		return -1;
	REMAP(struct ph_static, ph_static_same, o->statics, o->n_statics,
	      n->statics, n->n_statics, i, out);
	return out;
}

static int64_t
remap_nat(const struct ph_policy *o, const struct ph_policy *n, size_t i)
{
	int64_t out;

	if (i >= o->n_nats)
		return -1;
	REMAP(struct ph_nat, ph_nat_same, o->nats, o->n_nats, n->nats,
	      n->n_nats, i, out);
	return out;
}

static int64_t
remap_global(const struct ph_policy *o, const struct ph_policy *n, size_t i)
{
	int64_t out;

	if (i >= o->n_globals)
		return -1;
	REMAP(struct ph_global, ph_global_same, o->globals, o->n_globals,
	      n->globals, n->n_globals, i, out);
	return out;
}

/* What the old policy's rules are in the new one (index or -1), and
 * which xlates go; made before anything changes, so a reload cannot fail
 * half-way. */
struct remap {
	int64_t *st, *nat, *gl;
	uint8_t *xdead; /* per xlate slot */
};

static void
remap_free(struct remap *m)
{
	free(m->st);
	free(m->nat);
	free(m->gl);
	free(m->xdead);
}

static int
remap_new(struct ph_engine *eng, const struct ph_policy *o,
	  const struct ph_policy *n, struct remap *m)
{
	memset(m, 0, sizeof(*m));
	m->st = calloc(o->n_statics + 1, sizeof(*m->st));
	m->nat = calloc(o->n_nats + 1, sizeof(*m->nat));
	m->gl = calloc(o->n_globals + 1, sizeof(*m->gl));
	m->xdead = calloc(eng->xlates->fresh + 1, 1);
	if (m->st == NULL || m->nat == NULL || m->gl == NULL ||
	    m->xdead == NULL) {
		remap_free(m);
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->n_statics; i++)
		m->st[i] = remap_static(o, n, i);
	for (size_t i = 0; i < o->n_nats; i++)
		m->nat[i] = remap_nat(o, n, i);
	for (size_t i = 0; i < o->n_globals; i++)
		m->gl[i] = remap_global(o, n, i);
	return 0;
}

static int64_t
remapped(const int64_t *tab, size_t n, uint32_t i)
{
	return i < n ? tab[i] : -1;
}

/* Does connection c keep its rule under the new policy?  Remaps it. */
static bool
conn_survives(struct ph_engine *eng, struct ph_conn *c,
	      const struct ph_policy *o, const struct ph_policy *n,
	      const struct remap *m)
{
	int64_t r = 0;

	if (!iface_same(o, n, c->k[0].ifidx) ||
	    !iface_same(o, n, c->k[1].ifidx))
		return false;
	switch (c->rule) {
	case PH_RULE_STATIC:
		r = remapped(m->st, o->n_statics, c->rule_idx);
		break;
	case PH_RULE_EXEMPT:
	case PH_RULE_IDENTITY:
		r = remapped(m->nat, o->n_nats, c->rule_idx);
		break;
	case PH_RULE_XLATE:
		return c->xl == PH_IDX_NONE ||
		       (ph_xlate_at(eng->xlates, c->xl)->live &&
			!m->xdead[c->xl]);
	default:
		return true;
	}
	if (r < 0)
		return false;
	c->rule_idx = (uint32_t)r;
	return true;
}

/* Does xlate x keep its global and nat rules?  Remaps them. */
static bool
xlate_survives(struct ph_xlate *x, const struct ph_policy *o,
	       const struct ph_policy *n, const struct remap *m)
{
	int64_t g, r;

	if (!iface_same(o, n, x->lif) || !iface_same(o, n, x->gif))
		return false;
	g = remapped(m->gl, o->n_globals, x->global_idx);
	r = remapped(m->nat, o->n_nats, x->nat_idx);
	if (g < 0 || r < 0)
		return false;
	if (n->globals[g].is_iface &&
	    (!n->ifaces[x->gif].has_addr || n->ifaces[x->gif].addr != x->gaddr))
		return false;
	x->global_idx = (uint32_t)g;
	x->nat_idx = (uint32_t)r;
	return true;
}

/* Tear down every connection using xlate xl (or all when xl is NONE and
 * all is set). */
static unsigned
kill_conns(struct ph_engine *eng, uint32_t xl, bool all, ph_time_t now)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < eng->conns->fresh; i++) {
		if (!ph_conn_live(eng->conns, i))
			continue;
		if (all || ph_conn_at(eng->conns, i)->xl == xl) {
			ph_eng_conn_destroy(eng, i, PH_TD_XLATE_CLEAR, now);
			n++;
		}
	}
	return n;
}

/* One pass over the xlates and one over the connections, O(xlates +
 * connections) whatever changed: the xlates that go are marked first,
 * their connections go in the connection pass ("Xlate Clear"), then they
 * do. */
static void
reload_tables(struct ph_engine *eng, const struct ph_policy *o,
	      const struct ph_policy *n, const struct remap *m, ph_time_t now)
{
	struct ph_xlatetab *xt = eng->xlates;

	for (uint32_t i = 0; i < xt->fresh; i++) {
		struct ph_xlate *x = ph_xlate_at(xt, i);

		m->xdead[i] = x->live && !xlate_survives(x, o, n, m);
	}
	for (uint32_t i = 0; i < eng->conns->fresh; i++)
		if (ph_conn_live(eng->conns, i) &&
		    !conn_survives(eng, ph_conn_at(eng->conns, i), o, n, m))
			ph_eng_conn_destroy(eng, i, PH_TD_XLATE_CLEAR, now);
	for (uint32_t i = 0; i < xt->fresh; i++)
		if (m->xdead[i])
			eng_xlate_destroy(eng, i, now);
}

static int
new_counters(struct ph_engine *eng, const struct ph_policy *pol,
	     uint64_t **hits, uint64_t **chits)
{
	*hits = calloc(pol->n_hit_slots + 1, sizeof(uint64_t));
	*chits = calloc(pol->n_conduits + 1, sizeof(uint64_t));
	if (*hits == NULL || *chits == NULL) {
		free(*hits);
		free(*chits);
		return -ENOMEM;
	}
	(void)eng;
	return 0;
}

int
eng_policy_swap(struct ph_engine *eng, const struct ph_policy *pol,
		ph_time_t now)
{
	const struct ph_policy *old = eng->pol;
	struct ph_acl_index *own = NULL;
	struct ph_natpools *np;
	struct eng_limit_arrays lim;
	struct remap m = { 0 };
	uint64_t *hits, *chits;
	int err = 0;

	if (pol->n_ifaces > PH_IF_MAX)
		return -EINVAL;
	if (pol->acl_index == NULL) {
		own = ph_acl_index_build(pol, eng->opts.seed[0], &err);
		if (own == NULL)
			return err != 0 ? err : -ENOMEM;
	}
	np = ph_natpools_new();
	if (np == NULL || ph_natpools_sync(np, pol) != 0)
		goto out_np;
	if (eng_limit_prepare(pol, &lim) != 0)
		goto out_np;
	if (old != NULL && remap_new(eng, old, pol, &m) != 0)
		goto out_lim;
	if (new_counters(eng, pol, &hits, &chits) != 0)
		goto out_remap;
	/* nothing can fail from here on */
	if (old != NULL)
		reload_tables(eng, old, pol, &m, now);
	remap_free(&m);
	ph_natpools_free(eng->pools);
	eng->pools = np;
	for (uint32_t i = 0; i < eng->xlates->fresh; i++)
		if (ph_xlate_at(eng->xlates, i)->live)
			ph_natpools_mark(eng->pools,
					 ph_xlate_at(eng->xlates, i));
	eng->pol = pol;
	ph_acl_index_free(eng->own_ix);
	eng->own_ix = own;
	eng->acl_ix = own != NULL ? own : pol->acl_index;
	free(eng->acl_hits);
	free(eng->conduit_hits);
	eng->acl_hits = hits;
	eng->conduit_hits = chits;
	memcpy(eng->to, pol->timeouts, sizeof(eng->to));
	eng_limit_install(eng, &lim);
	eng_acllog_reset(eng->acllog);
	for (unsigned i = 0; ph_inspectors[i] != NULL && i < PH_INSPECT_MAX;
	     i++)
		if (ph_inspectors[i]->on_policy != NULL)
			ph_inspectors[i]->on_policy(eng, eng->insp_priv[i],
						    now);
	return 0;
out_remap:
	remap_free(&m);
out_lim:
	free(lim.st);
	free(lim.nat);
out_np:
	ph_natpools_free(np);
	ph_acl_index_free(own);
	return -ENOMEM;
}

unsigned
ph_engine_clear_xlate(struct ph_engine *eng, ph_time_t now)
{
	unsigned n = 0;

	if (eng == NULL)
		return 0;
	/* PIX `clear xlate` also drops the connections through statics */
	for (uint32_t i = 0; i < eng->conns->fresh; i++) {
		const struct ph_conn *c;

		if (!ph_conn_live(eng->conns, i))
			continue;
		c = ph_conn_at(eng->conns, i);
		if (c->rule == PH_RULE_XLATE || c->rule == PH_RULE_STATIC)
			ph_eng_conn_destroy(eng, i, PH_TD_XLATE_CLEAR, now);
	}
	for (uint32_t i = 0; i < eng->xlates->fresh; i++) {
		if (!ph_xlate_at(eng->xlates, i)->live)
			continue;
		eng_xlate_destroy(eng, i, now);
		n++;
	}
	return n;
}

unsigned
ph_engine_clear_conn(struct ph_engine *eng, ph_time_t now)
{
	if (eng == NULL)
		return 0;
	return kill_conns(eng, PH_IDX_NONE, true, now);
}
