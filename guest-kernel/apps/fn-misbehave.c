/*
 * A function that breaks the contract on purpose, for flint serve's tests:
 * argv[1] says how.  hang: reads the request and never answers; crash:
 * reads it and faults; spew: answers with output without end; fail:
 * answers, then exits 3; noready: never calls flint_ready(); garbage:
 * writes a response without the blank line; stderr: writes a line, a line
 * too long to log whole, one with a terminal escape and then 100 more to
 * stderr, and answers with its generation id.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flint.h>
#include <flint_fn.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	struct fn_request r;
	static char block[1024];

	if (!strcmp(how, "noready"))
		for (;;)
			sleep_ms(3600 * 1000);
	flint_ready();
	if (fn_read_request(&r) < 0)
		return 9;
	if (!strcmp(how, "hang"))
		for (;;)
			sleep_ms(3600 * 1000);
	if (!strcmp(how, "crash")) {
		volatile uintptr_t bad = 8;

		return *(volatile int *)bad; /* a page fault in ring 3 */
	}
	if (!strcmp(how, "spew")) {
		memset(block, 'x', sizeof(block));
		fn_start(200, NULL);
		for (;;)
			fn_write(block, sizeof(block));
	}
	if (!strcmp(how, "stderr")) {
		char body[64];
		int n;

		fprintf(stderr, "hello from the guest\n");
		memset(block, 'y', 300);
		fprintf(stderr, "long %.300s\n", block);
		fprintf(stderr, "escape \033[2J here\n");
		for (int i = 0; i < 100; i++)
			fprintf(stderr, "line %d\n", i);
		n = snprintf(body, sizeof(body), "generation: %016llx\n", (unsigned long long)flint_generation());
		fn_respond(200, NULL, body, (size_t)n);
		return 0;
	}
	if (!strcmp(how, "garbage")) {
		printf("no headers here at all\n");
		return 0;
	}
	fn_respond(200, NULL, "ok\n", 3);
	return !strcmp(how, "fail") ? 3 : 0;
}
