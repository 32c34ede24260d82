/*
 * replay/replay.h - pinhole-replay's parts: captures in, captures out, run.
 *
 * pinhole-replay runs recorded traffic through the engine:
 *
 *	capture.c  opens the input captures (pcap or pcapng, one or more per
 *	           gateway interface), strips their link layer down to IPv4
 *	           through the bounds-checked cursor, and merges them by
 *	           timestamp with a small heap;
 *	output.c   writes what leaves each interface to that interface's
 *	           output capture, framed like its input;
 *	run.c      drives the engine with the capture clock (ticks, drain),
 *	           formats events as syslog lines, counts every packet;
 *	main.c     options, the rule file, interface names, exit codes.
 *
 * See docs/replay.md for the behaviour and the reasons behind it.
 */
#ifndef PH_REPLAY_H
#define PH_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pinhole/reason.h>
#include <pinhole/time.h>

#include "config/model.h"

struct ph_policy;

#define RP_INPUTS_MAX 64  /* input capture files */
#define RP_L2_MAX     64  /* link header bytes kept per packet */
#define RP_ERR_LEN    512 /* error message buffers */

/* Exit codes (documented in --help and docs/replay.md). */
enum rp_exit {
	RP_EXIT_OK = 0,
	RP_EXIT_RULES = 1,    /* the rule file does not load */
	RP_EXIT_USAGE = 2,    /* bad option or interface name */
	RP_EXIT_IO = 3,	      /* a capture cannot be read or written */
	RP_EXIT_INTERNAL = 4, /* engine error or counters that do not add up */
};

/* Why a frame was not given to the engine.  X(sym, name). */
#define RP_SKIPS(X)               \
	X(NON_IPV4, "non-ipv4")   \
	X(TRUNCATED, "truncated") \
	X(SHORT_LINK, "short-link-header")

enum rp_skip {
	RP_SKIP_NONE = 0,
#define RP_SKIP_ENUM(sym, name) RP_SKIP_##sym,
	RP_SKIPS(RP_SKIP_ENUM)
#undef RP_SKIP_ENUM
		RP_SKIP_MAX
};

/** Stable name of a skip cause ("non-ipv4"). */
const char *rp_skip_name(unsigned s);

/* The link header a packet arrived with, kept to frame it on the way out. */
struct rp_l2 {
	int dlt;     /* DLT_* of the capture it came from */
	uint8_t len; /* bytes in hdr */
	uint8_t hdr[RP_L2_MAX];
};

/* One frame of the merged input, in timestamp order. */
struct rp_frame {
	ph_time_t ts;	  /* capture time, ns since the epoch */
	uint16_t ifidx;	  /* policy interface it arrived on */
	unsigned input;	  /* index of its input file */
	uint64_t frameno; /* 1-based position in that file */
	uint8_t *ip;	  /* IPv4 packet (writable), NULL when skipped */
	size_t ip_len;
	uint8_t skip; /* enum rp_skip */
	struct rp_l2 l2;
};

/* --- capture.c: inputs -------------------------------------------------- */

struct rp_inputs;

/** An empty set of inputs; NULL on ENOMEM. */
struct rp_inputs *rp_inputs_new(void);
/** Close every input and free the set; NULL is a no-op. */
void rp_inputs_free(struct rp_inputs *in);

/**
 * Open a capture file ("-" = standard input) as arriving on policy
 * interface ifidx and read its first frame.  Returns 0, or -1 with a
 * message in err (unreadable file, unsupported link type, too many).
 */
int rp_inputs_add(struct rp_inputs *in, const char *path, uint16_t ifidx,
		  char *err, size_t errlen);

/**
 * The next frame in timestamp order (ties: command-line order, then file
 * order).  Pointers in *f stay valid until the next call.  Returns 1 with
 * a frame, 0 at the end of every input, -1 on a read error (err set).
 */
int rp_inputs_next(struct rp_inputs *in, struct rp_frame *f, char *err,
		   size_t errlen);

/** Time of the frame rp_inputs_next() would return; false at the end. */
bool rp_inputs_peek(const struct rp_inputs *in, ph_time_t *ts);

/**
 * The link header (and so the link type) of the first frame of the first
 * input on ifidx, and whether that input has nanosecond timestamps.
 * Returns NULL when no input arrives on that interface.
 */
const struct rp_l2 *rp_inputs_iface(const struct rp_inputs *in, uint16_t ifidx,
				    bool *nano);

/** Number of inputs arriving on interface ifidx. */
unsigned rp_inputs_count(const struct rp_inputs *in, uint16_t ifidx);

/** True when any input has nanosecond timestamps. */
bool rp_inputs_any_nano(const struct rp_inputs *in);

/** Path of input i, for messages. */
const char *rp_inputs_path(const struct rp_inputs *in, unsigned i);

/** Short name of a link type ("EN10MB"); "?" when unknown. */
const char *rp_dlt_name(int dlt);

/* --- output.c: outputs --------------------------------------------------- */

struct rp_outputs;

struct rp_outputs *rp_outputs_new(void);

/**
 * Create the output capture of interface ifidx, with nanosecond or
 * microsecond timestamps.  tmpl is the link header of the first frame
 * recorded on that interface (rp_inputs_iface()): it gives the link type
 * and the addresses, tags and ifindex of synthesised headers.  NULL (no
 * input there): raw IPv4.  Returns 0 or -1 with err set.
 */
int rp_outputs_add(struct rp_outputs *out, uint16_t ifidx, const char *path,
		   const struct rp_l2 *tmpl, bool nano, char *err,
		   size_t errlen);

/** True when interface ifidx has an output capture. */
bool rp_outputs_has(const struct rp_outputs *out, uint16_t ifidx);

/**
 * Write the IPv4 packet ip[0..len) leaving interface ifidx at time ts,
 * framed for that capture from the link header it arrived with.  Returns
 * 1 when written, 0 when ifidx has no output, -1 on error (err set).
 */
int rp_outputs_write(struct rp_outputs *out, uint16_t ifidx,
		     const struct rp_l2 *l2, const uint8_t *ip, size_t len,
		     ph_time_t ts, char *err, size_t errlen);

/** Flush and close every output; returns 0 or -1 (err set) if a write
 * failed.  Frees the set. */
int rp_outputs_close(struct rp_outputs *out, char *err, size_t errlen);

/* --- run.c: the engine over the merged input ----------------------------- */

struct rp_run_opts {
	uint64_t seed[2];   /* engine seed */
	uint64_t drain_sec; /* advance the clock this long after the end */
	int level;	    /* print events of severity <= level; -1 none */
	bool timestamps;    /* prefix lines with the capture time */
	FILE *log;	    /* syslog lines (stdout) */
	FILE *trace;	    /* per-packet fates, or NULL */
};

struct rp_stats {
	uint64_t frames[PH_IF_MAX];		  /* frames read, per if */
	uint64_t skipped[PH_IF_MAX][RP_SKIP_MAX]; /* per if, per cause */
	uint64_t ipv4[PH_IF_MAX];		  /* given to the engine */
	uint64_t out[PH_IF_MAX];		  /* accepted, per egress */
	uint64_t written[PH_IF_MAX];		  /* written to a capture */
	uint64_t accepted, rewritten;
	uint64_t to_gateway;	    /* accepted for the box */
	uint64_t dropped[PH_R_MAX]; /* per enum ph_reason */
	uint64_t dropped_total;
	uint64_t held, released, held_at_end;
	uint64_t reordered; /* older than the clock */
	uint64_t events, printed;
	uint64_t ticks;
	uint64_t internal; /* engine contract errors */
};

/**
 * Run every input frame through a new engine loaded with pol, write what
 * leaves to out, print events to o->log.  Returns RP_EXIT_OK, or an exit
 * code with a message in err.
 */
int rp_run(const struct ph_policy *pol, struct rp_inputs *in,
	   struct rp_outputs *out, const struct rp_run_opts *o,
	   struct rp_stats *st, char *err, size_t errlen);

/**
 * Print the counters (per interface, per drop reason) and check that they
 * add up.  Returns false when they do not.
 */
bool rp_stats_print(FILE *f, const struct ph_policy *pol,
		    const struct rp_stats *st, int level);

#endif /* PH_REPLAY_H */
