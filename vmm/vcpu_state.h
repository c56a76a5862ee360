/*
 * Saving and loading what KVM keeps for a vCPU, and for the VM around it,
 * as state records (hw/state.h) a snapshot file carries.
 *
 * A vCPU record is a list of sections, each a tag, a length and KVM's own
 * structure (x86-64, little-endian): regs, sregs2 (or sregs), XSAVE (or
 * FPU), XCRs, MSRs (index/value pairs), LAPIC, MP state, vCPU events,
 * debug registers.  Load checks every length against this build's
 * structure and this host's XSAVE size, so a record from another layout
 * is refused rather than misread.
 *
 * Threads: save runs on the vCPU's own thread while it is parked outside
 * KVM_RUN (vcpu_park): it first completes any in-flight PIO/MMIO with a
 * KVM_RUN whose immediate_exit is set (the KVM API: the emulation of an
 * I/O exit finishes only on the next KVM_RUN), so the saved registers
 * hold the result of a port or MMIO read.  Finishing may take another
 * exit (KVM splits a 16-byte MMIO access in two), which save serves
 * through the device's register handler (vcpu_serve_io): so save every
 * vCPU before any device, and drain the coalesced ring after.  Load runs before the vCPU's
 * first KVM_RUN, on any thread (KVM's vCPU ioctls other than KVM_RUN are
 * not tied to a thread); done before the sandbox, it needs no filter row.
 *
 * Time: the saved TSC is written back at load, so a restored guest's TSC
 * continues from the value it had when saved: it never goes backwards,
 * and the time spent saved does not show in it.  vm_state_* does the
 * same for kvmclock (KVM_GET_CLOCK / KVM_SET_CLOCK).  Exception: a host
 * that cannot offset the guest's TSC (PVM, where the guest reads the
 * host's TSC natively) ignores the write; there the TSC continues with
 * the time spent saved in it, and a load whose host TSC is behind the
 * saved one (the host rebooted) is refused.
 */
#ifndef FLINT_VCPU_STATE_H
#define FLINT_VCPU_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state.h"

struct vcpu;
struct vm;

#define VCPU_STATE_VERSION 1u    /* of vcpu_state_save's record */
#define VM_STATE_VERSION   1u    /* of vm_state_save's record */

/*
 * What this host's KVM offers for vCPU state, asked once before the
 * sandbox (KVM_CHECK_EXTENSION on the VM fd, KVM_GET_MSR_INDEX_LIST on
 * /dev/kvm's), so that save and load never try an ioctl the vCPU's
 * filter does not allow nor an MSR KVM does not save.
 */
struct vcpu_state_caps {
	bool sregs2;              /* KVM_GET/SET_SREGS2 (PDPTRs for PAE guests) */
	bool xsave;               /* KVM_GET/SET_XSAVE; without it, KVM_GET/SET_FPU */
	bool xsave2;              /* KVM_GET_XSAVE2: state larger than 4 KiB */
	uint32_t xsave_size;      /* bytes of XSAVE state (>= 4096 when xsave) */
	bool xcrs;                /* KVM_GET/SET_XCRS */
	bool debugregs;           /* KVM_GET/SET_DEBUGREGS */
	uint64_t msrs;            /* which of vcpu_state.c's MSR list to save (bit i: entry i) */
};
int vcpu_state_caps_probe(int kvm_fd, int vm_fd, struct vcpu_state_caps *c, char *err, size_t errlen);

/*
 * On v's own thread, parked: completes in-flight I/O (KVM_RUN with
 * immediate_exit), then appends v's record to out.  ioctls: KVM_RUN,
 * KVM_GET_REGS, KVM_GET_SREGS2 or KVM_GET_SREGS, KVM_GET_XSAVE2 or
 * KVM_GET_XSAVE or KVM_GET_FPU, KVM_GET_XCRS, KVM_GET_MSRS,
 * KVM_GET_LAPIC, KVM_GET_MP_STATE, KVM_GET_VCPU_EVENTS,
 * KVM_GET_DEBUGREGS.  Returns 0, or -1 with err.
 */
int vcpu_state_save(struct vcpu *v, const struct vcpu_state_caps *c, struct state_out *out,
		    char *err, size_t errlen);

/*
 * Loads a record vcpu_state_save wrote into v, which must not have run
 * yet (created, CPUID set, in a VM with the split irqchip).  The order
 * of the set calls matters and is fixed here (as QEMU's):
 *   regs; XSAVE (or FPU); XCRs; sregs (CR0/CR4/EFER and the APIC base,
 *   before any MSR that depends on them); MSRs but TSC_DEADLINE (the TSC
 *   among them); MP state; LAPIC (after the APIC base); TSC_DEADLINE
 *   (after the LAPIC, whose load resets the timer); vCPU events (last but
 *   for debug registers: pending exceptions and NMIs apply to the state
 *   above); debug registers.
 * Refuses (-1, with a reason in err) a record with a missing, repeated,
 * unknown or wrongly sized section, or one KVM rejects, and refuses to
 * let the guest's TSC go backwards (below).  tsc, when not NULL,
 * receives the guest's TSC read back right after the load (for the info
 * page's wall_tsc, read next to the host clock).
 */
int vcpu_state_load(struct vcpu *v, const struct vcpu_state_caps *c, struct state_in *in,
		    uint64_t *tsc, char *err, size_t errlen);

/*
 * VM-wide state: kvmclock (KVM_GET_CLOCK), saved on any thread while
 * every vCPU is parked (the main thread's filter needs KVM_GET_CLOCK);
 * loaded (KVM_SET_CLOCK) before any vCPU runs.
 */
int vm_state_save(struct vm *vm, struct state_out *out, char *err, size_t errlen);
int vm_state_load(struct vm *vm, struct state_in *in, char *err, size_t errlen);

#endif
