/*
 * daemon/main.c - pinholed entry point: option parsing.
 *
 * Options live in one table (opts[]): the short letter (or a value past
 * 255 for a long-only option), the long name, the argument's name and the
 * help text.  getopt_long's strings and the --help text are built from
 * it, so adding a daemon flag is one table row plus its case in
 * apply_opt().
 *
 * Two modes: the checker (-t [-p]: daemon/check.c) and the daemon
 * (daemon/daemon.c), which filters every packet of the interfaces the
 * rule file names.  Flags are validated here, before anything touches the
 * system: a bad flag is exit status 2 with a clear message.
 *
 * Exit status: 0 success, 1 the rule file does not load or the daemon
 * could not start (or failed), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include <pinhole/policy.h>

#include "core/ctlproto.h"
#include "daemon/check.h"
#include "daemon/daemon.h"

#define PH_DEFAULT_RULES "/etc/pinhole/pinhole.conf"
#define MAX_IFMAP	 PH_DAEMON_MAX_IFMAP
#ifndef PH_VERSION_STRING
#define PH_VERSION_STRING "0.1.0"
#endif

/* Long-only options: values past any letter. */
enum {
	OPT_FAIL_OPEN = 256,
	OPT_CONN_COUNT,
	OPT_QUEUES,
	OPT_SHED,
	OPT_SHED_HOOK,
};

struct opt {
	int letter;
	const char *name;
	const char *arg; /* NULL: no argument */
	const char *help;
};

static const struct opt opts[] = {
	{ 't', "test", NULL,
	  "Check the rule file and exit: status 0 if it would load, 1 if\n"
	  "not.  Errors, warnings and notes (lines that have no effect on\n"
	  "this platform) are printed on stderr as FILE:LINE:COL: ..." },
	{ 'p', "print", NULL,
	  "With -t, also print the canonical configuration on stdout\n"
	  "(the form `show running-config` prints)." },
	{ 'f', "file", "FILE",
	  "The rule file (default " PH_DEFAULT_RULES "); - reads stdin\n"
	  "(with -t only)." },
	{ 'i', "interface", "HWID=IFNAME",
	  "Map a PIX hardware id to a Linux interface, e.g.\n"
	  "-i ethernet0=eth1.  Repeatable.  Without a mapping, a hardware\n"
	  "id is taken as the Linux interface name itself." },
	{ 'd', "debug", NULL,
	  "Stay in the foreground and copy every log line (PIX messages at\n"
	  "all levels and the daemon's own) to stderr." },
	{ 'F', "foreground", NULL,
	  "Stay in the foreground (for systemd: Type=notify); log to\n"
	  "syslog only." },
	{ 'q', "queue", "N", "NFQUEUE number to use (0-65535, default 0)." },
	{ OPT_QUEUES, "queues", "N",
	  "Use N queues, --queue Q to Q+N-1 (1-64, default 1), one thread\n"
	  "each; the kernel spreads packets over them by CPU.  The\n"
	  "connection tables are shared: engine work is serialised." },
	{ OPT_SHED, "shed", "auto|off|PPS",
	  "Overload shedding: drop in the kernel, before the queue, what\n"
	  "the daemon cannot verdict, so that it keeps delivering under\n"
	  "overload instead of collapsing (receive livelock; the drop is\n"
	  "held by a BPF program while it lasts: --shed-hook).\n"
	  "auto (default): a `limit rate over` rule in front of the queue\n"
	  "rules, at 10000000 pps until the kernel drops at the queue, then\n"
	  "set every 250 ms from the queue's counters (90% of the measured\n"
	  "capacity, +10% per clean interval; back to 10000000 after 2 s\n"
	  "with nothing shed).  PPS: a fixed limit of PPS packets/s\n"
	  "(1-100000000).  off: no rule.  Shed packets are counted (`show\n"
	  "counters`) and not logged one by one.  The nft rule treats all\n"
	  "flows alike; the BPF program (--shed-hook) favours flows the\n"
	  "daemon accepted before: new ones get half of the limit." },
	{ OPT_SHED_HOOK, "shed-hook", "auto|xdp|xdpgeneric|tc|nft",
	  "Where the shedding limit drops.  A BPF program on each managed\n"
	  "interface drops before the kernel's IP receive path, at a\n"
	  "fraction of the nft rule's cost per packet: xdp (in the driver;\n"
	  "on veth, on the sending CPU), xdpgeneric (XDP on the skb, any\n"
	  "device), tc (tcx ingress, Linux 6.6+).  nft: only the rule in\n"
	  "pinholed's table.  auto (default): xdp, else tc, else nft,\n"
	  "logged at start.  An interface that already has an XDP program\n"
	  "is never touched (the next hook is tried).  The nft rule stays\n"
	  "in the table, idle, and takes over if an interface re-created\n"
	  "later cannot get the program." },
	{ OPT_FAIL_OPEN, "fail-open", NULL,
	  "Let the kernel accept packets when the queue is full or the\n"
	  "daemon is gone, instead of dropping them (default: fail-closed)." },
	{ 'c', "control", "PATH",
	  "Full control socket (default " PH_CTL_SOCK_PATH ",\n"
	  "mode 0660)." },
	{ 'r', "control-ro", "PATH",
	  "Read-only control socket, `show` commands only "
	  "(default\n" PH_CTL_SOCK_RO_PATH
	  ", mode 0666); `none` disables it." },
	{ 'g', "group", "GROUP",
	  "Group owning the full control socket (default: root's)." },
	{ 'u', "user", "USER",
	  "After set-up, switch to USER (and its group), keeping only\n"
	  "CAP_NET_ADMIN (and CAP_BPF for --shed-hook before Linux 6.5).\n"
	  "Without it the daemon stays uid 0 with only those." },
	{ 'P', "pidfile", "FILE", "Write the daemon's pid to FILE." },
	{ OPT_CONN_COUNT, "conn-count", "SECONDS",
	  "Log the connection count (302010) every SECONDS (default 0:\n"
	  "never)." },
	{ 'h', "help", NULL, "Print this help and exit." },
	{ 'V', "version", NULL, "Print the version and exit." },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

struct config {
	bool test, print;
	const char *file;
	const char *group;
	struct ph_daemon_cfg d;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: pinholed [-f FILE] [-i HWID=IFNAME]... [-d | -F] "
		   "[-q N] [--queues N]\n"
		   "                [--shed auto|off|PPS] [--shed-hook HOOK] "
		   "[--fail-open]\n"
		   "                [-c PATH] [-r PATH]"
		   "\n"
		   "                [-g GROUP] [-u USER] [-P FILE]\n"
		   "       pinholed -t [-p] [-f FILE] [-i HWID=IFNAME]...\n"
		   "       pinholed -h | -V\n\n"
		   "pinholed is the pinhole firewall daemon.  It loads Cisco "
		   "PIX-style\nrules (see pinhole.conf(5)), takes every packet "
		   "arriving on the\ninterfaces they name through NFQUEUE, and "
		   "logs PIX syslog messages.\nControl it with pinholectl(8); "
		   "SIGHUP reloads the rule file.\n\noptions:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const char *h = opts[i].help;

		if (opts[i].letter < 256)
			fprintf(f, "  -%c, --%s%s%s\n", opts[i].letter,
				opts[i].name, opts[i].arg ? " " : "",
				opts[i].arg ? opts[i].arg : "");
		else
			fprintf(f, "      --%s%s%s\n", opts[i].name,
				opts[i].arg ? " " : "",
				opts[i].arg ? opts[i].arg : "");
		while (*h) {
			const char *nl = strchr(h, '\n');
			size_t n = nl ? (size_t)(nl - h) : strlen(h);

			fprintf(f, "        %.*s\n", (int)n, h);
			h += n + (nl != NULL);
		}
	}
	fprintf(f, "\nexit status: 0 ok, 1 the rule file does not load or "
		   "the daemon failed,\n2 usage error.\n");
}

static int
add_ifmap(struct config *c, char *arg)
{
	char *eq = strchr(arg, '=');
	size_t n;

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "pinholed: -i %s: expected HWID=IFNAME\n", arg);
		return -1;
	}
	n = strlen(eq + 1);
	if (n > 15 || strpbrk(eq + 1, "/: \t") != NULL) {
		fprintf(stderr,
			"pinholed: -i %s: '%s' is not a valid Linux "
			"interface name\n",
			arg, eq + 1);
		return -1;
	}
	if (c->d.n_map >= MAX_IFMAP) {
		fprintf(stderr, "pinholed: too many -i options (limit %d)\n",
			MAX_IFMAP);
		return -1;
	}
	*eq = '\0';
	c->d.map[c->d.n_map].hwid = arg;
	c->d.map[c->d.n_map].linux_name = eq + 1;
	c->d.n_map++;
	return 0;
}

/* Checked unsigned number in [0, max]. */
static int
parse_num(const char *opt, const char *arg, unsigned long max,
	  unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || errno != 0 || *end != '\0' ||
	    v > max) {
		fprintf(stderr,
			"pinholed: %s %s: expected a number from 0 to %lu\n",
			opt, arg, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A control socket path: absolute, fits sun_path. */
static int
check_sock_path(const char *opt, const char *path)
{
	struct sockaddr_un sun;

	if (path[0] != '/') {
		fprintf(stderr, "pinholed: %s %s: the path must be absolute\n",
			opt, path);
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr,
			"pinholed: %s: path too long (limit %zu bytes)\n", opt,
			sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

static int
apply_num_opt(struct config *c, int letter, char *arg)
{
	unsigned long v;

	if (letter == 'q') {
		if (parse_num("--queue", arg, 65535, &v) < 0)
			return -1;
		c->d.queue = (uint16_t)v;
		return 0;
	}
	if (letter == OPT_QUEUES) {
		if (parse_num("--queues", arg, 65535, &v) < 0)
			return -1;
		if (v == 0 || v > PH_DAEMON_QUEUES_MAX) {
			fprintf(stderr,
				"pinholed: --queues %s: expected a number "
				"from 1 to %d\n",
				arg, PH_DAEMON_QUEUES_MAX);
			return -1;
		}
		c->d.n_queues = (uint16_t)v;
		return 0;
	}
	if (parse_num("--conn-count", arg, 86400, &v) < 0)
		return -1;
	c->d.conn_count_sec = (uint32_t)v;
	return 0;
}

/* Returns -1 on a usage error, 1 to exit 0 now, 0 to go on. */
static int
apply_opt(struct config *c, int letter, char *arg)
{
	switch (letter) {
	case 't':
		c->test = true;
		return 0;
	case 'p':
		c->print = true;
		return 0;
	case 'f':
		c->file = arg;
		return 0;
	case 'i':
		return add_ifmap(c, arg);
	case 'd':
		c->d.debug = true;
		c->d.foreground = true;
		return 0;
	case 'F':
		c->d.foreground = true;
		return 0;
	case 'q':
	case OPT_QUEUES:
	case OPT_CONN_COUNT:
		return apply_num_opt(c, letter, arg);
	case OPT_FAIL_OPEN:
		c->d.fail_open = true;
		return 0;
	case OPT_SHED:
		if (pd_shed_parse(arg, &c->d.shed_mode, &c->d.shed_rate) < 0) {
			fprintf(stderr,
				"pinholed: --shed %s: expected auto, off or "
				"packets/s (1-100000000)\n",
				arg);
			return -1;
		}
		return 0;
	case OPT_SHED_HOOK:
		if (pd_shed_parse_hook(arg, &c->d.shed_hook) < 0) {
			fprintf(stderr,
				"pinholed: --shed-hook %s: expected auto, xdp, "
				"xdpgeneric, tc or nft\n",
				arg);
			return -1;
		}
		return 0;
	case 'c':
		c->d.ctl_path = arg;
		return check_sock_path("--control", arg);
	case 'r':
		if (strcmp(arg, "none") == 0) {
			c->d.ctl_ro_path = "";
			return 0;
		}
		c->d.ctl_ro_path = arg;
		return check_sock_path("--control-ro", arg);
	case 'g':
		c->group = arg;
		return 0;
	case 'u':
		c->d.user = arg;
		return 0;
	case 'P':
		c->d.pidfile = arg;
		return 0;
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("pinholed %s\n", PH_VERSION_STRING);
		return 1;
	}
	return -1;
}

static void
report_getopt_error(int ch, char **argv)
{
	if (ch == ':')
		fprintf(stderr, "pinholed: option '%s' needs an argument\n",
			argv[optind - 1]);
	else if (optopt > 0 && optopt < 256)
		fprintf(stderr, "pinholed: unknown option '-%c'\n", optopt);
	else
		fprintf(stderr, "pinholed: unknown option '%s'\n",
			argv[optind - 1]);
}

static int
parse_args(struct config *c, int argc, char **argv)
{
	struct option lopts[N_OPTS + 1];
	char sopts[2 * N_OPTS + 2];
	size_t k = 0;
	int ch, rc;

	sopts[k++] = ':';
	for (size_t i = 0; i < N_OPTS; i++) {
		lopts[i].name = opts[i].name;
		lopts[i].has_arg =
			opts[i].arg ? required_argument : no_argument;
		lopts[i].flag = NULL;
		lopts[i].val = opts[i].letter;
		if (opts[i].letter >= 256)
			continue;
		sopts[k++] = (char)opts[i].letter;
		if (opts[i].arg)
			sopts[k++] = ':';
	}
	sopts[k] = '\0';
	memset(&lopts[N_OPTS], 0, sizeof(lopts[N_OPTS]));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			report_getopt_error(ch, argv);
			return -1;
		}
		rc = apply_opt(c, ch, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "pinholed: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/* --user and --group name existing accounts. */
static int
resolve_ids(struct config *c)
{
	c->d.ctl_gid = (gid_t)-1;
	if (c->d.user != NULL) {
		struct passwd *pw = getpwnam(c->d.user);

		if (pw == NULL) {
			fprintf(stderr, "pinholed: --user %s: no such user\n",
				c->d.user);
			return -1;
		}
		c->d.uid = pw->pw_uid;
		c->d.gid = pw->pw_gid;
	}
	if (c->group != NULL) {
		struct group *gr = getgrnam(c->group);

		if (gr == NULL) {
			fprintf(stderr, "pinholed: --group %s: no such group\n",
				c->group);
			return -1;
		}
		c->d.ctl_gid = gr->gr_gid;
	}
	return 0;
}

/* Flags that only make sense together, checked after parsing. */
static int
check_combination(struct config *c)
{
	if (c->print && !c->test) {
		fprintf(stderr, "pinholed: -p needs -t\n");
		return -1;
	}
	if (c->test)
		return 0;
	if (strcmp(c->file, "-") == 0) {
		fprintf(stderr, "pinholed: -f -: the daemon needs a file it "
				"can read again on reload\n");
		return -1;
	}
	if (c->d.n_queues > 1 &&
	    (unsigned)c->d.queue + c->d.n_queues - 1 > 65535) {
		fprintf(stderr,
			"pinholed: --queue %u --queues %u: the last queue "
			"would be %u (limit 65535)\n",
			c->d.queue, c->d.n_queues,
			(unsigned)c->d.queue + c->d.n_queues - 1);
		return -1;
	}
	if (c->d.ctl_ro_path != NULL && c->d.ctl_ro_path[0] != '\0' &&
	    strcmp(c->d.ctl_ro_path,
		   c->d.ctl_path ? c->d.ctl_path : PH_CTL_SOCK_PATH) == 0) {
		fprintf(stderr, "pinholed: the full and the read-only control "
				"sockets need different paths\n");
		return -1;
	}
	return resolve_ids(c);
}

int
main(int argc, char **argv)
{
	struct config c = { .file = PH_DEFAULT_RULES };
	int rc = parse_args(&c, argc, argv);

	if (rc == 0)
		rc = check_combination(&c);
	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "Try 'pinholed --help' for more "
				"information.\n");
		return 2;
	}
	if (c.test)
		return ph_check_file(c.file, c.d.map, c.d.n_map, c.print);
	c.d.file = c.file;
	return ph_daemon_run(&c.d);
}
