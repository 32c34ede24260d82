/*
 * config/parse_acl.c - access lists and what uses their syntax:
 * `access-list` (PIX 6 and PIX 7 `extended` forms, `remark`, `line N`),
 * `object-group` and its -object lines, `access-group`, `conduit`.
 *
 * ACEs are kept as written (object groups are expanded by compile.c) with
 * their canonical text.  PIX decides what an `object-group NAME` operand is
 * by the group's type (a service group after the source is a port, a
 * network group is the destination), so groups must be defined before use,
 * as on a PIX.
 *
 * Known limits: no `time-range`, `inactive`, `standard`/`webtype` ACLs,
 * `interface` operands, or ASA 8 `service-object` groups.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"
#include "config/names.h"

#define REMARK_MAX 100

static const char *const gtype_names[] = {
	[CFG_G_NETWORK] = "network",
	[CFG_G_SERVICE] = "service",
	[CFG_G_PROTOCOL] = "protocol",
	[CFG_G_ICMP] = "icmp-type",
};

static int
find_group(const struct ph_policy_src *src, const char *name)
{
	for (size_t i = 0; i < src->n_groups; i++)
		if (strcmp(src->groups[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* `object-group NAME` of the wanted type at the cursor; -1 on error. */
static int
group_ref(struct cfg_parser *p, uint8_t type)
{
	const char *name;
	size_t at = p->pos;
	int g;

	if (cfg_word(p, "object-group name", &name) < 0)
		return -1;
	g = find_group(p->src, name);
	if (g < 0) {
		cfg_err(p, at, "unknown object-group '%s'", name);
		return -1;
	}
	if (p->src->groups[g].type != type) {
		cfg_err(p, at, "object-group '%s' is a %s group, expected %s",
			name, gtype_names[p->src->groups[g].type],
			gtype_names[type]);
		return -1;
	}
	p->src->groups[g].used = true;
	return g;
}

static bool
peek_group_type(struct cfg_parser *p, uint8_t type)
{
	int g;

	if (p->pos + 1 >= p->ntok ||
	    strcasecmp(p->tok[p->pos].s, "object-group") != 0)
		return false;
	g = find_group(p->src, p->tok[p->pos + 1].s);
	return g >= 0 && p->src->groups[g].type == type;
}

static int
parse_addr(struct cfg_parser *p, struct cfg_addr *a)
{
	const char *t = cfg_peek(p);
	size_t at = p->pos;

	memset(a, 0, sizeof(*a));
	a->group = -1;
	if (t == NULL) {
		cfg_err(p, p->pos, "missing address");
		return -1;
	}
	if (cfg_accept(p, "any")) {
		a->kind = CFG_A_ANY;
		return 0;
	}
	if (cfg_accept(p, "host")) {
		a->kind = CFG_A_HOST;
		a->mask = 0xffffffffu;
		return cfg_ip(p, &a->addr, &a->name);
	}
	if (cfg_accept(p, "object-group")) {
		a->kind = CFG_A_GROUP;
		a->group = group_ref(p, CFG_G_NETWORK);
		return a->group < 0 ? -1 : 0;
	}
	if (cfg_accept(p, "interface")) {
		cfg_err(p, at,
			"'interface' as an ACL address is not supported");
		return -1;
	}
	if (cfg_ip(p, &a->addr, &a->name) < 0 || cfg_mask(p, &a->mask) < 0)
		return -1;
	if (a->addr & ~a->mask) {
		cfg_err(p, at, "address %s has bits outside netmask %s",
			p->tok[at].s, p->tok[at + 1].s);
		return -1;
	}
	/* PIX prints a /32 as `host` and 0/0 as `any` */
	a->kind = a->mask == 0xffffffffu			    ? CFG_A_HOST
		  : a->mask == 0 && a->addr == 0 && a->name == NULL ? CFG_A_ANY
								    : CFG_A_NET;
	return 0;
}

static bool
proto_has_ports(const struct ph_policy_src *src, const struct cfg_ace *e)
{
	if (e->proto_group >= 0) {
		const struct cfg_group *g = &src->groups[e->proto_group];

		for (size_t i = 0; i < g->n; i++)
			if (!g->m[i].is_desc && g->m[i].group < 0 &&
			    g->m[i].value != 6 && g->m[i].value != 17)
				return false;
		return true;
	}
	return e->proto == 6 || e->proto == 17;
}

static int
parse_ports(struct cfg_parser *p, struct cfg_ace *e, struct cfg_port *pt)
{
	const char *t = cfg_peek(p);

	pt->op = PH_PORT_ANY;
	pt->group = -1;
	if (t == NULL)
		return 0;
	if (peek_group_type(p, CFG_G_SERVICE)) {
		p->pos++;
		pt->group = group_ref(p, CFG_G_SERVICE);
		if (pt->group < 0)
			return -1;
		if (!proto_has_ports(p->src, e)) {
			cfg_err(p, p->pos - 2,
				"service object-group needs "
				"protocol tcp or udp");
			return -1;
		}
		return 0;
	}
	if (cfg_portspec(p, pt) < 0)
		return -1;
	if (pt->op != PH_PORT_ANY && !proto_has_ports(p->src, e)) {
		cfg_err(p, p->pos - (pt->op == PH_PORT_RANGE ? 3 : 2),
			"port operator '%s' needs protocol tcp or udp",
			p->tok[p->pos - (pt->op == PH_PORT_RANGE ? 3 : 2)].s);
		return -1;
	}
	pt->group = -1;
	return 0;
}

static int
parse_proto(struct cfg_parser *p, struct cfg_ace *e)
{
	const char *t;
	size_t at = p->pos;
	uint32_t v;
	int n;

	e->proto_group = -1;
	if (cfg_accept(p, "object-group")) {
		e->proto_group = group_ref(p, CFG_G_PROTOCOL);
		e->proto = PH_PROTO_ANY;
		return e->proto_group < 0 ? -1 : 0;
	}
	if (cfg_word(p, "protocol", &t) < 0)
		return -1;
	if (cfg_is_number(t)) {
		if (cfg_parse_u32(t, 0, 255, &v) < 0) {
			cfg_err(p, at, "protocol %s out of range (0-255)", t);
			return -1;
		}
		e->proto = v == 0 ? PH_PROTO_ANY : (int16_t)v;
		return 0;
	}
	n = ph_names_proto(t);
	if (n == -2) {
		cfg_err(p, at, "unknown protocol '%s'", t);
		return -1;
	}
	e->proto = (int16_t)n;
	return 0;
}

static int
parse_icmp_type(struct cfg_parser *p, int16_t *out)
{
	const char *t;
	size_t at = p->pos;
	uint32_t v;
	int n;

	if (cfg_word(p, "ICMP type", &t) < 0)
		return -1;
	if (cfg_is_number(t)) {
		if (cfg_parse_u32(t, 0, 255, &v) < 0) {
			cfg_err(p, at, "ICMP type %s out of range (0-255)", t);
			return -1;
		}
		*out = (int16_t)v;
		return 0;
	}
	n = ph_names_icmp(t);
	if (n < 0) {
		cfg_err(p, at, "unknown ICMP type '%s'", t);
		return -1;
	}
	*out = (int16_t)n;
	return 0;
}

/* `log [level] [interval secs] | log disable | log default` */
static int
parse_log(struct cfg_parser *p, struct cfg_ace *e)
{
	uint32_t v;

	e->log_level = PH_LOG_NONE;
	e->log_interval = 0;
	if (!cfg_accept(p, "log"))
		return 0;
	if (cfg_accept(p, "disable")) {
		e->log_disable = true;
		return 0;
	}
	if (cfg_accept(p, "default"))
		return 0;
	e->log_level = PH_LOG_DEFAULT_LEVEL;
	e->log_interval = PH_LOG_DEFAULT_INTERVAL;
	if (!cfg_at_end(p) && strcasecmp(cfg_peek(p), "interval") != 0 &&
	    cfg_level(p, &e->log_level) < 0)
		return -1;
	if (cfg_accept(p, "interval")) {
		if (cfg_u32(p, "log interval", 1, 600, &v) < 0)
			return -1;
		e->log_interval = (uint16_t)v;
	}
	return 0;
}

static void
fmt_proto(struct strbuf *sb, const struct ph_policy_src *src,
	  const struct cfg_ace *e)
{
	const char *n;

	if (e->proto_group >= 0) {
		sb_printf(sb, "object-group %s",
			  src->groups[e->proto_group].name);
		return;
	}
	n = ph_names_proto_str(e->proto);
	if (n)
		sb_puts(sb, n);
	else
		sb_printf(sb, "%d", e->proto);
}

static void
fmt_ports(struct strbuf *sb, const struct ph_policy_src *src,
	  const struct cfg_ace *e, const struct cfg_port *pt)
{
	if (pt->group >= 0) {
		sb_printf(sb, " object-group %s", src->groups[pt->group].name);
	} else if (pt->op != PH_PORT_ANY) {
		sb_putc(sb, ' ');
		fmt_port(sb, pt, e->proto_group >= 0 ? 0 : e->proto);
	}
}

/* Canonical text of an ACE after `access-list ID` / `conduit`. */
static void
fmt_ace_body(struct strbuf *sb, const struct ph_policy_src *src,
	     const struct cfg_ace *e, bool conduit)
{
	const struct cfg_addr *first = conduit ? &e->dst : &e->src;
	const struct cfg_addr *second = conduit ? &e->src : &e->dst;
	const struct cfg_port *p1 = conduit ? &e->dport : &e->sport;
	const struct cfg_port *p2 = conduit ? &e->sport : &e->dport;

	sb_puts(sb, e->action == PH_ACL_PERMIT ? "permit " : "deny ");
	fmt_proto(sb, src, e);
	sb_putc(sb, ' ');
	fmt_addr(sb, src, first);
	fmt_ports(sb, src, e, p1);
	sb_putc(sb, ' ');
	fmt_addr(sb, src, second);
	fmt_ports(sb, src, e, p2);
	if (e->icmp_group >= 0) {
		sb_printf(sb, " object-group %s",
			  src->groups[e->icmp_group].name);
	} else if (e->icmp_type != PH_ICMP_ANY) {
		const char *n = ph_names_icmp_str(e->icmp_type);

		if (n)
			sb_printf(sb, " %s", n);
		else
			sb_printf(sb, " %d", e->icmp_type);
	}
	if (e->log_disable) {
		sb_puts(sb, " log disable");
	} else if (e->log_level != PH_LOG_NONE) {
		sb_puts(sb, " log");
		if (e->log_level != PH_LOG_DEFAULT_LEVEL ||
		    e->log_interval != PH_LOG_DEFAULT_INTERVAL) {
			sb_putc(sb, ' ');
			fmt_level(sb, e->log_level);
		}
		if (e->log_interval != PH_LOG_DEFAULT_INTERVAL)
			sb_printf(sb, " interval %u", e->log_interval);
	}
}

/*
 * The part shared by access-list and conduit: ACTION PROTO A1 [P1] A2 [P2]
 * [ICMP] [log...].  For conduits A1 is the destination (global address).
 */
static int
parse_ace_body(struct cfg_parser *p, struct cfg_ace *e, bool conduit)
{
	struct cfg_addr *a1 = conduit ? &e->dst : &e->src;
	struct cfg_addr *a2 = conduit ? &e->src : &e->dst;
	struct cfg_port *p1 = conduit ? &e->dport : &e->sport;
	struct cfg_port *p2 = conduit ? &e->sport : &e->dport;
	const char *t;

	e->icmp_type = PH_ICMP_ANY;
	e->icmp_group = -1;
	if (cfg_accept(p, "permit"))
		e->action = PH_ACL_PERMIT;
	else if (cfg_accept(p, "deny"))
		e->action = PH_ACL_DENY;
	else {
		t = cfg_peek(p);
		if (t)
			cfg_err(p, p->pos,
				"expected 'permit' or 'deny', "
				"found '%s'",
				t);
		else
			cfg_err(p, p->pos, "missing 'permit' or 'deny'");
		return -1;
	}
	if (parse_proto(p, e) < 0 || parse_addr(p, a1) < 0 ||
	    parse_ports(p, e, p1) < 0 || parse_addr(p, a2) < 0 ||
	    parse_ports(p, e, p2) < 0)
		return -1;
	t = cfg_peek(p);
	if (t && strcasecmp(t, "log") != 0 && e->proto == 1 &&
	    e->proto_group < 0) {
		if (cfg_accept(p, "object-group")) {
			e->icmp_group = group_ref(p, CFG_G_ICMP);
			if (e->icmp_group < 0)
				return -1;
		} else if (parse_icmp_type(p, &e->icmp_type) < 0) {
			return -1;
		}
	}
	if (parse_log(p, e) < 0)
		return -1;
	t = cfg_peek(p);
	if (t && (strcasecmp(t, "time-range") == 0 ||
		  strcasecmp(t, "inactive") == 0)) {
		cfg_err(p, p->pos, "'%s' is not supported", t);
		return -1;
	}
	return cfg_end(p);
}

static int
acl_find_or_add(struct cfg_parser *p, const char *name, size_t at)
{
	struct ph_policy_src *src = p->src;
	struct cfg_acl *na;

	for (size_t i = 0; i < src->n_acls; i++)
		if (strcmp(src->acls[i].name, name) == 0)
			return (int)i;
	if (src->n_acls >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, at, "too many access lists (limit %u)",
			PH_CFG_MAX_ITEMS);
		return -1;
	}
	na = vec_grow(src->acls, &src->cap_acls, src->n_acls, sizeof(*na));
	if (na == NULL) {
		p->oom = true;
		return -1;
	}
	src->acls = na;
	na = &src->acls[src->n_acls];
	memset(na, 0, sizeof(*na));
	na->name = cfg_strdup(p, name);
	if (na->name == NULL)
		return -1;
	na->pos = p->tok[at].pos;
	return (int)src->n_acls++;
}

/* Append an ACE (text already set) at 1-based line `where` (0 = end). */
static void
acl_insert(struct cfg_parser *p, const char *name, size_t at, struct cfg_ace *e,
	   uint32_t where)
{
	struct ph_policy_src *src = p->src;
	struct cfg_ace *ne;
	struct cfg_acl *acl;
	uint32_t *ni;
	int a;

	if (src->n_aces >= PH_CFG_MAX_ACES) {
		cfg_err(p, 0, "too many access-list entries (limit %u)",
			PH_CFG_MAX_ACES);
		goto out;
	}
	a = acl_find_or_add(p, name, at);
	if (a < 0)
		goto out;
	acl = &src->acls[a];
	ne = vec_grow(src->aces, &src->cap_aces, src->n_aces, sizeof(*ne));
	ni = vec_grow(acl->ace, &acl->cap, acl->n, sizeof(*ni));
	if (ne)
		src->aces = ne;
	if (ni)
		acl->ace = ni;
	if (ne == NULL || ni == NULL) {
		p->oom = true;
		goto out;
	}
	if (where == 0 || where > acl->n)
		where = (uint32_t)acl->n + 1;
	memmove(&acl->ace[where], &acl->ace[where - 1],
		(acl->n - (where - 1)) * sizeof(*acl->ace));
	acl->ace[where - 1] = (uint32_t)src->n_aces;
	acl->n++;
	if (!e->remark)
		acl->n_shown++;
	e->line = p->line;
	src->aces[src->n_aces++] = *e;
	return;
out:
	free(e->text);
}

static void
acl_misc(struct cfg_parser *p, const char *id)
{
	uint32_t v;

	if (strcasecmp(id, "compiled") == 0) {
		if (cfg_end(p) < 0)
			return;
	} else if (cfg_accept(p, "compiled")) {
		if (cfg_end(p) < 0)
			return;
	} else if (strcasecmp(id, "deny-flow-max") == 0) {
		if (cfg_u32(p, "deny-flow-max", 1, 4096, &v) < 0 ||
		    cfg_end(p) < 0)
			return;
	} else {
		if (cfg_u32(p, "alert-interval", 1, 3600, &v) < 0 ||
		    cfg_end(p) < 0)
			return;
	}
	cfg_keep(p, SEC_ACL, cfg_join(p, 0));
	cfg_note(p, 0,
		 "this access-list option has no effect on this "
		 "platform");
}

/* `access-list ID [extended] [line N] permit|deny ...` / `... remark` */
void
parse_access_list(struct cfg_parser *p)
{
	struct cfg_ace e = { 0 };
	struct strbuf sb;
	const char *id;
	size_t id_at = p->pos;
	uint32_t where = 0;
	bool ext;

	if (cfg_word(p, "access-list name", &id) < 0)
		return;
	if (strcasecmp(id, "compiled") == 0 ||
	    strcasecmp(id, "deny-flow-max") == 0 ||
	    strcasecmp(id, "alert-interval") == 0 ||
	    (cfg_peek(p) && strcasecmp(cfg_peek(p), "compiled") == 0)) {
		acl_misc(p, id);
		return;
	}
	if (strlen(id) >= PH_NAME_MAX) {
		cfg_err(p, id_at, "access-list name too long (limit %d)",
			PH_NAME_MAX - 1);
		return;
	}
	if (cfg_accept(p, "line") &&
	    cfg_u32(p, "line number", 1, PH_CFG_MAX_ACES, &where) < 0)
		goto declare;
	ext = cfg_accept(p, "extended");
	if (where == 0 && cfg_accept(p, "line") &&
	    cfg_u32(p, "line number", 1, PH_CFG_MAX_ACES, &where) < 0)
		goto declare;
	sb_init(&sb);
	sb_printf(&sb, "access-list %s ", id);
	if (!ext && cfg_accept(p, "remark")) {
		char *text = cfg_join(p, p->pos);

		if (text == NULL) {
			p->oom = true;
			sb_free(&sb);
			return;
		}
		if (strlen(text) > REMARK_MAX) {
			cfg_err(p, p->pos, "remark longer than %d characters",
				REMARK_MAX);
			free(text);
			sb_free(&sb);
			return;
		}
		sb_printf(&sb, "remark %s", text);
		free(text);
		e.remark = true;
	} else {
		if (parse_ace_body(p, &e, false) < 0) {
			sb_free(&sb);
			goto declare;
		}
		if (ext)
			sb_puts(&sb, "extended ");
		fmt_ace_body(&sb, p->src, &e, false);
	}
	e.text = sb_steal(&sb);
	if (e.text == NULL) {
		p->oom = true;
		return;
	}
	acl_insert(p, id, id_at, &e, where);
	return;
declare:
	/*
	 * The line is bad, but the list exists: declare it so that the
	 * lines naming it do not report errors that follow from this one.
	 */
	if (p->failed && !p->trial) {
		int a = acl_find_or_add(p, id, id_at);

		if (a >= 0)
			p->src->acls[a].applied = true;
	}
}

/* `conduit permit|deny PROTO GLOBAL [ports] FOREIGN [ports] [icmp]` */
void
parse_conduit(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_ace e = { 0 }, *ne;
	struct strbuf sb;

	if (parse_ace_body(p, &e, true) < 0)
		return;
	if (src->n_conduits >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many conduits (limit %u)", PH_CFG_MAX_ITEMS);
		return;
	}
	ne = vec_grow(src->conduits, &src->cap_conduits, src->n_conduits,
		      sizeof(*ne));
	if (ne == NULL) {
		p->oom = true;
		return;
	}
	src->conduits = ne;
	sb_init(&sb);
	sb_puts(&sb, "conduit ");
	fmt_ace_body(&sb, src, &e, true);
	e.text = sb_steal(&sb);
	if (e.text == NULL) {
		p->oom = true;
		return;
	}
	e.line = p->line;
	src->conduits[src->n_conduits++] = e;
}

/* `access-group ID in interface IF [per-user-override]` */
void
parse_access_group(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_agroup g = { 0 }, *ng;
	struct strbuf sb;
	bool puo;

	g.acl_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
	if (cfg_name(p, "access-list name", &g.acl) < 0)
		return;
	if (cfg_accept(p, "out")) {
		cfg_err(p, p->pos - 1,
			"'access-group ... out' is not "
			"supported: ACLs apply inbound, as on PIX 6");
		goto out;
	}
	if (cfg_expect(p, "in") < 0 || cfg_expect(p, "interface") < 0 ||
	    cfg_ifname(p, &g.ifr) < 0)
		goto out;
	puo = cfg_accept(p, "per-user-override");
	if (cfg_end(p) < 0)
		goto out;
	if (src->n_agroups >= PH_IF_MAX * 4) {
		cfg_err(p, 0, "too many access-group lines");
		goto out;
	}
	ng = vec_grow(src->agroups, &src->cap_agroups, src->n_agroups,
		      sizeof(*ng));
	if (ng == NULL) {
		p->oom = true;
		goto out;
	}
	src->agroups = ng;
	sb_init(&sb);
	sb_printf(&sb, "access-group %s in interface %s%s", g.acl, g.ifr.name,
		  puo ? " per-user-override" : "");
	g.text = sb_steal(&sb);
	if (g.text == NULL) {
		p->oom = true;
		goto out;
	}
	g.line = p->line;
	src->agroups[src->n_agroups++] = g;
	if (puo)
		cfg_note(p, p->ntok - 1,
			 "'per-user-override': no effect on "
			 "this platform");
	return;
out:
	free(g.acl);
	free(g.ifr.name);
}

/* ---- object groups ----------------------------------------------------- */

/* Append a group (takes name on success); its index, or -1. */
static int
group_new(struct cfg_parser *p, char *name, int type, int svc, size_t name_at)
{
	struct ph_policy_src *src = p->src;
	struct cfg_group *ng;
	struct strbuf sb;

	if (src->n_groups >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many object-groups");
		return -1;
	}
	ng = vec_grow(src->groups, &src->cap_groups, src->n_groups,
		      sizeof(*ng));
	if (ng == NULL) {
		p->oom = true;
		return -1;
	}
	src->groups = ng;
	ng = &src->groups[src->n_groups];
	memset(ng, 0, sizeof(*ng));
	sb_init(&sb);
	sb_printf(&sb, "object-group %s %s", gtype_names[type], name);
	if (svc)
		sb_printf(&sb, " %s",
			  svc == CFG_SVC_TCP   ? "tcp"
			  : svc == CFG_SVC_UDP ? "udp"
					       : "tcp-udp");
	ng->head = sb_steal(&sb);
	if (ng->head == NULL) {
		p->oom = true;
		return -1;
	}
	ng->name = name;
	ng->type = (uint8_t)type;
	ng->svc = (uint8_t)svc;
	ng->pos = p->tok[name_at].pos;
	return (int)src->n_groups++;
}

/* `object-group network|service|protocol|icmp-type NAME [tcp|udp|tcp-udp]` */
void
parse_object_group(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	const char *t;
	size_t at = p->pos, name_at;
	char *name;
	int type = -1, svc = 0, g;

	if (cfg_word(p, "object-group type", &t) < 0)
		return;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(t, gtype_names[i]) == 0)
			type = i;
	if (type < 0) {
		cfg_err(p, at, "unknown object-group type '%s'", t);
		return;
	}
	name_at = p->pos;
	if (cfg_name(p, "object-group name", &name) < 0)
		return;
	if (type == CFG_G_SERVICE) {
		if (cfg_accept(p, "tcp"))
			svc = CFG_SVC_TCP;
		else if (cfg_accept(p, "udp"))
			svc = CFG_SVC_UDP;
		else if (cfg_accept(p, "tcp-udp"))
			svc = CFG_SVC_TCPUDP;
		else {
			cfg_err(p, p->pos,
				"service object-group needs tcp, "
				"udp or tcp-udp");
			goto out;
		}
	}
	if (cfg_end(p) < 0)
		goto out;
	g = find_group(src, name);
	if (g >= 0) {
		if (src->groups[g].type != type || src->groups[g].svc != svc) {
			cfg_err(p, name_at,
				"object-group '%s' already "
				"defined with another type (line %u)",
				name, src->groups[g].pos.line);
			goto out;
		}
		free(name);
		p->mode = MODE_OBJGRP;
		p->mode_obj = g;
		return;
	}
	g = group_new(p, name, type, svc, name_at);
	if (g < 0)
		goto out;
	p->mode = MODE_OBJGRP;
	p->mode_obj = g;
	return;
out:
	free(name);
}

/* Does group `from` contain group `target`, directly or nested? */
static bool
group_reaches(const struct ph_policy_src *src, int from, int target, int depth)
{
	const struct cfg_group *g = &src->groups[from];

	if (from == target)
		return true;
	if (depth > 16)
		return true; /* treat absurd nesting as a cycle */
	for (size_t i = 0; i < g->n; i++)
		if (g->m[i].group >= 0 &&
		    group_reaches(src, g->m[i].group, target, depth + 1))
			return true;
	return false;
}

/* ` group-object G`: same type (and protocol), never itself. */
static int
member_group(struct cfg_parser *p, struct cfg_group *g, struct cfg_member *m,
	     struct strbuf *sb)
{
	size_t at = p->pos;
	int r = group_ref(p, g->type);

	if (r < 0)
		return -1;
	if (group_reaches(p->src, r, (int)(g - p->src->groups), 0)) {
		cfg_err(p, at, "object-group '%s' would contain itself",
			p->tok[at].s);
		return -1;
	}
	if (g->type == CFG_G_SERVICE && p->src->groups[r].svc != g->svc) {
		cfg_err(p, at, "object-group '%s' has another protocol",
			p->tok[at].s);
		return -1;
	}
	m->group = r;
	sb_printf(sb, " group-object %s", p->src->groups[r].name);
	return cfg_end(p);
}

/* ` network-object host A | A M` */
static int
member_network(struct cfg_parser *p, struct cfg_member *m, struct strbuf *sb)
{
	size_t at = p->pos;
	struct cfg_addr a;

	if (cfg_accept(p, "host")) {
		a.kind = CFG_A_HOST;
		a.mask = 0xffffffffu;
		if (cfg_ip(p, &a.addr, &a.name) < 0)
			return -1;
	} else {
		if (cfg_peek(p) && strcasecmp(cfg_peek(p), "any") == 0) {
			cfg_err(p, p->pos,
				"use 0.0.0.0 0.0.0.0 for "
				"any in a network object");
			return -1;
		}
		a.kind = CFG_A_NET;
		if (cfg_ip(p, &a.addr, &a.name) < 0 || cfg_mask(p, &a.mask) < 0)
			return -1;
		if (a.addr & ~a.mask) {
			cfg_err(p, at,
				"address %s has bits outside "
				"netmask %s",
				p->tok[at].s, p->tok[at + 1].s);
			return -1;
		}
		if (a.mask == 0xffffffffu)
			a.kind = CFG_A_HOST;
	}
	m->pfx.addr = a.addr;
	m->pfx.mask = a.mask;
	fmt_addr(sb, p->src, &a);
	return 0;
}

static int
member_parse(struct cfg_parser *p, struct cfg_group *g, const char *kw,
	     struct cfg_member *m, struct strbuf *sb)
{
	static const char *const want[] = {
		[CFG_G_NETWORK] = "network-object",
		[CFG_G_SERVICE] = "port-object",
		[CFG_G_PROTOCOL] = "protocol-object",
		[CFG_G_ICMP] = "icmp-object",
	};
	struct cfg_ace tmp = { 0 };
	size_t at = p->pos;
	const char *name;

	m->group = -1;
	if (strcmp(kw, "description") == 0) {
		char *text = cfg_join(p, p->pos);

		if (text == NULL)
			return -1;
		sb_printf(sb, " description %s", text);
		free(text);
		m->is_desc = true;
		return 0;
	}
	if (strcmp(kw, "group-object") == 0)
		return member_group(p, g, m, sb);
	if (strcmp(kw, want[g->type]) != 0) {
		cfg_err(p, at - 1, "'%s' does not belong in a %s object-group",
			kw, gtype_names[g->type]);
		return -1;
	}
	sb_printf(sb, " %s ", kw);
	switch (g->type) {
	case CFG_G_NETWORK:
		if (member_network(p, m, sb) < 0)
			return -1;
		break;
	case CFG_G_SERVICE:
		if (cfg_portspec(p, &m->port) < 0)
			return -1;
		if (m->port.op != PH_PORT_EQ && m->port.op != PH_PORT_RANGE) {
			cfg_err(p, at, "port-object needs 'eq' or 'range'");
			return -1;
		}
		fmt_port(sb, &m->port,
			 g->svc == CFG_SVC_TCP	 ? 6
			 : g->svc == CFG_SVC_UDP ? 17
						 : 0);
		break;
	case CFG_G_PROTOCOL:
		if (parse_proto(p, &tmp) < 0)
			return -1;
		if (tmp.proto_group >= 0) {
			cfg_err(p, at, "use group-object to nest groups");
			return -1;
		}
		m->value = tmp.proto;
		tmp.proto_group = -1;
		fmt_proto(sb, p->src, &tmp);
		break;
	case CFG_G_ICMP:
		if (parse_icmp_type(p, &m->value) < 0)
			return -1;
		name = ph_names_icmp_str(m->value);
		if (name)
			sb_puts(sb, name);
		else
			sb_printf(sb, "%d", m->value);
		break;
	}
	return cfg_end(p);
}

/* The -object lines inside `object-group`. */
void
parse_objgrp_sub(struct cfg_parser *p, const char *kw)
{
	struct cfg_group *g = &p->src->groups[p->mode_obj];
	struct cfg_member m = { 0 }, *nm;
	struct strbuf sb;

	if (p->negated) {
		cfg_err(p, 0, "'no %s' is not supported in a rule file", kw);
		return;
	}
	if (g->n >= PH_CFG_MAX_MEMBERS) {
		cfg_err(p, 0,
			"too many members in object-group '%s' "
			"(limit %u)",
			g->name, PH_CFG_MAX_MEMBERS);
		return;
	}
	sb_init(&sb);
	if (member_parse(p, g, kw, &m, &sb) < 0 || p->failed) {
		sb_free(&sb);
		if (!p->failed)
			p->oom = true;
		return;
	}
	nm = vec_grow(g->m, &g->cap, g->n, sizeof(*nm));
	m.text = sb_steal(&sb);
	if (nm == NULL || m.text == NULL) {
		free(m.text);
		p->oom = true;
		return;
	}
	g->m = nm;
	g->m[g->n++] = m;
}
