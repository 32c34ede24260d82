/*
 * nfq-null/main.c - pinhole-nfq-null: the "null NFQUEUE program".
 *
 * Sets up pinholed's nftables table (daemon/nft.c: native queue or the
 * nft_compat NFQUEUE target) for the interfaces given with --iface, binds
 * the queue (daemon/nfq.c) and accepts every packet.  It is the data
 * plane's integration test driver (tests/e2e/run-dataplane.sh) and the
 * baseline for performance work: the cost of NFQUEUE with nothing behind
 * it.  On SIGINT/SIGTERM it removes the table and prints its counters.
 *
 * Test-only extras: --echo sends every packet back as "modified" (the
 * per-packet verdict-with-payload path), --static-nat rewrites one address
 * 1:1 and owns the global address on an interface (daemon/netdev.c), and
 * --defer N holds every Nth packet until the end of the read (out-of-order
 * verdicts).
 *
 * Output (stdout, for scripts): "ready queue=N method=M" once the table is
 * in place, and "stats key=value ..." at exit.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/signalfd.h>

#include "daemon/netdev.h"
#include "daemon/nfq.h"
#include "daemon/nft.h"
#include "snat.h"

#define NULL_MAX_IFACES 32
#define NULL_MAX_DEFER	4096
#define NULL_READS_MAX	64 /* reads per wakeup, then look at signals */

struct null_cfg {
	uint16_t queue;
	const char *ifaces[NULL_MAX_IFACES];
	size_t nifaces;
	struct ph_nfq_opts qo;
	struct ph_nft_opts no;
	bool echo;
	bool snat_on;
	struct ph_snat snat;
	char snat_iface[IFNAMSIZ];
	uint32_t defer_every;
};

struct null_ctx {
	const struct null_cfg *cfg;
	uint64_t seen, partial, gso, rewritten;
	uint32_t held[NULL_MAX_DEFER];
	size_t nheld;
};

static void
null_usage(FILE *f)
{
	fprintf(f,
		"usage: pinhole-nfq-null --iface NAME [--iface NAME]... "
		"[options]\n"
		"  --queue N          NFQUEUE number (default 0)\n"
		"  --iface NAME       queue packets arriving on NAME "
		"(repeatable)\n"
		"  --fail-open        accept when the queue is full or nobody "
		"listens\n"
		"                     (NFQA_CFG_F_FAIL_OPEN + queue bypass)\n"
		"  --no-gso           let the kernel segment GSO packets "
		"first\n"
		"  --per-packet       one verdict message per packet (no "
		"batching)\n"
		"  --maxlen N         kernel queue length (default 8192)\n"
		"  --rcvbuf BYTES     socket receive buffer (default 64 MiB)\n"
		"  --batch N          messages per recvmmsg (default 32)\n"
		"  --method M         auto | native | compat (default auto)\n"
		"  --echo             send every packet back as rewritten\n"
		"  --static-nat L=G@IF  rewrite L<->G and own G on IF (tests)\n"
		"  --defer N          hold every Nth packet until the read "
		"ends\n"
		"  -h, --help         this text\n");
}

/* Checked strtoul into [min, max]; false on any junk. */
static bool
null_parse_ul(const char *s, unsigned long min, unsigned long max,
	      unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max ||
	    s[0] == '-')
		return false;
	*out = v;
	return true;
}

/* L=G@IF */
static bool
null_parse_snat(struct null_cfg *c, const char *arg)
{
	char buf[64], *eq, *at;

	if (strlen(arg) >= sizeof(buf))
		return false;
	memcpy(buf, arg, strlen(arg) + 1);
	eq = strchr(buf, '=');
	at = strchr(buf, '@');
	if (eq == NULL || at == NULL || at < eq)
		return false;
	*eq = '\0';
	*at = '\0';
	if (inet_pton(AF_INET, buf, &c->snat.local) != 1 ||
	    inet_pton(AF_INET, eq + 1, &c->snat.global) != 1 ||
	    strlen(at + 1) == 0 || strlen(at + 1) >= IFNAMSIZ)
		return false;
	memcpy(c->snat_iface, at + 1, strlen(at + 1) + 1);
	c->snat_on = true;
	return true;
}

enum {
	OPT_QUEUE = 256,
	OPT_IFACE,
	OPT_FAIL_OPEN,
	OPT_NO_GSO,
	OPT_PER_PACKET,
	OPT_MAXLEN,
	OPT_RCVBUF,
	OPT_BATCH,
	OPT_METHOD,
	OPT_ECHO,
	OPT_SNAT,
	OPT_DEFER,
};

static const struct option null_opts[] = {
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "iface", required_argument, NULL, OPT_IFACE },
	{ "fail-open", no_argument, NULL, OPT_FAIL_OPEN },
	{ "no-gso", no_argument, NULL, OPT_NO_GSO },
	{ "per-packet", no_argument, NULL, OPT_PER_PACKET },
	{ "maxlen", required_argument, NULL, OPT_MAXLEN },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "method", required_argument, NULL, OPT_METHOD },
	{ "echo", no_argument, NULL, OPT_ECHO },
	{ "static-nat", required_argument, NULL, OPT_SNAT },
	{ "defer", required_argument, NULL, OPT_DEFER },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
null_parse_method(const char *s, enum ph_nft_method *m)
{
	if (strcmp(s, "auto") == 0)
		*m = PH_NFT_QUEUE_AUTO;
	else if (strcmp(s, "native") == 0)
		*m = PH_NFT_QUEUE_NATIVE;
	else if (strcmp(s, "compat") == 0)
		*m = PH_NFT_QUEUE_COMPAT;
	else
		return false;
	return true;
}

/* One option; false on a bad value. */
static bool
null_parse_one(struct null_cfg *c, int opt, const char *arg)
{
	unsigned long v = 0;

	switch (opt) {
	case OPT_QUEUE:
		if (!null_parse_ul(arg, 0, 65535, &v))
			return false;
		c->queue = (uint16_t)v;
		return true;
	case OPT_IFACE:
		if (c->nifaces == NULL_MAX_IFACES || strlen(arg) == 0 ||
		    strlen(arg) >= IFNAMSIZ)
			return false;
		c->ifaces[c->nifaces++] = arg;
		return true;
	case OPT_FAIL_OPEN:
		c->qo.fail_open = true;
		c->no.bypass = true;
		return true;
	case OPT_NO_GSO:
		c->qo.no_gso = true;
		return true;
	case OPT_PER_PACKET:
		c->qo.per_packet = true;
		return true;
	case OPT_MAXLEN:
		if (!null_parse_ul(arg, 1, 1u << 24, &v))
			return false;
		c->qo.maxlen = (uint32_t)v;
		return true;
	case OPT_RCVBUF:
		if (!null_parse_ul(arg, 4096, 1ul << 30, &v))
			return false;
		c->qo.rcvbuf = (uint32_t)v;
		return true;
	case OPT_BATCH:
		if (!null_parse_ul(arg, 1, PH_NFQ_BATCH_MAX, &v))
			return false;
		c->qo.batch = (uint32_t)v;
		return true;
	case OPT_METHOD:
		return null_parse_method(arg, &c->no.method);
	case OPT_ECHO:
		c->echo = true;
		return true;
	case OPT_SNAT:
		return null_parse_snat(c, arg);
	case OPT_DEFER:
		if (!null_parse_ul(arg, 1, 1u << 30, &v))
			return false;
		c->defer_every = (uint32_t)v;
		return true;
	}
	return false;
}

/* Returns 0 to run, 1 to exit 0 (help), 2 on a usage error. */
static int
null_parse_args(struct null_cfg *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", null_opts, NULL)) != -1) {
		if (opt == 'h') {
			null_usage(stdout);
			return 1;
		}
		if (opt == '?' || !null_parse_one(c, opt, optarg)) {
			if (opt != '?')
				fprintf(stderr,
					"pinhole-nfq-null: bad value "
					"for an option: %s\n",
					optarg ? optarg : "");
			null_usage(stderr);
			return 2;
		}
	}
	if (optind != argc || c->nifaces == 0) {
		fprintf(stderr, "pinhole-nfq-null: need --iface, no "
				"operands\n");
		null_usage(stderr);
		return 2;
	}
	c->no.queue_num = c->queue;
	return 0;
}

/* ---- packets ------------------------------------------------------------ */

static enum ph_nfq_verdict
null_packet(void *arg, struct ph_nfq_pkt *pkt)
{
	struct null_ctx *x = arg;
	const struct null_cfg *c = x->cfg;

	x->seen++;
	x->partial += pkt->csum_partial;
	x->gso += pkt->gso;
	if (c->snat_on && !pkt->truncated &&
	    ph_snat_rewrite(&c->snat, pkt->data, pkt->len, pkt->csum_partial))
		pkt->modified = true;
	else if (c->echo && !pkt->truncated)
		pkt->modified = true;
	x->rewritten += pkt->modified;
	if (c->defer_every != 0 && !pkt->modified &&
	    x->seen % c->defer_every == 0 && x->nheld < NULL_MAX_DEFER) {
		x->held[x->nheld++] = pkt->id;
		return PH_NFQ_DEFER;
	}
	return PH_NFQ_ACCEPT;
}

/* Give the held packets their verdicts, newest first (out of order). */
static void
null_release(struct ph_nfq *q, struct null_ctx *x)
{
	while (x->nheld > 0)
		ph_nfq_verdict(q, x->held[--x->nheld], PH_NFQ_ACCEPT, NULL, 0);
	ph_nfq_flush_verdicts(q);
}

/* Read until the socket is empty (bounded); -errno on a fatal error. */
static int
null_drain(struct ph_nfq *q, struct null_ctx *x)
{
	int i, n;

	for (i = 0; i < NULL_READS_MAX; i++) {
		n = ph_nfq_recv_batch(q, null_packet, x);
		if (x->nheld > 0)
			null_release(q, x);
		if (n <= 0)
			return n;
	}
	return 0;
}

/* ---- set-up and the loop --------------------------------------------- */

static void
null_print_stats(struct ph_nfq *q, const struct null_ctx *x)
{
	struct ph_nfq_stats st;
	struct ph_nfq_kstats ks = { 0 };
	int kerr;

	ph_nfq_stats(q, &st);
	kerr = ph_nfq_kstats(ph_nfq_queue_num(q), &ks);
	printf("stats received=%llu accepted=%llu dropped=%llu "
	       "modified=%llu deferred=%llu csum_completed=%llu "
	       "partial=%llu gso=%llu enobufs=%llu verdict_errors=%llu "
	       "send_errors=%llu malformed=%llu truncated_mod=%llu "
	       "reads=%llu verdict_msgs=%llu",
	       (unsigned long long)st.received, (unsigned long long)st.accepted,
	       (unsigned long long)st.dropped, (unsigned long long)st.modified,
	       (unsigned long long)st.deferred,
	       (unsigned long long)st.csum_completed,
	       (unsigned long long)x->partial, (unsigned long long)x->gso,
	       (unsigned long long)st.enobufs,
	       (unsigned long long)st.verdict_errors,
	       (unsigned long long)st.send_errors,
	       (unsigned long long)st.malformed,
	       (unsigned long long)st.truncated_mod,
	       (unsigned long long)st.reads,
	       (unsigned long long)st.verdict_msgs);
	if (kerr == 0)
		printf(" queue_dropped=%u user_dropped=%u", ks.queue_dropped,
		       ks.user_dropped);
	printf("\n");
	fflush(stdout);
}

static int
null_signalfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Own the global address of --static-nat; remove stale ones first. */
static int
null_addr_setup(struct ph_netdev *nd, const struct null_cfg *c)
{
	struct ph_netdev_addr a = { 0 };
	int idx, err;

	err = ph_netdev_addr_flush_stale(nd);
	if (err > 0)
		fprintf(stderr,
			"pinhole-nfq-null: removed %d stale "
			"address(es)\n",
			err);
	idx = ph_netdev_ifindex(c->snat_iface);
	if (idx < 0)
		return idx;
	a.ifindex = (uint32_t)idx;
	a.addr = c->snat.global;
	err = ph_netdev_addr_add(nd, &a, 1);
	return err < 0 ? err : 0;
}

static int
null_loop(struct ph_nfq *q, struct null_ctx *x, int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = ph_nfq_fd(q), .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	int n;

	for (;;) {
		n = poll(pfd, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				fprintf(stderr,
					"pinhole-nfq-null: signal %u, "
					"stopping\n",
					si.ssi_signo);
			return 0;
		}
		if (pfd[0].revents & (POLLIN | POLLERR)) {
			n = null_drain(q, x);
			if (n < 0)
				return n;
		}
	}
}

/* Table, queue and addresses up; run; tear everything down. */
static int
null_run(const struct null_cfg *c, int sfd)
{
	struct null_ctx x = { .cfg = c };
	struct ph_netdev *nd = NULL;
	struct ph_nfq *q = NULL;
	struct ph_nft *nft = NULL;
	const char *what = "queue";
	int err = 0;

	if (c->snat_on) {
		what = "addresses";
		nd = ph_netdev_new();
		err = nd ? null_addr_setup(nd, c) : -errno;
		if (err != 0)
			goto out;
	}
	what = "queue";
	q = ph_nfq_open(c->queue, &c->qo);
	if (q == NULL) {
		err = -errno;
		if (err == -EPERM)
			what = "queue (bound by another process?)";
		goto out;
	}
	what = "nftables";
	nft = ph_nft_new(&c->no);
	err = nft ? ph_nft_apply(nft, c->ifaces, c->nifaces) : -errno;
	if (err != 0)
		goto out;
	if (ph_nft_native_error(nft) != 0)
		fprintf(stderr,
			"pinhole-nfq-null: native queue expression "
			"refused (%s); using xt NFQUEUE via "
			"nft_compat\n",
			strerror(-ph_nft_native_error(nft)));
	printf("ready queue=%u method=%s\n", c->queue,
	       ph_nft_method_name(ph_nft_method(nft)));
	fflush(stdout);
	what = "loop";
	err = null_loop(q, &x, sfd);
out:
	if (err != 0)
		fprintf(stderr, "pinhole-nfq-null: %s: %s\n", what,
			strerror(-err));
	if (nft != NULL && ph_nft_teardown(nft) != 0)
		fprintf(stderr, "pinhole-nfq-null: removing the table "
				"failed\n");
	if (q != NULL) {
		null_drain(q, &x); /* what came in before the table went */
		null_print_stats(q, &x);
	}
	ph_nft_free(nft);
	ph_nfq_close(q);
	if (nd != NULL && ph_netdev_addr_cleanup(nd) != 0)
		fprintf(stderr, "pinhole-nfq-null: removing addresses "
				"failed\n");
	ph_netdev_free(nd);
	return err;
}

int
main(int argc, char **argv)
{
	struct null_cfg cfg = { 0 };
	int sfd, r;

	r = null_parse_args(&cfg, argc, argv);
	if (r != 0)
		return r == 1 ? 0 : 2;
	sfd = null_signalfd();
	if (sfd < 0) {
		perror("pinhole-nfq-null: signalfd");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	return null_run(&cfg, sfd) == 0 ? 0 : 1;
}
