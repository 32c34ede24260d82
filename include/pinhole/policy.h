/*
 * pinhole/policy.h - parse, check and print a PIX rule file.
 *
 * ph_policy_parse() turns rule text into one immutable struct ph_policy
 * (src/config/model.h) or, when the text has errors, into nothing but a list
 * of diagnostics.  Diagnostics are records {file, line, col, severity,
 * message, source line}; the library never prints them.  A driver formats
 * each one with ph_diag_format(), which gives the gcc/nftables layout:
 *
 *	rules.conf:12:17: error: unknown interface 'dmz'
 *	nat (dmz) 1 0 0
 *	     ^
 *
 * ph_policy_parse() is also the fuzzing entry point: any bytes in (NUL
 * bytes, CRLF, no final newline, huge lines), a policy or errors out, never
 * a crash or a leak.  Hard limits (PH_CFG_* in src/config/cfg.h) give
 * clear errors rather than unbounded memory use.
 *
 * The rule language is described in docs/config.md.
 */
#ifndef PINHOLE_POLICY_H
#define PINHOLE_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct ph_policy; /* defined in src/config/model.h */
struct ph_diags;  /* opaque list of diagnostics */

enum ph_diag_severity {
	PH_DIAG_ERROR = 0,   /* the file does not load */
	PH_DIAG_WARNING = 1, /* PIX accepts it, but it cannot work */
	PH_DIAG_NOTE = 2,    /* accepted, no effect on this platform */
};

/* One diagnostic.  Strings are owned by the ph_diags list. */
struct ph_diag {
	const char *file; /* as given in ph_parse_opts.filename */
	uint32_t line;	  /* 1-based; 0 = not about a line (command line) */
	uint32_t col;	  /* 1-based byte column; 0 = whole line */
	uint8_t severity; /* enum ph_diag_severity */
	const char *msg;  /* one line, no trailing newline */
	const char *text; /* the source line, "" when line == 0 */
};

/* `-i HWID=IFNAME`: which Linux interface a PIX hardware id stands for. */
struct ph_ifmap {
	const char *hwid;	/* "ethernet0" */
	const char *linux_name; /* "eth1" */
};

struct ph_parse_opts {
	const char *filename; /* used in diagnostics; NULL: "<input>" */
	const struct ph_ifmap *ifmap;
	size_t n_ifmap;
	uint64_t seed; /* keys the compiled ACL index; 0 = a fixed key */
};

/**
 * Parse, check and compile rule text.
 *
 * text need not be NUL-terminated and may contain any bytes.  On success
 * returns 0 and sets *out to a new policy (free with ph_policy_free()).  If
 * the text has any error, returns -EINVAL and sets *out to NULL.  Returns
 * -ENOMEM when memory runs out (*out NULL).  In every case, when diags is
 * not NULL, *diags receives the list of errors, warnings and notes (maybe
 * empty), which the caller frees with ph_diags_free(); it is NULL only on
 * -ENOMEM.  opts may be NULL.
 */
int ph_policy_parse(const char *text, size_t len,
		    const struct ph_parse_opts *opts, struct ph_policy **out,
		    struct ph_diags **diags);

/** Free a policy from ph_policy_parse(); NULL is a no-op. */
void ph_policy_free(struct ph_policy *pol);

/**
 * The canonical configuration of a policy: PIX `write terminal` order, one
 * command per line, normalised spelling.  Parsing the result gives a policy
 * that prints identically.  Returns a malloc'd string, NULL on ENOMEM.
 */
char *ph_policy_print(const struct ph_policy *pol);

/** Number of diagnostics in the list (0 for NULL). */
size_t ph_diags_count(const struct ph_diags *d);
/** The i-th diagnostic in file order; NULL when out of range. */
const struct ph_diag *ph_diags_get(const struct ph_diags *d, size_t i);
/** Number of errors in the list. */
size_t ph_diags_errors(const struct ph_diags *d);
/** Number of warnings in the list. */
size_t ph_diags_warnings(const struct ph_diags *d);
/** Free a diagnostics list; NULL is a no-op. */
void ph_diags_free(struct ph_diags *d);

/** "error", "warning" or "note". */
const char *ph_diag_severity_name(unsigned sev);

/**
 * Format one diagnostic as
 * "FILE:LINE:COL: error: MSG\n<source line>\n<spaces>^\n"
 * (without the source and caret lines when line == 0).  Works like
 * snprintf: returns the length the full text needs, writes at most len
 * bytes including the terminating NUL.
 */
int ph_diag_format(const struct ph_diag *d, char *buf, size_t len);

#endif /* PINHOLE_POLICY_H */
