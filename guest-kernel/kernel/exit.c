/* Leaving the VM: flush, stamp, power off through the monitor's port. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <flint.h>
#include <flint/boot_abi.h>

#include "arch/x86_64/cpu.h"
#include "kernel/boot_stats.h"
#include "kernel/console.h"
#include "lib/stdstreams.h"

_Noreturn void exit(int status)
{
	stdstreams_exit();
	console_flush();
	flint_boot_stats.tsc_exit = rdtsc();
	outl(FLINT_POWEROFF_PORT, (uint32_t)status);
	/* no power-off device: stay halted, using no host CPU */
	for (;;)
		cpu_halt();
}

_Noreturn void panic(const char *fmt, ...)
{
	static bool panicking;
	va_list ap;

	if (panicking)       /* the console itself failed: leave quietly */
		exit(127);
	panicking = true;
	/* stderr (the UART): a panic in the virtio-console driver must not need it. */
	fprintf(stderr, "guest panic: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(127);
}

_Noreturn void abort(void)
{
	panic("abort() called");
}
