/*
 * nfq-null/snat.h - a stateless 1:1 address rewrite for data-plane tests.
 *
 * Not pinhole's NAT (that is the engine's): this exists so the end-to-end
 * test can drive the rewritten-packet path of daemon/nfq.c (per-packet
 * verdict with payload, partial checksum completion) and the global
 * address handling of daemon/netdev.c without the engine.  Outbound
 * packets from `local` get source `global`; packets to `global` get
 * destination `local`.  IPv4 header checksum and TCP/UDP checksums are
 * updated incrementally (RFC 1624); a partial (CHECKSUM_PARTIAL) L4
 * checksum is updated for the pseudo-header change only.
 *
 * Known limits: no ICMP error payload rewrite; non-first fragments get
 * only the IP header update.
 */
#ifndef PH_NFQ_NULL_SNAT_H
#define PH_NFQ_NULL_SNAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ph_snat {
	uint32_t local;	 /* network order */
	uint32_t global; /* network order */
};

/**
 * Rewrite the IPv4 packet p (len bytes) in place if it matches.  partial
 * says the L4 checksum is CHECKSUM_PARTIAL.  Returns true if changed.
 */
bool ph_snat_rewrite(const struct ph_snat *s, uint8_t *p, size_t len,
		     bool partial);

#endif /* PH_NFQ_NULL_SNAT_H */
