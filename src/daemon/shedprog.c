/*
 * daemon/shedprog.c - the shedding limit as a BPF program (XDP or tcx
 * ingress): its instructions, loading, the mmap()ed state, attachment by
 * BPF link.  What it is for and its limits: daemon/shedprog.h.
 *
 * The program, for both hooks (only the packet access and the return
 * codes differ):
 *
 *	if (not IPv4) return PASS;             // ARP, IPv6: never shed
 *	st = state[0];                         // mmap()ed by the daemon
 *	known = flows[gen 0 or 1] has bit hash(seed, src, dst, proto, ports);
 *	if (now - st->start >= st->window) { st->start = now; st->count = 0; }
 *	if (st->count < (known ? st->limit : st->limit_new)) {
 *		atomic st->count += 1; return PASS;
 *	}
 *	atomic st->dropped += 1 (and st->dropped_known); return DROP;
 *
 * So packets of flows the daemon has accepted before ("known") may use the
 * whole limit of a window, others only its first PD_SHEDPROG_NEW_PCT per
 * cent: a flood of new flows leaves the rest of the window to the
 * connections in progress.  The daemon marks a flow's bit for each packet
 * it accepts (pd_shedprog_flow_mark(), hashed on the packet as it
 * arrived, before any rewrite: the tuple the program sees) in the current
 * of two bitmaps, and every PD_SHEDPROG_AGE_SEC clears the older one and
 * makes it current: a flow idle for two such periods is unknown again.
 * The hash is keyed with a random seed (st->seed), so flows from outside
 * cannot aim at bits they do not own; a bit shared with a live flow (about
 * the bitmap's fill: 2 x 2^22 bits, 1% per 40,000 live flows) lets a new
 * flow pass as known.
 *
 * The window restart and the count are not one atomic step: CPUs that
 * race there admit a few packets more, never fewer.  The daemon writes
 * window, limit and limit_new, and reads the drop counters.
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
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/random.h>
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

/* The state map's element: what the program and the daemon share. */
struct pd_shed_state {
	uint64_t start;		/* ns, bpf_ktime_get_ns(): window start */
	uint64_t count;		/* packets admitted in this window */
	uint64_t window;	/* ns */
	uint64_t limit;		/* packets per window; PD_UNLIMITED */
	uint64_t limit_new;	/* the same for flows not known */
	uint64_t dropped;	/* since load */
	uint64_t dropped_known; /* of dropped: known flows' */
	uint64_t seed;		/* flow hash key */
	uint64_t rate;		/* pps as set; 0 = unlimited (daemon only) */
};

#define ST_OFF(f) ((int16_t) __builtin_offsetof(struct pd_shed_state, f))

struct pd_shedprog {
	enum pd_shedprog_hook hook;
	int map_fd, flows_fd, prog_fd;
	volatile struct pd_shed_state *st; /* mmap()ed element 0 */
	size_t map_len, flows_len;
	uint64_t *flows; /* mmap()ed: two generations of bits */
	unsigned gen;	 /* the one marked now */
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
#define ALU64_REG(op, d, s) INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)	    ALU64_REG(BPF_MOV, d, s)
#define MOV64_IMM(d, i)	    ALU64_IMM(BPF_MOV, d, i)
#define LDX(sz, d, s, o)    INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o)    INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_IMM(sz, d, o, i) INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define ATOMIC_ADD(d, s, o) \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define JMP_REG(op, d, s) INSN(BPF_JMP | (op) | BPF_X, d, s, 0, 0)
#define JMP_IMM(op, d, i) INSN(BPF_JMP | (op) | BPF_K, d, 0, 0, i)
#define CALL(fn)	  INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT()		  INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

/* Jump targets of the program. */
enum {
	L_PASS,	      /* return pass */
	L_CLASSIFIED, /* r6 = 1 for a known flow, 0 otherwise */
	L_PORTS,      /* tcp/udp, first fragment: read the ports */
	L_NOPORTS,    /* ports word in r8 (0 without ports) */
	L_SAMEWIN,    /* the window has not expired */
	L_HAVELIM,    /* r1 = this packet's limit */
	L_DROP,	      /* count and return drop */
	L_DROPRET,
	L_N
};

#define PROG_MAX 128

/* A tiny assembler: instructions, labels, jumps fixed up at the end. */
struct bpf_asm {
	struct bpf_insn p[PROG_MAX];
	size_t k, nfix;
	size_t fix_at[24];
	int fix_to[24];
	size_t label[L_N];
};

static void
emit(struct bpf_asm *a, struct bpf_insn i)
{
	if (a->k < PROG_MAX)
		a->p[a->k] = i;
	a->k++;
}

/* A conditional or plain jump (off filled in later) to label l. */
static void
emit_jmp(struct bpf_asm *a, struct bpf_insn i, int l)
{
	if (a->nfix < sizeof(a->fix_at) / sizeof(a->fix_at[0])) {
		a->fix_at[a->nfix] = a->k;
		a->fix_to[a->nfix++] = l;
	}
	emit(a, i);
}

static void
emit_label(struct bpf_asm *a, int l)
{
	a->label[l] = a->k;
}

/* d = map fd (a 64-bit immediate: two instructions) */
static void
emit_ld_map(struct bpf_asm *a, int d, int fd)
{
	emit(a, INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd));
	emit(a, INSN(0, 0, 0, 0, 0));
}

/* r0 = element 0 of map fd, or jump to l when there is none */
static void
emit_lookup0(struct bpf_asm *a, int fd, int l)
{
	emit(a, ST_IMM(BPF_W, R10, -4, 0));
	emit(a, MOV64_REG(R2, R10));
	emit(a, ALU64_IMM(BPF_ADD, R2, -4));
	emit_ld_map(a, R1, fd);
	emit(a, CALL(BPF_FUNC_map_lookup_elem));
	emit_jmp(a, JMP_IMM(BPF_JEQ, R0, 0), l);
}

/* r2 = packet start, r3 = its end */
static void
emit_pkt(struct bpf_asm *a, enum pd_shedprog_hook h)
{
	int16_t d =
		h == PD_SHEDPROG_TC
			? (int16_t) __builtin_offsetof(struct __sk_buff, data)
			: (int16_t) __builtin_offsetof(struct xdp_md, data);
	int16_t e =
		h == PD_SHEDPROG_TC
			? (int16_t) __builtin_offsetof(struct __sk_buff,
						       data_end)
			: (int16_t) __builtin_offsetof(struct xdp_md, data_end);

	emit(a, LDX(BPF_W, R2, R6, d));
	emit(a, LDX(BPF_W, R3, R6, e));
}

/* Not IPv4: pass (only IPv4 is queued; ARP must never be shed). */
static void
emit_ipv4_test(struct bpf_asm *a, enum pd_shedprog_hook h)
{
	int ip = htons(ETH_P_IP);

	if (h == PD_SHEDPROG_TC) {
		emit(a, LDX(BPF_W, R2, R6,
			    (int16_t) __builtin_offsetof(struct __sk_buff,
							 protocol)));
		emit_jmp(a, JMP_IMM(BPF_JNE, R2, ip), L_PASS);
		return;
	}
	emit_pkt(a, h);
	emit(a, MOV64_REG(R4, R2));
	emit(a, ALU64_IMM(BPF_ADD, R4, ETH_HLEN));
	emit_jmp(a, JMP_REG(BPF_JGT, R4, R3), L_PASS);
	emit(a, LDX(BPF_H, R4, R2, 12));
	emit_jmp(a, JMP_IMM(BPF_JNE, R4, ip), L_PASS);
}

/* r9 ^= r0; r9 *= M; r9 ^= r9 >> sh (the flow hash's round) */
static void
emit_mix(struct bpf_asm *a, int sh)
{
	emit(a, ALU64_REG(BPF_XOR, R9, R0));
	emit(a, ALU64_IMM(BPF_MUL, R9, PD_SHEDPROG_MUL));
	emit(a, MOV64_REG(R0, R9));
	emit(a, ALU64_IMM(BPF_RSH, R0, sh));
	emit(a, ALU64_REG(BPF_XOR, R9, R0));
}

/*
 * r9 = the flow hash of the IPv4 packet at r2 (end r3), as
 * pd_shedprog_flow_key() computes it; jump to L_CLASSIFIED (unknown)
 * when the header is short.  Offsets from the Ethernet header.
 */
static void
emit_flow_hash(struct bpf_asm *a)
{
	emit(a, MOV64_REG(R4, R2));
	emit(a, ALU64_IMM(BPF_ADD, R4, ETH_HLEN + 20));
	emit_jmp(a, JMP_REG(BPF_JGT, R4, R3), L_CLASSIFIED);
	emit(a, LDX(BPF_B, R4, R2, ETH_HLEN)); /* version, IHL */
	emit(a, ALU64_IMM(BPF_AND, R4, 15));
	emit_jmp(a, JMP_IMM(BPF_JLT, R4, 5), L_CLASSIFIED);
	emit(a, ALU64_IMM(BPF_LSH, R4, 2));
	emit(a, MOV64_IMM(R8, 0));
	emit(a, LDX(BPF_H, R5, R2, ETH_HLEN + 6)); /* fragment offset */
	emit(a, ALU64_IMM(BPF_AND, R5, htons(0x1fff)));
	emit_jmp(a, JMP_IMM(BPF_JNE, R5, 0), L_NOPORTS);
	emit(a, LDX(BPF_B, R0, R2, ETH_HLEN + 9));
	emit_jmp(a, JMP_IMM(BPF_JEQ, R0, IPPROTO_TCP), L_PORTS);
	emit_jmp(a, JMP_IMM(BPF_JNE, R0, IPPROTO_UDP), L_NOPORTS);
	emit_label(a, L_PORTS);
	emit(a, MOV64_REG(R5, R2));
	emit(a, ALU64_IMM(BPF_ADD, R5, ETH_HLEN));
	emit(a, ALU64_REG(BPF_ADD, R5, R4));
	emit(a, MOV64_REG(R1, R5));
	emit(a, ALU64_IMM(BPF_ADD, R1, 4));
	emit_jmp(a, JMP_REG(BPF_JGT, R1, R3), L_NOPORTS);
	emit(a, LDX(BPF_W, R8, R5, 0));
	emit_label(a, L_NOPORTS);
	emit(a, LDX(BPF_B, R0, R2, ETH_HLEN + 9));
	emit(a, ALU64_IMM(BPF_LSH, R0, 32));
	emit(a, ALU64_REG(BPF_OR, R8, R0));
	emit(a, LDX(BPF_DW, R9, R7, ST_OFF(seed)));
	emit(a, LDX(BPF_W, R0, R2, ETH_HLEN + 12)); /* source */
	emit_mix(a, 29);
	emit(a, LDX(BPF_W, R0, R2, ETH_HLEN + 16)); /* destination */
	emit_mix(a, 29);
	emit(a, MOV64_REG(R0, R8)); /* ports, protocol */
	emit_mix(a, 32);
}

/* r6 = 1 when the flow's bit is set in either generation of the map */
static void
emit_known(struct bpf_asm *a, int flows_fd)
{
	emit_lookup0(a, flows_fd, L_CLASSIFIED);
	emit(a, MOV64_REG(R1, R9));
	emit(a, ALU64_IMM(BPF_RSH, R1, 6));
	emit(a, ALU64_IMM(BPF_AND, R1, PD_SHEDPROG_WORDS - 1));
	emit(a, ALU64_IMM(BPF_LSH, R1, 3));
	emit(a, ALU64_REG(BPF_ADD, R0, R1));
	emit(a, LDX(BPF_DW, R2, R0, 0));
	emit(a, ALU64_IMM(BPF_ADD, R0, PD_SHEDPROG_WORDS * 8));
	emit(a, LDX(BPF_DW, R3, R0, 0));
	emit(a, ALU64_REG(BPF_OR, R2, R3));
	emit(a, MOV64_REG(R1, R9));
	emit(a, ALU64_IMM(BPF_AND, R1, 63));
	emit(a, ALU64_REG(BPF_RSH, R2, R1));
	emit(a, ALU64_IMM(BPF_AND, R2, 1));
	emit(a, MOV64_REG(R6, R2));
}

/* The window, the limit of the packet's class, count or drop. */
static void
emit_limit(struct bpf_asm *a, int pass, int drop)
{
	emit(a, CALL(BPF_FUNC_ktime_get_ns));
	emit(a, MOV64_REG(R8, R0));
	emit(a, LDX(BPF_DW, R1, R7, ST_OFF(start)));
	emit(a, MOV64_REG(R2, R8));
	emit(a, ALU64_REG(BPF_SUB, R2, R1));
	emit(a, LDX(BPF_DW, R3, R7, ST_OFF(window)));
	emit_jmp(a, JMP_REG(BPF_JLT, R2, R3), L_SAMEWIN);
	emit(a, STX(BPF_DW, R7, R8, ST_OFF(start)));
	emit(a, ST_IMM(BPF_DW, R7, ST_OFF(count), 0));
	emit_label(a, L_SAMEWIN);
	emit(a, LDX(BPF_DW, R1, R7, ST_OFF(limit)));
	emit_jmp(a, JMP_IMM(BPF_JNE, R6, 0), L_HAVELIM);
	emit(a, LDX(BPF_DW, R1, R7, ST_OFF(limit_new)));
	emit_label(a, L_HAVELIM);
	emit(a, LDX(BPF_DW, R2, R7, ST_OFF(count)));
	emit_jmp(a, JMP_REG(BPF_JGE, R2, R1), L_DROP);
	emit(a, MOV64_IMM(R1, 1));
	emit(a, ATOMIC_ADD(R7, R1, ST_OFF(count)));
	emit_label(a, L_PASS);
	emit(a, MOV64_IMM(R0, pass));
	emit(a, EXIT());
	emit_label(a, L_DROP);
	emit(a, MOV64_IMM(R1, 1));
	emit(a, ATOMIC_ADD(R7, R1, ST_OFF(dropped)));
	emit_jmp(a, JMP_IMM(BPF_JEQ, R6, 0), L_DROPRET);
	emit(a, ATOMIC_ADD(R7, R1, ST_OFF(dropped_known)));
	emit_label(a, L_DROPRET);
	emit(a, MOV64_IMM(R0, drop));
	emit(a, EXIT());
}

/*
 * The program for hook h: -EOVERFLOW if it did not fit (a bug), else its
 * length.  r6 = ctx until the packet is parsed, then the known flag;
 * r7 = the state; r8, r9 = ports word, flow hash.
 */
static long
shedprog_build(struct bpf_asm *a, enum pd_shedprog_hook h, int state_fd,
	       int flows_fd)
{
	memset(a, 0, sizeof(*a));
	emit(a, MOV64_REG(R6, R1));
	emit_ipv4_test(a, h);
	emit_lookup0(a, state_fd, L_PASS);
	emit(a, MOV64_REG(R7, R0));
	emit_pkt(a, h);
	emit(a, MOV64_IMM(R6, 0)); /* unknown until shown otherwise */
	emit_flow_hash(a);
	emit_known(a, flows_fd);
	emit_label(a, L_CLASSIFIED);
	emit_limit(a, h == PD_SHEDPROG_TC ? TC_ACT_OK : XDP_PASS,
		   h == PD_SHEDPROG_TC ? TC_ACT_SHOT : XDP_DROP);
	if (a->k > PROG_MAX ||
	    a->nfix == sizeof(a->fix_at) / sizeof(a->fix_at[0]))
		return -EOVERFLOW;
	for (size_t i = 0; i < a->nfix; i++)
		a->p[a->fix_at[i]].off =
			(int16_t)(a->label[a->fix_to[i]] - a->fix_at[i] - 1);
	return (long)a->k;
}

/* ---- the flow hash, as the program computes it ---------------------------- */

static uint64_t
flow_mix(uint64_t h, uint64_t v, int sh)
{
	h ^= v;
	h *= (uint64_t)(int64_t)PD_SHEDPROG_MUL; /* BPF sign-extends imm */
	return h ^ (h >> sh);
}

uint64_t
pd_shedprog_flow_key(const struct pd_shedprog *p, const uint8_t *ip, size_t len)
{
	uint32_t src, dst, ports = 0;
	uint16_t frag;
	size_t ihl;
	uint64_t h;

	if (len < 20 || (ip[0] & 15) < 5)
		return 0;
	ihl = (size_t)(ip[0] & 15) * 4;
	memcpy(&frag, ip + 6, 2); /* host-order loads, as BPF's */
	if ((frag & htons(0x1fff)) == 0 &&
	    (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) && ihl + 4 <= len)
		memcpy(&ports, ip + ihl, 4);
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	h = flow_mix(p->st->seed, src, 29);
	h = flow_mix(h, dst, 29);
	h = flow_mix(h, (uint64_t)ip[9] << 32 | ports, 32);
	return h | PD_SHEDPROG_KEY_VALID;
}

void
pd_shedprog_flow_mark(struct pd_shedprog *p, uint64_t key)
{
	unsigned gen = __atomic_load_n(&p->gen, __ATOMIC_RELAXED);
	uint64_t *w;

	if (key == 0)
		return;
	w = &p->flows[(size_t)gen * PD_SHEDPROG_WORDS +
		      ((key >> 6) & (PD_SHEDPROG_WORDS - 1))];
	if ((__atomic_load_n(w, __ATOMIC_RELAXED) >> (key & 63) & 1) == 0)
		__atomic_fetch_or(w, 1ull << (key & 63), __ATOMIC_RELAXED);
}

void
pd_shedprog_flow_age(struct pd_shedprog *p)
{
	unsigned old = __atomic_load_n(&p->gen, __ATOMIC_RELAXED) ^ 1;

	memset(&p->flows[(size_t)old * PD_SHEDPROG_WORDS], 0,
	       PD_SHEDPROG_WORDS * sizeof(uint64_t));
	__atomic_store_n(&p->gen, old, __ATOMIC_RELAXED);
}

/* ---- the bpf() system call --------------------------------------------- */

static int
sys_bpf(int cmd, union bpf_attr *attr)
{
	long rc = syscall(__NR_bpf, cmd, attr, sizeof(*attr));

	return rc < 0 ? -errno : (int)rc;
}

/* A one-element array map with a value of vsize bytes, mmap()ed; its
 * fd, or -errno. */
static int
shedprog_map_new(const char *name, size_t vsize, void **mem, size_t *len)
{
	long page = sysconf(_SC_PAGESIZE);
	union bpf_attr a;
	void *m;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = sizeof(uint32_t);
	a.value_size = (uint32_t)vsize;
	a.max_entries = 1;
	a.map_flags = BPF_F_MMAPABLE;
	strlcpy(a.map_name, name, sizeof(a.map_name));
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		return fd;
	if (page <= 0)
		page = 4096;
	*len = (vsize + (size_t)page - 1) / (size_t)page * (size_t)page;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return -errno;
	}
	*mem = m;
	return fd;
}

static int
shedprog_maps(struct pd_shedprog *p)
{
	void *m;

	p->map_fd = shedprog_map_new("pinhole_shed", sizeof(*p->st), &m,
				     &p->map_len);
	if (p->map_fd < 0)
		return p->map_fd;
	p->st = m;
	p->flows_fd = shedprog_map_new("pinhole_flows",
				       2 * PD_SHEDPROG_WORDS * sizeof(uint64_t),
				       &m, &p->flows_len);
	if (p->flows_fd < 0)
		return p->flows_fd;
	p->flows = m;
	if (getrandom((void *)&p->st->seed, sizeof(p->st->seed), 0) !=
	    (ssize_t)sizeof(p->st->seed))
		return -EIO;
	p->st->window = PD_SHEDPROG_WINDOW_NS;
	p->st->limit = p->st->limit_new = PD_UNLIMITED;
	return 0;
}

/* The verifier's reason, into err: its last line that is not the
 * statistics it ends with ("processed N insns ...", "verification time"). */
static void
verifier_tail(const char *log, char *err, size_t errlen)
{
	size_t len = strlen(log);
	const char *s;

	for (;;) {
		while (len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' '))
			len--;
		s = log + len;
		while (s > log && s[-1] != '\n')
			s--;
		if (s == log || (strncmp(s, "processed ", 10) != 0 &&
				 strncmp(s, "verification time", 17) != 0))
			break;
		len = (size_t)(s - log);
	}
	snprintf(err, errlen, "%.*s", (int)(log + len - s), s);
}

static int
shedprog_load(struct pd_shedprog *p, char *err, size_t errlen)
{
	static struct bpf_asm prog;
	static char vlog[65536];
	union bpf_attr a;
	long n = shedprog_build(&prog, p->hook, p->map_fd, p->flows_fd);

	if (n < 0)
		return (int)n;
	memset(&a, 0, sizeof(a));
	a.insns = (uint64_t)(uintptr_t)prog.p;
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
	if (p->prog_fd >= 0 || (p->prog_fd != -EACCES && p->prog_fd != -EINVAL))
		return p->prog_fd < 0 ? p->prog_fd : 0;
	/* refused by the verifier (or an invalid instruction): load again
	 * for its reasons */
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
	p->map_fd = p->flows_fd = p->prog_fd = -1;
	rc = shedprog_maps(p);
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

void
pd_shedprog_set_rate(struct pd_shedprog *p, uint32_t pps)
{
	uint64_t per = (uint64_t)pps * PD_SHEDPROG_WINDOW_NS / 1000000000ull;

	p->st->rate = pps;
	if (pps == 0) {
		p->st->limit = p->st->limit_new = PD_UNLIMITED;
		return;
	}
	if (per == 0) { /* under 100 pps: one packet a window */
		p->st->window = 1000000000ull / pps;
		per = 1;
	} else {
		p->st->window = PD_SHEDPROG_WINDOW_NS;
	}
	p->st->limit = per;
	per = per * PD_SHEDPROG_NEW_PCT / 100;
	p->st->limit_new = per > 0 ? per : 1;
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

uint64_t
pd_shedprog_dropped_known(const struct pd_shedprog *p)
{
	return __atomic_load_n(&p->st->dropped_known, __ATOMIC_RELAXED);
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
	if (p->flows != NULL)
		munmap(p->flows, p->flows_len);
	if (p->flows_fd >= 0)
		close(p->flows_fd);
	if (p->prog_fd >= 0)
		close(p->prog_fd);
	if (p->map_fd >= 0)
		close(p->map_fd);
	free(p);
}
