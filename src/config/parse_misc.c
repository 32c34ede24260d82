/*
 * config/parse_misc.c - `timeout`, `fixup`, `sysopt`, `vpdn`, `hostname`,
 * `PIX Version` / `ASA Version`, and the table of commands that are
 * accepted but have no effect on this platform.
 *
 * Timeouts: the keywords and defaults are PH_TIMEOUTS (config/model.h);
 * the PIX minimums are here (PIX 6.x command reference, see
 * reference §3.4).  `embryonic`, `gre` and `pat-xlate` are pinhole
 * extensions for state PIX 6 does not let you tune.
 *
 * The no-effect table is one sorted list: keyword, canonical section and
 * a loose argument check (minimum word count, allowed first words).  Each
 * such line is kept for the printer and reported as a note, so nothing is
 * ignored silently.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

#define TIMEOUT_MAX (1193u * 3600) /* PIX: 1193:00:00 */

/* Per timeout: PIX minimum in seconds, and whether 0 (never) is valid. */
static const struct {
	uint32_t min;
	bool zero_ok;
} timeout_rules[PH_TO_MAX] = {
	[PH_TO_XLATE] = { 60, false },
	[PH_TO_CONN] = { 300, true },
	[PH_TO_HALF_CLOSED] = { 300, true },
	[PH_TO_UDP] = { 60, false },
	[PH_TO_ICMP] = { 2, false },
	[PH_TO_RPC] = { 60, false },
	[PH_TO_H323] = { 300, false },
	[PH_TO_H225] = { 1, true },
	[PH_TO_MGCP] = { 60, false },
	[PH_TO_MGCP_PAT] = { 60, false },
	[PH_TO_SIP] = { 300, true },
	[PH_TO_SIP_MEDIA] = { 60, false },
	[PH_TO_SIP_INVITE] = { 60, false },
	[PH_TO_SIP_DISCONNECT] = { 60, false },
	[PH_TO_SUNRPC] = { 60, false },
	[PH_TO_UAUTH] = { 0, true },
	[PH_TO_PAT_XLATE] = { 30, false },
	[PH_TO_EMBRYONIC] = { 1, false },
	[PH_TO_GRE] = { 60, false },
};

static const char *const timeout_kw[PH_TO_MAX] = {
#define PH_TIMEOUT_KW(id, kw, def) [PH_TO_##id] = kw,
	PH_TIMEOUTS(PH_TIMEOUT_KW)
#undef PH_TIMEOUT_KW
};

const char *
cfg_timeout_kw(int i)
{
	return i >= 0 && i < PH_TO_MAX ? timeout_kw[i] : "?";
}

/* "H:MM:SS" (also H:M:S); -1 if malformed. */
static long
parse_hms(const char *s)
{
	uint32_t f[3] = { 0 };
	int n = 0;

	for (;;) {
		int digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 5) {
			f[n] = f[n] * 10 + (uint32_t)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || (n > 0 && digits > 2) || digits > 4)
			return -1;
		if (++n == 3 || *s != ':')
			break;
		s++;
	}
	if (n != 3 || *s != '\0' || f[1] > 59 || f[2] > 59)
		return -1;
	return (long)f[0] * 3600 + f[1] * 60 + f[2];
}

/* `timeout KW H:MM:SS [absolute|inactivity] [KW H:MM:SS ...]` */
void
parse_timeout(struct cfg_parser *p)
{
	uint32_t to[PH_TO_MAX];
	uint32_t inact = p->src->uauth_inact;
	bool inact_set = p->src->uauth_inactivity;
	bool seen_any = false;

	memcpy(to, p->src->timeouts, sizeof(to));
	while (!cfg_at_end(p)) {
		const char *kw, *val;
		size_t kw_at = p->pos, val_at;
		int k = -1;
		long v;

		if (cfg_word(p, "timeout keyword", &kw) < 0)
			return;
		for (int i = 0; i < PH_TO_MAX; i++)
			if (strcasecmp(kw, timeout_kw[i]) == 0)
				k = i;
		if (k < 0) {
			cfg_err(p, kw_at, "unknown timeout '%s'", kw);
			return;
		}
		val_at = p->pos;
		if (cfg_word(p, "timeout value", &val) < 0)
			return;
		v = parse_hms(val);
		if (v < 0) {
			cfg_err(p, val_at,
				"bad timeout value '%s': expected "
				"H:MM:SS",
				val);
			return;
		}
		if ((uint32_t)v > TIMEOUT_MAX) {
			cfg_err(p, val_at,
				"timeout %s %s is above the maximum "
				"1193:00:00",
				timeout_kw[k], val);
			return;
		}
		if ((v == 0 && !timeout_rules[k].zero_ok) ||
		    (v != 0 && (uint32_t)v < timeout_rules[k].min)) {
			struct strbuf sb;

			sb_init(&sb);
			fmt_time(&sb, timeout_rules[k].min);
			cfg_err(p, val_at,
				"timeout %s %s is below the minimum "
				"%s",
				timeout_kw[k], val, sb.buf ? sb.buf : "?");
			sb_free(&sb);
			return;
		}
		if (k == PH_TO_UAUTH && cfg_accept(p, "inactivity")) {
			inact = (uint32_t)v;
			inact_set = true;
		} else {
			if (k == PH_TO_UAUTH)
				(void)cfg_accept(p, "absolute");
			to[k] = (uint32_t)v;
		}
		seen_any = true;
	}
	if (!seen_any) {
		cfg_err(p, p->pos, "missing timeout keyword");
		return;
	}
	memcpy(p->src->timeouts, to, sizeof(to));
	p->src->uauth_inact = inact;
	p->src->uauth_inactivity = inact_set;
}

static const char *const fixup_protos[] = {
	"ctiqbe", "dns",    "esmtp", "ftp",  "h323",   "http",
	"icmp",	  "ils",    "mgcp",  "pptp", "rsh",    "rtsp",
	"sip",	  "skinny", "smtp",  "snmp", "sqlnet", "tftp",
};

static const char *const fixup_words[] = {
	"error", "h225", "maximum-length", "ras", "strict", "udp",
};

/* A port or LO-HI range. */
static int
fixup_port(struct cfg_parser *p, struct cfg_fixup *f, const char *t, size_t at)
{
	const char *dash = strchr(t, '-');
	uint32_t lo, hi;
	char buf[8];

	if (dash) {
		if ((size_t)(dash - t) >= sizeof(buf))
			goto bad;
		memcpy(buf, t, (size_t)(dash - t));
		buf[dash - t] = '\0';
		if (cfg_parse_u32(buf, 1, 65535, &lo) < 0 ||
		    cfg_parse_u32(dash + 1, 1, 65535, &hi) < 0)
			goto bad;
	} else {
		if (cfg_parse_u32(t, 1, 65535, &lo) < 0)
			goto bad;
		hi = lo;
	}
	if (hi < lo) {
		cfg_err(p, at, "empty port range '%s'", t);
		return -1;
	}
	if (f->n_ports >= PH_INSPECT_PORTS_MAX) {
		cfg_err(p, at, "too many ports (limit %d)",
			PH_INSPECT_PORTS_MAX);
		return -1;
	}
	f->lo[f->n_ports] = (uint16_t)lo;
	f->hi[f->n_ports] = (uint16_t)hi;
	f->n_ports++;
	return 0;
bad:
	cfg_err(p, at, "bad port '%s' (1-65535 or LO-HI)", t);
	return -1;
}

/* `[no] fixup protocol PROTO [options] [PORT[-PORT]]...` */
void
parse_fixup(struct cfg_parser *p)
{
	struct ph_policy_src *src = p->src;
	struct cfg_fixup f = { 0 }, *nf;
	const char *proto = NULL, *t;
	size_t at;

	if (cfg_expect(p, "protocol") < 0)
		return;
	at = p->pos;
	if (cfg_word(p, "fixup protocol", &t) < 0)
		return;
	for (size_t i = 0; i < sizeof(fixup_protos) / sizeof(*fixup_protos);
	     i++)
		if (strcasecmp(t, fixup_protos[i]) == 0)
			proto = fixup_protos[i];
	if (proto == NULL) {
		cfg_err(p, at, "unknown fixup protocol '%s'", t);
		return;
	}
	while (!cfg_at_end(p)) {
		bool word = false;

		at = p->pos;
		t = p->tok[p->pos++].s;
		for (size_t i = 0;
		     i < sizeof(fixup_words) / sizeof(*fixup_words); i++)
			word |= strcasecmp(t, fixup_words[i]) == 0;
		if (word)
			continue;
		if (fixup_port(p, &f, t, at) < 0)
			return;
	}
	if (strcmp(proto, "pptp") == 0 && !p->negated && f.n_ports == 0) {
		f.lo[0] = f.hi[0] = 1723; /* the default port */
		f.n_ports = 1;
	}
	if (src->n_fixups >= PH_CFG_MAX_ITEMS) {
		cfg_err(p, 0, "too many fixup lines");
		return;
	}
	nf = vec_grow(src->fixups, &src->cap_fixups, src->n_fixups,
		      sizeof(*nf));
	if (nf == NULL) {
		p->oom = true;
		return;
	}
	src->fixups = nf;
	f.no = p->negated;
	f.proto = cfg_strdup(p, proto);
	f.text = cfg_join(p, 0);
	f.line = p->line;
	if (f.proto == NULL || f.text == NULL) {
		free(f.proto);
		free(f.text);
		p->oom = true;
		return;
	}
	/* normalise the keywords' case: "fixup protocol ftp 21" */
	for (char *c = f.text; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	src->fixups[src->n_fixups++] = f;
	if (strcmp(proto, "pptp") != 0)
		cfg_note(p, 0,
			 "'fixup protocol %s': no effect on this "
			 "platform",
			 proto);
}

/* `[no] sysopt connection permit-pptp` and the other sysopts. */
void
parse_sysopt(struct cfg_parser *p)
{
	if (p->pos + 1 < p->ntok && p->pos + 2 == p->ntok &&
	    strcasecmp(p->tok[p->pos].s, "connection") == 0 &&
	    strcasecmp(p->tok[p->pos + 1].s, "permit-pptp") == 0) {
		p->src->permit_pptp = !p->negated;
		cfg_keep(p, SEC_SYSOPT, cfg_join(p, 0));
		return;
	}
	if (cfg_at_end(p)) {
		cfg_err(p, p->pos, "missing sysopt option");
		return;
	}
	cfg_keep(p, SEC_SYSOPT, cfg_join(p, 0));
	cfg_note(p, 0, "'sysopt %s': no effect on this platform",
		 p->tok[p->pos].s);
}

/* vpdn group options: word, then how many more words at least. */
static const struct {
	const char *kw;
	int min_more;
} vpdn_group_opts[] = {
	{ "accept", 2 }, { "client", 2 }, { "l2tp", 2 },
	{ "ppp", 2 },	 { "pptp", 2 },
};

/* `vpdn group N ...`, `vpdn username U password P`, `vpdn enable IF` */
void
parse_vpdn(struct cfg_parser *p)
{
	const char *t;
	size_t at = p->pos;
	uint32_t n;

	if (cfg_word(p, "vpdn option", &t) < 0)
		return;
	if (strcasecmp(t, "group") == 0) {
		bool ok = false;

		if (cfg_u32(p, "vpdn group", 1, 65535, &n) < 0)
			return;
		at = p->pos;
		if (cfg_word(p, "vpdn group option", &t) < 0)
			return;
		for (size_t i = 0;
		     i < sizeof(vpdn_group_opts) / sizeof(*vpdn_group_opts);
		     i++)
			if (strcasecmp(t, vpdn_group_opts[i].kw) == 0 &&
			    p->ntok - p->pos >=
				    (size_t)vpdn_group_opts[i].min_more - 1)
				ok = true;
		if (!ok) {
			cfg_err(p, at, "bad vpdn group option '%s'", t);
			return;
		}
	} else if (strcasecmp(t, "username") == 0) {
		if (cfg_word(p, "vpdn username", &t) < 0 ||
		    cfg_expect(p, "password") < 0 ||
		    cfg_word(p, "password", &t) < 0)
			return;
		(void)cfg_accept(p, "store-local");
		if (cfg_end(p) < 0)
			return;
	} else if (strcasecmp(t, "enable") == 0) {
		if (cfg_word(p, "interface name", &t) < 0 || cfg_end(p) < 0)
			return;
	} else {
		cfg_err(p, at, "unknown vpdn option '%s'", t);
		return;
	}
	cfg_keep(p, SEC_VPDN, cfg_join(p, 0));
	cfg_note(p, 0,
		 "'vpdn': kept, no effect on this platform (PPTP "
		 "termination is not implemented yet)");
}

/* `hostname NAME` */
void
parse_hostname(struct cfg_parser *p)
{
	char *name;
	size_t at = p->pos;

	if (cfg_name(p, "hostname", &name) < 0)
		return;
	for (const char *c = name; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')) {
			cfg_err(p, at, "bad character '%c' in hostname", *c);
			free(name);
			return;
		}
	}
	if (cfg_end(p) < 0) {
		free(name);
		return;
	}
	free(p->src->hostname);
	p->src->hostname = name;
}

/* `PIX Version 6.2(1)` / `ASA Version 7.2(4)` */
void
parse_version(struct cfg_parser *p)
{
	const char *v;
	size_t at;

	if (cfg_expect(p, "Version") < 0)
		return;
	at = p->pos;
	if (cfg_word(p, "version", &v) < 0 || cfg_end(p) < 0)
		return;
	if (strlen(v) >= PH_CFG_MAX_VERSION) {
		cfg_err(p, at, "version string too long");
		return;
	}
	strlcpy(p->src->version, v, sizeof(p->src->version));
	p->src->asa = strcasecmp(p->tok[0].s, "asa") == 0;
}

/* ---- lines with no effect ---------------------------------------------- */

struct noeffect {
	const char *kw;
	uint8_t sec;
	uint8_t min_args;     /* words after the keyword (not for `no`) */
	const char *first[6]; /* allowed first words; empty = any */
};

/* Sorted by keyword (bsearch). */
static const struct noeffect noeffect[] = {
	{ "aaa",
	  SEC_AAA,
	  2,
	  { "accounting", "authentication", "authorization", "mac-exempt",
	    "proxy-limit" } },
	{ "aaa-server", SEC_AAA, 2, { 0 } },
	{ "arp", SEC_ARP, 2, { 0 } },
	{ "asdm", SEC_PDM, 1, { 0 } },
	{ "auth-prompt", SEC_AAA, 1, { 0 } },
	{ "banner", SEC_OTHER, 1, { "exec", "login", "motd" } },
	{ "ca", SEC_CRYPTO, 1, { 0 } },
	{ "clock", SEC_OTHER, 1, { 0 } },
	{ "console", SEC_OTHER, 2, { "timeout" } },
	{ "crypto", SEC_CRYPTO, 2, { 0 } },
	{ "dhcpd", SEC_DHCPD, 1, { 0 } },
	{ "domain-name", SEC_DOMAIN, 1, { 0 } },
	{ "enable", SEC_ENABLE, 2, { "password" } },
	{ "established", SEC_OTHER, 1, { 0 } },
	{ "failover", SEC_FAILOVER, 0, { 0 } },
	{ "filter", SEC_OTHER, 2, { 0 } },
	{ "floodguard", SEC_FLOODGUARD, 1, { "enable", "disable" } },
	{ "ftp", SEC_OTHER, 2, { "mode" } },
	{ "http", SEC_HTTP, 1, { 0 } },
	{ "icmp", SEC_OTHER, 2, { "permit", "deny" } },
	{ "isakmp", SEC_CRYPTO, 1, { 0 } },
	{ "nat-control", SEC_OTHER, 0, { 0 } },
	{ "ntp", SEC_OTHER, 1, { 0 } },
	{ "pager", SEC_PAGER, 0, { "lines" } },
	{ "passwd", SEC_ENABLE, 1, { 0 } },
	{ "pdm", SEC_PDM, 1, { 0 } },
	{ "prompt", SEC_OTHER, 1, { 0 } },
	{ "rip", SEC_OTHER, 2, { 0 } },
	{ "same-security-traffic", SEC_OTHER, 2, { "permit" } },
	{ "snmp-server", SEC_SNMP, 1, { 0 } },
	{ "ssh", SEC_SSH, 1, { 0 } },
	{ "telnet", SEC_TELNET, 1, { 0 } },
	{ "terminal", SEC_TERMINAL, 1, { "width", "pager" } },
	{ "tftp-server", SEC_OTHER, 2, { 0 } },
	{ "url-cache", SEC_OTHER, 1, { 0 } },
	{ "url-server", SEC_OTHER, 1, { 0 } },
	{ "username", SEC_USERNAME, 1, { 0 } },
	{ "virtual", SEC_OTHER, 2, { "http", "telnet" } },
};

static int
noeffect_cmp(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct noeffect *)elem)->kw);
}

static const struct noeffect *
find_noeffect(const char *kw)
{
	return bsearch(kw, noeffect, sizeof(noeffect) / sizeof(noeffect[0]),
		       sizeof(noeffect[0]), noeffect_cmp);
}

bool
cfg_is_noeffect(const char *kw)
{
	return find_noeffect(kw) != NULL;
}

bool
parse_noeffect(struct cfg_parser *p, const char *kw)
{
	const struct noeffect *ne = find_noeffect(kw);
	size_t args, at = p->pos + 1;
	char *text;

	if (ne == NULL)
		return false;
	args = p->ntok - at;
	if (!p->negated && args < ne->min_args) {
		cfg_err(p, p->ntok, "'%s' needs at least %u argument%s", ne->kw,
			ne->min_args, ne->min_args == 1 ? "" : "s");
		return true;
	}
	if (ne->first[0] && args > 0) {
		bool ok = false;

		for (size_t i = 0; i < 6 && ne->first[i]; i++)
			ok |= strcasecmp(p->tok[at].s, ne->first[i]) == 0;
		if (!ok) {
			cfg_err(p, at, "unexpected '%s' after '%s'",
				p->tok[at].s, ne->kw);
			return true;
		}
	}
	text = cfg_join(p, 0);
	if (text) {
		/* the keyword in its canonical spelling */
		size_t off = p->negated ? 3 : 0;

		if (p->negated)
			memcpy(text, "no", 2);
		memcpy(text + off, ne->kw, strlen(ne->kw));
	}
	cfg_keep(p, ne->sec, text);
	cfg_note(p, 0, "'%s': no effect on this platform", ne->kw);
	return true;
}
