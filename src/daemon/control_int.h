/*
 * daemon/control_int.h - internals shared by control.c (sockets, clients,
 * event loop) and control_reply.c (the reply buffer handlers write into).
 * Not for other modules: they use control.h.
 */
#ifndef PH_DAEMON_CONTROL_INT_H
#define PH_DAEMON_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctlproto.h"
#include "core/json.h"
#include "daemon/control.h"

enum ep_kind {
	EP_LISTENER = 1,
	EP_CLIENT,
};

enum client_state {
	C_READ = 0, /* waiting for (the rest of) a request */
	C_REPLY,    /* a paged handler waits for the buffer to drain */
	C_STREAM,   /* following a debug stream */
	C_CLOSING,  /* flush what is queued, then close */
};

struct ph_ctl_reply {
	struct ctl_client *c;
	int status;		  /* from ph_ctl_reply_error() */
	char msg[PH_CTL_ERR_MAX]; /* end chunk message */
	bool again;
	bool truncated;
	bool json_used;
	unsigned calls;
	uint64_t cursor[PH_CTL_REPLY_CURSORS];
	struct ph_json json;
	size_t added;	    /* bytes added by the current call */
	size_t limit;	    /* bytes one call may add */
	size_t chunk_hdr;   /* offset of the open data chunk's header */
	uint32_t chunk_len; /* its payload so far */
	bool chunk_open;
};

/* Output buffer of a client: bytes [off, len) are queued. */
struct ctl_outbuf {
	uint8_t *buf;
	size_t off, len, cap;
	size_t max; /* hard limit on queued bytes */
};

struct ctl_client {
	uint8_t kind; /* EP_CLIENT; first, like ctl_listener */
	int fd;
	bool dead; /* closed, freed after the event batch */
	uint8_t state;
	uint32_t ep_mask; /* events registered in the epoll set */
	struct ph_ctl_peer peer;
	uint8_t in[PH_CTL_HDR_LEN + PH_CTL_REQ_MAX];
	size_t in_len;
	bool rd_eof;   /* recv() returned 0: no more requests */
	bool hup_seen; /* EPOLLRDHUP reported once */
	struct ctl_outbuf out;
	struct ph_ctl_request req;
	struct ph_ctl_reply reply;
	unsigned streams;  /* bit per enum ph_ctl_stream */
	uint64_t since_ms; /* start of the current wait (read or write) */
	struct ph_control *ctl;
};

/* reply buffer (control_reply.c) */
int ph_ctl_out_put(struct ctl_outbuf *o, const void *s, size_t n);
void ph_ctl_out_compact(struct ctl_outbuf *o);
void ph_ctl_out_free(struct ctl_outbuf *o);
void ph_ctl_reply_begin(struct ph_ctl_reply *r, struct ctl_client *c,
			bool first);
void ph_ctl_reply_close_chunk(struct ph_ctl_reply *r);
int ph_ctl_out_end(struct ctl_outbuf *o, int status, const char *msg);

#endif /* PH_DAEMON_CONTROL_INT_H */
