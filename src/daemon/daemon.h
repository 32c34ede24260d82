/*
 * daemon/daemon.h - pinholed's run-time state, shared by the daemon's own
 * files (not a library contract):
 *
 *   main.c    options -> struct ph_daemon_cfg, then ph_daemon_run()
 *   daemon.c  start-up and shutdown: policy, interfaces, addresses,
 *             NFQUEUE, nftables, control sockets, logging, privileges
 *   loop.c    the event loop: epoll over the queue, the control socket,
 *             a signalfd and a 1-second timerfd; the packet callback
 *   reload.c  atomic reload (SIGHUP, `pinholectl reload [FILE]`)
 *   (logsink.c, the control helper's: engine events -> PIX lines -> syslog,
 *   UDP logging hosts, the buffer, stderr; and the daemon's own messages)
 *   show.c    control handlers (show / clear / reload / debug)
 *   privs.c   capabilities (libcap-ng), --user, pidfile, sd_notify
 *
 * Threading (`--queues N`, loop.c's top comment has the details): the
 * main thread runs the epoll loop (signals, timer, control, queue 0);
 * queues 1..N-1 each have a worker thread.  One recursive mutex,
 * d->lock, guards the engine and everything in struct ph_daemon that
 * packet processing touches (counters, now, the interface cache, the
 * held-packet tables and mailboxes, the log sink, the policy); every
 * caller of ph_engine_*() holds it.  An NFQUEUE handle (struct ph_nfq)
 * is used only by the thread that owns its queue.
 *
 * Interfaces: the policy names interfaces (nameif); each one that is not
 * `shutdown` must exist on the host under its Linux name (the -i mapping
 * or the hardware id itself).  The daemon keeps a small ifindex -> policy
 * index table; a packet from an ifindex not in it (an interface deleted
 * and re-created under the same name gets a new ifindex) causes one
 * re-resolution by name, at most once a second, before it is dropped and
 * counted.  ifmon.c normally updates the table first, as soon as rtnetlink
 * reports the re-created interface, and puts its owned addresses back.
 */
#ifndef PH_DAEMON_DAEMON_H
#define PH_DAEMON_DAEMON_H

#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <pinhole/engine.h>
#include <pinhole/policy.h>
#include <pinhole/time.h>

#include "config/model.h"
#include "daemon/netdev.h"
#include "daemon/nfq.h"
#include "daemon/shed.h"

#define PH_DAEMON_MAX_IFMAP 64
#define PH_DAEMON_MAX_ADDRS 4096 /* global/static addresses owned */
#define PH_DAEMON_MAX_DEFER 4096 /* held packets tracked by id */
#define PH_DAEMON_DEFER_SEC 10	 /* a held id older than this is dropped */
#define PH_DAEMON_READS_MAX 64	 /* queue reads per wakeup */
#define PH_DAEMON_RULES_MAX ((16u << 20) + 1)

#define PH_DAEMON_QUEUES_MAX 64 /* --queues */

/* What the command line asked for (main.c fills it). */
struct ph_daemon_cfg {
	const char *file; /* rule file, made absolute */
	struct ph_ifmap map[PH_DAEMON_MAX_IFMAP];
	size_t n_map;
	bool debug;		     /* -d: foreground, log lines on stderr */
	bool foreground;	     /* -F: no fork */
	uint16_t queue;		     /* NFQUEUE number (the first one) */
	uint16_t n_queues;	     /* --queues: queue..queue+n-1; 0 = 1 */
	enum pd_shed_mode shed_mode; /* --shed (daemon/shed.h) */
	uint32_t shed_rate;	     /* --shed PPS */
	enum pd_shed_hook shed_hook; /* --shed-hook */
	bool fail_open;		     /* queue bypass + NFQA_CFG_F_FAIL_OPEN */
	const char *ctl_path;	     /* full control socket */
	const char *ctl_ro_path;     /* read-only socket; "" = none */
	const char *user;	     /* switch to this user after set-up */
	uid_t uid;
	gid_t gid;
	gid_t ctl_gid; /* group of the full socket; (gid_t)-1 = keep */
	const char *pidfile;
	uint32_t conn_count_sec; /* 302010 every N s; 0 = never */
};

/* One policy interface as it sits on the host. */
struct pd_iface {
	ph_ifidx_t pidx;     /* index in the policy */
	uint32_t ifindex;    /* 0: not on the host (shutdown only) */
	char name[IFNAMSIZ]; /* Linux name */
	bool managed;	     /* its packets are queued */
	bool shutdown;	     /* queued, then dropped by the daemon */
};

/* A packet deferred in the kernel (engine HOLD) and since when. */
struct pd_deferred {
	uint32_t id;
	uint64_t since_ns;
};

/* A held packet's verdict released on another queue's thread. */
struct pd_release {
	uint32_t id;
	enum ph_nfq_verdict v;
	uint8_t *data; /* rewritten packet (malloc'd) or NULL */
	size_t len;
};

struct ph_daemon;

/*
 * One NFQUEUE queue and the thread that owns it (queue 0: the main
 * thread).  nfq, epfd and the read-error limiter are the owner's alone;
 * the rest is guarded by d->lock.
 */
struct pd_queue {
	struct ph_daemon *d;
	struct ph_nfq *nfq;
	uint16_t num; /* NFQUEUE number */
	uint16_t idx; /* index in d->q[]; bits 32-47 of engine tokens */
	pthread_t thread;
	bool running;	  /* a worker thread was started */
	atomic_bool stop; /* the worker should return */
	int epfd, evfd;	  /* worker's epoll; eventfd: mailbox or stop */
	uint64_t last_err_ns, last_sweep_ns;
	/* under d->lock */
	struct pd_deferred deferred[PH_DAEMON_MAX_DEFER];
	size_t n_deferred;
	struct pd_release *mbox; /* released for this queue elsewhere */
	size_t n_mbox, c_mbox;
	struct ph_nfq_stats snap; /* the handle's counters, published */
	struct ph_nfq_stats base; /* `clear counters` */
	/* one read's packets for ph_engine_process_batch() (queue thread) */
	struct ph_pkt_in *bin;
	struct ph_pkt_out *bout;
	uint32_t *bmap; /* bin[k] is the read's packet bmap[k] */
	uint64_t *bkey; /* bin[k]'s flow key (shedprog.h), with a program */
	uint32_t bcap;
};

/* The daemon's own counters (`show counters`). */
struct pd_counters {
	uint64_t unknown_if;	 /* from an ifindex that maps to nothing */
	uint64_t shutdown_if;	 /* arrived on a `shutdown` interface */
	uint64_t not_ipv4;	 /* hw protocol other than IPv4 */
	uint64_t held;		 /* deferred to the kernel */
	uint64_t released;	 /* verdicts for held packets */
	uint64_t held_expired;	 /* held ids dropped by the safety sweep */
	uint64_t held_untracked; /* holds beyond PH_DAEMON_MAX_DEFER */
	uint64_t verdict_errors; /* ph_nfq_verdict() failures */
	uint64_t reloads, reload_failures;
	uint64_t events;
	uint64_t ticks;
};

struct ph_nft;
struct ph_control;
struct ph_logsink;

struct ph_daemon {
	const struct ph_daemon_cfg *cfg;
	struct ph_policy *pol;
	uint64_t pol_gen; /* +1 per successful reload (paged show output) */
	struct ph_engine *eng;
	pthread_mutex_t lock; /* recursive; see "Threading" above */
	struct pd_queue *q;   /* n_q queues; q[0] is the main thread's */
	size_t n_q;
	struct ph_nft *nft;
	struct pd_shed *shed; /* --shed auto or PPS (shed.c); NULL: off */
	struct ph_netdev *nd;
	struct ph_control *ctl;
	struct ph_logsink *log;

	int epfd, sigfd, timerfd;
	bool stop;
	bool nft_applied;
	bool pptp_debug; /* the engine's PPTP decoder is on */

	struct pd_iface ifs[PH_IF_MAX];
	size_t n_ifs;
	uint64_t if_retry_ns;  /* last re-resolution */
	uint32_t last_ifindex; /* one-entry cache of the last lookup */
	int last_pidx;

	struct ph_netdev_addr addrs[PH_DAEMON_MAX_ADDRS]; /* owned set */
	size_t n_addrs;

	ph_time_t now;	   /* of the read being processed */
	ph_time_t started; /* monotonic */
	time_t started_wall;
	uint64_t last_conn_count; /* seconds of the last 302010 */
	uint64_t seed[2];

	struct pd_counters ctr;
	/* `clear counters`: values at the time of the clear */
	struct ph_engine_counters eng_base;
	struct pd_counters ctr_base;
};

/* ---- daemon.c --------------------------------------------------------- */

/** Run the daemon; returns the process exit status. */
int ph_daemon_run(const struct ph_daemon_cfg *cfg);

/** Monotonic now. */
ph_time_t pd_now(void);

/**
 * Read a rule file and parse it with the daemon's -i mappings.  On
 * success returns 0 and *out; else -errno (-EINVAL: rule errors).  The
 * diagnostics (maybe NULL on -ENOMEM or a read error) go to *diags; a
 * read error's text goes to err.
 */
int pd_policy_load(struct ph_daemon *d, const char *path,
		   struct ph_policy **out, struct ph_diags **diags, char *err,
		   size_t errlen);

/**
 * Map the policy's interfaces to host interfaces into ifs[] (n entries).
 * Returns 0, or -ENODEV with a message in err.
 */
int pd_ifaces_resolve(const struct ph_policy *pol, struct pd_iface *ifs,
		      size_t *n, char *err, size_t errlen);

/**
 * The addresses the policy needs on its interfaces (`global` addresses
 * and ranges, static mapped addresses; not interface PAT), into out[].
 * Returns how many, or -E2BIG with a message in err.
 */
int pd_addrs_of(const struct ph_policy *pol, const struct pd_iface *ifs,
		size_t n_ifs, struct ph_netdev_addr *out, size_t max, char *err,
		size_t errlen);

/** Warn about each interface whose policy `ip address` is not on the
 * host (interface PAT and traffic to the gateway need it). */
void pd_check_iface_addrs(struct ph_daemon *d);

/** Apply the nft table for ifs[] (the managed ones).  0 or -errno. */
int pd_nft_apply(struct ph_daemon *d, const struct pd_iface *ifs, size_t n);

/** Log the diagnostics of a parse, one record per line, at severity. */
void pd_log_diags(struct ph_daemon *d, const struct ph_diags *diags);

/* ---- loop.c ----------------------------------------------------------- */

/** Set up epoll, signalfd and timerfd.  0 or -errno. */
int pd_loop_init(struct ph_daemon *d);
/** Allocate d->q[] for n queues (cfg->queue + i), their eventfds and
 * the workers' epoll sets; daemon.c then opens each q[i].nfq.  0 or
 * -errno. */
int pd_loop_queues_init(struct ph_daemon *d, size_t n);

/* The engine batch arrays of q, sized to its handle's batch; 0 or -ENOMEM. */
int pd_queue_batch_alloc(struct pd_queue *q);
/** Run until SIGTERM/SIGINT: start the workers, loop, stop and join
 * them.  0 or -errno on a fatal error. */
int pd_loop_run(struct ph_daemon *d);
/** Give every released held packet its verdict (on its own queue's
 * thread: directly, or through that queue's mailbox).  Under d->lock. */
void pd_release_held(struct ph_daemon *d);
/** Take / give back d->lock (recursive). */
void pd_lock(struct ph_daemon *d);
void pd_unlock(struct ph_daemon *d);
/** Counters of queue i (the live ones on its own thread, else the copy
 * published at its last batch or tick).  Under d->lock. */
void pd_queue_stats(struct ph_daemon *d, size_t i, struct ph_nfq_stats *st);
/** Held packets now in the kernel, all queues.  Under d->lock. */
size_t pd_held_now(const struct ph_daemon *d);
/** Read what is still queued after the table is gone; drop holds. */
void pd_loop_drain_final(struct ph_daemon *d);
/** Policy index of an ingress ifindex, or -1. */
int pd_if_lookup(struct ph_daemon *d, uint32_t ifindex);
/** Close the loop's descriptors. */
void pd_loop_fini(struct ph_daemon *d);

/* ---- reload.c --------------------------------------------------------- */

/* Where a reload reports its progress (the control reply or the log). */
typedef void (*pd_report_fn)(void *arg, int severity, const char *text);

/**
 * Reload from path (NULL: the -f file).  Atomic: on any error the old
 * policy stays and -errno is returned; every diagnostic and the outcome
 * are reported through report (may be NULL) and logged.
 */
int pd_reload(struct ph_daemon *d, const char *path, pd_report_fn report,
	      void *arg);

/* ---- show.c ----------------------------------------------------------- */

/** Register every control command handler.  0 or -errno. */
int pd_show_register(struct ph_daemon *d);
/** Once a second: switch the PPTP decoder off when nobody follows. */
void pd_debug_tick(struct ph_daemon *d);

/* ---- privs.c ---------------------------------------------------------- */

/**
 * Drop every capability but CAP_NET_ADMIN (and the bounding set), set
 * no_new_privs, and switch to cfg->user when given.  0 or -errno, with a
 * message in err.
 */
int pd_privs_drop(const struct ph_daemon_cfg *cfg, char *err, size_t errlen);
/** Write the pidfile (when configured).  0 or -errno. */
int pd_pidfile_write(const char *path);
/** Tell systemd (NOTIFY_SOCKET) a state such as "READY=1"; no-op
 * without it. */
void pd_sd_notify(const char *state);

#endif /* PH_DAEMON_DAEMON_H */
