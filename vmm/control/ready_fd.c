/* --ready-fd (ready_fd.h). */
#include "ready_fd.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "exit_codes.h"
#include "stats.h"
#include "vcpu.h"

/* A vCPU leaves KVM_RUN within microseconds of its kick. */
#define READY_PAUSE_TIMEOUT_MS 2000

static struct {
	int fd;        /* the supervisor's descriptor */
	int event_fd;  /* "say ready now", written by attach (--paused) or the ready vCPU */
	bool said;     /* the ready byte went out: the next byte in releases */
	atomic_bool told;  /* 'E' and the status went out */
	const struct machine_hooks *inner;
	struct machine_hooks hooks;
} rd = { .fd = -1, .event_fd = -1 };

static void tell_status(struct machine *m, int status);

/* The supervisor's byte (release) or its end (gone). */
static void on_release(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	char b[16];
	ssize_t n = read(rd.fd, b, sizeof(b));

	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		ev_del(&m->el, rd.fd);
		if (!atomic_load(&m->vm.stopping))
			m->stop_by = "host-ready-fd-closed";
		vm_stop(&m->vm, FLINT_EXIT_INTERRUPTED);
		return;
	}
	if (!rd.said)
		return; /* a release before ready is ignored: the VM is not parked yet */
	atomic_store(&m->prelaunch, false);
	vcpu_resume_all(&m->vm);
}

/* Main thread: park every vCPU (a no-op when they are parked already),
 * then tell the supervisor. */
static void on_ready_event(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	char err[256];
	unsigned char msg[9] = { 'R' };
	uint64_t v, gen;

	(void)events;
	if (read(rd.event_fd, &v, sizeof(v)) != sizeof(v) || rd.said)
		return;
	if (vcpu_pause_all(&m->vm, READY_PAUSE_TIMEOUT_MS, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint: --ready-fd: %s\n", err);
		vm_stop(&m->vm, FLINT_EXIT_VMM);
		return;
	}
	rd.said = true;
	/* The generation id names the VM in the supervisor's log (its stderr
	 * lines); x86-64 is little-endian, as ready_fd.h says. */
	gen = m->vm.stats ? __atomic_load_n(&m->vm.stats->generation, __ATOMIC_RELAXED) : 0;
	memcpy(msg + 1, &gen, sizeof(gen));
	if (write(rd.fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		/* the supervisor is gone: on_release sees the end and stops */
	}
}

/* On the vCPU that called flint_ready() (machine.h: ask main, do not wait). */
static void on_guest_ready(struct machine *m)
{
	uint64_t one = 1;

	if (atomic_exchange(&m->ready_seen, true))
		return;
	atomic_store(&m->vm.pause_wanted, true);
	if (write(rd.event_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: already signalled */
	}
}

static int ready_attach(struct machine *m, char *err, size_t errlen)
{
	uint64_t one = 1;
	int fl;

	if (rd.inner && rd.inner->attach && rd.inner->attach(m, err, errlen) < 0)
		return -1;
	fl = fcntl(rd.fd, F_GETFL);
	if (fl < 0 || fcntl(rd.fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(rd.fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "--ready-fd %d: %s", rd.fd, strerror(errno));
		return -1;
	}
	rd.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rd.event_fd < 0 || ev_add(&m->el, rd.event_fd, EPOLLIN, on_ready_event, m) < 0 ||
	    ev_add(&m->el, rd.fd, EPOLLIN, on_release, m) < 0) {
		snprintf(err, errlen, "--ready-fd %d: %s", rd.fd, strerror(errno));
		return -1;
	}
	/* --paused: the loop's first turn comes after the build, the restore
	 * and the sandbox, with every vCPU parked: ready then. */
	if (m->opts->paused && write(rd.event_fd, &one, sizeof(one)) < 0) {
		snprintf(err, errlen, "--ready-fd: %s", strerror(errno));
		return -1;
	}
	if (!m->opts->paused)
		m->on_guest_ready = on_guest_ready;
	m->on_guest_poweroff = tell_status;
	return 0;
}

static int ready_fds(const struct machine *m, int *fds, int max)
{
	int n = 0;

	if (rd.inner && rd.inner->fds && max > 2)
		n = rd.inner->fds(m, fds, max - 2);
	if (n + 2 > max)
		return n;
	fds[n++] = rd.fd;
	fds[n++] = rd.event_fd;
	return n;
}

static void ready_stopped(struct machine *m)
{
	if (rd.inner && rd.inner->stopped)
		rd.inner->stopped(m);
}

static void ready_detach(struct machine *m)
{
	if (rd.inner && rd.inner->detach)
		rd.inner->detach(m);
}

/*
 * Once: 'E' and the status, in one write (a socket keeps its two bytes
 * together).  As m->on_guest_poweroff, on the vCPU that powered the guest
 * off: the status goes out at once, so the main thread's wake-up, the
 * VM's teardown and the process's exit all stay off the supervisor's
 * answer path.  What the guest wrote and waited for (exit() waits until
 * the device has taken every byte, and the device takes a byte when it is
 * on flint's stdout) is there already.
 */
static void tell_status(struct machine *m, int status)
{
	unsigned char msg[2] = { 'E', (unsigned char)status };

	(void)m;
	if (atomic_exchange(&rd.told, true))
		return;
	if (write(rd.fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
		/* the supervisor is gone, or reads the status from the exit */
	}
}

/* Any other end of the run (a fault, a signal, an error): after teardown. */
static void ready_finished(struct machine *m, int status)
{
	if (rd.inner && rd.inner->finished)
		rd.inner->finished(m, status);
	tell_status(m, status);
}

const struct machine_hooks *ready_fd_hooks(int fd, const struct machine_hooks *inner)
{
	rd.fd = fd;
	rd.inner = inner;
	rd.hooks = (struct machine_hooks){ .attach = ready_attach, .fds = ready_fds,
		.stopped = ready_stopped, .detach = ready_detach, .finished = ready_finished };
	return &rd.hooks;
}
