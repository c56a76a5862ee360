/* The control socket (vmm/control/control.c) under the sanitizers, with a fake VM. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "control.h"

static enum qmp_vm_state state = QMP_VM_RUNNING;

static enum qmp_vm_state f_status(void *ctx)
{
	(void)ctx;
	return state;
}

static int f_pause(void *ctx, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	state = QMP_VM_PAUSED;
	return 0;
}

static int f_resume(void *ctx, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	state = QMP_VM_RUNNING;
	return 0;
}

static void f_quit(void *ctx)
{
	(void)ctx;
}

static json_t *f_none(void *ctx, char *err, size_t errlen)
{
	(void)ctx;
	snprintf(err, errlen, "not here");
	return NULL;
}

static const struct qmp_vm_ops ops = {
	.status = f_status, .pause = f_pause, .resume = f_resume, .quit = f_quit,
	.cpus = f_none, .stats = f_none, .devices = f_none,
};

struct rig {
	char dir[64], path[128];
	struct event_loop el;
	struct control *c;
	int tfd;
};

static void on_timer(void *ctx, uint32_t events)
{
	struct rig *r = ctx;
	uint64_t n;

	(void)events;
	if (read(r->tfd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing to do */
	}
	r->el.done = true;
}

/* Serves the loop for about 20 ms. */
static void pump(struct rig *r)
{
	struct itimerspec t = { .it_value = { 0, 20 * 1000 * 1000 } };

	timerfd_settime(r->tfd, 0, &t, NULL);
	r->el.done = false;
	ev_run(&r->el);
}

static bool rig_open(struct rig *r)
{
	char err[256];

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "/tmp/flint-control-XXXXXX");
	if (!mkdtemp(r->dir))
		return false;
	snprintf(r->path, sizeof(r->path), "%s/s", r->dir);
	ev_init(&r->el);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev_add(&r->el, r->tfd, EPOLLIN, on_timer, r);
	r->c = control_open(r->path, &r->el, &ops, NULL, err, sizeof(err));
	if (!r->c)
		fprintf(stderr, "  control_open: %s\n", err);
	return r->c != NULL;
}

static void rig_close(struct rig *r)
{
	control_close(r->c);
	close(r->tfd);
	ev_fini(&r->el);
	/* the helper removes the socket once the pipe's last writer is gone:
	 * this process still holds it in no other place */
	for (int i = 0; i < 1000 && access(r->path, F_OK) == 0; i++)
		usleep(10000);
	CHECK(access(r->path, F_OK) < 0);
	unlink(r->path);
	rmdir(r->dir);
}

static int client(const struct rig *r)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", r->path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* What the server has sent so far (NUL-terminated, in buf). */
static ssize_t recv_all(int fd, char *buf, size_t len)
{
	ssize_t got = 0, n = -1;

	while ((size_t)got < len - 1 && (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	if (got == 0 && n == 0)
		return 0; /* end of file */
	return got ? got : -1;
}

TEST(socket_mode_greeting_and_commands)
{
	struct rig r;
	struct stat st;
	char buf[4096];
	int fd;

	if (!rig_open(&r)) {
		CHECK(0);
		return;
	}
	CHECK(stat(r.path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0600);
	fd = client(&r);
	CHECK(fd >= 0);
	pump(&r);
	CHECK(recv_all(fd, buf, sizeof(buf)) > 0);
	CHECK_CONTAINS(buf, "{\"QMP\": {\"version\"");
	{
		const char *m = "{\"execute\":\"qmp_capabilities\"}{\"execute\":\"stop\",\"id\":9}";

		CHECK(write(fd, m, strlen(m)) == (ssize_t)strlen(m));
	}
	pump(&r);
	recv_all(fd, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "\"event\": \"STOP\"");
	CHECK_CONTAINS(buf, "{\"return\": {}, \"id\": 9}");
	CHECK(state == QMP_VM_PAUSED);
	close(fd);
	pump(&r);
	rig_close(&r);
	state = QMP_VM_RUNNING;
}

TEST(long_line_and_disconnects_leave_others_served)
{
	struct rig r;
	char buf[4096], big[8192];
	int good, bad, cut;

	if (!rig_open(&r)) {
		CHECK(0);
		return;
	}
	good = client(&r);
	bad = client(&r);
	cut = client(&r);
	pump(&r);
	recv_all(good, buf, sizeof(buf));
	CHECK(write(good, "{\"execute\":\"qmp_capabilities\"}", 30) == 30);
	CHECK(write(cut, "{\"execute\":\"qu", 14) == 14);
	close(cut);
	memset(big, 'x', sizeof(big));
	CHECK(send(bad, "{\"execute\":\"", 12, MSG_NOSIGNAL) == 12);
	for (int i = 0; i < 40; i++) {
		if (send(bad, big, sizeof(big), MSG_NOSIGNAL) < 0)
			break; /* closed by the server: EPIPE/ECONNRESET */
		pump(&r);
	}
	pump(&r);
	recv_all(bad, buf, sizeof(buf));
	CHECK_CONTAINS(strstr(buf, "\r\n") + 2, "longer than 65536 bytes");
	/* then end of file */
	pump(&r);
	CHECK(recv_all(bad, buf, sizeof(buf)) == 0 || errno == ECONNRESET);
	recv_all(good, buf, sizeof(buf));
	CHECK(write(good, "{\"execute\":\"query-status\"}", 26) == 26);
	pump(&r);
	recv_all(good, buf, sizeof(buf));
	CHECK_CONTAINS(buf, "\"status\": \"running\"");
	close(bad);
	close(good);
	rig_close(&r);
}

TEST(too_many_clients_told_and_closed)
{
	struct rig r;
	int fds[CONTROL_MAX_CLIENTS + 1];
	char buf[1024];

	if (!rig_open(&r)) {
		CHECK(0);
		return;
	}
	for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++) {
		fds[i] = client(&r);
		pump(&r);
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		recv_all(fds[i], buf, sizeof(buf));
		CHECK_CONTAINS(buf, "\"QMP\"");
	}
	recv_all(fds[CONTROL_MAX_CLIENTS], buf, sizeof(buf));
	CHECK_CONTAINS(buf, "too many control clients");
	/* one leaves: a new one is served */
	close(fds[0]);
	pump(&r);
	fds[0] = client(&r);
	pump(&r);
	recv_all(fds[0], buf, sizeof(buf));
	CHECK_CONTAINS(buf, "\"QMP\"");
	for (int i = 0; i <= CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	rig_close(&r);
}

TEST(refuses_files_and_live_sockets_replaces_stale_ones)
{
	struct rig r;
	struct event_loop el;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char err[256], path[160];
	int fd;

	if (!rig_open(&r)) {
		CHECK(0);
		return;
	}
	ev_init(&el);
	CHECK(control_open(r.path, &el, &ops, NULL, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "another process is serving it");
	snprintf(path, sizeof(path), "%s/file", r.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	CHECK(control_open(path, &el, &ops, NULL, err, sizeof(err)) == NULL);
	CHECK_CONTAINS(err, "exists and is not a socket");
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	/* a socket nobody listens on */
	snprintf(path, sizeof(path), "%s/stale", r.dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%.100s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	close(fd);
	{
		struct control *c = control_open(path, &el, &ops, NULL, err, sizeof(err));

		CHECK(c != NULL);
		control_close(c);
	}
	for (int i = 0; i < 1000 && access(path, F_OK) == 0; i++)
		usleep(10000);
	CHECK(access(path, F_OK) < 0);
	ev_fini(&el);
	rig_close(&r);
}

CHECK_MAIN()
