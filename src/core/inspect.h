/*
 * core/inspect.h - how application inspectors (PPTP) plug into the engine.
 *
 * An inspector is a const ops struct listed in the explicit array
 * ph_inspectors[] (inspect.c); the packet path only walks that array, so
 * adding an inspector does not touch the packet path.  Netfilter's helper
 * registration (nf_conntrack_helper) is the model, minus the dynamic
 * registration.
 *
 * Life of an inspected connection:
 *   - when a connection is built, the engine asks each inspector's match()
 *     in array order; the first that says yes owns it (c->insp_id) and its
 *     conn_init() sets up its state (the handle goes in c->insp);
 *   - every TCP segment of that connection that carries payload goes to
 *     on_tcp_payload() after TCP state tracking and before the NAT
 *     rewrite of the headers; it may rewrite the payload (core/rewrite.h),
 *     drop the segment (return PH_INSPECT_DROP and a reason), or hold it
 *     (PH_INSPECT_HOLD, see engine.h);
 *   - on_conn_destroy() runs once before the connection is removed, for
 *     any reason (FINs, RST, timeout, clear, reload);
 *   - tick() runs from ph_engine_tick() with the remaining budget, and
 *     on_policy() after ph_engine_set_policy();
 *   - a HOLD keeps a translated copy of the segment (engine_hold.c); the
 *     inspector later patches and releases it with ph_eng_held_patch() /
 *     ph_eng_held_release(), and hears of holds the engine drops itself
 *     through on_hold_drop();
 *   - ph_eng_conn_kill() asks for the connection to be torn down once the
 *     current packet is done ("Flow closed by inspection");
 *   - orphan() sees every packet that matched no connection first and may
 *     refuse it (PPTP: GRE from the wrong source or for no call).
 * Inspectors create related flows (GRE for PPTP) with the ph_eng_* calls
 * of engine_int.h.
 */
#ifndef PH_CORE_INSPECT_H
#define PH_CORE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/time.h>

struct ph_engine;
struct ph_policy;
struct ph_conn;
struct ph_pkt;

enum ph_inspect_verdict {
	PH_INSPECT_PASS = 0,
	PH_INSPECT_DROP,
	PH_INSPECT_HOLD,
};

#define PH_INSPECT_MAX 8

struct ph_inspect_ops {
	const char *name;
	/* per-engine state: *priv is handed back in every call (optional) */
	int (*engine_init)(struct ph_engine *eng, void **priv);
	void (*engine_free)(struct ph_engine *eng, void *priv);
	/* Does this inspector want connection c (just built)? */
	bool (*match)(const struct ph_policy *pol, const struct ph_conn *c);
	/* Set up state for connection idx; non-zero: not inspected. */
	int (*conn_init)(struct ph_engine *eng, void *priv, uint32_t idx,
			 ph_time_t now);
	/* A TCP segment with payload, direction dir (PH_DIR_*); rwflags
	 * are the core/rewrite.h flags for payload rewrites. */
	int (*on_tcp_payload)(struct ph_engine *eng, void *priv, uint32_t idx,
			      int dir, struct ph_pkt *p, unsigned rwflags,
			      ph_time_t now, uint16_t *reason);
	/* The engine dropped the segment held for (idx, dir) by itself
	 * (hold timeout, no room to keep it). */
	void (*on_hold_drop)(struct ph_engine *eng, void *priv, uint32_t idx,
			     int dir, ph_time_t now);
	/* Connection idx goes away. */
	void (*on_conn_destroy)(struct ph_engine *eng, void *priv, uint32_t idx,
				ph_time_t now);
	/* A packet that matched no connection, before the policy sees it:
	 * PH_R_NONE lets the policy decide, a drop reason refuses it (with
	 * text, NUL-terminated in tlen bytes, for the 901006 line).
	 * Called for every such packet: return early on the cheap tests. */
	unsigned (*orphan)(struct ph_engine *eng, void *priv,
			   const struct ph_pkt *p, uint16_t in_if, char *text,
			   size_t tlen);
	/* The policy was swapped. */
	void (*on_policy)(struct ph_engine *eng, void *priv, ph_time_t now);
	/* Periodic work; returns the budget used. */
	unsigned (*tick)(struct ph_engine *eng, void *priv, ph_time_t now,
			 unsigned budget);
};

/* The inspectors, in match order; NULL-terminated. */
extern const struct ph_inspect_ops *const ph_inspectors[];

/* PPTP (`fixup protocol pptp`): inspect_pptp.c. */
extern const struct ph_inspect_ops ph_inspect_pptp;

#endif /* PH_CORE_INSPECT_H */
