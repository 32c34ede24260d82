/*
 * core/timer.c - intrusive index-linked LRU lists (see timer.h).
 */
#include "core/timer.h"

static inline struct ph_lru_link *
link_of(const struct ph_lru_pool *p, uint32_t idx)
{
	return (struct ph_lru_link *)((char *)p->base +
				      (size_t)idx * p->stride + p->off);
}

void
ph_lru_init(struct ph_lru *l)
{
	l->head = l->tail = PH_IDX_NONE;
	l->count = 0;
}

void
ph_lru_push(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx)
{
	struct ph_lru_link *n = link_of(p, idx);

	n->next = PH_IDX_NONE;
	n->prev = l->tail;
	if (l->tail != PH_IDX_NONE)
		link_of(p, l->tail)->next = idx;
	else
		l->head = idx;
	l->tail = idx;
	l->count++;
}

void
ph_lru_unlink(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx)
{
	struct ph_lru_link *n = link_of(p, idx);

	if (n->prev != PH_IDX_NONE)
		link_of(p, n->prev)->next = n->next;
	else
		l->head = n->next;
	if (n->next != PH_IDX_NONE)
		link_of(p, n->next)->prev = n->prev;
	else
		l->tail = n->prev;
	n->prev = n->next = PH_IDX_NONE;
	l->count--;
}

void
ph_lru_touch(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx)
{
	if (l->tail == idx)
		return;
	ph_lru_unlink(l, p, idx);
	ph_lru_push(l, p, idx);
}
