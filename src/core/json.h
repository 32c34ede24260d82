/*
 * core/json.h - a tiny streaming JSON writer (RFC 8259) for `pinholectl -j`.
 *
 * The writer produces text through a put callback (the control socket's
 * reply buffer, a test's fixed buffer), so it needs no allocation.  It
 * tracks nesting and commas itself: callers say "begin object, key k =
 * value v, end object" and get valid JSON.  Every string (keys too) is
 * escaped by ph_json_escape(): `"` and `\` get a backslash, control
 * characters below 0x20 and DEL become \n \r \t \b \f or \u00XX, and bytes
 * that are not valid UTF-8 are replaced by \ufffd, so the output is valid
 * JSON whatever bytes a name or a config line holds.
 *
 * Errors are sticky: a put failure, a value where a key is needed, nesting
 * deeper than PH_JSON_DEPTH_MAX or an unbalanced end make every later call
 * a no-op and ph_json_finish() return the error.
 *
 * The struct is caller-owned (on the stack or inside a reply) so a writer
 * can live across several handler calls of one paged reply; its fields
 * are private.
 *
 * Known limits: no floating point (pinhole has none to print); numbers
 * are 64-bit integers.
 */
#ifndef PH_CORE_JSON_H
#define PH_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PH_JSON_DEPTH_MAX 16

/* Append n bytes of output; return 0 or -errno. */
typedef int (*ph_json_put_fn)(void *arg, const char *s, size_t n);

struct ph_json {
	ph_json_put_fn put;
	void *arg;
	int err;       /* first error, sticky */
	uint8_t depth; /* open containers */
	bool pretty;   /* newline + indent between members */
	bool done;     /* a complete top-level value was written */
	bool first[PH_JSON_DEPTH_MAX]; /* no member yet at this level */
	bool is_obj[PH_JSON_DEPTH_MAX];
};

/**
 * Escape n bytes of s as the inside of a JSON string (no quotes added)
 * into dst.  Works like snprintf: returns the length of the full escaped
 * text, writes at most dstlen bytes including a terminating NUL.
 */
size_t ph_json_escape(char *dst, size_t dstlen, const char *s, size_t n);

/** Start a writer; `pretty` puts each member on its own indented line. */
void ph_json_init(struct ph_json *j, ph_json_put_fn put, void *arg,
		  bool pretty);

/*
 * Values.  `key` names the member inside an object and must be NULL
 * inside an array or at the top level (the mismatch is an -EINVAL error).
 */
/** Open an object. */
void ph_json_obj_begin(struct ph_json *j, const char *key);
/** Close the innermost object. */
void ph_json_obj_end(struct ph_json *j);
/** Open an array. */
void ph_json_arr_begin(struct ph_json *j, const char *key);
/** Close the innermost array. */
void ph_json_arr_end(struct ph_json *j);
/** A string; NULL writes null. */
void ph_json_str(struct ph_json *j, const char *key, const char *s);
/** A string of n bytes (need not be NUL-terminated). */
void ph_json_strn(struct ph_json *j, const char *key, const char *s, size_t n);
/** An unsigned integer. */
void ph_json_u64(struct ph_json *j, const char *key, uint64_t v);
/** A signed integer. */
void ph_json_i64(struct ph_json *j, const char *key, int64_t v);
/** true / false. */
void ph_json_bool(struct ph_json *j, const char *key, bool v);
/** null. */
void ph_json_null(struct ph_json *j, const char *key);
/** An IPv4 address (host byte order) as a dotted-quad string. */
void ph_json_ipv4(struct ph_json *j, const char *key, uint32_t addr);

/** True when containers are still open. */
bool ph_json_open(const struct ph_json *j);

/**
 * End the document: writes a final newline.  Returns 0 when exactly one
 * complete value was written and nothing failed, else the sticky -errno
 * (-EINVAL for misuse or open containers).
 */
int ph_json_finish(struct ph_json *j);

#endif /* PH_CORE_JSON_H */
