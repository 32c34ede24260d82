/*
 * log/bsdsyslog.h - framing a PIX line as a BSD syslog datagram (RFC 3164)
 * and mapping PIX facility numbers; pure functions, so the daemon's log
 * sinks (daemon/logsink.c) keep only the I/O.
 *
 * Two forms, chosen by `logging timestamp` (reference s3.1):
 *
 *   off: RFC 3164 s4.1 header, then the line:
 *	<166>Apr  5 21:28:13 gw1 %PIX-6-302013: Built outbound TCP ...
 *   on:  what a PIX sends, the PRI then PIX's own timestamp with the year
 *        and a colon (the line from ph_event_format() with timestamp set):
 *	<166>Apr 15 2007 21:28:13: %PIX-6-302014: Teardown TCP ...
 *
 * Both parse with common collectors (logstash CISCO_TAGGED_SYSLOG matches
 * `<PRI>MONTH DAY( YEAR)? TIME( host)? ?: %TAG:`).  The wall-clock time is
 * passed in: nothing here reads a clock.  Month names are English
 * whatever the locale, as RFC 3164 s4.1.2 requires.
 *
 * Known limits: RFC 5424 framing is not offered; HOSTNAME is cut at the
 * first character RFC 3164 does not allow (space, control, non-ASCII).
 */
#ifndef PH_LOG_BSDSYSLOG_H
#define PH_LOG_BSDSYSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct ph_event;
struct ph_log_fmt;

#define PH_SYSLOG_FACILITY_DEFAULT 20 /* PIX default: local4 */

struct ph_syslog_frame {
	unsigned facility;     /* PIX number (16..23 = local0..7) */
	bool pix_timestamp;    /* `logging timestamp`: the PIX form above */
	const struct tm *wall; /* local time of the message */
	const char *host;      /* RFC 3164 HOSTNAME; NULL or "" = none */
};

/**
 * The datagram header for a message of `severity`: "<PRI>Mmm dd hh:mm:ss
 * HOST " (or "<PRI>Mmm dd hh:mm:ss " without a host), or just "<PRI>"
 * when f->pix_timestamp is set.  Works like snprintf.
 */
int ph_syslog_header(const struct ph_syslog_frame *f, unsigned severity,
		     char *buf, size_t len);

/**
 * The whole datagram for an event: header + ph_event_format(ev, fmt),
 * where fmt's timestamp and wall are taken from f.  Works like snprintf;
 * -EINVAL when the event cannot be formatted.
 */
int ph_syslog_datagram(const struct ph_event *ev, const struct ph_log_fmt *fmt,
		       const struct ph_syslog_frame *f, char *buf, size_t len);

/**
 * The syslog(3) facility for a PIX facility number: LOG_LOCAL0..7 for
 * 16..23; anything else is taken as the PIX default, 20 (LOG_LOCAL4).
 */
int ph_syslog_facility(unsigned pix_facility);

/** A PIX facility number made valid (16..23), the default otherwise. */
unsigned ph_syslog_pix_facility(unsigned pix_facility);

/* Destinations of a message (ph_syslog_dests()). */
#define PH_LOGDEST_TRAP	  0x01 /* `logging trap`: syslog(3) and hosts */
#define PH_LOGDEST_BUFFER 0x02 /* `logging buffered`: the ring */

struct ph_logging;

/**
 * Which destinations take a message of `severity` under the policy's
 * logging settings: none without `logging on`; TRAP when severity <=
 * `logging trap`, BUFFER when severity <= `logging buffered` (a level of
 * -1 is off).
 */
unsigned ph_syslog_dests(const struct ph_logging *lg, unsigned severity);

#endif /* PH_LOG_BSDSYSLOG_H */
