/*
 * tools/ctl-testd/ctl-testd.c - pinhole-ctl-testd: a stand-in daemon that
 * serves canned data through the real control module (daemon/control.c)
 * and the real handler interface, so tests/ctl/run-ctl.sh can drive
 * pinholectl end to end without an engine, NFQUEUE or root.
 *
 *	pinhole-ctl-testd -s FULL -r RO [-n CONNS] [-t TIMEOUT_MS]
 *	                  [-m MAX_OUT] [-c MAX_CLIENTS] [-i DEBUG_MS]
 *	                  [-u PORT] [-T]
 *
 * Canned data: CONNS synthetic connections (paged through the cursor, as
 * the daemon pages the engine's table), three translations, two ACLs, a
 * running-config, counters that `clear counters` resets, a reload that
 * fails for any path containing "bad" (returning error records as text,
 * as pinholed does) and a `debug pptp` stream of one line every DEBUG_MS.
 * Log sinks: the real daemon/logsink.c with a canned `logging` policy
 * (on, trap informational, buffered debugging, host 127.0.0.1:PORT with
 * -u, `logging timestamp` with -T) logs three canned events at start: a
 * 302013 (level 6), a 106023 (level 4) and a 302014 re-levelled to 7,
 * which only the buffer takes; `show logging` / `clear logging` are the
 * logsink's own handlers.
 * Control log lines (with the peer credentials) go to stderr.  SIGTERM/SIGINT
 * stop it cleanly and remove the sockets.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include <pinhole/engine.h>

#include <pinhole/event.h>

#include "config/model.h"
#include "core/json.h"
#include "daemon/control.h"
#include "daemon/logsink.h"

struct testd {
	uint32_t n_conns;
	uint64_t clears[PH_CTL_CMD_MAX];
	uint64_t debug_seq;
	struct ph_control *ctl;
	struct ph_logsink *sink;
};

static void
log_stderr(void *arg, int sev, const char *msg)
{
	(void)arg;
	fprintf(stderr, "testd[%d]: %s\n", sev, msg);
}

static void
fake_conn(uint32_t i, struct ph_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->id = 1000 + i;
	ci->proto = i % 3 == 2 ? 17 : 6;
	ci->out_if = "outside";
	ci->in_if = "inside";
	ci->faddr = 0xc0a80a0b; /* 192.168.10.11 */
	ci->fport = 80;
	ci->laddr = 0x0a000000 | (i & 0xffff);
	ci->lport = (uint16_t)(1024 + i % 60000);
	ci->gaddr = 0xac127cc9; /* 172.18.124.201 */
	ci->gport = (uint16_t)(1024 + i % 60000);
	ci->idle_sec = i % 100;
	ci->uptime_sec = 100 + i % 100;
	ci->timeout_sec = 3600;
	ci->tclass = ci->proto == 6 ? "tcp" : "udp";
	ci->bytes = 2664 + i;
	strlcpy(ci->flags, ci->proto == 6 ? "UIO" : "-", sizeof(ci->flags));
}

static void
conn_json(struct ph_json *j, const struct ph_conn_info *ci)
{
	ph_json_obj_begin(j, NULL);
	ph_json_u64(j, "id", ci->id);
	ph_json_str(j, "proto", ci->proto == 6 ? "tcp" : "udp");
	ph_json_str(j, "out_if", ci->out_if);
	ph_json_ipv4(j, "faddr", ci->faddr);
	ph_json_u64(j, "fport", ci->fport);
	ph_json_str(j, "in_if", ci->in_if);
	ph_json_ipv4(j, "laddr", ci->laddr);
	ph_json_u64(j, "lport", ci->lport);
	ph_json_u64(j, "bytes", ci->bytes);
	ph_json_str(j, "flags", ci->flags);
	ph_json_obj_end(j);
}

/* Paged: cursor[0] is the next connection number. */
static int
h_show_conn(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct testd *t = arg;
	uint64_t *cur = ph_ctl_reply_cursor(r);
	struct ph_json *j = req->json ? ph_ctl_reply_json(r) : NULL;
	struct ph_conn_info ci;
	char line[512];

	if (ph_ctl_reply_calls(r) == 0) {
		if (j != NULL) {
			ph_json_obj_begin(j, NULL);
			ph_json_u64(j, "in_use", t->n_conns);
			ph_json_u64(j, "most_used", t->n_conns);
			ph_json_arr_begin(j, "conns");
		} else {
			ph_show_count_line(t->n_conns, t->n_conns, line,
					   sizeof(line));
			ph_ctl_reply_printf(r, "%s\n", line);
		}
	}
	for (; cur[0] < t->n_conns; cur[0]++) {
		if (ph_ctl_reply_full(r)) {
			ph_ctl_reply_again(r);
			return PH_CTL_OK;
		}
		fake_conn((uint32_t)cur[0], &ci);
		if (j != NULL) {
			conn_json(j, &ci);
			continue;
		}
		ph_show_conn_line(&ci, req->detail, line, sizeof(line));
		ph_ctl_reply_printf(r, "%s\n", line);
	}
	if (j != NULL) {
		ph_json_arr_end(j);
		ph_json_obj_end(j);
	}
	return PH_CTL_OK;
}

static int
h_show_xlate(void *arg, const struct ph_ctl_request *req,
	     struct ph_ctl_reply *r)
{
	static const struct ph_xlate_info xs[] = {
		{ PH_XI_STATIC, 0, "inside", "outside", 0xac100750, 0xc8c8c80a,
		  0xffffffff, 0, 0, 0, 0, 0 },
		{ PH_XI_DYNAMIC, 0, "inside", "outside", 0x0a00000b, 0xc0a80014,
		  0xffffffff, 0, 0, 1, 0, 30 },
		{ PH_XI_PAT, 6, "inside", "outside", 0x0a00000c, 0xc0a80002,
		  0xffffffff, 1297, 1024, 1, 0, 12 },
	};
	char line[512];
	struct ph_json *j;

	(void)arg;
	if (req->json) {
		j = ph_ctl_reply_json(r);
		ph_json_obj_begin(j, NULL);
		ph_json_arr_begin(j, "xlates");
		for (size_t i = 0; i < 3; i++) {
			ph_json_obj_begin(j, NULL);
			ph_json_ipv4(j, "global", xs[i].gaddr);
			ph_json_ipv4(j, "local", xs[i].laddr);
			ph_json_obj_end(j);
		}
		ph_json_arr_end(j);
		ph_json_obj_end(j);
		return PH_CTL_OK;
	}
	ph_show_count_line(3, 5, line, sizeof(line));
	ph_ctl_reply_printf(r, "%s\n", line);
	for (size_t i = 0; i < 3; i++) {
		ph_show_xlate_line(&xs[i], req->detail, line, sizeof(line));
		ph_ctl_reply_printf(r, "%s\n", line);
	}
	return PH_CTL_OK;
}

static const char *const acls[][3] = {
	{ "outside_in",
	  "access-list outside_in; 2 elements\n"
	  "access-list outside_in line 1 permit tcp any host "
	  "209.165.201.5 eq www (hitcnt=12)\n",
	  "access-list outside_in line 2 permit icmp any any echo-reply "
	  "(hitcnt=0)\n" },
	{ "inside_out", "access-list inside_out; 1 elements\n",
	  "access-list inside_out line 1 permit ip 10.0.0.0 255.0.0.0 any "
	  "(hitcnt=7)\n" },
};

static int
h_show_acl(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	bool found = false;

	(void)arg;
	if (req->arg[0] == '\0')
		ph_ctl_reply_printf(r,
				    "access-list cached ACL log flows: "
				    "total 0, denied 0 (deny-flow-max 4096)\n"
				    "            alert-interval 300\n");
	for (size_t i = 0; i < 2; i++) {
		if (req->arg[0] && strcmp(req->arg, acls[i][0]) != 0)
			continue;
		found = true;
		ph_ctl_reply_printf(r, "%s%s", acls[i][1], acls[i][2]);
	}
	if (!found && req->arg[0])
		return ph_ctl_reply_error(r, PH_CTL_E_FAILED,
					  "ERROR: %% "
					  "access-list '%s' does not exist",
					  req->arg);
	return PH_CTL_OK;
}

static int
h_show_text(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct testd *t = arg;

	switch (req->cmd) {
	case PH_CTL_CMD_SHOW_SERVICE_POLICY_PPTP:
		ph_ctl_reply_printf(r, "Global policy:\n"
				       "  Service-policy: global_policy\n"
				       "    Class-map: inspection_default\n"
				       "      Inspect: pptp, packet 1234, drop "
				       "0, reset-drop 0\n");
		break;
	case PH_CTL_CMD_SHOW_RUNNING_CONFIG:
		ph_ctl_reply_printf(
			r, ": Saved\nnameif ethernet0 outside "
			   "security0\nnameif ethernet1 inside security100\n"
			   "hostname testd\nfixup protocol pptp 1723\n");
		break;
	case PH_CTL_CMD_SHOW_VERSION:
		ph_ctl_reply_printf(r,
				    "pinhole ctl-testd (control protocol "
				    "%d)\n",
				    PH_CTL_VERSION);
		break;
	case PH_CTL_CMD_SHOW_COUNTERS:
		if (req->json) {
			struct ph_json *j = ph_ctl_reply_json(r);

			ph_json_obj_begin(j, NULL);
			ph_json_u64(j, "clear_counters",
				    t->clears[PH_CTL_CMD_CLEAR_COUNTERS]);
			ph_json_obj_end(j);
		} else
			ph_ctl_reply_printf(
				r, "clear counters: %" PRIu64 "\n",
				t->clears[PH_CTL_CMD_CLEAR_COUNTERS]);
		break;
	default:
		return PH_CTL_E_UNSUPPORTED;
	}
	return PH_CTL_OK;
}

static int
h_clear(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct testd *t = arg;

	t->clears[req->cmd]++;
	(void)r;
	return PH_CTL_OK;
}

static int
h_reload(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	const char *f = req->arg[0] ? req->arg : "/etc/pinhole/pinhole.conf";

	(void)arg;
	if (strstr(f, "bad") == NULL) {
		ph_ctl_reply_printf(r, "Loaded %s\n", f);
		return PH_CTL_OK;
	}
	ph_ctl_reply_printf(r,
			    "%s:3:7: error: unknown interface 'dmz'\n"
			    "nat (dmz) 1 0 0\n      ^\n"
			    "%s:9:1: error: unknown command 'frobnicate'\n"
			    "frobnicate\n^\n",
			    f, f);
	return ph_ctl_reply_error(
		r, PH_CTL_E_FAILED,
		"ERROR: %% reload "
		"failed: 2 errors in %s; the running policy is unchanged",
		f);
}

static int
h_debug(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	(void)arg;
	if (req->cmd == PH_CTL_CMD_DEBUG_PPTP)
		ph_ctl_reply_printf(r, "debug pptp enabled\n");
	else
		ph_ctl_reply_printf(r, "debug pptp disabled\n");
	return PH_CTL_OK;
}

static void
register_all(struct testd *t)
{
	static const struct {
		unsigned cmd;
		ph_ctl_handler fn;
	} rows[] = {
		{ PH_CTL_CMD_SHOW_CONN, h_show_conn },
		{ PH_CTL_CMD_SHOW_XLATE, h_show_xlate },
		{ PH_CTL_CMD_SHOW_ACCESS_LIST, h_show_acl },
		{ PH_CTL_CMD_SHOW_SERVICE_POLICY_PPTP, h_show_text },
		{ PH_CTL_CMD_SHOW_RUNNING_CONFIG, h_show_text },
		{ PH_CTL_CMD_SHOW_VERSION, h_show_text },
		{ PH_CTL_CMD_SHOW_COUNTERS, h_show_text },
		{ PH_CTL_CMD_CLEAR_CONN, h_clear },
		{ PH_CTL_CMD_CLEAR_COUNTERS, h_clear },
		{ PH_CTL_CMD_RELOAD, h_reload },
		{ PH_CTL_CMD_DEBUG_PPTP, h_debug },
		{ PH_CTL_CMD_NO_DEBUG_PPTP, h_debug },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ph_control_register(t->ctl, rows[i].cmd, rows[i].fn, t);
	ph_control_register(t->ctl, PH_CTL_CMD_SHOW_LOGGING, ph_logsink_show,
			    t->sink);
	ph_control_register(t->ctl, PH_CTL_CMD_CLEAR_LOGGING, ph_logsink_clear,
			    t->sink);
}

static void
canned_events(struct ph_logsink *sink)
{
	struct ph_event ev;

	ph_event_init(&ev, PH_EV_TCP_BUILT, ph_time_from_sec(1));
	ev.conn_id = 1688438;
	ev.proto = 6;
	ev.ep[0] = (struct ph_event_ep){ "outside", 0x01020304, 0x01020304, 80,
					 80 };
	ev.ep[1] = (struct ph_event_ep){ "inside", 0x0a00000b, 0xac127cc9, 2824,
					 1024 };
	ph_logsink_emit(sink, &ev);
	ev.id = PH_EV_ACL_DENIED;
	ev.severity = 4;
	ev.acl_name = "outside_in";
	ph_logsink_emit(sink, &ev);
	ev.id = PH_EV_TCP_TEARDOWN;
	ev.severity = 7;
	ev.duration_sec = 421;
	ev.bytes = 16975;
	ev.reason = ph_teardown_text(PH_TD_TCP_FINS);
	ph_logsink_emit(sink, &ev);
	ph_logsink_flush(sink);
}

/* A policy with nothing but `logging` settings and one interface. */
static struct ph_logsink *
make_sink(unsigned long port, bool timestamp)
{
	static struct ph_iface ifs[1] = { { .name = "inside" } };
	static struct ph_policy pol;
	struct ph_logsink_opts lo = { .ident = "ctl-testd" };
	struct ph_logging *lg = &pol.logging;
	struct ph_logsink *s = ph_logsink_new(&lo);

	if (s == NULL)
		return NULL;
	pol.ifaces = ifs;
	pol.n_ifaces = 1;
	strlcpy(pol.hostname, "testd", sizeof(pol.hostname));
	*lg = (struct ph_logging){ .on = true,
				   .trap = 6,
				   .buffered = 7,
				   .console = -1,
				   .monitor = -1,
				   .history = -1,
				   .facility = 20,
				   .timestamp = timestamp,
				   .queue = 512 };
	if (port != 0) {
		lg->hosts[0] = (struct ph_loghost){ 0, 0x7f000001, 17,
						    (uint16_t)port };
		lg->hosts[1] = (struct ph_loghost){ 0, 0x7f000001, 6, 1470 };
		lg->n_hosts = 2;
	}
	if (ph_logsink_configure(s, &pol) < 0) {
		ph_logsink_free(s);
		return NULL;
	}
	canned_events(s);
	return s;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
debug_line(struct testd *t)
{
	char line[128];
	int n;

	if (!ph_control_stream_active(t->ctl, PH_CTL_STREAM_PPTP))
		return;
	n = snprintf(line, sizeof(line),
		     "PPTP: tnl %" PRIu64 ": CC I "
		     "OCRQ\nPPTP: call id 0x%04" PRIx64 "\n",
		     t->debug_seq, t->debug_seq & 0xffff);
	t->debug_seq++;
	ph_control_stream(t->ctl, PH_CTL_STREAM_PPTP, line, (size_t)n);
}

static int
loop(struct testd *t, int sfd, uint64_t debug_ms)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), cfd = ph_control_fd(t->ctl);
	struct epoll_event ev = { .events = EPOLLIN };
	uint64_t next_tick = now_ms(), next_debug = now_ms();

	ev.data.fd = cfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	for (;;) {
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, 50);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				close(ep);
				return 0;
			}
			ph_control_handle(t->ctl, evs[i].data.fd,
					  evs[i].events);
		}
		if (now_ms() >= next_debug) {
			debug_line(t);
			next_debug = now_ms() + debug_ms;
		}
		if (now_ms() >= next_tick) {
			ph_control_tick(t->ctl);
			next_tick = now_ms() + 100;
		}
	}
}

static unsigned long
num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "ctl-testd: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct ph_control_opts o = { .group = (gid_t)-1, .log = log_stderr };
	struct testd t = { .n_conns = 10 };
	unsigned long debug_ms = 100, udp_port = 0;
	bool timestamp = false;
	sigset_t mask;
	int ch, sfd, rc;

	while ((ch = getopt(argc, argv, "s:r:n:t:m:c:i:u:T")) != -1) {
		switch (ch) {
		case 's':
			o.path = optarg;
			break;
		case 'r':
			o.ro_path = optarg;
			break;
		case 'n':
			t.n_conns = (uint32_t)num(optarg, 10000000);
			break;
		case 't':
			o.timeout_ms = (uint32_t)num(optarg, 600000);
			break;
		case 'm':
			o.max_out = num(optarg, 1ul << 30);
			break;
		case 'c':
			o.max_clients = (uint32_t)num(optarg, 1024);
			break;
		case 'i':
			debug_ms = num(optarg, 60000);
			break;
		case 'u':
			udp_port = num(optarg, 65535);
			break;
		case 'T':
			timestamp = true;
			break;
		default:
			fprintf(stderr,
				"usage: pinhole-ctl-testd -s FULL -r RO "
				"[-n CONNS] [-t MS] [-m BYTES] [-c N] [-i MS] "
				"[-u PORT] [-T]\n");
			return 2;
		}
	}
	if (o.path == NULL || o.ro_path == NULL) {
		fprintf(stderr, "ctl-testd: -s and -r are required\n");
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	t.ctl = ph_control_new(&o);
	if (t.ctl == NULL) {
		fprintf(stderr, "ctl-testd: control sockets: %s\n",
			strerror(errno));
		return 1;
	}
	t.sink = make_sink(udp_port, timestamp);
	if (t.sink == NULL) {
		fprintf(stderr, "ctl-testd: log sinks: %s\n", strerror(errno));
		return 1;
	}
	register_all(&t);
	fprintf(stderr, "testd: ready\n");
	rc = loop(&t, sfd, debug_ms);
	ph_control_free(t.ctl);
	ph_logsink_free(t.sink);
	return rc;
}
