#define _GNU_SOURCE
/*
 * The floor a restore is measured against (tests/bench/snapshot.sh): a
 * fresh process that creates an empty VM (memory slot of argv[1] MiB,
 * default 128, one vCPU) and runs its first guest instruction, a hlt at
 * guest physical 0 in real mode, then exits.  Nothing of flint's.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t mem = (size_t)(argc > 1 ? strtoul(argv[1], NULL, 0) : 128) << 20;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, cpu, sz;
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = mem };
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	struct kvm_run *run;
	unsigned char *ram;

	if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0) {
		perror("vm_floor: KVM_CREATE_VM");
		return 1;
	}
	ram = mmap(NULL, mem, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		return 1;
	ram[0] = 0xf4; /* hlt */
	r.userspace_addr = (unsigned long)ram;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0 || (cpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    (sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0) {
		perror("vm_floor: set-up");
		return 1;
	}
	run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED || ioctl(cpu, KVM_GET_SREGS, &s) < 0)
		return 1;
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0)
		return 1;
	while (ioctl(cpu, KVM_RUN, 0) < 0)
		;
	if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "vm_floor: exit reason %u, expected hlt\n", run->exit_reason);
		return 1;
	}
	return 0;
}
