/*
 * core/inspect.c - the list of inspectors (see inspect.h), in match order.
 */
#include <stddef.h>

#include "core/inspect.h"

const struct ph_inspect_ops *const ph_inspectors[] = {
	&ph_inspect_pptp,
	NULL,
};
