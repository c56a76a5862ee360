/*
 * The pv device: the ready register's window on the MMIO bus (its
 * decoding is hw/paravirt.c) and the info page in guest RAM, written at boot
 * and at every restore while no vCPU runs (pv.h).
 */
#include "pv.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>

#include "paravirt.h"
#include "machine.h"
#include "stats.h"
#include "vcpu.h"

#define MSR_IA32_TSC 0x10

static void on_ready(void *ctx)
{
	struct machine *m = ctx;

	if (m->on_guest_ready)
		m->on_guest_ready(m);
}

static uint64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/*
 * The guest's TSC and the host's wall clock at one moment: the middle of
 * the KVM_GET_MSRS call (a few µs here, so the pair is that exact).
 * Pairing with the TSC KVM reports, rather than assuming the 0 a new vCPU
 * starts at, holds for a restored TSC too.
 */
static int tsc_now(struct vcpu *v, uint64_t *tsc, uint64_t *wall_ns, char *err, size_t errlen)
{
	union { /* struct kvm_msrs ends in a flexible array: room for one entry */
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msrs = { .hdr.nmsrs = 1 };
	uint64_t before, after;

	msrs.hdr.entries[0].index = MSR_IA32_TSC;
	before = realtime_ns();
	if (ioctl(v->fd, KVM_GET_MSRS, &msrs) != 1) {
		snprintf(err, errlen, "pv: reading vCPU %u's TSC: %s", v->id, strerror(errno));
		return -1;
	}
	after = realtime_ns();
	*tsc = msrs.hdr.entries[0].data;
	*wall_ns = before + (after - before) / 2;
	return 0;
}

static int page_write(struct machine *m, uint32_t seq, char *err, size_t errlen)
{
	struct flint_pv_info *page = guest_ptr(&m->vm.mem, FLINT_PV_INFO_GPA, sizeof(*page));
	struct flint_pv_info info;
	uint8_t rnd[PV_RANDOM_BYTES];
	uint64_t tsc, wall_ns;

	if (!page || !m->vm.vcpus || !m->vm.nvcpus) {
		snprintf(err, errlen, "pv: no guest RAM at 0x%llx or no vCPU yet (a bug in flint)",
			 (unsigned long long)FLINT_PV_INFO_GPA);
		return -1;
	}
	/* 40 bytes: getrandom never returns short for requests up to 256 bytes */
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "pv: getrandom: %s", strerror(errno));
		return -1;
	}
	if (tsc_now(&m->vm.vcpus[0], &tsc, &wall_ns, err, errlen) < 0)
		return -1;
	pv_info_make(&info, seq, rnd, wall_ns, tsc);
	memcpy(page, &info, sizeof(info));
	if (m->vm.stats)
		__atomic_store_n(&m->vm.stats->generation, info.generation, __ATOMIC_RELAXED);
	return 0;
}

int pv_boot(struct machine *m, char *err, size_t errlen)
{
	return page_write(m, 1, err, errlen);
}

int pv_restore(struct machine *m, char *err, size_t errlen)
{
	const struct flint_pv_info *saved = guest_ptr(&m->vm.mem, FLINT_PV_INFO_GPA, sizeof(*saved));
	struct flint_pv_info copy;

	if (!saved)
		return page_write(m, 2, err, errlen); /* page_write reports it */
	memcpy(&copy, saved, sizeof(copy));
	return page_write(m, pv_info_next_seq(&copy), err, errlen);
}

static void *pv_setup(struct machine *m, char *err, size_t errlen)
{
	static const struct bus_ops ops = { .read = pv_window_read, .write = pv_window_write };
	struct pv_window *w = calloc(1, sizeof(*w));

	if (!w) {
		snprintf(err, errlen, "pv: out of memory");
		return NULL;
	}
	*w = (struct pv_window){ .ready = on_ready, .ctx = m };
	if (bus_register(&m->vm.mmio, FLINT_PV_MMIO_GPA, FLINT_PV_MMIO_SIZE, "pv", &ops, w) < 0) {
		snprintf(err, errlen, "cannot place the pv register window at 0x%llx: %s",
			 (unsigned long long)FLINT_PV_MMIO_GPA, strerror(errno));
		free(w);
		return NULL;
	}
	return w;
}

const struct device_module pv_module = {
	.name = "pv",
	.setup = pv_setup,
	.stop = free,
};
