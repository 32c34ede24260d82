/*
 * log/format.c - event -> PIX syslog line, by interpreting the catalog
 * templates of pinhole/event.h.
 *
 * One interpreter for every message: a template is literal text with
 * `{name}` placeholders and `[ ... ]` optional sections.  The placeholder
 * table below says how each field is printed and when it is "present";
 * the words PIX prints (directions, xlate kinds, ACL verbs, flag names) are
 * small tables too.  Output goes through a bounded writer that keeps
 * counting past the end of the buffer, so the result follows snprintf's
 * convention and a short buffer is never overrun.
 *
 * PIX details reproduced (reference s3.1-3.2): "h:mm:ss" durations with
 * hours past 24, dotted quads, TCP flags as words in header bit order each
 * followed by a space (so 106001/106015 read "flags SYN  on interface",
 * as PIX/ASA print it), protocol names tcp/udp/icmp and "protocol N"
 * otherwise.  Known limits: no hash pairs (ASA), no `(user)`.
 */
#include "log/format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <pinhole/event.h>

/* Bounded writer: pos counts every byte, even those that did not fit. */
struct fmt_out {
	char *buf;
	size_t len;
	size_t pos;
};

static void
out_put(struct fmt_out *o, const char *s, size_t n)
{
	if (o->pos < o->len) {
		size_t room = o->len - o->pos;
		size_t k = n < room ? n : room;

		memcpy(o->buf + o->pos, s, k);
	}
	o->pos += n;
}

static void
out_str(struct fmt_out *o, const char *s)
{
	out_put(o, s, strlen(s));
}

static void
out_u64(struct fmt_out *o, uint64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);

	out_put(o, tmp, (size_t)n);
}

static void
out_ip(struct fmt_out *o, uint32_t a)
{
	char tmp[16];
	int n = snprintf(tmp, sizeof(tmp), "%u.%u.%u.%u", a >> 24,
			 (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);

	out_put(o, tmp, (size_t)n);
}

static void
out_duration(struct fmt_out *o, uint64_t sec)
{
	char tmp[40];
	int n = snprintf(tmp, sizeof(tmp), "%" PRIu64 ":%02u:%02u", sec / 3600,
			 (unsigned)(sec / 60 % 60), (unsigned)(sec % 60));

	out_put(o, tmp, (size_t)n);
}

/* ---- the words PIX prints ---- */

static const struct {
	uint8_t proto;
	const char *lower, *upper;
} proto_names[] = {
	{ 1, "icmp", "ICMP" },
	{ 6, "tcp", "TCP" },
	{ 17, "udp", "UDP" },
};

/* Header bit order: FIN SYN RST PSH ACK URG ECE CWR. */
static const char *const tcp_flag_names[8] = {
	"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR",
};

static const char *const acl_action_words[] = {
	[PH_EV_ACT_DENIED] = "denied",
	[PH_EV_ACT_PERMITTED] = "permitted",
	[PH_EV_ACT_EST_ALLOWED] = "est-allowed",
};

/* 305009-305012: what kind of translation was built or torn down. */
static const char *const xlate_words[] = {
	[PH_EV_XK_DYNAMIC] = "dynamic",
	[PH_EV_XK_STATIC] = "static",
	[PH_EV_XK_PORTMAP] = "dynamic",
	[PH_EV_XK_IDENTITY] = "static",
};

/* 305006: which kind of translation could not be made. */
static const char *const xlate_fail_words[] = {
	[PH_EV_XK_DYNAMIC] = "regular",
	[PH_EV_XK_STATIC] = "outbound static",
	[PH_EV_XK_PORTMAP] = "portmap",
	[PH_EV_XK_IDENTITY] = "identity",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *
word(const char *const *tab, size_t n, unsigned i)
{
	return i < n && tab[i] != NULL ? tab[i] : "?";
}

static void
out_proto(struct fmt_out *o, uint8_t proto, bool upper)
{
	for (size_t i = 0; i < NELEM(proto_names); i++) {
		if (proto_names[i].proto == proto) {
			out_str(o, upper ? proto_names[i].upper
					 : proto_names[i].lower);
			return;
		}
	}
	out_str(o, "protocol ");
	out_u64(o, proto);
}

static void
out_flags(struct fmt_out *o, uint8_t flags)
{
	for (unsigned b = 0; b < 8; b++) {
		if (flags & (1u << b)) {
			out_str(o, tcp_flag_names[b]);
			out_str(o, " ");
		}
	}
}

static void
out_hit_when(struct fmt_out *o, const struct ph_event *ev)
{
	if (ev->first_hit) {
		out_str(o, "first hit");
		return;
	}
	out_u64(o, ev->interval);
	out_str(o, "-second interval");
}

static bool
has_ports(const struct ph_event *ev)
{
	return ev->proto == 6 || ev->proto == 17;
}

static bool
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- placeholders ---- */

enum ph_kind {
	K_DIR,
	K_CID,
	K_IF,
	K_IP,
	K_MIP,
	K_PORT,
	K_MPORT,
	K_ACL_SPORT,
	K_ACL_DPORT,
	K_PROTO,
	K_PROTO_UP,
	K_ICMP_TYPE,
	K_ICMP_CODE,
	K_ICMP_SEQ,
	K_GRE_CID,
	K_GRE_MCID,
	K_BYTES,
	K_DURATION,
	K_REASON,
	K_ACL,
	K_ACL_ACTION,
	K_HITS,
	K_HIT_WHEN,
	K_FLAGS,
	K_XLATE,
	K_XLATE_FAIL,
	K_IN_USE,
	K_MOST_USED,
	K_LIMIT,
	K_SUPPRESSED,
	K_TEXT,
};

/* name, what to print, endpoint (for per-endpoint fields). */
static const struct placeholder {
	const char *name;
	uint8_t kind;
	uint8_t ep;
} placeholders[] = {
	{ "dir", K_DIR, 0 },
	{ "cid", K_CID, 0 },
	{ "if0", K_IF, 0 },
	{ "if1", K_IF, 1 },
	{ "ip0", K_IP, 0 },
	{ "ip1", K_IP, 1 },
	{ "mip0", K_MIP, 0 },
	{ "mip1", K_MIP, 1 },
	{ "port0", K_PORT, 0 },
	{ "port1", K_PORT, 1 },
	{ "mport0", K_MPORT, 0 },
	{ "mport1", K_MPORT, 1 },
	{ "acl_sport", K_ACL_SPORT, 0 },
	{ "acl_dport", K_ACL_DPORT, 1 },
	{ "proto", K_PROTO, 0 },
	{ "PROTO", K_PROTO_UP, 0 },
	{ "icmp_type", K_ICMP_TYPE, 0 },
	{ "icmp_code", K_ICMP_CODE, 0 },
	{ "icmp_seq", K_ICMP_SEQ, 0 },
	{ "gre_cid", K_GRE_CID, 0 },
	{ "gre_mcid", K_GRE_MCID, 0 },
	{ "bytes", K_BYTES, 0 },
	{ "duration", K_DURATION, 0 },
	{ "reason", K_REASON, 0 },
	{ "acl", K_ACL, 0 },
	{ "acl_action", K_ACL_ACTION, 0 },
	{ "hits", K_HITS, 0 },
	{ "hit_when", K_HIT_WHEN, 0 },
	{ "flags", K_FLAGS, 0 },
	{ "xlate", K_XLATE, 0 },
	{ "xlate_fail", K_XLATE_FAIL, 0 },
	{ "in_use", K_IN_USE, 0 },
	{ "most_used", K_MOST_USED, 0 },
	{ "limit", K_LIMIT, 0 },
	{ "suppressed", K_SUPPRESSED, 0 },
	{ "text", K_TEXT, 0 },
};

static const struct placeholder *
placeholder_find(const char *name, size_t n)
{
	for (size_t i = 0; i < NELEM(placeholders); i++) {
		if (strlen(placeholders[i].name) == n &&
		    memcmp(placeholders[i].name, name, n) == 0)
			return &placeholders[i];
	}
	return NULL;
}

/* Is the field there?  Only consulted inside [ ] sections. */
static bool
placeholder_present(const struct placeholder *ph, const struct ph_event *ev)
{
	switch (ph->kind) {
	case K_PORT:
	case K_MPORT:
		return has_ports(ev);
	case K_ICMP_TYPE:
	case K_ICMP_CODE:
		return ev->proto == 1;
	case K_REASON:
		return nonempty(ev->reason);
	case K_ACL:
		return nonempty(ev->acl_name);
	case K_TEXT:
		return nonempty(ev->text);
	case K_SUPPRESSED:
		return ev->suppressed != 0;
	default:
		return true;
	}
}

static void
placeholder_put_ep(struct fmt_out *o, const struct placeholder *ph,
		   const struct ph_event *ev)
{
	const struct ph_event_ep *e = &ev->ep[ph->ep];

	switch (ph->kind) {
	case K_IF:
		out_str(o, e->ifname != NULL ? e->ifname : "?");
		break;
	case K_IP:
		out_ip(o, e->ip);
		break;
	case K_MIP:
		out_ip(o, e->mip);
		break;
	case K_PORT:
		out_u64(o, e->port);
		break;
	case K_MPORT:
		out_u64(o, e->mport);
		break;
	}
}

/*
 * 106100's ports: tcp/udp ports; for ICMP the source reads 0 and the
 * destination the icmp type (PIX 6.3 message guide); 0 otherwise.
 */
static void
out_acl_port(struct fmt_out *o, const struct ph_event *ev, bool dst)
{
	if (has_ports(ev))
		out_u64(o, ev->ep[dst ? 1 : 0].port);
	else if (ev->proto == 1 && dst)
		out_u64(o, ev->icmp_type);
	else
		out_u64(o, 0);
}

/* Plain numeric fields: their value, and true; false for the others. */
static bool
placeholder_number(const struct placeholder *ph, const struct ph_event *ev,
		   uint64_t *v)
{
	switch (ph->kind) {
	case K_CID:
		*v = ev->conn_id;
		return true;
	case K_ICMP_TYPE:
		*v = ev->icmp_type;
		return true;
	case K_ICMP_CODE:
		*v = ev->icmp_code;
		return true;
	case K_ICMP_SEQ:
		*v = ev->icmp_seq;
		return true;
	case K_GRE_CID:
		*v = ev->gre_cid;
		return true;
	case K_GRE_MCID:
		*v = ev->gre_mcid;
		return true;
	case K_BYTES:
		*v = ev->bytes;
		return true;
	case K_HITS:
		*v = ev->hit_cnt;
		return true;
	case K_IN_USE:
		*v = ev->in_use;
		return true;
	case K_MOST_USED:
		*v = ev->most_used;
		return true;
	case K_LIMIT:
		*v = ev->limit;
		return true;
	case K_SUPPRESSED:
		*v = ev->suppressed;
		return true;
	default:
		return false;
	}
}

/* Words: direction, ACL verb, translation kinds. */
static void
placeholder_word(struct fmt_out *o, const struct placeholder *ph,
		 const struct ph_event *ev)
{
	switch (ph->kind) {
	case K_DIR:
		out_str(o, ev->inbound ? "inbound" : "outbound");
		break;
	case K_ACL_ACTION:
		out_str(o, word(acl_action_words, NELEM(acl_action_words),
				ev->acl_action));
		break;
	case K_XLATE:
		out_str(o,
			word(xlate_words, NELEM(xlate_words), ev->xlate_kind));
		break;
	case K_XLATE_FAIL:
		out_str(o, word(xlate_fail_words, NELEM(xlate_fail_words),
				ev->xlate_kind));
		break;
	}
}

static void
placeholder_put(struct fmt_out *o, const struct placeholder *ph,
		const struct ph_event *ev)
{
	uint64_t v;

	if (placeholder_number(ph, ev, &v)) {
		out_u64(o, v);
		return;
	}
	switch (ph->kind) {
	case K_IF:
	case K_IP:
	case K_MIP:
	case K_PORT:
	case K_MPORT:
		placeholder_put_ep(o, ph, ev);
		break;
	case K_PROTO:
	case K_PROTO_UP:
		out_proto(o, ev->proto, ph->kind == K_PROTO_UP);
		break;
	case K_ACL_SPORT:
	case K_ACL_DPORT:
		out_acl_port(o, ev, ph->kind == K_ACL_DPORT);
		break;
	case K_DURATION:
		out_duration(o, ev->duration_sec);
		break;
	case K_REASON:
		out_str(o, or_empty(ev->reason));
		break;
	case K_ACL:
		out_str(o, or_empty(ev->acl_name));
		break;
	case K_HIT_WHEN:
		out_hit_when(o, ev);
		break;
	case K_FLAGS:
		out_flags(o, ev->tcp_flags);
		break;
	case K_TEXT:
		out_str(o, or_empty(ev->text));
		break;
	default:
		placeholder_word(o, ph, ev);
		break;
	}
}

/* ---- the template interpreter ---- */

/*
 * Walk fmt[0..n).  With o == NULL only check: every placeholder known,
 * braces closed; *present is cleared if a placeholder is absent.  Returns
 * 0 or -EINVAL.  Sections are handled by the caller (template_run).
 */
static int
template_span(const char *fmt, size_t n, const struct ph_event *ev,
	      struct fmt_out *o, bool *present)
{
	size_t i = 0;

	while (i < n) {
		const char *close;
		const struct placeholder *ph;
		size_t lit = i;

		while (i < n && fmt[i] != '{' && fmt[i] != '}')
			i++;
		if (o != NULL && i > lit)
			out_put(o, fmt + lit, i - lit);
		if (i == n)
			break;
		if (fmt[i] == '}')
			return -EINVAL;
		close = memchr(fmt + i + 1, '}', n - i - 1);
		if (close == NULL)
			return -EINVAL;
		ph = placeholder_find(fmt + i + 1,
				      (size_t)(close - fmt) - i - 1);
		if (ph == NULL)
			return -EINVAL;
		if (present != NULL && !placeholder_present(ph, ev))
			*present = false;
		if (o != NULL)
			placeholder_put(o, ph, ev);
		i = (size_t)(close - fmt) + 1;
	}
	return 0;
}

/* Interpret a whole template: literal spans and [ ] sections. */
static int
template_run(const char *fmt, const struct ph_event *ev, struct fmt_out *o)
{
	const char *p = fmt;

	while (*p != '\0') {
		const char *open = strpbrk(p, "[]");
		const char *close;
		size_t lit = open != NULL ? (size_t)(open - p) : strlen(p);
		bool present = true;

		if (template_span(p, lit, ev, o, NULL) < 0)
			return -EINVAL;
		if (open == NULL)
			break;
		if (*open == ']')
			return -EINVAL;
		close = strpbrk(open + 1, "[]");
		if (close == NULL || *close != ']')
			return -EINVAL;
		lit = (size_t)(close - open) - 1;
		if (template_span(open + 1, lit, ev, NULL, &present) < 0)
			return -EINVAL;
		if (present)
			template_span(open + 1, lit, ev, o, NULL);
		p = close + 1;
	}
	return 0;
}

static int
out_finish(struct fmt_out *o)
{
	if (o->len > 0)
		o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
	return o->pos > (size_t)INT32_MAX ? -EOVERFLOW : (int)o->pos;
}

int
ph_event_format_text(const struct ph_event *ev, char *buf, size_t len)
{
	const struct ph_event_def *d = ph_event_def(ev->id);
	struct fmt_out o = { buf, len, 0 };

	if (d == NULL || template_run(d->fmt, ev, &o) < 0) {
		if (len > 0)
			buf[0] = '\0';
		return -EINVAL;
	}
	return out_finish(&o);
}

static const char *const month_abbr[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* "Apr 15 2007 21:28:13" (no separator). */
static void
out_timestamp(struct fmt_out *o, const struct tm *tm)
{
	char tmp[64];
	int n = snprintf(tmp, sizeof(tmp), "%s %02d %04d %02d:%02d:%02d",
			 tm->tm_mon >= 0 && tm->tm_mon < 12
				 ? month_abbr[tm->tm_mon]
				 : "???",
			 tm->tm_mday, tm->tm_year + 1900, tm->tm_hour,
			 tm->tm_min, tm->tm_sec);

	out_put(o, tmp, n > 0 ? (size_t)n : 0);
}

static void
out_header(struct fmt_out *o, const struct ph_event *ev,
	   const struct ph_log_fmt *opts)
{
	bool devid = opts != NULL && nonempty(opts->device_id);
	char tag[40];
	int n;

	if (opts != NULL && opts->timestamp) {
		out_timestamp(o, &opts->wall);
		out_str(o, devid ? " " : ": ");
	}
	if (devid) {
		out_str(o, opts->device_id);
		out_str(o, " : ");
	}
	n = snprintf(tag, sizeof(tag), "%%%s-%u-%06" PRIu32 ": ",
		     opts != NULL && opts->asa_prefix ? "ASA" : "PIX",
		     ev->severity > 7 ? 7u : ev->severity, ev->id);
	out_put(o, tag, (size_t)n);
}

int
ph_event_format(const struct ph_event *ev, const struct ph_log_fmt *opts,
		char *buf, size_t len)
{
	const struct ph_event_def *d = ph_event_def(ev->id);
	struct fmt_out o = { buf, len, 0 };

	if (d == NULL)
		goto out_inval;
	out_header(&o, ev, opts);
	if (template_run(d->fmt, ev, &o) < 0)
		goto out_inval;
	return out_finish(&o);

out_inval:
	if (len > 0)
		buf[0] = '\0';
	return -EINVAL;
}

bool
ph_event_level_filter(const struct ph_event *ev, int level)
{
	return level >= 0 && (int)ev->severity <= level;
}

unsigned
ph_log_pri(unsigned facility, unsigned severity)
{
	if (facility > 23)
		facility = 23;
	if (severity > 7)
		severity = 7;
	return facility * 8 + severity;
}
