/*
 * daemon/shed_int.h - what daemon/shed.c (the controller's sampling and
 * logging) and daemon/shed_place.c (where the limit drops: the nft rule,
 * or the BPF program brought in while shedding) share.  Not for other
 * files: daemon/shed.h is the interface.
 */
#ifndef PH_DAEMON_SHED_INT_H
#define PH_DAEMON_SHED_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ph_daemon;
struct ph_shed;
struct pd_shedprog;

/* How long after the last shed packet the BPF program stays attached. */
#define PD_SHED_PROG_LINGER_NS (2ull * 1000000000ull)

struct pd_shed {
	struct ph_shed *ctl; /* auto only; NULL with a fixed rate */
	int tfd;	     /* the 250 ms timer */
	int stopfd;	     /* eventfd: the thread's stop signal */
	pthread_t thread;
	bool running;
	uint64_t changes, errors;
	uint64_t last_start_log; /* ns; 0 = never */
	uint64_t started_ns;	 /* of the current episode */
	uint64_t shed_at_start;	 /* rule counter when it started */
	uint64_t suppressed;	 /* start lines not logged */
	bool logged;		 /* this episode's start was logged */
	/* shed_place.c */
	struct pd_shedprog *prog; /* loaded, attached only while shedding */
	bool on;		  /* attached: the program holds the limit */
	uint64_t prog_gone;	  /* dropped by a program since freed */
	uint64_t last_total;	  /* everything shed, at the last tick */
	uint64_t last_drop_ns;	  /* when shedding last dropped */
	uint64_t attaches;	  /* times the program was attached */
	uint64_t gone_known;	  /* of prog_gone: known flows' */
	uint64_t last_age_ns;	  /* last new generation of flow marks */
};

/* Load and try the BPF program for --shed-hook (logged); none for nft. */
void pd_shed_place_init(struct ph_daemon *d, struct pd_shed *s);

/* The limit in force (pps; 0: nothing sheds). */
uint32_t pd_shed_place_rate(const struct ph_daemon *d);

/* Set the limit where it is in force.  0 or -errno. */
int pd_shed_place_push(struct ph_daemon *d, uint32_t rate);

/* Everything shed so far (the nft rule's and the programs').  0 or
 * -errno (the rule's counter could not be read). */
int pd_shed_place_count(struct ph_daemon *d, uint64_t *pkts);

/* Per tick: attach the program while the limit drops, detach it 2 s
 * after it stopped. */
void pd_shed_place_tick(struct ph_daemon *d, struct pd_shed *s, uint64_t total,
			uint64_t now_ns);

/* Where the limit drops now: "nft", "xdp", "tc", "xdpgeneric"; and the
 * hook of a loaded program, attached or not (NULL: none). */
const char *pd_shed_place_name(const struct pd_shed *s);
const char *pd_shed_place_prog(const struct pd_shed *s);

/* Detach and unload. */
void pd_shed_place_free(struct pd_shed *s);

#endif /* PH_DAEMON_SHED_INT_H */
