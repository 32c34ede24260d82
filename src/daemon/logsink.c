/*
 * daemon/logsink.c - the log destinations of pinholed (see logsink.h):
 * syslog(3), UDP logging hosts, the `logging buffered` ring and stderr.
 *
 * The formatting and framing are pure functions of the core library
 * (log/format.c, log/bsdsyslog.c); this file holds the I/O, the queue of
 * datagrams and the counters.  The wall-clock time of a line is read here
 * (CLOCK_REALTIME, local time), once per second at most.
 *
 * `show logging` lives in logsink_show.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include <pinhole/event.h>

#include "daemon/logsink_int.h"
#include "log/bsdsyslog.h"

#define MMSG_BATCH 64

struct ph_logsink *
ph_logsink_new(const struct ph_logsink_opts *o)
{
	struct ph_logsink *s = calloc(1, sizeof(*s));
	uint32_t lines = o->ring_lines ? o->ring_lines : PH_LOGSINK_RING_LINES;

	if (s == NULL)
		return NULL;
	strlcpy(s->ident, o->ident ? o->ident : "pinholed", sizeof(s->ident));
	s->use_syslog = o->use_syslog;
	s->to_stderr = o->to_stderr;
	if (o->hostname != NULL)
		strlcpy(s->fixed_host, o->hostname, sizeof(s->fixed_host));
	s->lg.trap = s->lg.buffered = s->lg.console = -1;
	s->lg.monitor = s->lg.history = -1;
	s->lg.facility = PH_SYSLOG_FACILITY_DEFAULT;
	s->udp_fd = -1;
	s->ring = ph_log_ring_new(lines);
	if (s->ring == NULL)
		goto out_free;
	if (s->use_syslog)
		openlog(s->ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return s;

out_free:
	free(s);
	return NULL;
}

void
ph_logsink_free(struct ph_logsink *s)
{
	if (s == NULL)
		return;
	ph_logsink_flush(s);
	if (s->use_syslog)
		closelog();
	if (s->udp_fd >= 0)
		close(s->udp_fd);
	ph_log_ring_free(s->ring);
	free(s->q);
	free(s);
}

/* The identifier `logging device-id` asks for, into s->devid. */
static void
set_devid(struct ph_logsink *s, const struct ph_policy *pol)
{
	const struct ph_logging *lg = &pol->logging;
	uint32_t a;

	s->devid[0] = '\0';
	switch (lg->devid_kind) {
	case PH_DEVID_HOSTNAME:
		strlcpy(s->devid, pol->hostname, sizeof(s->devid));
		break;
	case PH_DEVID_STRING:
		strlcpy(s->devid, lg->devid, sizeof(s->devid));
		break;
	case PH_DEVID_IPADDRESS:
		if (lg->devid_if >= pol->n_ifaces ||
		    !pol->ifaces[lg->devid_if].has_addr)
			break;
		a = pol->ifaces[lg->devid_if].addr;
		snprintf(s->devid, sizeof(s->devid), "%u.%u.%u.%u", a >> 24,
			 (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
		break;
	}
}

static void
set_host(struct ph_logsink *s, const struct ph_policy *pol)
{
	if (s->fixed_host[0])
		strlcpy(s->host, s->fixed_host, sizeof(s->host));
	else if (pol->hostname[0])
		strlcpy(s->host, pol->hostname, sizeof(s->host));
	else if (gethostname(s->host, sizeof(s->host)) < 0)
		s->host[0] = '\0';
	s->host[sizeof(s->host) - 1] = '\0';
}

/* Copy the UDP hosts; keep the counters of hosts that stay. */
static void
set_hosts(struct ph_logsink *s, const struct ph_policy *pol)
{
	struct lhost old[PH_LOGHOSTS_MAX];
	unsigned n_old = s->n_hosts;
	const struct ph_logging *lg = &pol->logging;

	memcpy(old, s->hosts, sizeof(old));
	s->n_hosts = 0;
	s->tcp_hosts = 0;
	for (unsigned i = 0; i < lg->n_hosts && i < PH_LOGHOSTS_MAX; i++) {
		const struct ph_loghost *h = &lg->hosts[i];
		struct lhost *d = &s->hosts[s->n_hosts];

		if (h->proto != 17) {
			s->tcp_hosts++;
			continue;
		}
		memset(d, 0, sizeof(*d));
		d->addr = h->addr;
		d->port = h->port ? h->port : 514;
		if (h->ifidx < pol->n_ifaces)
			strlcpy(d->ifname, pol->ifaces[h->ifidx].name,
				sizeof(d->ifname));
		for (unsigned k = 0; k < n_old; k++)
			if (old[k].addr == d->addr && old[k].port == d->port)
				d->c = old[k].c;
		s->n_hosts++;
	}
}

static int
set_queue(struct ph_logsink *s, uint32_t want)
{
	struct qmsg *q;

	if (want == 0 || want > PH_LOGSINK_QUEUE_MAX)
		want = PH_LOGSINK_QUEUE_MAX;
	if (want == s->qcap)
		return 0;
	q = calloc(want, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	free(s->q);
	s->q = q;
	s->qcap = want;
	s->qlen = 0;
	return 0;
}

int
ph_logsink_configure(struct ph_logsink *s, const struct ph_policy *pol)
{
	int rc;

	ph_logsink_flush(s);
	rc = set_queue(s, pol->logging.queue ? pol->logging.queue : 512);
	if (rc < 0)
		return rc;
	s->lg = pol->logging;
	s->lg.facility = (uint8_t)ph_syslog_pix_facility(s->lg.facility);
	set_devid(s, pol);
	set_host(s, pol);
	set_hosts(s, pol);
	if (s->n_hosts > 0 && s->udp_fd < 0) {
		s->udp_fd = socket(
			AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->udp_fd < 0)
			return -errno;
	}
	if (s->tcp_hosts > 0)
		ph_logsink_msg(s, LOG_WARNING,
			       "logging: %u TCP logging "
			       "host(s) ignored: only UDP is supported",
			       s->tcp_hosts);
	return 0;
}

/* Local time now, cached per second. */
static const struct tm *
wall(struct ph_logsink *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != s->wall_sec) {
		localtime_r(&ts.tv_sec, &s->wall_tm);
		s->wall_sec = ts.tv_sec;
	}
	return &s->wall_tm;
}

static void
to_stderr(struct ph_logsink *s, const char *line, size_t n)
{
	struct iovec iov[2] = { { (void *)line, n }, { (void *)"\n", 1 } };

	if (writev(STDERR_FILENO, iov, 2) == (ssize_t)(n + 1))
		s->err.sent++;
	else
		s->err.dropped++;
}

static void
enqueue(struct ph_logsink *s, unsigned sev, const struct tm *tm,
	const char *line, size_t n)
{
	struct ph_syslog_frame f = { s->lg.facility, s->lg.timestamp, tm,
				     s->host };
	struct qmsg *m;
	int h;

	if (s->qlen == s->qcap)
		ph_logsink_flush(s);
	m = &s->q[s->qlen];
	h = ph_syslog_header(&f, sev, m->data, sizeof(m->data));
	if (h < 0 || (size_t)h >= sizeof(m->data))
		return;
	if (n > sizeof(m->data) - (size_t)h)
		n = sizeof(m->data) - (size_t)h; /* RFC 3164: cut at 1024 */
	memcpy(m->data + h, line, n);
	m->len = (uint16_t)(h + n);
	s->qlen++;
}

void
ph_logsink_emit(void *arg, const struct ph_event *ev)
{
	struct ph_logsink *s = arg;
	unsigned dests = ph_syslog_dests(&s->lg, ev->severity);
	struct ph_log_fmt fmt = { .asa_prefix = s->lg.asa_prefix,
				  .timestamp = s->lg.timestamp,
				  .device_id = s->devid };
	const struct tm *tm;
	char line[PH_LOGSINK_DGRAM_MAX];
	int n;

	s->events++;
	if (dests == 0 && !s->to_stderr) {
		s->filtered++;
		return;
	}
	tm = wall(s);
	fmt.wall = *tm;
	n = ph_event_format(ev, &fmt, line, sizeof(line));
	if (n < 0) {
		s->bad_event++;
		return;
	}
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (dests & PH_LOGDEST_BUFFER) {
		ph_log_ring_push(s->ring, line);
		s->buffer.sent++;
	}
	if (s->to_stderr)
		to_stderr(s, line, (size_t)n);
	if (!(dests & PH_LOGDEST_TRAP))
		return;
	s->trap++;
	if (s->use_syslog) {
		syslog(ph_syslog_facility(s->lg.facility) | (ev->severity & 7),
		       "%s", line);
		s->sys.sent++;
	}
	if (s->n_hosts > 0)
		enqueue(s, ev->severity, tm, line, (size_t)n);
}

/* Send the queue to one host; returns datagrams sent. */
static unsigned
send_host(struct ph_logsink *s, struct lhost *h)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mmsghdr mm[MMSG_BATCH];
	struct iovec iov[MMSG_BATCH];
	unsigned done = 0;

	sa.sin_addr.s_addr = htonl(h->addr);
	sa.sin_port = htons(h->port);
	while (done < s->qlen) {
		unsigned n = s->qlen - done;
		int k;

		if (n > MMSG_BATCH)
			n = MMSG_BATCH;
		memset(mm, 0, n * sizeof(mm[0]));
		for (unsigned i = 0; i < n; i++) {
			iov[i].iov_base = s->q[done + i].data;
			iov[i].iov_len = s->q[done + i].len;
			mm[i].msg_hdr.msg_name = &sa;
			mm[i].msg_hdr.msg_namelen = sizeof(sa);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(s->udp_fd, mm, n, MSG_DONTWAIT);
		if (k <= 0)
			break;
		done += (unsigned)k;
	}
	return done;
}

void
ph_logsink_flush(struct ph_logsink *s)
{
	if (s->qlen == 0)
		return;
	for (unsigned i = 0; i < s->n_hosts && s->udp_fd >= 0; i++) {
		unsigned sent = send_host(s, &s->hosts[i]);

		s->hosts[i].c.sent += sent;
		s->hosts[i].c.dropped += s->qlen - sent;
	}
	s->qlen = 0;
}

void
ph_logsink_msg(struct ph_logsink *s, int sev, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (s->use_syslog)
		syslog(LOG_DAEMON | (sev & 7), "%s", msg);
	if (s->to_stderr || !s->use_syslog)
		fprintf(stderr, "%s: %s\n", s->ident, msg);
}

void
ph_logsink_set_stderr(struct ph_logsink *s, bool on)
{
	s->to_stderr = on;
}

struct ph_log_ring *
ph_logsink_ring(struct ph_logsink *s)
{
	return s->ring;
}

void
ph_logsink_stats(const struct ph_logsink *s, struct ph_logsink_stats *st)
{
	struct ph_log_ring_stats rs;

	memset(st, 0, sizeof(*st));
	st->events = s->events;
	st->filtered = s->filtered;
	st->bad_event = s->bad_event;
	st->trap = s->trap;
	st->tcp_hosts = s->tcp_hosts;
	st->queued = s->qlen;
	st->syslog = s->sys;
	ph_log_ring_stats(s->ring, &rs);
	st->buffer.sent = s->buffer.sent;
	st->buffer.dropped = rs.dropped;
	st->err = s->err;
	st->n_hosts = s->n_hosts;
	for (unsigned i = 0; i < s->n_hosts; i++) {
		st->host[i].addr = s->hosts[i].addr;
		st->host[i].port = s->hosts[i].port;
		strlcpy(st->host[i].ifname, s->hosts[i].ifname,
			sizeof(st->host[i].ifname));
		st->host[i].c = s->hosts[i].c;
		st->hosts.sent += s->hosts[i].c.sent;
		st->hosts.dropped += s->hosts[i].c.dropped;
	}
}
