/*
 * daemon/shed.c - overload shedding: the sampling side of core/shed.h
 * (see daemon/shed.h for the modes and what the operator sees).
 *
 * Every PD_SHED_INTERVAL_MS the shed thread (its own, so that a flood
 * that keeps the queue threads busy cannot delay it) reads, for each of
 * the daemon's queues, the kernel's id sequence and drop counters from
 * /proc/net/netfilter/nfnetlink_queue (ph_nfq_kstats(): one small file,
 * parsed in a few microseconds) and what was shed (the rule's named
 * counter, one GETOBJ, and the BPF program's count), sums them, and
 * gives them to the controller; the new rate goes where the limit is
 * (daemon/shed_place.c).  Each tick holds d->lock throughout: the nft
 * handle, the log sink and these counters are shared with the main
 * thread.
 *
 * Known limits: the counters are the kernel's, in the daemon's network
 * namespace; a table rebuilt by a reload or an interface change restarts
 * the rule's counter (the controller skips that interval).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <unistd.h>

#include "core/shed.h"
#include "daemon/daemon.h"
#include "daemon/logsink.h"
#include "daemon/nfq.h"
#include "daemon/nft.h"
#include "daemon/shed.h"
#include "daemon/shed_int.h"
#include "daemon/shedprog.h"

const char *
pd_shed_mode_name(enum pd_shed_mode m)
{
	switch (m) {
	case PD_SHED_OFF:
		return "off";
	case PD_SHED_FIXED:
		return "fixed";
	default:
		return "auto";
	}
}

int
pd_shed_parse(const char *arg, enum pd_shed_mode *mode, uint32_t *rate)
{
	unsigned long v;
	char *end;

	if (strcmp(arg, "auto") == 0 || strcmp(arg, "off") == 0) {
		*mode = arg[0] == 'a' ? PD_SHED_AUTO : PD_SHED_OFF;
		*rate = 0;
		return 0;
	}
	if (arg[0] < '0' || arg[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > PH_NFT_SHED_MAX)
		return -EINVAL;
	*mode = PD_SHED_FIXED;
	*rate = (uint32_t)v;
	return 0;
}

int
pd_shed_parse_hook(const char *arg, enum pd_shed_hook *hook)
{
	static const char *const names[] = {
		[PD_SHED_HOOK_AUTO] = "auto",
		[PD_SHED_HOOK_XDP] = "xdp",
		[PD_SHED_HOOK_XDP_GENERIC] = "xdpgeneric",
		[PD_SHED_HOOK_TC] = "tc",
		[PD_SHED_HOOK_NFT] = "nft",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			*hook = (enum pd_shed_hook)i;
			return 0;
		}
	}
	return -EINVAL;
}

uint32_t
pd_shed_initial_rate(const struct ph_daemon_cfg *cfg)
{
	switch (cfg->shed_mode) {
	case PD_SHED_OFF:
		return 0;
	case PD_SHED_FIXED:
		return cfg->shed_rate;
	default:
		return PH_SHED_DEFAULT_CEILING;
	}
}

static int
shed_timer(struct pd_shed *s)
{
	struct itimerspec its = {
		.it_interval = { 0, PD_SHED_INTERVAL_MS * 1000000L },
		.it_value = { 0, PD_SHED_INTERVAL_MS * 1000000L },
	};

	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	s->stopfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->tfd < 0 || s->stopfd < 0)
		return -errno;
	if (timerfd_settime(s->tfd, 0, &its, NULL) < 0)
		return -errno;
	return 0;
}

static void shed_tick(struct ph_daemon *d);

/* The shed thread: a tick per timer expiry until told to stop.  Signals
 * stay blocked (inherited from the main thread, which reads them from
 * its signalfd). */
static void *
shed_main(void *arg)
{
	struct ph_daemon *d = arg;
	struct pollfd p[2] = { { .fd = d->shed->tfd, .events = POLLIN },
			       { .fd = d->shed->stopfd, .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pd_lock(d);
			ph_logsink_msg(d->log, LOG_ERR,
				       "overload shedding stopped: poll: %s",
				       strerror(errno));
			pd_unlock(d);
			break;
		}
		if (p[1].revents != 0)
			break;
		if (p[0].revents != 0)
			shed_tick(d);
	}
	return NULL;
}

void
pd_shed_stop(struct ph_daemon *d)
{
	struct pd_shed *s = d->shed;
	uint64_t one = 1;

	if (s == NULL || !s->running)
		return;
	/* an eventfd write of 1 can only be interrupted; cancelling the
	 * thread instead could leave d->lock held */
	while (write(s->stopfd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	s->running = false;
}

int
pd_shed_start(struct ph_daemon *d)
{
	struct pd_shed *s = d->shed;
	int rc;

	if (s == NULL)
		return 0;
	rc = pthread_create(&s->thread, NULL, shed_main, d);
	if (rc != 0)
		return -rc;
	s->running = true;
	return 0;
}

static int shed_sample(struct ph_daemon *d, struct ph_shed_sample *smp);

/* The controller's first sample: its base. */
static void
shed_base(struct ph_daemon *d, struct pd_shed *s)
{
	struct ph_shed_sample smp;

	if (shed_sample(d, &smp) != 0)
		return;
	s->last_total = smp.shed;
	if (s->ctl != NULL)
		ph_shed_update(s->ctl, &smp, pd_now());
}

int
pd_shed_init(struct ph_daemon *d)
{
	int kerr = ph_nft_shed_error(d->nft);
	struct pd_shed *s;

	if (kerr != 0)
		ph_logsink_msg(d->log, LOG_WARNING,
			       "overload shedding: the kernel refused the "
			       "limit rule (%s); running without it",
			       strerror(-kerr));
	if (d->cfg->shed_mode == PD_SHED_OFF || kerr != 0)
		return 0;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->tfd = s->stopfd = -1;
	d->shed = s;
	if (d->cfg->shed_mode == PD_SHED_AUTO) {
		s->ctl = ph_shed_new(NULL);
		if (s->ctl == NULL)
			return -errno;
	}
	pd_shed_place_init(d, s); /* the BPF program, standing by */
	shed_base(d, s);	  /* drops from now on count */
	return shed_timer(s);
}

/* The kernel counters of every queue of the daemon, summed; and the
 * rule's.  0 or -errno. */
static int
shed_sample(struct ph_daemon *d, struct ph_shed_sample *smp)
{
	unsigned n = d->cfg->n_queues > 1 ? d->cfg->n_queues : 1;
	struct ph_nfq_kstats ks;
	int rc;

	memset(smp, 0, sizeof(*smp));
	for (unsigned i = 0; i < n; i++) {
		rc = ph_nfq_kstats((uint16_t)(d->cfg->queue + i), &ks);
		if (rc < 0)
			return rc;
		smp->queued += ks.id_sequence;
		smp->queue_dropped += ks.queue_dropped;
		smp->user_dropped += ks.user_dropped;
	}
	return pd_shed_place_count(d, &smp->shed);
}

static void
shed_log(struct ph_daemon *d, struct pd_shed *s, enum ph_shed_action a,
	 const struct ph_shed_sample *smp, uint64_t now)
{
	struct ph_shed_stats st;

	ph_shed_stats(s->ctl, &st);
	if (a == PH_SHED_START) {
		s->started_ns = now;
		s->shed_at_start = smp->shed;
		s->logged = s->last_start_log == 0 ||
			    now - s->last_start_log >=
				    PD_SHED_LOG_SEC * PH_NSEC_PER_SEC;
		if (!s->logged) {
			s->suppressed++;
			return;
		}
		s->last_start_log = now;
		ph_logsink_msg(d->log, LOG_WARNING,
			       "overload: the kernel dropped packets at the "
			       "queue; shedding started at %u pps (capacity "
			       "about %u pps, %u pps handed over in the last "
			       "interval; %llu start(s) not logged)",
			       st.rate, st.capacity, st.last_passed,
			       (unsigned long long)s->suppressed);
		s->suppressed = 0;
	} else if (a == PH_SHED_STOP && s->logged) {
		ph_logsink_msg(
			d->log, LOG_NOTICE,
			"overload: shedding stopped after %llu ms, "
			"%llu packet(s) shed",
			(unsigned long long)((now - s->started_ns) / 1000000),
			(unsigned long long)(smp->shed - s->shed_at_start));
		s->logged = false;
	}
}

/* The tick's work, under d->lock: the nft handle and the engine-side
 * counters are shared with the main thread. */
static void
shed_tick_locked(struct ph_daemon *d, struct pd_shed *s)
{
	struct ph_shed_sample smp;
	enum ph_shed_action a;
	ph_time_t now;

	if (pd_shed_place_rate(d) == 0)
		return; /* table not (yet) in the kernel */
	if (shed_sample(d, &smp) < 0) {
		s->errors++;
		return;
	}
	now = pd_now();
	a = s->ctl != NULL ? ph_shed_update(s->ctl, &smp, now) : PH_SHED_NONE;
	if (a != PH_SHED_NONE) {
		if (pd_shed_place_push(d, ph_shed_rate(s->ctl)) < 0)
			s->errors++;
		else
			s->changes++;
		shed_log(d, s, a, &smp, now.ns);
	}
	pd_shed_place_tick(d, s, smp.shed, now.ns);
}

/* One tick (the shed thread; takes d->lock): sample, push the rate. */
static void
shed_tick(struct ph_daemon *d)
{
	struct pd_shed *s = d->shed;
	uint64_t exp;

	if (s == NULL)
		return;
	while (read(s->tfd, &exp, sizeof(exp)) < 0 && errno == EINTR)
		;
	pd_lock(d);
	shed_tick_locked(d, s);
	pd_unlock(d);
}

void
pd_shed_info(struct ph_daemon *d, struct pd_shed_info *info)
{
	struct ph_shed_stats st = { 0 };

	memset(info, 0, sizeof(*info));
	info->mode = d->cfg->shed_mode;
	info->rate = pd_shed_place_rate(d);
	info->kernel_err = ph_nft_shed_error(d->nft);
	info->hook = pd_shed_place_name(d->shed);
	info->prog = pd_shed_place_prog(d->shed);
	if (info->rate != 0)
		pd_shed_place_count(d, &info->shed);
	if (d->shed == NULL)
		return;
	info->prog_attaches = d->shed->attaches;
	info->prog_shed = d->shed->prog_gone;
	info->prog_shed_known = d->shed->gone_known;
	if (d->shed->prog != NULL) {
		info->prog_shed += pd_shedprog_dropped(d->shed->prog);
		info->prog_shed_known +=
			pd_shedprog_dropped_known(d->shed->prog);
	}
	info->changes = d->shed->changes;
	info->errors = d->shed->errors;
	if (d->shed->ctl == NULL)
		return;
	ph_shed_stats(d->shed->ctl, &st);
	info->active = st.active;
	info->capacity = st.capacity;
	info->last_passed = st.last_passed;
	info->starts = st.starts;
}

void
pd_shed_free(struct ph_daemon *d)
{
	struct pd_shed *s = d->shed;

	if (s == NULL)
		return;
	pd_shed_stop(d);
	if (s->stopfd >= 0)
		close(s->stopfd);
	pd_shed_place_free(s);
	if (s->tfd >= 0)
		close(s->tfd);
	ph_shed_free(s->ctl);
	free(s);
	d->shed = NULL;
}
