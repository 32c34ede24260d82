/*
 * daemon/loop.c - pinholed's event loop, queue threads and packet
 * callback.
 *
 * Threads (`--queues N`, N >= 1; queues Q..Q+N-1):
 *  - the main thread runs one epoll set: queue 0's NFQUEUE socket and its
 *    mailbox eventfd, the control module's epoll fd (pinholectl
 *    clients), a signalfd (SIGTERM/SIGINT stop, SIGHUP reloads) and a
 *    1-second timerfd (engine expiry, stale holds, control timeouts, the
 *    optional 302010 count).  With N = 1 it is the only thread, as
 *    before --queues existed.
 *  - queues 1..N-1 each have a worker thread with its own epoll set (its
 *    queue socket and mailbox eventfd, 1-second timeout for its tick).
 *
 * Locking: there is one engine (PAT replies arrive addressed to the
 * global address, so the two directions of a connection may come in on
 * different queues: the tables must be shared) and libpinhole is not
 * thread-safe, so one recursive mutex, d->lock, serialises all engine
 * work.  A queue thread reads a batch (ph_nfq_read(), no lock), takes the
 * lock, runs the engine on the whole batch (ph_nfq_process_batch() ->
 * pd_batch() -> ph_engine_process_batch()), collects released held packets,
 * publishes its queue counters, gives the lock back and only then sends
 * the verdicts (ph_nfq_flush_verdicts()).  So netlink receive, parsing
 * and verdict sending run in parallel; engine work does not.  Everything
 * else that touches the engine or the shared daemon state holds the same
 * lock: timer ticks and expiry, control commands (show, clear, reload),
 * signals (SIGHUP reload), interface re-resolution (inside pd_admit),
 * the log sink (engine events are emitted under the lock; the
 * ph_nfq_opts log callback takes it, hence recursive).
 *
 * Held packets: an engine token is (queue index << 32 | kernel packet
 * id), since ids are per queue.  A held packet must get its verdict on
 * the queue it came from, and a queue handle is only ever used by its
 * own thread: pd_release_held() (always under the lock) gives a verdict
 * directly when the packet is the calling thread's, and otherwise
 * appends it (with a copy of the rewritten bytes) to the owning queue's
 * mailbox and wakes that thread through its eventfd; the owner sends it
 * after its next locked section.  Each queue tracks its own held ids
 * (bounded); one still held after PH_DAEMON_DEFER_SEC (the engine gives
 * up after 3 s) is dropped by its owner's tick, so no packet stays in
 * the kernel queue forever.
 *
 * Lock order: d->lock is the only lock (plus the control and log
 * modules, which are only entered under it).  Level-triggered epoll: a
 * queue with more than PH_DAEMON_READS_MAX reads waiting yields to the
 * thread's other descriptors, and a read of less than a full batch ends
 * the wake-up's reading (the socket was empty; epoll reports more).  Log datagrams for the `logging host`s are
 * sent after every main-thread wake-up and after a worker batch that
 * produced events.
 *
 * Per packet: ingress ifindex -> policy index (a packet from an unknown
 * or `shutdown` interface is dropped and counted), the engine (one
 * ph_engine_process_batch() per read) with the checksum-partial flag
 * from NFQUEUE, verdict: ACCEPT (with the
 * rewritten payload when the engine modified it), DROP, or DEFER for an
 * engine HOLD.
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
 * Known limits: engine work is serialised, so N queues scale only the
 * kernel/netlink half of the per-packet cost (docs/performance.md,
 * "(8) Multi-core").  A rewritten packet's verdict is built (copied into
 * the send buffer, checksum completed) under the lock.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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
#include "daemon/shedprog.h"

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

/* ---- locking ---------------------------------------------------------- */

/* The queue whose handle this thread owns (main thread: queue 0). */
static _Thread_local struct pd_queue *pd_self;

void
pd_lock(struct ph_daemon *d)
{
	pthread_mutex_lock(&d->lock);
}

void
pd_unlock(struct ph_daemon *d)
{
	pthread_mutex_unlock(&d->lock);
}

void
pd_queue_stats(struct ph_daemon *d, size_t i, struct ph_nfq_stats *st)
{
	if (&d->q[i] == pd_self)
		ph_nfq_stats(d->q[i].nfq, st);
	else
		*st = d->q[i].snap;
}

size_t
pd_held_now(const struct ph_daemon *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_q; i++)
		n += d->q[i].n_deferred;
	return n;
}

static void
wake(struct pd_queue *q)
{
	uint64_t one = 1;

	(void)!write(q->evfd, &one, sizeof(one));
}

/* ---- held packets ----------------------------------------------------- */

static void
deferred_add(struct pd_queue *q, uint32_t id)
{
	struct ph_daemon *d = q->d;

	d->ctr.held++;
	if (q->n_deferred >= PH_DAEMON_MAX_DEFER) {
		d->ctr.held_untracked++;
		return;
	}
	q->deferred[q->n_deferred].id = id;
	q->deferred[q->n_deferred].since_ns = d->now.ns;
	q->n_deferred++;
}

static void
deferred_forget(struct pd_queue *q, uint32_t id)
{
	for (size_t i = 0; i < q->n_deferred; i++) {
		if (q->deferred[i].id != id)
			continue;
		q->deferred[i] = q->deferred[--q->n_deferred];
		return;
	}
}

/* Queue a release for another thread's queue; false when out of memory
 * (the id stays tracked, and the owner's sweep drops it). */
static bool
mbox_push(struct pd_queue *q, uint32_t id, enum ph_nfq_verdict v,
	  const uint8_t *data, size_t len)
{
	struct pd_release *r;

	if (q->n_mbox == q->c_mbox) {
		size_t c = q->c_mbox ? q->c_mbox * 2 : 16;

		r = realloc(q->mbox, c * sizeof(*r));
		if (r == NULL)
			return false;
		q->mbox = r;
		q->c_mbox = c;
	}
	r = &q->mbox[q->n_mbox];
	r->id = id;
	r->v = v;
	r->data = NULL;
	r->len = 0;
	if (data != NULL) {
		r->data = malloc(len);
		if (r->data == NULL)
			return false;
		memcpy(r->data, data, len);
		r->len = len;
	}
	q->n_mbox++;
	return true;
}

/* Owner, under the lock: verdicts for what other threads released. */
static void
mbox_drain(struct pd_queue *q)
{
	for (size_t i = 0; i < q->n_mbox; i++) {
		struct pd_release *r = &q->mbox[i];

		if (ph_nfq_verdict(q->nfq, r->id, r->v, r->data, r->len) < 0)
			q->d->ctr.verdict_errors++;
		free(r->data);
	}
	q->n_mbox = 0;
}

void
pd_release_held(struct ph_daemon *d)
{
	struct ph_pkt_released rel;
	bool self = false;

	while (ph_engine_release(d->eng, &rel)) {
		size_t qi = (size_t)(rel.token >> 32);
		uint32_t id = (uint32_t)rel.token;
		enum ph_nfq_verdict v = rel.out.verdict == PH_VERDICT_ACCEPT
						? PH_NFQ_ACCEPT
						: PH_NFQ_DROP;
		bool mod = v == PH_NFQ_ACCEPT && rel.out.modified;
		struct pd_queue *q;

		if (qi >= d->n_q) {
			d->ctr.verdict_errors++;
			continue;
		}
		q = &d->q[qi];
		d->ctr.released++;
		if (q != pd_self) {
			if (mbox_push(q, id, v, mod ? rel.data : NULL,
				      mod ? rel.len : 0)) {
				deferred_forget(q, id);
				wake(q);
			} else {
				d->ctr.verdict_errors++;
			}
			continue;
		}
		deferred_forget(q, id);
		if (ph_nfq_verdict(q->nfq, id, v, mod ? rel.data : NULL,
				   mod ? rel.len : 0) < 0)
			d->ctr.verdict_errors++;
		self = true;
	}
	if (self)
		ph_nfq_flush_verdicts(pd_self->nfq);
}

/* Owner, under the lock: drop ids held longer than the engine would
 * ever hold them. */
static void
deferred_sweep(struct pd_queue *q)
{
	struct ph_daemon *d = q->d;
	uint64_t limit = (uint64_t)PH_DAEMON_DEFER_SEC * PH_NSEC_PER_SEC;
	size_t i = 0;

	while (i < q->n_deferred) {
		if (d->now.ns - q->deferred[i].since_ns < limit) {
			i++;
			continue;
		}
		ph_nfq_verdict(q->nfq, q->deferred[i].id, PH_NFQ_DROP, NULL, 0);
		d->ctr.held_expired++;
		q->deferred[i] = q->deferred[--q->n_deferred];
	}
}

/* ---- packets ---------------------------------------------------------- */

/*
 * Fill in for pkt, or say why the engine never sees it (counted): not
 * IPv4, or from an interface that is unknown or `shutdown`.
 */
static bool
pd_admit(struct pd_queue *q, const struct ph_nfq_pkt *pkt, struct ph_pkt_in *in)
{
	struct ph_daemon *d = q->d;
	int pidx;

	if (pkt->hw_protocol != PD_ETH_P_IP && pkt->hw_protocol != 0) {
		d->ctr.not_ipv4++;
		return false;
	}
	pidx = pd_if_lookup(d, pkt->indev);
	if (pidx < 0) {
		if (pidx == PD_IF_SHUTDOWN)
			d->ctr.shutdown_if++;
		else
			d->ctr.unknown_if++;
		return false;
	}
	in->data = pkt->data;
	in->len = pkt->len;
	in->ifidx = (uint16_t)pidx;
	in->token = (uint64_t)q->idx << 32 | pkt->id;
	in->flags = pkt->csum_partial ? PH_PKT_F_CSUM_PARTIAL : 0;
	return true;
}

/* The kernel verdict for the engine's decision on pkt. */
static enum ph_nfq_verdict
pd_verdict(struct pd_queue *q, struct ph_nfq_pkt *pkt,
	   const struct ph_pkt_out *out)
{
	switch (out->verdict) {
	case PH_VERDICT_ACCEPT:
		pkt->modified = out->modified;
		return PH_NFQ_ACCEPT;
	case PH_VERDICT_HOLD:
		deferred_add(q, pkt->id);
		return PH_NFQ_DEFER;
	default:
		return PH_NFQ_DROP;
	}
}

/*
 * The packets of one read, through the engine as one batch
 * (ph_engine_process_batch(): the same decisions as one call per packet,
 * with the table's cache misses overlapped).  v[] comes filled with drops.
 */
static void
pd_batch(void *arg, struct ph_nfq_pkt *pkts, enum ph_nfq_verdict *v, uint32_t n)
{
	struct pd_queue *q = arg;
	struct pd_shedprog *sp = pd_shed_prog(q->d); /* flows it favours */
	uint32_t i, k = 0;

	for (i = 0; i < n; i++) { /* n <= ph_nfq_batch_max() = bcap */
		if (!pd_admit(q, &pkts[i], &q->bin[k]))
			continue;
		q->bout[k] = (struct ph_pkt_out){ .verdict = PH_VERDICT_DROP };
		if (sp != NULL) /* the tuple as it arrived, before a rewrite */
			q->bkey[k] = pd_shedprog_flow_key(sp, pkts[i].data,
							  pkts[i].len);
		q->bmap[k++] = i;
	}
	/* -EINVAL names no packet: each one's out says what happened */
	(void)ph_engine_process_batch(q->d->eng, q->bin, k, q->d->now, q->bout);
	for (i = 0; i < k; i++) {
		v[q->bmap[i]] = pd_verdict(q, &pkts[q->bmap[i]], &q->bout[i]);
		if (sp != NULL && q->bout[i].verdict == PH_VERDICT_ACCEPT)
			pd_shedprog_flow_mark(sp, q->bkey[i]);
	}
}

/*
 * One read of q: read without the lock, run the engine on the batch and
 * hand over what it released under the lock, send the verdicts without
 * it.  Returns the datagrams read, 0 when empty, or -errno.
 */
static int
queue_cycle(struct pd_queue *q)
{
	struct ph_daemon *d = q->d;
	uint64_t events;
	int n = ph_nfq_read(q->nfq);

	if (n <= 0)
		return n;
	pd_lock(d);
	d->now = pd_now();
	events = d->ctr.events;
	ph_nfq_process_batch(q->nfq, pd_batch, q);
	pd_release_held(d);
	mbox_drain(q);
	ph_nfq_stats(q->nfq, &q->snap);
	if (q->idx != 0 && d->ctr.events != events)
		ph_logsink_flush(d->log); /* the main thread would wait */
	pd_unlock(d);
	ph_nfq_flush_verdicts(q->nfq);
	return n;
}

/*
 * Read the queue until it is empty or the read budget is spent.  With
 * short_ends, a read of less than a full batch ends it: recvmmsg() found
 * the socket empty, and level-triggered epoll reports what comes next, so
 * the read that would only return EAGAIN (one syscall per wake-up, a
 * quarter of the reads in the conn/s benchmark) is not made.
 */
static void
drain_queue(struct pd_queue *q, bool short_ends)
{
	struct ph_daemon *d = q->d;
	uint64_t now;
	int n;

	for (int i = 0; i < PH_DAEMON_READS_MAX; i++) {
		n = queue_cycle(q);
		if (n == 0)
			return;
		if (n > 0 && short_ends && (uint32_t)n < q->bcap)
			return;
		if (n < 0) {
			now = pd_now().ns;
			if (now - q->last_err_ns >= PH_NSEC_PER_SEC) {
				q->last_err_ns = now;
				pd_lock(d);
				ph_logsink_msg(d->log, LOG_ERR,
					       "reading NFQUEUE %u: %s", q->num,
					       strerror(-n));
				pd_unlock(d);
			}
			return;
		}
	}
}

/* Owner: the mailbox eventfd fired. */
static void
on_mbox(struct pd_queue *q)
{
	uint64_t v;

	while (read(q->evfd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
	pd_lock(q->d);
	mbox_drain(q);
	pd_unlock(q->d);
	ph_nfq_flush_verdicts(q->nfq);
}

/* Owner, once a second: stale holds, published counters. */
static void
queue_tick(struct pd_queue *q)
{
	struct ph_daemon *d = q->d;

	pd_lock(d);
	d->now = pd_now();
	q->last_sweep_ns = d->now.ns;
	mbox_drain(q);
	deferred_sweep(q);
	ph_nfq_stats(q->nfq, &q->snap);
	pd_unlock(d);
	ph_nfq_flush_verdicts(q->nfq);
}

/* Drain every queue once more after the table is gone (workers joined:
 * this thread owns them all now); drop what is still held. */
void
pd_loop_drain_final(struct ph_daemon *d)
{
	struct pd_queue *self = pd_self;

	for (size_t i = 0; i < d->n_q; i++) {
		struct pd_queue *q = &d->q[i];

		if (q->nfq == NULL)
			continue;
		pd_self = q;
		drain_queue(q, false);
		pd_lock(d);
		mbox_drain(q);
		for (size_t k = 0; k < q->n_deferred; k++)
			ph_nfq_verdict(q->nfq, q->deferred[k].id, PH_NFQ_DROP,
				       NULL, 0);
		q->n_deferred = 0;
		pd_unlock(d);
		ph_nfq_flush_verdicts(q->nfq);
	}
	pd_self = self;
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
	pthread_mutexattr_t ma;
	sigset_t set;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&d->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* blocked before any worker starts: workers inherit the mask */
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

/*
 * The queue array: n handles are opened by daemon.c into q[i].nfq; here
 * each gets its mailbox eventfd (and a worker its own epoll set).
 */
int
pd_loop_queues_init(struct ph_daemon *d, size_t n)
{
	d->q = calloc(n, sizeof(*d->q));
	if (d->q == NULL)
		return -ENOMEM;
	d->n_q = n;
	for (size_t i = 0; i < n; i++) {
		struct pd_queue *q = &d->q[i];

		q->d = d;
		q->idx = (uint16_t)i;
		q->num = (uint16_t)(d->cfg->queue + i);
		q->epfd = -1;
		atomic_init(&q->stop, false);
		q->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (q->evfd < 0)
			return -errno;
		if (i == 0)
			continue;
		q->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (q->epfd < 0)
			return -errno;
	}
	pd_self = &d->q[0];
	return 0;
}

int
pd_queue_batch_alloc(struct pd_queue *q)
{
	q->bcap = ph_nfq_batch_max(q->nfq);
	q->bin = calloc(q->bcap, sizeof(*q->bin));
	q->bout = calloc(q->bcap, sizeof(*q->bout));
	q->bmap = calloc(q->bcap, sizeof(*q->bmap));
	q->bkey = calloc(q->bcap, sizeof(*q->bkey));
	if (q->bin == NULL || q->bout == NULL || q->bmap == NULL ||
	    q->bkey == NULL)
		return -ENOMEM;
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
	for (size_t i = 0; i < d->n_q; i++) {
		struct pd_queue *q = &d->q[i];

		if (q->epfd >= 0)
			close(q->epfd);
		if (q->evfd >= 0)
			close(q->evfd);
		for (size_t k = 0; k < q->n_mbox; k++)
			free(q->mbox[k].data);
		free(q->mbox);
		free(q->bin);
		free(q->bout);
		free(q->bmap);
		free(q->bkey);
	}
	free(d->q);
	d->q = NULL;
	d->n_q = 0;
	pthread_mutex_destroy(&d->lock);
}

/* ---- worker threads ----------------------------------------------------- */

static void *
worker_main(void *arg)
{
	struct pd_queue *q = arg;
	struct epoll_event evs[2];
	int n;

	pd_self = q;
	while (!atomic_load(&q->stop)) {
		n = epoll_wait(q->epfd, evs, 2, 1000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == q->evfd)
				on_mbox(q);
			else
				drain_queue(q, true);
		}
		if (pd_now().ns - q->last_sweep_ns >= PH_NSEC_PER_SEC)
			queue_tick(q);
	}
	return NULL;
}

static int
workers_start(struct ph_daemon *d)
{
	char name[16];
	int rc;

	for (size_t i = 1; i < d->n_q; i++) {
		struct pd_queue *q = &d->q[i];

		if (epoll_add(q->epfd, ph_nfq_fd(q->nfq)) < 0 ||
		    epoll_add(q->epfd, q->evfd) < 0)
			return -errno;
		rc = pthread_create(&q->thread, NULL, worker_main, q);
		if (rc != 0)
			return -rc;
		q->running = true;
		snprintf(name, sizeof(name), "pinholed-q%u", q->num);
		pthread_setname_np(q->thread, name);
	}
	return 0;
}

static void
workers_stop(struct ph_daemon *d)
{
	for (size_t i = 1; i < d->n_q; i++) {
		struct pd_queue *q = &d->q[i];

		if (!q->running)
			continue;
		atomic_store(&q->stop, true);
		wake(q);
		pthread_join(q->thread, NULL);
		q->running = false;
	}
}

/* ---- the main thread ---------------------------------------------------- */

static void
dispatch(struct ph_daemon *d, int fd, uint32_t events)
{
	if (fd == ph_nfq_fd(d->q[0].nfq)) {
		drain_queue(&d->q[0], true);
		return;
	}
	if (fd == d->q[0].evfd) {
		on_mbox(&d->q[0]);
		return;
	}
	pd_lock(d);
	if (fd == d->sigfd)
		on_signal(d);
	else if (fd == d->timerfd)
		on_timer(d);
	else if (d->ctl != NULL && fd == ph_control_fd(d->ctl))
		ph_control_handle(d->ctl, fd, events);
	else if (fd == pd_ifmon_fd(d))
		pd_ifmon_handle(d); /* interfaces changed (ifmon.c) */
	pd_unlock(d);
	if (fd == d->timerfd)
		queue_tick(&d->q[0]);
}

static int
main_loop(struct ph_daemon *d)
{
	struct epoll_event evs[8];
	int n;

	while (!d->stop) {
		n = epoll_wait(d->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !d->stop; i++)
			dispatch(d, evs[i].data.fd, evs[i].events);
		pd_lock(d);
		ph_logsink_flush(d->log); /* datagrams to the logging hosts */
		pd_unlock(d);
	}
	return 0;
}

int
pd_loop_run(struct ph_daemon *d)
{
	int rc;

	rc = epoll_add(d->epfd, ph_nfq_fd(d->q[0].nfq));
	if (rc == 0)
		rc = epoll_add(d->epfd, d->q[0].evfd);
	if (rc == 0 && d->ctl != NULL)
		rc = epoll_add(d->epfd, ph_control_fd(d->ctl));
	if (rc == 0 && pd_ifmon_start(d) >= 0) /* not fatal: logged */
		rc = epoll_add(d->epfd, pd_ifmon_fd(d));
	if (rc == 0)
		rc = workers_start(d);
	if (rc == 0)
		rc = pd_shed_start(d); /* the shedding controller's thread */
	if (rc == 0)
		rc = main_loop(d);
	pd_shed_stop(d); /* before the table goes: it uses the nft handle */
	workers_stop(d);
	return rc;
}
