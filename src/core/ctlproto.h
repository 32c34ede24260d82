/*
 * core/ctlproto.h - the control protocol between pinholectl and pinholed:
 * wire framing, the command grammar and the request decoder.
 *
 * It lives in the core library because the daemon decodes bytes from any
 * local user with it: ph_ctl_request_decode() is a pure function (bytes in,
 * a typed request or a clear error out, no I/O, no allocation) and is fuzzed
 * and unit-tested as such.  docs/control.md describes the protocol for
 * people; this header is the contract.
 *
 * Request frame (client -> daemon), all integers big-endian:
 *
 *	0  4  magic "PHCQ"
 *	4  1  version (1)
 *	5  1  flags: bit 0 = reply in JSON; other bits must be 0
 *	6  2  reserved, must be 0
 *	8  4  length of the text, 1..PH_CTL_REQ_MAX
 *	12 .. text: the command words, printable ASCII separated by spaces
 *
 * Response (daemon -> client): a sequence of chunks, each
 *
 *	0  4  magic "PHCR"
 *	4  1  kind: 'D' data (text of the reply), 'E' end (last chunk)
 *	5  1  reserved, 0
 *	6  2  status (end chunk: enum ph_ctl_status; data chunk: 0)
 *	8  4  length of the payload, 0..PH_CTL_CHUNK_MAX
 *	12 .. payload: data text, or the end chunk's error message
 *
 * A reply is any number of data chunks and one end chunk.  A streaming
 * command (`debug pptp`) sends data chunks until the client closes or
 * another client runs `no debug pptp` / `undebug all`.  After the end chunk
 * the connection takes the next request.  A frame the daemon cannot parse
 * (bad magic, version, flags, or a length over the limit) is answered with
 * an end chunk of status PH_CTL_E_PROTO and the connection is closed,
 * since the byte stream cannot be re-synchronised.
 *
 * Grammar: one token tree (ctlproto.c) gives every command, PIX-style
 * unique-prefix abbreviations (`sh conn`, `sh xl`, `sh run`, `sh access-l`)
 * and the error texts ("ERROR: % Invalid input detected at 'x' ...
 * expected ...", "ERROR: % Ambiguous command ...").  pinholectl uses the
 * same tree to check a command before it connects.
 *
 * Known limits: words are separated by blanks and cannot be quoted, so a
 * reload path or ACL name cannot contain spaces.
 */
#ifndef PH_CORE_CTLPROTO_H
#define PH_CORE_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PH_CTL_VERSION	 1
#define PH_CTL_HDR_LEN	 12		 /* request header and chunk header */
#define PH_CTL_REQ_MAX	 4096		 /* bytes of request text */
#define PH_CTL_WORDS_MAX 16		 /* words in a request */
#define PH_CTL_WORD_MAX	 1024		 /* bytes in one word */
#define PH_CTL_ARG_MAX	 PH_CTL_WORD_MAX /* argument incl. NUL */
#define PH_CTL_NAME_MAX	 64		 /* ACL name incl. NUL (PIX: 63) */
#define PH_CTL_CHUNK_MAX (1u << 20)	 /* payload bytes of one chunk */
#define PH_CTL_ERR_MAX	 512		 /* a decoder error text, with NUL */

#define PH_CTL_REQ_MAGIC "PHCQ"
#define PH_CTL_RSP_MAGIC "PHCR"
#define PH_CTL_F_JSON	 0x01 /* request flags */

#define PH_CTL_CHUNK_DATA 'D'
#define PH_CTL_CHUNK_END  'E'

/* Default socket paths (docs/control.md). */
#define PH_CTL_SOCK_PATH    "/run/pinhole/pinhole.sock"
#define PH_CTL_SOCK_RO_PATH "/run/pinhole/pinhole-ro.sock"

/*
 * Reply status, in the end chunk.  X(sym, value, text).  Values are on the
 * wire: append only.
 */
#define PH_CTL_STATUSES(X)                                    \
	X(OK, 0, "ok")                                        \
	X(E_INVALID, 1, "invalid input")                      \
	X(E_AMBIGUOUS, 2, "ambiguous command")                \
	X(E_INCOMPLETE, 3, "incomplete command")              \
	X(E_DENIED, 4, "not allowed on the read-only socket") \
	X(E_FAILED, 5, "command failed")                      \
	X(E_TOOBIG, 6, "request too large")                   \
	X(E_PROTO, 7, "protocol error")                       \
	X(E_UNSUPPORTED, 8, "command not available")          \
	X(E_BUSY, 9, "too many clients")                      \
	X(E_INTERNAL, 10, "internal error")                   \
	X(E_TRUNCATED, 11, "reply too large")

enum ph_ctl_status {
#define PH_CTL_STATUS_ENUM(sym, val, text) PH_CTL_##sym = val,
	PH_CTL_STATUSES(PH_CTL_STATUS_ENUM)
#undef PH_CTL_STATUS_ENUM
		PH_CTL_STATUS_MAX
};

/* Command flags. */
#define PH_CTL_CMDF_WRITE  0x01 /* changes state: refused on the RO socket */
#define PH_CTL_CMDF_STREAM 0x02 /* reply streams until interrupted */

/* What may follow a command's words. */
enum ph_ctl_argkind {
	PH_CTL_ARG_NONE = 0,
	PH_CTL_ARG_NAME,     /* optional ACL name */
	PH_CTL_ARG_PATH,     /* optional absolute file path */
	PH_CTL_ARG_NAME_MID, /* optional ACL name before the last word:
			      * `clear access-list [NAME] counters` */
};

/*
 * Commands.  X(sym, words, flags, argkind, help).  The enum is internal to
 * one build (the wire carries the words), so rows may be reordered.
 */
#define PH_CTL_COMMANDS(X)                                                    \
	X(SHOW_CONN, "show conn", 0, PH_CTL_ARG_NONE,                         \
	  "connections (detail: interfaces, mapped address, timers)")         \
	X(SHOW_XLATE, "show xlate", 0, PH_CTL_ARG_NONE,                       \
	  "address and port translations (detail: flags)")                    \
	X(SHOW_ACCESS_LIST, "show access-list", 0, PH_CTL_ARG_NAME,           \
	  "access lists with hit counts; NAME shows one")                     \
	X(SHOW_SERVICE_POLICY_PPTP, "show service-policy inspect pptp", 0,    \
	  PH_CTL_ARG_NONE, "PPTP inspection counters")                        \
	X(SHOW_RUNNING_CONFIG, "show running-config", 0, PH_CTL_ARG_NONE,     \
	  "the loaded policy in canonical form")                              \
	X(SHOW_LOGGING, "show logging", 0, PH_CTL_ARG_NONE,                   \
	  "logging settings, sink counters and the log buffer")               \
	X(SHOW_COUNTERS, "show counters", 0, PH_CTL_ARG_NONE,                 \
	  "engine packet counters and drop reasons")                          \
	X(SHOW_VERSION, "show version", 0, PH_CTL_ARG_NONE,                   \
	  "daemon version and uptime")                                        \
	X(CLEAR_XLATE, "clear xlate", PH_CTL_CMDF_WRITE, PH_CTL_ARG_NONE,     \
	  "remove dynamic translations and their connections")                \
	X(CLEAR_CONN, "clear conn", PH_CTL_CMDF_WRITE, PH_CTL_ARG_NONE,       \
	  "remove every connection")                                          \
	X(CLEAR_COUNTERS, "clear counters", PH_CTL_CMDF_WRITE,                \
	  PH_CTL_ARG_NONE, "zero the packet counters of show counters")       \
	X(CLEAR_LOGGING, "clear logging", PH_CTL_CMDF_WRITE, PH_CTL_ARG_NONE, \
	  "empty the log buffer")                                             \
	X(CLEAR_ACCESS_LIST, "clear access-list counters", PH_CTL_CMDF_WRITE, \
	  PH_CTL_ARG_NAME_MID,                                                \
	  "zero the hit counts of every access list, or of NAME")             \
	X(CLEAR_SERVICE_POLICY, "clear service-policy", PH_CTL_CMDF_WRITE,    \
	  PH_CTL_ARG_NONE, "zero the PPTP inspection counters")               \
	X(RELOAD, "reload", PH_CTL_CMDF_WRITE, PH_CTL_ARG_PATH,               \
	  "load the rule file again (or FILE), atomically")                   \
	X(DEBUG_PPTP, "debug pptp", PH_CTL_CMDF_WRITE | PH_CTL_CMDF_STREAM,   \
	  PH_CTL_ARG_NONE, "stream decoded PPTP control messages")            \
	X(NO_DEBUG_PPTP, "no debug pptp", PH_CTL_CMDF_WRITE, PH_CTL_ARG_NONE, \
	  "stop every debug pptp stream")                                     \
	X(UNDEBUG_ALL, "undebug all", PH_CTL_CMDF_WRITE, PH_CTL_ARG_NONE,     \
	  "stop every debug stream")

enum ph_ctl_cmd {
	PH_CTL_CMD_NONE = 0,
#define PH_CTL_CMD_ENUM(sym, words, flags, arg, help) PH_CTL_CMD_##sym,
	PH_CTL_COMMANDS(PH_CTL_CMD_ENUM)
#undef PH_CTL_CMD_ENUM
		PH_CTL_CMD_MAX
};

/* One command's row. */
struct ph_ctl_cmd_def {
	uint16_t cmd;	   /* enum ph_ctl_cmd */
	uint8_t flags;	   /* PH_CTL_CMDF_* */
	uint8_t argkind;   /* enum ph_ctl_argkind */
	const char *words; /* canonical words, "show conn" */
	const char *help;
};

/* A decoded request. */
struct ph_ctl_request {
	uint16_t cmd;		  /* enum ph_ctl_cmd; NONE when error != OK */
	uint16_t error;		  /* enum ph_ctl_status: OK or why not */
	bool json;		  /* reply in JSON */
	bool detail;		  /* `detail` keyword given */
	char arg[PH_CTL_ARG_MAX]; /* NAME or FILE; "" when none */
};

/* A decoded response chunk; data points into the caller's buffer. */
struct ph_ctl_chunk {
	uint8_t kind;	 /* PH_CTL_CHUNK_DATA or _END */
	uint16_t status; /* end chunk: enum ph_ctl_status */
	const uint8_t *data;
	uint32_t len;
};

/**
 * Decode one request frame from buf.  Safe on any bytes.
 *
 * Returns n > 0 when a whole frame of n bytes was read: *out holds the
 * request with out->error == PH_CTL_OK, or out->error says why the command
 * is refused (invalid, ambiguous, incomplete, bad argument) and err holds
 * the message; the connection stays usable either way.  Returns 0 when buf
 * holds a valid prefix of a frame and more bytes are needed.  Returns
 * -EBADMSG (bad magic, version, flags or reserved bits) or -EMSGSIZE
 * (length 0 or over PH_CTL_REQ_MAX) with err filled: the stream cannot be
 * re-synchronised.  err is always NUL-terminated when errlen > 0.
 */
int ph_ctl_request_decode(const uint8_t *buf, size_t len,
			  struct ph_ctl_request *out, char *err, size_t errlen);

/**
 * Parse command words through the grammar (abbreviations allowed).
 * Returns PH_CTL_OK and fills *out (json false), or a status with err
 * filled.  At most PH_CTL_WORDS_MAX words of PH_CTL_WORD_MAX - 1 bytes.
 */
int ph_ctl_parse_words(const char *const *words, size_t n,
		       struct ph_ctl_request *out, char *err, size_t errlen);

/**
 * Split request text (len bytes, blanks between words) and parse it.
 * Rejects control characters and non-ASCII bytes.  Same return as
 * ph_ctl_parse_words().
 */
int ph_ctl_parse_text(const char *text, size_t len, struct ph_ctl_request *out,
		      char *err, size_t errlen);

/**
 * Canonical text of a request ("show conn detail", "reload /etc/x.conf").
 * Works like snprintf.
 */
int ph_ctl_request_text(const struct ph_ctl_request *req, char *buf,
			size_t len);

/**
 * Encode a request as a frame (canonical text, JSON flag from req->json).
 * Returns the frame length, or -ENOSPC when buf is short, -EINVAL for a
 * request without a command.
 */
int ph_ctl_request_encode(const struct ph_ctl_request *req, uint8_t *buf,
			  size_t len);

/** Write a chunk header for `len` payload bytes into hdr. */
void ph_ctl_chunk_header(uint8_t hdr[PH_CTL_HDR_LEN], uint8_t kind,
			 uint16_t status, uint32_t len);

/**
 * Decode one response chunk.  Returns the chunk's total size (header +
 * payload) when complete, 0 when more bytes are needed, -EBADMSG for a
 * bad magic/kind/reserved byte or a data chunk with a status, -EMSGSIZE
 * for a payload over PH_CTL_CHUNK_MAX.
 */
int ph_ctl_chunk_decode(const uint8_t *buf, size_t len,
			struct ph_ctl_chunk *out);

/** Row of a command, NULL for NONE or out of range. */
const struct ph_ctl_cmd_def *ph_ctl_cmd_def(unsigned cmd);

/** Text of a status ("ambiguous command"), "unknown status" if none. */
const char *ph_ctl_status_text(unsigned status);

/** Symbolic name of a status ("E_AMBIGUOUS"), for JSON and logs. */
const char *ph_ctl_status_name(unsigned status);

/**
 * Write "WORDS[ detail][ ARG]  help" lines for every command into buf
 * (the usage text of pinholectl and of `help` errors).  As snprintf.
 */
int ph_ctl_commands_help(char *buf, size_t len);

#endif /* PH_CORE_CTLPROTO_H */
