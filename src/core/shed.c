/*
 * core/shed.c - the overload shedding controller (see shed.h for the
 * policy and why).
 *
 * The prototype this follows (bench/fig-kernel.sh bl_shed_ctl, measured in
 * docs/performance.md "Overload shedding prototype") cut the rate to 90%
 * of the interval's delivered rate on drops and raised it 10% otherwise.
 * Two changes for a daemon that starts with no limit: the first cut goes
 * to the remembered capacity rather than to what a livelocked interval
 * delivered (which can be a few percent of it, and climbing back 10% per
 * interval would take seconds), and shedding stops on its own once the
 * rule has shed nothing for a while.
 *
 * Known limits: one rate for all traffic (established and new flows
 * alike); the capacity estimate is only as good as the intervals that
 * saturated the queue.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/shed.h"

struct ph_shed {
	struct ph_shed_cfg cfg;
	uint32_t rate;
	uint32_t capacity;
	bool active;
	bool have_base;
	struct ph_shed_sample base;
	uint64_t base_ns;
	uint64_t quiet_ns; /* clean and nothing shed, while active */
	bool last_drop;	   /* the last evaluated interval dropped */
	struct ph_shed_stats st;
};

static void
shed_defaults(struct ph_shed_cfg *c)
{
	if (c->floor == 0)
		c->floor = PH_SHED_DEFAULT_FLOOR;
	if (c->ceiling == 0)
		c->ceiling = PH_SHED_DEFAULT_CEILING;
	if (c->decrease_pct == 0)
		c->decrease_pct = PH_SHED_DEFAULT_DECREASE_PCT;
	if (c->increase_pct == 0)
		c->increase_pct = PH_SHED_DEFAULT_INCREASE_PCT;
	if (c->min_interval == 0)
		c->min_interval = PH_SHED_DEFAULT_MIN_INTERVAL;
	if (c->idle == 0)
		c->idle = PH_SHED_DEFAULT_IDLE;
}

struct ph_shed *
ph_shed_new(const struct ph_shed_cfg *cfg)
{
	struct ph_shed_cfg c = { 0 };
	struct ph_shed *s;

	if (cfg != NULL)
		c = *cfg;
	shed_defaults(&c);
	if (c.floor > c.ceiling || c.decrease_pct >= 100 ||
	    c.increase_pct > 1000) {
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cfg = c;
	s->rate = c.ceiling;
	return s;
}

void
ph_shed_free(struct ph_shed *s)
{
	free(s);
}

uint32_t
ph_shed_rate(const struct ph_shed *s)
{
	return s->rate;
}

void
ph_shed_stats(const struct ph_shed *s, struct ph_shed_stats *st)
{
	*st = s->st;
	st->rate = s->rate;
	st->capacity = s->capacity;
	st->active = s->active;
}

/* Packets per second for n packets over dt ns, saturating. */
static uint32_t
shed_pps(uint64_t n, uint64_t dt)
{
	uint64_t r;

	if (n > UINT32_MAX)
		n = UINT32_MAX;
	r = n * PH_NSEC_PER_SEC / dt;
	return r > UINT32_MAX ? UINT32_MAX : (uint32_t)r;
}

static uint32_t
shed_pct(uint32_t v, uint32_t pct)
{
	return (uint32_t)((uint64_t)v * pct / 100);
}

static bool
shed_went_back(const struct ph_shed_sample *a, const struct ph_shed_sample *b)
{
	return b->queued < a->queued || b->queue_dropped < a->queue_dropped ||
	       b->user_dropped < a->user_dropped || b->shed < a->shed;
}

/* The queue dropped: saturated.  Returns the action. */
static enum ph_shed_action
shed_on_drops(struct ph_shed *s, uint32_t passed, bool heavy)
{
	uint32_t decayed = shed_pct(s->capacity, 100 - PH_SHED_CAP_DECAY_PCT);
	uint32_t seen = passed > s->capacity ? passed : s->capacity;
	uint32_t target = shed_pct(seen, s->cfg.decrease_pct), want;
	bool was = s->active;

	/* first drop after clean intervals: cut to the known capacity.
	 * Still dropping heavily after that cut: the estimate is stale,
	 * trust what this interval delivered.  A few drops after a cut
	 * are the full queue draining (at the small difference between
	 * the daemon's rate and the new limit): hold */
	if (!s->last_drop)
		want = target;
	else if (heavy) {
		/* at most halve per interval: one stall of the daemon
		 * (another job on its CPU) must not undo seconds of climb */
		want = shed_pct(passed, s->cfg.decrease_pct);
		if (want < s->rate / 2)
			want = s->rate / 2;
	} else
		want = s->rate;
	s->capacity = passed > decayed ? passed : decayed;
	s->last_drop = true;
	if (want > s->rate)
		want = s->rate;
	if (want < s->cfg.floor)
		want = s->cfg.floor;
	s->quiet_ns = 0;
	s->active = true;
	if (want != s->rate)
		s->st.cuts++;
	if (!was) {
		s->rate = want;
		s->st.starts++;
		return PH_SHED_START;
	}
	if (want == s->rate)
		return PH_SHED_NONE;
	s->rate = want;
	return PH_SHED_SET;
}

/* No queue drops in an interval of dt ns. */
static enum ph_shed_action
shed_on_clean(struct ph_shed *s, uint32_t passed, uint64_t shed, uint64_t dt)
{
	uint64_t up;

	s->last_drop = false;
	if (passed > s->capacity)
		s->capacity = passed;
	if (!s->active)
		return PH_SHED_NONE;
	if (shed == 0) {
		s->quiet_ns += dt;
		if (s->quiet_ns < s->cfg.idle)
			return PH_SHED_NONE;
		s->rate = s->cfg.ceiling;
		s->active = false;
		s->quiet_ns = 0;
		return PH_SHED_STOP;
	}
	s->quiet_ns = 0;
	up = (uint64_t)s->rate + (uint64_t)s->rate * s->cfg.increase_pct / 100;
	if (up == s->rate)
		up++;
	if (up >= s->cfg.ceiling) {
		s->rate = s->cfg.ceiling;
		s->active = false;
		s->st.raises++;
		return PH_SHED_STOP;
	}
	s->rate = (uint32_t)up;
	s->st.raises++;
	return PH_SHED_SET;
}

enum ph_shed_action
ph_shed_update(struct ph_shed *s, const struct ph_shed_sample *smp,
	       ph_time_t now)
{
	const struct ph_shed_sample *b = &s->base;
	uint64_t dt, queued, udrop, drops, passed, shed;

	if (!s->have_base || now.ns < s->base_ns) {
		s->have_base = true;
		goto out_rebase;
	}
	dt = now.ns - s->base_ns;
	if (dt < s->cfg.min_interval)
		return PH_SHED_NONE;
	if (shed_went_back(b, smp)) {
		s->st.resets++;
		goto out_rebase;
	}
	queued = smp->queued - b->queued;
	udrop = smp->user_dropped - b->user_dropped;
	drops = (smp->queue_dropped - b->queue_dropped) + udrop;
	passed = queued > udrop ? queued - udrop : 0;
	shed = smp->shed - b->shed;
	s->base = *smp;
	s->base_ns = now.ns;
	s->st.intervals++;
	s->st.last_passed = shed_pps(passed, dt);
	if (drops > 0)
		return shed_on_drops(s, s->st.last_passed,
				     drops > passed / PH_SHED_HEAVY_DIV);
	return shed_on_clean(s, s->st.last_passed, shed, dt);

out_rebase:
	s->base = *smp;
	s->base_ns = now.ns;
	return PH_SHED_NONE;
}
