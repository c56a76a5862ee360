/*
 * fn-echo, a function for `flint serve`: answers with the request's
 * method, path, query, this VM's generation id and the body, so a client
 * can see that every request met a VM of its own.
 */
#include <stdio.h>

#include <flint.h>
#include <flint_fn.h>

int main(void)
{
	struct fn_request r;
	char line[128];
	int n;

	flint_ready();
	if (fn_read_request(&r) < 0) {
		fn_respond(400, NULL, "bad request\n", 12);
		return 0;
	}
	fn_start(200, "text/plain");
	printf("method: %s\npath: %s\nquery: %s\n", r.method, r.path, r.query);
	n = snprintf(line, sizeof(line), "generation: %016llx\nbody-length: %zu\n\n",
		     (unsigned long long)flint_generation(), r.body_len);
	fn_write(line, (size_t)n);
	fn_write(r.body, r.body_len);
	return 0;
}
