/*
 * ctl/ctl.h - pinholectl's internals: the connection to the daemon
 * (client.c) and the program's exit statuses (main.c, docs/control.md).
 */
#ifndef PH_CTL_CTL_H
#define PH_CTL_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ctlproto.h"

/* Exit statuses, documented in pinholectl(8). */
enum ph_ctl_exit {
	PH_EXIT_OK = 0,	     /* the command ran */
	PH_EXIT_FAILED = 1,  /* the daemon ran it and it failed (reload) */
	PH_EXIT_USAGE = 2,   /* bad option or command */
	PH_EXIT_CONNECT = 3, /* cannot reach the daemon */
	PH_EXIT_PROTO = 4,   /* connection lost, timeout, protocol error */
	PH_EXIT_DENIED = 5,  /* not allowed (read-only socket, permissions) */
};

#define PH_CTL_REPLY_TIMEOUT_MS 30000 /* no byte from the daemon: give up */

/** Exit status for a reply status (enum ph_ctl_status). */
int ph_ctl_exit_for(unsigned status);

/**
 * Connect to the Unix socket at path.  Returns the fd, or -errno.
 */
int ph_ctl_connect(const char *path);

/**
 * Send `req` on fd and copy the reply: data to stdout, the end chunk's
 * message to stderr.  `stream`: wait without a timeout and stop cleanly
 * on SIGINT/SIGTERM.  Returns an exit status (enum ph_ctl_exit).
 */
int ph_ctl_run(int fd, const struct ph_ctl_request *req, bool stream);

#endif /* PH_CTL_CTL_H */
