/*
 * daemon/show.c - the table-reading `show` commands on the control socket:
 * show conn [detail], show xlate [detail], show access-list [NAME],
 * show running-config.  (Counters, logging, version and the write
 * commands are in show_stats.c and cmds.c.)
 *
 * Layouts are PIX 6.3's (reference s3.3): a "N in use, M most used" line,
 * then one line per entry from the engine's ph_show_*() formatters;
 * `show access-list` prints each ACE as written (the canonical text of
 * the running configuration) with "line N" and "(hitcnt=H)".  With -j the
 * same facts come as one JSON document.
 *
 * Paging: the engine's cursors let a handler stop when the client's
 * buffer is half full and resume where it was (ph_ctl_reply_again), so a
 * large table costs the packet path one page at a time.  Cursor words:
 * [0] phase, [1] position, [2] policy generation (output that spans a
 * reload ends with an error instead of mixing two configurations).
 *
 * Known limits: `show access-list` has no "cached ACL log flows" header
 * (the engine does not expose the 106100 flow table) and shows ACEs that
 * use object-groups once, as written, with their shared counter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/show.h"

#define CUR_PHASE 0
#define CUR_POS	  1
#define CUR_GEN	  2

static const char conn_legend[] =
	"Flags: A - awaiting inside ACK to SYN, a - awaiting outside ACK "
	"to SYN,\n"
	"       B - initial SYN from outside, D - DNS, d - dump,\n"
	"       E - outside back connection, F - outside FIN, f - inside "
	"FIN,\n"
	"       G - group, H - H.323, I - inbound data, M - SMTP data,\n"
	"       O - outbound data, P - inside back connection,\n"
	"       q - SQL*Net data, R - outside acknowledged FIN,\n"
	"       R - UDP RPC, r - inside acknowledged FIN, S - awaiting "
	"inside SYN,\n"
	"       s - awaiting outside SYN, U - up\n";

static const char xlate_legend[] =
	"Flags: D - DNS, d - dump, I - identity, i - dynamic, n - no random,"
	"\n       r - portmap, s - static\n";

/* First call: remember the policy generation; later: check it. */
int
pd_show_gen_check(struct ph_daemon *d, struct ph_ctl_reply *r)
{
	uint64_t *cur = ph_ctl_reply_cursor(r);

	if (ph_ctl_reply_calls(r) == 0) {
		cur[CUR_GEN] = d->pol_gen;
		return PH_CTL_OK;
	}
	if (cur[CUR_GEN] != d->pol_gen)
		return ph_ctl_reply_error(r, PH_CTL_E_FAILED,
					  "ERROR: %% The configuration was "
					  "reloaded during the output; run "
					  "the command again");
	return PH_CTL_OK;
}

static const char *
proto_text(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 47:
		return "gre";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

/* ---- show conn -------------------------------------------------------- */

static void
conn_json(struct ph_json *j, const struct ph_conn_info *ci)
{
	char pb[8];

	ph_json_obj_begin(j, NULL);
	ph_json_u64(j, "id", ci->id);
	ph_json_str(j, "proto", proto_text(ci->proto, pb, sizeof(pb)));
	ph_json_str(j, "direction", ci->inbound ? "inbound" : "outbound");
	ph_json_str(j, "out_if", ci->out_if);
	ph_json_ipv4(j, "faddr", ci->faddr);
	ph_json_u64(j, "fport", ci->fport);
	ph_json_str(j, "in_if", ci->in_if);
	ph_json_ipv4(j, "laddr", ci->laddr);
	ph_json_u64(j, "lport", ci->lport);
	ph_json_ipv4(j, "gaddr", ci->gaddr);
	ph_json_u64(j, "gport", ci->gport);
	ph_json_u64(j, "idle_sec", ci->idle_sec);
	ph_json_u64(j, "uptime_sec", ci->uptime_sec);
	ph_json_u64(j, "timeout_sec", ci->timeout_sec);
	ph_json_str(j, "timeout_class", ci->tclass);
	ph_json_u64(j, "bytes", ci->bytes);
	ph_json_u64(j, "bytes_out", ci->bytes_out);
	ph_json_u64(j, "bytes_in", ci->bytes_in);
	ph_json_u64(j, "pkts_out", ci->pkts_out);
	ph_json_u64(j, "pkts_in", ci->pkts_in);
	ph_json_str(j, "flags", ci->flags);
	ph_json_obj_end(j);
}

static void
conn_head(struct ph_daemon *d, const struct ph_ctl_request *req,
	  struct ph_ctl_reply *r)
{
	struct ph_engine_counters c;
	char line[96];

	ph_engine_counters(d->eng, &c);
	if (req->json) {
		struct ph_json *j = ph_ctl_reply_json(r);

		ph_json_obj_begin(j, NULL);
		ph_json_u64(j, "in_use", c.conns_in_use);
		ph_json_u64(j, "most_used", c.conns_most_used);
		ph_json_u64(j, "max", c.conns_max);
		ph_json_arr_begin(j, "connections");
		return;
	}
	ph_show_count_line(c.conns_in_use, c.conns_most_used, line,
			   sizeof(line));
	ph_ctl_reply_printf(r, "%s\n", line);
	if (req->detail)
		ph_ctl_reply_append(r, conn_legend, sizeof(conn_legend) - 1);
}

/*
 * A table that may not fit one reply: its head once, then one row per
 * call of row() (false when the table is done), page by page.
 */
typedef void (*show_head_fn)(struct ph_daemon *d,
			     const struct ph_ctl_request *req,
			     struct ph_ctl_reply *r);
typedef bool (*show_row_fn)(struct ph_daemon *d,
			    const struct ph_ctl_request *req,
			    struct ph_ctl_reply *r, uint64_t *pos,
			    ph_time_t now);

static int
show_paged(struct ph_daemon *d, const struct ph_ctl_request *req,
	   struct ph_ctl_reply *r, show_head_fn head, show_row_fn row)
{
	uint64_t *cur = ph_ctl_reply_cursor(r);
	ph_time_t now = pd_now();

	if (cur[CUR_PHASE] == 0) {
		head(d, req, r);
		cur[CUR_PHASE] = 1;
	}
	while (!ph_ctl_reply_full(r)) {
		if (row(d, req, r, &cur[CUR_POS], now))
			continue;
		if (req->json) {
			ph_json_arr_end(ph_ctl_reply_json(r));
			ph_json_obj_end(ph_ctl_reply_json(r));
		}
		return PH_CTL_OK;
	}
	ph_ctl_reply_again(r);
	return PH_CTL_OK;
}

static bool
conn_row(struct ph_daemon *d, const struct ph_ctl_request *req,
	 struct ph_ctl_reply *r, uint64_t *pos, ph_time_t now)
{
	struct ph_conn_info ci;
	char line[512];

	if (!ph_engine_conn_next(d->eng, pos, now, &ci))
		return false;
	if (req->json) {
		conn_json(ph_ctl_reply_json(r), &ci);
		return true;
	}
	ph_show_conn_line(&ci, req->detail, line, sizeof(line));
	ph_ctl_reply_printf(r, "%s\n", line);
	return true;
}

static int
h_show_conn(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	return show_paged(arg, req, r, conn_head, conn_row);
}

/* ---- show xlate ------------------------------------------------------- */

static const char *const xi_kind[] = { "static", "static-pat", "dynamic",
				       "pat" };

static void
xlate_json(struct ph_json *j, const struct ph_xlate_info *xi)
{
	char pb[8];

	ph_json_obj_begin(j, NULL);
	ph_json_str(j, "kind", xi->kind < 4 ? xi_kind[xi->kind] : "?");
	if (xi->kind == PH_XI_STATIC_PAT || xi->kind == PH_XI_PAT)
		ph_json_str(j, "proto", proto_text(xi->proto, pb, sizeof(pb)));
	ph_json_str(j, "local_if", xi->local_if);
	ph_json_ipv4(j, "laddr", xi->laddr);
	ph_json_u64(j, "lport", xi->lport);
	ph_json_str(j, "global_if", xi->global_if);
	ph_json_ipv4(j, "gaddr", xi->gaddr);
	ph_json_u64(j, "gport", xi->gport);
	ph_json_ipv4(j, "mask", xi->mask);
	ph_json_u64(j, "nconns", xi->nconns);
	ph_json_u64(j, "idle_sec", xi->idle_sec);
	ph_json_u64(j, "uptime_sec", xi->uptime_sec);
	ph_json_obj_end(j);
}

static void
xlate_head(struct ph_daemon *d, const struct ph_ctl_request *req,
	   struct ph_ctl_reply *r)
{
	struct ph_engine_counters c;
	char line[96];

	ph_engine_counters(d->eng, &c);
	if (req->json) {
		struct ph_json *j = ph_ctl_reply_json(r);

		ph_json_obj_begin(j, NULL);
		ph_json_u64(j, "in_use", c.xlates_in_use + c.statics);
		ph_json_u64(j, "most_used", c.xlates_most_used + c.statics);
		ph_json_u64(j, "dynamic_in_use", c.xlates_in_use);
		ph_json_u64(j, "statics", c.statics);
		ph_json_arr_begin(j, "xlates");
		return;
	}
	ph_show_count_line(c.xlates_in_use + c.statics,
			   c.xlates_most_used + c.statics, line, sizeof(line));
	ph_ctl_reply_printf(r, "%s\n", line);
	if (req->detail)
		ph_ctl_reply_append(r, xlate_legend, sizeof(xlate_legend) - 1);
}

static bool
xlate_row(struct ph_daemon *d, const struct ph_ctl_request *req,
	  struct ph_ctl_reply *r, uint64_t *pos, ph_time_t now)
{
	struct ph_xlate_info xi;
	char line[512];

	if (!ph_engine_xlate_next(d->eng, pos, now, &xi))
		return false;
	if (req->json) {
		xlate_json(ph_ctl_reply_json(r), &xi);
		return true;
	}
	ph_show_xlate_line(&xi, req->detail, line, sizeof(line));
	ph_ctl_reply_printf(r, "%s\n", line);
	return true;
}

static int
h_show_xlate(void *arg, const struct ph_ctl_request *req,
	     struct ph_ctl_reply *r)
{
	return show_paged(arg, req, r, xlate_head, xlate_row);
}

/* ---- show access-list ------------------------------------------------- */

/* State of the walk over the canonical text's access-list lines. */
struct acl_walk {
	int acl;	/* ACL of the current line, -1 none */
	uint32_t line;	/* its `line N` */
	uint32_t slot;	/* hit slot of the next ACE */
	int prev;	/* ACL of the previous access-list line */
	bool json_open; /* an ACL object is open in the JSON */
};

/* ACL index of "access-list NAME ..." (NAME the second word), or -1. */
static int
acl_of_line(const struct ph_policy *pol, const char *s, size_t n,
	    const char **rest)
{
	const char *name = s + 12, *sp;
	size_t k;

	if (n < 13 || strncmp(s, "access-list ", 12) != 0)
		return -1;
	sp = memchr(name, ' ', n - 12);
	if (sp == NULL)
		return -1;
	k = (size_t)(sp - name);
	for (size_t i = 0; i < pol->n_acls; i++)
		if (strlen(pol->acls[i].name) == k &&
		    memcmp(pol->acls[i].name, name, k) == 0) {
			*rest = sp + 1;
			return (int)i;
		}
	return -1;
}

static void
acl_header(struct ph_daemon *d, const struct ph_ctl_request *req,
	   struct ph_ctl_reply *r, struct acl_walk *w)
{
	const struct ph_acl *a = &d->pol->acls[w->acl];

	if (!req->json) {
		ph_ctl_reply_printf(r, "access-list %s; %u elements\n", a->name,
				    a->count);
		return;
	}
	if (w->json_open) {
		ph_json_arr_end(ph_ctl_reply_json(r));
		ph_json_obj_end(ph_ctl_reply_json(r));
	}
	ph_json_obj_begin(ph_ctl_reply_json(r), NULL);
	ph_json_str(ph_ctl_reply_json(r), "name", a->name);
	ph_json_u64(ph_ctl_reply_json(r), "elements", a->count);
	ph_json_bool(ph_ctl_reply_json(r), "applied", a->applied);
	ph_json_arr_begin(ph_ctl_reply_json(r), "entries");
	w->json_open = true;
}

static bool
is_remark(const char *rest, size_t n)
{
	return n >= 6 && strncmp(rest, "remark", 6) == 0 &&
	       (n == 6 || rest[6] == ' ');
}

static void
acl_entry(struct ph_daemon *d, const struct ph_ctl_request *req,
	  struct ph_ctl_reply *r, const struct acl_walk *w, const char *rest,
	  size_t n)
{
	const char *name = d->pol->acls[w->acl].name;
	bool remark = is_remark(rest, n);
	uint64_t hits = remark ? 0 : ph_engine_acl_hits(d->eng, w->slot);

	if (req->json) {
		struct ph_json *j = ph_ctl_reply_json(r);

		ph_json_obj_begin(j, NULL);
		ph_json_u64(j, "line", w->line);
		ph_json_strn(j, "text", rest, n);
		if (!remark)
			ph_json_u64(j, "hitcnt", hits);
		ph_json_obj_end(j);
	} else if (remark) {
		ph_ctl_reply_printf(r, "access-list %s line %u %.*s\n", name,
				    w->line, (int)n, rest);
	} else {
		ph_ctl_reply_printf(r,
				    "access-list %s line %u %.*s (hitcnt=%llu)"
				    "\n",
				    name, w->line, (int)n, rest,
				    (unsigned long long)hits);
	}
}

/*
 * Walk the canonical text: an ACL's lines are consecutive, in their final
 * order, so the k-th line is `line k` and the non-remark ones take the
 * hit slots hit_base, hit_base + 1, ...  Print the lines at or after byte
 * cur[POS] (of ACL `only`, or all when -1) until the reply is full.
 * Returns true when the walk is complete.
 */
static bool
acl_walk_text(struct ph_daemon *d, const struct ph_ctl_request *req,
	      struct ph_ctl_reply *r, const char *text, int only)
{
	uint64_t *cur = ph_ctl_reply_cursor(r);
	struct acl_walk w = { .acl = -1, .prev = -1 };
	const char *p, *next, *rest = NULL;

	w.json_open = cur[CUR_PHASE] == 2;
	for (p = text; *p != '\0'; p = next) {
		size_t n = strcspn(p, "\n"), rn;
		int a = acl_of_line(d->pol, p, n, &rest);

		next = p + n + (p[n] == '\n');
		if (a < 0)
			continue;
		rn = n - (size_t)(rest - p);
		if (a != w.prev) {
			w.line = 0;
			w.slot = d->pol->acls[a].hit_base;
			w.prev = a;
		}
		w.line++;
		w.acl = a;
		if ((only < 0 || a == only) &&
		    (uint64_t)(p - text) >= cur[CUR_POS]) {
			if (ph_ctl_reply_full(r)) {
				cur[CUR_POS] = (uint64_t)(p - text);
				cur[CUR_PHASE] = w.json_open ? 2 : 1;
				return false;
			}
			if (w.line == 1)
				acl_header(d, req, r, &w);
			acl_entry(d, req, r, &w, rest, rn);
		}
		if (!is_remark(rest, rn))
			w.slot++;
	}
	if (req->json && w.json_open) {
		ph_json_arr_end(ph_ctl_reply_json(r));
		ph_json_obj_end(ph_ctl_reply_json(r));
	}
	return true;
}

int
pd_acl_arg(struct ph_daemon *d, const struct ph_ctl_request *req,
	   struct ph_ctl_reply *r, int *idx)
{
	*idx = -1;
	if (req->arg[0] == '\0')
		return PH_CTL_OK;
	for (size_t i = 0; i < d->pol->n_acls; i++)
		if (strcmp(d->pol->acls[i].name, req->arg) == 0) {
			*idx = (int)i;
			return PH_CTL_OK;
		}
	return ph_ctl_reply_error(r, PH_CTL_E_FAILED,
				  "ERROR: %% access-list %s does not exist",
				  req->arg);
}

static int
h_show_acl(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	int only = -1, st;
	char *text;
	bool done;

	st = pd_show_gen_check(d, r);
	if (st != PH_CTL_OK)
		return st;
	st = pd_acl_arg(d, req, r, &only);
	if (st != PH_CTL_OK)
		return st;
	text = ph_policy_print(d->pol);
	if (text == NULL)
		return ph_ctl_reply_error(r, PH_CTL_E_INTERNAL,
					  "ERROR: %% Out of memory");
	if (req->json && ph_ctl_reply_calls(r) == 0) {
		ph_json_obj_begin(ph_ctl_reply_json(r), NULL);
		ph_json_arr_begin(ph_ctl_reply_json(r), "access_lists");
	}
	done = acl_walk_text(d, req, r, text, only);
	free(text);
	if (!done) {
		ph_ctl_reply_again(r);
		return PH_CTL_OK;
	}
	if (req->json) {
		ph_json_arr_end(ph_ctl_reply_json(r));
		ph_json_obj_end(ph_ctl_reply_json(r));
	}
	return PH_CTL_OK;
}

/* ---- show running-config ---------------------------------------------- */

static int
h_show_run(void *arg, const struct ph_ctl_request *req, struct ph_ctl_reply *r)
{
	struct ph_daemon *d = arg;
	uint64_t *cur = ph_ctl_reply_cursor(r);
	size_t len, off, page;
	char *text;
	int st;

	st = pd_show_gen_check(d, r);
	if (st != PH_CTL_OK)
		return st;
	text = ph_policy_print(d->pol);
	if (text == NULL)
		return ph_ctl_reply_error(r, PH_CTL_E_INTERNAL,
					  "ERROR: %% Out of memory");
	len = strlen(text);
	off = cur[CUR_POS] < len ? (size_t)cur[CUR_POS] : len;
	page = len - off > PD_SHOW_PAGE ? PD_SHOW_PAGE : len - off;
	if (req->json) {
		/* one string value; the JSON writer keeps it whole */
		ph_json_obj_begin(ph_ctl_reply_json(r), NULL);
		ph_json_str(ph_ctl_reply_json(r), "file", d->cfg->file);
		ph_json_strn(ph_ctl_reply_json(r), "running_config", text, len);
		ph_json_obj_end(ph_ctl_reply_json(r));
		free(text);
		return PH_CTL_OK;
	}
	ph_ctl_reply_append(r, text + off, page);
	free(text);
	cur[CUR_POS] = off + page;
	if (cur[CUR_POS] < len)
		ph_ctl_reply_again(r);
	return PH_CTL_OK;
}

int
pd_show_register(struct ph_daemon *d)
{
	static const struct {
		unsigned cmd;
		ph_ctl_handler fn;
	} tab[] = {
		{ PH_CTL_CMD_SHOW_CONN, h_show_conn },
		{ PH_CTL_CMD_SHOW_XLATE, h_show_xlate },
		{ PH_CTL_CMD_SHOW_ACCESS_LIST, h_show_acl },
		{ PH_CTL_CMD_SHOW_RUNNING_CONFIG, h_show_run },
	};
	int rc;

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		rc = ph_control_register(d->ctl, tab[i].cmd, tab[i].fn, d);
		if (rc < 0)
			return rc;
	}
	rc = pd_stats_register(d);
	if (rc < 0)
		return rc;
	return pd_cmds_register(d);
}
