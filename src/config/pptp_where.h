/*
 * config/pptp_where.h - where a policy turns PPTP inspection on, for
 * `show service-policy inspect pptp` (core/pptp_show.c).
 *
 * The compiled policy (model.h) keeps only the result (inspect.pptp and
 * the ports); the names an operator wrote (policy-map, class, the
 * interface of a service-policy) are in the source form, which this reads
 * so that nothing outside src/config depends on it.
 */
#ifndef PH_CONFIG_PPTP_WHERE_H
#define PH_CONFIG_PPTP_WHERE_H

#include <stddef.h>
#include <stdint.h>

#include "config/model.h"

/* One place that turns PPTP inspection on. */
struct ph_pptp_where {
	const char *ifname;	/* service-policy interface; NULL: global */
	const char *policy_map; /* NULL: the PIX 6 `fixup protocol pptp` */
	const char *class_map;	/* NULL with policy_map */
	uint16_t ports[PH_INSPECT_PORTS_MAX]; /* fixup form: its ports */
	uint8_t n_ports;
};

/**
 * The places that turn PPTP inspection on in pol, in the order `show
 * service-policy` prints them: global service-policies (and the default
 * global_policy), then per-interface ones, then the fixup form if
 * `fixup protocol pptp` lines leave a port.  Fills at most max entries of
 * w and returns how many places there are.  A policy without its source
 * form (pol->src NULL) has none.
 */
size_t ph_policy_pptp_where(const struct ph_policy *pol,
			    struct ph_pptp_where *w, size_t max);

#endif /* PH_CONFIG_PPTP_WHERE_H */
