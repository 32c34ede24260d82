/*
 * daemon/loop.c - pinholed's event loop and packet callback.
 *
 * One epoll set watches: the NFQUEUE socket (packets), the control
 * module's epoll fd (pinholectl clients), a signalfd (SIGTERM/SIGINT stop,
 * SIGHUP reloads) and a 1-second timerfd (engine expiry, stale holds,
 * control timeouts, the optional 302010 count).  Level-triggered: a queue
 * with more than PH_DAEMON_READS_MAX reads waiting yields to the other
 * descriptors and is served again on the next wake-up.  After each
 * wake-up the log datagrams queued for the `logging host`s are sent.
 *
 * Per packet: ingress ifindex -> policy index (a packet from an unknown
 * or `shutdown` interface is dropped and counted), ph_engine_process()
 * with the checksum-partial flag from NFQUEUE, verdict: ACCEPT (with the
 * rewritten payload when the engine modified it), DROP, or DEFER for an
 * engine HOLD (the kernel id is the engine's token).  After each read the
 * packets the engine released get their verdicts by id.
 *
 * Checksums: with NFQA_CFG_F_GSO the kernel may hand over packets whose
 * TCP/UDP checksum is CHECKSUM_PARTIAL; the daemon passes
 * PH_PKT_F_CSUM_PARTIAL so the engine's rewrites keep the field in
 * partial form (pseudo-header changes only), and nfq.c completes the sum
 * of modified non-GSO packets before the verdict (the kernel marks a
 * replaced payload CHECKSUM_NONE).  Both halves are needed: nfq.c sums
 * the segment with the field included, so the field must still hold the
 * right pseudo-header sum; without the flag the engine would update it as
 * a complete (complemented) checksum and the completed sum would be wrong.
 *
 * Held packets are tracked by id (bounded); one still held after
 * PH_DAEMON_DEFER_SEC (the engine gives up after 3 s) is dropped by the
 * daemon, so no packet stays in the kernel queue forever.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include <pinhole/event.h>

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/ifmon.h"
#include "daemon/logsink.h"
#include "daemon/nfq.h"

#define PD_IF_SHUTDOWN (-2)
#define PD_TICK_SLICES 16 /* engine expiry slices per second, at most */
#define PD_ETH_P_IP    0x0800

/* ---- interfaces ------------------------------------------------------- */

static int
if_scan(struct ph_daemon *d, uint32_t ifindex)
{
	for (size_t i = 0; i < d->n_ifs; i++) {
		if (!d->ifs[i].managed || d->ifs[i].ifindex != ifindex)
			continue;
		d->last_ifindex = ifindex;
		d->last_pidx = d->ifs[i].shutdown ? PD_IF_SHUTDOWN
						  : (int)d->ifs[i].pidx;
		return d->last_pidx;
	}
	return -1;
}

/* Interfaces re-created under the same name get new ifindexes. */
static void
if_refresh(struct ph_daemon *d)
{
	for (size_t i = 0; i < d->n_ifs; i++) {
		int idx;

		if (!d->ifs[i].managed)
			continue;
		idx = ph_netdev_ifindex(d->ifs[i].name);
		if (idx > 0 && (uint32_t)idx != d->ifs[i].ifindex) {
			ph_logsink_msg(d->log, LOG_NOTICE,
				       "interface %s: ifindex %u -> %d",
				       d->ifs[i].name, d->ifs[i].ifindex, idx);
			d->ifs[i].ifindex = (uint32_t)idx;
		}
	}
	d->last_ifindex = 0;
	d->last_pidx = -1;
}

int
pd_if_lookup(struct ph_daemon *d, uint32_t ifindex)
{
	int r;

	if (ifindex == 0)
		return -1;
	if (ifindex == d->last_ifindex && d->last_pidx != -1)
		return d->last_pidx;
	r = if_scan(d, ifindex);
	if (r != -1)
		return r;
	if (d->now.ns - d->if_retry_ns < PH_NSEC_PER_SEC && d->if_retry_ns != 0)
		return -1;
	d->if_retry_ns = d->now.ns;
	if_refresh(d);
	return if_scan(d, ifindex);
}

/* ---- held packets ----------------------------------------------------- */

static void
deferred_add(struct ph_daemon *d, uint32_t id)
{
	d->ctr.held++;
	if (d->n_deferred >= PH_DAEMON_MAX_DEFER) {
		d->ctr.held_untracked++;
		return;
	}
	d->deferred[d->n_deferred].id = id;
	d->deferred[d->n_deferred].since_ns = d->now.ns;
	d->n_deferred++;
}

static void
deferred_forget(struct ph_daemon *d, uint32_t id)
{
	for (size_t i = 0; i < d->n_deferred; i++) {
		if (d->deferred[i].id != id)
			continue;
		d->deferred[i] = d->deferred[--d->n_deferred];
		return;
	}
}

void
pd_release_held(struct ph_daemon *d)
{
	struct ph_pkt_released rel;
	bool any = false;

	while (ph_engine_release(d->eng, &rel)) {
		uint32_t id = (uint32_t)rel.token;
		enum ph_nfq_verdict v = rel.out.verdict == PH_VERDICT_ACCEPT
						? PH_NFQ_ACCEPT
						: PH_NFQ_DROP;
		bool mod = v == PH_NFQ_ACCEPT && rel.out.modified;

		deferred_forget(d, id);
		if (ph_nfq_verdict(d->nfq, id, v, mod ? rel.data : NULL,
				   mod ? rel.len : 0) < 0)
			d->ctr.verdict_errors++;
		d->ctr.released++;
		any = true;
	}
	if (any)
		ph_nfq_flush_verdicts(d->nfq);
}

/* Drop ids held longer than the engine would ever hold them. */
static void
deferred_sweep(struct ph_daemon *d)
{
	uint64_t limit = (uint64_t)PH_DAEMON_DEFER_SEC * PH_NSEC_PER_SEC;
	size_t i = 0;
	bool any = false;

	while (i < d->n_deferred) {
		if (d->now.ns - d->deferred[i].since_ns < limit) {
			i++;
			continue;
		}
		ph_nfq_verdict(d->nfq, d->deferred[i].id, PH_NFQ_DROP, NULL, 0);
		d->ctr.held_expired++;
		d->deferred[i] = d->deferred[--d->n_deferred];
		any = true;
	}
	if (any)
		ph_nfq_flush_verdicts(d->nfq);
}

/* ---- packets ---------------------------------------------------------- */

static enum ph_nfq_verdict
pd_packet(void *arg, struct ph_nfq_pkt *pkt)
{
	struct ph_daemon *d = arg;
	struct ph_pkt_in in;
	struct ph_pkt_out out;
	int pidx;

	if (pkt->hw_protocol != PD_ETH_P_IP && pkt->hw_protocol != 0) {
		d->ctr.not_ipv4++;
		return PH_NFQ_DROP;
	}
	pidx = pd_if_lookup(d, pkt->indev);
	if (pidx < 0) {
		if (pidx == PD_IF_SHUTDOWN)
			d->ctr.shutdown_if++;
		else
			d->ctr.unknown_if++;
		return PH_NFQ_DROP;
	}
	in.data = pkt->data;
	in.len = pkt->len;
	in.ifidx = (uint16_t)pidx;
	in.token = pkt->id;
	in.flags = pkt->csum_partial ? PH_PKT_F_CSUM_PARTIAL : 0;
	if (ph_engine_process(d->eng, &in, d->now, &out) < 0)
		return PH_NFQ_DROP;
	switch (out.verdict) {
	case PH_VERDICT_ACCEPT:
		pkt->modified = out.modified;
		return PH_NFQ_ACCEPT;
	case PH_VERDICT_HOLD:
		deferred_add(d, pkt->id);
		return PH_NFQ_DEFER;
	default:
		return PH_NFQ_DROP;
	}
}

/* Read the queue until it is empty or the read budget is spent. */
static void
drain_queue(struct ph_daemon *d)
{
	static uint64_t last_err_ns;
	int n;

	for (int i = 0; i < PH_DAEMON_READS_MAX; i++) {
		d->now = pd_now();
		n = ph_nfq_recv_batch(d->nfq, pd_packet, d);
		pd_release_held(d);
		if (n == 0)
			return;
		if (n < 0) {
			if (d->now.ns - last_err_ns >= PH_NSEC_PER_SEC) {
				last_err_ns = d->now.ns;
				ph_logsink_msg(d->log, LOG_ERR,
					       "reading NFQUEUE %u: %s",
					       d->cfg->queue, strerror(-n));
			}
			return;
		}
	}
}

void
pd_loop_drain_final(struct ph_daemon *d)
{
	drain_queue(d);
	for (size_t i = 0; i < d->n_deferred; i++)
		ph_nfq_verdict(d->nfq, d->deferred[i].id, PH_NFQ_DROP, NULL, 0);
	d->n_deferred = 0;
	ph_nfq_flush_verdicts(d->nfq);
}

/* ---- timer and signals ------------------------------------------------ */

static void
conn_count_event(struct ph_daemon *d)
{
	struct ph_engine_counters c;
	struct ph_event ev;
	uint64_t sec = d->now.ns / PH_NSEC_PER_SEC;

	if (d->cfg->conn_count_sec == 0 ||
	    sec - d->last_conn_count < d->cfg->conn_count_sec)
		return;
	d->last_conn_count = sec;
	ph_engine_counters(d->eng, &c);
	ph_event_init(&ev, PH_EV_CONN_COUNT, d->now);
	ev.in_use = c.conns_in_use;
	ev.most_used = c.conns_most_used;
	d->ctr.events++;
	ph_logsink_emit(d->log, &ev);
}

static void
on_timer(struct ph_daemon *d)
{
	uint64_t expirations;

	while (read(d->timerfd, &expirations, sizeof(expirations)) < 0 &&
	       errno == EINTR)
		;
	d->now = pd_now();
	d->ctr.ticks++;
	/* each call expires at most tick_budget entries; a burst of
	 * expiries gets a few slices, never an unbounded pause */
	for (int i = 0; i < PD_TICK_SLICES; i++)
		if (ph_engine_tick(d->eng, d->now) <
		    PH_ENGINE_DEFAULT_TICK_BUDGET)
			break;
	pd_release_held(d);
	deferred_sweep(d);
	if (d->ctl != NULL) {
		ph_control_tick(d->ctl);
		pd_debug_tick(d);
	}
	conn_count_event(d);
}

static void
on_signal(struct ph_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			ph_logsink_msg(d->log, LOG_NOTICE,
				       "signal %u from pid %u: stopping",
				       si.ssi_signo, si.ssi_pid);
			d->stop = true;
			break;
		case SIGHUP:
			ph_logsink_msg(d->log, LOG_NOTICE,
				       "SIGHUP from pid %u: reloading",
				       si.ssi_pid);
			pd_reload(d, NULL, NULL, NULL);
			break;
		}
	}
}

/* ---- set-up and the loop ---------------------------------------------- */

static int
epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int
pd_loop_init(struct ph_daemon *d)
{
	struct itimerspec its = { .it_interval = { 1, 0 },
				  .it_value = { 1, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	d->timerfd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0)
		return -errno;
	if (timerfd_settime(d->timerfd, 0, &its, NULL) < 0)
		return -errno;
	if (epoll_add(d->epfd, d->sigfd) < 0 ||
	    epoll_add(d->epfd, d->timerfd) < 0)
		return -errno;
	return 0;
}

void
pd_loop_fini(struct ph_daemon *d)
{
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->timerfd >= 0)
		close(d->timerfd);
	d->epfd = d->sigfd = d->timerfd = -1;
	pd_ifmon_stop(d);
}

static void
dispatch(struct ph_daemon *d, int fd, uint32_t events)
{
	if (fd == d->sigfd)
		on_signal(d);
	else if (fd == d->timerfd)
		on_timer(d);
	else if (fd == ph_nfq_fd(d->nfq))
		drain_queue(d);
	else if (d->ctl != NULL && fd == ph_control_fd(d->ctl))
		ph_control_handle(d->ctl, fd, events);
	else if (fd == pd_ifmon_fd(d))
		pd_ifmon_handle(d); /* interfaces changed (ifmon.c) */
}

int
pd_loop_run(struct ph_daemon *d)
{
	struct epoll_event evs[8];
	int n, rc;

	rc = epoll_add(d->epfd, ph_nfq_fd(d->nfq));
	if (rc == 0 && d->ctl != NULL)
		rc = epoll_add(d->epfd, ph_control_fd(d->ctl));
	if (rc == 0 && pd_ifmon_start(d) >= 0) /* not fatal: logged */
		rc = epoll_add(d->epfd, pd_ifmon_fd(d));
	if (rc < 0)
		return rc;
	while (!d->stop) {
		n = epoll_wait(d->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !d->stop; i++)
			dispatch(d, evs[i].data.fd, evs[i].events);
		ph_logsink_flush(d->log); /* datagrams to the logging hosts */
	}
	return 0;
}
