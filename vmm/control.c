/* The control socket and its clients; the protocol is vmm/qmp.c. */
#include "control.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "path_check.h"
#include "sandbox.h"

_Static_assert(CONTROL_MAX_CLIENTS + 1 <= SANDBOX_FD_HEADROOM,
	       "the jail's RLIMIT_NOFILE leaves no room for the control clients");

/* One read's worth; a message may take several. */
#define READ_CHUNK 16384
/* Room for descriptors passed with one message: getfd takes one, the
 * rest are closed (a full control buffer would be truncated and lost). */
#define CONTROL_FDS_PER_MSG 4
/* Clients (and one refused), a descriptor waiting for getfd per client,
 * the named ones, a message's worth in passing, a snapshot file. */
_Static_assert(2 * CONTROL_MAX_CLIENTS + 1 + QMP_FDS_MAX + CONTROL_FDS_PER_MSG + 1 <= SANDBOX_FD_HEADROOM,
	       "the jail's RLIMIT_NOFILE leaves no room for the descriptors clients pass");

struct client {
	struct control *ctl;
	int fd;
	uint32_t watching;          /* EPOLLIN, and EPOLLOUT while output is stuck */
	struct qmp_session *s;
};

struct control {
	struct event_loop *el;
	struct qmp_server srv;
	int listen_fd;
	bool listening;             /* in the event loop (not while out of descriptors) */
	bool closing;
	int janitor_fd;             /* write end: the helper removes the path at its EOF */
	struct client *clients[CONTROL_MAX_CLIENTS];
};

static void on_client(void *ctx, uint32_t events);
static void on_listen(void *ctx, uint32_t events);

static void drop(struct client *cl, const char *why)
{
	struct control *c = cl->ctl;

	(void)why; /* a control client's mistakes are its own: no log line per client */
	ev_del(c->el, cl->fd);
	close(cl->fd);
	qmp_session_free(cl->s);
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	free(cl);
	/* A descriptor is free again: accept once more if we had stopped. */
	if (!c->listening && !c->closing && ev_add(c->el, c->listen_fd, EPOLLIN, on_listen, c) == 0)
		c->listening = true;
}

static int watch(struct client *cl, uint32_t events)
{
	if (cl->watching == events)
		return 0;
	/* eventloop.h has no "modify": leave and join again. */
	ev_del(cl->ctl->el, cl->fd);
	cl->watching = 0;
	if (ev_add(cl->ctl->el, cl->fd, events, on_client, cl) < 0)
		return -1;
	cl->watching = events;
	return 0;
}

/* Sends what the socket takes now.  Returns -1 once the client is gone. */
static int flush_client(struct client *cl)
{
	size_t len;
	const char *p = qmp_session_output(cl->s, &len);

	while (len > 0) {
		/* MSG_NOSIGNAL: a client that went away must not SIGPIPE flint. */
		ssize_t n = send(cl->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			drop(cl, "write failed");
			return -1;
		}
		qmp_session_consume(cl->s, (size_t)n);
		p = qmp_session_output(cl->s, &len);
	}
	if (len == 0 && cl->s->closing) {
		drop(cl, cl->s->closing);
		return -1;
	}
	/* While output is stuck, go on reading: a client that sends without
	 * reading grows its backlog to QMP_OUTPUT_MAX and is dropped, rather
	 * than holding a slot for ever. */
	if (watch(cl, !len ? EPOLLIN : cl->s->closing ? EPOLLOUT : EPOLLIN | EPOLLOUT) < 0) {
		drop(cl, "event loop full");
		return -1;
	}
	return 0;
}

void control_flush(struct control *c)
{
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i])
			flush_client(c->clients[i]);
}

static void on_client(void *ctx, uint32_t events)
{
	struct client *cl = ctx;
	struct control *c = cl->ctl;
	char buf[READ_CHUNK];

	/* A hang-up is taken from read() (end of file, or the error), not
	 * from the event bits alone: a wake-up meant for a client that left
	 * may reach this one through a reused event-loop slot, and must not
	 * drop it. */
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* recvmsg, not read: a client may pass a descriptor with its
		 * bytes (SCM_RIGHTS) for getfd.  Close-on-exec at once; any
		 * beyond the first in a message are closed. */
		union {
			struct cmsghdr h;
			char room[CMSG_SPACE(CONTROL_FDS_PER_MSG * sizeof(int))];
		} cm;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.room,
				      .msg_controllen = sizeof(cm.room) };
		ssize_t n = recvmsg(cl->fd, &msg, MSG_CMSG_CLOEXEC);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			drop(cl, "disconnected");
			return;
		}
		for (struct cmsghdr *h = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; h; h = CMSG_NXTHDR(&msg, h)) {
			size_t k = h->cmsg_len > CMSG_LEN(0) ? (h->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;

			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
				if (i == 0)
					qmp_session_give_fd(cl->s, fd);
				else
					close(fd);
			}
		}
		if (n > 0)
			qmp_session_feed(cl->s, buf, (size_t)n);
	}
	/* A command may have queued events for every client (STOP, RESUME). */
	control_flush(c);
}

static void on_listen(void *ctx, uint32_t events)
{
	static const char busy[] = "{\"error\": {\"class\": \"GenericError\", \"desc\": "
				   "\"too many control clients\"}}\r\n";
	struct control *c = ctx;
	struct client *cl;
	int fd, slot = -1;

	(void)events;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		/* Out of descriptors: the connection stays queued and would wake
		 * the loop for ever; stop listening until a client leaves. */
		if ((errno == EMFILE || errno == ENFILE) && c->listening && ev_del(c->el, c->listen_fd) == 0)
			c->listening = false;
		return;
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS && slot < 0; i++)
		if (!c->clients[i])
			slot = i;
	cl = slot < 0 ? NULL : calloc(1, sizeof(*cl));
	if (cl)
		cl->s = qmp_session_new(&c->srv);
	if (!cl || !cl->s) {
		if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* it learns from the close instead */
		}
		close(fd);
		free(cl);
		return;
	}
	cl->ctl = c;
	cl->fd = fd;
	c->clients[slot] = cl;
	if (watch(cl, EPOLLIN) < 0) {
		drop(cl, "event loop full");
		return;
	}
	flush_client(cl); /* the greeting */
}

/*
 * 0 if nothing is at path or a dead socket was removed; -1 with err.
 * check_only (`flint check`) removes nothing, and where nothing is yet it
 * asks whether bind() could create the path.
 */
static int clear_stale(const char *path, bool check_only, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0) {
		int e = errno == ENOENT && check_only ? path_creatable(path) : errno == ENOENT ? 0 : errno;

		if (!e)
			return 0;
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(e));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "[control] socket = %s: exists and is not a socket "
			 "(remove it or choose another path)", path);
		return -1;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "[control] socket = %s: another process is serving it "
			 "(a flint already running?)", path);
		return -1;
	}
	/* Refused: a socket nobody listens on, left by a flint that was killed. */
	if (errno == ECONNREFUSED && check_only)
		return 0;
	if (errno != ECONNREFUSED || unlink(path) < 0) {
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Forks the process that removes the socket when flint is gone: it waits
 * for end of file on a pipe whose other end only flint holds, which comes
 * however flint ends (exit, crash, SIGKILL).  It holds nothing else and
 * makes only async-signal-safe calls (flint may have threads by now).  It
 * removes the path only if it is still the socket flint made.
 */
static int start_janitor(const char *path, const struct stat *made, char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe2: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork (the control socket's clean-up helper): %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		struct stat st;
		char b;

		if (p[0] > 0)
			syscall(SYS_close_range, 0, (unsigned)p[0] - 1, 0);
		syscall(SYS_close_range, (unsigned)p[0] + 1, ~0u, 0);
		while (read(p[0], &b, 1) != 0 && errno == EINTR)
			;
		/* The inode number alone is not enough: a file system may hand
		 * it to the next flint's socket at once; its change time is
		 * that socket's own creation. */
		if (lstat(path, &st) == 0 && st.st_dev == made->st_dev && st.st_ino == made->st_ino &&
		    st.st_ctim.tv_sec == made->st_ctim.tv_sec && st.st_ctim.tv_nsec == made->st_ctim.tv_nsec)
			unlink(path);
		_exit(0);
	}
	close(p[0]);
	return p[1];
}

/* The path fits in sockaddr_un: 0, or -1 with err. */
static int check_length(const char *path, char *err, size_t errlen)
{
	if (strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return 0;
	snprintf(err, errlen, "[control] socket = %s: longer than %zu bytes (a Unix socket "
		 "path limit; use a shorter one)", path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	return -1;
}

int control_check(const char *path, char *err, size_t errlen)
{
	return check_length(path, err, errlen) < 0 ? -1 : clear_stale(path, true, err, errlen);
}

struct control *control_open(const char *path, struct event_loop *el, const struct qmp_vm_ops *ops,
			     void *ctx, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct control *c;
	struct stat st;
	mode_t old;
	int fd;

	if (check_length(path, err, errlen) < 0 || clear_stale(path, false, err, errlen) < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->el = el;
	c->listen_fd = c->janitor_fd = -1;
	qmp_server_init(&c->srv, ops, ctx);
	/* jansson seeds its hash function from /dev/urandom on first use:
	 * now, while files may still be opened. */
	json_object_seed(0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Created 0600 from the start: no moment at which others may connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		umask(old);
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	umask(old);
	if (listen(fd, CONTROL_MAX_CLIENTS) < 0 || lstat(path, &st) < 0) {
		snprintf(err, errlen, "[control] socket = %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		goto fail;
	}
	c->listen_fd = fd;
	c->janitor_fd = start_janitor(path, &st, err, errlen);
	if (c->janitor_fd < 0) {
		unlink(path);
		goto fail;
	}
	if (ev_add(el, fd, EPOLLIN, on_listen, c) < 0) {
		snprintf(err, errlen, "control socket: event loop: %s", strerror(errno));
		goto fail;
	}
	c->listening = true;
	return c;
fail:
	control_close(c);
	return NULL;
}

int control_fds(const struct control *c, int *fds, int max)
{
	int n = 0;

	if (n < max && c->listen_fd >= 0)
		fds[n++] = c->listen_fd;
	if (n < max && c->janitor_fd >= 0)
		fds[n++] = c->janitor_fd;
	return n;
}

struct qmp_server *control_server(struct control *c)
{
	return &c->srv;
}

void control_shutdown(struct control *c, bool guest, const char *reason)
{
	qmp_server_shutdown(&c->srv, guest, reason);
	control_flush(c);
}

void control_close(struct control *c)
{
	if (!c)
		return;
	c->closing = true;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (c->clients[i])
			drop(c->clients[i], "closing");
	if (c->listen_fd >= 0) {
		if (c->listening)
			ev_del(c->el, c->listen_fd);
		close(c->listen_fd);
	}
	qmp_server_close_fds(&c->srv);
	/* The helper sees end of file and removes the socket. */
	if (c->janitor_fd >= 0)
		close(c->janitor_fd);
	free(c);
}
