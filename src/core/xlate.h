/*
 * core/xlate.h - the translation (xlate) table: dynamic NAT and PAT.
 *
 * An xlate binds a local (real) endpoint on a higher-security interface
 * to a global (mapped) one on a lower-security interface, as PIX's `show
 * xlate` lists them:
 *   address xlate  local host L  <-> global address G from a `global`
 *                  range (dynamic NAT; every connection of L shares it);
 *   PAT xlate      local L:port  <-> G:port' on a `global` single address
 *                  or `interface` (one per local port and protocol; ICMP
 *                  queries use the identifier as the port; protocols with
 *                  no ports use port 0, so one local host per global
 *                  address at a time, as PIX 6 does for GRE).
 * Static translations are policy rules, not objects here (see nat.c);
 * `show xlate` lists them from the policy.
 *
 * Each xlate counts the connections that use it.  When the last one goes,
 * the xlate is put on an idle list (one for address xlates, timeout
 * `timeout xlate`; one for PAT, timeout `pat-xlate`), ordered by the time
 * it became idle, and expires from there; a new connection takes it off.
 * Global addresses of ranges and PAT ports are allocated at a random
 * place and given back only when the xlate is deleted, so a port is never
 * reused while a translation holds it.
 *
 * Keys: the local key (nat id, local if, global if, laddr, lport, proto)
 * finds an
 * existing translation for a new outbound connection; the global key
 * (global if, gaddr, gport, proto) finds the local host of an inbound
 * packet.  Both are in one SipHash-keyed table, as connections are.
 *
 * Known limits: PAT ports keep their range class (1-511, 512-1023,
 * 1024-65535, as ASA does); ICMP identifiers use 1-65535.
 */
#ifndef PH_CORE_XLATE_H
#define PH_CORE_XLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/time.h>

#include "core/hash.h"
#include "core/timer.h"

enum ph_xlate_kind {
	PH_XK_NAT = 0, /* address from a global range */
	PH_XK_PAT = 1, /* port on a global address */
};

/* Idle lists. */
enum ph_xlate_class {
	PH_XC_NAT = 0, /* timeout xlate */
	PH_XC_PAT = 1, /* timeout pat-xlate */
	PH_XC_MAX
};

struct ph_xlate {
	uint32_t laddr, gaddr;
	uint16_t lport, gport;	/* PAT only */
	uint16_t lif, gif;	/* interface indexes */
	uint8_t proto;		/* PAT: IP protocol; NAT: 0 */
	uint8_t kind;		/* enum ph_xlate_kind */
	uint8_t live;		/* 1 while allocated */
	uint8_t idle;		/* on an idle list */
	uint32_t hnext[2];	/* hash chains: local key, global key */
	struct ph_lru_link lru; /* idle list */
	uint32_t refs;		/* connections using it */
	uint32_t global_idx;	/* policy->globals[] it came from */
	uint32_t nat_idx;	/* policy->nats[] that selected it */
	uint32_t nat_id;	/* its id: in the local key, so policy NAT
				 * can map one local port once per rule */
	ph_time_t start;	/* built */
	ph_time_t idle_since;	/* when refs dropped to 0 */
};

struct ph_xlatetab {
	struct ph_xlate *pool;
	uint32_t max, used, most_used, fresh, free_head;
	uint32_t *buckets;
	uint32_t mask;
	struct ph_hash_key key;
	struct ph_lru idle[PH_XC_MAX];
};

/** New table of at most max xlates; NULL with errno on failure. */
struct ph_xlatetab *ph_xlatetab_new(uint32_t max, const struct ph_hash_key *k);
void ph_xlatetab_free(struct ph_xlatetab *t);

/**
 * Add an xlate copied from *x (addresses, ports, ifs, kind, rules).  It
 * starts with no references and NOT idle.  Returns its index, or
 * PH_IDX_NONE when the table is full or either key exists.
 */
uint32_t ph_xlate_add(struct ph_xlatetab *t, const struct ph_xlate *x,
		      ph_time_t now);

/** Remove an xlate from the table (the caller gives back its address or
 * port and emits the teardown event first). */
void ph_xlate_del(struct ph_xlatetab *t, uint32_t idx);

/** Find by local key; proto 0 / lport 0 for address xlates. */
uint32_t ph_xlate_find_local(const struct ph_xlatetab *t, uint32_t nat_id,
			     uint16_t lif, uint16_t gif, uint32_t laddr,
			     uint16_t lport, uint8_t proto);

/** Find by global key; proto 0 / gport 0 for address xlates. */
uint32_t ph_xlate_find_global(const struct ph_xlatetab *t, uint16_t gif,
			      uint32_t gaddr, uint16_t gport, uint8_t proto);

/** A connection starts using xlate idx (takes it off its idle list). */
void ph_xlate_ref(struct ph_xlatetab *t, uint32_t idx);

/** A connection stops using xlate idx; at 0 it becomes idle at now. */
void ph_xlate_unref(struct ph_xlatetab *t, uint32_t idx, ph_time_t now);

/** Oldest idle xlate of class c if idle for timeout_sec or more (0 =
 * never), else PH_IDX_NONE. */
uint32_t ph_xlate_expired(const struct ph_xlatetab *t, unsigned c,
			  uint32_t timeout_sec, ph_time_t now);

static inline struct ph_xlate *
ph_xlate_at(const struct ph_xlatetab *t, uint32_t idx)
{
	return &t->pool[idx];
}

/*
 * Allocation of global addresses and PAT ports (xlate_alloc.c).
 *
 * Address pools: one random-start bitmap (core/idalloc.h) per `global`
 * range, over offsets from its first address (at most 65536 addresses per
 * range are used); with a `netmask`, the network and broadcast addresses
 * of that mask are never handed out.  PAT maps: per global address and
 * protocol, three bitmaps for the port classes 1-511, 512-1023 and
 * 1024-65535 (TCP/UDP; the translated port stays in the class of the real
 * one), one of 1-65535 for ICMP identifiers, and one single slot (port 0)
 * for protocols without ports.  Mapped ports of static PAT entries are
 * reserved so PAT never hands them out.
 */
struct ph_policy;
struct ph_natpools;

/** New, empty allocation state; NULL on ENOMEM. */
struct ph_natpools *ph_natpools_new(void);
void ph_natpools_free(struct ph_natpools *np);

/**
 * Set up for a policy: one address pool per `global` range and the
 * static PAT reservations.  A reload builds a fresh ph_natpools this way
 * and re-marks the addresses and ports of the surviving xlates with
 * ph_natpools_mark().  Returns 0 or -ENOMEM.
 */
int ph_natpools_sync(struct ph_natpools *np, const struct ph_policy *pol);

/** Mark the global side of a live xlate as in use (after a sync). */
void ph_natpools_mark(struct ph_natpools *np, const struct ph_xlate *x);

/** Take a free address of global range number gidx (policy->globals[]). */
int ph_natpools_addr_get(struct ph_natpools *np, uint32_t gidx, uint64_t *rng,
			 uint32_t *addr);

/** Take a free PAT port on gaddr for proto, in the class of real_port. */
int ph_natpools_port_get(struct ph_natpools *np, uint32_t gaddr, uint8_t proto,
			 uint16_t real_port, uint64_t *rng, uint16_t *port);

/** Give back the global address or port of xlate x. */
void ph_natpools_put(struct ph_natpools *np, const struct ph_xlate *x);

/** Does proto have ports (or ids) that PAT can translate? */
bool ph_pat_has_ports(uint8_t proto);

#endif /* PH_CORE_XLATE_H */
