/*
 * main.c - pinhole-fakeppp: a stand-in for pppd that lets the real Debian
 * PPTP peers (pptpd/pptpctrl and pptp-linux) run where the kernel has no
 * PPP support. See docs/e2e.md for how the end-to-end harness uses it.
 *
 * Server side: pptpd.conf's "ppp" option names (a wrapper of) this program.
 * pptpctrl runs it with the pty slave on stdin and stdout and pppd-style
 * arguments ("local file F 115200 ipparam A ifname pcapN remotenumber A"),
 * which are logged and otherwise ignored.
 * Client side: --exec runs "pptp SERVER --nolaunchpppd ..." with a new pty
 * slave as its stdin/stdout (pptp reads and writes PPP frames on fd 0).
 *
 * Either way the program frames PPP in async HDLC (RFC 1662 section 4),
 * sends LCP Configure-Requests until acked, acks the peer's, exchanges
 * Echo-Requests once LCP is up (RFC 1661 section 5), and writes one line
 * per frame sent or received to its frame log. pptpctrl forwards nothing
 * over GRE before the PPP side writes, so we always speak first.
 *
 * Exit status: 0 LCP came up (both Configure-Requests acked) at some
 * point; 1 usage or system error; 2 --timeout expired before LCP came up;
 * 3 the pty closed, the --exec child exited or a signal arrived before
 * LCP came up.
 *
 * Limits: LCP only (no authentication, no IPCP, no network interface);
 * frames are not dropped on ACCM; synchronous HDLC is not supported.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fakeppp.h"

#define FP_EXIT_UP	0
#define FP_EXIT_ERROR	1
#define FP_EXIT_TIMEOUT 2
#define FP_EXIT_CLOSED	3

#define FP_TERM_WAIT_MS 300 /* wait for Terminate-Ack before exiting */

struct fp_opts {
	const char *role;
	const char *log_path;
	const char *log_dir;
	long timeout_ms;
	long hold_ms;
	long echo_ms;
	long retry_ms;
	long grace_ms;
	uint32_t magic;
	int magic_set;
	int fd;
	int exec;
	char **args; /* --exec: the command; else pppd-style arguments */
	int nargs;
};

struct fp_ctx {
	const struct fp_opts *o;
	FILE *log;
	int fd;
	int sigfd;
	pid_t child;
	int child_status;
	long t0;
	long opened_at;
	long next_confreq;
	long next_echo;
	const char *reason;
	int done;
	unsigned long tx_frames, rx_frames, bad_frames, tx_dropped;
	struct fp_hdlc_rx rx;
	struct fp_lcp lcp;
};

static long
fp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fp_log(struct fp_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One frame-log line: seconds since start, role, then the message. */
static void
fp_log(struct fp_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	long t = fp_now_ms() - ctx->t0;

	fprintf(ctx->log, "%ld.%03ld %s ", t / 1000, t % 1000, ctx->o->role);
	va_start(ap, fmt);
	vfprintf(ctx->log, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->log);
	fflush(ctx->log);
}

static void
fp_usage(FILE *f)
{
	fprintf(f,
		"usage: pinhole-fakeppp [options] [pppd arguments...]\n"
		"       pinhole-fakeppp [options] --exec -- COMMAND [ARGS...]\n"
		"\n"
		"A fake pppd for PPTP tests: async HDLC framing and LCP on a "
		"pty,\n"
		"one frame-log line per frame sent or received.\n"
		"\n"
		"  -r, --role NAME      label in log lines and log file name "
		"(default ppp)\n"
		"  -l, --log FILE       append the frame log to FILE "
		"(default stderr)\n"
		"  -L, --log-dir DIR    write the frame log to "
		"DIR/NAME-PID.log\n"
		"  -t, --timeout SEC    hard limit on the run time (default "
		"30)\n"
		"  -H, --hold SEC       exit SEC seconds after LCP is up "
		"(default 0:\n"
		"                       stay until the pty closes, a signal or "
		"--timeout)\n"
		"  -e, --echo SEC       LCP Echo-Request interval once up, 0 = "
		"none (default 1)\n"
		"  -R, --retry SEC      Configure-Request restart timer "
		"(default 1)\n"
		"  -m, --magic HEX      LCP magic number (default random)\n"
		"  -f, --fd N           pty file descriptor to use without "
		"--exec (default 0)\n"
		"  -g, --grace SEC      --exec: after closing the pty, wait "
		"this "
		"long for the\n"
		"                       command and its children to exit, "
		"then kill them (default 5)\n"
		"  -x, --exec           run the command after -- on a new pty "
		"(its stdin/stdout)\n"
		"  -h, --help           this text\n"
		"\n"
		"pppd-style arguments (as pptpctrl passes them) are logged and "
		"ignored.\n"
		"SIGTERM, SIGINT, SIGHUP: send LCP Terminate-Request and "
		"exit.\n"
		"Exit status: 0 LCP came up; 1 usage or system error; 2 "
		"timeout "
		"before LCP\n"
		"came up; 3 pty closed, command exited or signal before LCP "
		"came up.\n");
}

/* Parse a non-negative number of seconds (fractions allowed) into ms. */
static int
fp_parse_secs(const char *s, long *ms)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 ||
	    v > 86400)
		return -1;
	*ms = lround(v * 1000.0);
	return 0;
}

static int
fp_parse_ulong(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static const struct option fp_longopts[] = {
	{ "role", required_argument, NULL, 'r' },
	{ "log", required_argument, NULL, 'l' },
	{ "log-dir", required_argument, NULL, 'L' },
	{ "timeout", required_argument, NULL, 't' },
	{ "hold", required_argument, NULL, 'H' },
	{ "echo", required_argument, NULL, 'e' },
	{ "retry", required_argument, NULL, 'R' },
	{ "magic", required_argument, NULL, 'm' },
	{ "fd", required_argument, NULL, 'f' },
	{ "grace", required_argument, NULL, 'g' },
	{ "exec", no_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Handle one option; returns 0, or -1 on a bad value. */
static int
fp_opt_one(struct fp_opts *o, int ch, const char *arg)
{
	unsigned long v;

	switch (ch) {
	case 'r':
		o->role = arg;
		return 0;
	case 'l':
		o->log_path = arg;
		return 0;
	case 'L':
		o->log_dir = arg;
		return 0;
	case 't':
		return fp_parse_secs(arg, &o->timeout_ms);
	case 'H':
		return fp_parse_secs(arg, &o->hold_ms);
	case 'e':
		return fp_parse_secs(arg, &o->echo_ms);
	case 'R':
		return fp_parse_secs(arg, &o->retry_ms);
	case 'g':
		return fp_parse_secs(arg, &o->grace_ms);
	case 'm':
		if (fp_parse_ulong(arg, 16, 0xffffffffUL, &v) != 0)
			return -1;
		o->magic = (uint32_t)v;
		o->magic_set = 1;
		return 0;
	case 'f':
		if (fp_parse_ulong(arg, 10, 1024, &v) != 0)
			return -1;
		o->fd = (int)v;
		return 0;
	case 'x':
		o->exec = 1;
		return 0;
	default:
		return -1;
	}
}

/* Returns 0 to run, 1 to exit 0 (help), -1 on a usage error. */
static int
fp_opts_parse(struct fp_opts *o, int argc, char **argv)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->role = "ppp";
	o->timeout_ms = 30000;
	o->echo_ms = 1000;
	o->retry_ms = 1000;
	o->grace_ms = 5000;
	while ((ch = getopt_long(argc, argv, "+r:l:L:t:H:e:R:m:f:g:xh",
				 fp_longopts, NULL)) != -1) {
		if (ch == 'h')
			return 1;
		if (fp_opt_one(o, ch, optarg) != 0) {
			fprintf(stderr, "pinhole-fakeppp: bad option -%c %s\n",
				ch, optarg ? optarg : "");
			return -1;
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->exec && o->nargs == 0) {
		fprintf(stderr, "pinhole-fakeppp: --exec needs a command\n");
		return -1;
	}
	if (o->retry_ms < 10 || o->timeout_ms == 0 ||
	    strchr(o->role, '/') != NULL) {
		fprintf(stderr, "pinhole-fakeppp: bad --retry, --timeout or "
				"--role\n");
		return -1;
	}
	return 0;
}

static FILE *
fp_log_open(const struct fp_opts *o)
{
	char path[4096];
	FILE *f;
	int n;

	if (o->log_dir != NULL) {
		n = snprintf(path, sizeof(path), "%s/%s-%ld.log", o->log_dir,
			     o->role, (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(path))
			return NULL;
		f = fopen(path, "a");
	} else if (o->log_path != NULL) {
		f = fopen(o->log_path, "a");
	} else {
		f = fdopen(dup(STDERR_FILENO), "a");
	}
	if (f != NULL)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* Raw mode on a tty, as pppd sets it; no-op on other descriptors. */
static int
fp_tty_raw(int fd)
{
	struct termios tio;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &tio) != 0)
		return -1;
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	return tcsetattr(fd, TCSANOW, &tio);
}

static int
fp_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Child side of --exec: the pty slave becomes stdin and stdout. */
static void
fp_exec_child(int slave, char **argv)
{
	sigset_t none;

	/* the blocked mask survives exec: give the command a clean one */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	if (dup2(slave, STDIN_FILENO) < 0 || dup2(slave, STDOUT_FILENO) < 0)
		_exit(127);
	if (slave > STDERR_FILENO)
		close(slave);
	execvp(argv[0], argv);
	fprintf(stderr, "pinhole-fakeppp: exec %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* Open a pty pair, start the command on the slave; returns the master. */
static int
fp_exec_start(struct fp_ctx *ctx, char **argv)
{
	char name[128];
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0)
		return -1;
	slave = open(name, O_RDWR | O_NOCTTY);
	if (slave < 0 || fp_tty_raw(slave) != 0)
		return -1;
	/* orphans (pptp's call manager) come back to us for reaping */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	ctx->child = fork();
	if (ctx->child < 0)
		return -1;
	if (ctx->child == 0)
		fp_exec_child(slave, argv);
	close(slave);
	fp_log(ctx, "exec pid=%ld pty=%s cmd=%s", (long)ctx->child, name,
	       argv[0]);
	return master;
}

static int
fp_signals_open(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Frame, log and write one PPP frame; a full pty drops it (logged). */
static void
fp_send(struct fp_ctx *ctx, const uint8_t *frame, size_t len)
{
	uint8_t wire[FP_WIRE_MAX];
	char desc[256];
	size_t n;
	ssize_t w;

	if (len == 0)
		return;
	fp_ppp_describe(frame, len, desc, sizeof(desc));
	n = fp_hdlc_encode(frame, len, wire, sizeof(wire));
	if (n == 0)
		return;
	w = write(ctx->fd, wire, n);
	if (w == (ssize_t)n) {
		ctx->tx_frames++;
		fp_log(ctx, "tx %s", desc);
		return;
	}
	ctx->tx_dropped++;
	fp_log(ctx, "tx-dropped %s (%s)", desc,
	       w < 0 ? strerror(errno) : "short write");
}

static void
fp_check_up(struct fp_ctx *ctx)
{
	if (ctx->lcp.opened && ctx->opened_at < 0) {
		ctx->opened_at = fp_now_ms();
		ctx->next_echo = ctx->opened_at;
		fp_log(ctx, "event lcp-up local-magic=0x%08x peer-magic=0x%08x",
		       ctx->lcp.local_magic, ctx->lcp.peer_magic);
	}
}

/* Decoder callback: log the frame, let LCP answer it. */
static void
fp_on_frame(void *arg, const uint8_t *frame, size_t len, int fcs_ok)
{
	struct fp_ctx *ctx = arg;
	uint8_t out[FP_FRAME_MAX];
	const uint8_t *info;
	char desc[256];
	size_t ilen, n = 0;
	uint16_t proto;

	if (!fcs_ok || len == 0) {
		ctx->bad_frames++;
		fp_log(ctx, "rx bad-frame len=%zu fcs=%s", len,
		       fcs_ok ? "ok" : "bad");
		return;
	}
	ctx->rx_frames++;
	fp_ppp_describe(frame, len, desc, sizeof(desc));
	fp_log(ctx, "rx %s", desc);
	if (fp_ppp_split(frame, len, &proto, &info, &ilen) != 0)
		return;
	if (proto == FP_PROTO_LCP)
		n = fp_lcp_input(&ctx->lcp, info, ilen, out, sizeof(out));
	else if (ctx->lcp.opened)
		n = fp_lcp_protrej(&ctx->lcp, proto, info, ilen, out,
				   sizeof(out));
	fp_send(ctx, out, n);
	fp_check_up(ctx);
}

/* Read what the pty has; sets ctx->done on end of file. */
static void
fp_read_pty(struct fp_ctx *ctx)
{
	uint8_t buf[4096];
	ssize_t n;

	n = read(ctx->fd, buf, sizeof(buf));
	if (n > 0) {
		fp_hdlc_feed(&ctx->rx, buf, (size_t)n, fp_on_frame, ctx);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	ctx->reason = n == 0 || errno == EIO ? "pty-closed" : "pty-error";
	ctx->done = 1;
}

/* Reap children; note when the --exec command itself has exited. */
static void
fp_reap(struct fp_ctx *ctx)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != ctx->child)
			continue;
		ctx->child_status = st;
		ctx->child = 0;
		fp_log(ctx, "event child-exit %s=%d",
		       WIFEXITED(st) ? "status" : "signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

static void
fp_read_signals(struct fp_ctx *ctx)
{
	struct signalfd_siginfo si;

	while (read(ctx->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			fp_reap(ctx);
			continue;
		}
		if (si.ssi_signo == SIGPIPE)
			continue;
		fp_log(ctx, "event signal %u", si.ssi_signo);
		ctx->reason = "signal";
		ctx->done = 1;
	}
}

/* Timers: hard timeout, hold time, Configure-Request, Echo-Request. */
static long
fp_timers(struct fp_ctx *ctx, long now)
{
	const struct fp_opts *o = ctx->o;
	uint8_t out[FP_FRAME_MAX];
	long wait = ctx->t0 + o->timeout_ms - now;

	if (wait <= 0) {
		ctx->reason = "timeout";
		ctx->done = 1;
		return 0;
	}
	if (ctx->opened_at >= 0 && o->hold_ms > 0) {
		if (now >= ctx->opened_at + o->hold_ms) {
			ctx->reason = "hold-done";
			ctx->done = 1;
			return 0;
		}
		if (ctx->opened_at + o->hold_ms - now < wait)
			wait = ctx->opened_at + o->hold_ms - now;
	}
	if (ctx->lcp.term_rx)
		return wait;
	if (!ctx->lcp.our_acked) {
		if (now >= ctx->next_confreq) {
			fp_send(ctx, out,
				fp_lcp_confreq(&ctx->lcp, out, sizeof(out)));
			ctx->next_confreq = now + o->retry_ms;
		}
		if (ctx->next_confreq - now < wait)
			wait = ctx->next_confreq - now;
	}
	if (ctx->opened_at >= 0 && o->echo_ms > 0) {
		if (now >= ctx->next_echo) {
			fp_send(ctx, out,
				fp_lcp_echoreq(&ctx->lcp, out, sizeof(out)));
			ctx->next_echo = now + o->echo_ms;
		}
		if (ctx->next_echo - now < wait)
			wait = ctx->next_echo - now;
	}
	return wait;
}

static void
fp_loop(struct fp_ctx *ctx)
{
	struct pollfd pfd[2];
	long wait;

	while (!ctx->done) {
		wait = fp_timers(ctx, fp_now_ms());
		if (ctx->done)
			break;
		pfd[0].fd = ctx->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = ctx->sigfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)wait) < 0 && errno != EINTR) {
			ctx->reason = "poll-error";
			break;
		}
		if (pfd[1].revents & POLLIN)
			fp_read_signals(ctx);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			fp_read_pty(ctx);
		if (ctx->o->exec && ctx->child == 0 && !ctx->done) {
			ctx->reason = "child-exit";
			ctx->done = 1;
		}
	}
}

/* Leaving with the pty still open: say goodbye the LCP way. */
static void
fp_terminate(struct fp_ctx *ctx)
{
	uint8_t out[FP_FRAME_MAX];
	struct pollfd pfd;
	long end;

	fp_send(ctx, out, fp_lcp_termreq(&ctx->lcp, out, sizeof(out)));
	end = fp_now_ms() + FP_TERM_WAIT_MS;
	while (!ctx->lcp.term_ack_rx && !ctx->lcp.term_rx) {
		long left = end - fp_now_ms();

		if (left <= 0)
			break;
		pfd.fd = ctx->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		if (pfd.revents & POLLIN) {
			const char *reason = ctx->reason;

			fp_read_pty(ctx);
			if (ctx->reason != reason)
				break; /* pty closed under us */
		} else {
			break;
		}
	}
}

/* --exec: after closing the pty, wait out the command and its children. */
static void
fp_wait_children(struct fp_ctx *ctx, pid_t pgid)
{
	long end = fp_now_ms() + ctx->o->grace_ms;
	struct timespec nap = { 0, 50 * 1000 * 1000 };

	for (;;) {
		fp_reap(ctx);
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		if (fp_now_ms() >= end)
			break;
		nanosleep(&nap, NULL);
	}
	fp_log(ctx, "event grace-expired killing pgid=%ld", (long)pgid);
	kill(-pgid, SIGKILL);
	if (ctx->child > 0)
		kill(ctx->child, SIGKILL);
	/* bounded: a descendant outside the group is left to the caller */
	end = fp_now_ms() + 1000;
	while (fp_now_ms() < end) {
		fp_reap(ctx);
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		nanosleep(&nap, NULL);
	}
}

static void
fp_log_start(struct fp_ctx *ctx)
{
	char args[1024] = "";
	size_t n;
	int i;

	for (i = 0; i < ctx->o->nargs; i++) {
		n = strlen(args);
		snprintf(args + n, sizeof(args) - n, "%s%s", i ? " " : "",
			 ctx->o->args[i]);
	}
	fp_log(ctx, "start pid=%ld magic=0x%08x %s=\"%s\"", (long)getpid(),
	       ctx->lcp.local_magic, ctx->o->exec ? "exec" : "pppd-args", args);
}

static int
fp_status(const struct fp_ctx *ctx)
{
	if (ctx->opened_at >= 0)
		return FP_EXIT_UP;
	if (ctx->reason != NULL && strcmp(ctx->reason, "timeout") == 0)
		return FP_EXIT_TIMEOUT;
	return FP_EXIT_CLOSED;
}

static int
fp_setup(struct fp_ctx *ctx, const struct fp_opts *o)
{
	uint32_t magic = o->magic;

	if (!o->magic_set &&
	    getrandom(&magic, sizeof(magic), 0) != (ssize_t)sizeof(magic))
		magic = (uint32_t)getpid() * 2654435761u;
	memset(ctx, 0, sizeof(*ctx));
	ctx->o = o;
	ctx->t0 = fp_now_ms();
	ctx->opened_at = -1;
	ctx->next_confreq = ctx->t0;
	ctx->fd = -1;
	fp_lcp_init(&ctx->lcp, magic);
	ctx->log = fp_log_open(o);
	if (ctx->log == NULL) {
		fprintf(stderr, "pinhole-fakeppp: cannot open log: %s\n",
			strerror(errno));
		return -1;
	}
	ctx->sigfd = fp_signals_open();
	if (ctx->sigfd < 0)
		return -1;
	fp_log_start(ctx);
	ctx->fd = o->exec ? fp_exec_start(ctx, o->args) : o->fd;
	if (ctx->fd < 0 || (!o->exec && fp_tty_raw(ctx->fd) != 0) ||
	    fp_nonblock(ctx->fd) != 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct fp_opts o;
	struct fp_ctx ctx;
	pid_t pgid;
	int rc, status;

	rc = fp_opts_parse(&o, argc, argv);
	if (rc != 0) {
		fp_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : FP_EXIT_ERROR;
	}
	if (fp_setup(&ctx, &o) != 0) {
		if (ctx.log != NULL)
			fp_log(&ctx, "exit status=1 reason=setup-error (%s)",
			       strerror(errno));
		return FP_EXIT_ERROR;
	}
	pgid = ctx.child;
	fp_loop(&ctx);
	if (ctx.reason != NULL && strcmp(ctx.reason, "pty-closed") != 0 &&
	    strcmp(ctx.reason, "child-exit") != 0)
		fp_terminate(&ctx);
	status = fp_status(&ctx);
	if (o.exec) {
		close(ctx.fd);
		fp_wait_children(&ctx, pgid);
	}
	fp_log(&ctx,
	       "exit status=%d reason=%s lcp-up=%d tx=%lu rx=%lu "
	       "bad=%lu dropped=%lu echo-tx=%lu echo-rx=%lu "
	       "echo-answered=%lu",
	       status, ctx.reason ? ctx.reason : "?", ctx.opened_at >= 0,
	       ctx.tx_frames, ctx.rx_frames, ctx.bad_frames, ctx.tx_dropped,
	       ctx.lcp.echo_tx, ctx.lcp.echo_rx, ctx.lcp.echo_answered);
	return status;
}
