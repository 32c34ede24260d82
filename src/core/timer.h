/*
 * core/timer.h - idle-expiry lists: one LRU list per timeout class.
 *
 * Every connection (and every idle translation) sits on exactly one list,
 * chosen by its timeout class (TCP embryonic, TCP established, UDP, ...).
 * All members of a class share one timeout, so a list kept in order of last
 * activity (touch = move to the tail) is also in order of expiry: the head
 * is the next to expire, and expiry never scans the table.  A reload that
 * changes a timeout keeps the order valid, since it changes the timeout of
 * the whole class at once.
 *
 * The lists are intrusive and index-linked (32-bit indexes into a pool
 * rather than pointers, to keep the per-entry cost at 8 bytes).  A list
 * operation takes the pool's base, its element size and the offset of the
 * ph_lru_link inside the element, so one implementation serves connections
 * and translations.
 *
 * Known limits: a class with timeout 0 ("never") is simply not expired.
 */
#ifndef PH_CORE_TIMER_H
#define PH_CORE_TIMER_H

#include <stddef.h>
#include <stdint.h>

#define PH_IDX_NONE 0xffffffffu

struct ph_lru_link {
	uint32_t prev, next; /* PH_IDX_NONE at the ends */
};

struct ph_lru {
	uint32_t head, tail; /* head = least recently active */
	uint32_t count;
};

/* Where the links live: pool base, element size, offset of the link. */
struct ph_lru_pool {
	void *base;
	size_t stride;
	size_t off;
};

/** Make an empty list. */
void ph_lru_init(struct ph_lru *l);
/** Append element idx (not on any list) at the tail. */
void ph_lru_push(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx);
/** Unlink element idx from list l (it must be on l). */
void ph_lru_unlink(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx);
/** Move element idx (on l) to the tail: it was just active. */
void ph_lru_touch(struct ph_lru *l, const struct ph_lru_pool *p, uint32_t idx);

#endif /* PH_CORE_TIMER_H */
