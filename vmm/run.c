#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "boot_info.h"
#include "control.h"
#include "control_vm.h"
#include "exit_codes.h"
#include "loader_initrd.h"
#include "loader_pvh.h"
#include "machine.h"
#include "pv.h"
#include "sandbox.h"
#include "teardown.h"
#include "vcpu.h"

int machine_add_param(struct machine *m, const char *fmt, ...)
{
	size_t room = sizeof(m->params) - m->params_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->params + m->params_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= room) {
		m->params[m->params_len] = 0;
		return -1;
	}
	m->params_len += n;
	m->params[m->params_len++] = ' ';
	m->params[m->params_len] = 0;
	return 0;
}

static void on_stop(void *ctx, uint32_t events)
{
	struct machine *m = ctx;

	(void)events;
	m->el.done = true;
}

static void on_tick(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	uint64_t expirations;

	(void)events;
	if (read(m->tick_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	machine_tick(m); /* vmm/tick.c: stops the timer when nothing needs it */
}

static void on_signal(void *ctx, uint32_t events)
{
	struct machine *m = ctx;
	struct signalfd_siginfo si;

	(void)events;
	if (read(m->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	fprintf(stderr, "flint: %s: stopping the VM\n", strsignal((int)si.ssi_signo));
	if (!atomic_load(&m->vm.stopping))
		m->stop_by = "host-signal";
	vm_stop(&m->vm, FLINT_EXIT_INTERRUPTED);
}

/* The event loop's own descriptors: stop, tick, termination signals. */
static int loop_setup(struct machine *m, char *err, size_t errlen)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits it and
	 * the signals arrive only through signalfd. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	m->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->signal_fd < 0 || m->tick_fd < 0 ||
	    ev_add_urgent(&m->el, m->vm.stop_fd, EPOLLIN, on_stop, m) < 0 ||
	    ev_add(&m->el, m->tick_fd, EPOLLIN, on_tick, m) < 0 ||
	    ev_add_urgent(&m->el, m->signal_fd, EPOLLIN, on_signal, m) < 0) {
		snprintf(err, errlen, "setting up the event loop: %s", strerror(errno));
		return -1;
	}
	/* The first tick sees what the devices need and stops if nothing. */
	machine_want_tick(m);
	return 0;
}

static int devices_setup(struct machine *m, char *err, size_t errlen)
{
	for (int i = 0; device_modules[i]; i++) {
		void *state;

		if (m->ndev == MACHINE_MAX_DEVICES) {
			snprintf(err, errlen, "too many devices");
			return -1;
		}
		state = device_modules[i]->setup(m, err, errlen);
		if (!state)
			return -1;
		m->dev[m->ndev].mod = device_modules[i];
		m->dev[m->ndev].state = state;
		m->ndev++;
	}
	return 0;
}

/* The guest's command line: the devices' parameters, then the user's. */
static int cmdline_setup(struct machine *m, char *err, size_t errlen)
{
	char cmdline[FLINT_CMDLINE_SIZE];
	int n;

	n = snprintf(cmdline, sizeof(cmdline), "%s%s", m->params, m->cfg->cmdline ? m->cfg->cmdline : "");
	if (n < 0 || (size_t)n >= sizeof(cmdline)) {
		snprintf(err, errlen, "%s: [kernel] cmdline: too long with the monitor's %zu bytes of "
			 "parameters (the limit is %llu bytes)", m->cfg->source, m->params_len,
			 (unsigned long long)FLINT_CMDLINE_SIZE - 1);
		return -1;
	}
	return boot_info_write(&m->vm.mem, cmdline, err, errlen);
}

/* Places the guest's own TSC stamps on the host timeline. */
static void guest_marks(struct machine *m, uint64_t stats_gpa)
{
	struct stats *s = m->vm.stats;
	const struct flint_boot_stats *g;

	if (!s || !stats_gpa)
		return;
	g = guest_ptr(&m->vm.mem, stats_gpa, sizeof(*g));
	if (!g || g->magic != FLINT_BOOT_STATS_MAGIC)
		return;
	/* Guest-written: stats_guest_marks checks every value. */
	stats_guest_marks(s, (const uint64_t[3]){ g->tsc_entry, g->tsc_main, g->tsc_exit },
			  stats_now_ns());
}

static int vcpus_setup(struct machine *m, const struct pvh_image *img, char *err, size_t errlen)
{
	struct vm *vm = &m->vm;

	vm->vcpus = calloc(vm->nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vcpu_create(vm, &vm->vcpus[i], i, err, errlen) < 0)
			return -1;
	if (vm_wait_cpuid(vm, err, errlen) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vcpu_set_cpuid(&vm->vcpus[i], err, errlen) < 0)
			return -1;
	/* Only the boot CPU starts at the kernel; the others wait in KVM for
	 * the guest's INIT/SIPI, as on real hardware. */
	return vcpu_set_pvh_entry(&vm->vcpus[0], img->entry32, FLINT_START_INFO_GPA, err, errlen);
}

/*
 * KVM (seen on Linux 6.18) starts a worker thread for the VM, NX huge page
 * recovery, at its first KVM_RUN: a child of the calling thread, charged
 * to its user.  Once RLIMIT_NPROC is 0 (sandbox_forbid_new_processes) that
 * fails for any user but root, and KVM_RUN answers EAGAIN for ever.  A
 * KVM_RUN with immediate_exit set starts the worker and returns EINTR
 * before the guest runs; on the thread that runs the vCPU afterwards, so
 * KVM does not see the vCPU change threads (which waits for an RCU grace
 * period).
 */
static int kvm_start_worker(struct vcpu *v)
{
	int rc;

	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELAXED);
	rc = ioctl(v->fd, KVM_RUN, 0);
	__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
	if (rc < 0 && errno == EINTR)
		return 0;
	fprintf(stderr, "flint: vCPU %u: KVM_RUN before the guest starts: %s\n", v->id,
		rc == 0 ? "ran the guest" : errno == EAGAIN ?
		"KVM could not start its worker thread (is the user at its process limit?)" :
		strerror(errno));
	return -1;
}

/* Runs on each vCPU thread before its first KVM_RUN. */
static int vcpu_sandbox(struct vcpu *v, void *ctx)
{
	struct machine *m = ctx;
	const struct sandbox_jail *j = &m->cfg->jail;
	char err[256];

	/* Root is exempt from RLIMIT_NPROC: only a VM running as another user
	 * (flint's own, or [sandbox] uid) needs this, and before main sets the
	 * limit, which waits for this thread's filter. */
	if (v->id == 0 && (j->set_uid ? j->uid : geteuid()) != 0 && kvm_start_worker(v) < 0)
		m->sandbox_failed = true;
	else if (seccomp_install(SANDBOX_ROLE_VCPU, v->id, m->cfg->seccomp, err, sizeof(err)) < 0) {
		fprintf(stderr, "flint: vCPU %u: %s\n", v->id, err);
		m->sandbox_failed = true;
	}
	pthread_barrier_wait(&m->filters_installed);
	pthread_barrier_wait(&m->go);
	return m->sandbox_failed ? FLINT_EXIT_VMM : 0;
}

/* [sandbox] namespaces, chroot, uid and gid, when any is set. */
static int jail_enter(struct machine *m, char *err, size_t errlen)
{
	const struct sandbox_jail *j = &m->cfg->jail;
	char why[512];

	if (!j->namespaces && !j->root && !j->set_uid && !j->set_gid)
		return 0;
	/* A thread alive now would keep the host's root and mounts and,
	 * with glibc, be switched to the new user behind our back.  The
	 * CPUID query is the only thread set-up starts, and vcpus_setup()
	 * has joined it. */
	if (m->vm.cpuid_pending) {
		snprintf(err, errlen, "sandbox: a set-up thread is still running (a bug in flint)");
		return -1;
	}
	if (sandbox_jail_enter(j, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", m->cfg->source, why);
		return -1;
	}
	return 0;
}

/*
 * Confines the process before the guest's first instruction: the jail the
 * configuration asks for, descriptors it no longer needs closed,
 * capabilities dropped, then every thread under its role's seccomp filter.
 * Filters stack on the ones a thread inherits, so the vCPU threads start
 * (and install theirs) while main is still unfiltered; main installs its
 * own once they all have, then lets them run.  On failure *status is the
 * exit status: 2 when a [sandbox] key cannot be honoured here (not root,
 * no such directory), the user's to fix like a missing image.
 */
static int sandbox_enter(struct machine *m, int *status, char *err, size_t errlen)
{
	struct vm *vm = &m->vm;
	int *keep, *grown, helper_pidfd;
	size_t n;
	char why[256];
	bool failed;

	/* Before the capabilities go: every step of the jail needs some. */
	if (jail_enter(m, err, errlen) < 0) {
		*status = FLINT_EXIT_USAGE;
		return -1;
	}
	if (machine_fds(m, &keep, &n, err, errlen) < 0)
		return -1;
	helper_pidfd = teardown_helper_prepare(why, sizeof(why));
	/* Room for the helper's pidfd and the control socket's two. */
	grown = realloc(keep, (n + 3) * sizeof(*keep));
	if (!grown) {
		free(keep);
		snprintf(err, errlen, "sandbox: out of memory");
		return -1;
	}
	keep = grown;
	if (helper_pidfd >= 0)
		keep[n++] = helper_pidfd;
	if (m->ctl)
		n += (size_t)control_fds(m->ctl, keep + n, 2);
	failed = sandbox_drop_privileges(keep, n, err, errlen) < 0;
	free(keep);
	if (failed)
		return -1;
	vm->kvm_fd = -1; /* closed: nothing needs /dev/kvm itself any more */
	/* After the jail and the drop, so the helper has neither root nor the
	 * host's mounts; before the process limit, which would refuse it.
	 * Without it the monitor tears the VM down itself, only slower. */
	if (helper_pidfd < 0 || teardown_helper_start(m->cfg->seccomp, why, sizeof(why)) < 0)
		fprintf(stderr, "flint: warning: %s; the VM's teardown stays on the exit path\n", why);

	pthread_barrier_init(&m->filters_installed, NULL, vm->nvcpus + 1);
	pthread_barrier_init(&m->go, NULL, vm->nvcpus + 1);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].before_run = vcpu_sandbox;
		vm->vcpus[i].before_run_ctx = m;
		if (vcpu_start(&vm->vcpus[i], err, errlen) < 0) {
			/* The barrier counts on every vCPU: none can proceed now. */
			fprintf(stderr, "flint: %s\n", err);
			_exit(FLINT_EXIT_VMM);
		}
	}
	pthread_barrier_wait(&m->filters_installed);
	if (sandbox_forbid_new_processes(err, errlen) < 0 ||
	    seccomp_install(SANDBOX_ROLE_MAIN, 0, m->cfg->seccomp, err, errlen) < 0)
		m->sandbox_failed = true;
	failed = m->sandbox_failed;
	pthread_barrier_wait(&m->go);
	if (failed && !err[0])
		snprintf(err, errlen, "could not confine the vCPU threads");
	return failed ? -1 : 0;
}

static void teardown(struct machine *m, uint64_t stats_gpa)
{
	struct vm *vm = &m->vm;

	if (vm->vcpus) {
		vcpu_resume_all(vm); /* a paused vCPU parks outside KVM_RUN */
		for (unsigned i = 0; i < vm->nvcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		for (unsigned i = 0; i < vm->nvcpus; i++) {
			vcpu_join(&vm->vcpus[i]);
			if (vm->stats)
				exit_table_merge(&vm->stats->exits, &vm->vcpus[i].exits);
		}
	}
	if (vm->stats && vm->vcpus)
		vcpu_pause_summary(vm, &vm->stats->pause);
	/* Writes the guest made just before it stopped are still in the ring. */
	vm_drain_coalesced(vm);
	guest_marks(m, stats_gpa);
	for (int i = m->ndev - 1; i >= 0; i--)
		if (m->dev[i].mod->stop)
			m->dev[i].mod->stop(m->dev[i].state);
	m->ndev = 0;
	/* Now, not with the VM: control clients see the end of the run at
	 * once, and the socket's path goes (vmm/control.h). */
	control_close(m->ctl);
	m->ctl = NULL;
	/* The VM's memory and descriptors are the teardown helper's to free
	 * when the monitor has exited (vmm/teardown.h): releasing them here
	 * would put KVM's teardown back on the exit path. */
	if (teardown_helper_running())
		return;
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nvcpus; i++)
			if (vm->vcpus[i].vm)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
		vm->vcpus = NULL;
	}
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	if (m->tick_fd >= 0)
		close(m->tick_fd);
	ev_fini(&m->el);
	vm_destroy(vm);
}

int flint_run(const struct config *cfg, struct stats *stats)
{
	static struct machine m; /* large (command-line buffer), and one per process */
	struct pvh_image img = { 0 };
	struct initrd_image initrd = { 0 };
	char err[1024] = "";
	int status = FLINT_EXIT_VMM, rc;

	m = (struct machine){ .cfg = cfg, .signal_fd = -1, .tick_fd = -1, .el = { .epfd = -1, .urgent_epfd = -1 } };
	if ((rc = vm_create(&m.vm, cfg->memory, cfg->vcpus, err, sizeof(err))) < 0) {
		if (rc == VM_ERR_CONFIG)
			status = FLINT_EXIT_USAGE;
		goto out;
	}
	m.vm.stats = stats;
	if (ev_init(&m.el) < 0) {
		snprintf(err, sizeof(err), "epoll_create1: %s", strerror(errno));
		goto out;
	}
	/* Errors in the kernel file, the images and the command line are the
	 * user's to fix (status 2); the kernel goes first so they fail fast. */
	if (pvh_load(&m.vm.mem, cfg->kernel_path, &img, err, sizeof(err)) < 0 ||
	    (cfg->initrd_path && initrd_load(&m.vm.mem, cfg->initrd_path, cfg->initrd_where, img.hi,
					     true, &initrd, err, sizeof(err)) < 0)) {
		status = FLINT_EXIT_USAGE;
		goto out;
	}
	if (loop_setup(&m, err, sizeof(err)) < 0)
		goto out;
	/* Before the sandbox, which allows no socket or path call. */
	if (cfg->control_path && control_vm_open(&m, err, sizeof(err)) < 0) {
		status = FLINT_EXIT_USAGE;
		goto out;
	}
	if (devices_setup(&m, err, sizeof(err)) < 0 || cmdline_setup(&m, err, sizeof(err)) < 0) {
		status = FLINT_EXIT_USAGE;
		goto out;
	}
	if (initrd.size && initrd_announce(&m.vm.mem, &initrd, err, sizeof(err)) < 0)
		goto out;
	if (vm_commit_irqs(&m.vm, err, sizeof(err)) < 0 || vm_commit_coalesced(&m.vm, err, sizeof(err)) < 0)
		goto out;
	if (vcpus_setup(&m, &img, err, sizeof(err)) < 0 || vcpu_init_signals(err, sizeof(err)) < 0 ||
	    pv_boot(&m, err, sizeof(err)) < 0)
		goto out;
	stats_mark(stats, MARK_VM_READY);
	if (sandbox_enter(&m, &status, err, sizeof(err)) < 0)
		goto out;
	if (ev_run(&m.el) < 0) {
		snprintf(err, sizeof(err), "event loop: %s", strerror(errno));
		goto out;
	}
	status = m.vm.exit_status;
	err[0] = 0;
out:
	if (err[0]) {
		fprintf(stderr, "flint: %s\n", err);
		if (!atomic_load(&m.vm.stopping))
			m.stop_by = "host-error";
		vm_stop(&m.vm, status);
	}
	control_vm_stopped(&m);
	teardown(&m, img.stats_gpa);
	/* Lost console output must not pass for success (README, "Exit status"). */
	if (status == 0 && atomic_load(&m.output_lost))
		status = FLINT_EXIT_OUTPUT_LOST;
	return status;
}
