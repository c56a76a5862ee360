/*
 * How big a VM can be: the sandbox keeps every descriptor the running VM
 * needs (the VM's, the event loop's, every vCPU's and every device's),
 * built here from a machine with fake devices, and KVM's vCPU limit is
 * read the way the API says.  No KVM needed.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "machine.h"
#include "vcpu.h"
#include "vm.h"

/* Like the drive module: groups of three, only whole groups that fit. */
struct fake {
	int base, n;
};

static int fds_in_groups(void *state, int *fds, int max)
{
	const struct fake *f = state;
	int n = 0;

	for (int i = 0; i < f->n / 3 && n + 3 <= max; i++)
		for (int j = 0; j < 3; j++, n++)
			fds[n] = f->base + 3 * i + j;
	return n;
}

/* The documented contract: writes what fits, returns how many it has. */
static int fds_count_all(void *state, int *fds, int max)
{
	const struct fake *f = state;

	for (int i = 0; i < f->n && i < max; i++)
		fds[i] = f->base + i;
	return f->n;
}

static const struct device_module grouped = { .name = "grouped", .fds = fds_in_groups };
static const struct device_module counted = { .name = "counted", .fds = fds_count_all };

static struct machine m;

static void make_machine(unsigned nvcpus, struct fake *a, struct fake *b)
{
	m = (struct machine){ .tick_fd = 3, .signal_fd = 4 };
	m.vm.vm_fd = 5;
	m.vm.stop_fd = 6;
	m.el.epfd = 7;
	m.el.urgent_epfd = 8;
	m.vm.nvcpus = nvcpus;
	m.vm.vcpus = calloc(nvcpus, sizeof(*m.vm.vcpus));
	for (unsigned i = 0; i < nvcpus; i++)
		m.vm.vcpus[i].fd = 100 + (int)i;
	m.dev[0].mod = &grouped;
	m.dev[0].state = a;
	m.dev[1].mod = &counted;
	m.dev[1].state = b;
	m.ndev = 2;
}

/* Every descriptor in [lo, lo + n) appears exactly once in fds. */
static bool has_range(const int *fds, size_t nfds, int lo, int n)
{
	for (int want = lo; want < lo + n; want++) {
		int seen = 0;

		for (size_t i = 0; i < nfds; i++)
			seen += fds[i] == want;
		if (seen != 1)
			return false;
	}
	return true;
}

/* 64 vCPUs and 16 drives: 6 + 64 + 48 + 10 descriptors, all of them kept. */
TEST(keeps_every_vcpu_and_device_descriptor)
{
	struct fake drives = { 1000, 48 }, other = { 2000, 10 };
	char err[256] = "";
	size_t n = 0;
	int *fds = NULL;

	make_machine(64, &drives, &other);
	CHECK(machine_fds(&m, &fds, &n, err, sizeof(err)) == 0);
	CHECK(n == 6 + 64 + 48 + 10);
	CHECK(fds && has_range(fds, n, 3, 6));
	CHECK(fds && has_range(fds, n, 100, 64));
	CHECK(fds && has_range(fds, n, 1000, 48));
	CHECK(fds && has_range(fds, n, 2000, 10));
	free(fds);
	free(m.vm.vcpus);
}

TEST(one_vcpu_no_devices)
{
	struct fake none = { 0, 0 }, none2 = { 0, 0 };
	char err[256] = "";
	size_t n = 0;
	int *fds = NULL;

	make_machine(1, &none, &none2);
	CHECK(machine_fds(&m, &fds, &n, err, sizeof(err)) == 0);
	CHECK(n == 7);
	CHECK(fds && has_range(fds, n, 3, 6) && has_range(fds, n, 100, 1));
	free(fds);
	free(m.vm.vcpus);
}

/* A device that claims an absurd number is an error, never a silent cut. */
TEST(absurd_device_count_is_an_error)
{
	struct fake none = { 0, 0 }, huge = { 5000, 1 << 30 };
	char err[256] = "";
	size_t n = 0;
	int *fds = NULL;

	make_machine(1, &none, &huge);
	CHECK(machine_fds(&m, &fds, &n, err, sizeof(err)) == -1);
	CHECK_CONTAINS(err, "counted");
	free(m.vm.vcpus);
}

/* KVM's vCPU limit, as vm_create reads it to refuse a bigger [machine] vcpus. */
TEST(vcpu_limit_follows_the_kvm_api)
{
	CHECK(vm_vcpu_limit(1024, 8) == 1024);
	CHECK(vm_vcpu_limit(0, 8) == 8);   /* no KVM_CAP_MAX_VCPUS: NR_VCPUS */
	CHECK(vm_vcpu_limit(-1, 0) == 4);  /* neither: the API's default */
}

CHECK_MAIN()
