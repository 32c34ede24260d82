/*
 * daemon/control_reply.c - the reply buffer handlers write into.
 *
 * A handler's text goes straight into its client's output buffer as data
 * chunks (ctlproto.h): the header of an open chunk is reserved first and
 * filled when the chunk is closed, at PH_CTL_CHUNK_MAX bytes or when the
 * handler returns.  A call may add at most r->limit bytes (the client's
 * buffer limit); beyond that appends fail and the reply ends with
 * PH_CTL_E_TRUNCATED, so a handler that does not page cannot make the
 * daemon allocate without bound.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "daemon/control_int.h"

int
ph_ctl_out_put(struct ctl_outbuf *o, const void *s, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		uint8_t *nb;

		while (cap < o->len + n)
			cap *= 2;
		nb = realloc(o->buf, cap);
		if (nb == NULL)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	return 0;
}

/* Move queued bytes to the front; shrink a big idle buffer. */
void
ph_ctl_out_compact(struct ctl_outbuf *o)
{
	if (o->off == o->len) {
		o->off = o->len = 0;
		if (o->cap > 65536) {
			free(o->buf);
			o->buf = NULL;
			o->cap = 0;
		}
		return;
	}
	if (o->off > 0) {
		memmove(o->buf, o->buf + o->off, o->len - o->off);
		o->len -= o->off;
		o->off = 0;
	}
}

void
ph_ctl_out_free(struct ctl_outbuf *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

/* Append an end chunk.  Always fits: it is not counted against max. */
int
ph_ctl_out_end(struct ctl_outbuf *o, int status, const char *msg)
{
	uint8_t hdr[PH_CTL_HDR_LEN];
	size_t n = msg ? strlen(msg) : 0;
	int rc;

	ph_ctl_chunk_header(hdr, PH_CTL_CHUNK_END, (uint16_t)status,
			    (uint32_t)n);
	rc = ph_ctl_out_put(o, hdr, sizeof(hdr));
	if (rc == 0 && n > 0)
		rc = ph_ctl_out_put(o, msg, n);
	return rc;
}

static int
json_put(void *arg, const char *s, size_t n)
{
	return ph_ctl_reply_append(arg, s, n);
}

/* Prepare for one handler call. */
void
ph_ctl_reply_begin(struct ph_ctl_reply *r, struct ctl_client *c, bool first)
{
	if (first) {
		memset(r, 0, sizeof(*r));
		r->c = c;
		ph_json_init(&r->json, json_put, r, true);
	}
	r->again = false;
	r->added = 0;
	r->limit = c->out.max;
	r->chunk_open = false;
	ph_ctl_out_compact(&c->out);
}

void
ph_ctl_reply_close_chunk(struct ph_ctl_reply *r)
{
	struct ctl_outbuf *o = &r->c->out;

	if (!r->chunk_open)
		return;
	r->chunk_open = false;
	if (r->chunk_len == 0) {
		o->len = r->chunk_hdr; /* drop the empty chunk's header */
		return;
	}
	ph_ctl_chunk_header(o->buf + r->chunk_hdr, PH_CTL_CHUNK_DATA, 0,
			    r->chunk_len);
}

static int
open_chunk(struct ph_ctl_reply *r)
{
	uint8_t hdr[PH_CTL_HDR_LEN] = { 0 };
	struct ctl_outbuf *o = &r->c->out;
	int rc;

	r->chunk_hdr = o->len;
	r->chunk_len = 0;
	rc = ph_ctl_out_put(o, hdr, sizeof(hdr));
	if (rc == 0)
		r->chunk_open = true;
	return rc;
}

int
ph_ctl_reply_append(struct ph_ctl_reply *r, const char *s, size_t n)
{
	struct ctl_outbuf *o = &r->c->out;

	if (r->truncated || r->added + n > r->limit) {
		r->truncated = true;
		return -ENOSPC;
	}
	while (n > 0) {
		size_t take;

		if (!r->chunk_open && open_chunk(r) < 0)
			goto out_nomem;
		take = PH_CTL_CHUNK_MAX - r->chunk_len;
		if (take > n)
			take = n;
		if (ph_ctl_out_put(o, s, take) < 0)
			goto out_nomem;
		r->chunk_len += (uint32_t)take;
		r->added += take;
		s += take;
		n -= take;
		if (r->chunk_len == PH_CTL_CHUNK_MAX)
			ph_ctl_reply_close_chunk(r);
	}
	return 0;

out_nomem:
	r->truncated = true;
	return -ENOMEM;
}

int
ph_ctl_reply_vprintf(struct ph_ctl_reply *r, const char *fmt, va_list ap)
{
	char small[512], *big;
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return ph_ctl_reply_append(r, small, (size_t)n);
	if (r->added + (size_t)n > r->limit) {
		r->truncated = true;
		return -ENOSPC;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return -ENOMEM;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	rc = ph_ctl_reply_append(r, big, (size_t)n);
	free(big);
	return rc;
}

int
ph_ctl_reply_printf(struct ph_ctl_reply *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ph_ctl_reply_vprintf(r, fmt, ap);
	va_end(ap);
	return rc;
}

int
ph_ctl_reply_error(struct ph_ctl_reply *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->status = status;
	return status;
}

struct ph_json *
ph_ctl_reply_json(struct ph_ctl_reply *r)
{
	r->json_used = true;
	return &r->json;
}

bool
ph_ctl_reply_full(const struct ph_ctl_reply *r)
{
	const struct ctl_outbuf *o = &r->c->out;

	return r->truncated || o->len - o->off >= o->max / 2;
}

void
ph_ctl_reply_again(struct ph_ctl_reply *r)
{
	r->again = true;
}

uint64_t *
ph_ctl_reply_cursor(struct ph_ctl_reply *r)
{
	return r->cursor;
}

unsigned
ph_ctl_reply_calls(const struct ph_ctl_reply *r)
{
	return r->calls;
}

const struct ph_ctl_peer *
ph_ctl_reply_peer(const struct ph_ctl_reply *r)
{
	return &r->c->peer;
}
