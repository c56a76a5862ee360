/*
 * `flint check`: every check `flint run` makes before the guest's first
 * instruction about the configuration and its files (and, where /dev/kvm
 * can be opened, [machine] vcpus against KVM's limit), so a configuration
 * that passes here fails at run time only for a reason outside them (KVM
 * itself, a lock taken in between).
 */
#include "preflight.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "drive_module.h"
#include "exit_codes.h"
#include "loader_initrd.h"
#include "loader_pvh.h"
#include "net_module.h"
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
	if (rc == 0 && cfg->initrd_path)
		rc = initrd_load(&m, cfg->initrd_path, cfg->initrd_where, img->hi, true, &initrd,
				 err, sizeof(err));
	munmap(m.host, m.size);
	if (rc < 0) {
		fprintf(stderr, "flint: %s\n", err);
		return FLINT_EXIT_USAGE;
	}
	if (initrd.size)
		printf("%s: initrd %s: %llu bytes at 0x%llx\n", cfg->source, cfg->initrd_path,
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
 * [machine] vcpus against this host's KVM, when there is one to ask (a
 * check on a machine without KVM validates the files only).
 */
static int check_vcpus(const struct config *cfg)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	unsigned limit;

	if (kvm < 0)
		return 0;
	limit = vm_vcpu_limit(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
			      ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS));
	close(kvm);
	if (cfg->vcpus <= limit)
		return 0;
	fprintf(stderr, "flint: %s: [machine] vcpus = %u: KVM on this host allows at most %u vCPUs "
		"per VM (KVM_CAP_MAX_VCPUS); lower [machine] vcpus\n", cfg->source, cfg->vcpus, limit);
	return FLINT_EXIT_USAGE;
}

/*
 * Attaches to every [net.NAME] tap as `flint run` would (vmm/tap.c) and
 * lets go.  Their description lines go to *lines, printed after the OK
 * line only when everything passed.
 */
static int check_nets(const struct config *cfg, char **lines)
{
	char err[1024];
	size_t len = 0;
	FILE *f = open_memstream(lines, &len);

	if (!f) {
		perror("flint: open_memstream");
		return FLINT_EXIT_VMM;
	}
	if (net_check(cfg, f, err, sizeof(err)) < 0) {
		fclose(f);
		fprintf(stderr, "flint: %s\n", err);
		return FLINT_EXIT_USAGE;
	}
	fclose(f);
	return 0;
}

int flint_check(const struct config *cfg)
{
	struct pvh_image img;
	char *lines = NULL;
	int status = check_kernel(cfg, &img), drives, nets, vcpus;

	if (status == FLINT_EXIT_VMM)
		return status;
	drives = check_drives(cfg);
	nets = check_nets(cfg, &lines);
	vcpus = check_vcpus(cfg);
	if (nets == FLINT_EXIT_VMM) {
		free(lines);
		return nets;
	}
	if (status || drives || nets || vcpus) {
		free(lines);
		return FLINT_EXIT_USAGE;
	}
	printf("%s: OK (kernel %s, entry 0x%x, %llu MiB, %u vCPU%s, %u drive%s, %u net%s)\n", cfg->source,
	       cfg->kernel_path, img.entry32, (unsigned long long)(cfg->memory >> 20), cfg->vcpus,
	       cfg->vcpus == 1 ? "" : "s", cfg->ndrives, cfg->ndrives == 1 ? "" : "s", cfg->nnets,
	       cfg->nnets == 1 ? "" : "s");
	fputs(lines ? lines : "", stdout);
	free(lines);
	return 0;
}
