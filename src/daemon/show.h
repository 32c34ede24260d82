/*
 * daemon/show.h - internals shared by the daemon's control handlers
 * (show.c: tables, show_stats.c: counters/logging/version/inspection,
 * cmds.c: clear, reload, debug).
 */
#ifndef PH_DAEMON_SHOW_H
#define PH_DAEMON_SHOW_H

#include "daemon/control.h"
#include "daemon/daemon.h"

/* Bytes of configuration text per page of `show running-config`. */
#define PD_SHOW_PAGE (256u << 10)

/**
 * Paged output and reloads: on the first call remember the policy
 * generation, on later calls refuse (PH_CTL_E_FAILED) if it changed.
 * Uses cursor word 2.  Returns PH_CTL_OK or the error status.
 */
int pd_show_gen_check(struct ph_daemon *d, struct ph_ctl_reply *r);

/**
 * The access list req->arg names: *idx is its index, or -1 when req->arg
 * is empty (every list).  An unknown name gets the error reply ("ERROR:
 * % access-list NAME does not exist") and its status is returned;
 * otherwise PH_CTL_OK.
 */
int pd_acl_arg(struct ph_daemon *d, const struct ph_ctl_request *req,
	       struct ph_ctl_reply *r, int *idx);

/** Register show counters / logging / version / service-policy. */
int pd_stats_register(struct ph_daemon *d);

/** Register clear *, reload, debug pptp. */
int pd_cmds_register(struct ph_daemon *d);

#endif /* PH_DAEMON_SHOW_H */
