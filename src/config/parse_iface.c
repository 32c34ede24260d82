/*
 * config/parse_iface.c - interfaces, addresses and routes:
 * `nameif`, `interface` (PIX 6 one-line form and the PIX 7 / ASA sub-mode
 * form), `ip address`, `ip local pool`, `ip audit`, `mtu`, `route`,
 * `names`, `name`.
 *
 * Interfaces are defined in order (nameif order = policy index order).
 * References to interfaces from other commands are resolved by check.c,
 * so their order in the file does not matter.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

/* Speeds of the PIX 6 `interface HWID SPEED` form (no effect here). */
static const char *const speeds[] = {
	"1000auto",  "1000basesx", "1000full", "1000sxfull",
	"100basetx", "100full",	   "10baset",  "10full",
	"aui",	     "auto",	   "bnc",
};

static int
find_iface_name(const struct ph_policy_src *src, const char *name)
{
	for (size_t i = 0; i < src->n_ifaces; i++)
		if (src->ifaces[i].name &&
		    strcmp(src->ifaces[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
find_iface_hw(const struct ph_policy_src *src, const char *hwid)
{
	for (size_t i = 0; i < src->n_ifaces; i++)
		if (strcasecmp(src->ifaces[i].hwid, hwid) == 0)
			return (int)i;
	return -1;
}

/* A new interface entry; NULL after reporting an error. */
static struct cfg_iface *
iface_new(struct cfg_parser *p, size_t hw_tok)
{
	struct ph_policy_src *src = p->src;
	struct cfg_iface *ni;

	if (src->n_ifaces >= PH_IF_MAX) {
		cfg_err(p, hw_tok, "too many interfaces (limit %d)", PH_IF_MAX);
		return NULL;
	}
	ni = vec_grow(src->ifaces, &src->cap_ifaces, src->n_ifaces,
		      sizeof(*ni));
	if (ni == NULL) {
		p->oom = true;
		return NULL;
	}
	src->ifaces = ni;
	ni = &src->ifaces[src->n_ifaces];
	memset(ni, 0, sizeof(*ni));
	ni->mtu = 1500;
	ni->hwpos = p->tok[hw_tok].pos;
	return ni;
}

static int
check_new_name(struct cfg_parser *p, const char *name, size_t at, int self)
{
	int other = find_iface_name(p->src, name);

	if (other >= 0 && other != self) {
		cfg_err(p, at, "duplicate interface name '%s' (line %u)", name,
			p->src->ifaces[other].pos.line);
		return -1;
	}
	return 0;
}

/* `nameif HWID NAME securityN` */
void
parse_nameif(struct cfg_parser *p)
{
	const char *hw, *sec;
	char *name = NULL;
	size_t hw_at = p->pos, name_at, sec_at;
	uint32_t level;
	struct cfg_iface *ni;
	int other;

	if (cfg_word(p, "hardware id", &hw) < 0)
		return;
	name_at = p->pos;
	if (cfg_name(p, "interface name", &name) < 0)
		return;
	sec_at = p->pos;
	if (cfg_word(p, "security level", &sec) < 0)
		goto out_name;
	if (strncasecmp(sec, "security", 8) != 0 ||
	    cfg_parse_u32(sec + 8, 0, 0xffffffffu, &level) < 0) {
		cfg_err(p, sec_at,
			"bad security level '%s': expected "
			"securityN",
			sec);
		goto out_name;
	}
	if (level > 100) {
		cfg_err(p, sec_at, "security level %u out of range (0-100)",
			level);
		goto out_name;
	}
	if (cfg_end(p) < 0 || check_new_name(p, name, name_at, -1) < 0)
		goto out_name;
	other = find_iface_hw(p->src, hw);
	if (other >= 0) {
		cfg_err(p, hw_at, "duplicate hardware id '%s' (line %u)", hw,
			p->src->ifaces[other].hwpos.line);
		goto out_name;
	}
	if (strlen(hw) >= PH_NAME_MAX) {
		cfg_err(p, hw_at, "hardware id too long");
		goto out_name;
	}
	ni = iface_new(p, hw_at);
	if (ni == NULL)
		goto out_name;
	ni->hwid = cfg_strdup(p, hw);
	ni->name = name;
	ni->security = (uint8_t)level;
	ni->pos = p->tok[name_at].pos;
	p->src->n_ifaces++;
	return;
out_name:
	free(name);
}

static void
parse_interface_asa(struct cfg_parser *p, const char *hw, size_t hw_at)
{
	int i = find_iface_hw(p->src, hw);
	struct cfg_iface *ni;

	if (i >= 0 && !p->src->ifaces[i].asa_form) {
		cfg_err(p, hw_at,
			"hardware id '%s' already named by nameif "
			"(line %u)",
			hw, p->src->ifaces[i].hwpos.line);
		return;
	}
	if (i < 0) {
		if (strlen(hw) >= PH_NAME_MAX) {
			cfg_err(p, hw_at, "hardware id too long");
			return;
		}
		ni = iface_new(p, hw_at);
		if (ni == NULL)
			return;
		ni->hwid = cfg_strdup(p, hw);
		ni->asa_form = true;
		i = (int)p->src->n_ifaces++;
	}
	p->mode = MODE_IFACE;
	p->mode_obj = i;
}

/* `interface HWID [SPEED] [shutdown]` or `interface HWID` (sub-mode). */
void
parse_interface(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_hwline *h;
	struct strbuf sb;
	const char *hw, *t;
	size_t hw_at = p->pos, speed_at;
	const char *known = NULL;

	if (cfg_word(p, "hardware id", &hw) < 0)
		return;
	if (cfg_at_end(p)) {
		parse_interface_asa(p, hw, hw_at);
		return;
	}
	speed_at = p->pos;
	t = cfg_peek(p);
	for (size_t i = 0; i < sizeof(speeds) / sizeof(*speeds); i++)
		if (strcasecmp(t, speeds[i]) == 0)
			known = speeds[i];
	if (!known && strcasecmp(t, "shutdown") != 0) {
		cfg_err(p, speed_at, "unknown interface speed '%s'", t);
		return;
	}
	if (known)
		p->pos++;
	if (!cfg_at_end(p) && cfg_expect(p, "shutdown") < 0)
		return;
	if (cfg_end(p) < 0)
		return;
	h = vec_grow(src->hw, &src->cap_hw, src->n_hw, sizeof(*h));
	if (h == NULL) {
		p->oom = true;
		return;
	}
	src->hw = h;
	h = &src->hw[src->n_hw];
	sb_init(&sb);
	sb_printf(&sb, "interface %s", hw);
	if (known)
		sb_printf(&sb, " %s", known);
	h->shutdown = strcasecmp(p->tok[p->ntok - 1].s, "shutdown") == 0;
	if (h->shutdown)
		sb_puts(&sb, " shutdown");
	h->hwid = cfg_strdup(p, hw);
	h->text = sb_steal(&sb);
	h->pos = p->tok[hw_at].pos;
	if (h->hwid == NULL || h->text == NULL) {
		free(h->hwid);
		free(h->text);
		p->oom = true;
		return;
	}
	src->n_hw++;
	if (known)
		cfg_note(p, speed_at,
			 "interface speed '%s': no effect on this "
			 "platform",
			 known);
}

static void
sub_keep(struct cfg_parser *p, struct cfg_iface *ni, size_t from)
{
	char *text = cfg_join(p, from);
	char **ns;

	if (text == NULL) {
		p->oom = true;
		return;
	}
	ns = vec_grow(ni->sub, &ni->cap_sub, ni->n_sub, sizeof(*ns));
	if (ns == NULL) {
		free(text);
		p->oom = true;
		return;
	}
	ni->sub = ns;
	ni->sub[ni->n_sub++] = text;
}

static void
sub_nameif(struct cfg_parser *p, struct cfg_iface *ni)
{
	char *name;
	size_t at = p->pos;

	if (p->negated) {
		if (cfg_end(p) == 0) {
			free(ni->name);
			ni->name = NULL;
		}
		return;
	}
	if (cfg_name(p, "interface name", &name) < 0)
		return;
	if (cfg_end(p) < 0 ||
	    check_new_name(p, name, at, (int)(ni - p->src->ifaces)) < 0) {
		free(name);
		return;
	}
	free(ni->name);
	ni->name = name;
	ni->pos = p->tok[at].pos;
	/* ASA: an interface named "inside" defaults to level 100 */
	if (!ni->security_set)
		ni->security = strcasecmp(name, "inside") == 0 ? 100 : 0;
}

static void
sub_ip(struct cfg_parser *p, struct cfg_iface *ni)
{
	uint32_t a, m;

	if (cfg_expect(p, "address") < 0)
		return;
	if (p->negated) {
		if (cfg_end(p) == 0)
			ni->has_addr = false;
		return;
	}
	if (cfg_accept(p, "dhcp")) {
		cfg_err(p, p->pos - 1, "address from DHCP is not supported");
		return;
	}
	if (cfg_ip(p, &a, NULL) < 0 || cfg_mask(p, &m) < 0)
		return;
	if (cfg_end(p) < 0)
		return;
	ni->has_addr = true;
	ni->addr = a;
	ni->mask = m;
}

/* Lines of the ASA `interface X` sub-mode. */
void
parse_iface_sub(struct cfg_parser *p, const char *kw)
{
	struct cfg_iface *ni = &p->src->ifaces[p->mode_obj];
	size_t from = p->pos - 1;
	uint32_t v;

	if (strcmp(kw, "nameif") == 0) {
		sub_nameif(p, ni);
	} else if (strcmp(kw, "ip") == 0) {
		sub_ip(p, ni);
	} else if (strcmp(kw, "security-level") == 0) {
		if (p->negated) {
			if (cfg_end(p) == 0)
				ni->security_set = false;
			return;
		}
		if (cfg_u32(p, "security level", 0, 100, &v) < 0 ||
		    cfg_end(p) < 0)
			return;
		ni->security = (uint8_t)v;
		ni->security_set = true;
	} else if (strcmp(kw, "shutdown") == 0) {
		if (cfg_end(p) == 0)
			ni->shutdown = !p->negated;
	} else {
		/* speed, duplex, description, management-only */
		if (p->negated) {
			cfg_err(p, 0,
				"'no %s' is not supported in a rule "
				"file",
				kw);
			return;
		}
		if (strcmp(kw, "description") != 0 &&
		    strcmp(kw, "management-only") != 0 &&
		    cfg_word(p, kw, &(const char *){ NULL }) < 0)
			return;
		if (strcmp(kw, "description") != 0 && cfg_end(p) < 0)
			return;
		sub_keep(p, ni, from);
		cfg_note(p, from, "'%s': no effect on this platform", kw);
	}
}

static int
ifattr_push(struct cfg_parser *p, struct cfg_ifattr **arr, size_t *n,
	    size_t *cap, const struct cfg_ifattr *a)
{
	struct cfg_ifattr *na;

	if (*n >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many lines of this kind (limit %u)",
			PH_CFG_MAX_ITEMS);
		return -1;
	}
	na = vec_grow(*arr, cap, *n, sizeof(**arr));
	if (na == NULL) {
		p->oom = true;
		return -1;
	}
	*arr = na;
	na[(*n)++] = *a;
	return 0;
}

static void
parse_ip_pool(struct cfg_parser *p)
{
	const char *name, *range, *dash;
	size_t at;
	uint32_t lo, hi, m;
	char buf[16];
	struct strbuf sb;

	if (cfg_expect(p, "pool") < 0 || cfg_word(p, "pool name", &name) < 0)
		return;
	at = p->pos;
	if (cfg_word(p, "address range", &range) < 0)
		return;
	dash = strchr(range, '-');
	if (dash == NULL) {
		if (cfg_parse_ip(range, &lo) < 0)
			goto bad;
		hi = lo;
	} else {
		if ((size_t)(dash - range) >= sizeof(buf))
			goto bad;
		memcpy(buf, range, (size_t)(dash - range));
		buf[dash - range] = '\0';
		if (cfg_parse_ip(buf, &lo) < 0 ||
		    cfg_parse_ip(dash + 1, &hi) < 0)
			goto bad;
	}
	if (hi < lo) {
		cfg_err(p, at, "empty address range '%s'", range);
		return;
	}
	sb_init(&sb);
	sb_printf(&sb, "ip local pool %s ", name);
	fmt_ip(&sb, lo);
	if (hi != lo) {
		sb_putc(&sb, '-');
		fmt_ip(&sb, hi);
	}
	if (cfg_accept(p, "mask")) {
		if (cfg_mask(p, &m) < 0) {
			sb_free(&sb);
			return;
		}
		sb_puts(&sb, " mask ");
		fmt_ip(&sb, m);
	}
	if (cfg_end(p) < 0) {
		sb_free(&sb);
		return;
	}
	cfg_keep(p, SEC_IPPOOL, sb_steal(&sb));
	cfg_note(p, 0,
		 "'ip local pool': kept, no effect on this platform "
		 "(PPTP termination is not implemented yet)");
	return;
bad:
	cfg_err(p, at, "bad address range '%s'", range);
}

/* `ip address IF A M`, `ip local pool`, `ip audit ...`, `ip verify ...` */
void
parse_ip(struct cfg_parser *p)
{
	struct cfg_ifattr a = { 0 };
	const char *sub = cfg_peek(p);

	if (sub &&
	    (strcasecmp(sub, "audit") == 0 || strcasecmp(sub, "verify") == 0)) {
		if (p->pos + 1 >= p->ntok) {
			cfg_err(p, p->pos + 1, "missing arguments to 'ip %s'",
				sub);
			return;
		}
		cfg_keep(p,
			 strcasecmp(sub, "audit") == 0 ? SEC_IPAUDIT
						       : SEC_OTHER,
			 cfg_join(p, 0));
		cfg_note(p, 0, "'ip %s': no effect on this platform", sub);
		return;
	}
	if (p->negated) {
		cfg_err(p, 0, "'no ip %s' is not supported in a rule file",
			sub ? sub : "");
		return;
	}
	if (sub && strcasecmp(sub, "local") == 0) {
		p->pos++;
		parse_ip_pool(p);
		return;
	}
	if (cfg_expect(p, "address") < 0 || cfg_ifname(p, &a.ifr) < 0)
		return;
	if (cfg_accept(p, "dhcp")) {
		cfg_err(p, p->pos - 1, "address from DHCP is not supported");
		goto out;
	}
	if (cfg_ip(p, &a.addr, NULL) < 0 || cfg_mask(p, &a.mask) < 0 ||
	    cfg_end(p) < 0)
		goto out;
	a.line = p->line;
	if (ifattr_push(p, &p->src->ipaddr, &p->src->n_ipaddr,
			&p->src->cap_ipaddr, &a) == 0)
		return;
out:
	free(a.ifr.name);
}

/* `mtu IF N` */
void
parse_mtu(struct cfg_parser *p)
{
	struct cfg_ifattr a = { 0 };

	if (cfg_ifname(p, &a.ifr) < 0)
		return;
	if (cfg_u32(p, "mtu", 64, 65535, &a.mtu) < 0 || cfg_end(p) < 0)
		goto out;
	a.line = p->line;
	if (ifattr_push(p, &p->src->mtu, &p->src->n_mtu, &p->src->cap_mtu,
			&a) == 0)
		return;
out:
	free(a.ifr.name);
}

/* `route IF DEST MASK GW [METRIC]` */
void
parse_route(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_route r = { 0 };
	struct strbuf sb;
	const char *gwname;
	struct cfg_route *nr;

	if (cfg_ifname(p, &r.ifr) < 0)
		return;
	if (cfg_net(p, &r.dst.addr, &r.dst.mask) < 0 ||
	    cfg_ip(p, &r.gw, &gwname) < 0)
		goto out;
	r.metric = 1;
	if (!cfg_at_end(p) && cfg_u32(p, "metric", 1, 16, &r.metric) < 0)
		goto out;
	if (cfg_end(p) < 0)
		goto out;
	if (src->n_routes >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many routes (limit %u)", PH_CFG_MAX_ITEMS);
		goto out;
	}
	sb_init(&sb);
	sb_printf(&sb, "route %s ", r.ifr.name);
	fmt_ip(&sb, r.dst.addr);
	sb_putc(&sb, ' ');
	fmt_ip(&sb, r.dst.mask);
	sb_putc(&sb, ' ');
	if (gwname)
		sb_puts(&sb, gwname);
	else
		fmt_ip(&sb, r.gw);
	sb_printf(&sb, " %u", r.metric);
	r.text = sb_steal(&sb);
	r.line = p->line;
	nr = vec_grow(src->routes, &src->cap_routes, src->n_routes,
		      sizeof(*nr));
	if (r.text == NULL || nr == NULL) {
		free(r.text);
		p->oom = true;
		goto out;
	}
	src->routes = nr;
	nr[src->n_routes++] = r;
	return;
out:
	free(r.ifr.name);
}

/* `names` / `no names` */
void
parse_names(struct cfg_parser *p)
{
	if (cfg_end(p) == 0)
		p->src->names_state = p->negated ? 0 : 1;
}

/* `name IP NAME` */
void
parse_name(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_name *nn;
	struct strbuf sb;
	uint32_t a, dummy;
	char *name;
	size_t at;

	if (cfg_ip_literal(p, &a) < 0)
		return;
	at = p->pos;
	if (cfg_name(p, "name", &name) < 0)
		return;
	if (cfg_end(p) < 0)
		goto out;
	if (cfg_parse_ip(name, &dummy) == 0 ||
	    !((name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= 'A' && name[0] <= 'Z'))) {
		cfg_err(p, at, "name '%s' must start with a letter", name);
		goto out;
	}
	for (size_t i = 0; i < src->n_names; i++) {
		if (strcmp(src->names[i].name, name) == 0) {
			cfg_err(p, at, "name '%s' is already defined", name);
			goto out;
		}
	}
	if (src->n_names >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many names (limit %u)", PH_CFG_MAX_ITEMS);
		goto out;
	}
	nn = vec_grow(src->names, &src->cap_names, src->n_names, sizeof(*nn));
	if (nn == NULL) {
		p->oom = true;
		goto out;
	}
	src->names = nn;
	sb_init(&sb);
	sb_puts(&sb, "name ");
	fmt_ip(&sb, a);
	sb_printf(&sb, " %s", name);
	nn[src->n_names].addr = a;
	nn[src->n_names].name = name;
	nn[src->n_names].text = sb_steal(&sb);
	if (nn[src->n_names].text == NULL) {
		p->oom = true;
		goto out;
	}
	src->n_names++;
	return;
out:
	free(name);
}
