/*
 * daemon/check.h - `pinholed -t`: check a rule file, optionally print its
 * canonical form.
 */
#ifndef PH_DAEMON_CHECK_H
#define PH_DAEMON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <pinhole/policy.h>

/**
 * Check the rule file at path ("-" = standard input): diagnostics go to
 * stderr, the canonical configuration to stdout when print is set.
 * Returns the exit status: 0 the file would load, 1 it would not (or it
 * cannot be read).
 */
int ph_check_file(const char *path, const struct ph_ifmap *map, size_t n_map,
		  bool print);

#endif /* PH_DAEMON_CHECK_H */
