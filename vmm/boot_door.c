/*
 * The boot door: a machine that starts at its kernel's first instruction.
 * Only here are the kernel and initrd read, the guest's command line
 * written (each device module's announce hook says what the guest must be
 * told) and the vCPUs put at the PVH entry.  A restore skips all of it:
 * the guest already holds what it was told.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot_info.h"
#include "builder.h"
#include "exit_codes.h"
#include "loader_initrd.h"
#include "loader_pvh.h"
#include "pv.h"
#include "vcpu.h"

int machine_add_param(struct machine *m, const char *fmt, ...)
{
	size_t room = sizeof(m->params) - m->params_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(m->params + m->params_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 >= room) {
		m->params[m->params_len] = 0;
		return -1;
	}
	m->params_len += n;
	m->params[m->params_len++] = ' ';
	m->params[m->params_len] = 0;
	return 0;
}

static int announce(struct machine *m, char *err, size_t errlen)
{
	for (int i = 0; i < m->ndev; i++)
		if (m->dev[i].mod->announce && m->dev[i].mod->announce(m->dev[i].state, m, err, errlen) < 0)
			return -1;
	return 0;
}

/* The guest's command line: the devices' parameters, then the user's. */
static int cmdline_setup(struct machine *m, char *err, size_t errlen)
{
	char cmdline[FLINT_CMDLINE_SIZE];
	int n;

	n = snprintf(cmdline, sizeof(cmdline), "%s%s", m->params, m->cfg->cmdline ? m->cfg->cmdline : "");
	if (n < 0 || (size_t)n >= sizeof(cmdline)) {
		snprintf(err, errlen, "%s: [kernel] cmdline: too long with the monitor's %zu bytes of "
			 "parameters (the limit is %llu bytes)", spec_where(m->cfg, "kernel", "cmdline", 0),
			 m->params_len,
			 (unsigned long long)FLINT_CMDLINE_SIZE - 1);
		return -1;
	}
	return boot_info_write(&m->vm.mem, cmdline, err, errlen);
}

int machine_boot(struct machine *m, int *status, char *err, size_t errlen)
{
	const struct config *cfg = m->cfg;
	struct pvh_image img = { 0 };
	struct initrd_image initrd = { 0 };
	char why[900];

	if (machine_build_vm(m, VM_BACKING_ANONYMOUS, status, err, errlen) < 0)
		return -1;
	/* Errors in the kernel file, the images and the command line are the
	 * user's to fix (status 2); the kernel goes first so they fail fast. */
	*status = FLINT_EXIT_USAGE;
	if (pvh_load(&m->vm.mem, cfg->kernel_path, &img, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", spec_where(cfg, "kernel", "path", 0), why);
		return -1;
	}
	if (cfg->initrd_path && initrd_load(&m->vm.mem, cfg->initrd_path, spec_where(cfg, "kernel", "initrd", 0),
					    img.hi, true, &initrd, err, errlen) < 0)
		return -1;
	m->stats_gpa = img.stats_gpa;
	if (machine_build_devices(m, status, err, errlen) < 0)
		return -1;
	*status = FLINT_EXIT_USAGE;
	if (announce(m, err, errlen) < 0 || cmdline_setup(m, err, errlen) < 0)
		return -1;
	*status = FLINT_EXIT_VMM;
	if (initrd.size && initrd_announce(&m->vm.mem, &initrd, err, errlen) < 0)
		return -1;
	if (machine_build_vcpus(m, err, errlen) < 0)
		return -1;
	/* Only the boot CPU starts at the kernel; the others wait in KVM for
	 * the guest's INIT/SIPI, as on real hardware. */
	if (vcpu_set_pvh_entry(&m->vm.vcpus[0], img.entry32, FLINT_START_INFO_GPA, err, errlen) < 0)
		return -1;
	/* The info page: seq 1, a generation, the wall clock (pv.h). */
	return pv_boot(m, err, errlen);
}
