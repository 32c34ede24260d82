/*
 * log/ring.c - fixed-size ring of formatted log lines (`logging buffered`).
 *
 * One flat allocation of capacity x PH_LOG_RING_LINE_MAX bytes; `head` is
 * the slot of the oldest line.  Pushing into a full ring overwrites the
 * oldest line and counts it.  Known limits: fixed line size (PIX messages
 * are well under 512 bytes).
 */
#include "log/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ph_log_ring {
	char *lines; /* capacity slots of PH_LOG_RING_LINE_MAX */
	uint32_t capacity;
	uint32_t head;	/* slot of the oldest line */
	uint32_t count; /* lines held */
	uint64_t pushed;
	uint64_t dropped;
	uint64_t truncated;
};

struct ph_log_ring *
ph_log_ring_new(uint32_t capacity)
{
	struct ph_log_ring *r;

	if (capacity == 0 || capacity > PH_LOG_RING_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->lines = calloc(capacity, PH_LOG_RING_LINE_MAX);
	if (r->lines == NULL)
		goto out_free;
	r->capacity = capacity;
	return r;

out_free:
	free(r);
	errno = ENOMEM;
	return NULL;
}

void
ph_log_ring_free(struct ph_log_ring *r)
{
	if (r == NULL)
		return;
	free(r->lines);
	free(r);
}

static char *
ring_slot(const struct ph_log_ring *r, uint32_t slot)
{
	return r->lines + (size_t)slot * PH_LOG_RING_LINE_MAX;
}

void
ph_log_ring_push(struct ph_log_ring *r, const char *line)
{
	uint32_t slot;
	size_t n = strlen(line);

	if (r->count == r->capacity) {
		slot = r->head;
		r->head = (r->head + 1) % r->capacity;
		r->dropped++;
	} else {
		slot = (r->head + r->count) % r->capacity;
		r->count++;
	}
	if (n >= PH_LOG_RING_LINE_MAX) {
		n = PH_LOG_RING_LINE_MAX - 1;
		r->truncated++;
	}
	memcpy(ring_slot(r, slot), line, n);
	ring_slot(r, slot)[n] = '\0';
	r->pushed++;
}

uint32_t
ph_log_ring_count(const struct ph_log_ring *r)
{
	return r->count;
}

const char *
ph_log_ring_get(const struct ph_log_ring *r, uint32_t i)
{
	if (i >= r->count)
		return NULL;
	return ring_slot(r, (r->head + i) % r->capacity);
}

void
ph_log_ring_clear(struct ph_log_ring *r)
{
	r->head = 0;
	r->count = 0;
}

void
ph_log_ring_stats(const struct ph_log_ring *r, struct ph_log_ring_stats *st)
{
	st->pushed = r->pushed;
	st->dropped = r->dropped;
	st->truncated = r->truncated;
	st->held = r->count;
	st->capacity = r->capacity;
}
