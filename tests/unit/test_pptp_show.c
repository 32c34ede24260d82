/*
 * test_pptp_show.c - PPTP inspection visibility: the engine-wide counters
 * (ph_engine_pptp_counters), `show service-policy inspect pptp`
 * (ph_show_service_policy_pptp) and the `debug pptp` stream
 * (ph_engine_set_pptp_debug), driven through whole PPTP conversations.
 *
 * Each scenario of the table drives the engine, then every counter is
 * compared with the scenario's expected values, and the debug lines seen
 * while debug was on with its expected lines ("{xl}" in an expected line
 * stands for the translated call ID in hex, "{gp}" for the PAT port,
 * "{seq}" for the sequence number of the segment the scenario marked).
 */
#include <bsd/string.h>

#include "engtest.h"

#include "pptpbuild.h"

/* Seed "PPTP through the PIX", 6.3: fixup plus interface PAT. */
static const char *seed63 = "nameif ethernet0 outside security0\n"
			    "nameif ethernet1 inside security100\n"
			    "ip address outside 192.168.201.1 255.255.255.0\n"
			    "ip address inside 10.48.66.47 255.255.254.0\n"
			    "fixup protocol pptp 1723\n"
			    "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			    "global (outside) 1 interface\n";

/* Seed 7.x form: the factory global_policy, no service-policy line. */
static const char *seed7x = "nameif ethernet0 outside security0\n"
			    "nameif ethernet1 inside security100\n"
			    "ip address outside 192.168.201.1 255.255.255.0\n"
			    "ip address inside 10.48.66.47 255.255.254.0\n"
			    "policy-map global_policy\n"
			    " class inspection_default\n"
			    "  inspect pptp\n"
			    "nat (inside) 1 0.0.0.0 0.0.0.0 0 0\n"
			    "global (outside) 1 interface\n";

#define S A(192, 168, 201, 25)
#define G A(192, 168, 201, 1)

#include "pptpconv.h"

/* --- the debug sink --------------------------------------------------- */

#define DBG_MAX 256

struct dbg {
	unsigned n;
	char line[DBG_MAX][256];
};

static void
dbg_sink(void *arg, const char *line)
{
	struct dbg *d = arg;

	ck_assert_msg(strchr(line, '\n') == NULL, "newline in %s", line);
	ck_assert_uint_lt(d->n, DBG_MAX);
	strlcpy(d->line[d->n++], line, sizeof(d->line[0]));
}

/* --- a PPTP conversation ---------------------------------------------- */

/* A scenario's clients; cl[0] gives the template values {xl}, {gp}, and
 * seq the {seq} of the segment it marked. */
struct vars {
	struct client cl[3];
	uint32_t seq;
};

static struct client
client(unsigned i)
{
	struct client c = { A(10, 48, 66, 106 + i), 4644, 0, 1001 + 1000 * i,
			    5001 + 1000 * i,	    0 };

	return c;
}

/* OCRQ with call id `id`; keeps the translated id. */
static void
call_request(struct eh *h, struct client *c, uint16_t id, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	size_t n = pptpb_ocrq(m, id, 1);

	ck_assert_int_eq(c2s(h, c, m, n, t), PH_VERDICT_ACCEPT);
	c->xl = pb_get16(payload(h) + 12);
}

/* OCRP Connected from the server for c's call (peer id = translated). */
static void
call_reply(struct eh *h, struct client *c, uint16_t sid, uint64_t t)
{
	uint8_t m[PPTPB_MAX];
	size_t n = pptpb_ocrp(m, sid, c->xl, 1);

	ck_assert_int_eq(s2c(h, c, m, n, t), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 14), 0x4000);
}

static void
debug_on(struct eh *h, struct dbg *d)
{
	d->n = 0;
	ph_engine_set_pptp_debug(h->eng, dbg_sink, d);
}

static void
debug_off(struct eh *h)
{
	ph_engine_set_pptp_debug(h->eng, NULL, NULL);
}

/* --- scenarios ------------------------------------------------------ */

/* Three clients behind one PAT address, the same call ID 0x4000: each
 * gets its own translated ID.  Debug on for client a's call only; client
 * a clears its call, client b resets its control connection. */
static void
sc_three_clients(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client *cl = v->cl;
	uint8_t m[PPTPB_MAX];

	for (unsigned i = 0; i < 3; i++) {
		cl[i] = client(i);
		control_up(h, &cl[i], 1);
	}
	for (unsigned i = 1; i < 3; i++)
		call_request(h, &cl[i], 0x4000, 2);
	debug_on(h, d);
	call_request(h, &cl[0], 0x4000, 2);
	call_reply(h, &cl[0], 0x9000, 3);
	debug_off(h);
	for (unsigned i = 1; i < 3; i++)
		call_reply(h, &cl[i], (uint16_t)(0x9000 + i), 3);
	ck_assert_uint_ne(cl[0].xl, cl[1].xl);
	ck_assert_uint_ne(cl[0].xl, cl[2].xl);
	ck_assert_uint_ne(cl[1].xl, cl[2].xl);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(eh_gre(h, "outside", S, G, cl[i].xl, 4),
				 PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(eh_dst(h), cl[i].addr);
		ck_assert_int_eq(eh_gre(h, "inside", cl[i].addr, S,
					(uint16_t)(0x9000 + i), 4),
				 PH_VERDICT_ACCEPT);
	}
	/* a clears its call: CCRQ (translated), CDN (the server's id) */
	ck_assert_int_eq(c2s(h, &cl[0], m, pptpb_ccrq(m, 0x4000), 5),
			 PH_VERDICT_ACCEPT);
	ck_assert_int_eq(s2c(h, &cl[0], m, pptpb_cdn(m, 0x9000, 4), 5),
			 PH_VERDICT_ACCEPT);
	/* b resets: its stream goes, its counters stay */
	eh_tcp_seq(h, "inside", cl[1].addr, cl[1].port, S, 1723, PH_TCP_RST,
		   cl[1].cseq, 0, 0, SEC(6));
}

static void
sc_version2(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	size_t n;

	tcp_up(h, &a, 1);
	debug_on(h, d);
	v->seq = a.cseq;
	n = pptpb_sccrq(m, 0x0200, "client", "test");
	ck_assert_int_eq(c2s(h, &a, m, n, 1), PH_VERDICT_ACCEPT);
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(c2s(h, &a, m, n, 1), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(pb_get16(payload(h) + 12), 0x4000);
	v->cl[0] = a;
}

static void
sc_malformed(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	size_t n;

	control_up(h, &a, 1);
	debug_on(h, d);
	v->seq = a.cseq;
	n = pptpb_ocrq(m, 0x4000, 1);
	pptpb_put32(m, 4, 0xdeadbeef); /* bad magic cookie */
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_MALFORMED);
	v->cl[0] = a;
}

/* OCRP cut after the first byte of its peer call ID: held, released. */
static void
sc_hold_release(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	struct ph_pkt_released rel;
	size_t n;

	control_up(h, &a, 1);
	call_request(h, &a, 0x4000, 2);
	n = pptpb_ocrp(m, 0x9000, a.xl, 1);
	debug_on(h, d);
	v->seq = a.sseq;
	ck_assert_int_eq(s2c(h, &a, m, 15, 3), PH_VERDICT_HOLD);
	ck_assert_int_eq(s2c(h, &a, m + 15, n - 15, 3), PH_VERDICT_ACCEPT);
	ck_assert(ph_engine_release(h->eng, &rel));
	ck_assert_uint_eq(rel.out.verdict, PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(rel.data[40 + 14], 0x40);
	v->cl[0] = a;
}

/* The same split, never completed: the hold times out (901003). */
static void
sc_hold_timeout(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	struct ph_pkt_released rel;

	control_up(h, &a, 1);
	call_request(h, &a, 0x4000, 2);
	pptpb_ocrp(m, 0x9000, a.xl, 1);
	ck_assert_int_eq(s2c(h, &a, m, 15, 3), PH_VERDICT_HOLD);
	ph_engine_tick(h->eng, ph_time_from_sec(6));
	ck_assert(ph_engine_release(h->eng, &rel));
	ck_assert_uint_eq(rel.out.verdict, PH_VERDICT_DROP);
	/* the retransmission of the whole message is parsed afresh */
	a.sseq -= 15;
	debug_on(h, d);
	call_reply(h, &a, 0x9000, 7);
	v->cl[0] = a;
}

/* 65 calls on one control connection: the 65th is refused until a call
 * ends; a segment past a gap is dropped as out of order. */
static void
sc_call_limit_ooo(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	size_t n;

	control_up(h, &a, 1);
	for (unsigned i = 0; i < 64; i++)
		call_request(h, &a, (uint16_t)(0x100 + i), 2);
	debug_on(h, d);
	v->seq = a.cseq;
	n = pptpb_ocrq(m, 0x4000, 1);
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_CALL_LIMIT);
	a.cseq -= (uint32_t)n; /* not taken: the client will resend it */
	n = pptpb_echorq(m, 7);
	ck_assert_int_eq(seg(h, "inside", a.addr, a.port, S, 1723,
			     a.cseq + 1000, a.sseq, m, n, 2),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_OOO);
	v->cl[0] = a;
}

/* OCRQ with a body Reserved field set: decoded, then refused. */
static void
sc_reserved(struct eh *h, struct dbg *d, struct vars *v)
{
	struct client a = client(0);
	uint8_t m[PPTPB_MAX];
	size_t n;

	control_up(h, &a, 1);
	debug_on(h, d);
	v->seq = a.cseq;
	n = pptpb_ocrq(m, 0x4000, 1);
	pptpb_put16(m, 38, 1); /* Reserved1 */
	ck_assert_int_eq(c2s(h, &a, m, n, 2), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_PPTP_MALFORMED);
	a.xl = pb_get16(payload(h) + 12); /* allocated before the check */
	ck_assert_uint_ne(a.xl, 0x4000);
	v->cl[0] = a;
}

/* --- the table -------------------------------------------------------- */

#define CNT_FIELDS(X)                                                        \
	X(packets)                                                           \
	X(drops)                                                             \
	X(reset_drops) X(ctl_total) X(ctl_active) X(ctl_version) X(          \
		ctl_failed) X(calls_active) X(calls_total) X(calls_up)       \
		X(calls_refused) X(call_limit) X(callid_exhausted) X(        \
			calls_no_gre) X(msgs_inside) X(msgs_outside)         \
			X(malformed) X(state_errors) X(unknown_call) X(      \
				late) X(callid_rewrites) X(retransmits)      \
				X(bad_retransmits) X(ooo) X(holds) X(        \
					held_released) X(held_dropped)       \
					X(hold_given_up) X(hold_timeouts)    \
						X(hold_limit) X(gre_pkts) X( \
							gre_translated)      \
							X(gre_no_call) X(    \
								gre_wrong_src)

struct scenario {
	const char *name;
	const char *const *conf; /* NULL: seed63 */
	void (*run)(struct eh *h, struct dbg *d, struct vars *v);
	struct ph_pptp_counters want;
	const char *const *debug; /* NULL-terminated */
	const char *show;	  /* whole text; NULL: not compared */
};

#define HEAD_I                                                            \
	"Tnl 1 PPTP: CC I inside:10.48.66.106/4644 (192.168.201.1/{gp}) " \
	"-> outside:192.168.201.25/1723"
#define HEAD_O                                             \
	"Tnl 1 PPTP: CC O outside:192.168.201.25/1723 -> " \
	"inside:10.48.66.106/4644 (192.168.201.1/{gp})"

#define OCRQ_REST                                                            \
	"Tnl 1 PPTP: serial num 1", "Tnl 1 PPTP: min bps 300:0x12c",         \
		"Tnl 1 PPTP: max bps 100000000:0x5f5e100",                   \
		"Tnl 1 PPTP: bearer type 3", "Tnl 1 PPTP: framing type 3",   \
		"Tnl 1 PPTP: recv win size 64", "Tnl 1 PPTP: ppd 0",         \
		"Tnl 1 PPTP: phone num len 0", "Tnl 1 PPTP: phone num \"\"", \
		"Tnl 1 PPTP: subaddress \"\""

#define OCRP_LINES                                                            \
	HEAD_O,                                                               \
		"Tnl 1 PPTP: CC O 002000011a2b3c4d000800009000{xl}0100000000" \
		"00...",                                                      \
		"Tnl 1 PPTP: CC O OCRP", "Tnl 1 PPTP: call id 0x9000",        \
		"Tnl 1 PPTP: peer call id 0x{xl} -> 0x4000",                  \
		"Tnl 1 PPTP: result code 1", "Tnl 1 PPTP: error code 0",      \
		"Tnl 1 PPTP: cause code 0",                                   \
		"Tnl 1 PPTP: connect speed 64000:0xfa00",                     \
		"Tnl 1 PPTP: recv win size 64", "Tnl 1 PPTP: ppd 0",          \
		"Tnl 1 PPTP: phy channel id 0x0"

/* Client a's call, translated (clients b and c have the same ID). */
static const char *const dbg_three[] = {
	HEAD_I,
	"Tnl 1 PPTP: CC I 00a800011a2b3c4d00070000400000010000012c05f5...",
	"Tnl 1 PPTP: CC I OCRQ",
	"Tnl 1 PPTP: call id 0x4000 -> 0x{xl}",
	OCRQ_REST,
	OCRP_LINES,
	NULL,
};
static const char *const dbg_version2[] = {
	HEAD_I,
	"Tnl 1 PPTP: CC I protocol version 0x0200: inspection stopped",
	NULL,
};
static const char *const dbg_malformed[] = {
	HEAD_I,
	"Tnl 1 PPTP: CC I segment seq {seq} len 168 dropped: pptp-malformed, "
	"control connection closed",
	NULL,
};
static const char *const dbg_reserved[] = {
	HEAD_I,
	"Tnl 1 PPTP: CC I 00a800011a2b3c4d00070000400000010000012c05f5...",
	"Tnl 1 PPTP: CC I OCRQ",
	"Tnl 1 PPTP: call id 0x4000 -> 0x{xl}",
	OCRQ_REST,
	HEAD_I,
	"Tnl 1 PPTP: CC I segment seq {seq} len 168 dropped: pptp-malformed, "
	"control connection closed",
	NULL,
};
static const char *const dbg_hold_release[] = {
	HEAD_O,
	"Tnl 1 PPTP: CC O segment seq {seq} len 15 held: call ID split "
	"across segments",
	OCRP_LINES,
	"Tnl 1 PPTP: CC O held segment released, call ID completed",
	NULL,
};
static const char *const dbg_hold_timeout[] = { OCRP_LINES, NULL };
static const char *const dbg_call_limit[] = {
	HEAD_I,
	"Tnl 1 PPTP: CC I segment seq {seq} len 168 dropped: pptp-call-limit",
	HEAD_I,
	"Tnl 1 PPTP: CC I segment seq {seq+1000} len 16 dropped: "
	"pptp-out-of-order",
	NULL,
};

#define DETAILS_ZERO_GRE                                     \
	"  gre: packets 0, translated 0, denied-no-call 0, " \
	"denied-wrong-source 0\n"

static const struct scenario scenarios[] = {
	{ "three clients, one call ID",
	  NULL,
	  sc_three_clients,
	  { .packets = 14,
	    .ctl_total = 3,
	    .ctl_active = 2,
	    .calls_active = 1,
	    .calls_total = 3,
	    .calls_up = 3,
	    .msgs_inside = 7,
	    .msgs_outside = 7,
	    .callid_rewrites = 7,
	    .gre_pkts = 6,
	    .gre_translated = 6 },
	  dbg_three,
	  "Global policy:\n"
	  "  Service-policy: (fixup)\n"
	  "    Class-map: fixup protocol pptp 1723\n"
	  "      Inspect: pptp, packet 14, drop 0, reset-drop 0\n"
	  "PPTP inspection totals (engine-wide, since start):\n"
	  "  control-connections: inspected 3, active 2, version-stopped 0, "
	  "failed 0\n"
	  "  calls: active 1, total 3, up 3, no-gre-flow 0\n"
	  "  calls-refused: 0, call-limit 0, callid-exhausted 0\n"
	  "  messages: from-inside 7, from-outside 7, unknown-call 0, "
	  "after-stop 0\n"
	  "  message-drops: malformed 0, state-error 0\n"
	  "  call-ids-translated: 7\n"
	  "  segments: retransmits-rewritten 0, bad-retransmit 0, "
	  "out-of-order 0\n"
	  "  held: segments 0, released 0, dropped 0, given-up 0, "
	  "hold-timeout 0, hold-limit 0\n"
	  "  gre: packets 6, translated 6, denied-no-call 0, "
	  "denied-wrong-source 0\n"
	  "  drops: none\n" },
	{ "version 2 stops inspection (7.x config)",
	  &seed7x,
	  sc_version2,
	  { .packets = 2, .ctl_total = 1, .ctl_active = 1, .ctl_version = 1 },
	  dbg_version2,
	  "Global policy:\n"
	  "  Service-policy: global_policy\n"
	  "    Class-map: inspection_default\n"
	  "      Inspect: pptp, packet 2, drop 0, reset-drop 0\n"
	  "PPTP inspection totals (engine-wide, since start):\n"
	  "  control-connections: inspected 1, active 1, version-stopped 1, "
	  "failed 0\n"
	  "  calls: active 0, total 0, up 0, no-gre-flow 0\n"
	  "  calls-refused: 0, call-limit 0, callid-exhausted 0\n"
	  "  messages: from-inside 0, from-outside 0, unknown-call 0, "
	  "after-stop 0\n"
	  "  message-drops: malformed 0, state-error 0\n"
	  "  call-ids-translated: 0\n"
	  "  segments: retransmits-rewritten 0, bad-retransmit 0, "
	  "out-of-order 0\n"
	  "  held: segments 0, released 0, dropped 0, given-up 0, "
	  "hold-timeout 0, hold-limit 0\n" DETAILS_ZERO_GRE "  drops: none\n" },
	{ "malformed header",
	  NULL,
	  sc_malformed,
	  { .packets = 3,
	    .drops = 1,
	    .reset_drops = 1,
	    .ctl_total = 1,
	    .ctl_failed = 1,
	    .msgs_inside = 1,
	    .msgs_outside = 1,
	    .malformed = 1,
	    .drop_reason = { [PH_R_PPTP_MALFORMED] = 1 } },
	  dbg_malformed,
	  "Global policy:\n"
	  "  Service-policy: (fixup)\n"
	  "    Class-map: fixup protocol pptp 1723\n"
	  "      Inspect: pptp, packet 3, drop 1, reset-drop 1\n"
	  "PPTP inspection totals (engine-wide, since start):\n"
	  "  control-connections: inspected 1, active 0, version-stopped 0, "
	  "failed 1\n"
	  "  calls: active 0, total 0, up 0, no-gre-flow 0\n"
	  "  calls-refused: 0, call-limit 0, callid-exhausted 0\n"
	  "  messages: from-inside 1, from-outside 1, unknown-call 0, "
	  "after-stop 0\n"
	  "  message-drops: malformed 1, state-error 0\n"
	  "  call-ids-translated: 0\n"
	  "  segments: retransmits-rewritten 0, bad-retransmit 0, "
	  "out-of-order 0\n"
	  "  held: segments 0, released 0, dropped 0, given-up 0, "
	  "hold-timeout 0, hold-limit 0\n" DETAILS_ZERO_GRE
	  "  drops: pptp-malformed 1\n" },
	{ "body reserved field set",
	  NULL,
	  sc_reserved,
	  { .packets = 3,
	    .drops = 1,
	    .reset_drops = 1,
	    .ctl_total = 1,
	    .ctl_failed = 1,
	    .msgs_inside = 1,
	    .msgs_outside = 1,
	    .malformed = 1,
	    .callid_rewrites = 1,
	    .drop_reason = { [PH_R_PPTP_MALFORMED] = 1 } },
	  dbg_reserved,
	  NULL },
	{ "split call ID held and released",
	  NULL,
	  sc_hold_release,
	  { .packets = 5,
	    .ctl_total = 1,
	    .ctl_active = 1,
	    .calls_active = 1,
	    .calls_total = 1,
	    .calls_up = 1,
	    .msgs_inside = 2,
	    .msgs_outside = 2,
	    .callid_rewrites = 2,
	    .holds = 1,
	    .held_released = 1 },
	  dbg_hold_release,
	  NULL },
	{ "hold timeout",
	  NULL,
	  sc_hold_timeout,
	  { .packets = 5,
	    .drops = 1,
	    .ctl_total = 1,
	    .ctl_active = 1,
	    .calls_active = 1,
	    .calls_total = 1,
	    .calls_up = 1,
	    .msgs_inside = 2,
	    .msgs_outside = 2,
	    .callid_rewrites = 2,
	    .holds = 1,
	    .held_dropped = 1,
	    .hold_given_up = 1,
	    .hold_timeouts = 1,
	    .drop_reason = { [PH_R_PPTP_HOLD_TIMEOUT] = 1 } },
	  dbg_hold_timeout,
	  NULL },
	{ "call limit and out of order",
	  NULL,
	  sc_call_limit_ooo,
	  { .packets = 68,
	    .drops = 2,
	    .ctl_total = 1,
	    .ctl_active = 1,
	    .calls_active = 64,
	    .calls_total = 64,
	    .calls_refused = 1,
	    .call_limit = 1,
	    .msgs_inside = 65,
	    .msgs_outside = 1,
	    .callid_rewrites = 64,
	    .ooo = 1,
	    .drop_reason = { [PH_R_PPTP_OOO] = 1,
			     [PH_R_PPTP_CALL_LIMIT] = 1 } },
	  dbg_call_limit,
	  NULL },
};

/* Expand {xl} (hex), {gp}, {seq} and {seq+N} of an expected line. */
static void
expand(const char *tmpl, const struct vars *v, char *out, size_t len)
{
	size_t o = 0;
	unsigned long add;
	char *end;

	while (*tmpl != '\0' && o + 1 < len) {
		int n = 0;

		if (strncmp(tmpl, "{xl}", 4) == 0) {
			n = snprintf(out + o, len - o, "%x", v->cl[0].xl);
			tmpl += 4;
		} else if (strncmp(tmpl, "{gp}", 4) == 0) {
			n = snprintf(out + o, len - o, "%u", v->cl[0].gport);
			tmpl += 4;
		} else if (strncmp(tmpl, "{seq}", 5) == 0) {
			n = snprintf(out + o, len - o, "%u", v->seq);
			tmpl += 5;
		} else if (strncmp(tmpl, "{seq+", 5) == 0) {
			add = strtoul(tmpl + 5, &end, 10);
			ck_assert_int_eq(*end, '}');
			n = snprintf(out + o, len - o, "%lu", v->seq + add);
			tmpl = end + 1;
		} else {
			out[o] = *tmpl++;
			n = 1;
		}
		o += (size_t)n;
	}
	out[o < len ? o : len - 1] = '\0';
}

static void
check_counters(const char *name, const struct ph_pptp_counters *got,
	       const struct ph_pptp_counters *want)
{
	uint64_t sum = 0;

#define CHECK_FIELD(f)                                                    \
	ck_assert_msg(got->f == want->f, "%s: " #f " is %llu, want %llu", \
		      name, (unsigned long long)got->f,                   \
		      (unsigned long long)want->f);
	CNT_FIELDS(CHECK_FIELD)
#undef CHECK_FIELD
	for (unsigned r = 0; r < PH_R_MAX; r++) {
		ck_assert_msg(got->drop_reason[r] == want->drop_reason[r],
			      "%s: drop_reason[%s] is %llu, want %llu", name,
			      ph_reason_name(r),
			      (unsigned long long)got->drop_reason[r],
			      (unsigned long long)want->drop_reason[r]);
		if (strncmp(ph_reason_name(r), "pptp-", 5) == 0)
			sum += got->drop_reason[r];
	}
	/* the PIX "drop" is every pptp-* drop; refusals add up */
	ck_assert_uint_eq(got->drops, sum);
	ck_assert_uint_eq(got->calls_refused,
			  got->call_limit + got->callid_exhausted);
}

START_TEST(test_scenario)
{
	const struct scenario *sc = &scenarios[_i];
	struct eh *h = eh_new(sc->conf != NULL ? *sc->conf : seed63, 0);
	static struct dbg d;
	struct vars v;
	struct ph_pptp_counters c;
	char text[PH_SHOW_PPTP_LEN], want[512];
	unsigned i;
	int n;

	memset(&d, 0, sizeof(d));
	memset(&v, 0, sizeof(v));
	sc->run(h, &d, &v);
	debug_off(h);
	ph_engine_pptp_counters(h->eng, &c);
	check_counters(sc->name, &c, &sc->want);
	for (i = 0; sc->debug[i] != NULL; i++) {
		expand(sc->debug[i], &v, want, sizeof(want));
		ck_assert_msg(i < d.n, "%s: debug line %u missing: %s",
			      sc->name, i, want);
		ck_assert_str_eq(d.line[i], want);
	}
	ck_assert_msg(d.n == i, "%s: extra debug line: %s", sc->name,
		      d.line[i < d.n ? i : 0]);
	n = ph_show_service_policy_pptp(h->pol, &c, text, sizeof(text));
	ck_assert_int_eq(n, (int)strlen(text));
	if (sc->show != NULL)
		ck_assert_str_eq(text, sc->show);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* --- the show layout, per configuration form ------------------------- */

#define IFACES                                             \
	"nameif ethernet0 outside security0\n"             \
	"nameif ethernet1 inside security100\n"            \
	"ip address outside 192.168.201.1 255.255.255.0\n" \
	"ip address inside 10.48.66.47 255.255.254.0\n"

#define INSPECT_LINE "      Inspect: pptp, packet 31, drop 2, reset-drop 1\n"

static const struct {
	const char *conf;
	const char *blocks; /* the text before the totals */
} layouts[] = {
	{ "fixup protocol pptp 1723\n",
	  "Global policy:\n  Service-policy: (fixup)\n"
	  "    Class-map: fixup protocol pptp 1723\n" INSPECT_LINE },
	{ "fixup protocol pptp 5000-5002\nfixup protocol pptp 1723\n"
	  "fixup protocol pptp 6000\n",
	  "Global policy:\n  Service-policy: (fixup)\n"
	  "    Class-map: fixup protocol pptp 1723 5000-5002 "
	  "6000\n" INSPECT_LINE },
	{ "policy-map global_policy\n class inspection_default\n"
	  "  inspect pptp\n",
	  "Global policy:\n  Service-policy: global_policy\n"
	  "    Class-map: inspection_default\n" INSPECT_LINE },
	{ "class-map vpn\n match port tcp eq 1723\npolicy-map p\n class vpn\n"
	  "  inspect pptp\nservice-policy p global\n",
	  "Global policy:\n  Service-policy: p\n"
	  "    Class-map: vpn\n" INSPECT_LINE },
	{ "class-map c\n match port tcp range 1723 1724\npolicy-map p\n"
	  " class c\n  inspect pptp\nservice-policy p interface outside\n",
	  "Interface outside:\n  Service-policy: p\n"
	  "    Class-map: c\n" INSPECT_LINE },
	/* all forms at once: global, interface, fixup, in that order */
	{ "fixup protocol pptp 1723\n"
	  "class-map c\n match port tcp eq 5000\npolicy-map p\n class c\n"
	  "  inspect pptp\nservice-policy p interface inside\n"
	  "policy-map global_policy\n class inspection_default\n"
	  "  inspect pptp\n",
	  "Global policy:\n  Service-policy: global_policy\n"
	  "    Class-map: inspection_default\n" INSPECT_LINE
	  "Interface inside:\n  Service-policy: p\n"
	  "    Class-map: c\n" INSPECT_LINE
	  "Global policy:\n  Service-policy: (fixup)\n"
	  "    Class-map: fixup protocol pptp 1723\n" INSPECT_LINE },
	{ "fixup protocol pptp 1723\nno fixup protocol pptp\n",
	  "PPTP inspection is not configured\n" },
	{ "fixup protocol ftp 21\n", "PPTP inspection is not configured\n" },
};

static const struct ph_pptp_counters some = { .packets = 31,
					      .drops = 2,
					      .reset_drops = 1 };

START_TEST(test_show_layout)
{
	char conf[1024], text[PH_SHOW_PPTP_LEN];
	struct ph_policy *pol;
	const char *totals;

	snprintf(conf, sizeof(conf), "%s%s", IFACES, layouts[_i].conf);
	pol = eh_parse(conf);
	ph_show_service_policy_pptp(pol, &some, text, sizeof(text));
	totals = strstr(text, "PPTP inspection totals");
	ck_assert_ptr_nonnull(totals);
	ck_assert_int_eq((int)(totals - text), (int)strlen(layouts[_i].blocks));
	ck_assert_int_eq(
		strncmp(text, layouts[_i].blocks, (size_t)(totals - text)), 0);
	ph_policy_free(pol);
}
END_TEST

/* Every counter lands on its own label: all values differ. */
START_TEST(test_show_details)
{
	struct ph_pptp_counters c = {
		.packets = 101,
		.drops = 102,
		.reset_drops = 103,
		.ctl_total = 1,
		.ctl_active = 2,
		.ctl_version = 3,
		.ctl_failed = 4,
		.calls_active = 5,
		.calls_total = 6,
		.calls_up = 7,
		.calls_refused = 8,
		.call_limit = 9,
		.callid_exhausted = 10,
		.calls_no_gre = 11,
		.msgs_inside = 12,
		.msgs_outside = 13,
		.malformed = 14,
		.state_errors = 15,
		.unknown_call = 16,
		.late = 17,
		.callid_rewrites = 18,
		.retransmits = 19,
		.bad_retransmits = 20,
		.ooo = 21,
		.holds = 22,
		.held_released = 23,
		.held_dropped = 24,
		.hold_given_up = 25,
		.hold_timeouts = 26,
		.hold_limit = 27,
		.gre_pkts = 28,
		.gre_translated = 29,
		.gre_no_call = 30,
		.gre_wrong_src = 31,
		.drop_reason = { [PH_R_PPTP_STATE] = 40,
				 [PH_R_GRE_WRONG_SRC] = 41 },
	};
	char text[PH_SHOW_PPTP_LEN];
	int n;

	n = ph_show_service_policy_pptp(NULL, &c, text, sizeof(text));
	ck_assert_str_eq(
		text,
		"PPTP inspection is not configured\n"
		"PPTP inspection totals (engine-wide, since start):\n"
		"  control-connections: inspected 1, active 2, "
		"version-stopped 3, failed 4\n"
		"  calls: active 5, total 6, up 7, no-gre-flow 11\n"
		"  calls-refused: 8, call-limit 9, callid-exhausted 10\n"
		"  messages: from-inside 12, from-outside 13, unknown-call 16, "
		"after-stop 17\n"
		"  message-drops: malformed 14, state-error 15\n"
		"  call-ids-translated: 18\n"
		"  segments: retransmits-rewritten 19, bad-retransmit 20, "
		"out-of-order 21\n"
		"  held: segments 22, released 23, dropped 24, given-up 25, "
		"hold-timeout 26, hold-limit 27\n"
		"  gre: packets 28, translated 29, denied-no-call 30, "
		"denied-wrong-source 31\n"
		"  drops: pptp-state 40, gre-wrong-source 41\n");
	ck_assert_int_eq(n, (int)strlen(text));
}
END_TEST

/* A short buffer: cut, NUL-terminated, the full length returned. */
START_TEST(test_show_short_buffer)
{
	char full[PH_SHOW_PPTP_LEN], small[40];
	int n = ph_show_service_policy_pptp(NULL, &some, full, sizeof(full));

	ck_assert_int_gt(n, (int)sizeof(small));
	ck_assert_int_eq(
		ph_show_service_policy_pptp(NULL, &some, small, sizeof(small)),
		n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, full, sizeof(small) - 1), 0);
	ck_assert_int_eq(ph_show_service_policy_pptp(NULL, &some, NULL, 0), n);
	ck_assert_int_eq(
		ph_show_service_policy_pptp(NULL, NULL, small, sizeof(small)),
		-1);
}
END_TEST

/* Debug is off by default and after being turned off: no line at all;
 * counters do not depend on it. */
START_TEST(test_debug_off)
{
	struct eh *h = eh_new(seed63, 0);
	static struct dbg d;
	struct client a = client(0);
	struct ph_pptp_counters c;

	memset(&d, 0, sizeof(d));
	control_up(h, &a, 1);
	call_request(h, &a, 0x4000, 2);
	ck_assert_uint_eq(d.n, 0);
	debug_on(h, &d);
	debug_off(h);
	call_reply(h, &a, 0x9000, 3);
	ck_assert_uint_eq(d.n, 0);
	ph_engine_pptp_counters(h->eng, &c);
	ck_assert_uint_eq(c.packets, 4);
	ck_assert_uint_eq(c.msgs_inside, 2);
	ck_assert_uint_eq(c.msgs_outside, 2);
	ck_assert_uint_eq(c.calls_up, 1);
	ph_engine_pptp_counters(NULL, &c);
	ck_assert_uint_eq(c.packets, 0);
	ph_engine_set_pptp_debug(NULL, dbg_sink, &d);
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pptp_show");
	TCase *tc = tcase_create("pptp_show");

	tcase_add_loop_test(tc, test_scenario, 0,
			    sizeof(scenarios) / sizeof(scenarios[0]));
	tcase_add_loop_test(tc, test_show_layout, 0,
			    sizeof(layouts) / sizeof(layouts[0]));
	tcase_add_test(tc, test_show_details);
	tcase_add_test(tc, test_show_short_buffer);
	tcase_add_test(tc, test_debug_off);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
