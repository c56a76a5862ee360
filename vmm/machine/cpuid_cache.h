/*
 * KVM_GET_SUPPORTED_CPUID, remembered between runs.  The query costs
 * 0.5-1.3 ms on the PVM hosts, a third of a whole boot, and its answer
 * changes only with the kernel, the KVM modules or the machine, so the
 * cache is keyed by all three: it can be missing or stale, never wrong.
 *
 * A cache file is trusted only if it is a regular file owned by this
 * user, writable by nobody else, in a folder owned by this user (or
 * root) that nobody else can write, and its key and checksum match; any
 * doubt means "not cached" and flint asks KVM.
 */
#ifndef FLINT_CPUID_CACHE_H
#define FLINT_CPUID_CACHE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>

/* What the answer depends on: boot id, kernel release, KVM API version
 * and the identity (sysfs inode) of each loaded KVM module. */
struct cpuid_cache_key {
	char text[512];
};

/* Builds the key of this host; -1 if it cannot (then use no cache). */
int cpuid_cache_key(struct cpuid_cache_key *k, int kvm_api_version);

/*
 * The cache file's path: $FLINT_CPUID_CACHE if set ("off" or empty: no
 * cache), else /run/flint/cpuid-<euid> for root, else
 * $XDG_RUNTIME_DIR/flint-cpuid.  Returns false when there is none.
 */
bool cpuid_cache_path(char *buf, size_t len);

/* Fills c (room for max entries) from the file if it is trustworthy and
 * its key matches; returns 0, or -1 on any doubt (c is then untouched). */
int cpuid_cache_load(const char *path, const struct cpuid_cache_key *k, struct kvm_cpuid2 *c,
		     unsigned max);

/* Writes the file atomically (temporary name, then rename), creating a
 * missing parent folder with mode 0700.  Returns 0 or -1; a cache that
 * cannot be written only costs the next run the query. */
int cpuid_cache_store(const char *path, const struct cpuid_cache_key *k, const struct kvm_cpuid2 *c);

#endif
