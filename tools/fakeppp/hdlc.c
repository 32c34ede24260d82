/*
 * hdlc.c - async HDLC-like framing of PPP on a pty, as pppd does it
 * (RFC 1662 section 4 "Asynchronous HDLC", appendix C for the FCS-16).
 *
 * Sending: every frame is flag-delimited on both sides, 0x7d/0x7e and all
 * of 0x00-0x1f are escaped (the default ACCM, which a peer must always
 * accept), the FCS is the one's complement of the CRC, low byte first.
 * Receiving: 0x7e ends a frame, 0x7d escapes the next byte; a frame is
 * reported with its FCS checked and removed.
 *
 * Limits: the receive ACCM is not applied (stray control characters are
 * kept rather than dropped); frames longer than FP_FRAME_MAX are dropped
 * whole; synchronous framing (pptp --sync) is not supported.
 */
#include "fakeppp.h"

#define FP_HDLC_FLAG 0x7e
#define FP_HDLC_ESC  0x7d
#define FP_HDLC_XOR  0x20
#define FP_FCS_INIT  0xffff
#define FP_FCS_GOOD  0xf0b8
#define FP_FCS_POLY  0x8408 /* x^16 + x^12 + x^5 + 1, bit-reversed */

uint16_t
fp_fcs16(uint16_t fcs, const uint8_t *p, size_t len)
{
	size_t i;
	int bit;

	for (i = 0; i < len; i++) {
		fcs ^= p[i];
		for (bit = 0; bit < 8; bit++) {
			if (fcs & 1)
				fcs = (uint16_t)((fcs >> 1) ^ FP_FCS_POLY);
			else
				fcs >>= 1;
		}
	}
	return fcs;
}

static int
fp_hdlc_needs_escape(uint8_t c)
{
	return c < 0x20 || c == FP_HDLC_FLAG || c == FP_HDLC_ESC;
}

/* Append one byte, escaped if needed; returns the new length or 0. */
static size_t
fp_hdlc_put(uint8_t *out, size_t pos, size_t cap, uint8_t c)
{
	if (fp_hdlc_needs_escape(c)) {
		if (pos + 2 > cap)
			return 0;
		out[pos++] = FP_HDLC_ESC;
		out[pos++] = c ^ FP_HDLC_XOR;
		return pos;
	}
	if (pos + 1 > cap)
		return 0;
	out[pos++] = c;
	return pos;
}

size_t
fp_hdlc_encode(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	uint16_t fcs;
	size_t pos = 0, i;

	if (cap < 1)
		return 0;
	out[pos++] = FP_HDLC_FLAG;
	for (i = 0; i < len; i++) {
		pos = fp_hdlc_put(out, pos, cap, in[i]);
		if (pos == 0)
			return 0;
	}
	fcs = (uint16_t)~fp_fcs16(FP_FCS_INIT, in, len);
	pos = fp_hdlc_put(out, pos, cap, (uint8_t)(fcs & 0xff));
	if (pos == 0)
		return 0;
	pos = fp_hdlc_put(out, pos, cap, (uint8_t)(fcs >> 8));
	if (pos == 0 || pos + 1 > cap)
		return 0;
	out[pos++] = FP_HDLC_FLAG;
	return pos;
}

/* A flag arrived: report the collected frame, if any, and start over. */
static void
fp_hdlc_end(struct fp_hdlc_rx *rx, fp_frame_cb cb, void *arg)
{
	int ok;

	if (rx->overflow || rx->esc) {
		if (rx->len > 0 || rx->overflow)
			cb(arg, rx->buf, 0, 0);
	} else if (rx->len >= 4) {
		ok = fp_fcs16(FP_FCS_INIT, rx->buf, rx->len) == FP_FCS_GOOD;
		cb(arg, rx->buf, rx->len - 2, ok);
	} else if (rx->len > 0) {
		cb(arg, rx->buf, 0, 0);
	}
	rx->len = 0;
	rx->esc = 0;
	rx->overflow = 0;
}

void
fp_hdlc_feed(struct fp_hdlc_rx *rx, const uint8_t *p, size_t n, fp_frame_cb cb,
	     void *arg)
{
	size_t i;
	uint8_t c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == FP_HDLC_FLAG) {
			fp_hdlc_end(rx, cb, arg);
			continue;
		}
		if (c == FP_HDLC_ESC) {
			rx->esc = 1;
			continue;
		}
		if (rx->esc) {
			c ^= FP_HDLC_XOR;
			rx->esc = 0;
		}
		if (rx->len >= sizeof(rx->buf)) {
			rx->overflow = 1;
			continue;
		}
		rx->buf[rx->len++] = c;
	}
}
