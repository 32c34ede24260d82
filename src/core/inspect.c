/*
 * core/inspect.c - the list of inspectors (see inspect.h).  The PPTP
 * inspector adds its ops here.
 */
#include <stddef.h>

#include "core/inspect.h"

const struct ph_inspect_ops *const ph_inspectors[] = {
	NULL,
};
