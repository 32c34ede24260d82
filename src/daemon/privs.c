/*
 * daemon/privs.c - privileges after set-up, the pidfile, sd_notify.
 *
 * Once the table, the queue, the addresses and the control sockets exist,
 * pinholed keeps one capability: CAP_NET_ADMIN; and CAP_BPF only where
 * the shedding program (--shed-hook, attached on demand after the drop)
 * could not be attached without it: kernels before 6.5 (Debian 12's 6.1)
 * refuse every bpf(2) command without CAP_BPF while
 * kernel.unprivileged_bpf_disabled is set, their default; from 6.5 on,
 * attaching a networking program needs CAP_NET_ADMIN only.
 * CAP_NET_ADMIN is needed for what the
 * daemon still does to the kernel: NFQUEUE verdicts (nfnetlink checks
 * CAP_NET_ADMIN of the sender on every message), rebuilding the nft table
 * on reload and removing it at exit, adding and removing the owned
 * addresses.  CAP_NET_RAW is not needed (no raw sockets; syslog datagrams
 * go through an ordinary UDP socket).  Everything else is dropped from the
 * effective, permitted, inheritable and bounding sets (libcap-ng), and
 * no_new_privs is set.  With --user the daemon also switches uid/gid
 * (supplementary groups dropped) and keeps CAP_NET_ADMIN across the
 * switch; the rule file must then be readable by that user for reloads,
 * and the socket files and pidfile, created as root, may be left behind
 * at exit (the next start removes stale sockets).  Without --user it stays
 * uid 0, which can read root's 0600 rule file without CAP_DAC_OVERRIDE.
 *
 * sd_notify: a minimal client of systemd's notify protocol (one datagram
 * to $NOTIFY_SOCKET, abstract names starting with '@'), so the unit can be
 * Type=notify without linking libsystemd.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/un.h>
#include <unistd.h>

#include <cap-ng.h>

#include "daemon/daemon.h"

/* Does this kernel refuse bpf(2) without CAP_BPF: before 6.5, with
 * unprivileged BPF disabled (or unknown)? */
static bool
privs_kernel_bpf_gated(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	char v = '1';
	int fd;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return true;
	if (major > 6 || (major == 6 && minor >= 5))
		return false;
	fd = open("/proc/sys/kernel/unprivileged_bpf_disabled",
		  O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &v, 1) != 1)
			v = '1';
		close(fd);
	}
	return v != '0';
}

/* Must CAP_BPF stay for the shedding program: it may be used (--shed not
 * off, --shed-hook not nft), start-up has CAP_BPF, and the kernel would
 * refuse to attach it without? */
static bool
privs_want_bpf(const struct ph_daemon_cfg *cfg)
{
	return cfg->shed_mode != PD_SHED_OFF &&
	       cfg->shed_hook != PD_SHED_HOOK_NFT &&
	       capng_have_capability(CAPNG_PERMITTED, CAP_BPF) != 0 &&
	       privs_kernel_bpf_gated();
}

int
pd_privs_drop(const struct ph_daemon_cfg *cfg, char *err, size_t errlen)
{
	capng_select_t sel = CAPNG_SELECT_BOTH;
	bool bpf;
	int rc;

	/* Without CAP_SETPCAP (a container) the bounding set stays. */
	capng_get_caps_process();
	if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP) == 0)
		sel = CAPNG_SELECT_CAPS;
	bpf = privs_want_bpf(cfg); /* before the clear: it reads the set */
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_update(CAPNG_ADD,
			 CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_NET_ADMIN) < 0) {
		snprintf(err, errlen, "capabilities: capng_update failed");
		return -EINVAL;
	}
	if (bpf &&
	    capng_update(CAPNG_ADD,
			 CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
			 CAP_BPF) < 0) {
		snprintf(err, errlen, "capabilities: capng_update failed");
		return -EINVAL;
	}
	if (cfg->user != NULL) {
		rc = capng_change_id((int)cfg->uid, (int)cfg->gid,
				     CAPNG_DROP_SUPP_GRP |
					     CAPNG_CLEAR_BOUNDING);
		if (rc < 0) {
			snprintf(err, errlen,
				 "switching to user %s: capng_change_id "
				 "failed (%d)",
				 cfg->user, rc);
			return -EPERM;
		}
	} else {
		rc = capng_apply(sel);
		if (rc < 0) {
			snprintf(err, errlen,
				 "dropping capabilities: capng_apply failed "
				 "(%d)",
				 rc);
			return -EPERM;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int
pd_pidfile_write(const char *path)
{
	char buf[32];
	int fd, n, rc = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		rc = -EIO;
	close(fd);
	return rc;
}

void
pd_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t slen;
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, n);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	slen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)!sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		      (const struct sockaddr *)&sun, slen);
	close(fd);
}
