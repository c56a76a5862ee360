/*
 * The module list is the monitor's word, but the guest checks it anyway
 * against the memory map before it reads a byte: a list or a module
 * outside RAM would otherwise fault (beyond 4 GiB) or hand the VFS
 * device memory.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "kernel/memmap.h"
#include "kernel/modules.h"

static const struct hvm_start_info *start_info;

void modules_init(const struct hvm_start_info *si)
{
	start_info = si;
}

static const struct hvm_modlist_entry *list(const struct hvm_start_info *si, unsigned *n)
{
	unsigned count = si->nr_modules > MODULES_MAX ? MODULES_MAX : si->nr_modules;

	*n = 0;
	if (!count || !si->modlist_paddr)
		return NULL;
	if (!memmap_is_ram(si, si->modlist_paddr, (uint64_t)count * sizeof(struct hvm_modlist_entry)))
		return NULL;
	*n = count;
	return (const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
}

unsigned modules_ranges(const struct hvm_start_info *si, uint64_t (*cut)[2], unsigned max)
{
	unsigned n, k = 0;
	const struct hvm_modlist_entry *m = list(si, &n);

	if (!m || !max)
		return 0;
	cut[k][0] = si->modlist_paddr;
	cut[k][1] = si->modlist_paddr + (uint64_t)n * sizeof(*m);
	k++;
	for (unsigned i = 0; i < n && k < max; i++)
		if (m[i].size && memmap_is_ram(si, m[i].paddr, m[i].size)) {
			cut[k][0] = m[i].paddr;
			cut[k][1] = m[i].paddr + m[i].size;
			k++;
		}
	return k;
}

int module_get(unsigned i, const void **mem, uint64_t *len)
{
	static bool warned;
	const struct hvm_modlist_entry *m;
	unsigned n;

	if (!start_info || !start_info->nr_modules)
		return -ENOENT;
	m = list(start_info, &n);
	if (!m) {
		if (!warned)
			printf("guest: module list at 0x%llx (%u entries) is not in RAM: ignoring modules\n",
			       (unsigned long long)start_info->modlist_paddr, start_info->nr_modules);
		warned = true;
		return -EFAULT;
	}
	if (i >= n)
		return -ENOENT;
	if (!memmap_is_ram(start_info, m[i].paddr, m[i].size)) {
		if (!warned)
			printf("guest: module %u [0x%llx, +0x%llx) is not in RAM: ignoring it\n", i,
			       (unsigned long long)m[i].paddr, (unsigned long long)m[i].size);
		warned = true;
		return -EFAULT;
	}
	*mem = (const void *)(uintptr_t)m[i].paddr;
	*len = m[i].size;
	return 0;
}
