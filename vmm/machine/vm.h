/* One virtual machine: KVM handles, guest memory, buses, vCPUs. */
#ifndef FLINT_VM_H
#define FLINT_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "flint/boot_abi.h"
#include "guest_mem.h"
#include "pause_stats.h"

struct vcpu;
struct stats;
struct cpuid_cache_key;

struct vm {
	int kvm_fd, vm_fd;
	int run_mmap_size;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct kvm_cpuid2 *cpuid;          /* KVM_GET_SUPPORTED_CPUID, after vm_wait_cpuid */
	pthread_t cpuid_thread;            /* fetches it while the rest is set up */
	bool cpuid_pending;
	int cpuid_errno;
	struct cpuid_cache_key *cpuid_key; /* set while KVM's answer is still to be cached */
	unsigned coalesced_page;           /* KVM_CAP_COALESCED_MMIO page offset, 0 = none */
	struct kvm_coalesced_mmio_ring *coalesced; /* in vCPU 0's kvm_run mapping */
	pthread_mutex_t coalesced_lock;    /* vCPUs and the event loop both drain */
	/* Coalescing wanted by devices; registered only once the VM has some
	 * other in-kernel I/O device (ioeventfd), see vm_commit_coalesced. */
	struct kvm_coalesced_mmio_zone zones[8];
	unsigned nzones;
	unsigned kernel_io_devices;        /* ioeventfds registered */
	/* MSI routes and their irqfds, collected while devices are set up and
	 * given to KVM once by vm_commit_irqs (KVM replaces the whole table
	 * on every KVM_SET_GSI_ROUTING). */
	struct kvm_irq_routing_entry routes[FLINT_VIRTIO_MAX];
	int route_fds[FLINT_VIRTIO_MAX];
	unsigned nroutes;
	unsigned nvcpus;
	struct vcpu *vcpus;
	struct stats *stats;               /* NULL unless --stats */

	/* Ending the run: the first vCPU to stop the VM sets status, then
	 * writes stop_fd, which the event loop watches. */
	atomic_bool stopping;
	int exit_status;
	int stop_fd;

	/* Pausing (vcpu_pause_all, the control socket's `stop`): each vCPU
	 * thread parks at the top of its loop, outside KVM_RUN. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;         /* parked changed, or the pause ended */
	atomic_bool pause_wanted;
	unsigned parked;
	/* Under pause_lock: when the last vCPU parked, and how long each
	 * pause took from request to that moment (vmm/machine/vcpu_pause.c). */
	uint64_t pause_parked_ns;
	struct pause_log pause_log;
	/* A task every parked vCPU runs once on its own thread (vCPU state
	 * is read there: vcpu_run_on_all); under pause_lock. */
	void (*task)(struct vcpu *v, void *ctx);
	void *task_ctx;
	unsigned task_gen, task_done, task_running;
};

/*
 * Where guest RAM comes from.  fd < 0: anonymous memory, all zero (boot).
 * Otherwise `memory` bytes of file fd from `offset` (page-aligned) mapped
 * MAP_PRIVATE (a restore from a snapshot): the guest reads the page
 * cache, which every VM restored from that file shares, and a page it
 * writes becomes its own copy; the file is never written.
 *
 * hugepages (with fd < 0; a file's pages are its own): anonymous memory
 * the kernel backs with 2 MiB pages (MADV_HUGEPAGE), into which a restore
 * copies the snapshot's data (snap_read_memory) instead of mapping the
 * file.  KVM then maps a guest 2 MiB page with one entry, so a
 * VM takes one shadow-paging fault per 2 MiB it touches instead of one
 * per 4 KiB (~20 us each from ring 3 under kvm_pvm); the price is memory:
 * every 2 MiB region touched is whole, and restored VMs share nothing.
 */
struct vm_backing {
	int fd;
	uint64_t offset;
	bool hugepages;
};
#define VM_BACKING_ANONYMOUS ((struct vm_backing){ .fd = -1 })

/* Opens /dev/kvm and creates the VM with `memory` bytes of RAM from
 * backing (vCPUs come later, from vcpu.c).  On error returns -1 with a
 * message in err, or VM_ERR_CONFIG when the configuration asks for more
 * than this host's KVM allows (nvcpus above its vCPU limit): the user's to
 * fix, status 2. */
#define VM_ERR_CONFIG (-2)
int vm_create_backed(struct vm *vm, uint64_t memory, unsigned nvcpus, struct vm_backing backing,
		     char *err, size_t errlen);
/* vm_create_backed with anonymous memory. */
int vm_create(struct vm *vm, uint64_t memory, unsigned nvcpus, char *err, size_t errlen);
/*
 * The most vCPUs KVM takes in one VM, from its KVM_CHECK_EXTENSION answers
 * for KVM_CAP_MAX_VCPUS and KVM_CAP_NR_VCPUS (<= 0: not supported).  The
 * KVM API: without the first, the second is the limit; without either, 4.
 */
unsigned vm_vcpu_limit(int cap_max_vcpus, int cap_nr_vcpus);
void vm_destroy(struct vm *vm);
/* Waits for the supported-CPUID list vm_create started fetching. */
int vm_wait_cpuid(struct vm *vm, char *err, size_t errlen);

/* Asks for guest writes to [addr, addr+len) on the given bus to land in the
 * coalesced ring instead of exiting; vm_drain_coalesced replays them.
 * Takes effect in vm_commit_coalesced. */
int vm_coalesce(struct vm *vm, bool pio, uint64_t addr, uint32_t len, char *err, size_t errlen);
/* Registers the requested zones if batching pays for itself here (see vm.c). */
int vm_commit_coalesced(struct vm *vm, char *err, size_t errlen);
/* Replays batched writes in guest order; returns how many. */
unsigned vm_drain_coalesced(struct vm *vm);

/* Guest writes of `len` bytes equal to `match` at MMIO addr signal efd
 * without leaving the kernel. */
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, uint64_t match, int efd,
		 char *err, size_t errlen);
/* Asks for gsi to be an edge-triggered MSI with `vector` at APIC 0, with
 * efd bound to it: a write to efd interrupts the guest.  Takes effect in
 * vm_commit_irqs. */
int vm_irq_msi(struct vm *vm, unsigned gsi, unsigned vector, int efd, char *err, size_t errlen);
/* Sets the routing table once and binds the irqfds; before the vCPUs run. */
int vm_commit_irqs(struct vm *vm, char *err, size_t errlen);

/* The pause lock and condition (vcpu_pause_all); vm_create calls it
 * (vmm/machine/vcpu_pause.c). */
void vm_pause_init(struct vm *vm);
/* Ends the run with status (first caller wins) and wakes the event loop
 * and anyone waiting on a pause. */
void vm_stop(struct vm *vm, int status);

#endif
