/*
 * tools/fuzz/fuzz_config.c - libFuzzer target for the config compiler.
 *
 * Any bytes go to ph_policy_parse() (include/pinhole/policy.h promises a
 * policy or diagnostics, never a crash or a leak).  Every diagnostic is
 * formatted with ph_diag_format(), so the caret printer is fuzzed too.
 *
 * When the text compiles, the canonical form must be a fixed point:
 * ph_policy_print() gives text A; A must parse with no error and print as
 * A again.  Anything else is a canonical-form bug and abort()s, so the
 * fuzzer reports it like a crash.
 *
 * Seeds: tools/fuzz/corpus/config/ (rules/ and tests/config/fail/).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
format_diags(const struct ph_diags *d)
{
	char line[256];
	size_t i, n = ph_diags_count(d);

	for (i = 0; i < n; i++) {
		const struct ph_diag *g = ph_diags_get(d, i);
		int r;

		if (g == NULL)
			abort();
		/* a short buffer exercises truncation */
		r = ph_diag_format(g, line, i % 2 ? sizeof(line) : 17);
		if (r < 0)
			abort();
	}
	if (ph_diags_get(d, n) != NULL)
		abort();
}

/* Parse text; returns the policy or NULL, and the number of errors. */
static struct ph_policy *
parse(const char *text, size_t len, size_t *errors)
{
	struct ph_parse_opts o = { .filename = "fuzz.conf", .seed = 7 };
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	int rc = ph_policy_parse(text, len, &o, &pol, &d);

	*errors = ph_diags_errors(d);
	format_diags(d);
	ph_diags_free(d);
	if ((rc == 0) != (pol != NULL))
		abort(); /* contract: a policy exactly when 0 */
	if (rc == 0 && *errors != 0)
		abort(); /* a policy with errors */
	if (rc == -EINVAL && *errors == 0)
		abort(); /* refused without saying why */
	return pol;
}

static void
check_canonical(const struct ph_policy *pol)
{
	struct ph_policy *again;
	char *a, *b;
	size_t errors;

	a = ph_policy_print(pol);
	if (a == NULL)
		return; /* ENOMEM */
	again = parse(a, strlen(a), &errors);
	if (again == NULL) {
		fprintf(stderr,
			"canonical text does not parse (%zu errors):\n"
			"%s\n",
			errors, a);
		abort();
	}
	b = ph_policy_print(again);
	if (b != NULL && strcmp(a, b) != 0) {
		fprintf(stderr,
			"canonical text is not a fixed point:\n"
			"--- first print\n%s--- second print\n%s",
			a, b);
		abort();
	}
	free(b);
	ph_policy_free(again);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_policy *pol;
	size_t errors;

	pol = parse((const char *)data, size, &errors);
	if (pol != NULL)
		check_canonical(pol);
	ph_policy_free(pol);
	return 0;
}
