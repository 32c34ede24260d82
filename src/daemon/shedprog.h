/*
 * daemon/shedprog.h - the overload shedding limit as a BPF program on the
 * managed interfaces' receive path (`--shed-hook`), in front of the
 * netfilter rule of daemon/nft.h.
 *
 * Why: the nft `limit` rule drops the excess before the queue copies it,
 * but only after the kernel has received each packet: the backlog, ip_rcv
 * and the prerouting chain run for every packet of a flood, on the CPU
 * that receives it.  When that is pinholed's CPU, receiving the flood
 * takes the CPU the daemon needs (docs/performance.md, "(3) Overload").
 * A BPF program drops the same excess earlier:
 *
 *   xdp     XDP in the driver (native): before an skb exists on a NIC;
 *           on veth, in the veth's NAPI poll on the sending CPU, before
 *           RPS moves the packet to another CPU;
 *   xdpgeneric  XDP on the skb (any device), in __netif_receive_skb_core
 *           on the receiving CPU, after RPS;
 *   tc      tcx ingress (Linux 6.6+): on the skb, before the protocol
 *           handlers (ip_rcv, netfilter), on the receiving CPU.
 *
 * The program counts IPv4 packets (the ones pinholed's table queues) in
 * windows of PD_SHEDPROG_WINDOW_NS and drops those past RATE x window in
 * a window: one bucket shared by every interface and CPU.  Packets of
 * flows the daemon has accepted before (marked in a bitmap by
 * pd_shedprog_flow_mark()) may fill the whole window; others only
 * PD_SHEDPROG_NEW_PCT per cent of it, so that a flood of new flows leaves
 * room for the connections in progress (shedprog.c says how).  Everything
 * else (ARP, IPv6) passes.  Its state and the bitmap are BPF array maps
 * that the daemon mmap()s: a new rate is a store, a mark an atomic OR, the
 * drop count a load; no system call.
 *
 * Attachment is a BPF link (BPF_LINK_CREATE): the kernel detaches the
 * program when the daemon exits or crashes, and an interface that
 * already has an XDP program of someone else's is refused (EBUSY), never
 * replaced.  The program is written here as BPF instructions (no
 * compiler, no libbpf); the kernel's verifier checks it at load.
 *
 * Known limits: IPv4 packets only are counted (the table is family ip),
 * in untagged Ethernet frames: VLAN-tagged frames and non-Ethernet
 * interfaces pass uncounted.  The flow bitmap keys tcp/udp by ports and
 * other protocols by addresses only (all GRE between two hosts shares a
 * bit).  Needs CAP_BPF and CAP_NET_ADMIN at load; attaching, on demand
 * after start-up, needs CAP_NET_ADMIN (Linux 6.5+) or also CAP_BPF
 * (before: the daemon then keeps it, daemon/privs.c); where the kernel
 * still refuses, the nft rule sheds (daemon/shed_place.c).
 */
#ifndef PH_DAEMON_SHEDPROG_H
#define PH_DAEMON_SHEDPROG_H

#include <stddef.h>
#include <stdint.h>

#define PD_SHEDPROG_WINDOW_NS 10000000ull /* 10 ms: the nft rule's burst */
#define PD_SHEDPROG_MAX_IF    64	  /* PH_IF_MAX: every interface */
#define PD_SHEDPROG_NEW_PCT   50	  /* of a window, for unknown flows */
#define PD_SHEDPROG_WORDS     (1u << 16)  /* 64-bit words per generation */
#define PD_SHEDPROG_AGE_SEC   30	  /* a generation's life */
#define PD_SHEDPROG_MUL	      ((int32_t)0x9e3779b1) /* the hash's multiplier */
#define PD_SHEDPROG_KEY_VALID (1ull << 63)	    /* in a flow key */

/* Where the program runs. */
enum pd_shedprog_hook {
	PD_SHEDPROG_XDP = 0,	 /* XDP, driver (native) mode */
	PD_SHEDPROG_XDP_GENERIC, /* XDP, skb (generic) mode */
	PD_SHEDPROG_TC,		 /* tcx ingress */
	PD_SHEDPROG_N_HOOKS,
};

struct pd_shedprog;

/** "xdp", "xdpgeneric", "tc". */
const char *pd_shedprog_hook_name(enum pd_shedprog_hook h);

/**
 * Create the state map and load the program for hook h.  The rate starts
 * unlimited.  On failure returns NULL with errno set, and when the
 * verifier said why, its last line in err.
 */
struct pd_shedprog *pd_shedprog_new(enum pd_shedprog_hook h, char *err,
				    size_t errlen);

/**
 * Make the program attached to exactly these interfaces: attach where it
 * is missing, detach where it is no longer wanted.  Returns 0, or the
 * -errno of the first interface that could not be attached (*bad = its
 * position in ifindex[]); the others are attached either way.
 */
int pd_shedprog_sync(struct pd_shedprog *p, const uint32_t *ifindex, size_t n,
		     size_t *bad);


/** Set the limit (packets/s; 0 = unlimited).  One store: no syscall. */
void pd_shedprog_set_rate(struct pd_shedprog *p, uint32_t pps);

/** The limit now (0 = unlimited). */
uint32_t pd_shedprog_rate(const struct pd_shedprog *p);

/** Packets the program has dropped since it was loaded. */
uint64_t pd_shedprog_dropped(const struct pd_shedprog *p);

/** Of those, the packets of known flows. */
uint64_t pd_shedprog_dropped_known(const struct pd_shedprog *p);

/**
 * The flow key of an IPv4 packet (network header at ip, len bytes), as
 * the program computes it at the interface: keyed hash of addresses,
 * protocol and, for TCP/UDP first fragments, ports.  0 when the header is
 * too short (such packets are never known).  Call it before the packet
 * is rewritten.
 */
uint64_t pd_shedprog_flow_key(const struct pd_shedprog *p, const uint8_t *ip,
			      size_t len);

/** Mark the flow known (an accepted packet).  Thread-safe; key 0 is
 * ignored. */
void pd_shedprog_flow_mark(struct pd_shedprog *p, uint64_t key);

/** Start a new generation of marks (every PD_SHEDPROG_AGE_SEC): flows
 * not marked during the last two are unknown again. */
void pd_shedprog_flow_age(struct pd_shedprog *p);

/** The hook it was loaded for. */
enum pd_shedprog_hook pd_shedprog_hook(const struct pd_shedprog *p);

/** Detach everywhere, unload, free.  NULL is fine. */
void pd_shedprog_free(struct pd_shedprog *p);

#endif /* PH_DAEMON_SHEDPROG_H */
