/*
 * bench/tcpcps.c - ph-tcpcps: short TCP connections per second, client and
 * server in one program.
 *
 *   ph-tcpcps server [--port N] [--duration SEC] [--rst]
 *   ph-tcpcps client --dst IP [--port N] [--conc N] [--duration SEC]
 *                    [--timeout-ms MS]
 *
 * A connection is: the client connects (non-blocking), the server accepts
 * and closes at once, the client sees the end of stream and closes.  That
 * is SYN, SYN-ACK, ACK, FIN, ACK, FIN, ACK: seven packets, three of them
 * before the connection exists, so a gateway pays for a new connection,
 * its translation and its teardown.  The server closes first, so TIME_WAIT
 * stays on the server, where the 4-tuples never repeat quickly, and the
 * client's ports are free again at once.  With --rst the server aborts
 * with a RST instead (SO_LINGER 0).
 *
 * The client keeps --conc connections in flight (epoll), counts successes
 * and failures (refused or reset, timed out, local errors such as running
 * out of ports) and prints (stdout, one line):
 *   tcpcps ok=N fail=F refused=R reset=S timeout=T local=L unfinished=U
 *   secs=X cps=C conc=K
 * The server prints "ready port=N" when listening and
 *   tcpcps-server accepted=N
 * at the end.
 *
 * Limits: IPv4; one destination; the client's port range is the
 * namespace's ip_local_port_range (the bench scripts widen it).
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchutil.h"

#define CPS_CONC_MAX 4096

struct cps_cfg {
	bool server;
	struct in_addr dst;
	uint16_t port;
	uint32_t conc;
	double duration;
	uint32_t timeout_ms;
	bool rst;
};

enum cps_state { CPS_IDLE = 0, CPS_CONNECTING, CPS_WAIT_EOF };

struct cps_slot {
	int fd;
	uint8_t state;
	uint64_t t0;
};

struct cps_client {
	const struct cps_cfg *c;
	int ep;
	struct sockaddr_in sa;
	struct cps_slot slot[CPS_CONC_MAX];
	uint64_t ok, refused, reset, timeout, local;
	bool closing; /* duration over: start nothing new */
};

static volatile sig_atomic_t cps_stop;

static void
cps_on_signal(int sig)
{
	(void)sig;
	cps_stop = 1;
}

static void
cps_usage(FILE *f)
{
	fprintf(f, "usage: ph-tcpcps server [--port N] [--duration SEC] "
		   "[--rst]\n"
		   "       ph-tcpcps client --dst IP [--port N] [--conc N] "
		   "[--duration SEC] [--timeout-ms MS]\n"
		   "defaults: port 8000, conc 64, duration 3 (server: until "
		   "SIGTERM), timeout 1000 ms\n");
}

enum { O_DST = 256, O_PORT, O_CONC, O_DUR, O_TMO, O_RST };

static const struct option cps_opts[] = {
	{ "dst", required_argument, NULL, O_DST },
	{ "port", required_argument, NULL, O_PORT },
	{ "conc", required_argument, NULL, O_CONC },
	{ "duration", required_argument, NULL, O_DUR },
	{ "timeout-ms", required_argument, NULL, O_TMO },
	{ "rst", no_argument, NULL, O_RST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool
cps_parse_one(struct cps_cfg *c, int opt, const char *a)
{
	uint64_t v;

	switch (opt) {
	case O_DST:
		return inet_pton(AF_INET, a, &c->dst) == 1;
	case O_PORT:
		if (!bu_parse_u64(a, 1, 65535, &v))
			return false;
		c->port = (uint16_t)v;
		return true;
	case O_CONC:
		if (!bu_parse_u64(a, 1, CPS_CONC_MAX, &v))
			return false;
		c->conc = (uint32_t)v;
		return true;
	case O_DUR:
		return bu_parse_double(a, 0.01, 86400, &c->duration);
	case O_TMO:
		if (!bu_parse_u64(a, 1, 600000, &v))
			return false;
		c->timeout_ms = (uint32_t)v;
		return true;
	case O_RST:
		c->rst = true;
		return true;
	}
	return false;
}

static int
cps_parse_args(struct cps_cfg *c, int argc, char **argv)
{
	int opt;

	if (argc < 2) {
		cps_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "server") == 0)
		c->server = true;
	else if (strcmp(argv[1], "client") != 0) {
		cps_usage(strcmp(argv[1], "-h") == 0 ? stdout : stderr);
		return strcmp(argv[1], "-h") == 0 ? 1 : 2;
	}
	optind = 2;
	while ((opt = getopt_long(argc, argv, "h", cps_opts, NULL)) != -1) {
		if (opt == 'h') {
			cps_usage(stdout);
			return 1;
		}
		if (opt == '?' || !cps_parse_one(c, opt, optarg)) {
			fprintf(stderr, "ph-tcpcps: bad option value: %s\n",
				optarg ? optarg : "?");
			return 2;
		}
	}
	if (optind != argc || (!c->server && c->dst.s_addr == 0)) {
		cps_usage(stderr);
		return 2;
	}
	return 0;
}

/* Close with a RST (no FIN, no TIME_WAIT). */
static void
cps_abort(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

/* ---- server ------------------------------------------------------------ */

static int
cps_server(const struct cps_cfg *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(c->port) };
	uint64_t accepted = 0,
		 end = bu_now_ns() + (uint64_t)(c->duration * 1e9);
	int one = 1, lfd, fd;
	struct epoll_event ev = { .events = EPOLLIN };

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		return -1;
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 65535) < 0)
		return -1;
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		return -1;
	printf("ready port=%u\n", c->port);
	fflush(stdout);
	while (!cps_stop && bu_now_ns() < end) {
		if (epoll_wait(ep, &ev, 1, 100) <= 0)
			continue;
		while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
			accepted++;
			if (c->rst)
				cps_abort(fd);
			else
				close(fd);
		}
	}
	printf("tcpcps-server accepted=%llu\n", (unsigned long long)accepted);
	close(ep);
	close(lfd);
	return 0;
}

/* ---- client ------------------------------------------------------------ */

/* Count the outcome of slot s and free it. */
static void
cps_finish(struct cps_slot *s, uint64_t *counter, bool abort)
{
	(*counter)++;
	if (abort)
		cps_abort(s->fd);
	else
		close(s->fd);
	s->fd = -1;
	s->state = CPS_IDLE;
}

/* Start a connection in slot i. */
static void
cps_start(struct cps_client *k, uint32_t i)
{
	struct cps_slot *s = &k->slot[i];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP,
				  .data.u32 = i };

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		k->local++;
		return;
	}
	s->t0 = bu_now_ns();
	if (connect(s->fd, (struct sockaddr *)&k->sa, sizeof(k->sa)) < 0 &&
	    errno != EINPROGRESS) {
		s->state = CPS_CONNECTING;
		cps_finish(s, errno == ECONNREFUSED ? &k->refused : &k->local,
			   false);
		return;
	}
	s->state = CPS_CONNECTING;
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		cps_finish(s, &k->local, true);
}

/* After EPOLLOUT while connecting: did it connect? */
static bool
cps_connected(struct cps_client *k, struct cps_slot *s)
{
	int err = 0;
	socklen_t len = sizeof(err);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		cps_finish(s, err == ECONNREFUSED ? &k->refused : &k->reset,
			   false);
		return false;
	}
	ev.data.u32 = (uint32_t)(s - k->slot);
	s->state = CPS_WAIT_EOF;
	(void)epoll_ctl(k->ep, EPOLL_CTL_MOD, s->fd, &ev);
	return true;
}

static void
cps_event(struct cps_client *k, const struct epoll_event *ev)
{
	struct cps_slot *s = &k->slot[ev->data.u32];
	char b[64];
	ssize_t n;

	if (s->state == CPS_IDLE)
		return;
	if (s->state == CPS_CONNECTING && !cps_connected(k, s))
		return;
	if (!(ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP)))
		return;
	n = read(s->fd, b, sizeof(b));
	if (n == 0)
		cps_finish(s, &k->ok, false);
	else if (n < 0 && errno != EAGAIN)
		cps_finish(s, &k->reset, false);
}

/* Time out slow connections; refill idle slots. */
static void
cps_sweep(struct cps_client *k, uint64_t now)
{
	uint64_t tmo = (uint64_t)k->c->timeout_ms * 1000000ull;

	for (uint32_t i = 0; i < k->c->conc; i++) {
		struct cps_slot *s = &k->slot[i];

		if (s->state != CPS_IDLE && now - s->t0 > tmo)
			cps_finish(s, &k->timeout, true);
		if (s->state == CPS_IDLE && !k->closing)
			cps_start(k, i);
	}
}

static int
cps_client(const struct cps_cfg *c)
{
	static struct cps_client k;
	struct epoll_event evs[256];
	uint64_t start, end, now, unfinished = 0;
	int n;

	k.c = c;
	k.sa.sin_family = AF_INET;
	k.sa.sin_port = htons(c->port);
	k.sa.sin_addr = c->dst;
	k.ep = epoll_create1(0);
	if (k.ep < 0)
		return -1;
	start = bu_now_ns();
	end = start + (uint64_t)(c->duration * 1e9);
	cps_sweep(&k, start);
	while (!cps_stop && (now = bu_now_ns()) < end) {
		n = epoll_wait(k.ep, evs, 256, 10);
		for (int i = 0; i < n; i++)
			cps_event(&k, &evs[i]);
		cps_sweep(&k, bu_now_ns());
	}
	now = bu_now_ns();
	k.closing = true;
	for (uint32_t i = 0; i < c->conc; i++)
		if (k.slot[i].state != CPS_IDLE)
			cps_finish(&k.slot[i], &unfinished, true);
	printf("tcpcps ok=%llu fail=%llu refused=%llu reset=%llu "
	       "timeout=%llu local=%llu unfinished=%llu secs=%.3f cps=%.0f "
	       "conc=%u\n",
	       (unsigned long long)k.ok,
	       (unsigned long long)(k.refused + k.reset + k.timeout + k.local),
	       (unsigned long long)k.refused, (unsigned long long)k.reset,
	       (unsigned long long)k.timeout, (unsigned long long)k.local,
	       (unsigned long long)unfinished, (double)(now - start) / 1e9,
	       (double)k.ok * 1e9 / (double)(now - start), c->conc);
	close(k.ep);
	return 0;
}

int
main(int argc, char **argv)
{
	struct cps_cfg c = { .port = 8000, .conc = 64, .timeout_ms = 1000 };
	int rc = cps_parse_args(&c, argc, argv);

	if (rc != 0)
		return rc == 1 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, cps_on_signal);
	signal(SIGTERM, cps_on_signal);
	if (c.duration == 0) /* server: until signalled; client: 3 s */
		c.duration = c.server ? 86400 : 3;
	rc = c.server ? cps_server(&c) : cps_client(&c);
	if (rc < 0) {
		perror("ph-tcpcps");
		return 1;
	}
	return 0;
}
