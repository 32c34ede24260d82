/*
 * bench/acl_bench.c - ns per ACL lookup at 10 .. 100,000 entries, and the
 * time to compile the index.
 *
 * Each list is generated like a large real outside-interface ACL: mostly
 * `permit tcp any host X eq P`, some subnets, udp, a few ranges, neq/lt/gt,
 * icmp with and without types, some `ip`.  Two packet sets are timed:
 *
 *  deep   packets whose first match lies in the last 10% of the list
 *         (the worst case for a linear scan);
 *  deny   packets that match nothing (implicit deny: every shape probed).
 *
 * Columns: the index as built by ph_acl_index_build() (linear below
 * PH_ACL_LINEAR_MAX entries), the index compiled at every size, and the
 * linear reference scan.  Usage: acl_bench [seed].  Build: bench/build.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/model.h"
#include "core/acl.h"

#define N_KEYS 1024

static uint64_t rng;

static uint32_t
rnd(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

static double
now_ns(void)
{
	struct timespec ts;

	/* CPU time of this thread: time slices lost to other processes on a
	 * shared machine do not count */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct ph_prefix
gen_prefix(unsigned any_pct, unsigned host_pct, unsigned net24_pct)
{
	unsigned r = rnd() % 100;
	struct ph_prefix p = { 0, 0 };
	uint32_t a = (10u + rnd() % 100) << 24 | (rnd() & 0xffffff);

	if (r < any_pct)
		return p;
	if (r < any_pct + host_pct)
		p.mask = 0xffffffffu;
	else if (r < any_pct + host_pct + net24_pct)
		p.mask = 0xffffff00u;
	else
		p.mask = 0xffff0000u;
	p.addr = a & p.mask;
	return p;
}

static void
gen_dport(struct ph_portspec *ps)
{
	unsigned r = rnd() % 100;
	static const uint16_t common[] = { 21,	 22,   25,   53,  80,	110,
					   143,	 443,  445,  993, 1433, 1723,
					   3306, 3389, 5060, 8080 };

	if (r < 70) {
		ps->op = PH_PORT_EQ;
		ps->lo =
			r < 40 ? common[rnd() % 16] : (uint16_t)(rnd() % 65536);
	} else if (r < 85) {
		ps->op = PH_PORT_RANGE;
		ps->lo = (uint16_t)(1024 + rnd() % 30000);
		ps->hi = (uint16_t)(ps->lo + rnd() % 2000);
	} else if (r < 90) {
		ps->op = (uint8_t)(PH_PORT_NEQ + rnd() % 3);
		ps->lo = (uint16_t)(1 + rnd() % 65000);
	}
}

static void
gen_ace(struct ph_ace *e)
{
	unsigned r = rnd() % 100;

	memset(e, 0, sizeof(*e));
	e->action = rnd() % 4 ? PH_ACL_PERMIT : PH_ACL_DENY;
	e->icmp_type = PH_ICMP_ANY;
	e->log_level = PH_LOG_NONE;
	e->src = gen_prefix(45, 35, 15);
	e->dst = gen_prefix(5, 62, 28);
	if (r < 90) {
		e->proto = r < 70 ? 6 : 17;
		gen_dport(&e->dport);
		if (e->dst.mask == 0) { /* `deny tcp any any eq 135` style */
			e->dport.op = PH_PORT_EQ;
			e->dport.lo = (uint16_t)(rnd() % 2048);
		}
		if (rnd() % 20 == 0) {
			e->sport.op = PH_PORT_RANGE;
			e->sport.lo = 1024;
			e->sport.hi = 65535;
		}
	} else if (r < 95) {
		e->proto = 1;
		if (rnd() % 2 || e->dst.mask == 0)
			e->icmp_type = (int16_t)(rnd() % 16);
	} else {
		e->proto = PH_PROTO_ANY;
		if (e->dst.mask == 0)
			e->dst = gen_prefix(0, 100, 0);
	}
}

static void
key_from(const struct ph_ace *e, struct ph_acl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->proto = e->proto == PH_PROTO_ANY ? 6 : (uint8_t)e->proto;
	k->src = e->src.addr | (rnd() & ~e->src.mask);
	k->dst = e->dst.addr | (rnd() & ~e->dst.mask);
	k->icmp_type = k->proto == 1
			       ? (e->icmp_type >= 0 ? e->icmp_type
						    : (int16_t)(rnd() % 16))
			       : PH_ICMP_ANY;
	k->sport = (uint16_t)(1024 + rnd() % 60000);
	switch (e->dport.op) {
	case PH_PORT_EQ:
		k->dport = e->dport.lo;
		break;
	case PH_PORT_RANGE:
		k->dport = e->dport.lo;
		break;
	case PH_PORT_GT:
		k->dport = (uint16_t)(e->dport.lo + 1);
		break;
	default:
		k->dport = 0;
		break;
	}
}

struct keyset {
	struct ph_acl_key k[N_KEYS];
	double depth; /* mean first-match position / n */
};

/* Keys whose first match is in the last 10% of the list. */
static int
gen_deep(const struct ph_policy *pol, struct keyset *ks)
{
	size_t n = pol->n_aces, got = 0;
	double depth = 0;

	for (size_t tries = 0; got < N_KEYS && tries < 200 * N_KEYS; tries++) {
		size_t i = n - 1 - rnd() % (n / 10 + 1);
		int32_t m;

		key_from(&pol->aces[i], &ks->k[got]);
		m = ph_acl_lookup_linear(pol, 0, &ks->k[got]);
		if (m >= 0 && (size_t)m >= n - n / 10 - 1) {
			depth += (double)(m + 1) / (double)n;
			got++;
		}
	}
	ks->depth = got ? depth / (double)got : 0;
	return got == N_KEYS ? 0 : -1;
}

/* Keys that match nothing: addresses from 200.0.0.0/8, which the
 * generator never uses, with a realistic protocol mix. */
static int
gen_deny(const struct ph_policy *pol, struct keyset *ks)
{
	size_t got = 0;

	for (size_t tries = 0; got < N_KEYS && tries < 100 * N_KEYS; tries++) {
		struct ph_acl_key *k = &ks->k[got];

		key_from(&pol->aces[rnd() % pol->n_aces], k);
		k->src = 200u << 24 | (rnd() & 0xffffff);
		if (k->proto == 6 || k->proto == 17)
			k->dport = (uint16_t)(2048 + rnd() % 1000);
		if (ph_acl_lookup_linear(pol, 0, k) < 0)
			got++;
	}
	ks->depth = 1;
	return got == N_KEYS ? 0 : -1;
}

static volatile int32_t sink;

typedef int32_t (*lookup_fn)(const void *ctx, const struct ph_acl_key *k);

static int32_t
lk_index(const void *ctx, const struct ph_acl_key *k)
{
	return ph_acl_lookup(ctx, 0, k);
}

static int32_t
lk_linear(const void *ctx, const struct ph_acl_key *k)
{
	return ph_acl_lookup_linear(ctx, 0, k);
}

/* Best of 5 runs of `iters` lookups cycling through the key set. */
static double
time_lookups(lookup_fn fn, const void *ctx, const struct keyset *ks,
	     size_t iters)
{
	double best = 1e30;

	for (int run = 0; run < 10; run++) {
		double t0 = now_ns(), dt;
		int32_t acc = 0;

		for (size_t i = 0; i < iters; i++)
			acc += fn(ctx, &ks->k[i % N_KEYS]);
		dt = (now_ns() - t0) / (double)iters;
		sink = acc;
		if (dt < best)
			best = dt;
	}
	return best;
}

static double
time_build(const struct ph_policy *pol, uint32_t linear_max,
	   struct ph_acl_index **out)
{
	struct ph_acl_build_opts o = { .seed = 0x5eed,
				       .linear_max = linear_max };
	double best = 1e30;
	int runs = pol->n_aces >= 10000 ? 3 : 20;

	for (int r = 0; r < runs; r++) {
		double t0 = now_ns();
		int err = 0;
		struct ph_acl_index *ix =
			ph_acl_index_build_opts(pol, &o, &err);

		if (ix == NULL) {
			fprintf(stderr, "build failed: %d\n", err);
			exit(1);
		}
		if (now_ns() - t0 < best)
			best = now_ns() - t0;
		if (r == runs - 1)
			*out = ix;
		else
			ph_acl_index_free(ix);
	}
	return best;
}

static double
min2(double a, double b)
{
	return a < b ? a : b;
}

static void
bench_size(size_t n)
{
	static struct keyset deep, deny;
	struct ph_ace *aces = calloc(n, sizeof(*aces));
	struct ph_acl acl = { .first = 0, .count = (uint32_t)n };
	struct ph_policy pol;
	struct ph_acl_index *ixa, *ixc;
	struct ph_acl_stats st;
	size_t iters = 100000;
	size_t lin_iters = n >= 1000 ? 10000000 / n : 10000;
	double t[6] = { 1e30, 1e30, 1e30, 1e30, 1e30, 1e30 }, tc;

	memset(&pol, 0, sizeof(pol));
	for (size_t i = 0; i < n; i++)
		gen_ace(&aces[i]);
	pol.aces = aces;
	pol.n_aces = n;
	pol.acls = &acl;
	pol.n_acls = 1;
	if (gen_deep(&pol, &deep) < 0 || gen_deny(&pol, &deny) < 0) {
		fprintf(stderr, "n=%zu: could not make the key sets\n", n);
		exit(1);
	}
	time_build(&pol, PH_ACL_LINEAR_MAX, &ixa);
	tc = time_build(&pol, 0, &ixc);
	ph_acl_index_stats(ixc, 0, &st);
	/* rounds interleave the six timings, so a noisy moment on a shared
	 * machine hits one sample of each, and the minimum survives */
	for (int round = 0; round < 12; round++) {
		t[0] = min2(t[0], time_lookups(lk_index, ixa, &deep, iters));
		t[1] = min2(t[1], time_lookups(lk_index, ixa, &deny, iters));
		t[2] = min2(t[2], time_lookups(lk_index, ixc, &deep, iters));
		t[3] = min2(t[3], time_lookups(lk_index, ixc, &deny, iters));
		t[4] = min2(t[4],
			    time_lookups(lk_linear, &pol, &deep, lin_iters));
		t[5] = min2(t[5],
			    time_lookups(lk_linear, &pol, &deny, lin_iters));
	}
	printf("| %zu | %u+%u | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.3f "
	       "| %.0f |\n",
	       n, st.tuples, st.sub_tuples, t[0], t[1], t[2], t[3], t[4], t[5],
	       tc / 1e6, (double)st.mem_bytes / (double)n);
	fflush(stdout);
	ph_acl_index_free(ixa);
	ph_acl_index_free(ixc);
	free(aces);
}

int
main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 100, 1000, 10000, 100000 };

	rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
	/* warm up: let the CPU leave its idle clock before the small,
	 * short measurements */
	for (double t0 = now_ns(); now_ns() - t0 < 3e8;)
		sink = sink + 1;
	printf("| entries | tables | auto deep ns | auto deny ns | "
	       "compiled deep ns | compiled deny ns | linear deep ns | "
	       "linear deny ns | compile ms | bytes/entry |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench_size(sizes[i]);
	return 0;
}
