/*
 * core/fragtab.h - fragment state: which datagrams' first fragments were
 * admitted, and how they were translated.
 *
 * Policy (the parsing half is in pkt.c, see docs/engine.md "Packets"):
 * the first fragment (offset 0, MF set) carries the L4 header, so it goes
 * through the whole packet path like any packet.  When it is accepted,
 * the engine records its datagram -- (src, dst, proto, IP id, ingress
 * interface) as received -- with the connection and direction it matched.
 * A later fragment (offset > 0) is forwarded only when its datagram is in
 * this table and the connection still exists; it then gets the same
 * address translation (it has no ports) and the same egress interface.
 * Otherwise it is dropped (PH_R_FRAG).  Later fragments that start inside
 * the part the engine inspected (the L4 header, or an ICMP error's quote)
 * are dropped too: they could overwrite what was checked.
 *
 * The table is bounded (hard limit, counted): when it is full, the oldest
 * entry goes if it has expired, else the new datagram is not recorded
 * (counted in `full`) and its later fragments are dropped -- fail-closed
 * for that datagram.  Entries expire PH_FRAG_TIMEOUT_SEC after the last
 * fragment seen.
 *
 * Known limits: a later fragment that arrives before its first fragment
 * is dropped (no reordering buffer).  With nf_defrag loaded, Linux hands
 * NFQUEUE whole datagrams and this table stays empty.
 */
#ifndef PH_CORE_FRAGTAB_H
#define PH_CORE_FRAGTAB_H

#include <stdbool.h>
#include <stdint.h>

#include <pinhole/time.h>

#include "core/hash.h"
#include "core/timer.h"

#define PH_FRAG_TIMEOUT_SEC 30

struct ph_frag_key {
	uint32_t src, dst;
	uint16_t ip_id;
	uint8_t proto;
	uint8_t pad;
	uint16_t ifidx;
};

struct ph_frag {
	struct ph_frag_key k;
	uint32_t hnext; /* index + 1, 0 = end */
	struct ph_lru_link lru;
	uint32_t conn;	  /* connection index, PH_IDX_NONE: to the box */
	uint32_t conn_id; /* its PIX id, to detect reuse of the slot */
	uint16_t out_if;
	uint16_t min_off; /* later fragments must start at or past */
	uint8_t dir;
	uint8_t live;
	ph_time_t last;
};

struct ph_fragtab {
	struct ph_frag *pool;
	uint32_t max, used, fresh, free_head;
	uint32_t *buckets;
	uint32_t mask;
	struct ph_hash_key key;
	struct ph_lru lru;
	uint64_t full; /* first fragments refused: table full */
};

struct ph_fragtab *ph_fragtab_new(uint32_t max, const struct ph_hash_key *k);
void ph_fragtab_free(struct ph_fragtab *t);

/** Find the live entry of a datagram (expired ones count as absent). */
struct ph_frag *ph_frag_find(struct ph_fragtab *t, const struct ph_frag_key *k,
			     ph_time_t now);

/**
 * Record (or refresh) an admitted first fragment.  Returns the entry, or
 * NULL when the table is full (counted in t->full).
 */
struct ph_frag *ph_frag_add(struct ph_fragtab *t, const struct ph_frag_key *k,
			    ph_time_t now);

/** Mark activity on an entry (a later fragment passed). */
void ph_frag_touch(struct ph_fragtab *t, struct ph_frag *f, ph_time_t now);

/** Expire at most budget entries; returns how many went. */
unsigned ph_frag_expire(struct ph_fragtab *t, ph_time_t now, unsigned budget);

#endif /* PH_CORE_FRAGTAB_H */
