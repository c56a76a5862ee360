/*
 * Run: a built machine (builder.h) goes into its sandbox, its vCPUs start
 * (parked before their first instruction with --paused), the event loop
 * serves it until it stops, and it is torn down.
 */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "builder.h"
#include "exit_codes.h"
#include "machine.h"
#include "restore_door.h"
#include "sandbox.h"
#include "teardown.h"

/* Descriptors the front end may keep through the sandbox (the control
 * socket and its janitor pipe). */
#define RUN_HOOK_FDS_MAX 6
#include "vcpu.h"

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

	/* A restored vCPU loads its saved state here, on its own thread and
	 * before its filter (which allows no KVM_SET_*). */
	if (m->restore && restore_vcpu(m, v) < 0) {
		m->sandbox_failed = true;
		pthread_barrier_wait(&m->filters_installed);
		pthread_barrier_wait(&m->go);
		return FLINT_EXIT_USAGE;
	}
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
	const char *key;
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
	if (sandbox_jail_enter(j, &key, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec_where(m->cfg, "sandbox", key, 0), why);
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
	/* Room for the helper's pidfd and the front end's. */
	grown = realloc(keep, (n + 1 + RUN_HOOK_FDS_MAX) * sizeof(*keep));
	if (!grown) {
		free(keep);
		snprintf(err, errlen, "sandbox: out of memory");
		return -1;
	}
	keep = grown;
	if (helper_pidfd >= 0)
		keep[n++] = helper_pidfd;
	if (m->opts->hooks && m->opts->hooks->fds)
		n += (size_t)m->opts->hooks->fds(m, keep + n, RUN_HOOK_FDS_MAX);
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

	/* --paused: each vCPU parks at the top of its loop, before KVM_RUN
	 * has run a guest instruction; QMP cont releases them. */
	if (m->opts->paused) {
		atomic_store(&m->prelaunch, true);
		atomic_store(&vm->pause_wanted, true);
	}
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
	/* Every vCPU has loaded its state and none has run: the info page
	 * gets its new generation now. */
	if (m->restore && restore_finish(m, err, errlen) < 0) {
		*status = FLINT_EXIT_USAGE;
		m->sandbox_failed = true;
	} else if (sandbox_forbid_new_processes(err, errlen) < 0 ||
	    seccomp_install(SANDBOX_ROLE_MAIN, 0, m->cfg->seccomp, err, errlen) < 0)
		m->sandbox_failed = true;
	failed = m->sandbox_failed;
	pthread_barrier_wait(&m->go);
	if (failed && !err[0])
		snprintf(err, errlen, "could not confine the vCPU threads");
	return failed ? -1 : 0;
}

static void teardown(struct machine *m)
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
	guest_marks(m, m->stats_gpa);
	for (int i = m->ndev - 1; i >= 0; i--)
		if (m->dev[i].mod->stop)
			m->dev[i].mod->stop(m->dev[i].state);
	m->ndev = 0;
	/* Now, not with the VM: control clients see the end of the run at
	 * once, and the socket's path goes (vmm/control/control.h). */
	if (m->opts->hooks && m->opts->hooks->detach)
		m->opts->hooks->detach(m);
	/* The VM's memory and descriptors are the teardown helper's to free
	 * when the monitor has exited (vmm/machine/teardown.h): releasing them here
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

int machine_status(struct machine *m, int status)
{
	/* Lost console output must not pass for success (README, "Exit status"). */
	if (status == 0 && atomic_load(&m->output_lost))
		return FLINT_EXIT_OUTPUT_LOST;
	return status;
}

int flint_run(const struct flint_spec *cfg, const struct machine_options *opts, struct stats *stats)
{
	static struct machine m; /* large (command-line buffer), and one per process */
	char err[1024] = "";
	int status = FLINT_EXIT_VMM, rc;

	machine_init(&m, cfg, opts, stats);
	rc = opts->restore ? machine_restore(&m, opts->restore, &status, err, sizeof(err)) :
			     machine_boot(&m, &status, err, sizeof(err));
	if (rc < 0)
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
	if (opts->hooks && opts->hooks->stopped)
		opts->hooks->stopped(&m);
	teardown(&m);
	status = machine_status(&m, status);
	if (opts->hooks && opts->hooks->finished)
		opts->hooks->finished(&m, status);
	return status;
}
