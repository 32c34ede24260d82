/*
 * daemon/ifmon.h - pinholed follows its interfaces while it runs: link
 * up/down (411001-411004), an interface deleted and re-created under a new
 * ifindex (903002, 903001: the ifindex table and the owned addresses
 * follow it), and the policy's `ip address` missing from or back on the
 * host (903003, 903004).  See ifmon.c and docs/deploy.md, "Interfaces that
 * change while running".
 *
 * Runs in the event-loop thread; it writes the ifindex of an interface
 * table entry (one aligned 32-bit store) and resets the lookup cache.
 */
#ifndef PH_DAEMON_IFMON_H
#define PH_DAEMON_IFMON_H

struct ph_daemon;
struct pd_ifmon;

/**
 * Open the rtnetlink monitor and record the current state of every
 * managed interface (silently: start-up and reload log their own checks).
 * Returns the descriptor to watch (>= 0), or -errno (logged: pinholed
 * then runs without following interface changes).
 */
int pd_ifmon_start(struct ph_daemon *d);

/** Read and act on what the monitor has (its descriptor was readable). */
void pd_ifmon_handle(struct ph_daemon *d);

/** The monitor's descriptor, or -1 when it is not running. */
int pd_ifmon_fd(const struct ph_daemon *d);

/** Close the monitor (no-op when not running). */
void pd_ifmon_stop(struct ph_daemon *d);

#endif /* PH_DAEMON_IFMON_H */
