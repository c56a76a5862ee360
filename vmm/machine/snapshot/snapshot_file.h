/*
 * The snapshot file: one file holding everything a restore needs (the
 * layout is in docs/ARCHITECTURE.md, "Snapshot format").
 *
 *   offset 0           header (SNAP_HEADER_SIZE bytes): magic, format
 *                      version, where the metadata and memory are, and
 *                      the header's and the metadata's CRC-32
 *   SNAP_HEADER_SIZE   metadata: host identity, machine shape, the VM
 *                      record, interrupt routes, one record per vCPU, one
 *                      record per device (hw/state.h encoding)
 *   mem_offset         guest RAM, [0, mem_size) as a full-size image,
 *                      page-aligned, to the end of the file
 *
 * Memory is sparse: pages the guest never touched and pages that are all
 * zero are holes, so the file's allocated size is about the memory the
 * guest touched, and `mmap(MAP_PRIVATE, fd, mem_offset)` maps guest RAM
 * directly at restore (100 restores share one page-cache copy).
 *
 * The metadata is checksummed (zlib's crc32: Debian's zlib1g-dev, already
 * on every build host, table-driven and well tested; a checksum catches
 * truncation and bit rot, not an attacker, who can recompute it).  Memory
 * is not checksummed, as in Firecracker: checking it would read every
 * page at restore, the cost mapping it is there to avoid.  A corrupt
 * memory image is the guest's problem, never the monitor's: the monitor
 * reads guest memory only through its checked accessors anyway.
 *
 * The reader treats the file as hostile: every length, offset and count
 * is checked before use; a bad file gets a message naming it and what is
 * wrong, never a crash.
 */
#ifndef FLINT_SNAPSHOT_FILE_H
#define FLINT_SNAPSHOT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#define SNAP_MAGIC         "FLINTSNP"     /* 8 bytes, no NUL */
#define SNAP_VERSION       1u             /* the reader refuses any other */
#define SNAP_PAGE          4096u          /* the file's page; the host's must be the same */
#define SNAP_HEADER_SIZE   64u
#define SNAP_NAME_MAX      64u            /* device names, NUL included */
#define SNAP_MAX_DEVICES   64u
#define SNAP_MAX_VCPUS     1024u
#define SNAP_MAX_ROUTES    1024u
#define SNAP_MAX_GSI       4096u
#define SNAP_META_MAX      (64u << 20)    /* all metadata; a vCPU record is a few KiB */

/* What the saved state depends on in the host (snap_host_probe). */
struct snap_host {
	char cpu_vendor[13];      /* CPUID leaf 0, "GenuineIntel", NUL-terminated */
	uint32_t cpu_signature;   /* CPUID leaf 1 EAX: stepping, model, family */
	uint32_t cpuid_crc;       /* crc32 of the CPUID entries the guest is given */
	uint32_t kvm_api;         /* KVM_GET_API_VERSION */
	uint32_t tsc_khz;         /* KVM_GET_TSC_KHZ: the guest TSC's rate */
};

/* One state record: opaque bytes to this file, framed with a version. */
struct snap_record {
	char name[SNAP_NAME_MAX]; /* devices: the device's name; "" for vCPU and VM records */
	uint32_t version;
	const uint8_t *data;      /* len bytes; NULL when len is 0 */
	uint32_t len;
};

/* One MSI route, as vm_irq_msi set it (KVM_IRQ_ROUTING_MSI). */
struct snap_route {
	uint32_t gsi;             /* < SNAP_MAX_GSI, each at most once */
	uint32_t data;
	uint64_t address;         /* address_hi << 32 | address_lo */
};

/*
 * A snapshot's contents.  For snap_write the caller fills every field
 * (pointers to its own storage); snap_read fills it with pointers into
 * storage it owns, released by snap_free.
 */
struct snapshot {
	struct snap_host host;
	uint64_t mem_size;        /* bytes of guest RAM, a multiple of SNAP_PAGE, > 0 */
	uint32_t nvcpus;          /* 1..SNAP_MAX_VCPUS */
	uint32_t ndevs;           /* 0..SNAP_MAX_DEVICES */
	uint32_t nroutes;         /* 0..SNAP_MAX_ROUTES */
	struct snap_record vm;    /* VM-wide state (vcpu_state.h: vm_state_save) */
	const struct snap_route *routes;
	const struct snap_record *vcpus; /* nvcpus of them, vCPU 0 first */
	const struct snap_record *devs;  /* ndevs, names unique: the device list */
	/* snap_read only: */
	uint64_t mem_offset;      /* where guest RAM starts in the file (page-aligned) */
	void *storage;            /* owns what the pointers above point into */
};

/* What snap_write did with guest memory (for `make bench`, --stats). */
struct snap_write_stats {
	uint64_t pages_written;   /* non-zero pages copied into the file */
	uint64_t pages_absent;    /* skipped: never touched (mincore) */
	uint64_t pages_zero;      /* skipped: resident but all zero */
};

/*
 * This host's identity for snapshots: the CPU (the cpuid instruction),
 * KVM's API version (kvm_fd), the guest TSC rate (KVM_GET_TSC_KHZ on
 * vcpu_fd) and a CRC of the CPUID entries given to guests (guest_cpuid,
 * the list vcpu_set_cpuid passes on, before per-vCPU APIC ids).  Call
 * it before the sandbox, in both the boot and the restore door: a save
 * records it, a restore compares with it.  Returns 0, or -1 with err.
 */
int snap_host_probe(int kvm_fd, int vcpu_fd, const struct kvm_cpuid2 *guest_cpuid,
		    struct snap_host *h, char *err, size_t errlen);

/*
 * Writes s and guest memory [mem, mem + s->mem_size) to fd, which must
 * be an empty regular file opened for writing (the helper creates it
 * O_CREAT|O_EXCL).  Only system calls that need no path, so it runs
 * inside the sandbox: fstat, pwrite64 and ftruncate on fd; mincore and
 * sysinfo for the memory scan.  Nothing else (no open, no lseek, no
 * fsync: durability is the caller's choice).
 *
 * mem_anonymous: guest memory is anonymous (the boot door's), so a page
 * mincore reports absent was never touched and reads as zero; it is
 * skipped without being read.  Only while the host has no swap in use
 * (sysinfo), since a swapped-out page is absent too.  Otherwise (memory
 * mapped from a snapshot, where absent means "still in the file") every
 * page is read.  All-zero pages are holes either way.
 *
 * Returns 0 (stats filled when st is not NULL), or -1 with a message in
 * err; the file is then partial and the caller removes it.
 */
int snap_write(int fd, const struct snapshot *s, const void *mem, bool mem_anonymous,
	       struct snap_write_stats *st, char *err, size_t errlen);

/*
 * Reads and validates fd's header and metadata into s (guest memory is
 * not read: snap_map_memory maps it).  Checks the magic, version, sizes,
 * offsets (page alignment, no overlap, inside the file), counts, names,
 * checksums and route GSIs; every message starts with "PATH: " (path is
 * only used in messages) and says what is wrong.  Uses fstat and pread64.
 * Returns 0, or -1 with err (s is then empty).  Free with snap_free.
 */
int snap_read(int fd, const char *path, struct snapshot *s, char *err, size_t errlen);
void snap_free(struct snapshot *s);

/*
 * Compares a read snapshot with this host (snap_host_probe) and with the
 * machine the configuration describes: memory size, vCPU count, and the
 * device list (names, in order).  The first difference comes back as
 * "PATH: memory is 64 MiB, the configuration asks for 128 MiB", "PATH:
 * saved on a CPU with signature 0x906ea, this one is 0x50657" and so on:
 * the user's to fix (status 2).  Returns 0 when it fits, -1 otherwise.
 */
int snap_check(const struct snapshot *s, const char *path, const struct snap_host *here,
	       uint64_t mem_size, unsigned nvcpus, const char *const *dev_names, unsigned ndevs,
	       char *err, size_t errlen);

/* Looks up a device's record by name; NULL when the snapshot has none. */
const struct snap_record *snap_find_dev(const struct snapshot *s, const char *name);

/*
 * Maps guest RAM from the file, copy-on-write: mmap(MAP_PRIVATE |
 * MAP_NORESERVE, fd, s->mem_offset) of s->mem_size bytes, readable and
 * writable, at addr (MAP_FIXED) or anywhere when addr is NULL.  The
 * mapping holds its own reference, so fd may be closed afterwards.
 * Returns the address, or NULL with err.
 */
void *snap_map_memory(int fd, const struct snapshot *s, void *addr, char *err, size_t errlen);

/*
 * Copies guest RAM from the file into dst, s->mem_size bytes that are
 * zero already (fresh anonymous memory): only the extents that hold data
 * (SEEK_DATA) are read, the holes left as they are.  For memory that cannot be the
 * file's own pages ([machine] hugepages, vmm/machine/vm.h).  0, or -1
 * with err.
 */
int snap_read_memory(int fd, const struct snapshot *s, void *dst, char *err, size_t errlen);

#endif
