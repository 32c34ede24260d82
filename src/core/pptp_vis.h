/*
 * core/pptp_vis.h - PPTP inspection visibility: the engine-wide counters
 * behind `show service-policy inspect pptp` and the `debug pptp` decoder
 * (engine.h; docs/pptp.md "Visibility").
 *
 * The glue (inspect_pptp.c) embeds one struct ph_pptp_vis in its
 * per-engine state and calls in here at four points: each segment's result
 * (ph_pptp_vis_result), each complete message (ph_pptp_vis_msg, only while
 * debug is on), and a control connection going away (ph_pptp_vis_retire,
 * which adds its stream's counters to the engine-wide totals).  The
 * public functions (pptp_show.c) find the state through ph_pptp_vis_of(),
 * which also walks the live control connections.
 */
#ifndef PH_CORE_PPTP_VIS_H
#define PH_CORE_PPTP_VIS_H

#include <stddef.h>
#include <stdint.h>

#include <pinhole/engine.h>

#include "core/pptp_stream.h"

struct ph_pkt;

struct ph_pptp_vis {
	ph_debug_fn dbg; /* NULL: debug off */
	void *dbg_arg;
	uint64_t pkts;		   /* segments with payload fed */
	uint64_t gone;		   /* control connections gone */
	uint64_t gone_version;	   /* ... whose version stopped inspection */
	uint64_t gone_failed;	   /* ... whose inspection failed */
	struct ph_pptp_stats dead; /* their streams' counters, added up */
	uint64_t gre_fail;	   /* filled by ph_pptp_vis_of() */
	/* `clear service-policy`: the counters at the time of the clear */
	struct ph_pptp_counters base;
};

/** A segment of control connection idx from dir (PH_PPTP_DIR_*) was fed;
 * count it and, with debug on, say what happened to it. */
void ph_pptp_vis_result(struct ph_pptp_vis *v, const struct ph_engine *eng,
			uint32_t idx, int dir, const struct ph_pkt *p,
			const struct ph_pptp_stream *s,
			const struct ph_pptp_result *res);

/** The stream's msg op, with debug on: decode one message (its bytes as
 * received) into debug lines. */
void ph_pptp_vis_msg(struct ph_pptp_vis *v, const struct ph_engine *eng,
		     uint32_t idx, const struct ph_pptp_stream *s, int dir,
		     const uint8_t *msg, size_t len);

/** Control connection of stream s goes away: keep its counters. */
void ph_pptp_vis_retire(struct ph_pptp_vis *v, const struct ph_pptp_stream *s);

/* Called for each live control connection's stream. */
typedef void (*ph_pptp_vis_walk_fn)(void *arg, const struct ph_pptp_stream *s);

/**
 * The engine's PPTP visibility state (NULL when the PPTP inspector is not
 * in the engine), after calling fn (may be NULL) for each live stream.
 * Implemented in inspect_pptp.c, which owns the streams.
 */
struct ph_pptp_vis *ph_pptp_vis_of(const struct ph_engine *eng,
				   ph_pptp_vis_walk_fn fn, void *arg);

#endif /* PH_CORE_PPTP_VIS_H */
