/* The save helper (save_helper.h). */
#include "save_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SAVE_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC)

struct save_helper {
	int fd;
};

/* Sends errno (0: fd follows as SCM_RIGHTS). */
static void reply(int sock, int32_t e, int fd)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&c, 0, sizeof(c));
	if (fd >= 0) {
		msg.msg_control = c.room;
		msg.msg_controllen = sizeof(c.room);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		/* flint is gone: the next recvmsg sees end of file */
	}
}

/*
 * The child: no malloc, no stdio (it was forked from a process that may
 * have other threads).  Each request is one datagram holding a path.
 */
__attribute__((noreturn))
static void helper_main(int sock, const struct sandbox_jail *j, enum seccomp_mode mode)
{
	char path[PATH_MAX + 1], err[128];

	/* Nothing of the monitor's but the socket: close the rest. */
	if (sock != 3) {
		if (dup2(sock, 3) < 0)
			_exit(1);
		sock = 3;
	}
	syscall(SYS_close_range, 4u, ~0u, 0u);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* As flint's user after the jail's drop; root's groups go too. */
	if ((j->set_gid || j->set_uid) && geteuid() == 0 && setgroups(0, NULL) < 0)
		_exit(1);
	if (j->set_gid && setresgid(j->gid, j->gid, j->gid) < 0)
		_exit(1);
	if (j->set_uid && setresuid(j->uid, j->uid, j->uid) < 0)
		_exit(1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    seccomp_install(SANDBOX_ROLE_SAVE_HELPER, 0, mode, err, sizeof(err)) < 0)
		_exit(1);
	for (;;) {
		struct iovec iov = { .iov_base = path, .iov_len = sizeof(path) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(sock, &msg, 0);
		int fd;

		if (n <= 0)
			_exit(0);
		/* One whole, NUL-free, absolute path that fits: anything else
		 * is refused without a system call. */
		if ((size_t)n >= sizeof(path) || (msg.msg_flags & MSG_TRUNC) || path[0] != '/' ||
		    memchr(path, 0, (size_t)n)) {
			reply(sock, EINVAL, -1);
			continue;
		}
		path[n] = 0;
		fd = openat(AT_FDCWD, path, SAVE_FLAGS, 0600);
		reply(sock, fd < 0 ? errno : 0, fd);
		if (fd >= 0)
			close(fd);
	}
}

struct save_helper *save_helper_start(const struct sandbox_jail *jail, enum seccomp_mode mode,
				      char *err, size_t errlen)
{
	struct save_helper *h = calloc(1, sizeof(*h));
	int sv[2];
	pid_t pid;

	if (!h) {
		snprintf(err, errlen, "save helper: out of memory");
		return NULL;
	}
	/* SEQPACKET: a path is one message, never split or merged. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "save helper: socketpair: %s", strerror(errno));
		free(h);
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "save helper: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		free(h);
		return NULL;
	}
	if (pid == 0)
		helper_main(sv[1], jail, mode);
	close(sv[1]);
	h->fd = sv[0];
	return h;
}

int save_helper_fd(const struct save_helper *h)
{
	return h ? h->fd : -1;
}

int save_helper_create(struct save_helper *h, const char *path, char *err, size_t errlen)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(int))];
	} c;
	int32_t e = 0;
	struct iovec iov = { .iov_base = &e, .iov_len = sizeof(e) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.room,
			      .msg_controllen = sizeof(c.room) };
	size_t len = strlen(path);
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	if (!h) {
		snprintf(err, errlen, "no save helper (a bug in flint)");
		return -1;
	}
	if (path[0] != '/' || len >= PATH_MAX) {
		snprintf(err, errlen, "'%s': the path must be absolute and shorter than %d bytes", path, PATH_MAX);
		return -1;
	}
	if (send(h->fd, path, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
		snprintf(err, errlen, "'%s': the save helper is gone: %s", path, strerror(errno));
		return -1;
	}
	memset(&c, 0, sizeof(c));
	/* The helper answers at once: one openat. */
	n = recvmsg(h->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n != sizeof(e)) {
		snprintf(err, errlen, "'%s': the save helper is gone", path);
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (e || fd < 0) {
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "'%s': %s", path, e == EEXIST ?
			 "File exists: a snapshot is only ever written to a new file" :
			 e == ELOOP ? "the path ends in a symbolic link" : strerror(e ? e : EPROTO));
		return -1;
	}
	return fd;
}

void save_helper_stop(struct save_helper *h)
{
	if (!h)
		return;
	close(h->fd);
	free(h);
}
