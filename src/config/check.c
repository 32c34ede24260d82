/*
 * config/check.c - cross-line semantics, after every line is parsed.
 *
 *  - snippet defaults: with no interface named at all, the PIX factory
 *    interfaces `nameif ethernet0 outside security0` and `nameif ethernet1
 *    inside security100` are assumed, each unless the file declares its
 *    hardware id itself (an ASA `interface ethernet1` block with no
 *    nameif): that interface stays unnamed, as written;
 *  - interface indexes (nameif order) and Linux names (-i HWID=IFNAME, else
 *    the hardware id itself);
 *  - every interface and access-list reference resolves (errors), access
 *    lists are applied and nat/global ids pair up (warnings);
 *  - statics do not overlap; at most one access-group per interface; at
 *    most one global service-policy.
 * Results are written into struct ph_policy_src (resolved indexes,
 * interface addresses) for compile.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

static const struct cfg_pos no_pos = { 0, 0 };

static void
add_default_ifaces(struct cfg_parser *p)
{
	static const struct {
		const char *hw, *name;
		uint8_t sec;
	} defs[] = { { "ethernet0", "outside", 0 },
		     { "ethernet1", "inside", 100 } };
	struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_ifaces; i++)
		if (src->ifaces[i].name)
			return;
	for (size_t i = 0; i < 2; i++) {
		struct cfg_iface *ni;
		bool declared = false;

		for (size_t k = 0; k < src->n_ifaces; k++)
			if (src->ifaces[k].hwid != NULL &&
			    strcasecmp(src->ifaces[k].hwid, defs[i].hw) == 0)
				declared = true;
		if (declared)
			continue; /* a second one would not print back */
		ni = vec_grow(src->ifaces, &src->cap_ifaces, src->n_ifaces,
			      sizeof(*ni));
		if (ni == NULL) {
			p->oom = true;
			return;
		}
		src->ifaces = ni;
		ni = &src->ifaces[src->n_ifaces];
		memset(ni, 0, sizeof(*ni));
		ni->hwid = cfg_strdup(p, defs[i].hw);
		ni->name = cfg_strdup(p, defs[i].name);
		if (ni->hwid == NULL || ni->name == NULL) {
			free(ni->hwid);
			free(ni->name);
			return;
		}
		ni->security = defs[i].sec;
		ni->mtu = 1500;
		ni->is_default = true;
		src->n_ifaces++;
	}
}

static bool
valid_linux_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' || *s == '\t')
			return false;
	return true;
}

static void
map_linux(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	const struct ph_parse_opts *o = p->opts;

	for (size_t i = 0; i < src->n_ifaces; i++)
		if (valid_linux_name(src->ifaces[i].hwid))
			strlcpy(src->ifaces[i].linux_name, src->ifaces[i].hwid,
				sizeof(src->ifaces[i].linux_name));
	for (size_t m = 0; o && m < o->n_ifmap; m++) {
		bool found = false;

		for (size_t i = 0; i < src->n_ifaces; i++) {
			struct cfg_iface *f = &src->ifaces[i];

			if (strcasecmp(f->hwid, o->ifmap[m].hwid) != 0)
				continue;
			strlcpy(f->linux_name, o->ifmap[m].linux_name,
				sizeof(f->linux_name));
			found = true;
		}
		if (!found)
			cfg_diag(p, PH_DIAG_WARNING, no_pos,
				 "-i %s=%s: no "
				 "interface has hardware id '%s'",
				 o->ifmap[m].hwid, o->ifmap[m].linux_name,
				 o->ifmap[m].hwid);
	}
	for (size_t i = 0; i < src->n_ifaces; i++) {
		const struct cfg_iface *a = &src->ifaces[i];

		for (size_t j = 0; a->name && a->linux_name[0] && j < i; j++) {
			const struct cfg_iface *b = &src->ifaces[j];

			if (b->name &&
			    strcmp(a->linux_name, b->linux_name) == 0)
				cfg_diag(p, PH_DIAG_ERROR, a->hwpos,
					 "interfaces '%s' and '%s' both map to "
					 "Linux interface '%s'",
					 b->name, a->name, a->linux_name);
		}
	}
}

/* Policy index of a named interface, PH_IF_NONE if there is none. */
static ph_ifidx_t
iface_idx(const struct ph_policy_src *src, const char *name)
{
	ph_ifidx_t idx = 0;

	for (size_t i = 0; i < src->n_ifaces; i++) {
		if (src->ifaces[i].name == NULL)
			continue;
		if (strcmp(src->ifaces[i].name, name) == 0)
			return idx;
		idx++;
	}
	return PH_IF_NONE;
}

/* The cfg_iface of a policy index. */
static struct cfg_iface *
iface_at(struct ph_policy_src *src, ph_ifidx_t idx)
{
	ph_ifidx_t k = 0;

	for (size_t i = 0; i < src->n_ifaces; i++) {
		if (src->ifaces[i].name == NULL)
			continue;
		if (k++ == idx)
			return &src->ifaces[i];
	}
	return NULL;
}

static bool
resolve(struct cfg_parser *p, struct cfg_ifref *r, const char *what)
{
	r->idx = iface_idx(p->src, r->name);
	if (r->idx != PH_IF_NONE)
		return true;
	cfg_diag(p, PH_DIAG_ERROR, r->pos, "%s on unknown interface '%s'", what,
		 r->name);
	return false;
}

static void
check_ifattrs(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_ipaddr; i++) {
		struct cfg_ifattr *a = &src->ipaddr[i];
		struct cfg_iface *f;

		if (!resolve(p, &a->ifr, "ip address"))
			continue;
		f = iface_at(src, a->ifr.idx);
		f->has_addr = true;
		f->addr = a->addr;
		f->mask = a->mask;
	}
	for (size_t i = 0; i < src->n_mtu; i++)
		if (resolve(p, &src->mtu[i].ifr, "mtu"))
			iface_at(src, src->mtu[i].ifr.idx)->mtu =
				src->mtu[i].mtu;
	for (size_t i = 0; i < src->n_hw; i++)
		for (size_t k = 0; k < src->n_ifaces; k++)
			if (strcasecmp(src->ifaces[k].hwid, src->hw[i].hwid) ==
			    0)
				src->ifaces[k].shutdown = src->hw[i].shutdown;
}

static int
find_acl(const struct ph_policy_src *src, const char *name)
{
	for (size_t i = 0; i < src->n_acls; i++)
		if (strcmp(src->acls[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
use_acl(struct cfg_parser *p, const char *name, struct cfg_pos pos)
{
	int a = find_acl(p->src, name);

	if (a < 0) {
		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "access-list '%s' does not "
			 "exist",
			 name);
		return;
	}
	p->src->acls[a].applied = true;
}

static void
check_agroups(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_agroups; i++) {
		struct cfg_agroup *g = &src->agroups[i];

		use_acl(p, g->acl, g->acl_pos);
		g->ifr.idx = iface_idx(src, g->ifr.name);
		if (g->ifr.idx == PH_IF_NONE) {
			cfg_diag(p, PH_DIAG_WARNING, g->ifr.pos,
				 "interface "
				 "'%s' has no nameif: access-group has no "
				 "effect",
				 g->ifr.name);
			continue;
		}
		for (size_t j = 0; j < i; j++) {
			if (src->agroups[j].ifr.idx != g->ifr.idx)
				continue;
			cfg_diag(p, PH_DIAG_ERROR, g->ifr.pos,
				 "interface '%s' "
				 "already has access-group '%s' (line %u)",
				 g->ifr.name, src->agroups[j].acl,
				 src->agroups[j].line);
			break;
		}
	}
}

static void
check_nat(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_nats; i++) {
		struct cfg_nat *n = &src->nats[i];
		bool paired = n->id == 0;

		resolve(p, &n->ifr, "nat");
		if (n->acl)
			use_acl(p, n->acl, n->acl_pos);
		for (size_t j = 0; !paired && j < src->n_globals; j++)
			paired = src->globals[j].id == n->id;
		if (!paired)
			cfg_diag(p, PH_DIAG_WARNING, n->id_pos,
				 "nat id %u has "
				 "no global: it translates nothing",
				 n->id);
	}
	for (size_t i = 0; i < src->n_globals; i++) {
		struct cfg_global *g = &src->globals[i];
		bool paired = false;

		resolve(p, &g->ifr, "global");
		for (size_t j = 0; !paired && j < src->n_nats; j++)
			paired = src->nats[j].id == g->id;
		if (!paired)
			cfg_diag(p, PH_DIAG_WARNING, g->id_pos,
				 "global id %u has "
				 "no nat: it is never used",
				 g->id);
	}
}

static void
static_range(const struct ph_policy_src *src, const struct cfg_static *s,
	     bool mapped, uint32_t *lo, uint32_t *hi)
{
	uint32_t a;

	if (mapped && s->mapped_is_iface) {
		const struct cfg_iface *f =
			iface_at((struct ph_policy_src *)src, s->mapped_if.idx);

		a = f && f->has_addr ? f->addr : 0;
		*lo = *hi = a;
		return;
	}
	a = mapped ? s->mapped_addr : s->real_addr;
	*lo = a & s->mask;
	*hi = *lo | ~s->mask;
}

static bool
statics_clash(const struct ph_policy_src *src, const struct cfg_static *a,
	      const struct cfg_static *b, bool mapped)
{
	uint32_t alo, ahi, blo, bhi;

	if (a->acl || b->acl)
		return false;
	if (mapped && a->mapped_if.idx != b->mapped_if.idx)
		return false;
	if (!mapped &&
	    (a->real_if.idx != b->real_if.idx || a->proto || b->proto))
		return false;
	if (mapped && a->proto && b->proto &&
	    (a->proto != b->proto || a->mapped_port != b->mapped_port))
		return false;
	static_range(src, a, mapped, &alo, &ahi);
	static_range(src, b, mapped, &blo, &bhi);
	return alo <= bhi && blo <= ahi;
}

static void
check_statics(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_statics; i++) {
		struct cfg_static *s = &src->statics[i];

		if (!resolve(p, &s->real_if, "static") ||
		    !resolve(p, &s->mapped_if, "static"))
			continue;
		if (s->acl)
			use_acl(p, s->acl, s->acl_pos);
		for (size_t j = 0; j < i; j++) {
			const struct cfg_static *o = &src->statics[j];

			if (o->real_if.idx == PH_IF_NONE ||
			    o->mapped_if.idx == PH_IF_NONE)
				continue;
			if (statics_clash(src, o, s, true)) {
				cfg_diag(p, PH_DIAG_ERROR, s->pos,
					 "static "
					 "overlaps the mapped addresses of the "
					 "static at line %u",
					 o->line);
				break;
			}
			if (statics_clash(src, o, s, false)) {
				cfg_diag(p, PH_DIAG_ERROR, s->pos,
					 "static "
					 "overlaps the real addresses of the "
					 "static at line %u",
					 o->line);
				break;
			}
		}
	}
}

static void
check_misc_refs(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	int globals = 0;

	for (size_t i = 0; i < src->n_routes; i++)
		resolve(p, &src->routes[i].ifr, "route");
	for (size_t i = 0; i < src->log.n_hosts; i++)
		resolve(p, &src->log.hosts[i].ifr, "logging host");
	if (src->log.devid_kind == PH_DEVID_IPADDRESS)
		resolve(p, &src->log.devid_if, "logging device-id");
	for (size_t i = 0; i < src->n_cmaps; i++)
		if (src->cmaps[i].acl)
			use_acl(p, src->cmaps[i].acl, src->cmaps[i].acl_pos);
	for (size_t i = 0; i < src->n_spols; i++) {
		struct cfg_svcpolicy *sp = &src->spols[i];
		bool found = false;

		for (size_t k = 0; k < src->n_pmaps; k++)
			found |= strcmp(src->pmaps[k].name, sp->name) == 0;
		if (!found)
			cfg_diag(p, PH_DIAG_ERROR, sp->pos,
				 "unknown policy-map "
				 "'%s'",
				 sp->name);
		if (sp->global && ++globals == 2)
			cfg_diag(p, PH_DIAG_ERROR, sp->pos,
				 "only one "
				 "service-policy may be global");
		if (!sp->global)
			resolve(p, &sp->ifr, "service-policy");
	}
}

/*
 * Which policy-maps apply: those named by a service-policy, and
 * `global_policy` unless another policy-map is the global one (the ASA
 * factory configuration applies global_policy globally).
 */
static void
check_pmaps(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	bool other_global = false;

	for (size_t i = 0; i < src->n_spols; i++)
		if (src->spols[i].global &&
		    strcmp(src->spols[i].name, "global_policy") != 0)
			other_global = true;
	for (size_t k = 0; k < src->n_pmaps; k++) {
		struct cfg_policymap *pm = &src->pmaps[k];

		pm->applied =
			!other_global && strcmp(pm->name, "global_policy") == 0;
		for (size_t i = 0; i < src->n_spols; i++) {
			if (strcmp(src->spols[i].name, pm->name) != 0)
				continue;
			pm->applied = true;
			if (!src->spols[i].global)
				cfg_diag(p, PH_DIAG_NOTE, src->spols[i].pos,
					 "service-policy on one interface: "
					 "inspection applies on all interfaces "
					 "on "
					 "this platform");
		}
		if (!pm->applied)
			cfg_diag(p, PH_DIAG_WARNING, pm->pos,
				 "policy-map '%s' "
				 "is not applied by any service-policy",
				 pm->name);
	}
}

void
cfg_check(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;

	add_default_ifaces(p);
	if (p->oom)
		return;
	map_linux(p);
	check_ifattrs(p);
	check_agroups(p);
	check_nat(p);
	check_statics(p);
	check_misc_refs(p);
	check_pmaps(p);
	for (size_t i = 0; i < src->n_acls; i++)
		if (!src->acls[i].applied)
			cfg_diag(p, PH_DIAG_WARNING, src->acls[i].pos,
				 "access-list '%s' is never applied",
				 src->acls[i].name);
}
