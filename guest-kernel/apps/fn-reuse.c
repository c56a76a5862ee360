/*
 * fn-reuse: fn-echo's answer from one guest for every request, the floor
 * row of `make bench`'s serve section (tests/bench/reuse.c drives it): it
 * reads requests from its console one after another and answers each with
 * a CGI response framed by Content-Length, until its input ends.  Not a
 * function for flint serve, which gives every request a VM of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint.h>
#include <flint_fn.h>

int main(void)
{
	static char out[16384];
	struct fn_request r;

	while (fn_read_request(&r) == 0) {
		int n = snprintf(out, sizeof(out), "method: %s\npath: %s\nquery: %s\ngeneration: %016llx\n"
				 "body-length: %zu\n\n", r.method, r.path, r.query,
				 (unsigned long long)flint_generation(), r.body_len);
		size_t len = n < 0 ? 0 : (size_t)n, room = sizeof(out) - len;

		memcpy(out + len, r.body, r.body_len < room ? r.body_len : room);
		len += r.body_len < room ? r.body_len : room;
		fn_respond(200, "text/plain", out, len);
		free((void *)r.body);
	}
	return 0;
}
