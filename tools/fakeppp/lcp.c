/*
 * lcp.c - the Link Control Protocol subset pinhole-fakeppp speaks
 * (RFC 1661 section 5; options of section 6; PPP frame layout of
 * RFC 1662 section 3.1 with address 0xff and control 0x03).
 *
 * What it does: sends Configure-Request with MRU, ACCM and Magic-Number;
 * acks any Configure-Request made only of options it knows (MRU, ACCM,
 * Magic-Number, PFC, ACFC) and rejects the others (Authentication and
 * Quality protocols, ...); follows Configure-Nak/Reject by changing its
 * next request; answers Echo-Request, Terminate-Request and unknown codes
 * (Code-Reject).
 *
 * Limits: this is not the RFC 1661 automaton. There is no Stopped/Closed
 * state and no Max-Configure; the caller (main.c) decides when to resend
 * and when to give up, bounded by its --timeout. Magic-Number loopback
 * detection is not done.
 */
#include <stdio.h>
#include <string.h>

#include "core/cursor.h"
#include "fakeppp.h"

/* LCP codes (RFC 1661 section 5): code, name. */
#define FP_LCP_CODES(X)                    \
	X(1, CONFREQ, "Configure-Request") \
	X(2, CONFACK, "Configure-Ack")     \
	X(3, CONFNAK, "Configure-Nak")     \
	X(4, CONFREJ, "Configure-Reject")  \
	X(5, TERMREQ, "Terminate-Request") \
	X(6, TERMACK, "Terminate-Ack")     \
	X(7, CODEREJ, "Code-Reject")       \
	X(8, PROTREJ, "Protocol-Reject")   \
	X(9, ECHOREQ, "Echo-Request")      \
	X(10, ECHOREP, "Echo-Reply")       \
	X(11, DISCREQ, "Discard-Request")

enum fp_lcp_code {
#define FP_X(num, id, name) FP_LCP_##id = num,
	FP_LCP_CODES(FP_X)
#undef FP_X
};

/* LCP configuration options (RFC 1661 section 6, RFC 1662 7.1). */
#define FP_LCP_OPT_MRU	 1
#define FP_LCP_OPT_ACCM	 2
#define FP_LCP_OPT_MAGIC 5
#define FP_LCP_OPT_PFC	 7
#define FP_LCP_OPT_ACFC	 8

#define FP_PPP_HDR     4 /* address, control, protocol */
#define FP_LCP_HDR     4 /* code, identifier, length */
#define FP_MRU_DEFAULT 1500

static const char *
fp_lcp_code_name(uint8_t code)
{
	switch (code) {
#define FP_X(num, id, name) \
	case num:           \
		return name;
		FP_LCP_CODES(FP_X)
#undef FP_X
	default:
		return "Unknown-Code";
	}
}

void
fp_lcp_init(struct fp_lcp *lcp, uint32_t magic)
{
	memset(lcp, 0, sizeof(*lcp));
	lcp->next_id = 1;
	lcp->echo_id = 1;
	lcp->opts = FP_OPT_MRU | FP_OPT_ACCM | FP_OPT_MAGIC;
	lcp->mru = FP_MRU_DEFAULT;
	lcp->local_magic = magic;
}

/*
 * Write the PPP and LCP headers; the caller appends body bytes at
 * out + FP_PPP_HDR + FP_LCP_HDR and passes their count. Returns the frame
 * length or 0 if cap is too small.
 */
static size_t
fp_lcp_frame(uint8_t *out, size_t cap, uint8_t code, uint8_t id, size_t body)
{
	size_t total = FP_PPP_HDR + FP_LCP_HDR + body;

	if (total > cap || FP_LCP_HDR + body > 0xffff)
		return 0;
	out[0] = 0xff;
	out[1] = 0x03;
	ph_put_be16(out + 2, FP_PROTO_LCP);
	out[4] = code;
	out[5] = id;
	ph_put_be16(out + 6, (uint16_t)(FP_LCP_HDR + body));
	return total;
}

size_t
fp_lcp_confreq(struct fp_lcp *lcp, uint8_t *out, size_t cap)
{
	uint8_t *b = out + FP_PPP_HDR + FP_LCP_HDR;
	size_t n = 0;

	if (cap < FP_PPP_HDR + FP_LCP_HDR + 16)
		return 0;
	if (lcp->opts & FP_OPT_MRU) {
		b[n] = FP_LCP_OPT_MRU;
		b[n + 1] = 4;
		ph_put_be16(b + n + 2, lcp->mru);
		n += 4;
	}
	if (lcp->opts & FP_OPT_ACCM) {
		b[n] = FP_LCP_OPT_ACCM;
		b[n + 1] = 6;
		ph_put_be32(b + n + 2, 0);
		n += 6;
	}
	if (lcp->opts & FP_OPT_MAGIC) {
		b[n] = FP_LCP_OPT_MAGIC;
		b[n + 1] = 6;
		ph_put_be32(b + n + 2, lcp->local_magic);
		n += 6;
	}
	lcp->req_id = lcp->next_id++;
	return fp_lcp_frame(out, cap, FP_LCP_CONFREQ, lcp->req_id, n);
}

size_t
fp_lcp_echoreq(struct fp_lcp *lcp, uint8_t *out, size_t cap)
{
	size_t n;

	n = fp_lcp_frame(out, cap, FP_LCP_ECHOREQ, lcp->echo_id, 4);
	if (n == 0)
		return 0;
	ph_put_be32(out + FP_PPP_HDR + FP_LCP_HDR, lcp->local_magic);
	lcp->echo_id++;
	lcp->echo_tx++;
	return n;
}

size_t
fp_lcp_termreq(struct fp_lcp *lcp, uint8_t *out, size_t cap)
{
	return fp_lcp_frame(out, cap, FP_LCP_TERMREQ, lcp->next_id++, 0);
}

size_t
fp_lcp_protrej(struct fp_lcp *lcp, uint16_t proto, const uint8_t *info,
	       size_t len, uint8_t *out, size_t cap)
{
	size_t room = lcp->mru - FP_LCP_HDR - 2;
	size_t n;

	if (len > room)
		len = room;
	n = fp_lcp_frame(out, cap, FP_LCP_PROTREJ, lcp->next_id, 2 + len);
	if (n == 0)
		return 0;
	lcp->next_id++;
	ph_put_be16(out + FP_PPP_HDR + FP_LCP_HDR, proto);
	memcpy(out + FP_PPP_HDR + FP_LCP_HDR + 2, info, len);
	return n;
}

/* Is this option one we accept as sent? Records the peer's magic. */
static int
fp_lcp_opt_ok(struct fp_lcp *lcp, uint8_t type, struct ph_cur *val)
{
	uint32_t magic;
	size_t len = ph_cur_left(val);

	switch (type) {
	case FP_LCP_OPT_MRU:
		return len == 2;
	case FP_LCP_OPT_ACCM:
		return len == 4;
	case FP_LCP_OPT_MAGIC:
		if (len != 4 || ph_cur_u32(val, &magic))
			return 0;
		lcp->peer_magic = magic;
		return 1;
	case FP_LCP_OPT_PFC:
	case FP_LCP_OPT_ACFC:
		return len == 0;
	default:
		return 0;
	}
}

/*
 * Answer a Configure-Request: Ack it whole, or Reject the options we do
 * not accept (RFC 1661 5.4: the Reject lists exactly those options).
 */
static size_t
fp_lcp_on_confreq(struct fp_lcp *lcp, struct ph_cur *body, uint8_t id,
		  uint8_t *out, size_t cap)
{
	uint8_t *rej = out + FP_PPP_HDR + FP_LCP_HDR, *start;
	size_t nrej = 0, total = ph_cur_left(body);
	uint8_t *all = body->p;
	uint8_t type, olen;
	struct ph_cur val;

	if (cap < FP_PPP_HDR + FP_LCP_HDR + total)
		return 0;
	while (ph_cur_left(body) > 0) {
		start = body->p;
		if (ph_cur_u8(body, &type) || ph_cur_u8(body, &olen) ||
		    olen < 2 || ph_cur_sub(body, olen - 2u, &val))
			return 0; /* malformed: silently discard */
		if (!fp_lcp_opt_ok(lcp, type, &val)) {
			memmove(rej + nrej, start, olen);
			nrej += olen;
		}
	}
	if (nrej > 0)
		return fp_lcp_frame(out, cap, FP_LCP_CONFREJ, id, nrej);
	memmove(rej, all, total);
	lcp->peer_acked = 1;
	if (lcp->our_acked)
		lcp->opened = 1;
	return fp_lcp_frame(out, cap, FP_LCP_CONFACK, id, total);
}

/* Configure-Nak or -Reject of our request: adjust, then send a new one. */
static size_t
fp_lcp_on_confnak(struct fp_lcp *lcp, struct ph_cur *body, int reject,
		  uint8_t *out, size_t cap)
{
	uint8_t type, olen;
	uint16_t mru;
	struct ph_cur val;

	while (ph_cur_left(body) > 0) {
		if (ph_cur_u8(body, &type) || ph_cur_u8(body, &olen) ||
		    olen < 2 || ph_cur_sub(body, olen - 2u, &val))
			return 0;
		if (type == FP_LCP_OPT_MRU && !reject &&
		    ph_cur_u16(&val, &mru) == 0 && mru >= 128 &&
		    mru <= FP_MRU_DEFAULT)
			lcp->mru = mru;
		else if (type == FP_LCP_OPT_MAGIC && !reject)
			lcp->local_magic = lcp->local_magic * 69069u + 1u;
		else if (type == FP_LCP_OPT_MRU)
			lcp->opts &= ~FP_OPT_MRU;
		else if (type == FP_LCP_OPT_ACCM)
			lcp->opts &= ~FP_OPT_ACCM;
		else if (type == FP_LCP_OPT_MAGIC)
			lcp->opts &= ~FP_OPT_MAGIC;
	}
	return fp_lcp_confreq(lcp, out, cap);
}

/* Echo-Reply: same identifier and data, our own magic number. */
static size_t
fp_lcp_on_echoreq(struct fp_lcp *lcp, struct ph_cur *body, uint8_t id,
		  uint8_t *out, size_t cap)
{
	size_t len = ph_cur_left(body);
	size_t n;

	if (len < 4)
		return 0;
	n = fp_lcp_frame(out, cap, FP_LCP_ECHOREP, id, len);
	if (n == 0)
		return 0;
	memmove(out + FP_PPP_HDR + FP_LCP_HDR, body->p, len);
	ph_put_be32(out + FP_PPP_HDR + FP_LCP_HDR, lcp->local_magic);
	lcp->echo_answered++;
	return n;
}

/* Code-Reject: quote the offending packet, cut to fit our MRU. */
static size_t
fp_lcp_codereject(struct fp_lcp *lcp, const uint8_t *pkt, size_t len,
		  uint8_t *out, size_t cap)
{
	size_t room = lcp->mru - FP_LCP_HDR;
	size_t n;

	if (len > room)
		len = room;
	n = fp_lcp_frame(out, cap, FP_LCP_CODEREJ, lcp->next_id, len);
	if (n == 0)
		return 0;
	lcp->next_id++;
	memmove(out + FP_PPP_HDR + FP_LCP_HDR, pkt, len);
	return n;
}

size_t
fp_lcp_input(struct fp_lcp *lcp, const uint8_t *pkt, size_t len, uint8_t *out,
	     size_t cap)
{
	uint8_t code, id;
	uint16_t plen;
	struct ph_cur c, body;

	ph_cur_init(&c, (uint8_t *)(uintptr_t)pkt, len);
	if (ph_cur_u8(&c, &code) || ph_cur_u8(&c, &id) ||
	    ph_cur_u16(&c, &plen) || plen < FP_LCP_HDR ||
	    ph_cur_sub(&c, plen - FP_LCP_HDR, &body))
		return 0; /* truncated: silently discard (RFC 1661 5) */
	switch (code) {
	case FP_LCP_CONFREQ:
		return fp_lcp_on_confreq(lcp, &body, id, out, cap);
	case FP_LCP_CONFACK:
		if (id == lcp->req_id) {
			lcp->our_acked = 1;
			if (lcp->peer_acked)
				lcp->opened = 1;
		}
		return 0;
	case FP_LCP_CONFNAK:
	case FP_LCP_CONFREJ:
		if (id != lcp->req_id || lcp->our_acked)
			return 0;
		return fp_lcp_on_confnak(lcp, &body, code == FP_LCP_CONFREJ,
					 out, cap);
	case FP_LCP_TERMREQ:
		lcp->term_rx = 1;
		return fp_lcp_frame(out, cap, FP_LCP_TERMACK, id, 0);
	case FP_LCP_TERMACK:
		lcp->term_ack_rx = 1;
		return 0;
	case FP_LCP_ECHOREQ:
		return fp_lcp_on_echoreq(lcp, &body, id, out, cap);
	case FP_LCP_ECHOREP:
		lcp->echo_rx++;
		return 0;
	case FP_LCP_CODEREJ:
	case FP_LCP_PROTREJ:
	case FP_LCP_DISCREQ:
		return 0;
	default:
		return fp_lcp_codereject(lcp, pkt, plen, out, cap);
	}
}

int
fp_ppp_split(const uint8_t *frame, size_t len, uint16_t *proto,
	     const uint8_t **info, size_t *info_len)
{
	size_t off = 0;

	if (len >= 2 && frame[0] == 0xff && frame[1] == 0x03)
		off = 2; /* else address/control field compression */
	if (off >= len)
		return -1;
	if (frame[off] & 1) { /* protocol field compression */
		*proto = frame[off];
		off += 1;
	} else {
		if (off + 2 > len)
			return -1;
		*proto = ph_get_be16(frame + off);
		off += 2;
	}
	*info = frame + off;
	*info_len = len - off;
	return 0;
}

/* Append " name=value" for each option of a Configure-* packet. */
static void
fp_lcp_describe_opts(struct ph_cur *body, char *buf, size_t cap)
{
	uint8_t type, olen;
	uint16_t v16;
	uint32_t v32;
	struct ph_cur val;
	size_t n;

	while (ph_cur_left(body) > 0) {
		n = strlen(buf);
		if (ph_cur_u8(body, &type) || ph_cur_u8(body, &olen) ||
		    olen < 2 || ph_cur_sub(body, olen - 2u, &val)) {
			snprintf(buf + n, cap - n, " bad-option");
			return;
		}
		if (type == FP_LCP_OPT_MRU && ph_cur_u16(&val, &v16) == 0)
			snprintf(buf + n, cap - n, " mru=%u", v16);
		else if (type == FP_LCP_OPT_ACCM && ph_cur_u32(&val, &v32) == 0)
			snprintf(buf + n, cap - n, " accm=0x%08x", v32);
		else if (type == FP_LCP_OPT_MAGIC &&
			 ph_cur_u32(&val, &v32) == 0)
			snprintf(buf + n, cap - n, " magic=0x%08x", v32);
		else
			snprintf(buf + n, cap - n, " opt%u/%u", type, olen);
	}
}

void
fp_ppp_describe(const uint8_t *frame, size_t len, char *buf, size_t cap)
{
	const uint8_t *info;
	size_t ilen, n;
	uint16_t proto, plen;
	uint8_t code, id;
	uint32_t magic;
	struct ph_cur c, body;

	if (fp_ppp_split(frame, len, &proto, &info, &ilen) != 0) {
		snprintf(buf, cap, "runt len=%zu", len);
		return;
	}
	ph_cur_init(&c, (uint8_t *)(uintptr_t)info, ilen);
	if (proto != FP_PROTO_LCP || ph_cur_u8(&c, &code) ||
	    ph_cur_u8(&c, &id) || ph_cur_u16(&c, &plen) || plen < FP_LCP_HDR ||
	    ph_cur_sub(&c, plen - FP_LCP_HDR, &body)) {
		snprintf(buf, cap, "proto=0x%04x len=%zu", proto, ilen);
		return;
	}
	snprintf(buf, cap, "LCP %s id=%u len=%u", fp_lcp_code_name(code), id,
		 plen);
	n = strlen(buf);
	if (code >= FP_LCP_CONFREQ && code <= FP_LCP_CONFREJ)
		fp_lcp_describe_opts(&body, buf, cap);
	else if ((code == FP_LCP_ECHOREQ || code == FP_LCP_ECHOREP) &&
		 ph_cur_u32(&body, &magic) == 0)
		snprintf(buf + n, cap - n, " magic=0x%08x", magic);
}
