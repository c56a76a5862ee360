/*
 * A function's CGI response (RFC 3875 §6.2): header lines ("Status: 404
 * Not Found", "Content-Type: text/plain", ...), a blank line, the body.
 * The output is the guest's, so hostile: every length is checked and a
 * header that could split the HTTP response (CR, LF, NUL, a name that is
 * not a token) makes the whole response bad.
 */
#ifndef FLINT_SERVE_CGI_H
#define FLINT_SERVE_CGI_H

#include <stddef.h>

#define CGI_HEADERS_MAX 64
#define CGI_LINE_MAX 8192

struct cgi_response {
	int status;                  /* 200 when there is no Status: */
	char reason[64];             /* "" when none was given */
	struct { char *name, *value; } headers[CGI_HEADERS_MAX];  /* not Status */
	unsigned nheaders;
	const char *body;            /* into the parsed output */
	size_t body_len;
	char *store;                 /* the header block's copy: cgi_free */
};

/* 0, or -1 with why (the server answers 502). */
int cgi_parse(const char *out, size_t len, struct cgi_response *r, char *why, size_t whylen);
void cgi_free(struct cgi_response *r);

#endif
