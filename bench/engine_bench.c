/*
 * bench/engine_bench.c - the packet engine alone: cost per packet and
 * memory per connection, at 1,000 and at 1,000,000 connections, and PPTP
 * calls through one PAT address (issue 6, figures 6 and 7).
 *
 * No kernel, no NFQUEUE: synthetic IPv4 packets (tests/unit/pktbuild.h,
 * pptpbuild.h) go straight into ph_engine_process() with a PIX rule set
 * like the gateway benchmarks' (access-groups on both interfaces, PAT,
 * identity NAT for one inside network, fixup pptp).  Scenarios:
 *
 *   est      established TCP, untranslated (nat 0), ACKs both ways
 *   pat      established TCP through PAT, ACKs both ways (rewritten)
 *   udp      established UDP through PAT, both ways
 *   new      a new outbound TCP connection per packet (SYN: ACL, NAT
 *            rule, PAT port allocation, connection + xlate, 2 events)
 *   gre      PPTP GRE through PAT, both ways, once calls are set up
 *            (needs the PPTP inspector in the engine: else "pending")
 *
 * Method: the table is filled first (each connection opened with its
 * handshake, untimed), then packets are built in batches of 256 into
 * separate buffers (untimed) and each batch is processed under
 * CLOCK_THREAD_CPUTIME_ID, so time the thread was preempted by other jobs
 * on a shared machine does not count.  Connections are visited in random
 * order (a table of 1M does not fit in cache; neither does a real one).
 * Every measured packet must be ACCEPTed with the expected rewrite, or the
 * run fails.  Engine time only: the emit callback just counts events (the
 * daemon's formatting and logging is not included), and no tick runs.
 *
 * --batch hands each batch of 256 to ph_engine_process_batch() instead
 * of one ph_engine_process() call per packet (the time then advances per
 * batch).  --pair fills a 1,000- and a --conns-connection engine and
 * measures them alternately, printing the median of the back-to-back
 * ratios (figure 6's target), which a shared machine's changing load
 * disturbs far less than two separate runs.
 *
 * Memory: resident set growth while the table is filled, divided by the
 * connection count, next to ph_engine_conn_mem().
 *
 * Instructions: the processing loops are bracketed with callgrind client
 * requests (CALLGRIND_TOGGLE_COLLECT), so
 *   valgrind --tool=callgrind --collect-atstart=no engine_bench --only pat
 * counts exactly the engine's instructions of the measured packets
 * (bench/run.sh scale does this; perf's hardware counters are not
 * available in this VM).
 *
 * Output: a Markdown table on stdout, and "result key=value ..." lines
 * for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include <pinhole/engine.h>
#include <pinhole/event.h>
#include <pinhole/policy.h>
#include <pinhole/reason.h>

#include "benchutil.h"
#include "config/model.h"
#include "pktbuild.h"
#include "pptpbuild.h"

#define EB_BATCH   256
#define EB_PKT_MAX 256
#define EB_HOSTS   60000u /* local ports per inside host */
#define EB_NGLOBAL 32	  /* PAT addresses: 32 x 64512 ports */

#define EB_SERVER  PB_A(203, 0, 113, 1)
#define EB_PAC	   PB_A(203, 0, 113, 200) /* the PPTP server */
#define EB_PAT_NET PB_A(10, 1, 0, 0)
#define EB_ID_NET  PB_A(10, 2, 0, 0)

enum eb_kind { EB_EST, EB_PAT, EB_UDP, EB_NEW, EB_GRE };

static const char *const eb_kind_name[] = { "est", "pat", "udp", "new", "gre" };

struct eb_opts {
	uint32_t conns;	  /* table size */
	uint64_t packets; /* measured packets per repetition */
	uint32_t reps;
	int only;	/* -1 = all scenarios */
	uint32_t calls; /* PPTP calls */
	int gre_loops;	/* bit 0: GRE over 1 call, bit 1: over all */
	bool quick;	/* small sizes (smoke test) */
	bool batch;	/* ph_engine_process_batch() per batch of 256 */
	bool pair;	/* 1,000 and --conns measured alternately */
};

/* One engine with a filled table. */
struct eb {
	struct ph_engine *eng;
	struct ph_policy *pol;
	uint16_t if_in, if_out;
	uint64_t now; /* simulated ns, +1 us per packet */
	uint64_t events;
	uint32_t n;	 /* connections opened */
	uint32_t *gaddr; /* mapped address and port of connection i */
	uint16_t *gport;
	uint16_t *cid; /* PPTP: client call id, translated, server's */
	uint16_t *mcid;
	uint16_t *scid;
	uint64_t rng;
	bool batch; /* measured loops: one ph_engine_process_batch() call */
	uint8_t buf[EB_BATCH][EB_PKT_MAX];
	size_t len[EB_BATCH];
	uint16_t ifx[EB_BATCH];
	struct ph_pkt_out out[EB_BATCH];
};

/* ---- the rule set ------------------------------------------------------- */

static char *
eb_conf(void)
{
	static const char head[] =
		"nameif ethernet0 outside security0\n"
		"nameif ethernet1 inside security100\n"
		"ip address outside 198.51.100.1 255.255.255.0\n"
		"ip address inside 10.0.0.1 255.0.0.0\n"
		"route outside 0.0.0.0 0.0.0.0 198.51.100.254 1\n"
		"access-list inside_in permit tcp 10.0.0.0 255.0.0.0 any\n"
		"access-list inside_in permit udp 10.0.0.0 255.0.0.0 any\n"
		"access-list inside_in permit gre 10.0.0.0 255.0.0.0 any\n"
		"access-list inside_in permit icmp 10.0.0.0 255.0.0.0 any\n"
		"access-list inside_in deny ip any any\n"
		"access-list outside_in deny tcp any any eq 135\n"
		"access-list outside_in deny udp any any eq 137\n"
		"access-list outside_in deny ip any any\n"
		"access-group inside_in in interface inside\n"
		"access-group outside_in in interface outside\n"
		"nat (inside) 0 10.2.0.0 255.255.0.0 0 0\n"
		"nat (inside) 1 10.1.0.0 255.255.0.0 0 0\n"
		"fixup protocol pptp 1723\n";
	size_t cap = sizeof(head) + EB_NGLOBAL * 48, off;
	char *t = malloc(cap);

	if (t == NULL)
		return NULL;
	off = (size_t)snprintf(t, cap, "%s", head);
	for (unsigned i = 0; i < EB_NGLOBAL; i++)
		off += (size_t)snprintf(t + off, cap - off,
					"global (outside) 1 198.51.100.%u\n",
					10 + i);
	return t;
}

static struct ph_policy *
eb_policy(void)
{
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	char *t = eb_conf(), line[512];
	int rc;

	if (t == NULL)
		return NULL;
	rc = ph_policy_parse(t, strlen(t), NULL, &pol, &d);
	for (size_t i = 0; rc != 0 && i < ph_diags_count(d); i++) {
		ph_diag_format(ph_diags_get(d, i), line, sizeof(line));
		fprintf(stderr, "%s", line);
	}
	ph_diags_free(d);
	free(t);
	return pol;
}

static void
eb_emit(void *arg, const struct ph_event *ev)
{
	struct eb *b = arg;

	(void)ev;
	b->events++;
}

static uint16_t
eb_ifidx(const struct ph_policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (strcmp(pol->ifaces[i].name, name) == 0)
			return (uint16_t)i;
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static uint64_t
eb_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t
eb_rss(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint32_t
eb_rand(struct eb *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return (uint32_t)(b->rng >> 16);
}

/* Local address and port of connection i in network `net`. */
static uint32_t
eb_laddr(uint32_t net, uint32_t i)
{
	return net + 1 + i / EB_HOSTS;
}

static uint16_t
eb_lport(uint32_t i)
{
	return (uint16_t)(1025 + i % EB_HOSTS);
}

static uint32_t
eb_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Run one packet (untimed path); returns the verdict, fills out. */
static int
eb_run(struct eb *b, uint8_t *pkt, size_t len, uint16_t ifidx,
       struct ph_pkt_out *out)
{
	struct ph_pkt_in in = { .data = pkt, .len = len, .ifidx = ifidx };

	b->now += 1000;
	if (ph_engine_process(b->eng, &in, ph_time_from_ns(b->now), out) != 0)
		return -1;
	return out->verdict;
}

static void
eb_fail(const char *what, uint32_t i, const struct ph_pkt_out *out)
{
	fprintf(stderr, "engine_bench: %s %u: verdict %u reason %s\n", what, i,
		out->verdict,
		out->verdict == PH_VERDICT_DROP ? ph_reason_name(out->reason)
						: "-");
}

static struct eb *
eb_new(uint32_t max_conns, uint32_t per_conn_ids, uint64_t *rss0)
{
	struct eb *b = calloc(1, sizeof(*b));
	struct ph_engine_opts o = { .seed = { 0x5eed1, 0x5eed2 },
				    .max_conns = max_conns,
				    .max_xlates = max_conns };

	if (b == NULL)
		return NULL;
	b->rng = 0x9e3779b97f4a7c15ull;
	b->pol = eb_policy();
	o.emit = eb_emit;
	o.emit_arg = b;
	b->gaddr = calloc(max_conns, sizeof(*b->gaddr));
	b->gport = calloc(max_conns, sizeof(*b->gport));
	if (per_conn_ids) {
		b->cid = calloc(max_conns, sizeof(*b->cid));
		b->mcid = calloc(max_conns, sizeof(*b->mcid));
		b->scid = calloc(max_conns, sizeof(*b->scid));
	}
	if (b->pol == NULL || b->gaddr == NULL || b->gport == NULL ||
	    (per_conn_ids && (!b->cid || !b->mcid || !b->scid)))
		goto out_free;
	/* touch our own arrays now, so the RSS growth measured later is the
	 * engine's alone */
	memset(b->gaddr, 0, max_conns * sizeof(*b->gaddr));
	memset(b->gport, 0, max_conns * sizeof(*b->gport));
	*rss0 = eb_rss();
	b->eng = ph_engine_new(&o);
	if (b->eng == NULL)
		goto out_free;
	if (ph_engine_set_policy(b->eng, b->pol, ph_time_from_ns(0)) != 0)
		goto out_free;
	b->if_in = eb_ifidx(b->pol, "inside");
	b->if_out = eb_ifidx(b->pol, "outside");
	return b;
out_free:
	fprintf(stderr, "engine_bench: set-up failed\n");
	if (b->eng)
		ph_engine_free(b->eng);
	ph_policy_free(b->pol);
	free(b->gaddr);
	free(b->gport);
	free(b->cid);
	free(b->mcid);
	free(b->scid);
	free(b);
	return NULL;
}

static void
eb_free(struct eb *b)
{
	ph_engine_free(b->eng);
	ph_policy_free(b->pol);
	free(b->gaddr);
	free(b->gport);
	free(b->cid);
	free(b->mcid);
	free(b->scid);
	free(b);
}

/* ---- filling the table -------------------------------------------------- */

static size_t
eb_tcp(uint8_t *p, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp,
       uint8_t flags, uint32_t seq, uint32_t ack, const uint8_t *pl,
       size_t plen)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 1 };
	struct pb_tcp t = {
		.sport = sp, .dport = dp, .flags = flags, .seq = seq, .ack = ack
	};

	return pb_tcp(p, &ip, &t, pl, plen);
}

static size_t
eb_udp(uint8_t *p, uint32_t src, uint16_t sp, uint32_t dst, uint16_t dp)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 1 };
	uint8_t pl[32];

	memset(pl, 'u', sizeof(pl));
	return pb_udp(p, &ip, sp, dp, pl, sizeof(pl));
}

/* Open TCP connection i from network net to the server: SYN, SYN-ACK,
 * ACK.  Records the mapped address and port.  false on a refusal. */
static bool
eb_open_tcp(struct eb *b, uint32_t net, uint32_t i, uint32_t dst,
	    uint16_t dport)
{
	uint8_t *p = b->buf[0];
	struct ph_pkt_out out;
	uint32_t la = eb_laddr(net, i);
	uint16_t lp = eb_lport(i);
	size_t len;

	len = eb_tcp(p, la, lp, dst, dport, PH_TCP_SYN, 1000, 0, NULL, 0);
	if (eb_run(b, p, len, b->if_in, &out) != PH_VERDICT_ACCEPT) {
		eb_fail("SYN of connection", i, &out);
		return false;
	}
	b->gaddr[i] = eb_get32(p + 12);
	b->gport[i] = pb_get16(p + 20);
	len = eb_tcp(p, dst, dport, b->gaddr[i], b->gport[i],
		     PH_TCP_SYN | PH_TCP_ACK, 5000, 1001, NULL, 0);
	if (eb_run(b, p, len, b->if_out, &out) != PH_VERDICT_ACCEPT) {
		eb_fail("SYN-ACK of connection", i, &out);
		return false;
	}
	len = eb_tcp(p, la, lp, dst, dport, PH_TCP_ACK, 1001, 5001, NULL, 0);
	if (eb_run(b, p, len, b->if_in, &out) != PH_VERDICT_ACCEPT) {
		eb_fail("ACK of connection", i, &out);
		return false;
	}
	return true;
}

static bool
eb_open_udp(struct eb *b, uint32_t i)
{
	uint8_t *p = b->buf[0];
	struct ph_pkt_out out;
	size_t len;

	len = eb_udp(p, eb_laddr(EB_PAT_NET, i), eb_lport(i), EB_SERVER, 53);
	if (eb_run(b, p, len, b->if_in, &out) != PH_VERDICT_ACCEPT) {
		eb_fail("UDP flow", i, &out);
		return false;
	}
	b->gaddr[i] = eb_get32(p + 12);
	b->gport[i] = pb_get16(p + 20);
	return true;
}

/* Fill the table with n connections of kind k. */
static bool
eb_fill(struct eb *b, enum eb_kind k, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		bool ok =
			k == EB_UDP ? eb_open_udp(b, i)
			: k == EB_EST
				? eb_open_tcp(b, EB_ID_NET, i, EB_SERVER, 80)
				: eb_open_tcp(b, EB_PAT_NET, i, EB_SERVER, 80);

		if (!ok)
			return false;
	}
	b->n = n;
	return true;
}

/* ---- measured batches ---------------------------------------------------- */

/* Packet j of a batch for scenario k: connection c, direction by parity. */
static void
eb_build_one(struct eb *b, enum eb_kind k, unsigned j, uint32_t c, bool in)
{
	uint32_t net = k == EB_EST ? EB_ID_NET : EB_PAT_NET;
	uint32_t la = eb_laddr(net, c);
	uint16_t lp = eb_lport(c);
	uint8_t *p = b->buf[j];

	b->ifx[j] = in ? b->if_in : b->if_out;
	if (k == EB_UDP)
		b->len[j] =
			in ? eb_udp(p, la, lp, EB_SERVER, 53)
			   : eb_udp(p, EB_SERVER, 53, b->gaddr[c], b->gport[c]);
	else if (k == EB_NEW)
		b->len[j] = eb_tcp(p, la, lp, EB_SERVER, 80, PH_TCP_SYN, 1000,
				   0, NULL, 0);
	else if (in)
		b->len[j] = eb_tcp(p, la, lp, EB_SERVER, 80, PH_TCP_ACK, 1001,
				   5001, NULL, 0);
	else
		b->len[j] = eb_tcp(p, EB_SERVER, 80, b->gaddr[c], b->gport[c],
				   PH_TCP_ACK, 5001, 1001, NULL, 0);
}

/* Process the built batch of n packets; returns thread CPU ns.  In batch
 * mode all n packets carry the time of the first (the engine takes one
 * time per batch), and the clock then advances as it would have. */
static uint64_t
eb_process_batch(struct eb *b, unsigned n)
{
	static struct ph_pkt_in vin[EB_BATCH];
	struct ph_pkt_in in = { 0 };
	uint64_t t0, t1;

	if (b->batch) {
		for (unsigned j = 0; j < n; j++)
			vin[j] = (struct ph_pkt_in){ .data = b->buf[j],
						     .len = b->len[j],
						     .ifidx = b->ifx[j] };
		t0 = eb_cpu_ns();
		CALLGRIND_TOGGLE_COLLECT;
		ph_engine_process_batch(b->eng, vin, n,
					ph_time_from_ns(b->now + 1000), b->out);
		CALLGRIND_TOGGLE_COLLECT;
		t1 = eb_cpu_ns();
		b->now += 1000ull * n;
		return t1 - t0;
	}
	t0 = eb_cpu_ns();
	CALLGRIND_TOGGLE_COLLECT;
	for (unsigned j = 0; j < n; j++) {
		in.data = b->buf[j];
		in.len = b->len[j];
		in.ifidx = b->ifx[j];
		b->now += 1000;
		ph_engine_process(b->eng, &in, ph_time_from_ns(b->now),
				  &b->out[j]);
	}
	CALLGRIND_TOGGLE_COLLECT;
	t1 = eb_cpu_ns();
	return t1 - t0;
}

/* Every packet accepted, rewritten exactly when PAT applies. */
static bool
eb_check_batch(const struct eb *b, enum eb_kind k, unsigned n)
{
	for (unsigned j = 0; j < n; j++) {
		const struct ph_pkt_out *o = &b->out[j];
		bool want_mod = k != EB_EST;

		if (o->verdict != PH_VERDICT_ACCEPT ||
		    o->modified != want_mod) {
			eb_fail(eb_kind_name[k], j, o);
			return false;
		}
	}
	return true;
}

/* The SYNs of a measured EB_NEW batch opened connections b->n ...:
 * finish their handshakes (untimed), so that they count as established
 * and the embryonic limit (max_conns / 2 by default) is never the
 * subject of the measurement. */
static bool
eb_complete_new(struct eb *b, unsigned n)
{
	struct ph_pkt_out out;
	uint8_t *p = b->buf[0];
	size_t len;

	for (unsigned j = 0; j < n; j++) {
		uint32_t c = b->n + j;

		b->gaddr[c] = eb_get32(b->buf[j] + 12);
		b->gport[c] = pb_get16(b->buf[j] + 20);
	}
	for (unsigned j = 0; j < n; j++) {
		uint32_t c = b->n + j, la = eb_laddr(EB_PAT_NET, c);

		len = eb_tcp(p, EB_SERVER, 80, b->gaddr[c], b->gport[c],
			     PH_TCP_SYN | PH_TCP_ACK, 5000, 1001, NULL, 0);
		if (eb_run(b, p, len, b->if_out, &out) != PH_VERDICT_ACCEPT)
			goto out_fail;
		len = eb_tcp(p, la, eb_lport(c), EB_SERVER, 80, PH_TCP_ACK,
			     1001, 5001, NULL, 0);
		if (eb_run(b, p, len, b->if_in, &out) != PH_VERDICT_ACCEPT)
			goto out_fail;
	}
	b->n += n;
	return true;
out_fail:
	eb_fail("handshake of new connection", b->n, &out);
	return false;
}

/* Measure `packets` packets of scenario k; returns ns/packet or -1.
 * EB_NEW opens connections b->n, b->n + 1, ... and keeps them. */
static double
eb_measure(struct eb *b, enum eb_kind k, uint64_t packets)
{
	uint64_t done = 0, ns = 0;

	while (done < packets) {
		unsigned n = packets - done < EB_BATCH
				     ? (unsigned)(packets - done)
				     : EB_BATCH;

		for (unsigned j = 0; j < n; j++) {
			uint32_t c = k == EB_NEW ? b->n + j : eb_rand(b) % b->n;

			eb_build_one(b, k, j, c, k == EB_NEW || (j & 1) == 0);
		}
		ns += eb_process_batch(b, n);
		if (!eb_check_batch(b, k, n))
			return -1;
		if (k == EB_NEW && !eb_complete_new(b, n))
			return -1;
		done += n;
	}
	return (double)ns / (double)packets;
}

/* ---- scenarios ------------------------------------------------------------ */

static int
eb_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct eb_result {
	double med, min;
	double rss_per_conn; /* bytes, filled by the fill step */
	double fill_ns;	     /* ns per connection opened (3 packets) */
};

/* Median and min of reps measurements of scenario k at table size n. */
static int
eb_scenario(const struct eb_opts *o, enum eb_kind k, uint32_t n,
	    struct eb_result *r)
{
	enum eb_kind fillk = k == EB_NEW ? EB_PAT : k;
	uint32_t max = n + (k == EB_NEW ? (uint32_t)(o->packets * o->reps) : 0);
	double v[16];
	uint64_t rss0, t0;
	struct eb *b = eb_new(max + 1024, 0, &rss0);

	if (b == NULL)
		return -1;
	b->batch = o->batch;
	t0 = eb_cpu_ns();
	if (!eb_fill(b, fillk, n))
		goto out_fail;
	r->fill_ns = (double)(eb_cpu_ns() - t0) / n;
	r->rss_per_conn = (double)(eb_rss() - rss0) / n;
	for (uint32_t i = 0; i < o->reps && i < 16; i++) {
		v[i] = eb_measure(b, k, o->packets);
		if (v[i] < 0)
			goto out_fail;
	}
	qsort(v, o->reps, sizeof(v[0]), eb_cmp_double);
	r->med = v[o->reps / 2];
	r->min = v[0];
	eb_free(b);
	return 0;
out_fail:
	eb_free(b);
	return -1;
}

/*
 * Scenario k (not EB_NEW) at 1,000 and at n connections, two engines
 * filled first and then measured alternately, rep by rep: the ratio of
 * each back-to-back pair, whose median is reported, sees the same load
 * on a shared machine on both sides.
 */
static int
eb_pair(const struct eb_opts *o, enum eb_kind k, uint32_t n)
{
	double v[3][16];
	uint64_t rss0;
	struct eb *s = eb_new(1000 + 1024, 0, &rss0);
	struct eb *l = eb_new(n + 1024, 0, &rss0);
	uint32_t i, reps = o->reps < 16 ? o->reps : 16;
	int rc = -1;

	if (s == NULL || l == NULL || !eb_fill(s, k, 1000) || !eb_fill(l, k, n))
		goto out;
	s->batch = l->batch = o->batch;
	for (i = 0; i < reps; i++) {
		v[0][i] = eb_measure(s, k, o->packets);
		v[1][i] = eb_measure(l, k, o->packets);
		if (v[0][i] < 0 || v[1][i] < 0)
			goto out;
		v[2][i] = v[1][i] / v[0][i];
	}
	for (i = 0; i < 3; i++)
		qsort(v[i], reps, sizeof(v[i][0]), eb_cmp_double);
	printf("result pair scenario=%s conns=%u ns_small=%.1f ns_large=%.1f "
	       "ratio_med=%.2f ratio_min=%.2f ratio_max=%.2f batch=%d\n",
	       eb_kind_name[k], n, v[0][reps / 2], v[1][reps / 2],
	       v[2][reps / 2], v[2][0], v[2][reps - 1], o->batch);
	rc = 0;
out:
	if (s != NULL)
		eb_free(s);
	if (l != NULL)
		eb_free(l);
	return rc;
}

/* Memory: the table filled with n PAT TCP connections (each its own
 * xlate), resident growth per connection. */
static int
eb_memory(uint32_t n, double *rss_per_conn, uint32_t *conns, uint32_t *xlates)
{
	struct ph_engine_counters c;
	uint64_t rss0;
	struct eb *b = eb_new(n + 1024, 0, &rss0);

	if (b == NULL)
		return -1;
	if (!eb_fill(b, EB_PAT, n)) {
		eb_free(b);
		return -1;
	}
	*rss_per_conn = (double)(eb_rss() - rss0) / n;
	ph_engine_counters(b->eng, &c);
	*conns = c.conns_in_use;
	*xlates = c.xlates_in_use;
	eb_free(b);
	return 0;
}

/* ---- PPTP ----------------------------------------------------------------- */

#define EB_PPTP_PORT 1723

static size_t eb_gre(struct eb *b, uint8_t *p, uint32_t c, bool from_client,
		     uint32_t seq);

/* Send a PPTP control message on call i's control connection.  seq is
 * the sender's next sequence number (advanced).  Returns the verdict. */
static int
eb_pptp_msg(struct eb *b, uint32_t i, bool from_client, const uint8_t *m,
	    size_t mlen, uint32_t *seq, uint32_t ack, uint8_t *pkt,
	    struct ph_pkt_out *out)
{
	uint32_t la = eb_laddr(EB_PAT_NET, i);
	uint16_t lp = eb_lport(i);
	size_t len;

	if (from_client)
		len = eb_tcp(pkt, la, lp, EB_PAC, EB_PPTP_PORT,
			     PH_TCP_ACK | PH_TCP_PSH, *seq, ack, m, mlen);
	else
		len = eb_tcp(pkt, EB_PAC, EB_PPTP_PORT, b->gaddr[i],
			     b->gport[i], PH_TCP_ACK | PH_TCP_PSH, *seq, ack, m,
			     mlen);
	*seq += (uint32_t)mlen;
	return eb_run(b, pkt, len, from_client ? b->if_in : b->if_out, out);
}

/* Set up call i: control connection, SCCRQ/SCCRP, OCRQ/OCRP.  Client
 * call ids repeat across clients (1..256), as real clients' small
 * counters do, so the inspector must translate them apart.  Returns 1 on
 * success, 0 when the engine does not translate call ids (no PPTP
 * inspector), -1 on a refusal. */
static int
eb_pptp_call(struct eb *b, uint32_t i)
{
	uint8_t m[PPTPB_MAX], *p = b->buf[0];
	struct ph_pkt_out out;
	uint32_t cs = 1001, ss = 5001;
	size_t ml;
	uint16_t cid = (uint16_t)(1 + i % 256), scid = (uint16_t)(1 + i);

	if (!eb_open_tcp(b, EB_PAT_NET, i, EB_PAC, EB_PPTP_PORT))
		return -1;
	ml = pptpb_sccrq(m, PPTPB_VERSION, "bench", "pinhole");
	if (eb_pptp_msg(b, i, true, m, ml, &cs, ss, p, &out) != 0)
		goto out_refused;
	ml = pptpb_sccrp(m, PPTPB_VERSION, 1, "pac", "bench");
	if (eb_pptp_msg(b, i, false, m, ml, &ss, cs, p, &out) != 0)
		goto out_refused;
	ml = pptpb_ocrq(m, cid, (uint16_t)i);
	if (eb_pptp_msg(b, i, true, m, ml, &cs, ss, p, &out) != 0)
		goto out_refused;
	/* the call id as it left: PPTP header 12 bytes, call id at 12 */
	b->cid[i] = cid;
	b->mcid[i] = pb_get16(p + 20 + 20 + 12);
	b->scid[i] = scid;
	ml = pptpb_ocrp(m, scid, b->mcid[i], 1);
	if (eb_pptp_msg(b, i, false, m, ml, &ss, cs, p, &out) != 0)
		goto out_refused;
	/* without an inspector nothing lets the server's GRE in */
	ml = eb_gre(b, p, i, false, 0);
	if (eb_run(b, p, ml, b->if_out, &out) != PH_VERDICT_ACCEPT)
		return i == 0 ? 0 : -1;
	return 1;
out_refused:
	eb_fail("PPTP control message of call", i, &out);
	return -1;
}

/* GRE packet of call c: from the client (key = server's call id) or from
 * the server (key = the translated client call id). */
static size_t
eb_gre(struct eb *b, uint8_t *p, uint32_t c, bool from_client, uint32_t seq)
{
	struct pb_ip ip = { .id = 1 };
	struct pb_gre g = { .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ | 1,
			    .proto = 0x880b,
			    .seq = seq };
	uint8_t pl[64];
	uint16_t plen = sizeof(pl);

	memset(pl, 0x21, sizeof(pl));
	if (from_client) {
		ip.src = eb_laddr(EB_PAT_NET, c);
		ip.dst = EB_PAC;
		g.key = (uint32_t)plen << 16 | b->scid[c];
	} else {
		ip.src = EB_PAC;
		ip.dst = b->gaddr[c];
		g.key = (uint32_t)plen << 16 | b->mcid[c];
	}
	return pb_gre(p, &ip, &g, pl, plen);
}

struct eb_pptp_result {
	bool pending;
	double setup_s;	  /* thread CPU seconds to set up all calls */
	double gre_ns[2]; /* ns/packet: 1 call, all calls */
	double ratio;	  /* median of the per-rep ratios all / 1 */
	uint32_t calls;
};

/* Set up `calls` calls; false on failure, *pending when no inspector. */
static bool
eb_pptp_setup(struct eb *b, uint32_t calls, bool *pending, double *secs)
{
	uint64_t t0 = eb_cpu_ns();
	int rc;

	*pending = false;
	for (uint32_t i = 0; i < calls; i++) {
		rc = eb_pptp_call(b, i);
		if (rc == 0) {
			*pending = true;
			return true;
		}
		if (rc < 0)
			return false;
	}
	b->n = calls;
	*secs = (double)(eb_cpu_ns() - t0) / 1e9;
	return true;
}

/* GRE packets over the first `use` calls, both directions. */
static double
eb_pptp_gre(struct eb *b, uint32_t use, uint64_t packets)
{
	uint64_t done = 0, ns = 0;

	while (done < packets) {
		unsigned n = EB_BATCH;

		for (unsigned j = 0; j < n; j++) {
			uint32_t c = eb_rand(b) % use;
			bool in = (j & 1) == 0;

			b->len[j] = eb_gre(b, b->buf[j], c, in,
					   (uint32_t)(done + j));
			b->ifx[j] = in ? b->if_in : b->if_out;
		}
		ns += eb_process_batch(b, n);
		for (unsigned j = 0; j < n; j++)
			if (b->out[j].verdict != PH_VERDICT_ACCEPT ||
			    !b->out[j].modified) {
				eb_fail("GRE packet", j, &b->out[j]);
				return -1;
			}
		done += n;
	}
	return (double)ns / (double)done;
}

static int
eb_pptp(const struct eb_opts *o, struct eb_pptp_result *r)
{
	uint64_t rss0;
	struct eb *b = eb_new(2 * o->calls + 1024, 1, &rss0);
	double v[3][16];

	if (b == NULL)
		return -1;
	b->batch = o->batch;
	memset(r, 0, sizeof(*r));
	r->calls = o->calls;
	if (!eb_pptp_setup(b, o->calls, &r->pending, &r->setup_s))
		goto out_fail;
	if (r->pending) {
		eb_free(b);
		return 0;
	}
	memset(v, 0, sizeof(v));
	for (uint32_t i = 0; i < o->reps && i < 16; i++) {
		if (o->gre_loops & 1)
			v[0][i] = eb_pptp_gre(b, 1, o->packets);
		if (o->gre_loops & 2)
			v[1][i] = eb_pptp_gre(b, o->calls, o->packets);
		if (v[0][i] < 0 || v[1][i] < 0)
			goto out_fail;
		v[2][i] = v[0][i] > 0 ? v[1][i] / v[0][i] : 0;
	}
	for (int w = 0; w < 3; w++)
		qsort(v[w], o->reps, sizeof(v[w][0]), eb_cmp_double);
	r->gre_ns[0] = v[0][o->reps / 2];
	r->gre_ns[1] = v[1][o->reps / 2];
	r->ratio = v[2][o->reps / 2];
	eb_free(b);
	return 0;
out_fail:
	eb_free(b);
	return -1;
}

/* ---- main ----------------------------------------------------------------- */

static void
eb_usage(FILE *f)
{
	fprintf(f, "usage: engine_bench [--only est|pat|udp|new|gre|mem] "
		   "[--conns N] [--packets N]\n"
		   "                    [--reps N] [--calls N] [--gre one|all] "
		   "[--quick] [--batch]\n"
		   "--batch: the measured packets go in through "
		   "ph_engine_process_batch(), 256 a call.\n"
		   "--pair (with --only est|pat|udp): 1,000 and --conns "
		   "connections measured\n"
		   "alternately; prints the median of the per-rep ratios.\n"
		   "Without --only: every scenario at 1,000 and at --conns "
		   "(default 1,000,000)\nconnections, memory, and PPTP with 1 "
		   "and --calls (default 10,000) calls.\n");
}

static int
eb_parse(struct eb_opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "only", required_argument, NULL, 'o' },
		{ "conns", required_argument, NULL, 'n' },
		{ "packets", required_argument, NULL, 'p' },
		{ "reps", required_argument, NULL, 'r' },
		{ "calls", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "batch", no_argument, NULL, 'b' },
		{ "pair", no_argument, NULL, 'P' },
		{ "gre", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->only = -2;
			for (int k = 0; k <= EB_GRE; k++)
				if (strcmp(optarg, eb_kind_name[k]) == 0)
					o->only = k;
			if (strcmp(optarg, "mem") == 0)
				o->only = EB_GRE + 1;
			if (o->only == -2)
				return 2;
			break;
		case 'n':
			if (!bu_parse_u64(optarg, 1, 4000000, &v))
				return 2;
			o->conns = (uint32_t)v;
			break;
		case 'p':
			if (!bu_parse_u64(optarg, 1, 1000000000, &o->packets))
				return 2;
			break;
		case 'r':
			if (!bu_parse_u64(optarg, 1, 15, &v))
				return 2;
			o->reps = (uint32_t)v;
			break;
		case 'c':
			if (!bu_parse_u64(optarg, 1, 60000, &v))
				return 2;
			o->calls = (uint32_t)v;
			break;
		case 'q':
			o->quick = true;
			break;
		case 'b':
			o->batch = true;
			break;
		case 'P':
			o->pair = true;
			break;
		case 'g':
			if (strcmp(optarg, "one") == 0)
				o->gre_loops = 1;
			else if (strcmp(optarg, "all") == 0)
				o->gre_loops = 2;
			else
				return 2;
			break;
		case 'h':
			eb_usage(stdout);
			return 1;
		default:
			return 2;
		}
	}
	return optind == argc ? 0 : 2;
}

static bool eb_batch_mode;

static void
eb_print_row(enum eb_kind k, uint32_t n, const struct eb_result *r)
{
	printf("| %s | %u | %.1f | %.1f | %.0f |\n", eb_kind_name[k], n, r->med,
	       r->min, r->fill_ns);
	printf("result scenario=%s conns=%u ns_med=%.1f ns_min=%.1f "
	       "fill_ns=%.0f batch=%d\n",
	       eb_kind_name[k], n, r->med, r->min, r->fill_ns, eb_batch_mode);
}

/* One scenario at the sizes asked for; nonzero on failure. */
static int
eb_run_scenarios(const struct eb_opts *o)
{
	uint32_t sizes[2] = { 1000, o->conns };
	unsigned nsizes = o->conns == 1000 ? 1 : 2;
	struct eb_result r;

	if (o->only >= 0 && o->only <= EB_NEW)
		sizes[0] = o->conns, nsizes = 1;
	printf("| scenario | connections | ns/packet (median) | ns/packet "
	       "(min) | fill ns/conn |\n|---|---:|---:|---:|---:|\n");
	for (int k = EB_EST; k <= EB_NEW; k++) {
		if (o->only >= 0 && o->only != k)
			continue;
		for (unsigned s = 0; s < nsizes; s++) {
			if (eb_scenario(o, (enum eb_kind)k, sizes[s], &r) != 0)
				return 1;
			eb_print_row((enum eb_kind)k, sizes[s], &r);
			fflush(stdout);
		}
	}
	return 0;
}

static int
eb_run_memory(const struct eb_opts *o)
{
	double per = 0;
	uint32_t conns = 0, xlates = 0;

	if (eb_memory(o->conns, &per, &conns, &xlates) != 0)
		return 1;
	printf("result memory conns=%u xlates=%u rss_per_conn=%.0f "
	       "conn_mem=%zu\n",
	       conns, xlates, per, ph_engine_conn_mem());
	return 0;
}

static int
eb_run_pptp(const struct eb_opts *o)
{
	struct eb_pptp_result r;

	if (eb_pptp(o, &r) != 0)
		return 1;
	if (r.pending) {
		printf("result pptp pending=\"the engine does not translate "
		       "PPTP call ids (no PPTP inspector in "
		       "src/core/inspect.c)\"\n");
		return 0;
	}
	printf("result pptp calls=%u setup_s=%.3f setup_calls_per_s=%.0f "
	       "gre_ns_1=%.1f gre_ns_all=%.1f ratio_med=%.2f batch=%d\n",
	       r.calls, r.setup_s, r.calls / r.setup_s, r.gre_ns[0],
	       r.gre_ns[1], r.ratio, eb_batch_mode);
	return 0;
}

int
main(int argc, char **argv)
{
	struct eb_opts o = { .conns = 1000000,
			     .packets = 500000,
			     .reps = 3,
			     .only = -1,
			     .calls = 10000,
			     .gre_loops = 3 };
	int rc = eb_parse(&o, argc, argv);

	if (rc != 0) {
		eb_usage(rc == 1 ? stdout : stderr);
		return rc == 1 ? 0 : 2;
	}
	/* big blocks always from mmap and back to the kernel on free, so
	 * one scenario's freed engine is not resident in the next's RSS */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	eb_batch_mode = o.batch;
	if (o.quick) {
		o.conns = o.conns > 20000 ? 20000 : o.conns;
		o.packets = o.packets > 20000 ? 20000 : o.packets;
		o.calls = o.calls > 500 ? 500 : o.calls;
	}
	if (o.pair && o.only >= EB_EST && o.only < EB_NEW)
		return eb_pair(&o, (enum eb_kind)o.only, o.conns) ? 1 : 0;
	if (o.only < 0 || o.only <= EB_NEW)
		rc |= eb_run_scenarios(&o);
	if (o.only < 0 || o.only == EB_GRE + 1)
		rc |= eb_run_memory(&o);
	if (o.only < 0 || o.only == EB_GRE)
		rc |= eb_run_pptp(&o);
	return rc ? 1 : 0;
}
