/*
 * daemon/nft.c - build and remove pinholed's nftables table (see nft.h).
 *
 * Each change is one nfnetlink batch (NFNL_MSG_BATCH_BEGIN ... END) sent
 * with a single sendto; the kernel processes it synchronously inside that
 * call, so every ack is already queued on the socket when sendto returns
 * and is read back without blocking.  Each message carries its own
 * sequence number, so an error ack tells which message failed: that is how
 * a kernel without nft_queue is recognised (the queue rule fails with
 * ENOENT, "No such file or directory", or EOPNOTSUPP) as opposed to any
 * other failure.
 *
 * The compat target payload is struct xt_NFQ_info_v3 from the kernel uAPI
 * header linux/netfilter/xt_NFQUEUE.h:
 *	struct xt_NFQ_info_v3 { __u16 queuenum; __u16 queues_total;
 *				__u16 flags; };
 * with NFQ_FLAG_BYPASS 0x01 and NFQ_FLAG_CPU_FANOUT 0x02, padded to
 * XT_ALIGN (8 bytes) as iptables-nft sends it.  iptables-nft always uses
 * revision 3 for `-j NFQUEUE`, with or without --queue-bypass (checked with
 * `nft --debug=netlink list ruleset`: "[ target name NFQUEUE rev 3 ]").
 *
 * Known limits: IPv4 only; the handle is not thread-safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include <bsd/string.h>

#include "daemon/nft.h"

/* Our copy of the uAPI layout (linux/netfilter/xt_NFQUEUE.h). */
struct ph_xt_nfq_info_v3 {
	uint16_t queuenum;
	uint16_t queues_total;
	uint16_t flags;
};
_Static_assert(sizeof(struct ph_xt_nfq_info_v3) == 6,
	       "xt_NFQ_info_v3 is three u16");

#define PH_XT_NFQ_REV	      3
#define PH_XT_NFQ_BYPASS      0x01
#define PH_XT_NFQ_CPU_FANOUT  0x02
#define PH_XT_ALIGNED_INFO    8	   /* XT_ALIGN(6) on every ABI we build for */
#define PH_NFT_QUEUE_F_BYPASS 0x01 /* NFT_QUEUE_FLAG_BYPASS */
#define PH_NFT_QUEUE_F_FANOUT 0x02 /* NFT_QUEUE_FLAG_CPU_FANOUT */

#define PH_NFT_TEARDOWN_BUF 1024
#define PH_NFT_RULE_BYTES   512	  /* generous per-rule batch space */
#define PH_NFT_ACK_BUF	    16384 /* one recv of acks */

struct ph_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char table[NFT_TABLE_MAXNAMELEN];
	struct ph_nft_opts opts;
	enum ph_nft_method method; /* resolved, or AUTO before first apply */
	int native_err;		   /* how the kernel refused native queue */
	char teardown[PH_NFT_TEARDOWN_BUF];
	size_t teardown_len;
	uint32_t shed_rate; /* 0: no shedding rule */
	bool shed_live;	    /* the applied table has the shedding rule */
	int shed_err;	    /* how the kernel refused the shedding rule */
};

/* Sequence numbers [lo, hi) of a run of messages in a batch. */
struct ph_nft_seqs {
	uint32_t lo, hi;
};

/* Where a batch failed: errno and the sequence number of the message. */
struct ph_nft_ack {
	int err;
	uint32_t err_seq;
};

const char *
ph_nft_method_name(enum ph_nft_method m)
{
	switch (m) {
	case PH_NFT_QUEUE_NATIVE:
		return "native";
	case PH_NFT_QUEUE_COMPAT:
		return "compat";
	default:
		return "auto";
	}
}

enum ph_nft_method
ph_nft_method(const struct ph_nft *nft)
{
	return nft->method;
}

/* ---- message builders ------------------------------------------------ */

static struct nftnl_table *
ph_nft_table_obj(const struct ph_nft *nft)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (t == NULL)
		return NULL;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, nft->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	return t;
}

/* Append a table message (NEWTABLE or DELTABLE) to the batch. */
static int
ph_nft_put_table(struct ph_nft *nft, struct mnl_nlmsg_batch *b, int type,
		 uint16_t flags)
{
	struct nftnl_table *t = ph_nft_table_obj(nft);
	struct nlmsghdr *nlh;

	if (t == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				    NFPROTO_IPV4, flags | NLM_F_ACK,
				    nft->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(b);
	return 0;
}

/* Append a NEWCHAIN: the prerouting base chain, or (base false) a regular
 * chain called name. */
static int
ph_nft_put_chain(struct ph_nft *nft, struct mnl_nlmsg_batch *b,
		 const char *name, bool base)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int prio = nft->opts.priority ? nft->opts.priority : PH_NFT_PRIO_RAW;

	if (c == NULL)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, nft->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (base) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM,
				    NF_INET_PRE_ROUTING);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
				    NFT_MSG_NEWCHAIN, NFPROTO_IPV4,
				    NLM_F_CREATE | NLM_F_ACK, nft->seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(b);
	return 0;
}

/* Add an expression to r; on allocation failure return -ENOMEM. */
static int
ph_nft_add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -ENOMEM;
	nftnl_rule_add_expr(r, e);
	return 0;
}

/* meta load iifname => reg 1 ; cmp eq reg 1 "name" (IFNAMSIZ, padded) */
static int
ph_nft_expr_iifname(struct nftnl_rule *r, const char *ifname)
{
	char name[IFNAMSIZ] = { 0 };
	struct nftnl_expr *e;

	strlcpy(name, ifname, sizeof(name));
	e = nftnl_expr_alloc("meta");
	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_IIFNAME);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
	if (ph_nft_add_expr(r, e) < 0)
		return -ENOMEM;
	e = nftnl_expr_alloc("cmp");
	if (e != NULL) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, name, sizeof(name));
	}
	return ph_nft_add_expr(r, e);
}

static uint16_t
ph_nft_queue_total(const struct ph_nft *nft)
{
	return nft->opts.queue_total > 1 ? nft->opts.queue_total : 1;
}

/* The native queue expression (nft_queue). */
static struct nftnl_expr *
ph_nft_expr_queue_native(const struct ph_nft *nft)
{
	struct nftnl_expr *e = nftnl_expr_alloc("queue");
	uint16_t flags = 0;

	if (e == NULL)
		return NULL;
	if (nft->opts.bypass)
		flags |= PH_NFT_QUEUE_F_BYPASS;
	if (nft->opts.cpu_fanout)
		flags |= PH_NFT_QUEUE_F_FANOUT;
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, nft->opts.queue_num);
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, ph_nft_queue_total(nft));
	nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS, flags);
	return e;
}

/* The xtables NFQUEUE target, revision 3, through nft_compat. */
static struct nftnl_expr *
ph_nft_expr_queue_compat(const struct ph_nft *nft)
{
	struct ph_xt_nfq_info_v3 v3 = { 0 };
	struct nftnl_expr *e = nftnl_expr_alloc("target");
	unsigned char *info;

	/* libnftnl takes ownership of the TG_INFO buffer and frees it */
	info = calloc(1, PH_XT_ALIGNED_INFO);
	if (e == NULL || info == NULL) {
		free(info);
		if (e != NULL)
			nftnl_expr_free(e);
		return NULL;
	}
	v3.queuenum = nft->opts.queue_num; /* host order, as iptables */
	v3.queues_total = ph_nft_queue_total(nft);
	if (nft->opts.bypass)
		v3.flags |= PH_XT_NFQ_BYPASS;
	if (nft->opts.cpu_fanout)
		v3.flags |= PH_XT_NFQ_CPU_FANOUT;
	memcpy(info, &v3, sizeof(v3));
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, PH_XT_NFQ_REV);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, PH_XT_ALIGNED_INFO);
	return e;
}

/* ---- shedding: counter object, chain, limit rule, jumps --------------- */

static void
ph_nft_rule_head(const struct ph_nft *nft, struct nftnl_rule *r,
		 const char *chain)
{
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, nft->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
}

/* immediate verdict: drop, or jump to chain */
static struct nftnl_expr *
ph_nft_expr_verdict(int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	return e;
}

/* The burst: about 10 ms of the rate, within [32, 4096] packets. */
static uint32_t
ph_nft_shed_burst(uint32_t rate)
{
	uint32_t b = rate / 100;

	return b < 32 ? 32 : b > 4096 ? 4096 : b;
}

/* limit rate over RATE/second burst B packets counter name "shed" drop */
static struct nftnl_rule *
ph_nft_shed_rule_obj(const struct ph_nft *nft, uint32_t rate)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *l, *o;

	if (r == NULL)
		return NULL;
	ph_nft_rule_head(nft, r, PH_NFT_SHED_CHAIN);
	l = nftnl_expr_alloc("limit");
	if (l != NULL) {
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_RATE, rate);
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_BURST,
				   ph_nft_shed_burst(rate));
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);
	}
	o = nftnl_expr_alloc("objref");
	if (o != NULL) {
		nftnl_expr_set_u32(o, NFTNL_EXPR_OBJREF_IMM_TYPE,
				   NFT_OBJECT_COUNTER);
		nftnl_expr_set_str(o, NFTNL_EXPR_OBJREF_IMM_NAME,
				   PH_NFT_SHED_COUNTER);
	}
	if (ph_nft_add_expr(r, l) < 0 || ph_nft_add_expr(r, o) < 0 ||
	    ph_nft_add_expr(r, ph_nft_expr_verdict(NF_DROP, NULL)) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* iifname NAME jump shed */
static struct nftnl_rule *
ph_nft_jump_rule_obj(const struct ph_nft *nft, const char *ifname)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		return NULL;
	ph_nft_rule_head(nft, r, PH_NFT_CHAIN_NAME);
	if (ph_nft_expr_iifname(r, ifname) < 0 ||
	    ph_nft_add_expr(
		    r, ph_nft_expr_verdict(NFT_JUMP, PH_NFT_SHED_CHAIN)) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

/* Append a rule message (NEWRULE appends r, DELRULE of a rule without a
 * handle empties its chain) and free r; r == NULL (a builder ran out of
 * memory) gives -ENOMEM. */
static int
ph_nft_put_rule_msg(struct ph_nft *nft, struct mnl_nlmsg_batch *b, int type,
		    uint16_t flags, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	if (r == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), type,
				    NFPROTO_IPV4, flags | NLM_F_ACK,
				    nft->seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(b);
	return 0;
}

/* Append r to its chain. */
static int
ph_nft_put_rule_add(struct ph_nft *nft, struct mnl_nlmsg_batch *b,
		    struct nftnl_rule *r)
{
	return ph_nft_put_rule_msg(nft, b, NFT_MSG_NEWRULE,
				   NLM_F_CREATE | NLM_F_APPEND, r);
}

/* Remove every rule of chain. */
static int
ph_nft_put_flush(struct ph_nft *nft, struct mnl_nlmsg_batch *b,
		 const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r != NULL)
		ph_nft_rule_head(nft, r, chain);
	return ph_nft_put_rule_msg(nft, b, NFT_MSG_DELRULE, 0, r);
}

static struct nftnl_obj *
ph_nft_counter_obj(const struct ph_nft *nft)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (o == NULL)
		return NULL;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, nft->table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, PH_NFT_SHED_COUNTER);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_IPV4);
	return o;
}

/* counter object "shed", regular chain "shed", its limit rule */
static int
ph_nft_put_shed(struct ph_nft *nft, struct mnl_nlmsg_batch *b)
{
	struct nftnl_obj *o = ph_nft_counter_obj(nft);
	struct nlmsghdr *nlh;
	int err;

	if (o == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), NFT_MSG_NEWOBJ,
				    NFPROTO_IPV4, NLM_F_CREATE | NLM_F_ACK,
				    nft->seq++);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	mnl_nlmsg_batch_next(b);
	err = ph_nft_put_chain(nft, b, PH_NFT_SHED_CHAIN, false);
	if (err < 0)
		return err;
	return ph_nft_put_rule_add(nft, b,
				   ph_nft_shed_rule_obj(nft, nft->shed_rate));
}

/* iifname NAME counter notrack queue ... */
static struct nftnl_rule *
ph_nft_rule_obj(const struct ph_nft *nft, const char *ifname,
		enum ph_nft_method m)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *q;

	if (r == NULL)
		return NULL;
	ph_nft_rule_head(nft, r, PH_NFT_CHAIN_NAME);
	if (ph_nft_expr_iifname(r, ifname) < 0 ||
	    ph_nft_add_expr(r, nftnl_expr_alloc("counter")) < 0 ||
	    ph_nft_add_expr(r, nftnl_expr_alloc("notrack")) < 0)
		goto out_free;
	q = m == PH_NFT_QUEUE_NATIVE ? ph_nft_expr_queue_native(nft)
				     : ph_nft_expr_queue_compat(nft);
	if (ph_nft_add_expr(r, q) < 0)
		goto out_free;
	return r;

out_free:
	nftnl_rule_free(r);
	return NULL;
}

/* The rules of one interface: [jump shed;] queue. */
static int
ph_nft_put_rule(struct ph_nft *nft, struct mnl_nlmsg_batch *b,
		const char *ifname, enum ph_nft_method m)
{
	int err;

	if (nft->shed_rate != 0) {
		err = ph_nft_put_rule_add(nft, b,
					  ph_nft_jump_rule_obj(nft, ifname));
		if (err < 0)
			return err;
	}
	return ph_nft_put_rule_add(nft, b, ph_nft_rule_obj(nft, ifname, m));
}

static void
ph_nft_put_begin(struct ph_nft *nft, struct mnl_nlmsg_batch *b)
{
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), nft->seq++);
	mnl_nlmsg_batch_next(b);
}

static void
ph_nft_put_end(struct ph_nft *nft, struct mnl_nlmsg_batch *b)
{
	nftnl_batch_end(mnl_nlmsg_batch_current(b), nft->seq++);
	mnl_nlmsg_batch_next(b);
}

/* ---- sending a batch and reading its acks ----------------------------- */

/* Walk the messages in buf; remember the first error and its seq. */
static void
ph_nft_scan_acks(const void *buf, size_t len, struct ph_nft_ack *ack)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		const struct nlmsgerr *e;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		if (e->error != 0 && ack->err == 0) {
			ack->err = e->error;
			ack->err_seq = e->msg.nlmsg_seq;
		}
	}
}

/*
 * Send one batch and collect its acks.  nfnetlink handles the batch inside
 * sendto, so the acks are queued by the time it returns; read them without
 * blocking.  Allocation-free (called from ph_nft_teardown()).
 */
static int
ph_nft_send(struct ph_nft *nft, const void *buf, size_t len,
	    struct ph_nft_ack *ack)
{
	char rbuf[PH_NFT_ACK_BUF];
	ssize_t n;

	ack->err = 0;
	ack->err_seq = 0;
	if (mnl_socket_sendto(nft->nl, buf, len) < 0)
		return -errno;
	for (;;) {
		n = recv(mnl_socket_get_fd(nft->nl), rbuf, sizeof(rbuf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		ph_nft_scan_acks(rbuf, (size_t)n, ack);
	}
	return ack->err;
}

/* ---- public API --------------------------------------------------------- */

/* Prepare the teardown batch now so teardown needs no allocation. */
static int
ph_nft_prepare_teardown(struct ph_nft *nft)
{
	struct mnl_nlmsg_batch *b;
	int err;

	/* the batch API needs twice its limit in buffer */
	b = mnl_nlmsg_batch_start(nft->teardown, sizeof(nft->teardown) / 2);
	if (b == NULL)
		return -ENOMEM;
	ph_nft_put_begin(nft, b);
	err = ph_nft_put_table(nft, b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (err == 0)
		err = ph_nft_put_table(nft, b, NFT_MSG_DELTABLE, 0);
	ph_nft_put_end(nft, b);
	nft->teardown_len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return err;
}

struct ph_nft *
ph_nft_new(const struct ph_nft_opts *opts)
{
	struct ph_nft *nft = calloc(1, sizeof(*nft));
	const char *name;
	int err;

	if (nft == NULL)
		return NULL;
	if (opts != NULL)
		nft->opts = *opts;
	name = nft->opts.table ? nft->opts.table : PH_NFT_TABLE_DEFAULT;
	if (strlcpy(nft->table, name, sizeof(nft->table)) >=
		    sizeof(nft->table) ||
	    name[0] == '\0') {
		err = EINVAL;
		goto out_free;
	}
	nft->opts.table = NULL; /* we keep our own copy */
	nft->method = nft->opts.method;
	nft->shed_rate = nft->opts.shed_rate > PH_NFT_SHED_MAX
				 ? PH_NFT_SHED_MAX
				 : nft->opts.shed_rate;
	nft->seq = (uint32_t)time(NULL);
	nft->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nft->nl == NULL) {
		err = errno;
		goto out_free;
	}
	if (mnl_socket_bind(nft->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		goto out_close;
	}
	nft->portid = mnl_socket_get_portid(nft->nl);
	err = -ph_nft_prepare_teardown(nft);
	if (err != 0)
		goto out_close;
	return nft;

out_close:
	mnl_socket_close(nft->nl);
out_free:
	free(nft);
	errno = err;
	return NULL;
}

static int
ph_nft_check_names(const char *const *ifnames, size_t n)
{
	size_t i, len;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (ifnames[i] == NULL)
			return -EINVAL;
		len = strlen(ifnames[i]);
		if (len == 0)
			return -EINVAL;
		if (len >= IFNAMSIZ)
			return -ENAMETOOLONG;
	}
	return 0;
}

/* Build "add table; del table; add table; add chain; add rules". */
static int
ph_nft_build(struct ph_nft *nft, struct mnl_nlmsg_batch *b,
	     const char *const *ifnames, size_t n, enum ph_nft_method m,
	     struct ph_nft_seqs *shed, struct ph_nft_seqs *rules)
{
	size_t i;
	int err;

	ph_nft_put_begin(nft, b);
	err = ph_nft_put_table(nft, b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (err == 0)
		err = ph_nft_put_table(nft, b, NFT_MSG_DELTABLE, 0);
	if (err == 0)
		err = ph_nft_put_table(nft, b, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (err == 0)
		err = ph_nft_put_chain(nft, b, PH_NFT_CHAIN_NAME, true);
	shed->lo = nft->seq;
	if (err == 0 && nft->shed_rate != 0)
		err = ph_nft_put_shed(nft, b);
	shed->hi = rules->lo = nft->seq;
	for (i = 0; err == 0 && i < n; i++)
		err = ph_nft_put_rule(nft, b, ifnames[i], m);
	rules->hi = nft->seq;
	ph_nft_put_end(nft, b);
	return err;
}

/* Whether seq is in [r->lo, r->hi), across a wrap of the counter. */
static bool
ph_nft_seq_in(const struct ph_nft_seqs *r, uint32_t seq)
{
	return seq - r->lo < r->hi - r->lo;
}

/* One attempt with method m.  Sets *queue_refused when a rule failed in
 * the way a kernel without that queue expression fails, *shed_refused
 * when the shedding part failed (a kernel without limit or objref). */
static int
ph_nft_try(struct ph_nft *nft, const char *const *ifnames, size_t n,
	   enum ph_nft_method m, bool *queue_refused, bool *shed_refused)
{
	size_t cap = 4096 + n * 2 * PH_NFT_RULE_BYTES;
	struct ph_nft_ack ack = { 0 };
	struct mnl_nlmsg_batch *b;
	struct ph_nft_seqs shed, rules;
	char *buf;
	int err;

	*queue_refused = false;
	*shed_refused = false;
	buf = malloc(cap * 2); /* batch API wants room past its limit */
	if (buf == NULL)
		return -ENOMEM;
	b = mnl_nlmsg_batch_start(buf, cap);
	if (b == NULL) {
		free(buf);
		return -ENOMEM;
	}
	err = ph_nft_build(nft, b, ifnames, n, m, &shed, &rules);
	if (err == 0)
		err = ph_nft_send(nft, mnl_nlmsg_batch_head(b),
				  mnl_nlmsg_batch_size(b), &ack);
	if (err != 0 && err == ack.err && ph_nft_seq_in(&rules, ack.err_seq) &&
	    (err == -ENOENT || err == -EOPNOTSUPP))
		*queue_refused = true;
	if (err != 0 && err == ack.err && ph_nft_seq_in(&shed, ack.err_seq))
		*shed_refused = true;
	if (err == 0) /* on error the old table, and its rule, stay */
		nft->shed_live = nft->shed_rate != 0;
	mnl_nlmsg_batch_stop(b);
	free(buf);
	return err;
}

/* One method; a kernel that refuses the shedding rule gets the table
 * without it (shed_err says why). */
static int
ph_nft_try_shed(struct ph_nft *nft, const char *const *ifnames, size_t n,
		enum ph_nft_method m, bool *queue_refused)
{
	bool shed_refused;
	int err;

	err = ph_nft_try(nft, ifnames, n, m, queue_refused, &shed_refused);
	if (err == 0 || !shed_refused)
		return err;
	nft->shed_err = err;
	nft->shed_rate = 0;
	return ph_nft_try(nft, ifnames, n, m, queue_refused, &shed_refused);
}

int
ph_nft_apply(struct ph_nft *nft, const char *const *ifnames, size_t n)
{
	bool refused;
	int err;

	err = ph_nft_check_names(ifnames, n);
	if (err != 0)
		return err;
	if (nft->method != PH_NFT_QUEUE_AUTO)
		return ph_nft_try_shed(nft, ifnames, n, nft->method, &refused);
	err = ph_nft_try_shed(nft, ifnames, n, PH_NFT_QUEUE_NATIVE, &refused);
	if (err == 0) {
		nft->method = PH_NFT_QUEUE_NATIVE;
		return 0;
	}
	if (!refused)
		return err;
	nft->native_err = err;
	err = ph_nft_try_shed(nft, ifnames, n, PH_NFT_QUEUE_COMPAT, &refused);
	if (err == 0)
		nft->method = PH_NFT_QUEUE_COMPAT;
	return err;
}

int
ph_nft_shed_set(struct ph_nft *nft, uint32_t rate)
{
	char buf[2 * PH_NFT_TEARDOWN_BUF];
	struct ph_nft_ack ack;
	struct mnl_nlmsg_batch *b;
	int err;

	if (rate == 0 || rate > PH_NFT_SHED_MAX)
		return -EINVAL;
	if (!nft->shed_live) {
		if (nft->shed_err != 0)
			return -EOPNOTSUPP;
		nft->shed_rate = rate;
		return 0;
	}
	/* flush chain shed + add rule: one transaction, no handle needed */
	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	if (b == NULL)
		return -ENOMEM;
	ph_nft_put_begin(nft, b);
	err = ph_nft_put_flush(nft, b, PH_NFT_SHED_CHAIN);
	if (err == 0)
		err = ph_nft_put_rule_add(nft, b,
					  ph_nft_shed_rule_obj(nft, rate));
	ph_nft_put_end(nft, b);
	if (err == 0)
		err = ph_nft_send(nft, mnl_nlmsg_batch_head(b),
				  mnl_nlmsg_batch_size(b), &ack);
	mnl_nlmsg_batch_stop(b);
	if (err == 0)
		nft->shed_rate = rate;
	return err;
}

uint32_t
ph_nft_shed_rate(const struct ph_nft *nft)
{
	return nft->shed_live ? nft->shed_rate : 0;
}

int
ph_nft_shed_error(const struct ph_nft *nft)
{
	return nft->shed_err;
}

/* Parse the NEWOBJ reply of a GETOBJ: the counter's packets. */
static int
ph_nft_parse_counter(const void *buf, size_t len, uint64_t *pkts)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len, ret = -ENOENT;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		struct nftnl_obj *o;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) &&
			    e->error != 0)
				ret = e->error;
			continue;
		}
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWOBJ)
			continue;
		o = nftnl_obj_alloc();
		if (o == NULL)
			return -ENOMEM;
		if (nftnl_obj_nlmsg_parse(nlh, o) == 0) {
			*pkts = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
			ret = 0;
		}
		nftnl_obj_free(o);
	}
	return ret;
}

int
ph_nft_shed_count(struct ph_nft *nft, uint64_t *pkts)
{
	struct nftnl_obj *o;
	char buf[PH_NFT_ACK_BUF];
	struct nlmsghdr *nlh;
	ssize_t n;
	int ret = -ENOENT;

	if (!nft->shed_live)
		return -ENOENT;
	o = ph_nft_counter_obj(nft);
	if (o == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_IPV4,
				    NLM_F_ACK, nft->seq++);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	if (mnl_socket_sendto(nft->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* handled inside sendto: the reply and the ack are queued */
	for (;;) {
		n = recv(mnl_socket_get_fd(nft->nl), buf, sizeof(buf),
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ph_nft_parse_counter(buf, (size_t)n, pkts) == 0)
			ret = 0;
	}
	return ret;
}

int
ph_nft_native_error(const struct ph_nft *nft)
{
	return nft->native_err;
}

int
ph_nft_teardown(struct ph_nft *nft)
{
	struct ph_nft_ack ack;

	nft->shed_live = false;
	return ph_nft_send(nft, nft->teardown, nft->teardown_len, &ack);
}

int
ph_nft_table_exists(struct ph_nft *nft)
{
	struct nftnl_table *t = ph_nft_table_obj(nft);
	char buf[PH_NFT_ACK_BUF];
	struct nlmsghdr *nlh;
	struct ph_nft_ack ack;
	int err;

	if (t == NULL)
		return -ENOMEM;
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_IPV4,
				    NLM_F_ACK, nft->seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = ph_nft_send(nft, nlh, nlh->nlmsg_len, &ack);
	if (err == -ENOENT)
		return 0;
	return err == 0 ? 1 : err;
}

void
ph_nft_free(struct ph_nft *nft)
{
	if (nft == NULL)
		return;
	mnl_socket_close(nft->nl);
	free(nft);
}
