/*
 * Every device flint can give a guest, in set-up order.  Adding a device is
 * a file with a struct device_module and a row here; run.c knows none by
 * name.
 */
#include "machine.h"

extern const struct device_module poweroff_module;
extern const struct device_module console_module;
extern const struct device_module drive_module;
extern const struct device_module net_module;
extern const struct device_module vconsole_module;
extern const struct device_module pv_module;

const struct device_module *const device_modules[] = {
	&poweroff_module,
	&console_module,
	&drive_module,
	&net_module,
	&vconsole_module,
	&pv_module,
	NULL,
};
