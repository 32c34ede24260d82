/*
 * log/bsdsyslog.c - BSD syslog (RFC 3164) framing of PIX lines; see
 * bsdsyslog.h.  RFC 3164 s4.1.1 (PRI = facility * 8 + severity), s4.1.2
 * (TIMESTAMP "Mmm dd hh:mm:ss", day space-padded; HOSTNAME without
 * spaces).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <pinhole/event.h>

#include "config/model.h"
#include "log/bsdsyslog.h"
#include "log/format.h"

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

unsigned
ph_syslog_pix_facility(unsigned pix_facility)
{
	if (pix_facility < 16 || pix_facility > 23)
		return PH_SYSLOG_FACILITY_DEFAULT;
	return pix_facility;
}

int
ph_syslog_facility(unsigned pix_facility)
{
	return (int)(ph_syslog_pix_facility(pix_facility) - 16) * 8 +
	       LOG_LOCAL0;
}

/* Length of the RFC 3164-valid prefix of a host name. */
static int
host_len(const char *h)
{
	int n = 0;

	while (h != NULL && h[n] > 0x20 && h[n] < 0x7f && n < 255)
		n++;
	return n;
}

int
ph_syslog_header(const struct ph_syslog_frame *f, unsigned severity, char *buf,
		 size_t len)
{
	unsigned pri =
		ph_log_pri(ph_syslog_pix_facility(f->facility), severity);
	const struct tm *t = f->wall;
	int hl = host_len(f->host);

	if (f->pix_timestamp || t == NULL)
		return snprintf(buf, len, "<%u>", pri);
	return snprintf(buf, len, "<%u>%s %2d %02d:%02d:%02d %.*s%s", pri,
			months[(unsigned)t->tm_mon % 12], t->tm_mday,
			t->tm_hour, t->tm_min, t->tm_sec, hl, hl ? f->host : "",
			hl ? " " : "");
}

int
ph_syslog_datagram(const struct ph_event *ev, const struct ph_log_fmt *fmt,
		   const struct ph_syslog_frame *f, char *buf, size_t len)
{
	struct ph_log_fmt o = *fmt;
	int h, n;

	h = ph_syslog_header(f, ev->severity, buf, len);
	if (h < 0)
		return -EINVAL;
	o.timestamp = f->pix_timestamp && f->wall != NULL;
	if (o.timestamp)
		o.wall = *f->wall;
	if ((size_t)h >= len)
		n = ph_event_format(ev, &o, NULL, 0);
	else
		n = ph_event_format(ev, &o, buf + h, len - (size_t)h);
	if (n < 0) {
		if (len > 0)
			buf[0] = '\0';
		return n;
	}
	return h + n;
}

unsigned
ph_syslog_dests(const struct ph_logging *lg, unsigned severity)
{
	unsigned m = 0;

	if (!lg->on)
		return 0;
	if (lg->trap >= 0 && severity <= (unsigned)lg->trap)
		m |= PH_LOGDEST_TRAP;
	if (lg->buffered >= 0 && severity <= (unsigned)lg->buffered)
		m |= PH_LOGDEST_BUFFER;
	return m;
}
