/*
 * test_ctlproto.c - the control protocol: grammar (every command, PIX
 * abbreviations, ambiguous/incomplete/invalid errors naming what was
 * expected, arguments), request framing (every prefix, every bad header
 * field, limits), response chunks, and a robustness run of the decoder
 * over random and mutated bytes.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "core/ctlproto.h"

struct parse_case {
	const char *text;
	int status;
	unsigned cmd;
	bool detail;
	const char *arg;
	const char *err_has; /* substring of the error, NULL for OK */
};

static const struct parse_case parse_cases[] = {
	{ "show conn", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, false, "", NULL },
	{ "show conn detail", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, true, "", NULL },
	{ "sh conn", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, false, "", NULL },
	{ "sh conn det", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, true, "", NULL },
	{ "SH CONN", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, false, "", NULL },
	{ "  show\t conn  ", PH_CTL_OK, PH_CTL_CMD_SHOW_CONN, false, "", NULL },
	{ "sh xl", PH_CTL_OK, PH_CTL_CMD_SHOW_XLATE, false, "", NULL },
	{ "show xlate detail", PH_CTL_OK, PH_CTL_CMD_SHOW_XLATE, true, "",
	  NULL },
	{ "sh run", PH_CTL_OK, PH_CTL_CMD_SHOW_RUNNING_CONFIG, false, "",
	  NULL },
	{ "sh access-l", PH_CTL_OK, PH_CTL_CMD_SHOW_ACCESS_LIST, false, "",
	  NULL },
	{ "sh a outside_in", PH_CTL_OK, PH_CTL_CMD_SHOW_ACCESS_LIST, false,
	  "outside_in", NULL },
	{ "show access-list 101", PH_CTL_OK, PH_CTL_CMD_SHOW_ACCESS_LIST, false,
	  "101", NULL },
	{ "sh serv i pptp", PH_CTL_OK, PH_CTL_CMD_SHOW_SERVICE_POLICY_PPTP,
	  false, "", NULL },
	{ "show logging", PH_CTL_OK, PH_CTL_CMD_SHOW_LOGGING, false, "", NULL },
	{ "sh cou", PH_CTL_OK, PH_CTL_CMD_SHOW_COUNTERS, false, "", NULL },
	{ "sh ver", PH_CTL_OK, PH_CTL_CMD_SHOW_VERSION, false, "", NULL },
	{ "clear xlate", PH_CTL_OK, PH_CTL_CMD_CLEAR_XLATE, false, "", NULL },
	{ "clear conn", PH_CTL_OK, PH_CTL_CMD_CLEAR_CONN, false, "", NULL },
	{ "clear counters", PH_CTL_OK, PH_CTL_CMD_CLEAR_COUNTERS, false, "",
	  NULL },
	{ "clear logging", PH_CTL_OK, PH_CTL_CMD_CLEAR_LOGGING, false, "",
	  NULL },
	/* PIX `clear access-list [id] counters`, ASA `clear service-policy` */
	{ "clear access-list counters", PH_CTL_OK, PH_CTL_CMD_CLEAR_ACCESS_LIST,
	  false, "", NULL },
	{ "clear access-list acl-in counters", PH_CTL_OK,
	  PH_CTL_CMD_CLEAR_ACCESS_LIST, false, "acl-in", NULL },
	{ "cl acc 101 cou", PH_CTL_OK, PH_CTL_CMD_CLEAR_ACCESS_LIST, false,
	  "101", NULL },
	{ "cl a co", PH_CTL_OK, PH_CTL_CMD_CLEAR_ACCESS_LIST, false, "", NULL },
	/* a name that is a prefix of `counters`, before the last word */
	{ "clear access-list c counters", PH_CTL_OK,
	  PH_CTL_CMD_CLEAR_ACCESS_LIST, false, "c", NULL },
	{ "clear access-list", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "Incomplete command 'clear access-list': expected counters or NAME" },
	{ "clear access-list acl-in", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "expected counters" },
	{ "clear access-list a b counters", PH_CTL_E_INVALID, 0, false, "",
	  "at 'b' (word 4): expected counters" },
	{ "clear access-list bad/name counters", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid access-list name 'bad/name'" },
	{ "clear access-list counters x", PH_CTL_E_INVALID, 0, false, "",
	  "expected end of command" },
	{ "clear service-policy", PH_CTL_OK, PH_CTL_CMD_CLEAR_SERVICE_POLICY,
	  false, "", NULL },
	{ "clear service-policy inspect pptp", PH_CTL_OK,
	  PH_CTL_CMD_CLEAR_SERVICE_POLICY, false, "", NULL },
	{ "cl ser i p", PH_CTL_OK, PH_CTL_CMD_CLEAR_SERVICE_POLICY, false, "",
	  NULL },
	{ "clear service-policy inspect", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "expected pptp" },
	{ "clear service-policy global", PH_CTL_E_INVALID, 0, false, "",
	  "expected inspect or end of command" },
	{ "reload", PH_CTL_OK, PH_CTL_CMD_RELOAD, false, "", NULL },
	{ "reload /etc/pinhole/new.conf", PH_CTL_OK, PH_CTL_CMD_RELOAD, false,
	  "/etc/pinhole/new.conf", NULL },
	{ "debug pptp", PH_CTL_OK, PH_CTL_CMD_DEBUG_PPTP, false, "", NULL },
	{ "no debug pptp", PH_CTL_OK, PH_CTL_CMD_NO_DEBUG_PPTP, false, "",
	  NULL },
	{ "undebug all", PH_CTL_OK, PH_CTL_CMD_UNDEBUG_ALL, false, "", NULL },
	{ "un a", PH_CTL_OK, PH_CTL_CMD_UNDEBUG_ALL, false, "", NULL },
	/* errors */
	{ "", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "expected show, clear, reload, debug, no, undebug" },
	{ "   ", PH_CTL_E_INCOMPLETE, 0, false, "", "Incomplete command" },
	{ "show", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "Incomplete command 'show': expected conn, xlate, access-list" },
	{ "show service-policy", PH_CTL_E_INCOMPLETE, 0, false, "",
	  "expected inspect" },
	{ "sh co", PH_CTL_E_AMBIGUOUS, 0, false, "",
	  "Ambiguous command: 'co' could be conn, counters" },
	{ "sh c", PH_CTL_E_AMBIGUOUS, 0, false, "", "conn, counters" },
	{ "cl co", PH_CTL_E_AMBIGUOUS, 0, false, "", "conn, counters" },
	{ "show bogus", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid input detected at 'bogus' (word 2): expected conn" },
	{ "frobnicate", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid input detected at 'frobnicate' (word 1)" },
	{ "show conn extra", PH_CTL_E_INVALID, 0, false, "",
	  "expected detail or end of command" },
	{ "show conn detail extra", PH_CTL_E_INVALID, 0, false, "",
	  "expected end of command" },
	{ "show version now", PH_CTL_E_INVALID, 0, false, "",
	  "expected end of command" },
	{ "show access-list a b", PH_CTL_E_INVALID, 0, false, "",
	  "at 'b' (word 4): expected end of command after NAME" },
	{ "show access-list bad/name", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid access-list name 'bad/name'" },
	{ "show access-list "
	  "a234567890123456789012345678901234567890123456789012345678901234",
	  PH_CTL_E_INVALID, 0, false, "", "Invalid access-list name" },
	{ "reload relative.conf", PH_CTL_E_INVALID, 0, false, "",
	  "absolute path" },
	{ "reload /a /b", PH_CTL_E_INVALID, 0, false, "",
	  "expected end of command after FILE" },
	{ "show conn\n", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid character 0x0a at byte 10" },
	{ "show \x80", PH_CTL_E_INVALID, 0, false, "",
	  "Invalid character 0x80" },
	{ "a b c d e f g h i j k l m n o p q", PH_CTL_E_INVALID, 0, false, "",
	  "Too many words (limit 16)" },
	{ "no", PH_CTL_E_INCOMPLETE, 0, false, "", "expected debug" },
	{ "no debug", PH_CTL_E_INCOMPLETE, 0, false, "", "expected pptp" },
};

START_TEST(test_parse_table)
{
	const struct parse_case *pc = &parse_cases[_i];
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];
	int rc;

	rc = ph_ctl_parse_text(pc->text, strlen(pc->text), &r, err,
			       sizeof(err));
	ck_assert_msg(rc == pc->status, "'%s': status %d, want %d (%s)",
		      pc->text, rc, pc->status, err);
	ck_assert_uint_eq(r.error, (unsigned)pc->status);
	ck_assert_uint_eq(r.cmd, pc->cmd);
	ck_assert(r.detail == pc->detail);
	ck_assert_str_eq(r.arg, pc->arg);
	if (pc->err_has != NULL)
		ck_assert_msg(strstr(err, pc->err_has) != NULL,
			      "'%s': error '%s' lacks '%s'", pc->text, err,
			      pc->err_has);
	else
		ck_assert_str_eq(err, "");
}
END_TEST

/* A word of exactly the limit is refused; one byte less is taken. */
START_TEST(test_parse_word_limit)
{
	static char path[PH_CTL_WORD_MAX + 2];
	const char *words[2] = { "reload", path };
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];

	memset(path, 'x', sizeof(path));
	path[0] = '/';
	path[PH_CTL_WORD_MAX - 1] = '\0';
	ck_assert_int_eq(ph_ctl_parse_words(words, 2, &r, err, sizeof(err)),
			 PH_CTL_OK);
	ck_assert_uint_eq(strlen(r.arg), PH_CTL_WORD_MAX - 1);
	path[PH_CTL_WORD_MAX - 1] = 'x';
	path[PH_CTL_WORD_MAX] = '\0';
	ck_assert_int_eq(ph_ctl_parse_words(words, 2, &r, err, sizeof(err)),
			 PH_CTL_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "Word 2 is too long"));
	ck_assert_str_eq(r.arg, "");
}
END_TEST

/* A short error buffer is still NUL-terminated and not overrun. */
START_TEST(test_parse_short_err)
{
	struct ph_ctl_request r;
	char err[12];

	memset(err, 'Z', sizeof(err));
	ck_assert_int_eq(ph_ctl_parse_text("show bogus", 10, &r, err, 8),
			 PH_CTL_E_INVALID);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'Z');
	ck_assert_int_eq(ph_ctl_parse_text("show bogus", 10, &r, NULL, 0),
			 PH_CTL_E_INVALID);
}
END_TEST

/* Every command: canonical text -> frame -> decode gives it back. */
START_TEST(test_roundtrip_all)
{
	for (unsigned cmd = 1; cmd < PH_CTL_CMD_MAX; cmd++) {
		const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(cmd);
		struct ph_ctl_request in, out;
		uint8_t frame[PH_CTL_HDR_LEN + PH_CTL_REQ_MAX];
		char err[PH_CTL_ERR_MAX], text[128];
		int n;

		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->cmd, cmd);
		memset(&in, 0, sizeof(in));
		in.cmd = (uint16_t)cmd;
		in.json = cmd & 1;
		if (d->argkind == PH_CTL_ARG_PATH)
			strlcpy(in.arg, "/tmp/r.conf", sizeof(in.arg));
		if (d->argkind == PH_CTL_ARG_NAME ||
		    d->argkind == PH_CTL_ARG_NAME_MID)
			strlcpy(in.arg, "inside_out", sizeof(in.arg));
		in.detail = cmd == PH_CTL_CMD_SHOW_XLATE;
		n = ph_ctl_request_encode(&in, frame, sizeof(frame));
		ck_assert_int_gt(n, PH_CTL_HDR_LEN);
		ck_assert_int_eq(ph_ctl_request_decode(frame, (size_t)n, &out,
						       err, sizeof(err)),
				 n);
		ck_assert_msg(out.error == PH_CTL_OK, "%s: %s", d->words, err);
		ck_assert_uint_eq(out.cmd, cmd);
		ck_assert(out.json == in.json);
		ck_assert(out.detail == in.detail);
		ck_assert_str_eq(out.arg, in.arg);
		ph_ctl_request_text(&out, text, sizeof(text));
		if (d->argkind == PH_CTL_ARG_NAME_MID)
			ck_assert_str_eq(text, "clear access-list inside_out "
					       "counters");
		else
			ck_assert_int_eq(
				strncmp(text, d->words, strlen(d->words)), 0);
	}
	ck_assert_ptr_null(ph_ctl_cmd_def(PH_CTL_CMD_NONE));
	ck_assert_ptr_null(ph_ctl_cmd_def(PH_CTL_CMD_MAX));
}
END_TEST

static size_t
make_frame(uint8_t *buf, const char *text, uint8_t flags)
{
	size_t n = strlen(text);

	memcpy(buf, "PHCQ", 4);
	buf[4] = 1;
	buf[5] = flags;
	buf[6] = buf[7] = 0;
	buf[8] = (uint8_t)(n >> 24);
	buf[9] = (uint8_t)(n >> 16);
	buf[10] = (uint8_t)(n >> 8);
	buf[11] = (uint8_t)n;
	memcpy(buf + 12, text, n);
	return 12 + n;
}

/* Every proper prefix of a valid frame asks for more; trailing bytes
 * are left for the next frame. */
START_TEST(test_decode_prefixes)
{
	uint8_t buf[64];
	size_t n = make_frame(buf, "sh xl det", PH_CTL_F_JSON);
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];

	for (size_t k = 0; k < n; k++)
		ck_assert_msg(ph_ctl_request_decode(buf, k, &r, err,
						    sizeof(err)) == 0,
			      "prefix %zu", k);
	memcpy(buf + n, "PHCQ", 4);
	ck_assert_int_eq(
		ph_ctl_request_decode(buf, n + 4, &r, err, sizeof(err)),
		(int)n);
	ck_assert_uint_eq(r.cmd, PH_CTL_CMD_SHOW_XLATE);
	ck_assert(r.detail);
	ck_assert(r.json);
}
END_TEST

struct bad_case {
	size_t off;
	uint8_t val;
	int rc;
	const char *err_has;
};

static const struct bad_case bad_cases[] = {
	{ 0, 'X', -EBADMSG, "bad magic" },
	{ 3, 'R', -EBADMSG, "bad magic" },
	{ 4, 2, -EBADMSG, "version 2" },
	{ 4, 0, -EBADMSG, "version 0" },
	{ 5, 0x02, -EBADMSG, "unknown flags 0x02" },
	{ 5, 0x81, -EBADMSG, "unknown flags 0x81" },
	{ 6, 1, -EBADMSG, "reserved field" },
	{ 7, 1, -EBADMSG, "reserved field" },
	{ 8, 1, -EMSGSIZE, "too large" },     /* length 16 MiB + 9 */
	{ 10, 0x10, -EMSGSIZE, "too large" }, /* 4096 + 9 */
};

START_TEST(test_decode_bad_header)
{
	const struct bad_case *bc = &bad_cases[_i];
	uint8_t buf[64];
	size_t n = make_frame(buf, "show conn", 0);
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];

	buf[bc->off] = bc->val;
	/* the error is seen as soon as the bad byte has arrived */
	for (size_t k = bc->off + 1; k <= n; k++) {
		int rc = ph_ctl_request_decode(buf, k, &r, err, sizeof(err));

		if ((bc->off >= 8 && k < 12) || (bc->off == 6 && k < 8))
			continue; /* a field needs all its bytes */
		ck_assert_msg(rc == bc->rc, "off %zu len %zu: %d", bc->off, k,
			      rc);
		ck_assert_msg(strstr(err, bc->err_has) != NULL, "%s", err);
		ck_assert_uint_eq(r.error, PH_CTL_E_PROTO);
		ck_assert_uint_eq(r.cmd, PH_CTL_CMD_NONE);
	}
}
END_TEST

START_TEST(test_decode_limits)
{
	static uint8_t buf[PH_CTL_HDR_LEN + PH_CTL_REQ_MAX + 8];
	static char text[PH_CTL_REQ_MAX + 2];
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];
	size_t n;

	/* empty text */
	n = make_frame(buf, "", 0);
	ck_assert_int_eq(ph_ctl_request_decode(buf, n, &r, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	/* exactly the limit: framed fine, refused by the grammar */
	memset(text, ' ', PH_CTL_REQ_MAX);
	memcpy(text, "show conn", 9);
	text[PH_CTL_REQ_MAX] = '\0';
	n = make_frame(buf, text, 0);
	ck_assert_int_eq(ph_ctl_request_decode(buf, n, &r, err, sizeof(err)),
			 (int)n);
	ck_assert_uint_eq(r.error, PH_CTL_OK);
	ck_assert_uint_eq(r.cmd, PH_CTL_CMD_SHOW_CONN);
	/* one more byte */
	text[PH_CTL_REQ_MAX] = ' ';
	text[PH_CTL_REQ_MAX + 1] = '\0';
	n = make_frame(buf, text, 0);
	ck_assert_int_eq(ph_ctl_request_decode(buf, n, &r, err, sizeof(err)),
			 -EMSGSIZE);
	ck_assert_ptr_nonnull(strstr(err, "4097 bytes, limit 4096"));
	/* a well-framed bad command keeps the stream in sync */
	n = make_frame(buf, "show nothing", 0);
	ck_assert_int_eq(ph_ctl_request_decode(buf, n, &r, err, sizeof(err)),
			 (int)n);
	ck_assert_uint_eq(r.error, PH_CTL_E_INVALID);
	/* NUL inside the text */
	n = make_frame(buf, "show conn", 0);
	buf[12 + 4] = '\0';
	ck_assert_int_eq(ph_ctl_request_decode(buf, n, &r, err, sizeof(err)),
			 (int)n);
	ck_assert_uint_eq(r.error, PH_CTL_E_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "0x00 at byte 5"));
}
END_TEST

START_TEST(test_encode_errors)
{
	struct ph_ctl_request r;
	uint8_t buf[64];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ph_ctl_request_encode(&r, buf, sizeof(buf)), -EINVAL);
	r.cmd = PH_CTL_CMD_SHOW_RUNNING_CONFIG;
	ck_assert_int_eq(ph_ctl_request_encode(&r, buf, 20), -ENOSPC);
	ck_assert_int_eq(ph_ctl_request_encode(&r, buf, sizeof(buf)),
			 12 + (int)strlen("show running-config"));
}
END_TEST

START_TEST(test_chunks)
{
	uint8_t buf[64];
	struct ph_ctl_chunk ch;

	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_DATA, 0, 5);
	memcpy(buf + 12, "hello", 5);
	for (size_t k = 0; k < 17; k++)
		ck_assert_int_eq(ph_ctl_chunk_decode(buf, k, &ch), 0);
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 40, &ch), 17);
	ck_assert_uint_eq(ch.kind, PH_CTL_CHUNK_DATA);
	ck_assert_uint_eq(ch.len, 5);
	ck_assert_int_eq(memcmp(ch.data, "hello", 5), 0);

	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_END, PH_CTL_E_DENIED, 0);
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 12, &ch), 12);
	ck_assert_uint_eq(ch.kind, PH_CTL_CHUNK_END);
	ck_assert_uint_eq(ch.status, PH_CTL_E_DENIED);

	buf[4] = 'X';
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 12, &ch), -EBADMSG);
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 4, &ch), 0);
	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_DATA, 3, 0);
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 12, &ch), -EBADMSG);
	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_DATA, 0, PH_CTL_CHUNK_MAX + 1);
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 12, &ch), -EMSGSIZE);
	buf[1] = 'x';
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 2, &ch), -EBADMSG);
	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_END, 0, 0);
	buf[5] = 1;
	ck_assert_int_eq(ph_ctl_chunk_decode(buf, 12, &ch), -EBADMSG);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(ph_ctl_status_name(PH_CTL_OK), "OK");
	ck_assert_str_eq(ph_ctl_status_name(PH_CTL_E_DENIED), "E_DENIED");
	ck_assert_str_eq(ph_ctl_status_text(PH_CTL_E_AMBIGUOUS),
			 "ambiguous command");
	ck_assert_str_eq(ph_ctl_status_text(999), "unknown status");
	ck_assert_str_eq(ph_ctl_status_name(PH_CTL_STATUS_MAX), "UNKNOWN");
}
END_TEST

START_TEST(test_help)
{
	char buf[4096];
	int n = ph_ctl_commands_help(buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "show conn [detail]"));
	ck_assert_ptr_nonnull(strstr(buf, "show access-list [NAME]"));
	ck_assert_ptr_nonnull(strstr(buf, "reload [FILE]"));
	ck_assert_ptr_nonnull(strstr(buf, "undebug all"));
	ck_assert_ptr_nonnull(strstr(buf, "clear access-list [NAME] counters"));
	ck_assert_ptr_nonnull(
		strstr(buf, "clear service-policy [inspect pptp]"));
	/* truncated like snprintf */
	ck_assert_int_eq(ph_ctl_commands_help(buf, 10), n);
	ck_assert_uint_eq(strlen(buf), 9);
}
END_TEST

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random and mutated input: the result is always in range, the error
 * always a terminated string, and a success always a real command. */
START_TEST(test_decode_robust)
{
	static uint8_t buf[PH_CTL_HDR_LEN + 256];
	uint64_t seed = 42;
	struct ph_ctl_request r;
	char err[PH_CTL_ERR_MAX];

	for (int it = 0; it < 200000; it++) {
		size_t n;
		int rc;

		if (it & 1) {
			n = make_frame(
				buf,
				parse_cases[it % (sizeof(parse_cases) /
						  sizeof(parse_cases[0]))]
					.text,
				0);
			for (int m = rnd(&seed) % 4; m >= 0; m--)
				buf[rnd(&seed) % n] = (uint8_t)rnd(&seed);
			n = rnd(&seed) % (n + 1);
		} else {
			n = rnd(&seed) % sizeof(buf);
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rnd(&seed);
			if (n >= 12 && (it & 2)) {
				/* valid header, random text */
				memcpy(buf,
				       "PHCQ\x01\x00\x00\x00\x00\x00"
				       "\x00",
				       11);
			}
		}
		rc = ph_ctl_request_decode(buf, n, &r, err, sizeof(err));
		ck_assert(memchr(err, '\0', sizeof(err)) != NULL);
		ck_assert(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE ||
			  (rc >= 13 && (size_t)rc <= n));
		if (rc > 0 && r.error == PH_CTL_OK)
			ck_assert_ptr_nonnull(ph_ctl_cmd_def(r.cmd));
		if (rc > 0 && r.error != PH_CTL_OK) {
			ck_assert_uint_eq(r.cmd, PH_CTL_CMD_NONE);
			ck_assert_int_eq(strncmp(err, "ERROR: % ", 9), 0);
		}
		if (rc < 0)
			ck_assert_int_eq(strncmp(err, "ERROR: % ", 9), 0);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ctlproto");
	TCase *tg = tcase_create("grammar");
	TCase *tf = tcase_create("framing");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tg, test_parse_table, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tg, test_parse_word_limit);
	tcase_add_test(tg, test_parse_short_err);
	tcase_add_test(tg, test_help);
	tcase_add_test(tf, test_roundtrip_all);
	tcase_add_test(tf, test_decode_prefixes);
	tcase_add_loop_test(tf, test_decode_bad_header, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tf, test_decode_limits);
	tcase_add_test(tf, test_encode_errors);
	tcase_add_test(tf, test_chunks);
	tcase_add_test(tf, test_status_names);
	tcase_add_test(tf, test_decode_robust);
	suite_add_tcase(s, tg);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
