/*
 * daemon/reload.c - atomic reload of the rule file (SIGHUP, `pinholectl
 * reload [FILE]`).
 *
 * The new policy is built aside and checked against the host before
 * anything changes: parse (diagnostics with file:line:col), interfaces
 * (each non-shutdown one must exist), owned addresses (within the limit).
 * Then, in an order where every failing step leaves the old state in
 * force:
 *   1. the nft table, only when the set of queued interfaces changed (one
 *      atomic batch; on error the kernel keeps the old table);
 *   2. the owned addresses: new ones are added; if some are no longer
 *      needed, the whole set is re-owned through a fresh netdev handle
 *      (netdev.h can only remove everything a handle added), which leaves
 *      the kept addresses missing for the few microseconds between the
 *      removal and the re-add - ARP only, since the queue sees packets
 *      before the local-delivery decision;
 *   3. ph_engine_set_policy(): a pointer swap in the engine, connections
 *      survive; only then is the old policy freed and the log settings
 *      taken from the new one.
 *
 * `reload FILE` loads FILE once; SIGHUP and `reload` without a file read
 * the -f file again (the configuration of record).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "daemon/daemon.h"
#include "daemon/logsink.h"
#include "daemon/nft.h"

struct reload_ctx {
	struct ph_daemon *d;
	const char *file;
	pd_report_fn report;
	void *arg;
	struct ph_policy *pol;
	struct pd_iface ifs[PH_IF_MAX];
	size_t n_ifs;
	struct ph_netdev_addr *addrs;
	size_t n_addrs;
	bool nft_changed;
	char err[512];
};

static void
report(struct reload_ctx *r, int sev, const char *text)
{
	if (r->report != NULL)
		r->report(r->arg, sev, text);
}

/* Every diagnostic in full (source line, caret) to the requester. */
static void
report_diags(struct reload_ctx *r, const struct ph_diags *diags)
{
	static const int sev[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE };

	for (size_t i = 0; i < ph_diags_count(diags); i++) {
		const struct ph_diag *g = ph_diags_get(diags, i);
		char buf[2048];

		ph_diag_format(g, buf, sizeof(buf));
		report(r, g->severity < 3 ? sev[g->severity] : LOG_INFO, buf);
	}
	pd_log_diags(r->d, diags);
}

static bool
same_managed(const struct pd_iface *a, size_t na, const struct pd_iface *b,
	     size_t nb)
{
	size_t ka = 0, kb = 0;

	for (size_t i = 0; i < na; i++)
		ka += a[i].managed;
	for (size_t i = 0; i < nb; i++)
		kb += b[i].managed;
	if (ka != kb)
		return false;
	for (size_t i = 0; i < na; i++) {
		bool found = false;

		if (!a[i].managed)
			continue;
		for (size_t k = 0; k < nb && !found; k++)
			found = b[k].managed &&
				strcmp(a[i].name, b[k].name) == 0;
		if (!found)
			return false;
	}
	return true;
}

static bool
addr_in(const struct ph_netdev_addr *list, size_t n,
	const struct ph_netdev_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].addr == a->addr && list[i].ifindex == a->ifindex)
			return true;
	return false;
}

/* Parse and check against the host; nothing changes yet. */
static int
reload_prepare(struct reload_ctx *r)
{
	struct ph_diags *diags = NULL;
	int rc, n;

	rc = pd_policy_load(r->d, r->file, &r->pol, &diags, r->err,
			    sizeof(r->err));
	report_diags(r, diags);
	ph_diags_free(diags);
	if (rc < 0)
		return rc;
	rc = pd_ifaces_resolve(r->pol, r->ifs, &r->n_ifs, r->err,
			       sizeof(r->err));
	if (rc < 0)
		return rc;
	r->addrs = calloc(PH_DAEMON_MAX_ADDRS, sizeof(*r->addrs));
	if (r->addrs == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -ENOMEM;
	}
	n = pd_addrs_of(r->pol, r->ifs, r->n_ifs, r->addrs, PH_DAEMON_MAX_ADDRS,
			r->err, sizeof(r->err));
	if (n < 0)
		return n;
	r->n_addrs = (size_t)n;
	return 0;
}

/* Own the new address set.  0 or -errno. */
static int
reload_addrs(struct reload_ctx *r)
{
	struct ph_daemon *d = r->d;
	struct ph_netdev *nd;
	bool removed = false;
	int rc;

	for (size_t i = 0; i < d->n_addrs && !removed; i++)
		removed = !addr_in(r->addrs, r->n_addrs, &d->addrs[i]);
	if (!removed) {
		rc = ph_netdev_addr_add(d->nd, r->addrs, r->n_addrs);
		goto out;
	}
	nd = ph_netdev_new();
	if (nd == NULL) {
		rc = -errno;
		goto out;
	}
	ph_netdev_addr_cleanup(d->nd);
	ph_netdev_free(d->nd);
	d->nd = nd;
	rc = ph_netdev_addr_add(d->nd, r->addrs, r->n_addrs);
out:
	if (rc < 0)
		snprintf(r->err, sizeof(r->err),
			 "adding the global/static addresses: %s",
			 strerror(-rc));
	return rc < 0 ? rc : 0;
}

/* Apply to the kernel and the engine; undo the table on failure. */
static int
reload_commit(struct reload_ctx *r)
{
	struct ph_daemon *d = r->d;
	struct ph_policy *old;
	int rc;

	r->nft_changed = !same_managed(d->ifs, d->n_ifs, r->ifs, r->n_ifs);
	if (r->nft_changed) {
		rc = pd_nft_apply(d, r->ifs, r->n_ifs);
		if (rc < 0) {
			snprintf(r->err, sizeof(r->err),
				 "nftables: rebuilding the table: %s",
				 strerror(-rc));
			return rc;
		}
	}
	rc = reload_addrs(r);
	if (rc == 0) {
		rc = ph_engine_set_policy(d->eng, r->pol, d->now);
		if (rc < 0)
			snprintf(r->err, sizeof(r->err), "engine: %s",
				 strerror(-rc));
	}
	if (rc < 0) {
		if (r->nft_changed)
			pd_nft_apply(d, d->ifs, d->n_ifs);
		return rc;
	}
	old = d->pol;
	d->pol = r->pol;
	d->pol_gen++;
	r->pol = NULL;
	memcpy(d->ifs, r->ifs, sizeof(d->ifs));
	d->n_ifs = r->n_ifs;
	if (r->nft_changed)
		pd_shed_ifaces(d); /* the BPF program follows (shed.c) */
	d->last_ifindex = 0;
	d->last_pidx = -1;
	memcpy(d->addrs, r->addrs, r->n_addrs * sizeof(*r->addrs));
	d->n_addrs = r->n_addrs;
	ph_logsink_configure(d->log, d->pol);
	ph_policy_free(old);
	pd_check_iface_addrs(d);
	return 0;
}

int
pd_reload(struct ph_daemon *d, const char *path, pd_report_fn rep, void *arg)
{
	struct reload_ctx *r = calloc(1, sizeof(*r));
	char msg[768];
	int rc;

	if (r == NULL)
		return -ENOMEM;
	r->d = d;
	r->file = path != NULL ? path : d->cfg->file;
	r->report = rep;
	r->arg = arg;
	d->now = pd_now();
	d->ctr.reloads++;
	pd_sd_notify("RELOADING=1");
	rc = reload_prepare(r);
	if (rc == 0)
		rc = reload_commit(r);
	if (rc < 0) {
		d->ctr.reload_failures++;
		snprintf(msg, sizeof(msg),
			 "reload of %s failed, the running configuration is "
			 "unchanged: %s",
			 r->file, r->err[0] ? r->err : strerror(-rc));
		ph_logsink_msg(d->log, LOG_ERR, "%s", msg);
		report(r, LOG_ERR, msg);
	} else {
		snprintf(msg, sizeof(msg),
			 "reloaded %s: %zu interface(s)%s, %zu owned "
			 "address(es)",
			 r->file, d->n_ifs,
			 r->nft_changed ? " (queue rules rebuilt)" : "",
			 d->n_addrs);
		ph_logsink_msg(d->log, LOG_NOTICE, "%s", msg);
		report(r, LOG_NOTICE, msg);
	}
	pd_sd_notify("READY=1");
	ph_policy_free(r->pol);
	free(r->addrs);
	free(r);
	return rc;
}
