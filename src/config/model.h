/*
 * config/model.h - the compiled policy: what a PIX configuration means.
 *
 * The config compiler (lexer -> parser -> check -> compile) turns rule text
 * into one immutable struct ph_policy.  This header is the contract between
 * the compiler and everything that reads a policy: the engine (ACL, NAT,
 * inspection, timeouts, routing), the log formatter (logging settings) and
 * the canonical printer.  Nothing here is modified after compilation, so a
 * reload is "compile aside, then swap one pointer".
 *
 * Conventions:
 *  - Addresses and masks are IPv4 in HOST byte order.
 *  - Interfaces are referred to by index into ifaces[] (ph_ifidx_t), in the
 *    order of their `nameif` lines.  PH_IF_NONE means "no interface".
 *  - ACLs are compiled to flat entry arrays.  Object groups are expanded at
 *    compile time; every expanded entry keeps the index of the ACE it came
 *    from (ace_idx) so hit counters are per ACE as the operator wrote it.
 *  - Everything the printer needs to reproduce the operator's text (names,
 *    remarks, object groups, lines with no effect) lives in the `src` part,
 *    which the engine never reads.
 *
 * Known limits: IPv4 only, as PIX 6.x.
 */
#ifndef PH_CONFIG_MODEL_H
#define PH_CONFIG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint16_t ph_ifidx_t; /* small value type: an interface index */
#define PH_IF_NONE   ((ph_ifidx_t)0xffff)
#define PH_NAME_MAX  64 /* names: interfaces, ACLs, maps (PIX allows 63) */
#define PH_IF_MAX    64 /* interfaces per policy */

struct ph_prefix {
	uint32_t addr; /* host order, already masked */
	uint32_t mask; /* host order, contiguous */
};

enum ph_port_op {
	PH_PORT_ANY = 0,
	PH_PORT_EQ,
	PH_PORT_NEQ,
	PH_PORT_LT,
	PH_PORT_GT,
	PH_PORT_RANGE,
};

struct ph_portspec {
	uint8_t op;      /* enum ph_port_op */
	uint16_t lo, hi; /* EQ/NEQ/LT/GT use lo; RANGE uses lo..hi */
};

struct ph_iface {
	char name[PH_NAME_MAX];  /* nameif name: "outside" */
	char hwid[PH_NAME_MAX];  /* hardware id as written: "ethernet0" */
	char linux_name[16];     /* Linux interface ("eth1"); "" = unmapped */
	uint8_t security;        /* 0..100 */
	bool has_addr;
	uint32_t addr, mask;     /* `ip address IF A M` */
	uint32_t mtu;            /* `mtu IF N`, default 1500 */
	bool shutdown;           /* `interface HWID ... shutdown` */
	int32_t acl_in;          /* access-group ... in: index into acls, -1 */
};

enum ph_acl_action {
	PH_ACL_DENY = 0,
	PH_ACL_PERMIT = 1,
};

#define PH_PROTO_ANY  (-1) /* `ip` in an ACE */
#define PH_ICMP_ANY   (-1)
#define PH_LOG_NONE   (-1)
#define PH_LOG_DEFAULT_LEVEL    6
#define PH_LOG_DEFAULT_INTERVAL 300

/* One compiled (expanded) access-control entry. */
struct ph_ace {
	uint8_t action;           /* enum ph_acl_action */
	int16_t proto;            /* PH_PROTO_ANY or 0..255 */
	struct ph_prefix src, dst;
	struct ph_portspec sport, dport; /* tcp/udp only */
	int16_t icmp_type;        /* PH_ICMP_ANY or 0..255 (icmp only) */
	int8_t log_level;         /* PH_LOG_NONE, or 0..7 */
	uint16_t log_interval;    /* seconds */
	uint32_t ace_idx;         /* hit counter slot of the ACE as written,
				   * absolute over all ACLs */
	uint32_t line_no;         /* `line N` position within its ACL */
	uint32_t src_line;        /* config file line */
};

struct ph_acl {
	char name[PH_NAME_MAX];
	uint32_t first;    /* index of first compiled entry in policy->aces */
	uint32_t count;    /* number of compiled entries */
	uint32_t n_shown;  /* number of ACEs as written (hit counter slots) */
	uint32_t hit_base; /* first hit counter slot of this ACL; its
			    * entries' ace_idx are hit_base.. */
	bool applied;      /* bound by an access-group or used by nat/static */
};

/* `static (real_if,mapped_if) ...` */
struct ph_static {
	ph_ifidx_t real_if, mapped_if;
	uint8_t proto;          /* 0 = address static; 6/17 = static PAT */
	bool mapped_is_iface;   /* `interface` keyword as mapped address */
	uint32_t mapped_addr;   /* host order; for interface, the iface addr */
	uint32_t real_addr;
	uint32_t mask;          /* netmask, 255.255.255.255 default */
	uint16_t mapped_port, real_port; /* static PAT only */
	uint32_t max_conns;     /* 0 = unlimited */
	uint32_t emb_limit;     /* 0 = unlimited */
	int32_t acl;            /* policy static: ACL index, -1 none */
	bool norandomseq;
	uint32_t src_line;
};

/* `nat (if) id ...` */
struct ph_nat {
	ph_ifidx_t ifidx;
	uint32_t id;            /* 0 = exemption (acl) or identity (prefix) */
	int32_t acl;            /* `access-list NAME`: ACL index, -1 none */
	struct ph_prefix match; /* when acl == -1 */
	bool outside, dns, norandomseq;
	uint32_t max_conns, emb_limit;
	uint32_t src_line;
};

/* `global (if) id ...` */
struct ph_global {
	ph_ifidx_t ifidx;
	uint32_t id;
	bool is_iface;          /* `interface`: PAT on the interface address */
	uint32_t lo, hi;        /* range, host order; lo == hi: one address */
	uint32_t mask;          /* `netmask`, 0 if not given */
	uint32_t src_line;
};

/* `route IF DEST MASK GW [METRIC]`, plus one connected route per
 * `ip address` (gw 0), all sorted longest prefix first. */
struct ph_route {
	ph_ifidx_t ifidx;
	struct ph_prefix dst;
	uint32_t gw;            /* 0 = connected */
	uint32_t metric;
};

/*
 * Timeouts: one table, PIX keyword, default in seconds.  "extension" ones
 * are pinhole's own keywords for state PIX does not let you tune (see
 * docs/config.md).  0 means "never" where PIX allows it.
 */
#define PH_TIMEOUTS(X)                                        \
	X(XLATE, "xlate", 10800)                              \
	X(CONN, "conn", 3600)                                 \
	X(HALF_CLOSED, "half-closed", 600)                    \
	X(UDP, "udp", 120)                                    \
	X(ICMP, "icmp", 2)                                    \
	X(RPC, "rpc", 600)                                    \
	X(H323, "h323", 300)                                  \
	X(H225, "h225", 3600)                                 \
	X(MGCP, "mgcp", 300)                                  \
	X(MGCP_PAT, "mgcp-pat", 300)                          \
	X(SIP, "sip", 1800)                                   \
	X(SIP_MEDIA, "sip_media", 120)                        \
	X(SIP_INVITE, "sip-invite", 180)                      \
	X(SIP_DISCONNECT, "sip-disconnect", 120)              \
	X(SUNRPC, "sunrpc", 600)                              \
	X(UAUTH, "uauth", 300)                                \
	X(PAT_XLATE, "pat-xlate", 30)                         \
	X(EMBRYONIC, "embryonic", 30)                         \
	X(GRE, "gre", 3600)

enum ph_timeout {
#define PH_TIMEOUT_ENUM(id, kw, def) PH_TO_##id,
	PH_TIMEOUTS(PH_TIMEOUT_ENUM)
#undef PH_TIMEOUT_ENUM
	PH_TO_MAX
};

#define PH_INSPECT_PORTS_MAX 16

struct ph_inspect {
	bool pptp;              /* fixup protocol pptp / inspect pptp */
	uint16_t pptp_ports[PH_INSPECT_PORTS_MAX];
	uint8_t n_pptp_ports;   /* default: one port, 1723 */
};

struct ph_loghost {
	ph_ifidx_t ifidx;
	uint32_t addr;
	uint8_t proto;          /* 17 (udp) or 6 (tcp) */
	uint16_t port;          /* default 514 */
};

#define PH_LOGHOSTS_MAX 16

enum ph_devid_kind {
	PH_DEVID_NONE = 0,
	PH_DEVID_HOSTNAME,
	PH_DEVID_IPADDRESS,
	PH_DEVID_STRING,
};

struct ph_logging {
	bool on;                /* `logging on` */
	int8_t trap;            /* syslog level 0..7, -1 = off */
	int8_t console;         /* -1 = off */
	int8_t buffered;        /* -1 = off */
	int8_t monitor;         /* -1 = off */
	int8_t history;         /* -1 = off */
	uint8_t facility;       /* PIX number 16..23 (local0..7), default 20 */
	bool timestamp;
	uint32_t queue;         /* `logging queue N`, default 512 */
	bool asa_prefix;        /* %ASA- instead of %PIX- */
	uint8_t devid_kind;     /* enum ph_devid_kind */
	ph_ifidx_t devid_if;    /* PH_DEVID_IPADDRESS */
	char devid[PH_NAME_MAX];
	struct ph_loghost hosts[PH_LOGHOSTS_MAX];
	uint8_t n_hosts;
};

/*
 * The compiled policy.  Immutable after ph_policy_parse() returns it.
 * Arrays are owned by the policy and freed by ph_policy_free().
 */
struct ph_policy {
	struct ph_iface *ifaces;
	size_t n_ifaces;

	struct ph_acl *acls;
	size_t n_acls;
	struct ph_ace *aces;      /* all ACLs' compiled entries */
	size_t n_aces;
	size_t n_hit_slots;       /* total ACEs as written, over all ACLs */

	struct ph_ace *conduits;  /* conduit entries, compiled like an ACL: */
	size_t n_conduits;        /* dst = the global address, src = foreign */

	struct ph_static *statics;   /* config order */
	size_t n_statics;
	struct ph_nat *nats;         /* config order */
	size_t n_nats;
	struct ph_global *globals;   /* config order */
	size_t n_globals;
	struct ph_route *routes;     /* longest prefix first */
	size_t n_routes;

	uint32_t timeouts[PH_TO_MAX]; /* seconds */
	struct ph_inspect inspect;
	struct ph_logging logging;
	bool permit_pptp;            /* sysopt connection permit-pptp */
	char hostname[PH_NAME_MAX];

	/* Compiled ACL lookup over acls[] and conduits (core/acl.c), built
	 * once after compilation so a reload swaps it with the policy. */
	struct ph_acl_index *acl_index;

	/* Source form for the canonical printer; the engine ignores it. */
	struct ph_policy_src *src;
};

#endif /* PH_CONFIG_MODEL_H */
