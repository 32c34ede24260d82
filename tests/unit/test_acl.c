/*
 * test_acl.c - the ACL classifier: table-driven semantics (host/any/prefix,
 * each port op, icmp types, ip matches every protocol, first match wins,
 * implicit deny, non-first fragments), then the compiled index against the
 * linear reference on randomized rule sets and packets (many seeds, small
 * address and port spaces so rules overlap), the host directory in front
 * of the tree, limits and statistics.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/model.h"
#include "core/acl.h"

#define IP(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define HOST(a)                  \
	{                        \
		(a), 0xffffffffu \
	}
#define NET(a, m)        \
	{                \
		(a), (m) \
	}
#define ANY          \
	{            \
		0, 0 \
	}
#define P(o, l, h)                              \
	{                                       \
		.op = (o), .lo = (l), .hi = (h) \
	}
#define NOP P(PH_PORT_ANY, 0, 0)

/* One ACE in the tables below. */
#define ACE(act, pr, s, d, sp, dp, ic)                              \
	{                                                           \
		.action = (act), .proto = (pr), .src = s, .dst = d, \
		.sport = sp, .dport = dp, .icmp_type = (ic),        \
		.log_level = PH_LOG_NONE                            \
	}

/* A policy whose ACL 0 holds `aces`, and whose conduits are the same. */
struct tpol {
	struct ph_policy pol;
	struct ph_acl acl[2];
};

static void
tpol_init(struct tpol *t, struct ph_ace *aces, size_t n)
{
	memset(t, 0, sizeof(*t));
	/* ACL 0 is empty, ACL 1 holds the entries: lookups must return
	 * absolute indexes. */
	t->acl[0].first = 0;
	t->acl[0].count = 0;
	t->acl[1].first = 0;
	t->acl[1].count = (uint32_t)n;
	t->pol.acls = t->acl;
	t->pol.n_acls = 2;
	t->pol.aces = aces;
	t->pol.n_aces = n;
	t->pol.conduits = aces;
	t->pol.n_conduits = n;
}

static struct ph_acl_key
key(uint8_t proto, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    int16_t icmp)
{
	struct ph_acl_key k = { .proto = proto,
				.src = src,
				.dst = dst,
				.sport = sport,
				.dport = dport,
				.icmp_type = icmp };

	return k;
}

static struct ph_ace sem_aces[] = {
	/* 0 */ ACE(PH_ACL_PERMIT, 6, HOST(IP(10, 0, 0, 1)),
		    HOST(IP(192, 0, 2, 1)), NOP, P(PH_PORT_EQ, 80, 0),
		    PH_ICMP_ANY),
	/* 1 */
	ACE(PH_ACL_DENY, 6, ANY, NET(IP(192, 0, 2, 0), 0xffffff00), NOP,
	    P(PH_PORT_EQ, 80, 0), PH_ICMP_ANY),
	/* 2 */
	ACE(PH_ACL_PERMIT, 17, ANY, ANY, P(PH_PORT_EQ, 53, 0),
	    P(PH_PORT_GT, 1023, 0), PH_ICMP_ANY),
	/* 3 */
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 9)), NOP,
	    P(PH_PORT_LT, 1024, 0), PH_ICMP_ANY),
	/* 4 */
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 10)), NOP,
	    P(PH_PORT_NEQ, 23, 0), PH_ICMP_ANY),
	/* 5 */
	ACE(PH_ACL_PERMIT, 17, ANY, HOST(IP(192, 0, 2, 11)), NOP,
	    P(PH_PORT_RANGE, 5000, 5010), PH_ICMP_ANY),
	/* 6 */ ACE(PH_ACL_PERMIT, 1, ANY, ANY, NOP, NOP, 8),
	/* 7 */
	ACE(PH_ACL_DENY, 1, NET(IP(172, 16, 0, 0), 0xfff00000), ANY, NOP, NOP,
	    PH_ICMP_ANY),
	/* 8 */
	ACE(PH_ACL_PERMIT, 47, ANY, HOST(IP(192, 0, 2, 20)), NOP, NOP,
	    PH_ICMP_ANY),
	/* 9 */
	ACE(PH_ACL_PERMIT, PH_PROTO_ANY, HOST(IP(10, 9, 9, 9)), ANY, NOP, NOP,
	    PH_ICMP_ANY),
	/* 10: tcp any any, no ports: matches fragments too */
	ACE(PH_ACL_DENY, 6, NET(IP(10, 7, 0, 0), 0xffff0000), ANY, NOP, NOP,
	    PH_ICMP_ANY),
	/* 11: range on both ports */
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 30)),
	    P(PH_PORT_RANGE, 1024, 65535), P(PH_PORT_RANGE, 8000, 8080),
	    PH_ICMP_ANY),
	/* 12: lt 0 and gt 65535 never match */
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 40)), NOP,
	    P(PH_PORT_LT, 0, 0), PH_ICMP_ANY),
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 40)), NOP,
	    P(PH_PORT_GT, 65535, 0), PH_ICMP_ANY),
	/* 14: gt 65534 is 65535 only */
	ACE(PH_ACL_PERMIT, 6, ANY, HOST(IP(192, 0, 2, 40)), NOP,
	    P(PH_PORT_GT, 65534, 0), PH_ICMP_ANY),
	/* 15..19: padding so the list is compiled with default options */
	ACE(PH_ACL_PERMIT, 6, HOST(IP(1, 1, 1, 1)), HOST(IP(2, 2, 2, 2)), NOP,
	    P(PH_PORT_EQ, 1, 0), PH_ICMP_ANY),
	ACE(PH_ACL_PERMIT, 6, HOST(IP(1, 1, 1, 2)), HOST(IP(2, 2, 2, 2)), NOP,
	    P(PH_PORT_EQ, 1, 0), PH_ICMP_ANY),
	ACE(PH_ACL_PERMIT, 6, HOST(IP(1, 1, 1, 3)), HOST(IP(2, 2, 2, 2)), NOP,
	    P(PH_PORT_EQ, 1, 0), PH_ICMP_ANY),
	ACE(PH_ACL_PERMIT, 6, HOST(IP(1, 1, 1, 4)), HOST(IP(2, 2, 2, 2)), NOP,
	    P(PH_PORT_EQ, 1, 0), PH_ICMP_ANY),
	ACE(PH_ACL_PERMIT, 6, HOST(IP(1, 1, 1, 5)), HOST(IP(2, 2, 2, 2)), NOP,
	    P(PH_PORT_EQ, 1, 0), PH_ICMP_ANY),
};

#define N_SEM (sizeof(sem_aces) / sizeof(sem_aces[0]))

struct sem_case {
	const char *what;
	struct ph_acl_key k;
	int32_t want;
};

static const struct {
	const char *what;
	uint8_t proto;
	uint32_t src;
	uint16_t sport;
	uint32_t dst;
	uint16_t dport;
	int16_t icmp;
	bool no_ports;
	int32_t want;
} sem_cases[] = {
	{ "host/host eq", 6, IP(10, 0, 0, 1), 1234, IP(192, 0, 2, 1), 80,
	  PH_ICMP_ANY, false, 0 },
	{ "first match wins: prefix deny after host permit", 6, IP(10, 0, 0, 2),
	  1234, IP(192, 0, 2, 1), 80, PH_ICMP_ANY, false, 1 },
	{ "prefix: other host in /24", 6, IP(10, 0, 0, 1), 1, IP(192, 0, 2, 77),
	  80, PH_ICMP_ANY, false, 1 },
	{ "eq port differs", 6, IP(10, 0, 0, 1), 1234, IP(192, 0, 2, 1), 81,
	  PH_ICMP_ANY, false, -1 },
	{ "udp sport eq 53, dport gt 1023", 17, IP(8, 8, 8, 8), 53,
	  IP(10, 1, 1, 1), 1024, PH_ICMP_ANY, false, 2 },
	{ "gt is strict", 17, IP(8, 8, 8, 8), 53, IP(10, 1, 1, 1), 1023,
	  PH_ICMP_ANY, false, -1 },
	{ "udp entry does not match tcp", 6, IP(8, 8, 8, 8), 53,
	  IP(10, 1, 1, 1), 2000, PH_ICMP_ANY, false, -1 },
	{ "lt is strict (1023)", 6, 1, 1, IP(192, 0, 2, 9), 1023, PH_ICMP_ANY,
	  false, 3 },
	{ "lt is strict (1024)", 6, 1, 1, IP(192, 0, 2, 9), 1024, PH_ICMP_ANY,
	  false, -1 },
	{ "neq other port", 6, 1, 1, IP(192, 0, 2, 10), 22, PH_ICMP_ANY, false,
	  4 },
	{ "neq the port", 6, 1, 1, IP(192, 0, 2, 10), 23, PH_ICMP_ANY, false,
	  -1 },
	{ "range low edge", 17, 1, 1, IP(192, 0, 2, 11), 5000, PH_ICMP_ANY,
	  false, 5 },
	{ "range high edge", 17, 1, 1, IP(192, 0, 2, 11), 5010, PH_ICMP_ANY,
	  false, 5 },
	{ "range past high", 17, 1, 1, IP(192, 0, 2, 11), 5011, PH_ICMP_ANY,
	  false, -1 },
	{ "range below low", 17, 1, 1, IP(192, 0, 2, 11), 4999, PH_ICMP_ANY,
	  false, -1 },
	{ "icmp echo", 1, IP(172, 16, 1, 1), 0, IP(1, 2, 3, 4), 0, 8, false,
	  6 },
	{ "icmp other type falls to prefix deny", 1, IP(172, 16, 1, 1), 0,
	  IP(1, 2, 3, 4), 0, 0, false, 7 },
	{ "icmp other type, other src: implicit deny", 1, IP(172, 32, 1, 1), 0,
	  IP(1, 2, 3, 4), 0, 0, false, -1 },
	{ "icmp fragment: typed entry cannot match", 1, IP(9, 9, 9, 9), 0,
	  IP(1, 2, 3, 4), 0, 8, true, -1 },
	{ "gre by number", 47, IP(5, 5, 5, 5), 0, IP(192, 0, 2, 20), 0,
	  PH_ICMP_ANY, false, 8 },
	{ "gre wrong dst", 47, IP(5, 5, 5, 5), 0, IP(192, 0, 2, 21), 0,
	  PH_ICMP_ANY, false, -1 },
	{ "ip matches tcp", 6, IP(10, 9, 9, 9), 1, IP(4, 4, 4, 4), 2,
	  PH_ICMP_ANY, false, 9 },
	{ "ip matches esp", 50, IP(10, 9, 9, 9), 0, IP(4, 4, 4, 4), 0,
	  PH_ICMP_ANY, false, 9 },
	{ "ip matches a fragment", 17, IP(10, 9, 9, 9), 0, IP(4, 4, 4, 4), 0,
	  PH_ICMP_ANY, true, 9 },
	{ "fragment skips port entries, hits portless tcp deny", 6,
	  IP(10, 7, 1, 1), 0, IP(192, 0, 2, 1), 0, PH_ICMP_ANY, true, 10 },
	{ "fragment of port-only match: implicit deny", 6, IP(10, 0, 0, 1), 0,
	  IP(192, 0, 2, 1), 80, PH_ICMP_ANY, true, -1 },
	{ "ranges on both ports", 6, 1, 2000, IP(192, 0, 2, 30), 8080,
	  PH_ICMP_ANY, false, 11 },
	{ "ranges: sport outside", 6, 1, 1023, IP(192, 0, 2, 30), 8080,
	  PH_ICMP_ANY, false, -1 },
	{ "lt 0 / gt 65535 never; gt 65534", 6, 1, 1, IP(192, 0, 2, 40), 65535,
	  PH_ICMP_ANY, false, 14 },
	{ "port 0 matches nothing there", 6, 1, 1, IP(192, 0, 2, 40), 0,
	  PH_ICMP_ANY, false, -1 },
	{ "padding host", 6, IP(1, 1, 1, 3), 9, IP(2, 2, 2, 2), 1, PH_ICMP_ANY,
	  false, 17 },
	{ "implicit deny", 6, IP(3, 3, 3, 3), 9, IP(4, 4, 4, 4), 1, PH_ICMP_ANY,
	  false, -1 },
};

#define N_SEM_CASES (sizeof(sem_cases) / sizeof(sem_cases[0]))

static void
check_sem(uint32_t linear_max)
{
	struct ph_acl_build_opts o = { .seed = 42, .linear_max = linear_max };
	struct ph_acl_index *ix;
	struct tpol t;
	int err = 0;

	tpol_init(&t, sem_aces, N_SEM);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_ptr_nonnull(ix);
	for (size_t i = 0; i < N_SEM_CASES; i++) {
		struct ph_acl_key k =
			key(sem_cases[i].proto, sem_cases[i].src,
			    sem_cases[i].sport, sem_cases[i].dst,
			    sem_cases[i].dport, sem_cases[i].icmp);

		k.no_ports = sem_cases[i].no_ports;
		ck_assert_msg(ph_acl_lookup_linear(&t.pol, 1, &k) ==
				      sem_cases[i].want,
			      "linear: %s: got %d", sem_cases[i].what,
			      ph_acl_lookup_linear(&t.pol, 1, &k));
		ck_assert_msg(ph_acl_lookup(ix, 1, &k) == sem_cases[i].want,
			      "index(%u): %s: got %d", linear_max,
			      sem_cases[i].what, ph_acl_lookup(ix, 1, &k));
		ck_assert_int_eq(ph_acl_lookup_conduit(ix, &k),
				 sem_cases[i].want);
		ck_assert_int_eq(ph_acl_lookup_conduit_linear(&t.pol, &k),
				 sem_cases[i].want);
		ck_assert_int_eq(ph_acl_lookup(ix, 0, &k), -1);
		ck_assert_int_eq(ph_acl_lookup(ix, 2, &k), -1);
	}
	ph_acl_index_free(ix);
}

START_TEST(test_semantics_compiled)
{
	check_sem(0);
}
END_TEST

START_TEST(test_semantics_default)
{
	struct ph_acl_stats st;
	struct ph_acl_index *ix;
	struct tpol t;
	int err;

	check_sem(PH_ACL_LINEAR_MAX);
	check_sem(1000); /* linear */
	tpol_init(&t, sem_aces, N_SEM);
	ix = ph_acl_index_build(&t.pol, 7, &err);
	ck_assert_int_eq(ph_acl_index_stats(ix, 1, &st), 0);
	ck_assert(st.compiled);
	ck_assert_uint_eq(st.entries, N_SEM);
	ck_assert_uint_eq(st.dropped, 2); /* lt 0, gt 65535 */
	ck_assert_uint_ge(st.tuples, 1);  /* at least one cut */
	ck_assert_uint_le(st.tuples, N_SEM);
	ck_assert_uint_gt(st.mem_bytes, 0);
	ck_assert_int_eq(ph_acl_index_stats(ix, 0, &st), 0);
	ck_assert(!st.compiled);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_int_eq(ph_acl_index_stats(ix, 2, &st), -ENOENT);
	ph_acl_index_conduit_stats(ix, &st);
	ck_assert_uint_eq(st.entries, N_SEM);
	ph_acl_index_free(ix);
	ph_acl_index_free(NULL);
}
END_TEST

/* ---- randomized cross-check ---- */

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

static uint32_t
rnd_pick(const uint32_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(arr) rnd_pick(arr, sizeof(arr) / sizeof(arr[0]))

/* Few addresses, so prefixes overlap and runs collide. */
static uint32_t
rnd_addr(void)
{
	static const uint32_t bases[] = {
		IP(10, 0, 0, 0),  IP(10, 0, 1, 0), IP(10, 1, 0, 0),
		IP(192, 0, 2, 0), IP(0, 0, 0, 0),  IP(255, 255, 255, 248)
	};

	return PICK(bases) | (rnd() % 8);
}

static uint32_t
rnd_mask(void)
{
	static const uint32_t lens[] = { 0,  8,	 16, 23, 24, 29,
					 30, 31, 32, 32, 32 };
	uint32_t l = PICK(lens);

	return l == 0 ? 0 : 0xffffffffu << (32 - l);
}

static uint16_t
rnd_port(void)
{
	static const uint32_t ports[] = { 0,  1,  2,	3,    22,    23,   79,
					  80, 81, 1023, 1024, 65534, 65535 };

	return (uint16_t)PICK(ports);
}

static void
rnd_portspec(struct ph_portspec *ps)
{
	ps->op = (uint8_t)(rnd() % 6);
	ps->lo = rnd_port();
	ps->hi = rnd_port();
	if (ps->op == PH_PORT_RANGE && ps->lo > ps->hi && rnd() % 4 != 0) {
		uint16_t t = ps->lo;

		ps->lo = ps->hi;
		ps->hi = t;
	}
	if (ps->op != PH_PORT_RANGE)
		ps->hi = 0;
}

static void
rnd_ace(struct ph_ace *e)
{
	static const uint32_t protos[] = { 6, 6, 6, 17, 17, 1, 47, 0xffff };
	uint32_t p = PICK(protos);

	memset(e, 0, sizeof(*e));
	e->action = (uint8_t)(rnd() % 2);
	e->proto = p == 0xffff ? PH_PROTO_ANY : (int16_t)p;
	e->src.mask = rnd_mask();
	e->src.addr = rnd_addr() & e->src.mask;
	e->dst.mask = rnd_mask();
	e->dst.addr = rnd_addr() & e->dst.mask;
	e->icmp_type = PH_ICMP_ANY;
	e->log_level = PH_LOG_NONE;
	if ((e->proto == 6 || e->proto == 17) && rnd() % 4 != 0) {
		if (rnd() % 3 == 0)
			rnd_portspec(&e->sport);
		rnd_portspec(&e->dport);
		if (rnd() % 3 == 0) { /* lots of exact dports */
			e->dport.op = PH_PORT_EQ;
			e->dport.hi = 0;
		}
	}
	if (e->proto == 1 && rnd() % 2 == 0)
		e->icmp_type = (int16_t)(rnd() % 4 + 7);
	/* rare oddities the model forbids but the matcher must not trip on:
	 * port conditions on ip, an icmp type on tcp */
	if (rnd() % 50 == 0)
		e->dport = (struct ph_portspec){ PH_PORT_EQ, 80, 0 };
	if (rnd() % 50 == 0)
		e->icmp_type = 8;
}

static void
rnd_key(struct ph_acl_key *k)
{
	static const uint32_t protos[] = { 6, 6, 17, 17, 1, 47, 50 };

	memset(k, 0, sizeof(*k));
	k->proto = (uint8_t)PICK(protos);
	k->src = rnd_addr();
	k->dst = rnd_addr();
	k->no_ports = rnd() % 10 == 0;
	k->icmp_type = PH_ICMP_ANY;
	if (k->proto == 6 || k->proto == 17) {
		k->sport = rnd_port();
		k->dport = rnd_port();
	} else if (k->proto == 1) {
		k->icmp_type = (int16_t)(rnd() % 4 + 7);
	}
}

/* One seed: a list of random size, many packets; both index flavours and
 * the conduit list against the linear reference. */
static uint32_t cross_subs; /* sub-indexes seen: the deep path ran */

static void
cross_check(uint64_t seed)
{
	struct ph_acl_stats st;
	size_t n = 1 + (seed * 7919) % 600;
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_build_opts o = { .seed = seed * 31, .linear_max = 0 };
	struct ph_acl_index *ix, *ixd;
	struct tpol t;
	int err = 0;

	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		rnd_ace(&aces[i]);
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_msg(ix != NULL, "build: %d", err);
	ixd = ph_acl_index_build(&t.pol, seed, &err);
	ck_assert_ptr_nonnull(ixd);
	ph_acl_index_stats(ix, 1, &st);
	cross_subs += st.subs;
	for (int i = 0; i < 2000; i++) {
		struct ph_acl_key k;
		int32_t want;

		rnd_key(&k);
		want = ph_acl_lookup_linear(&t.pol, 1, &k);
		if (want < 0 && rnd() % 2 == 0) {
			/* aim at an entry: its own addresses */
			const struct ph_ace *e = &aces[rnd() % n];

			k.src = e->src.addr | (rnd() & ~e->src.mask);
			k.dst = e->dst.addr | (rnd() & ~e->dst.mask);
			want = ph_acl_lookup_linear(&t.pol, 1, &k);
		}
		ck_assert_msg(ph_acl_lookup(ix, 1, &k) == want,
			      "seed %llu pkt %d: index %d, linear %d",
			      (unsigned long long)seed, i,
			      ph_acl_lookup(ix, 1, &k), want);
		ck_assert_int_eq(ph_acl_lookup(ixd, 1, &k), want);
		ck_assert_int_eq(ph_acl_lookup_conduit(ix, &k), want);
	}
	ph_acl_index_free(ix);
	ph_acl_index_free(ixd);
	free(aces);
}

START_TEST(test_random_cross_check)
{
	cross_subs = 0;
	for (uint64_t s = 1; s <= 25; s++)
		cross_check((uint64_t)_i * 1000 + s);
	ck_assert_uint_gt(cross_subs, 25);
}
END_TEST

/* Many entries sharing one shape: big tables, long probe chains. */
START_TEST(test_large_hosts)
{
	size_t n = 20000;
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_stats st;
	struct ph_acl_index *ix;
	struct tpol t;
	int err;

	for (size_t i = 0; i < n; i++) {
		struct ph_ace *e = &aces[i];

		e->proto = 6;
		e->src = (struct ph_prefix){ 0, 0 };
		e->dst = (struct ph_prefix){ IP(10, 0, 0, 0) + (uint32_t)i / 4,
					     0xffffffffu };
		e->dport = (struct ph_portspec){ PH_PORT_EQ,
						 (uint16_t)(80 + i % 4), 0 };
		e->icmp_type = PH_ICMP_ANY;
	}
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build(&t.pol, 1, &err);
	ck_assert_ptr_nonnull(ix);
	ph_acl_index_stats(ix, 1, &st);
	/* one cut on destination host and port together: a key per entry */
	ck_assert_uint_eq(st.tuples, 1);
	ck_assert_uint_eq(st.keys, n);
	ck_assert_uint_eq(st.subs, 0);
	ck_assert_uint_eq(st.max_probes, 1);
	for (size_t i = 0; i < n; i += 7) {
		struct ph_acl_key k =
			key(6, 1, 1000, IP(10, 0, 0, 0) + (uint32_t)i / 4,
			    (uint16_t)(80 + i % 4), PH_ICMP_ANY);

		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k), (int32_t)i);
		k.dport = 84;
		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k), -1);
		k.proto = 17;
		k.dport = (uint16_t)(80 + i % 4);
		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k), -1);
	}
	ph_acl_index_free(ix);
	free(aces);
}
END_TEST

/* Rules of a small bucket sit inline in their table (src/core/acl.c). */
#define LEAF_RUN_MAX 4

/* One destination (any) with many sources, and many repeated entries. */
START_TEST(test_sub_index)
{
	size_t n = 3000;
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_stats st;
	struct ph_acl_index *ix;
	struct tpol t;
	int err;

	for (size_t i = 0; i < n; i++) {
		struct ph_ace *e = &aces[i];

		e->proto = i % 3 == 0 ? PH_PROTO_ANY : 17;
		e->src = (struct ph_prefix){ IP(10, 0, 0, 0) + (uint32_t)i,
					     i % 5 == 0 ? 0xffffff00u
							: 0xffffffffu };
		e->src.addr &= e->src.mask;
		e->dst = (struct ph_prefix){ 0, 0 };
		if (e->proto == 17)
			e->dport = (struct ph_portspec){ PH_PORT_EQ, 53, 0 };
		e->icmp_type = PH_ICMP_ANY;
	}
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build(&t.pol, 3, &err);
	ck_assert_ptr_nonnull(ix);
	ph_acl_index_stats(ix, 1, &st);
	/* the /24 entries repeat (`ip` or udp eq 53 from 12 /24s: 24
	 * distinct of 600) and only the first of each can match; then the
	 * root keys the /32 sources, its wildcard child the /24 ones */
	ck_assert_uint_eq(st.dropped, 600 - 24);
	ck_assert_uint_eq(st.tuples, 2);
	ck_assert_uint_eq(st.subs, 0);
	ck_assert_uint_eq(st.max_probes, 2);
	ck_assert_uint_le(st.max_run, LEAF_RUN_MAX);
	for (size_t i = 0; i < n; i++) {
		struct ph_acl_key k = key(17, IP(10, 0, 0, 0) + (uint32_t)i, 9,
					  IP(8, 8, 8, 8), 53, PH_ICMP_ANY);

		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k),
				 ph_acl_lookup_linear(&t.pol, 1, &k));
		k.dport = 54;
		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k),
				 ph_acl_lookup_linear(&t.pol, 1, &k));
	}
	ph_acl_index_free(ix);
	free(aces);
}
END_TEST

/* ---- big lists shaped like the benchmark's families ---- */

static struct ph_prefix
fam_prefix(unsigned any_pct, unsigned host_pct, uint32_t base, uint32_t span)
{
	unsigned r = rnd() % 100;
	struct ph_prefix p = { 0, 0 };

	if (r < any_pct)
		return p;
	p.mask = r < any_pct + host_pct ? 0xffffffffu
		 : rnd() % 2		? 0xffffff00u
					: 0xffff0000u;
	p.addr = (base + rnd() % span) & p.mask;
	return p;
}

/* outside: hosts/subnets/any, eq ports, ranges, neq, icmp, ip */
static void
fam_outside(struct ph_ace *e, size_t i)
{
	unsigned r = rnd() % 100;

	(void)i;
	memset(e, 0, sizeof(*e));
	e->icmp_type = PH_ICMP_ANY;
	e->src = fam_prefix(45, 35, IP(10, 0, 0, 0), 1u << 20);
	e->dst = fam_prefix(5, 60, IP(20, 0, 0, 0), 1u << 18);
	if (r < 85) {
		e->proto = r < 60 ? 6 : 17;
		e->dport.op = rnd() % 5 ? PH_PORT_EQ : PH_PORT_RANGE;
		e->dport.lo = (uint16_t)(rnd() % 64);
		e->dport.hi = (uint16_t)(e->dport.lo + rnd() % 8);
		if (rnd() % 10 == 0)
			e->dport.op = PH_PORT_NEQ;
	} else if (r < 95) {
		e->proto = 1;
		if (rnd() % 2)
			e->icmp_type = (int16_t)(rnd() % 4);
	} else {
		e->proto = PH_PROTO_ANY;
	}
}

/* object groups: sources x servers x services, blocks of neighbours */
static void
fam_objgroups(struct ph_ace *e, size_t i)
{
	uint32_t block = (uint32_t)i / 24, k = (uint32_t)i % 24;

	memset(e, 0, sizeof(*e));
	e->icmp_type = PH_ICMP_ANY;
	e->proto = block % 3 ? 6 : 17;
	e->src.mask = block % 4 == 0 ? 0 : k / 8 ? 0xffffffffu : 0xffffff00u;
	e->src.addr = (IP(172, 16, 0, 0) + block * 64 + k / 8) & e->src.mask;
	e->dst.mask = block % 17 == 0 ? 0xffffff00u : 0xffffffffu;
	e->dst.addr =
		(IP(198, 18, 0, 0) + (block * 7 + k / 4) % 2048) & e->dst.mask;
	e->dport.op = k % 4 == 3 ? PH_PORT_RANGE : PH_PORT_EQ;
	e->dport.lo = (uint16_t)(k % 4 * 10 + block % 5);
	e->dport.hi = (uint16_t)(e->dport.lo + 5);
	if (rnd() % 50 == 0)
		e->dport.op = PH_PORT_ANY;
}

/* blocklist: deny ip by source host or /24, then a few permits */
static void
fam_blocklist(struct ph_ace *e, size_t i)
{
	(void)i;
	memset(e, 0, sizeof(*e));
	e->icmp_type = PH_ICMP_ANY;
	if (rnd() % 20) {
		e->action = PH_ACL_DENY;
		e->proto = PH_PROTO_ANY;
		e->src = fam_prefix(0, 80, IP(10, 0, 0, 0), 1u << 16);
		return;
	}
	e->proto = 6;
	e->dst = fam_prefix(0, 100, IP(20, 0, 0, 0), 1u << 12);
	e->dport.op = PH_PORT_EQ;
	e->dport.lo = (uint16_t)(rnd() % 64);
}

/* A packet aimed at entry e: inside its prefixes, on its port. */
static void
aim_key(const struct ph_ace *e, struct ph_acl_key *k)
{
	rnd_key(k);
	k->src = e->src.addr | (rnd() & ~e->src.mask);
	k->dst = e->dst.addr | (rnd() & ~e->dst.mask);
	if (e->proto != PH_PROTO_ANY)
		k->proto = (uint8_t)e->proto;
	if (e->dport.op != PH_PORT_ANY && rnd() % 4)
		k->dport = (uint16_t)(e->dport.lo + rnd() % 3 - 1);
	if (e->icmp_type != PH_ICMP_ANY && k->proto == 1)
		k->icmp_type = e->icmp_type;
}

static void
family_check(void (*gen)(struct ph_ace *, size_t), size_t n, uint64_t seed)
{
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_build_opts o = { .seed = seed, .linear_max = 0 };
	struct ph_acl_index *ix, *ixd;
	struct ph_acl_stats st;
	struct tpol t;
	int err = 0;

	rng_state = seed;
	for (size_t i = 0; i < n; i++)
		gen(&aces[i], i);
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_msg(ix != NULL, "build: %d", err);
	ixd = ph_acl_index_build(&t.pol, seed + 1, &err);
	ck_assert_ptr_nonnull(ixd);
	ph_acl_index_stats(ix, 1, &st);
	ck_assert(st.compiled);
	for (int i = 0; i < 3000; i++) {
		struct ph_acl_key k;
		int32_t want;

		if (i % 4 == 0)
			rnd_key(&k);
		else
			aim_key(&aces[n - 1 - rnd() % n], &k);
		want = ph_acl_lookup_linear(&t.pol, 1, &k);
		ck_assert_msg(ph_acl_lookup(ix, 1, &k) == want,
			      "n %zu seed %llu pkt %d: index %d, linear %d", n,
			      (unsigned long long)seed, i,
			      ph_acl_lookup(ix, 1, &k), want);
		ck_assert_int_eq(ph_acl_lookup(ixd, 1, &k), want);
	}
	ph_acl_index_free(ix);
	ph_acl_index_free(ixd);
	free(aces);
}

START_TEST(test_families)
{
	static const size_t sizes[] = { 300, 5000, 20000 };

	for (size_t i = 0; i < 3; i++) {
		family_check(fam_outside, sizes[i], 100 + i);
		family_check(fam_objgroups, sizes[i], 200 + i);
		family_check(fam_blocklist, sizes[i], 300 + i);
	}
}
END_TEST

/*
 * Object-group expansions with every oddity: each block is the cross
 * product (sources outermost, as PIX expands it) of 1-4 sources (any,
 * hosts, /24s), 1-8 neighbouring servers (or a /24, a /16, any) and 1-5
 * services (eq, ranges that cross 256-port blocks, neq, lt, gt, source
 * ports, portless tcp/udp, icmp with and without a type, ip).  The
 * compiler copies wildcard entries into the buckets of complete cuts and
 * keys destination and port together; every copy must keep first match.
 */
static void
og_service(struct ph_ace *e)
{
	static const uint32_t eqp[] = { 21, 22, 25, 53, 80, 443, 1024, 1025 };
	unsigned r = rnd() % 100;

	e->proto = rnd() % 4 ? 6 : 17;
	e->icmp_type = PH_ICMP_ANY;
	e->sport = (struct ph_portspec){ PH_PORT_ANY, 0, 0 };
	e->dport = (struct ph_portspec){ PH_PORT_EQ, (uint16_t)PICK(eqp), 0 };
	if (r < 55)
		return;
	if (r < 70) {
		e->dport.op = PH_PORT_RANGE;
		e->dport.lo = (uint16_t)(rnd() % 1100);
		e->dport.hi = (uint16_t)(e->dport.lo + rnd() % 300);
	} else if (r < 76) {
		e->dport.op = (uint8_t)(PH_PORT_NEQ + rnd() % 3);
	} else if (r < 80) {
		e->sport = (struct ph_portspec){ PH_PORT_RANGE, 1024, 65535 };
	} else if (r < 86) {
		e->dport.op = PH_PORT_ANY;
	} else if (r < 94) {
		e->proto = 1;
		e->dport.op = PH_PORT_ANY;
		if (rnd() % 2)
			e->icmp_type = (int16_t)(rnd() % 4 + 7);
	} else {
		e->proto = PH_PROTO_ANY;
		e->dport.op = PH_PORT_ANY;
	}
}

/* Destinations of /24 or longer only (/24, /25, /32): lists that get the
 * deny filter (filt_build() in src/core/acl.c). */
static bool og_narrow;

static struct ph_prefix
og_prefix(uint32_t base, uint32_t host, bool dst)
{
	static const uint32_t masks[] = { 0xffffff00u, 0xffff0000u, 0 };
	static const uint32_t narrow[] = { 0xffffff00u, 0xffffff80u,
					   0xffffff00u };
	unsigned r = rnd() % 100;
	uint32_t m = r < 85		? 0xffffffffu
		     : dst && og_narrow ? narrow[r % 3]
					: masks[r % 3];

	return (struct ph_prefix){ (base + host) & m, m };
}

static size_t
og_block(struct ph_ace *out, size_t room)
{
	struct ph_prefix src[4], dst[8];
	struct ph_ace svc[5];
	unsigned ns = 1 + rnd() % 4, nd = 1 + rnd() % 8, np = 1 + rnd() % 5;
	uint32_t h = rnd() % 1024;
	size_t k = 0;

	for (unsigned i = 0; i < ns; i++) {
		src[i] = og_prefix(IP(172, 16, 0, 0), rnd() % 512, false);
		if (rnd() % 3 == 0)
			src[i] = (struct ph_prefix){ 0, 0 };
	}
	for (unsigned i = 0; i < nd; i++)
		dst[i] = og_prefix(IP(198, 18, 0, 0), (h + i) % 1024, true);
	for (unsigned i = 0; i < np; i++)
		og_service(&svc[i]);
	for (unsigned a = 0; a < ns; a++) {
		for (unsigned b = 0; b < nd; b++) {
			for (unsigned c = 0; c < np && k < room; c++) {
				out[k] = svc[c];
				out[k].action = (uint8_t)(rnd() % 2);
				out[k].log_level = PH_LOG_NONE;
				out[k].src = src[a];
				out[k++].dst = dst[b];
			}
		}
	}
	return k;
}

/* A packet near the list: aimed at an entry, or a deny-like one, or a
 * fragment, or an icmp message. */
static void
og_key(const struct ph_ace *aces, size_t n, struct ph_acl_key *k)
{
	const struct ph_ace *e = &aces[rnd() % n];
	unsigned r = rnd() % 8;

	aim_key(e, k);
	if (r == 0)
		k->src = IP(200, 0, 0, rnd() % 256);
	else if (r == 1)
		k->dport = (uint16_t)(rnd() % 1500);
	else if (r == 2)
		k->no_ports = true;
	else if (r == 3 && e->dport.op == PH_PORT_RANGE)
		k->dport = rnd() % 2 ? e->dport.lo : e->dport.hi;
	else if (r == 4) {
		k->proto = 1;
		k->icmp_type = (int16_t)(rnd() % 4 + 7);
	}
}

static uint32_t og_replicas; /* copies seen: complete cuts were built */
static uint32_t og_filtered; /* lists built with a deny filter */
static uint32_t og_dirs;     /* lists built with a host directory */

static void
og_check(uint64_t seed, size_t n)
{
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_build_opts o = { .seed = seed, .linear_max = 0 };
	struct ph_acl_index *ix, *ixd;
	struct ph_acl_stats st;
	struct tpol t;
	int err = 0;

	rng_state = seed;
	for (size_t m = 0; m < n;)
		m += og_block(aces + m, n - m);
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_msg(ix != NULL, "build: %d", err);
	ixd = ph_acl_index_build(&t.pol, seed + 1, &err);
	ck_assert_ptr_nonnull(ixd);
	ph_acl_index_stats(ix, 1, &st);
	og_replicas += st.replicas;
	og_filtered += st.filter_lines > 0;
	og_dirs += st.dir_cells > 0;
	for (int i = 0; i < 4000; i++) {
		struct ph_acl_key k;
		int32_t want;

		og_key(aces, n, &k);
		if (og_narrow && i % 4 == 0) /* denied ports, any source */
			k.dport = (uint16_t)(2048 + rnd() % 1000);
		if (og_narrow && i % 8 == 1)
			k.src = rnd();
		want = ph_acl_lookup_linear(&t.pol, 1, &k);
		ck_assert_msg(ph_acl_lookup(ix, 1, &k) == want,
			      "seed %llu n %zu pkt %d: index %d, linear %d",
			      (unsigned long long)seed, n, i,
			      ph_acl_lookup(ix, 1, &k), want);
		ck_assert_int_eq(ph_acl_lookup(ixd, 1, &k), want);
	}
	ph_acl_index_free(ix);
	ph_acl_index_free(ixd);
	free(aces);
}

START_TEST(test_objgroups_random)
{
	static const size_t sizes[] = { 20, 200, 2000, 12000 };

	og_replicas = 0;
	og_dirs = 0;
	og_narrow = false;
	for (uint64_t s = 0; s < 6; s++)
		og_check((uint64_t)_i * 100 + s, sizes[(s + (uint64_t)_i) % 4]);
	ck_assert_uint_gt(og_replicas, 0);
	ck_assert_uint_gt(og_dirs, 0);
}
END_TEST

/* The same with destinations of /24 and longer: the lists get the deny
 * filter, which must never turn away a packet some entry matches. */
START_TEST(test_objgroups_filter)
{
	static const size_t sizes[] = { 20, 200, 2000, 12000 };

	og_filtered = 0;
	og_narrow = true;
	for (uint64_t i = 0; i < 8; i++) { /* a filter needs a complete root:
					   * not every list has one */
		for (uint64_t s = 0; s < 6; s++)
			og_check(i * 100 + s + 50, sizes[(s + i) % 4]);
	}
	og_narrow = false;
	ck_assert_uint_gt(og_filtered, 0);
}
END_TEST

/* ---- the host directory (src/core/acl_hostdir.c) ---- */

/* Ports at and around the directory's 2048-port block edges. */
static uint16_t
dir_port(void)
{
	static const uint32_t ports[] = { 0,	1,     80,    443,  2047, 2048,
					  2049, 4095,  4096,  6143, 6144, 8191,
					  8192, 30000, 65534, 65535 };

	return rnd() % 4 ? (uint16_t)PICK(ports) : (uint16_t)rnd();
}

static void
dir_portspec(struct ph_portspec *ps)
{
	unsigned r = rnd() % 100;

	ps->lo = dir_port();
	ps->hi = 0;
	if (r < 70) {
		ps->op = PH_PORT_EQ;
	} else if (r < 86) { /* narrow and wide ranges, across blocks */
		uint32_t len = rnd() % 3 ? rnd() % 5000 : rnd() % 40000;

		ps->op = PH_PORT_RANGE;
		ps->hi =
			(uint16_t)(ps->lo + len > 65535 ? 65535 : ps->lo + len);
	} else if (r < 92) {
		ps->op = (uint8_t)(PH_PORT_NEQ + rnd() % 3);
	} else {
		ps->op = PH_PORT_ANY;
	}
}

/* Servers 198.18.0-3.0-63; a few /24 and /25 blocks
 * over them, a rare `any` (each is copied into the cells of every server
 * it covers, within the copy budget). */
static struct ph_prefix
dir_dst(void)
{
	unsigned r = rnd() % 1000;
	uint32_t a = IP(198, 18, rnd() % 4, rnd() % 64);

	if (r < 990)
		return (struct ph_prefix){ a, 0xffffffffu };
	if (r < 994)
		return (struct ph_prefix){ a & 0xffffff00u, 0xffffff00u };
	if (r < 999)
		return (struct ph_prefix){ a & 0xffffff80u, 0xffffff80u };
	return (struct ph_prefix){ 0, 0 };
}

static void
dir_ace(struct ph_ace *e)
{
	static const uint32_t protos[] = { 6, 6, 6, 17, 17, 1, 0xffff };
	uint32_t p = PICK(protos);

	memset(e, 0, sizeof(*e));
	e->action = (uint8_t)(rnd() % 2);
	e->proto = p == 0xffff ? PH_PROTO_ANY : (int16_t)p;
	e->icmp_type = PH_ICMP_ANY;
	e->log_level = PH_LOG_NONE;
	e->dst = dir_dst();
	e->src.mask = rnd_mask();
	e->src.addr = rnd_addr() & e->src.mask;
	if (e->proto == 6 || e->proto == 17) {
		dir_portspec(&e->dport);
		if (rnd() % 8 == 0)
			rnd_portspec(&e->sport);
	}
	if (e->proto == 1 && rnd() % 2)
		e->icmp_type = (int16_t)(rnd() % 4 + 7);
}

/* A packet to a server (or near one), often aimed at an entry's source
 * and port. */
static void
dir_key(const struct ph_ace *aces, size_t n, struct ph_acl_key *k)
{
	const struct ph_ace *e = &aces[rnd() % n];
	unsigned r = rnd() % 10;

	memset(k, 0, sizeof(*k));
	k->proto = rnd() % 3 ? 6 : 17;
	k->src = rnd() % 2 ? e->src.addr | (rnd() & ~e->src.mask) : rnd_addr();
	k->dst = IP(198, 18, rnd() % 4, rnd() % (r == 0 ? 256 : 64));
	k->sport = rnd_port();
	k->dport = r < 4 ? e->dport.lo + (uint16_t)(rnd() % 3) - 1 : dir_port();
	k->icmp_type = PH_ICMP_ANY;
	if (r == 8)
		k->no_ports = true;
	if (r == 9) {
		k->proto = 1;
		k->icmp_type = (int16_t)(rnd() % 4 + 7);
	}
}

/* Lists of server entries: the directory must answer as the linear scan
 * does, at block edges, for wide and narrow ranges, neq/lt/gt, source
 * ports, `ip` and icmp entries, /24 blocks copied into hosts. */
START_TEST(test_dir_random)
{
	uint32_t built = 0, lists = 0;

	for (uint64_t seed = 1; seed <= 40; seed++) {
		size_t n =
			20 + (size_t)(seed * 7919 + (uint64_t)_i * 131) % 3000;
		struct ph_ace *aces = calloc(n, sizeof(*aces));
		struct ph_acl_build_opts o = { .seed = seed * 7 + (uint64_t)_i,
					       .linear_max = 0 };
		struct ph_acl_index *ix;
		struct ph_acl_stats st;
		struct tpol t;
		int err = 0;

		rng_state = seed * 1000 + (uint64_t)_i;
		for (size_t i = 0; i < n; i++)
			dir_ace(&aces[i]);
		tpol_init(&t, aces, n);
		ix = ph_acl_index_build_opts(&t.pol, &o, &err);
		ck_assert_msg(ix != NULL, "build: %d", err);
		ph_acl_index_stats(ix, 1, &st);
		built += st.dir_cells > 0;
		lists++;
		for (int i = 0; i < 1500; i++) {
			struct ph_acl_key k;
			int32_t want, got;

			dir_key(aces, n, &k);
			want = ph_acl_lookup_linear(&t.pol, 1, &k);
			got = ph_acl_lookup(ix, 1, &k);
			ck_assert_msg(got == want,
				      "seed %llu n %zu pkt %d (proto %u dst "
				      "%08x dport %u): index %d, linear %d",
				      (unsigned long long)seed, n, i, k.proto,
				      k.dst, k.dport, got, want);
		}
		ph_acl_index_free(ix);
		free(aces);
	}
	/* the /24, /25 and `any` destinations, and the wide port conditions
	 * copied into every port's cell, spend the copy budget of the denser
	 * lists (17-20 of 40 are built with these seeds); enough must have
	 * been answered by a directory */
	ck_assert_uint_gt(built, lists / 4);
}
END_TEST

/* A list whose `any` destinations would be copied into every host gets
 * no directory, and is still answered (by the tree). */
START_TEST(test_dir_budget)
{
	struct ph_ace aces[400];
	struct ph_acl_build_opts o = { .seed = 5, .linear_max = 0 };
	struct ph_acl_index *ix;
	struct ph_acl_stats st;
	struct tpol t;
	int err = 0;

	rng_state = 77;
	for (size_t i = 0; i < 400; i++) {
		dir_ace(&aces[i]);
		aces[i].dst = (struct ph_prefix){ IP(198, 18, 0, i % 200),
						  0xffffffffu };
		if (i % 2)
			aces[i].dst = (struct ph_prefix){ 0, 0 };
	}
	tpol_init(&t, aces, 400);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_ptr_nonnull(ix);
	ph_acl_index_stats(ix, 1, &st);
	ck_assert_uint_eq(st.dir_cells, 0);
	for (int i = 0; i < 2000; i++) {
		struct ph_acl_key k;

		dir_key(aces, 400, &k);
		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k),
				 ph_acl_lookup_linear(&t.pol, 1, &k));
	}
	ph_acl_index_free(ix);
}
END_TEST

/* Repeated entries: only the first can match; the copies are dropped. */
START_TEST(test_duplicates)
{
	struct ph_ace a[40];
	struct ph_acl_build_opts o = { .seed = 9, .linear_max = 0 };
	struct ph_acl_stats st;
	struct ph_acl_index *ix;
	struct tpol t;
	int err;

	for (size_t i = 0; i < 40; i++) { /* 8 distinct, each 5 times */
		a[i] = (struct ph_ace)ACE(
			i % 2 ? PH_ACL_PERMIT : PH_ACL_DENY, 6, ANY,
			HOST(IP(192, 0, 2, (uint32_t)(i % 8))), NOP,
			P(PH_PORT_EQ, (uint16_t)(80 + i % 8 / 4), 0),
			PH_ICMP_ANY);
	}
	tpol_init(&t, a, 40);
	ix = ph_acl_index_build_opts(&t.pol, &o, &err);
	ck_assert_ptr_nonnull(ix);
	ph_acl_index_stats(ix, 1, &st);
	ck_assert_uint_eq(st.entries, 40);
	ck_assert_uint_eq(st.dropped, 32);
	for (uint32_t h = 0; h < 9; h++) {
		for (uint16_t p = 79; p < 83; p++) {
			struct ph_acl_key k =
				key(6, 1, 1, IP(192, 0, 2, h), p, PH_ICMP_ANY);
			int32_t want =
				h < 8 && p == 80 + h / 4 ? (int32_t)h : -1;

			ck_assert_int_eq(ph_acl_lookup(ix, 1, &k), want);
			ck_assert_int_eq(ph_acl_lookup_linear(&t.pol, 1, &k),
					 want);
		}
	}
	ph_acl_index_free(ix);
}
END_TEST

/*
 * The lookup's cost follows the key space, not the number of entries: an
 * outside-style list with addresses spread like real ones compiles to a
 * shallow tree (at most 3 tables on any path at 1,000 entries, 8 at
 * 40,000, counting the wildcard chain of short port ranges; the average
 * lookup probes 2-3) - a structural guard, the timings are
 * bench/acl_bench.c's.
 */
START_TEST(test_bounded_depth)
{
	static const size_t sizes[] = { 1000, 40000 };

	for (size_t s = 0; s < 2; s++) {
		size_t n = sizes[s];
		struct ph_ace *aces = calloc(n, sizeof(*aces));
		struct ph_acl_stats st;
		struct ph_acl_index *ix;
		struct tpol t;
		int err;

		rng_state = 77;
		for (size_t i = 0; i < n; i++) {
			fam_outside(&aces[i], i);
			aces[i].src =
				fam_prefix(45, 35, IP(10, 0, 0, 0), 1u << 30);
			aces[i].dst =
				fam_prefix(5, 60, IP(10, 0, 0, 0), 1u << 30);
			aces[i].dport.lo = (uint16_t)(rnd() % 4096);
			aces[i].dport.hi = (uint16_t)(aces[i].dport.lo + 9);
		}
		tpol_init(&t, aces, n);
		ix = ph_acl_index_build(&t.pol, 1, &err);
		ck_assert_ptr_nonnull(ix);
		ph_acl_index_stats(ix, 1, &st);
		ck_assert_msg(st.max_probes <= (n <= 1000 ? 3u : 8u),
			      "n %zu: max_probes %u", n, st.max_probes);
		ph_acl_index_free(ix);
		free(aces);
	}
}
END_TEST

/* Entries that differ only by port ranges: the port word is cut on the
 * bits a range's ends share, so they no longer form one long run. */
START_TEST(test_ranges_hashed)
{
	size_t n = 3000;
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl_stats st;
	struct ph_acl_index *ix;
	struct tpol t;
	int err;

	for (size_t i = 0; i < n; i++) {
		aces[i] = (struct ph_ace)ACE(PH_ACL_PERMIT, 6, ANY,
					     HOST(IP(192, 0, 2, 1)), NOP,
					     P(PH_PORT_RANGE, (uint16_t)(3 * i),
					       (uint16_t)(3 * i + 1)),
					     PH_ICMP_ANY);
	}
	tpol_init(&t, aces, n);
	ix = ph_acl_index_build(&t.pol, 5, &err);
	ck_assert_ptr_nonnull(ix);
	ph_acl_index_stats(ix, 1, &st);
	ck_assert(st.compiled);
	ck_assert_uint_le(st.max_run, LEAF_RUN_MAX);
	ck_assert_uint_le(st.max_probes, 4);
	for (uint32_t p = 0; p < 3 * n + 3; p += 1) {
		struct ph_acl_key k = key(6, 1, 1, IP(192, 0, 2, 1),
					  (uint16_t)p, PH_ICMP_ANY);

		ck_assert_int_eq(ph_acl_lookup(ix, 1, &k),
				 p % 3 == 2 || p >= 3 * n ? -1
							  : (int32_t)(p / 3));
	}
	ph_acl_index_free(ix);
	free(aces);
}
END_TEST

START_TEST(test_bad_input)
{
	struct ph_ace bad =
		ACE(PH_ACL_PERMIT, 6, NET(IP(10, 0, 0, 0), 0xff00ff00), ANY,
		    NOP, NOP, PH_ICMP_ANY);
	struct ph_ace ok =
		ACE(PH_ACL_PERMIT, 6, ANY, ANY, NOP, NOP, PH_ICMP_ANY);
	struct tpol t;
	int err = 0;

	tpol_init(&t, &bad, 1);
	ck_assert_ptr_null(ph_acl_index_build(&t.pol, 1, &err));
	ck_assert_int_eq(err, -EINVAL);
	bad = ok;
	bad.proto = 300;
	err = 0;
	ck_assert_ptr_null(ph_acl_index_build(&t.pol, 1, &err));
	ck_assert_int_eq(err, -EINVAL);
	bad = ok;
	bad.dport.op = 9;
	ck_assert_ptr_null(ph_acl_index_build(&t.pol, 1, &err));
	/* an ACL that points past the entries */
	tpol_init(&t, &ok, 1);
	t.acl[1].count = 2;
	err = 0;
	ck_assert_ptr_null(ph_acl_index_build(&t.pol, 1, &err));
	ck_assert_int_eq(err, -EINVAL);
	/* lookups on a NULL index: implicit deny */
	ck_assert_int_eq(ph_acl_lookup(NULL, 0, &(struct ph_acl_key){ 0 }), -1);
	ck_assert_int_eq(ph_acl_lookup_conduit(NULL, &(struct ph_acl_key){ 0 }),
			 -1);
}
END_TEST

/* An empty policy has an index too. */
START_TEST(test_empty_policy)
{
	struct ph_policy pol;
	struct ph_acl_index *ix;
	struct ph_acl_key k = key(6, 1, 2, 3, 4, PH_ICMP_ANY);
	int err;

	memset(&pol, 0, sizeof(pol));
	ix = ph_acl_index_build(&pol, 0, &err);
	ck_assert_ptr_nonnull(ix);
	ck_assert_int_eq(ph_acl_lookup(ix, 0, &k), -1);
	ck_assert_int_eq(ph_acl_lookup_conduit(ix, &k), -1);
	ph_acl_index_free(ix);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("semantics");
	TCase *tr = tcase_create("random");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_semantics_compiled);
	tcase_add_test(tc, test_semantics_default);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_empty_policy);
	tcase_add_test(tc, test_large_hosts);
	tcase_add_test(tc, test_sub_index);
	tcase_add_test(tc, test_ranges_hashed);
	tcase_add_test(tc, test_duplicates);
	tcase_add_test(tr, test_bounded_depth);
	tcase_add_loop_test(tr, test_random_cross_check, 0, 8);
	tcase_add_test(tr, test_families);
	tcase_add_loop_test(tr, test_objgroups_random, 0, 8);
	tcase_add_test(tr, test_objgroups_filter);
	tcase_add_loop_test(tr, test_dir_random, 0, 4);
	tcase_add_test(tr, test_dir_budget);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tr);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
