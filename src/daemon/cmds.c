/*
 * daemon/cmds.c - the control commands that change state: clear xlate,
 * clear conn, clear counters, clear access-list [NAME] counters, clear
 * service-policy, reload [FILE], and the `debug pptp` stream (`clear
 * logging` is logsink.c's).  As on a PIX, `clear counters` zeroes the
 * packet counters of `show counters` only; ACL hit counts and inspection
 * counters have their own clear commands.  The control module refuses
 * all of them on the read-only socket and logs who ran them.
 *
 * `debug pptp` switches the engine's PPTP decoder on and streams its
 * lines to every follower; when the last follower is gone (it closed, or
 * `no debug pptp` / `undebug all` ended the streams) the one-second timer
 * switches the decoder off again (pd_debug_tick()), since the engine's
 * sink must not call back into the engine.
 */
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "daemon/logsink.h"
#include "daemon/show.h"

static int
h_clear_xlate(void *arg, const struct ph_ctl_request *req,
	      struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	unsigned n;

	(void)req;
	d->now = pd_now();
	n = ph_engine_clear_xlate(d->eng, d->now);
	pd_release_held(d);
	ph_logsink_msg(d->log, LOG_NOTICE,
		       "clear xlate: %u translation(s) removed", n);
	ph_ctl_reply_printf(r, "%u translation(s) cleared\n", n);
	return PH_CTL_OK;
}

static int
h_clear_conn(void *arg, const struct ph_ctl_request *req,
	     struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	unsigned n;

	(void)req;
	d->now = pd_now();
	n = ph_engine_clear_conn(d->eng, d->now);
	pd_release_held(d);
	ph_logsink_msg(d->log, LOG_NOTICE,
		       "clear conn: %u connection(s) removed", n);
	ph_ctl_reply_printf(r, "%u connection(s) cleared\n", n);
	return PH_CTL_OK;
}

static int
h_clear_counters(void *arg, const struct ph_ctl_request *req,
		 struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;

	(void)req;
	ph_engine_counters(d->eng, &d->eng_base);
	for (size_t i = 0; i < d->n_q; i++)
		pd_queue_stats(d, i, &d->q[i].base);
	d->ctr_base = d->ctr;
	ph_logsink_msg(d->log, LOG_NOTICE, "clear counters");
	ph_ctl_reply_printf(r, "counters cleared\n");
	return PH_CTL_OK;
}

/*
 * `clear access-list [NAME] counters` (PIX/ASA): the hit counts of
 * `show access-list`, which `clear counters` leaves alone as on a PIX.
 */
static int
h_clear_acl(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	int acl, st = pd_acl_arg(d, req, r, &acl);

	if (st != PH_CTL_OK)
		return st;
	if (ph_engine_acl_hits_clear(d->eng, acl) < 0)
		return ph_ctl_reply_error(r, PH_CTL_E_INTERNAL,
					  "ERROR: %% Internal error clearing "
					  "the hit counts");
	ph_logsink_msg(d->log, LOG_NOTICE, "clear access-list %s%scounters",
		       req->arg, req->arg[0] ? " " : "");
	ph_ctl_reply_printf(r, "hit counts of %s%s cleared\n",
			    acl < 0 ? "every access list" : "access-list ",
			    acl < 0 ? "" : req->arg);
	return PH_CTL_OK;
}

/* `clear service-policy [inspect pptp]` (ASA): the inspection counters
 * of `show service-policy inspect pptp`. */
static int
h_clear_service_policy(void *arg, const struct ph_ctl_request *req,
		       struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;

	(void)req;
	ph_engine_pptp_counters_clear(d->eng);
	ph_logsink_msg(d->log, LOG_NOTICE, "clear service-policy");
	ph_ctl_reply_printf(r, "PPTP inspection counters cleared\n");
	return PH_CTL_OK;
}

/* Reload progress goes into the reply, one record per call. */
static void
reload_report(void *arg, int sev, const char *text)
{
	struct ph_ctl_reply *r = arg;
	size_t n = strlen(text);

	(void)sev;
	ph_ctl_reply_append(r, text, n);
	if (n == 0 || text[n - 1] != '\n')
		ph_ctl_reply_append(r, "\n", 1);
}

/*
 * `reload FILE` makes the daemon read FILE with its own privileges and
 * echo the lines it cannot parse, so it is for uid 0 only; members of
 * the socket's group may reload the configured file.
 */
static int
h_reload(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	int rc;

	if (req->arg[0] != '\0' && ph_ctl_reply_peer(r)->uid != 0)
		return ph_ctl_reply_error(r, PH_CTL_E_DENIED,
					  "ERROR: %% reload FILE is for root "
					  "only; 'reload' reads %s",
					  d->cfg->file);
	rc = pd_reload(d, req->arg[0] ? req->arg : NULL, reload_report, r);
	if (rc < 0)
		return ph_ctl_reply_error(r, PH_CTL_E_FAILED,
					  "ERROR: %% Reload failed; the "
					  "running configuration is "
					  "unchanged");
	return PH_CTL_OK;
}

/* The engine's debug sink: runs inside ph_engine_process(). */
static void
pptp_debug_line(void *arg, const char *line)
{
	struct ph_daemon *d = arg;
	char buf[1024];
	int n;

	if (!ph_control_stream_active(d->ctl, PH_CTL_STREAM_PPTP))
		return; /* the timer switches the decoder off */
	n = snprintf(buf, sizeof(buf), "%s\n", line);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	ph_control_stream(d->ctl, PH_CTL_STREAM_PPTP, buf, (size_t)n);
}

static int
h_debug_pptp(void *arg, const struct ph_ctl_request *req,
	     struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;

	(void)req;
	ph_engine_set_pptp_debug(d->eng, pptp_debug_line, d);
	d->pptp_debug = true;
	ph_ctl_reply_printf(r, "debug pptp enabled; interrupt to stop\n");
	return PH_CTL_OK;
}

void
pd_debug_tick(struct ph_daemon *d)
{
	if (!d->pptp_debug ||
	    ph_control_stream_active(d->ctl, PH_CTL_STREAM_PPTP))
		return;
	ph_engine_set_pptp_debug(d->eng, NULL, NULL);
	d->pptp_debug = false;
}

int
pd_cmds_register(struct ph_daemon *d)
{
	static const struct {
		unsigned cmd;
		ph_ctl_handler fn;
	} tab[] = {
		{ PH_CTL_CMD_CLEAR_XLATE, h_clear_xlate },
		{ PH_CTL_CMD_CLEAR_CONN, h_clear_conn },
		{ PH_CTL_CMD_CLEAR_COUNTERS, h_clear_counters },
		{ PH_CTL_CMD_CLEAR_ACCESS_LIST, h_clear_acl },
		{ PH_CTL_CMD_CLEAR_SERVICE_POLICY, h_clear_service_policy },
		{ PH_CTL_CMD_RELOAD, h_reload },
		{ PH_CTL_CMD_DEBUG_PPTP, h_debug_pptp },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		int rc = ph_control_register(d->ctl, tab[i].cmd, tab[i].fn, d);

		if (rc < 0)
			return rc;
	}
	return 0;
}
