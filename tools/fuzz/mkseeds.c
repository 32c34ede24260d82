/*
 * tools/fuzz/mkseeds.c - write the seed corpora of the packet, PPTP and
 * control fuzzers (tools/fuzz/corpus/{packet,pptp,ctl}/).
 *
 * usage: mkseeds OUTDIR     (writes OUTDIR/packet/, pptp/, ctl/, acl/)
 * With MKSEEDS_VERBOSE=1 it prints each packet's verdict to stderr.
 *
 * Packet seeds are conversations built with tests/unit/pktbuild.h and
 * pptpbuild.h in fuzz_packet.c's record framing.  Replies must reach the
 * translated address, port and PPTP call ID the engine chose, so every
 * packet is also run through an engine set up exactly as the fuzzer's
 * (tools/fuzz/packet_policy.h: same policy, seed and limits, same clock),
 * and the replies are addressed from what it rewrote: the fuzzer then
 * replays each seed into the same states.  PPTP seeds are conversations
 * in fuzz_pptp.c's framing (whole, split, byte by byte, retransmitted);
 * control seeds are request frames for every command and response
 * chunk streams; ACL seeds are pseudo-random rule sets and keys.
 *
 * Built and run by tools/fuzz/mkcorpus.sh; links libpinhole.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pinhole/engine.h>
#include <pinhole/policy.h>
#include <pinhole/reason.h>

#include "core/idalloc.h"

#include "../../tests/unit/pktbuild.h"
#include "../../tests/unit/pptpbuild.h"
#include "packet_policy.h"

#define A(a, b, c, d) PB_A(a, b, c, d)
#define SEED_MAX      65536

static const char *outdir;
static bool verbose;

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
write_seed(const char *target, const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b, 1, n, f) != n || fclose(f) != 0)
		die(path);
}

/* --- packet seeds ------------------------------------------------------- */

enum { IF_OUT = 0, IF_IN = 1, IF_DMZ = 2 };

struct sg {
	uint8_t seed[SEED_MAX];
	size_t n;
	struct ph_engine *eng;
	struct ph_policy *pol[2];
	int cur;
	ph_time_t now;
	uint64_t token;
	uint8_t pkt[2048]; /* the last packet, as the engine left it */
	size_t plen;
	uint8_t rel[2048]; /* payload of the last packet released from hold */
	size_t nrel;
	struct ph_pkt_out out;
};

static struct ph_policy *
parse(const char *text)
{
	struct ph_policy *pol = NULL;

	if (ph_policy_parse(text, strlen(text), NULL, &pol, NULL) != 0) {
		fprintf(stderr, "mkseeds: the fuzz policy does not parse\n");
		exit(1);
	}
	return pol;
}

static void
sg_start(struct sg *g)
{
	memset(g, 0, sizeof(*g));
	g->pol[0] = parse(fuzz_conf_a);
	g->pol[1] = parse(fuzz_conf_b);
	g->eng = ph_engine_new(&fuzz_engine_opts);
	if (g->eng == NULL)
		die("ph_engine_new");
	g->now = ph_time_from_sec(FUZZ_T0_SEC);
	ph_engine_set_policy(g->eng, g->pol[0], g->now);
}

static void
sg_finish(struct sg *g, const char *name)
{
	if (verbose)
		fprintf(stderr, "packet seed %s\n", name);
	write_seed("packet", name, g->seed, g->n);
	ph_engine_free(g->eng);
	ph_policy_free(g->pol[0]);
	ph_policy_free(g->pol[1]);
}

static void
sg_record(struct sg *g, uint8_t ctl, uint8_t dt, const uint8_t *b, size_t n)
{
	if (g->n + 4 + n > sizeof(g->seed)) {
		fprintf(stderr, "mkseeds: seed too large\n");
		exit(1);
	}
	g->seed[g->n++] = ctl;
	g->seed[g->n++] = dt;
	g->seed[g->n++] = (uint8_t)(n >> 8);
	g->seed[g->n++] = (uint8_t)n;
	memcpy(g->seed + g->n, b, n);
	g->n += n;
	g->now = ph_time_from_ns(
		g->now.ns +
		(ctl & 0x80 ? dt * 60 * PH_NSEC_PER_SEC : dt * 50000000ULL));
}

static void
sg_drain(struct sg *g)
{
	struct ph_pkt_released rel;
	size_t hl, th;

	while (ph_engine_release(g->eng, &rel)) {
		if (verbose)
			fprintf(stderr, "  released: %s\n",
				rel.out.verdict == PH_VERDICT_ACCEPT ? "accept"
								     : "drop");
		if (rel.len < 40 || rel.data[9] != PH_IPPROTO_TCP)
			continue;
		hl = pb_hlen(rel.data);
		th = (size_t)(rel.data[hl + 12] >> 4) * 4;
		if (hl + th > rel.len || rel.len - hl - th > sizeof(g->rel))
			continue;
		g->nrel = rel.len - hl - th;
		memcpy(g->rel, rel.data + hl + th, g->nrel);
	}
}

/* g->pkt holds plen bytes built by the caller: record and process it. */
static int
sg_send(struct sg *g, int ifidx, uint8_t dt)
{
	struct ph_pkt_in in = { .data = g->pkt,
				.len = g->plen,
				.ifidx = (uint16_t)ifidx,
				.token = ++g->token };

	sg_record(g, (uint8_t)ifidx, dt, g->pkt, g->plen);
	ph_engine_process(g->eng, &in, g->now, &g->out);
	if (verbose)
		fprintf(stderr, "  if%d proto %u len %zu: %s%s\n", ifidx,
			g->plen > 9 ? g->pkt[9] : 0, g->plen,
			g->out.verdict == PH_VERDICT_ACCEPT ? "accept"
			: g->out.verdict == PH_VERDICT_HOLD ? "hold"
							    : "drop ",
			g->out.verdict == PH_VERDICT_DROP
				? ph_reason_name(g->out.reason)
				: "");
	sg_drain(g);
	return g->out.verdict;
}

/* An operation record (fuzz_packet.c operation()): 0 clear xlate, 1
 * clear conn, 2 reload, 3 show, 4 tick; with a time step in minutes. */
static void
sg_op(struct sg *g, uint8_t which, uint8_t minutes)
{
	sg_record(g, 0x20 | 0x80, minutes, &which, 1);
	switch (which) {
	case 0:
		ph_engine_clear_xlate(g->eng, g->now);
		break;
	case 1:
		ph_engine_clear_conn(g->eng, g->now);
		break;
	case 2:
		g->cur ^= 1;
		ph_engine_set_policy(g->eng, g->pol[g->cur], g->now);
		break;
	case 4:
		ph_engine_tick(g->eng, g->now);
		break;
	default:
		break;
	}
	sg_drain(g);
}

/* One TCP endpoint pair's sequence numbers. */
struct flow {
	uint32_t src, dst;
	uint16_t sp, dp;
	uint32_t seq, ack;
};

static int
sg_tcp(struct sg *g, int ifidx, struct flow *f, uint8_t flags,
       const uint8_t *pl, size_t plen, uint8_t dt)
{
	struct pb_ip ip = { .src = f->src, .dst = f->dst, .id = 7 };
	struct pb_tcp t = { .sport = f->sp,
			    .dport = f->dp,
			    .seq = f->seq,
			    .ack = f->ack,
			    .flags = flags };

	g->plen = pb_tcp(g->pkt, &ip, &t, pl, plen);
	f->seq += (uint32_t)plen + ((flags & (PH_TCP_SYN | PH_TCP_FIN)) != 0);
	return sg_send(g, ifidx, dt);
}

/* The source address and port of the last packet as it left. */
static void
sg_learn_src(const struct sg *g, uint32_t *addr, uint16_t *port)
{
	*addr = pb_get32(g->pkt + 12);
	*port = pb_get16(g->pkt + pb_hlen(g->pkt));
}

/*
 * A TCP connection from host a (on if ia) to b (on if ib).  The reply
 * goes to what the engine made of a, and comes from b's mapped address
 * (mb, or b itself when mb is 0).  Leaves both flows established.
 */
static void
sg_connect(struct sg *g, int ia, struct flow *fa, int ib, struct flow *fb,
	   uint32_t mb)
{
	uint32_t ga;
	uint16_t gp;

	fa->seq = 1000;
	fb->seq = 500000;
	sg_tcp(g, ia, fa, PH_TCP_SYN, NULL, 0, 1);
	sg_learn_src(g, &ga, &gp);
	/* b answers the translated a; a sees b's mapped address */
	fb->src = fb->src ? fb->src : fa->dst;
	fb->dst = ga;
	fb->sp = fa->dp;
	fb->dp = gp;
	(void)mb;
	fb->ack = fa->seq;
	sg_tcp(g, ib, fb, PH_TCP_SYN | PH_TCP_ACK, NULL, 0, 1);
	fa->ack = fb->seq;
	sg_tcp(g, ia, fa, PH_TCP_ACK, NULL, 0, 1);
}

static void
sg_close(struct sg *g, int ia, struct flow *fa, int ib, struct flow *fb)
{
	sg_tcp(g, ia, fa, PH_TCP_FIN | PH_TCP_ACK, NULL, 0, 2);
	fb->ack = fa->seq;
	sg_tcp(g, ib, fb, PH_TCP_FIN | PH_TCP_ACK, NULL, 0, 2);
	fa->ack = fb->seq;
	sg_tcp(g, ia, fa, PH_TCP_ACK, NULL, 0, 2);
}

/* Send data both ways once. */
static void
sg_chat(struct sg *g, int ia, struct flow *fa, int ib, struct flow *fb)
{
	static const uint8_t req[] = "GET / HTTP/1.0\r\n\r\n";
	static const uint8_t rsp[] = "HTTP/1.0 200 OK\r\n\r\nhello";

	sg_tcp(g, ia, fa, PH_TCP_PSH | PH_TCP_ACK, req, sizeof(req) - 1, 3);
	fb->ack = fa->seq;
	sg_tcp(g, ib, fb, PH_TCP_PSH | PH_TCP_ACK, rsp, sizeof(rsp) - 1, 3);
	fa->ack = fb->seq;
}

static void
seed_tcp_pat(void)
{
	struct sg g;
	struct flow a = { A(10, 0, 0, 5), A(198, 51, 100, 7), 1025, 80, 0, 0 };
	struct flow b = { 0 };

	sg_start(&g);
	sg_connect(&g, IF_IN, &a, IF_OUT, &b, 0);
	sg_chat(&g, IF_IN, &a, IF_OUT, &b);
	sg_close(&g, IF_IN, &a, IF_OUT, &b);
	sg_op(&g, 3, 0);
	sg_finish(&g, "tcp-pat");
}

static void
seed_tcp_nonat_dmz(void)
{
	struct sg g;
	struct flow a = { A(10, 0, 0, 6), A(172, 16, 0, 80), 2000, 80, 0, 0 };
	struct flow b = { 0 };

	sg_start(&g);
	sg_connect(&g, IF_IN, &a, IF_DMZ, &b, 0);
	sg_chat(&g, IF_IN, &a, IF_DMZ, &b);
	sg_tcp(&g, IF_DMZ, &b, PH_TCP_RST | PH_TCP_ACK, NULL, 0, 1);
	sg_finish(&g, "tcp-nonat-dmz");
}

/* Inbound to the static 192.0.2.80 = dmz 172.16.0.80 (ACL: www). */
static void
seed_tcp_static_in(void)
{
	struct sg g;
	struct flow a = {
		A(198, 51, 100, 7), A(192, 0, 2, 80), 3333, 80, 0, 0
	};
	struct flow b = { A(172, 16, 0, 80), 0, 0, 0, 0, 0 };

	sg_start(&g);
	a.seq = 77;
	sg_tcp(&g, IF_OUT, &a, PH_TCP_SYN, NULL, 0, 1);
	b.dst = a.src;
	b.sp = 80;
	b.dp = 3333;
	b.seq = 9000;
	b.ack = a.seq;
	sg_tcp(&g, IF_DMZ, &b, PH_TCP_SYN | PH_TCP_ACK, NULL, 0, 1);
	a.ack = b.seq;
	sg_tcp(&g, IF_OUT, &a, PH_TCP_ACK, NULL, 0, 1);
	sg_chat(&g, IF_OUT, &a, IF_DMZ, &b);
	sg_close(&g, IF_OUT, &a, IF_DMZ, &b);
	/* port static: outside -> interface:2222 = 10.0.0.22:22 */
	a.dst = A(192, 0, 2, 1);
	a.dp = 2222;
	a.sp = 4444;
	sg_tcp(&g, IF_OUT, &a, PH_TCP_SYN, NULL, 0, 1);
	/* denied: no ACL entry */
	a.dp = 23;
	a.dst = A(192, 0, 2, 80);
	sg_tcp(&g, IF_OUT, &a, PH_TCP_SYN, NULL, 0, 1);
	sg_op(&g, 2, 1); /* reload: the static moves to .81 */
	sg_op(&g, 3, 0);
	sg_op(&g, 2, 1);
	sg_finish(&g, "tcp-static-in");
}

static void
seed_udp_icmp(void)
{
	struct sg g;
	struct pb_ip ip = { .src = A(10, 0, 0, 5), .dst = A(198, 51, 100, 7) };
	uint8_t pl[32], inner[64];
	uint32_t ga;
	uint16_t gp;
	size_t n;

	sg_start(&g);
	memset(pl, 'q', sizeof(pl));
	g.plen = pb_udp(g.pkt, &ip, 5353, 53, pl, sizeof(pl));
	sg_send(&g, IF_IN, 1);
	sg_learn_src(&g, &ga, &gp);
	ip = (struct pb_ip){ .src = A(198, 51, 100, 7), .dst = ga };
	g.plen = pb_udp(g.pkt, &ip, 53, gp, pl, 20);
	sg_send(&g, IF_OUT, 1);
	/* an ICMP error about the flow, from a router outside */
	ip = (struct pb_ip){ .src = ga, .dst = A(198, 51, 100, 7), .id = 9 };
	n = pb_udp(inner, &ip, gp, 53, NULL, 0);
	ip = (struct pb_ip){ .src = A(203, 0, 113, 9), .dst = ga };
	g.plen = pb_icmp_err(g.pkt, &ip, PH_ICMP_UNREACH, 3, inner, n);
	sg_send(&g, IF_OUT, 1);
	/* ping out and back */
	ip = (struct pb_ip){ .src = A(10, 0, 0, 7), .dst = A(203, 0, 113, 9) };
	g.plen = pb_icmp(g.pkt, &ip, PH_ICMP_ECHO, 0, 0x12340001, pl, 16);
	sg_send(&g, IF_IN, 1);
	ga = pb_get32(g.pkt + 12);
	gp = pb_get16(g.pkt + 20 + 4);
	ip = (struct pb_ip){ .src = A(203, 0, 113, 9), .dst = ga };
	g.plen = pb_icmp(g.pkt, &ip, PH_ICMP_ECHOREPLY, 0,
			 (uint32_t)gp << 16 | 1, pl, 16);
	sg_send(&g, IF_OUT, 1);
	/* inbound UDP through the conduit to the static, and with no xlate */
	ip = (struct pb_ip){ .src = A(198, 51, 100, 7),
			     .dst = A(192, 0, 2, 80) };
	g.plen = pb_udp(g.pkt, &ip, 1234, 161, pl, 8);
	sg_send(&g, IF_OUT, 1);
	ip.dst = A(192, 0, 2, 99);
	g.plen = pb_udp(g.pkt, &ip, 1234, 161, pl, 8);
	sg_send(&g, IF_OUT, 1);
	/* a host in the dynamic NAT range (nat 2) */
	ip = (struct pb_ip){ .src = A(10, 0, 0, 70),
			     .dst = A(198, 51, 100, 7) };
	g.plen = pb_udp(g.pkt, &ip, 5353, 53, pl, 12);
	sg_send(&g, IF_IN, 1);
	sg_learn_src(&g, &ga, &gp);
	ip = (struct pb_ip){ .src = A(198, 51, 100, 7), .dst = ga };
	g.plen = pb_udp(g.pkt, &ip, 53, gp, pl, 20);
	sg_send(&g, IF_OUT, 1);
	/* time passes: udp and xlate timeouts, ticks */
	sg_op(&g, 4, 3);
	sg_op(&g, 4, 10);
	sg_op(&g, 3, 0);
	sg_finish(&g, "udp-icmp");
}

static void
seed_fragments(void)
{
	struct sg g;
	struct pb_ip ip = { .src = A(10, 0, 0, 5),
			    .dst = A(198, 51, 100, 7),
			    .id = 0x4242,
			    .frag = PB_MF };
	uint8_t pl[64];

	sg_start(&g);
	memset(pl, 'f', sizeof(pl));
	/* first fragment: UDP header + 16 bytes claims 48 */
	g.plen = pb_udp(g.pkt, &ip, 7000, 7001, pl, 16);
	pb_put16(g.pkt + 20 + 4, 8 + 40);
	sg_send(&g, IF_IN, 1);
	ip.frag = 3; /* offset 24 bytes, last */
	g.plen = pb_raw(g.pkt, &ip, PH_IPPROTO_UDP, pl, 24);
	sg_send(&g, IF_IN, 1);
	/* a later fragment first, from outside */
	ip = (struct pb_ip){ .src = A(198, 51, 100, 7),
			     .dst = A(192, 0, 2, 80),
			     .id = 7,
			     .frag = 5 };
	g.plen = pb_raw(g.pkt, &ip, PH_IPPROTO_TCP, pl, 16);
	sg_send(&g, IF_OUT, 1);
	sg_op(&g, 4, 1);
	sg_finish(&g, "fragments");
}

/* Malformed and unusual packets, raw (no harness fixups). */
static void
seed_malformed(void)
{
	struct sg g;
	struct pb_ip ip = { .src = A(10, 0, 0, 5),
			    .dst = A(198, 51, 100, 7),
			    .optlen = 8 };
	struct pb_tcp t = {
		.sport = 1, .dport = 2, .flags = 0xff, .optlen = 12
	};
	uint8_t pl[8] = { 0 };

	sg_start(&g);
	g.plen = pb_tcp(g.pkt, &ip, &t, pl, sizeof(pl));
	sg_send(&g, IF_IN, 1);
	g.pkt[10] ^= 0x55; /* bad IP checksum, sent raw */
	sg_record(&g, 0x40 | IF_IN, 1, g.pkt, g.plen);
	g.plen = pb_raw(g.pkt, &ip, 99, pl, 4);
	sg_send(&g, IF_DMZ, 1);
	sg_record(&g, 3, 1, g.pkt, g.plen);	    /* no such interface */
	sg_record(&g, 0x40 | IF_OUT, 1, g.pkt, 12); /* short */
	ip.optlen = 0;
	g.plen = pb_udp(g.pkt, &ip, 9, 9, pl, 4);
	sg_record(&g, 0x04 | IF_IN, 1, g.pkt, g.plen); /* csum partial */
	sg_finish(&g, "malformed");
}

/* PPTP: control connection and GRE. */
struct pptp_conv {
	struct sg *g;
	int ii, io;		/* interfaces of I (client) and O (server) */
	struct flow c, s;	/* client -> server, server -> client */
	uint8_t msg[PPTPB_MAX]; /* the last message as it left */
};

/* Payload of the last TCP packet as the engine left it. */
static const uint8_t *
sg_payload(const struct sg *g, size_t *len)
{
	size_t hl = pb_hlen(g->pkt);
	size_t th = (size_t)(g->pkt[hl + 12] >> 4) * 4;

	*len = g->plen - hl - th;
	return g->pkt + hl + th;
}

/*
 * Send message m from the client or the server, cut at the sizes in
 * cuts (0-terminated; NULL: whole).  p->msg receives the message as it
 * left the engine (held segments: as released), so the caller can read
 * the translated call IDs.
 */
static void
pc_send(struct pptp_conv *p, int from_server, const uint8_t *m, size_t n,
	const size_t *cuts)
{
	struct flow *f = from_server ? &p->s : &p->c, *o;
	int ifx = from_server ? p->io : p->ii;
	size_t off = 0, k, len, plen, held_off = 0;
	const uint8_t *pl;

	o = from_server ? &p->c : &p->s;
	memcpy(p->msg, m, n);
	for (k = 0; off < n; k++) {
		len = cuts != NULL && cuts[k] ? cuts[k] : n - off;
		if (len > n - off)
			len = n - off;
		p->g->nrel = 0;
		sg_tcp(p->g, ifx, f, PH_TCP_PSH | PH_TCP_ACK, m + off, len, 1);
		if (p->g->nrel > 0)
			memcpy(p->msg + held_off, p->g->rel, p->g->nrel);
		pl = sg_payload(p->g, &plen);
		if (p->g->out.verdict == PH_VERDICT_ACCEPT)
			memcpy(p->msg + off, pl, plen);
		else if (p->g->out.verdict == PH_VERDICT_HOLD)
			held_off = off;
		off += len;
	}
	o->ack = f->seq;
}

static void
pc_gre(struct pptp_conv *p, int from_server, uint16_t cid)
{
	struct pb_ip ip;
	struct pb_gre gr = { .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ | 1,
			     .proto = PH_GRE_PROTO_PPP,
			     .key = (uint32_t)16 << 16 | cid,
			     .seq = 1 };
	uint8_t pl[16];

	memset(pl, 'g', sizeof(pl));
	if (from_server)
		ip = (struct pb_ip){ .src = p->s.src, .dst = p->s.dst };
	else
		ip = (struct pb_ip){ .src = p->c.src, .dst = p->c.dst };
	p->g->plen = pb_gre(p->g->pkt, &ip, &gr, pl, sizeof(pl));
	sg_send(p->g, from_server ? p->io : p->ii, 1);
}

/*
 * Client at I opens a control connection and one outgoing call.  cuts
 * splits the messages whose call-ID field the engine must look up (OCRP
 * @14 from the server, CCRQ @12 from the client) and the OCRQ, whose
 * field gets a fresh ID byte by byte.
 */
static void
pc_run(struct pptp_conv *p, const size_t *cuts, bool teardown)
{
	uint8_t m[PPTPB_MAX];
	uint16_t xl;
	size_t n;

	sg_connect(p->g, p->ii, &p->c, p->io, &p->s, 0);
	n = pptpb_sccrq(m, PPTPB_VERSION, "client", "fuzz");
	pc_send(p, 0, m, n, NULL);
	n = pptpb_sccrp(m, PPTPB_VERSION, 1, "server", "fuzz");
	pc_send(p, 1, m, n, NULL);
	n = pptpb_ocrq(m, 0x4000, 1);
	pc_send(p, 0, m, n, cuts);
	xl = pptpb_get16(p->msg, 12);
	n = pptpb_ocrp(m, 0x0077, xl, 1);
	pc_send(p, 1, m, n, cuts != NULL ? cuts + 1 : NULL);
	pc_gre(p, 0, 0x0077);
	pc_gre(p, 1, xl);
	n = pptpb_sli(m, 0x0077);
	pc_send(p, 0, m, n, NULL);
	n = pptpb_wen(m, xl);
	pc_send(p, 1, m, n, NULL);
	n = pptpb_echorq(m, 5);
	pc_send(p, 1, m, n, NULL);
	n = pptpb_echorp(m, 5, 1);
	pc_send(p, 0, m, n, NULL);
	if (!teardown)
		return;
	n = pptpb_ccrq(m, 0x4000);
	pc_send(p, 0, m, n, cuts);
	n = pptpb_cdn(m, 0x0077, 3);
	pc_send(p, 1, m, n, NULL);
	n = pptpb_stopccrq(m, 1);
	pc_send(p, 0, m, n, NULL);
	n = pptpb_stopccrp(m, 1);
	pc_send(p, 1, m, n, NULL);
	sg_close(p->g, p->ii, &p->c, p->io, &p->s);
}

static void
seed_pptp_out(const char *name, const size_t *cuts, bool teardown)
{
	struct sg g;
	struct pptp_conv p = { .g = &g, .ii = IF_IN, .io = IF_OUT };

	sg_start(&g);
	p.c = (struct flow){
		A(10, 0, 0, 5), A(198, 51, 100, 7), 1025, 1723, 0, 0
	};
	pc_run(&p, cuts, teardown);
	if (!teardown) {
		sg_op(&g, 3, 0);
		sg_op(&g, 0, 0); /* clear xlate with a call up */
	}
	sg_finish(&g, name);
}

/* Client outside, PPTP server on the dmz behind the static. */
static void
seed_pptp_in(void)
{
	struct sg g;
	struct pptp_conv p = { .g = &g, .ii = IF_OUT, .io = IF_DMZ };

	sg_start(&g);
	p.c = (struct flow){
		A(198, 51, 100, 7), A(192, 0, 2, 80), 1030, 1723, 0, 0
	};
	p.s.src = A(172, 16, 0, 80);
	pc_run(&p, NULL, true);
	sg_finish(&g, "pptp-in-static");
}

static void
packet_seeds(void)
{
	/* cut inside the ID fields: OCRQ/CCRQ @12, OCRP @14 */
	static const size_t split13[] = { 13, 15, 0 };
	static const size_t bytes[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1,
					1, 1, 1, 1, 1, 1, 1, 0 };

	seed_tcp_pat();
	seed_tcp_nonat_dmz();
	seed_tcp_static_in();
	seed_udp_icmp();
	seed_fragments();
	seed_malformed();
	seed_pptp_out("pptp-out-pat", NULL, true);
	seed_pptp_out("pptp-out-split", split13, true);
	seed_pptp_out("pptp-out-bytes", bytes, false);
	seed_pptp_in();
}

/* --- PPTP stream seeds (fuzz_pptp.c framing) ---------------------------- */

struct ps {
	uint8_t seed[SEED_MAX];
	size_t n;
};

static void
ps_rec(struct ps *s, uint8_t op, int16_t delta, const uint8_t *b, size_t len)
{
	s->seed[s->n++] = op;
	s->seed[s->n++] = (uint8_t)((uint16_t)delta >> 8);
	s->seed[s->n++] = (uint8_t)delta;
	s->seed[s->n++] = (uint8_t)len;
	if (len)
		memcpy(s->seed + s->n, b, len);
	s->n += len;
}

/* A message from dir, cut into pieces of `cut` bytes (0: whole). */
static void
ps_msg(struct ps *s, int dir, const uint8_t *m, size_t n, size_t cut)
{
	size_t off = 0, len;

	while (off < n) {
		len = cut ? cut : n - off;
		if (len > n - off)
			len = n - off;
		ps_rec(s, (uint8_t)dir, 0, m + off, len);
		off += len;
	}
}

/* The first translated ID fuzz_pptp.c hands out for config byte cfg
 * (same allocator range and random state), or `in` for identity. */
static uint16_t
first_xl(uint8_t cfg, uint16_t in)
{
	struct ph_idalloc *a;
	uint64_t rng = 0x5eed;
	uint16_t x = in;

	if (cfg & 0x10)
		return in;
	a = ph_idalloc_new(1, 1 + (1u << (cfg >> 5)));
	if (a == NULL || ph_idalloc_get(a, &rng, &x) != 0)
		die("idalloc");
	ph_idalloc_free(a);
	return x;
}

static void
ps_conv(struct ps *s, uint8_t cfg, size_t cut, bool incoming, bool retrans)
{
	uint8_t m[PPTPB_MAX];
	uint16_t xl = first_xl(cfg, incoming ? 0x4001 : 0x4000);
	size_t n;

	n = pptpb_sccrq(m, PPTPB_VERSION, "client", "fuzz");
	ps_msg(s, 0, m, n, cut);
	n = pptpb_sccrp(m, PPTPB_VERSION, 1, "server", "fuzz");
	ps_msg(s, 1, m, n, cut);
	if (incoming) {
		n = pptpb_icrq(m, 0x0099, 2); /* the PAC (O) calls in */
		ps_msg(s, 1, m, n, cut);
		n = pptpb_icrp(m, 0x4001, 0x0099, 1);
		ps_msg(s, 0, m, n, cut);
		n = pptpb_iccn(m, xl); /* peer: the translated 0x4001 */
		ps_msg(s, 1, m, n, cut);
	} else {
		n = pptpb_ocrq(m, 0x4000, 1);
		ps_msg(s, 0, m, n, cut);
		if (retrans) /* the whole OCRQ again */
			ps_rec(s, 0, (int16_t)-n, m, n);
		n = pptpb_ocrp(m, 0x0077, xl, 1);
		ps_msg(s, 1, m, n, cut);
	}
	n = pptpb_wen(m, xl);
	ps_msg(s, 1, m, n, cut);
	n = pptpb_sli(m, incoming ? 0x0099 : 0x0077);
	ps_msg(s, 0, m, n, cut);
	n = pptpb_echorq(m, 9);
	ps_msg(s, 0, m, n, cut);
	n = pptpb_echorp(m, 9, 1);
	ps_msg(s, 1, m, n, cut);
	n = pptpb_ccrq(m, incoming ? 0x4001 : 0x4000);
	ps_msg(s, 0, m, n, cut);
	n = pptpb_cdn(m, incoming ? 0x0099 : 0x0077, 3);
	ps_msg(s, 1, m, n, cut);
	n = pptpb_stopccrq(m, 1);
	ps_msg(s, 0, m, n, cut);
	n = pptpb_stopccrp(m, 1);
	ps_msg(s, 1, m, n, cut);
}

static void
pptp_seed(const char *name, uint8_t cfg, size_t cut, bool incoming,
	  bool retrans)
{
	struct ps s = { .n = 0 };

	s.seed[s.n++] = cfg;
	ps_conv(&s, cfg, cut, incoming, retrans);
	write_seed("pptp", name, s.seed, s.n);
}

static void
pptp_seeds(void)
{
	struct ps s = { .n = 0 };
	uint8_t m[PPTPB_MAX];
	size_t n;
	unsigned i;

	pptp_seed("outgoing", 0xe3, 0, false, false);
	pptp_seed("outgoing-retrans", 0xe3, 0, false, true);
	pptp_seed("incoming", 0xe3, 0, true, false);
	pptp_seed("outgoing-bytes", 0xe3, 1, false, false);
	pptp_seed("incoming-split7", 0x03, 7, true, false);
	pptp_seed("identity-split13", 0x10 | 0x07, 13, false, false);
	/* many calls, a tiny ID range: exhaustion and the call limit */
	s.seed[s.n++] = 0x02;
	n = pptpb_sccrq(m, PPTPB_VERSION, "c", "v");
	ps_msg(&s, 0, m, n, 0);
	n = pptpb_sccrp(m, PPTPB_VERSION, 1, "s", "v");
	ps_msg(&s, 1, m, n, 0);
	for (i = 0; i < 6; i++) {
		n = pptpb_ocrq(m, (uint16_t)(0x100 + i), (uint16_t)i);
		ps_msg(&s, 0, m, n, 0);
	}
	ps_rec(&s, 0x04, 0, NULL, 0); /* alloc fails from now on */
	n = pptpb_ocrq(m, 0x200, 9);
	ps_msg(&s, 0, m, n, 0);
	ps_rec(&s, 0x02, 0, NULL, 0); /* hold_drop */
	n = pptpb_stopccrq(m, 1);
	ps_msg(&s, 1, m, n, 0);
	write_seed("pptp", "exhaust", s.seed, s.n);
	/* version 2: inspection stops */
	s.n = 0;
	s.seed[s.n++] = 0x00;
	n = pptpb_sccrq(m, 0x0200, "c", "v");
	ps_msg(&s, 0, m, n, 0);
	write_seed("pptp", "version2", s.seed, s.n);
}

/* --- control seeds ------------------------------------------------------ */

static size_t
ctl_frame(uint8_t *b, const char *text, uint8_t flags)
{
	size_t n = strlen(text);

	memcpy(b, "PHCQ", 4);
	b[4] = 1;
	b[5] = flags;
	b[6] = b[7] = 0;
	pb_put32(b + 8, (uint32_t)n);
	memcpy(b + 12, text, n);
	return 12 + n;
}

static size_t
ctl_chunk(uint8_t *b, uint8_t kind, uint16_t status, const char *text)
{
	size_t n = strlen(text);

	memcpy(b, "PHCR", 4);
	b[4] = kind;
	b[5] = 0;
	pb_put16(b + 6, status);
	pb_put32(b + 8, (uint32_t)n);
	memcpy(b + 12, text, n);
	return 12 + n;
}

static void
ctl_seeds(void)
{
	static const char *texts[] = {
		"show conn",
		"show conn detail",
		"sh xl det",
		"show access-list",
		"show access-list inside_out",
		"show service-policy inspect pptp",
		"sh run",
		"show logging",
		"show counters",
		"show version",
		"clear xlate",
		"clear conn",
		"clear counters",
		"clear logging",
		"reload",
		"reload /etc/pinhole/rules.conf",
		"debug pptp",
		"no debug pptp",
		"undebug all",
		"show",
		"sh c",
		"show bogus",
		"show   conn",
	};
	uint8_t b[8192];
	char name[64];
	size_t i, n;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		n = ctl_frame(b, texts[i], i & 1);
		snprintf(name, sizeof(name), "req-%02zu", i);
		write_seed("ctl", name, b, n);
	}
	n = ctl_frame(b, "show conn", 0);
	n += ctl_frame(b + n, "sh xlate detail", 1);
	n += ctl_frame(b + n, "clear conn", 0);
	write_seed("ctl", "req-three", b, n);
	n = ctl_frame(b, "show version", 0);
	b[4] = 2; /* bad version */
	write_seed("ctl", "req-badversion", b, n);
	n = ctl_chunk(b, 'D', 0, "TCP out 192.0.2.7:80 in 10.0.0.5:1025");
	n += ctl_chunk(b + n, 'D', 0, "\n");
	n += ctl_chunk(b + n, 'E', 0, "");
	write_seed("ctl", "rsp-data-end", b, n);
	n = ctl_chunk(b, 'E', 1,
		      "ERROR: % Invalid input detected at 'x' marker.");
	write_seed("ctl", "rsp-error", b, n);
}

/* --- ACL seeds (fuzz_acl.c framing): pseudo-random rule sets ---------- */

static void
acl_seeds(void)
{
	static const uint8_t nrules[] = { 1, 8, 16, 17, 40, 100, 128, 128 };
	uint8_t b[1 + 128 * 10 + 64 * 12];
	uint64_t x = 0x2545f4914f6cdd1dULL;
	char name[32];
	size_t i, j, n;

	for (i = 0; i < sizeof(nrules); i++) {
		n = 1 + (size_t)nrules[i] * 10 + 64 * 12;
		b[0] = (uint8_t)((nrules[i] - 1) | (i & 1 ? 0x80 : 0));
		for (j = 1; j < n; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[j] = (uint8_t)x;
		}
		snprintf(name, sizeof(name), "rules-%u%s", nrules[i],
			 i & 1 ? "-conduits" : "");
		write_seed("acl", name, b, n);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: mkseeds OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	verbose = getenv("MKSEEDS_VERBOSE") != NULL;
	if (mkdir(outdir, 0755) != 0 && errno != EEXIST)
		die(outdir);
	packet_seeds();
	pptp_seeds();
	ctl_seeds();
	acl_seeds();
	return 0;
}
