/*
 * tools/fuzz/fuzz_packet.c - libFuzzer target for the packet path: raw
 * IPv4 packets through ph_engine_process() with a fixed PIX policy
 * (inside/outside/dmz, PAT, a static with an ACL, a conduit, fixup
 * protocol pptp), several packets per input so that state builds up
 * (connections, xlates, fragments, PPTP control streams and held
 * segments), with time moving forward, ticks, releases, clears, reloads
 * and `show` iteration.  Every event goes through the real formatter
 * (src/log/format.h), so the templates are fuzzed too.
 *
 * Input: records, each
 *
 *	0   ctl: bits 0-1 ingress interface (0 outside, 1 inside, 2 dmz,
 *	    3 not in the policy); bit 2 the TCP/UDP checksum is
 *	    CHECKSUM_PARTIAL; bit 3 ph_engine_tick() after; bit 4 leave
 *	    released packets for later; bit 5 the record is an operation
 *	    (byte 1 says which: clear xlate, clear conn, reload, show),
 *	    not a packet; bit 6 raw: the bytes go in as they are; without
 *	    it the harness sets the IP total length and recomputes the IP
 *	    and L4 checksums, so mutations get past the parser; bit 7 time
 *	    moves in minutes instead of 50 ms steps
 *	1   time step (see bit 7)
 *	2-3 packet length, big-endian (cut at the end of the input)
 *	    then the packet, starting at the IPv4 header
 *
 * Invariants (abort() when broken): process() returns 0; a drop has a
 * reason; a packet that went in with correct checksums and was rewritten
 * still has correct checksums (checked from scratch with
 * tests/unit/pktbuild.h's oracles); every event id is in the catalog and
 * formats; the counters add up (pkts_in = accepted + dropped + held, the
 * drops sum up); `show conn` lists exactly conns_in_use connections.
 *
 * Seeds: tools/fuzz/corpus/packet/ (tools/fuzz/mkseeds.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/engine.h>
#include <pinhole/event.h>
#include <pinhole/policy.h>

#include "log/format.h"
#include "../../tests/unit/pktbuild.h"
#include "packet_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct ph_policy *pol_a, *pol_b;
static unsigned fmt_rot;

static struct ph_policy *
parse_or_die(const char *text)
{
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	char line[512];

	if (ph_policy_parse(text, strlen(text), NULL, &pol, &d) != 0) {
		for (size_t i = 0; i < ph_diags_count(d); i++) {
			ph_diag_format(ph_diags_get(d, i), line, sizeof(line));
			fprintf(stderr, "%s", line);
		}
		abort();
	}
	ph_diags_free(d);
	return pol;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	pol_a = parse_or_die(fuzz_conf_a);
	pol_b = parse_or_die(fuzz_conf_b);
	return 0;
}

static void
emit(void *arg, const struct ph_event *ev)
{
	static const char *devids[] = { NULL, "", "fuzzpix" };
	struct ph_log_fmt o = { 0 };
	char line[1024], small[24];
	int n;

	fmt_rot++;
	o.asa_prefix = fmt_rot & 1;
	o.timestamp = fmt_rot & 2;
	o.device_id = devids[fmt_rot % 3];
	o.wall.tm_year = 107;
	o.wall.tm_mon = (int)(fmt_rot % 12);
	o.wall.tm_mday = 15;
	o.wall.tm_hour = 21;
	if (ph_event_def(ev->id) == NULL) {
		fprintf(stderr, "event %u is not in the catalog\n", ev->id);
		abort();
	}
	n = ph_event_format(ev, &o, line, sizeof(line));
	if (n < 0 || (n < (int)sizeof(line) && strlen(line) != (size_t)n)) {
		fprintf(stderr, "event %u does not format (%d)\n", ev->id, n);
		abort();
	}
	if (ph_event_format_text(ev, small, sizeof(small)) < 0)
		abort();
	(void)ph_event_level_filter(ev, (int)(fmt_rot % 9) - 1);
}

/* --- checksums ----------------------------------------------------------- */

static bool
unfragmented(const uint8_t *p)
{
	return (pb_get16(p + 6) & 0x3fff) == 0;
}

/* Header fields consistent enough for the pktbuild oracles. */
static bool
sane(const uint8_t *p, size_t len)
{
	size_t hl;

	if (len < 20 || (p[0] >> 4) != 4)
		return false;
	hl = pb_hlen(p);
	return hl >= 20 && hl <= len && pb_get16(p + 2) == len;
}

/* L4 header complete, so the oracle reads no further than len. */
static bool
l4_checkable(const uint8_t *p, size_t len)
{
	size_t hl = pb_hlen(p), l4 = len - hl;

	if (!unfragmented(p))
		return false;
	switch (p[9]) {
	case PH_IPPROTO_TCP:
		return l4 >= 20;
	case PH_IPPROTO_UDP:
		return l4 >= 8 && pb_get16(p + hl + 4) >= 8 &&
		       pb_get16(p + hl + 4) <= l4;
	case PH_IPPROTO_ICMP:
		return l4 >= 8;
	case PH_IPPROTO_GRE:
		return l4 >= 4;
	default:
		return true;
	}
}

static void
fix_l4(uint8_t *p, size_t len, bool partial)
{
	size_t hl = pb_hlen(p), l4len = len - hl, off;
	uint8_t *l4 = p + hl;

	if (!l4_checkable(p, len))
		return;
	switch (p[9]) {
	case PH_IPPROTO_UDP:
		l4len = pb_get16(l4 + 4);
		/* fall through */
	case PH_IPPROTO_TCP:
		off = pb_l4_csum_off(p[9]);
		if (partial) {
			pb_make_partial(p);
			break;
		}
		pb_put16(l4 + off, 0);
		pb_put16(l4 + off,
			 (uint16_t)~pb_sum(l4, l4len,
					   pb_pseudo(p, p[9], l4len)));
		break;
	case PH_IPPROTO_ICMP:
		pb_put16(l4 + 2, 0);
		pb_put16(l4 + 2, (uint16_t)~pb_sum(l4, l4len, 0));
		break;
	default:
		break;
	}
}

/* Make the packet get past the parser: length and checksums right. */
static void
fixup(uint8_t *p, size_t len, bool partial)
{
	if (len < 20 || len > 65535 || (p[0] >> 4) != 4 || pb_hlen(p) < 20 ||
	    pb_hlen(p) > len)
		return;
	pb_put16(p + 2, (uint16_t)len);
	fix_l4(p, len, partial);
	pb_fix_ip(p);
}

struct csum_state {
	bool sane, ip_ok, l4_ok, partial_ok;
};

static void
csum_before(const uint8_t *p, size_t len, bool partial, struct csum_state *s)
{
	memset(s, 0, sizeof(*s));
	if (!sane(p, len))
		return;
	s->sane = true;
	s->ip_ok = pb_ip_ok(p);
	if (!l4_checkable(p, len))
		return;
	if (partial && (p[9] == PH_IPPROTO_TCP || p[9] == PH_IPPROTO_UDP))
		s->partial_ok = pb_partial_ok(p);
	else if (!partial)
		s->l4_ok = pb_l4_ok(p);
}

static void
csum_after(const uint8_t *p, size_t len, const struct csum_state *s)
{
	if (!s->sane)
		return; /* e.g. bytes after the IP total length */
	if (!sane(p, len))
		abort(); /* a rewrite broke the header */
	if (s->ip_ok && !pb_ip_ok(p)) {
		fprintf(stderr, "rewrite broke the IP header checksum\n");
		abort();
	}
	if (s->l4_ok && l4_checkable(p, len) && !pb_l4_ok(p)) {
		fprintf(stderr, "rewrite broke the L4 checksum (proto %u)\n",
			p[9]);
		abort();
	}
	if (s->partial_ok && l4_checkable(p, len) && !pb_partial_ok(p)) {
		fprintf(stderr, "rewrite broke the partial checksum\n");
		abort();
	}
}

/* --- engine driving ------------------------------------------------------ */

struct run {
	struct ph_engine *eng;
	const struct ph_policy *pol;
	ph_time_t now;
	uint64_t token;
};

static void
check_out(const struct ph_pkt_out *out)
{
	if (out->verdict > PH_VERDICT_HOLD)
		abort();
	if (out->verdict == PH_VERDICT_DROP &&
	    (out->reason == PH_R_NONE || out->reason >= PH_R_MAX))
		abort();
}

static void
drain(struct run *r)
{
	struct ph_pkt_released rel;
	unsigned n = 0;

	while (ph_engine_release(r->eng, &rel)) {
		check_out(&rel.out);
		if (rel.out.verdict == PH_VERDICT_HOLD)
			abort(); /* released, still held */
		if (rel.token == 0 || rel.token > r->token)
			abort(); /* a token never given */
		if (rel.len > 0 && rel.data == NULL)
			abort();
		if (rel.len >= 20) /* touch every byte: ASan checks them */
			(void)pb_sum(rel.data, rel.len, 0);
		if (++n > 1000000)
			abort(); /* release never ends */
	}
}

static void
check_counters(struct run *r)
{
	struct ph_engine_counters c;
	struct ph_conn_info ci;
	struct ph_xlate_info xi;
	uint64_t sum = 0, cur = 0, n = 0;
	char line[512];
	unsigned i;

	ph_engine_counters(r->eng, &c);
	for (i = 0; i < PH_R_MAX; i++)
		sum += c.drops[i];
	if (c.pkts_in != c.pkts_accepted + c.pkts_dropped + c.pkts_held ||
	    sum != c.pkts_dropped || c.drops[PH_R_NONE] != 0)
		abort();
	while (ph_engine_conn_next(r->eng, &cur, r->now, &ci)) {
		ph_show_conn_line(&ci, n & 1, line, sizeof(line));
		if (++n > c.conns_max + 1)
			abort();
	}
	if (n != c.conns_in_use) {
		fprintf(stderr, "show conn: %lu listed, %u in use\n",
			(unsigned long)n, c.conns_in_use);
		abort();
	}
	cur = n = 0;
	while (ph_engine_xlate_next(r->eng, &cur, r->now, &xi)) {
		ph_show_xlate_line(&xi, n & 1, line, sizeof(line));
		if (++n > (uint64_t)c.xlates_max + c.statics + 1)
			abort();
	}
	ph_show_count_line(c.conns_in_use, c.conns_most_used, line,
			   sizeof(line));
	for (i = 0; i < 16; i++) {
		(void)ph_engine_acl_hits(r->eng, i);
		(void)ph_engine_conduit_hits(r->eng, i);
	}
}

static void
operation(struct run *r, uint8_t which)
{
	switch (which % 5) {
	case 0:
		ph_engine_clear_xlate(r->eng, r->now);
		break;
	case 1:
		ph_engine_clear_conn(r->eng, r->now);
		break;
	case 2:
		r->pol = r->pol == pol_a ? pol_b : pol_a;
		if (ph_engine_set_policy(r->eng, r->pol, r->now) != 0)
			abort();
		break;
	case 3:
		check_counters(r);
		break;
	default:
		ph_engine_tick(r->eng, r->now);
		break;
	}
}

static void
packet(struct run *r, uint8_t ctl, const uint8_t *bytes, size_t len)
{
	struct ph_pkt_in in = { 0 };
	struct ph_pkt_out out;
	struct csum_state cs;
	bool partial = ctl & 4;
	uint8_t *buf;

	buf = malloc(len ? len : 1); /* exact size: ASan sees overruns */
	if (buf == NULL)
		return;
	memcpy(buf, bytes, len);
	if (!(ctl & 0x40))
		fixup(buf, len, partial);
	csum_before(buf, len, partial, &cs);
	in.data = buf;
	in.len = len;
	in.ifidx = ctl & 3;
	in.token = ++r->token;
	in.flags = partial ? PH_PKT_F_CSUM_PARTIAL : 0;
	if (ph_engine_process(r->eng, &in, r->now, &out) != 0)
		abort();
	check_out(&out);
	if (out.verdict == PH_VERDICT_ACCEPT && out.modified)
		csum_after(buf, len, &cs);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_engine_opts o = fuzz_engine_opts;
	struct run r = { .now = ph_time_from_sec(FUZZ_T0_SEC), .pol = pol_a };

	o.emit = emit;

	r.eng = ph_engine_new(&o);
	if (r.eng == NULL)
		abort();
	if (ph_engine_set_policy(r.eng, r.pol, r.now) != 0)
		abort();
	while (size >= 4) {
		uint8_t ctl = data[0], dt = data[1];
		size_t len = (size_t)data[2] << 8 | data[3];

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		r.now = ph_time_from_ns(r.now.ns +
					(ctl & 0x80 ? dt * 60 * PH_NSEC_PER_SEC
						    : dt * 50000000ULL));
		if (ctl & 0x20)
			operation(&r, len ? data[0] : dt);
		else
			packet(&r, ctl, data, len);
		if (ctl & 8)
			ph_engine_tick(r.eng, r.now);
		if (!(ctl & 0x10))
			drain(&r);
		data += len;
		size -= len;
	}
	drain(&r);
	check_counters(&r);
	ph_engine_free(r.eng);
	return 0;
}
