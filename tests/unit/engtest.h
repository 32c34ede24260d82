/*
 * engtest.h - a small harness for engine tests (tests only): a policy
 * parsed from PIX text, an engine, an event sink that keeps every event
 * formatted as its PIX text, and packet senders built on pktbuild.h.
 *
 *	struct eh *h = eh_new(CONF, 0);
 *	eh_tcp(h, "inside", A(10,0,0,5), 1025, A(8,8,8,8), 80, PH_TCP_SYN, 1);
 *	ck_assert_int_eq(h->out.verdict, PH_VERDICT_ACCEPT);
 *	eh_expect(h, "Built outbound TCP connection 1 for outside:...");
 */
#ifndef PH_TEST_ENGTEST_H
#define PH_TEST_ENGTEST_H

#include <check.h>
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
#define EH_MAX_EV     512

struct eh {
	struct ph_engine *eng;
	struct ph_policy *pol;
	unsigned nev;  /* events so far */
	unsigned seen; /* events consumed by eh_expect() */
	char ev[EH_MAX_EV][320];
	uint32_t ev_id[EH_MAX_EV];
	uint8_t ev_sev[EH_MAX_EV];
	uint8_t buf[4096];
	size_t len;
	struct ph_pkt_out out;
	int rc;
};

static inline void
eh_emit(void *arg, const struct ph_event *ev)
{
	struct eh *h = arg;
	unsigned i = h->nev % EH_MAX_EV;

	ck_assert_int_ge(ph_event_format_text(ev, h->ev[i], sizeof(h->ev[i])),
			 0);
	h->ev_id[i] = ev->id;
	h->ev_sev[i] = ev->severity;
	h->nev++;
}

static inline struct ph_policy *
eh_parse(const char *conf)
{
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	int rc = ph_policy_parse(conf, strlen(conf), NULL, &pol, &d);

	if (rc != 0) {
		for (size_t i = 0; i < ph_diags_count(d); i++) {
			char line[512];

			ph_diag_format(ph_diags_get(d, i), line, sizeof(line));
			fprintf(stderr, "%s", line);
		}
	}
	ph_diags_free(d);
	ck_assert_int_eq(rc, 0);
	return pol;
}

static inline struct eh *
eh_new_opts(const char *conf, const struct ph_engine_opts *o)
{
	struct eh *h = calloc(1, sizeof(*h));
	struct ph_engine_opts opts = *o;

	ck_assert_ptr_nonnull(h);
	opts.emit = eh_emit;
	opts.emit_arg = h;
	h->pol = eh_parse(conf);
	h->eng = ph_engine_new(&opts);
	ck_assert_ptr_nonnull(h->eng);
	ck_assert_int_eq(
		ph_engine_set_policy(h->eng, h->pol, ph_time_from_sec(0)), 0);
	return h;
}

static inline struct eh *
eh_new(const char *conf, uint32_t max_conns)
{
	struct ph_engine_opts o = { .seed = { 0x1111, 0x2222 },
				    .max_conns = max_conns };

	return eh_new_opts(conf, &o);
}

static inline void
eh_free(struct eh *h)
{
	ph_engine_free(h->eng);
	ph_policy_free(h->pol);
	free(h);
}

static inline uint16_t
eh_if(const struct eh *h, const char *name)
{
	for (size_t i = 0; i < h->pol->n_ifaces; i++)
		if (strcmp(h->pol->ifaces[i].name, name) == 0)
			return (uint16_t)i;
	ck_abort_msg("no interface %s", name);
	return 0;
}

/* Run h->buf[0..len) through the engine; returns the verdict. */
static inline int
eh_run(struct eh *h, const char *ifname, uint64_t ns)
{
	struct ph_pkt_in in = { .data = h->buf,
				.len = h->len,
				.ifidx = eh_if(h, ifname) };

	h->rc = ph_engine_process(h->eng, &in, ph_time_from_ns(ns), &h->out);
	ck_assert_int_eq(h->rc, 0);
	return h->out.verdict;
}

#define SEC(s) ((uint64_t)(s)*PH_NSEC_PER_SEC)

static inline int
eh_tcp_seq(struct eh *h, const char *ifn, uint32_t src, uint16_t sp,
	   uint32_t dst, uint16_t dp, uint8_t flags, uint32_t seq, uint32_t ack,
	   size_t plen, uint64_t ns)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 1 };
	struct pb_tcp t = {
		.sport = sp, .dport = dp, .flags = flags, .seq = seq, .ack = ack
	};
	uint8_t pl[1400];

	memset(pl, 'x', sizeof(pl));
	h->len = pb_tcp(h->buf, &ip, &t, pl, plen);
	return eh_run(h, ifn, ns);
}

static inline int
eh_tcp(struct eh *h, const char *ifn, uint32_t src, uint16_t sp, uint32_t dst,
       uint16_t dp, uint8_t flags, uint64_t sec)
{
	return eh_tcp_seq(h, ifn, src, sp, dst, dp, flags, 1000, 0, 0,
			  SEC(sec));
}

static inline int
eh_udp(struct eh *h, const char *ifn, uint32_t src, uint16_t sp, uint32_t dst,
       uint16_t dp, size_t plen, uint64_t sec)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 2 };
	uint8_t pl[1400];

	memset(pl, 'u', sizeof(pl));
	h->len = pb_udp(h->buf, &ip, sp, dp, pl, plen);
	return eh_run(h, ifn, SEC(sec));
}

static inline int
eh_icmp(struct eh *h, const char *ifn, uint32_t src, uint32_t dst, uint8_t type,
	uint16_t id, uint16_t seq, uint64_t sec)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 3 };
	uint8_t pl[32];

	memset(pl, 'p', sizeof(pl));
	h->len = pb_icmp(h->buf, &ip, type, 0, (uint32_t)id << 16 | seq, pl,
			 sizeof(pl));
	return eh_run(h, ifn, SEC(sec));
}

/* Enhanced GRE (PPTP, version 1) with call id `cid`. */
static inline int
eh_gre(struct eh *h, const char *ifn, uint32_t src, uint32_t dst, uint16_t cid,
       uint64_t sec)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = 4 };
	struct pb_gre g = { .flags = PH_GRE_F_KEY | PH_GRE_F_SEQ | 1,
			    .proto = PH_GRE_PROTO_PPP,
			    .key = (uint32_t)16 << 16 | cid,
			    .seq = 1 };
	uint8_t pl[16];

	memset(pl, 'g', sizeof(pl));
	h->len = pb_gre(h->buf, &ip, &g, pl, sizeof(pl));
	return eh_run(h, ifn, SEC(sec));
}

/* Packet fields after the engine, for asserting rewrites. */
static inline uint32_t
eh_src(const struct eh *h)
{
	return pb_get32(h->buf + 12);
}

static inline uint32_t
eh_dst(const struct eh *h)
{
	return pb_get32(h->buf + 16);
}

static inline uint16_t
eh_sport(const struct eh *h)
{
	return pb_get16(h->buf + pb_hlen(h->buf));
}

static inline uint16_t
eh_dport(const struct eh *h)
{
	return pb_get16(h->buf + pb_hlen(h->buf) + 2);
}

/* The next unconsumed event must be `text` (and consume it). */
#define eh_expect(h, text)                                                  \
	do {                                                                \
		ck_assert_msg((h)->seen < (h)->nev,                         \
			      "no event left, wanted: %s", (text));         \
		ck_assert_str_eq((h)->ev[(h)->seen++ % EH_MAX_EV], (text)); \
	} while (0)

/* No event left unconsumed. */
#define eh_expect_none(h)                                            \
	ck_assert_msg((h)->seen == (h)->nev, "unexpected event: %s", \
		      (h)->ev[(h)->seen % EH_MAX_EV])

/* Skip all pending events. */
static inline void
eh_skip(struct eh *h)
{
	h->seen = h->nev;
}

/* The counters add up: in = accepted + dropped + held, drops sum. */
static inline void
eh_check_counters(const struct eh *h)
{
	struct ph_engine_counters c;
	uint64_t sum = 0;

	ph_engine_counters(h->eng, &c);
	for (unsigned r = 0; r < PH_R_MAX; r++)
		sum += c.drops[r];
	ck_assert_uint_eq(c.pkts_in,
			  c.pkts_accepted + c.pkts_dropped + c.pkts_held);
	ck_assert_uint_eq(sum, c.pkts_dropped);
	ck_assert_uint_eq(c.drops[PH_R_NONE], 0);
}

static inline int
eh_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* PH_TEST_ENGTEST_H */
