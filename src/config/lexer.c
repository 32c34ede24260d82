/*
 * config/lexer.c - split one physical line of rule text into words.
 *
 * PIX commands are words separated by blanks; there is no quoting.  Each
 * word keeps its line and (1-based byte) column so that every diagnostic
 * can point at it.  Words are copied into the parser's token buffer, which
 * is sized for the longest command (PH_CFG_MAX_LINE bytes times
 * PH_CFG_MAX_CONT + 1 lines), so lexing never allocates.
 *
 * Rejected bytes: NUL and ASCII control characters other than tab.  Bytes
 * >= 0x80 are kept as they are (remarks, descriptions).
 */
#include <string.h>

#include "config/cfg.h"

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
cfg_lex_line(struct cfg_parser *p, const char *s, size_t len, uint32_t lineno,
	     size_t col0)
{
	size_t i = col0;
	int added = 0;

	for (size_t k = col0; k < len; k++) {
		unsigned char c = (unsigned char)s[k];

		if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f) {
			struct cfg_pos pos = { lineno, (uint32_t)k + 1 };

			if (c == '\0')
				cfg_diag(p, PH_DIAG_ERROR, pos,
					 "NUL byte in rule text");
			else
				cfg_diag(
					p, PH_DIAG_ERROR, pos,
					"control character 0x%02x in rule text",
					c);
			return -1;
		}
	}
	while (i < len) {
		size_t start;
		struct cfg_tok *t;

		while (i < len && is_blank(s[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !is_blank(s[i]))
			i++;
		if (p->ntok >= PH_CFG_MAX_TOKENS) {
			struct cfg_pos pos = { lineno, (uint32_t)start + 1 };

			cfg_diag(p, PH_DIAG_ERROR, pos,
				 "too many words in one command (limit %u)",
				 PH_CFG_MAX_TOKENS);
			return -1;
		}
		if (p->tb_len + (i - start) + 1 > sizeof(p->tokbuf)) {
			struct cfg_pos pos = { lineno, (uint32_t)start + 1 };

			cfg_diag(p, PH_DIAG_ERROR, pos, "command too long");
			return -1;
		}
		t = &p->tok[p->ntok++];
		t->s = p->tokbuf + p->tb_len;
		memcpy(t->s, s + start, i - start);
		t->s[i - start] = '\0';
		p->tb_len += i - start + 1;
		t->pos.line = lineno;
		t->pos.col = (uint32_t)start + 1;
		added++;
	}
	return added;
}
