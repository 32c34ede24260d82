/*
 * core/show.c - what `show conn`, `show xlate` and `show access-list` read:
 * cursors over the tables, and the PIX 6.3 text layouts (reference s3.3).
 *
 *   show conn:   "2 in use, 2 most used"
 *                "TCP out 192.168.10.11:80 in 10.0.0.11:2824 idle 0:00:03
 *                 Bytes 2664 flags UIO"
 *   show xlate:  "Global 200.200.200.10 Local 172.16.7.80"
 *                "PAT Global 192.168.0.2(1024) Local 10.0.0.12(1297)"
 * The PIX 6 `show conn` prints the real local address; the `detail` forms
 * add interfaces, the mapped address, uptime and timeout (ASA-like).
 * `clear access-list [NAME] counters` zeroes the hit counts read here.
 *
 * Known limits: the PIX 6 layouts are from the reference's memory of them
 * ([P]/[U] there); protocols other than TCP/UDP/ICMP/GRE print as numbers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "core/conn_tcp.h"
#include "core/engine_int.h"

static void
ip_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
}

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case PH_IPPROTO_TCP:
		return "TCP";
	case PH_IPPROTO_UDP:
		return "UDP";
	case PH_IPPROTO_ICMP:
		return "ICMP";
	case PH_IPPROTO_GRE:
		return "GRE";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void
hms(uint64_t s, char *buf, size_t len)
{
	snprintf(buf, len, "%llu:%02llu:%02llu", (unsigned long long)(s / 3600),
		 (unsigned long long)(s / 60 % 60),
		 (unsigned long long)(s % 60));
}

static void
conn_info(const struct ph_engine *eng, const struct ph_conn *c, ph_time_t now,
	  struct ph_conn_info *ci)
{
	int so = (c->flags & PH_CF_INBOUND) ? PH_DIR_ORIG : PH_DIR_REPLY;
	int si = !so;

	memset(ci, 0, sizeof(*ci));
	ci->id = c->id;
	ci->proto = c->k[0].proto;
	ci->inbound = (c->flags & PH_CF_INBOUND) != 0;
	ci->out_if = eng_ifname(eng, c->k[so].ifidx);
	ci->in_if = eng_ifname(eng, c->k[si].ifidx);
	ci->faddr = c->k[so].src;
	ci->fport = c->k[so].sport;
	ci->laddr = c->k[si].src;
	ci->lport = c->k[si].sport;
	ci->gaddr = c->k[so].dst;
	ci->gport = c->k[so].dport;
	ci->idle_sec = ph_time_sec_between(c->last, now);
	ci->uptime_sec = ph_time_sec_between(c->start, now);
	ci->timeout_sec = eng_class_timeout(eng, c->tclass);
	ci->tclass = ph_tclass_name(c->tclass);
	ci->bytes = c->bytes[0] + c->bytes[1];
	ci->bytes_out = c->bytes[si];
	ci->bytes_in = c->bytes[so];
	ci->pkts_out = c->pkts[si];
	ci->pkts_in = c->pkts[so];
	if (ci->proto == PH_IPPROTO_TCP)
		ph_tcp_flags_str(c, ci->flags, sizeof(ci->flags));
	else
		strlcpy(ci->flags, "-", sizeof(ci->flags));
}

bool
ph_engine_conn_next(const struct ph_engine *eng, uint64_t *cursor,
		    ph_time_t now, struct ph_conn_info *ci)
{
	while (*cursor < eng->conns->fresh) {
		uint32_t i = (uint32_t)(*cursor)++;

		if (!ph_conn_live(eng->conns, i))
			continue;
		conn_info(eng, ph_conn_at(eng->conns, i), now, ci);
		return true;
	}
	return false;
}

static void
static_info(const struct ph_engine *eng, const struct ph_static *s,
	    struct ph_xlate_info *xi)
{
	xi->kind = s->proto ? PH_XI_STATIC_PAT : PH_XI_STATIC;
	xi->proto = s->proto;
	xi->local_if = eng_ifname(eng, s->real_if);
	xi->global_if = eng_ifname(eng, s->mapped_if);
	xi->laddr = s->real_addr;
	xi->gaddr = s->mapped_addr;
	xi->mask = s->mask;
	xi->lport = s->real_port;
	xi->gport = s->mapped_port;
}

bool
ph_engine_xlate_next(const struct ph_engine *eng, uint64_t *cursor,
		     ph_time_t now, struct ph_xlate_info *xi)
{
	size_t ns = eng->pol != NULL ? eng->pol->n_statics : 0;

	memset(xi, 0, sizeof(*xi));
	if (*cursor < ns) {
		static_info(eng, &eng->pol->statics[(*cursor)++], xi);
		return true;
	}
	while (*cursor - ns < eng->xlates->fresh) {
		const struct ph_xlate *x =
			ph_xlate_at(eng->xlates, (uint32_t)(*cursor - ns));

		(*cursor)++;
		if (!x->live)
			continue;
		xi->kind = x->kind == PH_XK_PAT ? PH_XI_PAT : PH_XI_DYNAMIC;
		xi->proto = x->proto;
		xi->local_if = eng_ifname(eng, x->lif);
		xi->global_if = eng_ifname(eng, x->gif);
		xi->laddr = x->laddr;
		xi->gaddr = x->gaddr;
		xi->mask = 0xffffffffu;
		xi->lport = x->lport;
		xi->gport = x->gport;
		xi->nconns = x->refs;
		xi->idle_sec =
			x->refs ? 0 : ph_time_sec_between(x->idle_since, now);
		xi->uptime_sec = ph_time_sec_between(x->start, now);
		return true;
	}
	return false;
}

uint64_t
ph_engine_acl_hits(const struct ph_engine *eng, uint32_t slot)
{
	if (eng->pol == NULL || slot >= eng->pol->n_hit_slots)
		return 0;
	return eng->acl_hits[slot];
}

uint64_t
ph_engine_conduit_hits(const struct ph_engine *eng, uint32_t idx)
{
	if (eng->pol == NULL || idx >= eng->pol->n_conduits)
		return 0;
	return eng->conduit_hits[idx];
}

int
ph_engine_acl_hits_clear(struct ph_engine *eng, int acl)
{
	const struct ph_policy *pol = eng->pol;
	uint32_t from, n;

	if (pol == NULL)
		return acl < 0 ? 0 : -ENOENT;
	if (acl >= 0 && (size_t)acl >= pol->n_acls)
		return -ENOENT;
	if (acl < 0) {
		if (pol->n_conduits > 0)
			memset(eng->conduit_hits, 0,
			       pol->n_conduits * sizeof(*eng->conduit_hits));
		from = 0;
		n = (uint32_t)pol->n_hit_slots;
	} else {
		from = pol->acls[acl].hit_base;
		n = pol->acls[acl].n_shown;
		if (from > pol->n_hit_slots || n > pol->n_hit_slots - from)
			return -ENOENT; /* never: the compiler made them */
	}
	if (n > 0)
		memset(eng->acl_hits + from, 0, n * sizeof(*eng->acl_hits));
	return 0;
}

int
ph_show_count_line(uint32_t in_use, uint32_t most_used, char *buf, size_t len)
{
	return snprintf(buf, len, "%u in use, %u most used", in_use, most_used);
}

/* "a.b.c.d:port", or the address alone for protocols without ports. */
static void
endpoint(uint8_t proto, uint32_t a, uint16_t port, char *buf, size_t len)
{
	char ip[16];

	ip_str(a, ip, sizeof(ip));
	if (proto == PH_IPPROTO_TCP || proto == PH_IPPROTO_UDP)
		snprintf(buf, len, "%s:%u", ip, port);
	else
		snprintf(buf, len, "%s", ip);
}

int
ph_show_conn_line(const struct ph_conn_info *ci, bool detail, char *buf,
		  size_t len)
{
	char pb[8], f[24], l[24], g[24], idle[24], up[24], to[24];
	const char *pn = proto_name(ci->proto, pb, sizeof(pb));

	endpoint(ci->proto, ci->faddr, ci->fport, f, sizeof(f));
	endpoint(ci->proto, ci->laddr, ci->lport, l, sizeof(l));
	endpoint(ci->proto, ci->gaddr, ci->gport, g, sizeof(g));
	hms(ci->idle_sec, idle, sizeof(idle));
	if (!detail)
		return snprintf(buf, len,
				"%s out %s in %s idle %s Bytes %llu flags %s",
				pn, f, l, idle, (unsigned long long)ci->bytes,
				ci->flags);
	hms(ci->uptime_sec, up, sizeof(up));
	hms(ci->timeout_sec, to, sizeof(to));
	return snprintf(buf, len,
			"%s %s:%s %s:%s (%s) flags %s, idle %s, uptime %s, "
			"timeout %s, bytes %llu, conn %u",
			pn, ci->out_if, f, ci->in_if, l, g, ci->flags, idle, up,
			to, (unsigned long long)ci->bytes, ci->id);
}

int
ph_show_xlate_line(const struct ph_xlate_info *xi, bool detail, char *buf,
		   size_t len)
{
	char pb[8], g[16], l[16];
	bool pat = xi->kind == PH_XI_PAT || xi->kind == PH_XI_STATIC_PAT;
	bool stat = xi->kind == PH_XI_STATIC || xi->kind == PH_XI_STATIC_PAT;

	ip_str(xi->gaddr, g, sizeof(g));
	ip_str(xi->laddr, l, sizeof(l));
	if (detail && pat)
		return snprintf(buf, len,
				"%s PAT from %s:%s/%u to %s:%s/%u "
				"flags %s",
				proto_name(xi->proto, pb, sizeof(pb)),
				xi->local_if, l, xi->lport, xi->global_if, g,
				xi->gport, stat ? "sr" : "ri");
	if (detail)
		return snprintf(buf, len, "NAT from %s:%s to %s:%s flags %s",
				xi->local_if, l, xi->global_if, g,
				stat ? "s" : "i");
	if (pat)
		return snprintf(buf, len, "PAT Global %s(%u) Local %s(%u)", g,
				xi->gport, l, xi->lport);
	return snprintf(buf, len, "Global %s Local %s", g, l);
}
