/*
 * replay/main.c - pinhole-replay: run recorded traffic through the engine.
 *
 *	pinhole-replay -f RULES --in inside=a.pcap --in outside=b.pcap
 *	    --out inside=x.pcap --out outside=y.pcap [--summary]
 *
 * This file reads the options, loads the rule file (diagnostics printed
 * as file:line:col, exit 1), maps the interface names of --in/--out to
 * policy interfaces (nameif name, hardware id, or Linux name), opens the
 * captures and hands over to run.c.  --help is the manual; docs/replay.md
 * explains the choices.
 *
 * Known limits: the rule file is read whole (at most RP_RULES_MAX bytes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <bsd/string.h>

#include <pcap/pcap.h>

#include <pinhole/policy.h>

#include "config/model.h"
#include "replay.h"

#define RP_RULES_MAX (16u << 20)
#define RP_VERSION   "0.1.0"

struct rp_port {
	char *ifname;
	const char *path;
};

struct rp_args {
	const char *rules;
	struct rp_port in[RP_INPUTS_MAX];
	unsigned n_in;
	struct rp_port out[PH_IF_MAX];
	unsigned n_out;
	struct ph_ifmap ifmap[PH_IF_MAX];
	char *ifmap_buf[PH_IF_MAX];
	unsigned n_ifmap;
	bool have_seed;
	uint64_t seed;
	uint64_t drain;
	bool have_level;
	int level;
	bool timestamps;
	bool summary;
	const char *trace;
	uint64_t keys[3]; /* engine seed (2), ACL index key: from --seed */
};

/* clang-format off */
static const char rp_usage[] =
    "usage: pinhole-replay -f RULES --in IF=CAPTURE... [--out IF=CAPTURE]...\n"
    "                      [-i HWID=IFNAME]... [--seed N] [--drain SECONDS]\n"
    "                      [--level LEVEL] [--timestamps] [--summary]\n"
    "                      [--trace FILE]\n";

static const char rp_help[] =
    "\n"
    "NAME\n"
    "    pinhole-replay - run packet captures through pinhole's engine\n"
    "\n"
    "DESCRIPTION\n"
    "    Loads the PIX rule file RULES, reads the captures given with --in\n"
    "    (each recorded on one gateway interface, as packets arriving on\n"
    "    it), merges them by timestamp and runs every packet through the\n"
    "    same engine pinholed uses, with the capture's clock.  What leaves\n"
    "    an interface is written to the --out capture of that interface\n"
    "    (rewritten by NAT/PAT and inspection); the syslog lines the\n"
    "    engine produces are printed to standard output, framed by the\n"
    "    rule file's logging settings (%PIX- or %ASA-, device-id) and\n"
    "    filtered by its `logging trap` level.  Use it to try a rule change\n"
    "    on recorded traffic, to reproduce a bug report, and in tests.\n"
    "\n"
    "OPTIONS\n"
    "    -f, --rules RULES   the rule file (PIX configuration).  Its errors\n"
    "                        and warnings are printed to standard error\n"
    "                        (notes are not: see pinholed -t).\n"
    "    --in IF=CAPTURE     a pcap or pcapng file of packets arriving on\n"
    "                        interface IF; repeat for every interface (and\n"
    "                        several files per interface are merged).  IF is\n"
    "                        the nameif name (\"inside\"), the hardware id\n"
    "                        (\"ethernet1\") or its Linux name (eth1, see -i).\n"
    "                        CAPTURE \"-\" is standard input.\n"
    "    --out IF=CAPTURE    write the packets leaving IF to CAPTURE (pcap).\n"
    "                        Packets leaving an interface with no --out are\n"
    "                        counted, not written.\n"
    "    -i HWID=IFNAME      the PIX hardware id HWID is Linux interface\n"
    "                        IFNAME (as pinholed -i); IFNAME then names it.\n"
    "    --seed N            seed the engine (hash keys, PAT ports, IDs) with\n"
    "                        N: the same inputs and N give the same output.\n"
    "                        Default: random (getrandom(2)).\n"
    "    --drain SECONDS     after the last packet, advance the clock this\n"
    "                        long, one tick per second, so that idle\n"
    "                        timeouts fire and their teardown lines print.\n"
    "                        Default 0.\n"
    "    --level LEVEL       print events of severity LEVEL or more urgent\n"
    "                        (0-7 or emergencies, alerts, critical, errors,\n"
    "                        warnings, notifications, informational,\n"
    "                        debugging; off).  Default: the rule file's\n"
    "                        `logging trap` level (nothing without `logging\n"
    "                        on`).\n"
    "    --timestamps        prefix lines with the capture time (UTC), as\n"
    "                        `logging timestamp` does.  Off by default so\n"
    "                        the output does not depend on the capture date.\n"
    "    --summary           print counters to standard error at the end:\n"
    "                        frames per interface, skipped, accepted,\n"
    "                        rewritten, dropped per reason, held; and check\n"
    "                        that every packet is accounted for.\n"
    "    --trace FILE        write one line per packet fate to FILE\n"
    "                        (TIME IF#FRAME accept OUT#N [rewritten] | drop\n"
    "                        REASON | hold | release ... | skip CAUSE).\n"
    "    -h, --help          this text.      -V, --version   the version.\n"
    "\n"
    "CAPTURES\n"
    "    Reads pcap and pcapng (libpcap), link types Ethernet (with 802.1Q\n"
    "    or 802.1ad tags), raw IPv4 (RAW, IPV4), Linux cooked SLL and SLL2,\n"
    "    BSD loopback (NULL, LOOP).  Frames that are not IPv4 (ARP, IPv6,\n"
    "    LLDP) and packets cut short by the snap length are skipped and\n"
    "    counted.  An output capture has the link type and timestamp\n"
    "    precision of the first input on its interface (raw IPv4 when there\n"
    "    is none); Ethernet frames keep the header they arrived with.\n"
    "    Packets released from a hold are written when released.\n"
    "\n"
    "EXIT STATUS\n"
    "    0  success (dropped packets are not an error)\n"
    "    1  the rule file does not load (errors printed as FILE:LINE:COL)\n"
    "    2  usage error: bad option, unknown interface name\n"
    "    3  a capture cannot be read or written\n"
    "    4  internal error: engine failure, or counters that do not add up\n"
    "\n"
    "EXAMPLE\n"
    "    pinhole-replay -f pix.conf --in inside=in.pcap --in outside=out.pcap\n"
    "        --out outside=leaving.pcap --seed 1 --drain 3600 --summary\n"
    "\n"
    "SEE ALSO\n"
    "    pinholed(8), docs/replay.md, tools/gen/phgen.py\n";
/* clang-format on */

/* --- option values ------------------------------------------------------------ */

static int
rp_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *const rp_levels[8] = {
	"emergencies", "alerts",	"critical",	 "errors",
	"warnings",    "notifications", "informational", "debugging",
};

static int
rp_parse_level(const char *s, int *level)
{
	uint64_t v;

	if (strcasecmp(s, "off") == 0 || strcasecmp(s, "none") == 0) {
		*level = -1;
		return 0;
	}
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, rp_levels[i]) == 0) {
			*level = i;
			return 0;
		}
	if (rp_parse_u64(s, 7, &v) != 0)
		return -1;
	*level = (int)v;
	return 0;
}

/* "IF=PATH" into a port; the name is copied. */
static int
rp_parse_port(const char *arg, struct rp_port *p)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0')
		return -1;
	p->ifname = strndup(arg, (size_t)(eq - arg));
	p->path = eq + 1;
	return p->ifname == NULL ? -1 : 0;
}

static int
rp_parse_ifmap(struct rp_args *a, const char *arg)
{
	char *copy, *eq;

	if (a->n_ifmap == PH_IF_MAX)
		return -1;
	copy = strdup(arg);
	if (copy == NULL)
		return -1;
	a->ifmap_buf[a->n_ifmap] = copy;
	eq = strchr(copy, '=');
	if (eq == NULL || eq == copy || eq[1] == '\0') {
		free(copy);
		return -1;
	}
	*eq = '\0';
	a->ifmap[a->n_ifmap].hwid = copy;
	a->ifmap[a->n_ifmap].linux_name = eq + 1;
	a->n_ifmap++;
	return 0;
}

static void
rp_args_free(struct rp_args *a)
{
	for (unsigned i = 0; i < a->n_in; i++)
		free(a->in[i].ifname);
	for (unsigned i = 0; i < a->n_out; i++)
		free(a->out[i].ifname);
	for (unsigned i = 0; i < a->n_ifmap; i++)
		free(a->ifmap_buf[i]);
}

/* --- options ----------------------------------------------------------------------- */

enum {
	RP_OPT_IN = 256,
	RP_OPT_OUT,
	RP_OPT_SEED,
	RP_OPT_DRAIN,
	RP_OPT_LEVEL,
	RP_OPT_TIMESTAMPS,
	RP_OPT_SUMMARY,
	RP_OPT_TRACE,
};

static const struct option rp_longopts[] = {
	{ "rules", required_argument, NULL, 'f' },
	{ "in", required_argument, NULL, RP_OPT_IN },
	{ "out", required_argument, NULL, RP_OPT_OUT },
	{ "seed", required_argument, NULL, RP_OPT_SEED },
	{ "drain", required_argument, NULL, RP_OPT_DRAIN },
	{ "level", required_argument, NULL, RP_OPT_LEVEL },
	{ "timestamps", no_argument, NULL, RP_OPT_TIMESTAMPS },
	{ "summary", no_argument, NULL, RP_OPT_SUMMARY },
	{ "trace", required_argument, NULL, RP_OPT_TRACE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int rp_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int
rp_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinhole-replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", rp_usage);
	return RP_EXIT_USAGE;
}

/* One option; returns 0, an exit code, or -1 for "exit 0 now". */
static int
rp_option(struct rp_args *a, int c, const char *arg)
{
	switch (c) {
	case 'f':
		a->rules = arg;
		return 0;
	case RP_OPT_IN:
		if (a->n_in == RP_INPUTS_MAX ||
		    rp_parse_port(arg, &a->in[a->n_in]) != 0)
			return rp_usage_error("bad --in '%s' (want IF=FILE)",
					      arg);
		a->n_in++;
		return 0;
	case RP_OPT_OUT:
		if (a->n_out == PH_IF_MAX ||
		    rp_parse_port(arg, &a->out[a->n_out]) != 0)
			return rp_usage_error("bad --out '%s' (want IF=FILE)",
					      arg);
		a->n_out++;
		return 0;
	case 'i':
		if (rp_parse_ifmap(a, arg) != 0)
			return rp_usage_error("bad -i '%s' (want HWID=IFNAME)",
					      arg);
		return 0;
	case RP_OPT_SEED:
		a->have_seed = true;
		if (rp_parse_u64(arg, UINT64_MAX, &a->seed) != 0)
			return rp_usage_error("bad --seed '%s'", arg);
		return 0;
	case RP_OPT_DRAIN:
		if (rp_parse_u64(arg, 100u * 365 * 86400, &a->drain) != 0)
			return rp_usage_error("bad --drain '%s' (seconds)",
					      arg);
		return 0;
	case RP_OPT_LEVEL:
		a->have_level = true;
		if (rp_parse_level(arg, &a->level) != 0)
			return rp_usage_error("bad --level '%s'", arg);
		return 0;
	case RP_OPT_TIMESTAMPS:
		a->timestamps = true;
		return 0;
	case RP_OPT_SUMMARY:
		a->summary = true;
		return 0;
	case RP_OPT_TRACE:
		a->trace = arg;
		return 0;
	case 'h':
		printf("%s%s", rp_usage, rp_help);
		return -1;
	case 'V':
		printf("pinhole-replay %s (%s)\n", RP_VERSION,
		       pcap_lib_version());
		return -1;
	default:
		fprintf(stderr, "%s", rp_usage);
		return RP_EXIT_USAGE;
	}
}

static int
rp_parse_args(struct rp_args *a, int argc, char **argv)
{
	int c, rc;

	while ((c = getopt_long(argc, argv, "f:i:hV", rp_longopts, NULL)) !=
	       -1) {
		rc = rp_option(a, c, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return rp_usage_error("unexpected argument '%s'", argv[optind]);
	if (a->rules == NULL)
		return rp_usage_error("%s", "no rule file (-f RULES)");
	if (a->n_in == 0)
		return rp_usage_error("%s", "no input capture (--in IF=FILE)");
	return 0;
}

/* --- the rule file ---------------------------------------------------------------- */

static char *
rp_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = malloc(RP_RULES_MAX + 1);
	if (buf == NULL) {
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, RP_RULES_MAX + 1, fp);
	if (ferror(fp) || n > RP_RULES_MAX) {
		if (!ferror(fp))
			errno = EFBIG;
		free(buf);
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	*len = n;
	return buf;
}

/* Errors and warnings, as pinholed -t prints them; notes (commands with
 * no effect here) are left to pinholed -t, they would drown the output. */
static void
rp_print_diags(const struct ph_diags *d)
{
	char small[1024];

	for (size_t i = 0; i < ph_diags_count(d); i++) {
		const struct ph_diag *dg = ph_diags_get(d, i);
		int n;
		char *big;

		if (dg->severity == PH_DIAG_NOTE)
			continue;
		n = ph_diag_format(dg, small, sizeof(small));
		if (n < 0)
			continue;
		if ((size_t)n < sizeof(small)) {
			fputs(small, stderr);
			continue;
		}
		big = malloc((size_t)n + 1);
		if (big != NULL && ph_diag_format(dg, big, (size_t)n + 1) >= 0)
			fputs(big, stderr);
		free(big);
	}
}

static int
rp_load_rules(const struct rp_args *a, struct ph_policy **pol)
{
	struct ph_parse_opts po = { .filename = a->rules,
				    .ifmap = a->ifmap,
				    .n_ifmap = a->n_ifmap,
				    .seed = a->keys[2] };
	struct ph_diags *diags = NULL;
	size_t len = 0;
	char *text = rp_read_file(a->rules, &len);
	int rc;

	if (text == NULL) {
		fprintf(stderr, "pinhole-replay: %s: %s\n", a->rules,
			strerror(errno));
		return RP_EXIT_RULES;
	}
	rc = ph_policy_parse(text, len, &po, pol, &diags);
	free(text);
	rp_print_diags(diags);
	ph_diags_free(diags);
	if (rc == -ENOMEM) {
		fprintf(stderr, "pinhole-replay: %s: %s\n", a->rules,
			strerror(ENOMEM));
		return RP_EXIT_INTERNAL;
	}
	if (rc != 0 || *pol == NULL) {
		fprintf(stderr, "pinhole-replay: %s: rule file not loaded\n",
			a->rules);
		return RP_EXIT_RULES;
	}
	return RP_EXIT_OK;
}

/* --- interfaces ------------------------------------------------------------------- */

/* nameif name, then hardware id, then Linux name; -1 when unknown. */
static int
rp_ifidx(const struct ph_policy *pol, const char *name)
{
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (strcmp(pol->ifaces[i].name, name) == 0)
			return (int)i;
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (strcasecmp(pol->ifaces[i].hwid, name) == 0)
			return (int)i;
	for (size_t i = 0; i < pol->n_ifaces; i++)
		if (pol->ifaces[i].linux_name[0] != '\0' &&
		    strcmp(pol->ifaces[i].linux_name, name) == 0)
			return (int)i;
	return -1;
}

static int
rp_unknown_if(const struct ph_policy *pol, const char *opt,
	      const struct rp_port *p, const char *rules)
{
	fprintf(stderr,
		"pinhole-replay: %s %s=%s: no interface '%s' in %s "
		"(interfaces:",
		opt, p->ifname, p->path, p->ifname, rules);
	for (size_t i = 0; i < pol->n_ifaces; i++)
		fprintf(stderr, " %s", pol->ifaces[i].name);
	fprintf(stderr, ")\n");
	return RP_EXIT_USAGE;
}

static int
rp_open_inputs(const struct rp_args *a, const struct ph_policy *pol,
	       struct rp_inputs *in)
{
	char err[RP_ERR_LEN];

	for (unsigned i = 0; i < a->n_in; i++) {
		int ifidx = rp_ifidx(pol, a->in[i].ifname);

		if (ifidx < 0 || ifidx >= PH_IF_MAX)
			return rp_unknown_if(pol, "--in", &a->in[i], a->rules);
		if (rp_inputs_add(in, a->in[i].path, (uint16_t)ifidx, err,
				  sizeof(err)) != 0) {
			fprintf(stderr, "pinhole-replay: %s\n", err);
			return RP_EXIT_IO;
		}
	}
	return RP_EXIT_OK;
}

static int
rp_open_outputs(const struct rp_args *a, const struct ph_policy *pol,
		const struct rp_inputs *in, struct rp_outputs *out)
{
	char err[RP_ERR_LEN];

	for (unsigned i = 0; i < a->n_out; i++) {
		int ifidx = rp_ifidx(pol, a->out[i].ifname);
		bool nano = rp_inputs_any_nano(in);
		const struct rp_l2 *tmpl;

		if (ifidx < 0 || ifidx >= PH_IF_MAX)
			return rp_unknown_if(pol, "--out", &a->out[i],
					     a->rules);
		if (rp_outputs_has(out, (uint16_t)ifidx)) {
			fprintf(stderr,
				"pinhole-replay: --out %s: interface "
				"given twice\n",
				a->out[i].ifname);
			return RP_EXIT_USAGE;
		}
		tmpl = rp_inputs_iface(in, (uint16_t)ifidx, &nano);
		if (rp_outputs_add(out, (uint16_t)ifidx, a->out[i].path, tmpl,
				   nano, err, sizeof(err)) != 0) {
			fprintf(stderr, "pinhole-replay: %s\n", err);
			return RP_EXIT_IO;
		}
	}
	return RP_EXIT_OK;
}

/* --- main ----------------------------------------------------------------------------- */

/* SplitMix64: spreads --seed N over the engine's 128-bit seed. */
static uint64_t
rp_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The engine's seed and the ACL index key: from --seed, else random. */
static int
rp_seed(struct rp_args *a)
{
	uint64_t x = a->seed;

	if (a->have_seed) {
		for (size_t i = 0; i < 3; i++)
			a->keys[i] = rp_splitmix(&x);
		return 0;
	}
	if (getrandom(a->keys, sizeof(a->keys), 0) !=
	    (ssize_t)sizeof(a->keys)) {
		fprintf(stderr, "pinhole-replay: getrandom: %s\n",
			strerror(errno));
		return RP_EXIT_INTERNAL;
	}
	return 0;
}

static int
rp_level(const struct rp_args *a, const struct ph_policy *pol)
{
	if (a->have_level)
		return a->level;
	if (!pol->logging.on || pol->logging.trap < 0) {
		fprintf(stderr,
			"pinhole-replay: note: %s has no `logging on` "
			"and `logging trap LEVEL`: no lines printed (use "
			"--level)\n",
			a->rules);
		return -1;
	}
	return pol->logging.trap;
}

static int
rp_main(struct rp_args *a, struct ph_policy *pol, struct rp_inputs *in,
	struct rp_outputs **outp)
{
	struct rp_run_opts ro = { 0 };
	struct rp_stats st;
	char err[RP_ERR_LEN] = "";
	FILE *trace = NULL;
	int rc;

	if ((rc = rp_open_inputs(a, pol, in)) != 0 ||
	    (rc = rp_open_outputs(a, pol, in, *outp)) != 0)
		return rc;
	ro.seed[0] = a->keys[0];
	ro.seed[1] = a->keys[1];
	if (a->trace != NULL && (trace = fopen(a->trace, "w")) == NULL) {
		fprintf(stderr, "pinhole-replay: %s: %s\n", a->trace,
			strerror(errno));
		return RP_EXIT_IO;
	}
	memset(&st, 0, sizeof(st));
	ro.drain_sec = a->drain;
	ro.level = rp_level(a, pol);
	ro.timestamps = a->timestamps;
	ro.log = stdout;
	ro.trace = trace;
	rc = rp_run(pol, in, *outp, &ro, &st, err, sizeof(err));
	if (trace != NULL && fclose(trace) != 0 && rc == 0)
		rc = RP_EXIT_IO;
	if (rp_outputs_close(*outp, err, sizeof(err)) != 0 && rc == 0)
		rc = RP_EXIT_IO;
	*outp = NULL;
	if (fflush(stdout) != 0 && rc == 0)
		rc = RP_EXIT_IO;
	if (rc != 0)
		fprintf(stderr, "pinhole-replay: %s\n",
			err[0] ? err : "write error");
	if (a->summary && !rp_stats_print(stderr, pol, &st, ro.level) &&
	    rc == 0)
		rc = RP_EXIT_INTERNAL;
	return rc;
}

int
main(int argc, char **argv)
{
	struct rp_args a;
	struct ph_policy *pol = NULL;
	struct rp_inputs *in = NULL;
	struct rp_outputs *out = NULL;
	char err[RP_ERR_LEN];
	int rc;

	memset(&a, 0, sizeof(a));
	rc = rp_parse_args(&a, argc, argv);
	if (rc == 0)
		rc = rp_seed(&a);
	if (rc != 0)
		goto out_args;
	rc = rp_load_rules(&a, &pol);
	if (rc != 0)
		goto out_args;
	in = rp_inputs_new();
	out = rp_outputs_new();
	if (in == NULL || out == NULL) {
		fprintf(stderr, "pinhole-replay: %s\n", strerror(ENOMEM));
		rc = RP_EXIT_INTERNAL;
		goto out_run;
	}
	rc = rp_main(&a, pol, in, &out);
out_run:
	rp_outputs_close(out, err, sizeof(err));
	rp_inputs_free(in);
	ph_policy_free(pol);
out_args:
	rp_args_free(&a);
	return rc < 0 ? RP_EXIT_OK : rc;
}
