/*
 * daemon/show_stats.c - `show counters`, `show version` and `show
 * service-policy inspect pptp` on the control socket; `show logging` and
 * `clear logging` are logsink.c's handlers, registered here.
 *
 * Counters come from three places: the engine (ph_engine_counters(): the
 * packet accounting, per-reason drops, table gauges), the queue
 * (ph_nfq_stats() and the kernel's own drop counters, ph_nfq_kstats();
 * with --queues N > 1 the totals, then one line per queue: a worker's
 * counters are the copy it published at its last batch or 1-second
 * tick) and the daemon (packets it dropped before the engine, held packets,
 * reloads).  `clear counters` records a baseline; what is shown is the
 * difference (gauges such as "in use" are never reset).
 *
 * `show service-policy inspect pptp` prints the engine's PPTP counters
 * (ph_engine_pptp_counters()) in ph_show_service_policy_pptp()'s layout.
 *
 * `clear counters` leaves the PPTP inspection counters alone: as on an
 * ASA, `clear service-policy` (cmds.c) zeroes them.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pinhole/event.h>

#include "core/json.h"
#include "daemon/logsink.h"
#include "daemon/nft.h"
#include "daemon/show.h"

#ifndef PH_VERSION_STRING
#define PH_VERSION_STRING "0.1.0"
#endif

static uint64_t
sub(uint64_t now, uint64_t base)
{
	return now >= base ? now - base : 0;
}

/* ---- show counters ---------------------------------------------------- */

/* A named counter: text label, JSON key, value. */
struct kv {
	const char *label;
	const char *key;
	uint64_t v;
};

/* The members of an open JSON object, or the text lines. */
static void
put_kvs_body(struct ph_ctl_reply *r, const struct ph_ctl_request *req,
	     const struct kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (req->json)
			ph_json_u64(ph_ctl_reply_json(r), kv[i].key, kv[i].v);
		else
			ph_ctl_reply_printf(r, "  %-28s %llu\n", kv[i].label,
					    (unsigned long long)kv[i].v);
	}
}

static void
put_kvs(struct ph_ctl_reply *r, const struct ph_ctl_request *req,
	const char *title, const char *key, const struct kv *kv, size_t n)
{
	if (req->json)
		ph_json_obj_begin(ph_ctl_reply_json(r), key);
	else
		ph_ctl_reply_printf(r, "%s\n", title);
	put_kvs_body(r, req, kv, n);
	if (req->json)
		ph_json_obj_end(ph_ctl_reply_json(r));
}

static void
engine_counters(struct ph_daemon *d, const struct ph_ctl_request *req,
		struct ph_ctl_reply *r, const struct ph_engine_counters *c)
{
	const struct ph_engine_counters *b = &d->eng_base;
	const struct kv kv[] = {
		{ "packets in", "pkts_in", sub(c->pkts_in, b->pkts_in) },
		{ "accepted", "pkts_accepted",
		  sub(c->pkts_accepted, b->pkts_accepted) },
		{ "dropped", "pkts_dropped",
		  sub(c->pkts_dropped, b->pkts_dropped) },
		{ "held", "pkts_held", sub(c->pkts_held, b->pkts_held) },
		{ "rewritten", "pkts_rewritten",
		  sub(c->pkts_rewritten, b->pkts_rewritten) },
		{ "to the gateway", "pkts_to_box",
		  sub(c->pkts_to_box, b->pkts_to_box) },
		{ "released from hold", "pkts_released",
		  sub(c->pkts_released, b->pkts_released) },
		{ "bytes in", "bytes_in", sub(c->bytes_in, b->bytes_in) },
		{ "connections built", "conns_built",
		  sub(c->conns_built, b->conns_built) },
		{ "connections torn down", "conns_torn_down",
		  sub(c->conns_torn_down, b->conns_torn_down) },
		{ "connections in use", "conns_in_use", c->conns_in_use },
		{ "connections most used", "conns_most_used",
		  c->conns_most_used },
		{ "connection limit", "conns_max", c->conns_max },
		{ "translations built", "xlates_built",
		  sub(c->xlates_built, b->xlates_built) },
		{ "translations torn down", "xlates_torn_down",
		  sub(c->xlates_torn_down, b->xlates_torn_down) },
		{ "translations in use", "xlates_in_use", c->xlates_in_use },
		{ "translation limit", "xlates_max", c->xlates_max },
		{ "static translations", "statics", c->statics },
		{ "fragments tracked", "frags_in_use", c->frags_in_use },
		{ "fragment table full", "frags_full",
		  sub(c->frags_full, b->frags_full) },
		{ "events", "events", sub(c->events, b->events) },
	};

	put_kvs(r, req, "Engine:", "engine", kv, sizeof(kv) / sizeof(kv[0]));
}

static void
drop_reasons(struct ph_daemon *d, const struct ph_ctl_request *req,
	     struct ph_ctl_reply *r, const struct ph_engine_counters *c)
{
	struct ph_json *j = ph_ctl_reply_json(r);

	if (req->json)
		ph_json_obj_begin(j, "drops");
	else
		ph_ctl_reply_printf(r, "Drops by reason:\n");
	for (unsigned i = 1; i < PH_R_MAX; i++) {
		uint64_t v = sub(c->drops[i], d->eng_base.drops[i]);

		if (req->json)
			ph_json_u64(j, ph_reason_name(i), v);
		else if (v != 0)
			ph_ctl_reply_printf(
				r, "  %-28s %llu  %s\n", ph_reason_name(i),
				(unsigned long long)v, ph_reason_text(i));
	}
	if (req->json)
		ph_json_obj_end(j);
}

/*
 * The counters of struct ph_nfq_stats, in `show counters` order: text
 * label, JSON key (the field's name), where: the one list behind the
 * baseline subtraction, the sum over the queues and the output.
 */
static const struct nfq_field {
	const char *label;
	const char *key;
	size_t off;
} nfq_fields[] = {
#define NFQ_FIELD(label, f)                                 \
	{                                                   \
		label, #f, offsetof(struct ph_nfq_stats, f) \
	}
	NFQ_FIELD("received", received),
	NFQ_FIELD("accepted", accepted),
	NFQ_FIELD("dropped", dropped),
	NFQ_FIELD("rewritten", modified),
	NFQ_FIELD("deferred", deferred),
	NFQ_FIELD("checksums completed", csum_completed),
	NFQ_FIELD("truncated rewrites dropped", truncated_mod),
	NFQ_FIELD("malformed messages", malformed),
	NFQ_FIELD("socket overruns (ENOBUFS)", enobufs),
	NFQ_FIELD("verdict errors", verdict_errors),
	NFQ_FIELD("send errors", send_errors),
	NFQ_FIELD("reads", reads),
	NFQ_FIELD("verdict messages", verdict_msgs),
#undef NFQ_FIELD
};

#define N_NFQ_FIELDS (sizeof(nfq_fields) / sizeof(nfq_fields[0]))

/* a counter added to the struct but not to the list fails here */
_Static_assert(sizeof(struct ph_nfq_stats) == N_NFQ_FIELDS * sizeof(uint64_t),
	       "NFQ_FIELDS must list every counter of struct ph_nfq_stats");

/* Counter i (of nfq_fields) of s. */
static uint64_t *
nfq_at(struct ph_nfq_stats *s, size_t i)
{
	return (uint64_t *)(void *)((char *)s + nfq_fields[i].off);
}

/* Queue i's counters since `clear counters`, with the kernel's own. */
static void
queue_delta(struct ph_daemon *d, size_t i, struct ph_nfq_stats *s,
	    struct ph_nfq_kstats *ks)
{
	pd_queue_stats(d, i, s);
	memset(ks, 0, sizeof(*ks));
	ph_nfq_kstats(d->q[i].num, ks);
	for (size_t f = 0; f < N_NFQ_FIELDS; f++)
		*nfq_at(s, f) = sub(*nfq_at(s, f), *nfq_at(&d->q[i].base, f));
}

/* With --queues N > 1: one line (text) or object (JSON) per queue. */
static void
queue_table(struct ph_daemon *d, const struct ph_ctl_request *req,
	    struct ph_ctl_reply *r, const struct ph_nfq_stats *s,
	    const struct ph_nfq_kstats *ks)
{
	struct ph_json *j = ph_ctl_reply_json(r);

	if (req->json)
		ph_json_arr_begin(j, "queues");
	else
		ph_ctl_reply_printf(r,
				    "  %-7s %12s %12s %10s %10s %8s %8s "
				    "%8s\n",
				    "queue", "received", "accepted", "dropped",
				    "rewritten", "reads", "enobufs", "k-drops");
	for (size_t i = 0; i < d->n_q; i++) {
		if (!req->json) {
			ph_ctl_reply_printf(
				r,
				"  %-7u %12llu %12llu %10llu %10llu %8llu "
				"%8llu %8llu\n",
				d->q[i].num, (unsigned long long)s[i].received,
				(unsigned long long)s[i].accepted,
				(unsigned long long)s[i].dropped,
				(unsigned long long)s[i].modified,
				(unsigned long long)s[i].reads,
				(unsigned long long)s[i].enobufs,
				(unsigned long long)(ks[i].queue_dropped +
						     ks[i].user_dropped));
			continue;
		}
		ph_json_obj_begin(j, NULL);
		ph_json_u64(j, "num", d->q[i].num);
		ph_json_u64(j, "received", s[i].received);
		ph_json_u64(j, "accepted", s[i].accepted);
		ph_json_u64(j, "dropped", s[i].dropped);
		ph_json_u64(j, "modified", s[i].modified);
		ph_json_u64(j, "deferred", s[i].deferred);
		ph_json_u64(j, "reads", s[i].reads);
		ph_json_u64(j, "enobufs", s[i].enobufs);
		ph_json_u64(j, "kernel_queue_dropped", ks[i].queue_dropped);
		ph_json_u64(j, "kernel_user_dropped", ks[i].user_dropped);
		ph_json_obj_end(j);
	}
	if (req->json)
		ph_json_arr_end(j);
}

static void
queue_counters(struct ph_daemon *d, const struct ph_ctl_request *req,
	       struct ph_ctl_reply *r)
{
	struct ph_nfq_stats qs[PH_DAEMON_QUEUES_MAX], s = { 0 };
	struct ph_nfq_kstats qk[PH_DAEMON_QUEUES_MAX], ks = { 0 };
	char title[128], range[16] = "";
	struct kv kv[N_NFQ_FIELDS + 3];
	size_t n = 0;

	for (size_t i = 0; i < d->n_q; i++) {
		queue_delta(d, i, &qs[i], &qk[i]);
		for (size_t f = 0; f < N_NFQ_FIELDS; f++)
			*nfq_at(&s, f) += *nfq_at(&qs[i], f);
		ks.queue_total += qk[i].queue_total;
		ks.queue_dropped += qk[i].queue_dropped;
		ks.user_dropped += qk[i].user_dropped;
	}
	for (; n < N_NFQ_FIELDS; n++)
		kv[n] = (struct kv){ nfq_fields[n].label, nfq_fields[n].key,
				     *nfq_at(&s, n) };
	kv[n++] = (struct kv){ "kernel: waiting", "kernel_waiting",
			       ks.queue_total };
	kv[n++] = (struct kv){ "kernel: dropped, queue full",
			       "kernel_queue_dropped", ks.queue_dropped };
	kv[n++] = (struct kv){ "kernel: dropped, socket full",
			       "kernel_user_dropped", ks.user_dropped };

	if (d->n_q > 1)
		snprintf(range, sizeof(range), "-%zu",
			 d->cfg->queue + d->n_q - 1);
	snprintf(title, sizeof(title),
		 "NFQUEUE %u%s (%s, %s%s):", d->cfg->queue, range,
		 ph_nft_method_name(ph_nft_method(d->nft)),
		 d->cfg->fail_open ? "fail-open" : "fail-closed",
		 d->n_q > 1 ? ", CPU fanout; totals" : "");
	if (req->json)
		ph_json_obj_begin(ph_ctl_reply_json(r), "queue");
	else
		ph_ctl_reply_printf(r, "%s\n", title);
	put_kvs_body(r, req, kv, n);
	if (d->n_q > 1)
		queue_table(d, req, r, qs, qk);
	if (req->json)
		ph_json_obj_end(ph_ctl_reply_json(r));
}

static void
daemon_counters(struct ph_daemon *d, const struct ph_ctl_request *req,
		struct ph_ctl_reply *r)
{
	const struct pd_counters *c = &d->ctr, *b = &d->ctr_base;
	const struct kv kv[] = {
		{ "unknown interface drops", "unknown_if",
		  sub(c->unknown_if, b->unknown_if) },
		{ "shutdown interface drops", "shutdown_if",
		  sub(c->shutdown_if, b->shutdown_if) },
		{ "non-IPv4 drops", "not_ipv4", sub(c->not_ipv4, b->not_ipv4) },
		{ "held (deferred)", "held", sub(c->held, b->held) },
		{ "held released", "released", sub(c->released, b->released) },
		{ "held expired (dropped)", "held_expired",
		  sub(c->held_expired, b->held_expired) },
		{ "held untracked", "held_untracked",
		  sub(c->held_untracked, b->held_untracked) },
		{ "held in the kernel now", "held_now", pd_held_now(d) },
		{ "verdict errors (held)", "verdict_errors",
		  sub(c->verdict_errors, b->verdict_errors) },
		{ "reloads", "reloads", sub(c->reloads, b->reloads) },
		{ "reloads failed", "reload_failures",
		  sub(c->reload_failures, b->reload_failures) },
	};

	put_kvs(r, req, "Daemon:", "daemon", kv, sizeof(kv) / sizeof(kv[0]));
}

/* Overload shedding (shed.c): the rule's rate and what it dropped. */
static void
shed_counters(struct ph_daemon *d, const struct ph_ctl_request *req,
	      struct ph_ctl_reply *r)
{
	struct pd_shed_info si;
	char title[128], standby[40];

	pd_shed_info(d, &si);
	const struct kv kv[] = {
		{ "limit (pps, 0: no rule)", "rate", si.rate },
		{ "packets shed (since the table was built)", "shed", si.shed },
		{ "of which by the BPF program", "prog_shed", si.prog_shed },
		{ "of those, of known flows", "prog_shed_known",
		  si.prog_shed_known },
		{ "times the BPF program was attached", "prog_attaches",
		  si.prog_attaches },
		{ "times shedding started", "starts", si.starts },
		{ "capacity estimate (pps)", "capacity", si.capacity },
		{ "handed to the daemon, last interval (pps)", "last_passed",
		  si.last_passed },
		{ "rate changes", "changes", si.changes },
		{ "errors", "errors", si.errors },
	};

	snprintf(standby, sizeof(standby), ", %s when shedding",
		 si.prog != NULL ? si.prog : "");
	snprintf(title, sizeof(title), "Overload shedding (%s, at %s%s%s%s):",
		 pd_shed_mode_name(si.mode), si.hook,
		 si.prog != NULL && strcmp(si.prog, si.hook) != 0 ? standby
								  : "",
		 si.kernel_err != 0 ? ", refused by the kernel" : "",
		 si.active ? ", shedding now" : "");
	put_kvs(r, req, title, "shed", kv, sizeof(kv) / sizeof(kv[0]));
}

static int
h_show_counters(void *arg, const struct ph_ctl_request *req,
		struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	struct ph_engine_counters c;

	ph_engine_counters(d->eng, &c);
	if (req->json)
		ph_json_obj_begin(ph_ctl_reply_json(r), NULL);
	engine_counters(d, req, r, &c);
	drop_reasons(d, req, r, &c);
	queue_counters(d, req, r);
	shed_counters(d, req, r);
	daemon_counters(d, req, r);
	if (req->json)
		ph_json_obj_end(ph_ctl_reply_json(r));
	return PH_CTL_OK;
}

/* ---- show version ----------------------------------------------------- */

static void
version_ifaces(struct ph_daemon *d, const struct ph_ctl_request *req,
	       struct ph_ctl_reply *r)
{
	struct ph_json *j = ph_ctl_reply_json(r);

	if (req->json)
		ph_json_arr_begin(j, "interfaces");
	else
		ph_ctl_reply_printf(r, "Interfaces:\n");
	for (size_t i = 0; i < d->n_ifs; i++) {
		const struct ph_iface *f = &d->pol->ifaces[i];
		const struct pd_iface *p = &d->ifs[i];

		if (!req->json) {
			ph_ctl_reply_printf(r,
					    "  %-12s hardware %s, Linux %s "
					    "(ifindex %u), security %u%s\n",
					    f->name, f->hwid,
					    p->name[0] ? p->name : "-",
					    p->ifindex, f->security,
					    p->shutdown ? ", shutdown" : "");
			continue;
		}
		ph_json_obj_begin(j, NULL);
		ph_json_str(j, "name", f->name);
		ph_json_str(j, "hwid", f->hwid);
		ph_json_str(j, "linux", p->name);
		ph_json_u64(j, "ifindex", p->ifindex);
		ph_json_u64(j, "security", f->security);
		ph_json_bool(j, "shutdown", p->shutdown);
		ph_json_bool(j, "queued", p->managed);
		ph_json_obj_end(j);
	}
	if (req->json)
		ph_json_arr_end(j);
}

static int
h_show_version(void *arg, const struct ph_ctl_request *req,
	       struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	uint64_t up = ph_time_sec_between(d->started, pd_now());
	struct ph_json *j = ph_ctl_reply_json(r);
	char since[64];
	struct tm tm;

	localtime_r(&d->started_wall, &tm);
	strftime(since, sizeof(since), "%b %d %Y %H:%M:%S", &tm);
	if (req->json) {
		ph_json_obj_begin(j, NULL);
		ph_json_str(j, "version", PH_VERSION_STRING);
		ph_json_u64(j, "uptime_sec", up);
		ph_json_str(j, "started", since);
		ph_json_str(j, "rules", d->cfg->file);
		ph_json_str(j, "hostname", d->pol->hostname);
		ph_json_u64(j, "queue", d->cfg->queue);
		ph_json_str(j, "queue_method",
			    ph_nft_method_name(ph_nft_method(d->nft)));
		ph_json_bool(j, "fail_open", d->cfg->fail_open);
		ph_json_u64(j, "owned_addresses", d->n_addrs);
	} else {
		ph_ctl_reply_printf(
			r,
			"pinholed %s\nUp %llud %02llu:%02llu:%02llu "
			"(since %s)\nRules: %s (hostname %s)\n"
			"Queue %u (%s), %s\nOwned addresses: %zu\n",
			PH_VERSION_STRING, (unsigned long long)(up / 86400),
			(unsigned long long)(up / 3600 % 24),
			(unsigned long long)(up / 60 % 60),
			(unsigned long long)(up % 60), since, d->cfg->file,
			d->pol->hostname, d->cfg->queue,
			ph_nft_method_name(ph_nft_method(d->nft)),
			d->cfg->fail_open ? "fail-open" : "fail-closed",
			d->n_addrs);
	}
	version_ifaces(d, req, r);
	if (req->json)
		ph_json_obj_end(j);
	return PH_CTL_OK;
}

/* ---- show service-policy inspect pptp --------------------------------- */

/* The JSON form: every counter of struct ph_pptp_counters. */
static void
pptp_json(struct ph_json *j, const struct ph_policy *pol,
	  const struct ph_pptp_counters *c)
{
	const struct kv kv[] = {
		{ NULL, "packet", c->packets },
		{ NULL, "drop", c->drops },
		{ NULL, "reset_drop", c->reset_drops },
		{ NULL, "ctl_total", c->ctl_total },
		{ NULL, "ctl_active", c->ctl_active },
		{ NULL, "ctl_version", c->ctl_version },
		{ NULL, "ctl_failed", c->ctl_failed },
		{ NULL, "calls_active", c->calls_active },
		{ NULL, "calls_total", c->calls_total },
		{ NULL, "calls_up", c->calls_up },
		{ NULL, "calls_refused", c->calls_refused },
		{ NULL, "call_limit", c->call_limit },
		{ NULL, "callid_exhausted", c->callid_exhausted },
		{ NULL, "calls_no_gre", c->calls_no_gre },
		{ NULL, "msgs_inside", c->msgs_inside },
		{ NULL, "msgs_outside", c->msgs_outside },
		{ NULL, "malformed", c->malformed },
		{ NULL, "state_errors", c->state_errors },
		{ NULL, "unknown_call", c->unknown_call },
		{ NULL, "late", c->late },
		{ NULL, "callid_rewrites", c->callid_rewrites },
		{ NULL, "retransmits", c->retransmits },
		{ NULL, "bad_retransmits", c->bad_retransmits },
		{ NULL, "ooo", c->ooo },
		{ NULL, "holds", c->holds },
		{ NULL, "held_released", c->held_released },
		{ NULL, "held_dropped", c->held_dropped },
		{ NULL, "hold_given_up", c->hold_given_up },
		{ NULL, "hold_timeouts", c->hold_timeouts },
		{ NULL, "hold_limit", c->hold_limit },
		{ NULL, "gre_pkts", c->gre_pkts },
		{ NULL, "gre_translated", c->gre_translated },
		{ NULL, "gre_no_call", c->gre_no_call },
		{ NULL, "gre_wrong_src", c->gre_wrong_src },
	};

	ph_json_obj_begin(j, NULL);
	ph_json_bool(j, "enabled", pol->inspect.pptp);
	ph_json_arr_begin(j, "ports");
	for (unsigned i = 0; i < pol->inspect.n_pptp_ports; i++)
		ph_json_u64(j, NULL, pol->inspect.pptp_ports[i]);
	ph_json_arr_end(j);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		ph_json_u64(j, kv[i].key, kv[i].v);
	ph_json_obj_begin(j, "drops");
	for (unsigned i = 1; i < PH_R_MAX; i++)
		if (c->drop_reason[i] != 0)
			ph_json_u64(j, ph_reason_name(i), c->drop_reason[i]);
	ph_json_obj_end(j);
	ph_json_obj_end(j);
}

/*
 * The engine's counters are cumulative since start (`clear counters` does
 * not reset them) and engine-wide; the layout is ph_show_service_policy_
 * pptp()'s: the ASA block per applied class (or the PIX 6 fixup), then
 * pinhole's own counters.
 */
static int
h_show_pptp(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	struct ph_pptp_counters c;
	char small[PH_SHOW_PPTP_LEN], *buf = small;
	int n;

	ph_engine_pptp_counters(d->eng, &c);
	if (req->json) {
		pptp_json(ph_ctl_reply_json(r), d->pol, &c);
		return PH_CTL_OK;
	}
	n = ph_show_service_policy_pptp(d->pol, &c, small, sizeof(small));
	if (n < 0)
		return ph_ctl_reply_error(r, PH_CTL_E_INTERNAL,
					  "ERROR: %% Internal error");
	if ((size_t)n >= sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf == NULL)
			return ph_ctl_reply_error(r, PH_CTL_E_INTERNAL,
						  "ERROR: %% Out of memory");
		ph_show_service_policy_pptp(d->pol, &c, buf, (size_t)n + 1);
	}
	ph_ctl_reply_append(r, buf, (size_t)n);
	if (buf != small)
		free(buf);
	return PH_CTL_OK;
}

int
pd_stats_register(struct ph_daemon *d)
{
	static const struct {
		unsigned cmd;
		ph_ctl_handler fn;
	} tab[] = {
		{ PH_CTL_CMD_SHOW_COUNTERS, h_show_counters },
		{ PH_CTL_CMD_SHOW_VERSION, h_show_version },
		{ PH_CTL_CMD_SHOW_SERVICE_POLICY_PPTP, h_show_pptp },
	};

	int rc;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		rc = ph_control_register(d->ctl, tab[i].cmd, tab[i].fn, d);
		if (rc < 0)
			return rc;
	}
	rc = ph_control_register(d->ctl, PH_CTL_CMD_SHOW_LOGGING,
				 ph_logsink_show, d->log);
	if (rc == 0)
		rc = ph_control_register(d->ctl, PH_CTL_CMD_CLEAR_LOGGING,
					 ph_logsink_clear, d->log);
	return rc;
}
