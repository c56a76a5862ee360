/* A minimal QMP client for flint-oci (qmp_client.h). */
#include "qmp_client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

/* The next message that is not an event; NULL on error. */
static json_t *next(struct conn *c, char *err, size_t errlen)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - c->buf) + 1;
			json_t *j = json_loadb(c->buf, line, 0, NULL);

			memmove(c->buf, c->buf + line, c->len - line);
			c->len -= line;
			if (!j) {
				snprintf(err, errlen, "the VM's control socket sent something other than JSON");
				return NULL;
			}
			if (json_object_get(j, "event")) {
				json_decref(j);
				continue;
			}
			return j;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(err, errlen, "the VM's control socket sent a line too long");
			return NULL;
		}
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "the VM's control socket %s",
				 n == 0 ? "closed (the VM has stopped)" : "did not answer within 10 s");
			return NULL;
		}
		c->len += (size_t)n;
	}
}

static json_t *execute(struct conn *c, const char *cmd, char *err, size_t errlen)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "{\"execute\":\"%s\"}\n", cmd);

	if (write(c->fd, line, (size_t)n) != n) {
		snprintf(err, errlen, "writing to the VM's control socket: %s", strerror(errno));
		return NULL;
	}
	return next(c, err, errlen);
}

int qmp_command(const char *sock, const char *cmd, char *status, size_t status_len, char *err,
		size_t errlen)
{
	static struct conn c;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	json_t *j = NULL;
	int rc = -1;

	c.len = 0;
	if (strlen(sock) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a socket", sock);
		return -1;
	}
	strcpy(a.sun_path, sock);
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(c.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(c.fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "the VM's control socket: %s", strerror(errno));
		goto out;
	}
	if (!(j = next(&c, err, errlen)))
		goto out;
	json_decref(j);
	if (!(j = execute(&c, "qmp_capabilities", err, errlen)))
		goto out;
	json_decref(j);
	if (!(j = execute(&c, cmd, err, errlen)))
		goto out;
	if (json_object_get(j, "error")) {
		const char *d = json_string_value(json_object_get(json_object_get(j, "error"), "desc"));

		snprintf(err, errlen, "the VM refused %s: %s", cmd, d ? d : "(no reason given)");
		goto out;
	}
	if (status) {
		const char *s = json_string_value(json_object_get(json_object_get(j, "return"), "status"));

		snprintf(status, status_len, "%s", s ? s : "");
	}
	rc = 0;
out:
	json_decref(j);
	if (c.fd >= 0)
		close(c.fd);
	return rc;
}
