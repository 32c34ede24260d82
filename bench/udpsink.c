/*
 * bench/udpsink.c - ph-udpsink: count what ph-udpgen sent and what got
 * through.
 *
 * Receives on one UDP port with recvmmsg(2) and counts datagrams, bytes
 * and, from the payload header (bench/benchutil.h: magic, flow id,
 * per-flow sequence number), per-flow counts and loss: a flow's loss is
 * (highest sequence seen + 1) - datagrams received, so packets lost at the
 * tail of a flow are not seen (the caller compares with the generator's
 * sent count for the exact total).  The flow id is in the payload, so the
 * counts survive a NAT that rewrote the ports.
 *
 * The rate is received / (time of last - time of first datagram).  With
 * --interval the sink also prints one line per interval (a time series:
 * overload runs are not steady).
 *
 * Stops after --duration seconds, after --idle seconds without a datagram
 * once the first one came, or on SIGINT/SIGTERM, and prints (stdout):
 *   udpsink received=N bytes=B secs=T pps=P flows_seen=F loss=L
 *   loss_pct=X reordered=R bad=B untracked=U flow_min=A flow_max=Z
 *   first_src=ADDR:PORT (the source of the first datagram, after NAT)
 * and with --per-flow one "flow ID count maxseq" line per flow seen.
 *
 * Limits: flow ids >= --max-flows are counted as received but not per
 * flow; duplicates count as received (they are not expected on this
 * path).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define SINK_BATCH_MAX 256
#define SINK_BUF       2048

struct sink_cfg {
	uint16_t port;
	double duration, idle, interval;
	uint32_t max_flows;
	uint32_t batch;
	int rcvbuf;
	bool per_flow;
};

struct sink_flow {
	uint64_t count;
	uint64_t next_seq; /* highest seen + 1 */
};

struct sink {
	const struct sink_cfg *c;
	int fd;
	struct sink_flow *flows;
	uint64_t received, bytes, bad, reordered, untracked;
	uint64_t t_first, t_last;
	struct sockaddr_in first_src; /* who sent the first datagram */
	struct sockaddr_in names[SINK_BATCH_MAX];
	uint8_t bufs[SINK_BATCH_MAX][SINK_BUF];
	struct iovec iov[SINK_BATCH_MAX];
	struct mmsghdr msg[SINK_BATCH_MAX];
};

static volatile sig_atomic_t sink_stop;

static void
sink_on_signal(int sig)
{
	(void)sig;
	sink_stop = 1;
}

static void
sink_usage(FILE *f)
{
	fprintf(f,
		"usage: ph-udpsink [options]\n"
		"  --port N          UDP port (default 9000)\n"
		"  --duration SEC    stop after SEC (default 3600)\n"
		"  --idle SEC        stop SEC after the last datagram "
		"(default 1)\n"
		"  --interval SEC    print a line every SEC (default off)\n"
		"  --max-flows N     flows counted one by one (default 65536)\n"
		"  --batch N         messages per recvmmsg (default 64)\n"
		"  --rcvbuf BYTES    socket receive buffer (default 32 MiB)\n"
		"  --per-flow        print one line per flow at the end\n");
}

enum {
	O_PORT = 256,
	O_DUR,
	O_IDLE,
	O_INTERVAL,
	O_MAXFLOWS,
	O_BATCH,
	O_RCVBUF,
	O_PERFLOW,
};

static const struct option sink_opts[] = {
	{ "port", required_argument, NULL, O_PORT },
	{ "duration", required_argument, NULL, O_DUR },
	{ "idle", required_argument, NULL, O_IDLE },
	{ "interval", required_argument, NULL, O_INTERVAL },
	{ "max-flows", required_argument, NULL, O_MAXFLOWS },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "rcvbuf", required_argument, NULL, O_RCVBUF },
	{ "per-flow", no_argument, NULL, O_PERFLOW },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
sink_parse_one(struct sink_cfg *c, int opt, const char *a)
{
	uint64_t v;

	switch (opt) {
	case O_PORT:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->port = (uint16_t)v;
		return true;
	case O_DUR:
		return bu_parse_double(a, 0.01, 86400, &c->duration);
	case O_IDLE:
		return bu_parse_double(a, 0.01, 3600, &c->idle);
	case O_INTERVAL:
		return bu_parse_double(a, 0.01, 3600, &c->interval);
	case O_MAXFLOWS:
		if (!bu_parse_u64(a, 1, 1u << 24, &v))
			return false;
		c->max_flows = (uint32_t)v;
		return true;
	case O_BATCH:
		if (!bu_parse_u64(a, 1, SINK_BATCH_MAX, &v))
			return false;
		c->batch = (uint32_t)v;
		return true;
	case O_RCVBUF:
		if (!bu_parse_u64(a, 4096, 1u << 30, &v))
			return false;
		c->rcvbuf = (int)v;
		return true;
	case O_PERFLOW:
		c->per_flow = true;
		return true;
	}
	return false;
}

static int
sink_parse_args(struct sink_cfg *c, int argc, char **argv)
{
	int opt;

	while ((opt = getopt_long(argc, argv, "h", sink_opts, NULL)) != -1) {
		if (opt == 'h') {
			sink_usage(stdout);
			return 1;
		}
		if (opt == '?' || !sink_parse_one(c, opt, optarg)) {
			fprintf(stderr, "ph-udpsink: bad option value: %s\n",
				optarg ? optarg : "?");
			return 2;
		}
	}
	if (optind != argc) {
		sink_usage(stderr);
		return 2;
	}
	return 0;
}

static int
sink_open(struct sink *s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(s->c->port),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	int rb = s->c->rcvbuf;

	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (s->fd < 0)
		return -1;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof(rb)) < 0)
		(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	for (uint32_t i = 0; i < SINK_BATCH_MAX; i++) {
		s->iov[i].iov_base = s->bufs[i];
		s->iov[i].iov_len = SINK_BUF;
		s->msg[i].msg_hdr.msg_iov = &s->iov[i];
		s->msg[i].msg_hdr.msg_iovlen = 1;
		s->msg[i].msg_hdr.msg_name = &s->names[i];
		s->msg[i].msg_hdr.msg_namelen = sizeof(s->names[i]);
	}
	return 0;
}

static void
sink_count(struct sink *s, const uint8_t *p, size_t len)
{
	uint32_t flow;
	uint64_t seq;
	struct sink_flow *f;

	s->received++;
	s->bytes += len;
	if (len < BU_HDR_LEN || bu_get32(p) != BU_MAGIC) {
		s->bad++;
		return;
	}
	flow = bu_get32(p + 4);
	seq = bu_get64(p + 8);
	if (flow >= s->c->max_flows) {
		s->untracked++;
		return;
	}
	f = &s->flows[flow];
	f->count++;
	if (seq + 1 > f->next_seq)
		f->next_seq = seq + 1;
	else
		s->reordered++;
}

static void
sink_summary(const struct sink *s)
{
	uint64_t expected = 0, tracked = 0, fmin = UINT64_MAX, fmax = 0;
	uint32_t seen = 0;
	char src[INET_ADDRSTRLEN] = "-";
	double secs =
		s->received > 1 ? (double)(s->t_last - s->t_first) / 1e9 : 0;
	int64_t loss;

	for (uint32_t i = 0; i < s->c->max_flows; i++) {
		const struct sink_flow *f = &s->flows[i];

		if (f->count == 0)
			continue;
		seen++;
		expected += f->next_seq;
		tracked += f->count;
		fmin = f->count < fmin ? f->count : fmin;
		fmax = f->count > fmax ? f->count : fmax;
	}
	loss = (int64_t)expected - (int64_t)tracked;
	inet_ntop(AF_INET, &s->first_src.sin_addr, src, sizeof(src));
	printf("udpsink received=%llu bytes=%llu secs=%.3f pps=%.0f "
	       "flows_seen=%u loss=%lld loss_pct=%.2f reordered=%llu bad=%llu "
	       "untracked=%llu flow_min=%llu flow_max=%llu first_src=%s:%u\n",
	       (unsigned long long)s->received, (unsigned long long)s->bytes,
	       secs, secs > 0 ? (double)(s->received - 1) / secs : 0.0, seen,
	       (long long)loss, expected ? 100.0 * (double)loss / expected : 0,
	       (unsigned long long)s->reordered, (unsigned long long)s->bad,
	       (unsigned long long)s->untracked,
	       (unsigned long long)(seen ? fmin : 0), (unsigned long long)fmax,
	       src, ntohs(s->first_src.sin_port));
	if (!s->c->per_flow)
		return;
	for (uint32_t i = 0; i < s->c->max_flows; i++)
		if (s->flows[i].count != 0)
			printf("flow %u %llu %llu\n", i,
			       (unsigned long long)s->flows[i].count,
			       (unsigned long long)s->flows[i].next_seq - 1);
}

/* One recvmmsg; false when the run is over. */
static bool
sink_step(struct sink *s, uint64_t start, uint64_t *last_tick,
	  uint64_t *tick_count)
{
	const struct sink_cfg *c = s->c;
	uint64_t now;
	int n = recvmmsg(s->fd, s->msg, c->batch, MSG_WAITFORONE, NULL);

	now = bu_now_ns();
	if (n > 0) {
		if (s->received == 0) {
			s->t_first = now;
			s->first_src = s->names[0];
		}
		for (int i = 0; i < n; i++) {
			sink_count(s, s->bufs[i], s->msg[i].msg_len);
			s->msg[i].msg_hdr.msg_namelen = sizeof(s->names[i]);
		}
		s->t_last = now;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		perror("ph-udpsink: recvmmsg");
		return false;
	}
	if (c->interval > 0 && now - *last_tick >= c->interval * 1e9) {
		printf("t=%.1f pkts=%llu pps=%.0f\n",
		       (double)(now - start) / 1e9,
		       (unsigned long long)(s->received - *tick_count),
		       (double)(s->received - *tick_count) * 1e9 /
			       (double)(now - *last_tick));
		fflush(stdout);
		*last_tick = now;
		*tick_count = s->received;
	}
	if (now - start >= c->duration * 1e9)
		return false;
	if (s->received > 0 && now - s->t_last >= c->idle * 1e9)
		return false;
	return true;
}

int
main(int argc, char **argv)
{
	struct sink_cfg c = { .port = 9000,
			      .duration = 3600,
			      .idle = 1,
			      .max_flows = 65536,
			      .batch = 64,
			      .rcvbuf = 32 << 20 };
	static struct sink s;
	uint64_t start, tick, tick_count = 0;
	int rc = sink_parse_args(&c, argc, argv);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	s.c = &c;
	s.flows = calloc(c.max_flows, sizeof(*s.flows));
	if (s.flows == NULL || sink_open(&s) < 0) {
		perror("ph-udpsink");
		return 1;
	}
	signal(SIGINT, sink_on_signal);
	signal(SIGTERM, sink_on_signal);
	printf("ready port=%u\n", c.port);
	fflush(stdout);
	start = tick = bu_now_ns();
	while (!sink_stop && sink_step(&s, start, &tick, &tick_count))
		;
	sink_summary(&s);
	close(s.fd);
	free(s.flows);
	return 0;
}
