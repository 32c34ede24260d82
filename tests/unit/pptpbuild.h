/*
 * tests/unit/pptpbuild.h - build PPTP control messages (RFC 2637 §2) for
 * tests, fuzz seeds and pcap generators.  Header-only and standalone: it
 * needs nothing from libpinhole, so tools/gen can include it too.
 *
 * Every builder writes one complete, valid message into `b` (at least
 * PPTPB_MAX bytes) and returns its length.  Fields that are not arguments
 * get realistic values (those of the Windows client in the seed notes:
 * 300..100000000 bps, bearer/framing "any", window 64).  To build a bad
 * message, build a good one and then break it with pptpb_put16/32.
 *
 *	uint8_t m[PPTPB_MAX];
 *	size_t n = pptpb_ocrq(m, 0x4000, 58613);
 *	pptpb_put32(m, 4, 0xdeadbeef);		// bad magic cookie
 */
#ifndef PH_TESTS_PPTPBUILD_H
#define PH_TESTS_PPTPBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PPTPB_MAX     220
#define PPTPB_MAGIC   0x1A2B3C4DU
#define PPTPB_VERSION 0x0100

enum pptpb_type {
	PPTPB_SCCRQ = 1,
	PPTPB_SCCRP,
	PPTPB_STOPCCRQ,
	PPTPB_STOPCCRP,
	PPTPB_ECHORQ,
	PPTPB_ECHORP,
	PPTPB_OCRQ,
	PPTPB_OCRP,
	PPTPB_ICRQ,
	PPTPB_ICRP,
	PPTPB_ICCN,
	PPTPB_CCRQ,
	PPTPB_CDN,
	PPTPB_WEN,
	PPTPB_SLI,
};

/* Total size of each type (index = type; 0 unused). */
static const uint16_t pptpb_size[16] = { 0,  156, 156, 16, 16, 16,  20, 168,
					 32, 220, 24,  28, 16, 148, 40, 24 };

static inline void
pptpb_put16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)(v >> 8);
	b[off + 1] = (uint8_t)v;
}

static inline void
pptpb_put32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)(v >> 24);
	b[off + 1] = (uint8_t)(v >> 16);
	b[off + 2] = (uint8_t)(v >> 8);
	b[off + 3] = (uint8_t)v;
}

static inline uint16_t
pptpb_get16(const uint8_t *b, size_t off)
{
	return (uint16_t)(b[off] << 8 | b[off + 1]);
}

/* A 64-byte NUL-padded text field (cut at 64 bytes, maybe unterminated). */
static inline void
pptpb_text(uint8_t *b, size_t off, const char *s, size_t width)
{
	size_t n = s != NULL ? strlen(s) : 0;

	memset(b + off, 0, width);
	memcpy(b + off, s != NULL ? s : "", n < width ? n : width);
}

/* Zeroed message of `type` with its 12-byte header; returns its size. */
static inline size_t
pptpb_hdr(uint8_t *b, unsigned type)
{
	uint16_t size = type < 16 ? pptpb_size[type] : 16;

	memset(b, 0, PPTPB_MAX);
	pptpb_put16(b, 0, size);
	pptpb_put16(b, 2, 1); /* control message */
	pptpb_put32(b, 4, PPTPB_MAGIC);
	pptpb_put16(b, 8, (uint16_t)type);
	return size;
}

static inline size_t
pptpb_sccrx(uint8_t *b, unsigned type, uint16_t version, uint8_t result,
	    const char *host, const char *vendor)
{
	size_t n = pptpb_hdr(b, type);

	pptpb_put16(b, 12, version);
	if (type == PPTPB_SCCRP)
		b[14] = result;
	pptpb_put32(b, 16, 1);	   /* framing: async */
	pptpb_put32(b, 20, 1);	   /* bearer: analog */
	pptpb_put16(b, 24, 0);	   /* max channels */
	pptpb_put16(b, 26, 0x870); /* firmware */
	pptpb_text(b, 28, host, 64);
	pptpb_text(b, 92, vendor, 64);
	return n;
}

static inline size_t
pptpb_sccrq(uint8_t *b, uint16_t version, const char *host, const char *vendor)
{
	return pptpb_sccrx(b, PPTPB_SCCRQ, version, 0, host, vendor);
}

static inline size_t
pptpb_sccrp(uint8_t *b, uint16_t version, uint8_t result, const char *host,
	    const char *vendor)
{
	return pptpb_sccrx(b, PPTPB_SCCRP, version, result, host, vendor);
}

static inline size_t
pptpb_stopccrq(uint8_t *b, uint8_t reason)
{
	size_t n = pptpb_hdr(b, PPTPB_STOPCCRQ);

	b[12] = reason;
	return n;
}

static inline size_t
pptpb_stopccrp(uint8_t *b, uint8_t result)
{
	size_t n = pptpb_hdr(b, PPTPB_STOPCCRP);

	b[12] = result;
	return n;
}

static inline size_t
pptpb_echorq(uint8_t *b, uint32_t id)
{
	size_t n = pptpb_hdr(b, PPTPB_ECHORQ);

	pptpb_put32(b, 12, id);
	return n;
}

static inline size_t
pptpb_echorp(uint8_t *b, uint32_t id, uint8_t result)
{
	size_t n = pptpb_hdr(b, PPTPB_ECHORP);

	pptpb_put32(b, 12, id);
	b[16] = result;
	return n;
}

static inline size_t
pptpb_ocrq(uint8_t *b, uint16_t call_id, uint16_t serial)
{
	size_t n = pptpb_hdr(b, PPTPB_OCRQ);

	pptpb_put16(b, 12, call_id);
	pptpb_put16(b, 14, serial);
	pptpb_put32(b, 16, 300);       /* min bps */
	pptpb_put32(b, 20, 100000000); /* max bps */
	pptpb_put32(b, 24, 3);	       /* bearer: any */
	pptpb_put32(b, 28, 3);	       /* framing: any */
	pptpb_put16(b, 32, 64);	       /* recv window */
	return n;
}

static inline size_t
pptpb_ocrp(uint8_t *b, uint16_t call_id, uint16_t peer_id, uint8_t result)
{
	size_t n = pptpb_hdr(b, PPTPB_OCRP);

	pptpb_put16(b, 12, call_id);
	pptpb_put16(b, 14, peer_id);
	b[16] = result;
	pptpb_put32(b, 20, 64000); /* connect speed */
	pptpb_put16(b, 24, 64);
	return n;
}

static inline size_t
pptpb_icrq(uint8_t *b, uint16_t call_id, uint16_t serial)
{
	size_t n = pptpb_hdr(b, PPTPB_ICRQ);

	pptpb_put16(b, 12, call_id);
	pptpb_put16(b, 14, serial);
	pptpb_put32(b, 16, 1); /* bearer: analog */
	pptpb_put16(b, 24, 4);
	pptpb_text(b, 28, "5551", 64);
	return n;
}

static inline size_t
pptpb_icrp(uint8_t *b, uint16_t call_id, uint16_t peer_id, uint8_t result)
{
	size_t n = pptpb_hdr(b, PPTPB_ICRP);

	pptpb_put16(b, 12, call_id);
	pptpb_put16(b, 14, peer_id);
	b[16] = result;
	pptpb_put16(b, 18, 64);
	return n;
}

static inline size_t
pptpb_iccn(uint8_t *b, uint16_t peer_id)
{
	size_t n = pptpb_hdr(b, PPTPB_ICCN);

	pptpb_put16(b, 12, peer_id);
	pptpb_put32(b, 16, 64000);
	pptpb_put16(b, 20, 64);
	pptpb_put32(b, 24, 1);
	return n;
}

static inline size_t
pptpb_ccrq(uint8_t *b, uint16_t call_id)
{
	size_t n = pptpb_hdr(b, PPTPB_CCRQ);

	pptpb_put16(b, 12, call_id);
	return n;
}

static inline size_t
pptpb_cdn(uint8_t *b, uint16_t call_id, uint8_t result)
{
	size_t n = pptpb_hdr(b, PPTPB_CDN);

	pptpb_put16(b, 12, call_id);
	b[14] = result;
	pptpb_text(b, 20, "bye", 128);
	return n;
}

static inline size_t
pptpb_wen(uint8_t *b, uint16_t peer_id)
{
	size_t n = pptpb_hdr(b, PPTPB_WEN);

	pptpb_put16(b, 12, peer_id);
	pptpb_put32(b, 16, 1); /* one CRC error */
	return n;
}

static inline size_t
pptpb_sli(uint8_t *b, uint16_t peer_id)
{
	size_t n = pptpb_hdr(b, PPTPB_SLI);

	pptpb_put16(b, 12, peer_id);
	pptpb_put32(b, 16, 0xffffffff);
	pptpb_put32(b, 20, 0xffffffff);
	return n;
}

#endif /* PH_TESTS_PPTPBUILD_H */
