/*
 * daemon/check.c - `pinholed -t [-p] -f FILE`.
 *
 * Reads the whole file (bounded), runs ph_policy_parse(), prints every
 * diagnostic gcc-style on stderr and, with -p, the canonical configuration
 * on stdout.  A file with errors prints no configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pinhole/policy.h>

#include "daemon/check.h"

/* One byte more than the library accepts, so it reports the size. */
#define READ_MAX ((16u << 20) + 1)

static int
read_all(FILE *f, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap), *nb;

	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		size_t r;

		if (n == cap) {
			if (cap >= READ_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*len = n;
	return 0;
}

static void
print_diags(const struct ph_diags *d)
{
	for (size_t i = 0; i < ph_diags_count(d); i++) {
		const struct ph_diag *g = ph_diags_get(d, i);
		int n = ph_diag_format(g, NULL, 0);
		char *buf;

		if (n < 0)
			continue;
		buf = malloc((size_t)n + 1);
		if (buf == NULL)
			continue;
		ph_diag_format(g, buf, (size_t)n + 1);
		fputs(buf, stderr);
		free(buf);
	}
}

int
ph_check_file(const char *path, const struct ph_ifmap *map, size_t n_map,
	      bool print)
{
	struct ph_parse_opts opts = {
		.filename = path, .ifmap = map, .n_ifmap = n_map
	};
	struct ph_policy *pol = NULL;
	struct ph_diags *d = NULL;
	char *text = NULL, *out;
	size_t len = 0;
	FILE *f;
	int rc;

	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "pinholed: %s: %s\n", path, strerror(errno));
		return 1;
	}
	rc = read_all(f, &text, &len);
	if (f != stdin)
		fclose(f);
	if (rc < 0) {
		fprintf(stderr, "pinholed: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	rc = ph_policy_parse(text, len, &opts, &pol, &d);
	free(text);
	if (rc == -ENOMEM) {
		fprintf(stderr, "pinholed: %s: out of memory\n", path);
		return 1;
	}
	print_diags(d);
	if (rc < 0) {
		size_t e = ph_diags_errors(d);

		fprintf(stderr,
			"pinholed: %s: %zu error%s, configuration not "
			"loaded\n",
			path, e, e == 1 ? "" : "s");
		ph_diags_free(d);
		return 1;
	}
	ph_diags_free(d);
	if (print) {
		out = ph_policy_print(pol);
		if (out == NULL) {
			fprintf(stderr, "pinholed: out of memory\n");
			ph_policy_free(pol);
			return 1;
		}
		fputs(out, stdout);
		free(out);
	}
	ph_policy_free(pol);
	return 0;
}
