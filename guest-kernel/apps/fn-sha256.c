/* fn-sha256, a function for `flint serve`: the SHA-256 of the request body
 * as 64 hex digits and a newline. */
#include <flint.h>
#include <flint_fn.h>

#include "lib/sha256.h"

int main(void)
{
	struct fn_request r;
	struct sha256 s;
	uint8_t d[32];
	char hex[66];

	sha256_init(&s); /* before ready: the snapshot holds the set-up */
	flint_ready();
	if (fn_read_request(&r) < 0) {
		fn_respond(400, NULL, "bad request\n", 12);
		return 0;
	}
	sha256_update(&s, r.body, r.body_len);
	sha256_final(&s, d);
	sha256_hex(d, hex);
	hex[64] = '\n';
	fn_respond(200, "text/plain", hex, 65);
	return 0;
}
