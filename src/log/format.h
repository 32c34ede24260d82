/*
 * log/format.h - turn a struct ph_event into the PIX syslog line.
 *
 * Framing (PIX 6.3, reference s3.1): the message is
 *
 *	[Mmm dd yyyy hh:mm:ss[ DEVID ]: ]%PIX-S-NNNNNN: text
 *
 * i.e. `logging timestamp` prepends "Apr 15 2007 21:28:13: ", `logging
 * device-id` adds the identifier after the timestamp followed by " : "
 * ("Apr 15 2007 21:28:13 pix1 : %PIX-..." / "pix1 : %PIX-..." without a
 * timestamp), and `logging asa-prefix` (pinhole: logging.asa_prefix)
 * prints %ASA- instead of %PIX-.  The <PRI> of a syslog datagram is the
 * sender's business; ph_log_pri() computes it.
 *
 * The core reads no clock: the caller passes the wall-clock time for the
 * timestamp as a broken-down struct tm (local time as the operator wants it).
 *
 * Known limits: no `logging message ID level N` re-levelling here (the
 * engine sets ev->severity); text is ASCII.
 */
#ifndef PH_LOG_FORMAT_H
#define PH_LOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ph_event;

/* How to frame the line; all zero = "%PIX-S-ID: text" and nothing else. */
struct ph_log_fmt {
	bool asa_prefix;       /* %ASA- instead of %PIX- */
	bool timestamp;	       /* prepend `wall` as "Mmm dd yyyy hh:mm:ss" */
	struct tm wall;	       /* wall-clock time of the event */
	const char *device_id; /* NULL or "" = none */
};

/**
 * Format `ev` into buf (always NUL-terminated when len > 0, truncated if
 * short).  Returns the length of the full line (as snprintf: a result >=
 * len means it was truncated), or -EINVAL when the id is not in the
 * catalog or its template is malformed (unknown placeholder, unbalanced
 * brackets).
 */
int ph_event_format(const struct ph_event *ev, const struct ph_log_fmt *opts,
		    char *buf, size_t len);

/**
 * Format only the message text (no tag, no timestamp) of `ev`.  Same
 * return convention as ph_event_format().
 */
int ph_event_format_text(const struct ph_event *ev, char *buf, size_t len);

/**
 * Should `ev` go to a destination configured at `level` (logging trap,
 * buffered, console...: 0..7, -1 = off)?  True when ev->severity <= level.
 */
bool ph_event_level_filter(const struct ph_event *ev, int level);

/** Syslog PRI of a message: facility (PIX number, e.g. 20 = local4) * 8 +
 * severity; the facility is clamped to 0..23 and severity to 0..7. */
unsigned ph_log_pri(unsigned facility, unsigned severity);

#endif /* PH_LOG_FORMAT_H */
