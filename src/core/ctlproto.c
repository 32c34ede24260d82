/*
 * core/ctlproto.c - control protocol framing, command grammar and the
 * request decoder (see ctlproto.h and docs/control.md).
 *
 * The grammar is a static token tree: each token has its word, its child
 * tokens and the command the words name when they end there.  Matching
 * follows the PIX CLI: case-insensitive, a word may be any unique prefix of
 * a token ("sh xl"), an exact match wins over prefixes, and the error
 * names what was expected at that point.  Arguments (an ACL name, a file
 * path) are taken where a command's row says so, as the last word.
 *
 * Every byte of a frame is read through the bounds-checked cursor; the
 * decoder allocates nothing and keeps at most one request's text on the
 * stack.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <bsd/string.h>

#include "core/ctlproto.h"
#include "core/cursor.h"

/* --- command table --------------------------------------------------- */

static const struct ph_ctl_cmd_def cmd_defs[] = {
	{ PH_CTL_CMD_NONE, 0, 0, "", "" },
#define PH_CTL_CMD_ROW(sym, words, flags, arg, help) \
	{ PH_CTL_CMD_##sym, flags, arg, words, help },
	PH_CTL_COMMANDS(PH_CTL_CMD_ROW)
#undef PH_CTL_CMD_ROW
};

const struct ph_ctl_cmd_def *
ph_ctl_cmd_def(unsigned cmd)
{
	if (cmd == PH_CTL_CMD_NONE || cmd >= PH_CTL_CMD_MAX)
		return NULL;
	return &cmd_defs[cmd];
}

static const struct {
	const char *name;
	const char *text;
} status_rows[] = {
#define PH_CTL_STATUS_ROW(sym, val, text) [val] = { #sym, text },
	PH_CTL_STATUSES(PH_CTL_STATUS_ROW)
#undef PH_CTL_STATUS_ROW
};

const char *
ph_ctl_status_text(unsigned status)
{
	if (status >= PH_CTL_STATUS_MAX || status_rows[status].text == NULL)
		return "unknown status";
	return status_rows[status].text;
}

const char *
ph_ctl_status_name(unsigned status)
{
	if (status >= PH_CTL_STATUS_MAX || status_rows[status].name == NULL)
		return "UNKNOWN";
	return status_rows[status].name;
}

/* --- token tree ------------------------------------------------------ */

struct tok {
	const char *word;
	const struct tok *next; /* children, ended by a NULL word */
	uint16_t cmd;		/* named when the words end here */
	bool detail;		/* the `detail` keyword */
	uint16_t name_cmd;	/* a word that is not a child here is the
				 * ACL name of this command (NAME_MID) */
};

#define T_END                           \
	{                               \
		NULL, NULL, 0, false, 0 \
	}

static const struct tok t_conn[] = {
	{ "detail", NULL, PH_CTL_CMD_SHOW_CONN, true, 0 },
	T_END,
};
static const struct tok t_xlate[] = {
	{ "detail", NULL, PH_CTL_CMD_SHOW_XLATE, true, 0 },
	T_END,
};
static const struct tok t_insp[] = {
	{ "pptp", NULL, PH_CTL_CMD_SHOW_SERVICE_POLICY_PPTP, false, 0 },
	T_END,
};
static const struct tok t_sp[] = {
	{ "inspect", t_insp, 0, false, 0 },
	T_END,
};
static const struct tok t_show[] = {
	{ "conn", t_conn, PH_CTL_CMD_SHOW_CONN, false, 0 },
	{ "xlate", t_xlate, PH_CTL_CMD_SHOW_XLATE, false, 0 },
	{ "access-list", NULL, PH_CTL_CMD_SHOW_ACCESS_LIST, false, 0 },
	{ "service-policy", t_sp, 0, false, 0 },
	{ "running-config", NULL, PH_CTL_CMD_SHOW_RUNNING_CONFIG, false, 0 },
	{ "logging", NULL, PH_CTL_CMD_SHOW_LOGGING, false, 0 },
	{ "counters", NULL, PH_CTL_CMD_SHOW_COUNTERS, false, 0 },
	{ "version", NULL, PH_CTL_CMD_SHOW_VERSION, false, 0 },
	T_END,
};
static const struct tok t_cacl[] = {
	{ "counters", NULL, PH_CTL_CMD_CLEAR_ACCESS_LIST, false, 0 },
	T_END,
};
static const struct tok t_cinsp[] = {
	{ "pptp", NULL, PH_CTL_CMD_CLEAR_SERVICE_POLICY, false, 0 },
	T_END,
};
static const struct tok t_csp[] = {
	{ "inspect", t_cinsp, 0, false, 0 },
	T_END,
};
static const struct tok t_clear[] = {
	{ "xlate", NULL, PH_CTL_CMD_CLEAR_XLATE, false, 0 },
	{ "conn", NULL, PH_CTL_CMD_CLEAR_CONN, false, 0 },
	{ "counters", NULL, PH_CTL_CMD_CLEAR_COUNTERS, false, 0 },
	{ "logging", NULL, PH_CTL_CMD_CLEAR_LOGGING, false, 0 },
	{ "access-list", t_cacl, 0, false, PH_CTL_CMD_CLEAR_ACCESS_LIST },
	{ "service-policy", t_csp, PH_CTL_CMD_CLEAR_SERVICE_POLICY, false, 0 },
	T_END,
};
static const struct tok t_debug[] = {
	{ "pptp", NULL, PH_CTL_CMD_DEBUG_PPTP, false, 0 },
	T_END,
};
static const struct tok t_nodebug[] = {
	{ "pptp", NULL, PH_CTL_CMD_NO_DEBUG_PPTP, false, 0 },
	T_END,
};
static const struct tok t_no[] = {
	{ "debug", t_nodebug, 0, false, 0 },
	T_END,
};
static const struct tok t_undebug[] = {
	{ "all", NULL, PH_CTL_CMD_UNDEBUG_ALL, false, 0 },
	T_END,
};
static const struct tok t_top[] = {
	{ "show", t_show, 0, false, 0 },
	{ "clear", t_clear, 0, false, 0 },
	{ "reload", NULL, PH_CTL_CMD_RELOAD, false, 0 },
	{ "debug", t_debug, 0, false, 0 },
	{ "no", t_no, 0, false, 0 },
	{ "undebug", t_undebug, 0, false, 0 },
	T_END,
};

/* --- errors ---------------------------------------------------------- */

static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

/* Does the command take an argument as its last word? */
static bool
last_arg(const struct ph_ctl_cmd_def *d)
{
	return d->argkind == PH_CTL_ARG_NAME || d->argkind == PH_CTL_ARG_PATH;
}

static const char *
arg_name(unsigned argkind)
{
	return argkind == PH_CTL_ARG_PATH ? "FILE" : "NAME";
}

/*
 * "conn, xlate, ... or end of command" for the tokens at this point;
 * with_name: a NAME may come here too (before the children).
 */
static void
expected(char *buf, size_t len, const struct tok *kids, unsigned cmd,
	 bool with_name)
{
	const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(cmd);
	size_t n = 0;

	buf[0] = '\0';
	for (const struct tok *t = kids; t != NULL && t->word; t++) {
		if (n > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, t->word, len);
		n++;
	}
	if (with_name) {
		strlcat(buf, n++ > 0 ? " or NAME" : "NAME", len);
		if (d == NULL)
			return;
	}
	if (d != NULL && last_arg(d)) {
		if (n++ > 0)
			strlcat(buf, ", ", len);
		strlcat(buf, arg_name(d->argkind), len);
	}
	if (d != NULL)
		strlcat(buf, n > 0 ? " or end of command" : "end of command",
			len);
}

/* The words before position i, for "incomplete command 'show x'". */
static void
prefix_text(char *buf, size_t len, const char *const *words, size_t i)
{
	buf[0] = '\0';
	for (size_t k = 0; k < i; k++) {
		if (k > 0)
			strlcat(buf, " ", len);
		strlcat(buf, words[k], len);
	}
}

/* --- matching -------------------------------------------------------- */

/*
 * Find `w` among kids: exact match first, then a unique prefix.  Returns
 * the token, or NULL with *nmatch = 0 (no match) or > 1 (ambiguous).
 */
static const struct tok *
match(const struct tok *kids, const char *w, size_t *nmatch)
{
	const struct tok *found = NULL;
	size_t wl = strlen(w);

	*nmatch = 0;
	if (kids == NULL || wl == 0)
		return NULL;
	for (const struct tok *t = kids; t->word; t++) {
		if (strcasecmp(t->word, w) == 0) {
			*nmatch = 1;
			return t;
		}
	}
	for (const struct tok *t = kids; t->word; t++) {
		if (strncasecmp(t->word, w, wl) == 0) {
			found = t;
			(*nmatch)++;
		}
	}
	return *nmatch == 1 ? found : NULL;
}

static int
ambiguous(char *err, size_t errlen, const struct tok *kids, const char *w)
{
	char list[256] = "";
	size_t wl = strlen(w);

	for (const struct tok *t = kids; t->word; t++) {
		if (strncasecmp(t->word, w, wl) != 0)
			continue;
		if (list[0])
			strlcat(list, ", ", sizeof(list));
		strlcat(list, t->word, sizeof(list));
	}
	return fail(err, errlen, PH_CTL_E_AMBIGUOUS,
		    "ERROR: %% Ambiguous command: '%s' could be %s", w, list);
}

static bool
valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= PH_CTL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_-.:+@#$", c)))
			return false;
	}
	return true;
}

/* Take words[i] (the last word) as the command's argument. */
static int
take_arg(const char *const *words, size_t i, size_t n, unsigned argkind,
	 struct ph_ctl_request *out, char *err, size_t errlen)
{
	const char *w = words[i];

	if (i + 1 < n)
		return fail(
			err, errlen, PH_CTL_E_INVALID,
			"ERROR: %% Invalid input detected at '%s' (word %zu): "
			"expected end of command after %s",
			words[i + 1], i + 2, arg_name(argkind));
	if (argkind == PH_CTL_ARG_NAME && !valid_name(w))
		return fail(err, errlen, PH_CTL_E_INVALID,
			    "ERROR: %% Invalid access-list name '%.80s': 1-%d "
			    "letters, digits or _-.:+@#$",
			    w, PH_CTL_NAME_MAX - 1);
	if (argkind == PH_CTL_ARG_PATH && w[0] != '/')
		return fail(
			err, errlen, PH_CTL_E_INVALID,
			"ERROR: %% Invalid file name '%.80s': the daemon needs "
			"an absolute path",
			w);
	strlcpy(out->arg, w, sizeof(out->arg));
	return PH_CTL_OK;
}

/*
 * At a token with name_cmd (`clear access-list`), take words[i] as the
 * ACL name when it names no child exactly and is not the last word, or
 * names no child at all.  Returns 1 when taken, 0 when not a name here,
 * or an error status (bad name) as a negative number.
 */
static int
take_mid_name(const struct tok *at, const struct tok *kids,
	      const char *const *words, size_t i, size_t n, size_t nmatch,
	      struct ph_ctl_request *out, char *err, size_t errlen)
{
	const char *w = words[i];
	bool exact = false;

	if (at == NULL || at->name_cmd == 0 || out->arg[0] != '\0')
		return 0;
	for (const struct tok *t = kids; t != NULL && t->word; t++)
		exact |= strcasecmp(t->word, w) == 0;
	if (exact || (nmatch > 0 && i + 1 == n))
		return 0;
	if (!valid_name(w))
		return -fail(err, errlen, PH_CTL_E_INVALID,
			     "ERROR: %% Invalid access-list name '%.80s': "
			     "1-%d letters, digits or _-.:+@#$",
			     w, PH_CTL_NAME_MAX - 1);
	strlcpy(out->arg, w, sizeof(out->arg));
	return 1;
}

/* Walk the tree over words[]; fills out->cmd / detail / arg. */
static int
walk(const char *const *words, size_t n, struct ph_ctl_request *out, char *err,
     size_t errlen)
{
	const struct tok *kids = t_top, *at = NULL;
	unsigned cmd = PH_CTL_CMD_NONE;
	char exp[512], pre[256];
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(cmd);
		const struct tok *t;
		size_t nm;

		t = match(kids, words[i], &nm);
		rc = take_mid_name(at, kids, words, i, n, nm, out, err, errlen);
		if (rc < 0)
			return -rc;
		if (rc > 0)
			continue;
		if (nm > 1)
			return ambiguous(err, errlen, kids, words[i]);
		if (t == NULL && d != NULL && last_arg(d)) {
			out->cmd = (uint16_t)cmd;
			return take_arg(words, i, n, d->argkind, out, err,
					errlen);
		}
		if (t == NULL) {
			expected(exp, sizeof(exp), kids, cmd,
				 at != NULL && at->name_cmd != 0 &&
					 out->arg[0] == '\0');
			return fail(
				err, errlen, PH_CTL_E_INVALID,
				"ERROR: %% Invalid input detected at '%.80s' "
				"(word %zu): expected %s",
				words[i], i + 1, exp);
		}
		cmd = t->cmd;
		out->detail |= t->detail;
		kids = t->next;
		at = t;
	}
	if (cmd == PH_CTL_CMD_NONE) {
		expected(exp, sizeof(exp), kids, cmd,
			 at != NULL && at->name_cmd != 0 &&
				 out->arg[0] == '\0');
		prefix_text(pre, sizeof(pre), words, n);
		return fail(err, errlen, PH_CTL_E_INCOMPLETE,
			    "ERROR: %% Incomplete command%s%s%s: expected %s",
			    n ? " '" : "", pre, n ? "'" : "", exp);
	}
	out->cmd = (uint16_t)cmd;
	return PH_CTL_OK;
}

int
ph_ctl_parse_words(const char *const *words, size_t n,
		   struct ph_ctl_request *out, char *err, size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (errlen > 0)
		err[0] = '\0';
	if (n > PH_CTL_WORDS_MAX)
		rc = fail(err, errlen, PH_CTL_E_INVALID,
			  "ERROR: %% Too many words (limit %d)",
			  PH_CTL_WORDS_MAX);
	else {
		rc = PH_CTL_OK;
		for (size_t i = 0; i < n && rc == PH_CTL_OK; i++)
			if (strlen(words[i]) >= PH_CTL_WORD_MAX)
				rc = fail(
					err, errlen, PH_CTL_E_INVALID,
					"ERROR: %% Word %zu is too long (limit "
					"%d bytes)",
					i + 1, PH_CTL_WORD_MAX - 1);
		if (rc == PH_CTL_OK)
			rc = walk(words, n, out, err, errlen);
	}
	if (rc != PH_CTL_OK) {
		out->cmd = PH_CTL_CMD_NONE;
		out->detail = false;
		out->arg[0] = '\0';
	}
	out->error = (uint16_t)rc;
	return rc;
}

int
ph_ctl_parse_text(const char *text, size_t len, struct ph_ctl_request *out,
		  char *err, size_t errlen)
{
	char buf[PH_CTL_REQ_MAX + 1];
	const char *words[PH_CTL_WORDS_MAX + 1];
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (len > PH_CTL_REQ_MAX) {
		out->error = PH_CTL_E_TOOBIG;
		return fail(err, errlen, PH_CTL_E_TOOBIG,
			    "ERROR: %% Request too large (%zu bytes, limit %d)",
			    len, PH_CTL_REQ_MAX);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f) {
			out->error = PH_CTL_E_INVALID;
			return fail(err, errlen, PH_CTL_E_INVALID,
				    "ERROR: %% Invalid character 0x%02x at "
				    "byte %zu: "
				    "commands are printable ASCII",
				    c, i + 1);
		}
		buf[i] = (c == '\t') ? ' ' : (char)c;
	}
	buf[len] = '\0';
	for (char *p = buf; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n > PH_CTL_WORDS_MAX)
			break;
		words[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	return ph_ctl_parse_words(words, n, out, err, errlen);
}

/* --- framing --------------------------------------------------------- */

int
ph_ctl_request_decode(const uint8_t *buf, size_t len,
		      struct ph_ctl_request *out, char *err, size_t errlen)
{
	struct ph_cur c;
	uint8_t *magic, *text, ver, flags;
	uint16_t rsvd;
	uint32_t tlen;
	bool json;

	memset(out, 0, sizeof(*out));
	out->error = PH_CTL_E_PROTO;
	if (errlen > 0)
		err[0] = '\0';
	ph_cur_init(&c, (uint8_t *)(uintptr_t)buf, len);
	/* every prefix is checked as soon as its bytes are there */
	if (ph_cur_ptr(&c, len < 4 ? len : 4, &magic) ||
	    memcmp(magic, PH_CTL_REQ_MAGIC, len < 4 ? len : 4) != 0)
		return -fail(err, errlen, EBADMSG,
			     "ERROR: %% Protocol error: "
			     "bad magic (not a pinholectl request)");
	if (len < 4 || ph_cur_u8(&c, &ver))
		return 0;
	if (ver != PH_CTL_VERSION)
		return -fail(err, errlen, EBADMSG,
			     "ERROR: %% Protocol error: "
			     "version %u, this daemon speaks %d",
			     ver, PH_CTL_VERSION);
	if (ph_cur_u8(&c, &flags))
		return 0;
	if (flags & ~PH_CTL_F_JSON)
		return -fail(err, errlen, EBADMSG,
			     "ERROR: %% Protocol error: "
			     "unknown flags 0x%02x",
			     flags);
	if (ph_cur_u16(&c, &rsvd))
		return 0;
	if (rsvd != 0)
		return -fail(err, errlen, EBADMSG,
			     "ERROR: %% Protocol error: "
			     "reserved field is 0x%04x, not 0",
			     rsvd);
	if (ph_cur_u32(&c, &tlen))
		return 0;
	if (tlen == 0 || tlen > PH_CTL_REQ_MAX)
		return -fail(err, errlen, EMSGSIZE,
			     "ERROR: %% Request %s "
			     "(%u bytes, limit %d)",
			     tlen ? "too large" : "empty", tlen,
			     PH_CTL_REQ_MAX);
	if (ph_cur_ptr(&c, tlen, &text))
		return 0;
	json = flags & PH_CTL_F_JSON;
	ph_ctl_parse_text((const char *)text, tlen, out, err, errlen);
	out->json = json;
	return (int)(PH_CTL_HDR_LEN + tlen);
}

int
ph_ctl_request_text(const struct ph_ctl_request *req, char *buf, size_t len)
{
	const struct ph_ctl_cmd_def *d = ph_ctl_cmd_def(req->cmd);
	const char *last;

	if (d == NULL)
		return snprintf(buf, len, "%s", "");
	last = strrchr(d->words, ' ');
	if (d->argkind == PH_CTL_ARG_NAME_MID && req->arg[0] && last != NULL)
		return snprintf(buf, len, "%.*s %s%s", (int)(last - d->words),
				d->words, req->arg, last);
	return snprintf(buf, len, "%s%s%s%s", d->words,
			req->detail ? " detail" : "", req->arg[0] ? " " : "",
			req->arg);
}

int
ph_ctl_request_encode(const struct ph_ctl_request *req, uint8_t *buf,
		      size_t len)
{
	char text[PH_CTL_REQ_MAX + 1];
	int n;

	if (ph_ctl_cmd_def(req->cmd) == NULL)
		return -EINVAL;
	n = ph_ctl_request_text(req, text, sizeof(text));
	if (n <= 0 || n > PH_CTL_REQ_MAX)
		return -EINVAL;
	if (len < PH_CTL_HDR_LEN + (size_t)n)
		return -ENOSPC;
	memcpy(buf, PH_CTL_REQ_MAGIC, 4);
	buf[4] = PH_CTL_VERSION;
	buf[5] = req->json ? PH_CTL_F_JSON : 0;
	ph_put_be16(buf + 6, 0);
	ph_put_be32(buf + 8, (uint32_t)n);
	memcpy(buf + PH_CTL_HDR_LEN, text, (size_t)n);
	return PH_CTL_HDR_LEN + n;
}

void
ph_ctl_chunk_header(uint8_t hdr[PH_CTL_HDR_LEN], uint8_t kind, uint16_t status,
		    uint32_t len)
{
	memcpy(hdr, PH_CTL_RSP_MAGIC, 4);
	hdr[4] = kind;
	hdr[5] = 0;
	ph_put_be16(hdr + 6, status);
	ph_put_be32(hdr + 8, len);
}

int
ph_ctl_chunk_decode(const uint8_t *buf, size_t len, struct ph_ctl_chunk *out)
{
	struct ph_cur c;
	uint8_t *magic, *data, kind, rsvd;
	uint16_t status;
	uint32_t plen;
	size_t m = len < 4 ? len : 4;

	memset(out, 0, sizeof(*out));
	ph_cur_init(&c, (uint8_t *)(uintptr_t)buf, len);
	if (ph_cur_ptr(&c, m, &magic) ||
	    memcmp(magic, PH_CTL_RSP_MAGIC, m) != 0)
		return -EBADMSG;
	if (m < 4 || ph_cur_u8(&c, &kind))
		return 0;
	if (kind != PH_CTL_CHUNK_DATA && kind != PH_CTL_CHUNK_END)
		return -EBADMSG;
	if (ph_cur_u8(&c, &rsvd))
		return 0;
	if (rsvd != 0)
		return -EBADMSG;
	if (ph_cur_u16(&c, &status) || ph_cur_u32(&c, &plen))
		return 0;
	if (kind == PH_CTL_CHUNK_DATA && status != 0)
		return -EBADMSG;
	if (plen > PH_CTL_CHUNK_MAX)
		return -EMSGSIZE;
	if (ph_cur_ptr(&c, plen, &data))
		return 0;
	out->kind = kind;
	out->status = status;
	out->data = data;
	out->len = plen;
	return (int)(PH_CTL_HDR_LEN + plen);
}

int
ph_ctl_commands_help(char *buf, size_t len)
{
	size_t pos = 0;
	int n;

	if (len > 0)
		buf[0] = '\0';
	for (unsigned i = 1; i < PH_CTL_CMD_MAX; i++) {
		const struct ph_ctl_cmd_def *d = &cmd_defs[i];
		char words[64];
		const char *last = strrchr(d->words, ' ');
		bool detail =
			i == PH_CTL_CMD_SHOW_CONN || i == PH_CTL_CMD_SHOW_XLATE;

		if (d->argkind == PH_CTL_ARG_NAME_MID && last != NULL)
			snprintf(words, sizeof(words), "%.*s [NAME]%s",
				 (int)(last - d->words), d->words, last);
		else if (i == PH_CTL_CMD_CLEAR_SERVICE_POLICY)
			snprintf(words, sizeof(words), "%s [inspect pptp]",
				 d->words);
		else
			snprintf(words, sizeof(words), "%s%s%s%s", d->words,
				 detail ? " [detail]" : "",
				 d->argkind != PH_CTL_ARG_NONE ? " [" : "",
				 d->argkind != PH_CTL_ARG_NONE
					 ? (d->argkind == PH_CTL_ARG_NAME
						    ? "NAME]"
						    : "FILE]")
					 : "");
		n = snprintf(pos < len ? buf + pos : NULL,
			     pos < len ? len - pos : 0, "  %s\n        %s\n",
			     words, d->help);
		if (n < 0)
			return n;
		pos += (size_t)n;
	}
	return (int)pos;
}
