/*
 * core/pptp_gidx.h - what the PPTP inspector has open, indexed for GRE
 * that matches no flow (inspect_pptp.c's orphan check):
 *
 *   PH_GIDX_CALL (dst, 0, call ID, ifidx): a call's GRE flow expects GRE
 *       to dst carrying this call ID, arriving on ifidx (both directions
 *       of every call are entered);
 *   PH_GIDX_CTL (src, dst, 0, ifidx): an inspected control connection
 *       runs between src and dst, seen from ifidx (both directions).
 *
 * So GRE version 1 that matches no flow but whose (dst, call ID, ifidx)
 * is a call's came from the wrong source (gre-wrong-source), and GRE
 * between the two peers of an inspected control connection that matches
 * no call is for a call that is closed or never was (gre-no-call).
 *
 * A counted multiset in one chained hash (SipHash with the engine's
 * seed, against chosen keys): entries grow with the pool and are never
 * allocated per packet; lookups are O(1).
 *
 * Known limits: an entry that cannot be allocated (ENOMEM) is not
 * recorded; that call's stray GRE is then judged by the generic rule.
 */
#ifndef PH_CORE_PPTP_GIDX_H
#define PH_CORE_PPTP_GIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

enum ph_gidx_kind {
	PH_GIDX_CALL = 1,
	PH_GIDX_CTL = 2,
};

struct ph_gidx_key {
	uint32_t a, b;
	uint16_t c, d;
	uint8_t kind; /* enum ph_gidx_kind */
};

struct ph_gidx;

/** A new empty index keyed with k; NULL on ENOMEM. */
struct ph_gidx *ph_gidx_new(const struct ph_hash_key *k);
void ph_gidx_free(struct ph_gidx *g);

/** Count one more of key k.  0, or -ENOMEM (nothing changed). */
int ph_gidx_add(struct ph_gidx *g, const struct ph_gidx_key *k);

/** Count one less of key k (no-op when absent). */
void ph_gidx_del(struct ph_gidx *g, const struct ph_gidx_key *k);

/** Is key k present? */
bool ph_gidx_has(const struct ph_gidx *g, const struct ph_gidx_key *k);

/** Distinct keys present. */
size_t ph_gidx_size(const struct ph_gidx *g);

#endif /* PH_CORE_PPTP_GIDX_H */
