/*
 * config/pptp_where.c - where a policy turns PPTP inspection on
 * (pptp_where.h).  Follows the rules of compile.c and check.c
 * (docs/config.md "PPTP inspection"): a policy-map is applied by a
 * service-policy naming it, or is `global_policy` while no other
 * policy-map is the global one; fixup lines add and remove ports in file
 * order.
 */
#include <string.h>

#include "config/cfg.h"
#include "config/pptp_where.h"

struct where_out {
	struct ph_pptp_where *w;
	size_t max, n;
};

static struct ph_pptp_where *
where_add(struct where_out *o)
{
	struct ph_pptp_where *e = NULL;

	if (o->n < o->max) {
		e = &o->w[o->n];
		memset(e, 0, sizeof(*e));
	}
	o->n++;
	return e;
}

/* Every class of pm that inspects pptp, under ifname (NULL: global). */
static void
pmap_classes(struct where_out *o, const struct cfg_policymap *pm,
	     const char *ifname)
{
	struct ph_pptp_where *e;

	for (size_t k = 0; k < pm->n; k++) {
		if (!pm->cls[k].pptp || (e = where_add(o)) == NULL)
			continue;
		e->ifname = ifname;
		e->policy_map = pm->name;
		e->class_map = pm->cls[k].name;
	}
}

static bool
other_global(const struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_spols; i++)
		if (src->spols[i].global &&
		    strcmp(src->spols[i].name, "global_policy") != 0)
			return true;
	return false;
}

static bool
applied_global(const struct ph_policy_src *src, const struct cfg_policymap *pm)
{
	if (strcmp(pm->name, "global_policy") == 0 && !other_global(src))
		return true;
	for (size_t i = 0; i < src->n_spols; i++)
		if (src->spols[i].global &&
		    strcmp(src->spols[i].name, pm->name) == 0)
			return true;
	return false;
}

static void
port_del(struct ph_pptp_where *e, uint32_t lo, uint32_t hi)
{
	uint8_t k = 0;

	for (uint8_t i = 0; i < e->n_ports; i++)
		if (e->ports[i] < lo || e->ports[i] > hi)
			e->ports[k++] = e->ports[i];
	e->n_ports = k;
}

static void
port_add(struct ph_pptp_where *e, uint32_t port)
{
	for (uint8_t i = 0; i < e->n_ports; i++)
		if (e->ports[i] == port)
			return;
	if (e->n_ports < PH_INSPECT_PORTS_MAX)
		e->ports[e->n_ports++] = (uint16_t)port;
}

/* The ports `fixup protocol pptp` lines leave, in file order. */
static void
fixup_ports(const struct ph_policy_src *src, struct ph_pptp_where *e)
{
	for (size_t i = 0; i < src->n_fixups; i++) {
		const struct cfg_fixup *f = &src->fixups[i];

		if (strcmp(f->proto, "pptp") != 0)
			continue;
		if (f->no && f->n_ports == 0)
			e->n_ports = 0;
		for (uint8_t k = 0; k < f->n_ports; k++) {
			if (f->no) {
				port_del(e, f->lo[k], f->hi[k]);
				continue;
			}
			for (uint32_t p = f->lo[k]; p <= f->hi[k]; p++)
				port_add(e, p);
		}
	}
}

size_t
ph_policy_pptp_where(const struct ph_policy *pol, struct ph_pptp_where *w,
		     size_t max)
{
	struct where_out o = { w, max, 0 };
	const struct ph_policy_src *src;
	struct ph_pptp_where fx;

	if (pol == NULL || (src = pol->src) == NULL)
		return 0;
	for (size_t i = 0; i < src->n_pmaps; i++)
		if (applied_global(src, &src->pmaps[i]))
			pmap_classes(&o, &src->pmaps[i], NULL);
	for (size_t s = 0; s < src->n_spols; s++) {
		if (src->spols[s].global)
			continue;
		for (size_t i = 0; i < src->n_pmaps; i++)
			if (strcmp(src->spols[s].name, src->pmaps[i].name) == 0)
				pmap_classes(&o, &src->pmaps[i],
					     src->spols[s].ifr.name);
	}
	memset(&fx, 0, sizeof(fx));
	fixup_ports(src, &fx);
	if (fx.n_ports > 0) {
		struct ph_pptp_where *e = where_add(&o);

		if (e != NULL)
			*e = fx;
	}
	return o.n;
}
