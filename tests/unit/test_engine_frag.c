/*
 * test_engine_frag.c - the fragment policy's state part: a later fragment
 * passes only when its datagram's first fragment was admitted, with the
 * same translation and egress; the fragment table is bounded and expires.
 */
#include "engtest.h"

#include "core/fragtab.h"
#include "core/timer.h"

static const char *conf = "nameif ethernet0 outside security0\n"
			  "nameif ethernet1 inside security100\n"
			  "ip address outside 192.0.2.1 255.255.255.0\n"
			  "ip address inside 10.0.0.1 255.255.255.0\n"
			  "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
			  "nat (inside) 1 0 0\n"
			  "global (outside) 1 interface\n";

#define L A(10, 0, 0, 5)
#define G A(192, 0, 2, 1)
#define F A(198, 51, 100, 7)

/* First fragment of a UDP datagram: header + 32 bytes, MF set. */
static int
first_frag(struct eh *h, uint32_t src, uint32_t dst, uint16_t id, uint64_t sec)
{
	struct pb_ip ip = { .src = src, .dst = dst, .id = id, .frag = PB_MF };
	uint8_t pl[32];

	memset(pl, 'f', sizeof(pl));
	h->len = pb_udp(h->buf, &ip, 5000, 53, pl, sizeof(pl));
	return eh_run(h, "inside", SEC(sec));
}

/* A later fragment at byte offset off (multiple of 8); UDP, or TCP for
 * the datagram id 55. */
static int
later_frag(struct eh *h, const char *ifn, uint32_t src, uint32_t dst,
	   uint16_t id, uint16_t off, bool more, uint64_t sec)
{
	struct pb_ip ip = { .src = src,
			    .dst = dst,
			    .id = id,
			    .frag = (uint16_t)((more ? PB_MF : 0) | off / 8) };
	uint8_t pl[24];

	memset(pl, 'l', sizeof(pl));
	h->len = pb_raw(h->buf, &ip, id == 55 ? PH_IPPROTO_TCP : PH_IPPROTO_UDP,
			pl, sizeof(pl));
	return eh_run(h, ifn, SEC(sec));
}

START_TEST(test_later_fragment_follows_first)
{
	struct eh *h = eh_new(conf, 0);

	/* before its first fragment: dropped */
	ck_assert_int_eq(later_frag(h, "inside", L, F, 77, 40, false, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	ck_assert_int_eq(first_frag(h, L, F, 77, 1), PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	ck_assert(pb_ip_ok(h->buf));
	ck_assert_int_eq(later_frag(h, "inside", L, F, 77, 40, true, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(eh_src(h), G);
	ck_assert_uint_eq(eh_dst(h), F);
	ck_assert(h->out.modified);
	ck_assert(pb_ip_ok(h->buf));
	ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "outside"));
	ck_assert_int_eq(later_frag(h, "inside", L, F, 77, 64, false, 2),
			 PH_VERDICT_ACCEPT);
	/* another datagram id, or the right id on the wrong interface */
	ck_assert_int_eq(later_frag(h, "inside", L, F, 78, 40, false, 2),
			 PH_VERDICT_DROP);
	ck_assert_int_eq(later_frag(h, "outside", L, F, 77, 40, false, 2),
			 PH_VERDICT_DROP);
	/* overlapping the inspected header (TCP with 20 bytes of options:
	 * 40 bytes inspected): a fragment at 24 is dropped, at 40 passes */
	{
		struct pb_ip ip = {
			.src = L, .dst = F, .id = 55, .frag = PB_MF
		};
		struct pb_tcp t = { .sport = 1111,
				    .dport = 80,
				    .flags = PH_TCP_SYN,
				    .optlen = 20 };

		h->len = pb_tcp(h->buf, &ip, &t, NULL, 0);
		ck_assert_int_eq(eh_run(h, "inside", SEC(2)),
				 PH_VERDICT_ACCEPT);
		ck_assert_int_eq(later_frag(h, "inside", L, F, 55, 24, true, 2),
				 PH_VERDICT_DROP);
		ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
		ip.frag = 40 / 8;
		h->len = pb_raw(h->buf, &ip, PH_IPPROTO_TCP,
				(const uint8_t *)"0123456789abcdef", 16);
		ck_assert_int_eq(eh_run(h, "inside", SEC(2)),
				 PH_VERDICT_ACCEPT);
	}
	/* the reply direction's fragments get the reverse translation */
	{
		struct pb_ip ip = {
			.src = F, .dst = G, .id = 99, .frag = PB_MF
		};
		uint8_t pl[32] = { 0 };
		uint16_t gport;

		first_frag(h, L, F, 80, 3);
		gport = eh_sport(h);
		h->len = pb_udp(h->buf, &ip, 53, gport, pl, sizeof(pl));
		ck_assert_int_eq(eh_run(h, "outside", SEC(3)),
				 PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(eh_dst(h), L);
		ck_assert_int_eq(
			later_frag(h, "outside", F, G, 99, 40, false, 3),
			PH_VERDICT_ACCEPT);
		ck_assert_uint_eq(eh_dst(h), L);
		ck_assert_uint_eq(h->out.out_ifidx, eh_if(h, "inside"));
	}
	/* 30 s after the last fragment the datagram is forgotten */
	ck_assert_int_eq(later_frag(h, "inside", L, F, 77, 88, false, 32),
			 PH_VERDICT_DROP);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* A denied first fragment takes its later fragments with it. */
START_TEST(test_denied_first_fragment)
{
	struct eh *h = eh_new("nameif ethernet0 outside security0\n"
			      "nameif ethernet1 inside security100\n"
			      "ip address outside 192.0.2.1 255.255.255.0\n"
			      "ip address inside 10.0.0.1 255.255.255.0\n"
			      "route outside 0.0.0.0 0.0.0.0 192.0.2.254\n",
			      0);

	ck_assert_int_eq(first_frag(h, L, F, 5, 1), PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_NO_NAT_RULE);
	ck_assert_int_eq(later_frag(h, "inside", L, F, 5, 40, false, 1),
			 PH_VERDICT_DROP);
	ck_assert_uint_eq(h->out.reason, PH_R_FRAG);
	/* fragments to the box follow their first fragment too */
	ck_assert_int_eq(first_frag(h, L, A(10, 0, 0, 1), 6, 1),
			 PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	ck_assert_int_eq(
		later_frag(h, "inside", L, A(10, 0, 0, 1), 6, 40, false, 1),
		PH_VERDICT_ACCEPT);
	ck_assert_uint_eq(h->out.out_ifidx, PH_IF_NONE);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

/* The table is bounded: a full table refuses new datagrams (their later
 * fragments are dropped) until an entry expires. */
START_TEST(test_table_bounded)
{
	struct ph_engine_opts o = { .seed = { 3, 4 }, .max_frags = 2 };
	struct eh *h = eh_new_opts(conf, &o);
	struct ph_engine_counters c;

	first_frag(h, L, F, 1, 1);
	first_frag(h, L, F, 2, 1);
	first_frag(h, L, F, 3, 1);
	ck_assert_int_eq(later_frag(h, "inside", L, F, 3, 40, false, 1),
			 PH_VERDICT_DROP);
	ck_assert_int_eq(later_frag(h, "inside", L, F, 1, 40, false, 1),
			 PH_VERDICT_ACCEPT);
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.frags_full, 1);
	ck_assert_uint_eq(c.frags_in_use, 2);
	/* expiry in tick */
	ph_engine_tick(h->eng, ph_time_from_sec(31));
	ph_engine_counters(h->eng, &c);
	ck_assert_uint_eq(c.frags_in_use, 0);
	first_frag(h, L, F, 3, 32);
	ck_assert_int_eq(later_frag(h, "inside", L, F, 3, 40, false, 32),
			 PH_VERDICT_ACCEPT);
	eh_check_counters(h);
	eh_free(h);
}
END_TEST

START_TEST(test_fragtab_unit)
{
	struct ph_hash_key k = { 5, 6 };
	struct ph_fragtab *t = ph_fragtab_new(2, &k);
	struct ph_frag_key a = { 1, 2, 3, 17, 0, 0 }, b = a, c = a;

	b.ip_id = 4;
	c.ifidx = 1;
	ck_assert_ptr_nonnull(ph_frag_add(t, &a, ph_time_from_sec(1)));
	ck_assert_ptr_nonnull(ph_frag_add(t, &b, ph_time_from_sec(2)));
	ck_assert_ptr_null(ph_frag_add(t, &c, ph_time_from_sec(3)));
	ck_assert_ptr_null(ph_frag_find(t, &c, ph_time_from_sec(3)));
	/* the oldest may be replaced once expired */
	ck_assert_ptr_nonnull(ph_frag_add(t, &c, ph_time_from_sec(31)));
	ck_assert_ptr_null(ph_frag_find(t, &a, ph_time_from_sec(31)));
	ck_assert_ptr_nonnull(ph_frag_find(t, &b, ph_time_from_sec(31)));
	ck_assert_uint_eq(ph_frag_expire(t, ph_time_from_sec(100), 1), 1);
	ck_assert_uint_eq(ph_frag_expire(t, ph_time_from_sec(100), 5), 1);
	ck_assert_uint_eq(t->used, 0);
	ph_fragtab_free(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_frag");
	TCase *tc = tcase_create("frag");

	tcase_add_test(tc, test_later_fragment_follows_first);
	tcase_add_test(tc, test_denied_first_fragment);
	tcase_add_test(tc, test_table_bounded);
	tcase_add_test(tc, test_fragtab_unit);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
