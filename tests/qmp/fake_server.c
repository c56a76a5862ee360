/*
 * build/tests/qmp_fake_server SOCKET [--vcpus N] [--seccomp MODE]
 *                            [--poweroff-after MS] [--stats]
 *
 * flint's control socket over a VM without KVM, so the QMP path can be
 * tested on machines with no /dev/kvm.  Everything but the guest is
 * flint's own code: vmm/control.c, vmm/qmp.c, the VM operations of
 * vmm/control_vm.c, the pause protocol of vmm/vcpu.c, the event loop, the
 * live exit tables, the sandbox's descriptor and RLIMIT_NOFILE step and
 * the main thread's seccomp filter (default trap: a call outside the
 * policy kills the server with SIGSYS and a message).  What is fake: each
 * "vCPU" thread sleeps 1 ms where a real one would be in KVM_RUN, and
 * counts one exit each time; a kick interrupts the sleep as it would
 * KVM_RUN.  With --poweroff-after MS, vCPU 0 powers the "guest" off (exit
 * status 0) after MS milliseconds.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "flint/boot_abi.h"
#include "uart.h"
#include "control.h"
#include "control_vm.h"
#include "exit_codes.h"
#include "sandbox.h"
#include "stats.h"
#include "vcpu.h"

static struct machine m;
static struct config cfg;
static unsigned poweroff_ms;

static const struct bus_ops no_ops;

static void *fake_vcpu(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	uint64_t start = stats_now_ns();
	sigset_t set;

	__atomic_store_n(&v->tid, (int)gettid(), __ATOMIC_RELAXED);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load(&vm->stopping)) {
		struct timespec t = { 0, 1000000 };

		if (atomic_load(&vm->pause_wanted)) {
			vcpu_park(vm);
			continue;
		}
		/* Where KVM_RUN would be: a kick makes it return early. */
		if (__atomic_exchange_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED))
			continue;
		if (nanosleep(&t, NULL) < 0 && errno == EINTR)
			continue;
		if (vm->stats)
			exit_table_add(&v->exits, v->id ? "mmio write fake" : "pio write fake", 1000);
		if (v->id == 0 && poweroff_ms && stats_now_ns() - start > poweroff_ms * 1000000ull) {
			stats_mark(vm->stats, MARK_POWEROFF);
			vm_stop(vm, 0);
		}
	}
	return NULL;
}

static void on_stop(void *ctx, uint32_t events)
{
	(void)ctx, (void)events;
	m.el.done = true;
}

static void on_signal(void *ctx, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)ctx, (void)events;
	if (read(m.signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (!atomic_load(&m.vm.stopping))
		m.stop_by = "host-signal";
	vm_stop(&m.vm, FLINT_EXIT_INTERRUPTED);
}

static int usage(void)
{
	fprintf(stderr, "usage: qmp_fake_server SOCKET [--vcpus N] [--seccomp kill|trap|log|off] "
		"[--poweroff-after MS] [--stats]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vcpus", required_argument, NULL, 'v' },
		{ "seccomp", required_argument, NULL, 's' },
		{ "poweroff-after", required_argument, NULL, 'p' },
		{ "stats", no_argument, NULL, 'S' },
		{ 0 },
	};
	static struct stats stats;
	enum seccomp_mode mode = SECCOMP_MODE_TRAP;
	unsigned nvcpus = 2;
	bool want_stats = false;
	struct kvm_run *runs;
	char err[512];
	sigset_t set;
	int keep[8], n = 0, c;

	stats_mark(&stats, MARK_MAIN);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'v')
			nvcpus = (unsigned)atoi(optarg);
		else if (c == 's' && seccomp_mode_parse(optarg, &mode) == 0)
			;
		else if (c == 'p')
			poweroff_ms = (unsigned)atoi(optarg);
		else if (c == 'S')
			want_stats = true;
		else
			return usage();
	}
	if (optind + 1 != argc || nvcpus < 1 || nvcpus > 64)
		return usage();
	cfg.control_path = argv[optind];
	m = (struct machine){ .cfg = &cfg, .signal_fd = -1, .tick_fd = -1 };
	m.vm.nvcpus = nvcpus;
	m.vm.stats = want_stats ? &stats : NULL;
	m.vm.pio.name = "pio";
	m.vm.mmio.name = "mmio";
	vm_pause_init(&m.vm);
	pthread_mutex_init(&m.vm.coalesced_lock, NULL);
	/* The regions a flint VM has (vmm/console.c, poweroff.c), named and
	 * placed as there, for x-flint-query-devices. */
	bus_register(&m.vm.pio, FLINT_POWEROFF_PORT, 4, "poweroff", &no_ops, NULL);
	bus_register(&m.vm.pio, FLINT_UART_PIO_BASE, 8, "uart", &no_ops, NULL);
	bus_register(&m.vm.mmio, FLINT_UART_MMIO_GPA, 8, "uart", &no_ops, NULL);
	bus_register(&m.vm.mmio, FLINT_UART_MMIO_GPA + FLINT_UART_EXT_ID, UART_EXT_WINDOW, "uart buffer",
		     &no_ops, NULL);
	m.vm.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	m.signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ev_init(&m.el) < 0 || m.vm.stop_fd < 0 || m.signal_fd < 0 ||
	    ev_add(&m.el, m.vm.stop_fd, EPOLLIN, on_stop, NULL) < 0 ||
	    ev_add(&m.el, m.signal_fd, EPOLLIN, on_signal, NULL) < 0 ||
	    vcpu_init_signals(err, sizeof(err)) < 0) {
		perror("qmp_fake_server: set-up");
		return 1;
	}
	if (control_vm_hooks.attach(&m, err, sizeof(err)) < 0) {
		fprintf(stderr, "qmp_fake_server: %s\n", err);
		return 2;
	}
	m.vm.vcpus = calloc(nvcpus, sizeof(*m.vm.vcpus));
	runs = calloc(nvcpus, sizeof(*runs));
	for (unsigned i = 0; i < nvcpus; i++) {
		struct vcpu *v = &m.vm.vcpus[i];

		*v = (struct vcpu){ .vm = &m.vm, .id = i, .fd = -1, .run = &runs[i] };
		if (pthread_create(&v->thread, NULL, fake_vcpu, v) != 0) {
			perror("qmp_fake_server: pthread_create");
			return 1;
		}
		v->thread_started = true;
	}
	stats_mark(&stats, MARK_VM_READY);
	/* As run.c: descriptors kept, RLIMIT_NOFILE = highest + 1, then the
	 * main role's filter on this thread (the fake vCPUs stay unfiltered:
	 * they are not flint's). */
	keep[n++] = m.el.epfd;
	keep[n++] = m.vm.stop_fd;
	keep[n++] = m.signal_fd;
	n += control_vm_hooks.fds(&m, keep + n, 8 - n);
	if (sandbox_drop_privileges(keep, (size_t)n, err, sizeof(err)) < 0 ||
	    seccomp_install(SANDBOX_ROLE_MAIN, 0, mode, err, sizeof(err)) < 0) {
		fprintf(stderr, "qmp_fake_server: %s\n", err);
		return 1;
	}
	fprintf(stderr, "qmp_fake_server: serving %s\n", cfg.control_path);
	if (ev_run(&m.el) < 0)
		perror("qmp_fake_server: event loop");
	control_vm_hooks.stopped(&m);
	vcpu_resume_all(&m.vm);
	for (unsigned i = 0; i < nvcpus; i++)
		vcpu_kick(&m.vm.vcpus[i]);
	for (unsigned i = 0; i < nvcpus; i++)
		vcpu_join(&m.vm.vcpus[i]);
	control_vm_hooks.detach(&m);
	return m.vm.exit_status;
}
