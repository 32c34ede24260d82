/*
 * core/conn.h - the connection table: one entry per flow, found from
 * either direction.
 *
 * Each connection carries two flow keys:
 *   k[PH_DIR_ORIG]  the first packet's tuple as it arrived (ingress side,
 *                   before translation), with the ingress interface;
 *   k[PH_DIR_REPLY] the tuple a reply carries as it arrives on the egress
 *                   side (after translation), with the egress interface.
 * Both keys live in ONE hash table keyed with a random seed (SipHash), so
 * a packet from either side is found with one lookup, and its direction
 * falls out of which key matched.  The translation needs no other state:
 * a packet matching k[d] is rewritten to the reverse of k[!d] (source :=
 * k[!d].dst, destination := k[!d].src, ports likewise), as in conntrack.
 *
 * ICMP queries store their identifier in both port fields (so the same
 * rule rewrites it).  GRE stores the call ID that packets of the direction
 * carry in dport and the other side's call ID in sport; sport is not part
 * of the lookup for GRE (the packet has only one key field).  Generic GRE
 * (no inspector) uses 0/0: one flow per address pair.
 *
 * Storage: a pool of max_conns entries allocated once (page aligned,
 * transparent huge pages from 2 MB: at a million connections a random
 * entry is otherwise a TLB miss as well), with a free list; entries are
 * linked by 32-bit indexes (hash chains and LRU lists), so an entry costs
 * sizeof(struct ph_conn) plus 12 to 24 bytes of buckets (at least 3 per
 * entry).  Pages of the pool are only touched when first used.
 *
 * Expiry lists are lazy (after pf's and VPP's idea of not reordering on
 * every packet): a packet only records its time in `last`;
 * ph_conn_touch_lazy() moves the entry to the tail of its class list only
 * when it was linked there at least 1/16 of the class timeout ago (at
 * least ~1 s).  The list stays in order of link time `lnk`, and lnk <=
 * last, so the expiry scan (ph_conn_expired_from) walks from the head
 * while an entry's link time is a timeout old, returns the expired ones
 * and steps over the few that were active since they were linked; the
 * first entry linked less than a timeout ago ends the scan, since
 * nothing behind it can have expired.  Expiry stays exact (to the
 * nanosecond) while the scan allowance suffices; a packet no longer
 * touches its list neighbours, which at a million connections were two
 * cache misses per packet.
 *
 * Batches (ph_engine_process_batch): ph_conn_hash() once per packet, then
 * ph_conn_prefetch() stages (bucket, entry, next in chain) for a group of
 * packets before any is processed, and ph_conn_lookup_hashed() reuses the
 * hash.
 *
 * Known limits: IPv4 only; at most 2^30 entries; packet counters are 32
 * bits per direction and wrap.
 */
#ifndef PH_CORE_CONN_H
#define PH_CORE_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/time.h>

#include "core/hash.h"
#include "core/timer.h"

#define PH_DIR_ORIG  0
#define PH_DIR_REPLY 1

#define PH_CONN_MAX_LIMIT (1u << 30)

/* One direction's tuple, host order.  16 bytes, hashed as two words. */
struct ph_flow_key {
	uint32_t src, dst;
	uint16_t sport, dport; /* ports; ICMP id twice; GRE call IDs */
	uint8_t proto;
	uint8_t pad;	/* always 0 */
	uint16_t ifidx; /* interface this direction's packets enter */
};

/* Timeout classes: each has one LRU list and one policy timeout. */
#define PH_TCLASSES(X)                                       \
	X(EMBRYONIC, PH_TO_EMBRYONIC, "tcp-embryonic")       \
	X(TCP, PH_TO_CONN, "tcp")                            \
	X(HALF_CLOSED, PH_TO_HALF_CLOSED, "tcp-half-closed") \
	X(UDP, PH_TO_UDP, "udp")                             \
	X(ICMP, PH_TO_ICMP, "icmp")                          \
	X(GRE, PH_TO_GRE, "gre")                             \
	X(OTHER, PH_TO_CONN, "other")

enum ph_tclass {
#define PH_TCLASS_ENUM(id, to, name) PH_TC_##id,
	PH_TCLASSES(PH_TCLASS_ENUM)
#undef PH_TCLASS_ENUM
		PH_TC_MAX
};

/* TCP states (conn_tcp.c). */
enum ph_tcp_state {
	PH_TCPS_NONE = 0,    /* not TCP */
	PH_TCPS_SYN_SENT,    /* originator's SYN seen */
	PH_TCPS_SYN_RCVD,    /* responder's SYN-ACK seen */
	PH_TCPS_ESTABLISHED, /* originator ACKed the SYN-ACK */
	PH_TCPS_CLOSING,     /* FIN seen in at least one direction */
	PH_TCPS_CLOSED,	     /* both FINs ACKed, or RST: remove now */
};

/* Connection flags (ph_conn.flags). */
#define PH_CF_INBOUND 0x0001 /* originated on the lower-security side */
#define PH_CF_DATA_O  0x0002 /* payload seen from the inside host */
#define PH_CF_DATA_I  0x0004 /* payload seen from the outside host */
#define PH_CF_FIN0    0x0008 /* FIN seen from k[ORIG] side */
#define PH_CF_FIN1    0x0010 /* FIN seen from k[REPLY] side */
#define PH_CF_FINACK0 0x0020 /* FIN of ORIG side acknowledged */
#define PH_CF_FINACK1 0x0040 /* FIN of REPLY side acknowledged */
#define PH_CF_ANYKEY  0x0080 /* GRE: matches any key of its addresses */
#define PH_CF_KILL    0x0100 /* tear down after the current packet */

/*
 * TCP sequence tracking of one side (conn_tcp.c), after pf's
 * pf_tcp_track_full() (G. van Rooij, "Real Stateful TCP Packet Filtering
 * in IP Filter"): the segments this side may send lie in [seqlo - the
 * other side's largest window, seqhi].
 */
#define PH_TCP_WS_SHIFT 0x0f /* window shift from the SYN's option, 0..14 */
#define PH_TCP_WS_OPT	0x40 /* the SYN carried a window-scale option */
#define PH_TCP_SEEN	0x80 /* this side has sent a segment */

struct ph_tcp_peer {
	uint32_t seqlo;	  /* end of the highest segment sent (SYN/FIN count) */
	uint32_t seqhi;	  /* highest end the other side's window allows */
	uint16_t max_win; /* largest window advertised, in scaled units */
	uint8_t wscale;	  /* PH_TCP_WS_* | PH_TCP_SEEN */
	uint8_t pad;
};

/* How the higher-security host of a connection is translated. */
enum ph_conn_rule {
	PH_RULE_NONE = 0, /* no translation rule (to-the-box, tests) */
	PH_RULE_XLATE,	  /* a dynamic xlate object: ph_conn.xl */
	PH_RULE_STATIC,	  /* policy->statics[rule_idx] */
	PH_RULE_EXEMPT,	  /* nat 0 access-list on nats[rule_idx] */
	PH_RULE_IDENTITY, /* nat 0 ADDR MASK on nats[rule_idx] */
};

/*
 * Layout: the fields every packet of an established flow reads or writes
 * (keys, chain links, last activity, state, flags) come first, so that
 * with the pool aligned to 64 bytes they share as few cache lines as
 * possible; counters and TCP windows follow; what only building,
 * teardown and `show` read comes last.  144 bytes.
 */
struct ph_conn {
	struct ph_flow_key k[2];   /* ORIG, REPLY */
	uint32_t hnext[2];	   /* hash chain: next node ref, 0 = end */
	ph_time_t last;		   /* last packet */
	uint16_t flags;		   /* PH_CF_* */
	uint8_t state;		   /* enum ph_tcp_state */
	uint8_t tclass;		   /* enum ph_tclass */
	uint8_t rule;		   /* enum ph_conn_rule */
	uint8_t insp_id;	   /* inspector number + 1, 0 = none */
	uint16_t icmp_seq;	   /* ICMP: first sequence (302020/302021) */
	uint32_t lnk;		   /* when put on its list, PH_CONN_LNK units */
	uint32_t xl;		   /* xlate index or PH_IDX_NONE */
	struct ph_tcp_peer tcp[2]; /* TCP: per direction (ORIG, REPLY) */
	uint32_t pkts[2];	   /* per direction (ORIG, REPLY); wraps */
	uint64_t bytes[2];
	struct ph_lru_link lru; /* timeout class list */
	uint32_t id;		/* PIX connection number */
	uint32_t rule_idx;	/* static/nat index (see rule) */
	ph_time_t start;	/* built */
	uint32_t insp;		/* inspector's state handle */
};

/*
 * Lazy LRU (see ph_conn_touch_lazy): lnk counts units of 2^30 ns (about
 * 1.07 s); a class list is in order of lnk.
 */
#define PH_CONN_LNK_SHIFT 30

struct ph_conntab {
	struct ph_conn *pool;
	uint32_t max;	    /* capacity (the hard limit) */
	uint32_t used;	    /* entries in use */
	uint32_t most_used; /* high water of used */
	uint32_t fresh;	    /* pool[fresh..max) never used yet */
	uint32_t free_head; /* free list through hnext[0] */
	uint32_t *buckets;  /* node ref + 1 ((idx << 1 | dir) + 1) */
	uint32_t mask;	    /* buckets - 1 */
	struct ph_hash_key key;
	struct ph_lru lru[PH_TC_MAX];
};

/** Create a table of at most max entries; NULL on ENOMEM/EINVAL. */
struct ph_conntab *ph_conntab_new(uint32_t max, const struct ph_hash_key *k);
void ph_conntab_free(struct ph_conntab *t);

/** Name of a timeout class ("tcp-embryonic"). */
const char *ph_tclass_name(unsigned c);
/** Policy timeout index (PH_TO_*) of a class. */
unsigned ph_tclass_timeout(unsigned c);

/**
 * Take a free entry (zeroed, links cleared).  Returns its index, or
 * PH_IDX_NONE when the table is at its limit.  The entry is not hashed
 * and not on a list until ph_conn_insert().
 */
uint32_t ph_conn_alloc(struct ph_conntab *t);

/**
 * Hash both keys of entry idx and put it on list `tclass` as most recent.
 * Returns 0, or -EEXIST (nothing changed) when either key is already in
 * the table.
 */
int ph_conn_insert(struct ph_conntab *t, uint32_t idx, unsigned tclass,
		   ph_time_t now);

/** Give back an entry from ph_conn_alloc() that was never inserted. */
void ph_conn_release(struct ph_conntab *t, uint32_t idx);

/** Unhash, unlist and free an inserted entry. */
void ph_conn_remove(struct ph_conntab *t, uint32_t idx);

/**
 * Find the entry one of whose keys equals k (GRE: ignoring sport).
 * Returns its index and sets *dir to the key that matched, or
 * PH_IDX_NONE.
 */
uint32_t ph_conn_lookup(const struct ph_conntab *t, const struct ph_flow_key *k,
			int *dir);

/** Record activity: last := now, move to the tail of its list. */
void ph_conn_touch(struct ph_conntab *t, uint32_t idx, ph_time_t now);

/**
 * Record activity of a packet: last := now; move to the tail of its list
 * only when it was linked there timeout_sec / 16 (at least ~1 s) or more
 * ago (see the top of this file).  timeout_sec is the class's (0 = never).
 */
void ph_conn_touch_lazy(struct ph_conntab *t, uint32_t idx, ph_time_t now,
			uint32_t timeout_sec);

/** The table's keyed hash of k (GRE: sport ignored), for the calls below. */
uint64_t ph_conn_hash(const struct ph_conntab *t, const struct ph_flow_key *k);

/** ph_conn_lookup() with h = ph_conn_hash(t, k) already computed. */
uint32_t ph_conn_lookup_hashed(const struct ph_conntab *t,
			       const struct ph_flow_key *k, uint64_t h,
			       int *dir);

/**
 * Prefetch what a lookup of k (hash h) will read: stage 0 its bucket,
 * stage 1 the first entry of the chain (all its cache lines), stage 2 the
 * second entry when the first does not match.  Each stage reads what the
 * one before fetched, so a batch runs stage 0 for all its packets, then
 * stage 1, ...  A hint only: no effect on results.  Stage 2 returns the
 * first entry when it is k's, else PH_IDX_NONE.
 */
uint32_t ph_conn_prefetch(const struct ph_conntab *t,
			  const struct ph_flow_key *k, uint64_t h,
			  unsigned stage);

/**
 * If a packet at now would relink entry idx (ph_conn_touch_lazy() with
 * the class timeout timeout_sec), prefetch its list neighbours.
 */
void ph_conn_prefetch_relink(const struct ph_conntab *t, uint32_t idx,
			     ph_time_t now, uint32_t timeout_sec);

/** Move an entry to another timeout class (as most recent). */
void ph_conn_set_class(struct ph_conntab *t, uint32_t idx, unsigned tclass,
		       ph_time_t now);

/**
 * The first expired entry of class c in list order (idle for timeout_sec
 * or more at now; timeout 0 = never), else PH_IDX_NONE.  With exact
 * touches (ph_conn_touch) that is the head.
 */
uint32_t ph_conn_expired(const struct ph_conntab *t, unsigned c,
			 uint32_t timeout_sec, ph_time_t now);

/**
 * The first expired entry of class c (idle timeout_sec or more at now;
 * 0 = never) at or after entry `from` of its list (PH_IDX_NONE: from
 * the head), or PH_IDX_NONE when none is.  Steps over at most *scan
 * entries that are still active (decremented; NULL: no bound).
 */
uint32_t ph_conn_expired_from(const struct ph_conntab *t, unsigned c,
			      uint32_t timeout_sec, ph_time_t now,
			      uint32_t from, unsigned *scan);

/** Has entry idx been idle timeout_sec or more (0 = never)? */
bool ph_conn_is_expired(const struct ph_conn *c, uint32_t timeout_sec,
			ph_time_t now);

/** Entry by index (no check beyond the pool bound in debug builds). */
static inline struct ph_conn *
ph_conn_at(const struct ph_conntab *t, uint32_t idx)
{
	return &t->pool[idx];
}

/** Is entry idx allocated and inserted? (for iteration) */
bool ph_conn_live(const struct ph_conntab *t, uint32_t idx);

/** Key of the reverse direction of k: swap addresses and ports. */
static inline void
ph_flow_key_reverse(struct ph_flow_key *r, const struct ph_flow_key *k,
		    uint16_t ifidx)
{
	r->src = k->dst;
	r->dst = k->src;
	r->sport = k->dport;
	r->dport = k->sport;
	r->proto = k->proto;
	r->pad = 0;
	r->ifidx = ifidx;
}

#endif /* PH_CORE_CONN_H */
