/*
 * daemon/logsink_show.c - `show logging` and `clear logging` as control
 * handlers (daemon/control.h).
 *
 * Layout after PIX 6.3's `show logging` (settings, then the buffered
 * lines, oldest first), plus pinhole's per-destination counters:
 *
 *	Syslog logging: enabled
 *	    Facility: 20
 *	    Timestamp logging: disabled
 *	    Console logging: disabled
 *	    Monitor logging: disabled
 *	    Buffer logging: level informational, 12 messages logged
 *	    Trap logging: level informational, 10 messages logged
 *	        Logging to outside 10.1.1.5 udp/514: 10 sent, 0 dropped
 *	    History logging: disabled
 *	    Device ID: disabled
 *	...
 *
 * The buffered lines are paged: the cursor is the absolute number of the
 * next line (ring pushes so far), so lines pushed or overwritten between
 * pages are neither repeated nor read from a reused slot.
 */
#include <inttypes.h>
#include <stdio.h>

#include "core/json.h"
#include "daemon/control.h"
#include "daemon/logsink_int.h"

static const char *const level_names[8] = { "emergencies",   "alerts",
					    "critical",	     "errors",
					    "warnings",	     "notifications",
					    "informational", "debugging" };

static const char *
level_name(int lvl)
{
	return lvl >= 0 && lvl < 8 ? level_names[lvl] : "disabled";
}

static void
text_level(struct ph_ctl_reply *r, const char *what, int lvl)
{
	if (lvl < 0)
		ph_ctl_reply_printf(r, "    %s logging: disabled\n", what);
	else
		ph_ctl_reply_printf(r, "    %s logging: level %s\n", what,
				    level_name(lvl));
}

static void
text_header(struct ph_logsink *s, struct ph_ctl_reply *r)
{
	struct ph_logsink_stats st;
	const struct ph_logging *lg = &s->lg;

	ph_logsink_stats(s, &st);
	ph_ctl_reply_printf(r,
			    "Syslog logging: %s\n    Facility: %u\n"
			    "    Timestamp logging: %s\n",
			    lg->on ? "enabled" : "disabled", lg->facility,
			    lg->timestamp ? "enabled" : "disabled");
	text_level(r, "Console", lg->console);
	text_level(r, "Monitor", lg->monitor);
	if (lg->buffered < 0)
		ph_ctl_reply_printf(r, "    Buffer logging: disabled\n");
	else
		ph_ctl_reply_printf(r,
				    "    Buffer logging: level %s, %" PRIu64
				    " messages logged, %" PRIu64
				    " overwritten\n",
				    level_name(lg->buffered), st.buffer.sent,
				    st.buffer.dropped);
	if (lg->trap < 0)
		ph_ctl_reply_printf(r, "    Trap logging: disabled\n");
	else
		ph_ctl_reply_printf(r,
				    "    Trap logging: level %s, %" PRIu64
				    " messages logged\n",
				    level_name(lg->trap), st.trap);
	for (unsigned i = 0; i < st.n_hosts; i++) {
		uint32_t a = st.host[i].addr;

		ph_ctl_reply_printf(
			r,
			"        Logging to %s %u.%u.%u.%u "
			"udp/%u: %" PRIu64 " sent, %" PRIu64 " dropped\n",
			st.host[i].ifname[0] ? st.host[i].ifname : "?", a >> 24,
			(a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff,
			st.host[i].port, st.host[i].c.sent,
			st.host[i].c.dropped);
	}
	text_level(r, "History", lg->history);
	if (s->devid[0])
		ph_ctl_reply_printf(r, "    Device ID: %s\n", s->devid);
	else
		ph_ctl_reply_printf(r, "    Device ID: disabled\n");
	ph_ctl_reply_printf(
		r,
		"    Queue: %u waiting, limit %u\n"
		"    Events: %" PRIu64 " seen, %" PRIu64
		" below every level, %" PRIu64
		" unformattable; syslog(3) %" PRIu64 " sent; stderr %" PRIu64
		" sent, %" PRIu64 " dropped\n",
		st.queued, s->qcap, st.events, st.filtered, st.bad_event,
		st.syslog.sent, st.err.sent, st.err.dropped);
}

static void
json_count(struct ph_json *j, const char *key, const struct ph_logsink_count *c)
{
	ph_json_obj_begin(j, key);
	ph_json_u64(j, "sent", c->sent);
	ph_json_u64(j, "dropped", c->dropped);
	ph_json_obj_end(j);
}

static void
json_header(struct ph_logsink *s, struct ph_json *j)
{
	struct ph_logsink_stats st;
	const struct ph_logging *lg = &s->lg;

	ph_logsink_stats(s, &st);
	ph_json_obj_begin(j, NULL);
	ph_json_bool(j, "enabled", lg->on);
	ph_json_u64(j, "facility", lg->facility);
	ph_json_bool(j, "timestamp", lg->timestamp);
	ph_json_i64(j, "trap", lg->trap);
	ph_json_i64(j, "buffered", lg->buffered);
	ph_json_str(j, "device_id", s->devid);
	ph_json_u64(j, "events", st.events);
	ph_json_u64(j, "filtered", st.filtered);
	ph_json_u64(j, "unformattable", st.bad_event);
	ph_json_u64(j, "trap_logged", st.trap);
	ph_json_u64(j, "queued", st.queued);
	json_count(j, "syslog", &st.syslog);
	json_count(j, "buffer", &st.buffer);
	json_count(j, "stderr", &st.err);
	ph_json_arr_begin(j, "hosts");
	for (unsigned i = 0; i < st.n_hosts; i++) {
		ph_json_obj_begin(j, NULL);
		ph_json_str(j, "interface", st.host[i].ifname);
		ph_json_ipv4(j, "address", st.host[i].addr);
		ph_json_u64(j, "port", st.host[i].port);
		ph_json_u64(j, "sent", st.host[i].c.sent);
		ph_json_u64(j, "dropped", st.host[i].c.dropped);
		ph_json_obj_end(j);
	}
	ph_json_arr_end(j);
	ph_json_arr_begin(j, "buffer_lines");
}

int
ph_logsink_show(void *arg, const struct ph_ctl_request *req,
		struct ph_ctl_reply *r)
{
	struct ph_logsink *s = arg;
	struct ph_json *j = req->json ? ph_ctl_reply_json(r) : NULL;
	uint64_t *next = ph_ctl_reply_cursor(r), base;
	struct ph_log_ring_stats rs;

	ph_log_ring_stats(s->ring, &rs);
	base = rs.pushed - rs.held;
	if (ph_ctl_reply_calls(r) == 0) {
		if (j != NULL)
			json_header(s, j);
		else
			text_header(s, r);
		next[0] = base;
	}
	if (next[0] < base)
		next[0] = base; /* overwritten while paging */
	for (; next[0] < rs.pushed; next[0]++) {
		const char *line;

		if (ph_ctl_reply_full(r)) {
			ph_ctl_reply_again(r);
			return PH_CTL_OK;
		}
		line = ph_log_ring_get(s->ring, (uint32_t)(next[0] - base));
		if (line == NULL)
			break;
		if (j != NULL)
			ph_json_str(j, NULL, line);
		else
			ph_ctl_reply_printf(r, "%s\n", line);
	}
	if (j != NULL) {
		ph_json_arr_end(j);
		ph_json_obj_end(j);
	}
	return PH_CTL_OK;
}

int
ph_logsink_clear(void *arg, const struct ph_ctl_request *req,
		 struct ph_ctl_reply *r)
{
	struct ph_logsink *s = arg;

	(void)req;
	ph_log_ring_clear(s->ring);
	(void)r;
	return PH_CTL_OK;
}
