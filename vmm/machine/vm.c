#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpuid_cache.h"
#include "exit_codes.h"
#include "kvm_access.h"
#include "stats.h"

/* IOAPIC pins KVM reserves routes for when user space owns the IOAPIC. */
#define SPLIT_IRQCHIP_PINS 24

static int check_caps(struct vm *vm, char *err, size_t errlen)
{
	static const struct { int cap; const char *name; } need[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm: API version %d, flint needs %d", v, KVM_API_VERSION);
		return -1;
	}
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			snprintf(err, errlen, "/dev/kvm: this kernel lacks %s, which flint needs", need[i].name);
			return -1;
		}
	v = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	vm->coalesced_page = v > 0 ? (unsigned)v : 0;
	return 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID takes 0.5-1.3 ms on the PVM hosts (each host
 * CPUID it runs is itself an exit to the outer hypervisor), the largest
 * single cost of starting a VM.  Nothing needs the list until the vCPUs
 * are configured, so a thread fetches it while the VM, its memory, the
 * devices and the kernel are set up.
 */
#define CPUID_MAX_ENTRIES 256 /* KVM reports ~60 on current CPUs */

static void *get_cpuid(void *arg)
{
	struct vm *vm = arg;

	/* Allocated by the caller: a first malloc on this thread would make
	 * glibc reserve a 128 MiB arena for it. */
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) < 0) {
		vm->cpuid_errno = errno;
		free(vm->cpuid);
		vm->cpuid = NULL;
	}
	return NULL;
}

/* The list from an earlier run, if the cache holds one for this host;
 * otherwise remembers the key so that vm_wait_cpuid stores KVM's answer. */
static int cpuid_from_cache(struct vm *vm)
{
	char path[4096];

	if (!cpuid_cache_path(path, sizeof(path)))
		return -1;
	vm->cpuid_key = malloc(sizeof(*vm->cpuid_key));
	if (!vm->cpuid_key || cpuid_cache_key(vm->cpuid_key, KVM_API_VERSION) < 0) {
		free(vm->cpuid_key);
		vm->cpuid_key = NULL;
		return -1;
	}
	if (cpuid_cache_load(path, vm->cpuid_key, vm->cpuid, CPUID_MAX_ENTRIES) < 0)
		return -1;
	free(vm->cpuid_key);
	vm->cpuid_key = NULL;
	return 0;
}

int vm_wait_cpuid(struct vm *vm, char *err, size_t errlen)
{
	char path[4096];

	if (vm->cpuid_pending) {
		pthread_join(vm->cpuid_thread, NULL);
		vm->cpuid_pending = false;
	}
	if (!vm->cpuid) {
		snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(vm->cpuid_errno));
		return -1;
	}
	/* Fetched from KVM: keep it for the next run (a failure only costs
	 * that run the query again). */
	if (vm->cpuid_key && cpuid_cache_path(path, sizeof(path)))
		cpuid_cache_store(path, vm->cpuid_key, vm->cpuid);
	free(vm->cpuid_key);
	vm->cpuid_key = NULL;
	return 0;
}

unsigned vm_vcpu_limit(int cap_max_vcpus, int cap_nr_vcpus)
{
	if (cap_max_vcpus > 0)
		return (unsigned)cap_max_vcpus;
	return cap_nr_vcpus > 0 ? (unsigned)cap_nr_vcpus : 4;
}

/* Refused here, with the reason, rather than as a KVM_CREATE_VCPU EINVAL later. */
static int check_vcpus(struct vm *vm, unsigned nvcpus, char *err, size_t errlen)
{
	unsigned limit = vm_vcpu_limit(ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
				       ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));

	if (nvcpus <= limit)
		return 0;
	snprintf(err, errlen, "[machine] vcpus = %u: KVM on this host allows at most %u vCPUs per "
		 "VM (KVM_CAP_MAX_VCPUS); lower [machine] vcpus", nvcpus, limit);
	return VM_ERR_CONFIG;
}

/*
 * Guest RAM in 2 MiB pages (struct vm_backing): aligned to 2 MiB, so that
 * each guest 2 MiB page is one host huge page.  A host without THP (or
 * with it set to never) gives 4 KiB pages: the same memory, just slower.
 */
#define HUGE_BYTES (2ull << 20)

static int map_huge(struct vm *vm, uint64_t memory, char *err, size_t errlen)
{
	size_t len = (size_t)memory + HUGE_BYTES;
	uint8_t *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *mem;
	size_t head;

	if (raw == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %llu MiB of guest memory: %s", (unsigned long long)(memory >> 20),
			 strerror(errno));
		return -1;
	}
	mem = (uint8_t *)(((uintptr_t)raw + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1));
	head = (size_t)(mem - raw);
	if (head)
		munmap(raw, head);
	if (len - head > memory)
		munmap(mem + memory, len - head - memory);
	/* EINVAL: a kernel without THP; the memory works the same in 4 KiB pages. */
	madvise(mem, memory, MADV_HUGEPAGE);
	vm->mem.host = mem;
	vm->mem.size = memory;
	return 0;
}

/*
 * Guest RAM.  NORESERVE: a 3 GiB guest that touches 2 MiB costs 2 MiB.
 * From a file (a snapshot), MAP_PRIVATE: 100 VMs restored from one file
 * share its page-cache copy, and each pays only for the pages it writes.
 */
static int map_memory(struct vm *vm, uint64_t memory, struct vm_backing b, char *err, size_t errlen)
{
	int flags = MAP_PRIVATE | MAP_NORESERVE | (b.fd < 0 ? MAP_ANONYMOUS : 0);

	if (b.fd >= 0 && (b.offset & 4095)) {
		snprintf(err, errlen, "guest memory at file offset 0x%llx: not page-aligned",
			 (unsigned long long)b.offset);
		return -1;
	}
	if (b.hugepages && b.fd < 0)
		return map_huge(vm, memory, err, errlen);
	vm->mem.host = mmap(NULL, memory, PROT_READ | PROT_WRITE, flags, b.fd, b.fd < 0 ? 0 : (off_t)b.offset);
	if (vm->mem.host == MAP_FAILED) {
		vm->mem.host = NULL;
		snprintf(err, errlen, "cannot map %llu MiB of guest memory%s: %s",
			 (unsigned long long)(memory >> 20), b.fd < 0 ? "" : " from the snapshot",
			 strerror(errno));
		return -1;
	}
	vm->mem.size = memory;
	return 0;
}

int vm_create(struct vm *vm, uint64_t memory, unsigned nvcpus, char *err, size_t errlen)
{
	return vm_create_backed(vm, memory, nvcpus, VM_BACKING_ANONYMOUS, err, errlen);
}

int vm_create_backed(struct vm *vm, uint64_t memory, unsigned nvcpus, struct vm_backing backing,
		     char *err, size_t errlen)
{
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { SPLIT_IRQCHIP_PINS } };
	struct kvm_userspace_memory_region region;

	*vm = (struct vm){ .kvm_fd = -1, .vm_fd = -1, .stop_fd = -1, .nvcpus = nvcpus };
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	pthread_mutex_init(&vm->coalesced_lock, NULL);
	vm_pause_init(vm);
	vm->kvm_fd = kvm_open(err, errlen);
	if (vm->kvm_fd < 0 || check_caps(vm, err, errlen) < 0)
		return -1;
	if (check_vcpus(vm, nvcpus, err, errlen) < 0)
		return VM_ERR_CONFIG;
	vm->cpuid = calloc(1, sizeof(*vm->cpuid) + CPUID_MAX_ENTRIES * sizeof(vm->cpuid->entries[0]));
	if (!vm->cpuid) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	vm->cpuid->nent = CPUID_MAX_ENTRIES;
	if (cpuid_from_cache(vm) == 0)
		; /* no query, no thread */
	else if (pthread_create(&vm->cpuid_thread, NULL, get_cpuid, vm) != 0)
		get_cpuid(vm); /* no thread to spare: fetch it now */
	else
		vm->cpuid_pending = true;
	vm->run_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_mmap_size < (int)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		return -1;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	/*
	 * Split irqchip: the LAPIC (timer, IPIs, halt) stays in the kernel, the
	 * IOAPIC is ours.  A full in-kernel irqchip costs ~7 ms to create on
	 * PVM hosts (docs/ARCHITECTURE.md, "Interrupts"); this costs ~0.1 ms.
	 */
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &split) < 0) {
		snprintf(err, errlen, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %s", strerror(errno));
		return -1;
	}
	/* Needed by VMX hosts for real-mode emulation; harmless elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0 && errno != EINVAL) {
		snprintf(err, errlen, "KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	if (map_memory(vm, memory, backing, err, errlen) < 0)
		return -1;
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = memory,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	if (vm->cpuid_pending)
		pthread_join(vm->cpuid_thread, NULL);
	vm->cpuid_pending = false;
	if (vm->mem.host)
		munmap(vm->mem.host, vm->mem.size);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	free(vm->cpuid_key);
	vm->cpuid_key = NULL;
	pthread_mutex_destroy(&vm->coalesced_lock);
	vm->mem.host = NULL;
	vm->vm_fd = vm->kvm_fd = vm->stop_fd = -1;
	vm->cpuid = NULL;
}

int vm_coalesce(struct vm *vm, bool pio, uint64_t addr, uint32_t len, char *err, size_t errlen)
{
	if (vm->nzones == sizeof(vm->zones) / sizeof(vm->zones[0])) {
		snprintf(err, errlen, "too many coalesced zones");
		return -1;
	}
	vm->zones[vm->nzones++] = (struct kvm_coalesced_mmio_zone){ .addr = addr, .size = len, .pio = pio };
	return 0;
}

/*
 * The first in-kernel I/O-bus device of a VM (a coalesced zone or an
 * ioeventfd) makes destroying the VM cost ~13-15 ms on the PVM hosts
 * (measured: 0.3 ms without; KVM waits for an SRCU grace period when it
 * tears the bus down), more than a short-lived guest's whole console
 * output costs in exits (~25 us each).  So the console's writes are batched
 * only when the VM pays that price anyway, for virtio's ioeventfds; a
 * zone more then costs nothing.
 */
int vm_commit_coalesced(struct vm *vm, char *err, size_t errlen)
{
	if (!vm->coalesced_page || !vm->kernel_io_devices)
		return 0;
	for (unsigned i = 0; i < vm->nzones; i++) {
		struct kvm_coalesced_mmio_zone *z = &vm->zones[i];

		if (z->pio && ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0)
			continue;
		if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, z) < 0) {
			snprintf(err, errlen, "KVM_REGISTER_COALESCED_MMIO(%s 0x%llx): %s", z->pio ? "pio" : "mmio",
				 (unsigned long long)z->addr, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The ring holds as many entries as fit in one page after its header. */
#define COALESCED_MAX ((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / sizeof(struct kvm_coalesced_mmio))

unsigned vm_drain_coalesced(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced;
	unsigned n = 0;

	if (!ring)
		return 0;
	pthread_mutex_lock(&vm->coalesced_lock);
	for (;;) {
		uint32_t first = ring->first;
		uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
		struct kvm_coalesced_mmio *e;

		if (first == last || first >= COALESCED_MAX)
			break;
		e = &ring->coalesced_mmio[first];
		if (e->len <= sizeof(e->data))
			bus_write(e->pio ? &vm->pio : &vm->mmio, e->phys_addr, e->data, e->len);
		__atomic_store_n(&ring->first, (first + 1) % COALESCED_MAX, __ATOMIC_RELEASE);
		n++;
	}
	if (vm->stats)
		vm->stats->coalesced_writes += n;
	pthread_mutex_unlock(&vm->coalesced_lock);
	return n;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, uint64_t match, int efd,
		 char *err, size_t errlen)
{
	struct kvm_ioeventfd io = {
		.datamatch = match, .addr = addr, .len = len, .fd = efd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
		snprintf(err, errlen, "KVM_IOEVENTFD at 0x%llx: %s", (unsigned long long)addr, strerror(errno));
		return -1;
	}
	vm->kernel_io_devices++;
	return 0;
}

int vm_irq_msi(struct vm *vm, unsigned gsi, unsigned vector, int efd, char *err, size_t errlen)
{
	for (unsigned i = 0; i < vm->nroutes; i++)
		if (vm->routes[i].gsi == gsi) {
			snprintf(err, errlen, "GSI %u routed twice (a bug in flint)", gsi);
			return -1;
		}
	if (vm->nroutes == FLINT_VIRTIO_MAX) {
		snprintf(err, errlen, "too many interrupt routes");
		return -1;
	}
	/* Destination APIC 0, fixed delivery, edge: the vector is all a Flint
	 * guest needs to know (boot_abi.h). */
	vm->routes[vm->nroutes] = (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.u.msi = { .address_lo = 0xfee00000u, .address_hi = 0, .data = vector },
	};
	vm->route_fds[vm->nroutes++] = efd;
	return 0;
}

int vm_commit_irqs(struct vm *vm, char *err, size_t errlen)
{
	size_t sz = sizeof(struct kvm_irq_routing) + vm->nroutes * sizeof(struct kvm_irq_routing_entry);
	struct kvm_irq_routing *r;
	int rc;

	if (!vm->nroutes)
		return 0;
	r = calloc(1, sz);
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nr = vm->nroutes;
	memcpy(r->entries, vm->routes, vm->nroutes * sizeof(vm->routes[0]));
	rc = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	if (rc < 0) {
		snprintf(err, errlen, "KVM_SET_GSI_ROUTING (%u MSI routes): %s", vm->nroutes, strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < vm->nroutes; i++) {
		struct kvm_irqfd irqfd = { .fd = (uint32_t)vm->route_fds[i], .gsi = vm->routes[i].gsi };

		if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			snprintf(err, errlen, "KVM_IRQFD for GSI %u (vector 0x%x): %s", vm->routes[i].gsi,
				 vm->routes[i].u.msi.data, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void vm_stop(struct vm *vm, int status)
{
	bool was = false;
	uint64_t one = 1;

	if (atomic_compare_exchange_strong(&vm->stopping, &was, true)) {
		vm->exit_status = status;
		if (write(vm->stop_fd, &one, sizeof(one)) < 0) {
			/* eventfd writes only fail on overflow; the flag is set anyway */
		}
		/* A pause in progress, or parked vCPUs, stop waiting. */
		pthread_mutex_lock(&vm->pause_lock);
		pthread_cond_broadcast(&vm->pause_cond);
		pthread_mutex_unlock(&vm->pause_lock);
	}
}
