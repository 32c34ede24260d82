/*
 * test_config_lexer.c - words with line:col (config/lexer.c) and the line
 * rules of config/parser.c: prompts, comments, write-terminal framing and
 * continuation lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "test_config.h"

static const struct {
	const char *line;
	size_t col0;
	int ntok; /* -1: error expected */
	const char *toks[6];
	uint32_t cols[6];
} lex_cases[] = {
	{ "nameif ethernet0 outside security0",
	  0,
	  4,
	  { "nameif", "ethernet0", "outside", "security0" },
	  { 1, 8, 18, 26 } },
	{ "  \t access-list  a\tpermit ",
	  0,
	  3,
	  { "access-list", "a", "permit" },
	  { 5, 18, 20 } },
	{ "pixfirewall(config)#fixup protocol pptp",
	  20,
	  3,
	  { "fixup", "protocol", "pptp" },
	  { 21, 27, 36 } },
	{ "", 0, 0, { 0 }, { 0 } },
	{ "     ", 0, 0, { 0 }, { 0 } },
	{ "static (inside,outside) 1.2.3.4",
	  0,
	  3,
	  { "static", "(inside,outside)", "1.2.3.4" },
	  { 1, 8, 25 } },
	{ "host\x01x", 0, -1, { 0 }, { 0 } },
	{ "caf\xc3\xa9 ok", 0, 2, { "caf\xc3\xa9", "ok" }, { 1, 7 } },
};

START_TEST(test_lex_table)
{
	for (size_t i = 0; i < sizeof(lex_cases) / sizeof(*lex_cases); i++) {
		struct cfg_parser *p = calloc(1, sizeof(*p));
		const char *l = lex_cases[i].line;
		int n;

		ck_assert_ptr_nonnull(p);
		p->diags = diags_new();
		p->file = "t";
		n = cfg_lex_line(p, l, strlen(l), 7, lex_cases[i].col0);
		ck_assert_msg(n == lex_cases[i].ntok, "case %zu: %d words", i,
			      n);
		if (n < 0) {
			ck_assert_uint_eq(ph_diags_errors(p->diags), 1);
		}
		for (int k = 0; k < n; k++) {
			ck_assert_str_eq(p->tok[k].s, lex_cases[i].toks[k]);
			ck_assert_uint_eq(p->tok[k].pos.col,
					  lex_cases[i].cols[k]);
			ck_assert_uint_eq(p->tok[k].pos.line, 7);
		}
		ph_diags_free(p->diags);
		free(p);
	}
}
END_TEST

START_TEST(test_lex_nul_and_limit)
{
	struct cfg_parser *p = calloc(1, sizeof(*p));
	char line[PH_CFG_MAX_TOKENS * 2 + 4];
	const struct ph_diag *g;

	p->diags = diags_new();
	p->file = "t";
	ck_assert_int_eq(cfg_lex_line(p, "ab\0cd", 5, 1, 0), -1);
	g = ph_diags_get(p->diags, 0);
	ck_assert_str_eq(g->msg, "NUL byte in rule text");
	ck_assert_uint_eq(g->col, 3);
	/* more words than a command may have */
	for (size_t i = 0; i < sizeof(line) - 1; i += 2) {
		line[i] = 'x';
		line[i + 1] = ' ';
	}
	line[sizeof(line) - 1] = '\0';
	p->ntok = 0;
	ck_assert_int_eq(cfg_lex_line(p, line, strlen(line), 2, 0), -1);
	ck_assert_str_eq(ph_diags_get(p->diags, 1)->msg,
			 "too many words in one command (limit 128)");
	ph_diags_free(p->diags);
	free(p);
}
END_TEST

/* Line-level rules, through the public API: text -> first error. */
static const struct {
	const char *text;
	uint32_t line, col; /* first error; 0 = must load */
	const char *msg;
} line_cases[] = {
	/* prompts, comments and framing are skipped */
	{ "pixfirewall(config)#fixup protocol pptp 1723\n", 0, 0, NULL },
	{ "PIX#\nhostname x\n", 0, 0, NULL },
	{ "pixfirewall(config-pmap-c)#hostname x\n", 0, 0, NULL },
	{ "! comment\n: Saved\n:\nBuilding configuration...\n"
	  "Cryptochecksum:abc\n: end\n[OK]\n",
	  0, 0, NULL },
	{ "pixfirewall(config)#write terminal Building configuration... "
	  ": Saved :\n",
	  0, 0, NULL },
	{ "hostname a\r\nhostname b\r\n", 0, 0, NULL },
	{ "hostname a", 0, 0, NULL },
	{ "", 0, 0, NULL },
	{ "\n\n\n", 0, 0, NULL },
	/* continuation: joined, also across blank lines */
	{ "static (inside,outside) 192.168.201.5 10.48.66.106\n"
	  "netmask 255.255.255.255 0 0\n",
	  0, 0, NULL },
	{ "timeout conn 1:00:00 half-closed 0:10:00\n\n"
	  "h323 0:05:00 sip 0:30:00\n",
	  0, 0, NULL },
	{ "access-list a permit ip\nany\nany\naccess-group a in interface "
	  "outside\n",
	  0, 0, NULL },
	/* a comment ends the command: no continuation after it */
	{ "hostname a\n! x\nnetmask 1\n", 3, 1, "unknown command 'netmask'" },
	/* a complete command does not take a continuation */
	{ "hostname a\nhots 1.2.3.4\n", 2, 1, "unknown command 'hots'" },
	/* the error is placed on the continuation line's word */
	{ "access-list a permit tcp any\nany eq 99999\n", 2, 8,
	  "port 99999 out of range (0-65535)" },
	{ "FROB x\n", 1, 1, "unknown command 'FROB'" },
	{ "no\n", 1, 3, "missing command after 'no'" },
	{ "hostname a\x00"
	  "b\n",
	  1, 11, "NUL byte in rule text" },
	{ "x(config)#\nfoo\n", 2, 1, "unknown command 'foo'" },
	/* keywords are case-insensitive */
	{ "HOSTNAME a\nNameIf ethernet0 outside SECURITY0\n", 0, 0, NULL },
};

START_TEST(test_line_rules)
{
	for (size_t i = 0; i < sizeof(line_cases) / sizeof(*line_cases); i++) {
		struct ph_policy *pol = NULL;
		struct ph_diags *d = NULL;
		struct ph_parse_opts o = { .filename = "t.conf" };
		const char *t = line_cases[i].text;
		size_t len = strlen(t);
		const struct ph_diag *g;
		int rc;

		if (strstr(t, "hostname a") == t && line_cases[i].msg &&
		    strstr(line_cases[i].msg, "NUL"))
			len = strlen(t) + 3; /* embedded NUL */
		rc = ph_policy_parse(t, len, &o, &pol, &d);
		g = tc_first(d, PH_DIAG_ERROR);
		if (line_cases[i].line == 0) {
			ck_assert_msg(rc == 0, "case %zu: %s", i,
				      g ? g->msg : "?");
			ck_assert_ptr_nonnull(pol);
		} else {
			ck_assert_msg(rc == -EINVAL, "case %zu loaded", i);
			ck_assert_ptr_null(pol);
			ck_assert_ptr_nonnull(g);
			ck_assert_str_eq(g->msg, line_cases[i].msg);
			ck_assert_uint_eq(g->line, line_cases[i].line);
			ck_assert_uint_eq(g->col, line_cases[i].col);
		}
		ph_policy_free(pol);
		ph_diags_free(d);
	}
}
END_TEST

START_TEST(test_diag_format)
{
	struct ph_diag g = { "f.conf",	    3,		 5,
			     PH_DIAG_ERROR, "bad thing", "\tab cd" };
	char buf[128];
	int n = ph_diag_format(&g, buf, sizeof(buf));

	ck_assert_str_eq(buf,
			 "f.conf:3:5: error: bad thing\n\tab cd\n\t   ^\n");
	ck_assert_int_eq(n, (int)strlen(buf));
	/* truncation works like snprintf */
	ck_assert_int_eq(ph_diag_format(&g, buf, 8), n);
	ck_assert_str_eq(buf, "f.conf:");
	g.line = 0;
	g.severity = PH_DIAG_WARNING;
	ph_diag_format(&g, buf, sizeof(buf));
	ck_assert_str_eq(buf, "f.conf: warning: bad thing\n");
	ck_assert_str_eq(ph_diag_severity_name(PH_DIAG_NOTE), "note");
	ck_assert_str_eq(ph_diag_severity_name(9), "?");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_lexer");
	TCase *tc = tcase_create("lexer");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_lex_table);
	tcase_add_test(tc, test_lex_nul_and_limit);
	tcase_add_test(tc, test_line_rules);
	tcase_add_test(tc, test_diag_format);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
