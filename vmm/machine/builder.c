/* The builder: the steps both doors share (builder.h). */
#include "builder.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "exit_codes.h"
#include "save_at_ready.h"
#include "vcpu.h"

void machine_init(struct machine *m, const struct flint_spec *cfg, const struct machine_options *opts,
		  struct stats *stats)
{
	*m = (struct machine){
		.cfg = cfg, .opts = opts, .signal_fd = -1, .tick_fd = -1,
		.el = { .epfd = -1, .urgent_epfd = -1 },
		.ready_file_fd = -1, .ready_fd = -1,
		.vm = { .kvm_fd = -1, .vm_fd = -1, .stop_fd = -1, .stats = stats },
	};
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
	machine_tick(m); /* vmm/machine/tick.c: stops the timer when nothing needs it */
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

	if (ev_init(&m->el) < 0) {
		snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
		return -1;
	}
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

int machine_build_vm(struct machine *m, struct vm_backing backing, int *status, char *err, size_t errlen)
{
	struct stats *stats = m->vm.stats;
	int rc;

	backing.hugepages = m->cfg->hugepages == HUGEPAGES_ON;
	rc = vm_create_backed(&m->vm, m->cfg->memory, m->cfg->vcpus, backing, err, errlen);

	m->vm.stats = stats; /* vm_create starts from an empty struct vm */
	if (rc < 0) {
		*status = rc == VM_ERR_CONFIG ? FLINT_EXIT_USAGE : FLINT_EXIT_VMM;
		return -1;
	}
	*status = FLINT_EXIT_VMM;
	return loop_setup(m, err, errlen);
}

int machine_build_devices(struct machine *m, int *status, char *err, size_t errlen)
{
	/* Before the sandbox, which allows no socket or path call. */
	if (m->opts->hooks && m->opts->hooks->attach && m->opts->hooks->attach(m, err, errlen) < 0) {
		*status = FLINT_EXIT_USAGE;
		return -1;
	}
	/* A missing image or tap, an existing snapshot file: the user's to fix. */
	*status = FLINT_EXIT_USAGE;
	if (m->opts->save_at_ready && save_at_ready_arm(m, m->opts->save_at_ready, err, errlen) < 0)
		return -1;
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
	*status = FLINT_EXIT_VMM;
	return 0;
}

int machine_build_vcpus(struct machine *m, char *err, size_t errlen)
{
	struct vm *vm = &m->vm;

	if (vm_commit_irqs(vm, err, errlen) < 0 || vm_commit_coalesced(vm, err, errlen) < 0)
		return -1;
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
	/* Both doors: a save records them, a restore compares; neither can
	 * ask KVM once the sandbox is on (no /dev/kvm descriptor left).  A
	 * run that can do neither skips the ~20 µs. */
	if (machine_can_snapshot(m) && (vcpu_state_caps_probe(vm->kvm_fd, vm->vm_fd, &m->vcpu_caps, err, errlen) < 0 ||
	    snap_host_probe(vm->kvm_fd, vm->vcpus[0].fd, vm->cpuid, &m->host, err, errlen) < 0))
		return -1;
	return vcpu_init_signals(err, errlen);
}
