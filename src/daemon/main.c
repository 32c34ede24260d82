/*
 * daemon/main.c - pinholed entry point: option parsing.
 *
 * Options live in one table (opts[]): the short letter, the long name,
 * the argument's name and the help text.  getopt_long's strings and the
 * --help text are built from it, so adding a daemon flag is one table
 * row plus its case in apply_opt().
 *
 * For now only the checker mode (-t) exists; the daemon loop comes later.
 * Exit status: 0 success, 1 the rule file does not load, 2 usage error.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

#include "daemon/check.h"

#define PH_DEFAULT_RULES "/etc/pinhole/pinhole.conf"
#define MAX_IFMAP	 64
#ifndef PH_VERSION_STRING
#define PH_VERSION_STRING "0.1.0"
#endif

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
	  "The rule file (default " PH_DEFAULT_RULES "); - reads stdin." },
	{ 'i', "interface", "HWID=IFNAME",
	  "Map a PIX hardware id to a Linux interface, e.g.\n"
	  "-i ethernet0=eth1.  Repeatable.  Without a mapping, a hardware\n"
	  "id is taken as the Linux interface name itself." },
	{ 'h', "help", NULL, "Print this help and exit." },
	{ 'V', "version", NULL, "Print the version and exit." },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

struct config {
	bool test, print;
	const char *file;
	struct ph_ifmap map[MAX_IFMAP];
	size_t n_map;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: pinholed -t [-p] [-f FILE] [-i HWID=IFNAME]...\n"
		"       pinholed -h | -V\n\n"
		"pinholed is the pinhole firewall daemon.  It loads Cisco "
		"PIX-style\nrules (see docs/config.md).  Only the checker mode "
		"(-t) exists yet.\n\noptions:\n");
	for (size_t i = 0; i < N_OPTS; i++) {
		const char *h = opts[i].help;

		fprintf(f, "  -%c, --%s%s%s\n", opts[i].letter, opts[i].name,
			opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
		while (*h) {
			const char *nl = strchr(h, '\n');
			size_t n = nl ? (size_t)(nl - h) : strlen(h);

			fprintf(f, "        %.*s\n", (int)n, h);
			h += n + (nl != NULL);
		}
	}
	fprintf(f, "\nexit status: 0 ok, 1 the rule file does not load, "
		   "2 usage error.\n");
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
	if (c->n_map >= MAX_IFMAP) {
		fprintf(stderr, "pinholed: too many -i options (limit %d)\n",
			MAX_IFMAP);
		return -1;
	}
	*eq = '\0';
	c->map[c->n_map].hwid = arg;
	c->map[c->n_map].linux_name = eq + 1;
	c->n_map++;
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
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("pinholed %s\n", PH_VERSION_STRING);
		return 1;
	}
	return -1;
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
		sopts[k++] = (char)opts[i].letter;
		if (opts[i].arg)
			sopts[k++] = ':';
	}
	sopts[k] = '\0';
	memset(&lopts[N_OPTS], 0, sizeof(lopts[N_OPTS]));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			if (ch == ':')
				fprintf(stderr,
					"pinholed: option '%s' needs "
					"an argument\n",
					argv[optind - 1]);
			else if (optopt)
				fprintf(stderr,
					"pinholed: unknown option "
					"'-%c'\n",
					optopt);
			else
				fprintf(stderr,
					"pinholed: unknown option "
					"'%s'\n",
					argv[optind - 1]);
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

int
main(int argc, char **argv)
{
	struct config c = { .file = PH_DEFAULT_RULES };
	int rc = parse_args(&c, argc, argv);

	if (rc > 0)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "Try 'pinholed --help' for more "
				"information.\n");
		return 2;
	}
	if (c.print && !c.test) {
		fprintf(stderr, "pinholed: -p needs -t\n");
		return 2;
	}
	if (!c.test) {
		fprintf(stderr, "pinholed: only the checker mode (-t) is "
				"available in this version\n");
		return 2;
	}
	return ph_check_file(c.file, c.map, c.n_map, c.print);
}
