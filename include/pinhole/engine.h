/*
 * pinhole/engine.h - the packet engine: one call per packet.
 *
 * The engine owns the connection table, the translation (xlate) table and
 * the inspectors' state.  It reads a compiled policy (pinhole/policy.h) and
 * never does I/O or reads a clock: the caller passes the packet, the
 * interface it arrived on and the current monotonic time, and gets back a
 * verdict, the packet rewritten in place when NAT applies, and the events
 * to log (through the emit callback).
 *
 * The daemon (NFQUEUE), pinhole-replay (pcap), the tests and the fuzzers all
 * drive this same API.
 *
 * Holding: to rewrite a PPTP call-ID field split across two TCP segments,
 * the engine may HOLD a packet: it keeps a copy and the caller must not
 * deliver it yet.  The caller later collects it with ph_engine_release(),
 * rewritten, with its own verdict and token.  Held data per flow is bounded
 * and a held packet that is not completed in time is dropped (fail-closed),
 * counted, when ph_engine_tick() runs.
 */
#ifndef PINHOLE_ENGINE_H
#define PINHOLE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/time.h>

struct ph_engine;
struct ph_policy;
struct ph_event;

enum ph_verdict {
	PH_VERDICT_ACCEPT = 0, /* deliver (possibly rewritten) */
	PH_VERDICT_DROP,       /* drop; `reason` says why */
	PH_VERDICT_HOLD,       /* keep back; see ph_engine_release() */
};

/* Called for every event the engine produces, in order. */
typedef void (*ph_emit_fn)(void *arg, const struct ph_event *ev);

struct ph_engine_opts {
	uint64_t seed[2];     /* keys the hashes and the random allocators */
	uint32_t max_conns;   /* hard limit on connections; 0 = default */
	uint32_t max_xlates;  /* hard limit on translations; 0 = default */
	ph_emit_fn emit;      /* event sink; may be NULL */
	void *emit_arg;
};

/* A packet handed to the engine.  data points at the IPv4 header. */
struct ph_pkt_in {
	uint8_t *data;        /* rewritten in place */
	size_t len;           /* bytes of packet */
	uint16_t ifidx;       /* ingress interface: index in the policy */
	uint64_t token;       /* caller's handle, echoed on release */
};

struct ph_pkt_out {
	uint8_t verdict;      /* enum ph_verdict */
	uint16_t reason;      /* enum ph_reason when dropped */
	uint16_t out_ifidx;   /* egress interface (policy index) if accepted */
	bool modified;        /* data was rewritten */
};

/* A packet the engine had held, now complete. */
struct ph_pkt_released {
	uint64_t token;
	const uint8_t *data;  /* valid until the next engine call */
	size_t len;
	struct ph_pkt_out out;
};

/** Allocate an engine; returns NULL and sets errno on failure. */
struct ph_engine *ph_engine_new(const struct ph_engine_opts *opts);
void ph_engine_free(struct ph_engine *eng);

/**
 * Install a policy.  The engine keeps the pointer until the next call or
 * ph_engine_free(); the caller frees the previous policy after this returns.
 * Live connections survive; translations the new policy no longer allows
 * are torn down with teardown events.  Returns 0 or -errno.
 */
int ph_engine_set_policy(struct ph_engine *eng, const struct ph_policy *pol,
    ph_time_t now);

/** Process one packet.  Returns 0, or -errno on caller error only. */
int ph_engine_process(struct ph_engine *eng, struct ph_pkt_in *pkt,
    ph_time_t now, struct ph_pkt_out *out);

/** Take the next packet released from hold; returns false when none. */
bool ph_engine_release(struct ph_engine *eng, struct ph_pkt_released *rel);

/** Expire idle state in bounded slices; call about once a second. */
void ph_engine_tick(struct ph_engine *eng, ph_time_t now);

#endif /* PINHOLE_ENGINE_H */
