/*
 * `flint check`: every check `flint run` makes before the guest's first
 * instruction that would end it with status 2 (the configuration, the
 * kernel, images, taps, the console file, the control socket, the
 * sandbox's needs and, where /dev/kvm can be opened, [machine] vcpus
 * against KVM's limit), all of them listed, so a configuration that passes
 * here fails at run time only for a reason outside them (KVM itself, a
 * lock taken or a file made in between).
 */
#include "preflight.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "console_out.h"
#include "control.h"
#include "drive_module.h"
#include "exit_codes.h"
#include "kvm_access.h"
#include "loader_initrd.h"
#include "loader_pvh.h"
#include "net_module.h"
#include "sandbox.h"
#include "vm.h"

/* Loads the kernel, and the initrd above it, into scratch memory the size of the guest's. */
static int check_kernel(const struct config *cfg, struct pvh_image *img)
{
	struct guest_mem m = { .size = cfg->memory };
	struct initrd_image initrd = { 0 };
	char err[1024];
	int rc;

	m.host = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m.host == MAP_FAILED) {
		perror("flint: mmap");
		return FLINT_EXIT_VMM;
	}
	rc = pvh_load(&m, cfg->kernel_path, img, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "flint: %s: %s\n", spec_where(cfg, "kernel", "path", 0), err);
	if (rc == 0 && cfg->initrd_path) {
		rc = initrd_load(&m, cfg->initrd_path, spec_where(cfg, "kernel", "initrd", 0), img->hi, true,
				 &initrd, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "flint: %s\n", err);
	}
	munmap(m.host, m.size);
	if (rc < 0)
		return FLINT_EXIT_USAGE;
	if (initrd.size)
		printf("%s: initrd %s: %llu bytes at 0x%llx\n", spec_where(cfg, NULL, NULL, 0), cfg->initrd_path,
		       (unsigned long long)initrd.size, (unsigned long long)initrd.gpa);
	return 0;
}

/*
 * Opens each image the way the drive device does (read-only when the
 * drive is, with its lock, so an image in use is reported) and closes it
 * at once, releasing the lock.  Every bad drive is named, not just the
 * first.
 */
static int check_drives(const struct config *cfg)
{
	int status = 0;

	for (unsigned i = 0; i < cfg->ndrives; i++) {
		char err[1024];
		struct virtio_blk *b = drive_open(cfg, &cfg->drives[i], err, sizeof(err));

		if (!b) {
			fprintf(stderr, "flint: %s\n", err);
			status = FLINT_EXIT_USAGE;
		}
		virtio_blk_close(b);
	}
	return status;
}

/*
 * The host itself: a host without a usable /dev/kvm cannot run any VM
 * (`flint run` exits 125), which is said on a line of its own but is no
 * fault of the configuration, so it does not fail the check (configurations
 * are checked on build machines too).  Where KVM answers, [machine] vcpus
 * is checked against its limit.
 */
static int check_host(const struct config *cfg)
{
	char err[1024];
	int kvm = kvm_open(err, sizeof(err));
	unsigned limit;

	if (kvm < 0) {
		fprintf(stderr, "flint: note: this host cannot run VMs (`flint run` would exit 125), the "
			"configuration can still be checked: %s\n", err);
		return 0;
	}
	limit = vm_vcpu_limit(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
			      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
	close(kvm);
	if (cfg->vcpus <= limit)
		return 0;
	fprintf(stderr, "flint: %s: [machine] vcpus = %u: KVM on this host allows at most %u vCPUs "
		"per VM (KVM_CAP_MAX_VCPUS); lower [machine] vcpus\n", spec_where(cfg, "machine", "vcpus", 0),
		cfg->vcpus, limit);
	return FLINT_EXIT_USAGE;
}

/* [console] output = file:PATH, opened by the run: can it be? */
static int check_console(const struct config *cfg)
{
	char err[1024];

	if (cfg->console_output != CONSOLE_OUT_FILE || console_out_check_file(cfg->console_path, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "flint: %s: [console] output = file:%s: %s\n", spec_where(cfg, "console", "output", 0),
		cfg->console_path, err);
	return FLINT_EXIT_USAGE;
}

/* [control] socket, made by the run: can it be? */
static int check_control(const struct config *cfg)
{
	char err[1024];

	if (!cfg->control_path || control_check(cfg->control_path, err, sizeof(err)) == 0)
		return 0;
	fprintf(stderr, "flint: %s: %s\n", spec_where(cfg, "control", "socket", 0), err);
	return FLINT_EXIT_USAGE;
}

static void jail_problem(void *ctx, const char *key, const char *msg)
{
	fprintf(stderr, "flint: %s: %s\n", spec_where(ctx, "sandbox", key, 0), msg);
}

/* [sandbox]: what entering the jail would refuse (not root, no such folder). */
static int check_jail(const struct config *cfg)
{
	return sandbox_jail_check(&cfg->jail, jail_problem, (void *)cfg) ? FLINT_EXIT_USAGE : 0;
}

/*
 * Attaches to every [net.NAME] tap as `flint run` would (vmm/tap.c) and
 * lets go.  Their description lines go to *lines, printed after the OK
 * line only when everything passed.
 */
static int check_nets(const struct config *cfg, char **lines)
{
	size_t len = 0;
	FILE *f = open_memstream(lines, &len);

	if (!f) {
		perror("flint: open_memstream");
		return FLINT_EXIT_VMM;
	}
	if (net_check(cfg, f, stderr) < 0) {
		fclose(f);
		return FLINT_EXIT_USAGE;
	}
	fclose(f);
	return 0;
}

int flint_check(const struct config *cfg)
{
	struct pvh_image img;
	char *lines = NULL;
	int status = check_kernel(cfg, &img), nets;
	bool bad = status != 0;

	if (status == FLINT_EXIT_VMM)
		return status;
	/* Every check runs, so that every problem is listed at once. */
	bad |= check_drives(cfg) != 0;
	nets = check_nets(cfg, &lines);
	bad |= check_console(cfg) != 0;
	bad |= check_control(cfg) != 0;
	bad |= check_jail(cfg) != 0;
	bad |= check_host(cfg) != 0;
	if (nets == FLINT_EXIT_VMM) {
		free(lines);
		return nets;
	}
	if (bad || nets) {
		free(lines);
		return FLINT_EXIT_USAGE;
	}
	printf("%s: OK (kernel %s, entry 0x%x, %llu MiB, %u vCPU%s, %u drive%s, %u net%s)\n",
	       spec_where(cfg, NULL, NULL, 0), cfg->kernel_path, img.entry32,
	       (unsigned long long)(cfg->memory >> 20), cfg->vcpus, cfg->vcpus == 1 ? "" : "s", cfg->ndrives,
	       cfg->ndrives == 1 ? "" : "s", cfg->nnets, cfg->nnets == 1 ? "" : "s");
	fputs(lines ? lines : "", stdout);
	free(lines);
	return 0;
}
