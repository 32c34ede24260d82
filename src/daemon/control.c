/*
 * daemon/control.c - the control sockets: listen, accept, read requests,
 * dispatch to the daemon's handlers, write replies, follow debug streams
 * (see control.h for the contract and docs/control.md for the protocol).
 *
 * One internal epoll set holds the listeners and the clients; the daemon
 * only sees its fd.  Per client: an input buffer of exactly one maximal
 * request, an output buffer bounded by opts.max_out, a state (reading a
 * request, paging a reply, following a stream, closing) and the time its
 * current wait began, so ph_control_tick() can drop clients that send a
 * partial request and stop, or that stop reading their reply.
 * Backpressure: a client's next request is read (EPOLLIN) only when its
 * output buffer is empty, so what one client costs is bounded by one
 * reply whatever it sends.
 *
 * Closed clients are only marked dead while an event batch is handled and
 * freed at its end: a later event of the same batch may still point at
 * them.
 *
 * Socket files: created with a umask of 0177 (so never more open than
 * 0600 while being set up), then given their group and mode.  A socket
 * file left by a crashed daemon is removed when connecting to it is
 * refused; a live daemon on it is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "daemon/control_int.h"

#define EV_BATCH     32
#define ACCEPT_BATCH 16
#define RO_MODE	     0666
#define FULL_MODE    0660
#define MIN_MAX_OUT  65536
#define LOG_BURST    20 /* client-caused log lines per second */

struct ctl_listener {
	uint8_t kind; /* EP_LISTENER */
	int fd;
	bool ro;
	bool paused; /* out of fds: not watched until the next tick */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct ctl_handler {
	ph_ctl_handler fn;
	void *arg;
};

struct ph_control {
	int epfd;
	struct ctl_listener lst[2]; /* [0] full, [1] read-only */
	unsigned n_lst;
	struct ctl_client **clients;
	uint32_t n_clients, max_clients;
	size_t max_out;
	uint32_t timeout_ms, idle_ms;
	struct ctl_handler handlers[PH_CTL_CMD_MAX];
	ph_control_log_fn log;
	void *log_arg;
	uint32_t n_ro, max_ro;	/* clients on the read-only socket */
	uint32_t log_budget[2]; /* client-caused lines left this second:
				 * [0] warnings and worse, [1] the rest */
	uint64_t log_dropped;	/* ... suppressed since the last tick */
	struct ph_control_stats st;
	bool in_batch;
};

static void client_close(struct ph_control *ctl, struct ctl_client *c, int sev,
			 const char *why);
static void client_pump(struct ph_control *ctl, struct ctl_client *c);

/* --- helpers ----------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void logf_(struct ph_control *ctl, int sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
logf_(struct ph_control *ctl, int sev, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ctl->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl->log(ctl->log_arg, sev, msg);
}

/*
 * A line about what a client did (connected, sent garbage, was refused,
 * was dropped).  Any local user can cause these on the read-only socket
 * as fast as it can connect, and each one is a syslog(3) call on the
 * packet thread, so at most LOG_BURST of them are written per second
 * (warnings and worse, and the rest, each); the others are counted and
 * summed up by the next tick.  Commands run on
 * the full socket are always logged (they are the audit trail).
 */
static void client_logf(struct ph_control *ctl, int sev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
client_logf(struct ph_control *ctl, int sev, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (ctl->log == NULL)
		return;
	if (ctl->log_budget[sev > 4] == 0) {
		ctl->log_dropped++;
		ctl->st.log_suppressed++;
		return;
	}
	ctl->log_budget[sev > 4]--;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl->log(ctl->log_arg, sev, msg);
}

/* "uid 0 pid 1234 (read-only)" */
static const char *
peer_text(const struct ctl_client *c, char *buf, size_t len)
{
	snprintf(buf, len, "uid %u gid %u pid %d on the %s socket",
		 (unsigned)c->peer.uid, (unsigned)c->peer.gid, (int)c->peer.pid,
		 c->peer.ro ? "read-only" : "full");
	return buf;
}

static size_t
queued(const struct ctl_client *c)
{
	return c->out.len - c->out.off;
}

/* Register the events this client's state needs. */
static void
client_watch(struct ph_control *ctl, struct ctl_client *c)
{
	uint32_t want = c->hup_seen ? 0 : EPOLLRDHUP;
	struct epoll_event ev;

	/* the next request is read once the last reply is with the kernel:
	 * a client that sends and never reads is held back by its own
	 * socket, not by the daemon's memory */
	if (c->state == C_READ && !c->rd_eof && queued(c) == 0)
		want |= EPOLLIN;
	/* a paged reply that is not done must be woken up even when its
	 * last page was empty: a writable socket does that */
	if (queued(c) > 0 || c->state == C_REPLY)
		want |= EPOLLOUT;
	if (want == c->ep_mask)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->ep_mask = want;
}

/* --- sockets ----------------------------------------------------------- */

/* Is a live daemon answering at path? */
static bool
socket_alive(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd < 0)
		return false;
	alive = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return alive;
}

/* Remove a stale socket file; refuse to touch anything else. */
static int
clear_path(const struct sockaddr_un *sa)
{
	struct stat st;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if (socket_alive(sa))
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* mkdir the parent of path when it is missing (one level). */
static void
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	strlcpy(dir, path, sizeof(dir));
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0755);
}

static int
listen_on(struct ph_control *ctl, struct ctl_listener *l, const char *path,
	  bool ro, gid_t group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event ev;
	mode_t old;
	int rc;

	if (strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	make_parent(path);
	rc = clear_path(&sa);
	if (rc < 0)
		return rc;
	l->kind = EP_LISTENER;
	l->ro = ro;
	strlcpy(l->path, path, sizeof(l->path));
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	old = umask(0177);
	rc = bind(l->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		goto out_errno;
	if ((!ro && group != (gid_t)-1 && chown(path, (uid_t)-1, group) < 0) ||
	    chmod(path, ro ? RO_MODE : FULL_MODE) < 0 || listen(l->fd, 64) < 0)
		goto out_unlink;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = l;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, l->fd, &ev) < 0)
		goto out_unlink;
	return 0;

out_unlink:
	rc = -errno;
	unlink(path);
	close(l->fd);
	l->fd = -1;
	return rc;
out_errno:
	rc = -errno;
	close(l->fd);
	l->fd = -1;
	return rc;
}

static void
apply_defaults(struct ph_control *ctl, const struct ph_control_opts *o)
{
	ctl->max_clients =
		o->max_clients ? o->max_clients : PH_CONTROL_MAX_CLIENTS;
	ctl->max_out = o->max_out ? o->max_out : PH_CONTROL_MAX_OUT;
	if (ctl->max_out < MIN_MAX_OUT)
		ctl->max_out = MIN_MAX_OUT;
	ctl->timeout_ms = o->timeout_ms ? o->timeout_ms : PH_CONTROL_TIMEOUT_MS;
	ctl->idle_ms = o->idle_ms ? o->idle_ms : PH_CONTROL_IDLE_MS;
	ctl->log = o->log;
	ctl->log_arg = o->log_arg;
	/* the full socket keeps a quarter of the slots for the operator */
	ctl->max_ro = ctl->max_clients - ctl->max_clients / 4;
	if (ctl->max_ro == 0)
		ctl->max_ro = 1;
	ctl->log_budget[0] = ctl->log_budget[1] = LOG_BURST;
}

struct ph_control *
ph_control_new(const struct ph_control_opts *o)
{
	const char *path = o->path ? o->path : PH_CTL_SOCK_PATH;
	const char *ro = o->ro_path ? o->ro_path : PH_CTL_SOCK_RO_PATH;
	struct ph_control *ctl = calloc(1, sizeof(*ctl));
	int rc;

	if (ctl == NULL)
		return NULL;
	apply_defaults(ctl, o);
	ctl->lst[0].fd = ctl->lst[1].fd = -1;
	ctl->clients = calloc(ctl->max_clients, sizeof(*ctl->clients));
	ctl->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ctl->clients == NULL || ctl->epfd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = listen_on(ctl, &ctl->lst[0], path, false, o->group);
	if (rc < 0)
		goto out_free;
	ctl->n_lst = 1;
	if (ro[0] != '\0') {
		rc = listen_on(ctl, &ctl->lst[1], ro, true, (gid_t)-1);
		if (rc < 0)
			goto out_free;
		ctl->n_lst = 2;
	}
	return ctl;

out_free:
	ph_control_free(ctl);
	errno = -rc;
	return NULL;
}

static void
free_client(struct ctl_client *c)
{
	ph_ctl_out_free(&c->out);
	free(c);
}

/* Free the clients closed during the batch; keep the array dense. */
static void
reap(struct ph_control *ctl)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < ctl->n_clients; i++) {
		if (!ctl->clients[i]->dead) {
			ctl->clients[k++] = ctl->clients[i];
			continue;
		}
		if (ctl->clients[i]->peer.ro)
			ctl->n_ro--;
		free_client(ctl->clients[i]);
	}
	ctl->n_clients = k;
	ctl->st.clients = k;
}

void
ph_control_free(struct ph_control *ctl)
{
	if (ctl == NULL)
		return;
	for (uint32_t i = 0; i < ctl->n_clients; i++) {
		close(ctl->clients[i]->fd);
		free_client(ctl->clients[i]);
	}
	for (unsigned i = 0; i < 2; i++) {
		if (ctl->lst[i].fd < 0)
			continue;
		close(ctl->lst[i].fd);
		unlink(ctl->lst[i].path);
	}
	if (ctl->epfd >= 0)
		close(ctl->epfd);
	free(ctl->clients);
	free(ctl);
}

int
ph_control_register(struct ph_control *ctl, unsigned cmd, ph_ctl_handler fn,
		    void *arg)
{
	if (ph_ctl_cmd_def(cmd) == NULL)
		return -EINVAL;
	ctl->handlers[cmd].fn = fn;
	ctl->handlers[cmd].arg = arg;
	return 0;
}

int
ph_control_fd(const struct ph_control *ctl)
{
	return ctl->epfd;
}

/* --- accepting --------------------------------------------------------- */

static void
refuse_busy(struct ph_control *ctl, const struct ctl_listener *l, int fd)
{
	static const char msg[] = "ERROR: % Too many control clients; try "
				  "again later";
	uint8_t buf[PH_CTL_HDR_LEN + sizeof(msg)];

	ph_ctl_chunk_header(buf, PH_CTL_CHUNK_END, PH_CTL_E_BUSY,
			    sizeof(msg) - 1);
	memcpy(buf + PH_CTL_HDR_LEN, msg, sizeof(msg) - 1);
	(void)send(fd, buf, PH_CTL_HDR_LEN + sizeof(msg) - 1,
		   MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	ctl->st.refused_busy++;
	client_logf(
		ctl, 4,
		"control: refused a client on the %s socket: %u of %u clients "
		"connected (%u on the read-only socket, which may use %u)",
		l->ro ? "read-only" : "full", ctl->n_clients, ctl->max_clients,
		ctl->n_ro, ctl->max_ro);
}

static void
add_client(struct ph_control *ctl, struct ctl_listener *l, int fd)
{
	struct ctl_client *c = calloc(1, sizeof(*c));
	struct ucred cr = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t crlen = sizeof(cr);
	struct epoll_event ev;
	char who[128];

	if (c == NULL)
		goto out_close;
	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen);
	c->kind = EP_CLIENT;
	c->fd = fd;
	c->ctl = ctl;
	c->peer = (struct ph_ctl_peer){ cr.pid, cr.uid, cr.gid, l->ro };
	c->out.max = ctl->max_out;
	c->since_ms = now_ms();
	c->ep_mask = EPOLLIN | EPOLLRDHUP;
	memset(&ev, 0, sizeof(ev));
	ev.events = c->ep_mask;
	ev.data.ptr = c;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto out_free;
	ctl->clients[ctl->n_clients++] = c;
	ctl->st.clients = ctl->n_clients;
	ctl->st.accepted++;
	if (l->ro)
		ctl->n_ro++;
	client_logf(ctl, 7, "control: client connected: %s",
		    peer_text(c, who, sizeof(who)));
	return;

out_free:
	free(c);
out_close:
	close(fd);
}

static void
pause_listener(struct ph_control *ctl, struct ctl_listener *l, bool pause)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = pause ? 0 : EPOLLIN;
	ev.data.ptr = l;
	if (epoll_ctl(ctl->epfd, EPOLL_CTL_MOD, l->fd, &ev) == 0)
		l->paused = pause;
}

static void
do_accept(struct ph_control *ctl, struct ctl_listener *l)
{
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int fd = accept4(l->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* level-triggered: it would fire again at once */
			pause_listener(ctl, l, true);
			client_logf(ctl, 3,
				    "control: accept on %s: %s; not accepting "
				    "for a second",
				    l->path, strerror(errno));
			return;
		}
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				client_logf(ctl, 3, "control: accept on %s: %s",
					    l->path, strerror(errno));
			return;
		}
		if (ctl->n_clients >= ctl->max_clients ||
		    (l->ro && ctl->n_ro >= ctl->max_ro))
			refuse_busy(ctl, l, fd);
		else
			add_client(ctl, l, fd);
	}
}

/* --- closing and writing ---------------------------------------------- */

static void
client_close(struct ph_control *ctl, struct ctl_client *c, int sev,
	     const char *why)
{
	char who[128];

	if (c->dead)
		return;
	if (why != NULL)
		client_logf(ctl, sev, "control: %s: %s", why,
			    peer_text(c, who, sizeof(who)));
	epoll_ctl(ctl->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->dead = true;
	c->streams = 0;
	if (!ctl->in_batch)
		reap(ctl);
}

/* Write what is queued.  Returns -1 when the client is gone. */
static int
client_flush(struct ph_control *ctl, struct ctl_client *c)
{
	while (queued(c) > 0) {
		ssize_t n = send(c->fd, c->out.buf + c->out.off, queued(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_close(ctl, c, 7, "client disconnected");
			return -1;
		}
		c->out.off += (size_t)n;
		c->since_ms = now_ms();
	}
	if (queued(c) == 0) {
		ph_ctl_out_compact(&c->out);
		if (c->state == C_CLOSING) {
			client_close(ctl, c, 7, NULL);
			return -1;
		}
	}
	return 0;
}

/* --- dispatch ---------------------------------------------------------- */

/* Finish the reply: JSON check, end chunk, back to reading. */
static void
end_reply(struct ph_control *ctl, struct ctl_client *c, int status)
{
	struct ph_ctl_reply *r = &c->reply;
	const char *msg = r->msg[0] ? r->msg : NULL;
	char buf[PH_CTL_ERR_MAX];

	if (status == PH_CTL_OK && r->json_used && c->req.json &&
	    ph_json_finish(&r->json) < 0 && !r->truncated) {
		status = PH_CTL_E_INTERNAL;
		msg = "ERROR: % Internal error: the handler wrote bad JSON";
	}
	ph_ctl_reply_close_chunk(r);
	if (r->truncated) {
		status = PH_CTL_E_TRUNCATED;
		snprintf(buf, sizeof(buf),
			 "ERROR: %% Reply too large "
			 "(limit %zu bytes per page)",
			 c->out.max);
		msg = buf;
	}
	if (status != PH_CTL_OK && msg == NULL) {
		snprintf(buf, sizeof(buf), "ERROR: %% %s",
			 ph_ctl_status_text((unsigned)status));
		msg = buf;
	}
	if (ph_ctl_out_end(&c->out, status, msg) < 0) {
		client_close(ctl, c, 3, "out of memory for a reply");
		return;
	}
	c->state = C_READ;
	c->since_ms = now_ms();
}

/* Run the handler once (first call or a page). */
static void
run_handler(struct ph_control *ctl, struct ctl_client *c, bool first)
{
	const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(c->req.cmd);
	struct ctl_handler *h = &ctl->handlers[c->req.cmd];
	struct ph_ctl_reply *r = &c->reply;
	int st;

	ph_ctl_reply_begin(r, c, first);
	st = h->fn(h->arg, &c->req, r);
	ph_ctl_reply_close_chunk(r);
	r->calls++;
	if (st == PH_CTL_OK && r->again && !r->truncated) {
		c->state = C_REPLY;
		return;
	}
	if (st == PH_CTL_OK && (d->flags & PH_CTL_CMDF_STREAM) &&
	    !r->truncated) {
		c->state = C_STREAM;
		return;
	}
	end_reply(ctl, c, st);
}

static int
builtin_stream(void *arg, const struct ph_ctl_request *req,
	       struct ph_ctl_reply *r)
{
	(void)arg;
	(void)req;
	return ph_ctl_reply_printf(r, "debug pptp enabled; interrupt to "
				      "stop\n") < 0
		       ? PH_CTL_E_INTERNAL
		       : PH_CTL_OK;
}

static void
start_stream(struct ph_control *ctl, struct ctl_client *c)
{
	struct ctl_handler *h = &ctl->handlers[c->req.cmd];
	ph_ctl_handler saved = h->fn;

	if (h->fn == NULL)
		h->fn = builtin_stream;
	run_handler(ctl, c, true);
	h->fn = saved;
	if (c->state == C_STREAM)
		c->streams |= 1u << PH_CTL_STREAM_PPTP;
}

/* `no debug pptp` / `undebug all` */
static void
stop_streams(struct ph_control *ctl, struct ctl_client *c)
{
	struct ctl_handler *h = &ctl->handlers[c->req.cmd];
	char why[160], who[128];
	unsigned n = 0;

	snprintf(why, sizeof(why), "debug stopped by '%s' from %s",
		 ph_ctl_cmd_def(c->req.cmd)->words,
		 peer_text(c, who, sizeof(who)));
	for (unsigned s = 0; s < PH_CTL_STREAM_MAX; s++)
		n += ph_control_stream_stop(ctl, s, why);
	if (h->fn != NULL) {
		run_handler(ctl, c, true);
		return;
	}
	ph_ctl_reply_begin(&c->reply, c, true);
	ph_ctl_reply_printf(&c->reply, "%u debug stream%s stopped\n", n,
			    n == 1 ? "" : "s");
	end_reply(ctl, c, PH_CTL_OK);
}

static void
refuse(struct ph_control *ctl, struct ctl_client *c, int status,
       const char *msg)
{
	ph_ctl_reply_begin(&c->reply, c, true);
	strlcpy(c->reply.msg, msg, sizeof(c->reply.msg));
	end_reply(ctl, c, status);
}

static void
dispatch(struct ph_control *ctl, struct ctl_client *c)
{
	const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(c->req.cmd);
	char text[PH_CTL_REQ_MAX + 1], who[128], msg[PH_CTL_ERR_MAX];

	ph_ctl_request_text(&c->req, text, sizeof(text));
	peer_text(c, who, sizeof(who));
	if (c->peer.ro && (d->flags & PH_CTL_CMDF_WRITE)) {
		ctl->st.denied++;
		client_logf(ctl, 4,
			    "control: refused '%s' from %s: read-only "
			    "socket",
			    text, who);
		snprintf(msg, sizeof(msg),
			 "ERROR: %% '%s' is not allowed on "
			 "the read-only socket %s; use %s (root or its group)",
			 d->words, ctl->lst[1].path, ctl->lst[0].path);
		refuse(ctl, c, PH_CTL_E_DENIED, msg);
		return;
	}
	if (d->flags & PH_CTL_CMDF_WRITE)
		logf_(ctl, 5, "control: %s executed '%s'", who, text);
	else
		client_logf(ctl, 7, "control: %s executed '%s'", who, text);
	if (d->flags & PH_CTL_CMDF_STREAM)
		start_stream(ctl, c);
	else if (c->req.cmd == PH_CTL_CMD_NO_DEBUG_PPTP ||
		 c->req.cmd == PH_CTL_CMD_UNDEBUG_ALL)
		stop_streams(ctl, c);
	else if (ctl->handlers[c->req.cmd].fn == NULL) {
		snprintf(msg, sizeof(msg),
			 "ERROR: %% '%s' is not available "
			 "in this daemon",
			 d->words);
		refuse(ctl, c, PH_CTL_E_UNSUPPORTED, msg);
	} else
		run_handler(ctl, c, true);
}

/* Decode and serve buffered requests while the client is free. */
static void
serve_input(struct ph_control *ctl, struct ctl_client *c)
{
	char err[PH_CTL_ERR_MAX], who[128];
	bool held = false;
	int rc;

	while (!c->dead && c->state == C_READ && c->in_len > 0) {
		if (queued(c) > 0 && client_flush(ctl, c) < 0)
			return;
		if (queued(c) > 0) {
			held = true; /* the writable socket brings us back */
			break;
		}
		rc = ph_ctl_request_decode(c->in, c->in_len, &c->req, err,
					   sizeof(err));
		if (rc == 0)
			break;
		if (rc < 0) {
			ctl->st.bad_requests++;
			client_logf(ctl, 4,
				    "control: protocol error from %s: %s",
				    peer_text(c, who, sizeof(who)), err);
			refuse(ctl, c,
			       rc == -EMSGSIZE ? PH_CTL_E_TOOBIG
					       : PH_CTL_E_PROTO,
			       err);
			c->state = C_CLOSING;
			c->in_len = 0;
			break;
		}
		memmove(c->in, c->in + rc, c->in_len - (size_t)rc);
		c->in_len -= (size_t)rc;
		ctl->st.requests++;
		c->since_ms = now_ms();
		if (c->req.error != PH_CTL_OK) {
			ctl->st.bad_requests++;
			client_logf(ctl, 6, "control: bad command from %s: %s",
				    peer_text(c, who, sizeof(who)), err);
			refuse(ctl, c, c->req.error, err);
			continue;
		}
		dispatch(ctl, c);
	}
	if (c->dead || held || c->state != C_READ || !c->rd_eof)
		return;
	if (queued(c) == 0)
		client_close(ctl, c, 7, NULL);
	else
		c->state = C_CLOSING;
}

static void
client_read(struct ph_control *ctl, struct ctl_client *c)
{
	size_t room = sizeof(c->in) - c->in_len;
	ssize_t n;

	if (room == 0 || c->state != C_READ || queued(c) > 0)
		return;
	n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_close(ctl, c, 7, "read error");
		return;
	}
	if (n == 0) {
		c->rd_eof = true;
		return;
	}
	if (c->in_len == 0)
		c->since_ms = now_ms();
	c->in_len += (size_t)n;
}

/* Move a client forward as far as it goes without blocking. */
static void
client_pump(struct ph_control *ctl, struct ctl_client *c)
{
	for (int round = 0; round < 4 && !c->dead; round++) {
		if (c->state == C_READ)
			serve_input(ctl, c);
		if (c->dead || client_flush(ctl, c) < 0)
			return;
		if (c->state != C_REPLY || queued(c) > c->out.max / 4)
			break;
		run_handler(ctl, c, false); /* next page */
	}
	if (!c->dead)
		client_watch(ctl, c);
}

static void
client_event(struct ph_control *ctl, struct ctl_client *c, uint32_t ev)
{
	if (c->dead)
		return;
	if (ev & (EPOLLERR | EPOLLHUP)) {
		client_close(ctl, c, 7, "client disconnected");
		return;
	}
	if (ev & EPOLLRDHUP) {
		c->hup_seen = true; /* level-triggered: stop asking */
		if (c->state == C_STREAM) {
			client_close(ctl, c, 7,
				     "debug stream closed by the "
				     "client");
			return;
		}
	}
	if (c->state == C_READ && (ev & (EPOLLIN | EPOLLRDHUP)))
		client_read(ctl, c);
	if (!c->dead)
		client_pump(ctl, c);
}

int
ph_control_handle(struct ph_control *ctl, int fd, uint32_t events)
{
	struct epoll_event evs[EV_BATCH];
	int n;

	(void)events;
	if (fd != ctl->epfd)
		return -EBADF;
	n = epoll_wait(ctl->epfd, evs, EV_BATCH, 0);
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : 0;
	ctl->in_batch = true;
	for (int i = 0; i < n; i++) {
		uint8_t kind = *(uint8_t *)evs[i].data.ptr;

		if (kind == EP_LISTENER)
			do_accept(ctl, evs[i].data.ptr);
		else
			client_event(ctl, evs[i].data.ptr, evs[i].events);
	}
	ctl->in_batch = false;
	reap(ctl);
	return n;
}

/* --- timeouts ---------------------------------------------------------- */

/* Why this client is past its time, or NULL. */
static const char *
overdue(const struct ph_control *ctl, const struct ctl_client *c, uint64_t now)
{
	uint64_t waited = now - c->since_ms;

	if (queued(c) > 0 && waited >= ctl->timeout_ms)
		return "dropped a client that stopped reading its reply";
	if (queued(c) == 0 && c->state == C_READ && c->in_len > 0 &&
	    waited >= ctl->timeout_ms)
		return "dropped a client that sent a partial request";
	if (queued(c) == 0 && c->state == C_READ && c->in_len == 0 &&
	    waited >= ctl->idle_ms)
		return "dropped an idle client";
	return NULL;
}

void
ph_control_tick(struct ph_control *ctl)
{
	uint64_t now = now_ms();

	if (ctl->log_dropped > 0)
		logf_(ctl, 4,
		      "control: %llu message(s) about clients suppressed "
		      "(more than %d a second)",
		      (unsigned long long)ctl->log_dropped, LOG_BURST);
	ctl->log_dropped = 0;
	ctl->log_budget[0] = ctl->log_budget[1] = LOG_BURST;
	for (unsigned i = 0; i < ctl->n_lst; i++)
		if (ctl->lst[i].paused)
			pause_listener(ctl, &ctl->lst[i], false);

	ctl->in_batch = true;
	for (uint32_t i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *c = ctl->clients[i];
		const char *why = c->dead ? NULL : overdue(ctl, c, now);

		if (why == NULL)
			continue;
		ctl->st.dropped_timeout++;
		client_close(ctl, c, 4, why);
	}
	ctl->in_batch = false;
	reap(ctl);
}

/* --- streams ----------------------------------------------------------- */

bool
ph_control_stream_active(const struct ph_control *ctl, unsigned stream)
{
	for (uint32_t i = 0; i < ctl->n_clients; i++)
		if (ctl->clients[i]->streams & (1u << stream))
			return true;
	return false;
}

static void
stream_one(struct ph_control *ctl, struct ctl_client *c, const char *text,
	   size_t len)
{
	uint8_t hdr[PH_CTL_HDR_LEN];

	if (queued(c) + sizeof(hdr) + len > c->out.max) {
		ctl->st.dropped_overflow++;
		client_close(ctl, c, 4,
			     "dropped a debug client whose "
			     "output buffer is full");
		return;
	}
	ph_ctl_out_compact(&c->out);
	ph_ctl_chunk_header(hdr, PH_CTL_CHUNK_DATA, 0, (uint32_t)len);
	if (ph_ctl_out_put(&c->out, hdr, sizeof(hdr)) < 0 ||
	    ph_ctl_out_put(&c->out, text, len) < 0) {
		client_close(ctl, c, 3, "out of memory for a debug client");
		return;
	}
	ctl->st.stream_lines++;
	if (client_flush(ctl, c) == 0)
		client_watch(ctl, c);
}

void
ph_control_stream(struct ph_control *ctl, unsigned stream, const char *text,
		  size_t len)
{
	bool batch = ctl->in_batch;

	if (stream >= PH_CTL_STREAM_MAX || len == 0 || len > PH_CTL_CHUNK_MAX)
		return;
	ctl->in_batch = true;
	for (uint32_t i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *c = ctl->clients[i];

		if (!c->dead && (c->streams & (1u << stream)))
			stream_one(ctl, c, text, len);
	}
	ctl->in_batch = batch;
	if (!batch)
		reap(ctl);
}

unsigned
ph_control_stream_stop(struct ph_control *ctl, unsigned stream, const char *why)
{
	bool batch = ctl->in_batch;
	unsigned n = 0;

	if (stream >= PH_CTL_STREAM_MAX)
		return 0;
	ctl->in_batch = true;
	for (uint32_t i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *c = ctl->clients[i];

		if (c->dead || !(c->streams & (1u << stream)))
			continue;
		c->streams &= ~(1u << stream);
		n++;
		if (c->streams != 0)
			continue;
		if (ph_ctl_out_end(&c->out, PH_CTL_OK, why) < 0) {
			client_close(ctl, c, 3, "out of memory");
			continue;
		}
		c->state = C_READ;
		c->since_ms = now_ms();
		if (client_flush(ctl, c) == 0)
			client_watch(ctl, c);
	}
	ctl->in_batch = batch;
	if (!batch)
		reap(ctl);
	return n;
}

void
ph_control_stats(const struct ph_control *ctl, struct ph_control_stats *st)
{
	*st = ctl->st;
	st->clients = ctl->n_clients;
}
