/*
 * core/pptp_vis.c - PPTP inspection visibility: engine-wide counters and
 * the `debug pptp` decoder (pptp_vis.h; docs/pptp.md "Visibility").
 *
 * Counters.  Each control connection's stream counts its own messages,
 * calls, rewrites, holds (struct ph_pptp_stats).  A stream dies with its
 * connection, so ph_pptp_vis_retire() adds its counters to the engine-wide
 * `dead` totals first; ph_engine_pptp_counters() adds the live streams on
 * top, and reads what only the engine knows (drops per reason, releases of
 * held packets, hold timeouts, GRE packets of calls).  `clear
 * service-policy` (ph_engine_pptp_counters_clear()) keeps a snapshot in
 * v->base and the counters are reported as the difference, so neither the
 * live streams nor the engine's own counters are touched.
 *
 * Debug.  Lines follow the PIX `debug pptp` output of the seed note
 * (pix-pptp-to-the-pix.txt: "Tnl 42 PPTP: CC I OCRQ", "Tnl 42 PPTP: call
 * id 0x0"); the tunnel number is the connection id of the 302013 Built
 * message.  "I" and "O" name the sender as in the inspector: the inside
 * host, or the outside one (PIX: received / sent).  Off by default; off
 * costs the glue one pointer test per complete message and none here.
 *
 * Known limits: hold timeouts and holds the engine drops itself get no
 * debug line (901003 says it); messages cut by a malformed header or a
 * version that stops inspection are not decoded (the segment's line says
 * why).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/engine_int.h"
#include "core/pptp_vis.h"

#define DBG_TEXT_MAX 4096 /* one message decoded: ~1 KiB at worst */
#define DBG_LINE_MAX 640  /* one decoded line: 64 escaped bytes + labels */

/* --- debug lines ---------------------------------------------------- */

static void dbg_printf(const struct ph_pptp_vis *v, uint32_t id,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One line "Tnl <id> PPTP: <text>" to the sink. */
static void
dbg_printf(const struct ph_pptp_vis *v, uint32_t id, const char *fmt, ...)
{
	char line[DBG_LINE_MAX];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(line), "Tnl %u PPTP: ", id);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	v->dbg(v->dbg_arg, line);
}

static void
fmt_ep(char *buf, size_t len, const char *ifn, uint32_t a, uint16_t port)
{
	snprintf(buf, len, "%s:%u.%u.%u.%u/%u", ifn, a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff, port);
}

/* "inside:10.0.0.5/1025 (192.168.0.1/1024)" and "outside:1.2.3.4/1723":
 * the inside host real (mapped), the outside host as seen outside. */
static void
endpoints(const struct ph_engine *eng, const struct ph_conn *c, char *in,
	  size_t in_len, char *out, size_t out_len)
{
	int si = (c->flags & PH_CF_INBOUND) ? PH_DIR_REPLY : PH_DIR_ORIG;
	int so = !si;
	const struct ph_flow_key *ki = &c->k[si], *ko = &c->k[so];
	char real[96];

	fmt_ep(real, sizeof(real), eng_ifname(eng, ki->ifidx), ki->src,
	       ki->sport);
	snprintf(in, in_len, "%s (%u.%u.%u.%u/%u)", real, ko->dst >> 24,
		 (ko->dst >> 16) & 0xff, (ko->dst >> 8) & 0xff, ko->dst & 0xff,
		 ko->dport);
	fmt_ep(out, out_len, eng_ifname(eng, ko->ifidx), ko->src, ko->sport);
}

static const char *
dname(int dir)
{
	return dir == PH_PPTP_DIR_I ? "I" : "O";
}

static uint32_t
conn_id(const struct ph_engine *eng, uint32_t idx)
{
	return ph_conn_at(eng->conns, idx)->id;
}

/* "CC I inside:... -> outside:...": sender first, before a message or a
 * note about a segment. */
static void
dbg_head(const struct ph_pptp_vis *v, const struct ph_engine *eng, uint32_t idx,
	 int dir)
{
	char in[160], out[128];

	endpoints(eng, ph_conn_at(eng->conns, idx), in, sizeof(in), out,
		  sizeof(out));
	dbg_printf(v, conn_id(eng, idx), "CC %s %s -> %s", dname(dir),
		   dir == PH_PPTP_DIR_I ? in : out,
		   dir == PH_PPTP_DIR_I ? out : in);
}

/* Is this decoded line a call-ID field ("call id 0x..", "peer call id")? */
static bool
is_id_line(const char *l)
{
	return strncmp(l, "call id 0x", 10) == 0 ||
	       strncmp(l, "peer call id 0x", 15) == 0;
}

void
ph_pptp_vis_msg(struct ph_pptp_vis *v, const struct ph_engine *eng,
		uint32_t idx, const struct ph_pptp_stream *s, int dir,
		const uint8_t *msg, size_t len)
{
	char text[DBG_TEXT_MAX];
	uint32_t id = conn_id(eng, idx);
	char *l, *nl;
	int field = 0;
	uint16_t from, to;

	if (v->dbg == NULL)
		return;
	dbg_head(v, eng, idx, dir);
	(void)ph_pptp_debug_format(text, sizeof(text), dir, msg, len);
	for (l = text; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl == NULL)
			break; /* cut at DBG_TEXT_MAX: not a whole line */
		*nl = '\0';
		if (strncmp(l, "PPTP: ", 6) == 0)
			l += 6;
		if (is_id_line(l) &&
		    ph_pptp_stream_msg_xlate(s, dir, field++, &from, &to) &&
		    from != to)
			dbg_printf(v, id, "%s -> 0x%x", l, to);
		else
			dbg_printf(v, id, "%s", l);
	}
}

/* What happened to the segment, when it is more than "passed". */
static void
dbg_result(const struct ph_pptp_vis *v, const struct ph_engine *eng,
	   uint32_t idx, int dir, const struct ph_pkt *p,
	   const struct ph_pptp_stream *s, const struct ph_pptp_result *res)
{
	uint32_t id = conn_id(eng, idx);
	const char *d = dname(dir);

	if (res->held == PH_PPTP_HELD_RELEASE)
		dbg_printf(v, id,
			   "CC %s held segment released, call ID "
			   "completed",
			   d);
	else if (res->held == PH_PPTP_HELD_DISCARD)
		dbg_printf(v, id, "CC %s held segment discarded", d);
	if (res->uninspected || res->action != PH_PPTP_PASS)
		dbg_head(v, eng, idx, dir);
	if (res->uninspected)
		dbg_printf(v, id,
			   "CC %s protocol version 0x%04x: inspection stopped",
			   d, ph_pptp_stream_version(s));
	if (res->action == PH_PPTP_DROP)
		dbg_printf(v, id, "CC %s segment seq %u len %u dropped: %s%s",
			   d, p->tcp.seq, p->payload_len,
			   ph_reason_name(res->reason),
			   res->close ? ", control connection closed" : "");
	else if (res->action == PH_PPTP_HOLD)
		dbg_printf(v, id,
			   "CC %s segment seq %u len %u held: call ID "
			   "split across segments",
			   d, p->tcp.seq, p->payload_len);
}

void
ph_pptp_vis_result(struct ph_pptp_vis *v, const struct ph_engine *eng,
		   uint32_t idx, int dir, const struct ph_pkt *p,
		   const struct ph_pptp_stream *s,
		   const struct ph_pptp_result *res)
{
	v->pkts++;
	if (v->dbg != NULL)
		dbg_result(v, eng, idx, dir, p, s, res);
}

void
ph_engine_set_pptp_debug(struct ph_engine *eng, ph_debug_fn fn, void *arg)
{
	struct ph_pptp_vis *v;

	if (eng == NULL || (v = ph_pptp_vis_of(eng, NULL, NULL)) == NULL)
		return;
	v->dbg = fn;
	v->dbg_arg = fn != NULL ? arg : NULL;
}

/* --- counters ------------------------------------------------------- */

_Static_assert(sizeof(struct ph_pptp_stats) == 13 * sizeof(uint64_t),
	       "stats_add() adds every field of struct ph_pptp_stats");

static void
stats_add(struct ph_pptp_stats *a, const struct ph_pptp_stats *b)
{
	a->msgs[0] += b->msgs[0];
	a->msgs[1] += b->msgs[1];
	a->calls += b->calls;
	a->calls_up += b->calls_up;
	a->unknown_call += b->unknown_call;
	a->late += b->late;
	a->call_limit += b->call_limit;
	a->exhausted += b->exhausted;
	a->rewrites += b->rewrites;
	a->retransmits += b->retransmits;
	a->holds += b->holds;
	a->hold_drops += b->hold_drops;
	a->ooo += b->ooo;
}

void
ph_pptp_vis_retire(struct ph_pptp_vis *v, const struct ph_pptp_stream *s)
{
	unsigned st;

	if (s == NULL)
		return;
	st = ph_pptp_stream_state(s);
	v->gone++;
	v->gone_version += st == PH_PPTP_CTL_UNINSPECTED;
	v->gone_failed += st == PH_PPTP_CTL_DEAD;
	stats_add(&v->dead, ph_pptp_stream_stats(s));
}

/* The live control connections, added up. */
struct live {
	struct ph_pptp_stats st;
	uint32_t n, calls;
	uint64_t version, failed;
};

static void
live_add(void *arg, const struct ph_pptp_stream *s)
{
	struct live *l = arg;
	unsigned st = ph_pptp_stream_state(s);

	l->n++;
	l->calls += ph_pptp_stream_ncalls(s);
	l->version += st == PH_PPTP_CTL_UNINSPECTED;
	l->failed += st == PH_PPTP_CTL_DEAD;
	stats_add(&l->st, ph_pptp_stream_stats(s));
}

static bool
pptp_reason(unsigned r)
{
	const char *n = ph_reason_name(r);

	return strncmp(n, "pptp-", 5) == 0 || strncmp(n, "gre-", 4) == 0;
}

/* What only the engine counts: drops per reason, held packets, GRE. */
static void
engine_side(const struct ph_engine *eng, struct ph_pptp_counters *c)
{
	struct ph_engine_counters ec;

	ph_engine_counters(eng, &ec);
	for (unsigned r = 0; r < PH_R_MAX; r++) {
		if (!pptp_reason(r))
			continue;
		c->drop_reason[r] = ec.drops[r];
		if (strncmp(ph_reason_name(r), "pptp-", 5) == 0)
			c->drops += ec.drops[r];
	}
	c->malformed = ec.drops[PH_R_PPTP_MALFORMED];
	c->state_errors = ec.drops[PH_R_PPTP_STATE];
	c->bad_retransmits = ec.drops[PH_R_PPTP_RETRANS];
	c->hold_limit = ec.drops[PH_R_PPTP_HOLD_LIMIT];
	c->held_released = ec.pkts_released - ec.pkts_release_dropped;
	c->held_dropped = ec.pkts_release_dropped;
	/* released as drops, so not in the engine's drops[] */
	c->hold_timeouts = ph_engine_event_count(eng, PH_EV_HOLD_TIMEOUT);
	c->drop_reason[PH_R_PPTP_HOLD_TIMEOUT] += c->hold_timeouts;
	c->drops += c->hold_timeouts;
	c->gre_pkts = ec.gre_call_pkts;
	c->gre_translated = ec.gre_call_rewritten;
	c->gre_no_call = ec.drops[PH_R_GRE_NO_CALL];
	c->gre_wrong_src = ec.drops[PH_R_GRE_WRONG_SRC];
}

/* Every counter of struct ph_pptp_counters that only grows. */
/* clang-format off */
#define PPTP_CUMULATIVE(X)  \
	X(packets)          \
	X(drops)            \
	X(reset_drops)      \
	X(ctl_total)        \
	X(ctl_version)      \
	X(ctl_failed)       \
	X(calls_total)      \
	X(calls_up)         \
	X(calls_refused)    \
	X(call_limit)       \
	X(callid_exhausted) \
	X(calls_no_gre)     \
	X(msgs_inside)      \
	X(msgs_outside)     \
	X(malformed)        \
	X(state_errors)     \
	X(unknown_call)     \
	X(late)             \
	X(callid_rewrites)  \
	X(retransmits)      \
	X(bad_retransmits)  \
	X(ooo)              \
	X(holds)            \
	X(held_released)    \
	X(held_dropped)     \
	X(hold_given_up)    \
	X(hold_timeouts)    \
	X(hold_limit)       \
	X(gre_pkts)         \
	X(gre_translated)   \
	X(gre_no_call)      \
	X(gre_wrong_src)
/* clang-format on */

/* a counter added to the struct but not to the list above fails here */
#define PPTP_ONE(f) +1
_Static_assert(sizeof(struct ph_pptp_counters) ==
		       (0 PPTP_CUMULATIVE(PPTP_ONE) + 2 + PH_R_MAX) *
			       sizeof(uint64_t),
	       "PPTP_CUMULATIVE must list every cumulative counter");
#undef PPTP_ONE

static uint64_t
since(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : 0;
}

/* c -= base for the cumulative counters; the gauges stay. */
static void
counters_since(struct ph_pptp_counters *c, const struct ph_pptp_counters *b)
{
#define PPTP_SUB(f) c->f = since(c->f, b->f);
	PPTP_CUMULATIVE(PPTP_SUB)
#undef PPTP_SUB
	for (unsigned r = 0; r < PH_R_MAX; r++)
		c->drop_reason[r] = since(c->drop_reason[r], b->drop_reason[r]);
}

static void counters_raw(const struct ph_engine *eng,
			 struct ph_pptp_counters *c);

void
ph_engine_pptp_counters(const struct ph_engine *eng, struct ph_pptp_counters *c)
{
	struct ph_pptp_vis *v;

	counters_raw(eng, c);
	if (eng != NULL && (v = ph_pptp_vis_of(eng, NULL, NULL)) != NULL)
		counters_since(c, &v->base);
}

void
ph_engine_pptp_counters_clear(struct ph_engine *eng)
{
	struct ph_pptp_vis *v;

	if (eng == NULL || (v = ph_pptp_vis_of(eng, NULL, NULL)) == NULL)
		return;
	counters_raw(eng, &v->base);
}

static void
counters_raw(const struct ph_engine *eng, struct ph_pptp_counters *c)
{
	struct live l;
	const struct ph_pptp_vis *v;
	const struct ph_pptp_stats *st = &l.st;

	memset(c, 0, sizeof(*c));
	memset(&l, 0, sizeof(l));
	if (eng == NULL || (v = ph_pptp_vis_of(eng, live_add, &l)) == NULL)
		return;
	stats_add(&l.st, &v->dead);
	c->packets = v->pkts;
	c->ctl_total = v->gone + l.n;
	c->ctl_active = l.n;
	c->ctl_version = v->gone_version + l.version;
	c->ctl_failed = v->gone_failed + l.failed;
	c->reset_drops = c->ctl_failed;
	c->calls_active = l.calls;
	c->calls_total = st->calls;
	c->calls_up = st->calls_up;
	c->call_limit = st->call_limit;
	c->callid_exhausted = st->exhausted;
	c->calls_refused = st->call_limit + st->exhausted;
	c->calls_no_gre = v->gre_fail;
	c->msgs_inside = st->msgs[PH_PPTP_DIR_I];
	c->msgs_outside = st->msgs[PH_PPTP_DIR_O];
	c->unknown_call = st->unknown_call;
	c->late = st->late;
	c->callid_rewrites = st->rewrites;
	c->retransmits = st->retransmits;
	c->ooo = st->ooo;
	c->holds = st->holds;
	c->hold_given_up = st->hold_drops;
	engine_side(eng, c);
}
