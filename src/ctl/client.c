/*
 * ctl/client.c - pinholectl's side of the control protocol: connect,
 * send one request frame, copy the reply chunks (docs/control.md).
 *
 * Data chunks go to stdout as they arrive (a stream is flushed after each
 * chunk); the end chunk's status decides the exit status and its message
 * goes to stderr.  A reply that stalls for PH_CTL_REPLY_TIMEOUT_MS, a
 * connection closed before the end chunk, or a chunk that does not decode
 * is a protocol failure (exit 4).  A stream (`debug pptp`) has no timeout
 * and ends cleanly on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ctl/ctl.h"

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int
ph_ctl_exit_for(unsigned status)
{
	switch (status) {
	case PH_CTL_OK:
		return PH_EXIT_OK;
	case PH_CTL_E_INVALID:
	case PH_CTL_E_AMBIGUOUS:
	case PH_CTL_E_INCOMPLETE:
	case PH_CTL_E_TOOBIG:
		return PH_EXIT_USAGE;
	case PH_CTL_E_DENIED:
		return PH_EXIT_DENIED;
	case PH_CTL_E_PROTO:
	case PH_CTL_E_BUSY:
		return PH_EXIT_PROTO;
	default:
		return PH_EXIT_FAILED;
	}
}

int
ph_ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) >=
	    sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static int
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Print one chunk.  Returns -1 to go on, else the exit status. */
static int
take_chunk(const struct ph_ctl_chunk *ch, bool stream)
{
	if (ch->kind == PH_CTL_CHUNK_DATA) {
		fwrite(ch->data, 1, ch->len, stdout);
		if (stream)
			fflush(stdout);
		return -1;
	}
	fflush(stdout);
	if (ch->len > 0)
		fprintf(stderr, "%.*s\n", (int)ch->len, (const char *)ch->data);
	else if (ch->status != PH_CTL_OK)
		fprintf(stderr, "pinholectl: %s\n",
			ph_ctl_status_text(ch->status));
	return ph_ctl_exit_for(ch->status);
}

/* Decode every whole chunk in buf[0..*len); keep the rest. */
static int
drain(uint8_t *buf, size_t *len, bool stream)
{
	size_t off = 0;
	int rc = -1;

	while (rc < 0) {
		struct ph_ctl_chunk ch;
		int n = ph_ctl_chunk_decode(buf + off, *len - off, &ch);

		if (n == 0)
			break;
		if (n < 0) {
			fprintf(stderr, "pinholectl: protocol error: the "
					"daemon sent a malformed reply\n");
			return PH_EXIT_PROTO;
		}
		rc = take_chunk(&ch, stream);
		off += (size_t)n;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return rc;
}

/* Wait for the socket to be readable: -1, or an exit status (an
 * interrupted stream ends with PH_EXIT_OK). */
static int
wait_readable(int fd, bool stream)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do {
		if (interrupted)
			return PH_EXIT_OK;
		n = poll(&p, 1, stream ? -1 : PH_CTL_REPLY_TIMEOUT_MS);
	} while (n < 0 && errno == EINTR && !interrupted);
	if (interrupted)
		return PH_EXIT_OK;
	if (n == 0) {
		fprintf(stderr,
			"pinholectl: no reply from the daemon within "
			"%d seconds\n",
			PH_CTL_REPLY_TIMEOUT_MS / 1000);
		return PH_EXIT_PROTO;
	}
	return n < 0 ? PH_EXIT_PROTO : -1;
}

static int
read_reply(int fd, bool stream)
{
	size_t cap = PH_CTL_HDR_LEN + PH_CTL_CHUNK_MAX, len = 0;
	uint8_t *buf = malloc(cap);
	int rc = -1;

	if (buf == NULL) {
		fprintf(stderr, "pinholectl: out of memory\n");
		return PH_EXIT_FAILED;
	}
	while (rc < 0) {
		ssize_t n;

		rc = wait_readable(fd, stream);
		if (rc >= 0)
			break;
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr,
				"pinholectl: the daemon closed the "
				"connection before the end of the reply\n");
			rc = PH_EXIT_PROTO;
			break;
		}
		len += (size_t)n;
		rc = drain(buf, &len, stream);
	}
	free(buf);
	return rc;
}

int
ph_ctl_run(int fd, const struct ph_ctl_request *req, bool stream)
{
	uint8_t frame[PH_CTL_HDR_LEN + PH_CTL_REQ_MAX];
	int n = ph_ctl_request_encode(req, frame, sizeof(frame));

	if (n < 0) {
		fprintf(stderr, "pinholectl: cannot encode the request: %s\n",
			strerror(-n));
		return PH_EXIT_USAGE;
	}
	if (stream)
		catch_signals();
	signal(SIGPIPE, SIG_IGN);
	if (send_all(fd, frame, (size_t)n) < 0) {
		fprintf(stderr, "pinholectl: cannot send the request: %s\n",
			strerror(errno));
		return PH_EXIT_PROTO;
	}
	return read_reply(fd, stream);
}
