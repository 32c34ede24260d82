/*
 * config/names.c - PIX literal tables.
 *
 * Port literals are the PIX 6.3 list (command reference, "Ports" table);
 * where PIX has two names for one number, the first listed for a protocol
 * is the one printed.  ICMP type names follow the PIX `icmp-object` list;
 * protocol names the PIX `access-list` protocol literals (`pptp` is PIX's
 * own alias for GRE, `ipsec` for ESP).  Lookups are linear: the tables are
 * small and only read while compiling a policy.
 */
#include <strings.h>

#include "config/model.h"
#include "config/names.h"

#define B (PH_NAMES_TCP | PH_NAMES_UDP)
#define T PH_NAMES_TCP
#define U PH_NAMES_UDP

static const struct port_name {
	const char *name;
	uint16_t port;
	uint8_t protos;
} ports[] = {
	{ "aol", 5190, T },
	{ "bgp", 179, T },
	{ "biff", 512, U },
	{ "bootpc", 68, U },
	{ "bootps", 67, U },
	{ "chargen", 19, T },
	{ "citrix-ica", 1494, T },
	{ "cmd", 514, T },
	{ "ctiqbe", 2748, T },
	{ "daytime", 13, T },
	{ "discard", 9, B },
	{ "dnsix", 195, U },
	{ "domain", 53, B },
	{ "echo", 7, B },
	{ "exec", 512, T },
	{ "finger", 79, T },
	{ "ftp", 21, T },
	{ "ftp-data", 20, T },
	{ "gopher", 70, T },
	{ "h323", 1720, T },
	{ "hostname", 101, T },
	{ "https", 443, T },
	{ "ident", 113, T },
	{ "imap4", 143, T },
	{ "irc", 194, T },
	{ "isakmp", 500, U },
	{ "kerberos", 750, B },
	{ "klogin", 543, T },
	{ "kshell", 544, T },
	{ "ldap", 389, T },
	{ "ldaps", 636, T },
	{ "login", 513, T },
	{ "lotusnotes", 1352, T },
	{ "lpd", 515, T },
	{ "mobile-ip", 434, U },
	{ "nameserver", 42, U },
	{ "netbios-dgm", 138, U },
	{ "netbios-ns", 137, U },
	{ "netbios-ssn", 139, T },
	{ "nntp", 119, T },
	{ "ntp", 123, U },
	{ "pcanywhere-data", 5631, T },
	{ "pcanywhere-status", 5632, U },
	{ "pim-auto-rp", 496, B },
	{ "pop2", 109, T },
	{ "pop3", 110, T },
	{ "pptp", 1723, T },
	{ "radius", 1645, U },
	{ "radius-acct", 1646, U },
	{ "rip", 520, U },
	{ "rsh", 514, T },
	{ "rtsp", 554, T },
	{ "secureid-udp", 5510, U },
	{ "sip", 5060, B },
	{ "smtp", 25, T },
	{ "snmp", 161, U },
	{ "snmptrap", 162, U },
	{ "sqlnet", 1521, T },
	{ "ssh", 22, T },
	{ "sunrpc", 111, B },
	{ "syslog", 514, U },
	{ "tacacs", 49, B },
	{ "talk", 517, B },
	{ "telnet", 23, T },
	{ "tftp", 69, U },
	{ "time", 37, U },
	{ "uucp", 540, T },
	{ "who", 513, U },
	{ "whois", 43, T },
	{ "www", 80, B },
	{ "xdmcp", 177, U },
};

/* Printed spelling for numbers that have two tcp names. */
static const struct port_name port_pref[] = {
	{ "rsh", 514, T },
};

#undef B
#undef T
#undef U

static const char *const icmp_names[] = {
	[0] = "echo-reply",	      [3] = "unreachable",
	[4] = "source-quench",	      [5] = "redirect",
	[6] = "alternate-address",    [8] = "echo",
	[9] = "router-advertisement", [10] = "router-solicitation",
	[11] = "time-exceeded",	      [12] = "parameter-problem",
	[13] = "timestamp-request",   [14] = "timestamp-reply",
	[15] = "information-request", [16] = "information-reply",
	[17] = "mask-request",	      [18] = "mask-reply",
	[30] = "traceroute",	      [31] = "conversion-error",
	[32] = "mobile-redirect",
};

#define N_ICMP (sizeof(icmp_names) / sizeof(icmp_names[0]))

static const struct proto_name {
	const char *name;
	int proto;
	bool print;
} protos[] = {
	{ "ah", 51, true },	      { "eigrp", 88, true },
	{ "esp", 50, true },	      { "gre", 47, true },
	{ "icmp", 1, true },	      { "icmp6", 58, true },
	{ "igmp", 2, true },	      { "igrp", 9, true },
	{ "ip", PH_PROTO_ANY, true }, { "ipinip", 4, true },
	{ "ipsec", 50, false },	      { "nos", 94, true },
	{ "ospf", 89, true },	      { "pcp", 108, true },
	{ "pim", 103, true },	      { "pptp", 47, false },
	{ "snp", 109, true },	      { "tcp", 6, true },
	{ "udp", 17, true },
};

static const char *const levels[] = {
	"emergencies", "alerts",	"critical",	 "errors",
	"warnings",    "notifications", "informational", "debugging",
};

int
ph_names_port(const char *s)
{
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strcasecmp(s, ports[i].name) == 0)
			return ports[i].port;
	return -1;
}

const char *
ph_names_port_str(uint16_t port, int proto)
{
	uint8_t want = proto == 6    ? PH_NAMES_TCP
		       : proto == 17 ? PH_NAMES_UDP
				     : (PH_NAMES_TCP | PH_NAMES_UDP);

	for (size_t i = 0; i < sizeof(port_pref) / sizeof(port_pref[0]); i++)
		if (port_pref[i].port == port &&
		    (port_pref[i].protos & want) == want)
			return port_pref[i].name;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i].port == port && (ports[i].protos & want) == want)
			return ports[i].name;
	return NULL;
}

int
ph_names_icmp(const char *s)
{
	for (size_t i = 0; i < N_ICMP; i++)
		if (icmp_names[i] != NULL && strcasecmp(s, icmp_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
ph_names_icmp_str(int type)
{
	if (type < 0 || (size_t)type >= N_ICMP)
		return NULL;
	return icmp_names[type];
}

int
ph_names_proto(const char *s)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(s, protos[i].name) == 0)
			return protos[i].proto;
	return -2;
}

const char *
ph_names_proto_str(int proto)
{
	if (proto == 0)
		proto = PH_PROTO_ANY;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].print && protos[i].proto == proto)
			return protos[i].name;
	return NULL;
}

int
ph_names_level(const char *s)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(s, levels[i]) == 0)
			return (int)i;
	return -1;
}

const char *
ph_names_level_str(int lvl)
{
	if (lvl < 0 || lvl > 7)
		return NULL;
	return levels[lvl];
}

size_t
ph_names_n_ports(void)
{
	return sizeof(ports) / sizeof(ports[0]);
}

size_t
ph_names_n_icmp(void)
{
	size_t n = 0;

	for (size_t i = 0; i < N_ICMP; i++)
		n += icmp_names[i] != NULL;
	return n;
}
