/*
 * The function contract's request reader and response writer (flint_fn.h).
 * The input is the server's re-serialised request, but it is still checked
 * as if hostile: a bad request returns -1, never reads past its buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flint_fn.h>

#include <unistd.h>

#include "lib/stdstreams.h"

static char head[FN_HEAD_MAX + 1];

/* Console input (the virtio-console with [console] device = virtio, as
 * flint serve runs functions, else the UART); 0 at its end. */
static size_t in_read(void *buf, size_t len)
{
	ssize_t n = read(0, buf, len);

	return n > 0 ? (size_t)n : 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return 0;
	return *a == *b;
}

const char *fn_header_value(const struct fn_request *r, const char *name)
{
	for (unsigned i = 0; i < r->nheaders; i++)
		if (same_name(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

/* Splits "line\r\n" at p (up to end): returns the next line or NULL. */
static char *cut_line(char *p, char *end)
{
	for (char *q = p; q + 1 < end; q++)
		if (q[0] == '\r' && q[1] == '\n') {
			q[0] = '\0';
			return q + 2;
		}
	return NULL;
}

int fn_read_request(struct fn_request *r)
{
	size_t used = 0, over = 0, want;
	char *end = NULL, *line, *next, *sp1, *sp2, *q;
	const char *cl;
	char *body;

	memset(r, 0, sizeof(*r));
	/* The answer is read whole once the function has exited. */
	stdout_buffer_fully();
	/* Byte by byte up to the blank line: nothing past it is taken. */
	while (!end) {
		if (used == FN_HEAD_MAX)
			return -1;
		if (!in_read(head + used, 1))
			return -1; /* the input ended inside the head */
		used++;
		if (used >= 4 && !memcmp(head + used - 4, "\r\n\r\n", 4))
			end = head + used - 2; /* keep the last line's CRLF */
	}
	head[used] = '\0';
	line = head;
	if (!(next = cut_line(line, end)))
		return -1;
	if (!(sp1 = strchr(line, ' ')) || !(sp2 = strchr(sp1 + 1, ' ')) || strcmp(sp2 + 1, "HTTP/1.1"))
		return -1;
	*sp1 = *sp2 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	{
		/* path and query are copies: the target stays whole */
		static char path[FN_HEAD_MAX];
		size_t tl = strlen(r->target);

		memcpy(path, r->target, tl + 1);
		q = strchr(path, '?');
		if (q)
			*q++ = '\0';
		r->path = path;
		r->query = q ? q : "";
	}
	for (line = next; line < end; line = next) {
		char *colon, *v;

		if (!(next = cut_line(line, end + 2)))
			return -1;
		if (!*line)
			break;
		if (r->nheaders == FN_HEADERS_MAX || !(colon = strchr(line, ':')))
			return -1;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		r->headers[r->nheaders].name = line;
		r->headers[r->nheaders++].value = v;
	}
	cl = fn_header_value(r, "Content-Length");
	want = 0;
	if (cl) {
		char *e;
		unsigned long long n = strtoull(cl, &e, 10);

		if (e == cl || *e || *cl == '-' || n > (1ull << 32))
			return -1;
		want = (size_t)n;
	}
	if (!(body = malloc(want + 1)))
		return -1;
	while (over < want) {
		size_t n = in_read(body + over, want - over);

		if (!n) {
			free(body);
			return -1; /* shorter than its Content-Length */
		}
		over += n;
	}
	body[want] = '\0';
	r->body = body;
	r->body_len = want;
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	default: return "Status";
	}
}

void fn_start(int status, const char *content_type)
{
	printf("Status: %d %s\r\nContent-Type: %s\r\n\r\n", status, reason(status),
	       content_type ? content_type : "text/plain");
}

void fn_write(const void *data, size_t len)
{
	if (write(1, data, len) < 0)
		return; /* stdout cannot fail in the guest; nothing to tell */
}

void fn_respond(int status, const char *content_type, const void *body, size_t len)
{
	printf("Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n", status, reason(status),
	       content_type ? content_type : "text/plain", len);
	fn_write(body, len);
}
