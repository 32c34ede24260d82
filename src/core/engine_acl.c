/*
 * core/engine_acl.c - applying access-groups and conduits to a packet:
 * first match through the compiled index (core/acl.h), hit counters per
 * ACE as written, 106023 for denies, and 106100 for ACEs with `log`.
 *
 * 106100 follows PIX: the first packet of a flow (ACE, protocol,
 * addresses, ports, interface) logs "hit-cnt 1 (first hit)"; further
 * packets of that flow are only counted, and at the end of each `interval`
 * seconds a flow that was hit again logs "hit-cnt N (S-second interval)"
 * with the hits of that interval; a flow not hit during an interval is
 * forgotten.  The flow table is bounded like PIX's deny-flow-max (4096):
 * when it is full, new flows are not logged and 106101 says so (at most
 * once per second).
 *
 * Known limits: flows are kept for permits too (PIX 6.3 does the same for
 * `log` on permit ACEs); the table is scanned in slices by tick.
 */
#include <stdlib.h>
#include <string.h>

#include "core/acl.h"
#include "core/engine_int.h"
#include "core/hash.h"
#include "log/ratelimit.h"

#define ACLLOG_MAX     4096
#define ACLLOG_BUCKETS 8192

struct aflow {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, live, level, action;
	uint16_t in_if, out_if;
	int32_t entry;	   /* pol->aces index */
	int32_t acl;	   /* pol->acls index */
	uint32_t count;	   /* hits since the last line */
	uint32_t interval; /* seconds */
	uint32_t hnext;	   /* index + 1 */
	ph_time_t since;   /* last line */
};

struct ph_acllog {
	struct aflow flows[ACLLOG_MAX];
	uint32_t buckets[ACLLOG_BUCKETS];
	uint32_t free_head, fresh, used, scan;
	struct ph_hash_key key;
};

struct ph_acllog *
eng_acllog_new(uint64_t seed)
{
	struct ph_acllog *al = calloc(1, sizeof(*al));

	if (al == NULL)
		return NULL;
	al->key.k0 = seed ^ 0x61636c6cULL;
	al->key.k1 = ~seed;
	al->free_head = PH_IDX_NONE;
	return al;
}

void
eng_acllog_free(struct ph_acllog *al)
{
	free(al);
}

void
eng_acllog_reset(struct ph_acllog *al)
{
	struct ph_hash_key k = al->key;

	memset(al, 0, sizeof(*al));
	al->key = k;
	al->free_head = PH_IDX_NONE;
}

static uint32_t
aflow_bucket(const struct ph_acllog *al, const struct aflow *f)
{
	uint64_t w0 = (uint64_t)f->src << 32 | f->dst;
	uint64_t w1 = (uint64_t)f->sport << 48 | (uint64_t)f->dport << 32 |
		      (uint64_t)(uint32_t)f->entry << 8 | f->proto;

	return (uint32_t)(ph_siphash_2w(&al->key, w0, w1 ^ f->in_if) %
			  ACLLOG_BUCKETS);
}

static bool
aflow_eq(const struct aflow *a, const struct aflow *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport && a->proto == b->proto &&
	       a->entry == b->entry && a->in_if == b->in_if;
}

static struct aflow *
aflow_find(struct ph_acllog *al, const struct aflow *k, uint32_t b)
{
	for (uint32_t n = al->buckets[b]; n != 0; n = al->flows[n - 1].hnext)
		if (aflow_eq(&al->flows[n - 1], k))
			return &al->flows[n - 1];
	return NULL;
}

static struct aflow *
aflow_add(struct ph_acllog *al, const struct aflow *k, uint32_t b)
{
	uint32_t i;

	if (al->used >= ACLLOG_MAX)
		return NULL;
	if (al->free_head != PH_IDX_NONE) {
		i = al->free_head;
		al->free_head = al->flows[i].hnext;
	} else {
		i = al->fresh++;
	}
	al->flows[i] = *k;
	al->flows[i].live = 1;
	al->flows[i].hnext = al->buckets[b];
	al->buckets[b] = i + 1;
	al->used++;
	return &al->flows[i];
}

static void
aflow_del(struct ph_acllog *al, uint32_t i)
{
	uint32_t *pp = &al->buckets[aflow_bucket(al, &al->flows[i])];

	while (*pp != 0) {
		if (*pp == i + 1) {
			*pp = al->flows[i].hnext;
			break;
		}
		pp = &al->flows[*pp - 1].hnext;
	}
	al->flows[i].live = 0;
	al->flows[i].hnext = al->free_head;
	al->free_head = i;
	al->used--;
}

/* 106100 for a flow: count 1 and first hit, or an interval summary. */
static void
emit_106100(struct ph_engine *eng, const struct aflow *f, bool first,
	    ph_time_t now)
{
	const struct ph_policy *pol = eng->pol;
	struct ph_event ev;

	ph_event_init(&ev, PH_EV_ACL_LOG, now);
	ev.severity = f->level;
	ev.proto = f->proto;
	ev.acl_name = pol->acls[f->acl].name;
	ev.acl_action = f->action == PH_ACL_PERMIT ? PH_EV_ACT_PERMITTED
						   : PH_EV_ACT_DENIED;
	ev.ep[0].ifname = eng_ifname(eng, f->in_if);
	ev.ep[0].ip = ev.ep[0].mip = f->src;
	ev.ep[1].ifname = eng_ifname(eng, f->out_if);
	ev.ep[1].ip = ev.ep[1].mip = f->dst;
	if (f->proto == PH_IPPROTO_ICMP) {
		/* the flow keeps type and code in its port fields; the
		 * formatter prints 106100's ICMP "ports" from these */
		ev.icmp_type = (uint8_t)f->sport;
		ev.icmp_code = (uint8_t)f->dport;
	} else {
		ev.ep[0].port = ev.ep[0].mport = f->sport;
		ev.ep[1].port = ev.ep[1].mport = f->dport;
	}
	ev.hit_cnt = first ? 1 : f->count;
	ev.first_hit = first;
	ev.interval = f->interval;
	eng_emit(eng, &ev);
}

static void
acllog_hit(struct ph_engine *eng, const struct eng_pkt *ep, int32_t acl,
	   int32_t entry, ph_ifidx_t out_if)
{
	const struct ph_ace *ace = &eng->pol->aces[entry];
	const struct ph_pkt *p = &ep->p;
	struct aflow k, *f;
	uint32_t b;

	memset(&k, 0, sizeof(k));
	k.src = p->src;
	k.dst = p->dst;
	k.proto = p->proto;
	if (p->proto == PH_IPPROTO_TCP || p->proto == PH_IPPROTO_UDP) {
		k.sport = p->sport;
		k.dport = p->dport;
	} else if (p->proto == PH_IPPROTO_ICMP && p->has_l4) {
		k.sport = p->icmp.type; /* ICMP flows: by type and code */
		k.dport = p->icmp.code;
	}
	k.in_if = ep->in_if;
	k.out_if = out_if;
	k.entry = entry;
	k.acl = acl;
	k.level = (uint8_t)ace->log_level;
	k.action = ace->action;
	k.interval =
		ace->log_interval ? ace->log_interval : PH_LOG_DEFAULT_INTERVAL;
	k.since = ep->now;
	b = aflow_bucket(eng->acllog, &k);
	f = aflow_find(eng->acllog, &k, b);
	if (f != NULL) {
		f->count++;
		return;
	}
	if (aflow_add(eng->acllog, &k, b) != NULL) {
		emit_106100(eng, &k, true, ep->now);
	} else if (ph_ratelimit_allow(eng->rl, PH_EV_ACL_DENY_FLOW_MAX, 0,
				      ep->now, NULL)) {
		struct ph_event ev;

		ph_event_init(&ev, PH_EV_ACL_DENY_FLOW_MAX, ep->now);
		ev.limit = ACLLOG_MAX;
		eng_emit(eng, &ev);
	}
}

unsigned
eng_acllog_tick(struct ph_engine *eng, ph_time_t now, unsigned budget)
{
	struct ph_acllog *al = eng->acllog;
	unsigned done = 0, n;

	if (eng->pol == NULL)
		return 0;
	for (n = 0; n < al->fresh && n < 4 * budget && done < budget; n++) {
		uint32_t i = al->scan++ % al->fresh;
		struct aflow *f = &al->flows[i];

		if (!f->live || now.ns < f->since.ns ||
		    now.ns - f->since.ns <
			    (uint64_t)f->interval * PH_NSEC_PER_SEC)
			continue;
		if (f->count > 0) {
			emit_106100(eng, f, false, now);
			f->count = 0;
			f->since = now;
		} else {
			aflow_del(al, i);
		}
		done++;
	}
	return done;
}

static void
acl_key_of(const struct eng_pkt *ep, struct ph_acl_key *k)
{
	const struct ph_pkt *p = &ep->p;

	memset(k, 0, sizeof(*k));
	k->proto = p->proto;
	k->no_ports = !p->has_l4;
	k->icmp_type = PH_ICMP_ANY;
	k->src = p->src;
	k->dst = p->dst;
	if (p->proto == PH_IPPROTO_TCP || p->proto == PH_IPPROTO_UDP) {
		k->sport = p->sport;
		k->dport = p->dport;
	} else if (p->proto == PH_IPPROTO_ICMP && p->has_l4) {
		k->icmp_type = p->icmp.type;
	}
}

bool
eng_acl_check(struct ph_engine *eng, struct eng_pkt *ep, int32_t acl_no,
	      ph_ifidx_t out_if)
{
	const struct ph_policy *pol = eng->pol;
	struct ph_acl_key k;
	struct ph_event ev;
	int32_t e;

	if (acl_no < 0 || (size_t)acl_no >= pol->n_acls)
		return false;
	acl_key_of(ep, &k);
	e = ph_acl_lookup(eng->acl_ix, (uint32_t)acl_no, &k);
	if (e >= 0 && (size_t)e < pol->n_aces) {
		const struct ph_ace *ace = &pol->aces[e];
		/* the compiler numbers ACEs as written across all ACLs:
		 * ace_idx is the slot (acls[].hit_base is the first one) */
		uint64_t slot = ace->ace_idx;

		if (slot < pol->n_hit_slots)
			eng->acl_hits[slot]++;
		if (ace->log_level != PH_LOG_NONE)
			acllog_hit(eng, ep, acl_no, e, out_if);
		if (ace->action == PH_ACL_PERMIT)
			return true;
		if (ace->log_level != PH_LOG_NONE)
			return false; /* 106100 replaces 106023 */
	}
	eng_ev_pkt(eng, ep, PH_EV_ACL_DENIED, out_if, &ev);
	ev.acl_name = pol->acls[acl_no].name;
	eng_emit(eng, &ev);
	return false;
}

bool
eng_conduit_check(struct ph_engine *eng, struct eng_pkt *ep)
{
	struct ph_acl_key k;
	int32_t e;

	acl_key_of(ep, &k);
	e = ph_acl_lookup_conduit(eng->acl_ix, &k);
	if (e < 0 || (size_t)e >= eng->pol->n_conduits)
		return false;
	if (eng->pol->conduits[e].ace_idx < eng->pol->n_conduits)
		eng->conduit_hits[eng->pol->conduits[e].ace_idx]++;
	return eng->pol->conduits[e].action == PH_ACL_PERMIT;
}
