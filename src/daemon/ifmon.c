/*
 * daemon/ifmon.c - what pinholed does when its interfaces change under it
 * (docs/deploy.md, "Interfaces that change while running").
 *
 * An rtnetlink monitor (netdev.h) reports link and IPv4 address changes;
 * this file keeps, per policy interface, the last state it announced and
 * acts on each difference:
 *  - administrative state (IFF_UP): 411003 / 411004;
 *  - line protocol (IFF_UP and IFF_RUNNING, i.e. carrier): 411001 /
 *    411002.  Nothing else happens: the engine keeps every connection and
 *    translation until its idle timeout, exactly as a PIX does when a
 *    cable is pulled, and the queue rule (it matches the interface NAME)
 *    sees the packets again as soon as the kernel delivers them;
 *  - deleted (RTM_DELLINK): 411002 if it was up, 903002;
 *  - the same name back under a new ifindex: the interface table follows
 *    it, the owned global/static /32s recorded on the old ifindex are put
 *    back on the new one, 903001;
 *  - an owned /32 removed by someone else (`ip address flush`): put back;
 *  - the policy's `ip address` not on the interface (903003, with what the
 *    interface has; again at each change of that while it is missing) or
 *    back (903004).  The rules stay the reference, as on
 *    a PIX: interface PAT keeps using the configured address; to move it,
 *    change the rules and reload (the old interface PAT translations are
 *    then torn down with their teardown lines, engine_policy.c).
 * Lost notifications (ENOBUFS) make it re-read every link and address.
 * After a reload the state is re-recorded silently (the reload logs its
 * own address check).
 *
 * One monitor per process (pinholed runs one daemon), kept in this file
 * so that struct ph_daemon needs no field for it.  The event loop calls
 * pd_ifmon_handle() with d->lock held (loop.c, dispatch()).
 *
 * Known limits: an interface renamed away from its policy name is treated
 * as deleted (its packets are no longer queued: the queue rule matches the
 * name); IPv4 addresses only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <arpa/inet.h>
#include <net/if.h>

#include <bsd/string.h>

#include <pinhole/event.h>

#include "daemon/daemon.h"
#include "daemon/ifmon.h"
#include "daemon/logsink.h"
#include "daemon/netdev.h"

#define PD_IFMON_TEXT 160 /* the {text} of 9030xx */

/* What was last announced for one policy interface. */
struct pd_ifmon_if {
	uint32_t ifindex; /* the one its events carry */
	bool present;	  /* the Linux interface exists */
	bool admin;	  /* IFF_UP */
	bool oper;	  /* IFF_UP and IFF_RUNNING */
	bool addr_ok;	  /* the policy address is on it (or it has none) */
	char addr_text[PD_IFMON_TEXT]; /* what it had at the last 903003 */
};

struct pd_ifmon {
	struct ph_netdev_mon *mon;
	uint64_t gen; /* d->pol_gen of the recorded state */
	size_t n;
	struct pd_ifmon_if st[PH_IF_MAX];
	uint64_t read_errors;
};

static struct pd_ifmon *ifmon_cur; /* the process's monitor, or NULL */

static void
ifmon_emit(struct ph_daemon *d, uint32_t id, size_t i, uint32_t ip,
	   const char *text)
{
	struct ph_event ev;

	ph_event_init(&ev, id, pd_now());
	ev.ep[0].ifname = d->pol->ifaces[i].name;
	ev.ep[0].ip = ip;
	ev.text = text;
	d->ctr.events++;
	ph_logsink_emit(d->log, &ev);
}

static bool
ifmon_watched(const struct ph_daemon *d, size_t i)
{
	return d->ifs[i].managed;
}

/* ---- the policy address ----------------------------------------------- */

/* "outside (has 10.0.0.1/24, ...)" into buf; true when want is there.
 * pinholed's own /32s are not listed (they are never the policy's). */
static bool
addr_describe(struct ph_daemon *d, size_t i, uint32_t want, char *buf,
	      size_t len)
{
	struct ph_netdev_addr *a = NULL;
	size_t n = 0, k, used;
	bool found = false, any = false;

	used = (size_t)snprintf(buf, len, "%s (has", d->ifs[i].name);
	if (ph_netdev_addrs(d->nd, d->ifs[i].ifindex, &a, &n) < 0)
		n = 0;
	for (k = 0; k < n; k++) {
		uint32_t h = ntohl(a[k].addr);

		found |= h == want;
		if (a[k].proto == PH_NETDEV_ADDR_PROTO || used >= len)
			continue;
		used += (size_t)snprintf(
			buf + used, len - used, "%s %u.%u.%u.%u/%u",
			any ? "," : "", h >> 24, (h >> 16) & 255,
			(h >> 8) & 255, h & 255, a[k].prefixlen);
		any = true;
	}
	free(a);
	if (used < len)
		snprintf(buf + used, len - used, "%s)",
			 any ? "" : " no IPv4 address");
	return found;
}

/* Compare the policy address with the host; announce a change. */
static void
addr_check(struct ph_daemon *d, struct pd_ifmon *m, size_t i, bool quiet)
{
	const struct ph_iface *f = &d->pol->ifaces[i];
	char text[PD_IFMON_TEXT];
	char name[IFNAMSIZ];
	bool ok;

	if (!f->has_addr || !m->st[i].present) {
		m->st[i].addr_ok = true;
		return;
	}
	/* a notification for an interface being deleted: DELLINK follows */
	if (ph_netdev_ifname(m->st[i].ifindex, name) < 0)
		return;
	ok = addr_describe(d, i, f->addr, text, sizeof(text));
	/* while it is missing, each change of what the host has is told */
	if (ok == m->st[i].addr_ok &&
	    (ok || strcmp(text, m->st[i].addr_text) == 0))
		return;
	m->st[i].addr_ok = ok;
	strlcpy(m->st[i].addr_text, text, sizeof(m->st[i].addr_text));
	if (!quiet)
		ifmon_emit(d, ok ? PH_EV_IF_ADDR_OK : PH_EV_IF_ADDR_MISSING, i,
			   f->addr, text);
}

/* ---- links -------------------------------------------------------------- */

static void
link_flags(struct ph_daemon *d, struct pd_ifmon *m, size_t i, uint32_t flags,
	   bool quiet)
{
	struct pd_ifmon_if *s = &m->st[i];
	bool admin = (flags & IFF_UP) != 0;
	bool oper = admin && (flags & IFF_RUNNING) != 0;

	if (admin != s->admin && !quiet)
		ifmon_emit(d, admin ? PH_EV_IF_ADMIN_UP : PH_EV_IF_ADMIN_DOWN,
			   i, 0, NULL);
	if (oper != s->oper && !quiet)
		ifmon_emit(d, oper ? PH_EV_IF_LINE_UP : PH_EV_IF_LINE_DOWN, i,
			   0, NULL);
	s->admin = admin;
	s->oper = oper;
}

static void
link_gone(struct ph_daemon *d, struct pd_ifmon *m, size_t i, const char *why)
{
	struct pd_ifmon_if *s = &m->st[i];
	char text[PD_IFMON_TEXT];

	if (!s->present)
		return;
	if (s->oper)
		ifmon_emit(d, PH_EV_IF_LINE_DOWN, i, 0, NULL);
	snprintf(text, sizeof(text), "%s%s", d->ifs[i].name, why);
	ifmon_emit(d, PH_EV_IF_REMOVED, i, 0, text);
	s->present = s->admin = s->oper = false;
}

/* The policy interface i is Linux ifindex idx now (it was s->ifindex). */
static void
link_remap(struct ph_daemon *d, struct pd_ifmon *m, size_t i, uint32_t idx)
{
	struct pd_ifmon_if *s = &m->st[i];
	char text[PD_IFMON_TEXT];
	uint32_t old = s->ifindex;
	int rc;

	d->ifs[i].ifindex = idx;
	d->last_ifindex = 0;
	d->last_pidx = -1;
	for (size_t k = 0; k < d->n_addrs; k++)
		if (d->addrs[k].ifindex == old)
			d->addrs[k].ifindex = idx;
	rc = ph_netdev_addr_restore(d->nd, old, idx);
	snprintf(text, sizeof(text), "%s (ifindex %u, was %u)", d->ifs[i].name,
		 idx, old);
	ifmon_emit(d, PH_EV_IF_MAPPED, i, 0, text);
	if (rc > 0)
		ph_logsink_msg(d->log, LOG_NOTICE,
			       "interface %s: %d global/static address(es) "
			       "put back",
			       d->ifs[i].name, rc);
	else if (rc < 0)
		ph_logsink_msg(d->log, LOG_ERR,
			       "interface %s: putting back the global/static "
			       "addresses: %s",
			       d->ifs[i].name, strerror(-rc));
	s->ifindex = idx;
	s->present = true;
	pd_shed_ifaces(d); /* the BPF shedding program follows (shed.c) */
	s->admin = s->oper = false; /* the flags that follow announce it */
	s->addr_ok = true;	    /* a fresh interface: say what is missing */
}

static void
on_link(struct ph_daemon *d, struct pd_ifmon *m, const struct ph_netdev_link *l,
	bool quiet)
{
	char why[IFNAMSIZ + 16];

	for (size_t i = 0; i < m->n; i++) {
		struct pd_ifmon_if *s = &m->st[i];

		if (!ifmon_watched(d, i))
			continue;
		if (strcmp(d->ifs[i].name, l->name) == 0) {
			if (!s->present || s->ifindex != l->ifindex)
				link_remap(d, m, i, l->ifindex);
			link_flags(d, m, i, l->flags, quiet);
			addr_check(d, m, i, quiet);
		} else if (s->present && s->ifindex == l->ifindex) {
			snprintf(why, sizeof(why), " (renamed %s)", l->name);
			link_gone(d, m, i, why);
		}
	}
}

static void
on_link_del(struct ph_daemon *d, struct pd_ifmon *m,
	    const struct ph_netdev_link *l)
{
	for (size_t i = 0; i < m->n; i++)
		if (ifmon_watched(d, i) && m->st[i].present &&
		    m->st[i].ifindex == l->ifindex)
			link_gone(d, m, i, "");
}

static void
on_addr(struct ph_daemon *d, struct pd_ifmon *m, const struct ph_netdev_addr *a,
	bool del)
{
	char name[IFNAMSIZ];
	int rc;

	for (size_t i = 0; i < m->n; i++) {
		if (!ifmon_watched(d, i) || !m->st[i].present ||
		    m->st[i].ifindex != a->ifindex)
			continue;
		if (del && a->proto == PH_NETDEV_ADDR_PROTO &&
		    ph_netdev_ifname(a->ifindex, name) == 0) {
			rc = ph_netdev_addr_restore(d->nd, a->ifindex,
						    a->ifindex);
			if (rc > 0)
				ph_logsink_msg(d->log, LOG_NOTICE,
					       "interface %s: %d global/static "
					       "address(es) removed by someone "
					       "else put back",
					       d->ifs[i].name, rc);
		}
		addr_check(d, m, i, false);
	}
}

/* ---- the whole state ---------------------------------------------------- */

/* Re-read every link and address; announce differences unless quiet. */
static void
ifmon_sync(struct ph_daemon *d, struct pd_ifmon *m, bool quiet)
{
	struct ph_netdev_link *links = NULL;
	size_t n = 0;
	bool seen;

	if (ph_netdev_links(d->nd, &links, &n) < 0) {
		ph_logsink_msg(d->log, LOG_ERR,
			       "interfaces: cannot list links");
		return;
	}
	for (size_t k = 0; k < n; k++)
		on_link(d, m, &links[k], quiet);
	for (size_t i = 0; i < m->n; i++) {
		seen = false;
		for (size_t k = 0; k < n; k++)
			seen |= strcmp(links[k].name, d->ifs[i].name) == 0;
		if (ifmon_watched(d, i) && !seen && !quiet)
			link_gone(d, m, i, "");
	}
	free(links);
}

/* Record the state as it is now, without a word (start-up, reload). */
static void
ifmon_record(struct ph_daemon *d, struct pd_ifmon *m)
{
	memset(m->st, 0, sizeof(m->st));
	m->n = d->n_ifs;
	m->gen = d->pol_gen;
	for (size_t i = 0; i < m->n; i++) {
		m->st[i].ifindex = d->ifs[i].ifindex;
		m->st[i].present = d->ifs[i].ifindex != 0;
		m->st[i].addr_ok = true;
	}
	ifmon_sync(d, m, true);
}

static void
ifmon_event(void *arg, const struct ph_netdev_ev *ev)
{
	struct ph_daemon *d = arg;
	struct pd_ifmon *m = ifmon_cur;

	switch (ev->kind) {
	case PH_NETDEV_EV_LINK:
		on_link(d, m, &ev->link, false);
		break;
	case PH_NETDEV_EV_LINK_DEL:
		on_link_del(d, m, &ev->link);
		break;
	case PH_NETDEV_EV_ADDR:
		on_addr(d, m, &ev->addr, false);
		break;
	case PH_NETDEV_EV_ADDR_DEL:
		on_addr(d, m, &ev->addr, true);
		break;
	case PH_NETDEV_EV_RESYNC:
		ph_logsink_msg(d->log, LOG_WARNING,
			       "interfaces: link notifications were lost, "
			       "re-reading every interface");
		ifmon_sync(d, m, false);
		break;
	}
}

/* ---- public ------------------------------------------------------------- */

int
pd_ifmon_start(struct ph_daemon *d)
{
	struct pd_ifmon *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return -ENOMEM;
	m->mon = ph_netdev_mon_new();
	if (m->mon == NULL) {
		int err = -errno;

		ph_logsink_msg(d->log, LOG_WARNING,
			       "interfaces: no link monitor (%s): interface "
			       "changes are not followed",
			       strerror(-err));
		free(m);
		return err;
	}
	ifmon_cur = m;
	ifmon_record(d, m);
	return ph_netdev_mon_fd(m->mon);
}

void
pd_ifmon_handle(struct ph_daemon *d)
{
	struct pd_ifmon *m = ifmon_cur;
	int rc;

	if (m == NULL)
		return;
	if (m->gen != d->pol_gen || m->n != d->n_ifs)
		ifmon_record(d, m); /* a reload replaced the table */
	rc = ph_netdev_mon_read(m->mon, ifmon_event, d);
	if (rc < 0 && m->read_errors++ == 0)
		ph_logsink_msg(d->log, LOG_ERR, "interfaces: monitor: %s",
			       strerror(-rc));
}

int
pd_ifmon_fd(const struct ph_daemon *d)
{
	(void)d;
	return ifmon_cur != NULL ? ph_netdev_mon_fd(ifmon_cur->mon) : -1;
}

void
pd_ifmon_stop(struct ph_daemon *d)
{
	(void)d;
	if (ifmon_cur == NULL)
		return;
	ph_netdev_mon_free(ifmon_cur->mon);
	free(ifmon_cur);
	ifmon_cur = NULL;
}
