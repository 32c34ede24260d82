/*
 * bench/udpgen.c - ph-udpgen: a UDP load generator for the gateway
 * benchmarks (bench/run.sh).
 *
 * Sends UDP datagrams to one destination from many source ports (one
 * port per "flow"), round robin over the flows, with sendmmsg(2) in
 * batches, at a fixed packet rate or unlimited, for a fixed time.  Each
 * payload starts with the header of bench/benchutil.h (magic, flow id,
 * per-flow sequence number), which ph-udpsink uses to count loss per flow
 * even when a NAT rewrote the ports.
 *
 * Two ways to send:
 *   - default: a raw IPv4 socket (IPPROTO_RAW, so IP_HDRINCL): routed and
 *     neighbour-resolved by the kernel, no UDP socket lookup per port;
 *   - --iface IF --dst-mac MAC: an AF_PACKET socket with
 *     PACKET_QDISC_BYPASS writing whole Ethernet frames to IF, the
 *     cheapest path per packet, for overload runs (offered load many
 *     times what the gateway can take).
 * Both build the same IPv4/UDP packet with correct checksums.
 *
 * Output (stdout, one line, for scripts):
 *   udpgen sent=N errors=E secs=T pps=P flows=F size=S
 *
 * Limits: IPv4 only; one source address; flows <= 65535 - sport base.
 * Rate pacing is per batch (batches shrink to rate/1000 so a paced run
 * sends at least every millisecond).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define GEN_BATCH_MAX 256
#define GEN_FRAME_MAX 1536

struct gen_cfg {
	struct in_addr src, dst;
	bool have_src;
	uint16_t dport, sport_base;
	uint32_t dport_span; /* >1: destination port per round, new tuples */
	uint32_t flows, flow_base;
	uint32_t size; /* UDP payload bytes */
	uint64_t rate; /* packets per second, 0 = unlimited */
	double duration;
	uint32_t batch;
	const char *iface;
	uint8_t dmac[6];
	bool have_dmac;
};

struct gen {
	const struct gen_cfg *c;
	int fd;
	size_t l2; /* 14 with AF_PACKET, else 0 */
	uint8_t smac[6];
	struct sockaddr_in sin;
	struct sockaddr_ll sll;
	uint8_t frames[GEN_BATCH_MAX][GEN_FRAME_MAX];
	struct iovec iov[GEN_BATCH_MAX];
	struct mmsghdr msg[GEN_BATCH_MAX];
	uint64_t next; /* packets sent so far = index of the next one */
	uint64_t errors;
};

static volatile sig_atomic_t gen_stop;

static void
gen_on_signal(int sig)
{
	(void)sig;
	gen_stop = 1;
}

static void
gen_usage(FILE *f)
{
	fprintf(f,
		"usage: ph-udpgen --dst IP [options]\n"
		"  --dst IP          destination address\n"
		"  --port N          destination port (default 9000)\n"
		"  --src IP          source address (default: the route's)\n"
		"  --flows N         source ports / flows (default 1024)\n"
		"  --sport-base N    first source port (default 10000)\n"
		"  --flow-base N     first flow id in the payload (default 0)\n"
		"  --dport-span N    round r goes to port + r %% N: every\n"
		"                    datagram a new flow for N rounds (a flood\n"
		"                    of new connections; default 1)\n"
		"  --size N          UDP payload bytes, 16-1472 (default 64)\n"
		"  --rate PPS        packets per second, 0 = unlimited "
		"(default 0)\n"
		"  --duration SEC    how long to send (default 3)\n"
		"  --batch N         messages per sendmmsg, 1-%d (default 64)\n"
		"  --iface IF        send raw frames on IF (AF_PACKET) ...\n"
		"  --dst-mac MAC     ... to this next-hop MAC\n",
		GEN_BATCH_MAX);
}

static bool
gen_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &extra) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return true;
}

enum {
	O_DST = 256,
	O_PORT,
	O_SRC,
	O_FLOWS,
	O_SPORT,
	O_FLOWBASE,
	O_SIZE,
	O_RATE,
	O_DUR,
	O_BATCH,
	O_IFACE,
	O_DMAC,
	O_DSPAN,
};

static const struct option gen_opts[] = {
	{ "dst", required_argument, NULL, O_DST },
	{ "port", required_argument, NULL, O_PORT },
	{ "src", required_argument, NULL, O_SRC },
	{ "flows", required_argument, NULL, O_FLOWS },
	{ "sport-base", required_argument, NULL, O_SPORT },
	{ "flow-base", required_argument, NULL, O_FLOWBASE },
	{ "size", required_argument, NULL, O_SIZE },
	{ "rate", required_argument, NULL, O_RATE },
	{ "duration", required_argument, NULL, O_DUR },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "iface", required_argument, NULL, O_IFACE },
	{ "dst-mac", required_argument, NULL, O_DMAC },
	{ "dport-span", required_argument, NULL, O_DSPAN },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
gen_parse_one(struct gen_cfg *c, int opt, const char *a)
{
	uint64_t v;

	switch (opt) {
	case O_DST:
		return inet_pton(AF_INET, a, &c->dst) == 1;
	case O_SRC:
		c->have_src = true;
		return inet_pton(AF_INET, a, &c->src) == 1;
	case O_PORT:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->dport = (uint16_t)v;
		return true;
	case O_FLOWS:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->flows = (uint32_t)v;
		return true;
	case O_SPORT:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->sport_base = (uint16_t)v;
		return true;
	case O_FLOWBASE:
		if (!bu_parse_u64(a, 0, UINT32_MAX / 2, &v))
			return false;
		c->flow_base = (uint32_t)v;
		return true;
	case O_SIZE:
		if (!bu_parse_u64(a, BU_HDR_LEN, BU_MAX_PAYLOAD, &v))
			return false;
		c->size = (uint32_t)v;
		return true;
	case O_RATE:
		return bu_parse_u64(a, 0, 100000000, &c->rate);
	case O_DUR:
		return bu_parse_double(a, 0.01, 3600, &c->duration);
	case O_BATCH:
		if (!bu_parse_u64(a, 1, GEN_BATCH_MAX, &v))
			return false;
		c->batch = (uint32_t)v;
		return true;
	case O_IFACE:
		c->iface = a;
		return strlen(a) > 0 && strlen(a) < IFNAMSIZ;
	case O_DMAC:
		c->have_dmac = true;
		return gen_parse_mac(a, c->dmac);
	case O_DSPAN:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->dport_span = (uint32_t)v;
		return true;
	}
	return false;
}

/* 0 run, 1 help, 2 usage error. */
static int
gen_parse_args(struct gen_cfg *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", gen_opts, NULL)) != -1) {
		if (opt == 'h') {
			gen_usage(stdout);
			return 1;
		}
		if (opt == '?' || !gen_parse_one(c, opt, optarg)) {
			fprintf(stderr, "ph-udpgen: bad option value: %s\n",
				optarg ? optarg : "?");
			return 2;
		}
	}
	if (optind != argc || c->dst.s_addr == 0 ||
	    (c->iface != NULL) != c->have_dmac ||
	    (uint32_t)c->sport_base + c->flows - 1 > 65535 ||
	    (uint32_t)c->dport + (c->dport_span ? c->dport_span : 1) - 1 >
		    65535) {
		fprintf(stderr, "ph-udpgen: need --dst; --iface goes with "
				"--dst-mac; sport-base + flows <= 65536; "
				"port + dport-span <= 65536\n");
		return 2;
	}
	return 0;
}

/* The kernel's source address for dst (connect a UDP socket, no send). */
static int
gen_route_src(struct gen_cfg *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(c->dport),
				  .sin_addr = c->dst };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
		c->src = sa.sin_addr;
		rc = 0;
	}
	close(fd);
	return rc;
}

/* Ones' complement sum of len bytes, big-endian words, unfolded. */
static uint32_t
gen_sum(const uint8_t *p, size_t len, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len)
		acc += (uint32_t)p[i] << 8;
	return acc;
}

static uint16_t
gen_fold(uint32_t acc)
{
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void
gen_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Packet number n (flow n % flows, sequence n / flows) into f. */
static size_t
gen_build(struct gen *g, uint64_t n, uint8_t *f)
{
	const struct gen_cfg *c = g->c;
	uint32_t flow = (uint32_t)(n % c->flows);
	uint8_t *ip = f + g->l2, *udp = ip + 20, *pl = udp + 8;
	size_t ulen = 8 + c->size;
	uint32_t acc;
	uint16_t ck;

	gen_put16(ip + 2, (uint16_t)(20 + ulen));
	gen_put16(ip + 4, (uint16_t)n);
	gen_put16(ip + 10, 0);
	gen_put16(ip + 10, gen_fold(gen_sum(ip, 20, 0)));
	gen_put16(udp, (uint16_t)(c->sport_base + flow));
	if (c->dport_span > 1)
		gen_put16(udp + 2, (uint16_t)(c->dport + (n / c->flows) %
							     c->dport_span));
	bu_put32(pl + 4, c->flow_base + flow);
	bu_put64(pl + 8, n / c->flows);
	gen_put16(udp + 6, 0);
	acc = gen_sum(ip + 12, 8, 17 + (uint32_t)ulen);
	ck = gen_fold(gen_sum(udp, ulen, acc));
	gen_put16(udp + 6, ck ? ck : 0xffff);
	return g->l2 + 20 + ulen;
}

/* Fixed fields of every frame, and the message array. */
static void
gen_templates(struct gen *g)
{
	const struct gen_cfg *c = g->c;

	for (uint32_t i = 0; i < GEN_BATCH_MAX; i++) {
		uint8_t *f = g->frames[i], *ip = f + g->l2;

		memset(f, 0, GEN_FRAME_MAX);
		if (g->l2) {
			memcpy(f, c->dmac, 6);
			memcpy(f + 6, g->smac, 6);
			gen_put16(f + 12, ETH_P_IP);
		}
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &c->src, 4);
		memcpy(ip + 16, &c->dst, 4);
		gen_put16(ip + 22, c->dport);
		gen_put16(ip + 24, (uint16_t)(8 + c->size));
		memset(ip + 28, 'x', c->size);
		bu_put32(ip + 28, BU_MAGIC);
		g->iov[i].iov_base = f;
		g->msg[i].msg_hdr.msg_iov = &g->iov[i];
		g->msg[i].msg_hdr.msg_iovlen = 1;
		if (g->l2) {
			g->msg[i].msg_hdr.msg_name = &g->sll;
			g->msg[i].msg_hdr.msg_namelen = sizeof(g->sll);
		} else {
			g->msg[i].msg_hdr.msg_name = &g->sin;
			g->msg[i].msg_hdr.msg_namelen = sizeof(g->sin);
		}
	}
}

static int
gen_open_packet(struct gen *g)
{
	const struct gen_cfg *c = g->c;
	struct ifreq ifr = { 0 };
	int one = 1, idx = (int)if_nametoindex(c->iface);

	if (idx == 0)
		return -1;
	g->fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (g->fd < 0)
		return -1;
	memcpy(ifr.ifr_name, c->iface, strlen(c->iface) + 1);
	if (ioctl(g->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(g->smac, ifr.ifr_hwaddr.sa_data, 6);
	(void)setsockopt(g->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			 sizeof(one));
	g->sll.sll_family = AF_PACKET;
	g->sll.sll_ifindex = idx;
	g->sll.sll_protocol = htons(ETH_P_IP);
	g->sll.sll_halen = 6;
	memcpy(g->sll.sll_addr, c->dmac, 6);
	g->l2 = 14;
	return 0;
}

static int
gen_open(struct gen *g)
{
	int sz = 4 << 20;

	if (g->c->iface != NULL) {
		if (gen_open_packet(g) < 0)
			return -1;
	} else {
		g->fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		if (g->fd < 0)
			return -1;
		g->sin.sin_family = AF_INET;
		g->sin.sin_addr = g->c->dst;
	}
	(void)setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	gen_templates(g);
	return 0;
}

/* Wait until packet number `n` is due; false when the run is over. */
static bool
gen_pace(const struct gen *g, uint64_t start, uint64_t end, uint64_t n)
{
	uint64_t due = start + n * 1000000000ull / g->c->rate, now;
	struct timespec ts;

	for (;;) {
		now = bu_now_ns();
		if (now >= end || gen_stop)
			return false;
		if (now >= due)
			return true;
		if (due - now > 50000) {
			ts.tv_sec = 0;
			ts.tv_nsec = (long)(due - now - 20000);
			nanosleep(&ts, NULL);
		}
	}
}

/* How many packets to send now (>= 1). */
static uint32_t
gen_batch_now(const struct gen *g, uint64_t start, uint64_t now)
{
	const struct gen_cfg *c = g->c;
	uint64_t due, n = c->batch;

	if (c->rate == 0)
		return c->batch;
	due = (now - start) * c->rate / 1000000000ull + 1;
	if (due > g->next && due - g->next < n)
		n = due - g->next;
	if (n < 1)
		n = 1;
	return (uint32_t)n;
}

static void
gen_run(struct gen *g)
{
	const struct gen_cfg *c = g->c;
	uint64_t start = bu_now_ns(), now = start;
	uint64_t end = start + (uint64_t)(c->duration * 1e9);
	uint32_t n, i;
	int r;

	while (!gen_stop) {
		if (c->rate != 0 && !gen_pace(g, start, end, g->next))
			break;
		now = bu_now_ns();
		if (now >= end)
			break;
		n = gen_batch_now(g, start, now);
		for (i = 0; i < n; i++)
			g->iov[i].iov_len =
				gen_build(g, g->next + i, g->frames[i]);
		r = sendmmsg(g->fd, g->msg, n, 0);
		if (r < 0) {
			g->errors++;
			continue;
		}
		g->next += (uint64_t)r;
	}
	now = bu_now_ns();
	printf("udpgen sent=%llu errors=%llu secs=%.3f pps=%.0f flows=%u "
	       "size=%u\n",
	       (unsigned long long)g->next, (unsigned long long)g->errors,
	       (double)(now - start) / 1e9,
	       (double)g->next * 1e9 / (double)(now - start), c->flows,
	       c->size);
}

int
main(int argc, char **argv)
{
	struct gen_cfg c = { .dport = 9000,
			     .sport_base = 10000,
			     .flows = 1024,
			     .size = 64,
			     .duration = 3,
			     .batch = 64 };
	static struct gen g;
	int rc = gen_parse_args(&c, argc, argv);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	if (!c.have_src && gen_route_src(&c) < 0) {
		perror("ph-udpgen: no route to --dst");
		return 1;
	}
	g.c = &c;
	g.fd = -1;
	if (gen_open(&g) < 0) {
		perror("ph-udpgen: socket");
		return 1;
	}
	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);
	gen_run(&g);
	close(g.fd);
	return 0;
}
