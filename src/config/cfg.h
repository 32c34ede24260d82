/*
 * config/cfg.h - the config compiler's private model and parser context.
 *
 * Pipeline (each step in its own file):
 *   lexer.c     one physical line -> words with line:col
 *   parser.c    logical commands (prompts, comments, continuation lines),
 *               dispatch through one sorted keyword table; the command
 *               families live in parse_*.c and fill struct ph_policy_src
 *   check.c     cross-line semantics (references, overlaps, warnings)
 *   compile.c   struct ph_policy_src -> struct ph_policy (model.h)
 *   print.c     struct ph_policy_src -> canonical text
 *   diag.c      diagnostic records
 *   names.c     PIX literal tables (ports, ICMP types, protocols, levels)
 *
 * struct ph_policy_src is the configuration as written (object groups not
 * expanded, names kept, lines with no effect kept as canonical text).  It
 * travels with the compiled policy so that the printer can reproduce it.
 *
 * Known limits: IPv4 only; see docs/config.md for the commands supported.
 */
#ifndef PH_CONFIG_CFG_H
#define PH_CONFIG_CFG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bsd/string.h> /* strlcpy */

#include <pinhole/policy.h>

#include "config/model.h"

/* Hard limits: exceeding one is an error with a clear message. */
#define PH_CFG_MAX_INPUT   (16u << 20) /* bytes of rule text */
#define PH_CFG_MAX_LINES   1000000u    /* physical lines */
#define PH_CFG_MAX_LINE	   1024u       /* bytes per physical line */
#define PH_CFG_MAX_TOKENS  128u	       /* words per command */
#define PH_CFG_MAX_CONT	   8u	       /* continuation lines per command */
#define PH_CFG_MAX_ACES	   65536u      /* ACEs as written, all ACLs */
#define PH_CFG_MAX_EXPAND  262144u     /* compiled ACEs after expansion */
#define PH_CFG_MAX_ITEMS   16384u      /* per kind: statics, nats, names.. */
#define PH_CFG_MAX_MEMBERS 4096u       /* members of one object-group */
#define PH_CFG_MAX_DIAGS   1000u       /* diagnostics kept per parse */
#define PH_CFG_MAX_VERSION 32u

/* A position in the rule file, 1-based. */
struct cfg_pos {
	uint32_t line, col;
};

/* One word of a command. */
struct cfg_tok {
	char *s; /* NUL-terminated copy */
	struct cfg_pos pos;
};

/* ---- small utilities (util.c) ------------------------------------ */

/* Growable string; on allocation failure sets oom and stops growing. */
struct strbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};

void sb_init(struct strbuf *sb);
void sb_putc(struct strbuf *sb, char c);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
char *sb_steal(struct strbuf *sb); /* NULL on oom; resets sb */
void sb_free(struct strbuf *sb);

/* Grow an array so that it has room for one more element. */
void *vec_grow(void *arr, size_t *cap, size_t n, size_t elsize);

/* ---- the configuration as written ---------------------------------- */

/* Canonical sections, in printing order (print.c has their names). */
enum cfg_sec {
	SEC_VERSION,
	SEC_NAMEIF,
	SEC_ENABLE,
	SEC_HOSTNAME,
	SEC_DOMAIN,
	SEC_FIXUP,
	SEC_NAMES,
	SEC_OBJGRP,
	SEC_ACL,
	SEC_PAGER,
	SEC_LOGGING,
	SEC_INTERFACE,
	SEC_MTU,
	SEC_IPADDR,
	SEC_IPAUDIT,
	SEC_IPPOOL,
	SEC_FAILOVER,
	SEC_PDM,
	SEC_ARP,
	SEC_GLOBAL,
	SEC_NAT,
	SEC_STATIC,
	SEC_ACCESSGROUP,
	SEC_CONDUIT,
	SEC_ROUTE,
	SEC_TIMEOUT,
	SEC_AAA,
	SEC_HTTP,
	SEC_SNMP,
	SEC_FLOODGUARD,
	SEC_SYSOPT,
	SEC_CRYPTO,
	SEC_TELNET,
	SEC_SSH,
	SEC_DHCPD,
	SEC_VPDN,
	SEC_USERNAME,
	SEC_CLASSMAP,
	SEC_POLICYMAP,
	SEC_SERVICEPOLICY,
	SEC_OTHER,
	SEC_TERMINAL,
	SEC_MAX
};

/* A command kept as canonical text, printed in its section. */
struct cfg_line {
	uint8_t sec;
	uint32_t line;
	char *text;
};

/* A reference to an interface by nameif name, resolved by check.c. */
struct cfg_ifref {
	char *name;
	struct cfg_pos pos;
	ph_ifidx_t idx; /* PH_IF_NONE until resolved */
};

struct cfg_iface {
	char *hwid;
	char *name;
	uint8_t security;
	bool security_set; /* ASA form: `security-level` given */
	bool asa_form;	   /* `interface X` / ` nameif` sub-mode */
	bool is_default;   /* PIX default (snippet without nameif) */
	bool has_addr;
	uint32_t addr, mask;
	uint32_t mtu;
	bool shutdown;
	char linux_name[16];
	struct cfg_pos pos;   /* the name */
	struct cfg_pos hwpos; /* the hardware id */
	char **sub;	      /* ASA form: other sub-mode lines (text) */
	size_t n_sub, cap_sub;
};

/* `interface HWID [speed...] [shutdown]` (PIX 6 one-line form). */
struct cfg_hwline {
	char *hwid;
	char *text;
	bool shutdown;
	struct cfg_pos pos;
};

/* `ip address IF A M` and `mtu IF N`, resolved by check.c. */
struct cfg_ifattr {
	struct cfg_ifref ifr;
	uint32_t addr, mask; /* ip address */
	uint32_t mtu;	     /* mtu */
	uint32_t line;
};

struct cfg_name {
	uint32_t addr;
	char *name;
	char *text;
};

/* An address operand as written. */
enum cfg_addr_kind {
	CFG_A_ANY = 0,
	CFG_A_HOST,
	CFG_A_NET,
	CFG_A_GROUP,
	CFG_A_IFACE, /* `interface IF` (ASA 7): not supported in ACEs */
};

struct cfg_addr {
	uint8_t kind;
	uint32_t addr, mask;
	int32_t group;	  /* CFG_A_GROUP: index into groups */
	const char *name; /* a `name` used for addr, or NULL */
};

struct cfg_port {
	uint8_t op; /* enum ph_port_op */
	uint16_t lo, hi;
	int32_t group; /* service object-group, -1 none */
};

enum cfg_group_type {
	CFG_G_NETWORK = 0,
	CFG_G_SERVICE,
	CFG_G_PROTOCOL,
	CFG_G_ICMP,
};

enum cfg_svc_proto {
	CFG_SVC_TCP = 1,
	CFG_SVC_UDP = 2,
	CFG_SVC_TCPUDP = 3,
};

struct cfg_member {
	int32_t group;	      /* group-object: index; -1 otherwise */
	struct ph_prefix pfx; /* network-object */
	struct cfg_port port; /* port-object */
	int16_t value;	      /* protocol-object / icmp-object */
	char *text;	      /* canonical sub-mode line */
	bool is_desc;
};

struct cfg_group {
	char *name;
	uint8_t type; /* enum cfg_group_type */
	uint8_t svc;  /* enum cfg_svc_proto (service groups) */
	char *head;   /* canonical `object-group ...` line */
	struct cfg_member *m;
	size_t n, cap;
	bool used;
	struct cfg_pos pos;
};

/* One ACE as written (also used for conduits, dst first). */
struct cfg_ace {
	bool remark;
	char *text; /* canonical line */
	uint8_t action;
	int16_t proto; /* PH_PROTO_ANY or 0..255 */
	int32_t proto_group;
	struct cfg_addr src, dst;
	struct cfg_port sport, dport;
	int16_t icmp_type;
	int32_t icmp_group;
	int8_t log_level;
	uint16_t log_interval;
	bool log_disable;
	uint32_t line;
};

struct cfg_acl {
	char *name;
	uint32_t *ace; /* indexes into cfg.aces, final order */
	size_t n, cap;
	uint32_t n_shown;   /* ACEs (not remarks) */
	bool applied;	    /* access-group / nat / static / match */
	struct cfg_pos pos; /* first definition */
};

struct cfg_agroup {
	char *acl;
	struct cfg_pos acl_pos;
	struct cfg_ifref ifr;
	char *text;
	uint32_t line;
};

struct cfg_nat {
	struct cfg_ifref ifr;
	uint32_t id;
	char *acl; /* NULL: prefix form */
	struct cfg_pos acl_pos, id_pos;
	struct ph_prefix match;
	bool outside, dns, norandomseq;
	uint32_t max_conns, emb_limit;
	char *text;
	uint32_t line;
};

struct cfg_global {
	struct cfg_ifref ifr;
	uint32_t id;
	bool is_iface;
	uint32_t lo, hi, mask;
	struct cfg_pos id_pos;
	char *text;
	uint32_t line;
};

struct cfg_static {
	struct cfg_ifref real_if, mapped_if;
	uint8_t proto;
	bool mapped_is_iface;
	uint32_t mapped_addr, real_addr, mask;
	uint16_t mapped_port, real_port;
	uint32_t max_conns, emb_limit;
	char *acl;
	struct cfg_pos acl_pos, pos;
	bool norandomseq, dns;
	char *text;
	uint32_t line;
};

struct cfg_route {
	struct cfg_ifref ifr;
	struct ph_prefix dst;
	uint32_t gw, metric;
	char *text;
	uint32_t line;
};

struct cfg_loghost {
	struct cfg_ifref ifr;
	uint32_t addr;
	uint8_t proto;
	uint16_t port;
	char *text;
};

/* Logging state as configured (`no` forms included). */
struct cfg_logging {
	bool on, timestamp, standby;
	int8_t trap, console, buffered, monitor, history;
	uint8_t facility;
	uint32_t queue;
	uint8_t devid_kind;
	struct cfg_ifref devid_if;
	char *devid;
	struct cfg_loghost hosts[PH_LOGHOSTS_MAX];
	uint8_t n_hosts;
	char **extra; /* other logging lines kept (no effect) */
	size_t n_extra, cap_extra;
};

struct cfg_fixup {
	bool no;
	char *proto;
	uint16_t lo[PH_INSPECT_PORTS_MAX], hi[PH_INSPECT_PORTS_MAX];
	uint8_t n_ports;
	char *text;
	uint32_t line;
};

enum cfg_match_kind {
	CFG_M_DEFAULT_INSPECTION = 0,
	CFG_M_PORT,
	CFG_M_ACL,
	CFG_M_ANY,
};

struct cfg_classmap {
	char *name;
	bool has_match;
	uint8_t match;	 /* enum cfg_match_kind */
	uint8_t proto;	 /* CFG_M_PORT: 6 or 17 */
	uint16_t lo, hi; /* CFG_M_PORT */
	char *acl;
	struct cfg_pos acl_pos;
	char *match_text;
	struct cfg_pos pos;
};

struct cfg_pclass {
	char *name;
	struct cfg_pos pos;
	bool pptp;    /* `inspect pptp` */
	char **lines; /* sub-mode lines, canonical */
	size_t n, cap;
};

struct cfg_policymap {
	char *name;
	bool applied; /* by service-policy, or the global default */
	struct cfg_pclass *cls;
	size_t n, cap;
	struct cfg_pos pos;
};

struct cfg_svcpolicy {
	char *name;
	struct cfg_pos pos;
	bool global;
	struct cfg_ifref ifr;
	char *text;
};

/* The whole configuration as written: struct ph_policy_src. */
struct ph_policy_src {
	char version[PH_CFG_MAX_VERSION];
	bool asa; /* `ASA Version` */
	char *hostname;
	int names_state; /* -1 not said, 0 `no names`, 1 `names` */

	struct cfg_iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	struct cfg_hwline *hw;
	size_t n_hw, cap_hw;
	struct cfg_ifattr *ipaddr;
	size_t n_ipaddr, cap_ipaddr;
	struct cfg_ifattr *mtu;
	size_t n_mtu, cap_mtu;
	struct cfg_name *names;
	size_t n_names, cap_names;

	struct cfg_group *groups;
	size_t n_groups, cap_groups;
	struct cfg_ace *aces;
	size_t n_aces, cap_aces;
	struct cfg_acl *acls;
	size_t n_acls, cap_acls;
	struct cfg_ace *conduits;
	size_t n_conduits, cap_conduits;
	struct cfg_agroup *agroups;
	size_t n_agroups, cap_agroups;

	struct cfg_nat *nats;
	size_t n_nats, cap_nats;
	struct cfg_global *globals;
	size_t n_globals, cap_globals;
	struct cfg_static *statics;
	size_t n_statics, cap_statics;
	struct cfg_route *routes;
	size_t n_routes, cap_routes;

	uint32_t timeouts[PH_TO_MAX];
	bool uauth_inactivity; /* second uauth value given */
	uint32_t uauth_inact;
	bool uauth_is_inactivity; /* the only uauth value is inactivity */

	struct cfg_logging log;
	struct cfg_fixup *fixups;
	size_t n_fixups, cap_fixups;
	bool permit_pptp;

	struct cfg_classmap *cmaps;
	size_t n_cmaps, cap_cmaps;
	struct cfg_policymap *pmaps;
	size_t n_pmaps, cap_pmaps;
	struct cfg_svcpolicy *spols;
	size_t n_spols, cap_spols;

	struct cfg_line *lines; /* everything printed as kept text */
	size_t n_lines, cap_lines;
};

void cfg_src_free(struct ph_policy_src *src);

/* ---- diagnostics (diag.c) -------------------------------------------- */

struct ph_diags *diags_new(void);
/* Add one record; text is the source line (copied, len bytes). */
void diags_add(struct ph_diags *d, const char *file, uint32_t line,
	       uint32_t col, uint8_t sev, const char *msg, const char *text,
	       size_t textlen);
bool diags_oom(const struct ph_diags *d);
void diags_sort(struct ph_diags *d);

/* ---- parser context ------------------------------------------------ */

/* A diagnostic held back while a command with continuation lines runs. */
struct cfg_held {
	struct cfg_pos pos;
	uint8_t sev;
	char msg[256];
};

enum cfg_mode {
	MODE_TOP = 0,
	MODE_IFACE, /* ASA `interface X` */
	MODE_OBJGRP,
	MODE_CLASSMAP,
	MODE_POLICYMAP,
	MODE_PCLASS, /* `class X` inside a policy-map */
	MODE_SKIP,   /* after a bad sub-mode opener: skip its lines */
};

struct cfg_parser {
	struct ph_policy_src *src;
	struct ph_diags *diags;
	const char *file;
	const char *text; /* whole input */
	size_t len;
	uint32_t *line_off; /* start offset of each physical line */
	uint32_t n_lines;
	size_t cap_off;
	const struct ph_parse_opts *opts;

	/* the command being parsed */
	struct cfg_tok tok[PH_CFG_MAX_TOKENS];
	size_t ntok, pos;
	char tokbuf[2 * PH_CFG_MAX_LINE * (PH_CFG_MAX_CONT + 1)];
	size_t tb_len;
	bool failed;		      /* an error was reported for it */
	bool negated;		      /* it started with `no` */
	uint32_t line;		      /* its first physical line */
	size_t cont[PH_CFG_MAX_CONT]; /* first token of each continuation */
	size_t n_cont;
	size_t err_tok; /* token of the first error, or (size_t)-1 */
	bool trial;	/* hold diagnostics back (see run_pending) */
	struct cfg_held held[8];
	size_t n_held;

	enum cfg_mode mode;
	int32_t mode_obj; /* index of the object the mode edits */
	int32_t mode_obj2;
	bool oom;
	bool too_many_diags;
	size_t n_errors;
};

/* Report at a position; sev is enum ph_diag_severity. */
void cfg_diag(struct cfg_parser *p, uint8_t sev, struct cfg_pos pos,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Report an error at token i of the command (end of line if past it). */
void cfg_err(struct cfg_parser *p, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_note(struct cfg_parser *p, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cfg_warn(struct cfg_parser *p, size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Token access: the next token, or NULL at end. */
const char *cfg_peek(struct cfg_parser *p);
bool cfg_at_end(const struct cfg_parser *p);
bool cfg_accept(struct cfg_parser *p, const char *kw);
char *cfg_strdup(struct cfg_parser *p, const char *s);

/*
 * Expect-style readers: each consumes tokens and returns 0, or reports an
 * error at the offending token and returns -1.
 */
int cfg_expect(struct cfg_parser *p, const char *kw);
int cfg_word(struct cfg_parser *p, const char *what, const char **out);
int cfg_name(struct cfg_parser *p, const char *what, char **out);
int cfg_u32(struct cfg_parser *p, const char *what, uint32_t lo, uint32_t hi,
	    uint32_t *out);
int cfg_ip(struct cfg_parser *p, uint32_t *out, const char **name);
int cfg_ip_literal(struct cfg_parser *p, uint32_t *out);
int cfg_mask(struct cfg_parser *p, uint32_t *out);
int cfg_net(struct cfg_parser *p, uint32_t *addr, uint32_t *mask);
int cfg_port(struct cfg_parser *p, uint16_t *out);
int cfg_portspec(struct cfg_parser *p, struct cfg_port *out);
int cfg_level(struct cfg_parser *p, int8_t *out);
int cfg_ifparen(struct cfg_parser *p, struct cfg_ifref *a, struct cfg_ifref *b);
int cfg_ifname(struct cfg_parser *p, struct cfg_ifref *out);
int cfg_end(struct cfg_parser *p);
bool cfg_is_number(const char *s);
int cfg_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int cfg_parse_ip(const char *s, uint32_t *out);
bool cfg_mask_ok(uint32_t mask);
int cfg_mask_len(uint32_t mask);

/* Keep the current command as canonical text in a section. */
void cfg_keep(struct cfg_parser *p, uint8_t sec, char *text);
/* The current command's tokens from i on, joined by single spaces. */
char *cfg_join(struct cfg_parser *p, size_t from);

/* Formatting helpers shared by the families and the printer. */
void fmt_ip(struct strbuf *sb, uint32_t a);
void fmt_addr(struct strbuf *sb, const struct ph_policy_src *src,
	      const struct cfg_addr *a);
/* Port operator and ports; proto (6, 17, else both) picks literals. */
void fmt_port(struct strbuf *sb, const struct cfg_port *pt, int proto);
void fmt_level(struct strbuf *sb, int lvl);
void fmt_time(struct strbuf *sb, uint32_t sec);

/** Keyword of timeout i (PH_TO_*), for the printer. */
const char *cfg_timeout_kw(int i);

/* ---- command families: each parses one command after its keyword ---- */

typedef void (*cfg_cmd_fn)(struct cfg_parser *p);

void parse_nameif(struct cfg_parser *p);
void parse_interface(struct cfg_parser *p);
void parse_ip(struct cfg_parser *p);
void parse_mtu(struct cfg_parser *p);
void parse_route(struct cfg_parser *p);
void parse_names(struct cfg_parser *p);
void parse_name(struct cfg_parser *p);
void parse_iface_sub(struct cfg_parser *p, const char *kw);

void parse_access_list(struct cfg_parser *p);
void parse_access_group(struct cfg_parser *p);
void parse_conduit(struct cfg_parser *p);
void parse_object_group(struct cfg_parser *p);
void parse_objgrp_sub(struct cfg_parser *p, const char *kw);

void parse_nat(struct cfg_parser *p);
void parse_global(struct cfg_parser *p);
void parse_static(struct cfg_parser *p);

void parse_logging(struct cfg_parser *p);

void parse_timeout(struct cfg_parser *p);
void parse_fixup(struct cfg_parser *p);
void parse_sysopt(struct cfg_parser *p);
void parse_vpdn(struct cfg_parser *p);
void parse_hostname(struct cfg_parser *p);
void parse_version(struct cfg_parser *p);
/* Lines with no effect: returns false when kw is not one of them. */
bool parse_noeffect(struct cfg_parser *p, const char *kw);
bool cfg_is_noeffect(const char *kw);

void parse_class_map(struct cfg_parser *p);
void parse_policy_map(struct cfg_parser *p);
void parse_service_policy(struct cfg_parser *p);
/* Sub-mode lines of class-map / policy-map; false if kw is not one. */
bool parse_mpf_sub(struct cfg_parser *p, const char *kw);

/* ---- lexer.c ------------------------------------------------------- */

/*
 * Split one physical line into words appended to p->tok.  Returns the
 * number of words added, or -1 after reporting an error (bad byte, too
 * many words).
 */
int cfg_lex_line(struct cfg_parser *p, const char *s, size_t len,
		 uint32_t lineno, size_t col0);

/* ---- parser.c / check.c / compile.c / print.c --------------------- */

int cfg_parse_text(struct cfg_parser *p);
bool cfg_is_command(const char *kw, enum cfg_mode mode);
void cfg_check(struct cfg_parser *p);
int cfg_compile(struct cfg_parser *p, struct ph_policy **out);
char *cfg_print(const struct ph_policy *pol);

#endif /* PH_CONFIG_CFG_H */
