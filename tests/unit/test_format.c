/*
 * test_format.c - event -> PIX line: one row per message id with the exact
 * expected text (the seeds' lines where they exist), then framing: ASA
 * prefix, timestamp, device-id, severity override, level filter, PRI and
 * truncation.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/event.h>

#include "log/format.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define EP(ifn, a, ma, p, mp)                                             \
	{                                                                 \
		.ifname = ifn, .ip = a, .mip = ma, .port = p, .mport = mp \
	}

struct fcase {
	struct ph_event ev; /* id and fields; severity from the catalog */
	const char *want;
};

static const struct fcase cases[] = {
	/* seed: pix-pptp-through-the-pix.txt */
	{ { .id = 302013,
	    .conn_id = 4,
	    .proto = 6,
	    .inbound = false,
	    .ep = { EP("outside", IP(192, 168, 201, 25), IP(192, 168, 201, 25),
		       1723, 1723),
		    EP("inside", IP(10, 48, 66, 106), IP(192, 168, 201, 5),
		       4644, 4644) } },
	  "%PIX-6-302013: Built outbound TCP connection 4 for "
	  "outside:192.168.201.25/1723 (192.168.201.25/1723) to "
	  "inside:10.48.66.106/4644 (192.168.201.5/4644)" },
	/* seed: pix-pptp-through-the-pix.txt */
	{ { .id = 106010,
	    .proto = 47,
	    .ep = { EP("outside", IP(192, 168, 201, 25), 0, 0, 0),
		    EP("inside", IP(192, 168, 201, 5), 0, 0, 0) } },
	  "%PIX-3-106010: Deny inbound protocol 47 src "
	  "outside:192.168.201.25 dst inside:192.168.201.5" },
	/* seed: pix-pptp-to-the-pix.txt */
	{ { .id = 106011,
	    .proto = 1,
	    .icmp_type = 8,
	    .icmp_code = 0,
	    .ep = { EP("outside", IP(172, 17, 194, 164), 0, 0, 0),
		    EP("outside", IP(172, 18, 124, 201), 0, 0, 0) } },
	  "%PIX-3-106011: Deny inbound (No xlate) icmp src "
	  "outside:172.17.194.164 dst outside:172.18.124.201 "
	  "(type 8, code 0)" },
	{ { .id = 106011,
	    .proto = 6,
	    .ep = { EP("outside", IP(1, 2, 3, 4), 0, 1025, 0),
		    EP("outside", IP(5, 6, 7, 8), 0, 80, 0) } },
	  "%PIX-3-106011: Deny inbound (No xlate) tcp src "
	  "outside:1.2.3.4/1025 dst outside:5.6.7.8/80" },
	/* reference s3.1 (syslog-ng sample, without its framing) */
	{ { .id = 302014,
	    .conn_id = 1688438,
	    .proto = 6,
	    .duration_sec = 421,
	    .bytes = 16975,
	    .reason = "TCP FINs",
	    .ep = { EP("bloomberg-net", IP(1, 2, 3, 4), 0, 8294, 0),
		    EP("inside", IP(5, 6, 7, 8), 0, 3639, 0) } },
	  "%PIX-6-302014: Teardown TCP connection 1688438 for "
	  "bloomberg-net:1.2.3.4/8294 to inside:5.6.7.8/3639 duration "
	  "0:07:01 bytes 16975 TCP FINs" },
	/* no reason; hours past 24 */
	{ { .id = 302014,
	    .conn_id = 9,
	    .proto = 6,
	    .duration_sec = 90061,
	    .bytes = 5000000000ULL,
	    .ep = { EP("outside", IP(8, 8, 8, 8), 0, 443, 0),
		    EP("inside", IP(10, 0, 0, 2), 0, 51000, 0) } },
	  "%PIX-6-302014: Teardown TCP connection 9 for outside:8.8.8.8/443 "
	  "to inside:10.0.0.2/51000 duration 25:01:01 bytes 5000000000" },
	{ { .id = 302015,
	    .conn_id = 12,
	    .proto = 17,
	    .inbound = true,
	    .ep = { EP("outside", IP(198, 51, 100, 7), IP(198, 51, 100, 7),
		       5353, 5353),
		    EP("dmz", IP(172, 16, 1, 10), IP(203, 0, 113, 10), 53,
		       53) } },
	  "%PIX-6-302015: Built inbound UDP connection 12 for "
	  "outside:198.51.100.7/5353 (198.51.100.7/5353) to "
	  "dmz:172.16.1.10/53 (203.0.113.10/53)" },
	{ { .id = 302016,
	    .conn_id = 12,
	    .proto = 17,
	    .duration_sec = 120,
	    .bytes = 512,
	    .reason = "ignored: UDP has no reason",
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 5353, 0),
		    EP("dmz", IP(172, 16, 1, 10), 0, 53, 0) } },
	  "%PIX-6-302016: Teardown UDP connection 12 for "
	  "outside:198.51.100.7/5353 to dmz:172.16.1.10/53 duration 0:02:00 "
	  "bytes 512" },
	{ { .id = 302017,
	    .conn_id = 5,
	    .proto = 47,
	    .inbound = false,
	    .gre_cid = 1,
	    .gre_mcid = 40001,
	    .ep = { EP("outside", IP(192, 168, 201, 25), IP(192, 168, 201, 25),
		       0, 0),
		    EP("inside", IP(10, 48, 66, 106), IP(192, 168, 201, 5), 0,
		       0) } },
	  "%PIX-6-302017: Built outbound GRE connection 5 from "
	  "outside:192.168.201.25 (192.168.201.25) to "
	  "inside:10.48.66.106/1 (192.168.201.5/40001)" },
	{ { .id = 302018,
	    .conn_id = 5,
	    .proto = 47,
	    .gre_cid = 1,
	    .gre_mcid = 40001,
	    .duration_sec = 3725,
	    .bytes = 123456,
	    .ep = { EP("outside", IP(192, 168, 201, 25), IP(192, 168, 201, 25),
		       0, 0),
		    EP("inside", IP(10, 48, 66, 106), IP(192, 168, 201, 5), 0,
		       0) } },
	  "%PIX-6-302018: Teardown GRE connection 5 from "
	  "outside:192.168.201.25 (192.168.201.25) to "
	  "inside:10.48.66.106/1 (192.168.201.5/40001) duration 1:02:05 "
	  "bytes 123456" },
	{ { .id = 302020,
	    .proto = 1,
	    .icmp_seq = 3,
	    .inbound = false,
	    .ep = { EP("outside", IP(8, 8, 4, 4), 0, 0, 0),
		    EP("inside", IP(10, 1, 1, 5), IP(203, 0, 113, 1), 512,
		       17) } },
	  "%PIX-6-302020: Built outbound ICMP connection for faddr "
	  "8.8.4.4/3 gaddr 203.0.113.1/17 laddr 10.1.1.5/512" },
	{ { .id = 302021,
	    .proto = 1,
	    .icmp_seq = 3,
	    .ep = { EP("outside", IP(8, 8, 4, 4), 0, 0, 0),
		    EP("inside", IP(10, 1, 1, 5), IP(203, 0, 113, 1), 512,
		       17) } },
	  "%PIX-6-302021: Teardown ICMP connection for faddr 8.8.4.4/3 "
	  "gaddr 203.0.113.1/17 laddr 10.1.1.5/512" },
	{ { .id = 302010, .in_use = 42, .most_used = 1337 },
	  "%PIX-6-302010: 42 in use, 1337 most used" },
	{ { .id = 106001,
	    .proto = 6,
	    .tcp_flags = 0x02,
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 4000, 0),
		    EP("inside", IP(2, 2, 2, 2), 0, 23, 0) } },
	  "%PIX-2-106001: Inbound TCP connection denied from 1.1.1.1/4000 "
	  "to 2.2.2.2/23 flags SYN  on interface outside" },
	{ { .id = 106006,
	    .proto = 17,
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 4000, 0),
		    EP("inside", IP(2, 2, 2, 2), 0, 161, 0) } },
	  "%PIX-2-106006: Deny inbound UDP from 1.1.1.1/4000 to 2.2.2.2/161 "
	  "on interface outside" },
	{ { .id = 106007,
	    .proto = 17,
	    .text = "Response",
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 53, 0),
		    EP("inside", IP(2, 2, 2, 2), 0, 1030, 0) } },
	  "%PIX-2-106007: Deny inbound UDP from 1.1.1.1/53 to 2.2.2.2/1030 "
	  "due to DNS Response" },
	{ { .id = 106014,
	    .proto = 1,
	    .icmp_type = 8,
	    .icmp_code = 0,
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 0, 0),
		    EP("inside", IP(2, 2, 2, 2), 0, 0, 0) } },
	  "%PIX-3-106014: Deny inbound icmp src outside:1.1.1.1 dst "
	  "inside:2.2.2.2 (type 8, code 0)" },
	/* flags as ASA/PIX print them: words in header bit order, each with
	 * a trailing space */
	{ { .id = 106015,
	    .proto = 6,
	    .tcp_flags = 0x04,
	    .ep = { EP("inside", IP(10, 0, 0, 1), 0, 80, 0),
		    EP("outside", IP(9, 9, 9, 9), 0, 1234, 0) } },
	  "%PIX-6-106015: Deny TCP (no connection) from 10.0.0.1/80 to "
	  "9.9.9.9/1234 flags RST  on interface inside" },
	{ { .id = 106015,
	    .proto = 6,
	    .tcp_flags = 0x19,
	    .ep = { EP("inside", IP(10, 0, 0, 1), 0, 62938, 0),
		    EP("outside", IP(9, 9, 9, 9), 0, 80, 0) } },
	  "%PIX-6-106015: Deny TCP (no connection) from 10.0.0.1/62938 to "
	  "9.9.9.9/80 flags FIN PSH ACK  on interface inside" },
	{ { .id = 106023,
	    .proto = 6,
	    .acl_name = "outside_in",
	    .ep = { EP("outside", IP(1, 2, 3, 4), 0, 1025, 0),
		    EP("inside", IP(10, 0, 0, 5), 0, 80, 0) } },
	  "%PIX-4-106023: Deny tcp src outside:1.2.3.4/1025 dst "
	  "inside:10.0.0.5/80 by access-group \"outside_in\"" },
	{ { .id = 106023,
	    .proto = 1,
	    .icmp_type = 8,
	    .acl_name = "101",
	    .ep = { EP("outside", IP(1, 2, 3, 4), 0, 0, 0),
		    EP("inside", IP(10, 0, 0, 5), 0, 0, 0) } },
	  "%PIX-4-106023: Deny icmp src outside:1.2.3.4 dst inside:10.0.0.5 "
	  "(type 8, code 0) by access-group \"101\"" },
	{ { .id = 106023,
	    .proto = 47,
	    .acl_name = "101",
	    .ep = { EP("outside", IP(1, 2, 3, 4), 0, 0, 0),
		    EP("inside", IP(10, 0, 0, 5), 0, 0, 0) } },
	  "%PIX-4-106023: Deny protocol 47 src outside:1.2.3.4 dst "
	  "inside:10.0.0.5 by access-group \"101\"" },
	{ { .id = 106100,
	    .proto = 6,
	    .acl_name = "inside",
	    .acl_action = PH_EV_ACT_PERMITTED,
	    .hit_cnt = 1,
	    .first_hit = true,
	    .ep = { EP("inside", IP(10, 1, 2, 3), 0, 62938, 0),
		    EP("outside", IP(216, 1, 2, 3), 0, 80, 0) } },
	  "%PIX-6-106100: access-list inside permitted tcp "
	  "inside/10.1.2.3(62938) -> outside/216.1.2.3(80) hit-cnt 1 "
	  "(first hit)" },
	/* PIX 6.3 guide: for ICMP the source port reads 0 and the
	 * destination port the icmp type; ports set for ICMP are ignored */
	{ { .id = 106100,
	    .proto = 1,
	    .acl_name = "101",
	    .icmp_type = 8,
	    .acl_action = PH_EV_ACT_DENIED,
	    .hit_cnt = 17,
	    .interval = 300,
	    .ep = { EP("outside", IP(1, 2, 3, 4), 0, 99, 0),
		    EP("inside", IP(10, 0, 0, 5), 0, 98, 0) } },
	  "%PIX-6-106100: access-list 101 denied icmp outside/1.2.3.4(0) -> "
	  "inside/10.0.0.5(8) hit-cnt 17 (300-second interval)" },
	/* like the ASA configuration guide's example; a protocol without
	 * ports reads 0 and 0 */
	{ { .id = 106100,
	    .proto = 47,
	    .acl_name = "outside-acl",
	    .acl_action = PH_EV_ACT_DENIED,
	    .hit_cnt = 21,
	    .interval = 300,
	    .ep = { EP("outside", IP(3, 3, 3, 3), 0, 7, 0),
		    EP("inside", IP(192, 168, 1, 1), 0, 7, 0) } },
	  "%PIX-6-106100: access-list outside-acl denied protocol 47 "
	  "outside/3.3.3.3(0) -> inside/192.168.1.1(0) hit-cnt 21 "
	  "(300-second interval)" },
	{ { .id = 106101, .limit = 4096 },
	  "%PIX-1-106101: The number of ACL log deny-flows has reached "
	  "limit (4096)." },
	{ { .id = 305005,
	    .proto = 6,
	    .ep = { EP("inside", IP(10, 9, 9, 9), 0, 1111, 0),
		    EP("outside", IP(1, 1, 1, 1), 0, 80, 0) } },
	  "%PIX-3-305005: No translation group found for tcp src "
	  "inside:10.9.9.9/1111 dst outside:1.1.1.1/80" },
	{ { .id = 305006,
	    .proto = 17,
	    .xlate_kind = PH_EV_XK_PORTMAP,
	    .ep = { EP("inside", IP(10, 9, 9, 9), 0, 1111, 0),
		    EP("outside", IP(1, 1, 1, 1), 0, 53, 0) } },
	  "%PIX-3-305006: portmap translation creation failed for udp src "
	  "inside:10.9.9.9/1111 dst outside:1.1.1.1/53" },
	{ { .id = 305006,
	    .proto = 1,
	    .xlate_kind = PH_EV_XK_DYNAMIC,
	    .ep = { EP("inside", IP(10, 9, 9, 9), 0, 0, 0),
		    EP("outside", IP(1, 1, 1, 1), 0, 0, 0) } },
	  "%PIX-3-305006: regular translation creation failed for icmp src "
	  "inside:10.9.9.9 dst outside:1.1.1.1" },
	{ { .id = 305009,
	    .xlate_kind = PH_EV_XK_DYNAMIC,
	    .ep = { EP("inside", IP(10, 0, 0, 7), 0, 0, 0),
		    EP("outside", IP(203, 0, 113, 20), 0, 0, 0) } },
	  "%PIX-6-305009: Built dynamic translation from inside:10.0.0.7 to "
	  "outside:203.0.113.20" },
	{ { .id = 305009,
	    .xlate_kind = PH_EV_XK_STATIC,
	    .acl_name = "pnat",
	    .ep = { EP("inside", IP(10, 0, 0, 7), 0, 0, 0),
		    EP("outside", IP(203, 0, 113, 20), 0, 0, 0) } },
	  "%PIX-6-305009: Built static translation from inside(pnat):10.0.0.7 "
	  "to outside:203.0.113.20" },
	{ { .id = 305010,
	    .xlate_kind = PH_EV_XK_DYNAMIC,
	    .duration_sec = 10800,
	    .ep = { EP("inside", IP(10, 0, 0, 7), 0, 0, 0),
		    EP("outside", IP(203, 0, 113, 20), 0, 0, 0) } },
	  "%PIX-6-305010: Teardown dynamic translation from inside:10.0.0.7 "
	  "to outside:203.0.113.20 duration 3:00:00" },
	{ { .id = 305011,
	    .proto = 6,
	    .xlate_kind = PH_EV_XK_PORTMAP,
	    .ep = { EP("inside", IP(10, 48, 66, 106), 0, 4644, 0),
		    EP("outside", IP(192, 168, 201, 5), 0, 4644, 0) } },
	  "%PIX-6-305011: Built dynamic TCP translation from "
	  "inside:10.48.66.106/4644 to outside:192.168.201.5/4644" },
	{ { .id = 305011,
	    .proto = 1,
	    .xlate_kind = PH_EV_XK_PORTMAP,
	    .acl_name = "natacl",
	    .ep = { EP("inside", IP(10, 1, 1, 5), 0, 512, 0),
		    EP("outside", IP(203, 0, 113, 1), 0, 17, 0) } },
	  "%PIX-6-305011: Built dynamic ICMP translation from "
	  "inside(natacl):10.1.1.5/512 to outside:203.0.113.1/17" },
	{ { .id = 305012,
	    .proto = 17,
	    .xlate_kind = PH_EV_XK_STATIC,
	    .duration_sec = 30,
	    .ep = { EP("dmz", IP(172, 16, 1, 10), 0, 53, 0),
		    EP("outside", IP(203, 0, 113, 10), 0, 53, 0) } },
	  "%PIX-6-305012: Teardown static UDP translation from "
	  "dmz:172.16.1.10/53 to outside:203.0.113.10/53 duration 0:00:30" },
	/* pinhole's own */
	{ { .id = 901001,
	    .text = "truncated IPv4 header",
	    .ep = { EP("outside", 0, 0, 0, 0), EP(NULL, 0, 0, 0, 0) } },
	  "%PIX-4-901001: Dropped malformed packet on interface outside: "
	  "truncated IPv4 header" },
	{ { .id = 901001,
	    .text = "bad-ihl",
	    .suppressed = 99,
	    .ep = { EP("outside", 0, 0, 0, 0), EP(NULL, 0, 0, 0, 0) } },
	  "%PIX-4-901001: Dropped malformed packet on interface outside: "
	  "bad-ihl (99 more suppressed)" },
	{ { .id = 901002,
	    .proto = 6,
	    .limit = 100000,
	    .ep = { EP("inside", IP(10, 0, 0, 1), 0, 1000, 0),
		    EP("outside", IP(1, 1, 1, 1), 0, 443, 0) } },
	  "%PIX-3-901002: Connection table full (100000): dropped tcp src "
	  "inside:10.0.0.1/1000 dst outside:1.1.1.1/443" },
	{ { .id = 901003,
	    .conn_id = 3,
	    .proto = 6,
	    .text = "hold timeout",
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 1723, 0),
		    EP("inside", IP(10, 0, 0, 1), 0, 3000, 0) } },
	  "%PIX-4-901003: Dropped held segment of TCP connection 3 for "
	  "outside:1.1.1.1/1723 to inside:10.0.0.1/3000: hold timeout" },
	{ { .id = 902001,
	    .conn_id = 3,
	    .proto = 6,
	    .text = "protocol version 0x0200, not 0x0100",
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 1723, 0),
		    EP("inside", IP(10, 0, 0, 1), 0, 3000, 0) } },
	  "%PIX-4-902001: PPTP inspection stopped for TCP connection 3 for "
	  "outside:1.1.1.1/1723 to inside:10.0.0.1/3000: protocol version "
	  "0x0200, not 0x0100" },
	{ { .id = 902002,
	    .conn_id = 3,
	    .proto = 6,
	    .text = "OCRQ length 100, expected 168",
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 1723, 0),
		    EP("inside", IP(10, 0, 0, 1), 0, 3000, 0) } },
	  "%PIX-4-902002: Dropped malformed PPTP message on TCP connection "
	  "3 for outside:1.1.1.1/1723 to inside:10.0.0.1/3000: OCRQ length "
	  "100, expected 168" },
	{ { .id = 902003,
	    .conn_id = 3,
	    .proto = 6,
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 1723, 0),
		    EP("inside", IP(10, 0, 0, 1), IP(203, 0, 113, 1), 3000,
		       0) } },
	  "%PIX-3-902003: No free PPTP call ID on inside:203.0.113.1 for "
	  "TCP connection 3 for outside:1.1.1.1/1723 to "
	  "inside:10.0.0.1/3000" },
	{ { .id = 902004,
	    .conn_id = 3,
	    .proto = 6,
	    .text = "call ID in use",
	    .ep = { EP("outside", IP(1, 1, 1, 1), 0, 1723, 0),
		    EP("inside", IP(10, 0, 0, 1), 0, 3000, 0) } },
	  "%PIX-5-902004: PPTP call refused on TCP connection 3 for "
	  "outside:1.1.1.1/1723 to inside:10.0.0.1/3000: call ID in use" },
	/* limits of static/nat lines (engine_limit.c) */
	{ { .id = 201002,
	    .proto = 6,
	    .text = "static",
	    .most_used = 50,
	    .limit = 100,
	    .ep = { EP(NULL, 0, 0, 0, 0),
		    EP(NULL, IP(10, 0, 0, 5), IP(192, 0, 2, 5), 0, 0) } },
	  "%PIX-3-201002: Too many TCP connections on static 192.0.2.5! 50 "
	  "100" },
	{ { .id = 201003,
	    .proto = 6,
	    .in_use = 10,
	    .limit = 10,
	    .suppressed = 7,
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 4000, 0),
		    EP(NULL, IP(10, 0, 0, 5), IP(192, 0, 2, 5), 80, 80) } },
	  "%PIX-2-201003: Embryonic limit exceeded 10/10 for "
	  "198.51.100.7/4000 (192.0.2.5) 10.0.0.5/80 on interface outside "
	  "(7 more suppressed)" },
	{ { .id = 201004,
	    .proto = 17,
	    .text = "xlate",
	    .limit = 2,
	    .ep = { EP(NULL, 0, 0, 0, 0),
		    EP(NULL, IP(10, 0, 0, 5), IP(10, 0, 0, 5), 0, 0) } },
	  "%PIX-3-201004: Too many UDP connections on xlate 10.0.0.5! 2" },
	/* pinhole's state checks (engine_ev.c, engine_limit.c) */
	{ { .id = 901004,
	    .proto = 6,
	    .limit = 32768,
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 4000, 0),
		    EP("inside", IP(192, 0, 2, 5), 0, 80, 0) } },
	  "%PIX-3-901004: Embryonic connection limit (32768) reached: "
	  "dropped tcp src outside:198.51.100.7/4000 dst "
	  "inside:192.0.2.5/80" },
	{ { .id = 901005,
	    .proto = 6,
	    .text = "invalid flags",
	    .tcp_flags = 0x03,
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 4000, 0),
		    EP("outside", IP(192, 0, 2, 5), 0, 80, 0) } },
	  "%PIX-4-901005: Deny TCP (invalid flags) from 198.51.100.7/4000 to "
	  "192.0.2.5/80 flags FIN SYN  on interface outside" },
	{ { .id = 901006,
	    .proto = 1,
	    .text = "no connection for the quoted packet",
	    .icmp_type = 3,
	    .icmp_code = 3,
	    .suppressed = 2,
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 0, 0),
		    EP("outside", IP(192, 0, 2, 5), 0, 0, 0) } },
	  "%PIX-4-901006: Deny icmp (no connection for the quoted packet) "
	  "src outside:198.51.100.7 dst outside:192.0.2.5 (type 3, code 3) "
	  "(2 more suppressed)" },
	{ { .id = 901007,
	    .proto = 6,
	    .text = "id 77 offset 1480: no admitted first fragment",
	    .ep = { EP("outside", IP(198, 51, 100, 7), 0, 0, 0),
		    EP("outside", IP(192, 0, 2, 5), 0, 0, 0) } },
	  "%PIX-4-901007: Deny tcp fragment src outside:198.51.100.7 dst "
	  "192.0.2.5 (id 77 offset 1480: no admitted first fragment)" },
	/* interfaces: 411xxx (PIX's words), 903xxx (the host's side) */
	{ { .id = 411001, .ep = { EP("outside", 0, 0, 0, 0) } },
	  "%PIX-4-411001: Line protocol on Interface outside, changed state "
	  "to up" },
	{ { .id = 411002, .ep = { EP("dmz", 0, 0, 0, 0) } },
	  "%PIX-4-411002: Line protocol on Interface dmz, changed state to "
	  "down" },
	{ { .id = 411003, .ep = { EP("inside", 0, 0, 0, 0) } },
	  "%PIX-4-411003: Configuration status on Interface inside, changed "
	  "state to administratively up" },
	{ { .id = 411004, .ep = { EP("inside", 0, 0, 0, 0) } },
	  "%PIX-4-411004: Configuration status on Interface inside, changed "
	  "state to administratively down" },
	{ { .id = 903001,
	    .text = "eth1 (ifindex 9, was 4)",
	    .ep = { EP("outside", 0, 0, 0, 0) } },
	  "%PIX-5-903001: Interface outside is Linux interface eth1 "
	  "(ifindex 9, was 4)" },
	{ { .id = 903002, .text = "eth1", .ep = { EP("outside", 0, 0, 0, 0) } },
	  "%PIX-4-903002: Interface outside: Linux interface eth1 was "
	  "removed" },
	{ { .id = 903003,
	    .text = "eth1 (has 192.0.2.9/24)",
	    .ep = { EP("outside", IP(192, 0, 2, 1), 0, 0, 0) } },
	  "%PIX-4-903003: Interface outside address 192.0.2.1 is not on "
	  "Linux interface eth1 (has 192.0.2.9/24)" },
	{ { .id = 903004,
	    .text = "eth1 (has 192.0.2.1/24)",
	    .ep = { EP("outside", IP(192, 0, 2, 1), 0, 0, 0) } },
	  "%PIX-5-903004: Interface outside address 192.0.2.1 is on Linux "
	  "interface eth1 (has 192.0.2.1/24) again" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void
case_event(size_t i, struct ph_event *ev)
{
	*ev = cases[i].ev;
	ev->severity = ph_event_def(ev->id)->severity;
}

START_TEST(test_lines)
{
	struct ph_event ev;
	char line[512];
	int n;

	case_event((size_t)_i, &ev);
	n = ph_event_format(&ev, NULL, line, sizeof(line));
	ck_assert_str_eq(line, cases[_i].want);
	ck_assert_int_eq(n, (int)strlen(cases[_i].want));
}
END_TEST

/* Every catalog id appears in the table above. */
START_TEST(test_every_id_has_a_case)
{
	for (size_t i = 0; i < ph_event_def_count(); i++) {
		uint32_t id = ph_event_def_at(i)->id;
		bool found = false;

		for (size_t j = 0; j < N_CASES; j++)
			found = found || cases[j].ev.id == id;
		ck_assert_msg(found, "no test line for %u", id);
	}
}
END_TEST

static void
seed_event(struct ph_event *ev)
{
	case_event(0, ev); /* the 302013 seed line */
}

START_TEST(test_asa_prefix)
{
	struct ph_log_fmt f = { .asa_prefix = true };
	struct ph_event ev;
	char line[512];

	seed_event(&ev);
	ph_event_format(&ev, &f, line, sizeof(line));
	ck_assert_str_eq(line, "%ASA-6-302013: Built outbound TCP connection 4 "
			       "for outside:192.168.201.25/1723 "
			       "(192.168.201.25/1723) to inside:10.48.66.106/"
			       "4644 (192.168.201.5/4644)");
}
END_TEST

START_TEST(test_timestamp_and_devid)
{
	struct ph_log_fmt f = { .timestamp = true };
	struct ph_event ev;
	char line[512];

	f.wall.tm_year = 2007 - 1900;
	f.wall.tm_mon = 3;
	f.wall.tm_mday = 5;
	f.wall.tm_hour = 21;
	f.wall.tm_min = 8;
	f.wall.tm_sec = 3;
	case_event(4, &ev); /* 302014 syslog-ng sample */
	ph_event_format(&ev, &f, line, sizeof(line));
	ck_assert_str_eq(
		line,
		"Apr 05 2007 21:08:03: %PIX-6-302014: Teardown TCP connection "
		"1688438 for bloomberg-net:1.2.3.4/8294 to inside:5.6.7.8/3639 "
		"duration 0:07:01 bytes 16975 TCP FINs");

	f.device_id = "pix1";
	ph_event_format(&ev, &f, line, sizeof(line));
	ck_assert(strncmp(line, "Apr 05 2007 21:08:03 pix1 : %PIX-6-302014: ",
			  43) == 0);

	f.timestamp = false;
	ph_event_format(&ev, &f, line, sizeof(line));
	ck_assert(strncmp(line, "pix1 : %PIX-6-302014: Teardown", 30) == 0);

	f.device_id = "";
	ph_event_format(&ev, &f, line, sizeof(line));
	ck_assert(strncmp(line, "%PIX-6-302014: Teardown", 23) == 0);
}
END_TEST

/* 106100 carries the ACE's log level, not the catalog's. */
START_TEST(test_severity_override)
{
	struct ph_event ev;
	char line[512];

	case_event(22, &ev);
	ck_assert_uint_eq(ev.id, 106100);
	ev.severity = 2;
	ph_event_format(&ev, NULL, line, sizeof(line));
	ck_assert(strncmp(line, "%PIX-2-106100: access-list inside", 33) == 0);
	ev.severity = 7;
	ph_event_format(&ev, NULL, line, sizeof(line));
	ck_assert(strncmp(line, "%PIX-7-106100: ", 15) == 0);
	ck_assert(ph_event_level_filter(&ev, 7));
	ck_assert(!ph_event_level_filter(&ev, 6));
	ev.severity = 2;
	ck_assert(ph_event_level_filter(&ev, 2));
	ck_assert(ph_event_level_filter(&ev, 6));
	ck_assert(!ph_event_level_filter(&ev, 1));
	ck_assert(!ph_event_level_filter(&ev, -1));
}
END_TEST

START_TEST(test_pri)
{
	ck_assert_uint_eq(ph_log_pri(20, 6), 166);
	ck_assert_uint_eq(ph_log_pri(23, 6), 190);
	ck_assert_uint_eq(ph_log_pri(16, 0), 128);
	ck_assert_uint_eq(ph_log_pri(99, 99), 23 * 8 + 7);
}
END_TEST

/* Every buffer size from 0 up: no overrun, always terminated, prefix of
 * the full line, and the return value is the full length. */
START_TEST(test_truncation)
{
	struct ph_log_fmt f = { .timestamp = true, .device_id = "fw" };
	struct ph_event ev;
	char full[512];
	char small[600];
	int n;

	f.wall.tm_year = 124;
	f.wall.tm_mday = 1;
	seed_event(&ev);
	n = ph_event_format(&ev, &f, full, sizeof(full));
	ck_assert_int_gt(n, 100);
	for (size_t len = 0; len <= (size_t)n + 2; len++) {
		memset(small, '#', sizeof(small));
		ck_assert_int_eq(ph_event_format(&ev, &f, small, len), n);
		ck_assert_msg(small[len] == '#', "overrun at len %zu", len);
		if (len == 0)
			continue;
		ck_assert_uint_eq(strlen(small),
				  len - 1 < (size_t)n ? len - 1 : (size_t)n);
		ck_assert(strncmp(small, full, strlen(small)) == 0);
	}
	ck_assert_int_eq(ph_event_format(&ev, &f, NULL, 0), n);
}
END_TEST

START_TEST(test_text_only)
{
	struct ph_event ev;
	char line[512];
	int n;

	case_event(1, &ev);
	n = ph_event_format_text(&ev, line, sizeof(line));
	ck_assert_str_eq(line,
			 "Deny inbound protocol 47 src "
			 "outside:192.168.201.25 dst inside:192.168.201.5");
	ck_assert_int_eq(n, (int)strlen(line));
}
END_TEST

/* A NULL interface name prints "?" rather than crashing. */
START_TEST(test_null_strings)
{
	struct ph_event ev;
	char line[512];

	ph_event_init(&ev, PH_EV_ACL_DENIED, ph_time_from_sec(0));
	ev.proto = 6;
	ph_event_format(&ev, NULL, line, sizeof(line));
	ck_assert_str_eq(line, "%PIX-4-106023: Deny tcp src ?:0.0.0.0/0 dst "
			       "?:0.0.0.0/0 by access-group \"\"");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("lines");
	TCase *tf = tcase_create("framing");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_lines, 0, (int)N_CASES);
	tcase_add_test(tc, test_every_id_has_a_case);
	tcase_add_test(tc, test_text_only);
	tcase_add_test(tc, test_null_strings);
	tcase_add_test(tf, test_asa_prefix);
	tcase_add_test(tf, test_timestamp_and_devid);
	tcase_add_test(tf, test_severity_override);
	tcase_add_test(tf, test_pri);
	tcase_add_test(tf, test_truncation);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tf);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
