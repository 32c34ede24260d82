/*
 * tools/fuzz/fuzz_acl.c - differential libFuzzer target for the compiled
 * ACL classifier (src/core/acl.h): the decision tree and the host
 * directory in front of it (src/core/acl_hostdir.c) must give the same
 * first match as the reference linear scan, for every list and every key.
 *
 * The input is turned into rule text (so the entries are exactly what the
 * config compiler produces, object-group expansion included), parsed with
 * ph_policy_parse(), and the index is rebuilt with linear_max 0 (every
 * list compiled into a tree, however short).  Then keys are looked up in
 * both and must agree; any difference abort()s.
 *
 * Input layout:
 *	0	number of rules (low 7 bits) + 1; bit 7: also emit each rule
 *		as a conduit (checks the conduit index too)
 *	then 10 bytes per rule:
 *	0	bit 0 permit/deny; bits 1-3 protocol (ip tcp udp icmp gre
 *		47 6 17); bits 4-5 which of 3 lists; bits 6-7 port side
 *	1	source: bits 0-1 any / host / prefix / prefix; bits 2-7 length
 *	2	source address selector
 *	3	destination kind, as 1
 *	4	destination address selector
 *	5	port operator (none eq lt gt neq range) / ICMP type present
 *	6-7	port A (small values, so keys hit), or ICMP type
 *	8-9	port B (range end) / extra address bits
 *	then 12 bytes per key: protocol selector, flags, src (4), dst (4),
 *	sport, dport (one byte each, mapped to the same small port set).
 * Addresses come from a pool of a few networks plus a low byte, so keys
 * fall inside the rules' prefixes often.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

#include "config/model.h"
#include "core/acl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RULE_LEN 10
#define KEY_LEN	 12
#define TEXT_MAX 65536

static const uint32_t pool[8] = {
	0x0a000000, /* 10.0.0.0 */
	0x0a000100, /* 10.0.1.0 */
	0x0a010000, /* 10.1.0.0 */
	0xc0a80000, /* 192.168.0.0 */
	0xc0000200, /* 192.0.2.0 */
	0xac100000, /* 172.16.0.0 */
	0x00000000, 0xffffff00,
};
static const uint16_t ports[8] = { 0, 1, 21, 80, 443, 1723, 1024, 65535 };
static const char *const protos[8] = { "ip",  "tcp", "udp", "icmp",
				       "gre", "47",  "6",   "17" };
static const uint8_t proto_num[8] = { 0, 6, 17, 1, 47, 47, 6, 17 };

struct text {
	char buf[TEXT_MAX];
	size_t len;
};

static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, sizeof(t->buf) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n;
	if (t->len > sizeof(t->buf))
		t->len = sizeof(t->buf);
}

static uint32_t
addr_of(uint8_t sel, uint8_t low)
{
	return pool[sel & 7] | (uint32_t)low << ((sel >> 3) & 1 ? 8 : 0);
}

static void
put_addr(struct text *t, uint32_t a)
{
	put(t, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
	    a & 255);
}

/* "any", "host A" or "A MASK" with the host bits cleared */
static void
put_net(struct text *t, uint8_t kind, uint8_t sel, uint8_t low)
{
	uint32_t a = addr_of(sel, low), m;
	unsigned plen = (kind >> 2) % 33;

	switch (kind & 3) {
	case 0:
		put(t, " any");
		return;
	case 1:
		put(t, " host ");
		put_addr(t, a);
		return;
	default:
		m = plen ? 0xffffffffu << (32 - plen) : 0;
		put(t, " ");
		put_addr(t, a & m);
		put(t, " ");
		put_addr(t, m);
		return;
	}
}

static void
put_ports(struct text *t, uint8_t op, uint8_t a, uint8_t b)
{
	uint16_t pa = ports[a & 7], pb = ports[b & 7];

	switch (op % 6) {
	case 1:
		put(t, " eq %u", pa);
		break;
	case 2:
		put(t, " lt %u", pa ? pa : 1);
		break;
	case 3:
		put(t, " gt %u", pa < 65535 ? pa : 65534);
		break;
	case 4:
		put(t, " neq %u", pa);
		break;
	case 5:
		put(t, " range %u %u", pa < pb ? pa : pb, pa < pb ? pb : pa);
		break;
	default:
		break;
	}
}

/* One ACE (or conduit) from 10 bytes. */
static void
put_rule(struct text *t, const uint8_t *r, bool conduit)
{
	unsigned p = (r[0] >> 1) & 7;
	bool ports_ok = proto_num[p] == 6 || proto_num[p] == 17;
	int side = r[0] >> 6; /* 0: dst ports, 1: src, 2: both, 3: none */

	if (conduit)
		put(t, "conduit %s %s", r[0] & 1 ? "permit" : "deny",
		    protos[p]);
	else
		put(t, "access-list L%u %s %s", (r[0] >> 4) % 3,
		    r[0] & 1 ? "permit" : "deny", protos[p]);
	/* conduit: global (destination) first, then foreign (source) */
	put_net(t, conduit ? r[3] : r[1], conduit ? r[4] : r[2], r[9]);
	if (ports_ok && (side == (conduit ? 0 : 1) || side == 2))
		put_ports(t, r[5], r[6], r[7]);
	put_net(t, conduit ? r[1] : r[3], conduit ? r[2] : r[4], r[8]);
	if (ports_ok && (side == (conduit ? 1 : 0) || side == 2))
		put_ports(t, r[5] / 6, r[7], r[6]);
	if (proto_num[p] == 1 && (r[5] & 1))
		put(t, " %u", r[6] % 20);
	put(t, "\n");
}

static void
make_key(const uint8_t *b, struct ph_acl_key *k)
{
	unsigned p = b[0] & 7;

	memset(k, 0, sizeof(*k));
	k->proto = (b[0] & 8) ? b[1] : proto_num[p];
	if (p == 0 && !(b[0] & 8))
		k->proto = b[1] & 1 ? 50 : 6;
	k->no_ports = (b[0] & 0x30) == 0x30;
	k->icmp_type = k->proto == 1 && !k->no_ports ? (int16_t)(b[1] % 20)
						     : PH_ICMP_ANY;
	k->src = addr_of(b[2], b[3]) ^ (b[0] & 0x80 ? (uint32_t)b[4] << 16 : 0);
	k->dst = addr_of(b[6], b[7]) ^ (b[0] & 0x40 ? (uint32_t)b[8] : 0);
	k->sport = ports[b[10] & 7] + (b[10] >> 6);
	k->dport = ports[b[11] & 7] + (b[11] >> 6);
	if (b[5] & 1) /* a port just off a pool value */
		k->dport ^= b[9] & 3;
}

static void
compare(const struct ph_policy *pol, const struct ph_acl_index *ix,
	const struct ph_acl_key *k)
{
	int32_t a, b;
	uint32_t i;

	for (i = 0; i < pol->n_acls + 1; i++) {
		a = ph_acl_lookup(ix, i, k);
		b = ph_acl_lookup_linear(pol, i, k);
		if (a != b) {
			fprintf(stderr,
				"acl %u: tree %d, linear %d (proto %u src "
				"%08x dst %08x sport %u dport %u icmp %d "
				"noports %d)\n",
				i, a, b, k->proto, k->src, k->dst, k->sport,
				k->dport, k->icmp_type, k->no_ports);
			abort();
		}
	}
	a = ph_acl_lookup_conduit(ix, k);
	b = ph_acl_lookup_conduit_linear(pol, k);
	if (a != b) {
		fprintf(stderr, "conduits: tree %d, linear %d\n", a, b);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text t;
	struct ph_acl_build_opts o = { .seed = 0x5eed, .linear_max = 0 };
	struct ph_policy *pol = NULL;
	struct ph_acl_index *ix;
	struct ph_acl_key k;
	size_t nrules, i, off;
	bool conduits;
	int err = 0;

	if (size < 1)
		return 0;
	nrules = (data[0] & 0x7f) + 1u;
	conduits = data[0] & 0x80;
	if (size < 1 + nrules * RULE_LEN)
		nrules = (size - 1) / RULE_LEN;
	t.len = 0;
	for (i = 0; i < nrules; i++)
		put_rule(&t, data + 1 + i * RULE_LEN, false);
	for (i = 0; conduits && i < nrules; i++)
		put_rule(&t, data + 1 + i * RULE_LEN, true);
	if (ph_policy_parse(t.buf, t.len, NULL, &pol, NULL) != 0) {
		if (getenv("FUZZ_ACL_DEBUG") != NULL) /* generator bugs */
			fprintf(stderr, "does not parse:\n%.*s", (int)t.len,
				t.buf);
		return 0;
	}
	ix = ph_acl_index_build_opts(pol, &o, &err);
	if (ix == NULL) {
		if (err != -ENOMEM && err != -E2BIG)
			abort();
		ph_policy_free(pol);
		return 0;
	}
	for (off = 1 + nrules * RULE_LEN; off + KEY_LEN <= size;
	     off += KEY_LEN) {
		make_key(data + off, &k);
		compare(pol, ix, &k);
		k.no_ports = !k.no_ports;
		compare(pol, ix, &k);
	}
	/* the policy's own index (default linear_max) must agree too */
	if (pol->acl_index != NULL && off > 1 + nrules * RULE_LEN) {
		make_key(data + off - KEY_LEN, &k);
		compare(pol, pol->acl_index, &k);
	}
	ph_acl_index_free(ix);
	ph_policy_free(pol);
	return 0;
}
