/*
 * core/cursor.h - bounds-checked reading (and in-place writing) of wire data.
 *
 * Every wire field in pinhole is read through a cursor: a window [p, end)
 * over a buffer.  Readers return 0 on success and -1 when fewer bytes
 * remain than the field needs, without moving the cursor, so parsers chain
 * them:
 *
 *	if (ph_cur_u16(&c, &len) || ph_cur_u16(&c, &type) || ...)
 *		goto bad_len;
 *
 * A sub-cursor (ph_cur_sub) bounds nested data, such as an IPv4 payload by
 * the header's total length, or the header quoted inside an ICMP error.
 * All multi-byte values are big-endian (network order) on the wire and are
 * returned in host order.  Modelled on OpenBSD's ibuf_get_n16() readers.
 */
#ifndef PH_CORE_CURSOR_H
#define PH_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct ph_cur {
	uint8_t *base; /* start of the window (for offsets) */
	uint8_t *p;    /* next byte */
	uint8_t *end;  /* one past the last byte */
};

static inline void
ph_cur_init(struct ph_cur *c, uint8_t *buf, size_t len)
{
	c->base = buf;
	c->p = buf;
	c->end = buf + len;
}

static inline size_t
ph_cur_left(const struct ph_cur *c)
{
	return (size_t)(c->end - c->p);
}

static inline size_t
ph_cur_off(const struct ph_cur *c)
{
	return (size_t)(c->p - c->base);
}

static inline int
ph_cur_skip(struct ph_cur *c, size_t n)
{
	if (ph_cur_left(c) < n)
		return -1;
	c->p += n;
	return 0;
}

/* Take the next n bytes as a sub-cursor and advance past them. */
static inline int
ph_cur_sub(struct ph_cur *c, size_t n, struct ph_cur *sub)
{
	if (ph_cur_left(c) < n)
		return -1;
	ph_cur_init(sub, c->p, n);
	c->p += n;
	return 0;
}

/* Point at the next n bytes without copying, and advance. */
static inline int
ph_cur_ptr(struct ph_cur *c, size_t n, uint8_t **out)
{
	if (ph_cur_left(c) < n)
		return -1;
	*out = c->p;
	c->p += n;
	return 0;
}

static inline int
ph_cur_u8(struct ph_cur *c, uint8_t *v)
{
	if (ph_cur_left(c) < 1)
		return -1;
	*v = c->p[0];
	c->p += 1;
	return 0;
}

static inline int
ph_cur_u16(struct ph_cur *c, uint16_t *v)
{
	if (ph_cur_left(c) < 2)
		return -1;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return 0;
}

static inline int
ph_cur_u32(struct ph_cur *c, uint32_t *v)
{
	if (ph_cur_left(c) < 4)
		return -1;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	    (uint32_t)c->p[2] << 8 | (uint32_t)c->p[3];
	c->p += 4;
	return 0;
}

/* Big-endian helpers for fields already bounds-checked by a cursor. */
static inline uint16_t
ph_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
ph_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void
ph_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
ph_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* PH_CORE_CURSOR_H */
