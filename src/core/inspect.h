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
 *     on_policy() after ph_engine_set_policy().
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
	/* A TCP segment with payload, direction dir (PH_DIR_*). */
	int (*on_tcp_payload)(struct ph_engine *eng, void *priv, uint32_t idx,
			      int dir, struct ph_pkt *p, ph_time_t now,
			      uint16_t *reason);
	/* Connection idx goes away. */
	void (*on_conn_destroy)(struct ph_engine *eng, void *priv, uint32_t idx,
				ph_time_t now);
	/* The policy was swapped. */
	void (*on_policy)(struct ph_engine *eng, void *priv, ph_time_t now);
	/* Periodic work; returns the budget used. */
	unsigned (*tick)(struct ph_engine *eng, void *priv, ph_time_t now,
			 unsigned budget);
};

/* The inspectors, in match order; NULL-terminated. */
extern const struct ph_inspect_ops *const ph_inspectors[];

#endif /* PH_CORE_INSPECT_H */
