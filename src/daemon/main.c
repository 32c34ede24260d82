/*
 * daemon/main.c - pinholed entry point (placeholder until the config
 * checker lands).
 */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "pinholed: not built yet\n");
	return 1;
}
