/*
 * What QMP's commands do to a flint VM (struct qmp_vm_ops).  Everything
 * runs on the main thread from the event loop; the vCPUs are reached only
 * through vcpu_pause_all/vcpu_resume_all and their lock-free exit tables.
 */
#include "control_vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "exit_codes.h"
#include "save_helper.h"
#include "snapshot_save.h"
#include "stats_json.h"
#include "vcpu.h"

/* A vCPU leaves KVM_RUN within microseconds of its kick; this only bounds
 * the wait if one is stuck in the kernel. */
#define PAUSE_TIMEOUT_MS 2000

static enum qmp_vm_state vm_status(void *ctx)
{
	struct machine *m = ctx;

	if (atomic_load(&m->vm.stopping))
		return QMP_VM_SHUTDOWN;
	if (atomic_load(&m->prelaunch))
		return QMP_VM_PRELAUNCH;
	return atomic_load(&m->vm.pause_wanted) ? QMP_VM_PAUSED : QMP_VM_RUNNING;
}

static int vm_pause(void *ctx, char *err, size_t errlen)
{
	struct machine *m = ctx;

	return vcpu_pause_all(&m->vm, PAUSE_TIMEOUT_MS, err, errlen);
}

static int vm_resume(void *ctx, char *err, size_t errlen)
{
	struct machine *m = ctx;

	(void)err, (void)errlen;
	atomic_store(&m->prelaunch, false);
	vcpu_resume_all(&m->vm);
	return 0;
}

/* Status 130, as for SIGTERM: the VM was stopped from outside, the guest
 * chose no status (README "Exit status"). */
static void vm_quit(void *ctx)
{
	struct machine *m = ctx;

	/* Said on stderr as a signal is (run.c): the status alone (130) does
	 * not tell a user who stopped the VM. */
	if (!atomic_load(&m->vm.stopping)) {
		m->stop_by = "host-qmp-quit";
		fprintf(stderr, "flint: quit on the control socket: stopping the VM\n");
	}
	vm_stop(&m->vm, FLINT_EXIT_INTERRUPTED);
}

static json_t *vm_cpus(void *ctx, char *err, size_t errlen)
{
	struct machine *m = ctx;
	json_t *list = json_array();
	char path[48];

	(void)err, (void)errlen;
	for (unsigned i = 0; i < m->vm.nvcpus; i++) {
		/* Flint has no QOM tree; the path only has to be unique. */
		snprintf(path, sizeof(path), "/flint/vcpu[%u]", i);
		json_array_append_new(list, json_pack("{s:i,s:s,s:i,s:s}", "cpu-index", (int)i,
			"qom-path", path, "thread-id",
			__atomic_load_n(&m->vm.vcpus[i].tid, __ATOMIC_RELAXED), "target", "x86_64"));
	}
	return list;
}

static json_t *vm_stats(void *ctx, char *err, size_t errlen)
{
	struct machine *m = ctx;
	struct pause_summary pause;
	struct exit_table *live;
	json_t *r;

	if (!m->vm.stats) {
		/* flint run always counts (main.c); only a caller that passed
		 * no stats record gets here. */
		snprintf(err, errlen, "statistics are off in this monitor");
		return NULL;
	}
	live = calloc(1, sizeof(*live));
	if (!live) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < m->vm.nvcpus; i++)
		exit_table_snapshot(live, &m->vm.vcpus[i].exits);
	vcpu_pause_summary(&m->vm, &pause);
	r = stats_json(m->vm.stats, live, &pause);
	free(live);
	return r;
}

/* Devices as the guest sees them: every region on the two buses. */
static json_t *vm_devices(void *ctx, char *err, size_t errlen)
{
	struct machine *m = ctx;
	const struct bus *buses[] = { &m->vm.pio, &m->vm.mmio };
	json_t *list = json_array();

	(void)err, (void)errlen;
	for (size_t b = 0; b < 2; b++)
		for (int i = 0; i < buses[b]->n; i++) {
			const struct bus_region *r = &buses[b]->r[i];

			json_array_append_new(list, json_pack("{s:s,s:s,s:I,s:I}", "name", r->name,
				"bus", b ? "mmio" : "pio", "base", (json_int_t)r->base, "size",
				(json_int_t)r->len));
		}
	return list;
}

/* The file comes from the save helper: flint itself opens nothing once
 * the guest runs (vmm/save_helper.h). */
static int vm_snapshot_save(void *ctx, const char *path, char *err, size_t errlen)
{
	struct machine *m = ctx;
	char why[512];
	int fd = save_helper_create(m->saver, path, err, errlen), rc;

	if (fd < 0)
		return -1;
	rc = snapshot_save(m, fd, NULL, why, sizeof(why));
	close(fd);
	if (rc < 0)
		snprintf(err, errlen, "'%s': %s (the file is incomplete: remove it)", path, why);
	return rc;
}

/* A descriptor a client passed (getfd): snap_write checks that it is an
 * empty regular file open for writing. */
static int vm_snapshot_save_fd(void *ctx, int fd, char *err, size_t errlen)
{
	return snapshot_save(ctx, fd, NULL, err, errlen);
}

static const struct qmp_vm_ops vm_ops = {
	.status = vm_status, .pause = vm_pause, .resume = vm_resume, .quit = vm_quit,
	.cpus = vm_cpus, .stats = vm_stats, .devices = vm_devices, .snapshot_save = vm_snapshot_save,
	.snapshot_save_fd = vm_snapshot_save_fd,
};

static int control_vm_open(struct machine *m, char *err, size_t errlen)
{
	char why[512];

	if (!m->cfg->control_path)
		return 0;
	/* Before the jail: the helper keeps the host's view of paths. */
	m->saver = save_helper_start(&m->cfg->jail, m->cfg->seccomp, err, errlen);
	if (!m->saver)
		return -1;
	m->ctl = control_open(m->cfg->control_path, &m->el, &vm_ops, m, why, sizeof(why));
	if (m->ctl)
		return 0;
	/* The path's own errors say where it was configured; the host's
	 * (socket, fork) are not the configuration's. */
	if (!strncmp(why, "[control]", 9))
		snprintf(err, errlen, "%s: %s", spec_where(m->cfg, "control", "socket", 0), why);
	else
		snprintf(err, errlen, "%s", why);
	return -1;
}

static int control_vm_fds(const struct machine *m, int *fds, int max)
{
	int n = m->ctl ? control_fds(m->ctl, fds, max - 1) : 0;

	if (m->saver)
		fds[n++] = save_helper_fd(m->saver);
	return n;
}

static void control_vm_stopped(struct machine *m)
{
	if (!m->ctl)
		return;
	if (m->stop_by)
		control_shutdown(m->ctl, false, m->stop_by);
	else if (m->vm.exit_status == FLINT_EXIT_VMM)
		control_shutdown(m->ctl, false, "host-error");
	else
		control_shutdown(m->ctl, true, "guest-shutdown");
}

static void control_vm_close(struct machine *m)
{
	control_close(m->ctl);
	m->ctl = NULL;
	save_helper_stop(m->saver);
	m->saver = NULL;
}

const struct machine_hooks control_vm_hooks = {
	.attach = control_vm_open,
	.fds = control_vm_fds,
	.stopped = control_vm_stopped,
	.detach = control_vm_close,
};
