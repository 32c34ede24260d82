/*
 * core/event.c - the syslog event catalog of pinhole/event.h as a table
 * sorted by message id, and the teardown reason words.
 *
 * The rows come from the PH_EVENTS X-macro; the table is generated in id
 * order because the X-macro lists rows in ascending id order (the unit test
 * checks it), so lookups are a binary search.
 */
#include <pinhole/event.h>

#include <string.h>

static const struct ph_event_def event_defs[] = {
#define PH_EVENT_DEF(sym_, id_, sev_, fmt_, when_) \
	{ .id = id_,                               \
	  .severity = sev_,                        \
	  .sym = #sym_,                            \
	  .fmt = fmt_,                             \
	  .when = when_ },
	PH_EVENTS(PH_EVENT_DEF)
#undef PH_EVENT_DEF
};

#define N_EVENT_DEFS (sizeof(event_defs) / sizeof(event_defs[0]))

static const char *const teardown_texts[PH_TD_MAX] = {
#define PH_TEARDOWN_TEXT(sym, text) [PH_TD_##sym] = text,
	PH_TEARDOWN_REASONS(PH_TEARDOWN_TEXT)
#undef PH_TEARDOWN_TEXT
};

const struct ph_event_def *
ph_event_def(uint32_t id)
{
	size_t lo = 0, hi = N_EVENT_DEFS;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (event_defs[mid].id == id)
			return &event_defs[mid];
		if (event_defs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
ph_event_def_count(void)
{
	return N_EVENT_DEFS;
}

const struct ph_event_def *
ph_event_def_at(size_t i)
{
	return i < N_EVENT_DEFS ? &event_defs[i] : NULL;
}

void
ph_event_init(struct ph_event *ev, uint32_t id, ph_time_t now)
{
	const struct ph_event_def *d = ph_event_def(id);

	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ev->when = now;
	ev->severity = d != NULL ? d->severity : 6;
}

const char *
ph_teardown_text(unsigned td)
{
	return td < PH_TD_MAX ? teardown_texts[td] : "";
}
