/*
 * `flint ctl SOCKET COMMAND [ARGS-JSON]`: one QMP command to a running
 * flint (or any QMP server), its "return" value printed as JSON.  Exit
 * status 0 on a return, 1 on an error answer or a failed connection,
 * 2 for bad usage.
 */
#include "ctl.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "exit_codes.h"
#include "qmp.h"

/* A server that stops answering must not hang a script for ever. */
#define CTL_TIMEOUT_S 10

struct conn {
	int fd;
	char buf[QMP_MESSAGE_MAX];
	size_t len;
};

/* The next line from the server as JSON (NULL with a message on failure). */
static json_t *next_message(struct conn *c, const char *sock)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - c->buf) + 1;
			json_error_t e;
			json_t *j = json_loadb(c->buf, line, 0, &e);

			memmove(c->buf, c->buf + line, c->len - line);
			c->len -= line;
			if (!j)
				fprintf(stderr, "flint ctl: %s: not JSON from the server: %s\n", sock, e.text);
			return j;
		}
		if (c->len == sizeof(c->buf)) {
			fprintf(stderr, "flint ctl: %s: a line over %zu bytes from the server\n", sock,
				sizeof(c->buf));
			return NULL;
		}
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "flint ctl: %s: %s\n", sock,
				n == 0 ? "the server closed the connection" :
				errno == EAGAIN ? "no answer within 10 s" : strerror(errno));
			return NULL;
		}
		c->len += (size_t)n;
	}
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends one command and waits for its answer, skipping events. */
static json_t *execute(struct conn *c, const char *sock, const char *cmd, json_t *args)
{
	json_t *req = json_pack("{s:s}", "execute", cmd);
	char *text;
	int rc;

	if (args)
		json_object_set(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = text ? send_all(c->fd, text, strlen(text)) : -1;
	free(text);
	if (rc < 0) {
		fprintf(stderr, "flint ctl: %s: sending: %s\n", sock, strerror(errno));
		return NULL;
	}
	for (;;) {
		json_t *m = next_message(c, sock);

		if (!m || json_object_get(m, "return") || json_object_get(m, "error"))
			return m;
		json_decref(m); /* an event */
	}
}

/* 0 if the answer was a return (printed), 1 if an error (said). */
static int report(json_t *answer, const char *cmd)
{
	json_t *ret = json_object_get(answer, "return"), *e = json_object_get(answer, "error");

	if (ret) {
		char *text = json_dumps(ret, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

		if (text)
			puts(text);
		free(text);
		return 0;
	}
	const char *cls = json_string_value(json_object_get(e, "class"));
	const char *desc = json_string_value(json_object_get(e, "desc"));

	fprintf(stderr, "flint ctl: %s: %s: %s\n", cmd, cls ? cls : "error", desc ? desc : "(no description)");
	return 1;
}

int ctl_main(int argc, char **argv)
{
	static struct conn c;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = CTL_TIMEOUT_S };
	json_t *args = NULL, *m;
	json_error_t e;
	int status = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "Usage: flint ctl SOCKET COMMAND [ARGS-JSON]\n"
			"  e.g. flint ctl vm.sock query-status\nTry 'flint --help'.\n");
		return FLINT_EXIT_USAGE;
	}
	if (strlen(argv[0]) >= sizeof(a.sun_path)) {
		fprintf(stderr, "flint ctl: %s: longer than %zu bytes (a Unix socket path limit)\n",
			argv[0], sizeof(a.sun_path) - 1);
		return FLINT_EXIT_USAGE;
	}
	if (argc == 3) {
		args = json_loads(argv[2], 0, &e);
		if (!args || !json_is_object(args)) {
			fprintf(stderr, "flint ctl: ARGS-JSON must be a JSON object (e.g. '{\"enable\": []}')%s%s\n",
				args ? "" : ": ", args ? "" : e.text);
			json_decref(args);
			return FLINT_EXIT_USAGE;
		}
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[0]);
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(c.fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "flint ctl: %s: %s\n", argv[0], strerror(errno));
		goto out;
	}
	m = next_message(&c, argv[0]);
	if (!m || !json_object_get(m, "QMP")) {
		if (m)
			fprintf(stderr, "flint ctl: %s: no QMP greeting\n", argv[0]);
		json_decref(m);
		goto out;
	}
	json_decref(m);
	m = execute(&c, argv[0], "qmp_capabilities", NULL);
	if (!m || (json_object_get(m, "error") && report(m, "qmp_capabilities")))
		goto done;
	json_decref(m);
	m = execute(&c, argv[0], argv[1], args);
	if (m)
		status = report(m, argv[1]);
done:
	json_decref(m);
out:
	json_decref(args);
	if (c.fd >= 0)
		close(c.fd);
	return status;
}
