/*
 * The power-off port: the guest's way to end the VM with a status.  It
 * keeps no state (a write acts at once), so it has no snapshot record.
 */
#include <stdio.h>

#include "machine.h"
#include "stats.h"

static void poweroff_write(void *dev, uint64_t offset, const uint8_t *data, uint32_t len)
{
	struct machine *m = dev;

	(void)offset;
	(void)len;
	stats_mark(m->vm.stats, MARK_POWEROFF);
	vm_stop(&m->vm, data[0]);
	if (m->on_guest_poweroff)
		m->on_guest_poweroff(m, machine_status(m, m->vm.exit_status));
}

static const struct bus_ops poweroff_ops = { .write = poweroff_write };

static void *poweroff_setup(struct machine *m, char *err, size_t errlen)
{
	if (bus_register(&m->vm.pio, FLINT_POWEROFF_PORT, 4, "poweroff", &poweroff_ops, m) < 0) {
		snprintf(err, errlen, "cannot place the power-off port at 0x%x", FLINT_POWEROFF_PORT);
		return NULL;
	}
	return m;
}

const struct device_module poweroff_module = {
	.name = "poweroff",
	.setup = poweroff_setup,
};
