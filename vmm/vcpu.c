#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cpuid.h"
#include "exit_codes.h"
#include "vm.h"

#define MSR_IA32_TSC 0x10

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned id, char *err, size_t errlen)
{
	*v = (struct vcpu){ .vm = vm, .id = id, .fd = -1 };
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VCPU %u: %s", id, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, vm->run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "mmap of vCPU %u's kvm_run: %s", id, strerror(errno));
		return -1;
	}
	/* The coalesced ring is one VM-wide page, visible through every vCPU's
	 * mapping; vCPU 0's is as good as any. */
	if (id == 0 && vm->coalesced_page &&
	    (int)((vm->coalesced_page + 1) * 4096) <= vm->run_mmap_size)
		vm->coalesced = (void *)((char *)v->run + vm->coalesced_page * 4096);
	return 0;
}

int vcpu_set_cpuid(struct vcpu *v, char *err, size_t errlen)
{
	if (cpuid_set_vcpu(v->fd, v->vm->cpuid, v->id) < 0) {
		snprintf(err, errlen, "KVM_SET_CPUID2 for vCPU %u: %s", v->id, strerror(errno));
		return -1;
	}
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, v->vm->run_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int vcpu_set_pvh_entry(struct vcpu *v, uint32_t entry, uint32_t start_info, char *err, size_t errlen)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = entry, .rbx = start_info, .rflags = 0x2 };

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		goto fail;
	data.selector = 0x10;
	data.type = 0x3;
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	/* VM entry checks want a usable busy TSS even though PVH never uses it. */
	s.tr = (struct kvm_segment){ .selector = 0x18, .limit = 0x67, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .limit = 0xffff };
	s.cr0 = 0x11; /* PE | ET */
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0 || ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "setting vCPU %u's PVH entry state: %s", v->id, strerror(errno));
	return -1;
}

void vcpu_join(struct vcpu *v)
{
	if (v->thread_started)
		pthread_join(v->thread, NULL);
	v->thread_started = false;
}

void vcpu_dump_regs(struct vcpu *v, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(f, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	fprintf(f, "  vCPU %u registers:\n"
		"  rip=%016llx rsp=%016llx rflags=%016llx\n"
		"  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
		"  rsi=%016llx rdi=%016llx rbp=%016llx r8 =%016llx\n"
		"  r9 =%016llx r10=%016llx r11=%016llx r12=%016llx\n"
		"  r13=%016llx r14=%016llx r15=%016llx\n"
		"  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%llx\n"
		"  cs=%04x (dpl %u, %s) ss=%04x gdt=%llx/%x idt=%llx/%x tr=%04x\n",
		v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.r8,
		r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		s.cs.selector, s.cs.dpl, s.cs.l ? "64-bit" : s.cs.db ? "32-bit" : "16-bit", s.ss.selector,
		s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit, s.tr.selector);
}

/* Ends the run because the VM cannot go on; says why with the registers. */
__attribute__((format(printf, 2, 3)))
static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "flint: vCPU %u: ", v->id);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	vcpu_dump_regs(v, stderr);
	vm_stop(v->vm, FLINT_EXIT_VMM);
}

static void handle_io(struct vcpu *v, char *reason, size_t rlen)
{
	struct kvm_run *run = v->run;
	const struct bus *pio = &v->vm->pio;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	const struct bus_region *r = NULL;

	/* KVM owns data_offset, but a bad size/count must not walk off the page. */
	if (run->io.data_offset + (uint64_t)run->io.size * run->io.count > (uint64_t)v->vm->run_mmap_size ||
	    run->io.size > 4)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (out)
			bus_write(pio, run->io.port, data, run->io.size);
		else
			bus_read(pio, run->io.port, data, run->io.size);
	}
	if (reason) {
		r = bus_find(pio, run->io.port, run->io.size);
		snprintf(reason, rlen, "pio %s %s", out ? "write" : "read", r ? r->name : "unclaimed");
	}
}

static void handle_mmio(struct vcpu *v, char *reason, size_t rlen)
{
	struct kvm_run *run = v->run;
	const struct bus *mmio = &v->vm->mmio;
	uint32_t len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		bus_write(mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(mmio, run->mmio.phys_addr, run->mmio.data, len);
	if (reason) {
		const struct bus_region *r = bus_find(mmio, run->mmio.phys_addr, len);

		snprintf(reason, rlen, "mmio %s %s", run->mmio.is_write ? "write" : "read",
			 r ? r->name : "unclaimed");
	}
}

bool vcpu_serve_io(struct vcpu *v)
{
	vm_drain_coalesced(v->vm);
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v, NULL, 0);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(v, NULL, 0);
		return true;
	}
	return false;
}

/* Reads the guest's TSC next to the host clock, once, for --stats. */
static void correlate_tsc(struct vcpu *v)
{
	struct stats *s = v->vm->stats;
	/* struct kvm_msrs ends in a flexible array: room for one entry, as a
	 * union so neither gcc nor clang sees a variable-sized member mid-struct. */
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} m = { .hdr.nmsrs = 1 };
	uint64_t before, after;
	int khz;

	m.hdr.entries[0].index = MSR_IA32_TSC;
	before = stats_now_ns();
	if (ioctl(v->fd, KVM_GET_MSRS, &m) != 1)
		return;
	after = stats_now_ns();
	khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return;
	s->guest_tsc0 = m.hdr.entries[0].data;
	s->guest_tsc0_ns = before + (after - before) / 2;
	s->tsc_khz = (uint32_t)khz;
}

static void run_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	char reason[40];
	bool timing = vm->stats != NULL;

	if (timing && v->id == 0) {
		correlate_tsc(v);
		stats_mark(vm->stats, MARK_FIRST_RUN);
	}
	while (!atomic_load(&vm->stopping)) {
		uint64_t t0 = 0;
		const char *why = NULL;

		if (atomic_load(&vm->pause_wanted)) {
			vcpu_park_as(vm, v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* kicked, or an AP woken by SIPI asks to be re-run */
				__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			vcpu_fail(v, "KVM_RUN: %s", strerror(errno));
			return;
		}
		if (timing)
			t0 = stats_now_ns();
		/* Batched writes happened before this exit: replay them first. */
		vm_drain_coalesced(vm);
		reason[0] = 0;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v, timing ? reason : NULL, sizeof(reason));
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(v, timing ? reason : NULL, sizeof(reason));
			break;
		case KVM_EXIT_HLT:
			why = "hlt";
			break;
		case KVM_EXIT_INTR:
			why = "signal";
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			why = "irq window";
			break;
		case KVM_EXIT_IOAPIC_EOI:
			why = "ioapic eoi";
			break;
		case KVM_EXIT_SHUTDOWN:
			vcpu_fail(v, "guest shut down the CPU (triple fault: an exception it could not handle)");
			return;
		case KVM_EXIT_FAIL_ENTRY:
			vcpu_fail(v, "KVM could not enter the guest (hardware reason 0x%llx, cpu %u)",
				  (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				  run->fail_entry.cpu);
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			vcpu_fail(v, "KVM internal error (suberror %u: %s)", run->internal.suberror,
				  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				  "an instruction KVM cannot emulate" : "see the KVM API documentation");
			return;
		case KVM_EXIT_SYSTEM_EVENT:
			fprintf(stderr, "flint: vCPU %u: guest requested %s\n", v->id,
				run->system_event.type == KVM_SYSTEM_EVENT_RESET ? "a reset (not supported: stopping)" : "power-off");
			vm_stop(vm, 0);
			return;
		default:
			vcpu_fail(v, "unexpected exit reason %u", run->exit_reason);
			return;
		}
		if (timing)
			exit_table_add(&v->exits, why ? why : reason, stats_now_ns() - t0);
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];
	sigset_t set;
	int rc;

	/* Named from inside: pthread_setname_np from outside opens /proc. */
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	prctl(PR_SET_NAME, name);
	__atomic_store_n(&v->tid, (int)gettid(), __ATOMIC_RELAXED); /* query-cpus-fast */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (v->before_run && (rc = v->before_run(v, v->before_run_ctx)) != 0) {
		vm_stop(v->vm, rc);
		return NULL;
	}
	run_loop(v);
	return NULL;
}

int vcpu_start(struct vcpu *v, char *err, size_t errlen)
{
	int rc = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (rc) {
		snprintf(err, errlen, "starting vCPU %u's thread: %s", v->id, strerror(rc));
		return -1;
	}
	v->thread_started = true;
	return 0;
}
