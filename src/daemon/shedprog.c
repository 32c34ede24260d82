/*
 * daemon/shedprog.c - the shedding limit as a BPF program (XDP or tcx
 * ingress): its instructions, loading, the mmap()ed state, attachment by
 * BPF link.  What it is for and its limits: daemon/shedprog.h.
 *
 * The program, for both hooks (only the packet test and the return codes
 * differ):
 *
 *	if (not IPv4) return PASS;
 *	st = map[0];                       // one element, mmap()ed
 *	now = bpf_ktime_get_ns();
 *	if (now - st->start >= st->window) { st->start = now; st->count = 0; }
 *	if (atomic_fetch_add(&st->count, 1) < st->limit) return PASS;
 *	atomic_add(&st->dropped, 1);
 *	return DROP;
 *
 * The daemon writes st->window and st->limit (packets per window; ~0 =
 * unlimited) and reads st->dropped.  The window restart is not atomic: two
 * CPUs that both see it expired both reset it, which can only admit a few
 * packets more.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bsd/string.h>

#include "daemon/shedprog.h"

/* tcx ingress (Linux 6.6): newer than this build's uapi headers, so the
 * value of enum bpf_attach_type is spelled out (BPF_XDP + 9). */
#define PD_BPF_TCX_INGRESS 46
_Static_assert(BPF_XDP == 37, "enum bpf_attach_type moved");

#define PD_UNLIMITED UINT64_MAX

/* The map element: what the program and the daemon share. */
struct pd_shed_state {
	uint64_t start;	  /* ns, bpf_ktime_get_ns(): window start */
	uint64_t count;	  /* IPv4 packets seen in this window */
	uint64_t window;  /* ns */
	uint64_t limit;	  /* packets per window; PD_UNLIMITED */
	uint64_t dropped; /* since load */
	uint64_t rate;	  /* pps as set; 0 = unlimited (daemon only) */
};

#define ST_OFF(f) ((int16_t) __builtin_offsetof(struct pd_shed_state, f))

struct pd_shedprog {
	enum pd_shedprog_hook hook;
	int map_fd, prog_fd;
	volatile struct pd_shed_state *st; /* mmap()ed element 0 */
	size_t map_len;
	uint32_t ifindex[PD_SHEDPROG_MAX_IF];
	int link_fd[PD_SHEDPROG_MAX_IF];
	size_t n;
};

/* ---- instruction encoding ------------------------------------------- */

#define INSN(c, d, s, o, i)                 \
	((struct bpf_insn){ .code = (c),    \
			    .dst_reg = (d), \
			    .src_reg = (s), \
			    .off = (o),     \
			    .imm = (i) })
#define MOV64_REG(d, s)	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i)	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define SUB64_REG(d, s)	    INSN(BPF_ALU64 | BPF_SUB | BPF_X, d, s, 0, 0)
#define LDX(sz, d, s, o)    INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o)    INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_IMM(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define ATOMIC_ADD(d, s, o, fetch)                   \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, \
	     BPF_ADD | ((fetch) ? BPF_FETCH : 0))
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(fn)	     INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT()		     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* d = the map: a 64-bit immediate, two instructions (the second zero) */
#define LD_MAP_FD(d, fd) \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_IMM64_HI() INSN(0, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

#define PROG_MAX 40

/*
 * The packet test: leave r0.. alone, jump to "pass" when the packet is not
 * IPv4.  Returns the instructions written; *pass_at gets the positions
 * whose offset must be patched to reach "pass".
 */
static size_t
emit_ipv4_test(enum pd_shedprog_hook h, struct bpf_insn *p, size_t *fix,
	       size_t *nfix)
{
	size_t k = 0;
	int ip = htons(ETH_P_IP);

	if (h == PD_SHEDPROG_TC) {
		/* skb->protocol: the ethertype, network order */
		p[k++] = LDX(BPF_W, R2, R1,
			     (int16_t) __builtin_offsetof(struct __sk_buff,
							  protocol));
		fix[(*nfix)++] = k;
		p[k++] = JMP_IMM(BPF_JNE, R2, ip, 0);
		return k;
	}
	/* XDP: 14 bytes of Ethernet header in [data, data_end) */
	p[k++] = LDX(BPF_W, R2, R1, 0); /* data */
	p[k++] = LDX(BPF_W, R3, R1, 4); /* data_end */
	p[k++] = MOV64_REG(R4, R2);
	p[k++] = ADD64_IMM(R4, ETH_HLEN);
	fix[(*nfix)++] = k;
	p[k++] = JMP_REG(BPF_JGT, R4, R3, 0);
	p[k++] = LDX(BPF_H, R4, R2, 12);
	fix[(*nfix)++] = k;
	p[k++] = JMP_IMM(BPF_JNE, R4, ip, 0);
	return k;
}

/* The program for hook h with map fd; its length. */
static size_t
shedprog_build(enum pd_shedprog_hook h, int map_fd, struct bpf_insn *p)
{
	int pass = h == PD_SHEDPROG_TC ? TC_ACT_OK : XDP_PASS;
	int drop = h == PD_SHEDPROG_TC ? TC_ACT_SHOT : XDP_DROP;
	size_t fix[8], nfix = 0, k, same;

	k = emit_ipv4_test(h, p, fix, &nfix);
	p[k++] = ST_IMM(BPF_W, R10, -4, 0); /* key 0 */
	p[k++] = MOV64_REG(R2, R10);
	p[k++] = ADD64_IMM(R2, -4);
	p[k++] = LD_MAP_FD(R1, map_fd);
	p[k++] = LD_IMM64_HI();
	p[k++] = CALL(BPF_FUNC_map_lookup_elem);
	fix[nfix++] = k;
	p[k++] = JMP_IMM(BPF_JEQ, R0, 0, 0);
	p[k++] = MOV64_REG(R7, R0);
	p[k++] = CALL(BPF_FUNC_ktime_get_ns);
	p[k++] = MOV64_REG(R8, R0);
	p[k++] = LDX(BPF_DW, R1, R7, ST_OFF(start));
	p[k++] = MOV64_REG(R2, R8);
	p[k++] = SUB64_REG(R2, R1);
	p[k++] = LDX(BPF_DW, R3, R7, ST_OFF(window));
	same = k;
	p[k++] = JMP_REG(BPF_JLT, R2, R3, 0);
	p[k++] = STX(BPF_DW, R7, R8, ST_OFF(start));
	p[k++] = ST_IMM(BPF_DW, R7, ST_OFF(count), 0);
	p[same].off = (int16_t)(k - same - 1);
	p[k++] = MOV64_IMM(R1, 1);
	p[k++] = ATOMIC_ADD(R7, R1, ST_OFF(count), true);
	p[k++] = LDX(BPF_DW, R2, R7, ST_OFF(limit));
	fix[nfix++] = k;
	p[k++] = JMP_REG(BPF_JLT, R1, R2, 0);
	p[k++] = MOV64_IMM(R1, 1);
	p[k++] = ATOMIC_ADD(R7, R1, ST_OFF(dropped), false);
	p[k++] = MOV64_IMM(R0, drop);
	p[k++] = EXIT();
	for (size_t i = 0; i < nfix; i++) /* pass: */
		p[fix[i]].off = (int16_t)(k - fix[i] - 1);
	p[k++] = MOV64_IMM(R0, pass);
	p[k++] = EXIT();
	return k;
}

/* ---- the bpf() system call --------------------------------------------- */

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
	long rc = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return rc < 0 ? -errno : (int)rc;
}

static int
shedprog_map(struct pd_shedprog *p)
{
	union bpf_attr a;
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = sizeof(uint32_t);
	a.value_size = sizeof(struct pd_shed_state);
	a.max_entries = 1;
	a.map_flags = BPF_F_MMAPABLE;
	strlcpy(a.map_name, "pinhole_shed", sizeof(a.map_name));
	p->map_fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (p->map_fd < 0)
		return p->map_fd;
	p->map_len = (size_t)(page > 0 ? page : 4096);
	m = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		 p->map_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	p->st = m;
	p->st->window = PD_SHEDPROG_WINDOW_NS;
	p->st->limit = PD_UNLIMITED;
	return 0;
}

/* The verifier's last non-empty line, into err. */
static void
verifier_tail(const char *log, char *err, size_t errlen)
{
	size_t len = strlen(log);
	const char *s;

	while (len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' '))
		len--;
	s = log + len;
	while (s > log && s[-1] != '\n')
		s--;
	snprintf(err, errlen, "%.*s", (int)(log + len - s), s);
}

static int
shedprog_load(struct pd_shedprog *p, char *err, size_t errlen)
{
	struct bpf_insn insns[PROG_MAX];
	static char vlog[8192];
	union bpf_attr a;
	size_t n = shedprog_build(p->hook, p->map_fd, insns);

	memset(&a, 0, sizeof(a));
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "Dual BSD/GPL";
	strlcpy(a.prog_name, "pinhole_shed", sizeof(a.prog_name));
	if (p->hook == PD_SHEDPROG_TC) {
		a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
		a.expected_attach_type = PD_BPF_TCX_INGRESS;
	} else {
		a.prog_type = BPF_PROG_TYPE_XDP;
		a.expected_attach_type = BPF_XDP;
		/* jumbo and GSO packets pass through multi-buffer XDP */
		a.prog_flags = BPF_F_XDP_HAS_FRAGS;
	}
	p->prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (p->prog_fd >= 0 || p->prog_fd != -EACCES)
		return p->prog_fd < 0 ? p->prog_fd : 0;
	/* refused by the verifier: load again for its reasons */
	vlog[0] = '\0';
	a.log_buf = (uint64_t)(uintptr_t)vlog;
	a.log_size = sizeof(vlog);
	a.log_level = 1;
	p->prog_fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (p->prog_fd < 0)
		verifier_tail(vlog, err, errlen);
	return p->prog_fd < 0 ? p->prog_fd : 0;
}

const char *
pd_shedprog_hook_name(enum pd_shedprog_hook h)
{
	static const char *const names[PD_SHEDPROG_N_HOOKS] = {
		[PD_SHEDPROG_XDP] = "xdp",
		[PD_SHEDPROG_XDP_GENERIC] = "xdpgeneric",
		[PD_SHEDPROG_TC] = "tc",
	};

	return (unsigned)h < PD_SHEDPROG_N_HOOKS ? names[h] : "?";
}

struct pd_shedprog *
pd_shedprog_new(enum pd_shedprog_hook h, char *err, size_t errlen)
{
	struct pd_shedprog *p;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if ((unsigned)h >= PD_SHEDPROG_N_HOOKS) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->hook = h;
	p->map_fd = p->prog_fd = -1;
	rc = shedprog_map(p);
	if (rc == 0)
		rc = shedprog_load(p, err, errlen);
	if (rc < 0) {
		pd_shedprog_free(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

/* ---- attachment ---------------------------------------------------------- */

static int
shedprog_link(const struct pd_shedprog *p, uint32_t ifindex)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.link_create.prog_fd = (uint32_t)p->prog_fd;
	a.link_create.target_ifindex = ifindex;
	switch (p->hook) {
	case PD_SHEDPROG_TC:
		a.link_create.attach_type = PD_BPF_TCX_INGRESS;
		break;
	case PD_SHEDPROG_XDP_GENERIC:
		a.link_create.attach_type = BPF_XDP;
		a.link_create.flags = XDP_FLAGS_SKB_MODE;
		break;
	default:
		a.link_create.attach_type = BPF_XDP;
		a.link_create.flags = XDP_FLAGS_DRV_MODE;
		break;
	}
	return sys_bpf(BPF_LINK_CREATE, &a);
}

static bool
wanted(const uint32_t *ifindex, size_t n, uint32_t idx)
{
	for (size_t i = 0; i < n; i++)
		if (ifindex[i] == idx)
			return true;
	return false;
}

/* Close the links to interfaces not in ifindex[]. */
static void
shedprog_prune(struct pd_shedprog *p, const uint32_t *ifindex, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (wanted(ifindex, n, p->ifindex[i])) {
			p->ifindex[k] = p->ifindex[i];
			p->link_fd[k++] = p->link_fd[i];
		} else {
			close(p->link_fd[i]);
		}
	}
	p->n = k;
}

int
pd_shedprog_sync(struct pd_shedprog *p, const uint32_t *ifindex, size_t n,
		 size_t *bad)
{
	int first = 0, fd;

	shedprog_prune(p, ifindex, n);
	for (size_t i = 0; i < n; i++) {
		if (ifindex[i] == 0 || wanted(p->ifindex, p->n, ifindex[i]))
			continue;
		fd = p->n < PD_SHEDPROG_MAX_IF ? shedprog_link(p, ifindex[i])
					       : -E2BIG;
		if (fd < 0) {
			if (first == 0 && bad != NULL)
				*bad = i;
			if (first == 0)
				first = fd;
			continue;
		}
		p->ifindex[p->n] = ifindex[i];
		p->link_fd[p->n++] = fd;
	}
	return first;
}

size_t
pd_shedprog_attached(const struct pd_shedprog *p)
{
	return p->n;
}

void
pd_shedprog_set_rate(struct pd_shedprog *p, uint32_t pps)
{
	uint64_t per = (uint64_t)pps * PD_SHEDPROG_WINDOW_NS / 1000000000ull;

	p->st->rate = pps;
	if (pps == 0) {
		p->st->limit = PD_UNLIMITED;
	} else if (per == 0) { /* under 100 pps: one packet a window */
		p->st->window = 1000000000ull / pps;
		p->st->limit = 1;
	} else {
		p->st->window = PD_SHEDPROG_WINDOW_NS;
		p->st->limit = per;
	}
}

uint32_t
pd_shedprog_rate(const struct pd_shedprog *p)
{
	return (uint32_t)p->st->rate;
}

uint64_t
pd_shedprog_dropped(const struct pd_shedprog *p)
{
	return __atomic_load_n(&p->st->dropped, __ATOMIC_RELAXED);
}

enum pd_shedprog_hook
pd_shedprog_hook(const struct pd_shedprog *p)
{
	return p->hook;
}

void
pd_shedprog_free(struct pd_shedprog *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		close(p->link_fd[i]);
	if (p->st != NULL)
		munmap((void *)p->st, p->map_len);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->map_fd >= 0)
		close(p->map_fd);
	free(p);
}
