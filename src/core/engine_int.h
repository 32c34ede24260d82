/*
 * core/engine_int.h - the engine's internals, shared by its files:
 *
 *   engine.c        ph_engine_process(): parse, find the flow, hand over
 *   engine_batch.c  ph_engine_process_batch(): hash and prefetch ahead
 *   engine_flow.c   a packet with no connection: PIX policy, new conns
 *   engine_conn.c   build / tear down connections and xlates, expiry
 *   engine_acl.c    access-group and conduit checks, hit counts, 106100
 *   engine_ev.c     filling events, counting them, the rate limiter
 *   engine_policy.c ph_engine_set_policy(): reload, clear
 *   engine_limit.c  max_conns / embryonic limits of static and nat lines
 *   show.c          iteration and PIX text for show conn / show xlate
 * and the tables: conn.c (+ conn_tcp.c), xlate.c (+ xlate_alloc.c),
 * fragtab.c, nat.c, route.c.
 *
 * The functions named ph_eng_* are also what inspectors (inspect.h) call
 * to make related flows.
 */
#ifndef PH_CORE_ENGINE_INT_H
#define PH_CORE_ENGINE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/engine.h>
#include <pinhole/event.h>
#include <pinhole/reason.h>

#include "config/model.h"
#include "core/conn.h"
#include "core/fragtab.h"
#include "core/inspect.h"
#include "core/nat.h"
#include "core/pkt.h"
#include "core/xlate.h"

struct ph_ratelimit;
struct ph_acl_index;
struct ph_acllog;

/* Held packets (engine_hold.c): at most one per connection direction. */
#define PH_HOLD_MAX	    256	       /* held at once, all connections */
#define PH_HOLD_BYTES_MAX   (1u << 20) /* bytes held at once */
#define PH_HOLD_TIMEOUT_SEC 3

struct eng_held {
	uint8_t *data; /* copy, already translated */
	size_t len;
	uint64_t token;
	uint32_t conn, conn_id;
	ph_time_t since;
	uint16_t out_if;
	uint16_t reason; /* when released as a drop */
	uint8_t dir;
	uint8_t state;	 /* 0 free, 1 held, 2 queued, 3 handed out */
	uint8_t verdict; /* when released */
	uint8_t rwflags;
	bool modified;
};

/* Connections of one static or nat line (engine_limit.c). */
struct eng_rule_ctr {
	uint32_t conns; /* TCP and UDP connections */
	uint32_t emb;	/* of which TCP still in the handshake */
};

struct ph_engine {
	struct ph_engine_opts opts;
	const struct ph_policy *pol;
	const struct ph_acl_index *acl_ix; /* pol->acl_index or own_ix */
	struct ph_acl_index *own_ix;	   /* built here when the policy has
					    * none */
	struct ph_conntab *conns;
	struct ph_xlatetab *xlates;
	struct ph_natpools *pools;
	struct ph_fragtab *frags;
	struct ph_acllog *acllog;
	struct ph_ratelimit *rl;
	uint64_t rng; /* core/rand.h state */
	uint32_t next_conn_id;
	uint32_t to[PH_TO_MAX];	      /* timeouts of the policy */
	uint64_t *acl_hits;	      /* pol->n_hit_slots */
	uint64_t *conduit_hits;	      /* pol->n_conduits */
	uint64_t *ev_counts;	      /* per catalog row */
	struct eng_rule_ctr *st_ctr;  /* per policy static */
	struct eng_rule_ctr *nat_ctr; /* per policy nat line */
	uint32_t n_st_ctr, n_nat_ctr;
	uint32_t emb_in_use; /* embryonic TCP connections, all rules */
	unsigned tick_next;  /* round-robin start class */
	void *insp_priv[PH_INSPECT_MAX];
	struct eng_held holds[PH_HOLD_MAX];
	uint32_t held_bytes;
	uint32_t n_holding; /* holds in state 1: none, no scan of holds[] */
	uint32_t relq[PH_HOLD_MAX]; /* FIFO of queued hold slots */
	uint32_t relq_head, relq_n;
	uint32_t hold_out; /* slot + 1 handed out by ph_engine_release() */
	struct ph_engine_counters ctr;
	/* engine_batch.c: the current packet's flow key as hashed ahead
	 * (only used when the lookup's key equals it); false outside
	 * ph_engine_process_batch(), which clears it before it returns */
	struct ph_flow_key hint_key;
	uint64_t hint_hash;
	bool hint_ok;
};

/* One packet on its way through the engine. */
struct eng_pkt {
	struct ph_pkt p;
	struct ph_pkt_out *out;
	ph_time_t now;
	ph_ifidx_t in_if;
	unsigned rwflags; /* PH_RW_* for core/rewrite.h */
	uint64_t token;	  /* the caller's, for holding */
};

/* engine.c */
void eng_drop(struct ph_engine *eng, struct eng_pkt *ep, unsigned reason);
void eng_accept(struct ph_engine *eng, struct eng_pkt *ep, ph_ifidx_t out_if);
/** Continue an accepted packet on connection idx, direction dir: TCP
 * state, inspection, rewrite, counters, fragment record. */
void eng_conn_packet(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx,
		     int dir);
/** The lookup key of a (non-error) packet's own tuple. */
void eng_pkt_key(const struct eng_pkt *ep, struct ph_flow_key *k);

/* engine_flow.c */
/** A packet that matched no connection: decide, maybe build one. */
void eng_new_flow(struct ph_engine *eng, struct eng_pkt *ep);
/** Is dst the gateway itself (an interface address, broadcast,
 * multicast)? */
bool eng_to_box(const struct ph_policy *pol, ph_ifidx_t in_if, uint32_t dst);

/* engine_conn.c */
/** The teardown reason when class c times out (SYN/FIN/Conn-timeout). */
unsigned eng_td_of_class(unsigned c);
/** Record an admitted first fragment (conn PH_IDX_NONE: to the box). */
void eng_note_first_frag(struct ph_engine *eng, const struct ph_frag_key *fk,
			 ph_time_t now, uint32_t idx, int dir,
			 ph_ifidx_t out_if, uint16_t min_off);
/** Timeout in seconds of class c under the current policy. */
uint32_t eng_class_timeout(const struct ph_engine *eng, unsigned c);
/** Tear down connection idx: inspector hook, event, xlate reference. */
void ph_eng_conn_destroy(struct ph_engine *eng, uint32_t idx, unsigned td,
			 ph_time_t now);
/** Tear down xlate idx (its connections must be gone): event, pools. */
void eng_xlate_destroy(struct ph_engine *eng, uint32_t idx, ph_time_t now);
/**
 * Make a connection with keys k[0] (orig) and k[1] (reply), class tclass,
 * flags PH_CF_*, translation rule (rule, rule_idx, xlate or PH_IDX_NONE;
 * the xlate gets a reference).  Emits nothing.  Returns 0 and *idx, or
 * the drop reason (PH_R_CONN_LIMIT, PH_R_XLATE_FAIL on a key clash).
 */
unsigned ph_eng_conn_add(struct ph_engine *eng, const struct ph_flow_key k[2],
			 unsigned tclass, uint16_t flags, uint8_t rule,
			 uint32_t rule_idx, uint32_t xl, ph_time_t now,
			 uint32_t *idx);
/** Ask for connection idx to be torn down with reason td once the packet
 * being processed is done (or at once when none is). */
void ph_eng_conn_kill(struct ph_engine *eng, uint32_t idx, unsigned td);
/** Emit the 302013/15/17/20 "Built" event of connection idx. */
void ph_eng_conn_built_event(struct ph_engine *eng, uint32_t idx,
			     ph_time_t now);
/** Would an inspector take a connection with keys k and PH_CF_* flags?
 * (a first fragment must not open an inspected connection; k[1] may be
 * all zero when not known yet) */
bool eng_would_inspect(const struct ph_engine *eng,
		       const struct ph_flow_key k[2], uint16_t flags);
/** Offer a new connection to the inspectors (inspect.h). */
void eng_conn_inspect(struct ph_engine *eng, uint32_t idx, ph_time_t now);
/** Expire up to budget entries (conns, then xlates); returns how many. */
unsigned eng_expire(struct ph_engine *eng, ph_time_t now, unsigned budget);
/**
 * The dynamic xlate for a new connection from local (lif, laddr, lport,
 * proto) to gif under nat rule nat_idx: an existing one, or a new one
 * from the globals of that nat id (ranges first, then PAT).  Returns 0
 * and *xl, or PH_R_XLATE_FAIL with *fail_kind (enum ph_event_xlate).
 */
unsigned eng_xlate_get(struct ph_engine *eng, ph_ifidx_t lif, ph_ifidx_t gif,
		       uint32_t nat_idx, uint32_t laddr, uint16_t lport,
		       uint8_t proto, ph_time_t now, uint32_t *xl,
		       uint8_t *fail_kind);

/* engine_acl.c */
struct ph_acllog *eng_acllog_new(uint64_t seed);
void eng_acllog_free(struct ph_acllog *al);
/** Drop every 106100 flow (policy swap). */
void eng_acllog_reset(struct ph_acllog *al);
/**
 * Apply ACL acl_no to packet ep headed for out_if: count the hit, log
 * 106100 for `log` entries, emit 106023 on a deny without `log`.
 * Returns true when permitted.
 */
bool eng_acl_check(struct ph_engine *eng, struct eng_pkt *ep, int32_t acl_no,
		   ph_ifidx_t out_if);
/** Does a conduit permit ep?  Counts the hit. */
bool eng_conduit_check(struct ph_engine *eng, struct eng_pkt *ep);
/** PIX 6.2 rule for GRE coming back with inspection off (engine_flow.c). */
bool eng_gre_reply_ok(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx);
/** Emit the 106100 interval summaries that are due; bounded. */
unsigned eng_acllog_tick(struct ph_engine *eng, ph_time_t now, unsigned budget);

/* engine_ev.c */
/** Emit ev: count it and hand it to the caller's sink. */
void eng_emit(struct ph_engine *eng, struct ph_event *ev);
/** Interface name for events ("?" out of range). */
const char *eng_ifname(const struct ph_engine *eng, ph_ifidx_t ifidx);
/** A packet event (denies, 305005/6): ep[0] source, ep[1] destination
 * with the given interfaces (PH_IF_NONE: ingress). */
void eng_ev_pkt(struct ph_engine *eng, const struct eng_pkt *ep, uint32_t id,
		ph_ifidx_t if1, struct ph_event *ev);
/** Fill ev (message id) with connection idx's endpoints as 3020xx
 * events have them (ep[0] outside), id, protocol and direction. */
void eng_ev_conn_fill(struct ph_engine *eng, uint32_t idx, uint32_t id,
		      ph_time_t now, struct ph_event *ev);
/** The Built / Teardown event of a connection. */
void eng_ev_conn(struct ph_engine *eng, uint32_t idx, bool built, unsigned td,
		 ph_time_t now);
/** The Built / Teardown event of an xlate. */
void eng_ev_xlate(struct ph_engine *eng, uint32_t idx, bool built,
		  ph_time_t now);
/** Malformed packet (901001), rate-limited per reason. */
void eng_ev_malformed(struct ph_engine *eng, const struct ph_pkt_in *in,
		      unsigned reason, ph_time_t now);
/** Connection table full (901002), rate-limited. */
void eng_ev_table_full(struct ph_engine *eng, const struct eng_pkt *ep,
		       ph_ifidx_t out_if);
/** Index of a message id in the catalog, or -1. */
int eng_ev_row(uint32_t id);
/** Drop ep with reason r (tcp-bad-flags, tcp-window, tcp-bad-rst) and
 * log 901005, rate-limited per reason. */
void eng_deny_tcp(struct ph_engine *eng, struct eng_pkt *ep, unsigned r);
/** Drop ep with reason r and log 901006 with text (NULL: the reason's
 * words), rate-limited per reason. */
void eng_deny_pkt(struct ph_engine *eng, struct eng_pkt *ep, unsigned r,
		  const char *text);
void eng_deny_pkt_as(struct ph_engine *eng, struct eng_pkt *ep, unsigned r,
		     uint32_t id);
/* Why a fragment is refused (901007). */
enum eng_frag_why {
	EF_NO_FIRST = 1, /* later fragment, no admitted first fragment */
	EF_OVERLAP,	 /* starts inside the inspected header */
	EF_CONN_GONE,	 /* its first fragment's connection is gone */
	EF_INSPECTED,	 /* fragment of an inspected (PPTP) connection */
	EF_MAX
};
/** Drop fragment ep (PH_R_FRAG) and log 901007, rate-limited per why. */
void eng_deny_frag(struct ph_engine *eng, struct eng_pkt *ep, unsigned why);

/* engine_limit.c */
/* A new connection's rule, for its limits. */
struct eng_limit_req {
	bool is_static;	 /* statics[idx], else nats[idx] */
	uint32_t idx;	 /* PH_IDX_NONE: no line (only the global limit) */
	uint32_t out_ip; /* the outside host */
	uint16_t out_port;
	uint32_t in_ip; /* the inside host, real */
	uint16_t in_port;
	uint32_t gaddr; /* its global address (real for nat lines) */
};
/* Counter arrays for a policy about to be installed. */
struct eng_limit_arrays {
	struct eng_rule_ctr *st, *nat;
	uint32_t n_st, n_nat;
};
/** May connection ep be built under its line's max_conns / embryonic
 * limit and the global embryonic limit?  If not, drops it (max-conns,
 * embryonic-limit) with 201002/201003/201004/901004 and returns false. */
bool eng_limit_admit(struct ph_engine *eng, struct eng_pkt *ep,
		     const struct eng_limit_req *q, ph_ifidx_t out_if);
/** Count a new connection against its line (TCP, UDP). */
void eng_limit_conn_add(struct ph_engine *eng, const struct ph_conn *c);
/** A TCP connection starts its handshake / leaves it. */
void eng_limit_emb_start(struct ph_engine *eng, const struct ph_conn *c);
void eng_limit_emb_done(struct ph_engine *eng, const struct ph_conn *c);
/** Connection c goes away: uncount it. */
void eng_limit_conn_gone(struct ph_engine *eng, const struct ph_conn *c);
/** Allocate zeroed counters for policy pol.  0 or -ENOMEM. */
int eng_limit_prepare(const struct ph_policy *pol, struct eng_limit_arrays *a);
/** Swap in counters from eng_limit_prepare() (the policy is installed)
 * and count the live connections into them. */
void eng_limit_install(struct ph_engine *eng, struct eng_limit_arrays *a);

/* engine_hold.c */
/** Keep a copy of the (translated) packet ep of connection idx,
 * direction dir.  False when no room (one per direction, PH_HOLD_MAX,
 * PH_HOLD_BYTES_MAX) or no memory. */
bool eng_hold(struct ph_engine *eng, struct eng_pkt *ep, uint32_t idx, int dir);
/** Patch n payload bytes at off of the packet held for (idx, dir) from
 * `from` to `to`, checksum included.  0, or -ENOENT / -EINVAL. */
int ph_eng_held_patch(struct ph_engine *eng, uint32_t idx, int dir, size_t off,
		      const uint8_t *from, const uint8_t *to, size_t n);
/** Hand the packet held for (idx, dir) back to the caller with verdict
 * (enum ph_verdict, ACCEPT or DROP) and reason.  0 or -ENOENT. */
int ph_eng_held_release(struct ph_engine *eng, uint32_t idx, int dir,
			unsigned verdict, unsigned reason);
/** Is a packet held for (idx, dir)? */
bool ph_eng_holding(const struct ph_engine *eng, uint32_t idx, int dir);
/** Drop what connection idx holds (it goes away). */
void eng_hold_conn_gone(struct ph_engine *eng, uint32_t idx);
/** Drop held packets older than PH_HOLD_TIMEOUT_SEC (901003). */
unsigned eng_hold_tick(struct ph_engine *eng, ph_time_t now, unsigned budget);
/** Free the buffer last handed out by ph_engine_release(). */
void eng_hold_reap(struct ph_engine *eng);

/* engine_policy.c */
/** Re-point the connection and xlate tables at a new policy. */
int eng_policy_swap(struct ph_engine *eng, const struct ph_policy *pol,
		    ph_time_t now);

#endif /* PH_CORE_ENGINE_INT_H */
