/*
 * daemon/shed_place.c - where pinholed's shedding limit drops: the nft
 * rule in front of the queue rules (daemon/nft.h), always present, or a
 * BPF program on the managed interfaces (daemon/shedprog.h, --shed-hook)
 * attached only while the limit is dropping packets.
 *
 * Why on demand: the program drops a flood for a fraction of the nft
 * rule's cost (on veth, XDP even moves the drop to the sending CPU), but
 * while attached it costs every packet something, and XDP on veth turns
 * off the GSO fast path (TCP through pinholed fell from 92% to 30% of
 * kernel forwarding with it attached: docs/performance.md, "(3)
 * Overload").  So the nft rule holds the limit while nothing sheds; when
 * the limit is cut below the ceiling (auto) or the rule starts dropping
 * (fixed rate), the program is attached with the same rate and the rule
 * is set to the ceiling; 2 s after the last shed packet the rule gets
 * the rate back and the program is detached.  The program is loaded and
 * tried on every interface at start, so a hook the kernel or a driver
 * refuses is known (and logged) before it is needed.
 *
 * Everything here runs under d->lock (the shed thread's tick; the main
 * thread's reloads and interface changes) or before the threads start.
 *
 * Known limits: every attach happens after privileges were dropped (on
 * kernels before 6.5 the daemon keeps CAP_BPF for it, daemon/privs.c);
 * an interface the kernel refuses then sends the limit back to the rule
 * on the spot (logged).  The first interval of a flood is shed by the
 * nft rule, at its cost.  On a NIC whose driver rebuilds its rings for
 * an XDP program, each episode does that twice (docs/deploy.md: use
 * --shed-hook tc there).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/shed.h"
#include "daemon/daemon.h"
#include "daemon/logsink.h"
#include "daemon/nft.h"
#include "daemon/shed.h"
#include "daemon/shed_int.h"
#include "daemon/shedprog.h"

uint32_t
pd_shed_place_rate(const struct ph_daemon *d)
{
	const struct pd_shed *s = d->shed;

	if (s != NULL && s->on)
		return pd_shedprog_rate(s->prog);
	return ph_nft_shed_rate(d->nft);
}

int
pd_shed_place_push(struct ph_daemon *d, uint32_t rate)
{
	struct pd_shed *s = d->shed;

	if (s == NULL || !s->on)
		return ph_nft_shed_set(d->nft, rate);
	pd_shedprog_set_rate(s->prog, rate);
	return 0;
}

int
pd_shed_place_count(struct ph_daemon *d, uint64_t *pkts)
{
	const struct pd_shed *s = d->shed;
	uint64_t nft = 0;
	int rc = 0;

	if (ph_nft_shed_rate(d->nft) != 0)
		rc = ph_nft_shed_count(d->nft, &nft);
	*pkts = nft;
	if (s != NULL)
		*pkts += s->prog_gone +
			 (s->prog != NULL ? pd_shedprog_dropped(s->prog) : 0);
	return rc;
}

struct pd_shedprog *
pd_shed_prog(struct ph_daemon *d)
{
	return d->shed != NULL ? d->shed->prog : NULL;
}

const char *
pd_shed_place_prog(const struct pd_shed *s)
{
	if (s == NULL || s->prog == NULL)
		return NULL;
	return pd_shedprog_hook_name(pd_shedprog_hook(s->prog));
}

const char *
pd_shed_place_name(const struct pd_shed *s)
{
	return s != NULL && s->on ? pd_shed_place_prog(s) : "nft";
}

_Static_assert(PD_SHEDPROG_MAX_IF >= PH_IF_MAX,
	       "the program can be on every interface a policy has");

/* The managed interfaces' ifindexes. */
static size_t
place_ifindexes(const struct ph_daemon *d, uint32_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_ifs && n < PD_SHEDPROG_MAX_IF; i++)
		if (d->ifs[i].managed && d->ifs[i].ifindex != 0)
			out[n++] = d->ifs[i].ifindex;
	return n;
}

/* Attach p to every managed interface; on failure detach it everywhere
 * and say why.  0 or -errno. */
static int
place_attach_all(struct ph_daemon *d, struct pd_shedprog *p, char *why,
		 size_t whylen)
{
	uint32_t idx[PD_SHEDPROG_MAX_IF];
	size_t n = place_ifindexes(d, idx), bad = 0;
	int rc = pd_shedprog_sync(p, idx, n, &bad);

	if (rc < 0) {
		snprintf(why, whylen, "%s: attaching to ifindex %u: %s",
			 pd_shedprog_hook_name(pd_shedprog_hook(p)), idx[bad],
			 strerror(-rc));
		pd_shedprog_sync(p, NULL, 0, NULL);
	}
	return rc;
}

/* Load the program for one hook and check that every interface takes it
 * (attached, then detached again); NULL with a reason in why. */
static struct pd_shedprog *
place_try(struct ph_daemon *d, enum pd_shedprog_hook h, char *why,
	  size_t whylen)
{
	struct pd_shedprog *p;
	char verr[160];

	p = pd_shedprog_new(h, verr, sizeof(verr));
	if (p == NULL) {
		snprintf(why, whylen, "%s: loading: %s%s%s",
			 pd_shedprog_hook_name(h), strerror(errno),
			 verr[0] != '\0' ? ": " : "", verr);
		return NULL;
	}
	if (place_attach_all(d, p, why, whylen) < 0) {
		pd_shedprog_free(p);
		return NULL;
	}
	pd_shedprog_sync(p, NULL, 0, NULL);
	return p;
}

/* The hooks to try for --shed-hook, in order. */
static size_t
place_hooks(enum pd_shed_hook want, enum pd_shedprog_hook *out)
{
	switch (want) {
	case PD_SHED_HOOK_NFT:
		return 0;
	case PD_SHED_HOOK_XDP:
		out[0] = PD_SHEDPROG_XDP;
		return 1;
	case PD_SHED_HOOK_XDP_GENERIC:
		out[0] = PD_SHEDPROG_XDP_GENERIC;
		return 1;
	case PD_SHED_HOOK_TC:
		out[0] = PD_SHEDPROG_TC;
		return 1;
	default:
		out[0] = PD_SHEDPROG_XDP;
		out[1] = PD_SHEDPROG_TC;
		return 2;
	}
}

void
pd_shed_place_init(struct ph_daemon *d, struct pd_shed *s)
{
	enum pd_shedprog_hook h[2];
	size_t n = place_hooks(d->cfg->shed_hook, h);
	char why[2][256] = { "", "" };

	if (n == 0)
		return;
	for (size_t i = 0; i < n && s->prog == NULL; i++)
		s->prog = place_try(d, h[i], why[i], sizeof(why[i]));
	if (s->prog == NULL) {
		ph_logsink_msg(d->log, LOG_WARNING,
			       "overload shedding: no BPF program (%s%s%s); "
			       "the nft rule sheds",
			       why[0], n > 1 ? "; " : "", n > 1 ? why[1] : "");
		return;
	}
	ph_logsink_msg(d->log, LOG_INFO,
		       "overload shedding: the nft rule, and while shedding "
		       "a BPF program at %s on the managed interfaces",
		       pd_shed_place_prog(s));
}

/* The program could not be attached (why): the rule sheds from now on,
 * at the program's rate. */
static void
place_fallback(struct ph_daemon *d, struct pd_shed *s, const char *why)
{
	ph_logsink_msg(d->log, LOG_WARNING,
		       "overload shedding: %s; the nft rule sheds from now on",
		       why);
	if (s->on && ph_nft_shed_set(d->nft, pd_shedprog_rate(s->prog)) < 0)
		s->errors++;
	s->on = false;
	s->prog_gone += pd_shedprog_dropped(s->prog);
	s->gone_known += pd_shedprog_dropped_known(s->prog);
	pd_shedprog_free(s->prog); /* under d->lock: queue threads mark in it */
	s->prog = NULL;
}

/* The program takes the limit from the rule. */
static void
place_on(struct ph_daemon *d, struct pd_shed *s)
{
	uint32_t rate = ph_nft_shed_rate(d->nft);
	char why[256];

	pd_shedprog_set_rate(s->prog, rate);
	if (place_attach_all(d, s->prog, why, sizeof(why)) < 0) {
		place_fallback(d, s, why);
		return;
	}
	s->on = true;
	s->attaches++;
	if (ph_nft_shed_set(d->nft, PH_SHED_DEFAULT_CEILING) < 0)
		s->errors++;
}

/* The rule takes the limit back, then the program goes. */
static void
place_off(struct ph_daemon *d, struct pd_shed *s)
{
	if (ph_nft_shed_set(d->nft, pd_shedprog_rate(s->prog)) < 0)
		s->errors++;
	pd_shedprog_sync(s->prog, NULL, 0, NULL);
	s->on = false;
}

void
pd_shed_place_tick(struct ph_daemon *d, struct pd_shed *s, uint64_t total,
		   uint64_t now_ns)
{
	uint32_t rate = pd_shed_place_rate(d);
	bool want;

	if (total > s->last_total) /* a reload resets the rule's counter */
		s->last_drop_ns = now_ns;
	s->last_total = total;
	if (s->prog == NULL || rate == 0)
		return;
	if (now_ns - s->last_age_ns >= PD_SHEDPROG_AGE_SEC * PH_NSEC_PER_SEC) {
		s->last_age_ns = now_ns; /* flows idle for two periods go */
		pd_shedprog_flow_age(s->prog);
	}
	/* auto: while the controller holds the limit under the ceiling;
	 * fixed: while the limit drops, and 2 s after */
	want = rate < PH_SHED_DEFAULT_CEILING &&
	       (s->ctl != NULL ||
		(s->last_drop_ns != 0 &&
		 now_ns - s->last_drop_ns < PD_SHED_PROG_LINGER_NS));
	if (want && !s->on)
		place_on(d, s);
	else if (!want && s->on)
		place_off(d, s);
}

void
pd_shed_ifaces(struct ph_daemon *d)
{
	struct pd_shed *s = d->shed;
	char why[256];

	if (s == NULL || !s->on)
		return; /* attached on the next start, to the interfaces then */
	if (place_attach_all(d, s->prog, why, sizeof(why)) < 0)
		place_fallback(d, s, why);
}

void
pd_shed_place_free(struct pd_shed *s)
{
	pd_shedprog_free(s->prog);
	s->prog = NULL;
	s->on = false;
}
