/*
 * config/print.c - the canonical configuration (`pinholed -t -p`, later
 * `show running-config`).
 *
 * Commands come out in PIX `write terminal` order (enum cfg_sec), in file
 * order within a kind, one command per line, with normalised spacing and
 * keyword spelling and without prompts or `write terminal` framing.  The
 * state PIX always shows is printed explicitly even when the file did not
 * say it: nameif (the snippet defaults too), hostname, the logging
 * settings, mtu of every interface and every timeout.  Parsing the output
 * gives a policy that prints the same text (tests/config/run-goldens.sh
 * checks this for every file under rules/).
 */
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

static void
put_lines(struct strbuf *sb, const struct ph_policy_src *src, uint8_t sec)
{
	for (size_t i = 0; i < src->n_lines; i++)
		if (src->lines[i].sec == sec)
			sb_printf(sb, "%s\n", src->lines[i].text);
}

static void
print_level(struct strbuf *sb, const char *kw, int8_t lvl)
{
	if (lvl < 0) {
		sb_printf(sb, "no logging %s\n", kw);
		return;
	}
	sb_printf(sb, "logging %s ", kw);
	fmt_level(sb, lvl);
	sb_putc(sb, '\n');
}

static void
print_logging(struct strbuf *sb, const struct ph_policy_src *src)
{
	const struct cfg_logging *l = &src->log;

	sb_printf(sb, "%slogging on\n", l->on ? "" : "no ");
	sb_printf(sb, "%slogging timestamp\n", l->timestamp ? "" : "no ");
	sb_printf(sb, "%slogging standby\n", l->standby ? "" : "no ");
	print_level(sb, "console", l->console);
	print_level(sb, "monitor", l->monitor);
	print_level(sb, "buffered", l->buffered);
	print_level(sb, "trap", l->trap);
	print_level(sb, "history", l->history);
	sb_printf(sb, "logging facility %u\n", l->facility);
	sb_printf(sb, "logging queue %u\n", l->queue);
	switch (l->devid_kind) {
	case PH_DEVID_HOSTNAME:
		sb_puts(sb, "logging device-id hostname\n");
		break;
	case PH_DEVID_IPADDRESS:
		sb_printf(sb, "logging device-id ipaddress %s\n",
			  l->devid_if.name);
		break;
	case PH_DEVID_STRING:
		sb_printf(sb, "logging device-id string %s\n", l->devid);
		break;
	}
	for (uint8_t i = 0; i < l->n_hosts; i++) {
		const struct cfg_loghost *h = &l->hosts[i];

		sb_printf(sb, "logging host %s ", h->ifr.name);
		fmt_ip(sb, h->addr);
		if (h->proto != 17 || h->port != 514)
			sb_printf(sb, " %s/%u", h->proto == 6 ? "tcp" : "udp",
				  h->port);
		sb_putc(sb, '\n');
	}
	for (size_t i = 0; i < l->n_extra; i++)
		sb_printf(sb, "%s\n", l->extra[i]);
}

/* PIX-like grouping of the timeouts, several keywords per line. */
static void
print_timeouts(struct strbuf *sb, const struct ph_policy_src *src)
{
	static const int8_t groups[][7] = {
		{ PH_TO_XLATE, -1 },
		{ PH_TO_CONN, PH_TO_HALF_CLOSED, PH_TO_UDP, PH_TO_ICMP,
		  PH_TO_RPC, PH_TO_H225, -1 },
		{ PH_TO_H323, PH_TO_MGCP, PH_TO_MGCP_PAT, PH_TO_SIP,
		  PH_TO_SIP_MEDIA, -1 },
		{ PH_TO_SIP_DISCONNECT, PH_TO_SIP_INVITE, PH_TO_SUNRPC, -1 },
		{ PH_TO_UAUTH, -1 },
		{ PH_TO_PAT_XLATE, PH_TO_EMBRYONIC, PH_TO_GRE, -1 },
	};

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		sb_puts(sb, "timeout");
		for (size_t k = 0; groups[g][k] >= 0; k++) {
			int t = groups[g][k];

			sb_printf(sb, " %s ", cfg_timeout_kw(t));
			fmt_time(sb, src->timeouts[t]);
			if (t != PH_TO_UAUTH)
				continue;
			sb_puts(sb, " absolute");
			if (src->uauth_inactivity) {
				sb_puts(sb, " uauth ");
				fmt_time(sb, src->uauth_inact);
				sb_puts(sb, " inactivity");
			}
		}
		sb_putc(sb, '\n');
	}
}

static void
print_asa_iface(struct strbuf *sb, const struct cfg_iface *f)
{
	sb_printf(sb, "interface %s\n", f->hwid);
	for (size_t i = 0; i < f->n_sub; i++)
		sb_printf(sb, " %s\n", f->sub[i]);
	if (f->shutdown)
		sb_puts(sb, " shutdown\n");
	if (f->name == NULL) {
		sb_puts(sb, " no nameif\n");
		return;
	}
	sb_printf(sb, " nameif %s\n security-level %u\n", f->name, f->security);
	if (f->has_addr) {
		sb_puts(sb, " ip address ");
		fmt_ip(sb, f->addr);
		sb_putc(sb, ' ');
		fmt_ip(sb, f->mask);
		sb_putc(sb, '\n');
	}
}

static void
print_ifaces(struct strbuf *sb, const struct ph_policy_src *src, int sec)
{
	for (size_t i = 0; i < src->n_ifaces; i++) {
		const struct cfg_iface *f = &src->ifaces[i];

		if (sec == SEC_INTERFACE && f->asa_form)
			print_asa_iface(sb, f);
		if (f->name == NULL)
			continue;
		if (sec == SEC_NAMEIF && !f->asa_form)
			sb_printf(sb, "nameif %s %s security%u\n", f->hwid,
				  f->name, f->security);
		if (sec == SEC_MTU)
			sb_printf(sb, "mtu %s %u\n", f->name, f->mtu);
		if (sec == SEC_IPADDR && !f->asa_form && f->has_addr) {
			sb_printf(sb, "ip address %s ", f->name);
			fmt_ip(sb, f->addr);
			sb_putc(sb, ' ');
			fmt_ip(sb, f->mask);
			sb_putc(sb, '\n');
		}
	}
}

static void
print_acls(struct strbuf *sb, const struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_acls; i++)
		for (size_t k = 0; k < src->acls[i].n; k++)
			sb_printf(sb, "%s\n",
				  src->aces[src->acls[i].ace[k]].text);
}

static void
print_groups(struct strbuf *sb, const struct ph_policy_src *src)
{
	for (size_t i = 0; i < src->n_groups; i++) {
		const struct cfg_group *g = &src->groups[i];

		sb_printf(sb, "%s\n", g->head);
		for (size_t k = 0; k < g->n; k++)
			sb_printf(sb, "%s\n", g->m[k].text);
	}
}

static void
print_mpf(struct strbuf *sb, const struct ph_policy_src *src, int sec)
{
	if (sec == SEC_CLASSMAP) {
		for (size_t i = 0; i < src->n_cmaps; i++) {
			sb_printf(sb, "class-map %s\n", src->cmaps[i].name);
			if (src->cmaps[i].has_match)
				sb_printf(sb, " %s\n",
					  src->cmaps[i].match_text);
		}
		return;
	}
	if (sec == SEC_SERVICEPOLICY) {
		for (size_t i = 0; i < src->n_spols; i++)
			sb_printf(sb, "%s\n", src->spols[i].text);
		return;
	}
	for (size_t i = 0; i < src->n_pmaps; i++) {
		const struct cfg_policymap *pm = &src->pmaps[i];

		sb_printf(sb, "policy-map %s\n", pm->name);
		for (size_t k = 0; k < pm->n; k++) {
			sb_printf(sb, " class %s\n", pm->cls[k].name);
			for (size_t l = 0; l < pm->cls[k].n; l++)
				sb_printf(sb, "  %s\n", pm->cls[k].lines[l]);
		}
	}
}

/* Typed state of one section; kept lines follow it. */
static void
print_section(struct strbuf *sb, const struct ph_policy_src *src, int sec)
{
	switch (sec) {
	case SEC_VERSION:
		if (src->version[0])
			sb_printf(sb, "%s Version %s\n",
				  src->asa ? "ASA" : "PIX", src->version);
		break;
	case SEC_NAMEIF:
	case SEC_INTERFACE:
	case SEC_MTU:
	case SEC_IPADDR:
		if (sec == SEC_INTERFACE)
			for (size_t i = 0; i < src->n_hw; i++)
				sb_printf(sb, "%s\n", src->hw[i].text);
		print_ifaces(sb, src, sec);
		break;
	case SEC_HOSTNAME:
		sb_printf(sb, "hostname %s\n",
			  src->hostname ? src->hostname
			  : src->asa	? "ciscoasa"
					: "pixfirewall");
		break;
	case SEC_FIXUP:
		for (size_t i = 0; i < src->n_fixups; i++)
			sb_printf(sb, "%s\n", src->fixups[i].text);
		break;
	case SEC_NAMES:
		if (src->names_state >= 0)
			sb_puts(sb,
				src->names_state ? "names\n" : "no names\n");
		for (size_t i = 0; i < src->n_names; i++)
			sb_printf(sb, "%s\n", src->names[i].text);
		break;
	case SEC_OBJGRP:
		print_groups(sb, src);
		break;
	case SEC_ACL:
		print_acls(sb, src);
		break;
	case SEC_LOGGING:
		print_logging(sb, src);
		break;
	case SEC_GLOBAL:
		for (size_t i = 0; i < src->n_globals; i++)
			sb_printf(sb, "%s\n", src->globals[i].text);
		break;
	case SEC_NAT:
		for (size_t i = 0; i < src->n_nats; i++)
			sb_printf(sb, "%s\n", src->nats[i].text);
		break;
	case SEC_STATIC:
		for (size_t i = 0; i < src->n_statics; i++)
			sb_printf(sb, "%s\n", src->statics[i].text);
		break;
	case SEC_ACCESSGROUP:
		for (size_t i = 0; i < src->n_agroups; i++)
			sb_printf(sb, "%s\n", src->agroups[i].text);
		break;
	case SEC_CONDUIT:
		for (size_t i = 0; i < src->n_conduits; i++)
			sb_printf(sb, "%s\n", src->conduits[i].text);
		break;
	case SEC_ROUTE:
		for (size_t i = 0; i < src->n_routes; i++)
			sb_printf(sb, "%s\n", src->routes[i].text);
		break;
	case SEC_TIMEOUT:
		print_timeouts(sb, src);
		break;
	case SEC_CLASSMAP:
	case SEC_POLICYMAP:
	case SEC_SERVICEPOLICY:
		print_mpf(sb, src, sec);
		break;
	default:
		break;
	}
}

char *
cfg_print(const struct ph_policy *pol)
{
	const struct ph_policy_src *src;
	struct strbuf sb;

	if (pol == NULL || pol->src == NULL)
		return NULL;
	src = pol->src;
	sb_init(&sb);
	for (int sec = 0; sec < SEC_MAX; sec++) {
		print_section(&sb, src, sec);
		put_lines(&sb, src, (uint8_t)sec);
	}
	return sb_steal(&sb);
}
