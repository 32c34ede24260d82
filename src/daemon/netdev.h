/*
 * daemon/netdev.h - interfaces and addresses through rtnetlink (libmnl).
 *
 * Two jobs:
 *  - discovery: Linux ifname <-> ifindex, the link list, and the IPv4
 *    addresses of an interface (the daemon maps the policy's interfaces,
 *    `nameif`, to Linux ifindexes with this);
 *  - owning the global and static addresses: a PIX answers ARP for every
 *    address of its `global` pools and `static` statements on the outside
 *    interface.  pinholed does it by adding each such address to the
 *    interface as a /32 (IFA_F_NOPREFIXROUTE, scope global).  The kernel
 *    then answers ARP for it, and packets to it arrive like any other; the
 *    NFQUEUE rule in prerouting hands them to the engine BEFORE the
 *    local-delivery decision, and the engine rewrites the destination to
 *    the inside host, so the kernel forwards them.
 *
 * Why not proxy neighbours (NTF_PROXY): the kernel answers a proxy ARP
 * request only when the route to the target leaves by ANOTHER interface
 * than the one the request came in on (arp_process: rt->dst.dev != dev).
 * PIX global pools usually sit inside the outside interface's own subnet
 * (global (outside) 1 172.18.124.201-172.18.124.202 on 172.18.124.0/24),
 * where that test fails and nobody answers.
 *
 * Consequence for the gateway's sysctls (set by whoever sets ip_forward,
 * not by the daemon): translated packets that leave with a LOCAL source
 * address (PAT to a global address or to the interface address) are seen
 * by the routing code with that local source, which it rejects as martian
 * unless net.ipv4.conf.<inside>.accept_local=1 and rp_filter is 0 or 2.
 *
 * Ownership: every address added is tagged with IFA_PROTO =
 * PH_NETDEV_ADDR_PROTO (Linux 6.1+) and remembered in the handle.
 * ph_netdev_addr_cleanup() removes what this handle added;
 * ph_netdev_addr_flush_stale() removes any tagged address left behind by a
 * crashed run.  An address that already exists (configured by the
 * operator) is left alone: not added, not tracked, never removed.
 *
 * Changes while running: a monitor (ph_netdev_mon_*) is a second,
 * non-blocking rtnetlink socket subscribed to the link and IPv4 address
 * groups; it turns RTM_NEWLINK / RTM_DELLINK / RTM_NEWADDR / RTM_DELADDR
 * into struct ph_netdev_ev.  When the kernel drops notifications (ENOBUFS),
 * or a datagram cannot be walked to its end, the reader reports one
 * PH_NETDEV_EV_RESYNC so the caller re-reads the state instead of trusting
 * a partial story.  ph_netdev_addr_restore() puts owned addresses back
 * on an interface that lost them (deleted and re-created under a new
 * ifindex, or an operator's `ip address flush`).
 *
 * Known limits: IPv4 only; on kernels before 6.1 the tag is not stored and
 * stale addresses from a crash are not found.  Not thread-safe.
 */
#ifndef PH_DAEMON_NETDEV_H
#define PH_DAEMON_NETDEV_H

#include <stddef.h>
#include <stdint.h>

#include <net/if.h>

/* IFA_PROTO value marking addresses pinholed added (0-3 are the kernel's) */
#define PH_NETDEV_ADDR_PROTO 0x9c

struct ph_netdev_link {
	uint32_t ifindex;
	char name[IFNAMSIZ];
	uint32_t flags; /* IFF_* */
	uint32_t mtu;
};

struct ph_netdev_addr {
	uint32_t ifindex;
	uint32_t addr;	   /* IPv4 address, network byte order */
	uint8_t prefixlen; /* 32 for the ones we add */
	uint8_t proto;	   /* IFA_PROTO; PH_NETDEV_ADDR_PROTO when ours */
};

struct ph_netdev;
struct ph_netdev_mon;

/* What a monitor saw. */
enum ph_netdev_ev_kind {
	PH_NETDEV_EV_LINK,     /* RTM_NEWLINK: new, or flags/name changed */
	PH_NETDEV_EV_LINK_DEL, /* RTM_DELLINK */
	PH_NETDEV_EV_ADDR,     /* RTM_NEWADDR (IPv4) */
	PH_NETDEV_EV_ADDR_DEL, /* RTM_DELADDR (IPv4) */
	PH_NETDEV_EV_RESYNC,   /* notifications were lost: re-read all */
};

struct ph_netdev_ev {
	enum ph_netdev_ev_kind kind;
	struct ph_netdev_link link; /* LINK, LINK_DEL */
	struct ph_netdev_addr addr; /* ADDR, ADDR_DEL */
};

typedef void (*ph_netdev_ev_fn)(void *arg, const struct ph_netdev_ev *ev);

/** Open an rtnetlink socket.  Returns NULL and sets errno on failure. */
struct ph_netdev *ph_netdev_new(void);

/** Close the socket.  Does NOT remove addresses: call cleanup first. */
void ph_netdev_free(struct ph_netdev *nd);

/** ifindex of an interface name: > 0, or -ENODEV / -errno. */
int ph_netdev_ifindex(const char *name);

/** Name of an ifindex into name[IFNAMSIZ].  Returns 0 or -ENODEV. */
int ph_netdev_ifname(uint32_t ifindex, char name[IFNAMSIZ]);

/**
 * Dump all links.  On success *links is a malloc'd array of *n entries
 * (free() it) and 0 is returned; else -errno.
 */
int ph_netdev_links(struct ph_netdev *nd, struct ph_netdev_link **links,
		    size_t *n);

/**
 * Dump IPv4 addresses of ifindex (0 = every interface).  On success
 * *addrs is a malloc'd array of *n entries (free() it); returns 0 or
 * -errno.
 */
int ph_netdev_addrs(struct ph_netdev *nd, uint32_t ifindex,
		    struct ph_netdev_addr **addrs, size_t *n);

/**
 * Add each (ifindex, addr) as a tagged /32 and remember it.  Addresses that
 * already exist are skipped.  Stops at the first other error and returns
 * it (-errno); what was added so far stays tracked, so cleanup removes it.
 * Returns the number of addresses added (>= 0) on success.
 */
int ph_netdev_addr_add(struct ph_netdev *nd, const struct ph_netdev_addr *list,
		       size_t n);

/**
 * Remove every address this handle added.  Addresses already gone are
 * not an error.  Returns 0 or the first -errno (it still tries them all).
 */
int ph_netdev_addr_cleanup(struct ph_netdev *nd);

/**
 * Remove every IPv4 address tagged PH_NETDEV_ADDR_PROTO, on any interface
 * (left behind by a run that did not clean up).  Returns the number
 * removed, or -errno.
 */
int ph_netdev_addr_flush_stale(struct ph_netdev *nd);

/**
 * Put back every owned address recorded on ifindex `from`, on ifindex
 * `to` (the same interface re-created, or from == to after the addresses
 * were removed by someone else), and record them under `to`.  Addresses
 * that exist are skipped.  Returns how many were added, or the first
 * -errno (the records are moved either way).
 */
int ph_netdev_addr_restore(struct ph_netdev *nd, uint32_t from, uint32_t to);

/** Open a monitor of link and IPv4 address changes.  NULL and errno on
 * failure. */
struct ph_netdev_mon *ph_netdev_mon_new(void);

/** Close a monitor (NULL is fine). */
void ph_netdev_mon_free(struct ph_netdev_mon *m);

/** The monitor's descriptor, for epoll (readable when events wait). */
int ph_netdev_mon_fd(const struct ph_netdev_mon *m);

/**
 * Read what is waiting (at most a bounded number of datagrams) and call
 * fn for each event, in the kernel's order.  Lost notifications (ENOBUFS,
 * or a datagram unreadable past some message) give one
 * PH_NETDEV_EV_RESYNC, after the events that were read.  Returns the
 * number of events delivered (0 when nothing waited), or -errno on any
 * other socket error.
 */
int ph_netdev_mon_read(struct ph_netdev_mon *m, ph_netdev_ev_fn fn, void *arg);

#endif /* PH_DAEMON_NETDEV_H */
