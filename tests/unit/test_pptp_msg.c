/*
 * test_pptp_msg.c - the PPTP message table, header/body validation
 * (core/pptp_msg.h) for every message type, the same faults seen through
 * the stream, and the PIX-style debug decoder.
 */
#include <stdarg.h>

#include "pptp_harness.h"

#define I PH_PPTP_DIR_I

/* RFC 2637 §1.3 (reference pptp-pix-linux.md §1.3). */
static const struct {
	unsigned type;
	const char *abbrev;
	uint16_t size;
} rfc[] = {
	{ 1, "SCCRQ", 156 },   { 2, "SCCRP", 156 }, { 3, "StopCCRQ", 16 },
	{ 4, "StopCCRP", 16 }, { 5, "EchoRQ", 16 }, { 6, "EchoRP", 20 },
	{ 7, "OCRQ", 168 },    { 8, "OCRP", 32 },   { 9, "ICRQ", 220 },
	{ 10, "ICRP", 24 },    { 11, "ICCN", 28 },  { 12, "CCRQ", 16 },
	{ 13, "CDN", 148 },    { 14, "WEN", 40 },   { 15, "SLI", 24 },
};
#define NTYPES (sizeof(rfc) / sizeof(rfc[0]))

START_TEST(test_table_matches_rfc)
{
	const struct ph_pptp_msg_info *mi;
	unsigned k;

	for (k = 0; k < NTYPES; k++) {
		mi = ph_pptp_msg_info(rfc[k].type);
		ck_assert_ptr_nonnull(mi);
		ck_assert_uint_eq(mi->type, rfc[k].type);
		ck_assert_uint_eq(mi->size, rfc[k].size);
		ck_assert_uint_eq(pptpb_size[rfc[k].type], rfc[k].size);
		ck_assert_str_eq(mi->abbrev, rfc[k].abbrev);
		ck_assert_str_eq(ph_pptp_msg_abbrev(rfc[k].type),
				 rfc[k].abbrev);
		ck_assert_str_ne(ph_pptp_msg_name(rfc[k].type), "?");
		ck_assert_uint_le(mi->res_off + mi->res_len, mi->size);
	}
	/* bounds-checked lookups (the Linux pptp_msg_name OOB of 2020) */
	ck_assert_ptr_null(ph_pptp_msg_info(0));
	ck_assert_ptr_null(ph_pptp_msg_info(16));
	ck_assert_ptr_null(ph_pptp_msg_info(0xffff));
	ck_assert_ptr_null(ph_pptp_msg_info(~0u));
	ck_assert_str_eq(ph_pptp_msg_abbrev(0), "?");
	ck_assert_str_eq(ph_pptp_msg_abbrev(16), "?");
	ck_assert_str_eq(ph_pptp_msg_name(~0u), "?");
	/* who carries which ID (reference §1.5) */
	mi = ph_pptp_msg_info(PH_PPTP_OCRP);
	ck_assert_uint_eq(mi->id12, PH_PPTP_ID_OWN);
	ck_assert_uint_eq(mi->id14, PH_PPTP_ID_PEER);
	ck_assert_uint_eq(mi->sender, PH_PPTP_BY_PAC);
	mi = ph_pptp_msg_info(PH_PPTP_CDN);
	ck_assert_uint_eq(mi->id12, PH_PPTP_ID_OWN);
	mi = ph_pptp_msg_info(PH_PPTP_ICCN);
	ck_assert_uint_eq(mi->id12, PH_PPTP_ID_PEER);
	ck_assert_uint_eq(ph_pptp_msg_info(PH_PPTP_SLI)->sender,
			  PH_PPTP_BY_EITHER);
}
END_TEST

/* A good, minimal message of a type. */
static size_t
good(uint8_t *b, unsigned type)
{
	size_t n = pptpb_hdr(b, type);

	if (type == PPTPB_SCCRQ || type == PPTPB_SCCRP)
		pptpb_put16(b, 12, PPTPB_VERSION);
	return n;
}

enum fault {
	F_GOOD,
	F_SHORT,    /* Length one less, and so is the message */
	F_LONG,	    /* Length one more, and so is the message */
	F_TRUNC,    /* Length right, message one byte short */
	F_COOKIE,   /* bad Magic Cookie */
	F_MSGTYPE2, /* PPTP Message Type 2 (management) */
	F_MSGTYPE0, /* PPTP Message Type 0 */
	F_CTYPE0,   /* Control Message Type 0 */
	F_CTYPE16,  /* Control Message Type 16 */
	F_RSV0,	    /* Reserved0 nonzero */
	F_RSVBODY,  /* body Reserved nonzero (types that have one) */
	F_MAX,
};

static const char *const fault_names[F_MAX] = {
	"good",	    "short",  "long",	 "trunc", "cookie", "msgtype2",
	"msgtype0", "ctype0", "ctype16", "rsv0",  "rsvbody"
};

/* Build type with a fault; returns the length, 0 when not applicable. */
static size_t
faulty(uint8_t *b, unsigned type, enum fault f)
{
	size_t n = good(b, type);
	const struct ph_pptp_msg_info *mi = ph_pptp_msg_info(type);

	switch (f) {
	case F_GOOD:
		break;
	case F_SHORT:
		pptpb_put16(b, 0, (uint16_t)(n - 1));
		return n - 1;
	case F_LONG:
		pptpb_put16(b, 0, (uint16_t)(n + 1));
		return n + 1;
	case F_TRUNC:
		return n - 1;
	case F_COOKIE:
		pptpb_put32(b, 4, 0x1A2B3C4C);
		break;
	case F_MSGTYPE2:
		pptpb_put16(b, 2, 2);
		break;
	case F_MSGTYPE0:
		pptpb_put16(b, 2, 0);
		break;
	case F_CTYPE0:
		pptpb_put16(b, 8, 0);
		break;
	case F_CTYPE16:
		pptpb_put16(b, 8, 16);
		break;
	case F_RSV0:
		b[11] = 1;
		break;
	case F_RSVBODY:
		if (mi->res_len == 0)
			return 0;
		b[mi->res_off + mi->res_len - 1] = 0x80;
		break;
	default:
		ck_abort();
	}
	return n;
}

/* Every type x every fault, through ph_pptp_msg_check(). */
START_TEST(test_msg_check_every_type_and_fault)
{
	uint8_t b[PPTPB_MAX + 4];
	unsigned k, f, checked = 0;
	size_t n;
	enum ph_reason r;

	for (k = 0; k < NTYPES; k++) {
		for (f = 0; f < F_MAX; f++) {
			n = faulty(b, rfc[k].type, f);
			if (n == 0)
				continue;
			r = ph_pptp_msg_check(b, n, 0);
			ck_assert_msg(r == (f == F_GOOD ? PH_R_NONE
							: PH_R_PPTP_MALFORMED),
				      "%s %s: %s", rfc[k].abbrev,
				      fault_names[f], ph_reason_name(r));
			checked++;
		}
		/* the lax flag accepts body Reserved bits, nothing else */
		n = faulty(b, rfc[k].type, F_RSVBODY);
		if (n)
			ck_assert_uint_eq(
				ph_pptp_msg_check(b, n, PH_PPTP_F_LAX_RESERVED),
				PH_R_NONE);
		n = faulty(b, rfc[k].type, F_RSV0);
		ck_assert_uint_eq(
			ph_pptp_msg_check(b, n, PH_PPTP_F_LAX_RESERVED),
			PH_R_PPTP_MALFORMED);
	}
	ck_assert_uint_eq(checked, NTYPES * F_MAX - 4); /* 4 lack a body
							   Reserved */
	/* shorter than a header, and a Length below the header */
	ck_assert_uint_eq(ph_pptp_msg_check(b, 11, 0), PH_R_PPTP_MALFORMED);
	good(b, PPTPB_ECHORQ);
	pptpb_put16(b, 0, 8);
	ck_assert_uint_eq(ph_pptp_msg_check(b, 16, 0), PH_R_PPTP_MALFORMED);
	/* SCCRQ: another version is not a valid v1 message */
	good(b, PPTPB_SCCRQ);
	pptpb_put16(b, 12, 0x0200);
	ck_assert_uint_eq(ph_pptp_msg_check(b, 156, 0), PH_R_PPTP_MALFORMED);
}
END_TEST

/* The same faults through the stream: dropped, connection failed. */
START_TEST(test_stream_rejects_every_fault)
{
	uint8_t b[PPTPB_MAX + 4], m[PPTPB_MAX];
	unsigned k, f, type;
	size_t n;
	struct th *t;
	int dir;

	for (k = 0; k < NTYPES; k++) {
		type = rfc[k].type;
		for (f = F_SHORT; f < F_MAX; f++) {
			if (f == F_TRUNC)
				continue; /* just incomplete */
			/* body checks come after the state check */
			if (f == F_RSVBODY && type == PPTPB_STOPCCRP)
				continue;
			n = faulty(b, type, f);
			if (n == 0)
				continue;
			/* a state in which the type itself is allowed */
			t = th_new(40);
			dir = I;
			if (type == PPTPB_SCCRP) {
				th_send(t, I, m,
					pptpb_sccrq(m, PPTPB_VERSION, "a",
						    "b"));
				dir = PH_PPTP_DIR_O;
			} else if (type != PPTPB_SCCRQ) {
				th_establish(t);
			}
			ck_assert_int_eq(th_send(t, dir, b, n), PH_PPTP_DROP);
			ck_assert_msg(t->last.reason == PH_R_PPTP_MALFORMED,
				      "%s %s: %s", rfc[k].abbrev,
				      fault_names[f],
				      ph_reason_name(t->last.reason));
			ck_assert(t->last.close);
			ck_assert_uint_eq(ph_idalloc_used(t->ida), 0);
			th_free_all(t);
		}
	}
}
END_TEST

/* SCCRQ/SCCRP: the length is judged once the version is known. */
START_TEST(test_sccrq_length_and_version)
{
	uint8_t b[PPTPB_MAX];
	struct th *t;

	/* version 1 with a wrong Length: malformed at the version */
	t = th_new(41);
	good(b, PPTPB_SCCRQ);
	pptpb_put16(b, 0, 100);
	ck_assert_int_eq(th_send(t, I, b, 14), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_MALFORMED);
	th_free_all(t);
	/* a Length that cannot hold the version: malformed at the header */
	t = th_new(41);
	good(b, PPTPB_SCCRQ);
	pptpb_put16(b, 0, 13);
	ck_assert_int_eq(th_send(t, I, b, 12), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_MALFORMED);
	th_free_all(t);
	/* version 2 with a Length of its own: not malformed, uninspected */
	t = th_new(41);
	good(b, PPTPB_SCCRQ);
	pptpb_put16(b, 0, 14);
	pptpb_put16(b, 12, 0x0200);
	ck_assert_int_eq(th_send(t, I, b, 14), PH_PPTP_PASS);
	ck_assert(t->last.uninspected);
	th_free_all(t);
}
END_TEST

/* PH_PPTP_F_LAX_RESERVED through the stream's configuration. */
START_TEST(test_stream_lax_reserved)
{
	struct ph_pptp_config cfg = { .flags = PH_PPTP_F_LAX_RESERVED };
	struct th *t = th_new_cfg(42, &cfg, false);
	uint8_t b[PPTPB_MAX];
	size_t n;

	th_establish(t);
	n = pptpb_echorp(b, 7, 1);
	b[19] = 0xff;
	ck_assert_int_eq(th_send(t, I, b, n), PH_PPTP_PASS);
	n = pptpb_echorq(b, 7);
	b[10] = 1; /* Reserved0 is always checked */
	ck_assert_int_eq(th_send(t, I, b, n), PH_PPTP_DROP);
	ck_assert_uint_eq(t->last.reason, PH_R_PPTP_MALFORMED);
	th_free_all(t);
}
END_TEST

/* ---- the debug decoder ---------------------------------------------- */

static char dbg[8192];

/* The OCRQ of the seed note, decoded as the PIX decoded it. */
START_TEST(test_debug_seed_ocrq)
{
	uint8_t b[PPTPB_MAX];
	size_t n = pptpb_ocrq(b, 0x4000, 58613);
	static const char want[] =
		"PPTP: CC I 00a800011a2b3c4d000700004000e4f50000012c05f5...\n"
		"PPTP: CC I OCRQ\n"
		"PPTP: call id 0x4000\n"
		"PPTP: serial num 58613\n"
		"PPTP: min bps 300:0x12c\n"
		"PPTP: max bps 100000000:0x5f5e100\n"
		"PPTP: bearer type 3\n"
		"PPTP: framing type 3\n"
		"PPTP: recv win size 64\n"
		"PPTP: ppd 0\n"
		"PPTP: phone num len 0\n"
		"PPTP: phone num \"\"\n"
		"PPTP: subaddress \"\"\n";

	ck_assert_uint_eq(ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n),
			  strlen(want));
	ck_assert_str_eq(dbg, want);
}
END_TEST

START_TEST(test_debug_seed_sccrq)
{
	uint8_t b[PPTPB_MAX];
	size_t n = pptpb_sccrq(b, PPTPB_VERSION, "", "Microsoft Windows NT");

	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n);
	ck_assert_ptr_nonnull(
		strstr(dbg, "PPTP: CC I SCCRQ\n"
			    "PPTP: protocol version 0x100\n"
			    "PPTP: framing caps 0x1\n"
			    "PPTP: bearer caps 0x1\n"
			    "PPTP: max channels 0\n"
			    "PPTP: firmware rev 0x870\n"
			    "PPTP: hostname \"\"\n"
			    "PPTP: vendor \"Microsoft Windows NT\"\n"));
	n = pptpb_sccrp(b, PPTPB_VERSION, 1, "local", "9x");
	ph_pptp_debug_format(dbg, sizeof(dbg), 1, b, n);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: CC O SCCRP\n"));
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: result code 1\n"));
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: hostname \"local\"\n"));
}
END_TEST

/* Each type names itself and shows its call IDs. */
START_TEST(test_debug_every_type)
{
	uint8_t b[PPTPB_MAX];
	unsigned k;
	char line[64];

	for (k = 0; k < NTYPES; k++) {
		size_t n = good(b, rfc[k].type);

		pptpb_put16(b, 12,
			    (rfc[k].type == PPTPB_SCCRQ ||
			     rfc[k].type == PPTPB_SCCRP)
				    ? PPTPB_VERSION
				    : 0xbeef);
		ck_assert_uint_lt(
			ph_pptp_debug_format(dbg, sizeof(dbg), 1, b, n),
			sizeof(dbg));
		snprintf(line, sizeof(line), "PPTP: CC O %s\n", rfc[k].abbrev);
		ck_assert_ptr_nonnull(strstr(dbg, line));
		ck_assert_ptr_null(strstr(dbg, "malformed"));
	}
	pptpb_ocrp(b, 0x9a00, 0x4000, 1);
	ph_pptp_debug_format(dbg, sizeof(dbg), 1, b, 32);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: call id 0x9a00\n"
					  "PPTP: peer call id 0x4000\n"));
	ck_assert_ptr_nonnull(
		strstr(dbg, "PPTP: connect speed 64000:0xfa00\n"));
	pptpb_cdn(b, 0x9a00, 4);
	ph_pptp_debug_format(dbg, sizeof(dbg), 1, b, 148);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: call stats \"bye\"\n"));
	pptpb_sli(b, 0x4000);
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, 24);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: send accm 0xffffffff\n"));
}
END_TEST

/* Text fields: bounded without a NUL, and escaped. */
START_TEST(test_debug_text_fields_bounded)
{
	uint8_t b[PPTPB_MAX];
	char want[128];
	size_t n = pptpb_sccrq(b, PPTPB_VERSION, NULL, NULL);

	memset(b + 28, 'A', 64); /* host name with no NUL */
	memcpy(b + 92, "a\"b\\c\001\377", 7);
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n);
	memset(want, 0, sizeof(want));
	memcpy(want, "PPTP: hostname \"", 16);
	memset(want + 16, 'A', 64);
	memcpy(want + 80, "\"\n", 2);
	ck_assert_ptr_nonnull(strstr(dbg, want));
	ck_assert_ptr_nonnull(
		strstr(dbg, "PPTP: vendor \"a\\x22b\\x5cc\\x01\\xff\"\n"));
}
END_TEST

/* Short, unknown and malformed messages; output cut at the buffer. */
START_TEST(test_debug_bad_input_and_truncation)
{
	uint8_t b[PPTPB_MAX];
	char small[16];
	size_t need, n;

	n = pptpb_ocrq(b, 0x4000, 1);
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, 30);
	ck_assert_ptr_nonnull(strstr(dbg, "short message (30 of 168 bytes)"));
	ck_assert_ptr_nonnull(strstr(dbg, "bearer type 3\n"));
	ck_assert_ptr_null(strstr(dbg, "framing type")); /* needs 32 bytes */
	pptpb_put16(b, 8, 16);
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: CC I unknown message (168"));
	pptpb_put16(b, 8, 7);
	pptpb_put32(b, 4, 0);
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: malformed header"));
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, NULL, 5);
	ck_assert_str_eq(dbg, "PPTP: CC I \n"
			      "PPTP: CC I unknown message (0 bytes)\n");
	ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, 3);
	ck_assert_ptr_nonnull(strstr(dbg, "PPTP: CC I 00a800\n"));

	n = pptpb_ocrq(b, 0x4000, 1);
	need = ph_pptp_debug_format(dbg, sizeof(dbg), 0, b, n);
	memset(small, 'x', sizeof(small));
	ck_assert_uint_eq(ph_pptp_debug_format(small, sizeof(small), 0, b, n),
			  need);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert(strncmp(small, dbg, sizeof(small) - 1) == 0);
	ck_assert_uint_eq(ph_pptp_debug_format(NULL, 0, 0, b, n), need);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pptp_msg");
	TCase *tv = tcase_create("validation");
	TCase *td = tcase_create("debug");
	SRunner *sr;
	int failed;

	tcase_add_test(tv, test_table_matches_rfc);
	tcase_add_test(tv, test_msg_check_every_type_and_fault);
	tcase_add_test(tv, test_stream_rejects_every_fault);
	tcase_add_test(tv, test_sccrq_length_and_version);
	tcase_add_test(tv, test_stream_lax_reserved);
	tcase_add_test(td, test_debug_seed_ocrq);
	tcase_add_test(td, test_debug_seed_sccrq);
	tcase_add_test(td, test_debug_every_type);
	tcase_add_test(td, test_debug_text_fields_bounded);
	tcase_add_test(td, test_debug_bad_input_and_truncation);
	suite_add_tcase(s, tv);
	suite_add_tcase(s, td);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
