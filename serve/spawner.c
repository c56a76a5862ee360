/* The spawner (spawner.h). */
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

extern char **environ;

/* The spawner's own descriptors: the socket at 3, the snapshot at
 * SERVE_SNAP_FD (4), where the VM needs it, without close-on-exec.  A
 * request's descriptors therefore land at 5 and up, above every target of
 * the child's dup2s. */
#define SPAWNER_SOCK_FD 3
#define FIRST_FREE_FD (SERVE_SNAP_FD + 1)

struct child_args {
	const struct spawner_setup *su;
	const int *fds;
};

/* The VM's first moments, on the spawner's memory (CLONE_VM|CLONE_VFORK:
 * the spawner waits until the exec): system calls only, and on a stack of
 * its own, which AddressSanitizer (the unit test) would misread. */
__attribute__((no_sanitize("address")))
static int child_main(void *p)
{
	const struct child_args *a = p;
	static const char msg[] = "flint serve: spawner: cannot run flint (its path was checked at start)\n";

	/* A group of its own: a terminal's ^C (SIGINT to the foreground
	 * group) reaches the server, which drains, and not the VMs serving
	 * the requests it lets finish. */
	setpgid(0, 0);
	/* The spawner ignores these; a VM stops on them as before. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	for (int i = 0; i < SPAWN_NFDS; i++)
		if (dup2(a->fds[i], i) < 0)
			_exit(127);
	syscall(SYS_close_range, a->su->snap_fd >= 0 ? FIRST_FREE_FD : SERVE_SNAP_FD, ~0u, 0);
	execve(a->su->flint, (char *const *)a->su->argv, environ);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* its stderr is gone too; status 127 still says it */
	}
	_exit(127);
}

static void send_reply(int sock, uint64_t tag, int err, pid_t pid, int pidfd)
{
	struct spawn_rep rep = { .magic = SPAWN_MAGIC, .err = err, .tag = tag, .pid = pid };
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&c, 0, sizeof(c));
	if (!err) {
		msg.msg_control = c.room;
		msg.msg_controllen = sizeof(c.room);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &pidfd, sizeof(int));
	}
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		/* the server is gone: the next recvmsg sees the end */
	}
}

/* One stack for every child: CLONE_VFORK runs one at a time. */
static char child_stack[64 * 1024] __attribute__((aligned(16)));

__attribute__((noreturn))
static void spawner_main(int sock, const struct spawner_setup *su)
{
	/* Only the socket, the snapshot and stdin/out/err stay open. */
	if (dup2(sock, SPAWNER_SOCK_FD) < 0)
		_exit(1);
	if (su->snap_fd >= 0 && (dup2(su->snap_fd, SERVE_SNAP_FD) < 0))
		_exit(1);
	fcntl(SPAWNER_SOCK_FD, F_SETFD, FD_CLOEXEC);
	syscall(SYS_close_range, su->snap_fd >= 0 ? FIRST_FREE_FD : SERVE_SNAP_FD, ~0u, 0);
	sock = SPAWNER_SOCK_FD;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* A terminal's ^C reaches the whole process group: the server drains,
	 * and may still need VMs for the requests it admitted. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	for (;;) {
		union {
			struct cmsghdr h;
			char room[CMSG_SPACE(SPAWN_FDS_ROOM * sizeof(int))];
		} c;
		struct spawn_req req;
		char data[sizeof(req) + 1];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.room,
				      .msg_controllen = sizeof(c.room) };
		int fds[SPAWN_FDS_ROOM], e, pidfd = -1;
		unsigned nfds = 0;
		uint64_t tag = 0;
		ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
		pid_t pid = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		e = spawn_req_parse(data, (size_t)n, msg.msg_flags, msg.msg_control, msg.msg_controllen, &req,
				    fds, &nfds);
		if (!e) {
			struct child_args a = { .su = su, .fds = fds };

			pid = clone(child_main, child_stack + sizeof(child_stack),
				    CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_PIDFD | SIGCHLD, &a, &pidfd);
			e = pid < 0 ? errno : 0;
			tag = req.tag;
		}
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		/* A malformed request still gets an answer, with tag 0: the
		 * server then knows its requests and the replies are out of step. */
		send_reply(sock, tag, e, e ? 0 : pid, pidfd);
		if (pidfd >= 0)
			close(pidfd);
	}
	if (su->unlink_at_exit)
		unlink(su->unlink_at_exit);
	_exit(0);
}

int spawner_start(const struct spawner_setup *su, pid_t *pid, char *err, size_t errlen)
{
	int sv[2];

	if (access(su->flint, X_OK) < 0)
		return snprintf(err, errlen, "%s: %s", su->flint, strerror(errno)), -1;
	/* SEQPACKET: a request is one message, never split or merged. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return snprintf(err, errlen, "spawner: socketpair: %s", strerror(errno)), -1;
	*pid = fork();
	if (*pid < 0) {
		snprintf(err, errlen, "spawner: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (*pid == 0) {
		close(sv[0]);
		spawner_main(sv[1], su);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return sv[0];
}

int spawner_request(int sock, uint64_t tag, const int fds[SPAWN_NFDS])
{
	struct spawn_req req = { .magic = SPAWN_MAGIC, .tag = tag };
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(SPAWN_NFDS * sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.room,
			      .msg_controllen = sizeof(c.room) };

	memset(&c, 0, sizeof(c));
	c.h.cmsg_level = SOL_SOCKET;
	c.h.cmsg_type = SCM_RIGHTS;
	c.h.cmsg_len = CMSG_LEN(SPAWN_NFDS * sizeof(int));
	memcpy(CMSG_DATA(&c.h), fds, SPAWN_NFDS * sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(req) ? 0 : errno;
}

int spawner_reply(int sock, struct spawn_rep *rep, int *pidfd)
{
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(SPAWN_FDS_ROOM * sizeof(int))];
	} c;
	char data[sizeof(*rep) + 1];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.room,
			      .msg_controllen = sizeof(c.room) };
	int fds[SPAWN_FDS_ROOM], e;
	unsigned nfds = 0;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);

	*pidfd = -1;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? EAGAIN : errno;
	if (n == 0)
		return ECONNRESET;
	e = spawn_rep_parse(data, (size_t)n, msg.msg_flags, msg.msg_control, msg.msg_controllen, rep, fds, &nfds);
	if (!e && rep->err == 0) {
		*pidfd = fds[0];
		return 0;
	}
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return e;
}
