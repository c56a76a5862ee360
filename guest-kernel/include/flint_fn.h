/*
 * Writing a function for `flint serve` (docs/SERVE.md): initialise, call
 * flint_ready(), then fn_read_request() once, answer with fn_respond()
 * (or write a CGI response yourself: "Status: 200 OK", headers, a blank
 * line, the body) and return from main.  Status 0 means the response
 * stands; anything else makes the server answer 502.
 *
 * The request comes from the console's input as HTTP/1.1 (request line,
 * headers, a Content-Length body; the server has de-chunked it).
 */
#ifndef FLINT_FN_H
#define FLINT_FN_H

#include <stddef.h>

#define FN_HEADERS_MAX 64
#define FN_HEAD_MAX 65536      /* request line and headers together */

struct fn_header {
	const char *name, *value;
};

struct fn_request {
	const char *method;    /* "GET" */
	const char *target;    /* "/path?query", as sent */
	const char *path;      /* "/path" */
	const char *query;     /* "query" without '?', "" when none */
	struct fn_header headers[FN_HEADERS_MAX];
	unsigned nheaders;
	const char *body;      /* body_len bytes, NUL after them */
	size_t body_len;
};

/* Reads the one request: 0, or -1 when it is not HTTP/1.1 as described
 * (the caller answers 400 with fn_respond).  From then on stdout is
 * written out when its buffer fills and at exit, not at each line: the
 * server reads the answer whole after the exit. */
int fn_read_request(struct fn_request *r);

/* The value of header name (any case), or NULL. */
const char *fn_header_value(const struct fn_request *r, const char *name);

/* Writes a whole CGI response: Status, Content-Type (NULL: text/plain),
 * Content-Length and the body. */
void fn_respond(int status, const char *content_type, const void *body, size_t len);

/* The response in pieces: fn_start() then fn_write() as often as needed. */
void fn_start(int status, const char *content_type);
void fn_write(const void *data, size_t len);

#endif
