/*
 * The VMs: each one a `flint run` process with its own sandbox, reached
 * through three descriptors: its stdin (the request), its stdout (the
 * response) and a socketpair for --ready-fd (ready byte out, release byte
 * in; its end also stops the VM when this server goes away).  A pidfd
 * says when the process has exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "server.h"
#include "spawner.h"

/* The child's --ready-fd: the spawner dup2s the socket there. */
#define CHILD_READY_FD_STR "3"

static void on_exit_ev(evutil_socket_t fd, short what, void *arg);
static void on_ready_ev(evutil_socket_t fd, short what, void *arg);
static void on_out_ev(evutil_socket_t fd, short what, void *arg);
static void read_output(struct vmproc *v);
static void on_in_ev(evutil_socket_t fd, short what, void *arg);
static void on_boot_timeout(evutil_socket_t fd, short what, void *arg);
static void on_err_ev(evutil_socket_t fd, short what, void *arg);
static void log_held(struct vmproc *v);
static void leave_state(struct vmproc *v);

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void drop_event(struct event **e)
{
	if (*e)
		event_free(*e);
	*e = NULL;
}

int flint_run_argv(const struct server *s, const char **argv)
{
	int n = 0;

	argv[n++] = s->flint;
	argv[n++] = "run";
	argv[n++] = s->config_path;
	/* The function's console is the request and the response. */
	argv[n++] = "--set";
	argv[n++] = "console.input=stdin";
	argv[n++] = "--set";
	argv[n++] = "console.output=stdout";
	argv[n++] = "--set";
	argv[n++] = "console.device=virtio";
	/* A pooled VM is one of a few, and every shadow-paging fault it saves
	 * is on a request's path (vmm/machine/vm.h): huge pages unless the
	 * configuration says otherwise. */
	if (s->cfg->hugepages == HUGEPAGES_UNSET) {
		argv[n++] = "--set";
		argv[n++] = "machine.hugepages=on";
	}
	for (int i = 0; i < s->nsets; i++) {
		argv[n++] = "--set";
		argv[n++] = s->sets[i];
	}
	return n;
}

int vm_argv(const struct server *s, const char **argv)
{
	int n = flint_run_argv(s, argv);

	argv[n++] = "--ready-fd";
	argv[n++] = CHILD_READY_FD_STR;
	if (s->snapshot) {
		argv[n++] = "--restore";
		argv[n++] = SERVE_SNAP_PATH;
		argv[n++] = "--paused";
	}
	argv[n] = NULL;
	return n;
}

int vm_spawn(struct server *s)
{
	struct vmproc *v = calloc(1, sizeof(*v));
	int sp[2] = { -1, -1 }, in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, e;
	struct timeval tv;

	if (!v || s->spawner_fd < 0) {
		free(v);
		return -1;
	}
	v->s = s;
	v->pidfd = v->ready_fd = v->in_fd = v->out_fd = v->err_fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 || pipe2(in, O_CLOEXEC) < 0 ||
	    pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		fprintf(stderr, "flint serve: cannot start a VM: %s\n", strerror(errno));
		goto fail;
	}
	v->in = evbuffer_new();
	v->out = evbuffer_new();
	v->held = evbuffer_new();
	v->ev_boot = evtimer_new(s->base, on_boot_timeout, v);
	if (!v->in || !v->out || !v->held || !v->ev_boot)
		goto fail;
	v->t_spawn = now_ns();
	v->tag = ++s->spawn_tag;
	/* A VM some request already waits for starts at full priority. */
	e = spawner_request(s->spawner_fd, v->tag,
			    (const int[SPAWN_NFDS]){ in[0], out[1], err[1], sp[1] });
	if (e) {
		fprintf(stderr, "flint serve: cannot ask the spawner for a VM: %s\n", strerror(e));
		goto fail;
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(sp[1]);
	v->in_fd = in[1];
	v->out_fd = out[0];
	v->err_fd = err[0];
	v->ready_fd = sp[0];
	fcntl(v->err_fd, F_SETFL, O_NONBLOCK);
	fcntl(v->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(v->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(v->ready_fd, F_SETFL, O_NONBLOCK);
	tv.tv_sec = (time_t)(s->cfg->serve.timeout_ns / 1000000000ull);
	tv.tv_usec = (suseconds_t)(s->cfg->serve.timeout_ns % 1000000000ull / 1000);
	event_add(v->ev_boot, &tv);
	v->state = VM_STARTING;
	LIST_INSERT_HEAD(&s->vms, v, all);
	v->listed = true;
	TAILQ_INSERT_TAIL(&s->spawning, v, spawn_link);
	s->nvms++;
	s->nstarting++;
	return 0;
fail:
	s->m.failures[FAIL_SPAWN]++;
	for (int i = 0; i < 2; i++) {
		close_fd(&sp[i]);
		close_fd(&in[i]);
		close_fd(&out[i]);
		close_fd(&err[i]);
	}
	vm_free(v);
	return -1;
}

/* The spawner's answer for the oldest request: the VM's pid and pidfd, and
 * from now on its events. */
static void vm_spawned(struct vmproc *v, pid_t pid, int pidfd)
{
	struct server *s = v->s;

	v->pid = pid;
	v->pidfd = pidfd;
	v->ev_exit = event_new(s->base, v->pidfd, EV_READ, on_exit_ev, v);
	v->ev_ready = event_new(s->base, v->ready_fd, EV_READ | EV_PERSIST, on_ready_ev, v);
	v->ev_out = event_new(s->base, v->out_fd, EV_READ | EV_PERSIST, on_out_ev, v);
	v->ev_in = event_new(s->base, v->in_fd, EV_WRITE | EV_PERSIST, on_in_ev, v);
	v->ev_err = event_new(s->base, v->err_fd, EV_READ | EV_PERSIST, on_err_ev, v);
	if (!v->ev_exit || !v->ev_ready || !v->ev_out || !v->ev_in || !v->ev_err) {
		v->killed = true;
		kill(v->pid, SIGKILL);
	}
	if (v->ev_exit)
		event_add(v->ev_exit, NULL);
	if (v->ev_ready)
		event_add(v->ev_ready, NULL);
	/* Output before the release would be the function's start-up chatter
	 * mixed into the response: read it from the start, and it counts. */
	if (v->ev_out)
		event_add(v->ev_out, NULL);
	if (v->ev_err)
		event_add(v->ev_err, NULL);
	if (v->killed)
		kill(v->pid, SIGKILL);  /* ended (drain, boot timeout) before its pid was known */
}

/* A VM whose start failed: it never had a process. */
static void vm_not_spawned(struct vmproc *v, int e)
{
	struct server *s = v->s;

	fprintf(stderr, "flint serve: the spawner could not start %s: %s\n", s->flint, strerror(e));
	s->m.failures[FAIL_SPAWN]++;
	s->start_failures++;
	leave_state(v);
	vm_free(v);
}

/* The spawner is gone or out of step: no VM can start any more, so stop
 * taking requests and end as a drain would. */
static void spawner_lost(struct server *s, const char *why)
{
	struct vmproc *v;

	fprintf(stderr, "flint serve: the spawner %s: no new VM can start; draining\n", why);
	event_del(s->ev_spawner);
	close_fd(&s->spawner_fd);
	while ((v = TAILQ_FIRST(&s->spawning))) {
		TAILQ_REMOVE(&s->spawning, v, spawn_link);
		vm_not_spawned(v, ECHILD);
	}
	s->draining = true;
	server_stop_listening(s);
	pool_shutdown(s);
	server_maybe_exit(s);
}

void vm_spawner_replies(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)what;
	for (;;) {
		struct spawn_rep rep;
		struct vmproc *v;
		int pidfd, e = spawner_reply(fd, &rep, &pidfd);

		if (e == EAGAIN)
			return;
		v = TAILQ_FIRST(&s->spawning);
		if (e || !v || rep.tag != v->tag) {
			if (pidfd >= 0)
				close(pidfd);
			spawner_lost(s, e == ECONNRESET ? "has exited" : "answered out of step");
			return;
		}
		TAILQ_REMOVE(&s->spawning, v, spawn_link);
		if (rep.err)
			vm_not_spawned(v, rep.err);
		else
			vm_spawned(v, rep.pid, pidfd);
	}
	/* not reached */
}

/* Leaves its state's count; the caller sets the next. */
static void leave_state(struct vmproc *v)
{
	struct server *s = v->s;

	switch (v->state) {
	case VM_STARTING: s->nstarting--; break;
	case VM_READY: s->nready--; TAILQ_REMOVE(&s->ready, v, ready_link); break;
	case VM_BUSY: s->nbusy--; break;
	case VM_ENDING: break;
	}
	v->state = VM_ENDING;
}

static void on_boot_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct vmproc *v = arg;

	(void)fd, (void)what;
	if (v->state != VM_STARTING)
		return;
	fprintf(stderr, "flint serve: VM pid %d not ready after [serve] timeout: killed (does the "
		"function call flint_ready()?)\n", (int)v->pid);
	v->s->m.failures[FAIL_NEVER_READY]++;
	vm_kill(v);
}

/* A VM's first byte on the ready socket: 'R', parked and ready. */
static void vm_now_ready(struct vmproc *v)
{
	struct server *s = v->s;

	v->t_ready = now_ns();
	latency_add(&s->m.vm_start, v->t_ready - v->t_spawn);
	if (s->snapshot)
		s->m.restored++;
	else
		s->m.booted++;
	event_del(v->ev_boot);
	s->start_failures = 0;
	leave_state(v);
	v->state = VM_READY;
	s->nready++;
	TAILQ_INSERT_TAIL(&s->ready, v, ready_link);
	job_vm_ready(s);
}

/* A busy VM's 'E' and status: every byte of the response is in the pipe
 * (ready_fd.h), so answer now; the process exits and is reaped later. */
static void vm_now_finished(struct vmproc *v, unsigned char status)
{
	v->finished = true;
	v->wstatus = W_EXITCODE(status, 0);
	read_output(v);
	if (v->state == VM_BUSY && v->job)
		job_vm_done(v);
}

static void on_ready_ev(evutil_socket_t fd, short what, void *arg)
{
	struct vmproc *v = arg;
	unsigned char b[16];
	ssize_t n = read(fd, b, sizeof(b));

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The end of the socket: the process is exiting (its pidfd says). */
		event_del(v->ev_ready);
		return;
	}
	for (ssize_t i = 0; i < n && !v->finished; i++) {
		uint64_t gen;
		int status;

		switch (ready_parse(&v->rp, b[i], &gen, &status)) {
		case READY_MSG_READY:
			if (v->state != VM_STARTING || v->has_gen)
				break;
			v->generation = gen;
			v->has_gen = true;
			log_held(v);
			vm_now_ready(v);
			break;
		case READY_MSG_EXIT:
			if (v->state == VM_BUSY)
				vm_now_finished(v, (unsigned char)status); /* v lives until its exit */
			break;
		case READY_MSG_NONE:
			break;
		}
	}
}

/* One token per line logged, SERVE_LOG_LINES_PER_SEC a second: a VM (or
 * many) that spews costs the server's log no more than that. */
static bool log_token(struct server *s)
{
	uint64_t now = now_ns(), add = (now - s->log_refill_ns) * SERVE_LOG_LINES_PER_SEC / 1000000000ull;

	if (add) {
		s->log_tokens = add + s->log_tokens > 2 * SERVE_LOG_LINES_PER_SEC ? 2 * SERVE_LOG_LINES_PER_SEC :
			(unsigned)(add + s->log_tokens);
		s->log_refill_ns = now;
	}
	if (!s->log_tokens)
		return false;
	s->log_tokens--;
	return true;
}

static void log_line(void *ctx, const char *line, size_t len, bool cut)
{
	struct vmproc *v = ctx;

	if (v->log_lines >= SERVE_LOG_LINES_PER_VM || !log_token(v->s)) {
		v->log_dropped++;
		return;
	}
	v->log_lines++;
	/* Before its ready message the VM has no generation yet: held. */
	if (!v->has_gen) {
		evbuffer_add_printf(v->held, "%.*s%s\n", (int)len, line, cut ? " [cut]" : "");
		return;
	}
	fprintf(stderr, "flint serve: vm %016llx: %.*s%s\n", (unsigned long long)v->generation, (int)len, line,
		cut ? " [cut]" : "");
}

/* The lines held until the generation came (or the VM ended without one). */
static void log_held(struct vmproc *v)
{
	char *l;
	size_t n;

	while (v->held && (l = evbuffer_readln(v->held, &n, EVBUFFER_EOL_LF))) {
		if (v->has_gen)
			fprintf(stderr, "flint serve: vm %016llx: %s\n", (unsigned long long)v->generation, l);
		else
			fprintf(stderr, "flint serve: vm pid %d (never ready): %s\n", (int)v->pid, l);
		free(l);
	}
}

/* At most 64 KiB a turn: a VM that writes without pause cannot keep the
 * loop to itself. */
static void read_stderr(struct vmproc *v)
{
	char b[4096];

	for (int turn = 0; turn < 16 && v->err_fd >= 0; turn++) {
		ssize_t n = read(v->err_fd, b, sizeof(b));

		if (n > 0) {
			vm_log_feed(&v->log, b, (size_t)n, log_line, v);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		event_del(v->ev_err);
		close_fd(&v->err_fd);
	}
}

static void on_err_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	read_stderr(arg);
}

/* The VM has exited: what is left of its stderr, then how much was not
 * logged.  (Its teardown helper may still hold the pipe: no wait for the
 * end of file.) */
static void log_finish(struct vmproc *v)
{
	read_stderr(v);
	vm_log_flush(&v->log, log_line, v);
	log_held(v);
	if (v->log_dropped && v->has_gen)
		fprintf(stderr, "flint serve: vm %016llx: %u more lines of stderr not logged (at most %d a VM, %d a "
			"second)\n", (unsigned long long)v->generation, v->log_dropped, SERVE_LOG_LINES_PER_VM,
			SERVE_LOG_LINES_PER_SEC);
	else if (v->log_dropped)
		fprintf(stderr, "flint serve: vm pid %d (never ready): %u more lines of stderr not logged\n",
			(int)v->pid, v->log_dropped);
	v->log_dropped = 0;
	drop_event(&v->ev_err);
	close_fd(&v->err_fd);
}

static void on_in_ev(evutil_socket_t fd, short what, void *arg)
{
	struct vmproc *v = arg;

	(void)what;
	if (evbuffer_get_length(v->in) && evbuffer_write(v->in, fd) < 0 && errno != EAGAIN) {
		evbuffer_drain(v->in, evbuffer_get_length(v->in)); /* the VM is gone: its exit says */
	}
	if (!evbuffer_get_length(v->in)) {
		event_del(v->ev_in);
		close_fd(&v->in_fd); /* end of input: the function has all of it */
	}
}

static void read_output(struct vmproc *v)
{
	size_t max = v->s->cfg->serve.max_output;

	while (!v->too_much && v->out_fd >= 0) {
		int n = evbuffer_read(v->out, v->out_fd, 65536);

		if (n > 0 && evbuffer_get_length(v->out) > max) {
			v->too_much = true;
			vm_kill(v);
		}
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		event_del(v->ev_out);
		close_fd(&v->out_fd);
	}
}

static void on_out_ev(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	read_output(arg);
}

static void on_exit_ev(evutil_socket_t fd, short what, void *arg)
{
	struct vmproc *v = arg;
	struct server *s = v->s;
	int st = 0;
	pid_t r;

	(void)fd, (void)what;
	r = waitpid(v->pid, &st, WNOHANG);
	if (r == 0) {
		event_add(v->ev_exit, NULL); /* not yet: readable again later */
		return;
	}
	/* r < 0: not ours to reap (cannot happen): an unknown failure. */
	if (!v->finished)
		v->wstatus = r == v->pid ? st : W_EXITCODE(255, 0);
	v->exited = true;
	/* Everything flint wrote is in the pipe now; a helper of its may
	 * still hold the write end, so do not wait for the end of file. */
	read_output(v);
	log_finish(v);
	if (v->state == VM_STARTING && !v->killed && !s->draining) {
		fprintf(stderr, "flint serve: VM pid %d exited before it was ready (status %d): see flint's "
			"messages above\n", (int)v->pid, WIFEXITED(v->wstatus) ? WEXITSTATUS(v->wstatus) : 128 + WTERMSIG(v->wstatus));
		s->m.failures[FAIL_NEVER_READY]++;
		s->start_failures++;
	}
	if (v->state == VM_BUSY && v->job) {
		job_vm_done(v);
	} else {
		leave_state(v);
		vm_free(v);
	}
	if (!s->draining)
		pool_refill(s);
	server_maybe_exit(s);
}

void vm_release(struct vmproc *v, struct job *j, const void *req, size_t len)
{
	struct server *s = v->s;

	leave_state(v);
	v->state = VM_BUSY;
	s->nbusy++;
	v->job = j;
	j->vm = v;
	v->t_release = now_ns();
	evbuffer_add(v->in, req, len);
	on_in_ev(v->in_fd, EV_WRITE, v);
	if (v->in_fd >= 0)
		event_add(v->ev_in, NULL);
	/* The request is on its way: now let the VM run. */
	if (write(v->ready_fd, "G", 1) != 1)
		vm_kill(v);
}

void vm_kill(struct vmproc *v)
{
	if (v->exited || v->killed)
		return;
	v->killed = true;
	if (v->pid > 0)
		kill(v->pid, SIGKILL);  /* else at the spawner's reply */
}

void vm_free(struct vmproc *v)
{
	struct server *s = v->s;

	if (v->listed) {
		LIST_REMOVE(v, all);
		s->nvms--;
	}
	drop_event(&v->ev_exit);
	drop_event(&v->ev_ready);
	drop_event(&v->ev_in);
	drop_event(&v->ev_out);
	drop_event(&v->ev_boot);
	drop_event(&v->ev_err);
	if (v->held)
		evbuffer_free(v->held);
	if (v->in)
		evbuffer_free(v->in);
	if (v->out)
		evbuffer_free(v->out);
	close_fd(&v->pidfd);
	close_fd(&v->ready_fd);
	close_fd(&v->in_fd);
	close_fd(&v->out_fd);
	close_fd(&v->err_fd);
	free(v);
}

static void on_refill(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	pool_refill_now(s);
}

void pool_refill(struct server *s)
{
	/* VMs that die before they are ready (a broken function, a snapshot
	 * this flint refuses) are not restarted in a busy loop: 10 ms after
	 * the first, doubling to 1 s, until one gets ready. */
	if (s->start_failures) {
		unsigned ms = 10u << (s->start_failures < 7 ? s->start_failures - 1 : 6);
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

		if (!s->ev_refill)
			s->ev_refill = evtimer_new(s->base, on_refill, s);
		if (s->ev_refill && !evtimer_pending(s->ev_refill, NULL))
			evtimer_add(s->ev_refill, &tv);
		return;
	}
	pool_refill_now(s);
}

void pool_refill_now(struct server *s)
{
	unsigned want = s->draining ? 0 : s->cfg->serve.pool;

	/* Waiting jobs get a VM each, pool or not. */
	if (s->nwaiting > s->nready)
		want += s->nwaiting - s->nready;
	while (s->nready + s->nstarting < want && s->nvms < s->max_vms)
		if (vm_spawn(s) < 0)
			break;
}

void pool_shutdown(struct server *s)
{
	struct vmproc *v;

	LIST_FOREACH(v, &s->vms, all) {
		if (v->state == VM_BUSY || v->exited || v->finished)
			continue;
		if (v->state == VM_STARTING && s->nwaiting)
			continue; /* an admitted request still needs it */
		if (v->state == VM_READY && s->nwaiting)
			continue;
		/* A parked VM stops (status 130) at the end of its ready
		 * socket; one still starting may not watch it yet. */
		if (v->state == VM_READY) {
			drop_event(&v->ev_ready);
			close_fd(&v->ready_fd);
			leave_state(v);
		} else {
			vm_kill(v);
		}
	}
}
