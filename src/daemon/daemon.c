/*
 * daemon/daemon.c - pinholed's start-up and shutdown.
 *
 * Start-up, in this order (docs/architecture.md, "Daemon integration"):
 *  1. load the rule file (errors: file:line:col on stderr, exit 1) and map
 *     its interfaces to host interfaces (a missing interface that is not
 *     `shutdown` is an error);
 *  2. unless -d/-F, fork: the parent waits on a pipe for the child's
 *     "ready" or failure status, so the exit status of `pinholed` still
 *     says whether the daemon started;
 *  3. the engine, with random seeds from getrandom(2);
 *  4. the owned addresses (`global` addresses and ranges, static mapped
 *     addresses) as tagged /32s, after removing stale ones of a crash;
 *  5. the NFQUEUE, then the nft table (so the listener exists when the
 *     rules appear; native queue expression first, nft_compat fallback);
 *  6. the control sockets, the event loop, the pidfile;
 *  7. privileges: only CAP_NET_ADMIN is kept (and CAP_BPF for the
 *     shedding program on kernels before 6.5: privs.c);
 *  8. READY (sd_notify, the parent's pipe).
 * Shutdown (SIGTERM/SIGINT) undoes it: table, queue, addresses, sockets.
 * Errors after start-up never abort the daemon.
 *
 * A `shutdown` interface whose Linux interface exists is still queued and
 * its packets are dropped by the daemon (a PIX passes nothing on a shut
 * port), so shutting a port in the rules never opens it.
 *
 * Interfaces that change while running (down/up, deleted and re-created,
 * addresses) are followed by ifmon.c: the queue rule matches the name, the
 * ifindex table and the owned addresses follow a re-created interface.
 *
 * Known limits: IPv4 only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bsd/string.h>

#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/logsink.h"
#include "daemon/nfq.h"
#include "daemon/nft.h"

ph_time_t
pd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ph_time_from_ns((uint64_t)ts.tv_sec * PH_NSEC_PER_SEC +
			       (uint64_t)ts.tv_nsec);
}

/* ---- the rule file -------------------------------------------------- */

static int
read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf, *nb;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (buf == NULL)
		goto out_nomem;
	for (;;) {
		if (n == cap) {
			if (cap >= PH_DAEMON_RULES_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL)
				goto out_nomem;
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*out = buf;
	*len = n;
	return 0;

out_nomem:
	free(buf);
	close(fd);
	return -ENOMEM;
}

int
pd_policy_load(struct ph_daemon *d, const char *path, struct ph_policy **out,
	       struct ph_diags **diags, char *err, size_t errlen)
{
	struct ph_parse_opts po = { .filename = path,
				    .ifmap = d->cfg->map,
				    .n_ifmap = d->cfg->n_map };
	char *text = NULL;
	size_t len = 0;
	uint64_t seed;
	int rc;

	*out = NULL;
	*diags = NULL;
	err[0] = '\0';
	rc = read_file(path, &text, &len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (getrandom(&seed, sizeof(seed), 0) == (ssize_t)sizeof(seed))
		po.seed = seed;
	rc = ph_policy_parse(text, len, &po, out, diags);
	free(text);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (rc < 0)
		snprintf(err, errlen,
			 "%s: %zu error%s, configuration not "
			 "loaded",
			 path, ph_diags_errors(*diags),
			 ph_diags_errors(*diags) == 1 ? "" : "s");
	return rc;
}

void
pd_log_diags(struct ph_daemon *d, const struct ph_diags *diags)
{
	static const int sev[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE };

	for (size_t i = 0; i < ph_diags_count(diags); i++) {
		const struct ph_diag *g = ph_diags_get(diags, i);
		char buf[1536];

		ph_diag_format(g, buf, sizeof(buf));
		buf[strcspn(buf, "\n")] = '\0'; /* the record's first line */
		ph_logsink_msg(d->log,
			       g->severity < 3 ? sev[g->severity] : LOG_INFO,
			       "%s", buf);
	}
}

/* Print the full records (with source line and caret) on stderr. */
static void
print_diags(const struct ph_diags *diags)
{
	for (size_t i = 0; i < ph_diags_count(diags); i++) {
		char buf[2048];

		ph_diag_format(ph_diags_get(diags, i), buf, sizeof(buf));
		fputs(buf, stderr);
	}
}

/* ---- interfaces and addresses --------------------------------------- */

static int
iface_resolve_one(const struct ph_iface *f, struct pd_iface *pi, char *err,
		  size_t errlen)
{
	int idx;

	if (f->linux_name[0] == '\0') {
		if (f->shutdown)
			return 0;
		snprintf(err, errlen,
			 "interface '%s' (hardware id %s) has no Linux "
			 "interface: map it with -i %s=IFNAME",
			 f->name, f->hwid, f->hwid);
		return -ENODEV;
	}
	strlcpy(pi->name, f->linux_name, sizeof(pi->name));
	idx = ph_netdev_ifindex(f->linux_name);
	if (idx <= 0) {
		if (f->shutdown)
			return 0;
		snprintf(err, errlen,
			 "interface '%s': Linux interface '%s' does not exist "
			 "(map hardware id %s with -i, or mark it shutdown)",
			 f->name, f->linux_name, f->hwid);
		return -ENODEV;
	}
	pi->ifindex = (uint32_t)idx;
	pi->managed = true;
	return 0;
}

int
pd_ifaces_resolve(const struct ph_policy *pol, struct pd_iface *ifs, size_t *n,
		  char *err, size_t errlen)
{
	int rc;

	*n = 0;
	for (size_t i = 0; i < pol->n_ifaces && i < PH_IF_MAX; i++) {
		const struct ph_iface *f = &pol->ifaces[i];
		struct pd_iface *pi = &ifs[i];

		memset(pi, 0, sizeof(*pi));
		pi->pidx = (ph_ifidx_t)i;
		pi->shutdown = f->shutdown;
		rc = iface_resolve_one(f, pi, err, errlen);
		if (rc < 0)
			return rc;
	}
	*n = pol->n_ifaces < PH_IF_MAX ? pol->n_ifaces : PH_IF_MAX;
	return 0;
}

/* Append (ifindex, host-order addr) unless present; -E2BIG when full. */
static int
addr_push(struct ph_netdev_addr *out, size_t *n, size_t max, uint32_t ifindex,
	  uint32_t addr)
{
	uint32_t be = htonl(addr);

	for (size_t i = 0; i < *n; i++)
		if (out[i].addr == be && out[i].ifindex == ifindex)
			return 0;
	if (*n >= max)
		return -E2BIG;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].ifindex = ifindex;
	out[*n].addr = be;
	out[*n].prefixlen = 32;
	(*n)++;
	return 0;
}

static int
addrs_of_globals(const struct ph_policy *pol, const struct pd_iface *ifs,
		 size_t n_ifs, struct ph_netdev_addr *out, size_t *n,
		 size_t max)
{
	for (size_t i = 0; i < pol->n_globals; i++) {
		const struct ph_global *g = &pol->globals[i];
		uint32_t ifx;

		if (g->is_iface || g->ifidx >= n_ifs ||
		    ifs[g->ifidx].shutdown || ifs[g->ifidx].ifindex == 0)
			continue;
		ifx = ifs[g->ifidx].ifindex;
		for (uint64_t a = g->lo; a <= g->hi; a++) {
			if (g->mask != 0 && g->mask != 0xffffffffu &&
			    g->lo != g->hi &&
			    ((a & ~g->mask) == 0 ||
			     (a & ~g->mask) == (~g->mask & 0xffffffffu)))
				continue; /* network / broadcast of netmask */
			if (addr_push(out, n, max, ifx, (uint32_t)a) < 0)
				return -E2BIG;
		}
	}
	return 0;
}

static int
addrs_of_statics(const struct ph_policy *pol, const struct pd_iface *ifs,
		 size_t n_ifs, struct ph_netdev_addr *out, size_t *n,
		 size_t max)
{
	for (size_t i = 0; i < pol->n_statics; i++) {
		const struct ph_static *s = &pol->statics[i];
		uint64_t first, last;

		if (s->mapped_is_iface || s->mapped_if >= n_ifs ||
		    ifs[s->mapped_if].shutdown ||
		    ifs[s->mapped_if].ifindex == 0)
			continue;
		first = s->mapped_addr & s->mask;
		last = first | (~s->mask & 0xffffffffu);
		for (uint64_t a = first; a <= last; a++)
			if (addr_push(out, n, max, ifs[s->mapped_if].ifindex,
				      (uint32_t)a) < 0)
				return -E2BIG;
	}
	return 0;
}

int
pd_addrs_of(const struct ph_policy *pol, const struct pd_iface *ifs,
	    size_t n_ifs, struct ph_netdev_addr *out, size_t max, char *err,
	    size_t errlen)
{
	size_t n = 0;

	if (addrs_of_globals(pol, ifs, n_ifs, out, &n, max) < 0 ||
	    addrs_of_statics(pol, ifs, n_ifs, out, &n, max) < 0) {
		snprintf(err, errlen,
			 "the global and static addresses are more than "
			 "pinholed owns (limit %zu)",
			 max);
		return -E2BIG;
	}
	return (int)n;
}

int
pd_nft_apply(struct ph_daemon *d, const struct pd_iface *ifs, size_t n)
{
	const char *names[PH_IF_MAX];
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (ifs[i].managed)
			names[k++] = ifs[i].name;
	rc = ph_nft_apply(d->nft, names, k);
	if (rc == 0)
		d->nft_applied = true;
	return rc;
}

void
pd_check_iface_addrs(struct ph_daemon *d)
{
	for (size_t i = 0; i < d->n_ifs; i++) {
		const struct ph_iface *f = &d->pol->ifaces[i];
		struct ph_netdev_addr *a = NULL;
		size_t n = 0;
		bool found = false;

		if (!f->has_addr || !d->ifs[i].managed || d->ifs[i].shutdown)
			continue;
		if (ph_netdev_addrs(d->nd, d->ifs[i].ifindex, &a, &n) < 0)
			continue;
		for (size_t k = 0; k < n; k++)
			found |= a[k].addr == htonl(f->addr);
		free(a);
		if (!found)
			ph_logsink_msg(
				d->log, LOG_WARNING,
				"interface '%s': its policy address %u.%u."
				"%u.%u is not configured on %s (interface "
				"PAT and traffic to the gateway need it)",
				f->name, f->addr >> 24, (f->addr >> 16) & 255,
				(f->addr >> 8) & 255, f->addr & 255,
				d->ifs[i].name);
	}
}

/* ---- engine, queue, table, control ----------------------------------- */

static void
pd_emit(void *arg, const struct ph_event *ev)
{
	struct ph_daemon *d = arg;

	d->ctr.events++;
	ph_logsink_emit(d->log, ev);
}

/* Called on queue threads too, with or without the lock held. */
static void
pd_nfq_log(void *arg, int prio, const char *msg)
{
	struct ph_daemon *d = arg;

	pd_lock(d);
	ph_logsink_msg(d->log, prio, "%s", msg);
	pd_unlock(d);
}

static void
pd_ctl_log(void *arg, int severity, const char *msg)
{
	struct ph_daemon *d = arg;

	ph_logsink_msg(d->log, severity, "%s", msg);
}

static int
setup_engine(struct ph_daemon *d)
{
	struct ph_engine_opts eo = { .emit = pd_emit, .emit_arg = d };
	int rc;

	if (getrandom(d->seed, sizeof(d->seed), 0) != (ssize_t)sizeof(d->seed))
		return -errno;
	eo.seed[0] = d->seed[0];
	eo.seed[1] = d->seed[1];
	d->eng = ph_engine_new(&eo);
	if (d->eng == NULL)
		return -errno;
	rc = ph_engine_set_policy(d->eng, d->pol, d->now);
	return rc;
}

static int
setup_addrs(struct ph_daemon *d, char *err, size_t errlen)
{
	int n, rc;

	d->nd = ph_netdev_new();
	if (d->nd == NULL)
		return -errno;
	rc = ph_netdev_addr_flush_stale(d->nd);
	if (rc > 0)
		ph_logsink_msg(d->log, LOG_NOTICE,
			       "removed %d stale address(es) of an earlier run",
			       rc);
	n = pd_addrs_of(d->pol, d->ifs, d->n_ifs, d->addrs, PH_DAEMON_MAX_ADDRS,
			err, errlen);
	if (n < 0)
		return n;
	d->n_addrs = (size_t)n;
	rc = ph_netdev_addr_add(d->nd, d->addrs, d->n_addrs);
	if (rc < 0) {
		snprintf(err, errlen, "adding the global/static addresses: %s",
			 strerror(-rc));
		return rc;
	}
	if (d->n_addrs > 0)
		ph_logsink_msg(d->log, LOG_INFO,
			       "%zu global/static address(es) needed, %d added",
			       d->n_addrs, rc);
	pd_check_iface_addrs(d);
	return 0;
}

static int
open_queues(struct ph_daemon *d, char *err, size_t errlen)
{
	struct ph_nfq_opts qo = { .fail_open = d->cfg->fail_open,
				  .log = pd_nfq_log,
				  .log_arg = d };
	size_t n = d->cfg->n_queues > 1 ? d->cfg->n_queues : 1;
	int rc;

	rc = pd_loop_queues_init(d, n);
	if (rc < 0) {
		snprintf(err, errlen, "queue threads: %s", strerror(-rc));
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		d->q[i].nfq = ph_nfq_open(d->q[i].num, &qo);
		if (d->q[i].nfq != NULL) {
			rc = pd_queue_batch_alloc(&d->q[i]);
			if (rc == 0)
				continue;
			snprintf(err, errlen, "NFQUEUE %u: %s", d->q[i].num,
				 strerror(-rc));
			return rc;
		}
		rc = -errno;
		snprintf(err, errlen, "NFQUEUE %u: %s%s", d->q[i].num,
			 strerror(-rc),
			 rc == -EPERM ? " (bound by another program, or "
					"not root?)"
				      : "");
		return rc;
	}
	return 0;
}

static int
setup_queue(struct ph_daemon *d, char *err, size_t errlen)
{
	struct ph_nft_opts no = { .queue_num = d->cfg->queue,
				  .queue_total = d->cfg->n_queues,
				  .cpu_fanout = d->cfg->n_queues > 1,
				  .bypass = d->cfg->fail_open,
				  .shed_rate = pd_shed_initial_rate(d->cfg) };
	int rc;

	rc = open_queues(d, err, errlen);
	if (rc < 0)
		return rc;
	d->nft = ph_nft_new(&no);
	if (d->nft == NULL) {
		rc = -errno;
		snprintf(err, errlen, "nftables: %s", strerror(-rc));
		return rc;
	}
	rc = pd_nft_apply(d, d->ifs, d->n_ifs);
	if (rc < 0) {
		snprintf(err, errlen, "nftables: installing table ip %s: %s",
			 PH_NFT_TABLE_DEFAULT, strerror(-rc));
		return rc;
	}
	if (ph_nft_native_error(d->nft) != 0)
		ph_logsink_msg(
			d->log, LOG_INFO,
			"kernel refused the native queue expression (%s); "
			"using the xt NFQUEUE target via nft_compat",
			strerror(-ph_nft_native_error(d->nft)));
	rc = pd_shed_init(d); /* overload shedding (shed.c) */
	if (rc < 0)
		snprintf(err, errlen, "overload shedding: %s", strerror(-rc));
	return rc;
}

static int
setup_control(struct ph_daemon *d, char *err, size_t errlen)
{
	struct ph_control_opts co = { .path = d->cfg->ctl_path,
				      .ro_path = d->cfg->ctl_ro_path,
				      .group = d->cfg->ctl_gid,
				      .log = pd_ctl_log,
				      .log_arg = d };
	int rc;

	d->ctl = ph_control_new(&co);
	if (d->ctl == NULL) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: %s%s",
			 d->cfg->ctl_path ? d->cfg->ctl_path : PH_CTL_SOCK_PATH,
			 strerror(-rc),
			 rc == -EADDRINUSE ? " (another pinholed is running)"
					   : "");
		return rc;
	}
	return pd_show_register(d);
}

/* Everything after the policy and interfaces; err says what failed. */
static int
setup_system(struct ph_daemon *d, char *err, size_t errlen)
{
	int rc;

	rc = pd_loop_init(d);
	if (rc < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-rc));
		return rc;
	}
	rc = setup_engine(d);
	if (rc < 0) {
		snprintf(err, errlen, "engine: %s", strerror(-rc));
		return rc;
	}
	rc = setup_addrs(d, err, errlen);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "addresses: %s", strerror(-rc));
		return rc;
	}
	rc = setup_queue(d, err, errlen);
	if (rc < 0)
		return rc;
	rc = setup_control(d, err, errlen);
	if (rc < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "control: %s", strerror(-rc));
		return rc;
	}
	if (d->cfg->pidfile != NULL) {
		rc = pd_pidfile_write(d->cfg->pidfile);
		if (rc < 0) {
			snprintf(err, errlen, "pidfile %s: %s", d->cfg->pidfile,
				 strerror(-rc));
			return rc;
		}
	}
	return pd_privs_drop(d->cfg, err, errlen);
}

static void
teardown(struct ph_daemon *d)
{
	int rc;

	if (d->nft != NULL && d->nft_applied) {
		rc = ph_nft_teardown(d->nft);
		if (rc < 0)
			ph_logsink_msg(
				d->log, LOG_ERR,
				"removing table ip %s: %s (remove it with "
				"`nft delete table ip %s`)",
				PH_NFT_TABLE_DEFAULT, strerror(-rc),
				PH_NFT_TABLE_DEFAULT);
	}
	if (d->n_q > 0 && d->eng != NULL)
		pd_loop_drain_final(d);
	pd_shed_free(d);
	ph_nft_free(d->nft);
	for (size_t i = 0; i < d->n_q; i++)
		ph_nfq_close(d->q[i].nfq);
	if (d->nd != NULL) {
		rc = ph_netdev_addr_cleanup(d->nd);
		if (rc < 0)
			ph_logsink_msg(d->log, LOG_ERR,
				       "removing owned addresses: %s",
				       strerror(-rc));
	}
	ph_netdev_free(d->nd);
	ph_control_free(d->ctl);
	pd_loop_fini(d);
	ph_engine_free(d->eng);
	ph_policy_free(d->pol);
	if (d->cfg->pidfile != NULL)
		unlink(d->cfg->pidfile);
}

/* ---- daemonising ------------------------------------------------------ */

/*
 * Fork; the parent waits for one status byte from the child (0 = ready,
 * else the exit status) and exits with it.  Returns the pipe's write end
 * in the child, -1 in foreground mode.
 */
static int
daemonize(const struct ph_daemon_cfg *cfg)
{
	int p[2];
	pid_t pid;
	unsigned char st = 1;

	if (cfg->foreground)
		return -1;
	if (pipe2(p, O_CLOEXEC) < 0) {
		perror("pinholed: pipe");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("pinholed: fork");
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &st, 1) < 0 && errno == EINTR)
			;
		_exit(st);
	}
	close(p[0]);
	setsid();
	if (chdir("/") < 0)
		perror("pinholed: chdir /");
	return p[1];
}

/* Started: tell the parent (and systemd), detach from the terminal. */
static void
announce_ready(struct ph_daemon *d, int ready_fd)
{
	unsigned char ok = 0;
	char qr[8] = "";
	int null;

	if (d->n_q > 1)
		snprintf(qr, sizeof(qr), "%zu", d->cfg->queue + d->n_q - 1);

	ph_logsink_msg(d->log, LOG_NOTICE,
		       "started: %zu interface(s), queue %u%s%s (%s), %zu "
		       "owned address(es), rules %s",
		       d->n_ifs, d->cfg->queue, qr[0] ? "-" : "", qr,
		       ph_nft_method_name(ph_nft_method(d->nft)), d->n_addrs,
		       d->cfg->file);
	pd_sd_notify("READY=1");
	if (ready_fd < 0) {
		if (!d->cfg->debug)
			ph_logsink_set_stderr(d->log, false);
		return;
	}
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	ph_logsink_set_stderr(d->log, false);
	(void)!write(ready_fd, &ok, 1);
	close(ready_fd);
}

/* Load the rules and map the interfaces; print errors on stderr. */
static int
load_initial(struct ph_daemon *d)
{
	struct ph_diags *diags = NULL;
	char err[512];
	int rc;

	rc = pd_policy_load(d, d->cfg->file, &d->pol, &diags, err, sizeof(err));
	print_diags(diags);
	ph_diags_free(diags);
	if (rc < 0) {
		fprintf(stderr, "pinholed: %s\n", err);
		return rc;
	}
	rc = pd_ifaces_resolve(d->pol, d->ifs, &d->n_ifs, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "pinholed: %s: %s\n", d->cfg->file, err);
		ph_policy_free(d->pol); /* teardown() is not reached */
		d->pol = NULL;
		return rc;
	}
	return 0;
}

int
ph_daemon_run(const struct ph_daemon_cfg *cfg)
{
	struct ph_daemon_cfg c = *cfg;
	char path[PATH_MAX], err[512] = "";
	struct ph_logsink_opts lo = { .use_syslog = true, .to_stderr = true };
	struct ph_daemon *d;
	int ready_fd, rc, status = 1;

	if (realpath(cfg->file, path) == NULL) {
		fprintf(stderr, "pinholed: %s: %s\n", cfg->file,
			strerror(errno));
		return 1;
	}
	c.file = path;
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		fprintf(stderr, "pinholed: out of memory\n");
		return 1;
	}
	d->cfg = &c;
	d->epfd = d->sigfd = d->timerfd = -1;
	d->last_pidx = -1;
	d->log = ph_logsink_new(&lo);
	if (d->log == NULL || load_initial(d) < 0)
		goto out;
	ready_fd = daemonize(&c);
	d->started = d->now = pd_now();
	d->started_wall = time(NULL);
	rc = ph_logsink_configure(d->log, d->pol);
	if (rc == 0)
		rc = setup_system(d, err, sizeof(err));
	if (rc < 0) {
		ph_logsink_msg(d->log, LOG_ERR, "start-up failed: %s",
			       err[0] ? err : strerror(-rc));
		goto out_teardown;
	}
	announce_ready(d, ready_fd);
	rc = pd_loop_run(d);
	pd_sd_notify("STOPPING=1");
	ph_logsink_msg(d->log, LOG_NOTICE, "stopping%s%s", rc < 0 ? ": " : "",
		       rc < 0 ? strerror(-rc) : "");
	status = rc < 0 ? 1 : 0;
out_teardown:
	teardown(d);
	ph_logsink_msg(d->log, LOG_INFO, "stopped");
out:
	ph_logsink_free(d->log);
	free(d);
	return status;
}
