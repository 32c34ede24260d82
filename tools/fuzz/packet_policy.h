/*
 * tools/fuzz/packet_policy.h - the fixed PIX policy of the packet fuzzer
 * (fuzz_packet.c) and of its seed generator (mkseeds.c), and the engine
 * options both use, so seeds built against it reach the same state in
 * the fuzzer: the same PAT ports, translated call IDs and connections.
 *
 * Hosts: inside 10.0.0.0/24 (gateway 10.0.0.1), dmz 172.16.0.0/24
 * (servers 172.16.0.80 = static 192.0.2.80), outside 192.0.2.0/24
 * (interface 192.0.2.1; inside hosts PAT to 192.0.2.10, then to the
 * interface, except 10.0.0.64/26: dynamic NAT to 192.0.2.20-21),
 * remote hosts anywhere (198.51.100.7, 203.0.113.9 in the seeds).
 */
#ifndef PH_FUZZ_PACKET_POLICY_H
#define PH_FUZZ_PACKET_POLICY_H

#include <pinhole/engine.h>

/* Addresses here are the ones tools/fuzz/pinhole.dict lists. */
#define CONF_COMMON                                           \
	"PIX Version 6.3(4)\n"                                \
	"nameif ethernet0 outside security0\n"                \
	"nameif ethernet1 inside security100\n"               \
	"nameif ethernet2 dmz security50\n"                   \
	"hostname fuzzpix\n"                                  \
	"fixup protocol pptp 1723\n"                          \
	"fixup protocol ftp 21\n"                             \
	"logging on\n"                                        \
	"logging timestamp\n"                                 \
	"logging trap debugging\n"                            \
	"logging buffered informational\n"                    \
	"logging device-id hostname\n"                        \
	"ip address outside 192.0.2.1 255.255.255.0\n"        \
	"ip address inside 10.0.0.1 255.255.255.0\n"          \
	"ip address dmz 172.16.0.1 255.255.255.0\n"           \
	"route outside 0.0.0.0 0.0.0.0 192.0.2.254 1\n"       \
	"route inside 10.1.0.0 255.255.0.0 10.0.0.254 1\n"    \
	"access-list NONAT permit ip 10.0.0.0 255.255.255.0 " \
	"172.16.0.0 255.255.255.0\n"                          \
	"nat (inside) 0 access-list NONAT\n"                  \
	"nat (inside) 1 10.0.0.0 255.255.0.0 0 0\n"           \
	"nat (dmz) 1 0 0\n"                                   \
	"nat (inside) 2 10.0.0.64 255.255.255.192 0 0\n"      \
	"global (outside) 1 192.0.2.10\n"                     \
	"global (outside) 2 192.0.2.20-192.0.2.21\n"          \
	"global (outside) 1 interface\n"                      \
	"global (dmz) 1 172.16.0.200\n"                       \
	"static (inside,outside) tcp interface 2222 10.0.0.22 22 0 0\n"

static const char fuzz_conf_a[] = CONF_COMMON
	"access-list out permit tcp any host 192.0.2.80 eq 1723\n"
	"access-list out permit gre any host 192.0.2.80\n"
	"access-list out permit tcp any host 192.0.2.80 eq www log 7\n"
	"access-list out permit icmp any any echo-reply\n"
	"access-list out deny ip any any log\n"
	"access-group out in interface outside\n"
	"static (dmz,outside) 192.0.2.80 172.16.0.80 netmask "
	"255.255.255.255 10 5\n"
	"conduit permit udp any any\n"
	"timeout xlate 0:05:00 conn 0:10:00 udp 0:02:00 icmp 0:00:02\n";

/* The reload: another static and ACL, so translations and connections
 * the new policy no longer allows are torn down. */
static const char fuzz_conf_b[] =
	CONF_COMMON "access-list out permit tcp any host 192.0.2.81 eq www\n"
		    "access-list out permit gre any any\n"
		    "access-group out in interface outside\n"
		    "static (dmz,outside) 192.0.2.81 172.16.0.80\n"
		    "conduit permit icmp any any\n";

/* Engine options (emit is set by the user). */
static const struct ph_engine_opts fuzz_engine_opts = {
	.seed = { 0x1111, 0x2222 },
	.max_conns = 64,
	.max_xlates = 32,
	.max_frags = 8,
	.tick_budget = 16,
};

#define FUZZ_T0_SEC 1000 /* the engine's clock at the start of an input */

#endif /* PH_FUZZ_PACKET_POLICY_H */
