/*
 * pinhole/reason.h - why a packet was dropped: one X-macro table.
 *
 * Every drop in the core names one of these reasons, and the engine counts
 * drops per reason (`show counters`).  The enum and the names come from the
 * same list, so they cannot drift apart.  Append new reasons at the end of
 * their group; names are stable identifiers used in counters and JSON.
 */
#ifndef PINHOLE_REASON_H
#define PINHOLE_REASON_H

#define PH_REASONS(X)                                                    \
	X(NONE, "none", "not dropped")                                   \
	/* malformed packets (pkt_parse) */                              \
	X(SHORT_IP, "short-ip", "truncated IPv4 header")                 \
	X(BAD_VERSION, "bad-ip-version", "IP version is not 4")          \
	X(BAD_IHL, "bad-ihl", "IPv4 header length below 20 or past end") \
	X(BAD_TOTLEN, "bad-total-length", "IPv4 total length lies")      \
	X(BAD_IP_CSUM, "bad-ip-checksum", "IPv4 header checksum wrong")  \
	X(SHORT_L4, "short-l4", "truncated transport header")            \
	X(BAD_TCP_OFF, "bad-tcp-offset", "TCP data offset invalid")      \
	X(BAD_GRE, "bad-gre", "malformed GRE header")                    \
	X(BAD_ICMP_INNER, "bad-icmp-inner", "bad ICMP error quote")      \
	X(FRAG, "fragment", "fragment refused by fragment policy")       \
	X(BAD_ADDR, "bad-address", "martian source or destination")      \
	X(BAD_UDP_LEN, "bad-udp-length", "UDP length field lies")        \
	/* policy */                                                     \
	X(ACL, "acl", "denied by access-group")                          \
	X(CONDUIT, "conduit", "no conduit permits inbound traffic")      \
	X(SAME_SECURITY, "same-security", "same security level")         \
	X(NO_XLATE_IN, "no-xlate", "inbound to an address with no xlate") \
	X(NO_NAT_RULE, "no-translation-group", "no nat/static covers it") \
	X(XLATE_FAIL, "xlate-failed", "translation creation failed")     \
	X(NO_ROUTE, "no-route", "no route to destination")               \
	X(UNKNOWN_IF, "unknown-interface", "packet from an unknown interface") \
	/* state */                                                      \
	X(TCP_NO_CONN, "tcp-no-conn", "TCP not SYN and no connection")   \
	X(TCP_BAD_FLAGS, "tcp-bad-flags", "invalid TCP flag combination") \
	X(TCP_WINDOW, "tcp-window", "TCP segment outside the window")    \
	X(TCP_BAD_RST, "tcp-bad-rst", "RST with wrong sequence number")  \
	X(CONN_LIMIT, "conn-limit", "connection table full")             \
	X(EMB_LIMIT, "embryonic-limit", "embryonic connection limit")    \
	X(MAX_CONNS, "max-conns", "static/nat max-conns reached")        \
	X(ICMP_NO_CONN, "icmp-no-conn", "ICMP error quotes no connection") \
	/* inspection */                                                 \
	X(PPTP_MALFORMED, "pptp-malformed", "malformed PPTP message")    \
	X(PPTP_STATE, "pptp-state", "PPTP message invalid in this state") \
	X(PPTP_OOO, "pptp-out-of-order", "PPTP control out of order")    \
	X(PPTP_HOLD_LIMIT, "pptp-hold-limit", "PPTP held segment limit") \
	X(PPTP_HOLD_TIMEOUT, "pptp-hold-timeout", "PPTP held too long")  \
	X(PPTP_CALLID_EXHAUSTED, "pptp-callid-exhausted",                \
	    "no free PPTP call ID")                                      \
	X(PPTP_CALL_LIMIT, "pptp-call-limit",                            \
	    "too many PPTP calls on one control connection")             \
	X(PPTP_RETRANS, "pptp-bad-retransmit",                           \
	    "PPTP retransmission differs or predates the rewrite log")   \
	X(GRE_NO_CALL, "gre-no-call", "GRE matches no PPTP call")        \
	X(GRE_WRONG_SRC, "gre-wrong-source", "GRE key from wrong source")

enum ph_reason {
#define PH_REASON_ENUM(id, name, text) PH_R_##id,
	PH_REASONS(PH_REASON_ENUM)
#undef PH_REASON_ENUM
	PH_R_MAX
};

/** Stable short name of a reason ("acl"); "?" when out of range. */
const char *ph_reason_name(unsigned r);
/** Human text of a reason; "?" when out of range. */
const char *ph_reason_text(unsigned r);

#endif /* PINHOLE_REASON_H */
