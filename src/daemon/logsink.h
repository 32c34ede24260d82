/*
 * daemon/logsink.h - where pinholed's PIX syslog lines go.
 *
 * One engine event is formatted once (src/log/format.c, with the policy's
 * `logging timestamp`, `device-id` and ASA-prefix settings) and sent to:
 *  - syslog(3), facility `logging facility` (PIX 16..23 = LOG_LOCAL0..7),
 *    when its severity passes `logging trap`;
 *  - every UDP `logging host`, same filter, as a BSD syslog datagram
 *    (src/log/bsdsyslog.h: "<166>Apr  5 21:28:13 host %PIX-6-..." or, with
 *    `logging timestamp`, PIX's "<166>Apr 05 2007 21:28:13: %PIX-6-...");
 *    datagrams are queued (at most `logging queue` of them, 512 by
 *    default) and sent per host with sendmmsg() by ph_logsink_flush(),
 *    which the daemon calls after each packet batch and each tick; a full
 *    queue is flushed on the spot;
 *  - the `logging buffered` ring (src/log/ring.h) for `show logging`,
 *    when its severity passes `logging buffered`;
 *  - stderr (every line, whatever the level) when running with -d.
 * Nothing but stderr gets a line without `logging on`.  Every destination
 * counts what it sent and what it dropped (UDP send failures, ring lines
 * overwritten, stderr write failures); `show logging` prints them.
 *
 * The daemon's own messages (ph_logsink_msg) go to syslog(3) with
 * facility daemon and to stderr under -d, never to the logging hosts.
 *
 * Known limits: IPv4 UDP hosts only (a TCP `logging host` is skipped and
 * counted); the interface of a `logging host` is shown but not used to
 * pick the source address; `logging console`, `monitor` and `history`
 * have no destination; syslog(3) cannot report drops.
 */
#ifndef PH_DAEMON_LOGSINK_H
#define PH_DAEMON_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/model.h"

struct ph_event;
struct ph_policy;
struct ph_log_ring;
struct ph_logsink;
struct ph_ctl_request;
struct ph_ctl_reply;

#define PH_LOGSINK_RING_LINES 1024 /* default `logging buffered` lines */
#define PH_LOGSINK_DGRAM_MAX  1024 /* RFC 3164 s4.1: at most 1024 bytes */
#define PH_LOGSINK_QUEUE_MAX  8192 /* `logging queue 0` means this */

struct ph_logsink_opts {
	const char *ident;    /* syslog(3) ident; NULL: "pinholed" */
	bool use_syslog;      /* open syslog(3) */
	bool to_stderr;	      /* -d: every line to stderr too */
	const char *hostname; /* RFC 3164 HOSTNAME; NULL: the policy's
			       * hostname, else gethostname() */
	uint32_t ring_lines;  /* 0: PH_LOGSINK_RING_LINES */
};

struct ph_logsink_count {
	uint64_t sent;
	uint64_t dropped;
};

struct ph_logsink_host_stats {
	uint32_t addr; /* host order */
	uint16_t port;
	char ifname[PH_NAME_MAX];
	struct ph_logsink_count c;
};

struct ph_logsink_stats {
	uint64_t events;    /* events given to ph_logsink_emit() */
	uint64_t filtered;  /* no destination took it */
	uint64_t bad_event; /* could not be formatted */
	uint64_t trap;	    /* passed `logging trap` */
	uint64_t tcp_hosts; /* TCP logging hosts skipped */
	uint32_t queued;    /* datagrams waiting for ph_logsink_flush() */
	struct ph_logsink_count syslog, buffer, err, hosts;
	uint32_t n_hosts;
	struct ph_logsink_host_stats host[PH_LOGHOSTS_MAX];
};

/** New log sinks; NULL and errno on failure (ENOMEM, socket errors). */
struct ph_logsink *ph_logsink_new(const struct ph_logsink_opts *opts);

/** Send what is queued, close syslog and the socket, free. NULL is ok. */
void ph_logsink_free(struct ph_logsink *s);

/**
 * Take the `logging` settings of pol (at start and after every reload;
 * pol may be freed afterwards: everything needed is copied).  Flushes
 * what was queued under the old settings first.  Returns 0 or -errno.
 */
int ph_logsink_configure(struct ph_logsink *s, const struct ph_policy *pol);

/**
 * Log one engine event; the signature is ph_emit_fn's, so the sink can
 * be the engine's emit callback directly (arg = the ph_logsink).
 */
void ph_logsink_emit(void *arg, const struct ph_event *ev);

/** Send the queued datagrams to every logging host. */
void ph_logsink_flush(struct ph_logsink *s);

/** One of the daemon's own messages (severity 0..7). */
void ph_logsink_msg(struct ph_logsink *s, int severity, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Start or stop copying lines to stderr. */
void ph_logsink_set_stderr(struct ph_logsink *s, bool on);

/** The `logging buffered` ring (never NULL). */
struct ph_log_ring *ph_logsink_ring(struct ph_logsink *s);

/** Counters. */
void ph_logsink_stats(const struct ph_logsink *s, struct ph_logsink_stats *st);

/**
 * `show logging` as a control handler (daemon/control.h; arg = the
 * ph_logsink): settings, counters per destination, then the buffered
 * lines (paged); JSON with -j.
 */
int ph_logsink_show(void *arg, const struct ph_ctl_request *req,
		    struct ph_ctl_reply *reply);

/** `clear logging` as a control handler: empties the ring. */
int ph_logsink_clear(void *arg, const struct ph_ctl_request *req,
		     struct ph_ctl_reply *reply);

#endif /* PH_DAEMON_LOGSINK_H */
