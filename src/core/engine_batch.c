/*
 * core/engine_batch.c - ph_engine_process_batch(): the packets of a batch
 * go through ph_engine_process()'s path one after the other, unchanged,
 * but the connection lookup of each is started ahead (VPP's idea of
 * processing vectors of packets with prefetches):
 *
 *   i + AHEAD            its flow key read from the raw header and hashed,
 *                        the hash bucket prefetched (stage 0);
 *   i + 2 * AHEAD/3      the bucket read, the first entry of its chain
 *                        prefetched (stage 1);
 *   i + AHEAD/3          the first entry read; if its key is not the
 *                        packet's, the next entry of the chain prefetched,
 *                        if it is and the packet will move it in its
 *                        expiry list, its list neighbours (stage 2);
 *   i                    processed, the lookup reusing the hash.
 *
 * With a table of a million connections each packet's lookup is two to
 * three dependent cache (and TLB) misses; started AHEAD packets early
 * they overlap with the work on other packets.  The look-ahead is only a
 * hint: the key read here is compared with the parser's before its hash
 * is used, so a packet the quick read gets wrong (malformed, fragments,
 * ICMP errors) simply takes the normal lookup, and results are the same
 * as one call per packet (tests/unit/test_engine_batch.c checks it).
 *
 * Known limits: held packets completed within a batch wait in the
 * release queue until the batch ends, so a batch with hundreds of PPTP
 * holds could meet the hold limit earlier than single calls with
 * releases in between would.
 */
#include <errno.h>
#include <string.h>

#include "core/cursor.h"
#include "core/engine_int.h"

#define STAGE_GAP (PH_ENGINE_BATCH_AHEAD / 3)
#define RING	  16 /* > PH_ENGINE_BATCH_AHEAD, power of two */

_Static_assert(RING > PH_ENGINE_BATCH_AHEAD && (RING & (RING - 1)) == 0,
	       "a packet's hint must outlive the look-ahead");

struct hint {
	struct ph_flow_key k;
	uint64_t h;
	bool ok;
};

/* Ports (or ICMP echo id, PPTP GRE call id) as eng_pkt_key() and
 * lookup_flow() put them in the key; false when there is no quick way. */
static bool
hint_l4(struct ph_flow_key *k, const uint8_t *l4, size_t left)
{
	uint16_t fl;

	switch (k->proto) {
	case PH_IPPROTO_TCP:
	case PH_IPPROTO_UDP:
		if (left < 4)
			return false;
		k->sport = ph_get_be16(l4);
		k->dport = ph_get_be16(l4 + 2);
		return true;
	case PH_IPPROTO_ICMP:
		if (left < 8 ||
		    (l4[0] != PH_ICMP_ECHO && l4[0] != PH_ICMP_ECHOREPLY))
			return false;
		k->sport = k->dport = ph_get_be16(l4 + 4);
		return true;
	case PH_IPPROTO_GRE:
		if (left < 8)
			return false;
		fl = ph_get_be16(l4);
		/* PPTP's enhanced GRE: version 1, key (call id at 6) */
		if ((fl & PH_GRE_F_VER) == 1 && (fl & PH_GRE_F_KEY) &&
		    !(fl & PH_GRE_F_CSUM))
			k->dport = ph_get_be16(l4 + 6);
		return true;
	default:
		return true;
	}
}

static bool
hint_key(const struct ph_pkt_in *in, struct ph_flow_key *k)
{
	const uint8_t *d = in->data;
	size_t ihl;

	if (d == NULL || in->len < 20 || (d[0] >> 4) != 4)
		return false;
	ihl = (size_t)(d[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > in->len || (ph_get_be16(d + 6) & 0x1fff) != 0)
		return false; /* a later fragment is not looked up */
	memset(k, 0, sizeof(*k));
	k->src = ph_get_be32(d + 12);
	k->dst = ph_get_be32(d + 16);
	k->proto = d[9];
	k->ifidx = in->ifidx;
	return hint_l4(k, d + ihl, in->len - ihl);
}

static void
prefetch(struct ph_engine *eng, const struct hint *h, unsigned stage,
	 ph_time_t now)
{
	uint32_t idx = ph_conn_prefetch(eng->conns, &h->k, h->h, stage);

	/* the entry is there: will the packet relink it (conn.h)? */
	if (idx != PH_IDX_NONE)
		ph_conn_prefetch_relink(
			eng->conns, idx, now,
			eng_class_timeout(eng,
					  ph_conn_at(eng->conns, idx)->tclass));
}

int
ph_engine_process_batch(struct ph_engine *eng, struct ph_pkt_in *in, size_t n,
			ph_time_t now, struct ph_pkt_out *out)
{
	struct hint ring[RING];
	int rc = 0;

	if (eng == NULL || (n > 0 && (in == NULL || out == NULL)))
		return -EINVAL;
	for (size_t i = 0; i < n + PH_ENGINE_BATCH_AHEAD; i++) {
		size_t j;
		struct hint *h;

		if (i < n) {
			h = &ring[i % RING];
			h->ok = hint_key(&in[i], &h->k);
			if (h->ok) {
				h->h = ph_conn_hash(eng->conns, &h->k);
				ph_conn_prefetch(eng->conns, &h->k, h->h, 0);
			}
		}
		for (unsigned s = 1; s <= 2; s++) {
			if (i < s * STAGE_GAP || (j = i - s * STAGE_GAP) >= n)
				continue;
			h = &ring[j % RING];
			if (h->ok)
				prefetch(eng, h, s, now);
		}
		if (i < PH_ENGINE_BATCH_AHEAD ||
		    (j = i - PH_ENGINE_BATCH_AHEAD) >= n)
			continue;
		h = &ring[j % RING];
		eng->hint_ok = h->ok;
		eng->hint_key = h->k;
		eng->hint_hash = h->h;
		if (ph_engine_process(eng, &in[j], now, &out[j]) != 0)
			rc = -EINVAL;
	}
	eng->hint_ok = false;
	return rc;
}
