/*
 * tools/fuzz/fuzz_ctl.c - libFuzzer target for the control protocol
 * (src/core/ctlproto.h): the bytes a local user can send the daemon.
 *
 * The input is read as the daemon reads a connection: request frames one
 * after another with ph_ctl_request_decode(), every prefix length too (a
 * prefix must say "need more" or fail the same way, never read past
 * len).  Each decoded request must survive a round trip: its canonical
 * text, encoded as a frame, decodes to the same request.  The same bytes
 * also go through the client's side: ph_ctl_chunk_decode() on a stream
 * of response chunks, and ph_ctl_parse_text() / ph_json_escape() on the
 * raw bytes as command text.  Any broken invariant abort()s.
 *
 * Seeds: tools/fuzz/corpus/ctl/ (every command, abbreviations, errors).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctlproto.h"
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAME_MAX (PH_CTL_HDR_LEN + PH_CTL_REQ_MAX)

static void
check_err(const char *err, size_t errlen)
{
	if (memchr(err, '\0', errlen) == NULL)
		abort(); /* err must be NUL-terminated */
}

/* canonical text -> frame -> decode gives the same request back */
static void
roundtrip(const struct ph_ctl_request *req)
{
	static uint8_t frame[FRAME_MAX];
	struct ph_ctl_request again;
	char err[PH_CTL_ERR_MAX], text[PH_CTL_REQ_MAX + 64];
	int n, m;

	if (ph_ctl_cmd_def(req->cmd) == NULL)
		abort(); /* OK without a command */
	m = ph_ctl_request_text(req, text, sizeof(text));
	if (m < 0 || (size_t)m >= sizeof(text))
		abort();
	n = ph_ctl_request_encode(req, frame, sizeof(frame));
	if (n == -ENOSPC)
		return; /* canonical text longer than the limit */
	if (n <= PH_CTL_HDR_LEN)
		abort();
	if (ph_ctl_request_decode(frame, (size_t)n, &again, err, sizeof(err)) !=
	    n) {
		fprintf(stderr, "re-decode failed: %s\n", err);
		abort();
	}
	if (again.error != PH_CTL_OK || again.cmd != req->cmd ||
	    again.json != req->json || again.detail != req->detail ||
	    strcmp(again.arg, req->arg) != 0) {
		fprintf(stderr, "round trip of '%s' changed it: %s\n", text,
			err);
		abort();
	}
}

/* One frame at buf: decode it, and every prefix of it. */
static int
decode_one(const uint8_t *buf, size_t len)
{
	struct ph_ctl_request req;
	char err[PH_CTL_ERR_MAX];
	uint8_t *copy;
	int n, p;
	size_t k, step;

	/* an exact-size copy so ASan sees any read past len */
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, buf, len);
	n = ph_ctl_request_decode(copy, len, &req, err, sizeof(err));
	check_err(err, sizeof(err));
	if (n > 0) {
		if ((size_t)n > len || n <= PH_CTL_HDR_LEN)
			abort();
		if (req.error == PH_CTL_OK)
			roundtrip(&req);
		else if (req.cmd != PH_CTL_CMD_NONE || err[0] == '\0')
			abort(); /* refused, but with a command or silently */
		if (req.error >= PH_CTL_STATUS_MAX)
			abort();
	}
	/* prefixes: "need more" or the same hard error, never a frame */
	step = len > 64 ? len / 16 : 1;
	for (k = 0; k < len && k < (n > 0 ? (size_t)n : len); k += step) {
		p = ph_ctl_request_decode(copy, k, &req, err, sizeof(err));
		if (p > 0 || (p < 0 && n >= 0))
			abort();
	}
	free(copy);
	return n;
}

static void
decode_stream(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int n;

	while (off < size) {
		n = decode_one(data + off, size - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void
chunk_stream(const uint8_t *data, size_t size)
{
	struct ph_ctl_chunk ch;
	size_t off = 0;
	int n;

	while (off < size) {
		n = ph_ctl_chunk_decode(data + off, size - off, &ch);
		if (n <= 0)
			break;
		if ((size_t)n > size - off || n < PH_CTL_HDR_LEN ||
		    ch.len != (uint32_t)n - PH_CTL_HDR_LEN ||
		    (ch.len && ch.data != data + off + PH_CTL_HDR_LEN))
			abort();
		if (ch.kind != PH_CTL_CHUNK_DATA && ch.kind != PH_CTL_CHUNK_END)
			abort();
		(void)ph_ctl_status_text(ch.status);
		off += (size_t)n;
	}
}

static void
text_and_json(const uint8_t *data, size_t size)
{
	struct ph_ctl_request req;
	char err[PH_CTL_ERR_MAX], small[8];
	static char esc[6 * 4096 + 1];
	size_t n, i;
	int st;

	st = ph_ctl_parse_text((const char *)data, size, &req, err,
			       sizeof(err));
	check_err(err, sizeof(err));
	if (st == PH_CTL_OK)
		roundtrip(&req);
	if (size > 4096)
		return;
	n = ph_json_escape(esc, sizeof(esc), (const char *)data, size);
	if (n >= sizeof(esc) || strlen(esc) != n)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)esc[i] < 0x20 || esc[i] == 0x7f)
			abort(); /* raw control character in JSON */
	if (ph_json_escape(small, sizeof(small), (const char *)data, size) != n)
		abort(); /* truncation changed the length */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_stream(data, size);
	chunk_stream(data, size);
	text_and_json(data, size);
	return 0;
}
