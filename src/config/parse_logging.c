/*
 * config/parse_logging.c - the `logging` family (PIX 6.3 syntax):
 *   logging on | enable, timestamp, standby
 *   logging {trap|console|buffered|monitor|history} LEVEL
 *   logging facility 16..23, logging queue N
 *   logging host [IF] IP [udp/PORT | tcp/PORT]
 *   logging device-id {hostname | ipaddress IF | string TEXT}
 * and their `no` forms.  Levels are numbers 0..7 or names (emergencies ..
 * debugging).  `logging message`, `permit-hostdown`, `rate-limit`, `asdm`,
 * `buffer-size` and `emblem` are accepted and kept, with no effect.
 *
 * Known limit: at most PH_LOGHOSTS_MAX hosts.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg.h"

static const char *const noeffect_sub[] = {
	"asdm",	   "buffer-size",     "emblem",
	"message", "permit-hostdown", "rate-limit",
};

static int8_t *
level_slot(struct cfg_logging *l, const char *kw)
{
	if (strcasecmp(kw, "trap") == 0)
		return &l->trap;
	if (strcasecmp(kw, "console") == 0)
		return &l->console;
	if (strcasecmp(kw, "buffered") == 0)
		return &l->buffered;
	if (strcasecmp(kw, "monitor") == 0)
		return &l->monitor;
	if (strcasecmp(kw, "history") == 0)
		return &l->history;
	return NULL;
}

/* "udp/514", "tcp/1470", "17/514", "6/1470" */
static int
parse_hostport(struct cfg_parser *p, struct cfg_loghost *h)
{
	const char *t = cfg_peek(p), *slash;
	size_t at = p->pos;
	uint32_t port;

	h->proto = 17;
	h->port = 514;
	if (t == NULL)
		return 0;
	slash = strchr(t, '/');
	if (slash == NULL)
		return 0;
	p->pos++;
	if (strncasecmp(t, "udp/", 4) == 0 || strncmp(t, "17/", 3) == 0)
		h->proto = 17;
	else if (strncasecmp(t, "tcp/", 4) == 0 || strncmp(t, "6/", 2) == 0)
		h->proto = 6;
	else {
		cfg_err(p, at,
			"bad protocol in '%s': expected udp/PORT or "
			"tcp/PORT",
			t);
		return -1;
	}
	if (cfg_parse_u32(slash + 1, 1, 65535, &port) < 0) {
		cfg_err(p, at, "bad port in '%s' (1-65535)", t);
		return -1;
	}
	h->port = (uint16_t)port;
	return 0;
}

static void
log_host(struct cfg_parser *p, struct cfg_logging *l)
{
	struct cfg_loghost h = { 0 };
	const char *t = cfg_peek(p);
	uint32_t a;
	int found = -1;

	if (t && cfg_parse_ip(t, &a) < 0 && p->pos + 1 < p->ntok) {
		if (cfg_ifname(p, &h.ifr) < 0)
			return;
	} else {
		/* PIX 6: the interface defaults to inside */
		h.ifr.name = cfg_strdup(p, "inside");
		if (h.ifr.name == NULL)
			return;
		h.ifr.pos = p->tok[p->pos < p->ntok ? p->pos : 0].pos;
		h.ifr.idx = PH_IF_NONE;
	}
	if (cfg_ip(p, &h.addr, NULL) < 0 || parse_hostport(p, &h) < 0)
		goto out;
	if (cfg_accept(p, "format") && cfg_expect(p, "emblem") < 0)
		goto out;
	if (cfg_end(p) < 0)
		goto out;
	for (int i = 0; i < l->n_hosts; i++)
		if (l->hosts[i].addr == h.addr &&
		    strcmp(l->hosts[i].ifr.name, h.ifr.name) == 0)
			found = i;
	if (p->negated) {
		if (found >= 0) {
			free(l->hosts[found].ifr.name);
			memmove(&l->hosts[found], &l->hosts[found + 1],
				(size_t)(l->n_hosts - found - 1) * sizeof(h));
			l->n_hosts--;
		}
		goto out;
	}
	if (found >= 0) {
		free(l->hosts[found].ifr.name);
		l->hosts[found] = h;
		return;
	}
	if (l->n_hosts >= PH_LOGHOSTS_MAX) {
		cfg_err(p, 0, "too many logging hosts (limit %d)",
			PH_LOGHOSTS_MAX);
		goto out;
	}
	l->hosts[l->n_hosts++] = h;
	return;
out:
	free(h.ifr.name);
}

static void
log_devid(struct cfg_parser *p, struct cfg_logging *l)
{
	struct cfg_ifref r = { 0 };
	char *text = NULL;
	uint8_t kind;

	if (p->negated) {
		if (cfg_end(p) < 0)
			return;
		kind = PH_DEVID_NONE;
	} else if (cfg_accept(p, "hostname")) {
		if (cfg_end(p) < 0)
			return;
		kind = PH_DEVID_HOSTNAME;
	} else if (cfg_accept(p, "ipaddress")) {
		if (cfg_ifname(p, &r) < 0)
			return;
		if (cfg_end(p) < 0) {
			free(r.name);
			return;
		}
		kind = PH_DEVID_IPADDRESS;
	} else if (cfg_accept(p, "string")) {
		if (cfg_at_end(p)) {
			cfg_err(p, p->pos, "missing device-id string");
			return;
		}
		text = cfg_join(p, p->pos);
		if (text == NULL || strlen(text) >= PH_NAME_MAX ||
		    strchr(text, ' ')) {
			cfg_err(p, p->pos,
				"device-id string must be one word "
				"of at most %d characters",
				PH_NAME_MAX - 1);
			free(text);
			return;
		}
		kind = PH_DEVID_STRING;
	} else {
		cfg_err(p, p->pos,
			"expected hostname, ipaddress IF or string "
			"TEXT");
		return;
	}
	free(l->devid_if.name);
	free(l->devid);
	l->devid_kind = kind;
	l->devid_if = r;
	l->devid = text;
}

static void
log_extra(struct cfg_parser *p, struct cfg_logging *l, const char *kw)
{
	char *text = cfg_join(p, 0);
	char **ne;

	if (text == NULL) {
		p->oom = true;
		return;
	}
	ne = vec_grow(l->extra, &l->cap_extra, l->n_extra, sizeof(*ne));
	if (ne == NULL || l->n_extra >= PH_CFG_MAX_ITEMS) {
		free(text);
		if (ne == NULL)
			p->oom = true;
		else
			cfg_err(p, 0, "too many logging lines");
		return;
	}
	l->extra = ne;
	l->extra[l->n_extra++] = text;
	cfg_note(p, 0, "'logging %s': no effect on this platform", kw);
}

static void
log_flag(struct cfg_parser *p, bool *flag)
{
	if (cfg_end(p) == 0)
		*flag = !p->negated;
}

/* `logging ...` and `no logging ...` */
void
parse_logging(struct cfg_parser *p)
{
	struct cfg_logging *l = &p->src->log;
	const char *kw;
	size_t at = p->pos;
	int8_t *slot;
	uint32_t v;

	if (cfg_word(p, "logging option", &kw) < 0)
		return;
	slot = level_slot(l, kw);
	if (slot) {
		int8_t lvl;

		if (p->negated) {
			if (!cfg_at_end(p) && cfg_level(p, &lvl) < 0)
				return;
			if (cfg_end(p) == 0)
				*slot = -1;
			return;
		}
		if (cfg_level(p, &lvl) == 0 && cfg_end(p) == 0)
			*slot = lvl;
		return;
	}
	if (strcasecmp(kw, "on") == 0 || strcasecmp(kw, "enable") == 0)
		log_flag(p, &l->on);
	else if (strcasecmp(kw, "timestamp") == 0)
		log_flag(p, &l->timestamp);
	else if (strcasecmp(kw, "standby") == 0)
		log_flag(p, &l->standby);
	else if (strcasecmp(kw, "facility") == 0) {
		if (p->negated) {
			if (!cfg_at_end(p) &&
			    cfg_u32(p, "facility", 16, 23, &v) < 0)
				return;
			if (cfg_end(p) == 0)
				l->facility = 20;
		} else if (cfg_u32(p, "facility", 16, 23, &v) == 0 &&
			   cfg_end(p) == 0)
			l->facility = (uint8_t)v;
	} else if (strcasecmp(kw, "queue") == 0) {
		if (p->negated) {
			if (!cfg_at_end(p) &&
			    cfg_u32(p, "queue size", 0, 8192, &v) < 0)
				return;
			if (cfg_end(p) == 0)
				l->queue = 512;
		} else if (cfg_u32(p, "queue size", 0, 8192, &v) == 0 &&
			   cfg_end(p) == 0)
			l->queue = v;
	} else if (strcasecmp(kw, "host") == 0)
		log_host(p, l);
	else if (strcasecmp(kw, "device-id") == 0)
		log_devid(p, l);
	else {
		for (size_t i = 0;
		     i < sizeof(noeffect_sub) / sizeof(*noeffect_sub); i++) {
			if (strcasecmp(kw, noeffect_sub[i]) == 0) {
				log_extra(p, l, noeffect_sub[i]);
				return;
			}
		}
		cfg_err(p, at, "unknown logging option '%s'", kw);
	}
}
