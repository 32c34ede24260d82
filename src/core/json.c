/*
 * core/json.c - the streaming JSON writer (see json.h).
 *
 * RFC 8259 s7: strings must escape '"', '\' and U+0000..U+001F; we also
 * escape DEL for the terminal's sake.  RFC 3629 s3-4 defines valid UTF-8
 * (no overlong forms, no surrogates, nothing past U+10FFFF): any other
 * byte sequence becomes U+FFFD, so the document always parses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* The escape for one ASCII byte, or NULL when it is printed as itself. */
static const char *
ascii_escape(unsigned char c, char tmp[8])
{
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	}
	if (c < 0x20 || c == 0x7f) {
		snprintf(tmp, 8, "\\u%04x", c);
		return tmp;
	}
	return NULL;
}

/* Copy n bytes to dst at *pos (as far as it fits); advance *pos. */
static void
emit(char *dst, size_t dstlen, size_t *pos, const char *s, size_t n)
{
	if (*pos < dstlen) {
		size_t room = dstlen - *pos;

		memcpy(dst + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t
ph_json_escape(char *dst, size_t dstlen, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t pos = 0, i = 0;
	char tmp[8];

	while (i < n) {
		size_t len = utf8_len(u + i, n - i);
		const char *esc;

		if (len == 0) {
			emit(dst, dstlen, &pos, "\\ufffd", 6);
			i++;
			continue;
		}
		esc = len == 1 ? ascii_escape(u[i], tmp) : NULL;
		if (esc != NULL)
			emit(dst, dstlen, &pos, esc, strlen(esc));
		else
			emit(dst, dstlen, &pos, s + i, len);
		i += len;
	}
	if (dstlen > 0)
		dst[pos < dstlen ? pos : dstlen - 1] = '\0';
	return pos;
}

void
ph_json_init(struct ph_json *j, ph_json_put_fn put, void *arg, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->put = put;
	j->arg = arg;
	j->pretty = pretty;
}

static void
put(struct ph_json *j, const char *s, size_t n)
{
	int rc;

	if (j->err)
		return;
	rc = j->put(j->arg, s, n);
	if (rc < 0)
		j->err = rc;
}

static void
puts_(struct ph_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* Escape in slices through a small buffer: no allocation. */
static void
put_escaped(struct ph_json *j, const char *s, size_t n)
{
	char buf[256];

	put(j, "\"", 1);
	while (n > 0 && !j->err) {
		size_t take = n < 32 ? n : 32;
		size_t len;

		/* never split a UTF-8 sequence between slices */
		while (take < n && take < 36 &&
		       ((unsigned char)s[take] & 0xc0) == 0x80)
			take++;
		len = ph_json_escape(buf, sizeof(buf), s, take);
		put(j, buf, len);
		s += take;
		n -= take;
	}
	put(j, "\"", 1);
}

static void
indent(struct ph_json *j)
{
	static const char tabs[PH_JSON_DEPTH_MAX] = "\t\t\t\t\t\t\t\t"
						    "\t\t\t\t\t\t\t\t";

	put(j, "\n", 1);
	put(j, tabs, j->depth);
}

/* Separator, indentation and key before a value; sets err on misuse. */
static void
member(struct ph_json *j, const char *key)
{
	if (j->err)
		return;
	if (j->depth == 0) {
		if (key != NULL || j->done)
			j->err = -EINVAL;
		return;
	}
	if ((key != NULL) != j->is_obj[j->depth - 1]) {
		j->err = -EINVAL;
		return;
	}
	if (!j->first[j->depth - 1])
		put(j, ",", 1);
	j->first[j->depth - 1] = false;
	if (j->pretty)
		indent(j);
	if (key != NULL) {
		put_escaped(j, key, strlen(key));
		put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	}
}

static void
value_done(struct ph_json *j)
{
	if (j->depth == 0 && !j->err)
		j->done = true;
}

static void
open_(struct ph_json *j, const char *key, bool obj)
{
	member(j, key);
	if (j->err)
		return;
	if (j->depth >= PH_JSON_DEPTH_MAX) {
		j->err = -EINVAL;
		return;
	}
	put(j, obj ? "{" : "[", 1);
	j->first[j->depth] = true;
	j->is_obj[j->depth] = obj;
	j->depth++;
}

static void
close_(struct ph_json *j, bool obj)
{
	bool empty;

	if (j->err)
		return;
	if (j->depth == 0 || j->is_obj[j->depth - 1] != obj) {
		j->err = -EINVAL;
		return;
	}
	empty = j->first[j->depth - 1];
	j->depth--;
	if (j->pretty && !empty)
		indent(j);
	put(j, obj ? "}" : "]", 1);
	value_done(j);
}

void
ph_json_obj_begin(struct ph_json *j, const char *key)
{
	open_(j, key, true);
}

void
ph_json_obj_end(struct ph_json *j)
{
	close_(j, true);
}

void
ph_json_arr_begin(struct ph_json *j, const char *key)
{
	open_(j, key, false);
}

void
ph_json_arr_end(struct ph_json *j)
{
	close_(j, false);
}

void
ph_json_strn(struct ph_json *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	if (s == NULL)
		puts_(j, "null");
	else
		put_escaped(j, s, n);
	value_done(j);
}

void
ph_json_str(struct ph_json *j, const char *key, const char *s)
{
	ph_json_strn(j, key, s, s != NULL ? strlen(s) : 0);
}

void
ph_json_u64(struct ph_json *j, const char *key, uint64_t v)
{
	char buf[24];

	member(j, key);
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	puts_(j, buf);
	value_done(j);
}

void
ph_json_i64(struct ph_json *j, const char *key, int64_t v)
{
	char buf[24];

	member(j, key);
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	puts_(j, buf);
	value_done(j);
}

void
ph_json_bool(struct ph_json *j, const char *key, bool v)
{
	member(j, key);
	puts_(j, v ? "true" : "false");
	value_done(j);
}

void
ph_json_null(struct ph_json *j, const char *key)
{
	member(j, key);
	puts_(j, "null");
	value_done(j);
}

void
ph_json_ipv4(struct ph_json *j, const char *key, uint32_t a)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
	ph_json_str(j, key, buf);
}

bool
ph_json_open(const struct ph_json *j)
{
	return j->depth > 0;
}

int
ph_json_finish(struct ph_json *j)
{
	if (!j->err && (j->depth != 0 || !j->done))
		j->err = -EINVAL;
	put(j, "\n", 1);
	return j->err;
}
