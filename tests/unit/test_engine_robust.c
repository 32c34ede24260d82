/*
 * test_engine_robust.c - the engine never crashes and its counters always
 * add up: a deterministic storm of valid, mutated and truncated packets
 * on every interface, with ticks, reloads, clears and a small connection
 * limit.  Run it under -DPH_SANITIZE=ON to catch memory errors.
 */
#include "engtest.h"

#include "core/rand.h"

static const char *conf =
	"nameif ethernet0 outside security0\n"
	"nameif ethernet1 inside security100\n"
	"nameif ethernet2 dmz security50\n"
	"ip address outside 192.0.2.1 255.255.255.0\n"
	"ip address inside 10.0.0.1 255.255.255.0\n"
	"ip address dmz 172.16.0.1 255.255.255.0\n"
	"route outside 0.0.0.0 0.0.0.0 192.0.2.254\n"
	"access-list out permit tcp any host 192.0.2.80 eq www\n"
	"access-list out permit gre any any log\n"
	"access-list out permit icmp any any\n"
	"access-group out in interface outside\n"
	"access-list NONAT permit ip 10.0.0.0 255.255.255.0 "
	"172.16.0.0 255.255.255.0\n"
	"nat (inside) 0 access-list NONAT\n"
	"nat (inside) 1 10.0.0.0 255.255.255.0\n"
	"nat (dmz) 1 0 0\n"
	"global (outside) 1 192.0.2.10-192.0.2.12\n"
	"global (outside) 1 interface\n"
	"global (dmz) 1 172.16.0.200\n"
	"static (dmz,outside) 192.0.2.80 172.16.0.80\n"
	"static (inside,outside) tcp interface 2222 10.0.0.22 22\n"
	"conduit permit udp any any\n"
	"fixup protocol pptp 1723\n";

static const uint32_t addrs[] = {
	A(192, 0, 2, 1),    A(192, 0, 2, 80),  A(192, 0, 2, 10),
	A(192, 0, 2, 11),   A(10, 0, 0, 5),    A(10, 0, 0, 22),
	A(10, 0, 0, 1),	    A(172, 16, 0, 80), A(172, 16, 0, 1),
	A(198, 51, 100, 7), A(203, 0, 113, 9), A(255, 255, 255, 255),
};
#define NADDR (sizeof(addrs) / sizeof(addrs[0]))

static uint32_t
pick(uint64_t *r)
{
	return addrs[ph_rand_below(r, NADDR)];
}

static void
make_packet(struct eh *h, uint64_t *r)
{
	struct pb_ip ip = { .src = pick(r),
			    .dst = pick(r),
			    .id = (uint16_t)ph_rand_below(r, 4) };
	uint8_t pl[64];
	uint16_t sp = (uint16_t)(1 + ph_rand_below(r, 3) * 1000);
	static const uint16_t dports[] = { 80, 2222, 1723 };
	uint16_t dp = dports[ph_rand_below(r, 3)];

	memset(pl, 0x5a, sizeof(pl));
	if (ph_rand_below(r, 8) == 0)
		ip.frag = (uint16_t)(ph_rand_below(r, 2)
					     ? PB_MF
					     : 5 + ph_rand_below(r, 4));
	switch (ph_rand_below(r, 6)) {
	case 0: {
		struct pb_tcp t = { .sport = sp,
				    .dport = dp,
				    .flags = (uint8_t)ph_rand_below(r, 64),
				    .seq = (uint32_t)ph_rand_next(r),
				    .ack = (uint32_t)ph_rand_next(r) };

		/* PPTP-looking payloads now and then */
		if (ph_rand_below(r, 2)) {
			pl[0] = 0;
			pl[1] = (uint8_t)(16 + 4 * ph_rand_below(r, 4));
			pl[3] = 1;
			pl[4] = 0x1a, pl[5] = 0x2b, pl[6] = 0x3c, pl[7] = 0x4d;
			pl[9] = (uint8_t)(1 + ph_rand_below(r, 15));
		}
		h->len = pb_tcp(h->buf, &ip, &t, pl, ph_rand_below(r, 40));
		break;
	}
	case 1:
		h->len = pb_udp(h->buf, &ip, sp, dp, pl, ph_rand_below(r, 40));
		break;
	case 2:
		h->len = pb_icmp(h->buf, &ip,
				 (uint8_t)(ph_rand_below(r, 2) ? 8 : 0), 0,
				 (uint32_t)ph_rand_next(r) & 0x0003ffff, pl, 8);
		break;
	case 3: {
		uint8_t inner[64];
		struct pb_ip iip = { .src = pick(r), .dst = pick(r) };
		size_t n = pb_udp(inner, &iip, dp, sp, NULL, 0);

		h->len = pb_icmp_err(h->buf, &ip, 3, 3, inner,
				     ph_rand_below(r, 2) ? n : 24);
		break;
	}
	case 4: {
		struct pb_gre g = { .flags = (uint16_t)(PH_GRE_F_KEY | 1),
				    .proto = PH_GRE_PROTO_PPP,
				    .key = (uint32_t)ph_rand_below(r, 4) };

		h->len = pb_gre(h->buf, &ip, &g, pl, 16);
		break;
	}
	default:
		h->len = pb_raw(h->buf, &ip, (uint8_t)ph_rand_below(r, 256), pl,
				ph_rand_below(r, 30));
		break;
	}
	/* mutate: flip bytes, or truncate */
	switch (ph_rand_below(r, 6)) {
	case 0:
		for (unsigned k = 0; k < 3; k++)
			h->buf[ph_rand_below(r, (uint32_t)h->len)] ^=
				(uint8_t)(1u << ph_rand_below(r, 8));
		break;
	case 1:
		h->len = ph_rand_below(r, (uint32_t)h->len + 1);
		break;
	default:
		break;
	}
}

START_TEST(test_storm)
{
	const char *ifs[] = { "outside", "inside", "dmz" };
	uint64_t r = 0x1234 + (uint64_t)_i;
	uint64_t t = SEC(1);
	struct eh *h = eh_new(conf, 64);

	for (unsigned i = 0; i < 30000; i++) {
		struct ph_pkt_released rel;

		make_packet(h, &r);
		t += ph_rand_below(&r, 200) * 1000000ULL;
		eh_run(h, ifs[ph_rand_below(&r, 3)], t);
		if (h->out.verdict == PH_VERDICT_DROP)
			ck_assert_uint_ne(h->out.reason, PH_R_NONE);
		while (ph_engine_release(h->eng, &rel))
			ck_assert_uint_le(rel.out.verdict, PH_VERDICT_DROP);
		if (i % 97 == 0)
			ph_engine_tick(h->eng, ph_time_from_ns(t));
		if (i % 5000 == 4999) {
			/* reload with the same text; the old policy is
			 * freed at once, as engine.h allows */
			struct ph_policy *p = eh_parse(conf);

			ck_assert_int_eq(ph_engine_set_policy(
						 h->eng, p, ph_time_from_ns(t)),
					 0);
			ph_policy_free(h->pol);
			h->pol = p;
		}
		if (i % 7001 == 7000)
			ph_engine_clear_xlate(h->eng, ph_time_from_ns(t));
		if (i % 1000 == 0)
			eh_check_counters(h);
	}
	eh_check_counters(h);
	{
		struct ph_engine_counters c;
		uint64_t cur = 0, n = 0;
		struct ph_conn_info ci;

		ph_engine_counters(h->eng, &c);
		ck_assert_uint_le(c.conns_most_used, 64);
		while (ph_engine_conn_next(h->eng, &cur, ph_time_from_ns(t),
					   &ci))
			n++;
		ck_assert_uint_eq(n, c.conns_in_use);
		ck_assert_uint_gt(c.pkts_accepted, 100);
	}
	eh_free(h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("engine_robust");
	TCase *tc = tcase_create("storm");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_storm, 0, 3);
	suite_add_tcase(s, tc);
	return eh_run_suite(s);
}
