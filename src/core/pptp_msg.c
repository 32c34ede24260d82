/*
 * core/pptp_msg.c - the PPTP control message table and its validators.
 *
 * RFC 2637 §1.4 (header), §2.1-§2.15 (field layouts).  Every field is read
 * through core/cursor.h.  Only structure is checked here; what a message
 * may do in the current state is pptp_call.c's business.
 *
 * Checked Reserved fields (RFC 2637: "MUST be sent as 0"): Reserved0 of the
 * header always; in the body (unless PH_PPTP_F_LAX_RESERVED) SCCRQ
 * Reserved1, StopCCRQ Reserved1+2, StopCCRP Reserved1, Echo-Reply
 * Reserved1, OCRQ Reserved1, ICRP Reserved1, ICCN Reserved1, CCRQ
 * Reserved1, CDN Reserved1, WEN Reserved1 and SLI Reserved1.
 */
#include "core/cursor.h"
#include "core/pptp_msg.h"

static const struct ph_pptp_msg_info msg_table[PH_PPTP_TYPE_MAX] = {
#define PH_PPTP_ROW(id, code, abbr, nm, sz, by, r12, r14, o, roff, rlen) \
	[code] = { .abbrev = abbr,                                       \
		   .name = nm,                                           \
		   .size = sz,                                           \
		   .type = code,                                         \
		   .sender = PH_PPTP_BY_##by,                            \
		   .id12 = PH_PPTP_ID_##r12,                             \
		   .id14 = PH_PPTP_ID_##r14,                             \
		   .op = PH_PPTP_OP_##o,                                 \
		   .res_off = roff,                                      \
		   .res_len = rlen },
	PH_PPTP_MSGS(PH_PPTP_ROW)
#undef PH_PPTP_ROW
};

const struct ph_pptp_msg_info *
ph_pptp_msg_info(unsigned type)
{
	if (type == 0 || type >= PH_PPTP_TYPE_MAX)
		return NULL;
	return &msg_table[type];
}

const char *
ph_pptp_msg_abbrev(unsigned type)
{
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);

	return mi != NULL ? mi->abbrev : "?";
}

const char *
ph_pptp_msg_name(unsigned type)
{
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);

	return mi != NULL ? mi->name : "?";
}

static bool
is_sccr(unsigned type)
{
	return type == PH_PPTP_SCCRQ || type == PH_PPTP_SCCRP;
}

enum ph_reason
ph_pptp_hdr_check(const uint8_t *hdr, size_t len, uint16_t *msglen,
		  uint8_t *type)
{
	const struct ph_pptp_msg_info *mi;
	struct ph_cur c;
	uint16_t length, pmt, ctype, rsv0;
	uint32_t magic;

	ph_cur_init(&c, (uint8_t *)hdr, len);
	if (ph_cur_u16(&c, &length) || ph_cur_u16(&c, &pmt) ||
	    ph_cur_u32(&c, &magic) || ph_cur_u16(&c, &ctype) ||
	    ph_cur_u16(&c, &rsv0))
		return PH_R_PPTP_MALFORMED;
	mi = ph_pptp_msg_info(ctype);
	if (pmt != PH_PPTP_CONTROL || magic != PH_PPTP_MAGIC || mi == NULL ||
	    rsv0 != 0)
		return PH_R_PPTP_MALFORMED;
	if (is_sccr(ctype) ? length < PH_PPTP_OFF_VERSION + 2
			   : length != mi->size)
		return PH_R_PPTP_MALFORMED;
	*msglen = length;
	*type = (uint8_t)ctype;
	return PH_R_NONE;
}

enum ph_reason
ph_pptp_body_check(const uint8_t *msg, size_t len, unsigned flags)
{
	const struct ph_pptp_msg_info *mi;
	struct ph_cur c, rsv;
	uint8_t b;

	if (len < PH_PPTP_HDR_LEN)
		return PH_R_PPTP_MALFORMED;
	mi = ph_pptp_msg_info(ph_get_be16(msg + 8));
	if (mi == NULL || len != mi->size)
		return PH_R_PPTP_MALFORMED;
	if (mi->res_len == 0 || (flags & PH_PPTP_F_LAX_RESERVED))
		return PH_R_NONE;
	ph_cur_init(&c, (uint8_t *)msg, len);
	if (ph_cur_skip(&c, mi->res_off) || ph_cur_sub(&c, mi->res_len, &rsv))
		return PH_R_PPTP_MALFORMED;
	while (ph_cur_u8(&rsv, &b) == 0)
		if (b != 0)
			return PH_R_PPTP_MALFORMED;
	return PH_R_NONE;
}

enum ph_reason
ph_pptp_msg_check(const uint8_t *msg, size_t len, unsigned flags)
{
	uint16_t msglen;
	uint8_t type;
	enum ph_reason r;

	r = ph_pptp_hdr_check(msg, len, &msglen, &type);
	if (r != PH_R_NONE)
		return r;
	if (msglen != len)
		return PH_R_PPTP_MALFORMED;
	if (is_sccr(type) &&
	    ph_get_be16(msg + PH_PPTP_OFF_VERSION) != PH_PPTP_VERSION)
		return PH_R_PPTP_MALFORMED;
	return ph_pptp_body_check(msg, len, flags);
}
