/*
 * daemon/logsink_int.h - the log sinks' state, shared by logsink.c (I/O)
 * and logsink_show.c (`show logging`).  Other modules use logsink.h.
 */
#ifndef PH_DAEMON_LOGSINK_INT_H
#define PH_DAEMON_LOGSINK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "config/model.h"
#include "daemon/logsink.h"
#include "log/format.h"
#include "log/ring.h"

/* A UDP logging host. */
struct lhost {
	uint32_t addr; /* host order */
	uint16_t port;
	char ifname[PH_NAME_MAX];
	struct ph_logsink_count c;
};

/* A queued datagram. */
struct qmsg {
	uint16_t len;
	char data[PH_LOGSINK_DGRAM_MAX];
};

struct ph_logsink {
	char ident[32];
	bool use_syslog, to_stderr;
	char fixed_host[256]; /* from opts; "" = follow the policy */
	char host[256];	      /* RFC 3164 HOSTNAME in use */
	struct ph_logging lg; /* settings of the current policy */
	char devid[PH_NAME_MAX];
	struct lhost hosts[PH_LOGHOSTS_MAX];
	unsigned n_hosts, tcp_hosts;
	int udp_fd;
	struct qmsg *q;
	uint32_t qcap, qlen;
	struct ph_log_ring *ring;
	time_t wall_sec;
	struct tm wall_tm;
	uint64_t events, filtered, bad_event, trap;
	struct ph_logsink_count sys, buffer, err;
};

#endif /* PH_DAEMON_LOGSINK_INT_H */
