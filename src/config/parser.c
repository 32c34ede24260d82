/*
 * config/parser.c - rule text -> commands -> the command families.
 *
 * Physical lines are turned into logical commands here:
 *  - a `host(mode)#` prompt at the start of a line is skipped (snippets
 *    copied from a PIX session), as are blank lines, `!` and `:` comment
 *    lines and the `write terminal` framing (`Building configuration...`,
 *    `Cryptochecksum:...`, `[OK]`);
 *  - continuation rule: a line whose first word is not a command keyword
 *    of any mode continues the previous command (blank lines between are
 *    allowed, comments are not).  The joined command is parsed as one; if
 *    it fails exactly at the first word of a continuation line, the
 *    previous part is parsed alone and that line is reported as an
 *    unknown command.
 * Each command is dispatched through one sorted keyword table (sub-mode
 * keywords first when a sub-mode is open).  A command either parses
 * completely and is committed, or reports its first error and is dropped:
 * parsing recovers at the end of every command, so one run reports every
 * bad line.
 *
 * This file also has the token readers the families share (addresses,
 * masks, ports, levels, interface references).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"
#include "config/names.h"

#define NO_TOK ((size_t)-1)

/* ---- diagnostics ---------------------------------------------------- */

static void
line_text(const struct cfg_parser *p, uint32_t line, const char **s,
	  size_t *len)
{
	const char *b, *e, *end = p->text + p->len;

	*s = "";
	*len = 0;
	if (line == 0 || line > p->n_lines)
		return;
	b = p->text + p->line_off[line - 1];
	e = memchr(b, '\n', (size_t)(end - b));
	if (e == NULL)
		e = end;
	if (e > b && e[-1] == '\r')
		e--;
	if ((size_t)(e - b) > PH_CFG_MAX_LINE + 64)
		e = b + PH_CFG_MAX_LINE + 64;
	*s = b;
	*len = (size_t)(e - b);
}

static void
emit(struct cfg_parser *p, uint8_t sev, struct cfg_pos pos, const char *msg)
{
	const char *s;
	size_t len;

	if (sev == PH_DIAG_ERROR)
		p->n_errors++;
	if (p->too_many_diags)
		return;
	if (ph_diags_count(p->diags) >= PH_CFG_MAX_DIAGS) {
		p->too_many_diags = true;
		diags_add(p->diags, p->file, pos.line, 0, PH_DIAG_ERROR,
			  "too many diagnostics; the rest are not shown", NULL,
			  0);
		return;
	}
	line_text(p, pos.line, &s, &len);
	diags_add(p->diags, p->file, pos.line, pos.col, sev, msg, s, len);
}

static void vdiag(struct cfg_parser *p, uint8_t sev, struct cfg_pos pos,
		  const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void
vdiag(struct cfg_parser *p, uint8_t sev, struct cfg_pos pos, const char *fmt,
      va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (p->trial) {
		if (p->n_held < sizeof(p->held) / sizeof(p->held[0])) {
			struct cfg_held *h = &p->held[p->n_held++];

			h->pos = pos;
			h->sev = sev;
			strlcpy(h->msg, msg, sizeof(h->msg));
		}
		return;
	}
	emit(p, sev, pos, msg);
}

void
cfg_diag(struct cfg_parser *p, uint8_t sev, struct cfg_pos pos, const char *fmt,
	 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, sev, pos, fmt, ap);
	va_end(ap);
}

/* Position of token i, or just past the last token when i is past it. */
static struct cfg_pos
tok_pos(const struct cfg_parser *p, size_t i)
{
	struct cfg_pos pos = { p->line, 1 };

	if (i < p->ntok)
		return p->tok[i].pos;
	if (p->ntok > 0) {
		const struct cfg_tok *t = &p->tok[p->ntok - 1];

		pos = t->pos;
		pos.col += (uint32_t)strlen(t->s);
	}
	return pos;
}

void
cfg_err(struct cfg_parser *p, size_t i, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return; /* one error per command: the rest would be noise */
	p->failed = true;
	p->err_tok = i < p->ntok ? i : NO_TOK;
	va_start(ap, fmt);
	vdiag(p, PH_DIAG_ERROR, tok_pos(p, i), fmt, ap);
	va_end(ap);
}

void
cfg_warn(struct cfg_parser *p, size_t i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, PH_DIAG_WARNING, tok_pos(p, i), fmt, ap);
	va_end(ap);
}

void
cfg_note(struct cfg_parser *p, size_t i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag(p, PH_DIAG_NOTE, tok_pos(p, i), fmt, ap);
	va_end(ap);
}

/* ---- token readers -------------------------------------------------- */

const char *
cfg_peek(struct cfg_parser *p)
{
	return p->pos < p->ntok ? p->tok[p->pos].s : NULL;
}

bool
cfg_at_end(const struct cfg_parser *p)
{
	return p->pos >= p->ntok;
}

bool
cfg_accept(struct cfg_parser *p, const char *kw)
{
	const char *t = cfg_peek(p);

	if (t == NULL || strcasecmp(t, kw) != 0)
		return false;
	p->pos++;
	return true;
}

char *
cfg_strdup(struct cfg_parser *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		p->oom = true;
	return d;
}

int
cfg_expect(struct cfg_parser *p, const char *kw)
{
	const char *t = cfg_peek(p);

	if (cfg_accept(p, kw))
		return 0;
	if (t == NULL)
		cfg_err(p, p->pos, "missing '%s'", kw);
	else
		cfg_err(p, p->pos, "expected '%s', found '%s'", kw, t);
	return -1;
}

int
cfg_word(struct cfg_parser *p, const char *what, const char **out)
{
	if (cfg_at_end(p)) {
		cfg_err(p, p->pos, "missing %s", what);
		return -1;
	}
	*out = p->tok[p->pos++].s;
	return 0;
}

int
cfg_name(struct cfg_parser *p, const char *what, char **out)
{
	const char *s;
	size_t at = p->pos;

	if (cfg_word(p, what, &s) < 0)
		return -1;
	if (strlen(s) >= PH_NAME_MAX) {
		cfg_err(p, at, "%s '%.20s...' is too long (limit %d)", what, s,
			PH_NAME_MAX - 1);
		return -1;
	}
	for (const char *c = s; *c; c++) {
		if (*c == '(' || *c == ')' || *c == ',' || *c == '\'' ||
		    *c == '"') {
			cfg_err(p, at, "bad character '%c' in %s '%s'", *c,
				what, s);
			return -1;
		}
	}
	*out = cfg_strdup(p, s);
	return *out ? 0 : -1;
}

bool
cfg_is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int
cfg_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	unsigned long long v = 0;

	if (!cfg_is_number(s))
		return -EINVAL;
	for (; *s; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 0xffffffffull)
			return -ERANGE;
	}
	if (v < lo || v > hi)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int
cfg_u32(struct cfg_parser *p, const char *what, uint32_t lo, uint32_t hi,
	uint32_t *out)
{
	const char *s;
	size_t at = p->pos;
	int rc;

	if (cfg_word(p, what, &s) < 0)
		return -1;
	rc = cfg_parse_u32(s, lo, hi, out);
	if (rc == -EINVAL) {
		cfg_err(p, at, "bad %s '%s': expected a number", what, s);
		return -1;
	}
	if (rc < 0) {
		cfg_err(p, at, "%s %s out of range (%u-%u)", what, s, lo, hi);
		return -1;
	}
	return 0;
}

int
cfg_parse_ip(const char *s, uint32_t *out)
{
	uint32_t a = 0;
	int parts = 0;

	if (strcmp(s, "0") == 0) { /* PIX: `0` abbreviates 0.0.0.0 */
		*out = 0;
		return 0;
	}
	while (parts < 4) {
		unsigned v = 0;
		int digits = 0;

		while (isdigit((unsigned char)*s) && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return -EINVAL;
		a = a << 8 | v;
		parts++;
		if (parts < 4 && *s++ != '.')
			return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = a;
	return 0;
}

static int
find_name(const struct ph_policy_src *src, const char *s)
{
	for (size_t i = 0; i < src->n_names; i++)
		if (strcmp(src->names[i].name, s) == 0)
			return (int)i;
	return -1;
}

int
cfg_ip_literal(struct cfg_parser *p, uint32_t *out)
{
	const char *s;
	size_t at = p->pos;

	if (cfg_word(p, "IP address", &s) < 0)
		return -1;
	if (cfg_parse_ip(s, out) < 0) {
		cfg_err(p, at, "bad IP address '%s'", s);
		return -1;
	}
	return 0;
}

int
cfg_ip(struct cfg_parser *p, uint32_t *out, const char **name)
{
	const char *s;
	size_t at = p->pos;
	int n;

	if (name)
		*name = NULL;
	if (cfg_word(p, "IP address", &s) < 0)
		return -1;
	if (cfg_parse_ip(s, out) == 0)
		return 0;
	n = find_name(p->src, s);
	if (n >= 0) {
		*out = p->src->names[n].addr;
		if (name)
			*name = p->src->names[n].name;
		return 0;
	}
	if (isalpha((unsigned char)s[0]))
		cfg_err(p, at, "unknown name '%s'", s);
	else
		cfg_err(p, at, "bad IP address '%s'", s);
	return -1;
}

bool
cfg_mask_ok(uint32_t mask)
{
	uint32_t inv = ~mask;

	return (inv & (inv + 1)) == 0;
}

int
cfg_mask_len(uint32_t mask)
{
	int n = 0;

	while (mask & 0x80000000u) {
		n++;
		mask <<= 1;
	}
	return n;
}

int
cfg_mask(struct cfg_parser *p, uint32_t *out)
{
	const char *s;
	size_t at = p->pos;

	if (cfg_word(p, "netmask", &s) < 0)
		return -1;
	if (cfg_parse_ip(s, out) < 0) {
		cfg_err(p, at, "bad netmask '%s'", s);
		return -1;
	}
	if (!cfg_mask_ok(*out)) {
		cfg_err(p, at, "non-contiguous netmask '%s'", s);
		return -1;
	}
	return 0;
}

int
cfg_net(struct cfg_parser *p, uint32_t *addr, uint32_t *mask)
{
	size_t at = p->pos;

	if (cfg_ip(p, addr, NULL) < 0 || cfg_mask(p, mask) < 0)
		return -1;
	if (*addr & ~*mask) {
		cfg_err(p, at, "address %s has bits outside netmask %s",
			p->tok[at].s, p->tok[at + 1].s);
		return -1;
	}
	return 0;
}

int
cfg_port(struct cfg_parser *p, uint16_t *out)
{
	const char *s;
	size_t at = p->pos;
	uint32_t v;
	int n, rc;

	if (cfg_word(p, "port", &s) < 0)
		return -1;
	if (cfg_is_number(s)) {
		rc = cfg_parse_u32(s, 0, 65535, &v);
		if (rc < 0) {
			cfg_err(p, at, "port %s out of range (0-65535)", s);
			return -1;
		}
		*out = (uint16_t)v;
		return 0;
	}
	n = ph_names_port(s);
	if (n < 0) {
		cfg_err(p, at, "unknown port name '%s'", s);
		return -1;
	}
	*out = (uint16_t)n;
	return 0;
}

int
cfg_portspec(struct cfg_parser *p, struct cfg_port *out)
{
	static const struct {
		const char *kw;
		uint8_t op;
	} ops[] = {
		{ "eq", PH_PORT_EQ },	    { "neq", PH_PORT_NEQ },
		{ "lt", PH_PORT_LT },	    { "gt", PH_PORT_GT },
		{ "range", PH_PORT_RANGE },
	};
	const char *t = cfg_peek(p);

	out->group = -1;
	for (size_t i = 0; t && i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t at;

		if (strcasecmp(t, ops[i].kw) != 0)
			continue;
		p->pos++;
		out->op = ops[i].op;
		at = p->pos;
		if (cfg_port(p, &out->lo) < 0)
			return -1;
		out->hi = out->lo;
		if (out->op != PH_PORT_RANGE)
			return 0;
		if (cfg_port(p, &out->hi) < 0)
			return -1;
		if (out->hi < out->lo) {
			cfg_err(p, at, "empty port range %s %s", p->tok[at].s,
				p->tok[at + 1].s);
			return -1;
		}
		return 0;
	}
	out->op = PH_PORT_ANY;
	return 0;
}

int
cfg_level(struct cfg_parser *p, int8_t *out)
{
	const char *s;
	size_t at = p->pos;
	uint32_t v;
	int n;

	if (cfg_word(p, "logging level", &s) < 0)
		return -1;
	if (cfg_parse_u32(s, 0, 7, &v) == 0) {
		*out = (int8_t)v;
		return 0;
	}
	n = ph_names_level(s);
	if (n < 0) {
		cfg_err(p, at,
			"bad logging level '%s' (0-7 or emergencies.."
			"debugging)",
			s);
		return -1;
	}
	*out = (int8_t)n;
	return 0;
}

static int
ifref_set(struct cfg_parser *p, struct cfg_ifref *r, const char *s, size_t len,
	  struct cfg_pos pos, size_t at)
{
	if (len == 0) {
		cfg_err(p, at, "missing interface name in '%s'", p->tok[at].s);
		return -1;
	}
	if (len >= PH_NAME_MAX) {
		cfg_err(p, at, "interface name too long");
		return -1;
	}
	r->name = strndup(s, len);
	if (r->name == NULL) {
		p->oom = true;
		return -1;
	}
	r->pos = pos;
	r->idx = PH_IF_NONE;
	return 0;
}

int
cfg_ifparen(struct cfg_parser *p, struct cfg_ifref *a, struct cfg_ifref *b)
{
	const char *s, *comma;
	size_t at = p->pos, n;
	struct cfg_pos pos;

	if (cfg_word(p, b ? "(real_if,mapped_if)" : "(interface)", &s) < 0)
		return -1;
	n = strlen(s);
	if (n < 2 || s[0] != '(' || s[n - 1] != ')') {
		cfg_err(p, at, "expected %s, found '%s'",
			b ? "(real_if,mapped_if)" : "(interface)", s);
		return -1;
	}
	comma = memchr(s, ',', n);
	if ((comma != NULL) != (b != NULL)) {
		cfg_err(p, at,
			b ? "expected two interfaces in '%s'"
			  : "expected one interface in '%s'",
			s);
		return -1;
	}
	pos = p->tok[at].pos;
	pos.col++;
	if (b == NULL)
		return ifref_set(p, a, s + 1, n - 2, pos, at);
	if (ifref_set(p, a, s + 1, (size_t)(comma - s - 1), pos, at) < 0)
		return -1;
	pos.col += (uint32_t)(comma - s);
	if (ifref_set(p, b, comma + 1, (size_t)(s + n - 1 - comma - 1), pos,
		      at) < 0) {
		free(a->name);
		a->name = NULL;
		return -1;
	}
	return 0;
}

int
cfg_ifname(struct cfg_parser *p, struct cfg_ifref *out)
{
	const char *s;
	size_t at = p->pos;

	if (cfg_word(p, "interface name", &s) < 0)
		return -1;
	return ifref_set(p, out, s, strlen(s), p->tok[at].pos, at);
}

int
cfg_end(struct cfg_parser *p)
{
	if (cfg_at_end(p))
		return 0;
	cfg_err(p, p->pos, "unexpected '%s'", p->tok[p->pos].s);
	return -1;
}

char *
cfg_join(struct cfg_parser *p, size_t from)
{
	struct strbuf sb;

	sb_init(&sb);
	for (size_t i = from; i < p->ntok; i++) {
		if (i > from)
			sb_putc(&sb, ' ');
		sb_puts(&sb, p->tok[i].s);
	}
	if (sb.buf == NULL)
		sb_puts(&sb, "");
	return sb_steal(&sb);
}

void
cfg_keep(struct cfg_parser *p, uint8_t sec, char *text)
{
	struct ph_policy_src *src = p->src;
	struct cfg_line *nl;

	if (text == NULL) {
		p->oom = true;
		return;
	}
	nl = vec_grow(src->lines, &src->cap_lines, src->n_lines, sizeof(*nl));
	if (nl == NULL) {
		free(text);
		p->oom = true;
		return;
	}
	src->lines = nl;
	nl[src->n_lines].sec = sec;
	nl[src->n_lines].line = p->line;
	nl[src->n_lines].text = text;
	src->n_lines++;
}

/* ---- shared formatting ---------------------------------------------- */

void
fmt_ip(struct strbuf *sb, uint32_t a)
{
	sb_printf(sb, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		  a & 0xff);
}

void
fmt_addr(struct strbuf *sb, const struct ph_policy_src *src,
	 const struct cfg_addr *a)
{
	switch (a->kind) {
	case CFG_A_ANY:
		sb_puts(sb, "any");
		return;
	case CFG_A_GROUP:
		sb_printf(sb, "object-group %s", src->groups[a->group].name);
		return;
	case CFG_A_HOST:
		sb_puts(sb, "host ");
		break;
	default:
		break;
	}
	if (a->name)
		sb_puts(sb, a->name);
	else
		fmt_ip(sb, a->addr);
	if (a->kind == CFG_A_NET) {
		sb_putc(sb, ' ');
		fmt_ip(sb, a->mask);
	}
}

static void
fmt_one_port(struct strbuf *sb, uint16_t port, int proto)
{
	const char *n = ph_names_port_str(port, proto);

	if (n)
		sb_puts(sb, n);
	else
		sb_printf(sb, "%u", port);
}

void
fmt_port(struct strbuf *sb, const struct cfg_port *pt, int proto)
{
	static const char *const opname[] = {
		[PH_PORT_EQ] = "eq",	   [PH_PORT_NEQ] = "neq",
		[PH_PORT_LT] = "lt",	   [PH_PORT_GT] = "gt",
		[PH_PORT_RANGE] = "range",
	};

	if (pt->op == PH_PORT_ANY)
		return;
	sb_printf(sb, "%s ", opname[pt->op]);
	fmt_one_port(sb, pt->lo, proto);
	if (pt->op == PH_PORT_RANGE) {
		sb_putc(sb, ' ');
		fmt_one_port(sb, pt->hi, proto);
	}
}

void
fmt_level(struct strbuf *sb, int lvl)
{
	const char *n = ph_names_level_str(lvl);

	if (n)
		sb_puts(sb, n);
	else
		sb_printf(sb, "%d", lvl);
}

void
fmt_time(struct strbuf *sb, uint32_t sec)
{
	sb_printf(sb, "%u:%02u:%02u", sec / 3600, sec / 60 % 60, sec % 60);
}

/* ---- the keyword table ------------------------------------------------ */

struct cmd {
	const char *kw;
	cfg_cmd_fn fn;
	bool allows_no;
	bool opens_mode; /* may open a sub-mode */
};

static void parse_write(struct cfg_parser *p);

/* Commands with meaning; sorted (bsearch).  No-effect ones: parse_misc.c */
static const struct cmd commands[] = {
	{ "access-group", parse_access_group, false, false },
	{ "access-list", parse_access_list, false, false },
	{ "asa", parse_version, false, false },
	{ "class-map", parse_class_map, false, true },
	{ "conduit", parse_conduit, false, false },
	{ "fixup", parse_fixup, true, false },
	{ "global", parse_global, false, false },
	{ "hostname", parse_hostname, false, false },
	{ "interface", parse_interface, false, true },
	{ "ip", parse_ip, true, false },
	{ "logging", parse_logging, true, false },
	{ "mtu", parse_mtu, false, false },
	{ "name", parse_name, false, false },
	{ "nameif", parse_nameif, false, false },
	{ "names", parse_names, true, false },
	{ "nat", parse_nat, false, false },
	{ "object-group", parse_object_group, false, true },
	{ "pix", parse_version, false, false },
	{ "policy-map", parse_policy_map, false, true },
	{ "route", parse_route, false, false },
	{ "service-policy", parse_service_policy, false, false },
	{ "static", parse_static, false, false },
	{ "sysopt", parse_sysopt, true, false },
	{ "timeout", parse_timeout, false, false },
	{ "vpdn", parse_vpdn, true, false },
	{ "write", parse_write, false, false },
};

/* Sub-mode keywords (any mode), for the continuation rule. */
static const char *const sub_keywords[] = {
	"class",       "description",	  "duplex",	    "group-object",
	"icmp-object", "inspect",	  "match",	    "network-object",
	"port-object", "protocol-object", "security-level", "shutdown",
	"speed",
};

static int
cmd_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct cmd *)elem)->kw);
}

static const struct cmd *
find_cmd(const char *kw)
{
	return bsearch(kw, commands, sizeof(commands) / sizeof(commands[0]),
		       sizeof(commands[0]), cmd_cmp);
}

bool
cfg_is_command(const char *kw, enum cfg_mode mode)
{
	(void)mode;
	if (strcasecmp(kw, "no") == 0 || find_cmd(kw) || cfg_is_noeffect(kw))
		return true;
	for (size_t i = 0; i < sizeof(sub_keywords) / sizeof(*sub_keywords);
	     i++)
		if (strcasecmp(kw, sub_keywords[i]) == 0)
			return true;
	return false;
}

/* `write terminal` echoed before a configuration: framing, no effect. */
static void
parse_write(struct cfg_parser *p)
{
	if (cfg_accept(p, "terminal") || cfg_accept(p, "term") ||
	    cfg_accept(p, "t")) {
		/* the seeds run the banner onto the same line */
		if (cfg_at_end(p) || cfg_accept(p, "Building"))
			return;
	}
	cfg_err(p, p->pos, "only 'write terminal' may appear in a rule file");
}

static bool
dispatch_sub(struct cfg_parser *p, const char *kw)
{
	switch (p->mode) {
	case MODE_IFACE: {
		static const char *const kws[] = {
			"nameif", "security-level", "shutdown",
			"speed",  "duplex",	    "description",
			"ip",	  "management-only"
		};

		for (size_t i = 0; i < sizeof(kws) / sizeof(*kws); i++) {
			if (strcasecmp(kw, kws[i]) != 0)
				continue;
			if (i == 6) { /* ` ip address A M` vs `ip address IF` */
				uint32_t a;

				if (p->pos + 2 >= p->ntok ||
				    strcasecmp(p->tok[p->pos + 1].s,
					       "address") != 0 ||
				    (cfg_parse_ip(p->tok[p->pos + 2].s, &a) <
					     0 &&
				     strcasecmp(p->tok[p->pos + 2].s, "dhcp") !=
					     0))
					return false;
			}
			p->pos++;
			parse_iface_sub(p, kws[i]);
			return true;
		}
		return false;
	}
	case MODE_OBJGRP: {
		static const char *const kws[] = {
			"network-object", "port-object",  "protocol-object",
			"icmp-object",	  "group-object", "description"
		};

		for (size_t i = 0; i < sizeof(kws) / sizeof(*kws); i++) {
			if (strcasecmp(kw, kws[i]) == 0) {
				p->pos++;
				parse_objgrp_sub(p, kws[i]);
				return true;
			}
		}
		return false;
	}
	case MODE_CLASSMAP:
	case MODE_POLICYMAP:
	case MODE_PCLASS:
		return parse_mpf_sub(p, kw);
	case MODE_SKIP:
		/* the sub-mode's opener failed: its lines were reported */
		if (find_cmd(kw) != NULL || cfg_is_noeffect(kw))
			return false;
		p->pos = p->ntok;
		return true;
	case MODE_TOP:
		break;
	}
	return false;
}

static void
dispatch(struct cfg_parser *p)
{
	const char *kw;
	const struct cmd *c;

	p->pos = 0;
	p->negated = false;
	if (strcasecmp(p->tok[0].s, "no") == 0) {
		p->negated = true;
		p->pos = 1;
		if (p->ntok < 2) {
			cfg_err(p, 1, "missing command after 'no'");
			return;
		}
	}
	kw = p->tok[p->pos].s;
	if (p->mode != MODE_TOP) {
		enum cfg_mode before = p->mode;

		if (dispatch_sub(p, kw)) {
			/* a bad `class X` opens nothing: skip its lines */
			if (p->failed && before == MODE_POLICYMAP)
				p->mode = MODE_SKIP;
			return;
		}
	}
	p->mode = MODE_TOP;
	c = find_cmd(kw);
	if (c != NULL) {
		if (p->negated && !c->allows_no) {
			cfg_err(p, 0, "'no %s' is not supported in a rule file",
				c->kw);
			return;
		}
		p->pos++;
		c->fn(p);
		/* a bad sub-mode opener: its indented lines follow it */
		if (p->failed && c->opens_mode)
			p->mode = MODE_SKIP;
		return;
	}
	if (parse_noeffect(p, kw))
		return;
	cfg_err(p, p->pos, "unknown command '%s'", kw);
}

/* ---- commands from lines ---------------------------------------------- */

static void
held_flush(struct cfg_parser *p)
{
	for (size_t i = 0; i < p->n_held; i++)
		emit(p, p->held[i].sev, p->held[i].pos, p->held[i].msg);
	p->n_held = 0;
}

/*
 * Run the pending command.  When it has continuation lines it runs as a
 * trial first, with diagnostics held back, so that a failure exactly at a
 * continuation line's first word can be turned into "the command before
 * was complete, and this line is an unknown command".
 */
static void
run_pending(struct cfg_parser *p)
{
	size_t bad;

	if (p->ntok == 0)
		return;
	p->failed = false;
	p->err_tok = NO_TOK;
	if (p->n_cont == 0) {
		dispatch(p);
		goto out;
	}
	p->trial = true;
	p->n_held = 0;
	dispatch(p);
	p->trial = false;
	bad = NO_TOK;
	for (size_t i = 0; p->failed && i < p->n_cont; i++)
		if (p->err_tok == p->cont[i])
			bad = p->cont[i];
	if (bad == NO_TOK) {
		held_flush(p);
		goto out;
	}
	p->n_held = 0;
	{
		struct cfg_tok t = p->tok[bad];

		p->ntok = bad;
		p->failed = false;
		dispatch(p);
		p->failed = false;
		p->ntok = bad + 1;
		p->tok[bad] = t;
		cfg_err(p, bad, "unknown command '%s'", t.s);
	}
out:
	p->ntok = 0;
	p->tb_len = 0;
	p->n_cont = 0;
}

/* Length of a `host(mode)#` prompt at s, 0 if none. */
static size_t
prompt_len(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '-' ||
			   s[i] == '_' || s[i] == '.'))
		i++;
	if (i == 0 || i >= len)
		return 0;
	if (s[i] == '(') {
		while (i < len && s[i] != ')' && s[i] != ' ' && s[i] != '\t')
			i++;
		if (i >= len || s[i] != ')')
			return 0;
		i++;
	}
	if (i < len && s[i] == '#')
		return i + 1;
	return 0;
}

static bool
starts_with(const char *s, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);

	return len >= n && strncmp(s, pfx, n) == 0;
}

/* Framing lines of `write terminal` output, and comments. */
static bool
is_framing(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0)
		return false;
	if (s[0] == '!' || s[0] == ':')
		return true;
	return (len == strlen("Building configuration...") &&
		starts_with(s, len, "Building configuration...")) ||
	       (len == 4 && starts_with(s, len, "[OK]")) ||
	       starts_with(s, len, "Cryptochecksum:");
}

/* The first word of a line, copied into buf (truncated). */
static void
first_word(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t n = 0;

	while (n < len && s[n] != ' ' && s[n] != '\t')
		n++;
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

static void
do_line(struct cfg_parser *p, uint32_t lineno, const char *s, size_t len)
{
	size_t i = 0, pl;
	char word[64];
	bool cont;

	if (len > PH_CFG_MAX_LINE) {
		struct cfg_pos pos = { lineno, PH_CFG_MAX_LINE + 1 };

		run_pending(p);
		pos.col = 1;
		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "line too long (limit %u bytes)", PH_CFG_MAX_LINE);
		return;
	}
	pl = prompt_len(s, len);
	i = pl;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i >= len) /* blank, or a bare prompt */
		return;
	if (is_framing(s + i, len - i)) {
		run_pending(p);
		return;
	}
	first_word(s + i, len - i, word, sizeof(word));
	/* only a command that exists can be continued */
	cont = p->ntok > 0 && !cfg_is_command(word, p->mode) &&
	       cfg_is_command(p->tok[0].s, p->mode) &&
	       (strcasecmp(p->tok[0].s, "no") != 0 ||
		(p->ntok > 1 && cfg_is_command(p->tok[1].s, p->mode)));
	if (cont && p->n_cont >= PH_CFG_MAX_CONT) {
		struct cfg_pos pos = { lineno, (uint32_t)i + 1 };

		run_pending(p);
		cfg_diag(p, PH_DIAG_ERROR, pos,
			 "too many continuation lines (limit %u)",
			 PH_CFG_MAX_CONT);
		return;
	}
	if (cont) {
		p->cont[p->n_cont++] = p->ntok;
	} else {
		run_pending(p);
		p->line = lineno;
	}
	if (cfg_lex_line(p, s, len, lineno, i) < 0) {
		/* a bad line poisons the command it belongs to */
		p->ntok = 0;
		p->tb_len = 0;
		p->n_cont = 0;
	}
}

int
cfg_parse_text(struct cfg_parser *p)
{
	size_t off = 0;
	uint32_t n = 0;

	/* index the lines, so diagnostics can quote any of them */
	while (off < p->len || (off == 0 && p->len == 0)) {
		const char *nl;

		if (n >= PH_CFG_MAX_LINES) {
			struct cfg_pos pos = { n, 0 };

			cfg_diag(p, PH_DIAG_ERROR, pos,
				 "too many lines (limit %u)", PH_CFG_MAX_LINES);
			return -EINVAL;
		}
		if (n >= p->cap_off) {
			size_t cap = p->cap_off ? p->cap_off * 2 : 256;
			uint32_t *no = realloc(p->line_off, cap * sizeof(*no));

			if (no == NULL)
				return -ENOMEM;
			p->line_off = no;
			p->cap_off = cap;
		}
		p->line_off[n++] = (uint32_t)off;
		if (p->len == 0)
			break;
		nl = memchr(p->text + off, '\n', p->len - off);
		off = nl ? (size_t)(nl - p->text) + 1 : p->len;
	}
	p->n_lines = n;
	for (uint32_t l = 0; l < n && !p->oom; l++) {
		const char *s = p->text + p->line_off[l];
		const char *e = memchr(s, '\n', p->len - p->line_off[l]);
		size_t len = e ? (size_t)(e - s) : p->len - p->line_off[l];

		if (len > 0 && s[len - 1] == '\r')
			len--;
		do_line(p, l + 1, s, len);
	}
	run_pending(p);
	return p->oom ? -ENOMEM : 0;
}
