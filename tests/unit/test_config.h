/*
 * test_config.h - helpers shared by the config compiler's Check suites.
 */
#ifndef PH_TEST_CONFIG_H
#define PH_TEST_CONFIG_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

#include "config/model.h"

/* Parse text; returns the rc, fills pol/diags (caller frees). */
static inline int
tc_parse(const char *text, struct ph_policy **pol, struct ph_diags **d)
{
	struct ph_parse_opts o = { .filename = "t.conf" };

	return ph_policy_parse(text, strlen(text), &o, pol, d);
}

/* Parse text that must load; fails the test otherwise. */
static inline struct ph_policy *
tc_ok(const char *text)
{
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	int rc = tc_parse(text, &pol, &d);

	if (rc != 0) {
		const struct ph_diag *g = ph_diags_get(d, 0);

		for (size_t i = 0; i < ph_diags_count(d); i++)
			if (ph_diags_get(d, i)->severity == PH_DIAG_ERROR) {
				g = ph_diags_get(d, i);
				break;
			}
		ck_abort_msg("rejected: %s:%u:%u: %s\n--\n%s", g ? g->file : "",
			     g ? g->line : 0, g ? g->col : 0, g ? g->msg : "?",
			     text);
	}
	ck_assert_ptr_nonnull(pol);
	ph_diags_free(d);
	return pol;
}

/* The first diagnostic of a severity, or NULL. */
static inline const struct ph_diag *
tc_first(const struct ph_diags *d, uint8_t sev)
{
	for (size_t i = 0; i < ph_diags_count(d); i++)
		if (ph_diags_get(d, i)->severity == sev)
			return ph_diags_get(d, i);
	return NULL;
}

#endif /* PH_TEST_CONFIG_H */
