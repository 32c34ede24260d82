/*
 * core/pptp_debug.c - PPTP control messages as PIX-style debug lines.
 *
 * Modelled on the `debug pptp` output of a PIX/IOS PPTP server (seed note
 * pix-pptp-to-the-pix.txt):
 *
 *	PPTP: CC I 00a800011a2b3c4d000700004000e4f50000012c05f5...
 *	PPTP: CC I OCRQ
 *	PPTP: call id 0x4000
 *	PPTP: serial num 58613
 *	PPTP: min bps 300:0x12c
 *
 * The first line is the first 22 bytes in hex, the second the message
 * abbreviation, then one line per field from a per-type field table.  The
 * caller adds its own prefix (tunnel numbers, timestamps).  Everything is
 * bounded: fields are read through a cursor over `len` bytes (a short
 * message shows the fields it has), text fields stop at their width even
 * without a NUL, the type name lookup is range-checked (Linux's
 * pptp_msg_name[] was read out of bounds until 2020), and the output is
 * cut at the caller's buffer size.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/cursor.h"
#include "core/pptp_msg.h"

#define HEX_BYTES 22 /* bytes shown on the hex line, as PIX does */

enum fkind {
	F_END = 0,
	F_U8,	/* decimal */
	F_U16,	/* decimal */
	F_X16,	/* 0x hex */
	F_U32,	/* decimal */
	F_X32,	/* 0x hex */
	F_BPS,	/* decimal:0xhex, like "min bps 300:0x12c" */
	F_S64,	/* 64-byte text */
	F_S128, /* 128-byte text */
};

struct field {
	uint8_t off;
	uint8_t kind;
	const char *label;
};

#define FIELDS_MAX 12

static const struct field fields[PH_PPTP_TYPE_MAX][FIELDS_MAX] = {
	[PH_PPTP_SCCRQ] = { { 12, F_X16, "protocol version" },
			    { 16, F_X32, "framing caps" },
			    { 20, F_X32, "bearer caps" },
			    { 24, F_U16, "max channels" },
			    { 26, F_X16, "firmware rev" },
			    { 28, F_S64, "hostname" },
			    { 92, F_S64, "vendor" } },
	[PH_PPTP_SCCRP] = { { 12, F_X16, "protocol version" },
			    { 14, F_U8, "result code" },
			    { 15, F_U8, "error code" },
			    { 16, F_X32, "framing caps" },
			    { 20, F_X32, "bearer caps" },
			    { 24, F_U16, "max channels" },
			    { 26, F_X16, "firmware rev" },
			    { 28, F_S64, "hostname" },
			    { 92, F_S64, "vendor" } },
	[PH_PPTP_STOPCCRQ] = { { 12, F_U8, "reason" } },
	[PH_PPTP_STOPCCRP] = { { 12, F_U8, "result code" },
			       { 13, F_U8, "error code" } },
	[PH_PPTP_ECHORQ] = { { 12, F_X32, "identifier" } },
	[PH_PPTP_ECHORP] = { { 12, F_X32, "identifier" },
			     { 16, F_U8, "result code" },
			     { 17, F_U8, "error code" } },
	[PH_PPTP_OCRQ] = { { 12, F_X16, "call id" },
			   { 14, F_U16, "serial num" },
			   { 16, F_BPS, "min bps" },
			   { 20, F_BPS, "max bps" },
			   { 24, F_U32, "bearer type" },
			   { 28, F_U32, "framing type" },
			   { 32, F_U16, "recv win size" },
			   { 34, F_U16, "ppd" },
			   { 36, F_U16, "phone num len" },
			   { 40, F_S64, "phone num" },
			   { 104, F_S64, "subaddress" } },
	[PH_PPTP_OCRP] = { { 12, F_X16, "call id" },
			   { 14, F_X16, "peer call id" },
			   { 16, F_U8, "result code" },
			   { 17, F_U8, "error code" },
			   { 18, F_U16, "cause code" },
			   { 20, F_BPS, "connect speed" },
			   { 24, F_U16, "recv win size" },
			   { 26, F_U16, "ppd" },
			   { 28, F_X32, "phy channel id" } },
	[PH_PPTP_ICRQ] = { { 12, F_X16, "call id" },
			   { 14, F_U16, "serial num" },
			   { 16, F_U32, "bearer type" },
			   { 20, F_X32, "phy channel id" },
			   { 24, F_U16, "dialed num len" },
			   { 26, F_U16, "dialing num len" },
			   { 28, F_S64, "dialed num" },
			   { 92, F_S64, "dialing num" },
			   { 156, F_S64, "subaddress" } },
	[PH_PPTP_ICRP] = { { 12, F_X16, "call id" },
			   { 14, F_X16, "peer call id" },
			   { 16, F_U8, "result code" },
			   { 17, F_U8, "error code" },
			   { 18, F_U16, "recv win size" },
			   { 20, F_U16, "xmit delay" } },
	[PH_PPTP_ICCN] = { { 12, F_X16, "peer call id" },
			   { 16, F_BPS, "connect speed" },
			   { 20, F_U16, "recv win size" },
			   { 22, F_U16, "ppd" },
			   { 24, F_U32, "framing type" } },
	[PH_PPTP_CCRQ] = { { 12, F_X16, "call id" } },
	[PH_PPTP_CDN] = { { 12, F_X16, "call id" },
			  { 14, F_U8, "result code" },
			  { 15, F_U8, "error code" },
			  { 16, F_U16, "cause code" },
			  { 20, F_S128, "call stats" } },
	[PH_PPTP_WEN] = { { 12, F_X16, "peer call id" },
			  { 16, F_U32, "crc errors" },
			  { 20, F_U32, "framing errors" },
			  { 24, F_U32, "hw overruns" },
			  { 28, F_U32, "buf overruns" },
			  { 32, F_U32, "timeout errors" },
			  { 36, F_U32, "align errors" } },
	[PH_PPTP_SLI] = { { 12, F_X16, "peer call id" },
			  { 16, F_X32, "send accm" },
			  { 20, F_X32, "recv accm" } },
};

/* A bounded appender: writes what fits, counts what was asked for. */
struct out {
	char *buf;
	size_t size;
	size_t len; /* bytes the full text needs */
};

static void out_printf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->len < o->size ? o->size - o->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* A fixed-width text field: up to its first NUL, escaped, quoted. */
static void
out_text(struct out *o, const char *label, const uint8_t *p, size_t w)
{
	size_t i;

	out_printf(o, "PPTP: %s \"", label);
	for (i = 0; i < w && p[i] != 0; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\')
			out_printf(o, "%c", p[i]);
		else
			out_printf(o, "\\x%02x", p[i]);
	}
	out_printf(o, "\"\n");
}

static void
out_field(struct out *o, const struct field *f, const uint8_t *msg, size_t len)
{
	struct ph_cur c;
	uint8_t v8, *p;
	uint16_t v16;
	uint32_t v32;
	size_t w = f->kind == F_S128 ? 128 : 64;

	ph_cur_init(&c, (uint8_t *)msg, len);
	if (ph_cur_skip(&c, f->off))
		return;
	switch (f->kind) {
	case F_U8:
		if (ph_cur_u8(&c, &v8) == 0)
			out_printf(o, "PPTP: %s %u\n", f->label, v8);
		break;
	case F_U16:
	case F_X16:
		if (ph_cur_u16(&c, &v16) == 0)
			out_printf(o,
				   f->kind == F_U16 ? "PPTP: %s %u\n"
						    : "PPTP: %s 0x%x\n",
				   f->label, v16);
		break;
	case F_U32:
	case F_X32:
	case F_BPS:
		if (ph_cur_u32(&c, &v32) != 0)
			break;
		if (f->kind == F_BPS)
			out_printf(o, "PPTP: %s %u:0x%x\n", f->label, v32, v32);
		else
			out_printf(o,
				   f->kind == F_U32 ? "PPTP: %s %u\n"
						    : "PPTP: %s 0x%x\n",
				   f->label, v32);
		break;
	case F_S64:
	case F_S128:
		if (ph_cur_ptr(&c, w, &p) == 0)
			out_text(o, f->label, p, w);
		break;
	}
}

static void
out_header(struct out *o, const char *d, const uint8_t *msg, size_t len)
{
	size_t i, n = len < HEX_BYTES ? len : HEX_BYTES;

	out_printf(o, "PPTP: CC %s ", d);
	for (i = 0; i < n; i++)
		out_printf(o, "%02x", msg[i]);
	out_printf(o, "%s\n", len > HEX_BYTES ? "..." : "");
}

size_t
ph_pptp_debug_format(char *buf, size_t size, int dir, const uint8_t *msg,
		     size_t len)
{
	struct out o = { buf, size, 0 };
	const char *d = dir == 0 ? "I" : "O";
	const struct ph_pptp_msg_info *mi = NULL;
	uint16_t msglen;
	uint8_t type;
	unsigned i;

	if (size > 0)
		buf[0] = '\0';
	if (msg == NULL)
		len = 0;
	out_header(&o, d, msg, len);
	if (len >= PH_PPTP_HDR_LEN)
		mi = ph_pptp_msg_info(ph_get_be16(msg + 8));
	if (mi == NULL) {
		out_printf(&o, "PPTP: CC %s unknown message (%zu bytes)\n", d,
			   len);
		return o.len;
	}
	out_printf(&o, "PPTP: CC %s %s\n", d, mi->abbrev);
	if (ph_pptp_hdr_check(msg, len, &msglen, &type) != PH_R_NONE)
		out_printf(&o, "PPTP: malformed header (length %u)\n",
			   ph_get_be16(msg));
	else if (len < mi->size)
		out_printf(&o, "PPTP: short message (%zu of %u bytes)\n", len,
			   mi->size);
	for (i = 0; i < FIELDS_MAX && fields[mi->type][i].kind != F_END; i++)
		out_field(&o, &fields[mi->type][i], msg, len);
	return o.len;
}
