/*
 * The pv page as vmm/pv.c writes it into a real VM (needs /dev/kvm; SKIP
 * lines otherwise): at boot seq 1 and the wall clock paired with vCPU 0's
 * TSC; at a restore, after the vCPU's TSC was set back to a saved value,
 * seq 2, a new generation and random bytes, and the pair on that TSC.
 */
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "machine.h"
#include "pv.h"
#include "stats.h"
#include "vcpu.h"

#define MSR_IA32_TSC 0x10

static struct machine m;
static struct stats stats;
static struct vcpu vcpu;

static uint64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static const struct flint_pv_info *page(void)
{
	return guest_ptr(&m.vm.mem, FLINT_PV_INFO_GPA, sizeof(struct flint_pv_info));
}

/* The vCPU's TSC: KVM_SET_MSRS (set) or KVM_GET_MSRS (get); -1 on failure. */
static int tsc_msr(unsigned long req, uint64_t *tsc)
{
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msrs = { .hdr.nmsrs = 1 };

	msrs.hdr.entries[0].index = MSR_IA32_TSC;
	msrs.hdr.entries[0].data = *tsc;
	if (ioctl(vcpu.fd, req, &msrs) != 1)
		return -1;
	*tsc = msrs.hdr.entries[0].data;
	return 0;
}

TEST(boot_then_restore)
{
	char err[256];
	uint64_t before, after, gen1, tsc0, tsc1, saved_tsc = 123456789000ull;
	struct flint_pv_info boot;

	before = realtime_ns();
	CHECK(pv_boot(&m, err, sizeof(err)) == 0);
	after = realtime_ns();
	boot = *page();
	CHECK(boot.magic == FLINT_PV_INFO_MAGIC);
	CHECK(boot.seq == 1);
	CHECK(boot.generation != 0 && boot.generation == stats.generation);
	CHECK(boot.wall_ns >= before && boot.wall_ns <= after);
	gen1 = boot.generation;

	/*
	 * Restored: the TSC set back to a saved value.  (kvm_pvm accepts the
	 * write and ignores it: a guest's TSC there is the host's.  So the
	 * pair is checked against the TSC KVM reports either side.)
	 */
	CHECK(tsc_msr(KVM_SET_MSRS, &saved_tsc) == 0);
	CHECK(tsc_msr(KVM_GET_MSRS, &tsc0) == 0);
	before = realtime_ns();
	CHECK(pv_restore(&m, err, sizeof(err)) == 0);
	after = realtime_ns();
	CHECK(tsc_msr(KVM_GET_MSRS, &tsc1) == 0);
	CHECK(page()->seq == 2);
	CHECK(page()->generation != gen1 && page()->generation == stats.generation);
	CHECK(memcmp(page()->random, boot.random, sizeof(boot.random)));
	CHECK(page()->wall_ns >= before && page()->wall_ns <= after);
	CHECK(page()->wall_tsc >= tsc0 && page()->wall_tsc <= tsc1);
	CHECK(pv_restore(&m, err, sizeof(err)) == 0);
	CHECK(page()->seq == 3);
}

int main(int argc, char **argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		printf("SKIP boot_then_restore (no usable /dev/kvm)\n");
		return 0;
	}
	if (vm_create(&m.vm, 16 << 20, 1, err, sizeof(err)) < 0 ||
	    vcpu_create(&m.vm, &vcpu, 0, err, sizeof(err)) < 0) {
		printf("FAIL boot_then_restore (%s)\n", err);
		return 1;
	}
	m.vm.vcpus = &vcpu;
	m.vm.stats = &stats;   /* after vm_create, which starts from a clean struct vm */
	test_boot_then_restore();
	printf("%s boot_then_restore\n", check_failed_now ? "FAIL" : "PASS");
	return check_failed_now;
}
