/*
 * flint serve's spawner (serve/spawner.c, serve/spawn_msg.c): the message
 * checks, fed hostile bytes directly, then a live spawner running /bin/sh
 * in place of flint: the descriptors land where a VM expects them, the VM
 * is this process's child, leads a process group of its own and runs at
 * this process's priority, malformed requests are refused without stopping the spawner, and it exits (and
 * removes its path) when its socket closes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "spawn_msg.h"
#include "spawner.h"

/* A control buffer of n descriptor slots holding fds[] (copied). */
struct ctl {
	size_t len;
	union {
		struct cmsghdr h;
		char room[CMSG_SPACE(SPAWN_FDS_ROOM * sizeof(int))];
	} u;   /* last: struct cmsghdr ends in a flexible array */
};

static void ctl_rights(struct ctl *c, const int *fds, unsigned n)
{
	memset(c, 0, sizeof(*c));
	c->u.h.cmsg_level = SOL_SOCKET;
	c->u.h.cmsg_type = SCM_RIGHTS;
	c->u.h.cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(&c->u.h), fds, n * sizeof(int));
	c->len = CMSG_SPACE(n * sizeof(int));
}

TEST(requests_are_checked)
{
	static const int four[4] = { 10, 11, 12, 13 }, five[5] = { 10, 11, 12, 13, 14 };
	struct spawn_req r = { .magic = SPAWN_MAGIC, .tag = 7 }, out, bad;
	struct ctl c;
	int fds[SPAWN_FDS_ROOM];
	unsigned n;

	ctl_rights(&c, four, 4);
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == 0);
	CHECK(out.tag == 7 && n == 4 && fds[0] == 10 && fds[3] == 13);
	/* Every descriptor is reported, so that a refused message leaks none. */
	ctl_rights(&c, five, 5);
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EBADF && n == 5);
	ctl_rights(&c, four, 3);
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EBADF && n == 3);
	CHECK(spawn_req_parse(&r, sizeof(r), 0, NULL, 0, &out, fds, &n) == EBADF && n == 0);
	ctl_rights(&c, four, 4);
	CHECK(spawn_req_parse(&r, sizeof(r) - 1, 0, &c.u, c.len, &out, fds, &n) == EBADMSG && n == 4);
	CHECK(spawn_req_parse(&r, sizeof(r), MSG_CTRUNC, &c.u, c.len, &out, fds, &n) == EMSGSIZE && n == 4);
	CHECK(spawn_req_parse(&r, sizeof(r), MSG_TRUNC, &c.u, c.len, &out, fds, &n) == EMSGSIZE);
	bad = r;
	bad.magic ^= 1;
	CHECK(spawn_req_parse(&bad, sizeof(bad), 0, &c.u, c.len, &out, fds, &n) == EBADMSG);
	bad = r;
	bad.flags = 2;
	CHECK(spawn_req_parse(&bad, sizeof(bad), 0, &c.u, c.len, &out, fds, &n) == EBADMSG);
	bad.flags = 1;
	CHECK(spawn_req_parse(&bad, sizeof(bad), 0, &c.u, c.len, &out, fds, &n) == EBADMSG);
	/* A control message that is not SCM_RIGHTS, or lies about its length. */
	c.u.h.cmsg_type = SCM_CREDENTIALS;
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EPROTO);
	ctl_rights(&c, four, 4);
	c.u.h.cmsg_len = c.len + 1;
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EPROTO);
	c.u.h.cmsg_len = 3;
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EPROTO);
	ctl_rights(&c, four, 4);
	c.u.h.cmsg_len -= 1;  /* not a whole number of descriptors */
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EPROTO);
	ctl_rights(&c, (const int[4]){ 1, 2, -1, 3 }, 4);
	CHECK(spawn_req_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EBADF);
}

TEST(replies_are_checked)
{
	struct spawn_rep r = { .magic = SPAWN_MAGIC, .tag = 3, .pid = 1234 }, out;
	struct ctl c;
	int fds[SPAWN_FDS_ROOM];
	unsigned n;

	ctl_rights(&c, (const int[1]){ 9 }, 1);
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == 0 && fds[0] == 9 && out.pid == 1234);
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, NULL, 0, &out, fds, &n) == EBADF);
	r.err = ENOENT;
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, NULL, 0, &out, fds, &n) == 0 && out.err == ENOENT);
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EBADF && n == 1);
	r.err = -1;
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, NULL, 0, &out, fds, &n) == EBADMSG);
	r.err = 0;
	r.pid = 0;
	CHECK(spawn_rep_parse(&r, sizeof(r), 0, &c.u, c.len, &out, fds, &n) == EBADF);
}

static int wait_reply(int sock, struct spawn_rep *rep, int *pidfd)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	int e;

	while ((e = spawner_reply(sock, rep, pidfd)) == EAGAIN)
		if (poll(&p, 1, 10000) != 1)
			return ETIMEDOUT;
	return e;
}

/* The child, in place of flint: one line in, to stdout, stderr and the
 * ready socket; its nice value out on the ready socket. */
static const char *const sh_argv[] = {
	"/bin/sh", "-c", "read x; echo out:$x; echo err:$x >&2; echo ready:$x >&3; "
	"[ \"$(cut -d' ' -f5 /proc/$$/stat)\" = $$ ] && echo leader >&3; cut -d' ' -f19 /proc/$$/stat >&3; [ -e /proc/self/fd/5 ] && echo leaked >&3; exit 7", NULL,
};

static void run_one(int sock, int want_nice)
{
	int in[2], out[2], err[2], rd[2], pidfd = -1, st = 0;
	struct spawn_rep rep;
	char buf[256];
	ssize_t n;

	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rd) == 0);
	CHECK(spawner_request(sock, 42, (const int[4]){ in[0], out[1], err[1], rd[1] }) == 0);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(rd[1]);
	CHECK(wait_reply(sock, &rep, &pidfd) == 0 && rep.err == 0 && rep.tag == 42 && pidfd >= 0);
	CHECK(write(in[1], "hi\n", 3) == 3);
	close(in[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	CHECK(n == 7 && !memcmp(buf, "out:hi\n", 7));
	n = read(err[0], buf, sizeof(buf) - 1);
	CHECK(n == 7 && !memcmp(buf, "err:hi\n", 7));
	/* The child was started by the spawner, yet is ours to reap. */
	CHECK(waitpid(rep.pid, &st, 0) == rep.pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	n = read(rd[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	snprintf(buf + 200, 50, "ready:hi\nleader\n%d\n", want_nice);
	CHECK(!strcmp(buf, buf + 200));
	if (strcmp(buf, buf + 200))
		fprintf(stderr, "  ready socket said \"%s\"\n", buf);
	close(out[0]);
	close(err[0]);
	close(rd[0]);
	close(pidfd);
}

TEST(live_spawner)
{
	char path[] = "/tmp/test_spawner.XXXXXX";
	int fd = mkstemp(path), sock, pidfd = -1, st = -1;
	struct spawner_setup su = { .flint = "/bin/sh", .argv = (const char *const *)sh_argv, .snap_fd = -1,
				    .unlink_at_exit = path };
	struct spawn_rep rep;
	char err[200];
	pid_t pid;

	CHECK(fd >= 0);
	close(fd);
	sock = spawner_start(&su, &pid, err, sizeof(err));
	CHECK(sock >= 0);
	if (sock < 0)
		return;
	run_one(sock, getpriority(PRIO_PROCESS, 0));
	/* Hostile: garbage, too few descriptors; the spawner answers and stays. */
	CHECK(send(sock, "garbage", 7, 0) == 7);
	CHECK(wait_reply(sock, &rep, &pidfd) == 0 && rep.err == EBADMSG && rep.tag == 0 && pidfd < 0);
	{
		struct spawn_req r = { .magic = SPAWN_MAGIC, .tag = 5 };
		struct ctl c;
		struct iovec iov = { .iov_base = &r, .iov_len = sizeof(r) };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c.u };

		ctl_rights(&c, (const int[2]){ 0, 1 }, 2);
		m.msg_controllen = c.len;
		CHECK(sendmsg(sock, &m, 0) == sizeof(r));
		CHECK(wait_reply(sock, &rep, &pidfd) == 0 && rep.err == EBADF && rep.tag == 0);
	}
	run_one(sock, getpriority(PRIO_PROCESS, 0));
	close(sock);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	unlink(path);
}

TEST(missing_binary_is_refused_at_start)
{
	struct spawner_setup su = { .flint = "/nonexistent/flint", .argv = (const char *const *)sh_argv,
				    .snap_fd = -1 };
	char err[200] = "";
	pid_t pid;

	CHECK(spawner_start(&su, &pid, err, sizeof(err)) < 0);
	CHECK_CONTAINS(err, "/nonexistent/flint");
}

CHECK_MAIN()
