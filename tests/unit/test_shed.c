/*
 * tests/unit/test_shed.c - the overload shedding controller (core/shed.h).
 *
 * Each scenario is a table of intervals: how long, how the cumulative
 * counters moved, and the action and rate the controller must answer.
 * Defaults unless the scenario says: floor 1,000, ceiling 10,000,000,
 * cut to 90%, raise by 10%, idle 2 s.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>

#include "core/shed.h"

struct step {
	uint64_t ms;	       /* since the previous step */
	int64_t queued, qdrop; /* counter deltas (negative: went back) */
	int64_t udrop, shed;
	enum ph_shed_action want;
	uint32_t rate; /* expected rate after the step */
};

struct scenario {
	const char *name;
	struct ph_shed_cfg cfg;
	const struct step *steps;
	size_t n;
};

#define CEIL PH_SHED_DEFAULT_CEILING
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* 250 ms intervals: 25,000 packets = 100,000 pps. */
static const struct step backs_off[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL }, /* base */
	{ 250, 25000, 1000, 0, 0, PH_SHED_START, 90000 },
	/* shedding works: no queue drops, the rule sheds: +10% */
	{ 250, 22500, 0, 0, 50000, PH_SHED_SET, 99000 },
	{ 250, 24750, 0, 0, 40000, PH_SHED_SET, 108900 },
	/* too high: drops again; 98% of 100k remembered, 27,000 passed
	 * (108k pps) is higher: cut to 90% of that */
	{ 250, 27000, 500, 0, 30000, PH_SHED_SET, 97200 },
};

/* A livelocked interval (1,250 = 5k pps) must not erase the capacity
 * learnt from a clean one; still dropping heavily after the cut: trust
 * what the interval delivered; a few drops (the queue draining): hold. */
static const struct step livelock[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 250, 25000, 0, 0, 0, PH_SHED_NONE, CEIL },	     /* 100k clean */
	{ 250, 1250, 90000, 0, 0, PH_SHED_START, 90000 },    /* 100k * 0.9 */
	{ 250, 12500, 2000, 0, 100000, PH_SHED_SET, 45000 }, /* 50k * 0.9 */
	{ 250, 11000, 100, 0, 100000, PH_SHED_NONE, 45000 }, /* light: hold */
	{ 250, 125, 5000, 0, 100000, PH_SHED_SET, 22500 }, /* halved at most */
	{ 250, 250, 0, 0, 100000, PH_SHED_SET, 24750 },	   /* climbs */
};

/* The floor holds even when halving would go below it. */
static const struct step floor_holds[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 250, 25000, 100, 0, 0, PH_SHED_START, 90000 },
	{ 250, 2500, 5000, 0, 0, PH_SHED_SET, 50000 }, /* 45k < floor */
	{ 250, 2500, 5000, 0, 0, PH_SHED_NONE, 50000 },
};

/* User drops (socket full) are drops too, and were never handed over. */
static const struct step user_drops[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 500, 60000, 0, 10000, 0, PH_SHED_START, 90000 }, /* 100k passed */
};

/* Clean and nothing shed for 2 s: back to the ceiling. */
static const struct step stops[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 250, 25000, 100, 0, 0, PH_SHED_START, 90000 },
	{ 500, 10000, 0, 0, 0, PH_SHED_NONE, 90000 },
	{ 1000, 20000, 0, 0, 0, PH_SHED_NONE, 90000 },
	{ 400, 8000, 0, 0, 1, PH_SHED_SET, 99000 }, /* shed: quiet resets */
	{ 1000, 20000, 0, 0, 0, PH_SHED_NONE, 99000 },
	{ 1000, 20000, 0, 0, 0, PH_SHED_STOP, CEIL },
	{ 1000, 20000, 0, 0, 0, PH_SHED_NONE, CEIL },
};

/* Climbing reaches the ceiling: that is a stop too. */
static const struct step to_ceiling[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, 200000 },
	{ 100, 10000, 5, 0, 0, PH_SHED_START, 90000 },
	{ 100, 9000, 0, 0, 10, PH_SHED_SET, 180000 }, /* +100% */
	{ 100, 9000, 0, 0, 10, PH_SHED_STOP, 200000 },
};

/* Counters that go back (queue re-bound, table rebuilt, 32-bit wrap):
 * the interval is ignored, the rate kept, the new values are the base. */
static const struct step reset[] = {
	{ 0, 1000000, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 250, 25000, 100, 0, 100, PH_SHED_START, 90000 },
	{ 250, -1000000, 0, 0, 0, PH_SHED_NONE, 90000 },
	{ 250, 22000, 0, 0, -5, PH_SHED_NONE, 90000 },
	{ 250, 22000, 0, 0, 10, PH_SHED_SET, 99000 },
};

/* Too short an interval is not evaluated; the next one covers it. */
static const struct step short_iv[] = {
	{ 0, 0, 0, 0, 0, PH_SHED_NONE, CEIL },
	{ 10, 100, 50, 0, 0, PH_SHED_NONE, CEIL },
	{ 240, 24900, 0, 0, 0, PH_SHED_START, 90000 }, /* 25,000 / 250 ms */
};

static const struct scenario scenarios[] = {
	{ "backs off, climbs", { 0 }, backs_off, N(backs_off) },
	{ "livelock", { 0 }, livelock, N(livelock) },
	{ "user drops", { 0 }, user_drops, N(user_drops) },
	{ "floor", { .floor = 50000 }, floor_holds, N(floor_holds) },
	{ "stops when idle", { 0 }, stops, N(stops) },
	{ "ceiling",
	  { .ceiling = 200000, .increase_pct = 100 },
	  to_ceiling,
	  N(to_ceiling) },
	{ "counter reset", { 0 }, reset, N(reset) },
	{ "short interval", { 0 }, short_iv, N(short_iv) },
};

static void
apply(struct ph_shed_sample *c, const struct step *st)
{
	c->queued += (uint64_t)st->queued;
	c->queue_dropped += (uint64_t)st->qdrop;
	c->user_dropped += (uint64_t)st->udrop;
	c->shed += (uint64_t)st->shed;
}

START_TEST(test_scenarios)
{
	const struct scenario *sc = &scenarios[_i];
	struct ph_shed *s = ph_shed_new(&sc->cfg);
	struct ph_shed_sample c = { 0 };
	uint64_t ms = 1000;

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < sc->n; i++) {
		const struct step *st = &sc->steps[i];
		enum ph_shed_action a;

		ms += st->ms;
		apply(&c, st);
		a = ph_shed_update(s, &c, ph_time_from_ns(ms * 1000000));
		ck_assert_msg(a == st->want, "%s step %zu: action %d, want %d",
			      sc->name, i, a, st->want);
		ck_assert_msg(ph_shed_rate(s) == st->rate,
			      "%s step %zu: rate %u, want %u", sc->name, i,
			      ph_shed_rate(s), st->rate);
	}
	ph_shed_free(s);
}
END_TEST

/* Whatever the counters do, the rate stays within [floor, ceiling]. */
START_TEST(test_bounds_hold)
{
	struct ph_shed_cfg cfg = { .floor = 5000, .ceiling = 300000 };
	struct ph_shed *s = ph_shed_new(&cfg);
	struct ph_shed_sample c = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull;

	ck_assert_ptr_nonnull(s);
	for (uint64_t i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		c.queued += x % 200000;
		if (x & 1)
			c.queue_dropped += (x >> 8) % 5000;
		if ((x & 6) == 6)
			c.user_dropped += (x >> 20) % 100;
		if (x & 8)
			c.shed += (x >> 30) % 100000;
		if ((x & 0x3ff) == 0)
			c.queued = 0; /* reset */
		ph_shed_update(s, &c,
			       ph_time_from_ns((i + 1) * 100ull * 1000000));
		ck_assert_uint_ge(ph_shed_rate(s), cfg.floor);
		ck_assert_uint_le(ph_shed_rate(s), cfg.ceiling);
	}
	ph_shed_free(s);
}
END_TEST

START_TEST(test_stats_count)
{
	struct ph_shed *s = ph_shed_new(NULL);
	struct ph_shed_sample c = { 0 };
	struct ph_shed_stats st;

	ph_shed_update(s, &c, ph_time_from_sec(1));
	c.queued = 50000;
	c.queue_dropped = 10;
	ph_shed_update(s, &c, ph_time_from_ns(1500000000ull));
	ph_shed_stats(s, &st);
	ck_assert(st.active);
	ck_assert_uint_eq(st.starts, 1);
	ck_assert_uint_eq(st.cuts, 1);
	ck_assert_uint_eq(st.capacity, 100000);
	ck_assert_uint_eq(st.last_passed, 100000);
	ck_assert_uint_eq(st.rate, 90000);
	ck_assert_uint_eq(st.intervals, 1);
	ph_shed_free(s);
}
END_TEST

START_TEST(test_bad_config)
{
	static const struct ph_shed_cfg bad[] = {
		{ .floor = 10, .ceiling = 5 },
		{ .decrease_pct = 100 },
		{ .increase_pct = 5000 },
	};

	for (size_t i = 0; i < N(bad); i++) {
		errno = 0;
		ck_assert_ptr_null(ph_shed_new(&bad[i]));
		ck_assert_int_eq(errno, EINVAL);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("shed");
	TCase *tc = tcase_create("controller");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_scenarios, 0, (int)N(scenarios));
	tcase_add_test(tc, test_bounds_hold);
	tcase_add_test(tc, test_stats_count);
	tcase_add_test(tc, test_bad_config);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
