/*
 * config/parse_mpf.c - the PIX 7 / ASA Modular Policy Framework subset
 * that matters for PPTP inspection:
 *   class-map NAME
 *    match default-inspection-traffic | port tcp|udp eq N | range A B |
 *          access-list ACL | any
 *   policy-map NAME
 *    class NAME
 *     inspect PROTO [...]
 *   service-policy NAME global | interface IF
 * Sub-mode lines may be indented or not.  `inspection_default` (matching
 * default-inspection-traffic) and `class-default` exist without a
 * class-map, as in the ASA factory configuration.  Which policy-maps are
 * applied is decided by compile.c (docs/config.md, "PPTP inspection").
 *
 * Known limits: no `type inspect` maps, no `set connection`, `police`.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

static int
find_cmap(const struct ph_policy_src *src, const char *name)
{
	for (size_t i = 0; i < src->n_cmaps; i++)
		if (strcmp(src->cmaps[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
find_pmap(const struct ph_policy_src *src, const char *name)
{
	for (size_t i = 0; i < src->n_pmaps; i++)
		if (strcmp(src->pmaps[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool
builtin_class(const char *name)
{
	return strcmp(name, "inspection_default") == 0 ||
	       strcmp(name, "class-default") == 0;
}

static int
reject_type(struct cfg_parser *p)
{
	if (cfg_peek(p) && strcasecmp(cfg_peek(p), "type") == 0) {
		cfg_err(p, p->pos, "'type' maps are not supported");
		return -1;
	}
	return 0;
}

/* `class-map NAME` */
void
parse_class_map(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_classmap *nc;
	size_t at = p->pos;
	char *name;
	int i;

	if (reject_type(p) < 0 || cfg_name(p, "class-map name", &name) < 0)
		return;
	if (cfg_end(p) < 0)
		goto out;
	i = find_cmap(src, name);
	if (i < 0) {
		if (src->n_cmaps >= PH_CFG_MAX_ITEMS) {
			cfg_err(p, 0, "too many class-maps");
			goto out;
		}
		nc = vec_grow(src->cmaps, &src->cap_cmaps, src->n_cmaps,
			      sizeof(*nc));
		if (nc == NULL) {
			p->oom = true;
			goto out;
		}
		src->cmaps = nc;
		nc = &src->cmaps[src->n_cmaps];
		memset(nc, 0, sizeof(*nc));
		nc->name = name;
		nc->pos = p->tok[at].pos;
		i = (int)src->n_cmaps++;
	} else {
		free(name);
	}
	p->mode = MODE_CLASSMAP;
	p->mode_obj = i;
	return;
out:
	free(name);
}

static void
cmap_match(struct cfg_parser *p, struct cfg_classmap *c)
{
	struct cfg_classmap m = { 0 };
	struct cfg_port pt;
	char *acl = NULL;
	size_t at = p->pos;

	if (cfg_accept(p, "default-inspection-traffic")) {
		m.match = CFG_M_DEFAULT_INSPECTION;
	} else if (cfg_accept(p, "any")) {
		m.match = CFG_M_ANY;
	} else if (cfg_accept(p, "access-list")) {
		m.match = CFG_M_ACL;
		m.acl_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
		if (cfg_name(p, "access-list name", &acl) < 0)
			return;
	} else if (cfg_accept(p, "port")) {
		m.match = CFG_M_PORT;
		if (cfg_accept(p, "tcp"))
			m.proto = 6;
		else if (cfg_accept(p, "udp"))
			m.proto = 17;
		else {
			cfg_err(p, p->pos, "expected tcp or udp");
			return;
		}
		if (cfg_portspec(p, &pt) < 0)
			return;
		if (pt.op != PH_PORT_EQ && pt.op != PH_PORT_RANGE) {
			cfg_err(p, p->pos, "expected 'eq PORT' or 'range A B'");
			return;
		}
		m.lo = pt.lo;
		m.hi = pt.hi;
	} else {
		cfg_err(p, at, "unsupported match '%s'",
			cfg_peek(p) ? cfg_peek(p) : "");
		return;
	}
	if (cfg_end(p) < 0)
		goto out;
	if (c->has_match) {
		cfg_err(p, at - 1, "class-map '%s' already has a match",
			c->name);
		goto out;
	}
	m.match_text = cfg_join(p, 0);
	if (m.match_text == NULL) {
		p->oom = true;
		goto out;
	}
	for (char *s = m.match_text; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	c->has_match = true;
	c->match = m.match;
	c->proto = m.proto;
	c->lo = m.lo;
	c->hi = m.hi;
	c->acl = acl;
	c->acl_pos = m.acl_pos;
	c->match_text = m.match_text;
	return;
out:
	free(acl);
}

/* `policy-map NAME` */
void
parse_policy_map(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_policymap *np;
	size_t at = p->pos;
	char *name;
	int i;

	if (reject_type(p) < 0 || cfg_name(p, "policy-map name", &name) < 0)
		return;
	if (cfg_end(p) < 0) {
		free(name);
		return;
	}
	i = find_pmap(src, name);
	if (i >= 0) {
		free(name);
	} else {
		if (src->n_pmaps >= PH_CFG_MAX_ITEMS) {
			cfg_err(p, 0, "too many policy-maps");
			free(name);
			return;
		}
		np = vec_grow(src->pmaps, &src->cap_pmaps, src->n_pmaps,
			      sizeof(*np));
		if (np == NULL) {
			p->oom = true;
			free(name);
			return;
		}
		src->pmaps = np;
		np = &src->pmaps[src->n_pmaps];
		memset(np, 0, sizeof(*np));
		np->name = name;
		np->pos = p->tok[at].pos;
		i = (int)src->n_pmaps++;
	}
	p->mode = MODE_POLICYMAP;
	p->mode_obj = i;
}

static void
pmap_class(struct cfg_parser *p, struct cfg_policymap *pm)
{
	struct cfg_pclass *nc;
	size_t at = p->pos;
	char *name;

	if (cfg_name(p, "class name", &name) < 0)
		return;
	if (cfg_end(p) < 0)
		goto out;
	if (!builtin_class(name) && find_cmap(p->src, name) < 0) {
		cfg_err(p, at, "unknown class-map '%s'", name);
		goto out;
	}
	for (size_t i = 0; i < pm->n; i++) {
		if (strcmp(pm->cls[i].name, name) == 0) {
			free(name);
			p->mode = MODE_PCLASS;
			p->mode_obj2 = (int32_t)i;
			return;
		}
	}
	nc = vec_grow(pm->cls, &pm->cap, pm->n, sizeof(*nc));
	if (nc == NULL) {
		p->oom = true;
		goto out;
	}
	pm->cls = nc;
	nc = &pm->cls[pm->n];
	memset(nc, 0, sizeof(*nc));
	nc->name = name;
	nc->pos = p->tok[at].pos;
	p->mode = MODE_PCLASS;
	p->mode_obj2 = (int32_t)pm->n++;
	return;
out:
	free(name);
}

static void
class_inspect(struct cfg_parser *p, struct cfg_pclass *c)
{
	const char *proto;
	char *text, **nl;

	if (cfg_word(p, "inspection protocol", &proto) < 0)
		return;
	text = cfg_join(p, p->negated ? 1 : 0);
	nl = vec_grow(c->lines, &c->cap, c->n, sizeof(*nl));
	if (text == NULL || nl == NULL) {
		free(text);
		p->oom = true;
		return;
	}
	c->lines = nl;
	for (char *s = text; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	if (strcasecmp(proto, "pptp") == 0) {
		if (cfg_end(p) < 0) {
			free(text);
			return;
		}
		if (p->negated) {
			/* `no inspect pptp`: drop the line */
			c->pptp = false;
			for (size_t i = 0; i < c->n; i++) {
				if (strcmp(c->lines[i], text) == 0) {
					free(c->lines[i]);
					memmove(&c->lines[i], &c->lines[i + 1],
						(c->n - i - 1) *
							sizeof(char *));
					c->n--;
					break;
				}
			}
			free(text);
			return;
		}
		c->pptp = true;
		for (size_t i = 0; i < c->n; i++)
			if (strcmp(c->lines[i], text) == 0) {
				free(text);
				return;
			}
	} else {
		if (p->negated) {
			cfg_err(p, 0, "'no inspect %s' is not supported",
				proto);
			free(text);
			return;
		}
		cfg_note(p, p->pos - 1,
			 "'inspect %s': no effect on this "
			 "platform",
			 proto);
		p->pos = p->ntok;
	}
	c->lines[c->n++] = text;
}

bool
parse_mpf_sub(struct cfg_parser *p, const char *kw)
{
	struct ph_policy_src *src = p->src;

	if (strcasecmp(kw, "description") == 0 && !p->negated) {
		/* descriptions are dropped from the canonical form */
		cfg_note(p, p->pos,
			 "'description': no effect on this "
			 "platform");
		return true;
	}
	if (p->mode == MODE_CLASSMAP) {
		if (strcasecmp(kw, "match") != 0 || p->negated)
			return false;
		p->pos++;
		cmap_match(p, &src->cmaps[p->mode_obj]);
		return true;
	}
	if (strcasecmp(kw, "class") == 0 && !p->negated) {
		p->pos++;
		pmap_class(p, &src->pmaps[p->mode_obj]);
		return true;
	}
	if (p->mode == MODE_PCLASS && strcasecmp(kw, "inspect") == 0) {
		p->pos++;
		class_inspect(p, &src->pmaps[p->mode_obj].cls[p->mode_obj2]);
		return true;
	}
	return false;
}

/* `service-policy NAME global | interface IF` */
void
parse_service_policy(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_svcpolicy sp = { 0 }, *ns;
	struct strbuf sb;

	sp.pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
	if (cfg_name(p, "policy-map name", &sp.name) < 0)
		return;
	if (cfg_accept(p, "global")) {
		sp.global = true;
	} else if (cfg_accept(p, "interface")) {
		if (cfg_ifname(p, &sp.ifr) < 0)
			goto out;
	} else {
		cfg_err(p, p->pos, "expected 'global' or 'interface IF'");
		goto out;
	}
	if (cfg_end(p) < 0)
		goto out;
	if (src->n_spols >= PH_IF_MAX + 1) {
		cfg_err(p, 0, "too many service-policy lines");
		goto out;
	}
	ns = vec_grow(src->spols, &src->cap_spols, src->n_spols, sizeof(*ns));
	if (ns == NULL) {
		p->oom = true;
		goto out;
	}
	src->spols = ns;
	sb_init(&sb);
	if (sp.global)
		sb_printf(&sb, "service-policy %s global", sp.name);
	else
		sb_printf(&sb, "service-policy %s interface %s", sp.name,
			  sp.ifr.name);
	sp.text = sb_steal(&sb);
	if (sp.text == NULL) {
		p->oom = true;
		goto out;
	}
	ns[src->n_spols++] = sp;
	return;
out:
	free(sp.name);
	free(sp.ifr.name);
}
