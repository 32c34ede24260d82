/*
 * config/parse_nat.c - address translation: `nat`, `global`, `static`.
 *
 * Syntax (PIX 6.3 command reference; see docs/config.md):
 *   nat (IF) ID access-list ACL [dns] [outside] [norandomseq] [MAX [EMB]]
 *   nat (IF) ID ADDR [MASK] [dns] [outside] [norandomseq] [MAX [EMB]]
 *   global (IF) ID {interface | ADDR | LO-HI} [netmask MASK]
 *   static (REAL,MAPPED) [tcp|udp] {MAPPED|interface} [MPORT]
 *          {REAL [RPORT] | access-list ACL} [netmask MASK] [dns]
 *          [norandomseq] [MAX [EMB]]
 * Cross-line rules (interfaces exist, ids pair up, statics do not overlap)
 * are in check.c.
 *
 * `dns`, `outside` and `norandomseq` are kept (and printed) but have no
 * effect: each gets a note (docs/config.md).  MAX and EMB are enforced by
 * the engine (core/engine_limit.c).
 *
 * Known limits: the ASA 7 `tcp MAX EMB udp MAX` limit syntax is rejected.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

#define NAT_ID_MAX 2147483647u
#define CONNS_MAX  65535u

/* [dns] [outside] [norandomseq] [MAX [EMB]] in any order of the words. */
static int
nat_options(struct cfg_parser *p, bool *dns, bool *outside, bool *nrs,
	    uint32_t *max, uint32_t *emb)
{
	int nums = 0;

	*max = *emb = 0;
	while (!cfg_at_end(p)) {
		const char *t = cfg_peek(p);
		size_t at = p->pos;

		if (cfg_accept(p, "dns")) {
			*dns = true;
			cfg_note(p, at,
				 "'dns': no effect on this platform (DNS "
				 "replies are not rewritten)");
		} else if (outside && cfg_accept(p, "outside")) {
			*outside = true;
			cfg_note(p, at,
				 "'outside': no effect on this platform "
				 "(outside NAT is not implemented; this line "
				 "translates nothing)");
		} else if (cfg_accept(p, "norandomseq")) {
			*nrs = true;
			cfg_note(p, at,
				 "'norandomseq': no effect on this platform "
				 "(TCP sequence numbers are never "
				 "randomized)");
		} else if (cfg_is_number(t) && nums < 2) {
			if (cfg_u32(p,
				    nums ? "embryonic limit"
					 : "max connections",
				    0, CONNS_MAX, nums ? emb : max) < 0)
				return -1;
			nums++;
		} else {
			return cfg_end(p);
		}
	}
	return 0;
}

static void
fmt_options(struct strbuf *sb, bool dns, bool outside, bool nrs)
{
	if (dns)
		sb_puts(sb, " dns");
	if (outside)
		sb_puts(sb, " outside");
	if (nrs)
		sb_puts(sb, " norandomseq");
}

static bool
looks_like_mask(const char *t)
{
	uint32_t a;

	return t && (strchr(t, '.') != NULL || strcmp(t, "0") == 0) &&
	       cfg_parse_ip(t, &a) == 0;
}

/* `nat (IF) ID ...` */
void
parse_nat(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_nat n = { 0 }, *nn;
	struct strbuf sb;
	size_t at;

	if (cfg_ifparen(p, &n.ifr, NULL) < 0)
		return;
	n.id_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
	if (cfg_u32(p, "nat id", 0, NAT_ID_MAX, &n.id) < 0)
		goto out;
	if (cfg_accept(p, "access-list")) {
		n.acl_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
		if (cfg_name(p, "access-list name", &n.acl) < 0)
			goto out;
	} else {
		at = p->pos;
		if (cfg_ip(p, &n.match.addr, NULL) < 0)
			goto out;
		n.match.mask = 0xffffffffu;
		if (looks_like_mask(cfg_peek(p)) &&
		    cfg_mask(p, &n.match.mask) < 0)
			goto out;
		if (n.match.addr & ~n.match.mask) {
			cfg_err(p, at,
				"address %s has bits outside netmask "
				"%s",
				p->tok[at].s, p->tok[at + 1].s);
			goto out;
		}
	}
	if (nat_options(p, &n.dns, &n.outside, &n.norandomseq, &n.max_conns,
			&n.emb_limit) < 0)
		goto out;
	if (src->n_nats >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many nat lines (limit %u)",
			PH_CFG_MAX_ITEMS);
		goto out;
	}
	sb_init(&sb);
	sb_printf(&sb, "nat (%s) %u ", n.ifr.name, n.id);
	if (n.acl) {
		sb_printf(&sb, "access-list %s", n.acl);
	} else {
		fmt_ip(&sb, n.match.addr);
		sb_putc(&sb, ' ');
		fmt_ip(&sb, n.match.mask);
	}
	fmt_options(&sb, n.dns, n.outside, n.norandomseq);
	if (!n.acl || n.max_conns || n.emb_limit)
		sb_printf(&sb, " %u %u", n.max_conns, n.emb_limit);
	n.text = sb_steal(&sb);
	nn = vec_grow(src->nats, &src->cap_nats, src->n_nats, sizeof(*nn));
	if (n.text == NULL || nn == NULL) {
		free(n.text);
		p->oom = true;
		goto out;
	}
	src->nats = nn;
	n.line = p->line;
	nn[src->n_nats++] = n;
	return;
out:
	free(n.ifr.name);
	free(n.acl);
}

static int
parse_range(struct cfg_parser *p, uint32_t *lo, uint32_t *hi)
{
	const char *t, *dash;
	size_t at = p->pos;
	char buf[16];

	if (cfg_word(p, "address", &t) < 0)
		return -1;
	dash = strchr(t, '-');
	if (dash == NULL) {
		p->pos--;
		if (cfg_ip(p, lo, NULL) < 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	if ((size_t)(dash - t) >= sizeof(buf))
		goto bad;
	memcpy(buf, t, (size_t)(dash - t));
	buf[dash - t] = '\0';
	if (cfg_parse_ip(buf, lo) < 0 || cfg_parse_ip(dash + 1, hi) < 0)
		goto bad;
	if (*hi < *lo) {
		cfg_err(p, at, "empty address range '%s'", t);
		return -1;
	}
	return 0;
bad:
	cfg_err(p, at, "bad address range '%s'", t);
	return -1;
}

/* `global (IF) ID {interface | ADDR | LO-HI} [netmask MASK]` */
void
parse_global(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_global g = { 0 }, *ng;
	struct strbuf sb;

	if (cfg_ifparen(p, &g.ifr, NULL) < 0)
		return;
	g.id_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
	if (cfg_u32(p, "global id", 1, NAT_ID_MAX, &g.id) < 0)
		goto out;
	if (cfg_accept(p, "interface"))
		g.is_iface = true;
	else if (parse_range(p, &g.lo, &g.hi) < 0)
		goto out;
	if (cfg_accept(p, "netmask") && cfg_mask(p, &g.mask) < 0)
		goto out;
	if (cfg_end(p) < 0)
		goto out;
	if (src->n_globals >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many global lines (limit %u)",
			PH_CFG_MAX_ITEMS);
		goto out;
	}
	sb_init(&sb);
	sb_printf(&sb, "global (%s) %u ", g.ifr.name, g.id);
	if (g.is_iface) {
		sb_puts(&sb, "interface");
	} else {
		fmt_ip(&sb, g.lo);
		if (g.hi != g.lo) {
			sb_putc(&sb, '-');
			fmt_ip(&sb, g.hi);
		}
	}
	if (g.mask) {
		sb_puts(&sb, " netmask ");
		fmt_ip(&sb, g.mask);
	}
	g.text = sb_steal(&sb);
	ng = vec_grow(src->globals, &src->cap_globals, src->n_globals,
		      sizeof(*ng));
	if (g.text == NULL || ng == NULL) {
		free(g.text);
		p->oom = true;
		goto out;
	}
	src->globals = ng;
	g.line = p->line;
	ng[src->n_globals++] = g;
	return;
out:
	free(g.ifr.name);
}

static void
put_port(struct strbuf *sb, uint16_t port, int proto)
{
	struct strbuf tmp;
	struct cfg_port pt = { PH_PORT_EQ, port, port, -1 };

	sb_init(&tmp);
	fmt_port(&tmp, &pt, proto);
	sb_printf(sb, " %s", tmp.buf ? tmp.buf + 3 : "?"); /* skip "eq " */
	sb_free(&tmp);
}

static char *
static_text(const struct cfg_static *s)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_printf(&sb, "static (%s,%s) ", s->real_if.name, s->mapped_if.name);
	if (s->proto)
		sb_puts(&sb, s->proto == 6 ? "tcp " : "udp ");
	if (s->mapped_is_iface)
		sb_puts(&sb, "interface");
	else
		fmt_ip(&sb, s->mapped_addr);
	if (s->proto)
		put_port(&sb, s->mapped_port, s->proto);
	if (s->acl) {
		sb_printf(&sb, " access-list %s", s->acl);
	} else {
		sb_putc(&sb, ' ');
		fmt_ip(&sb, s->real_addr);
		if (s->proto)
			put_port(&sb, s->real_port, s->proto);
		sb_puts(&sb, " netmask ");
		fmt_ip(&sb, s->mask);
	}
	fmt_options(&sb, s->dns, false, s->norandomseq);
	sb_printf(&sb, " %u %u", s->max_conns, s->emb_limit);
	return sb_steal(&sb);
}

static int
static_real(struct cfg_parser *p, struct cfg_static *s)
{
	size_t at;

	if (cfg_accept(p, "access-list")) {
		s->acl_pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
		return cfg_name(p, "access-list name", &s->acl);
	}
	if (cfg_ip(p, &s->real_addr, NULL) < 0)
		return -1;
	if (s->proto && cfg_port(p, &s->real_port) < 0)
		return -1;
	s->mask = 0xffffffffu;
	if (cfg_accept(p, "netmask")) {
		at = p->pos;
		if (cfg_mask(p, &s->mask) < 0)
			return -1;
		if (s->proto && s->mask != 0xffffffffu) {
			cfg_err(p, at,
				"static PAT needs netmask "
				"255.255.255.255");
			return -1;
		}
		if ((s->real_addr & ~s->mask) ||
		    (!s->mapped_is_iface && (s->mapped_addr & ~s->mask))) {
			cfg_err(p, at,
				"netmask %s leaves host bits in the "
				"addresses",
				p->tok[at].s);
			return -1;
		}
	}
	return 0;
}

/* `static (REAL,MAPPED) ...` */
void
parse_static(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_static s = { 0 }, *ns;

	s.pos = p->tok[0].pos;
	if (cfg_ifparen(p, &s.real_if, &s.mapped_if) < 0)
		return;
	if (cfg_accept(p, "tcp"))
		s.proto = 6;
	else if (cfg_accept(p, "udp"))
		s.proto = 17;
	if (cfg_accept(p, "interface"))
		s.mapped_is_iface = true;
	else if (cfg_ip(p, &s.mapped_addr, NULL) < 0)
		goto out;
	if (s.proto && cfg_port(p, &s.mapped_port) < 0)
		goto out;
	if (static_real(p, &s) < 0)
		goto out;
	if (nat_options(p, &s.dns, NULL, &s.norandomseq, &s.max_conns,
			&s.emb_limit) < 0)
		goto out;
	if (src->n_statics >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many static lines (limit %u)",
			PH_CFG_MAX_ITEMS);
		goto out;
	}
	s.text = static_text(&s);
	ns = vec_grow(src->statics, &src->cap_statics, src->n_statics,
		      sizeof(*ns));
	if (s.text == NULL || ns == NULL) {
		free(s.text);
		p->oom = true;
		goto out;
	}
	src->statics = ns;
	s.line = p->line;
	ns[src->n_statics++] = s;
	return;
out:
	free(s.real_if.name);
	free(s.mapped_if.name);
	free(s.acl);
}
