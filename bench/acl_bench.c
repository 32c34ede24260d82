/*
 * bench/acl_bench.c - ns per ACL lookup from 10 to 100,000 entries (and
 * more on request), the time to compile the index, and its memory.
 *
 * Three families of generated lists, each like a large real one:
 *
 *  outside    a big outside-interface ACL: 90% tcp/udp (70% `eq` ports,
 *             15% ranges, 5% neq/lt/gt, some source-port ranges), 5% icmp,
 *             5% ip; sources any/host/24/16 = 45/35/15/5%, destinations
 *             host/24/16/any = 62/28/5/5%, addresses spread over 10-109/8;
 *  objgroups  object-group expansion (partners x servers x services) over
 *             the servers of sixteen DMZ /24s: many entries per host,
 *             differing by source and port (see gen_objgroups());
 *  blocklist  a shun list: 95% `deny ip host|/24 any` by source, then
 *             `permit tcp any host X eq P`.
 *
 * Two packet sets per list, 1024 packets each, cycled:
 *
 *  deep   packets whose first match lies in the last 10% of the list
 *         (the worst case for a linear scan);
 *  deny   packets that match nothing (implicit deny): sources from
 *         200.0.0.0/8, which no family uses, destinations of the list's
 *         own entries (or, when a short list leaves none of them a denied
 *         port, other hosts of their /16), tcp/udp destination ports
 *         2048-3047.
 *
 * Columns: the index as built by ph_acl_index_build() (linear below
 * PH_ACL_LINEAR_MAX entries), the index compiled at every size, and the
 * linear reference scan; compile time, memory per entry, the entries
 * copied into complete cuts (ph_acl_stats.replicas) and the cells of the
 * host directory (ph_acl_stats.dir_cells; 0: none).  Every timing is
 * thread CPU time (slices lost to other processes on a shared machine do
 * not count) of 100,000 lookups, best of 3 runs, repeated in R rounds
 * that interleave every size and column, so a noisy moment hits one
 * sample of each; the table gives the best and the median of the rounds.
 *
 * Usage: acl_bench [-f outside|objgroups|blocklist|all] [-n 10,100,...]
 *                  [-r rounds] [-s seed] [-q]
 * -q skips the linear columns (they take most of the time).
 * Build: bench/build.sh.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/model.h"
#include "core/acl.h"

#define N_KEYS	  1024
#define MAX_SIZES 8
#define MAX_ROUND 64

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

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- families ---- */

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

static const uint16_t common_ports[] = { 21,   22,   25,   53,	80,   110,
					 143,  443,  445,  993, 1433, 1723,
					 3306, 3389, 5060, 8080 };

static void
gen_dport(struct ph_portspec *ps)
{
	unsigned r = rnd() % 100;

	if (r < 70) {
		ps->op = PH_PORT_EQ;
		ps->lo = r < 40 ? common_ports[rnd() % 16]
				: (uint16_t)(rnd() % 65536);
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
ace_init(struct ph_ace *e)
{
	memset(e, 0, sizeof(*e));
	e->action = rnd() % 4 ? PH_ACL_PERMIT : PH_ACL_DENY;
	e->icmp_type = PH_ICMP_ANY;
	e->log_level = PH_LOG_NONE;
}

static void
gen_outside(struct ph_ace *e)
{
	unsigned r = rnd() % 100;

	ace_init(e);
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

/*
 * Object-group expansion: `access-list outside permit tcp object-group
 * PARTNERS object-group SERVERS object-group SERVICES` compiles to every
 * (source, destination, service), sources outermost, as PIX expands it.
 * Each block draws its groups: sources any (40%), 1-8 partner hosts or
 * 1-4 partner /24s (172.16.0.0/12); 1-32 neighbouring servers of sixteen
 * DMZ /24s (198.18.0-7.x, 198.19.0-7.x), or one whole DMZ /24 (5%);
 * 1-6 services: `eq` a well-known or a 1024-2047 port, 15% ranges, 5%
 * portless.
 */
static size_t gen_index; /* entry being generated */

struct og_block {
	struct ph_prefix src[8], dst[32];
	struct ph_ace svc[6];
	unsigned ns, nd, np, pos;
};

static void
og_new(struct og_block *g)
{
	unsigned r = rnd() % 100;
	uint32_t h = rnd() % 4096;

	memset(g, 0, sizeof(*g));
	g->ns = r < 40 ? 1 : r < 70 ? 1 + rnd() % 8 : 1 + rnd() % 4;
	for (unsigned i = 0; r >= 40 && i < g->ns; i++) {
		g->src[i].mask = r < 70 ? 0xffffffffu : 0xffffff00u;
		g->src[i].addr = (172u << 24 | 16u << 16 | (rnd() & 0xfffff)) &
				 g->src[i].mask;
	}
	g->nd = rnd() % 20 == 0 ? 1 : 1 + rnd() % 32;
	for (unsigned i = 0; i < g->nd; i++, h = (h + 1) % 4096) {
		g->dst[i].mask =
			g->nd == 1 && r % 2 ? 0xffffff00u : 0xffffffffu;
		g->dst[i].addr = ((198u << 24 | 18u << 16) + ((h >> 11) << 16) +
				  (((h >> 8) & 7) << 8) + (h & 0xff)) &
				 g->dst[i].mask;
	}
	g->np = 1 + rnd() % 6;
	for (unsigned i = 0; i < g->np; i++) {
		struct ph_ace *e = &g->svc[i];

		r = rnd() % 100;
		e->proto = rnd() % 5 == 0 ? 17 : 6;
		if (r < 80) {
			e->dport.op = PH_PORT_EQ;
			e->dport.lo = r < 50 ? common_ports[rnd() % 16]
					     : (uint16_t)(1024 + rnd() % 1024);
		} else if (r < 95) {
			e->dport.op = PH_PORT_RANGE;
			e->dport.lo = (uint16_t)(5000 + rnd() % 20000);
			e->dport.hi = (uint16_t)(e->dport.lo + rnd() % 100);
		}
	}
}

static void
gen_objgroups(struct ph_ace *e)
{
	static struct og_block g;
	unsigned i;

	if (gen_index == 0 || g.pos == g.ns * g.nd * g.np)
		og_new(&g);
	i = g.pos++;
	ace_init(e);
	e->action = PH_ACL_PERMIT;
	e->src = g.src[i / (g.nd * g.np)];
	e->dst = g.dst[i / g.np % g.nd];
	e->proto = g.svc[i % g.np].proto;
	e->dport = g.svc[i % g.np].dport;
}

static void
gen_blocklist(struct ph_ace *e)
{
	ace_init(e);
	if (rnd() % 100 < 95) {
		e->action = PH_ACL_DENY;
		e->proto = PH_PROTO_ANY;
		e->src = gen_prefix(0, 80, 20);
		return;
	}
	e->action = PH_ACL_PERMIT;
	e->proto = 6;
	e->dst = gen_prefix(0, 100, 0);
	e->dport.op = PH_PORT_EQ;
	e->dport.lo = common_ports[rnd() % 16];
}

struct family {
	const char *name;
	void (*gen)(struct ph_ace *e);
};

static const struct family families[] = {
	{ "outside", gen_outside },
	{ "objgroups", gen_objgroups },
	{ "blocklist", gen_blocklist },
};

#define N_FAMILIES (sizeof(families) / sizeof(families[0]))

/* ---- packets ---- */

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
	case PH_PORT_RANGE:
		k->dport = e->dport.lo;
		break;
	case PH_PORT_GT:
		k->dport = (uint16_t)(e->dport.lo + 1);
		break;
	default:
		k->dport = (uint16_t)(rnd() % 65536);
		break;
	}
}

struct keyset {
	struct ph_acl_key k[N_KEYS];
};

/*
 * Keys whose first match is in the last 10% of the list; a short list
 * whose last entries are shadowed settles for its last half.  Returns the
 * mean first-match position over the list length, or -1.
 */
static double
gen_deep(const struct ph_policy *pol, struct keyset *ks)
{
	size_t n = pol->n_aces;

	for (size_t tail = n / 10 + 1; tail <= n / 2 + 1; tail = n / 2 + 1) {
		size_t got = 0;
		double depth = 0;

		for (size_t t = 0; got < N_KEYS && t < 200 * N_KEYS; t++) {
			size_t i = n - 1 - rnd() % tail;
			int32_t m;

			key_from(&pol->aces[i], &ks->k[got]);
			m = ph_acl_lookup_linear(pol, 0, &ks->k[got]);
			if (m >= 0 && (size_t)m >= n - tail) {
				depth += (double)(m + 1) / (double)n;
				got++;
			}
		}
		if (got == N_KEYS)
			return depth / N_KEYS;
		if (tail == n / 2 + 1)
			break;
	}
	return -1;
}

/* Keys that match nothing (see the top comment). */
static int
gen_deny(const struct ph_policy *pol, struct keyset *ks)
{
	size_t got = 0;

	for (size_t tries = 0; got < N_KEYS && tries < 100 * N_KEYS; tries++) {
		struct ph_acl_key *k = &ks->k[got];

		key_from(&pol->aces[rnd() % pol->n_aces], k);
		k->src = 200u << 24 | (rnd() & 0xffffff);
		if (tries >= 50 * N_KEYS) /* a short list denies no host */
			k->dst = (k->dst & 0xffff0000u) | (rnd() & 0xffff);
		if (k->proto == 6 || k->proto == 17)
			k->dport = (uint16_t)(2048 + rnd() % 1000);
		if (ph_acl_lookup_linear(pol, 0, k) < 0)
			got++;
	}
	return got == N_KEYS ? 0 : -1;
}

/* ---- timing ---- */

static volatile int32_t sink;

/* Thread CPU ns per lookup over `iters` lookups, best of 3 runs. */
static double
time_lookups(const struct ph_acl_index *ix, const struct ph_policy *pol,
	     const struct keyset *ks, size_t iters)
{
	double best = 1e30;

	for (int run = 0; run < 3; run++) {
		double t0 = now_ns(), dt;
		int32_t acc = 0;

		if (ix != NULL) {
			for (size_t i = 0; i < iters; i++)
				acc += ph_acl_lookup(ix, 0, &ks->k[i % N_KEYS]);
		} else {
			for (size_t i = 0; i < iters; i++)
				acc += ph_acl_lookup_linear(pol, 0,
							    &ks->k[i % N_KEYS]);
		}
		dt = (now_ns() - t0) / (double)iters;
		sink = acc;
		if (dt < best)
			best = dt;
	}
	return best;
}

static struct ph_acl_index *
build(const struct ph_policy *pol, uint32_t linear_max, double *ms)
{
	struct ph_acl_build_opts o = { .seed = 0x5eed,
				       .linear_max = linear_max };
	struct ph_acl_index *ix = NULL;
	int runs = pol->n_aces >= 100000 ? 3 : 10;

	*ms = 1e30;
	for (int r = 0; r < runs; r++) {
		double t0 = now_ns(), dt;
		int err = 0;

		ph_acl_index_free(ix);
		ix = ph_acl_index_build_opts(pol, &o, &err);
		dt = (now_ns() - t0) / 1e6;
		if (ix == NULL) {
			fprintf(stderr, "build failed: %d\n", err);
			exit(1);
		}
		if (dt < *ms)
			*ms = dt;
	}
	return ix;
}

/* Columns: auto deep/deny, compiled deep/deny, linear deep/deny. */
#define N_COLS 6

struct row {
	size_t n;
	struct ph_ace *aces;
	struct ph_acl acl;
	struct ph_policy pol;
	struct ph_acl_index *ixa, *ixc;
	struct keyset deep, deny;
	double t[N_COLS][MAX_ROUND];
	double compile_ms;
	double depth; /* mean first-match position of the deep set / n */
	struct ph_acl_stats st;
};

static int
row_init(struct row *w, const struct family *f, size_t n)
{
	w->n = n;
	w->aces = calloc(n, sizeof(*w->aces));
	if (w->aces == NULL)
		return -1;
	for (gen_index = 0; gen_index < n; gen_index++)
		f->gen(&w->aces[gen_index]);
	w->acl = (struct ph_acl){ .first = 0, .count = (uint32_t)n };
	memset(&w->pol, 0, sizeof(w->pol));
	w->pol.aces = w->aces;
	w->pol.n_aces = n;
	w->pol.acls = &w->acl;
	w->pol.n_acls = 1;
	w->depth = gen_deep(&w->pol, &w->deep);
	if (w->depth < 0 || gen_deny(&w->pol, &w->deny) < 0) {
		fprintf(stderr, "%s n=%zu: could not make the key sets\n",
			f->name, n);
		return -1;
	}
	w->ixa = build(&w->pol, PH_ACL_LINEAR_MAX, &w->compile_ms);
	w->ixc = build(&w->pol, 0, &w->compile_ms);
	ph_acl_index_stats(w->ixc, 0, &w->st);
	return 0;
}

static void
row_round(struct row *w, int round, bool linear)
{
	size_t lin_iters = w->n >= 1000 ? 10000000 / w->n : 10000;

	w->t[0][round] = time_lookups(w->ixa, NULL, &w->deep, 100000);
	w->t[1][round] = time_lookups(w->ixa, NULL, &w->deny, 100000);
	w->t[2][round] = time_lookups(w->ixc, NULL, &w->deep, 100000);
	w->t[3][round] = time_lookups(w->ixc, NULL, &w->deny, 100000);
	if (linear) {
		w->t[4][round] =
			time_lookups(NULL, &w->pol, &w->deep, lin_iters);
		w->t[5][round] =
			time_lookups(NULL, &w->pol, &w->deny, lin_iters);
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Best (v[0]) and median of `n` samples, sorted in place. */
static void
best_median(double *v, int n, double *best, double *median)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	*best = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
print_cell(double best, double median, bool have)
{
	if (!have)
		printf(" - |");
	else if (best >= 1000)
		printf(" %.0f (%.0f) |", best, median);
	else
		printf(" %.1f (%.1f) |", best, median);
}

static void
family_run(const struct family *f, const size_t *sizes, int n_sizes, int rounds,
	   bool linear)
{
	static struct row rows[MAX_SIZES];
	double best[MAX_SIZES][N_COLS], median[MAX_SIZES][N_COLS];

	for (int s = 0; s < n_sizes; s++) {
		if (row_init(&rows[s], f, sizes[s]) < 0)
			exit(1);
	}
	for (int r = 0; r < rounds; r++) {
		for (int s = 0; s < n_sizes; s++)
			row_round(&rows[s], r, linear);
	}
	printf("\n%s (best (median) ns of %d rounds):\n\n", f->name, rounds);
	printf("| entries | cuts | max probes | deep at | auto deep | "
	       "auto deny | "
	       "compiled deep | compiled deny | linear deep | linear deny | "
	       "compile ms | bytes/entry | copies | dir cells |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	       "---:|---:|---:|\n");
	for (int s = 0; s < n_sizes; s++) {
		struct row *w = &rows[s];

		printf("| %zu | %u+%u | %u | %.2f |", w->n, w->st.tuples,
		       w->st.sub_tuples, w->st.max_probes, w->depth);
		for (int c = 0; c < N_COLS; c++) {
			bool have = c < 4 || linear;

			if (have)
				best_median(w->t[c], rounds, &best[s][c],
					    &median[s][c]);
			print_cell(best[s][c], median[s][c], have);
		}
		printf(" %.3f | %.0f | %u | %u |\n", w->compile_ms,
		       (double)w->st.mem_bytes / (double)w->n, w->st.replicas,
		       w->st.dir_cells);
	}
	/* flatness: the dearest size over the first (smallest) one */
	printf("\n");
	for (int c = 0; c < 2; c++) {
		double mb = 0, mm = 0;

		for (int s = 1; s < n_sizes; s++) {
			if (best[s][c] / best[0][c] > mb)
				mb = best[s][c] / best[0][c];
			if (median[s][c] / median[0][c] > mm)
				mm = median[s][c] / median[0][c];
		}
		printf("%s auto %s: dearest size / %zu entries = %.2fx best, "
		       "%.2fx median\n",
		       f->name, c == 0 ? "deep" : "deny", sizes[0], mb, mm);
	}
	fflush(stdout);
	for (int s = 0; s < n_sizes; s++) {
		ph_acl_index_free(rows[s].ixa);
		ph_acl_index_free(rows[s].ixc);
		free(rows[s].aces);
	}
}

static int
parse_sizes(char *arg, size_t *sizes)
{
	int n = 0;

	for (char *p = arg; *p != '\0' && n < MAX_SIZES;) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p || v < 10 || v > PH_ACL_EXPANDED_MAX)
			return -1;
		sizes[n++] = (size_t)v;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return -1;
	}
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: acl_bench [-f outside|objgroups|blocklist|all] "
			"[-n 10,100,...] [-r rounds] [-s seed] [-q]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	size_t sizes[MAX_SIZES] = { 10, 100, 1000, 10000, 100000 };
	int n_sizes = 5, rounds = 15, opt;
	const char *fam = "all";
	bool linear = true, ran = false;
	uint64_t seed = 1;

	while ((opt = getopt(argc, argv, "f:n:r:s:q")) != -1) {
		switch (opt) {
		case 'f':
			fam = optarg;
			break;
		case 'n':
			n_sizes = parse_sizes(optarg, sizes);
			if (n_sizes <= 0)
				usage();
			break;
		case 'r':
			rounds = (int)strtol(optarg, NULL, 10);
			if (rounds < 1 || rounds > MAX_ROUND)
				usage();
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'q':
			linear = false;
			break;
		default:
			usage();
		}
	}
	/* warm up: let the CPU leave its idle clock first */
	for (double t0 = now_ns(); now_ns() - t0 < 3e8;)
		sink = sink + 1;
	for (size_t i = 0; i < N_FAMILIES; i++) {
		if (strcmp(fam, "all") != 0 && strcmp(fam, families[i].name))
			continue;
		rng = seed;
		family_run(&families[i], sizes, n_sizes, rounds, linear);
		ran = true;
	}
	if (!ran)
		usage();
	return 0;
}
