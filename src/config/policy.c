/*
 * config/policy.c - the public entry points of include/pinhole/policy.h:
 * ph_policy_parse() runs lexer/parser -> check -> compile, ph_policy_free()
 * and ph_policy_print().
 *
 * A file with any error never produces a policy; the diagnostics list is
 * returned in every case but out-of-memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "core/acl.h"

static void
free_ifref(struct cfg_ifref *r)
{
	free(r->name);
}

static void
free_ifaces(struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_ifaces; i++) {
		struct cfg_iface *f = &src->ifaces[i];

		free(f->hwid);
		free(f->name);
		for (size_t k = 0; k < f->n_sub; k++)
			free(f->sub[k]);
		free(f->sub);
	}
	free(src->ifaces);
	for (size_t i = 0; i < src->n_hw; i++) {
		free(src->hw[i].hwid);
		free(src->hw[i].text);
	}
	free(src->hw);
	for (size_t i = 0; i < src->n_ipaddr; i++)
		free_ifref(&src->ipaddr[i].ifr);
	free(src->ipaddr);
	for (size_t i = 0; i < src->n_mtu; i++)
		free_ifref(&src->mtu[i].ifr);
	free(src->mtu);
	for (size_t i = 0; i < src->n_names; i++) {
		free(src->names[i].name);
		free(src->names[i].text);
	}
	free(src->names);
}

static void
free_acls(struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_groups; i++) {
		struct cfg_group *g = &src->groups[i];

		for (size_t k = 0; k < g->n; k++)
			free(g->m[k].text);
		free(g->m);
		free(g->name);
		free(g->head);
	}
	free(src->groups);
	for (size_t i = 0; i < src->n_aces; i++)
		free(src->aces[i].text);
	free(src->aces);
	for (size_t i = 0; i < src->n_acls; i++) {
		free(src->acls[i].name);
		free(src->acls[i].ace);
	}
	free(src->acls);
	for (size_t i = 0; i < src->n_conduits; i++)
		free(src->conduits[i].text);
	free(src->conduits);
	for (size_t i = 0; i < src->n_agroups; i++) {
		free(src->agroups[i].acl);
		free(src->agroups[i].text);
		free_ifref(&src->agroups[i].ifr);
	}
	free(src->agroups);
}

static void
free_nat(struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_nats; i++) {
		free_ifref(&src->nats[i].ifr);
		free(src->nats[i].acl);
		free(src->nats[i].text);
	}
	free(src->nats);
	for (size_t i = 0; i < src->n_globals; i++) {
		free_ifref(&src->globals[i].ifr);
		free(src->globals[i].text);
	}
	free(src->globals);
	for (size_t i = 0; i < src->n_statics; i++) {
		free_ifref(&src->statics[i].real_if);
		free_ifref(&src->statics[i].mapped_if);
		free(src->statics[i].acl);
		free(src->statics[i].text);
	}
	free(src->statics);
	for (size_t i = 0; i < src->n_routes; i++) {
		free_ifref(&src->routes[i].ifr);
		free(src->routes[i].text);
	}
	free(src->routes);
}

static void
free_misc(struct ph_policy_src *src)
{
	struct cfg_logging *l = &src->log;

	for (uint8_t i = 0; i < l->n_hosts; i++)
		free_ifref(&l->hosts[i].ifr);
	free_ifref(&l->devid_if);
	free(l->devid);
	for (size_t i = 0; i < l->n_extra; i++)
		free(l->extra[i]);
	free(l->extra);
	for (size_t i = 0; i < src->n_fixups; i++) {
		free(src->fixups[i].proto);
		free(src->fixups[i].text);
	}
	free(src->fixups);
	for (size_t i = 0; i < src->n_cmaps; i++) {
		free(src->cmaps[i].name);
		free(src->cmaps[i].acl);
		free(src->cmaps[i].match_text);
	}
	free(src->cmaps);
	for (size_t i = 0; i < src->n_pmaps; i++) {
		struct cfg_policymap *pm = &src->pmaps[i];

		for (size_t k = 0; k < pm->n; k++) {
			for (size_t l2 = 0; l2 < pm->cls[k].n; l2++)
				free(pm->cls[k].lines[l2]);
			free(pm->cls[k].lines);
			free(pm->cls[k].name);
		}
		free(pm->cls);
		free(pm->name);
	}
	free(src->pmaps);
	for (size_t i = 0; i < src->n_spols; i++) {
		free(src->spols[i].name);
		free(src->spols[i].text);
		free_ifref(&src->spols[i].ifr);
	}
	free(src->spols);
	for (size_t i = 0; i < src->n_lines; i++)
		free(src->lines[i].text);
	free(src->lines);
	free(src->hostname);
}

void
cfg_src_free(struct ph_policy_src *src)
{
	if (src == NULL)
		return;
	free_ifaces(src);
	free_acls(src);
	free_nat(src);
	free_misc(src);
	free(src);
}

static struct ph_policy_src *
src_new(void)
{
	struct ph_policy_src *src = calloc(1, sizeof(*src));
	static const uint32_t defaults[PH_TO_MAX] = {
#define PH_TIMEOUT_DEF(id, kw, def) [PH_TO_##id] = def,
		PH_TIMEOUTS(PH_TIMEOUT_DEF)
#undef PH_TIMEOUT_DEF
	};

	if (src == NULL)
		return NULL;
	src->names_state = -1;
	memcpy(src->timeouts, defaults, sizeof(defaults));
	src->log.trap = src->log.console = src->log.buffered = -1;
	src->log.monitor = src->log.history = -1;
	src->log.facility = 20;
	src->log.queue = 512;
	return src;
}

/*
 * Build the compiled ACL lookup that travels with the policy, so a reload
 * swaps rules and index together.  A rule set too large to index is an
 * error of the file, reported like any other.
 */
static int
policy_index_acls(struct cfg_parser *p, struct ph_policy *pol)
{
	uint64_t seed = p->opts ? p->opts->seed : 0;
	struct cfg_pos pos = { 0, 0 };
	int err = 0;

	pol->acl_index = ph_acl_index_build(pol, seed, &err);
	if (pol->acl_index != NULL)
		return 0;
	if (err == -ENOMEM) {
		p->oom = true;
		return -ENOMEM;
	}
	cfg_diag(p, PH_DIAG_ERROR, pos,
		 "access lists cannot be compiled: %s", strerror(-err));
	return -EINVAL;
}

int
ph_policy_parse(const char *text, size_t len, const struct ph_parse_opts *opts,
		struct ph_policy **out, struct ph_diags **diags)
{
	struct cfg_parser *p = NULL;
	struct ph_diags *d;
	struct ph_policy *pol = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (diags)
		*diags = NULL;
	d = diags_new();
	if (d == NULL)
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto out;
	p->src = src_new();
	if (p->src == NULL)
		goto out;
	p->diags = d;
	p->file = opts && opts->filename ? opts->filename : "<input>";
	p->opts = opts;
	p->text = text ? text : "";
	p->len = text ? len : 0;
	p->err_tok = (size_t)-1;
	if (p->len > PH_CFG_MAX_INPUT) {
		struct cfg_pos pos = { 0, 0 };

		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "rule text too large (limit "
			 "%u bytes)",
			 PH_CFG_MAX_INPUT);
		rc = -EINVAL;
		goto out;
	}
	rc = cfg_parse_text(p);
	if (rc == 0 && !p->oom)
		cfg_check(p);
	if (rc == 0 && !p->oom && p->n_errors == 0) {
		rc = cfg_compile(p, &pol);
		if (rc == 0) {
			pol->src = p->src;
			p->src = NULL;
			rc = policy_index_acls(p, pol);
		}
	}
	if (p->oom)
		rc = -ENOMEM;
	else if (rc == 0 && p->n_errors > 0)
		rc = -EINVAL;
out:
	if (rc == 0 && diags_oom(d))
		rc = -ENOMEM;
	if (rc != 0) {
		ph_policy_free(pol);
		pol = NULL;
	}
	if (p) {
		cfg_src_free(p->src);
		free(p->line_off);
		free(p);
	}
	if (rc == -ENOMEM || diags_oom(d)) {
		ph_diags_free(d);
		return -ENOMEM;
	}
	diags_sort(d);
	if (diags)
		*diags = d;
	else
		ph_diags_free(d);
	*out = pol;
	return rc;
}

void
ph_policy_free(struct ph_policy *pol)
{
	if (pol == NULL)
		return;
	ph_acl_index_free(pol->acl_index);
	free(pol->ifaces);
	free(pol->acls);
	free(pol->aces);
	free(pol->conduits);
	free(pol->statics);
	free(pol->nats);
	free(pol->globals);
	free(pol->routes);
	cfg_src_free(pol->src);
	free(pol);
}

char *
ph_policy_print(const struct ph_policy *pol)
{
	return cfg_print(pol);
}
