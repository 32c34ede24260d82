/*
 * ctl/main.c - pinholectl: run one command on a running pinholed.
 *
 *	pinholectl [-j] [-s PATH] COMMAND...
 *
 * The command words are checked locally against the same grammar the
 * daemon uses (core/ctlproto.c), so typos and ambiguous abbreviations are
 * reported without a daemon, and the canonical words are sent.  Socket
 * choice: -s PATH uses exactly that socket; otherwise the full socket is
 * tried first, and a `show` command falls back to the read-only socket
 * when the full one cannot be opened (no permission, no such file).
 * A relative `reload FILE` is made absolute here, since the daemon has
 * its own working directory.
 *
 * Options are one table (opts[]) from which getopt's string and the help
 * text are built.  The exit statuses are in ctl.h and pinholectl(8).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ctl/ctl.h"

#ifndef PH_VERSION_STRING
#define PH_VERSION_STRING "0.1.0"
#endif

#define ENV_SOCK    "PINHOLE_CTL_SOCKET"
#define ENV_RO_SOCK "PINHOLE_CTL_RO_SOCKET"

struct opt {
	int letter;
	const char *name;
	const char *arg; /* NULL: no argument */
	const char *help;
};

static const struct opt opts[] = {
	{ 's', "socket", "PATH",
	  "Talk to the daemon on PATH only (no fallback).  Default: the\n"
	  "full socket " PH_CTL_SOCK_PATH ", then for `show`\n"
	  "commands the read-only socket " PH_CTL_SOCK_RO_PATH "." },
	{ 'j', "json", NULL,
	  "Ask for the reply in JSON (one document on stdout)." },
	{ 'h', "help", NULL, "Print this help and exit." },
	{ 'V', "version", NULL, "Print the version and exit." },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

struct config {
	const char *sock;
	bool json;
};

static void
print_help_text(FILE *f, const char *h)
{
	while (*h) {
		const char *nl = strchr(h, '\n');
		size_t n = nl ? (size_t)(nl - h) : strlen(h);

		fprintf(f, "        %.*s\n", (int)n, h);
		h += n + (nl != NULL);
	}
}

static void
usage(FILE *f)
{
	char cmds[4096];

	ph_ctl_commands_help(cmds, sizeof(cmds));
	fprintf(f,
		"usage: pinholectl [-j] [-s PATH] COMMAND...\n"
		"       pinholectl -h | -V\n\n"
		"pinholectl runs one command on the running pinhole firewall "
		"daemon\n(pinholed) over its control socket and prints the "
		"reply.\n\noptions:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		fprintf(f, "  -%c, --%s%s%s\n", opts[i].letter, opts[i].name,
			opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		print_help_text(f, opts[i].help);
	}
	fprintf(f, "\ncommands:\n%s", cmds);
	fprintf(f,
		"\nWords may be abbreviated to any unique prefix, as on a "
		"PIX:\n"
		"`sh conn`, `sh xl`, `sh run`, `sh access-l`.  `clear`, "
		"`reload` and\n`debug` need the full socket (root or the "
		"socket's group); `show`\ncommands also work on the read-only "
		"socket.  `debug pptp` prints\ndecoded PPTP control messages "
		"until interrupted (Ctrl-C).\n\n"
		"environment:\n"
		"  " ENV_SOCK "     full socket path instead of the default\n"
		"  " ENV_RO_SOCK "  read-only socket path instead of the "
		"default\n\n"
		"exit status:\n"
		"  0  the command ran\n"
		"  1  the daemon ran the command and it failed (e.g. reload "
		"errors:\n     the old policy stays)\n"
		"  2  usage error: bad option, unknown or ambiguous command\n"
		"  3  cannot connect to the daemon\n"
		"  4  connection lost, timeout or protocol error\n"
		"  5  not allowed: read-only socket or no permission\n\n"
		"examples:\n"
		"  pinholectl sh conn detail\n"
		"  pinholectl -j show xlate | jq .\n"
		"  pinholectl reload /etc/pinhole/pinhole.conf\n"
		"  pinholectl debug pptp\n\n"
		"See pinholectl(8) and docs/control.md.\n");
}

static int
parse_args(struct config *c, int argc, char **argv)
{
	struct option lopts[N_OPTS + 1];
	char sopts[2 * N_OPTS + 3];
	size_t k = 0;
	int ch;

	sopts[k++] = '+'; /* stop at the first command word */
	sopts[k++] = ':';
	for (size_t i = 0; i < N_OPTS; i++) {
		lopts[i] = (struct option){ opts[i].name,
					    opts[i].arg ? required_argument
							: no_argument,
					    NULL, opts[i].letter };
		sopts[k++] = (char)opts[i].letter;
		if (opts[i].arg)
			sopts[k++] = ':';
	}
	sopts[k] = '\0';
	memset(&lopts[N_OPTS], 0, sizeof(lopts[N_OPTS]));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			c->sock = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("pinholectl %s (control protocol %d)\n",
			       PH_VERSION_STRING, PH_CTL_VERSION);
			return 1;
		case ':':
			fprintf(stderr,
				"pinholectl: option '%s' needs an "
				"argument\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "pinholectl: unknown option '%s'\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "pinholectl: no command given\n");
		return -1;
	}
	return 0;
}

/*
 * `reload FILE` with a relative FILE: resolve it here.  Recognised as
 * "all words but the last name a command that takes a path".
 */
static int
absolute_reload_path(char **words, size_t n, char *buf, size_t len)
{
	struct ph_ctl_request r;
	const struct ph_ctl_cmd_def *d;
	char resolved[PATH_MAX];

	if (n < 2 || words[n - 1][0] == '/')
		return 0;
	if (ph_ctl_parse_words((const char *const *)words, n - 1, &r, NULL,
			       0) != PH_CTL_OK)
		return 0;
	d = ph_ctl_cmd_def(r.cmd);
	if (d->argkind != PH_CTL_ARG_PATH)
		return 0;
	if (realpath(words[n - 1], resolved) == NULL) {
		fprintf(stderr, "pinholectl: %s: %s\n", words[n - 1],
			strerror(errno));
		return -1;
	}
	strlcpy(buf, resolved, len);
	words[n - 1] = buf;
	return 0;
}

static int
parse_command(char **words, size_t n, struct ph_ctl_request *req)
{
	static char path[PATH_MAX];
	char err[PH_CTL_ERR_MAX];
	int st;

	if (absolute_reload_path(words, n, path, sizeof(path)) < 0)
		return PH_EXIT_USAGE;
	st = ph_ctl_parse_words((const char *const *)words, n, req, err,
				sizeof(err));
	if (st != PH_CTL_OK) {
		fprintf(stderr, "%s\n", err);
		return PH_EXIT_USAGE;
	}
	return PH_EXIT_OK;
}

/* Open the right socket; returns the fd or an exit status (negated). */
static int
open_socket(const struct config *c, const struct ph_ctl_cmd_def *d)
{
	const char *full = getenv(ENV_SOCK), *ro = getenv(ENV_RO_SOCK);
	int fd, err2;

	if (c->sock != NULL)
		full = c->sock;
	else if (full == NULL || full[0] == '\0')
		full = PH_CTL_SOCK_PATH;
	if (ro == NULL || ro[0] == '\0')
		ro = PH_CTL_SOCK_RO_PATH;
	fd = ph_ctl_connect(full);
	if (fd >= 0)
		return fd;
	if (c->sock == NULL && !(d->flags & PH_CTL_CMDF_WRITE) &&
	    (fd == -EACCES || fd == -EPERM || fd == -ENOENT ||
	     fd == -ECONNREFUSED)) {
		err2 = ph_ctl_connect(ro);
		if (err2 >= 0)
			return err2;
		fprintf(stderr,
			"pinholectl: cannot connect to %s (%s) nor "
			"to %s (%s): is pinholed running?\n",
			full, strerror(-fd), ro, strerror(-err2));
		return -PH_EXIT_CONNECT;
	}
	fprintf(stderr, "pinholectl: cannot connect to %s: %s\n", full,
		strerror(-fd));
	if (fd == -EACCES && (d->flags & PH_CTL_CMDF_WRITE))
		fprintf(stderr,
			"pinholectl: '%s' needs the full socket: run "
			"as root or as a member of its group\n",
			d->words);
	/* no permission on the socket is "not allowed", not "no daemon" */
	if (fd == -EACCES || fd == -EPERM)
		return -PH_EXIT_DENIED;
	return -PH_EXIT_CONNECT;
}

int
main(int argc, char **argv)
{
	struct config c = { .sock = NULL, .json = false };
	struct ph_ctl_request req;
	const struct ph_ctl_cmd_def *d;
	int rc = parse_args(&c, argc, argv), fd;

	if (rc > 0)
		return PH_EXIT_OK;
	if (rc < 0) {
		fprintf(stderr, "Try 'pinholectl -h' for more information.\n");
		return PH_EXIT_USAGE;
	}
	rc = parse_command(argv + optind, (size_t)(argc - optind), &req);
	if (rc != PH_EXIT_OK)
		return rc;
	req.json = c.json;
	d = ph_ctl_cmd_def(req.cmd);
	fd = open_socket(&c, d);
	if (fd < 0)
		return -fd;
	rc = ph_ctl_run(fd, &req, (d->flags & PH_CTL_CMDF_STREAM) != 0);
	close(fd);
	return rc;
}
