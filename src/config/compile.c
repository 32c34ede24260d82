/*
 * config/compile.c - struct ph_policy_src -> struct ph_policy (model.h).
 *
 *  - interfaces in nameif order, with ip address, mtu, shutdown and the
 *    access-group bound to them (acl_in);
 *  - ACLs and conduits flattened: object groups are expanded into the
 *    cartesian product protocol x source x source port x destination x
 *    destination port x ICMP type; every entry keeps ace_idx, the hit
 *    counter slot of the ACE as written;
 *  - statics, nats, globals with interface and ACL indexes;
 *  - routes: one connected route per `ip address` plus the `route` lines,
 *    sorted longest prefix first (stable);
 *  - timeouts (defaults from PH_TIMEOUTS), logging, PPTP inspection ports
 *    from `fixup protocol pptp` and from `inspect pptp` in applied
 *    policy-maps (docs/config.md).
 * Only runs on a configuration without errors, except for expansion
 * limits, which it reports itself.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

/* A flattened operand list. */
struct flat {
	struct ph_prefix *pfx;
	struct ph_portspec *port;
	int16_t *val;
	size_t n, cap;
	bool oom;
	bool big; /* more than PH_CFG_MAX_EXPAND operands */
};

static void
flat_add(struct flat *f, const struct ph_prefix *pfx,
	 const struct ph_portspec *port, int16_t val)
{
	size_t cap = f->cap;
	void *a, *b, *c;

	if (f->oom || f->big)
		return;
	if (f->n >= PH_CFG_MAX_EXPAND) {
		f->big = true;
		return;
	}
	if (f->n >= f->cap) {
		cap = f->cap ? f->cap * 2 : 8;
		a = realloc(f->pfx, cap * sizeof(*f->pfx));
		if (a)
			f->pfx = a;
		b = realloc(f->port, cap * sizeof(*f->port));
		if (b)
			f->port = b;
		c = realloc(f->val, cap * sizeof(*f->val));
		if (c)
			f->val = c;
		if (!a || !b || !c) {
			f->oom = true;
			return;
		}
		f->cap = cap;
	}
	/* field by field, so padding is zero and policies compare equal */
	memset(&f->pfx[f->n], 0, sizeof(f->pfx[f->n]));
	memset(&f->port[f->n], 0, sizeof(f->port[f->n]));
	if (pfx) {
		f->pfx[f->n].addr = pfx->addr;
		f->pfx[f->n].mask = pfx->mask;
	}
	if (port) {
		f->port[f->n].op = port->op;
		f->port[f->n].lo = port->lo;
		f->port[f->n].hi = port->hi;
	}
	f->val[f->n] = val;
	f->n++;
}

static void
flat_free(struct flat *f)
{
	free(f->pfx);
	free(f->port);
	free(f->val);
	memset(f, 0, sizeof(*f));
}

static void
flat_group(const struct ph_policy_src *src, int g, struct flat *f)
{
	const struct cfg_group *grp = &src->groups[g];

	for (size_t i = 0; i < grp->n; i++) {
		const struct cfg_member *m = &grp->m[i];
		struct ph_portspec ps;

		if (m->is_desc)
			continue;
		if (m->group >= 0) {
			flat_group(src, m->group, f);
			continue;
		}
		ps.op = m->port.op;
		ps.lo = m->port.lo;
		ps.hi = m->port.hi;
		flat_add(f, &m->pfx, &ps, m->value);
	}
}

static void
flat_addr(const struct ph_policy_src *src, const struct cfg_addr *a,
	  struct flat *f)
{
	struct ph_prefix pfx = { a->addr, a->mask };

	if (a->kind == CFG_A_GROUP)
		flat_group(src, a->group, f);
	else
		flat_add(f, a->kind == CFG_A_ANY ? NULL : &pfx, NULL, 0);
}

static void
flat_port(const struct ph_policy_src *src, const struct cfg_port *p,
	  struct flat *f)
{
	struct ph_portspec ps = { p->op, p->lo, p->hi };

	if (p->group >= 0)
		flat_group(src, p->group, f);
	else
		flat_add(f, NULL, &ps, 0);
}

struct out_aces {
	struct ph_ace *a;
	size_t n, cap;
};

/* One compiled entry from an ACE and one choice of each operand. */
static void
ace_fill(struct ph_ace *x, const struct cfg_ace *e, int16_t proto,
	 const struct ph_prefix *src, const struct ph_portspec *sport,
	 const struct ph_prefix *dst, const struct ph_portspec *dport,
	 int16_t icmp)
{
	x->action = e->action;
	x->proto = proto == 0 ? PH_PROTO_ANY : proto;
	x->src = *src;
	x->dst = *dst;
	if (x->proto == 6 || x->proto == 17) {
		x->sport = *sport;
		x->dport = *dport;
	}
	x->icmp_type = x->proto == 1 ? icmp : PH_ICMP_ANY;
	x->log_level = e->log_level;
	x->log_interval = e->log_interval;
	x->src_line = e->line;
}

/* Expand one ACE as written into out; -1 on limit/oom (reported). */
static int
expand_ace(struct cfg_parser *p, const struct cfg_ace *e, uint32_t slot,
	   uint32_t line_no, struct out_aces *out)
{
	const struct ph_policy_src *src = p->src;
	struct flat pr = { 0 }, s = { 0 }, sp = { 0 }, d = { 0 }, dp = { 0 };
	struct flat ic = { 0 };
	size_t total;
	int rc = -1;

	if (e->proto_group >= 0)
		flat_group(src, e->proto_group, &pr);
	else
		flat_add(&pr, NULL, NULL, e->proto);
	flat_addr(src, &e->src, &s);
	flat_addr(src, &e->dst, &d);
	flat_port(src, &e->sport, &sp);
	flat_port(src, &e->dport, &dp);
	if (e->icmp_group >= 0)
		flat_group(src, e->icmp_group, &ic);
	else
		flat_add(&ic, NULL, NULL, e->icmp_type);
	if (pr.oom || s.oom || d.oom || sp.oom || dp.oom || ic.oom) {
		p->oom = true;
		goto out;
	}
	/* the cartesian product, walked as one mixed-radix counter */
	total = 1;
	for (size_t i = 0; i < 6 && total <= PH_CFG_MAX_EXPAND; i++)
		total *= (size_t[]){ pr.n, s.n, sp.n, d.n, dp.n, ic.n }[i];
	if (pr.big || s.big || sp.big || d.big || dp.big || ic.big ||
	    total > PH_CFG_MAX_EXPAND || out->n + total > PH_CFG_MAX_EXPAND) {
		struct cfg_pos pos = { e->line, 1 };

		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "access lists expand to more than %u entries",
			 PH_CFG_MAX_EXPAND);
		goto out;
	}
	for (size_t i = 0; i < total; i++) {
		size_t r = i, m = r % ic.n, l, k, c, b, a;
		struct ph_ace *x;

		r /= ic.n;
		l = r % dp.n;
		r /= dp.n;
		k = r % d.n;
		r /= d.n;
		c = r % sp.n;
		r /= sp.n;
		b = r % s.n;
		a = r / s.n;
		x = vec_grow(out->a, &out->cap, out->n, sizeof(*x));
		if (x == NULL) {
			p->oom = true;
			goto out;
		}
		out->a = x;
		x = &out->a[out->n++];
		ace_fill(x, e, pr.val[a], &s.pfx[b], &sp.port[c], &d.pfx[k],
			 &dp.port[l], ic.val[m]);
		x->ace_idx = slot;
		x->line_no = line_no;
	}
	rc = 0;
out:
	flat_free(&pr);
	flat_free(&s);
	flat_free(&sp);
	flat_free(&d);
	flat_free(&dp);
	flat_free(&ic);
	return rc;
}

static int
compile_acls(struct cfg_parser *p, struct ph_policy *pol)
{
	const struct ph_policy_src *src = p->src;
	struct out_aces out = { 0 };
	uint32_t slot = 0;

	pol->acls = calloc(src->n_acls ? src->n_acls : 1, sizeof(*pol->acls));
	if (pol->acls == NULL)
		return -ENOMEM;
	pol->n_acls = src->n_acls;
	for (size_t i = 0; i < src->n_acls; i++) {
		const struct cfg_acl *ca = &src->acls[i];
		struct ph_acl *a = &pol->acls[i];

		strlcpy(a->name, ca->name, sizeof(a->name));
		a->first = (uint32_t)out.n;
		a->hit_base = slot;
		a->n_shown = ca->n_shown;
		a->applied = ca->applied;
		for (size_t k = 0; k < ca->n; k++) {
			const struct cfg_ace *e = &src->aces[ca->ace[k]];

			if (e->remark)
				continue;
			if (expand_ace(p, e, slot++, (uint32_t)k + 1, &out) < 0)
				goto fail;
		}
		a->count = (uint32_t)(out.n - a->first);
	}
	pol->aces = out.a;
	pol->n_aces = out.n;
	pol->n_hit_slots = slot;
	out.a = NULL;
	out.n = 0;
	out.cap = 0;
	for (size_t i = 0; i < src->n_conduits; i++)
		if (expand_ace(p, &src->conduits[i], (uint32_t)i,
			       (uint32_t)i + 1, &out) < 0)
			goto fail;
	pol->conduits = out.a;
	pol->n_conduits = out.n;
	return 0;
fail:
	free(out.a);
	return p->oom ? -ENOMEM : -EINVAL;
}

static int
acl_index(const struct ph_policy_src *src, const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < src->n_acls; i++)
		if (strcmp(src->acls[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
compile_ifaces(const struct ph_policy_src *src, struct ph_policy *pol)
{
	size_t n = 0;

	pol->ifaces =
		calloc(src->n_ifaces ? src->n_ifaces : 1, sizeof(*pol->ifaces));
	if (pol->ifaces == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_ifaces; i++) {
		const struct cfg_iface *f = &src->ifaces[i];
		struct ph_iface *o = &pol->ifaces[n];

		if (f->name == NULL)
			continue;
		strlcpy(o->name, f->name, sizeof(o->name));
		strlcpy(o->hwid, f->hwid, sizeof(o->hwid));
		strlcpy(o->linux_name, f->linux_name, sizeof(o->linux_name));
		o->security = f->security;
		o->has_addr = f->has_addr;
		o->addr = f->addr;
		o->mask = f->mask;
		o->mtu = f->mtu;
		o->shutdown = f->shutdown;
		o->acl_in = -1;
		n++;
	}
	pol->n_ifaces = n;
	for (size_t i = 0; i < src->n_agroups; i++) {
		const struct cfg_agroup *g = &src->agroups[i];

		if (g->ifr.idx != PH_IF_NONE)
			pol->ifaces[g->ifr.idx].acl_in = acl_index(src, g->acl);
	}
	return 0;
}

static int
compile_nat(const struct ph_policy_src *src, struct ph_policy *pol)
{
	pol->statics = calloc(src->n_statics + 1, sizeof(*pol->statics));
	pol->nats = calloc(src->n_nats + 1, sizeof(*pol->nats));
	pol->globals = calloc(src->n_globals + 1, sizeof(*pol->globals));
	if (!pol->statics || !pol->nats || !pol->globals)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_statics; i++) {
		const struct cfg_static *s = &src->statics[i];
		struct ph_static *o = &pol->statics[i];

		o->real_if = s->real_if.idx;
		o->mapped_if = s->mapped_if.idx;
		o->proto = s->proto;
		o->mapped_is_iface = s->mapped_is_iface;
		o->mapped_addr = s->mapped_is_iface
					 ? pol->ifaces[o->mapped_if].addr
					 : s->mapped_addr;
		o->real_addr = s->real_addr;
		o->mask = s->acl ? 0xffffffffu : s->mask;
		o->mapped_port = s->mapped_port;
		o->real_port = s->real_port;
		o->max_conns = s->max_conns;
		o->emb_limit = s->emb_limit;
		o->acl = acl_index(src, s->acl);
		o->norandomseq = s->norandomseq;
		o->src_line = s->line;
	}
	pol->n_statics = src->n_statics;
	for (size_t i = 0; i < src->n_nats; i++) {
		const struct cfg_nat *n = &src->nats[i];
		struct ph_nat *o = &pol->nats[i];

		o->ifidx = n->ifr.idx;
		o->id = n->id;
		o->acl = acl_index(src, n->acl);
		o->match = n->match;
		o->outside = n->outside;
		o->dns = n->dns;
		o->norandomseq = n->norandomseq;
		o->max_conns = n->max_conns;
		o->emb_limit = n->emb_limit;
		o->src_line = n->line;
	}
	pol->n_nats = src->n_nats;
	for (size_t i = 0; i < src->n_globals; i++) {
		const struct cfg_global *g = &src->globals[i];
		struct ph_global *o = &pol->globals[i];

		o->ifidx = g->ifr.idx;
		o->id = g->id;
		o->is_iface = g->is_iface;
		o->lo = g->is_iface ? pol->ifaces[o->ifidx].addr : g->lo;
		o->hi = g->is_iface ? o->lo : g->hi;
		o->mask = g->mask;
		o->src_line = g->line;
	}
	pol->n_globals = src->n_globals;
	return 0;
}

static int
compile_routes(const struct ph_policy_src *src, struct ph_policy *pol)
{
	size_t n = 0;

	pol->routes =
		calloc(pol->n_ifaces + src->n_routes + 1, sizeof(*pol->routes));
	if (pol->routes == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < pol->n_ifaces; i++) {
		const struct ph_iface *f = &pol->ifaces[i];

		if (!f->has_addr)
			continue;
		pol->routes[n].ifidx = (ph_ifidx_t)i;
		pol->routes[n].dst.addr = f->addr & f->mask;
		pol->routes[n].dst.mask = f->mask;
		n++;
	}
	for (size_t i = 0; i < src->n_routes; i++) {
		pol->routes[n].ifidx = src->routes[i].ifr.idx;
		pol->routes[n].dst = src->routes[i].dst;
		pol->routes[n].gw = src->routes[i].gw;
		pol->routes[n].metric = src->routes[i].metric;
		n++;
	}
	/* stable insertion sort, longest prefix first */
	for (size_t i = 1; i < n; i++) {
		struct ph_route r = pol->routes[i];
		size_t j = i;

		while (j > 0 && cfg_mask_len(pol->routes[j - 1].dst.mask) <
					cfg_mask_len(r.dst.mask)) {
			pol->routes[j] = pol->routes[j - 1];
			j--;
		}
		pol->routes[j] = r;
	}
	pol->n_routes = n;
	return 0;
}

static void
pptp_port_add(struct cfg_parser *p, struct ph_inspect *in, uint32_t port,
	      uint32_t line)
{
	for (uint8_t i = 0; i < in->n_pptp_ports; i++)
		if (in->pptp_ports[i] == port)
			return;
	if (in->n_pptp_ports >= PH_INSPECT_PORTS_MAX) {
		struct cfg_pos pos = { line, 1 };

		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "too many PPTP inspection "
			 "ports (limit %d)",
			 PH_INSPECT_PORTS_MAX);
		return;
	}
	in->pptp_ports[in->n_pptp_ports++] = (uint16_t)port;
}

static void
pptp_port_del(struct ph_inspect *in, uint32_t lo, uint32_t hi)
{
	uint8_t k = 0;

	for (uint8_t i = 0; i < in->n_pptp_ports; i++)
		if (in->pptp_ports[i] < lo || in->pptp_ports[i] > hi)
			in->pptp_ports[k++] = in->pptp_ports[i];
	in->n_pptp_ports = k;
}

/* Ports a policy-map class inspects PPTP on. */
static void
class_ports(struct cfg_parser *p, const struct cfg_pclass *c,
	    struct ph_inspect *in)
{
	const struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_cmaps; i++) {
		const struct cfg_classmap *cm = &src->cmaps[i];

		if (strcmp(cm->name, c->name) != 0)
			continue;
		if (cm->has_match && cm->match == CFG_M_PORT) {
			for (uint32_t port = cm->lo; port <= cm->hi; port++)
				pptp_port_add(p, in, port, c->pos.line);
			return;
		}
		break;
	}
	/* default-inspection-traffic, any, access-list: the PPTP port */
	pptp_port_add(p, in, 1723, c->pos.line);
}

static void
compile_inspect(struct cfg_parser *p, struct ph_inspect *in)
{
	const struct ph_policy_src *src = p->src;

	for (size_t i = 0; i < src->n_fixups; i++) {
		const struct cfg_fixup *f = &src->fixups[i];

		if (strcmp(f->proto, "pptp") != 0)
			continue;
		if (f->no && f->n_ports == 0)
			in->n_pptp_ports = 0;
		for (uint8_t k = 0; k < f->n_ports; k++) {
			if (f->no) {
				pptp_port_del(in, f->lo[k], f->hi[k]);
				continue;
			}
			for (uint32_t port = f->lo[k];
			     port <= f->hi[k] &&
			     in->n_pptp_ports <= PH_INSPECT_PORTS_MAX;
			     port++)
				pptp_port_add(p, in, port, f->line);
		}
	}
	for (size_t i = 0; i < src->n_pmaps; i++) {
		const struct cfg_policymap *pm = &src->pmaps[i];

		for (size_t k = 0; pm->applied && k < pm->n; k++)
			if (pm->cls[k].pptp)
				class_ports(p, &pm->cls[k], in);
	}
	in->pptp = in->n_pptp_ports > 0;
}

static void
compile_logging(const struct ph_policy_src *src, struct ph_policy *pol)
{
	const struct cfg_logging *l = &src->log;
	struct ph_logging *o = &pol->logging;

	o->on = l->on;
	o->trap = l->trap;
	o->console = l->console;
	o->buffered = l->buffered;
	o->monitor = l->monitor;
	o->history = l->history;
	o->facility = l->facility;
	o->timestamp = l->timestamp;
	o->queue = l->queue;
	o->asa_prefix = src->asa;
	o->devid_kind = l->devid_kind;
	o->devid_if = l->devid_kind == PH_DEVID_IPADDRESS ? l->devid_if.idx
							  : PH_IF_NONE;
	if (l->devid)
		strlcpy(o->devid, l->devid, sizeof(o->devid));
	for (uint8_t i = 0; i < l->n_hosts; i++) {
		o->hosts[i].ifidx = l->hosts[i].ifr.idx;
		o->hosts[i].addr = l->hosts[i].addr;
		o->hosts[i].proto = l->hosts[i].proto;
		o->hosts[i].port = l->hosts[i].port;
	}
	o->n_hosts = l->n_hosts;
}

int
cfg_compile(struct cfg_parser *p, struct ph_policy **out)
{
	struct ph_policy *pol = calloc(1, sizeof(*pol));
	const char *host;
	int rc;

	*out = NULL;
	if (pol == NULL)
		return -ENOMEM;
	if ((rc = compile_ifaces(p->src, pol)) < 0 ||
	    (rc = compile_acls(p, pol)) < 0 ||
	    (rc = compile_nat(p->src, pol)) < 0 ||
	    (rc = compile_routes(p->src, pol)) < 0)
		goto fail;
	memcpy(pol->timeouts, p->src->timeouts, sizeof(pol->timeouts));
	compile_inspect(p, &pol->inspect);
	compile_logging(p->src, pol);
	pol->permit_pptp = p->src->permit_pptp;
	if (p->src->hostname)
		host = p->src->hostname;
	else
		host = p->src->asa ? "ciscoasa" : "pixfirewall";
	strlcpy(pol->hostname, host, sizeof(pol->hostname));
	if (p->n_errors > 0) {
		rc = -EINVAL;
		goto fail;
	}
	*out = pol;
	return 0;
fail:
	ph_policy_free(pol);
	return rc;
}
