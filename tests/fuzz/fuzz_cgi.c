/*
 * libFuzzer harness for flint serve's CGI response parser (serve/cgi.c):
 * the input is a function's whole output.  Checks what the server relies
 * on: a parsed response has a status from 100 to 599, its body lies
 * inside the input, and no header name or value holds CR, LF or NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_response r;
	char why[128];

	if (cgi_parse((const char *)data, size, &r, why, sizeof(why)) < 0) {
		if (!why[0])
			abort();
		return 0;
	}
	if (r.status < 100 || r.status > 599 || r.body < (const char *)data ||
	    r.body + r.body_len != (const char *)data + size || r.nheaders > CGI_HEADERS_MAX)
		abort();
	for (unsigned i = 0; i < r.nheaders; i++)
		if (strpbrk(r.headers[i].name, "\r\n:") || strpbrk(r.headers[i].value, "\r\n"))
			abort();
	cgi_free(&r);
	return 0;
}
