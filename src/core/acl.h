/*
 * core/acl.h - the compiled ACL classifier: first-match lookup whose cost
 * does not grow with the number of entries.
 *
 * ph_acl_index_build() compiles every ACL of a policy (acls[] over aces[])
 * and the conduit list (conduits[]) into a lookup index, once per policy;
 * the index is immutable and travels with the policy (policy->acl_index).
 * A lookup returns the index of the FIRST matching compiled entry, as PIX
 * does, or -1 for the implicit deny at the end of every list.
 *
 * Matching semantics (the reference is ph_ace_match(), used by the linear
 * lookup and cross-checked against the index in the unit tests):
 *  - proto PH_PROTO_ANY (`ip`) matches every protocol; otherwise the
 *    packet's protocol must be equal;
 *  - src/dst prefixes match on (addr & mask) == prefix;
 *  - port conditions (sport/dport op != PH_PORT_ANY) only exist on tcp/udp
 *    entries; an entry with a port condition matches only its protocol,
 *    and never a packet without ports (k->no_ports: a non-first fragment).
 *    The engine admits non-first fragments only when their datagram's first
 *    fragment was admitted, so a fragment cannot get around a port-specific
 *    deny this way;
 *  - icmp_type (!= PH_ICMP_ANY) only exists on icmp entries and matches the
 *    packet's ICMP type; a packet with no_ports (no ICMP header) never
 *    matches a typed icmp entry.
 *
 * Design: small lists (< PH_ACL_LINEAR_MAX entries) are scanned linearly,
 * as PIX does below its TurboACL threshold.  Larger ones become a decision
 * tree of hash cuts (src/core/acl.c): each node keys one word of the
 * packet masked to a prefix (destination, source, protocol, the port word
 * protocol + destination port / icmp type, or a tuple of host destination
 * and port word) into a table whose slots hold the matching rules
 * themselves or a sub-tree, and hands the rules that key cannot select to
 * a wildcard child.  A complete cut also copies those wildcard rules,
 * narrowed, into the buckets they share packets with, so a lookup that
 * finds its bucket skips the wildcard child.  A lookup probes one table
 * per node on its path; the cut at each node is chosen at build from the
 * rules' shapes, so the path length follows the key space, not the number
 * of entries (ph_acl_stats.max_probes is the bound of a built list; the
 * figures per kind of list are in docs/performance.md).
 *
 * Limits (hard; the build fails with -E2BIG): a list holds at most
 * PH_ACL_EXPANDED_MAX compiled entries.  Entries that share every key and
 * differ only by source ports or neq/lt/gt are checked one by one in their
 * leaf (see max_run); copies into complete cuts are bounded by twice the
 * list's entries (see replicas).
 */
#ifndef PH_CORE_ACL_H
#define PH_CORE_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ph_policy;
struct ph_ace;
struct ph_acl_index;

/* Lists shorter than this are scanned, not hashed (PIX: 19). */
#define PH_ACL_LINEAR_MAX 16
/* Hard limit on compiled entries of one list. */
#define PH_ACL_EXPANDED_MAX (4u * 1024 * 1024)

/* What a lookup matches on; all host order. */
struct ph_acl_key {
	uint8_t proto;	   /* IP protocol */
	bool no_ports;	   /* non-first fragment: no L4 header to match */
	int16_t icmp_type; /* ICMP type (proto 1), PH_ICMP_ANY otherwise */
	uint16_t sport;	   /* tcp/udp ports; ignored for other protocols */
	uint16_t dport;
	uint32_t src;
	uint32_t dst;
};

/* What one list compiled to, for `show access-list` and the tests. */
struct ph_acl_stats {
	uint32_t entries;      /* compiled entries */
	uint32_t dropped;      /* of which never a first match: copies of an
			      * earlier entry, or matching nothing (`lt 0`) */
	bool compiled;	       /* hashed (turbo) rather than linear */
	uint32_t tuples;       /* cuts on the root's wildcard chain: the tables
			      * every lookup may probe */
	uint32_t subs;	       /* sub-trees under buckets */
	uint32_t sub_tuples;   /* cuts inside those sub-trees */
	uint32_t keys;	       /* occupied buckets (linear: entries) */
	uint32_t nodes;	       /* tree nodes, cuts and leaves */
	uint32_t max_probes;   /* most tables one lookup can probe */
	uint32_t max_run;      /* longest run of entries checked one by one */
	uint32_t replicas;     /* copies of entries in complete cuts' buckets */
	uint32_t filter_lines; /* 64-byte lines of the deny filter, 0 none */
	uint32_t dir_cells;    /* host directory cells, 0 none */
	uint32_t dir_copies;   /* rules in those cells beyond the list's own */
	size_t mem_bytes;      /* memory of this list's index */
};

/* Build options. */
struct ph_acl_build_opts {
	uint64_t seed;	     /* keys the hashes */
	uint32_t linear_max; /* shorter lists are scanned; 0 = compile all */
};

/**
 * Build the lookup index of every ACL and of the conduit list of `pol`.
 * `seed` keys the hashes.  Returns NULL and sets *err (-ENOMEM, -E2BIG
 * when a list passes PH_ACL_EXPANDED_MAX entries, -EINVAL on an entry the
 * model forbids) on failure.  The index reads pol->aces and pol->conduits
 * only during the build: it keeps no pointer into the policy.
 */
struct ph_acl_index *ph_acl_index_build(const struct ph_policy *pol,
					uint64_t seed, int *err);

/** The same with explicit options (benchmarks, tests). */
struct ph_acl_index *ph_acl_index_build_opts(const struct ph_policy *pol,
					     const struct ph_acl_build_opts *o,
					     int *err);

/** Free an index; NULL is allowed. */
void ph_acl_index_free(struct ph_acl_index *ix);

/**
 * First entry of ACL number `acl_no` (index into pol->acls) matching `k`:
 * returns its index in pol->aces (absolute, not relative to acl->first),
 * or -1 for the implicit deny or an out-of-range acl_no.
 */
int32_t ph_acl_lookup(const struct ph_acl_index *ix, uint32_t acl_no,
		      const struct ph_acl_key *k);

/** Same over the conduit list: index into pol->conduits, or -1. */
int32_t ph_acl_lookup_conduit(const struct ph_acl_index *ix,
			      const struct ph_acl_key *k);

/** Compile statistics of ACL `acl_no`; -ENOENT if out of range. */
int ph_acl_index_stats(const struct ph_acl_index *ix, uint32_t acl_no,
		       struct ph_acl_stats *st);

/** Compile statistics of the conduit list. */
void ph_acl_index_conduit_stats(const struct ph_acl_index *ix,
				struct ph_acl_stats *st);

/** Does entry `e` match `k`?  The reference semantics (see above). */
bool ph_ace_match(const struct ph_ace *e, const struct ph_acl_key *k);

/** Reference first-match linear scan over pol->acls[acl_no]; as lookup. */
int32_t ph_acl_lookup_linear(const struct ph_policy *pol, uint32_t acl_no,
			     const struct ph_acl_key *k);

/** Reference linear scan over pol->conduits. */
int32_t ph_acl_lookup_conduit_linear(const struct ph_policy *pol,
				     const struct ph_acl_key *k);

#endif /* PH_CORE_ACL_H */
