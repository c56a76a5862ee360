#ifndef FLINT_CPUID_H
#define FLINT_CPUID_H

#include <linux/kvm.h>

/* Sets the CPUID a vCPU shows: what KVM supports, with this vCPU's APIC ID
 * and the hypervisor bit.  Leaves `supported` untouched. */
int cpuid_set_vcpu(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned apic_id);

#endif
