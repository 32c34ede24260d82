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
 *
 * Accounting: every packet given to ph_engine_process() ends in exactly one
 * of ACCEPT, DROP (with a reason) or HOLD, and the counters prove it:
 * pkts_in == pkts_accepted + pkts_dropped + pkts_held, and pkts_dropped is
 * the sum of drops[] over all reasons.
 *
 * The `show` side (conn, xlate, access-list hit counts, counters) is read
 * through cursors, so a control socket can page through a million
 * connections without stopping the packet path for long; the text layout
 * of PIX's `show conn` / `show xlate` comes from ph_show_*().
 *
 * Semantics (PIX 6.3: security levels, NAT order, timeouts, syslog) are
 * documented in docs/engine.md.
 */
#ifndef PINHOLE_ENGINE_H
#define PINHOLE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/reason.h>
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

/* Defaults for the limits below when 0 is given. */
#define PH_ENGINE_DEFAULT_CONNS	      65536
#define PH_ENGINE_DEFAULT_XLATES      65536
#define PH_ENGINE_DEFAULT_FRAGS	      4096
#define PH_ENGINE_DEFAULT_TICK_BUDGET 1024

struct ph_engine_opts {
	uint64_t seed[2];     /* keys the hashes and the random allocators */
	uint32_t max_conns;   /* hard limit on connections; 0 = default */
	uint32_t max_xlates;  /* hard limit on translations; 0 = default */
	ph_emit_fn emit;      /* event sink; may be NULL */
	void *emit_arg;
	uint32_t max_frags;   /* datagrams in the fragment table; 0 = default */
	uint32_t tick_budget; /* expiries per ph_engine_tick(); 0 = default */
	/* embryonic (handshake not complete) TCP connections at once, all
	 * rules; 0 = default: max_conns / 2, so a SYN flood cannot take
	 * the whole table from established connections */
	uint32_t max_embryonic;
};

/* ph_pkt_in.flags */
#define PH_PKT_F_CSUM_PARTIAL 0x01 /* TCP/UDP checksum is CHECKSUM_PARTIAL
				    * (NFQUEUE: NFQA_SKB_CSUMNOTREADY) */

/* A packet handed to the engine.  data points at the IPv4 header. */
struct ph_pkt_in {
	uint8_t *data;        /* rewritten in place */
	size_t len;           /* bytes of packet */
	uint16_t ifidx;       /* ingress interface: index in the policy */
	uint64_t token;       /* caller's handle, echoed on release */
	uint8_t flags;        /* PH_PKT_F_* */
};

struct ph_pkt_out {
	uint8_t verdict;      /* enum ph_verdict */
	uint16_t reason;      /* enum ph_reason when dropped */
	uint16_t out_ifidx;   /* egress interface (policy index) if accepted;
			       * PH_IF_NONE (0xffff): to the gateway itself */
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

/* Packets ph_engine_process_batch() looks ahead of the one it processes. */
#define PH_ENGINE_BATCH_AHEAD 12

/**
 * Process n packets that arrived at time now: exactly as n calls of
 * ph_engine_process(eng, &in[i], now, &out[i]) in order (same verdicts,
 * rewrites, events in the same order, counters), but faster on big
 * tables: it hashes each packet's flow ahead and prefetches the hash
 * bucket and connection entry a few packets before it gets to them, so
 * the cache misses of a table that does not fit in cache overlap instead
 * of adding up.  Packets released from hold meanwhile are queued as
 * usual: call ph_engine_release() until it returns false after the
 * batch.  Returns 0, or -EINVAL when an argument or a packet is invalid
 * (the other packets are still processed).
 */
int ph_engine_process_batch(struct ph_engine *eng, struct ph_pkt_in *in,
    size_t n, ph_time_t now, struct ph_pkt_out *out);

/** Take the next packet released from hold; returns false when none. */
bool ph_engine_release(struct ph_engine *eng, struct ph_pkt_released *rel);

/** Expire idle state in bounded slices; call about once a second.
 * Returns the number of entries expired (at most opts.tick_budget). */
unsigned ph_engine_tick(struct ph_engine *eng, ph_time_t now);

/* --- counters ---------------------------------------------------------- */

struct ph_engine_counters {
	uint64_t pkts_in;         /* packets given to ph_engine_process() */
	uint64_t pkts_accepted;   /* verdict ACCEPT (all kinds below) */
	uint64_t pkts_dropped;    /* verdict DROP == sum of drops[] */
	uint64_t pkts_held;       /* verdict HOLD */
	uint64_t pkts_rewritten;  /* accepted and translated */
	uint64_t pkts_to_box;     /* accepted for the gateway itself */
	uint64_t pkts_released;   /* held packets handed back */
	uint64_t pkts_release_dropped; /* ... of which with verdict DROP */
	uint64_t bytes_in;
	uint64_t drops[PH_R_MAX]; /* per drop reason */
	uint64_t conns_built, conns_torn_down;
	uint64_t xlates_built, xlates_torn_down;
	uint64_t events;          /* events emitted */
	uint64_t frags_full;      /* first fragments refused: table full */
	uint32_t conns_in_use, conns_most_used, conns_max;
	uint32_t xlates_in_use, xlates_most_used, xlates_max; /* dynamic */
	uint32_t statics;         /* static translations in the policy */
	uint32_t frags_in_use;
	uint64_t gre_call_pkts;   /* GRE packets accepted on PPTP call flows */
	uint64_t gre_call_rewritten; /* ... of which translated */
	uint32_t emb_in_use, emb_max; /* embryonic TCP connections, limit */
};

/** Snapshot of the engine's counters. */
void ph_engine_counters(const struct ph_engine *eng,
    struct ph_engine_counters *c);

/** Number of events of PIX message id `id` emitted (0 if unknown). */
uint64_t ph_engine_event_count(const struct ph_engine *eng, uint32_t id);

/** Bytes of engine memory one connection costs at most (entry and hash
 * buckets; its xlate, if it has its own, is extra). */
size_t ph_engine_conn_mem(void);

/* --- show conn --------------------------------------------------------- */

/* One connection as `show conn` prints it.  "Outside" is the
 * lower-security side, "inside" the higher. */
struct ph_conn_info {
	uint32_t id;
	uint8_t proto;
	bool inbound;             /* opened from the outside */
	const char *out_if;       /* lower-security interface name */
	const char *in_if;        /* higher-security interface name */
	uint32_t faddr;           /* foreign host as seen outside */
	uint16_t fport;
	uint32_t laddr;           /* local host, real */
	uint16_t lport;
	uint32_t gaddr;           /* local host, mapped (global) */
	uint16_t gport;
	uint64_t idle_sec, uptime_sec;
	uint32_t timeout_sec;     /* idle timeout of its current class */
	const char *tclass;       /* "tcp", "tcp-embryonic", "udp", ... */
	uint64_t bytes;           /* both directions */
	uint64_t bytes_out, bytes_in; /* from the inside / outside host */
	uint64_t pkts_out, pkts_in;
	char flags[16];           /* PIX flags: "UIO", "saA", "-" */
};

/**
 * Iterate connections: start with *cursor = 0; each call fills *ci with
 * the next live connection and returns true, or returns false at the end.
 * The table may change between calls (entries are then skipped or seen
 * once more, never read freed).  Strings point into the policy.
 */
bool ph_engine_conn_next(const struct ph_engine *eng, uint64_t *cursor,
    ph_time_t now, struct ph_conn_info *ci);

/* --- show xlate -------------------------------------------------------- */

enum ph_xlate_info_kind {
	PH_XI_STATIC = 0,     /* static (address or network) */
	PH_XI_STATIC_PAT,     /* static tcp/udp (port redirection) */
	PH_XI_DYNAMIC,        /* nat/global range */
	PH_XI_PAT,            /* nat/global single address or interface */
};

struct ph_xlate_info {
	uint8_t kind;             /* enum ph_xlate_info_kind */
	uint8_t proto;            /* PAT: protocol */
	const char *local_if, *global_if;
	uint32_t laddr, gaddr, mask;
	uint16_t lport, gport;
	uint32_t nconns;          /* connections using it (dynamic) */
	uint64_t idle_sec;        /* dynamic, unused: idle time; else 0 */
	uint64_t uptime_sec;      /* dynamic: since built */
};

/** Iterate translations: statics of the policy first, then dynamic
 * ones; same cursor rules as ph_engine_conn_next(). */
bool ph_engine_xlate_next(const struct ph_engine *eng, uint64_t *cursor,
    ph_time_t now, struct ph_xlate_info *xi);

/* --- show access-list -------------------------------------------------- */

/** Hit count of ACE slot `slot`: an ACE as written, numbered across all
 * ACLs (policy aces[].ace_idx; ACL i's are acls[i].hit_base onwards). */
uint64_t ph_engine_acl_hits(const struct ph_engine *eng, uint32_t slot);
/** Hit count of conduit number `idx` as written (conduits[].ace_idx). */
uint64_t ph_engine_conduit_hits(const struct ph_engine *eng, uint32_t idx);
/**
 * `clear access-list [NAME] counters`: zero the hit counts of ACL number
 * `acl` (policy acls[]), or of every ACL and conduit when acl < 0.
 * Returns 0, or -ENOENT when there is no such ACL.
 */
int ph_engine_acl_hits_clear(struct ph_engine *eng, int acl);

/* --- clear ------------------------------------------------------------- */

/** `clear xlate`: remove every dynamic xlate and the connections using
 * them ("Xlate Clear").  Returns the number of xlates removed. */
unsigned ph_engine_clear_xlate(struct ph_engine *eng, ph_time_t now);
/** `clear conn`: remove every connection.  Returns how many. */
unsigned ph_engine_clear_conn(struct ph_engine *eng, ph_time_t now);

/* --- PPTP inspection: show service-policy inspect pptp, debug pptp ----- */

/*
 * Engine-wide PPTP inspection counters, since ph_engine_new(): control
 * connections that are gone are added in when they go, live ones are read
 * at the call.  Cumulative unless marked "now".  docs/pptp.md "Visibility"
 * explains each one; ph_show_service_policy_pptp() prints them all.
 */
struct ph_pptp_counters {
	/* the PIX/ASA `Inspect: pptp, packet N, drop N, reset-drop N` line */
	uint64_t packets;         /* control segments with payload inspected */
	uint64_t drops;           /* ... dropped by inspection (PPTP reasons) */
	uint64_t reset_drops;     /* ... dropped and the control connection
				   * torn down (inspection failed) */
	/* control connections (TCP to a PPTP inspection port) */
	uint64_t ctl_total;       /* inspected */
	uint32_t ctl_active;      /* now */
	uint64_t ctl_version;     /* version not 1.0: inspection stopped */
	uint64_t ctl_failed;      /* inspection failed: torn down */
	/* calls */
	uint32_t calls_active;    /* now: call slots in use */
	uint64_t calls_total;     /* created (OCRQ / ICRQ accepted) */
	uint64_t calls_up;        /* reached "up": GRE allowed */
	uint64_t calls_refused;   /* call_limit + callid_exhausted */
	uint64_t call_limit;      /* refused: calls per control connection */
	uint64_t callid_exhausted; /* refused: no translated call ID free */
	uint64_t calls_no_gre;    /* up, but no GRE flow could be made */
	/* messages */
	uint64_t msgs_inside;     /* complete messages from the inside host */
	uint64_t msgs_outside;    /* ... from the outside host */
	uint64_t malformed;       /* segments dropped: pptp-malformed */
	uint64_t state_errors;    /* segments dropped: pptp-state */
	uint64_t unknown_call;    /* CCRQ/CDN/WEN/SLI for no call: passed */
	uint64_t late;            /* call messages after StopCCRQ: passed */
	uint64_t callid_rewrites; /* call-ID fields translated */
	/* segments */
	uint64_t retransmits;     /* retransmissions rewritten from the log */
	uint64_t bad_retransmits; /* dropped: pptp-bad-retransmit */
	uint64_t ooo;             /* dropped: pptp-out-of-order */
	uint64_t holds;           /* held: a call-ID field split in two */
	uint64_t held_released;   /* held packets released, patched */
	uint64_t held_dropped;    /* held packets released as drops
				   * (superseded, timed out, conn gone) */
	uint64_t hold_given_up;   /* held segments the inspector forgot
				   * (superseded by a retransmission, or
				   * dropped by the engine) */
	uint64_t hold_timeouts;   /* held too long: 901003 */
	uint64_t hold_limit;      /* dropped: pptp-hold-limit */
	/* GRE of the calls */
	uint64_t gre_pkts;        /* accepted on PPTP call flows */
	uint64_t gre_translated;  /* ... of which rewritten */
	uint64_t gre_no_call;     /* dropped: gre-no-call */
	uint64_t gre_wrong_src;   /* dropped: gre-wrong-source */
	/* engine drops per reason; only the pptp-* and gre-* ones are set */
	uint64_t drop_reason[PH_R_MAX];
};

/** Snapshot of the engine-wide PPTP counters (cost: one pass over the
 * live control connections). */
void ph_engine_pptp_counters(const struct ph_engine *eng,
    struct ph_pptp_counters *c);

/**
 * `clear service-policy`: from now on ph_engine_pptp_counters() counts
 * from zero (the gauges ctl_active and calls_active are kept).  The
 * engine's own counters (ph_engine_counters()) are not touched.
 */
void ph_engine_pptp_counters_clear(struct ph_engine *eng);

/*
 * `debug pptp`: one call per debug line, `line` NUL-terminated without a
 * newline, valid during the call only.  The sink runs inside
 * ph_engine_process() (or ph_engine_tick()) and must not call back into
 * the engine.
 */
typedef void (*ph_debug_fn)(void *arg, const char *line);

/**
 * Turn the PPTP message decoder on (fn != NULL) or off (fn == NULL; the
 * default).  While on, every complete control message is decoded as PIX
 * `debug pptp` lines prefixed with "Tnl <conn id> PPTP: " (conn id as in
 * the 302013 "Built" message): a first line with the direction and the
 * endpoints, the first 22 bytes in hex, the message name, one line per
 * field, translated call IDs shown "as received -> as forwarded"; and a
 * line for each segment held, released, dropped, or where inspection
 * stopped.  Off costs one test per complete message.  Format and example:
 * docs/pptp.md "Visibility".
 */
void ph_engine_set_pptp_debug(struct ph_engine *eng, ph_debug_fn fn,
    void *arg);

/* Enough for ph_show_service_policy_pptp() with a few policy-maps. */
#define PH_SHOW_PPTP_LEN 4096

/**
 * `show service-policy inspect pptp`: the ASA block per applied
 * service-policy and class that inspects pptp,
 *	Global policy:
 *	  Service-policy: global_policy
 *	    Class-map: inspection_default
 *	      Inspect: pptp, packet 1234, drop 0, reset-drop 0
 * ("Service-policy: (fixup)" / "Class-map: fixup protocol pptp 1723" for
 * the PIX 6 `fixup` form), then pinhole's lines (all counters of c).
 * Counters are engine-wide, not per class.  pol may be NULL.  Lines end in
 * '\n'.  Returns as snprintf: the length the whole text needs.
 */
int ph_show_service_policy_pptp(const struct ph_policy *pol,
    const struct ph_pptp_counters *c, char *buf, size_t len);

/* --- PIX text layouts (src/core/show.c) -------------------------------- */

/** "N in use, M most used".  Returns as snprintf. */
int ph_show_count_line(uint32_t in_use, uint32_t most_used, char *buf,
    size_t len);
/** PIX 6 `show conn` line: "TCP out 192.168.10.11:80 in 10.0.0.11:2824
 * idle 0:00:03 Bytes 2664 flags UIO"; detail adds interfaces, mapped
 * address, uptime and timeout.  Returns as snprintf. */
int ph_show_conn_line(const struct ph_conn_info *ci, bool detail, char *buf,
    size_t len);
/** PIX `show xlate` line: "Global 200.200.200.10 Local 172.16.7.80",
 * "PAT Global 192.168.0.2(1024) Local 10.0.0.12(1297)"; detail gives
 * "TCP PAT from inside:10.0.0.12/1297 to outside:192.168.0.2/1024 flags
 * ri".  Returns as snprintf. */
int ph_show_xlate_line(const struct ph_xlate_info *xi, bool detail,
    char *buf, size_t len);

#endif /* PINHOLE_ENGINE_H */
