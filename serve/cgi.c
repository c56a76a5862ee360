/* CGI response parser (cgi.h). */
#include "cgi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int is_token(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s <= 32 || *s >= 127 || strchr("()<>@,;:\\\"/[]?={}", *s))
			return 0;
	return 1;
}

/* Values: visible bytes, spaces and tabs (obs-text allowed); no CR, LF, NUL. */
static int is_value(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 32 && *s != '\t') || *s == 127)
			return 0;
	return 1;
}

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

int cgi_parse(const char *out, size_t len, struct cgi_response *r, char *why, size_t whylen)
{
	size_t i = 0, hlen = 0;
	char *p, *line, *next;

	memset(r, 0, sizeof(*r));
	r->status = 200;
	/* The header block ends at the first empty line, "\r\n" or "\n". */
	for (;;) {
		const char *nl = memchr(out + i, '\n', len - i);
		size_t ll;

		if (!nl)
			return fail(why, whylen, "no blank line after the headers");
		ll = (size_t)(nl - (out + i));
		if (ll > CGI_LINE_MAX)
			return fail(why, whylen, "a header line over 8 KiB");
		if (ll == 0 || (ll == 1 && out[i] == '\r')) {
			hlen = i;
			i += ll + 1;
			break;
		}
		i += ll + 1;
	}
	r->body = out + i;
	r->body_len = len - i;
	if (!(r->store = malloc(hlen + 1)))
		return fail(why, whylen, "out of memory");
	memcpy(r->store, out, hlen);
	r->store[hlen] = '\0';
	if (memchr(r->store, '\0', hlen)) {
		cgi_free(r);
		return fail(why, whylen, "a NUL byte in the headers");
	}
	for (line = r->store; *line; line = next) {
		char *colon, *v, *e;

		p = strchr(line, '\n');
		*p = '\0';
		next = p + 1;
		if (p > line && p[-1] == '\r')
			p[-1] = '\0';
		if (!(colon = strchr(line, ':'))) {
			cgi_free(r);
			return fail(why, whylen, "a header line without ':'");
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!is_token(line) || !is_value(v)) {
			cgi_free(r);
			return fail(why, whylen, "a header name or value with forbidden bytes");
		}
		if (!strcasecmp(line, "Status")) {
			char *end;
			long code = strtol(v, &end, 10);

			if (end != v + 3 || code < 100 || code > 599 || (*end && *end != ' ')) {
				cgi_free(r);
				return fail(why, whylen, "Status: is not a three-digit code from 100 to 599");
			}
			r->status = (int)code;
			snprintf(r->reason, sizeof(r->reason), "%s", *end ? end + 1 : "");
			continue;
		}
		if (r->nheaders == CGI_HEADERS_MAX) {
			cgi_free(r);
			return fail(why, whylen, "more than 64 headers");
		}
		r->headers[r->nheaders].name = line;
		r->headers[r->nheaders++].value = v;
	}
	return 0;
}

void cgi_free(struct cgi_response *r)
{
	free(r->store);
	r->store = NULL;
	r->nheaders = 0;
}
