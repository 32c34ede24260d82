/*
 * test_engine_batch.c - ph_engine_process_batch() gives exactly what one
 * ph_engine_process() call per packet gives: two engines with the same
 * seed and policy get the same generated traffic, one packet at a time
 * and in batches of random size; after every batch the verdicts, drop
 * reasons, egress interfaces, rewritten bytes, the events in order (as
 * PIX text) and the counters must be equal.  The traffic mixes new flows
 * (TCP, UDP, ICMP echo, PPTP-style GRE) through PAT and identity NAT,
 * replies (also in the same batch as their first packet), TCP packets in
 * and out of window, FIN/RST, ICMP errors quoting a flow, fragments,
 * malformed and truncated packets, an unknown interface, inbound packets
 * to a static, a table small enough to fill, and time jumps with ticks
 * so that connections expire between and inside batches.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/engine.h>
#include <pinhole/event.h>
#include <pinhole/policy.h>

#include "config/model.h"
#include "log/format.h"
#include "pktbuild.h"

#define A(a, b, c, d) PB_A(a, b, c, d)
#define BMAX	      320 /* packets per batch at most */
#define PKT_MAX	      200
#define FLOWS	      600

static const char conf[] =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"ip address outside 198.51.100.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.0.0.0\n"
	"route outside 0.0.0.0 0.0.0.0 198.51.100.254 1\n"
	"access-list inside_in permit ip 10.0.0.0 255.0.0.0 any\n"
	"access-list outside_in permit tcp any host 198.51.100.100 eq 80\n"
	"access-list outside_in deny ip any any\n"
	"access-group inside_in in interface inside\n"
	"access-group outside_in in interface outside\n"
	"nat (inside) 0 10.2.0.0 255.255.0.0 0 0\n"
	"nat (inside) 1 10.1.0.0 255.255.0.0 0 0\n"
	"global (outside) 1 198.51.100.10\n"
	"static (inside,outside) 198.51.100.100 10.3.0.5 netmask "
	"255.255.255.255 0 0\n"
	"timeout conn 0:10:00 udp 0:02:00\n"
	"fixup protocol pptp 1723\n";

struct evlog {
	char **line;
	size_t n, cap;
};

struct side {
	struct ph_engine *eng;
	struct evlog ev;
};

struct flow {
	uint8_t proto;
	uint32_t lhost, server, maddr;
	uint16_t lport, sport, mport;
	uint32_t cseq, sseq;
	bool known; /* mapped address and port learnt */
};

struct gen {
	uint64_t rng;
	struct flow f[FLOWS];
	unsigned nf;
	uint16_t ipid;
};

static void
emit(void *arg, const struct ph_event *ev)
{
	struct evlog *l = arg;
	char buf[400];

	ck_assert_int_ge(ph_event_format_text(ev, buf, sizeof(buf)), 0);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->line = realloc(l->line, l->cap * sizeof(*l->line));
		ck_assert_ptr_nonnull(l->line);
	}
	l->line[l->n] = strdup(buf);
	ck_assert_ptr_nonnull(l->line[l->n]);
	l->n++;
}

static void
side_init(struct side *s, const struct ph_policy *pol)
{
	struct ph_engine_opts o = { .seed = { 77, 88 },
				    .max_conns = 300,
				    .max_xlates = 200,
				    .max_frags = 16,
				    .tick_budget = 64 };

	memset(s, 0, sizeof(*s));
	o.emit = emit;
	o.emit_arg = &s->ev;
	s->eng = ph_engine_new(&o);
	ck_assert_ptr_nonnull(s->eng);
	ck_assert_int_eq(ph_engine_set_policy(s->eng, pol, ph_time_from_sec(1)),
			 0);
}

static void
side_free(struct side *s)
{
	for (size_t i = 0; i < s->ev.n; i++)
		free(s->ev.line[i]);
	free(s->ev.line);
	ph_engine_free(s->eng);
}

static uint32_t
rnd(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (uint32_t)(g->rng >> 11);
}

static size_t
tcp(uint8_t *b, uint32_t s, uint16_t sp, uint32_t d, uint16_t dp, uint8_t fl,
    uint32_t seq, uint32_t ack, size_t plen, uint16_t id)
{
	struct pb_ip ip = { .src = s, .dst = d, .id = id };
	struct pb_tcp t = {
		.sport = sp, .dport = dp, .flags = fl, .seq = seq, .ack = ack
	};
	uint8_t pl[64];

	memset(pl, 'x', sizeof(pl));
	return pb_tcp(b, &ip, &t, pl, plen);
}

static size_t
l4pkt(uint8_t *b, uint8_t proto, uint32_t s, uint16_t sp, uint32_t d,
      uint16_t dp, bool reply, uint16_t id)
{
	struct pb_ip ip = { .src = s, .dst = d, .id = id };
	struct pb_gre gre = { .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ | 1,
			      .proto = 0x880b,
			      .key = (uint32_t)16 << 16 | dp };
	uint8_t pl[16];

	memset(pl, 'u', sizeof(pl));
	if (proto == PH_IPPROTO_UDP)
		return pb_udp(b, &ip, sp, dp, pl, sizeof(pl));
	if (proto == PH_IPPROTO_ICMP)
		return pb_icmp(b, &ip, reply ? 0 : 8, 0, (uint32_t)sp << 16 | 1,
			       pl, sizeof(pl));
	return pb_gre(b, &ip, &gre, pl, sizeof(pl));
}

/* A new outbound flow: PAT network or identity network (known at once). */
static size_t
gen_new(struct gen *g, uint8_t *b, uint16_t *ifx, uint16_t if_in)
{
	static const uint8_t protos[] = { 6, 6, 6, 6, 17, 17, 1, 47 };
	struct flow *f = &g->f[g->nf < FLOWS ? g->nf++ : rnd(g) % FLOWS];
	bool ident = rnd(g) % 3 == 0;

	memset(f, 0, sizeof(*f));
	f->proto = protos[rnd(g) % sizeof(protos)];
	f->lhost = (ident ? A(10, 2, 0, 1) : A(10, 1, 0, 1)) + rnd(g) % 20;
	f->lport = (uint16_t)(1024 + rnd(g) % 64);
	f->server = A(203, 0, 113, 1 + rnd(g) % 4);
	f->sport = f->proto == 6 ? (rnd(g) % 4 ? 80 : 1723) : 53;
	if (f->proto == PH_IPPROTO_GRE)
		f->sport = (uint16_t)(1 + rnd(g) % 8); /* call id */
	f->cseq = 1000;
	f->sseq = 5000;
	if (ident) {
		f->maddr = f->lhost;
		f->mport = f->lport;
		f->known = true;
	}
	*ifx = if_in;
	if (f->proto == 6)
		return tcp(b, f->lhost, f->lport, f->server, f->sport,
			   PH_TCP_SYN, f->cseq++, 0, 0, g->ipid++);
	return l4pkt(b, f->proto, f->lhost, f->lport, f->server, f->sport,
		     false, g->ipid++);
}

static uint8_t
tcp_flags(struct gen *g, bool from_server)
{
	static const uint8_t fl[] = {
		PH_TCP_ACK,
		PH_TCP_ACK | PH_TCP_PSH,
		PH_TCP_ACK | PH_TCP_PSH,
		PH_TCP_ACK | PH_TCP_FIN,
		PH_TCP_RST,
		PH_TCP_SYN | PH_TCP_FIN, /* bad */
		PH_TCP_SYN,
	};
	unsigned i = rnd(g) % (sizeof(fl) + 2);

	if (from_server && i >= sizeof(fl))
		return PH_TCP_SYN | PH_TCP_ACK;
	return fl[i % sizeof(fl)];
}

/* A packet of an existing flow, either way (a reply needs the mapping). */
static size_t
gen_flow(struct gen *g, uint8_t *b, uint16_t *ifx, uint16_t if_in,
	 uint16_t if_out)
{
	struct flow *f = &g->f[rnd(g) % g->nf];
	bool back = f->known && rnd(g) % 2;
	uint8_t fl;
	size_t plen;

	*ifx = back ? if_out : if_in;
	if (f->proto != 6)
		return back ? l4pkt(b, f->proto, f->server, f->sport, f->maddr,
				    f->mport, true, g->ipid++)
			    : l4pkt(b, f->proto, f->lhost, f->lport, f->server,
				    f->sport, false, g->ipid++);
	fl = tcp_flags(g, back);
	plen = (fl & PH_TCP_PSH) ? 10 : 0;
	if (rnd(g) % 10 == 0) /* out of window */
		return tcp(b, back ? f->server : f->lhost,
			   back ? f->sport : f->lport,
			   back ? f->maddr : f->server,
			   back ? f->mport : f->sport, fl, rnd(g), rnd(g), plen,
			   g->ipid++);
	if (back) {
		size_t n = tcp(b, f->server, f->sport, f->maddr, f->mport, fl,
			       f->sseq, f->cseq, plen, g->ipid++);

		f->sseq += (uint32_t)plen + ((fl & PH_TCP_SYN) ? 1 : 0);
		return n;
	}
	{
		size_t n = tcp(b, f->lhost, f->lport, f->server, f->sport, fl,
			       f->cseq, f->sseq + 1, plen, g->ipid++);

		f->cseq += (uint32_t)plen;
		return n;
	}
}

/* Oddities: ICMP error, fragments, junk, unknown interface, static. */
static size_t
gen_odd(struct gen *g, uint8_t *b, uint16_t *ifx, uint16_t if_in,
	uint16_t if_out)
{
	struct pb_ip ip = { .src = A(10, 1, 0, 3), .dst = A(203, 0, 113, 2) };
	struct flow *f = g->nf ? &g->f[rnd(g) % g->nf] : NULL;
	uint8_t q[PKT_MAX], pl[48];
	size_t n;

	*ifx = if_in;
	memset(pl, 'f', sizeof(pl));
	switch (rnd(g) % 7) {
	case 0: /* ICMP error from the server about a flow's packet */
		if (f == NULL || !f->known)
			break;
		n = f->proto == 6
			    ? tcp(q, f->maddr, f->mport, f->server, f->sport,
				  PH_TCP_ACK, f->cseq, f->sseq, 0, 9)
			    : l4pkt(q, f->proto, f->maddr, f->mport, f->server,
				    f->sport, false, 9);
		ip.src = f->server;
		ip.dst = f->maddr;
		*ifx = if_out;
		return pb_icmp_err(b, &ip, 3, 3, q, n < 28 ? n : 28);
	case 1: /* first fragment */
		ip.id = (uint16_t)(100 + rnd(g) % 4);
		ip.frag = PB_MF;
		return pb_udp(b, &ip, 1111, 53, pl, sizeof(pl));
	case 2: /* later fragment */
		ip.id = (uint16_t)(100 + rnd(g) % 4);
		ip.frag = (uint16_t)(7 + rnd(g) % 2);
		return pb_raw(b, &ip, PH_IPPROTO_UDP, pl, 16);
	case 3: /* junk */
		n = 1 + rnd(g) % 60;
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)rnd(g);
		if (rnd(g) % 2)
			b[0] = 0x45;
		return n;
	case 4: /* unknown interface */
		*ifx = 9;
		return tcp(b, ip.src, 1, ip.dst, 2, PH_TCP_SYN, 1, 0, 0, 1);
	case 5: /* truncated TCP */
		n = tcp(b, ip.src, 1025, ip.dst, 80, PH_TCP_ACK, 1, 1, 0, 2);
		return n - 1 - rnd(g) % 10;
	default: /* inbound to the static */
		*ifx = if_out;
		return tcp(b, A(203, 0, 113, 9), (uint16_t)(2000 + rnd(g) % 8),
			   A(198, 51, 100, 100), rnd(g) % 3 ? 80 : 81,
			   rnd(g) % 4 ? PH_TCP_SYN : PH_TCP_ACK, 77, 0, 0, 3);
	}
	return tcp(b, ip.src, 1025, ip.dst, 80, PH_TCP_SYN, 1, 0, 0, 4);
}

/* Learn mapped addresses from the translated first packets. */
static void
learn(struct gen *g, const uint8_t *pkt, size_t len, const struct ph_pkt_out *o)
{
	uint8_t proto;
	uint32_t src, dst;

	if (o->verdict != PH_VERDICT_ACCEPT || !o->modified || len < 24)
		return;
	proto = pkt[9];
	src = pb_get32(pkt + 12);
	dst = pb_get32(pkt + 16);
	if (src != A(198, 51, 100, 10))
		return;
	for (unsigned i = 0; i < g->nf; i++) {
		struct flow *f = &g->f[i];
		uint16_t mp =
			proto == 1 ? pb_get16(pkt + 24) : pb_get16(pkt + 20);

		if (f->known || f->proto != proto || f->server != dst)
			continue;
		if (proto == 47)
			mp = 0;
		f->maddr = src;
		f->mport = mp;
		f->known = true;
		return;
	}
}

static void
compare(const struct side *a, const struct side *b, uint8_t (*pa)[PKT_MAX],
	uint8_t (*pb)[PKT_MAX], const size_t *len, const struct ph_pkt_out *oa,
	const struct ph_pkt_out *ob, size_t n)
{
	struct ph_engine_counters ca, cb;

	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(oa[i].verdict, ob[i].verdict);
		ck_assert_uint_eq(oa[i].reason, ob[i].reason);
		ck_assert_uint_eq(oa[i].out_ifidx, ob[i].out_ifidx);
		ck_assert(oa[i].modified == ob[i].modified);
		ck_assert(memcmp(pa[i], pb[i], len[i]) == 0);
	}
	ck_assert_uint_eq(a->ev.n, b->ev.n);
	for (size_t i = 0; i < a->ev.n; i++)
		ck_assert_str_eq(a->ev.line[i], b->ev.line[i]);
	memset(&ca, 0, sizeof(ca));
	memset(&cb, 0, sizeof(cb));
	ph_engine_counters(a->eng, &ca);
	ph_engine_counters(b->eng, &cb);
	ck_assert(memcmp(&ca, &cb, sizeof(ca)) == 0);
}

static uint16_t
ifidx(const struct ph_policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (strcmp(pol->ifaces[i].name, name) == 0)
			return (uint16_t)i;
	ck_abort_msg("no interface %s", name);
	return 0;
}

static void
run_mix(uint64_t seed, unsigned rounds, unsigned maxb)
{
	static uint8_t pa[BMAX][PKT_MAX], pb[BMAX][PKT_MAX];
	static struct ph_pkt_in in[BMAX];
	static struct ph_pkt_out oa[BMAX], ob[BMAX];
	static size_t len[BMAX];
	static uint16_t ifx[BMAX];
	static struct gen g;
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	struct side a, b;
	uint64_t now = 2 * PH_NSEC_PER_SEC, accepted = 0, dropped = 0;
	uint16_t if_in, if_out;

	ck_assert_int_eq(ph_policy_parse(conf, strlen(conf), NULL, &pol, &d),
			 0);
	ph_diags_free(d);
	if_in = ifidx(pol, "inside");
	if_out = ifidx(pol, "outside");
	side_init(&a, pol);
	side_init(&b, pol);
	memset(&g, 0, sizeof(g));
	g.rng = seed;
	for (unsigned r = 0; r < rounds; r++) {
		size_t n = 1 + rnd(&g) % maxb;

		for (size_t i = 0; i < n; i++) {
			unsigned k = rnd(&g) % 100;

			if (g.nf == 0 || k < 22)
				len[i] = gen_new(&g, pa[i], &ifx[i], if_in);
			else if (k < 88)
				len[i] = gen_flow(&g, pa[i], &ifx[i], if_in,
						  if_out);
			else
				len[i] = gen_odd(&g, pa[i], &ifx[i], if_in,
						 if_out);
			memcpy(pb[i], pa[i], len[i]);
		}
		for (size_t i = 0; i < n; i++) {
			struct ph_pkt_in one = { .data = pa[i],
						 .len = len[i],
						 .ifidx = ifx[i],
						 .token = i };

			ck_assert_int_eq(ph_engine_process(a.eng, &one,
							   ph_time_from_ns(now),
							   &oa[i]),
					 0);
			in[i] = (struct ph_pkt_in){ .data = pb[i],
						    .len = len[i],
						    .ifidx = ifx[i],
						    .token = i };
		}
		ck_assert_int_eq(ph_engine_process_batch(b.eng, in, n,
							 ph_time_from_ns(now),
							 ob),
				 0);
		compare(&a, &b, pa, pb, len, oa, ob, n);
		for (size_t i = 0; i < n; i++) {
			learn(&g, pa[i], len[i], &oa[i]);
			accepted += oa[i].verdict == PH_VERDICT_ACCEPT;
			dropped += oa[i].verdict == PH_VERDICT_DROP;
		}
		/* mostly seconds apart; now and then past the UDP timeout */
		now += (uint64_t)(rnd(&g) % 3000) * 1000000ull;
		if (rnd(&g) % 40 == 0)
			now += (uint64_t)(60 + rnd(&g) % 100) * PH_NSEC_PER_SEC;
		if (rnd(&g) % 4 == 0) {
			ck_assert_uint_eq(
				ph_engine_tick(a.eng, ph_time_from_ns(now)),
				ph_engine_tick(b.eng, ph_time_from_ns(now)));
			compare(&a, &b, pa, pb, len, oa, ob, 0);
		}
	}
	/* the mix must exercise both outcomes, and events */
	ck_assert_uint_gt(accepted, rounds);
	ck_assert_uint_gt(dropped, rounds / 4);
	ck_assert_uint_gt(a.ev.n, rounds);
	side_free(&a);
	side_free(&b);
	ph_policy_free(pol);
}

START_TEST(test_batch_equals_single_small)
{
	run_mix(0x1234567 + (uint64_t)_i, 400, 8);
}
END_TEST

START_TEST(test_batch_equals_single_large)
{
	run_mix(0xabcdef1 + (uint64_t)_i, 150, BMAX);
}
END_TEST

START_TEST(test_batch_args)
{
	struct ph_engine_opts o = { .seed = { 1, 2 } };
	struct ph_engine *eng = ph_engine_new(&o);
	struct ph_pkt_in in = { .data = NULL, .len = 5 };
	struct ph_pkt_out out;

	ck_assert_ptr_nonnull(eng);
	ck_assert_int_eq(ph_engine_process_batch(NULL, &in, 1,
						 ph_time_from_sec(1), &out),
			 -EINVAL);
	ck_assert_int_eq(ph_engine_process_batch(eng, NULL, 1,
						 ph_time_from_sec(1), &out),
			 -EINVAL);
	ck_assert_int_eq(ph_engine_process_batch(eng, NULL, 0,
						 ph_time_from_sec(1), NULL),
			 0);
	/* a bad packet is reported, as ph_engine_process() reports it */
	ck_assert_int_eq(
		ph_engine_process_batch(eng, &in, 1, ph_time_from_sec(1), &out),
		-EINVAL);
	ph_engine_free(eng);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("engine_batch");
	TCase *tc = tcase_create("equivalence");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_batch_equals_single_small, 0, 4);
	tcase_add_loop_test(tc, test_batch_equals_single_large, 0, 4);
	tcase_add_test(tc, test_batch_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
