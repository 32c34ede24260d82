/*
 * pinhole/event.h - the syslog event catalog and the event record.
 *
 * Every message pinhole logs is one row of PH_EVENTS: its PIX message id,
 * its default severity, its text template and a note on when pinhole emits
 * it.  The engine fills a plain struct ph_event with facts (addresses,
 * ports, counters, names) and hands it to its emit callback; src/log turns
 * it into the PIX 6.3 line "%PIX-6-302013: Built outbound TCP ..." by
 * interpreting the template.  So the wording of every message lives in this
 * one table, not in code.
 *
 * Template language (interpreted by src/log/format.c):
 *  - `{name}` is replaced by a field of the event (list in docs/syslog.md);
 *  - `[ ... ]` is an optional section, printed only when every placeholder
 *    inside it is "present" (ports: the protocol is TCP or UDP; icmp type
 *    and code: the protocol is ICMP; strings: non-NULL and non-empty;
 *    `suppressed`: non-zero); sections do not nest and no catalog text
 *    needs a literal bracket;
 *  - an unknown placeholder is a programming error: the unit test formats
 *    every row and fails on it.
 *
 * Endpoints: ep[0] and ep[1].  For connection events (3020xx) ep[0] is the
 * "for"/"from"/faddr side, which PIX prints first: the LOWER-security
 * (outside, foreign) side whatever the direction, and ep[1] the higher-
 * security (inside, local) side.  For packet events (denies, 106100,
 * 3050 05/06) ep[0] is the source and ep[1] the destination, as seen on the
 * wire.  For translation events (30500 9-12) ep[0] is the real side
 * (real interface, real address/port) and ep[1] the mapped side (mapped
 * interface, mapped address/port).  `ip`/`port` are real values, `mip`/
 * `mport` mapped (translated) ones; all in host byte order.
 *
 * Ids: PIX/ASA message ids where PIX has the message (PIX 6.3 System Log
 * Messages; see /work/shared/reference/pptp-pix-linux.md s3.2).  PIX has no
 * ids for a PPTP ALG nor for pinhole's own limits, so pinhole's own events
 * use the 9xxxxx range, which no PIX 6.x / ASA message guide uses
 * (PIX 6.3: 1xxxxx-7xxxxx, ASA 9.x adds 8xxxxx): a collector that knows
 * Cisco ids never mistakes ours for one of theirs.  901xxx = engine limits
 * and malformed input, 902xxx = PPTP inspection, 903xxx = interfaces on
 * the host.  docs/syslog.md lists them all.
 *
 * Known limits: no `(user)` suffix (pinhole has no cut-through proxy), no
 * ASA hash pairs ([0x..., 0x0]) after 106023/106100.
 */
#ifndef PINHOLE_EVENT_H
#define PINHOLE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pinhole/time.h>

/*
 * X(sym, id, severity, template, when).  Append only; ids are stable.
 */
#define PH_EVENTS(X)                                                         \
	/* denies */                                                         \
	X(TCP_IN_DENIED, 106001, 2,                                          \
	  "Inbound TCP connection denied from {ip0}/{port0} to "             \
	  "{ip1}/{port1} flags {flags} on interface {if0}",                  \
	  "inbound TCP SYN refused: no conduit/static admits it")            \
	X(UDP_IN_DENIED, 106006, 2,                                          \
	  "Deny inbound UDP from {ip0}/{port0} to {ip1}/{port1} on "         \
	  "interface {if0}",                                                 \
	  "inbound UDP refused: no conduit/static admits it")                \
	X(UDP_DNS_DENIED, 106007, 2,                                         \
	  "Deny inbound UDP from {ip0}/{port0} to {ip1}/{port1} due to "     \
	  "DNS {text}",                                                      \
	  "DNS reply or query with no outstanding request (text: "           \
	  "Response or Query)")                                              \
	X(PROTO_IN_DENIED, 106010, 3,                                        \
	  "Deny inbound {proto} src {if0}:{ip0}[/{port0}] dst "              \
	  "{if1}:{ip1}[/{port1}][ ({suppressed} more suppressed)]",          \
	  "inbound non-TCP/UDP packet refused (e.g. GRE with no PPTP call, " \
	  "or from the wrong source: rate-limited per reason)")              \
	X(NO_XLATE_DENIED, 106011, 3,                                        \
	  "Deny inbound (No xlate) {proto} src {if0}:{ip0}[/{port0}] dst "   \
	  "{if1}:{ip1}[/{port1}][ (type {icmp_type}, code {icmp_code})]",    \
	  "inbound packet to an address with no translation")                \
	X(ICMP_IN_DENIED, 106014, 3,                                         \
	  "Deny inbound icmp src {if0}:{ip0} dst {if1}:{ip1} (type "         \
	  "{icmp_type}, code {icmp_code})",                                  \
	  "inbound ICMP refused: no conduit/ACL admits it")                  \
	X(TCP_NO_CONN, 106015, 6,                                            \
	  "Deny TCP (no connection) from {ip0}/{port0} to {ip1}/{port1} "    \
	  "flags {flags} on interface {if0}",                                \
	  "TCP segment other than SYN with no connection")                   \
	X(ACL_DENIED, 106023, 4,                                             \
	  "Deny {proto} src {if0}:{ip0}[/{port0}] dst {if1}:{ip1}[/{port1}]" \
	  "[ (type {icmp_type}, code {icmp_code})] by access-group "         \
	  "\"{acl}\"",                                                       \
	  "packet denied by an access-group ACL (deny ACE or implicit)")     \
	X(ACL_LOG, 106100, 6,                                                \
	  "access-list {acl} {acl_action} {proto} {if0}/{ip0}({acl_sport}) " \
	  "-> {if1}/{ip1}({acl_dport}) hit-cnt {hits} ({hit_when})",         \
	  "ACE with the log keyword matched (severity = the ACE's level; "   \
	  "for ICMP the ports read 0 and the icmp type)")                    \
	X(ACL_DENY_FLOW_MAX, 106101, 1,                                      \
	  "The number of ACL log deny-flows has reached limit ({limit}).",   \
	  "106100 flow table full: new logged deny flows are not tracked")   \
	/* limits of static / nat lines (PIX 6.3 max_conns, em_limit) */     \
	X(CONN_LIMIT_TCP, 201002, 3,                                         \
	  "Too many TCP connections on {text} {mip1}! {most_used} {limit}"   \
	  "[ ({suppressed} more suppressed)]",                               \
	  "a static/nat max_conns refused a TCP connection (text: static "   \
	  "or xlate; mip1: the global address, the real one for a nat "      \
	  "line; most_used: its embryonic limit; limit: its max_conns); "    \
	  "rate-limited")                                                    \
	X(EMB_LIMIT, 201003, 2,                                              \
	  "Embryonic limit exceeded {in_use}/{limit} for {ip0}/{port0} "     \
	  "({mip1}) {ip1}/{port1} on interface {if0}"                        \
	  "[ ({suppressed} more suppressed)]",                               \
	  "a static/nat embryonic limit refused a SYN (ep0 the outside "     \
	  "host; ep1 the inside host, mip1 its global address, the real "    \
	  "one for a nat line); rate-limited")                               \
	X(CONN_LIMIT_UDP, 201004, 3,                                         \
	  "Too many UDP connections on {text} {mip1}! {limit}"               \
	  "[ ({suppressed} more suppressed)]",                               \
	  "a static/nat max_conns refused a UDP flow (as 201002); "          \
	  "rate-limited")                                                    \
	/* connections */                                                    \
	X(CONN_COUNT, 302010, 6, "{in_use} in use, {most_used} most used",   \
	  "periodic connection count (show conn count)")                     \
	X(TCP_BUILT, 302013, 6,                                              \
	  "Built {dir} TCP connection {cid} for {if0}:{ip0}/{port0} "        \
	  "({mip0}/{mport0}) to {if1}:{ip1}/{port1} ({mip1}/{mport1})",      \
	  "a TCP connection is admitted (first SYN)")                        \
	X(TCP_TEARDOWN, 302014, 6,                                           \
	  "Teardown TCP connection {cid} for {if0}:{ip0}/{port0} to "        \
	  "{if1}:{ip1}/{port1} duration {duration} bytes {bytes}"            \
	  "[ {reason}]",                                                     \
	  "a TCP connection is removed; reason from PH_TEARDOWN_REASONS")    \
	X(UDP_BUILT, 302015, 6,                                              \
	  "Built {dir} UDP connection {cid} for {if0}:{ip0}/{port0} "        \
	  "({mip0}/{mport0}) to {if1}:{ip1}/{port1} ({mip1}/{mport1})",      \
	  "a UDP flow is admitted")                                          \
	X(UDP_TEARDOWN, 302016, 6,                                           \
	  "Teardown UDP connection {cid} for {if0}:{ip0}/{port0} to "        \
	  "{if1}:{ip1}/{port1} duration {duration} bytes {bytes}",           \
	  "a UDP flow times out or is cleared")                              \
	X(GRE_BUILT, 302017, 6,                                              \
	  "Built {dir} GRE connection {cid} from {if0}:{ip0} ({mip0}) to "   \
	  "{if1}:{ip1}/{gre_cid} ({mip1}/{gre_mcid})",                       \
	  "a PPTP call's GRE flow is opened (call ids real/translated of "   \
	  "the inside peer)")                                                \
	X(GRE_TEARDOWN, 302018, 6,                                           \
	  "Teardown GRE connection {cid} from {if0}:{ip0} ({mip0}) to "      \
	  "{if1}:{ip1}/{gre_cid} ({mip1}/{gre_mcid}) duration {duration} "   \
	  "bytes {bytes}",                                                   \
	  "a PPTP call's GRE flow is removed")                               \
	X(ICMP_BUILT, 302020, 6,                                             \
	  "Built {dir} ICMP connection for faddr {ip0}/{icmp_seq} gaddr "    \
	  "{mip1}/{mport1} laddr {ip1}/{port1}",                             \
	  "an ICMP echo flow is admitted (port1/mport1 = real/mapped id)")   \
	X(ICMP_TEARDOWN, 302021, 6,                                          \
	  "Teardown ICMP connection for faddr {ip0}/{icmp_seq} gaddr "       \
	  "{mip1}/{mport1} laddr {ip1}/{port1}",                             \
	  "an ICMP echo flow is removed")                                    \
	/* translations */                                                   \
	X(NO_NAT_RULE, 305005, 3,                                            \
	  "No translation group found for {proto} src {if0}:{ip0}[/{port0}]" \
	  " dst {if1}:{ip1}[/{port1}]",                                      \
	  "outbound packet that no nat/static covers")                       \
	X(XLATE_FAILED, 305006, 3,                                           \
	  "{xlate_fail} translation creation failed for {proto} src "        \
	  "{if0}:{ip0}[/{port0}] dst {if1}:{ip1}[/{port1}]",                 \
	  "a translation could not be made (pool or ports exhausted)")       \
	X(XLATE_BUILT, 305009, 6,                                            \
	  "Built {xlate} translation from {if0}[({acl})]:{ip0} to "          \
	  "{if1}:{ip1}",                                                     \
	  "an address translation is made (nat/global range, static)")       \
	X(XLATE_TEARDOWN, 305010, 6,                                         \
	  "Teardown {xlate} translation from {if0}:{ip0} to {if1}:{ip1} "    \
	  "duration {duration}",                                             \
	  "an address translation is removed")                               \
	X(PAT_BUILT, 305011, 6,                                              \
	  "Built {xlate} {PROTO} translation from {if0}[({acl})]:{ip0}/"     \
	  "{port0} to {if1}:{ip1}/{port1}",                                  \
	  "a port translation (PAT) is made")                                \
	X(PAT_TEARDOWN, 305012, 6,                                           \
	  "Teardown {xlate} {PROTO} translation from {if0}[({acl})]:{ip0}/"  \
	  "{port0} to {if1}:{ip1}/{port1} duration {duration}",              \
	  "a port translation (PAT) is removed")                             \
	/* interfaces (PIX 6.3 / ASA 411xxx) */                              \
	X(IF_LINE_UP, 411001, 4,                                             \
	  "Line protocol on Interface {if0}, changed state to up",           \
	  "the Linux interface of a nameif is up and has carrier again")     \
	X(IF_LINE_DOWN, 411002, 4,                                           \
	  "Line protocol on Interface {if0}, changed state to down",         \
	  "the Linux interface of a nameif lost carrier, was set down or "   \
	  "was deleted")                                                     \
	X(IF_ADMIN_UP, 411003, 4,                                            \
	  "Configuration status on Interface {if0}, changed state to "       \
	  "administratively up",                                             \
	  "the Linux interface of a nameif was set up (ip link set up)")     \
	X(IF_ADMIN_DOWN, 411004, 4,                                          \
	  "Configuration status on Interface {if0}, changed state to "       \
	  "administratively down",                                           \
	  "the Linux interface of a nameif was set down (ip link set down)") \
	/* pinhole: engine limits and malformed input (901xxx) */            \
	X(MALFORMED, 901001, 4,                                              \
	  "Dropped malformed packet on interface {if0}: {text}"              \
	  "[ ({suppressed} more suppressed)]",                               \
	  "packet failed parsing (text: drop reason); rate-limited, "        \
	  "the count says how many were not logged since the last line")     \
	X(CONN_TABLE_FULL, 901002, 3,                                        \
	  "Connection table full ({limit}): dropped {proto} src "            \
	  "{if0}:{ip0}[/{port0}] dst {if1}:{ip1}[/{port1}]"                  \
	  "[ ({suppressed} more suppressed)]",                               \
	  "new connection refused at the max_conns hard limit; "             \
	  "rate-limited")                                                    \
	X(HOLD_TIMEOUT, 901003, 4,                                           \
	  "Dropped held segment of TCP connection {cid} for "                \
	  "{if0}:{ip0}/{port0} to {if1}:{ip1}/{port1}: {text}",              \
	  "a held (split-field) segment was not completed in time")          \
	X(EMB_TABLE_FULL, 901004, 3,                                         \
	  "Embryonic connection limit ({limit}) reached: dropped {proto} "   \
	  "src {if0}:{ip0}[/{port0}] dst {if1}:{ip1}[/{port1}]"              \
	  "[ ({suppressed} more suppressed)]",                               \
	  "new TCP connection refused at the engine's global embryonic "     \
	  "limit (max_embryonic); rate-limited")                             \
	X(TCP_DENIED, 901005, 4,                                             \
	  "Deny TCP ({text}) from {ip0}/{port0} to {ip1}/{port1} flags "     \
	  "{flags} on interface {if0}[ ({suppressed} more suppressed)]",     \
	  "TCP segment refused by the state checks (text: invalid flags, "   \
	  "out of window, RST out of window); rate-limited per reason")      \
	X(PKT_DENIED, 901006, 4,                                             \
	  "Deny {proto} ({text}) src {if0}:{ip0}[/{port0}] dst "             \
	  "{if1}:{ip1}[/{port1}][ (type {icmp_type}, code {icmp_code})]"     \
	  "[ ({suppressed} more suppressed)]",                               \
	  "packet refused by the state checks: ICMP error quoting no "       \
	  "connection, GRE of no or another PPTP call (text says which); "   \
	  "rate-limited per reason")                                         \
	X(FRAG_DENIED, 901007, 4,                                            \
	  "Deny {proto} fragment src {if0}:{ip0} dst {ip1} ({text})"         \
	  "[ ({suppressed} more suppressed)]",                               \
	  "IP fragment refused: no admitted first fragment, overlapping "    \
	  "the inspected header, or of an inspected connection (text: id, "  \
	  "offset, why); rate-limited per reason")                           \
	/* pinhole: PPTP inspection (902xxx) */                              \
	X(PPTP_STOPPED, 902001, 4,                                           \
	  "PPTP inspection stopped for TCP connection {cid} for "            \
	  "{if0}:{ip0}/{port0} to {if1}:{ip1}/{port1}: {text}",              \
	  "control connection not PPTP v1 (version mismatch, bad magic): "   \
	  "connection closed by inspection")                                 \
	X(PPTP_MALFORMED, 902002, 4,                                         \
	  "Dropped malformed PPTP message on TCP connection {cid} for "      \
	  "{if0}:{ip0}/{port0} to {if1}:{ip1}/{port1}: {text}"               \
	  "[ ({suppressed} more suppressed)]",                               \
	  "PPTP control message too short, bad length or bad state; "        \
	  "rate-limited")                                                    \
	X(PPTP_CALLID_EXHAUSTED, 902003, 3,                                  \
	  "No free PPTP call ID on {if1}:{mip1} for TCP connection {cid} "   \
	  "for {if0}:{ip0}/{port0} to {if1}:{ip1}/{port1}",                  \
	  "every translated call id toward this server is in use")           \
	X(PPTP_CALL_REFUSED, 902004, 5,                                      \
	  "PPTP call refused on TCP connection {cid} for {if0}:{ip0}/"       \
	  "{port0} to {if1}:{ip1}/{port1}: {text}",                          \
	  "an outgoing/incoming call request was refused by inspection")     \
	/* pinhole: interfaces on the host (903xxx) */                       \
	X(IF_MAPPED, 903001, 5, "Interface {if0} is Linux interface {text}", \
	  "the Linux interface of a nameif appeared again under a new "      \
	  "ifindex (deleted and re-created); its traffic is firewalled and " \
	  "its global/static addresses are put back")                        \
	X(IF_REMOVED, 903002, 4,                                             \
	  "Interface {if0}: Linux interface {text} was removed",             \
	  "the Linux interface of a nameif was deleted; connections stay "   \
	  "until their idle timeouts, traffic resumes when it returns")      \
	X(IF_ADDR_MISSING, 903003, 4,                                        \
	  "Interface {if0} address {ip0} is not on Linux interface {text}",  \
	  "the ip address of the rules is not (or no longer) configured "    \
	  "on the host; interface PAT keeps using it (text: the addresses "  \
	  "the interface has)")                                              \
	X(IF_ADDR_OK, 903004, 5,                                             \
	  "Interface {if0} address {ip0} is on Linux interface {text} "      \
	  "again",                                                           \
	  "the ip address of the rules is configured on the host again")

/* Enum values ARE the message ids: PH_EV_TCP_BUILT == 302013. */
enum ph_event_id {
#define PH_EVENT_ENUM(sym, id, sev, fmt, when) PH_EV_##sym = id,
	PH_EVENTS(PH_EVENT_ENUM)
#undef PH_EVENT_ENUM
};

/*
 * Teardown reasons (302014), PIX's words.  X(sym, text).
 */
#define PH_TEARDOWN_REASONS(X)                     \
	X(NONE, "")                                \
	X(TCP_FINS, "TCP FINs")                    \
	X(RESET_I, "TCP Reset-I")                  \
	X(RESET_O, "TCP Reset-O")                  \
	X(SYN_TIMEOUT, "SYN Timeout")              \
	X(FIN_TIMEOUT, "FIN Timeout")              \
	X(CONN_TIMEOUT, "Conn-timeout")            \
	X(DENY_TERMINATE, "Deny Terminate")        \
	X(INSPECTION, "Flow closed by inspection") \
	X(XLATE_CLEAR, "Xlate Clear")              \
	X(INVALID_SYN, "Invalid SYN")              \
	X(UNKNOWN, "Unknown")

enum ph_teardown {
#define PH_TEARDOWN_ENUM(sym, text) PH_TD_##sym,
	PH_TEARDOWN_REASONS(PH_TEARDOWN_ENUM)
#undef PH_TEARDOWN_ENUM
		PH_TD_MAX
};

/* 106100's verb. */
enum ph_event_acl_action {
	PH_EV_ACT_DENIED = 0,
	PH_EV_ACT_PERMITTED,
	PH_EV_ACT_EST_ALLOWED,
};

/* Kind of translation: 305009-305012 print dynamic|static, 305006 prints
 * regular|outbound static|identity|portmap. */
enum ph_event_xlate {
	PH_EV_XK_DYNAMIC = 0, /* nat/global address pool */
	PH_EV_XK_STATIC,      /* static */
	PH_EV_XK_PORTMAP,     /* PAT (global interface or one address) */
	PH_EV_XK_IDENTITY,    /* nat 0 */
};

/* One endpoint of an event; see the header comment for which is which. */
struct ph_event_ep {
	const char *ifname; /* nameif, points into the policy; NULL = "?" */
	uint32_t ip;	    /* real address, host order */
	uint32_t mip;	    /* mapped (translated) address, host order */
	uint16_t port;	    /* real port (or ICMP id; see the row) */
	uint16_t mport;	    /* mapped port (or ICMP id) */
};

/*
 * One event, filled by the engine.  Use ph_event_init() first: it zeroes
 * the record and sets the id, time and catalog severity.  Strings are not
 * copied; they must live until the emit callback returns.
 */
struct ph_event {
	uint32_t id;		  /* enum ph_event_id (the PIX message id) */
	uint8_t severity;	  /* 0..7; the catalog's unless overridden
	                         * (106100: the ACE's log level) */
	ph_time_t when;		  /* monotonic time of the event */
	uint32_t conn_id;	  /* {cid} */
	uint8_t proto;		  /* IP protocol: {proto} {PROTO}, presence */
	bool inbound;		  /* {dir}: inbound | outbound */
	struct ph_event_ep ep[2]; /* {if0} {ip0} {mip0} {port0} {mport0}... */
	uint8_t icmp_type;	  /* {icmp_type} */
	uint8_t icmp_code;	  /* {icmp_code} */
	uint16_t icmp_seq;	  /* {icmp_seq} */
	uint16_t gre_cid;	  /* {gre_cid}: real call id */
	uint16_t gre_mcid;	  /* {gre_mcid}: translated call id */
	uint64_t bytes;		  /* {bytes}: both directions */
	uint64_t duration_sec;	  /* {duration}: h:mm:ss */
	const char *reason;   /* {reason}: ph_teardown_text(); NULL/"" = none */
	const char *acl_name; /* {acl} */
	uint8_t acl_action;   /* {acl_action}: enum ph_event_acl_action */
	uint32_t hit_cnt;     /* {hits} */
	bool first_hit;	      /* {hit_when}: "first hit" */
	uint32_t interval;    /* {hit_when}: "N-second interval" */
	uint8_t tcp_flags;    /* {flags}: TCP header byte 13 bits */
	uint8_t xlate_kind;   /* {xlate} {xlate_fail}: enum ph_event_xlate */
	uint32_t in_use;      /* {in_use} */
	uint32_t most_used;   /* {most_used} */
	uint32_t limit;	      /* {limit} */
	uint32_t suppressed;  /* {suppressed}: rate-limited events skipped */
	const char *text;     /* {text}: free text (pinhole events) */
};

/* One catalog row, for the formatter, the docs and `show logging`. */
struct ph_event_def {
	uint32_t id;
	uint8_t severity;
	const char *sym;  /* "TCP_BUILT" */
	const char *fmt;  /* template */
	const char *when; /* when pinhole emits it */
};

/** Catalog row of a message id, or NULL when pinhole has no such event. */
const struct ph_event_def *ph_event_def(uint32_t id);

/** Number of catalog rows; rows are ph_event_def_at(0 .. n-1), by id. */
size_t ph_event_def_count(void);

/** Catalog row number i (ascending id order), NULL past the end. */
const struct ph_event_def *ph_event_def_at(size_t i);

/**
 * Zero *ev and set its id, time and the catalog's default severity
 * (6 when the id is unknown: the formatter then refuses it).
 */
void ph_event_init(struct ph_event *ev, uint32_t id, ph_time_t now);

/** PIX text of a teardown reason ("TCP FINs"); "" for NONE/out of range. */
const char *ph_teardown_text(unsigned td);

#endif /* PINHOLE_EVENT_H */
