/*
 * daemon/control.h - pinholed's control sockets: where pinholectl's
 * requests arrive and replies leave.
 *
 * Two listening Unix stream sockets (docs/control.md):
 *  - the full socket (default /run/pinhole/pinhole.sock, mode 0660, owner
 *    root, group opts.group): every command;
 *  - the read-only socket (default /run/pinhole/pinhole-ro.sock, mode
 *    0666): `show` commands only; clear/reload/debug are refused with
 *    PH_CTL_E_DENIED, a clear error and a log line.
 * Every client's peer credentials (SO_PEERCRED: pid, uid, gid) are logged
 * with the commands it runs.
 *
 * Event loop: all sockets and clients are multiplexed on one internal
 * epoll set whose fd is ph_control_fd().  The daemon adds that fd to its
 * own epoll with EPOLLIN and calls ph_control_handle() when it fires, and
 * ph_control_tick() about once a second for timeouts.  Nothing blocks:
 * sockets are non-blocking, each client has a bounded output buffer
 * (opts.max_out), and a client that stops reading is dropped when its
 * buffer overflows (streams) or it makes no progress for opts.timeout_ms.
 * A client's next request is read only once its last reply is with the
 * kernel, so a client that pipelines and never reads costs at most one
 * reply.  The read-only socket may hold three quarters of max_clients,
 * so the full socket always has room for the operator.  Log lines that
 * clients can cause are limited to 20 a second (per class: warnings and
 * worse, the rest) and the excess is counted (log_suppressed).
 *
 * Handlers: the daemon registers one ph_ctl_handler per command.  A
 * handler writes text (or JSON when req->json) into the reply and returns
 * a status.  Long outputs are paged: a handler that has more to write
 * than fits (ph_ctl_reply_full()) saves its position in
 * ph_ctl_reply_cursor(), calls ph_ctl_reply_again() and returns; it is
 * called again when the client has drained its buffer.  So `show conn`
 * over a million connections costs the packet path one page at a time.
 *
 * Streams: `debug pptp` makes its connection a subscriber of
 * PH_CTL_STREAM_PPTP; the daemon sends lines with ph_control_stream() (ask
 * ph_control_stream_active() first to skip the formatting when nobody
 * listens).  The stream ends when the client closes it, or for everyone
 * with `no debug pptp` / `undebug all` from any full-socket client.
 *
 * Known limits: one request is served at a time per connection (further
 * requests wait in its input buffer); Linux only (SO_PEERCRED, epoll).
 */
#ifndef PH_DAEMON_CONTROL_H
#define PH_DAEMON_CONTROL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/ctlproto.h"

struct ph_control;
struct ph_ctl_reply;
struct ph_json;

/* Debug streams. */
enum ph_ctl_stream {
	PH_CTL_STREAM_PPTP = 0, /* `debug pptp` */
	PH_CTL_STREAM_MAX
};

/* Defaults. */
#define PH_CONTROL_MAX_CLIENTS 16
#define PH_CONTROL_MAX_OUT     (1u << 20) /* bytes pending per client */
#define PH_CONTROL_TIMEOUT_MS  10000	  /* partial request / no progress */
#define PH_CONTROL_IDLE_MS     60000	  /* idle between requests */
#define PH_CTL_REPLY_CURSORS   4

/* Who is asking. */
struct ph_ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool ro; /* connected to the read-only socket */
};

/**
 * A command handler: write the reply (text, or JSON when req->json) and
 * return PH_CTL_OK or an error status (enum ph_ctl_status).  Output
 * written before an error is still sent, then the error.
 */
typedef int (*ph_ctl_handler)(void *arg, const struct ph_ctl_request *req,
			      struct ph_ctl_reply *reply);

/** Log callback: severity 0..7 (syslog levels), one line of text. */
typedef void (*ph_control_log_fn)(void *arg, int severity, const char *msg);

struct ph_control_opts {
	const char *path;      /* full socket; NULL: PH_CTL_SOCK_PATH */
	const char *ro_path;   /* read-only socket; NULL: PH_CTL_SOCK_RO_PATH,
			       * "": no read-only socket */
	gid_t group;	       /* group of the full socket; (gid_t)-1: keep */
	uint32_t max_clients;  /* 0: PH_CONTROL_MAX_CLIENTS */
	size_t max_out;	       /* 0: PH_CONTROL_MAX_OUT; min 64 KiB */
	uint32_t timeout_ms;   /* 0: PH_CONTROL_TIMEOUT_MS */
	uint32_t idle_ms;      /* 0: PH_CONTROL_IDLE_MS */
	ph_control_log_fn log; /* NULL: no logging */
	void *log_arg;
};

struct ph_control_stats {
	uint64_t accepted;	   /* connections accepted */
	uint64_t refused_busy;	   /* over max_clients */
	uint64_t requests;	   /* requests decoded */
	uint64_t bad_requests;	   /* refused by the grammar or framing */
	uint64_t denied;	   /* write commands on the read-only socket */
	uint64_t dropped_overflow; /* clients dropped: output buffer full */
	uint64_t dropped_timeout;  /* clients dropped: timeout */
	uint64_t stream_lines;	   /* stream chunks queued */
	uint64_t log_suppressed;   /* client log lines over the budget */
	uint32_t clients;	   /* connected now */
};

/**
 * Create both sockets (removing a stale socket file left by a crash, but
 * failing with EADDRINUSE when a live daemon answers on it, and EEXIST
 * when the path is not a socket).  Creates the parent directory (0755)
 * when it is missing.  Returns NULL and sets errno on failure.
 */
struct ph_control *ph_control_new(const struct ph_control_opts *opts);

/** Close every client and socket and remove the socket files. */
void ph_control_free(struct ph_control *ctl);

/**
 * Register the handler of a command (enum ph_ctl_cmd), replacing any
 * previous one.  A command without a handler answers
 * PH_CTL_E_UNSUPPORTED.  The stream commands work without handlers; a
 * handler given for them is called first (to switch engine debugging on
 * or off) and may refuse.  Returns 0 or -EINVAL.
 */
int ph_control_register(struct ph_control *ctl, unsigned cmd, ph_ctl_handler fn,
			void *arg);

/** The fd to watch for EPOLLIN in the daemon's loop. */
int ph_control_fd(const struct ph_control *ctl);

/**
 * Do the work behind readiness of `fd`, which must be ph_control_fd(ctl)
 * (anything else returns -EBADF, so a loop may offer it every fd):
 * accept, read, run handlers, write.  `events` is what epoll reported.
 * Never blocks.  Returns the number of internal events handled.
 */
int ph_control_handle(struct ph_control *ctl, int fd, uint32_t events);

/** Drop clients past their timeouts; call about once a second. */
void ph_control_tick(struct ph_control *ctl);

/** True when at least one client follows `stream`. */
bool ph_control_stream_active(const struct ph_control *ctl, unsigned stream);

/**
 * Send len bytes of text to every follower of `stream` (one data chunk
 * each).  A follower whose output buffer would overflow is dropped.
 */
void ph_control_stream(struct ph_control *ctl, unsigned stream,
		       const char *text, size_t len);

/**
 * End `stream` for every follower (an end chunk with status OK and
 * `why`).  Returns how many followers it had.
 */
unsigned ph_control_stream_stop(struct ph_control *ctl, unsigned stream,
				const char *why);

/** Counters. */
void ph_control_stats(const struct ph_control *ctl,
		      struct ph_control_stats *st);

/* --- for handlers ------------------------------------------------------ */

/** Append n bytes of reply text.  0, or -ENOSPC when over the limit (the
 * reply then ends with PH_CTL_E_TRUNCATED). */
int ph_ctl_reply_append(struct ph_ctl_reply *r, const char *s, size_t n);

/** printf into the reply; same return as ph_ctl_reply_append(). */
int ph_ctl_reply_printf(struct ph_ctl_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** vprintf into the reply. */
int ph_ctl_reply_vprintf(struct ph_ctl_reply *r, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/**
 * Set the error message of the end chunk ("ERROR: % ..." by convention)
 * and return `status`, so a handler can `return ph_ctl_reply_error(r,
 * PH_CTL_E_FAILED, "...")`.
 */
int ph_ctl_reply_error(struct ph_ctl_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * A JSON writer bound to this reply, kept across paged calls.  The
 * control module finishes the document (and checks it is complete) after
 * the last call.
 */
struct ph_json *ph_ctl_reply_json(struct ph_ctl_reply *r);

/** True when the handler should stop adding and page (see above). */
bool ph_ctl_reply_full(const struct ph_ctl_reply *r);

/** Ask to be called again with the same request when the client drains. */
void ph_ctl_reply_again(struct ph_ctl_reply *r);

/** PH_CTL_REPLY_CURSORS words of handler state, zero on the first call. */
uint64_t *ph_ctl_reply_cursor(struct ph_ctl_reply *r);

/** How many times this request's handler ran before (0 the first time). */
unsigned ph_ctl_reply_calls(const struct ph_ctl_reply *r);

/** The client's credentials and socket. */
const struct ph_ctl_peer *ph_ctl_reply_peer(const struct ph_ctl_reply *r);

#endif /* PH_DAEMON_CONTROL_H */
