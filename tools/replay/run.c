/*
 * replay/run.c - drive the engine over the merged captures.
 *
 * The capture's timestamps are the engine's clock: ph_time_t is the
 * capture time in nanoseconds since the epoch, so an event's `when` is
 * also its wall-clock time (--timestamps prints it in UTC).  As capture
 * time advances, ph_engine_tick() runs once per simulated second, so idle
 * timeouts fire during the replay at the second they would have fired on
 * a gateway; after the last frame, --drain SECONDS keeps ticking that
 * long.  A gap longer than RP_GAP_TICKS seconds is ticked in coarser
 * whole-second steps (the engine's expiry is bounded per tick, so the
 * count of ticks matters more than their spacing).
 *
 * Every frame ends in exactly one bucket: skipped (not IPv4), accepted
 * (maybe rewritten), dropped with a reason, or still held at the end; a
 * held packet is counted once, when the engine releases it (accepted or
 * dropped).  rp_stats_print() checks that the buckets add up.  Released
 * packets are written before the packet whose arrival released them, so
 * the output keeps the stream order, with the release time as timestamp.
 *
 * --trace writes one line per fate:
 *	TIME IFACE#FRAME accept OUT#N [rewritten] | accept to-gateway
 *	TIME IFACE#FRAME drop REASON
 *	TIME IFACE#FRAME hold
 *	TIME IFACE#FRAME release OUT#N [rewritten] | release-drop REASON
 *	TIME IFACE#FRAME skip CAUSE
 * FRAME is the frame number in its input file and N the packet's position
 * among those leaving OUT (its frame number in OUT's capture), so tools
 * (tools/gen/phgen.py) can pair every input frame with its output.
 *
 * Known limits: events are printed in the order the engine emits them;
 * events whose text does not fit in RP_LINE_MAX bytes are truncated.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pinhole/engine.h>
#include <pinhole/event.h>
#include <pinhole/reason.h>

#include "config/model.h"
#include "log/format.h"
#include "replay.h"

#define RP_LINE_MAX  2048
#define RP_GAP_TICKS (1u << 20) /* ticks per gap before coarser steps */

/* A frame as the trace names it. */
struct rp_ident {
	uint16_t ifidx;
	unsigned input;
	uint64_t frameno;
};

/* A packet the engine holds: what we need to write it on release. */
struct rp_held {
	uint64_t token;
	struct rp_ident id;
	struct rp_l2 l2;
};

struct rp_run {
	struct ph_engine *eng;
	const struct ph_policy *pol;
	struct rp_inputs *in;
	struct rp_outputs *out;
	const struct rp_run_opts *o;
	struct rp_stats *st;
	struct ph_log_fmt fmt;
	char devid[64];
	ph_time_t now, next_tick;
	uint64_t token;
	struct rp_held *held;
	size_t n_held, cap_held;
	bool inputs_shared[PH_IF_MAX]; /* several inputs on this interface */
	char *err;
	size_t errlen;
	int fail; /* exit code of the first failure, 0 none */
};

/* --- events ------------------------------------------------------------------ */

static void
rp_emit(void *arg, const struct ph_event *ev)
{
	struct rp_run *r = arg;
	struct ph_log_fmt fmt = r->fmt;
	char line[RP_LINE_MAX];
	time_t sec;
	int n;

	r->st->events++;
	if (!ph_event_level_filter(ev, r->o->level))
		return;
	if (fmt.timestamp) {
		sec = (time_t)(ev->when.ns / PH_NSEC_PER_SEC);
		gmtime_r(&sec, &fmt.wall);
	}
	n = ph_event_format(ev, &fmt, line, sizeof(line));
	if (n < 0) {
		r->st->internal++;
		fprintf(r->o->log,
			"pinhole-replay: event %" PRIu32
			" cannot be formatted\n",
			ev->id);
		return;
	}
	fprintf(r->o->log, "%s\n", line);
	r->st->printed++;
}

/* `logging device-id`: the identifier put in front of each line. */
static void
rp_fmt_init(struct rp_run *r)
{
	const struct ph_logging *lg = &r->pol->logging;
	uint32_t a;

	r->fmt.asa_prefix = lg->asa_prefix;
	r->fmt.timestamp = r->o->timestamps;
	switch (lg->devid_kind) {
	case PH_DEVID_HOSTNAME:
		snprintf(r->devid, sizeof(r->devid), "%s", r->pol->hostname);
		break;
	case PH_DEVID_STRING:
		snprintf(r->devid, sizeof(r->devid), "%s", lg->devid);
		break;
	case PH_DEVID_IPADDRESS:
		a = lg->devid_if < r->pol->n_ifaces
			    ? r->pol->ifaces[lg->devid_if].addr
			    : 0;
		snprintf(r->devid, sizeof(r->devid), "%u.%u.%u.%u", a >> 24,
			 (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
		break;
	default:
		r->devid[0] = '\0';
	}
	r->fmt.device_id = r->devid[0] != '\0' ? r->devid : NULL;
}

/* --- trace ---------------------------------------------------------------------- */

static const char *
rp_ifname(const struct rp_run *r, uint16_t ifidx)
{
	return ifidx < r->pol->n_ifaces ? r->pol->ifaces[ifidx].name : "?";
}

/* "TIME IFACE#FRAME " */
static void
rp_trace_head(struct rp_run *r, const struct rp_ident *id)
{
	fprintf(r->o->trace, "%" PRIu64 ".%09" PRIu64 " %s#%" PRIu64 " ",
		(uint64_t)(r->now.ns / PH_NSEC_PER_SEC),
		(uint64_t)(r->now.ns % PH_NSEC_PER_SEC),
		rp_ifname(r, id->ifidx), id->frameno);
}

static void
rp_trace_tail(struct rp_run *r, const struct rp_ident *id)
{
	if (r->inputs_shared[id->ifidx])
		fprintf(r->o->trace, " in=%s",
			rp_inputs_path(r->in, id->input));
	fputc('\n', r->o->trace);
}

static void
rp_trace(struct rp_run *r, const struct rp_ident *id, const char *verb,
	 const char *arg)
{
	if (r->o->trace == NULL)
		return;
	rp_trace_head(r, id);
	fprintf(r->o->trace, "%s%s%s", verb, arg ? " " : "", arg ? arg : "");
	rp_trace_tail(r, id);
}

static void
rp_trace_out(struct rp_run *r, const struct rp_ident *id, const char *verb,
	     uint16_t oif, bool modified)
{
	if (r->o->trace == NULL)
		return;
	rp_trace_head(r, id);
	fprintf(r->o->trace, "%s %s#%" PRIu64 "%s", verb, rp_ifname(r, oif),
		r->st->out[oif], modified ? " rewritten" : "");
	rp_trace_tail(r, id);
}

/* --- verdicts -------------------------------------------------------------------- */

static void
rp_internal(struct rp_run *r, const char *what)
{
	r->st->internal++;
	if (r->fail == 0) {
		snprintf(r->err, r->errlen, "engine contract violated: %s",
			 what);
		r->fail = RP_EXIT_INTERNAL;
	}
}

/* An accepted packet: count it, write it to its egress capture. */
static void
rp_deliver(struct rp_run *r, const struct rp_ident *id, const struct rp_l2 *l2,
	   const uint8_t *data, size_t len, const struct ph_pkt_out *po,
	   const char *verb)
{
	uint16_t oif = po->out_ifidx;
	int rc;

	if (oif == PH_IF_NONE) {
		/* addressed to the gateway itself: delivered, not forwarded */
		r->st->accepted++;
		r->st->rewritten += po->modified;
		r->st->to_gateway++;
		rp_trace(r, id, verb, "to-gateway");
		return;
	}
	if (oif >= r->pol->n_ifaces || oif >= PH_IF_MAX) {
		rp_internal(r, "accepted packet for an unknown interface");
		return;
	}
	r->st->accepted++;
	r->st->rewritten += po->modified;
	r->st->out[oif]++;
	rp_trace_out(r, id, verb, oif, po->modified);
	rc = rp_outputs_write(r->out, oif, l2, data, len, r->now, r->err,
			      r->errlen);
	if (rc < 0 && r->fail == 0)
		r->fail = RP_EXIT_IO;
	r->st->written[oif] += rc > 0;
}

static void
rp_drop(struct rp_run *r, const struct rp_ident *id, uint16_t reason,
	const char *verb)
{
	if (reason >= PH_R_MAX)
		reason = PH_R_NONE; /* counted as "none": a contract error */
	if (reason == PH_R_NONE)
		r->st->internal++;
	r->st->dropped[reason]++;
	r->st->dropped_total++;
	rp_trace(r, id, verb, ph_reason_name(reason));
}

static int
rp_hold(struct rp_run *r, uint64_t token, const struct rp_ident *id,
	const struct rp_l2 *l2)
{
	if (r->n_held == r->cap_held) {
		size_t cap = r->cap_held ? 2 * r->cap_held : 16;
		struct rp_held *h = reallocarray(r->held, cap, sizeof(*h));

		if (h == NULL)
			return -ENOMEM;
		r->held = h;
		r->cap_held = cap;
	}
	r->held[r->n_held].token = token;
	r->held[r->n_held].id = *id;
	r->held[r->n_held].l2 = *l2;
	r->n_held++;
	r->st->held++;
	rp_trace(r, id, "hold", NULL);
	return 0;
}

/* Find and forget the held record of token; false if there is none. */
static bool
rp_unhold(struct rp_run *r, uint64_t token, struct rp_held *out)
{
	for (size_t i = 0; i < r->n_held; i++) {
		if (r->held[i].token != token)
			continue;
		*out = r->held[i];
		memmove(&r->held[i], &r->held[i + 1],
			(r->n_held - i - 1) * sizeof(r->held[0]));
		r->n_held--;
		return true;
	}
	return false;
}

/* Write or count every packet the engine has released. */
static void
rp_drain_released(struct rp_run *r)
{
	struct ph_pkt_released rel;
	struct rp_held h;

	while (ph_engine_release(r->eng, &rel)) {
		if (!rp_unhold(r, rel.token, &h)) {
			rp_internal(r, "released a packet it did not hold");
			continue;
		}
		r->st->released++;
		if (rel.out.verdict == PH_VERDICT_ACCEPT)
			rp_deliver(r, &h.id, &h.l2, rel.data, rel.len, &rel.out,
				   "release");
		else if (rel.out.verdict == PH_VERDICT_DROP)
			rp_drop(r, &h.id, rel.out.reason, "release-drop");
		else
			rp_internal(r, "released packet still on hold");
	}
}

/* --- the clock ---------------------------------------------------------------- */

/* Tick once per simulated second up to t, then set the clock to t. */
static void
rp_clock_to(struct rp_run *r, ph_time_t t)
{
	uint64_t step = PH_NSEC_PER_SEC;

	if (t.ns > r->next_tick.ns &&
	    (t.ns - r->next_tick.ns) / PH_NSEC_PER_SEC > RP_GAP_TICKS) {
		step = (t.ns - r->next_tick.ns) / RP_GAP_TICKS;
		step += PH_NSEC_PER_SEC - step % PH_NSEC_PER_SEC;
	}
	while (r->next_tick.ns <= t.ns) {
		r->now = r->next_tick;
		ph_engine_tick(r->eng, r->now);
		r->st->ticks++;
		rp_drain_released(r);
		r->next_tick.ns += step;
	}
	if (step != PH_NSEC_PER_SEC)
		r->next_tick.ns = t.ns + PH_NSEC_PER_SEC;
	if (t.ns > r->now.ns)
		r->now = t;
}

/* --- one frame -------------------------------------------------------------------- */

static int
rp_feed(struct rp_run *r, struct rp_frame *f)
{
	struct rp_ident id = { f->ifidx, f->input, f->frameno };
	struct ph_pkt_in pin = { 0 };
	struct ph_pkt_out po = { 0 };
	int rc;

	r->st->frames[f->ifidx]++;
	if (f->ts.ns < r->now.ns)
		r->st->reordered++;
	else
		rp_clock_to(r, f->ts);
	if (f->skip != RP_SKIP_NONE) {
		r->st->skipped[f->ifidx][f->skip]++;
		rp_trace(r, &id, "skip", rp_skip_name(f->skip));
		return 0;
	}
	r->st->ipv4[f->ifidx]++;
	pin.data = f->ip;
	pin.len = f->ip_len;
	pin.ifidx = f->ifidx;
	pin.token = ++r->token;
	rc = ph_engine_process(r->eng, &pin, r->now, &po);
	if (rc < 0) {
		snprintf(r->err, r->errlen, "engine: %s", strerror(-rc));
		return RP_EXIT_INTERNAL;
	}
	switch (po.verdict) {
	case PH_VERDICT_ACCEPT:
		rp_drain_released(r);
		rp_deliver(r, &id, &f->l2, f->ip, f->ip_len, &po, "accept");
		break;
	case PH_VERDICT_DROP:
		rp_drop(r, &id, po.reason, "drop");
		rp_drain_released(r);
		break;
	case PH_VERDICT_HOLD:
		if (rp_hold(r, pin.token, &id, &f->l2) != 0) {
			snprintf(r->err, r->errlen, "%s", strerror(ENOMEM));
			return RP_EXIT_INTERNAL;
		}
		rp_drain_released(r);
		break;
	default:
		rp_internal(r, "unknown verdict");
	}
	return r->fail;
}

/* --- the run ----------------------------------------------------------------------- */

static int
rp_run_init(struct rp_run *r, const struct ph_policy *pol)
{
	struct ph_engine_opts eo = { 0 };
	ph_time_t first = { 0 };
	int rc;

	rp_fmt_init(r);
	eo.seed[0] = r->o->seed[0];
	eo.seed[1] = r->o->seed[1];
	eo.emit = rp_emit;
	eo.emit_arg = r;
	r->eng = ph_engine_new(&eo);
	if (r->eng == NULL) {
		snprintf(r->err, r->errlen, "engine: %s", strerror(errno));
		return RP_EXIT_INTERNAL;
	}
	rp_inputs_peek(r->in, &first);
	r->now = first;
	r->next_tick = ph_time_add_sec(first, 1);
	rc = ph_engine_set_policy(r->eng, pol, first);
	if (rc < 0) {
		snprintf(r->err, r->errlen, "engine: policy: %s",
			 strerror(-rc));
		return RP_EXIT_INTERNAL;
	}
	return RP_EXIT_OK;
}

static int
rp_run_loop(struct rp_run *r)
{
	struct rp_frame f;
	int rc;

	while ((rc = rp_inputs_next(r->in, &f, r->err, r->errlen)) > 0) {
		rc = rp_feed(r, &f);
		if (rc != 0)
			return rc;
	}
	if (rc < 0)
		return RP_EXIT_IO;
	if (r->o->drain_sec > 0)
		rp_clock_to(r, ph_time_add_sec(r->now, r->o->drain_sec));
	r->st->held_at_end = r->n_held;
	return r->fail;
}

int
rp_run(const struct ph_policy *pol, struct rp_inputs *in,
       struct rp_outputs *out, const struct rp_run_opts *o, struct rp_stats *st,
       char *err, size_t errlen)
{
	struct rp_run r = { 0 };
	int rc;

	r.pol = pol;
	r.in = in;
	r.out = out;
	r.o = o;
	r.st = st;
	r.err = err;
	r.errlen = errlen;
	for (uint16_t i = 0; i < pol->n_ifaces && i < PH_IF_MAX; i++)
		r.inputs_shared[i] = rp_inputs_count(in, i) > 1;
	rc = rp_run_init(&r, pol);
	if (rc == RP_EXIT_OK)
		rc = rp_run_loop(&r);
	if (r.eng != NULL)
		ph_engine_free(r.eng);
	free(r.held);
	return rc;
}

/* --- summary -------------------------------------------------------------------------- */

static void
rp_stats_ifaces(FILE *f, const struct ph_policy *pol, const struct rp_stats *st)
{
	uint64_t t[5] = { 0 };

	fprintf(f, "%-16s %9s %9s %9s %9s %9s\n", "interface", "frames",
		"skipped", "ipv4", "out", "written");
	for (size_t i = 0; i < pol->n_ifaces && i < PH_IF_MAX; i++) {
		uint64_t sk = 0;

		for (unsigned s = 0; s < RP_SKIP_MAX; s++)
			sk += st->skipped[i][s];
		fprintf(f,
			"%-16s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %9" PRIu64 "\n",
			pol->ifaces[i].name, st->frames[i], sk, st->ipv4[i],
			st->out[i], st->written[i]);
		t[0] += st->frames[i];
		t[1] += sk;
		t[2] += st->ipv4[i];
		t[3] += st->out[i];
		t[4] += st->written[i];
	}
	fprintf(f,
		"%-16s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
		" %9" PRIu64 "\n",
		"total", t[0], t[1], t[2], t[3], t[4]);
}

static void
rp_stats_causes(FILE *f, const struct ph_policy *pol, const struct rp_stats *st)
{
	uint64_t sk[RP_SKIP_MAX] = { 0 };
	bool any = false;

	if (st->dropped_total > 0)
		fprintf(f, "dropped by reason:\n");
	for (unsigned i = 0; i < PH_R_MAX; i++)
		if (st->dropped[i] > 0)
			fprintf(f, "  %-24s %9" PRIu64 "\n", ph_reason_name(i),
				st->dropped[i]);
	for (size_t i = 0; i < pol->n_ifaces && i < PH_IF_MAX; i++)
		for (unsigned s = 1; s < RP_SKIP_MAX; s++) {
			sk[s] += st->skipped[i][s];
			any |= st->skipped[i][s] > 0;
		}
	if (any)
		fprintf(f, "skipped by cause:\n");
	for (unsigned s = 1; s < RP_SKIP_MAX; s++)
		if (sk[s] > 0)
			fprintf(f, "  %-24s %9" PRIu64 "\n", rp_skip_name(s),
				sk[s]);
}

bool
rp_stats_print(FILE *f, const struct ph_policy *pol, const struct rp_stats *st,
	       int level)
{
	uint64_t ipv4 = 0;
	bool ok;

	for (size_t i = 0; i < pol->n_ifaces && i < PH_IF_MAX; i++)
		ipv4 += st->ipv4[i];
	rp_stats_ifaces(f, pol, st);
	fprintf(f,
		"accepted %" PRIu64 " (rewritten %" PRIu64 ", to the "
		"gateway %" PRIu64 "), dropped %" PRIu64 ", held %" PRIu64
		" (released %" PRIu64 ", still held %" PRIu64 ")\n",
		st->accepted, st->rewritten, st->to_gateway, st->dropped_total,
		st->held, st->released, st->held_at_end);
	rp_stats_causes(f, pol, st);
	if (st->reordered > 0)
		fprintf(f, "frames older than the clock: %" PRIu64 "\n",
			st->reordered);
	fprintf(f, "events %" PRIu64 ", printed %" PRIu64 " (level %d)\n",
		st->events, st->printed, level);
	ok = ipv4 == st->accepted + st->dropped_total + st->held_at_end &&
	     st->internal == 0;
	fprintf(f,
		"check: ipv4 %" PRIu64 " = accepted %" PRIu64
		" + dropped %" PRIu64 " + still held %" PRIu64 ": %s\n",
		ipv4, st->accepted, st->dropped_total, st->held_at_end,
		ok ? "ok" : "MISMATCH");
	return ok;
}
