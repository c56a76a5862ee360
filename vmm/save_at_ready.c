/* --save-at-ready (save_at_ready.h). */
#include "save_at_ready.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "exit_codes.h"
#include "snapshot_save.h"
#include "vcpu.h"

/* A vCPU leaves KVM_RUN within microseconds of its kick. */
#define READY_PAUSE_TIMEOUT_MS 2000

static const char *ready_path;

/*
 * On the vCPU that wrote the ready register, out of KVM_RUN: it parks at
 * the top of its loop once this returns (pause_wanted), right after the
 * write, so the snapshot resumes just past flint_ready().  The other
 * vCPUs are the main thread's to stop (vcpu_pause_all); a vCPU must not
 * wait here for them.
 */
static void on_ready(struct machine *m)
{
	uint64_t one = 1;

	if (atomic_exchange(&m->ready_seen, true))
		return;
	atomic_store(&m->vm.pause_wanted, true);
	if (write(m->ready_fd, &one, sizeof(one)) < 0) {
		/* an eventfd write fails only on overflow: already signalled */
	}
}

static void on_ready_event(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	struct snap_write_stats st;
	char err[512];
	uint64_t v;
	int status = 0;

	(void)events;
	if (read(m->ready_fd, &v, sizeof(v)) != sizeof(v))
		return;
	if (vcpu_pause_all(&m->vm, READY_PAUSE_TIMEOUT_MS, err, sizeof(err)) < 0 ||
	    snapshot_save(m, m->ready_file_fd, &st, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint: --save-at-ready %s: %s (the file is incomplete: remove it)\n",
			ready_path, err);
		status = FLINT_EXIT_VMM;
	}
	close(m->ready_file_fd);
	m->ready_file_fd = -1;
	vm_stop(&m->vm, status);
}

int save_at_ready_arm(struct machine *m, const char *path, char *err, size_t errlen)
{
	ready_path = path;
	m->ready_file_fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (m->ready_file_fd < 0) {
		snprintf(err, errlen, "--save-at-ready %s: %s%s", path, strerror(errno),
			 errno == EEXIST ? ": a snapshot is only ever written to a new file" : "");
		return -1;
	}
	/* Created before the jail, as flint's starting user: give it to the
	 * user the VM runs as, as the save helper's files are. */
	if ((m->cfg->jail.set_uid || m->cfg->jail.set_gid) &&
	    fchown(m->ready_file_fd, m->cfg->jail.set_uid ? m->cfg->jail.uid : (uid_t)-1,
		   m->cfg->jail.set_gid ? m->cfg->jail.gid : (gid_t)-1) < 0) {
		snprintf(err, errlen, "--save-at-ready %s: cannot give it to [sandbox] uid/gid: %s", path,
			 strerror(errno));
		return -1;
	}
	m->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->ready_fd < 0 || ev_add(&m->el, m->ready_fd, EPOLLIN, on_ready_event, m) < 0) {
		snprintf(err, errlen, "--save-at-ready: %s", strerror(errno));
		return -1;
	}
	m->on_guest_ready = on_ready;
	return 0;
}
