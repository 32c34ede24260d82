/*
 * core/pptp_show.c - `show service-policy inspect pptp` as text
 * (engine.h; docs/pptp.md "Visibility").
 *
 * The ASA 7.x block (reference s3.3; the layout is confirmed for `inspect
 * ftp` and assumed identical for pptp), once per applied service-policy
 * and class that inspects pptp, global ones first:
 *
 *	Global policy:
 *	  Service-policy: global_policy
 *	    Class-map: inspection_default
 *	      Inspect: pptp, packet 1234, drop 0, reset-drop 0
 *
 * A PIX 6 `fixup protocol pptp` has no policy-map or class; it is shown in
 * the same layout with synthetic names, "Service-policy: (fixup)" and
 * "Class-map: fixup protocol pptp 1723".  Then pinhole's own lines, every
 * counter of struct ph_pptp_counters, as "name value" pairs.
 *
 * Known limits: the counters are engine-wide; with several classes
 * inspecting pptp each block shows the same numbers (the engine does not
 * record which class matched a connection).
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pinhole/engine.h>

#include "config/pptp_where.h"

#define WHERE_MAX 32 /* places printed; more are counted, not shown */

/* A bounded appender: writes what fits, counts what was asked for. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* "1723 5000-5002": ports as fixup lines write them. */
static void
out_ports(struct out *o, const uint16_t *ports, unsigned n)
{
	uint16_t p[PH_INSPECT_PORTS_MAX];
	unsigned i, j, k;

	n = n < PH_INSPECT_PORTS_MAX ? n : PH_INSPECT_PORTS_MAX;
	memcpy(p, ports, n * sizeof(p[0]));
	for (i = 1; i < n; i++) /* sort: at most 16 */
		for (j = i; j > 0 && p[j - 1] > p[j]; j--) {
			uint16_t t = p[j];

			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	for (i = 0; i < n; i = k + 1) {
		for (k = i; k + 1 < n && p[k + 1] == p[k] + 1;)
			k++;
		if (k == i)
			out_printf(o, " %u", p[i]);
		else
			out_printf(o, " %u-%u", p[i], p[k]);
	}
}

static void
out_block(struct out *o, const struct ph_pptp_where *w,
	  const struct ph_pptp_counters *c)
{
	if (w->ifname != NULL)
		out_printf(o, "Interface %s:\n", w->ifname);
	else
		out_printf(o, "Global policy:\n");
	if (w->policy_map != NULL) {
		out_printf(o, "  Service-policy: %s\n", w->policy_map);
		out_printf(o, "    Class-map: %s\n", w->class_map);
	} else {
		out_printf(o, "  Service-policy: (fixup)\n");
		out_printf(o, "    Class-map: fixup protocol pptp");
		out_ports(o, w->ports, w->n_ports);
		out_printf(o, "\n");
	}
	out_printf(o,
		   "      Inspect: pptp, packet %llu, drop %llu, "
		   "reset-drop %llu\n",
		   (unsigned long long)c->packets, (unsigned long long)c->drops,
		   (unsigned long long)c->reset_drops);
}

/* The ASA blocks; a policy compiled without its source form shows its
 * ports as the fixup form. */
static void
out_blocks(struct out *o, const struct ph_policy *pol,
	   const struct ph_pptp_counters *c)
{
	struct ph_pptp_where w[WHERE_MAX];
	size_t n = ph_policy_pptp_where(pol, w, WHERE_MAX);

	if (n == 0 && pol != NULL && pol->inspect.pptp) {
		memset(&w[0], 0, sizeof(w[0]));
		w[0].n_ports = pol->inspect.n_pptp_ports;
		memcpy(w[0].ports, pol->inspect.pptp_ports, sizeof(w[0].ports));
		n = 1;
	}
	if (n == 0) {
		out_printf(o, "PPTP inspection is not configured\n");
		return;
	}
	for (size_t i = 0; i < n && i < WHERE_MAX; i++)
		out_block(o, &w[i], c);
	if (n > WHERE_MAX)
		out_printf(o, "(%zu more classes inspect pptp)\n",
			   n - WHERE_MAX);
}

#define U(x) ((unsigned long long)(x))

static void
out_drops(struct out *o, const struct ph_pptp_counters *c)
{
	bool any = false;

	out_printf(o, "  drops:");
	for (unsigned r = 0; r < PH_R_MAX; r++) {
		if (c->drop_reason[r] == 0)
			continue;
		out_printf(o, "%s %s %llu", any ? "," : "", ph_reason_name(r),
			   U(c->drop_reason[r]));
		any = true;
	}
	out_printf(o, "%s\n", any ? "" : " none");
}

static void
out_details(struct out *o, const struct ph_pptp_counters *c)
{
	out_printf(o, "PPTP inspection totals (engine-wide, since start):\n");
	out_printf(o,
		   "  control-connections: inspected %llu, active %u, "
		   "version-stopped %llu, failed %llu\n",
		   U(c->ctl_total), c->ctl_active, U(c->ctl_version),
		   U(c->ctl_failed));
	out_printf(
		o,
		"  calls: active %u, total %llu, up %llu, no-gre-flow %llu\n",
		c->calls_active, U(c->calls_total), U(c->calls_up),
		U(c->calls_no_gre));
	out_printf(o,
		   "  calls-refused: %llu, call-limit %llu, "
		   "callid-exhausted %llu\n",
		   U(c->calls_refused), U(c->call_limit),
		   U(c->callid_exhausted));
	out_printf(o,
		   "  messages: from-inside %llu, from-outside %llu, "
		   "unknown-call %llu, after-stop %llu\n",
		   U(c->msgs_inside), U(c->msgs_outside), U(c->unknown_call),
		   U(c->late));
	out_printf(o, "  message-drops: malformed %llu, state-error %llu\n",
		   U(c->malformed), U(c->state_errors));
	out_printf(o, "  call-ids-translated: %llu\n", U(c->callid_rewrites));
	out_printf(o,
		   "  segments: retransmits-rewritten %llu, bad-retransmit "
		   "%llu, out-of-order %llu\n",
		   U(c->retransmits), U(c->bad_retransmits), U(c->ooo));
	out_printf(o,
		   "  held: segments %llu, released %llu, dropped %llu, "
		   "given-up %llu, hold-timeout %llu, hold-limit %llu\n",
		   U(c->holds), U(c->held_released), U(c->held_dropped),
		   U(c->hold_given_up), U(c->hold_timeouts), U(c->hold_limit));
	out_printf(o,
		   "  gre: packets %llu, translated %llu, denied-no-call %llu, "
		   "denied-wrong-source %llu\n",
		   U(c->gre_pkts), U(c->gre_translated), U(c->gre_no_call),
		   U(c->gre_wrong_src));
	out_drops(o, c);
}

int
ph_show_service_policy_pptp(const struct ph_policy *pol,
			    const struct ph_pptp_counters *c, char *buf,
			    size_t len)
{
	struct out o = { buf, len, 0 };

	if (len > 0)
		buf[0] = '\0';
	if (c == NULL)
		return -1;
	out_blocks(&o, pol, c);
	out_details(&o, c);
	return o.len > (size_t)INT_MAX ? -1 : (int)o.len;
}
