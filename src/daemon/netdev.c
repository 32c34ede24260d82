/*
 * daemon/netdev.c - rtnetlink link/address discovery and pinholed's own
 * /32 addresses (see netdev.h for the why).
 *
 * Requests go out one at a time on a blocking NETLINK_ROUTE socket and are
 * answered with mnl_cb_run(): a dump ends with NLMSG_DONE, a change with
 * an ack (NLM_F_ACK), whose error comes back as errno.
 *
 * The monitor is a separate socket (a reload replaces the request
 * handle, the monitor lives on), non-blocking, bound to RTMGRP_LINK and
 * RTMGRP_IPV4_IFADDR; notifications carry sequence 0 and port id 0, which
 * mnl_cb_run() accepts with seq = portid = 0.
 *
 * Known limits: IPv4 only; RTM_NEWADDR with IFA_PROTO needs Linux 6.1 for
 * the tag to be kept (older kernels ignore it).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <libmnl/libmnl.h>

#include <bsd/string.h>

#include "daemon/netdev.h"

#define PH_NETDEV_BUF 32768 /* one recv of a dump (MNL_SOCKET_DUMP_SIZE) */

struct ph_netdev {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	struct ph_netdev_addr *own; /* addresses this handle added */
	size_t nown, cown;
};

/* A growable array being filled by a dump callback. */
struct ph_netdev_vec {
	void *v;
	size_t n, cap, elem;
	uint32_t filter; /* ifindex filter for address dumps; 0 = all */
	int err;
};

/* Room for one more element; returns it, or NULL (err set). */
static void *
ph_netdev_vec_push(struct ph_netdev_vec *vec)
{
	void *nv;
	size_t ncap;

	if (vec->n == vec->cap) {
		ncap = vec->cap ? vec->cap * 2 : 16;
		nv = reallocarray(vec->v, ncap, vec->elem);
		if (nv == NULL) {
			vec->err = -ENOMEM;
			return NULL;
		}
		vec->v = nv;
		vec->cap = ncap;
	}
	return (char *)vec->v + vec->n++ * vec->elem;
}

/* ---- request / reply ------------------------------------------------------ */

/* Send nlh and run cb over the replies until the dump ends or the ack. */
static int
ph_netdev_talk(struct ph_netdev *nd, struct nlmsghdr *nlh, mnl_cb_t cb,
	       void *data)
{
	char buf[PH_NETDEV_BUF];
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nd->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nd->nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, nd->portid, cb, data);
	} while (ret > MNL_CB_STOP);
	return ret < 0 ? -errno : 0;
}

static struct nlmsghdr *
ph_netdev_req(struct ph_netdev *nd, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nd->seq;
	return nlh;
}

/* Collect valid attributes of a message into tb[0..max]. */
struct ph_netdev_tb {
	const struct nlattr **tb;
	uint16_t max;
};

static int
ph_netdev_attr_cb(const struct nlattr *a, void *data)
{
	struct ph_netdev_tb *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, t->max) > 0)
		t->tb[type] = a;
	return MNL_CB_OK;
}

/* ---- links ----------------------------------------------------------------- */

/* One RTM_NEWLINK/RTM_DELLINK into *l.  0, or -1 when unreadable. */
static int
ph_netdev_link_parse(const struct nlmsghdr *nlh, struct ph_netdev_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct ph_netdev_tb t = { tb, IFLA_MAX };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), ph_netdev_attr_cb, &t) < 0 ||
	    tb[IFLA_IFNAME] == NULL ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
		return -1;
	memset(l, 0, sizeof(*l));
	l->ifindex = (uint32_t)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	strlcpy(l->name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(l->name));
	if (tb[IFLA_MTU] != NULL &&
	    mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	return 0;
}

static int
ph_netdev_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ph_netdev_vec *vec = data;
	struct ph_netdev_link tmp, *l;

	if (ph_netdev_link_parse(nlh, &tmp) < 0)
		return MNL_CB_OK; /* skip what we cannot read */
	l = ph_netdev_vec_push(vec);
	if (l == NULL)
		return MNL_CB_ERROR;
	*l = tmp;
	return MNL_CB_OK;
}

int
ph_netdev_links(struct ph_netdev *nd, struct ph_netdev_link **links, size_t *n)
{
	char buf[256];
	struct ph_netdev_vec vec = { .elem = sizeof(**links) };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int err;

	nlh = ph_netdev_req(nd, buf, RTM_GETLINK, NLM_F_DUMP);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	err = ph_netdev_talk(nd, nlh, ph_netdev_link_cb, &vec);
	if (err == 0)
		err = vec.err;
	if (err != 0) {
		free(vec.v);
		return err;
	}
	*links = vec.v;
	*n = vec.n;
	return 0;
}

int
ph_netdev_ifindex(const char *name)
{
	unsigned int idx = if_nametoindex(name);

	if (idx == 0)
		return errno ? -errno : -ENODEV;
	return (int)idx;
}

int
ph_netdev_ifname(uint32_t ifindex, char name[IFNAMSIZ])
{
	if (if_indextoname(ifindex, name) == NULL)
		return -ENODEV;
	return 0;
}

/* ---- addresses ---------------------------------------------------------- */

/* One IPv4 RTM_NEWADDR/RTM_DELADDR into *a.  0, or -1 when it is not
 * IPv4 or unreadable. */
static int
ph_netdev_addr_parse(const struct nlmsghdr *nlh, struct ph_netdev_addr *a)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct ph_netdev_tb t = { tb, IFA_MAX };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *local;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET ||
	    mnl_attr_parse(nlh, sizeof(*ifa), ph_netdev_attr_cb, &t) < 0)
		return -1;
	local = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (local == NULL || mnl_attr_validate(local, MNL_TYPE_U32) < 0)
		return -1;
	memset(a, 0, sizeof(*a));
	a->ifindex = ifa->ifa_index;
	a->addr = mnl_attr_get_u32(local); /* stays in network order */
	a->prefixlen = ifa->ifa_prefixlen;
	if (tb[IFA_PROTO] != NULL &&
	    mnl_attr_validate(tb[IFA_PROTO], MNL_TYPE_U8) == 0)
		a->proto = mnl_attr_get_u8(tb[IFA_PROTO]);
	return 0;
}

static int
ph_netdev_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ph_netdev_vec *vec = data;
	struct ph_netdev_addr tmp, *a;

	if (ph_netdev_addr_parse(nlh, &tmp) < 0 ||
	    (vec->filter != 0 && tmp.ifindex != vec->filter))
		return MNL_CB_OK;
	a = ph_netdev_vec_push(vec);
	if (a == NULL)
		return MNL_CB_ERROR;
	*a = tmp;
	return MNL_CB_OK;
}

int
ph_netdev_addrs(struct ph_netdev *nd, uint32_t ifindex,
		struct ph_netdev_addr **addrs, size_t *n)
{
	char buf[256];
	struct ph_netdev_vec vec = { .elem = sizeof(**addrs),
				     .filter = ifindex };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	nlh = ph_netdev_req(nd, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	err = ph_netdev_talk(nd, nlh, ph_netdev_addr_cb, &vec);
	if (err == 0)
		err = vec.err;
	if (err != 0) {
		free(vec.v);
		return err;
	}
	*addrs = vec.v;
	*n = vec.n;
	return 0;
}

/* RTM_NEWADDR / RTM_DELADDR for one tagged /32. */
static int
ph_netdev_addr_change(struct ph_netdev *nd, uint16_t type, uint32_t ifindex,
		      uint32_t addr, uint8_t prefixlen)
{
	char buf[256];
	uint16_t flags = NLM_F_ACK;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (type == RTM_NEWADDR)
		flags |= NLM_F_CREATE | NLM_F_EXCL;
	nlh = ph_netdev_req(nd, buf, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr);
	if (type == RTM_NEWADDR) {
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
		mnl_attr_put_u8(nlh, IFA_PROTO, PH_NETDEV_ADDR_PROTO);
	}
	return ph_netdev_talk(nd, nlh, NULL, NULL);
}

static int
ph_netdev_own_push(struct ph_netdev *nd, const struct ph_netdev_addr *a)
{
	struct ph_netdev_addr *v;
	size_t ncap;

	if (nd->nown == nd->cown) {
		ncap = nd->cown ? nd->cown * 2 : 16;
		v = reallocarray(nd->own, ncap, sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		nd->own = v;
		nd->cown = ncap;
	}
	nd->own[nd->nown] = *a;
	nd->own[nd->nown].prefixlen = 32;
	nd->own[nd->nown].proto = PH_NETDEV_ADDR_PROTO;
	nd->nown++;
	return 0;
}

int
ph_netdev_addr_add(struct ph_netdev *nd, const struct ph_netdev_addr *list,
		   size_t n)
{
	int err, added = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		/* track first, so a failure can never leak an address */
		err = ph_netdev_own_push(nd, &list[i]);
		if (err != 0)
			return err;
		err = ph_netdev_addr_change(nd, RTM_NEWADDR, list[i].ifindex,
					    list[i].addr, 32);
		if (err != 0)
			nd->nown--;
		if (err == -EEXIST)
			continue;
		if (err != 0)
			return err;
		added++;
	}
	return added;
}

int
ph_netdev_addr_cleanup(struct ph_netdev *nd)
{
	int err, first = 0;
	size_t i;

	for (i = 0; i < nd->nown; i++) {
		err = ph_netdev_addr_change(nd, RTM_DELADDR, nd->own[i].ifindex,
					    nd->own[i].addr, 32);
		/* gone already, or its interface is gone: nothing to do */
		if (err == -EADDRNOTAVAIL || err == -ENODEV)
			err = 0;
		if (err != 0 && first == 0)
			first = err;
	}
	nd->nown = 0;
	return first;
}

int
ph_netdev_addr_restore(struct ph_netdev *nd, uint32_t from, uint32_t to)
{
	int err, first = 0, added = 0;

	for (size_t i = 0; i < nd->nown; i++) {
		if (nd->own[i].ifindex != from)
			continue;
		nd->own[i].ifindex = to;
		err = ph_netdev_addr_change(nd, RTM_NEWADDR, to,
					    nd->own[i].addr, 32);
		if (err == 0)
			added++;
		else if (err != -EEXIST && first == 0)
			first = err;
	}
	return first != 0 ? first : added;
}

int
ph_netdev_addr_flush_stale(struct ph_netdev *nd)
{
	struct ph_netdev_addr *a;
	size_t n, i;
	int err, removed = 0;

	err = ph_netdev_addrs(nd, 0, &a, &n);
	if (err != 0)
		return err;
	for (i = 0; i < n; i++) {
		if (a[i].proto != PH_NETDEV_ADDR_PROTO)
			continue;
		err = ph_netdev_addr_change(nd, RTM_DELADDR, a[i].ifindex,
					    a[i].addr, a[i].prefixlen);
		if (err != 0 && err != -EADDRNOTAVAIL)
			break;
		err = 0;
		removed++;
	}
	free(a);
	return err != 0 ? err : removed;
}

/* ---- handle ---------------------------------------------------------------- */

struct ph_netdev *
ph_netdev_new(void)
{
	struct ph_netdev *nd = calloc(1, sizeof(*nd));
	int err;

	if (nd == NULL)
		return NULL;
	nd->nl = mnl_socket_open(NETLINK_ROUTE);
	if (nd->nl == NULL)
		goto out_err;
	if (mnl_socket_bind(nd->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out_err;
	nd->portid = mnl_socket_get_portid(nd->nl);
	nd->seq = (uint32_t)time(NULL);
	return nd;

out_err:
	err = errno;
	if (nd->nl != NULL)
		mnl_socket_close(nd->nl);
	free(nd);
	errno = err;
	return NULL;
}

void
ph_netdev_free(struct ph_netdev *nd)
{
	if (nd == NULL)
		return;
	mnl_socket_close(nd->nl);
	free(nd->own);
	free(nd);
}

/* ---- monitor ------------------------------------------------------------ */

#define PH_NETDEV_MON_READS 32 /* datagrams per ph_netdev_mon_read() */

struct ph_netdev_mon {
	struct mnl_socket *nl;
};

/* State of one ph_netdev_mon_read(). */
struct ph_netdev_mon_run {
	ph_netdev_ev_fn fn;
	void *arg;
	int n;
};

static int
ph_netdev_mon_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ph_netdev_mon_run *run = data;
	struct ph_netdev_ev ev;

	memset(&ev, 0, sizeof(ev));
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		if (ph_netdev_link_parse(nlh, &ev.link) < 0)
			return MNL_CB_OK;
		ev.kind = nlh->nlmsg_type == RTM_NEWLINK
				  ? PH_NETDEV_EV_LINK
				  : PH_NETDEV_EV_LINK_DEL;
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (ph_netdev_addr_parse(nlh, &ev.addr) < 0)
			return MNL_CB_OK;
		ev.kind = nlh->nlmsg_type == RTM_NEWADDR
				  ? PH_NETDEV_EV_ADDR
				  : PH_NETDEV_EV_ADDR_DEL;
		break;
	default:
		return MNL_CB_OK;
	}
	run->fn(run->arg, &ev);
	run->n++;
	return MNL_CB_OK;
}

struct ph_netdev_mon *
ph_netdev_mon_new(void)
{
	struct ph_netdev_mon *m = calloc(1, sizeof(*m));
	int err;

	if (m == NULL)
		return NULL;
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (m->nl == NULL)
		goto out_err;
	if (mnl_socket_bind(m->nl, RTMGRP_LINK | RTMGRP_IPV4_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0)
		goto out_err;
	return m;

out_err:
	err = errno;
	if (m->nl != NULL)
		mnl_socket_close(m->nl);
	free(m);
	errno = err;
	return NULL;
}

void
ph_netdev_mon_free(struct ph_netdev_mon *m)
{
	if (m == NULL)
		return;
	mnl_socket_close(m->nl);
	free(m);
}

int
ph_netdev_mon_fd(const struct ph_netdev_mon *m)
{
	return mnl_socket_get_fd(m->nl);
}

int
ph_netdev_mon_read(struct ph_netdev_mon *m, ph_netdev_ev_fn fn, void *arg)
{
	char buf[PH_NETDEV_BUF];
	struct ph_netdev_mon_run run = { fn, arg, 0 };
	struct ph_netdev_ev ev;
	bool lost = false;
	ssize_t n;

	for (int i = 0; i < PH_NETDEV_MON_READS; i++) {
		n = mnl_socket_recvfrom(m->nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == ENOBUFS) {
			lost = true; /* the kernel dropped notifications */
			continue;
		}
		if (n < 0)
			return -errno;
		/* mnl_cb_run() stops at a message it cannot walk (truncated,
		 * an error message): the rest of the datagram is lost too */
		if (mnl_cb_run(buf, (size_t)n, 0, 0, ph_netdev_mon_cb, &run) <
		    0)
			lost = true;
	}
	if (lost) {
		/* once, after what was read: the re-read sees all of it */
		memset(&ev, 0, sizeof(ev));
		ev.kind = PH_NETDEV_EV_RESYNC;
		fn(arg, &ev);
		run.n++;
	}
	return run.n;
}
